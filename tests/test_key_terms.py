"""Chapter key terms follow the glossary's matching rule: case as written, apostrophes alike."""
from __future__ import annotations

from pathlib import Path

from studyguide.errors import Reporter
from studyguide.loader import load_book
from studyguide.resolve import render_book


def render(folder):
    report = Reporter(folder)
    rb = render_book(load_book(folder, report), report)
    return rb, report


def set_key_terms(book_copy, terms: str) -> None:
    chapter = book_copy / "chapters" / "01-first.md"
    text = chapter.read_text(encoding="utf-8")
    old = "key_terms: [Alpha doctrine, Beta theory]"
    assert old in text
    chapter.write_text(text.replace(old, f"key_terms: [{terms}]"), encoding="utf-8")


def test_key_term_in_another_case_is_reported(book_copy):
    set_key_terms(book_copy, "ALPHA DOCTRINE, Beta theory")
    rb, report = render(book_copy)
    found = [(Path(d.path).relative_to(book_copy).as_posix(), d.line, d.severity, d.message)
             for d in report.diagnostics]
    assert found == [("chapters/01-first.md", 8, "warning",     # (the key_terms: line)
                      "key term 'ALPHA DOCTRINE' is not in the glossary "
                      "(its terms and aliases match with case as written)")], found
    first = rb.docs[0]
    assert dict(first.key_terms)["ALPHA DOCTRINE"] == ""
    assert dict(first.key_terms)["Beta theory"] != ""


def test_key_terms_matching_a_term_or_an_alias_link_to_the_entry(book_copy):
    set_key_terms(book_copy, "alpha doctrine, Beta theory")
    rb, report = render(book_copy)
    assert not report.diagnostics, [str(d) for d in report.diagnostics]
    ids = dict(rb.docs[0].key_terms)
    assert ids["alpha doctrine"] and ids["Beta theory"] and ids["alpha doctrine"] != ids["Beta theory"]
