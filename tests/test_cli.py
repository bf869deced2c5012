"""The ``studyguide`` command and ``build.py``: parsing, ``new``, ``check``, messages."""
from __future__ import annotations

import datetime as dt
import re
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import ROOT, Watching, epubcheck
from test_errors import edit, line_of, snapshot
from studyguide import __version__, cli, paths


# -- parsing --------------------------------------------------------------------------
def test_build_defaults_to_the_current_folder_with_output_and_cache_inside(tmp_path,
                                                                        monkeypatch):
    monkeypatch.chdir(tmp_path)
    args = cli.parser().parse_args(["build"])
    assert args.command == "build" and args.folder == Path(".")
    opts = cli.options_from(args, args.folder, args.output or args.folder / "output",
                            args.cache or args.folder / ".cache")
    assert opts.content == tmp_path.resolve()
    assert opts.output == tmp_path.resolve() / "output"
    assert opts.cache == tmp_path.resolve() / ".cache"
    assert opts.formats == ()            # the book's outputs: decides
    assert opts.papers == ()


def test_build_options_parse_after_the_subcommand():
    args = cli.parser().parse_args(
        ["build", "book", "--format", "pdf", "--format", "pdf", "--paper", "Letter",
         "--edition", "teacher", "--no-handouts", "--strict", "-j", "3", "--no-cache",
         "--output", "out", "-q"])
    opts = cli.options_from(args, args.folder, args.output, Path("unused"))
    assert opts.formats == ("pdf",) and opts.papers == ("Letter",)
    assert opts.editions == ("teacher",) and not opts.handouts and opts.strict
    assert opts.jobs == 3 and opts.cache is None and args.quiet
    assert opts.output == Path("out").resolve()


@pytest.mark.parametrize("argv", [["-v", "check"], ["check", "-v"], ["check", "--debug"]])
def test_debug_flag_before_or_after_the_subcommand(argv):
    assert cli.parser().parse_args(argv).debug is True
    assert cli.parser().parse_args(["check"]).debug is False


def test_every_subcommand_and_its_options_are_in_help():
    top = cli.parser().format_help()
    assert top.startswith("usage: studyguide ")
    for name in ("new", "build", "watch", "check"):
        assert re.search(rf"^\s+{name}\s+\S", top, re.M), name
    build = subprocess.run([sys.executable, "-m", "studyguide", "build", "--help"],
                           capture_output=True, text=True, cwd=ROOT)
    assert build.returncode == 0 and build.stdout.startswith("usage: studyguide build ")
    for option in ("--output", "--cache", "--format", "--paper", "--edition", "--no-handouts",
                   "--strict", "--jobs", "--no-cache", "--quiet", "--debug"):
        assert option in build.stdout, option


def test_build_py_keeps_its_name_options_and_repository_defaults():
    p = cli.script_parser(ROOT)
    assert p.format_help().startswith("usage: build.py ")
    args = p.parse_args([])
    assert args.content == ROOT / "content" and args.output == ROOT / "output"
    assert args.cache == ROOT / ".cache" and not args.watch


@pytest.mark.parametrize("argv", [[], ["frobnicate"], ["new"], ["build", "--format", "mobi"]])
def test_bad_command_lines_are_usage_errors(argv, capsys):
    with pytest.raises(SystemExit) as exc:
        cli.main(argv)
    assert exc.value.code == 2
    assert "usage: studyguide" in capsys.readouterr().err


def test_version(capsys):
    with pytest.raises(SystemExit) as exc:
        cli.main(["--version"])
    assert exc.value.code == 0
    assert capsys.readouterr().out.strip() == f"studyguide {__version__}"


# -- new ----------------------------------------------------------------------------------
def test_new_writes_the_starter_with_its_own_identifier_and_date(tmp_path, capsys):
    assert cli.main(["new", str(tmp_path / "a")]) == 0
    (tmp_path / "b").mkdir()                           # an empty folder is fine too
    assert cli.main(["new", "-q", str(tmp_path / "b")]) == 0
    assert "studyguide build" in capsys.readouterr().out
    starter = snapshot(paths.STARTER)
    a, b = snapshot(tmp_path / "a"), snapshot(tmp_path / "b")
    assert set(a) == set(b) == {n for n in starter if "__pycache__" not in n}
    assert all(a[n] == starter[n] for n in a if n != "book.yaml")
    yamls = [(folder / "book.yaml").read_text() for folder in (paths.STARTER, tmp_path / "a",
                                                               tmp_path / "b")]
    ids = [re.search(r"^identifier: (urn:uuid:[0-9a-f-]{36})$", y, re.M)[1] for y in yamls]
    assert len(set(ids)) == 3, ids
    assert re.search(rf"^date: {dt.date.today().isoformat()}$", yamls[1], re.M)
    assert all(len(y.splitlines()) == len(yamls[0].splitlines()) for y in yamls)


@pytest.mark.parametrize("existing", ["file in folder", "a file", "hidden file"])
def test_new_refuses_anything_but_a_new_or_empty_folder(tmp_path, capsys, existing):
    target = tmp_path / "book"
    if existing == "a file":
        target.write_text("mine")
    else:
        target.mkdir()
        (target / ("notes.md" if existing == "file in folder" else ".git")).write_text("mine")
    before = snapshot(tmp_path)
    assert cli.main(["new", str(target)]) == 1
    err = capsys.readouterr().err
    assert re.search(r"book: error: not an empty folder", err), err
    assert snapshot(tmp_path) == before


def test_new_reports_a_folder_it_cannot_create(tmp_path, capsys):
    (tmp_path / "file").write_text("x")
    assert cli.main(["new", str(tmp_path / "file" / "book")]) == 1
    err = capsys.readouterr().err
    assert "error: cannot write the new book" in err and "Traceback" not in err


def test_starter_shows_every_construct_of_the_authoring_guide():
    """The starter is where an author learns the format: each construct of
    docs/authoring.md is in it (and ``check`` below proves it is all valid)."""
    book = paths.STARTER
    text = "\n".join(p.read_text(encoding="utf-8") for p in sorted(book.rglob("*.md")))
    for construct in ("[@", "; @", "[-@", ", chap.", "[^", "](#", "[](#", "{#sec-",
                      "::: {#tbl-", "::: {.sidebar title=", "](figure:timeline)",
                      "](figure:strategies", "](../images/", "{.index}", "{.index entry=",
                      "\n> ", "type: recall", "type: analysis", "answer:", "objectives:",
                      "key_terms:", "summary:", "short_title:", "key_points:",
                      "further_reading:", "marks:", "type: source", "type: essay",
                      "indicative:", "plan:", "::: epigraph\n"):
        assert construct in text, construct
    yaml = (book / "book.yaml").read_text(encoding="utf-8")
    for key in ("title", "subtitle", "authors", "language", "edition", "date", "identifier",
                "licence", "description", "paper", "csl", "bibliography", "chapters",
                "back_matter", "outputs", "stylesheet", "templates"):
        assert re.search(rf"^(# )?{key}:", yaml, re.M), key
    for name in ("CHANGELOG.md", "book.css", "references.json", "tables/tables.yaml",
                 "data/glossary.yaml", "data/timeline.yaml", "data/people.yaml",
                 "data/annotations.yaml", "data/strategies.yaml", "data/index.yaml",
                 "data/mark_schemes.yaml"):
        assert (book / name).is_file(), name
    tables = (book / "tables" / "tables.yaml").read_text(encoding="utf-8")
    assert "tbl-master:" in tables and "align: [" in tables
    assert "\n#" in (book / "data" / "glossary.yaml").read_text(encoding="utf-8")  # commented


# -- check --------------------------------------------------------------------------------
def test_check_passes_the_starter_without_a_warning(tmp_path, capsys):
    assert cli.main(["new", "-q", str(tmp_path / "b")]) == 0
    assert cli.main(["check", "--strict", str(tmp_path / "b")]) == 0
    out = capsys.readouterr()
    assert out.err == "" and out.out.strip().endswith("no errors, 0 warning(s)")


def test_check_in_the_books_folder_reports_and_writes_nothing(book_copy, capsys,
                                                              monkeypatch):
    edit(book_copy / "book.yaml", "paper: A4", "paper: A5")
    edit(book_copy / "book.yaml", "language: en-GB\n", "")
    monkeypatch.chdir(book_copy)
    before = snapshot(book_copy)
    assert cli.main(["check"]) == 1
    err = capsys.readouterr().err
    assert f"book.yaml:{line_of(book_copy / 'book.yaml', 'paper:')}: error: unknown paper " \
        "size 'A5'" in err
    assert "book.yaml:1: error: missing required field 'language'" in err
    assert err.rstrip().endswith("check failed: 2 error(s)"), err
    assert snapshot(book_copy) == before and not (book_copy / "output").exists()


def test_check_finds_content_errors_that_only_rendering_shows(book_copy, capsys):
    edit(book_copy / "chapters" / "01-first.md", "[@writer1901, 12]", "[@nobody1900]")
    edit(book_copy / "chapters" / "02-second.md", "[](#sec-alpha)", "[](#sec-nowhere)")
    assert cli.main(["check", str(book_copy)]) == 1
    err = capsys.readouterr().err
    assert re.search(r"01-first\.md:\d+: error: unknown citation key 'nobody1900'", err), err
    assert re.search(r"02-second\.md:\d+: error: .*'#sec-nowhere'", err), err
    assert "check failed: 2 error(s)" in err


def test_check_warnings_fail_only_under_strict(book_copy, capsys):
    edit(book_copy / "data" / "glossary.yaml", "- term: Beta theory",
         "- term: Gamma idea\n  definition: Never used.\n- term: Beta theory")
    assert cli.main(["check", str(book_copy)]) == 0
    out = capsys.readouterr()
    assert "warning: glossary term 'Gamma idea' is never used" in out.err
    assert "no errors, 1 warning(s)" in out.out
    assert cli.main(["check", "--strict", str(book_copy)]) == 1
    assert "check failed: 1 warning(s) under --strict" in capsys.readouterr().err


def test_check_reports_the_book_stylesheets_warnings_as_the_build_does(book_copy, tmp_path,
                                                                       capsys):
    """What WeasyPrint ignores in the book's stylesheet was a warning of the build alone:
    `check` said "no errors, 0 warning(s)". It reports them too, at the same lines."""
    from studyguide import builder
    (book_copy / "book.css").write_text("/* own styles */\n.box.sidebar { border-colour: "
                                        "#555; }\n", encoding="utf-8")
    with open(book_copy / "book.yaml", "a", encoding="utf-8") as fh:
        fh.write("stylesheet: book.css\n")
    assert cli.main(["check", str(book_copy)]) == 0
    out = capsys.readouterr()
    checked = [line for line in out.err.splitlines() if "book.css" in line]
    assert len(checked) == 1 and re.search(
        r"book\.css:2: warning: Ignored `border-colour: #555` at 2:\d+, unknown property",
        checked[0]), out.err
    assert "no errors, 1 warning(s)" in out.out
    built = builder.build(builder.Options(content=book_copy, output=tmp_path / "out",
                                          formats=("epub",), preflight=False))
    assert [w for w in built.warnings if "book.css" in w] == checked


@pytest.mark.parametrize("text,found", [("", "an empty file"), ("# only a comment\n",
                                                                  "an empty file"),
                                        ("- a list\n", "a list"), ("just words\n",
                                                                   "a single value")])
def test_book_yaml_must_be_a_mapping(tmp_path, capsys, text, found):
    (tmp_path / "book.yaml").write_text(text)
    assert cli.main(["check", str(tmp_path)]) == 1
    err = capsys.readouterr().err
    assert re.search(r"book\.yaml:1: error: book\.yaml must be a YAML mapping .*, not "
                     + found, err), err
    assert "0 error(s)" not in err and "check failed: 1 error(s)" in err


def test_a_folder_without_a_book(tmp_path, capsys):
    assert cli.main(["check", str(tmp_path)]) == 1
    assert "book.yaml: error: no book.yaml in the content folder" in capsys.readouterr().err
    assert cli.main(["build", str(tmp_path / "missing")]) == 1
    assert "missing: error: content folder not found" in capsys.readouterr().err


# -- build messages -----------------------------------------------------------------------
def test_strict_build_failing_on_warnings_says_so(book_copy, tmp_path, capsys):
    edit(book_copy / "data" / "glossary.yaml", "- term: Beta theory",
         "- term: Gamma idea\n  definition: Never used.\n- term: Beta theory")
    out = tmp_path / "out"
    assert cli.main(["build", str(book_copy), "--output", str(out), "--no-cache",
                     "--strict", "-q"]) == 1
    err = capsys.readouterr().err
    assert "warning: glossary term 'Gamma idea' is never used" in err
    assert err.rstrip().endswith(
        "build failed: 1 warning(s) under --strict; outputs left unchanged"), err
    assert not out.exists()


def test_failure_summary_counts_what_failed():
    from studyguide.errors import Diagnostic
    e, w = Diagnostic("a", 1, "x", "error"), Diagnostic("a", 2, "y", "warning")
    assert cli.failure([e, w], strict=False) == "build failed: 1 error(s)"
    assert cli.failure([e, w, w], strict=True) == \
        "build failed: 1 error(s) and 2 warning(s) under --strict"
    assert cli.failure([w], strict=True, what="check") == \
        "check failed: 1 warning(s) under --strict"


def test_command_line_overrides_of_the_book_are_noted(book_copy):
    edit(book_copy / "book.yaml", "paper: A4", "paper: A4\noutputs: [epub]")
    args = cli.parser().parse_args(["build", str(book_copy), "--format", "pdf",
                                    "--format", "epub", "--paper", "A4", "--paper", "Letter"])
    notes = cli.overrides(cli.options_from(args, args.folder, book_copy / "o", book_copy / "c"))
    book = book_copy / "book.yaml"
    assert notes == [
        f"{book}:{line_of(book, 'outputs:')}: note: --format pdf: the command line "
        "overrides the book's outputs: [epub]",
        f"{book}:{line_of(book, 'paper:')}: note: --paper Letter: the command line "
        "overrides the book's paper: A4"]
    same = cli.parser().parse_args(["build", str(book_copy), "--format", "epub"])
    assert cli.overrides(cli.options_from(same, same.folder, book_copy, book_copy)) == []


def test_a_format_left_out_on_the_command_line_is_noted(book_copy):
    """`--format epub` on a book whose outputs are [pdf, epub] builds only the EPUB: it
    said nothing of the PDF it left out."""
    edit(book_copy / "book.yaml", "paper: A4", "paper: A4\noutputs: [pdf, epub]")
    args = cli.parser().parse_args(["build", str(book_copy), "--format", "epub"])
    opts = cli.options_from(args, args.folder, book_copy / "o", book_copy / "c")
    book = book_copy / "book.yaml"
    assert opts.formats == ("epub",)
    assert cli.overrides(opts) == [
        f"{book}:{line_of(book, 'outputs:')}: note: --format epub: the command line "
        "overrides the book's outputs: [pdf, epub]"]
    both = cli.parser().parse_args(["build", str(book_copy), "--format", "epub",
                                    "--format", "pdf"])
    assert cli.overrides(cli.options_from(both, both.folder, book_copy, book_copy)) == []


def test_unexpected_failure_is_one_line_or_with_debug_a_traceback(book_copy, tmp_path,
                                                                  capsys, monkeypatch):
    # a broken engine (an unusable cache is only a warning, test_faults.py)
    from studyguide import cache
    monkeypatch.setattr(cache, "ENGINE_FOLDERS", (None,))
    argv = ["build", str(book_copy), "--cache", str(tmp_path / "cache"), "-q"]
    assert cli.main(argv) == 1
    err = capsys.readouterr().err
    assert "Traceback" not in err and re.fullmatch(r"error: \w+Error: .*-v.*\n", err), err
    assert cli.main(["-v", *argv]) == 1
    err = capsys.readouterr().err
    assert err.startswith("Traceback (most recent call last)") and "cache.py" in err


@pytest.mark.slow
def test_explicit_format_wins_over_the_books_outputs(book_copy, tmp_path):
    """A book that declares only an EPUB gets the PDF too when asked for it, and is told
    that the command line won."""
    edit(book_copy / "book.yaml", "paper: A4", "paper: A4\noutputs: [epub]")
    out = tmp_path / "out"
    common = ["--output", str(out), "--no-cache", "--no-handouts", "--edition", "student"]
    run = subprocess.run([sys.executable, "-m", "studyguide", "build", str(book_copy),
                          "--format", "pdf", "--format", "epub", *common],
                         capture_output=True, text=True, timeout=600)
    assert run.returncode == 0, run.stderr
    assert "note: --format pdf: the command line overrides the book's outputs: [epub]" \
        in run.stderr
    assert sorted(p.name for p in out.iterdir()) == [     # and the list of what it made
        ".studyguide-outputs.json", "a-small-test-book-student-a4.pdf",
        "a-small-test-book.epub"]
    assert (out / "a-small-test-book-student-a4.pdf").read_bytes().startswith(b"%PDF-")
    assert not epubcheck(out / "a-small-test-book.epub")
    default = subprocess.run([sys.executable, "-m", "studyguide", "build", str(book_copy),
                              *common[:1], str(tmp_path / "default"), *common[2:]],
                             capture_output=True, text=True, timeout=600)
    assert default.returncode == 0 and "note:" not in default.stderr
    assert sorted(p.name for p in (tmp_path / "default").iterdir()) == [
        ".studyguide-outputs.json", "a-small-test-book.epub"]


@pytest.mark.slow
def test_watch_ignores_the_outputs_it_writes_inside_the_book(book_copy):
    """`studyguide watch` writes into the book's own output/ and .cache/: that must not
    start another build, nor must an editor's temporary files beside a chapter; a saved
    chapter must."""
    watching = Watching([sys.executable, "-m", "studyguide", "watch", "--format", "epub"],
                        cwd=book_copy)
    try:
        watching.wait_for("built ", timeout=120)
        watching.idle(3)
        assert (book_copy / "output" / "a-small-test-book.epub").is_file()
        assert (book_copy / ".cache").is_dir()
        chapters = book_copy / "chapters"
        for temporary in ("4913", "#02-second.md#", "02-second.md~", "02-second.md.swp",
                          "02-second.md___jb_tmp___", ".02-second.md.swx"):
            (chapters / temporary).write_text("an editor's")
            (chapters / temporary).unlink()
        watching.idle(2)
        edit(book_copy / "chapters" / "02-second.md", "Closing words", "Last words")
        watching.wait_for("rebuilt in")
        changed = [l for l in watching.lines if l.startswith("changed: ")]
        assert changed == [f"changed: {(book_copy / 'chapters' / '02-second.md').resolve()}\n"]
    finally:
        watching.stop()


def test_watch_lists_the_saved_file_not_the_copy_renamed_onto_it(tmp_path, capsys,
                                                                 monkeypatch):
    """`sed -i` writes a copy beside the file (chapters/sedTT5eCj) and renames it onto
    the file: the copy was listed as changed beside the chapter, and passed on to the
    rebuild. Only the book's files that changed are; a file written and removed again
    starts no rebuild."""
    import os
    import threading
    import time
    from types import SimpleNamespace

    from studyguide import watch
    book = tmp_path.resolve() / "book"
    (book / "chapters").mkdir(parents=True)
    chapter = book / "chapters" / "02-supply.md"
    chapter.write_text("Supply.", encoding="utf-8")
    for name in ("TEMPLATES", "STYLES"):        # the builder's own, which may be edited
        (tmp_path / name).mkdir()
        monkeypatch.setattr(paths, name, tmp_path / name)

    def save() -> None:
        scratch, copy = book / "chapters" / "scratch", book / "chapters" / "sedTT5eCj"
        scratch.write_text("x")
        scratch.unlink()
        time.sleep(1.5)                      # read as a save of its own, then sed's
        copy.write_text("More supply.")
        os.replace(copy, chapter)

    runs = []

    def run_once(opts, quiet, saved=None):
        runs.append(saved)
        if saved is not None:
            raise KeyboardInterrupt          # stops watching
        threading.Thread(target=save).start()
        return 0

    opts = SimpleNamespace(content=book, output=book / "output", cache=book / ".cache")
    assert watch.watch(opts, True, run_once, settle=0.3, files=True) == 0
    assert runs == [None, [str(chapter)]]
    assert [l for l in capsys.readouterr().out.splitlines() if l.startswith("changed")] == \
        [f"changed: {chapter}"]


def test_a_build_with_nothing_to_do_says_so_once(book_copy, tmp_path, capsys, monkeypatch):
    """A build with nothing changed said "nothing changed" as its step, then again in
    its summary."""
    from studyguide import cache
    monkeypatch.setattr(cache.Cache, "unchanged",
                        lambda self, output, inputs: ([output / "a.pdf"], []))
    assert cli.main(["build", str(book_copy), "--output", str(tmp_path / "out"),
                     "--cache", str(tmp_path / "cache")]) == 0
    said = capsys.readouterr()
    assert (said.out + said.err).count("nothing changed") == 1, said
    assert said.out.startswith("nothing changed: 1 file(s) in ")


def test_output_names_part_words_at_a_dash_or_slash():
    """The outputs' name parts the words a dash or a slash parts ("…-1789-1799", it was
    "…-17891799"); an id's slug, pandoc's, still runs them together."""
    from studyguide.builder import file_slug
    from studyguide.loader import slugify
    assert file_slug("La Révolution française, 1789–1799") == \
        "la-revolution-francaise-1789-1799"
    assert file_slug("Input/Output — a primer") == "input-output-a-primer"
    assert slugify("1789–1799") == "17891799"


def test_a_title_in_another_script_names_the_outputs_in_its_own_letters():
    """A title with no Latin letter named the outputs by a digest ("u5376fbfea7-student-
    a4.pdf"), which told a teacher nothing; it keeps its own letters, its marks (a Hindi
    vowel sign) and its digits, lower case where the script has case."""
    from studyguide.builder import file_slug
    assert file_slug("Периодический закон Менделеева") == "периодический-закон-менделеева"
    assert file_slug("בית הספר: תחיית הלשון") == "בית-הספר-תחיית-הלשון"
    assert file_slug("بيت الحكمة — الترجمة في بغداد") == "بيت-الحكمة-الترجمة-في-بغداد"
    assert file_slug("हिन्दी भाषा") == "हिन्दी-भाषा"
    # a Persian word's zero-width non-joiner is the word's, not a space
    assert file_slug("کتاب\u200cهای مشروطه") == "کتاب\u200cهای-مشروطه"
    assert file_slug("Ελληνική Ιστορία, 1821") == "ελληνική-ιστορία-1821"


def test_a_latin_titles_letters_are_spelled_in_ascii_not_left_out():
    """Latin letters without an accent to strip were left out of the outputs' names:
    "yasamn" for Turkish "Yaşamın", "odz-strae" for "Łódź, Straße"."""
    from studyguide.builder import file_slug
    assert file_slug("Işık, İğne ve Yaşamın Kökeni") == "isik-igne-ve-yasamin-kokeni"
    assert file_slug("Łódź, Straße, Ørsted") == "lodz-strasse-orsted"
    assert file_slug("La Révolution française, 1789–1799") == \
        "la-revolution-francaise-1789-1799"


def test_epub_screenshot_names_a_missing_program(tmp_path, mini_build):
    """scripts/epub-screenshot without chromium said nothing and exited 127; it names
    the program it needs."""
    import shutil
    import subprocess
    from conftest import ROOT, only
    tools = tmp_path / "bin"
    tools.mkdir()
    for tool in ("bash", "unzip", "perl", "realpath", "mktemp", "rm"):
        (tools / tool).symlink_to(shutil.which(tool))
    result = subprocess.run([str(ROOT / "scripts" / "epub-screenshot"),
                             str(only(mini_build, "*.epub")), "ch01"],
                            env={"PATH": str(tools)}, capture_output=True, text=True)
    assert result.returncode == 1 and "needs chromium" in result.stderr, result
