"""Figures generated from the book's data as SVG: the timeline and the strategy diagram.

Both are drawn in black, white and grey only, with shape and position (never colour)
carrying meaning, so they print on office printers and read on e-ink screens.
"""
from __future__ import annotations

import textwrap
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


def _lines(x: float, y: float, lines: list[str], size: float, anchor: str = "start",
           weight: str = "normal", leading: float = 1.25) -> str:
    spans = []
    for i, text in enumerate(lines):
        spans.append(f'<text x="{x:.1f}" y="{y + i * size * leading:.1f}" font-size="{size}" '
                     f'font-weight="{weight}" text-anchor="{anchor}">{escape(text)}</text>')
    return "\n".join(spans)


def timeline_svg(book: Book) -> str:
    events = [e for e in book.timeline if e.key] or book.timeline[:16]
    width, axis, top, row = 640, 150, 56, 40
    labels = book.meta.labels
    years = f"{events[0].year}–{events[-1].year}" if events else ""
    body = [_lines(width / 2, 30, [labels["timeline_heading"].format(years=years)], 18,
                   "middle", "bold")]
    height = top + row * len(events) + 10
    body.append(f'<line x1="{axis}" y1="{top - 10}" x2="{axis}" y2="{height - 16}" '
                'stroke="#000" stroke-width="2"/>')
    for i, event in enumerate(events):
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
        label = event.short or event.event.replace("*", "")
        body.append(_lines(axis + 18, y, textwrap.wrap(label, 56)[:2], 14))
    return _svg(width, height, labels["timeline_title"], body)


def strategies_svg(book: Book) -> str:
    data = book.strategies or {}
    columns = (data.get("columns") or [])[:2]
    width, colw, gap, top = 640, 290, 20, 70
    body = [_lines(width / 2, 32, textwrap.wrap(str(data.get("title", "")), 60)[:1], 19,
                   "middle", "bold")]
    bottom = top
    for c, col in enumerate(columns):
        x = 20 + c * (colw + gap)
        # the two columns differ in outline (solid against dashed) as well as place
        dash = '' if c == 0 else ' stroke-dasharray="7 4"'
        body.append(f'<rect x="{x}" y="{top - 28}" width="{colw}" height="36" fill="#000"/>')
        body.append(f'<text x="{x + colw / 2}" y="{top - 4}" font-size="16" font-weight="bold" '
                    f'text-anchor="middle" fill="#fff">{escape(str(col.get("heading", "")))}</text>')
        y = top + 22
        for s, step in enumerate(col.get("steps") or []):
            lines = textwrap.wrap(str(step), 34)[:3]
            h = 18 + 17 * len(lines)
            body.append(f'<rect x="{x}" y="{y}" width="{colw}" height="{h}" rx="6" fill="#fff" '
                        f'stroke="#000" stroke-width="1.8"{dash}/>')
            body.append(_lines(x + colw / 2, y + 22, lines, 14, "middle"))
            y += h
            if s < len(col["steps"]) - 1:
                body.append(f'<path d="M{x + colw / 2} {y + 2} v14 m-6 -7 l6 7 l6 -7" '
                            'fill="none" stroke="#000" stroke-width="1.8"/>')
                y += 20
        bottom = max(bottom, y)
    return _svg(width, bottom + 16, str(data.get("title") or data.get("caption") or ""), body)


GENERATORS = {"timeline": timeline_svg, "strategies": strategies_svg}


def caption(book: Book, name: str) -> str:
    """A generated figure's default caption, from its data."""
    if name == "strategies" and book.strategies:
        return str(book.strategies.get("caption") or book.strategies.get("title") or "")
    if name == "timeline":
        return book.meta.labels["timeline_caption"]
    return ""
