"""Images, math and data texts: checks in process on a copy of the media fixture book
(tests/fixtures/media), whose chapter names its pictures from chapters/ as ../images/."""
from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest
from lxml import html as lxml_html

from conftest import FIXTURES
from studyguide.errors import Reporter
from studyguide.loader import load_book
from studyguide.resolve import render_book

MEDIA = FIXTURES / "media"
CH = "chapters/01-carbon.md"


@pytest.fixture
def book(tmp_path: Path) -> Path:
    dest = tmp_path / "book"
    shutil.copytree(MEDIA, dest)
    return dest


def render(root: Path):
    report = Reporter(root)
    rb = render_book(load_book(root, report), report)
    return rb, report


def problems(report: Reporter, severity: str = "error") -> list[tuple[str, int, str]]:
    return [(Path(d.path).name, d.line, d.message) for d in report.diagnostics
            if d.severity == severity]


def line_of(path: Path, needle: str) -> int:
    return next(i for i, line in enumerate(path.read_text().splitlines(), 1) if needle in line)


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def tree(html: str):
    return lxml_html.fragment_fromstring(html, create_parent="div")


@pytest.fixture(scope="module")
def rb():
    rendered, report = render(MEDIA)
    assert not report.errors, report.errors
    return rendered


# -- images ---------------------------------------------------------------------------
def test_images_resolve_relative_to_the_chapter_and_are_named_from_the_book_folder(rb):
    body = tree(rb.docs[0].body_html)
    srcs = {f.get("id"): f.find("img").get("src") for f in body.iter("figure")}
    assert srcs == {"fig-reservoirs": "images/reservoirs.svg", "fig-curve": "images/keeling.png",
                    "fig-station": "images/station.jpg"}
    assert sorted(rb.images) == ["images/keeling.png", "images/reservoirs.svg",
                                 "images/station.jpg"]
    captions = [f.find("figcaption").text_content() for f in body.iter("figure")]
    assert captions == ["Figure 1.1. The four reservoirs", "Figure 1.2. The Keeling curve",
                        "Figure 1.3. A photograph-like grey gradient standing for the "
                        "observatory."]
    assert "Figure 1.1" in body.xpath("//a[@href='#fig-reservoirs']")[0].text


def test_image_width_becomes_a_style(rb):
    img = tree(rb.docs[0].body_html).xpath("//figure[@id='fig-curve']/img")[0]
    assert img.get("style") == "width: 50%" and img.get("width") is None


def test_image_path_relative_to_the_book_folder_is_an_error_naming_the_file_tried(book):
    ch = book / CH
    edit(ch, "../images/keeling.png", "images/keeling.png")
    _, report = render(book)
    assert problems(report) == [
        ("01-carbon.md", line_of(ch, "images/keeling.png"),
         "missing image 'images/keeling.png': no file chapters/images/keeling.png in the "
         "book folder (an image's path is relative to the file that names it, "
         "chapters/01-carbon.md); did you mean '../images/keeling.png' "
         "(images/keeling.png)?")]


def test_image_outside_the_book_is_refused(book, tmp_path):
    (tmp_path / "secret.png").write_bytes((book / "images" / "keeling.png").read_bytes())
    ch = book / CH
    edit(ch, "../images/keeling.png", "../../secret.png")
    rb, report = render(book)
    assert [(n, line, m) for n, line, m in problems(report)] == [
        ("01-carbon.md", line_of(ch, "secret.png"),
         "resource '../../secret.png' is outside the book folder and is not fetched")]
    assert "secret" not in rb.docs[0].body_html and "secret.png" not in str(rb.images)


@pytest.mark.parametrize("name, data, why", [
    ("keeling.png", b"this is not a picture", "the image cannot be read"),
    ("keeling.png", "truncate", "cannot be decoded as an image"),
    ("station.jpg", "png", "is a PNG file but named .jpg"),
    ("reservoirs.svg", b"<svg xmlns='http://www.w3.org/2000/svg'><rect></svg>",
     "is not well-formed XML"),
    ("reservoirs.svg", b"<html><body/></html>", "is not an SVG image"),
    ("reservoirs.svg", b"<svg xmlns='http://www.w3.org/2000/svg' "
     b"xmlns:xlink='http://www.w3.org/1999/xlink'><image xlink:href='file:///etc/passwd'/>"
     b"</svg>", "<image> is not allowed in SVG"),
])
def test_an_image_that_cannot_be_drawn_is_an_error(book, name, data, why):
    path = book / "images" / name
    if data == "truncate":
        data = path.read_bytes()[:len(path.read_bytes()) // 2]
    elif data == "png":
        data = (book / "images" / "keeling.png").read_bytes()
    path.write_bytes(data)
    _, report = render(book)
    found = problems(report)
    assert len(found) == 1, found
    file, line, message = found[0]
    assert (file, line) == ("01-carbon.md", line_of(book / CH, name))
    assert message.startswith(f"image '../images/{name}': ") and why in message, message


def test_bad_image_width_is_an_error(book):
    edit(book / CH, "width=50%", "width=half")
    _, report = render(book)
    assert problems(report) == [("01-carbon.md", line_of(book / CH, "keeling.png"),
                                 "image width 'half' is not a length (e.g. 50%, 8cm, 300px)")]


def test_images_in_data_texts_are_relative_to_their_file(book):
    edit(book / "data" / "timeline.yaml", "event: Continuous measurement begins",
         "event: >-\n    ![Mauna Loa](../images/station.jpg) Continuous measurement begins")
    rb, report = render(book)
    assert not report.errors, report.errors
    assert 'src="images/station.jpg"' in rb.timeline[1]["event"]
    edit(book / "data" / "timeline.yaml", "../images/station.jpg", "images/station.jpg")
    _, report = render(book)
    assert problems(report) == [("timeline.yaml", 4, "missing image 'images/station.jpg': no "
                                 "file data/images/station.jpg in the book folder (an image's "
                                 "path is relative to the file that names it, "
                                 "data/timeline.yaml); did you mean '../images/station.jpg' "
                                 "(images/station.jpg)?")]


# -- math ------------------------------------------------------------------------------
@pytest.mark.parametrize("text, formulas", [
    ("the mass $M(t) = M_0 e^{kt}$ grows", ["M(t) = M_0 e^{kt}"]),
    ("costs $20,000 and $30,000 here", []),               # closing $ before a digit
    ("$ x$ and $x $ are not math", []),                  # space inside the dollars
    (r"an escaped \$x$ is a dollar sign, $y$ is math", ["y"]),
    ("`$x$` is code", []),
    ("$a$ and $b$", ["a", "b"]),
    ("$$\\sum_{i=1}^{4} C_i$$", ["\\sum_{i=1}^{4} C_i"]),
    # TeX's escaped space and line break are TeX's here, not pandoc's no-break space
    # and hard line break
    (r"about $30\ \text{°C/km}$ down", [r"30\ \text{°C/km}"]),
    ("$$\\begin{matrix} a & b \\\\\nc & d \\end{matrix}$$",
     ["\\begin{matrix} a & b \\\\\nc & d \\end{matrix}"]),
])
def test_dollar_math_follows_pandocs_rules(text, formulas):
    from studyguide.markdown import convert
    found = tree(convert(text)).xpath("//math")
    assert [m.get("alttext") for m in found] == formulas
    for m in found:
        assert m.get("display") == ("block" if "$$" in text else "inline")
        assert m.xpath(".//mi|.//mn|.//mo")          # real MathML, not the TeX as text
    if not formulas and "`" not in text:
        assert "$" in tree(convert(text)).text_content()


def test_tex_to_mathml_is_callable_on_its_own():
    from studyguide import math
    out = tree(math.tex_to_mathml(r"\frac{a}{b}")).xpath("//math")[0]
    assert out.get("alttext") == r"\frac{a}{b}" and out.xpath(".//mfrac")
    with pytest.raises(math.MathError, match="unknown TeX command"):
        math.tex_to_mathml(r"\nosuchcommand x")


def test_math_becomes_svg_for_print_with_the_tex_as_alt(rb):
    from studyguide import math
    body = rb.docs[0].body_html
    html, svgs = math.print_html(body, rb.math)
    assert "<math" not in html and set(svgs) <= set(rb.math) and len(svgs) == 3
    imgs = tree(html).xpath("//img[contains(@class, 'math')]")
    assert [i.get("alt") for i in imgs] == ["M(t) = M_0 e^{kt}", "k > 0",
                                            r"\sum_{i=1}^{4} C_i = C_{\text{total}}"]
    assert [("display" in i.get("class")) for i in imgs] == [False, False, True]
    for img in imgs:
        svg = svgs[img.get("src").removeprefix("generated/").removesuffix(".svg")]
        assert svg.startswith("<svg") and "<path" in svg
        assert "vertical-align: -" in img.get("style")


@pytest.mark.parametrize("tex, message", [
    (r"$\frac{1}{$", "TeX math: cannot read"),
    (r"$\nosuchcommand x$", "TeX math: unknown TeX command '\\nosuchcommand'"),
    # an unbalanced brace the converter would pass over (it printed ½)
    (r"$\frac{1}{2$", "TeX math: cannot read '\\frac{1}{2' (unbalanced braces"),
])
def test_tex_errors_name_file_and_line(book, tex, message):
    ch = book / CH
    edit(ch, "The word for carbon", f"A bad formula {tex} here.\n\nThe word for carbon")
    edit(book / "data" / "timeline.yaml", "Continuous measurement", f"Measured {tex}")
    _, report = render(book)
    found = problems(report)
    # (each at the line that holds the formula: the event's, not its date's)
    assert [(f, line) for f, line, _ in found] == [
        ("01-carbon.md", line_of(ch, "A bad formula")),
        ("timeline.yaml", line_of(book / "data" / "timeline.yaml", "Measured"))]
    assert all(m.startswith(message) for _, _, m in found), found


# -- texts drawn into figures -------------------------------------------------------------
def test_timeline_figure_formats_citations_and_emphasis(rb):
    from lxml import etree
    svg = etree.fromstring(rb.figures["timeline"].encode())
    ns = {"s": "http://www.w3.org/2000/svg"}
    lines = ["".join(t.itertext()) for t in svg.iterfind(".//s:text", ns)]
    assert not any("[@" in line or "*" in line for line in lines), lines
    drawn = " ".join(lines)
    assert "(Revelle and Suess 1957)" in drawn and "(Keeling 1960)" in drawn
    italic = svg.xpath(".//s:tspan[@font-style='italic']/text()", namespaces=ns)
    assert italic == ["Carbon Dioxide Exchange"]
    # the list under the figure says the same
    assert "(Revelle and Suess 1957)" in tree(rb.timeline[0]["event"]).text_content()
    assert rb.figure_alts["timeline"] == (
        "A vertical timeline of the key events: 1957, Revelle and Suess publish Carbon "
        "Dioxide Exchange (Revelle and Suess 1957); March 1958, Continuous measurement "
        "begins at Mauna Loa (Keeling 1960).")


def test_strategy_diagram_texts_are_markdown(book):
    (book / "data" / "strategies.yaml").write_text(
        "title: Where *carbon* goes\ncolumns:\n  - heading: Fast [@keeling1960]\n"
        "    steps: [Air to **sea**, Sea to air]\n  - heading: Slow\n    steps: [Rock]\n")
    rb, report = render(book)
    assert not report.errors, report.errors
    svg = rb.figures["strategies"]
    assert '<tspan font-style="italic">carbon</tspan>' in svg
    assert '<tspan font-weight="bold">sea</tspan>' in svg
    assert "Fast (Keeling 1960)" in svg and "*" not in svg and "[@" not in svg


def test_figure_text_wraps_between_words_and_keeps_styles():
    from studyguide.figures import runs, wrap
    words = runs("<em>Capital</em>. A long tail of words that wraps")
    assert words[0] == [("Capital", (("font-style", "italic"),)), (".", ())]
    lines = wrap(words, 12, 2)
    assert ["".join(t for t, _ in line) for line in lines] == ["Capital. A", "long tail of\u2026"]


def test_captions_and_roles_are_inline_markdown(book):
    edit(book / CH, '"The Keeling curve"', '"The *Keeling* curve & more"')
    (book / "data" / "people.yaml").write_text(
        "- name: Charles Keeling\n  role: Author of *the curve*\n  bio: Measured CO2.\n")
    rb, report = render(book)
    assert not report.errors, report.errors
    cap = tree(rb.docs[0].body_html).xpath("//figure[@id='fig-curve']/figcaption")[0]
    assert cap.text_content() == "Figure 1.2. The Keeling curve & more"
    assert cap.xpath("em/text()") == ["Keeling"]
    assert tree(rb.people[0]["role"]).xpath("//em/text()") == ["the curve"]


def test_names_the_builder_gives_its_own_pictures_are_refused(book):
    (book / "images" / "keeling.png").rename(book / "images" / "cover.png")
    edit(book / CH, "../images/keeling.png", "../images/cover.png")
    _, report = render(book)
    assert [m for _, _, m in problems(report)] == [
        "'../images/cover.png': images/cover.png is a name the builder gives its own "
        "pictures (the EPUB's cover, generated/ figures); rename the file"]


def test_aligned_is_read_and_a_display_formulas_error_is_at_its_own_line(book):
    """pandoc's ``aligned`` environment is math (it failed with an XML error); an error
    in a display formula whose ``$$`` stands alone on its line is reported at the
    formula's first line, not at the file's first ``$$``."""
    ch = book / CH
    edit(ch, "The word for carbon",
         "$$\nx = 1\n$$\n\n$$\n\\begin{aligned} a &= b \\\\ &= c \\end{aligned}\n$$\n\n"
         "$$\n\\nosuchcommand y\n$$\n\nThe word for carbon")
    rb, report = render(book)
    found = problems(report)
    assert [(f, line) for f, line, _ in found] == [
        ("01-carbon.md", line_of(ch, "\\nosuchcommand y"))], found
    body = next(d.body_html for d in rb.docs if "aligned" in d.body_html)
    assert "<mtable" in body


@pytest.mark.parametrize("tex, prefix", [
    ("f(-1)", 1), (r"x \geq -2", 1), (r"(0, +\infty)", 1), ("-x + y", 1),
    ("a - b", 0), ("(a)-b", 0), ("n! - 1", 0),
])
def test_a_sign_before_a_number_is_a_prefix_not_an_operator(tex, prefix):
    """A minus or plus that opens a row or follows an operator or an opening bracket is
    a sign: marked so for the drawing, which spaced it as a subtraction ("f( − 1)")."""
    from studyguide import math as m
    mathml = m.tex_to_mathml(tex)
    assert mathml.count('form="prefix"') == prefix, mathml
    if prefix and not tex.startswith("-"):   # drawn tighter than with the sign unmarked
        # (one that opens the formula the drawing reads as a sign already)
        width = lambda svg: float(re.search(r'viewBox="[^ ]+ [^ ]+ ([^ ]+)', svg).group(1))
        assert width(m.mathml_to_svg(mathml)) < \
            width(m.mathml_to_svg(mathml.replace(' form="prefix"', "")))


@pytest.mark.parametrize("tex", [
    r"\det A", r"\operatorname{tr} B", r"\lim_{n} a_n", r"\max_x f", r"x = \gcd a + 1",
])
def test_a_named_function_is_spaced_from_its_argument(tex):
    """``\\det A`` was drawn "detA": the converter gives the name as an operator, which
    the drawing set against the next letter (``\\sin x``, an ``mi``, it spaced). Drawn,
    the formula is now wider than the converter's own MathML by TeX's thin space."""
    from latex2mathml.converter import convert
    from studyguide import math as m
    width = lambda mathml: m._metrics(m.mathml_to_svg(mathml))[0]
    gap = width(m.tex_to_mathml(tex)) - width(convert(tex))
    assert gap > m.SIZE / 6 - 0.5, (tex, gap)


@pytest.mark.parametrize("tex", [r"\det(A)", r"\sin(x)", r"\log [x]"])
def test_a_named_function_is_set_against_a_bracket(tex):
    """... and against a bracket it is set close, as TeX sets it: "det(A)", "sin(x)"
    (the drawing spaced ``\\sin(x)``), as close as the name and the bracket drawn apart."""
    from studyguide import math as m
    width = lambda t: m._metrics(m.mathml_to_svg(m.tex_to_mathml(t)))[0]
    name, rest = re.match(r"(\\[a-z]+) ?(.*)", tex).groups()
    assert width(tex) <= width(name) + width(rest) + 0.5, tex
