"""The PDF writer's entry (``write_editions``): editions typeset part by part, numbered
and joined.

Every body part (a chapter, an appendix) opens on a right-hand page, so where its lines
and pages break depends only on its own HTML, with one exception: the page numbers it
prints. Its folios follow from the page counts of the parts before it, and its
cross-references name the pages where their targets fell. The book's figures are
tabular, so what a layout depends on is only how many digits each number has. A part is
therefore laid out from its *shape* (``pdf.shape_of``: its numbers as zeros), and the
real numbers are written into the layout afterwards (``pdf.write_part``):

1. the shapes come from a plan: the last build's (kept in the cache), or an estimate
   from the size of each part when there is none;
2. each round lays out every part whose shape has not been laid out before (each a
   ``tasks.Task`` for the executor, which takes it from the cache where it can);
3. a new plan is read off the layouts (page counts and anchors); when it gives every part
   the shape it was laid out from, the rounds stop, which is usually after the first;
4. each part's PDF is written with its real numbers, in the worker that holds its
   layout; meanwhile the index and the front matter (whose contents list the pages) are
   laid out from their shapes, now exact, and numbered in the same way; each part is
   joined into the edition's tagged PDF (``splice.Joiner``) as soon as it comes in.
   An edition that is not drawn (the EPUB's, when its PDF is not wanted) stops at its
   layout: its front matter and index are laid out, not drawn (``sketch_layouts``).

After an edit to one chapter, the first round lays out that chapter alone; parts whose
numbers moved are typeset again from their unchanged shapes.
"""
from __future__ import annotations

import re
from collections import Counter
from concurrent.futures import Future, as_completed
from dataclasses import dataclass, field

from .cache import digest
from .errors import BuildError
from .model import Layout
from .resolve import RenderedBook
from .tasks import Executor, Task, gather
from .writers import pdf, splice

MAX_ROUNDS = 6
CHARS_PER_PAGE = 3500        # a first estimate of a part's pages: its text,
BLOCKS_PER_PAGE = 26         # and its paragraphs, list items, table cells... (on the
                             # book's 122 mm measure: the default guide's parts start
                             # within 0-4 pages of where they fall, so that a build
                             # without a cache mostly settles in one round)
WRITE_COST = 0.6             # drawing a laid-out part's PDF, against laying it out
INDEX, FRONT = "@index", "@front"   # beside the body parts in Edition.html and .results
ANSWERS = "@answers"        # the teacher edition's answer key, after the index
BLOCK = re.compile(r"<(p|li|h[1-6]|dt|dd|tr|figcaption|caption)[\s>]")

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
    layout: Layout | None = None
    output: str = ""                        # the PDF it is joined into, which a failure names
    # ``layout``, once known: it is, while the parts are still drawn, once the front
    # matter and the index are (the EPUB waits for it)
    laid_out: Future = field(default_factory=Future)
    drawn: bool = True                      # its PDF is wanted; else only its layout
    links: dict[str, tuple] = field(default_factory=dict)    # part -> the ids it links to
    shaped: dict[tuple, str] = field(default_factory=dict)   # its shapes, by their numbers
    memo: object = None         # the build's cache, which keeps its parts' typography


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


def _shapes(rb: RenderedBook, ed: Edition, plan: Plan, apparatus: tuple[str, ...] = ()
            ) -> dict[str, str]:
    """The HTML every body part is laid out from; with ``apparatus`` (some of INDEX,
    ANSWERS, FRONT), those parts' too."""
    pages = pdf.shape_of(numbers(plan))
    out = {part: _body_shape(ed, part, src, pages) for part, src in ed.sources.items()}
    if INDEX in apparatus and rb.index:
        out[INDEX] = pdf.paginate_html(pdf.index_source(rb, ed.teacher, ed.paper, pages,
                                                        numbers(plan), ed.memo), None,
                                       pages, ed.book_ids)
    if ANSWERS in apparatus and pdf.has_answer_key(rb, ed.teacher):
        out[ANSWERS] = pdf.paginate_html(pdf.answers_source(rb, ed.paper), None, pages,
                                         ed.book_ids)
    if FRONT in apparatus:
        out[FRONT] = pdf.paginate_html(pdf.front_source(rb, ed.teacher, ed.paper, pages,
                                                        ed.memo), None, pages, ed.book_ids)
    return out


def _body_shape(ed: Edition, part: str, src: str, pages: dict[str, str]) -> str:
    """A body part's shape: made again only when a page it links to has a number of
    another shape (each round of the page plan asks for every part's)."""
    targets = ed.links.get(part)
    if targets is None:
        targets = ed.links[part] = tuple(dict.fromkeys(re.findall(r'href="#([^"]+)"', src)))
    key = (part, tuple(pages.get(t) for t in targets))
    if key not in ed.shaped:
        ed.shaped[key] = pdf.paginate_html(src, None, pages, ed.book_ids)
    return ed.shaped[key]


@dataclass(frozen=True)
class Keys:
    """The cache keys of an edition's pieces: what they are made from, with the engine
    and everything a part may embed."""
    engine: str
    resources: str

    def __call__(self, kind: str, *what) -> str:
        return digest(self.engine, kind, *what, self.resources)


@dataclass(frozen=True)
class PartWrite:
    """One part of one edition, to be drawn with its real numbers."""
    edition: int             # its place in the editions
    part: str                # a body part's id, or INDEX, FRONT, ANSWERS
    html: str                # its shape
    hold: str                # its layout's key: the worker that holds the layout
    key: str                 # its PDF's key
    first: int | None        # its first page's number (None: the front matter's numerals)
    pages: dict[str, str]    # the numbers it prints


def write_editions(rb: RenderedBook, editions: list[Edition], executor: Executor,
                   engine: str, memo=None) -> None:
    """The PDF writer's entry: typeset, number and join every edition, each piece a
    task for ``executor``; fills each edition's ``joined``, ``layout`` (``laid_out``
    says when it is known) and ``plan``. ``memo`` (the build's cache) keeps the
    merged fonts of the joins and the parts' typographic quotes."""
    try:
        keys = Keys(engine, digest(rb.images_digest(), rb.figures))
        for ed in editions:
            ed.memo = memo
            read_sources(rb, ed)
        settle_plans(rb, editions, executor, keys)
        place_answer_key(rb, editions, executor, keys)
        shape_apparatus(rb, editions)
        sketch_layouts(rb, [ed for ed in editions if not ed.drawn], executor, keys)
        drawn = [ed for ed in editions if ed.drawn]
        draw_and_join(rb, drawn, part_writes(rb, drawn, keys), executor, keys, memo)
    except BaseException as exc:
        for ed in editions:
            if not ed.laid_out.done():
                ed.laid_out.set_exception(exc)
        raise


def read_sources(rb: RenderedBook, ed: Edition) -> None:
    """An edition's body parts' HTML, and every id it has (where links may lead)."""
    ed.sources = pdf.part_sources(rb, ed.teacher, ed.paper, ed.memo)
    ed.book_ids = pdf.anchor_ids([*ed.sources.values(),
                                  pdf.index_source(rb, ed.teacher, ed.paper, {}, memo=ed.memo),
                                  pdf.front_source(rb, ed.teacher, ed.paper, {}, ed.memo),
                                  *([pdf.answers_source(rb, ed.paper)]
                                    if pdf.has_answer_key(rb, ed.teacher) else [])])


def lay_out(rb: RenderedBook, eds: list[Edition], executor: Executor, keys: Keys) -> None:
    """Lay out every part whose current shape has no layout yet."""
    tasks, owners = [], []
    for ed in eds:
        for part, html in ed.html.items():
            if part not in ed.results:
                hold = keys("layout", html)
                tasks.append(Task(pdf.layout_part, (rb, html, hold), key=hold, tag=hold,
                                  cost=len(html), where=rb.source_of(part)))
                owners.append((ed, part))
    results = gather(executor.submit_all(tasks, "laying out {} part(s)"))
    for (ed, part), result in zip(owners, results):
        ed.results[part] = result


def settle_plans(rb: RenderedBook, editions: list[Edition], executor: Executor,
                 keys: Keys) -> None:
    """Lay the body parts out, round after round, until the page plan they give each
    edition is the one they were laid out from (at most ``MAX_ROUNDS``)."""
    for ed in editions:
        ed.html = _shapes(rb, ed, ed.plan or estimate_plan(ed))
    for _ in range(MAX_ROUNDS):
        pending = [ed for ed in editions if not ed.settled]
        if not pending:
            break
        lay_out(rb, pending, executor, keys)
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
        lay_out(rb, unsettled, executor, keys)
        for ed in unsettled:
            ed.plan = read_plan(list(ed.sources), ed.results)


def place_answer_key(rb: RenderedBook, editions: list[Edition], executor: Executor,
                     keys: Keys) -> None:
    """The answer key follows the index, so its first page is known once the index is
    laid out: the index of an edition that has one is laid out first."""
    keyed = [ed for ed in editions if pdf.has_answer_key(rb, ed.teacher)]
    for ed in keyed:
        ed.plan.answers = ed.plan.end
        if rb.index:
            ed.html[INDEX] = _shapes(rb, ed, ed.plan, (INDEX,))[INDEX]
    lay_out(rb, [ed for ed in keyed if INDEX in ed.html], executor, keys)
    for ed in keyed:
        if INDEX in ed.results:
            ed.plan.answers = ed.plan.end + len(pdf.joined_pages(ed.results[INDEX]))


def shape_apparatus(rb: RenderedBook, editions: list[Edition]) -> None:
    """The index, the answer key and the front matter print the body's pages, which are
    now known: their shapes, laid out (while the body parts are drawn) and numbered in
    one task."""
    for ed in editions:
        shapes = _shapes(rb, ed, ed.plan, (INDEX, ANSWERS, FRONT))
        if INDEX in shapes and shapes[INDEX] != ed.html.get(INDEX, shapes[INDEX]):
            ed.results.pop(INDEX, None)    # the answer key's page changed its digits
        ed.html.update({k: v for k, v in shapes.items() if k in (INDEX, FRONT, ANSWERS)})


def sketch_layouts(rb: RenderedBook, editions: list[Edition], executor: Executor,
                   keys: Keys) -> None:
    """The layouts of editions that are not drawn (the EPUB's page list, when no PDF of
    its edition is wanted): their front matter, index and answer key are laid out, not
    drawn, numbered and joined; or, where the cache has them drawn (a build of the PDFs
    before), taken from there."""
    if not editions:
        return
    tasks, owners = [], []
    for w in part_writes(rb, editions, keys):
        ed = editions[w.edition]
        if w.part in ed.results:
            continue
        where = rb.source_of(w.part)
        if executor.cached(w.key):
            tasks.append(Task(pdf.write_part, (rb, w.html, w.hold, w.first, w.pages, False),
                              key=w.key, where=where))
        else:
            tasks.append(Task(pdf.layout_part, (rb, w.html, w.hold), key=w.hold, tag=w.hold,
                              cost=len(w.html), where=where))
        owners.append((ed, w.part))
    for (ed, part), result in zip(owners, gather(executor.submit_all(
            tasks, "laying out {} part(s)"))):
        ed.results[part] = result
    publish_layouts(editions, [{k: ed.results[k] for k in (FRONT, INDEX, ANSWERS)
                                if k in ed.results} for ed in editions])


def part_writes(rb: RenderedBook, editions: list[Edition], keys: Keys) -> list[PartWrite]:
    """Each part's PDF with its numbers, now that the body's numbers are known: the body
    parts from 1, the index on from the body, the front matter in its own numerals."""
    writes = []
    for n, ed in enumerate(editions):
        real = numbers(ed.plan)
        for part, html in ed.html.items():
            first = ed.plan.end if part == INDEX else None if part == FRONT else \
                ed.plan.answers if part == ANSWERS else ed.plan.starts[part]
            pages = {t: real[t] for t in pdf.number_targets(html) if t in real}
            writes.append(PartWrite(n, part, html, keys("layout", html),
                                    keys("part", html, first, pages), first, pages))
    return writes


def write_tasks(rb: RenderedBook, editions: list[Edition], writes: list[PartWrite]
                ) -> list[Task]:
    """The tasks that draw the parts: a laid-out part in the worker that holds its
    layout; the index and the front matter, laid out in their task, anywhere. Editions
    may share a layout (a part with the same shape in both), numbered differently: the
    last PDF written from a layout lets it go."""
    holds = {w.key: w.hold for w in writes}
    users = Counter(holds.values())
    tasks = []
    for w in writes:
        if holds.pop(w.key, None):
            users[w.hold] -= 1
        laid_out = w.part not in (INDEX, FRONT, ANSWERS) or w.part in editions[w.edition].results
        args = (rb, w.html, w.hold, w.first, w.pages, users[w.hold] > 0)
        where = rb.source_of(w.part)
        tasks.append(Task(pdf.write_part, args, key=w.key, home=w.hold,
                          cost=WRITE_COST * len(w.html), where=where) if laid_out else
                     Task(pdf.write_part, args, key=w.key,
                          cost=(1 + WRITE_COST) * len(w.html), where=where))
    return tasks


def draw_and_join(rb: RenderedBook, editions: list[Edition], writes: list[PartWrite],
                  executor: Executor, keys: Keys, memo=None) -> None:
    """Draw every part and join each edition in this process as its parts come in (the
    front matter, the body, the index: ``splice.Joiner`` copies them in that order
    whatever order they come in), so that little is left to do when the last part is
    drawn. An edition whose parts all come from the cache may have its joined PDF there
    too: it is joined only if it does not. Once the front matter and the index are in
    (they are sent first), every edition's layout is known."""
    joiners = [splice.Joiner(len(ed.html)) for ed in editions]
    places = [{part: i for i, part in enumerate(
        [p for p in (FRONT, *ed.sources, INDEX, ANSWERS) if p in ed.html])}
        for ed in editions]          # (a book with no index has an answer key after the body)
    eager = [any(not executor.cached(w.key) for w in writes if w.edition == n)
             for n in range(len(editions))]
    apparatus: list[dict[str, pdf.PartLayout]] = [{} for _ in editions]
    futures = executor.submit_all(write_tasks(rb, editions, writes),
                                  "typesetting {} part(s)", last=True)
    # what each link leads to, by the target's id (read while the parts are drawn)
    page_n = str(rb.labels["page_n"])
    described = [{k: v for part in places[n] for k, v in pdf.link_descriptions(ed.html[part])}
                 for n, ed in enumerate(editions)]
    wanted: dict[Future, list[PartWrite]] = {}     # a part the same in two editions
    for w, future in zip(writes, futures):          # is drawn once
        wanted.setdefault(future, []).append(w)
    failed: list[BuildError] = []
    for future in as_completed(wanted):
        try:
            result = future.result()
        except BuildError as exc:     # every part's failure, not only the first's
            failed.append(exc)
            continue
        if failed:
            continue
        for w in wanted[future]:
            ed = editions[w.edition]
            # the last part is not padded: the index, or the answer key after it
            last = w.part == ANSWERS or (w.part == INDEX and ANSWERS not in ed.html)
            joiners[w.edition].add(places[w.edition][w.part],
                                   splice.PartPDF(result.pdf, pad_to_even=not last,
                                                  prepared=True))
            if eager[w.edition]:
                joiners[w.edition].advance()
            if w.part in (FRONT, INDEX, ANSWERS):
                apparatus[w.edition][w.part] = result
                if all(len(got) == len({FRONT, INDEX, ANSWERS} & set(e.html))
                       for got, e in zip(apparatus, editions)):
                    publish_layouts(editions, apparatus)
    if failed:
        raise BuildError.joined(failed)
    for w, future in zip(writes, futures):
        editions[w.edition].results[w.part] = future.result()
    for n, ed in enumerate(editions):
        ed.key = digest(keys.engine, "join", [ed.results[p].pdf for p in places[n]],
                        sorted(described[n].items()), page_n)
    joins = [Task(joiner.finish, (len(pdf.joined_pages(ed.results[FRONT])), True, memo,
                                  keys.engine, executor, described[n], page_n),
                  key=ed.key, local=True, where=ed.output or None)
             for n, (ed, joiner) in enumerate(zip(editions, joiners))]
    for ed, data in zip(editions, gather(executor.submit_all(joins, "joining {} edition(s)"))):
        ed.joined = data


def publish_layouts(editions: list[Edition], apparatus: list[dict[str, pdf.PartLayout]]
                    ) -> None:
    """Every edition's layout, now that its front matter and index are laid out."""
    for got, ed in zip(apparatus, editions):
        ed.layout = pdf.edition_layout(got[FRONT], [ed.results[p] for p in ed.sources],
                                       got.get(INDEX), got.get(ANSWERS))
    for ed in editions:
        if not ed.laid_out.done():
            ed.laid_out.set_result(ed.layout)

