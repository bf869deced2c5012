"""Progress display: a live status line on a terminal, plain lines elsewhere."""
from __future__ import annotations

import contextlib
import sys


@contextlib.contextmanager
def reporter(quiet: bool):
    if quiet:
        yield lambda msg: None
        return
    if sys.stderr.isatty():
        from rich.console import Console
        console = Console(stderr=True)
        with console.status("building…") as status:
            def show(msg: str) -> None:
                status.update(msg)
                if msg.startswith("["):
                    console.log(msg)
            yield show
        return
    yield lambda msg: print(msg, file=sys.stderr, flush=True)
