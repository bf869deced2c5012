"""A code block's lines as blocks of their own, in print and in the EPUB alike.

A ``<pre>`` holds its lines as text separated by newlines: a line too long for the
measure wraps to the block's left edge, where it reads as the code's next line (on a
6-inch reader, a comment's second half looked like a new line of code, under the line
numbers' column). Each line is made a ``span.cl``, a block whose continuation hangs two
characters past the line's own indent (base.css, and the line's own ``style`` for its
indent), so that a wrapped line is told apart from the next.
"""
from __future__ import annotations

import re
from html import escape

from lxml import etree
from lxml import html as lxml_html


def hanging(line: str) -> str:
    """A code line's continuation is indented two characters past the line's own
    indent (a tab to the next multiple of eight): the ``style`` attribute that does it,
    "" for a line with no indent (base.css indents its continuation two characters)."""
    text = re.sub(r"<[^>]*>", "", line)
    lead = text[:len(text) - len(text.lstrip(" \t"))]
    width = 0
    for char in lead:
        width = (width // 8 + 1) * 8 if char == "\t" else width + 1
    return f' style="padding-left: {width + 2}ch; text-indent: -{width + 2}ch"' if width else ""


def code_lines(root, newlines: bool) -> None:
    """Each line of every code block under ``root`` its own ``span.cl``. Pygments closes
    its spans at each line's end; a block whose markup crosses a line, or holds other
    elements than spans, is left as it is.

    ``newlines``: each line keeps its newline, at its end inside its span (the EPUB: code
    copied from a reading system is the code as written, and a newline that ends a block
    draws no empty line). Without (print), the blocks alone part the lines."""
    for code in root.xpath(".//pre/code"):
        inner = escape(code.text or "", quote=False) + "".join(
            etree.tostring(child, encoding="unicode", method="html") for child in code)
        lines = inner.split("\n")
        if len(lines) > 1 and lines[-1] == "":
            lines.pop()
        if any(line.count("<span") != line.count("</span>") or "<" in re.sub(
                r"</?span\b[^>]*>", "", line) for line in lines):
            continue
        ends = ["\n" if newlines else ""] * (len(lines) - 1) + [""]
        holder = lxml_html.fragment_fromstring(
            "".join(f'<span class="cl"{hanging(line)}>{line}{end}</span>'
                    for line, end in zip(lines, ends)),
            create_parent="code")
        code.text = None
        for child in list(code):
            code.remove(child)
        for child in holder:
            code.append(child)
