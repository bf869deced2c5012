"""The generated figures' text as a reader meets it: a key figure's name kept on one
line, and a ruler of years that labels its ticks. In process, on small books."""
from __future__ import annotations

import re
from pathlib import Path

import pytest
from lxml import etree

from conftest import rendered_book
from studyguide import figures

SVG = {"s": "http://www.w3.org/2000/svg"}
NAME = "Trần Trọng Kim"


def write_book(root: Path, people: str = "", timeline: str = "") -> Path:
    """A book of one chapter, with the key figures and timeline given (YAML)."""
    (root / "chapters").mkdir(parents=True)
    (root / "data").mkdir()
    (root / "book.yaml").write_text("title: Thử\nlanguage: vi\ndate: 2026-12-05\n"
                                    "chapters: [chapters/01.md]\noutputs: [epub]\n",
                                    encoding="utf-8")
    (root / "chapters" / "01.md").write_text("---\ntitle: Chương thử\n---\n\nVăn bản.\n",
                                             encoding="utf-8")
    if people:
        (root / "data" / "people.yaml").write_text(people, encoding="utf-8")
    if timeline:
        (root / "data" / "timeline.yaml").write_text(timeline, encoding="utf-8")
    return root


def lines_of(svg: str) -> list[str]:
    """The text of each <text> line of a figure."""
    return ["".join(t.itertext()) for t in
            etree.fromstring(svg.encode()).iterfind(".//s:text", SVG)]


# -- a key figure's name ------------------------------------------------------------------
def strategies(heading: str, row: str) -> dict:
    return {"title": "Hai con đường năm 1945",
            "columns": [{"heading": "Mặt trận Việt Minh", "steps": ["Chuẩn bị", "Khởi nghĩa"]},
                        {"heading": heading, "steps": ["Dựa vào Nhật", "Sụp đổ"]}],
            "rows": [row, "Kết quả"]}


def test_a_column_heading_and_a_row_label_break_before_a_key_figures_name():
    """"Chính phủ Trần Trọng Kim" was set "Chính phủ Trần Trọng" / "Kim" in the column
    head ("Kim" alone is another word): the line breaks before the name instead, as a
    heading of the text does not break inside it (docs/authoring.md, Headings)."""
    names = ["Hồ Chí Minh", NAME]
    lines = lines_of(figures.strategies_svg(
        strategies(f"Chính phủ {NAME}", "Ông Hồ Chí Minh"), names))
    assert "Chính phủ" in lines and NAME in lines, lines
    assert "Ông" in lines and "Hồ Chí Minh" in lines, lines
    # without the names, the same text breaks inside them: the names make the difference
    unnamed = lines_of(figures.strategies_svg(strategies(f"Chính phủ {NAME}", "Ông Hồ Chí Minh")))
    assert NAME not in unnamed and "Hồ Chí Minh" not in unnamed, unnamed


def test_a_name_wider_than_a_line_breaks_as_any_words():
    """A name that fills more than a line on its own is broken between its words, as
    text is, rather than run past its column."""
    long_name = "Nguyễn Phúc Vĩnh Thụy Bảo Đại Hoàng Đế"
    lines = lines_of(figures.strategies_svg(strategies(f"Triều {long_name}", "Bước đầu"),
                                            [long_name]))
    heading = [line for line in lines if line in long_name or line.startswith("Triều")]
    assert heading[0].startswith("Triều ") and len(heading) == 2, lines
    assert " ".join(heading) == f"Triều {long_name}", heading


def test_a_timeline_label_breaks_before_a_key_figures_name(tmp_path):
    """An event's label in the timeline keeps the key figure's name on one line too."""
    text = " ".join(["chữ"] * 11) + f" {NAME} lập chính phủ."
    book = write_book(tmp_path / "book", f"- name: {NAME}\n  dates: 1883–1953\n",
                      f"- {{date: '1945', event: {text}, key: true}}\n"
                      "- {date: '1946', event: Một sự kiện., key: true}\n")
    rb, report = rendered_book(book)
    assert not report.errors, report.errors
    lines = lines_of(rb.figures["timeline"])
    label = [line for line in lines if "chữ" in line or "chính phủ" in line]
    assert len(label) == 2 and label[1].startswith(NAME), label
    # the name would not have fitted whole on the first line
    assert len(label[0]) + 1 + len(NAME) > figures.chars(
        figures.WIDTH - 128 - 4, 14), label


# -- the ruler of years -------------------------------------------------------------------
def ruler(svg: str) -> tuple[list[float], list[tuple[int, float]], float]:
    """The timeline's ticks (their y), its year labels (the year and its baseline) and
    the labels' size."""
    root = etree.fromstring(svg.encode())
    axis = min(float(c.get("cx")) for c in root.iterfind(".//s:circle", SVG))
    ticks = [float(t.get("y1")) for t in root.iterfind(".//s:line", SVG)
             if float(t.get("x2")) == axis and float(t.get("x1")) < axis
             and t.get("y1") == t.get("y2")]
    labels = [(int(t.text), float(t.get("y"))) for t in root.iterfind(".//s:text", SVG)
              if re.fullmatch(r"\d{4}", t.text or "") and float(t.get("x")) < axis]
    sizes = {float(t.get("font-size")) for t in root.iterfind(".//s:text", SVG)
             if re.fullmatch(r"\d{4}", t.text or "") and float(t.get("x")) < axis}
    return ticks, labels, sizes.pop() if sizes else 0.0


def timeline_of(tmp_path: Path, dates: list[str]) -> str:
    events = "".join(f"- {{date: '{d}', event: Sự kiện {i}., key: true}}\n"
                     for i, d in enumerate(dates))
    rb, report = rendered_book(write_book(tmp_path / "book", timeline=events))
    assert not report.errors, report.errors
    return rb.figures["timeline"]


def test_a_short_timelines_ruler_labels_every_year_at_its_tick(tmp_path):
    """Over 1940–1945 the ruler labelled one of its six ticks, "1945", which stood level
    with an event of December 1944 and said nothing of the other years: each year is
    labelled now, beside its own tick, so the December dot reads between 1944 and 1945."""
    svg = timeline_of(tmp_path, ["1940-09", "1941-05-19", "1944-12-22", "1945-09-02"])
    ticks, labels, size = ruler(svg)
    assert [year for year, _ in labels] == list(range(1941, 1947)), labels
    for year, baseline in labels:
        # the label's middle (its baseline less about a third of its size) at a tick
        assert min(abs(baseline - 0.35 * size - t) for t in ticks) < 1.0, (year, ticks)
    # one tick each, one label each, in order down the page
    assert len(ticks) == len(labels) and [y for _, y in labels] == sorted(y for _, y in labels)
    dots = [float(c.get("cy")) for c in etree.fromstring(svg.encode()).iterfind(
        ".//s:circle", SVG)]
    at = dict(labels)
    assert at[1944] < dots[2] + 0.35 * size < at[1945], (at, dots)


def test_a_months_date_standing_alone_starts_with_a_capital(tmp_path):
    """A Vietnamese chronology's date column and the timeline's labels read "tháng 11
    năm 1999": a date standing alone starts with a capital, as a cell's first word does
    ("Tháng 11 năm 1999"); a date with a day, which starts with its figure, is as it was."""
    events = ("- {date: '1999-11', event: Lũ lịch sử., key: true}\n"
              "- {date: '2000-09-02', event: Lũ lớn., key: true}\n")
    rb, report = rendered_book(write_book(tmp_path / "book", timeline=events))
    assert not report.errors, report.errors
    assert [e["date"] for e in rb.timeline] == ["Tháng 11 năm 1999", "2 tháng 9 năm 2000"]
    text = " ".join(lines_of(rb.figures["timeline"]))
    assert "Tháng 11 năm 1999" in text and "tháng 11" not in text, text


def test_an_event_alone_between_breaks_is_ruled_with_its_own_year(tmp_path):
    """A Vietnamese timeline labelled "1436" beside its event of 1435, "1820" beside
    1819: a run of one event between two breaks of the axis labelled the even year of
    the ruler's step, the next year's tick. Its own year's tick is labelled now."""
    svg = timeline_of(tmp_path, ["1435", "1698", "1776", "1819", "1893", "1945", "1946"])
    _, labels, _ = ruler(svg)
    years = [y for y, _ in labels]
    for lone in (1435, 1698, 1776, 1819, 1893):
        assert lone in years and lone + 1 not in years, years


@pytest.mark.parametrize("first, last", [(1940, 1942), (1900, 1912), (1900, 1930),
                                         (1850, 1905), (1700, 1900), (1200, 1915)])
def test_a_ruler_labels_several_years_far_enough_apart_to_read(tmp_path, first, last):
    """Over any span drawn unbroken the ruler labels years at a round step (1, 2, 5, 10,
    20, 50…), at least two of them, no nearer each other than two lines of an event's
    label."""
    # events no further apart than the axis runs unbroken
    every = min(figures.GAP_YEARS, max(1, (last - first) // 12))
    dates = [str(y) for y in range(first, last + 1, every)]
    ticks, labels, size = ruler(timeline_of(tmp_path, dates))
    years = [y for y, _ in labels]
    assert len(years) >= 2, labels
    steps = {b - a for a, b in zip(years, years[1:])}
    assert len(steps) == 1 and steps.pop() in (1, 2, 5, 10, 20, 50, 100), years
    assert min(b - a for (_, a), (_, b) in zip(labels, labels[1:])) >= 2 * size, labels


def test_the_default_guides_ruler_labels_every_five_years():
    """The ruler over the default guide's 140 years reads as it did: every five years."""
    from conftest import CONTENT
    rb, _ = rendered_book(CONTENT)
    _, labels, _ = ruler(rb.figures["timeline"])
    assert [y for y, _ in labels] == [1850, 1910, 1915, 1920, 1925, 1930, 1935, 1940, 1991]


def test_the_books_strategy_diagram_keeps_its_key_figures_names_whole(tmp_path):
    """The resolver gives the diagram the book's names: a column heading breaks before
    a key figure's name, not inside it ("Chính phủ Trần Trọng" / "Kim")."""
    import re

    import yaml

    from conftest import rendered_book
    from test_locales_metadata import write_book
    book = write_book(tmp_path / "book", {"title": "Thử", "language": "vi"},
                      "---\ntitle: Thử\n---\n\nTrần Trọng Kim làm thủ tướng.\n")
    (book / "data").mkdir()
    (book / "data" / "people.yaml").write_text(yaml.safe_dump(
        [{"name": "Trần Trọng Kim", "dates": "1883–1953", "role": "Thủ tướng",
          "bio": "Nhà giáo."}], allow_unicode=True), encoding="utf-8")
    (book / "data" / "strategies.yaml").write_text(yaml.safe_dump(
        {"title": "Hai con đường năm 1945",
         "columns": [{"heading": "Mặt trận Việt Minh", "steps": ["Chuẩn bị", "Khởi nghĩa"]},
                     {"heading": "Chính phủ Trần Trọng Kim", "steps": ["Dựa vào Nhật",
                                                                        "Sụp đổ"]}],
         "rows": ["Bước đầu", "Kết quả"]}, allow_unicode=True), encoding="utf-8")
    rb, _ = rendered_book(book)
    lines = re.findall(r"<text[^>]*>([^<]*)</text>", rb.figures["strategies"])
    assert "Trần Trọng Kim" in [ln.replace("\u2060", "").replace("\u00a0", " ")
                                for ln in lines], lines


def test_a_figures_text_alternative_is_the_plain_text_of_its_markdown(tmp_path):
    """``![*A* map](x.png)`` alone in its paragraph: the caption keeps the emphasis, the
    picture's alt text is "A map" (as pandoc's); a formula stays its TeX."""
    import re
    import shutil

    from conftest import FIXTURES, rendered_book
    from test_locales_metadata import write_book
    book = write_book(tmp_path / "book", {"title": "T", "language": "en-GB"},
                      "---\ntitle: A\n---\n\n![*A* map of $x^2$ and `code`](../images/dot.png)"
                      "\n\nText.\n")
    (book / "images").mkdir()
    shutil.copy(FIXTURES / "pandoc" / "images" / "dot.png", book / "images" / "dot.png")
    rb, report = rendered_book(book)
    assert not report.errors
    html = rb.docs[0].body_html
    assert re.search(r'<img alt="A map of \$x\^2\$ and code"', html), html
    assert "<em>A</em> map" in html.split("<figcaption>")[1]


def test_a_figures_subscripts_and_superscripts_are_printed_small_and_moved(tmp_path):
    """WeasyPrint's SVG drawing passes over ``baseline-shift``: "E~A~ sinkt" printed
    "EA sinkt", the subscript at full size on the line. Print sets a subscript and a
    superscript smaller and below or above the line, and the text after each back on
    it; the EPUB's figure keeps ``baseline-shift``, which reading systems draw."""
    import base64

    import pdfplumber
    from weasyprint import HTML
    words = figures.runs("E<sub>A</sub> sinkt, 10<sup>3</sup> mol")
    line = [run for word in words for run in [(" ", ()), *word]][1:]
    svg = figures._svg(300, 40, "t", [figures._lines(10, 25, [line], 16)])
    assert 'baseline-shift="sub"' in figures.for_screen(svg)
    printed = figures.for_print(svg)
    assert "baseline-shift" not in printed
    src = "data:image/svg+xml;base64," + base64.b64encode(printed.encode()).decode()
    out = tmp_path / "f.pdf"
    HTML(string=f'<html lang="de"><body><img src="{src}" style="width: 12cm"></body></html>'
         ).write_pdf(out)
    with pdfplumber.open(out) as pdf:
        chars = [c for c in pdf.pages[0].chars if c["text"].strip()]
    text = "".join(c["text"] for c in chars)
    assert text.startswith("EAsinkt,103mol"), text
    e, a, s, one, three, m = (chars[i] for i in (0, 1, 2, 7, 10, 11))
    assert a["size"] < 0.8 * e["size"] and three["size"] < 0.8 * one["size"]
    assert a["bottom"] > e["bottom"] + 1                 # below the line
    assert three["bottom"] < one["bottom"] - 1           # above it
    for after in (s, m):                                 # and back on it
        assert abs(after["bottom"] - e["bottom"]) < 0.1 and after["size"] == e["size"]


def test_a_handout_leaves_out_what_the_timelines_caption_says_of_the_book(tmp_path):
    """The timeline's default caption ("Key events. The full timeline follows.") says
    that the book's full timeline follows, which a handout has not: a chapter's reading
    handout prints the first sentence alone, the book and the EPUB both. An author marks
    words of the book alone so too (``[…]{.in-book}``)."""
    import shutil
    import subprocess
    import zipfile

    from conftest import MINI, run_build
    book = tmp_path / "book"
    shutil.copytree(MINI, book)
    yaml = book / "book.yaml"
    yaml.write_text(yaml.read_text(encoding="utf-8").replace(
        "  timeline_caption: Key events of the debate. The full timeline follows.\n", ""),
        encoding="utf-8")
    chapter = book / "chapters" / "02-second.md"
    chapter.write_text(chapter.read_text(encoding="utf-8").replace(
        "## Closing words", "![The key events](figure:timeline){#fig-events}\n\n"
        "Shared words. [Words for the book alone.]{.in-book}\n\n## Closing words", 1),
        encoding="utf-8")
    out = tmp_path / "out"
    result = run_build("--content", str(book), "--output", str(out), "-q",
                       "--edition", "student", "--no-cache")
    assert result.returncode == 0, result.stderr

    def text(pdf: Path) -> str:
        return " ".join(subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True,
                                       text=True, check=True).stdout.split())
    handout = text(next((out / "handouts").glob("ch02-reading-*.pdf")))
    assert "Key events." in handout and "The full timeline follows" not in handout
    assert "Shared words." in handout and "for the book alone" not in handout
    printed = text(next(out.glob("*-student-*.pdf")))
    assert "Key events. The full timeline follows." in printed
    assert "Shared words. Words for the book alone." in printed
    with zipfile.ZipFile(next(out.glob("*.epub"))) as epub:
        xhtml = epub.read("EPUB/ch02.xhtml").decode()
    assert 'Key events. <span class="in-book">The full timeline follows.</span>' in xhtml
