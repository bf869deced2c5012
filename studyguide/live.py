"""The student PDF of a watched book, kept up to date in this process.

A ``studyguide build`` starts its workers, reads the book and lays every changed part out
anew; after a save, that takes far longer than the save changed. While the book is
watched (``studyguide serve``), this process instead keeps what it typeset in memory: each
body part's layout (WeasyPrint's, held by ``writers.pdf`` under the hash of the part's
shape) and each part's PDF with its numbers, by the same keys a build gives them. A save
then runs the build's own pagination (``pagination.write_editions``) for the student edition
alone, in this process, and only what the save changed is done again: the edited part is
laid out, a part whose page numbers moved is numbered and drawn again from its held
layout, the index and the front matter follow the new pages, and the edition is joined.

What is made goes into the build's cache too, so that the full build that follows in the
background (the teacher edition, the handouts, the EPUB) finds the student edition done.
A newer save cancels the typesetting of an older one between two parts.
"""
from __future__ import annotations

import contextlib
import gc
import os
import tempfile
import threading
from pathlib import Path

from concurrent.futures import Future

from . import cache as cache_mod
from .errors import failure
from .resolve import RenderedBook
from .tasks import Task


class Cancelled(Exception):
    """A newer save made this typesetting stale."""


_pause = threading.Lock()
_pausing = [0, False]          # saves at work; whether the collector ran before them


@contextlib.contextmanager
def collector_paused():
    """Python's cyclic garbage collector held off while a save is read and typeset.

    This process holds every part's layout, millions of objects, which each full
    collection walks: about 0.6 s of processor time on an idle machine (several seconds
    of a save's wait under load) that otherwise fell in the middle of a save's PDF. Held
    off, the collection comes once the save's work is done; reference counting frees
    nearly everything meanwhile. Saves at work in two threads (the preview's reading,
    the PDF's typesetting) let it run again when the last of them is done."""
    with _pause:
        if _pausing[0] == 0:
            _pausing[1] = gc.isenabled()
            gc.disable()
        _pausing[0] += 1
    try:
        yield
    finally:
        with _pause:
            _pausing[0] -= 1
            if _pausing[0] == 0 and _pausing[1]:
                gc.enable()


class MemoryRun:
    """An ``Executor`` (``tasks.Executor``) in this process: each task's result kept in
    memory by its key (taken from the build's cache where a build made it, and put
    there), so that the next save's tasks with the same key are not done again. The
    layouts of body parts stay held for the next save."""

    def __init__(self, store: cache_mod.Cache | None = None):
        self.store = store
        self.memo: dict[str, object] = {}       # key -> result, of the last two runs
        self.used: set[str] = set()
        self._before: set[str] = set()
        self.computed: list[tuple[str, str]] = []   # done in this run: (what, its file)
        self.stale: threading.Event | None = None

    def begin(self, stale: threading.Event | None) -> None:
        """A new run: what the last two runs used is kept, the rest let go."""
        self.memo = {k: v for k, v in self.memo.items() if k in self.used or k in self._before}
        self._before, self.used, self.computed = self.used, set(), []
        self.stale = stale

    def check(self) -> None:
        if self.stale is not None and self.stale.is_set():
            raise Cancelled()

    def submit(self, task: Task) -> Future:
        future: Future = Future()
        try:
            future.set_result(self._value(task))
        except Cancelled:
            raise
        except Exception as exc:
            future.set_exception(failure(exc, task.where, None))
        return future

    def submit_all(self, tasks: list[Task], label: str = "", last: bool = False
                   ) -> list[Future]:
        return [self.submit(task) for task in tasks]

    def _value(self, task: Task):
        from .writers import pdf
        if task.key is not None:
            self.used.add(task.key)
            value = self.memo.get(task.key)
            if value is None and self.store is not None:
                # a build's: a part's PDF, or a layout's page anchors (its layout is
                # made again if a part drawn from it is wanted)
                value = self.store.get(task.key)
                if value is not None:
                    self.memo[task.key] = value
            if value is not None:
                return value
        self.check()
        args = task.args
        if task.fn is pdf.write_part:
            # the layout stays held: the next save numbers it again if only its page
            # numbers change
            args = (*args[:5], True)
        value = task.fn(*args)
        self.computed.append((task.fn.__name__, str(task.where or "")))
        if task.key is not None:
            self.memo[task.key] = value
            if self.store is not None:
                self.store.put(task.key, value)
        return value

    def cached(self, key: str) -> bool:
        return key in self.memo or (self.store is not None and self.store.has(key))


class StudentPDF:
    """The student edition of one book on one paper, typeset again after each save."""

    def __init__(self, opts, store: cache_mod.Cache | None, engine_code: str):
        self.opts, self.store, self.engine_code = opts, store, engine_code
        self.run = MemoryRun(store if store is not None and store.folder else None)
        self.plan = None

    def typeset(self, rb: RenderedBook, paper: str,
                stale: threading.Event | None = None) -> tuple[bytes, object]:
        """The student PDF of ``rb`` and its edition (plan, layout); raises
        ``Cancelled`` once ``stale`` is set."""
        from .builder import plan_key, theme_overrides
        from .pagination import Edition, write_editions
        engine = cache_mod.digest(self.engine_code, *theme_overrides(rb.book))
        ed = Edition(False, paper)
        store = self.run.store
        ed.plan = self.plan if self.plan is not None else \
            store.get(plan_key(self.opts, ed)) if store is not None else None
        self.run.begin(stale)
        with collector_paused():
            write_editions(rb, [ed], self.run, engine, memo=store)
        self.plan = ed.plan
        if store is not None:
            store.put(plan_key(self.opts, ed), ed.plan)
        return ed.joined, ed


def write_file(path: Path, data: bytes) -> None:
    """``data`` into ``path`` at once: a reader sees the old file or the new one."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise


class MemoryMemo:
    """The build's memo of Markdown and citeproc results (``resolve``), kept in memory
    as well: a save takes them from here rather than read them from the cache's files."""

    def __init__(self, store: cache_mod.Cache | None):
        self.store = store if store is not None and store.folder else None
        self.folder = self.store.folder if self.store is not None else None
        self.values: dict[str, object] = {}

    def get(self, key: str):
        value = self.values.get(key)
        if value is None and self.store is not None:
            value = self.store.get(key)
            if value is not None:
                self.values[key] = value
        return value

    def put(self, key: str, value) -> None:
        self.values[key] = value
        if self.store is not None:
            self.store.put(key, value)


class Reading:
    """The book as last read, so that a save that changed only chapters (or other
    Markdown documents the book lists) reads those files alone and keeps every other
    file's reading: book.yaml, the data, tables, bibliography and other chapters. Any
    other change, or a last reading with errors, reads the whole book again. Rendering
    then takes every unchanged text's Markdown and the citations from the memo
    (``MemoryMemo``), so only the changed documents' Markdown is converted."""

    def __init__(self, opts, store: cache_mod.Cache | None, engine_code: str):
        self.opts, self.engine_code = opts, engine_code
        self.memo = MemoryMemo(store)
        self.book = None                   # the last clean reading
        self.found: list = []              # its warnings
        self.reread: list[Path] | None = None   # the documents the last call read; None: all
        self.pending: set[Path] = set()    # saved since the last clean reading

    def documents_changed(self, changed) -> list | None:
        """The documents of the last reading that ``changed`` names, if it names
        nothing else; None if the whole book must be read."""
        if self.book is None or changed is None:
            return None
        by_path = {Path(os.path.realpath(d.path)): d for d in self.book.documents}
        docs = []
        for name in sorted({Path(name) for name in changed} | self.pending):
            doc = by_path.get(Path(os.path.realpath(name)))
            if doc is None:
                return None
            if doc not in docs:
                docs.append(doc)
        return docs

    def prepare(self, opts, changed=None):
        """As ``builder.prepare`` (without its font checks, the PDF build's to report),
        reading only what ``changed`` (the paths of the saved files; None: unknown)
        requires: the book and the report of its problems."""
        try:
            with collector_paused():
                return self._prepare(opts, changed)
        except BaseException:
            if changed is not None:      # read again until a reading is clean
                self.pending |= {Path(name) for name in changed}
            raise

    def _prepare(self, opts, changed):
        import dataclasses

        from .builder import read_book, stage
        from .errors import BuildError, Reporter, shown
        from .loader import check_apparatus, load_chapter
        from .resolve import render_book
        report = Reporter(opts.content)
        docs = self.documents_changed(changed)
        if docs is None:
            self.reread, self.book = None, None
            book = read_book(opts.content, report)
        else:
            self.reread = [d.path for d in docs]
            names = {shown(d.path) for d in docs}
            report.diagnostics.extend(d for d in self.found if d.path not in names)
            old = self.book
            with stage(report):
                fresh = {d.path: load_chapter(d.path, d.id, d.number, d.kind, report)
                         for d in docs}
            if any(doc is None for doc in fresh.values()):
                raise BuildError(report.diagnostics)      # the last reading is kept
            book = dataclasses.replace(
                old, chapters=[fresh.get(d.path, d) for d in old.chapters],
                back_matter=[fresh.get(d.path, d) for d in old.back_matter],
                changelog=fresh.get(old.changelog.path, old.changelog)
                if old.changelog else None)
            check_apparatus(book, report)
        loaded = list(report.diagnostics)
        if report.errors:
            raise BuildError(report.diagnostics)
        with stage(report):
            rb = render_book(book, report, self.memo,
                             cache_mod.digest(self.engine_code, str(opts.content.resolve())))
        report.check(strict=opts.strict)
        self.book, self.found = book, loaded       # a clean reading, and its warnings
        self.pending = set()
        return rb, report
