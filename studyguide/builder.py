"""The build: content folder in, editions out.

``load`` → ``resolve`` → writers, run for every output the book declares. Renders that
do not depend on each other (editions, handouts) run in parallel processes; the EPUB
waits for the student edition, whose layout gives it the print page numbers. Every
output is written under a temporary name and renamed into place only when the whole
build has succeeded, so a failed or interrupted build leaves the last good edition.
"""
from __future__ import annotations

import logging
import os
import tempfile
import time
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

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


@dataclass
class Result:
    outputs: list[Path] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    seconds: float = 0.0


Progress = Callable[[str], None]


# -- work done in worker processes -------------------------------------------------
def _edition_job(rb: RenderedBook, teacher: bool, paper: str):
    from .writers import pdf
    return pdf.render_edition(rb, teacher, paper)


def _handout_job(rb: RenderedBook, index: int, teacher: bool, paper: str) -> bytes:
    from .writers import pdf
    docs = rb.docs + rb.back
    return pdf.render_handout(rb, docs[index], teacher, paper)


def _epub_job(rb: RenderedBook, layout) -> bytes:
    from .writers import epub
    return epub.write_epub(rb, layout)


def output_names(rb: RenderedBook, opts: Options) -> dict:
    slug = slugify(rb.book.meta.title)[:60]
    return {"slug": slug}


def prepare(opts: Options) -> tuple[RenderedBook, Reporter]:
    report = Reporter(opts.content)
    book = load_book(opts.content, report)
    if book is None:
        report.check()
        raise BuildError(report.diagnostics)
    rb = render_book(book, report)
    report.check(strict=opts.strict)
    return rb, report


def build(opts: Options, progress: Progress = lambda msg: None) -> Result:
    started = time.perf_counter()
    progress("reading content")
    rb, report = prepare(opts)
    meta = rb.book.meta
    formats = [f for f in opts.formats if f in meta.outputs] or list(opts.formats)
    papers = list(opts.papers) or [meta.paper]
    slug = slugify(meta.title)[:60]
    jobs = opts.jobs or os.cpu_count() or 1

    planned: dict[Path, Future] = {}
    out = opts.output
    with ProcessPoolExecutor(max_workers=jobs) as pool:
        student_layout: Future | None = None
        if "pdf" in formats or "epub" in formats:
            for paper in papers:
                for edition in opts.editions:
                    if "pdf" not in formats and not (edition == "student" and paper == papers[0]):
                        continue
                    fut = pool.submit(_edition_job, rb, edition == "teacher", paper)
                    name = out / f"{slug}-{edition}-{paper.lower()}.pdf"
                    if "pdf" in formats:
                        planned[name] = fut
                    if edition == "student" and paper == papers[0]:
                        student_layout = fut
            if student_layout is None and "epub" in formats:
                student_layout = pool.submit(_edition_job, rb, False, papers[0])
        if "pdf" in formats and opts.handouts:
            docs = rb.docs + rb.back
            for paper in papers:
                for i, doc in enumerate(docs):
                    for edition in opts.editions:
                        name = (out / "handouts" /
                                f"{doc.id}-{slugify(doc.title)[:40]}-{edition}-{paper.lower()}.pdf")
                        planned[name] = pool.submit(_handout_job, rb, i, edition == "teacher",
                                                    paper)
        results: dict[Path, bytes] = {}
        total = len(planned) + (1 if "epub" in formats else 0)
        done = 0
        refused: set[str] = set()
        for name, fut in planned.items():
            value = fut.result()
            if isinstance(value, tuple):
                refused.update(value[1].refused)
            results[name] = value[0] if isinstance(value, tuple) else value
            done += 1
            progress(f"[{done}/{total}] {name.relative_to(out)}")
        if "epub" in formats:
            layout = student_layout.result()[1] if student_layout else None
            results[out / f"{slug}.epub"] = pool.submit(_epub_job, rb, layout).result()
            done += 1
            progress(f"[{done}/{total}] {slug}.epub")
    if refused:
        raise BuildError([Diagnostic(str(opts.content), 0, f"refused to fetch {url}")
                          for url in sorted(refused)])
    write_atomically(results)
    return Result(outputs=sorted(results), warnings=[str(d) for d in report.warnings],
                  seconds=time.perf_counter() - started)


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
