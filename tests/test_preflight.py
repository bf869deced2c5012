"""The print preflight: the builder's own PDFs have none of the makeup defects it checks,
and each check finds its defect in a PDF made to have it."""
from __future__ import annotations

import dataclasses
import re

import pytest

from studyguide import builder, preflight
from studyguide.errors import BuildError

from conftest import FIXTURES, MINI, rendered_book

HEAD = """<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>t</title><style>
@page { size: A4; margin: 22mm 30mm 24mm 30mm;
  @top-left { content: "Running head"; font: italic 9pt "Linux Libertine O"; }
  @bottom-right { content: counter(page); font: 9pt "Linux Biolinum O"; } }
@page :first { @top-left { content: none; } }
body { font: 11pt/1.45 "Linux Libertine O", serif; text-align: justify; margin: 0; }
h2 { font: bold 14pt "Linux Biolinum O", sans-serif; margin: 0.5em 0; }
.fn { float: footnote; font-size: 8.5pt; }
.fn::footnote-call { content: counter(footnote); vertical-align: super; font-size: 0.7em; line-height: 0; }
.fn::footnote-marker { content: counter(footnote) ". "; }
table { border-collapse: collapse; width: 100%; } td, th { border: 0.6pt solid #000; padding: 2pt; }
thead { display: table-header-group; }
</style></head><body>"""

PARA = ("<p>The scissors crisis of 1923 opened a gap between the prices of industrial goods "
        "and those of the grain the peasants sold, and the party argued over how to close it "
        "for the rest of the decade, in the press and in the committees.</p>")


# Japanese, set in a subset of Noto Serif CJK JP (fixtures/fonts: its characters only)
JA_FONT = FIXTURES / "fonts" / "NotoSerifCJKjp-Regular-subset.otf"
JA_FACE = ("<style>@font-face { font-family: 'Noto Serif CJK JP'; "
           f"src: url('{JA_FONT.as_uri()}'); }}"
           ":lang(ja) { font-family: 'Noto Serif CJK JP'; }</style>")
JA = "新政府にとって最大の課題は、全国に260余りあった藩をどう扱うかであった。"

# Hindi, its Devanagari set in a subset of Noto Serif Devanagari (fixtures/fonts: its
# characters only) after the body's Latin face, which sets the figures and punctuation
HI_FONT = FIXTURES / "fonts" / "NotoSerifDevanagari-Regular-preflight-subset.ttf"
HI_FACE = ("<style>@font-face { font-family: 'Noto Serif Devanagari Preflight'; "
           f"src: url('{HI_FONT.as_uri()}'); }}"
           ":lang(hi) { font-family: 'Linux Libertine O', 'Noto Serif Devanagari Preflight'; }"
           "</style>")
HI = "ताप बढ़ने पर एंज़ाइम तेज़ी से काम करते हैं, पर लगभग 40 °C के बाद वे नष्ट होने लगते हैं।"
HI_NOTE = "प्रयोगशाला में प्रायः पोटैशियम हाइड्रॉक्साइड (KOH) का विलयन लिया जाता है।"


def pdf_of(body: str, tmp_path, name="broken.pdf"):
    from weasyprint import HTML
    path = tmp_path / name
    HTML(string=HEAD + body + "</body></html>").write_pdf(path)
    return path


def checks(path, **kw) -> list[str]:
    return [f.check for f in preflight.check_pdf(path, **kw)]


def test_a_clean_page_has_no_findings(tmp_path):
    path = pdf_of("<h2>A heading</h2>" + PARA * 8 + "<div style='break-before: page'></div>"
                  + PARA * 30, tmp_path)
    assert preflight.check_pdf(path, names={"Trotsky"}) == []


def test_footnote_off_its_page(tmp_path):
    # the call on page 2, its note forced onto page 3's foot by hand
    body = (PARA * 3 + "<div style='break-before: page'></div>" + PARA * 4 +
            "<p>A claim<sup style='font-size: 7pt'>1</sup> that needs a note.</p>"
            "<div style='break-before: page'></div>" + PARA * 3 +
            "<p style='font-size: 8.5pt; position: absolute; bottom: 0'>1. The note.</p>")
    path = pdf_of(body, tmp_path)
    found = preflight.check_pdf(path)
    assert {(f.check, f.page) for f in found} >= {("footnote", 2), ("footnote", 3)}
    # the same with the note on the page of its call: nothing
    fine = pdf_of(PARA * 3 + "<div style='break-before: page'></div>" + PARA * 4 +
                  "<p>A claim<span class='fn'>The note.</span> that needs a note.</p>",
                  tmp_path, "fine.pdf")
    assert "footnote" not in checks(fine)


def test_the_front_matters_small_numbered_lines_are_no_notes(tmp_path):
    """A copyright page's foot ("1. Auflage, 3. Dezember 2026", set small) looks like a
    footnote without its call; the front matter (numbered i, ii…) has no notes."""
    body = ("<p>Title</p><div style='break-before: page'></div>" + PARA * 2 +
            "<p style='font-size: 8.5pt; position: absolute; bottom: 0'>1. Auflage, "
            "3. Dezember 2026</p><div style='break-before: page'></div>" + PARA * 3)
    path = pdf_of(body, tmp_path)
    assert "footnote" in checks(path)                   # read as a body page, it is
    assert "footnote" not in checks(path, labels=["i", "ii", "1"])


def test_a_small_label_under_an_english_heading_is_no_note_in_japanese(tmp_path):
    """A Japanese reading handout's review question: its label ("1. ○ RECALL") set small
    under the English heading "Review questions", over a short Japanese question. Its few
    Japanese characters are fewer than the heading's letters, and the heading's size was
    taken for the body's: every line under it was small type, the label a note at the
    foot of the page, "printed on another page than its call". A note at the foot of such
    a page with no call of it is still found."""
    sheet = (JA_FACE + "<div lang='ja'><p>本文です。</p><h2 lang='en'>Review questions</h2>"
             "<ol><li><p lang='en' style='font: bold 8pt \"Linux Biolinum O\"'>○ RECALL</p>"
             "<p>問いです。</p></li></ol></div>")
    assert checks(pdf_of(sheet, tmp_path), one_sided=True) == []
    note = ("<p lang='ja' style='font-size: 8.5pt; position: absolute; bottom: 0'>"
            "1. 問いです。</p>")
    found = preflight.check_pdf(pdf_of(sheet + note, tmp_path, "note.pdf"), one_sided=True)
    assert [(f.page, f.message) for f in found] == [
        (1, "note 1 is printed on another page than its call")]


def test_two_calls_parted_by_a_comma_are_two_calls(tmp_path):
    """"¹,²" (print.css parts two calls in a row with a comma) is notes 1 and 2, not 12."""
    css = ("<style>.fn.fn-next::footnote-call { content: ',' counter(footnote); }"
           "@page { @footnote { border-top: 0.5pt solid #000; } }</style>")
    body = (css + PARA * 2 + "<p>Two claims.<span class='fn'>One.</span>"
            "<span class='fn fn-next'>Two.</span> More text.</p>" + PARA)
    assert "footnote" not in checks(pdf_of(body, tmp_path))


def test_small_raised_labels_are_not_note_calls(tmp_path):
    """A question's "(12 marks)" in small capitals, raised beside its number, is no call
    of the note 12 printed on the next page; a raised figure straight after a word still
    is."""
    note = ("<div style='break-before: page'></div>" + PARA +
            "<p style='font-size: 8.5pt; position: absolute; bottom: 0'>12. The note.</p>")
    label = ("<ol><li><span style='font-size: 7.5pt; vertical-align: 3pt'>ANALYSIS "
             "(12 MARKS)</span><p>Why did it fail?</p></li></ol>")
    found = preflight.check_pdf(pdf_of(PARA * 2 + label + PARA + note, tmp_path))
    assert [(f.page, f.message) for f in found] == [
        (2, "note 12 is printed on another page than its call")]
    call = "<p>A claim<sup style='font-size: 7pt'>12</sup> that needs a note.</p>"
    found = preflight.check_pdf(pdf_of(PARA * 2 + call + PARA + note, tmp_path, "call.pdf"))
    assert [(f.page, f.message) for f in found] == [
        (1, "note 12 is called here but printed on another page"),
        (2, "note 12 is printed on another page than its call")]


def test_raised_figures_that_call_no_printed_note_are_no_calls(tmp_path):
    """An electron configuration's superscripts on a worksheet, which prints no notes,
    and a figure raised in a document whose notes have other numbers, call no note."""
    sup = "<sup style='font-size: 7pt'>{}</sup>"
    term = (f"<p>Например, 1s{sup.format(2)}2s{sup.format(1)} у лития, и 6,022·10"
            f"{sup.format(23)} частиц в моле.</p>")
    assert "footnote" not in checks(pdf_of(PARA * 2 + term + PARA, tmp_path))
    noted = (PARA + "<p>A claim<span class='fn'>The note.</span> with its note.</p>" +
             "<div style='break-before: page'></div>" + PARA + term + PARA)
    assert "footnote" not in checks(pdf_of(noted, tmp_path, "noted.pdf"))


def test_verse_line_numbers_are_no_calls(tmp_path):
    """A verse line's number, floated to the right margin in smaller type, is raised and
    small but apart from its line: no call, even of a note of its number printed on its
    page, whose call on the page before is still found."""
    lineno = "<span style='float: right; font-size: 7pt'>{}</span>"
    verse = "".join(f"<p style='text-align: left; margin: 0'>{text}"
                    f"{lineno.format(n) if n else ''}</p>" for n, text in (
                        (0, "My heart aches, and a drowsy numbness pains"),
                        (0, "My sense, as though of hemlock I had drunk,"),
                        (5, "’Tis not through envy of thy happy lot,"),
                        (0, "But being too happy in thine happiness,—"),
                        (10, "Singest of summer in full-throated ease.")))
    noted = (PARA + "<p>A claim<span class='fn'>The note.</span> with its note.</p>" +
             verse + PARA)
    assert "footnote" not in checks(pdf_of(noted, tmp_path))
    # the call of note 5 on page 1, its note pushed on to page 2, under the verse
    body = (PARA + "<p>A claim<sup style='font-size: 7pt'>5</sup> that needs a note.</p>"
            "<div style='break-before: page'></div>" + verse + PARA +
            "<p style='font-size: 8.5pt; position: absolute; bottom: 0'>5. The note.</p>")
    found = preflight.check_pdf(pdf_of(body, tmp_path, "pushed.pdf"))
    assert [(f.page, f.message) for f in found] == [
        (1, "note 5 is called here but printed on another page"),
        (2, "note 5 is printed on another page than its call")]



def test_a_call_in_a_heading_is_a_call(tmp_path):
    """A note's call in a heading, raised higher above the heading's baseline than line
    grouping joins to its line, calls its note; a raised figure in the contents (front
    matter, numbered i, ii…) is no call, of a note of its number or of any."""
    contents = ("<p>1.1 Gannets<sup style='font-size: 7pt'>1</sup> . . . . 1</p>"
                "<div style='break-before: page'></div>")
    body = ("<h2>1.1 Gannets<span class='fn'>A note.</span></h2>" + PARA * 2 +
            "<h2>1.2 The gannet and the RSPB<span class='fn'>Another.</span></h2>" + PARA)
    path = pdf_of(contents + body, tmp_path)
    assert preflight.check_pdf(path, labels=["i", "1"]) == []
    # the call of note 1 in a heading on page 1, its note printed on page 2
    pushed = ("<h2>1.1 Gannets<sup style='font-size: 5.9pt; vertical-align: super'>1</sup>"
              "</h2>" + PARA + "<div style='break-before: page'></div>" + PARA +
              "<p style='font-size: 8.5pt; position: absolute; bottom: 0'>1. The note.</p>")
    found = preflight.check_pdf(pdf_of(contents + pushed, tmp_path, "pushed.pdf"),
                                labels=["i", "1", "2"])
    assert [(f.page, f.message) for f in found if f.check == "footnote"] == [
        (2, "note 1 is called here but printed on another page"),
        (3, "note 1 is printed on another page than its call")]


def test_a_hindi_notes_call_and_number_are_read_in_their_lines(tmp_path):
    """A Devanagari face descends some twice as deep below its baseline as a Latin one,
    and its characters' boxes stood lower than those of the Latin figures and punctuation
    on their baseline: line grouping read a line of Hindi as two, a note's call apart from
    the danda it follows, a note's number apart from its words. A note on the page of its
    call was "printed on another page than its call", a note of Devanagari words alone
    was none. A Hindi note on its call's page is fine; one on another page is found."""
    para = f"<p lang='hi'>{HI} {HI} {HI}</p>"
    fine = (HI_FACE + para * 2 + f"<p lang='hi'>{HI}<span class='fn'>{HI_NOTE}</span> {HI}"
            "</p>" + para)
    assert "footnote" not in checks(pdf_of(fine, tmp_path))
    pushed = (HI_FACE + para + f"<p lang='hi'>{HI}<sup style='font-size: 7pt'>1</sup></p>"
              "<div style='break-before: page'></div>" + para +
              "<p lang='hi' style='font-size: 8.5pt; position: absolute; bottom: 0'>"
              f"1. {HI_NOTE.replace(' (KOH)', '')}</p>")
    found = preflight.check_pdf(pdf_of(pushed, tmp_path, "pushed.pdf"))
    assert [(f.page, f.message) for f in found] == [
        (1, "note 1 is called here but printed on another page"),
        (2, "note 1 is printed on another page than its call")]

def test_a_call_alone_in_its_paragraph_is_a_call(tmp_path):
    """A notes style's citation after a blank line of a quotation is a paragraph that
    holds its call alone: the line had no text to find the call's baseline by, the call
    was not read, and its note, on the same page, was "printed on another page than its
    call"."""
    quoted = ("<blockquote><p>A quotation that runs on for a line.</p>"
              "<p><span class='fn'>The source.</span></p></blockquote>")
    assert "footnote" not in checks(pdf_of(PARA * 2 + quoted + PARA, tmp_path))


def test_heading_stranded_at_the_foot_of_a_page(tmp_path):
    body = (PARA + "<div style='break-before: page'></div>"
            "<div style='height: 205mm'></div><h2>A heading at the foot</h2>"
            "<p>One line under it.</p><div style='break-before: page'></div>" + PARA * 3)
    path = pdf_of(body, tmp_path)
    found = preflight.check_pdf(path)
    assert [(f.check, f.page) for f in found if f.check == "stranded"] == [("stranded", 2)]


def test_a_heading_over_a_figure_is_not_stranded(tmp_path):
    """A figure under a heading has no lines of text, but it fills the page's foot: the
    heading is not alone there. Two lines of text alone under it still are too few."""
    figure = ("<div style='height: 40mm; border: 1pt solid #000'></div>"
              "<p>Figure 1. A caption.</p>")
    body = (PARA + "<div style='break-before: page'></div><div style='height: 170mm'></div>"
            "<h2>A heading over a figure</h2>" + figure +
            "<div style='break-before: page'></div>" + PARA * 3)
    assert "stranded" not in checks(pdf_of(body, tmp_path))
    body = (PARA + "<div style='break-before: page'></div><div style='height: 196mm'></div>"
            "<h2>A heading at the foot</h2><p>" + "One line under it and a second one, "
            "which runs on to two lines of text at the foot of this page. " * 2 + "</p>"
            "<div style='break-before: page'></div>" + PARA * 3)
    found = preflight.check_pdf(pdf_of(body, tmp_path, "two.pdf"))
    assert [f.message for f in found if f.check == "stranded"] == [
        "heading “A heading at the foot” with 2 line(s) under it at the foot of the page"]


def test_a_heading_over_a_display_formula_is_not_stranded(tmp_path):
    """A line and a display formula under a heading fill the page's foot; the formula,
    a drawing print makes, had no lines of text, and the heading was reported stranded
    with one line under it, which --strict refused."""
    from weasyprint import HTML
    svg = ("data:image/svg+xml,<svg xmlns='http://www.w3.org/2000/svg' width='200' "
           "height='110'><path d='M0 10 H200 M0 60 H200 M0 100 H200' stroke='black'/></svg>")
    body = (PARA + "<div style='break-before: page'></div><div style='height: 172mm'></div>"
            "<h2>A worked example</h2><p>One line under it:</p>"
            f"<p><img alt='f(x) = x^2' src=\"{svg}\" style='height: 30mm'></p>"
            "<div style='break-before: page'></div>" + PARA * 3)
    path = tmp_path / "formula.pdf"
    HTML(string=HEAD + body + "</body></html>").write_pdf(path, pdf_variant="pdf/ua-1")
    assert any(p.drawings for p in preflight.read_pages(path))
    assert "stranded" not in checks(path)


def test_a_heading_over_its_whole_short_section_is_not_stranded(tmp_path):
    """A heading at the foot of a page with its whole section under it (two lines, and
    the next page opens with a heading of its rank or higher, or a box's title) is not
    stranded; with a subsection or more of its text on the next page, it is."""
    def stranded(after: str, name: str) -> list[str]:
        body = (PARA + "<div style='break-before: page'></div>"
                "<div style='height: 196mm'></div><h2>Caesura in practice</h2>"
                "<p>To chasten and subdue.— || And I have felt<br>"
                "The double bar shows the caesura that the dash marks.</p>"
                "<div style='break-before: page'></div>" + after + PARA * 3)
        return [f.message for f in preflight.check_pdf(pdf_of(body, tmp_path, name))
                if f.check == "stranded"]
    assert stranded("<h2>Review questions</h2>", "next.pdf") == []
    assert stranded("<h2 style='font-size: 16pt'>Further reading</h2>", "higher.pdf") == []
    assert stranded("<p style='font: bold 10pt \"Linux Biolinum O\"'>KEY POINTS</p>",
                    "box.pdf") == []
    assert stranded("<h2 style='font-size: 12pt'>A subsection</h2>", "lower.pdf") == [
        "heading “Caesura in practice” with 2 line(s) under it at the foot of the page"]
    assert stranded("", "text.pdf") == [
        "heading “Caesura in practice” with 2 line(s) under it at the foot of the page"]


def test_a_stranded_heading_is_placed_at_its_own_line(tmp_path):
    source = tmp_path / "01-first.md"
    source.write_text("---\ntitle: First\n---\n\nText.\n\n## The *alpha* case {#sec-a}\n\n"
                      "More.\n", encoding="utf-8")
    assert preflight.heading_line(source, "1.2 The alpha case") == 7
    assert preflight.heading_line(source, "The alpha case") == 7
    assert preflight.heading_line(source, "Another heading") == 0
    body = (PARA + "<div style='break-before: page'></div>"
            "<div style='height: 205mm'></div><h2>1.2 The alpha case</h2>"
            "<p>One line under it.</p><div style='break-before: page'></div>" + PARA * 3)
    found = [f for f in preflight.check_pdf(pdf_of(body, tmp_path), sources=(source, 2))
             if f.check == "stranded"]
    assert [(f.path, f.line) for f in found] == [(str(source), 7)]


def test_question_label_alone_at_the_foot(tmp_path):
    body = ("<div style='break-before: page'></div>" + PARA * 18 +
            "<p>3. ○ ANALYSIS</p><div style='break-before: page'></div>"
            "<p>Was the alpha doctrine right?</p>" + PARA * 3)
    assert "stranded" in checks(pdf_of(body, tmp_path))


def test_table_that_fits_a_page_split(tmp_path):
    rows = "".join(f"<tr><td>Row {i}</td><td>{i}</td></tr>" for i in range(6))
    body = ("<div style='break-before: page'></div><div style='height: 222mm'></div>"
            f"<table><thead><tr><th>Aspect</th><th>Value</th></tr></thead><tbody>{rows}"
            "</tbody></table>" + PARA * 2)
    path = pdf_of(body, tmp_path)
    messages = [f.message for f in preflight.check_pdf(path) if f.check == "stranded"]
    assert any("fits one page is split" in m for m in messages), messages


def test_a_ruled_box_in_a_ruled_box_is_no_table_and_two_tables_are_not_one(tmp_path):
    """A code block (its left rule) inside a block quote or a model answer (theirs) is
    drawn as two boxes, one inside the other: no table, not the rest of the table on
    the page before or after it; and two tables on facing pages, each whole, are not
    one table split, their columns differing."""
    quote = "border-left: 2pt solid #000; padding-left: 0.8em; margin: 0.8em 1.5em"
    answer = "border-left: 3pt double #000; padding-left: 0.7em"
    code = ("<pre style='border-left: 2px solid #888; padding: 0.4em 0.6em; margin: 0.6em 0'>"
            "<code style='font-family: \"DejaVu Sans Mono\"'>print(1)\nprint(2)</code></pre>")
    row = "<tr><td>a</td><td>b</td></tr>"
    table = ("<table><thead><tr><th>Col</th><th>Code</th></tr></thead><tbody>{}</tbody>"
             "</table>")
    filler = "<div style='height: {}mm'></div>"
    cases = {
        # a block quote holding code at a page's foot, a table of one row over the page
        "quote": filler.format(212) + f"<blockquote style='{quote}'><p>Quoted:</p>{code}"
                 "</blockquote><div style='break-before: page'></div>" + table.format(row),
        # a model answer: a table whole at a page's foot, its code over the page
        "answer": filler.format(190) + f"<div style='{answer}'>" + table.format(row * 5) +
                  "<p style='break-before: page'>The same, in code:</p>" + code + "</div>" +
                  PARA,
        # two tables of other columns, on two pages
        "tables": filler.format(210) + table.format(row * 4) + "<div style='break-before:"
                  " page'></div><table><tbody>" + "<tr><td>x</td><td>y</td><td>z</td></tr>"
                  * 2 + "</tbody></table>" + PARA,
    }
    for name, body in cases.items():
        path = pdf_of(body, tmp_path, name + ".pdf")
        pages = preflight.read_pages(path)
        assert [p.number for p in pages if p.tables] == \
            {"quote": [2], "answer": [1], "tables": [1, 2]}[name], name
        assert "stranded" not in checks(path), name
    # the same table over two pages is still one table split
    path = pdf_of(filler.format(222) + table.format(row * 6) + PARA * 2, tmp_path, "split.pdf")
    assert "stranded" in checks(path)


def test_underfull_page(tmp_path):
    body = (PARA * 3 + "<div style='break-before: page'></div>" + PARA +
            "<div style='break-before: page'></div>" + PARA * 20)
    path = pdf_of(body, tmp_path)
    assert [(f.check, f.page) for f in preflight.check_pdf(path)] == [("underfull", 2)]


def test_split_name_and_ladder(tmp_path):
    # 9 mm holds "Trot‐" but not "Trotsky": the name breaks at its soft hyphen
    narrow = "<p style='width: 9mm; text-align: left'>Trot&shy;sky</p>"
    path = pdf_of("<div style='break-before: page'></div>" + narrow + PARA * 3, tmp_path)
    assert "name" in checks(path, names={"Trotsky"})
    assert "name" not in checks(path, names={"Stalin"})
    ladder = ("<p style='text-align: left'>inter-<br>national-<br>ist-<br>s</p>")
    path = pdf_of("<div style='break-before: page'></div>" + ladder + PARA * 3, tmp_path,
                  "ladder.pdf")
    assert "ladder" in checks(path)
    two = "<p style='text-align: left'>inter-<br>national-<br>ists</p>"
    path = pdf_of("<div style='break-before: page'></div>" + two + PARA * 3, tmp_path,
                  "two.pdf")
    assert "ladder" not in checks(path)


def test_overflow_past_the_margin(tmp_path):
    wide = ("<p style='white-space: nowrap'>A line that runs on past the margin of the "
            "text block and out into the white space beside it, far too long</p>")
    path = pdf_of("<div style='break-before: page'></div>" + PARA * 4 + wide, tmp_path)
    assert "overflow" in checks(path)


def test_a_short_books_lines_at_the_margin_are_inside_it(tmp_path):
    """A short book whose rectos' full lines are mostly indented (a chapter of four
    one-line questions, their numbers hanging in the indent) has its text block where
    its headings and short lines start: they were taken to run past the margin, as the
    indent was taken for it. A line that does run past it is still found."""
    questions = ("<h2>Review questions</h2><p>Answer each question in full.</p>"
                 "<p>Use a diagram where it helps.</p>"
                 "<ol style='padding-left: 6mm'>" + "".join(
                     f"<li><p style='font-size: 8.5pt'>ESSAY (15 MARKS)</p><p>Essay number "
                     f"{n}. To what extent do price ceilings help consumers?</p></li>"
                     for n in range(1, 5)) + "</ol>")
    path = pdf_of(questions, tmp_path)
    assert checks(path) == []
    wide = ("<p style='white-space: nowrap'>A line that runs on past the margin of the "
            "text block and out into the white space beside it, far too long</p>")
    over = pdf_of(questions + wide, tmp_path, "over.pdf")
    assert checks(over) == ["overflow"]


CHAPTER = """---
title: Elements
---

Text.

::: {#tbl-elements .comparison}
:::

A line that runs on past the margin of the text
block and out into the white space beside it, far too long.

  Name       Syllables
  --------   -----------
  Trimeter   6

Table: Simple table of line lengths {#tbl-lengths}
"""


def test_findings_about_a_table_or_a_paragraph_are_placed_at_its_line(tmp_path):
    """A table past the margin, or split, is placed at its slot's line (the builder
    gives each table's line by its label) or at its Markdown table, found by its
    caption; a line of text past the margin at its paragraph's line; not at the line of
    the chapter's title, the last source line the page began."""
    source = tmp_path / "04-elements.md"
    source.write_text(CHAPTER, encoding="utf-8")
    wide = ("<p style='font: bold 10pt \"Linux Biolinum O\"'>{}</p><table><thead><tr>"
            "<th style='white-space: nowrap'>{}</th><th>Value</th></tr></thead><tbody>"
            "<tr><td>Row</td><td>1</td></tr><tr><td>Row</td><td>2</td></tr></tbody></table>")
    page = "<div style='break-before: page'></div>" + PARA * 2
    body = (PARA * 2 + wide.format("Table 4.1. Elements of the second period",
                                   "Element symbol configuration radius " * 4) +
            page + wide.format("Table 4.2. Simple table of line lengths",
                               "Name of the metre and its syllables " * 4) +
            page + "<p style='white-space: nowrap'>A line that runs on past the margin of "
            "the text block and out into the white space beside it, far too long.</p>")
    path = pdf_of(body, tmp_path)
    found = preflight.check_pdf(path, sources=(source, 2), one_sided=True,
                                tables={"Table 4.1": (str(source), 7),
                                        "Table 4.10": (str(source), 99)})
    assert [(f.check, f.page, f.line) for f in found] == [
        ("overflow", 1, 7), ("overflow", 2, 13), ("overflow", 3, 10)]
    # a split table, at its slot's line
    rows = "".join(f"<tr><td>Row {i}</td><td>{i}</td></tr>" for i in range(6))
    body = ("<div style='break-before: page'></div><div style='height: 214mm'></div>"
            "<p style='font: bold 10pt \"Linux Biolinum O\"'>Table 4.1. Elements</p>"
            f"<table><thead><tr><th>Aspect</th><th>Value</th></tr></thead><tbody>{rows}"
            "</tbody></table>" + PARA * 2)
    found = [f for f in preflight.check_pdf(pdf_of(body, tmp_path, "split.pdf"),
                                            sources=(source, 2),
                                            tables={"Table 4.1": (str(source), 7)})
             if f.check == "stranded"]
    assert [f.line for f in found] == [7], found


def test_a_picture_and_the_words_beside_a_formula_are_placed_at_their_lines(tmp_path):
    """A picture past the margin is placed at its Markdown image (by its text
    alternative), and its own words are measured with it, not reported again as text;
    a line past the margin whose words are too few to be found ("." after an inline
    formula) is placed at the formula on its line. Both were placed at the page's
    source, the chapter's title."""
    from urllib.parse import quote
    from weasyprint import HTML
    svg = ('<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 600 200" width="600" '
           'height="200"><rect width="600" height="200" fill="#eee"/><text x="400" y="60" '
           'font-family="sans-serif" font-size="20">Reibung vernachlässigt, Maß 1 : 10'
           '</text></svg>')
    bar = ('<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 100 10" width="100" '
           'height="10"><rect width="100" height="10"/></svg>')
    body = (PARA * 2 + f'<p><img alt="Schiefe Ebene mit Kräften" style="width: 170mm" '
            f'src="data:image/svg+xml,{quote(svg)}"></p>' + PARA +
            '<p style="white-space: nowrap">Energie: <img alt="E = m g h" style="width: '
            f'140mm; height: 4mm" src="data:image/svg+xml,{quote(bar)}">.</p>' + PARA)
    path = tmp_path / "drawn.pdf"
    HTML(string=HEAD + body + "</body></html>").write_pdf(path, pdf_variant="pdf/ua-1")
    source = tmp_path / "05-energie.md"
    source.write_text("---\ntitle: Energie\n---\n\nText.\n\n![Schiefe Ebene mit "
                      "Kräften](bild.svg)\n\nMore.\n\nEnergie: $E = m g h$.\n",
                      encoding="utf-8")
    found = preflight.check_pdf(path, sources=(source, 2), one_sided=True)
    assert [(f.line, f.message.split(":")[0].split(" by ")[0]) for f in found] == [
        (11, "text past the margin"), (7, "drawing past the margin")], found
    assert "“Energie: .”" in found[0].message


def test_a_japanese_line_past_the_margin_is_placed_at_its_paragraph(tmp_path):
    """Japanese has no spaces: the words of a line were the runs between its commas,
    the first and last of them cut by the line's ends, too few to find the paragraph
    that prints it, and its finding was placed at the page's source (the chapter's
    title). Each two characters in a row are a word, found in the paragraph's."""
    body = (JA_FACE + f"<div lang='ja'><p>{JA * 5}</p><p style='margin: 0 -15mm 0 100mm'>"
            f"問いです。{JA * 3}</p></div>")
    source = tmp_path / "01-han.md"
    source.write_text(f"---\ntitle: 藩\n---\n\n{JA * 5}\n\n問いです。{JA * 3}\n",
                      encoding="utf-8")
    found = preflight.check_pdf(pdf_of(body, tmp_path), sources=(source, 2), one_sided=True)
    assert [(f.check, f.line) for f in found] == [("overflow", 7)], found
    assert "“問いです。新政府" in found[0].message


def test_a_line_the_author_broke_is_not_left_short(tmp_path):
    """A line ended by a hard line break (a backslash at the line's end) is short on
    purpose: it was reported "left short inside a justified paragraph", and --strict
    failed on a documented construct. Not where the source breaks the line there."""
    text = PARA[3:-4] + " and in the shops where the printers of the old, a habit."
    path = pdf_of(f"<p>{text}<br>{PARA[3:-4]}</p>", tmp_path)
    assert checks(path) == ["short"]
    source = tmp_path / "01-press.md"
    for ending, found in (("\\", []), ("  ", []), ("", ["short"])):
        source.write_text("---\ntitle: The press\n---\n\n" + text.replace(", a habit.", ",\n")
                          + f"a [*habit*][h].{ending}\n" + PARA[3:-4] + "\n\n[h]: https://example.org\n",
                          encoding="utf-8")
        assert checks(path, sources=(source, 2)) == found, ending
    # a line that ends in a link: print writes its address after it, the line's last word
    source.write_text("Rounded as [the office's rule][gso].\\\nNext.\n\n"
                      "[gso]: https://www.gso.gov.vn\n\nSee [the site](https://example.org/a).\\\n",
                      encoding="utf-8")
    assert preflight._broken_by_author(source, "www.gso.gov.vn).")
    assert preflight._broken_by_author(source, "example.org/a).")
    assert not preflight._broken_by_author(source, "www.other.org).")


def test_a_line_spread_across_the_measure_is_loose(tmp_path):
    """``loose``: a justified line whose words stand far apart, because what followed
    it (here a wide formula, drawn as a picture) did not fit its end: "Bei der
    Autoprotolyse des Wassers gilt" across the measure, the formula on the next line.
    Full lines set as usual, a line whose subscripts and superscripts (read as lines of
    their own) stand in its spaces, and one whose one wide space is a float's, are not
    loose."""
    import base64
    svg = ('<svg xmlns="http://www.w3.org/2000/svg" width="300" height="20" '
           'viewBox="0 0 300 20"><rect width="300" height="20"/></svg>')
    src = "data:image/svg+xml;base64," + base64.b64encode(svg.encode()).decode()
    wide = (f'<p lang="de">Bei der Autoprotolyse des Wassers gilt <img src="{src}" alt="K" '
            'style="width: 11cm; height: 0.9em"/>, und so weiter bis zum Ende des Absatzes '
            "mit noch einigen Wörtern mehr.</p>")
    scripts = ("<p>The ions HSO<sub>4</sub><sup>−</sup> and SO<sub>4</sub><sup>2−</sup> and "
               "H<sub>3</sub>O<sup>+</sup> and NH<sub>4</sub><sup>+</sup> and the other ions "
               "of H<sub>2</sub>SO<sub>4</sub> in water are written so, line after line, in "
               "the text, H<sub>2</sub>O<sup>+</sup> and OH<sup>−</sup> and more of them "
               "again, until the paragraph ends here.</p>")
    path = pdf_of(PARA * 3 + wide + scripts + PARA * 3, tmp_path)
    found = [f for f in preflight.check_pdf(path) if f.check == "loose"]
    assert len(found) == 1, found
    assert "“Bei der Autoprotolyse des Wassers gilt”" in found[0].message
    assert re.search(r"words \d+\.\d em apart", found[0].message)
    # (nor a line whose one wide space is a float's, as an author's stylesheet may set)
    floated = ('<p style="text-align: left">Chapter one, the opening of the book '
               '<span style="float: right">12</span></p>')
    assert "loose" not in checks(pdf_of(PARA * 6 + scripts + floated, tmp_path, "clean.pdf"))


def test_a_line_spread_beside_an_inline_formula_is_loose(tmp_path):
    """A line that holds a formula (print draws it, a Figure of the tagged PDF) was never
    checked: "x₃ ≈ 1,414 216 – schon auf sechs Nachkommastellen genau" stood spread
    1.4 em a space before a formula too wide for its end. The spaces beside and inside
    the formula are its own; the line's others tell. A full line with a formula is not
    loose."""
    import base64

    from weasyprint import HTML

    def formula(width: str) -> str:
        svg = ('<svg xmlns="http://www.w3.org/2000/svg" width="300" height="20" '
               'viewBox="0 0 300 20"><rect width="300" height="20"/></svg>')
        src = "data:image/svg+xml;base64," + base64.b64encode(svg.encode()).decode()
        return f'<img src="{src}" alt="x" style="width: {width}; height: 0.9em"/>'
    spread = (f'<p lang="de">{formula("1.2cm")} – schon auf sechs Nachkommastellen genau '
              f'{formula("11cm")}, und so weiter bis zum Ende des Absatzes mit noch einigen '
              "Wörtern mehr.</p>")
    full = (f'<p lang="de">Die Näherung {formula("1.2cm")} ist schon auf sechs Stellen '
            "genau, und so geht es weiter bis zum Ende des Absatzes mit einigen Wörtern, "
            "die den Satz füllen und noch einige mehr.</p>")
    path = tmp_path / "formula.pdf"
    HTML(string=HEAD + PARA * 3 + spread + full + PARA * 3 + "</body></html>").write_pdf(
        path, pdf_variant="pdf/ua-1")
    assert any(p.drawings for p in preflight.read_pages(path))
    found = [f for f in preflight.check_pdf(path) if f.check == "loose"]
    assert len(found) == 1 and "schon auf sechs" in found[0].message, found


def test_straight_quotes(tmp_path):
    path = pdf_of("<p>Stalin's \"socialism\" in one country.</p>" + PARA, tmp_path)
    assert checks(path).count("quotes") == 1
    code = pdf_of("<p>Curly: Stalin’s “socialism”.</p><p><code style='font-family: "
                  "\"DejaVu Sans Mono\"'>x = 'a'</code></p>", tmp_path, "code.pdf")
    assert "quotes" not in checks(code)


def test_a_pictures_own_words_are_not_the_texts(tmp_path):
    """The words an SVG picture draws are its own: its straight quotes (a linked list's
    boxes holding "ant" and "bee") are not the book's typography, and its label set
    large in a sans-serif face at the foot of a page is no stranded heading; the text
    beside the picture is still checked."""
    from urllib.parse import quote
    from weasyprint import HTML
    svg = ('<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 600 140" width="600" '
           'height="140"><rect x="110" y="45" width="120" height="50" fill="none" '
           'stroke="black"/><text x="20" y="75" font-family="sans-serif" font-size="18">'
           'head</text><text x="150" y="77" font-family="sans-serif" font-size="18">"ant"'
           '</text><text x="310" y="77" font-family="sans-serif" font-size="18">"bee"</text>'
           '<text x="20" y="130" font-family="sans-serif" font-weight="bold" '
           'font-size="22">A list of words</text></svg>')
    picture = (f'<p><img alt="Boxes holding three words" style="width: 150mm" '
               f'src="data:image/svg+xml,{quote(svg)}"></p>')
    for name, text in (("drawn", ""), ("text", "<p>Stalin's list.</p>")):
        path = tmp_path / f"{name}.pdf"
        HTML(string=HEAD + PARA * 2 + text + PARA * 12 + "<div style='height: 8mm'></div>"
             + picture + "<div style='break-before: page'></div>" + PARA * 20 +
             "</body></html>").write_pdf(path, pdf_variant="pdf/ua-1")
        [page] = [p for p in preflight.read_pages(path) if p.drawings]
        assert any('"ant"' in ln.text for ln in page.body), name
        assert checks(path) == (["quotes"] if text else []), name


def test_findings_name_page_and_source(tmp_path):
    path = pdf_of("<p>Stalin's</p>", tmp_path)
    [finding] = preflight.check_pdf(path, labels=["ix"], sources=[("chapters/a.md", 12)])
    assert str(finding).startswith("chapters/a.md:12: warning: broken.pdf, page 1 (p. ix): ")


SCHEMES = """- id: analysis
  title: Analysis
  marks: 10
  levels:
    - level: 1
      marks: 1-10
      descriptor: An argument.
"""


def test_the_answer_key_and_the_index_are_placed_at_their_own_sources(book_copy):
    """A finding on a page of the teacher edition's answer key is placed at the question
    the page answers (in its chapter's front matter) or at the mark scheme it prints;
    a finding on the index at no source line. Both were placed at the glossary's last
    entry, the last anchor before them whose source the builder knew."""
    (book_copy / "data" / "mark_schemes.yaml").write_text(SCHEMES, encoding="utf-8")
    from studyguide.writers.pdf import answers_source
    rb, report = rendered_book(book_copy)
    assert not report.errors, report.errors
    key = re.findall(r'<section class="(?:key-answer(?: \w+)?|mark-scheme)" id="([^"]+)"',
                     answers_source(rb, "A4"))
    last = rb.book.glossary[-1]
    starts = [("9", ["glossary", "glossary-title", last.id]), ("10", ["index", "index-title"]),
              ("11", ["answer-key", "answer-key-title", "mark-schemes"])] + \
        [(str(12 + k), [ident, ident + "-title"]) for k, ident in enumerate(key)]
    places = builder.page_places(rb)
    sources = dict(zip((label for label, _ in starts),
                       preflight.page_sources(starts, places)))
    assert sources["9"] == (str(book_copy / "data" / "glossary.yaml"), last.line)
    assert sources["10"] is None and sources["11"] is None
    chapters = book_copy / "chapters"
    assert key == ["scheme-analysis", "key-ch01-q1", "key-ch01-q2", "key-ch02-q1",
                   "key-bm-exercise-q1"]
    assert [sources[str(12 + k)] for k in range(len(key))] == [
        (str(book_copy / "data" / "mark_schemes.yaml"), 1),
        (str(chapters / "01-first.md"), 10), (str(chapters / "01-first.md"), 13),
        (str(chapters / "02-second.md"), 8), (str(book_copy / "back" / "exercise.md"), 5)]


def test_fixture_book_passes_preflight_in_every_edition_and_paper(tmp_path):
    """Both editions on A4 and Letter, and every handout: the builder's preflight finds
    nothing, under --strict."""
    result = builder.build(builder.Options(content=MINI, output=tmp_path / "out",
                                           papers=("A4", "Letter"), strict=True,
                                           cache=tmp_path / "cache"))
    pdfs = [p for p in result.outputs if p.suffix == ".pdf"]
    # 2 editions x 2 papers; for each paper, 3 documents' reading handouts and their student
    # and teacher worksheets
    assert len(pdfs) == 4 + 2 * 3 * 3
    assert not [w for w in result.warnings if "preflight" in w or "[" in w]


def test_strict_fails_on_a_preflight_finding(book_copy, tmp_path, monkeypatch):
    """A straight quote that reaches print through the book's own stylesheet (generated
    content no text pass sees) fails the build under --strict, naming the page; the
    findings are the same when the workers read the PDF a page each between them."""
    (book_copy / "book.css").write_text(
        '.chapter-body::after { content: "the author\'s note"; }\n')
    text = (book_copy / "book.yaml").read_text()
    (book_copy / "book.yaml").write_text(text + "stylesheet: book.css\n")
    opts = builder.Options(content=book_copy, output=tmp_path / "out", handouts=False,
                           cache=None, formats=("pdf",), editions=("student",))
    result = builder.build(opts)
    assert any("[quotes]" in w and "student-a4.pdf, page" in w for w in result.warnings), \
        result.warnings
    pages = preflight.page_count(next(p for p in result.outputs if p.suffix == ".pdf"))
    assert pages > 2
    monkeypatch.setattr(builder, "READ_PAGES", 1)
    split = builder.build(dataclasses.replace(opts, output=tmp_path / "again"))
    assert split.rendered and split.warnings == result.warnings
    opts.strict = True
    with pytest.raises(BuildError) as err:
        builder.build(opts)
    assert any("[quotes]" in d.message for d in err.value.diagnostics)


@pytest.mark.slow
def test_default_guide_passes_preflight(default_guide, tmp_path):
    """The default guide's student and teacher editions and all its handouts, on A4 and
    on Letter: the builder's preflight finds nothing (the build, under --strict, fails on
    any finding or warning: conftest.py's ``default_guide``); and the measured page:
    60-75 characters a body line, no note off its page, contents on two pages; and every
    page of the teacher edition's body and index has the student edition's number."""
    outputs = sorted(p for p in default_guide.iterdir() if p.is_file())
    editions = sorted("-".join(p.stem.split("-")[-2:]) for p in outputs
                      if p.suffix == ".pdf")
    assert editions == ["student-a4", "student-letter", "teacher-a4", "teacher-letter"]
    # each chapter's and exercise's reading handout and its student and teacher worksheets,
    # on either paper
    handouts = sorted(p.name for p in (default_guide / "handouts").glob("*.pdf"))
    for paper in ("a4", "letter"):
        made = [name for name in handouts if name.endswith(f"-{paper}.pdf")]
        kinds = {kind: [n for n in made if f"-{kind}-" in n]
                 for kind in ("reading", "worksheet-student", "worksheet-teacher")}
        assert len(kinds["reading"]) >= 10, made
        assert len(kinds["worksheet-student"]) == len(kinds["worksheet-teacher"]) >= 10, made
    assert len(handouts) == 2 * len([n for n in handouts if n.endswith("-a4.pdf")])
    # the measured page (A4's student edition read back)
    numbers = preflight.measure(next(p for p in outputs if p.name.endswith("-student-a4.pdf")))
    assert 60 <= numbers["median_line"] <= 75, numbers
    assert numbers["notes_off_page"] == 0
    # the contents (the pages whose lines run to their page numbers through dot leaders)
    # take two pages at most, in every edition
    import pdfplumber
    for pdf in (p for p in outputs if p.suffix == ".pdf"):
        with pdfplumber.open(pdf, pages=range(1, 13)) as doc:
            contents = [page.page_number for page in doc.pages
                        if re.search(r"(\. ){5,}\.? *\d+\s*$", page.extract_text() or "", re.M)]
        assert 1 <= len(contents) <= 2, (pdf.name, contents)
    # the teacher edition keeps the student edition's page numbers, on either paper
    from test_teacher import assert_same_pages
    for paper in ("a4", "letter"):
        folder = tmp_path / paper
        folder.mkdir()
        for pdf in outputs:
            if pdf.name.endswith(f"-{paper}.pdf"):
                (folder / pdf.name).symlink_to(pdf)
        assert_same_pages(folder)


def test_print_typography_of_generated_text(tmp_path):
    """What print adds to the shared HTML: curly quotes in generated text, short
    cross-references, running heads from short titles, names kept whole (those long
    enough for the stylesheets to hyphenate), display lines that do not end on one word."""
    from pathlib import Path

    from studyguide.writers import pdf
    rb, _ = builder.prepare(builder.Options(content=MINI, output=Path("/tmp/unused"),
                                            cache=None))
    next(e for e in rb.spine if e.id == "ch01").short_title = "First"
    target = rb.targets["ch01"]
    html = ('<html><head><style>a::after { content: "x\'s"; }</style></head><body>'
            '<section id="ch01"><h1 class="chapter-title">The Author\'s First Chapter</h1>'
            f'<p>See <a class="xref" href="#ch01">{target.label}, “{target.title}”</a>; '
            "Ada Writer's 'view'; Ada Writer&#39;s. Ada Writer wrote.</p><pre>x = 'a'</pre></section></body></html>")
    out = pdf.print_typography(html, rb)
    assert 'The Author’s <span class="nobr">First Chapter</span>' in out   # balanced, curly
    assert 'data-running="First"' in out
    assert f'><span class="nobr">{target.label}</span></a>' in out     # short form, whole
    assert '<span class="name">Writer</span>’s ‘view’' in out
    assert '<span class="name">Writer</span>’s.' in out                 # an escaped one too
    # print.css hyphenates no word under 7 letters: "Writer’s" is 8, "Writer" alone 6
    assert "Ada Writer wrote" in out
    assert "<pre>x = 'a'</pre>" in out and "content: \"x's\"" in out   # code, CSS as written
    # a book's stylesheet that hyphenates shorter words: the name is kept whole there too
    (tmp_path / "book.css").write_text("p { hyphenate-limit-chars: 5 2 2; }")
    rb.book.stylesheet_path = tmp_path / "book.css"
    assert '<span class="name">Writer</span> wrote' in pdf.print_typography(html, rb)


def test_overflow_of_a_one_sided_handout(tmp_path):
    """A handout has the same margins on every page. Its first page set ragged, and its
    second holding only indented questions whose numbers hang in the indent, are within
    the margins, though measured by their own hand (as a mirrored book's pages are) they
    seemed not to be; a line that does run past the margin is still found."""
    ragged = ("<p style='text-align: left'>" + PARA[3:-4] + " " + PARA[3:-4] + "</p>") * 6
    questions = ("<ol style='padding-left: 6mm'>" + "".join(
        f"<li><p style='font-size: 8.5pt'>ANALYSIS (12 MARKS)</p>{PARA}</li>"
        for _ in range(6)) + "</ol>")
    sheet = ragged + "<div style='break-before: page'></div>" + questions
    path = pdf_of(sheet, tmp_path, "sheet.pdf")
    assert "overflow" not in checks(path, one_sided=True)
    assert "overflow" not in checks(path)       # each page by its own hand, as a book's
    wide = ("<p style='white-space: nowrap'>A line that runs on past the margin of the "
            "text block and out into the white space beside it, far too long</p>")
    over = pdf_of(ragged + "<div style='break-before: page'></div>" + questions + wide,
                  tmp_path, "over.pdf")
    assert [(f.check, f.page) for f in preflight.check_pdf(over, one_sided=True)] == \
        [("overflow", 2)]


def test_a_one_page_handouts_edge_is_its_running_heads(tmp_path):
    """A one-page handout whose three questions read alike end short of the margin on
    the same point, and a fourth, longer, ends inside it: the three were taken for the
    text block's edge, and the fourth for a line past it. The running head, the book's
    title at the left edge and the chapter's at the right, marks the edges; a line that
    does run past the right one is still found."""
    from weasyprint import HTML
    head = HEAD.replace('@top-left { content: "Running head"; font: italic 9pt "Linux '
                        'Libertine O"; }', '@top-left { content: "Mini Market"; font: italic '
                        '9pt "Linux Libertine O"; } @top-right { content: "Demand"; font: '
                        'italic 9pt "Linux Libertine O"; }').replace("@page :first", "@page x")
    assert head != HEAD
    question = ("<p style='text-align: left'>{}Essay number {}. To what extent do price "
                "ceilings help consumers? Use a diagram.</p>")
    body = "".join(question.format("", n) for n in range(2, 5)) + \
        question.format("Using Section 1.1, “The law of demand”, ", 1)
    path = tmp_path / "sheet.pdf"
    HTML(string=head + body + "</body></html>").write_pdf(path)
    assert checks(path, one_sided=True) == []
    wide = ("<p style='white-space: nowrap'>A line that runs on past the margin of the "
            "text block and out into the white space beside it, far too long</p>")
    HTML(string=head + body + wide + "</body></html>").write_pdf(path)
    assert checks(path, one_sided=True) == ["overflow"]


TABLES_CHAPTER = """---
title: Presenting Data in Tables
summary: >
  Tables let a reader compare values at a glance. This chapter shows the kinds of table
  a writer meets and how to caption, align and annotate them.
---

## Pipe tables with alignment

Pipe tables are the commonest kind. The colons in the line under the header set each
column's alignment: left, centre and right.

| Style                          | In-text form               | List heading   |
|:-------------------------------|:--------------------------:|---------------:|
| Chicago author-date            | (Booth et al. 2016, 12)    | References     |
| APA                            | (Booth et al., 2016, p. 12) | References    |
| Harvard (Cite Them Right)      | (Booth et al. 2016, p. 12) | Reference list |
| Chicago notes and bibliography | a footnote                 | Bibliography   |

Table: Three citation styles and their in-text forms

<div style="break-before: page"></div>

A table says at once what a paragraph says at length.
"""


def test_a_short_handouts_lines_at_the_margin_are_inside_it(book_copy):
    """A short reading handout has few full lines, its justified ones ending a little
    apart at the margin ("left," short of "h"), and a table whose rows end inside their
    cells: the text block's edge was taken from the rows, and a line ending at the
    margin, under the running head's end, was "past the margin". A line that does run
    past it is still found."""
    from studyguide.writers import pdf
    (book_copy / "chapters" / "03-tables.md").write_text(TABLES_CHAPTER, encoding="utf-8")
    wide = "\nA checksum too long for a line: `" + "0123456789abcdef" * 6 + "`.\n"
    (book_copy / "chapters" / "04-over.md").write_text(
        TABLES_CHAPTER.replace("\n<div", wide + "\n<div"), encoding="utf-8")
    config = book_copy / "book.yaml"
    config.write_text(config.read_text(encoding="utf-8").replace(
        "  - chapters/02-second.md\n", "  - chapters/02-second.md\n  - chapters/03-tables.md\n"
        "  - chapters/04-over.md\n"), encoding="utf-8")
    rb, report = rendered_book(book_copy)
    assert not report.errors, report.errors
    clean, over = (preflight.check_pdf(f"{doc.id}.pdf", one_sided=True,
                                       data=pdf.render_handout(rb, doc, False, "A4"))
                   for doc in rb.docs[2:4])
    assert not clean, clean
    # (and the line before the checksum, left with nothing after its last word, is spread)
    assert sorted((f.check, f.page) for f in over) == [("loose", 1), ("overflow", 1)], over
    assert "“A checksum too long for a line:”" in next(f.message for f in over
                                                       if f.check == "loose")

def test_a_japanese_books_lines_and_pictures_at_the_margin_are_inside_it(tmp_path):
    """A Japanese book's full lines set some thirty characters (each as wide as the type
    is high), fewer than a full line of English: on the left-hand pages, whose folio is
    at the left, the edge of the text block was taken from the one line of English (a
    picture's source, short of the edge) and the folios, and every Japanese line and the
    picture were "past the margin". A line and a picture that do run past it are still
    found."""
    from urllib.parse import quote
    from weasyprint import HTML
    head = HEAD.replace("@page :first", "@page :left { margin: 22mm 40mm 24mm 20mm; "
                        "@top-left { content: counter(page); } @bottom-right { content: none; } }"
                        " @page :right { margin: 22mm 20mm 24mm 40mm; } @page :first")
    assert head != HEAD
    svg = ('<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 600 200" width="600" '
           'height="200"><rect width="600" height="200" fill="#eee"/></svg>')
    picture = ('<p><img alt="藩" style="width: {}mm" src="data:image/svg+xml,' + quote(svg) +
               '"></p><p lang="en">After a map in the Meiji government’s survey of 1871.</p>')
    text = f"<p>{JA * 6}</p>"
    paths = []
    for name, width, wide in (("book", 120, ""),
                              ("over", 170, f"<p style='white-space: nowrap'>{JA * 2}</p>")):
        paths.append(tmp_path / f"{name}.pdf")
        HTML(string=head + JA_FACE + "<div lang='ja'>" + text * 20 + picture.format(width) +
             wide + text * 30 + "</div></body></html>").write_pdf(paths[-1],
                                                                  pdf_variant="pdf/ua-1")
    book, over = paths
    [page] = [p for p in preflight.read_pages(book) if p.drawings]
    assert page.number % 2 == 0 and len(preflight.read_pages(book)) >= 6
    assert preflight.check_pdf(book) == []
    found = [(f.page, f.message.split(":")[0].split(" by ")[0])
             for f in preflight.check_pdf(over)]
    assert found == [(page.number, "text past the margin"),
                     (page.number, "drawing past the margin")], found


def test_the_pages_read_as_pdfplumber_reads_them_from_pdfminer(tmp_path):
    """The preflight reads characters and paths with pdfium and groups them with
    pdfplumber; pdfplumber reading the same PDF entirely by itself (pdfminer) finds the
    same lines, fonts and sizes in the same places, and the same tables and rules, on
    pages with running heads, footnotes, italics, a split table and ruled lines."""
    import pdfplumber
    rows = "".join(f"<tr><td>Row {i}</td><td><i>{i}</i> marks</td></tr>" for i in range(30))
    body = ("<h2>Plans</h2><p>The <i>New Course</i> was argued<span class='fn'>Pravda, "
            "December 1923.</span> in the press.</p>" + PARA * 6 +
            f"<table><thead><tr><th>Aspect</th><th>Value</th></tr></thead><tbody>{rows}"
            "</tbody></table>" + "<div style='border-bottom: 0.5pt solid #000; height: 8mm'>"
            "</div>" * 4 + PARA * 3)
    path = pdf_of(body, tmp_path)
    pages = preflight.read_pages(path)
    with pdfplumber.open(path) as doc:
        assert len(pages) == len(doc.pages) >= 2
        tables = rules = 0
        for ours, page in zip(pages, doc.pages):
            theirs = [ln for ln in page.extract_text_lines(return_chars=True, strip=True)
                      if any(c["text"].strip() for c in ln["chars"])]
            lines = ours.head + ours.body + ours.foot
            assert [ln.text for ln in lines] == [ln["text"] for ln in theirs]
            for ln, their in zip(lines, theirs):
                first = next(c for c in their["chars"] if c["text"].strip())
                assert ln.font == first["fontname"]
                assert abs(ln.size - round(first["size"], 1)) < 0.15
                assert abs(ln.x0 - their["x0"]) < 0.1 and abs(ln.top - their["top"]) < 0.1
                assert abs(ln.bottom - their["bottom"]) < 0.1
                assert -0.1 < ln.x1 - their["x1"] < 1.5        # italic overhang, at most
            found = [(tuple(round(v) for v in t.bbox), len(t.rows)) for t in page.find_tables()
                     if len(t.rows) >= 2 and max(len(r.cells) for r in t.rows) >= 2]
            assert [(tuple(round(v) for v in box), n) for box, n, _ in ours.tables] == found
            tables += len(found)
            rules += len(ours.rules)
        assert tables == 2 and rules >= 4


def test_a_rebuild_reads_back_only_the_pages_that_changed(book_copy, tmp_path, monkeypatch):
    """The preflight of a rebuild takes the reading of every page that did not change
    from the cache (``preflight.page_keys``): after an edit to the last chapter, the
    front matter and the first chapter read as before, and the findings are those of a
    clean build of the edited book. A page that changed is read from its part as the
    part is drawn again, or else from the edition."""
    monkeypatch.setattr(builder, "READ_PAGES", 1)        # the fixture book is short
    (book_copy / "book.css").write_text('.chapter-body::after { content: "an \'aside\'"; }\n')
    text = (book_copy / "book.yaml").read_text()
    (book_copy / "book.yaml").write_text(text + "stylesheet: book.css\n")
    opts = builder.Options(content=book_copy, output=tmp_path / "out", handouts=False,
                           cache=tmp_path / "cache", formats=("pdf",), editions=("student",))
    first = builder.build(opts)
    [pdf] = [p for p in first.outputs if p.suffix == ".pdf"]
    before = preflight.page_keys(pdf)
    chapter = book_copy / "chapters" / "02-second.md"
    chapter.write_text(chapter.read_text().replace(
        "The end of the second chapter", "The end, a page or so later, of the second chapter"))
    read = []                       # the pages the workers are asked to read
    submit_all = builder.Scheduler.submit_all

    def noted(self, tasks, *args, **kw):
        read.extend(i for t in tasks if t.fn is builder._preflight_read
                    for i in range(t.args[1], t.args[2]))
        return submit_all(self, tasks, *args, **kw)
    monkeypatch.setattr(builder.Scheduler, "submit_all", noted)
    ahead = set()                   # the pages read from the parts drawn again
    read_pages = builder.Outputs.read_pages

    def read_ahead(self, *args):
        for future in self.scheduler.pages_read:
            ahead.update(future.result())
        return read_pages(self, *args)
    monkeypatch.setattr(builder.Outputs, "read_pages", read_ahead)
    again = builder.build(opts)
    after = preflight.page_keys(pdf)
    assert len(before) == len(after) and before[:3] == after[:3] and before != after
    changed = {i for i, (a, b) in enumerate(zip(before, after)) if a != b}
    assert ahead and set(read) <= changed and not ahead & set(after[:3])
    assert changed <= set(read) | {i for i, k in enumerate(after) if k in ahead}
    clean = builder.build(dataclasses.replace(opts, output=tmp_path / "clean",
                                              cache=None))
    assert again.warnings == clean.warnings
    assert any("[quotes]" in w for w in again.warnings)


def test_a_build_failed_by_strict_keeps_what_it_typeset(book_copy, tmp_path):
    """A build that --strict fails on a preflight finding has typeset every part: the
    next build, strict or not, takes them all from the cache (with their page plan)."""
    (book_copy / "book.css").write_text(
        '.chapter-body::after { content: "the author\'s note"; }\n')
    text = (book_copy / "book.yaml").read_text()
    (book_copy / "book.yaml").write_text(text + "stylesheet: book.css\n")
    opts = builder.Options(content=book_copy, output=tmp_path / "out", handouts=False,
                           cache=tmp_path / "cache", formats=("pdf",), editions=("student",),
                           strict=True)
    with pytest.raises(BuildError):
        builder.build(opts)
    again = builder.build(dataclasses.replace(opts, strict=False))
    assert any("[quotes]" in w for w in again.warnings)
    assert again.rendered == 0, again.rendered


def _handout_pdf(path, head_end: float, line: str) -> None:
    """A one-page handout as WeasyPrint writes a Hindi one: its running head's last
    word in a span of its text (ActualText) set in two runs of glyphs, the second raised
    a little (as a reph is), and one long ragged line of text under it."""
    right = (f"/Span <</ActualText (Worksheet)>> BDC BT /F1 9 Tf 1 0 0 1 {head_end - 39.53:.2f}"
             " 812 Tm (Work) Tj 0.1 Ts (sheet) Tj 0 Ts ET EMC")
    stream = ("BT /F1 9 Tf 1 0 0 1 56.69 812 Tm (Book title) Tj ET " + right +
              f" BT /F1 10 Tf 1 0 0 1 56.69 720 Tm ({line}) Tj ET").encode()
    objects = [b"<< /Type /Catalog /Pages 2 0 R >>",
               b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
               b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595.28 841.89] "
               b"/Resources << /Font << /F1 5 0 R >> >> /Contents 4 0 R >>",
               b"<< /Length %d >>\nstream\n" % len(stream) + stream + b"\nendstream",
               b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>"]
    out, offsets = bytearray(b"%PDF-1.7\n"), []
    for n, body in enumerate(objects, 1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % n + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % o for o in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (
        len(objects) + 1, xref)
    path.write_bytes(bytes(out))


def test_a_running_heads_word_read_from_its_text_ends_where_its_glyphs_do(tmp_path):
    """A Hindi handout's running head ends in a word with a reph ("कार्यपत्रक"), set
    in a span of the word's text (ActualText) of two runs of glyphs, the reph raised.
    pdfium read the word's characters all from the first run, and the head, which marks
    the right edge of a one-page handout with few full lines, as ending some 15 points
    short: the one long ragged line, 4 points inside the real edge, was "text past the
    margin". The head is read to its last glyph; a line that does run past it is still
    found."""
    line = "A long line of ragged text set to end a few points inside the head's " \
           "right end, and no further"
    path = tmp_path / "sheet.pdf"
    _handout_pdf(path, 600, line)
    [page] = preflight.read_pages(path)
    end = page.body[0].x1
    _handout_pdf(path, end + 4, line)
    [page] = preflight.read_pages(path)
    assert [ln.text for ln in page.head] == ["Book title Worksheet"]
    assert page.head[0].x1 > end + 4
    assert checks(path, one_sided=True) == []
    _handout_pdf(path, end - 12, line)
    assert checks(path, one_sided=True) == ["overflow"]


RAGGED = """<style>
body { text-align: left; }
p { padding-right: 12mm; }
@page :left { margin: 22mm 20mm 24mm 40mm;
  @top-left { content: "Running head"; } @bottom-left { content: counter(page); }
  @bottom-right { content: none; } }
@page :right { margin: 22mm 40mm 24mm 20mm;
  @top-left { content: none; } @top-right { content: "Chapter"; font: italic 9pt serif; } }
</style>"""


def test_ragged_text_on_a_verso_does_not_narrow_its_text_block(tmp_path):
    """Text set ragged (a language with no hyphenation patterns) ends short of the right
    edge; on a verso the running head and the folio stand at the left edge, so nothing
    there shows the right one. The text block is as wide as the recto's: a line set to
    the block's right edge is inside it, one set past it is not."""
    def book(margin: str) -> list:
        line = (f"<p style='text-align: right; padding: 0; margin-right: {margin}'>"
                "The last line of the quotation stands at the right edge.</p>")
        body = (RAGGED + PARA * 6 + "<div style='break-before: left'></div>" + PARA * 4 +
                line + PARA * 4 + "<div style='break-before: page'></div>" + PARA * 8)
        return preflight.check_pdf(pdf_of(body, tmp_path, f"ragged{margin}.pdf"))
    assert book("0") == []
    wider = book("-8mm")
    assert [(f.check, f.page) for f in wider] == [("overflow", 2)]
    assert "The last line of the quotation" in wider[0].message


def test_a_finding_quotes_whole_words():
    assert preflight._excerpt("dân Pháp, lật nhào chế độ quân chủ, mở ra một", 40) == \
        "dân Pháp, lật nhào chế độ quân chủ, mở…"
    assert preflight._excerpt("Võ Nguyên Giáp", 40) == "Võ Nguyên Giáp"
    assert preflight._excerpt(JA, 12) == "新政府にとって最大の課…"


def test_a_finding_quotes_right_to_left_text_as_it_is_written():
    """A right-to-left line is read from the page left to right: its quotation is put
    back in the order of the text, left-to-right words kept as they are."""
    assert preflight._excerpt("تفرگ ماو هیسور", 40) == "روسیه وام گرفت"
    assert preflight._excerpt("درک مادختسا Morgan Shuster سلجم", 60) == \
        "مجلس Morgan Shuster استخدام کرد"


def test_a_finding_is_placed_at_the_heading_or_line_its_source_types(tmp_path):
    """A heading printed with typographic quotes ("1.3 “In Flanders Fields”") is found at
    its ``## "In Flanders Fields"`` (it was not, and the finding went to the chapter's
    title); a printed line quoted twice in the source (a verse in a question's extract
    and in the text) is placed at the occurrence from the page's source on, else the
    last before it."""
    from studyguide import preflight
    source = tmp_path / "chapter.md"
    source.write_text("---\ntitle: Poems\nquestions:\n  - extract: |\n"
                      "      In that rich earth a richer dust concealed;\n---\n\n"
                      '## "In Flanders Fields" --- a rondeau\n\nText.\n\n'
                      "| In that rich earth a richer dust[^d] concealed;\n\n[^d]: Dust.\n",
                      encoding="utf-8")
    assert preflight.heading_line(source, "1.3 “In Flanders Fields” — a rondeau") == 8
    line = "In that rich earth a richer dust2 concealed;"
    assert preflight.text_line(source, line) == 5
    assert preflight.text_line(source, line, 8) == 12
    assert preflight.text_line(source, line, 14) == 12
