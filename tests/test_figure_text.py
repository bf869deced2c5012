"""The generated figures' text as a reader meets it: a key figure's name kept on one
line. In process, on small books."""
from __future__ import annotations

from pathlib import Path

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
