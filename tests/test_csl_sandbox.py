"""CSL styles cannot reach out: a style's independent-parent is resolved by the builder,
to a bundled style or a .csl file inside the book, and pandoc is handed a self-contained
style in a folder of its own. Nothing is fetched from the network or read from outside
the book, and what such a parent would have said appears in no output."""
from __future__ import annotations

import http.server
import shutil
import subprocess
import threading
from pathlib import Path

import pytest

from conftest import MINI, run_build
from studyguide import paths
from studyguide.citations import format_citations, load_style, pandoc_path
from studyguide.errors import Reporter
from studyguide.loader import load_book
from studyguide.resolve import render_book

MARKER = "LEAKEDMARKERq7z"

DEPENDENT = """<?xml version="1.0" encoding="utf-8"?>
<style xmlns="http://purl.org/net/xbiblio/csl" class="in-text" version="1.0"{locale}>
  <info>
    <title>A dependent style</title>
    <id>http://example.org/styles/dependent</id>
    <link href="{href}" rel="independent-parent"/>
    <updated>2024-01-01T00:00:00+00:00</updated>
  </info>
</style>
"""


def parent_style() -> str:
    """An independent style whose every citation and entry says MARKER."""
    return f"""<?xml version="1.0" encoding="utf-8"?>
<style xmlns="http://purl.org/net/xbiblio/csl" class="in-text" version="1.0">
  <info><title>Parent</title><id>http://example.org/parent</id>
    <updated>2024-01-01T00:00:00+00:00</updated></info>
  <citation><layout><text value="{MARKER}"/></layout></citation>
  <bibliography><layout><text value="{MARKER}"/></layout></bibliography>
</style>
"""


class Listener:
    """A loopback HTTP server that serves the parent style and counts requests."""

    def __init__(self):
        self.requests: list[str] = []
        body = parent_style().encode()
        outer = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self):  # noqa: N802
                outer.requests.append(self.path)
                self.send_response(200)
                self.send_header("Content-Type", "application/xml")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args):
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.timeout = 1
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/parent.csl"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(timeout=5)


def book_with_style(tmp_path: Path, href: str, locale: str = "") -> Path:
    book = tmp_path / "book"
    shutil.copytree(MINI, book)
    (book / "styles").mkdir()
    (book / "styles" / "dependent.csl").write_text(DEPENDENT.format(href=href, locale=locale))
    yaml_path = book / "book.yaml"
    yaml_path.write_text(yaml_path.read_text().replace(
        "csl: chicago-author-date", "csl: styles/dependent.csl"))
    return book


def csl_errors(book: Path) -> list[str]:
    report = Reporter(book)
    load_book(book, report)
    return [f"{Path(d.path).name}:{d.line}: {d.message}" for d in report.diagnostics
            if d.severity == "error"]


def test_the_listener_answers(tmp_path):
    """The listener the leak tests rely on does serve the parent (else they prove
    nothing)."""
    import urllib.request
    with Listener() as listener:
        with urllib.request.urlopen(listener.url, timeout=5) as response:
            assert MARKER in response.read().decode()
    assert listener.requests == ["/parent.csl"]


def test_pandoc_alone_would_fetch_the_parent(tmp_path):
    """What the builder prevents: handed the dependent style itself, pandoc fetches the
    parent and prints what it says."""
    style = tmp_path / "dependent.csl"
    refs = tmp_path / "refs.json"
    shutil.copy(MINI / "references.json", refs)
    with Listener() as listener:
        style.write_text(DEPENDENT.format(href=listener.url, locale=""))
        out = subprocess.run([pandoc_path(), "-f", "markdown", "-t", "html5", "--citeproc",
                              "--bibliography", str(refs), "--csl", str(style)],
                             input=b"[@writer1901]", capture_output=True, timeout=60)
    assert listener.requests == ["/parent.csl"]
    assert MARKER in out.stdout.decode()


def test_network_parent_is_an_error_and_never_fetched(tmp_path):
    with Listener() as listener:
        book = book_with_style(tmp_path, listener.url)
        errors = csl_errors(book)
        assert errors == [f"dependent.csl:6: independent-parent '{listener.url}' is not "
                          "fetched: link a bundled style by its id "
                          "(http://www.zotero.org/styles/NAME) or a .csl file inside the "
                          "book folder by its path"]
        out = tmp_path / "out"
        result = run_build("--content", str(book), "--output", str(out), "--no-cache",
                           "--format", "epub", "-q")
        assert result.returncode == 1 and "Traceback" not in result.stderr
        assert "dependent.csl:6: error: independent-parent" in result.stderr
        assert MARKER not in result.stdout + result.stderr
        assert not out.exists() or not any(out.iterdir())
    assert listener.requests == []


@pytest.mark.parametrize("form", ["file-url", "absolute", "relative"])
def test_parent_outside_the_book_is_an_error_and_never_read(tmp_path, form):
    outside = tmp_path / "elsewhere"
    outside.mkdir()
    parent = outside / "parent.csl"
    parent.write_text(parent_style())
    href = {"file-url": parent.as_uri(), "absolute": str(parent),
            "relative": "../../elsewhere/parent.csl"}[form]
    book = book_with_style(tmp_path, href)
    [error] = csl_errors(book)
    assert error.startswith(f"dependent.csl:6: independent-parent '{href}'")
    assert ("outside the book folder" in error) == (form != "file-url")


def test_no_output_carries_an_outside_parent(tmp_path):
    """A whole build with a file: parent outside the book fails, and the marker the
    parent would print is in no file the build leaves."""
    outside = tmp_path / "elsewhere"
    outside.mkdir()
    (outside / "parent.csl").write_text(parent_style())
    book = book_with_style(tmp_path, (outside / "parent.csl").as_uri())
    out = tmp_path / "out"
    result = run_build("--content", str(book), "--output", str(out), "--no-cache", "-q")
    assert result.returncode == 1 and "Traceback" not in result.stderr
    assert MARKER not in result.stdout + result.stderr
    for f in (out.rglob("*") if out.exists() else []):
        assert MARKER.encode() not in f.read_bytes(), f


def test_parent_inside_the_book_is_used(tmp_path):
    book = book_with_style(tmp_path, "parent.csl")
    (book / "styles" / "parent.csl").write_text(parent_style())
    report = Reporter(book)
    rb = render_book(load_book(book, report), report)
    assert not report.errors, report.errors
    assert MARKER in rb.docs[0].body_html
    assert all(r["entry"].strip() == MARKER for r in rb.bibliography)


def test_bundled_parent_by_its_repository_id(tmp_path):
    """A dependent style naming APA by its id formats as APA, with its own locale."""
    book = book_with_style(tmp_path, "http://www.zotero.org/styles/apa",
                           ' default-locale="de-DE"')
    report = Reporter(book)
    loaded = load_book(book, report)
    assert not report.errors, report.errors
    apa = load_style(paths.CSL_DIR / "apa.csl", paths.CSL_DIR, report)
    assert b'default-locale="de-DE"' in loaded.style.xml
    assert b"<title>APA Style 7th edition</title>" in loaded.style.xml
    # pandoc is handed no link of any kind to follow
    assert b"<link" not in loaded.style.xml and b"<link" in (paths.CSL_DIR / "apa.csl").read_bytes()
    result = format_citations(["[@writer1901; @historian2000]"], loaded.references,
                              loaded.style, "en-GB")
    plain = format_citations(["[@writer1901; @historian2000]"], loaded.references, apa,
                             "en-GB")
    # APA's form: "Writer, 1901" with a comma (Chicago author-date has none)
    assert "Writer, 1901" in result.rendered["0"]
    assert result.rendered["0"] == plain.rendered["0"]


def test_unbundled_repository_parent_is_an_error(tmp_path):
    book = book_with_style(tmp_path, "http://www.zotero.org/styles/nature")
    [error] = csl_errors(book)
    assert "'http://www.zotero.org/styles/nature' is not a bundled style" in error
    assert "apa" in error and "chicago-notes-bibliography" in error


def test_a_style_that_is_its_own_parent_is_an_error(tmp_path):
    book = book_with_style(tmp_path, "dependent.csl")
    [error] = csl_errors(book)
    assert error.endswith("leads back to this style")


@pytest.mark.parametrize("text, message", [
    ('<?xml version="1.0"?>\n<!DOCTYPE style [<!ENTITY x SYSTEM "file:///etc/passwd">]>\n'
     '<style xmlns="http://purl.org/net/xbiblio/csl" class="in-text">&x;</style>\n',
     "book.csl:1: a CSL style may not have a DOCTYPE"),
    ("<style>not closed\n", "book.csl:2: not a CSL style"),
    ('<style class="in-text"/>\n', "book.csl:1: not a CSL style: the root element"),
    ('<style xmlns="http://purl.org/net/xbiblio/csl" class="in-text">\n<info/>\n</style>\n',
     "book.csl:1: this CSL style has no <citation> and no independent-parent link"),
])
def test_malformed_styles_are_errors(tmp_path, text, message):
    book = tmp_path / "book"
    shutil.copytree(MINI, book)
    (book / "book.csl").write_text(text)
    yaml_path = book / "book.yaml"
    yaml_path.write_text(yaml_path.read_text().replace(
        "csl: chicago-author-date", "csl: book.csl"))
    errors = csl_errors(book)
    assert len(errors) == 1 and errors[0].startswith(message), errors


def test_style_without_a_bibliography_leaves_no_dangling_links(tmp_path):
    book = book_with_style(tmp_path, "parent.csl")
    parent = parent_style().replace(
        f'<bibliography><layout><text value="{MARKER}"/></layout></bibliography>', "")
    (book / "styles" / "parent.csl").write_text(parent)
    report = Reporter(book)
    rb = render_book(load_book(book, report), report)
    assert not report.errors, report.errors
    assert rb.bibliography == []
    body = rb.docs[0].body_html
    assert MARKER in body and 'href="#ref-' not in body
