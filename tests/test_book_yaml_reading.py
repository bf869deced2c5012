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
