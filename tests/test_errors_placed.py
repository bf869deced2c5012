"""Every error has a place, and none hides another.

What goes wrong after the content is read (a picture the typesetter's fetcher refuses,
a template override's own error, a text nested too deeply to typeset, a bug) is a
``path:line: error:`` naming the book's file, or at least ``path: error:``; every
worker's failure is reported, not only the first; two builds into one folder never
interleave; and the no-change check reads nothing that the sandbox would refuse.
Most checks run in-process; the builds are marked slow.
"""
from __future__ import annotations

import io
import os
import shutil
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from conftest import MINI, ROOT


@pytest.fixture
def book(tmp_path) -> Path:
    dest = tmp_path / "book"
    shutil.copytree(MINI, dest)
    return dest


@pytest.fixture
def theme_override(book):
    """The book's own template folder, ``theme/``, declared in book.yaml; the theme is
    reset afterwards (it is selected per process)."""
    from studyguide import theme
    folder = book / "theme"
    (folder / "print").mkdir(parents=True)
    (folder / "epub").mkdir()
    with open(book / "book.yaml", "a", encoding="utf-8") as fh:
        fh.write("templates: theme\n")
    yield folder
    theme.use(None)


def line_of(path: Path, needle: str) -> int:
    for i, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if needle in line:
            return i
    raise AssertionError(f"{needle!r} not in {path}")


def render(book: Path):
    from studyguide.errors import Reporter
    from studyguide.loader import load_book
    from studyguide.resolve import render_book
    report = Reporter(book)
    loaded = load_book(book, report)
    assert loaded is not None, [str(d) for d in report.diagnostics]
    return render_book(loaded, report), report


def placed(report) -> list[tuple[str, int, str]]:
    return [(Path(d.path).name, d.line, d.message) for d in report.errors]


def build(book: Path, out: Path, *options: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "studyguide", "build", str(book),
                           "--output", str(out), "--no-cache", *options],
                          capture_output=True, text=True, timeout=600, cwd=book.parent)


# -- nesting: a documented limit, not a crash ----------------------------------------------
@pytest.mark.parametrize("depth", [200, 3000])
def test_deep_block_quotes_are_an_error_at_their_line(book, depth):
    """200 nested '>' once crashed the typesetter with a RecursionError and no place."""
    from studyguide.resolve import MAX_NESTING
    ch = book / "chapters" / "02-second.md"
    with open(ch, "a", encoding="utf-8") as fh:
        fh.write("\nA plain paragraph.\n\n" + "> " * depth + "Too deep to read.\n")
    _, report = render(book)
    line = line_of(ch, "Too deep to read.")
    assert [(name, n) for name, n, _ in placed(report)] == [("02-second.md", line)], \
        placed(report)
    assert f"nests more than {MAX_NESTING} elements deep" in placed(report)[0][2]


def test_every_place_that_nests_too_deeply_is_reported(book):
    ch = book / "chapters" / "01-first.md"
    with open(ch, "a", encoding="utf-8") as fh:
        fh.write("\n" + "> " * 80 + "First deep place.\n\nBetween.\n\n"
                 + "<div>" * 80 + "Second deep place." + "</div>" * 80 + "\n")
    _, report = render(book)
    assert sorted((name, n) for name, n, _ in placed(report)) == [
        ("01-first.md", line_of(ch, "First deep place.")),
        ("01-first.md", line_of(ch, "Second deep place."))], placed(report)


def test_nesting_within_the_limit_is_typeset(book):
    """Just inside the limit, quotes and lists typeset (the limit leaves the typesetter
    room), and nothing is reported."""
    from pypdf import PdfReader

    from studyguide.writers.pdf import render_handout
    ch = book / "chapters" / "02-second.md"
    with open(ch, "a", encoding="utf-8") as fh:
        fh.write("\n" + "> " * 62 + "Deep but fine.\n\n"
                 + "<ul><li>" * 31 + "A deep list item." + "</li></ul>" * 31 + "\n")
    rb, report = render(book)
    assert report.errors == []
    html = rb.docs[1].body_html
    assert html.count("<blockquote") == 62 and html.count("<ul") == 31
    data = render_handout(rb, rb.docs[1], False, "A4")
    text = " ".join("".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages)
                    .split())
    assert "Deep but fine." in text and "A deep list item." in text


# -- template overrides: their own errors at their lines ----------------------------------
@pytest.mark.parametrize("text, message", [
    ("{{ 1 / 0 }}", "ZeroDivisionError: division by zero"),
    ("{{ 'a' + 1 }}", "TypeError: can only concatenate str"),
    ("{{ '%d'|format('x') }}", "TypeError: %d format"),
    ("{% include 'missing.html' %}", "template 'missing.html' not found"),
    ("{% extends 'print/nowhere.html' %}", "template 'print/nowhere.html' not found"),
    ("{% macro m(n) %}{{ m(n + 1) }}{% endmacro %}{{ m(0) }}", "RecursionError")])
def test_a_template_runtime_error_names_the_template_and_line(theme_override, text, message):
    from studyguide import theme
    from studyguide.errors import BuildError
    template = theme_override / "epub" / "titlepage.html"
    template.write_text("<p>title</p>\n<p>\n" + text + "\n</p>\n")
    theme.use(theme_override)
    with pytest.raises(BuildError) as caught:
        theme.render("epub/titlepage.html", meta={}, front=[])
    [d] = caught.value.diagnostics
    assert (Path(d.path).resolve(), d.line) == (template.resolve(), 3), str(d)
    assert d.message.startswith("template error: ") and message in d.message, str(d)


def test_active_content_an_override_writes_is_reported_at_its_line(theme_override):
    from studyguide import theme
    from studyguide.errors import BuildError
    template = theme_override / "epub" / "titlepage.html"
    template.write_text("<h1>{{ meta.title }}</h1>\n<p>fine</p>\n<SCRIPT>alert(1)</SCRIPT>\n"
                        '<a href="javascript:alert(2)">x</a>\n'
                        "<style>\n  p { color: red }\n  h1 { background: u\\72 l(x.png) }\n"
                        "</style>\n")
    theme.use(theme_override)
    with pytest.raises(BuildError) as caught:
        theme.render("epub/titlepage.html", meta={"title": "T"}, front=[])
    found = {(Path(d.path).name, d.line) for d in caught.value.diagnostics}
    assert found == {("titlepage.html", 3), ("titlepage.html", 4), ("titlepage.html", 7)}, \
        caught.value.diagnostics


def test_every_body_part_s_template_error_is_reported(book, theme_override):
    """A body template that fails differently for two chapters: both are reported."""
    from studyguide.errors import BuildError
    from studyguide.writers.pdf import part_sources
    body = (ROOT / "templates" / "print" / "body.html").read_text()
    (theme_override / "print" / "body.html").write_text(body.replace(
        "{% block content %}\n",
        "{% block content %}\n"
        "{% if doc and doc.number == 1 %}{{ 1 / 0 }}{% endif %}\n"
        "{% if doc and doc.number == 2 %}{{ 'a' + 1 }}{% endif %}\n"))
    rb, report = render(book)
    assert report.errors == []
    with pytest.raises(BuildError) as caught:
        part_sources(rb, False, "A4")
    template = theme_override / "print" / "body.html"
    assert [(d.line, d.message.split(":")[1].strip()) for d in caught.value.diagnostics] == [
        (line_of(template, "1 / 0"), "ZeroDivisionError"),
        (line_of(template, "'a' + 1"), "TypeError")], caught.value.diagnostics


# -- what the typesetter's fetcher refuses: at the line that named it ---------------------
def test_a_refused_fetch_is_reported_at_the_line_that_named_it(book, theme_override, tmp_path):
    """A template override names a picture outside the book; the resolver never saw it,
    the fetcher refuses it while a part is laid out, and the error names the
    override's line (it once named only the content folder)."""
    from PIL import Image

    from studyguide.writers import refusals
    from studyguide.writers.pdf import layout_part, part_sources
    outside = tmp_path / "outside"
    outside.mkdir()
    Image.new("RGB", (4, 4), "red").save(outside / "pic.png")
    body = (ROOT / "templates" / "print" / "body.html").read_text()
    template = theme_override / "print" / "body.html"
    template.write_text(body.replace("{% block content %}\n", '{% block content %}\n\n'
                                     '<img src="../outside/pic.png" alt="p">\n'))
    rb, report = render(book)
    assert report.errors == []
    html = part_sources(rb, False, "A4")[rb.docs[0].id]
    refused = layout_part(rb, html, "test").refused
    assert refused, "the fetcher let a file outside the book through"
    [d] = refusals.diagnostics(rb.book, refused, book)
    assert (Path(d.path).resolve(), d.line) == (template.resolve(),
                                                line_of(template, "../outside/pic.png")), str(d)
    assert d.message.startswith("refused to fetch ") and "outside the book folder" in d.message


def test_a_picture_the_epub_would_not_carry_is_an_error_at_its_line(book, theme_override,
                                                                    tmp_path):
    """An EPUB template override names a picture the content never named: the EPUB
    would show a broken picture; it is an error at the override's line instead."""
    from PIL import Image

    from studyguide.errors import BuildError
    from studyguide.writers.epub import write_epub
    Image.new("RGB", (4, 4), "red").save(book / "unnamed.png")
    page = (ROOT / "templates" / "epub" / "titlepage.html").read_text()
    template = theme_override / "epub" / "titlepage.html"
    template.write_text(page.replace("</section>", '<img src="unnamed.png" alt="u"/>\n'
                                                   "</section>"))
    rb, report = render(book)
    assert report.errors == []
    with pytest.raises(BuildError) as caught:
        write_epub(rb, None)
    [d] = caught.value.diagnostics
    assert (Path(d.path).resolve(), d.line) == (template.resolve(),
                                                line_of(template, "unnamed.png")), str(d)
    assert "not packed into the EPUB" in d.message


def test_a_refusal_no_file_names_is_reported_at_the_file_being_typeset(book):
    from studyguide.writers import refusals
    from studyguide.loader import load_book
    from studyguide.errors import Reporter
    loaded = load_book(book, Reporter(book))
    ch = book / "chapters" / "01-first.md"
    [d] = refusals.diagnostics(loaded, [("file:///nowhere/x.png", "x.png (why)")], ch)
    assert (Path(d.path).resolve(), d.line) == (ch.resolve(), 0)
    assert d.message == "refused to fetch x.png (why)"


# -- unexpected failures name the file ----------------------------------------------------
@pytest.mark.parametrize("rel, old, new", [
    ("data/strategies.yaml", None, "title: Two strategies\ncolumns: 5\n"),
    ("book.yaml", "date: 2025-03-01", "date: 2026-02-30")])
def test_a_failure_while_reading_the_content_names_its_file(book, capsys, rel, old, new):
    """Whatever the schema makes of these, the run names the file, prints no
    traceback and exits 1: a failure without a place once hid every other error."""
    from studyguide import cli
    path = book / rel
    path.write_text(new if old is None else path.read_text().replace(old, new))
    assert cli.main(["check", str(book)]) == 1
    err = capsys.readouterr().err
    assert "Traceback" not in err
    shown = [line for line in err.splitlines() if ": error: " in line]
    assert shown and all(Path(line.split(":")[0]).resolve() == path.resolve()
                         for line in shown), err


def test_an_unexpected_failure_keeps_what_was_found_before_it(book, capsys):
    """An error found before a failure is reported with it."""
    from studyguide import cli
    (book / "data" / "strategies.yaml").write_text("title: Two strategies\ncolumns: 5\n")
    ch = book / "chapters" / "01-first.md"
    with open(ch, "a", encoding="utf-8") as fh:
        fh.write("\nA line.\n\n<script>alert(1)</script>\n")
    assert cli.main(["check", str(book)]) == 1
    err = capsys.readouterr().err
    assert "strategies.yaml" in err
    assert f"01-first.md:{line_of(ch, '<script>')}: error: scripts are not allowed" in err, err


# -- one build at a time into a folder ----------------------------------------------------
def test_a_second_build_into_a_busy_folder_waits_then_fails_naming_it(tmp_path):
    from studyguide.builder import output_lock
    from studyguide.errors import BuildError
    out = tmp_path / "out"
    said: list[str] = []
    with output_lock(out, said.append):
        assert out.is_dir()
        started = time.monotonic()
        with pytest.raises(BuildError) as caught:
            with output_lock(out, said.append, wait=0.5):
                pass
        assert 0.5 <= time.monotonic() - started < 5
    [d] = caught.value.diagnostics
    assert Path(d.path) == out and "another build" in d.message
    assert said == [f"waiting for another build into {out} to finish"]
    assert not out.exists(), "the folder the first build made, left empty, is removed"
    with output_lock(out, said.append, wait=0.5):      # free again
        pass


def test_a_waiting_build_goes_on_when_the_folder_is_free(tmp_path):
    from studyguide.builder import output_lock
    out = tmp_path / "out"
    order: list[str] = []
    holding = threading.Event()

    def first() -> None:
        with output_lock(out, order.append):
            holding.set()
            time.sleep(0.6)
            (out / "first.txt").write_text("1")
            order.append("first done")

    thread = threading.Thread(target=first)
    thread.start()
    holding.wait(5)
    with output_lock(out, order.append, wait=30):
        order.append("second in")
        assert (out / "first.txt").exists()
    thread.join()
    assert order == [f"waiting for another build into {out} to finish", "first done",
                     "second in"], order


# -- the no-change check reads only what the sandbox would read ----------------------------
def test_the_cache_digest_reads_nothing_the_sandbox_refuses(tmp_path):
    """A FIFO, a symlink to /dev/zero, a symlink to a file outside the book and a huge
    sparse file: the digest neither blocks nor reads them, and follows no link out."""
    from studyguide.cache import tree_digest
    folder = tmp_path / "book"
    (folder / "data").mkdir(parents=True)
    (folder / "book.yaml").write_text("title: T\n")
    secret = tmp_path / "secret.txt"
    secret.write_text("one")
    os.mkfifo(folder / "data" / "fifo.yaml")
    (folder / "data" / "zero.yaml").symlink_to("/dev/zero")
    (folder / "data" / "out.yaml").symlink_to(secret)
    (folder / "outdir").symlink_to(tmp_path)             # a folder link out: not walked
    with open(folder / "huge.md", "wb") as fh:
        fh.truncate(20 << 30)                             # 20 GB, sparse
    started = time.monotonic()
    first = tree_digest([folder])
    assert time.monotonic() - started < 5
    secret.write_text("two")                              # outside: not part of the book
    assert tree_digest([folder]) == first
    (folder / "book.yaml").write_text("title: U\n")       # inside: is
    assert tree_digest([folder]) != first
    second = tree_digest([folder])
    (folder / "data" / "out.yaml").unlink()
    (folder / "data" / "out.yaml").symlink_to(tmp_path / "other.txt")
    assert tree_digest([folder]) != second                # where a link leads counts


# -- whole builds --------------------------------------------------------------------------
@pytest.mark.slow
def test_every_worker_s_failure_is_reported(book, theme_override, tmp_path):
    """The handouts fail in the workers, differently for each chapter, and a body part
    names a picture the fetcher refuses: one run reports all of them, each at its
    template line, with no traceback and no output (it once stopped at the first)."""
    from PIL import Image
    outside = tmp_path / "outside"
    outside.mkdir()
    Image.new("RGB", (4, 4), "red").save(outside / "pic.png")
    handout = (ROOT / "templates" / "print" / "handout.html").read_text()
    (theme_override / "print" / "handout.html").write_text(handout.replace(
        "{% block content %}\n",
        "{% block content %}\n"
        "{% if doc.number == 1 %}{{ 1 / 0 }}{% endif %}\n"
        "{% if doc.number == 2 %}{{ 'a' + 1 }}{% endif %}\n"))
    body = (ROOT / "templates" / "print" / "body.html").read_text()
    (theme_override / "print" / "body.html").write_text(body.replace(
        "{% block content %}\n", '{% block content %}\n<img src="../outside/pic.png" alt="p">\n'))
    out = tmp_path / "out"
    result = build(book, out, "--edition", "student", "-j", "2", "-q")
    assert result.returncode == 1, result.stderr
    assert "Traceback" not in result.stderr
    handout_t, body_t = "book/theme/print/handout.html", "book/theme/print/body.html"
    for expected in (
            f"{handout_t}:{line_of(theme_override / 'print' / 'handout.html', '1 / 0')}: "
            "error: template error: ZeroDivisionError",
            f"{handout_t}:{line_of(theme_override / 'print' / 'handout.html', chr(39) + 'a')}: "
            "error: template error: TypeError",
            f"{body_t}:{line_of(theme_override / 'print' / 'body.html', 'outside/pic')}: "
            "error: refused to fetch"):
        assert expected in result.stderr, f"no {expected!r} in\n{result.stderr}"
    assert not out.exists() or not any(out.rglob("*.pdf")) and not any(out.rglob("*.epub"))


@pytest.mark.slow
def test_a_failure_in_a_worker_names_the_file_it_typeset(book, theme_override, tmp_path):
    """A body template nesting one chapter 300 elements deep makes the typesetter fail
    (RecursionError) in a worker: the error names that chapter's file; its traceback is
    printed only with -v."""
    body = (ROOT / "templates" / "print" / "body.html").read_text()
    (theme_override / "print" / "body.html").write_text(body.replace(
        "{% block content %}\n",
        "{% block content %}\n{% if doc and doc.number == 2 %}"
        "{% for i in range(300) %}<div>{% endfor %}x{% for i in range(300) %}</div>"
        "{% endfor %}{% endif %}\n"))
    for options in ([], ["-v"]):
        out = tmp_path / f"out{len(options)}"
        result = build(book, out, "--format", "pdf", "--edition", "student",
                       "--no-handouts", "-q", *options)
        assert result.returncode == 1, result.stderr
        assert "book/chapters/02-second.md: error: it nests too deeply" in result.stderr, \
            result.stderr
        assert ("Traceback" in result.stderr) == bool(options), result.stderr
        assert not out.exists()


@pytest.mark.slow
def test_a_second_build_waits_for_the_first(book, tmp_path):
    """A build into a folder another build holds waits, says so, and writes nothing
    until the folder is free; then it builds."""
    from studyguide.builder import output_lock
    out = tmp_path / "out"
    with output_lock(out, lambda *a: None):
        proc = subprocess.Popen([sys.executable, "-m", "studyguide", "build", str(book),
                                 "--output", str(out), "--no-cache", "--format", "epub",
                                 "--no-handouts"], stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, text=True, cwd=tmp_path)
        time.sleep(8)
        assert proc.poll() is None, proc.communicate()
        assert list(out.iterdir()) == []
    stdout, stderr = proc.communicate(timeout=300)
    assert proc.returncode == 0, stderr
    assert "waiting for another build into" in stderr, stderr
    assert len(list(out.glob("*.epub"))) == 1


def test_a_front_matter_texts_problem_is_at_its_own_line(book):
    """A problem in a text of a chapter's front matter (a summary, an objective, a key
    point, a key term, a question's answer, an item of its teacher's notes) is reported
    at the line of that text or item, not at the chapter's title or the question's
    first line."""
    from studyguide.errors import Reporter
    from studyguide.loader import load_book
    from studyguide.resolve import render_book
    chapter = book / "chapters" / "01-first.md"
    text = chapter.read_text(encoding="utf-8")
    text = text.replace("  - Compare alpha with beta.", "  - Compare alpha [@nokey1].")
    text = text.replace("    answer: Historians disagree; see @historian2000.",
                        "    answer: Historians disagree; see @historian2000.\n"
                        "    indicative:\n      - A first point.\n"
                        "      - A second point [@nokey2].")
    text = text.replace("    answer: Ada Writer stated it first, in 1901 [@writer1901].",
                        "    answer: >\n      Ada Writer stated it first,\n"
                        "      in 1901 [@nokey3].")
    text = text.replace("questions:", "key_points:\n  - One.\n  - Two [@nokey4].\nquestions:")
    text = text.replace("key_terms: [Alpha doctrine, Beta theory]",
                        "key_terms:\n  - Alpha doctrine\n  - Beta theory\n  - Nowhere term")
    chapter.write_text(text, encoding="utf-8")
    lines = text.split("\n")
    report = Reporter(book)
    render_book(load_book(book, report), report)
    where = {d.message.rsplit("'", 2)[1]: d.line for d in report.errors}
    assert where == {
        "nokey1": lines.index("  - Compare alpha [@nokey1].") + 1,
        "nokey2": lines.index("      - A second point [@nokey2].") + 1,
        "nokey3": lines.index("      in 1901 [@nokey3].") + 1,    # in a folded text too
        "nokey4": lines.index("  - Two [@nokey4].") + 1}, report.errors
    assert [d.line for d in report.warnings if "Nowhere term" in d.message] == \
        [lines.index("  - Nowhere term") + 1]


def test_a_list_left_open_in_yaml_is_reported_where_it_opens(book):
    """A ``[list`` whose ``]`` is missing is reported at its own line (YAML gives up on
    the next one), in a chapter's front matter and in a data file."""
    from studyguide.errors import Reporter
    from studyguide.loader import load_book
    chapter = book / "chapters" / "01-first.md"
    text = chapter.read_text(encoding="utf-8")
    chapter.write_text(text.replace("key_terms: [Alpha doctrine, Beta theory]",
                                    "key_terms: [Alpha doctrine, Beta theory"), encoding="utf-8")
    glossary = book / "data" / "glossary.yaml"
    gloss = glossary.read_text(encoding="utf-8")
    glossary.write_text("- term: Open\n  aliases: [open, opened\n  definition: Left open.\n"
                        + gloss, encoding="utf-8")
    report = Reporter(book)
    load_book(book, report)
    found = sorted((Path(d.path).name, d.line) for d in report.errors)
    line = text.split("\n").index("key_terms: [Alpha doctrine, Beta theory]") + 1
    assert found == [("01-first.md", line), ("glossary.yaml", 2)], report.errors
    assert all("a [list] opened here is not closed" in d.message for d in report.errors)


def test_a_quote_left_open_in_yaml_is_reported_where_it_opens(book):
    """``short_title: "Rousseau`` with its closing quote missing ran the value on to the
    next quote, lines later, where YAML gave up: the error named that line. It is
    reported at the line that opens the quote, the parser's line in its message."""
    from studyguide.errors import Reporter
    from studyguide.loader import load_book
    chapter = book / "chapters" / "01-first.md"
    text = chapter.read_text(encoding="utf-8")
    chapter.write_text(text.replace("title: The First Chapter\n",
                                    'title: The First Chapter\nshort_title: "First\n', 1),
                       encoding="utf-8")
    report = Reporter(book)
    load_book(book, report)
    [error] = report.errors
    assert (Path(error.path).name, error.line) == ("01-first.md", 3), report.errors
    assert "a quoted value opened here is not closed on its line" in error.message


def test_a_formulas_error_in_a_data_file_is_at_the_formulas_line(book_copy):
    """TeX that cannot be read in a table's row or a glossary definition's second line
    was reported at the table's id or the term's line; it is at the line that holds it
    (a backslash doubled in a double-quoted YAML string too)."""
    from studyguide.errors import Reporter
    from studyguide.loader import load_book
    from studyguide.resolve import render_book
    tables = book_copy / "tables" / "tables.yaml"
    tables.write_text(tables.read_text(encoding="utf-8").replace(
        '    - [Leader, Ada Writer, Bea Critic]',
        '    - [Leader, Ada Writer, Bea Critic]\n    - [Rate, "$a \\\\cdott b$", x]', 1),
        encoding="utf-8")
    glossary = book_copy / "data" / "glossary.yaml"
    glossary.write_text(glossary.read_text(encoding="utf-8").replace(
        "  definition: The theory that beta answers alpha.",
        "  definition: >\n    The theory that beta answers alpha,\n    as $\\frac{1}{2$ shows.", 1),
        encoding="utf-8")
    report = Reporter(book_copy)
    render_book(load_book(book_copy, report), report)
    found = {(Path(d.path).name, d.line) for d in report.errors if "TeX" in d.message}
    rate = tables.read_text(encoding="utf-8").split("\n").index(
        '    - [Rate, "$a \\\\cdott b$", x]') + 1
    frac = glossary.read_text(encoding="utf-8").split("\n").index(
        "    as $\\frac{1}{2$ shows.") + 1
    assert found == {("tables.yaml", rate), ("glossary.yaml", frac)}, report.errors
