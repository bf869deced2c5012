"""Nothing lost: Markdown made of the supported constructs keeps every word, in order.

Documents are generated from random choices of construct and word; the words a reader
should see are listed in reading order as the document is made (a footnote's words
come after the chapter's text, notes in the order they are called). The rendered text
must contain them as a subsequence: no word dropped, none moved.
"""
from __future__ import annotations

import random
import re
import shutil
import zipfile

import pytest
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from lxml import html as lxml_html

from conftest import only, run_build
from studyguide.errors import Reporter
from studyguide.loader import load_book
from studyguide.resolve import render_book

VOCAB = ["amber", "birch", "cedar", "delta", "ember", "fjord", "grove", "heron", "inlet",
         "juniper", "kestrel", "larch", "maple", "nectar", "osprey", "pebble", "quartz",
         "raven", "sorrel", "thistle", "umber", "violet", "willow", "yarrow", "zephyr"]


class Doc:
    """A Markdown document under construction, with its words in reading order."""

    def __init__(self, rng: random.Random):
        self.rng, self.blocks, self.words, self.notes = rng, [], [], []

    def word(self) -> str:
        w = self.rng.choice(VOCAB)
        self.words.append(w)
        return w

    def phrase(self, n: int = 3) -> str:
        return " ".join(self.word() for _ in range(n))

    def inline(self) -> str:
        kind = self.rng.randrange(10)
        if kind == 0:
            return f"*{self.phrase(2)}*"
        if kind == 1:
            return f"**{self.phrase(2)}**"
        if kind == 2:
            return f"~~{self.phrase(2)}~~"
        if kind == 3:
            return f"x~{self.word()}~ y^{self.word()}^"
        if kind == 4:
            return f"[{self.phrase(2)}]{{.smallcaps}}"
        if kind == 5:
            return f"`{self.word()}`"
        if kind == 6:
            label = f"n{len(self.notes) + 1}"
            saved, self.words = self.words, []
            text = self.phrase(3)
            self.notes.append((label, text, self.words))
            self.words = saved
            return f"{self.word()}[^{label}]"
        if kind == 7:
            saved, self.words = self.words, []
            text = self.phrase(2)
            self.notes.append((None, text, self.words))
            self.words = saved
            return f"{self.word()}^[{text}]"
        return self.phrase(3)

    def sentence(self) -> str:
        return " ".join(self.inline() for _ in range(self.rng.randint(1, 3))) + "."

    def block(self) -> str:
        kind = self.rng.randrange(22)
        if kind == 18:                                 # two quotations, a blank apart
            return f"> {self.sentence()}\n\n> {self.sentence()}"
        if kind == 19:                                 # verse in a quotation, in an item
            return self.rng.choice(["> | {}\n> |   {}", "- | {}\n  | {}"]).format(
                self.phrase(2), self.phrase(2))
        if kind == 20:                                 # citations' source in code
            code = self.rng.choice(["> ```\n> {} [@{}] @{}\n> ```",
                                    "- {}\n\n      {} [@{}] @{}"])
            return code.format(*(self.word() for _ in range(code.count("{}"))))
        if kind == 21:                                 # a quotation in an item in one
            return f"> 1. {self.phrase(2)}\n>\n>    > {self.phrase(2)}"
        if kind == 16:                                 # simple table without a header
            a, b, c, d = (self.word() for _ in range(4))
            rule = f"{'-' * 10} {'-' * 10}"
            return f"{rule}\n{a:<10} {b:<10}\n{c:<10} {d:<10}\n{rule}"
        if kind == 17:                                 # grid table with a footer
            a, b, c, d, e, f = (self.word() for _ in range(6))
            rule = "+" + "-" * 10 + "+" + "-" * 10 + "+"
            double = rule.replace("-", "=")
            return (f"{rule}\n| {a:<8} | {b:<8} |\n{double}\n| {c:<8} | {d:<8} |\n"
                    f"{double}\n| {e:<8} | {f:<8} |\n{double}")
        if kind == 11:
            marker = self.rng.choice(["(2)", "i.", "a)", "#."])
            return f"{marker} {self.sentence()}\n{marker} {self.sentence()}"
        if kind == 12:                                 # simple table
            a, b, c, d = (self.word() for _ in range(4))
            return f"{a:<10} {b:<10}\n{'-' * 10} {'-' * 10}\n{c:<10} {d:<10}"
        if kind == 13:                                 # grid table
            a, b, c, d = (self.word() for _ in range(4))
            rule = "+" + "-" * 10 + "+" + "-" * 10 + "+"
            return (f"{rule}\n| {a:<8} | {b:<8} |\n{rule.replace('-', '=')}\n"
                    f"| {c:<8} | {d:<8} |\n{rule}")
        if kind == 14:                                 # hard line breaks
            return f"{self.phrase(2)}\\\n{self.phrase(2)}  \n{self.phrase(2)}"
        if kind == 15:
            return f"{self.phrase(2)}\n\nTable: {self.phrase(2)}"
        if kind == 0:
            return f"## {self.phrase(2)}"
        if kind == 1:                                  # nested list, 2 or 4 spaces
            pad = " " * self.rng.choice([2, 4])
            return f"- {self.sentence()}\n{pad}- {self.sentence()}\n- {self.sentence()}"
        if kind == 2:
            start = self.rng.randint(1, 9)
            return f"{start}. {self.sentence()}\n{start + 1}. {self.sentence()}"
        if kind == 3:
            return f"- [ ] {self.phrase(2)}\n- [x] {self.phrase(2)}"
        if kind == 4:
            return f"{self.phrase(1)}\n:   {self.sentence()}"
        if kind == 5:
            return f"> {self.sentence()}\n>\n> > {self.sentence()}"
        if kind == 6:
            return f"| {self.phrase(2)}\n|   {self.phrase(2)}"
        if kind == 7:
            return f"```\n{self.phrase(3)}\n```"
        if kind == 8:
            head = [self.word(), self.word()]
            row = [self.word(), self.word()]
            return f"| {head[0]} | {head[1]} |\n|---|---|\n| {row[0]} | {row[1]} |"
        if kind == 9:
            return f"::: {{.note}}\n{self.sentence()}\n:::"
        return self.sentence()

    def markdown(self, n: int) -> str:
        body = [self.block() for _ in range(n)]
        defs = []
        for label, text, words in self.notes:
            self.words += words
            if label:
                defs.append(f"[^{label}]: {text}")
        return "\n\n".join(body + defs) + "\n"


def make(rng: random.Random, n: int) -> tuple[str, list[str]]:
    doc = Doc(rng)
    text = doc.markdown(n)
    return text, doc.words


def in_order(expected: list[str], text: str) -> bool:
    found = iter(re.findall(r"[a-z]+", text))
    return all(any(w == f for f in found) for w in expected)


@pytest.fixture(scope="module")
def tiny_book(tmp_path_factory) -> Path:
    """A book of one chapter and nothing else (no bibliography, no glossary)."""
    root = tmp_path_factory.mktemp("tiny")
    (root / "chapters").mkdir()
    (root / "book.yaml").write_text(
        "title: Tiny\nauthors: [A]\nlanguage: en-GB\ndate: 2025-03-01\n"
        "identifier: urn:uuid:00000000-0000-4000-8000-000000000099\n"
        "chapters:\n  - chapters/01-one.md\n")
    return root


@settings(max_examples=150, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(rng=st.randoms(use_true_random=False), n=st.integers(1, 8))
def test_every_word_rendered_in_order(tiny_book, rng, n):
    """Through the resolver, as a chapter: the HTML that both writers are given."""
    text, words = make(rng, n)
    (tiny_book / "chapters" / "01-one.md").write_text(f"---\ntitle: One\n---\n\n{text}")
    report = Reporter(tiny_book)
    doc = render_book(load_book(tiny_book, report), report).docs[0]
    assert not report.errors and not report.warnings, (text, report.errors, report.warnings)
    rendered = " ".join(lxml_html.fragment_fromstring(doc.body_html,
                                                      create_parent="div").itertext())
    assert in_order(words, rendered), (text, doc.body_html)


def test_in_order_can_fail():
    assert in_order(["amber", "birch"], "amber x birch")
    assert not in_order(["birch", "amber"], "amber birch")
    assert not in_order(["amber", "cedar"], "amber birch")


@pytest.mark.slow
def test_built_book_keeps_every_word(tmp_path):
    from conftest import MINI
    from pypdf import PdfReader
    book = tmp_path / "book"
    shutil.copytree(MINI, book)
    text, words = make(random.Random(17), 30)
    chapter = book / "chapters" / "02-second.md"
    front = chapter.read_text().split("---\n")[1]
    chapter.write_text(f"---\n{front}---\n\n{text}")
    out = tmp_path / "out"
    result = run_build("--content", str(book), "--output", str(out), "-q", "--no-handouts")
    assert result.returncode == 0, result.stderr
    with zipfile.ZipFile(only(out, "*.epub")) as z:
        name = next(n for n in sorted(z.namelist()) if re.search(r"ch02[^/]*\.xhtml$", n))
        epub_text = " ".join(lxml_html.fromstring(z.read(name)).itertext())
    assert in_order(words, epub_text)
    pdf = PdfReader(only(out, "*-student-a4.pdf"))
    pdf_text = " ".join(page.extract_text() or "" for page in pdf.pages)
    # the PDF sets notes at the foot of their page: every word is there
    assert set(words) <= set(re.findall(r"[a-z]+", pdf_text.lower()))


def test_a_footnotes_paragraphs_stay_paragraphs_in_print():
    """Print floats each note to its page: the note keeps its paragraphs (the second a
    block of its own), its text as written (no space added before an element, a "<"
    still a character), and its lists."""
    from studyguide.writers.pdf import footnotes_to_floats
    html = ('<p>Text.<sup id="c-fnref-1"><a class="footnote-ref" href="#c-fn-1">1</a></sup>'
            '</p><div class="footnote"><hr/><ol><li id="c-fn-1"><p>One&lt;two'
            '<em>three</em>, four.</p><p>Second <strong>para</strong>.</p><ul><li>item</li>'
            '</ul><p>Third.&#160;<a class="footnote-backref" href="#c-fnref-1">↩</a></p>'
            '</li></ol></div>')
    note = lxml_html.document_fromstring(footnotes_to_floats(html)).xpath(
        '//span[@class="fn"]')[0]
    assert note.text == "One<two" and note[0].tag == "em" and note[0].tail == ", four."
    paras = note.xpath('span[@class="fn-para"]')
    assert [p.text_content() for p in paras] == ["Second para.", "Third."]
    # (a list in a floated note is spans, which the note's paragraph can hold)
    assert note.xpath('span[@class="fn-ul"]/span[@class="fn-li"]')[0].text == "item"
    assert "↩" not in note.text_content()


def test_a_header_reference_to_another_chapter_s_heading_is_reported(tmp_path):
    """``[Heading text]`` leads to a heading of its own chapter, as in pandoc; naming a
    heading of another chapter it prints as written, and a warning at its line says
    so, with the link that leads there. One naming its own chapter's heading is a link,
    and brackets naming no heading ("[sic]") are only text: neither is warned of."""
    from conftest import MINI, add_to_chapter, rendered_book
    book = tmp_path / "book"
    shutil.copytree(MINI, book)
    chapter = add_to_chapter(book, "As in [Where alpha began], and\nunlike "
                                   "[Beta in practice], the rule [sic] holds; written "
                                   "\\[Where alpha began\\] on purpose, or as a link's "
                                   "text, [[Where alpha began]](https://example.org/), "
                                   "it is not warned of, nor is [The beta theory], a "
                                   "heading of this chapter too.\n\n## The beta theory\n\n"
                                   "Again.")
    rb, report = rendered_book(book)
    line = next(i for i, text in enumerate(chapter.read_text(encoding="utf-8")
                                           .splitlines(), 1) if "[Where alpha" in text)
    warned = [d for d in report.warnings if "implicit header reference" in d.message]
    assert [(Path(d.path).resolve(), d.line) for d in warned] == [(chapter.resolve(), line)]
    assert "'[Where alpha began]' is a heading of " in warned[0].message
    assert "chapters/01-first.md" in warned[0].message
    assert warned[0].message.endswith("write [Where alpha began](#sec-alpha)")
    body = next(d for d in rb.docs if d.id == "ch02").body_html
    assert "[Where alpha began]" in body and 'href="#sec-practice"' in body
    assert "[The beta theory]" not in body and ">The beta theory</a>" in body
