"""Maths as the reader sees it: upright units, accents on their letters, named functions
spaced, and formulas kept inside the measure in print. In process, on small formulas."""
from __future__ import annotations

import re

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


# -- print: display maths on the measure ---------------------------------------------------
STYLES = m.__file__.rsplit("/", 2)[0] + "/styles"


def math_boxes(tmp_path, body: str, sheets: list[str], page: str = "") -> list:
    """The layout boxes of the drawn formulas of ``body`` (HTML with MathML) set in
    print with ``sheets`` (of styles/) and ``page`` (more CSS), each with its measure:
    (its box, the left edge and the width of its line or block)."""
    from weasyprint import CSS, HTML
    html, svgs = m.print_html(body, {})
    (tmp_path / "generated").mkdir(exist_ok=True)
    for name, svg in svgs.items():
        (tmp_path / "generated" / f"{name}.svg").write_text(svg, encoding="utf-8")
    doc = HTML(string=f"<html lang='de'><body>{html}</body></html>",
               base_url=str(tmp_path) + "/").render(
        stylesheets=[CSS(filename=f"{STYLES}/{s}") for s in sheets] + [CSS(string=page)])
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
