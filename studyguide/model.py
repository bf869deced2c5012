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
    authors: list[str] = field(default_factory=list)
    edition: str = "1"
    date: dt.date = dt.date(2000, 1, 1)
    identifier: str = ""
    isbn: str = ""
    licence: str = ""
    description: str = ""
    paper: str = "A4"
    csl: str = "chicago-author-date"
    outputs: list[str] = field(default_factory=lambda: ["pdf", "epub"])

    @property
    def timestamp(self) -> dt.datetime:
        return dt.datetime.combine(self.date, dt.time(0, 0), tzinfo=dt.timezone.utc)


@dataclass
class Question:
    type: str
    question: str
    answer: str
    line: int


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


@dataclass
class Table:
    id: str
    caption: str
    columns: list[str]
    rows: list[list[str]]
    path: Path
    line: int
    note: str = ""


@dataclass
class GlossaryEntry:
    id: str
    term: str
    definition: str
    aliases: list[str]
    line: int


@dataclass
class TimelineEvent:
    date: str
    event: str
    key: bool = False
    short: str = ""
    line: int = 0

    @property
    def year(self) -> int:
        return int(self.date[:4])

    @property
    def label(self) -> str:
        """The date written out: '21 January 1924', 'March 1921', '1906'."""
        parts = self.date.split("-")
        months = ["January", "February", "March", "April", "May", "June", "July",
                  "August", "September", "October", "November", "December"]
        if len(parts) == 3:
            return f"{int(parts[2])} {months[int(parts[1]) - 1]} {parts[0]}"
        if len(parts) == 2:
            return f"{months[int(parts[1]) - 1]} {parts[0]}"
        return parts[0]


@dataclass
class Person:
    name: str
    dates: str
    role: str
    bio: str
    index: str = ""                # the index heading, e.g. "Trotsky, Leon"
    aliases: list[str] = field(default_factory=list)   # forms indexed in the text
    line: int = 0


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
    changelog: Chapter | None = None
    stylesheet_path: Path | None = None    # the book's own CSS, after the theme's
    templates_dir: Path | None = None      # the book's template overrides
    fonts: list = field(default_factory=list)   # fonts.BookFont: font files of the book's own

    @property
    def documents(self) -> list[Chapter]:
        """Every Markdown document in reading order."""
        return self.chapters + self.back_matter + ([self.changelog] if self.changelog else [])
