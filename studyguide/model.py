"""The document model: one ``Book`` that every writer reads.

Nothing here knows about HTML, PDF or EPUB; the loader fills it from the content
folder and the writers read it (through ``resolve``, which renders it once).
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any


@dataclass
class Metadata:
    title: str
    language: str
    subtitle: str = ""
    kicker: str = ""              # a short line above the title on the title pages
    authors: list[str] = field(default_factory=list)
    editors: list[str] = field(default_factory=list)
    translators: list[str] = field(default_factory=list)
    publisher: str = ""
    series: str = ""
    series_number: str = ""
    edition: str = "1"
    date: dt.date = dt.date(2000, 1, 1)
    identifier: str = ""
    isbn_print: str = ""          # the printed book's ISBN
    isbn_epub: str = ""           # the EPUB's ISBN
    keywords: list[str] = field(default_factory=list)
    licence: str = ""
    description: str = ""
    paper: str = "A4"             # the declared print edition: the EPUB's page source
    csl: str = "chicago-author-date"
    outputs: list[str] = field(default_factory=lambda: ["pdf", "epub"])
    labels: dict = field(default_factory=dict)   # interface strings (``labels``)
    # the labels printed in English in a book of another language (``labels.in_english``)
    english_labels: frozenset = frozenset()

    @property
    def timestamp(self) -> dt.datetime:
        return dt.datetime.combine(self.date, dt.time(0, 0), tzinfo=dt.timezone.utc)

    @property
    def title_kicker(self) -> str:
        """The kicker as the title pages print it: none where the title or subtitle
        begins with it ("A Study Guide" above "A Study Guide to …")."""
        kicker = self.kicker.casefold()
        if kicker and (self.title.casefold().startswith(kicker)
                       or (self.subtitle or "").casefold().startswith(kicker)):
            return ""
        return self.kicker

    @property
    def direction(self) -> str:
        return self.labels.get("direction", "ltr")

    @property
    def date_text(self) -> str:
        """The edition date written out in the book's language."""
        from .labels import format_date
        return format_date(self.labels, self.date.isoformat())

    @property
    def contributors(self) -> list[tuple[str, str]]:
        """Everyone named on the title page: (name, MARC relator code)."""
        return ([(a, "aut") for a in self.authors] + [(e, "edt") for e in self.editors]
                + [(t, "trl") for t in self.translators])

    @property
    def pdf_info(self) -> list[tuple[str, str]]:
        """The PDF's document-information entries beyond title, author, subject and
        keywords (WeasyPrint's custom metadata; also written into its XMP)."""
        series = f"{self.series}, {self.series_number}" if self.series_number else self.series
        return [(name, value) for name, value in (
            ("Editor", "; ".join(self.editors)), ("Translator", "; ".join(self.translators)),
            ("Publisher", self.publisher), ("Series", series),
            ("ISBN", self.isbn_print), ("Identifier", self.identifier),
            ("Rights", self.licence)) if value]

    @property
    def print_source(self) -> str:
        """The identifier of the printed student edition whose pages the EPUB marks."""
        if self.isbn_print:
            return f"urn:isbn:{self.isbn_print}"
        return f"{self.identifier}:print-student-{self.paper}"


@dataclass
class Extract:
    """A source question's extract: a short exact quotation and its citation."""
    text: str
    cite: str


def at_line(lines: dict, key: str, item: int | None, default: int) -> int:
    """A line from a ``lines`` mapping: of ``key``'s text, or of its ``item``-th entry."""
    found = lines.get(key)
    if isinstance(found, list):
        return found[item] if item is not None and item < len(found) else default
    return found or default


@dataclass
class Question:
    type: str                     # recall | analysis | source | essay
    question: str
    answer: str
    line: int
    marks: int | None = None
    source: Extract | None = None             # only (and always) for type "source"
    indicative: list[str] = field(default_factory=list)   # teacher material
    plan: list[str] = field(default_factory=list)         # teacher material
    scheme: str = ""              # a MarkScheme's id; "" when none applies
    # the line of each text ("question", "answer", "source"), and of each item of a list
    # ("indicative", "plan"), where the item says so; else ``line``
    lines: dict = field(default_factory=dict)


@dataclass
class Reading:
    """An item of a chapter's further reading: a bibliography key and a note on it."""
    cite: str
    note: str
    line: int = 0


@dataclass
class Level:
    level: int
    marks: str                    # the band, e.g. "10–12"
    descriptor: str


@dataclass
class MarkScheme:
    id: str
    title: str
    marks: int | None
    levels: list[Level]           # highest first
    line: int = 0


@dataclass
class Chapter:
    id: str
    number: int | None  # None for unnumbered back-matter pages
    path: Path
    title: str
    body: str
    body_line: int
    summary: str = ""
    objectives: list[str] = field(default_factory=list)
    key_terms: list[str] = field(default_factory=list)
    questions: list[Question] = field(default_factory=list)
    kind: str = "chapter"  # "chapter" or "back"
    title_line: int = 1
    short_title: str = ""              # running heads and tight places; "" for the title
    key_points: list[str] = field(default_factory=list)
    further_reading: list[Reading] = field(default_factory=list)
    # the line of the front matter's "summary", and of each item of "objectives",
    # "key_points" and "key_terms"; else ``title_line``
    lines: dict = field(default_factory=dict)

    def line(self, key: str, item: int | None = None) -> int:
        """Where the front matter's ``key`` (its ``item``-th entry) is written."""
        return at_line(self.lines, key, item, self.title_line)


@dataclass
class Table:
    id: str
    caption: str
    columns: list[str]
    rows: list[list[str]]
    path: Path
    line: int
    note: str = ""
    align: list[str] = field(default_factory=list)   # each column's, or none: "default"
    # the line of "caption" and "note", of each item of "columns", and of each cell of
    # each row ("rows": a list of each row's lines); else ``line``
    lines: dict = field(default_factory=dict)

    def text_line(self, key: str, item: int | None = None, cell: int | None = None) -> int:
        """Where the table's ``key`` (its ``item``-th entry, that row's ``cell``-th
        cell) is written."""
        found = at_line(self.lines, key, item, self.line)
        if isinstance(found, list):
            return found[cell] if cell is not None and cell < len(found) else self.line
        return found


@dataclass
class GlossaryEntry:
    id: str
    term: str
    definition: str
    aliases: list[str]
    line: int
    lines: dict = field(default_factory=dict)     # the line of "definition"; else ``line``
    sort: str = ""                 # what the term is filed under, if not its own letters


@dataclass
class TimelineEvent:
    date: str
    event: str
    key: bool = False
    short: str = ""
    line: int = 0
    label: str = ""     # the date written out in the book's language: '21 January 1924'
    lines: dict = field(default_factory=dict)     # the line of "event", "short"; else ``line``

    @property
    def year(self) -> int:
        return int(self.date[:4])


@dataclass
class Person:
    name: str
    dates: str
    role: str
    bio: str
    index: str = ""                # the index heading, e.g. "Trotsky, Leon"
    aliases: list[str] = field(default_factory=list)   # forms indexed in the text
    line: int = 0
    lines: dict = field(default_factory=dict)          # the line of "role", "bio"; else ``line``
    sort: str = ""                 # what the index heading is filed under (its reading)
    id: str = ""                   # "person-NAME": its entry among the key figures


@dataclass
class IndexEntry:
    """An entry of ``data/index.yaml``: a heading, the forms of words indexed under it
    wherever they stand in the text, its subentries, and its cross-references."""
    heading: str                   # Markdown (a work's title in emphasis)
    forms: list[str] = field(default_factory=list)
    subentries: list["IndexEntry"] = field(default_factory=list)
    see: str = ""                  # the heading this one stands for (no locators of its own)
    see_also: list[str] = field(default_factory=list)
    line: int = 0
    sort: str = ""                 # what the heading is filed under (a Japanese reading)


@dataclass
class SpineEntry:
    """One piece of the book in reading order, as every output presents it: a chapter,
    a back-matter page, an apparatus section (the timeline, the glossary…), the index,
    the teacher edition's answer key. Built once (``resolve.book_spine``); the PDF
    writer typesets the body from it and prints its contents from it, the EPUB writer
    makes one content document of each entry and its navigation from it."""
    id: str                  # its anchor: the print part's name, the EPUB file's stem
    kind: str                # "doc", or the apparatus it prints: "timeline", "index"…
    title: str               # plain text
    matter: str              # "chapter" (numbered body matter) or "back"
    source: Path             # the book's file it is made from, which a failure names
    number: int | None = None
    label: str = ""          # "Chapter 3" in the book's language; "" if unnumbered
    short_title: str = ""    # the author's short title for running heads; "" if none
    doc_index: int = -1      # for "doc": its place in the rendered docs + back matter
    sections: list[dict] = field(default_factory=list)   # numbered sections, for contents
    title_html: str = ""     # the title as set (inline HTML: its italics), "" if plain
    part: bool = True        # typeset as a body part of its own (not the index, the key)
    teacher: bool = False    # in the teacher edition only (the answer key)

    @property
    def contents_entry(self) -> dict:
        """The entry as the templates' contents lists read it (``print/front.html``,
        ``epub/nav.html``): kind (chapter or back), id, number, title (and its HTML),
        sections (each with its title's HTML too)."""
        return {"kind": self.matter, "id": self.id, "number": self.number,
                "title": self.title, "html": self.title_html, "sections": self.sections}


# marks an anchor a page continues rather than starts (…): the EPUB places that page's
# marker at the block it continues
CONTINUED = "\u2026"


@dataclass
class Layout:
    """Where things fell on the printed pages of one edition: the PDF writer reads it off
    its layout, the EPUB writer places its print page markers and index locators by it."""
    labels: list[str] = field(default_factory=list)           # printed label per page
    anchors: dict[str, str] = field(default_factory=dict)     # anchor id -> page label
    page_starts: list[tuple[str, list[str]]] = field(default_factory=list)  # label, anchors top-down
    refused: list[tuple[str, str]] = field(default_factory=list)   # (URL, what)


@dataclass
class Book:
    root: Path
    meta: Metadata
    chapters: list[Chapter]
    back_matter: list[Chapter] = field(default_factory=list)
    tables: dict[str, Table] = field(default_factory=dict)
    glossary: list[GlossaryEntry] = field(default_factory=list)
    timeline: list[TimelineEvent] = field(default_factory=list)
    people: list[Person] = field(default_factory=list)
    annotations: dict[str, str] = field(default_factory=dict)
    strategies: dict[str, Any] | None = None
    references: list[dict] = field(default_factory=list)
    reference_lines: dict[str, int] = field(default_factory=dict)
    bibliography_path: Path | None = None
    bibtex: str | None = None              # a BibTeX bibliography's text, for citeproc
    nocite: list[str] = field(default_factory=list)   # keys listed though not cited; ["*"]: all
    style: Any = None                      # the CSL style (citations.Style), self-contained
    changelog: Chapter | None = None
    stylesheet_path: Path | None = None    # the book's own CSS, after the theme's
    templates_dir: Path | None = None      # the book's template overrides
    master_table: dict | None = None   # {table, title, lead, line}: a table as an appendix
    index_entries: list[IndexEntry] = field(default_factory=list)   # data/index.yaml
    fonts: list = field(default_factory=list)   # fonts.BookFont: font files of the book's own
    mark_schemes: list[MarkScheme] = field(default_factory=list)   # data/mark_schemes.yaml
    unread: list[Path] = field(default_factory=list)   # listed documents with errors
    bibliography_unread: bool = False   # it has errors: keys are not known "unknown"
    glossary_unread: bool = False       # its errors are reported: a term is not "missing"
    timeline_unread: bool = False       # data/timeline.yaml has errors, reported
    people_unread: bool = False         # data/people.yaml has errors, reported
    # the ids of the tables a file of tables/ with errors would have defined ("*": any)
    unread_tables: set[str] = field(default_factory=set)

    def table_unread(self, ident: str) -> bool:
        """Whether ``ident`` may be a table that a file in error (its errors reported)
        would have defined: a reference to it is not to an unknown table."""
        return ident in self.unread_tables or "*" in self.unread_tables

    def apparatus_unread(self, ident: str) -> bool:
        """Whether ``ident`` may be an id that a data file in error (its errors reported)
        would have made: its section's (``glossary``, ``key-figures``, ``timeline``), its
        figure's or an entry's (``gl-term``, ``person-name``). A file with a YAML syntax
        error gives no entry, and so no section either; one with an entry in error lacks
        that entry's id. A link to it is not to a missing id."""
        return bool(
            self.glossary_unread and (ident == "glossary" or ident.startswith("gl-")) or
            self.people_unread and (ident == "key-figures" or ident.startswith("person-")) or
            self.timeline_unread and ident in ("timeline", "fig-timeline") or
            self.bibliography_unread and ident == "bibliography")

    @property
    def documents(self) -> list[Chapter]:
        """Every Markdown document in reading order."""
        return self.chapters + self.back_matter + ([self.changelog] if self.changelog else [])
