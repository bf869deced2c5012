"""``studyguide watch`` (``build.py --watch``): rebuild when the content, templates or
styles change."""
from __future__ import annotations

import os
import re
import threading
import time

from . import paths

WRITES = ("created", "modified", "deleted", "moved", "closed")   # closed after writing

# Files editors write beside the one being edited, which are never the book's: backups
# (``name~``), Emacs's auto-saves (``#name#``), Vim's swap files and the file it writes
# to test a folder (``4913``), JetBrains' safe-write copies, Kate's swap files. (Hidden
# files, Vim's ``.name.swp`` and Emacs's ``.#name`` among them, are passed over too.)
_EDITORS_OWN = re.compile(r"(~|\.sw[a-p]|\.kate-swp|___jb_(tmp|old)___)$|^#.*#$|^4913$")


def editors_own(name: str) -> bool:
    """Whether ``name`` (a path) is an editor's temporary or backup file."""
    return bool(_EDITORS_OWN.search(os.path.basename(name)))


def watch(opts, quiet: bool, run_once, settle: float = 0.3, files: bool = False) -> int:
    """Run ``run_once(opts, quiet)``, then again ``settle`` seconds after each save (an
    editor may write a file in more than one step), until Ctrl-C. With ``files``, each
    run after a save is also told the paths saved: ``run_once(opts, quiet, paths)``."""
    from watchdog.events import FileSystemEventHandler
    from watchdog.observers import Observer

    # The book's own output and cache folders may lie inside it (``studyguide build``):
    # what a build writes must not wake the next one.
    written = tuple(str(f) + os.sep for f in (opts.output, opts.cache) if f)

    def source(name: str) -> bool:
        return not ("/." in name or "/__pycache__/" in name or editors_own(name)
                    or name.startswith(written))

    changed = threading.Event()
    what: list[str] = []
    made: set[str] = set()          # the files created since the last run

    class Handler(FileSystemEventHandler):
        def on_any_event(self, event):
            # Only writes count: a build reads every file, and reading (opened,
            # closed_no_write) must not start the next build.
            if event.event_type not in WRITES or event.is_directory:
                return
            names = [event.src_path, getattr(event, "dest_path", "") or ""]
            names = [n for n in names if n and source(n)]
            if names:
                what.extend(names)
                if event.event_type == "created":
                    made.add(event.src_path)
                changed.set()

    observer = Observer()
    for folder in (opts.content, paths.TEMPLATES, paths.STYLES):
        observer.schedule(Handler(), str(folder), recursive=True)
    observer.start()
    print(f"watching {opts.content} (Ctrl-C to stop)", flush=True)
    run_once(opts, quiet)
    try:
        while True:
            changed.wait()
            time.sleep(settle)  # let an editor finish saving
            changed.clear()
            # a file created and gone since (``sed -i``'s copy, renamed onto the file it
            # edits; an editor's, of a name it alone gives) is none of the book's files
            saved = sorted(name for name in set(what)
                           if os.path.exists(name) or name not in made)
            what.clear()
            made.clear()
            if not saved:
                continue
            print("changed: " + ", ".join(saved), flush=True)
            start = time.perf_counter()
            status = run_once(opts, quiet, saved) if files else run_once(opts, quiet)
            print(f"{'rebuilt' if status == 0 else 'failed'} in "
                  f"{time.perf_counter() - start:.1f} s; watching", flush=True)
    except KeyboardInterrupt:
        observer.stop()
    observer.join()
    return 0
