"""Page numbers for editions typeset part by part.

Every body part (a chapter, an appendix) opens on a right-hand page, so where its lines
and pages break depends only on its own HTML, with one exception: the page numbers it
prints. Its folios follow from the page counts of the parts before it, and its
cross-references name the pages where their targets fell. Those numbers are written into
the part's HTML as plain text (``pdf.paginate_html``), from a *plan*:

1. each round typesets every part whose HTML, numbered from the current plan, has not
   been typeset before (the caller's ``run`` looks each one up in the cache first);
2. a new plan is read off the results (page counts and anchors);
3. when the new plan gives every part the HTML it was typeset from, the numbers are
   right and the rounds stop.

The plan of the last build starts the next one (the caller keeps it in the cache), so
after an edit to one chapter the first round lays out that chapter alone and, unless
its page count changed, settles at once. With no previous plan the first round only
counts pages (no PDF is written) and the second typesets with the right numbers.

The index and the front matter (whose contents list names the pages) are typeset once
the body has settled; the parts are then joined into one tagged PDF.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable

from .cache import digest
from .resolve import RenderedBook
from .writers import pdf

MAX_ROUNDS = 6

Task = tuple[str, Callable, tuple]          # cache key, function, arguments
Run = Callable[..., list]                   # run(tasks, label): in parallel, results in order


@dataclass
class Plan:
    starts: dict[str, int] = field(default_factory=dict)    # part id -> first page
    pages: dict[str, str] = field(default_factory=dict)     # anchor -> printed page
    end: int = 1                                            # first page after the body


@dataclass
class Edition:
    """One edition (student or teacher, on one paper size) being paginated."""
    teacher: bool
    paper: str
    plan: Plan | None = None               # None: nothing known yet
    sources: dict[str, str] = field(default_factory=dict)
    book_ids: set[str] = field(default_factory=set)
    html: dict[str, str] = field(default_factory=dict)
    results: dict[str, pdf.PartLayout] = field(default_factory=dict)
    settled: bool = False
    rounds: int = 0
    pdf: bytes = b""
    key: str = ""                           # cache key of the joined PDF
    layout: pdf.Layout | None = None


def read_plan(order: list[str], results: dict[str, pdf.PartLayout]) -> Plan:
    plan = Plan()
    for part, (first, pages) in zip(order, pdf.number_pages([results[p] for p in order])):
        plan.starts[part] = first
        for i, names in enumerate(pages):
            for name in names:
                plan.pages.setdefault(name, str(first + i))
        plan.end = first + len(pages)
    return plan


def _numbered(ed: Edition, plan: Plan) -> dict[str, str]:
    return {part: pdf.paginate_html(src, plan.starts.get(part, 1), plan.pages, ed.book_ids)
            for part, src in ed.sources.items()}


def paginate(rb: RenderedBook, editions: list[Edition], run: Run, engine: str) -> None:
    """Typeset, number and join every edition; fills ``pdf``, ``layout`` and ``plan``."""
    resources = digest(rb.images_digest(), rb.figures)   # what parts may embed
    for ed in editions:
        ed.sources = pdf.part_sources(rb, ed.teacher, ed.paper)
        ed.book_ids = pdf.anchor_ids([*ed.sources.values(),
                                      pdf.index_source(rb, ed.teacher, ed.paper, {}),
                                      pdf.front_source(rb, ed.teacher, ed.paper, {})])

    def key(kind: str, html: str, write: bool) -> str:
        return digest(engine, kind, html, write, resources)

    for _ in range(MAX_ROUNDS):
        pending = [ed for ed in editions if not ed.settled]
        if not pending:
            break
        tasks, owners = [], []
        for ed in pending:
            write = ed.plan is not None
            if not ed.html:
                ed.html = _numbered(ed, ed.plan or Plan())
            for part, html in ed.html.items():
                tasks.append((key("part", html, write), pdf.typeset, (rb, html, write)))
                owners.append((ed, part))
        for (ed, part), result in zip(owners, run(tasks, "typesetting {} part(s)")):
            ed.results[part] = result
        for ed in pending:
            ed.rounds += 1
            wrote = ed.plan is not None
            ed.plan = read_plan(list(ed.sources), ed.results)
            numbered = _numbered(ed, ed.plan)
            ed.settled = wrote and numbered == ed.html
            if not ed.settled:
                ed.html = numbered          # what the next round typesets
    # Parts typeset without PDFs (a plan that never settled past the first round).
    missing = [(ed, part) for ed in editions for part, r in ed.results.items() if r.pdf is None]
    if missing:
        results = run([(key("part", ed.html[part], True), pdf.typeset,
                        (rb, ed.html[part], True)) for ed, part in missing],
                      "typesetting {} part(s)")
        for (ed, part), result in zip(missing, results):
            ed.results[part] = result

    # The index and the front matter, now that the body's numbers are known.
    tasks = []
    for ed in editions:
        pages = dict(ed.plan.pages)
        if rb.index:
            pages.setdefault("index", str(ed.plan.end))
            index = pdf.paginate_html(pdf.index_source(rb, ed.teacher, ed.paper, pages),
                                      ed.plan.end, pages, ed.book_ids)
            tasks.append((key("index", index, True), pdf.typeset, (rb, index, True)))
        front = pdf.paginate_html(pdf.front_source(rb, ed.teacher, ed.paper, pages), None,
                                  pages, ed.book_ids)
        tasks.append((key("front", front, True), pdf.typeset, (rb, front, True)))
    results = iter(run(tasks, "typesetting {} index and front matter part(s)"))
    finished = []
    for ed in editions:
        index = next(results) if rb.index else None
        front = next(results)
        body = [ed.results[part] for part in ed.sources]
        ed.layout = pdf.edition_layout(front, body, index)
        finished.append((front, body, index))
    for ed, (f, b, i) in zip(editions, finished):
        ed.key = digest(engine, "join", [p.pdf for p in (f, *b, *([i] if i else []))])
    joins = run([(ed.key, pdf.join_edition, parts) for ed, parts in zip(editions, finished)],
                "joining {} edition(s)")
    for ed, data in zip(editions, joins):
        ed.pdf = data
