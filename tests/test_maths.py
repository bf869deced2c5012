"""Maths as the reader sees it: upright units, accents on their letters, named functions
spaced, and formulas kept inside the measure in print. In process, on small formulas."""
from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from studyguide import math as m


def drawn(tex: str, mathml: str | None = None) -> tuple[float, float, float]:
    """The width, height and depth of a formula as drawn for print, in px."""
    return m._metrics(m.mathml_to_svg(mathml or m.tex_to_mathml(tex)))


@pytest.mark.parametrize("tex, letter", [
    (r"1\,\mathrm{N} = 1\,\mathrm{kg \cdot m/s^2}", "N"),
    (r"\frac{\mathrm{d}\vec{r}}{\mathrm{d}t}", "d"),
    (r"\mathrm{e}^{x}", "e"),
])
def test_a_single_upright_letter_stays_upright(tex, letter):
    """``\\mathrm{N}`` was an ``mi`` of one letter without a variant, which is italic
    (``\\mathrm{kg}`` was upright): it is marked upright, as pandoc marks it."""
    mathml = m.tex_to_mathml(tex)
    assert f'<mi mathvariant="normal">{letter}</mi>' in mathml, mathml
    assert f"<mi>{letter}</mi>" not in mathml
    # a letter written as itself is italic still
    assert "<mi>t</mi>" in m.tex_to_mathml(r"\mathrm{d}t")
    assert m.mathml_to_svg(m.tex_to_mathml(r"\mathrm{N}")) != \
        m.mathml_to_svg(m.tex_to_mathml("N"))


@pytest.mark.parametrize("tex", [r"\hat{x}", r"\hat{A}"])
def test_a_hat_sits_on_its_letter(tex):
    """``\\hat`` gave the ASCII caret, which the drawing set far above the letter."""
    from latex2mathml.converter import convert
    ours, theirs = drawn(tex), drawn(tex, convert(tex))
    assert ours[1] < theirs[1] - 0.15 * m.SIZE, (ours, theirs)      # a fifth of an em lower
    assert "\u02c6" in m.tex_to_mathml(tex) and 'accent="true"' in m.tex_to_mathml(tex)
    # a wide hat spans its base
    assert "\u0302" in m.tex_to_mathml(r"\widehat{xyz}")


@pytest.mark.parametrize("tex, number, text", [
    (r"K_w = 1{,}0 \cdot 10^{-14}", "1,0", "Kw = 1,0 · 10⁻¹⁴"),
    (r"x = 3{.}14", "3.14", "x = 3.14"), (r"1{,}5^2", "1,5", "1,5²"),
    (r"a_{0{,}25}", "0,25", "a0,25"),
])
def test_a_braced_decimal_comma_is_part_of_its_number(tex, number, text):
    """``1{,}0``, TeX's decimal comma, was a number, a comma and a number in the
    MathML, which readers set and read as "1, 0"; it is one number, as print draws it
    (no wider than the digits and the comma alone)."""
    import xml.etree.ElementTree as ET
    mathml = m.tex_to_mathml(tex)
    assert f"<mn>{number}</mn>" in mathml and "<mo>,</mo>" not in mathml, mathml
    assert m.plain_text(ET.fromstring(mathml)) == text
    assert drawn(r"1{,}0")[0] < drawn("1,0")[0] - 0.2 * m.SIZE
    # a comma between letters, or spaced by the writer, stays a comma
    assert "<mo>,</mo>" in m.tex_to_mathml(r"x{,}y") and \
        "<mo>,</mo>" in m.tex_to_mathml(r"1{,}\,5")


@pytest.mark.parametrize("operand, function", [
    (r"\hat{x}", r"\sin(\omega t)"), ("2", r"\sin(x)"), ("f(x)", r"\cos(x)"),
    ("b", r"\lim_{n} c"),
])
def test_a_named_function_after_an_operand_is_spaced_from_it(operand, function):
    """A name the drawing sets as an operator (before a bracket, or under its limits)
    was set against the operand before it: "x̂sin(ωt)", "2sin(x)". Drawn together,
    the two are now wider than each drawn apart (their ink's edges: set against each
    other, they were narrower)."""
    gap = drawn(operand + function)[0] - drawn(operand)[0] - drawn(function)[0]
    assert gap > 0.1 * m.SIZE, (operand, function, gap)


@pytest.mark.parametrize("before, function", [
    ("a =", r"\sin(x)"), ("(", r"\sin(x))"), (r"x\,", r"\sin(x)"),
])
def test_no_space_before_a_named_function_after_an_operator(before, function):
    """... but not after an operator, an opening bracket or a space already written."""
    from latex2mathml.converter import convert
    tex = f"{before} {function}"
    assert drawn(tex)[0] <= drawn(tex, convert(tex))[0] + 0.5, tex


def glyphs(svg: str) -> list[tuple[float, float, float]]:
    """The glyphs of a drawn formula: the left and right edges of each and the baseline
    it stands on, in px (each glyph is a ``use`` of a ``symbol`` whose view box starts
    at the font's top)."""
    boxes = {sym.group(1): (float(sym.group(2)), float(sym.group(3))) for sym in re.finditer(
        r'<symbol id="([^"]+)" viewBox="\S+ (\S+) \S+ (\S+)"', svg)}
    found = []
    for use in re.finditer(r'<use href="#([^"]+)" x="(\S+)" y="(\S+)" width="(\S+)" '
                           r'height="(\S+)"', svg):
        top, box = boxes[use.group(1)]
        x, y, width, height = (float(v) for v in use.groups()[1:])
        found.append((x, x + width, y - top * height / box))
    return found


@pytest.mark.parametrize("tex", [r"A \xrightarrow{H_2O} B", r"A \xleftarrow{\Delta T} B",
                                 r"A \xrightarrow[\text{below}]{\text{above it}} B"])
def test_an_arrow_stretches_under_its_label(tex):
    """``\\xrightarrow{H_2O}`` drew a short arrow with its label hanging past both ends;
    the arrow now runs under the whole label, on the baseline of an arrow without one.
    In the MathML the arrow is a stretchy operator and its label is padded with spaces
    (the converter's relative width, "+0.833em", is an absolute one in MathML Core)."""
    mathml = m.tex_to_mathml(tex)
    assert "mpadded" not in mathml and '<mo stretchy="true">' in mathml, mathml
    drawn_glyphs = glyphs(m.mathml_to_svg(mathml))
    a, *middle, b = drawn_glyphs
    arrow = max(middle, key=lambda g: g[1] - g[0])
    labels = [g for g in middle if g is not arrow]
    assert arrow[0] <= min(g[0] for g in labels) and arrow[1] >= max(g[1] for g in labels), \
        (arrow, labels)
    assert a[1] < arrow[0] and arrow[1] < b[0]              # spaced from its neighbours
    plain = glyphs(m.mathml_to_svg(m.tex_to_mathml(r"A \rightarrow B")))[1]
    assert abs(arrow[2] - plain[2]) < 0.05, (arrow, plain)


def test_a_reversible_arrow_stretches_under_its_labels_as_two_harpoons():
    """``\\xrightleftharpoons[450 °C]{Fe}`` drew a ⇌ of its own size under labels that
    stuck out on both sides (the drawing has no stretched ⇌): print draws its two
    harpoons, each stretched under the whole label, one over the other."""
    tex = r"A \xrightleftharpoons[450\,^{\circ}\text{C},\ 200\ \text{atm}]{\text{Fe}} B"
    a, *middle, b = glyphs(m.mathml_to_svg(m.tex_to_mathml(tex)))
    harpoons = sorted(middle, key=lambda g: g[1] - g[0])[-2:]
    labels = [g for g in middle if g not in harpoons]
    for left, right, _ in harpoons:
        assert left <= min(g[0] for g in labels) + 0.5 and \
            right >= max(g[1] for g in labels) - 0.5, (harpoons, labels)
    assert abs(harpoons[0][2] - harpoons[1][2]) > 1          # one over the other
    assert a[1] < min(g[0] for g in middle) and max(g[1] for g in middle) < b[0]


@pytest.mark.parametrize("tex, sign", [(r"y = -\log_{10} x", r"y = -x"),
                                       (r"y = -\sin x", r"y = -x")])
def test_a_sign_before_a_named_function_is_set_close_as_before_a_letter(tex, sign):
    """``\\mathrm{pH} = -\\log_{10}[…]``: the minus is a sign, set close to what it
    signs; before a named function with a script it stood a word space off ("− log₁₀"),
    the drawing spacing the name's ``mi`` of its own."""
    def after_the_sign(formula: str) -> float:
        inked = [g for g in glyphs(m.mathml_to_svg(m.tex_to_mathml(formula))) if g[1] > g[0]]
        return inked[3][0] - inked[2][1]           # y, =, −, then what it signs
    assert after_the_sign(tex) == pytest.approx(after_the_sign(sign), abs=0.5)


@pytest.mark.parametrize("command, negated", [
    (r"\not\to", "\u219b"), (r"\not=", "\u2260"), (r"\not<", "\u226e"),
    (r"\not\subset", "\u2284"), (r"\not\leq", "\u2270"), (r"\not|", "\u2224"),
    (r"\not\Leftrightarrow", "\u21ce"), (r"\not\vdash", "\u22ac"),
])
def test_a_negated_relation_is_its_negated_character(command, negated):
    """``a_k \\not\\to 0`` printed "a_k /→ 0", a slash beside the arrow (the converter's
    solidus in a row of no width, the arrow's space between the two), where TeX strikes
    the arrow. A relation with a negated character is that character in the MathML,
    as pandoc writes it, and print draws it as one glyph spaced as a relation is."""
    tex = f"a {command} b"
    mathml = m.tex_to_mathml(tex)
    assert re.search(f"<mo[^>]*>{negated}</mo>", mathml) and "\u29f8" not in mathml, mathml
    assert len(glyphs(m.mathml_to_svg(mathml))) == 3
    assert gaps(tex) == pytest.approx(gaps("a = b"), abs=1.0), (gaps(tex), gaps("a = b"))
    assert "\u2284" in m.tex_to_mathml(r"\not\subset")           # with nothing either side


def test_what_no_character_negates_is_struck_across_in_print():
    """``\\not`` before what has no negated character keeps the converter's solidus in the
    MathML (a row of no width, which MathML renderers set over what follows); print,
    which set it beside, strikes what it negates across."""
    mathml = m.tex_to_mathml(r"a \not\longrightarrow b")
    assert '<mpadded width="0"><mtext>\u29f8</mtext></mpadded>' in mathml, mathml
    drawing = m._drawn_negations(mathml)
    assert "\u29f8" not in drawing and \
        '<menclose notation="updiagonalstrike"><mi>\u27f6</mi></menclose>' in drawing, drawing


def gaps(tex: str) -> list[float]:
    """The room between the ink of each glyph of a drawn formula and the next, in px."""
    drawn_glyphs = glyphs(m.mathml_to_svg(m.tex_to_mathml(tex)))
    return [b[0] - a[1] for a, b in zip(drawn_glyphs, drawn_glyphs[1:])]


@pytest.mark.parametrize("dots", [r"\dots", r"\ldots", r"\cdots"])
def test_a_plus_after_an_ellipsis_is_a_binary_operator(dots):
    """``1 + q + \\dots + q^{n-1}``: the + after the ellipsis was read as a sign, set
    close to the term after it ("… +q" in the EPUB, "…+q" in print): the converter
    gave ``\\dots`` as an operator. An ellipsis is an operand, as in TeX and pandoc,
    and the + after it is spaced as the one before it."""
    mathml = m.tex_to_mathml(f"1 + {dots} + n")
    assert 'form="prefix"' not in mathml and re.search(r"<mi>[\u2026\u22ef]</mi>", mathml), \
        mathml
    spaced = gaps(f"1 + {dots} + n")        # around the first +, then around the second
    assert spaced[2:] == pytest.approx(spaced[:2], abs=1.0), spaced
    assert min(spaced) > 0.2 * m.SIZE, spaced


@pytest.mark.parametrize("operator", [r"\times", r"\cdot", r"\div", r"\cup", r"\wedge"])
def test_a_binary_operator_is_spaced_in_print_as_tex_spaces_it(operator):
    """Print set "2 \\times 3" solid, "2×3", and "a \\cup b" with no space at all, beside
    a spaced "2 ≈ 3": the drawing spaced operators by MathML 2's dictionary. A binary
    operator has TeX's medium space either side, as + has, an eighteenth of an em less
    than a relation's: in numbers, letters and before a text alike."""
    medium = 4 / 18 * m.SIZE
    plus = gaps("a + b")
    # each formula, and how many glyphs stand before its operator
    for tex, at in ((f"2 {operator} 3", 1), (f"a {operator} b", 1),
                    (f"0{{,}}7 {operator} \\text{{sản}}", 3)):
        around = gaps(tex)[at - 1:at + 1]
        relation = gaps(tex.replace(operator, r"\approx"))[at - 1:at + 1]
        # the ink of the operator and its neighbours at least a medium space apart, as
        # far apart as around + (within a pixel), and comparably to a relation's
        assert min(around) >= medium - 0.5 and min(around) >= min(plus) - 1.0, (tex, around)
        assert sum(around) > 0.7 * sum(relation), (tex, around, relation)


@pytest.mark.parametrize("tex", [r"\times 3", r"x^{2 \times 3}", r"(\times)", r"a = \times b"])
def test_a_binary_operator_is_not_spaced_where_tex_sets_it_as_a_symbol(tex):
    """... but not where TeX sets it as an ordinary symbol (opening a row, after another
    operator or an opening bracket, before a closing one) or in a script: there the
    drawing is as before."""
    from latex2mathml.converter import convert
    assert drawn(tex)[0] <= drawn(tex, convert(tex))[0] + 0.5, tex
    assert 'lspace="' not in m.tex_to_mathml(tex)          # the EPUB's MathML as it was


@pytest.mark.parametrize("tex", [r"\approx 3{,}00 \times 10^8", r"= 5", r"(\leq 2)"])
def test_a_relation_opening_a_formula_or_bracket_has_no_space_before_it(tex):
    """``$\approx 3{,}00 \times 10^8$`` in a table's cell stood a thick space in from the
    cell's edge, out of line with the cells under it: TeX sets no space before a
    relation with nothing before it (nor after an opening bracket), and after it as
    after any relation."""
    first = glyphs(m.mathml_to_svg(m.tex_to_mathml(tex)))
    relation = first[1] if tex.startswith("(") else first[0]
    bracket_end = first[0][1] if tex.startswith("(") else 0.0
    assert relation[0] - bracket_end < 1.5, (tex, first[:3])
    spaced = gaps("a " + tex.lstrip("("))
    assert gaps(tex.lstrip("("))[0] == pytest.approx(spaced[1], abs=0.5)   # after it


# -- print: display maths on the measure ---------------------------------------------------
STYLES = m.__file__.rsplit("/", 2)[0] + "/styles"


def typeset(tmp_path, body: str, sheets: list[str], page: str = ""):
    """``body`` (HTML with MathML) laid out as print sets it, with ``sheets`` (of
    styles/) and ``page`` (more CSS): its formulas drawn (in generated/)."""
    from weasyprint import CSS, HTML
    html, svgs = m.print_html(body, {})
    (tmp_path / "generated").mkdir(exist_ok=True)
    for name, svg in svgs.items():
        (tmp_path / "generated" / f"{name}.svg").write_text(svg, encoding="utf-8")
    return HTML(string=f"<html lang='de'><head><title>t</title></head><body>{html}</body>"
                "</html>", base_url=str(tmp_path) + "/").render(
        stylesheets=[CSS(filename=f"{STYLES}/{s}") for s in sheets] + [CSS(string=page)])


def math_boxes(tmp_path, body: str, sheets: list[str], page: str = "") -> list:
    """The layout boxes of the drawn formulas of ``body`` (``typeset``), each with its
    measure: (its box, the left edge and the width of its block)."""
    doc = typeset(tmp_path, body, sheets, page)
    found = []

    def walk(box, block):
        if getattr(box, "element_tag", None) == "img":
            found.append((box, block.content_box_x(), block.width))
        inner = box if hasattr(box, "content_box_x") and box.__class__.__name__.startswith(
            "Block") else block
        for child in getattr(box, "children", ()):
            walk(child, inner)
    for p in doc.pages:
        walk(p._page_box, p._page_box)
    return found


def test_display_maths_is_centred_in_a_handout_as_in_the_book(tmp_path):
    """A reading handout set display maths flush left (the rule that centres it was
    the book's alone)."""
    body = "<p>Die Energie:</p>" + m.tex_to_mathml(r"E = mc^2", display=True)
    for sheets in (["base.css", "print.css"], ["base.css", "handout.css"]):
        [(box, left, width)] = math_boxes(tmp_path, body, sheets)
        before = box.border_box_x() - left
        after = left + width - (box.border_box_x() + box.border_width())
        assert before > 10 and abs(before - after) < 1, (sheets, before, after)


# a sum of ``n`` terms: its width grows with n (about 2.5 em a term)
def terms(n: int) -> str:
    return " + ".join(f"a_{{{k}}}" for k in range(1, n + 1))


def natural_width(tex: str, display: bool = True) -> float:
    """A formula's width as drawn, in ems."""
    return drawn("", m.tex_to_mathml(tex, display))[0] / m.SIZE


PAGE = "@page { size: A5; margin: 20mm } html { font-size: 10pt }"
MEASURE = (148 - 40) / 25.4 * 96            # A5 less its margins, in CSS px


def test_a_display_formula_too_wide_is_set_smaller_to_fit_the_measure(tmp_path):
    """A display formula wider than the measure ran past the margin and off the paper
    (its end lost); it is set smaller to fit, keeping its proportions, down to 70 % of
    its size and no further; one that fits keeps its size."""
    wide, wider, narrow = terms(15), terms(24), terms(5)
    assert 1 < natural_width(wide) * 10 / 0.75 / MEASURE < 1 / m.MIN_SCALE < \
        natural_width(wider) * 10 / 0.75 / MEASURE        # (10 pt = 10 / 0.75 px an em)
    body = "".join(f"<p>Formel:</p>{m.tex_to_mathml(t, display=True)}"
                   for t in (wide, wider, narrow))
    boxes = math_boxes(tmp_path, body, ["base.css", "print.css"], PAGE)
    (fit, left, width), (over, _, _), (small, _, _) = boxes
    assert width == pytest.approx(MEASURE, abs=1)
    em = 10 / 0.75
    # fitted to the measure, its height scaled as its width
    assert fit.width == pytest.approx(width, abs=0.5)
    assert fit.height / fit.width == pytest.approx(
        drawn("", m.tex_to_mathml(wide, True))[1] / drawn("", m.tex_to_mathml(wide, True))[0],
        rel=0.01)
    # not smaller than 70 %: it runs past the margin (the preflight reports it)
    assert over.width == pytest.approx(m.MIN_SCALE * natural_width(wider) * em, rel=0.01)
    assert over.width > width
    # one that fits is not touched, and stays centred
    assert small.width == pytest.approx(natural_width(narrow) * em, rel=0.01)
    assert small.border_box_x() - left == pytest.approx(
        left + width - small.border_box_x() - small.width, abs=1)


SOURCE = """---
title: Energie
---

Die Summe, abgesetzt:

$$
{wider}
$$

Inline: ${inline}$ ist zu lang.

Und eingepasst:

$${wide}$$
"""


def test_a_formula_past_the_margin_is_reported_at_its_line(tmp_path):
    """The preflight read the PDF's text alone and missed drawn maths: a display
    formula too wide even at 70 % and an inline one wider than its line ran past the
    margin without a warning. Each is now reported at its own line; one set smaller
    to fit is not."""
    from studyguide import preflight
    wide, wider, inline = terms(15), terms(24), terms(15)
    source = tmp_path / "03-energie.md"
    source.write_text(SOURCE.format(wide=wide, wider=wider, inline=inline), encoding="utf-8")
    para = ("<p>Die Energie eines abgeschlossenen Systems bleibt erhalten, wie sich die "
            "Formen der Energie auch ineinander umwandeln, und so rechnen wir mit ihr in "
            "jeder Aufgabe dieses Kapitels, vom Pendel bis zur Achterbahn.</p>")
    body = (para * 4 + m.tex_to_mathml(wider, display=True) + para +
            f"<p>Inline: {m.tex_to_mathml(inline)} ist zu lang.</p>" + para +
            m.tex_to_mathml(wide, display=True) + para * 2)
    pdf = tmp_path / "t.pdf"
    typeset(tmp_path, body, ["base.css", "print.css"], PAGE).write_pdf(
        pdf, pdf_variant="pdf/ua-1")
    found = preflight.check_pdf(pdf, sources=(source, 1), one_sided=True)
    assert [(f.check, f.line) for f in found] == [("overflow", 8), ("overflow", 11)], found
    assert all(f.message.startswith("formula past the margin by ") for f in found)
    assert f"“{wider[:20]}" in found[0].message and f"“{inline[:20]}" in found[1].message
    assert str(found[0]).startswith(f"{source}:8: warning: t.pdf, page 1: formula past")


# -- EPUB: a column heading with maths, as a narrow screen labels each cell -------------------
def test_a_column_headings_formula_labels_its_cells_as_plain_text(tmp_path):
    """On a narrow screen each cell of a comparison table shows its column's heading
    (``data-label``). A heading with maths gave the Markdown with its marks stripped,
    "Haftreibungszahl $\\muH$"; it is now the heading as the reader sees it."""
    import shutil

    from lxml import html as lxml_html

    from conftest import MINI
    from studyguide.errors import Reporter
    from studyguide.loader import load_book
    from studyguide.resolve import render_book
    from studyguide.writers import epub
    book = tmp_path / "book"
    shutil.copytree(MINI, book)
    tables = book / "tables" / "tables.yaml"
    text = tables.read_text(encoding="utf-8")
    tables.write_text(text.replace("columns: [Aspect, Alpha, Beta]",
                                   r"columns: [Aspect, Haftreibungszahl $\mu_H$, "
                                   r"'Beschleunigung in $\mathrm{m/s^2}$ *(gemessen)*']", 1),
                      encoding="utf-8")
    report = Reporter(book)
    rb = render_book(load_book(book, report), report)
    assert not report.errors, report.errors
    page = next(p for p in epub.build_pages(rb, None) if 'id="tbl-ch01-compare"' in p.body)
    tree = lxml_html.fragment_fromstring(page.body, create_parent="div")
    body = lxml_html.fragment_fromstring(epub.page_body(page, tree, {}, {}, rb.labels),
                                         create_parent="div")
    labels = body.xpath('//figure[@id="tbl-ch01-compare"]//tbody/tr[1]/td/@data-label')
    assert labels == ["Haftreibungszahl μH", "Beschleunigung in m/s² (gemessen)"], labels


@pytest.mark.parametrize("tex, text", [
    (r"\mu_H", "μH"), (r"v_0", "v₀"), (r"E = mc^2", "E = mc²"), (r"x^{-1}", "x⁻¹"),
    (r"E_{kin} = \frac{1}{2} m v^2", "Ekin = 1/2 mv²"), (r"\vec{v}", "v\u20d7"),
    (r"-10\,^\circ\mathrm{C}", "−10 °C"), (r"\frac{a+b}{c}", "(a + b)/c"),
])
def test_a_formulas_plain_text(tex, text):
    import xml.etree.ElementTree as ET
    assert m.plain_text(ET.fromstring(m.tex_to_mathml(tex))) == text


def test_a_key_points_bullet_stands_on_its_lines_baseline(tmp_path):
    """A key point whose first line holds a tall formula had its bullet riding high:
    WeasyPrint sets an outside marker at the top of its item, not on its first line."""
    import pdfplumber
    points = ("Die Geschwindigkeit ist die Ableitung des Ortes: "
              + m.tex_to_mathml(r"\vec{v} = \dot{\vec{r}}") + ".",
              "Beim freien Fall wächst der Weg quadratisch mit der Zeit.")
    body = ('<aside class="key-points"><p class="box-heading">Das Wichtigste</p><ul>'
            + "".join(f"<li>{p}</li>" for p in points) + "</ul></aside>")
    pdf = tmp_path / "t.pdf"
    typeset(tmp_path, body, ["base.css", "print.css", "answers.css"], PAGE).write_pdf(pdf)
    with pdfplumber.open(pdf) as doc:
        lines = [ln["chars"] for ln in doc.pages[0].extract_text_lines(return_chars=True)
                 if ln["text"].startswith("\u2022")]
    assert len(lines) == 2
    bullets = [chars[0] for chars in lines]
    words = [next(c for c in chars[1:] if c["text"].strip()) for chars in lines]
    for bullet, word in zip(bullets, words):
        assert abs(bullet["bottom"] - word["bottom"]) < 0.2, (bullet, word)
        assert 0 < word["x0"] - bullet["x1"] < 5
    assert abs(bullets[0]["x0"] - bullets[1]["x0"]) < 0.1


def printed_lines(tmp_path, body: str, name: str) -> list:
    """``body`` typeset as print sets it (at 30 px an em) and read back at 288 dpi in
    black and white: each line of it, cropped to its ink, a list of rows of pixels
    (True where inked)."""
    import subprocess

    from PIL import Image
    pdf = tmp_path / f"{name}.pdf"
    typeset(tmp_path, body, ["base.css", "print.css"],
            "@page { size: 600px 300px; margin: 10px } html { font-size: 30px }").write_pdf(pdf)
    subprocess.run(["pdftoppm", "-r", "288", "-gray", "-singlefile", str(pdf),
                    str(tmp_path / name)], check=True)
    image = Image.open(tmp_path / f"{name}.pgm")
    rows = [[image.getpixel((x, y)) < 128 for x in range(image.width)]
            for y in range(image.height)]
    lines, line = [], []
    for row in rows + [[False]]:
        if any(row):
            line.append(row)
        elif line:
            inked = [x for r in line for x, ink in enumerate(r) if ink]
            lines.append([r[min(inked):max(inked) + 1] for r in line])
            line = []
    return lines


@pytest.mark.parametrize("tag", ["del", "s", "u", "ins"])
def test_a_formula_struck_through_or_underlined_has_its_line_in_print(tmp_path, tag):
    """``Formel ~~$5(3x+1)^4$~~``: print struck the text and not the formula (a picture,
    which WeasyPrint draws no text's line across), and a typical error printed as if it
    were right. A formula inside ``del`` or ``s`` is struck through, one inside ``ins``
    or ``u`` underlined: the text's line runs on across it unbroken, and a formula
    outside them has none."""
    formula = m.tex_to_mathml("5(3x+1)^4")
    lined, plain, *_ = printed_lines(      # (and the page number)
        tmp_path, f"<p><{tag}>Wort {formula} Wort</{tag}></p><p>Wort {formula} Wort</p>", tag)

    def longest_row(line) -> float:
        return max(sum(row) for row in line) / len(line[0])
    assert longest_row(lined) > 0.98, longest_row(lined)
    assert longest_row(plain) < 0.5, longest_row(plain)


def test_arabic_text_in_a_formula_is_drawn_shaped_not_as_blank_boxes(tmp_path):
    """STIX Two Math, the drawing's font, has no Arabic: ``20\\,400\\ \\text{ميل}`` printed
    its word as blank boxes (.notdef), with no warning. The word is drawn in DejaVu
    Sans, shaped, where the formula leaves room for it: as a paragraph of the text
    prints it, on the formula's baseline."""
    from PIL import ImageChops
    from test_fonts import assert_same_ink, printed_ink
    svg = m.mathml_to_svg(m.tex_to_mathml(r"20\,400\ \text{ميل}", True))
    assert "STIXTwoMathRegular_0" not in svg                 # the .notdef glyph
    width = m._metrics(svg)[0]
    (tmp_path / "f.svg").write_text(svg, encoding="utf-8")
    formula = printed_ink(tmp_path, f'<img src="f.svg" alt="f" style="width: {width * 2}px; '
                          'display: block">', "formula")
    word = printed_ink(tmp_path, '<p style="font: 32px \'DejaVu Sans\'; margin: 0">ميل</p>',
                       "word")
    # the formula's last word: its ink right of the widest gap between inked columns
    columns = [any(formula.getpixel((x, y)) == 0 for y in range(formula.height))
               for x in range(formula.width)]
    gaps, run = [], 0
    for inked in columns:
        run = 0 if inked else run + 1
        gaps.append(run)
    start = max(range(len(gaps)), key=lambda x: (gaps[x], x)) + 1
    last = formula.crop((start, 0, formula.width, formula.height))
    assert_same_ink(last.crop(ImageChops.invert(last).getbbox()), word)


DEVANAGARI = Path(__file__).parent / "fixtures" / "fonts" / \
    "NotoSansDevanagari-Regular-figures-subset.ttf"


def test_devanagari_text_in_a_formula_is_drawn_shaped_in_the_books_font(tmp_path):
    """``\\xrightarrow[\\text{क्लोरोफिल}]{…}`` printed its Hindi as blank boxes: neither
    STIX Two Math nor DejaVu Sans has Devanagari, and the book's own font, which has,
    was not asked. The text is drawn in the book's font, shaped (its conjunct and vowel
    signs in place): as a paragraph of the text prints it."""
    from studyguide.fonts import read_font
    from test_fonts import assert_same_ink, printed_ink
    book_fonts = [read_font(DEVANAGARI, "fonts/d.ttf")]
    mathml = m.tex_to_mathml(r"\text{क्लोरोफिल}", True)
    assert m.NOTDEF in m.mathml_to_svg(mathml)             # no font for it: blank boxes
    svg = m.mathml_to_svg(mathml, book_fonts)
    assert m.NOTDEF not in svg and m.blank_texts(mathml, svg) == []
    width = m._metrics(svg)[0]
    (tmp_path / "f.svg").write_text(svg, encoding="utf-8")
    (tmp_path / "d.ttf").write_bytes(DEVANAGARI.read_bytes())
    formula = printed_ink(tmp_path, f'<img src="f.svg" alt="f" style="width: {width * 2}px; '
                          'display: block">', "formula")
    word = printed_ink(tmp_path, '<style>@font-face { font-family: D; src: url(d.ttf) }'
                       '</style><p style="font: 32px D; margin: 0">क्लोरोफिल</p>', "word")
    assert_same_ink(formula, word)


def test_a_formulas_text_no_font_has_is_a_warning_at_its_line(tmp_path):
    """Hindi in a formula of a book without a Devanagari font printed blank boxes with
    no word of warning, even under --strict; it is a warning at the formula's line, and
    none once the book brings a font that has the letters."""
    import shutil

    from studyguide.errors import Reporter
    from studyguide.loader import load_book
    from studyguide.resolve import render_book
    from test_locales_metadata import write_book
    chapter = "---\ntitle: One\n---\n\nThe equation:\n\n$$A \\xrightarrow{\\text{प्रकाश}} B$$\n"
    meta = {"title": "T", "language": "en"}
    messages = {}
    for name, own in (("bare", []), ("own", ["fonts/d.ttf"])):
        book = write_book(tmp_path / name, {**meta, **({"fonts": own} if own else {})}, chapter)
        if own:
            (book / "fonts").mkdir()
            shutil.copy(DEVANAGARI, book / "fonts" / "d.ttf")
        report = Reporter(book)
        render_book(load_book(book, report), report)
        assert not report.errors, report.errors
        messages[name] = [(d.line, d.message) for d in report.warnings if "TeX math" in d.message]
    assert messages["bare"] == [(7, "TeX math 'A \\xrightarrow{\\text{प्रकाश}} B': no font the "
                                    "print edition draws formulas with has the letters of "
                                    "'प्रकाश', which it shows as blank boxes; add a font "
                                    "that has them (fonts: in book.yaml)")], messages
    assert messages["own"] == [], messages


def test_a_named_function_is_spaced_in_the_epubs_mathml_as_tex_spaces_it():
    """``n_1 \\sin\\theta_1``: the converter gives "sin" as an ``mi``, which a reading
    system sets solid ("n₁sinθ₁" in Chromium): it is an operator with TeX's thin space
    where an operand stands beside it, none against a bracket or after a relation."""
    ns = "{http://www.w3.org/1998/Math/MathML}"

    def names(tex: str) -> list[tuple[str, str, str]]:
        root = ET.fromstring(m.tex_to_mathml(tex))
        return [(el.text, el.get("lspace"), el.get("rspace")) for el in root.iter(f"{ns}mo")
                if (el.text or "").isalpha()]
    thin = "0.1667em"
    assert names(r"n_1 \sin\theta_1") == [("sin", thin, thin)]
    assert names(r"y = \cos x") == [("cos", "0", thin)]
    assert names(r"x \sin(t)") == [("sin", thin, "0")]
    assert names(r"\log x") == [("log", "0", thin)]


def test_the_rows_of_an_aligned_derivation_stand_apart():
    """An aligned derivation's rows of fractions stood 3 pt apart, a denominator all but
    touching the numerator under it: they are 0.6 em apart."""
    tex = (r"\begin{aligned} n &= \frac{10{,}0\ \text{g}}{2{,}00\ \text{L}} \\ "
           r"c &= \frac{0{,}5\ \text{mol}}{2{,}00\ \text{L}} \end{aligned}")
    one = drawn(r"\begin{aligned} n &= \frac{10{,}0\ \text{g}}{2{,}00\ \text{L}} \end{aligned}")
    both = drawn(tex)
    gap = (both[1] + both[2]) - 2 * (one[1] + one[2])     # between the two rows
    assert gap > 0.5 * m.SIZE, (both, one)


# -- a table's formulas: their bars as written ----------------------------------------------
def test_a_bar_in_a_formula_in_a_simple_or_grid_table_stays_an_absolute_values(book_copy):
    """A simple or a grid table is read as a pipe table, whose "|" were all escaped:
    ``$|x| + |y|$`` became ``\\|x\\| + \\|y\\|``, a norm (‖x‖ in the EPUB and in print),
    where pandoc keeps the absolute values. A formula's and a code span's bars are kept
    as written, in a pipe table too (pandoc parts no cell there); an escaped bar in the
    text is a bar, as in pandoc."""
    from lxml import html as lxml_html

    from conftest import add_to_chapter, rendered_book
    add_to_chapter(book_copy, "\n".join([
        "  Name     Formel", "  -------  --------------------------------",
        r"  Simple   $|x| + |y|$ `a|b` und \| c", "",
        "Table: Simple {#tbl-simple}", "",
        "+---------+--------------------------------+",
        "| Name    | Formel                         |",
        "+=========+================================+",
        r"| Grid    | $|x| + |y|$ `a|b` und \| c     |",
        "+---------+--------------------------------+", "",
        ": Grid {#tbl-grid}", "",
        "| Name | Formel |", "|------|--------|",
        r"| Pipe | $|x| + |y|$ `a|b` und \| c |", "",
        ": Pipe {#tbl-pipe}"]))
    rb, report = rendered_book(book_copy)
    assert not report.errors, report.errors
    body = next(d.body_html for d in rb.docs if 'id="tbl-grid"' in d.body_html)
    tree = lxml_html.fragment_fromstring(body, create_parent="div")
    plain = m.tex_to_mathml("|x| + |y|")
    for name in ("simple", "grid", "pipe"):
        cells = tree.xpath(f'//*[@id="tbl-{name}"]//tbody//td')
        assert [c.text_content().strip() for c in cells][0] == name.title(), name
        formula = cells[1].xpath(".//*[local-name()='math']")
        assert [f.get("alttext") for f in formula] == ["|x| + |y|"], name
        mathml = lxml_html.tostring(formula[0], encoding="unicode")
        assert "\u2016" not in mathml and mathml.count("<mo") == plain.count("<mo"), mathml
        assert [c.text for c in cells[1].iter("code")] == ["a|b"], name
        assert cells[1].text_content().endswith("und | c"), name
        # in print, the formula is drawn as the same formula in the text is
        _, drawn_svgs = m.print_html(mathml, {})
        assert list(drawn_svgs.values()) == [m.mathml_to_svg(plain)], name
