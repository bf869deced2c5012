"""Load a content folder into the :class:`~studyguide.model.Book` model.

``book.yaml`` gives the metadata and the chapter order; chapters are read with
``readers.read_markdown``; tables, glossary, timeline, people and annotations are YAML
data files; the bibliography is CSL-JSON or BibTeX. Every problem is reported with its
file and line, and loading goes on so that independent problems surface together.
"""
from __future__ import annotations

import datetime as dt
import hashlib
import re
from pathlib import Path
from typing import Any

from . import labels as labels_mod
from . import paths
from .errors import Reporter
from .model import (Book, Chapter, Extract, GlossaryEntry, Level, MarkScheme, Metadata,
                    Person, Question, Reading, Table, TimelineEvent)
from .readers import LineDict, line_of, read_json, read_markdown, read_text, read_yaml

PAPER_SIZES = {"A4", "Letter"}
FORMATS = {"pdf", "epub"}
QUESTION_TYPES = {"recall", "analysis", "source", "essay"}
DATE_RE = re.compile(r"^\d{4}(-\d{2}(-\d{2})?)?$")


def slugify(text: str) -> str:
    """An id or file name from a text: ASCII letters, digits and hyphens. A text with
    no ASCII letter or digit (Arabic, Hebrew, Greek...) gets one from its letters' hash,
    so that two such headings or terms do not share an id."""
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


def _str(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, (list, dict)):
        return ""
    return str(value).strip()


def book_language(root: Path) -> str | None:
    """The language book.yaml names, read without reporting anything (the workers load
    its hyphenation patterns while the book is read); None if it names none."""
    data = read_yaml(root / "book.yaml", Reporter(root), "book")
    return _str(data.get("language")) or None if isinstance(data, dict) else None


def load_metadata(root: Path, report: Reporter) -> tuple[Metadata | None, dict]:
    path = root / "book.yaml"
    reported = len(report.errors)
    data = read_yaml(path, report, "book")
    if data is None and len(report.errors) > reported:
        return None, {}          # unreadable or malformed, and reported
    if not isinstance(data, dict):
        found = "an empty file" if data is None else \
            "a list" if isinstance(data, list) else "a single value"
        report.error(path, 1, "book.yaml must be a YAML mapping of the book's settings "
                     f"(title:, language:, chapters: ...), not {found}")
        return None, {}
    ok = True
    for key in ("title", "language"):
        if not _str(data.get(key)):
            report.error(path, line_of(data, key), f"missing required field '{key}'")
            ok = False
    date = data.get("date", dt.date(2000, 1, 1))
    if isinstance(date, dt.datetime):
        date = date.date()
    if not isinstance(date, dt.date):
        try:
            date = dt.date.fromisoformat(str(date))
        except ValueError:
            report.error(path, line_of(data, "date"), f"date must be YYYY-MM-DD, not {date!r}")
            ok = False
    paper = _str(data.get("paper", "A4"))
    if paper not in PAPER_SIZES:
        report.error(path, line_of(data, "paper"),
                     f"unknown paper size {paper!r} (use one of: {', '.join(sorted(PAPER_SIZES))})")
        ok = False
    outputs = data.get("outputs", ["pdf", "epub"])
    if not isinstance(outputs, list) or not set(outputs) <= FORMATS:
        report.error(path, line_of(data, "outputs"), "outputs must be a list of: pdf, epub")
        ok = False
    names = {key: _names(data, key, path, report)
             for key in ("authors", "editors", "translators", "keywords")}
    series, series_number = _series(data, path, report)
    isbn_print, isbn_epub = _isbns(data, path, report)
    labels = labels_mod.for_book(_str(data.get("language")), data.get("labels"), path,
                                 line_of(data, "labels"), report)
    if not ok:
        return None, data
    meta = Metadata(
        title=_str(data["title"]), language=_str(data["language"]),
        subtitle=_str(data.get("subtitle")), kicker=_str(data.get("kicker")),
        authors=names["authors"], editors=names["editors"],
        translators=names["translators"], keywords=names["keywords"],
        publisher=_str(data.get("publisher")), series=series, series_number=series_number,
        edition=_str(data.get("edition", "1")) or "1", date=date,
        identifier=_str(data.get("identifier")), isbn_print=isbn_print, isbn_epub=isbn_epub,
        licence=_str(data.get("licence") or data.get("license")),
        description=_str(data.get("description")), paper=paper,
        csl=_str(data.get("csl", "chicago-author-date")), outputs=list(outputs),
        labels=labels)
    if not meta.identifier:
        meta.identifier = f"urn:isbn:{meta.isbn_epub}" if meta.isbn_epub else \
            "urn:studyguide:" + slugify(meta.title)
    return meta, data


def _names(data: dict, key: str, path: Path, report: Reporter) -> list[str]:
    """A list of names (or words) in book.yaml; one name may stand alone."""
    value = data.get(key)
    if value is None:
        return []
    if isinstance(value, (str, int, float)) and not isinstance(value, bool):
        value = [value]
    if not isinstance(value, list) or not all(
            isinstance(v, (str, int, float)) and str(v).strip() for v in value):
        report.error(path, line_of(data, key), f"'{key}' must be a list of texts")
        return []
    return [str(v).strip() for v in value]


def _series(data: dict, path: Path, report: Reporter) -> tuple[str, str]:
    """``series: Name`` or ``series: {name: Name, number: 3}``."""
    value = data.get("series")
    if value is None or isinstance(value, str):
        return _str(value), ""
    if isinstance(value, dict) and _str(value.get("name")) and \
            set(value) <= {"name", "number"}:
        return _str(value.get("name")), _str(value.get("number"))
    report.error(path, line_of(data, "series"),
                 "'series' must be a name or a mapping with 'name' and 'number'")
    return "", ""


def _isbns(data: dict, path: Path, report: Reporter) -> tuple[str, str]:
    """``isbn: 978-...`` (both formats) or ``isbn: {print: ..., epub: ...}``."""
    value = data.get("isbn")
    if value is None:
        return "", ""
    line = line_of(data, "isbn")
    if isinstance(value, dict):
        unknown = set(value) - {"print", "epub"}
        if unknown:
            report.error(path, line, f"'isbn' knows only 'print' and 'epub', not "
                         f"{', '.join(sorted(map(str, unknown)))}")
        found = {k: _str(value.get(k)) for k in ("print", "epub")}
    else:
        found = dict.fromkeys(("print", "epub"), _str(value))
    from stdnum import isbn as isbn_check
    from stdnum.exceptions import ValidationError
    for kind, number in found.items():
        if not number:
            continue
        try:
            isbn_check.validate(number)
        except ValidationError as exc:
            report.error(path, line_of(value, kind, line) if isinstance(value, dict) else line,
                         f"'{number}' is not a valid ISBN: {exc.message}")
            found[kind] = ""
    return found["print"], found["epub"]


def _strings(value: Any, path: Path, line: int, what: str, report: Reporter) -> list[str]:
    if value is None:
        return []
    if not isinstance(value, list) or not all(isinstance(v, (str, int, float)) for v in value):
        report.error(path, line, f"'{what}' must be a list of strings")
        return []
    return [str(v) for v in value]


def load_chapter(path: Path, cid: str, number: int | None, kind: str,
                 report: Reporter) -> Chapter | None:
    src = read_markdown(path, report)
    if src is None:
        return None
    meta = src.meta
    title = _str(meta.get("title"))
    if not title:
        report.error(path, line_of(meta, "title"), "missing required field 'title' in front matter")
    if not src.body.strip():
        report.error(path, src.body_line, "empty chapter: no body text after the front matter")
    questions = []
    qs = meta.get("questions") or []
    if not isinstance(qs, list):
        report.error(path, line_of(meta, "questions"), "'questions' must be a list")
        qs = []
    for i, q in enumerate(qs):
        line = line_of(qs, i)
        if not isinstance(q, dict) or not _str(q.get("question")):
            report.error(path, line, "each question needs a 'question' field")
            continue
        qtype = _str(q.get("type", "recall"))
        if qtype not in QUESTION_TYPES:
            report.error(path, line, "question type must be recall, analysis, source or "
                         f"essay, not {qtype!r}")
        questions.append(_question(q, qtype, path, line, report))
    if not title or not src.body.strip():
        return None
    return Chapter(
        id=cid, number=number, path=path, title=title, body=src.body, body_line=src.body_line,
        summary=_str(meta.get("summary")),
        objectives=_strings(meta.get("objectives"), path, line_of(meta, "objectives"),
                            "objectives", report),
        key_terms=_strings(meta.get("key_terms"), path, line_of(meta, "key_terms"),
                           "key_terms", report),
        questions=questions, kind=kind, title_line=line_of(meta, "title"),
        short_title=_str(meta.get("short_title")),
        key_points=_strings(meta.get("key_points"), path, line_of(meta, "key_points"),
                            "key_points", report),
        further_reading=_readings(meta.get("further_reading"), path,
                                  line_of(meta, "further_reading"), report))


# The assessment keys (format of docs/authoring.md), read plainly: their full
# validation belongs with the other front-matter checks.
def _question(q: dict, qtype: str, path: Path, line: int, report: Reporter) -> Question:
    marks = q.get("marks")
    if marks is not None and (not isinstance(marks, int) or isinstance(marks, bool)
                              or marks < 1):
        report.error(path, line_of(q, "marks", line), "'marks' must be a positive integer")
        marks = None
    source = q.get("source")
    extract = None
    if isinstance(source, dict) and _str(source.get("text")):
        extract = Extract(_str(source.get("text")), _str(source.get("cite")))
    if qtype == "source" and extract is None:
        report.error(path, line, "a source question needs 'source:' with 'text' and 'cite'")
    elif qtype != "source" and source is not None:
        report.error(path, line_of(q, "source", line), "only a source question has 'source:'")
    return Question(qtype, _str(q["question"]), _str(q.get("answer")), line, marks=marks,
                    source=extract,
                    indicative=_strings(q.get("indicative"), path, line_of(q, "indicative", line),
                                        "indicative", report),
                    plan=_strings(q.get("plan"), path, line_of(q, "plan", line), "plan", report),
                    scheme=_str(q.get("scheme")))


def _readings(value: Any, path: Path, line: int, report: Reporter) -> list[Reading]:
    if value is None:
        return []
    if not isinstance(value, list):
        report.error(path, line, "'further_reading' must be a list")
        return []
    out = []
    for i, item in enumerate(value):
        at = line_of(value, i, line)
        if not isinstance(item, dict) or not _str(item.get("cite")):
            report.error(path, at, "a further_reading entry needs 'cite' (and 'note')")
            continue
        out.append(Reading(_str(item["cite"]).lstrip("@"), _str(item.get("note")), at))
    return out


def load_mark_schemes(root: Path, report: Reporter) -> list[MarkScheme]:
    path = root / "data" / "mark_schemes.yaml"
    schemes = []
    items = _list_file(path, report)
    for i, item in enumerate(items):
        line = line_of(items, i)
        if not isinstance(item, dict) or not _str(item.get("id")):
            report.error(path, line, "a mark scheme needs an 'id'")
            continue
        levels = []
        for j, lv in enumerate(item.get("levels") or []):
            if isinstance(lv, dict):
                levels.append(Level(lv.get("level"), _str(lv.get("marks")),
                                    _str(lv.get("descriptor"))))
            else:
                report.error(path, line_of(item["levels"], j, line),
                             "a level needs 'level', 'marks' and 'descriptor'")
        marks = item.get("marks")
        schemes.append(MarkScheme(_str(item["id"]), _str(item.get("title")),
                                  marks if isinstance(marks, int) else None, levels, line))
    return schemes


def load_tables(root: Path, report: Reporter) -> dict[str, Table]:
    tables: dict[str, Table] = {}
    folder = root / "tables"
    if not folder.is_dir():
        return tables
    for path in sorted(folder.glob("*.y*ml")):
        data = read_yaml(path, report)
        if data is None:
            continue
        if not isinstance(data, dict):
            report.error(path, 1, "a table file must map table ids to tables")
            continue
        for tid, spec in data.items():
            line = line_of(data, tid)
            if tid in tables:
                report.error(path, line, f"duplicate table id '{tid}' "
                             f"(also in {tables[tid].path.name})")
                continue
            if not isinstance(spec, dict):
                report.error(path, line, f"table '{tid}' must be a mapping")
                continue
            columns = spec.get("columns")
            rows = spec.get("rows")
            if not isinstance(columns, list) or not columns:
                report.error(path, line_of(spec, "columns", line),
                             f"table '{tid}' needs a non-empty 'columns' list")
                continue
            if not isinstance(rows, list) or not rows:
                report.error(path, line_of(spec, "rows", line),
                             f"table '{tid}' needs a non-empty 'rows' list")
                continue
            good = True
            for i, row in enumerate(rows):
                if not isinstance(row, list) or len(row) != len(columns):
                    n = len(row) if isinstance(row, list) else 1
                    report.error(path, line_of(rows, i),
                                 f"table '{tid}': row {i + 1} has {n} cells, "
                                 f"but there are {len(columns)} columns")
                    good = False
            if good:
                tables[str(tid)] = Table(
                    id=str(tid), caption=_str(spec.get("caption")),
                    columns=[_str(c) for c in columns],
                    rows=[[_str(c) for c in row] for row in rows],
                    note=_str(spec.get("note")), path=path, line=line)
    return tables


def _list_file(path: Path, report: Reporter) -> list:
    if not path.exists():
        return []
    data = read_yaml(path, report)
    if data is None:
        return []
    if not isinstance(data, list):
        report.error(path, 1, "this file must be a YAML list")
        return []
    return data


def load_glossary(root: Path, report: Reporter) -> list[GlossaryEntry]:
    path = root / "data" / "glossary.yaml"
    entries, seen = [], {}
    items = _list_file(path, report)
    for i, item in enumerate(items):
        line = line_of(items, i)
        if not isinstance(item, dict) or not _str(item.get("term")) or \
                not _str(item.get("definition")):
            report.error(path, line, "a glossary entry needs 'term' and 'definition'")
            continue
        term = _str(item["term"])
        gid = "gl-" + slugify(term)
        if gid in seen:
            report.error(path, line, f"duplicate glossary term '{term}' (first at line {seen[gid]})")
            continue
        seen[gid] = line
        aliases = item.get("aliases") or []
        entries.append(GlossaryEntry(gid, term, _str(item["definition"]),
                                     [str(a) for a in aliases if str(a).strip()]
                                     if isinstance(aliases, list) else [], line))
    return entries


def load_timeline(root: Path, report: Reporter, labels: dict) -> list[TimelineEvent]:
    path = root / "data" / "timeline.yaml"
    events = []
    items = _list_file(path, report)
    for i, item in enumerate(items):
        line = line_of(items, i)
        if not isinstance(item, dict) or "date" not in item or not _str(item.get("event")):
            report.error(path, line, "a timeline entry needs 'date' and 'event'")
            continue
        date = item["date"]
        date = date.isoformat() if isinstance(date, dt.date) else _str(date)
        if not DATE_RE.match(date):
            report.error(path, line, f"date must be YYYY, YYYY-MM or YYYY-MM-DD, not {date!r}")
            continue
        events.append(TimelineEvent(date, _str(item["event"]), bool(item.get("key")),
                                    _str(item.get("short")), line,
                                    labels_mod.format_date(labels, date)))
    events.sort(key=lambda e: e.date)
    return events


def load_people(root: Path, report: Reporter) -> list[Person]:
    path = root / "data" / "people.yaml"
    people = []
    items = _list_file(path, report)
    for i, item in enumerate(items):
        if not isinstance(item, dict) or not _str(item.get("name")):
            report.error(path, line_of(items, i), "a person needs at least a 'name'")
            continue
        aliases = item.get("aliases") or []
        people.append(Person(_str(item["name"]), _str(item.get("dates")),
                             _str(item.get("role")), _str(item.get("bio")),
                             index=_str(item.get("index")) or _str(item["name"]),
                             aliases=[str(a) for a in aliases] if isinstance(aliases, list)
                             else [], line=line_of(items, i)))
    return people


def load_mapping(path: Path, report: Reporter) -> dict | None:
    if not path.exists():
        return None
    data = read_yaml(path, report)
    if data is None:
        return None
    if not isinstance(data, dict):
        report.error(path, 1, "this file must be a YAML mapping")
        return None
    return data


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
    """``nocite:`` in book.yaml: keys listed in the bibliography though never cited, as
    a list or as pandoc's string (``"@a, @b"``); ``"@*"`` lists every entry."""
    value = raw.get("nocite")
    if value is None:
        return []
    line = line_of(raw, "nocite")
    if isinstance(value, str):
        keys = re.findall(r"@?([^\s,;@]+)", value)
    elif isinstance(value, list) and all(isinstance(v, str) for v in value):
        keys = [v.strip().lstrip("@") for v in value]
    else:
        report.error(book_yaml, line, "nocite must be a list of bibliography keys, or '@*'")
        return []
    for key in keys:
        if key != "*" and book.references and key not in book.reference_lines:
            report.error(book_yaml, line, f"nocite: unknown bibliography key '{key}'")
    return ["*"] if "*" in keys else list(dict.fromkeys(keys))


def load_book(root: Path, report: Reporter) -> Book | None:
    """Read the whole content folder; ``None`` if the metadata itself is unusable."""
    root = root.resolve()
    if not (root / "book.yaml").exists():
        report.error(root / "book.yaml", 0, "no book.yaml in the content folder")
        return None
    meta, raw = load_metadata(root, report)
    book_yaml = root / "book.yaml"

    def documents(key: str, kind: str) -> list[Chapter]:
        out = []
        listed = raw.get(key) or []
        if not isinstance(listed, list):
            report.error(book_yaml, line_of(raw, key), f"'{key}' must be a list of files")
            return out
        number = 0
        for i, rel in enumerate(listed):
            line = line_of(listed, i)
            path = _inside(root, str(rel))
            if path is None:
                report.error(book_yaml, line, f"{rel}: outside the content folder")
                continue
            if not path.exists():
                report.error(book_yaml, line, f"{rel}: chapter file not found")
                continue
            if kind == "chapter":
                number += 1
                cid = f"ch{number:02d}"
            else:
                cid = "bm-" + slugify(Path(str(rel)).stem)
            chapter = load_chapter(path, cid, number if kind == "chapter" else None, kind, report)
            if chapter:
                out.append(chapter)
        return out

    chapters = documents("chapters", "chapter")
    if not raw.get("chapters") and meta is not None:
        report.error(book_yaml, line_of(raw, "chapters"), "the book lists no chapters")
    back = documents("back_matter", "back")
    if meta is None:
        return None

    book = Book(root=root, meta=meta, chapters=chapters, back_matter=back)
    book.tables = load_tables(root, report)
    book.glossary = load_glossary(root, report)
    book.timeline = load_timeline(root, report, meta.labels)
    book.people = load_people(root, report)
    book.mark_schemes = load_mark_schemes(root, report)
    ann = load_mapping(root / "data" / "annotations.yaml", report) or {}
    book.annotations = LineDict({str(k): _str(v) for k, v in ann.items()})
    book.annotations.line = 1
    book.annotations.key_lines = {str(k): line_of(ann, k) for k in ann}
    book.strategies = load_mapping(root / "data" / "strategies.yaml", report)
    book.master_table = load_master_table(raw, book_yaml, book.tables, report)
    bib = raw.get("bibliography")
    if bib:
        path = _inside(root, str(bib))
        if path is None:
            report.error(book_yaml, line_of(raw, "bibliography"),
                         f"{bib}: outside the content folder")
        else:
            book.bibliography_path = path
            book.references, book.reference_lines = load_references(path, report)
            if path.suffix == ".bib" and book.references:
                book.bibtex = read_text(path, report)
    changelog = root / "CHANGELOG.md"
    if changelog.exists():
        book.changelog = load_chapter(changelog, "changes", None, "front", report)
    book.nocite = load_nocite(raw, book, book_yaml, report)
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
    return book


def load_master_table(raw: dict, path: Path, tables: dict, report: Reporter) -> dict | None:
    """``master_table:``: one of the book's tables printed as an appendix of its own,
    after the chapters, with a title and an optional lead paragraph."""
    spec = raw.get("master_table")
    if spec is None:
        return None
    line = line_of(raw, "master_table")
    if not isinstance(spec, dict) or not _str(spec.get("table")) or \
            not _str(spec.get("title")):
        report.error(path, line, "'master_table' must be a mapping with 'table' (a table "
                     "id) and 'title' (and an optional 'lead')")
        return None
    unknown = set(spec) - {"table", "title", "lead"}
    if unknown:
        report.error(path, line, f"'master_table' knows only table, title and lead, not "
                     f"{', '.join(sorted(map(str, unknown)))}")
    tid = _str(spec["table"])
    if tid not in tables:
        report.error(path, line_of(spec, "table", line),
                     f"master_table: unknown table '{tid}' (no such id in tables/)")
        return None
    return {"table": tid, "title": _str(spec["title"]), "lead": _str(spec.get("lead"))}


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
            try:
                out.append(read_font(path, path.relative_to(root).as_posix()))
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
