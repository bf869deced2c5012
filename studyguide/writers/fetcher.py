"""A URL fetcher for WeasyPrint that reads only the book's own files.

Untrusted content must not pull anything from the network or from elsewhere on the
disk into a PDF: every ``http(s):``, ``ftp:`` or ``data:`` URL and every ``file:`` path
outside the allowed folders is refused, and the refusal is recorded so the build can
report it. Files are read through the book sandbox (``readers.read_confined``: symlinks
resolved, regular files only, size-limited: a font at a font's limit, anything else at
an image's), and images are checked again as the
resolver checked them (the SVG whitelist, the pixel limit), whoever named them.
Generated figures are served from memory. The one file read from outside the book is an
installed font (one fontconfig lists), which the theme's stylesheets name by ``local()``.
"""
from __future__ import annotations

from pathlib import Path
from urllib.parse import unquote, urlparse

from weasyprint.urls import URLFetcher, URLFetcherResponse

from ..fonts import FONT_SUFFIXES
from ..readers import Refused, read_confined
from ..sanitise import image_problem, svg_file_problems
from . import fontfiles

MIME = {".svg": "image/svg+xml", ".png": "image/png", ".jpg": "image/jpeg",
        ".jpeg": "image/jpeg", ".gif": "image/gif", ".webp": "image/webp",
        ".css": "text/css"}


class SafeFetcher(URLFetcher):
    def __init__(self, roots: list[Path], generated: dict[str, bytes] | None = None,
                 generated_dir: Path | None = None):
        super().__init__(allowed_protocols=("file",))
        self.roots = [r.resolve() for r in roots]
        self.generated = generated or {}
        self.generated_dir = generated_dir.resolve() if generated_dir else None
        self.refused: list[tuple[str, str]] = []

    def _refuse(self, url: str, why: str):
        shown = url
        if url.startswith("file:"):
            path = Path(unquote(urlparse(url).path))
            for root in self.roots:
                if path == root or root in path.parents:
                    shown = str(path.relative_to(root))
                    break
        self.refused.append((url, f"{shown} ({why})"))   # (the URL, what to say of it)
        raise ValueError(f"refused to fetch {url}: {why}")

    def fetch(self, url, headers=None):
        parsed = urlparse(url)
        if parsed.scheme != "file":
            self._refuse(url, "only files inside the book folder may be embedded")
        path = Path(unquote(parsed.path))
        if self.generated_dir and path.resolve().parent == self.generated_dir and \
                path.name in self.generated:
            return URLFetcherResponse(url, body=self.generated[path.name],
                                      headers={"Content-Type": MIME.get(path.suffix, "")})
        real = path.resolve()
        if str(real) in fontfiles.installed_files():     # the installed file itself
            return URLFetcherResponse(url, body=real.read_bytes(),
                                      headers={"Content-Type": "application/octet-stream"})
        kind = "font" if path.suffix.lower() in FONT_SUFFIXES else "image"
        try:
            body = read_confined(path, self.roots, kind)
        except Refused as exc:
            self._refuse(url, str(exc))
        # the resolver checked every image the book names; this checks again whatever
        # reaches the typesetter, from wherever it was named (a template, a stylesheet)
        if path.suffix.lower() == ".svg":
            problems = svg_file_problems(body)
            if problems:
                line, message = problems[0]
                self._refuse(url, f"line {line}: {message}")
        elif path.suffix.lower() in MIME and path.suffix.lower() != ".css":
            problem = image_problem(body)
            if problem:
                self._refuse(url, problem)
        return URLFetcherResponse(url, body=body,
                                  headers={"Content-Type": MIME.get(path.suffix.lower(),
                                                                    "application/octet-stream")})
