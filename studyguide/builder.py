"""The build: content folder in, editions out.

``load`` → ``resolve`` → writers, run for every output the book declares. The editions are
typeset part by part and joined (``pagination``); the parts, the joins and the handouts
run in parallel processes and are cached by content hash. The EPUB waits for the student
edition, whose layout gives it the print page numbers, and is written while the handouts
are typeset. Every output is written under a temporary name and renamed into place only
when the whole build has succeeded, so a failed or interrupted build leaves the last good
edition.
"""
from __future__ import annotations

import logging
import os
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

from . import cache as cache_mod
from . import paths
from .fonts import missing_fonts
from .errors import BuildError, Diagnostic, Reporter
from .loader import load_book, slugify
from .resolve import RenderedBook, render_book

for noisy in ("weasyprint", "fontTools", "fontTools.subset", "fontTools.ttLib"):
    logging.getLogger(noisy).setLevel(logging.ERROR)


@dataclass
class Options:
    content: Path
    output: Path
    formats: tuple[str, ...] = ("pdf", "epub")
    papers: tuple[str, ...] = ()           # empty: the book's own setting
    editions: tuple[str, ...] = ("student", "teacher")
    handouts: bool = True
    strict: bool = False
    jobs: int = 0
    cache: Path | None = None              # None: no cache


@dataclass
class Result:
    outputs: list[Path] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    seconds: float = 0.0
    rendered: int = 0                      # outputs actually rendered (not from cache)
    unchanged: bool = False                # nothing changed since the last build


Progress = Callable[..., None]   # (message, done=None, total=None)


# -- work done in worker processes -------------------------------------------------
def _handout_job(rb: RenderedBook, index: int, teacher: bool, paper: str) -> bytes:
    from .writers import pdf
    docs = rb.docs + rb.back
    return pdf.render_handout(rb, docs[index], teacher, paper)


def _epub_job(rb: RenderedBook, layout) -> bytes:
    from .writers import epub
    return epub.write_epub(rb, layout)


def theme_overrides(book) -> list[str]:
    """Hashes of the book's own stylesheet and template overrides (they shape every output)."""
    parts = []
    if book.stylesheet_path:
        parts.append(cache_mod.digest(book.stylesheet_path.read_bytes()))
    if book.templates_dir:
        parts.append(cache_mod.tree_digest([book.templates_dir]))
    return parts


def prepare(opts: Options) -> tuple[RenderedBook, Reporter]:
    report = Reporter(opts.content)
    book = load_book(opts.content, report)
    if book is None:
        report.check()
        raise BuildError(report.diagnostics)
    rb = render_book(book, report)
    if "pdf" in opts.formats:
        for message in missing_fonts():
            report.warning(paths.STYLES / "base.css", 0, message)
    report.check(strict=opts.strict)
    return rb, report


def plan_key(opts: Options, ed) -> str:
    """Where the page plan of an edition's last build is kept (the next build starts from it)."""
    return cache_mod.digest("plan", str(opts.content.resolve()), ed.teacher, ed.paper)


def input_digest(opts: Options, engine: str) -> str:
    """Everything a build depends on: content, engine and options."""
    return cache_mod.digest(cache_mod.tree_digest([opts.content]), engine,
                            repr((opts.formats, opts.papers, opts.editions, opts.handouts,
                                  opts.strict, str(opts.content.resolve()))))


@dataclass
class Job:
    """One output to produce: its name, its cache key, and how to render it."""
    name: Path | None                      # None: only needed as input (a layout)
    key: str
    fn: Callable
    args: tuple
    value: object = None


def build(opts: Options, progress: Progress = lambda msg, done=None, total=None: None) -> Result:
    started = time.perf_counter()
    store = cache_mod.Cache(opts.cache)
    engine_code = cache_mod.engine_digest()
    inputs = input_digest(opts, engine_code) if opts.cache else ""
    previous = store.unchanged(opts.output, inputs) if opts.cache else None
    if previous is not None:
        progress("nothing changed")
        return Result(outputs=sorted(previous[0]), warnings=previous[1],
                      seconds=time.perf_counter() - started, unchanged=True)

    progress("reading content")
    from .pagination import Edition, paginate   # imports WeasyPrint: not for a no-change build
    rb, report = prepare(opts)
    meta = rb.book.meta
    formats = [f for f in opts.formats if f in meta.outputs] or list(opts.formats)
    papers = list(opts.papers) or [meta.paper]
    slug = slugify(meta.title)[:60]
    out = opts.output
    engine = cache_mod.digest(engine_code, *theme_overrides(rb.book))
    book_key = cache_mod.digest(engine, rb)

    editions: list[tuple[Path | None, object]] = []
    layout_edition = None
    for paper in papers:
        for edition in opts.editions:
            wanted = "pdf" in formats
            is_layout = edition == "student" and paper == papers[0]
            if not wanted and not (is_layout and "epub" in formats):
                continue
            ed = Edition(edition == "teacher", paper)
            ed.plan = store.get(plan_key(opts, ed))
            editions.append((out / f"{slug}-{edition}-{paper.lower()}.pdf" if wanted else None, ed))
            if is_layout:
                layout_edition = ed
    if layout_edition is None and "epub" in formats:
        layout_edition = Edition(False, papers[0])
        layout_edition.plan = store.get(plan_key(opts, layout_edition))
        editions.append((None, layout_edition))
    handouts: list[Job] = []
    if "pdf" in formats and opts.handouts:
        for paper in papers:
            for i, doc in enumerate(rb.docs + rb.back):
                for edition in opts.editions:
                    key = cache_mod.digest("handout", engine, doc, rb.bibliography, meta,
                                           rb.figures, rb.images_digest(), edition, paper)
                    name = (out / "handouts" /
                            f"{doc.id}-{slugify(doc.title)[:40]}-{edition}-{paper.lower()}.pdf")
                    handouts.append(Job(name, key, _handout_job,
                                        (rb, i, edition == "teacher", paper)))

    for job in handouts:
        job.value = store.get(job.key)
    todo = [j for j in handouts if j.value is None]
    total = len([e for e in editions if e[0]]) + len(handouts) + ("epub" in formats)
    state = {"done": len(handouts) - len(todo), "computed": set(), "handouts": None}
    progress(f"typesetting {total} output(s), {len(handouts) - len(todo)} handout(s) from cache",
             state["done"], total)
    memo: dict[str, object] = {}
    workers = max(1, opts.jobs or os.cpu_count() or 1)
    with ProcessPoolExecutor(max_workers=workers) as pool:
        def run(tasks, label="rendering {} piece(s)"):
            values, futures = [None] * len(tasks), []
            for i, (key, fn, args) in enumerate(tasks):
                value = memo.get(key)
                if value is None:
                    value = store.get(key)
                if value is None:
                    futures.append((i, key, pool.submit(fn, *args)))
                else:
                    memo[key] = values[i] = value
            if futures:
                progress(label.format(len(futures)))
            if state["handouts"] is None:      # queued behind the first round of parts
                state["handouts"] = [(job, pool.submit(job.fn, *job.args)) for job in todo]
            for i, key, future in futures:
                memo[key] = values[i] = future.result()
                store.put(key, values[i])
                state["computed"].add(key)
            return values

        paginate(rb, [ed for _, ed in editions], run, engine)
        for name, ed in editions:
            if name:
                state["done"] += 1
                progress(str(name.relative_to(out)), state["done"], total)
        epub_data = None
        if "epub" in formats:      # while the handouts are typeset
            layout = layout_edition.layout if layout_edition else None
            epub_key = cache_mod.digest("epub", book_key, layout)
            epub_data = store.get(epub_key)
            if epub_data is None:
                epub_data = _epub_job(rb, layout)
                store.put(epub_key, epub_data)
                state["computed"].add(epub_key)
        for job, future in state["handouts"] or []:
            job.value = future.result()
            store.put(job.key, job.value)
            state["done"] += 1
            progress(str(job.name.relative_to(out)), state["done"], total)

    refused = sorted({url for _, ed in editions for url in ed.layout.refused})
    if refused:
        raise BuildError([Diagnostic(str(opts.content), 0, f"refused to fetch {url}")
                          for url in refused])
    warnings = [str(d) for d in report.warnings]
    for name, ed in editions:
        store.put(plan_key(opts, ed), ed.plan)
        if not ed.settled:
            warnings.append(f"{opts.content}: warning: page numbers of the "
                            f"{'teacher' if ed.teacher else 'student'} edition did not settle "
                            f"after {ed.rounds} rounds; some cross-references may be a page out")
    results: dict[Path, bytes] = {}
    rendered = 0
    for name, ed in editions:
        if name:
            results[name] = ed.pdf
            rendered += ed.key in state["computed"]
    for job in handouts:
        results[job.name] = job.value
    rendered += len(todo)
    if epub_data is not None:
        rendered += epub_key in state["computed"]
        state["done"] += 1
        progress(f"{slug}.epub", state["done"], total)
        results[out / f"{slug}.epub"] = epub_data
    write_atomically(results)
    store.record(opts.output, inputs, results, warnings)
    return Result(outputs=sorted(results), warnings=warnings,
                  seconds=time.perf_counter() - started, rendered=rendered)


def write_atomically(files: dict[Path, bytes]) -> None:
    """Stage every file beside its target, then rename them all into place."""
    staged: list[tuple[Path, Path]] = []
    try:
        for target, data in files.items():
            target.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
            with os.fdopen(fd, "wb") as fh:
                fh.write(data)
                fh.flush()
                os.fsync(fh.fileno())
            os.chmod(tmp, 0o644)
            staged.append((Path(tmp), target))
    except BaseException:
        for tmp, _ in staged:
            tmp.unlink(missing_ok=True)
        raise
    for tmp, target in staged:
        os.replace(tmp, target)
