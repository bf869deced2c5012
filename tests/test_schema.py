"""The one schema of a book's configuration: every bad value of book.yaml, front matter
and the data files is a ``path:line: error:``, all of them in one run, exit 1, no
traceback; the docs' reference tables are the schema's; the shipped books are clean.

Everything here is in-process validation: nothing is typeset."""
from __future__ import annotations

import functools
import re
import shutil
from pathlib import Path

import pytest

from conftest import CONTENT, MINI
from studyguide import cli, schema
from studyguide.errors import Reporter
from studyguide.loader import load_book

STARTER = Path(schema.__file__).parent / "starter"


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text, f"{old!r} not in {path}"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def line_of(path: Path, needle: str, nth: int = 1) -> int:
    """The line of the nth line of ``path`` that contains ``needle``."""
    found = [i for i, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
             if needle in line]
    assert len(found) >= nth, f"{needle!r} not {nth} time(s) in {path}"
    return found[nth - 1]


def load(book: Path) -> tuple[object, list[str]]:
    report = Reporter(book)
    result = load_book(book, report)
    return result, [str(d) for d in report.diagnostics]


def has(messages: list[str], path: Path, line: int, words: str) -> None:
    """One message at exactly ``path:line`` holds ``words``."""
    where = f"{Reporter(path.parent)._rel(path)}:{line}: error: "
    assert any(m.startswith(where) and words in m for m in messages), \
        f"no {where}…{words}… in:\n" + "\n".join(messages)


# -- the shipped books --------------------------------------------------------------------
@pytest.mark.parametrize("folder", [CONTENT, MINI, STARTER], ids=["default", "mini", "starter"])
def test_shipped_books_validate_clean(folder):
    book, messages = load(folder)
    assert book is not None and messages == [], messages


def test_every_data_file_of_the_default_book_is_read_whole():
    """Nothing silently lost: every item of every file reaches the model."""
    book, _ = load(CONTENT)
    data = CONTENT / "data"
    import yaml
    for name, got in (("glossary", book.glossary), ("people", book.people),
                      ("timeline", book.timeline)):
        assert len(got) == len(yaml.safe_load((data / f"{name}.yaml").read_text())), name
    tables = sum(len(yaml.safe_load(p.read_text()))
                 for p in (CONTENT / "tables").glob("*.yaml"))
    assert len(book.tables) == tables
    questions = sum(len(d.questions) for d in book.documents)
    assert questions > 20


# -- book.yaml ----------------------------------------------------------------------------
BAD_BOOK = """\
title: A Book
language: 123
date: 2026-02-30
paper: A5
outputs: [{pdf: 1}]
bibliography: [references.json]
editors: {a: 1}
subtitle: One
subtitle: Two
titel: typo
keywords: [a, [b]]
isbn: {print: 978-3-16-148410-1, ebook: x}
chapters:
  - chapters/01-first.md
"""


def test_every_problem_of_book_yaml_at_its_line(book_copy):
    path = book_copy / "book.yaml"
    path.write_text(BAD_BOOK, encoding="utf-8")
    book, messages = load(book_copy)
    assert book is None
    n = lambda needle, nth=1: line_of(path, needle, nth)  # noqa: E731
    has(messages, path, n("language:"), "'language' must be a text, not 123")
    has(messages, path, n("date:"), "'date' must be a date YYYY-MM-DD: '2026-02-30' is not "
        "a date of the calendar")
    has(messages, path, n("paper:"), "unknown paper size 'A5' (use one of: A4, Letter)")
    # a date written out in words: its form is what is wrong, not the calendar
    path.write_text(BAD_BOOK.replace("date: 2026-02-30", "date: 6 dicembre 2026"),
                    encoding="utf-8")
    _, messages = load(book_copy)
    has(messages, path, n("date:"), "'date' must be a date YYYY-MM-DD, as 2026-12-06 for 6 "
        "December 2026, not '6 dicembre 2026'")
    has(messages, path, n("outputs:"), "'outputs[1]' must be 'pdf' or 'epub', not a mapping")
    has(messages, path, n("bibliography:"), "'bibliography' must be one path in the book "
        "folder, not a list (write it without the [ ])")
    has(messages, path, n("editors:"), "'editors' must be a list, not a mapping")
    has(messages, path, n("subtitle:", 2), "duplicate key 'subtitle' (first at line "
        f"{n('subtitle:')}")
    has(messages, path, n("titel:"), "unknown key 'titel' (did you mean 'title'?)")
    has(messages, path, n("keywords:"), "'keywords[2]' must be a text, not a list")
    has(messages, path, n("isbn:"), "'isbn' knows only 'print' and 'epub', not 'ebook'")
    has(messages, path, n("isbn:"), "'978-3-16-148410-1' is not a valid ISBN")
    assert len(messages) == 11, "\n".join(messages)


@pytest.mark.parametrize("text,line,words", [
    ("", 1, "book.yaml must be a YAML mapping of the book's settings (title:, language:, "
            "chapters: ...), not an empty file"),
    ("title: T\nlanguage: en\nseries: [a]\n", 3, "'series' must be a name, or mapping "
                                                  "(name, number), not a list"),
    ("title: T\nlanguage: en\nnocite: 5\n", 3, "'nocite' must be a list of bibliography "
                                                "keys, or '@*', not 5"),
    ("title: T\nlanguage: '12'\n", 2, "'language' must be a BCP 47 language tag"),
    ("title: T\nlanguage: en\ndate: 2026\n", 3, "'date' must be a date written YYYY-MM-DD, "
                                                "not 2026"),
    ("title: T\nlanguage: en\noutputs: []\n", 3, "'outputs' must hold at least 1 item(s)"),
    ("title: [T]\nlanguage: en\n", 1, "'title' must be one text, not a list (write it "
                                       "without the [ ])"),
    ("title: ' '\nlanguage: en\n", 1, "'title' must not be empty"),
    ("title: T\nlanguage: en\nmaster_table: {table: x, title: y, titel: z}\n", 3,
     "'master_table' knows only 'table', 'title' and 'lead', not 'titel'"),
    ("title: T\n", 1, "missing required field 'language'"),
    ("title: T\nlanguage: en\nsubtitel:\n", 3, "unknown key 'subtitel' (did you mean "
                                                "'subtitle'?)"),
])
def test_one_bad_value(book_copy, text, line, words):
    path = book_copy / "book.yaml"
    path.write_text(text and text + "chapters: [chapters/01-first.md]\n", encoding="utf-8")
    book, messages = load(book_copy)
    assert book is None
    has(messages, path, line, words)
    assert len(messages) == 1, messages


# -- front matter -------------------------------------------------------------------------
def test_front_matter_errors_are_at_their_line_in_the_markdown_file(book_copy):
    ch = book_copy / "chapters" / "01-first.md"
    edit(ch, "    answer: Ada Writer stated it first, in 1901 [@writer1901].\n",
         "    answer: [1, 2]\n    marks: 0\n")
    edit(ch, "  - type: analysis\n", "  - type: essay\n    source: {text: a, cite: b}\n")
    edit(ch, "key_terms:", "summery: typo\nkey_terms:")
    edit(ch, "objectives:\n", "short_title: {a: 1}\nobjectives:\n")
    book, messages = load(book_copy)
    has(messages, ch, line_of(ch, "answer: [1, 2]"), "'questions[1].answer' must be a text, "
        "not a list")
    has(messages, ch, line_of(ch, "marks: 0"), "'questions[1].marks' must be a positive "
        "whole number, not 0")
    has(messages, ch, line_of(ch, "- type: essay"), "only a source question has 'source:' "
        "(this one is type: essay)")
    has(messages, ch, line_of(ch, "summery:"), "unknown key 'summery' (did you mean "
        "'summary'?)")
    has(messages, ch, line_of(ch, "short_title:"), "'short_title' must be a text, not a "
        "mapping")
    assert len(messages) == 5, "\n".join(messages)


def test_a_colon_in_a_list_item_is_explained(book_copy):
    """`- Content: the thing` is a mapping to YAML; the message says how to write text."""
    ch = book_copy / "chapters" / "01-first.md"
    edit(ch, "key_terms:", "key_points:\n  - Provenance: an opponent's selection.\nkey_terms:")
    book, messages = load(book_copy)
    has(messages, ch, line_of(ch, "- Provenance:"), "'key_points[1]' must be a text, not a "
        "mapping: YAML reads a colon followed by a space as a key; put the whole text in quotes")
    assert len(messages) == 1, "\n".join(messages)


FULL_CHAPTER = """\
---
title: The Third Chapter
short_title: Third
key_points:
  - Alpha came first.
further_reading:
  - cite: writer1901
    note: The first statement.
  - cite: nobody1999
questions:
  - type: source
    question: What does the extract say?
    source:
      text: "Alpha comes first."
      cite: "[@writer1901, 3]"
    marks: 4
    indicative: [It says alpha comes first.]
  - type: analysis
    question: Why?
    answer: Because.
    marks: 12
  - type: essay
    question: How far?
    plan: [Introduction, Conclusion]
    scheme: essays
  - type: source
    question: Where is the extract?
  - type: recall
    question: Which?
    scheme: nothing
---

Text.
"""

MARK_SCHEMES = """\
- id: analysis
  title: Analysis questions
  marks: 12
  levels:
    - level: 2
      marks: 7–12
      descriptor: A sustained analysis.
    - level: 1
      marks: 1–6
      descriptor: Some description.
- id: essays
  title: Essays
  levels:
    - {level: 1, marks: 1–20, descriptor: An essay.}
- id: analysis
  title: Again
  levels: []
"""


def test_the_agreed_keys_fill_the_model_and_are_checked(book_copy):
    ch = book_copy / "chapters" / "03-third.md"
    ch.write_text(FULL_CHAPTER, encoding="utf-8")
    edit(book_copy / "book.yaml", "  - chapters/02-second.md\n",
         "  - chapters/02-second.md\n  - chapters/03-third.md\n")
    schemes = book_copy / "data" / "mark_schemes.yaml"
    schemes.write_text(MARK_SCHEMES, encoding="utf-8")
    book, messages = load(book_copy)
    has(messages, ch, line_of(ch, "cite: nobody1999"), "further_reading: unknown "
        "bibliography key 'nobody1999'")
    has(messages, ch, line_of(ch, "- type: source", 2), "a source question needs 'source:' "
        "(the extract: text and cite)")
    # (at its own line, not the question's first)
    has(messages, ch, line_of(ch, "scheme: nothing"), "unknown mark scheme 'nothing' (the "
        "schemes of data/mark_schemes.yaml: analysis, essays)")
    has(messages, schemes, line_of(schemes, "levels: []"),
        "'levels' must hold at least 1 item(s), not 0")
    assert len(messages) == 4, "\n".join(messages)

    # the same, repaired: the model carries every key
    edit(ch, "  - cite: nobody1999\n", "")
    edit(ch, "  - type: source\n    question: Where is the extract?\n", "")
    edit(ch, "    scheme: nothing\n", "")
    edit(schemes, "- id: analysis\n  title: Again\n  levels: []\n", "")
    book, messages = load(book_copy)
    assert messages == [] and book is not None, messages
    doc = book.chapters[2]
    assert (doc.short_title, doc.key_points) == ("Third", ["Alpha came first."])
    assert [(r.cite, r.note, r.line) for r in doc.further_reading] == \
        [("writer1901", "The first statement.", line_of(ch, "cite: writer1901"))]
    source, analysis, essay, recall = doc.questions
    assert (source.source.text, source.source.cite, source.marks, source.indicative,
            source.scheme) == ("Alpha comes first.", "[@writer1901, 3]", 4,
                               ["It says alpha comes first."], "")
    assert (analysis.marks, analysis.scheme) == (12, "analysis")   # default: its type
    assert (essay.plan, essay.scheme, essay.source) == (["Introduction", "Conclusion"],
                                                        "essays", None)
    assert recall.scheme == "" and recall.marks is None
    analysis_scheme, essays = book.mark_schemes
    assert (analysis_scheme.id, analysis_scheme.marks,
            [(lv.level, lv.marks) for lv in analysis_scheme.levels]) == \
        ("analysis", 12, [(2, "7–12"), (1, "1–6")])
    assert (essays.title, essays.marks, essays.levels[0].descriptor) == \
        ("Essays", None, "An essay.")
    assert analysis_scheme.line == 1 and essays.line == line_of(schemes, "- id: essays")


def repaired_third_chapter(book: Path, text: str) -> Path:
    """``text`` as the book's third chapter, without the faults FULL_CHAPTER has."""
    ch = book / "chapters" / "03-third.md"
    ch.write_text(text, encoding="utf-8")
    edit(book / "book.yaml", "  - chapters/02-second.md\n",
         "  - chapters/02-second.md\n  - chapters/03-third.md\n")
    edit(ch, "  - cite: nobody1999\n", "")
    edit(ch, "  - type: source\n    question: Where is the extract?\n", "")
    edit(ch, "    scheme: nothing\n", "")
    return ch


def test_a_mark_scheme_is_checked_as_a_marker_reads_it(book_copy):
    """A scheme's bands and its questions' marks are numbers a marker adds up: a band out
    of order or overlapping, a gap between bands, a top band short of the scheme's marks,
    and a question worth other marks than its scheme are each a warning at their line."""
    ch = repaired_third_chapter(book_copy, FULL_CHAPTER.replace("    marks: 12\n",
                                                                "    marks: 10\n"))
    schemes = book_copy / "data" / "mark_schemes.yaml"
    schemes.write_text("""\
- id: analysis
  title: Analysis questions
  marks: 12
  levels:
    - {level: 3, marks: 9-11, descriptor: Sustained.}
    - {level: 2, marks: 4–6, descriptor: Some.}
    - {level: 1, marks: 1–3 marks, descriptor: Little.}
- id: essays
  title: Essays
  marks: 20
  levels:
    - {level: 1, marks: 1–8, descriptor: Some.}
    - {level: 2, marks: 9–20, descriptor: More.}
- id: source
  title: Sources
  levels:
    - {level: 1, marks: about four, descriptor: Any.}
""", encoding="utf-8")
    book, messages = load(book_copy)
    warned = lambda path, line, words: any(
        m.startswith(f"{Reporter(path.parent)._rel(path)}:{line}: warning: ") and words in m
        for m in messages)
    assert warned(ch, line_of(ch, "marks: 10"), "this question carries 10 marks, but its mark "
                  "scheme 'analysis' is for 12 (data/mark_schemes.yaml:1)"), messages
    assert warned(schemes, 1, "mark scheme 'analysis': no level gives 7–8 marks (between "
                  "level 3's 9-11 and level 2's 4–6)"), messages
    assert warned(schemes, 1, "mark scheme 'analysis': its top band (9-11) does not end at "
                  "its marks (12)"), messages
    assert warned(schemes, line_of(schemes, "- id: essays"), "mark scheme 'essays': the "
                  "levels must be highest first, their bands apart: level 1 (1–8) is followed "
                  "by level 2 (9–20)"), messages
    assert warned(schemes, line_of(schemes, "- id: source"), "mark scheme 'source': level "
                  "1's marks 'about four' are not a number or a range such as 10–12"), messages
    assert len(messages) == 5, "\n".join(messages)


def test_every_fault_of_a_mark_scheme_is_reported_at_once(book_copy):
    """Overlapping bands hid the top band running past the scheme's marks, and a band
    that cannot be read hid the others' faults: each was found only once the one before
    it was put right. The top band is the highest level's, wherever it is listed."""
    from studyguide.loader import check_bands
    from studyguide.model import Level, MarkScheme
    warnings = []
    for levels in ([(3, "5–7"), (2, "3–5"), (1, "1–2")],
                   [(3, "5–7"), (2, "a few"), (1, "1–2")],
                   [(1, "1–2"), (2, "3–4"), (3, "5–6")],
                   [(3, "4–6"), (2, "many"), (1, "5–6")]):     # overlapping round a bad one
        report = Reporter(book_copy)
        check_bands(MarkScheme("analysis", "Analysis", 6, [Level(n, m, "Any.")
                                                           for n, m in levels], 1),
                    book_copy / "data" / "mark_schemes.yaml", report)
        warnings.append(sorted(d.message.split(": ", 1)[1] for d in report.diagnostics))
    assert warnings == [
        ["its top band (5–7) does not end at its marks (6)",
         "the levels must be highest first, their bands apart: level 3 (5–7) is followed "
         "by level 2 (3–5)"],
        ["its top band (5–7) does not end at its marks (6)",
         "level 2's marks 'a few' are not a number or a range such as 10–12"],
        ["the levels must be highest first, their bands apart: level 1 (1–2) is followed "
         "by level 2 (3–4)",
         "the levels must be highest first, their bands apart: level 2 (3–4) is followed "
         "by level 3 (5–6)"],
        ["level 2's marks 'many' are not a number or a range such as 10–12",
         "the levels must be highest first, their bands apart: level 3 (4–6) is followed "
         "by level 1 (5–6)"]], warnings


def test_a_comma_in_a_mapping_in_braces_is_explained_and_its_scheme_still_known(book_copy):
    """`{level: 1, marks: 1–20, descriptor: An essay, well argued.}`: YAML ends the value
    at the comma and reads the rest as a key. The error names that key in quotes, says
    why it is there and how the line is written; the scheme, in error, is still known:
    the question that names it has no error of its own ("unknown mark scheme")."""
    repaired_third_chapter(book_copy, FULL_CHAPTER)
    schemes = book_copy / "data" / "mark_schemes.yaml"
    schemes.write_text(MARK_SCHEMES.replace("descriptor: An essay.}",
                                            "descriptor: An essay, well argued.}").replace(
        "- id: analysis\n  title: Again\n  levels: []\n", ""), encoding="utf-8")
    book, messages = load(book_copy)
    assert messages == [
        f"{Reporter(book_copy)._rel(schemes)}:{line_of(schemes, 'An essay')}: error: "
        "'levels[1]' knows only 'level', 'marks' and 'descriptor', not 'well argued.': in "
        "a mapping in braces, {…}, a comma ends a value not in quotes, and YAML reads the "
        "text after it as a key; put the text in quotes (descriptor: \"An essay, well "
        "argued.\")"], "\n".join(messages)


def test_a_question_without_marks_carries_its_schemes(book_copy):
    """A question that gives no marks carries its mark scheme's: the answer key printed
    the scheme's 12-mark table under a question printed with no marks."""
    ch = book_copy / "chapters" / "03-third.md"
    ch.write_text(FULL_CHAPTER.replace("    answer: Because.\n    marks: 12\n",
                                       "    answer: Because.\n"), encoding="utf-8")
    edit(book_copy / "book.yaml", "  - chapters/02-second.md\n",
         "  - chapters/02-second.md\n  - chapters/03-third.md\n")
    (book_copy / "data" / "mark_schemes.yaml").write_text(MARK_SCHEMES, encoding="utf-8")
    book, _ = load(book_copy)
    analysis = next(q for q in book.chapters[2].questions if q.type == "analysis")
    assert (analysis.marks, analysis.scheme) == (12, "analysis")


# -- data files ---------------------------------------------------------------------------
def test_every_problem_of_every_data_file_at_once(book_copy, capsys):
    """book.yaml, a chapter, tables and four data files broken at once: `check` lists
    each problem at its line, and exits 1 without a traceback."""
    book_yaml = book_copy / "book.yaml"
    edit(book_yaml, "paper: A4", "paper: A5")
    edit(book_yaml, "language: en-GB", "language: 123")
    ch = book_copy / "chapters" / "01-first.md"
    edit(ch, "    answer: Historians disagree; see @historian2000.\n", "    answer: [1, 2]\n")
    tables = book_copy / "tables" / "tables.yaml"
    edit(tables, "  caption: Dates of beta\n", "  caption: {text: Dates of beta}\n")
    strategies = book_copy / "data" / "strategies.yaml"
    strategies.write_text("title: Two strategies\ncolumns: 5\n", encoding="utf-8")
    timeline = book_copy / "data" / "timeline.yaml"
    edit(timeline, "- date: 1930-01-21", "- date: 1930-02-30")
    edit(timeline, "  key: true\n- date: 1925-04", "  key: yes please\n- date: 1925-04")
    glossary = book_copy / "data" / "glossary.yaml"
    edit(glossary, "- term: Beta theory\n", "- term: Beta theory\n  term: Gamma\n")
    people = book_copy / "data" / "people.yaml"
    people.write_text("- name: Ada Writer\n  born: 1870\n- {role: No name}\n",
                      encoding="utf-8")
    assert cli.main(["check", str(book_copy)]) == 1
    err = capsys.readouterr().err
    assert "Traceback" not in err
    lines = err.strip().splitlines()
    messages = [m for m in lines if ": error: " in m]
    expected = [
        (book_yaml, line_of(book_yaml, "paper:"), "unknown paper size 'A5'"),
        (book_yaml, line_of(book_yaml, "language:"), "'language' must be a text, not 123"),
        (ch, line_of(ch, "answer: [1, 2]"), "'questions[2].answer' must be a text, not a "
                                            "list"),
        (tables, line_of(tables, "caption: {text"), "'tbl-ch02-dates.caption' must be a "
                                                    "text, not a mapping"),
        (strategies, 2, "'columns' must be a list, not 5"),
        (timeline, line_of(timeline, "- date: 1930-02-30"), "'1930-02-30' is not a date of "
                                                            "the calendar"),
        (timeline, line_of(timeline, "key: yes please"), "'key' must be true or false, not "
                                                         "'yes please'"),
        (glossary, line_of(glossary, "  term: Gamma"), "duplicate key 'term' (first at line "
                                                       f"{line_of(glossary, 'term: Beta')};"),
        (people, 2, "unknown key 'born'"),
        (people, 3, "missing required field 'name'"),
    ]
    for path, line, words in expected:
        rel = Reporter(book_copy)._rel(path)
        assert any(m.startswith(f"{rel}:{line}: error: ") and words in m for m in messages), \
            (rel, line, words, err)
    assert len(messages) == len(expected), err
    assert lines[-1] == f"check failed: {len(expected)} error(s)"


def test_a_table_file_and_a_list_file_of_the_wrong_shape(book_copy):
    (book_copy / "tables" / "tables.yaml").write_text("- a\n- b\n", encoding="utf-8")
    (book_copy / "data" / "glossary.yaml").write_text("term: x\n", encoding="utf-8")
    _, messages = load(book_copy)
    has(messages, book_copy / "tables" / "tables.yaml", 1, "this file must be a YAML "
        "mapping (key: value lines)")
    has(messages, book_copy / "data" / "glossary.yaml", 1, "this file must be a YAML list")


def test_a_good_item_survives_a_bad_neighbour(book_copy):
    """One bad glossary entry is reported; the other entries are still read (and so
    raise no follow-on errors)."""
    glossary = book_copy / "data" / "glossary.yaml"
    glossary.write_text(glossary.read_text() + "- term: [Broken]\n  definition: x\n",
                        encoding="utf-8")
    report = Reporter(book_copy)
    from studyguide.loader import load_glossary
    entries = load_glossary(book_copy, report)
    assert [e.term for e in entries] == ["Alpha doctrine", "Beta theory"]
    assert [str(d) for d in report.diagnostics] == [
        f"{report._rel(glossary)}:{line_of(glossary, 'term: [Broken]')}: error: 'term' must "
        "be one text, not a list (write it without the [ ])"]


def test_a_table_file_in_error_is_its_own_error_only(book_copy, capsys):
    """A malformed row in tables/tables.yaml is one error, at its line: the tables the
    file defines are not also "unknown" where a chapter places them, links to them or
    book.yaml makes one the master table (nor is a table whose rows are in error); a
    table that no file defines is still unknown."""
    tables = book_copy / "tables" / "tables.yaml"
    ch = book_copy / "chapters" / "01-first.md"
    edit(ch, "The comparison in", "::: {#tbl-nowhere .comparison}\n:::\n\nThe comparison in")
    rel = Reporter(book_copy)._rel
    unknown = f"{rel(ch)}:{line_of(ch, 'tbl-nowhere')}: error: unknown table 'tbl-nowhere' " \
        "(no such id in tables/)"
    for old, new, bad, words in (
            ('    - ["1930", Beta revised]\n', '    - ["1930", Beta revised]\n'
             '    - [Cite, [@writer1901]]\n', "[Cite", "malformed YAML"),
            ("[Leader, Ada Writer, Bea Critic]", "[Leader, Ada Writer]", "[Leader",
             "row 2 has 2 cells")):
        text = tables.read_text(encoding="utf-8")
        edit(tables, old, new)
        assert cli.main(["check", str(book_copy)]) == 1
        messages = [m for m in capsys.readouterr().err.splitlines() if ": error: " in m]
        assert len(messages) == 2 and messages[0] == unknown, messages
        assert messages[1].startswith(f"{rel(tables)}:{line_of(tables, bad)}: "
                                      "error: ") and words in messages[1], messages
        tables.write_text(text, encoding="utf-8")


def test_a_tables_wrong_key_and_its_misshapen_row_are_reported_together(book_copy):
    """A table with a key mistyped and a row of more cells than columns: the row was
    reported only once the key was put right."""
    tables = book_copy / "tables" / "tables.yaml"
    edit(tables, "  caption: Dates of beta\n", "  captoin: Dates of beta\n")
    edit(tables, '["1930", Beta revised]', '["1930", Beta revised, again]')
    _, messages = load(book_copy)
    has(messages, tables, line_of(tables, "captoin"), "not 'captoin'")
    has(messages, tables, line_of(tables, "Beta revised, again"),
        "table 'tbl-ch02-dates': row 2 has 3 cells, but there are 2 columns")


# -- docs ---------------------------------------------------------------------------------
def test_the_docs_reference_tables_are_the_schemas():
    text = schema.DOCS.read_text(encoding="utf-8")
    assert schema.documented(text) == {name for name, _ in schema.SECTIONS} | {
        "labels", "locale-words"}
    # each locale's reference words, as its file has them (Italian's section a "paragrafo")
    assert "| `it` | lower | Capitolo {n} | Paragrafo {n} | Tabella {n} | Figura {n} |" in text
    assert schema.render_docs(text) == text, \
        "docs/authoring.md differs from the schema: run python -m studyguide.schema --docs"
    assert schema.main(["--check"]) == 0


def test_the_docs_check_fails_when_they_drift(tmp_path, capsys):
    docs = tmp_path / "authoring.md"
    text = schema.DOCS.read_text(encoding="utf-8")
    docs.write_text(text.replace("| `short_title` |", "| `shorttitle` |"), encoding="utf-8")
    assert schema.main(["--check", "--file", str(docs)]) == 1
    assert "differ from the schema" in capsys.readouterr().err
    assert schema.main(["--docs", "--file", str(docs)]) == 0
    assert docs.read_text(encoding="utf-8") == text


def test_every_model_is_documented():
    """Every model the validation uses is in the docs, so every key is."""
    models = {m for _, m in schema.SECTIONS}
    seen, todo = set(), [schema.BookConfig, schema.FrontMatter, schema.TableSpec,
                         schema.GlossaryItem, schema.PersonItem, schema.TimelineItem,
                         schema.Strategies, schema.MarkSchemeItem]
    while todo:
        model = todo.pop()
        seen.add(model)
        for field in model.model_fields.values():
            for part in re.findall(r"\w+", str(field.annotation)):
                found = getattr(schema, part, None)
                if isinstance(found, type) and issubclass(found, schema.BaseModel) and \
                        found is not schema.Section and found not in seen:
                    todo.append(found)
    assert seen <= models, seen - models


# -- the command line over the book -------------------------------------------------------
def test_command_line_options_win_and_say_so(book_copy, tmp_path):
    edit(book_copy / "book.yaml", "paper: A4", "paper: A4\noutputs: [epub]")
    args = cli.parser().parse_args(["build", str(book_copy), "--format", "pdf", "--format",
                                    "epub", "--paper", "Letter"])
    opts = cli.options_from(args, book_copy, tmp_path / "out", tmp_path / "cache")
    assert opts.formats == ("pdf", "epub") and opts.papers == ("Letter",)
    notes = cli.overrides(opts)
    rel = Reporter(book_copy)._rel(book_copy / "book.yaml")
    path = book_copy / "book.yaml"
    assert notes == [
        f"{rel}:{line_of(path, 'outputs:')}: note: --format pdf: the command line overrides "
        "the book's outputs: [epub]",
        f"{rel}:{line_of(path, 'paper:')}: note: --paper Letter: the command line overrides "
        "the book's paper: A4"]
    # an option the book agrees with says nothing
    args = cli.parser().parse_args(["build", str(book_copy), "--paper", "A4"])
    assert cli.overrides(cli.options_from(args, book_copy, tmp_path, tmp_path)) == []


def test_schema_module_runs_as_a_command(tmp_path):
    import subprocess
    import sys
    docs = tmp_path / "a.md"
    shutil.copy(schema.DOCS, docs)
    result = subprocess.run([sys.executable, "-m", "studyguide.schema", "--check", "--file",
                             str(docs)], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr


# -- no value of any key breaks the loading -----------------------------------------------
CHECKED_BEYOND = {"csl", "bibliography", "chapters", "back_matter", "stylesheet", "fonts",
                  "templates", "master_table", "nocite", "labels", "further_reading",
                  "key_terms"}
ODD_VALUES = [1, 1.5, True, [], {}, [[1]], {"a": {"b": 1}}, "x", "2026-02-30", [None]]


@pytest.mark.parametrize("value", ODD_VALUES, ids=repr)
def test_any_value_of_any_key_is_taken_or_reported_never_a_crash(book_copy, value):
    """Every key of book.yaml, of a chapter's front matter, of the strategy diagram and
    of a glossary, timeline, people, mark scheme, annotation and table entry given the
    same odd value at once: the loading never raises, and a refused key of book.yaml or
    front matter is an error at its own line."""
    import yaml

    class Dumper(yaml.SafeDumper):      # each value written out (a book may use no alias)
        def ignore_aliases(self, data):
            return True

    dump = functools.partial(yaml.dump, Dumper=Dumper)
    book_yaml = book_copy / "book.yaml"
    base = {"title": "T", "language": "en", "chapters": ["chapters/01-first.md"]}
    book_yaml.write_text(dump({**base, **{k: value for k in schema.BookConfig.model_fields
                                          if k not in base}}), encoding="utf-8")
    ch = book_copy / "chapters" / "01-first.md"
    fm = {k: value for k in schema.FrontMatter.model_fields if k != "title"}
    ch.write_text("---\n" + dump({"title": "T", **fm}) + "---\n\nText.\n",
                  encoding="utf-8")
    data = book_copy / "data"
    for name, model in (("glossary", schema.GlossaryItem), ("timeline", schema.TimelineItem),
                        ("people", schema.PersonItem), ("mark_schemes", schema.MarkSchemeItem)):
        (data / f"{name}.yaml").write_text(dump(
            [{k: value for k in model.model_fields}]), encoding="utf-8")
    (data / "strategies.yaml").write_text(dump(
        {k: value for k in schema.Strategies.model_fields}), encoding="utf-8")
    (data / "annotations.yaml").write_text(dump({"writer1901": value}), encoding="utf-8")
    (book_copy / "tables" / "tables.yaml").write_text(dump(
        {"tbl-x": {k: value for k in schema.TableSpec.model_fields}}), encoding="utf-8")
    report = Reporter(book_copy)
    load_book(book_copy, report)            # must not raise
    errors = {(d.path, d.line) for d in report.errors}
    assert errors, "no error for an odd value everywhere"
    for path, model, base in ((book_yaml, schema.BookConfig, base),
                              (ch, schema.FrontMatter, {"title": "T"})):
        rel = report._rel(path)
        lines = path.read_text().split("\n---\n")[0].splitlines()   # front matter only
        starts = [i for i, line in enumerate(lines, 1) if line[:1].isalpha()] + \
            [len(lines) + 1]
        for start, end in zip(starts, starts[1:]):
            key = lines[start - 1].split(":")[0]
            if key in base:
                continue
            refused = any((rel, n) in errors for n in range(start, end))
            try:
                schema.TypeAdapter(model).validate_python({**base, key: value})
                accepted = True
            except schema.ValidationError:
                accepted = False
            # the schema's refusals are all reported; the loader refuses more of these
            # keys (files that do not exist, an unknown style, label or key)
            assert refused if not accepted else (not refused or key in CHECKED_BEYOND), \
                (path.name, key, value, refused)


def test_a_build_of_a_misconfigured_book_fails_at_once_with_every_problem(book_copy,
                                                                          tmp_path):
    """`studyguide build`, as a user runs it: exit 1, each problem at its line, no
    traceback, nothing typeset, nothing written."""
    import subprocess
    import sys
    path = book_copy / "book.yaml"
    edit(path, "date: 2025-03-01", "date: 2026-02-30")
    edit(path, "paper: A4", "paper: A4\noutputs: [{pdf: 1}]")
    edit(book_copy / "data" / "strategies.yaml", "columns:\n", "columns: 5\nx:\n")
    out = tmp_path / "out"
    result = subprocess.run([sys.executable, "-m", "studyguide", "build", str(book_copy),
                             "--output", str(out), "--no-cache"],
                            capture_output=True, text=True, cwd=book_copy, timeout=300)
    assert result.returncode == 1, result.stderr
    assert "Traceback" not in result.stderr + result.stdout
    errors = [m for m in result.stderr.splitlines() if ": error: " in m]
    assert errors == [
        f"book.yaml:{line_of(path, 'date:')}: error: 'date' must be a date YYYY-MM-DD: "
        "'2026-02-30' is not a date of the calendar (day value is outside expected range)",
        f"book.yaml:{line_of(path, 'outputs:')}: error: 'outputs[1]' must be 'pdf' or "
        "'epub', not a mapping",
        "data/strategies.yaml:2: error: 'columns' must be a list, not 5",
        "data/strategies.yaml:3: error: unknown key 'x' (known keys: title, caption, columns, rows)",
    ], result.stderr
    assert result.stderr.rstrip().endswith("build failed: 4 error(s); outputs left unchanged")
    assert not out.exists()


def test_a_yes_or_no_read_as_true_or_false_is_explained(tmp_path):
    """YAML reads an unquoted Yes or No as true or false: the error says so, and how to
    write the text (a science teacher's table is full of them)."""
    report = Reporter(tmp_path)
    schema.validate(schema.FrontMatter, {"title": True}, tmp_path / "x.md", report, 3)
    assert [d.message for d in report.errors] == [
        "'title' must be a text, not true: YAML reads yes, no, on, off, true, false and "
        "null (or nothing) as such; put the text in quotes (\"Yes\")"]
