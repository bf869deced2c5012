"""Resolve: the Book, rendered once into HTML that both writers share.

Converts every Markdown string, formats the citations in one citeproc run, numbers
chapters, sections, tables and figures, fills cross-references, links glossary terms
at their first use in each chapter, and gathers the index. The result, a
:class:`RenderedBook`, holds HTML fragments; the PDF and EPUB writers only arrange them.
"""
from __future__ import annotations

import bisect
import copy
import difflib
import functools
import html
import os
import re
import string
import threading
import unicodedata
from dataclasses import dataclass, field, fields
from pathlib import Path
from urllib.parse import quote, unquote

from lxml import etree
from lxml import html as lxml_html

from . import figures, fonts, images, math, nobreak, readers, sanitise
from .cache import Memo, digest
from .citations import (PART_TOKEN, CitationSet, citations_as_notes, format_citations,
                        names_in_full, reading_order)
from .errors import Reporter, shown
from .labels import abbreviations, defaults as labels_defaults, fill
from .labels import language_direction, standing_alone, titled
from .loader import nearest_file, slugify
from .mdext import (TITLE_BACKTICK, TITLE_DOLLAR, code_lines, code_spans, reference_label,
                    typed_tables)
from .markdown import (TOKEN_RE, Registry, convert_each, convert_inline, example_lists,
                       double_quotes, one_line_text, plain_text, quotes_in_use,
                       rewrite_blocks, tokenize_citations, use_quotes)
from .model import Book, Chapter, SpineEntry, Table, at_line
from .preflight import citation_line, formula_line
from .readers import line_of
from .sanitise import to_html
from .wordmatch import DOUBLE_QUOTE, alternation, straight_quotes, word_end

PAGE_BREAK_ID = "-newpage-"
BIB_TOKEN = re.compile(r"zzbib(\d+)zz")      # a notes style's further reading (its entry)
BLOCKS = ("p", "li", "h2", "h3", "h4", "blockquote", "table", "figure", "aside", "dt", "dd")
# running text, for the glossary and the index: a row's heading cell is a cell, a
# column's (in the table's head) is not; a line block (verse, ``GLOSS_SCOPE_CLASSES``) is
GLOSS_SCOPE = {"p", "li", "td", "th", "dd"}
GLOSS_SCOPE_CLASSES = {"line-block"}
GLOSS_SKIP = {"a", "code", "h1", "h2", "h3", "h4", "figcaption", "sup", "span", "abbr", "cite",
              "math", "thead"}
# How deep the elements of a text may nest (the typesetter lays nested boxes out
# recursively: about 130 nested block quotes exhaust Python's stack).
MAX_NESTING = 64
DANGEROUS = ("script", "iframe", "object", "embed", "form", "link", "meta", "base", "style",
             "video", "audio", "source", "frame", "frameset", "applet")


# the elements a sentence cannot run on out of
_SENTENCE_BLOCKS = {"p", "li", "td", "th", "dd", "dt", "caption", "figcaption", "blockquote",
                    "h1", "h2", "h3", "h4", "h5", "h6", "div", "section", "aside", "body"}


def _opens_sentence(el, abbreviations: re.Pattern | None = None) -> bool:
    """Whether an inline element stands at the start of a sentence: first in its block,
    or after a full stop, a question or exclamation mark (and any closing quote or
    bracket); not after the full stop of one of ``abbreviations`` ("zob.", "cf.")."""
    block = next((e for e in el.iterancestors() if e.tag in _SENTENCE_BLOCKS), None)
    before = []
    for text in reversed(el.xpath("preceding::text()")):
        owner = text.getparent()
        inside = block is None or (owner is block and not text.is_tail) or \
            any(e is block for e in owner.iterancestors())
        if not inside:
            break
        before.append(str(text))
        if len("".join(before).strip()) >= 24:         # enough for an abbreviation
            break
    text = "".join(reversed(before))
    if not text.strip():
        return True
    end = re.search(r"([.!?…])[\"'”’»)\]\s\u00a0\u202f]*$", text)
    if end is None:
        return False
    return end.group(1) != "." or abbreviations is None or not any(
        m.end() == end.end(1) for m in abbreviations.finditer(text))


@dataclass
class Target:
    doc: str
    label: str      # "Chapter 3", "Table 3.1", "Section 3.2" …
    title: str = ""
    kind: str = ""


@dataclass
class RenderedTable:
    id: str
    label: str
    html: str


@dataclass
class RenderedDoc:
    id: str
    kind: str                     # chapter, back, front
    number: int | None
    title: str
    title_html: str
    path: Path
    summary_html: str = ""
    objectives_html: list[str] = field(default_factory=list)
    key_terms: list[tuple[str, str]] = field(default_factory=list)
    questions: list[dict] = field(default_factory=list)
    body_html: str = ""
    epigraph_html: str = ""       # an epigraph the text opens with: under the title
    sections: list[dict] = field(default_factory=list)
    label: str = ""               # "Chapter 3" in the book's language; "" if unnumbered
    short_title: str = ""         # running heads; the title if the author gave none
    key_points_html: list[str] = field(default_factory=list)
    further_reading: list[dict] = field(default_factory=list)   # {cite, note}: HTML


@dataclass
class RenderedBook:
    book: Book
    docs: list[RenderedDoc]
    front: list[RenderedDoc]
    back: list[RenderedDoc]
    master_table: str = ""
    master_lead: str = ""         # the paragraph under its title (Markdown, as HTML)
    timeline: list[dict] = field(default_factory=list)
    people: list[dict] = field(default_factory=list)
    glossary: list[dict] = field(default_factory=list)
    bibliography: list[dict] = field(default_factory=list)
    index: list[dict] = field(default_factory=list)
    figures: dict[str, str] = field(default_factory=dict)
    images: dict[str, Path] = field(default_factory=dict)
    math: dict[str, str] = field(default_factory=dict)     # SVG of each formula, for print
    figure_alts: dict[str, str] = field(default_factory=dict)   # generated figures' alt text
    targets: dict[str, Target] = field(default_factory=dict)
    id_lines: dict[str, tuple[Path, int]] = field(default_factory=dict)   # id -> its source
    mark_schemes: dict[str, dict] = field(default_factory=dict)   # id -> title, marks, levels
    spine: list[SpineEntry] = field(default_factory=list)   # reading order (``book_spine``)

    @property
    def labels(self) -> dict:
        """The book's interface strings (``labels``)."""
        return self.book.meta.labels

    def body_parts(self) -> list[SpineEntry]:
        """The print edition's body parts in reading order; each opens on a right-hand
        page and is typeset on its own."""
        return [e for e in self.spine if e.part]

    def contents(self, teacher: bool = False) -> list[dict]:
        """The contents list of an edition (the EPUB's is the student edition's)."""
        return [e.contents_entry for e in self.spine if teacher or not e.teacher]

    def source_of(self, part: str) -> Path:
        """The book's file a part is made from (a spine entry's id; anything else, such
        as the front matter, is made from book.yaml), for a failure to name."""
        return next((e.source for e in self.spine if e.id == part),
                    self.book.root / "book.yaml")

    def images_digest(self) -> list[tuple[str, str]]:
        """Content hashes of the image and font files the book embeds (for cache keys)."""
        import hashlib
        files = {**self.images, **{f.rel: f.path for f in self.book.fonts}}
        fonts_rel = {f.rel for f in self.book.fonts}
        return [(rel, _confined_digest(path, self.book.root, "font" if rel in fonts_rel
                                       else "image"))
                for rel, path in sorted(files.items())]


def _author_date(style) -> bool:
    """Whether a CSL style cites by author and date (its info's citation-format)."""
    m = re.search(rb'citation-format="([^"]+)"', style.xml)
    return m is not None and m.group(1) == b"author-date"


def _confined_digest(path: Path, root: Path, kind: str) -> str:
    """The SHA-256 of a book's file read through the sandbox; of why it refuses it, if it
    does (the writers, reading it again, refuse it too)."""
    import hashlib
    try:
        return hashlib.sha256(readers.read_confined(path, [root], kind)).hexdigest()
    except readers.Refused as exc:
        return "refused: " + str(exc)


@functools.lru_cache(maxsize=32)
def _forms_pattern(forms: frozenset[str]) -> re.Pattern:
    """Any of ``forms`` as a whole word, the longest where two start at the same place;
    a straight apostrophe in a form also matches a curly one, and a space any run of
    white space (a line break in the Markdown, a no-break space). Kept: a book's forms
    are the same for each of its documents."""
    return re.compile(r"(?<!" + word_end() + r")(?<!-)(" +
                      alternation(forms, "['\u2019]", r"\s+", DOUBLE_QUOTE) + r")(?!" +
                      word_end() + "|-)")


def form_key(text: str) -> str:
    """A form of words as ``first_uses`` looks it up: straight apostrophes and double
    quotes (the text's are typographic: “Old Guard”), single spaces."""
    return " ".join(straight_quotes(text).replace("\u2019", "'").split())


HELD_TOKEN = "zzheld"        # a citation's token in an attribute, not yet filled in


def text_direction(text: str) -> str:
    """The direction of a text's first strong character, as HTML's ``dir=auto`` finds
    it ("" for a text without one: digits, punctuation)."""
    for ch in text:
        kind = unicodedata.bidirectional(ch)
        if kind == "L":
            return "ltr"
        if kind in ("R", "AL"):
            return "rtl"
    return ""


def _other_direction(language: str | None, book: str, text: str = "") -> str:
    """A language's direction where it is not the book's ("" where it is, or unknown);
    without a language, the direction of ``text`` (an English entry of an Arabic
    book's bibliography whose item names no language)."""
    own = language_direction(language) if language else text_direction(text) or book
    return own if own != book else ""


def _first_line(tex: str) -> str:
    """A formula's first line that is more than its delimiter (``$$`` alone on a line
    is found everywhere in the file)."""
    return next((line for line in tex.split("\n") if line.strip().strip("$").strip()),
                tex.split("\n")[0])


def q_line(q, key: str, item: int | None = None) -> int:
    """Where a question's ``key`` (its ``item``-th entry) is written."""
    return at_line(q.lines, key, item, q.line)


def _fragment(html_text: str):
    return lxml_html.fragment_fromstring(html_text or "", create_parent="div")


def _inner(el) -> str:
    return (html.escape(el.text or "", quote=False)
            + "".join(to_html(c) for c in el))


def _entry_content(entry: str) -> tuple[str, bool]:
    """A bibliography entry as the content of the templates' paragraph (p.csl-entry), and
    whether it opens with a number or label set apart. A style that sets a part of an
    entry apart (CSL's second-field-align, as IEEE and most numeric styles set "[1]" in
    a column of its own, and display) has it from citeproc as a div, which a paragraph
    cannot hold: parsing closed the paragraph empty before it, and the number stood on
    a line of its own above the entry. Each div becomes a span of its class, which the
    theme lays out as pandoc's own CSS lays out the div (base.css)."""
    if "<div" not in entry:
        return entry, False
    tree = _fragment(entry)
    for div in tree.iter("div"):
        if div is not tree:
            div.tag = "span"
    labelled = tree.find('span[@class="csl-left-margin"]') is not None
    return _inner(tree), labelled


def _joined(fragment: str, names) -> str:
    """An inline HTML fragment (a heading's) with its date ranges and names joined."""
    tree = _fragment(fragment)
    return _inner(tree) if nobreak.join_element(tree, names) else fragment


def _text(el) -> str:
    """An element's text in plain words; a formula by its TeX ("e^x", not "ex", which
    its MathML's text would read)."""
    if next(el.iter("math", "{*}math"), None) is not None:
        el = copy.deepcopy(el)
        for m in list(el.iter("math", "{*}math")):
            for child in list(m):
                m.remove(child)
            m.text = m.get("alttext", "")
    return re.sub(r"\s+", " ", el.text_content()).strip()


NOTE_CALLS = './/sup[a[@class="footnote-ref"]]'


def _without_calls(el):
    """``el`` without its note calls (a copy, where it has any): a heading's or a
    caption's words as generated text gives them (the contents, the navigation, a
    cross-reference), which leaves its notes out, as pandoc's does."""
    if not el.xpath(NOTE_CALLS):
        return el
    el = copy.deepcopy(el)
    for sup in el.xpath(NOTE_CALLS):
        sup.drop_tree()                 # its tail, the words after the call, stays
    return el


def _title(el) -> str:
    """A heading's or a caption's title in plain words, without its note calls."""
    return _text(_without_calls(el))


# a link to a bibliography entry, in Markdown or HTML
REF_LINK = re.compile(r"""\]\(\s*<?#ref-([^\s)>]+)|href=["']#ref-([^"']+)""")
# elements whose content is all they have (no title): what a report calls them, and
# the words it suggests for a link to one
UNTITLED = {"pre": ("a code block", "the listing"), "code": ("code", "the listing"),
            "p": ("a paragraph", "the passage"), "div": ("a div without a title",
                                                      "the passage"),
            "aside": ("a box without a title", "the box"),
            "li": ("a list item", "the item"), "ol": ("a list", "the list"),
            "ul": ("a list", "the list"), "dl": ("a definition list", "the list"),
            "dd": ("a definition", "the definition"),
            "blockquote": ("a block quotation", "the quotation"),
            "span": ("a span", "the passage"), "img": ("an image that is not a figure",
                                                      "the picture"),
            "table": ("a table without a caption", "the table"),
            "figure": ("a figure without a caption", "the figure"),
            "tr": ("a table row", "the row"), "td": ("a table cell", "the cell"),
            "th": ("a table cell", "the cell")}


def _own_title(el) -> str:
    """What an element with an id is called by a link to it: a heading's text, a
    box's title, a caption, a definition list's term, a details' summary; "" for an
    element that has only its content (a code block, a paragraph, a list item…)."""
    if el.tag in ("h1", "h2", "h3", "h4", "h5", "h6", "dt", "summary"):
        return _title(el)
    titled = el.xpath('./*[contains(concat(" ", @class, " "), " box-title ")] | '
                      './figcaption | ./caption | ./summary')
    return _title(titled[0]) if titled else ""


def _contents_html(el) -> str:
    """A title's HTML as the printed contents set it: its italics kept, without its
    note calls, its links (a contents line is a link itself, and print would follow a
    web link with its address) and its index marks, and without ids (the heading's)."""
    el = copy.deepcopy(_without_calls(el))
    for a in el.xpath('.//a | .//span[contains(@class, "index-term")]'):
        a.drop_tag()
    for sub in el.iter():
        sub.attrib.pop("id", None)
    return _inner(el).strip()


def _code_as_text(value: str) -> str:
    """An attribute's text with its code spans (held backticks, ``TITLE_BACKTICK``) as
    their text, as Markdown gives them there: ``a `x[1]` b`` is "a x[1] b"."""
    tick = re.escape(TITLE_BACKTICK)
    value = value.replace("\\" + TITLE_BACKTICK, "`")            # an escaped backtick
    value = re.sub(f"({tick}+)(.+?)(?<!{tick})\\1(?!{tick})",
                   lambda m: m.group(2).strip(), value)
    return value.replace(TITLE_BACKTICK, "`")


def title_text(title: str) -> str:
    """A title (inline Markdown) as plain text, as the book sets it: emphasis marks gone,
    quotes and dashes typographic (the EPUB's page titles, contents and links)."""
    return _title_text(title, quotes_in_use())


@functools.lru_cache(maxsize=1024)
def _title_text(title: str, quotes: str) -> str:
    return _text(_fragment(convert_inline(html.escape(title, quote=False))))


class Pending:
    """A Markdown string waiting for conversion: its place in ``Resolver.jobs``."""
    __slots__ = ("index",)

    def __init__(self, index: int):
        self.index = index


def _settle(value, html_of: list[str]):
    """``value`` with every Pending in it replaced by its HTML."""
    if isinstance(value, Pending):
        return html_of[value.index]
    if isinstance(value, list):
        return [_settle(v, html_of) for v in value]
    if isinstance(value, tuple):
        return tuple(_settle(v, html_of) for v in value)
    if isinstance(value, dict):
        return {k: _settle(v, html_of) for k, v in value.items()}
    return value


@dataclass
class Texts:
    """The book's Markdown texts, gathered (each a ``Pending``), then converted."""
    converted: list[dict]            # each document's parts
    gloss: list
    people: list
    events: list
    notes: dict
    table_cells: dict
    figure_texts: dict
    schemes: dict
    master_lead: object = ""


@dataclass
class Numbering:
    """How a document's tables and figures are numbered: after its prefix (a chapter's
    number; "A" in the back matter, whose pages count on from one another), each kind
    counted on its own."""
    prefix: str
    tables: int = 0
    figures: int = 0

    def next_table(self) -> str:
        """The next table's number ("3.2")."""
        self.tables += 1
        return f"{self.prefix}.{self.tables}"

    def next_figure(self) -> str:
        """The next figure's number ("A.1")."""
        self.figures += 1
        return f"{self.prefix}.{self.figures}"


@dataclass
class BuiltDoc:
    """A document between its building and its finishing: its source, its body's tree
    (numbered, its links not yet resolved nor its HTML sanitised), what is rendered of
    it so far."""
    doc: Chapter
    tree: object                  # the body, an lxml element
    rendered: RenderedDoc


# a step of an essay plan that the author numbered: "I.", "IV)", "a.", "2)", "B."
PLAN_STEP = re.compile(r"\s*(?:[IVXLC]+|[ivxlc]+|[A-Za-z]|\d{1,2})[.)]\s")


def _numbered_step(step: str) -> bool:
    """Whether a plan's step carries the author's number: written before its text, or
    read as a list of one item numbered so ("II. The critics' case.", a list from II,
    as pandoc reads it)."""
    fragment = _fragment(step)
    items = fragment.xpath("./ol/li")
    if len(fragment) == 1 and fragment[0].tag == "ol" and len(items) == 1 and \
            not (fragment.text or "").strip():
        return True
    return bool(PLAN_STEP.match(fragment.text_content()))


def _first_letter_swapped(text: str) -> str:
    """``text`` with its first letter's case the other way: "Ondas" -> "ondas"."""
    first = text[:1]
    swapped = first.lower() if first != first.lower() else first.upper()
    return swapped + text[1:]


def _leading_epigraph(body_html: str) -> tuple[str, str]:
    """(the epigraph a text opens with, the rest): an epigraph before anything else
    stands under the chapter's title, above its summary, as a book sets it."""
    tree = _fragment(body_html)
    lead = tree[0] if len(tree) else None
    if lead is None or (tree.text or "").strip() or lead.tag != "div" or \
            "epigraph" not in (lead.get("class") or "").split():
        return "", body_html
    tree.text, lead.tail = (tree.text or "") + (lead.tail or ""), None
    tree.remove(lead)
    return to_html(lead), _inner(tree)


# an id the builder made from a hash of a text with no ASCII letter ("gl-u611f5819d9"),
# after its prefix, with its number if a second text gave the same ("-1")
HASHED_ID = re.compile(r"([a-z]+-)?u[0-9a-f]{10}(?:-\d+)?$")


def _spelled(text: str) -> str:
    """A text as a link may spell an id with it: its letters and digits, case folded,
    spaces and hyphens as one hyphen."""
    text = re.sub(r"[^\w\s-]", "", unicodedata.normalize("NFC", text).casefold())
    return re.sub(r"[\s_-]+", "-", text.strip())


# the dashes that set an epigraph's source apart: em dash, horizontal bar, en dash
EPIGRAPH_DASHES = "\u2014\u2015\u2013"


def _epigraph_sources(tree) -> None:
    """An epigraph's last paragraph is its source when it starts with a dash ("— Tolstoy,
    *Anna Karenina*"): set apart from the quotation (``.epigraph-source``), in both
    outputs."""
    for div in tree.xpath('.//div[contains(concat(" ", @class, " "), " epigraph ")]'):
        last = div[-1] if len(div) else None
        if last is not None and last.tag == "p" and len(div) > 1 and \
                last.text_content().lstrip()[:1] in tuple(EPIGRAPH_DASHES):
            last.set("class", " ".join(filter(None, [last.get("class"), "epigraph-source"])))


class Resolver:
    def __init__(self, book: Book, report: Reporter, memo: Memo | None = None,
                 salt: str = ""):
        self.jobs: list[tuple[str, bool]] = []      # Markdown to convert: (text, inline)
        self.book = book
        self.report = report
        self.memo = memo
        self.salt = salt      # what else the memo's results depend on (the engine's code)
        self.registry = Registry()
        self._forms_looked_up: dict[int, tuple] = {}    # ``_looked_up``'s, by id(forms)
        self.cites: CitationSet = CitationSet()
        self.linked_refs: list[str] = []    # the bibliography's keys that links name
        self.reading_keys: list[str] = []   # a notes style's further-reading keys
        self.ref_cites: dict[str, str] = {}     # such a key -> its citation's number
        self.reading: list[list[int]] = []  # each body's citations in reading order
        self.targets: dict[str, Target] = {}
        self.id_lines: dict[str, tuple[Path, int]] = {}
        self._spelled: tuple[int, dict[str, str]] | None = None   # (``spelled_ids``)
        self.images: dict[str, Path] = {}
        self.checked_images: dict[Path, str | None] = {}
        self.reported: set[tuple[Path, str]] = set()    # resources reported already
        self.math_svgs: dict[str, str] = {}
        self.figure_alts: dict[str, str] = {}
        self.used_terms: set[str] = set()
        self.labels = book.meta.labels
        self.reserved: dict[str, str] = {}    # id -> the section of the book that uses it
        self.refused: set[tuple] = set()      # reserved ids an author used, reported

    def label(self, key: str, n) -> str:
        return fill(self.labels, key, n=n)

    # -- Markdown with citations ------------------------------------------------
    def md(self, text: str, path: Path, line: int, inline: bool = False) -> Pending:
        """Citations to tokens now (their order is the citeproc run's), and the rest of
        the Markdown later, every string in one batch while citeproc runs (``run``).
        A text of one line is never a list (``one_line_text``); an inline one, never any
        block (``convert_inline``)."""
        text, origin = typed_tables(text if inline else one_line_text(text))
        return self.md_tokenized(tokenize_citations(text, self.registry, path, line,
                                                    folded=True, origin=origin), inline)

    def md_tokenized(self, text: str, inline: bool = False) -> Pending:
        self.jobs.append((text, inline))
        return Pending(len(self.jobs) - 1)

    def reading_cite(self, cite) -> str:
        """A further-reading entry's citation as printed (``reading_entry``)."""
        m = BIB_TOKEN.fullmatch(cite) if isinstance(cite, str) else None
        if m is None:
            return self.fill_tokens(cite)
        key = self.reading_keys[int(m.group(1))]
        # with its names (not the dash for the entry before's), as a span's content (a
        # numeric style's number and its block apart)
        entry = self.cites.in_full.get(key) or self.cites.bibliography.get(key)
        if not entry:
            return html.escape(key)
        tree = _fragment(entry)
        for number in tree.xpath('.//div[contains(@class, "csl-left-margin")]'):
            number.drop_tree()
        for block in tree.xpath(".//div"):
            block.drop_tag()
        return _inner(tree).strip()

    def fill_tokens(self, text: str) -> str:
        text = PART_TOKEN.sub(lambda m: self.cites.part(m.group(1), m.group(2)), text)
        return TOKEN_RE.sub(lambda m: self.cites.inline(m.group(1)), text)

    # -- stage 1: Markdown to HTML with tokens ------------------------------------
    def convert_doc(self, doc: Chapter) -> dict:
        # (a table whose columns are positions read before a token moves them)
        body, origin = typed_tables(doc.body)
        body = tokenize_citations(example_lists(body), self.registry, doc.path,
                                  doc.body_line, origin=origin)
        if self.book.style is not None and self.book.style.note:
            uses = self.registry.uses
            # citeproc meets the body's citations in reading order (a footnote's where
            # it is referred to), for "first" and "subsequent" forms of notes
            self.reading.append(reading_order(body, TOKEN_RE))
            body = citations_as_notes(body, TOKEN_RE,
                                      lambda n: uses[n].source.startswith("["))
        body, problems = rewrite_blocks(body, doc.body_line, typed=doc.body)
        for p in problems:
            (self.report.warning if p.warning else self.report.error)(doc.path, p.line, p.message)
        self.check_resources(doc)
        return {
            "doc": doc,
            "body": self.md_tokenized(body),
            "summary": self.md(doc.summary, doc.path, doc.line("summary"))
            if doc.summary else "",
            "objectives": [self.md(o, doc.path, doc.line("objectives", i), True)
                           for i, o in enumerate(doc.objectives)],
            "questions": [{"type": q.type, "line": q.line, "lines": q.lines, "marks": q.marks,
                           "question": self.md(q.question, doc.path, q_line(q, "question")),
                           "answer": self.md(q.answer, doc.path, q_line(q, "answer"))
                           if q.answer else "",
                           # the extract as a block quote whose last line cites it
                           "extract": self.md_tokenized("\n".join(
                               tokenize_citations(text, self.registry, doc.path, q_line(q, key),
                                                  folded=True)
                               for text, key in ((q.source.text, "source"),
                                                 (q.source.cite, "cite"))).strip())
                           if q.source else "",
                           "indicative": [self.md(x, doc.path, q_line(q, "indicative", i), True)
                                          for i, x in enumerate(q.indicative)],
                           "plan": [self.md(x, doc.path, q_line(q, "plan", i), True)
                                    for i, x in enumerate(q.plan)],
                           "scheme": self.scheme_of(q)}
                          for q in doc.questions],
            "key_points": [self.md(k, doc.path, doc.line("key_points", i), True)
                           for i, k in enumerate(doc.key_points)],
            # (an unknown key is the loader's error already: not cited, to be reported twice)
            "further_reading": [{"cite": self.reading_entry(r.cite, doc.path, r.line)
                                 if r.cite in self.book.reference_lines
                                 else html.escape(r.cite),
                                 "note": self.md(r.note, doc.path, r.line, True)
                                 if r.note else ""}
                                for r in doc.further_reading],
        }

    def reading_entry(self, key: str, path: Path, line: int):
        """A further-reading entry's citation. An author-date style cites it as ``@key``
        in the text ("Carr (1958)"), which the bibliography resolves. Any other gives
        each work in full, as the bibliography does: a notes style's note follows the
        reading order (a work cited before printed short, "Frost, *History*, 1."), an
        author style's names the author alone (MLA: "Brooke."), a numeric style's a
        number. The entry is filled in once citeproc has run (``BIB_TOKEN``); its key is
        listed as a link's is, formatted after every citation, so that it shortens none."""
        style = self.book.style
        if style is not None and (style.note or not _author_date(style)):
            self.reading_keys.append(key)
            return f"zzbib{len(self.reading_keys) - 1}zz"
        return self.md(f"@{key}", path, line, True)

    def scheme_of(self, q) -> str:
        """The id of the mark scheme a question is marked by: the one it names, else
        the one whose id is its type, else none."""
        ids = {m.id for m in self.book.mark_schemes}
        if q.scheme:
            return q.scheme if q.scheme in ids else ""
        return q.type if q.type in ids else ""

    def check_resources(self, doc: Chapter) -> None:
        """Untrusted content: only files inside the book folder may be embedded, and no
        script runs (in code, a block at any depth or a span, such HTML is the code's
        text)."""
        pattern = re.compile(
            r"""(?:\b(?:src|data|poster|srcset|background|xlink:href|href)\s*=\s*["']?"""
            r"""(?P<a>[^"'\s>]+))|(?:url\(\s*["']?(?P<b>[^"')]+))|(?:@import\s+["'](?P<c>[^"']+))"""
            # a picture's address, in <...> if written so (spaces may stand in it), after
            # its alt text, whose brackets may hold brackets ("![a [link](…) b](x.png)")
            r"""|(?:!\[(?:[^\[\]]|\[[^\[\]]*\])*\]\((?:<(?P<e>[^<>\n]*)>|(?P<d>[^)\s]+)))""",
            re.I)
        code = code_spans(doc.body)         # what the Markdown reader reads as code
        starts = [start for start, _ in code]

        def in_code(m: re.Match, at: int) -> bool:
            k = bisect.bisect_right(starts, at + m.start()) - 1
            return k >= 0 and at + m.end() <= code[k][1]

        at = 0                              # where the line starts in the body
        for i, line in enumerate(doc.body.split("\n")):
            for m in pattern.finditer(line):
                url = m.group("a") or m.group("b") or m.group("c") or m.group("d") or \
                    m.group("e")
                is_href = m.group("a") is not None and re.match(r"href", m.group(0), re.I)
                if is_href and "<link" not in line.lower() or in_code(m, at):
                    continue  # a hyperlink is not fetched, and code is text
                # relative to the book folder, as ``sanitise`` and the writers take it
                problem = self.resource_problem(doc.path, url)
                if problem:
                    self.report.error(doc.path, doc.body_line + i, problem)
                    self.reported.add((doc.path, url))
            if any(not in_code(m, at) for m in re.finditer(r"<\s*script\b", line, re.I)):
                self.report.error(doc.path, doc.body_line + i,
                                  "scripts are not allowed in content")
            at += len(line) + 1

    def resource_problem(self, path: Path, url: str) -> str | None:
        """Why ``url``, named in the file ``path``, cannot be embedded, or None. A file's
        path is relative to the file that names it, as in pandoc."""
        generated = re.fullmatch(r"generated/(\w+)\.svg", url)
        if generated:  # where a figure:NAME image stands once it is placed
            url = "figure:" + generated.group(1)
        if url.startswith("figure:"):
            name = url[len("figure:"):]
            if name not in figures.GENERATORS:
                return f"unknown generated figure '{name}' (known: " \
                       f"{', '.join(sorted(figures.GENERATORS))})"
            return None
        low = url.lower()
        if re.match(r"^[a-z][a-z0-9+.-]*:", low) or low.startswith("//"):
            return f"external resource '{url}' is not fetched: only files inside the book " \
                   "folder may be embedded"
        if low.startswith("#"):
            return None
        target = self.locate(path, url)
        try:
            rel = target.relative_to(self.book.root)
        except ValueError:
            return f"resource '{url}' is outside the book folder and is not fetched"
        if not target.is_file():
            near = nearest_file(self.book.root, rel.as_posix(), "*")
            # the nearest file, as the author would write its path in this file
            written = near and Path(os.path.relpath(self.book.root / near[0],
                                                    path.parent)).as_posix()
            hint = "" if near is None else \
                f"; the file there is '{written}' ({near[0]}): a file name's case " \
                "counts" if near[1] else f"; did you mean '{written}' ({near[0]})?"
            return f"missing image '{url}': no file {rel.as_posix()} in the book folder " \
                   f"(an image's path is relative to the file that names it, " \
                   f"{self.book_relative(path)}){hint}"
        if rel.as_posix() in images.RESERVED or rel.parts[0] == "generated":
            return f"'{url}': {rel.as_posix()} is a name the builder gives its own " \
                   "pictures (the EPUB's cover, generated/ figures); rename the file"
        if target.suffix.lower() not in images.ALLOWED:
            return f"'{url}' is not an image this builder embeds (png, jpg, gif, svg, webp)"
        bad = self.image_problem(target)
        if bad:
            return f"image '{url}': {bad}"
        self.images[rel.as_posix()] = target
        return None

    def image_problem(self, target: Path) -> str | None:
        """Why an image file of the book may not be embedded, or None: its bytes, read
        once through the sandbox, checked and decoded (``images.problem``)."""
        if target not in self.checked_images:
            self.checked_images[target] = images.problem(target, roots=[self.book.root])
        return self.checked_images[target]

    def locate(self, path: Path, url: str) -> Path:
        """The file a relative URL in the file ``path`` names."""
        return (path.parent / unquote(url.split("#")[0].split("?")[0])).resolve()

    def book_relative(self, path: Path) -> str:
        try:
            return path.resolve().relative_to(self.book.root).as_posix()
        except ValueError:
            return str(path)

    def place_images(self, tree, path: Path, line_of) -> dict:
        """Check every <img> of a text from the file ``path`` and point it at its file
        as both writers name it: relative to the book folder (the PDF's base and the
        EPUB's content folder). ``line_of(src)`` is the line to report. Returns each
        remaining image's src as written."""
        written = {}
        for img in list(tree.iter("img")):
            src = img.get("src", "")
            written[img] = src
            if src.startswith("figure:"):
                continue
            problem = self.resource_problem(path, src)
            if problem:
                if (path, src) not in self.reported:
                    self.report.error(path, line_of(src), problem)
                continue        # left for the figure's number; ``sanitise`` removes it
            if re.match(r"^[a-z][a-z0-9+.-]*:|^#", src, re.I):
                continue
            target = self.locate(path, src)
            img.set("src", quote(target.relative_to(self.book.root).as_posix()))
            note = fonts.unshaped_svg_text(target, [self.book.root]) \
                if target.suffix.lower() == ".svg" else None
            if note:
                self.report.warning(path, line_of(src), f"image '{src}': {note}")
            style, keep, problems = images.css_size({k: img.attrib.pop(k)
                                                     for k in ("width", "height")
                                                     if k in img.attrib})
            img.attrib.update(keep)
            for p in problems:
                self.report.error(path, line_of(src), p)
            if style:
                img.set("style", style)
        return written

    def convert_figure_texts(self) -> dict:
        """The texts the generated figures draw, as Markdown jobs paired with their lines:
        the ``short`` form of the timeline events the figure shows, and the
        strategy diagram's title, headings, steps and row labels."""
        book, data = self.book, self.book.root / "data"
        md = lambda text, path, line: (self.md(str(text), path, line, True), line)  # noqa: E731
        timeline = {i: md(book.timeline[i].short, data / "timeline.yaml",
                          at_line(book.timeline[i].lines, "short", None, book.timeline[i].line))
                    for i in figures.timeline_events(book) if book.timeline[i].short}
        raw = book.strategies if isinstance(book.strategies, dict) else {}
        path = data / "strategies.yaml"
        columns = [c for c in (raw.get("columns") or [])[:2] if isinstance(c, dict)]
        strategies = {
            "title": md(raw.get("title", ""), path, line_of(raw, "title")),
            "columns": [{"heading": md(c.get("heading", ""), path, line_of(c, "heading")),
                         "steps": [md(step, path, line_of(c.get("steps"), n, line_of(c, "steps")))
                                   for n, step in enumerate(c.get("steps") or [])]}
                        for c in columns],
            "rows": [md(label, path, line_of(raw.get("rows"), n, line_of(raw, "rows")))
                     for n, label in enumerate(raw.get("rows") or [])
                     if isinstance(raw.get("rows"), list)]}
        return {"timeline": timeline, "strategies": strategies}

    # -- stage 2: citations ----------------------------------------------------------
    def resolve_citations(self) -> None:
        """Every citation's keys checked against the bibliography, then every citation
        formatted in one run of citeproc (or taken from the memo)."""
        # an entry a link leads to ("[](#ref-KEY)") is listed, and its citation is the
        # text of an empty link: formatted after every other, so that it changes none
        linked = [key for key in self.linked_refs if key in self.known_keys]
        self.check_citation_keys(linked)
        style = self.book.style
        if not self.book.references or style is None:
            return
        order, sources = self.citation_sources(linked, style)
        self.run_citeproc(sources, order, style)

    def check_citation_keys(self, linked: list[str]) -> None:
        """A citation of a key the bibliography does not have is an error; an entry
        that nothing cites (nor a link, nor nocite:) a warning."""
        used = set(linked)
        for use in self.registry.uses:
            for key in use.keys:
                if key not in self.known_keys and not self.book.bibliography_unread:
                    line = use.line if use.counted else \
                        citation_line(use.path, use.source, use.line) or use.line
                    self.report.error(use.path, line, f"unknown citation key '{key}'"
                                      + (self.example_elsewhere(use, key)
                                         or self.nearest_key(key)))
                used.add(key)
        self.warn_uncited(used)

    def nearest_key(self, key: str) -> str:
        """The bibliography's key nearest a misspelt one, as a hint ("clarke2012")."""
        near = difflib.get_close_matches(key, sorted(self.known_keys), n=1, cutoff=0.8)
        return f" (the nearest key is '{near[0]}')" if near else ""

    def example_elsewhere(self, use, key: str) -> str:
        """Where ``(@key)`` names an example item of another document: what to say (each
        chapter numbers its own examples, from 1, so a number is known only there)."""
        if use.source.strip("() ") != f"@{key}":
            return ""
        for doc in self.book.documents:
            if doc.path != use.path and re.search(
                    r"^ {0,3}\(@" + re.escape(key) + r"\)[ \t]", doc.body, re.M):
                return (f": (@{key}) numbers an example item of {self.book_path(doc.path)}, "
                        f"and an example's number is known only in its own file (refer to it "
                        f"there, or write its number)")
        return ""

    def warn_uncited(self, used: set[str]) -> None:
        """Each bibliography entry outside ``used`` and nocite: a warning (it is not
        printed), unless it may be cited after all."""
        bib, nocite = self.book.bibliography_path, self.book.nocite
        # an uncited entry may be cited in a document that could not be read, or be the
        # one a key of nocite: that names no entry (an error) was meant for
        unsure = self.book.unread or any(k != "*" and k not in self.book.reference_lines
                                         for k in nocite)
        if not bib or unsure or "*" in nocite:
            return
        for key, line in sorted(self.book.reference_lines.items()):
            if key not in used and key not in nocite:
                self.report.warning(bib, line, f"bibliography entry '{key}' is never cited "
                                    "and is left out of the bibliography (list it under "
                                    "nocite: in book.yaml to print it)")

    def citation_sources(self, linked: list[str], style) -> tuple[list[int], list[str]]:
        """The citations as citeproc is to meet them: each one's source, and its number
        (``order``: each body's citations are numbered one after another, in reading
        order), then a citation of each linked entry (its number in ``ref_cites``)."""
        order = list(range(len(self.registry.uses)))
        for body in self.reading:
            if body:
                order[min(body):max(body) + 1] = body
        sources = [self.registry.uses[i].source for i in order]
        # a note style's "@key" is its author in the text; "[@key]" would be a note
        form = "@{}" if style.note else "[@{}]"
        self.ref_cites = {key: str(len(order) + n) for n, key in enumerate(linked)}
        order += [len(order) + n for n in range(len(linked))]
        sources += [form.format(key) for key in linked]
        return order, sources

    def run_citeproc(self, sources: list[str], order: list[int], style) -> None:
        """``cites``: the citations formatted by citeproc, in one run, or as the memo
        keeps them from an earlier build of the same citations; a failure of citeproc
        is an error at the style."""
        lang, nocite, bibtex = self.book.meta.language, self.book.nocite, self.book.bibtex
        # the book's own semicolon under labels:, if it has one
        semicolon = str(self.labels.get("semicolon", ";"))
        if semicolon == str(labels_defaults(lang).get("semicolon", ";")):
            semicolon = None
        key = digest("citeproc", self.salt, sources, order, self.book.references, style.xml,
                     lang, nocite, bibtex, semicolon)
        cites = self.memo.get(key) if self.memo is not None else None
        if cites is not None:
            self.cites = cites
            return
        try:
            self.cites = format_citations(sources, self.book.references, style, lang,
                                          nocite, bibtex, semicolon).numbered(order)
            full = names_in_full(style)
            if full is not None and self.cites.bibliography:
                # the entries a handout may list without the one before them
                whole = format_citations([], self.book.references, full, lang,
                                         list(self.cites.bibliography), bibtex, semicolon)
                self.cites.in_full = {k: v for k, v in whole.bibliography.items()
                                      if v != self.cites.bibliography.get(k)}
        except RuntimeError as exc:
            self.report.error(style.path, 1,
                              f"citation processor failed: {str(exc).splitlines()[0]}")
            return
        if self.memo is not None:
            self.memo.put(key, self.cites)

    def convert_markdown(self) -> list[str]:
        """Every Markdown job's HTML, in order. Each distinct text is converted once, and
        only if the memo does not have it from an earlier build; the memo then keeps
        exactly this build's texts, so that it does not grow with every edit."""
        unique = list(dict.fromkeys(self.jobs))
        key = digest("markdown", self.salt, self.quotes)
        known = (self.memo.get(key) if self.memo is not None else None) or {}
        missing = [job for job in unique if job not in known]
        if missing:
            known = {**known, **dict(zip(missing, convert_each(missing)))}
            if self.memo is not None:
                self.memo.put(key, {job: known[job] for job in unique})
        return [known[job] for job in self.jobs]

    # -- stage 3: trees, numbers, ids ------------------------------------------------
    def book_path(self, path: Path) -> str:
        """A file of the book as the author knows it: its path in the book folder."""
        try:
            return Path(path).relative_to(self.book.root).as_posix()
        except ValueError:
            return Path(path).name

    def register(self, ident: str, target: Target, path: Path, line: int) -> None:
        if ident in self.reserved:
            if (ident, path, line) not in self.refused:   # a heading's id is met twice
                self.refused.add((ident, path, line))
                self.report.error(path, line, f"id '{ident}' is reserved: the builder gives "
                                  f"it to {self.reserved[ident]} (choose another id)")
            return
        if ident in self.targets:
            first = self.id_lines.get(ident)
            where = f" (first defined at {self.book_path(first[0])}:{first[1]})" if first \
                else ""
            if first and first[0] == path and line <= first[1]:
                line = self.written_again(path, ident, first[1]) or line
            self.report.error(path, line, f"duplicate id '{ident}'{where}")
            return
        self.targets[ident] = target
        self.id_lines[ident] = (path, line)

    def written_again(self, path: Path, ident: str, after: int) -> int:
        """The line after ``after`` where the document ``path`` writes the id ``ident``
        again (``{#id}``, ``#id`` among attributes): a duplicate's own line, which a
        search from the top finds at the first; 0 if none."""
        for doc in self.book.documents:
            if doc.path == path:
                for i, text in enumerate(doc.body.split("\n")):
                    if doc.body_line + i > after and \
                            re.search(r"#" + re.escape(ident) + r"(?![\w-])", text):
                        return doc.body_line + i
        return 0

    def line_in(self, doc: Chapter, *needles: str) -> int:
        """The line of the document's body where the first of ``needles`` that it has
        stands (the title's line if none)."""
        lines = doc.body.split("\n")
        for needle in needles:
            for i, line in enumerate(lines):
                if needle in line:
                    return doc.body_line + i
        return doc.title_line

    def heading_line(self, doc: Chapter, title: str, before: list[dict]) -> int:
        """The line of the body's heading whose words are the title's (the source's
        straight apostrophe, emphasis and code marks aside: "Vollmar's" is set
        "Vollmar’s"), after the lines of the headings ``before`` it; the first line
        that holds the title where no heading's words match."""
        wanted = re.findall(r"\w+", title.casefold())
        lines = doc.body.split("\n")
        after = max([s["line"] for s in before if s.get("line")], default=0)
        for i, (text, code) in enumerate(zip(lines, code_lines(lines))):
            m = None if code else re.match(r" {0,3}#{1,6}\s+(.*?)\s*(\{[^}]*\})?\s*#*\s*$", text)
            if m and doc.body_line + i > after and \
                    re.findall(r"\w+", m.group(1).casefold()) == wanted:
                return doc.body_line + i
        return self.line_in(doc, title)

    def id_line(self, doc: Chapter, el) -> int:
        """The line of an element's id: where the body writes it ("{#id}", "#id"); an
        id the builder gave (a table's rows and note) has the line of the nearest
        element around it that has one, not the title's, which would tell the print
        preflight that a page holding the element holds the chapter's first line."""
        ident = el.get("id")
        if "#" + ident in doc.body:
            return self.line_in(doc, "#" + ident)
        for outer in el.iterancestors():
            known = self.id_lines.get(outer.get("id") or "")
            if known is not None and known[0] == doc.path:
                return known[1]
        return doc.title_line

    def _nth_line(self, doc: Chapter, needle: str, n: int) -> int:
        """The line of the body where ``needle`` stands for the ``n``-th time (its
        last place if it stands fewer times; the title's line if nowhere)."""
        found = [doc.body_line + i for i, text in enumerate(doc.body.split("\n"))
                 for _ in range(text.count(needle))]
        return found[min(n, len(found)) - 1] if found else doc.title_line

    def convert_table(self, table: Table) -> dict:
        """Convert a table's cells now, so their citations join the one citeproc run."""
        md = lambda text, *at: self.md(text, table.path, table.text_line(*at), True)  # noqa: E731
        return {"caption": md(table.caption, "caption"),
                "note": md(table.note, "note") if table.note else "",
                "columns": [md(c, "columns", i) for i, c in enumerate(table.columns)],
                "rows": [[md(c, "rows", n, i) for i, c in enumerate(row)]
                         for n, row in enumerate(table.rows)]}

    def render_table(self, table: Table, label: str) -> str:
        cells = self.table_cells[table.id]
        fill = self.fill_tokens
        mark, space = self.caption_separator
        # a column's alignment as a pipe table's is written (Python-Markdown's, pandoc's)
        align = [f' style="text-align: {a};"' if a != "default" else ""
                 for a in table.align] or [""] * len(table.columns)
        head = "".join(f'<th scope="col"{align[i]}>{fill(c)}</th>'
                       for i, c in enumerate(cells["columns"]))
        rows = []
        for n, row in enumerate(cells["rows"], 1):
            rows.append(f'<tr id="{table.id}-r{n}">' + "".join(
                f'<th scope="row"{align[i]}>{fill(c)}</th>' if i == 0 else
                f'<td data-label="{html.escape(_strip(table.columns[i]))}"{align[i]}>'
                f'{fill(c)}</td>'
                for i, c in enumerate(row)) + "</tr>")
        note = fill(cells["note"]) if cells["note"] else ""
        if note:
            # (a note with a footnote of its own is a paragraph and the note's list: a
            # <div> while they are parted, a <p> again once the note is lettered)
            tag = "div" if "<div" in note else "p"
            note = f'<{tag} class="table-note" id="{table.id}-note">{note}</{tag}>'
        tree = _fragment(
            f'<figure class="comparison" id="{table.id}">'
            f'<table><caption><span class="label">{label}{mark}</span>{space}'
            f'{fill(cells["caption"])}'
            f'</caption><thead><tr>{head}</tr></thead><tbody>{"".join(rows)}</tbody></table>'
            f'{note}</figure>')
        _table_notes(tree[0], table.id)
        return self.sanitise(tree, table.path, table.line)

    def build_tree(self, conv: dict, numbering: Numbering) -> tuple:
        """A document's body as a tree, and its sections (for the contents), in passes,
        one after another in this order (each may rely on those before it)."""
        doc: Chapter = conv["doc"]
        tree = self.parse_body(conv["body"], doc)
        _epigraph_sources(tree)
        self.place_tables(tree, doc, numbering)
        sections = self.number_headings(tree, doc)
        self.check_heading_levels(tree, doc)
        self.place_figures(tree, doc, numbering)
        self.settle_attribute_texts(tree)
        self.check_math(tree, doc.path, lambda tex: self.line_in(doc, _first_line(tex)))
        self.link_header_references(tree, doc)
        self.check_footnotes(tree, doc)
        self.name_footnotes(tree, doc)
        self.register_ids(tree, doc)
        self.gather_index_marks(tree, doc)
        return tree, sections

    def parse_body(self, body: str, doc: Chapter):
        """The body's HTML as a tree, its citations filled in and its nesting limited.
        A citation in an attribute (an image's title, its caption to be) is not markup
        there: it waits, as HELD_TOKEN, for the caption or for plain text."""
        body = re.sub(r'="[^"]*"', lambda m: m.group(0).replace("zzcite", HELD_TOKEN), body)
        tree = _fragment(self.fill_tokens(body))
        self.limit_nesting(tree, doc.path, lambda text: self.line_in(doc, text) if text
                           else _deepest_line(doc))
        return tree

    def place_tables(self, tree, doc: Chapter, numbering: Numbering) -> None:
        """Comparison tables from data (their slots), and Markdown tables with a
        caption, numbered in the order they stand."""
        for slot in tree.xpath('.//div[@class="table-slot"] | .//table[caption]'):
            if slot.tag == "table":
                self.number_table(slot, doc, numbering)
            else:
                self.place_data_table(slot, doc, numbering)

    def place_data_table(self, slot, doc: Chapter, numbering: Numbering) -> None:
        """A comparison table from tables/ in place of its slot, numbered; an unknown
        table's slot is removed, and an error."""
        tid = slot.get("data-table")
        line = int(slot.get("data-line") or doc.title_line)
        table = self.book.tables.get(tid)
        if table is None:
            if not self.book.table_unread(tid):     # (else its file's error is reported)
                self.report.error(doc.path, line,
                                  f"unknown table '{tid}' (no such id in tables/)")
            slot.getparent().remove(slot)
            return
        label = self.label("table_n", numbering.next_table())
        self.used_tables.add(tid)
        new = _fragment(self.render_table(table, label))[0]
        slot.getparent().replace(slot, new)
        self.register(tid, Target(doc.id, label, table.caption, "table"), doc.path, line)

    def number_headings(self, tree, doc: Chapter) -> list[dict]:
        """Each ``##`` and ``###`` heading given an id, a numbered chapter's ``##``
        headings their numbers, each registered as a link target; their entries for
        the contents."""
        section = 0
        sections: list[dict] = []
        for h in tree.iter("h2", "h3"):
            title = _title(h)
            hid = self.heading_id(h, doc, title)
            classes = (h.get("class") or "").split()
            num = ""
            if h.tag == "h2" and doc.number and "unnumbered" not in classes:
                section += 1
                num = f"{doc.number}.{section}"
                _number_heading(h, num, self.book.meta.labels.get("heading_separator", " "))
            label = self.label("section_n", num) if num else ""
            entry = self.section_entry(h, doc, title, num, sections)
            sections.append(entry)
            self.register(hid, Target(doc.id, label, title, "section"), doc.path,
                          entry["line"])
        return sections

    def heading_id(self, h, doc: Chapter, title: str) -> str:
        """A heading's id: the author's, else one made of the document's id and the
        title's words (a second heading of the same text gets "-1", as in pandoc)."""
        if not h.get("id"):
            auto, n = f"{doc.id}-{slugify(title)}", 0
            while (auto if not n else f"{auto}-{n}") in self.targets:
                n += 1
            h.set("id", auto if not n else f"{auto}-{n}")
        return h.get("id")

    def section_entry(self, h, doc: Chapter, title: str, num: str,
                      before: list[dict]) -> dict:
        """A heading's entry in the contents: its level, id, title, number, HTML as
        the contents set it, whether it is listed, and its line in the source."""
        hid = h.get("id")
        classes = (h.get("class") or "").split()
        body = copy.deepcopy(h)      # the heading as set, for the contents: without its
        for span in body.xpath('span[@class="secno"]'):     # number (the contents'
            span.drop_tree()                                 # own)
        line = (self.line_in(doc, "{#" + hid) if "{#" + hid in doc.body
                else self.heading_line(doc, title, before))
        # as in pandoc, an unnumbered heading is listed in the contents unless it is
        # also .unlisted; .unlisted alone leaves a numbered heading listed
        unlisted = "unlisted" in classes and "unnumbered" in classes
        if "unlisted" in classes and not unlisted and h.tag == "h2" and doc.number:
            self.report.warning(doc.path, line, f"'{title}' is numbered, so "
                                "'.unlisted' leaves it in the contents (as in pandoc): "
                                "write {.unnumbered .unlisted}, or {- .unlisted}, to "
                                "leave it out")
        return {"level": int(h.tag[1]), "id": hid, "title": title, "number": num,
                "html": _contents_html(body), "listed": not unlisted, "line": line}

    def place_figures(self, tree, doc: Chapter, numbering: Numbering) -> None:
        """Each image checked and pointed at its file (a generated figure's at the
        picture the builder draws); an image alone in its paragraph becomes a numbered
        figure with its caption."""
        written = self.place_images(tree, doc.path, lambda src: self.line_in(doc, src))
        for img in list(tree.iter("img")):
            src = img.get("src", "")
            alt = (img.get("alt") or "").strip()
            line = self.line_in(doc, written.get(img, src))
            if not alt:
                self.report.error(doc.path, line, f"image '{src}' has no text alternative "
                                  "(write it between the brackets: ![description](...))")
            if src.startswith("figure:"):
                name = src[len("figure:"):]
                img.set("src", f"generated/{name}.svg")
                img.set("class", " ".join(filter(None, [img.get("class"), "generated"])))
            if _alone_in_paragraph(img):
                self.make_figure(img, doc, line, src, alt, numbering)

    def make_figure(self, img, doc: Chapter, line: int, src: str, alt: str,
                    numbering: Numbering) -> None:
        """An image alone in its paragraph (``src`` as written) in place of the
        paragraph as a numbered figure: its id the figure's, its title (else a
        generated figure's caption, else its text alternative) the caption, and the
        title a handout names it by (``pdf.localise_links``), as the book prints it."""
        label = self.label("figure_n", numbering.next_figure())
        fig = etree.Element("figure", {"class": "figure"})
        fid = img.attrib.pop("id", None)
        caption = img.attrib.pop("title", None) or \
            (self.figure_caption(src[len("figure:"):]) if src.startswith("figure:")
             else "") or alt
        if fid:
            fig.set("id", fid)
            self.register(fid, Target(doc.id, label, caption, "figure"), doc.path, line)
        paragraph = img.getparent()
        paragraph.getparent().replace(paragraph, fig)
        img.tail = None
        fig.append(img)
        fig.append(self.figcaption(label, caption))
        # its text alternative, as pandoc's: the plain text of its Markdown ("*A* map"
        # is "A map"; a formula its TeX between dollars), whose caption keeps the marks
        img.set("alt", plain_text(alt.replace(TITLE_DOLLAR, "$").replace(
            TITLE_BACKTICK, "`")))

    @functools.cached_property
    def caption_separator(self) -> tuple[str, str]:
        """What follows a caption's number label: the mark that ends the label ("." of
        "Figure 1.1.") and the space before the caption ("　" alone in Japanese), from
        the language's ``caption_separator``."""
        separator = str(self.book.meta.labels.get("caption_separator", ". "))
        mark = separator.rstrip()
        return mark, separator[len(mark):]

    def figcaption(self, label: str, caption: str):
        """A figure's caption: its label, then the caption's text, inline Markdown as
        every other text (pandoc's is too), its held code, maths and citations filled
        in."""
        cap = etree.Element("figcaption")
        lab = etree.SubElement(cap, "span", {"class": "label"})
        mark, lab.tail = self.caption_separator
        lab.text = label + mark
        caption = caption.replace(TITLE_DOLLAR, "$").replace(
            TITLE_BACKTICK, "`").replace(HELD_TOKEN, "zzcite")
        text = _fragment(self.fill_tokens(
            convert_inline(html.escape(caption, quote=False))))
        lab.tail += text.text or ""
        cap.extend(text)
        return cap

    def settle_attribute_texts(self, tree) -> None:
        """A title or alt text that is no caption: its text, plain (its citations'
        text, its maths' TeX, its code's characters)."""
        for el in tree.iter():
            for name, value in el.attrib.items():
                if HELD_TOKEN in value or TITLE_DOLLAR in value or TITLE_BACKTICK in value:
                    value = re.sub(HELD_TOKEN + r"\d+zz", lambda m: _fragment(
                        self.fill_tokens("zzcite" + m.group(0)[len(HELD_TOKEN):]))
                        .text_content(), value)
                    el.set(name, _code_as_text(value.replace(TITLE_DOLLAR, "$")))

    def link_header_references(self, tree, doc: Chapter) -> None:
        """Implicit header references (``[Heading text]``) lead to the headings with
        the ids given them."""
        for a in tree.xpath('.//a[starts-with(@href, "#zzhead-")]'):
            a.set("href", f"#{doc.id}-" + a.get("href")[len("#zzhead-"):])

    def name_footnotes(self, tree, doc: Chapter) -> None:
        """Footnotes' ids unique across the book (the document's id before them), their
        back links as pandoc sets them, notes numbered in the order they are called."""
        for el in tree.xpath(".//*[@id]"):
            ident = el.get("id")
            if re.match(r"^fn(ref\d*)?:", ident):
                el.set("id", f"{doc.id}-" + ident.replace(":", "-"))
        for a in tree.xpath(".//a[@href]"):
            href = a.get("href")
            if re.match(r"^#fn(ref\d*)?:", href):
                a.set("href", f"#{doc.id}-" + href[1:].replace(":", "-"))
        for a in tree.xpath('.//a[@class="footnote-backref"]'):
            a.attrib.pop("title", None)
            # a paragraph of its own after a note's list or quotation: it follows them,
            # as pandoc's does
            if _alone_in_paragraph(a):
                a.getparent().drop_tag()
        _number_notes_by_reference(tree)
        _separate_adjacent_calls(tree)

    def register_ids(self, tree, doc: Chapter) -> None:
        """Every other id an author gave (attr_list on paragraphs, boxes …) a link
        target, named by the element's title."""
        for el in tree.xpath(".//*[@id]"):
            ident = el.get("id")
            if ident not in self.targets and not ident.startswith(doc.id + "-fn"):
                self.register(ident, Target(doc.id, "", _own_title(el)[:60], el.tag),
                              doc.path, self.id_line(doc, el))

    def gather_index_marks(self, tree, doc: Chapter) -> None:
        """Each index span given an id (an author's own stays: links lead there), and
        filed under its entry ("Heading!subheading": under a subentry). An entry that is
        a form of words the index files under a heading of its own (a glossary term's
        alias, a key figure's name, a form of ``data/index.yaml``) files there: a span
        marking "difração", an alias of the term "Difração", made a second heading. So
        does a mark whose words differ from such a form only in their first letter's
        case (a sentence's "Ondas", the alias "ondas")."""
        forms = self.index_forms
        for n, span in enumerate(tree.xpath(
                './/span[contains(concat(" ", @class, " "), " index-term ")]'
                '[@data-entry]')):
            if not span.get("id"):
                span.set("id", f"{doc.id}-ix{n}")
            heading, _, sub = span.get("data-entry", "").partition("!")
            heading, sub = heading.strip(), sub.strip()
            filed = forms.get(heading, forms.get(_first_letter_swapped(heading),
                                                 (None, (heading, ""))))[1]
            if not filed[1] or not sub:
                heading, sub = filed[0], sub or filed[1]
            self.index_refs.setdefault((heading, sub), []).append((doc.id, span.get("id")))

    def figure_caption(self, name: str) -> str:
        """A generated figure's default caption: the timeline's from the labels, the
        others' from their data."""
        if name == "timeline":
            caption = self.labels["timeline_caption"]
            # the theme's own ("Key events. The full timeline follows."): what it says of
            # the book's timeline is the book's alone, not a handout's (handout.css)
            if caption == labels_defaults(self.book.meta.language).get("timeline_caption"):
                parts = re.split(r"(?<=[.。])(\s*)", caption, maxsplit=1)
                if len(parts) == 3 and parts[2].strip():
                    return f"{parts[0]}{parts[1]}[{parts[2]}]{{.in-book}}"
            return caption
        return figures.caption(self.book, name)

    def number_table(self, table, doc: Chapter, numbering: Numbering) -> None:
        """A Markdown table with a ``Table:`` caption: numbered like a data table."""
        label = self.label("table_n", numbering.next_table())
        caption = table.find("caption")
        title = _title(caption)
        span = etree.Element("span", {"class": "label"})
        mark, space = self.caption_separator
        span.text = label + mark
        span.tail = space + (caption.text or "")
        caption.text = None
        caption.insert(0, span)
        if table.get("id"):
            self.register(table.get("id"), Target(doc.id, label, title, "table"), doc.path,
                          self.line_in(doc, "#" + table.get("id")))

    def check_footnotes(self, tree, doc: Chapter) -> None:
        """A note called but never defined is an error (Markdown leaves ``[^x]`` as
        text); a note defined but never called is a warning, and is not printed."""
        for el in tree.iter():
            if not isinstance(el.tag, str):
                continue
            texts = [] if el.tag in ("code", "pre") else [el.text]
            if el.getparent() is not None and el.getparent().tag not in ("code", "pre"):
                texts.append(el.tail)
            for text in texts:
                for m in re.finditer(r"\[\^([^\]\s]+)\]", text or ""):
                    self.report.error(doc.path, self.line_in(doc, m.group(0)),
                                      f"footnote '[^{m.group(1)}]' is never defined "
                                      f"(write '[^{m.group(1)}]: text' below the paragraph)")
        called = set(tree.xpath('.//a[@class="footnote-ref"]/@href'))
        for li in tree.xpath('.//div[@class="footnote"]/ol/li[@id]'):
            if "#" + li.get("id") not in called:
                label = li.get("id").split(":", 1)[-1]
                self.report.warning(doc.path, self.line_in(doc, f"[^{label}]:"),
                                    f"footnote '[^{label}]' is defined but never used; "
                                    "it is left out")
                li.getparent().remove(li)
        for notes in tree.xpath('.//div[@class="footnote"][not(ol/li)]'):
            notes.getparent().remove(notes)

    def check_math(self, tree, path: Path, line_of) -> None:
        """Report the TeX that could not be converted, at ``line_of(source)``, and draw
        every formula for print (an error there is reported too)."""
        for span in tree.xpath('.//span[@class="math-error"]'):
            self.report.error(path, line_of(span.text_content()), f"TeX math: {span.get('title')}")
            span.set("class", "math-error reported")
        for el in tree.iter("math"):
            mathml = to_html(el, with_tail=False)
            name = math.svg_name(mathml)
            if name in self.math_svgs:
                continue
            tex = el.get("alttext", "")
            try:
                svg = self.math_svgs[name] = math.mathml_to_svg(mathml, self.book.fonts)
            except Exception as exc:        # ziamath raises many kinds
                self.report.error(path, line_of(tex), f"TeX math '{tex}' cannot be drawn "
                                  f"({type(exc).__name__}: {exc})")
                continue
            for text in math.blank_texts(mathml, svg):
                self.report.warning(path, line_of(tex), f"TeX math '{tex}': no font the "
                                    f"print edition draws formulas with has the letters of "
                                    f"'{text}', which it shows as blank boxes; add a font "
                                    "that has them (fonts: in book.yaml)")

    # -- stage 4: links ------------------------------------------------------------------
    def clean(self, html_text: str, path: Path, line: int) -> str:
        """A rendered Markdown string outside a chapter body: links checked, sanitised."""
        if not html_text:
            return html_text
        tree = _fragment(html_text)
        self.limit_nesting(tree, path, lambda text: line)
        if tree.xpath('.//a[@class="footnote-ref"]'):
            # converted on its own, its note would take the id of a chapter's first note
            self.report.error(path, line, "a footnote cannot go here (only a chapter's or "
                              "a back-matter page's text, or a cell of a table in tables/, "
                              "has notes): write the note into the text")
            for el in tree.xpath('.//div[@class="footnote"] | .//sup[a[@class="footnote-ref"]]'):
                el.drop_tree()          # its tail, the text after a call, stays
        self.link(tree, None, path, line)
        return self.sanitise(tree, path, line)

    def limit_nesting(self, tree, path: Path, line_of) -> None:
        """Elements nested deeper than ``MAX_NESTING`` (block quotes in block quotes, lists
        in lists…) are an error at the line of each text that nests too deeply, and are
        cut there: the typesetter lays nested boxes out recursively and would fail."""
        stack = [(tree, 0)]
        while stack:
            el, depth = stack.pop()
            if depth >= MAX_NESTING:
                text = next((t.strip() for t in el.itertext() if t.strip()), "")
                self.report.error(path, line_of(text[:40]) if text else line_of(""),
                                  f"the text nests more than {MAX_NESTING} elements deep "
                                  "(block quotes, lists, tables or emphasis inside each "
                                  "other); a book may nest at most that deep")
                for child in list(el):
                    el.remove(child)
                el.text = text
                continue          # and on to any other place that nests too deeply
            stack.extend((child, depth + 1) for child in el if isinstance(child.tag, str))

    def check_heading_levels(self, tree, doc: Chapter) -> None:
        """A document's title is its one level-1 heading: its headings start at ``##`` and
        go down one level at a time, or a reader's outline (and a screen reader's
        heading list, and the tagged PDF's H1…H6) has a gap."""
        level = 1
        noun = "chapter" if doc.kind == "chapter" else "page"
        for h in tree.iter("h1", "h2", "h3", "h4", "h5", "h6"):
            n, title = int(h.tag[1]), _title(h)
            line = self.line_in(doc, title) if title else doc.title_line
            if n == 1:
                self.report.warning(doc.path, line, f"'# {title}' is a second title: the "
                                    f"document's title is its front matter's title:, and "
                                    f"its sections start at '##'")
            elif n > level + 1 and level == 1:      # no heading before it but the title
                self.report.warning(doc.path, line, f"heading '{'#' * n} {title}' skips a "
                                    f"level: the {noun}'s first heading should be '##' (the "
                                    f"title, from the front matter's title:, is its one '#' "
                                    f"heading)")
            elif n > level + 1:
                self.report.warning(doc.path, line, f"heading '{'#' * n} {title}' skips a "
                                    f"level after a '{'#' * level}' heading: use "
                                    f"'{'#' * (level + 1)}'")
            level = max(n, 2)

    def order(self, term: str, within: str = "") -> tuple:
        """The sort key of an index or glossary heading (of a subentry ``within`` its
        heading), in the book's language: by what it is filed under, its ``sort:``
        (a Japanese term's reading), where it has one."""
        return _sort_key(self.filed_under.get((within, term), term), self.book.meta.language)

    @functools.cached_property
    def filed_under(self) -> dict[tuple[str, str], str]:
        """(heading or "", term) -> what ``sort:`` files it under: the glossary's terms,
        the key figures' index headings, index.yaml's headings and subentries (the last
        given wins)."""
        book = self.book
        out = {("", g.term): g.sort for g in book.glossary if g.sort}
        out.update({("", _strip(p.index)): p.sort for p in book.people if p.sort})
        for entry in book.index_entries:
            if entry.sort:
                out[("", _strip(entry.heading))] = entry.sort
            out.update({(_strip(entry.heading), _strip(sub.heading)): sub.sort
                        for sub in entry.subentries if sub.sort})
        return out

    def link(self, tree, doc: Chapter | None, path: Path, line: int = 1) -> None:
        """Every link inside the book: one to a bibliography entry filled with its
        citation, one to a place in the text marked as a cross-reference (print gives
        its page), an empty one filled with its target's number or title; a link to an
        id that nothing has is an error. ``doc``: the tree is that chapter's body
        (each link's line is found in it), else every line is ``line``."""
        empty_links: dict[str, int] = {}     # each id's empty links met so far
        own = set(tree.xpath(".//@id"))      # (a table's notes: the master table's own)
        for a in tree.xpath('.//a[starts-with(@href, "#")]'):
            ident = a.get("href")[1:]
            if ident in own and ident not in self.targets:
                continue
            if ident.startswith("ref-") and not self.ref_link(a, ident[4:], doc, path, line):
                a.drop_tag()    # a style without a bibliography: nothing to link to
                continue
            if "fn-" in ident or "fnref" in ident or ident.startswith("ref-"):
                continue
            target = self.targets.get(ident)
            if target is None and self.spelled_id(ident):
                ident = self.spelled_id(ident)
                a.set("href", "#" + ident)
                target = self.targets[ident]
            if target is None:
                self.missing_target(ident, doc, path, line)
                continue
            if target.kind in ("chapter", "section", "table", "figure", "back", "aside"):
                # a box, too, is a place in the text: print gives its page
                a.set("class", ((a.get("class") or "") + " xref").strip())
            if not _text(a) and len(a) == 0:
                n = empty_links[ident] = empty_links.get(ident, 0) + 1
                self.fill_empty_link(a, ident, target, n, doc, path, line)

    def spelled_ids(self) -> dict[str, str]:
        """The ids a link may spell with its target's own words, where the builder's id
        is a hash (a term, a name or a heading with no ASCII letter): "gl-гротеск",
        "person-николай-гоголь" (made again once more ids are known)."""
        if self._spelled is None or self._spelled[0] != len(self.targets):
            spelled: dict[str, str] = {}
            for real, target in self.targets.items():
                m = HASHED_ID.match(real)
                if m and target.title:
                    spelled.setdefault((m.group(1) or "") + _spelled(target.title), real)
            self._spelled = (len(self.targets), spelled)
        return self._spelled[1]

    def spelled_id(self, ident: str) -> str | None:
        """The builder's id that ``ident`` spells with its target's words, in any case,
        a space as a hyphen ("#gl-Гротеск"); None if it spells none."""
        spelled = self.spelled_ids()
        for cut in [m.end() for m in re.finditer(r"^[a-z]+-", ident)] + [0]:
            found = spelled.get(ident[:cut] + _spelled(unquote(ident[cut:])))
            if found:
                return found
        return None

    def missing_target(self, ident: str, doc: Chapter | None, path: Path, line: int) -> None:
        """A link to an id that nothing has: an error at the link's line ("](#id)" where
        it is written as a link, not where the id is declared, "{#id}", the target the
        link misses). Not reported where the id may well be in a document that could
        not be read, whose errors are reported (the build fails on them)."""
        where = (self.line_in(doc, "(#" + ident + ")", "\"#" + ident + "\"", "#" + ident)
                 if doc else line)
        # an id the author gave ("{#tbl-x}", a table's caption) in a document whose errors
        # are reported (the table's rows out of line) is that error's, not a second one
        declared = re.compile(r"\{[^{}\n]*#" + re.escape(ident) + r"[\s}]")
        if any(declared.search(d.body) and any(
                e.path == str(d.path) for e in self.report.errors)
               for d in self.book.documents):
            return
        if not self.book.unread and not self.book.table_unread(ident) and \
                not self.book.apparatus_unread(ident):
            # the id meant, as the builder made it: "Đông Dương" is gl-ong-duong, as
            # pandoc makes it (a letter with no accent to strip, đ, ø, ł, is left out)
            near = difflib.get_close_matches(ident, list(self.targets), n=1, cutoff=0.8)
            # or the way to spell an id the builder made from a hash: by its own words
            prefix = re.match(r"[a-z]+-", ident)
            spelled = [k for k in self.spelled_ids()
                       if prefix and k.startswith(prefix.group(0))] if not near else []
            self.report.error(path, where, f"link to missing id '#{ident}'" + (
                f" (the nearest id is '#{near[0]}')" if near else
                f" (a text without Latin letters is linked by its own words, as "
                f"'#{spelled[0]}')" if spelled else ""))

    def fill_empty_link(self, a, ident: str, target: Target, n: int, doc: Chapter | None,
                        path: Path, line: int) -> None:
        """An empty link (the ``n``-th to ``ident``) filled in: a chapter or a section
        by its label and title, anything else numbered by its label, else by its title;
        a target that has neither (a code block, a paragraph, a list item…) has nothing
        to fill in but its content, which is no name for it: its id, and a warning."""
        label = target.label
        # a number's label only ("voir la figure 2"): a title is filled in as written, a
        # key figure's name, a glossary term, a page of the back matter ("Tony Hoare")
        numbered = target.kind in ("chapter", "section", "table", "figure") and \
            label != target.title
        if label and numbered and self.labels.get("reference_case") == "lower" and \
                not _opens_sentence(a, abbreviations(self.labels)):
            label = label[0].lower() + label[1:]
        if target.kind == "chapter" or target.kind == "section" and target.label:
            a.text = titled(self.labels, label, target.title)
        elif target.label:
            a.text = label
        elif target.title:
            a.text = target.title
        else:
            a.text = ident
            what, example = UNTITLED.get(target.kind, (f"a <{target.kind}>", "the passage"))
            self.report.warning(
                path, self._nth_line(doc, "[](#" + ident + ")", n) if doc else line,
                f"the link [](#{ident}) has no text, and its target, {what}, has no "
                f"number or title to fill it with: write the link's text, "
                f"[{example}](#{ident}) (the id is printed meanwhile)")

    @functools.cached_property
    def ref_languages(self) -> dict[str, str]:
        """Each bibliography entry's language, where its item names one (CSL's
        "language")."""
        return {r.get("id"): r.get("language") for r in self.book.references
                if isinstance(r, dict) and isinstance(r.get("language"), str)}

    @functools.cached_property
    def known_keys(self) -> set[str]:
        return set(self.book.reference_lines) or {r.get("id") for r in self.book.references}

    def ref_link(self, a, key: str, doc: Chapter | None, path: Path, line: int) -> bool:
        """A link to a bibliography entry: an empty one filled with the entry's
        citation as the book's style gives it ("Febvre and Martin 1976", without its
        brackets; in a notes style as a note gives it, "Rousseau, Du contrat social");
        whether the entry is printed, for the link to lead to."""
        ident = "ref-" + key
        if key not in self.known_keys:
            # (a citation's own link to an unknown key: the citation is the error)
            if not self.book.bibliography_unread and not self.book.unread and \
                    a.get("role") != "doc-biblioref":
                where = self.line_in(doc, "(#" + ident + ")", "#" + ident) if doc else line
                self.report.error(path, where, f"link to missing id '#{ident}': the "
                                  f"bibliography has no entry '{key}'")
            return False
        if not _text(a) and len(a) == 0 and key in self.ref_cites:
            n = self.ref_cites[key]
            # a notes style's "@key" is its author, its work in the note: written out as
            # in a note ("Rousseau, Du contrat social"), the author alone naming no work
            style = self.book.style
            cited = _fragment(self.cites.inline(n) if style is not None and style.note else
                              self.cites.rendered.get(n) or
                              re.sub(r"\.$", "", self.cites.notes.get(n, "")))
            for inner in cited.xpath(".//a | .//span"):
                inner.drop_tag()
            text = _inner(cited).strip()
            if text.startswith("(") and text.endswith(")"):
                text = text[1:-1]
            filled = _fragment(text or html.escape(key))
            a.text = filled.text
            a.extend(filled)
            other = _other_direction(self.ref_languages.get(key), self.book.meta.direction,
                                     filled.text_content())
            if other and not a.get("dir"):
                a.set("dir", other)
        return key in self.cites.bibliography

    def glossary_links(self, tree, doc_id: str) -> None:
        """Link each glossary term at its first use in this chapter's (or back-matter
        page's) running text.

        Forms are the entry's term and its aliases, matched with case as written (so a
        lowercase alias such as "soviet", a council, does not swallow "Soviet Union");
        straight and curly apostrophes are equivalent.
        """
        def link(text: str, ident: str, n: int):
            self.used_terms.add(ident)
            return etree.Element("a", {"class": "gloss", "href": f"#{ident}",
                                       "id": f"{doc_id}-gl{n}"})
        self.first_uses(tree, doc_id, self.glossary_forms, link)

    @functools.cached_property
    def glossary_forms(self) -> dict[str, tuple[str | None, str | None]]:
        """Every glossary term and alias, mapped to (its entry's id, its term); and
        every other indexed form, mapped to (None, None): a longer indexed form that
        holds a term is no use of it ("Stalinism" in the title "The Birth of
        Stalinism", which the index marks whole: a link in it would part the title, and
        the index would find it nowhere)."""
        forms: dict[str, tuple[str | None, str | None]] = {}
        for e in self.book.glossary:
            for form in [e.term, *e.aliases]:
                forms.setdefault(form, (e.id, e.term))
        for form in self.index_forms:
            forms.setdefault(form, (None, None))
        return forms

    @functools.cached_property
    def index_forms(self) -> dict[str, tuple[str, tuple[str, str]]]:
        """Every form of words indexed wherever it stands, mapped to (an id, the index
        heading and subheading it files under): the key figures' names and aliases, the
        glossary's terms and aliases, and the forms of the entries and subentries of
        ``data/index.yaml``."""
        forms: dict[str, tuple[str, tuple[str, str]]] = {}
        for p in self.book.people:
            for form in [p.name, *p.aliases]:
                forms.setdefault(form, (p.id, (p.index, "")))
        for e in self.book.glossary:
            for form in [e.term, *e.aliases]:
                forms.setdefault(form, (e.id, (e.term, "")))
        for entry in self.book.index_entries:
            for sub in entry.subentries:
                for form in sub.forms:
                    forms.setdefault(form, ("ix-" + slugify(entry.heading + " " + sub.heading),
                                            (entry.heading, sub.heading)))
            for form in entry.forms:
                forms.setdefault(form, ("ix-" + slugify(entry.heading), (entry.heading, "")))
        return forms

    def index_mentions(self, tree, doc_id: str, prefix: str | None = None,
                       scope: bool = False) -> None:
        """Mark every mention of an indexed person, term or topic in this text (a
        glossary term's first use is its link, marked already) and record it in the
        index. ``prefix`` starts the marks' ids (default: the document's id);
        ``scope``: the whole tree is running text (a timeline event, a biography)."""
        prefix = prefix or doc_id

        def mark(text: str, ident: str, n: int):
            return etree.Element("span", {"class": "index-term", "id": f"{prefix}-im{n}"})
        self.first_uses(tree, doc_id, self.index_forms, mark, every=True, scope=scope)

    def _looked_up(self, forms: dict) -> tuple[dict, re.Pattern]:
        """``forms`` by ``form_key`` (the first of those that read the same), and the
        pattern that finds them: made once for each of the book's sets of forms (the
        glossary's, the index's), not again for each of its 140 texts."""
        known = self._forms_looked_up.get(id(forms))
        if known is None or known[0] is not forms:
            by_form: dict = {}
            for f, v in forms.items():
                by_form.setdefault(form_key(f), v)
            known = self._forms_looked_up[id(forms)] = (
                forms, by_form, _forms_pattern(frozenset(by_form)))
        return known[1], known[2]

    def first_uses(self, tree, doc_id: str, forms: dict, make, every: bool = False,
                   scope: bool = False) -> None:
        """Wrap the first use in this document of each entry's forms in ``make(...)``
        (``every``: each use).

        ``forms`` maps a form of words to (entry id, index heading); the new element is
        recorded in the index under that heading (a heading and subheading: a pair).
        """
        if not forms:
            return
        by_form, pattern = self._looked_up(forms)
        done: set[str] = set()
        count = 0

        def split(text: str) -> list | None:
            nonlocal count
            pieces, pos = [], 0
            for m in pattern.finditer(text):
                entry = by_form.get(form_key(m.group(1)))
                if entry is None or entry[0] is None or entry[0] in done:
                    continue
                ident, heading = entry
                if not every:
                    done.add(ident)
                count += 1
                el = make(m.group(1), ident, count)
                el.text = m.group(1)
                pieces += [text[pos:m.start()], el]
                pos = m.end()
                key = heading if isinstance(heading, tuple) else (heading, "")
                self.index_refs.setdefault(key, []).append((doc_id, el.get("id")))
            if not pieces:
                return None
            return pieces + [text[pos:]]

        def place(parent, after, pieces) -> None:
            """Put [text, el, text, el, …, text] where parent.text (after=None) or after.tail was."""
            if after is None:
                parent.text = pieces[0]
                index = 0
            else:
                after.tail = pieces[0]
                index = parent.index(after) + 1
            for i in range(1, len(pieces), 2):
                el = pieces[i]
                el.tail = pieces[i + 1]
                parent.insert(index, el)
                index += 1

        def skip(el) -> bool:
            cls = el.get("class") or ""
            # (an author's index mark is skipped by the index, which it marks already,
            # not by the glossary: a term inside it is a use of the term)
            # (an abbreviation's words are mentions for the index, not links: an <a>
            # inside <abbr> would be read as the abbreviation's)
            return (el.tag in GLOSS_SKIP and el.tag not in ("span",) and
                    not (every and el.tag == "abbr")) or \
                cls.startswith("footnote") or "citation" in cls or \
                "box-title" in cls.split() and not every or \
                "index-term" in cls and every or \
                el.tag == "span" and cls in ("secno", "label")

        def visit(el, scope: bool) -> None:
            scope = scope or el.tag in GLOSS_SCOPE or \
                not GLOSS_SCOPE_CLASSES.isdisjoint((el.get("class") or "").split())
            if scope and el.text:
                pieces = split(el.text)
                if pieces:
                    place(el, None, pieces)
            for child in list(el):
                if not isinstance(child.tag, str):
                    continue
                if not skip(child):
                    visit(child, scope)
                if scope and child.tail:
                    pieces = split(child.tail)
                    if pieces:
                        place(el, child, pieces)

        visit(tree, scope)

    def block_ids(self, tree, doc_id: str) -> None:
        for n, el in enumerate(tree.iter(*BLOCKS)):
            if not el.get("id"):
                el.set("id", f"{doc_id}-b{n}")
        # a page break's id names the page it opens (``preflight.page_breaks``)
        for n, el in enumerate(tree.xpath("//div[@class='page-break']")):
            el.set("id", f"{doc_id}{PAGE_BREAK_ID}{n + 1}")

    def sanitise(self, tree, path: Path, line: int = 0, doc: Chapter | None = None) -> str:
        """The tree's HTML with nothing active left in it, every removal reported.

        Scripts and the other elements that load or run something, event handlers,
        links with other schemes than http(s): and mailto:, file attachments, CSS that
        loads anything, and SVG outside its whitelist are errors; other elements and
        attributes outside the whitelist are dropped with a warning. ``doc``: the tree is
        that chapter's body, whose lines are found by searching it (its resources and
        scripts were already reported line by line by ``check_resources``). The result
        is then run through nh3 (``sanitise.clean_html``), the sanitiser proper.
        """
        if doc is None:         # a short text: its images and math are checked here
            self.place_images(tree, path, lambda src: line)
            # (at the line that holds the formula: a table's row, a definition's second;
            # an error's source keeps its dollars)
            self.check_math(tree, path, lambda tex: formula_line(
                path, tex.strip().strip("$"), line) or line)
        places = ProblemLines(self.report, path, line, doc)
        svgs = [el for el in tree.iter("svg")]
        inside_svg = {e for svg in svgs for e in svg.iter()}    # (lxml keeps these proxies)
        for el in list(tree.iter()):
            if isinstance(el.tag, str) and el not in inside_svg and el is not tree:
                self.sanitise_element(el, places)
        for svg in svgs:
            _sanitise_svg(svg, places)
        self.set_directions(tree)
        return sanitise.clean_html(_inner(tree))

    def sanitise_element(self, el, places: ProblemLines) -> None:
        """One HTML element (not SVG's) of a tree ``sanitise`` cleans: removed if it
        loads or runs something, or is an image that may not be embedded; only its
        text kept if a book may not use it; else its attributes checked."""
        tag = el.tag.lower()
        if tag in DANGEROUS:
            if not (places.doc is not None and tag == "script"):
                places.error(f"<{tag}> is not allowed in content"
                             + (" (scripts never run)" if tag == "script" else ""), "<" + tag)
            el.drop_tree()
            return
        if tag == "img":
            # every image's src is relative to the book folder once placed, and a
            # problem with it was reported where it was placed
            if self.resource_problem(self.book.root / "x", el.get("src", "")):
                el.drop_tree()
                return
            if not (el.get("alt") or "").strip() and places.doc is None:
                places.error(f"image '{el.get('src')}' has no text alternative", "")
        elif tag not in sanitise.HTML_ELEMENTS and tag not in sanitise.MATHML_ELEMENTS:
            places.warning(f"<{tag}> is not an element a book may use; only its text is "
                           "kept", "<" + tag)
            el.drop_tag()
            return
        _sanitise_attributes(el, tag, places)

    def set_directions(self, tree) -> None:
        """Words in a language written the other way from the book's (English in a
        Hebrew book, Arabic in an English one) are set in their own direction: an element
        with such a ``lang`` and no ``dir`` gets one; in a right-to-left book, so does code. (Without it, print orders the
        inline pieces of an English phrase, its italics, a name kept whole, right to
        left: "Perlman Eliezer".)"""
        for el in tree.xpath(".//*[@lang][not(@dir)]"):
            other = _other_direction(el.get("lang"), self.book.meta.direction)
            if other:
                el.set("dir", other)
        # a citation is set in the direction of its first work's language, or of its
        # text where the work names none: "(Gutas 1998, chap. 1; Saliba 2007)" in an
        # Arabic sentence (print set its pieces, each link and text, right to left)
        for el in tree.xpath('.//span[@class="citation"][not(@dir)]'):
            around = next((a.get("dir") for a in el.iterancestors() if a.get("dir")),
                          self.book.meta.direction)
            keys = (el.get("data-cites") or "").split()
            other = _other_direction(self.ref_languages.get(keys[0]) if keys else None,
                                     around, el.text_content())
            if other:
                el.set("dir", other)
        if self.book.meta.direction == "rtl":      # code reads left to right in any book
            for el in tree.xpath(".//pre[not(@dir)] | .//code[not(@dir)]"):
                el.set("dir", "ltr")

    # -- all together ----------------------------------------------------------------------
    def run(self) -> RenderedBook:
        """The book rendered, in named steps: its Markdown gathered and converted while
        citeproc formats the citations; the targets links may lead to registered; each
        document built; the apparatus made; the links resolved and every text
        sanitised; the spine built."""
        self.index_refs: dict[tuple[str, str], list[tuple[str, str]]] = {}
        self.anchor_rank: dict[str, tuple[int, int]] = {}
        self.used_tables: set[str] = set()
        previous = double_quotes()
        self.quotes = use_quotes(self.labels.get("quotes"))   # „…“ in German, «…» in French
        try:
            texts = self.convert(self.gather())
            self.register_documents()
            built = self.render_documents(texts)
            rendered = [b.rendered for b in built]
            out = RenderedBook(book=self.book,
                               docs=[r for r in rendered if r.kind == "chapter"],
                               front=[r for r in rendered if r.kind == "front"],
                               back=[r for r in rendered if r.kind == "back"],
                               images=self.images, math=self.math_svgs,
                               figure_alts=self.figure_alts,
                               targets=self.targets, id_lines=self.id_lines)
            out.master_table = self.apparatus_targets()
            out.figures = self.strategies_figure(texts)
            self.finish_documents(built)
            self.finish_apparatus(out, texts)
            out.index = self.index_entries()
            out.spine = book_spine(out)
            return out
        finally:
            use_quotes(previous)     # the next book, or a caller, sets its own

    def gather(self) -> Texts:
        """Every Markdown text of the book, its citations tokenised (their order is
        citeproc's), waiting for conversion."""
        book = self.book
        data = book.root / "data"
        schemes_path = data / "mark_schemes.yaml"
        at = lambda item, key: at_line(item.lines, key, None, item.line)  # noqa: E731
        return Texts(
            converted=[self.convert_doc(d) for d in book.documents],
            gloss=[(e, self.md(e.definition, data / "glossary.yaml", at(e, "definition")))
                   for e in book.glossary],
            people=[(p, self.md(p.bio, data / "people.yaml", at(p, "bio")),
                     self.md(p.role, data / "people.yaml", at(p, "role"), True) if p.role else "")
                    for p in book.people],
            events=[(e, self.md(e.event, data / "timeline.yaml", at(e, "event"), True))
                    for e in book.timeline],
            notes={k: self.md(v, data / "annotations.yaml", line_of(book.annotations, k))
                   for k, v in book.annotations.items()},
            table_cells={tid: self.convert_table(t) for tid, t in book.tables.items()},
            figure_texts=self.convert_figure_texts(),
            schemes={m.id: {"id": m.id, "title": m.title, "marks": m.marks, "line": m.line,
                            "levels": [{"level": lv.level, "marks": lv.marks,
                                        "descriptor": self.md(lv.descriptor, schemes_path,
                                                              m.line, True)}
                                       for lv in m.levels]}
                     for m in book.mark_schemes},
            master_lead=self.md(book.master_table["lead"], book.root / "book.yaml",
                                book.master_table["line"], True)
            if book.master_table and book.master_table["lead"] else "")

    def convert(self, texts: Texts) -> Texts:
        """Every citation is known now: citeproc (a pandoc process) formats them while
        the Markdown is converted, in one batch."""
        failed: list[BaseException] = []
        self.linked_refs = list(dict.fromkeys([*(
            m.group(1) or m.group(2) for text, _ in self.jobs
            for m in REF_LINK.finditer(text)), *self.reading_keys]))

        def cite() -> None:
            try:
                self.resolve_citations()
            except BaseException as exc:      # raised here, not lost with the thread
                failed.append(exc)

        citing = threading.Thread(target=cite)
        citing.start()
        try:
            done = Texts(*_settle(tuple(getattr(texts, f.name) for f in fields(texts)),
                                  self.convert_markdown()))
        finally:
            citing.join()
        if failed:
            raise failed[0]
        self.table_cells = done.table_cells
        return done

    def register_documents(self) -> None:
        """The chapters' ids and titles first, so that any chapter can link to any
        other; and the ids of the apparatus the builder makes, so that an author's id
        that collides with one is reported where the author wrote it."""
        book, L = self.book, self.labels
        for d in book.documents:
            kind = "chapter" if d.kind == "chapter" else "back"
            title = title_text(d.title)
            self.register(d.id, Target(d.id, self.label("chapter_n", d.number) if d.number
                                       else title, title, kind), d.path, d.title_line)
        # (id, title, whether it is a section that links may lead to in print and in the
        # EPUB alike: the title page, copyright page and print contents are only
        # reserved; the timeline figure's target is made with the figure, below)
        self.apparatus = [
            ("master-table", book.master_table and book.master_table["title"], True),
            ("timeline", book.timeline and L["timeline"], True),
            ("fig-timeline", book.timeline and L["timeline_title"], False),
            ("key-figures", book.people and L["key_figures"], True),
            ("glossary", book.glossary and L["glossary"], True),
            ("bibliography", book.references and L["bibliography"], True),
            ("index", L["index"], True), ("contents", L["contents"], False),
            ("title-page", L["title_page"], False),
            ("copyright", L["title_page"], False)]
        self.reserved = {ident: f"the section '{title}'" for ident, title, _ in self.apparatus
                         if title}

    def render_documents(self, texts: Texts) -> list[BuiltDoc]:
        """Each document built from its converted Markdown: its tree (its sections,
        tables and figures numbered), its key terms matched to the glossary, its
        strings with their citations."""
        book = self.book
        names = nobreak.names_of(book.people)     # kept whole in headings
        built: list[BuiltDoc] = []
        # the back matter's pages are numbered together, after the language's letter
        back = Numbering(str(self.labels.get("appendix_letter") or "A"))
        # the master table and the timeline figure come before the back-matter pages in
        # print, so they take the first back-matter numbers
        self.master_label = self.timeline_label = ""
        if book.master_table:
            self.master_label = self.label("table_n", back.next_table())
        if book.timeline:
            self.timeline_label = self.label("figure_n", back.next_figure())
        for conv in texts.converted:
            d: Chapter = conv["doc"]
            numbering = Numbering(str(d.number)) if d.number else back
            tree, sections = self.build_tree(conv, numbering)
            built.append(BuiltDoc(d, tree, RenderedDoc(
                id=d.id, kind=d.kind, number=d.number, title=title_text(d.title),
                title_html=_joined(convert_inline(html.escape(d.title, quote=False)), names),
                path=d.path,
                summary_html=self.fill_tokens(conv["summary"]),
                objectives_html=[self.fill_tokens(o) for o in conv["objectives"]],
                key_terms=self.key_terms(d),
                questions=[{**q, "question": self.fill_tokens(q["question"]),
                            "answer": self.fill_tokens(q["answer"]),
                            "extract": self.fill_tokens(q["extract"]),
                            "indicative": [self.fill_tokens(x) for x in q["indicative"]],
                            "plan": [self.fill_tokens(x) for x in q["plan"]],
                            "number": i + 1,
                            "id": f"{d.id}-q{i + 1}"} for i, q in enumerate(conv["questions"])],
                sections=sections,
                label=self.label("chapter_n", d.number) if d.number else "",
                short_title=d.short_title or d.title,
                key_points_html=[self.fill_tokens(k) for k in conv["key_points"]],
                further_reading=[{"cite": _closed(self.reading_cite(r["cite"]))
                                  if r["note"] else self.reading_cite(r["cite"]),
                                  "note": self.fill_tokens(r["note"])}
                                 for r in conv["further_reading"]])))
        return built

    def key_terms(self, d: Chapter) -> list[tuple[str, str]]:
        """A document's key terms, each with the glossary entry it names ("" if none)."""
        book, out = self.book, []
        for i, term in enumerate(d.key_terms):
            # The glossary's own rule: case as written, straight and curly apostrophes alike.
            form = term.replace("\u2019", "'")
            match = next((e for e in book.glossary
                          if form in {f.replace("\u2019", "'") for f in [e.term, *e.aliases]}),
                         None)
            # (not where the glossary has errors: the term may be an entry in error)
            if match is None and book.glossary and not book.glossary_unread:
                self.report.warning(d.path, d.line("key_terms", i),
                                    f"key term '{term}' is not in the glossary (its terms "
                                    "and aliases match with case as written)")
            out.append((term, match.id if match else ""))
        return out

    def apparatus_targets(self) -> str:
        """The targets of the apparatus (the master table, the sections, the glossary's
        terms, the bibliography's entries); the master table's HTML."""
        book, L = self.book, self.labels
        master = ""
        if self.master_label:
            tid = book.master_table["table"]
            t = book.tables[tid]
            master = self.render_table(t, self.master_label)
            self.used_tables.add(tid)
            self.register(tid, Target("master-table", self.master_label, t.caption, "table"),
                          t.path, t.line)
        self.reserved = {}
        for ident, title, linkable in self.apparatus:
            if title and linkable:
                self.targets[ident] = Target(ident, title, title, "back")
        if book.timeline:
            self.targets["fig-timeline"] = Target("timeline", self.timeline_label,
                                                  L["timeline_title"], "figure")
        for e in book.glossary:
            self.register(e.id, Target("glossary", e.term, e.term, "glossary"),
                          book.root / "data" / "glossary.yaml", e.line)
        for p in book.people:           # each key figure's entry: "[](#person-NAME)"
            self.register(p.id, Target("key-figures", p.name, p.name, "person"),
                          book.root / "data" / "people.yaml", p.line)
        for key in self.cites.bibliography:
            self.targets["ref-" + key] = Target("bibliography", "", key, "ref")
        return master

    def finish(self, file: str):
        """The figures' texts, as every other text: citations formatted, Markdown
        honoured."""
        data = self.book.root / "data"
        return lambda h, line: self.clean(self.fill_tokens(h), data / file, line)

    def strategies_figure(self, texts: Texts) -> dict[str, str]:
        figs = {}
        if self.book.strategies:
            figs["strategies"] = figures.strategies_svg(
                _map_texts(texts.figure_texts["strategies"], self.finish("strategies.yaml")),
                nobreak.names_of(self.book.people))
        return figs

    def finish_documents(self, built: list[BuiltDoc]) -> None:
        """Every document's links resolved, its glossary terms and index mentions
        marked, its HTML sanitised; then its other strings, now that every target is
        known."""
        book = self.book
        names = nobreak.names_of(book.people)
        self.header_references_elsewhere(built)
        for b in built:
            d, tree, r = b.doc, b.tree, b.rendered
            self.link(tree, d, d.path)
            if d.kind in ("chapter", "back"):
                self.glossary_links(tree, d.id)
                self.index_mentions(tree, d.id)
            self.block_ids(tree, d.id)
            self.rank_anchors(tree, d)
            nobreak.join_headings(tree, names)
            r.epigraph_html, r.body_html = _leading_epigraph(
                self.sanitise(tree, d.path, d.title_line, d))
        for tid, table in book.tables.items():
            if tid not in self.used_tables and not self.book.unread:
                self.report.warning(table.path, table.line, f"table '{tid}' is never placed")
        for b in built:
            r, d = b.rendered, b.doc
            r.summary_html = self.clean(r.summary_html, d.path, d.line("summary"))
            r.objectives_html = [self.clean(o, d.path, d.line("objectives", i))
                                 for i, o in enumerate(r.objectives_html)]
            for q in r.questions:
                for name, key in (("question", "question"), ("answer", "answer"),
                                  ("extract", "source")):
                    q[name] = self.clean(q[name], d.path,
                                         at_line(q["lines"], key, None, q["line"]))
                for name in ("indicative", "plan"):
                    q[name] = [self.clean(x, d.path, at_line(q["lines"], name, i, q["line"]))
                               for i, x in enumerate(q[name])]
                # a plan whose every step the author numbered ("I. …", "II. …", "a) …")
                # prints their numbers alone, not "1. I. …"
                q["plan_numbered"] = bool(q["plan"]) and all(
                    _numbered_step(x) for x in q["plan"])
            r.key_points_html = [self.clean(k, d.path, d.line("key_points", i))
                                 for i, k in enumerate(r.key_points_html)]
            for reading in r.further_reading:
                reading["cite"] = self.clean(reading["cite"], d.path, d.title_line)
                reading["note"] = self.clean(reading["note"], d.path, d.title_line)

    def header_references_elsewhere(self, built: list[BuiltDoc]) -> None:
        """``[Heading text]`` naming a heading of another document, and none of its own,
        stays text, as in pandoc (an implicit header reference leads to a heading of its
        own document): a warning says so, with the link that leads there."""
        headings: dict[str, dict[str, str]] = {}      # label -> document -> its id
        for ident, target in self.targets.items():
            if target.kind == "section" and target.title:
                headings.setdefault(reference_label(target.title), {}).setdefault(
                    target.doc, ident)
        paths = {d.id: d.path for d in self.book.documents}
        for b in built:
            d = b.doc
            for text in b.tree.xpath(".//text()[not(ancestor::code or ancestor::pre "
                                     "or ancestor::a)]"):
                for m in re.finditer(r"\[([^\[\]]+)\]", text):
                    found = headings.get(reference_label(m.group(1)), {})
                    elsewhere = [(doc, i) for doc, i in found.items() if doc in paths]
                    # (escaped, "\[…\]", the brackets are the author's: not found so)
                    at = d.body.find(m.group(0))
                    if d.id in found or not elsewhere or at < 0 or d.body[at - 1:at] == "\\":
                        continue
                    line = d.body_line + d.body.count("\n", 0, at)
                    found = elsewhere[0]
                    where = shown(paths[found[0]])
                    self.report.warning(d.path, line, (
                        f"'{m.group(0)}' is a heading of {where}: an implicit header "
                        f"reference leads only to a heading of its own document, so it "
                        f"prints as it is; to link to it, write {m.group(0)}(#{found[1]})"))

    def finish_apparatus(self, out: RenderedBook, texts: Texts) -> None:
        """The mark schemes, the glossary, the key figures, the timeline (and its
        figure) and the bibliography, their texts finished and indexed; the warnings
        about what the book declares and never uses."""
        self.link_master_table(out)
        self.finish_apparatus_texts(out, texts)
        unmarked = [e["event"] for e in out.timeline]     # (the figure draws them so)
        self.index_apparatus(out)
        if self.book.timeline:
            self.draw_timeline(out, texts, unmarked)
        out.bibliography = self.bibliography_entries(texts.notes)
        self.warn_unused_apparatus()

    def link_master_table(self, out: RenderedBook) -> None:
        """The master table's cells' links, now that every target is known."""
        if out.master_table:
            table = self.book.tables[self.book.master_table["table"]]
            tree = _fragment(out.master_table)
            self.link(tree, None, table.path, table.line)
            out.master_table = _inner(tree)

    def finish_apparatus_texts(self, out: RenderedBook, texts: Texts) -> None:
        """The mark schemes' descriptors, the master table's lead, the glossary (in its
        order), the key figures and the timeline, their citations filled in and their
        HTML sanitised."""
        book = self.book
        data = book.root / "data"
        names = nobreak.names_of(book.people)
        for scheme in texts.schemes.values():
            for lv in scheme["levels"]:
                lv["descriptor"] = self.clean(self.fill_tokens(lv["descriptor"]),
                                              data / "mark_schemes.yaml", scheme["line"])
        out.mark_schemes = texts.schemes
        if texts.master_lead:
            out.master_lead = self.clean(self.fill_tokens(texts.master_lead),
                                         book.root / "book.yaml", book.master_table["line"])
        out.glossary = [{"id": e.id, "term": e.term,
                         "definition": self.clean(self.fill_tokens(h), data / "glossary.yaml",
                                                  e.line)}
                        for e, h in sorted(texts.gloss, key=lambda g: self.order(g[0].term))]
        out.people = [{"id": p.id, "name": nobreak.join(p.name, names),
                       "dates": nobreak.join(p.dates),
                       "role": self.clean(self.fill_tokens(role), data / "people.yaml", p.line),
                       "bio": self.clean(self.fill_tokens(h), data / "people.yaml", p.line)}
                      for p, h, role in texts.people]
        out.timeline = [{"date": standing_alone(e.label), "year": e.year, "key": e.key,
                         "event": self.clean(self.fill_tokens(h), data / "timeline.yaml", e.line)}
                        for e, h in texts.events]

    def index_apparatus(self, out: RenderedBook) -> None:
        """The timeline's events and the key figures' biographies indexed too, and each
        key figure at the head of their own entry."""
        for i, e in enumerate(out.timeline):
            e["event"] = self.mark_fragment(e["event"], "timeline", f"event-{i + 1}", (1, i))
        for i, (p, entry) in enumerate(zip(self.book.people, out.people)):
            self.index_refs.setdefault((p.index, ""), []).append(("key-figures", entry["id"]))
            self.anchor_rank[entry["id"]] = (2, i, -1)
            entry["bio"] = self.mark_fragment(entry["bio"], "key-figures", entry["id"], (2, i))

    def draw_timeline(self, out: RenderedBook, texts: Texts, unmarked: list[str]) -> None:
        """The timeline figure and its text alternative: an event's text as the list
        under it prints it (``unmarked``: without its index marks), or its short form."""
        labels = {i: unmarked[i] for i in figures.timeline_events(self.book)}
        labels.update(_map_texts(texts.figure_texts["timeline"], self.finish("timeline.yaml")))
        out.figures["timeline"] = figures.timeline_svg(self.book, labels)
        self.figure_alts["timeline"] = figures.timeline_alt(self.book, labels)

    def bibliography_entries(self, notes: dict) -> list[dict]:
        """The bibliography as citeproc ordered it, each entry with its annotation. An
        entry in a language of its own (CSL's "language") is marked so: hyphenated by
        its language, and set in its direction (an English title in a Hebrew book); an
        entry without one, in the direction of its text. An entry whose style sets its
        number apart is "labelled" (``_entry_content``)."""
        book, ann = self.book, self.book.annotations
        languages = self.ref_languages
        out = []
        for k, cited in self.cites.bibliography.items():
            entry, labelled = _entry_content(cited)
            out.append({"key": k, "id": "ref-" + k, "entry": entry,
                        "in_full": _entry_content(self.cites.in_full.get(k, ""))[0],
                        "labelled": labelled,
                        "lang": languages.get(k) or "",
                        "dir": _other_direction(languages.get(k), book.meta.direction,
                                                _fragment(cited).text_content()),
                        "note": self.clean(self.fill_tokens(notes.get(k, "")),
                                           book.root / "data" / "annotations.yaml",
                                           line_of(ann, k) if k in ann else 1)})
        return out

    def warn_unused_apparatus(self) -> None:
        """An annotation of a key the bibliography does not have, and a glossary term
        that no chapter or back-matter page uses: each a warning."""
        book, ann = self.book, self.book.annotations
        for key in ann:
            if key not in book.reference_lines and book.references:
                self.report.warning(book.root / "data" / "annotations.yaml",
                                    line_of(ann, key),
                                    f"annotation for unknown bibliography key '{key}'")
        for e in book.glossary:
            if e.id not in self.used_terms and not book.unread:
                self.report.warning(book.root / "data" / "glossary.yaml", e.line,
                                    f"glossary term '{e.term}' is never used in a chapter "
                                    "or a back-matter page")

    def rank_anchors(self, tree, doc: Chapter) -> None:
        """Where each element with an id stands in the reading order (for the order of
        the index's locators): a chapter's before the appendices, a back-matter page's
        after them."""
        part = 0 if doc.kind == "chapter" else 3
        number = next(i for i, d in enumerate(self.book.documents) if d is doc)
        for n, el in enumerate(tree.iter()):
            if isinstance(el.tag, str) and el.get("id"):
                self.anchor_rank[el.get("id")] = (part, number, n)

    def mark_fragment(self, html_text: str, doc_id: str, prefix: str, rank: tuple) -> str:
        """A text of the apparatus (a timeline event, a biography) with its index
        mentions marked and recorded under ``doc_id``, their ids starting with
        ``prefix``."""
        if not html_text:
            return html_text
        tree = _fragment(html_text)
        self.index_mentions(tree, doc_id, prefix, scope=True)
        for n, el in enumerate(tree.iter()):
            if isinstance(el.tag, str) and el.get("id"):
                self.anchor_rank.setdefault(el.get("id"), (*rank, n))
        return _inner(tree)

    @functools.cached_property
    def index_yaml(self):
        """``data/index.yaml`` as YAML with its lines (read again only for a report:
        the entries keep their own lines, not their subentries')."""
        path = self.book.root / "data" / "index.yaml"
        data = readers.read_yaml(path, Reporter(self.book.root))   # reported once, on load
        return data if isinstance(data, list) else []

    def subentry_line(self, item, n: int) -> int:
        """The line of ``item``'s ``n``-th subentry in ``data/index.yaml`` (the entry's
        line where it cannot be found)."""
        for raw in self.index_yaml:
            if isinstance(raw, dict) and raw.get("heading") == item.heading:
                subs = raw.get("subentries")
                if isinstance(subs, list) and n < len(subs):
                    return readers.line_of(subs, n, item.line)
        return item.line

    def index_entries(self) -> list[dict]:
        """The index: every heading with its locators in reading order, its subentries
        and its cross-references, in the order of the Unicode Collation Algorithm. An
        entry of ``data/index.yaml`` that nothing in the book mentions is a warning."""
        headings: dict[str, dict] = {}
        for (heading, sub), refs in self.index_refs.items():
            e = self.index_heading(headings, heading)
            if sub:
                e["subs"].setdefault(sub, []).extend(refs)
            else:
                e["refs"].extend(refs)
        self.apply_index_file(headings)
        ranked = sorted(headings.items(), key=lambda kv: self.order(kv[1]["term"]))
        # ids for the cross-references to point at
        ids: dict[str, str] = {}
        for heading, e in ranked:
            ident = "ix-" + slugify(e["term"])
            while ident in ids.values():
                ident += "-1"
            ids[heading] = ident
        return [self.index_entry(heading, e, headings, ids) for heading, e in ranked
                if e["refs"] or e["subs"] or any(n in headings for n in e["see"])]

    def index_heading(self, headings: dict[str, dict], heading: str) -> dict:
        """The entry of ``heading`` among ``headings``, made if it is not there yet (its
        HTML: the heading as inline Markdown where ``data/index.yaml`` writes it)."""
        if heading not in headings:
            markdown = heading if heading in self.index_file_headings else None
            headings[heading] = {
                "term": _strip(heading),
                "html": convert_inline(html.escape(markdown, quote=False)) if markdown
                else html.escape(heading, quote=False),
                "refs": [], "subs": {}, "see": [], "see_also": []}
        return headings[heading]

    @functools.cached_property
    def index_file_headings(self) -> set[str]:
        return {e.heading for e in self.book.index_entries}

    def apply_index_file(self, headings: dict[str, dict]) -> None:
        """``data/index.yaml``'s entries joined to ``headings``: their "see" and "see
        also" references; an entry or a subentry with forms to find that nothing
        mentions is a warning, and is left out."""
        book = self.book
        path = book.root / "data" / "index.yaml"
        for item in book.index_entries:
            found = item.heading in headings and (
                headings[item.heading]["refs"] or headings[item.heading]["subs"])
            if item.see:
                self.index_heading(headings, item.heading)["see"].append(item.see)
            elif not found and item.forms:
                # (perhaps mentioned in an unread document or table)
                if not book.unread and not book.unread_tables:
                    self.report.warning(path, item.line, f"index entry "
                                        f"'{_strip(item.heading)}' is mentioned nowhere in "
                                        "the book; it is left out")
                continue
            for n, sub in enumerate(item.subentries):
                if sub.forms and not book.unread and not book.unread_tables and \
                        sub.heading not in headings.get(item.heading, {}).get("subs", {}):
                    self.report.warning(path, self.subentry_line(item, n), f"index subentry "
                                        f"'{_strip(sub.heading)}' of '{_strip(item.heading)}' "
                                        "is mentioned nowhere in the book; it is left out")
            if item.heading in headings:
                headings[item.heading]["see_also"] += item.see_also

    def index_entry(self, heading: str, e: dict, headings: dict[str, dict],
                    ids: dict[str, str]) -> dict:
        """A heading's entry as the index prints it: its locators in reading order, its
        subentries in the index's order, its references to other headings."""
        def ordered(refs: list) -> list:
            unique = list(dict.fromkeys(refs))
            return sorted(unique, key=lambda r: self.anchor_rank.get(r[1], (9, 0, 0)))

        def refer(names: list[str]) -> list[dict]:
            return [{"term": headings[n]["term"], "html": headings[n]["html"], "id": ids[n]}
                    for n in names if n in headings]

        return {"term": e["term"], "html": e["html"], "id": ids[heading],
                "refs": ordered(e["refs"]),
                "subs": [{"term": _strip(sub), "html": convert_inline(
                              html.escape(sub, quote=False)), "refs": ordered(refs)}
                         for sub, refs in sorted(e["subs"].items(),
                                                 key=lambda kv: self.order(
                                                     _strip(kv[0]), e["term"]))],
                "see": refer(e["see"]), "see_also": refer(e["see_also"])}


def _number_heading(h, number: str, separator: str = " ") -> None:
    """A numbered heading's number before its text, in a span of its own, the language's
    ``heading_separator`` after it ("1.1 ", Japanese "1.1　")."""
    span = etree.Element("span", {"class": "secno"})
    span.text = number + separator
    span.tail = h.text
    h.text = None
    h.insert(0, span)


def _alone_in_paragraph(el) -> bool:
    """Whether ``el`` is all its paragraph holds (but white space)."""
    holder = el.getparent()
    return holder.tag == "p" and len(holder) == 1 and not (holder.text or "").strip() \
        and not (el.tail or "").strip()


def _deepest_line(doc: Chapter) -> int:
    """The line of a chapter that opens the most block quotes and list levels: where a
    text that nests too deeply, and lost its words to the HTML parser, is written."""
    lines = doc.body.split("\n")
    depth = [len(re.match(r"[>\s]*", line).group().replace(" ", "").replace("\t", "")) * 4
             + len(re.match(r"\s*", line).group()) for line in lines]
    return doc.body_line + max(range(len(lines)), key=depth.__getitem__) if lines else \
        doc.title_line


@dataclass
class ProblemLines:
    """Where ``Resolver.sanitise`` reports the problems of a text: a short text's at its
    ``line``; a chapter body's (``doc``) each at the line that writes it."""
    report: Reporter
    path: Path
    line: int
    doc: Chapter | None
    taken: dict[str, set[int]] = field(default_factory=dict)  # each needle's places used
    last: int = 0                                              # the last problem's line

    def at(self, *needles: str) -> int:
        """The line of the first needle found in the chapter (a value, else the
        element's text), or the entry's own line. A needle written more than once
        (the same attribute on two spans) is placed at its next occurrence: the tree
        is in the order of the source, so each of its problems is reported at its
        own line, not all at the first."""
        doc = self.doc
        for needle in needles:
            if doc is None or not needle or needle not in doc.body:
                continue
            found = self.places(needle)
            used = self.taken.setdefault(needle, set())
            free = [k for k in range(len(found)) if k not in used]
            k = next((k for k in free if found[k] >= self.last), free[0] if free else 0)
            used.add(k)
            self.last = found[k]
            return found[k]
        return self.line if doc is None else doc.title_line

    def places(self, needle: str) -> list[int]:
        """The line where each occurrence of ``needle`` in the chapter's body starts (a
        value may run over lines)."""
        found, line, pos = [], self.doc.body_line, 0
        for m in re.finditer(re.escape(needle), self.doc.body):
            line += self.doc.body.count("\n", pos, m.start())
            pos = m.start()
            found.append(line)
        return found

    def error(self, message: str, *needles: str) -> None:
        self.report.error(self.path, self.at(*needles), message)

    def warning(self, message: str, *needles: str) -> None:
        self.report.warning(self.path, self.at(*needles), message)


def _sanitise_attributes(el, tag: str, places: ProblemLines) -> None:
    """An HTML element's attributes that load or run something removed, each an error,
    and those a book may not use, each a warning."""
    for attr, value in list(el.attrib.items()):
        problem = sanitise.attribute_problem(tag, attr, value)
        if problem:
            places.error(problem, value if attr.lower() in ("href", "style") else attr,
                         _text(el))
            del el.attrib[attr]
        elif attr == "markdown":    # Markdown inside HTML (``mdext.markdown_in_html``)
            del el.attrib[attr]
        elif not sanitise.allowed_attribute(tag, attr):
            written = [f"{attr}={q}{value}{q}" for q in ('"', "'", "")] if value else []
            places.warning(f"attribute '{attr}' of <{tag}> is not one a book may use; it "
                           "is dropped", *written, attr + "=")
            del el.attrib[attr]


def _sanitise_svg(svg, places: ProblemLines) -> None:
    """An inline SVG with what its whitelist does not allow removed (an attribute, else
    the element), each an error, and its <style> elements (style its elements)."""
    for el, attr, message in sanitise.svg_problems(svg):
        places.error(message, el.get(attr) if attr else "<" + _svg_local(el))
        if attr:
            el.attrib.pop(attr, None)
        elif el.getparent() is not None:
            el.drop_tree()
    for style in list(svg.iter("style")):
        places.error("<style> is not allowed in inline SVG (style its elements)", "<style")
        style.drop_tree()


def _svg_local(el) -> str:
    return el.tag.rsplit("}", 1)[-1].lower()


def _number_notes_by_reference(tree) -> None:
    """Footnotes numbered, and listed, in the order the text refers to them, as pandoc
    numbers them (Python-Markdown numbers a list item's notes after the paragraphs
    that follow the list)."""
    order: list[str] = []
    refs = tree.xpath('.//a[@class="footnote-ref"]')
    for a in refs:
        target = a.get("href", "")[1:]
        if target not in order:
            order.append(target)
    for a in refs:
        a.text = str(order.index(a.get("href", "")[1:]) + 1)
    for ol in tree.xpath('.//div[@class="footnote"]/ol'):
        items = list(ol.iterchildren("li"))
        rank = {ident: i for i, ident in enumerate(order)}
        items.sort(key=lambda li: rank.get(li.get("id"), len(order)))
        for li in items:
            ol.append(li)      # moves it to the end, in the new order


def _closed(fragment: str) -> str:
    """An inline fragment (a further-reading entry's citation, set before its note) that
    ends as a sentence does: a full stop after it unless it has one (or ?, !)."""
    text = _fragment(fragment).text_content().rstrip()
    return fragment if not text or text[-1] in ".!?…" else fragment.rstrip() + "."


def _separate_adjacent_calls(tree) -> None:
    """Two note calls with nothing between them ("Anhang.¹²") would read as note 12: the
    second takes a comma before its number ("¹,²"), in the text (the EPUB) and as the
    class print's floated note carries (``fn-next``)."""
    for sup in tree.xpath('.//sup[a[@class="footnote-ref"]]'):
        before = sup.getprevious()
        if before is not None and before.tag == "sup" and \
                before.xpath('a[@class="footnote-ref"]') and not (before.tail or "").strip():
            before.tail = None
            sup.text = ","
            sup.set("class", " ".join(filter(None, [sup.get("class"), "fn-next"])))


def _table_notes(figure, table_id: str) -> None:
    """A data table's cells are each converted on their own, each with its notes in a
    list of its own: the notes go under the table, lettered a, b, c… in the order of
    their calls (as a table's notes are set), and each call links to its note."""
    calls = figure.xpath('.//a[@class="footnote-ref"]')
    if not calls:
        return

    def cell_of(el):
        return next(c for c in el.iterancestors()
                    if c.tag in ("td", "th", "caption") or c.get("class") == "table-note")

    notes = {}
    for holder in figure.xpath('.//div[@class="footnote"]'):
        cell = cell_of(holder)
        for li in holder.xpath("./ol/li[@id]"):
            notes[(cell, li.get("id"))] = li
        holder.getparent().remove(holder)
        # the cell's text was a paragraph only because the notes followed it
        paras = cell.findall("p")
        if len(paras) == 1 and len(cell) == 1 and not (cell.text or "").strip():
            paras[0].drop_tag()
            if cell.tag == "div":        # the table's note, a paragraph again
                cell.tag = "p"
    listed = etree.Element("ol", {"class": "table-notes", "type": "a"})
    for n, a in enumerate(calls):
        li = notes.get((cell_of(a), (a.get("href") or "")[1:]))
        letter = string.ascii_lowercase[n % 26] * (n // 26 + 1)
        note_id = f"{table_id}-note-{letter}"
        sup = a.getparent()
        if sup.tag == "sup":
            sup.attrib.pop("id", None)
        a.attrib.clear()
        a.set("class", "table-note-ref")
        a.set("href", "#" + note_id)
        a.text = letter
        if li is None:
            continue
        for back in li.xpath('.//a[@class="footnote-backref"]'):
            back.drop_tree()
        li.attrib.clear()
        li.set("id", note_id)
        listed.append(li)
    if len(listed):
        figure.append(listed)


def _map_texts(value, fn):
    """``value`` with every (html, line) pair in it replaced by ``fn(html, line)``."""
    if isinstance(value, tuple):
        return fn(*value)
    if isinstance(value, list):
        return [_map_texts(v, fn) for v in value]
    if isinstance(value, dict):
        return {k: _map_texts(v, fn) for k, v in value.items()}
    return value


def _strip(text: str) -> str:
    return re.sub(r"[*_`]", "", text)


@functools.lru_cache(maxsize=16)
def _collator(language: str):
    """ICU's collator for a BCP 47 language tag: CLDR's order for the language (Polish
    "ł" after "l", Swedish "å ä ö" after "z", Spanish "ñ" after "n"…), the root order
    for a language CLDR does not tailor (English, German) or a tag ICU cannot read."""
    import icu
    try:
        locale = icu.Locale.forLanguageTag(language)
    except icu.ICUError:
        locale = icu.Locale(language.split("-")[0])
    return icu.Collator.createInstance(locale)


@functools.lru_cache(maxsize=8192)
def _sort_key(term: str, language: str = "") -> tuple:
    """Index and glossary order: the Unicode Collation Algorithm's as CLDR tailors it for
    the book's language (``_collator``), so that "Ärger" files under A and "Éclair" under
    E where the language has no letters of its own for them; leading punctuation is
    ignored."""
    text = re.sub(r"^[^\w]+", "", term)
    return _collator(language).getSortKey(text), term


def render_book(book: Book, report: Reporter, memo: Memo | None = None,
                salt: str = "") -> RenderedBook:
    """The book as HTML, ready for the writers. ``memo`` keeps Markdown conversions and
    citeproc's output for the next build; ``salt`` is what they depend on besides their
    input (the engine's code)."""
    return Resolver(book, report, memo, salt).run()


# the apparatus sections, with the label of their title and the data file they print:
# those before the back-matter pages, and those after them
APPARATUS_BEFORE = (("master-table", "master_table", None, None),
                    ("timeline", "timeline", "timeline", "data/timeline.yaml"),
                    ("key-figures", "people", "key_figures", "data/people.yaml"))
APPARATUS_AFTER = (("glossary", "glossary", "glossary", "data/glossary.yaml"),
                   ("bibliography", "bibliography", "bibliography", None))


def book_spine(rb: RenderedBook) -> list[SpineEntry]:
    """The book in reading order, once for every output: the chapters, the apparatus
    before the back matter (the master table, the timeline, the key figures), the
    back-matter pages, the apparatus after them (the glossary, the bibliography), the
    index and the teacher edition's answer key. Only the sections the book has."""
    book, labels = rb.book, rb.labels
    shorts = {d.id: d.short_title for d in book.documents if d.short_title}

    def doc_entry(d: RenderedDoc, i: int) -> SpineEntry:
        chapter = d.kind == "chapter"
        return SpineEntry(d.id, "doc", d.title, "chapter" if chapter else "back",
                          d.path, number=d.number if chapter else None, label=d.label,
                          short_title=shorts.get(d.id, ""), doc_index=i,
                          title_html=_contents_html(_fragment(d.title_html)),
                          sections=[s for s in d.sections if s["level"] == 2 and s["listed"]]
                          if chapter else [])

    def apparatus(table) -> list[SpineEntry]:
        out = []
        for ident, kind, label, data in table:
            if not getattr(rb, kind):
                continue
            if kind == "master_table":
                title = book.master_table["title"]
                found = book.tables.get(book.master_table.get("table"))
                source = found.path if found is not None else book.root / "book.yaml"
            else:
                title = labels[label]
                source = (book.bibliography_path if kind == "bibliography" else
                          book.root / data if data else None) or book.root / "book.yaml"
            out.append(SpineEntry(ident, kind, title, "back", source))
        return out

    spine = [doc_entry(d, i) for i, d in enumerate(rb.docs)]
    spine += apparatus(APPARATUS_BEFORE)
    spine += [doc_entry(d, len(rb.docs) + i) for i, d in enumerate(rb.back)]
    spine += apparatus(APPARATUS_AFTER)
    if rb.index:
        spine.append(SpineEntry("index", "index", labels["index"], "back",
                                book.root / "book.yaml", part=False))
    if any(d.questions for d in rb.docs + rb.back):
        spine.append(SpineEntry("answer-key", "answers", labels["answer_key"], "back",
                                book.root / "book.yaml", part=False, teacher=True))
    return spine
