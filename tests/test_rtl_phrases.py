"""A left-to-right phrase in a right-to-left book keeps its words in order in print when
one of them stands in an element of its own (an index mark, a glossary link, a key
figure's name, emphasis): WeasyPrint sets a line's inline boxes in the paragraph's
direction, and printed "Shuster Morgan" for "Morgan Shuster"."""
from __future__ import annotations

import subprocess

import yaml
from lxml import html as lxml_html

from studyguide.sanitise import to_html
from studyguide.writers import pdf

from conftest import rendered_book
from test_locales_metadata import write_book

CHAPTER = """\
    ---
    title: فصل نخست
    ---

    مجلس دوم Morgan Shuster آمریکایی را استخدام کرد.

    رئیس گمرک Joseph Naus بلژیکی بود.

    او *Edward* Browne را دید، و Henry Smith نیز.
    """


def _phrases(html: str) -> str:
    doc = lxml_html.document_fromstring(f"<html><body>{html}</body></html>")
    pdf.ltr_phrases(doc)
    return to_html(doc.find("body"))[len("<body>"):-len("</body>")]


def test_a_phrase_through_elements_is_set_left_to_right():
    assert _phrases('<p>مجلس Morgan <span class="index-term">Shuster</span> آمریکایی.</p>') \
        == '<p>مجلس <span dir="ltr">Morgan <span class="index-term">Shuster</span></span>' \
           ' آمریکایی.</p>'
    # from its first letter to its last (or digit): not the spaces or the full stop
    assert _phrases("<p>او <em>Edward</em> Browne 1862 را دید.</p>") == \
        '<p>او <span dir="ltr"><em>Edward</em> Browne 1862</span> را دید.</p>'
    # a phrase in one text, or one element alone, needs nothing; code is left as it is
    for html in ("<p>مجلس Morgan Smith آمریکایی.</p>", "<p>مجلس <em>Morgan Smith</em> آ.</p>",
                 "<p>آ <code>a <b>b</b></code> آ</p>"):
        assert _phrases(html) == html


def test_the_printed_words_of_a_marked_phrase_are_in_order(tmp_path):
    labels = {"direction": "rtl"}
    book = write_book(tmp_path / "book", {"title": "آزمون", "language": "fa",
                                          "labels": labels}, CHAPTER,
                      glossary=[{"term": "Naus", "definition": "رئیس گمرک."}])
    (book / "data" / "index.yaml").write_text(yaml.safe_dump([{"heading": "Shuster"}]),
                                              encoding="utf-8")
    rb, report = rendered_book(book)
    assert not report.errors, report.errors
    from weasyprint import HTML
    out = tmp_path / "ch01.pdf"
    HTML(string=pdf.part_sources(rb, False, "A4")["ch01"], base_url=str(book)).write_pdf(out)
    words = lxml_html.fromstring(subprocess.run(
        ["pdftotext", "-bbox", str(out), "-"], capture_output=True, check=True).stdout)
    x = {w.text: float(w.get("xmin")) for w in words.iter("word")}
    for first, second in (("Morgan", "Shuster"), ("Joseph", "Naus"), ("Edward", "Browne")):
        assert x[first] < x[second], (first, second, x)


def test_a_right_to_left_language_without_a_locale_is_set_right_to_left(tmp_path):
    """Persian has no locale file: its book was set left to right unless its author
    knew to give ``direction: rtl`` under ``labels:`` (the warning of the missing locale
    never named it)."""
    from studyguide import labels
    assert labels.defaults("fa")["direction"] == "rtl"
    assert labels.defaults("ur-PK")["direction"] == "rtl"
    assert labels.defaults("tr")["direction"] == "ltr"
    book = write_book(tmp_path / "book", {"title": "آزمون", "language": "fa"}, CHAPTER)
    rb, _ = rendered_book(book)
    assert rb.book.meta.direction == "rtl"
    assert 'dir="rtl"' in pdf.part_sources(rb, False, "A4")["ch01"].split("<body")[0]


def test_the_answer_keys_question_type_keeps_its_space_in_a_right_to_left_book(tmp_path):
    """"پرسش 1 (ص. 1) ○ یادآوری": the space before the question type's sign was a left
    margin, which a right-to-left line sets on the sign's far side: the sign touched the
    question's page."""
    from conftest import run_build
    chapter = """\
        ---
        title: فصل نخست
        questions:
          - type: recall
            question: فرمان مشروطه کی امضا شد؟
            answer: در ۱۹۰۶.
        ---

        ## بخش

        متن.
        """
    book = write_book(tmp_path / "book", {"title": "آزمون", "language": "fa"}, chapter)
    out = tmp_path / "out"
    result = run_build("--content", str(book), "--output", str(out), "--edition", "teacher",
                       "--format", "pdf", "--no-handouts", "--no-cache")
    assert result.returncode == 0, result.stderr
    from pypdf import PdfReader
    found = next(out.glob("*.pdf"))
    last = str(len(PdfReader(found).pages))           # the answer key's page
    words = list(lxml_html.fromstring(subprocess.run(
        ["pdftotext", "-bbox", "-f", last, "-l", last, str(found), "-"], capture_output=True,
        text=True, check=True).stdout).iter("word"))
    sign = next(w for w in words if w.text == "○")
    line = [w for w in words if abs(float(w.get("ymax")) - float(sign.get("ymax"))) < 4]
    # the word at its right on its line (the question's page): a space between
    right = min((w for w in line if float(w.get("xmin")) >= float(sign.get("xmax")) - 0.5),
                key=lambda w: float(w.get("xmin")))
    assert float(right.get("xmin")) - float(sign.get("xmax")) > 2, [w.text for w in line]


def test_a_figures_right_to_left_line_is_isolated_for_the_screen():
    """The EPUB's timeline: "5 اوت 1906 امضای فرمان مشروطه." in an SVG text, which is
    laid out left to right, read with its day at the far left; each line with
    right-to-left letters is isolated in its first strong letter's direction, and a
    line without them, or print's figure, is left as it is."""
    from studyguide import figures
    svg = ('<svg><text x="128" text-anchor="start"><tspan font-weight="bold">5 اوت 1906'
           '</tspan> امضای فرمان مشروطه.</text><text x="1">1906 Tehran</text></svg>')
    shown = figures.for_screen(svg)
    assert '<text x="128" text-anchor="start">\u2068<tspan font-weight="bold">5 اوت 1906' \
           '</tspan> امضای فرمان مشروطه.\u2069</text>' in shown
    assert '<text x="1">1906 Tehran</text>' in shown
    assert "\u2068" not in figures.for_print(svg)
    assert figures.for_screen("<svg><text>Only English</text></svg>") == \
        "<svg><text>Only English</text></svg>"


def test_a_right_to_left_index_fills_its_columns_from_the_right_edge(tmp_path):
    """The index's list took the indent every right-to-left list has (1.4 em), so its
    entries stood some 24 pt in from the text block's right edge, and its left column
    ran into the margin; the works cited too."""
    from conftest import run_build
    chapter = """\
        ---
        title: فصل نخست
        ---

        ## بخش

        بازرگانان در سفارت بریتانیا بست نشستند.
        """
    book = write_book(tmp_path / "book", {"title": "آزمون", "language": "fa"}, chapter)
    entries = [{"heading": "بریتانیا"}] + [{"heading": f"{c} سفارت انگلیس", "see": "بریتانیا"}
                                          for c in "الف ب پ ت".split()]
    (book / "data").mkdir()
    (book / "data" / "index.yaml").write_text(yaml.safe_dump(entries, allow_unicode=True),
                                              encoding="utf-8")
    out = tmp_path / "out"
    result = run_build("--content", str(book), "--output", str(out), "--edition", "student",
                       "--format", "pdf", "--no-handouts", "--no-cache")
    assert result.returncode == 0, result.stderr
    from pypdf import PdfReader
    found = next(out.glob("*.pdf"))
    last = str(len(PdfReader(found).pages))           # the index's page
    words = list(lxml_html.fromstring(subprocess.run(
        ["pdftotext", "-bbox", "-f", last, "-l", last, str(found), "-"], capture_output=True,
        text=True, check=True).stdout).iter("word"))
    # (pdftotext's words of right-to-left text in the order they are drawn)
    heading = next(w for w in words if w.text in ("نمایه", "نمایه"[::-1]))
    edge = float(heading.get("xmax"))                    # the text block's right edge
    entry = next(w for w in words if w.text in ("الف", "الف"[::-1]))
    assert abs(float(entry.get("xmax")) - edge) < 2, (entry.get("xmax"), edge)


def test_what_a_browser_sets_left_to_right_is_one_left_to_right_span():
    """Print's pieces of a Hebrew line are those of the bidirectional algorithm: a number
    or a word and its subscript or superscript, keys joined by "+", a signed number
    and a web address are set left to right; a citation of an English work beside an
    English phrase stands apart from it, each read in the line's order."""
    assert _phrases("<p>(מלמ״ק): 10<sup>6</sup> מ”ק הם</p>") == \
        '<p>(מלמ״ק): <span dir="ltr">10<sup>6</sup></span> מ”ק הם</p>'
    assert _phrases("<p>פליטות CO<sub>2</sub> ופגיעה</p>") == \
        '<p>פליטות <span dir="ltr">CO<sub>2</sub></span> ופגיעה</p>'
    assert _phrases("<p>לחצו <kbd>Ctrl</kbd>+<kbd>F</kbd> וחפשו</p>") == \
        '<p>לחצו <span dir="ltr"><kbd>Ctrl</kbd>+<kbd>F</kbd></span> וחפשו</p>'
    cited = ('<p>מדברים על <span lang="en" dir="ltr">the cycle</span> <span class="citation"'
             ' dir="ltr">(<a>Trenberth ואחרים 2007</a>)</span>.</p>')
    assert _phrases(cited) == cited
    assert _phrases("<td>−212.94</td>") == '<td><span dir="ltr">−212.94</span></td>'
    assert _phrases("<p>על −213 מ' ו־+1.80 או ~400, ב-2000 ו־1990-2000</p>") == \
        "<p>על <span dir=\"ltr\">−213</span> מ' ו־<span dir=\"ltr\">+1.80</span> או " \
        "<span dir=\"ltr\">~400</span>, ב-2000 ו־1990-2000</p>"
    assert _phrases('<p>ראו (<span class="address">https://\u200bwww\u200b.x\u200b.il</span>)'
                    '.</p>') == '<p>ראו (<span class="address" dir="ltr">https://\u200bwww' \
                                '\u200b.x\u200b.il</span>).</p>'


HEBREW = """\
    ---
    title: מים
    ---

    שאיבה של 10^6^ מ"ק, פליטות CO~2~ בשנה.

    מדברים על [the hydrological cycle]{lang=en} [@trenberth2007].

    לחצו <kbd>Ctrl</kbd>+<kbd>F</kbd> וחפשו. המפלס נקבע על −213 מ' ועלה ב־+1.80 מ'.

    | שנה | מפלס |
    |---|--:|
    | 1991 | −212.94 |

    ראו באתר <https://www.example.org/reports/water/2023/annual/kinneret/levels/summer/data/full/table/all>.

    (@one) אשדוד, 100 מלמ״ק בשנה.
    (@two) שורק, 150 מלמ״ק בשנה.
    """


def _hebrew_words(tmp_path):
    """The words of HEBREW's chapter in print (pdftotext's boxes), and its visual lines."""
    import json

    from weasyprint import HTML

    from test_locales_metadata import visual_lines
    book = write_book(tmp_path / "book", {"title": "מים", "language": "he",
                                          "bibliography": "refs.json"}, HEBREW)
    (book / "refs.json").write_text(json.dumps([{
        "id": "trenberth2007", "type": "book", "language": "en", "title": "Water",
        "author": [{"family": "Trenberth", "given": "Kevin"}],
        "issued": {"date-parts": [[2007]]}}]), encoding="utf-8")
    rb, report = rendered_book(book)
    assert not report.errors, report.errors
    out = tmp_path / "ch01.pdf"
    HTML(string=pdf.part_sources(rb, False, "A4")["ch01"], base_url=str(book)).write_pdf(out)
    words = list(lxml_html.fromstring(subprocess.run(
        ["pdftotext", "-bbox", str(out), "-"], capture_output=True, text=True, check=True)
        .stdout).iter("word"))
    return words, visual_lines(out)


def test_a_hebrew_lines_left_to_right_pieces_print_in_their_order(tmp_path):
    """In a Hebrew book's PDF "10⁶" printed "⁶10", "CO₂" "₂CO", "Ctrl+F" "F+Ctrl",
    "−212.94" "212.94−"; an English phrase and the citation after it were one run
    ("the hydrological cycle (Trenberth", the year on the next line); a web address
    broken at a line's end printed "//:https"."""
    words, text = _hebrew_words(tmp_path)
    # (a superscript or subscript and its base are one word to pdftotext)
    for phrase in ("106", "CO2", "Ctrl+F", "−213", "+1.80", "−212.94",
                   "(Trenberth 2007) the hydrological cycle"):
        assert phrase in text, (phrase, text)
    address = "https://www.example.org/reports/water/2023/annual/kinneret/levels/summer/" \
              "data/full/table/all"
    pieces = [w.text.replace("\u200b", "") for w in words if "/" in w.text]
    assert len(pieces) > 1 and all(p in address for p in pieces), pieces


def test_an_example_lists_markers_stay_inside_a_right_to_left_text_block(tmp_path):
    """WeasyPrint sets a right-to-left list's marker from where its item starts
    outwards: an example list's "(1) ", wider than a list's indent, ran past the text
    block's right edge (a preflight [overflow])."""
    words, _ = _hebrew_words(tmp_path)
    marker = {"(1)", "(2)", ")1(", ")2("}
    edge = max(float(w.get("xmax")) for w in words if w.text not in marker)
    found = [float(w.get("xmax")) for w in words if w.text in marker]
    assert len(found) == 2 and max(found) <= edge + 0.5, (found, edge)
