"""Interface strings: the words the theme itself prints ("Chapter 3", "Contents", "Page 2
of 5"), chosen by the book's ``language:``.

They live in ``templates/locales/LANG.yaml``. A language tag is matched whole
(``de-AT.yaml``), then by its primary subtag (``de.yaml``), then English; a locale file
that lacks a key takes it from ``en.yaml``. A book overrides any key under ``labels:`` in
its ``book.yaml``. A label may hold placeholders, ``{n}``, which the builder fills in; an
override must keep to the placeholders the key knows, and holds no other brace.

A language without a locale file is warned about (at book.yaml's ``language:`` line) while
any of the theme's words are still English. A count label (``marks_n``) may be a list of
forms, one per plural form of the language, chosen by the locale's ``plural`` rule: a
gettext ``Plural-Forms`` expression of ``n``, compiled by the standard library's
``gettext.c2py``.
"""
from __future__ import annotations

import difflib
import functools
import gettext
import re
import string
from dataclasses import dataclass
from pathlib import Path

import yaml

from . import paths
from .errors import Reporter
from .readers import line_of, read_yaml

LOCALES = paths.TEMPLATES / "locales"
DIRECTIONS = {"ltr", "rtl"}
REFERENCE_CASES = {"label", "lower"}
NAME_LISTS = {"months": "twelve names", "months_standalone": "twelve names (or [], for "
              "the names of 'months')"}
COUNTED = {"marks_n"}      # labels of a count: a text, or a list of forms by plural rule
# labels that are a list of texts of any length, never printed
TEXT_LISTS = {"abbreviations": "a list of abbreviations (\"z. B.\", \"cf.\")",
              "no_break_after": "a list of short words (Polish \"w\", \"z\")",
              "no_break_before": "a list of words a number keeps (Russian \"г.\")"}
# labels that are a pair of texts
PAIRS = {"quotes": "two texts, the opening and the closing double quotation mark "
                   "(\"„\", \"”\")",
         "parentheses": "two texts, the opening and the closing parenthesis (\"（\", \"）\")"}
# labels whose spaces are their own, kept as given: the space after a mark (" ", or none
# after Japanese "："), a separator's (". ", " · ")
SPACED = {"mark_space", "caption_separator", "heading_separator", "separator"}
# labels that hold no word of a language, or none printed: a book in a language without
# a locale file need not translate them
NOT_WORDS = {"direction", "reference_case", "plural", "months_standalone", "abbreviations",
             "no_break_after", "no_break_before",
             "quotes"}
# labels without words that are still English's in a language without a locale
ENGLISH_RULES = ("plural", "quotes", "xref_titled")
TAG = re.compile(r"[A-Za-z]{2,8}(-[A-Za-z0-9]{1,8})*")


@functools.lru_cache(maxsize=64)
def plural_rule(expression: str):
    """The function of a gettext plural expression (``n%10==1 ? 0 : 1``): a count to the
    index of its form. ``ValueError`` if the expression is not one."""
    try:
        return gettext.c2py(expression)
    except SyntaxError as exc:      # gettext checks the tokens; Python compiles the rest
        raise ValueError(f"it is not an expression ({exc.msg})") from None


@functools.lru_cache(maxsize=64)
def plural_forms(expression: str) -> tuple[int, ...]:
    """The smallest count of each form of a plural rule, in the forms' order (an index
    the counts 0 to 999 never reach is a form never used). ``ValueError`` if the
    expression is not a rule, or gives a negative index."""
    rule, first = plural_rule(expression), {}
    for n in range(1000):
        try:
            index = rule(n)
        except ArithmeticError as exc:
            raise ValueError(f"it fails for n = {n} ({exc})") from None
        if index < 0 or index > 9:
            raise ValueError(f"it gives {index} for n = {n} (an index of a form: 0 to 9)")
        first.setdefault(index, n)
    return tuple(first.get(i, -1) for i in range(max(first) + 1))


@dataclass(frozen=True)
class Counted:
    """A count label given as forms, one per plural form of the book's language:
    ``form(n)`` is the form for the count ``n``, its ``{n}`` left to fill in."""
    forms: tuple[str, ...]
    rule: str

    def form(self, n) -> str:
        try:
            index = plural_rule(self.rule)(int(n))
        except ArithmeticError:
            index = -1
        return self.forms[index if 0 <= index < len(self.forms) else -1]

    def __str__(self) -> str:       # a template that takes it for a text: the last form
        return self.forms[-1]


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
    """The theme's labels for a language, before the book's overrides: English's, then
    its language's, then its region's (``en-US.yaml`` holds only what differs). A
    language written from right to left that has no locale file (Persian, Urdu) is set
    right to left all the same: its words are English's until the book translates them,
    its direction is its own."""
    name = locale_for(language)
    primary = name.split("-")[0].lower()
    labels = {**_locale_file("en"), **(_locale_file(primary) if primary != name else {}),
              **_locale_file(name)}
    if name == "en" and language_direction(language) == "rtl":
        labels["direction"] = "rtl"
    return _counted(labels)


# the languages written from right to left (their primary subtags)
RTL_LANGUAGES = frozenset({"ar", "arc", "ckb", "dv", "fa", "he", "iw", "ps", "sd", "syr",
                           "ug", "ur", "yi"})


def language_direction(tag: str) -> str:
    """"rtl" for a language written from right to left (a BCP 47 tag), else "ltr"."""
    return "rtl" if (tag or "").split("-")[0].lower() in RTL_LANGUAGES else "ltr"


def _counted(labels: dict) -> dict:
    """``labels`` with each count label given as a list of forms made a ``Counted``."""
    for key in COUNTED:
        value = labels.get(key)
        value = value.forms if isinstance(value, Counted) else value
        if isinstance(value, (list, tuple)):   # (the rule may be the book's own)
            labels[key] = Counted(tuple(str(v) for v in value), str(labels["plural"]))
    return labels


def in_english(language: str, overrides: dict | None) -> frozenset[str]:
    """The labels with words that a book in ``language`` prints in English: those its
    locale files (none, for a language the theme has no strings in) do not give and
    its ``labels:`` do not translate. Empty for English. The templates mark them
    ``lang="en"`` where a label is an element's whole text: a reader's voice reads them
    as English, and capitals follow English's rules ("IN THIS CHAPTER", not Turkish's
    "İN THİS CHAPTER")."""
    tag = (language or "").strip().replace("_", "-")
    if tag.split("-")[0].lower() == "en":
        return frozenset()
    name = locale_for(tag)
    own = {} if name == "en" else {**_locale_file(name.split("-")[0].lower()),
                                    **_locale_file(name)}
    return frozenset(key for key, value in _locale_file("en").items()
                     if key not in own and key not in (overrides or {})
                     and key not in NOT_WORDS and _has_words(str(value)))


def has_locale(language: str) -> bool:
    """Whether the theme has interface strings in ``language`` (English counts)."""
    tag = language.strip().replace("_", "-")
    return locale_for(tag) != "en" or tag.split("-")[0].lower() == "en"


def _language_line(path: Path) -> int:
    """The line of ``language:`` in book.yaml (1 if it cannot be found)."""
    data = read_yaml(path, Reporter(path.parent), "book")
    return line_of(data, "language", 1) if isinstance(data, dict) else 1


def _warn_without_locale(language: str, overrides: dict, path: Path,
                         report: Reporter) -> None:
    """One warning, at the ``language:`` line, when a language has no locale file and the
    book's ``labels:`` leave some of the theme's words in English, or its rules without
    words (``ENGLISH_RULES``: the plural forms, the quotes) English's."""
    tag = language.strip()
    if not TAG.fullmatch(tag) or has_locale(tag):
        return
    english = in_english(tag, overrides)
    words = [key for key in _locale_file("en") if key in english]
    rules = [f"'{key}'" for key in ENGLISH_RULES if key not in overrides]
    if not words and not rules:
        return
    primary = tag.split("-")[0].lower()
    start = f"the theme has no interface strings in '{tag}' (no templates/locales/" \
            f"{primary}.yaml), so "
    if not words:
        report.warning(path, _language_line(path), start + f"{_and(rules)} are English's: "
                       "give the language's own under 'labels:'")
        return
    # every one named, so that an author can translate them from the message alone
    report.warning(path, _language_line(path),
                   start + f"{len(words)} label(s) are printed in English "
                   f"({', '.join(words)}); translate them under 'labels:' (the English "
                   "of each is in the docs' list of labels)" + (
                       f", and give the language's own {_and(rules)} there"
                       if rules else ""))


def _and(items: list[str]) -> str:
    """"a", "a and b", "a, b and c"."""
    return " and ".join([", ".join(items[:-1]), items[-1]] if len(items) > 2 else items)


def _has_words(text: str) -> bool:
    """Whether a label has words of a language: letters outside its placeholders and
    its acronyms ("ISBN {isbn} (EPUB)" has none)."""
    return bool(re.search(r"[^\W\d_]", re.sub(r"\{\w*\}|\b[A-Z]{2,}\b", "", text)))


def for_book(language: str, overrides, path: Path, line: int, report: Reporter) -> dict:
    """The labels of a book: its language's, with ``labels:`` from book.yaml over them.

    Every problem of the overrides is reported at its line in ``path``."""
    labels = defaults(language)
    if overrides is not None and not isinstance(overrides, dict):
        report.error(path, line, "'labels' must be a mapping of label names to texts")
        overrides = None
    _warn_without_locale(language or "", overrides or {}, path, report)
    if overrides is None:
        return labels
    english = _locale_file("en")
    counted = {}                 # count labels given as forms: checked against the rule
    for key, value in overrides.items():
        line = line_of(overrides, key, line)
        if key not in english:
            close = difflib.get_close_matches(str(key), list(english), 1)
            report.error(path, line, f"unknown label '{key}' " + (
                f"(did you mean '{close[0]}'?)" if close else
                "(the labels are listed in the builder's docs/authoring.md)"))
            continue
        if key in NAME_LISTS:
            empty = key == "months_standalone" and value == []
            if not isinstance(value, list) or (len(value) != 12 and not empty) or \
                    not all(isinstance(v, str) and v.strip() for v in value):
                report.error(path, line, f"label '{key}' must be a list of {NAME_LISTS[key]}")
                continue
            labels[key] = [v.strip() for v in value]
            continue
        if key in PAIRS:
            if not isinstance(value, list) or len(value) != 2 or \
                    not all(isinstance(v, str) and v.strip() for v in value):
                report.error(path, line, f"label '{key}' must be {PAIRS[key]}")
                continue
            labels[key] = list(value)
            continue
        if key in TEXT_LISTS:
            if not isinstance(value, list) or \
                    not all(isinstance(v, str) and v.strip() for v in value):
                report.error(path, line, f"label '{key}' must be {TEXT_LISTS[key]}")
                continue
            labels[key] = [v.strip() for v in value]
            continue
        if key in COUNTED and isinstance(value, list):
            forms = [v.strip() for v in value if isinstance(v, str)]
            if len(forms) != len(value) or not forms or not all(forms):
                report.error(path, line, f"label '{key}' must be a text, or a list of texts "
                             "(one per plural form of the language)")
                continue
            problem = next(filter(None, (_placeholder_problem(key, form, english)
                                         for form in forms)), "")
            if problem:
                report.error(path, line, problem)
                continue
            counted[key] = (forms, line)
            continue
        if not isinstance(value, (str, int, float)) or isinstance(value, bool):
            report.error(path, line, f"label '{key}' must be a text")
            continue
        value = str(value) if key in SPACED else str(value).strip()
        if key == "direction" and value not in DIRECTIONS:
            report.error(path, line, f"label 'direction' must be ltr or rtl, not {value!r}")
            continue
        if key == "reference_case" and value not in REFERENCE_CASES:
            report.error(path, line, "label 'reference_case' must be label or lower, not "
                         f"{value!r}")
            continue
        if key == "plural":
            try:
                plural_forms(value)
            except ValueError as exc:
                report.error(path, line, "label 'plural' must be a plural rule as gettext "
                             "writes it, an expression of n giving the index of the form "
                             f"(Russian: n%10==1 && n%100!=11 ? 0 : …): {exc}")
                continue
            labels[key] = value
            continue
        problem = _placeholder_problem(key, value, english)
        if problem:
            report.error(path, line, problem)
            continue
        labels[key] = value
    for key, (forms, line) in counted.items():
        firsts = plural_forms(str(labels["plural"]))
        if len(forms) != len(firsts):
            rule = plural_rule(str(labels["plural"]))
            counts = [[n for n in range(200) if rule(n) == i][:3] for i in range(len(firsts))]
            examples = "; ".join(f"form {i + 1} for {', '.join(map(str, c))}…"
                                 for i, c in enumerate(counts) if c)
            report.error(path, line, f"label '{key}' has {len(forms)} form(s), but the "
                         f"language's plural rule (label 'plural') has {len(firsts)}: "
                         f"give one text for each, in order ({examples})")
            continue
        labels[key] = forms
    return _counted(labels)


def _placeholder_problem(key: str, value: str, english: dict) -> str:
    """What is wrong with the braces of ``value`` as the label ``key``; "" if nothing."""
    try:
        used = placeholders(value)
    except ValueError:
        used = None
    if used is None or "{{" in value or "}}" in value:
        return f"label '{key}': a brace may only enclose a placeholder, such as {{n}}"
    known = placeholders(str(english[key]))
    if used - known:
        allowed = ", ".join("{" + k + "}" for k in sorted(known)) or "none"
        return (f"label '{key}' uses unknown placeholder(s) "
                f"{', '.join('{' + k + '}' for k in sorted(used - known))} "
                f"(allowed: {allowed})")
    return ""


def fill(labels: dict, key: str, **values) -> str:
    """A label with its placeholders filled in."""
    return str(labels[key]).format(**{k: str(v) for k, v in values.items()})


# quotation marks of the languages the theme has words in, straight ones too
QUOTE_MARKS = "\"'“”„‟‘’‚‛«»‹›「」『』"


def titled(labels: dict, label: str, title: str) -> str:
    """A cross-reference's label and title (``xref_titled``: "Section 2.1, “Title”"). A
    title in quotation marks of its own (a poem's, "“Dulce et Decorum Est”") keeps
    them, without the label's round them: they doubled ("““Dulce…””")."""
    pattern = str(labels["xref_titled"])
    bare = title.strip()
    if len(bare) > 1 and bare[0] in QUOTE_MARKS and bare[-1] in QUOTE_MARKS and \
            sum(ch in QUOTE_MARKS and ch not in "'’" for ch in bare) == 2 and \
            "{title}" in pattern:       # (one quotation, the whole title: not “A” and “B”)
        # (the label's quotes and the spaces inside them, as French has them, go; the
        # space before them stays)
        before, _, after = pattern.partition("{title}")
        before = before.rstrip(" \u00a0\u202f").rstrip(QUOTE_MARKS)
        after = after.lstrip(" \u00a0\u202f").lstrip(QUOTE_MARKS)
        pattern = before + "{title}" + after
    return pattern.format(label=label, title=title)


def format_date(labels: dict, date: str) -> str:
    """An ISO date (YYYY, YYYY-MM or YYYY-MM-DD) written out in the book's language."""
    parts = date.split("-")
    # ISO writes a year in four digits ("0079"); a reader reads it without the zeros
    year = str(int(parts[0])) if parts[0].isdigit() else parts[0]
    if len(parts) == 1:
        return year
    month = int(parts[1]) - 1
    if len(parts) == 2:           # no day: the month's own name (Russian "сентябрь")
        names = labels.get("months_standalone") or labels["months"]
        return fill(labels, "date_month", month=names[month], year=year)
    # with a day: "months", which a language that declines them has in the genitive
    day = int(parts[2])
    # the first of a month as the language writes it (French "1er mai 1789")
    return fill(labels, "date_day", day=(labels.get("day_one") or day) if day == 1 else day,
                month=labels["months"][month], year=year)


def standing_alone(text: str) -> str:
    """A text that stands alone, a chronology's date in its column, a figure's label:
    its first letter a capital, as a cell's or a line's first word takes one ("Tháng 11
    năm 1999", "Novembre 1999", "Май 1823 г."), the rest as written."""
    return text[:1].upper() + text[1:]


def abbreviations(labels: dict | None = None) -> re.Pattern:
    """What matches an abbreviation of the book's language, or of English, with its full
    stops ("z. B.", "cf."): the locale's ``abbreviations``, each also with a capital first
    letter ("Vgl." at a sentence's start) and with any space, or none, where it has one
    ("z.B.", "z.\u00a0B."). A full stop it matches ends no sentence."""
    words = [*_locale_file("en").get("abbreviations", []),
             *((labels or {}).get("abbreviations") or [])]
    return _abbreviation_pattern(tuple(sorted(set(map(str, words)))))


@functools.lru_cache(maxsize=16)
def _abbreviation_pattern(words: tuple[str, ...]) -> re.Pattern:
    forms = set()
    for word in words:
        word = word.strip()
        if not word.rstrip("."):
            continue
        # its letters and full stops, with any space or none after a full stop or where
        # it has a space ("z. B.", "z.B.", "ad es.", "m. in." for "m.in."); one written
        # without a full stop is one with it ("Mme" is "Mme.")
        word = re.sub(r"\s+", " ", word if word.endswith(".") else word + ".")
        pattern = ""
        for k, ch in enumerate(word):
            if ch == ".":
                pattern += r"\." + (r"\s*" if k + 1 < len(word) and word[k + 1] != " " else "")
            elif ch == " ":
                pattern += r"\s*"
            else:
                pattern += re.escape(ch)
        forms.add(pattern)
        forms.add(re.escape(word[:1].upper()) + pattern[len(re.escape(word[:1])):])
    if not forms:
        return re.compile(r"(?!)")
    # longest first: "p. ej." before "p."; not the end of a longer word ("Afrika.")
    return re.compile(r"(?<![\w.])(?:" + "|".join(sorted(forms, key=len, reverse=True)) + ")")
