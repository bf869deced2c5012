"""Markdown to HTML, with the Pandoc syntax the authoring format allows.

Python-Markdown does the parsing, with its own extensions and pymdown-extensions' Pandoc-
style ones; ``mdext`` reads the Pandoc constructs that no extension has (its docstring
lists them). ``tests/test_pandoc_markdown.py`` holds the result to pandoc's own HTML.
This module adds what the builder itself gives meaning to, as line-preserving rewrites
of a chapter before conversion:

* fenced divs ``::: {#tbl-x .comparison}`` (table placeholders),
  ``::: {.sidebar title="…"}`` (boxes) and ``::: {#id}`` (a plain div),
* index spans ``[text]{.index}`` and ``[text]{.index entry="…"}``,
* citations, swapped for opaque tokens that ``resolve`` later fills with CSL output.
"""
from __future__ import annotations

import html
import importlib
import re
from dataclasses import dataclass, field
from pathlib import Path

import markdown as md_lib

from . import mdext
from .citations import find_citations

# Extensions by module, with their settings: Python-Markdown's own, pymdown-extensions'
# Pandoc-style ones, and ``mdext`` for what neither has. (By a short name, each would be
# looked up among the installed packages' entry points, a tenth of a second per build.)
EXTENSIONS = {
    "markdown.extensions.footnotes": {"USE_DEFINITION_ORDER": False},   # reference order
    "markdown.extensions.attr_list": {},
    "markdown.extensions.tables": {},
    "markdown.extensions.smarty": {},
    "markdown.extensions.md_in_html": {},
    "markdown.extensions.def_list": {},
    "pymdownx.superfences": {"custom_fences": [
        {"name": "*", "class": "", "format": mdext.highlight_code}]},
    "pymdownx.tilde": {},                # ~~strikeout~~, H~2~O
    "pymdownx.caret": {"insert": False},  # x^2^
    "pymdownx.fancylists": {"additional_ordered_styles": ["roman", "alpha", "generic"]},
    "pymdownx.bracketspan": {},          # [text]{.class}
    "studyguide.mdext": {},
}


def own_extensions() -> list:
    """The builder's own Markdown extensions kept in modules of their own (math)."""
    from . import math
    return [math.makeExtension()]

DIV_OPEN = re.compile(r"^(:{3,})\s*(\{(?P<attrs>[^}]*)\}|(?P<cls>[\w-]+))?\s*$")
DIV_CLOSE = re.compile(r"^:{3,}\s*$")
ATTR = mdext.ATTR
# a span whose attributes hold the class "index", in any order with an id and entry=
INDEX_SPAN = re.compile(r"\[([^\[\]\n]+)\]\{((?:[^{}\n]*\s)?\.index(?:\s[^{}\n]*)?)\}")
TOKEN = "zzcite{}zz"
TOKEN_RE = re.compile(r"zzcite(\d+)zz")


@dataclass
class CitationUse:
    source: str
    keys: list[str]
    path: Path
    line: int
    counted: bool = True     # ``line`` is the citation's own (False: at most it, in YAML)


@dataclass
class Registry:
    """Citations met while converting, in order; tokens index into ``uses``."""
    uses: list[CitationUse] = field(default_factory=list)

    def add(self, source: str, keys: list[str], path: Path, line: int,
            counted: bool = True) -> str:
        self.uses.append(CitationUse(source, keys, path, line, counted))
        return TOKEN.format(len(self.uses) - 1)


def parse_attrs(text: str) -> dict:
    out: dict = {"classes": []}
    for m in ATTR.finditer(text or ""):
        if m.group(1) == "#":
            out["id"] = m.group(2)
        elif m.group(1) == ".":
            out["classes"].append(m.group(2))
        else:
            out[m.group(3)] = mdext.attr_value(m)
    return out


def tokenize_citations(text: str, registry: Registry, path: Path, first_line: int,
                       folded: bool = False, origin: list[int] | None = None) -> str:
    """Each citation in ``text`` (which starts at line ``first_line`` of ``path``) made a
    token, its use registered at its line: ``first_line`` and the line it is on in
    ``text``, or the line of the author's text that one was read from (``origin``, of
    ``mdext.typed_tables``). ``folded``: a YAML text, whose line breaks YAML may have
    folded into spaces (``definition: >``), so that the line counted in the text may
    come before the citation's own: the use is looked for in the file from there
    (``preflight.citation_line``) if it is reported."""
    out, pos = [], 0
    for start, end, cit in find_citations(text):
        row = text.count("\n", 0, start)
        line = first_line + (origin[row] if origin is not None else row)
        out.append(text[pos:start])
        out.append(registry.add(cit.source, cit.keys, path, line, counted=not folded))
        pos = end
    out.append(text[pos:])
    return "".join(out)


EXAMPLE_ITEM = re.compile(r"^( {0,3})\(@([\w-]*)\)(?=[ \t])")


def example_lists(text: str) -> str:
    """Pandoc's example lists: ``(@)`` and ``(@label)`` items are numbered in one
    sequence through the text (a later list goes on from the last), and ``(@label)`` in
    the text is the number of the item so labelled. They were printed as "(@)" and a
    label was read as a citation. Each marker is written with its number, ``(3)``."""
    lines = text.split("\n")
    code = mdext.code_lines(lines)
    numbers: dict[str, int] = {}
    count = 0
    for i, line in enumerate(lines):
        m = None if code[i] else EXAMPLE_ITEM.match(line)
        if not m:
            continue
        count += 1
        if m.group(2):
            numbers.setdefault(m.group(2), count)
        # the first item of a list says that it is an example list (``ListSpacing``):
        # the block before it is not an example item (its own lines indented)
        before = next((s for s in reversed(lines[:i]) if s.strip() and s[0] != " "), "")
        rest = line[m.end():]
        if not re.match(r" {0,3}\(\d+\)[ \t]", before):
            rest = re.sub(r"^([ \t]+)", lambda sp: sp.group(1) + mdext.EXAMPLE, rest)
        lines[i] = f"{m.group(1)}({count})" + rest
    if not count:
        return text
    if numbers:
        label = re.compile(r"\(@(" + "|".join(map(re.escape, sorted(numbers, key=len,
                                                                    reverse=True))) + r")\)")
        lines = [line if is_code else mdext.sub_outside_code(
                     label, lambda m: f"({numbers[m.group(1)]})", line)
                 for line, is_code in zip(lines, code)]
    return "\n".join(lines)


@dataclass
class Problem:
    line: int
    message: str
    warning: bool = False        # (else an error)


# a link reference's or a note's definition, in a block quote or a list item too (its
# marks and spaces taken whole: a line of many "> " that is none is given up at once)
DEFINITION = re.compile(r"(?: {0,3}> ?)*+[ \t]*+(?:(?:[-*+]|\(?\w{1,9}[.)])[ \t]++)?"
                        r"\[(\^?)([^\]]+)\]:(?:\s|$)")


def duplicate_definitions(lines: list[str], code: list[bool], first_line: int) -> list[Problem]:
    """A second definition of a link reference (whose label differs only in case or
    spacing, as pandoc compares them) or of a note is a warning at its line, as pandoc
    warns: the last one is used, the first silently lost."""
    seen: dict[tuple[str, str], tuple[int, str]] = {}
    found = []
    for i, (line, is_code) in enumerate(zip(lines, code)):
        m = None if is_code else DEFINITION.match(line)
        if not m:
            continue
        note, label = m.group(1), m.group(2)
        key = (note, label if note else mdext.reference_label(label))
        if key in seen:
            where, first = seen[key]
            what = f"footnote '[^{label}]'" if note else f"link reference '[{label}]'"
            also = f"line {where}" if first == label else \
                f"line {where}, as '[{first}]': a label's case and spacing do not count"
            found.append(Problem(first_line + i, f"{what} is defined twice (also at {also}): "
                                 "the last definition is the one used", warning=True))
        seen.setdefault(key, (first_line + i, label))
    return found


def rewrite_blocks(text: str, first_line: int,
                   typed: str | None = None) -> tuple[str, list[Problem]]:
    """Fenced divs, index spans and page breaks to the HTML Python-Markdown understands.
    The constructs refused (``mdext.problems``) and the LaTeX commands are read on
    ``typed``, the text as the author typed it, when ``text`` is that text rewritten: a
    grid table's bars stand in the author's columns, which a citation's token moves, and
    its rows (a pipe table's in ``text``) on the author's lines."""
    problems: list[Problem] = []
    lines = text.split("\n")
    code = mdext.code_lines(lines)
    out: list[str] = []
    stack: list[tuple[str, int]] = []
    # (an index span's attributes may wrap onto the next line)
    for i, line in mdext.joined_attributes(lines, code):
        in_code = code[i]
        lineno = first_line + i
        if in_code:
            out.append(line)
            continue
        if mdext.page_break(lines, i):         # \newpage: a new page in print
            out.append('\n<div class="page-break"></div>\n')
            continue
        m = DIV_OPEN.match(line)
        if m and (m.group("attrs") is not None or m.group("cls")):
            attrs = parse_attrs(m.group("attrs")) if m.group("attrs") is not None \
                else {"classes": [m.group("cls")]}
            classes = attrs["classes"]
            if "comparison" in classes or (attrs.get("id", "").startswith("tbl-")):
                if not attrs.get("id"):
                    problems.append(Problem(lineno, "a comparison table div needs an id"))
                out.append(f'\n<div class="table-slot" data-table="{html.escape(attrs.get("id", ""))}"'
                           f' data-line="{lineno}"></div>\n')
                stack.append(("slot", lineno))
                continue
            ident = f' id="{html.escape(attrs["id"])}"' if attrs.get("id") else ""
            # any other attribute (lang, dir…) stays on the div; the sanitiser reports
            # one that a book may not use, at this line
            ident += "".join(f' {k}="{html.escape(v)}"' for k, v in attrs.items()
                             if k not in ("id", "classes", "title"))
            if "epigraph" in classes:
                # a quotation set at a chapter's or a section's head, its source after a
                # dash on its last line (``resolve``): no box
                if attrs.get("title"):
                    problems.append(Problem(lineno, "an epigraph has no title: write its "
                                            "source on its last line, after a dash "
                                            "(— Author, *Work*)", warning=True))
                cls = " ".join(html.escape(c) for c in classes)
                out.append(f'\n<div class="{cls}" role="doc-epigraph" '
                           f'data-epub-type="epigraph"{ident} markdown="1">\n')
                stack.append(("div", lineno))
                continue
            if not classes and not attrs.get("title"):
                # a div with only an id (or nothing) groups blocks: no box
                out.append(f'\n<div{ident} markdown="1">\n')
                stack.append(("div", lineno))
                continue
            cls = " ".join(html.escape(c) for c in classes) or "box"
            title = attrs.get("title")
            out.append(f'\n<aside class="box {cls}"{ident} markdown="1">\n')
            if title:
                out.append(f'<p class="box-title" markdown="1">{html.escape(title)}</p>\n')
            stack.append(("aside", lineno))
            continue
        if DIV_CLOSE.match(line):
            if not stack:
                problems.append(Problem(lineno, "':::' closes a div that was never opened"))
                out.append("")
                continue
            kind, _ = stack.pop()
            out.append({"slot": "", "div": "\n</div>\n"}.get(kind, "\n</aside>\n"))
            continue
        if stack and stack[-1][0] == "slot" and line.strip():
            problems.append(Problem(lineno, "a comparison table div must be empty; "
                                    "its rows live in tables/*.yaml"))
            continue
        out.append(mdext.sub_outside_code(INDEX_SPAN, _index_span, line))
    for _, lineno in stack:
        problems.append(Problem(lineno, "fenced div opened here is never closed with ':::'"))
    problems += duplicate_definitions(lines, code, first_line)
    if typed is not None:
        lines = typed.split("\n")
        code = mdext.code_lines(lines)
    problems += [Problem(first_line + i, message)
                 for i, message in mdext.problems("\n".join(lines))]
    problems += [Problem(first_line + i, message, warning=True)
                 for i, message in mdext.tex_commands(lines, code)
                 + mdext.unspaced_headings(lines, code) + mdext.word_bullets(lines, code)]
    return "\n".join(out), problems


def _index_span(m: re.Match) -> str:
    attrs = parse_attrs(m.group(2))
    entry = attrs.get("entry") or m.group(1)
    ident = f' id="{html.escape(attrs["id"])}"' if attrs.get("id") else ""
    classes = " ".join(["index-term", *(c for c in attrs["classes"] if c != "index")])
    return (f'<span class="{html.escape(classes)}"{ident} data-entry="{html.escape(entry)}">'
            f'{m.group(1)}</span>')


# Text that Markdown (with these extensions) would only wrap in a paragraph: words,
# figures and plain punctuation, on one line, starting with a letter (not a list's
# number, nor a list's letter or roman number such as "a. " or "iv) ") and with no ".."
# (an ellipsis). About half of a book's short texts (questions,
# objectives, glossary entries) are like that; the tests check the shortcut against
# Markdown itself.
_PLAIN = re.compile(r"(?![A-Za-z][.)]\s|[ivxlcdmIVXLCDM]+[.)]\s)"
                    r"[A-Za-z](?:[A-Za-z0-9 ,;.:?()]*[A-Za-z0-9.?)])?\Z")


def convert(text: str) -> str:
    """Markdown to HTML. One converter is reused (building one is costlier than most
    conversions); ``reset`` clears what it kept from the last text, footnotes included."""
    if _PLAIN.match(text) and ".." not in text:
        return f"<p>{text}</p>"
    return markdown_to_html(text)


# The double quotes SmartyPants makes of straight ones: the book's language's (its
# locale's label ``quotes``: „…“ in German, «…» in French), English's by default. A
# single quote stays English's: SmartyPants cannot tell a closing one from an
# apostrophe, which every language sets as ’. Quotes within quotes are typed as the
# language has them (Russian „…“ inside «…»).
ENGLISH_QUOTES = ("&ldquo;", "&rdquo;")
_quotes = ""                      # the key of the quotes the converter makes now: "" English's
_pair = ENGLISH_QUOTES
_CONVERTERS: dict[str, md_lib.Markdown] = {}


def use_quotes(pair=None) -> str:
    """Convert from now on with these double quotes (opening, closing; English's without
    them); the key of those quotes (what a conversion's result depends on, for the cache)."""
    global _quotes, _pair
    refs = tuple("".join(c if c.isascii() else f"&#{ord(c)};" for c in str(q))
                 for q in pair) if pair else ENGLISH_QUOTES
    if refs == ("&#8220;", "&#8221;"):
        refs = ENGLISH_QUOTES
    _pair, _quotes = refs, "" if refs == ENGLISH_QUOTES else "".join(refs)
    return _quotes


def quotes_in_use() -> str:
    """The key of the quotes the converter makes now (``use_quotes``)."""
    return _quotes


def double_quotes() -> tuple[str, str]:
    """The opening and closing double quotes the converter makes now, as character
    references (``use_quotes``)."""
    return _pair


def _converter(key: str) -> md_lib.Markdown:
    """The converter kept under ``key`` (the quotes', ``use_quotes``, and what it is
    for), made the first time."""
    converter = _CONVERTERS.get(key)
    if converter is None:
        config = dict(EXTENSIONS)
        if _quotes:
            left, right = _pair
            config["markdown.extensions.smarty"] = {"substitutions": {
                "left-double-quote": left, "right-double-quote": right}}
        converter = _CONVERTERS[key] = md_lib.Markdown(extensions=[
            importlib.import_module(name).makeExtension(**settings)
            for name, settings in config.items()] + own_extensions())
    return converter


def markdown_to_html(text: str) -> str:
    """``convert`` without the shortcut for plain text."""
    return _converter(_quotes).reset().convert(text)


def plain_text(text: str) -> str:
    """Inline Markdown as pandoc's plain text of it (an image's alt text): its marks
    read and dropped, its quotes and dashes typographic. A formula is its TeX between
    its dollars (pandoc drops them; the builder keeps them, so that "$x$" is not read
    as the letter x). It is converted by a converter of its own, as it is met inside a
    conversion."""
    from lxml import html as lxml_html
    out = _converter(_quotes + " plain").reset().convert(text)
    tree = lxml_html.fragment_fromstring(out, create_parent="div")
    for formula in tree.xpath(".//*[local-name()='math']"):
        dollars = "$$" if formula.get("display") == "block" else "$"
        formula.tail = f"{dollars}{formula.get('alttext') or ''}{dollars}{formula.tail or ''}"
        formula.drop_tree()
    return " ".join(tree.text_content().split())


# What a block's first line starts with when Markdown reads it as something other than a
# paragraph: a list item's marker (a bullet; a number, a letter, a roman number or "#",
# with "." or ")"), a heading's hashes, a quotation's ">", a line block's bar, a rule of
# stars or underscores, a link reference's or a note's definition. The named group is
# the character that a backslash before it keeps as text.
BLOCK_START = re.compile(
    r"(?:(?P<bullet>[-*+])(?=[ \t]|$)"
    r"|\(?(?:\d+|[a-zA-Z]|[ivxlcdmIVXLCDM]+|#)(?P<ordered>[.)])(?=[ \t]|$)"
    r"|(?P<hash>#)#*(?=[ \t]|$)|(?P<quote>>)|(?P<bar>\|)"
    r"|(?P<rule>[*_])(?=(?:[ \t]*(?P=rule)){2,}[ \t]*$)"
    r"|(?P<ref>\[)(?=[^\]]+\]:(?:[ \t]|$)))")
# a line of dashes alone (a rule, or under a paragraph's line its heading's underline)
# or of equals signs (such an underline)
DASHES = re.compile(r"(-+)([ \t]*)$")
UNDERLINE = re.compile(r"=+[ \t]*$")
# a list item's marker at the start of a text ("c. 1482", "i. e.", "1848. ", "- "),
# up to the character that a backslash before it keeps as text
LIST_ITEM = re.compile(r"[ \t]*(?:[-*+]|\(?(?:\d+|[a-zA-Z]|[ivxlcdmIVXLCDM]+|#)[.)])"
                       r"(?=[ \t]|$)")


def _as_text(line: str) -> str:
    """A line that would start a block, its marker escaped (or, for a line of dashes,
    made the dashes it means in running text: "---" an em dash, as SmartyPants and
    pandoc read them), so that Markdown reads it as a paragraph's text."""
    line = line.lstrip(" \t")           # (four spaces would start code)
    dashes = DASHES.match(line)
    if dashes:
        run = dashes.group(1).replace("---", "&mdash;").replace("--", "&ndash;")
        return ("\\" + run if run.startswith("-") else run) + dashes.group(2)
    m = BLOCK_START.match(line)
    if m is None:
        return line
    at = m.start(m.lastgroup)
    return line[:at] + "\\" + line[at:]


def inline_text(text: str) -> str:
    """``text`` to be read as inline Markdown, as pandoc reads a pipe table's cell: a
    block's marker at the start ("c. 1440", circa, a list's letter; "# 1", "> 2") and
    a line that would underline the line above it as a heading are text. Markdown
    read ``text`` as blocks, so that a table cell "c. 1440" became an ordered list
    lettered from c."""
    lines = text.split("\n")
    for i, line in enumerate(lines):
        if i == 0 or not lines[i - 1].strip():
            lines[i] = _as_text(line)
        elif DASHES.match(line.lstrip(" \t")):
            lines[i] = _as_text(line)
        elif UNDERLINE.match(line.lstrip(" \t")):
            lines[i] = "\\" + line.lstrip(" \t")
    return "\n".join(lines)


def one_line_text(text: str) -> str:
    """A data text on one line (a definition, a bio, a question) whose first word is a
    list item's marker ("c. 1482", circa; "a. C.", "i. e."), with that marker escaped:
    such a text is a sentence, never a list of one item. A text of several lines keeps
    its lists."""
    if "\n" in text.strip():
        return text
    m = LIST_ITEM.match(text)
    return text if m is None else text[:m.end() - 1] + "\\" + text[m.end() - 1:]


def convert_inline(text: str) -> str:
    """Inline Markdown (a table cell, a list item) without the wrapping paragraph: a
    marker at its start is text (``inline_text``)."""
    out = convert(inline_text(text)).strip()
    if out.startswith("<p>") and out.endswith("</p>") and out.count("<p>") == 1:
        out = out[3:-4]
    return out


def convert_each(jobs: list[tuple[str, bool]]) -> list[str]:
    """Each (text, inline) converted, in order."""
    return [convert_inline(text) if inline else convert(text) for text, inline in jobs]
