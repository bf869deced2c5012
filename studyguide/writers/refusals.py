"""Where a reference that the typesetter's fetcher refused was written.

The resolver checks every picture the content names, at its line, before anything is
typeset; what reaches the fetcher (``writers.fetcher``) and is refused there was named
by a book's template overrides or its stylesheet. The fetcher only sees the URL, made
absolute against the book folder: this finds the reference, as written, that resolves
to it, so that the refusal is reported at ``path:line`` like every other problem.
"""
from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import unquote, urljoin

from ..errors import Diagnostic, shown
from ..readers import Refused, read_confined

# a reference as a template or a stylesheet writes it: an attribute that loads or links,
# url(...), @import "..."
REFERENCE = re.compile(
    r"""\b(?:src|srcset|href|xlink:href|data|poster|background)\s*=\s*["']?([^"'\s>]+)"""
    r"""|url\(\s*["']?([^"')\s]+)|@import\s+["']([^"']+)""", re.I)


def sources(book) -> list[Path]:
    """The files of the book that may name what the typesetter fetches: its template
    overrides and its stylesheet."""
    found = []
    if book.templates_dir and Path(book.templates_dir).is_dir():
        found += sorted(p for p in Path(book.templates_dir).rglob("*") if p.is_file())
    if book.stylesheet_path:
        found.append(Path(book.stylesheet_path))
    return found


def _same(written: str, url: str, base: str) -> bool:
    return unquote(urljoin(base, written.strip())) == unquote(url)


def locate(url: str, files: list[Path], base: str, root: Path) -> tuple[Path, int] | None:
    """The first file and line among ``files`` (read through the book sandbox) with a
    reference that, made absolute against ``base``, is ``url``."""
    for path in files:
        try:
            text = read_confined(path, [root], "template").decode("utf-8", "replace")
        except Refused:
            continue
        for number, line in enumerate(text.splitlines(), 1):
            for match in REFERENCE.finditer(line):
                written = next(g for g in match.groups() if g is not None)
                if _same(written, url, base):
                    return path, number
    return None


def diagnostics(book, refused, fallback: Path) -> list[Diagnostic]:
    """``refused`` (the fetcher's (URL, description) pairs) as errors at the line that
    names each; one that no template override or stylesheet names is reported at
    ``fallback``, the file being typeset."""
    files = sources(book)
    base = Path(book.root).as_uri() + "/"
    out = []
    for url, what in sorted(set(map(tuple, refused))):
        path, line = locate(url, files, base, Path(book.root)) or (fallback, 0)
        out.append(Diagnostic(shown(path), line, f"refused to fetch {what}"))
    return out
