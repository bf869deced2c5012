"""``--watch``: rebuild when the content, templates or styles change."""
from __future__ import annotations

import threading
import time

from . import paths

WRITES = ("created", "modified", "deleted", "moved", "closed")   # closed after writing


def watch(opts, quiet: bool, run_once) -> int:
    from watchdog.events import FileSystemEventHandler
    from watchdog.observers import Observer

    changed = threading.Event()
    what: list[str] = []

    class Handler(FileSystemEventHandler):
        def on_any_event(self, event):
            # Only writes count: a build reads every file, and reading (opened,
            # closed_no_write) must not start the next build.
            if event.event_type not in WRITES or event.is_directory:
                return
            names = [event.src_path, getattr(event, "dest_path", "") or ""]
            names = [n for n in names if n and "/." not in n and not n.endswith("~")]
            if names:
                what.extend(names)
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
            time.sleep(0.3)  # let an editor finish saving
            changed.clear()
            files = sorted(set(what))
            what.clear()
            print("changed: " + ", ".join(files), flush=True)
            start = time.perf_counter()
            status = run_once(opts, quiet)
            print(f"{'rebuilt' if status == 0 else 'failed'} in "
                  f"{time.perf_counter() - start:.1f} s; watching", flush=True)
    except KeyboardInterrupt:
        observer.stop()
    observer.join()
    return 0
