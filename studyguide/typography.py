"""Typographic quotes and apostrophes (SmartyPants): print sets them in all its HTML
(``writers.pdf``), the EPUB in the text that did not come through Markdown (a glossary's
terms, an index's headings, the title page's and copyright page's texts). A single quote
is first read as the Markdown reads it in the body (as pandoc does, ``mdext``): one that
no later quote closes is an apostrophe, so that "5'10"", "the '90s" and "'Tis" have the
same marks in a generated text as in the chapters (SmartyPants opened a quotation with
each, "5‘10”")."""
from __future__ import annotations

import functools
import re
from html import escape, unescape

SMART_ATTRS = ("q", "u")    # quotes, as characters (not entities)
# where a straight quote is code's, not prose's
NOT_PROSE = {"code", "pre", "kbd", "samp", "var", "math", "script", "style"}
# HTML's tags and comments, and the tags of what is not prose, opening or closing
_TAGS = re.compile(r"(<!--.*?--\s*>|<[^>]*>)", re.S)
_NOT_PROSE_TAG = re.compile(r"<(/)?(" + "|".join(sorted(NOT_PROSE)) + r")\b", re.I)


def _apostrophes(text: str) -> str:
    """A text's single quotes that the Markdown reads as apostrophes written ’, and its
    Hebrew abbreviations' geresh and gershayim as the Markdown writes them
    (``mdext.hebrew_marks_in``)."""
    from .mdext import apostrophe_positions, hebrew_marks_in
    if HEBREW_MARK.search(text):
        text = hebrew_marks_in(text, text)
    chars = list(text)
    for pos in apostrophe_positions(text):
        chars[pos] = "\u2019"
    return "".join(chars)


def _apostrophes_in_html(text: str) -> str:
    """``_apostrophes`` in each text of HTML outside code and maths."""
    pieces = _TAGS.split(text)
    depth = 0
    for k, piece in enumerate(pieces):
        if k % 2:
            tag = _NOT_PROSE_TAG.match(piece)
            if tag and not piece.endswith("/>"):
                depth = max(depth - 1, 0) if tag.group(1) else depth + 1
        elif depth == 0 and ("'" in piece or '"' in piece and HEBREW_MARK.search(piece)):
            pieces[k] = _apostrophes(piece)
    return "".join(pieces)


ENGLISH = ("\u201c", "\u201d")
# a quote after a Hebrew letter: maybe a geresh or a gershayim (``mdext.hebrew_marks_in``)
HEBREW_MARK = re.compile("[\u05d0-\u05ea]['\"]")


def double_quotes(labels: dict | None) -> tuple[str, str]:
    """The double quotes of a book's language (its ``quotes`` label), as the body's
    Markdown sets them: „…“ in German, «…» in French."""
    pair = (labels or {}).get("quotes")
    return (str(pair[0]), str(pair[1])) if pair and len(pair) == 2 else ENGLISH


@functools.lru_cache(maxsize=128)
def smartypants(text: str, quotes: tuple[str, str] = ENGLISH) -> str:
    """Straight quotes and apostrophes in HTML made typographic, a double quote as the
    language's ``quotes`` (``double_quotes``: a German glossary term's "grüner" is
    „grüner“, as in the body). Kept for the same text again: a body part is the same HTML
    in both editions, and most parts are unchanged from one save to the next while
    watching (SmartyPants takes some 50 ms a part)."""
    import smartypants as sp
    attrs = 0
    for name in SMART_ATTRS:
        attrs |= getattr(sp.Attr, name)
    text = _apostrophes_in_html(text) if "'" in text or HEBREW_MARK.search(text) else text
    if quotes == ENGLISH:
        return sp.smartypants(text, attrs)
    # as references, the quotes SmartyPants makes are told from those the text has
    made = sp.smartypants(text, attrs & ~sp.Attr.u)
    return made.replace("&#8220;", quotes[0]).replace("&#8221;", quotes[1]) \
        .replace("&#8216;", "\u2018").replace("&#8217;", "\u2019")


def smart_text(text: str, quotes: tuple[str, str] = ENGLISH) -> str:
    """Typographic quotes in a plain text (an attribute's), not HTML."""
    return unescape(smartypants(escape(text, quote=False), quotes))


def smart_tree(tree, quotes: tuple[str, str] = ENGLISH) -> None:
    """Typographic quotes in each text of an lxml tree that holds a straight one, outside
    code and maths. Text by text: what Markdown made is typographic already, and a
    generated text's quote is an apostrophe within its word."""
    code = set()
    for el in tree.iter():
        if isinstance(el.tag, str) and el.tag.rsplit("}", 1)[-1] in NOT_PROSE:
            code.update(el.iter())
    for el in tree.iter():
        if el.text and el not in code and isinstance(el.tag, str) and \
                ("'" in el.text or '"' in el.text):
            el.text = smart_text(el.text, quotes)
        parent = el.getparent()
        if el.tail and (parent is None or parent not in code) and \
                ("'" in el.tail or '"' in el.tail):
            el.tail = smart_text(el.tail, quotes)
