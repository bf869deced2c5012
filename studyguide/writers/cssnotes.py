"""What WeasyPrint says of a book's own stylesheet, for the author, at its lines.

WeasyPrint reports a declaration it ignores (an unknown property, a value it cannot
use, a rule it cannot parse) on its ``weasyprint`` logger, as "Ignored `colr: red` at
3:5, unknown property." with the line and column in the stylesheet it read. The build
keeps that logger quiet while it typesets (the theme's own stylesheets are known to be
clean, and the messages name no file); here the book's stylesheet alone is read by
WeasyPrint, in a worker that has it loaded, and each message comes back with its line,
for ``path:line: warning:``.
"""
from __future__ import annotations

import logging
import re

AT = re.compile(r"\bat (\d+):(\d+)\b")


class _Kept(logging.Handler):
    def __init__(self):
        super().__init__(logging.WARNING)
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.messages.append(record.getMessage())


def stylesheet_warnings(css: str) -> list[tuple[int, str]]:
    """WeasyPrint's warnings on reading ``css``: (line, message), line 0 where the
    message names none. Nothing is fetched: the stylesheet is parsed, not applied."""
    from weasyprint import CSS
    logger = logging.getLogger("weasyprint")
    kept, level, propagate = _Kept(), logger.level, logger.propagate
    logger.addHandler(kept)
    logger.setLevel(logging.WARNING)
    logger.propagate = False
    try:
        CSS(string=css, url_fetcher=_refuse)
    finally:
        logger.removeHandler(kept)
        logger.setLevel(level)
        logger.propagate = propagate
    out = []
    for message in kept.messages:
        found = AT.search(message)
        out.append((int(found.group(1)) if found else 0, " ".join(message.split())))
    return out


def _refuse(url: str, *args, **kwargs):
    raise ValueError(f"a book's stylesheet is not fetched from: {url}")
