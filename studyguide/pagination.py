"""Page numbers for editions typeset part by part.

Every body part (a chapter, an appendix) opens on a right-hand page, so where its lines
and pages break depends only on its own HTML, with one exception: the page numbers it
prints. Its folios follow from the page counts of the parts before it, and its
cross-references name the pages where their targets fell. The book's figures are
tabular, so what a layout depends on is only how many digits each number has. A part is
therefore laid out from its *shape* (``pdf.shape_of``: its numbers as zeros), and the
real numbers are written into the layout afterwards (``pdf.write_part``):

1. the shapes come from a plan: the last build's (kept in the cache), or an estimate
   from the size of each part when there is none;
2. each round lays out every part whose shape has not been laid out before (the
   caller's ``run`` looks each one up in the cache first);
3. a new plan is read off the layouts (page counts and anchors); when it gives every part
   the shape it was laid out from, the rounds stop, which is usually after the first;
4. each part's PDF is written with its real numbers, in the worker that holds its
   layout; meanwhile the index and the front matter (whose contents list the pages) are
   laid out from their shapes, now exact, and numbered in the same way; each part is
   joined into the edition's tagged PDF (``splice.Joiner``) as soon as it comes in.

After an edit to one chapter, the first round lays out that chapter alone; parts whose
numbers moved are typeset again from their unchanged shapes.
"""
from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field
from typing import Callable, Protocol

from .cache import digest
from .resolve import RenderedBook
from .writers import pdf, splice

MAX_ROUNDS = 6
CHARS_PER_PAGE = 4800        # a first estimate of a part's pages: its text,
BLOCKS_PER_PAGE = 36         # and its paragraphs, list items, table cells...
WRITE_COST = 0.6             # drawing a laid-out part's PDF, against laying it out
INDEX, FRONT = "@index", "@front"   # beside the body parts in Edition.html and .results
ANSWERS = "@answers"        # the teacher edition's answer key, after the index
BLOCK = re.compile(r"<(p|li|h[1-6]|dt|dd|tr|figcaption|caption)[\s>]")

Task = tuple       # cache key, function, arguments[, options: Pool.submit's, or local=True]


class TaskRunner(Protocol):
    """Runs tasks in parallel (``builder.Scheduler``), taking what it can from the cache."""

    def __call__(self, tasks: list[Task], label: str,
                 each: Callable[[int, object], None] | None = None, last: bool = False
                 ) -> list:
        """The tasks' results in order; ``each`` is given every result (its task's
        number and value) as soon as it is known. ``last``: the joins wait for this
        batch, so other work (handouts) is queued behind it."""

    def cached(self, key: str) -> bool:
        """Whether a task's result would come from the cache."""

    def spread(self, jobs: list[tuple[Callable, tuple, float]]) -> list:
        """Results of (function, arguments, cost) jobs, in order: in idle workers, if any."""


@dataclass
class Plan:
    starts: dict[str, int] = field(default_factory=dict)    # part id -> first page
    pages: dict[str, str] = field(default_factory=dict)     # anchor -> printed page
    end: int = 1                                            # first page after the body
    answers: int = 0          # first page of the answer key (after the index), if any


@dataclass
class Edition:
    """One edition (student or teacher, on one paper size) being paginated."""
    teacher: bool
    paper: str
    plan: Plan | None = None               # None: nothing known yet
    sources: dict[str, str] = field(default_factory=dict)
    book_ids: set[str] = field(default_factory=set)
    html: dict[str, str] = field(default_factory=dict)      # part id -> its shape's HTML
    results: dict[str, pdf.PartLayout] = field(default_factory=dict)
    settled: bool = False
    rounds: int = 0
    joined: bytes = b""                     # the edition's PDF, its parts joined
    key: str = ""                           # cache key of the joined PDF
    layout: pdf.Layout | None = None
    output: str = ""                        # the PDF it is joined into, which a failure names


def read_plan(order: list[str], results: dict[str, pdf.PartLayout]) -> Plan:
    plan = Plan()
    for part, (first, pages) in zip(order, pdf.number_pages([results[p] for p in order])):
        plan.starts[part] = first
        for i, names in enumerate(pages):
            for name in names:
                plan.pages.setdefault(name, str(first + i))
        plan.end = first + len(pages)
    return plan


def estimate_plan(ed: Edition) -> Plan:
    """A first guess at the plan, from the text and the paragraphs of each part. Only
    the digit counts matter, so it is right unless a number sits near 10, 100 or 1,000."""
    plan, number = Plan(), 1
    for part, src in ed.sources.items():
        body = src[src.find("<body"):]
        text, blocks, found = 0, 0, []
        for piece in re.split(r"(<[^>]+>)", body):
            if not piece.startswith("<"):
                text += len(" ".join(piece.split()))
            elif BLOCK.match(piece):
                blocks += 1
            ident = re.search(r'\sid="([^"]+)"', piece) if piece.startswith("<") else None
            if ident:
                found.append((ident.group(1), text))
        count = max(1, round(text / CHARS_PER_PAGE + blocks / BLOCKS_PER_PAGE))
        plan.starts[part] = number
        for name, at in found:
            plan.pages.setdefault(name, str(number + count * at // max(text, 1)))
        number += count + count % 2
    plan.end = number
    return plan


def numbers(plan: Plan) -> dict[str, str]:
    """Every page number an edition prints: its anchors' pages, the index's and the
    answer key's."""
    return {**plan.pages, "index": str(plan.end),
            **({"answer-key": str(plan.answers)} if plan.answers else {})}


def _shapes(rb: RenderedBook, ed: Edition, plan: Plan, apparatus: bool = False
            ) -> dict[str, str]:
    """The HTML every body part is laid out from; with ``apparatus``, the index's and the
    front matter's too."""
    pages = pdf.shape_of(numbers(plan))
    out = {part: pdf.paginate_html(src, None, pages, ed.book_ids)
           for part, src in ed.sources.items()}
    if not apparatus:
        return out
    if rb.index:
        out[INDEX] = pdf.paginate_html(pdf.index_source(rb, ed.teacher, ed.paper, pages,
                                                        numbers(plan)), None,
                                       pages, ed.book_ids)
    if pdf.has_answer_key(rb, ed.teacher):
        out[ANSWERS] = pdf.paginate_html(pdf.answers_source(rb, ed.paper), None, pages,
                                         ed.book_ids)
    out[FRONT] = pdf.paginate_html(pdf.front_source(rb, ed.teacher, ed.paper, pages), None,
                                   pages, ed.book_ids)
    return out


def paginate(rb: RenderedBook, editions: list[Edition], run: TaskRunner, engine: str,
             meanwhile: Callable[[], None] | None = None, font_memo=None) -> None:
    """Typeset, number and join every edition; fills ``joined``, ``layout`` and ``plan``.
    ``meanwhile`` runs as soon as every edition's ``layout`` is known, while the parts
    are still being drawn; ``font_memo`` (the build's cache) keeps the merged fonts of
    the joins."""
    resources = digest(rb.images_digest(), rb.figures)   # what parts may embed
    for ed in editions:
        ed.sources = pdf.part_sources(rb, ed.teacher, ed.paper)
        ed.book_ids = pdf.anchor_ids([*ed.sources.values(),
                                      pdf.index_source(rb, ed.teacher, ed.paper, {}),
                                      pdf.front_source(rb, ed.teacher, ed.paper, {}),
                                      *([pdf.answers_source(rb, ed.paper)]
                                        if pdf.has_answer_key(rb, ed.teacher) else [])])

    def key(kind: str, *what) -> str:
        return digest(engine, kind, *what, resources)

    def lay_out(eds: list[Edition]) -> None:
        """Lay out every part whose current shape has no layout yet."""
        tasks, owners = [], []
        for ed in eds:
            for part, html in ed.html.items():
                if part not in ed.results:
                    hold = key("layout", html)
                    tasks.append((hold, pdf.layout_part, (rb, html, hold),
                                  {"tag": hold, "cost": len(html),
                                   "where": rb.source_of(part)}))
                    owners.append((ed, part))
        for (ed, part), result in zip(owners, run(tasks, "laying out {} part(s)")):
            ed.results[part] = result

    for ed in editions:
        ed.html = _shapes(rb, ed, ed.plan or estimate_plan(ed))
    for _ in range(MAX_ROUNDS):
        pending = [ed for ed in editions if not ed.settled]
        if not pending:
            break
        lay_out(pending)
        for ed in pending:
            ed.rounds += 1
            ed.plan = read_plan(list(ed.sources), ed.results)
            shapes = _shapes(rb, ed, ed.plan)
            ed.settled = shapes == ed.html
            for part, html in shapes.items():
                if html != ed.html[part]:
                    del ed.results[part]        # laid out again in the next round
            ed.html = shapes
    unsettled = [ed for ed in editions if not ed.settled]
    if unsettled:                 # the last shapes, laid out as they are
        lay_out(unsettled)
        for ed in unsettled:
            ed.plan = read_plan(list(ed.sources), ed.results)
    # The answer key follows the index, so its first page is known once the index is
    # laid out: the index of an edition that has one is laid out first.
    keyed = [ed for ed in editions if pdf.has_answer_key(rb, ed.teacher)]
    for ed in keyed:
        ed.plan.answers = ed.plan.end
        if rb.index:
            ed.html[INDEX] = _shapes(rb, ed, ed.plan, True)[INDEX]
    lay_out([ed for ed in keyed if INDEX in ed.html])
    for ed in keyed:
        if INDEX in ed.results:
            ed.plan.answers = ed.plan.end + len(pdf.joined_pages(ed.results[INDEX]))
    # The index, the answer key and the front matter print the body's pages, which are
    # now known: their shapes are laid out (while the body parts are written) and
    # numbered in one task.
    for ed in editions:
        shapes = _shapes(rb, ed, ed.plan, True)
        if INDEX in shapes and shapes[INDEX] != ed.html.get(INDEX, shapes[INDEX]):
            ed.results.pop(INDEX, None)    # the answer key's page changed its digits
        ed.html.update({k: v for k, v in shapes.items() if k in (INDEX, FRONT, ANSWERS)})

    # Each part's PDF with its numbers, now that the body's numbers are known: the body
    # parts from 1, the index on from the body, the front matter in its own numerals.
    parts = []          # (edition's number, part, PDF key, layout key, write_part's arguments)
    for n, ed in enumerate(editions):
        real = numbers(ed.plan)
        for part, html in ed.html.items():
            first = ed.plan.end if part == INDEX else None if part == FRONT else \
                ed.plan.answers if part == ANSWERS else ed.plan.starts[part]
            pages = {t: real[t] for t in pdf.number_targets(html) if t in real}
            hold = key("layout", html)
            parts.append((n, part, key("part", html, first, pages), hold,
                          (rb, html, hold, first, pages)))
    # Editions may share a layout (a part with the same shape in both), numbered
    # differently: the last PDF written from a layout lets it go.
    writes = {write: hold for _, _, write, hold, _ in parts}
    users = Counter(writes.values())
    tasks: list[Task] = []
    for n, part, write, hold, args in parts:
        if writes.pop(write, None):
            users[hold] -= 1
        # the index and the front matter are laid out in their write task, anywhere
        laid_out = part not in (INDEX, FRONT, ANSWERS) or part in editions[n].results
        where = rb.source_of(part)
        tasks.append((write, pdf.write_part, (*args, users[hold] > 0),
                      {"home": hold, "cost": WRITE_COST * len(args[1]), "where": where}
                      if laid_out else
                      {"cost": (1 + WRITE_COST) * len(args[1]), "where": where}))

    # Each edition is joined in this process as its parts come in (the front matter,
    # the body, the index: ``splice.Joiner`` copies them in that order whatever order
    # they come in), so that little is left to do when the last part is written. An
    # edition whose parts all come from the cache may have its joined PDF there too:
    # it is joined only if it does not.
    joiners = [splice.Joiner(len(ed.html)) for ed in editions]
    places = [{part: i for i, part in enumerate([FRONT, *ed.sources, INDEX, ANSWERS])
               if part in ed.html} for ed in editions]
    eager = [any(not run.cached(write) for m, _, write, _, _ in parts if m == n)
             for n in range(len(editions))]

    # Once the front matter and the index are in (they are sent first), every edition's
    # layout is known: ``meanwhile`` (the EPUB) can start beside the parts still drawn.
    apparatus: list[dict[str, pdf.PartLayout]] = [{} for _ in editions]
    started = False

    def arrived(i: int, result: pdf.PartLayout) -> None:
        nonlocal started
        n, part = parts[i][:2]
        # the last part is not padded: the index, or the answer key after it
        last = part == ANSWERS or (part == INDEX and ANSWERS not in editions[n].html)
        joiners[n].add(places[n][part], splice.PartPDF(result.pdf, pad_to_even=not last))
        if eager[n]:
            joiners[n].advance()
        if part in (FRONT, INDEX, ANSWERS):
            apparatus[n][part] = result
            if all(len(got) == len({FRONT, INDEX, ANSWERS} & set(ed.html))
                   for got, ed in zip(apparatus, editions)):
                for got, ed in zip(apparatus, editions):
                    ed.layout = pdf.edition_layout(
                        got[FRONT], [ed.results[p] for p in ed.sources], got.get(INDEX),
                        got.get(ANSWERS))
                started = True
                if meanwhile is not None:
                    meanwhile()

    results = iter(run(tasks, "typesetting {} part(s)", each=arrived, last=True))
    if not started and meanwhile is not None:
        meanwhile()
    for n, ed in enumerate(editions):
        for part in ed.html:
            ed.results[part] = next(results)
        ed.key = digest(engine, "join", [ed.results[p].pdf for p in places[n]])
    joins = run([(ed.key, joiner.finish,
                  (len(pdf.joined_pages(ed.results[FRONT])), True, font_memo, engine,
                   run.spread), {"local": True, "where": ed.output or None})
                 for ed, joiner in zip(editions, joiners)],
                "joining {} edition(s)")
    for ed, data in zip(editions, joins):
        ed.joined = data
