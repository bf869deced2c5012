"""The one schema of a book's configuration: ``book.yaml``, the front matter of chapters
and back-matter pages, and every data file.

Each file is described by a pydantic model; the loader validates what PyYAML read
against it and turns every validation error into a ``path:line: error:`` at the line of
the YAML node it concerns (the readers keep each key's and item's line, front matter
offset into its Markdown file). Every problem of a file is reported in one run.

The reference tables of ``docs/authoring.md`` are generated from these models::

    python -m studyguide.schema --docs      # rewrite the tables in docs/authoring.md
    python -m studyguide.schema --check     # exit 1 if they differ from the schema

so the documentation and the validation cannot drift apart.
"""
from __future__ import annotations

import datetime as dt
import difflib
import functools
import re
import sys
import types
import typing
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import (AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field,
                      StrictBool, TypeAdapter, ValidationError, model_validator)

from .readers import COLON_IN_TEXT, CURLY_NOT_QUOTES, CURLY_QUOTES, OctalInt, line_of

PAPER_SIZES = ("A4", "Letter")
FORMATS = ("pdf", "epub")
QUESTION_TYPES = ("recall", "analysis", "source", "essay")
# a year of one to four digits (ISO's four, or its number without their zeros)
DATE_RE = re.compile(r"^\d{1,4}(-\d{2}(-\d{2})?)?$")


# -- value types ------------------------------------------------------------------------
@dataclass(frozen=True)
class Doc:
    """How a value type is named in the documentation's tables (and in the plural)."""
    text: str
    plural: str = ""


def _scalar_text(value: Any) -> Any:
    """A number written where a text is expected (``edition: 2``, a year in a table cell)
    is that text; anything else is left for the type check (a list, a mapping, true)."""
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return str(value)
    return value


def _strip(value: str) -> str:
    return value.strip()


def _not_empty(value: str) -> str:
    if not value:
        raise ValueError("must not be empty")
    return value


Text = Annotated[str, BeforeValidator(_scalar_text), AfterValidator(_strip), Doc("text", "texts")]
Markdown = Annotated[str, BeforeValidator(_scalar_text), AfterValidator(_strip),
                     Doc("Markdown text", "Markdown texts")]
Required = Annotated[str, BeforeValidator(_scalar_text), AfterValidator(_strip),
                     AfterValidator(_not_empty), Doc("text", "texts")]
RequiredMarkdown = Annotated[str, BeforeValidator(_scalar_text), AfterValidator(_strip),
                             AfterValidator(_not_empty), Doc("Markdown text", "Markdown texts")]
FilePath = Annotated[str, AfterValidator(_strip), AfterValidator(_not_empty),
                     Doc("path in the book folder", "paths in the book folder")]


def _one_or_list(value: Any) -> Any:
    if isinstance(value, (str, int, float)) and not isinstance(value, bool):
        return [value]
    return value


Names = Annotated[list[Required], BeforeValidator(_one_or_list),
                  Doc("list of texts (one may stand alone)")]


def _language(value: str) -> str:
    if not re.fullmatch(r"[A-Za-z]{2,3}(-[A-Za-z0-9]{1,8})*", value):
        raise ValueError(f"'language' must be a BCP 47 language tag such as en, en-GB or "
                         f"de, not {value!r}")
    return value


Language = Annotated[str, AfterValidator(_strip), AfterValidator(_language),
                     Doc("language tag (BCP 47)")]


def paper_size(value: Any) -> str | None:
    """The paper size a name stands for, in any case ("letter", "a4"); None if none."""
    if not isinstance(value, str):
        return None
    return next((size for size in PAPER_SIZES if size.lower() == value.strip().lower()), None)


def _paper(value: Any) -> Any:
    size = paper_size(value)
    if size is None:
        shown = value if isinstance(value, str) else _kind(value)
        raise ValueError(f"unknown paper size {shown!r} (use one of: "
                         f"{', '.join(PAPER_SIZES)})")
    return size


Paper = Annotated[str, BeforeValidator(_paper), Doc("`A4` or `Letter` (any case)")]


def _date(value: Any) -> Any:
    """``date: 2026-11-22`` (read by YAML as a date) or the same text in quotes; a
    number is not a date (pydantic would read it as seconds since 1970)."""
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, (dt.date, str)):
        return value
    raise ValueError(f"must be a date written YYYY-MM-DD, not {_shown(value)}")


Date = Annotated[dt.date, BeforeValidator(_date), Doc("date YYYY-MM-DD")]


def _partial_date(value: Any) -> Any:
    """A date as ISO writes it (its year in four digits: "0762", "0762-05"), from a
    year of one to four digits (``762``), a month or a day."""
    if isinstance(value, dt.datetime):
        value = value.date()
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, OctalInt):
        digits = value.written.replace("_", "").lstrip("+-").lstrip("0") or "0"
        raise ValueError(f"date {value.written} is read by YAML as the octal number "
                         f"{int(value)}: quote a year with a leading zero "
                         f"(\"{value.written}\") or write it without ({digits})")
    value = _scalar_text(value)
    if not isinstance(value, str) or not DATE_RE.match(value.strip()):
        raise ValueError("date must be a year (YYYY, or fewer digits: 762), YYYY-MM or "
                         f"YYYY-MM-DD, not {_shown(value)}")
    year, _, rest = value.strip().partition("-")
    value = year.zfill(4) + ("-" + rest if rest else "")
    parts = value.split("-")
    try:
        if len(parts) == 3:
            dt.date.fromisoformat(value)
        elif len(parts) == 2:
            dt.date(int(parts[0]), int(parts[1]), 1)
    except ValueError as exc:
        raise ValueError(f"{value!r} is not a date of the calendar: {exc}") from None
    return value


PartialDate = Annotated[str, BeforeValidator(_partial_date),
                        Doc("date YYYY (a year of fewer digits too: 762), YYYY-MM or "
                            "YYYY-MM-DD")]


def _positive(value: Any) -> Any:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ValueError(f"must be a positive whole number, not {_shown(value)}")
    return value


Positive = Annotated[int, BeforeValidator(_positive), Doc("positive whole number")]
Flag = Annotated[StrictBool, Doc("`true` or `false`")]


def _isbn(value: str) -> str:
    from stdnum import isbn as isbn_check
    from stdnum.exceptions import ValidationError as Invalid
    if value:
        try:
            isbn_check.validate(value)
        except Invalid as exc:
            raise ValueError(f"'{value}' is not a valid ISBN: {exc.message}") from None
    return value


Isbn = Annotated[str, BeforeValidator(_scalar_text), AfterValidator(_strip),
                 AfterValidator(_isbn), Doc("ISBN (check digit checked)")]


def _nocite(value: Any) -> Any:
    """pandoc's string form, ``"@a, @b"`` or ``"@*"``, as a list of keys."""
    if isinstance(value, str):
        return re.findall(r"@?([^\s,;@]+)", value)
    if isinstance(value, list):
        return [v.strip().lstrip("@") if isinstance(v, str) else v for v in value]
    return value


Nocite = Annotated[list[Required], BeforeValidator(_nocite),
                   Doc("list of bibliography keys, or `'@*'`")]


class Section(BaseModel):
    """A mapping of known keys; any other key is an error. A key with no value
    (``subtitle:``) is a key not given: its default, or missing if it is required."""
    model_config = ConfigDict(extra="forbid", frozen=True)

    @model_validator(mode="before")
    @classmethod
    def _empty_is_absent(cls, data: Any) -> Any:
        if isinstance(data, dict):
            return {k: v for k, v in data.items() if v is not None or k not in cls.model_fields}
        return data


# -- book.yaml ----------------------------------------------------------------------------
def _series_name(value: Any) -> Any:
    return {"name": value} if isinstance(value, (str, int, float)) and \
        not isinstance(value, bool) else value


class Series(Section):
    """``series:`` in ``book.yaml``: a name alone, or this mapping."""
    name: Required = Field(description="the series' name")
    number: Text = Field("", description="the book's number in the series")


def _isbn_both(value: Any) -> Any:
    return {"print": value, "epub": value} if isinstance(value, (str, int)) and \
        not isinstance(value, bool) else value


class Isbns(Section):
    """``isbn:`` in ``book.yaml``: one ISBN for both formats, or this mapping."""
    print: Isbn = Field("", description="the printed book's ISBN (PDF metadata, the "
                                        "EPUB's page source)")
    epub: Isbn = Field("", description="the EPUB's own ISBN (a `dc:identifier`)")


class MasterTable(Section):
    """``master_table:`` in ``book.yaml``: one of the book's tables printed as an
    appendix of its own."""
    table: Required = Field(description="its id in `tables/` (chapters link to it as usual)")
    title: Required = Field(description="the appendix's title")
    lead: Markdown = Field("", description="a paragraph printed under the title")


Labels = Annotated[dict[str, Any], Doc("mapping of label names to texts")]


class BookConfig(Section):
    """``book.yaml``: a mapping of the book's metadata, its files and its settings."""
    title: Required = Field(description="the book's title")
    subtitle: Text = Field("", description="a line under the title")
    kicker: Text = Field("", description="a short line above the title (title pages, cover)")
    authors: Names = Field([], description="`dc:creator`, role `aut`")
    editors: Names = Field([], description="`dc:contributor`, role `edt` (\"Edited by ...\")")
    translators: Names = Field([], description="`dc:contributor`, role `trl` "
                                               "(\"Translated by ...\")")
    publisher: Text = Field("", description="the publisher's name")
    series: Annotated[Series | None, BeforeValidator(_series_name),
                      Doc("name, or mapping (`name`, `number`)")] = Field(
        None, description="the series the book belongs to (`belongs-to-collection`)")
    language: Language = Field(description="the book's language; chooses the interface "
                                           "strings (see *Interface strings and languages*)")
    edition: Text = Field("1", description="the edition")
    date: Date = Field(dt.date(2000, 1, 1), description="the edition's date; also the "
                                                        "timestamp of every output")
    identifier: Text = Field("", description="the book's identifier; default: `urn:isbn:` "
                                             "of the EPUB's ISBN, else one from the title")
    isbn: Annotated[Isbns | None, BeforeValidator(_isbn_both),
                    Doc("ISBN, or mapping (`print`, `epub`)")] = Field(
        None, description="one ISBN for both formats, or one per format")
    keywords: Names = Field([], description="the PDF's and the EPUB's keywords")
    licence: Text = Field("", description="the licence (`dc:rights`)")
    license: Text = Field("", description="the same as `licence`")
    description: Text = Field("", description="one paragraph for catalogues and the EPUB")
    paper: Paper = Field("A4", description="the declared print edition, the EPUB's page "
                                           "source; `--paper` overrides it for the PDFs")
    csl: Text = Field("chicago-author-date", description="a bundled citation style by name, "
                                                         "or the path of a `.csl` file in "
                                                         "the book folder")
    bibliography: FilePath | None = Field(None, description="CSL-JSON (`.json`) or BibTeX "
                                                            "(`.bib`), in the book folder")
    nocite: Nocite = Field([], description="entries printed in the bibliography though "
                                           "never cited; `'@*'` prints every entry")
    chapters: list[FilePath] = Field([], description="the chapters' Markdown files, in "
                                                     "order (at least one)")
    back_matter: list[FilePath] = Field([], description="Markdown pages, printed after the "
                                                        "master table, the timeline and the "
                                                        "key figures, before the glossary, "
                                                        "the bibliography and the index")
    outputs: Annotated[list[Literal["pdf", "epub"]], Field(min_length=1),
                       Doc("list of `pdf`, `epub`")] = Field(
        ["pdf", "epub"], description="what a build makes; `--format` overrides it")
    master_table: MasterTable | None = Field(None, description="one table printed as an "
                                                               "appendix of its own")
    labels: Labels = Field({}, description="interface strings overriding the locale's "
                                           "(any key of `templates/locales/en.yaml`)")
    stylesheet: FilePath | None = Field(None, description="CSS of the book's own, applied "
                                                          "after the theme's")
    fonts: list[FilePath] = Field([], description="font files of the book's own (`.otf`, "
                                                  "`.ttf`)")
    templates: FilePath | None = Field(None, description="a folder of template overrides")


# -- front matter -------------------------------------------------------------------------
class Extract(Section):
    """``source:`` of a source question: the extract the question is about."""
    text: RequiredMarkdown = Field(description="a short exact quotation")
    cite: Required = Field(description="a pandoc citation for it, alone, e.g. "
                                       "`\"[@stalin1926, 25]\"` (text around the citation is "
                                       "a warning; a source named in words, with no "
                                       "citation, is printed as written)")


class QuestionSpec(Section):
    """An item of ``questions:`` in front matter: one review question."""
    type: Literal["recall", "analysis", "source", "essay"] = Field(
        "recall", description="the kind of question")
    question: RequiredMarkdown = Field(description="the question")
    answer: Markdown = Field("", description="the model answer (teacher material)")
    marks: Positive | None = Field(None, description="the marks it carries")
    source: Extract | None = Field(None, description="the extract (required for, and only "
                                                     "for, `type: source`)")
    indicative: list[Markdown] = Field([], description="indicative content of the mark "
                                                       "scheme (teacher material)")
    plan: list[Markdown] = Field([], description="an essay plan (teacher material)")
    scheme: Text = Field("", description="the id of a mark scheme in "
                                         "`data/mark_schemes.yaml`; default: the one whose "
                                         "id is the question's type, if any")

    @model_validator(mode="after")
    def _source(self):
        if self.type == "source" and self.source is None:
            raise ValueError("a source question needs 'source:' (the extract: text and cite)")
        if self.type != "source" and self.source is not None:
            raise ValueError(f"only a source question has 'source:' (this one is "
                             f"type: {self.type})")
        return self


class ReadingSpec(Section):
    """An item of ``further_reading:`` in front matter."""
    cite: Required = Field(description="a key of the bibliography (counts as cited)")
    note: Markdown = Field("", description="what the reader gets from it")


class FrontMatter(Section):
    """The front matter of a chapter, a back-matter page or ``CHANGELOG.md``: a mapping
    between ``---`` lines at the top of the file."""
    title: Required = Field(description="the chapter's title")
    short_title: Text = Field("", description="running heads and tight places; default: "
                                              "the title")
    summary: Markdown = Field("", description="a paragraph under the title")
    objectives: list[Markdown] = Field([], description="learning objectives")
    key_terms: list[Text] = Field([], description="glossary terms (or aliases) the chapter "
                                                  "introduces")
    key_points: list[Markdown] = Field([], description="printed as \"Key points\" closing "
                                                       "the chapter")
    further_reading: list[ReadingSpec] = Field([], description="printed as \"Further "
                                                               "reading\" closing the chapter")
    questions: list[QuestionSpec] = Field([], description="review questions")


# -- data files ---------------------------------------------------------------------------
class GlossaryItem(Section):
    """``data/glossary.yaml``: a list of terms, each this mapping."""
    term: Required = Field(description="the headword")
    definition: RequiredMarkdown = Field(description="the definition")
    aliases: list[Required] = Field([], description="other forms linked in running text")
    sort: Text = Field("", description="what the term is filed under, if not its own letters: the reading of a Chinese or Japanese term (`いとう ひろぶみ`)")


class PersonItem(Section):
    """``data/people.yaml``: a list of key figures, each this mapping."""
    name: Required = Field(description="the person's name")
    index: Text = Field("", description="the index heading, e.g. `Trotsky, Leon`; default: "
                                        "the name")
    aliases: list[Required] = Field([], description="other forms indexed in the text")
    sort: Text = Field("", description="what the index heading is filed under, if not its own letters: the reading of a Chinese or Japanese index heading (`いとう ひろぶみ`)")
    dates: Text = Field("", description="e.g. `1879–1940`")
    role: Markdown = Field("", description="one line on who the person was")
    bio: Markdown = Field("", description="a paragraph")


class TimelineItem(Section):
    """``data/timeline.yaml``: a list of events, each this mapping."""
    date: PartialDate = Field(description="when it happened")
    event: RequiredMarkdown = Field(description="what happened")
    key: Flag = Field(False, description="shown in the timeline figure")
    short: Markdown = Field("", description="the figure's shorter text")


class StrategyColumn(Section):
    """An item of ``columns:`` in ``data/strategies.yaml``."""
    heading: RequiredMarkdown = Field(description="the column's heading")
    steps: Annotated[list[RequiredMarkdown], Field(min_length=1)] = Field(
        description="its boxes, top to bottom")


class Strategies(Section):
    """``data/strategies.yaml``: the diagram contrasting two strategies (`figure:strategies`)."""
    title: Markdown = Field("", description="the diagram's title")
    caption: Markdown = Field("", description="its caption; default: the title")
    columns: Annotated[list[StrategyColumn], Field(min_length=1, max_length=2)] = Field(
        description="one or two columns")
    rows: list[Markdown] = Field([], description="each row's label, read across the "
                                 "columns; default: the row's number")


class IndexSubentry(Section):
    """An item of ``subentries:`` in ``data/index.yaml``."""
    heading: Required = Field(description="the subentry as the index prints it (Markdown)")
    forms: list[Required] | None = Field(None, description="the words indexed under it "
                                         "wherever they stand; default: the heading")
    sort: Text = Field("", description="what the subentry is filed under, if not its own letters: the reading of a Chinese or Japanese subentry (`いとう ひろぶみ`)")


class IndexItem(Section):
    """``data/index.yaml`` (optional): a list of index entries, each this mapping."""
    heading: Required = Field(description="the entry as the index prints it (Markdown: a "
                                          "title in emphasis)")
    forms: list[Required] | None = Field(None, description="the words indexed under it "
                                         "wherever they stand; default: the heading "
                                         "without its emphasis (none with `see:`)")
    subentries: list[IndexSubentry] = Field([], description="indented under the heading")
    see: Text = Field("", description="the heading this one stands for: no locators of "
                                      "its own")
    see_also: list[Required] = Field([], description="related headings")
    sort: Text = Field("", description="what the heading is filed under, if not its own letters: the reading of a Chinese or Japanese heading (`いとう ひろぶみ`)")


class LevelItem(Section):
    """An item of ``levels:`` in a mark scheme."""
    level: Positive = Field(description="the level's number")
    marks: Required = Field(description="its mark band, e.g. `10–12`")
    descriptor: RequiredMarkdown = Field(description="answers at this level")


class MarkSchemeItem(Section):
    """``data/mark_schemes.yaml`` (optional): a list of mark schemes, each this mapping."""
    id: Required = Field(description="what questions name in `scheme:`")
    title: Required = Field(description="the scheme's title (its `marks:` are printed after "
                            "it, \"(4 marks)\", unless the title ends with them)")
    marks: Positive | None = Field(None, description="the marks a question under it carries")
    levels: Annotated[list[LevelItem], Field(min_length=1)] = Field(
        description="its levels, highest first")


class TableSpec(Section):
    """A table: each file ``tables/*.yaml`` maps table ids (``tbl-…``) to these mappings."""
    caption: Markdown = Field("", description="the caption")
    columns: Annotated[list[Markdown], Field(min_length=1)] = Field(
        description="the column headings")
    rows: Annotated[list[list[Markdown]], Field(min_length=1)] = Field(
        description="the rows, each a list of as many cells as there are columns")
    align: list[Literal["left", "center", "right", "default"]] | None = Field(
        None, description="each column's alignment, as many as there are columns "
        "(`[default, right, right]`: figures set flush right, as a pipe table's `--:`); "
        "default: every column starts at the line's start")
    note: Markdown = Field("", description="a note under the table")


# -- validation ---------------------------------------------------------------------------
@functools.lru_cache(maxsize=None)
def adapter(model: Any) -> TypeAdapter:
    """The validator of a type, built once."""
    return TypeAdapter(model)


def _kind(value: Any) -> str:
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    if value is None:
        return "nothing"
    if isinstance(value, bool):
        return "true" if value else "false"
    return type(value).__name__


def _shown(value: Any) -> str:
    if isinstance(value, (dict, list)) or value is None or isinstance(value, bool):
        return _kind(value)
    text = repr(value if not isinstance(value, dt.date) else value.isoformat())
    return text if len(text) <= 60 else text[:57] + "...'"


EXPECTED = {
    "string_type": "a text", "int_type": "a whole number", "int_parsing": "a whole number",
    "bool_type": "true or false", "list_type": "a list", "dict_type": "a mapping",
    "model_type": "a mapping", "model_attributes_type": "a mapping",
    "date_type": "a date YYYY-MM-DD", "date_parsing": "a date YYYY-MM-DD",
    "date_from_datetime_parsing": "a date YYYY-MM-DD",
    "date_from_datetime_inexact": "a date YYYY-MM-DD",
}


def _unwrap(tp: Any) -> Any:
    """The model or container type behind Annotated and Optional."""
    while True:
        origin = typing.get_origin(tp)
        if origin is Annotated:
            tp = typing.get_args(tp)[0]
        elif origin in (typing.Union, types.UnionType):
            args = [a for a in typing.get_args(tp) if a is not type(None)]
            tp = args[0]
        else:
            return tp


def _type_at(tp: Any, loc: tuple) -> Any:
    """The type found at a location inside ``tp`` (None if it cannot be followed)."""
    for part in loc:
        tp = _unwrap(tp)
        if isinstance(tp, type) and issubclass(tp, BaseModel) and isinstance(part, str):
            field = tp.model_fields.get(part)
            if field is None:
                return None
            tp = field.annotation if not field.metadata else Annotated[
                (field.annotation, *field.metadata)]
        elif typing.get_origin(tp) is list and isinstance(part, int):
            tp = typing.get_args(tp)[0]
        elif typing.get_origin(tp) is dict:
            tp = typing.get_args(tp)[1]
        else:
            return None
    return _unwrap(tp)


def _doc_at(model: Any, loc: tuple) -> str:
    """The documented type of the field at ``loc``, if it has one."""
    if not loc or not isinstance(loc[-1], str):
        return ""
    parent = _type_at(model, loc[:-1])
    if not (isinstance(parent, type) and issubclass(parent, BaseModel)):
        return ""
    field = parent.model_fields.get(loc[-1])
    if field is None:
        return ""
    tp = field.annotation if not field.metadata else Annotated[(field.annotation,
                                                                 *field.metadata)]
    text = type_text(tp)
    return "" if text.startswith("mapping (below)") else text


def _line_at(data: Any, loc: tuple, line: int) -> int:
    """The line of the YAML node at ``loc`` (or of the nearest node above it)."""
    node = data
    for part in loc:
        if isinstance(node, dict) and part in node:
            line = line_of(node, part, line)
            node = node[part]
        elif isinstance(node, list) and isinstance(part, int) and part < len(node):
            line = line_of(node, part, line)
            node = node[part]
        else:
            break
    return line


def _name(loc: tuple) -> str:
    """``questions[3].answer`` for ('questions', 2, 'answer')."""
    out = ""
    for part in loc:
        out += f"[{part + 1}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


def _quoted(names) -> str:
    names = [f"'{n}'" for n in names]
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]


def _comma_split(data: Any, loc: tuple) -> str:
    """Why an unknown key with no value beside other keys on its line is there: in a
    mapping in braces, ``{marks: 3–4, descriptor: Good, not complete.}``, a comma ends a
    value that is not in quotes, and YAML reads the rest as a key; "" for any other."""
    parent = data
    for part in loc[:-1]:
        try:
            parent = parent[part]
        except (KeyError, IndexError, TypeError):
            return ""
    lines = getattr(parent, "key_lines", None)
    if not lines or parent.get(loc[-1], "") is not None or not any(
            k != loc[-1] and n == lines.get(loc[-1]) for k, n in lines.items()):
        return ""
    keys = list(parent)
    start = keys.index(loc[-1])
    while start > 0 and parent[keys[start]] is None:
        start -= 1
    end = start + 1
    while end < len(keys) and parent[keys[end]] is None:
        end += 1
    text = ", ".join(str(parent[keys[start]] if k == keys[start] else k)
                     for k in keys[start:end]).replace('"', '\\"')
    return (": in a mapping in braces, {…}, a comma ends a value not in quotes, and YAML "
            f"reads the text after it as a key; put the text in quotes ({keys[start]}: "
            f"\"{text}\")")


def message(error: dict, model: Any, data: Any = None) -> str:
    """One validation error in words (``data``: the YAML it was found in, which may tell
    how it came about)."""
    loc = tuple(p for p in error["loc"] if isinstance(p, (str, int)))
    kind, value = error["type"], error.get("input")
    where = _name(loc)
    subject = f"'{where}'" if where else "the value"
    if kind == "missing":
        return f"missing required field '{loc[-1]}'" + \
            (f" in '{_name(loc[:-1])}'" if len(loc) > 1 else "")
    if kind == "extra_forbidden":
        parent = _type_at(model, loc[:-1])
        known = list(parent.model_fields) if isinstance(parent, type) and \
            issubclass(parent, BaseModel) else []
        if len(loc) > 1 and known and len(known) <= 8:
            return f"'{_name(loc[:-1])}' knows only {_quoted(known)}, not " \
                   f"'{loc[-1]}'" + _comma_split(data, loc)
        close = difflib.get_close_matches(str(loc[-1]), known, 1)
        hint = f" (did you mean '{close[0]}'?)" if close else \
            f" (known keys: {', '.join(known)})" if known else ""
        return f"unknown key '{loc[-1]}'" + (f" in '{_name(loc[:-1])}'" if len(loc) > 1
                                             else "") + (_comma_split(data, loc) or hint)
    if kind == "value_error":
        text = str(error["ctx"]["error"]) if "ctx" in error else error["msg"]
        if text.startswith("must "):
            return f"{subject} {text}"
        return text
    if kind == "literal_error":
        return f"{subject} must be {error['ctx']['expected']}, not {_shown(value)}"
    if kind in ("too_short", "too_long"):
        limit = error["ctx"].get("min_length" if kind == "too_short" else "max_length")
        what = "at least" if kind == "too_short" else "at most"
        found = error["ctx"].get("actual_length")
        return f"{subject} must hold {what} {limit} item(s), not {found}"
    if kind in EXPECTED:
        doc = _doc_at(model, loc).replace("`", "")
        if doc and " or " in doc and kind in ("model_type", "dict_type", "list_type"):
            return f"{subject} must be a {doc}, not {_shown(value)}"
        if kind == "string_type" and isinstance(value, list) and len(value) == 1 and \
                loc and isinstance(loc[-1], str):
            return f"{subject} must be one {doc or 'text'}, not a list (write it without " \
                   "the [ ])"
        if kind == "string_type" and isinstance(value, dict) and len(value) == 1:
            key = next(iter(value))
            if isinstance(key, str) and key[:1] in CURLY_QUOTES:
                # “Against: …” was quoted, the author thought, with curly quotes
                return f"{subject} must be a text, not a mapping: YAML reads a colon " \
                       f"followed by a space as a key, and {CURLY_NOT_QUOTES}; put the " \
                       f"whole text in straight quotes (\"{key.lstrip(CURLY_QUOTES)}: …\")"
            return f"{subject} must be a text, not a mapping: {COLON_IN_TEXT}"
        if kind == "string_type" and (isinstance(value, bool) or value is None):
            return f"{subject} must be a text, not {_shown(value)}: YAML reads yes, no, " \
                   "on, off, true, false and null (or nothing) as such; put the text in " \
                   "quotes (\"Yes\")"
        if kind.startswith("date") and isinstance(value, str) and \
                re.fullmatch(r"\s*\d{4}-\d{1,2}-\d{1,2}\s*", value):
            return f"{subject} must be {EXPECTED[kind]}: {value!r} is not a date of the " \
                   f"calendar ({error['ctx']['error'] if 'ctx' in error else error['msg']})"
        if kind.startswith("date") and isinstance(value, str):
            # written another way ("6 dicembre 2026"): the form is what is wrong
            return f"{subject} must be {EXPECTED[kind]}, as 2026-12-06 for 6 December " \
                   f"2026, not {_shown(value)}"
        return f"{subject} must be {EXPECTED[kind]}, not {_shown(value)}"
    return f"{subject}: {error['msg']}"


def bad_keys(model: Any, data: dict) -> set:
    """The keys of a mapping whose values ``model`` refuses (unknown keys among them)."""
    try:
        adapter(model).validate_python(data)
    except ValidationError as exc:
        return {e["loc"][0] for e in exc.errors() if e["loc"] and e["type"] != "missing"}
    return set()


def validate(model: Any, data: Any, path: Path, report, line: int = 1,
             partial: bool = False) -> Any:
    """``data`` validated against ``model`` (a model class or any type); every problem
    reported at its line in ``path``; ``None`` if there was any.

    With ``partial``, a mapping whose problems lie in optional keys is validated once
    more without those keys, and what remains is returned (the problems are reported all
    the same), so that what depends on the good keys can still be checked."""
    try:
        return adapter(model).validate_python(data)
    except ValidationError as exc:
        bad = set()
        for error in exc.errors(include_url=False):
            loc = tuple(p for p in error["loc"] if isinstance(p, (str, int)))
            report.error(path, _line_at(data, loc, line), message({**error, "loc": loc},
                                                                  model, data))
            bad.add(loc[0] if loc and error["type"] != "missing" else None)
        if not partial or None in bad or not isinstance(data, dict):
            return None
        try:
            return adapter(model).validate_python(
                {k: v for k, v in data.items() if k not in bad})
        except ValidationError:
            return None


# -- documentation ------------------------------------------------------------------------
#: (marker name in docs/authoring.md, the model documented there)
SECTIONS = [
    ("book", BookConfig), ("book.series", Series), ("book.isbn", Isbns),
    ("book.master_table", MasterTable), ("front-matter", FrontMatter),
    ("front-matter.questions", QuestionSpec), ("front-matter.source", Extract),
    ("front-matter.further_reading", ReadingSpec), ("tables", TableSpec),
    ("glossary", GlossaryItem), ("people", PersonItem), ("timeline", TimelineItem),
    ("strategies", Strategies), ("strategies.columns", StrategyColumn),
    ("mark_schemes", MarkSchemeItem), ("mark_schemes.levels", LevelItem),
    ("index", IndexItem), ("index.subentries", IndexSubentry),
]


def type_text(tp: Any, plural: bool = False) -> str:
    """A value type in words, for the documentation."""
    if typing.get_origin(tp) is Annotated:
        for extra in typing.get_args(tp)[1:]:
            if isinstance(extra, Doc):
                return extra.plural if plural and extra.plural else extra.text
        return type_text(typing.get_args(tp)[0], plural)
    origin = typing.get_origin(tp)
    if origin in (typing.Union, types.UnionType):
        return " or ".join(type_text(a) for a in typing.get_args(tp) if a is not type(None))
    if origin is list:
        return ("lists of " if plural else "list of ") + \
            type_text(typing.get_args(tp)[0], plural=True)
    if origin is dict:
        return "mapping to " + type_text(typing.get_args(tp)[1])
    if origin is Literal:
        names = [f"`{a}`" for a in typing.get_args(tp)]
        return ", ".join(names[:-1]) + " or " + names[-1] if len(names) > 1 else names[0]
    if isinstance(tp, type) and issubclass(tp, BaseModel):
        return "mappings (below)" if plural else "mapping (below)"
    return {str: "text", int: "whole number", bool: "`true` or `false`"}.get(tp, str(tp))


def _default_text(field) -> str:
    if field.is_required():
        return "**required**"
    value = field.get_default(call_default_factory=True)
    if value in (None, "", [], {}):
        return "—"
    if isinstance(value, bool):
        return f"`{str(value).lower()}`"
    if isinstance(value, list):
        return "`[" + ", ".join(map(str, value)) + "]`"
    if isinstance(value, dt.date):
        return f"`{value.isoformat()}`"
    return f"`{value}`"


def table(model: type[BaseModel]) -> str:
    rows = ["| key | type | default | meaning |", "| --- | --- | --- | --- |"]
    for name, field in model.model_fields.items():
        tp = Annotated[(field.annotation, *field.metadata)] if field.metadata \
            else field.annotation
        meaning = (field.description or "").replace("|", "\\|")
        rows.append(f"| `{name}` | {type_text(tp)} | {_default_text(field)} | {meaning} |")
    return "\n".join(rows)


def labels_table() -> str:
    """The interface strings a book may override under ``labels:``: every key of the
    theme's English locale file, its English text and what its comment says."""
    from .labels import NAME_LISTS, _locale_file, placeholders
    from .paths import TEMPLATES
    english = _locale_file("en")
    notes = {}
    for line in (TEMPLATES / "locales" / "en.yaml").read_text(encoding="utf-8").splitlines():
        m = re.match(r"^(\w+):.*?\s#\s*(.+)$", line)
        if m:
            notes[m.group(1)] = m.group(2).strip()
    rows = ["| label | English | placeholders | note |", "| --- | --- | --- | --- |"]
    for key, value in english.items():
        text = (("[]" if not value else f"{len(value)} names: {value[0]} … {value[-1]}"
                 if key in NAME_LISTS else ", ".join(value))
                if isinstance(value, list) else str(value))
        # (whole: an author translating a language the theme lacks reads them here)
        names = ", ".join("`{" + n + "}`" for n in sorted(placeholders(str(value)))) \
            if isinstance(value, str) else ""
        cells = [f"`{key}`", text.replace("|", "\\|"), names or "—",
                 notes.get(key, "").replace("|", "\\|")]
        rows.append("| " + " | ".join(cells) + " |")
    return "\n".join(rows)


# the labels an author writes around, in a sentence: the words a filled-in reference gives
REFERENCE_LABELS = ("chapter_n", "section_n", "table_n", "figure_n", "page_ref")


def locale_words_table() -> str:
    """Each locale's words for what a cross-reference fills in, so that an author
    writing another language knows the noun a link gives ("la [](#sec-x)" reads "la
    paragrafo 3.3" in Italian, whose ``section_n`` is "Paragrafo {n}")."""
    from .labels import _locale_file
    from .paths import TEMPLATES
    rows = ["| locale | reference case | " + " | ".join(f"`{k}`" for k in REFERENCE_LABELS)
            + " |", "| --- | --- |" + " --- |" * len(REFERENCE_LABELS)]
    english = _locale_file("en")
    for path in sorted((TEMPLATES / "locales").glob("*.yaml")):
        words = {**english, **_locale_file(path.stem)}
        cells = [f"`{path.stem}`", str(words.get("reference_case", "label"))] + [
            str(words[k]).replace("|", "\\|") for k in REFERENCE_LABELS]
        rows.append("| " + " | ".join(cells) + " |")
    return "\n".join(rows)


def docs_region(name: str) -> str:
    if name == "locale-words":
        return ("The words a filled-in cross-reference gives in each locale (`lower`: "
                "inside a sentence with a small first letter):\n\n"
                + locale_words_table() + "\n")
    if name == "labels":
        return "The keys of `labels:` in `book.yaml` (from `templates/locales/en.yaml`):\n\n" \
            + labels_table() + "\n"
    model = next(s[1] for s in SECTIONS if s[0] == name)
    intro = " ".join((model.__doc__ or "").split()).replace("``", "`")
    return f"{intro}\n\n{table(model)}\n"


DOCS = Path(__file__).resolve().parent.parent / "docs" / "authoring.md"
_REGION = re.compile(r"(<!-- schema:(?P<name>[\w.-]+) -->\n)(.*?)(<!-- /schema:(?P=name) -->)",
                     re.S)


def render_docs(text: str) -> str:
    """``text`` with every marked region rewritten from the schema."""
    return _REGION.sub(lambda m: m.group(1) + docs_region(m.group("name")) + m.group(4), text)


def documented(text: str) -> set[str]:
    return {m.group("name") for m in _REGION.finditer(text)}


def main(argv: list[str] | None = None) -> int:
    import argparse
    p = argparse.ArgumentParser(prog="python -m studyguide.schema",
                                description="The reference tables of docs/authoring.md, "
                                            "generated from the configuration schema.")
    p.add_argument("--docs", action="store_true", help="rewrite the tables in the docs")
    p.add_argument("--check", action="store_true",
                   help="exit 1 if the docs' tables differ from the schema")
    p.add_argument("--file", type=Path, default=DOCS, help="the docs file (default: %(default)s)")
    args = p.parse_args(argv)
    text = args.file.read_text(encoding="utf-8")
    missing = ({s[0] for s in SECTIONS} | {"labels", "locale-words"}) - documented(text)
    new = render_docs(text)
    if args.docs:
        if new != text:
            args.file.write_text(new, encoding="utf-8")
    else:
        if new != text or missing:
            print(f"{args.file}: the reference tables differ from the schema"
                  + (f" (no region for: {', '.join(sorted(missing))})" if missing else "")
                  + "; run: python -m studyguide.schema --docs", file=sys.stderr)
            return 1
    if missing:
        print(f"{args.file}: no region for: {', '.join(sorted(missing))}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
