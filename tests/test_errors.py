"""Bad input: compiler-style errors, all at once, exit 1, no traceback, outputs untouched."""
from __future__ import annotations

import hashlib
import re
from pathlib import Path

import pytest

from conftest import add_to_chapter, run_build


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text, f"{old!r} not in {path}"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def line_of(path: Path, needle: str) -> int:
    for i, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if needle in line:
            return i
    raise AssertionError(f"{needle!r} not in {path}")


def snapshot(folder: Path) -> dict[str, str]:
    return {str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()}


def fail_build(book: Path, tmp_path: Path, *extra: str) -> str:
    """Build into an output folder holding an 'old edition'; it must fail and leave it."""
    out = tmp_path / "out"
    (out / "handouts").mkdir(parents=True, exist_ok=True)
    (out / "a-small-test-book-student-a4.pdf").write_bytes(b"%PDF old edition")
    (out / "handouts" / "old.pdf").write_bytes(b"%PDF old handout")
    before = snapshot(out)
    result = run_build("--content", str(book), "--output", str(out), *extra)
    assert result.returncode == 1, (result.returncode, result.stdout, result.stderr)
    assert "Traceback" not in result.stderr + result.stdout
    assert snapshot(out) == before, "a failed build changed the outputs"
    return result.stderr


def expect(stderr: str, path: str, line: int | None, message: str) -> None:
    pattern = re.escape(path) + (f":{line}" if line else r"(:\d+)?") + r": error: .*" + message
    assert re.search(pattern, stderr), f"no /{pattern}/ in:\n{stderr}"


CH1 = "chapters/01-first.md"


def test_malformed_front_matter(book_copy, tmp_path):
    ch = book_copy / CH1
    edit(ch, "objectives:\n", "objectives: [unclosed\n")
    expect(fail_build(book_copy, tmp_path), CH1, None, "malformed YAML")


def test_malformed_metadata(book_copy, tmp_path):
    edit(book_copy / "book.yaml", "paper: A4", "paper: [A4")
    expect(fail_build(book_copy, tmp_path), "book.yaml", None, "malformed YAML")


def test_malformed_data_file(book_copy, tmp_path):
    path = book_copy / "data" / "glossary.yaml"
    edit(path, "- term: Beta theory", "- term: Beta theory\n  definition: [oops")
    expect(fail_build(book_copy, tmp_path), "data/glossary.yaml", None, "malformed YAML")


@pytest.mark.parametrize("path, old, new", [
    ("data/glossary.yaml", "aliases: [alpha doctrine]", "aliases: [alpha doctrine"),
    ("data/glossary.yaml", "definition: The doctrine", "definitio: The doctrine"),
    ("data/people.yaml", "dates: 1870–1950", "dates: [1870–1950"),
    ("data/people.yaml", "role:", "rol:"),
    ("data/timeline.yaml", "- date: 1901", "- date: [1901"),
    ("references.json", "[", "[[")])
def test_a_data_file_in_error_is_its_own_error_only(book_copy, path, old, new):
    """A data file with a YAML syntax error gives no entry, and so no section: every
    link to its section ([](#glossary), [](#key-figures), [](#timeline)) was also an
    error, "link to missing id", sending the author to the chapters. What a file in
    error would have made (its section, its figure, an entry) is not reported missing,
    as the docs say, as a glossary with an entry in error already did."""
    from conftest import add_to_chapter, rendered_book
    add_to_chapter(book_copy, "See [](#glossary), [](#gl-alpha-doctrine), [](#key-figures), "
                   "[](#person-ada-writer), [](#timeline), [](#fig-timeline) and "
                   "[](#bibliography).")
    _, report = rendered_book(book_copy)
    assert not report.errors, report.errors
    edit(book_copy / path, old, new)
    _, report = rendered_book(book_copy)
    assert report.errors and {Path(d.path) for d in report.errors} == {book_copy / path}, \
        report.errors


@pytest.mark.parametrize("field", ["title", "language"])
def test_missing_required_metadata(book_copy, tmp_path, field):
    path = book_copy / "book.yaml"
    text = path.read_text().splitlines()
    path.write_text("\n".join(l for l in text if not l.startswith(field + ":")) + "\n")
    expect(fail_build(book_copy, tmp_path), "book.yaml", None, f"missing required field '{field}'")


def test_missing_chapter_title(book_copy, tmp_path):
    edit(book_copy / CH1, "title: The First Chapter\n", "")
    expect(fail_build(book_copy, tmp_path), CH1, None, "missing required field 'title'")


def test_unknown_citation_key(book_copy, tmp_path):
    ch = book_copy / CH1
    edit(ch, "[@writer1901, 12]", "[@nosuchkey2020, 12]")
    expect(fail_build(book_copy, tmp_path), CH1, line_of(ch, "nosuchkey2020"),
           "unknown citation key 'nosuchkey2020'")


def test_an_unknown_key_in_a_yaml_text_is_placed_at_that_text(book_copy):
    """A citation in a source question's ``cite``, a table's row, a timeline event, a
    glossary definition or a person's bio is reported at the line of the text that
    holds it: it was at the extract's quotation, the table's id, the event's date, the
    term's and the person's name, and a block (``|``) a line short."""
    from conftest import rendered_book
    ch = book_copy / CH1
    edit(ch, "  - type: analysis\n", "  - type: source\n    question: What does it say?\n"
         "    source:\n      text: >-\n        \"A quotation that runs on\n"
         "        over two lines.\"\n      cite: \"[@nosuch1767, ch. 7]\"\n"
         "  - type: analysis\n")
    edit(ch, "answer: Ada Writer stated it first, in 1901 [@writer1901].",
         "answer: |\n      Ada Writer stated it first,\n      in 1901 [@nosuch1901].")
    tables = book_copy / "tables" / "tables.yaml"
    edit(tables, '"1901 [@writer1901]"', '"1901 [@nosuch1776]"')
    data = book_copy / "data"
    edit(data / "timeline.yaml", "event: Beta adopted.", "event: Beta adopted [@nosuch1925].")
    edit(data / "glossary.yaml", "alpha comes first [@writer1901]",
         "alpha comes first [@nosuch1900]")
    edit(data / "people.yaml", "bio: Ada Writer wrote",
         "bio: |\n    An author.\n    [@nosuch1950] Ada Writer wrote")
    _, report = rendered_book(book_copy)
    found = {d.message.split("'")[1]: (Path(d.path).name, d.line) for d in report.errors}
    assert found == {
        "nosuch1767": ("01-first.md", line_of(ch, "nosuch1767")),
        "nosuch1901": ("01-first.md", line_of(ch, "nosuch1901")),
        "nosuch1776": ("tables.yaml", line_of(tables, "nosuch1776")),
        "nosuch1925": ("timeline.yaml", line_of(data / "timeline.yaml", "nosuch1925")),
        "nosuch1900": ("glossary.yaml", line_of(data / "glossary.yaml", "nosuch1900")),
        "nosuch1950": ("people.yaml", line_of(data / "people.yaml", "nosuch1950"))}, found


def test_an_unknown_key_in_a_folded_yaml_text_is_placed_at_its_own_line(book_copy):
    """YAML folds a text's lines into one (``>``, or a plain text that goes on over
    lines): a citation on a later line of a glossary's definition or a question's
    answer was reported at the text's first line, where the author did not find it."""
    from conftest import rendered_book
    ch = book_copy / CH1
    edit(ch, "answer: Ada Writer stated it first, in 1901 [@writer1901].",
         "answer: >\n      Ada Writer stated it first,\n\n      in 1901,\n"
         "      as [@nosuch1901] says.")
    edit(ch, "answer: Historians disagree; see @historian2000.",
         "answer: Historians disagree;\n      see @nosuch2000.")
    glossary = book_copy / "data" / "glossary.yaml"
    edit(glossary, "definition: The doctrine that alpha comes first [@writer1901].",
         "definition: >\n    The doctrine that alpha\n    comes first [see\n"
         "    @nosuch1900, 3].")
    _, report = rendered_book(book_copy)
    found = {d.message.split("'")[1]: (Path(d.path).name, d.line) for d in report.errors}
    assert found == {
        "nosuch1901": ("01-first.md", line_of(ch, "nosuch1901")),
        "nosuch2000": ("01-first.md", line_of(ch, "nosuch2000")),
        "nosuch1900": ("glossary.yaml", line_of(glossary, "comes first [see"))}, found


def test_duplicate_bibliography_key(book_copy, tmp_path):
    path = book_copy / "references.json"
    text = path.read_text()
    path.write_text(text.replace('"id": "historian2000"', '"id": "writer1901"'))
    expect(fail_build(book_copy, tmp_path), "references.json", None,
           "duplicate bibliography key 'writer1901'")


def test_unreadable_bibliography(book_copy, tmp_path):
    (book_copy / "references.json").write_text("[{ not json")
    expect(fail_build(book_copy, tmp_path), "references.json", 1, "malformed JSON")


def test_link_to_missing_id(book_copy, tmp_path):
    ch = book_copy / CH1
    edit(ch, "[](#sec-beta) goes on", "[](#sec-nowhere) goes on")
    expect(fail_build(book_copy, tmp_path), CH1, line_of(ch, "#sec-nowhere"),
           "link to missing id '#sec-nowhere'")


def test_link_to_missing_id_is_placed_at_the_link(book_copy, tmp_path):
    """The id written earlier where it declares nothing (in a paragraph's middle, say)
    does not take the error: the link's own line does."""
    ch = book_copy / CH1
    edit(ch, "::: {#tbl-ch01-compare .comparison}",
         "An id that declares nothing: {#sec-nowhere} in a sentence.\n\n"
         "::: {#tbl-ch01-compare .comparison}")
    edit(ch, "[](#sec-beta) goes on", "[](#sec-nowhere) goes on")
    expect(fail_build(book_copy, tmp_path), CH1, line_of(ch, "(#sec-nowhere)"),
           "link to missing id '#sec-nowhere'")
    assert line_of(ch, "(#sec-nowhere)") != line_of(ch, "{#sec-nowhere}")


def test_duplicate_id(book_copy, tmp_path):
    ch = book_copy / "chapters" / "02-second.md"
    edit(ch, "## Closing words", "## Closing words {#sec-alpha}")
    expect(fail_build(book_copy, tmp_path), "chapters/02-second.md",
           line_of(ch, "Closing words"), "duplicate id 'sec-alpha' "
           rf"\(first defined at chapters/01-first\.md:{line_of(book_copy / CH1, '{#sec-alpha}')}\)")


def test_missing_image(book_copy, tmp_path):
    ch = book_copy / CH1
    edit(ch, "## The beta theory", "![A map](images/missing.png)\n\n## The beta theory")
    expect(fail_build(book_copy, tmp_path), CH1, line_of(ch, "missing.png"),
           "missing image 'images/missing.png'")


def test_a_missing_image_names_the_file_that_differs_only_in_case(book_copy):
    """'../images/alliance map.png' for the file images/Alliance Map.PNG (a Windows
    author's case) was "missing image" without a word of the file there: the error
    names it, and the nearest name for a letter off."""
    from conftest import rendered_book
    (book_copy / "images").mkdir()
    (book_copy / "images" / "Alliance Map.PNG").write_bytes(b"not read")
    (book_copy / "images" / "timeline.svg").write_bytes(b"not read")
    ch = add_to_chapter(book_copy, '![The alliances](<../images/alliance map.png> "1914")\n\n'
                        "![The timeline](../images/timline.svg)")
    _, report = rendered_book(book_copy)
    found = {(d.line, d.message) for d in report.errors if "missing image" in d.message}
    assert found == {
        (line_of(ch, "alliance map.png"), "missing image '../images/alliance map.png': no "
         "file images/alliance map.png in the book folder (an image's path is relative "
         "to the file that names it, chapters/02-second.md); the file there is "
         "'../images/Alliance Map.PNG' (images/Alliance Map.PNG): a file name's case "
         "counts"),
        (line_of(ch, "timline.svg"), "missing image '../images/timline.svg': no file "
         "images/timline.svg in the book folder (an image's path is relative to the file "
         "that names it, chapters/02-second.md); did you mean '../images/timeline.svg' "
         "(images/timeline.svg)?")}, \
        report.errors


def test_image_without_alt_text(book_copy, tmp_path):
    ch = book_copy / CH1
    (book_copy / "images").mkdir()
    (book_copy / "images" / "dot.svg").write_text(
        '<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"/>')
    edit(ch, "## The beta theory", "![](images/dot.svg)\n\n## The beta theory")
    expect(fail_build(book_copy, tmp_path), CH1, line_of(ch, "dot.svg"), "no text alternative")


def test_table_row_of_wrong_shape(book_copy, tmp_path):
    path = book_copy / "tables" / "tables.yaml"
    edit(path, "- [Leader, Ada Writer, Bea Critic]", "- [Leader, Ada Writer]")
    expect(fail_build(book_copy, tmp_path), "tables/tables.yaml", line_of(path, "[Leader, Ada"),
           "row 2 has 2 cells, but there are 3 columns")


def test_table_columns_parted_by_a_comma_are_named_not_every_row(book_copy, tmp_path):
    """``columns: [Aspect, Alpha (first, 1901), Beta]`` is four columns where the author
    meant three; every row was reported "has 3 cells, but there are 4 columns" and the
    columns' line, where the mistake is, was named nowhere. One error at the columns,
    which says to quote a heading with a comma."""
    path = book_copy / "tables" / "tables.yaml"
    edit(path, "columns: [Aspect, Alpha, Beta]", "columns: [Aspect, Alpha (first, 1901), Beta]")
    stderr = fail_build(book_copy, tmp_path)
    expect(stderr, "tables/tables.yaml", line_of(path, "columns: [Aspect, Alpha (first"),
           "table 'tbl-ch01-compare': 4 columns, but every row has 3 cells: a heading with "
           "a comma needs quotes")
    assert "row 1 has" not in stderr, stderr


def test_file_not_utf8(book_copy, tmp_path):
    ch = book_copy / "chapters" / "02-second.md"
    data = ch.read_bytes().replace("Beta in practice".encode(), "Beta \xe9t\xe9".encode("latin-1"))
    ch.write_bytes(data)
    expect(fail_build(book_copy, tmp_path), "chapters/02-second.md",
           line_of_bytes(data, b"Beta \xe9"), "not valid UTF-8")


def line_of_bytes(data: bytes, needle: bytes) -> int:
    return data[: data.index(needle)].count(b"\n") + 1


def test_unknown_citation_style(book_copy, tmp_path):
    edit(book_copy / "book.yaml", "csl: chicago-author-date", "csl: no-such-style")
    expect(fail_build(book_copy, tmp_path), "book.yaml", line_of(book_copy / "book.yaml", "csl:"),
           "unknown citation style 'no-such-style'")


def test_unknown_stylesheet(book_copy, tmp_path):
    with open(book_copy / "book.yaml", "a") as fh:
        fh.write("stylesheet: fancy\n")
    expect(fail_build(book_copy, tmp_path), "book.yaml", None, "unknown stylesheet 'fancy'")


def test_empty_chapter(book_copy, tmp_path):
    ch = book_copy / "chapters" / "02-second.md"
    text = ch.read_text()
    ch.write_text(text[: text.index("---", 3) + 4])
    expect(fail_build(book_copy, tmp_path), "chapters/02-second.md", None, "empty chapter")


def test_unknown_table_id(book_copy, tmp_path):
    ch = book_copy / CH1
    edit(ch, "::: {#tbl-ch01-compare .comparison}", "::: {#tbl-nothing .comparison}")
    expect(fail_build(book_copy, tmp_path), CH1, line_of(ch, "tbl-nothing"), "unknown table")


def test_all_problems_reported_in_one_run(book_copy, tmp_path):
    edit(book_copy / CH1, "[@writer1901, 12]", "[@nosuchkey2020, 12]")
    edit(book_copy / "chapters" / "02-second.md", "[](#sec-alpha)", "[](#sec-gone)")
    edit(book_copy / "tables" / "tables.yaml", "- [Leader, Ada Writer, Bea Critic]",
         "- [Leader]")
    edit(book_copy / "data" / "timeline.yaml", "date: 1901", "date: 19o1")
    stderr = fail_build(book_copy, tmp_path)
    for needle in ("nosuchkey2020", "#sec-gone", "row 2 has 1 cells", "YYYY"):
        assert needle in stderr, (needle, stderr)
    assert re.search(r"build failed: [4-9] error", stderr), stderr


def test_a_missing_chapter_file_is_its_own_error_only(book_copy, capsys):
    """A chapter file misnamed in chapters: is one error: the links of the other
    chapters to its ids, and the terms, tables and works only it used, are not also
    reported missing or unused (as they are not for a chapter that could not be read);
    a key of nocite: that names no entry is one error too, without a work "never
    cited" that it was meant for."""
    from studyguide import cli
    from studyguide.errors import Reporter
    book_yaml = book_copy / "book.yaml"

    def only_error(needle: str, message: str) -> None:
        assert cli.main(["check", str(book_copy)]) == 1
        err = capsys.readouterr().err
        assert err.splitlines() == [
            f"{Reporter(book_copy)._rel(book_yaml)}:{line_of(book_yaml, needle)}: error: "
            f"{message}", "check failed: 1 error(s)"], err

    edit(book_yaml, "  - chapters/02-second.md", "  - chapters/02-typo.md")
    only_error("02-typo", "chapters/02-typo.md: chapter file not found (did you mean "
                          "'chapters/02-second.md'?)")
    edit(book_yaml, "  - chapters/02-typo.md", "  - chapters/02-second.md")
    refs = book_copy / "references.json"
    refs.write_text(refs.read_text().rstrip().rstrip("]") + ', {"id": "critic1950", '
                    '"type": "book", "title": "Listed", "issued": {"date-parts": [[1950]]}}]')
    edit(book_yaml, "chapters:", "nocite: [critic1905]\nchapters:")
    only_error("nocite", "nocite: unknown bibliography key 'critic1905'")


def test_a_chapter_file_left_out_of_book_yaml_is_named(book_copy, capsys):
    """A chapter written into chapters/ and never listed in book.yaml was missing from
    every output without a word, and a listed name that differed from the file's only
    in case was "chapter file not found" with no hint: the one is a warning at the
    list's line naming the file, the other names the file that exists."""
    from studyguide import cli
    from studyguide.errors import Reporter
    book_yaml = book_copy / "book.yaml"
    (book_copy / "chapters" / "03-legacy.md").write_text(
        "---\ntitle: Legacy\n---\n\nA chapter never listed.\n", encoding="utf-8")
    (book_copy / "back" / "sources.md").write_text(
        "---\ntitle: Sources\n---\n\nA page never listed.\n", encoding="utf-8")
    edit(book_yaml, "  - chapters/01-first.md", "  - chapters/01-First.md")
    assert cli.main(["check", str(book_copy)]) == 1
    err = capsys.readouterr().err.splitlines()
    shown = Reporter(book_copy)._rel(book_yaml)
    assert err == [
        f"{shown}:{line_of(book_yaml, 'chapters:')}: warning: chapters/03-legacy.md is not "
        "listed in book.yaml, and is left out of the book: list it under chapters: to "
        "print it",
        f"{shown}:{line_of(book_yaml, '01-First')}: error: chapters/01-First.md: chapter "
        "file not found (did you mean 'chapters/01-first.md'? The case of a file name "
        "counts.)",
        f"{shown}:{line_of(book_yaml, 'back_matter:')}: warning: back/sources.md is not "
        "listed in book.yaml, and is left out of the book: list it under back_matter: to "
        "print it",
        "check failed: 1 error(s)"], err


def test_warnings_fail_only_with_strict(book_copy, tmp_path):
    path = book_copy / "references.json"
    text = path.read_text().rstrip().rstrip("]")
    path.write_text(text + ', {"id": "unused1999", "type": "book", "title": "Never Cited",'
                    ' "issued": {"date-parts": [[1999]]}}]')
    out = tmp_path / "ok"
    result = run_build("--content", str(book_copy), "--output", str(out), "--format", "epub", "-q")
    assert result.returncode == 0, result.stderr
    assert re.search(r"references.json:\d+: warning: bibliography entry 'unused1999' is never cited",
                     result.stderr), result.stderr
    stderr = fail_build(book_copy, tmp_path, "--strict")
    assert "unused1999" in stderr


def test_missing_content_folder(tmp_path):
    result = run_build("--content", str(tmp_path / "nothing"), "--output", str(tmp_path / "o"))
    assert result.returncode == 1
    assert "content folder not found" in result.stderr and "Traceback" not in result.stderr


def test_control_character_in_text(book_copy, tmp_path):
    ch = book_copy / "chapters" / "02-second.md"
    edit(ch, "Beta in practice", "Beta \x1b in practice")
    expect(fail_build(book_copy, tmp_path), "chapters/02-second.md", line_of(ch, "Beta \x1b"),
           "control character U\\+001B")


def test_control_character_escaped_in_yaml(book_copy, tmp_path):
    path = book_copy / "data" / "people.yaml"
    edit(path, "role: Author of the alpha doctrine", 'role: "Author \\e of alpha"')
    expect(fail_build(book_copy, tmp_path), "data/people.yaml", line_of(path, "role:"),
           "control character")


def test_book_stylesheet_and_template_overrides_apply(book_copy, tmp_path):
    (book_copy / "extra.css").write_text(".chapter-title { letter-spacing: 0.01em; }\n")
    (book_copy / "theme" / "shared").mkdir(parents=True)
    chapter = (Path(__file__).resolve().parent.parent / "templates" / "shared" / "chapter.html")
    own = chapter.read_text()
    assert own.count("{{ L.review_questions }}</h2>") == 1
    (book_copy / "theme" / "shared" / "chapter.html").write_text(
        own.replace("{{ L.review_questions }}</h2>", "Questions for review</h2>"))
    with open(book_copy / "book.yaml", "a") as fh:
        fh.write("stylesheet: extra.css\ntemplates: theme\n")
    out = tmp_path / "out"
    result = run_build("--content", str(book_copy), "--output", str(out), "--format", "epub", "-q")
    assert result.returncode == 0, result.stderr
    import zipfile
    z = zipfile.ZipFile(next(out.glob("*.epub")))
    assert "letter-spacing: 0.01em" in z.read("EPUB/style/book.css").decode()
    assert "Questions for review" in z.read("EPUB/ch01.xhtml").decode()


def test_unknown_template_folder(book_copy, tmp_path):
    with open(book_copy / "book.yaml", "a") as fh:
        fh.write("templates: no-such-folder\n")
    expect(fail_build(book_copy, tmp_path), "book.yaml", line_of(book_copy / "book.yaml", "templates:"),
           "unknown template folder 'no-such-folder'")


def test_unknown_template_name(book_copy, tmp_path):
    (book_copy / "theme" / "print").mkdir(parents=True)
    (book_copy / "theme" / "print" / "fancy.html").write_text("<p>x</p>")
    with open(book_copy / "book.yaml", "a") as fh:
        fh.write("templates: theme\n")
    expect(fail_build(book_copy, tmp_path), "theme/print/fancy.html", None,
           "unknown template 'print/fancy.html'")


def test_template_syntax_error(book_copy, tmp_path):
    (book_copy / "theme" / "print").mkdir(parents=True)
    (book_copy / "theme" / "print" / "handout.html").write_text("<p>\n{% if x %}\n<p>never closed\n")
    with open(book_copy / "book.yaml", "a") as fh:
        fh.write("templates: theme\n")
    expect(fail_build(book_copy, tmp_path), "theme/print/handout.html", None, "template error")


def test_book_stylesheet_may_not_fetch(book_copy, tmp_path):
    (book_copy / "extra.css").write_text("body { color: black; }\n"
                                         "h1 { background: url(http://127.0.0.1:9/x.png); }\n")
    with open(book_copy / "book.yaml", "a") as fh:
        fh.write("stylesheet: extra.css\n")
    expect(fail_build(book_copy, tmp_path), "extra.css", 2, "may not load anything")


def test_unquoted_citation_in_a_yaml_cell_names_the_character_and_the_cure(tmp_path):
    """A table cell written as the docs show rows, with a citation left unquoted: the
    error gives the line, the column and the character, and says to quote the value."""
    from studyguide.errors import Reporter
    from studyguide.readers import parse_yaml
    path = tmp_path / "t.yaml"
    text = "tbl-x:\n  rows:\n    - [Convergent, Deep trench [@morgan1968]]\n"
    report = Reporter(tmp_path)
    assert parse_yaml(text, path, report) is None
    [d] = report.diagnostics
    assert d.line == 3 and d.severity == "error"
    assert d.message.startswith("malformed YAML: ")
    assert f"(column {text.splitlines()[2].index('@') + 1})" in d.message
    assert "the character is '@': put the value in quotes" in d.message


def test_content_errors_are_reported_before_any_worker_starts(book_copy, tmp_path, monkeypatch):
    """A typo in book.yaml, and a dangling link in a chapter, are reported at their
    lines without a worker pool ever being made: the content is read and checked before
    the workers start (and before they have loaded WeasyPrint)."""
    from studyguide import builder
    from studyguide.errors import BuildError
    made = []

    class Recorded(builder.Pool):
        def __init__(self, *args, **kwargs):
            made.append(args)
            super().__init__(*args, **kwargs)

    monkeypatch.setattr(builder, "Pool", Recorded)
    opts = builder.Options(content=book_copy, output=tmp_path / "out")
    for path, old, new in ((book_copy / "book.yaml", "paper: A4", "paper: A44"),
                           (book_copy / CH1, "[](#sec-beta)", "[](#sec-gone)")):
        edit(path, old, new)
        with pytest.raises(BuildError) as raised:
            builder.build(opts)
        shown = [str(d) for d in raised.value.diagnostics]
        mistake = new.split()[-1].strip("[]()")
        assert any(re.search(rf"{path.name}:{line_of(path, mistake)}: error: .*{mistake}", d)
                   for d in shown), shown
        assert made == [], "a pool was started for content with errors"
        edit(path, new, old)
    # and the same book, mended, makes its pool
    builder.build(builder.Options(content=book_copy, output=tmp_path / "out",
                                  formats=("epub",), preflight=False))
    assert len(made) == 1


def test_weasyprint_warnings_on_the_book_stylesheet_reach_the_author_at_its_lines(
        book_copy, tmp_path):
    """What WeasyPrint ignores in a book's own stylesheet is a warning at the line of
    the stylesheet that says it, and fails a --strict build; the theme's own stylesheets
    say nothing."""
    from studyguide import builder
    from studyguide.errors import BuildError
    (book_copy / "styles").mkdir()
    (book_copy / "styles" / "x.css").write_text(
        "h1 {\n  color: #333;\n  colr: blue;\n}\np { margin-top: sideways; }\n")
    with open(book_copy / "book.yaml", "a") as fh:
        fh.write("stylesheet: styles/x.css\n")
    opts = builder.Options(content=book_copy, output=tmp_path / "out", formats=("epub",),
                           preflight=False)
    result = builder.build(opts)
    notes = [w for w in result.warnings if "x.css" in w]
    assert len(notes) == 2, result.warnings
    assert re.search(r"styles/x\.css:3: warning: Ignored `colr: blue` at 3:3, unknown property",
                     notes[0]), notes
    assert re.search(r"styles/x\.css:5: warning: Ignored `margin-top: sideways` .*invalid value",
                     notes[1]), notes
    with pytest.raises(BuildError) as raised:
        builder.build(builder.Options(content=book_copy, output=tmp_path / "strict",
                                      formats=("epub",), preflight=False, strict=True))
    assert any("x.css" in str(d) and "colr" in str(d) for d in raised.value.diagnostics)
