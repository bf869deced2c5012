"""Every file of a book is read through the sandbox (``readers.read_confined``), never by
its path after a separate check: a picture, a book's font, a text the glyph check reads,
a citation style, what the preview serves. A file swapped after the check for a symlink
out of the book or for a FIFO is refused (a FIFO never blocks), and what is embedded is
the bytes that were checked.

Each test runs in this process, on one file or one book read and resolved, not a build."""
from __future__ import annotations

import os
import shutil
import threading
import urllib.error
import urllib.request
from pathlib import Path
from types import SimpleNamespace

import pytest

from conftest import FIXTURES, MINI

MARKER = "CONFINED-READ-MARKER"
OUT = "the file is outside the book folder (a symlink may not lead out of it)"
NOT_REGULAR = "not a regular file (a folder, FIFO, socket or device is never read)"
SVG = ('<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 10 10">'
       '<rect width="10" height="10"/></svg>')


def within(seconds: float, fn, *args, unblock: Path | None = None):
    """``fn(*args)`` in a thread that must finish in time (a FIFO read by its path
    blocks for ever); ``unblock``: a FIFO to open for writing if it did not, so that the
    blocked reader goes before the test fails."""
    result: list = []
    failed: list = []

    def run():
        try:
            result.append(fn(*args))
        except BaseException as exc:       # noqa: BLE001 - re-raised below
            failed.append(exc)
    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    thread.join(seconds)
    if thread.is_alive() and unblock is not None:
        try:
            os.close(os.open(unblock, os.O_WRONLY | os.O_NONBLOCK))
        except OSError:
            pass
    assert not thread.is_alive(), f"{getattr(fn, '__name__', fn)} blocked (a FIFO read?)"
    if failed:
        raise failed[0]
    return result[0]


@pytest.fixture
def outside(tmp_path) -> Path:
    folder = tmp_path / "outside"
    folder.mkdir()
    (folder / "passwd").write_text(f"root:x:0:0:{MARKER}:/root:/bin/sh\n")
    (folder / "pic.svg").write_text(SVG.replace("<rect", f"<title>{MARKER}</title><rect"))
    from PIL import Image
    Image.new("RGB", (3, 3), "red").save(folder / "pic.png")
    return folder


@pytest.fixture
def media(tmp_path) -> Path:
    """A copy of the media fixture book (a PNG, a JPEG and an SVG in images/)."""
    book = tmp_path / "book"
    shutil.copytree(FIXTURES / "media", book)
    return book


def _swap(path: Path, how: str, outside: Path) -> None:
    """Put a FIFO, or a symlink out of the book, where ``path`` was."""
    path.unlink()
    if how == "fifo":
        os.mkfifo(path)
    else:
        path.symlink_to(outside / ("pic.svg" if path.suffix == ".svg" else "passwd"))


# -- images ----------------------------------------------------------------------------
@pytest.mark.parametrize("name, how, message", [
    ("fifo.png", "fifo", NOT_REGULAR),
    ("fifo.svg", "fifo", NOT_REGULAR),
    ("passwd.png", "link", OUT),          # /etc/passwd, as it were, named .png
    ("outside.svg", "link", OUT),
])
def test_an_image_the_sandbox_refuses_is_never_read(media, outside, name, how, message):
    from studyguide import images
    path = media / "images" / name
    path.write_bytes(b"")
    _swap(path, how, outside)
    assert within(10, images.problem, path, None, [media], unblock=path) == message
    # confined to the folder the path names it in, by default
    assert within(10, images.problem, path, unblock=path) == message


def test_an_image_is_checked_from_its_bytes_never_by_its_path(media, monkeypatch):
    """Pillow and lxml are given the bytes the sandbox read, never the path."""
    from PIL import Image

    from studyguide import images
    monkeypatch.setattr(images, "_PROBLEMS", {})      # nothing kept from another test
    opened = []
    real_open = Image.open
    monkeypatch.setattr(Image, "open", lambda fp, *a, **k: (opened.append(fp),
                                                            real_open(fp, *a, **k))[1])
    data = (media / "images" / "keeling.png").read_bytes()
    nowhere = media / "images" / "gone.png"           # no such file: not read
    assert images.problem(nowhere, data) is None
    assert opened and not any(isinstance(fp, (str, os.PathLike)) for fp in opened)
    svg = (media / "images" / "reservoirs.svg").read_bytes()
    assert images.problem(media / "images" / "gone.svg", svg) is None
    # the same messages as before, from the bytes
    assert images.problem(nowhere, data[:len(data) // 2]).startswith(
        "cannot be decoded as an image")
    jpeg = (media / "images" / "station.jpg").read_bytes()
    assert images.problem(nowhere, jpeg) == "is a JPEG file but named .png"
    assert images.problem(media / "x.svg", b"<svg").startswith(
        "line 1: the SVG image is not well-formed XML")
    assert images.problem(media / "x.svg", SVG.replace(
        "<rect", '<foreignObject/><rect').encode()) is not None


def _resolve(book: Path):
    from studyguide.errors import Reporter
    from studyguide.loader import load_book
    from studyguide.resolve import render_book
    report = Reporter(book)
    loaded = load_book(book, report)
    assert loaded is not None, [str(d) for d in report.diagnostics]
    return render_book(loaded, report), report


@pytest.mark.parametrize("name", ["keeling.png", "reservoirs.svg"])
@pytest.mark.parametrize("how", ["fifo", "link"])
def test_an_image_swapped_after_the_sandbox_read_it_is_not_read_again(
        media, outside, monkeypatch, name, how):
    """The resolver reads a picture once, through the sandbox, and checks those bytes:
    a FIFO or a symlink out put in its place right after (the time-of-check/time-of-use
    gap) is never opened, and the writers, reading it again, refuse it."""
    from studyguide import images, readers
    from studyguide.writers import epub
    target = media / "images" / name
    reads = []

    def read_then_swap(path, roots, kind):
        data = readers.read_confined(path, roots, kind)
        if Path(path) == target and not reads:
            reads.append(path)
            _swap(target, how, outside)
        return data
    monkeypatch.setattr(images, "read_confined", read_then_swap)
    rb, report = within(120, _resolve, media, unblock=target)
    assert reads == [target]
    # (a later reference to the picture, if any, finds the swap: an error naming it)
    assert all(name in d.message and MARKER not in d.message for d in report.errors)
    assert rb.images[f"images/{name}"] == target
    # the EPUB writer reads it again through the sandbox, and refuses what it is now
    from studyguide.errors import BuildError
    with pytest.raises(BuildError) as caught:
        within(10, epub._image_bytes, rb, f"images/{name}", target, unblock=target)
    (d,) = caught.value.diagnostics
    assert d.path.endswith(name) and (NOT_REGULAR if how == "fifo" else OUT) in d.message
    assert MARKER not in d.message


def test_an_image_changed_after_its_check_is_checked_again_when_embedded(media):
    """A picture replaced, inside the book, by an SVG the whitelist refuses is not
    embedded: the writer checks the bytes it embeds."""
    from studyguide import images
    from studyguide.readers import Refused
    path = media / "images" / "reservoirs.svg"
    assert images.read_checked(path, [media]) == path.read_bytes()
    path.write_text(SVG.replace("<rect", "<script>alert(1)</script><rect"))
    with pytest.raises(Refused, match="line 1"):
        images.read_checked(path, [media])


def test_a_book_naming_a_fifo_or_a_symlinked_image_gets_path_line_errors(media, outside):
    chapter = media / "chapters" / "01-carbon.md"
    with open(chapter, "a", encoding="utf-8") as f:
        f.write("\n![A pipe.](../images/pipe.png)\n\n![Out.](../images/secret.png)\n")
    os.mkfifo(media / "images" / "pipe.png")
    (media / "images" / "secret.png").symlink_to(outside / "passwd")
    rb, report = within(120, _resolve, media, unblock=media / "images" / "pipe.png")
    lines = chapter.read_text(encoding="utf-8").splitlines()
    pipe = next(i for i, t in enumerate(lines, 1) if "pipe.png" in t)
    secret = next(i for i, t in enumerate(lines, 1) if "secret.png" in t)
    found = {(Path(d.path).name, d.line): d.message for d in report.errors}
    assert set(found) == {("01-carbon.md", pipe), ("01-carbon.md", secret)}, found
    assert "pipe.png" in found["01-carbon.md", pipe]
    assert "outside the book folder" in found["01-carbon.md", secret]
    assert not any(MARKER in m for m in found.values())
    assert not {"images/pipe.png", "images/secret.png"} & set(rb.images)


# -- a book's fonts ----------------------------------------------------------------------
FONT = FIXTURES / "fonts" / "NotoSerifCJKjp-Regular-subset.otf"


def _font_book(media: Path, outside: Path, rel: str = "fonts/own.otf") -> Path:
    (media / "fonts").mkdir(exist_ok=True)
    shutil.copy(FONT, media / "fonts" / "own.otf")
    shutil.copy(FONT, outside / "font.otf")
    with open(media / "book.yaml", "a", encoding="utf-8") as f:
        f.write(f"fonts: [{rel}]\n")
    return media


def _load(book: Path):
    from studyguide.errors import Reporter
    from studyguide.loader import load_book
    report = Reporter(book)
    return load_book(book, report), report


def test_a_font_symlinked_out_of_the_book_is_refused(media, outside):
    book = _font_book(media, outside, "fonts/out.otf")
    (book / "fonts" / "out.otf").symlink_to(outside / "font.otf")
    loaded, report = within(60, _load, book)
    line = len((book / "book.yaml").read_text().splitlines())
    assert [(Path(d.path).name, d.line, d.message) for d in report.errors] == [
        ("book.yaml", line, "font 'fonts/out.otf' is outside the book folder")]
    assert loaded is None or loaded.fonts == []


def test_a_font_that_is_a_fifo_is_refused_without_blocking(media, outside):
    book = _font_book(media, outside, "fonts/pipe.otf")
    os.mkfifo(book / "fonts" / "pipe.otf")
    loaded, report = within(60, _load, book, unblock=book / "fonts" / "pipe.otf")
    assert [d.message for d in report.errors] == ["font 'fonts/pipe.otf': no such file in "
                                                  "the book folder"]


@pytest.mark.parametrize("how", ["fifo", "link"])
def test_a_font_swapped_after_loading_is_not_read(media, outside, how):
    """The glyph check and the outlines read a book's font again (its characters, its
    HarfBuzz font): through the sandbox, so that a FIFO or a symlink out put in its place
    after the loader read it gives nothing, at once."""
    from studyguide import fonts
    book = _font_book(media, outside)
    loaded, report = _load(book)
    assert report.errors == []
    (font,) = loaded.fonts
    assert font.roots == [font.root] and os.path.samefile(font.root, book)
    assert fonts.cmap(font)                 # the characters it has glyphs for
    assert fonts._book_font(font) is not None
    path = book / "fonts" / "own.otf"
    path.unlink()
    if how == "fifo":
        os.mkfifo(path)
    else:
        path.symlink_to(outside / "font.otf")
    assert within(10, fonts.cmap, font, unblock=path) == frozenset()
    assert within(10, fonts._book_font, font, unblock=path) is None
    with pytest.raises(ValueError, match="cannot be read"):
        within(10, fonts.read_font, path, font.rel, None, book, unblock=path)


def test_a_font_is_read_from_its_bytes(media, outside, monkeypatch):
    """fontTools is given the bytes the sandbox read, never the font's path."""
    from fontTools import ttLib

    from studyguide import fonts
    seen = []
    real = ttLib.TTFont.__init__

    def init(self, file=None, *a, **k):
        seen.append(file)
        return real(self, file, *a, **k)
    monkeypatch.setattr(ttLib.TTFont, "__init__", init)
    font = fonts.read_font(FONT, "fonts/own.otf")
    assert fonts.cmap(font)
    assert seen and not any(isinstance(f, (str, os.PathLike)) for f in seen)


@pytest.mark.parametrize("how", ["fifo", "link"])
def test_the_glyph_check_reads_texts_through_the_sandbox(media, outside, how):
    """``fonts.undrawable`` reads every text of the book through the sandbox: a FIFO or
    a symlink out in a text's place is passed over (the loader reported it), unread."""
    from studyguide import fonts
    if fonts.installed_coverage() is None:
        pytest.skip("no fontconfig")
    (outside / "secret.md").write_text(f"{MARKER} 碳\n")
    text = media / "data" / "swapped.yaml"
    if how == "fifo":
        os.mkfifo(text)
    else:
        text.symlink_to(outside / "secret.md")
    chapter = media / "chapters" / "01-carbon.md"
    found = within(30, fonts.undrawable, [text, chapter], [], [media], unblock=text)
    assert {p for p, _, _ in found} <= {chapter}       # the chapter's 碳, if no font has it


# -- citation styles, the book's stylesheet, the preflight's source lines -------------------
@pytest.mark.parametrize("how", ["fifo", "link"])
def test_a_citation_style_is_read_through_the_sandbox(tmp_path, outside, how):
    from studyguide import citations
    book = tmp_path / "book"
    shutil.copytree(MINI, book)
    style = book / "book.csl"
    (outside / "style.csl").write_text(f'<style xmlns="{citations.CSL_NS}"><citation/>'
                                       f"<!-- {MARKER} --></style>")
    if how == "fifo":
        os.mkfifo(style)
    else:
        style.symlink_to(outside / "style.csl")
    with pytest.raises(citations.StyleError) as caught:
        within(10, citations._parse_style, style, book, unblock=style)
    assert caught.value.line == 1 and "the style is not read: " + (
        NOT_REGULAR if how == "fifo" else OUT) == caught.value.message


def test_the_book_stylesheet_s_digest_and_hyphenation_do_not_block_on_a_fifo(tmp_path):
    from studyguide.builder import theme_overrides
    from studyguide.writers import pdf
    book = tmp_path / "book"
    book.mkdir()
    sheet = book / "book.css"
    sheet.write_text("p { hyphenate-limit-chars: 9 3 3; }\n")
    fake = SimpleNamespace(stylesheet_path=sheet, root=book, templates_dir=None)
    rb = SimpleNamespace(book=fake)
    digest = theme_overrides(fake)
    assert pdf._shortest_hyphenated_of(rb) == 7         # print.css's 7, less than 9
    sheet.unlink()
    os.mkfifo(sheet)
    assert within(10, theme_overrides, fake, unblock=sheet) != digest
    assert within(10, pdf._shortest_hyphenated_of, rb, unblock=sheet) == 1


def test_the_preflight_finds_source_lines_through_the_sandbox(tmp_path, outside):
    from studyguide import preflight
    (tmp_path / "ok.md").write_text("# Title\n\n$x^2$\n")
    assert preflight._source_text(tmp_path / "ok.md") == ["# Title", "", "$x^2$"]
    assert preflight.formula_line(tmp_path / "ok.md", "x^2") == 3
    os.mkfifo(tmp_path / "pipe.md")
    assert within(10, preflight._source_text, tmp_path / "pipe.md",
                  unblock=tmp_path / "pipe.md") == []
    assert within(10, preflight.formula_line, tmp_path / "pipe.md", "x^2",
                  unblock=tmp_path / "pipe.md") == 0


# -- the live preview --------------------------------------------------------------------
@pytest.fixture
def served(media, outside):
    """The preview's HTTP handler, in this process, serving a render whose files are a
    book's picture and font (``serve.BookFile``) and a file of the output folder."""
    from http.server import ThreadingHTTPServer

    from studyguide import serve
    (media / "fonts").mkdir()
    shutil.copy(FONT, media / "fonts" / "own.otf")
    out = media / "output"
    out.mkdir()
    (out / "guide.pdf").write_bytes(b"%PDF-1.7 made by the builder")
    files = {"images/keeling.png": serve.BookFile(media / "images" / "keeling.png", media,
                                                  "image"),
             "images/reservoirs.svg": serve.BookFile(media / "images" / "reservoirs.svg",
                                                     media, "image"),
             "fonts/own.otf": serve.BookFile(media / "fonts" / "own.otf", media, "font")}

    class Stub:
        lock = threading.Lock()
        current = None

        def lookup(self, name):
            if name in files:
                return files[name], serve._type(name)
            if name.startswith("output/"):
                path = serve.built_outputs(out).get(name.removeprefix("output/"))
                return (path, serve._type(name)) if path else None
            return None
    stopping = threading.Event()
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), serve.handler_for(Stub(), stopping))
    httpd.daemon_threads = True
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()

    def get(name: str) -> tuple[int, bytes]:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{httpd.server_port}/{name}",
                                        timeout=10) as r:
                return r.status, r.read()
        except urllib.error.HTTPError as exc:
            return exc.code, exc.read()
    yield SimpleNamespace(book=media, out=out, get=get, outside=outside)
    stopping.set()
    httpd.shutdown()
    httpd.server_close()


def test_the_preview_serves_a_book_s_files_as_the_sandbox_reads_them(served):
    book = served.book
    assert served.get("images/keeling.png") == (200, (book / "images" / "keeling.png")
                                                .read_bytes())
    # the whole font, within the font limit
    assert served.get("fonts/own.otf") == (200, FONT.read_bytes())
    assert served.get("output/guide.pdf") == (200, b"%PDF-1.7 made by the builder")


@pytest.mark.parametrize("name", ["images/keeling.png", "fonts/own.otf", "output/guide.pdf"])
@pytest.mark.parametrize("how", ["fifo", "link"])
def test_the_preview_refuses_a_file_swapped_since_the_render(served, name, how):
    path = (served.out / name.removeprefix("output/")) if name.startswith("output/") \
        else served.book / name
    path.unlink()
    if how == "fifo":
        os.mkfifo(path)
    else:
        path.symlink_to(served.outside / "passwd")
    status, body = within(20, served.get, name, unblock=path)
    assert status == 404 and MARKER.encode() not in body


def test_the_preview_checks_a_picture_again_before_serving_it(served):
    (served.book / "images" / "reservoirs.svg").write_text(
        SVG.replace("<rect", "<script>alert(1)</script><rect"))
    status, body = served.get("images/reservoirs.svg")
    assert status == 404 and b"alert" not in body


def test_the_preview_serves_a_font_no_larger_than_the_font_limit(served, monkeypatch):
    from studyguide import readers
    monkeypatch.setitem(readers.LIMITS, "font", 1024)
    assert served.get("fonts/own.otf")[0] == 404
