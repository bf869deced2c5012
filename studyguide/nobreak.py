"""Joins that keep a heading from breaking inside a date range or a name.

A line may break after a dash or a hyphen and at any space, so a heading such as "The
Origins of Socialism in One Country, 1924–1925" can end a line with "1924–", and "E. H.
Carr" or "Brest-Litovsk" can be split, in the PDF and on an e-reader alike. The joins are
made in the text itself, so that they hold in both formats and in every reading system,
whatever its stylesheet support: a WORD JOINER (U+2060, invisible, no break on either
side) after a dash or hyphen that stands between two words or numbers, and a NO-BREAK
SPACE after an initial and between the words of a name of the book's key figures.
"""
from __future__ import annotations

import re

WORD_JOINER = "\u2060"
NO_BREAK_SPACE = "\u00a0"
HEADINGS = ("h1", "h2", "h3", "h4", "h5", "h6")
# en dash, hyphen-minus, hyphen, non-breaking hyphen, figure dash between two word characters.
# Running text in print is joined by a narrower rule on purpose (``writers/pdf``'s
# ``_NUMBER_RANGE``: an en or figure dash between two digits only): a heading is short and
# set ragged, so nothing is lost by keeping "Brest-Litovsk" whole, but a paragraph or a
# table's narrow column must still break at "acid–base" to fill its lines. This rule joins
# every range that one joins, so a heading passed through both gets one joiner, not two.
_DASH = re.compile(r"(?<=\w)([\u2013\u002d\u2010\u2011\u2012])(?=\w)")
# an initial ("E." of "E. H. Carr") followed by a space and a capital
_INITIAL = re.compile(r"(?<![\w.])(\w\.) (?=[^\W\d_])")
_SKIP = {"code", "math", "kbd", "samp", "pre"}


def names_of(people) -> list[str]:
    """The names a key figure goes by: "Leon Trotsky (Lev Davidovich Bronstein)" gives
    "Leon Trotsky" and "Lev Davidovich Bronstein"; "Sidney Webb and Beatrice Webb" both.
    Only names of two words or more (a single word cannot break)."""
    found = set()
    for person in people:
        name = person if isinstance(person, str) else person.name
        for part in re.split(r"\s*[()]\s*|\s+and\s+|,\s*", name):
            part = part.strip()
            if " " in part:
                found.add(part)
    return sorted(found, key=len, reverse=True)


def join(text: str, names=()) -> str:
    """``text`` with its date ranges, hyphenated words, initials and ``names`` joined."""
    if not text:
        return text
    for name in names:
        if name in text:
            text = text.replace(name, name.replace(" ", NO_BREAK_SPACE))
    text = _INITIAL.sub(r"\1" + NO_BREAK_SPACE, text)
    return _DASH.sub(r"\1" + WORD_JOINER, text)


def join_headings(tree, names=()) -> None:
    """Join the text of every heading in an lxml tree (not inside code or math)."""
    for h in tree.iter(*HEADINGS):
        join_element(h, names)


def join_element(el, names=()) -> bool:
    """Join the text in ``el`` and its descendants (not inside code or math); whether
    anything changed."""
    if el.tag in _SKIP:
        return False
    changed = False
    new = join(el.text, names)
    if new != el.text:
        el.text, changed = new, True
    for child in el:
        if isinstance(child.tag, str):
            changed = join_element(child, names) or changed
        new = join(child.tail, names)
        if new != child.tail:
            child.tail, changed = new, True
    return changed
