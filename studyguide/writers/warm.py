"""Imported once by the fork server the worker processes start from (``pool``).

Importing it loads WeasyPrint, fontconfig, the book's typefaces and the hyphenation
patterns of its language (``pool.LANGUAGES``) and typesets a line,
so every worker forked from the server starts with all of that in memory instead of
loading it itself, and the main process reads the content meanwhile with only one other
process competing for the processors.
"""
from __future__ import annotations

import os

try:
    from ..pool import LANGUAGES
    from .pdf import warm_up

    warm_up(os.environ.get(LANGUAGES, "").split(","))
except Exception:         # a worker that finds WeasyPrint broken reports it with its task
    pass
