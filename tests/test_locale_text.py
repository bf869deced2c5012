"""The words the builder makes in a book's language, in process: where a generated
sentence ends, how a date and a label are written and kept together, how a book's
names become file names."""
import re
from pathlib import Path

from studyguide import labels


def test_a_full_stop_inside_brackets_ends_no_first_sentence():
    """A worksheet cut a definition inside its citation, "… son être (Spinoza, Éthique,
    III, prop.", the bracket left open: a full stop inside brackets, in the text or in
    an element's, ends no sentence; the one after them does."""
    from studyguide.writers.pdf import first_sentence
    fr = labels.defaults("fr")
    cited = ('Effort pour persévérer dans son être (<a href="#ref-s" role="doc-biblioref">'
             "Spinoza, <em>Éthique</em></a>, III, prop.\u00a06).")
    assert first_sentence(f"<p>{cited} Puis la suite.</p>", fr) == cited
    assert first_sentence("<p>Un effort [voir prop. 6. Et 7] constant. Puis.</p>", fr) == \
        "Un effort [voir prop. 6. Et 7] constant."
    assert first_sentence("<p>A treaty (signed 1858). Another.</p>") == \
        "A treaty (signed 1858)."


def test_a_names_initial_ends_no_first_sentence():
    """A Russian worksheet printed "… придуманная А." and "… название дал Ф.": a name's
    initial ends no sentence; a small letter's stop ("1856 г.") may."""
    from studyguide.writers.pdf import first_sentence
    ru = labels.defaults("ru")
    for text in ("Строфа, придуманная А. С. Пушкиным для «Евгения Онегина».",
                 "Название дал Ф.\u00a0В.\u00a0Булгарин, а В. Г. Белинский принял его."):
        assert first_sentence(f"<p>{text} Ср. сонет.</p>", ru) == text, text
    assert first_sentence("<p>A view E. H. Carr held. Another.</p>") == "A view E. H. Carr held."
    assert first_sentence("<p>Журнал закрыт в 1856 г. Затем другой.</p>", ru) == \
        "Журнал закрыт в 1856 г."


def test_first_sentence_goes_past_the_languages_abbreviations():
    """A worksheet's short definition is not cut at a full stop of an abbreviation of
    the book's language ("z. B.", "d. h.", "cf.", "p. ej.", "т. е."), with a space, a
    no-break space or none inside it; English's stay abbreviations in every language."""
    from studyguide.writers.pdf import first_sentence
    de = labels.defaults("de")
    math = '<span class="math inline">9,81 m/s²</span>'
    for z_b in ("z. B.", "z.\u00a0B.", "z.B.", "Z. B."):
        definition = (f"<p>Eine messbare Eigenschaft, geschrieben als Produkt aus Zahlenwert "
                      f"und Einheit, {z_b} {math}. Sie wird gemessen.</p>")
        assert first_sentence(definition, de) == (
            "Eine messbare Eigenschaft, geschrieben als Produkt aus Zahlenwert und "
            f"Einheit, {z_b} {math}."), z_b
    for text in ("Ein Maß, d. h. Eine Größe.", "Kräfte, vgl. Newton.", "Siehe Nr. 4.",
                 "Eine Größe, ca. 5 Newton.", "Gilt u. a. Für Körper.",
                 "Mit bzw. Ohne Reibung.", "Kräfte usw. Und mehr.", "Also approx. Ten."):
        assert first_sentence(f"<p>{text} Dann mehr.</p>", de) == text, text
    fr = labels.defaults("fr")
    for text in ("Une notion, cf. Marx.", "Voir p. 25 du manuel.", "Selon M. Dupont.",
                 "Une loi, env. 1789.", "Des droits, etc. Et des devoirs."):
        assert first_sentence(f"<p>{text} Puis la suite.</p>", fr) == text, text
    es = labels.defaults("es")
    for text in ("Una fuerza, p. ej. La gravedad.", "Según el Sr. García.",
                 "Según la Sra. López."):
        assert first_sentence(f"<p>{text} Luego más.</p>", es) == text, text
    it = labels.defaults("it")       # words parted by a space and no full stop ("ad es.")
    for text in ("Il pH dell'acqua, ad es. 7,00 se pura.", "Una base, cfr. Brønsted.",
                 "Ossidi, ecc. E altri."):
        assert first_sentence(f"<p>{text} Poi altro.</p>", it) == text, text
    ru = labels.defaults("ru")
    for text in ("Щёлочь, т. е. Основание.", "Всё, т. д. И прочее.", "Подробнее см. Рис. 3."):
        assert first_sentence(f"<p>{text} Затем ещё.</p>", ru) == text, text
    # a word that only ends like one is none, and a language's list is its own
    assert first_sentence("<p>Er reiste nach Afrika. Dann mehr.</p>", de) == \
        "Er reiste nach Afrika."
    assert first_sentence("<p>Ein Maß, z. B. Meter.</p>", labels.defaults("en")) == \
        "Ein Maß, z."


def test_a_books_abbreviations_are_checked(tmp_path):
    from studyguide.errors import Reporter
    path = tmp_path / "book.yaml"
    path.write_text("labels:\n  abbreviations: [Bsp.]\n", encoding="utf-8")
    report = Reporter(tmp_path)
    got = labels.for_book("de", {"abbreviations": ["Bsp."]}, path, 1, report)
    assert got["abbreviations"] == ["Bsp."] and not report.errors
    from studyguide.writers.pdf import first_sentence
    assert first_sentence("<p>Ein Bsp. Für Kräfte. Mehr.</p>", got) == "Ein Bsp. Für Kräfte."
    report = Reporter(tmp_path)
    labels.for_book("de", {"abbreviations": "Bsp."}, path, 1, report)
    assert [e.message for e in report.errors] == \
        ["label 'abbreviations' must be a list of abbreviations (\"z. B.\", \"cf.\")"]


def test_the_first_of_a_month_is_written_as_the_language_writes_it():
    """French writes the first of a month as an ordinal, "1er décembre 2026", "1er mai
    1789" (the edition date, the timeline's events), any other day as a number."""
    fr, de = labels.defaults("fr"), labels.defaults("de")
    assert labels.format_date(fr, "2026-12-01").split() == ["1er", "décembre", "2026"]
    assert labels.format_date(fr, "1789-05-01").split() == ["1er", "mai", "1789"]
    assert labels.format_date(fr, "1789-08-26").split() == ["26", "août", "1789"]
    assert labels.format_date(fr, "1789-05").split() == ["mai", "1789"]
    assert labels.format_date(de, "2026-10-01").split() == ["1.", "Oktober", "2026"]
    assert labels.format_date(labels.defaults("en-US"), "2026-12-01") == "December 1, 2026"
    # Italian's ordinal takes the ordinal indicator º (U+00BA), not a degree sign
    assert labels.format_date(labels.defaults("it"), "1512-11-01").split() == [
        "1\u00ba", "novembre", "1512"]


def test_a_dates_day_and_month_are_never_parted():
    """A generated date keeps its day with its month ("3. Oktober" broke at a line's
    end): the locales join them with a no-break space."""
    assert labels.format_date(labels.defaults("de"), "2026-10-03") == "3.\u00a0Oktober 2026"
    assert labels.format_date(labels.defaults("es"), "1789-05-05") == \
        "5\u00a0de\u00a0mayo de 1789"
    for language in ("ar", "he", "ru"):
        assert "\u00a0" in labels.format_date(labels.defaults(language), "2026-10-03")


def test_a_cross_references_label_is_never_parted(tmp_path):
    """In print, a cross-reference keeps its word with its number and the number whole
    ("Tableau" / "3.1" and "Tabelle A." / "1" were parted at a line's end); the line may
    still break before its "(p. 25)", which is never parted either. (Print's HTML sets a
    filled-in label in a span of its own, ``writers/pdf.print_typography``.)"""
    import re
    import subprocess
    from pathlib import Path

    from weasyprint import CSS, HTML

    from studyguide.writers import pdf
    root = Path(__file__).resolve().parent.parent
    body = "".join(f'<p>{"ab " * n}voir le <a class="xref" href="#t" data-page="25"><span '
                   f'class="nobr">Tabelle A.1</span></a> et le <a class="xref" href="#t" '
                   f'data-page="25"><span class="nobr">Tableau 3.1</span></a> ensuite.</p>'
                   for n in range(30))
    for handout in (False, True):
        css = pdf.label_css(labels.defaults("fr"), handout).replace(
            "target-counter(attr(href url), page)", '"25"')
        out = tmp_path / f"t{handout}.pdf"
        HTML(string=f'<html lang="fr"><body>{body}<p id="t">T</p></body></html>').write_pdf(
            out, stylesheets=[CSS(root / "styles" / "base.css"),
                              CSS(root / "styles" / "print.css"), CSS(string=css),
                              CSS(string="@page { size: A6; margin: 10mm 15mm; }")])
        bbox = subprocess.run(["pdftotext", "-bbox", str(out), "-"], capture_output=True,
                              text=True, check=True).stdout
        lines: dict = {}
        for page, words in enumerate(bbox.split("<page ")):
            for y, word in re.findall(r'<word xMin="[\d.]+" yMin="([\d.]+)"[^>]*>([^<]*)<',
                                      words):
                lines.setdefault((page, float(y)), []).append(word)
        text = [words for words in lines.values() if len(words) > 1]     # not a folio
        ends, starts = [words[-1] for words in text], [words[0] for words in text]
        assert not {"Tabelle", "A.", "Tableau", "(p."} & set(ends), ends
        assert not {"1", "A.1", "3.1", "25)"} & set(starts), starts
        assert "(p." in starts        # a line may break before the page


def test_the_semicolon_between_cited_works_is_set_as_the_language_sets_it():
    """French sets a narrow no-break space before the semicolon between two works of a
    citation, "(Lefebvre 1939 ; Furet et Richet 1965)", as before its own semicolons;
    in an author-date and a note style alike. A work's title keeps its own."""
    from studyguide.citations import bundled_style, format_citations
    refs = [{"id": "lef", "type": "book", "title": "Quatre-vingt-neuf", "issued":
             {"date-parts": [[1939]]}, "author": [{"family": "Lefebvre", "given": "G."}]},
            {"id": "fur", "type": "book", "title": "La Révolution; une histoire",
             "issued": {"date-parts": [[1965]]},
             "author": [{"family": "Furet", "given": "F."}, {"family": "Richet",
                                                             "given": "D."}]}]
    from lxml import html as lxml_html

    def text(html: str) -> str:
        return lxml_html.fragment_fromstring(html, create_parent="div").text_content()
    cites = format_citations(["[@lef; @fur]"], refs, bundled_style("chicago-author-date"),
                             "fr-FR")
    assert text(cites.rendered["0"]) == "(Lefebvre 1939\u202f; Furet et Richet 1965)"
    notes = format_citations(["[@lef; @fur]"], refs,
                             bundled_style("chicago-notes-bibliography"), "fr-FR").notes
    assert "(1939)\u202f; F. Furet" in text(notes["0"])
    assert "La Révolution; une histoire" in text(notes["0"])
    english = format_citations(["[@lef; @fur]"], refs, bundled_style("chicago-author-date"),
                               "en-GB")
    assert text(english.rendered["0"]) == "(Lefebvre 1939; Furet and Richet 1965)"


# Japanese: a subset of Noto Serif CJK JP, to the characters of ja.yaml and these books
JA_FONT = Path(__file__).resolve().parent / "fixtures" / "fonts" / \
    "NotoSerifCJKjp-Regular-labels-subset.otf"
JA_CHAPTER = """\
---
title: 約物
---

## 開国 {#sec-a}

二つの条約の違いは[](#tbl-a)にまとめた。詳しくは[](#sec-a)を見よ。[伊藤博文]{.index}が出る。

::: {#tbl-a .comparison}
:::

次のページにも[伊藤博文]{.index}が出る。
"""


def ja_book(root: Path, **meta) -> Path:
    """A one-chapter Japanese book in ``root``, without ``labels:``: a table, a person,
    an index entry, a timeline."""
    import shutil

    import yaml
    for folder in ("chapters", "data", "tables", "fonts"):
        (root / folder).mkdir(parents=True)
    shutil.copy(JA_FONT, root / "fonts" / "ja.otf")
    (root / "book.yaml").write_text(yaml.safe_dump({
        "title": "試験", "subtitle": "副題", "language": "ja", "date": "2026-12-05",
        "identifier": "urn:uuid:00000000-0000-4000-8000-000000000001", "paper": "A4",
        "chapters": ["chapters/01.md"], "fonts": ["fonts/ja.otf"], **meta},
        allow_unicode=True, sort_keys=False), encoding="utf-8")
    (root / "chapters" / "01.md").write_text(JA_CHAPTER, encoding="utf-8")
    (root / "tables" / "t.yaml").write_text(
        "tbl-a:\n  caption: 二つの条約\n  columns: [項目, 内容]\n  rows:\n"
        "    - [貿易, 認める]\n", encoding="utf-8")
    (root / "data" / "people.yaml").write_text(
        "- name: 伊藤博文\n  dates: 1841–1909\n  role: 初代内閣総理大臣\n", encoding="utf-8")
    (root / "data" / "index.yaml").write_text("- heading: 伊藤博文\n", encoding="utf-8")
    (root / "data" / "timeline.yaml").write_text(
        "- date: 1853-07-08\n  event: 黒船来航。\n  key: true\n", encoding="utf-8")
    return root


def test_a_japanese_books_punctuation_is_its_own(tmp_path):
    """Japanese takes no space after its full-width marks, ends a sentence with "。",
    puts a person's dates in （）, a caption's number and its text an ideographic space
    apart, and lists with "・": the theme's own Latin punctuation and spaces were
    "試験： 副題", "第1版、 2026年12月5日. 生徒用.", "伊藤博文 (1841–1909)", "3、 5",
    "図A.1. 主なできごと", "生徒用 · A4"."""
    from lxml import html as lxml_html

    from studyguide.errors import Reporter
    from studyguide.loader import load_book
    from studyguide.resolve import render_book
    from studyguide.writers.pdf import front_source, index_source, part_sources
    book = ja_book(tmp_path / "ja")
    report = Reporter(book)
    rb = render_book(load_book(book, report), report)
    assert not report.diagnostics, report.diagnostics

    def text(html_text):
        return lxml_html.document_fromstring(html_text).find("body").text_content()
    front = text(front_source(rb, True, "A4", {}))
    for words in ("試験：副題", "第1版、2026年12月5日。教師用（解答例付き）。",
                  "教師用：巻末に", "教師用（解答例付き）・A4"):
        assert words in front, (words, front)
    anchors = [a for _, a in rb.index[0]["refs"]]
    pages = dict(zip(anchors, ["3", "5"]))
    index = lxml_html.document_fromstring(index_source(rb, False, "A4", pages, pages))
    assert " ".join(index.xpath("//section[@id='index']//li")[0].text_content().split()) \
        == "伊藤博文 3、5、主な人物"      # (the last, its mention in the key figures)
    parts = " ".join(text(html) for html in part_sources(rb, False, "A4").values())
    parts = parts.replace("\u2060", "")       # (the word joiner after a range's dash)
    assert "伊藤博文（1841–1909）" in parts and "図A.1\u3000主なできごと" in parts, parts


def test_a_japanese_page_reference_is_never_parted(tmp_path):
    """Print's "（25ページ）" after a cross-reference stays on one line: a Japanese label
    has no space for the word joiners to follow, and the line broke between two of its
    characters ("表1.1 (25ペー" / "ジ)")."""
    import subprocess

    from weasyprint import CSS, HTML

    from studyguide.writers import pdf
    root = Path(__file__).resolve().parent.parent
    body = "".join(f'<p>{"あ" * n}<a class="xref" href="#t" data-page="25"><span '
                   f'class="nobr">表1.1</span></a>にまとめた。</p>' for n in range(40))
    face = f"@font-face {{ font-family: JA; src: url('{JA_FONT.as_uri()}'); }} " \
           "body { font-family: JA; }"
    css = pdf.label_css(labels.defaults("ja"), False)
    out = tmp_path / "ja.pdf"
    HTML(string=f'<html lang="ja"><body>{body}<p id="t">T</p></body></html>').write_pdf(
        out, stylesheets=[CSS(root / "styles" / "base.css"), CSS(root / "styles" / "print.css"),
                          CSS(string=css), CSS(string=face),
                          CSS(string="@page { size: A6; margin: 10mm 15mm; }")])
    lines = subprocess.run(["pdftotext", str(out), "-"], capture_output=True, text=True,
                           check=True).stdout.split("\n")
    refs = [line for line in lines if "（" in line or "）" in line]
    assert len(refs) == 40 and all("（25ページ）" in line for line in refs), refs
    assert any(line.startswith("（25ページ）") for line in lines)   # the line may break before it


def test_a_japanese_books_generated_lists_take_its_punctuation(tmp_path):
    """The timeline's text alternative, the EPUB's accessibility summary and the cover
    joined their items with a Latin comma's space and ended with "." in every language:
    "1853年7月8日、 黒船来航; …." in a Japanese book."""
    import io

    from ebooklib import epub as ebooklib_epub

    from studyguide.errors import Reporter
    from studyguide.figures import timeline_alt
    from studyguide.loader import load_book
    from studyguide.resolve import render_book
    from studyguide.writers.epub import add_accessibility_metadata
    book = ja_book(tmp_path / "ja")
    report = Reporter(book)
    rb = render_book(load_book(book, report), report)
    alt = timeline_alt(rb.book, {0: "黒船来航。"})
    assert alt.endswith("1853年7月8日、黒船来航。") and " " not in alt.split("：")[-1], alt
    package = ebooklib_epub.EpubBook()
    add_accessibility_metadata(package, page_numbers=True, index=True, labels=rb.labels)
    [summary] = [value for value, attrs in package.get_metadata(None, "meta")
                 if attrs.get("property") == "schema:accessibilitySummary"]
    assert "、 " not in summary and "、" in summary, summary


def test_a_japanese_index_and_glossary_follow_their_readings(tmp_path):
    """Kanji have no order of their own a reader knows: the index filed 伊藤 after 西郷
    (ICU orders kanji by their code), where a Japanese index follows the readings (い
    before さ). A ``sort:`` gives the reading; the heading prints as written."""
    from studyguide.errors import Reporter
    from studyguide.loader import load_book
    from studyguide.resolve import render_book
    book = ja_book(tmp_path / "ja")
    (book / "chapters" / "01.md").write_text(JA_CHAPTER + "\n西郷隆盛と大久保利通、ペリー。"
                                             "開国と攘夷と尊王。和親条約と通商条約。\n", encoding="utf-8")
    (book / "data" / "people.yaml").write_text(
        "- name: 伊藤博文\n  sort: いとう ひろぶみ\n  dates: 1841–1909\n"
        "- name: 西郷隆盛\n  sort: さいごう たかもり\n  dates: 1828–1877\n"
        "- name: 大久保利通\n  sort: おおくぼ としみち\n  dates: 1830–1878\n"
        "- name: ペリー\n  dates: 1794–1858\n", encoding="utf-8")
    (book / "data" / "index.yaml").write_text(
        "- heading: 開国\n  sort: かいこく\n  subentries:\n"
        "    - heading: 和親条約\n      sort: わしん じょうやく\n"
        "    - heading: 通商条約\n      sort: つうしょう じょうやく\n",
        encoding="utf-8")
    (book / "data" / "glossary.yaml").write_text(
        "- term: 尊王\n  sort: そんのう\n  definition: 天皇を尊ぶこと。\n"
        "- term: 攘夷\n  sort: じょうい\n  definition: 外国を打ち払うこと。\n"
        "- term: 開国\n  sort: かいこく\n  definition: 国を開くこと。\n", encoding="utf-8")
    report = Reporter(book)
    rb = render_book(load_book(book, report), report)
    assert not report.errors, report.errors
    assert [e["term"] for e in rb.index] == \
        ["伊藤博文", "大久保利通", "開国", "西郷隆盛", "攘夷", "尊王", "ペリー"]
    kaikoku = next(e for e in rb.index if e["term"] == "開国")
    assert [s["term"] for s in kaikoku["subs"]] == ["通商条約", "和親条約"]
    assert [g["term"] for g in rb.glossary] == ["開国", "攘夷", "尊王"]


def test_a_japanese_caption_and_heading_number_take_its_separators(tmp_path):
    """A table's and a figure's number label ended in a Latin ". " and a section's
    number in a space in every language: "表1.1. 二つの条約", "1.1 開国"."""
    from lxml import html as lxml_html

    from studyguide.errors import Reporter
    from studyguide.loader import load_book
    from studyguide.resolve import render_book
    book = ja_book(tmp_path / "ja")
    report = Reporter(book)
    rb = render_book(load_book(book, report), report)
    text = lxml_html.document_fromstring(rb.docs[0].body_html).text_content()
    assert "表1.1\u3000二つの条約" in text and "1.1\u3000開国" in text, text
    assert "表1.1." not in text and "1.1 開国" not in text


def test_a_russian_appendix_is_lettered_in_cyrillic(book_copy):
    """A Russian book printed "Таблица A.1" with a Latin A, which a search typed on a
    Russian keyboard does not find and a screen reader may read in another voice: the
    back matter's letter is the language's (``appendix_letter``), Cyrillic А."""
    from conftest import rendered_book
    book_yaml = book_copy / "book.yaml"
    english, _ = rendered_book(book_copy)
    book_yaml.write_text(book_yaml.read_text(encoding="utf-8").replace(
        "language: en-GB", "language: ru"), encoding="utf-8")
    rb, _ = rendered_book(book_copy)
    assert rb.targets["tbl-master"].label == "Таблица \u0410.1"
    assert english.targets["tbl-master"].label == "Table A.1"


def test_a_hebrew_abbreviations_marks_are_geresh_and_gershayim(tmp_path):
    """A Hebrew author types the abbreviation marks as " and ' ("מ"מ", "האו"ם", "ה'",
    "ג'ול"), which became curly quotes, "מ”מ", "ה’": a double quote between two Hebrew
    letters is a gershayim (״) and a single quote after a Hebrew letter that is no
    quotation's is a geresh (׳), in the chapters' Markdown and in the texts that do not
    come through it, as the theme's own labels write them ("עמ׳", "מסת״ב"). The quotes
    of a quotation, at a word's start or end, stay quotes, and code is left alone."""
    from lxml import html as lxml_html

    from studyguide.errors import Reporter
    from studyguide.loader import load_book
    from studyguide.resolve import render_book
    from studyguide.typography import double_quotes, smart_text
    from studyguide.writers.pdf import front_source
    from test_locales_metadata import write_book
    chapter = """\
        ---
        title: מחזור המים
        ---

        ## גשם

        עד 1,000 מ"מ בשנה; 5 ק"ג; האו"ם ו-ה' ו-ג'ול. הוא אמר "שלום" ו-'מילה' כאן.
        `מ"מ` בקוד.
        """
    book = write_book(tmp_path / "he", {"title": 'דו"ח המים', "language": "he"}, chapter)
    report = Reporter(book)
    rb = render_book(load_book(book, report), report)
    assert not report.errors, report.errors
    body = lxml_html.fragment_fromstring(rb.docs[0].body_html, create_parent="div")
    text = body.text_content()
    assert "עד 1,000 מ״מ בשנה; 5 ק״ג; האו״ם ו-ה׳ ו-ג׳ול. הוא אמר “שלום” ו-‘מילה’ כאן." \
        in text, text
    assert body.xpath("//code")[0].text == 'מ"מ'
    # the title, which no Markdown reads: the print's title page, and the EPUB's texts
    front = lxml_html.document_fromstring(front_source(rb, False, "A4", {}))
    assert "דו״ח המים" in front.find("body").text_content()
    quotes = double_quotes(rb.book.meta.labels)
    assert smart_text('דו"ח של "האו"ם" ו-ה\'', quotes) == "דו״ח של “האו״ם” ו-ה׳"
