"""Load a content folder into the :class:`~studyguide.model.Book` model.

``book.yaml`` gives the metadata and the chapter order; chapters are read with
``readers.read_markdown``; tables, glossary, timeline, people and annotations are YAML
data files; the bibliography is CSL-JSON or BibTeX. Every problem is reported with its
file and line, and loading goes on so that independent problems surface together.
"""
from __future__ import annotations

import difflib
import hashlib
import re
import unicodedata
from pathlib import Path

from . import labels as labels_mod
from . import figures, paths, schema
from .errors import Reporter, shown
from .model import (Book, Chapter, Extract, GlossaryEntry, IndexEntry, Level, MarkScheme,
                    Metadata, Person, Question, Reading, Table, TimelineEvent)
from .readers import (CURLY_NOT_QUOTES, CURLY_QUOTES, LineDict, LineList, Refused, line_of,
                      read_confined, read_json, read_markdown, read_text, read_yaml)
from .schema import FORMATS, PAPER_SIZES  # noqa: F401  (the CLI's choices)


def slugify(text: str) -> str:
    """An id or file name from a text: ASCII letters, digits and hyphens, accents
    stripped from Latin letters ("Éruption" gives "eruption"), as pandoc's
    ``ascii_identifiers`` does. A text with no ASCII letter or digit (Arabic, Hebrew,
    Greek...) gets one from its letters' hash, so that two such headings or terms do
    not share an id."""
    text = "".join(c for c in unicodedata.normalize("NFKD", text)
                   if not unicodedata.combining(c))
    text = re.sub(r"[^\w\s-]", "", text.lower(), flags=re.UNICODE)
    text = re.sub(r"[\s_]+", "-", text.strip())
    ascii_only = re.sub(r"[^a-z0-9-]", "", text)
    if re.search(r"[a-z0-9]", ascii_only) or not re.search(r"\w", text):
        return ascii_only or "x"
    return "u" + hashlib.sha256(text.encode("utf-8")).hexdigest()[:10]


def _inside(root: Path, rel: str) -> Path | None:
    path = (root / rel).resolve()
    try:
        path.relative_to(root.resolve())
    except ValueError:
        return None
    return path


def book_language(root: Path) -> str | None:
    """The language book.yaml names, read without reporting anything (the workers load
    its hyphenation patterns while the book is read); None if it names none."""
    data = read_yaml(root / "book.yaml", Reporter(root), "book")
    language = data.get("language") if isinstance(data, dict) else None
    return language.strip() or None if isinstance(language, str) else None


# keys of book.yaml that only the outputs' metadata and look depend on: a book read
# without one of them at fault (its default taken) renders as it would with it
METADATA_KEYS = frozenset({
    "subtitle", "kicker", "authors", "editors", "translators", "publisher", "series",
    "edition", "date", "identifier", "isbn", "keywords", "licence", "license",
    "description", "paper", "csl", "nocite", "outputs", "labels", "stylesheet",
    "templates"})


def load_metadata(root: Path, report: Reporter) -> tuple[Metadata | None, dict, frozenset]:
    """``book.yaml``, validated against ``schema.BookConfig``: the metadata, the YAML
    mapping (its lines place later problems) and the keys at fault (empty if it was free
    of problems; ``""`` for a problem of the file, such as a key given twice).

    With a problem in an optional key, the metadata is made without that key (every
    problem reported), so that the rest of the book is still checked in the same run;
    ``None`` if even that cannot be made."""
    path = root / "book.yaml"
    reported = len(report.errors)
    data = read_yaml(path, report, "book")
    if data is None and len(report.errors) > reported:
        return None, {}, frozenset({""})   # unreadable or malformed, and reported
    if not isinstance(data, dict):
        found = "an empty file" if data is None else \
            "a list" if isinstance(data, list) else "a single value"
        report.error(path, 1, "book.yaml must be a YAML mapping of the book's settings "
                     f"(title:, language:, chapters: ...), not {found}")
        return None, {}, frozenset({""})
    faults = {""} if len(report.errors) > reported else set()
    config = schema.validate(schema.BookConfig, data, path, report, partial=True)
    language = data.get("language") if isinstance(data.get("language"), str) else ""
    overrides = data.get("labels") if isinstance(data.get("labels"), dict) else None
    before = len(report.errors)
    labels = labels_mod.for_book(config.language if config else language, overrides, path,
                                 line_of(data, "labels"), report)
    # a label in error keeps its default, which the rest of the book can be checked with
    reported += len(report.errors) - before
    if config is None:
        return None, data, frozenset(faults | {""})
    bad = schema.bad_keys(schema.BookConfig, data)
    faults |= bad
    if bad:                      # the rest of the loading reads only the good keys
        good = LineDict({k: v for k, v in data.items() if k not in bad})
        good.line, good.key_lines = data.line, data.key_lines
        data = good
    isbn = config.isbn or schema.Isbns()
    meta = Metadata(
        title=config.title, language=config.language, subtitle=config.subtitle,
        kicker=config.kicker, authors=config.authors, editors=config.editors,
        translators=config.translators, keywords=config.keywords,
        publisher=config.publisher, series=config.series.name if config.series else "",
        series_number=config.series.number if config.series else "",
        edition=config.edition or "1", date=config.date, identifier=config.identifier,
        isbn_print=isbn.print, isbn_epub=isbn.epub,
        licence=config.licence or config.license, description=config.description,
        paper=config.paper, csl=config.csl or "chicago-author-date",
        outputs=list(dict.fromkeys(config.outputs)), labels=labels,
        english_labels=labels_mod.in_english(config.language, overrides))
    if not meta.identifier:
        meta.identifier = f"urn:isbn:{meta.isbn_epub}" if meta.isbn_epub else \
            "urn:studyguide:" + slugify(meta.title)
    if len(report.errors) > reported and not faults:
        faults.add("")
    return meta, data, frozenset(faults)


def load_chapter(path: Path, cid: str, number: int | None, kind: str,
                 report: Reporter) -> Chapter | None:
    """A chapter, back-matter page or CHANGELOG.md: its front matter validated against
    ``schema.FrontMatter``, its body kept with the line it starts on."""
    src = read_markdown(path, report)
    if src is None:
        return None
    meta = src.meta
    # partial: a chapter with a bad key is still read (the build fails on the error), so
    # that its other keys are checked against the rest of the book in the same run
    fm = schema.validate(schema.FrontMatter, meta, path, report, meta.line or 1,
                         partial=True)
    if not src.body.strip():
        report.error(path, src.body_line, "empty chapter: no body text after the front matter")
    if fm is None or not src.body.strip():
        return None
    questions = [Question(q.type, q.question, q.answer, line, marks=q.marks,
                          source=Extract(q.source.text, q.source.cite) if q.source else None,
                          indicative=list(q.indicative), plan=list(q.plan), scheme=q.scheme,
                          lines=_text_lines(raw, ("question", "answer", "source", "scheme",
                                                  "marks"), ("indicative", "plan"))
                          | _text_lines(raw.get("source"), ("cite",), ()))
                 for q, line, raw in _good_items(schema.QuestionSpec, meta.get("questions"))]
    for q in questions:
        if q.source:
            check_cite(q.source.cite, path, q.lines.get("cite", q.line), report)
    readings = [Reading(r.cite, r.note, line) for r, line, _ in
                _good_items(schema.ReadingSpec, meta.get("further_reading"))]
    return Chapter(
        id=cid, number=number, path=path, title=fm.title, body=src.body,
        body_line=src.body_line, summary=fm.summary, objectives=list(fm.objectives),
        key_terms=list(fm.key_terms), questions=questions, kind=kind,
        title_line=line_of(meta, "title"), short_title=fm.short_title,
        key_points=list(fm.key_points),
        further_reading=readings,
        lines=_text_lines(meta, ("summary",), ("objectives", "key_points", "key_terms")))


def check_cite(cite: str, path: Path, line: int, report: Reporter) -> None:
    """A source's ``cite:`` is its citation, printed after the extract: text around a
    citation (curly quotes a word processor typed, "“[@key]”") is printed around it,
    which is a warning at its line. A source named in words, with no citation, is
    printed as written."""
    from .citations import BRACKETED, IN_TEXT
    if not (BRACKETED.search(cite) or IN_TEXT.search(cite)):
        return
    around = IN_TEXT.sub("", BRACKETED.sub("", cite)).strip()
    if around:
        curly = any(c in CURLY_QUOTES for c in around)
        report.warning(path, line, f"source cite: {cite!r} has text around its citation "
                       f"({around!r}), printed with it: cite: holds the citation alone, "
                       "as \"[@key, 25]\"" + (f" ({CURLY_NOT_QUOTES})" if curly else ""))


def _text_lines(mapping, texts: tuple, lists: tuple) -> dict:
    """The lines of a YAML mapping's ``texts`` and of each item of its ``lists``, where
    the reader kept them (a text's line is its key's, or its first below the key: one
    written as a block, ``|`` or ``>``)."""
    if not isinstance(mapping, LineDict):
        return {}
    out: dict = {}
    for key in texts:
        if key in mapping.key_lines:
            value = mapping.get(key)
            out[key] = (value.line if isinstance(value, LineDict) and value.line
                        else mapping.block_lines.get(key) or mapping.key_lines[key])
    for key in lists:
        value = mapping.get(key)
        if isinstance(value, LineList):
            out[key] = list(value.item_lines)
    return out


def _good_items(model, items) -> list[tuple]:
    """(item, line, the YAML value) for each item of a YAML list that ``model`` accepts
    (the others were reported when the whole was validated)."""
    if not isinstance(items, list):
        return []
    out = []
    for i, value in enumerate(items):
        try:
            out.append((schema.adapter(model).validate_python(value), line_of(items, i),
                        value))
        except schema.ValidationError:
            pass
    return out


def _items(path: Path, report: Reporter, model, shape: type = list, check=None):
    """A data file's items, each validated on its own against ``model`` (so that one bad
    item neither hides another's problems nor drops the good ones): (item, line, the
    YAML value) for a list file, (key, item, line, the YAML value) for a mapping file.
    ``check(key, value, line)``, if given, looks at each YAML value too, valid or not
    (so that a wrong key hides no fault of its rows)."""
    if not path.exists():
        return []
    data = read_yaml(path, report)
    if data is None:
        return []
    if not isinstance(data, shape):
        report.error(path, getattr(data, "line", 1) or 1, "this file must be a YAML "
                     + ("list (one '- ' item per entry)" if shape is list else
                        "mapping (key: value lines)"))
        return []
    out = []
    pairs = enumerate(data) if shape is list else data.items()
    for key, value in pairs:
        line = line_of(data, key)
        if shape is dict and not isinstance(key, str):
            report.error(path, line, f"a key must be a text, not {key!r}")
            continue
        if check is not None:
            check(key, value, line)
        item = schema.validate(model, value, path, report, line) if shape is list else \
            (schema.validate(dict[str, model], {key: value}, path, report, line) or {}).get(key)
        if item is not None:
            out.append((item, line, value) if shape is list else (key, item, line, value))
    return out


def load_tables(root: Path, report: Reporter) -> tuple[dict[str, Table], set[str]]:
    """The tables of tables/, by id; and the ids of those a file in error would have
    defined (``_ids_written``), whose errors are reported: a table placed, linked to or
    made the master table by one of those ids is not also "unknown"."""
    tables: dict[str, Table] = {}
    unread: set[str] = set()
    folder = root / "tables"
    if not folder.is_dir():
        return tables, unread
    for path in sorted(folder.glob("*.y*ml")):
        errors = len(report.errors)
        misshapen: set[str] = set()

        def rows_fit(tid, raw, line) -> None:
            """Each row has a cell for each column (told of a table with other faults)."""
            columns, rows = (raw.get(k) if isinstance(raw, dict) else None
                             for k in ("columns", "rows"))
            if not isinstance(columns, list) or not isinstance(rows, list):
                return
            align = raw.get("align")
            if isinstance(align, list) and len(align) != len(columns):
                report.error(path, line_of(raw, "align"),
                             f"table '{tid}': align: needs one alignment for each of its "
                             f"{len(columns)} columns, not {len(align)} (`default` for a "
                             f"column left as it is)")
                misshapen.add(tid)
            sizes = {len(row) for row in rows if isinstance(row, list)}
            if len(rows) > 1 and len(sizes) == 1 and sizes != {len(columns)} and \
                    all(isinstance(row, list) for row in rows):
                # every row agrees, the columns do not: the columns are what is wrong
                # (a heading with a comma in a [list] without quotes makes two)
                report.error(path, line_of(raw, "columns"),
                             f"table '{tid}': {len(columns)} columns, but every row has "
                             f"{sizes.pop()} cells" + (
                                 ": a heading with a comma needs quotes in the [list], as "
                                 'in ["Spain (CPI, yearly)", …]'
                                 if len(columns) > len(rows[0]) else ""))
                misshapen.add(tid)
                return
            for i, row in enumerate(rows):
                if isinstance(row, list) and len(row) != len(columns):
                    report.error(path, line_of(rows, i),
                                 f"table '{tid}': row {i + 1} has {len(row)} cells, "
                                 f"but there are {len(columns)} columns")
                    misshapen.add(tid)

        for tid, spec, line, raw in _items(path, report, schema.TableSpec, dict, rows_fit):
            if tid in tables:
                report.error(path, line, f"duplicate table id '{tid}' "
                             f"(also in {tables[tid].path.name})")
                continue
            raw_rows = raw["rows"]
            if tid not in misshapen:
                lines = _text_lines(raw, ("caption", "note"), ("columns",))
                lines["rows"] = [list(row.item_lines) for row in raw_rows
                                 if isinstance(row, LineList)]
                tables[tid] = Table(id=tid, caption=spec.caption, columns=list(spec.columns),
                                    rows=[list(r) for r in spec.rows], note=spec.note,
                                    align=list(spec.align or ()), path=path, line=line, lines=lines)
        if len(report.errors) > errors:
            unread |= _ids_written(path, report.root) - set(tables)
    return tables, unread


# a key at the margin of a YAML mapping: quoted, or plain (not a comment, a list item...)
TOP_KEY = re.compile(r"""^(?:"([^"\n]*)"|'([^'\n]*)'|([^\s#'"?:\-\[\]{}][^#\n]*?))"""
                     r"""[ \t]*:(?:\s|$)""", re.M)


def _ids_written(path: Path, root: Path) -> set[str]:
    """The keys a YAML mapping file writes at its margin (the ids it defines), read from
    its text, which need not be valid YAML; ``{"*"}`` (any id) if it cannot be read."""
    text = read_text(path, Reporter(root))
    if text is None:
        return {"*"}
    return {next(k for k in m.groups() if k is not None).strip() for m in TOP_KEY.finditer(text)}


def load_glossary(root: Path, report: Reporter) -> list[GlossaryEntry]:
    path = root / "data" / "glossary.yaml"
    ids: set[str] = set()
    return [GlossaryEntry(unique_id("gl-" + slugify(item.term), ids), item.term,
                          item.definition, list(item.aliases), line,
                          _text_lines(raw, ("definition",), ()), sort=item.sort)
            for item, line, raw in _once(_items(path, report, schema.GlossaryItem),
                                         "term", "glossary term", path, report)]


def load_timeline(root: Path, report: Reporter, labels: dict) -> list[TimelineEvent]:
    path = root / "data" / "timeline.yaml"
    events = [TimelineEvent(item.date, item.event, item.key, item.short, line,
                            labels_mod.format_date(labels, item.date),
                            _text_lines(raw, ("event", "short"), ()))
              for item, line, raw in _items(path, report, schema.TimelineItem)]
    events.sort(key=lambda e: figures.when(e.date))   # stable: one time keeps the file's order
    return events


def load_people(root: Path, report: Reporter) -> list[Person]:
    path = root / "data" / "people.yaml"
    ids: set[str] = set()
    return [Person(item.name, item.dates, item.role, item.bio, index=item.index or item.name,
                   aliases=list(item.aliases), line=line,
                   lines=_text_lines(raw, ("role", "bio"), ()), sort=item.sort,
                   id=unique_id("person-" + slugify(item.name), ids))
            for item, line, raw in _once(_items(path, report, schema.PersonItem),
                                         "name", "key figure", path, report)]


def _once(items, key: str, what: str, path: Path, report: Reporter):
    """The items of a data file whose ``key`` (a term, a name) no item before gave;
    each one that gives it again is an error at its line."""
    seen: dict[str, int] = {}
    for item, line, raw in items:
        value = getattr(item, key)
        if value in seen:
            report.error(path, line, f"duplicate {what} '{value}' (first at line "
                         f"{seen[value]})")
            continue
        seen[value] = line
        yield item, line, raw


def unique_id(ident: str, taken: set[str]) -> str:
    """``ident``, or with ``-1``, ``-2``… after it, as a second heading of the same text
    gets: two names or terms whose ids would be the same (Vietnamese "Phủ" and "Phú",
    one word but for its tone mark, are both "phu") keep ids of their own."""
    n, out = 0, ident
    while out in taken:
        n += 1
        out = f"{ident}-{n}"
    taken.add(out)
    return out


def _plain(markdown: str) -> str:
    """A heading as plain words: without the marks of emphasis."""
    return re.sub(r"[*_`]", "", markdown)


def load_index(root: Path, report: Reporter, people: list[Person],
               glossary: list[GlossaryEntry]) -> list[IndexEntry]:
    """``data/index.yaml``: index entries beyond the people and the glossary terms (which
    are indexed by themselves), with subentries, "see" and "see also". An entry whose
    heading is a person's index heading or a glossary term adds to that entry."""
    path = root / "data" / "index.yaml"
    entries: list[IndexEntry] = []
    seen: dict[str, int] = {}
    refer_lines: dict[tuple[str, str], int] = {}     # (heading, "see"/"see_also"): its line
    for item, line, raw in _items(path, report, schema.IndexItem):
        for key in ("see", "see_also"):
            refer_lines.setdefault((item.heading, key), line_of(raw, key, line))
        if item.heading in seen:
            report.error(path, line, f"duplicate index heading '{item.heading}' "
                         f"(first at line {seen[item.heading]})")
            continue
        seen[item.heading] = line
        default = [] if item.see else [_plain(item.heading)]
        entries.append(IndexEntry(
            item.heading, list(item.forms if item.forms is not None else default),
            [IndexEntry(sub.heading, list(sub.forms if sub.forms is not None
                                          else [_plain(sub.heading)]), line=line,
                        sort=sub.sort)
             for sub in item.subentries],
            see=item.see, see_also=list(item.see_also), line=line, sort=item.sort))
    known = set(seen) | {p.index for p in people} | {g.term for g in glossary}
    # with people.yaml or glossary.yaml in error, some headings are missing: a "see"
    # to one of them would only repeat that error
    # (a diagnostic's path is as ``errors.shown`` writes it)
    sources = {shown(root / "data" / name) for name in ("people.yaml", "glossary.yaml")}
    if any(d.path in sources for d in report.errors):
        return entries
    for entry in entries:
        for key, names in (("see", [entry.see] if entry.see else []),
                           ("see_also", entry.see_also)):
            parted = set()       # a heading with a comma, parted by an unquoted list
            for a, b in zip(names, names[1:]):
                if a not in known and b not in known and f"{a}, {b}" in known:
                    parted |= {a, b}
                    report.error(path, refer_lines.get((entry.heading, key), entry.line),
                                 f"'{a}' and '{b}' are no index headings: '{a}, {b}' is "
                                 f"one; quote it in the list, as in [\"{a}, {b}\"] (a "
                                 "comma parts the items of a list)")
            for name in names:
                if name in known or name in parted:
                    continue
                close = difflib.get_close_matches(name, list(known), 1, 0.8)
                report.error(path, refer_lines.get((entry.heading, key), entry.line),
                             f"'{name}' is no index heading (an entry of index.yaml, a "
                             "person's index heading or a glossary term)" +
                             (f": did you mean '{close[0]}'?" if close else ""))
    return entries


def load_annotations(root: Path, report: Reporter) -> LineDict:
    """``data/annotations.yaml``: bibliography key to note, each note's line kept."""
    path = root / "data" / "annotations.yaml"
    out = LineDict()
    out.line, out.key_lines = 1, {}
    for key, note, line, _ in _items(path, report, schema.RequiredMarkdown, dict):
        out[key] = note
        out.key_lines[key] = line
    return out


def load_strategies(root: Path, report: Reporter) -> dict | None:
    """``data/strategies.yaml``, validated; the YAML mapping itself is kept (its lines
    place the diagram's texts)."""
    path = root / "data" / "strategies.yaml"
    if not path.exists():
        return None
    data = read_yaml(path, report)
    if data is None:
        return None
    if not isinstance(data, dict):
        report.error(path, getattr(data, "line", 1) or 1,
                     "this file must be a YAML mapping (key: value lines)")
        return None
    return data if schema.validate(schema.Strategies, data, path, report) else None


# the id of an item of a YAML list, written as "- id: x", "  id: x" or "{id: x, ...}"
ITEM_ID = re.compile(r"""(?:^[ \t]*(?:-[ \t]+)?|[{,][ \t]*)id[ \t]*:[ \t]+["']?([^\s"',}#]+)""",
                     re.M)


def load_mark_schemes(root: Path, report: Reporter) -> tuple[list[MarkScheme], set[str]]:
    """The mark schemes; and the ids of those with errors, read from the file's text
    (``{"*"}``, any id, if it cannot be read): a question that names one of them is not
    also given an unknown scheme, its scheme's errors being reported."""
    path = root / "data" / "mark_schemes.yaml"
    schemes: dict[str, MarkScheme] = {}
    errors = len(report.errors)
    for item, line, _ in _items(path, report, schema.MarkSchemeItem):
        if item.id in schemes:
            report.error(path, line, f"duplicate mark scheme id '{item.id}' (first at line "
                         f"{schemes[item.id].line})")
            continue
        schemes[item.id] = MarkScheme(item.id, item.title, item.marks,
                                      [Level(lv.level, lv.marks, lv.descriptor)
                                       for lv in item.levels], line)
        check_bands(schemes[item.id], path, report)
    unread: set[str] = set()
    if len(report.errors) > errors:
        text = read_text(path, Reporter(root))
        unread = {"*"} if text is None else set(ITEM_ID.findall(text)) - set(schemes)
    return list(schemes.values()), unread


BAND = re.compile(r"\s*(\d+)(?:\s*[-\u2010-\u2015\u2212]\s*(\d+))?\b")


def check_bands(scheme: MarkScheme, path: Path, report: Reporter) -> None:
    """A scheme's levels as a marker reads them: highest first, each band a number or a
    range ("10–12"), the bands apart and without a gap between them, the top band ending
    at the scheme's marks. Each fault a warning at the scheme's line, every fault of the
    scheme at once: two levels compared where both bands are read, the top band being
    the highest level's."""
    def say(message: str) -> None:
        report.warning(path, scheme.line, f"mark scheme '{scheme.id}': {message}")

    bands = []             # (level, marks, low, high), None for a band that cannot be read
    for lv in scheme.levels:
        m = BAND.match(lv.marks)
        low, high = (int(m.group(1)), int(m.group(2) or m.group(1))) if m else (0, 0)
        if m is None:
            say(f"level {lv.level}'s marks '{lv.marks}' are not a number or a range "
                "such as 10–12")
        elif low > high:
            say(f"level {lv.level}'s band {lv.marks} runs downwards")
        bands.append((lv.level, lv.marks, low, high) if m and low <= high else None)
    # each readable band with the next readable one (a band that cannot be read between
    # them is its own fault, and leaves no gap to report)
    read = [(k, band) for k, band in enumerate(bands) if band is not None]
    for (k, one), (j, other) in zip(read, read[1:]):
        (level, marks, low, _), (next_level, next_marks, _, next_high) = one, other
        if next_level >= level or next_high >= low:
            say(f"the levels must be highest first, their bands apart: level {level} "
                f"({marks}) is followed by level {next_level} ({next_marks})")
        elif next_high + 1 < low and j == k + 1:
            gap = f"{next_high + 1}" if next_high + 2 == low else f"{next_high + 1}–{low - 1}"
            say(f"no level gives {gap} marks (between level {level}'s {marks} and level "
                f"{next_level}'s {next_marks})")
    top = max(zip([lv.level for lv in scheme.levels], bands), key=lambda x: x[0],
              default=(0, None))[1]
    if scheme.marks is not None and top is not None and top[3] != scheme.marks:
        say(f"its top band ({top[1]}) does not end at its marks ({scheme.marks})")


def load_references(path: Path, report: Reporter) -> tuple[list[dict], dict[str, int]]:
    """CSL-JSON (``.json``) or BibTeX (``.bib``), with the line of each key."""
    text = read_text(path, report, "bibliography")
    if text is None:
        return [], {}
    lines: dict[str, int] = {}
    if path.suffix == ".bib":
        from .citations import bibtex_references
        pattern = re.compile(r"^\s*@\w+\s*\{\s*([^,\s]+)\s*,", re.M)
        keys = [(m.group(1), text[: m.start()].count("\n") + 1) for m in pattern.finditer(text)]
        refs = bibtex_references(text, path, report)
        if refs is None:
            return [], {}
    else:
        refs = read_json(path, report)
        if refs is None:
            return [], {}
        if not isinstance(refs, list) or not all(isinstance(r, dict) for r in refs):
            report.error(path, 1, "a CSL-JSON bibliography must be a list of objects")
            return [], {}
        keys = []
        for ref in refs:
            key = str(ref.get("id", ""))
            m = re.search(r'"id"\s*:\s*"' + re.escape(key) + '"', text)
            keys.append((key, text[: m.start()].count("\n") + 1 if m else 1))
    seen: dict[str, int] = {}
    for key, line in keys:
        if not key:
            report.error(path, line, "a bibliography entry has no id")
        elif key in seen:
            report.error(path, line, f"duplicate bibliography key '{key}' "
                         f"(first at line {seen[key]})")
        else:
            seen[key] = line
    lines.update(seen)
    return refs, lines


def load_nocite(raw: dict, book: Book, book_yaml: Path, report: Reporter) -> list[str]:
    """``nocite:`` in book.yaml (validated by the schema into a list of keys): entries
    listed in the bibliography though never cited; ``"@*"`` lists every entry."""
    value = raw.get("nocite")
    if value is None:
        return []
    keys = schema.adapter(schema.Nocite).validate_python(value)
    for key in keys:
        if key != "*" and book.references and key not in book.reference_lines:
            report.error(book_yaml, line_of(raw, "nocite"),
                         f"nocite: unknown bibliography key '{key}'")
    return ["*"] if "*" in keys else list(dict.fromkeys(keys))


def nearest_file(root: Path, rel: str, pattern: str = "*.md") -> tuple[str, bool] | None:
    """The file of the book (matching ``pattern``) whose path is nearest to ``rel``, a
    path not found, and whether the two differ only in case ("02-militarism.md" for
    "02-Militarism.md", "images/Alliance Map.PNG" for "images/alliance map.png", as a
    Windows author types them); None if none is near."""
    names = sorted(p.relative_to(root).as_posix() for p in root.rglob(pattern)
                   if p.is_file() and not any(part.startswith(".") for part in
                                              p.relative_to(root).parts))
    wanted = Path(rel).as_posix()
    same = [n for n in names if n.casefold() == wanted.casefold()]
    close = same or difflib.get_close_matches(wanted, names, 1, 0.8)
    return (close[0], bool(same)) if close else None


def _nearest_file(root: Path, rel: str, meant: set[str]) -> str:
    """For a chapter file not found: the nearest Markdown file as a hint, added to
    ``meant``; "" if none is near."""
    found = nearest_file(root, rel)
    if found is None:
        return ""
    meant.add(found[0])
    return f" (did you mean '{found[0]}'?" + (" The case of a file name counts.)"
                                               if found[1] else ")")


def unlisted(root: Path, raw: dict, report: Reporter, meant: set[str]) -> None:
    """A Markdown file in chapters/ or back/ that neither ``chapters:`` nor
    ``back_matter:`` lists is left out of the book: a warning at the key's line, naming
    the file (a chapter written and never added to book.yaml is missing from every
    output, and nothing else would say so). Not one that a listed name not found was
    near (``meant``: its error names it), nor one listed in another case (where the
    file system ignores case, it is the file read)."""
    listed = {str(root / name).casefold() for name in meant}
    for key in ("chapters", "back_matter"):
        value = raw.get(key)
        for rel in value if isinstance(value, list) else []:
            if isinstance(rel, str) and (path := _inside(root, rel.strip())):
                listed.add(str(path).casefold())
    for folder, key in (("chapters", "chapters"), ("back", "back_matter")):
        for path in sorted((root / folder).glob("*.md")):
            if path.is_file() and not path.name.startswith(".") and \
                    str(path.resolve()).casefold() not in listed:     # (not an editor's)
                report.warning(root / "book.yaml",
                               line_of(raw, key, line_of(raw, "chapters")),
                               f"{folder}/{path.name} is not listed in book.yaml, and is "
                               f"left out of the book: list it under {key}: to print it")


# a key of book.yaml at the margin that lists documents, and an item of its list
DOCUMENTS_KEY = re.compile(r"^(chapters|back_matter)[ \t]*:[ \t]*(?:#.*)?$")
LIST_ITEM = re.compile(r"""^[ \t]*-[ \t]+(?:"([^"]*)"|'([^']*)'|([^#]*?))[ \t]*(?:#.*)?$""")


def listed_in_text(text: str) -> LineDict:
    """The ``chapters:`` and ``back_matter:`` lists of a book.yaml that is not valid
    YAML, read line by line from its text (a block list, its items indented with spaces
    or tabs), each item's line kept: the mapping ``load_book`` reads them from."""
    out = LineDict()
    out.line, out.key_lines = 1, {}
    key = None
    for number, line in enumerate(text.split("\n"), 1):
        if m := DOCUMENTS_KEY.match(line):
            key = m.group(1)
            out[key] = LineList()
            out[key].line, out[key].item_lines = number, []
            out.key_lines[key] = number
        elif key and (m := LIST_ITEM.match(line)):
            out[key].append(next(g for g in m.groups() if g is not None))
            out[key].item_lines.append(number)
        elif key and line.strip() and not line.lstrip().startswith("#"):
            key = None          # the next key: the list has ended
    return out


def load_book(root: Path, report: Reporter, partial: bool = False) -> Book | None:
    """Read the whole content folder; ``None`` if book.yaml has a problem (all of the
    book's problems reported all the same). With ``partial``, a book whose book.yaml has
    problems only in keys the content does not depend on (``METADATA_KEYS``: a date, a
    paper size, an ISBN...) is returned all the same, for the content to be rendered
    and checked in the same run."""
    root = root.resolve()
    if not (root / "book.yaml").exists():
        report.error(root / "book.yaml", 0, "no book.yaml in the content folder")
        return None
    meta, raw, faults = load_metadata(root, report)
    book_yaml = root / "book.yaml"

    # book.yaml that does not parse lists its documents all the same: read from its text,
    # they are checked too (their front matter), so that its one slip (a tab) does not
    # hide their problems until it is mended
    guessed = not raw and (root / "book.yaml").is_file()
    if guessed:
        raw = listed_in_text(read_text(book_yaml, Reporter(root)) or "")

    def documents(key: str, kind: str) -> list[Chapter]:
        out = []
        listed = raw.get(key) or []
        if not isinstance(listed, list):
            report.error(book_yaml, line_of(raw, key), f"'{key}' must be a list of files")
            return out
        number = 0
        for i, rel in enumerate(listed):
            line = line_of(listed, i)
            if not isinstance(rel, str) or not rel.strip():
                continue         # the schema has reported it
            if kind == "chapter":
                number += 1     # (a chapter not read keeps its number: the next keep theirs)
                cid = f"ch{number:02d}"
            else:
                cid = "bm-" + slugify(Path(str(rel)).stem)
            path = _inside(root, rel.strip())
            if guessed and (path is None or not path.is_file()):
                continue        # a list read from text: a line it misread is no error
            if path is None or not path.exists():
                report.error(book_yaml, line, f"{rel}: outside the content folder"
                             if path is None else f"{rel}: chapter file not found"
                             + _nearest_file(root, rel.strip(), meant))
                unread.append(root / rel.strip())
                continue
            chapter = load_chapter(path, cid, number if kind == "chapter" else None, kind, report)
            if chapter:
                out.append(chapter)
            else:
                unread.append(path)
        return out

    # listed documents not read, their errors reported: what they would have held (ids
    # linked to, terms, tables and entries used) is not reported missing from the others
    unread: list[Path] = []
    meant: set[str] = set()     # the files a name not found was near (named in its error)

    chapters = documents("chapters", "chapter")
    if not raw.get("chapters") and meta is not None and not (faults and
                                                             "chapters" in raw.key_lines):
        report.error(book_yaml, line_of(raw, "chapters"), "the book lists no chapters")
    back = documents("back_matter", "back")
    if not guessed and not faults:
        # (with a list at fault its files are unknown, and with any other error the author
        # is told of book.yaml's first: its lists may be what they are still writing)
        unlisted(root, raw, report, meant)
    # the data files are checked even when book.yaml is unusable: every problem at once
    tables, unread_tables = load_tables(root, report)
    errors = len(report.errors)
    glossary = load_glossary(root, report)
    glossary_unread = len(report.errors) > errors
    errors = len(report.errors)
    timeline = load_timeline(root, report, meta.labels if meta else labels_mod.defaults("en"))
    timeline_unread = len(report.errors) > errors
    errors = len(report.errors)
    people = load_people(root, report)
    people_unread = len(report.errors) > errors
    annotations = load_annotations(root, report)
    strategies = load_strategies(root, report)
    mark_schemes, unread_schemes = load_mark_schemes(root, report)
    if meta is None:
        return None

    book = Book(root=root, meta=meta, chapters=chapters, back_matter=back, tables=tables,
                glossary=glossary, timeline=timeline, people=people,
                annotations=annotations, strategies=strategies, mark_schemes=mark_schemes,
                unread=unread, unread_tables=unread_tables, glossary_unread=glossary_unread,
                timeline_unread=timeline_unread, people_unread=people_unread)
    book.index_entries = load_index(root, report, people, glossary)
    book.master_table = load_master_table(raw, book_yaml, book, report)
    bib = raw.get("bibliography")
    if bib:
        path = _inside(root, str(bib))
        if path is None:
            report.error(book_yaml, line_of(raw, "bibliography"),
                         f"{bib}: outside the content folder")
        else:
            book.bibliography_path = path
            errors = len(report.errors)
            book.references, book.reference_lines = load_references(path, report)
            book.bibliography_unread = len(report.errors) > errors
            if path.suffix == ".bib" and book.references:
                book.bibtex = read_text(path, report)
    changelog = root / "CHANGELOG.md"
    if changelog.exists():
        book.changelog = load_chapter(changelog, "changes", None, "front", report)
    book.nocite = load_nocite(raw, book, book_yaml, report)
    check_apparatus(book, report, unread_schemes)
    csl = paths.find_csl(root, meta.csl)
    if csl is None:
        bundled = ", ".join(sorted(p.stem for p in paths.CSL_DIR.glob("*.csl")))
        report.error(book_yaml, line_of(raw, "csl"),
                     f"unknown citation style '{meta.csl}' (bundled: {bundled}; or the "
                     "path of a .csl file in the book folder)")
    else:
        from .citations import load_style
        book.style = load_style(csl, root, report)
    sheet = raw.get("stylesheet")
    if sheet:
        found = paths.find_stylesheet(root, str(sheet))
        if found is None:
            report.error(book_yaml, line_of(raw, "stylesheet"), f"unknown stylesheet '{sheet}'")
        elif check_stylesheet(found, report):
            book.stylesheet_path = found
    book.fonts = load_fonts(root, raw, report)
    folder = raw.get("templates")
    if folder:
        path = _inside(root, str(folder))
        if path is None or not path.is_dir():
            report.error(book_yaml, line_of(raw, "templates"),
                         f"unknown template folder '{folder}' (not a folder inside the book)")
        elif check_templates(path, report):
            book.templates_dir = path
    # a book.yaml with a problem was read without the keys at fault, only to find every
    # other problem: it is not rendered, which would report their consequences too, but
    # where only metadata is at fault (and ``partial``), which has none
    return book if not faults or partial and faults <= METADATA_KEYS else None


def load_master_table(raw: dict, path: Path, book: Book, report: Reporter) -> dict | None:
    """``master_table:`` (its form checked by the schema): one of the book's tables
    printed as an appendix of its own, after the chapters, with a title and a lead."""
    spec = raw.get("master_table")
    if spec is None:
        return None
    spec = schema.MasterTable.model_validate(spec)
    if spec.table not in book.tables:
        if book.table_unread(spec.table):
            return None         # its file's errors are reported
        report.error(path, line_of(raw["master_table"], "table", line_of(raw, "master_table")),
                     f"master_table: unknown table '{spec.table}' (no such id in tables/)")
        return None
    return {"table": spec.table, "title": spec.title, "lead": spec.lead,
            "line": line_of(raw["master_table"], "lead", line_of(raw, "master_table"))}


def check_apparatus(book: Book, report: Reporter,
                    unread_schemes: set[str] = frozenset()) -> None:
    """What the schema cannot see alone: further reading names entries of the
    bibliography, and a question's mark scheme is one of data/mark_schemes.yaml (a
    question that names none gets the scheme whose id is its type, if there is one) or
    one of ``unread_schemes``, whose errors are reported."""
    by_id = {s.id: s for s in book.mark_schemes}
    schemes = set(by_id)
    for doc in book.documents:
        for reading in doc.further_reading:
            if reading.cite not in book.reference_lines and not book.bibliography_unread:
                report.error(doc.path, reading.line, f"further_reading: unknown bibliography "
                             f"key '{reading.cite}'" + ("" if book.references else
                                                        " (the book has no bibliography)"))
        for q in doc.questions:
            if q.scheme and q.scheme not in schemes:
                if q.scheme in unread_schemes or "*" in unread_schemes:
                    continue
                known = ", ".join(sorted(schemes)) or "none: data/mark_schemes.yaml is absent"
                report.error(doc.path, q.lines.get("scheme", q.line),
                             f"unknown mark scheme '{q.scheme}' (the "
                             f"schemes of data/mark_schemes.yaml: {known})")
            elif not q.scheme and q.type in schemes:
                q.scheme = q.type
            scheme = by_id.get(q.scheme)
            if scheme and scheme.marks is not None and q.marks is None:
                q.marks = scheme.marks      # printed with its question, as the key has it
            elif scheme and scheme.marks is not None and q.marks is not None and \
                    q.marks != scheme.marks:
                report.warning(doc.path, q.lines.get("marks", q.line),
                               f"this question carries {q.marks} marks, but its mark "
                               f"scheme '{scheme.id}' is for {scheme.marks} (data/"
                               f"mark_schemes.yaml:{scheme.line})")


def load_fonts(root: Path, raw: dict, report: Reporter) -> list:
    """The font files a book brings (``fonts:``), each inside the book folder."""
    from .fonts import FONT_SUFFIXES, read_font
    listed = raw.get("fonts") or []
    book_yaml = root / "book.yaml"
    if not isinstance(listed, list):
        report.error(book_yaml, line_of(raw, "fonts"), "'fonts' must be a list of font files")
        return []
    out = []
    for i, rel in enumerate(listed):
        line = line_of(listed, i, line_of(raw, "fonts"))
        path = _inside(root, str(rel))
        if path is None:
            report.error(book_yaml, line, f"font '{rel}' is outside the book folder")
        elif not path.is_file():
            report.error(book_yaml, line, f"font '{rel}': no such file in the book folder")
        elif path.suffix.lower() not in FONT_SUFFIXES:
            report.error(book_yaml, line, f"font '{rel}' is not an OpenType or TrueType "
                         "font (.otf or .ttf)")
        else:
            try:    # through the sandbox, at its own limit (a whole CJK face is large)
                data = read_confined(path, [root], "font")
                out.append(read_font(path, path.relative_to(root).as_posix(), data, root))
            except Refused as exc:
                report.error(book_yaml, line, f"font '{rel}': {exc}")
            except ValueError as exc:
                report.error(book_yaml, line, f"font '{rel}' {exc}")
    return out


def check_stylesheet(path: Path, report: Reporter) -> bool:
    """A book's stylesheet may style, but not fetch: no url(), @import or @font-face."""
    text = read_text(path, report, "stylesheet")
    if text is None:
        return False
    from .sanitise import css_problems
    problems = css_problems(text)
    for line, what in problems:
        report.error(path, line, f"a book stylesheet may not load anything ({what}; url(), "
                     "@import and @font-face are not allowed)")
    return not problems


def check_templates(folder: Path, report: Reporter) -> bool:
    """Every override must have the name of a built-in template, stay inside the book
    (a symlink out of it is refused) and compile in the sandbox the writers use."""
    from jinja2 import TemplateSyntaxError

    from .theme import sandbox
    env = sandbox()
    ok = True
    for path in sorted(folder.rglob("*")):
        if path.is_dir() and not path.is_symlink():
            continue
        rel = path.relative_to(folder)
        if not (paths.TEMPLATES / rel).is_file():
            report.error(path, 0, f"unknown template '{rel}' (the theme has no such template "
                         "to override)")
            ok = False
            continue
        text = read_text(path, report, "template")
        if text is None:
            ok = False
            continue
        try:
            env.parse(text)
        except TemplateSyntaxError as exc:
            report.error(path, exc.lineno or 0, f"template error: {exc.message}")
            ok = False
    return ok
