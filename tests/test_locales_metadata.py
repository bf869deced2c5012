"""Books other than the default guide: the engine prints none of the default guide's words,
interface strings follow the book's language (locale files, ``labels:`` overrides, a
warning for a language with none; Russian's declined months and plural forms),
right-to-left books are laid out right to left, the book's metadata (several authors,
editors, translators, publisher, series, an ISBN per format) reaches the EPUB and the PDF,
and the EPUB's page source is the declared print edition whatever ``--paper`` says."""
from __future__ import annotations

import json
import re
import shutil
import subprocess
import textwrap
import zipfile
from pathlib import Path

import pytest
import yaml
from lxml import etree
from lxml import html as lxml_html
from pypdf import PdfReader

from conftest import epubcheck, only, run_build
from studyguide import labels
from studyguide.errors import Reporter
from studyguide.loader import load_book
from studyguide.resolve import render_book

# words particular to the default guide, which no other book may show
GUIDE_WORDS = ["Trotsky", "Stalin", "revolution", "socialism", "Bolshevik", "Study Guide",
               "study guide", "debate", "Two Positions", "Soviet", "Lenin"]
OPF = "{http://www.idpf.org/2007/opf}"
DC = "{http://purl.org/dc/elements/1.1/}"


def write_book(root: Path, meta: dict, chapter: str, glossary: list | None = None,
               timeline: list | None = None) -> Path:
    """A one-chapter book in ``root``."""
    (root / "chapters").mkdir(parents=True)
    (root / "book.yaml").write_text(yaml.safe_dump(
        {"date": "2026-03-01", "paper": "A4", "chapters": ["chapters/01.md"], **meta},
        allow_unicode=True, sort_keys=False), encoding="utf-8")
    (root / "chapters" / "01.md").write_text(textwrap.dedent(chapter), encoding="utf-8")
    if glossary or timeline:
        (root / "data").mkdir()
    if glossary:
        (root / "data" / "glossary.yaml").write_text(
            yaml.safe_dump(glossary, allow_unicode=True), encoding="utf-8")
    if timeline:
        (root / "data" / "timeline.yaml").write_text(
            yaml.safe_dump(timeline, allow_unicode=True), encoding="utf-8")
    return root


GERMAN_META = {
    "title": "Einführung in die Astronomie",
    "subtitle": "Ein Arbeitsheft",
    "authors": ["Anna Berger", "Jonas Keller"],
    "editors": ["Clara Vogt"],
    "translators": ["Daniel Roth"],
    "publisher": "Sternwarte Verlag",
    "series": {"name": "Kepler's Hefte", "number": 4},
    "isbn": {"print": "978-3-16-148410-0", "epub": "978-3-16-148411-7"},
    "keywords": ["Astronomie", "Planeten"],
    "language": "de-DE",
    "identifier": "urn:uuid:5d0c9a1e-2b3f-4c6d-8e7f-9a0b1c2d3e4f",
    "licence": "CC BY 4.0",
    "description": 'Ein kurzes Heft über Sterne und "Planeten".',
}

GERMAN_CHAPTER = """\
    ---
    title: Der Himmel bei Nacht
    summary: Sterne und Planeten unterscheiden.
    objectives:
      - Den Unterschied zwischen Stern und Planet erklären.
    key_terms: [Planet]
    questions:
      - type: recall
        question: Was ist ein Planet?
        answer: Ein Körper, der einen Stern umkreist.
    ---

    ## Sterne {#sec-sterne}

    Sterne leuchten selbst. Ein Planet wirft nur das Licht der [Sonne]{.index} zurück,
    wie schon [Ärger]{.index} und [Zebra]{.index} und [Apfel]{.index} zeigen.

    Siehe [](#sec-sterne) und die Zeittafel, [](#fig-timeline).
    """


@pytest.fixture(scope="module")
def german(tmp_path_factory) -> tuple[Path, Path]:
    """A German book with two authors, an editor and a translator, built once."""
    base = tmp_path_factory.mktemp("german")
    book = write_book(base / "book", GERMAN_META, GERMAN_CHAPTER,
                      glossary=[{"term": "Planet", "definition": "Ein Körper um einen Stern."},
                                {"term": 'Der "grüne" Strahl',
                                 "definition": "Ein Lichtblitz bei Sonnenuntergang."}],
                      timeline=[{"date": "1609-08", "event": "Galilei blickt durchs Fernrohr.",
                                 "key": True},
                                {"date": "1781-03-13", "event": "Herschel findet den Uranus.",
                                 "key": True}])
    out = base / "out"
    result = run_build("--content", str(book), "--output", str(out), "--cache",
                       str(base / "cache"), "-q")     # EPUBCheck: no message at all
    assert result.returncode == 0, result.stderr
    return book, out


def pdf_text(path: Path) -> str:
    return " ".join(" ".join((p.extract_text() or "").split()) for p in PdfReader(path).pages)


def epub_text(path: Path) -> str:
    with zipfile.ZipFile(path) as z:
        return "\n".join(z.read(n).decode("utf-8") for n in z.namelist()
                         if n.endswith((".xhtml", ".opf", ".ncx", ".css", ".svg")))


def opf(path: Path):
    with zipfile.ZipFile(path) as z:
        return etree.fromstring(z.read("EPUB/content.opf"))


def test_german_labels_in_pdf_and_epub(german):
    _, out = german
    # case-blind: chapter numbers and box headings are set in capitals
    text = pdf_text(only(out, "*-student-a4.pdf")).casefold()
    for label in ("Inhalt", "Kapitel 1", "In diesem Kapitel", "Lernziele",
                  "Schlüsselbegriffe", "Wiederholungsfragen", "Wissen", "Zeittafel",
                  "Abbildung A.1", "Abschnitt 1.1 (S. 1)", "Glossar", "Register",
                  "1. März 2026", "August 1609", "13. März 1781", "Ausgabe für Lernende",
                  "Herausgegeben von Clara Vogt", "Übersetzt von Daniel Roth",
                  "Kepler’s Hefte, Band 4", "ISBN 978-3-16-148410-0 (Druck)"):
        assert label.casefold() in text, label
    for english in ("Chapter", "Contents", "Key terms", "Review questions", "Index",
                    "Learning objectives", "Student edition", "January", "(p. "):
        assert english.casefold() not in text, english
    teacher = pdf_text(only(out, "*-teacher-a4.pdf"))
    assert "Musterantwort" in teacher and "Model answer" not in teacher
    handout = pdf_text(only(out / "handouts", "ch01-*-student-a4.pdf"))
    assert re.search(r"Seite 1 von \d", handout) and "Page 1 of" not in handout
    epub = epub_text(only(out, "*.epub"))
    for label in ("Kapitel 1", "Inhalt", "Schlüsselbegriffe", "Wiederholungsfragen",
                  "Seiten der Druckausgabe", "Orientierungspunkte", 'aria-label="Seite 1"',
                  "Umbrechbarer Text mit gegliederten Überschriften"):
        assert label in epub, label
    for english in (">Contents<", ">Key terms<", ">Landmarks<", "Review questions"):
        assert english not in epub, english


def test_generated_text_has_the_languages_quotes(german):
    """A glossary's term is no Markdown: SmartyPants set its quotes as English's,
    “grüne”, where the body's Markdown sets „grüne“ (the locale's ``quotes``)."""
    _, out = german
    for shown in (pdf_text(only(out, "*-student-a4.pdf")), epub_text(only(out, "*.epub"))):
        assert "Der „grüne“ Strahl" in shown
        assert "“grüne”" not in shown and '"grüne"' not in shown


def test_no_word_of_the_default_guide(german):
    _, out = german
    for path in sorted(out.rglob("*.pdf")):
        reader = PdfReader(path)
        shown = pdf_text(path) + " " + " ".join(str(v) for v in reader.metadata.values())
        shown += reader.xmp_metadata.stream.get_data().decode("utf-8") \
            if reader.xmp_metadata else ""
        for word in GUIDE_WORDS:
            assert word not in shown, f"{word!r} in {path.name}"
    epub = epub_text(only(out, "*.epub"))
    for word in GUIDE_WORDS:
        assert word not in epub, word


def test_metadata_in_the_epub(german):
    _, out = german
    path = only(out, "*.epub")
    assert epubcheck(path) == []
    root = opf(path)
    meta = root.find(f"{OPF}metadata")
    creators = meta.findall(f"{DC}creator")
    contributors = meta.findall(f"{DC}contributor")
    assert [c.text for c in creators] == ["Anna Berger", "Jonas Keller"]
    assert [c.text for c in contributors] == ["Clara Vogt", "Daniel Roth"]
    ids = [el.get("id") for el in root.iter() if el.get("id")]
    assert len(ids) == len(set(ids))
    roles = {m.get("refines"): m.text for m in meta.findall(f"{OPF}meta")
             if m.get("property") == "role"}
    assert all(m.get("scheme") == "marc:relators" for m in meta.findall(f"{OPF}meta")
               if m.get("property") == "role")
    assert [roles["#" + el.get("id")] for el in creators + contributors] == \
        ["aut", "aut", "edt", "trl"]
    assert meta.find(f"{DC}publisher").text == "Sternwarte Verlag"
    # typographic quotes, the book's language's, as in the PDF and the text
    assert meta.find(f"{DC}description").text == "Ein kurzes Heft über Sterne und „Planeten“."
    assert [el.text for el in meta.findall(f"{DC}subject")] == ["Astronomie", "Planeten"]
    identifiers = [el.text for el in meta.findall(f"{DC}identifier")]
    assert "urn:isbn:978-3-16-148411-7" in identifiers          # the EPUB's own ISBN
    assert meta.find(f"{DC}source").text == "urn:isbn:978-3-16-148410-0"   # the print one
    collection = [m for m in meta.findall(f"{OPF}meta")
                  if m.get("property") == "belongs-to-collection"]
    # an apostrophe as the copyright page prints it, in the metadata as in the text
    assert [m.text for m in collection] == ["Kepler’s Hefte"]
    position = [m.text for m in meta.findall(f"{OPF}meta")
                if m.get("property") == "group-position"]
    assert position == ["4"]
    assert root.find(f"{OPF}spine").get("page-progression-direction") is None


def test_metadata_in_the_pdf(german):
    _, out = german
    reader = PdfReader(only(out, "*-student-a4.pdf"))
    info = reader.metadata
    assert info["/Author"] == "Anna Berger, Jonas Keller"
    assert info["/Keywords"] == "Astronomie, Planeten"
    assert info["/Subject"] == "Ein kurzes Heft über Sterne und „Planeten“."
    assert info["/Title"].startswith("Einführung in die Astronomie")
    assert info["/editor"] == "Clara Vogt" and info["/translator"] == "Daniel Roth"
    assert info["/publisher"] == "Sternwarte Verlag"
    assert info["/series"] == "Kepler’s Hefte, 4"
    assert info["/isbn"] == "978-3-16-148410-0"
    xmp = reader.xmp_metadata
    assert xmp.dc_creator == ["Anna Berger", "Jonas Keller"]
    assert xmp.dc_contributor == ["Clara Vogt", "Daniel Roth"]
    assert xmp.dc_publisher == ["Sternwarte Verlag"]
    assert xmp.dc_language == ["de-DE"]
    assert xmp.dc_identifier == "urn:isbn:978-3-16-148410-0"
    assert xmp.dc_rights == {"x-default": "CC BY 4.0"}
    # one rdf:RDF in the packet, as XMP requires
    assert xmp.stream.get_data().count(b"<rdf:RDF") == 1


def test_index_follows_unicode_collation(german):
    _, out = german
    with zipfile.ZipFile(only(out, "*.epub")) as z:
        index = etree.fromstring(z.read("EPUB/index.xhtml"))
    terms = [t.text for t in index.iter("{http://www.w3.org/1999/xhtml}span")
             if t.get("class") == "index-term"]
    assert terms == ["Apfel", "Ärger", "Planet", "Sonne", "Zebra"]


def test_epub_page_source_ignores_paper_option(german, tmp_path):
    """--paper Letter (and only the teacher edition) builds the EPUB from the declared A4
    student edition: byte for byte the EPUB of the A4 build. The title page names its
    paper in the book's language ("US-Letter": it printed the English "Letter")."""
    book, out = german
    letter = tmp_path / "out"
    result = run_build("--content", str(book), "--output", str(letter), "--paper", "Letter",
                       "--edition", "teacher", "--no-handouts", "--cache", str(tmp_path / "c"),
                       "-q")
    assert result.returncode == 0, result.stderr
    assert only(letter, "*.epub").read_bytes() == only(out, "*.epub").read_bytes()
    assert not list(letter.glob("*-a4.pdf"))
    text = pdf_text(only(letter, "*-teacher-letter.pdf"))
    assert "(mit Musterantworten) · US-Letter" in text        # this PDF's own paper, in German
    assert "Ausgabe für Lernende im Format A4" in text            # the EPUB's page source


ARABIC_CHAPTER = """\
    ---
    title: السماء في الليل
    summary: نتعرف في هذا الفصل على النجوم والكواكب.
    questions:
      - question: ما هو الكوكب؟
    ---

    ## النجوم {#sec-stars}

    النجوم شموس بعيدة، و[الشمس]{.index} نجم قريب.

    ## الكواكب

    انظر [](#sec-stars).
    """


def test_arabic_book_is_right_to_left(tmp_path):
    book = write_book(tmp_path / "book", {
        "title": "مدخل إلى علم الفلك", "authors": ["ليلى حداد"], "language": "ar",
        "identifier": "urn:uuid:3a1e2b4c-0000-4000-8000-000000000a01"}, ARABIC_CHAPTER)
    out = tmp_path / "out"
    result = run_build("--content", str(book), "--output", str(out), "--no-handouts",
                       "--edition", "student", "--cache", str(tmp_path / "c"), "-q")
    assert result.returncode == 0, result.stderr
    epub = only(out, "*.epub")
    assert opf(epub).find(f"{OPF}spine").get("page-progression-direction") == "rtl"
    with zipfile.ZipFile(epub) as z:
        chapter = etree.fromstring(z.read("EPUB/ch01.xhtml"))
        css = z.read("EPUB/style/book.css").decode()
    assert chapter.get("dir") == "rtl" and chapter.get("lang") == "ar"
    assert "الفصل 1" in etree.tostring(chapter, encoding="unicode")
    assert "border-right: 2pt solid" in css                      # rtl.css is applied
    # two headings without Latin letters get distinct ids
    ids = chapter.xpath("//x:div[@class='chapter-body']//x:h2/@id",
                        namespaces={"x": "http://www.w3.org/1999/xhtml"})
    assert len(ids) == 2 and ids[0] == "sec-stars" and re.fullmatch(r"ch01-u[0-9a-f]{10}",
                                                                     ids[1])
    pdf = only(out, "*-student-a4.pdf")
    fonts = subprocess.run(["pdffonts", str(pdf)], capture_output=True, text=True,
                           check=True).stdout
    assert "DejaVu-Sans" in fonts                  # the font with the Arabic letters
    # the chapter opens on a left-hand page, the recto of a right-to-left book: page
    # index 0 of the body is a left page (front matter: 4 pages), bound on its right
    # (the inner margin, 30 mm; the wide margin is the outer, left one), its title set
    # against the right margin and its folio on the outer, left, edge
    bbox = subprocess.run(["pdftotext", "-bbox", "-f", "5", "-l", "5", str(pdf), "-"],
                          capture_output=True, text=True, check=True).stdout
    page = etree.fromstring(bbox.encode("utf-8"), etree.HTMLParser()).find(".//page")
    width, height = float(page.get("width")), float(page.get("height"))
    words = [(float(w.get("xmin")), float(w.get("xmax")), float(w.get("ymin")),
              float(w.get("ymax")), w.text) for w in page.iter("word")]
    tallest = max(y1 - y0 for _, _, y0, y1, _ in words)
    title = [w for w in words if w[3] - w[2] == tallest]
    assert len(title) == 3                               # السماء في الليل
    assert max(x1 for _, x1, *_ in title) == pytest.approx(width - 30 / 25.4 * 72, abs=1)
    assert min(x0 for x0, *_ in title) > width / 2
    folio = [w for w in words if w[2] > height - 80]
    assert [w[4] for w in folio] == ["1"] and folio[0][1] < width / 2
    assert max(x1 for x0, x1, *_ in words) <= width - 30 / 25.4 * 72 + 1
    # the contents read from right to left too: each title against the right edge of
    # the 122 mm text block, its dot leader running left to its page number at the left
    # edge, nothing past either edge
    bbox = subprocess.run(["pdftotext", "-bbox", "-f", "3", "-l", "3", str(pdf), "-"],
                          capture_output=True, text=True, check=True).stdout
    page = etree.fromstring(bbox.encode("utf-8"), etree.HTMLParser()).find(".//page")
    words = [(float(w.get("xmin")), float(w.get("xmax")), float(w.get("ymin")), w.text)
             for w in page.iter("word")]
    right = max(x1 for _, x1, *_ in words)
    left = right - 122 / 25.4 * 72
    assert min(x0 for x0, *_ in words) >= left - 1
    entry = sorted(w for w in words if abs(w[2] - words[1][2]) < 1)   # the chapter's line
    assert entry[0][3] == "1" and entry[0][0] == pytest.approx(left, abs=1)   # its page
    assert [w[3] for w in entry[1:4]] == [".", ".", "."]                      # the leader
    assert entry[-1][3] == "1" and entry[-1][1] == pytest.approx(right, abs=1)  # its number


# -- in-process checks: locale files and book.yaml's labels ----------------------------

# the locales of languages without plural forms: gettext's rule "0"
ONE_FORM = {"ja", "vi"}


def test_every_locale_has_the_english_keys_and_placeholders():
    english = labels._locale_file("en")
    for path in sorted(labels.LOCALES.glob("*.yaml")):
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        if "-" in path.stem:      # a region's file: only what differs from its language's
            assert data and set(data) < set(english), path.name
            assert all(labels.placeholders(str(v)) == labels.placeholders(str(english[k]))
                       for k, v in data.items()), path.name
            continue
        assert set(data) == set(english), path.name
        for key, value in data.items():
            if key in labels.NAME_LISTS:
                assert len(value) == 12 or key == "months_standalone" and value == []
            elif key in labels.COUNTED and isinstance(value, list):
                # one form per plural form of the language's rule
                assert len(value) == len(labels.plural_forms(data["plural"])), path.name
                # (a form may leave the number out: Arabic's dual, "درجتان", is two)
                assert all(labels.placeholders(v) <= {"n"} for v in value), path.name
            else:
                assert labels.placeholders(str(value)) == \
                    labels.placeholders(str(english[key])), (path.name, key)
        # what print sets has no straight quote (the preflight's finding, failing --strict):
        # Hebrew's abbreviations take its geresh and gershayim, "עמ׳", "מסת״ב"
        assert not [k for k, v in data.items() if k != "a11y_summary" and
                    any(q in str(s) for s in (v if isinstance(v, list) else [v])
                        for q in "'\"")], path.name
        rule = labels.plural_rule(data["plural"])       # a rule, by which one is not five
        # (but in a language whose nouns have one form after any number: Japanese)
        assert rule(1) != rule(5) or path.stem in ONE_FORM, path.name
        assert data["direction"] == ("rtl" if path.stem in ("ar", "fa", "he") else "ltr")


def test_locale_fallback():
    assert labels.locale_for("de-AT") == "de" and labels.defaults("de-AT")["contents"] == "Inhalt"
    assert labels.locale_for("fr-CA") == "fr"
    assert labels.locale_for("he") == "he" and labels.defaults("he")["direction"] == "rtl"
    assert labels.locale_for("pt-BR") == "en" and labels.defaults("pt-BR")["index"] == "Index"
    assert labels.locale_for("vi-VN") == "vi" and labels.defaults("vi")["contents"] == "Mục lục"
    assert labels.locale_for("fa-IR") == "fa" and labels.defaults("fa")["contents"] == "فهرست مطالب"


def test_label_overrides_and_their_errors(tmp_path):
    book = write_book(tmp_path / "book", {
        "title": "T", "language": "en", "labels": {
            "contents": "What is inside", "chapter_n": "Part {n}",
            "page_ref": "page {pge}", "colophon": "x", "months": ["Jan"],
            "index": "Index {{sic}}", "timline_caption": "Dates",
            "reference_case": "small", "quotes": ["«"]}},
        "---\ntitle: One\n---\n\nText with a link to [](#nowhere).\n")
    report = Reporter(book)
    loaded = load_book(book, report)
    lines = (book / "book.yaml").read_text().split("\n")
    messages = {str(d) for d in report.diagnostics}

    def line(key):
        return next(i for i, t in enumerate(lines, 1) if t.strip().startswith(key + ":"))
    assert any(f"book.yaml:{line('page_ref')}: error: label 'page_ref' uses unknown "
               "placeholder(s) {pge} (allowed: {page})" in m for m in messages), messages
    assert any(f"book.yaml:{line('colophon')}: error: unknown label 'colophon'" in m
               for m in messages), messages
    assert any(f"book.yaml:{line('months')}: error: label 'months' must be a list of twelve"
               in m for m in messages), messages
    assert any(f"book.yaml:{line('index')}: error: label 'index': a brace may only enclose"
               in m for m in messages), messages
    assert any(f"book.yaml:{line('timline_caption')}: error: unknown label "
               "'timline_caption' (did you mean 'timeline_caption'?)" in m
               for m in messages), messages
    assert any(f"book.yaml:{line('reference_case')}: error: label 'reference_case' must be "
               "label or lower, not 'small'" in m for m in messages), messages
    assert any(f"book.yaml:{line('quotes')}: error: label 'quotes' must be two texts, the "
               "opening and the closing double quotation mark" in m for m in messages), messages
    assert len(report.errors) == 7
    # a label in error keeps its default: the rest of the book is checked in the same run
    render_book(loaded, report)
    assert [d.message for d in report.errors[7:]] == ["link to missing id '#nowhere'"]
    # the good overrides are used
    data = yaml.safe_load((book / "book.yaml").read_text(encoding="utf-8"))
    for key in ("page_ref", "colophon", "months", "index", "timline_caption", "reference_case",
                "quotes"):
        del data["labels"][key]
    (book / "book.yaml").write_text(yaml.safe_dump(data), encoding="utf-8")
    report = Reporter(book)
    rb = render_book(load_book(book, report), report)
    assert [d.message for d in report.errors] == ["link to missing id '#nowhere'"]
    assert rb.labels["contents"] == "What is inside"
    assert rb.docs[0].label == "Part 1"


def test_reserved_id_reported_where_the_author_wrote_it(tmp_path):
    book = write_book(tmp_path / "book", {"title": "T", "language": "en"},
                      "---\ntitle: One\n---\n\nText.\n\n## Words {#glossary}\n\nMore.\n",
                      glossary=[{"term": "Word", "definition": "A word."}])
    report = Reporter(book)
    render_book(load_book(book, report), report)
    errors = [str(d) for d in report.errors]
    assert errors == [f"{report._rel(book / 'chapters' / '01.md')}:7: error: id 'glossary' "
                      "is reserved: the builder gives it to the section 'Glossary' (choose "
                      "another id)"]


def test_bad_metadata_is_reported_at_its_line(tmp_path):
    book = write_book(tmp_path / "book", {
        "title": "T", "language": "en", "isbn": {"print": "978-3-16-148410-1", "ebook": "x"},
        "series": ["a"], "editors": {"a": 1}, "master_table": {"table": "tbl-none",
                                                               "title": "All"}},
        "---\ntitle: One\n---\n\nText.\n")
    report = Reporter(book)
    load_book(book, report)
    text = (book / "book.yaml").read_text().split("\n")
    messages = sorted(str(d) for d in report.errors)
    assert len(messages) == 5, messages
    for key, words in (("ebook", "knows only 'print' and 'epub', not 'ebook'"),
                       ("print", "'978-3-16-148410-1' is not a valid ISBN: The number's "
                        "checksum or check digit is invalid"),
                       ("series", "'series' must be"),
                       ("editors", "'editors' must be a list"),
                       ("table", "master_table: unknown table 'tbl-none'")):
        n = next(i for i, t in enumerate(text, 1) if t.strip().startswith(key + ":"))
        assert any(f"book.yaml:{n}: error: " in m and words in m for m in messages), \
            (key, messages)


def test_an_early_year_is_written_without_isos_zeros():
    from studyguide.labels import defaults, format_date
    assert format_date(defaults("fr"), "0079-10-24") == "24 octobre 79"
    assert format_date(defaults("en"), "0079") == "79"
    assert format_date(defaults("en"), "1917-11") == "November 1917"


def test_french_punctuation_in_the_builders_own_text(book_copy):
    """The builder's own colons and semicolons follow the book's language: French sets
    a no-break space before a colon and a narrow one before a semicolon."""
    from studyguide.writers.pdf import front_source, index_source
    book_yaml = book_copy / "book.yaml"
    book_yaml.write_text(book_yaml.read_text(encoding="utf-8").replace(
        "language: en-GB", "language: fr-FR"), encoding="utf-8")
    (book_copy / "data" / "index.yaml").write_text(
        "- heading: Doctrines\n  see_also: [Alpha doctrine, Beta theory]\n"
        "  forms: [doctrines]\n", encoding="utf-8")
    chapter = book_copy / "chapters" / "01-first.md"
    chapter.write_text(chapter.read_text(encoding="utf-8") + "\nTwo doctrines.\n",
                       encoding="utf-8")
    report = Reporter(book_copy)
    rb = render_book(load_book(book_copy, report), report)
    assert not report.errors, report.errors
    front = front_source(rb, False, "A4", {})
    assert "Small Test Book</strong>\u00a0: Fixture for the test suite" in front
    text = lxml_html.document_fromstring(index_source(rb, False, "A4", {})).text_content()
    assert "Alpha doctrine\u202f; Beta theory" in text
    from studyguide.figures import timeline_alt          # the timeline's text alternative
    alt = timeline_alt(rb.book, {})
    assert alt.count("\u202f; ") == alt.count(";") >= 1, alt


@pytest.mark.parametrize("language, quoted", [("de-DE", "\u201egrün\u201c"),
                                              ("fr-FR", "\u00ab\u00a0grün\u00a0\u00bb"),
                                              ("it-IT", "\u00abgrün\u00bb"),
                                              ("pl-PL", "\u201egrün\u201d"),
                                              ("en-GB", "\u201cgrün\u201d")])
def test_straight_double_quotes_become_the_languages(book_copy, language, quoted):
    """Typed straight, double quotes are set as the book's language sets them; an
    apostrophe stays ’ in every language."""
    book_yaml = book_copy / "book.yaml"
    book_yaml.write_text(book_yaml.read_text(encoding="utf-8").replace(
        "language: en-GB", f"language: {language}"), encoding="utf-8")
    chapter = book_copy / "chapters" / "01-first.md"
    chapter.write_text(chapter.read_text(encoding="utf-8") +
                       '\nDas Blatt ist "grün", sagt\'s.\n', encoding="utf-8")
    report = Reporter(book_copy)
    rb = render_book(load_book(book_copy, report), report)
    assert not report.errors, report.errors
    text = lxml_html.fragment_fromstring(rb.docs[0].body_html,
                                         create_parent="div").text_content()
    assert f"Das Blatt ist {quoted}, sagt\u2019s." in text


# -- Russian: a locale of its own, declined months, plural forms -----------------------

RUSSIAN_CHAPTER = """\
    ---
    title: Открытие закона
    questions:
      - {type: recall, question: Когда?, answer: В 1869 году., marks: 1}
      - {type: recall, question: Кто?, answer: Менделеев., marks: 2}
      - {type: recall, question: Где?, answer: В Петербурге., marks: 5}
      - {type: recall, question: Зачем?, answer: Чтобы предсказывать., marks: 21}
    ---

    ## Таблица {#sec-tablica}

    Менделеев назвал его "экасилицием". [Аргон]{.index} нашли позже.
    """

RUSSIAN_INDEX = """\
- heading: "Менделеев, Дмитрий Иванович"
  forms: [Менделеев]
- heading: "Менделеев Д. И."
  see: "Менделеев, Дмитрий Иванович"
- heading: Аргон
  see_also: ["Менделеев, Дмитрий Иванович"]
"""


def russian_book(root: Path, language: str = "ru", labels_: dict | None = None) -> Path:
    book = write_book(root, {"title": "Периодический закон", "language": language,
                             "date": "2026-02-17",
                             **({"labels": labels_} if labels_ is not None else {})},
                      RUSSIAN_CHAPTER,
                      timeline=[{"date": "1860-09", "event": "Съезд в Карлсруэ."},
                                {"date": "1869-02-17", "event": "«Опыт системы»."}])
    (book / "data" / "index.yaml").write_text(RUSSIAN_INDEX, encoding="utf-8")
    return book


def rendered(book: Path):
    report = Reporter(book)
    rb = render_book(load_book(book, report), report)
    return rb, report


def test_russian_locale_is_complete_and_set_as_a_russian_typographer_would():
    assert labels.locale_for("ru-RU") == "ru"
    ru = labels.defaults("ru")
    assert (ru["contents"], ru["chapter_n"], ru["index"], ru["index_see"]) == \
        ("Содержание", "Глава {n}", "Предметный указатель", "См.")
    # a no-break space after с. (page) and см. (see), before г. (year), inside a count
    assert ru["page_ref"] == "с.\u00a0{page}" and ru["index_see_also"] == "См.\u00a0также"
    assert ru["date_day"] == "{day}\u00a0{month} {year}\u00a0г."
    texts = [t for v in labels._locale_file("ru").values()
             for t in (v if isinstance(v, list) else [v]) if isinstance(t, str)]
    for text in texts:
        assert not re.search(r"(?<!\w)(с|см|См|вып|т)\. ", text), text
        assert not re.search(r" гг?\.", text), text
        assert not re.search(r"\d \w", text.replace("{n} ", "")), text
        assert "\u201c" not in text and "\u201d" not in text, text     # «…», not “…”


def test_a_russian_book_gets_russian_words_and_quotes(tmp_path):
    rb, report = rendered(russian_book(tmp_path / "book"))
    assert not report.diagnostics, report.diagnostics
    assert rb.docs[0].label == "Глава 1" and rb.labels["contents"] == "Содержание"
    text = lxml_html.fragment_fromstring(rb.docs[0].body_html,
                                         create_parent="div").text_content()
    assert "назвал его «экасилицием»." in text


def test_a_language_without_a_locale_is_a_warning_at_its_line(tmp_path):
    book = russian_book(tmp_path / "cs", language="cs-CZ")
    _, report = rendered(book)
    line = next(i for i, t in enumerate((book / "book.yaml").read_text().split("\n"), 1)
                if t.startswith("language:"))
    warnings = report.warnings
    assert len(warnings) == 1 and not report.errors, report.diagnostics
    assert str(warnings[0].path).endswith("book.yaml") and warnings[0].line == line
    assert warnings[0].message.startswith("the theme has no interface strings in 'cs-CZ' "
                                          "(no templates/locales/cs.yaml)")
    assert "printed in English (months, chapter_n" in warnings[0].message
    # every label left in English is named (four were, then "…")
    named = warnings[0].message.split("printed in English (")[1].split(")")[0].split(", ")
    english = labels._locale_file("en")
    assert len(named) > 50 and set(named) <= set(english) and "…" not in named
    assert "'labels:'" in warnings[0].message
    # and the rules that are English's without words: the plural forms and the quotes
    assert warnings[0].message.endswith("and give the language's own 'plural', 'quotes' and "
                                        "'xref_titled' there"), warnings[0].message
    # every word translated under labels: nothing to say; a language with a locale, or
    # English, is never warned about
    english = labels._locale_file("en")
    words = {k: v for k, v in english.items() if k not in ("direction", "plural")}
    for language, overrides in (("cs", {**words, "plural": "n != 1"}), ("pl", None),
                                ("ru", None), ("en-GB", None)):
        _, report = rendered(russian_book(tmp_path / f"all-{language}", language, overrides))
        assert not report.diagnostics, (language, report.diagnostics)
    # every word translated, its rules not: they are named, and only they
    only_words = {k: v for k, v in words.items() if k not in labels.ENGLISH_RULES}
    _, report = rendered(russian_book(tmp_path / "rules-cs", "cs", only_words))
    assert [d.message.split("), so ")[1] for d in report.warnings] == [
        "'plural', 'quotes' and 'xref_titled' are English's: give the language's own under "
        "'labels:'"], report.diagnostics


def test_month_only_dates_take_the_standalone_names(tmp_path):
    ru = labels.defaults("ru")
    assert labels.format_date(ru, "1860-09") == "сентябрь 1860\u00a0г."
    assert labels.format_date(ru, "1869-02-17") == "17\u00a0февраля 1869\u00a0г."
    assert labels.format_date(ru, "1869") == "1869"
    # a locale without them, or a book that gives only months, uses months
    assert labels.format_date(labels.defaults("de"), "1609-08") == "August 1609"
    only = dict(labels.defaults("cs"), months=[f"m{i}" for i in range(1, 13)])
    assert labels.format_date(only, "1860-09") == "m9 1860"
    rb, _ = rendered(russian_book(tmp_path / "book"))     # the timeline too
    assert [e.label for e in rb.book.timeline] == ["сентябрь 1860\u00a0г.",
                                                   "17\u00a0февраля 1869\u00a0г."]
    book = russian_book(tmp_path / "bad", labels_={"months_standalone": ["январь"]})
    _, report = rendered(book)
    assert [d.message for d in report.errors] == [
        "label 'months_standalone' must be a list of twelve names (or [], for the names of "
        "'months')"]


def test_no_second_full_stop_after_a_date_or_label_ending_in_one(tmp_path):
    from studyguide import theme
    from studyguide.writers.pdf import front_source
    rb, _ = rendered(russian_book(tmp_path / "book"))
    front = lxml_html.document_fromstring(front_source(rb, False, "A4", {})).text_content()
    assert "Издание 1-е, 17\u00a0февраля 2026\u00a0г. Издание для учащихся." in front
    assert ".." not in front
    epub = theme.render("epub/copyright.html", meta=rb.book.meta, front=rb.front)
    assert "Издание 1-е, 17\u00a0февраля 2026\u00a0г.</p>" in epub
    # a label that ends in a full stop takes none after it either; another, the theme's
    book = russian_book(tmp_path / "labels", labels_={"student_edition": "Изд. для уч.",
                                                      "date_day": "{day}.{month}.{year}"})
    rb, _ = rendered(book)
    front = lxml_html.document_fromstring(front_source(rb, False, "A4", {})).text_content()
    assert "Издание 1-е, 17.февраля.2026. Изд. для уч." in front and ".." not in front


def test_the_lists_the_theme_joins_take_the_languages_comma(tmp_path):
    """Arabic separates a list's items with "،": the title page's authors and editors,
    the copyright page's edition and date, an index entry's pages and the timeline's
    text alternative were joined with a Latin comma ("سلمى الراوي, يوسف العاني",
    "الطبعة 1, 4 ديسمبر 2026.", "13, 23, 25")."""
    from studyguide import theme
    from studyguide.writers.pdf import front_source, index_source
    book = write_book(tmp_path / "ar", {
        "title": "كتاب تجريبي", "language": "ar", "date": "2026-12-04",
        "authors": ["سلمى الراوي", "يوسف العاني", "هدى سعيد"],
        "editors": ["نادية الحسني", "علي كريم"],
        "identifier": "urn:uuid:3a1e2b4c-0000-4000-8000-000000000a09"},
        "---\ntitle: فصل\n---\n\nبغداد مدينة.\n\nفي بغداد بيت.\n\nوعادت بغداد.\n",
        timeline=[{"date": 762, "event": "تأسيس المدينة.", "key": True}])
    (book / "data" / "index.yaml").write_text("- heading: بغداد\n", encoding="utf-8")
    rb, report = rendered(book)
    assert not report.errors, report.errors
    front = " ".join(lxml_html.document_fromstring(
        front_source(rb, False, "A4", {})).find("body").text_content().split())
    assert "سلمى الراوي، يوسف العاني، هدى سعيد" in front, front
    assert "نادية الحسني، علي كريم" in front, front
    assert "الطبعة 1، 4 ديسمبر 2026." in front.replace("\u00a0", " "), front
    epub = theme.render("epub/copyright.html", meta=rb.book.meta, front=rb.front)
    assert "الطبعة 1، 4" in epub, epub
    anchors = [a for _, a in rb.index[0]["refs"]]
    pages = dict(zip(anchors, ["13", "23", "25"]))
    index = lxml_html.document_fromstring(index_source(rb, False, "A4", pages, pages))
    entry = " ".join(index.xpath("//section[@id='index']//li")[0].text_content().split())
    assert entry == "بغداد 13، 23، 25", entry
    # and the timeline figure's text alternative, each event's date before its text
    assert "762، تأسيس المدينة" in rb.figure_alts["timeline"], rb.figure_alts


def test_index_see_is_printed_as_written(tmp_path):
    from studyguide.writers.pdf import index_source

    def index(book):
        rb, report = rendered(book)
        assert not report.diagnostics, report.diagnostics
        html = lxml_html.document_fromstring(index_source(rb, False, "A4", {}))
        return [re.sub(r"[ \t\n]+", " ", li.text_content()).strip()
                for li in html.xpath("//section[@id='index']//li")]
    # "См." as the locale writes it, joined by a no-break space to the heading it names;
    # no second full stop after a heading that ends with one ("Д. И.", its initials joined)
    assert index(russian_book(tmp_path / "book")) == [
        "Аргон Глава 1. См.\u00a0также Менделеев, Дмитрий Иванович",
        "Менделеев Д.\u00a0И. См.\u00a0Менделеев, Дмитрий Иванович",
        "Менделеев, Дмитрий Иванович Глава 1"]
    # a label the book gives is printed as given, lower case included
    assert index(russian_book(tmp_path / "lower", labels_={"index_see": "см."}))[1] == \
        "Менделеев Д.\u00a0И. см.\u00a0Менделеев, Дмитрий Иванович"
    # English: "See" and "See also" as before, with an ordinary space
    assert index(russian_book(tmp_path / "en", "en-GB"))[:2] == [
        "Аргон Chapter 1. See also Менделеев, Дмитрий Иванович",
        "Менделеев Д.\u00a0И. See Менделеев, Дмитрий Иванович"]


def test_marks_take_the_languages_plural_forms(tmp_path):
    from studyguide.writers.pdf import part_sources

    def marks(book):
        rb, report = rendered(book)
        assert not report.errors, report.errors
        html = "".join(part_sources(rb, False, "A4").values())
        return re.findall(r'<span class="marks">([^<]*)</span>', html)
    assert marks(russian_book(tmp_path / "ru")) == [
        "(1\u00a0балл)", "(2\u00a0балла)", "(5\u00a0баллов)", "(21\u00a0балл)"]
    # a single text, as before: one form for every count but 1
    assert marks(russian_book(tmp_path / "one", labels_={"marks_n": "({n} б.)"})) == [
        "(1\u00a0балл)", "(2 б.)", "(5 б.)", "(21 б.)"]
    # a language without a locale: its rule and its forms under labels:
    assert marks(russian_book(tmp_path / "pl", "pl", {
        "plural": "n==1 ? 0 : n%10>=2 && n%10<=4 && (n%100<10 || n%100>=20) ? 1 : 2",
        "marks_one": "(1 punkt)",
        "marks_n": ["({n} punkt)", "({n} punkty)", "({n} punktów)"]})) == [
        "(1 punkt)", "(2 punkty)", "(5 punktów)", "(21 punktów)"]
    # the wrong number of forms, or a rule that is none, is an error at its line
    book = russian_book(tmp_path / "bad", labels_={"marks_n": ["({n} балл)", "({n} баллов)"],
                                                   "plural": "n ? 0"})
    _, report = rendered(book)
    lines = (book / "book.yaml").read_text(encoding="utf-8").split("\n")
    messages = sorted(str(d) for d in report.errors)
    assert len(messages) == 2, messages
    n = next(i for i, t in enumerate(lines, 1) if t.strip().startswith("marks_n:"))
    # each form with the counts that take it, in words an author can act on
    assert any(f"book.yaml:{n}: error: label 'marks_n' has 2 form(s), but the language's "
               "plural rule (label 'plural') has 3: give one text for each, in order "
               "(form 1 for 1, 21, 31…; form 2 for 2, 3, 4…; form 3 for 0, 5, 6…)" in m
               for m in messages), messages
    assert any("error: label 'plural' must be a plural rule" in m for m in messages), messages


def test_arabic_marks_take_the_six_forms_of_arabic(tmp_path):
    """Arabic counts in six forms, and ar.yaml gives marks_n each: the dual alone for 2,
    the plural for 3 to 10, the singular for 11 to 99 and for a hundred; a single text
    printed "(2 درجات)", "(11 درجات)", "(20 درجات)"."""
    from studyguide.writers.pdf import part_sources
    counts = [1, 2, 3, 10, 11, 20, 100, 103]
    questions = "".join(f"  - {{type: recall, question: سؤال؟, marks: {n}}}\n" for n in counts)
    book = write_book(tmp_path / "ar", {
        "title": "كتاب تجريبي", "language": "ar",
        "identifier": "urn:uuid:3a1e2b4c-0000-4000-8000-000000000a08"},
        f"---\ntitle: فصل\nquestions:\n{questions}---\n\nنص.\n")
    rb, report = rendered(book)
    assert not report.errors, report.errors
    html = "".join(part_sources(rb, False, "A4").values())
    assert re.findall(r'<span class="marks">([^<]*)</span>', html) == [
        "(درجة\u00a0واحدة)", "(درجتان)", "(3\u00a0درجات)", "(10\u00a0درجات)",
        "(11\u00a0درجة)", "(20\u00a0درجة)", "(100\u00a0درجة)", "(103\u00a0درجات)"]


def test_a_spanish_book_gets_the_academys_quotes(tmp_path):
    """Straight double quotes in a Spanish book are «…», as the Real Academia Española
    sets them first (they were English “…”)."""
    book = russian_book(tmp_path / "es", language="es")
    chapter = next((book / "chapters").glob("*.md"))
    chapter.write_text(chapter.read_text(encoding="utf-8") +
                       '\nLa palabra "función" y otra.\n', encoding="utf-8")
    rb, _ = rendered(book)
    text = lxml_html.fragment_fromstring(rb.docs[0].body_html,
                                         create_parent="div").text_content()
    assert "La palabra «función» y otra." in text, text


HEBREW_CHAPTER = """\
    ---
    title: תחיית הלשון
    ---

    ## ראשית

    ב־1879 פרסם סטודנט [Eliezer Perlman]{lang=en} מאמר.

    הספר [*Tongue of the Prophets* by Robert St. John]{lang=en} [@stjohn1952].
    """


def test_english_inside_a_hebrew_book_keeps_its_own_order(tmp_path):
    """An English phrase in a Hebrew sentence, and an English entry of its bibliography,
    are set left to right, their pieces in order ("Eliezer Perlman", the italic title
    before "by"): print set a marked phrase's inline pieces (italics, a name kept
    whole) right to left."""
    from weasyprint import HTML

    from studyguide.writers import pdf
    book = write_book(tmp_path / "book", {
        "title": "תחיית הלשון העברית", "language": "he", "bibliography": "refs.json",
        "identifier": "urn:uuid:3a1e2b4c-0000-4000-8000-000000000a02"}, HEBREW_CHAPTER)
    (book / "refs.json").write_text(json.dumps([{
        "id": "stjohn1952", "type": "book", "language": "en",
        "title": "Tongue of the Prophets: The Life Story of Eliezer Ben Yehuda",
        "author": [{"family": "St. John", "given": "Robert"}],
        "issued": {"date-parts": [[1952]]}}]), encoding="utf-8")
    (book / "data").mkdir()
    (book / "data" / "people.yaml").write_text(
        "- name: אליעזר בן־יהודה\n  dates: 1858–1922\n  role: מחיה השפה\n  bio: מילונאי.\n"
        "  aliases: [Eliezer Ben-Yehuda, Perlman]\n", encoding="utf-8")
    rb, report = rendered(book)
    assert not report.errors, report.errors
    assert rb.bibliography[0]["lang"] == "en" and rb.bibliography[0]["dir"] == "ltr"
    sources = pdf.part_sources(rb, False, "A4")
    for part, html in [("ch01", sources["ch01"]), ("bibliography", sources["bibliography"])]:
        out = tmp_path / f"{part}.pdf"
        HTML(string=html, base_url=str(book)).write_pdf(out)
        text = " ".join(subprocess.run(["pdftotext", str(out), "-"], capture_output=True,
                                       text=True, check=True).stdout.split())
        if part == "ch01":
            assert "Eliezer Perlman" in text and "Tongue of the Prophets by Robert" in text, text
        else:
            assert "Tongue of the Prophets: The Life Story of Eliezer Ben Yehuda" in text, text


ARABIC_CITING_CHAPTER = """\
    ---
    title: فصل
    further_reading:
      - cite: gutas1998
        note: دراسة مهمة.
    ---

    استعانت الدولة بهؤلاء العلماء [@gutas1998, chap. 1; @saliba2007].

    ويرى @saliba2007 أن العلم ازدهر، وانظر [](#ref-gutas1998).
    """

ENGLISH_WORKS = [
    {"id": "gutas1998", "type": "book", "title": "Greek Thought, Arabic Culture",
     "author": [{"family": "Gutas", "given": "Dimitri"}], "publisher": "Routledge",
     "issued": {"date-parts": [[1998]]}},
    {"id": "saliba2007", "type": "book", "title": "Islamic Science",
     "author": [{"family": "Saliba", "given": "George"}], "publisher": "MIT Press",
     "issued": {"date-parts": [[2007]]}}]


def visual_lines(pdf: Path) -> str:
    """A PDF's words as the eye meets them from left to right, line by line."""
    bbox = subprocess.run(["pdftotext", "-bbox", str(pdf), "-"], capture_output=True,
                          text=True, check=True).stdout
    lines: dict[int, list] = {}
    page = etree.fromstring(bbox.encode("utf-8"), etree.HTMLParser(encoding="utf-8"))
    for w in page.iter("word"):
        lines.setdefault(round(float(w.get("ymax"))), []).append((float(w.get("xmin")),
                                                                   w.text))
    return " ".join(" ".join(t for _, t in sorted(words)) for _, words in sorted(lines.items()))


def test_english_citations_in_an_arabic_book_keep_their_own_order(tmp_path):
    """A citation, a further-reading entry and a bibliography entry of English works
    whose items name no language are set left to right in an Arabic book, their pieces
    in order: print set each link and each piece of text between them right to left,
    "(Saliba 2007 ;chap. 1 ,Gutas 1998)", "(2007) Saliba". The direction is their
    text's; in an English book an Arabic citation is set right to left."""
    from weasyprint import HTML

    from studyguide.writers import pdf
    book = write_book(tmp_path / "book", {
        "title": "كتاب تجريبي", "language": "ar", "bibliography": "refs.json",
        "identifier": "urn:uuid:3a1e2b4c-0000-4000-8000-000000000a03"},
        ARABIC_CITING_CHAPTER)
    (book / "refs.json").write_text(json.dumps(ENGLISH_WORKS), encoding="utf-8")
    rb, report = rendered(book)
    assert not report.errors, report.errors
    assert [e["dir"] for e in rb.bibliography] == ["ltr", "ltr"]
    sources = pdf.part_sources(rb, False, "A4")
    for part, wanted in [("ch01", ["(Gutas 1998, chap. 1; Saliba 2007)", "Saliba (2007)",
                                   "Gutas (1998)", "Gutas 1998"]),
                         ("bibliography", ["Gutas, Dimitri. 1998. Greek Thought, Arabic "
                                           "Culture. Routledge.", "Saliba, George. 2007. "
                                           "Islamic Science. MIT Press."])]:
        out = tmp_path / f"{part}.pdf"
        HTML(string=sources[part], base_url=str(book)).write_pdf(out)
        text = visual_lines(out)
        for phrase in wanted:
            assert phrase in text, (phrase, text)
    english = write_book(tmp_path / "english", {
        "title": "A test", "language": "en", "bibliography": "refs.json",
        "identifier": "urn:uuid:3a1e2b4c-0000-4000-8000-000000000a04"},
        "---\ntitle: One\n---\n\nAs @jabiri1990 argues.\n")
    (english / "refs.json").write_text(json.dumps([
        {"id": "jabiri1990", "type": "book", "title": "العقل الأخلاقي العربي",
         "author": [{"family": "الجابري", "given": "محمد عابد"}],
         "issued": {"date-parts": [[1990]]}}]), encoding="utf-8")
    rb, report = rendered(english)
    assert not report.errors, report.errors
    assert rb.bibliography[0]["dir"] == "rtl"
    assert '<span class="citation" data-cites="jabiri1990" dir="rtl">' in rb.docs[0].body_html


def test_an_arabic_books_key_terms_are_read_from_the_right(tmp_path):
    """The key-terms box of a right-to-left book is filled from the right: its first
    term in the right-hand column, the second left of it, the third under the first
    (WeasyPrint's grid filled the columns from the left, so that a reader going from
    the right met the second term first)."""
    from weasyprint import HTML

    from studyguide.writers import pdf
    terms = ["أول", "ثان", "ثالث"]
    book = write_book(tmp_path / "book", {
        "title": "كتاب تجريبي", "language": "ar",
        "identifier": "urn:uuid:3a1e2b4c-0000-4000-8000-000000000a05"},
        f"---\ntitle: فصل\nkey_terms: [{', '.join(terms)}]\n---\n\nنص.\n",
        glossary=[{"term": t, "definition": "تعريف."} for t in terms])
    rb, report = rendered(book)
    out = tmp_path / "ch01.pdf"
    HTML(string=pdf.part_sources(rb, False, "A4")["ch01"], base_url=str(book)).write_pdf(out)
    bbox = subprocess.run(["pdftotext", "-bbox", str(out), "-"], capture_output=True,
                          text=True, check=True).stdout
    page = etree.fromstring(bbox.encode("utf-8"), etree.HTMLParser(encoding="utf-8"))
    at = {w.text: (float(w.get("xmax")), float(w.get("ymin"))) for w in page.iter("word")}
    first, second, third = (at[t[::-1]] for t in terms)      # (its letters as drawn)
    assert first[0] > second[0] + 100 and first[1] == pytest.approx(second[1]), at
    assert third[0] == pytest.approx(first[0], abs=1) and third[1] > first[1], at


def laid_out(book: Path, part: str = "ch01") -> list:
    """The boxes of a part of the book as print lays them out, in the order of the
    text."""
    from weasyprint import HTML

    from studyguide.writers import pdf
    rb, report = rendered(book)
    assert not report.errors, report.errors
    pages = HTML(string=pdf.part_sources(rb, False, "A4")[part],
                 base_url=str(book)).render().pages
    return [b for page in pages for b in page._page_box.descendants()]


def test_a_passage_in_the_other_direction_has_its_own_sides(tmp_path):
    """An English passage (dir="ltr") in an Arabic book has its quotation bar, its lists'
    indent and its heading on the left, an Arabic one (dir="rtl") in an English book on
    the right: the right-to-left sides were set on every element of an Arabic book, and
    on none of an English one. A task's checkbox hangs in the list's indent on the
    text's side (in Arabic it touched the text)."""
    def sides(boxes, tag, nth=0):
        box = [b for b in boxes if b.element_tag == tag][nth]
        return {"bar": (box.border_left_width, box.border_right_width),
                "padding": (box.padding_left, box.padding_right),
                "margin": (box.margin_left, box.margin_right)}

    passage = """\
        نص.

        - [ ] اقرأ صفحة العنوان.

        > اقتباس.

        ::: {lang=en dir=ltr}
        ## An English heading

        > "We ought not to be ashamed of appreciating the truth."

        - [ ] read the title page

        1. first
        :::
        """
    arabic = laid_out(write_book(tmp_path / "ar", {
        "title": "كتاب تجريبي", "language": "ar",
        "identifier": "urn:uuid:3a1e2b4c-0000-4000-8000-000000000a06"},
        "---\ntitle: فصل\n---\n\n" + textwrap.dedent(passage)))
    quote, english = sides(arabic, "blockquote"), sides(arabic, "blockquote", 1)
    assert quote["bar"][0] == 0 < quote["bar"][1] and quote["padding"][0] == 0, quote
    assert english["bar"][1] == 0 < english["bar"][0] and english["padding"][1] == 0, english
    boxes = [b for b in arabic if b.element_tag in ("input", "ul")]
    for box in (b for b in boxes if b.element_tag == "input"):     # in its list's indent
        ul = [b for b in boxes[:boxes.index(box)] if b.element_tag == "ul"][-1]
        if box is [b for b in boxes if b.element_tag == "input"][0]:     # the Arabic task
            assert box.position_x >= ul.content_box_x() + ul.width, (box.position_x, ul)
        else:                                                             # the English one
            assert box.position_x + box.width <= ul.content_box_x(), (box.position_x, ul)
    numbered = sides(arabic, "ol")
    assert numbered["padding"][1] == 0 < numbered["padding"][0], numbered
    heading = next(b for b in arabic if b.element_tag == "h2")
    line = heading.children[0]
    assert line.children[0].position_x == pytest.approx(heading.content_box_x()), line
    english = laid_out(write_book(tmp_path / "en", {
        "title": "A test", "language": "en",
        "identifier": "urn:uuid:3a1e2b4c-0000-4000-8000-000000000a07"},
        "---\ntitle: One\n---\n\n::: {lang=ar dir=rtl}\n> اقتباس.\n\n- أول\n:::\n"))
    quote, items = sides(english, "blockquote"), sides(english, "ul")
    assert quote["bar"][0] == 0 < quote["bar"][1], quote
    assert items["padding"][0] == 0 < items["padding"][1], items


def test_a_hebrew_timeline_figure_reads_right_to_left_in_print(tmp_path):
    """WeasyPrint draws an SVG text's letters in the order they are written: a generated
    figure's Hebrew lines are given to it in visual order, so that they read as written
    (they came out backwards, "םייזכרמ םיעוריא")."""
    from weasyprint import HTML

    from studyguide import figures
    svg = figures._svg(400, 60, "t", [
        '<text x="390" y="30" font-size="16" text-anchor="end">אירועים מרכזיים, '
        '<tspan font-style="italic">1858</tspan>–1922</text>',
        '<text x="10" y="50" font-size="16">Key events</text>'])
    printed = figures.for_print(svg)
    (tmp_path / "t.svg").write_text(printed, encoding="utf-8")
    HTML(string='<html lang="he"><body><img src="t.svg" alt="t"></body></html>',
         base_url=str(tmp_path)).write_pdf(tmp_path / "t.pdf")
    text = subprocess.run(["pdftotext", "-raw", str(tmp_path / "t.pdf"), "-"],
                          capture_output=True, text=True, check=True).stdout
    drawn = text.replace("\u202b", "").replace("\u202c", "")    # (the reader's marks)
    # drawn from left to right, as the eye sees it: the second word at the left, each
    # word's letters in their own order; the dates read from the right, 1858 first
    assert "1922–1858 ,מרכזיים אירועים" in drawn and "םייזכרמ" not in drawn, text
    assert "Key events" in text and "Key events" in printed


def test_an_american_book_gets_american_dates_and_spelling():
    """en-US takes English's words with America's date order and spelling (en-US.yaml
    holds only those); en-GB and plain en keep the British ones."""
    us, gb = labels.defaults("en-US"), labels.defaults("en-GB")
    assert labels.format_date(us, "2026-12-04") == "December 4, 2026"
    assert labels.format_date(gb, "2026-12-04") == "4 December 2026"
    assert us["licence"] == "License: {licence}" and gb["licence"] == "Licence: {licence}"
    assert us["contents"] == gb["contents"] == "Contents"


def test_a_kicker_the_subtitle_repeats_is_printed_once_in_both_outputs(tmp_path):
    """A kicker ("Study guide") that the subtitle begins with is left out of the title
    page, in the EPUB as in print (the EPUB printed it twice)."""
    from studyguide.writers import epub, pdf
    book = write_book(tmp_path / "book", {
        "title": "The Revival", "subtitle": "Study guide to a language reborn",
        "kicker": "Study guide", "language": "en-GB",
        "identifier": "urn:uuid:3a1e2b4c-0000-4000-8000-000000000a03"},
        "---\ntitle: One\n---\n## A\n\nText.\n")
    rb, _ = rendered(book)
    front = pdf.front_source(rb, False, "A4", {})
    page = next(p for p in epub.build_pages(rb, None) if p.file == "titlepage.xhtml")
    for html in (front, page.body):
        doc = lxml_html.document_fromstring(html)
        assert not doc.xpath('//*[contains(@class, "title-kicker")]'), html
        assert doc.xpath('//*[contains(., "Study guide to a language reborn")]')
    # nor on the EPUB's cover picture, drawn as it is without a kicker
    import dataclasses

    from studyguide.cover import cover_png
    meta = rb.book.meta
    assert cover_png(meta) == cover_png(dataclasses.replace(meta, kicker=""))
    assert cover_png(dataclasses.replace(meta, subtitle="Another")) != \
        cover_png(dataclasses.replace(meta, subtitle="Another", kicker=""))


def _rendered_with(book_copy, words: str):
    """The book rendered without an error, the HTML of the chapter holding ``words``, and
    its text with its spaces as a reader sees them."""
    from conftest import rendered_book
    rb, report = rendered_book(book_copy)
    assert not report.errors, report.errors
    body = next(d.body_html for d in rb.docs if words in d.body_html)
    return rb, body, " ".join(lxml_html.fragment_fromstring(body, create_parent="div")
                              .text_content().split())


@pytest.mark.parametrize("language, table, section, title", [
    ("fr-FR", "tableau 2.1", "section 2.1", "\u00ab Beta in practice \u00bb"),  # (spaces
    ("it-IT", "tabella 2.1", "paragrafo 2.1", "\u00abBeta in practice\u00bb"),  # joined)
    ("en-GB", "Table 2.1", "Section 2.1", "\u201cBeta in practice\u201d")])
def test_a_cross_references_label_inside_a_sentence_is_as_the_language_writes_it(
        book_copy, language, table, section, title):
    """French, Italian and Spanish write "la figure 2" inside a sentence (the locale's
    ``reference_case: lower``); a reference that opens a sentence keeps its capital, and
    English keeps it everywhere. Print's short form ("section 2.1 (p. 7)") keeps the
    sentence's case."""
    from conftest import add_to_chapter
    from lxml import html as lxml_html

    from studyguide.writers.pdf import print_typography
    book_yaml = book_copy / "book.yaml"
    book_yaml.write_text(book_yaml.read_text(encoding="utf-8").replace(
        "language: en-GB", f"language: {language}"), encoding="utf-8")
    add_to_chapter(book_copy, "Il faut voir le [](#tbl-ch02-dates) et la [](#sec-practice). "
                   "[](#tbl-ch02-dates) le montre (\"[](#sec-practice)\"). Voir aussi cf. "
                   "[](#tbl-ch02-dates).")
    rb, body, text = _rendered_with(book_copy, "Il faut voir")
    opening = table[0].upper() + table[1:]
    assert f"Il faut voir le {table} et la {section}, {title}. {opening} le montre" in text, \
        text
    assert f"cf. {table}." in text, text       # an abbreviation's full stop ends no sentence
    printed = " ".join(lxml_html.document_fromstring(print_typography(
        f"<html><body>{body}</body></html>", rb)).text_content().split())
    assert f"et la {section}. {opening} le montre" in printed, printed


def test_a_lower_case_reference_lowers_a_numbers_label_alone_not_a_name_or_a_title(
        book_copy):
    """``reference_case: lower`` gives "voir le tableau 2.1"; a reference filled in with
    a name or a title keeps it as written: a key figure ("Ada Writer", not "ada
    Writer"), a glossary term, a page of the back matter, the timeline."""
    from conftest import add_to_chapter
    book_yaml = book_copy / "book.yaml"
    book_yaml.write_text(book_yaml.read_text(encoding="utf-8").replace(
        "language: en-GB", "language: fr-FR"), encoding="utf-8")
    add_to_chapter(book_copy, "Il faut voir [](#person-ada-writer), [](#gl-alpha-doctrine), "
                   "[](#bm-exercise), [](#timeline) et le [](#tbl-ch02-dates).")
    rb, _, text = _rendered_with(book_copy, "Il faut voir")
    timeline = str(rb.labels["timeline"])
    assert (f"Il faut voir Ada Writer, Alpha doctrine, An Exercise, {timeline} et le "
            f"tableau 2.1.") in text, text


@pytest.mark.parametrize("language", ["ru", "ar", "en-GB"])
def test_print_sets_a_filled_in_reference_by_its_number_in_every_language(book_copy,
                                                                         language):
    """Print sets a filled-in reference to a chapter or section by its label alone, the
    page following ("Section 2.1 (p. 7)"); in Russian ("{label} «{title}»") and Arabic
    ("{label}، «{title}»") it kept the title too, which no line could break, as it looked
    only for an English comma after the label."""
    from conftest import add_to_chapter, rendered_book
    from lxml import html as lxml_html

    from studyguide.writers.pdf import print_typography
    book_yaml = book_copy / "book.yaml"
    book_yaml.write_text(book_yaml.read_text(encoding="utf-8").replace(
        "language: en-GB", f"language: {language}"), encoding="utf-8")
    add_to_chapter(book_copy, "See [](#sec-practice) here.")
    rb, report = rendered_book(book_copy)
    assert not report.errors, report.errors
    body = next(d.body_html for d in rb.docs if "here." in d.body_html)
    label = rb.targets["sec-practice"].label
    printed = lxml_html.document_fromstring(print_typography(
        f"<html><body>{body}</body></html>", rb))
    link = printed.xpath('//a[@href="#sec-practice"]')[0]
    assert link.text_content() == label, (link.text_content(), label)


def test_an_arabic_books_emphasis_and_latin_italics_print_their_own_glyphs(tmp_path):
    """DejaVu Sans Oblique has no Arabic: WeasyPrint embedded the face fontconfig slants
    from upright DejaVu Sans for Arabic emphasis (and its spaces and full stops) under
    the oblique's name, with one program for both, so that the emphasis printed as
    other glyphs, or the Latin italics upright with wrong dashes. Arabic emphasis prints
    upright and bold (DejaVu Sans Bold), the Latin italics from DejaVu Sans Oblique, a
    code comment's Arabic upright, and every glyph is its character's."""
    import io

    import pikepdf

    from studyguide.writers import fontfiles
    book = write_book(tmp_path / "book", {
        "title": "كتاب", "subtitle": "ضغط", "language": "ar",
        "identifier": "urn:uuid:3a1e2b4c-0000-4000-8000-000000000a21"}, """\
        ---
        title: فصل
        ---

        نص *كتاب الفهرست.* ثم *Greek Thought, 2nd–4th Century* ثم نص *كليلة ودمنة* وبعده نص.

        ```python
        root = sqrt(square + c)  # زِدها على العدد وخذ الجذر
        ```
        """)
    out = tmp_path / "out"
    result = run_build("--content", str(book), "--output", str(out), "--no-handouts",
                       "--edition", "student", "--cache", str(tmp_path / "c"), "-q")
    assert result.returncode == 0, result.stderr
    assert "[glyphs]" not in result.stderr, result.stderr
    data = only(out, "*-student-a4.pdf").read_bytes()
    assert fontfiles.wrong_glyphs(data) == []
    drawn: dict[str, set] = {}             # the program of each face, and what it draws
    with pikepdf.open(io.BytesIO(data)) as pdf:
        for page in pdf.pages:
            for font in (page.obj.Resources.get("/Font") or {}).values():
                descriptor = font.DescendantFonts[0].FontDescriptor
                stream = descriptor.get("/FontFile2") or descriptor.get("/FontFile3")
                program = fontfiles.postscript_name(stream.read_bytes())
                text = fontfiles._font_text(font).texts.values()
                drawn.setdefault(program, set()).update("".join(text))
    assert set("Greek Thought") - {" "} <= drawn["DejaVuSans-Oblique"]
    assert "–" in drawn["DejaVuSans-Oblique"]
    assert set("كليلة ودمنة") - {" "} <= drawn["DejaVuSans-Bold"]
    assert not set("كليلةودمنةالفهرست") & drawn["DejaVuSans-Oblique"]
    assert "ز" in drawn["DejaVuSansMono"] and "ز" not in drawn.get("DejaVuSansMono-Oblique", "")
    # what is italic for its look, the subtitle, is upright and regular, not bold
    assert set("ضغط") <= drawn["DejaVuSans"] and not set("ضغط") & drawn["DejaVuSans-Bold"]


def _arabic_letters_apart(pdf: Path) -> list[tuple[int, str]]:
    """(page, word) of every Arabic word whose letters a PDF draws apart: a gap between
    two of its glyphs (a TJ adjustment of more than 0.03 em), as letter-spacing sets."""
    import unicodedata

    import pikepdf

    from studyguide.writers import fontfiles
    out = []
    with pikepdf.open(pdf) as doc:
        for number, page in enumerate(doc.pages, 1):
            fonts, texts = page.obj.Resources.get("/Font") or {}, {}
            for operands, operator in pikepdf.parse_content_stream(page):
                if str(operator) == "Tf":
                    texts = fontfiles._font_text(fonts[str(operands[0])]).texts
                if str(operator) != "TJ":
                    continue
                word, apart, gap = "", False, 0.0
                for item in [*operands[0], pikepdf.String(b"\0\0")]:
                    if not isinstance(item, pikepdf.String):
                        gap += float(item)
                        continue
                    raw = bytes(item)
                    for i in range(0, len(raw), 2):
                        text = texts.get(int.from_bytes(raw[i:i + 2], "big"), "")
                        if any(unicodedata.bidirectional(c) == "AL" for c in text):
                            apart, word = apart or bool(word and abs(gap) > 30), word + text
                        elif word:
                            out += [(number, word[::-1])] if apart else []
                            word, apart = "", False
                        gap = 0.0
    return out


def test_an_arabic_books_spaced_labels_keep_their_letters_joined(tmp_path):
    """Letter-spacing set the title page's kicker, "Chapter 1", a question's type and a
    box's heading of an Arabic book letter by letter ("د ل ي ل", "تذ ك ّر"): Arabic
    letters join, and the spacing parted them. In print and in the EPUB those labels
    set no letter-spacing in Arabic; an English book's keep theirs."""
    book = write_book(tmp_path / "book", {
        "title": "كتاب", "kicker": "دليل دراسي", "language": "ar",
        "identifier": "urn:uuid:3a1e2b4c-0000-4000-8000-000000000a22"}, """\
        ---
        title: فصل
        questions:
          - {type: recall, question: "متى أسست بيت الحكمة؟", marks: 2}
        ---

        ::: {.note title="ملاحظة مهمة"}
        نص الملاحظة.
        :::
        """)
    out = tmp_path / "out"
    result = run_build("--content", str(book), "--output", str(out), "--no-handouts",
                       "--edition", "student", "--cache", str(tmp_path / "c"), "-q")
    assert result.returncode == 0, result.stderr
    pdf = only(out, "*-student-a4.pdf")
    text = subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True,
                          check=True).stdout
    assert all(w in text for w in ("دليل دراسي", "الفصل", "تذكّر", "مهمة")), text
    assert _arabic_letters_apart(pdf) == []
    with zipfile.ZipFile(only(out, "*.epub")) as z:
        css = z.read("EPUB/style/book.css").decode()
    assert re.search(r":lang\(ar\)[^{]*\{\s*letter-spacing: normal !important; \}", css)


def test_the_covers_capitals_are_the_languages():
    """The EPUB's cover set its kicker in capitals by Python's rules: Turkish
    "BIYOLOJI" for "BİYOLOJİ", Greek "ΟΔΗΓΌΣ" with the accent a capital drops."""
    from studyguide.cover import upper
    assert upper("Biyoloji çalışma kılavuzu", "tr") == "BİYOLOJİ ÇALIŞMA KILAVUZU"
    assert upper("Οδηγός μελέτης", "el") == "ΟΔΗΓΟΣ ΜΕΛΕΤΗΣ"
    assert upper("A study guide", "en-GB") == "A STUDY GUIDE"


def test_a_plural_rule_python_cannot_compile_is_an_error_at_its_line(tmp_path):
    """"n !=! 1" passes gettext's token check and fails Python's compiler: the check
    stopped with "unexpected failure … (a bug)" and none of the book's other errors."""
    book = write_book(tmp_path / "book", {
        "title": "T", "language": "tr", "labels": {"plural": "n !=! 1"}},
        "---\ntitle: One\n---\n\nText with a link to [](#nowhere).\n")
    report = Reporter(book)
    render_book(load_book(book, report), report)
    messages = [d.message for d in report.errors]
    assert any(m.startswith("label 'plural' must be a plural rule") and "not an expression"
               in m for m in messages), messages
    assert "link to missing id '#nowhere'" in messages, messages


def test_a_generated_figures_arabic_prints_as_the_text_prints_it(tmp_path):
    """WeasyPrint draws an SVG text's characters one by one, unshaped: a generated
    figure's Arabic ("فهم المعنى") came out with its letters unjoined. Its lines are
    drawn as the outlines of their shaped glyphs: the figure prints the words as a
    paragraph of the text sets them, in the same face and size."""
    from test_fonts import assert_same_ink, printed_ink

    from studyguide import figures
    svg = figures._svg(300, 40, "t", ['<text x="290" y="30" font-size="20" text-anchor="end">'
                                      'فهم <tspan font-weight="bold">المعنى</tspan> 12</text>'])
    (tmp_path / "t.svg").write_text(figures.for_print(svg), encoding="utf-8")
    drawn = printed_ink(tmp_path, '<img src="t.svg" alt="t" style="width: 300px; '
                        'display: block">', "figure", "320px 60px")
    text = printed_ink(tmp_path, '<p lang="ar" dir="rtl" style="font: 20px \'DejaVu Sans\'; '
                       'margin: 0">فهم <b>المعنى</b> 12</p>', "text", "320px 60px")
    assert_same_ink(drawn, text)


def test_an_svg_images_right_to_left_text_is_a_warning_at_its_line(book_copy):
    """Print draws an SVG image's text letter by letter from the left: an author's
    "المال" came out backwards and unjoined, with no word of warning."""
    from conftest import add_to_chapter, rendered_book
    (book_copy / "images").mkdir(exist_ok=True)
    (book_copy / "images" / "rtl.svg").write_text(
        '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 300 60"><title>t</title>'
        '<text x="150" y="40" font-size="20" text-anchor="middle">المال</text></svg>',
        encoding="utf-8")
    (book_copy / "images" / "ltr.svg").write_text(
        '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 300 60"><title>t</title>'
        '<text x="150" y="40" font-size="20">Capital</text></svg>', encoding="utf-8")
    chapter = add_to_chapter(book_copy, "![Money, in Arabic.](../images/rtl.svg)\n\n"
                                        "![Money.](../images/ltr.svg)")
    line = chapter.read_text(encoding="utf-8").splitlines().index(
        "![Money, in Arabic.](../images/rtl.svg)") + 1
    _, report = rendered_book(book_copy)
    found = [(Path(d.path).relative_to(book_copy).as_posix(), d.line, d.message)
             for d in report.warnings if "right-to-left" in d.message]
    assert found == [("chapters/02-second.md", line, "image '../images/rtl.svg': its "
                      "right-to-left text ('المال') is drawn letter by letter from the left "
                      "in print: the PDF shows it backwards and its Arabic letters unjoined "
                      "(the EPUB as drawn); convert the drawing's text to outlines (paths) "
                      "to print it")], report.warnings


def test_a_books_own_semicolon_parts_the_works_of_a_citation(book_copy):
    """The semicolon between two works of one citation is the book's ``semicolon``
    label: an override under ``labels:`` (Greek "·") was ignored there, while the index
    and the timeline used it."""
    from conftest import add_to_chapter
    book_yaml = book_copy / "book.yaml"
    book_yaml.write_text(book_yaml.read_text(encoding="utf-8").replace(
        "\nlabels:\n", "\nlabels:\n  semicolon: \"·\"\n", 1), encoding="utf-8")
    add_to_chapter(book_copy, "Both agree [@writer1901; @historian2000]. So do the pages "
                   "[@writer1901, 12; @historian2000, 3].")
    _, _, text = _rendered_with(book_copy, "Both agree")
    assert "(Writer 1901· Historian 2000)" in text, text
    assert "(Writer 1901, 12· Historian 2000, 3)" in text, text      # after a locator too


def test_a_japanese_book_needs_no_labels(tmp_path):
    """ja.yaml: a book in Japanese without ``labels:`` gets the theme's words in Japanese,
    in print and in the EPUB, and no warning that the theme has none."""
    from test_locale_text import ja_book
    book = ja_book(tmp_path / "ja")
    out = tmp_path / "out"
    result = run_build("--content", str(book), "--output", str(out), "--cache",
                       str(tmp_path / "cache"), "--edition", "student", "--no-handouts")
    assert result.returncode == 0, result.stderr
    assert "interface strings" not in result.stderr, result.stderr
    pdf = pdf_text(next(out.glob("*-student-a4.pdf"))).replace("\u2060", "")
    for words in ("目次", "第1章", "主な人物", "索引", "年表", "第1版、2026年12月5日。生徒用。",
                  "試験：副題", "伊藤博文（1841–1909）", "表1.1（"):
        assert words in pdf, (words, pdf)
    for english in ("Contents", "Chapter", "Index", "Key Figures", "Edition", "(p."):
        assert english not in pdf, english
    epub = epub_text(next(out.glob("*.epub")))
    for words in ("目次", "第1章", "索引", "1\u3000約物", "1.1\u3000開国", "第1版、2026年12月5日。"):
        assert words in epub, words
    assert ">Contents<" not in epub and "Chapter 1" not in epub


def test_labels_printed_in_english_are_known():
    """The labels a book prints in English: none in an English book, none its locale
    file gives, none its ``labels:`` translate; rules without words are not words."""
    assert labels.in_english("en-GB", None) == frozenset()
    assert "in_this_chapter" not in labels.in_english("de", None)
    turkish = labels.in_english("tr", None)
    assert {"in_this_chapter", "key_terms", "recall", "chapter_n"} <= turkish
    assert not {"plural", "quotes", "direction"} & turkish
    assert "key_terms" not in labels.in_english("tr", {"key_terms": "Anahtar terimler"})


def test_english_labels_in_a_turkish_book_are_english_in_capitals_and_voice(tmp_path):
    """A book in a language the theme has no words in prints its labels in English;
    set in capitals by the book's language, Turkish, they read "İN THİS CHAPTER" and
    "LEARNİNG OBJECTİVES". A label printed in English is marked so (``lang="en"``),
    in print and in the EPUB, where a reader's voice reads it; one the book translates
    is not."""
    from conftest import MINI
    book = tmp_path / "book"
    shutil.copytree(MINI, book)
    config = yaml.safe_load((book / "book.yaml").read_text(encoding="utf-8"))
    config["language"] = "tr"
    config.setdefault("labels", {})["key_terms"] = "Anahtar terimler"
    (book / "book.yaml").write_text(yaml.safe_dump(config, allow_unicode=True),
                                    encoding="utf-8")
    out = tmp_path / "out"
    r = run_build("--content", str(book), "--output", str(out), "--no-cache", "--edition",
                  "student", "--no-handouts")
    assert r.returncode == 0, r.stdout + r.stderr
    text = subprocess.run(["pdftotext", str(only(out, "*-student-a4.pdf")), "-"],
                          capture_output=True, text=True, check=True).stdout
    assert "IN THIS CHAPTER" in text and "LEARNING OBJECTIVES" in text, text[:2000]
    assert "İN THİS" not in text and "OBJECTİVES" not in text and "ANALYSİS" not in text
    assert "ANAHTAR TERİMLER" in text            # the book's own words, by its own rules
    with zipfile.ZipFile(only(out, "*.epub")) as z:
        chapter = z.read("EPUB/ch01.xhtml").decode()
    assert re.search(r'<h2 class="box-heading" lang="en">In this chapter</h2>', chapter)
    assert re.search(r'<span class="chapter-number" lang="en">Chapter 1</span>', chapter)
    assert re.search(r'class="question-type"><span lang="en">Recall</span>', chapter)
    assert re.search(r'<h2 class="box-heading" id="ch01-terms">Anahtar terimler</h2>',
                     chapter)
    assert re.search(r'<h2 id="ch01-questions-title" lang="en">Review questions</h2>',
                     chapter)
    with zipfile.ZipFile(only(out, "*.epub")) as z:
        nav = z.read("EPUB/nav.xhtml").decode()
    assert re.search(r'<h1 id="toc-title" lang="en">Contents</h1>', nav)
    assert re.search(r'href="glossary.xhtml" lang="en">Glossary</a>', nav)
