"""Text without spaces between words (Japanese, Chinese) in print and in the matching of
the index's and glossary's words: a note's call, ruby, a sentence's end, a word found."""
from __future__ import annotations

import re
import subprocess
from pathlib import Path

from lxml import html as lxml_html

ROOT = Path(__file__).resolve().parent.parent
FONT = ROOT / "tests" / "fixtures" / "fonts" / "NotoSerifJP-ja-test.otf"
PARAGRAPH = ("1881年、北海道開拓使の官有物を安く払い下げようとした事件が批判を浴びると、政府は"
             "国会開設の勅諭を出し、1890年に国会を開くと約束した。板垣は同じ年に自由党を結成し、"
             "翌年には大隈重信が立憲改進党を結成した。")


def _typeset(tmp_path: Path, body: str) -> list[tuple[float, float, float, str]]:
    """``body`` (print's HTML) typeset with the print sheets on A4: the words pdftotext
    finds, (xMin, yMin, xMax, text)."""
    from weasyprint import CSS, HTML
    from weasyprint.text.fonts import FontConfiguration
    from studyguide.writers import pdf
    html = pdf.footnotes_to_floats(f'<html lang="ja"><body>{body}</body></html>')
    doc = lxml_html.document_fromstring(html)
    pdf.print_ruby(doc)
    out = tmp_path / "t.pdf"
    fonts = FontConfiguration()       # (which loads the @font-face)
    HTML(string=pdf.to_html(doc)).write_pdf(out, font_config=fonts, stylesheets=[
        CSS(ROOT / "styles" / "base.css"), CSS(ROOT / "styles" / "print.css"),
        CSS(string=f'@font-face {{ font-family: "JP"; src: url("{FONT.as_uri()}"); }} '
                   'body, p, .fn { font-family: "JP"; } '
                   '@page { size: A4; margin: 20mm 44mm; }', font_config=fonts)])
    boxes = subprocess.run(["pdftotext", "-bbox", str(out), "-"], capture_output=True,
                           text=True, check=True).stdout
    return [(float(a), float(b), float(c), w) for a, b, c, w in re.findall(
        r'<word xMin="([\d.]+)" yMin="([\d.]+)" xMax="([\d.]+)" yMax="[\d.]+">([^<]*)</word>',
        boxes)]


def test_a_note_call_after_japanese_holds_only_what_follows_the_last_break(tmp_path):
    """A call right after Japanese text ("結成した。[^a]") kept the whole run before it,
    which has no space, on one line: the paragraph ran 418 mm wide off an A4 page. Only
    what follows the run's last line-break opportunity stays with the call."""
    call = '<sup id="r1"><a class="footnote-ref" href="#n1">1</a></sup>'
    words = _typeset(tmp_path, f'<p>{PARAGRAPH}{call}</p><div class="footnote"><ol>'
                               '<li id="n1"><p>自由党はフランス流の急進的な考えに近かった。</p>'
                               '</li></ol></div>')
    right = (210 - 44) * 72 / 25.4
    text = "".join(w for _, _, _, w in words)
    assert "立憲改進党を結成した。" in text and "急進的な考え" in text
    assert max(x1 for _, _, x1, _ in words) <= right + 1, words
    lines = [(y, w) for _, y, _, w in words if y < 400]
    assert len(lines) >= 4, lines        # the paragraph wraps: it was one line and a call
    # the call stays on the line of the text before it (raised a little)
    (y_text, last), (y_call, mark) = lines[-2:]
    assert last.endswith("結成した。") and mark == "1" and 0 < y_call - y_text < 6


def test_a_latin_word_before_a_call_is_held_whole_as_before():
    """Only a run of Chinese or Japanese letters is cut at its last break: a Latin word
    ("long—dash") is held whole, as before."""
    from studyguide.writers import pdf
    html = pdf.footnotes_to_floats(
        '<html><body><p>a long—dash<sup id="r1"><a class="footnote-ref" href="#n1">1</a>'
        '</sup> and 結成した。<sup id="r2"><a class="footnote-ref" href="#n2">2</a></sup>'
        '</p><div class="footnote"><ol><li id="n1"><p>N.</p></li><li id="n2"><p>M.</p>'
        '</li></ol></div></body></html>')
    held = [span.text for span in lxml_html.document_fromstring(html).xpath(
        '//span[@class="fn-hold"]')]
    assert held == ["long—dash", "た。"]


def test_ruby_is_set_above_its_base_in_print(tmp_path):
    """Ruby printed on the line after its base, full size ("攘夷じょうい"): the reading
    is set half size, centred above its base, the base on the line's baseline."""
    words = _typeset(tmp_path, "<p>外国を打ち払えという<ruby>攘夷<rp>（</rp><rt>じょうい</rt>"
                               "<rp>）</rp></ruby>の主張。</p>")
    reading = next(w for w in words if w[3] == "じょうい")
    line = next(w for w in words if "攘夷" in w[3])
    assert "じょうい" not in line[3] and "（" not in line[3]
    assert reading[1] < line[1] - 4                   # above the line
    size = (line[2] - line[0]) / len(line[3])          # one character's width
    base = line[0] + line[3].index("攘夷") * size
    assert abs((reading[0] + reading[2]) / 2 - (base + size)) < size / 2   # centred
    assert (reading[2] - reading[0]) / 4 < size * 0.6                      # half size


def test_ruby_pairs_each_base_with_its_reading():
    from studyguide.writers import pdf
    for source, pairs in [
            ("<ruby>漢<rt>かん</rt>字<rt>じ</rt></ruby>", [("かん", "漢"), ("じ", "字")]),
            ("<ruby><rb>東</rb><rb>京</rb><rt>とう</rt><rt>きょう</rt></ruby>",
             [("とう", "東"), ("きょう", "京")]),
            ("<ruby><em>強</em>調<rp>(</rp><rt>きょうちょう</rt><rp>)</rp></ruby>",
             [("きょうちょう", "強調")])]:
        doc = lxml_html.document_fromstring(f"<p>x{source}y</p>")
        pdf.print_ruby(doc)
        assert [(r.xpath("string(span[@class='rt'])"), r.xpath("string(span[@class='rb'])"))
                for r in doc.xpath('//span[@class="ruby"]')] == pairs
        # (print reads the reading first: it stands above the base)
        assert doc.xpath("string(//p)") == "x" + "".join(r + b for r, b in pairs) + "y"
        assert not doc.xpath("//rp | //rt | //ruby")


def test_a_japanese_full_stop_ends_a_definitions_first_sentence():
    """A worksheet printed a Japanese definition whole: "。" needs no space after it."""
    from studyguide.writers.pdf import first_sentence
    assert first_sentence("<p>領事裁判権を認め、関税自主権をもたない条約。1858年の日米修好"
                          "通商条約などを指す。</p>") == "領事裁判権を認め、関税自主権をもたない条約。"
    # a full stop inside a quotation ends no sentence
    assert first_sentence("<p>「条約を結んだ。」と書いた。次の文。</p>") == "「条約を結んだ。」と書いた。"
    assert first_sentence("<p>A treaty. Another.</p>") == "A treaty."


def test_words_are_found_inside_text_without_spaces():
    """The index's forms and the glossary's terms were found only between spaces or
    punctuation: "徴兵令" never in "1873年に徴兵令が出された", "Perry" never in "Perryが"."""
    import re as regex

    from studyguide.wordmatch import alternation, word_end
    pattern = regex.compile(r"(?<!" + word_end() + r")(" +
                            alternation(["徴兵令", "西南戦争", "Perry", "Lenin"]) +
                            r")(?!" + word_end() + ")")
    found = [m.group(1) for m in pattern.finditer(
        "1873年に徴兵令が出された。西南戦争は1877年。Perryが来航した。Leninism. Perryman.")]
    assert found == ["徴兵令", "西南戦争", "Perry"]


def test_a_notes_number_at_the_foot_is_set_as_the_language_sets_a_caption():
    """The foot of a page numbered its notes "1. " in every language (print.css); a
    Japanese note reads "1　…" (the locale's ``caption_separator``)."""
    from studyguide.labels import defaults
    from studyguide.writers.pdf import label_css
    assert '.fn::footnote-marker { content: counter(footnote) ". "; }' in \
        label_css(defaults("en"), False)
    for handout in (False, True):
        assert '.fn::footnote-marker { content: counter(footnote) "\u3000"; }' in \
            label_css(defaults("ja"), handout)


def test_japanese_is_not_set_in_italics(tmp_path):
    """What the theme sets in italics (emphasis, a lead, a question in the answer key)
    took Libertine's italic digits among upright kanji ("1871年"), and spaced labels
    were spaced letter by letter; in Chinese, Japanese and Korean they are upright, and
    emphasis is bold. A Latin passage marked as such keeps its italics."""
    _typeset(tmp_path, '<p class="lead">1890年に<em>国会</em>を開く。'
                       '<em lang="en">Black Ships</em></p>')
    import pdfplumber
    with pdfplumber.open(tmp_path / "t.pdf") as read:
        chars = read.pages[0].chars
    slanted = {c["text"] for c in chars if "Italic" in c["fontname"] or
               "Oblique" in c["fontname"]}
    assert set("BlackShips") <= slanted                  # the English words
    assert not slanted & set("1890年に国会を開く。"), slanted
    bold = {c["text"] for c in chars if "Bold" in c["fontname"]}
    assert bold == set("国会"), bold                      # the Japanese emphasis


def test_a_sentence_ends_in_scripts_without_capitals():
    """A worksheet's first sentence waited for a capital after the full stop, which
    Arabic, Hebrew and Devanagari have none of, and knew no Arabic "؟" or Hindi "।": it
    printed each such definition whole."""
    from studyguide.writers.pdf import first_sentence
    for whole, first in [("نظام يقوم على الإنتاج. وهو نظام آخر.", "نظام يقوم على الإنتاج."),
                         ("ما هو الثمن؟ هو ما يدفع.", "ما هو الثمن؟"),
                         ("यह एक वाक्य है। यह दूसरा है।", "यह एक वाक्य है।"),
                         ("זה משפט. וזה עוד.", "זה משפט."),
                         ("A thing, e.g. this one. Next.", "A thing, e.g. this one."),
                         ("Вещь. ещё не конец. Конец.", "Вещь. ещё не конец.")]:
        assert first_sentence(f"<p>{whole}</p>") == first


def test_a_page_reference_keeps_its_letters_whole():
    """"(p. N)" is kept on one line by word joiners; set between every two characters,
    one parted a Devanagari vowel sign from its consonant, and print drew "पृ." as
    "प◌ृ." after every cross-reference. They stand only where a line could break."""
    from studyguide.labels import defaults
    from studyguide.writers.pdf import label_css
    labels = {**defaults("en"), "page_ref": "पृष्ठ {page}"}
    css = label_css(labels, False)
    assert '" (पृष्ठ \u2060" attr(data-page) ")"' in css, css
    assert '"（" attr(data-page) "\u2060ペー\u2060ジ）"' in label_css(defaults("ja"), False)


def test_hindi_is_not_set_in_italics(tmp_path):
    """A Hindi subtitle set in italics slanted only its Latin digits and letters:
    "कक्षा 10 विज्ञान (CBSE)" had "10" and "(CBSE)" in italics beside upright
    Devanagari."""
    import pdfplumber
    _typeset(tmp_path, '<p class="lead" lang="hi">कक्षा 10 विज्ञान (CBSE) के लिए</p>')
    with pdfplumber.open(tmp_path / "t.pdf") as read:
        chars = read.pages[0].chars
    slanted = {c["text"] for c in chars if "Italic" in c["fontname"] or
               "Oblique" in c["fontname"]}
    assert "1" in {c["text"] for c in chars} and not slanted, slanted
