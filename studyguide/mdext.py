"""Pandoc's Markdown where no Python-Markdown extension has it: a small extension.

Each piece does one thing that neither Python-Markdown nor pymdown-extensions does:

* ``reindent``: list items nest at the indent of their parent's text (2 spaces under
  ``-``, 3 under ``1.``), as in Pandoc; Python-Markdown nests only at 4. Lines in a list
  are re-indented so that each nesting level is 4 spaces, keeping what is beyond. An
  item right under a paragraph of the item before it is an item, and each list is loose
  or tight as a whole (``ListSpacing``), as in Pandoc.
* ``(2)`` list markers (both parentheses) become ``2)``, which fancylists reads.
* attributes that wrap onto the next lines are joined; a reference definition's
  attributes go to the links and images that use it.
* ``~`` marks a definition as ``:`` does; a backslash escapes any ASCII punctuation.
* line blocks (``| `` at the start of each line) become ``<div class="line-block">``,
  in a block quote, a list item, a footnote or a definition too.
* a block quote ends at a blank line (Python-Markdown ran the next one into it).
* simple and grid tables become pipe tables (cells of one paragraph of inline text).
* inline notes ``^[...]`` become ordinary footnotes, defined at the end of the text.
* implicit header references ``[Heading text]`` link to the heading of that text (the
  text may run on over lines).
* no rewrite reads inside code: ``code_lines`` finds code blocks as pandoc does, in
  any container (a citation, an index span or an example's label there is code).
* a single quote that pandoc reads as an apostrophe is written so; three dots of a
  longer run are an ellipsis.
* a backslash at the end of a line is a hard line break.
* a link's or image's target runs to the space before its title, as pandoc reads it
  (a quote inside the address is the address's, not the title's start).
* ``#`` starts a heading only when a space follows (``#.`` is a list marker).
* ``Table: caption {#id}`` (or ``: caption``) next to a table becomes its ``<caption>``
  and id.
* task-list checkboxes sit in a ``<label>`` with the item's text, as Pandoc writes them.
* notes are numbered in the order of their calls; an ordered list's ``start`` is also
  set as its counter, which WeasyPrint reads (it ignores ``start``).
* fenced code is highlighted with Pygments into ``<pre class="LANG"><code>``.
"""
from __future__ import annotations

import bisect
import html
import re
import xml.etree.ElementTree as etree

from markdown import Extension, util
from markdown.blockprocessors import (BlockQuoteProcessor, HashHeaderProcessor,
                                      ReferenceProcessor)
from markdown.extensions.tables import TableProcessor
from markdown.inlinepatterns import (AUTOLINK_RE, IMAGE_LINK_RE, IMAGE_REFERENCE_RE, LINK_RE,
                                     REFERENCE_RE, ImageInlineProcessor,
                                     ImageReferenceInlineProcessor, InlineProcessor,
                                     LinkInlineProcessor, ReferenceInlineProcessor)
from markdown.postprocessors import Postprocessor
from markdown.preprocessors import Preprocessor
from markdown.treeprocessors import Treeprocessor
from pygments import highlight
from pygments.formatters import HtmlFormatter
from pygments.lexers import get_lexer_by_name
from pygments.util import ClassNotFound

FENCE = re.compile(r"^\s*(`{3,}|~{3,})")
BULLET = re.compile(r"^( *)([-*+]|\(?(?:\d+|[a-zA-Z]|[ivxlcdmIVXLCDM]+|#)[.)])( +)(?=\S)")
PAREN_MARKER = re.compile(r"^( *)\((\d+|[a-zA-Z]|[ivxlcdmIVXLCDM]+)\)(?= )")
TABLE_SEP = re.compile(r"^\s*\|?\s*:?-+:?\s*(\|\s*:?-+:?\s*)*\|?\s*$")
HEADING = re.compile(r"^#{1,6}[ \t]+(.*?)[ \t]*(?:\{([^}]*)\})?[ \t]*#*[ \t]*$")
REF_DEF = re.compile(r"^ {0,3}\[([^\]]+)\]:")
DASHES = re.compile(r"-+")
QUOTE = re.compile(r"(?: {0,3}> ?)*")
TASK = re.compile(r"\[([ xX])\] ")
# a horizontal rule ("* * *", "- - -"), which no list item is
RULE = re.compile(r" {0,3}([-*_])(?:[ \t]*\1){2,}[ \t]*$")
BLOCK_TAGS = {"ul", "ol", "p", "div", "pre", "blockquote", "dl", "table"}
ATTRS_AT_END = re.compile(r"\s*\{([^{}]*)\}\s*$")
# pandoc's attributes: #id, .class and key=value, the value in double or single quotes or
# none (then it ends at a space)
ATTR = re.compile(r'([#.])([\w:-]+)|([\w:-]+)=(?:"([^"]*)"|\'([^\']*)\'|([^\s"\'}]+))')


def attr_value(m: re.Match) -> str:
    """The value of a ``key=value`` match of ``ATTR``."""
    return next(v for v in m.group(4, 5, 6) if v is not None)
GRID_BORDER = re.compile(r"^\+(?:[-=:]+\+)+\s*$")


def code_lines(lines: list[str]) -> list[bool]:
    """For each line, whether it is code, read as pandoc reads it: a fenced block's
    (fences included; a fence at most 3 spaces into its container, and closed) or an
    indented block's (4 spaces into its container, not a paragraph's lazy line), at the
    top level or in a block quote, a list item, a footnote or a definition, to any depth.
    No rewrite of the source looks inside code: a citation, an index span, a line block
    or an example-list label there is the code's text."""
    out = [False] * len(lines)
    _scan_code([(k, line.expandtabs(4)) for k, line in enumerate(lines)], out)
    return out


FENCE_OPEN = re.compile(r" {0,3}(`{3,}(?=[^`]*$)|~{3,})")
FENCE_CLOSE = re.compile(r" {0,3}(`{3,}|~{3,})[ \t]*$")
# a list item's marker, as pandoc has them (bullets, numbers, letters, roman numbers,
# "#", example labels; in one or two parentheses or with a full stop), and its spaces
ITEM_MARKER = re.compile(r" {0,3}(?P<marker>[-*+]|\(?(?:\d+|[a-zA-Z]|[ivxlcdmIVXLCDM]+|#|@[\w-]*)"
                         r"[.)])(?:(?P<spaces> {1,4})(?! )|(?P<space> )(?= )|$)")
# what starts a container: a block quote's mark, a footnote's label, a definition's
# marker or a list item's
CONTAINER = re.compile(r" {0,3}(?:(?P<quote>>)|(?P<note>\[\^[^\]\s]+\]:)|"
                       r"(?P<definition>[:~])(?:[ \t]+|$))|" + ITEM_MARKER.pattern)
NOT_PARAGRAPH = re.compile(r" {0,3}(?:(?P<html></?[A-Za-z!?])|#{1,6}(?:\s|$)|:{3,})")


def _scan_code(items: list[tuple[int, str]], out: list[bool], depth: int = 0) -> None:
    """``code_lines`` for the lines of one container, each with its index in the text
    (tabs expanded): the code lines' indexes are set in ``out``; a container inside
    (block quote, list item, footnote, definition) is read the same, its marks or
    indent taken off. (Containers nested deeper than any book may nest them, which is
    an error, are not read.)"""
    if depth > 100:
        return
    i, before = 0, "blank"       # what the line before is: blank, a paragraph's, other
    unclosed = {"`": 1 << 30, "~": 1 << 30}     # no fence this long closes after here
    while i < len(items):
        line = items[i][1]
        text = line.lstrip(" ")
        if not text.strip():
            before = "blank"
            i += 1
            continue
        if len(line) - len(text) >= 4:
            if before in ("para", "html"):
                i += 1                   # a lazy line of the paragraph (or the HTML)
                continue
            end = i                      # indented code, to its last indented line
            for j in range(i, len(items)):
                s = items[j][1]
                if s.strip():
                    if _indent(s) < 4:
                        break
                    end = j
            for k, _ in items[i:end + 1]:
                out[k] = True
            i, before = end + 1, "other"
            continue
        fence = FENCE_OPEN.match(line) if text[0] in "`~" else None
        if fence and len(fence.group(1)) < unclosed[text[0]]:
            mark = fence.group(1)
            close = next((j for j in range(i + 1, len(items))
                          if (m := FENCE_CLOSE.match(items[j][1])) and m.group(1)[0] == mark[0]
                          and len(m.group(1)) >= len(mark)), None)
            if close is None:            # (unclosed, it is no fence: pandoc's reading)
                unclosed[mark[0]] = len(mark)
            else:
                for k, _ in items[i:close + 1]:
                    out[k] = True
                i, before = close + 1, "other"
                continue
        start = None if RULE.match(text) else CONTAINER.match(line)
        if start:
            inner, i = _container(items, i, start)
            _scan_code(inner, out, depth + 1)
            before = "blank" if not items[i - 1][1].strip() else "other"
            continue
        other = NOT_PARAGRAPH.match(line)
        before = "html" if other and other.group("html") or before == "html" and not other \
            else "other" if other else "para"
        i += 1


def _container(items: list[tuple[int, str]], i: int, start: re.Match):
    """The lines of the block quote, list item, footnote or definition that starts at
    ``items[i]`` (``start``, its ``CONTAINER`` match), without its marks or indent, and
    the index after its last line."""
    line = items[i][1]
    if start.group("quote"):
        # a block quote: its lines and their lazy continuations, up to a blank line
        end = i + 1
        while end < len(items) and items[end][1].strip():
            end += 1
        return [(k, re.sub(r"^ {0,3}> ?", "", s)) for k, s in items[i:end]], end
    marker = not (start.group("note") or start.group("definition"))
    if not marker:
        first, width = line[start.end():].lstrip(), 4
    else:
        spaces = start.group("spaces") or start.group("space") or ""
        width = start.end("marker") + max(len(spaces), 1)
        first = line[width:] if spaces else ""
    inner, end, blank = [(items[i][0], first)], i + 1, False
    while end < len(items):
        s = items[end][1]
        if not s.strip():
            blank = True
        elif _indent(s) >= width:
            blank = False
            s = s[width:]
        elif blank or (marker and ITEM_MARKER.match(s)) or NOTE_DEFINITION.match(s):
            break                        # the next block, or the next item
        else:
            s = s.lstrip()               # a lazy line of the paragraph
        inner.append((items[end][0], s))
        end += 1
    while end > i + 1 and not items[end - 1][1].strip():
        end -= 1                         # (the blank lines after it are not its)
        inner.pop()
    return inner, end


def _indent(line: str) -> int:
    return len(line) - len(line.lstrip(" "))


NOTE_DEFINITION = re.compile(r" {0,3}\[\^[^\]\s]+\]:")


def _note_bodies(lines: list[str], code: list[bool]):
    """(first, end) of each footnote definition's indented lines after its first line:
    its further blocks, indented (4 spaces or a tab), with the blank lines between them
    and lazy continuation lines; it ends at a line indented less after a blank line."""
    i = 0
    while i < len(lines):
        if code[i] or not NOTE_DEFINITION.match(lines[i]):
            i += 1
            continue
        j = end = i + 1
        while j < len(lines):
            line = lines[j]
            if line.strip():
                indented = line.startswith(("    ", "\t"))
                if not indented and (not lines[j - 1].strip() or NOTE_DEFINITION.match(line)):
                    break
                end = j + 1
            j += 1
        if end > i + 1:
            yield i + 1, end
        i = max(end, i + 1)


def _unquoted(line: str, depth: int) -> str:
    """A line of a block quote ``depth`` deep without its ``>`` marks."""
    return re.sub(r"^(?: {0,3}> ?){0,%d}" % depth, "", line)


def _outdented(line: str) -> str:
    return line[1:] if line.startswith("\t") else line[min(4, _indent(line)):]


def reindent(lines: list[str], code: list[bool]) -> list[str]:
    """Re-indent list items so that each nesting level is 4 spaces deep (inside block
    quotes too: the ``>`` marks are kept and what follows them is re-indented). A
    footnote's further blocks are a document of their own, 4 spaces in: they are
    re-indented as one, and stay in the note."""
    out: list[str] = []
    done = 0
    for i, j in _note_bodies(lines, code):
        out += _reindent(lines[done:i], code[done:i])
        inner = [_outdented(line) for line in lines[i:j]]
        out += ["    " + line if line.strip() else line
                for line in _reindent(inner, code_lines(inner))]
        done = j
    return out + _reindent(lines[done:], code[done:])


TIGHT, LOOSE = "\ue010", "\ue011"     # after a list's first marker: how it is spaced
EXAMPLE = "\ue012"                    # ... and that it is an example list (``(@)``)
PLAIN = "\ue016"                      # a definition's text that a list straight under
                                      # it interrupts: plain text, as pandoc has it


def _kinds(marker: str) -> set:
    """The kinds of list a marker can continue: a list goes on only with items of its
    kind (any bullet; an ordered list's numbering and delimiter), as in Pandoc. A single
    letter that is also a roman number may go on either."""
    if marker in "-*+":
        return {"bullet"}
    body, delimiter = marker.lstrip("(")[:-1], marker[-1]
    if body.isdigit() or body == "#":
        names = {"number"}
    else:
        names = set()
        if len(body) == 1:
            names.add("alpha" + ("-upper" if body.isupper() else ""))
        if re.fullmatch(r"[ivxlcdm]+|[IVXLCDM]+", body):
            names.add("roman" + ("-upper" if body.isupper() else ""))
    return {(name, delimiter) for name in names}


class _List:
    """A list as ``_reindent`` meets it: where its first item's text starts in the
    output, and whether it is loose (Pandoc's paragraphs) or tight (plain items)."""

    def __init__(self, line: int, column: int, kinds: set):
        self.line, self.column, self.loose, self.kinds = line, column, False, kinds


def _reindent(lines: list[str], code: list[bool]) -> list[str]:
    """Re-indent list items (see ``reindent``); and where Pandoc and Python-Markdown
    read a list differently, write it so that Python-Markdown reads Pandoc's:

    * an item that starts right under a paragraph of the item before it, after a blank
      line in that item, is an item (Python-Markdown ran it into the paragraph, or
      nested it in the item before): a blank line is put before it;
    * a list is loose or tight as a whole, as Pandoc has it: loose where a blank line
      parts two items or two blocks of an item (Python-Markdown decided item by item).
      The first item's text starts with ``TIGHT`` or ``LOOSE``, which ``ListSpacing``
      reads."""
    out: list[str] = []
    # (content column in the source, in the output, marker's column, its list, whether
    # a blank line has come since the item began)
    frames: list[list] = []
    lists: list[_List] = []
    blank = True
    definition = False                    # whether the line is in a definition's blocks
    opened = 0                            # where the block the line is in starts, in out
    depth = 0                             # how many ``>`` the last line had
    shift = 0                             # of the fenced block the line is in
    for i, (whole, is_code) in enumerate(zip(lines, code)):
        if is_code and i and code[i - 1]:     # inside a code block: moved with its first
            quote = re.match(r"(?: {0,3}> ?){0,%d}" % depth, whole).group(0)     # line
            out.append(quote + _shifted(whole[len(quote):], shift))
            continue
        shift = 0
        quote = QUOTE.match(whole).group(0)
        if frames and quote.count(">") > depth:
            # a ">" as far in as the open item's text: a quote inside the item
            outer = re.match(r"(?: {0,3}> ?){%d}" % depth, whole).group(0)
            if _indent(whole[len(outer):]) >= frames[-1][0]:
                quote = outer
        line = whole[len(quote):]
        if quote.count(">") != depth:
            frames, depth, definition = [], quote.count(">"), False
        if not line.strip():
            out.append(whole)
            blank = True
            for frame in frames:
                frame[4] = True
            continue
        n = _indent(line)
        marker = None if RULE.match(line.lstrip(" ")) else BULLET.match(line)
        if DEFINITION.match(line):
            definition = True
        elif blank and n < 4:
            definition = False
        if blank or DEFINITION.match(line):
            opened = len(out)             # the first line of this block (a definition's)
        if not frames and marker and not is_code and not blank and n >= 4:
            # an indented line that starts as an item does ("z. B. so.", "d. h. …"),
            # straight under a line of text, with no list open: pandoc reads it as the
            # paragraph's text, or, in a definition, as a list nested in it. Taken for an
            # item of a list at the left margin, it was moved there, and the definition's
            # next paragraph after it (its indent taken off as the list's) with it.
            if not definition:
                out.append(whole)
                blank = False
                continue
            # the definition's text as an item's, 4 spaces in (no list of its own to
            # mark), and a blank line, after which Python-Markdown reads the list; the
            # text it interrupts is plain text, not a paragraph (``ListSpacing``)
            frames.append([4, 4, 0, _List(len(out), 0, set()), False])
            first = out[opened]
            text = len(QUOTE.match(first).group(0))
            text += re.compile(r" {0,3}[:~][ \t]+| *").match(first, text).end() - text
            out[opened] = first[:text] + PLAIN + first[text:]
            out.append(quote.rstrip())
        if not frames and (not marker or is_code or (blank and n >= 4)):
            out.append(whole)             # not in a list (or an indented code block)
            blank = False
            continue
        popped = []
        if marker or blank:
            while frames and n < frames[-1][0]:
                popped.append(frames.pop())
        elif n < frames[-1][0]:
            out.append(whole)             # a lazy continuation line
            continue
        if frames and blank and (not marker or not popped):
            frames[-1][3].loose = True    # a second block of the item, after a blank line
        new = frames[-1][1] + n - frames[-1][0] if frames else 0
        if is_code:
            shift = new - n
        elif marker:
            if popped and not blank and any(frame[4] for frame in popped):
                out.append(quote.rstrip())
            kinds = _kinds(marker.group(2))
            sibling = popped and popped[-1][2] == n and popped[-1][3].kinds & kinds
            if sibling:
                owner = popped[-1][3]
                owner.loose = owner.loose or blank
                owner.kinds &= kinds
            else:
                owner = _List(len(out), 0, kinds)
                lists.append(owner)
            spaces = len(marker.group(3))
            width = len(marker.group(2)) + (spaces if spaces <= 4 else 1)
            frames.append([n + width, new + 4, n, owner, False])
            if not sibling:
                owner.line = len(out)
                owner.column = len(quote) + new + len(marker.group(2)) + spaces
        out.append(quote + _shifted(line, new - n))
        blank = False
    for found in lists:
        text = out[found.line]
        out[found.line] = text[:found.column] + (LOOSE if found.loose else TIGHT) + \
            text[found.column:]
    return out


def _shifted(line: str, shift: int) -> str:
    if shift >= 0:
        return " " * shift + line if line.strip() else line
    return line[min(-shift, _indent(line)):]


def paren_markers(lines: list[str], code: list[bool]) -> list[str]:
    """``(2) item`` to ``2) item``: fancylists reads one-parenthesis markers."""
    return [line if is_code else PAREN_MARKER.sub(r"\1\2)", line)
            for line, is_code in zip(lines, code)]


def _blocks(lines: list[str], code: list[bool], start, accept):
    """Yield (first, end) of runs that begin with a line ``start`` accepts (after a
    blank line) and go on while ``accept`` takes the line (up to a blank line)."""
    i = 0
    while i < len(lines):
        if not code[i] and (i == 0 or not lines[i - 1].strip()) and start(lines[i]):
            j = i + 1
            while j < len(lines) and lines[j].strip() and not code[j] and accept(lines[j]):
                j += 1
            yield i, j
            i = j
        else:
            i += 1


# what may stand before a line block's first "|" in its container: a list item's marker,
# a definition's, a footnote's label, or the indent of a block in one
_LINE_BLOCK_LEAD = re.compile(
    r"(?: {0,3}(?:[-*+]|\(?(?:\d+|[a-zA-Z]|[ivxlcdmIVXLCDM]+|#|@[\w-]*)[.)]|[:~]"
    r"|\[\^[^\]\s]+\]:)[ \t]+| *)(?=\|(?: |$))")
LINE_BLOCK_START, LINE_BLOCK_LINE = "\ue013", "\ue014"    # a line block's first line, and
                                                         # its others (no block starts)


def line_blocks(lines: list[str], code: list[bool]) -> list[str]:
    """``| `` lines to a line block, as pandoc reads them at the top level and in a block
    quote, a list item, a footnote or a definition: a paragraph whose first line starts
    with ``LINE_BLOCK_START`` (``LineBlocks`` makes it a ``<div class="line-block">``),
    each verse after the first on a line of its own starting with ``LINE_BLOCK_LINE``
    (nothing in it opens a block) after a ``<br />``; spaces that open a verse are kept
    as no-break spaces, and a line that starts with a space goes on with the verse."""
    out = list(lines)
    i = 0
    while i < len(lines):
        quote = QUOTE.match(lines[i]).group(0)
        rest = lines[i][len(quote):]
        lead = None if code[i] else _LINE_BLOCK_LEAD.match(rest)
        before = _unquoted(lines[i - 1], quote.count(">")) if i else ""
        if not lead or not (not before.strip() or lead.group(0).strip() or
                            QUOTE.match(lines[i - 1]).group(0).count(">") < quote.count(">")):
            i += 1
            continue
        # its lines: as deep in quotes, their bar (or, going on, a space) in its column
        column, j = lead.end(), i + 1
        while j < len(lines) and not code[j] and \
                QUOTE.match(lines[j]).group(0).count(">") == quote.count(">"):
            s = _unquoted(lines[j], quote.count(">"))
            if not (s[:column].strip() == "" and
                    re.match(r"\|(?: |$)| +\S", s[column:])):
                break
            j += 1
        rests = [_unquoted(s, quote.count(">"))[column:] for s in lines[i:j + 1]]
        if any(TABLE_SEP.match(s) for s in rests):  # (its separator row, "|---|",
            i = j                                    # ends the run)
            continue                     # a pipe table (a line ending in "|", or a lone
                                         # "|" between stanzas, is verse, as in pandoc)
        for k in range(i, j):
            s = rests[k - i]
            if s.startswith("|"):
                text = s[2:]
                s = "\u00a0" * (len(text) - len(text.lstrip(" "))) + text.lstrip(" ")
            else:
                s = s.strip()            # (the verse goes on)
            prefix = quote + lead.group(0) if k == i else \
                re.match(r"(?: {0,3}> ?){0,%d}" % quote.count(">"), lines[k]).group(0) + \
                " " * column
            more = k + 1 < j and rests[k + 1 - i].startswith("|")
            out[k] = prefix + (LINE_BLOCK_START if k == i else LINE_BLOCK_LINE) + \
                _verse_opening(s) + ("<br />" if more else "")
        i = j
    return out


def _verse_opening(verse: str) -> str:
    """A verse that opens with a double quote before a word opens a quotation, as pandoc
    reads each line of a line block: the quote written as the converter's opening one
    (SmartyPants, finding the line's mark and no space before it, closed it: ”But)."""
    m = re.match("(\u00a0*)\"(?=[^\\s\"])", verse)
    if m is None:
        return verse
    from .markdown import double_quotes
    return m.group(1) + double_quotes()[0] + verse[m.end():]


def _pipe_row(cells: list[str]) -> str:
    """A pipe table's row of these cells (each a simple or grid table's text)."""
    return "| " + " | ".join(_pipes_escaped(c) for c in cells) + " |"


def _pipes_escaped(cell: str) -> str:
    """A cell's text with each ``|`` of its own escaped, so that the pipe table does not
    split the cell there. A ``|`` in a code span or a formula is left as written: the
    pipe table reads it as the code's or the formula's (``PandocTable``), and escaped it
    would be printed so (``$|x|$``, an absolute value, became ``\\|x\\|``, a norm);
    one the author escaped (``\\|``) is already."""
    out, pos = [], 0
    for start, end in _cell_spans(cell) + [(len(cell), len(cell))]:
        out.append(re.sub(r"\\.|\|", lambda m: "\\|" if m.group(0) == "|" else m.group(0),
                          cell[pos:start]))
        out.append(cell[start:end])
        pos = end
    return "".join(out)


def _cell_spans(row: str) -> list[tuple[int, int]]:
    """Where a table's row holds code spans and inline maths, as (start, end): a ``|``
    there is not a column's edge, as pandoc reads a table."""
    masked = _masked(row)
    spans = [m.span() for m in CODE_SPAN.finditer(row)]
    spans += [m.span() for m in INLINE_MATH.finditer(masked) if "\0" not in m.group(0)]
    return sorted(spans)


def _pipe_sep(aligns: list[str]) -> str:
    marks = {"left": ":---", "right": "---:", "center": ":---:", "": "---"}
    return "| " + " | ".join(marks[a] for a in aligns) + " |"


SIMPLE_SEP = re.compile(r"^ {0,3}-+(?: +-+)+ *$")
DASHED = re.compile(r"^ {0,3}-+(?: +-+)* *$")


def _closes_simple(lines: list[str], j: int) -> bool:
    """Whether line ``j`` is a row of dashes that ends a simple table (a blank line or
    the end follows)."""
    return bool(DASHED.match(lines[j])) and (j + 1 == len(lines) or not lines[j + 1].strip())


def simple_tables(lines: list[str], code: list[bool],
                  origin: list[int] | None = None) -> list[str]:
    """Pandoc's simple tables (a header line over dashes, one group per column) to pipe
    tables. Alignment comes from where the header sits over its dashes. A row of dashes
    under the rows closes the table; with no header line (dashes above and below the
    rows) the first row gives the alignment and the pipe table's header is empty (the
    tree step drops it). ``origin``, when given, is set to the line of ``lines`` that
    each line of the result was read from."""
    out = list(lines)
    i = 0
    while i + 1 < len(lines):
        if code[i] or code[i + 1] or not lines[i].strip() or (i and lines[i - 1].strip()):
            i += 1
            continue
        headless = SIMPLE_SEP.match(lines[i]) and lines[i + 1].strip()
        if headless:
            j = i + 1
            while j < len(lines) and lines[j].strip() and not code[j] and \
                    not _closes_simple(lines, j):
                j += 1
            if j == i + 1 or j == len(lines) or not lines[j].strip() or code[j]:
                i += 1                   # no closing dashes: not a table
                continue
            head, sep, rows, end = lines[i + 1], lines[i], lines[i + 1:j], j + 1
        elif SIMPLE_SEP.match(lines[i + 1]):
            head, sep = lines[i], lines[i + 1]
            j = i + 2
            while j < len(lines) and lines[j].strip() and not code[j]:
                j += 1
            rows, end = lines[i + 2:j], j
            if len(rows) > 1 and _closes_simple(lines, j - 1):
                rows = rows[:-1]
        else:
            i += 1
            continue
        spans = [(m.start(), m.end()) for m in DASHES.finditer(sep)]

        def cells(row: str) -> list[str]:
            starts = [s for s, _ in spans[1:]] + [max(len(row), spans[-1][1])]
            return [row[(s if k else 0):starts[k]].strip()
                    for k, (s, _) in enumerate(spans)]
        aligns = []
        for s, e in spans:
            left = head[s:s + 1] not in (" ", "")
            right = head[e - 1:e] not in (" ", "")
            aligns.append("" if left and right else "left" if left else
                          "right" if right else "center")
        table = [_pipe_row([""] * len(spans) if headless else cells(head)), _pipe_sep(aligns)]
        table += [_pipe_row(cells(row)) for row in rows]
        out[i:end] = table + [""] * (end - i - len(table))
        if origin is not None:
            first = i + 1 if headless else i + 2            # the first row's line
            origin[i:i + len(table)] = [i, i + 1 - bool(headless)] + \
                list(range(first, first + len(rows)))
        i = end
    return out


def _opens_block(line: str) -> bool:
    """Whether pandoc reads a block starting with ``line`` as something other than a
    paragraph: a list, a heading, a quote, a rule or code. As in pandoc, "p. 45" (a
    page) and a capital with a full stop and one space ("B. Smith", an initial) open no
    list; a list marker on a paragraph's later line is text."""
    marker = BULLET.match(line)
    if marker and not (marker.group(2) == "p." and marker.group(3) == " " and
                       line[marker.end()].isdigit() or
                       re.fullmatch(r"[A-Z]\.", marker.group(2)) and marker.group(3) == " "):
        return True
    return bool(re.match(r"#{1,6}(?: |$)|>|([-*_])(?: *\1){2,} *$", line) or
                FENCE.match(line))


FOOT_ROW = "\ue020"       # starts a grid table's footer row, which goes into <tfoot>


def grid_tables(lines: list[str], code: list[bool], origin: list[int] | None = None
                ) -> tuple[list[str], list[tuple[int, str]]]:
    """Pandoc's grid tables to pipe tables, for cells of one paragraph of inline text.
    A cell spanning columns or rows, a cell of several blocks, or a table with no header
    row cannot be a pipe table: those are reported (line index, message). ``origin``,
    when given, is set to the line of ``lines`` that each line of the result was read
    from (a row's: the row's first line)."""
    out, problems = list(lines), []
    for i, j in _blocks(lines, code, GRID_BORDER.match,
                        lambda s: s.startswith("+") or s.startswith("|")):
        block = lines[i:j]
        cuts = [k for k, ch in enumerate(block[0].rstrip()) if ch == "+"]
        borders = [k for k, s in enumerate(block) if s.startswith("+")]
        heads = [k for k in borders if "=" in block[k]]
        why, where = None, i
        if not heads or heads[0] == 0:
            why = "a grid table needs a header row (above a '+===+' line)"
        for n, s in enumerate(block):
            if s.startswith("+") and [k for k, ch in enumerate(s.rstrip()) if ch == "+"] != cuts:
                why = "a grid table cell that spans rows or columns"
            if s.startswith("|") and any(s[k:k + 1] != "|" for k in cuts):
                if s.rstrip().count("|") >= len(cuts):     # as many bars, elsewhere
                    why, where = ("a grid table row whose '|' do not stand under the '+' "
                                  "of the border above: line the columns up"), i + n
                    break
                why = "a grid table cell that spans rows or columns"
        rows = []
        for a, b in zip(borders, borders[1:]):
            texts = []
            for c in range(len(cuts) - 1):
                parts = [s[cuts[c] + 1:cuts[c + 1]].strip() for s in block[a + 1:b]]
                held = "\n".join(parts).strip("\n").split("\n")
                if "" in held[1:] or _opens_block(held[0]):
                    why = why or "a grid table cell holding more than one paragraph " \
                                  "(a list, a heading, a quote, several paragraphs)"
                texts.append(" ".join(p for p in parts if p))
            rows.append(texts)
        if why:
            problems.append((where, why))
            continue
        seps = block[heads[0]]
        aligns = []
        for c in range(len(cuts) - 1):
            seg = seps[cuts[c] + 1:cuts[c + 1]]
            left, right = seg.startswith(":"), seg.endswith(":")
            aligns.append("center" if left and right else "left" if left else
                          "right" if right else "")
        n_head = sum(1 for b in borders if b < heads[0])
        if n_head != 1:
            problems.append((i, "a grid table with more than one header row"))
            continue
        # a footer: the rows after the last '+===+' line, when one also closes the table
        foot = max([k for k in heads if k != borders[-1]], default=borders[-1]) \
            if heads[-1] == borders[-1] else borders[-1]
        for r in range(1, len(rows)):
            if borders[r] >= foot:
                rows[r][0] = FOOT_ROW + rows[r][0]
        table = [_pipe_row(rows[0]), _pipe_sep(aligns)] + [_pipe_row(r) for r in rows[1:]]
        out[i:j] = table + [""] * (j - i - len(table))
        if origin is not None:
            origin[i:i + len(table)] = [i + 1, i + heads[0]] + [i + b + 1 for b in borders[1:-1]]
    return out, problems


# a line that may rule a simple or a grid table: dashes near its start, or a border
_TABLE_RULE = re.compile(r"^(?: {0,3}-|\+[-=:])", re.M)


def typed_tables(text: str) -> tuple[str, list[int]]:
    """Simple and grid tables to pipe tables, read on the text as the author typed it
    (before its citations become tokens and its examples' labels numbers), and for each
    line of the result the line of ``text`` it was read from (a table's rows move up
    over its borders). Their cells are parted at the columns of the rule or the border,
    and those rewrites move what follows them on a row: a token (``zzcite0zz``) is
    shorter or longer than the citation it stands for, so a bar set under its '+' was
    read as out of line, and a cell's text ran into the next cell's. A table this step
    does not find (one only a later rewrite makes, or one the checks refuse) is read as
    before, with the other rewrites (``PandocLines``)."""
    lines = text.split("\n")
    if not _TABLE_RULE.search(text):
        return text, list(range(len(lines)))
    simple = list(range(len(lines)))
    lines = simple_tables(lines, code_lines(lines), simple)
    grid = list(range(len(lines)))
    lines = grid_tables(lines, code_lines(lines), grid)[0]
    return "\n".join(lines), [simple[k] for k in grid]


DEFINITION = re.compile(r"^( {0,3})([:~])(?=[ \t])")


def _block_before(lines: list[str], i: int) -> tuple[int, int] | None:
    """(first, last) line of the block that ends before line ``i``, past blank lines."""
    last = i - 1
    while last >= 0 and not lines[last].strip():
        last -= 1
    if last < 0:
        return None
    first = last
    while first and lines[first - 1].strip():
        first -= 1
    return first, last


def _in_definition(lines: list[str], block: tuple[int, int] | None) -> bool:
    """Whether ``block`` belongs to a definition: it holds a ``:`` or ``~`` line, or is
    an indented later block of one."""
    if block is None:
        return False
    first, last = block
    if any(DEFINITION.match(s) for s in lines[first:last + 1]):
        return True
    return _indent(lines[first]) >= 4 and _in_definition(lines, _block_before(lines, first))


def _table_at(lines: list[str], k: int) -> bool:
    """Whether a pipe, simple or grid table starts at line ``k``."""
    line, below = lines[k], lines[k + 1] if k + 1 < len(lines) else ""
    return bool(GRID_BORDER.match(line) or SIMPLE_SEP.match(line) and below.strip() or
                line.strip() and (SIMPLE_SEP.match(below) or
                                  "|" in line and "|" in below and TABLE_SEP.match(below)))


def captions_above(lines: list[str], code: list[bool]) -> list[str]:
    """``: caption`` over a table is its caption, as in pandoc, after a paragraph too:
    it is written ``Table: caption``, which the definition-list extension leaves alone
    (it took the paragraph's lines for terms and the caption for their definition).
    Within a definition list (after a definition, or a one-line term after one) it is
    a definition, as in pandoc; a ``~`` line always is."""
    out = list(lines)
    for i, line in enumerate(lines):
        if code[i] or not line.lstrip(" ").startswith(":") or \
                not DEFINITION.match(line) or i and lines[i - 1].strip():
            continue
        end = i
        while end < len(lines) and lines[end].strip():
            end += 1
        k = end
        while k < len(lines) and not lines[k].strip():
            k += 1
        if k == end or k == len(lines) or code[k] or not _table_at(lines, k):
            continue
        before = _block_before(lines, i)
        if _in_definition(lines, before) or before and before[0] == before[1] and \
                _in_definition(lines, _block_before(lines, before[0])):
            continue
        out[i] = DEFINITION.sub(r"\1Table\2", line, 1)
        for n in range(i + 1, end):                 # a ':' further down is caption text
            out[n] = DEFINITION.sub(r"\1\\\2", lines[n], 1)
    return out


# a code span: a run of backticks (not escaped) to the next run of as many, within its
# paragraph (its pieces taken whole, so that a backtick that closes nothing is given up
# in time linear in its paragraph)
CODE_SPAN = re.compile(r"(?<![`\\])(`+)(?!`)(?:[^`\n]++|\n(?![ \t>]*\n)|`++)*?(?<!`)\1(?!`)")


def _masked(text: str) -> str:
    """``text`` with code spans blanked out (same length), so no rewrite looks inside."""
    if "`" not in text:
        return text
    return CODE_SPAN.sub(lambda m: "\0" * len(m.group(0)), text)


def code_spans(text: str) -> list[tuple[int, int]]:
    """Where a Markdown text holds code, as (start, end) in it: the lines of its code
    blocks (``code_lines``) and its code spans."""
    lines = text.split("\n")
    spans, pos = [], 0
    for line, is_code in zip(lines, code_lines(lines)):
        if is_code:
            spans.append((pos, pos + len(line)))
        pos += len(line) + 1
    blocks = list(text)
    for start, end in spans:
        blocks[start:end] = "\0" * (end - start)
    spans += [m.span() for m in CODE_SPAN.finditer("".join(blocks))]
    return sorted(spans)


def sub_outside_code(pattern: re.Pattern, repl, text: str, hidden=()) -> str:
    """``pattern.sub(repl, text)`` for the matches that hold no code span, nor any of
    the lines whose flag in ``hidden`` is true."""
    hidden = list(hidden) + [False] * (text.count("\n") + 1 - len(hidden))
    masked = "\n".join("\0" * len(line) if hide else line
                        for line, hide in zip(text.split("\n"), hidden))
    out, pos = [], 0
    for m in pattern.finditer(_masked(masked)):
        if "\0" not in m.group(0):
            out += [text[pos:m.start()], repl(m)]
            pos = m.end()
    return "".join(out) + text[pos:]


# inline maths, as the maths extension reads it: its carets are no superscript's
INLINE_MATH = re.compile(r"(?<![\\$])\$(?![\s$])[^$\n]*?(?<![\s\\])\$(?!\d)")


def inline_notes(lines: list[str], code: list[bool]) -> list[str]:
    """``^[text]`` to ``[^_inlineN]`` with the definition added at the end."""
    text = "\n".join("\0" * len(s) if c else s for s, c in zip(lines, code))
    masked = INLINE_MATH.sub(lambda m: "$" + "\0" * (len(m.group(0)) - 2) + "$", _masked(text))
    source = "\n".join(lines)
    out, notes, pos = [], [], 0
    k = masked.find("^[")
    while k != -1:
        word = masked[max(masked.rfind(" ", 0, k), masked.rfind("\n", 0, k)) + 1:k]
        # (a note's call before it is no superscript: "[@key].^[…]" in a notes style,
        # its citation's call "[^citation-3]." by now, "text[^1].^[…]")
        word = re.sub(r"\[\^[^\[\]\s]+\]", "", word)
        if len(re.findall(r"(?<!\\)\^", word)) % 2:
            # "cm^3^[^n]", "Xe^+^[PtF~6~]": this caret closes a superscript (one opened
            # in the same word: pandoc's superscripts hold no space)
            k = masked.find("^[", k + 2)
            continue
        target = word.rfind("](")
        if target != -1 and ")" not in word[target:]:
            # in a link's address ("[a](x^[y])"), which pandoc reads before any note
            k = masked.find("^[", k + 2)
            continue
        depth, end = 0, None
        for e in range(k + 1, len(masked)):
            if masked[e] == "[":
                depth += 1
            elif masked[e] == "]":
                depth -= 1
                if depth == 0:
                    end = e
                    break
            elif masked[e] == "\n" and masked[e + 1:e + 2] == "\n":
                break
        if end is None:
            k = masked.find("^[", k + 2)
            continue
        # a note that runs on over lines of a block quote: their ">" marks are not its text
        start = source.rfind("\n", 0, k) + 1
        depth = QUOTE.match(source, start).group(0).count(">")
        body = source[k + 2:end].split("\n")
        body[1:] = [_unquoted(line, depth) for line in body[1:]]
        # (its lines one line, its spaces collapsed: an author's no-break space is kept)
        notes.append(re.sub(r"[ \t]+", " ", " ".join(body)).strip(" \t"))
        label = f"_inline{len(notes)}"
        # (the text after the note goes on on the call's line: the note's lines, kept
        # empty, parted the paragraph or the quotation it was in)
        out.append(source[pos:k] + f"[^{label}]")
        pos = end + 1
        k = masked.find("^[", pos)
    if not notes:
        return lines
    out.append(source[pos:])
    tail = [""] + [f"[^_inline{n}]: {note}" for n, note in enumerate(notes, 1)]
    return "".join(out).split("\n") + tail


# an image's title, in double or single quotes, and the placeholder its "$" takes
# (the alt text may run on over the paragraph's lines, as the title may)
_IMAGE = re.compile(r"""!\[((?:[^\[\]\n]|\n(?![ \t]*\n)|\[[^\[\]\n]*\])*)\]"""
                    r"""(\(\s*[^\s()]+(?:\s+(?:"[^"]*"|'[^']*'))?\s*\))""")
TITLE_DOLLAR = "\ue000"
TITLE_BACKTICK = "\ue002"


LINE_IN_MATH = "\ue001"   # a display formula's line break, while its lines are one


def display_math(lines: list[str], code: list[bool]) -> list[str]:
    """A ``$$…$$`` formula over several lines is one line (its breaks held as
    ``math.LINE_IN_MATH``): a line of it that begins as a block does ("> 0", "- x",
    "# 1") would otherwise end the paragraph and start a block quote or a list, and the
    formula be printed as text (pandoc reads the formula whole). (No other step needs
    these lines' numbers: problems are found on the source.)"""
    out: list[str] = []
    i = 0
    while i < len(lines):
        line = lines[i]
        if code[i] or line.count("$$") % 2 == 0:
            out.append(line)
            i += 1
            continue
        j = i + 1               # the line that closes it, before a blank line
        while j < len(lines) and lines[j].strip() and not code[j] and "$$" not in lines[j]:
            j += 1
        if j < len(lines) and not code[j] and "$$" in lines[j] and lines[j].strip():
            depth = QUOTE.match(line).group(0).count(">")     # in a block quote: its
            rest = [_unquoted(s, depth) for s in lines[i + 1:j + 1]]   # marks go
            out.append(LINE_IN_MATH.join([line] + rest))
            i = j + 1
        else:
            out.append(line)
            i += 1
    return out


def image_titles(lines: list[str], code: list[bool]) -> list[str]:
    """An image's title and alt text (a figure's caption) are text, not yet Markdown:
    math in them must not become markup inside the attribute, which broke the figure,
    nor code be taken out of it, which left the caption only the code's letters (Python-
    Markdown reads a code span before the image around it, and an attribute keeps only
    the text of what it read). Their "$" signs and backticks are held as
    ``TITLE_DOLLAR`` and ``TITLE_BACKTICK`` until the caption is converted (``resolve``),
    or the attribute is written as text."""
    if not any("$" in line or "`" in line for line in lines):
        return lines
    # a paragraph at a time: an image's alt text or title may wrap onto the next line
    text = "\n".join("" if is_code else line for line, is_code in zip(lines, code))
    held = _IMAGE.sub(lambda m: m.group(0).replace("$", TITLE_DOLLAR)
                      .replace("`", TITLE_BACKTICK), text).split("\n")
    return [line if is_code else new for line, new, is_code in zip(lines, held, code)]


OPEN_ATTRS = re.compile(r"[\])]\{[^{}]*$")       # a span's, link's or image's, unclosed


def wrapped_attributes(lines: list[str], code: list[bool]) -> list[str]:
    """Attributes that wrap onto the next lines (``[word]{.index`` / ``entry="…"}``)
    are one line's, as Pandoc reads them: Python-Markdown read only one line's, and
    printed the rest (the index mark, the figure's id and width lost)."""
    return [line for _, line in joined_attributes(lines, code)]


def joined_attributes(lines: list[str], code: list[bool]) -> list[tuple[int, str]]:
    """``lines`` with attributes that wrap joined to their first line, each line with
    the index of the source line it starts at."""
    out: list[tuple[int, str]] = []
    i = 0
    while i < len(lines):
        line, j = lines[i], i
        if not code[i] and OPEN_ATTRS.search(_masked(line)):
            k = i + 1          # the line that closes them, within three
            while k < len(lines) and k - i <= 3 and lines[k].strip() and not code[k] \
                    and "{" not in _masked(lines[k]).split("}")[0]:
                if "}" in _masked(lines[k]):
                    line = " ".join([line.rstrip()] + [s.strip() for s in lines[i + 1:k + 1]])
                    j = k
                    break
                k += 1
        out.append((i, line))
        i = j + 1
    return out


REF_ATTRS = re.compile(r"^( {0,3}\[([^\]]+)\]:.*?)\s*\{([^{}]*)\}\s*$")


def reference_attributes(lines: list[str], code: list[bool]) -> list[str]:
    """Attributes after a reference definition (``[r]: pic.png "T" {#fig-x width=50%}``)
    belong to each link or image that uses it, as in Pandoc: they are moved there.
    Python-Markdown read no such definition, and printed it and its uses as text."""
    found: dict[str, str] = {}
    out = list(lines)
    for k, (line, is_code) in enumerate(zip(lines, code)):
        m = None if is_code else REF_ATTRS.match(line)
        if m and not NOTE_DEFINITION.match(line):
            found[m.group(2).casefold()] = m.group(3)
            out[k] = m.group(1)
    if not found:
        return lines
    use = re.compile(r"(\]\[([^\]\n]*)\]|\[([^\[\]\n]+)\](?!\[|\(|:|\{))(?!\{)")

    def attach(m: re.Match, label: str) -> str:
        attrs = found.get(label.casefold())
        return m.group(0) if attrs is None else m.group(0) + "{" + attrs + "}"

    for k, (line, is_code) in enumerate(zip(out, code)):
        if is_code or "[" not in line or REF_DEF.match(line):
            continue
        # ``[label][]`` first: its label is the text before the empty brackets
        line = re.sub(r"\[([^\[\]\n]+)\]\[\](?!\{)", lambda m: attach(m, m.group(1)), line)
        out[k] = use.sub(lambda m: attach(m, m.group(2) or m.group(3) or ""), line)
    return out


HTML_BLOCK_TAG = re.compile(
    r"<(div|details|section|aside|article|header|footer|figure|figcaption|blockquote|"
    r"table|thead|tbody|tfoot|tr|td|th|caption|dl|dt|dd|ul|ol|li|nav|main)"
    r"((?:\s[^<>]*?)?)(/?)>", re.I)


# an element whose content pandoc reads as inline Markdown, as a paragraph's text
# (``<summary>`` of a ``<details>``: "la <em>Natività mistica</em>", no paragraph)
HTML_INLINE_TAG = re.compile(r"<(summary)((?:\s[^<>]*?)?)(/?)>", re.I)


def markdown_in_html(lines: list[str], code: list[bool]) -> list[str]:
    """Markdown inside a raw HTML block (``<div>`` … ``</div>``, a table's cells) is
    read as Markdown, as Pandoc reads it: it printed as source, asterisks and all. A
    ``<summary>``'s is read as inline text."""
    def mark(m: re.Match) -> str:
        if m.group(3) or re.search(r"\bmarkdown\s*=", m.group(2)):
            return m.group(0)
        kind = "span" if m.re is HTML_INLINE_TAG else "1"
        return f'<{m.group(1)}{m.group(2)} markdown="{kind}">'
    out = []
    in_list = False              # (a list goes on to a blank line and an unindented one)
    for k, (line, is_code) in enumerate(zip(lines, code)):
        if not is_code and line.strip():
            if ITEM_MARKER.match(line):
                in_list = True
            elif not line[:1].isspace() and (k == 0 or not lines[k - 1].strip()):
                in_list = False
        if is_code or "<" not in line:
            out.append(line)
            continue
        masked = _masked(line)
        pieces, pos = [], 0
        found = sorted([*HTML_BLOCK_TAG.finditer(masked), *HTML_INLINE_TAG.finditer(masked)],
                       key=lambda m: m.start())
        for m in found:
            pieces += [line[pos:m.start()], mark(m.re.match(line, m.start()))]
            pos = m.end()
        joined = "".join(pieces) + line[pos:]
        out.extend([joined] if in_list else _block_apart(joined))
    return out


# a paragraph's line, not an item's, a quotation's or a table's
_PROSE_LINE = re.compile(r" {0,3}(?![-*+>|:~#]|\d+[.)]\s|<)\S")


def _block_apart(line: str) -> list[str]:
    """A block-level HTML element that starts after a paragraph's text on its line
    ("A hint: <details>…</details> end.") ends the paragraph, as pandoc reads it: the
    element and the text after its end tag (on the same line) are blocks of their own.
    Inside the paragraph, the element was cut from it by the HTML parser, its text
    after it left outside any paragraph."""
    m = HTML_BLOCK_TAG.search(_masked(line))
    if m is None or m.start() == 0 or not _PROSE_LINE.match(line) or \
            not line[:m.start()].strip() or line[:1].isspace():
        return [line]
    close, depth = None, 0       # its end tag: elements of its name inside it counted
    for tag in re.finditer(rf"<(/?){m.group(1)}\b[^>]*>", line[m.start():], re.I):
        depth += -1 if tag.group(1) else 1
        if depth == 0:
            close = re.compile(r".*", re.S).match(line, m.start() + tag.start(),
                                                  m.start() + tag.end())
            break
    lines = [line[:m.start()].rstrip(), ""]
    if close is None:
        return lines + [line[m.start():]]
    rest = line[close.end():].strip()
    return lines + [line[m.start():close.end()]] + (["", rest] if rest else [])


TILDE_DEFINITION = re.compile(r"^( {0,3})~(?=[ \t])")


def tilde_definitions(lines: list[str], code: list[bool]) -> list[str]:
    """``~ definition``: Pandoc's other marker of a definition, written ``:`` for the
    definition-list extension (it printed the tilde and ran the list into a paragraph)."""
    return [line if is_code else TILDE_DEFINITION.sub(r"\1:", line)
            for line, is_code in zip(lines, code)]


# what no quote inside may pair across: raw HTML tags, attribute lists, a link's target
# and title (over a line break too), a reference definition's, an escaped quote (which
# stays straight), and maths (its quote is a prime)
_NOT_TEXT = re.compile(r"<[^<>\n]*>|\{[^{}\n]*\}|(?<=\])\([^()]*(?:\([^()]*\)[^()]*)*\)"
                       r"|(?m:^ {0,3}\[[^\]\n]+\]:.*$)|\\['\"]|\$\$[\s\S]*?\$\$|"
                       + INLINE_MATH.pattern)
APOSTROPHE = "\u2019"


def _pandoc_quotes(text: str) -> dict[int, str]:
    """How pandoc's smart punctuation reads each straight quote of a paragraph (``text``,
    what is not prose masked): position -> "open" or "close" (a quotation's), "apostrophe"
    (a single quote that is none), "left" or "right" (a double quote that is none).

    As pandoc parses them: a quote opens a quotation where it follows no word and
    precedes no space, and no quotation of its kind is the innermost open; the
    quotation is what goes on to its closing quote (a double quote; a single quote
    before no letter or digit, not right after the opening one), with quotations nested
    inside it; with no closing quote in the paragraph it is none, and its quote an
    apostrophe (single) or an opening quote's sign (double), the text after it read as
    if it were not quoted. (Read from the last quote back, in time linear in their
    number: where each quotation that could open at a quote would close.)"""
    tokens = [(m.start(), m.group(0)) for m in re.finditer(r"['\"]", text)]
    n = len(tokens)

    def opens(k: int) -> bool:
        pos = tokens[k][0]
        after_word = pos > 0 and (text[pos - 1].isalnum() or text[pos - 1] == ".")
        return not after_word and pos + 1 < len(text) and not text[pos + 1].isspace()

    def closes(k: int, inside: str) -> bool:
        pos, quote = tokens[k]
        if inside == '"':
            return quote == '"'
        return quote == "'" and not text[pos + 1:pos + 2].isalnum() and \
            (k == 0 or tokens[k - 1][0] != pos - 1)     # (not right after the opening)

    # end[kind][k]: the closing quote of a quotation of that kind open before quote k
    # (n: none), quotations that open inside it skipped
    end = {"'": [n] * (n + 1), '"': [n] * (n + 1)}

    def after(k: int, inside: str) -> int:
        """Where the reading goes on after quote ``k`` (not one closing ``inside``)."""
        quote = tokens[k][1]
        if quote != inside and opens(k) and end[quote][k + 1] < n:
            return end[quote][k + 1] + 1
        return k + 1

    for k in range(n - 1, -1, -1):
        for inside in end:
            end[inside][k] = k if closes(k, inside) else end[inside][after(k, inside)]
    found: dict[int, str] = {}
    todo = [(0, "", n)]                     # (first quote, inside what, its closing quote)
    while todo:
        k, inside, stop = todo.pop()
        while k < stop:
            pos, quote = tokens[k]
            nxt = after(k, inside)
            if nxt > k + 1:
                found[pos], found[tokens[nxt - 1][0]] = "open", "close"
                todo.append((k + 1, quote, nxt - 1))
            else:
                found[pos] = "apostrophe" if quote == "'" else \
                    "left" if quote != inside and opens(k) else "right"
            k = nxt
    return found


# Hebrew marks abbreviations with the geresh ׳ (ה׳, ג׳ול) and the gershayim ״ (מ״מ,
# האו״ם), which a keyboard types as ' and ": a double quote between two Hebrew letters is
# a gershayim, never a quotation's; a single quote after a Hebrew letter that is no
# quotation's (an apostrophe, as pandoc reads it) and before no letter of another
# script is a geresh. A quotation's quotes, at a word's start or end, stay quotes.
HEBREW_LETTERS = "א-ת"
GERSHAYIM_AT = re.compile(rf'(?<=[{HEBREW_LETTERS}])"(?=[{HEBREW_LETTERS}])')
GERESH, GERSHAYIM = "׳", "״"


def geresh_at(text: str, pos: int) -> bool:
    """Whether the apostrophe at ``pos`` marks a Hebrew abbreviation (``HEBREW_LETTERS``):
    after a Hebrew letter, and before a Hebrew letter or no letter at all."""
    def hebrew(c: str) -> bool:
        return "א" <= c <= "ת"
    after = text[pos + 1:pos + 2]
    return pos > 0 and hebrew(text[pos - 1]) and (not after.isalpha() or hebrew(after))


def hebrew_marks_in(text: str, masked: str) -> str:
    """``text`` with its Hebrew abbreviations' quotes made geresh and gershayim
    (``GERSHAYIM_AT``), read in ``masked``, the same text with what is not prose (code,
    maths, markup) blanked."""
    chars = list(text)
    for m in GERSHAYIM_AT.finditer(masked):
        chars[m.start()] = GERSHAYIM
    if "'" in masked:
        read = GERSHAYIM_AT.sub(GERSHAYIM, masked)    # (no quotation's quotes)
        for offset, piece in _brackets_apart(read):
            for pos, reading in _pandoc_quotes(piece).items():
                if reading == "apostrophe" and geresh_at(read, offset + pos):
                    chars[offset + pos] = GERESH
    return "".join(chars)


def hebrew_marks(lines: list[str], code: list[bool]) -> list[str]:
    """Each paragraph's Hebrew abbreviations with their geresh and gershayim
    (``hebrew_marks_in``), in prose: not in code, maths, a link's address or an
    attribute."""
    out = list(lines)
    start = 0
    for end in [i for i, s in enumerate(lines) if not s.strip() or code[i]] + [len(lines)]:
        if end > start:
            text = "\n".join(lines[start:end])
            if re.search(f"[{HEBREW_LETTERS}]['\"]", text):
                masked = _NOT_TEXT.sub(lambda m: "\0" * len(m.group(0)), _masked(text))
                out[start:end] = hebrew_marks_in(text, masked).split("\n")
        start = end + 1
    return out


def apostrophe_positions(text: str) -> list[int]:
    """Where a plain text (nothing in it code or markup) has a single quote that pandoc
    reads as an apostrophe (``_pandoc_quotes``): the Markdown's reading, for the text
    that does not come through Markdown (``typography``)."""
    return [pos for pos, reading in _pandoc_quotes(text).items() if reading == "apostrophe"]


BRACKETS = re.compile(r"\[([^\[\]]*)\]")


def _brackets_apart(text: str) -> list[tuple[int, str]]:
    """``text`` with what each pair of brackets holds (a link's text, a span's) blanked
    out, and each such text on its own, inner ones blanked: (offset, text) each. Pandoc
    reads a link's text apart, and no quotation pairs across its brackets ("[Grafton](u)'s
    … the [Graftons'](v) books": two apostrophes)."""
    pieces = []
    while "[" in text and (found := list(BRACKETS.finditer(text))):
        pieces += [(m.start(1), m.group(1)) for m in found]
        text = BRACKETS.sub(lambda m: "\0" * len(m.group(0)), text)
    return [(0, text)] + pieces


def apostrophes(lines: list[str], code: list[bool]) -> list[str]:
    """A single quote that pandoc reads as an apostrophe (``_pandoc_quotes``) is written
    as one (’) here. SmartyPants, which reads a quote by the characters next to it,
    opened a quotation with one before a word that no later quote in its paragraph
    closes ("'Tis", "'98"), inside a single-quoted passage ("“'tis”"), where the quote
    that would close it is inside a double-quoted passage that it is outside ("the '90s
    "with 'inner' quotes""), or between figures ("5'10"). A quotation's own quotes are
    left to SmartyPants, which sets "'s" after a link or emphasis as an apostrophe, where
    pandoc opens a quotation that a later quote closes ("[Grafton](…)'s … [the
    Graftons](…)' books": "Grafton‘s … Graftons’"), and an apostrophe before a decade
    ("'90s") whatever closes after it."""
    out = list(lines)
    start = 0
    for end in [i for i, s in enumerate(lines) if not s.strip() or code[i]] + [len(lines)]:
        if end > start:
            text = "\n".join(lines[start:end])
            masked = _NOT_TEXT.sub(lambda m: "\0" * len(m.group(0)), _masked(text))
            if "'" in masked or '-"' in masked:
                chars = list(text)
                for offset, piece in _brackets_apart(masked):
                    readings = _pandoc_quotes(piece)
                    for pos, reading in readings.items():
                        if reading == "apostrophe":
                            chars[offset + pos] = APOSTROPHE
                    for pos, reading in readings.items():
                        if piece[pos] != '"' or pos == 0:
                            continue
                        before = chars[offset + pos - 1]
                        # SmartyPants reads a double quote by the character before it:
                        # it closes no quotation after a hyphen ("Eng-"), and opens none
                        # after an apostrophe (un'"altra") or a letter
                        if reading == "close" and before == "-" or \
                                reading in ("open", "left") and not before.isspace() and \
                                before not in "([{-\u2014\u2013\0":
                            from .markdown import double_quotes
                            chars[offset + pos] = double_quotes()[reading == "close"]
                out[start:end] = "".join(chars).split("\n")
        start = end + 1
    return out


# pandoc's abbreviations (``pandoc --print-default-data-file abbreviations``): after one,
# its smart punctuation puts a no-break space, so the line never parts "Dr." from "Watson"
ABBREVIATIONS = (
    "aet. aetat. al. Apr. Aug. bk. Bros. c. Capt. cf. ch. chap. chs. Co. col. Corp. cp. d. "
    "Dec. Dr. e.g. ed. eds. esp. f. fasc. Feb. ff. fig. fl. fol. fols. Fr. Gen. Gov. Hon. "
    "i.e. ill. Inc. incl. Jan. Jr. Jul. Jun. Ltd. M.A. M.D. Mar. Mr. Mrs. Ms. n. n.b. nn. "
    "No. Nov. Oct. p. Ph.D. pp. Pres. Prof. pt. q.v. Rep. Rev. s.v. s.vv. saec. sec. Sen. "
    "Sep. Sept. Sgt. Sr. St. univ. viz. vol. vs.").split()
_ABBREVIATION = re.compile(r"(?<![\w.\\])(" + "|".join(
    re.escape(a) for a in sorted(ABBREVIATIONS, key=len, reverse=True)) + r") (?=\S)")


_QUOTE_MARKS = re.compile(r"^(?:[ \t]*>)*")
_DIV_FENCE = re.compile(r" {0,3}:{3,}")


def _item_markers(lines: list[str], code: list[bool]) -> list[int]:
    """For each line, where it starts a list item's marker, as pandoc reads the lines
    (-1 where it does not): an item opens after a blank line (or at the start) and
    within a list, not inside a paragraph ("… born in Paris" / "c. 1900, …")."""
    out, blank, in_list = [], True, False
    for line, is_code in zip(lines, code):
        body = _QUOTE_MARKS.sub("", line)
        m = ITEM_MARKER.match(body)
        if is_code or not body.strip() or HEADING.match(line) or _DIV_FENCE.match(body):
            # (code, a heading or a div's fence ends a block, as a blank line does)
            out.append(-1)
            blank, in_list = True, False
            continue
        if m is not None and (blank or in_list):
            out.append(len(line) - len(body) + m.start("marker"))
            in_list = True
        else:
            out.append(-1)
            if blank and body[:1] not in " \t":
                in_list = False          # a paragraph of its own: the list has ended
        blank = False
    return out


def abbreviations(lines: list[str], code: list[bool]) -> list[str]:
    """A space after one of pandoc's abbreviations ("Dr. Watson", "e.g. robins") is a
    no-break space, as pandoc's smart punctuation makes it; not after a list item's
    marker that is one too ("c. It usually …", an item of a list lettered a, b, c),
    which then read as text run into the item before it."""
    out = []
    markers = _item_markers(lines, code)
    for line, is_code, marker in zip(lines, code, markers):
        if is_code or "." not in line or line.startswith("    "):
            out.append(line)
            continue
        chars = list(line)
        for m in _ABBREVIATION.finditer(_masked(line)):      # (not in code)
            if m.start(1) != marker:
                chars[m.end(1)] = "\u00a0"
        out.append("".join(chars))
    return out


def header_references(lines: list[str], code: list[bool]) -> list[str]:
    """``[Heading text]`` (no link after it) to a link to that heading, as Pandoc does.
    A heading without an explicit id links to ``#zzhead-SLUG``, which ``resolve``
    points at the id it gives the heading."""
    from .loader import slugify
    targets, defined = {}, set()
    for s, c in zip(lines, code):
        if c:
            continue
        m = HEADING.match(s)
        if m:
            ident = re.search(r"#([\w:.-]+)", m.group(2) or "")
            targets.setdefault(reference_label(m.group(1)),
                               ident.group(1) if ident else "zzhead-" + slugify(m.group(1)))
        d = REF_DEF.match(s)
        if d:
            defined.add(reference_label(d.group(1)))
    if not targets:
        return lines
    # (its text may run on over the lines of its paragraph)
    ref = re.compile(r"(?<![\]!\\^])\[([^\[\]^@\n](?:[^\[\]\n]|\n(?![ \t>]*\n))*)\]"
                     r"(?:\[\])?(?![(\[{:])")

    def link(m: re.Match) -> str:
        key = reference_label(m.group(1))
        if key in defined or key not in targets:
            return m.group(0)
        return f"[{m.group(1)}](#{targets[key]})"
    return sub_outside_code(ref, link, "\n".join(lines), [
        c or bool(HEADING.match(s)) for s, c in zip(lines, code)]).split("\n")


def reference_label(text: str) -> str:
    """A link's label or a heading's text as pandoc compares them: case, spaces, line
    breaks and the marks of a block quote's lines aside."""
    return " ".join(re.sub(r"\n[ \t]*(?:>[ \t]?)*", " ", text).split()).casefold()


def unnumbered(lines: list[str], code: list[bool]) -> list[str]:
    """``{-}`` after a heading is Pandoc's short form of ``{.unnumbered}``."""
    return [s if c or not HEADING.match(s) else
            re.sub(r"\{([^}]*)\}(\s*)$", lambda m: "{" + re.sub(
                r"(?<![\w.#-])-(?![\w-])", ".unnumbered", m.group(1)) + "}" + m.group(2), s)
            for s, c in zip(lines, code)]


IN_TEXT = "\ue015"        # before a comment that is a paragraph's, not a block of its own


def inline_comments(lines: list[str], code: list[bool]) -> list[str]:
    """An HTML comment inside a paragraph is the paragraph's, as pandoc reads it, over a
    blank line too: such a comment's blank lines were the paragraph's end, and the
    comment's text was printed ("<!– note"); one at the start of a line after the
    paragraph's line broke the paragraph in two. Its blank lines are held (a mark on
    them, its quotation's marks kept), and a comment that starts a line after a
    paragraph's line is marked as no block's start. ``Tidy`` removes the marks."""
    if not any("<!--" in line for line, is_code in zip(lines, code) if not is_code):
        return lines
    text = "\n".join("" if is_code else line for line, is_code in zip(lines, code))
    spans = code_spans(text)
    starts = [start for start, _ in spans]
    out, pos, done = [], 0, 0
    counted, rows = 0, 0                       # newlines before ``counted``
    searched = begin = 0
    while True:
        p = text.find("<!--", pos)
        if p < 0:
            break
        k = bisect.bisect_right(starts, p) - 1
        if k >= 0 and p < spans[k][1]:             # in a code span
            pos = spans[k][1]
            continue
        q = text.find("-->", p + 4)
        if q < 0:
            break
        newline = text.rfind("\n", searched, p)     # (the line's start: found once)
        begin = newline + 1 if newline >= 0 else begin
        searched = p
        k = p                                      # text before it on its line?
        while k > begin and text[k - 1] in " \t>":
            k -= 1
        inline = k > begin
        if not inline and begin:
            before = text[text.rfind("\n", 0, begin - 1) + 1:begin - 1]
            rest = before[QUOTE.match(before).end():]
            rows += text.count("\n", counted, begin)
            counted, row = begin, rows - 1
            if rest.strip() and not code[row] and not NOT_PARAGRAPH.match(rest) and \
                    not _TABLE_LINE.match(rest):
                inline = True
                out.append(text[done:p] + IN_TEXT)
                done = p
        body = text[p:q].split("\n")
        if inline and len(body) > 1 and _held_together(text[begin:p], body[1:]):
            body[1:] = [line if line[QUOTE.match(line).end():].strip()
                        else line + IN_TEXT for line in body[1:]]
            out.append(text[done:p] + "\n".join(body))
            done = q
        pos = q + 3
    out.append(text[done:])
    held = "".join(out).split("\n")
    return [line if is_code else new for line, new, is_code in zip(lines, held, code)]


# a line of a table (a row with "|", a grid table's border, a rule of dashes): a comment
# after it is no paragraph's
_TABLE_LINE = re.compile(r".*\||\s*\+[-=:+]|[-=:\s]*$")


def _held_together(lead: str, lines: list[str]) -> bool:
    """Whether a comment that opens after ``lead`` on its line and runs on over
    ``lines`` stays in its container over their blank lines, as pandoc reads the
    container first: a quotation's blank line keeps its ``>``, and the lines after a
    blank line are indented as the item's (or the paragraph's) text."""
    marks = QUOTE.match(lead).group(0)
    depth, rest = marks.count(">"), lead[len(marks):]
    item = CONTAINER.match(rest)
    indent = min(item.end(), 4) if item else len(rest) - len(rest.lstrip(" "))
    after_blank = False
    for line in lines:
        marks = QUOTE.match(line).group(0)
        rest = line[len(marks):]
        if marks.count(">") < depth and (after_blank or not rest.strip()):
            return False
        if not rest.strip():
            after_blank = True
        elif after_blank and len(rest) - len(rest.lstrip(" ")) < indent:
            return False
    return True


class PandocLines(Preprocessor):
    """Every line rewrite above, in order, outside code (``code_lines``, found again
    after a step that changed a line)."""

    def run(self, lines: list[str]) -> list[str]:
        steps = (inline_comments, display_math, markdown_in_html, wrapped_attributes, reference_attributes,
                 captions_above, tilde_definitions, inline_notes, image_titles, hebrew_marks,
                 apostrophes, abbreviations,
                 unnumbered,
                 paren_markers, line_blocks, simple_tables,
                 lambda ls, cs: grid_tables(ls, cs)[0], header_references, reindent)
        read, code = None, []
        for step in steps:
            if lines != read:
                read, code = list(lines), code_lines(lines)
            lines = step(lines, code)
        return lines


def multiline_tables(lines: list[str], code: list[bool]) -> list[tuple[int, str]]:
    """Pandoc's multiline tables are not read: a row of dashes above the header, or, with
    no header, rows that blank lines part between two rows of dashes (without the blank
    lines, that is a simple table)."""
    found = []
    for i, j in _blocks(lines, code, lambda s: re.fullmatch(r" {0,3}-{3,} *", s) is not None,
                        lambda s: True):
        if j - i > 2 and any(SIMPLE_SEP.match(s) for s in lines[i + 1:j]):
            found.append((i, "a multiline table is not read: write a grid or pipe table"))
    for i, line in enumerate(lines):
        if code[i] or not SIMPLE_SEP.match(line) or i and lines[i - 1].strip() or \
                i + 1 == len(lines) or not lines[i + 1].strip():
            continue
        j, blank = i + 1, False
        while j < len(lines) and not code[j] and not (lines[j].strip() and
                                                      _closes_simple(lines, j)):
            blank = blank or not lines[j].strip()
            j += 1
        if blank and j < len(lines) and not code[j]:
            found.append((i, "a multiline table is not read: write a grid or pipe table"))
    return found


RAW_TEX = re.compile(r"^\s*(\\begin\{([A-Za-z]+)\*?\})")
FORMULA_ID = re.compile(r"\$\$\s*(\{[^{}]*#[^{}]*\})\s*$")
# LaTeX's environments of formulas (which belong between $$ and $$); any other
# (center, itemize, figure …) has a Markdown form
MATH_ENVIRONMENTS = {"equation", "align", "aligned", "gather", "gathered", "multline",
                     "eqnarray", "displaymath", "math", "array", "matrix", "pmatrix",
                     "bmatrix", "vmatrix", "cases", "split", "alignat", "flalign"}
# a line of its own that starts a new page in print, as pandoc's LaTeX writer reads it
PAGE_BREAK = re.compile(r"\\(?:newpage|pagebreak|clearpage|cleardoublepage)[ \t]*$")
# a LaTeX command in running text: a backslash and two letters or more, not a path's
# ("C:\\Users", "folder\\file") nor an escaped backslash's ("\\\\newpage" prints as written)
TEX_COMMAND = re.compile(r"(?<![\\\w:/.~%])\\([A-Za-z]{2,})(?![A-Za-z])((?:\*?\[[^\]\n]*\])?(?:\{[^{}\n]*\})*)")
# inline maths as pandoc reads it, over a line's end too (not a blank line)
_INLINE_MATH_LINES = re.compile(r"(?<![\\$])\$(?![\s$])(?:[^$\n]|\n(?![ \t]*\n))*?(?<![\s\\])\$(?!\d)")


def page_break(lines: list[str], i: int) -> bool:
    """Whether line ``i`` is a page break: ``\\newpage`` (or ``\\pagebreak``,
    ``\\clearpage``) alone on a line that starts a block."""
    return PAGE_BREAK.match(lines[i]) is not None and (i == 0 or not lines[i - 1].strip())


def raw_tex(lines: list[str], code: list[bool]) -> list[tuple[int, str]]:
    """LaTeX outside the dollars (``\\begin{equation}`` on a line of its own) is not
    read, nor an id after a display formula (``$$ … $$ {#eq-x}``): each printed as
    source, where pandoc would drop the one and print the other."""
    found, inside = [], False
    for i, (line, is_code) in enumerate(zip(lines, code)):
        if is_code or line.startswith("    "):
            continue
        m = RAW_TEX.match(line)
        if m and not inside:
            found.append((i, f"raw LaTeX '{m.group(1)}' is not read: write the formula "
                             "between $$ and $$ (several lines: \\begin{aligned} … "
                             "\\end{aligned} inside them)" if m.group(2) in MATH_ENVIRONMENTS
                          else f"raw LaTeX '{m.group(1)}' is not read: write it in Markdown "
                               "(a list, a table, a fenced div ::: for a block)"))
        m = FORMULA_ID.search(line)
        if m:
            found.append((i, f"'{m.group(1)}' after a formula: formulas are not numbered "
                             "and take no id (it would print as text): link to the "
                             "formula's section instead"))
        inside ^= _masked(line).count("$$") % 2 == 1
    return found


def tex_commands(lines: list[str], code: list[bool]) -> list[tuple[int, str]]:
    """LaTeX commands in running text (``\\vspace{2cm}``, ``\\noindent``, ``\\alpha``),
    which print as written (pandoc's HTML drops them unread): one warning for each, at
    its line. A page break alone on its line (``page_break``) is read; formulas, code
    and raw LaTeX environments (``raw_tex``, an error) are not looked at."""
    found, inside, environment = [], False, False
    # (inline maths blanked first, over the whole text: it may run over a line's end)
    whole = "\n".join("" if c else s for s, c in zip(lines, code))
    blanked = _INLINE_MATH_LINES.sub(lambda m: re.sub(r"[^\n]", " ", m.group(0)),
                                     _masked(whole)).split("\n")
    for i, (line, is_code) in enumerate(zip(lines, code)):
        if is_code or line.startswith("    ") or page_break(lines, i):
            continue
        if RAW_TEX.match(line):
            environment = True
        elif re.match(r"\s*\\end\{", line) and environment:
            environment = False
            continue
        text = blanked[i] if i < len(blanked) else _masked(line)
        if inside or "$$" in text:
            parts = text.split("$$")
            text = "".join(part if (n % 2 == 0) != inside else "" for n, part in enumerate(parts))
            inside ^= len(parts) % 2 == 0
        text = INLINE_MATH.sub("", text)
        text = re.sub(r"<[^<>\n]*>|\]\([^()\s]*\)", "", text)     # tags, addresses
        for m in TEX_COMMAND.finditer(text):
            name = m.group(1)
            if name in ("begin", "end") and environment:      # (an error of raw_tex's)
                continue
            what = f"\\{name}{m.group(2)}"
            if PAGE_BREAK.match(f"\\{name}"):
                found.append((i, f"'{what}' starts a new page only alone on a line after a "
                                 "blank line, at its start (not in a list or a quotation): "
                                 "here it prints as written"))
            else:
                found.append((i, f"'{what}' is LaTeX, which is read only in a formula "
                                 "(between $ and $): it prints as written"))
    return found


# hashes at a line's start run into a word: "##The PEEL paragraph", a heading typed
# without its space, which Markdown (and pandoc) prints as text
# (in a block quote too)
UNSPACED_HEADING = re.compile(r" {0,3}(?:> ?)*(#{2,6})(?=[^\W\d_])")


def unspaced_headings(lines: list[str], code: list[bool]) -> list[tuple[int, str]]:
    """Lines that start with two to six hashes and a letter, outside code: a heading
    whose space after the hashes was left out, printed as a paragraph that starts with
    the hashes. (One hash and a word, ``#MeToo``, may be a hashtag; so may one inside
    a line, which is not looked at.)"""
    found = []
    for i, (line, is_code) in enumerate(zip(lines, code)):
        m = None if is_code else UNSPACED_HEADING.match(line)
        if m:
            hashes, word = m.group(1), line[m.end():].split()[0]
            found.append((i, f"a line starting '{hashes}' followed by a letter is not a "
                             f"heading: put a space after the hashes ('{hashes} {word}'); "
                             "as it is, it prints as text"))
    return found


# a bullet a word processor writes, at a line's start (a block quote's too), then a
# space or a tab; an en dash only before a tab (before a space it may open a line of
# dialogue); U+F0B7 and U+F0A7 are Word's Symbol-font bullets, pasted as they are
WORD_BULLET = re.compile(r" *(?:> ?)*([•◦▪▫‣⁃●○■\uf0b7\uf0a7](?=[ \t])|–(?=\t))")


def word_bullets(lines: list[str], code: list[bool]) -> list[tuple[int, str]]:
    """Lines pasted from a word processor that start with its bullet ("•\tUnderline the
    key words."), outside code: Markdown's list markers are ``-``, ``*`` and ``+``, so
    the line is text, and joins the paragraph or list item before it."""
    found = []
    for i, (line, is_code) in enumerate(zip(lines, code)):
        m = None if is_code else WORD_BULLET.match(line)
        if m:
            mark = m.group(1)
            shown = f"U+{ord(mark):04X}" if ord(mark) >= 0xE000 else mark
            found.append((i, f"'{shown}' is not a Markdown list marker: the line is text, "
                             "not a list item; start a list item with '- ' (a hyphen "
                             "and a space)"))
    return found


def problems(text: str) -> list[tuple[int, str]]:
    """Constructs this builder refuses, as (line index in ``text``, message)."""
    lines = text.split("\n")
    code = code_lines(lines)
    return grid_tables(lines, code)[1] + multiline_tables(lines, code) + \
        raw_tex(lines, code)


# a backslash that escapes what follows it: after escaped backslashes (``\\``), or none
# (before Python-Markdown's escapes, which would take an escaped space for a space)
ESCAPED = r"(?<!\\)(?:\\\\)*\\"


# a backslash at a line's end or the text's (the spaces before it, where no escaped
# backslash comes between); a run of spaces or backslashes is tried from its start only
BREAK = r"(?<![ \t])([ \t]*+)(?<!\\)((?:\\\\)*+)\\(?:\n|\Z)"


class BackslashBreak(InlineProcessor):
    """A backslash at the end of a line: a hard line break (an escaped backslash there
    is a backslash, as in pandoc: it was a line break). At the end of a paragraph too,
    as pandoc reads it (it was printed as a backslash), and without the spaces before
    it."""

    def handleMatch(self, m, data):
        if m.group(2):                  # "\\\" : a backslash, then the break
            return etree.Element("br"), m.end(2), m.end(0)
        return etree.Element("br"), m.start(0), m.end(0)


class EscapedSpace(InlineProcessor):
    """A backslash before a space: a non-breaking space (an escaped backslash there is
    a backslash and a space, as in pandoc: it was a no-break space)."""

    def handleMatch(self, m, data):
        return "\u00a0", m.end(0) - 2, m.end(0)


class MarkerRun(InlineProcessor):
    """A run of four or more ``*`` or ``_`` opens no emphasis, as in pandoc:
    ``****x****`` is text (it was bold inside bold). A run that may close one (after a
    word, before a space, a punctuation mark or the end: ``**x****``) is left to the
    emphasis, which closes with its first marks."""

    def handleMatch(self, m, data):
        start, end = m.span()
        before, after = data[start - 1:start], data[end:end + 1]
        if before and not before.isspace() and (not after or after.isspace()
                                                 or not after.isalnum()):
            return None, None, None
        return util.AtomicString(m.group(0)), start, end


_WORD = re.compile(r"[^\s()]+")


class _TargetScan:
    """What ``pandoc_link_target`` has found in one text, kept while Python-Markdown
    tries the links of the same text (after a ``[…]`` that is no link it tries the
    next one in the same text): where a target read from a position ends, which ``)``
    closes each ``(``, where each quoted title ends. Each is found once, so the links
    of a paragraph, closed or not, are read in time linear in its length (an unclosed
    target was read to the paragraph's end at each ``[``)."""

    def __init__(self, data: str):
        self.data = data
        self.stops: dict[int, int] = {}
        self.closes: dict[int, int | None] = {}
        self.titles: dict[str, dict[int, int | None]] = {'"': {}, "'": {}}

    def close(self, start: int) -> int | None:
        """The position after the ``)`` that closes the ``(`` at ``start``, or None;
        those of every ``(`` met on the way are kept too."""
        if start not in self.closes:
            data, open_, k = self.data, [], start
            while k < len(data):
                if data[k] == "(" and k != start and k in self.closes:
                    if self.closes[k] is None:
                        break                 # (nor is any around it closed)
                    k = self.closes[k]        # over it: its ")" is not ours
                    continue
                if data[k] == "(":
                    open_.append(k)
                elif data[k] == ")" and open_:
                    self.closes[open_.pop()] = k + 1
                    if not open_:
                        break
                k += 1
            for k in open_:
                self.closes[k] = None
        return self.closes[start]

    def target_end(self, pos: int) -> int:
        """Where a target that starts at ``pos`` ends: at a ``)`` that closes no ``(``
        of its own, or at spaces before a quote or a ``)``."""
        data, path = self.data, []
        while True:
            if pos in self.stops:
                end = self.stops[pos]
                break
            if pos >= len(data) or data[pos] == ")":
                end = pos
                break
            path.append(pos)
            if data[pos].isspace():
                run = pos
                while run < len(data) and data[run].isspace():
                    run += 1
                if data[run:run + 1] in ('"', "'", ")", ""):
                    end = pos
                    break
                pos = run
            elif data[pos] == "(":
                pos = self.close(pos) or pos + 1
            else:
                pos = _WORD.match(data, pos).end()
        for k in path:
            self.stops[k] = end
        return end

    def title_end(self, start: int) -> int | None:
        """Where pandoc's quoted link title that opens at ``start`` ends (after its
        closing quote), or None: the quote that closes it is one followed by no letter
        or digit, and the same quote before one opens a title nested in it (``'a 'b'
        c'``)."""
        data, quote = self.data, self.data[start]
        ends = self.titles[quote]
        stack = [start]
        while stack:
            opening = stack[-1]
            if opening in ends:
                stack.pop()
                continue
            pos = opening + 1
            if pos >= len(data) or data[pos].isspace():
                ends[stack.pop()] = None
                continue
            result, pending = None, False
            while pos < len(data):
                if data[pos] == quote:
                    if not data[pos + 1:pos + 2].isalnum():
                        result = pos + 1
                        break
                    if pos not in ends:
                        stack.append(pos)    # its own end first
                        pending = True
                        break
                    if ends[pos] is None:
                        break                # pandoc takes it as a nested title and fails
                    pos = ends[pos]
                    continue
                pos += 1
            if not pending:
                ends[stack.pop()] = result
        return ends[start]


_last_scan: list[_TargetScan] = []


def pandoc_link_target(data: str, index: int) -> tuple[str, str | None, int] | None:
    """A link's or image's ``(target "title")`` at ``data[index]``, read as pandoc
    reads it: (target, title or None, position after the ``)``), or None where pandoc
    makes no link of it. The target runs to a space before a quote or ``)``, or to a
    ``)`` that closes no ``(`` of its own: a quote inside it is the address's
    (``https://example.org/it's 'title'``), where Python-Markdown began the title at
    the first quote."""
    if data[index:index + 1] != "(":
        return None
    if not _last_scan or _last_scan[0].data is not data:
        _last_scan[:] = [_TargetScan(data)]
    scan = _last_scan[0]
    pos = index + 1
    while data[pos:pos + 1] in (" ", "\t"):
        pos += 1
    if data[pos:pos + 1] == "<":
        close = data.find(">", pos)
        if close < 0:
            return None
        # in brackets each space is the address's own, a line break and indent too
        target, pos = re.sub(r"\s", " ", data[pos + 1:close]), close + 1
    else:
        begin, pos = pos, scan.target_end(pos)
        target = " ".join(data[begin:pos].split())
    title = None
    after = pos
    while data[after:after + 1] in (" ", "\t"):
        after += 1
    if data[after:after + 1] == "\n":
        after += 1
        while data[after:after + 1] in (" ", "\t"):
            after += 1
    if data[after:after + 1] in ('"', "'"):
        end = scan.title_end(after)
        if end is not None:
            title, pos = data[after + 1:end - 1], end
    while data[pos:pos + 1] in (" ", "\t"):
        pos += 1
    if data[pos:pos + 1] != ")":
        return None
    return target, None if title is None else " ".join(title.split()), pos + 1


# what pandoc percent-encodes in an address: a space of any kind (an escaped one, ``\ ``,
# is a no-break space by now) and the characters a URL may not hold as they are
URI_UNSAFE = frozenset('<>|"{}[]^`')


def escape_uri(address: str) -> str:
    """``address`` as pandoc writes it: ``my file.html`` is ``my%20file.html``, and
    ``|`` is ``%7C``; any other character, a ``%`` or a letter outside ASCII, as it is."""
    if address.isprintable() and " " not in address and URI_UNSAFE.isdisjoint(address):
        return address
    return "".join("%20" if c.isspace() else f"%{ord(c):02X}" if c in URI_UNSAFE else c
                   for c in address)


class PandocLinkTarget:
    """A link's (or image's) target and title as pandoc parses them
    (``pandoc_link_target``), a link's percent-encoded as pandoc encodes it. An image's
    is kept as written: ``resolve`` finds its file by it, reports it as the author wrote
    it, and then writes it encoded (``place_images``)."""
    encode = staticmethod(escape_uri)

    def getLink(self, data, index):
        found = pandoc_link_target(data, index)
        if found is None:
            return "", None, index, False
        target, title, end = found
        return (self.encode(self.unescape(target).strip()),
                None if title is None else self.unescape(title), end, True)


class PandocLink(PandocLinkTarget, LinkInlineProcessor):
    pass


# a reference link's label follows its text at once, as in pandoc: "[a] [b]" is two
# references (Python-Markdown took "[b]" for the label of "[a]", and "b" was lost)
_LABEL = re.compile(r"\[([^\]]*)\]", re.DOTALL)


class PandocReferenceLink(ReferenceInlineProcessor):
    RE_LINK = _LABEL


class PandocReferenceImage(ImageReferenceInlineProcessor):
    RE_LINK = _LABEL


class PandocImage(PandocLinkTarget, ImageInlineProcessor):
    encode = staticmethod(str)


# the schemes an autolink without "//" may have (``<tel:+1555>``, ``<urn:isbn:…>``,
# ``<doi:10.1000/1>``): a few of the many pandoc knows, those a book may well write
AUTOLINK_SCHEMES = {"mailto", "tel", "fax", "sms", "urn", "doi", "isbn", "pmid", "data", "geo",
                    "news", "magnet", "xmpp", "javascript", "file", "ftp", "http", "https"}
AUTOLINK_OTHER = r"<(?:([A-Za-z][A-Za-z0-9+.-]*):[^\s<>]+|([^\s<>@:!]+@[^\s<>@]+))>"


class PandocAutolink(InlineProcessor):
    """``<scheme:…>`` without "//" and ``<name@example.org>`` as pandoc links them (the
    other autolinks are Python-Markdown's): the first to its address as written (it was
    taken for an HTML tag and dropped, text and all, and ``<MAILTO:…>`` linked to
    "mailto:MAILTO:…"), the second to ``mailto:`` it, with the class ``email``."""

    def handleMatch(self, m, data):
        if m.group(1) is not None and m.group(1).lower() not in AUTOLINK_SCHEMES:
            return None, None, None
        address = m.group(0)[1:-1]
        a = etree.Element("a")
        a.text = util.AtomicString(address)
        if m.group(2) is not None:
            a.set("href", "mailto:" + address)
            a.set("class", "email")
        else:
            a.set("href", address)
            a.set("class", "uri")
        return a, m.start(0), m.end(0)


class PandocUri(InlineProcessor):
    """``<https://…>`` as pandoc links it: its address percent-encoded as a link's is
    (``escape_uri``), and one with a space in it no link but text, as written (it was
    a link to the address with the space)."""

    def handleMatch(self, m, data):
        address = m.group(1)
        if any(c.isspace() for c in address):
            return util.AtomicString(m.group(0)), m.start(0), m.end(0)
        a = etree.Element("a", {"href": escape_uri(self.unescape(address)), "class": "uri"})
        a.text = util.AtomicString(address)
        return a, m.start(0), m.end(0)


_TITLE_CLOSE = {'"': '"', "'": "'", "(": ")"}


def _line_end(block: str, pos: int) -> int:
    end = block.find("\n", pos)
    return len(block) if end < 0 else end


def _title(text: str) -> str | None:
    """The title that ``text`` is whole (``"T"``, ``'T'`` or ``(T)``), or None."""
    return text[1:-1] if len(text) > 1 and text[0] in _TITLE_CLOSE and \
        text[-1] == _TITLE_CLOSE[text[0]] else None


def reference_definition(block: str, pos: int) -> tuple[int, str, str | None] | None:
    """The address and title of a link reference's definition whose ``[label]:`` ends
    at ``pos``, read as pandoc reads them, with where it ends; None where it is none.
    The address may hold spaces, in angle brackets or not (``[r]: <my file.html>``,
    ``[r]: my file.html "T"``: Python-Markdown read no such definition and printed it
    as text), and is percent-encoded as a link's (``escape_uri``); the title may stand
    on the next line. Read by position, in time linear in the lines."""
    end = _line_end(block, pos)
    rest = block[pos:end].strip()
    if not rest and end < len(block):             # the address on the next line
        pos, end = end + 1, _line_end(block, end + 1)
        rest = block[pos:end].strip()
    if not rest:
        return None
    title = None
    if rest[0] == "<":
        close = rest.find(">")
        if close < 0:
            return None
        target, after = re.sub(r"\s", " ", rest[1:close]), rest[close + 1:].strip()
        if after:
            title = _title(after)
            if title is None:
                return None
    else:
        target = rest
        for k, c in enumerate(rest):        # a quote after a space: the title, to the end
            if c in _TITLE_CLOSE and rest[k - 1] in " \t":
                target, title = rest[:k], _title(rest[k:])
                if title is None:
                    return None
                break
        target = " ".join(target.split())
    if title is None and end < len(block):         # the title on the next line
        following = _line_end(block, end + 1)
        title = _title(block[end + 1:following].strip())
        if title is not None:
            end = following
    return end, escape_uri(target), title


class PandocReference(ReferenceProcessor):
    """Link references' definitions as pandoc reads them (``reference_definition``)."""
    START = re.compile(r"^[ ]{0,3}\[([^\[\]]*)\]:", re.MULTILINE)

    def run(self, parent, blocks):
        block = blocks.pop(0)
        start = end = None
        for m in self.START.finditer(block):
            found = reference_definition(block, m.end())
            if start is None:
                if found is None:
                    continue
                start = end = m.start()
            elif found is None or block[end:m.start()].strip("\n") or \
                    "\n" in block[m.start():found[0]]:
                break                # (one over lines: left for the next pass)
            stop, link, title = found
            self.parser.md.references[m.group(1).strip().lower()] = (link, title)
            end = stop
        if start is None:
            blocks.insert(0, block)
            return False
        if block[end:].strip():
            blocks.insert(0, block[end:].lstrip("\n"))
        if block[:start].strip():
            blocks.insert(0, block[:start].rstrip("\n"))
        return True


class PandocTable(TableProcessor):
    """A pipe table ends at its first line without a ``|``, as in pandoc: a heading, a
    list or a paragraph's line straight after its last row is that (each was a row)."""

    def run(self, parent, blocks):
        lines = blocks[0].split("\n")
        for i in range(2, len(lines)):
            if "|" not in lines[i]:
                blocks[0:1] = ["\n".join(lines[:i]), "\n".join(lines[i:])]
                break
        super().run(parent, blocks)

    def _split(self, row: str) -> list[str]:
        """The row's cells, parted at its ``|``, not at one inside a code span (as
        Python-Markdown reads it) nor one inside a formula, as pandoc reads a table:
        ``$|x| + |y|$`` is one cell."""
        spans = _cell_spans(row)
        masked = "".join("\0" if ch == "|" and any(a < k < b for a, b in spans) else ch
                         for k, ch in enumerate(row))
        cells, pos = [], 0
        for cell in super()._split(masked):     # (the cells of the row as written)
            cells.append(row[pos:pos + len(cell)])
            pos += len(cell) + 1
        return cells


class PandocBlockQuote(BlockQuoteProcessor):
    """A block quote ends at a blank line, as in pandoc: two quotations parted by one are
    two (Python-Markdown ran the second into the first, as a quote that goes on). It
    begins a block: a ``>`` line straight after a paragraph's line is that paragraph's
    text, as pandoc reads it (its ``blank_before_blockquote``); after a block held out
    of the text (fenced code, raw HTML: a placeholder line) it is one."""
    RE = re.compile(f"(^|(?<={util.ETX}\n))[ ]{{0,3}}>[ ]?(.*)")

    def lastChild(self, parent):
        return None                       # (the quote it would go on in)


class PandocHeader(HashHeaderProcessor):
    """ATX headings need a space after the ``#`` marks, and begin a block, as in
    Pandoc: a ``# …`` line straight after a paragraph's line is that paragraph's text
    (pandoc's ``blank_before_header``; it was taken for a heading), one after a block
    held out of the text (a placeholder line) a heading."""
    RE = re.compile(f"(?:^|(?<={util.ETX}\n))"
                    r"(?P<level>#{1,6})(?=[ \t]|\n|$)(?P<header>(?:\\.|[^\\])*?)#*(?:\n|$)")


class ListSpacing(Treeprocessor):
    """Each list loose or tight as a whole, as ``_reindent`` found it in the source
    (the mark at the start of its first item's text): a loose list's items are
    paragraphs, a tight list's items plain text, as Pandoc writes them. Runs before
    the inline Markdown, while an item's text is still one string. A definition's
    paragraph marked ``PLAIN`` (a list interrupts it) is plain text, as in pandoc."""

    def run(self, root):
        self.plain_text(root)
        for lst in root.iter():
            if lst.tag not in ("ul", "ol"):
                continue
            items = [li for li in lst if li.tag == "li"]
            if not items:
                continue
            first = items[0]
            holder = first[0] if len(first) and first[0].tag == "p" and \
                not (first.text or "").strip() else first
            text = (holder.text or "").lstrip()
            if not text.startswith((TIGHT, LOOSE)):
                continue
            holder.text = text[1:]
            if holder.text.startswith(EXAMPLE):
                holder.text = holder.text[1:]
                lst.set("class", "example")
            for li in items:
                (self.paragraph if text[0] == LOOSE else self.plain)(li)

    @staticmethod
    def plain_text(root) -> None:
        """Each paragraph whose text starts with ``PLAIN``: its content, in its place."""
        for parent in list(root.iter()):
            for p in [el for el in parent if (el.text or "").startswith(PLAIN)]:
                p.text = p.text[1:]
                if p.tag != "p":
                    continue
                children = list(p)
                for child in children:
                    p.remove(child)
                k = list(parent).index(p)
                parent.remove(p)
                for offset, child in enumerate(children):
                    parent.insert(k + offset, child)
                before = parent[k - 1] if k else None
                if before is None:
                    parent.text = (parent.text or "") + p.text
                else:
                    before.tail = (before.tail or "") + p.text
                last = children[-1] if children else before
                if last is None:
                    parent.text = (parent.text or "") + (p.tail or "")
                else:
                    last.tail = (last.tail or "") + (p.tail or "")

    @staticmethod
    def paragraph(li) -> None:
        if not (li.text or "").strip():
            return
        p = etree.Element("p")
        p.text, li.text = li.text.strip(), None
        while len(li) and li[0].tag not in BLOCK_TAGS:
            child = li[0]
            li.remove(child)
            p.append(child)
        li.insert(0, p)

    @staticmethod
    def plain(li) -> None:
        if (li.text or "").strip() or not len(li) or li[0].tag != "p":
            return
        p = li[0]
        li.remove(p)
        li.text = p.text
        for k, child in enumerate(list(p)):
            li.insert(k, child)
        if p.tail and p.tail.strip():
            if len(p):
                li[len(p) - 1].tail = (li[len(p) - 1].tail or "") + p.tail
            else:
                li.text = (li.text or "") + p.tail


class LineBlocks(Treeprocessor):
    """A line block (``line_blocks``): the paragraph it was read as becomes a
    ``<div class="line-block">``; an item or a definition that is only text (a tight
    list's) gets one around its text. Runs after ``ListSpacing``, before the inline
    Markdown."""

    def run(self, root):
        for el in list(root.iter()):
            if not (el.text or "").startswith(LINE_BLOCK_START):
                continue
            text, el.text = el.text[1:], None
            if el.tag != "p":
                el.insert(0, etree.Element("p"))
                el = el[0]
            el.tag, el.text = "div", text
            el.set("class", "line-block")


_ESCAPED_CHAR = re.compile(f"{util.STX}(\\d+){util.ETX}")
_PLAIN_ALT = re.compile(r"[\w ,.;:?!()/%+=]*")
_in_alt: list[bool] = []


def alt_texts(root) -> None:
    """An image's alt text as pandoc writes it, the plain text of its Markdown
    (``![*A* map](x.png)`` is "A map"; it was "*A* map"). An image alone in its
    paragraph keeps the Markdown: it is a figure, whose caption ``resolve`` makes of it."""
    if _in_alt:
        return                          # (an image in an alt text: its own alt as written)
    images = [(holder, img) for holder in root.iter() for img in holder if img.tag == "img"]
    for holder, img in images:
        alt = img.get("alt") or ""
        if _PLAIN_ALT.fullmatch(alt) or holder.tag == "p" and len(holder) == 1 and \
                not (holder.text or "").strip() and not (img.tail or "").strip():
            continue
        source = _ESCAPED_CHAR.sub(lambda m: "\\" + chr(int(m.group(1))), alt) \
            .replace(TITLE_DOLLAR, "$").replace(TITLE_BACKTICK, "`")
        from .markdown import plain_text
        _in_alt.append(True)
        try:
            img.set("alt", plain_text(source))
        finally:
            _in_alt.pop()


class PandocTree(Treeprocessor):
    """Table captions and task-list labels, into Pandoc's HTML shape; images' alt
    texts plain (``alt_texts``)."""

    def run(self, root):
        alt_texts(root)
        for parent in root.iter():
            kids = list(parent)
            for k, el in enumerate(kids):
                if el.tag != "table":
                    continue
                head = el.find("thead")
                if head is not None and not any((c.text or "").strip() or len(c)
                                                for c in head.iter("th")):
                    el.remove(head)     # an empty header row, as pandoc drops it
                self.footer(el)
                for near in (kids[k + 1] if k + 1 < len(kids) else None,
                             kids[k - 1] if k else None):
                    if near is not None and near not in parent:
                        continue        # a caption between two tables: the first's
                    if near is not None and near.tag == "p" and \
                            re.match(r"(Table)?:\s", near.text or ""):
                        self.caption(parent, el, near)
                        break
                    # ": caption": the definition-list extension reads it as a
                    # definition without a term, the first of a list after the table
                    # (which goes on with whatever terms follow), or the only one before
                    if near is not None and near.tag == "dl" and len(near) and \
                            near[0].tag == "dd" and not near[0].findall("p") and \
                            (len(near) == 1 or k + 1 < len(kids) and near is kids[k + 1]):
                        near[0].text = ": " + (near[0].text or "")
                        self.caption(near, el, near[0])
                        if not len(near):
                            parent.remove(near)
                        break
        self.renumber_notes(root)
        for ol in root.iter("ol"):
            if (ol.get("start") or "1").isdigit() and ol.get("start", "1") != "1":
                # WeasyPrint does not read ``start``: the counter says it too
                ol.set("style", f"counter-reset: list-item {int(ol.get('start')) - 1}")
        for a in root.iter("a"):
            if a.get("href") and a.text == a.get("href") and not len(a) and \
                    re.match(r"[a-z][a-z0-9+.-]*:", a.text):
                a.set("class", "uri")           # an autolink, as Pandoc marks it
        for ul in root.iter("ul"):
            items = [self.task(li) for li in ul if li.tag == "li"]
            if items and any(items):
                ul.set("class", "task-list")

    @staticmethod
    def renumber_notes(root) -> None:
        """Number notes in the order of their calls in the text. The footnotes extension
        numbers them in the order it meets them, which is not the text's order when a
        call sits in a list or a table."""
        calls = [a for a in root.iter("a") if a.get("class") == "footnote-ref"]
        order: dict[str, int] = {}
        for a in calls:
            order.setdefault(a.get("href", "")[1:], len(order) + 1)
        for a in calls:
            a.text = str(order[a.get("href", "")[1:]])
        PandocTree.name_calls_in_order(root)
        for notes in root.iter("div"):
            if notes.get("class") != "footnote" or notes.find("ol") is None:
                continue
            PandocTree.one_line(notes)
            ol = notes.find("ol")
            items = list(ol)
            for li in items:
                ol.remove(li)
            for li in sorted(items, key=lambda li: order.get(li.get("id"), len(order) + 1)):
                ol.append(li)

    @staticmethod
    def name_calls_in_order(root) -> None:
        """A note's calls named in the order of the text: the first "fnref:x", the next
        "fnref2:x", and so on, the order of the note's back links. The footnotes
        extension names them in the order it meets them, and it meets a call in a block
        quote or a list after the paragraphs that follow it: the first call read was
        "fnref2", so the EPUB's note for the second call took the first note's id, and
        both calls led to the first note."""
        def rank(ident: str) -> int:
            m = re.match(r"fnref(\d*)", ident)
            return int(m.group(1) or 1) if m else 0

        by_note: dict[str, list] = {}
        for sup in root.iter("sup"):
            a = sup.find("a")
            if a is not None and a.get("class") == "footnote-ref" and sup.get("id"):
                by_note.setdefault(a.get("href", ""), []).append(sup)
        for sups in by_note.values():
            for sup, ident in zip(sups, sorted((s.get("id") for s in sups), key=rank)):
                sup.set("id", ident)

    @staticmethod
    def one_line(el) -> None:
        """A line break in the source is a space: in the notes it is written as one,
        since WeasyPrint keeps line breaks in the text of a footnote it floats."""
        if el.tag == "pre":
            return
        el.text = re.sub(r"[ \t]*\n\s*", " ", el.text) if el.text else el.text
        for child in el:
            PandocTree.one_line(child)
            child.tail = re.sub(r"[ \t]*\n\s*", " ", child.tail) if child.tail else child.tail

    @staticmethod
    def task(li) -> bool:
        """``- [ ] text`` / ``- [x] text``: a disabled checkbox in a label with the text."""
        holder = li[0] if len(li) and li[0].tag == "p" and not (li.text or "").strip() else li
        m = TASK.match(holder.text or "")
        if not m:
            return False
        label = etree.Element("label")
        box = etree.SubElement(label, "input", {"type": "checkbox", "disabled": "disabled"})
        if m.group(1) != " ":
            box.set("checked", "checked")
        box.tail = holder.text[m.end():]
        holder.text = None
        while len(holder) and holder[0].tag not in BLOCK_TAGS:
            child = holder[0]
            holder.remove(child)
            label.append(child)
        holder.insert(0, label)
        return True

    @staticmethod
    def footer(table) -> None:
        """A grid table's footer rows (``FOOT_ROW`` at the start of their first cell)
        into a ``<tfoot>`` after the body, as pandoc writes them."""
        body = table.find("tbody")
        rows = [tr for tr in body if len(tr) and (tr[0].text or "").startswith(FOOT_ROW)] \
            if body is not None else []
        if not rows:
            return
        foot = etree.SubElement(table, "tfoot")
        for tr in rows:
            tr[0].text = tr[0].text[len(FOOT_ROW):]
            body.remove(tr)
            foot.append(tr)

    @staticmethod
    def caption(parent, table, para) -> None:
        cap = etree.Element("caption")
        cap.text = re.sub(r"^(Table)?:\s+", "", para.text or "")
        for child in list(para):
            cap.append(child)
        last = cap[-1] if len(cap) else cap
        end = (last.tail if len(cap) else last.text) or ""
        attrs = ATTRS_AT_END.search(end)
        if attrs:
            end = end[:attrs.start()].rstrip()
            if len(cap):
                last.tail = end
            else:
                last.text = end
            for m in ATTR.finditer(attrs.group(1)):
                if m.group(1) == "#":
                    table.set("id", m.group(2))
                elif m.group(1) == ".":
                    table.set("class", " ".join(filter(None, [table.get("class"),
                                                              m.group(2)])))
                else:
                    table.set(m.group(3), attr_value(m))
        table.insert(0, cap)
        parent.remove(para)


def highlight_code(source, language, class_name, options, md, **kwargs) -> str:
    """A fenced block as Pandoc writes it (``<pre id class="LANG …" data-KEY><code>``),
    its code highlighted by Pygments into spans with Pygments' short CSS classes; with
    ``.numberLines`` (``startFrom="N"``) each line starts with an empty ``span.ln``
    whose number the stylesheet prints (so that copied code has none)."""
    classes = ([language] if language else []) + list(kwargs.get("classes") or [])
    ident = kwargs.get("id_value")
    extra = dict(kwargs.get("attrs") or {})
    try:
        lexer = get_lexer_by_name(language) if language else None
    except ClassNotFound:
        lexer = None
    body = highlight(source, lexer, HtmlFormatter(nowrap=True)) if lexer \
        else html.escape(source, quote=False)
    body = body.rstrip(chr(10))
    if {"numberLines", "number-lines"} & set(classes):
        start = extra.get("startFrom") or extra.get("start-from") or "1"
        first = int(start) if start.strip().lstrip("-").isdigit() else 1
        body = "\n".join(f'<span class="ln" data-n="{first + k}"></span>{line}'
                          for k, line in enumerate(body.split("\n")))
    attrs = (f' id="{html.escape(ident)}"' if ident else "") + \
        (f' class="{html.escape(" ".join(classes))}"' if classes else "") + \
        "".join(f' {key if key.startswith("data-") else "data-" + key}="{html.escape(value)}"'
                for key, value in extra.items() if re.fullmatch(r"[A-Za-z][\w-]*", key))
    return f"<pre{attrs}><code>{body}</code></pre>"


# an inline element a closing quote may follow at the end of a cell or paragraph
_INLINE_END = r"(</(?:em|strong|code|a|span|sub|sup|del|s|ins|mark|small|b|i|q)>)"


_PRE_IN_P = re.compile(r"<p>(<pre\b.*?</pre>)(.*?)</p>", re.S)


class Tidy(Postprocessor):
    """What the other steps leave that HTML cannot hold: the marks of a list's spacing
    inside raw HTML, which no list took, and of a line block's lines; and a code block
    in a paragraph (a note that ends in one: the footnotes extension put it in a
    paragraph with the note's back link, which the EPUB split into an empty paragraph
    before the code); and the marks of a comment in a paragraph (``inline_comments``)."""

    def run(self, text: str) -> str:
        for mark in (TIGHT, LOOSE, EXAMPLE, PLAIN, LINE_BLOCK_START, LINE_BLOCK_LINE, IN_TEXT):
            text = text.replace(mark, "")
        return _PRE_IN_P.sub(lambda m: m.group(1) + (f"<p>{m.group(2)}</p>"
                                                      if m.group(2).strip() else ""), text)


class QuoteAfterInline(Postprocessor):
    """SmartyPants cannot see past an inline element: the quote that closes ``"be*hold*"``
    at the end of a table cell or a paragraph, alone in its text, became an opening one
    ("“behold“"). A quote of the book's language that opens right after an inline
    element and before the end, a space or punctuation is made a closing one."""

    def run(self, text: str) -> str:
        from .markdown import double_quotes
        pairs = [double_quotes(), ("&lsquo;", "&rsquo;")]
        for left, right in pairs:
            if left in text:
                text = re.sub(_INLINE_END + re.escape(left) + r"(?=$|[\s<.,;:!?)\]])",
                              lambda m: m.group(1) + right, text)
        return text


# what a backslash escapes beyond Python-Markdown's own: every ASCII punctuation mark,
# as in Pandoc ("\<b>" was printed "\<b>", its backslash kept, "\<br>" a line break)
MORE_ESCAPES = "%&,:;<?@"   # (not "'": the apostrophes step has it first)


class PandocExtension(Extension):
    def extendMarkdown(self, md):
        md.ESCAPED_CHARS = md.ESCAPED_CHARS + [c for c in MORE_ESCAPES
                                               if c not in md.ESCAPED_CHARS]
        md.preprocessors.register(PandocLines(md), "pandoc_lines", 40)
        md.inlinePatterns.register(BackslashBreak(BREAK, md), "backslash_break", 185)
        md.inlinePatterns.register(MarkerRun(r"(?<!\*)\*{4,}|(?<!_)_{4,}", md), "marker_run", 65)
        md.inlinePatterns.register(EscapedSpace(ESCAPED + " ", md), "escaped_space", 185)
        md.inlinePatterns.register(PandocReferenceLink(REFERENCE_RE, md), "reference", 170)
        md.inlinePatterns.register(PandocLink(LINK_RE, md), "link", 160)
        md.inlinePatterns.register(PandocReferenceImage(IMAGE_REFERENCE_RE, md),
                                   "image_reference", 140)
        md.inlinePatterns.register(PandocImage(IMAGE_LINK_RE, md), "image_link", 150)
        md.inlinePatterns.register(PandocUri(AUTOLINK_RE, md), "autolink", 120)
        md.inlinePatterns.register(PandocAutolink(AUTOLINK_OTHER, md), "automail", 110)
        md.parser.blockprocessors.register(PandocHeader(md.parser), "hashheader", 70)
        if "table" in md.parser.blockprocessors:
            md.parser.blockprocessors.register(
                PandocTable(md.parser, md.parser.blockprocessors["table"].config), "table", 75)
        md.parser.blockprocessors.register(PandocReference(md.parser), "reference", 15)
        md.parser.blockprocessors.register(PandocBlockQuote(md.parser), "quote", 20)
        smarty = md.treeprocessors["smarty"].inlinePatterns \
            if "smarty" in md.treeprocessors else {}
        if "smarty-ellipses" in smarty:
            # three dots of any run are an ellipsis, as in pandoc ("Wait...." is
            # "Wait…."); SmartyPants took only a run of exactly three
            smarty["smarty-ellipses"].compiled_re = re.compile(r"\.{3}")
        for name in ("smarty-quotes-0", "smarty-quotes-1"):
            if name in smarty:
                # a quote that opens a text before punctuation is taken to close one
                # (after an emphasis: *word*", he said); before an ellipsis it opens a
                # quotation that starts mid-sentence ("... the pressures"), as in pandoc
                start = smarty[name].compiled_re
                smarty[name].compiled_re = re.compile(
                    start.pattern.replace("^", "^(?!.\\.{3})", 1), start.flags)
        md.treeprocessors.register(ListSpacing(md), "list_spacing", 25)   # before inline
        md.treeprocessors.register(LineBlocks(md), "line_blocks", 24)
        md.treeprocessors.register(PandocTree(md), "pandoc_tree", 1)
        # after the raw HTML (smarty's entities) is back in place
        md.postprocessors.register(QuoteAfterInline(md), "quote_after_inline", 5)
        md.postprocessors.register(Tidy(md), "tidy", 4)


def makeExtension(**kwargs):
    return PandocExtension(**kwargs)
