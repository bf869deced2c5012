"""TeX math: ``$…$`` and ``$$…$$`` as MathML for the EPUB, and as SVG for the PDF.

The Markdown extension finds math by pandoc's ``tex_math_dollars`` rules: the opening
``$`` has no space after it, the closing one no space before it and no digit after it
(so "$5 or $10" stays text), ``$$…$$`` is display math, and ``\\$`` is a dollar sign.
latex2mathml turns the TeX into MathML (with the TeX as ``alttext``), which the shared
HTML carries and the EPUB keeps. WeasyPrint draws no MathML, so the PDF writer puts an
SVG of each formula in its place, drawn by ziamath from the same MathML, with the TeX as
the picture's text alternative (``print_html``).

TeX that cannot be converted leaves a ``span.math-error`` in the HTML, which ``resolve``
reports at the text's line (``errors``). ``tex_to_mathml`` is the one function that
turns TeX into MathML, for any other part of the builder that meets math.
"""
from __future__ import annotations

import copy
import functools
import hashlib
import html
import re
import unicodedata
import xml.etree.ElementTree as ET
from collections.abc import Sequence
from typing import TYPE_CHECKING

from markdown.extensions import Extension
from markdown.inlinepatterns import InlineProcessor

from . import mdext

if TYPE_CHECKING:
    from .fonts import BookFont

MATHML_NS = "http://www.w3.org/1998/Math/MathML"
# pandoc's rules; ``\\.`` keeps an escaped dollar inside the math
DISPLAY = r"(?<!\\)\$\$(?P<display>(?:[^$\\]|\\.|\$(?!\$))+?)\$\$"
# (its last character may be an escaped one: "$A = \{1, 2\}$")
INLINE = (r"(?<![\\$])\$(?![\s$])(?P<inline>(?:[^$\\\n]|\\.|\n(?!\s*\n))*?"
          r"(?:[^\s\\$]|\\\S))\$(?!\d)")
PATTERN = DISPLAY + "|" + INLINE
ALIGNED = re.compile(r"\\(begin|end)\{aligned\}")
PRIORITY = 186          # after code spans (190), before backslash escapes (180) and
                        # pandoc's escaped space and line break (185), which are TeX here
SIZE = 16               # px per em of the drawn SVG; the PDF scales it to the text
MIN_SCALE = 0.7         # the smallest a display formula is set to fit its measure
_MATH = re.compile(r"<math\b[^>]*>.*?</math>", re.S)
_ALT = re.compile(r'\balttext="([^"]*)"')


class MathError(ValueError):
    """TeX that cannot be typeset; the message says why."""


@functools.lru_cache(maxsize=4096)
def tex_to_mathml(tex: str, display: bool = False) -> str:
    """MathML for a TeX formula (a ``<math>`` element with the TeX as ``alttext``).
    Raises MathError for TeX that latex2mathml cannot read or that uses a command it
    does not know."""
    from latex2mathml.converter import convert
    tex = tex.strip()
    if not tex:
        raise MathError("empty formula")
    # braces TeX would refuse and the converter passes over ("\frac{1}{2" read as ½)
    bare = re.sub(r"\\[\\{}]", "", tex)
    if bare.count("{") != bare.count("}"):
        raise MathError(f"cannot read '{tex}' (unbalanced braces: {bare.count('{')} "
                        f"'{{' against {bare.count('}')} '}}')")
    # pandoc's (and amsmath's) aligned, which the converter reads as its align*
    source = ALIGNED.sub(lambda m: f"\\{m.group(1)}{{align*}}", tex)
    try:
        mathml = convert(source, display="block" if display else "inline")
    except Exception as exc:       # latex2mathml raises many kinds, some without a message
        raise MathError(f"cannot read '{tex}' ({type(exc).__name__}"
                        f"{': ' + str(exc) if str(exc) else ''})") from None
    mathml = _UPRIGHT_LETTER.sub(_upright_letter, mathml)
    try:
        root = ET.fromstring(mathml)
    except ET.ParseError as exc:   # a character XML refuses, passed through by the converter
        raise MathError(f"cannot read '{tex}' ({exc})") from None
    for el in root.iter():
        if el.text and el.text.startswith("\\") and len(el.text) > 1:
            raise MathError(f"unknown TeX command '{el.text}' in '{tex}'")
    _negate_relations(root)
    _dots_as_operands(root)
    _join_decimal_marks(root)
    _space_aligned_rows(root)
    _mark_prefix_signs(root)
    _set_accents(root)
    _space_function_names(root)
    _stretch_arrows(root)
    root.set("alttext", tex)
    ET.register_namespace("", MATHML_NS)
    return ET.tostring(root, encoding="unicode")


# ``\mathrm{N}``: the converter looks a single letter up as a character and writes it
# as a character reference, without the upright variant a bare letter needs (an ``mi``
# of one letter is italic); a letter written as itself is never given as a reference
_UPRIGHT_LETTER = re.compile(r"<mi>&#x0*([0-9A-Fa-f]{2});</mi>")


def _upright_letter(m: re.Match) -> str:
    char = chr(int(m.group(1), 16))
    return f'<mi mathvariant="normal">{char}</mi>' if char.isascii() and char.isalpha() \
        else m.group(0)


# (the accent's character, whether the converter marked it an accent): ``\hat``,
# ``\widehat``
ACCENTS = {("^", True): "\u02c6", ("^", False): "\u0302"}


def _set_accents(root) -> None:
    """The converter gives ``\\hat`` and ``\\widehat`` the ASCII caret, which the drawing
    sets far above the letter as the spacing character it is: ``\\hat`` gets the modifier
    letter circumflex, which sits on the letter as TeX's does, ``\\widehat`` the combining
    one, which the drawing stretches over its base (pandoc's)."""
    mover, mo = f"{{{MATHML_NS}}}mover", f"{{{MATHML_NS}}}mo"
    for el in root.iter(mover):
        if len(el) != 2 or el[1].tag != mo:
            continue
        accent = ACCENTS.get(((el[1].text or "").strip(), el.get("accent") == "true"))
        if accent:
            el[1].text = accent
            el.set("accent", "true")


# the converter's ``\not``: a big solidus in a row of no width, before what it negates
NOT = "\u29f8"
# a negated bar, which no character composes with the long solidus overlay: ``\not|``
NEGATED = {"|": "\u2224", "\u2016": "\u2226"}


def _negate_relations(root) -> None:
    """``\\not\\to``, ``\\not=``, ``\\not\\leq``: the converter sets a solidus in a row of
    no width before the relation, which the drawing set beside it ("a_k /→ 0", the
    relation's space between the two), where TeX draws it across. A relation that has
    a negated character (Unicode's composition with the long solidus overlay: ↛, ≠,
    ≰, ⊄, ≢, or ∤ for a bar) becomes that character, as pandoc writes it and as MathML
    renderers set it; anything else keeps the solidus (print draws it across:
    ``_drawn_negations``)."""
    mpadded, mtext, mrow, mo, mi = (f"{{{MATHML_NS}}}{tag}"
                                    for tag in ("mpadded", "mtext", "mrow", "mo", "mi"))
    for parent in list(root.iter()):
        kids = list(parent)
        for el, negated in zip(kids, kids[1:]):
            if not _is_not(el):
                continue
            if negated.tag == mrow and len(negated) == 1:       # \not{=}
                negated = negated[0]
            char = (negated.text or "").strip()
            if negated.tag not in (mo, mi) or len(negated) or len(char) != 1:
                continue
            composed = NEGATED.get(char) or unicodedata.normalize("NFC", char + "\u0338")
            if len(composed) == 1:
                negated.text = composed
                parent.remove(el)


def _is_not(el) -> bool:
    """Whether ``el`` is the converter's ``\\not`` (``NOT``)."""
    return el.tag == f"{{{MATHML_NS}}}mpadded" and el.get("width") == "0" and \
        len(el) == 1 and el[0].tag == f"{{{MATHML_NS}}}mtext" and \
        (el[0].text or "").strip() == NOT


# ``\dots`` and ``\ldots`` (…), ``\cdots`` (⋯), ``\vdots`` (⋮), ``\ddots`` (⋱)
DOTS = {"\u2026", "\u22ef", "\u22ee", "\u22f1"}


def _dots_as_operands(root) -> None:
    """An ellipsis is an operand, an ``mi``, as TeX sets it (an ordinary symbol) and
    pandoc writes it: the converter gives ``\\dots`` and ``\\cdots`` as operators, so that
    the + after one ("1 + q + \\dots + q^{n-1}") followed an operator and was read
    as a sign, set close to what followed ("… +q") in the EPUB (a prefix, by its
    place) and in print (``_mark_prefix_signs``)."""
    mo = f"{{{MATHML_NS}}}mo"
    for el in root.iter(mo):
        if (el.text or "").strip() in DOTS and not len(el):
            el.tag = f"{{{MATHML_NS}}}mi"


DECIMAL_MARKS = {",", "."}
BASED = {f"{{{MATHML_NS}}}{tag}" for tag in ("msub", "msup", "msubsup")}


def _join_decimal_marks(root) -> None:
    """``1{,}0``, TeX's decimal comma (braced so that TeX sets it without the space after
    a punctuation mark), and ``1{.}0``: the converter gives a number, a comma in a row
    of its own and a number, which readers set and read as a list ("1, 0"). The digits
    either side of a braced comma or point are one number, ``<mn>1,0</mn>``, as they are
    of an unbraced point; a number with a script after the mark is the script's base
    (``1{,}5^2``)."""
    mn, mo, mrow = (f"{{{MATHML_NS}}}{tag}" for tag in ("mn", "mo", "mrow"))

    def mark(el) -> str | None:
        if el.tag == mrow and len(el) == 1 and not (el.text or "").strip() \
                and el[0].tag == mo and not len(el[0]) and not el[0].attrib:
            text = (el[0].text or "").strip()
            return text if text in DECIMAL_MARKS else None
        return None

    for parent in list(root.iter()):
        i = 1
        while i + 1 < len(parent):
            before, between, after = parent[i - 1], parent[i], parent[i + 1]
            number = after[0] if after.tag in BASED and len(after) else after
            sign = mark(between)
            if sign and before.tag == mn and number.tag == mn and \
                    (before.text or "")[-1:].isdigit() and (number.text or "")[:1].isdigit():
                number.text = before.text + sign + number.text
                parent.remove(before)
                parent.remove(between)
            else:
                i += 1


SIGNS = {"\u2212", "+", "\u00b1", "\u2213"}           # −, +, ±, ∓
OPENING = {"(", "[", "{", "|", "\u2016", "\u27e8"}
CLOSING = {")", "]", "}", "|", "\u2016", "\u27e9", "!", "\u2032", "\u2033"}


def _space_aligned_rows(root) -> None:
    """The rows of an aligned derivation (the converter's 3 pt, TeX's ``\\jot``, between
    their boxes) a little further apart: TeX adds its line spacing to the jot, and a
    row's fraction all but touched the one under it ("2,00 L" over "0,5 mol")."""
    for table in root.iter(f"{{{MATHML_NS}}}mtable"):
        if table.get("rowspacing") == "3pt":
            table.set("rowspacing", "0.6em")


def _mark_prefix_signs(root) -> None:
    """A sign that opens a row or follows an operator or an opening bracket is a prefix
    (``f(-1)``, ``x \\geq -2``): MathML infers that from its place, but the drawing
    (ziamath) does not, and spaced it as a binary operator ("f( − 1)")."""
    mo = f"{{{MATHML_NS}}}mo"
    for parent in root.iter():
        previous = None
        for child in parent:
            if child.tag == mo and (child.text or "").strip() in SIGNS and \
                    "form" not in child.attrib and \
                    (previous is None or previous.tag == mo and
                     (previous.text or "").strip() not in CLOSING):
                child.set("form", "prefix")
            previous = child


SPACE = f"{{{MATHML_NS}}}mspace"
SCRIPTED = {f"{{{MATHML_NS}}}{tag}" for tag in
            ("msub", "msup", "msubsup", "munder", "mover", "munderover")}


def _space_function_names(root) -> None:
    """A named function is spaced from its argument and set against a bracket, as TeX
    sets it: "det A", "lim a", "sin x", but "det(A)". The drawing (ziamath) spaces
    a name given as an ``mi`` and not one given as an ``mo``, and the converter gives
    some names one way (``\\sin``), some the other (``\\det``, ``\\operatorname``): each
    is made the one its next neighbour needs. A name under or over its limits stays the
    ``mo`` the drawing sets them for, and gets a thin space before an argument.
    After an operand ("x sin(t)", "b lim c") a name the drawing sets as an ``mo`` gets
    TeX's thin space before it too (one given as an ``mi`` the drawing spaces itself):
    it was drawn "x̂sin(ωt)"."""
    mo, mi = f"{{{MATHML_NS}}}mo", f"{{{MATHML_NS}}}mi"

    def named(el) -> bool:
        text = (el.text or "").strip()
        return el.tag in (mo, mi) and len(text) > 1 and text.isalpha()

    def operand(el) -> bool:
        if el is None:
            return False
        return el.tag not in (mo, SPACE) or el.tag == mo and (el.text or "").strip() in CLOSING

    def thin_space(at: int) -> None:
        parent.insert(at, ET.Element(SPACE, width="0.167em"))

    for parent in list(root.iter()):
        if parent.tag in SCRIPTED:
            continue
        children = list(parent)
        for i, child in enumerate(children):
            before = children[i - 1] if i else None
            after = children[i + 1] if i + 1 < len(children) else None
            bracket = after is not None and after.tag == mo and \
                (after.text or "").strip() in OPENING
            scripted = child.tag in SCRIPTED and len(child) and named(child[0])
            if named(child):
                # an operator whose spaces are TeX's thin ones where an operand stands
                # beside it, none against a bracket: a reading system spaces no ``mi``
                # ("n₁sinθ₁" in the EPUB) and an ``mo`` by its dictionary, the drawing
                # spaces an ``mo`` by these
                child.tag = mo
                child.attrib.pop("movablelimits", None)
                child.set("lspace", "0.1667em" if operand(before) else "0")
                child.set("rspace", "0.1667em" if operand(after) and not bracket else "0")
                continue
            if scripted:
                # its name an operator spaced by the spaces round it, as a name alone is
                # (the drawing put a space of its own before an ``mi``: "− log₁₀")
                child[0].tag = mo
                child[0].attrib.pop("movablelimits", None)
                child[0].set("lspace", "0")
                child[0].set("rspace", "0")
            if scripted and operand(before):
                thin_space(list(parent).index(child))
            if scripted and operand(after) and after.tag != mo:
                thin_space(list(parent).index(child) + 1)


# the space either side of an extensible arrow's label: amsmath's \ext@arrow sets
# 5 mu before it and 9 mu after (its label's centre 2 mu off the arrow's, here centred)
ARROW_PAD = "0.389em"
OVER_UNDER = {f"{{{MATHML_NS}}}mover", f"{{{MATHML_NS}}}munderover"}


def _stretch_arrows(root) -> None:
    """``\\xrightarrow{H_2O}`` and its kin: an arrow as long as its label, as TeX draws
    it. The converter pads the label with a width relative to its own ("+0.833em"),
    which MathML Core (the reading systems' browsers) reads as an absolute width: the
    arrow kept its own length and its label ran past it. The label is padded with
    spaces instead, and the arrow marked stretchy over (and under) it."""
    mstyle, mo, mpadded = (f"{{{MATHML_NS}}}{tag}" for tag in ("mstyle", "mo", "mpadded"))
    for el in root.iter():
        if el.tag not in OVER_UNDER or len(el) < 2 or el[0].tag != mstyle or \
                len(el[0]) != 1 or el[0][0].tag != mo or \
                any(label.tag != mpadded for label in el[1:]):
            continue
        arrow = el[0][0]
        arrow.set("stretchy", "true")
        el[0] = arrow
        for i, label in enumerate(list(el)[1:], 1):
            row = ET.Element(f"{{{MATHML_NS}}}mrow")
            row.append(ET.Element(SPACE, width=ARROW_PAD))
            row.extend(k for k in label if not (k.tag == SPACE and k.get("depth")))
            row.append(ET.Element(SPACE, width=ARROW_PAD))
            el[i] = row


def mathml_to_svg(mathml: str, book_fonts: Sequence[BookFont] = ()) -> str:
    """The formula drawn as SVG (glyphs as outlines, STIX Two Math), 1 em = SIZE px; a
    text the maths font has no letters for drawn in DejaVu Sans, or in the book's own
    fonts (``book_fonts``, book.yaml's ``fonts:``) where DejaVu lacks them, shaped
    (``_foreign_texts``)."""
    # kept by the fonts' files as they are now (``watch`` may see one change)
    return _mathml_to_svg(mathml, tuple((font, font.path.stat().st_mtime_ns)
                                        for font in book_fonts))


@functools.lru_cache(maxsize=4096)
def _mathml_to_svg(mathml: str, book_fonts: tuple[tuple[BookFont, int], ...]) -> str:
    import ziamath
    mathml = _drawn_arrows(_spaced_operators(_drawn_negations(mathml)))
    mathml, texts = _foreign_texts(mathml, [font for font, _ in book_fonts])
    svg = ziamath.Math(mathml, size=SIZE).svg()
    return _draw_texts(svg, texts) if texts else svg


# the colour that marks where a text in another font goes (``_foreign_texts``): n + 1
MARK = "#fe00{:02x}"
# the height and depth of a line of DejaVu Sans, in ems (its ascender and descender)
TEXT_HEIGHT, TEXT_DEPTH = "0.93em", "0.24em"


@functools.lru_cache(maxsize=1)
def _math_font_chars() -> frozenset[int]:
    """The characters the drawing's maths font (ziamath's STIX Two Math) has."""
    from pathlib import Path

    import ziamath
    from fontTools.ttLib import TTFont
    path = Path(ziamath.__file__).parent / "fonts" / "STIXTwoMath-Regular.ttf"
    with TTFont(path, lazy=True) as font:
        return frozenset(font.getBestCmap())


def _foreign_texts(mathml: str, book_fonts: Sequence[BookFont] = ()
                   ) -> tuple[str, list[tuple[str, float]]]:
    """The MathML with each text (``mtext``) that has letters the maths font lacks
    (Arabic, Hebrew, Devanagari in ``\\text{}``: the drawing set them as blank boxes)
    made a space as wide as the text is in DejaVu Sans and the book's fonts, shaped
    (``fonts.outline``), after a mark, a full stop of no width in a colour of its own;
    and each text's outline and width. A text no font has the letters for is left to the
    drawing (``undrawable_texts`` names it)."""
    has = _math_font_chars()
    if all(ord(c) in has or c.isspace() for c in re.sub(r"<[^>]*>", "", mathml)):
        return mathml, []
    from . import fonts
    root = ET.fromstring(mathml)
    texts: list[tuple[str, float]] = []
    for parent in list(root.iter()):
        for i, el in enumerate(parent):
            text = el.text or ""
            if el.tag != f"{{{MATHML_NS}}}mtext" or \
                    all(ord(c) in has or c.isspace() for c in text):
                continue
            drawn = fonts.outline([(text, el.get("mathvariant") == "bold", False, False)],
                                  SIZE, book_fonts)
            if drawn is None:
                continue
            mark = _element("mtext", mathcolor=MARK.format(len(texts) + 1))
            mark.text = "."
            parent[i] = _element("mrow", _element("mpadded", mark, width="0"),
                                 _element("mspace", width=f"{drawn[1] / SIZE:.3f}em",
                                          height=TEXT_HEIGHT, depth=TEXT_DEPTH))
            texts.append(drawn)
    ET.register_namespace("", MATHML_NS)
    return ET.tostring(root, encoding="unicode"), texts


# the id of the maths font's .notdef glyph in a drawing: a character drawn as a blank box
NOTDEF = 'id="STIXTwoMathRegular_0"'


def blank_texts(mathml: str, svg: str) -> list[str]:
    """The texts of a formula (its ``mtext``) that its drawing (``svg``) shows as blank
    boxes: their letters are in neither the maths font nor DejaVu Sans nor the book's own
    fonts (``_foreign_texts``)."""
    if NOTDEF not in svg:
        return []
    has = _math_font_chars()
    return [el.text for el in ET.fromstring(mathml).iter(f"{{{MATHML_NS}}}mtext")
            if el.text and not all(ord(c) in has or c.isspace() for c in el.text)]


def _draw_texts(svg: str, texts: list[tuple[str, float]]) -> str:
    """The drawing with each mark (``_foreign_texts``) replaced by its text's outline,
    on the mark's baseline (its ``use`` of a glyph ``symbol``, whose view box starts at
    the glyph's top)."""
    for n, (path, _) in enumerate(texts, 1):
        use = re.search(r'<use href="#([^"]+)" x="(\S+)" y="(\S+)" width="\S+" '
                        r'height="(\S+)" fill="' + MARK.format(n) + '" />', svg)
        if use is None:
            continue
        top, box = (float(v) for v in re.search(
            rf'<symbol id="{re.escape(use.group(1))}" viewBox="\S+ (\S+) \S+ (\S+)"',
            svg).groups())
        x, y, drawn = float(use.group(2)), float(use.group(3)), float(use.group(4))
        baseline = y - top * drawn / box
        svg = svg.replace(use.group(0), f'<path transform="translate({x:.3f} {baseline:.3f})" '
                                        f'd="{path}" fill="black" />', 1)
    return svg


# TeX's binary operators (its ``\mathbin``): +, −, ±, ∓, ×, ÷, ·, ⋅, *, ∗, ∘, ∙, •, ∪, ∩,
# ∧, ∨, ∖, ⧵, ⊕, ⊖, ⊗, ⊘, ⊙, ⋆, ⋄, ⊎, ⊓, ⊔, †, ‡, ≀, ⨿
BINARY = frozenset("+\u2212\u00b1\u2213\u00d7\u00f7\u00b7\u22c5*\u2217\u2218\u2219\u2022"
                   "\u222a\u2229\u2227\u2228\u2216\u29f5\u2295\u2296\u2297\u2298\u2299"
                   "\u22c6\u22c4\u228e\u2293\u2294\u2020\u2021\u2240\u2a3f")
MEDIUM_SPACE = "0.2222em"       # TeX's \medmuskip, 4/18 em
# negated relations (``_negate_relations``) the drawing's operator dictionary lacks, which
# it set solid ("a↛0"): they get TeX's space around a relation, \thickmuskip, 5/18 em
UNLISTED_RELATIONS = frozenset("\u219a\u219b\u21ae\u21cd\u21ce\u21cf"     # ↚ ↛ ↮ ⇍ ⇎ ⇏
                               "\u22ac\u22ad\u22ae\u22af")                    # ⊬ ⊭ ⊮ ⊯
THICK_SPACE = "0.2778em"


def _spaced_operators(mathml: str) -> str:
    """The MathML as the drawing (ziamath) spaces a binary operator as TeX does. The
    drawing spaces an operator by MathML 2's operator dictionary, which gives × and ÷
    a space of 1/9 em either side, ·, ∗ and ⊕ 1/6 em, ∪, ∩, ∧ and ∨ none, where TeX,
    MathML Core's dictionary (which reading systems follow, so the EPUB's MathML is
    left as it is) and MathJax set a medium space, 2/9 em, either side of every binary
    operator, as the drawing does of + and −: "2 \\times 3" was printed "2×3" beside
    "2 ≈ 3". A binary operator between two operands is given that space; one that
    opens or ends a row, follows an operator or an opening bracket or stands before a
    closing one (TeX sets it as an ordinary symbol then), a sign (``form``, as
    ``_mark_prefix_signs`` marks it) or one in a script (which TeX sets without spaces)
    is left as it is."""
    if "<mo" not in mathml:
        return mathml
    root = ET.fromstring(mathml)
    mo = f"{{{MATHML_NS}}}mo"
    changed = False

    def walk(el, script: bool) -> None:
        nonlocal changed
        kids = list(el)
        for i, child in enumerate(kids):
            text = (child.text or "").strip()
            opens = i == 0 or kids[i - 1].tag == mo and \
                (kids[i - 1].text or "").strip() in OPENING - {"|", "\u2016"}
            if child.tag == mo and opens and text not in BINARY | OPENING and not script \
                    and i < len(kids) - 1 and not {"form", "lspace"} & set(child.attrib):
                # a relation opening a row or a bracket ("≈ 3·10⁸" in a table's cell) has
                # nothing to be spaced from: TeX sets no space before it, the drawing its own
                child.set("lspace", "0")
                changed = True
            if child.tag == mo and text in BINARY and not script and 0 < i < len(kids) - 1 \
                    and not {"form", "lspace", "rspace"} & set(child.attrib) \
                    and not (kids[i - 1].tag == mo and
                             (kids[i - 1].text or "").strip() not in CLOSING) \
                    and not (kids[i + 1].tag == mo and
                             (kids[i + 1].text or "").strip() in CLOSING):
                child.set("lspace", MEDIUM_SPACE)
                child.set("rspace", MEDIUM_SPACE)
                changed = True
            if child.tag == mo and text in UNLISTED_RELATIONS and not script:
                for side in ("lspace", "rspace"):
                    child.attrib.setdefault(side, THICK_SPACE)
                changed = True
            walk(child, script or (el.tag in SCRIPTED and i > 0))
    walk(root, False)
    if not changed:
        return mathml
    ET.register_namespace("", MATHML_NS)
    return ET.tostring(root, encoding="unicode")


def _drawn_negations(mathml: str) -> str:
    """The MathML as the drawing (ziamath) strikes what ``\\not`` negates where no
    character is its negation (``_negate_relations``: ``\\not a``): the converter's
    solidus, in a row of no width, stands at the left edge of what follows (before the
    space of a relation), not across it; what it negates is struck through
    (``menclose``) instead."""
    if "mpadded" not in mathml:
        return mathml
    root = ET.fromstring(mathml)
    changed = False
    for parent in list(root.iter()):
        kids = list(parent)
        for el, negated in zip(kids, kids[1:]):
            if _is_not(el) and not _is_not(negated):
                at = list(parent).index(el)
                parent.remove(el)
                parent.remove(negated)
                parent.insert(at, _element("menclose", negated, notation="updiagonalstrike"))
                changed = True
    if not changed:
        return mathml
    ET.register_namespace("", MATHML_NS)
    return ET.tostring(root, encoding="unicode")


STRETCHED = "3em"       # an arrow's length when its height is measured


# a pair of harpoons the drawing cannot stretch as one: (the upper, the lower)
PAIRED = {"\u21cc": ("\u21c0", "\u21bd"), "\u21cb": ("\u21bc", "\u21c1")}


def _drawn_arrows(mathml: str) -> str:
    """The MathML as the drawing (ziamath) stretches an arrow under its label
    (``_stretch_arrows``): it stretches an operator set over or under a base to the
    base's width, never a base to its scripts. The arrow is set over an invisible copy
    of its labels, of no height, lowered so that it stands where an arrow stands
    (``_arrow_lift``); its labels are set over it as before."""
    if 'stretchy="true"' not in mathml:
        return mathml
    root = ET.fromstring(mathml)
    mo = f"{{{MATHML_NS}}}mo"
    for el in list(root.iter()):
        if el.tag not in OVER_UNDER or len(el) < 2 or el[0].tag != mo or \
                el[0].get("stretchy") != "true":
            continue
        char = el[0].text or ""
        labels = copy.deepcopy(el)
        labels[0] = ET.Element(SPACE)
        phantom = _element("mphantom", labels)
        flat = _element("mpadded", _element("mpadded", phantom, height="0", depth="0"),
                        height=f"-{_arrow_lift(char):.3f}em")
        if char in PAIRED:
            # (the drawing stretches no ⇌: its two harpoons, each stretched, one over
            # the other)
            lower, upper = _element("mo"), _element("mo")
            upper.text, lower.text = PAIRED[char]
            el[0] = _element("mover", _element("mover", flat, lower, accent="true"), upper,
                             accent="true")
            continue
        arrow = _element("mo")
        arrow.text = char
        el[0] = _element("mover", flat, arrow, accent="true")
    ET.register_namespace("", MATHML_NS)
    return ET.tostring(root, encoding="unicode")


def _element(tag: str, *children, **attrs):
    el = ET.Element(f"{{{MATHML_NS}}}{tag}", attrs)
    el.extend(children)
    return el


@functools.lru_cache(maxsize=64)
def _arrow_lift(char: str) -> float:
    """How high (in the drawing's em) the drawing sets an arrow's baseline when it sets
    the arrow over a base of no height: measured on the arrow's place in the SVG (its
    ``use`` of its glyph's ``symbol``, whose view box starts at the glyph's top) over a
    base of no height and over one an em lower."""
    import ziamath

    def baseline(height: str) -> float:
        svg = ziamath.Math(f'<math xmlns="{MATHML_NS}"><mover accent="true"><mpadded '
                           f'height="{height}"><mspace width="{STRETCHED}"/></mpadded>'
                           f'<mo>{char}</mo></mover></math>', size=SIZE).svg()
        top, box = (float(v) for v in re.search(
            r'<symbol [^>]*viewBox="\S+ (\S+) \S+ (\S+)"', svg).groups())
        y, drawn = (float(v) for v in re.search(
            r'<use [^>]*y="(\S+)" [^>]*height="(\S+)"', svg).groups())
        return top * drawn / box - y
    raised = baseline("0")
    return raised / (raised - baseline("-1em"))


# a script's characters set raised or lowered in plain text, where every character of
# it has such a form that every font has (digits, signs, brackets)
_SCRIPTABLE = "0123456789+-\u2212=()"
_RAISED = str.maketrans(_SCRIPTABLE, "\u2070\u00b9\u00b2\u00b3\u2074\u2075\u2076\u2077\u2078"
                        "\u2079\u207a\u207b\u207b\u207c\u207d\u207e")
_LOWERED = str.maketrans(_SCRIPTABLE, "\u2080\u2081\u2082\u2083\u2084\u2085\u2086\u2087\u2088"
                         "\u2089\u208a\u208b\u208b\u208c\u208d\u208e")
_SCRIPTS = {"msub": (_LOWERED,), "msup": (_RAISED,), "msubsup": (_LOWERED, _RAISED)}
# an accent over a single letter, as the combining mark that sets it on the letter
_COMBINING = {"\u2192": "\u20d7", "\u02d9": "\u0307", "\u00a8": "\u0308", "\u02c6": "\u0302",
              "^": "\u0302", "\u0302": "\u0302", "~": "\u0303", "\u02dc": "\u0303",
              "\u00af": "\u0304", "\u2015": "\u0305"}
# operators set with a space either side (a sign, ``form="prefix"``, is not)
_SPACED = {"=", "<", ">", "\u2264", "\u2265", "\u2248", "\u2260", "\u2192", "\u21d2", "+",
           "\u2212", "\u00b1", "\u00b7", "\u00d7"}


def plain_text(el) -> str:
    """A formula (a ``math`` element, of any tree, in the MathML namespace or none) as
    plain text reads it, where no markup can set it (an attribute's text): its
    characters, a script raised or lowered where its characters have such forms
    ("m/s²", "v₀", else set after its base: "μH"), a fraction with a slash, an accent
    on its letter ("v⃗"), relations and operators spaced ("E = mc²")."""
    def text(el) -> str:
        tag = el.tag.rsplit("}", 1)[-1] if isinstance(el.tag, str) else ""
        kids = [text(k) for k in el if isinstance(k.tag, str)]
        if tag in _SCRIPTS and len(kids) == len(_SCRIPTS[tag]) + 1:
            return kids[0] + "".join(
                "\u00b0" if script == "\u2218" and table is _RAISED else    # ^\circ
                script.translate(table) if all(c in _SCRIPTABLE for c in script) else script
                for script, table in zip(kids[1:], _SCRIPTS[tag]))
        if tag == "mfrac" and len(kids) == 2:
            return " " + "/".join(f"({k.strip()})" if " " in k.strip() else k.strip()
                                  for k in kids) + " "
        if tag in ("mover", "munder", "munderover") and kids:
            mark = _COMBINING.get(kids[-1].strip()) if tag == "mover" else None
            return kids[0] + mark if mark and len(kids[0].strip()) == 1 else kids[0]
        if tag == "msqrt":
            inner = "".join(kids).strip()
            return "\u221a" + (inner if len(inner) == 1 else f"({inner})")
        if tag == "mspace":
            return " "
        if tag in ("annotation", "annotation-xml"):
            return ""
        own = el.text or ""
        if tag == "mo" and own.strip() in _SPACED and el.get("form") != "prefix":
            own = f" {own.strip()} "
        return own + "".join(kids)

    return re.sub(r"\s+", " ", text(el)).strip()


# what must have text of its own: a table's header cell, a heading
NEEDS_TEXT = ".//th | .//h1 | .//h2 | .//h3 | .//h4 | .//h5 | .//h6"


def name_lone_formulas(tree) -> None:
    """A header cell or a heading (of an lxml tree) that holds nothing but formulas
    names each with its plain text (``aria-label``). Accessibility checkers (axe, which
    DAISY Ace runs) take a ``math`` element for embedded content and read no
    ``alttext``: a header of only a formula was reported empty (``empty-table-header``).
    The MathML stays as it is, for reading systems that set and voice it."""
    for el in tree.xpath(NEEDS_TEXT):
        formulas = el.xpath('.//*[local-name()="math"]')
        if not formulas:
            continue
        rest = copy.deepcopy(el)
        for formula in rest.xpath('.//*[local-name()="math"]'):
            formula.drop_tree()
        if rest.text_content().strip() or rest.xpath(".//img"):
            continue
        for formula in formulas:
            if not formula.get("aria-label"):
                formula.set("aria-label", plain_text(formula))


def svg_name(mathml: str) -> str:
    """The name of a formula's SVG among the generated files: a hash of its MathML with the
    character references resolved, since serialisers differ in what they escape (a ``>``
    in an attribute is written as it is by one lxml and as ``&gt;`` by another)."""
    return "math-" + hashlib.sha256(html.unescape(mathml).encode("utf-8")).hexdigest()[:20]


# the elements that draw a line through or under their text (the user agent's
# stylesheet): the line of each, and its place and thickness, in ems: the top of the
# line above the baseline and its width, the maths font's own (STIX Two Math's strikeout
# and underline, the line through its + and − and under its baseline)
LINES = {"del": "through", "s": "through", "ins": "under", "u": "under"}
LINE_PLACES = {"through": (0.283, 0.051), "under": (-0.078, 0.051)}
# a formula, or the opening or closing tag of an element that draws a line
_MATH_OR_LINE = re.compile(_MATH.pattern + r"|<(?P<closing>/?)(?P<lined>" +
                           "|".join(LINES) + r")(?=[\s>])[^>]*>", re.S)


def print_html(html_text: str, drawn: dict[str, str]) -> tuple[str, dict[str, str]]:
    """HTML with every ``<math>`` replaced by an image of its SVG (``generated/NAME.svg``,
    for the PDF writer's fetcher to serve), sized in ems to the surrounding text and
    lowered by the formula's depth, with the TeX as its text alternative; and the SVGs
    it names. ``drawn`` holds SVGs drawn already, by name.

    A display formula wider than its measure is set smaller to fit it (base.css gives
    it the measure as its greatest width, its height follows), down to ``MIN_SCALE`` of
    its size and no further: one that does not fit even so runs past the margin, and
    the print preflight reports it at its line.

    A formula inside a ``del`` or ``s`` is drawn struck through, one inside an ``ins``
    or ``u`` underlined (``_lined``): WeasyPrint draws an element's line through and
    under its text and not across a picture, and a struck formula ("statt
    ~~$5(3x+1)^4$~~") printed as if it stood."""
    used: dict[str, str] = {}
    open_lines = dict.fromkeys(LINES, 0)

    def image(m: re.Match) -> str:
        if m.group("lined"):
            open_lines[m.group("lined")] += -1 if m.group("closing") else 1
            return m.group(0)
        mathml = m.group(0)
        name = svg_name(mathml)
        svg = drawn.get(name) or mathml_to_svg(mathml)
        lines = tuple(sorted({LINES[tag] for tag, n in open_lines.items() if n > 0}))
        if lines:
            name, svg = f"{name}-{'-'.join(lines)}", _lined(svg, lines)
        used[name] = svg
        width, height, depth = _metrics(svg)
        alt = _ALT.search(mathml)
        block = 'display="block"' in mathml[:mathml.find(">")]
        size = (f"min-width: {MIN_SCALE * width / SIZE:.3f}em" if block
                else f"height: {height / SIZE:.3f}em")
        return (f'<img class="math{" display" if block else ""}" src="generated/{name}.svg" '
                f'alt="{alt.group(1) if alt else ""}" '
                f'style="width: {width / SIZE:.3f}em; {size}; '
                f'vertical-align: {-depth / SIZE:.3f}em"/>')
    return _MATH_OR_LINE.sub(image, html_text), used


def _lined(svg: str, lines: tuple[str, ...]) -> str:
    """A drawn formula with a line (``LINE_PLACES``) across its whole width for each of
    ``lines``, its box made deeper where a line under it runs below its depth."""
    box = re.search(r'viewBox="([^"]+)"', svg)
    x, y, width, height = (float(v) for v in box.group(1).split())
    bottom, rules = y + height, []
    for line in lines:
        top, thickness = (v * SIZE for v in LINE_PLACES[line])
        rules.append(f'<rect x="{x:.3f}" y="{-top:.3f}" width="{width:.3f}" '
                     f'height="{thickness:.3f}" fill="black" />')
        bottom = max(bottom, thickness - top)
    height = bottom - y
    head = svg[:box.end()]
    head = re.sub(r'\bheight="[^"]*"', f'height="{height:.3f}"', head, count=1)
    head = head.replace(box.group(0), f'viewBox="{x:.3f} {y:.3f} {width:.3f} {height:.3f}"')
    tail = svg[box.end():]
    at = tail.rfind("</svg>")
    return head + tail[:at] + "".join(rules) + tail[at:]


def _metrics(svg: str) -> tuple[float, float, float]:
    """Width, height and depth below the baseline (y = 0) of a ziamath SVG, in px."""
    x, y, width, height = (float(v) for v in
                           re.search(r'viewBox="([^"]+)"', svg).group(1).split())
    return width, height, max(0.0, height + y)


def errors(tree) -> list[str]:
    """The messages of the math that could not be converted in an lxml tree."""
    return [el.get("title", "") for el in tree.xpath('.//span[@class="math-error"]')]


class _MathProcessor(InlineProcessor):
    def handleMatch(self, m: re.Match, data: str):
        display = m.group("display") is not None
        tex = m.group("display") if display else m.group("inline")
        tex = tex.replace(mdext.LINE_IN_MATH, "\n")     # (``mdext.display_math``)
        try:
            out = tex_to_mathml(tex, display)
        except MathError as exc:
            source = m.group(0).replace(mdext.LINE_IN_MATH, "\n")
            out = (f'<span class="math-error" title="{html.escape(str(exc))}">'
                   f'{html.escape(source, quote=False)}</span>')
        return self.md.htmlStash.store(out), m.start(0), m.end(0)


class MathExtension(Extension):
    """``$…$`` and ``$$…$$`` to MathML, by pandoc's rules."""

    def extendMarkdown(self, md) -> None:
        if "$" not in md.ESCAPED_CHARS:
            md.ESCAPED_CHARS.append("$")
        md.inlinePatterns.register(_MathProcessor(PATTERN, md), "tex_math_dollars", PRIORITY)


def makeExtension(**kwargs) -> MathExtension:  # noqa: N802 (Python-Markdown's name)
    return MathExtension(**kwargs)
