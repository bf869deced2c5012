"""The PDF writer: the rendered book, typeset by WeasyPrint.

A book edition is typeset part by part, and the parts are joined into one tagged PDF
(``splice``):

1. the body, one part per chapter or appendix, numbered from 1; every part opens on a
   right-hand page, so a part's layout does not depend on the parts before it, only its
   page numbers do;
2. the index, numbered on from the body;
3. the front matter (title, copyright, contents) in roman numerals.

Page numbers (folios, cross-references, the contents, the index) are written into each
part's HTML as plain numbers; ``pagination`` finds them by laying the parts out until
the numbers settle, and the cache keeps each part under the hash of its HTML, so an edit
to one chapter lays out that chapter again and nothing else. The layout (which anchor
falls on which printed page) is returned too: the EPUB writer uses the student edition's
to place its print page markers.
"""
from __future__ import annotations

import copy
import functools
import hashlib
import re
import string
import unicodedata
import warnings
from collections import OrderedDict
from collections.abc import Iterable
from dataclasses import dataclass, field
from html import escape
from urllib.parse import unquote

from lxml import etree
from lxml import html as lxml_html

from .. import figures, fonts, math, theme
from ..cache import digest
from ..labels import titled
from ..markdown import plain_text
from ..mdext import TITLE_BACKTICK, TITLE_DOLLAR
from ..model import CONTINUED, Layout
from ..nobreak import WORD_JOINER
from ..resolve import RenderedBook, RenderedDoc
from ..sanitise import to_html
from ..typography import (SMART_ATTRS, double_quotes, smart_text as _smart_text,
                          smartypants as _smartypants)
from ..wordmatch import alternation, unspaced_text, word_end
from . import engine, splice
from .codelines import code_lines

# WeasyPrint is imported where it is used: the build's main process only prepares HTML
# and page plans; its worker processes start with WeasyPrint loaded (``warm``).

PAPER = {"A4": "A4", "Letter": "letter"}
# languages with no hyphenation patterns that are justified all the same: Vietnamese,
# whose words are syllables of a few letters, with a space after each, fills a line
# evenly without hyphens (and its books are justified)
JUSTIFIED_UNHYPHENATED = frozenset({"vi"})


@functools.lru_cache(maxsize=16)
def hyphenated(language: str) -> bool:
    """Whether print can hyphenate ``language``: Pyphen has its patterns."""
    import pyphen
    return bool(language and pyphen.language_fallback(language.replace("-", "_")))


def _css(*names: str, paper: str, meta, book_fonts=()) -> str:
    """The theme's stylesheets (with their right-to-left counterparts for an RTL book),
    the labels that CSS prints, the book's own stylesheet, the @font-face rules of the
    book's own fonts and the paper size."""
    if meta.direction == "rtl":
        names = (*names, "rtl.css", "paged-rtl.css",
                 *(f"{n.removesuffix('.css')}-rtl.css" for n in names
                   if n in ("print.css", "handout.css")))
    sheets = [theme.stylesheet(n) for n in names] + [theme.book_stylesheet()]
    if paper == "Letter" and "print.css" in names:
        # Letter is 6 mm wider than A4: the outer margin takes it, the measure stays
        sheets.insert(-1, "@page :right { margin-right: 64mm; } @page :left { margin-left: 64mm; }")
    if not hyphenated(meta.language) and meta.direction == "ltr" and \
            (meta.language or "").split("-")[0].lower() not in JUSTIFIED_UNHYPHENATED:
        # no hyphenation patterns (Turkish): justified lines without hyphens spread their
        # words wide, so the text is set ragged, before the book's own stylesheet
        sheets.insert(-1, "body { text-align: start; }")
    return "\n".join(sheets[:-1]) + "\n" + label_css(meta.labels, "handout.css" in names) + \
        sheets[-1] + "\n" + fonts.font_face_css(list(book_fonts), "", sheets) + \
        f"\n@page {{ size: {PAPER.get(paper, 'A4')}; }}\n"


def _css_content(text: str, values: dict[str, str]) -> str:
    """A label as the value of CSS ``content``: its text quoted, its placeholders
    replaced by the CSS that generates them (``counter(page)``, ``attr(...)``)."""
    pieces = []
    for literal, name, _, _ in string.Formatter().parse(text):
        if literal:
            pieces.append('"' + literal.replace("\\", "\\\\").replace('"', '\\"')
                          .replace("\n", " ") + '"')
        if name:
            pieces.append(values[name])
    return " ".join(pieces) or '""'


def label_css(labels: dict, handout: bool) -> str:
    """The words that the stylesheets print, in the book's language: a cross-reference's
    "(p. N)" and a handout's "Page X of Y" (handout.css's folio is a bottom-centre box)."""
    # a book's part carries its pages in data-page (numbered after layout); a handout is
    # one document, whose links lead inside it: WeasyPrint counts their pages itself
    page = "target-counter(attr(href url), page)" if handout else "attr(data-page)"
    # "(p. 25)" is never parted at a line's end (a word joiner wherever a line could
    # break in it: after a space, and in a script without spaces, "（1ペー" / "ジ）"), nor a
    # label from its number ("Tableau" / "3.1", "Tabelle A." / "1"): the line may break
    # before the page only, at the space after a mark (none in Japanese)
    opening, closing = labels["parentheses"]
    joined = unbreakable(opening + labels["page_ref"] + closing)
    page_ref = _css_content(labels["mark_space"] + joined, {"page": page})
    page_of = _css_content(labels["page_of"], {"page": "counter(page)",
                                               "pages": "counter(pages)"})
    xref = "a.xref" if handout else "a.xref[data-page]"   # no data-page: no page printed
    # (a filled-in label is kept whole by its span.nobr: writers/pdf.py)
    css = f'{xref}::after {{ content: {page_ref}; }}\n'
    # inside the author's parentheses, "(Figure 1.1, p. 3)", not "(Figure 1.1 (p. 3))"
    in_parens = _css_content(labels["comma"] + labels["mark_space"] +
                             unbreakable(labels["page_ref"]), {"page": page})
    css += f'{xref}.in-parens::after {{ content: {in_parens}; }}\n'
    # a note's number at the foot of the page, "1. " (Japanese "1　")
    css += (".fn::footnote-marker { content: counter(footnote) "
            f"{_css_content(labels['caption_separator'], {})}; }}\n")
    return css + (f'@page {{ @bottom-center {{ content: {page_of}; }} }}\n' if handout else "")


# blocks a note may hold, which print sets as spans (``span.fn-ul``…; print.css): a
# floated note is a span inside its call's paragraph, which a block would close
NOTE_BLOCKS = {"p", "ul", "ol", "li", "blockquote", "div", "pre", "dl", "dt", "dd", "aside",
               "figure", "figcaption", "h1", "h2", "h3", "h4", "h5", "h6", "hr"}


def _as_spans(el):
    """A copy of ``el`` with its blocks made spans, each classed by its element
    (``fn-ul``, ``fn-li``…) and keeping its other attributes."""
    el = copy.deepcopy(el)
    for sub in el.iter():
        if isinstance(sub.tag, str) and sub.tag in NOTE_BLOCKS:
            sub.set("class", " ".join(filter(None, [f"fn-{sub.tag}", sub.get("class")])))
            sub.tag = "span"
    return el


def _hold_call(span) -> None:
    """A note's call stays on the line of the word before it: WeasyPrint may break the
    line between them ("know”." at a line's end, "⁷ T. S. Eliot" opening the next). The
    word (what follows the last space of the text before the note) and the note go in
    ``span.fn-hold``, which does not break (print.css)."""
    before = span.getprevious()
    parent = span.getparent()
    text = (before.tail if before is not None else parent.text) or ""
    if before is not None and before.get("class") == "fn-hold" and not text:
        before.tail, span.tail = span.tail, None
        before.append(span)          # a second call right after the first: "¹,²"
        return
    word = re.search(r"\S+$", text)
    if word is None:
        return
    start = word.start()
    if unspaced_text(word.group(0)):
        # a run of Chinese or Japanese has no spaces: what is held is what follows its
        # last place a line may break (ICU's line breaking: "した。" holds "た。"), not the
        # whole run, which no line could hold
        start = max(start, _last_line_break(text))
    hold = etree.Element("span", {"class": "fn-hold"})
    hold.text = text[start:]
    rest = text[:start]
    if before is not None:
        before.tail = rest
    else:
        parent.text = rest
    span.addprevious(hold)
    hold.tail = span.tail
    span.tail = None
    hold.append(span)


def print_ruby(doc) -> None:
    """Ruby (furigana) as print sets it: WeasyPrint has no ruby layout, and would set the
    reading on the line after its base ("攘夷じょうい"). Each base and its reading become
    ``span.ruby``, the reading (``span.rt``) on a small line above its base (``span.rb``,
    the line's baseline: base.css); the fallback parentheses (``rp``) go."""
    for ruby in doc.xpath("//ruby"):
        # the bases waiting for their readings (HTML pairs "<rb>東<rb>京<rt>とう<rt>きょう"
        # in order), and the loose text and elements of the base being read
        pairs, waiting, loose = [], [], [ruby.text] if ruby.text else []
        for child in list(ruby):
            tail, child.tail = child.tail, None
            if child.tag in ("rb", "rt", "rtc") and loose:
                waiting.append(loose)
                loose = []
            if child.tag == "rb":
                waiting.append([child.text or "", *child])
            elif child.tag in ("rt", "rtc"):
                pairs.append((waiting.pop(0) if waiting else [], [child.text or "", *child]))
            elif child.tag != "rp":
                loose.append(child)
            if tail:
                loose.append(tail)
        out = etree.Element("span", {"class": "ruby-text"})
        for bases, reading in pairs:
            pair = etree.SubElement(out, "span", {"class": "ruby"})
            _fill(etree.SubElement(pair, "span", {"class": "rt"}), reading)
            _fill(etree.SubElement(pair, "span", {"class": "rb"}), bases)
        for rest in [*waiting, loose]:
            _fill(out, rest)
        out.tail = ruby.tail
        ruby.getparent().replace(ruby, out)


# the faces the theme sets text in (base.css: Linux Libertine O, and Linux Biolinum O for
# headings), by PostScript name
SMALL_CAPS_FACES = ("LinLibertineO", "LinLibertineOI", "LinLibertineOB", "LinLibertineOBI",
                    "LinLibertineOZ", "LinLibertineOZI", "LinBiolinumO", "LinBiolinumOB",
                    "LinBiolinumOI")


@functools.lru_cache(maxsize=1)
def _small_caps_fonts() -> tuple:
    from .fontfiles import installed_face, installed_fonts
    faces = [installed_face(*found[0]) for name in SMALL_CAPS_FACES
             if (found := installed_fonts().get(name))]
    return tuple(font for _, font in filter(None, faces))


@functools.lru_cache(maxsize=None)
def has_small_capital(letter: str) -> bool:
    """Whether every face of ``SMALL_CAPS_FACES`` sets ``letter`` (lower case, with its
    marks) as a small capital: their ``smcp`` feature draws it with other glyphs."""
    import uharfbuzz as hb

    def glyphs(font, features) -> list[int]:
        buf = hb.Buffer()
        buf.add_str(letter)
        buf.guess_segment_properties()
        hb.shape(font, buf, features)
        return [g.codepoint for g in buf.glyph_infos]
    fonts = _small_caps_fonts()
    return bool(fonts) and all(glyphs(f, {"smcp": True}) != glyphs(f, {}) for f in fonts)


def _without_small_capitals(text: str) -> list[tuple[int, int]]:
    """The runs of ``text``, as (start, end), of lower-case letters (each with the marks
    that follow it) that the theme's faces have no small capital for."""
    runs: list[tuple[int, int]] = []
    i = 0
    while i < len(text):
        j = i + 1
        while j < len(text) and unicodedata.category(text[j]).startswith("M"):
            j += 1
        lower = text[i] == text[i].lower() != text[i].upper()
        if lower and not has_small_capital(text[i:j]):
            if runs and runs[-1][1] == i:           # the run goes on
                runs[-1] = (runs[-1][0], j)
            else:
                runs.append((i, j))
        i = j
    return runs


def print_small_caps(doc) -> None:
    """Small capitals for every lower-case letter of ``span.smallcaps``: the faces'
    small capitals leave a letter they have none for in lower case ("Nguyễn" printed
    NGUY-ễ-N: Vietnamese's ễ, ố, ạ, ặ, ữ…, Greek, Cyrillic). Each run of such letters
    becomes ``span.made-small-caps``, set in capitals at the small capitals' height
    (base.css); the letters the faces have small capitals for keep them. A note's text
    (``.fn``) inside the span is set as every note is, without small capitals."""
    for caps in doc.xpath('//span[contains(concat(" ", @class, " "), " smallcaps ")]'
                          '[not(ancestor::span[contains(concat(" ", @class, " "), '
                          '" smallcaps ")])]'):
        notes = set(caps.xpath('.//*[contains(concat(" ", @class, " "), " fn ")]'
                               '/descendant-or-self::*'))
        for slot, attr in list(_text_slots(caps)):
            if (slot if attr == "text" else slot.getparent()) in notes:
                continue
            text = getattr(slot, attr) or ""
            runs = _without_small_capitals(text)
            if not runs:
                continue
            setattr(slot, attr, text[:runs[0][0]])
            made = []
            for n, (start, end) in enumerate(runs):
                span = etree.Element("span", {"class": "made-small-caps"})
                span.text = text[start:end]
                span.tail = text[end:runs[n + 1][0] if n + 1 < len(runs) else None]
                made.append(span)
            for n, span in enumerate(made):
                if attr == "text":
                    slot.insert(n, span)
                else:
                    (made[n - 1] if n else slot).addnext(span)


# inline elements whose text is part of the line around them: a phrase of the other
# direction may run through them. Any other element (a picture, a formula, code, a
# floated note, an element with a direction of its own) stands in the line as one
# neutral object, as a browser isolates an element with a ``dir``.
_INLINE = frozenset({"a", "abbr", "b", "cite", "data", "del", "dfn", "em", "i", "ins", "kbd",
                     "mark", "q", "s", "samp", "small", "span", "strong", "sub", "sup", "time",
                     "u", "var"})
# elements whose content is never looked into
_OPAQUE = frozenset({"pre", "code", "math", "svg", "script", "style", "head"})
_OBJECT = "\ufffc"          # OBJECT REPLACEMENT CHARACTER: a neutral (bidi class ON)

# a number with a sign before it ("−212.94", "+1.80", "~400", "±0.5", "−3 %"), read
# left to right with its sign at its left in a right-to-left script too
_SIGNED = re.compile(r"(?<![\w.,])[-+\u2212~\u2248\u00b1](?=\d)")
_SIGNED_NUMBER = re.compile(r"(?<![\w.,])[-+\u2212~\u2248\u00b1]\d+(?:[.,]\d+)*"
                            r"(?:[\u00a0\u202f]?[%\u2030])?")


def _object(el) -> bool:
    """Whether ``el`` stands in its line as one object, its text apart from the line's."""
    return not isinstance(el.tag, str) or el.tag not in _INLINE or el.get("dir") is not None \
        or "fn" in (el.get("class") or "").split()


def _bidi_text(el) -> str:
    """``el``'s text as it stands in the line: what its objects hold as one neutral."""
    if _object(el):
        return _OBJECT
    return (el.text or "") + "".join(_bidi_text(c) + (c.tail or "") for c in el)


def _levels(text: str, rtl: bool) -> list[int]:
    """Each character's embedding level by the Unicode Bidirectional Algorithm (ICU), in
    a paragraph of the given direction: odd right to left, even left to right."""
    import icu
    bidi = icu.Bidi()
    bidi.setPara(icu.UnicodeString(text), 1 if rtl else 0)
    levels, unit = [], 0
    for ch in text:                         # ICU counts UTF-16 units
        levels.append(bidi.getLevelAt(unit))
        unit += 2 if ord(ch) > 0xFFFF else 1
    return levels


def _direction(el) -> str:
    found = el.xpath("ancestor-or-self::*[@dir][1]/@dir")
    return "ltr" if found and found[0] == "ltr" else "rtl"


def _walk(el):
    """``el`` and the elements inside it, but not inside code, a formula or a drawing."""
    yield el
    for child in el:
        if isinstance(child.tag, str) and child.tag not in _OPAQUE:
            yield from _walk(child)


def ltr_phrases(doc) -> None:
    """In a right-to-left book, the pieces of a line that a browser sets in the other
    direction, wherever they stand in more than one element, in an element of that
    direction (``<span dir="ltr">``). WeasyPrint sets each text apart (Pango orders
    its characters, in its element's direction) and a line's elements in the paragraph's
    direction, so a left-to-right phrase through elements printed its pieces right to
    left: "Shuster Morgan" for "Morgan <span>Shuster</span>", "⁶10" for "10<sup>6</sup>",
    "₂CO", "F+Ctrl" for "<kbd>Ctrl</kbd>+<kbd>F</kbd>". The pieces are those of the
    Unicode Bidirectional Algorithm, which a reading system applies to the EPUB: a
    phrase from its first left-to-right letter or digit to its last, through the
    spaces and punctuation between, each element with a direction of its own (a
    citation of a work in another language) isolated from those beside it.

    Also in print only, and in a right-to-left line: a web address is set left to right
    (Pango sets each line's piece apart: a line that ended in "https://" printed
    "//:https"), and so is a number with its sign ("−212.94", not "212.94−", as
    one written in a left-to-right language is read)."""
    for el in doc.xpath('//*[contains(concat(" ", @class, " "), " address ")]'):
        if el.get("dir") is None and _direction(el) == "rtl":
            el.set("dir", "ltr")
    for parent in list(_walk(doc)):
        if isinstance(parent.tag, str) and parent.tag not in _OPAQUE:
            _set_phrases(parent)


def _set_phrases(parent) -> None:
    rtl = _direction(parent) == "rtl"
    signs = rtl and any(_SIGNED_NUMBER.search(t) for t in
                        [parent.text or "", *(c.tail or "" for c in parent)])
    if not len(parent) and not signs:
        return
    # the parent's content in order: its texts, and each element as it stands in the line
    items = [parent.text or ""]
    for child in parent:
        items += [child, child.tail or ""]
    spans, text = [], ""
    for item in items:
        shown = item if isinstance(item, str) else _bidi_text(item)
        spans.append((len(text), len(text) + len(shown)))
        text += shown
    # a sign before a number counts as a left-to-right letter, to be read with it
    forced = set()
    if rtl:
        for start, end in (s for s, item in zip(spans, items) if isinstance(item, str)):
            forced |= {start + m.start() for m in _SIGNED.finditer(text[start:end])}
    levels = _levels("".join("A" if k in forced else ch for k, ch in enumerate(text)), rtl)
    other = 0 if rtl else 1
    runs, start = [], None
    for k, level in enumerate([*levels, 1 - other]):
        if level % 2 == other and start is None:
            start = k
        elif level % 2 != other and start is not None:
            runs.append((start, k))
            start = None
    # an element partly in a run is not divided: the run stops short of it
    wanted = []
    for a, b in runs:
        for (s, e), item in zip(spans, items):
            if not isinstance(item, str) and s < e and s < b and e > a and not (a <= s and e <= b):
                if s > a:
                    wanted.append((a, s))
                a = max(a, e)
        if a < b:
            wanted.append((a, b))
    done = []
    for a, b in wanted:
        while a < b and _neutral(text[a]) and a not in forced:
            a += 1
        while b > a and _neutral(text[b - 1]):
            b -= 1
        pieces = sum(1 for s, e in spans if s < b and e > a)
        if a < b and (pieces > 1 or forced & set(range(a, b))):
            done.append((a, b))
    if done:
        _wrap_runs(parent, items, spans, done, "ltr" if rtl else "rtl")


def _neutral(ch: str) -> bool:
    """Whether ``ch`` is of no direction nor a number's (a space, punctuation, an object)."""
    return unicodedata.bidirectional(ch) not in ("L", "R", "AL", "EN", "AN")


def _wrap_runs(parent, items: list, spans: list, runs: list, direction: str) -> None:
    """``parent``'s content again, each run of it (a span of its text's characters) in a
    ``<span dir=…>``."""
    out, made = [], {}

    def put(thing, at: int) -> None:
        n = next((n for n, (a, b) in enumerate(runs) if a <= at < b), None)
        if n is None:
            out.append(thing)
            return
        if n not in made:
            made[n] = etree.Element("span", {"dir": direction})
            out.append(made[n])
        _fill(made[n], [thing])

    for item, (start, end) in zip(items, spans):
        if isinstance(item, str):
            cuts = sorted({start, end} | {p for run in runs for p in run if start < p < end})
            for lo, hi in zip(cuts, cuts[1:]):
                put(item[lo - start:hi - start], lo)
        else:
            item.tail = None
            put(item, start)
    parent.text = None
    for child in list(parent):
        parent.remove(child)
    _fill(parent, out)


def _fill(el, content) -> None:
    """Texts and elements, in order, into ``el`` after what it holds."""
    for item in content:
        if isinstance(item, str):
            if len(el):
                el[-1].tail = (el[-1].tail or "") + item
            else:
                el.text = (el.text or "") + item
        else:
            el.append(item)


def _line_breaks(text: str) -> list[int]:
    """The places inside ``text`` where a line may break (ICU's line breaking, UAX #14),
    as indices of its characters."""
    import icu
    lines = icu.BreakIterator.createLineInstance(icu.Locale.getRoot())
    lines.setText(text)
    # ICU counts in UTF-16 units: a character beyond the BMP counts two
    units = text.encode("utf-16-le")
    end = len(units) // 2
    return [len(units[:b * 2].decode("utf-16-le")) for b in lines if 0 < b < end]


def _last_line_break(text: str) -> int:
    """The last place before its end where a line may break in ``text`` (0 if none)."""
    return max(_line_breaks(text), default=0)


def unbreakable(text: str) -> str:
    """``text`` with a word joiner wherever a line could break in it: "(p. 25)" after
    its space, "（25ページ）" between its kana; never inside a cluster of letters, where a
    joiner parts a vowel sign from its consonant ("पृ." drawn "प◌ृ.")."""
    cuts = [0, *_line_breaks(text), len(text)]
    return WORD_JOINER.join(text[a:b] for a, b in zip(cuts, cuts[1:]))


def footnotes_to_floats(html_text: str) -> str:
    """Python-Markdown's endnotes become WeasyPrint footnotes at their call sites."""
    doc = lxml_html.document_fromstring(html_text)
    notes = {}
    for li in doc.xpath('//div[@class="footnote"]/ol/li[@id]'):
        for back in li.xpath('.//a[@class="footnote-backref"]'):
            back.drop_tree()
        # a note's first paragraph runs on from its number; each later one is a block
        # of its own (``.fn-para``), as are lists and quotations
        parts, paragraphs = [], 0
        for child in li:
            if child.tag == "p":
                inner = (escape(child.text or "", quote=False)
                         + "".join(to_html(sub)
                                   for sub in child)).strip()
                paragraphs += 1
                parts.append(inner if paragraphs == 1 else
                             f'<span class="fn-para">{inner}</span>')
            else:
                parts.append(to_html(_as_spans(child), with_tail=False))
        notes[li.get("id")] = "".join(parts)
    for sup in doc.xpath('//sup[a[@class="footnote-ref"]]'):
        target = sup[0].get("href", "")[1:]
        if target in notes:
            kind = "fn fn-next" if "fn-next" in (sup.get("class") or "").split() else "fn"
            span = lxml_html.fragment_fromstring(
                f'<span class="{kind}" id="{sup.get("id")}">{notes[target]}</span>')
            span.tail = sup.tail
            sup.getparent().replace(sup, span)
            _hold_call(span)
    for div in doc.xpath('//div[@class="footnote"]'):
        div.drop_tree()
    return "<!DOCTYPE html>\n" + to_html(doc)


# display lines whose last two words are kept together, so that none ends on a word
# alone (WeasyPrint has no text-wrap: balance)
DISPLAY = ("h1", "h2", "h3", "caption")
DISPLAY_CLASSES = ("book-title", "book-subtitle", "box-heading", "front-title",
                   "epigraph-source")
# about how many characters a line of each holds on the book's 122 mm (the book's title
# set in 28 pt, a chapter's or the front matter's in 20 pt, the others smaller): two
# words longer together are not kept together, which would run past the margin
# ("und Säure-Base-Gleichgewichte" in a title); their last line may be the last word
DISPLAY_CHARS = {"book-title": 22, "front-title": 30, "chapter-title": 30,
                 "epigraph-source": 24}      # (an epigraph's measure is narrow)
DISPLAY_CHARS_ELSE = 40
# where names are left as written: code, and what is not text
NO_TEXT = {"head", "style", "script", "pre", "code", "kbd", "samp", "math", "svg"}


NOUNS_CAPITALISED = {"de", "lb", "gsw", "bar", "nds"}   # German and its kin


def proper_names(rb: RenderedBook) -> set[str]:
    """The words of the book's proper names, which print never hyphenates: every word
    of a person's name in the key figures (and of the forms it is indexed by: a
    language that inflects names lists "Менделеева", "Менделеевым") and of a
    capitalised glossary term (its aliases too), four letters or more. In a language
    that capitalises every noun (German), a capital marks no name: its glossary terms
    ("Schwingungsdauer") are hyphenated as other words are."""
    phrases = [p["name"] for p in rb.people]
    phrases += [a for p in rb.book.people for a in p.aliases if a[:1].isupper()]
    language = (rb.book.meta.language or "").split("-")[0].lower()
    for entry in rb.book.glossary if language not in NOUNS_CAPITALISED else []:
        phrases += [t for t in [entry.term, *entry.aliases] if t[:1].isupper()]
    return {word for phrase in phrases for word in re.findall(r"\w+", phrase)
            if len(word) >= 4 and word[0].isupper()}


LIMIT_CHARS = re.compile(r"hyphenate-limit-chars\s*:\s*([^;}]+)")


def _shortest_hyphenated(sheets: list) -> int:
    """The shortest word the stylesheets let print hyphenate: the least first value of
    their ``hyphenate-limit-chars`` (print.css's is 7), 1 where one says ``auto`` or
    cannot be read."""
    least = None
    for sheet in sheets:
        try:
            text = sheet if isinstance(sheet, str) else sheet.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError):
            return 1
        for value in LIMIT_CHARS.findall(text):
            first = value.split()[0] if value.split() else ""
            value = int(first) if first.isdigit() else 1
            least = value if least is None else min(least, value)
    return 1 if least is None else max(least, 1)


def _shortest_hyphenated_of(rb: RenderedBook) -> int:
    from .. import paths
    sheets = [paths.STYLES / "print.css", paths.STYLES / "handout.css"]
    if rb.book.stylesheet_path:     # the book's, as the sandbox reads it (its text)
        from ..readers import Refused, read_confined
        try:
            sheets.append(read_confined(rb.book.stylesheet_path, [rb.book.root],
                                        "stylesheet").decode("utf-8"))
        except (Refused, UnicodeDecodeError):
            return 1
    return _shortest_hyphenated(sheets)


@functools.lru_cache(maxsize=16)
def _names_pattern(words: frozenset[str]) -> re.Pattern:
    """Any of ``words`` as a whole word, with what is joined to it ("’s")."""
    return re.compile(r"(?<!" + word_end() + r")(" + alternation(words) + r")(?!" +
                      word_end() + r")((?:[’'.]\w+)*)")


# inline elements a space before may go into: they draw nothing of their own around
# their text (a link's dotted underline, a mark's background would show under it)
PLAIN_INLINE = "span|em|strong|i|b|cite|q|abbr|dfn|small|bdi|time|data|var"
DRAWN_INLINE = "a|u|ins|del|s|mark|kbd|samp|img"
# (the white space a line of the source ends with, after a word, as well as a space)
_SPACE_BEFORE = re.compile(
    rf"((?<=[^> \t\n\r\f])[ \t\n\r\f]+| )(<(?:({PLAIN_INLINE})|{DRAWN_INLINE})\b[^>]*>)")
# elements a space before may not go into: those that never break inside (the
# stylesheets' white-space: nowrap), where it would be no break at all ("Demand and
# Markets" a title's one word), an inline block, whose leading space is dropped ("Die
# Schmelztemperatur" a row label's one word), and those in a direction of their own,
# where it would stand at the wrong side ("بلغةPython  تطبّق" for "بلغة Python تطبّق")
_UNBROKEN = re.compile(r'\bclass="(?:[^"]* )?(?:nobr|fn-hold|marks|long-word)[ "]|\sdir="')


def spaces_into_inlines(html_text: str) -> str:
    """The space before an inline element goes inside it (or, where the element draws a
    line under or over its text, or is a picture, into a span of its own). WeasyPrint,
    finding that the element does not fit at a line's end, looks back for a break in the
    text before it, and took the line's first, not its last: a line of one word ("more
    productive" / "system" / "than capitalism … How," with "Trotsky" a span), or, in a
    highlighted code line, a token cut in two ("items[i + 1], it" / "ems[i]"), or, where
    a formula began a line of the Markdown, the line before it spread across the measure
    ("Kepler y de la aceleración centrí-"): the white space moved is a space, or the
    white space after a word (a line's end). A space inside an element is a break
    opportunity at its edge, which it takes; but not one before another element at
    the start of the first (an index mention's span around a name's): the line broke a
    word early ("… 1917 Stalin" / "answered Preobrazhensky"), so such a space gets a
    span of its own."""
    return _SPACE_BEFORE.sub(
        lambda m: m.group(2) + m.group(1) if m.group(3) and not _UNBROKEN.search(m.group(2))
        and not m.string.startswith("<", m.end())
        else f"<span>{m.group(1)}</span>{m.group(2)}", html_text)


def _wrap_words(root, words: set[str], css_class: str, shortest: int = 1) -> None:
    """Each whole occurrence of one of ``words`` in the text becomes a span; with
    ``shortest``, only where the word as line breaking sees it (the name with what is
    joined to it, as in "Lenin’s") has that many letters: a shorter one is never
    hyphenated (``hyphenate-limit-chars``), and a span costs the layout an inline box."""
    if not words:
        return
    pattern = _names_pattern(frozenset(words))

    def spans(text: str) -> tuple[str, list]:
        head, made, at = None, [], 0
        for m in pattern.finditer(text):
            if len(m.group(1)) + len(m.group(2)) < shortest:
                continue
            before = text[at:m.start()]
            if made:
                made[-1].tail = before
            else:
                head = before
            span = etree.Element("span", {"class": css_class})
            span.text = m.group(1)
            made.append(span)
            at = m.end(1)
        if not made:
            return text, []
        made[-1].tail = text[at:]
        return head, made

    for el in list(root.iter()):
        if not isinstance(el.tag, str) or el.tag in NO_TEXT or \
                any(a.tag in NO_TEXT for a in el.iterancestors()) or \
                el.get("class") == css_class:
            continue
        if el.text and pattern.search(el.text):
            el.text, made = spans(el.text)
            for k, span in enumerate(made):
                el.insert(k, span)
        for child in list(el):
            if child.tail and pattern.search(child.tail) and child.get("class") != css_class:
                child.tail, made = spans(child.tail)
                at = el.index(child)
                for k, span in enumerate(made):
                    el.insert(at + 1 + k, span)


def _smart(text: str, quotes: tuple[str, str], memo=None) -> str:
    """``_smartypants``; with ``memo`` (the build's cache), kept between builds too: a
    rebuild after an edit would otherwise spend a second or more on every unchanged
    part, with the workers waiting for the first part to lay out."""
    if memo is None:
        return _smartypants(text, quotes)
    import smartypants
    key = digest("smartypants", smartypants.__version__, SMART_ATTRS, *quotes, text)
    value = memo.get(key)
    if value is None:
        value = _smartypants(text, quotes)
        memo.put(key, value)
    return value


# A comparison table taller than this may break between rows (print.css); one that
# fits a page is kept whole. In the book, the bound is the paper's text block (A4's is
# 251 mm high, Letter's 233 mm) less a margin for the estimate's error, so that a table
# that fits a page is not split (which the preflight reports); in a handout, whose text
# block is wider and taller, the bound stays low.
LONG_TABLE_MM = 190
BOOK_TABLE_MM = {"A4": 235, "Letter": 218}
# A table near a page's height is set a size smaller (print.css), so that it fits one
# page on either paper: one of few rows cannot be split and leave three rows each side.
COMPACT_TABLE_MM = 170


def table_height_mm(figure, measure: float = 122) -> float:
    """A table's height in print (a comparison table's figure, or a table), estimated
    from its text: the text block is
    ``measure`` mm wide (the book's 122), the first column takes 21 % and the others
    share the rest; the cells' type (9.35 pt) sets about 1.4 mm a character and 4.2 mm
    a line."""
    rows = figure.xpath(".//tr")
    if not rows:
        return 0.0
    columns = max(len(r.xpath("./th|./td")) for r in rows)
    widths = [measure * 0.21] + [measure * 0.79 / max(1, columns - 1)] * (columns - 1)
    height = 0.0
    for row in rows:
        lines = [max(1, -(-len(" ".join(cell.text_content().split())) * 1.4 //
                          max(1.0, w - 3.2)))
                 for cell, w in zip(row.xpath("./th|./td"), widths)]
        height += max(lines, default=1) * 4.2 + 2.0
    return height + 10      # the caption


# A comparison table's row label (its first column, a fifth of the book's 122 mm, at
# about 1.4 mm a character) may not hold a word longer than this on a line of its own
ROW_LABEL_CHARS = 14


def hyphenate_row_labels(doc, language: str) -> None:
    """The row labels of a comparison table are not hyphenated (hyphens: manual, base.css:
    "govern-ment"), but a German word longer than their column was cut where the column
    ended, with no hyphen ("Schmelztemperat" / "ur"). A word that may be too long
    (``ROW_LABEL_CHARS``) is set apart (``.long-word``, an inline block: it goes to a
    line of its own whole, "industrialisation", where it fits) with soft hyphens where
    the language's patterns allow (four letters or more each side), at which it breaks
    only where it does not fit. A table of five columns or more, whose columns are as
    wide as their text needs, hyphenates its labels as its cells."""
    import pyphen
    tables = doc.xpath('//figure[contains(concat(" ", @class, " "), " comparison ")]'
                       '//table[not(thead/tr/th[5])]')
    fallback = tables and language and pyphen.language_fallback(language.replace("-", "_"))
    if not fallback:
        return
    dic = pyphen.Pyphen(lang=fallback, left=4, right=4)
    long_word = re.compile(rf"\w{{{ROW_LABEL_CHARS + 1},}}")

    def spans(text: str) -> tuple[str, list]:
        head, made, at = None, [], 0
        for m in long_word.finditer(text):
            soft = dic.inserted(m.group(0), hyphen="\u00ad")
            if soft == m.group(0):
                continue
            if made:
                made[-1].tail = text[at:m.start()]
            else:
                head = text[at:m.start()]
            span = etree.Element("span", {"class": "long-word"})
            span.text, at = soft, m.end()
            made.append(span)
        if made:
            made[-1].tail = text[at:]
        return (head, made) if made else (text, [])
    for table in tables:
        for th in table.xpath("./tbody/tr/th"):
            for el in list(th.iter()):
                if not isinstance(el.tag, str):
                    continue
                code = [a.tag in _NO_BIND for a in el.iterancestors()]    # (not code)
                if el.text and el.tag not in _NO_BIND and not any(code):
                    el.text, made = spans(el.text)
                    for i, span in enumerate(made):
                        el.insert(i, span)
                if el is not th and el.tail and not any(code):
                    el.tail, made = spans(el.tail)
                    for span in reversed(made):
                        el.addnext(span)


# print_typography's results in this process, by all they are made from: a watching
# process (``live``) makes every part's print HTML again after each save, and a build
# makes a body part's twice (the editions share it); a part that did not change is taken
# from here.
_TYPOGRAPHY: OrderedDict[str, str] = OrderedDict()


def print_typography(html_text: str, rb: RenderedBook, paper: str | None = None,
                     memo=None) -> str:
    """``_print_typography``, or its result for the same HTML of a book that reads the
    same: the key is a digest of everything of ``rb`` it reads (the labels and
    language, the book's fonts and stylesheet's hyphenation, its proper names, the
    running heads' short titles, every cross-reference's target), made at each call
    (under a millisecond: a book changed in place is never taken for the one before)."""
    names, shortest = proper_names(rb), _shortest_hyphenated_of(rb)
    key = digest(html_text, paper or "", rb.book.meta, rb.book.fonts, sorted(names),
                 shortest, [(e.id, e.short_title) for e in rb.spine],
                 sorted((k, t.label, t.title) for k, t in rb.targets.items()))
    done = _TYPOGRAPHY.get(key)
    if done is None:
        done = _TYPOGRAPHY[key] = _print_typography(html_text, rb, paper, memo, names,
                                                    shortest)
        while len(_TYPOGRAPHY) > 64:
            _TYPOGRAPHY.popitem(last=False)
    return done


def _print_typography(html_text: str, rb: RenderedBook, paper: str | None, memo,
                      names: set[str], shortest: int) -> str:
    """What print adds to the shared HTML: cross-references in their short form
    ("Chapter 6", whose page follows), running heads from each document's short title,
    display lines that never end on one word alone, proper names kept whole, typographic
    quotes in every text, generated text included (SmartyPants), and small capitals for
    the letters the faces have none for. ``names`` and ``shortest``: the proper names
    and the shortest word print hyphenates, which ``print_typography`` has read."""
    # quotes first, while a word and its apostrophe are one text (a name's span would
    # part "Trotsky" from "'s")
    # (the templates escape an apostrophe as "&#39;", which SmartyPants leaves: lxml
    # writes the text's quotes out as characters first)
    plain = to_html(lxml_html.document_fromstring(html_text))
    quotes = double_quotes(rb.book.meta.labels)
    doc = lxml_html.document_fromstring(_smart(plain, quotes, memo))
    # what comes between the label and the title of a filled-in reference: ", “" in
    # English, " «" in Russian, "، «" in Arabic
    titled = str(rb.book.meta.labels.get("xref_titled", ""))
    between = titled[titled.find("{label}") + 7:titled.find("{title}")].strip()[:1]
    for a in doc.xpath('//a[contains(concat(" ", @class, " "), " xref ")]'):
        target = rb.targets.get((a.get("href") or "")[1:])
        shown = a.text or ""
        if target is not None and target.label and len(a) == 0 and target.title and \
                between and shown[:len(target.label)].lower() == target.label.lower() and \
                shown[len(target.label):].lstrip().startswith(between):
            a.text = shown[:len(target.label)]    # as the sentence has it: "chapitre 3"
        # a label is never parted from its number ("Tableau" / "3.1"); a link's own text
        # ("the comparison of mitosis and meiosis at the back") breaks as any text
        if target is not None and target.label and len(a) == 0 and \
                (a.text or "").lower() == target.label.lower():
            keep = etree.SubElement(a, "span", {"class": "nobr"})
            keep.text, a.text = a.text, None
    short = {e.id: e.short_title for e in rb.spine if e.short_title}
    for h in doc.xpath('//h1[contains(concat(" ", @class, " "), " chapter-title ")]'):
        section = next((s for s in h.iterancestors("section") if s.get("id")), None)
        running = short.get(section.get("id")) if section is not None else None
        h.set("data-running", _smart_text(running or " ".join(h.text_content().split()),
                                          quotes))
    # a heading's bookmark is its text as read: without its notes (floated into it) and,
    # taken before they are added below, the web addresses print sets after its links;
    # without the word joiners that keep its lines whole (a reader may show them as
    # boxes); a formula by its TeX
    for h in doc.xpath("//h1 | //h2 | //h3 | //h4 | //h5 | //h6"):
        if h.get("data-bookmark") is None:
            h.set("data-bookmark", _bookmark_text(h))
    # the running heads' other sources, attributes SmartyPants passes over: the book's
    # title, a handout's chapter (its short title) and kind
    body = doc.find("body")
    for attr in ("data-book-title", "data-running", "data-kind"):
        if body is not None and body.get(attr):
            body.set(attr, _smart_text(body.get(attr), quotes))
    # and the PDF's metadata: its subject, keywords, authors, publisher, series… (the
    # title is text already; not its dates, identifiers and generator)
    for meta in doc.xpath('//head/meta[@name][not(starts-with(@name, "dcterms."))]'
                          '[@name != "generator"]'):
        meta.set("content", _smart_text(meta.get("content") or "", quotes))
    _bind_short_words(doc, rb.book.meta.labels.get("no_break_after") or ())
    _toc_last_words(doc)
    _verses(doc)
    display = doc.xpath(" | ".join([f"//{t}" for t in DISPLAY] + [
        f'//*[contains(concat(" ", @class, " "), " {c} ")]' for c in DISPLAY_CLASSES]))
    for el in display:
        texts = [t for t in el.xpath(".//text()") if t.strip()]
        if len(" ".join(texts).split()) < 4:
            continue
        last = texts[-1]
        # (words a no-break space joins are one: "w jednej", "Dr. Watson")
        words = list(re.finditer(r"(?:[^\s]|\u00a0)+", last))
        if len(words) < 2:
            continue
        holds = min((DISPLAY_CHARS.get(c, DISPLAY_CHARS_ELSE)
                     for c in (el.get("class") or "").split()), default=DISPLAY_CHARS_ELSE)
        if words[-1].end() - words[-2].start() > holds:
            continue
        # the last two words in one unbreakable span: its spaces stay spaces, for the
        # outline and for search
        keep = etree.Element("span", {"class": "nobr"})
        keep.text = last[words[-2].start():words[-1].end()]
        keep.tail = last[words[-1].end():]
        holder = last.getparent()
        if last.is_text:
            holder.text = last[:words[-2].start()]
            holder.insert(0, keep)
        else:
            holder.tail = last[:words[-2].start()]
            holder.addnext(keep)
    for figure in doc.xpath('//figure[contains(concat(" ", @class, " "), " comparison ")]'):
        height = table_height_mm(figure)
        if height > BOOK_TABLE_MM.get(paper, LONG_TABLE_MM):
            figure.set("class", figure.get("class") + " long-table")
        elif paper and height > COMPACT_TABLE_MM:
            figure.set("class", figure.get("class") + " compact")
    hyphenate_row_labels(doc, rb.book.meta.language)
    _print_addresses(doc)
    keep_short_leads(doc)
    keep_introductions(doc)
    print_code(doc)
    print_ruby(doc)
    _join_number_ranges(doc)
    _join_dates(doc, rb.book.meta.labels)
    _join_signs_and_units(doc)
    _join_after_numbers(doc, rb.book.meta.labels.get("no_break_before") or ())
    _join_initials(doc)
    _xrefs_in_parentheses(doc, rb.book.meta.labels)
    # a picture's size in pixels, an attribute (as pandoc writes it): WeasyPrint reads
    # attributes for sizes only when told to, and then HTML's other hints too
    for img in doc.iter("img"):
        style = img.get("style") or ""
        for dim in ("width", "height"):
            value = img.get(dim) or ""
            if value.isdigit() and not re.search(rf"(^|[;\s]){dim}\s*:", style):
                style = f"{style}; {dim}: {value}px" if style.strip() else f"{dim}: {value}px"
        if style:
            img.set("style", style)
    # an author's Markdown table that fits a page is kept whole too (print.css)
    for table in doc.xpath('//table[not(ancestor::figure)][not(contains(concat(" ", @class, '
                           '" "), " chronology "))]'):
        if table_height_mm(table) <= BOOK_TABLE_MM.get(paper, LONG_TABLE_MM):
            table.set("class", " ".join(filter(None, [table.get("class"), "whole"])))
    _wrap_words(doc.find("body"), names, "name", shortest)
    print_small_caps(doc)
    if rb.book.meta.direction == "rtl":
        ltr_phrases(doc)
    return "<!DOCTYPE html>\n" + to_html(doc)


# the dash of a range of numbers ("10,1–12,0", "pp. 25–31"), after which a line may break.
# Narrower than ``nobreak._DASH`` on purpose, which joins a heading at every dash between
# two word characters: running text must still break at a dash between words to fill its
# lines. Where both apply (a heading's range), that one has joined first; this finds no
# dash followed by a digit and adds nothing.
_NUMBER_RANGE = re.compile(r"(?<=\d)([\u2012\u2013])(?=\d)")


# a slash between two short words: a unit ("g/mol", "km/h"), "and/or", "1917/18"
_SHORT_SLASH = re.compile(r"(?<![\w/.:@-])(\w{1,5}/)(?=\w{1,5}(?![\w/]|\.\w))")


@functools.lru_cache(maxsize=8)
def _date_pattern(months: tuple[str, ...]) -> re.Pattern:
    names = "|".join(re.escape(m) for m in sorted(months, key=len, reverse=True))
    return re.compile(rf"(?<![\w.])(\d{{1,2}}\.?) ({names})(?!\w)|(?<!\w)({names}) (\d{{1,2}})(?![\d])")


def _join_dates(root, labels: dict) -> None:
    """A day is never parted from its month at a line's end ("on 1" / "April 1918",
    "3" / "maja", "April" / "1, 1918"): a no-break space between them, the month as the
    book's language names it (``months``, and ``months_standalone``)."""
    months = tuple(str(m) for m in [*(labels.get("months") or []),
                                    *(labels.get("months_standalone") or [])] if str(m))
    if not months:
        return
    pattern = _date_pattern(months)

    def joined(text: str | None) -> str | None:
        if not text or " " not in text:
            return text
        return pattern.sub(lambda m: f"{m.group(1)}\u00a0{m.group(2)}" if m.group(1)
                           else f"{m.group(3)}\u00a0{m.group(4)}", text)

    _each_text(root, joined)


# a number and the per cent (per mille) sign written after it with a space ("3 %", as
# French, Spanish, German and Polish write it)
_PERCENT = re.compile(r"(\d)[ ]([%\u2030\u2031])")
# ... and a unit's symbol after a number: SI's and the common others, with a prefix, a
# power and a quotient ("0 °C", "169.87 g/mol", "1 N/m²", "−92 kJ/mol", "5 min");
# not a bare "A" (an ampere, but as often a list's or a plan's letter)
_UNIT = (r"(?:°[CF]?|[kMGTcmµμn]?(?:mol|g|L|l|m|s|Pa|J|W|V|Hz|N|eV|Wh)|[kmµμ]A|K|min|h"
         r"|atm|bar|ppm|ha|dB|Ω)(?:[²³]|⁻[¹²³])?")
_UNITS = re.compile(rf"(\d)[ ]({_UNIT}(?:[/·⋅]{_UNIT})*)(?![\w])")


def _join_signs_and_units(root) -> None:
    """A number is never parted from the per cent sign after it, nor from a unit's
    symbol: a table's narrow column set "3" alone on a line and "% ± 1" under it, a
    chemistry guide "0" / "°C" and "−92" / "kJ/mol". A no-break space joins them."""
    def joined(text):
        return _UNITS.sub("\\1\u00a0\\2", _PERCENT.sub("\\1\u00a0\\2", text)) if text else text
    _each_text(root, joined)


def _join_after_numbers(root, words) -> None:
    """Each of the language's words that a number before it keeps (``no_break_before``:
    Russian "г." of a year, "т." of a volume) joined to the number, Arabic or Roman, by
    a no-break space: a citation's "(декабрь 1856" / "г.)" broke at a line's end."""
    if not words:
        return
    pattern = re.compile(r"(?<![\w])(\d[\d.,]*|[IVXLCDM]+)[ ](" + "|".join(
        re.escape(w) for w in sorted(set(words), key=len, reverse=True)) + r")(?!\w)")
    _each_text(root, lambda text: pattern.sub("\\1\u00a0\\2", text) if text else text)


# a capital alone before a full stop (an initial) and a space before a letter
_INITIALS = re.compile(r"(?<![\w.])([^\W\d_])\.[ ](?=[^\W\d_])")


def _join_initials(root) -> None:
    """A name's initials are never parted from one another nor from the name after them
    ("Л. Н. Толстого", "E. H. Carr"), in the running text and in what citeproc wrote,
    as a heading's are (``nobreak``): a footnote broke "графа Л." / "Н. Толстого"."""
    def joined(text):
        return _INITIALS.sub(lambda m: m.group(1) + ".\u00a0" if m.group(1).isupper()
                             else m.group(0), text) if text else text
    _each_text(root, joined)


def _xrefs_in_parentheses(root, labels: dict) -> None:
    """A cross-reference that ends the author's parentheses ("([](#fig-1))", "(see
    [](#fig-1))") is marked ``in-parens``: its page follows after a comma, "(Figure 1.1,
    p. 3)", where it printed "(Figure 1.1 (p. 3))" (``label_css``)."""
    opening, closing = (str(m) for m in labels["parentheses"])
    for a in root.xpath('//a[contains(concat(" ", @class, " "), " xref ")]'):
        before = a.getprevious()
        text = (before.tail if before is not None else a.getparent().text) or ""
        # (the last of the parentheses' words: "([](#fig-1))", "(see [](#fig-1))")
        if text.rfind(opening) > text.rfind(closing) and \
                (a.tail or "").lstrip().startswith(closing):
            a.set("class", " ".join([*(a.get("class") or "").split(), "in-parens"]))


def _each_text(root, change) -> None:
    """Each text of the tree (an element's text and its children's tails) as ``change``
    gives it back, but code's, maths' and the other texts that are no prose
    (``NO_TEXT``)."""
    for el in root.iter():
        if not isinstance(el.tag, str) or el.tag in NO_TEXT or \
                any(a.tag in NO_TEXT for a in el.iterancestors()):
            continue
        el.text = change(el.text)
        for child in el:
            child.tail = change(child.tail)


def _join_number_ranges(root) -> None:
    """A range of numbers is never parted at its dash: a word joiner (drawn as nothing)
    after the dash, as ``nobreak`` joins a heading's. A table's narrow column and the end
    of a line set "10,1–" over "12,0", two numbers to the eye. A dash between words still
    breaks ("kwas–zasada"). Nor is a slash between two short words parted: a table's
    head set "Molare Masse in g/" over "mol"."""
    def joined(text: str | None) -> str | None:
        if not text:
            return text
        text = _NUMBER_RANGE.sub(r"\1" + WORD_JOINER, text)
        return _SHORT_SLASH.sub(r"\1" + WORD_JOINER, text) if "/" in text else text

    _each_text(root, joined)


def _bare(address: str) -> str:
    """A web or mail address as compared with a link's text: without its scheme, a
    leading "www." and a closing slash."""
    address = re.sub(r"^(https?://|mailto:)", "", address.strip(), flags=re.I)
    return re.sub(r"^www\.", "", address, flags=re.I).rstrip("/").lower()


# the rest of the word a link's text ends, in the text after the link: "’s" of
# "[Grafton](…)'s", the "-based" of "[Zotero](…)-based", a plural's "s’"
_WORD_ON = re.compile(r"(?:\w|[’'\-\u2010](?=\w))*[’']?")


# a DOI resolver's address, and the DOI it resolves
_DOI_ADDRESS = re.compile(r"(?:dx\.)?doi\.org/(10\.\S+)", re.I)


def _shows_doi(text: str, address: str) -> bool:
    """Whether a link's text is the DOI its doi.org address resolves: citeproc links a
    work's DOI so, its text the DOI alone ("doi: 10.1038/22672" in IEEE). A reader finds
    the work from it as from the address, which print would only repeat."""
    m = _DOI_ADDRESS.fullmatch(_bare(address))
    doi = re.sub(r"^doi:\s*", "", text.strip(), flags=re.I).lower()
    return m is not None and doi == m.group(1)


def _print_addresses(doc) -> None:
    """On paper a link cannot be followed: a link to a web or mail address whose text is
    not the address itself (nor the DOI a doi.org address resolves, ``_shows_doi``) is
    followed by the address in brackets (``span.address``), after the word the link
    ends ("Grafton’s (https://…) book", not "Grafton (…)’s").
    An address breaks at its punctuation (``_break_long``), as the Chicago Manual breaks
    one, and inside a piece only where the piece is wider than its line (print.css):
    free to break anywhere, it broke letter by letter in a narrow table's column."""
    for a in doc.xpath('//a[starts-with(@href, "http:") or starts-with(@href, "https:") '
                       'or starts-with(@href, "mailto:")]'):
        href = a.get("href")
        shown = unquote(href[len("mailto:"):].split("?")[0] if href.startswith("mailto:")
                        else href)     # as its reader types it: "wiki/Менделеев"
        text = unquote(" ".join(a.text_content().split()))
        if not shown:
            continue
        if _bare(text) == _bare(shown) or _shows_doi(text, shown):
            # the address (or the DOI it resolves) is the text: set as one
            a.set("class", " ".join(filter(None, [a.get("class"), "address"])))
            _break_long(a)
            continue
        if _bare(shown) in _bare(text):      # the text names the address already
            continue
        address = etree.Element("span", {"class": "address"})
        address.text = shown
        _break_long(address)
        word = _WORD_ON.match(a.tail or "").group()
        address.tail = ")" + (a.tail or "")[len(word):]
        a.tail = word + " ("
        a.addnext(address)


# Where a long piece of code, or a web address, may break at a line's end when it must
# (print has no horizontal scroll): after a double slash, before a dot, a slash, "::" or
# "->", and after an underscore, an opening bracket or a comma, each between two of the
# code's characters, as the Chicago Manual breaks a web address. A zero-width space
# marks each: it is drawn as nothing and not copied with the text. Only a run of at
# least LONG_CODE characters without a space gets them; shorter ones move to the next
# line whole.
LONG_CODE = 16
_CODE_BREAK = re.compile(r"(?<=[\w)\]])(?=(?:\.|/|::|->)[\w(])|(?<=\w://)(?=\w)"
                         r"|(?<=[A-Za-z0-9]_)(?=[A-Za-z0-9])|(?<=[\w][(\[,])(?=[^\s)\],])")
ZWSP = "\u200b"
# the hyphens that start a word of code, after a space or at a line's start: a command's
# option ("-s", "--all") or a minus sign, which a break after would part from its word
# (a hyphen inside a word, "well-known", "x-1", still allows one)
_WORD_HYPHEN = re.compile(r"(?:^|(?<=\s))-+(?=[^\s-])", re.M)


# A lead under a heading shorter than this (in characters) may take fewer lines than
# the heading keeps under it (orphans: 3): about two lines of the measure
SHORT_LEAD = 170


_NO_BIND = {"code", "pre", "math", "kbd", "samp", "script", "style"}


def _verses(doc) -> None:
    """A line block's verses each a block of its own (``span.verse``), and its stanzas
    (the verses between blank ones) each a block (``span.stanza``): a verse too long for
    the measure goes on indented under its start, not justified as prose (print.css),
    and a stanza is kept on one page where it fits. A block whose line breaks are not all
    its own (inside an element) is left as it is."""
    for block in doc.xpath('//div[contains(concat(" ", @class, " "), " line-block ")]'):
        if any(br.getparent() is not block for br in block.iter("br")) or \
                block.find("br") is None:
            continue
        verses = [etree.Element("span", {"class": "verse"})]
        verses[0].text = block.text
        for child in list(block):
            if child.tag == "br":
                verses.append(etree.Element("span", {"class": "verse"}))
                verses[-1].text = (child.tail or "").lstrip("\n")
                block.remove(child)
            else:
                verses[-1].append(child)
        block.text = None
        stanza = None
        for verse in verses:
            if not (verse.text or "").strip() and not len(verse):
                stanza = None                   # a blank verse parts two stanzas
                continue
            if stanza is None:
                stanza = etree.SubElement(block, "span", {"class": "stanza"})
            stanza.append(verse)


def _toc_last_words(doc) -> None:
    """A contents line's leader and page keep the title's last word with them
    (``span.toc-end``, unbreakable): a title that filled its line left the dots and the
    page alone on the next, from the left margin. A title that ends inside an element
    (emphasis) is left as it is."""
    for page in doc.xpath('//span[contains(concat(" ", @class, " "), " toc-page ")]'):
        before = page.getprevious()
        text = (before.tail if before is not None else page.getparent().text) or ""
        cut = text.rstrip().rfind(" ")     # (words a no-break space joins go together)
        word = text[cut + 1:]
        if not word.strip():
            continue
        end = etree.Element("span", {"class": "toc-end"})
        end.text = word
        if before is not None:
            before.tail = text[:cut + 1]
        else:
            page.getparent().text = text[:cut + 1]
        page.addprevious(end)
        end.append(page)


def _bind_short_words(doc, words) -> None:
    """Each of the language's short words that never end a line (``no_break_after``:
    Polish "w", "z", "i") joined to the next word by a no-break space: a Polish title
    broke "Teorie kwasów i zasad w" / "jednej tabeli"."""
    if not words:
        return
    # (not before an element: WeasyPrint, finding it too long for the line, would break
    # at the line's first space, not at its last)
    pattern = re.compile(r"(?<![\w\u00ad-])(" + "|".join(
        re.escape(w) for w in sorted(set(words), key=len, reverse=True)) + r") (?=\S)",
        re.IGNORECASE)
    last = re.compile(r"(?<![\w\u00ad-])(" + "|".join(
        re.escape(w) for w in sorted(set(words), key=len, reverse=True)) + r") $",
        re.IGNORECASE)
    body = doc.find("body")
    if body is None:
        return
    def tails(el) -> None:
        # (a span made takes the element's tail with it: its own is bound in turn)
        while el is not None and el.tail:
            el.tail = pattern.sub("\\1\u00a0", el.tail)
            el = _bind_before(el, el.getnext(), "tail", last) \
                if el.getnext() is not None else None

    for el in list(body.iter()):
        if not isinstance(el.tag, str):
            continue
        inside = el.tag in _NO_BIND or any(a.tag in _NO_BIND for a in el.iterancestors())
        if el.text and not inside:
            el.text = pattern.sub("\\1\u00a0", el.text)
            if len(el):
                tails(_bind_before(el, el[0], "text", last))
        outside = el.getparent() is not None and (el.getparent().tag in _NO_BIND or any(
            a.tag in _NO_BIND for a in el.getparent().iterancestors()))
        if not outside:
            tails(el)


# the inline elements that hold a word a short word may be bound to (not a note's call)
_WORD_HOLDERS = {"span", "a", "em", "strong", "i", "b", "abbr", "cite", "q", "small", "dfn"}


def _bind_before(holder, nxt, slot: str, last: re.Pattern):
    """A short word ending ``holder``'s text or tail (``slot``) bound to the word of the
    element after it (an index mention, a glossary link, a name): both in a span, the
    short word and a no-break space first ("w <span>Koronie</span>" broke after "w").
    The space before the short word then opens the span, where print's line breaking
    finds it (``spaces_into_inlines``); a bare no-break space before the element would
    leave the line to break at the text's first space. The span made, or None."""
    text = getattr(holder, slot) or ""
    m = last.search(text)
    if m is None or nxt.tag not in _WORD_HOLDERS or not (nxt.text or "")[:1].isalpha():
        return None
    # (a word alone is kept whole with it, the short word's space being no break for
    # WeasyPrint between the two boxes; a longer text breaks as text, after its first word)
    # (not a long one, which must break where it can: a web address, a long word)
    word = nxt.text_content().strip()
    one_word = not re.search(r"\s", word) and len(word) <= 20
    bound = etree.Element("span", {"class": "bound nobr" if one_word else "bound"})
    bound.text = m.group(1) + "\u00a0"
    setattr(holder, slot, text[:m.start()])
    nxt.addprevious(bound)
    bound.tail, nxt.tail = nxt.tail, None
    bound.append(nxt)
    return bound


def keep_short_leads(doc) -> None:
    """A short paragraph or list under a heading carries what follows with it
    (``.keep-next``, print.css), so that the heading keeps three lines under it. Only a
    short one: a longer one keeps its three lines by itself, and chained to a table or a
    figure kept whole it took its heading to the next page and left the page before it
    half empty."""
    for lead in doc.xpath('//*[self::h2 or self::h3][not(contains(concat(" ", @class, " "), '
                          '" box-heading "))]/following-sibling::*[1]'
                          '[self::p or self::ul or self::ol or self::dl]'):
        if len(" ".join(lead.text_content().split())) < SHORT_LEAD:
            lead.set("class", " ".join(filter(None, [lead.get("class"), "keep-next"])))


# what a paragraph that introduces the block after it ends with ("… as follows:")
INTRODUCING = (":", "\uff1a")


def keep_introductions(doc) -> None:
    """A paragraph that introduces the list, quotation, code or line block after it (its
    text ends with a colon) carries it along (``.keep-next``): "Wichtige Katalysatoren der
    Industrie:" was the last line of a page, its list on the next. A long paragraph
    keeps its last lines with the block (it parts between its lines); a table or a
    figure, kept whole, is not chained (the page before it would be left half empty)."""
    for lead in doc.xpath("//p[following-sibling::*[1][self::ul or self::ol or self::dl "
                          "or self::blockquote or self::pre or self::div[contains(concat("
                          "' ', @class, ' '), ' line-block ')]]]"):
        if lead.text_content().rstrip().endswith(INTRODUCING):
            classes = (lead.get("class") or "").split()
            if "keep-next" not in classes:
                lead.set("class", " ".join([*classes, "keep-next"]))


def print_code(doc) -> None:
    """Code as print sets it: long code breaks at its punctuation, and a block's line
    too long for the measure goes on indented under its start. Pygments' spans of white
    space are plain text: WeasyPrint, finding the token after one too long for the line,
    broke at the span's end, and left a line's number alone with its indent
    (``spaces_into_inlines`` moves a space before a span into it)."""
    for space in doc.xpath('//code//span[@class="w"]'):
        space.drop_tag()
    _code_breaks(doc)
    code_lines(doc, newlines=False)


def _code_breaks(doc) -> None:
    """Break opportunities in long code, inline or in a block (``_CODE_BREAK``):
    without them, an identifier longer than the rest of the line ran past the margin, or
    left the line before it spread word by word across the measure, and a block's line
    broke in mid-name ("…is_very_lon" / "g(argument_one"). And none after the hyphen
    that starts a word (``_WORD_HYPHEN``)."""
    for code in doc.iter("code"):
        if code.getparent() is not None and code.getparent().tag == "code":
            continue
        _break_long(code)
        _join_word_hyphens(code)


def _break_long(el) -> None:
    """Zero-width spaces at the break opportunities (``_CODE_BREAK``) of each run of
    ``LONG_CODE`` characters or more without a space in ``el``'s text."""
    whole = "".join(getattr(slot, attr) or "" for slot, attr in _text_slots(el))
    if len(whole) < LONG_CODE:
        return
    _insert(el, [m.start() for run in re.finditer(r"\S{%d,}" % LONG_CODE, whole)
                 for m in _CODE_BREAK.finditer(whole, run.start(), run.end())
                 if run.start() < m.start() < run.end()], ZWSP)


def _join_word_hyphens(el) -> None:
    """A word joiner after the hyphens that start a word of code (``_WORD_HYPHEN``): a
    line may break after a hyphen, and a shell command broke after its option's
    ("… timeit -" / "s \"import…"), where the space before the option was free; the
    text taken from the PDF then dropped the hyphen as a word's ("timeit s")."""
    whole = "".join(getattr(slot, attr) or "" for slot, attr in _text_slots(el))
    if "-" in whole:
        _insert(el, [m.end() for m in _WORD_HYPHEN.finditer(whole)], WORD_JOINER)


def _insert(el, cuts: list[int], char: str) -> None:
    """``char`` at each of the places ``cuts`` (offsets into ``el``'s whole text)."""
    at = 0
    for slot, attr in list(_text_slots(el)):
        text = getattr(slot, attr) or ""
        own = [c - at for c in cuts if at <= c < at + len(text)]
        at += len(text)
        for c in reversed(own):
            text = text[:c] + char + text[c:]
        if own:
            setattr(slot, attr, text)


def _text_slots(el):
    """The texts inside an element in reading order, as (element, "text" or "tail")."""
    yield el, "text"
    for child in el:
        yield from _text_slots(child)
        yield child, "tail"


def _bookmark_text(el) -> str:
    """An element's text for a PDF bookmark: a picture or formula by its text
    alternative, no word joiner, no note."""
    return " ".join(_alt_text(el).replace("\u2060", "").split())


def _alt_text(el) -> str:
    parts = [el.text or ""]
    for child in el:
        if not isinstance(child.tag, str):
            parts.append(child.tail or "")
            continue
        if "fn" in (child.get("class") or "").split():
            pass                        # a note (footnotes_to_floats): not the title's
        elif child.tag in ("img", "svg", "math"):
            parts.append(child.get("alt") or child.get("alttext") or child.get("aria-label")
                         or "")
        else:
            parts.append(_alt_text(child))
        parts.append(child.tail or "")
    return "".join(parts)


# a bracketed span of the book's words alone (``{.in-book}``), which a handout leaves out
IN_BOOK = re.compile(r"\[[^\[\]]*\]\{[^{}]*\.in-book(?![\w-])[^{}]*\}")


def handout_title(caption: str) -> str:
    """A table's or figure's caption (Markdown, as the book prints it: a figure's title,
    or a generated figure's caption from its data or the labels) as a handout names it:
    its text, as an image's alt is, without what the book alone says ("The full
    timeline follows.")."""
    caption = caption.replace(TITLE_DOLLAR, "$").replace(TITLE_BACKTICK, "`")
    return plain_text(IN_BOOK.sub("", caption))


def localise_links(html_text: str, rb: RenderedBook | None = None) -> str:
    """In a stand-alone document (a handout), links to ids it does not hold become plain
    text. A numbered table's or figure's filled-in label ("Table 3.1"), which the book
    follows with its page, then gains its title as a chapter's or a section's has it
    ("Table 3.1, “Crosses and their ratios”"): the reader of a worksheet has no page to
    turn to."""
    doc = lxml_html.document_fromstring(html_text)
    ids = set(doc.xpath("//@id"))
    for a in doc.xpath('//a[starts-with(@href, "#")]'):
        if a.get("href")[1:] not in ids:
            target = rb.targets.get(a.get("href")[1:]) if rb is not None else None
            label = target.label if target is not None else ""
            shown = a.text or ""
            if label and target.kind in ("table", "figure") and target.title and \
                    len(a) == 0 and shown.lower() == label.lower():
                a.text = titled(rb.labels, shown, handout_title(target.title))
            if label and len(a) == 0 and (a.text or "").lower().startswith(label.lower()) \
                    and "xref" in (a.get("class") or "").split():
                # a filled-in label is never parted from its number ("Capítulo" / "3"),
                # here as in the book (``_print_typography``)
                keep = etree.SubElement(a, "span", {"class": "nobr"})
                keep.text, keep.tail, a.text = a.text[:len(label)], a.text[len(label):], None
            a.drop_tag()
    return "<!DOCTYPE html>\n" + to_html(doc)


def warm_up(languages: Iterable[str] = ()) -> None:
    """Load WeasyPrint, fontconfig, the book's typefaces and the hyphenation patterns of
    these languages (about 0.15 s each, which every worker would spend) in a process."""
    import pyphen
    from weasyprint import HTML
    with warnings.catch_warnings():     # a build reports it (``engine.fallback_note``)
        warnings.simplefilter("ignore", engine.EngineWarning)
        engine.private()    # decided once, for the workers forked from this process
    for language in languages:
        fallback = language and pyphen.language_fallback(language)
        if fallback:
            pyphen.Pyphen(lang=fallback)      # pyphen keeps the patterns it has read
    HTML(string='<html lang="en"><title>-</title><p style="font-family: \'Linux Libertine O\', '
                'serif">a <b>b</b> <i>c</i> 1</p></html>').render().write_pdf(
        pdf_variant="pdf/ua-1")


# Every part and handout of a book carries the same stylesheet in its <style>, which
# WeasyPrint would parse again for each (about 30 ms). A worker parses each stylesheet
# once and lays documents out with it as a user stylesheet: with no author rules to
# weigh it against but a part's own @page counter, the cascade is the same (the tests
# compare the PDFs byte for byte). What parsing it refused to fetch is reported with
# every document that uses it.
_STYLESHEETS: OrderedDict[tuple[str, str], tuple] = OrderedDict()


def _document(rb: RenderedBook, html_text: str, fetcher):
    """A part laid out; the index with the continued headings its columns need
    (``continued_heads``). Which they are is read first from a sketch of the index
    (``_sketch``), then checked on the index as laid out with them, and the index laid
    out again while the headings it wants are other than those it was laid out with."""
    if CONTINUED_HEAD not in html_text:
        return _render(rb, html_text, fetcher)
    shown = _heads_wanted(_render(rb, _sketch(html_text), _fetcher(rb)), html_text,
                          frozenset())
    refused = len(fetcher.refused)
    for _ in range(CONTINUED_ROUNDS - 1):
        del fetcher.refused[refused:]
        document = _render(rb, _show_heads(html_text, shown), fetcher)
        wanted = _heads_wanted(document, html_text, shown)
        if wanted == shown:
            break
        shown = wanted
    return document


# the index's locators and the proper names' spans, each an inline box
_SKETCHED = re.compile(r'<a class="locator"[^>]*>([^<]*)</a>|<span class="name">([^<]*)</span>')


def _sketch(html_text: str) -> str:
    """The index as text alone: its locators without their links, its names without
    their spans. WeasyPrint lays each inline element out at a cost: the default guide's
    index (1,700 links) takes a quarter of the time as a sketch, and its entries fall in
    the same places, so that the headings the sketch wants are those the index wants. A
    sketch that differs (a name hyphenated, a figure of another width) costs a layout
    more, not another index: the headings are checked on the index itself."""
    return _SKETCHED.sub(lambda m: m.group(1) if m.group(1) is not None else m.group(2),
                         html_text)


def _render(rb: RenderedBook, html_text: str, fetcher):
    from weasyprint import CSS
    from weasyprint.css.counters import CounterStyle
    from weasyprint.text.fonts import FontConfiguration
    html_text, formulas = math.print_html(html_text, rb.math)     # WeasyPrint has no MathML
    html_text = spaces_into_inlines(html_text)
    fetcher.generated.update({f"{name}.svg": svg.encode("utf-8")
                              for name, svg in formulas.items()})
    base = rb.book.root.as_uri() + "/"
    start = html_text.find("<style>")
    end = html_text.find("</style>", start)
    if not 0 <= start < end < html_text.find("<body") or not engine.enabled("stylesheets"):
        return _html(html_text, base, fetcher).render()
    key = (html_text[start + len("<style>"):end], base)
    if key not in _STYLESHEETS:
        fonts, counters, profiles = FontConfiguration(), CounterStyle(), {}
        sheet_fetcher = _fetcher(rb)
        sheet = CSS(string=key[0], base_url=base, url_fetcher=sheet_fetcher, font_config=fonts,
                    counter_style=counters, color_profiles=profiles)
        _STYLESHEETS[key] = (sheet, fonts, counters, profiles, list(sheet_fetcher.refused))
        while len(_STYLESHEETS) > 8:
            _STYLESHEETS.popitem(last=False)
    sheet, fonts, counters, profiles, refused = _STYLESHEETS[key]
    fetcher.refused.extend(refused)
    html = _html(html_text[:start] + html_text[end + len("</style>"):], base, fetcher)
    return html.render(font_config=fonts, counter_style=counters, color_profiles=profiles,
                       stylesheets=[sheet])


def _html(html_text: str, base: str, fetcher):
    from weasyprint import HTML
    return HTML(string=html_text, base_url=base, url_fetcher=fetcher)


def _fetcher(rb: RenderedBook):
    from .. import paths
    from .fetcher import SafeFetcher
    generated = {f"{name}.svg": figures.for_print(svg, rb.book.fonts).encode("utf-8")
                 for name, svg in rb.figures.items()}
    return SafeFetcher([rb.book.root, paths.STYLES], generated, rb.book.root / "generated")


def _anchors_by_page(doc) -> list[list[str]]:
    """Per page, the anchors of elements that start on it, top to bottom.

    An element that runs over a page break has a box, and so an anchor, on each page
    it touches; only its first page counts as where it is.

    After them a page lists the elements it continues from an earlier page,
    latest-started first, each marked with ``CONTINUED``: the EPUB places the marker
    of a page on which no block of the text starts (nothing does, or only a note's list
    or paragraph at its foot) at the block its text continues.
    """
    out, order = [], {}
    for page in doc.pages:
        items = sorted(page.anchors.items(), key=lambda kv: (round(kv[1][1], 1), kv[1][0]))
        names = [name for name, _ in items if name not in order]
        continued = [CONTINUED + name for name in sorted(
            (n for n in page.anchors if n in order), key=order.get, reverse=True)]
        for name in names:
            order[name] = len(order)
        out.append(names + continued)
    return out


@dataclass
class PartLayout:
    """One typeset part: its PDF (None when it has only been laid out) and anchors."""
    pdf: bytes | None
    anchors: list[list[str]]             # per page, the anchors that start on it (and,
                                         # marked CONTINUED, those that run on to it)
    refused: list[tuple[str, str]] = field(default_factory=list)   # (URL, what)


def _common(rb: RenderedBook, teacher: bool, paper: str) -> dict:
    theme.use(rb.book.templates_dir, rb.book.stylesheet_path)
    # answers.css styles the teacher edition's answer key; both editions carry it, so
    # that a body part is the same HTML in both and typeset once
    css = _css("base.css", "print.css", "answers.css", paper=paper, meta=rb.book.meta,
               book_fonts=rb.book.fonts)
    return dict(meta=rb.book.meta, rb=rb, teacher=teacher, css=css, L=rb.labels, paper=paper,
                edition_name=edition_name(rb, teacher),
                title_suffix=edition_name(rb, teacher), body_class="book")


def _body_common(rb: RenderedBook, teacher: bool, paper: str) -> dict:
    """As _common, but a body part names no edition (the joined PDF takes the front
    matter's title), so a part that is the same in both editions is typeset once."""
    return {**_common(rb, teacher, paper), "title_suffix": None}


def part_sources(rb: RenderedBook, teacher: bool, paper: str, memo=None) -> dict[str, str]:
    """The HTML of every body part, before page numbers are known (``memo``: the
    build's cache, for ``print_typography``)."""
    from ..errors import BuildError
    common = _body_common(rb, teacher, paper)
    docs = rb.docs + rb.back
    out, failed = {}, []
    for part in rb.body_parts():
        doc = docs[part.doc_index] if part.kind == "doc" else None
        try:
            out[part.id] = print_typography(footnotes_to_floats(theme.render(
                "print/body.html", **common, part=part, doc=doc)), rb, paper, memo)
        except BuildError as exc:     # each part's template error, not only the first's
            failed.append(exc)
    if failed:
        raise BuildError.joined(failed)
    return out


def anchor_ids(html_texts) -> set[str]:
    return {i for text in html_texts for i in re.findall(r'\sid="([^"]+)"', text)}


def paginate_html(html_text: str, first_page: int | None, pages: dict[str, str],
                  book_ids: set[str]) -> str:
    """A part's HTML with its first page number and the page of every cross-reference.

    Links to anchors in other parts get the ``xref:`` scheme, which the join turns
    back into links inside the book; links to anchors that exist nowhere become text.
    """
    doc = lxml_html.document_fromstring(html_text)
    own = set(doc.xpath("//@id"))
    for a in doc.xpath('//a[starts-with(@href, "#")]'):
        target = a.get("href")[1:]
        if "xref" in (a.get("class") or "").split() and target in pages:
            # a target outside the body, in the front matter (numbered in its own
            # numerals once the body is laid out), is named without a page
            a.set("data-page", pages[target])
        if target not in own:
            if target in book_ids:
                a.set("href", splice.XREF_SCHEME + target)
            else:
                a.drop_tag()
    if first_page is not None:
        style = etree.SubElement(doc.find("head"), "style")
        style.text = f"@page :first {{ counter-reset: page {first_page}; }}"
    return "<!DOCTYPE html>\n" + to_html(doc)


def index_source(rb: RenderedBook, teacher: bool, paper: str, pages: dict[str, str],
                 real: dict[str, str] | None = None, memo=None) -> str:
    """The index's HTML, its numbers as ``pages`` gives them; ``real``: the pages the
    anchors fell on, which gather the locators into pages and ranges."""
    from ..index import arrange
    common = _body_common(rb, teacher, paper)
    return print_typography(continued_heads(
        theme.render("print/index.html", **common, pages=pages,
                     entries=arrange(rb.index, real or {}),
                     href=lambda doc_id, anchor: "#" + anchor), rb), rb, memo=memo)


# -- the index: an entry broken across columns repeats its heading ----------------------
#
# A subentry that opens a column is headed, as a professional index heads it, by its
# entry's heading and "(continued)" (the label ``index_continued``). Where a column
# breaks is known only once the index is laid out: each subentry carries its heading
# hidden before it, and ``_document`` shows those that the layout puts at a column's
# top and lays the index out again (print.css keeps a short entry whole, so that most
# books' indexes are laid out once).

CONTINUED_HEAD = 'class="index-continued"'
CONTINUED_ROUNDS = 4          # layouts at most, the sketch's with them: a heading
                              # shown moves what follows it
COLUMN_APART = 40             # CSS px: two boxes this far apart across are in two columns


def continued_heads(html_text: str, rb: RenderedBook) -> str:
    """The index's HTML with an id on each subentry (``ENTRY-subN``) and before it its
    entry's heading and "(continued)", hidden (``ENTRY-subN-cont``)."""
    if "index-subentries" not in html_text:
        return html_text
    heads = {e["id"]: e["html"] for e in rb.index}
    before, _, after = str(rb.labels["index_continued"]).format(heading="\0").partition("\0")
    doc = lxml_html.document_fromstring(html_text)
    for ul in doc.xpath('//ul[contains(concat(" ", @class, " "), " index-subentries ")]'):
        entry = ul.getparent().get("id")
        if entry not in heads:
            continue
        for n, sub in enumerate(ul.findall("li"), 1):
            sub.set("id", f"{entry}-sub{n}")
            head = lxml_html.fragment_fromstring(
                f'<li class="index-continued" id="{entry}-sub{n}-cont">{escape(before)}'
                f'{heads[entry]}{escape(after)}</li>')
            sub.addprevious(head)
    return "<!DOCTYPE html>\n" + to_html(doc)


def _heads_wanted(document, html_text: str, shown: frozenset) -> frozenset:
    """The subentries whose continued heading belongs in the index as ``document``
    lays it out (with the headings ``shown``): each that opens a column, its heading
    shown or not, after its entry's heading or the subentry before it."""
    at: dict[str, tuple] = {}
    for p, page in enumerate(document.pages):
        for name, box in page.anchors.items():
            at.setdefault(name, (p, box[0], box[1]))

    def opens(before: tuple, after: tuple) -> bool:
        return before[0] != after[0] or abs(after[1] - before[1]) > COLUMN_APART or \
            after[2] < before[2]

    wanted, last = set(), {}
    for entry, sub in re.findall(r'\bid="([^"]+)-sub(\d+)"', html_text):
        ident = f"{entry}-sub{sub}"
        before = last.get(entry) or at.get(entry)
        where = at.get(ident + "-cont") if ident in shown else None
        where = where or at.get(ident)
        if before is not None and where is not None and opens(before, where):
            wanted.add(ident)
        last[entry] = at.get(ident) or before
    return frozenset(wanted)


def _show_heads(html_text: str, shown: frozenset) -> str:
    return re.sub(r'<li class="index-continued" id="([^"]+)-cont"',
                  lambda m: m.group(0).replace('"index-continued"', '"index-continued shown"')
                  if m.group(1) in shown else m.group(0), html_text)


def front_source(rb: RenderedBook, teacher: bool, paper: str, pages: dict[str, str],
                 memo=None) -> str:
    common = _common(rb, teacher, paper)
    return print_typography(theme.render("print/front.html", **common,
                                         toc=rb.contents(teacher), pages=pages), rb,
                            memo=memo)


def answer_docs(rb: RenderedBook) -> list[RenderedDoc]:
    """The chapters and back-matter pages that have questions, in reading order."""
    return [d for d in rb.docs + rb.back if d.questions]


def has_answer_key(rb: RenderedBook, teacher: bool) -> bool:
    return teacher and bool(answer_docs(rb))


def used_schemes(rb: RenderedBook, docs: list[RenderedDoc]) -> dict[str, dict]:
    """The mark schemes the questions of ``docs`` are marked by, in the data file's order."""
    used = {q["scheme"] for d in docs for q in d.questions if q["scheme"]}
    return {k: v for k, v in rb.mark_schemes.items() if k in used}


def answers_source(rb: RenderedBook, paper: str) -> str:
    """The teacher edition's answer key, printed after the index: its links to the
    questions carry their pages as cross-references do."""
    common = _body_common(rb, True, paper)
    docs = answer_docs(rb)
    return print_typography(theme.render("print/answers.html", **common, docs=docs,
                                         schemes=used_schemes(rb, docs)), rb)


# -- body parts: laid out once, numbered afterwards ---------------------------------
#
# A body part is laid out from its *shape*: its HTML with every page number it prints
# reduced to zeros ("(p. 00)"), and its folios counting from 1. The book's figures are
# tabular (every digit has the same advance), so the shape fixes where every line and
# page breaks; once the page plan is known, ``write_part`` writes the real numbers into
# the laid-out text boxes (moving a right-aligned folio left by its extra digits) and
# draws the PDF. The layout is held in the worker's memory between the two steps.

HELD_PAGES = 600                  # per worker process: about 0.6 GB of layouts
_held: OrderedDict[str, tuple] = OrderedDict()


def shape_of(pages: dict[str, str]) -> dict[str, str]:
    """Page numbers reduced to what the layout depends on: how many digits they have."""
    return {name: re.sub(r"\d", "0", label) for name, label in pages.items()}


def layout_part(rb: RenderedBook, shape_html: str, hold: str) -> PartLayout:
    """Lay out a body part from its shape and keep the layout for ``write_part`` (which
    writes the real numbers into it); on the public path (``engine``) the layout only
    gives the page plan, and ``write_part`` typesets the part again with its numbers."""
    fetcher = _fetcher(rb)
    document = _document(rb, shape_html, fetcher)
    if engine.enabled("numbers"):
        _held[hold] = (document, list(fetcher.refused))
        while sum(len(d.pages) for d, _ in _held.values()) > HELD_PAGES and len(_held) > 1:
            _held.popitem(last=False)
    return PartLayout(None, _anchors_by_page(document), fetcher.refused)


def write_part(rb: RenderedBook, shape_html: str, hold: str, first_page: int | None,
               pages: dict[str, str], keep: bool = False) -> PartLayout:
    """A part's PDF with its real page numbers: folios from ``first_page`` (None: the
    front matter's own), and each number it prints (cross-references, index locators,
    contents) from ``pages``. Lays the part out again if this process does
    not hold its layout (the result is the same); ``keep`` holds it for another edition
    that has the same part at other pages. On the public path, the part is typeset
    from its HTML with the numbers written in (``number_html``). Either way the PDF
    comes ready to be joined (``splice.prepare_part``)."""
    if not engine.enabled("numbers"):
        fetcher = _fetcher(rb)
        document = _document(rb, number_html(shape_html, first_page, pages), fetcher)
        data = splice.prepare_part(write_pdf(document, rb, uncompressed_pdf=True))
        return PartLayout(data, _anchors_by_page(document), fetcher.refused)
    held = _held.get(hold) if keep else _held.pop(hold, None)
    if held is None:
        fetcher = _fetcher(rb)
        held = (_document(rb, shape_html, fetcher), list(fetcher.refused))
        if keep:
            _held[hold] = held
    document, refused = held
    engine.number_layout(document, first_page, pages, splice.XREF_SCHEME)
    data = splice.prepare_part(write_pdf(document, rb, uncompressed_pdf=True))
    return PartLayout(data, _anchors_by_page(document), refused)


def number_html(shape_html: str, first_page: int | None, pages: dict[str, str]) -> str:
    """A part's shape with its real numbers written into its HTML, as WeasyPrint
    typesets them itself: the first folio as the page counter's start, and each number
    marked with ``data-page`` (generated from it by the stylesheet, or its element's
    text) as ``engine.page_number`` writes it into a layout."""
    doc = lxml_html.document_fromstring(shape_html)
    for element in doc.xpath("//*[@data-page]"):
        shape = element.get("data-page")
        text = engine.page_number(shape, pages.get(engine.number_target(element,
                                                                        splice.XREF_SCHEME)))
        if text is None:
            continue
        element.set("data-page", text)
        if len(element) == 0 and element.text == shape:
            element.text = text
    if first_page is not None:
        style = etree.SubElement(doc.find("head"), "style")
        style.text = f"@page :first {{ counter-reset: page {first_page}; }}"
    return "<!DOCTYPE html>\n" + to_html(doc)


# -- what a link leads to, for the PDF's link annotations ------------------------------
# A link annotation's /Contents is its alternate description (PDF/UA 7.18.5), which a
# screen reader gives for the link; WeasyPrint puts the target's id there
# ("ref-smith1990"). The join puts instead what the target is: a heading's or a caption's
# text, a term, the start of a note or of a works-cited entry; and for a place inside the
# running text (an index locator's mention), its page ("Page 12": the locale's ``page_n``).
DESCRIPTION_LIMIT = 100         # characters, cut at a word
_CONTAINERS = {"section", "aside", "nav", "div", "figure", "table", "header", "article",
               "ol", "ul", "dl"}
_OWN_TEXT = {"li", "p", "dt", "dd", "blockquote", "tr", "td", "th", "caption",
             "figcaption", "h1", "h2", "h3", "h4", "h5", "h6"}
_TITLE = ('.//*[self::h1 or self::h2 or self::h3 or self::h4 or self::h5 or self::h6 or '
          'self::caption or self::figcaption or self::dt or '
          'contains(concat(" ", normalize-space(@class), " "), " box-title ")][1]')
_UNSEEN = dict.fromkeys(map(ord, "\u00ad\u200b" + WORD_JOINER))


@functools.lru_cache(maxsize=256)
def link_descriptions(html_text: str) -> tuple[tuple[str, str], ...]:
    """(id, description) for each element of a part that a link may lead to and that
    says what it is: a heading or a block of text (a list item, a paragraph, a term) by
    its text; a section, a box, a figure or a table by its first heading or caption.
    Inline targets (a mention, a glossary link) have none: the join names their page."""
    doc = lxml_html.document_fromstring(html_text)
    out = []
    for el in doc.xpath("//*[@id]"):
        tag = el.tag if isinstance(el.tag, str) else ""
        if tag in _CONTAINERS:
            titled = el.xpath(_TITLE)
            text = _description(titled[0]) if titled else ""
        elif el.get("data-epub-type") == "index-entry":
            text = _entry_heading(el)
        elif tag in _OWN_TEXT:
            text = _description(el)
        else:
            continue
        if text:
            out.append((el.get("id"), text))
    return tuple(out)


def _entry_heading(el) -> str:
    """An index entry's heading: its text before its first link (a locator, "See") or
    its subentries."""
    words = [el.text or ""]
    for child in el:
        if child.tag in ("a", "ul", "ol"):
            break
        words += [child.text_content(), child.tail or ""]
    return _description("".join(words)).rstrip(" ,.;:")


def _description(el) -> str:
    """An element's text (or a text) as a reader hears it: spaces collapsed, no soft
    hyphen or word joiner, at most ``DESCRIPTION_LIMIT`` characters (cut at a word, with
    an ellipsis)."""
    text = el if isinstance(el, str) else el.text_content()
    text = " ".join(text.translate(_UNSEEN).split())
    if len(text) <= DESCRIPTION_LIMIT:
        return text
    cut = text[:DESCRIPTION_LIMIT + 1].rsplit(" ", 1)[0] if " " in text[:DESCRIPTION_LIMIT] \
        else text[:DESCRIPTION_LIMIT]
    return cut.rstrip(",;:") + "…"


@functools.lru_cache(maxsize=256)
def number_targets(html_text: str) -> tuple[str, ...]:
    """The anchors whose pages a part prints (cross-references, index locators, the
    contents), in order, once each; kept for the same shape again (each edition, each
    save while watching)."""
    doc = lxml_html.document_fromstring(html_text)
    out = []
    for el in doc.xpath("//*[@data-page]"):
        target = el.get("data-target")
        if target is None:
            href = el.get("href") or ""
            target = href[1:] if href.startswith("#") else href[len(splice.XREF_SCHEME):]
        out.append(target)
    return tuple(dict.fromkeys(out))


def joined_pages(part: PartLayout, pad: bool = True) -> list[list[str]]:
    """A part's pages in the joined edition: an odd count gets a blank page (no anchors)."""
    return part.anchors + [[]] * (pad and len(part.anchors) % 2)


def number_pages(parts: list[PartLayout]) -> list[tuple[int, list[list[str]]]]:
    """Each body part's first page number and its pages, numbered on from 1."""
    out, number = [], 1
    for part in parts:
        pages = joined_pages(part)
        out.append((number, pages))
        number += len(pages)
    return out


def edition_layout(front: PartLayout, body: list[PartLayout], index: PartLayout | None,
                   answers: PartLayout | None = None) -> Layout:
    """Which printed page each anchor fell on, across the joined edition."""
    layout = Layout()
    runs = number_pages(body)
    for last, part in ((answers is None, index), (True, answers)):
        if part is not None:
            first, pages = runs[-1] if runs else (1, [])
            runs.append((first + len(pages), joined_pages(part, pad=not last)))
    for first, pages in runs:
        for i, names in enumerate(pages):
            label = str(first + i)
            layout.labels.append(label)
            layout.page_starts.append((label, names))
            for name in names:
                if not name.startswith(CONTINUED):
                    layout.anchors.setdefault(name, label)
    front_starts = [(theme.roman(i + 1), names) for i, names in enumerate(joined_pages(front))]
    layout.labels = [label for label, _ in front_starts] + layout.labels
    layout.page_starts = front_starts + layout.page_starts
    layout.refused = sorted({u for p in [front, *body, *([index] if index else []),
                                         *([answers] if answers else [])]
                             for u in p.refused})
    return layout


def edition_name(rb: RenderedBook, teacher: bool) -> str:
    return rb.labels["teacher_edition" if teacher else "student_edition"]


def write_pdf(document, rb: RenderedBook, **options) -> bytes:
    """A laid-out document as PDF/UA, with the book's metadata: WeasyPrint takes title,
    authors, subject and keywords from the HTML's <head>, and the rest of ``pdf_info``
    as custom document information; ``book_metadata`` adds to its XMP."""
    document.metadata = book_metadata(document.metadata, rb.book.meta)
    return document.write_pdf(pdf_variant="pdf/ua-1", custom_metadata=True, **options)


@functools.lru_cache(maxsize=1)
def _book_metadata_class():
    from weasyprint.document import DocumentMetadata

    class BookMetadata(DocumentMetadata):
        """WeasyPrint's document metadata, whose XMP also holds what Dublin Core says
        of the book beyond title, authors and description: dc:contributor (editors,
        translators), dc:publisher, dc:identifier (the print ISBN, else the book's
        identifier), dc:language and dc:rights; in WeasyPrint's one rdf:RDF."""

        def __init__(self, base, meta):
            super().__init__(**vars(base))
            self.book = meta

        def generate_rdf_metadata(self, variant, version, conformance):
            root = etree.fromstring(super().generate_rdf_metadata(variant, version, conformance))
            root.append(xmp_description(self.book))
            return etree.tostring(root, encoding="utf-8")

    return BookMetadata


def book_metadata(base, meta):
    """``base`` (a document's metadata from its HTML) with the book's XMP; the class is
    made on first use, as WeasyPrint is imported only where it is used. A layout kept
    for another edition already has it."""
    cls = _book_metadata_class()
    if isinstance(base, cls):
        base.book = meta
        return base
    return cls(base, meta)


def xmp_description(meta):
    """An rdf:Description of the book's Dublin Core properties that WeasyPrint does not
    write itself."""
    rdf = "http://www.w3.org/1999/02/22-rdf-syntax-ns#"
    dc = "http://purl.org/dc/elements/1.1/"
    desc = etree.Element(f"{{{rdf}}}Description", {f"{{{rdf}}}about": ""},
                         nsmap={"rdf": rdf, "dc": dc})

    def container(name: str, kind: str, values: list[str], lang: bool = False) -> None:
        if values:
            holder = etree.SubElement(etree.SubElement(desc, f"{{{dc}}}{name}"),
                                      f"{{{rdf}}}{kind}")
            for value in values:
                li = etree.SubElement(holder, f"{{{rdf}}}li")
                li.text = value
                if lang:
                    li.set("{http://www.w3.org/XML/1998/namespace}lang", "x-default")

    container("contributor", "Bag", meta.editors + meta.translators)
    container("publisher", "Bag", [meta.publisher] if meta.publisher else [])
    container("language", "Bag", [meta.language])
    container("rights", "Alt", [meta.licence] if meta.licence else [], lang=True)
    etree.SubElement(desc, f"{{{dc}}}identifier").text = \
        f"urn:isbn:{meta.isbn_print}" if meta.isbn_print else meta.identifier
    return desc


def handout_references(rb: RenderedBook, parts: Iterable[str]) -> list[dict]:
    """The bibliography entries that the HTML ``parts`` of a handout cite."""
    keys = set(re.findall(r'href="#ref-([^"]+)"', "".join(parts)))
    out, before = [], None
    for n, r in enumerate(rb.bibliography):
        if r["key"] not in keys:
            continue
        # an entry whose names the style gives as a dash for the entry before's (MLA's
        # "———") names them where that entry is not the one before it here
        if r.get("in_full") and before != n - 1:
            r = {**r, "entry": r["in_full"]}
        out.append(r)
        before = n
    return out


def _handout_layout(rb: RenderedBook, doc: RenderedDoc, template: str, name: str,
                    paper: str, teacher: bool, sheets=("handout.css",), **context):
    """A handout of one chapter laid out on its own, one-sided, "page X of Y": the
    WeasyPrint document, the fetcher that loaded its pictures and its HTML. Its running
    heads are two short lines: the chapter's label and short title, and what the
    handout is (``name``)."""
    theme.use(rb.book.templates_dir, rb.book.stylesheet_path)
    meta = rb.book.meta
    css = _css("base.css", "answers.css", *sheets, paper=paper, meta=meta,
               book_fonts=rb.book.fonts)
    running = f"{doc.label} · {doc.short_title}" if doc.label else doc.short_title
    html_text = theme.render(template, meta=meta, rb=rb, doc=doc, teacher=teacher, css=css,
                             edition_name=edition_name(rb, teacher), L=rb.labels,
                             title_suffix=f"{doc.label}: {doc.title}" if doc.label
                             else doc.title, body_class="handout", running=running,
                             handout_kind=name, **context)
    html_text = print_typography(localise_links(footnotes_to_floats(html_text), rb), rb)
    html_text = _handout_tables(html_text)
    fetcher = _fetcher(rb)
    return _document(rb, html_text, fetcher), fetcher, html_text


# a handout's text block (handout.css): 170 mm wide on A4 (176 on Letter), at least 241 mm
# high; a table estimated at most this tall on it is kept whole
HANDOUT_MEASURE_MM = 170
HANDOUT_LONG_TABLE_MM = 200


def _handout_tables(html_text: str) -> str:
    """A handout's measure is wider than the book's: a table print_typography found too
    tall to keep whole in the book is kept whole where it fits a handout's page."""
    if "long-table" not in html_text:
        return html_text
    doc = lxml_html.document_fromstring(html_text)
    for figure in doc.xpath('//figure[contains(concat(" ", @class, " "), " long-table ")]'):
        if table_height_mm(figure, HANDOUT_MEASURE_MM) <= HANDOUT_LONG_TABLE_MM:
            figure.set("class", " ".join(c for c in figure.get("class").split()
                                         if c != "long-table"))
    return "<!DOCTYPE html>\n" + to_html(doc)


def _handout_pdf(rb: RenderedBook, doc: RenderedDoc, template: str, teacher: bool,
                 paper: str, laid_out) -> bytes:
    """The handout's PDF, its tagging completed and its links described
    (``splice.repair_tags``)."""
    document, fetcher, html_text = laid_out
    meta = rb.book.meta
    ident = hashlib.sha256(f"{meta.identifier}|{doc.id}|{template}|{teacher}|{paper}"
                           .encode()).hexdigest()
    data = write_pdf(document, rb, pdf_identifier=ident[:32].encode())
    if fetcher.refused:       # as the editions' refusals are: an error, not a quiet gap
        from ..errors import BuildError
        from .refusals import diagnostics
        raise BuildError(diagnostics(rb.book, fetcher.refused, doc.path))
    return splice.repair_tags(data, dict(link_descriptions(html_text)),
                              str(rb.labels["page_n"]))


def render_handout(rb: RenderedBook, doc: RenderedDoc, teacher: bool, paper: str) -> bytes:
    """The "reading" handout: the whole chapter reprinted as the student edition has it."""
    parts = [doc.epigraph_html, doc.body_html, doc.summary_html, *doc.objectives_html,
             *doc.key_points_html, *(q["question"] + q["extract"] for q in doc.questions),
             *(r["cite"] + r["note"] for r in doc.further_reading)]
    template = "print/handout.html"
    return _handout_pdf(rb, doc, template, False, paper, _handout_layout(
        rb, doc, template, rb.labels["reading"], paper, False,
        references=handout_references(rb, parts)))


# -- worksheets ------------------------------------------------------------------------
WORKSHEET_PAGES = 4       # a worksheet is one or two sheets printed on both sides
SEARCH_STEPS = 4          # halvings of the answer space's scale when a sheet runs over
RULE_MM = 8               # the ruled answer space's line pitch (worksheet.css .rule)
# ruled lines under a question: at least these for its type, and a line a mark (more
# for an essay, which is planned and argued at length), up to what a page holds
MIN_LINES = {"recall": 3, "analysis": 6, "source": 6, "essay": 12}
LINES_PER_MARK = {"recall": 1.0, "analysis": 1.0, "source": 1.0, "essay": 1.25}
UNMARKED_LINES = {"recall": 4, "analysis": 10, "source": 10, "essay": 20}
MAX_LINES = 24
MIN_KEPT = 3              # the fewest lines a question keeps when a sheet is shrunk
FILL_ROUNDS = 2           # layouts that give the space left at page feet as lines


def answer_lines(q: dict) -> int:
    """The ruled lines a question's answer is given, from its type and its marks."""
    least = MIN_LINES.get(q["type"], 3)
    if q.get("marks"):
        return max(least, min(MAX_LINES, round(q["marks"] * LINES_PER_MARK.get(q["type"], 1.0))))
    return UNMARKED_LINES.get(q["type"], 4)


# a full stop, question or exclamation mark and the space after it: a sentence's end
# where what follows opens one (``_ends_sentence``)
# (the full stops and question marks of Arabic and Urdu, Devanagari, Armenian, Ethiopic)
SENTENCE_END = re.compile(r"(?<=[.!?؟۔।॥։።])\s+|(?<=[。！？])\s*")
# a letter alone before a full stop: a capital is a name's initial, which ends no
# sentence (a sentence that ends in one, "Plan B.", runs on into the next: nothing is
# cut); a small letter is an abbreviation's, as Russian "1856 г." ending a sentence
INITIAL = re.compile(r"(?<![\w.])[^\W\d_]\.$")
# the full stops of scripts written without spaces, which need none after them (Chinese,
# Japanese): "条約。1858年の…" is two sentences, "「…した。」と" one
WIDE_STOPS = "。！？"
OPENING, CLOSING = "([「『（", ")]」』）"


def _ends_sentence(text: str, m: re.Match, abbreviations: re.Pattern) -> bool:
    """Whether the mark before ``m`` ends a sentence: what follows opens one (a capital
    in any script, a letter of a script without capitals — Arabic, Hebrew, Devanagari —
    or a figure, perhaps after an opening quote or bracket), it is no
    full stop of an abbreviation (``abbreviations``: "approx. 0.1 g", "z. B. 9,81"), and
    no bracket is left open before it."""
    before = text[:m.start()]
    if any(before.count(o) > before.count(c) for o, c in zip(OPENING, CLOSING)):
        return False
    if text[m.start() - 1] in WIDE_STOPS:     # no capitals to open the next: any text
        return bool(text[m.end():].strip()) and text[m.end()] not in CLOSING
    after = text[m.end():].lstrip("\"“‘«„([")
    if not after or not (after[0].isalnum() and not after[0].islower()):
        return False
    if INITIAL.search(before) and before[-2].isupper():    # "А. С. Пушкиным", "E. H. Carr"
        return False
    stop = m.start() - 1
    return not any(a.start() <= stop < a.end() for a in abbreviations.finditer(text))


def first_sentence(html_text: str, labels: dict | None = None) -> str:
    """A definition's first sentence (its markup kept): the worksheets' short form. A full
    stop of an abbreviation of the book's language (``labels``), or of English's, ends
    none."""
    from ..labels import abbreviations as language_abbreviations
    abbreviations = language_abbreviations(labels)
    root = lxml_html.fragment_fromstring(html_text or "", create_parent="div")
    block = root[0] if len(root) and root[0].tag == "p" else root
    nodes = [(block, "text")] + [(child, "tail") for child in block]
    children = list(block)
    depth = 0            # brackets open: a full stop inside them ends no sentence, as in
                         # a citation's "(Spinoza, Éthique, III, prop. 6)"

    def opened(text: str) -> int:
        return sum(text.count(c) for c in "([") - sum(text.count(c) for c in ")]")

    for i, (node, attr) in enumerate(nodes):
        text = getattr(node, attr) or ""
        match = next((m for m in SENTENCE_END.finditer(text)
                      if depth + opened(text[:m.start()]) <= 0 and
                      _ends_sentence(text, m, abbreviations)), None)
        if match:
            setattr(node, attr, text[:match.start()])
            for child in list(block)[i:]:
                block.remove(child)
            break
        depth += opened(text)
        if i < len(children):
            depth += opened(children[i].text_content())
    return _inner_html(block)


def _inner_html(el) -> str:
    return escape(el.text or "", quote=False) + "".join(
        to_html(c) for c in el)


def worksheet_extract(doc: RenderedDoc) -> str:
    """The source extract a worksheet prints on its own: none if a source question
    brings its own, else the chapter's first block quote, without its note calls. A
    notes style's citation is written out after the quotation, in parentheses, as a
    citation is where no note can go: the extract names its source, and the worksheet's
    works cited list it."""
    from ..citations import FINAL_PERIOD
    if any(q["extract"] for q in doc.questions):
        return ""
    root = lxml_html.fragment_fromstring(doc.body_html or "", create_parent="div")
    quote = next(iter(root.iter("blockquote")), None)
    if quote is None:
        return ""
    notes = {li.get("id"): li for li in root.xpath('.//div[@class="footnote"]//li[@id]')}
    for sup in quote.xpath('.//sup[a[@class="footnote-ref"]]'):
        target = (sup.find("a").get("href") or "")[1:]
        note = notes.get(target) if re.search(r"-fn-citation-+\d+$", target) else None
        if note is not None:
            for back in note.xpath('.//a[contains(@class, "footnote-backref")]'):
                back.drop_tree()
            inner = _inner_html(note[0] if len(note) == 1 and note[0].tag == "p" else note)
            cited = FINAL_PERIOD.sub(r"\1", inner.rstrip(" \u00a0\n"))
            written = lxml_html.fragment_fromstring(f"<span> ({cited})</span>")
            sup.addprevious(written)
            written.drop_tag()
        sup.drop_tree()
    for el in quote.xpath(".//*[@id]"):
        del el.attrib["id"]
    return _inner_html(quote)


def worksheet_parts(doc: RenderedDoc, terms: list, extract: str, teacher: bool) -> list[str]:
    """The HTML a worksheet prints, whose cited works it lists: the teacher's key has no
    summary, key terms or extract, but the answers (it listed a work that only a key
    term's definition cites)."""
    return [*((doc.summary_html, extract, *(d for _, d in terms)) if not teacher else ()),
            *(q["question"] + q["extract"] for q in doc.questions),
            *((q["answer"] + "".join(q["indicative"] + q["plan"]) for q in doc.questions)
              if teacher else ())]


def render_worksheet(rb: RenderedBook, doc: RenderedDoc, teacher: bool, paper: str) -> bytes:
    """A chapter's worksheet (``teacher``: its answer key). The student's answer space
    is sized to each question (``answer_lines``) and each question is kept whole on a
    page; if the sheet then runs over ``WORKSHEET_PAGES`` pages, every question's lines
    are scaled down by the largest factor that fits, found by halving. A last page that
    would hold no question, only what follows them (the works cited), is not left to it
    (``_no_page_of_its_own``). Then the space left at the foot of each page (where the
    next question did not fit, and on the last page) is given as more lines to the
    questions on that page, each its share (``fill_lines``)."""
    glossary = {g["id"]: g["definition"] for g in rb.glossary}
    terms = [(term, first_sentence(glossary[gid], rb.labels))
             for term, gid in doc.key_terms if gid in glossary]
    extract = worksheet_extract(doc)
    wanted = {q["number"]: answer_lines(q) for q in doc.questions}
    schemes = used_schemes(rb, [doc])
    parts = worksheet_parts(doc, terms, extract, teacher)
    template = "print/worksheet.html"
    name = rb.labels["worksheet_key" if teacher else "worksheet"]

    def lay_out(lines: dict[int, int], turn: int | None = None):
        return _handout_layout(rb, doc, template, name, paper, teacher,
                               sheets=("handout.css", "worksheet.css"), schemes=schemes,
                               ws={"terms": terms, "extract": extract, "lines": lines,
                                   "turn": turn},
                               references=handout_references(rb, parts))

    def scaled(scale: float) -> dict[int, int]:
        return {k: max(MIN_KEPT, round(v * scale)) for k, v in wanted.items()}

    lines = dict(wanted)
    best = lay_out(lines)
    if teacher:
        return _handout_pdf(rb, doc, template, teacher, paper, best)
    if len(best[0].pages) > WORKSHEET_PAGES:
        low, high = 0.0, 1.0
        lines = scaled(low)
        best = lay_out(lines)
        if len(best[0].pages) <= WORKSHEET_PAGES:
            for _ in range(SEARCH_STEPS):
                middle = (low + high) / 2
                tried = lay_out(scaled(middle))
                if len(tried[0].pages) <= WORKSHEET_PAGES:
                    low, best, lines = middle, tried, scaled(middle)
                else:
                    high = middle
    least = {q["number"]: MIN_LINES.get(q["type"], 3) for q in doc.questions}
    best, lines, turn = _no_page_of_its_own(doc, lay_out, best, lines, least)
    for _ in range(FILL_ROUNDS):
        more = fill_lines(best[0], doc, wanted)
        if not more:
            break
        grown = {k: v + more.get(k, 0) for k, v in lines.items()}
        tried = lay_out(grown, turn)
        if question_pages(tried[0], doc) != question_pages(best[0], doc) or \
                len(tried[0].pages) != len(best[0].pages):
            # a line too many moved a question on: one line less each, once
            grown = {k: v + max(0, more.get(k, 0) - 1) for k, v in lines.items()}
            tried = lay_out(grown, turn)
            if question_pages(tried[0], doc) != question_pages(best[0], doc) or \
                    len(tried[0].pages) != len(best[0].pages):
                break
        best, lines = tried, grown
    return _handout_pdf(rb, doc, template, teacher, paper, best)


def after_the_questions(document, doc: RenderedDoc) -> bool:
    """Whether a worksheet's last page holds no question, only what follows them (its
    works cited): the space of a page a sheet is printed on both sides for, not given."""
    pages = question_pages(document, doc)
    return bool(pages) and max(pages.values()) < len(document.pages) - 1


def _no_page_of_its_own(doc: RenderedDoc, lay_out, best, lines: dict[int, int],
                        least: dict[int, int]):
    """A worksheet laid out (``best``, with ``lines``) whose last page would hold only
    what follows the questions (the works cited: a question is kept whole, and the last
    one filled the page before to its foot) laid out again: the questions of the page
    before with no more lines than their type's least (``least``: ``MIN_LINES``), if the
    works cited then fit there (the sheet a page shorter, its space given back by
    ``fill_lines``); else, the last question starting the last page (``turn``), if more
    than one question shares its page and the sheet keeps its pages, so that page's
    space is the last question's answer space and the page before's is given to the
    questions left on it. (best, lines, turn): as it was if neither fits."""
    if not after_the_questions(best[0], doc):
        return best, lines, None
    pages = question_pages(best[0], doc)
    last_page = max(pages.values())
    on_page = sorted(int(name[1:]) for name, page in pages.items() if page == last_page)
    fewer = {k: min(v, least.get(k, v)) if k in on_page else v for k, v in lines.items()}
    if fewer != lines:
        tried = lay_out(fewer)
        if len(tried[0].pages) < len(best[0].pages) and \
                not after_the_questions(tried[0], doc):
            return tried, fewer, None
    if len(on_page) > 1:
        tried = lay_out(lines, on_page[-1])
        if len(tried[0].pages) == len(best[0].pages) and \
                not after_the_questions(tried[0], doc):
            return tried, lines, on_page[-1]
    return best, lines, None


def _ws_anchors(document, doc: RenderedDoc) -> list[dict[str, float]]:
    """Each page's worksheet marks (writers: print/worksheet.html) and where they are:
    ``floor`` the foot of the text block, ``qN`` the end of question N, ``end`` the end
    of the sheet; in CSS pixels from the page's top (WeasyPrint's ``Page.anchors``)."""
    prefix = f"{doc.id}-ws-"
    return [{name[len(prefix):]: box[1] for name, box in page.anchors.items()
             if name.startswith(prefix)} for page in document.pages]


def question_pages(document, doc: RenderedDoc) -> dict[str, int]:
    """The page each question ends on."""
    return {name: i for i, marks in enumerate(_ws_anchors(document, doc))
            for name in marks if name.startswith("q")}


def fill_lines(document, doc: RenderedDoc, weights: dict[int, int] | None = None
               ) -> dict[int, int]:
    """The lines that fit in the space left at the foot of each page (the next question,
    kept whole, did not fit there, or it is the last page), shared among the questions
    on that page by ``weights`` (the lines each was meant to have: an essay more than a
    short answer), the odd lines to the last; without ``weights``, all to the last."""
    pitch = RULE_MM * 96 / 25.4
    more: dict[int, int] = {}
    for marks in _ws_anchors(document, doc):
        ends = sorted((y, int(name[1:])) for name, y in marks.items() if name.startswith("q"))
        if not ends or "floor" not in marks:
            continue
        y, number = ends[-1]
        if "end" in marks:
            y = max(y, marks["end"])
        extra = int((marks["floor"] - y) // pitch)
        if extra <= 0:
            continue
        on_page = [n for _, n in ends]
        total = sum((weights or {}).get(n, 0) for n in on_page)
        for n in on_page if total else ():
            share = extra * weights.get(n, 0) // total
            if share:
                more[n] = more.get(n, 0) + share
        given = sum(more.get(n, 0) for n in on_page)
        more[number] = more.get(number, 0) + extra - given
    return more
