"""Many words matched at once: the index's and the glossary's forms in the text, the
proper names that print keeps whole.

One alternation of hundreds of words, longest first (``Leninism|Lenin|…``), makes
Python's matcher try every word at every place in the text. Nested by the words'
shared beginnings (``Lenin(?:ism)?``), it tries one branch a letter: the same matches,
at a fifth of the cost for a book's index forms.
"""
from __future__ import annotations

import functools
import re
import sys
import unicodedata


# Scripts written without spaces between words (Chinese, Japanese, Thai, Lao, Khmer,
# Burmese), and Korean, whose particles join the noun before them ("서울에서"): a word of
# theirs is found inside a run of their letters, whatever stands beside it
UNSPACED = ("[[:Han:][:Hiragana:][:Katakana:][:Hangul:][:Line_Break=Complex_Context:]"
            "[:Line_Break=Conditional_Japanese_Starter:]\u30fc\u3005]")


@functools.lru_cache(maxsize=1)
def unspaced() -> str:
    """A character class of the letters of ``UNSPACED`` (ICU's Unicode sets)."""
    import icu
    found = icu.UnicodeSet(UNSPACED)
    return "[" + "".join(_range(ord(a), ord(b)) for a, b in found.ranges()) + "]"


def unspaced_text(text: str) -> bool:
    """Whether ``text`` has a letter of a script written without spaces between words."""
    return re.search(unspaced(), text) is not None


def _range(a: int, b: int) -> str:
    return f"\\U{a:08x}-\\U{b:08x}" if a != b else f"\\U{a:08x}"


@functools.lru_cache(maxsize=1)
def word_end() -> str:
    """What continues a word past its letters (one character): letters, digits, the
    underscore, and the combining marks that sit on a letter (an Arabic tanween, a
    Devanagari vowel sign), which ``\\w`` leaves out: "أموال" is no whole word in
    "أموالًا". A letter of a script written without spaces (``UNSPACED``) continues no
    word: "徴兵令" is found in "1873年に徴兵令が出された", "Perry" in "Perryが来航した"."""
    ranges, start = [], None
    for code in range(sys.maxunicode + 1):
        mark = unicodedata.category(chr(code)).startswith("M")
        if mark and start is None:
            start = code
        elif not mark and start is not None:
            ranges.append((start, code - 1))
            start = None
    return "(?:(?!" + unspaced() + r")[\w" + "".join(_range(a, b) for a, b in ranges) + "])"


# The double quotes a straight one becomes in a book's text, as its language sets them
# (the locales' ``quotes``: “…”, „…“, «…», French's «\u00a0…\u00a0», Japanese's 「…」)
DOUBLE_QUOTES = "\u201c\u201d\u201e\u201f\u00ab\u00bb\u300c\u300d"
# one of them, with the no-break space French sets inside its quotes
_TYPOGRAPHIC_DOUBLE = "\u00a0?[" + DOUBLE_QUOTES + "]\u00a0?"
DOUBLE_QUOTE = '(?:"|' + _TYPOGRAPHIC_DOUBLE + ")"
_TYPOGRAPHIC_DOUBLE_RE = re.compile(_TYPOGRAPHIC_DOUBLE)


def straight_quotes(text: str) -> str:
    """``text`` with its double quotes straight, as a form of words is written in the
    book's data: a form matched in the text (“Old Bolsheviks”, «\u00a0mot\u00a0») is
    looked up by it ("Old Bolsheviks", "mot")."""
    return _TYPOGRAPHIC_DOUBLE_RE.sub('"', text) if any(
        q in text for q in DOUBLE_QUOTES) else text


def alternation(words, apostrophe: str | None = None, space: str | None = None,
                double_quote: str | None = None) -> str:
    """A regular expression matching any of ``words``, the longest where two match at
    the same place (a shorter one where what follows the longer one fails the rest of
    the pattern, as an alternation longest first would); with ``apostrophe``, a straight
    apostrophe in a word matches that pattern instead (``"['’]"``), with ``double_quote``
    a straight double quote does (``DOUBLE_QUOTE``: any the text may have, its ``"``
    made typographic as its ``'`` is; a match is looked up by its ``straight_quotes``),
    and with ``space``, a space does (``r"\\s+"``: a form of words that a line break
    splits in the source)."""
    special = {"'": apostrophe, " ": space, '"': double_quote}
    trie: dict = {}
    for word in filter(None, words):
        node = trie
        for ch in word:
            node = node.setdefault(ch, {})
        node[""] = {}

    def branch(node: dict) -> str:
        alts = [(special.get(ch) or re.escape(ch)) + branch(node[ch])
                for ch in sorted(node) if ch]
        if not alts:
            return ""
        if "" in node:                  # a word ends here: a longer one is tried first
            return "(?:" + "|".join(alts) + ")?"
        return alts[0] if len(alts) == 1 else "(?:" + "|".join(alts) + ")"
    return branch(trie) if trie else "(?!)"
