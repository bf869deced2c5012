"""The build: content folder in, editions out.

``load`` → ``resolve`` (``prepare``: the content read and checked before any worker
process starts) → writers, run for every output the book declares (``Outputs``), their
work given as ``tasks.Task`` to a ``Scheduler`` that runs it in worker processes, in
parallel, or takes it from the cache (everything is cached by content hash). The
editions are typeset part by part and joined in this process as their parts come in
(``pagination.write_editions``). The EPUB waits for the student edition's layout, which
gives it the print page numbers and is known once the front matter and the index are
laid out; it is written while the body parts are drawn, in a worker, or in this process
when the workers have handouts to typeset (``EpubOutput``). Every output is
written under a temporary name and renamed into place only when the whole build has
succeeded, all of them together (``write_atomically``), so a failed or interrupted build
leaves the last good edition, never a mix of two.
"""
from __future__ import annotations

import contextlib
import fcntl
import json
import logging
import os
import re
import shutil
import stat
import tempfile
import time
import unicodedata
import threading
from concurrent.futures import Future
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

from . import cache as cache_mod
from . import paths
from .fonts import missing_fonts, undrawable_messages
from .errors import BuildError, Diagnostic, Reporter, failure
from .loader import book_language, load_book, slugify
from .pool import Pool, start_server
from .resolve import RenderedBook, render_book
from .tasks import Task, gather
from .writers.engine import fallback_note

for noisy in ("weasyprint", "fontTools", "fontTools.subset", "fontTools.ttLib"):
    logging.getLogger(noisy).setLevel(logging.ERROR)


@dataclass
class Options:
    content: Path
    output: Path
    formats: tuple[str, ...] = ()          # empty: the book's outputs; else exactly these
    papers: tuple[str, ...] = ()           # empty: the book's own setting
    editions: tuple[str, ...] = ("student", "teacher")
    handouts: bool = True
    strict: bool = False
    preflight: bool = True                 # read the PDFs back for makeup defects
    jobs: int = 0
    cache: Path | None = None              # None: no cache


@dataclass
class Result:
    outputs: list[Path] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    seconds: float = 0.0
    rendered: int = 0                      # outputs actually rendered (not from cache)
    unchanged: bool = False                # nothing changed since the last build
    removed: list[Path] = field(default_factory=list)   # stale outputs of earlier builds


Progress = Callable[..., None]   # (message, done=None, total=None)


# -- work done in worker processes -------------------------------------------------
def _handout_job(rb: RenderedBook, index: int, kind: str, teacher: bool, paper: str) -> bytes:
    """A handout of one chapter: its ``reading`` (the chapter reprinted) or its
    ``worksheet`` (``teacher``: the worksheet's answer key)."""
    from .writers import pdf
    docs = rb.docs + rb.back
    render = pdf.render_worksheet if kind == "worksheet" else pdf.render_handout
    return render(rb, docs[index], teacher, paper)


def whole_words(slug: str, limit: int) -> str:
    """A slug cut to at most ``limit`` characters between words, never inside one."""
    if len(slug) <= limit:
        return slug
    cut = slug[:limit + 1].rsplit("-", 1)[0].rstrip("-")
    return cut or slug[:limit]


def file_slug(title: str) -> str:
    """The outputs' name from the book's title: its words joined by hyphens, a dash or a
    slash between two of them parting them as a space does ("1789–1799" gives
    "1789-1799", where the ids' slug, pandoc's, runs them together), at most 60
    characters, cut between words. A title with letters of another script keeps its
    own letters, lower case where the script has case ("периодический-закон",
    "بيت-الحكمة"): the ids' digest (``u5376fbfea7``) told a teacher nothing."""
    spaced = re.sub(r"[\u2010-\u2015\u2212/]", " ", title)
    if all(unicodedata.name(c, "").startswith("LATIN") for c in spaced if c.isalpha()):
        # Latin letters as ASCII spells them (ICU's Latin-ASCII): Turkish "ı" is "i",
        # "ł" "l", "ß" "ss" (a slug left them out: "yasamn" for "Yaşamın")
        import icu
        ascii_text = icu.Transliterator.createInstance("Latin-ASCII").transliterate(spaced)
        return whole_words(slugify(ascii_text), 60)
    # (a zero-width non-joiner or joiner is inside a word and kept: Persian "کتاب‌های"
    # is one word, which a hyphen in place of its non-joiner parted)
    kept = "".join(c if unicodedata.category(c)[0] in "LMN" or c in "\u200c\u200d" else " "
                   for c in unicodedata.normalize("NFC", spaced).lower())
    return whole_words("-".join(kept.split()) or slugify(spaced), 60)


def handout_names(doc, editions) -> list[tuple[str, str, bool]]:
    """The handouts of a chapter or back-matter page: (file name without the paper, kind,
    teacher). Every page has a reading; a page with questions has a worksheet and, for
    the teacher edition, its answer key. Names are the document's id and what the
    handout is, whole: ``ch05-reading``, ``ch05-worksheet-student``."""
    out = [(f"{doc.id}-reading", "reading", False)]
    if doc.questions:
        out += [(f"{doc.id}-worksheet-{edition}", "worksheet", edition == "teacher")
                for edition in editions]
    return out


def _preflight_job(data: bytes, name: str, names: frozenset, labels: list[str] | None,
                   sources: list, one_sided: bool = False, tables: dict | None = None,
                   forced: frozenset = frozenset()) -> list:
    from . import preflight
    return preflight.check_pdf(Path(name), names, labels, sources, data=data,
                               one_sided=one_sided, tables=tables, forced=forced)


def _glyphs_job(data: bytes, name: str, labels: list[str] | None, sources) -> list:
    from .writers import fontfiles
    return fontfiles.glyph_findings(data, str(Path(name)), labels, sources)


def page_places(rb: RenderedBook) -> dict[str, tuple | None]:
    """The source file and line of each anchor an edition's pages may start with, for
    the preflight to place its findings (``preflight.page_sources``): every id's
    (``id_lines``); in the answer key, each answer's question (in its chapter's front
    matter) and each mark scheme (in data/mark_schemes.yaml); each entry of the
    bibliography; and each part of the apparatus, at its data file, or with no source
    (None: the index, the answer key's opening) where it prints many."""
    places: dict[str, tuple | None] = dict(rb.id_lines)
    for entry in rb.spine:
        if entry.id not in places:
            data = entry.kind not in ("index", "answers")
            places[entry.id] = (entry.source, 0) if data else None
    for doc in rb.docs + rb.back:
        for q in doc.questions:
            places.setdefault("key-" + q["id"], (doc.path, q["line"]))
        if doc.questions:
            places.setdefault("key-" + doc.id, places["key-" + doc.questions[0]["id"]])
    schemes = rb.book.root / "data" / "mark_schemes.yaml"
    for scheme in rb.book.mark_schemes:
        places.setdefault("scheme-" + scheme.id, (schemes, scheme.line))
    if rb.book.bibliography_path is not None:
        for key, line in rb.book.reference_lines.items():
            places.setdefault("ref-" + key, (rb.book.bibliography_path, line))
    return places


# A PDF of more pages than this is read for the preflight by several workers at once.
READ_PAGES = 24


# A part's pages are read for the preflight as soon as the part is drawn (``Scheduler``),
# in a worker with less to do, rather than all of the edition's once it is joined; such
# a read costs about half the part's drawing (in the pool's units, a part's HTML length).
READ_AHEAD_COST = 0.3


def _preflight_read(data: bytes, first: int, stop: int) -> list:
    from . import preflight
    return preflight.read_pages(data, first, stop)


def _preflight_read_part(data: bytes) -> dict:
    from . import preflight
    return preflight.read_keyed(data)


def _preflight_keys(data: bytes) -> list[str]:
    from . import preflight
    return preflight.page_keys(data)


def _preflight_check(pages: list, name: str, names: frozenset, labels: list[str] | None,
                     sources: list, one_sided: bool = False, tables: dict | None = None,
                     forced: frozenset = frozenset()) -> list:
    from . import preflight
    return preflight.check_pages(pages, str(Path(name)), names, labels, sources, one_sided,
                                 tables, forced)


def _epub_job(rb: RenderedBook, layout, cache_folder: Path | None = None) -> bytes:
    from .writers import epub
    # the cache keeps the subsets of the book's fonts, made in whichever process this is
    return epub.write_epub(rb, layout, cache_mod.Cache(cache_folder) if cache_folder else None)


def theme_overrides(book) -> list[str]:
    """Hashes of the book's own stylesheet and template overrides (they shape every output)."""
    from .readers import Refused, read_confined
    parts = []
    if book.stylesheet_path:
        try:        # through the sandbox (a FIFO put in its place would block)
            parts.append(cache_mod.digest(read_confined(book.stylesheet_path, [book.root],
                                                        "stylesheet")))
        except Refused as exc:
            parts.append(cache_mod.digest("refused: " + str(exc)))
    if book.templates_dir:
        parts.append(cache_mod.tree_digest([book.templates_dir]))
    return parts


def book_stylesheet(book) -> str | None:
    """The text of the book's own stylesheet (None if it has none), as the typesetter
    is given it."""
    path = book.stylesheet_path
    if not path:
        return None
    from .readers import read_confined
    return read_confined(path, [path.parent], "stylesheet").decode("utf-8")


def stylesheet_diagnostics(book, notes: list[tuple[int, str]]) -> list[Diagnostic]:
    """What WeasyPrint says of the book's stylesheet (``writers.cssnotes``), as warnings
    at its lines."""
    return [Diagnostic(str(book.stylesheet_path), line, message, "warning")
            for line, message in notes]


def prepare(opts: Options, store: cache_mod.Cache | None = None,
            engine_code: str = "", stylesheet: bool = False) -> tuple[RenderedBook, Reporter]:
    """The content read and rendered into the model the writers share; with ``store``,
    the Markdown and citeproc results of the last build of this book are reused. With
    ``stylesheet``, WeasyPrint reads the book's stylesheet here, and its warnings are
    the report's (a build has a worker read it, beside the typesetting)."""
    report = Reporter(opts.content)
    book = read_book(opts.content, report)
    memo = store if store is not None and store.folder else None
    with stage(report):
        rb = render_book(book, report, memo,
                         cache_mod.digest(engine_code, str(opts.content.resolve())))
    css = book_stylesheet(book) if stylesheet else None
    if css is not None:
        from .writers.cssnotes import stylesheet_warnings
        for note in stylesheet_diagnostics(book, stylesheet_warnings(css)):
            report.warning(note.path, note.line, note.message)
    if "pdf" in (opts.formats or book.meta.outputs):
        for message in missing_fonts():
            report.warning(paths.STYLES / "base.css", 0, message)
        for path, line, message in undrawable_messages(source_files(book), book.fonts,
                                                         [book.root]):
            report.warning(path, line, message)
    report.check(strict=opts.strict)
    return rb, report


def read_book(content: Path, report: Reporter):
    """The book's model, read and checked (``loader.load_book``); raises the errors
    found if it could not be read. A book.yaml whose problems lie in its metadata alone
    (a date, a paper size) leaves the book to be read and rendered, so that the errors of
    its chapters are found in the same run."""
    with stage(report):
        book = load_book(content, report, partial=True)
    if book is None:
        report.check()
        raise BuildError(report.diagnostics or [Diagnostic(
            str(content / "book.yaml"), 0, "the book could not be read")])
    return book


@contextlib.contextmanager
def stage(report: Reporter):
    """A stage of reading or rendering the content: an unexpected failure in it is an
    error naming the file it was working on, reported with every problem found so far."""
    try:
        yield
    except BuildError as exc:
        raise BuildError([*report.diagnostics, *exc.diagnostics], exc.tracebacks) from None
    except Exception as exc:
        found = failure(exc, None, report.root)
        raise BuildError([*report.diagnostics, *found.diagnostics], found.tracebacks) from None


def source_files(book) -> list[Path]:
    """Every file of the book whose text is printed."""
    files = [book.root / "book.yaml", *(d.path for d in book.documents)]
    for folder in ("data", "tables"):
        files += sorted((book.root / folder).glob("*.yaml"))
    if book.bibliography_path:
        files.append(book.bibliography_path)
    return [f for f in files if _readable(f, book.root)]


def _readable(path: Path, root: Path) -> bool:
    """Whether the sandbox would read ``path`` (a regular file inside the book, once its
    symlinks are resolved, within the largest text file's limit); the loader reported
    any other."""
    from .readers import LIMITS
    real = Path(os.path.realpath(path))
    if Path(os.path.realpath(root)) not in real.parents:
        return False
    try:
        st = os.stat(real)
    except OSError:
        return False
    return stat.S_ISREG(st.st_mode) and st.st_size <= LIMITS["bibliography"]


def plan_key(opts: Options, ed) -> str:
    """Where the page plan of an edition's last build is kept (the next build starts from it)."""
    return cache_mod.digest("plan", str(opts.content.resolve()), ed.teacher, ed.paper)


def input_digest(opts: Options, engine: str) -> str:
    """Everything a build depends on: content, engine and options (not the output and
    cache folders, which ``studyguide build`` keeps inside the book's folder)."""
    written = [opts.output] + ([opts.cache] if opts.cache else [])
    return cache_mod.digest(cache_mod.tree_digest([opts.content], exclude=written), engine,
                            repr((opts.formats, opts.papers, opts.editions, opts.handouts,
                                  opts.strict, opts.preflight, str(opts.content.resolve()))))


@dataclass
class Job:
    """One output to produce (a handout): its name, and the task that renders it."""
    name: Path
    task: Task
    value: bytes | None = None


def build(opts: Options, progress: Progress = lambda msg, done=None, total=None: None) -> Result:
    """Build every output of the book into ``opts.output``; one build at a time per
    output folder (``output_lock``)."""
    started = time.perf_counter()
    with output_lock(opts.output, progress):
        return _build(opts, progress, started)


# How long a build waits for another build into the same output folder to finish.
LOCK_WAIT = 600.0


@contextlib.contextmanager
def output_lock(output: Path, progress: Progress, wait: float | None = None):
    """Hold the output folder for this build alone: two builds into one folder would
    remove each other's staged files and mix their outputs. A second build waits for
    the first (saying so), at most ``wait`` seconds (``LOCK_WAIT``), then fails with an
    error naming the folder. The lock is the kernel's (``flock`` on the folder itself),
    so a build that is killed holds it no longer; a folder this build had to make is
    removed again if the build leaves nothing in it."""
    wait = LOCK_WAIT if wait is None else wait
    created, deadline = False, None
    while True:
        try:
            if not output.is_dir():
                output.mkdir(parents=True)
                created = True
            fd = os.open(output, os.O_RDONLY | os.O_DIRECTORY)
        except FileExistsError:
            continue          # made by another build just now
        except OSError as exc:
            raise _cannot_write(exc, Path(exc.filename or output)) from None
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            if deadline is None:
                progress(f"waiting for another build into {output} to finish")
                deadline = time.monotonic() + wait
            if time.monotonic() >= deadline:
                raise BuildError([Diagnostic(str(output), 0, (
                    f"another build has been writing into this folder for more than "
                    f"{wait:.0f} s; build into another folder (--output), or wait for it "
                    "to finish"))]) from None
            time.sleep(0.1)
            continue
        # the folder may have been removed, and made anew, while this build waited
        try:
            if os.path.samestat(os.fstat(fd), os.stat(output)):
                break
        except OSError:
            pass
        os.close(fd)
    try:
        yield
    finally:
        if created:
            try:
                output.rmdir()        # only if empty: a failed first build leaves nothing
            except OSError:
                pass
        os.close(fd)


def _build(opts: Options, progress: Progress, started: float) -> Result:
    began = time.time() - 1.0     # the clock of file times may lag a little
    recover(opts.output)
    store = cache_mod.Cache(opts.cache)
    engine_code = cache_mod.engine_digest()
    inputs = input_digest(opts, engine_code) if opts.cache else ""
    previous = store.unchanged(opts.output, inputs) if opts.cache else None
    if previous is not None:         # said once, by the caller's summary of the outputs
        return Result(outputs=sorted(previous[0]), warnings=previous[1],
                      seconds=time.perf_counter() - started, unchanged=True)

    progress("reading content")
    report = None
    languages = tuple(filter(None, [book_language(opts.content)]))
    try:
        # The fork server the workers start from loads WeasyPrint while this process
        # reads and checks the content; the workers are started only for good content,
        # so a mistake in it is reported at once.
        start_server(languages)
        rb, report = prepare(opts, store, engine_code)
        with Pool(max(1, opts.jobs or os.cpu_count() or 1), languages=languages) as pool:
            # whether the workers take WeasyPrint's public path, and why (a warning)
            fallback = pool.submit(fallback_note, where=str(opts.content))
            run = Outputs(rb, opts, store, Scheduler(pool, store, progress, opts.content),
                          progress, engine_code)
            results = run.outputs()
            engine_warning = fallback.result()
            for note in run.stylesheet_notes():
                report.warning(note.path, note.line, note.message)
            findings = run.preflight(results) if opts.preflight else []
    except Exception as exc:     # a bug: an error naming the file it was working on
        found = failure(exc, None, opts.content)
        if report is not None:   # the content's warnings are not lost with the build
            found = BuildError([*report.warnings, *found.diagnostics], found.tracebacks)
        raise found from None

    found = [Diagnostic(report._rel(f.path) if f.path else str(f.pdf), f.line, f.text, "warning")
             for f in findings]
    for _, ed in run.editions:      # kept even if --strict fails: what was typeset is
        store.put(plan_key(opts, ed), ed.plan)    # in the cache, and found by its plan
    if opts.strict and (found or report.warnings):
        raise BuildError(report.diagnostics + found)
    warnings = [str(d) for d in report.warnings] + [str(d) for d in found]
    if engine_warning:          # the same pages either way: not the book's to fix
        warnings.append(f"{opts.content}: warning: {engine_warning}")
    for _, ed in run.editions:
        if not ed.settled:
            warnings.append(f"{opts.content}: warning: page numbers of the "
                            f"{'teacher' if ed.teacher else 'student'} edition did not settle "
                            f"after {ed.rounds} rounds; some cross-references may be a page out")
    write_atomically(results, opts.output)
    removed = remove_stale(opts, rb.book.meta, results)
    store.record(opts.output, inputs, results, warnings)   # the book's, not the cache's
    store.prune(since=began)
    return Result(outputs=sorted(results), warnings=warnings + store.warnings,
                  seconds=time.perf_counter() - started, rendered=run.rendered,
                  removed=removed)


class Scheduler:
    """Runs a build's tasks (``tasks.Task``), concurrent.futures style: each ``submit``
    gives a ``Future``. A result this build has (or is making), or the cache has, is
    taken from there; any other is made in a worker process (or here, for a ``local``
    task), and kept in the cache. A failure is an error naming the book's file the task
    works on. Work that no output waits for (the handouts) is queued ``behind`` the
    batch the outputs wait for."""

    def __init__(self, pool: Pool, store: cache_mod.Cache, progress: Progress, root: Path):
        self.pool, self.store, self.progress, self.root = pool, store, progress, root
        self.known: dict[str, Future] = {}      # key -> its result, this build
        self.computed: set[str] = set()         # keys made (not taken from the cache)
        self.behind: list[Task] = []
        self.queued: list[tuple[Task, Future]] | None = None   # ``behind``, once queued
        # the tasks whose PDFs' pages the preflight reads as soon as they are made, and
        # those readings (``preflight.read_keyed``)
        self.read_ahead: frozenset[Callable] = frozenset()
        self.pages_read: list[Future] = []

    def cached(self, key: str) -> bool:
        return key in self.known or self.store.has(key)

    def submit(self, task: Task) -> Future:
        return self.submit_all([task], "")[0]

    def submit_all(self, tasks: list[Task], label: str, last: bool = False) -> list[Future]:
        """The tasks' futures, in order. The ones to make in the workers are placed
        together (``Pool.submit_batch``) and sent first; those in the cache are read
        while they run, the local ones made after. ``last``: the batch the outputs wait
        for, behind which ``behind`` is queued. The same key twice is made once."""
        made: dict[str, Future] = {}        # key (or place in the batch) -> its future
        fresh: dict[str, Task] = {}         # the same, of the tasks to make
        stored: list[tuple[str, Task]] = []
        places = []
        for i, task in enumerate(tasks):
            place = task.key if task.key is not None else f"#{i}"
            places.append(place)
            if place in made or place in fresh or any(place == p for p, _ in stored):
                continue
            if task.key is not None and task.key in self.known:
                made[place] = self.known[task.key]
            elif task.key is not None and self.store.has(task.key):
                stored.append((place, task))
            else:
                fresh[place] = task
        idle = self.pool.idle()
        remote = {k: t for k, t in fresh.items() if not t.local and (idle or not t.spare)}
        for (place, task), inner in zip(remote.items(),
                                        self.pool.submit_batch(list(remote.values()))):
            made[place] = self._track(task, inner)
        if fresh and label:
            self.progress(label.format(len(fresh)))
        if last:
            self.queue_behind()
        for place, task in stored:
            value = self.store.get(task.key)
            if value is not None:
                made[place] = self.known[task.key] = Future()
                made[place].set_result(value)
            else:                               # unreadable: made after all
                made[place] = self._track(task, self.pool.submit_task(task))
        for place, task in fresh.items():
            if place not in made:               # local, or spare while the workers work
                made[place] = self._track(task, _here(task))
        return [made[place] for place in places]

    def _track(self, task: Task, inner: Future) -> Future:
        """``inner``'s result, kept (``known``, the cache) and its failure named."""
        outer: Future = Future()
        if task.key is not None:
            self.known[task.key] = outer

        def settle(done: Future) -> None:
            try:
                value = done.result()
            except Exception as exc:
                outer.set_exception(failure(exc, task.where, self.root))
                return
            except BaseException as exc:     # raised here, it would end the executor's thread
                outer.set_exception(exc)
                return
            if task.key is not None:
                self.store.put(task.key, value)
                self.computed.add(task.key)
            if task.fn in self.read_ahead and getattr(value, "pdf", None):
                try:
                    self.pages_read.append(self.pool.submit(
                        _preflight_read_part, value.pdf,
                        cost=READ_AHEAD_COST * len(task.args[1])))
                except RuntimeError:      # the pool is shut down: the build has failed
                    pass
            outer.set_result(value)
        inner.add_done_callback(settle)
        return outer

    def queue_behind(self) -> None:
        if self.queued is None:
            self.queued = [(task, self.pool.submit_task(task)) for task in self.behind]

    def failed(self, found: list[BuildError]) -> BuildError:
        """The build's failure: every error found, with those of the work queued behind
        being done (what has not started is cancelled), so that one run reports the
        problems of every worker."""
        for task, future in self.queued or []:
            if future.cancel():
                continue
            try:
                future.result()
            except Exception as exc:
                found.append(failure(exc, task.where, self.root))
        self.queued = []
        return BuildError.joined(found)


class EpubOutput:
    """The EPUB, made as soon as the layout that gives it its print page numbers is
    known, while the editions' parts are still drawn: in a worker, or, when the workers
    have handouts to typeset, in this process (in a thread of its own), which has only
    the joins to do."""

    def __init__(self, outputs: "Outputs"):
        self.outputs = outputs
        self.name = str(outputs.opts.output / f"{outputs.slug}.epub")
        self.future: Future | None = None
        self.key = ""
        self.thread = threading.Thread(target=self._make, daemon=True, name="epub")
        self.thread.start()

    def _make(self) -> None:
        o = self.outputs
        try:
            layout = o.layout_edition.laid_out.result()
        except BaseException:           # failed or interrupted: the editions' failure
            return                      # says why
        # the EPUB carries the pictures' and fonts' bytes, which the model only names
        key = self.key = cache_mod.digest("epub", o.engine, o.rb, layout,
                                          o.rb.images_digest())
        busy = any(not future.done() for _, future in o.scheduler.queued or [])
        self.future = o.scheduler.submit(Task(_epub_job, (o.rb, layout, o.store.folder),
                                              key=key, where=self.name, local=busy))

    def failures(self) -> list[BuildError]:
        """Its failure, if it failed (waiting for it if it is being written)."""
        self.thread.join()
        if self.future is None:
            return []
        try:
            self.future.result()
        except BuildError as exc:
            return [exc]
        return []

    def result(self) -> bytes:
        self.thread.join()
        return self.future.result()


def _here(task: Task) -> Future:
    """A task made in this process, as a future."""
    future: Future = Future()
    try:
        future.set_result(task.fn(*task.args))
    except Exception as exc:
        future.set_exception(exc)
    return future


class Outputs:
    """One build's outputs: which, what each needs, and how they are made (through a
    ``Scheduler``)."""

    def __init__(self, rb: RenderedBook, opts: Options, store, scheduler: Scheduler,
                 progress: Progress, engine_code: str):
        from .pagination import Edition
        self.rb, self.opts, self.store, self.progress = rb, opts, store, progress
        self.scheduler = scheduler
        meta = rb.book.meta
        self.formats = list(opts.formats or meta.outputs)   # the command line wins
        papers = list(opts.papers) or [meta.paper]
        self.slug = file_slug(meta.title)
        out = opts.output
        self.engine = cache_mod.digest(engine_code, *theme_overrides(rb.book))

        self.editions: list[tuple[Path | None, Edition]] = []   # (output or None, edition)
        self.layout_edition = None           # whose layout gives the EPUB its page numbers
        for paper in papers:
            for edition in opts.editions:
                wanted = "pdf" in self.formats
                # the EPUB's page numbers are always the declared print edition's
                is_layout = edition == "student" and paper == meta.paper
                if not wanted and not (is_layout and "epub" in self.formats):
                    continue
                ed = Edition(edition == "teacher", paper, drawn=wanted)
                ed.plan = store.get(plan_key(opts, ed))
                name = out / f"{self.slug}-{edition}-{paper.lower()}.pdf" if wanted else None
                ed.output = str(name or "")
                self.editions.append((name, ed))
                if is_layout:
                    self.layout_edition = ed
        if self.layout_edition is None and "epub" in self.formats:
            self.layout_edition = Edition(False, meta.paper, drawn=False)
            self.layout_edition.plan = store.get(plan_key(opts, self.layout_edition))
            self.editions.append((None, self.layout_edition))

        self.handouts: list[Job] = []
        if "pdf" in self.formats and opts.handouts:
            for paper in papers:
                for i, doc in enumerate(rb.docs + rb.back):
                    for stem, kind, teacher in handout_names(doc, opts.editions):
                        key = cache_mod.digest("handout", self.engine, doc, rb.bibliography,
                                               meta, rb.figures, rb.images_digest(), kind,
                                               teacher, paper, rb.glossary, rb.mark_schemes)
                        name = out / "handouts" / f"{stem}-{paper.lower()}.pdf"
                        # in the units of a part's layout (its HTML's length): a
                        # reading handout sets the whole chapter and takes about 1.7
                        # times the chapter's layout, a worksheet about 0.8 times
                        cost = 3 * len(doc.body_html) if kind == "reading" else 3 * 20_000
                        self.handouts.append(Job(name, Task(
                            _handout_job, (rb, i, kind, teacher, paper), key=key,
                            cost=cost + 20_000, where=str(doc.path))))
        for job in self.handouts:
            job.value = store.get(job.task.key)
        scheduler.behind = [job.task for job in self.handouts if job.value is None]
        self.total = len([e for e in self.editions if e[0]]) + len(self.handouts) + \
            ("epub" in self.formats)
        self.done = len(self.handouts) - len(scheduler.behind)
        self.rendered = 0
        if opts.preflight and any(name for name, _ in self.editions):
            from .writers.pdf import write_part
            scheduler.read_ahead = frozenset({write_part})

    def failure(self, exc: Exception, where=None) -> BuildError:
        """A task's failure, naming the file it worked on (or the one its traceback
        shows)."""
        return failure(exc, where, self.opts.content)

    def outputs(self) -> dict[Path, bytes]:
        """Render (or take from the cache) every output: path -> bytes."""
        from .pagination import write_editions
        progress, out, scheduler = self.progress, self.opts.output, self.scheduler
        progress(f"typesetting {self.total} output(s), {self.done} handout(s) from cache",
                 self.done, self.total)
        epub = EpubOutput(self) if "epub" in self.formats else None
        self.css_notes = self.check_stylesheet()
        try:
            write_editions(self.rb, [ed for _, ed in self.editions], scheduler, self.engine,
                           memo=self.store if self.store.folder else None)
        except Exception as exc:
            # the EPUB's and the handouts' failures are reported with the editions'
            raise scheduler.failed([self.failure(exc), *(epub.failures() if epub else [])]
                                   ) from None
        scheduler.queue_behind()
        results: dict[Path, bytes] = {}
        for name, ed in self.editions:
            if name:
                results[name] = ed.joined
                self.rendered += ed.key in scheduler.computed
                self.done += 1
                progress(str(name.relative_to(out)), self.done, self.total)
        failed: list[BuildError] = []
        jobs = {id(job.task): job for job in self.handouts}
        for task, future in scheduler.queued or []:
            job = jobs[id(task)]
            try:
                job.value = future.result()
            except Exception as exc:
                failed.append(self.failure(exc, task.where))
                continue
            self.store.put(task.key, job.value)
            self.rendered += 1
            self.done += 1
            progress(str(job.name.relative_to(out)), self.done, self.total)
        failed += (epub.failures() if epub else []) + self.refusals()
        if failed:
            raise BuildError.joined(failed)
        for job in self.handouts:
            results[job.name] = job.value
        if epub:
            results[out / f"{self.slug}.epub"] = epub.result()
            self.rendered += epub.key in scheduler.computed
            self.done += 1
            progress(f"{self.slug}.epub", self.done, self.total)
        return results

    def refusals(self) -> list[BuildError]:
        """What the typesetter's fetcher refused in the editions (the handouts report
        their own), at the line of the template or stylesheet that named it."""
        refused = [entry for _, ed in self.editions if ed.layout
                   for entry in ed.layout.refused]
        if not refused:
            return []
        from .writers.refusals import diagnostics
        book = self.rb.book
        return [BuildError(diagnostics(book, refused, book.templates_dir or self.opts.content))]

    def check_stylesheet(self) -> Future | None:
        """What WeasyPrint says of the book's own stylesheet (``writers.cssnotes``), read
        in a worker beside the typesetting: (line, message) pairs."""
        css = book_stylesheet(self.rb.book)
        if css is None:
            return None
        from .writers.cssnotes import stylesheet_warnings
        return self.scheduler.submit(Task(stylesheet_warnings, (css,),
                                          where=str(self.rb.book.stylesheet_path),
                                          key=cache_mod.digest("css notes", self.engine, css)))

    def stylesheet_notes(self) -> list[Diagnostic]:
        """The book stylesheet's warnings, at its lines."""
        if self.css_notes is None:
            return []
        return stylesheet_diagnostics(self.rb.book, self.css_notes.result())

    def preflight(self, results: dict[Path, bytes]) -> list:
        """The print preflight's findings on every PDF made (``preflight``), each kept
        in the cache under the PDF's hash; run in the workers. A long PDF's pages are
        read by every worker at once (``READ_PAGES`` a task), or taken from the cache
        where an earlier build read the same page (``read_pages``), and checked together
        here."""
        from .preflight import page_breaks, page_count, page_sources
        from .resolve import PAGE_BREAK_ID
        from .writers.pdf import proper_names
        names = frozenset(proper_names(self.rb))
        # where each numbered table stands in the source, by its label: a data table's
        # caption is not in the chapter that places it
        tables = {t.label: (str(self.rb.id_lines[tid][0]), self.rb.id_lines[tid][1])
                  for tid, t in self.rb.targets.items()
                  if t.kind == "table" and t.label and tid in self.rb.id_lines}
        places = page_places(self.rb)
        # (an author's page breaks, where the book has any: a page may end short before one)
        breaks = any(PAGE_BREAK_ID in d.body_html for d in self.rb.docs + self.rb.back)
        whole, split, glyphs, found = [], [], [], []
        editions = {name: ed for name, ed in self.editions if name}
        docs = {job.name: (self.rb.docs + self.rb.back)[job.task.args[1]] for job in self.handouts}
        for name, data in sorted(results.items()):
            if name.suffix != ".pdf":
                continue
            ed = editions.get(name)
            one_sided = name in docs          # a handout: the same margins on every page
            if ed is not None and ed.layout is not None:
                labels = ed.layout.labels
                sources = page_sources(ed.layout.page_starts, places)
            else:
                doc = docs.get(name)      # a handout: its document throughout
                known = self.rb.id_lines.get(doc.id) if doc else None
                labels, sources = None, (str(known[0]), known[1]) if known else None
            rel = str(name.relative_to(self.opts.output))
            forced = page_breaks(data, PAGE_BREAK_ID) if breaks else frozenset()
            key = cache_mod.digest("preflight", self.engine, cache_mod.digest(data), rel,
                                   sorted(names), labels, sources, one_sided,
                                   sorted(tables.items()), sorted(forced))
            check = (rel, names, labels, sources, one_sided, tables, forced)
            glyphs.append(Task(_glyphs_job, (data, rel, labels, sources),
                               key=cache_mod.digest("glyphs", self.engine, key),
                               cost=len(data) / 8))
            pages = 0 if self.scheduler.cached(key) else page_count(data)
            # (an edition's parts may have been read already, however short it is)
            if pages > READ_PAGES or (pages and ed is not None and self.scheduler.pages_read):
                split.append((key, check, data))
            else:
                whole.append(Task(_preflight_job, (data, *check), key=key, cost=len(data)))
        fresh = len(split) + sum(not self.scheduler.cached(t.key) for t in whole)
        if fresh:
            self.progress(f"preflight of {fresh} PDF(s)")
        done = self.scheduler.submit_all(
            whole + [Task(_preflight_keys, (data,), cost=len(data) / 8) for *_, data in split]
            + glyphs, "")
        for result in gather(done[:len(whole)] + done[len(done) - len(glyphs):]):
            found += result
        checks = [Task(_preflight_check, (pages, *check), key=key, local=True)
                  for (key, check, _), pages in zip(split, self.read_pages(
                      [data for *_, data in split],
                      gather(done[len(whole):len(done) - len(glyphs)])))]
        for result in gather(self.scheduler.submit_all(checks, "")):
            found += result
        return found

    def read_pages(self, pdfs: list[bytes], keys: list[list[str]]) -> list[list]:
        """The pages of each PDF read back (``preflight.read_pages``): a page read from
        its part as the part was drawn (``Scheduler.pages_read``) or in an earlier build
        (the same ``preflight.page_keys``) is taken from there; the others are read by
        every worker at once, ``READ_PAGES`` a task."""
        import dataclasses
        ahead: dict = {}            # the drawn parts' pages, read while others were drawn
        for future in self.scheduler.pages_read:
            ahead.update(future.result())
        for k in {k for page_keys in keys for k in page_keys} & set(ahead):
            self.store.put(cache_mod.digest("page read", self.engine, k), ahead[k])
        stored = [{i: ahead.get(k) or self.store.get(cache_mod.digest("page read",
                                                                      self.engine, k))
                   for i, k in enumerate(page_keys)} for page_keys in keys]
        tasks, places = [], []
        for n, (data, got) in enumerate(zip(pdfs, stored)):
            missing = [i for i, page in got.items() if page is None]
            runs: list[list[int]] = []
            for i in missing:
                if runs and runs[-1][-1] == i - 1 and len(runs[-1]) < READ_PAGES:
                    runs[-1].append(i)
                else:
                    runs.append([i])
            for run in runs:
                tasks.append(Task(_preflight_read, (data, run[0], run[-1] + 1),
                                  cost=len(data) * len(run) / len(got)))
                places.append(n)
        for n, pages in zip(places, gather(self.scheduler.submit_all(tasks, ""))):
            for page in pages:
                i = page.number - 1
                stored[n][i] = page
                self.store.put(cache_mod.digest("page read", self.engine, keys[n][i]), page)
        return [[dataclasses.replace(got[i], number=i + 1) for i in range(len(got))]
                for got in stored]


# -- putting the outputs in place ----------------------------------------------------
# Each output is staged as ".NAME.XXXXXXXX.tmp" beside its target; the old file it
# replaces is kept as ".NAME.XXXXXXXX.old" until all are in place. Once every output is
# staged, a journal naming them is written: from then on the build is committed, and an
# interruption (a kill, a crash) is finished by the next build into the folder.
JOURNAL = ".studyguide-swap.json"
STAGED = re.compile(r"^\..+\.[A-Za-z0-9_]{8}\.(tmp|old)$")


def _cannot_write(exc: OSError, path: Path) -> BuildError:
    return BuildError([Diagnostic(str(path), 0,
                                  f"cannot write the output: {exc.strerror or exc}")])


def recover(output: Path) -> None:
    """Finish what an interrupted build left in its output folder: the swap its journal
    names is completed (every file it names was staged before it was written), and the
    staged and kept files of builds that did not get so far are removed."""
    journal = output / JOURNAL
    try:
        swaps = [_swap(tmp, target) for tmp, target, _ in
                 json.loads(journal.read_text(encoding="utf-8"))]
    except (OSError, ValueError, TypeError):
        swaps = []     # none, cut short (no swap had begun), or not one this code wrote
    try:
        for tmp, target in swaps:
            if (output / tmp).is_file():
                os.replace(output / tmp, output / target)
        journal.unlink(missing_ok=True)
        for folder in {output, output / "handouts"} | {(output / t).parent for _, t in swaps}:
            if folder.is_dir():
                for entry in folder.iterdir():
                    if STAGED.match(entry.name) and entry.is_file():
                        entry.unlink()
    except OSError as exc:
        raise _cannot_write(exc, Path(exc.filename or output)) from None


def _swap(tmp: str, target: str) -> tuple[Path, Path]:
    """A journal's entry, if it is one a build writes: a staged file beside its target,
    both inside the output folder (which may lie in the untrusted book's folder)."""
    t, g = Path(tmp), Path(target)
    if (t.is_absolute() or g.is_absolute() or ".." in t.parts + g.parts
            or t.parent != g.parent or not STAGED.match(t.name)
            or not t.name.startswith(f".{g.name}.") or not t.name.endswith(".tmp")):
        raise ValueError(f"not a staged output: {tmp} -> {target}")
    return t, g


# -- outputs an earlier build made and this one no longer makes ---------------------
# The outputs a build made are listed in this file in the output folder. The next build
# removes those it no longer makes, where it makes their kind (format, paper, edition,
# handouts): a file renamed since, or of a chapter removed. A folder built before the
# list existed has its PDFs of this book found by their metadata (the builder's /Creator
# and the book's /identifier). Nothing else in the folder is ever removed.
MANIFEST = ".studyguide-outputs.json"
CREATOR = "studyguide"


def remove_stale(opts: Options, meta, made: dict[Path, bytes] | list[Path]) -> list[Path]:
    """Remove the stale outputs of earlier builds into ``opts.output``, list the ones
    ``made`` now for the next build, and return those removed."""
    output = opts.output
    listed = output / MANIFEST
    try:
        earlier = {output / rel for rel in json.loads(listed.read_text(encoding="utf-8"))}
    except (OSError, ValueError, TypeError):
        earlier = {p for folder in (output, output / "handouts") if folder.is_dir()
                   for p in folder.glob("*.pdf") if _made_for(p, meta)}
    formats = set(opts.formats or meta.outputs)
    papers = {p.lower() for p in (opts.papers or [meta.paper])}

    def ours_to_make(path: Path) -> bool:      # a kind of output this build makes
        if path.suffix == ".epub":
            return "epub" in formats and path.parent == output
        stem = path.stem.rsplit("-", 2)
        edition = stem[-2] if len(stem) == 3 and stem[-2] in ("student", "teacher") else None
        return ("pdf" in formats and stem[-1] in papers
                and (edition is None or edition in opts.editions)
                and (opts.handouts if path.parent == output / "handouts"
                     else path.parent == output and edition is not None))

    removed = []
    for path in sorted(earlier - set(made)):
        if ours_to_make(path) and path.is_file():
            path.unlink()
            removed.append(path)
    kept = {p for p in earlier - set(removed) if p.is_file()} | set(made)
    _write_manifest(listed, sorted(str(p.relative_to(output)) for p in kept))
    return removed


def _made_for(path: Path, meta) -> bool:
    """Whether a PDF was made by this builder for this book (its document information)."""
    import pikepdf
    try:
        with pikepdf.open(path) as pdf:
            info = pdf.docinfo
            return (str(info.get("/Creator", "")) == CREATOR
                    and str(info.get("/identifier", "")) == meta.identifier)
    except Exception:           # not a PDF pikepdf reads: not one of ours
        return False


def _write_manifest(path: Path, names: list[str]) -> None:
    fd, tmp = tempfile.mkstemp(prefix=f"{MANIFEST}.", suffix=".tmp", dir=path.parent)
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        json.dump(names, fh, indent=0)
    os.replace(tmp, path)


def write_atomically(files: dict[Path, bytes], output: Path) -> None:
    """Stage every file beside its target, then rename them all into place: all of the
    outputs appear, or none (a failure puts the old ones back; a kill is finished by the
    next build, ``recover``). A failure to write (a full disk) is an error naming the
    file, and leaves no staged file behind."""
    staged: list[tuple[Path, Path, Path | None]] = []     # (staged, target, old kept)
    journal = current = output / JOURNAL
    staged_journal: Path | None = None
    try:
        for target, data in files.items():
            current = target
            target.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp",
                                       dir=target.parent)
            staged.append((Path(tmp), target, None))
            with os.fdopen(fd, "wb") as fh:
                fh.write(data)
                fh.flush()
                os.fsync(fh.fileno())
            os.chmod(tmp, 0o644)
        for i, (tmp, target, _) in enumerate(staged):
            if target.is_file():         # kept until all are in: a failure restores it
                current = target
                old = Path(str(tmp)[:-len(".tmp")] + ".old")
                staged[i] = (tmp, target, old)
                try:
                    os.link(target, old)
                except OSError:          # a file system without hard links
                    shutil.copyfile(target, old)
        rel = [[str(p.relative_to(output)) if p else None for p in entry] for entry in staged]
        current = journal
        fd, name = tempfile.mkstemp(prefix=f"{JOURNAL}.", suffix=".tmp", dir=output)
        staged_journal = Path(name)
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            json.dump(rel, fh)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(staged_journal, journal)   # committed: swapped now, or by ``recover``
    except BaseException as exc:
        for tmp, _, old in [*staged, (staged_journal, None, None)]:
            if tmp:
                tmp.unlink(missing_ok=True)
            if old:
                old.unlink(missing_ok=True)
        if isinstance(exc, OSError):
            raise _cannot_write(exc, current) from None
        raise
    done: list[tuple[Path, Path, Path | None]] = []
    try:
        for tmp, target, old in staged:
            current = target
            os.replace(tmp, target)
            done.append((tmp, target, old))
    except OSError as exc:               # put back what was there
        for tmp, target, old in reversed(done):
            if old:
                os.replace(old, target)
            else:
                target.unlink(missing_ok=True)
        journal.unlink(missing_ok=True)
        for tmp, _, old in staged:
            tmp.unlink(missing_ok=True)
            if old:
                old.unlink(missing_ok=True)
        raise _cannot_write(exc, current) from None
    for path in [journal, *(old for _, _, old in staged if old)]:
        try:
            path.unlink(missing_ok=True)
        except OSError:
            pass                         # done; ``recover`` clears it next time
