"""Scripts whose letters are shaped (Devanagari's conjuncts and vowel signs…) in what
print draws itself: the generated figures, and the warning on an author's SVG."""
from __future__ import annotations

import re
import shutil
from pathlib import Path

from lxml import etree

from studyguide import figures, fonts
from studyguide.errors import Reporter
from studyguide.fonts import read_font, unshaped_svg_text
from studyguide.loader import load_book
from studyguide.resolve import render_book
from test_fonts import assert_same_ink, printed_ink
from test_locales_metadata import write_book

DEVANAGARI = Path(__file__).parent / "fixtures" / "fonts" / \
    "NotoSansDevanagari-Regular-figures-subset.ttf"
SVG = "{http://www.w3.org/2000/svg}"
HINDI = re.compile("[\u0900-\u097f]")


def test_a_generated_figures_devanagari_prints_as_the_text_prints_it(tmp_path):
    """WeasyPrint draws an SVG text's characters one by one, unshaped: a timeline's
    "प्रीस्टली का पुदीना प्रयोग" came out with its vowel signs apart from their
    letters, on dotted circles, and its conjuncts unformed. Its line is drawn as the
    outlines of its glyphs, shaped, in the book's own font where the theme's lack the
    letters: as a paragraph of the text prints it."""
    svg = figures._svg(400, 40, "t", [
        '<text x="10" y="30" font-size="20">प्रीस्टली का पुदीना प्रयोग</text>'])
    book_fonts = [read_font(DEVANAGARI, "fonts/d.ttf")]
    printed = figures.for_print(svg, book_fonts)
    assert not HINDI.search(printed) and "<path" in printed, printed
    (tmp_path / "t.svg").write_text(printed, encoding="utf-8")
    (tmp_path / "d.ttf").write_bytes(DEVANAGARI.read_bytes())
    drawn = printed_ink(tmp_path, '<img src="t.svg" alt="t" style="width: 400px; '
                        'display: block">', "figure", "420px 60px")
    text = printed_ink(tmp_path, '<style>@font-face { font-family: D; src: url(d.ttf) }'
                       '</style><p style="font: 20px \'DejaVu Sans\', D; margin: 0">'
                       'प्रीस्टली का पुदीना प्रयोग</p>', "text", "420px 60px")
    assert_same_ink(drawn, text)


def test_a_hindi_books_figures_draw_every_devanagari_line_shaped(tmp_path):
    """In a Hindi book with its own Devanagari font, every line of the timeline (its
    heading, "मुख्य घटनाएँ", and its events) and of the strategy diagram is drawn for
    print as outlines: no Devanagari is left to WeasyPrint's unshaped SVG text. Latin
    lines (the ruler's years) stay text, and the EPUB's SVG keeps all its text."""
    book = write_book(tmp_path / "book", {
        "title": "T", "language": "hi", "fonts": ["fonts/d.ttf"],
        "labels": {"timeline_heading": "मुख्य घटनाएँ {years}"}},
        "---\ntitle: One\n---\n\n![रणनीतियाँ](figure:strategies)\n",
        timeline=[{"date": 1771, "event": "प्रीस्टली का पुदीना प्रयोग।", "key": True},
                  {"date": 1779, "event": "मुख्य प्रयोग।", "key": True}])
    (book / "fonts").mkdir()
    shutil.copy(DEVANAGARI, book / "fonts" / "d.ttf")
    (book / "data" / "strategies.yaml").write_text(
        "title: मुख्य घटनाएँ\ncolumns:\n  - heading: प्रयोग\n    steps: [प्रकाश, पुदीना]\n"
        "  - heading: सूर्य\n    steps: [क्लोरोफिल]\n", encoding="utf-8")
    report = Reporter(book)
    rb = render_book(load_book(book, report), report)
    assert not report.errors, report.errors
    for name in ("timeline", "strategies"):
        epub = etree.fromstring(rb.figures[name].encode())
        assert any(HINDI.search("".join(t.itertext())) for t in epub.iter(SVG + "text"))
        printed = etree.fromstring(figures.for_print(rb.figures[name], rb.book.fonts).encode())
        texts = ["".join(t.itertext()) for t in printed.iter(SVG + "text")]
        assert not any(HINDI.search(t) for t in texts), (name, texts)
        assert len(list(printed.iter(SVG + "path"))) > len(list(epub.iter(SVG + "path")))
        if name == "timeline":            # the ruler's years
            assert any(t.strip().isdigit() for t in texts), texts


def test_what_needs_shaping_is_what_harfbuzz_sets_otherwise_than_letter_by_letter():
    """The rule that sends a line to outlines: HarfBuzz's shaping, in the fonts print
    uses, against one glyph a character in order. Latin, Greek, Cyrillic and Hebrew
    without points shape letter by letter (and stay text); Devanagari's conjuncts and
    vowel signs, Arabic's joined letters and Hebrew's points do not."""
    book_fonts = [read_font(DEVANAGARI, "fonts/d.ttf")]
    line = lambda text: [(text, False, False, False)]      # noqa: E731
    for text in ("Key events", "Éclair – “office”", "Ελληνικά", "Кириллица", "שלום",
                 "कमल"):                                  # (three letters, no signs)
        assert not fonts.needs_shaping(line(text), book_fonts), text
    for text in ("प्रीस्टली", "का", "मुख्य", "سلام", "שָׁלוֹם"):
        assert fonts.needs_shaping(line(text), book_fonts), text


def test_an_svg_images_devanagari_text_is_a_warning():
    """Print draws an SVG image's text letter by letter: an author's Devanagari came
    out with its vowel signs apart and its conjuncts unformed, with no warning (only
    right-to-left text was reported). Text whose marks need shaping is reported too;
    plain Latin text is not."""
    svg = ('<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 100 20"><text x="0" '
           'y="15">{}</text></svg>')
    note = unshaped_svg_text(svg.format("प्रकाश संश्लेषण").encode())
    assert note and "'प्रकाश संश्लेषण'" in note and "vowel signs" in note, note
    assert "outlines" in note
    assert unshaped_svg_text(svg.format("ที่นี่").encode())           # Thai's marks
    assert unshaped_svg_text(svg.format("Photosynthesis, é").encode()) is None
    assert "right-to-left" in unshaped_svg_text(svg.format("المال").encode())
