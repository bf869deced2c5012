"""Progress display: a live bar on a terminal, plain lines elsewhere, nothing with -q.

The builder calls ``progress(message, done, total)``: a step when ``total`` is None,
one more finished output otherwise.
"""
from __future__ import annotations

import contextlib
import sys


@contextlib.contextmanager
def reporter(quiet: bool):
    if quiet:
        yield lambda msg, done=None, total=None: None
        return
    if not sys.stderr.isatty():
        def plain(msg: str, done: int | None = None, total: int | None = None) -> None:
            prefix = f"[{done}/{total}] " if total else ""
            print(prefix + msg, file=sys.stderr, flush=True)
        yield plain
        return
    from rich.console import Console
    from rich.progress import (BarColumn, MofNCompleteColumn, Progress, SpinnerColumn,
                               TextColumn, TimeElapsedColumn)
    console = Console(stderr=True)
    with Progress(SpinnerColumn(), TextColumn("{task.description}"), BarColumn(),
                  MofNCompleteColumn(), TimeElapsedColumn(), console=console,
                  transient=False) as bar:
        task = None         # shown from the first step: a build with nothing to do has none

        def live(msg: str, done: int | None = None, total: int | None = None) -> None:
            nonlocal task
            if task is None:
                task = bar.add_task(msg, total=None)
            if total:
                bar.update(task, description=msg, completed=done, total=total)
            else:
                bar.update(task, description=msg)
        yield live
