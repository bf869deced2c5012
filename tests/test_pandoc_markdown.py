"""Pandoc's Markdown, with pandoc as the oracle.

Each file of ``fixtures/pandoc/chapters`` holds one construct. The builder's HTML for the
chapter (what goes into the EPUB) must have the element structure and text of
``pandoc -f markdown -t html5`` for the same file, once both are brought to one canonical
form. The canonical form undoes only what the builder adds on purpose, each named below:

* section numbers (``span.secno``) and the "Table 1.2." / "Figure 1.2." labels of captions;
* ids prefixed with the chapter's id, and the ids it gives every block (``ch01-b3``);
* a box div is written ``<aside class="box CLASS">`` (pandoc: ``<div class="CLASS">``);
  a figure has ``class="figure"``;
* an ordered list with a ``start`` also has it as ``style="counter-reset: list-item N-1"``
  (exactly that, for WeasyPrint);
* code is highlighted into Pygments' spans (compared as its text, like pandoc's without
  highlighting), and task-list checkboxes are ``disabled``;
* footnotes: Python-Markdown writes ``<sup><a>1</a></sup>`` and a ``div.footnote`` list,
  pandoc ``<a><sup>1</sup></a>`` and a ``section.footnotes`` list; both become
  ``<noteref>N</noteref>`` and ``<notes><note>…</note></notes>``, with the back-links
  dropped; the numbers and the notes' contents and order are still compared;
* an image's ``src`` is written relative to the book folder (pandoc keeps it as written,
  relative to the chapter's file): pandoc's is resolved from the chapter's folder;
* pandoc's ARIA roles and ``aria-hidden``, and the column widths of its grid tables
  (``colgroup``, the table's ``style``), which this builder leaves to its stylesheet;
* HTML comments, which pandoc keeps in its HTML and the builder leaves out of the book
  (an author's note is not printed); the text around one is compared as one text.

Everything else, every element, attribute and word, must be equal.
"""
from __future__ import annotations

import posixpath
import re
import subprocess
from html import escape as html_escape
from pathlib import Path

import pypandoc
import pytest
from lxml import html as lxml_html

from conftest import FIXTURES, epubcheck, only, run_build
from studyguide.errors import Reporter
from studyguide.loader import load_book
from studyguide.resolve import render_book

CORPUS = FIXTURES / "pandoc"
CASES = sorted((CORPUS / "chapters").glob("*.md"))
BLOCK = {"p", "div", "section", "ol", "ul", "li", "dl", "dt", "dd", "blockquote", "pre",
         "table", "thead", "tbody", "tfoot", "tr", "th", "td", "caption", "figure",
         "figcaption", "h1", "h2", "h3", "h4", "h5", "h6", "hr", "notes", "note", "aside",
         "details", "summary", "body"}
BOOLEAN = {"checked", "disabled"}   # checked="" and checked="checked" are one attribute
WS = re.compile(r"[ \t\r\n]+")     # not U+00A0: a line block's indent is kept


@pytest.fixture(scope="module")
def rendered():
    """The corpus book's chapters, resolved, by file name (no error, no warning)."""
    report = Reporter(CORPUS)
    out = render_book(load_book(CORPUS, report), report)
    assert not report.errors and not report.warnings, report.errors + report.warnings
    return {doc.path.name: doc for doc in out.docs}


def pandoc_html(path: Path) -> str:
    result = subprocess.run(
        [pypandoc.get_pandoc_path(), "-f", "markdown", "-t", "html5",
         "--syntax-highlighting=none", str(path)],
        capture_output=True, text=True, check=True)
    return result.stdout


def parse(text: str):
    return lxml_html.fragment_fromstring(text, create_parent="body")


def _drop(el) -> None:
    """Remove ``el`` but keep its tail text."""
    parent = el.getparent()
    prev = el.getprevious()
    if el.tail:
        if prev is not None:
            prev.tail = (prev.tail or "") + el.tail
        else:
            parent.text = (parent.text or "") + el.tail
    parent.remove(el)


def _unwrap(el) -> None:
    """Replace ``el`` by its content."""
    parent, index = el.getparent(), el.getparent().index(el)
    prev = el.getprevious()
    lead = el.text or ""
    if prev is not None:
        prev.tail = (prev.tail or "") + lead
    else:
        parent.text = (parent.text or "") + lead
    children = list(el)
    if children:
        children[-1].tail = (children[-1].tail or "") + (el.tail or "")
    elif el.tail:
        if prev is not None:
            prev.tail = (prev.tail or "") + el.tail
        else:
            parent.text = (parent.text or "") + el.tail
    for offset, child in enumerate(children):
        parent.insert(index + offset, child)
    parent.remove(el)


def _rename(el, tag: str) -> None:
    for attr in list(el.attrib):
        del el.attrib[attr]
    el.tag = tag


def canon_ours(root, doc_id: str):
    for el in root.xpath('.//span[@class="secno"] | .//caption/span[@class="label"]'
                         ' | .//figcaption/span[@class="label"]'):
        if el.tail:
            el.tail = el.tail.lstrip()
        _drop(el)
    for el in root.xpath('.//aside[contains(concat(" ", @class, " "), " box ")]'):
        el.tag = "div"
        classes = [c for c in el.get("class").split() if c != "box"]
        el.set("class", " ".join(classes))
    for el in root.xpath('.//figure[@class="figure"]'):
        del el.attrib["class"]
    for el in root.xpath(".//input[@type='checkbox']"):
        el.attrib.pop("disabled", None)
    for ol in root.xpath(".//ol[@start]"):
        if ol.get("style") == f"counter-reset: list-item {int(ol.get('start')) - 1}":
            del ol.attrib["style"]
    for el in root.xpath('.//a[contains(concat(" ", @class, " "), " xref ")]'):
        classes = [c for c in el.get("class").split() if c != "xref"]
        if classes:
            el.set("class", " ".join(classes))
        else:
            del el.attrib["class"]
    for el in root.iter():
        ident = el.get("id")
        if ident is not None:
            if re.fullmatch(re.escape(doc_id) + r"-b\d+", ident):
                del el.attrib["id"]
            elif ident.startswith(doc_id + "-"):
                el.set("id", ident[len(doc_id) + 1:])
        href = el.get("href")
        if href and href.startswith(f"#{doc_id}-"):
            el.set("href", "#" + href[len(doc_id) + 2:])
    return canon_notes(root, './/sup[a[@class="footnote-ref"]]', './/div[@class="footnote"]',
                       "footnote-backref")


def canon_notes(root, refs: str, lists: str, backref: str):
    """Footnote calls (``refs``) to ``<noteref>N</noteref>``, the list of notes
    (``lists``) to ``<notes><note>…</note></notes>`` without the back-links."""
    for ref in root.xpath(refs):
        number = ref.text_content()
        _rename(ref, "noteref")
        ref.remove(ref[0])
        ref.text = number
    for notes in root.xpath(lists):
        _rename(notes, "notes")
        for hr in notes.findall("hr"):
            _drop(hr)
        _unwrap(notes.find("ol"))
        for back in notes.xpath(f'.//a[@class="{backref}"]'):
            _strip_before(back)
            _drop(back)
        for li in notes.findall("li"):
            _rename(li, "note")
    return root


def _strip_before(el) -> None:
    prev = el.getprevious()
    if prev is not None:
        prev.tail = (prev.tail or "").rstrip(" \u00a0")
    else:
        el.getparent().text = (el.getparent().text or "").rstrip(" \u00a0")


def canon_pandoc(root, chapter_dir: str = "chapters"):
    for comment in root.xpath("//comment()"):
        _drop(comment)
    for img in root.iter("img"):
        img.set("src", posixpath.normpath(posixpath.join(chapter_dir, img.get("src"))))
    for el in root.iter():
        for attr in list(el.attrib):
            if attr == "role" or attr.startswith("aria-"):
                del el.attrib[attr]
    for table in root.iter("table"):
        table.attrib.pop("style", None)
        for group in table.findall("colgroup"):
            _drop(group)
    return canon_notes(root, './/a[@class="footnote-ref"]', './/section[@id="footnotes"]',
                       "footnote-back")


def dump(el, depth: int = 0, pre: bool = False) -> list[str]:
    """The canonical tree as indented lines: one per element and one per text."""
    pre = pre or el.tag == "pre"
    attrs = " ".join(f'{k}="{"" if k in BOOLEAN else v}"' for k, v in sorted(el.attrib.items()))
    lines = ["  " * depth + f"<{el.tag}{' ' + attrs if attrs else ''}>"]
    if pre:                                   # code: its text, exactly
        lines.append("  " * (depth + 1) + repr(el.text_content().rstrip("\n")))
        return lines
    pieces = [el.text] + [x for child in el for x in (child, child.tail)]
    block = el.tag in BLOCK
    texts = []
    for i, piece in enumerate(pieces):
        if piece is None or isinstance(piece, str):
            text = WS.sub(" ", piece or "")
            prev_block = i > 0 and not isinstance(pieces[i - 1], str) and \
                pieces[i - 1] is not None and pieces[i - 1].tag in BLOCK
            next_block = i + 1 < len(pieces) and pieces[i + 1] is not None and \
                not isinstance(pieces[i + 1], str) and pieces[i + 1].tag in BLOCK
            if block and (i == 0 or prev_block):
                text = text.lstrip(" ")
            if block and (i == len(pieces) - 1 or next_block):
                text = text.rstrip(" ")
            if text:
                texts.append("  " * (depth + 1) + repr(text))
                lines.append(texts[-1])
        elif isinstance(piece.tag, str):
            lines += dump(piece, depth + 1, pre)
    return lines


@pytest.mark.parametrize("case", CASES, ids=[c.stem for c in CASES])
def test_same_html_as_pandoc(case: Path, rendered):
    doc = rendered[case.name]
    ours = dump(canon_ours(parse(doc.body_html), doc.id))
    theirs = dump(canon_pandoc(parse(pandoc_html(case))))
    assert "\n".join(ours) == "\n".join(theirs)


def test_normaliser_keeps_real_differences():
    """The canonical form does not hide a changed word, a lost element, another
    attribute, another footnote number, or a note's text."""
    base = '<p>A <em>b</em> c.<sup id="x-fnref-1"><a class="footnote-ref" href="#x-fn-1">1' \
           '</a></sup></p><div class="footnote"><hr/><ol><li id="x-fn-1"><p>Note.&#160;' \
           '<a class="footnote-backref" href="#x-fnref-1">↩</a></p></li></ol></div>'
    variants = [base.replace("c.", "d."), base.replace("<em>b</em>", "b"),
                base.replace("<em>", '<em class="k">'), base.replace(">1\n</a>", ">2</a>")
                .replace(">1</a>", ">2</a>"), base.replace("Note.", "Other."),
                base.replace('<p>A', '<p id="x-real">A')]
    same = dump(canon_ours(parse(base), "x"))
    for variant in variants:
        assert dump(canon_ours(parse(variant), "x")) != same, variant


def test_every_case_is_in_the_book():
    chapters = (CORPUS / "book.yaml").read_text()
    assert all(f"chapters/{c.name}" in chapters for c in CASES) and len(CASES) >= 30


@pytest.mark.slow
def test_corpus_builds_to_pdf_and_epub(tmp_path):
    """The whole corpus as one book: EPUBCheck is clean (``run_build`` checks it) and
    the words of every case are in the EPUB and the PDF."""
    import zipfile

    from pypdf import PdfReader
    out = tmp_path / "out"
    result = run_build("--content", str(CORPUS), "--output", str(out), "-q", "--no-handouts")
    assert result.returncode == 0, result.stderr
    epub = only(out, "*.epub")
    assert not epubcheck(epub)
    with zipfile.ZipFile(epub) as z:
        epub_text = " ".join(
            lxml_html.fromstring(z.read(n)).text_content()
            for n in sorted(z.namelist()) if n.endswith(".xhtml"))
    pdf_text = " ".join(p.extract_text() or "" for p in PdfReader(only(out, "*-student-a4.pdf")).pages)
    for words in ("struck out", "conference", "indented line", "Lovelace", "inline",
                  "The two note", "small caps", "Grouped text", "Inner text", "1024"):
        assert words in " ".join(epub_text.split()), words
        assert words.replace(" ", "") in "".join(pdf_text.split()), words
    # a long line of code wraps inside the text block: no glyph in the 18 mm (51 pt) margin
    reader = PdfReader(only(out, "*-student-a4.pdf"))
    page = next(i for i, p in enumerate(reader.pages) if "def hello" in (p.extract_text() or ""))
    width = float(reader.pages[page].mediabox.width)
    bbox = subprocess.run(["pdftotext", "-bbox", "-f", str(page + 1), "-l", str(page + 1),
                           str(only(out, "*-student-a4.pdf")), "-"],
                          capture_output=True, text=True, check=True).stdout
    right = max(float(x) for x in re.findall(r'xMax="([\d.]+)"', bbox))
    assert right < width - 50, f"text reaches {right} pt on a page {width} pt wide"
    assert "long_identifier_" * 3 in "".join(pdf_text.split())
    # list numbers as the author wrote them, in print too
    lines = subprocess.run(["pdftotext", "-layout", str(only(out, "*-student-a4.pdf")), "-"],
                           capture_output=True, text=True, check=True).stdout.splitlines()
    layout = "".join("".join(lines).split())
    for marker in ("3.three", "4.four", "2.two", "ii.two", "B.bee", "C.cee", "b.second"):
        assert marker in layout, marker
    # a note's source line break is no line break in the printed note
    assert any("of the note, going on over" in " ".join(line.split()) for line in lines)


@pytest.mark.slow
def test_grid_table_footer_is_printed_once(tmp_path):
    """A grid table's footer (a total) goes into ``<tfoot>`` as in pandoc; in print it
    stands once, under the last row, not at the foot of every page the table runs over."""
    import zipfile

    from pypdf import PdfReader
    rule = "+--------+-------+\n"
    rows = rule.join(f"| Row {i:<3}| {i:<6}|\n" for i in range(70))
    (tmp_path / "chapters").mkdir()
    (tmp_path / "chapters" / "01-one.md").write_text(
        "---\ntitle: One\n---\n\n+--------+-------+\n| Item   | Price |\n"
        f"+========+=======+\n{rows}+========+=======+\n| Total  | 2415  |\n"
        "+========+=======+\n")
    (tmp_path / "book.yaml").write_text(
        "title: Foot\nauthors: [A]\nlanguage: en-GB\ndate: 2025-03-01\n"
        "identifier: urn:uuid:00000000-0000-4000-8000-000000000098\n"
        "chapters:\n  - chapters/01-one.md\n")
    out = tmp_path / "out"
    result = run_build("--content", str(tmp_path), "--output", str(out), "-q",
                       "--no-handouts")
    assert result.returncode == 0, result.stderr
    with zipfile.ZipFile(only(out, "*.epub")) as z:
        body = next(z.read(n).decode() for n in z.namelist() if n.endswith("ch01.xhtml"))
    assert re.search(r"<tfoot>\s*<tr>\s*<td>Total</td>", body)
    pages = [p.extract_text() or "" for p in PdfReader(only(out, "*-student-a4.pdf")).pages]
    table = [k for k, text in enumerate(pages) if "Row " in text]
    assert len(table) > 1
    assert [k for k, text in enumerate(pages) if "Total" in text] == [table[-1]]
    assert pages[table[-1]].index("Row 69") < pages[table[-1]].index("Total")


def test_the_docs_grid_table_with_a_footer_builds_its_footer(book_copy):
    """docs/authoring.md said that "rows after a last '+===+' line that also closes the
    table are its footer"; an author read it as a '+===+' line above the footer and
    closed the table with '+---+', which makes the footer's rows body rows (as pandoc
    reads them), with nothing said. The docs show the whole table, as pandoc's manual
    does; that example builds with its last row in <tfoot>, as pandoc reads it."""
    from conftest import ROOT, add_to_chapter, rendered_book
    docs = (ROOT / "docs" / "authoring.md").read_text(encoding="utf-8")
    example = re.search(r"A grid table with a header, a body and a footer.*?\n```\n(.*?)```",
                        docs, re.S).group(1)
    add_to_chapter(book_copy, example + "\n: Prices {#tbl-prices}\n")
    rb, report = rendered_book(book_copy)
    assert not report.errors, report.errors
    body = next(d.body_html for d in rb.docs if 'id="tbl-prices"' in d.body_html)
    ours = lxml_html.fragment_fromstring(body, create_parent="div").xpath(
        '//*[@id="tbl-prices"]')[0]
    theirs = lxml_html.fragment_fromstring(pypandoc.convert_text(
        example, "html5", format="markdown"), create_parent="div")
    for table in (ours, theirs):
        parts = {part: [[c.text_content().strip() for c in tr.xpath("td|th")]
                        for tr in table.xpath(f".//{part}/tr")]
                 for part in ("thead", "tbody", "tfoot")}
        assert parts == {"thead": [["Fruit", "Price"]],
                         "tbody": [["Bananas", "1.34"], ["Oranges", "2.10"]],
                         "tfoot": [["Total", "3.44"]]}, parts


REFUSED = {
    "+---+---+\n| a | b |\n+===+===+\n| spanning  |\n+---+---+\n":
        "a grid table cell that spans rows or columns",
    "+---+---+\n| a | b |\n+---+---+\n":
        "a grid table needs a header row",
    "+---+-------+\n| a | b     |\n+===+=======+\n| 1 | a. 45 |\n+---+-------+\n":
        "a grid table cell holding more than one paragraph",
    "+---+-------+\n| a | b     |\n+===+=======+\n| 1 | # Sub |\n+---+-------+\n":
        "a grid table cell holding more than one paragraph",
    "-----------\nHead   Two\n------ ----\nrow    one\n-----------\n":
        "a multiline table is not read",
    "----------- -------\n   First    row\n            two\n\n  Second    row\n"
    "----------- -------\n": "a multiline table is not read",
    "A call to a missing note.[^nowhere]\n": "footnote '[^nowhere]' is never defined",
    "\\begin{equation}\nE = mc^2\n\\end{equation}\n":
        "raw LaTeX '\\begin{equation}' is not read: write the formula between $$ and $$",
    "\\begin{center}\nA centred line.\n\\end{center}\n":
        "raw LaTeX '\\begin{center}' is not read: write it in Markdown (a list, a table, "
        "a fenced div ::: for a block)",
    "$$E = mc^2$$ {#eq-energy}\n":
        "'{#eq-energy}' after a formula: formulas are not numbered and take no id",
    # an autolink of another scheme is a link, refused as one (it was read as an HTML
    # tag and dropped, its text too)
    "Call <tel:+15550100> now.\n": "link to 'tel:' is not allowed",
}


@pytest.mark.parametrize("source", REFUSED, ids=range(len(REFUSED)))
def test_refused_constructs_are_errors_at_their_line(book_copy, source):
    chapter = book_copy / "chapters" / "02-second.md"
    front = chapter.read_text().split("---\n")[1]
    chapter.write_text(f"---\n{front}---\n\nFirst paragraph.\n\n{source}")
    line = front.count("\n") + 6        # after the front matter, a paragraph and a blank
    report = Reporter(book_copy)
    render_book(load_book(book_copy, report), report)
    messages = [f"{Path(d.path).name}:{d.line}: {d.message}" for d in report.errors]
    assert any(m.startswith(f"02-second.md:{line}: {REFUSED[source]}") for m in messages), \
        messages


def test_unused_note_is_a_warning_and_left_out(book_copy):
    chapter = book_copy / "chapters" / "02-second.md"
    chapter.write_text(chapter.read_text() + "\n[^spare]: Never called.\n")
    report = Reporter(book_copy)
    out = render_book(load_book(book_copy, report), report)
    assert not report.errors
    assert any("'[^spare]' is defined but never used" in w.message for w in report.warnings)
    body = out.docs[1].body_html
    assert "Never called" not in body and "fnref-spare" not in body


def test_a_second_definition_of_a_label_is_a_warning_at_its_line(book_copy):
    """Two link references whose labels differ only in case (or spacing), or two notes
    of one label: pandoc warns at the second and uses it; the builder too (it was
    silent). A definition in code is none."""
    chapter = book_copy / "chapters" / "02-second.md"
    front = chapter.read_text().split("---\n")[1]
    chapter.write_text(f"---\n{front}---\n\nThe [CSL project][csl] and [CSL][]; a "
                       "note.[^a]\n\n[csl]: https://citationstyles.org\n"
                       "[CSL]: https://example.net\n\n    [csl]: https://example.org\n\n"
                       "[^a]: One.\n\n> [^a]: Two.\n")
    first = front.count("\n") + 4
    report = Reporter(book_copy)
    out = render_book(load_book(book_copy, report), report)
    assert not report.errors
    assert [(Path(w.path).name, w.line, w.message) for w in report.warnings
            if "defined twice" in w.message] == [
        ("02-second.md", first + 3, "link reference '[CSL]' is defined twice (also at line "
         f"{first + 2}, as '[csl]': a label's case and spacing do not count): the last "
         "definition is the one used"),
        ("02-second.md", first + 9, f"footnote '[^a]' is defined twice (also at line "
         f"{first + 7}): the last definition is the one used")]
    assert out.docs[1].body_html.count('href="https://example.net"') == 2


def test_latex_commands_in_running_text_are_warnings_at_their_line(book_copy):
    """LaTeX in running text (which pandoc's HTML drops unread) prints as written, with
    a warning at its line; not a path's backslash, an escaped one, maths or code. A page
    break alone on its line after a blank line is read (``\\newpage``: an empty div that
    print breaks before); inside a paragraph it is text, and warned of."""
    chapter = book_copy / "chapters" / "02-second.md"
    front = chapter.read_text().split("---\n")[1]
    chapter.write_text(
        f"---\n{front}---\n\nFirst paragraph.\n\n\\newpage\n\n"
        "Leave \\vspace{2cm} here, \\noindent then C:\\Users\\ann and\n"
        "\\\\pagebreak, $\\alpha + \\beta$, `\\textbf{x}` and \\textbf{bold}.\n"
        "\\newpage\n\n    \\vspace{1cm}\n\n$$\n\\frac{a}{b}\n$$\n\nMaths over lines: $\\alpha +\n"
        "\\beta$, ~\\Documents and %APPDATA%\\Microsoft.\n\n1. An item\n\n   \\newpage\n\n"
        "   More of it.\n2. Another\n")
    first = front.count("\n") + 4
    report = Reporter(book_copy)
    out = render_book(load_book(book_copy, report), report)
    assert not report.errors
    said = [(Path(w.path).name, w.line, w.message) for w in report.warnings
            if "LaTeX" in w.message or "new page" in w.message]
    assert said == [
        ("02-second.md", first + 4, "'\\vspace{2cm}' is LaTeX, which is read only in a "
         "formula (between $ and $): it prints as written"),
        ("02-second.md", first + 4, "'\\noindent' is LaTeX, which is read only in a "
         "formula (between $ and $): it prints as written"),
        ("02-second.md", first + 5, "'\\textbf{bold}' is LaTeX, which is read only in a "
         "formula (between $ and $): it prints as written"),
        ("02-second.md", first + 6, "'\\newpage' starts a new page only alone on a line "
         "after a blank line, at its start (not in a list or a quotation): here it prints "
         "as written"),
        ("02-second.md", first + 19, "'\\newpage' starts a new page only alone on a line "
         "after a blank line, at its start (not in a list or a quotation): here it prints "
         "as written")], said
    tree = parse(out.docs[1].body_html)
    breaks = tree.xpath("//div[@class='page-break']")
    assert len(breaks) == 1 and breaks[0].get("id") == "ch02-newpage-1" and \
        not breaks[0].text_content() and breaks[0].getnext().text.startswith("Leave")
    text = tree.text_content()
    assert "\\vspace{2cm} here, \\noindent then C:\\Users\\ann" in text
    assert "\\pagebreak" in text and "\\newpage" in text
    assert len(tree.xpath("//ol/li")) == 2          # a page break's line in an item is none


def body_warnings(book: Path, body: str, words: str) -> tuple:
    """The fixture's second chapter given ``body`` under its front matter, rendered with
    no error: the line its body starts at, the rendered book, and each warning holding
    ``words`` as (file name, line, message)."""
    chapter = book / "chapters" / "02-second.md"
    front = chapter.read_text().split("---\n")[1]
    chapter.write_text(f"---\n{front}---\n\n{body}")
    report = Reporter(book)
    out = render_book(load_book(book, report), report)
    assert not report.errors
    return front.count("\n") + 4, out, [(Path(w.path).name, w.line, w.message)
                                       for w in report.warnings if words in w.message]


def test_a_heading_without_its_space_is_a_warning_at_its_line(book_copy):
    """"##The PEEL paragraph" (no space after the hashes) is a paragraph that starts
    with the hashes, in pandoc too, and it was printed so without a word: a line that
    starts with hashes and a letter is a warning at its line; not in code, not one hash
    (a hashtag, "#MeToo"), not hashes inside a line.
    In a block quote too."""
    first, out, said = body_warnings(
        book_copy, "## Method\n\n##The PEEL paragraph\n\nPoint, evidence.\n\n"
        "#MeToo began as a hashtag; so did ##this, inside a line.\n\n```\n##Code\n```\n\n"
        "    ###Indented code\n\n> ###Quoted\n", "hashes")
    assert said == [
        ("02-second.md", first + 2, "a line starting '##' followed by a letter is not a "
         "heading: put a space after the hashes ('## The'); as it is, it prints as text"),
        ("02-second.md", first + 14, "a line starting '###' followed by a letter is not a "
         "heading: put a space after the hashes ('### Quoted'); as it is, it prints as "
         "text")], said
    # as pandoc reads it: a paragraph, hashes and all
    assert ">##The PEEL paragraph</p>" in out.docs[1].body_html


def test_a_word_processors_bullet_is_a_warning_at_its_line(book_copy):
    """A list pasted from Word, "•<tab>Underline the key words." under "1.<tab>Read
    the question twice.", printed the bullet's line run into the item before it, as
    pandoc reads it, without a word: a line that starts with such a bullet (or an en
    dash and a tab) is a warning at its line; not in code, not a dash and a space (a
    line of dialogue), not a bullet inside a line."""
    first, out, said = body_warnings(
        book_copy, "1.\tRead the question twice.\n•\tUnderline the key words."
        "\n\n–\tPlan your answer.\n\n– Who is there? she asked.\n\nA list • inside.\n\n"
        "```\n• code\n```\n\n> ◦ quoted\n", "list marker")
    tail = ("is not a Markdown list marker: the line is text, not a list item; start a "
            "list item with '- ' (a hyphen and a space)")
    assert said == [("02-second.md", first + 1, f"'•' {tail}"),
                    ("02-second.md", first + 3, f"'–' {tail}"),
                    ("02-second.md", first + 13, f"'◦' {tail}")], said
    # as pandoc reads it: the bullet's line is the item's text
    assert re.search(r"<li[^>]*>Read the question twice.\s+•\s+Underline the key words.</li>",
                     out.docs[1].body_html)


def test_single_quotes_are_read_as_pandoc_reads_them_and_only_in_prose():
    """A single quote is an apostrophe or a quotation's quote as pandoc parses the
    paragraph (its double-quoted passages nested, a link's text apart), and is written
    typographic in the text, nowhere else: not in maths (a prime), a link's title, code,
    or an escaped quote."""
    from studyguide.markdown import markdown_to_html
    source = ("He said 'a \"b 'c' d\" e' and 'f $g'(x)$ [l](u 'T') `it's` \\'h' 5'10, "
              "[the Graftons'](u) books.")
    tree = parse(markdown_to_html(source))
    assert tree.text_content() == ("He said \u2018a \u201cb \u2018c\u2019 d\u201d e\u2019 "
                                   "and \u2018f g\u2032(x) l it's 'h\u2019 5\u201910, the "
                                   "Graftons\u2019 books.")
    assert tree.find(".//a").get("title") == "T" and tree.find(".//code").text == "it's"
    assert tree.find(".//math").get("alttext") == "g'(x)"


@pytest.mark.parametrize("source, element", [
    ("<table>\n<tr><td>*cell*</td><td>**bold** cell</td></tr>\n</table>", "em"),
    ("<details>\n<summary>Answer</summary>\nIt is a **puffin**.\n</details>", "strong"),
    ("<details>\n<summary>Going further: the *Mystic Nativity*</summary>\n\nIn the "
     "*Mystic Nativity* (1501).\n\n</details>", "em"),
])
def test_markdown_inside_raw_html_is_read_as_pandoc_reads_it(source, element):
    """A table's cells and a ``details`` block written in HTML hold Markdown, which was
    printed as source ("*cell*"); pandoc makes the same element of it. A ``summary``'s
    text is inline Markdown, as pandoc reads it (its asterisks were printed)."""
    from studyguide.markdown import markdown_to_html
    ours, theirs = parse(markdown_to_html(source)), parse(pypandoc.convert_text(
        source, "html5", format="markdown"))
    assert [e.text_content() for e in ours.iter(element)] == \
        [e.text_content() for e in theirs.iter(element)] != []
    assert "*" not in ours.text_content()


@pytest.mark.parametrize("text", ["He is 5'10\" tall", "the '90s and '05", "'Tis so",
                                  "rock 'n' roll", "the Graftons' books",
                                  "\"a 'b' c\" at 6'"])
def test_generated_text_has_the_bodys_quotes(text):
    """Text that does not come through Markdown (a glossary's term, an index's heading,
    the title page) gets the marks the same words get in a chapter: SmartyPants set
    "5'10"" as 5‘10” and "the '90s" as ‘90s, where the body (and pandoc) has 5’10” and
    ’90s. In the EPUB (text by text) and in print (the whole HTML) alike."""
    from studyguide.markdown import markdown_to_html
    from studyguide.typography import smart_text, smart_tree, smartypants
    body = parse(markdown_to_html(text)).text_content()
    assert body == parse(pypandoc.convert_text(text, "html5", format="markdown")).text_content().strip()
    tree = parse(f"<dl><dt>{html_escape(text)}</dt><dd><code>it's</code></dd></dl>")
    smart_tree(tree)
    assert tree.find(".//dt").text == body and tree.find(".//code").text == "it's"
    printed = parse(smartypants(f"<p>{html_escape(text, quote=False)} <code>it's</code></p>"))
    assert printed.find(".//p").text.strip() == body
    assert printed.find(".//code").text == "it's"
    assert smart_text(text) == body


@pytest.mark.parametrize("source", ["[a](u " * 5000, "[a](u 'x " * 4000, "[a](" * 8000],
                         ids=["unclosed targets", "unclosed titles", "bare brackets"])
def test_link_targets_are_read_in_linear_time(source):
    """A paragraph of links that never close: each was read to the paragraph's end, a
    30 KB paragraph in half a minute."""
    import time
    from studyguide.markdown import markdown_to_html
    started = time.monotonic()
    assert "a" in markdown_to_html(source)
    assert time.monotonic() - started < 3


def test_an_inline_notes_no_break_spaces_are_kept():
    """An inline note's lines are joined and its spaces collapsed, as pandoc reads it;
    an author's no-break space ("340 m/s") is no space to collapse (it became a plain
    one, and the unit went to the next line in print)."""
    from studyguide.markdown import markdown_to_html
    tree = parse(markdown_to_html("Sound.^[At 340\u00a0m/s,\n   440\u00a0Hz  and  0,77\u00a0m.] "
                                  "On."))
    [note] = tree.xpath("//li[@id='fn:_inline1']/p")
    assert note.text_content().startswith("At 340\u00a0m/s, 440\u00a0Hz and 0,77\u00a0m.")


def test_a_block_element_after_a_paragraphs_text_ends_the_paragraph(book_copy):
    """``A hint: <details>…</details> end.``: pandoc ends the paragraph at the block
    element and reads the text after it as a paragraph of its own. The HTML parser had
    cut the element out of the paragraph, leaving "end." outside any paragraph and an
    empty one after it, with a warning about an attribute the author never wrote, at
    another line."""
    chapter = book_copy / "chapters" / "02-second.md"
    front = chapter.read_text().split("---\n")[1]
    chapter.write_text(f"---\n{front}---\n\nA hint: <details><summary>Hint</summary>The "
                       "answer is *3:1*.</details> end.\n\n- an item <div>x</div> y\n")
    report = Reporter(book_copy)
    out = render_book(load_book(book_copy, report), report)
    assert not report.errors and not [w for w in report.warnings
                                      if "02-second" in str(w.path)], report.diagnostics
    body = parse(out.docs[1].body_html)
    details = body.find(".//details")
    assert details.getprevious().tag == "p" and details.getprevious().text == "A hint:"
    assert details.getnext().tag == "p" and details.getnext().text == "end."
    assert details.find("p/em").text == "3:1"
    assert not body.xpath("//p[not(node())]")
    assert body.xpath("string(//li)").split() == ["an", "item", "x", "y"]


def test_a_grid_tables_row_out_of_line_with_its_borders_is_reported_as_such(book_copy):
    """A row whose cells run past the border's columns (as many bars, elsewhere) was
    reported as "a cell that spans rows or columns", at the table's first line; it is
    reported as out of line, at its own."""
    chapter = book_copy / "chapters" / "02-second.md"
    front = chapter.read_text().split("---\n")[1]
    chapter.write_text(f"---\n{front}---\n\nFirst paragraph.\n\n+-------+--------+\n"
                       "| Gene  | Role   |\n+=======+========+\n| *BRCA1* | Tumour suppressor |\n"
                       "+-------+--------+\n")
    first = front.count("\n") + 6
    report = Reporter(book_copy)
    render_book(load_book(book_copy, report), report)
    assert [(d.line, d.message) for d in report.errors] == [
        (first + 3, "a grid table row whose '|' do not stand under the '+' of the border "
                    "above: line the columns up")], report.errors
    # a link to the table's id, declared in its caption, is that error's, not another
    # ("link to missing id", which came first in the list)
    chapter.write_text(chapter.read_text().replace(
        "First paragraph.", "See [](#tbl-genes).") + "\nTable: Genes {#tbl-genes}\n")
    report = Reporter(book_copy)
    render_book(load_book(book_copy, report), report)
    assert [d.message[:20] for d in report.errors] == ["a grid table row who"], report.errors


def test_a_citation_in_a_grid_or_simple_table_leaves_its_columns_as_typed(book_copy):
    """A grid or a simple table's cells are parted at the columns the author typed, but
    they were read after each citation had become a token (shorter or longer than the
    citation): a grid table lined up exactly was refused as out of line, one out of
    line by that difference was taken, and a simple table's cell ran into the next.
    Each is read as pandoc reads it, and a row's unknown key is reported at the row."""
    from conftest import add_to_chapter, rendered_book
    rule = "+-----+-----------------+------+"
    chapter = add_to_chapter(book_copy, "\n".join([
        rule, "| a   | b               | c    |", rule.replace("-", "="),
        "| 1   | @writer1901     | x    |", rule,
        "| 2   | [@writer1901]   | y    |", rule,
        "| 3   | see             | z    |", "|     | [@nokey]        |      |", rule, "",
        ": Grid {#tbl-grid}", "",
        "  a     b                c", "  ---   ---------------  ----",
        "  1     @writer1901      x", "  2     [@writer1901]    y", "",
        ": Simple {#tbl-simple}"]))
    lines = chapter.read_text(encoding="utf-8").split("\n")
    rb, report = rendered_book(book_copy)
    assert [(d.line, d.message) for d in report.errors] == [
        (lines.index("| 3   | see             | z    |") + 1, "unknown citation key 'nokey'")]
    body = next(d.body_html for d in rb.docs if 'id="tbl-grid"' in d.body_html)
    tree = lxml_html.fragment_fromstring(body, create_parent="div")
    rows = {name: [[c.text_content().strip() for c in tr.xpath("td")]
                   for tr in tree.xpath(f'//*[@id="tbl-{name}"]//tbody/tr')]
            for name in ("grid", "simple")}
    assert rows["grid"] == [["1", "Writer (1901)", "x"], ["2", "(Writer 1901)", "y"],
                            ["3", "see (nokey?)", "z"]]
    assert rows["simple"] == rows["grid"][:2]
    # a row out of line with its border is an error at its line, a citation in it or
    # not (this one's bars two columns out, as many as its token is shorter)
    chapter.write_text(chapter.read_text(encoding="utf-8").replace(
        "| 1   | @writer1901     | x    |", "| 1   | see @writer1901   | x    |"),
        encoding="utf-8")
    report = Reporter(book_copy)
    render_book(load_book(book_copy, report), report)
    assert [(d.line, d.message) for d in report.errors if "nokey" not in d.message] == [
        (lines.index("| 1   | @writer1901     | x    |") + 1,
         "a grid table row whose '|' do not stand under the '+' of the border above: "
         "line the columns up")], report.errors


def test_a_definitions_line_starting_as_an_item_keeps_the_next_paragraph_in_it(book_copy):
    """German text wraps onto "z. B." and "d. h." at a line's start. In a definition
    that line was taken for an item of a list at the left margin, and the definition's
    next paragraph went with it, out of the definition list, as body text (a next term
    started a new list). It is a list nested in the definition, as pandoc reads it, and
    the paragraph after it stays in the definition, in a block quote too."""
    from conftest import add_to_chapter, rendered_book
    definitions = ("Explizit\n:   Ein Term, wie jedes Glied entsteht,\n    {abbr} so.\n\n"
                   "    Der zweite Absatz bleibt in der Definition.\n\n"
                   "Rekursiv\n:   Aus den Gliedern davor.\n")
    add_to_chapter(book_copy, "\nEin Absatz zwischen den Listen.\n\n".join(
        [definitions.format(abbr=abbr) for abbr in ("z. B.", "d. h.")] +
        ["\n".join("> " + s if s else ">" for s in
                   definitions.format(abbr="z. B.").rstrip("\n").split("\n"))]))
    rb, report = rendered_book(book_copy)
    assert not report.errors, report.errors
    body = lxml_html.fragment_fromstring(
        next(d.body_html for d in rb.docs if "Der zweite Absatz" in d.body_html),
        create_parent="div")
    lists = body.xpath("//dl[dt='Explizit']")
    assert len(lists) == 3, [lxml_html.tostring(d) for d in lists]
    for dl in lists:
        assert [dt.text for dt in dl.iter("dt")] == ["Explizit", "Rekursiv"]
        dd = dl.find("dd")
        assert dd.text.split() == ["Ein", "Term,", "wie", "jedes", "Glied", "entsteht,"]
        assert dd[0].tag == "ol" and dd[0].get("type") == "a"
        assert [p.text for p in dd.findall("p")] == ["Der zweite Absatz bleibt in der "
                                                      "Definition."]
    assert not body.xpath("//p[starts-with(., 'Der zweite Absatz')][not(parent::dd)]")
