"""How book.yaml and the front matter are read, in process: what a key accepts, and that
every problem of every file is reported in one run."""
from pathlib import Path

from studyguide import cli
from studyguide.errors import Reporter
from studyguide.loader import load_metadata


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text, f"{old!r} not in {path}"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def test_a_paper_size_may_be_named_in_any_case(book_copy):
    """`paper: letter` was an unknown paper size and `--paper letter` a usage error,
    while the outputs are named ...-letter.pdf: any case names the size."""
    for written, size in (("letter", "Letter"), ("LETTER", "Letter"), ("a4", "A4")):
        edit(book_copy / "book.yaml", "paper: A4", f"paper: {written}")
        report = Reporter(book_copy)
        meta, _, _ = load_metadata(book_copy, report)
        assert not report.errors, report.errors
        assert meta.paper == size
        edit(book_copy / "book.yaml", f"paper: {written}", "paper: A4")
    args = cli.parser().parse_args(["build", str(book_copy), "--paper", "letter",
                                    "--paper", "a4", "--paper", "Letter"])
    opts = cli.options_from(args, book_copy, book_copy / "out", book_copy / "cache")
    assert opts.papers == ("Letter", "A4")
    # the book's "letter" is the command line's "Letter": nothing to note
    edit(book_copy / "book.yaml", "paper: A4", "paper: letter")
    args = cli.parser().parse_args(["build", str(book_copy), "--paper", "LETTER"])
    assert cli.overrides(cli.options_from(args, book_copy, book_copy, book_copy)) == []
    from studyguide.schema import PAPER_SIZES
    assert cli.PAPERS == PAPER_SIZES


def test_a_fault_in_book_yamls_metadata_leaves_the_chapters_checked(book_copy, capsys):
    """A bad date and paper size in book.yaml hid a missing image in a chapter until
    they were fixed: a fault in a key only the metadata depends on leaves the book to be
    rendered, every problem of every file reported in one run."""
    import re
    book_yaml = book_copy / "book.yaml"
    edit(book_yaml, "date: 2025-03-01", "date: 03.10.2026")
    edit(book_yaml, "paper: A4", "paper: A5")
    edit(book_copy / "chapters" / "01-first.md", "(figure:strategies",
         "(../images/missing.png")
    assert cli.main(["check", str(book_copy)]) == 1
    err = capsys.readouterr().err
    assert re.search(r"book\.yaml:\d+: error: 'date' must be a date", err), err
    assert re.search(r"book\.yaml:\d+: error: unknown paper size 'A5'", err), err
    assert re.search(r"01-first\.md:\d+: error: missing image '../images/missing.png'", err)
    assert "check failed: 3 error(s)" in err, err
    # a fault in a key the content depends on is not rendered past: its consequences
    # (every citation unknown without the bibliography) would bury it
    edit(book_yaml, "bibliography: references.json", "bibliography: [references.json]")
    assert cli.main(["check", str(book_copy)]) == 1
    err = capsys.readouterr().err
    assert "unknown citation key" not in err and "missing image" not in err, err
    assert "check failed: 3 error(s)" in err, err


def test_a_colon_inside_a_text_is_explained_where_yaml_fails(tmp_path):
    """"title: Méthode : analyser…" (French sets a space before a colon) is a YAML error
    at the second colon, which said only "mapping values are not allowed"; it now says
    why, and how the line is written, as the same colon in a list item does."""
    from studyguide.readers import read_markdown, read_yaml
    page = tmp_path / "methode.md"
    page.write_text("---\ntitle: Méthode : analyser un document historique\n---\n\nTexte.\n",
                    encoding="utf-8")
    report = Reporter(tmp_path)
    read_markdown(page, report)
    [error] = report.errors
    assert error.line == 2 and error.message.startswith(
        "malformed YAML: mapping values are not allowed"), error
    assert error.message.endswith(
        "; YAML reads a colon followed by a space as a key; put the whole text in quotes "
        '(title: "Méthode : analyser un document historique")'), error
    # in book.yaml, a value with quotes of its own
    path = tmp_path / "book.yaml"
    path.write_text('title: T\ndescription: Le "grand" livre : une méthode\n',
                    encoding="utf-8")
    report = Reporter(tmp_path)
    read_yaml(path, report, "book")
    [error] = report.errors
    assert error.line == 2 and error.message.endswith(
        '(description: "Le \\"grand\\" livre : une méthode")'), error
    # a key indented under a text is another mistake: no such hint
    path.write_text("title: T\n  subtitle: S\n", encoding="utf-8")
    report = Reporter(tmp_path)
    read_yaml(path, report, "book")
    [error] = report.errors
    assert "mapping values are not allowed" in error.message and "quotes" not in \
        error.message, error


def test_a_yaml_syntax_error_in_book_yaml_leaves_the_chapters_checked(book_copy, capsys):
    """A chapter line indented with a tab made book.yaml unreadable, and every error of
    the chapters' front matter stayed hidden until the tab was found: the chapters it
    lists are read from its lines and checked in the same run, and the tab error says
    what to do."""
    import re
    book_yaml = book_copy / "book.yaml"
    edit(book_yaml, "  - chapters/02-second.md", "\t- chapters/02-second.md")
    edit(book_copy / "chapters" / "01-first.md", "title:", "marks_out: 4\ntitle:")
    edit(book_copy / "chapters" / "02-second.md", "title:", "sumary: S\ntitle:")
    edit(book_copy / "back" / "exercise.md", "title:", "titel: Oops\ntitle:")
    assert cli.main(["check", str(book_copy)]) == 1
    err = capsys.readouterr().err
    tab = book_yaml.read_text().splitlines().index("\t- chapters/02-second.md") + 1
    assert re.search(rf"book\.yaml:{tab}: error: malformed YAML: .*tab.*; indent with spaces, "
                     r"not tabs", err), err
    assert re.search(r"01-first\.md:\d+: error: unknown key 'marks_out'", err), err
    assert re.search(r"02-second\.md:\d+: error: unknown key 'sumary'", err), err
    assert re.search(r"exercise\.md:\d+: error: unknown key 'titel'", err), err
    assert "check failed: 4 error(s)" in err, err


def test_curly_quotes_typed_into_front_matter_are_named(book_copy, capsys):
    """A plan item written “Against: …” (quoted, the author thought) was told to put the
    text in quotes, which it had, and a source's cite: “[@writer1901]” printed the
    citation between curly quotes without a word: both now say that YAML's quotes are
    straight and the curly ones are text, at their lines."""
    import re
    chapter = book_copy / "chapters" / "01-first.md"
    edit(chapter, "    answer: Historians disagree; see @historian2000.\n",
         "    answer: Historians disagree; see @historian2000.\n"
         "    plan:\n      - “Against: the critics were right.”\n"
         "  - type: source\n    question: What does the extract say?\n"
         "    source:\n      text: Alpha came first.\n      cite: “[@writer1901, 12]”\n")
    assert cli.main(["check", str(book_copy)]) == 1
    err = capsys.readouterr().err
    lines = chapter.read_text(encoding="utf-8").splitlines()
    plan = lines.index("      - “Against: the critics were right.”") + 1
    cite = lines.index("      cite: “[@writer1901, 12]”") + 1
    assert re.search(rf"01-first\.md:{plan}: error: 'questions\[2\]\.plan\[1\]' must be a "
                     r"text, not a mapping: .*YAML's quotes are straight \(\" or '\); curly "
                     r"quotes .* are part of the text.*put the whole text in straight quotes "
                     r"\(\"Against: …\"\)", err), err
    assert re.search(rf"01-first\.md:{cite}: warning: source cite: '“\[@writer1901, 12\]”' "
                     r"has text around its citation \('“”'\).*cite: holds the citation "
                     r"alone.*YAML's quotes are straight", err), err
    # the citation alone, or a source named in words, is no warning
    edit(chapter, "      - “Against: the critics were right.”", "      - Against alpha.")
    edit(chapter, "cite: “[@writer1901, 12]”", 'cite: "[@writer1901, 12]"')
    assert cli.main(["check", str(book_copy)]) == 0
    assert "cite" not in capsys.readouterr().err
