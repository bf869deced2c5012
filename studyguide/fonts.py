"""The book's typefaces: present, or a warning that the CSS fallback will be used; the
characters no font can draw; and the fonts a book brings of its own."""
from __future__ import annotations

import bisect
import functools
import hashlib
import io
import os
import re
import subprocess
import sys
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from struct import error as struct_error

from .readers import Refused, read_confined

# (family the stylesheets ask for first, what it is for, the Debian package that has it)
BOOK_FONTS = (("Linux Libertine O", "text", "fonts-linuxlibertine"),
              ("Linux Biolinum O", "headings", "fonts-linuxlibertine"),
              ("Liberation Mono", "code", "fonts-liberation2"))


@functools.lru_cache(maxsize=1)
def installed_families() -> frozenset[str] | None:
    try:
        out = subprocess.run(["fc-list", ":", "family"], capture_output=True, text=True,
                             timeout=30).stdout
    except (OSError, subprocess.SubprocessError):
        return None
    return frozenset(f.strip() for line in out.splitlines() for f in line.split(","))


def missing_fonts() -> list[str]:
    """One message per missing typeface; empty when all are there (or fontconfig is absent)."""
    families = installed_families()
    if families is None:
        return []
    return [f"font '{family}' for the {use} is not installed (Debian package {package}); "
            "the PDF falls back to the next font in the stylesheet's list"
            for family, use, package in BOOK_FONTS if family not in families]


# -- characters no font can draw, and fonts a book brings -----------------------------
FONT_SUFFIXES = {".otf": "font/otf", ".ttf": "font/ttf"}
# Characters that draw nothing: never checked against the fonts
_INVISIBLE = {"Cc", "Cf", "Zs", "Zl", "Zp", "Mn", "Me"}
MAX_LINES = 20      # lines reported per file before the rest are summed up


@dataclass(frozen=True)
class BookFont:
    """A font file in the book folder (book.yaml ``fonts:``), with what its name table
    and OS/2 table say it is."""
    path: Path
    rel: str              # its path in the book folder, as both formats name it
    family: str
    weight: int = 400
    italic: bool = False
    root: Path | None = None     # the book folder, which the file is read confined to
                                 # (None: the folder the path names it in)

    @property
    def roots(self) -> list[Path]:
        return [self.root if self.root is not None else self.path.parent]


def read_font(path: Path, rel: str, data: bytes | None = None,
              root: Path | None = None) -> BookFont:
    """A book's font file (``data``: its bytes, as the sandbox read them; without them,
    read here through the sandbox, confined to ``root``, by default the folder the path
    names it in), its family taken from the file; ValueError if it is no font."""
    from fontTools.ttLib import TTFont, TTLibError
    if data is None:
        try:
            data = read_confined(path, [root if root is not None else path.parent], "font")
        except Refused as exc:
            raise ValueError(f"cannot be read: {exc}") from None
    try:
        with TTFont(io.BytesIO(data), lazy=True, fontNumber=0) as font:
            family = font["name"].getBestFamilyName()
            weight = font["OS/2"].usWeightClass if "OS/2" in font else 400
            italic = bool(font["head"].macStyle & 2)
            font.getBestCmap()
    except (TTLibError, OSError, KeyError, AssertionError, struct_error) as exc:
        raise ValueError(f"cannot be read as a font ({type(exc).__name__}: {exc})") from None
    if not family:
        raise ValueError("names no font family")
    return BookFont(path, rel, family, weight, italic, root)


# OS/2 fsType: the font's licence forbids subsetting it (embed it whole, or not at all)
NO_SUBSETTING = 0x0100


def subset_font(data: bytes, chars: str, memo=None) -> bytes:
    """A book's font file cut down to the glyphs of ``chars`` (and whatever glyphs the
    font's layout features reach from them: vertical forms, ligatures, small capitals),
    the file an EPUB carries. Everything else the font has stays as it is: every layout
    feature and script of GSUB and GPOS, the vertical metrics, every name, the hinting,
    the glyph names, the flavour (CFF or TrueType). The same font and characters give
    the same bytes (the font's dates are kept, not set to now). A font whose licence
    forbids subsetting (``NO_SUBSETTING``), or that fontTools cannot subset, is returned
    whole. ``memo`` (the build's cache) keeps the result by font and characters."""
    import fontTools
    from fontTools import subset

    from .cache import digest
    chars = "".join(sorted(set(chars)))
    key = digest("font subset", fontTools.version, data, chars)
    kept = memo.get(key) if memo is not None else None
    if kept is not None:
        return kept
    options = subset.Options()
    options.layout_features = ["*"]
    options.layout_scripts = ["*"]
    options.name_IDs = ["*"]
    options.name_languages = ["*"]
    options.name_legacy = True
    options.legacy_kern = True
    options.symbol_cmap = options.legacy_cmap = True
    options.glyph_names = True
    options.notdef_outline = True
    options.recalc_timestamp = False    # head.modified as the font has it, not now
    try:
        font = subset.load_font(io.BytesIO(data), options)
        if "OS/2" in font and font["OS/2"].fsType & NO_SUBSETTING:
            return data
        subsetter = subset.Subsetter(options)
        subsetter.populate(text=chars)
        subsetter.subset(font)
        out = io.BytesIO()
        subset.save_font(font, out, options)
    except Exception:       # noqa: BLE001 - a font fontTools reads but cannot subset
        return data
    result = out.getvalue()
    if memo is not None:
        memo.put(key, result)
    return result


def _state(path: Path) -> tuple | None:
    """What a file is now (for the caches of what is read from it): its identity, size
    and modification time; None if it cannot be looked at. Only a cache key: the file
    itself is read through the sandbox, whatever it has become meanwhile."""
    try:
        st = os.stat(path)
    except (OSError, ValueError):
        return None
    return (st.st_dev, st.st_ino, st.st_size, st.st_mtime_ns, st.st_mode)


def _font_bytes(path: Path, roots: Sequence[Path]) -> bytes | None:
    """A book's font file's bytes, read through the sandbox (``readers.read_confined``,
    at the font limit); None if it refuses them (a symlink out of the book, a FIFO, a
    file swapped since the loader read it)."""
    try:
        return read_confined(path, list(roots), "font")
    except Refused:
        return None


@functools.lru_cache(maxsize=64)
def _cmap(path: Path, roots: tuple[Path, ...], state: tuple | None) -> frozenset[int]:
    from fontTools.ttLib import TTFont, TTLibError
    data = _font_bytes(path, roots)
    if data is None:
        return frozenset()
    try:
        with TTFont(io.BytesIO(data), lazy=True, fontNumber=0) as font:
            return frozenset(font.getBestCmap() or ())
    except (TTLibError, OSError, KeyError, AssertionError, struct_error):
        return frozenset()


def cmap(font: BookFont | Path) -> frozenset[int]:
    """The characters a book's font file has glyphs for (none if the sandbox refuses to
    read it). A path is read confined to the folder it names the file in."""
    path, roots = (font.path, font.roots) if isinstance(font, BookFont) else \
        (font, [font.parent])
    return _cmap(path, tuple(roots), _state(path))


@functools.lru_cache(maxsize=1)
def installed_coverage() -> tuple[tuple[int, int], ...] | None:
    """The characters some installed font has, as sorted (first, last) ranges, from
    fontconfig (Pango falls back to any of them); None if fontconfig is absent."""
    try:
        out = subprocess.run(["fc-list", "--format", "%{charset}\n"], capture_output=True,
                             text=True, timeout=30).stdout
    except (OSError, subprocess.SubprocessError):
        return None
    ranges = sorted({(int(a, 16), int(b or a, 16))
                     for a, b in re.findall(r"([0-9a-f]+)(?:-([0-9a-f]+))?", out)})
    merged: list[list[int]] = []
    for first, last in ranges:
        if merged and first <= merged[-1][1] + 1:
            merged[-1][1] = max(merged[-1][1], last)
        else:
            merged.append([first, last])
    return tuple((a, b) for a, b in merged)


def _installed_has(codepoint: int, ranges: tuple[tuple[int, int], ...]) -> bool:
    i = bisect.bisect_right(ranges, (codepoint, sys.maxsize)) - 1
    return i >= 0 and ranges[i][0] <= codepoint <= ranges[i][1]


def undrawable(files: list[Path], book_fonts: list[BookFont],
               roots: Sequence[Path] | None = None) -> list[tuple[Path, int, str]]:
    """(file, line, characters) for every line of these files with characters that no
    installed font and none of the book's fonts has: the PDF would show blank boxes.
    Each file is read through the sandbox, confined to ``roots`` (the book folder; by
    default the folder the path names it in); one it refuses is passed over (the loader
    reported it)."""
    ranges = installed_coverage()
    if ranges is None:
        return []
    own = frozenset().union(*(cmap(f) for f in book_fonts))
    seen: dict[str, bool] = {}

    def missing(ch: str) -> bool:
        if ch not in seen:
            cp = ord(ch)
            seen[ch] = unicodedata.category(ch) not in _INVISIBLE and cp not in own and \
                not _installed_has(cp, ranges)
        return seen[ch]
    out = []
    for path in files:
        try:
            data = read_confined(path, list(roots) if roots is not None else [path.parent],
                                 "bibliography")     # the largest text file's limit
        except Refused:
            continue
        text = data.decode("utf-8", errors="replace")
        if text.isascii():
            continue
        for n, line in enumerate(text.splitlines(), 1):
            chars = "".join(dict.fromkeys(ch for ch in line if not ch.isascii() and missing(ch)))
            if chars:
                out.append((path, n, chars))
    return out


def undrawable_messages(files: list[Path], book_fonts: list[BookFont],
                        roots: Sequence[Path] | None = None):
    """Warnings (file, line, message) for ``undrawable`` characters, at most MAX_LINES
    lines per file and then one line that counts the rest (``roots``: as ``undrawable``
    takes them)."""
    by_file: dict[Path, list] = {}
    for path, line, chars in undrawable(files, book_fonts, roots):
        by_file.setdefault(path, []).append((line, chars))
    for path, lines in by_file.items():
        for line, chars in lines[:MAX_LINES]:
            names = ", ".join(f"{c} (U+{ord(c):04X})" for c in chars[:8]) + \
                (f" and {len(chars) - 8} more" if len(chars) > 8 else "")
            yield path, line, (f"no font can draw {names}: the PDF shows a blank box for "
                               "each; add a font that has them (fonts: in book.yaml)")
        if len(lines) > MAX_LINES:
            rest = "".join(dict.fromkeys("".join(c for _, c in lines[MAX_LINES:])))
            yield path, lines[MAX_LINES][0], (
                f"and {len(lines) - MAX_LINES} more lines with characters no font can draw "
                f"({len(rest)} different)")


def font_face_css(book_fonts: list[BookFont], prefix: str, stylesheets: list[str]) -> str:
    """CSS that loads the book's fonts (``prefix``: the book folder's URL from the
    stylesheet) and adds their families to every font-family list of ``stylesheets``,
    before its generic family, so that they draw what the theme's fonts cannot."""
    if not book_fonts:
        return ""
    faces = [f'@font-face {{ font-family: "{f.family}"; src: url("{prefix}{f.rel}"); '
             f'font-weight: {f.weight}; font-style: {"italic" if f.italic else "normal"}; }}'
             for f in book_fonts]
    families = ", ".join(f'"{name}"' for name in dict.fromkeys(f.family for f in book_fonts))
    rules = []
    for css in stylesheets:
        css = re.sub(r"/\*.*?\*/", "", css, flags=re.S)
        # rules of plain selectors (a margin box's, "@top-left { … }", is not one)
        for selector, body in re.findall(r"(?<![@\w-])([^{}@\s][^{}@]*)\{([^{}]*)\}", css):
            for stack in re.findall(r"font-family:\s*([^;}]+)", body):
                stack = stack.strip().removesuffix("!important").strip()
                if stack in ("inherit", "initial", "unset"):
                    continue
                generic = re.search(r",\s*(serif|sans-serif|monospace|cursive|fantasy)\s*$",
                                    stack)
                new = (stack[:generic.start()] + f", {families}" + stack[generic.start():]
                       if generic else f"{stack}, {families}")
                rules.append(f"{selector.strip()} {{ font-family: {new}; }}")
    return "\n".join(faces + rules) + "\n"


# -- text drawn as outlines ------------------------------------------------------------
# the faces a line of text is drawn in as outlines (DejaVu has Latin, Greek, Cyrillic,
# Hebrew and Arabic), by PostScript name, for (bold, italic, monospace)
OUTLINE_FACES = {(False, False, False): "DejaVuSans", (True, False, False): "DejaVuSans-Bold",
                 (False, True, False): "DejaVuSans-Oblique",
                 (True, True, False): "DejaVuSans-BoldOblique",
                 (False, False, True): "DejaVuSansMono", (True, False, True): "DejaVuSansMono-Bold",
                 (False, True, True): "DejaVuSansMono-Oblique",
                 (True, True, True): "DejaVuSansMono-BoldOblique"}
# letters of the scripts whose letters join (Arabic, Syriac, N'Ko, Mandaic), which no
# oblique of DejaVu has
JOINING = re.compile("[\u0600-\u07ff\u0840-\u08ff\ufb50-\ufdff\ufe70-\ufefc]")


@functools.lru_cache(maxsize=16)
def _outline_font(name: str):
    """The HarfBuzz font of an installed face (by PostScript name), or None."""
    import uharfbuzz as hb

    from .writers.fontfiles import installed_fonts
    for path, index in installed_fonts().get(name, []):
        try:
            return hb.Font(hb.Face(hb.Blob.from_file_path(path), index))
        except Exception:       # noqa: BLE001 - a file HarfBuzz cannot read: the next one
            continue
    return None


def _bidi_runs(text: str) -> list[tuple[int, int, bool]]:
    """The runs of a line in visual order, left to right, as the Unicode Bidirectional
    Algorithm (ICU) sets them, the line's direction that of its first strong letter:
    (first character, length, right to left)."""
    import icu
    bidi = icu.Bidi()
    bidi.setPara(icu.UnicodeString(text), 0xFE)       # UBIDI_DEFAULT_LTR
    # ICU counts UTF-16 units: each character's first unit, and the text's length
    units = [0]
    for ch in text:
        units.append(units[-1] + (2 if ord(ch) > 0xFFFF else 1))
    index = {unit: i for i, unit in enumerate(units)}
    runs = []
    for n in range(bidi.countRuns()):
        start, length, rtl = bidi.getVisualRun(n)
        first = index[start]
        runs.append((first, index[start + length] - first, bool(rtl)))
    return runs


def _book_font(font: BookFont):
    """The HarfBuzz font of a book's font file, read through the sandbox, or None if the
    sandbox refuses it or HarfBuzz cannot read it."""
    return _hb_font(font.path, tuple(font.roots), _state(font.path))


@functools.lru_cache(maxsize=16)
def _hb_font(path: Path, roots: tuple[Path, ...], state: tuple | None):
    """(``state``: the file's as ``_state`` gives it, so that a changed file is read
    again)"""
    import uharfbuzz as hb
    data = _font_bytes(path, roots)
    if data is None:
        return None
    try:
        return hb.Font(hb.Face(hb.Blob(data), 0))
    except Exception:           # noqa: BLE001 - loaded and checked by fontTools already
        return None


# characters that go with the letter before them, in its font: marks, joiners and
# variation selectors (a vowel sign or virama drawn in another font than its consonant
# stands alone)
_FOLLOWERS = {"Mn", "Mc", "Me", "Cf"}
# the scripts of characters shared by every script (spaces, digits, punctuation), which
# print sets in the font of the letters before them where it has them, as Pango does
_SHARED = ("Zyyy", "Zinh")


def _faces(text: str, styles: list[tuple], book_fonts: Sequence[BookFont]) -> list | None:
    """The font each character of a line is drawn in, as print falls back: the theme's
    face for its style (``OUTLINE_FACES``) where it has the character, else the first of
    the book's fonts that has it, nearest in weight and style. A mark or joiner takes its
    letter's font, and a space, digit or punctuation mark that of the letter before it
    in the same style, where they have it. None where a face is not installed or no
    font has a character."""
    import icu
    out: list = []
    for i, ch in enumerate(text):
        bold, italic, mono = styles[i]
        if out and (unicodedata.category(ch) in _FOLLOWERS or styles[i - 1] == styles[i] and
                    icu.Script.getScript(ch).getShortName() in _SHARED) and \
                out[-1].get_nominal_glyph(ord(ch)) is not None:
            out.append(out[-1])
            continue
        theme = _outline_font(OUTLINE_FACES[bold, italic, mono])
        if theme is None:
            return None
        if theme.get_nominal_glyph(ord(ch)) is not None or ch.isspace():
            out.append(theme)
            continue
        own = [f for f in sorted(book_fonts, key=lambda f: (abs(f.weight - (700 if bold else 400)),
                                                            f.italic != italic))
               if ord(ch) in cmap(f)]
        font = _book_font(own[0]) if own else None
        if font is None:
            return None
        out.append(font)
    return out


def _shaped_runs(runs: list[tuple[str, bool, bool, bool]], book_fonts: Sequence[BookFont],
                 features: dict):
    """A line's pieces shaped by HarfBuzz as print sets them: its runs in the order the
    Bidirectional Algorithm gives them, each cut where its style or font changes
    (``_faces``), each shaped with its context: (font, text, start, length, buffer) in
    visual order; None where a line cannot be drawn (``_faces``)."""
    import uharfbuzz as hb
    text = "".join(piece for piece, *_ in runs)
    styles = [tuple(style) for piece, *style in runs for _ in piece]
    bidi = _bidi_runs(text)
    for first, length, _ in bidi:
        for start, count in _cut(range(first, first + length), styles):
            # Arabic in italics is upright and bold, as in the book's text (DejaVu has
            # no italic Arabic)
            bold, italic, mono = styles[start]
            if italic and JOINING.search(text[start:start + count]):
                styles[start:start + count] = [(True, False, mono)] * count
    faces = _faces(text, styles, book_fonts)
    if faces is None:
        return None
    shaped = []
    for first, length, rtl in bidi:
        pieces = _cut(range(first, first + length), [id(f) for f in faces])
        for start, count in reversed(pieces) if rtl else pieces:
            buf = hb.Buffer()
            buf.add_str(text, item_offset=start, item_length=count)   # with its context
            buf.direction = "rtl" if rtl else "ltr"
            buf.guess_segment_properties()
            hb.shape(faces[start], buf, features)
            shaped.append((faces[start], text, start, count, buf))
    return shaped


def _cut(span: range, keys: list) -> list[tuple[int, int]]:
    """``span`` cut where ``keys`` (one for each character) changes: (start, length)."""
    pieces, start = [], span.start
    for i in range(span.start, span.stop + 1):
        if i == span.stop or keys[i] != keys[start]:
            if i > start:
                pieces.append((start, i - start))
            start = i
    return pieces


def outline(runs: list[tuple[str, bool, bool, bool]], size: float,
            book_fonts: Sequence[BookFont] = ()) -> tuple[str, float] | None:
    """A line of text (pieces of it, each with its bold, italic and monospace) as SVG
    path data, set as print sets text: in DejaVu Sans (or Mono), and what it lacks in the
    book's own fonts (``book_fonts``), its runs in the order the Bidirectional Algorithm
    gives them and each shaped by HarfBuzz (Arabic's letters joined, Devanagari's
    conjuncts formed and vowel signs placed), ``size`` units to the em, from the start of
    its baseline (0, 0). Arabic in italics is upright and bold, as in the book's text
    (DejaVu has no italic Arabic). Returns the path and the line's width, or None where
    a face is not installed or no font has a character."""
    from fontTools.pens.svgPathPen import SVGPathPen
    from fontTools.pens.transformPen import TransformPen
    shaped = _shaped_runs(runs, book_fonts, {})
    if shaped is None:
        return None
    pen = SVGPathPen(None, ntos=lambda v: f"{v:.2f}".rstrip("0").rstrip("."))
    x = 0.0
    for font, text, _, _, buf in shaped:
        scale = size / font.face.upem
        for info, pos in zip(buf.glyph_infos, buf.glyph_positions):
            if info.codepoint == 0 and not text[info.cluster].isspace():
                return None
            font.draw_glyph_with_pen(info.codepoint, TransformPen(
                pen, (scale, 0, 0, -scale, x + pos.x_offset * scale, -pos.y_offset * scale)))
            x += pos.x_advance * scale
    return pen.getCommands(), x


# the features a font may apply to any script for its looks alone (Latin's "fi"
# ligature, kerning): a line they change is still drawn right letter by letter
_STYLISTIC = {"liga": False, "clig": False, "kern": False}


def needs_shaping(runs: list[tuple[str, bool, bool, bool]],
                  book_fonts: Sequence[BookFont] = ()) -> bool:
    """Whether a line of text (as ``outline`` takes it) comes out wrong drawn letter by
    letter, as WeasyPrint draws an SVG's text (each character shaped on its own): whether
    HarfBuzz, shaping it in the fonts print draws it in (``outline``'s), gives other
    glyphs, or glyphs otherwise placed, than it gives each of its characters alone
    (Devanagari's conjuncts, reordered vowel signs and marks, which alone stand on a
    dotted circle; Arabic's joined letters; Thai's, Khmer's or Hebrew's marks…). Features
    a font applies for its looks alone (``_STYLISTIC``) do not count. False where the
    line cannot be drawn as outlines either."""
    import uharfbuzz as hb
    if all(ch.isascii() for piece, *_ in runs for ch in piece):
        return False        # Latin letters, drawn one by one in the theme's faces
    shaped = _shaped_runs(runs, book_fonts, _STYLISTIC)
    if shaped is None:
        return False
    for font, text, start, count, buf in shaped:
        alone = []
        for ch in text[start:start + count]:
            one = hb.Buffer()
            one.add_str(ch)
            one.direction = buf.direction
            one.guess_segment_properties()
            hb.shape(font, one, _STYLISTIC)
            alone.extend((info.codepoint, pos.x_offset, pos.y_offset)
                         for info, pos in zip(one.glyph_infos, one.glyph_positions))
        if buf.direction == "rtl":
            alone.reverse()
        if [(info.codepoint, pos.x_offset, pos.y_offset) for info, pos in
                zip(buf.glyph_infos, buf.glyph_positions)] != alone:
            return True
    return False


def unshaped_svg_text(svg: bytes | Path, roots: Sequence[Path] | None = None) -> str | None:
    """What print does to the right-to-left text of an SVG image file, or to its text that
    needs shaping (combining marks: Devanagari's vowel signs…), or None if it has neither:
    WeasyPrint draws an SVG text's letters one by one, from the left, unshaped.

    ``svg`` is the file's bytes as the sandbox read them (``readers.read_confined``), or
    its path, then read here through the same sandbox, confined to ``roots`` (by default
    the folder the path names it in): a file the sandbox refuses (a symlink that leads
    out, a FIFO, a file over the image limit) is not read, and has no note; its refusal
    is the image check's to report."""
    if isinstance(svg, Path):
        try:
            svg = read_confined(svg, list(roots) if roots is not None else [svg.parent],
                                "image")
        except Refused:
            return None
    key = hashlib.sha256(svg).digest()
    if key not in _SVG_NOTES:
        if len(_SVG_NOTES) >= 256:
            _SVG_NOTES.clear()
        _SVG_NOTES[key] = _unshaped_svg_text(svg)
    return _SVG_NOTES[key]


_SVG_NOTES: dict[bytes, str | None] = {}     # by the SHA-256 of the file's bytes


def _unshaped_svg_text(data: bytes) -> str | None:
    from lxml import etree
    parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False)
    try:
        root = etree.fromstring(data, parser)
    except etree.XMLSyntaxError:
        return None
    for el in root.iter("{http://www.w3.org/2000/svg}text"):
        text = " ".join("".join(el.itertext()).split())
        if any(unicodedata.bidirectional(c) in ("R", "AL") for c in text):
            joined = " and its Arabic letters unjoined" if JOINING.search(text) else ""
            return (f"its right-to-left text ('{text[:40]}') is drawn letter by letter from "
                    f"the left in print: the PDF shows it backwards{joined} (the EPUB as "
                    "drawn); convert the drawing's text to outlines (paths) to print it")
        if any(unicodedata.category(c) in ("Mn", "Mc")
               for c in unicodedata.normalize("NFC", text)):
            return (f"its text ('{text[:40]}') has marks that shaping sets on or around "
                    "their letters (vowel signs, viramas, points), and print draws an SVG's "
                    "text letter by letter, unshaped: the PDF shows the marks apart from "
                    "their letters, on dotted circles, and no conjuncts (the EPUB as drawn); "
                    "convert the drawing's text to outlines (paths) to print it")
    return None
