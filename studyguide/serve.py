"""``studyguide serve`` (``build.py --serve``): the book as HTML in a browser, live.

Each chapter and apparatus section is one page, the EPUB's own XHTML and stylesheet
(``writers.epub`` renders them), with a contents sidebar and a link to the student PDF
at that page. A save re-renders the HTML in this process (the build's Markdown and
citation memo keeps every unchanged text, so only the edited chapter's are converted
again) and the open page reloads itself: a small script listens to the server's events
(Server-Sent Events, no browser plug-in). The PDFs follow in the background: the
student PDF first, in this process, which keeps every part's layout from one save to
the next and typesets again only what the save changed (``live``), then every output the
book declares in a ``studyguide build`` process; a newer save cancels what is still
being made for an older one.

Only what the book renders is served, each file looked up by its exact name in what the
last render produced (pages, stylesheet, pictures, figures, fonts) or in a listing of
the output folder's regular files: no path from a request is ever opened. A book's own
file (a picture, a font) is read when it is asked for through the sandbox
(``readers.read_confined``: no symlink out of the book, no FIFO or device, within its
kind's size limit), and a picture checked again as the resolver checks it
(``images.read_checked``): the file may have changed since the render.
"""
from __future__ import annotations

import hashlib
import html
import json
import os
import signal
import stat
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from importlib import resources
from pathlib import Path
from urllib.parse import quote, unquote, urlsplit

from lxml import etree
from lxml import html as lxml_html

from .errors import Diagnostic

PDF_LINK = "\0pdf\0"            # in a page's text: the PDF link, filled in when served
DIGEST = "\0digest\0"          # and the page's own digest, which its script compares
ASSETS = "_"                   # the server's own files: /_/live.js, /_/preview.css, /_/events
TYPES = {".xhtml": "application/xhtml+xml; charset=utf-8", ".css": "text/css; charset=utf-8",
         ".js": "text/javascript; charset=utf-8", ".svg": "image/svg+xml",
         ".png": "image/png", ".jpg": "image/jpeg", ".jpeg": "image/jpeg",
         ".gif": "image/gif", ".webp": "image/webp", ".pdf": "application/pdf",
         ".epub": "application/epub+zip", ".woff2": "font/woff2", ".woff": "font/woff",
         ".ttf": "font/ttf", ".otf": "font/otf", ".html": "text/html; charset=utf-8"}


def _asset(name: str) -> bytes:
    return resources.files("studyguide").joinpath("preview", name).read_bytes()


@dataclass(frozen=True)
class BookFile:
    """A file of the book that the pages use, served as the sandbox reads it when it is
    asked for (``body``): a picture (``kind`` "image") or one of book.yaml's fonts
    ("font"; served whole, within the font limit: the EPUB carries it cut to the
    characters the book uses, which the preview, rendering again on every save, does
    not)."""
    path: Path
    root: Path
    kind: str


def body(value: bytes | Path | BookFile) -> bytes | None:
    """What is served for a file of a render or of the output folder: its bytes, or None
    (not found) for a book's file the sandbox refuses now, or an output file that is no
    longer a regular file."""
    if isinstance(value, bytes):
        return value
    from .readers import Refused, read_confined
    if isinstance(value, BookFile):
        from . import images
        try:
            if value.kind == "image":
                return images.read_checked(value.path, [value.root])
            return read_confined(value.path, [value.root], value.kind)
        except Refused:
            return None
    return _read_output(value)


def _read_output(path: Path) -> bytes | None:
    """A file the builder wrote in the output folder (``built_outputs`` listed it): read
    only if it is still a regular file, opened without following a symlink or blocking on
    a FIFO put in its place."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_NOCTTY | os.O_NOFOLLOW)
    except OSError:
        return None
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            return None
        with os.fdopen(fd, "rb", closefd=False) as f:
            return f.read()
    except OSError:
        return None
    finally:
        os.close(fd)


@dataclass
class Render:
    """One render of the book: every file the pages need, by the name a page asks for."""
    pages: list[tuple[str, str]] = field(default_factory=list)   # (file, title) in order
    files: dict[str, bytes | BookFile] = field(default_factory=dict)  # name -> bytes or a
                                                                    # book's file
    anchors: dict[str, str] = field(default_factory=dict)       # page file -> its first id
    errors: list[Diagnostic] = field(default_factory=list)
    warnings: list[Diagnostic] = field(default_factory=list)
    slug: str = ""
    paper: str = "A4"
    outputs: tuple[str, ...] = ()                              # the book's outputs:
    made: dict[str, bytes] = field(default_factory=dict)        # body digest -> XHTML
    book: object = None                    # the rendered book, which the PDF is typeset from


def render(opts, reading, previous: Render | None = None,
           made: dict[str, bytes] | None = None, changed=None) -> Render:
    """The book's pages as the EPUB has them; on an error, the last good pages with the
    errors to show on them. ``reading`` (``live.Reading``) reads again only the files
    ``changed`` names where it can; ``made`` keeps the XHTML of each page body already
    written, so that a save writes again only the pages whose HTML changed."""
    from . import figures, fonts, theme
    from .builder import Options, file_slug
    from .cover import cover_png
    from .writers import epub
    # the pages need no fonts checked: that is the PDF build's to report
    html_opts = Options(content=opts.content, output=opts.output, formats=("epub",),
                        cache=opts.cache)
    try:
        rb, report = reading.prepare(html_opts, changed)
    except Exception as exc:        # shown on the pages; the server goes on watching
        from .errors import failure
        exc = failure(exc, None, opts.content)
        kept = Render(**{**(previous or Render()).__dict__})
        kept.errors = [d for d in exc.diagnostics if d.severity == "error"]
        kept.warnings = [d for d in exc.diagnostics if d.severity != "error"]
        return kept
    meta = rb.book.meta
    theme.use(rb.book.templates_dir, rb.book.stylesheet_path)
    out = Render(warnings=report.warnings, slug=file_slug(meta.title),
                 paper=(opts.papers or (meta.paper,))[0], outputs=tuple(meta.outputs),
                 book=rb)
    # the EPUB's stylesheet, pictures, figures and fonts, as ``epub.write_epub`` packs them
    sheets = [theme.stylesheet(s) for s in
              ["base.css", "epub.css"] + (["rtl.css"] if meta.direction == "rtl" else [])]
    sheets.append(theme.book_stylesheet())
    out.files["style/book.css"] = ("\n".join(sheets) + "\n" + fonts.font_face_css(
        rb.book.fonts, "../", sheets)).encode("utf-8")
    for font in rb.book.fonts:
        out.files[font.rel] = BookFile(font.path, rb.book.root, "font")
    cover = previous.files.get("images/cover.png") if previous else None
    out.files["images/cover.png"] = cover if isinstance(cover, bytes) else cover_png(meta)
    for name, svg in rb.figures.items():
        out.files[f"generated/{name}.svg"] = figures.for_screen(svg).encode("utf-8")
    for rel, path in rb.images.items():
        out.files[rel] = BookFile(path, rb.book.root, "image")

    pages = epub.build_pages(rb, None)
    for page in pages:
        theme.check_output(page.body)
    trees = [lxml_html.fragment_fromstring(page.body, create_parent="div") for page in pages]
    where: dict[str, str] = {}
    for page, tree in zip(pages, trees):
        for el in tree.xpath(".//*[@id]"):
            where[el.get("id")] = page.file          # as the EPUB links them
    unpacked = epub.unpacked_pictures(rb, trees, set(out.files))
    if unpacked:                # as the EPUB refuses them: errors, the last render kept
        kept = Render(**{**(previous or Render()).__dict__})
        kept.errors, kept.warnings = unpacked, report.warnings
        return kept
    for page, tree in zip(pages, trees):
        body = epub.page_body(page, tree, where, {}, meta.labels)
        key = hashlib.sha256(repr((page.title, body, meta.language, page.epub_type,
                                   meta.direction)).encode()).hexdigest()
        xhtml = made.get(key) if made is not None else None
        if xhtml is None:
            xhtml = epub.xhtml_document(page.title, body, meta.language,
                                        body_type=page.epub_type, direction=meta.direction)
        out.files[page.file] = xhtml
        out.made[key] = xhtml
        out.pages.append((page.file, page.title))
        first = tree.xpath(".//*[@id]")
        out.anchors[page.file] = page.file.removesuffix(".xhtml") if not first else \
            first[0].get("id")
    return out


def pdf_pages(path: Path, names: dict[str, str]) -> dict[str, int]:
    """For each page file, the 1-based page of the PDF where its named destination is:
    its own name (a chapter's id, ``glossary``), else its first anchor."""
    import pikepdf
    found: dict[str, int] = {}
    try:
        with pikepdf.open(path) as pdf:
            if "/Names" not in pdf.Root or "/Dests" not in pdf.Root.Names:
                return found
            dests = pikepdf.NameTree(pdf.Root.Names.Dests)
            for file, anchor in names.items():
                for name in (file.removesuffix(".xhtml"), anchor):
                    dest = dests.get(name)
                    if isinstance(dest, pikepdf.Dictionary):
                        dest = dest.get("/D")
                    if isinstance(dest, pikepdf.Array) and len(dest):
                        try:
                            found[file] = pdf.pages.index(pikepdf.Page(dest[0])) + 1
                            break
                        except (ValueError, TypeError):
                            pass
    except (OSError, pikepdf.PdfError):
        pass
    return found


class Preview:
    """The served state: the last render, its pages as served, and who waits for news."""

    def __init__(self, opts, quiet: bool):
        from . import cache as cache_mod
        self.opts, self.quiet = opts, quiet
        self.store = cache_mod.Cache(opts.cache)
        self.engine = cache_mod.engine_digest()
        from .live import Reading
        self.reading = Reading(opts, self.store, self.engine)
        self.current: Render | None = None
        self.served: dict[str, bytes] = {}     # page file -> the page as served
        self.digests: dict[str, str] = {}
        self.pdf_status = "not built yet"
        self.pdf_at: dict[str, int] = {}
        self.pdf_seen: tuple = ()
        self.changed = threading.Condition()
        self.generation = 0
        self.lock = threading.Lock()

    # -- rendering ------------------------------------------------------------------
    def refresh(self, changed=None) -> Render:
        """Render the book again (``changed``: the files saved, if known), print its
        problems, and tell the open pages."""
        previous = self.current
        current = render(self.opts, self.reading, previous,
                         previous.made if previous else None, changed)
        with self.lock:
            self.current = current
            self._serve_pages()
        for d in current.errors + current.warnings:
            print(d, file=sys.stderr, flush=True)
        return current

    def student_pdf(self) -> str:
        r = self.current
        return f"{r.slug}-student-{r.paper.lower()}.pdf" if r and r.slug else ""

    def pdf_built(self, status: str) -> None:
        """The background build finished (or failed): the PDF links follow."""
        with self.lock:
            self.pdf_status = status
            self._read_pdf()
        self._announce()

    def _read_pdf(self) -> None:
        name = self.student_pdf()
        path = self.opts.output / name
        try:
            st = path.stat()
            seen = (name, st.st_mtime_ns, st.st_size)
        except OSError:
            self.pdf_at, self.pdf_seen = {}, ()
            return
        if seen != self.pdf_seen and self.current:
            self.pdf_at = pdf_pages(path, self.current.anchors)
            self.pdf_seen = seen

    def _serve_pages(self) -> None:
        r = self.current
        self._read_pdf()
        self.served, self.digests = {}, {}
        # what every page draws on (stylesheet, figures, pictures, fonts): a change to it
        # reloads every page
        shared = hashlib.sha256()
        for name, value in sorted(r.files.items()):
            if not name.endswith(".xhtml"):
                shared.update(name.encode() + b"\0")
                shared.update(value if isinstance(value, bytes) else _stamp(value))
        for file, title in r.pages:
            page = self._page(r, file)
            self.served[file] = page
            self.digests[file] = hashlib.sha256(page + shared.digest()).hexdigest()[:16]
        self.generation += 1
        self._announce()

    def _announce(self) -> None:
        with self.changed:
            self.changed.notify_all()

    def state(self) -> dict:
        with self.lock:
            pdf = self.student_pdf()
            built = pdf and (self.opts.output / pdf).is_file()
            links = {file: f"/output/{quote(pdf)}" + (f"#page={self.pdf_at[file]}"
                                               if file in self.pdf_at else "")
                     for file in self.digests} if built else {}
            return {"pages": self.digests, "pdf": links, "pdf_status": self.pdf_status,
                    "errors": [str(d) for d in (self.current.errors if self.current else [])]}

    def _page(self, r: Render, file: str) -> bytes:
        """A page of the book with the preview's sidebar, error list and script."""
        doc = r.files[file].decode("utf-8")
        esc = html.escape
        current = ' aria-current="page"'
        # the preview's own words are English, whatever the book's language; the pages'
        # titles are in the book's (a screen reader reads each in its own voice)
        meta = r.book.book.meta if r.book is not None else None
        book_lang = (f' lang="{esc(meta.language)}" dir="{esc(meta.direction)}"'
                     if meta is not None else "")
        items = "".join(
            f'<li{book_lang}><a href="/{esc(f)}"{current if f == file else ""}>{esc(t)}'
            "</a></li>" for f, t in r.pages)
        errors = ""
        if r.errors:
            errors = ('<div class="sg-preview-errors" role="alert" lang="en" dir="ltr">'
                      '<p>The last save has '
                      'errors; this is the last good render.</p><ul>' +
                      "".join(f"<li><code>{esc(str(d))}</code></li>" for d in r.errors) +
                      "</ul></div>")
        sidebar = ('<nav class="sg-preview-sidebar" aria-label="Preview contents" lang="en" '
                   'dir="ltr"><ol>'
                   f"{items}</ol>{PDF_LINK}</nav>")
        head = ('<link rel="stylesheet" type="text/css" href="/_/preview.css"/>'
                f'<script src="/_/live.js" data-page="{esc(file)}" data-digest="{DIGEST}" '
                'defer="defer"></script>')
        doc = doc.replace("</head>", head + "</head>", 1)
        start = doc.index("<body")
        start = doc.index(">", start) + 1
        return (doc[:start] + sidebar + errors + '<div class="sg-preview-page">' +
                doc[start:].replace("</body>", "</div></body>", 1)).encode("utf-8")

    def _pdf_link(self, file: str) -> str:
        """The sidebar's link to the student PDF at the page's place, and how its build
        goes (the page's script keeps both current)."""
        pdf = self.student_pdf()
        at = self.pdf_at.get(file)
        href = html.escape(f"/output/{quote(pdf)}" + (f"#page={at}" if at else ""))
        return (f'<p><a class="sg-preview-pdf" href="{href}">Student PDF at this page</a> '
                f'<span class="sg-preview-pdf-status">({html.escape(self.pdf_status)})'
                "</span></p>")

    def error_page(self) -> bytes:
        """What ``/`` shows before the book ever rendered: its errors."""
        r = self.current or Render()
        items = "".join(f"<li><code>{html.escape(str(d))}</code></li>" for d in r.errors)
        return (f'<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"/><title>Preview: errors'
                f'</title><link rel="stylesheet" href="/_/preview.css"/>'
                f'<script src="/_/live.js" data-page="" defer="defer"></script></head><body>'
                f'<div class="sg-preview-errors" role="alert"><p>The book does not render:'
                f'</p><ul>{items}</ul></div></body></html>').encode("utf-8")

    # -- what may be served ---------------------------------------------------------
    def lookup(self, name: str) -> tuple[bytes | BookFile | Path, str] | None:
        """The file a request names, by its exact name: a page, a file the pages use, or
        a regular file in the output folder (``output/...``); nothing else. What is
        served is its ``body``."""
        with self.lock:
            if name in self.served:
                return self.served[name].replace(
                    PDF_LINK.encode(), self._pdf_link(name).encode()).replace(
                    DIGEST.encode(), self.digests[name].encode()), TYPES[".xhtml"]
            r = self.current
            if r and name in r.files and not name.endswith(".xhtml"):
                return r.files[name], _type(name)
        if name.startswith("output/"):
            path = built_outputs(self.opts.output).get(name.removeprefix("output/"))
            if path:
                return path, _type(name)
        return None


def _stamp(value: BookFile) -> bytes:
    """What a book's file is now, for the pages' digest (only looked at, never read)."""
    try:
        st = os.stat(value.path)
        return f"{st.st_mtime_ns}:{st.st_size}".encode()
    except OSError:
        return b"missing"


def _type(name: str) -> str:
    return TYPES.get(os.path.splitext(name)[1].lower(), "application/octet-stream")


def built_outputs(folder: Path) -> dict[str, Path]:
    """The output folder's regular files by relative name: no symbolic link, no file of
    a build in progress (dot files), nothing outside it."""
    found: dict[str, Path] = {}
    for here, dirs, files in os.walk(folder, followlinks=False):
        dirs[:] = [d for d in dirs if not d.startswith(".")
                   and not os.path.islink(os.path.join(here, d))]
        for f in files:
            path = os.path.join(here, f)
            if f.startswith(".") or os.path.islink(path) or not os.path.isfile(path):
                continue
            found[os.path.relpath(path, folder).replace(os.sep, "/")] = Path(path)
    return found


# -- the HTTP server ----------------------------------------------------------------
CSP = ("default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
       "img-src 'self' data:; object-src 'none'; frame-ancestors 'none'; base-uri 'none'")
LOOPBACK = ("127.0.0.1", "localhost", "::1", "[::1]")


def handler_for(preview: Preview, stopping: threading.Event, hosts: set[str] | None = None):
    """The request handler; ``hosts``: the Host headers accepted (on a loopback address,
    only the loopback names, so that no other site's page reaches the book through a
    name that resolves to this machine); None: any."""
    class Handler(BaseHTTPRequestHandler):
        server_version = "studyguide-preview"
        protocol_version = "HTTP/1.1"

        def log_message(self, format, *args):      # the terminal is for the book's news
            pass

        def do_HEAD(self):
            self.do_GET(head=True)

        def do_GET(self, head: bool = False):
            if hosts is not None and (self.headers.get("Host") or "") not in hosts:
                return self.send(HTTPStatus.FORBIDDEN, b"unknown host\n", "text/plain", head)
            raw = urlsplit(self.path).path
            name = unquote(raw, errors="strict").lstrip("/") if "\x00" not in raw else None
            if name == "":
                with preview.lock:
                    pages = preview.current.pages if preview.current else []
                if pages:
                    return self.send(HTTPStatus.FOUND, b"", "text/plain", head,
                                     {"Location": "/" + pages[0][0]})
                return self.send(HTTPStatus.OK, preview.error_page(),
                                 "text/html; charset=utf-8", head)
            if name == f"{ASSETS}/events":
                return self.events()
            if name == f"{ASSETS}/state":
                return self.send(HTTPStatus.OK, json.dumps(preview.state()).encode(),
                                 "application/json", head)
            if name in (f"{ASSETS}/live.js", f"{ASSETS}/preview.css"):
                return self.send(HTTPStatus.OK, _asset(name.split("/")[1]), _type(name), head)
            found = preview.lookup(name) if name else None
            if found is None:
                return self.send(HTTPStatus.NOT_FOUND, b"not found\n", "text/plain", head)
            value, kind = found
            data = body(value)
            if data is None:
                return self.send(HTTPStatus.NOT_FOUND, b"not found\n", "text/plain", head)
            return self.send(HTTPStatus.OK, data, kind, head)

        def send(self, status, body: bytes, kind: str, head: bool = False, extra=None):
            self.send_response(status)
            self.send_header("Content-Type", kind)
            self.send_header("Content-Length", str(len(body)))
            self.send_header("Cache-Control", "no-store")
            self.send_header("Content-Security-Policy", CSP)
            self.send_header("X-Content-Type-Options", "nosniff")
            for key, value in (extra or {}).items():
                self.send_header(key, value)
            self.end_headers()
            if not head:
                self.wfile.write(body)

        def events(self):
            """Server-Sent Events: the state now, then on every change."""
            self.send_response(HTTPStatus.OK)
            self.send_header("Content-Type", "text/event-stream")
            self.send_header("Cache-Control", "no-store")
            self.send_header("Connection", "close")
            self.end_headers()
            self.close_connection = True
            try:
                while not stopping.is_set():
                    self.wfile.write(f"data: {json.dumps(preview.state())}\n\n".encode())
                    self.wfile.flush()
                    with preview.changed:
                        preview.changed.wait(timeout=15)
            except (BrokenPipeError, ConnectionResetError):
                pass

    return Handler


# -- the PDFs, in the background ----------------------------------------------------
# The build a save starts: it dies with the server, and stops on SIGINT (which it never
# inherits ignored: ``builds_interruptible``) without a traceback, at any point.
# Seconds without a newer save before the other outputs' build starts: a save that
# follows the student PDF at once (an editor saves in bursts) finds the processor free,
# not busy starting a build only to stop it.
OTHER_OUTPUTS_AFTER = 2.0
CHILD = """\
import sys
try:
    from studyguide.pool import die_with
    die_with(int(sys.argv[1]))
    from studyguide.cli import main
    code = main(sys.argv[2:])
except KeyboardInterrupt:
    code = 130
sys.exit(code)
"""


class Builder:
    """The PDFs after each save, in the background: the student PDF first, in this
    process (``live``: only what the save changed is typeset again), then, once no save
    has come for ``OTHER_OUTPUTS_AFTER`` seconds, every output the book declares in a
    ``studyguide build`` process. A newer save cancels both: the typesetting between two
    parts, the build with SIGINT."""

    def __init__(self, preview: Preview, opts, quiet: bool):
        self.preview, self.opts, self.quiet = preview, opts, quiet
        self.wanted = 0           # generation asked for
        self.cond = threading.Condition()
        self.process: subprocess.Popen | None = None
        self.stopped = False
        self.book = None          # the rendered book of the newest save
        self.stale = threading.Event()
        self.student = None       # live.StudentPDF, which keeps the layouts
        self.last_save = 0.0      # when a save was last seen (time.monotonic)
        self.thread = threading.Thread(target=self.loop, name="pdf-builder", daemon=True)
        self.thread.start()

    def saw_save(self) -> None:
        """A save is being read (its request follows, if it reads well)."""
        with self.cond:
            self.last_save = time.monotonic()

    def quiet_for(self, seconds: float, done: int) -> bool:
        """Wait until ``seconds`` have passed with no save seen; False if a save newer
        than ``done`` was asked for meanwhile (or the server stops)."""
        since = time.monotonic()
        with self.cond:
            while self.wanted == done and not self.stopped:
                left = max(since, self.last_save) + seconds - time.monotonic()
                if left <= 0:
                    return True
                self.cond.wait(left)
            return False

    def request(self, book=None) -> None:
        with self.cond:
            self.wanted += 1
            self.book = book
            self.stale.set()                                # stale: the typesetting stops
            if self.process and self.process.poll() is None:
                self.process.send_signal(signal.SIGINT)     # and the build
            self.cond.notify_all()

    def stop(self) -> None:
        with self.cond:
            self.stopped = True
            self.stale.set()
            self.cond.notify_all()
            process = self.process
        if process and process.poll() is None:
            process.send_signal(signal.SIGINT)
            try:
                process.wait(timeout=5)
            except subprocess.TimeoutExpired:   # its workers end with it; the next build
                process.kill()                  # finishes or clears what it left
                process.wait()
        self.thread.join(timeout=5)

    def argv(self) -> list[str]:
        """``studyguide build`` of every output, which ends with this process, even under
        kill -9 (its workers end with it in turn). A newer save stops it with SIGINT."""
        o = self.opts
        argv = [sys.executable, "-c", CHILD, str(os.getpid()),
                "build", str(o.content), "-q", "--output", str(o.output)]
        argv += ["--cache", str(o.cache)] if o.cache else ["--no-cache"]
        if o.jobs:
            argv += ["-j", str(o.jobs)]
        for flag, values in (("--format", o.formats), ("--paper", o.papers),
                             ("--edition", o.editions)):
            for v in values:
                argv += [flag, v]
        if not o.handouts:
            argv.append("--no-handouts")
        if o.strict:
            argv.append("--strict")
        return argv

    def loop(self) -> None:
        done = 0
        while True:
            with self.cond:
                while self.wanted == done and not self.stopped:
                    self.cond.wait()
                if self.stopped:
                    return
                done = self.wanted
                book, stale = self.book, threading.Event()
                self.stale = stale
            current = self.preview.current
            student = "student" in self.opts.editions and "pdf" in (
                self.opts.formats or (current.outputs if current else ()))
            if student and book is not None:
                made = self.typeset(book, current.paper, stale, done)
                if made is None:            # cancelled by a newer save
                    continue
                if not made:
                    continue                # failed: the errors are shown
            if not self.quiet_for(OTHER_OUTPUTS_AFTER, done):
                continue                    # a newer save: its student PDF first
            started = time.perf_counter()
            self.preview.pdf_built("building the other outputs")
            code, errors = self.run(self.argv(), done)
            with self.cond:
                if self.wanted != done or self.stopped:
                    continue
            seconds = time.perf_counter() - started
            if code == 0:
                if not self.quiet:
                    print(f"built the other outputs in {seconds:.1f} s", flush=True)
                self.preview.pdf_built(f"other outputs built in {seconds:.1f} s")
            else:
                for line in errors:
                    print(line, file=sys.stderr, flush=True)
                self.preview.pdf_built("other outputs: build failed, see the terminal")

    def typeset(self, book, paper: str, stale: threading.Event,
                done: int = 0) -> bool | None:
        """The student PDF of ``book`` into the output folder, typeset in this process;
        None if a newer save made it stale, False if it failed (the errors printed).
        The first, for a book this cache has no student edition of, is made by a build
        (``first_build``)."""
        from .builder import file_slug, output_lock
        from .errors import failure
        from .live import Cancelled, StudentPDF, write_file
        started = time.perf_counter()
        self.preview.pdf_built("typesetting the student PDF")
        name = f"{file_slug(book.book.meta.title)}-student-{paper.lower()}.pdf"
        try:
            if self.student is None and self.first_build(paper, done) is None:
                return None
            if self.student is None:
                self.student = StudentPDF(self.opts, self.preview.store, self.preview.engine)
            data, _ = self.student.typeset(book, paper, stale)
            with output_lock(self.opts.output, lambda *a, **k: None, wait=60):
                if stale.is_set():
                    raise Cancelled()
                write_file(self.opts.output / name, data)
        except Cancelled:
            return None
        except Exception as exc:
            found = failure(exc, None, self.opts.content)
            for d in found.diagnostics:
                print(d, file=sys.stderr, flush=True)
            self.preview.pdf_built("student PDF: typesetting failed, see the terminal")
            return False
        seconds = time.perf_counter() - started
        if not self.quiet:
            print(f"built the student PDF in {seconds:.1f} s", flush=True)
        self.preview.pdf_built(f"student PDF built in {seconds:.1f} s")
        return True

    def first_build(self, paper: str, done: int) -> bool | None:
        """A book this cache has no student edition of (no page plan: never built with
        it) has its first student PDF made by a ``studyguide build`` of that edition alone,
        on every core, before this process typesets it from the cache: typeset here
        instead, on one core, every part would be laid out in turn (25 s for the default
        guide, against 21 s so). Whether it was (False: not needed, or it failed, and
        this process typesets the edition and reports its errors); None if a newer save
        stopped it. Later saves are typeset here: they lay out only what they changed."""
        from .builder import plan_key
        from .pagination import Edition
        store = self.preview.store
        if store is None or store.folder is None or \
                (self.opts.jobs or os.cpu_count() or 1) < 2 or \
                store.get(plan_key(self.opts, Edition(False, paper))) is not None:
            return False
        # (its warnings, --strict's errors among them, are the full build's to report)
        argv = [a for a in self.argv() if a not in ("--no-handouts", "--strict")]
        for flag in ("--format", "--paper", "--edition"):
            while flag in argv:
                del argv[argv.index(flag):argv.index(flag) + 2]
        argv += ["--format", "pdf", "--paper", paper, "--edition", "student",
                 "--no-handouts", "--no-preflight"]
        code, _ = self.run(argv, done)
        with self.cond:
            if self.wanted != done or self.stopped:
                return None
        return code == 0

    def run(self, argv: list[str], done: int) -> tuple[int, list[str]]:
        """The build's status and output; none if a save newer than ``done`` came (a
        save that comes once it has started interrupts it)."""
        with self.cond:
            if self.stopped or self.wanted != done:
                return 130, []
            self.process = subprocess.Popen(argv, stdout=subprocess.PIPE,
                                            stderr=subprocess.STDOUT, text=True,
                                            start_new_session=True)
            process = self.process
        output, _ = process.communicate()
        return process.returncode, output.splitlines()


def builds_interruptible() -> None:
    """A server started with SIGINT ignored (a script's background job) keeps ignoring
    it, but its builds must not inherit that: a newer save stops the build with SIGINT,
    and an ignored one would leave the next save's typesetting waiting for the whole
    build. A signal with a handler is reset to its default in a program this process
    starts, from its first instruction; an ignored one is not."""
    if signal.getsignal(signal.SIGINT) == signal.SIG_IGN:
        signal.signal(signal.SIGINT, lambda signum, frame: None)


# -- the command ----------------------------------------------------------------------
def serve(opts, quiet: bool, port: int = 8000, bind: str = "127.0.0.1") -> int:
    """Serve the book until Ctrl-C."""
    from .watch import watch
    preview = Preview(opts, quiet)
    stopping = threading.Event()
    try:
        server = ThreadingHTTPServer((bind, port), handler_for(preview, stopping))
        if bind in LOOPBACK:
            real = server.server_address[1]
            hosts = {f"{name}:{real}" for name in LOOPBACK if name != "::1"}
            if real == 80:
                hosts |= {name for name in LOOPBACK if name != "::1"}
            server.RequestHandlerClass = handler_for(preview, stopping, hosts)
    except OSError as exc:
        print(f"error: cannot serve on {bind}:{port}: {exc.strerror or exc}", file=sys.stderr)
        return 1
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, name="http", daemon=True).start()
    host, real_port = server.server_address[:2]
    builder = Builder(preview, opts, quiet)

    def once(_opts, _quiet, changed=None) -> int:
        started = time.perf_counter()
        builder.saw_save()
        current = preview.refresh(changed)
        if not quiet and not current.errors:
            print(f"pages rendered in {time.perf_counter() - started:.2f} s", flush=True)
        if not current.errors:     # a broken save has no PDF to build
            builder.request(current.book)
        return 1 if current.errors else 0

    def terminate(signum, frame):         # SIGTERM stops the server as Ctrl-C does
        raise KeyboardInterrupt
    signal.signal(signal.SIGTERM, terminate)
    builds_interruptible()
    print(f"serving {opts.content} at http://{host}:{real_port}/ (Ctrl-C to stop)",
          flush=True)
    try:
        # a render is cheap: start it sooner; it reads again only the files saved
        watch(opts, quiet, once, settle=0.1, files=True)
    except KeyboardInterrupt:
        pass
    finally:
        stopping.set()
        preview._announce()
        server.shutdown()
        server.server_close()
        builder.stop()
    print("stopped", flush=True)
    return 0
