"""Untrusted content stays inside the book: nothing fetched from the network or the disk."""
from __future__ import annotations

import http.server
import re
import threading
import zipfile
from pathlib import Path

import pytest

from conftest import run_build
from test_errors import edit, fail_build, line_of

SECRET = "TOP-SECRET-7f3a9c"


@pytest.fixture
def server():
    """An HTTP server on 127.0.0.1 that records every request it gets."""
    hits: list[str] = []

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self):  # noqa: N802
            hits.append(self.path)
            self.send_response(200)
            self.send_header("Content-Type", "image/svg+xml")
            self.end_headers()
            self.wfile.write(b'<svg xmlns="http://www.w3.org/2000/svg" width="1" height="1"/>')

        def log_message(self, *args):
            pass

    httpd = http.server.HTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}", hits
    httpd.shutdown()


@pytest.fixture
def secret(tmp_path) -> Path:
    path = tmp_path / "secret.svg"
    path.write_text(f'<svg xmlns="http://www.w3.org/2000/svg"><text>{SECRET}</text></svg>')
    return path


HOSTILE = [
    "![A picture]({url}/md.svg)",
    '<img src="{url}/raw.svg" alt="raw"/>',
    '<div style="background: url({url}/bg.svg)">x</div>',
    '<link rel="stylesheet" href="{url}/x.css"/>',
    '<style>@import "{url}/y.css";</style>',
    '<object data="{url}/o.svg">o</object>',
]


@pytest.mark.parametrize("snippet", HOSTILE)
def test_network_urls_are_refused_and_never_fetched(book_copy, tmp_path, server, snippet):
    url, hits = server
    ch = book_copy / "chapters" / "01-first.md"
    edit(ch, "## The beta theory", snippet.format(url=url) + "\n\n## The beta theory")
    stderr = fail_build(book_copy, tmp_path)
    assert f"chapters/01-first.md:{line_of(ch, url)}: error:" in stderr, stderr
    assert "not fetched" in stderr
    assert hits == [], f"the server was asked for {hits}"


@pytest.mark.parametrize("form", ["![A secret]({path})", '<img alt="s" src="file://{path}"/>',
                                  "![A secret](../../{name})"])
def test_files_outside_the_book_are_refused(book_copy, tmp_path, secret, form):
    ch = book_copy / "chapters" / "01-first.md"
    # book_copy is tmp_path/book, so ../../ climbs out of chapters/ and the book
    edit(ch, "## The beta theory",
         form.format(path=secret, name=secret.name) + "\n\n## The beta theory")
    stderr = fail_build(book_copy, tmp_path)
    assert "outside the book folder" in stderr or "not fetched" in stderr, stderr


def test_scripts_are_refused(book_copy, tmp_path):
    ch = book_copy / "chapters" / "01-first.md"
    edit(ch, "## The beta theory", "<script>alert(1)</script>\n\n## The beta theory")
    stderr = fail_build(book_copy, tmp_path)
    assert "scripts are not allowed" in stderr


def test_event_handlers_are_refused_at_their_line(book_copy, tmp_path):
    ch = book_copy / "chapters" / "01-first.md"
    edit(ch, "## The beta theory", '<p onclick="steal()">Click</p>\n\n## The beta theory')
    stderr = fail_build(book_copy, tmp_path, "--format", "epub")
    assert f"chapters/01-first.md:{line_of(ch, 'onclick')}: error: event handler 'onclick'" \
        in stderr, stderr


def test_weasyprint_fetcher_refuses_at_render_time(tmp_path, server, secret):
    """The second line of defence: even HTML that bypassed the checks fetches nothing."""
    from weasyprint import HTML

    from studyguide.writers.fetcher import SafeFetcher
    url, hits = server
    root = tmp_path / "book"
    root.mkdir()
    (root / "ok.svg").write_text('<svg xmlns="http://www.w3.org/2000/svg" width="4" height="4"/>')
    fetcher = SafeFetcher([root])
    html = (f'<img src="{url}/a.svg"><img src="{secret.as_uri()}"><img src="ok.svg">'
            f'<div style="background:url({url}/b.svg)">x</div>')
    pdf = HTML(string=html, base_url=root.as_uri() + "/", url_fetcher=fetcher).write_pdf()
    assert hits == []
    assert SECRET.encode() not in pdf
    assert len(fetcher.refused) == 3, fetcher.refused


@pytest.mark.parametrize("where", ["question", "glossary", "people", "timeline"])
def test_data_and_front_matter_are_checked_too(book_copy, tmp_path, server, where):
    url, hits = server
    img = f'<img src="{url}/d.svg" alt="d">'
    if where == "question":
        path, old = book_copy / "chapters" / "01-first.md", "Was the alpha doctrine right?"
    elif where == "glossary":
        path, old = book_copy / "data" / "glossary.yaml", "The theory that beta answers alpha."
    elif where == "people":
        path, old = book_copy / "data" / "people.yaml", "Ada Writer wrote the alpha doctrine in 1901."
    else:
        path, old = book_copy / "data" / "timeline.yaml", "Beta revised."
    edit(path, old, f"'{old} {img}'" if where != "question" else f"{old} {img}")
    stderr = fail_build(book_copy, tmp_path)
    rel = str(path.relative_to(book_copy))
    assert re.search(re.escape(rel) + r":\d+: error: external resource", stderr), stderr
    assert hits == []


def test_links_in_data_files_are_checked(book_copy, tmp_path):
    path = book_copy / "data" / "glossary.yaml"
    edit(path, "The theory that beta answers alpha.", "See [elsewhere](#nowhere).")
    stderr = fail_build(book_copy, tmp_path)
    assert f"data/glossary.yaml:{line_of(path, 'Beta theory')}: error: link to missing id '#nowhere'" in stderr, stderr


def test_table_cells_are_checked(book_copy, tmp_path, server):
    url, hits = server
    path = book_copy / "tables" / "tables.yaml"
    edit(path, "- [Leader, Ada Writer, Bea Critic]",
         f"- [Leader, 'Ada <img src=\"{url}/t.svg\" alt=\"t\">', Bea Critic]")
    stderr = fail_build(book_copy, tmp_path)
    assert re.search(r"tables/tables\.yaml:\d+: error: external resource", stderr), stderr
    assert hits == []
