"""Print preflight: the builder reads back the PDFs it made and reports the makeup
defects a typesetter would send back.

Each check works on the text of the PDF as a reader's tools extract it (pdfium and
pdfplumber: every character with its font, size and position), not on what the
stylesheets meant to do, so that a rule WeasyPrint ignored or a layout that went wrong
is still caught. Each check is one function, named for the defect it finds, and
``check_pages`` runs them all:

- ``footnote`` (``_misplaced_footnotes``): a note printed on another page than its call,
  or notes out of order (a call is a raised figure set small against the text, matched to
  a note of its number printed at the foot of its page or of one near it: an exponent, a
  verse line's number or a worksheet's superscripts, which call no note, are not calls);
- ``stranded`` (``_stranded_heading_or_label``, ``_split_table``): a heading or a
  question's label with fewer than three lines under it at the foot of a page (not a
  heading whose whole section follows it there), a table split where it fits one page,
  or leaving one or two rows on a page;
- ``underfull`` (``_underfull_page``): a page less than a quarter full that is not the
  last of its part;
- ``name`` and ``ladder`` (``_hyphen_ladders_and_split_names``): a proper name (from the
  book's people and glossary) split by a hyphen; three or more consecutive lines ending
  in a hyphen;
- ``overflow`` (``_text_past_margin``, ``_drawing_past_margin``): text past the margins
  of the text block (``_text_block_edges``), or a drawing: a formula (print draws maths)
  or a picture, each a Figure of the PDF's structure tree;
- ``short`` (``_line_left_short``): a line of a word or two left short inside a
  justified paragraph, between two full lines;
- ``loose`` (``_line_spread``): a line of a justified paragraph spread across the
  measure, every space between its words wider than ``LOOSE`` ems;
- ``quotes`` (``_straight_quotes``): a straight quote or apostrophe (code excepted).

The check of the glyphs each font draws (``glyphs``) is ``writers/fontfiles.wrong_glyphs``,
which reads the PDF's fonts rather than its text; the builder runs it beside these.

The words a picture draws (a Figure of the PDF's structure tree: an image, an SVG) are
the picture's, set as its author drew them, not the book's text: the checks of the
text's typography (quotes, hyphenation, headings and question labels, footnote calls)
pass them by.

A finding names the PDF and its page and, where the builder knows it, the source file
and line of what is on that page, or closer: a heading's line, a table's (its slot or its
Markdown table), the line of the paragraph whose words an overflowing line prints, the
line of a formula's TeX (a Figure's text alternative).
"""
from __future__ import annotations

import bisect
import io
import re
import statistics
import unicodedata
from collections import Counter
from dataclasses import dataclass, replace
from itertools import groupby
from pathlib import Path
from typing import NamedTuple

MM = 72 / 25.4
MARGIN_ZONE = 17 * MM        # running heads and folios live outside this band
LADDER = 3                   # consecutive hyphenated lines that make a ladder
MIN_LINES_AFTER = 3          # lines a heading keeps under it on its page
LINE_HEIGHT = 1.4            # three lines of text under a heading take 3 x this, in ems
MIN_ROWS = 3                 # rows a split table leaves on either page
GROUPING_DESCENT = 0.2       # depth below the baseline, in ems, lines are grouped by
WORD_SPACE = 0.1             # a gap between characters wider than this, in ems, parts words
LOOSE = 1.2                  # a space between words wider than this, in ems, is a hole
HYPHENS = ("-", "\u2010")
STRAIGHT = ("'", '"')
CODE_FONT = "Mono"


@dataclass(frozen=True)
class Finding:
    check: str
    pdf: str
    page: int            # 1-based index of the page in the PDF
    label: str           # its printed number, where known
    message: str
    path: str = ""       # the source of what the page holds, where known
    line: int = 0

    @property
    def text(self) -> str:
        """What is wrong, and where in the PDF."""
        label = f" (p. {self.label})" if self.label and self.label != str(self.page) else ""
        return f"{Path(self.pdf).name}, page {self.page}{label}: {self.message} [{self.check}]"

    def __str__(self) -> str:
        where = f"{self.path}:{self.line}" if self.line else (self.path or self.pdf)
        return f"{where}: warning: {self.text}"


class Char(NamedTuple):
    """What the checks read of an inked character: a line's footnote calls (raised and
    small digits), its straight quotes (outside code) and the body's type size."""
    text: str
    size: float
    baseline: float      # upwards, in PDF space
    font: str


@dataclass
class Line:
    text: str
    x0: float
    x1: float
    top: float
    bottom: float
    size: float          # the size of most of its characters
    font: str            # the font of its first character
    # its inked characters, by columns (a process that read some of a PDF's pages sends
    # them to the one that checks them all: lists of numbers pickle fast)
    inked: str
    sizes: list[float]
    baselines: list[float]
    fonts: list[str]
    lefts: list[float]       # each inked character's left edge and right edge
    rights: list[float]

    @property
    def chars(self) -> list[Char]:
        return [Char(*c) for c in zip(self.inked, self.sizes, self.baselines, self.fonts)]


class Drawing(NamedTuple):
    """What one Figure of a tagged PDF draws on a page (a picture, or a formula, which
    print draws), with its text alternative (a formula's is its TeX)."""
    x0: float
    x1: float
    top: float
    bottom: float
    alt: str


@dataclass
class PageText:
    number: int
    width: float
    height: float
    head: list[Line]         # running head
    body: list[Line]         # the text block, footnotes included
    notes: list[Line]        # the footnote area (a rule above it)
    foot: list[Line]         # folio
    tables: list             # pdfplumber tables (bbox, rows)
    rules: list[float] = ()  # tops of rules drawn across the text block (answer lines)
    drawings: list = ()      # what a Figure of the structure tree draws (``Drawing``)

    @property
    def empty(self) -> bool:
        return not self.body

    @property
    def opening(self) -> bool:
        """A part's first page: no running head above its text, or a part's title (set
        large) at its top."""
        return bool(self.body) and (not self.head or self.body[0].size >= 18)


def page_count(source) -> int:
    import pypdfium2 as pdfium
    doc = pdfium.PdfDocument(source)
    try:
        return len(doc)
    finally:
        doc.close()


def page_keys(source) -> list[str]:
    """For each page of a PDF (a path, or its bytes), a digest of all its reading
    (``read_pages``) depends on: its size, its content, the fonts it names (with their
    subset tags: a joined edition's merged font keeps every glyph's id, widths and text
    in every subset of its face) and the forms it draws, theirs too. A page of an edition
    whose part did not change reads as it did, so a rebuild reads only the others; and a
    page has the same digest in its part's PDF and in the joined edition (its streams are
    taken decoded: the join compresses a form's), which ``read_keyed`` reads."""
    import hashlib

    import pikepdf

    def feed(h, obj, resources) -> None:
        contents = obj.get("/Contents")
        for stream in contents if isinstance(contents, pikepdf.Array) else [contents]:
            if isinstance(stream, pikepdf.Stream):
                h.update(stream.read_bytes())
        if isinstance(obj, pikepdf.Stream):             # a form: its own content
            h.update(obj.read_bytes())
        if not isinstance(resources, pikepdf.Dictionary):
            return
        fonts = resources.get("/Font") or {}
        for name in sorted(fonts.keys()):
            h.update(f"{name}={fonts[name].get('/BaseFont')};".encode())
        forms = resources.get("/XObject") or {}
        for name in sorted(forms.keys()):
            form = forms[name]
            h.update(f"{name}:{form.get('/Subtype')}:{list(form.get('/Matrix', []))};"
                     .encode())
            if form.get("/Subtype") == "/Form":
                feed(h, form, form.get("/Resources"))

    pdf = pikepdf.open(io.BytesIO(source) if isinstance(source, bytes) else source)
    try:
        out = []
        for page in pdf.pages:
            h = hashlib.sha256(repr([float(v) for v in page.mediabox]).encode())
            feed(h, page.obj, page.obj.get("/Resources"))
            out.append(h.hexdigest())
        return out
    finally:
        pdf.close()


def read_keyed(source) -> dict[str, PageText]:
    """Every page of a PDF (a path, or its bytes) read, by its ``page_keys`` digest: the
    pages of a part, read as soon as it is drawn, are the joined edition's pages that
    have the same digests, read ahead of the join."""
    return dict(zip(page_keys(source), read_pages(source)))


def read_pages(source, first: int = 0, stop: int | None = None) -> list[PageText]:
    """The pages of a PDF (a path, or its bytes), or those from index ``first`` up to
    ``stop``: several processes may read one PDF's pages between them, for ``check_pages``.

    pdfium (pypdfium2) reads every character and path; pdfplumber groups the characters
    into lines and finds the tables among the paths, as it does on what pdfminer reads
    (pdfminer parses the PDF in Python, in some three times the processor time)."""
    import pypdfium2 as pdfium
    doc = pdfium.PdfDocument(source)
    pages = []
    try:
        for i in range(first, len(doc) if stop is None else min(stop, len(doc))):
            page = doc[i]
            width, height = page.get_size()
            lines = _text_lines(page, width, height)
            head = [ln for ln in lines if ln.bottom < MARGIN_ZONE]
            foot = [ln for ln in lines if ln.top > height - MARGIN_ZONE]
            body = [ln for ln in lines if ln not in head and ln not in foot]
            rects, strokes, curves = _shapes(page, height)
            tables = _tables(rects + strokes + curves) if rects or strokes else []
            pages.append(PageText(i + 1, width, height, head, body, [], foot, tables,
                                  _rules(width, height, rects, strokes),
                                  _drawings(page, height)))
            page.close()
    finally:
        doc.close()
    return pages


def _text_lines(page, width: float, height: float) -> list[Line]:
    """The page's lines of text: pdfium's characters, each described as pdfplumber
    describes a character (its box from the baseline's descent to one font size above,
    top measured down from the page's top), grouped into lines by pdfplumber.

    pdfplumber groups characters whose tops are near. A font's descent is the deepest
    its glyphs go, and a Devanagari face's, made for the conjuncts and vowel signs below
    its baseline, is some twice a Latin face's: its characters' tops stood some 4 points
    below those of the Latin figures and punctuation on their baseline, and a line of
    Hindi was read as two, its numbers, its note's call and the note's number each apart
    from the words they stand in. The characters are grouped by their baselines instead:
    each grouped as if its face's descent were ``GROUPING_DESCENT`` of its size, and a
    line's box is that of its characters' boxes, each from its own face's descent.

    A word's characters and glyphs in other orders (a Devanagari reph, a vowel sign
    before its consonant) come in a span of the word's text (ActualText), and where the
    span holds several runs of glyphs (the reph set apart, raised) pdfium reads the
    word's characters all from its first run: the rest of its glyphs are in no
    character's box, and the word, read as ending there, ends some glyphs short
    (``_ink_past_characters``)."""
    import ctypes
    import pypdfium2.raw as c
    from pdfplumber.utils import chars_to_textmap
    textpage = page.get_textpage()
    tp = textpage.raw
    count = textpage.count_chars()
    address = ctypes.c_void_p.from_buffer
    objects = [address(c.FPDFText_GetTextObject(tp, i)).value for i in range(count)]
    past = _ink_past_characters(page, set(objects) - {None})
    box, matrix = c.FS_RECTF(), c.FS_MATRIX()
    x, y = ctypes.c_double(), ctypes.c_double()
    name, flags = ctypes.create_string_buffer(256), ctypes.c_int()
    chars, fonts = [], {}
    # a text object's characters share its font and its size (not always its matrix):
    # read once an object
    styles: dict[int | None, tuple[float, str]] = {}
    text = textpage.get_text_range(0, count) if count else ""
    if len(text) != count:            # a character outside the Basic Multilingual Plane
        text = [chr(c.FPDFText_GetUnicode(tp, i)) for i in range(count)]
    for i in range(count):
        ch = text[i]
        if c.FPDFText_IsGenerated(tp, i):
            # pdfium's own line breaks go; a space it puts between words where the PDF
            # has none is kept, just after the character before it
            if ch == " " and chars:
                end = chars[-1]["x1"]
                chars.append(dict(chars[-1], text=" ", x0=end, x1=end, width=0))
            continue
        if ch in "\x02\ufffe":      # pdfium's mark for a hyphen at a line's end (as a
            ch = "-"                # character, and in its text)
        obj = objects[i]
        style = styles.get(obj) if obj is not None else None
        if style is None:
            c.FPDFText_GetFontInfo(tp, i, name, len(name), flags)
            style = (c.FPDFText_GetFontSize(tp, i),      # one string a font: pickled once
                     fonts.setdefault(name.value, name.value.decode("utf-8", "replace")))
            if obj is not None:
                styles[obj] = style
        c.FPDFText_GetMatrix(tp, i, matrix)
        size, fontname = style[0] * abs(matrix.d or matrix.a), style[1]
        c.FPDFText_GetLooseCharBox(tp, i, box)
        c.FPDFText_GetCharOrigin(tp, i, x, y)
        bottom, right = height - box.bottom, max(box.right, x.value)
        if obj in past and objects[i + 1:i + 2] != [obj]:   # its run's end
            right = max(right, past[obj])
        grouped = height - y.value + GROUPING_DESCENT * size      # as if in a Latin face
        chars.append({"text": ch, "x0": x.value, "x1": right, "width": right - x.value,
                      "top": grouped - size, "bottom": grouped, "doctop": grouped - size,
                      "box": (bottom - size, bottom),
                      "height": size, "upright": True, "size": size,
                      "fontname": fontname,
                      "matrix": (matrix.a, matrix.b, matrix.c, matrix.d, x.value, y.value)})
    textpage.close()
    if not chars:
        return []
    textmap = chars_to_textmap(chars, layout_width=width, layout_height=height)
    out = []
    for raw in textmap.extract_text_lines(strip=True, return_chars=True):
        inked = [ch for ch in raw["chars"] if ch["text"].strip()]
        if not inked:
            continue
        size = Counter(round(ch["size"], 1) for ch in inked).most_common(1)[0][0]
        top = min(ch["box"][0] for ch in raw["chars"])
        bottom = max(ch["box"][1] for ch in raw["chars"])
        out.append(Line(raw["text"], raw["x0"], raw["x1"], top, bottom, size,
                        inked[0]["fontname"], "".join(ch["text"] for ch in inked),
                        [ch["size"] for ch in inked], [ch["matrix"][5] for ch in inked],
                        [ch["fontname"] for ch in inked], [ch["x0"] for ch in inked],
                        [ch["x1"] for ch in inked]))
    return out


def _ink_past_characters(page, read: set) -> dict:
    """The right end of the glyphs that follow each of the page's runs of text (its text
    objects, in ``read``: those whose characters pdfium reads) on its line in runs of
    no character's: the rest of a word whose text (ActualText) pdfium reads from its
    first run alone."""
    import ctypes
    import pypdfium2.raw as c
    past, last = {}, None
    for obj in page.get_objects(filter=[c.FPDF_PAGEOBJ_TEXT]):
        at = ctypes.cast(obj.raw, ctypes.c_void_p).value
        bounds = obj.get_bounds()
        if at in read:
            last = (at, bounds)
        elif last and bounds[2] - bounds[0] > 0 and bounds[1] < last[1][3] and \
                last[1][1] < bounds[3]:                    # beside it, on its line
            past[last[0]] = max(past.get(last[0], last[1][2]), bounds[2])
    return past


def _shapes(page, height: float) -> tuple[list, list, list]:
    """The page's painted paths as pdfplumber's rects, lines and curves (each subpath one
    object; a rect is an axis-aligned closed four-sided one), in page space: paths inside
    form XObjects are carried through each form's matrix."""
    import ctypes
    import pypdfium2.raw as c
    rects, lines, curves = [], [], []
    x, y = ctypes.c_float(), ctypes.c_float()
    for obj in page.get_objects(filter=[c.FPDF_PAGEOBJ_PATH]):
        chain, holder = [], obj
        while holder is not None:
            m = holder.get_matrix()
            chain.append((m.a, m.b, m.c, m.d, m.e, m.f))
            holder = holder.container
        subpaths: list[tuple[list, str]] = []
        for k in range(c.FPDFPath_CountSegments(obj)):
            seg = c.FPDFPath_GetPathSegment(obj, k)
            c.FPDFPathSegment_GetPoint(seg, x, y)
            px, py = x.value, y.value
            for a, b, cc, d, e, f in chain:
                px, py = a * px + cc * py + e, b * px + d * py + f
            kind = c.FPDFPathSegment_GetType(seg)
            if kind == c.FPDF_SEGMENT_MOVETO or not subpaths:
                subpaths.append(([(px, height - py)], "m"))
            else:
                pts, kinds = subpaths[-1]
                pts.append((px, height - py))
                subpaths[-1] = (pts, kinds + ("l" if kind == c.FPDF_SEGMENT_LINETO else "c"))
        for pts, kinds in subpaths:
            xs, ys = [p[0] for p in pts], [p[1] for p in pts]
            d = {"x0": min(xs), "x1": max(xs), "top": min(ys), "bottom": max(ys),
                 "doctop": min(ys), "y0": height - max(ys), "y1": height - min(ys),
                 "width": max(xs) - min(xs), "height": max(ys) - min(ys)}
            if kinds == "ml":
                lines.append(dict(d, object_type="line"))
            elif kinds in ("mlll", "mllll") and all(
                    abs(pts[j][0] - pts[(j + 1) % 4][0]) < 0.01 or
                    abs(pts[j][1] - pts[(j + 1) % 4][1]) < 0.01 for j in range(4)):
                rects.append(dict(d, object_type="rect"))
            else:
                curves.append(dict(d, object_type="curve", pts=pts))
    return rects, lines, curves


def _drawings(page, height: float) -> list[Drawing]:
    """What the page's Figures draw: the bounds of the objects of each Figure's marked
    content (its MCID), with the Figure's text alternative from the structure tree. An
    untagged PDF has none."""
    import ctypes
    import pypdfium2.raw as c
    name, length, mcid = (ctypes.c_ushort * 16)(), ctypes.c_ulong(), ctypes.c_int()
    bounds: dict[int, list[float]] = {}
    for obj in page.get_objects(max_depth=0):
        for k in range(c.FPDFPageObj_CountMarks(obj.raw)):
            mark = c.FPDFPageObj_GetMark(obj.raw, k)
            if not c.FPDFPageObjMark_GetName(mark, name, ctypes.sizeof(name), length) or \
                    bytes(name)[:length.value].decode("utf-16-le").rstrip("\0") != "Figure" \
                    or not c.FPDFPageObjMark_GetParamIntValue(mark, b"MCID", mcid):
                continue
            x0, y0, x1, y1 = obj.get_bounds()
            box = bounds.setdefault(mcid.value, [x0, y0, x1, y1])
            box[:] = min(box[0], x0), min(box[1], y0), max(box[2], x1), max(box[3], y1)
    if not bounds:
        return []
    alts = _figure_alts(page)
    return [Drawing(x0, x1, height - y1, height - y0, alts.get(key, ""))
            for key, (x0, y0, x1, y1) in sorted(bounds.items())]


def _figure_alts(page) -> dict[int, str]:
    """The text alternative of each Figure of the page's structure tree, by the MCIDs of
    its marked content."""
    import ctypes
    import pypdfium2.raw as c

    def text(get, el) -> str:
        size = get(el, None, 0)
        buf = ctypes.create_string_buffer(size)
        get(el, buf, size)
        return buf.raw[:max(size - 2, 0)].decode("utf-16-le", "replace")

    out: dict[int, str] = {}

    def walk(el) -> None:
        if text(c.FPDF_StructElement_GetType, el) == "Figure":
            alt = text(c.FPDF_StructElement_GetAltText, el)
            for k in range(c.FPDF_StructElement_GetMarkedContentIdCount(el)):
                out[c.FPDF_StructElement_GetMarkedContentIdAtIndex(el, k)] = alt
        for k in range(c.FPDF_StructElement_CountChildren(el)):
            child = c.FPDF_StructElement_GetChildAtIndex(el, k)
            if child:
                walk(child)

    tree = c.FPDF_StructTree_GetForPage(page.raw)
    if not tree:
        return out
    try:
        for k in range(c.FPDF_StructTree_CountChildren(tree)):
            child = c.FPDF_StructTree_GetChildAtIndex(tree, k)
            if child:
                walk(child)
    finally:
        c.FPDF_StructTree_Close(tree)
    return out


class Grid(NamedTuple):
    """A table the page's rules draw: its box, its rows, and where its columns part
    (each column's left edge, and the table's right edge, from the table's left edge)."""
    bbox: tuple[float, float, float, float]
    rows: int
    columns: tuple[float, ...]


def _tables(shapes: list) -> list[Grid]:
    """The tables among the page's rules, found by pdfplumber's table finder as its
    default "lines" strategy does on a page: the edges of every painted path, merged and
    snapped, their crossings, the cells between them, the cells' groups. A table is a
    grid: cells side by side, in two rows or more and two columns or more. WeasyPrint
    draws a border as its whole box filled under a clip, so a ruled box inside another
    (a code block, with its left rule, in a block quote or a model answer; a table in a
    box) is read as cells one inside the other: a cell that holds another is a box drawn
    round it, not a cell of the grid (a table's cells hold text, not boxes)."""
    from pdfplumber.table import (TableSettings, cells_to_tables, edges_to_intersections,
                                  intersections_to_cells, merge_edges)
    from pdfplumber.utils import filter_edges, obj_to_edges
    settings = TableSettings.resolve(None)
    edges = [e for shape in shapes for e in obj_to_edges(shape)]
    edges = filter_edges(edges, "v") + filter_edges(edges, "h")   # a point long or longer
    edges = filter_edges(merge_edges(edges, settings.snap_x_tolerance, settings.snap_y_tolerance,
                                     settings.join_x_tolerance, settings.join_y_tolerance),
                         min_length=settings.edge_min_length)
    crossings = edges_to_intersections(edges, settings.intersection_x_tolerance,
                                       settings.intersection_y_tolerance)
    tables = []
    for found in cells_to_tables(intersections_to_cells(crossings)):
        cells = [cell for cell in found
                 if not any(other != cell and _holds(cell, other) for other in found)]
        x0, x1 = min(c[0] for c in cells), max(c[2] for c in cells)
        rows = {cell[1] for cell in cells}          # a row: the cells of one top
        lefts = sorted({round(cell[0] - x0, 1) for cell in cells})
        if len(rows) >= 2 and len(lefts) >= 2:      # a box (one bordered cell) is not a table
            tables.append(Grid((x0, min(c[1] for c in cells), x1, max(c[3] for c in cells)),
                               len(rows), (*lefts, round(x1 - x0, 1))))
    return tables


def _holds(outer, inner, slack: float = 0.5) -> bool:
    """The cell ``outer`` encloses the cell ``inner`` (both ``x0, top, x1, bottom``)."""
    return outer[0] - slack <= inner[0] and outer[1] - slack <= inner[1] and \
        inner[2] <= outer[2] + slack and inner[3] <= outer[3] + slack


def _same_columns(one: Grid, other: Grid, slack: float = 1.5) -> bool:
    """Two tables (the parts of one on two pages) have the same columns: as many, as
    wide (measured from each one's left edge: a verso's margins are not a recto's)."""
    return len(one.columns) == len(other.columns) and \
        all(abs(a - b) <= slack for a, b in zip(one.columns, other.columns))


def _rules(width: float, height: float, rects: list, lines: list) -> list[float]:
    """The tops of the horizontal rules across most of the text block (a worksheet's
    ruled answer space; a table's borders too), inside the band of the running heads."""
    # WeasyPrint draws a border as its box filled under a clip: of a rectangle, only
    # the bottom is where a rule under a box (an answer line) is seen
    found = [(r["bottom"], r["x1"] - r["x0"]) for r in rects] + \
        [(ln["top"], ln["x1"] - ln["x0"]) for ln in lines if abs(ln["top"] - ln["bottom"]) < 1]
    tops: list[float] = []
    for y, length in sorted(found):
        if length >= 0.4 * width and MARGIN_ZONE < y < height - MARGIN_ZONE:
            if not tops or y - tops[-1] > 2:     # a thin rule's two edges: one
                tops.append(y)
    return tops


NOTE_START = re.compile(r"^(\d+)\.\s")


def _footnote_area(body: list[Line], body_size: float) -> list[Line]:
    """The footnotes at the foot of the text block: the run of small lines at its
    bottom, the first opening with a note's number and a full stop."""
    k = len(body)
    while k > 0 and body[k - 1].size <= 0.85 * body_size:
        k -= 1
    while k < len(body) and not NOTE_START.match(body[k].text):
        k += 1
    return body[k:]


def _text_lines_of(page: PageText) -> list[Line]:
    """The page's body without its footnote area (``_footnote_area``: the body's tail)."""
    return page.body[:len(page.body) - len(page.notes)]


def _body_size(pages: list[PageText]) -> float:
    """The size most of the text is set in: of the most columns (``_columns``: a
    Japanese character sets as much text as two Latin ones, and a page of a few short
    Japanese lines under an English heading is set in the lines' size)."""
    sizes: Counter = Counter()
    for p in pages:
        for ln in p.body:
            sizes[ln.size] += _columns(ln.inked)
    return sizes.most_common(1)[0][0] if sizes else 10.0


def _calls(line: Line, body_size: float) -> list[int]:
    """Footnote calls in a line: runs of digits set smaller than the text and raised above
    its baseline, straight after a character of the text or opening the line (small type
    such as a question's "(12 marks)" label is not a call, wherever its baseline lies),
    and set against the text: no further from the characters beside them than a word
    space (a verse line's number, floated to the margin, is apart from its line)."""
    limit = 0.8 * body_size
    if not any(ch.isdigit() and size < limit for ch, size in zip(line.inked, line.sizes)):
        return []                       # most lines: no small digit, so no call
    text = [base for base, size in zip(line.baselines, line.sizes) if size >= limit]
    if not text:
        # a paragraph that holds a call alone (a notes style's citation after a blank
        # line of a quotation): small digits and the commas between calls, nothing else
        inked = "".join(line.inked)
        if inked and all(size < limit for size in line.sizes) and \
                re.fullmatch(r"\d+(,\d+)*", inked):
            return [int(n) for n in inked.split(",")]
        return []
    base = statistics.median(text)      # the baseline, upwards in PDF space
    gaps = [b - a for a, b in zip(line.rights, line.lefts[1:])]    # after each character

    def set_against(first: int, last: int) -> bool:
        """Whether the run of characters first..last stands against a neighbour: no
        wider apart than the line's other word spaces (half an em at the least)."""
        spaces = [g for k, g in enumerate(gaps) if g > WORD_SPACE * body_size
                  and k not in (first - 1, last)]
        widest = max(0.5 * body_size, 1.5 * statistics.median(spaces) if spaces else 0)
        return (first > 0 and gaps[first - 1] <= widest) or \
            (last + 1 < len(line.inked) and gaps[last] <= widest)

    calls, run, start, before = [], "", 0, None
    for k, c in enumerate(line.chars + [None]):
        small = (c is not None and c.text.isdigit() and c.size < 0.8 * body_size
                 and c.baseline > base + 1.0)
        if small:
            if not run:
                start = k
            run += c.text
            continue
        if run and c is not None and c.text == "," and c.size < 0.8 * body_size \
                and c.baseline > base + 1.0 and (before is None or before.size >= limit):
            if set_against(start, k - 1):
                calls.append(int(run))  # "¹,²": two calls, the second after the comma
            run = ""
            continue
        if run and (before is None or before.size >= 0.8 * body_size) \
                and not (c is not None and c.size < 0.8 * body_size and c.text.isalpha()) \
                and set_against(start, k - 1):
            calls.append(int(run))
        run, before = "", c
    return calls


def _raised_alone(line: Line, body_size: float) -> bool:
    """Whether a line is nothing but small figures (and commas): a note's call that
    line grouping set apart from the larger type it is raised from (a heading's)."""
    return any(ch.isdigit() for ch in line.inked) and \
        all(ch.isdigit() or ch == "," for ch in line.inked) and \
        all(size < 0.8 * body_size for size in line.sizes)


def _with_calls_put_back(lines: list[Line], body_size: float) -> list[Line]:
    """The lines, each line of small raised figures put back into the line of larger
    type it stands in (between that line's top and bottom, from its start to just past
    its end), its characters in their place along it, so that ``_calls`` reads it as
    it reads a call in the text: a heading's call is raised higher above its baseline
    than the characters' boxes let them be grouped into one line."""
    out = list(lines)
    for alone in [ln for ln in lines if _raised_alone(ln, body_size)]:
        host = next((ln for ln in out if ln is not alone and not _raised_alone(ln, body_size)
                     and ln.top - 1 <= alone.top and alone.bottom <= ln.bottom + 1
                     and ln.x0 - 1 <= alone.x0 <= ln.x1 + 0.5 * body_size), None)
        if host is None:
            continue
        chars = sorted(zip(host.lefts + alone.lefts, host.rights + alone.rights,
                           host.inked + alone.inked, host.sizes + alone.sizes,
                           host.baselines + alone.baselines, host.fonts + alone.fonts))
        lefts, rights, inked, sizes, baselines, fonts = (list(c) for c in zip(*chars))
        out[out.index(host)] = replace(
            host, x1=max(host.x1, alone.x1), inked="".join(inked), sizes=sizes,
            baselines=baselines, fonts=fonts, lefts=lefts, rights=rights)
        out.remove(alone)
    return out


NOTE_REACH = 2       # pages between a note and its call, at most, for them to be matched


def _match_calls(calls: list[tuple], notes: list[tuple]) -> list[tuple | None]:
    """For each printed note (its page and number, in reading order), the call of its
    number that calls it: one on its page, else the nearest before it (a note pushed on
    to the next page), else the nearest after it, within ``NOTE_REACH`` pages, each call
    taken once (None where there is none)."""
    taken: set[int] = set()
    out: list[tuple | None] = []
    for page, n in notes:
        options = [k for k, (p, m, *_) in enumerate(calls) if m == n and k not in taken
                   and abs(p.number - page.number) <= NOTE_REACH]
        here = [k for k in options if calls[k][0].number == page.number]
        before = [k for k in options if calls[k][0].number < page.number]
        after = [k for k in options if calls[k][0].number > page.number]
        chosen = here[:1] or before[-1:] or after[:1]
        if chosen:
            taken.add(chosen[0])
        out.append(calls[chosen[0]] if chosen else None)
    return out


def check_pages(pages: list[PageText], pdf: str, names: set[str] = frozenset(),
                labels: list[str] | None = None,
                sources=None, one_sided: bool = False,
                tables: dict[str, tuple[str, int]] | None = None,
                forced: frozenset[int] = frozenset()) -> list[Finding]:
    """Every finding on a document's pages. ``labels``: each page's printed number;
    ``sources``: each page's source file and line (a list), or one for all (a tuple);
    ``one_sided``: every page has the same margins (a handout), not mirrored ones;
    ``tables``: each numbered table's source file and line (its slot, or its Markdown
    table), by the label its caption prints ("Table 4.1"); ``forced``: the pages an
    author's page break opens (``page_breaks``), before which a page may end short.

    Each check is a function named for the defect it finds; this runs them in the order
    their findings are listed: the footnotes, then page by page what is stranded or
    underfull, the hyphenation, what is past the margins, and the straight quotes."""
    found = _Findings(pages, pdf, labels, sources, tables, forced)
    for page in pages:
        page.notes = _footnote_area(page.body, found.body_size)
    _misplaced_footnotes(found, pages)
    for page, nxt in zip(pages, [*pages[1:], None]):
        text_lines = _text_lines_of(page)
        _stranded_heading_or_label(found, page, nxt, text_lines)
        _split_table(found, page, nxt, text_lines)
        _underfull_page(found, page, nxt, text_lines)
    for page in pages:
        _hyphen_ladders_and_split_names(found, page, names)
    hands = _hands(pages, one_sided)
    for hand, edges in zip(hands, _text_blocks(hands, one_sided)):
        if edges is None:
            continue
        for page in hand:
            _text_past_margin(found, page, *edges)
            _line_left_short(found, page, *edges)
            _line_spread(found, page, *edges)
            _drawing_past_margin(found, page, *edges)
    for page in pages:
        _straight_quotes(found, page)
    return found.out


class _Findings:
    """The findings of one document, as the checks report them, each placed at its
    source; and what every check measures on the document once (the body's type size,
    the text block's height)."""

    def __init__(self, pages: list[PageText], pdf: str, labels: list[str] | None,
                 sources, tables: dict[str, tuple[str, int]] | None,
                 forced: frozenset[int] = frozenset()) -> None:
        self.pages, self.pdf, self.labels = pages, pdf, labels
        self.sources, self.tables, self.forced = sources, tables, forced
        self.body_size = _body_size(pages)
        self.text_block = _text_block_height(pages)
        self.out: list[Finding] = []

    def source(self, page: PageText) -> tuple:
        """The page's source file and line."""
        i = page.number - 1
        if isinstance(self.sources, tuple):           # one source for every page
            return self.sources
        sources = self.sources
        return sources[i] if sources and i < len(sources) and sources[i] else ("", 0)

    def report(self, check: str, page: PageText, message: str, heading: str = "",
               table: tuple | None = None, text: str = "", drawing: str = "",
               at: Line | None = None) -> None:
        """A finding on the page, at the page's source, or more closely where it can
        be told: at a heading's line, a table's (``table``: the table, as the page's
        ``tables`` hold it), the line of the paragraph that prints ``text`` (``at``:
        the printed line, whose neighbours tell where too few words of its own do), or
        the line of the formula or picture whose text alternative is ``drawing``."""
        i = page.number - 1
        path, line = self.source(page)
        if heading:
            line = heading_line(path, heading) or line
        elif table is not None:
            path, line = _table_source(self.pages, i, table, self.body_size,
                                       self.tables or {}, (path, line))
        elif text:
            line = text_line(path, text, line) or (at and _line_beside(path, page, at)) or \
                line
        elif drawing:
            line = drawing_line(path, drawing) or line
        labels = self.labels
        self.out.append(Finding(check, self.pdf, page.number,
                                labels[i] if labels and i < len(labels) else "", message,
                                str(path), line))


def _misplaced_footnotes(found: _Findings, pages: list[PageText]) -> None:
    """``footnote``: each note on the page of its call, in the order of the calls; not
    in the front matter (pages numbered i, ii…), which has none, and whose small lines
    at a page's foot (a copyright page's "1. Auflage, 3. Dezember") would look like one.
    Its findings are in the order of their pages."""
    calls, notes = [], []                # (page, number), in reading order
    first = len(found.out)
    for page in pages:
        if _front_matter(page, found.labels):
            continue
        calls += [(page, n, ln) for n, ln in _note_calls(page, found.body_size, True)]
        here = _printed_notes(page)
        notes += [(page, n) for n in here]
        if here != sorted(here):
            found.report("footnote", page, f"notes out of order: {', '.join(map(str, here))}")
    # a raised figure is a call only where it calls a note printed in the document (an
    # exponent, an isotope's mass, a worksheet's superscripts are none)
    for (page, n), call in zip(notes, _match_calls(calls, notes)):
        # (each at the line of the paragraph that calls the note, where it is known)
        where = {"text": call[2].text, "at": call[2]} if call is not None else {}
        if call is None or call[0] is not page:
            found.report("footnote", page, f"note {n} is printed on another page than its call",
                         **({} if call is None else {"text": call[2].text}))
        if call is not None and call[0] is not page:
            found.report("footnote", call[0],
                         f"note {n} is called here but printed on another page", **where)
    found.out[first:] = sorted(found.out[first:], key=lambda f: f.page)


def _front_matter(page: PageText, labels: list[str] | None) -> bool:
    """The page is numbered in roman figures (i, ii…)."""
    i = page.number - 1
    return bool(labels and i < len(labels) and re.fullmatch(r"[ivxlcdm]+", labels[i] or ""))


def _note_calls(page: PageText, body_size: float, lines: bool = False) -> list:
    """The numbers of the page's footnote calls, in reading order (a picture's words
    aside); ``lines``: each with the line it stands in, as (number, line)."""
    text = [ln for ln in _text_lines_of(page) if not _drawn(page, ln)]
    return [(n, ln) if lines else n for ln in _with_calls_put_back(text, body_size)
            for n in _calls(ln, body_size)]


def _printed_notes(page: PageText) -> list[int]:
    """The numbers of the notes printed at the page's foot, in reading order."""
    return [int(m.group(1)) for ln in page.notes if (m := NOTE_START.match(ln.text))
            and ln.x0 <= min(x.x0 for x in page.notes) + 1]


def _last_of_part(found: _Findings, nxt: PageText | None) -> bool:
    """The page before ``nxt`` ends its part: nothing follows, or a blank page, a
    part's opening page or a page an author's page break opens."""
    return nxt is None or nxt.empty or nxt.opening or nxt.number in found.forced


def _stranded_heading_or_label(found: _Findings, page: PageText, nxt: PageText | None,
                               text_lines: list[Line]) -> None:
    """``stranded``: a heading with fewer than three lines (or their height) under it
    at the foot of a page, or a question's label alone there; a page that is not the
    last of its part."""
    if not text_lines or _last_of_part(found, nxt):
        return
    body_size = found.body_size
    # ruled answer space at the foot (two rules or more under the last line, not a
    # table's bottom border nor the rule over the notes) counts as lines
    limit = page.notes[0].top - 6 if page.notes else page.height
    ruled = [top for top in page.rules if text_lines[-1].bottom < top < limit]
    for k, ln in enumerate(text_lines):
        after = len(text_lines) - k - 1 + (len(ruled) if len(ruled) >= 2 else 0)
        if after >= MIN_LINES_AFTER or _drawn(page, ln):   # (a picture's words)
            continue
        if _is_heading(ln, body_size):
            # what follows it may be a figure, which has no lines of text, or a display
            # formula, which print draws: a heading with three lines' height of anything
            # under it stands
            drawn = [d.bottom for d in page.drawings if d.top >= ln.bottom - 1 and
                     d.bottom <= limit]
            below = max([text_lines[-1].bottom, *ruled, *drawn]) - ln.bottom
            if below >= MIN_LINES_AFTER * LINE_HEIGHT * body_size:
                break
            # a short section that ends on the page has all of itself under its
            # heading: only a heading after it may be stranded
            if _section_ends(ln, text_lines[k + 1:], nxt, body_size):
                continue
            found.report("stranded", page, f"heading “{_excerpt(ln.text, 50)}” with "
                                           f"{after} line(s) under it at the foot of the "
                                           f"page",
                         heading=ln.text)
            break
        if _is_question_label(ln) and after < 1:
            found.report("stranded", page, f"question label “{_excerpt(ln.text, 40)}” "
                                           f"alone at the foot of the page")
            break


def _split_table(found: _Findings, page: PageText, nxt: PageText | None,
                 text_lines: list[Line]) -> None:
    """``stranded``: a table split at the foot of ``page`` though it fits one page, or
    leaving fewer than ``MIN_ROWS`` rows on one of the two."""
    if nxt is None or not page.tables or not nxt.tables:
        return
    bottom_table = max(page.tables, key=lambda t: t[0][3])
    top_table = min(nxt.tables, key=lambda t: t[0][1])
    above = [ln for ln in nxt.body if ln.bottom < top_table[0][1] - 1]
    below = [ln for ln in text_lines if ln.top > bottom_table[0][3] + 1]
    # the two are one table: nothing between them, and the same columns (a table whose
    # next page opens with another grid is not split)
    if above or below or _caption_above(nxt, top_table) or \
            not _same_columns(bottom_table, top_table):
        return
    rows_here, rows_there = bottom_table[1], top_table[1] - 1   # head repeated
    height = (bottom_table[0][3] - bottom_table[0][1]) + (top_table[0][3] - top_table[0][1])
    if height < 0.9 * found.text_block:
        found.report("stranded", page, f"a table that fits one page is split "
                                       f"({rows_here} + {rows_there} rows)",
                     table=bottom_table)
    elif min(rows_here - 1, rows_there) < MIN_ROWS:
        found.report("stranded", page, f"a split table leaves "
                                       f"{min(rows_here - 1, rows_there)} row(s) on a page",
                     table=bottom_table)


def _underfull_page(found: _Findings, page: PageText, nxt: PageText | None,
                    text_lines: list[Line]) -> None:
    """``underfull``: a page less than a quarter full (its ruled answer space counts as
    filled) that is not the last of its part, nor a part's opening page."""
    if not page.body or _last_of_part(found, nxt) or page.opening:
        return
    text_block = found.text_block
    filled = max([ln.bottom for ln in text_lines or page.body] + list(page.rules)) - \
        min(ln.top for ln in page.body)
    if filled < 0.25 * text_block:
        found.report("underfull", page, f"the page is {filled / text_block:.0%} "
                                        f"full and not the last of its part")


def _hyphen_ladders_and_split_names(found: _Findings, page: PageText,
                                    names: set[str]) -> None:
    """``ladder``: ``LADDER`` lines in a row that end in a hyphen; ``name``: a proper
    name (one of ``names``) hyphenated at a line's end. Within the page's text, a
    picture's words aside; the findings in the order of their lines."""
    run = 0
    body = [ln for ln in page.body if not _drawn(page, ln)]
    for k, ln in enumerate(body):
        hyphenated = ln.text.endswith(HYPHENS) and len(ln.text) > 1 and ln.text[-2].isalpha()
        run = run + 1 if hyphenated else 0
        if run == LADDER:
            found.report("ladder", page, f"{LADDER} lines in a row end in a hyphen "
                                         f"(“…{ln.text[-20:]}”)")
        if hyphenated and k + 1 < len(body):
            head = re.findall(r"(\w+)[" + "".join(HYPHENS) + r"]$", ln.text)
            tail = re.match(r"\w+", body[k + 1].text)
            if head and tail and head[0] + tail.group() in names:
                found.report("name", page, f"the name “{head[0] + tail.group()}” is hyphenated")


def _hands(pages: list[PageText], one_sided: bool) -> list[list[PageText]]:
    """The pages that share their margins: every page of a one-sided document, else the
    even pages and the odd ones (mirrored margins)."""
    return [pages] if one_sided else [[p for p in pages if p.number % 2 == parity]
                                      for parity in (0, 1)]


def _text_block_edges(hand: list[PageText], one_sided: bool) -> tuple[float, float] | None:
    """The (left, right) edges of the text block on the pages of one hand: those of
    most full lines, or None where too few lines tell. A page of it set ragged, or
    indented throughout (a worksheet's questions, their numbers hanging in the indent),
    has the others' margins."""
    # a table's rows are no evidence: they end inside their cells (a column set to the
    # right ends short of the edge by its padding)
    lines = [ln for p in hand for ln in p.body if not any(_in_table(ln, t) for t in p.tables)]
    full = [ln for ln in lines if _columns(ln.text) > 40]
    if not full:
        return None
    # the running heads and folios are set in the page's margin boxes, as wide as the
    # text block: they mark its edges on every page, where a short handout has few full
    # lines
    margins = [ln for p in hand for ln in p.head + p.foot]
    # a handout's running head is the book's title at the left edge and the chapter's
    # at the right, on every page: its ends are the edges on one page too (where three
    # lines of the same words may end short of it)
    spans = [ln for p in hand for ln in p.head] if one_sided else []
    rights = _edges([ln.x1 for ln in full + margins]) + [ln.x1 for ln in spans]
    # the left edge is where any three lines start: a handout (or a short book) whose
    # full lines are all in lists has its headings at the margin
    lefts = _edges([ln.x0 for ln in lines + margins]) + [ln.x0 for ln in spans]
    if not rights or not lefts:
        return None
    return min(lefts), max(rights)


def _text_blocks(hands: list[list[PageText]], one_sided: bool
                 ) -> list[tuple[float, float] | None]:
    """Each hand's text block edges (``_text_block_edges``). The block is as wide on
    both hands (the margins are mirrored), and text set ragged (a language with no
    hyphenation patterns) shows only the edge its lines start at: where the running
    head and the folio stand at that edge too (a verso's), nothing showed the other,
    and it was taken at the longest lines, short of the real edge. A hand narrower than
    the other keeps the edge more of its full lines meet and takes the other from the
    wider hand's width."""
    edges = [_text_block_edges(hand, one_sided) for hand in hands]
    widths = [e[1] - e[0] for e in edges if e is not None]
    if len(widths) < 2:
        return edges
    width, out = max(widths), []
    for hand, e in zip(hands, edges):
        if e is not None and e[1] - e[0] < width - 1:
            full = [ln for p in hand for ln in p.body if _columns(ln.text) > 40]
            starting = sum(abs(ln.x0 - e[0]) <= 1 for ln in full)
            ending = sum(abs(ln.x1 - e[1]) <= 1 for ln in full)
            e = (e[0], e[0] + width) if starting >= ending else (e[1] - width, e[1])
        out.append(e)
    return out


def _excerpt(text: str, limit: int) -> str:
    """A finding's quotation of a line: the text, or as much of it as ``limit``
    allows, ended at a space where there is one (a word cut short may read as another
    word: "Giá" for "Giáp") and marked "…". A line of right-to-left text, read from the
    page from left to right, is put back in the order it is written ("روسیه وام گرفت",
    quoted "تفرگ ماو هیسور", matched nothing in the book)."""
    if any(unicodedata.bidirectional(ch) in ("R", "AL") for ch in text):
        from bidi import get_display
        text = get_display(text, base_dir="R")
    if len(text) <= limit:
        return text
    cut = text.rfind(" ", limit // 2, limit)
    return text[:cut if cut > 0 else limit - 1].rstrip() + "…"


def _columns(text: str) -> int:
    """The length of a text in columns: a character of Chinese, Japanese or Korean (wide
    or full-width: as wide as the type is high) counts as two, as it is about as wide as
    two of a Latin text's (a full line of Japanese sets some thirty of them where one of
    English sets some seventy)."""
    return len(text) + sum(map(_wide, text))


def _wide(ch: str) -> bool:
    """A character of Chinese, Japanese or Korean: wide or full-width."""
    return unicodedata.east_asian_width(ch) in "WF"


def _text_past_margin(found: _Findings, page: PageText, left: float, right: float) -> None:
    """``overflow``: the page's first line of text past the text block's edges (not
    display type, which is set ragged, nor a picture's own words, measured with it)."""
    for ln in page.body:
        if ln.size >= 1.3 * found.body_size:      # display type: set ragged, not measured
            continue
        if any(_in_drawing(ln, d) for d in page.drawings):
            continue        # a picture's own words: measured with the picture
        if ln.x1 > right + 3 or ln.x0 < left - 3:
            within = [t for t in page.tables if _in_table(ln, t)]
            found.report("overflow", page, f"text past the margin: “{_excerpt(ln.text, 40)}”",
                         table=within[0] if within else None, text=ln.text, at=ln)
            break


def _line_left_short(found: _Findings, page: PageText, left: float, right: float) -> None:
    """``short``: the page's first line left short inside a justified paragraph, between
    two full lines at the text's pitch: the line-breaker parted a word or two from the
    rest ("… doléances. On" / "y" / "lit « des plaintes … »")."""
    lines = _text_lines_of(page)
    for prev, ln, nxt in zip(lines, lines[1:], lines[2:]):
        if _left_short(prev, ln, nxt, right - left, found.body_size) and \
                not _broken_by_author(found.source(page)[0], ln.text):
            found.report("short", page, f"a line of “{_excerpt(ln.text, 30)}” left short "
                                        f"inside a justified paragraph (the words after it fit "
                                        f"there): reword the sentence, or join the "
                                        f"words with a no-break space", text=prev.text)
            break


def _line_spread(found: _Findings, page: PageText, left: float, right: float) -> None:
    """``loose``: a line of a justified paragraph, across the text block, whose words
    stand so far apart that every space between them is wider than ``LOOSE`` ems:
    nothing more fitted on it (a formula too wide for its end, a long word that may not
    be hyphenated, a name) and the line-breaker spread the rest across the measure
    ("Bei der Autoprotolyse des Wassers gilt" before a formula)."""
    lines = _text_lines_of(page)
    for ln in lines:
        # an inline formula on the line, which print draws: the line runs from and to
        # it, and the spaces beside and inside it are its own, the others the line's
        # ("x₃ ≈ 1,414 216 – schon auf sechs …")
        drawn = [(d.x0 - 1, d.x1 + 1) for d in page.drawings
                 if d.top < ln.bottom and d.bottom > ln.top]
        x0 = min([ln.x0, *(a + 1 for a, _ in drawn)])
        x1 = max([ln.x1, *(b - 1 for _, b in drawn)])
        if abs(ln.size - found.body_size) > 0.5 or CODE_FONT in ln.font or \
                abs(x0 - left) > 1.5 or abs(x1 - right) > 1.5:
            continue
        # (what is printed in a space but read as a line of its own, being raised or
        # lowered, is no space: "HSO₄⁻ kann")
        near = [x for other in lines if other is not ln and other.top < ln.bottom
                and other.bottom > ln.top for x in other.lefts]
        spaces = [right_ - left_ for left_, right_ in _word_spaces(ln)
                  if not any(left_ < x < right_ for x in near) and
                  not any(x0 <= left_ <= x1 or x0 <= right_ <= x1 for x0, x1 in drawn)]
        # (justifying widens every space of a line alike: one wide space among narrow
        # ones is something else, a float or a leader an author's stylesheet sets; beside
        # a formula, two at least tell)
        if len(spaces) >= (2 if drawn else 1) and min(spaces) > LOOSE * ln.size:
            found.report("loose", page, f"a line of “{_excerpt(ln.text, 40)}” spread across "
                                        f"the measure (its words {min(spaces) / ln.size:.1f} "
                                        f"em apart): reword it, or move what follows it",
                         text=ln.text, at=ln)


def _word_spaces(ln: Line) -> list[tuple[float, float]]:
    """The spaces between the line's words in its own type, each from the ink before it
    to the ink after it (not beside a raised or lowered character: a note's call)."""
    spaces, k, parted = [], -1, False
    for ch in ln.text:
        if ch.isspace():
            parted = True
            continue
        k += 1
        if parted and 0 < k < len(ln.inked):
            if all(abs(ln.sizes[j] - ln.size) <= 0.5 for j in (k - 1, k)) and \
                    abs(ln.baselines[k] - ln.baselines[k - 1]) <= 0.5:
                spaces.append((ln.rights[k - 1], ln.lefts[k]))
        parted = False
    return spaces


def _drawing_past_margin(found: _Findings, page: PageText, left: float,
                         right: float) -> None:
    """``overflow``: a drawing past the text block's edges, inside the page's margin
    band: a formula (a display one set as small as it may be, or an inline one wider
    than its line) or a picture."""
    for drawing in page.drawings:
        over = max(drawing.x1 - right, left - drawing.x0)
        if over <= 3 or drawing.bottom < MARGIN_ZONE or \
                drawing.top > page.height - MARGIN_ZONE:
            continue
        alt = _excerpt(drawing.alt, 60)
        amount = f"by {max(1, round(over / MM))} mm"
        if formula_line(found.source(page)[0], drawing.alt):
            message = (f"formula past the margin {amount}: “{alt}” (break it over "
                       f"lines, or into shorter formulas)")
        else:
            message = f"drawing past the margin {amount}: “{alt}”"
        found.report("overflow", page, message, drawing=drawing.alt)


def _straight_quotes(found: _Findings, page: PageText) -> None:
    """``quotes``: a straight quote or apostrophe on the page, not in code, nor in a
    picture (its words are its own, as drawn)."""
    for ln in page.head + page.body + page.foot:
        bad = [c for c, drawn in zip(ln.chars, _drawn_chars(page, ln))
               if c.text in STRAIGHT and CODE_FONT not in c.font and not drawn] \
            if any(q in ln.inked for q in STRAIGHT) else []
        if bad:
            found.report("quotes", page, f"straight quote in “{_excerpt(ln.text, 60)}”")


def _edges(xs: list[float], slack: float = 1.0) -> list[float]:
    """The places where three lines or more end (or start), each within ``slack`` of
    it: the lines of a justified paragraph end a little apart, as the ink of their last
    glyphs does ("l" at the edge, "," short of it), and whole points would part them."""
    xs = sorted(xs)
    return [x for x in xs
            if bisect.bisect_right(xs, x + slack) - bisect.bisect_left(xs, x - slack) >= 3]


def _left_short(prev: Line, ln: Line, nxt: Line, measure: float, body_size: float) -> bool:
    """``ln`` is a justified paragraph's line left short: a word or two, starting where
    the lines around it start, in the body's type, and they fill the measure while it
    fills less than a third of it, one line's pitch from each (ragged text has short
    lines of its own, but not of one or two words between two full ones)."""
    same = all(abs(other.x0 - ln.x0) <= 1 and abs(other.size - ln.size) <= 0.5 and
               CODE_FONT not in other.font for other in (prev, nxt))
    full = all(other.x1 - other.x0 >= 0.85 * measure for other in (prev, nxt)) and \
        abs(prev.x1 - nxt.x1) <= 1.5
    pitch = ln.top - prev.bottom < 0.6 * ln.size and nxt.top - ln.bottom < 0.6 * ln.size
    return same and full and pitch and abs(ln.size - body_size) <= 0.5 and \
        CODE_FONT not in ln.font and ln.x1 - ln.x0 < measure / 3 and \
        len(ln.text.split()) <= 2


def _text_block_height(pages: list[PageText]) -> float:
    tops = Counter(round(ln.top) for p in pages if p.head for ln in p.body[:1])
    bottoms = Counter(round(max(ln.bottom for ln in p.body)) for p in pages if p.body)
    if not tops or not bottoms:
        return pages[0].height - 2 * MARGIN_ZONE if pages else 1.0
    return max(bottoms) - tops.most_common(1)[0][0]


def heading_line(path, text: str) -> int:
    """The line of the Markdown heading (``## Title {#id}``) that prints as ``text``
    (its number, "1.2", before it), in the source file ``path``; 0 if none matches."""
    words = text.split()
    if words and re.fullmatch(r"[\dA-Z]+(\.\d+)*\.?", words[0]):
        words = words[1:]
    wanted = _as_typed(" ".join(words))
    if not wanted:
        return 0
    for n, source in enumerate(_source_text(path), 1):
        m = re.match(r"#{1,6}\s+(.*?)\s*(\{[^}]*\})?\s*#*\s*$", source)
        if m and _as_typed(re.sub(r"[*_`]", "", m.group(1))) == wanted:
            return n
    return 0


# what print sets for what the source types: quotes, dashes, an ellipsis
_TYPED = str.maketrans({"“": '"', "”": '"', "„": '"', "«": '"', "»": '"', "‘": "'",
                        "’": "'", "‚": "'", "\u2014": "---", "\u2013": "--",
                        "\u2026": "...", "\u00a0": " ", "\u2060": "", "\u00ad": ""})


def _as_typed(text: str) -> str:
    """A heading's text as its source types it, for comparing the two: typographic
    quotes straight, dashes as hyphens, spaces single, case folded (a heading "“In
    Flanders Fields”" is ``## "In Flanders Fields"``)."""
    return " ".join(text.translate(_TYPED).replace('"', "").replace("'", "").split()).casefold()


# a Markdown line's end that breaks the line there (a backslash, or two spaces), and the
# marks of links and emphasis around the last word before it
HARD_BREAK = re.compile(r"(?:\\| {2,})$")
_LINK_MARKS = re.compile(r"\]\[[^\]]*\]|\]\([^)]*\)|\{[^}]*\}|[*_`\[\]~^]")


# a link at a line's end: an inline one's address, or a reference link's label
_LAST_LINK = re.compile(r"\]\((\S+?)(?:\s+\"[^\"]*\")?\)\W*$|\]\[([^\]]*)\]\W*$")
_REFERENCE = re.compile(r"^ {0,3}\[([^\]]+)\]:\s*(\S+)")


def _broken_by_author(path, text: str) -> bool:
    """Whether a short line is one the author ended (a hard line break after its last
    word in the source ``path``): short on purpose, as pandoc's would be. Its last word
    is the source's, or the address print writes after a link that ends the line."""
    words = text.split()
    last = re.sub(r"\W", "", words[-1]) if words else ""
    if not last:
        return False
    lines = _source_text(path)
    references = {m.group(1).casefold(): m.group(2) for m in map(_REFERENCE.match, lines) if m}
    for source in lines:
        if HARD_BREAK.search(source):
            ending = source.rstrip(" \\")
            typed = _LINK_MARKS.sub("", ending).split()
            link = _LAST_LINK.search(ending)
            address = (link.group(1) or references.get((link.group(2) or "").casefold(), "")
                       if link else "")
            if any(re.sub(r"\W", "", word).endswith(last)
                   for word in ([typed[-1]] if typed else []) + [address]):
                return True
    return False


def _source_text(path) -> list[str]:
    """The lines of a Markdown source file; none if it is not one or cannot be read."""
    if not str(path).endswith(".md"):
        return []
    text = _confined_text(path)
    return text.splitlines() if text is not None else []


def _confined_text(path) -> str | None:
    """A book's source file's text, read through the sandbox (confined to its folder:
    a FIFO or a symlink put in its place is not read); None if it cannot be."""
    from .readers import Refused, read_confined
    try:
        return read_confined(Path(path), [Path(path).parent], "bibliography").decode("utf-8")
    except (Refused, UnicodeDecodeError):
        return None


def _words(text: str) -> list[str]:
    """The words of a text that can be told apart: of two characters or more, letters
    among them (figures, a formula's subscripts, stand anywhere). Japanese or Chinese,
    written without spaces, has a word for each two characters in a row (overlapping):
    a printed line starts and ends inside the run of characters between two commas."""
    words = []
    for run in re.findall(r"[^\W_]+", text.casefold()):
        for wide, part in groupby(run, _wide):
            part = "".join(part)
            words += [part[k:k + 2] for k in range(len(part) - 1)] if wide else [part]
    return [w for w in words if len(w) > 1 and not w.isdigit()]


def text_line(path, text: str, near: int = 0) -> int:
    """The line of the Markdown source file ``path`` where the words a printed line
    sets (``text``) stand, in their order, most of them (the markup, a citation's key,
    a cross-reference's number may part or replace a few); 0 if none has them. Of
    several that have them as well, the first from line ``near`` on, else the last before
    it (the page's source: a verse quoted twice, in a question's extract and in the
    text)."""
    words = _words(text)
    if re.search(r"[^\W\d_][" + "".join(HYPHENS) + r"]$", text.rstrip()) and words:
        words = words[:-1]                   # a word broken at the line's end: its head
    if len(words) < 3:
        return 0
    source, at = [], []                      # the file's words, and each one's line
    for n, source_line in enumerate(_source_text(path), 1):
        found = _words(source_line)
        source += found
        at += [n] * len(found)
    where: dict[str, list[int]] = {}
    for k, word in enumerate(source):
        where.setdefault(word, []).append(k)
    best, lines = 0, []
    # the line's first word may be the tail of one broken on the line before it
    for first in range(2):
        for k in where.get(words[first], []):
            matched, nxt = 1, k + 1
            for word in words[first + 1:]:
                ahead = source[nxt:nxt + 4]
                if word in ahead:
                    matched, nxt = matched + 1, nxt + ahead.index(word) + 1
            if matched > best:
                best, lines = matched, [at[k]]
            elif matched == best:
                lines.append(at[k])
    if not lines or best < max(3, 0.6 * len(words)):
        return 0
    return min((n for n in lines if n >= near), default=max(lines))


def formula_line(path, tex: str, near: int = 0) -> int:
    """The line of the source file ``path`` (Markdown, or YAML, whose quoted strings
    may double each backslash) where the formula ``tex`` (its TeX, as its text
    alternative gives it) stands between its dollars; 0 if none does. Of several, the
    first from line ``near`` on (a data file's item that holds it), else the first."""
    if not tex.strip():
        return 0
    for written in dict.fromkeys((tex, tex.replace("\\", "\\\\"))):
        lines = _lines_written(path, written, r"\$\s*(", r")\s*\$")
        if lines:
            return min((n for n in lines if n >= near), default=lines[0])
    return 0


def citation_line(path, source: str, near: int = 0) -> int:
    """The line of the source file ``path`` where the citation ``source`` (as the text
    has it, "[see @a, p. 3]") stands, the first from line ``near`` on (its line as
    counted in the YAML text that holds it); 0 if none does. YAML folds a text's lines
    into one (``definition: >``): the line counted in the text may come before the
    citation's own."""
    if not source.strip():
        return 0
    return min((n for n in _lines_written(path, source, after=r")(?!\w)") if n >= near),
               default=0)


def _lines_written(path, written: str, before: str = "(", after: str = ")") -> list[int]:
    """The lines of the source file ``path`` (Markdown, or YAML) where ``written`` stands,
    its words parted by any white space (a line break and the next line's indent where
    the text was folded), between the patterns ``before`` and ``after`` (which open and
    close the group whose line it is); none if the file is not one or cannot be read."""
    if not str(path).endswith((".md", ".yaml", ".yml")):
        return []
    text = _confined_text(path)
    if text is None:
        return []
    pattern = r"\s+".join(re.escape(word) for word in written.split())
    return [text.count("\n", 0, m.start(1)) + 1
            for m in re.finditer(before + pattern + after, text)]


def drawing_line(path, alt: str) -> int:
    """The line of the formula (its TeX) or the picture (``![alt](…)``) whose text
    alternative is ``alt``, in the source file ``path``; 0 if none is found."""
    line = formula_line(path, alt)
    wanted = _words(alt)
    for n, source in enumerate(_source_text(path) if wanted and not line else [], 1):
        if any(_words(written) == wanted for written in IMAGE_ALT.findall(source)):
            return n
    return line


IMAGE_ALT = re.compile(r"!\[((?:[^\]\\]|\\.)*)\]")


def _in_drawing(line: Line, drawing: Drawing) -> bool:
    """``line`` is printed inside what a Figure draws (the words of a picture)."""
    return drawing.x0 - 1 <= line.x0 and line.x1 <= drawing.x1 + 1 and \
        drawing.top - 1 <= line.top and line.bottom <= drawing.bottom + 1


def _drawn(page: PageText, line: Line) -> bool:
    """``line`` is a picture's own words, not the text's: every character of it is one
    a Figure of the page draws."""
    return bool(page.drawings) and all(_drawn_chars(page, line))


def _drawn_chars(page: PageText, line: Line) -> list[bool]:
    """For each inked character of ``line``, whether a Figure of the page draws it (a
    picture's words, on a line of their own or beside the text's): its origin, on its
    baseline, is inside what the Figure draws (the bounds of a drawn text are its
    glyphs', tighter than the box a character is read with)."""
    if not page.drawings:
        return [False] * len(line.inked)
    return [any(d.x0 - 1 <= left <= d.x1 + 1 and d.top - 1 <= page.height - base <= d.bottom + 1
                for d in page.drawings)
            for left, base in zip(line.lefts, line.baselines)]


def _line_beside(path, page: PageText, line: Line) -> int:
    """The source line of a printed ``line`` whose own words are too few to be found
    (the full stop after an inline formula): the formula or picture set on that line,
    else the nearest line above it on the page whose words are found; 0 if neither."""
    height = line.bottom - line.top
    level = [d for d in page.drawings
             if min(d.bottom, line.bottom) - max(d.top, line.top) >= height / 2]
    for d in sorted(level, key=lambda d: max(d.x0 - line.x1, line.x0 - d.x1, 0)):
        found = drawing_line(path, d.alt)
        if found:
            return found
    above = [ln for ln in page.body if ln.bottom <= line.top + 1]
    for ln in sorted(above, key=lambda ln: -ln.bottom)[:3]:
        found = text_line(path, ln.text)
        if found:
            return found
    return 0


CAPTION = re.compile(r"^\S+ ((?:[A-Z]|\d+)(?:\.\d+)+)\.?\s+(.*)$")  # "Table 4.1. Its caption"


CAPTION_LINE = re.compile(r"\s*(?:[Tt]able)?:\s")       # pandoc's table caption


def caption_line(path, caption: str) -> int:
    """The line of a Markdown table's caption (``Table: …`` or ``: …``) that prints
    ``caption``, in the source file ``path``; 0 if none does."""
    wanted = _words(caption)
    for n, source in enumerate(_source_text(path), 1):
        m = CAPTION_LINE.match(source)
        if wanted and m and _words(re.sub(r"\{[^}]*\}\s*$", "", source[m.end():])) == wanted:
            return n
    return 0


def _in_table(line: Line, table) -> bool:
    _, top, _, bottom = table[0]
    return line.top >= top - 2 and line.bottom <= bottom + 2


def _table_source(pages: list[PageText], i: int, table, body_size: float,
                  tables: dict[str, tuple[str, int]], page_source: tuple) -> tuple:
    """The source file and line of a table on page ``i``: found by the label of its
    caption (the lines just above it, or above the part of it on the page before),
    else by the caption's words in the page's source file (a Markdown table's
    ``Table:`` line: the table's own first line, next to it), else by its first row's
    words there; else the page's source."""
    path, line = page_source
    caption: list[Line] = []
    top = table[0][1]
    for j in range(i, max(i - 2, -1), -1):   # this page, and the one before
        page = pages[j]
        above = [ln for ln in _text_lines_of(page)
                 if ln.bottom <= top + 1 and not any(_in_table(ln, t) for t in page.tables)]
        if above:
            caption = [above[-1]]
            for ln in reversed(above[-3:-1]):   # a caption set on two or three lines
                if (ln.font, ln.size) != (caption[0].font, caption[0].size) or \
                        caption[0].top - ln.bottom > body_size:
                    break
                caption.insert(0, ln)
            break
        top = pages[j - 1].height if j else 0
    text = " ".join(ln.text for ln in caption).replace("\xa0", " ").replace("\u202f", " ")
    for label, place in tables.items():
        if re.match(re.escape(label.replace("\xa0", " ")) + r"(?!\w|\.\w)", text):
            return str(place[0]), place[1]
    m = CAPTION.match(text)
    found = _markdown_table(path, caption_line(path, m.group(2))) if m else 0
    if not found:
        rows = [ln for ln in _text_lines_of(pages[i]) if _in_table(ln, table)]
        found = text_line(path, rows[0].text) if rows else 0
    return path, found or line


def _markdown_table(path, line: int) -> int:
    """The first line of the Markdown table whose caption stands at ``line`` (pandoc's
    ``Table:`` or ``:`` caption, after the table or before it); else ``line``."""
    lines = _source_text(path)
    if not 0 < line <= len(lines) or not CAPTION_LINE.match(lines[line - 1]):
        return line
    for step in (-1, 1):
        k = line - 1 + step
        if 0 <= k < len(lines) and not lines[k].strip():
            k += step                       # a blank line between
        block = []
        while 0 <= k < len(lines) and lines[k].strip() and not CAPTION_LINE.match(lines[k]):
            block.append(k)
            k += step
        if any(re.search(r"\||^\s*[-+=]{3,}|\s-{3,}", lines[b]) for b in block):
            return min(block) + 1
    return line


def _in_headings_face(line: Line) -> bool:
    return "Biolinum" in line.font or "Sans" in line.font


def _is_heading(line: Line, body_size: float) -> bool:
    return _in_headings_face(line) and line.size > body_size * 1.05 and len(line.text) < 120


def _section_ends(heading: Line, after: list[Line], nxt: PageText | None,
                  body_size: float) -> bool:
    """Whether the section a heading opens ends on its page: a heading of its rank or
    a higher one (set as large or larger) follows it there or opens the next page, or
    the next page opens with a box's title (a line of capitals in the headings' face:
    the key points, the questions that close a chapter)."""
    def closes(line: Line) -> bool:
        return _is_heading(line, body_size) and line.size >= heading.size - 0.3

    if any(closes(line) for line in after):
        return True
    first = _text_lines_of(nxt)[:1] if nxt is not None else []
    return bool(first) and (closes(first[0]) or _is_box_title(first[0]))


def _is_box_title(line: Line) -> bool:
    return _in_headings_face(line) and any(c.isalpha() for c in line.text) and \
        line.text == line.text.upper()


def _is_question_label(line: Line) -> bool:
    return bool(re.match(r"^\d+\.\s*\W?\s*[A-Z][A-Z ]+$", line.text))


def _caption_above(page: PageText, table) -> bool:
    return False


def check_pdf(path: Path, names: set[str] = frozenset(), labels: list[str] | None = None,
              sources=None, data: bytes | None = None, one_sided: bool = False,
              tables: dict[str, tuple[str, int]] | None = None,
              forced: frozenset[int] = frozenset()) -> list[Finding]:
    """The findings of a PDF file (or of ``data``, the PDF that will be ``path``)."""
    return check_pages(read_pages(data if data is not None else Path(path)), str(path), names,
                       labels, sources, one_sided, tables, forced)


def page_breaks(data: bytes, marker: str) -> frozenset[int]:
    """The pages (numbered from 1) that an author's page break opens: those of the
    named destinations whose names hold ``marker`` (a page break's id)."""
    import pikepdf
    with pikepdf.open(io.BytesIO(data)) as pdf:
        if "/Names" not in pdf.Root or "/Dests" not in pdf.Root.Names:
            return frozenset()
        numbers = {page.objgen: n for n, page in enumerate(pdf.pages, 1)}
        found = set()
        for name, dest in pikepdf.NameTree(pdf.Root.Names.Dests).items():
            if marker in name and isinstance(dest, pikepdf.Array) and len(dest):
                found.add(numbers.get(dest[0].objgen))
        return frozenset(found - {None})


def page_sources(page_starts: list[tuple[str, list[str]]],
                 id_lines: dict[str, tuple | None]) -> list[tuple[str, int] | None]:
    """Each page's source: that of the last element with a known source that starts on
    it or before it (an edition's ``Layout.page_starts``). An element known to have no
    source (None: a part the builder makes of many sources, as the index) ends the one
    before it: its pages have none, not the last page's."""
    out, current = [], None
    for _, names in page_starts:
        for name in names:
            if name.startswith("\u2026") or name not in id_lines:
                continue
            known = id_lines[name]
            current = (str(known[0]), known[1]) if known is not None else None
        out.append(current)
    return out


def measure(path: Path) -> dict:
    """The page's numbers: the median body line in characters, the share of lines that
    end in a hyphen, and the notes printed off their call's page."""
    pages = read_pages(Path(path))
    body_size = _body_size(pages)
    lengths, hyphenated, total = [], 0, 0
    for p in pages:
        for ln in p.body:
            if ln not in p.notes and abs(ln.size - body_size) < 0.2 and p.head:
                total += 1
                hyphenated += ln.text.endswith(HYPHENS)
                lengths.append(len(ln.text))
    full = sorted(n for n in lengths if n > 20)
    findings = check_pages(pages, str(path))
    return {"median_line": full[len(full) // 2] if full else 0,
            "hyphen_share": hyphenated / total if total else 0.0,
            "notes_off_page": sum(1 for f in findings if f.check == "footnote"
                                  and "another page than its call" in f.message),
            "pages": len(pages)}
