"""Hostile books: the book folder is a sandbox (SECURITY.md).

Each class of attack that was once found to work is played here, and must keep failing:
template code that reaches Python, symlinks, FIFOs and devices, oversized files, YAML,
SVG and image bombs, active content (scripts, event handlers, javascript: links, external
references in SVG and CSS). A loopback listener that must receive nothing stands for the
network; marker files outside the book, which must appear in no output, stand for the
rest of the disk. Most checks run in-process on the loader, the resolver, the theme and
the fetcher; two builds play what only shows at render time.
"""
from __future__ import annotations

import os
import re
import resource
import shutil
import socket
import subprocess
import sys
import threading
import time
import zipfile
from pathlib import Path

import pytest

from conftest import MINI, ROOT, run_build

MARKER = "HOSTILE-MARKER-5be1d0"


# -- the outside world -------------------------------------------------------------------
@pytest.fixture
def listener():
    """A TCP listener on 127.0.0.1 recording every connection; nothing may connect."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    sock.listen(16)
    sock.settimeout(0.2)
    hits: list[bytes] = []
    stop = threading.Event()

    def serve() -> None:
        while not stop.is_set() and len(hits) < 100:
            try:
                conn, _ = sock.accept()
            except (socket.timeout, OSError):
                continue
            with conn:
                conn.settimeout(1)
                try:
                    hits.append(conn.recv(1024) or b"(connected)")
                except OSError:
                    hits.append(b"(connected)")

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{sock.getsockname()[1]}", hits
    stop.set()
    thread.join(timeout=5)
    sock.close()


@pytest.fixture
def outside(tmp_path) -> Path:
    """A folder outside the book holding marker files that no output may contain."""
    folder = tmp_path / "outside"
    folder.mkdir()
    (folder / "secret.txt").write_text(f"{MARKER}\n")
    (folder / "glossary.yaml").write_text(f"- term: {MARKER}\n  definition: {MARKER}\n")
    (folder / "tables.yaml").write_text(
        f"tbl-x:\n  caption: {MARKER}\n  columns: [A]\n  rows:\n    - [{MARKER}]\n")
    (folder / "annotations.yaml").write_text(f"writer1901: {MARKER}\n")
    (folder / "chapter.md").write_text(f"---\ntitle: {MARKER}\n---\n\n{MARKER}\n")
    (folder / "titlepage.html").write_text(f"<p>{MARKER}</p>\n")
    (folder / "data").mkdir()
    (folder / "data" / "glossary.yaml").write_text((folder / "glossary.yaml").read_text())
    return folder


@pytest.fixture
def book(tmp_path) -> Path:
    dest = tmp_path / "book"
    shutil.copytree(MINI, dest)
    return dest


def load(book: Path):
    from studyguide.errors import Reporter
    from studyguide.loader import load_book
    report = Reporter(book)
    return load_book(book, report), report


def render(book: Path):
    from studyguide.resolve import render_book
    loaded, report = load(book)
    assert loaded is not None, [str(d) for d in report.diagnostics]
    return render_book(loaded, report), report


def errors(report) -> list[str]:
    return [f"{Path(d.path).name}:{d.line}: {d.message}" for d in report.errors]


def add(path: Path, text: str) -> None:
    with open(path, "a", encoding="utf-8") as fh:
        fh.write(text)


def line_of(path: Path, needle: str) -> int:
    for i, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if needle in line:
            return i
    raise AssertionError(f"{needle!r} not in {path}")


# -- template overrides: nothing in a book is code ------------------------------------------
ESCAPES = [
    "cycler.__init__.__globals__.os.popen('touch {marker}').read()",
    "joiner.__init__.__globals__.os.system('touch {marker}')",
    "''.__class__.__mro__[1].__subclasses__()",
    "self._TemplateReference__context.parent",
    "lipsum.__globals__['os'].popen('touch {marker}').read()",
    "cycler.__init__.__globals__.os.sys.modules['urllib.request'].urlopen('{url}')",
    "range(10**9)|list|length",
    "'x' * 10**9",
    "[0] * 10**9",
    "10 ** (10 ** 10)",
]


@pytest.fixture
def theme_override(tmp_path):
    """A book template folder selected for the theme, deselected afterwards."""
    from studyguide import theme
    folder = tmp_path / "theme"
    (folder / "epub").mkdir(parents=True)
    yield folder
    theme.use(None)


@pytest.mark.parametrize("escape", ESCAPES)
def test_template_escapes_are_path_line_errors_and_run_nothing(theme_override, tmp_path,
                                                                listener, escape):
    from studyguide import theme
    from studyguide.errors import BuildError
    from studyguide.loader import check_templates
    from studyguide.errors import Reporter
    url, hits = listener
    marker = tmp_path / "ran"
    template = theme_override / "epub" / "titlepage.html"
    template.write_text("<p>title</p>\n<p>{{ " + escape.format(marker=marker, url=url)
                        + " }}</p>\n")
    report = Reporter(tmp_path)
    assert check_templates(theme_override, report), errors(report)    # it compiles
    theme.use(theme_override)
    started = time.monotonic()
    with pytest.raises(BuildError) as caught:
        theme.render("epub/titlepage.html", meta=None, front=[])
    assert time.monotonic() - started < 5
    [d] = caught.value.diagnostics
    assert (Path(d.path), d.line) == (template, 2), str(d)
    assert d.message.startswith("template error: ")
    assert not marker.exists(), "a template ran a shell command"
    assert hits == [], "a template reached the network"


def test_a_template_override_may_still_arrange_values(theme_override):
    """The sandbox refuses Python, not templates: loops, filters, macros, safe calls."""
    from studyguide import theme
    (theme_override / "epub" / "titlepage.html").write_text(
        "{% for n in range(3) %}{{ n }}{% endfor %} {{ ('ab' * 2)|upper }} "
        "{{ 'x,y'.split(',')|join('+') }} {{ 7|roman }}\n")
    theme.use(theme_override)
    assert theme.render("epub/titlepage.html", meta=None, front=[]) == "012 ABAB x+y vii\n"


@pytest.mark.parametrize("text, message", [
    ("{{ meta.nothing.deeper }}", "has no attribute 'nothing'"),
    ("{% include 'epub/../../../etc/passwd' %}", "epub/../../../etc/passwd")])
def test_a_template_s_own_error_names_its_line(theme_override, text, message):
    from studyguide import theme
    from studyguide.errors import BuildError
    template = theme_override / "epub" / "titlepage.html"
    template.write_text("<p>title</p>\n<p>\n" + text + "\n</p>\n")
    theme.use(theme_override)
    with pytest.raises(BuildError) as caught:
        theme.render("epub/titlepage.html", meta={}, front=[])
    [d] = caught.value.diagnostics
    assert (Path(d.path), d.line) == (template, 3), str(d)
    assert message in d.message


def test_template_output_may_not_be_active(theme_override, listener):
    """What an override writes is checked as content is: no script, no fetch."""
    from studyguide import theme
    from studyguide.errors import BuildError
    url, hits = listener
    (theme_override / "epub" / "titlepage.html").write_text(
        f'<script>alert(1)</script><img src="{url}/t.png" alt="t">'
        '<a href="javascript:alert(2)">x</a><p style="background: u\\72 l(x.png)">s</p>\n')
    theme.use(theme_override)
    with pytest.raises(BuildError) as caught:
        theme.render("epub/titlepage.html", meta=None, front=[])
    text = "\n".join(str(d) for d in caught.value.diagnostics)
    for what in ("<script>", "<img src>", "javascript:", "url()"):
        assert what in text, text
    assert hits == []


def test_template_symlinked_out_of_the_book_is_refused(book, outside, theme_override):
    from studyguide import theme
    from studyguide.errors import BuildError, Reporter
    from studyguide.loader import check_templates
    link = theme_override / "epub" / "titlepage.html"
    link.symlink_to(outside / "titlepage.html")
    report = Reporter(theme_override)
    assert not check_templates(theme_override, report)
    assert errors(report) == ["titlepage.html:1: the file is outside the book folder "
                              "(a symlink may not lead out of it)"]
    theme.use(theme_override)       # and the loader refuses it again at render time
    with pytest.raises(BuildError) as caught:
        theme.render("epub/titlepage.html", meta=None, front=[])
    assert MARKER not in str(caught.value)


# -- every file read through the sandbox ---------------------------------------------------
OUT = "the file is outside the book folder (a symlink may not lead out of it)"
SYMLINKED = {        # file: (the outside file it becomes, the error, without its line)
    "data/glossary.yaml": ("glossary.yaml", "glossary.yaml:1: " + OUT),
    "data/annotations.yaml": ("annotations.yaml", "annotations.yaml:1: " + OUT),
    "tables/tables.yaml": ("tables.yaml", "tables.yaml:1: " + OUT),
    "CHANGELOG.md": ("chapter.md", "CHANGELOG.md:1: " + OUT),
    # files that book.yaml names are refused at the line that names them
    "chapters/02-second.md": ("chapter.md", "book.yaml:{line}: chapters/02-second.md: "
                                            "outside the content folder"),
    "references.json": ("secret.txt", "book.yaml:{line}: references.json: outside the "
                                      "content folder"),
}


@pytest.mark.parametrize("rel", sorted(SYMLINKED))
def test_symlinks_out_of_the_book_are_refused(book, outside, rel):
    target = book / rel
    target.unlink()
    target.symlink_to(outside / SYMLINKED[rel][0])
    loaded, report = load(book)
    expected = SYMLINKED[rel][1]
    if "{line}" in expected:
        expected = expected.format(line=line_of(book / "book.yaml", rel))
    assert expected in errors(report), errors(report)
    assert MARKER not in repr(loaded.__dict__ if loaded else None)


def test_a_symlinked_data_folder_is_refused(book, outside):
    shutil.rmtree(book / "data")
    (book / "data").symlink_to(outside / "data")
    loaded, report = load(book)
    assert "glossary.yaml:1: the file is outside the book folder (a symlink may not lead " \
           "out of it)" in errors(report), errors(report)
    assert loaded.glossary == []


def test_a_symlink_inside_the_book_is_fine(book):
    (book / "data" / "glossary-real.yaml").write_bytes((book / "data" / "glossary.yaml")
                                                       .read_bytes())
    (book / "data" / "glossary.yaml").unlink()
    (book / "data" / "glossary.yaml").symlink_to("glossary-real.yaml")
    loaded, report = load(book)
    assert report.errors == []
    assert [e.term for e in loaded.glossary][:1] == ["Alpha doctrine"]


def _load_within(book: Path, seconds: float):
    """load_book in a thread that must finish in time (a FIFO once blocked it forever)."""
    result: list = []
    thread = threading.Thread(target=lambda: result.append(load(book)), daemon=True)
    thread.start()
    thread.join(seconds)
    assert not thread.is_alive(), f"loading the book took more than {seconds} s"
    return result[0]


@pytest.mark.parametrize("rel", ["data/glossary.yaml", "chapters/02-second.md",
                                 "tables/tables.yaml"])
def test_fifos_are_refused_without_blocking(book, rel):
    (book / rel).unlink()
    os.mkfifo(book / rel)
    _, report = _load_within(book, 10)
    assert f"{Path(rel).name}:1: not a regular file (a folder, FIFO, socket or device is " \
           "never read)" in errors(report), errors(report)


def test_a_device_is_refused(book):
    (book / "data" / "glossary.yaml").unlink()
    (book / "data" / "glossary.yaml").symlink_to("/dev/zero")
    _, report = _load_within(book, 10)
    assert any(e.startswith("glossary.yaml:1: the file is outside the book folder")
               for e in errors(report)), errors(report)


@pytest.mark.parametrize("rel, limit", [("chapters/01-first.md", "1 MB"),
                                        ("data/glossary.yaml", "2 MB"),
                                        ("book.yaml", "256 KB")])
def test_oversized_files_are_refused_unread(book, rel, limit):
    from studyguide.readers import LIMITS
    kind = {"chapters": "chapter", "data": "data", "book.yaml": "book"}[rel.split("/")[0]]
    add(book / rel, "\n# padding " + "x" * LIMITS[kind])
    started = time.monotonic()
    _, report = load(book)
    assert time.monotonic() - started < 5
    assert f"{Path(rel).name}:1: the file is larger than the {limit} a {kind} file may hold" \
        in errors(report), errors(report)


# -- YAML ----------------------------------------------------------------------------------
ALIAS_BOMB = "".join(
    [f"lol0: &a0 [lol, lol, lol, lol, lol, lol, lol, lol, lol]\n"]
    + [f"lol{i}: &a{i} [{', '.join([f'*a{i - 1}'] * 9)}]\n" for i in range(1, 10)])


def test_yaml_alias_bomb_is_refused_at_once(book):
    book_yaml = book / "book.yaml"
    add(book_yaml, ALIAS_BOMB)
    started = time.monotonic()
    _, report = load(book)
    assert time.monotonic() - started < 5
    first = line_of(book_yaml, "lol1:")
    assert f"book.yaml:{first}: YAML aliases (*name) are not allowed in a book's files; " \
           "write the value out" in errors(report), errors(report)


@pytest.mark.parametrize("rel, text", [
    ("data/glossary.yaml", "- " + "[" * 100_000 + "]" * 100_000 + "\n"),
    ("references.json", "[" * 100_000 + "]" * 100_000 + "\n")])
def test_deep_nesting_is_an_error_not_a_crash(book, rel, text):
    (book / rel).write_text(text)
    _, report = load(book)
    assert any(e.startswith(f"{Path(rel).name}:1: malformed") and "nest" in e
               for e in errors(report)), errors(report)


def test_duplicate_yaml_keys_are_errors(book):
    ch = book / "chapters" / "01-first.md"
    text = ch.read_text()
    ch.write_text(text.replace("summary: >", "title: Again\nsummary: >", 1))
    add(book / "book.yaml", "paper: Letter\n")
    gl = book / "data" / "glossary.yaml"
    gl.write_text(gl.read_text().replace("  definition: The theory that beta answers alpha.",
                                         "  definition: The theory that beta answers alpha.\n"
                                         "  definition: Another.", 1))
    _, report = load(book)
    found = errors(report)
    assert f"01-first.md:{line_of(ch, 'title: Again')}: duplicate key 'title' (first at " \
           f"line 2; one must go)" in found, found
    assert f"book.yaml:{line_of(book / 'book.yaml', 'paper: Letter')}: duplicate key 'paper' " \
           f"(first at line {line_of(book / 'book.yaml', 'paper: A4')}; one must go)" \
        in found, found
    assert f"glossary.yaml:{line_of(gl, 'Another')}: duplicate key 'definition'" \
        in "\n".join(found), found


# -- active content and bombs in what the resolver renders --------------------------------
def _svg_use_bomb(levels: int = 12, fan: int = 10) -> str:
    parts = ['<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink"'
             ' width="10" height="10"><defs><g id="a0"><rect width="1" height="1"/></g>']
    for i in range(1, levels):
        parts.append(f'<g id="a{i}">' + f'<use xlink:href="#a{i - 1}"/>' * fan + "</g>")
    return "".join(parts) + f'</defs><use xlink:href="#a{levels - 1}"/></svg>'


HOSTILE_BODY = """
A [script link](javascript:alert(1)) and a <a href="data:text/html,hi">data link</a>.

An <a rel="attachment" href="../images/dot.png">attachment</a>.

<p style="background: u\\72 l({url}/style.png)">Escaped url.</p>

<p onmouseover="steal()">Handler.</p>

<svg viewBox="0 0 10 10"><image href="{url}/inline.png"/><use href="{url}/u.svg#a"/><a href="javascript:alert(2)"><rect width="1" height="1"/></a><circle r="1" onload="x()"/></svg>

![A scripted picture](../images/evil.svg)

![A huge picture](../images/huge.png)

![A multiplying picture](../images/uses.svg)

![A picture from outside](../images/outside.svg)
"""


@pytest.fixture
def hostile(book, outside, listener):
    from PIL import Image
    url, hits = listener
    images = book / "images"
    images.mkdir()
    Image.new("1", (30000, 30000)).save(images / "huge.png", optimize=True)
    assert (images / "huge.png").stat().st_size < 200_000       # small on disk
    Image.new("RGB", (4, 4), "white").save(images / "dot.png")
    (images / "evil.svg").write_text(
        '<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)">\n<script>alert(2)</script>'
        f'\n<image href="{url}/svg.png"/>\n<use href="file://{outside}/secret.txt#x"/></svg>\n')
    (images / "uses.svg").write_text(_svg_use_bomb())
    (outside / "pic.svg").write_text(f'<svg xmlns="http://www.w3.org/2000/svg"><text>{MARKER}'
                                     '</text></svg>')
    (images / "outside.svg").symlink_to(outside / "pic.svg")
    ch = book / "chapters" / "01-first.md"
    add(ch, HOSTILE_BODY.format(url=url))
    return book, ch, hits


def test_active_content_is_refused_at_its_line_and_removed(hostile):
    book, ch, hits = hostile
    started = time.monotonic()
    rb, report = render(book)
    assert time.monotonic() - started < 20
    found = "\n".join(errors(report))
    at = lambda needle: f"01-first.md:{line_of(ch, needle)}: "  # noqa: E731
    for needle, message in [
            ("javascript:alert(1)", "link to 'javascript:' is not allowed"),
            ("data:text/html", "link to 'data:' is not allowed"),
            ("rel=\"attachment\"", "file attachments (rel=\"attachment\") are not embedded"),
            ("u\\72 l", "style attribute: url() loads a resource"),
            ("onmouseover", "event handler 'onmouseover' is not allowed"),
            ("<svg", "<image> is not allowed in SVG"),
            ("<svg", "<use> refers to"),
            ("<svg", "link to 'javascript:' is not allowed"),
            ("<svg", "attribute 'onload' is not allowed in SVG"),
            ("evil.svg", "image '../images/evil.svg': line 1: attribute 'onload' is not "
                         "allowed in SVG (scripts never run); line 2: <script> is not allowed "
                         "in SVG (scripts never run); line 3: <image> is not allowed in SVG"),
            ("huge.png", "image '../images/huge.png': the image has more than 40,000,000 pixels"),
            ("uses.svg", "image '../images/uses.svg': line 1: once its <use> elements are "
                         "expanded the image has more than 50,000 elements"),
            ("outside.svg", "resource '../images/outside.svg' is outside the book folder")]:
        assert at(needle) + message in found, f"no {at(needle) + message!r} in\n{found}"
    body = rb.docs[0].body_html
    for gone in ("javascript:", "data:text", "onmouseover", "onload", "<script", "<image",
                 "127.0.0.1", "rel=", "evil.svg", "huge.png", "uses.svg", MARKER):
        assert gone not in body, gone
    assert "Escaped url." in body and "Handler." in body      # the text stays
    assert hits == []


def test_inline_svg_referring_to_its_own_parts_stays(book):
    add(book / "chapters" / "01-first.md",
        '\n<svg viewBox="0 0 10 10" role="img" aria-label="Dots"><defs><circle id="dot" r="2"/>'
        '</defs><use href="#dot" x="3" y="3"/><a href="https://example.org/"><rect width="1" '
        'height="1" style="fill: url(#dot)"/></a></svg>\n')
    rb, report = render(book)
    assert report.errors == []
    body = rb.docs[0].body_html
    assert '<use href="#dot" x="3" y="3"></use>' in body
    assert '<a href="https://example.org/">' in body and 'style="fill: url(#dot)"' in body


def test_an_svg_file_referring_to_its_own_parts_may_be_embedded():
    from studyguide.sanitise import svg_file_problems
    assert svg_file_problems(
        b'<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink" '
        b'viewBox="0 0 10 10"><style>circle { fill: url(#g) }</style><defs><linearGradient '
        b'id="g"><stop offset="0" stop-color="#000"/></linearGradient><circle id="dot" r="2"/>'
        b'</defs><use xlink:href="#dot" x="3" y="3"/><text x="1" y="9">Dots</text></svg>') == []
    assert svg_file_problems(b'<!DOCTYPE svg [<!ENTITY a "aaaa">]><svg '
                             b'xmlns="http://www.w3.org/2000/svg">&a;</svg>') == [
        (1, "an SVG image may not declare entities (<!ENTITY>)")]


def test_a_book_stylesheet_cannot_hide_url_in_escapes(book):
    css = book / "extra.css"
    css.write_text("p { color: black }\n"
                   "h1 { background: u\\72 l(http://127.0.0.1:9/x.png) }\n"
                   "h2 { background: \\75 rl(y.png) }\n"
                   "h3 { /* url( */ color: red }\n"
                   "h4 { background-image: image-set('z.png' 1x) }\n")
    add(book / "book.yaml", "stylesheet: extra.css\n")
    _, report = load(book)
    assert [e.split(" (")[0] for e in errors(report)] == [
        "extra.css:2: a book stylesheet may not load anything",
        "extra.css:3: a book stylesheet may not load anything",
        "extra.css:5: a book stylesheet may not load anything"], errors(report)


def test_the_fetcher_refuses_at_render_time(tmp_path, outside, listener):
    """The typesetter's fetcher confines again what reaches it from anywhere."""
    from studyguide.writers.fetcher import SafeFetcher
    url, hits = listener
    root = tmp_path / "bookroot"
    root.mkdir()
    (root / "ok.svg").write_text('<svg xmlns="http://www.w3.org/2000/svg" width="4" '
                                 'height="4"><rect width="1" height="1"/></svg>')
    (root / "bad.svg").write_text('<svg xmlns="http://www.w3.org/2000/svg"><script>x()'
                                  '</script></svg>')
    (root / "link.svg").symlink_to(outside / "secret.txt")
    os.mkfifo(root / "fifo.png")
    fetcher = SafeFetcher([root])
    assert fetcher.fetch((root / "ok.svg").as_uri()).read().startswith(b"<svg")
    for target in (f"{url}/x.png", (root / "bad.svg").as_uri(), (root / "link.svg").as_uri(),
                   (root / "fifo.png").as_uri(), (outside / "secret.txt").as_uri()):
        with pytest.raises(ValueError):
            fetcher.fetch(target)
    assert len(fetcher.refused) == 5, fetcher.refused
    assert hits == []


def test_handouts_report_what_their_fetcher_refused(book, outside, theme_override):
    """A handout once dropped a refused picture silently; now it fails, naming it at
    the line of the template override that named it."""
    from PIL import Image

    from studyguide.errors import BuildError
    from studyguide.writers.pdf import render_handout
    Image.new("RGB", (4, 4), "red").save(outside / "pic.png")
    theme = book / "theme"
    (theme / "print").mkdir(parents=True)
    handout = (ROOT / "templates" / "print" / "handout.html").read_text()
    assert "{% block content %}\n" in handout
    (theme / "print" / "handout.html").write_text(handout.replace(
        "{% block content %}\n", '{% block content %}\n<img src="../outside/pic.png" alt="p">\n'))
    add(book / "book.yaml", "templates: theme\n")
    rb, report = render(book)
    assert report.errors == []
    with pytest.raises(BuildError) as caught:
        render_handout(rb, rb.docs[0], False, "A4")
    [d] = caught.value.diagnostics
    assert d.path.endswith("theme/print/handout.html"), str(d)
    assert d.line == line_of(theme / "print" / "handout.html", "../outside/pic.png"), str(d)
    assert "refused to fetch" in d.message and "outside the book folder" in d.message


# -- whole builds: what only shows at render time -------------------------------------------
def _limited(seconds: int, megabytes: int):
    def limit() -> None:
        resource.setrlimit(resource.RLIMIT_CPU, (seconds, seconds))
        resource.setrlimit(resource.RLIMIT_AS, (megabytes << 20, megabytes << 20))
    return limit


@pytest.mark.slow
def test_hostile_templates_fail_the_build_and_reach_nothing(book, tmp_path, listener):
    """Template overrides that try to run commands and reach the network, in the
    workers that render them: a path:line error, exit 1, nothing run, nothing fetched,
    no output written."""
    url, hits = listener
    marker = tmp_path / "ran"
    theme = book / "theme"
    (theme / "epub").mkdir(parents=True)
    (theme / "print").mkdir(parents=True)
    (theme / "epub" / "titlepage.html").write_text(
        "<h1>{{ meta.title }}</h1>\n"
        f"{{{{ cycler.__init__.__globals__.os.popen('touch {marker}').read() }}}}\n")
    handout = (ROOT / "templates" / "print" / "handout.html").read_text()
    (theme / "print" / "handout.html").write_text(
        f"{{{{ lipsum.__globals__['os'].system('curl -s {url}/h') }}}}\n" + handout)
    body = (ROOT / "templates" / "print" / "body.html").read_text()
    (theme / "print" / "body.html").write_text(
        body + f'\n<img src="{url}/b.png" alt="b">\n')
    add(book / "book.yaml", "templates: theme\n")
    out = tmp_path / "out"
    result = subprocess.run([sys.executable, str(ROOT / "build.py"), "--content", str(book),
                             "--output", str(out), "-q"], capture_output=True, text=True,
                            timeout=300, preexec_fn=_limited(240, 4096))
    assert result.returncode == 1, result.stderr
    assert "Traceback" not in result.stderr
    assert re.search(r"theme/(epub/titlepage|print/handout|print/body)\.html(:\d+)?: error: ",
                     result.stderr), result.stderr
    assert not marker.exists()
    assert hits == []
    assert not any(out.rglob("*.pdf")) and not any(out.rglob("*.epub"))


@pytest.mark.slow
def test_bombs_fail_within_seconds_and_bounded_memory(book, tmp_path):
    """A YAML alias bomb, a decompression bomb, a multiplying SVG and a huge chapter in
    one book: every one a path:line error, in seconds, under a memory limit."""
    from PIL import Image
    (book / "data" / "strategies.yaml").write_text(ALIAS_BOMB)
    images = book / "images"
    images.mkdir()
    Image.new("1", (30000, 30000)).save(images / "huge.png", optimize=True)
    (images / "uses.svg").write_text(_svg_use_bomb())
    ch = book / "chapters" / "02-second.md"
    add(ch, "\n![Huge](../images/huge.png)\n\n![Uses](../images/uses.svg)\n")
    add(book / "back" / "exercise.md", "\n" + ("A long line of words. " * 40 + "\n\n") * 1300)
    started = time.monotonic()
    result = subprocess.run([sys.executable, str(ROOT / "build.py"), "--content", str(book),
                             "--output", str(tmp_path / "out"), "-q"], capture_output=True,
                            text=True, timeout=120, preexec_fn=_limited(60, 3072))
    assert time.monotonic() - started < 60
    assert result.returncode == 1, result.stderr
    for pattern in (r"data/strategies\.yaml:\d+: error: YAML aliases",
                    r"back/exercise\.md:1: error: the file is larger than the 1 MB",
                    r"chapters/02-second\.md:\d+: error: image '\.\./images/huge\.png': the "
                    r"image has more than",
                    r"chapters/02-second\.md:\d+: error: image '\.\./images/uses\.svg'"):
        assert re.search(pattern, result.stderr), f"no /{pattern}/ in\n{result.stderr}"


@pytest.mark.slow
def test_what_may_stay_builds_clean_and_inert(book, tmp_path):
    """http(s) and mailto links stay links, a symlink inside the book is read: the build
    succeeds, EPUBCheck is clean (run_build), and no output carries a script, a handler
    or another URL scheme."""
    ch = book / "chapters" / "01-first.md"
    add(ch, '\nSee [the archive](https://example.org/archive) or [write](mailto:a@example.org).'
            '\n')
    (book / "data" / "people-real.yaml").write_bytes((book / "data" / "people.yaml").read_bytes())
    (book / "data" / "people.yaml").unlink()
    (book / "data" / "people.yaml").symlink_to("people-real.yaml")
    out = tmp_path / "out"
    result = run_build("--content", str(book), "--output", str(out), "--no-handouts", "-q")
    assert result.returncode == 0, result.stderr
    with zipfile.ZipFile(next(out.glob("*.epub"))) as z:
        text = "".join(z.read(n).decode("utf-8") for n in z.namelist()
                       if n.endswith(".xhtml"))
    assert 'href="https://example.org/archive"' in text and "mailto:a@example.org" in text
    for bad in ("<script", "javascript:", " onload=", " onclick="):
        assert bad not in text
    import pikepdf
    for pdf in out.glob("*.pdf"):
        with pikepdf.open(pdf) as doc:
            uris = {str(a.A.URI) for page in doc.pages for a in page.get("/Annots", [])
                    if a.get("/A") is not None and a.A.get("/URI") is not None}
            assert uris == {"https://example.org/archive", "mailto:a@example.org"}, uris
            assert "/JavaScript" not in {str(k) for k in doc.Root.keys()}


def test_inline_svg_is_svg_in_the_epub(book, tmp_path):
    """HTML's parser spells SVG's names in lower case and puts them in no namespace; the
    EPUB's XHTML needs them in SVG's namespace and case, or EPUBCheck refuses the book and
    a reading system draws nothing."""
    from lxml import etree

    from conftest import epubcheck
    from studyguide.writers.epub import write_epub
    add(book / "chapters" / "01-first.md",
        '\n<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 10 10" role="img" '
        'aria-label="Dots"><defs><linearGradient id="g" gradientUnits="userSpaceOnUse">'
        '<stop offset="0" stop-color="#000"/></linearGradient><circle id="dot" r="2"/>'
        '</defs><use href="#dot" x="3" y="3"/><use xlink:href="#dot" x="6" y="6"/>'
        '<title>Two dots</title></svg>\n')
    rb, report = render(book)
    assert report.errors == []
    epub = tmp_path / "book.epub"
    epub.write_bytes(write_epub(rb, None))
    assert epubcheck(epub) == []
    with zipfile.ZipFile(epub) as z:
        name = next(n for n in z.namelist() if n.endswith("ch01.xhtml"))
        root = etree.fromstring(z.read(name))
    svg_ns = "{http://www.w3.org/2000/svg}"
    (svg,) = root.iter(svg_ns + "svg")
    assert svg.get("viewBox") == "0 0 10 10" and svg.get("aria-label") == "Dots"
    assert svg.find(f"{svg_ns}defs/{svg_ns}linearGradient").get("gradientUnits") == \
        "userSpaceOnUse"
    assert [u.get("href") or u.get("{http://www.w3.org/1999/xlink}href")
            for u in svg.iter(svg_ns + "use")] == ["#dot", "#dot"]
    assert svg.find(svg_ns + "title").text == "Two dots"
