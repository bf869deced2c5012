"""Everything the PDF writer does with WeasyPrint beyond its public API.

The builder typesets through WeasyPrint's public API (``HTML``, ``CSS``, ``render``,
``write_pdf``). One mechanism that makes it fast reaches further, and it lives here:

``numbers``
    A body part is laid out once from its *shape* (its page numbers as zeros) and the
    real numbers are written into the laid-out text boxes (``TextBox.text``, its Pango
    layout's text, a folio's position and width; the page's box tree through
    ``Page._page_box``) before the page is drawn. Its public counterpart lays the part out
    a second time from its HTML with the numbers written in (``pdf.number_html``): the
    same pages, one more layout per part.

Whether it is used is decided once per process (``private``): only with the versions of
WeasyPrint the suite runs on (``TESTED``), and when a self-test passes (a tiny
document laid out from its shape and numbered, and the same document typeset with its
numbers by WeasyPrint itself, must draw the same pages; an attribute that is gone fails
it too). Otherwise the builder warns once and takes the public path, which gives the
same pages. ``STUDYGUIDE_ENGINE=public`` forces the public path; ``STUDYGUIDE_ENGINE_OFF``
(a comma-separated list of mechanisms, the public ``stylesheets`` too: each worker parses
a book's stylesheet once) turns single mechanisms off, which is how the benchmark
measures what each buys (``bench/run.py --mechanisms``).

``actualtext``
    Not a speed mechanism: the text a PDF reader takes from a line. WeasyPrint gives each
    glyph one text in its font's /ToUnicode, the text of the cluster it was first drawn
    in, and to every glyph of a cluster but the last no text at all. Where a cluster is
    drawn with several glyphs (a Devanagari ि drawn before its consonant, े and ं as one
    glyph) or a glyph stands for other text elsewhere (न first drawn in "नि"), the text
    read back is wrong, and a glyph with no text is read by some readers as its code (the
    IPA letters ɛ ə ɚ ɜ for Noto's ि glyphs). WeasyPrint's ``draw_first_line`` is wrapped
    (``text_layer``): after it has drawn a line, every word whose glyphs would not read
    as its text is enclosed in a marked-content sequence with that text as its
    /ActualText, which text extraction, search and screen readers take instead of the
    glyphs' own. A line is left as drawn if its glyphs are not those of its Pango
    layout. The wrapper is put in place once a process, by the first ``enabled`` or
    ``private``, with a WeasyPrint of the tested versions, and does nothing while the
    mechanism is turned off.

``footnotes``
    Not a speed mechanism either: where a note goes. WeasyPrint tells whether the notes
    of a page overflow their area by comparing two sums of the same lengths added in
    another order; for a note of several paragraphs the two can differ in the last bit
    (2e-13 px), and a note that fits is taken for one that does not: its call's line
    goes to the next page (``footnote-policy: line``), and every later note of the page
    after it too, a page late, leaving a page of three lines (a Polish chapter's
    opening). ``LayoutContext._update_footnote_area`` is wrapped (``footnote_area``):
    an overflow it reports is measured again, and one of less than a thousandth of a
    pixel is none. Put in place and turned off as ``actualtext`` is.
"""
from __future__ import annotations

import os
import re
import warnings
from functools import lru_cache
from importlib import metadata

PRIVATE = ("numbers", "actualtext", "footnotes")   # reach beyond WeasyPrint's public API
PUBLIC = ("stylesheets",)                 # speed mechanisms through public APIs
MECHANISMS = PRIVATE + PUBLIC
FORCE = "STUDYGUIDE_ENGINE"               # "public": never use the private mechanisms
OFF = "STUDYGUIDE_ENGINE_OFF"             # mechanisms turned off, comma-separated

# The versions the suite runs on, lowest (``make test-oldest``) to newest: [low, high).
TESTED = {"weasyprint": ((70, 0), (71,))}


class EngineWarning(UserWarning):
    """The installed WeasyPrint is not one the private mechanism is known to work with,
    or no longer behaves as it did: the builder takes the public path."""


def switches() -> str:
    """The switches set in the environment, for cache keys: results made with other
    mechanisms are not reused (they are the same pages, not always the same bytes)."""
    return f"{os.environ.get(FORCE, '')}|{os.environ.get(OFF, '')}"


def turned_off() -> set[str]:
    off = {name.strip() for name in os.environ.get(OFF, "").split(",") if name.strip()}
    if os.environ.get(FORCE, "") == "public":
        off.update(PRIVATE)
    return off


def enabled(name: str) -> bool:
    """Whether the mechanism ``name`` is used in this process."""
    assert name in MECHANISMS, name
    text_layer()
    footnote_area()
    if name in turned_off():
        return False
    return name in PUBLIC or private()


def _version(package: str) -> tuple[int, ...]:
    return tuple(int(n) for n in re.findall(r"\d+", metadata.version(package))[:3])


def _untested() -> list[str]:
    """The installed packages whose version is outside the tested range."""
    out = []
    for package, (low, high) in TESTED.items():
        try:
            version = _version(package)
        except metadata.PackageNotFoundError:
            out.append(f"{package} (not installed)")
            continue
        if not low <= version < high:
            out.append(f"{package} {'.'.join(map(str, version))} (tested: "
                       f"{'.'.join(map(str, low))} up to {'.'.join(map(str, high))}, "
                       f"not included)")
    return out


def private() -> bool:
    """Whether this process may use the private mechanisms (``checked``), unless the
    public path was asked for."""
    text_layer()
    footnote_area()
    return not set(PRIVATE) <= turned_off() and checked()


@lru_cache(maxsize=1)
def checked() -> bool:
    """Whether the installed WeasyPrint passes the checks: decided once a process, with
    one warning when it does not (``fallback_note`` says the same to a build)."""
    global _problem
    problem = ""
    untested = _untested()
    if untested:
        problem = "untested " + ", ".join(untested)
    else:
        try:
            problem = self_test()
        except Exception as exc:       # noqa: BLE001 - an internal that moved or changed
            problem = f"self-test failed ({type(exc).__name__}: {exc})"
    _problem = problem
    if problem:
        warnings.warn(_note(problem), EngineWarning, stacklevel=2)
        return False
    return True


_problem = ""


def fallback_note() -> str:
    """Why this process takes the public path though the private one was not turned off
    ("" when it does not): the warning a build reports, asked of a worker."""
    if set(PRIVATE) <= turned_off() or checked():
        return ""
    return _note(_problem)


def _note(problem: str) -> str:
    return (f"WeasyPrint's internals: {problem}; every part is typeset twice by "
            "WeasyPrint's public API instead (the same pages, slower)")


# -- numbers --------------------------------------------------------------------------

def _text_boxes(box, margin=None):
    """Every text box under ``box``, with the margin box it sits in (or None)."""
    from weasyprint.formatting_structure import boxes
    if isinstance(box, boxes.MarginBox):
        margin = box
    if isinstance(box, boxes.TextBox):
        yield box, margin
    for child in getattr(box, "children", None) or ():
        yield from _text_boxes(child, margin)


def _set_text(box, text: str) -> None:
    """Give a laid-out text box new text; what it was laid out with is kept, so that
    the same layout can be numbered again for another edition."""
    if not hasattr(box, "shape_text"):
        box.shape_text, box.shape_x, box.shape_width = box.text, box.position_x, box.width
    box.text = text
    box.pango_layout.text = text      # what drawing lays the line out from again


def _set_folio(box, margin, label: str) -> None:
    """A folio with more digits than the one it was laid out with keeps its alignment."""
    _set_text(box, label)
    grow = (len(label) - len(box.shape_text)) * box.shape_width / len(box.shape_text)
    align = margin.style["text_align_all"]
    shift = grow if align in ("right", "end") else grow / 2 if align == "center" else 0
    box.position_x = box.shape_x - shift
    box.width = box.shape_width + grow


def page_number(shape: str, number: str | None) -> str | None:
    """The text a page number laid out as ``shape`` ("(p. 00)", "00") prints for
    ``number``; "?" in place of the zeros if the digits differ (the numbers never
    settled); None if it prints no number."""
    zeros = re.search(r"0+", shape)
    if number is None or zeros is None:
        return None
    if len(number) != len(zeros.group()):
        number = "?"
    return shape[:zeros.start()] + number + shape[zeros.end():]


def number_target(element, xref_scheme: str) -> str:
    """The anchor whose page an element marked with ``data-page`` prints."""
    target = element.get("data-target")
    if target is None:
        href = element.get("href") or ""
        target = href[1:] if href.startswith("#") else href[len(xref_scheme):]
    return target


def number_layout(document, first_page: int | None, pages: dict[str, str],
                  xref_scheme: str) -> None:
    """Write the real page numbers into a layout made from a part's shape (folios from
    ``first_page``; None leaves them, as in the front matter, which counts its own)."""
    for i, page in enumerate(document.pages):
        folio = str(i + 1)
        for box, margin in _text_boxes(page._page_box):
            shape = getattr(box, "shape_text", box.text)
            if margin is not None:
                if first_page is not None and shape == folio:
                    _set_folio(box, margin, str(first_page + i))
                continue
            # a page number: generated from data-page (a cross-reference's "(p. N)"), or
            # the text of an element marked with it (an index locator, a page in the
            # contents)
            element = box.element
            marked = None if element is None else element.get("data-page")
            if marked is None or not ((box.element_tag or "").endswith("::after") or
                                      shape == marked):
                continue
            text = page_number(shape, pages.get(number_target(element, xref_scheme)))
            if text is not None:
                _set_text(box, text)


# -- the self-test --------------------------------------------------------------------

_TEST_CSS = ("@page { size: 90mm 60mm; margin: 10mm; @bottom-right { content: counter(page);"
             " font-variant-numeric: tabular-nums; } } body { font-family: serif;"
             " font-variant-numeric: tabular-nums; } a::after { content: ' (p. ' attr(data-page)"
             " ')'; }")


def _test_html(first: int | None, xref: str, locator: str) -> str:
    counter = f"@page :first {{ counter-reset: page {first}; }}" if first else ""
    return (f"<html lang=en><head><title>t</title><style>{_TEST_CSS}{counter}</style></head>"
            f"<body><p id=a>See <a href='#b' data-page='{xref}'>there</a> and "
            f"<span data-target='b' data-page='{locator}'>{locator}</span>.</p>"
            f"<p id=b style='break-before: page'>Here.</p></body></html>")


def self_test() -> str:
    """A tiny document laid out from its shape and numbered must draw the same page as
    the document typeset with its numbers: "" if it does, else what differs."""
    import io

    import pikepdf
    from weasyprint import HTML
    numbered = HTML(string=_test_html(None, "00", "00")).render()
    number_layout(numbered, 7, {"b": "42"}, "xref:")
    direct = HTML(string=_test_html(7, "42", "42")).render()

    def contents(document) -> list[bytes]:
        data = document.write_pdf()
        with pikepdf.open(io.BytesIO(data)) as pdf:
            return [page.obj.Contents.read_bytes() for page in pdf.pages]
    written = [box.text for page in numbered.pages for box, _ in _text_boxes(page._page_box)]
    if not {" (p. 42)", "42", "8"} <= set(written):
        return "self-test: the numbers were not written"
    a, b = contents(numbered), contents(direct)
    if a != b:
        return "self-test: a numbered layout does not draw what WeasyPrint draws"
    return ""


# -- footnotes ------------------------------------------------------------------------

# the least overflow of a page's notes that is one, in CSS px (less is rounding)
FOOTNOTE_SLACK = 1e-3


@lru_cache(maxsize=1)
def footnote_area() -> bool:
    """Wrap WeasyPrint's ``LayoutContext._update_footnote_area`` (once a process) so that
    an overflow of a page's notes smaller than ``FOOTNOTE_SLACK`` is none
    (``footnotes``); False where the installed WeasyPrint is not one the suite runs on,
    or has no such method."""
    if _untested():
        return False
    try:
        from weasyprint.formatting_structure import build
        from weasyprint.layout import LayoutContext, block_level_layout
    except ImportError:
        return False
    update = getattr(LayoutContext, "_update_footnote_area", None)
    if update is None:
        return False
    LayoutContext._update_footnote_area = measured_again(update, build, block_level_layout)
    return True


def measured_again(update, build, block_level_layout):
    """``update`` (``_update_footnote_area``), an overflow it reports measured again."""
    def _update_footnote_area(self):
        overflow = update(self)
        if overflow and self.current_page_footnotes and "footnotes" not in turned_off():
            try:
                overflow = _notes_overflow(self, build, block_level_layout)
            except Exception:       # noqa: BLE001 - internals that changed: as reported
                pass
        return overflow
    return _update_footnote_area


def _notes_overflow(context, build, block_level_layout) -> bool:
    """Whether the notes of the page being laid out run past their area by more than
    ``FOOTNOTE_SLACK``: the area laid out again as WeasyPrint has just laid it out (a
    copy, which changes nothing)."""
    from math import inf
    area = context.current_footnote_area
    laid = block_level_layout(context, build.create_anonymous_boxes(area.deepcopy()), -inf,
                              None, area.page)[0]
    last = laid.children[-1]
    end = last.position_y + last.margin_height() - last.margin_bottom
    bottom = laid.position_y + laid.margin_height() - laid.margin_bottom
    return end - bottom > FOOTNOTE_SLACK


# -- actualtext -----------------------------------------------------------------------

_TJ_ITEM = re.compile(rb"<([0-9a-fA-F]*)>|([-+]?[0-9.]+)")
# a text whose every glyph reads as its character: Latin, Greek, Cyrillic and Armenian
# without combining marks, Latin's further letters and ligatures, punctuation and
# symbols (a line of such text is not looked at: that would double its drawing's time)
_ONE_TO_ONE = re.compile("[^\u0300-\u036f\u0483-\u0489\u0590-\u1dff\u1f00-\u1fff"
                         "\u20d0-\u20ff\u2c00-\ufaff\ufb07-\U0010ffff]*")


@lru_cache(maxsize=1)
def text_layer() -> bool:
    """Wrap WeasyPrint's ``draw_first_line`` (once a process) so that the words it draws
    carry the /ActualText their glyphs do not give (``actualtext``); False where the
    installed WeasyPrint is not one the suite runs on, or has no such function."""
    if _untested():
        return False
    try:
        from weasyprint.draw import text
    except ImportError:
        return False
    drawn = getattr(text, "draw_first_line", None)
    if drawn is None:
        return False

    def draw_first_line(stream, textbox, *args, **kwargs):
        start = len(stream.stream)
        out = drawn(stream, textbox, *args, **kwargs)
        if not _ONE_TO_ONE.fullmatch(textbox.pango_layout.text) and \
                "actualtext" not in turned_off():
            try:
                _actual_text(stream, textbox, start)
            except Exception:       # noqa: BLE001 - internals that changed: the line as drawn
                pass
        return out

    text.draw_first_line = draw_first_line
    return True


def _line_glyphs(stream, textbox) -> list[tuple[int, object, bool, str, bool]] | None:
    """The glyphs WeasyPrint has drawn of a text box's first line, in drawing order (from
    the left), as (code, font, right to left, the text of the cluster it opens, or ""
    for a cluster's further glyphs, whether it is moved from its place: a mark);
    code -1: an empty glyph, which draws nothing. None for a bitmap font's line."""
    from weasyprint.text.ffi import ffi, pango
    first_line, _ = textbox.pango_layout.get_first_line()
    utf8 = textbox.pango_layout.text.encode()
    out = []
    run = first_line.runs[0]
    while run != ffi.NULL:
        glyph_item = run.data
        run = run.next
        item = glyph_item.item
        rtl = bool(item.analysis.level % 2)
        font, _ = stream.add_font(item.analysis.font)
        if font.bitmap:
            return None
        glyphs = glyph_item.glyphs
        clusters = glyphs.log_clusters
        count = glyphs.num_glyphs
        for i in range(count):
            glyph = glyphs.glyphs[i].glyph
            text = ""
            if i == 0 or clusters[i] != clusters[i - 1]:
                # a cluster's text runs to the next cluster's in logical order: to the
                # right of it, or to the left in right-to-left text
                later = range(i - 1, -1, -1) if rtl else range(i + 1, count)
                end = next((clusters[j] for j in later if clusters[j] != clusters[i]),
                           item.length)
                text = utf8[item.offset + clusters[i]:item.offset + end].decode()
            if glyph == pango.PANGO_GLYPH_EMPTY:
                if text:
                    out.append((-1, font, rtl, text, False))
                continue
            if glyph & pango.PANGO_GLYPH_UNKNOWN_FLAG:
                glyph = font.missing[glyph - pango.PANGO_GLYPH_UNKNOWN_FLAG]
            geometry = glyphs.glyphs[i].geometry
            # (moved back, over the glyph before: letter spacing moves glyphs forward)
            out.append((glyph, font, rtl, text, geometry.x_offset < 0 or geometry.y_offset != 0))
    return out


def _words(glyphs) -> list[list[tuple[list[int], str]]]:
    """The stretches of a line whose glyphs do not read as their text, each as its
    clusters: (the drawn glyphs, counted from the line's first, the cluster's text).
    A stretch is a word (a run of clusters that are not white space, in one direction)
    that does not, or that has a glyph moved from its place (poppler takes a mark
    drawn back over its letter for the end of a word: "सं श्लेषण"), taken together with the white space up to the next such word (pdfium
    drops a space drawn on its own between two stretches of /ActualText)."""
    pieces: list = []        # the words and spaces: (clusters, wrong)
    word: list = []          # (index of the drawn glyph, code, font, text)
    moved = [False]          # a glyph of the word is moved from its place

    def close(rtl):
        drawn = [(code, font) for _, code, font, _ in word if code >= 0]
        if drawn:
            shown = "".join(t for *_, t in word)          # the clusters from the left
            read = [font.to_unicode.get(code, "") for code, font in drawn]
            # (not right-to-left words: poppler and pdfium reverse their /ActualText)
            pieces.append((_clusters(word), not rtl and (moved[0] or not all(read) or
                                                          _plain("".join(read)) != _plain(shown))))
        word.clear()
        moved[0] = False

    index = 0
    previous = False
    for code, font, rtl, text, offset in glyphs:
        if text and not text.strip():
            close(previous)
            pieces.append((_clusters([(index, code, font, text)]), None))
        else:
            if rtl != previous:
                close(previous)
            word.append((index, code, font, text))
            moved[0] = moved[0] or offset
        previous = rtl
        index += code >= 0
    close(previous)
    out: list[list] = []
    space = None        # the white space since the last such word (None: another word)
    for clusters, wrong in pieces:
        if wrong is None:
            space = None if space is None else space + clusters
        elif not wrong:
            space = None
        else:
            if space is not None:
                out[-1] += space + clusters
            else:
                out.append(clusters)
            space = []
    return out


def _clusters(glyphs) -> list[tuple[list[int], str]]:
    """Glyphs (index of the drawn glyph, code, font, text) as clusters: each opens where
    a glyph has text (an empty glyph, code -1, is not drawn)."""
    out: list[tuple[list[int], str]] = []
    for index, code, _, text in glyphs:
        if text or not out:
            out.append(([], text))
        if code >= 0:
            out[-1][0].append(index)
    return out


def _plain(text: str) -> str:
    """A text without its format characters (a soft hyphen, a joiner), which a reader
    does not need to be told."""
    import unicodedata
    return "".join(c for c in text if unicodedata.category(c) != "Cf")


def _actual_text(stream, textbox, start: int) -> None:
    """Enclose each word of the line drawn into ``stream`` from chunk ``start`` whose
    glyphs would not read as its text in a marked-content sequence with its text as
    /ActualText, splitting the TJ arrays where a word begins and ends."""
    glyphs = _line_glyphs(stream, textbox)
    if not glyphs:
        return
    words = _words(glyphs)
    if not words:
        return
    codes = [code for code, *_ in glyphs if code >= 0]
    chunks = stream.stream[start:]
    parsed: dict[int, list] = {}          # chunk index -> its items: (glyph code | bytes)
    drawn = []
    for n, chunk in enumerate(chunks):
        if isinstance(chunk, bytes) and chunk.startswith(b"[") and chunk.endswith(b"] TJ"):
            items = []
            for match in _TJ_ITEM.finditer(chunk[1:-4]):
                hexa, number = match.groups()
                if number is not None:
                    items.append(number)
                elif not hexa:
                    items.append(b"<>")
                elif len(hexa) % 4:
                    return             # not WeasyPrint's two-byte codes
                else:
                    for i in range(0, len(hexa), 4):
                        items.append(int(hexa[i:i + 4], 16))
                        drawn.append((n, len(items) - 1))
            parsed[n] = items
    if [parsed[n][i] for n, i in drawn] != codes:
        return                         # not the glyphs of the layout: leave the line
    marks: dict[tuple[int, int], list[bytes]] = {}     # before item: marked-content ops
    for stretch in words:
        # one /ActualText for each text object (TJ) a stretch's clusters begin in, for
        # pdfium reads the text of one as placed on that text object alone
        spans: list[tuple[list[int], str]] = []
        for indices, text in stretch:
            if spans and (not indices or not spans[-1][0] or
                          drawn[indices[0]][0] == drawn[spans[-1][0][-1]][0]):
                spans[-1] = (spans[-1][0] + indices, spans[-1][1] + text)
            else:
                spans.append((list(indices), text))
        for indices, text in spans:
            if not indices:
                continue
            marks.setdefault(drawn[indices[0]], []).append(
                b"/Span <</ActualText <feff" + text.encode("utf-16-be").hex().encode() +
                b">>> BDC")
            n, i = drawn[indices[-1]]
            marks.setdefault((n, i + 1), []).insert(0, b"EMC")
    out = []
    for n, chunk in enumerate(chunks):
        if n not in parsed or not any(key[0] == n for key in marks):
            out.append(chunk)
            continue
        array: list[bytes] = []
        for i, item in enumerate([*parsed[n], None]):
            if (n, i) in marks:
                if array:
                    out.append(b"[" + b"".join(array) + b"] TJ")
                    array = []
                out.extend(marks[(n, i)])
            if item is not None:
                array.append(b"<%04x>" % item if isinstance(item, int) else
                             item if item == b"<>" else b" " + item + b" ")
        if array:
            out.append(b"[" + b"".join(array) + b"] TJ")
    stream.stream[start:] = out
