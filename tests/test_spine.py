"""The book's spine: its parts, their order, titles and ids, built once and read by both
writers; the EPUB writer stands on its own, without the PDF writer."""
from __future__ import annotations

import subprocess
import sys

from lxml import html as lxml_html

from conftest import MINI
from studyguide.builder import Options, prepare
from studyguide.writers import epub, pdf


def test_the_epub_writer_does_not_load_the_pdf_writer():
    code = ("import sys, studyguide.writers.epub; "
            "print('studyguide.writers.pdf' in sys.modules, 'weasyprint' in sys.modules)")
    shown = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                           check=True).stdout.split()
    assert shown == ["False", "False"], shown


def test_both_writers_follow_one_spine(tmp_path):
    """The print edition's body parts, its contents list and the EPUB's content
    documents are the spine's entries, in its order, with its titles."""
    rb, _ = prepare(Options(content=MINI, output=tmp_path))
    spine = rb.spine
    ids = [e.id for e in spine]
    # every section of the book, once, chapters first and the index and key last
    assert len(ids) == len(set(ids))
    assert ids[:len(rb.docs)] == [d.id for d in rb.docs]
    assert {"timeline", "key-figures", "glossary", "bibliography"} <= set(ids)
    assert ids[-2:] == ["index", "answer-key"]
    assert [e.id for e in rb.body_parts()] == ids[:-2]
    # the PDF typesets exactly the spine's parts
    assert list(pdf.part_sources(rb, False, "A4")) == ids[:-2]
    # the EPUB has one document per entry after its three front pages; the answer key
    # is the teacher edition's alone
    pages = epub.build_pages(rb, None)
    assert [p.file for p in pages[3:]] == [f"{i}.xhtml" for i in ids[:-1]]
    first = rb.docs[0]
    assert pages[3].title == f"{first.number}. {first.title}"
    assert [p.epub_type for p in pages[3:3 + len(rb.docs)]] == ["bodymatter"] * len(rb.docs)
    # the contents lists: the student edition's and the EPUB's lack the key
    front = lxml_html.fromstring(pdf.front_source(rb, True, "A4", {}))
    listed = [a.get("href")[1:] for a in front.xpath('//nav[@id="contents"]/ol/li/a')]
    assert listed == ids
    assert [e["id"] for e in rb.contents()] == ids[:-1]
    nav = epub.nav_document(rb, {}, {}).decode()
    assert all(f'href="{i}.xhtml' in nav for i in ids[:-1]) and "answer-key" not in nav
    # a failure in a part names the file it is made from
    assert rb.source_of(first.id) == first.path
    assert rb.source_of("timeline") == MINI / "data" / "timeline.yaml"
    assert rb.source_of("@front") == MINI / "book.yaml"


def test_unnumbered_sections_are_listed_and_unlisted_ones_left_out(book_copy):
    """As in pandoc, an unnumbered section is in the contents and the EPUB's navigation,
    without a number; one that is also ``.unlisted`` is left out (``.unlisted`` alone
    leaves a numbered one listed, with a warning)."""
    from conftest import add_to_chapter, rendered_book
    add_to_chapter(book_copy, "## Le 18 Brumaire {.unnumbered}\n\nText.\n\n"
                              "## Hidden {- .unlisted}\n\nText.\n\n"
                              "## Still listed {.unlisted}\n\nText.")
    rb, report = rendered_book(book_copy)
    front = lxml_html.fromstring(pdf.front_source(rb, False, "A4", {}))
    lines = [" ".join(a.text_content().split()) for a in front.xpath(
        '//li[a[@href="#ch02"]]//li[@class="toc-section"]/a')]
    assert lines == ["2.1 Beta in practice", "Le 18 Brumaire", "2.2 Still listed",
                     "2.3 Closing words"], lines
    nav = lxml_html.fromstring(epub.nav_document(rb, {}, {}))
    items = [a.text_content() for a in nav.xpath('//a[starts-with(@href, "ch02.xhtml#")]')]
    assert items == ["2.1 Beta in practice", "Le 18 Brumaire", "2.2 Still listed",
                     "2.3 Closing words"], items
    assert [d.message.split(" is ")[0] for d in report.warnings
            if "unlisted" in d.message] == ["'Still listed'"]
