"""Imported once by the fork server the worker processes start from (``pool``).

Importing it loads WeasyPrint, fontconfig, the book's typefaces and the hyphenation
patterns of its language (``pool.LANGUAGES``) and typesets a line,
so every worker forked from the server starts with all of that in memory instead of
loading it itself, and the main process reads the content meanwhile with only one other
process competing for the processors.

It also sets the workers' garbage collector for their work: a layout is hundreds of
thousands of objects, most of them alive until the part is drawn, which Python's
default thresholds would have the collector walk again and again (about a tenth of a
worker's time, measured). What is loaded here is frozen out of its sight, and it runs
far less often; reference counting still frees almost everything at once.

And it ties the server's life to the main process's: killed, even with ``kill -9``, the
main process takes the server with it, and the server its workers (``pool.die_with``).
"""
from __future__ import annotations

import gc
import os

from ..pool import MAIN_PID, SERVER_PID, die_with

if os.environ.get(MAIN_PID, str(os.getpid())) != str(os.getpid()):     # the fork server
    os.environ[SERVER_PID] = str(os.getpid())
    die_with(int(os.environ[MAIN_PID]))

try:
    from ..pool import LANGUAGES
    from .pdf import warm_up

    warm_up(os.environ.get(LANGUAGES, "").split(","))
except Exception:         # a worker that finds WeasyPrint broken reports it with its task
    pass
gc.freeze()
gc.set_threshold(100_000, 50, 50)
