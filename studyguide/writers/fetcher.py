"""A URL fetcher for WeasyPrint that reads only the book's own files.

Untrusted content must not pull anything from the network or from elsewhere on the
disk into a PDF: every ``http(s):``, ``ftp:`` or ``data:`` URL and every ``file:`` path
outside the allowed folders is refused, and the refusal is recorded so the build can
report it. Generated figures are served from memory.
"""
from __future__ import annotations

from pathlib import Path
from urllib.parse import unquote, urlparse

from weasyprint.urls import URLFetcher, URLFetcherResponse

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
        self.refused: list[str] = []

    def _refuse(self, url: str, why: str):
        self.refused.append(f"{url} ({why})")
        raise ValueError(f"refused to fetch {url}: {why}")

    def fetch(self, url, headers=None):
        parsed = urlparse(url)
        if parsed.scheme != "file":
            self._refuse(url, "only files inside the book folder may be embedded")
        path = Path(unquote(parsed.path)).resolve()
        if self.generated_dir and path.parent == self.generated_dir and path.name in self.generated:
            return URLFetcherResponse(url, body=self.generated[path.name],
                                      headers={"Content-Type": MIME.get(path.suffix, "")})
        if not any(path == r or r in path.parents for r in self.roots):
            self._refuse(url, "outside the book folder")
        if not path.is_file():
            self._refuse(url, "no such file")
        return URLFetcherResponse(url, body=path.read_bytes(),
                                  headers={"Content-Type": MIME.get(path.suffix.lower(),
                                                                    "application/octet-stream")})
