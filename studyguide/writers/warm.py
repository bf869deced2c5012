"""Imported once by the fork server the worker processes start from (``pool``).

Importing it loads WeasyPrint, fontconfig and the book's typefaces and typesets a line,
so every worker forked from the server starts with all of that in memory instead of
loading it itself, and the main process reads the content meanwhile with only one other
process competing for the processors.
"""
from __future__ import annotations

try:
    from .pdf import warm_up

    warm_up()
except Exception:         # a worker that finds WeasyPrint broken reports it with its task
    pass
