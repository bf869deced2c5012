"""The default guide's glossary terms of issue 21 and its "How to Use This Guide" page.

In-process: the book is loaded and rendered once, nothing is typeset.
"""
from __future__ import annotations

import re

import pytest
from lxml import html

from conftest import CONTENT
from studyguide.errors import Reporter
from studyguide.loader import load_book
from studyguide.resolve import render_book

# term -> the chapters whose running text uses it (and so must link it there)
TERMS = {
    "Dual power": ["ch04"],
    "Provisional Government": ["ch04"],
    "April Theses": ["ch04"],
    "Kronstadt rising": ["ch04"],
    "Lenin enrolment": ["ch05"],
    "Secretariat": ["ch05", "ch06"],
    "Orgburo": ["ch05"],
    "Nomenklatura": ["ch07"],
    "Kolkhoz": ["ch07"],
    "Goods famine": ["ch06"],
    "Commanding heights": ["ch04", "ch05"],
    "Bolshevisation": ["ch08"],
    "Bloc of four classes": ["ch08"],
    "New Democracy": ["ch10"],
    "Cominform": ["ch10"],
}


@pytest.fixture(scope="module")
def model():
    report = Reporter(CONTENT)
    book = load_book(CONTENT, report)
    rb = render_book(book, report)
    assert not report.diagnostics, [str(d) for d in report.diagnostics]
    return book, rb


def linked_terms(doc) -> list[str]:
    """The glossary ids this document links to, in order."""
    return [a.get("href")[1:] for a in html.fragment_fromstring(doc.body_html, create_parent="div")
            .xpath('.//a[@class="gloss"]')]


@pytest.mark.parametrize("term", sorted(TERMS))
def test_term_is_defined_dated_and_linked_where_used(model, term):
    book, rb = model
    entry = next(e for e in book.glossary if e.term == term)
    words = len(entry.definition.split())
    assert 25 <= words <= 60, (term, words)
    assert re.search(r"\b1[89]\d\d\b", entry.definition), f"{term}: no date"
    docs = {d.id: d for d in rb.docs}
    for chapter in TERMS[term]:
        links = linked_terms(docs[chapter])
        assert links.count(entry.id) == 1, (term, chapter, links.count(entry.id))


def test_ch03_table_gives_lenins_formula_not_trotskys_reading_of_it(model):
    book, _ = model
    table = book.tables["tbl-ch03-three-answers"]
    lenin = next(i for i, c in enumerate(table.columns) if c.startswith("Lenin"))
    row = next(r for r in table.rows if r[0] == "Role of the peasantry")
    assert "equal" not in row[lenin].lower(), row[lenin]
    assert "Trotsky" in table.note and "equals" in table.note


def test_how_to_use_page_opens_the_back_matter(model):
    book, rb = model
    page = rb.back[0]
    assert page.title == "How to Use This Guide"
    tree = html.fragment_fromstring(page.body_html, create_parent="div")
    # Every part of a chapter it names is a heading the chapters really print.
    named = [b.text_content() for b in tree.xpath(".//ul[1]/li/strong")]
    L = rb.labels
    printed = {L["in_this_chapter"], L["objectives"], L["key_terms"], L["review_questions"]}
    assert printed <= set(named), (printed, named)
    text = tree.text_content()
    assert L["recall"] in text and L["analysis"].lower() in text.lower()
    # Its cross-references reach every reference section and are filled in.
    xrefs = {a.get("href")[1:]: a.text_content() for a in tree.xpath('.//a[@class="xref"]')}
    assert {"master-table", "timeline", "key-figures", "glossary", "bibliography", "index",
            "bm-source-criticism", "ch03"} <= set(xrefs), sorted(xrefs)
    assert all(xrefs.values()), xrefs
    assert xrefs["glossary"] == L["glossary"] and xrefs["index"] == L["index"]
    # Its example citation is in the book's author-date style.
    cite = tree.xpath('.//span[@class="citation"]')[0].text_content()
    assert re.fullmatch(r"\(Callinicos 1990, sec\.\s1\.2\)", cite), cite
