"""Figures generated from the book's data as SVG: the timeline and the strategy diagram.

Both are drawn in black, white and grey only, with shape and position (never colour)
carrying meaning, so they print on office printers and read on e-ink screens.
"""
from __future__ import annotations

import re
from html import escape

from .model import Book

FONT = "'Linux Biolinum O', 'Linux Biolinum', 'DejaVu Sans', sans-serif"


def _svg(width: int, height: int, title: str, body: list[str]) -> str:
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        f'<svg xmlns="http://www.w3.org/2000/svg" version="1.1" viewBox="0 0 {width} {height}" '
        f'width="{width}" height="{height}" role="img" aria-labelledby="svg-title">\n'
        f'<title id="svg-title">{escape(title)}</title>\n'
        f'<g font-family="{escape(FONT)}" fill="#000">\n' + "\n".join(body) + "\n</g>\n</svg>\n")


Run = tuple[str, tuple[tuple[str, str], ...]]   # a piece of text and its SVG attributes
# what inline HTML's elements become in SVG text
STYLES = {"em": ("font-style", "italic"), "i": ("font-style", "italic"),
          "cite": ("font-style", "italic"), "strong": ("font-weight", "bold"),
          "b": ("font-weight", "bold"), "code": ("font-family", "monospace"),
          "sup": ("baseline-shift", "super"), "sub": ("baseline-shift", "sub")}


def runs(html_text: str) -> list[list[Run]]:
    """Inline HTML (a rendered Markdown string: emphasis, formatted citations, math) as
    words, each a list of pieces with the SVG attributes of their styles (a word may
    change style within itself, as in "*Capital*.")."""
    from lxml import html as lxml_html
    root = lxml_html.fragment_fromstring(html_text or "", create_parent="div")
    pieces: list[Run] = []

    def add(text: str | None, style: tuple) -> None:
        pieces.extend((" " if t.isspace() else t, style)
                      for t in re.findall(r"\s+|\S+", text or ""))

    def walk(el, style: tuple) -> None:
        if el.tag == "math":                 # a formula: its TeX, in italics
            add(el.get("alttext", ""), style + (("font-style", "italic"),))
            return
        own = style + ((STYLES[el.tag],) if el.tag in STYLES else ())
        add(el.text, own)
        for child in el:
            if isinstance(child.tag, str):
                walk(child, own)
            add(child.tail, own)
    walk(root, ())
    words: list[list[Run]] = [[]]
    for text, style in pieces:
        if text == " ":
            words.append([])
        else:
            words[-1].append((text, style))
    return [w for w in words if w]


def wrap(words: list[list[Run]], width: int, max_lines: int) -> list[list[Run]]:
    """Lines of at most ``width`` characters, breaking between words (a word longer than
    a line has one to itself); if text is cut, the last line kept ends in an ellipsis."""
    lines: list[list[Run]] = []
    length = 0
    for word in words:
        size = sum(len(t) for t, _ in word)
        if lines and lines[-1] and length + 1 + size <= width:
            # the space takes the style of the words either side if they share it
            between = word[0][1] if lines[-1][-1][1] == word[0][1] else ()
            lines[-1] += [(" ", between), *word]
            length += 1 + size
        else:
            lines.append(list(word))
            length = size
    if len(lines) > max_lines:
        lines = lines[:max_lines]
        text, style = lines[-1][-1]
        lines[-1][-1] = (text + "\u2026", style)
    return lines


def _tspans(line: list[Run]) -> str:
    """A line's runs as SVG: text in the plain style as it is, others in <tspan>s."""
    merged: list[list] = []
    for text, style in line:
        if merged and merged[-1][1] == style:
            merged[-1][0] += text
        else:
            merged.append([text, style])
    return "".join(escape(text) if not style else
                   "<tspan " + " ".join(f'{k}="{v}"' for k, v in dict(style).items()) + ">" +
                   escape(text) + "</tspan>" for text, style in merged)


def _lines(x: float, y: float, lines: list, size: float, anchor: str = "start",
           weight: str = "normal", leading: float = 1.25) -> str:
    """Lines of text, each a string or a list of styled runs (``wrap``)."""
    spans = []
    for i, line in enumerate(lines):
        body = escape(line) if isinstance(line, str) else _tspans(line)
        spans.append(f'<text x="{x:.1f}" y="{y + i * size * leading:.1f}" font-size="{size}" '
                     f'font-weight="{weight}" text-anchor="{anchor}">{body}</text>')
    return "\n".join(spans)


def timeline_events(book: Book) -> list[int]:
    """Which events (by index) the timeline figure shows: the key ones, else the first 16."""
    key = [i for i, e in enumerate(book.timeline) if e.key]
    return key or list(range(min(16, len(book.timeline))))


def plain(html_text: str) -> str:
    """A rendered text as plain words (for a figure's text alternative)."""
    return " ".join("".join(t for t, _ in word) for word in runs(html_text))


def timeline_alt(book: Book, texts: dict[int, str]) -> str:
    """The timeline figure's text alternative: what it shows, in words."""
    return book.meta.labels["timeline_alt"].format(events="; ".join(
        f"{book.timeline[i].label}, {plain(texts.get(i, '')).rstrip('.')}"
        for i in timeline_events(book)) + ".")


def timeline_svg(book: Book, texts: dict[int, str]) -> str:
    """The timeline figure; ``texts`` holds the rendered HTML of each shown event's text
    (its ``short`` form if it has one), by index."""
    shown = timeline_events(book)
    events = [book.timeline[i] for i in shown]
    width, axis, top, row = 640, 150, 56, 40
    labels = book.meta.labels
    years = f"{events[0].year}–{events[-1].year}" if events else ""
    body = [_lines(width / 2, 30, [labels["timeline_heading"].format(years=years)], 18,
                   "middle", "bold")]
    height = top + row * len(events) + 10
    body.append(f'<line x1="{axis}" y1="{top - 10}" x2="{axis}" y2="{height - 16}" '
                'stroke="#000" stroke-width="2"/>')
    for i, (index, event) in enumerate(zip(shown, events)):
        y = top + i * row + 12
        if i and event.year - events[i - 1].year > 20:
            # a break in the axis for a long gap, shown by shape, not colour
            gy = y - row / 2
            body.append(f'<rect x="{axis - 8}" y="{gy - 4}" width="16" height="8" fill="#fff"/>'
                        f'<path d="M{axis - 9} {gy - 1} l18 -6 M{axis - 9} {gy + 6} l18 -6" '
                        'stroke="#000" stroke-width="1.5"/>')
        body.append(f'<circle cx="{axis}" cy="{y - 5}" r="6" fill="#fff" stroke="#000" '
                    'stroke-width="2"/>')
        body.append(_lines(axis - 16, y, [event.label if len(event.date) > 4 else event.date],
                           13, "end", "bold"))
        body.append(_lines(axis + 18, y, wrap(runs(texts.get(index, "")), 56, 2), 14))
    return _svg(width, height, labels["timeline_title"], body)


def strategies_svg(data: dict) -> str:
    """The strategy diagram; ``data`` is strategies.yaml with every text (title, headings,
    steps) as rendered HTML."""
    columns = (data.get("columns") or [])[:2]
    width, colw, gap, top = 640, 290, 20, 70
    body = [_lines(width / 2, 32, wrap(runs(data.get("title", "")), 60, 1), 19, "middle",
                   "bold")]
    bottom = top
    for c, col in enumerate(columns):
        x = 20 + c * (colw + gap)
        # the two columns differ in outline (solid against dashed) as well as place
        dash = '' if c == 0 else ' stroke-dasharray="7 4"'
        body.append(f'<rect x="{x}" y="{top - 28}" width="{colw}" height="36" fill="#000"/>')
        heading = wrap(runs(col.get("heading", "")), 34, 1)
        body.append(f'<g fill="#fff">{_lines(x + colw / 2, top - 4, heading, 16, "middle", "bold")}'
                    '</g>')
        y = top + 22
        steps = col.get("steps") or []
        for s, step in enumerate(steps):
            lines = wrap(runs(step), 34, 3)
            h = 18 + 17 * len(lines)
            body.append(f'<rect x="{x}" y="{y}" width="{colw}" height="{h}" rx="6" fill="#fff" '
                        f'stroke="#000" stroke-width="1.8"{dash}/>')
            body.append(_lines(x + colw / 2, y + 22, lines, 14, "middle"))
            y += h
            if s < len(steps) - 1:
                body.append(f'<path d="M{x + colw / 2} {y + 2} v14 m-6 -7 l6 7 l6 -7" '
                            'fill="none" stroke="#000" stroke-width="1.8"/>')
                y += 20
        bottom = max(bottom, y)
    return _svg(width, bottom + 16, plain(data.get("title", "")), body)


GENERATORS = ("timeline", "strategies")


def caption(book: Book, name: str) -> str:
    """A generated figure's default caption, from its data."""
    if name == "strategies" and book.strategies:
        return str(book.strategies.get("caption") or book.strategies.get("title") or "")
    if name == "timeline":
        return book.meta.labels["timeline_caption"]
    return ""
