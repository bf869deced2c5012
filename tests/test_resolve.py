"""The resolver: numbering, cross-references, footnotes, glossary links, index."""
from __future__ import annotations

import re
from pathlib import Path

import pytest
from lxml import html as lxml_html
from pypdf import PdfReader

from conftest import MINI, add_to_chapter, only, rendered_book, run_build
from studyguide.errors import Reporter
from studyguide.loader import load_book
from studyguide.resolve import render_book


@pytest.fixture(scope="module")
def rb():
    report = Reporter(MINI)
    book = load_book(MINI, report)
    rendered = render_book(book, report)
    assert not report.errors, report.errors
    return rendered


def render_clean(book):
    """A book rendered, with no error; and its report (its warnings)."""
    report = Reporter(book)
    rendered = render_book(load_book(book, report), report)
    assert not report.errors, report.errors
    return rendered, report


def reported(book):
    """The report of a book's reading and rendering, errors and all."""
    report = Reporter(book)
    render_book(load_book(book, report), report)
    return report


def add_term(book, term: str, definition: str) -> None:
    """A glossary entry, before the fixture's "Beta theory" (the fourth line on)."""
    glossary = book / "data" / "glossary.yaml"
    text = glossary.read_text(encoding="utf-8")
    assert "- term: Beta theory" in text
    glossary.write_text(text.replace(
        "- term: Beta theory",
        f"- term: {term}\n  definition: {definition}\n- term: Beta theory", 1),
        encoding="utf-8")


def tree(html: str):
    return lxml_html.fragment_fromstring(html, create_parent="div")


def test_numbering(rb):
    ch1, ch2 = rb.docs
    assert [s["number"] for s in ch1.sections if s["level"] == 2] == ["1.1", "1.2"]
    assert [s["number"] for s in ch2.sections if s["level"] == 2] == ["2.1", "2.2"]
    assert "Table 1.1." in ch1.body_html and "Figure 1.1." in ch1.body_html
    assert "Table 2.1." in ch2.body_html


def test_generated_figures_are_placed(rb):
    fig = tree(rb.docs[0].body_html).xpath("//figure[@id='fig-strategies']/img")
    assert fig and fig[0].get("src") == "generated/strategies.svg" and fig[0].get("alt")
    assert "<svg" in rb.figures["strategies"] and "Alpha" in rb.figures["strategies"]


def test_cross_references_fill_in_number_and_title(rb):
    t = tree(rb.docs[0].body_html)
    links = {a.get("href"): a.text_content() for a in t.xpath("//a[@class='xref']")}
    assert links["#tbl-ch01-compare"] == "Table 1.1"
    assert links["#sec-beta"] == "Section 1.2, “The beta theory”"
    assert links["#fig-strategies"] == "Figure 1.1"
    assert links["#ch02"] == "the second chapter"  # the author's own text is kept
    # across chapter files
    t2 = tree(rb.docs[1].body_html)
    assert t2.xpath("//a[@href='#sec-alpha']")[0].text_content() == "Section 1.1, “Where alpha began”"


def test_print_cross_references_carry_page_numbers(mini_build):
    text = " ".join(" ".join((p.extract_text() or "").split())
                    for p in PdfReader(only(mini_build, "*-student-a4.pdf")).pages)
    assert re.search(r"Table 1\.1 \(p\. \d+\)", text)
    # print's short form: the number, then the page (the EPUB keeps the title)
    assert re.search(r"Section 1\.1 \(p\. \d+\)", text)
    assert "Section 1.1, “Where alpha began”" not in text
    # the front matter is numbered after the body: a link there is named, without a page
    assert "one to Changes in This Edition." in text and "(p. ?)" not in text


def test_a_link_to_a_box_is_a_cross_reference_with_its_page(book_copy, tmp_path):
    """A box is a place in the text as a section is: a link to it fills in its title
    and, in print, is followed by the page the box is on."""
    book = book_copy
    chapter = book / "chapters" / "01-first.md"
    chapter.write_text(chapter.read_text(encoding="utf-8").replace(
        '::: {.sidebar title="Source check"}', '::: {#box-check .sidebar title="Source check"}'),
        encoding="utf-8")
    add_to_chapter(book, "The questions of [](#box-check) apply here.")
    rb, report = rendered_book(book)
    assert not report.errors, report.errors
    a = tree(rb.docs[1].body_html).xpath("//a[@href='#box-check']")[0]
    assert a.get("class") == "xref" and a.text_content() == "Source check"
    out = tmp_path / "out"
    result = run_build("--content", str(book), "--output", str(out), "--format", "pdf",
                       "--edition", "student", "--no-handouts", "--no-preflight", "-q")
    assert result.returncode == 0, result.stderr
    reader = PdfReader(only(out, "*-student-a4.pdf"))
    texts = [" ".join((p.extract_text() or "").split()) for p in reader.pages]
    page = re.search(r"The questions of Source check \(p\. (\d+)\) apply here",
                     " ".join(texts))
    assert page, "the link to the box has no page"
    box = next(i for i, t in enumerate(texts) if "Check who wrote each source" in t)
    assert reader.page_labels[box] == page.group(1)


def test_footnote_ids_unique_across_the_book(rb):
    ids = []
    for doc in rb.docs + rb.back:
        ids += tree(doc.body_html).xpath("//@id")
    assert len(ids) == len(set(ids))
    assert "ch01-fn-aside" in ids and "ch02-fn-1" in ids


def test_glossary_terms_linked_at_first_use_per_chapter(rb):
    for doc in rb.docs:
        links = tree(doc.body_html).xpath("//a[@class='gloss']/@href")
        assert len(links) == len(set(links)), f"a term linked twice in {doc.id}"
    ch1 = tree(rb.docs[0].body_html)
    first = ch1.xpath("//a[@class='gloss' and @href='#gl-alpha-doctrine']")[0]
    assert first.getparent().tag == "p" and first.text == "Alpha doctrine"
    assert not ch1.xpath("//h2//a[@class='gloss']"), "headings are not linked"


def test_index_collects_glossary_terms_and_marked_spans(rb):
    index = {e["term"]: e["refs"] for e in rb.index}
    # every mention, in reading order: the chapters, then the timeline and key figures
    assert [d for d, _ in index["Alpha doctrine"]] == ["ch01", "ch02", "timeline",
                                                         "key-figures"]
    assert index["Marked term"] == [("ch01", "ch01-ix0")]
    terms = [e["term"] for e in rb.index]
    assert terms == sorted(terms, key=str.lower)


def test_index_pages_in_print(mini_build):
    pages = [(p.extract_text() or "") for p in PdfReader(only(mini_build, "*-student-a4.pdf")).pages]
    index = next(p for p in pages if p.lstrip().startswith("Index"))
    m = re.search(r"Marked term (\d+)", index)
    assert m, index
    body_start = next(i for i, t in enumerate(pages) if "CHAPTER 1" in t)
    assert "Marked term" in pages[body_start + int(m.group(1)) - 1]


def test_index_links_in_epub(mini_build):
    import zipfile
    z = zipfile.ZipFile(only(mini_build, "*.epub"))
    index = z.read("EPUB/index.xhtml").decode()
    assert 'href="ch01.xhtml#ch01-ix0"' in index
    target = z.read("EPUB/ch01.xhtml").decode()
    assert 'id="ch01-ix0"' in target


class DictMemo(dict):
    """A memo kept in memory, as the build's cache keeps it on disk."""

    def put(self, key, value):
        self[key] = value


def test_markdown_and_citations_are_remembered_between_builds(book_copy, monkeypatch):
    """With a memo, a rebuild converts only the Markdown that changed and does not run
    citeproc again for the same citations; what it renders is what a fresh render gives."""
    import studyguide.resolve as resolve
    from test_errors import edit
    converted, citeproc_runs = [], []
    real_convert, real_format = resolve.convert_each, resolve.format_citations
    monkeypatch.setattr(resolve, "convert_each",
                        lambda jobs: converted.append(list(jobs)) or real_convert(jobs))
    monkeypatch.setattr(resolve, "format_citations",
                        lambda *a: citeproc_runs.append(a) or real_format(*a))

    def render(memo):
        report = Reporter(book_copy)
        out = render_book(load_book(book_copy, report), report, memo, "engine")
        assert not report.errors, report.errors
        return out

    memo = DictMemo()
    render(memo)
    assert len(citeproc_runs) == 1 and converted and memo
    first_jobs = len(converted[0])
    assert first_jobs > 20                       # chapters, questions, glossary, tables...
    edit(book_copy / "chapters" / "02-second.md", "The end of the second chapter",
         "The very end of the second chapter")
    remembered = render(memo)
    assert len(converted) == 2 and len(converted[1]) == 1      # the edited chapter's body
    assert "The very end of the second chapter" in converted[1][0][0]
    assert len(citeproc_runs) == 1
    fresh = render(None)
    assert len(citeproc_runs) == 2 and len(converted[2]) >= first_jobs - 2   # no memo: all
    assert remembered.docs == fresh.docs and remembered.back == fresh.back
    assert (remembered.bibliography, remembered.glossary, remembered.timeline) == \
        (fresh.bibliography, fresh.glossary, fresh.timeline)
    # the memo keeps this build's texts only: it does not grow with each edit
    assert len(next(v for v in memo.values() if isinstance(v, dict))) <= first_jobs
    # other engine code: nothing is taken from the memo
    report = Reporter(book_copy)
    render_book(load_book(book_copy, report), report, memo, "other engine")
    assert len(citeproc_runs) == 3 and len(converted[3]) >= first_jobs - 2


def test_a_term_split_by_a_line_break_is_still_the_term(book_copy):
    """Markdown joins the lines of a paragraph with a space: a glossary term or an index
    form that a line break splits in the source is the same words (as in pandoc)."""
    add_term(book_copy, "Gamma idea", "Split in the source.")
    chapter = book_copy / "chapters" / "01-first.md"
    text = chapter.read_text(encoding="utf-8")
    assert "The Beta theory answered alpha." in text
    chapter.write_text(text.replace("The Beta theory answered alpha.",
                                    "The Beta theory answered the Gamma\nidea and alpha.", 1),
                       encoding="utf-8")
    rendered, report = render_clean(book_copy)
    assert not [w for w in report.warnings if "Gamma idea" in str(w)], report.warnings
    link = tree(rendered.docs[0].body_html).xpath(
        "//a[@class='gloss' and @href='#gl-gamma-idea']")
    assert [" ".join(a.text.split()) for a in link] == ["Gamma idea"]
    refs = {e["term"]: e["refs"] for e in rendered.index}["Gamma idea"]
    assert ("ch01", link[0].get("id")) in refs, refs


def test_the_master_tables_lead_is_markdown(book_copy):
    """``lead:`` is Markdown, as the reference says: emphasis and a citation are
    rendered, not printed as written."""
    book_yaml = book_copy / "book.yaml"
    text = book_yaml.read_text(encoding="utf-8")
    assert "  lead: >-\n    The table sets" in text
    book_yaml.write_text(text.replace("  lead: >-\n    The table sets",
                                      "  lead: >-\n    The *table* [@writer1901, 3] sets", 1),
                         encoding="utf-8")
    rendered, report = render_clean(book_copy)
    assert rendered.master_lead.startswith("The <em>table</em> <span class=\"citation\"")
    assert "*" not in rendered.master_lead and "@writer1901" not in rendered.master_lead
    from studyguide.writers.pdf import part_sources
    printed = part_sources(rendered, False, "A4")["master-table"]
    assert "<p class=\"lead\">The <em>table</em> <span class=\"citation\"" in printed


def test_key_figures_and_accented_terms_are_link_targets(book_copy):
    """``person-NAME`` is a key figure's id, as the reference says, and a glossary term's
    id strips its accents (pandoc's ``ascii_identifiers``): both can be linked to."""
    add_term(book_copy, "Nuée ardente", "A glowing cloud.")
    chapter = book_copy / "chapters" / "02-second.md"
    text = chapter.read_text(encoding="utf-8")
    chapter.write_text(text + "\nSee [](#person-ada-writer) and [the cloud](#gl-nuee-ardente)"
                       " of the Nuée ardente.\n", encoding="utf-8")
    rendered, report = render_clean(book_copy)
    links = tree(rendered.docs[1].body_html).xpath("//a[@href='#person-ada-writer']")
    assert [a.text for a in links] == ["Ada Writer"]
    assert [p["id"] for p in rendered.people] == ["person-ada-writer"]
    assert [g["id"] for g in rendered.glossary if g["term"] == "Nuée ardente"] == \
        ["gl-nuee-ardente"]


def test_a_data_tables_footnotes_go_under_it(book_copy):
    """Each cell of a table in tables/ is converted on its own: its footnote would
    share an id with the chapter's own first note and be lost. The notes are set under
    the table, lettered, each call linking to its note."""
    tables = book_copy / "tables" / "tables.yaml"
    tables.write_text(tables.read_text(encoding="utf-8").replace(
        '- [Origin, "1901 [@writer1901]", "1925"]',
        '- [Origin, "1901 [@writer1901]", "1925^[Adopted late.]"]').replace(
        "- [Leader, Ada Writer, Bea Critic]",
        "- [Leader, \"Ada Writer^[Born 1870.]\", Bea Critic]"), encoding="utf-8")
    chapter = book_copy / "chapters" / "01-first.md"
    chapter.write_text(chapter.read_text(encoding="utf-8") +
                       "\nA chapter note.^[The chapter's own note.]\n", encoding="utf-8")
    rendered, report = render_clean(book_copy)
    body = tree(rendered.docs[0].body_html)
    figure = body.xpath("//figure[@id='tbl-ch01-compare']")[0]
    calls = figure.xpath(".//a[@class='table-note-ref']")
    assert [(a.text, a.get("href")) for a in calls] == [
        ("a", "#tbl-ch01-compare-note-a"), ("b", "#tbl-ch01-compare-note-b")]
    notes = figure.xpath(".//ol[@class='table-notes']/li")
    assert [(li.get("id"), " ".join(li.text_content().split())) for li in notes] == [
        ("tbl-ch01-compare-note-a", "Adopted late."),
        ("tbl-ch01-compare-note-b", "Born 1870.")]
    assert not figure.xpath(".//div[@class='footnote'] | .//td/p")
    # the chapter's own note is whole, once
    ids = body.xpath("//@id")
    assert len(ids) == len(set(ids))
    assert "The chapter’s own note." in body.xpath("string(//div[@class='footnote'])")


def test_a_data_tables_columns_take_the_alignment_the_author_gives(book_copy):
    """A column of figures in a YAML table could not be set flush right as a pipe
    table's (``--:``) can: ``align:`` gives each column's, written as a pipe table's is
    (the same style in print and the EPUB); ``default`` leaves a column as it is."""
    tables = book_copy / "tables" / "tables.yaml"
    tables.write_text(tables.read_text(encoding="utf-8").replace(
        "  columns: [Year, Event]\n",
        "  columns: [Year, Event]\n  align: [right, default]\n", 1), encoding="utf-8")
    rendered, _ = render_clean(book_copy)
    body = tree(rendered.docs[1].body_html)
    table = body.xpath("//figure[@id='tbl-ch02-dates']//table")[0]
    styles = [[c.get("style") for c in row.xpath("th|td")] for row in table.xpath(".//tr")]
    assert styles == [["text-align: right;", None]] * 3
    # as many as there are columns, or an error at the line of align:
    tables.write_text(tables.read_text(encoding="utf-8").replace(
        "align: [right, default]", "align: [right]"), encoding="utf-8")
    report = reported(book_copy)
    line = tables.read_text(encoding="utf-8").splitlines().index("  align: [right]") + 1
    assert [(d.line, d.message) for d in report.errors] == [
        (line, "table 'tbl-ch02-dates': align: needs one alignment for each of its 2 "
         "columns, not 1 (`default` for a column left as it is)")]


def test_an_epigraph_stands_under_the_chapter_title_with_its_source_apart(book_copy):
    """``::: epigraph`` was a box (a frame and a thick edge), and one that opens the
    chapter came after its summary and objectives. It is an epigraph now (DPUB-ARIA's
    role, the EPUB's type), set under the chapter's title; a last line after a dash is
    its source; one further on stays where it stands."""
    from studyguide.writers import pdf
    add_to_chapter(book_copy, "\n::: epigraph\nA later *thought*.\n:::\n")
    chapter = book_copy / "chapters" / "01-first.md"
    text = chapter.read_text(encoding="utf-8")
    head = text.index("\n## ")
    chapter.write_text(text[:head] + "\n\n::: epigraph\nThe owl of Minerva flies at dusk.\n\n"
                       "— Hegel, *Philosophy of Right*\n:::\n" + text[head:], encoding="utf-8")
    rendered, report = render_clean(book_copy)
    doc = rendered.docs[0]
    lead = tree(doc.epigraph_html).xpath("//div[@role]")[0]
    assert (lead.get("class"), lead.get("role"), lead.get("data-epub-type")) == \
        ("epigraph", "doc-epigraph", "epigraph")
    assert [(p.get("class"), p.text_content()) for p in lead.xpath("p")] == [
        (None, "The owl of Minerva flies at dusk."),
        ("epigraph-source", "— Hegel, Philosophy of Right")]
    assert "owl of Minerva" not in doc.body_html
    second = rendered.docs[1]
    later = tree(second.body_html).xpath('//div[@class="epigraph"]')
    assert [d.text_content().strip() for d in later] == ["A later thought."]
    assert not second.epigraph_html and not later[0].xpath('.//*[@class="epigraph-source"]')
    # under the title, above the summary: in print and the EPUB alike (the shared template)
    part = tree(pdf.part_sources(rendered, False, "A4")["ch01"])
    header = part.xpath('//header[@class="chapter-head"]')[0]
    assert [c.get("class") for c in header] == ["chapter-number", "chapter-title", "epigraph",
                                                "summary", "objectives"]
    # print keeps the source's last two words together: no year or word alone on its line
    assert [s.text for s in header.xpath('.//p[@class="epigraph-source"]//span[@class="nobr"]')
            ] == ["of Right"]
    # a title is no epigraph's: said, not dropped without a word
    chapter.write_text(chapter.read_text(encoding="utf-8").replace(
        "::: epigraph\nThe owl", '::: {.epigraph title="Hegel"}\nThe owl'), encoding="utf-8")
    report = reported(book_copy)
    assert [d.message[:28] for d in report.warnings if "epigraph" in d.message] == [
        "an epigraph has no title: wr"]


def test_a_duplicate_id_in_the_same_file_is_reported_at_the_duplicate(book_copy):
    """"duplicate id 'sec-dynamic' (first defined at …:79)" was reported at line 79, the
    first heading's, so the error named one line twice and never the one to change."""
    chapter = add_to_chapter(book_copy, "## Again {#sec-gamma}\n\nText.\n\n"
                             "## Once more {#sec-gamma}\n\nMore text.")
    lines = chapter.read_text(encoding="utf-8").splitlines()
    first, second = (i + 1 for i, text in enumerate(lines) if "{#sec-gamma}" in text)
    report = reported(book_copy)
    assert [(d.line, d.message) for d in report.errors] == [
        (second, f"duplicate id 'sec-gamma' (first defined at chapters/02-second.md:{first})")]


def test_an_unknown_citation_key_names_the_nearest_key(book_copy):
    """"unknown citation key 'writer1910'" gave no hint, where a link to a missing id
    names the nearest id: the bibliography's nearest key is named too."""
    add_to_chapter(book_copy, "As shown [@writer1910] and [@zzz9999].")
    assert [d.message for d in reported(book_copy).errors] == [
        "unknown citation key 'writer1910' (the nearest key is 'writer1901')",
        "unknown citation key 'zzz9999'"]


def test_an_example_label_of_another_chapter_is_named_as_one(book_copy):
    """``(@combust)`` naming an example item of another chapter was reported as an
    "unknown citation key" alone: the error says whose item it is, and why."""
    first = book_copy / "chapters" / "01-first.md"
    first.write_text(first.read_text(encoding="utf-8") + "\n(@combust) Methane burns.\n",
                     encoding="utf-8")
    add_to_chapter(book_copy, "See example (@combust) there.")
    report = reported(book_copy)
    assert [d.message for d in report.errors] == [
        "unknown citation key 'combust': (@combust) numbers an example item of "
        "chapters/01-first.md, and an example's number is known only in its own file "
        "(refer to it there, or write its number)"]


def test_a_term_without_latin_letters_is_linked_by_its_own_words(book_copy):
    """A Cyrillic term's id is a hash ("gl-u3ad05d456f"), which an author could find
    only by unzipping the EPUB: a link may spell it with the term's words, in any case,
    and a missing id says so, with one such spelling."""
    glossary = book_copy / "data" / "glossary.yaml"
    glossary.write_text(glossary.read_text(encoding="utf-8") +
                        "- term: Гротеск\n  definition: Причудливое.\n", encoding="utf-8")
    add_to_chapter(book_copy, "Гротеск here; see [](#gl-гротеск) and [that](#gl-Гротеск).")
    rendered, _ = render_clean(book_copy)
    body = tree(rendered.docs[1].body_html)
    term = next(g["id"] for g in rendered.glossary if g["term"] == "Гротеск")
    links = [(a.get("href"), a.text_content()) for a in
             body.xpath("//a[contains(@href, '#gl-')][not(contains(@class, 'gloss'))]")]
    assert links == [(f"#{term}", "Гротеск"), (f"#{term}", "that")], links
    add_to_chapter(book_copy, "And [x](#gl-grotesk).")
    assert [d.message for d in reported(book_copy).errors] == [
        "link to missing id '#gl-grotesk' (a text without Latin letters is linked by its "
        "own words, as '#gl-гротеск')"]


def test_a_footnote_in_a_data_tables_note_is_lettered_under_it(book_copy):
    """A table's ``note:`` with a footnote of its own stopped the build with an
    unexpected failure (StopIteration) named at the chapter that places the table: the
    note's paragraph was set inside another and its footnote fell outside the note. It
    is lettered under the table with the cells' notes, the note a paragraph."""
    tables = book_copy / "tables" / "tables.yaml"
    tables.write_text(tables.read_text(encoding="utf-8").replace(
        '- [Leader, Ada Writer, Bea Critic]\n',
        '- [Leader, "Ada Writer^[Born 1870.]", Bea Critic]\n'
        '  note: Figures as reported.^[By the press.]\n', 1), encoding="utf-8")
    rendered, report = render_clean(book_copy)
    body = tree(rendered.docs[0].body_html)
    figure = body.xpath("//figure[@id='tbl-ch01-compare']")[0]
    [note] = figure.xpath(".//*[@class='table-note']")
    assert note.tag == "p" and " ".join(note.text_content().split()) == \
        "Figures as reported.b", note.text_content()
    notes = figure.xpath(".//ol[@class='table-notes']/li")
    assert [(li.get("id"), " ".join(li.text_content().split())) for li in notes] == [
        ("tbl-ch01-compare-note-a", "Born 1870."), ("tbl-ch01-compare-note-b", "By the press.")]


def test_an_inline_note_that_cites_is_a_note_not_a_citation(book_copy):
    """``^[Compare @writer1901, who argues …]`` in a table's ``note:`` printed a stray
    "^" and the note's text as a parenthetical citation, "(Compare Writer 1901, who
    argues.)": its brackets were read as a citation's. It is a note, lettered under the
    table, whose text cites the work in the text, as pandoc reads it; in a chapter's
    text, a footnote."""
    tables = book_copy / "tables" / "tables.yaml"
    tables.write_text(tables.read_text(encoding="utf-8").replace(
        '- [Leader, Ada Writer, Bea Critic]\n',
        '- [Leader, "Ada Writer^[Born 1870.]", Bea Critic]\n'
        '  note: Sources disagree.^[Compare @writer1901, who argues.]\n', 1),
        encoding="utf-8")
    add_to_chapter(book_copy, "Text.^[Compare @writer1901, who argues.] More text.")
    rendered, _ = render_clean(book_copy)
    figure = tree(rendered.docs[0].body_html).xpath("//figure[@id='tbl-ch01-compare']")[0]
    [note] = figure.xpath(".//*[@class='table-note']")
    assert " ".join(note.text_content().split()) == "Sources disagree.b"
    notes = figure.xpath(".//ol[@class='table-notes']/li")
    assert [" ".join(li.text_content().split()) for li in notes] == [
        "Born 1870.", "Compare Writer (1901), who argues."]
    body = tree(rendered.docs[1].body_html)
    [paragraph] = [p for p in body.iter("p") if p.text == "Text."]
    assert "^" not in paragraph.text_content() and paragraph.find("sup") is not None
    [footnote] = [li for li in body.xpath("//div[@class='footnote']//li")
                  if "argues" in li.text_content()]
    assert " ".join(footnote.text_content().split()).startswith(
        "Compare Writer (1901), who argues.")


def test_an_error_in_the_glossary_or_a_table_is_not_followed_by_missing_warnings(
        book_copy):
    """A glossary entry with a misspelt key is an error; a chapter's key term naming that
    entry was also reported "not in the glossary", and an index entry mentioned only in
    a table with an error "mentioned nowhere": noise beside the real error, which the
    docs say a file in error does not make."""
    glossary = book_copy / "data" / "glossary.yaml"
    glossary.write_text(glossary.read_text(encoding="utf-8").replace(
        "  aliases: [beta theory]\n", "  alias: [beta theory]\n", 1), encoding="utf-8")
    (book_copy / "data" / "index.yaml").write_text(
        "- heading: Origin\n  forms: [Origin]\n", encoding="utf-8")
    tables = book_copy / "tables" / "tables.yaml"
    tables.write_text(tables.read_text(encoding="utf-8").replace(
        '- [Origin, "1901 [@writer1901]", "1925"]',
        '- [Origin, "1901 [@writer1901]", "1925", "an extra cell"]', 1), encoding="utf-8")
    report = reported(book_copy)
    assert {d.path.split("/")[-1] for d in report.errors} == {"glossary.yaml", "tables.yaml"}, \
        report.errors
    assert not [d for d in report.warnings if "not in the glossary" in d.message or
                "mentioned nowhere" in d.message], report.warnings


def test_a_footnote_in_a_data_files_text_is_an_error(book_copy):
    add_term(book_copy, "Gamma idea", "Noted.^[A note.]")
    report = reported(book_copy)
    assert [(d.path.split("/")[-1], d.line, d.message[:24]) for d in report.errors] == [
        ("glossary.yaml", 4, "a footnote cannot go her")]


def test_print_keeps_a_markdown_table_that_fits_a_page_whole(rb):
    from studyguide.writers.pdf import print_typography
    rows = lambda n: "".join(f"<tr><td>Row {i}</td><td>{i}</td></tr>" for i in range(n))  # noqa: E731
    html = ("<!DOCTYPE html><html><head><title>t</title></head><body>"
            f"<table id='short'>{rows(4)}</table><table id='long'>{rows(90)}</table>"
            f"<table class='chronology' id='chrono'>{rows(4)}</table></body></html>")
    out = tree(print_typography(html, rb, "A4"))
    assert {t.get("id"): t.get("class") for t in out.iter("table")} == {
        "short": "whole", "long": None, "chrono": "chronology"}


def test_running_heads_from_attributes_get_typographic_quotes(rb):
    """A handout's running head (its chapter's short title) and the book's title come
    from the body's attributes, which SmartyPants passes over."""
    from studyguide.writers.pdf import print_typography
    html = ('<!DOCTYPE html><html><head><title>t</title></head><body data-book-title='
            '"L\'eau" data-running="Structure d\'un volcan"><p>Text.</p></body></html>')
    body = lxml_html.document_fromstring(print_typography(html, rb, "A4")).find("body")
    assert (body.get("data-book-title"), body.get("data-running")) == \
        ("L\u2019eau", "Structure d\u2019un volcan")


def test_a_rows_heading_cell_is_indexed_and_a_columns_is_not(book_copy):
    tables = book_copy / "tables" / "tables.yaml"
    text = tables.read_text(encoding="utf-8")
    assert "- [Leader, Ada Writer, Bea Critic]" in text
    tables.write_text(text.replace("- [Leader, Ada Writer, Bea Critic]",
                                   "- [Ada Writer, led alpha, Bea Critic]").replace(
        "columns: [Aspect, Alpha, Beta]", "columns: [Ada Writer, Alpha, Beta]", 1),
        encoding="utf-8")
    rendered, report = render_clean(book_copy)
    figure = tree(rendered.docs[0].body_html).xpath("//figure[@id='tbl-ch01-compare']")[0]
    marked = figure.xpath(".//tbody/tr/th//*[@class='index-term' or @class='gloss']")
    assert [" ".join(m.text_content().split()) for m in marked] == ["Ada Writer"]
    assert not figure.xpath(".//thead//*[@class='index-term']")
    refs = {e["term"]: e["refs"] for e in rendered.index}["Ada Writer"]
    assert ("ch01", marked[0].get("id")) in refs


def test_print_sizes_a_picture_by_its_width_in_pixels(rb):
    from studyguide.writers.pdf import print_typography
    html = ('<!DOCTYPE html><html><head><title>t</title></head><body><p>An icon '
            '<img src="a.png" alt="icon" width="12"> and <img src="b.png" alt="b" '
            'width="40" style="height: 1cm"> and <img src="c.png" alt="c"></p></body></html>')
    imgs = list(tree(print_typography(html, rb, "A4")).iter("img"))
    assert [i.get("style") for i in imgs] == ["width: 12px", "height: 1cm; width: 40px", None]


def test_a_titles_plain_text_is_set_as_the_book_sets_it(book_copy):
    """The EPUB's page titles, contents and link texts use a chapter's title as plain
    text: its quotes typographic and its emphasis marks read, as in the heading."""
    chapter = book_copy / "chapters" / "02-second.md"
    chapter.write_text(chapter.read_text(encoding="utf-8").replace(
        "title: The Second Chapter", "title: \"Beta's *practice*\"", 1), encoding="utf-8")
    rendered, report = render_clean(book_copy)
    assert rendered.docs[1].title == "Beta\u2019s practice"
    assert rendered.targets["ch02"].title == "Beta\u2019s practice"
    assert [e.title for e in rendered.spine if e.id == "ch02"] == ["Beta\u2019s practice"]


def test_two_note_calls_in_a_row_are_parted_by_a_comma(book_copy):
    chapter = book_copy / "chapters" / "02-second.md"
    chapter.write_text(chapter.read_text(encoding="utf-8") +
                       "\nTwo notes at once.[^p][^q]\n\n[^p]: One.\n\n[^q]: Two.\n",
                       encoding="utf-8")
    rendered, _ = render_clean(book_copy)
    body = tree(rendered.docs[1].body_html)
    sups = body.xpath("//p[contains(., 'Two notes at once')]/sup")
    assert [(s.get("class"), s.text_content()) for s in sups] == [(None, "2"),
                                                                   ("fn-next", ",3")]
    from studyguide.writers.pdf import footnotes_to_floats
    floated = tree(footnotes_to_floats(rendered.docs[1].body_html))
    assert [s.get("class") for s in floated.xpath(      # (kept with the word before)
        "//p[contains(., 'Two notes at once')]/span[@class='fn-hold']/span")] == \
        ["fn", "fn fn-next"]


def test_a_further_reading_citation_ends_before_its_note(book_copy):
    """An author-date citation ("Writer 1901") is no sentence: before its note it takes
    a full stop, or the note runs on from it."""
    chapter = book_copy / "chapters" / "01-first.md"
    text = chapter.read_text(encoding="utf-8")
    chapter.write_text(text.replace("key_terms:", "further_reading:\n  - cite: writer1901\n"
                                    "    note: The first statement.\nkey_terms:", 1),
                       encoding="utf-8")
    rendered, _ = render_clean(book_copy)
    (entry,) = rendered.docs[0].further_reading
    assert tree(entry["cite"]).text_content().endswith(".")
    assert not tree(entry["cite"]).text_content().endswith("..")


def test_the_master_tables_cells_link_as_a_chapters_do(book_copy):
    """A cross-reference in a cell of the master table (the appendix) is filled in with
    its number and title, as in a chapter's table; a link to a missing id there is an
    error at the table's file."""
    tables = book_copy / "tables" / "tables.yaml"
    text = tables.read_text(encoding="utf-8")
    assert "- [Core claim, Alpha first, Beta first]" in text
    tables.write_text(text.replace(
        "- [Core claim, Alpha first, Beta first]",
        '- [Core claim, "Alpha first: [](#sec-beta)", "Beta first, [the rest](#sec-beta)"]'),
        encoding="utf-8")
    rb, _ = render_clean(book_copy)
    cells = tree(rb.master_table).xpath("//td")
    assert cells[0].text_content() == "Alpha first: Section 1.2, “The beta theory”"
    assert cells[0].xpath("a/@href") == ["#sec-beta"]
    assert cells[1].text_content() == "Beta first, the rest"
    tables.write_text(text.replace("- [Core claim, Alpha first, Beta first]",
                                   '- [Core claim, "[](#sec-nowhere)", Beta first]'),
                      encoding="utf-8")
    report = reported(book_copy)
    assert [(Path(d.path).relative_to(book_copy).as_posix(), d.line, d.message)
            for d in report.errors] == [
        ("tables/tables.yaml", 13, "link to missing id '#sec-nowhere'")], report.errors


def test_a_heading_that_skips_a_level_or_a_second_title_is_a_warning(book_copy):
    """Sections start at ``##`` and go down one level at a time: a skip, or a ``#``
    heading inside a chapter, breaks the outline (and the tagged PDF's heading order),
    and is a warning at its line."""
    chapter = book_copy / "chapters" / "02-second.md"
    text = chapter.read_text(encoding="utf-8")
    chapter.write_text(text.replace("## Closing words", "#### Too deep\n\nText.\n\n"
                                    "# A second title\n\n### Fine after it\n\n"
                                    "## Closing words", 1), encoding="utf-8")
    line = text[:text.index("## Closing words")].count("\n") + 1
    _, report = render_clean(book_copy)
    found = [(d.line, d.message) for d in report.warnings if "heading" in d.message
             or "title" in d.message]
    assert found == [
        (line, "heading '#### Too deep' skips a level after a '##' heading: use '###'"),
        (line + 4, "'# A second title' is a second title: the document's title is its "
                   "front matter's title:, and its sections start at '##'")], found


def test_math_and_citations_in_an_images_title_and_alt_text(book_copy):
    """An image's title is its figure's caption: math and a citation in it are set as
    in any text, and the figure keeps its number, caption and size; in an inline
    picture's title and alt text they are plain text (they broke the figure, printing
    the rest of the tag as text)."""
    import shutil
    (book_copy / "images").mkdir(exist_ok=True)
    shutil.copy(Path(__file__).parent / "fixtures" / "pandoc" / "images" / "dot.png",
                book_copy / "images")
    picture = "dot.png"
    chapter = book_copy / "chapters" / "02-second.md"
    chapter.write_text(chapter.read_text(encoding="utf-8").replace(
        "## Closing words",
        f'![A wave.](../images/{picture} "A graph of $y = \\sin x$ after [@writer1901]")'
        "{#fig-wave width=50%}\n\nSee [](#fig-wave). An inline "
        f'![a sign $x$ [@writer1901]](../images/{picture} "the $z$ sign") here.\n\n'
        "## Closing words", 1), encoding="utf-8")
    rb, report = render_clean(book_copy)
    assert not report.warnings, report.warnings
    body = next(d.body_html for d in rb.docs if "fig-wave" in d.body_html)
    t = tree(body)
    figure = t.xpath('//figure[@id="fig-wave"]')[0]
    caption = figure.find("figcaption")
    assert " ".join(caption.text_content().split()).startswith(
        "Figure 2.1. A graph of"), caption.text_content()
    assert caption.xpath(".//math") and caption.xpath('.//span[@class="citation"]')
    assert "50%" in (figure.find("img").get("style") or "") + figure.find("img").get(
        "width", "")
    assert "See Figure 2.1." in " ".join(t.text_content().split())
    inline = [img for img in t.iter("img") if img.getparent().tag != "figure"][0]
    assert inline.get("title") == "the $z$ sign"
    assert inline.get("alt") == "a sign $x$ (Writer 1901)", inline.get("alt")
    assert "src=" not in t.text_content() and "/>" not in t.text_content()


def test_code_in_an_images_title_and_alt_text(book_copy):
    """Inline code in a figure's caption (its image's title, or its alt text where it
    has none) is code, as its emphasis is emphasis (the backticks went, and the code's
    letters were set as text); in an inline picture's title and alt text, the code's
    letters are the text, without the backticks."""
    import shutil
    (book_copy / "images").mkdir(exist_ok=True)
    shutil.copy(Path(__file__).parent / "fixtures" / "pandoc" / "images" / "dot.png",
                book_copy / "images")
    add_to_chapter(book_copy, '![Alt one line.](../images/dot.png "Caption with `a[2]` code '
                   'and *emph*"){#fig-c1}\n\n![The `b[0]` cell.](../images/dot.png){#fig-c2}'
                   '\n\nSee [](#fig-c1). An inline ![a `c` sign](../images/dot.png "the `d` '
                   'sign") here, and `e` in code.')
    rb, report = render_clean(book_copy)
    assert not report.warnings, report.warnings
    t = tree(next(d.body_html for d in rb.docs if "fig-c1" in d.body_html))
    captions = [t.xpath(f'//figure[@id="{f}"]/figcaption')[0] for f in ("fig-c1", "fig-c2")]
    assert [[c.text for c in cap.iter("code")] for cap in captions] == [["a[2]"], ["b[0]"]]
    assert [e.text for e in captions[0].iter("em")] == ["emph"]
    assert " ".join(captions[0].text_content().split()) == \
        "Figure 2.1. Caption with a[2] code and emph"
    inline = [img for img in t.iter("img") if img.getparent().tag != "figure"][0]
    assert (inline.get("title"), inline.get("alt")) == ("the d sign", "a c sign")
    assert [c.text for c in t.xpath("//p[contains(., 'An inline')]//code")] == ["e"]
    assert "\ue002" not in lxml_html.tostring(t, encoding="unicode")


def test_math_ending_in_an_escaped_brace_and_display_math_over_lines(book_copy):
    """``$A = \\{1, 2\\}$`` is math (its last character may be escaped), and a display
    formula whose line begins as a block would (``> 0``) stays one formula, in a block
    quote too: both printed as TeX text before, the second as a block quote."""
    chapter = book_copy / "chapters" / "02-second.md"
    chapter.write_text(chapter.read_text(encoding="utf-8").replace(
        "## Closing words",
        "The set $A = \\{1, 2\\}$ and the test\n$$\nf''(a)\n> 0\n$$\nfor a minimum.\n\n"
        "> Quoted: $$x\n> + 1$$ here.\n\n## Closing words", 1), encoding="utf-8")
    rb, _ = render_clean(book_copy)
    body = next(d.body_html for d in rb.docs if "for a minimum" in d.body_html)
    t = tree(body)
    alts = [m.get("alttext") for m in t.iter("{*}math", "math")]
    assert alts == ["A = \\{1, 2\\}", "f''(a)\n> 0", "x\n+ 1"], alts   # lines kept
    para = t.xpath("//p[contains(., 'for a minimum')]")[0]
    assert "$" not in para.text_content() and not t.xpath("//blockquote[not(p/math)]")


def test_a_wrapped_alt_text_and_a_caret_in_maths_keep_figure_and_note(book_copy):
    """An image whose alt text runs onto the next line keeps its figure when its title
    holds maths (the maths went into the attribute: the tag's rest printed as text, the
    figure lost its number and width); a note right after a formula with a caret in it
    is a note (it printed as "^[…]")."""
    import shutil
    (book_copy / "images").mkdir(exist_ok=True)
    shutil.copy(Path(__file__).parent / "fixtures" / "pandoc" / "images" / "dot.png",
                book_copy / "images")
    add_to_chapter(book_copy, '![Alt text over\ntwo lines.](../images/dot.png "Both $O(n)$ '
                   'and $O(n^2)$ grow"){#fig-growth width=40%}\n\nSee [](#fig-growth). '
                   "Sorting takes $O(n^2)$^[When the pivot is the smallest.] at worst.")
    rb, report = render_clean(book_copy)
    assert not report.warnings, report.warnings
    t = tree(next(d.body_html for d in rb.docs if "fig-growth" in d.body_html))
    figure = t.xpath('//figure[@id="fig-growth"]')[0]
    assert len(figure.xpath(".//figcaption//math")) == 2
    assert "See Figure 2.1." in " ".join(t.text_content().split())
    assert "^[" not in t.text_content() and "When the pivot" not in \
        t.xpath("string(//p[contains(., 'Sorting takes')])")
    assert t.xpath("//*[contains(@class, 'footnote')]//*[contains(., 'When the pivot')]")


def test_an_index_span_may_carry_an_id_and_other_attributes(book_copy):
    """``[text]{.index}`` with an id, an entry and another class, in any order, is an
    index mark (it was dropped, with a warning for ``entry`` or none at all); its id
    stays the author's, so a link to it leads there."""
    chapter = book_copy / "chapters" / "02-second.md"
    chapter.write_text(chapter.read_text(encoding="utf-8").replace(
        "## Closing words",
        'The [theorem of Rolle]{.index entry="Rolle, theorem of" #rolle}, [Fermat]{#fermat '
        ".index} and [Bolzano]{.smallcaps .index}. See [the theorem](#rolle).\n\n"
        "## Closing words", 1), encoding="utf-8")
    rb, report = render_clean(book_copy)
    assert not report.warnings, report.warnings
    index = {e["term"]: e["refs"] for e in rb.index}
    assert index["Rolle, theorem of"] == [("ch02", "rolle")]
    assert index["Fermat"] == [("ch02", "fermat")]
    assert [d for d, _ in index["Bolzano"]] == ["ch02"]
    body = tree(next(d.body_html for d in rb.docs if "Bolzano" in d.body_html))
    assert body.xpath('//span[@id="rolle"]')[0].text == "theorem of Rolle"
    assert "smallcaps" in body.xpath("//span[.='Bolzano']")[0].get("class")


def test_an_index_spans_attributes_may_wrap_onto_the_next_line(book_copy):
    """A hard-wrapped ``[text]{.index`` / ``entry="…"}`` is an index mark, as pandoc
    reads it (its attributes were printed and the entry lost, without a word); the
    lines after it keep their numbers in messages."""
    chapter = add_to_chapter(book_copy, "The revolutionary [tribunals]{.index\n"
                             'entry="Terror!tribunals"} sat daily.\n\n'
                             "See [nothing](#no-such-id).")
    rb, report = rendered_book(book_copy)
    assert "tribunals" in str([e for e in rb.index if e["term"] == "Terror"]), rb.index
    body = next(d.body_html for d in rb.docs if "sat daily" in d.body_html)
    assert "{.index" not in body and 'tribunals"}' not in body and ' entry=' not in body
    lines = chapter.read_text(encoding="utf-8").split("\n")
    missing = [d for d in report.diagnostics if "no-such-id" in d.message]
    assert [d.line for d in missing] == [1 + next(i for i, s in enumerate(lines)
                                                  if "no-such-id" in s)], missing


def test_a_chapter_that_cannot_be_read_gives_its_own_errors_only(book_copy):
    """A chapter whose front matter is broken is reported at its line; the links to its
    ids from other chapters, and the table, terms and sources only it uses, are not
    reported as missing or unused besides (they were, in other files)."""
    chapter = book_copy / "chapters" / "01-first.md"
    chapter.write_text(chapter.read_text(encoding="utf-8").replace(
        "title: The First Chapter", "title: The First Chapter\nsummary: [broken: yaml", 1),
        encoding="utf-8")
    report = reported(book_copy)
    assert [(Path(d.path).name, d.line) for d in report.diagnostics] == \
        [("01-first.md", 3)], report.diagnostics    # (the line of the open list)


def test_a_formula_in_a_title_reads_as_its_tex_in_plain_text(book_copy):
    """Where a title is plain text (the contents, the EPUB's navigation, a cross-
    reference's words), a formula in it reads as its TeX: "x^n", not "xn"."""
    chapter = book_copy / "chapters" / "02-second.md"
    text = chapter.read_text(encoding="utf-8")
    chapter.write_text(text.replace("title: The Second Chapter", "title: The function $e^x$", 1)
                       .replace("## Closing words", "## The derivative of $x^n$ {#sec-xn}\n\n"
                                "See [](#sec-xn).\n\n## Closing words", 1), encoding="utf-8")
    rb, _ = render_clean(book_copy)
    doc = next(d for d in rb.docs if "sec-xn" in d.body_html)
    assert [s["title"] for s in doc.sections if s["id"] == "sec-xn"] == \
        ["The derivative of x^n"]
    assert "See Section 2.2, “The derivative of x^n”." in " ".join(
        tree(doc.body_html).text_content().split())
    assert any(e.title == "The function e^x" for e in rb.spine), [e.title for e in rb.spine]


@pytest.mark.parametrize("language, order", [
    ("es", ["Nube", "Número", "Ñandú", "Oro"]),       # ñ, a letter of its own, after n
    ("en-GB", ["Ñandú", "Nube", "Número", "Oro"]),    # the root collation: ñ with n
])
def test_the_glossary_sorts_as_the_books_language_does(book_copy, language, order):
    for term in ("Ñandú", "Oro", "Número", "Nube"):
        add_term(book_copy, term, f"The word {term}.")
    yaml = book_copy / "book.yaml"
    yaml.write_text(re.sub(r"(?m)^language: .*$", f"language: {language}",
                           yaml.read_text(encoding="utf-8")), encoding="utf-8")
    report = Reporter(book_copy)
    rb = render_book(load_book(book_copy, report), report)
    terms = [g["term"] for g in rb.glossary if g["term"] in order]
    assert terms == order, terms


def test_the_printed_contents_set_titles_as_the_headings_do(book_copy):
    """The printed contents keep a title's italics (a book's title inside a chapter's or
    a section's), without the heading's links or ids, which are its own."""
    from studyguide.writers import pdf
    chapter = book_copy / "chapters" / "02-second.md"
    chapter.write_text(chapter.read_text(encoding="utf-8").replace(
        "title: The Second Chapter", "title: The Second Chapter and *Lyrical Ballads*", 1)
        .replace("## Closing words", "## Reading *The Prelude* and [it]{#sp .index}\n\n"
                 "Text.\n\n## Closing words", 1), encoding="utf-8")
    rb, _ = render_clean(book_copy)
    front = pdf.front_source(rb, False, "A4", {})
    toc = tree(front).xpath('//nav[@id="contents"]')[0]
    html_toc = lxml_html.tostring(toc, encoding="unicode")
    assert "The Second Chapter and <em>Lyrical Ballads</em>" in html_toc
    # (the title's last word goes with its leader and page: _toc_last_words)
    assert "Reading <em>The Prelude</em> and <span class=\"toc-end\">it" in html_toc
    assert 'id="sp"' not in html_toc and not toc.xpath(".//a//a")


def test_an_unknown_further_reading_key_is_one_error(book_copy):
    """A further-reading entry naming no bibliography entry is one error, at its line
    (it was reported again as an unknown citation key)."""
    chapter = book_copy / "chapters" / "01-first.md"
    chapter.write_text(chapter.read_text(encoding="utf-8").replace(
        "questions:", "further_reading:\n  - cite: nobody1999\nquestions:", 1),
        encoding="utf-8")
    report = reported(book_copy)
    assert [d.message for d in report.errors] == [
        "further_reading: unknown bibliography key 'nobody1999'"], report.errors


def test_a_glossary_term_inside_an_index_mark_is_a_use(book_copy):
    """A glossary term the author also marks for the index (``[term]{.index}``) is
    linked there and counts as used (it was "never used", failing --strict)."""
    add_term(book_copy, "Holy tongue", "Hebrew as the language of prayer.")
    chapter = book_copy / "chapters" / "02-second.md"
    chapter.write_text(chapter.read_text(encoding="utf-8").replace(
        "## Closing words", "Hebrew was the [Holy tongue]{.index} then.\n\n## Closing words",
        1), encoding="utf-8")
    rb, report = render_clean(book_copy)
    assert not [d for d in report.warnings if "Holy tongue" in d.message], report.warnings
    body = tree(next(d.body_html for d in rb.docs if "Holy tongue" in d.body_html))
    assert body.xpath("//span[contains(@class, 'index-term')]/a[@class='gloss']")
    assert "Holy tongue" in {e["term"] for e in rb.index}


def test_glossary_terms_are_linked_and_used_in_back_matter(book_copy):
    """A back-matter page holds what a chapter may: a glossary term in its running text
    is linked at its first use there, and counts as used (it was "never used in a
    chapter", while the index listed its page)."""
    add_term(book_copy, "Water bath", "A vessel of hot water.")
    glossary = book_copy / "data" / "glossary.yaml"
    glossary.write_text(glossary.read_text(encoding="utf-8").replace(
        "- term: Water bath\n", "- term: Water bath\n  aliases: [water bath]\n"),
        encoding="utf-8")
    page = book_copy / "back" / "exercise.md"
    page.write_text(page.read_text(encoding="utf-8").replace(
        "and compare them.", "and compare them. Warm them in a water bath."),
        encoding="utf-8")
    rb, report = render_clean(book_copy)
    assert not [d for d in report.warnings if "Water bath" in d.message], report.warnings
    links = tree(rb.back[0].body_html).xpath("//a[@class='gloss']")
    assert [(a.get("href"), a.text) for a in links] == [("#gl-water-bath", "water bath")]


def test_generated_titles_leave_out_note_calls_and_links(book_copy):
    """A note called from a heading or a table's caption is no part of its title where
    the book generates it (the contents, the EPUB's navigation, a cross-reference's
    words), as in pandoc; nor is a link in a chapter's title, whose contents line is a
    link of its own (print would add the web address after it)."""
    from studyguide.writers import pdf
    chapter = book_copy / "chapters" / "02-second.md"
    chapter.write_text(chapter.read_text(encoding="utf-8").replace(
        "title: The Second Chapter", "title: The Second Chapter and the "
        "[RSPB](https://www.rspb.org.uk)", 1).replace(
        "## Closing words", "## Gannets[^g] {#sec-g}\n\n[^g]: A note.\n\nSee [](#sec-g).\n\n"
        "| Bird | Count |\n|---|---|\n| Gannet | 2 |\n\n"
        "Table: Birds of the riverbank[^t] {#tbl-rb}\n\n[^t]: Rounded.\n\n"
        "## Closing words", 1), encoding="utf-8")
    rb, _ = render_clean(book_copy)
    doc = rb.docs[1]
    assert [(s["title"], s["html"]) for s in doc.sections if s["id"] == "sec-g"] == \
        [("Gannets", "Gannets")]
    assert rb.targets["tbl-rb"].title == "Birds of the riverbank"
    assert "See Section 2.2, “Gannets”." in " ".join(
        tree(doc.body_html).text_content().split())
    assert tree(doc.body_html).xpath("//h2[@id='sec-g']/sup/a[@class='footnote-ref']")
    toc = tree(pdf.front_source(rb, False, "A4", {})).xpath('//nav[@id="contents"]')[0]
    lines = [" ".join(a.text_content().split()) for a in toc.xpath(".//a")]
    assert "2 The Second Chapter and the RSPB" in lines and "2.2 Gannets" in lines, lines
    assert not toc.xpath(".//sup | .//span[@class='address']")


def test_each_dropped_attribute_or_element_is_reported_at_its_own_line(book_copy):
    """An attribute or element a book may not use is reported wherever it is written,
    each at its line and naming its element: not once, at the line of its first use."""
    chapter = book_copy / "chapters" / "02-second.md"
    text = chapter.read_text(encoding="utf-8")
    added = ("First [one]{foo=bar}.\n\nSecond paragraph.\n\n"
             "Third paragraph with [two]{foo=baz}.\n\n"
             "::: {.note foo=bar}\nBox.\n:::\n\nSome <blink>text</blink>.\n\n"
             "[span]{.field data-z=3 foo=bar} and <blink>more</blink>.\n\n")
    chapter.write_text(text.replace("## Closing words", added + "## Closing words", 1),
                       encoding="utf-8")
    first = text[:text.index("## Closing words")].count("\n") + 1
    report = reported(book_copy)
    found = [(d.line - first, d.message.split(" is not")[0]) for d in report.warnings
             if "a book may" in d.message]
    assert found == [(0, "attribute 'foo' of <span>"), (4, "attribute 'foo' of <span>"),
                     (6, "attribute 'foo' of <aside>"), (10, "<blink>"),
                     (12, "attribute 'foo' of <span>"), (12, "<blink>")], found


def test_a_first_heading_that_skips_a_level_is_told_what_the_first_should_be(book_copy):
    """A document's first heading below ``##`` skips the sections' level: the warning
    says the first heading should be ``##`` (the title is the one ``#``), not that it
    follows a heading the document does not have."""
    chapter = book_copy / "chapters" / "02-second.md"
    chapter.write_text(chapter.read_text(encoding="utf-8").replace(
        "## Beta in practice", "### Beta in practice", 1), encoding="utf-8")
    page = book_copy / "back" / "exercise.md"
    page.write_text(page.read_text(encoding="utf-8").replace(
        "## The task", "#### The task", 1), encoding="utf-8")
    _, report = render_clean(book_copy)
    found = [(Path(d.path).name, d.message) for d in report.warnings if "heading" in d.message]
    assert found == [
        ("02-second.md", "heading '### Beta in practice' skips a level: the chapter's first "
                         "heading should be '##' (the title, from the front matter's title:, "
                         "is its one '#' heading)"),
        ("exercise.md", "heading '#### The task' skips a level: the page's first heading "
                        "should be '##' (the title, from the front matter's title:, is its "
                        "one '#' heading)")], found


def test_an_empty_link_to_a_target_without_number_or_title_is_reported(book_copy):
    """``[](#id)`` fills in a number or a title: a code block, a paragraph, a div, a
    list item have neither, and their content is no name for them. Such a link is a
    warning at its own line that asks for the link's text, and prints the id; a
    heading, a titled box or a definition's term is called by its title."""
    chapter = add_to_chapter(book_copy, (
        '```python {#lst-euler}\nimport numpy as np  # numerics\ng = 9.81\n```\n\n'
        'A plain paragraph.\n{#par-x}\n\n::: {#div-x}\nInside a div.\n:::\n\n'
        '::: {#box-x .note title="A titled box"}\nInside a box.\n:::\n\n'
        '- [an item]{#span-x}\n\n#### A deep heading {#h4-x}\n\n'
        'See [](#lst-euler) and [](#par-x),\n[](#div-x), [](#box-x), [](#span-x), '
        '[](#h4-x).\n\nAgain [](#lst-euler); [the listing](#lst-euler).'))
    lines = chapter.read_text(encoding="utf-8").split("\n")
    at = {n: i + 1 for i, line in enumerate(lines) for n in ("See ", "[](#div-x)", "Again")
          if line.startswith(n)}
    rb, report = rendered_book(book_copy)
    assert not report.errors, report.errors
    links = [(a.get("href")[1:], a.text_content())
             for a in tree(rb.docs[1].body_html).iter("a") if a.get("href", "") in (
                 "#lst-euler", "#par-x", "#div-x", "#box-x", "#span-x", "#h4-x")]
    assert links == [("lst-euler", "lst-euler"), ("par-x", "par-x"), ("div-x", "div-x"),
                     ("box-x", "A titled box"), ("span-x", "span-x"),
                     ("h4-x", "A deep heading"), ("lst-euler", "lst-euler"),
                     ("lst-euler", "the listing")], links
    found = sorted((d.line, re.search(r"\[\]\(#([\w-]+)\)", d.message).group(1))
                   for d in report.warnings if "has no text" in d.message)
    assert found == [(at["See "], "lst-euler"), (at["See "], "par-x"),
                     (at["[](#div-x)"], "div-x"), (at["[](#div-x)"], "span-x"),
                     (at["Again"], "lst-euler")], found
    assert any("[the listing](#lst-euler)" in d.message for d in report.warnings)


@pytest.mark.parametrize("style, febvre, writer", [
    ("chicago-author-date", "Febvre and Martin 1976", "Writer 1901"),
    ("chicago-notes-bibliography",
     "Lucien Febvre and Henri-Jean Martin, The Coming of the Book (1976)",
     "Writer, The Alpha Doctrine")])
def test_an_empty_link_to_a_bibliography_entry_prints_its_citation(book_copy, style,
                                                                    febvre, writer):
    """``[](#ref-KEY)`` is filled with the entry's citation as the book's style gives it,
    without its brackets (a note style: its author and work, as a note gives them),
    and the entry a link leads to is listed even if nothing cites it; it printed
    nothing. A key the bibliography lacks is an error at the link's line."""
    import json
    refs = book_copy / "references.json"
    refs.write_text(json.dumps(json.loads(refs.read_text(encoding="utf-8")) + [
        {"id": "febvre1976", "type": "book", "title": "The Coming of the Book",
         "author": [{"family": "Febvre", "given": "Lucien"},
                    {"family": "Martin", "given": "Henri-Jean"}],
         "issued": {"date-parts": [[1976]]}}]), encoding="utf-8")
    book_yaml = book_copy / "book.yaml"
    book_yaml.write_text(book_yaml.read_text(encoding="utf-8").replace(
        "csl: chicago-author-date", f"csl: {style}"), encoding="utf-8")
    chapter = add_to_chapter(book_copy, "See [](#ref-febvre1976), [](#ref-writer1901)\n"
                             "and [](#ref-nokey).")
    line = chapter.read_text(encoding="utf-8").split("\n").index("and [](#ref-nokey).") + 1
    rb, report = rendered_book(book_copy)
    links = {a.get("href"): a.text_content() for a in tree(rb.docs[1].body_html).iter("a")
             if a.get("href") in ("#ref-febvre1976", "#ref-writer1901")
             and not a.get("role")}
    assert links == {"#ref-febvre1976": febvre, "#ref-writer1901": writer}, links
    assert "ref-febvre1976" in [e.get("id") for e in rb.bibliography]
    assert not [d for d in report.warnings if "febvre1976" in d.message], report.warnings
    assert [(d.line, d.message) for d in report.errors] == [
        (line, "link to missing id '#ref-nokey': the bibliography has no entry 'nokey'")]


def test_the_ids_the_builder_gives_have_their_tables_line(rb):
    """A table's rows and note have ids the source never writes: their line is the
    table's, not the chapter title's, which told the print preflight that a page
    holding a table's rows holds the chapter's first line."""
    table = rb.id_lines["tbl-ch02-dates"]
    assert [rb.id_lines[f"tbl-ch02-dates-r{n}"] for n in (1, 2)] == [table, table]
    assert table[1] > rb.id_lines["ch02"][1]


def test_a_headings_line_is_found_by_its_words(book_copy):
    """A heading without an id of its own is placed at its line though its printed
    title differs from its source (a curly apostrophe for a straight one, emphasis), and
    a second heading of the same words at the second's line; it was placed at the
    chapter's title line, and so every page after it, for the print preflight."""
    chapter = add_to_chapter(book_copy, "## Vollmar's *isolated* state\n\nText.\n\n"
                                        "### Notes\n\nText.\n\n### Notes\n\nMore.")
    lines = chapter.read_text(encoding="utf-8").split("\n")
    rb, _ = rendered_book(book_copy)
    found = {ident: line for ident, (_, line) in rb.id_lines.items()
             if ident.startswith(("ch02-vollmar", "ch02-notes"))}
    assert found == {"ch02-vollmars-isolated-state": lines.index(
                         "## Vollmar's *isolated* state") + 1,
                     "ch02-notes": lines.index("### Notes") + 1,
                     "ch02-notes-1": len(lines) - lines[::-1].index("### Notes")}, found


def test_html_shown_in_any_code_block_is_the_codes_text(book_copy):
    """Raw HTML that fetches or runs something is refused at its line, but in code (an
    indented block, a fenced block in a list item or a block quote) it is text the
    book shows, and no error."""
    shown = '<img src="https://example.org/x.png"> <script>alert(1)</script>'
    chapter = add_to_chapter(book_copy, (
        f"Indented:\n\n    {shown}\n\n"
        f"- A list item:\n\n  ```html\n  {shown}\n  ```\n\n"
        f"> A quotation:\n>\n> ```\n> {shown}\n> ```\n\n"
        f'Live: <img src="https://example.org/live.png" alt="x">\n\n'
        "<script>alert(2)</script>"))
    lines = chapter.read_text(encoding="utf-8").split("\n")
    live = next(n for n, line in enumerate(lines, 1) if line.startswith("Live:"))
    report = reported(book_copy)
    found = sorted((d.line, d.message.split(":")[0]) for d in report.errors
                   if Path(d.path) == chapter)
    assert found == [(live, "external resource 'https"),
                     (live + 2, "scripts are not allowed in content")], found


def test_html_shown_in_a_code_span_is_the_codes_text(book_copy):
    """In a code span, too, a URL or a script is the code's text; the same line's raw
    HTML outside the span is still refused there."""
    chapter = add_to_chapter(book_copy, (
        'Write `<img src="https://example.org/x.png">` or `<script>`, or over a line\n'
        '`<script src="https://example.org/a.js">\n</script>`, and see.\n\n'
        'Then `<script>` and <img src="https://example.org/live.png" alt="x">.'))
    lines = chapter.read_text(encoding="utf-8").split("\n")
    live = next(n for n, line in enumerate(lines, 1) if line.startswith("Then"))
    report = reported(book_copy)
    found = [(d.line, d.message.split(":")[0]) for d in report.errors
             if Path(d.path) == chapter]
    assert found == [(live, "external resource 'https")], found


def test_an_attribute_value_over_two_lines_is_reported_where_it_starts(book_copy):
    """A refused attribute whose value runs onto the next line is an error at the line
    that starts it, not a failure of the builder."""
    chapter = add_to_chapter(book_copy, (
        'Some <a href="java\nscript:alert(1)">x</a>.\n\n'
        'And <span onclick="a()\nb()">y</span>.'))
    lines = chapter.read_text(encoding="utf-8").split("\n")
    link = next(n for n, line in enumerate(lines, 1) if line.startswith("Some <a"))
    span = next(n for n, line in enumerate(lines, 1) if line.startswith("And <span"))
    found = [(d.line, d.message.split(" is not")[0]) for d in reported(book_copy).errors
             if Path(d.path) == chapter]
    assert found == [(link, "link to 'javascript:'"), (span, "event handler 'onclick'")], found


def test_a_pictures_address_in_angle_brackets_or_after_bracketed_alt_text(tmp_path):
    """The check of what a text embeds read ``![x](<images/my dot.png>)`` as a missing
    picture named "<…>", and ``![a [link](https://…) b](x.png)`` as an external
    resource (the link inside the alt text): both are the book's own pictures."""
    import shutil

    from conftest import FIXTURES
    from test_locales_metadata import write_book
    book = write_book(tmp_path / "book", {"title": "T", "language": "en-GB"},
                      "---\ntitle: A\n---\n\nSee ![x](<../images/my dot.png>) and "
                      "![a [link](https://example.org) b](../images/dot.png) here.\n")
    (book / "images").mkdir()
    for name in ("dot.png", "my dot.png"):
        shutil.copy(FIXTURES / "pandoc" / "images" / "dot.png", book / "images" / name)
    rb, report = rendered_book(book)
    assert report.diagnostics == []
    html = rb.docs[0].body_html
    assert 'src="images/my%20dot.png"' in html and 'alt="a link b"' in html, html


@pytest.mark.parametrize("language, shown", [
    ("en-GB", "Section 2.2, “Dulce et Decorum Est”"),
    ("fr", "section 2.2, « Dulce et Decorum Est »")])
def test_a_reference_to_a_title_in_quotes_does_not_double_them(book_copy, language, shown):
    """A cross-reference fills in its target's title in the language's quotes; a title
    in quotation marks of its own (a poem's) printed them doubled, "““Dulce…””". It
    keeps its own, without the label's round them."""
    from lxml import html as lxml_html
    yaml_path = book_copy / "book.yaml"
    yaml_path.write_text(re.sub(r"^language:.*$", f"language: {language}",
                                yaml_path.read_text(), flags=re.M))
    add_to_chapter(book_copy, '## "Dulce et Decorum Est" {#sec-dulce}\n\nA poem.')
    first = book_copy / "chapters" / "01-first.md"
    first.write_text(first.read_text() + "\nRead [](#sec-dulce) next.\n")
    rb, _ = render_clean(book_copy)
    link = lxml_html.fragment_fromstring(rb.docs[0].body_html, create_parent="div").xpath(
        '//a[@href="#sec-dulce"]')[0]
    assert link.text_content() == shown


def test_a_text_starting_with_circa_or_a_letter_is_text_not_a_list(book_copy):
    """A YAML table cell "c. 1440" (circa) was printed as an ordered list lettered from
    c ("1440", its item), an event "c. 1482 …" too, and a role "i. Friar …" as an empty
    paragraph and a roman list after it: Markdown read each text as blocks. A cell, an
    event, a role are inline text (as pandoc reads a pipe table's cell), and a data
    text on one line is never a list; one written as a list over several lines is."""
    tables = book_copy / "tables" / "tables.yaml"
    tables.write_text(tables.read_text(encoding="utf-8").replace(
        "- [Leader, Ada Writer, Bea Critic]",
        '- [Leader, "c. 1440", "# 2 > 1"]\n    - ["- none", "iv. on", "---"]', 1),
        encoding="utf-8")
    people = book_copy / "data" / "people.yaml"
    people.write_text(people.read_text(encoding="utf-8").replace(
        "role: Author of", "role: i. Friar, author of").replace(
        "bio: Ada Writer wrote the alpha doctrine in 1901.",
        "bio: |\n    Ada Writer wrote:\n\n    a. the alpha doctrine;\n    b. its defence."),
        encoding="utf-8")
    timeline = book_copy / "data" / "timeline.yaml"
    timeline.write_text(timeline.read_text(encoding="utf-8").replace(
        "event: Ada Writer states", "event: c. 1901 Ada Writer states"), encoding="utf-8")
    add_term(book_copy, "Gamma", "a. C. 44, the year of gamma.")
    rendered, _ = render_clean(book_copy)
    figure = tree(rendered.docs[0].body_html).xpath("//figure[@id='tbl-ch01-compare']")[0]
    assert not figure.xpath(".//ol | .//ul | .//h1 | .//h2 | .//blockquote | .//hr")
    cells = [[" ".join(c.text_content().split()) for c in row.xpath("th | td")]
             for row in figure.xpath(".//tbody/tr")]
    assert cells[1:] == [["Leader", "c. 1440", "# 2 > 1"], ["- none", "iv. on", "\u2014"]]
    [person] = rendered.people
    assert person["role"].startswith("i. Friar, author of"), person["role"]
    bio = tree(person["bio"])
    assert [li.text_content() for li in bio.xpath("//ol[@type='a']/li")] == \
        ["the alpha doctrine;", "its defence."]
    event = tree(rendered.timeline[0]["event"])
    assert not event.xpath("//ol") and event.text_content().startswith("c. 1901 Ada Writer")
    [gamma] = [e for e in rendered.glossary if e["term"] == "Gamma"]
    definition = tree(gamma["definition"])
    assert not definition.xpath("//ol") and \
        definition.text_content().strip() == "a. C. 44, the year of gamma."
