"""Interface strings: the words the theme itself prints ("Chapter 3", "Contents", "Page 2
of 5"), chosen by the book's ``language:``.

They live in ``templates/locales/LANG.yaml``. A language tag is matched whole
(``de-AT.yaml``), then by its primary subtag (``de.yaml``), then English; a locale file
that lacks a key takes it from ``en.yaml``. A book overrides any key under ``labels:`` in
its ``book.yaml``. A label may hold placeholders, ``{n}``, which the builder fills in; an
override must keep to the placeholders the key knows, and holds no other brace.
"""
from __future__ import annotations

import difflib
import functools
import string
from pathlib import Path

import yaml

from . import paths
from .errors import Reporter
from .readers import line_of

LOCALES = paths.TEMPLATES / "locales"
DIRECTIONS = {"ltr", "rtl"}


@functools.lru_cache(maxsize=16)
def _locale_file(name: str) -> dict:
    path = LOCALES / f"{name}.yaml"
    if not path.is_file():
        return {}
    return yaml.safe_load(path.read_text(encoding="utf-8")) or {}


def locale_for(language: str) -> str:
    """The locale file a language tag uses: whole tag, primary subtag, else ``en``."""
    tag = language.strip().replace("_", "-")
    for name in (tag, tag.lower(), tag.split("-")[0].lower()):
        if name and _locale_file(name):
            return name
    return "en"


def placeholders(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name}


def defaults(language: str) -> dict:
    """The theme's labels for a language, before the book's overrides."""
    return {**_locale_file("en"), **_locale_file(locale_for(language))}


def for_book(language: str, overrides, path: Path, line: int, report: Reporter) -> dict:
    """The labels of a book: its language's, with ``labels:`` from book.yaml over them.

    Every problem of the overrides is reported at its line in ``path``."""
    labels = defaults(language)
    if overrides is None:
        return labels
    if not isinstance(overrides, dict):
        report.error(path, line, "'labels' must be a mapping of label names to texts")
        return labels
    english = _locale_file("en")
    for key, value in overrides.items():
        line = line_of(overrides, key, line)
        if key not in english:
            close = difflib.get_close_matches(str(key), list(english), 1)
            report.error(path, line, f"unknown label '{key}' " + (
                f"(did you mean '{close[0]}'?)" if close else
                "(the labels are the keys of templates/locales/en.yaml)"))
            continue
        if key == "months":
            if not isinstance(value, list) or len(value) != 12 or \
                    not all(isinstance(v, str) and v.strip() for v in value):
                report.error(path, line, "label 'months' must be a list of twelve names")
                continue
            labels[key] = [v.strip() for v in value]
            continue
        if not isinstance(value, (str, int, float)) or isinstance(value, bool):
            report.error(path, line, f"label '{key}' must be a text")
            continue
        value = str(value).strip()
        if key == "direction" and value not in DIRECTIONS:
            report.error(path, line, f"label 'direction' must be ltr or rtl, not {value!r}")
            continue
        try:
            used = placeholders(value)
        except ValueError:
            used = None
        if used is None or "{{" in value or "}}" in value:
            report.error(path, line, f"label '{key}': a brace may only enclose a "
                         "placeholder, such as {n}")
            continue
        known = placeholders(str(english[key]))
        if used - known:
            allowed = ", ".join("{" + k + "}" for k in sorted(known)) or "none"
            report.error(path, line, f"label '{key}' uses unknown placeholder(s) "
                         f"{', '.join('{' + k + '}' for k in sorted(used - known))} "
                         f"(allowed: {allowed})")
            continue
        labels[key] = value
    return labels


def fill(labels: dict, key: str, **values) -> str:
    """A label with its placeholders filled in."""
    return str(labels[key]).format(**{k: str(v) for k, v in values.items()})


def format_date(labels: dict, date: str) -> str:
    """An ISO date (YYYY, YYYY-MM or YYYY-MM-DD) written out in the book's language."""
    parts = date.split("-")
    # ISO writes a year in four digits ("0079"); a reader reads it without the zeros
    year = str(int(parts[0])) if parts[0].isdigit() else parts[0]
    if len(parts) == 1:
        return year
    month = labels["months"][int(parts[1]) - 1]
    if len(parts) == 2:
        return fill(labels, "date_month", month=month, year=year)
    return fill(labels, "date_day", day=int(parts[2]), month=month, year=year)
