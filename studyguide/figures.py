"""Figures generated from the book's data as SVG: the timeline and the strategy diagram.

Both are drawn in black, white and grey only, with shape and position (never colour)
carrying meaning, so they print on office printers and read on e-ink screens.
"""
from __future__ import annotations

import re
from collections.abc import Sequence
from html import escape

from . import fonts, nobreak
from .labels import standing_alone
from .model import Book, TimelineEvent

# The figures are drawn in user units on a canvas WIDTH wide and carry no size of their
# own (only a viewBox): they scale to the width they are given. No text is smaller than
# MIN_FONT units, which is 12 px or more wherever a figure is shown 600 px wide or wider.
WIDTH = 600
MIN_FONT = 13
# Generic families only: a reading system has a sans-serif font, and the EPUB embeds no
# font the figure could name. The print edition draws them in the theme's sans-serif
# (``for_print``).
FONT = "sans-serif"
PRINT_FONT = "'Linux Biolinum O', 'Linux Biolinum', 'Libertinus Sans', 'DejaVu Sans', sans-serif"
EM = 0.56               # the average advance of a letter, in ems, of a generous sans-serif
BOLD_EM = 0.62


def _svg(width: int, height: float, title: str, body: list[str]) -> str:
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        f'<svg xmlns="http://www.w3.org/2000/svg" version="1.1" '
        f'viewBox="0 0 {width} {height:.0f}" preserveAspectRatio="xMidYMin meet" '
        'role="img" aria-labelledby="svg-title">\n'
        f'<title id="svg-title">{escape(title)}</title>\n'
        f'<g font-family="{FONT}" fill="#000">\n' + "\n".join(body) + "\n</g>\n</svg>\n")


def for_print(svg: str, book_fonts: Sequence[fonts.BookFont] = ()) -> str:
    """A generated figure as the print edition draws it: in the theme's sans-serif, each
    line that needs shaping (Arabic's letters, Devanagari's…) drawn as outlines, shaped
    (``_shaped_lines``, with the book's own fonts, ``book_fonts``, for what the theme's
    lack), and each other line with right-to-left letters in its visual order
    (``_visual_lines``)."""
    svg = svg.replace(f'<g font-family="{FONT}"', f'<g font-family="{escape(PRINT_FONT)}"', 1)
    if "baseline-shift=" in svg:
        svg = _TEXT.sub(_shifted, svg)
    if not svg.isascii():
        svg = _shaped_lines(svg, book_fonts)
    return _visual_lines(svg) if RTL_LETTERS.search(svg) else svg


# letters of the scripts written from right to left (Hebrew, Arabic, Syriac, Thaana…)
RTL_LETTERS = re.compile("[\u0590-\u08ff\ufb1d-\ufdff\ufe70-\ufefc]")
_TEXT = re.compile(r"(<text\b[^>]*>)(.*?)(</text>)", re.S)


# a subscript's or superscript's size, and how far its baseline moves (down: positive),
# in ems of its line's text
SCRIPT_SIZE = 0.7
SCRIPT_SHIFT = {"sub": 0.25, "super": -0.4}


def _shifted(m: re.Match) -> str:
    """A line's subscripts and superscripts (``baseline-shift``, which WeasyPrint's SVG
    drawing passes over: "E~A~" printed "EA" on the line) set smaller and moved by
    ``dy``, the text after each moved back to the line's baseline."""
    from lxml import etree
    if "baseline-shift=" not in m.group(2):
        return m.group(0)
    text = etree.fromstring(m.group(0))
    size = float(text.get("font-size", "16"))
    back = 0.0                         # the shift the next character takes back
    for span in list(text):
        shift = SCRIPT_SHIFT.get(span.attrib.pop("baseline-shift", None), 0.0) * size
        if shift:
            span.set("font-size", f"{size * SCRIPT_SIZE:g}")
        if shift - back:
            span.set("dy", f"{shift - back:g}")
        back = shift
        if back and span.tail:
            rest = etree.Element("tspan", {"dy": f"{-back:g}"})
            rest.text, span.tail, back = span.tail, None, 0.0
            span.addnext(rest)
    return etree.tostring(text, encoding="unicode")


def for_screen(svg: str) -> str:
    """A generated figure as the EPUB and the preview show it: each line with
    right-to-left letters isolated in the direction of its first strong letter (FSI …
    PDI). An SVG text is laid out left to right, and a Persian label that starts with a
    day ("5 اوت 1906 امضای فرمان مشروطه.") read with its day at the far left and its
    full stop at the start; the reading system orders the isolated line as the text
    is written, and its anchor, where it starts, stays where it was."""
    if not RTL_LETTERS.search(svg):
        return svg
    return _TEXT.sub(lambda m: m.group(0) if not RTL_LETTERS.search(m.group(2)) else
                     f"{m.group(1)}\u2068{m.group(2)}\u2069{m.group(3)}", svg)


def _shaped_lines(svg: str, book_fonts: Sequence[fonts.BookFont] = ()) -> str:
    """WeasyPrint draws an SVG text's characters one by one, unshaped: Arabic's letters
    came out unjoined (and backwards), Devanagari's vowel signs apart from their letters
    (on dotted circles) and its conjuncts unformed. A line that needs shaping (Arabic
    letters, or any text HarfBuzz sets otherwise than one glyph a character:
    ``fonts.needs_shaping``) is drawn instead as the outlines of its glyphs, shaped and
    ordered as print sets text (``fonts.outline``: DejaVu Sans, its bold, italics and code
    kept, and the book's own fonts for what it lacks), placed by the line's anchor. A
    line that cannot be drawn so (DejaVu is not installed, no font has a character) stays
    text."""
    from lxml import etree

    def shaped(m: re.Match) -> str:
        if m.group(2).isascii():
            return m.group(0)
        text = etree.fromstring(m.group(0))
        bold = text.get("font-weight") == "bold"
        pieces = [(text.text or "", bold, False, False)]
        for span in text:
            pieces.append((span.text or "", bold or span.get("font-weight") == "bold",
                           span.get("font-style") == "italic",
                           span.get("font-family") == "monospace"))
            pieces.append((span.tail or "", bold, False, False))
        pieces = [p for p in pieces if p[0]]
        if not fonts.JOINING.search(m.group(2)) and \
                not fonts.needs_shaping(pieces, book_fonts):
            return m.group(0)
        size = float(text.get("font-size", "16"))
        drawn = fonts.outline(pieces, size, book_fonts)
        if drawn is None:
            return m.group(0)
        path, width = drawn
        shift = {"middle": width / 2, "end": width}.get(text.get("text-anchor"), 0)
        return (f'<path transform="translate({float(text.get("x", "0")) - shift:.2f} '
                f'{float(text.get("y", "0")):.2f})" d="{path}"/>')
    return _TEXT.sub(shaped, svg)


def _visual_lines(svg: str) -> str:
    """WeasyPrint draws an SVG text's characters in the order they are written, left to
    right, so that Hebrew and Arabic come out backwards: a line holding right-to-left
    letters is written in its visual order instead (the Unicode Bidirectional
    Algorithm, ``python-bidi``), as one run (its italics are lost; the EPUB's SVG,
    drawn by reading systems, keeps them)."""
    from html import unescape

    from bidi import get_display

    def visual(m: re.Match) -> str:
        text = unescape(re.sub(r"<[^>]+>", "", m.group(2)))
        if not RTL_LETTERS.search(text):
            return m.group(0)
        return m.group(1) + escape(get_display(text)) + m.group(3)
    return _TEXT.sub(visual, svg)


def chars(width: float, size: float, bold: bool = False) -> int:
    """How many characters of text ``size`` units high fit in ``width`` units."""
    return max(1, int(width / (size * (BOLD_EM if bold else EM))))


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


def wrap(words: list[list[Run]], width: int, max_lines: int,
         names: Sequence[str] = ()) -> list[list[Run]]:
    """Lines of at most ``width`` characters, breaking between words (a word longer than
    a line has one to itself); if text is cut, the last line kept ends in an ellipsis.
    A name of ``names`` (the key figures', ``nobreak.names_of``) is not broken: the line
    breaks before it instead, unless the name alone is longer than a line."""
    lines: list[list[Run]] = []
    length = 0
    for unit in _units(words, names):
        whole = sum(len(t) for word in unit for t, _ in word) + len(unit) - 1
        apart = len(unit) > 1 and whole <= width and length + 1 + whole > width
        for n, word in enumerate(unit):
            size = sum(len(t) for t, _ in word)
            if lines and lines[-1] and not (apart and n == 0) and length + 1 + size <= width:
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


def _units(words: list[list[Run]], names: Sequence[str]) -> list[list[list[Run]]]:
    """The words in units that ``wrap`` keeps on one line: each name of ``names`` (its
    words, whatever punctuation stands before or after it) a unit, each other word one."""
    bare = [re.sub(r"^\W+|\W+$", "", "".join(t for t, _ in word)) for word in words]
    parts = [name.split() for name in names if " " in name.strip()]
    units, i = [], 0
    while i < len(words):
        n = next((len(p) for p in parts if bare[i:i + len(p)] == p), 1)
        units.append(words[i:i + n])
        i += n
    return units


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
    """The timeline figure's text alternative: what it shows, in words, its events
    parted as the language parts a list (French spaces its semicolon)."""
    labels = book.meta.labels
    space, stop = labels.get("mark_space", " "), labels.get("full_stop", ".")
    return labels["timeline_alt"].format(events=(labels["semicolon"] + space).join(
        f"{book.timeline[i].label}{labels['comma']}{space}"
        f"{plain(texts.get(i, '')).rstrip('.' + stop)}"
        for i in timeline_events(book)) + stop)


GAP_YEARS = 20          # a longer gap between shown events breaks the timeline's axis


def when(date: str) -> float:
    """A date (YYYY, YYYY-MM or YYYY-MM-DD) as a year with its fraction: the middle of
    the year, month or day it names. It places an event's dot on the axis, and it is the
    order of the timeline's events, in the chronology as in the figure, so that the
    labels stand in the order of their dots: a year alone comes after the events of its
    first half and before those of its second."""
    import datetime as dt
    parts = [int(p) for p in date.split("-")]
    # the fraction is counted in a year of the same place in the Gregorian calendar's
    # cycle of 400 years: Python's dates start at year 1, a timeline's at 0000
    year = 2000 + parts[0] % 400
    start = dt.date(year, parts[1] if len(parts) > 1 else 1, parts[2] if len(parts) > 2 else 1)
    if len(parts) == 3:
        end = start + dt.timedelta(days=1)
    elif len(parts) == 2:
        end = dt.date(year + (start.month == 12), start.month % 12 + 1, 1)
    else:
        end = dt.date(year + 1, 1, 1)
    length = (dt.date(year + 1, 1, 1) - dt.date(year, 1, 1)).days
    middle = ((start - dt.date(year, 1, 1)).days + (end - dt.date(year, 1, 1)).days) / 2
    return parts[0] + middle / length


def segments(events: list[TimelineEvent]) -> list[list[int]]:
    """The events (by position) in runs drawn to scale: a gap of more than GAP_YEARS
    between two events starts a new run, after a break in the axis."""
    runs_: list[list[int]] = []
    for i, event in enumerate(events):
        if runs_ and when(event.date) - when(events[runs_[-1][-1]].date) <= GAP_YEARS:
            runs_[-1].append(i)
        else:
            runs_.append([i])
    return runs_


RULER_GAP = 36          # the least distance between two labelled years of the ruler


def ruler_step(scale: float) -> int:
    """How many years apart the timeline's ruler labels its years, at ``scale`` units a
    year: the fewest of 1, 2, 5, 10, 20, 50… that sets two labels no nearer than
    RULER_GAP (two lines of an event's label), so that the ruler reads at a glance: every
    year over a few years, every five over a century and a half."""
    step = 1
    while step * scale < RULER_GAP:
        step = step * 5 // 2 if str(step)[0] == "2" else step * 2
    return step


def timeline_svg(book: Book, texts: dict[int, str]) -> str:
    """The timeline figure, to scale: each event's dot sits on a vertical axis at its
    date (every year the same length, a ruler of years beside it), and a gap of more
    than GAP_YEARS breaks the axis, marked by a double slash. Each event's label (its
    date in bold, then its text: ``texts`` holds the rendered HTML of each shown event's
    text, its ``short`` form if it has one) stands beside its dot, or as near below it
    as the labels before it allow, joined to it by a leader line."""
    shown = timeline_events(book)
    events = [book.timeline[i] for i in shown]
    names = nobreak.names_of(book.people)     # kept whole on a line
    labels = book.meta.labels
    axis, label_x, size, ruler = 74, 128, 14, MIN_FONT
    leading = round(size * 1.25, 1)
    years = f"{events[0].year}–{events[-1].year}" if events else ""
    body = [_lines(WIDTH / 2, 28, [labels["timeline_heading"].format(years=years)], 18,
                   "middle", "bold")]
    groups = segments(events)
    spans = []
    for g in groups:
        start, end = when(events[g[0]].date) - 0.6, when(events[g[-1]].date) + 0.6
        if not any(y % 5 == 0 for y in range(int(start) + 1, int(end) + 1)):
            start = min(start, float(events[g[0]].year) - 0.01)   # its first year ruled
        spans.append((start, end))
    scale = min(40.0, 580 / max(sum(b - a for a, b in spans), 1))
    step = ruler_step(scale)
    top, gap = 62, 44
    y0 = top                       # where the current run's first year is drawn
    floor = top - 9                # the lowest label bottom so far
    for g, (group, (start, end)) in enumerate(zip(groups, spans)):
        if g:
            # a break: the axis stops, a double slash marks the gap, and the next run
            # starts below it (and below the labels drawn so far)
            previous_end = y0 + (spans[g - 1][1] - spans[g - 1][0]) * scale
            mid = previous_end + gap / 2
            body.append(f'<line x1="{axis}" y1="{previous_end:.1f}" x2="{axis}" '
                        f'y2="{previous_end + gap:.1f}" stroke="#000" stroke-width="1.5" '
                        'stroke-dasharray="2 4"/>')
            body.append(f'<path d="M{axis - 10} {mid + 1:.1f} l20 -8 M{axis - 10} {mid + 7:.1f} '
                        'l20 -8" stroke="#000" stroke-width="2" fill="none"/>')
            first_dot = (when(events[group[0]].date) - start) * scale
            y0 = max(previous_end + gap, floor + 12 - first_dot + 9)
        y_of = lambda t, y0=y0, start=start: y0 + (t - start) * scale   # noqa: E731
        body.append(f'<line x1="{axis}" y1="{y0:.1f}" x2="{axis}" y2="{y_of(end):.1f}" '
                    'stroke="#000" stroke-width="2"/>')
        # the ruler: a tick each year, a longer one, labelled, every ``step`` years
        tick_years = range(int(start) + 1, int(end) + 1)
        labelled = [y for y in tick_years if y % step == 0] or list(tick_years)[:1]
        if len(group) == 1 and events[group[0]].year in tick_years:
            # an event alone between two breaks: its own year, not the next one's
            # (an even year at a step of two put "1436" beside an event of 1435)
            labelled = [events[group[0]].year]
        for year in tick_years:
            long_ = year in labelled
            body.append(f'<line x1="{axis - (9 if long_ else 5)}" y1="{y_of(year):.1f}" '
                        f'x2="{axis}" y2="{y_of(year):.1f}" stroke="#000" stroke-width="1"/>')
            if long_:
                body.append(_lines(axis - 13, y_of(year) + 4.5, [str(year)], ruler, "end"))
        for i in group:
            event, index = events[i], shown[i]
            dot = y_of(when(event.date))
            # (a year as it is read, 762, not 0762; a month's date with a capital)
            date = standing_alone(event.label) if len(event.date) > 4 else str(event.year)
            words = [[(w, (("font-weight", "bold"),))] for w in date.split()]
            lines = wrap(words + runs(texts.get(index, "")), chars(WIDTH - label_x - 4, size), 2,
                         names)
            label_top = max(dot - 9, floor + 3)
            floor = label_top + leading * len(lines)
            body.append(f'<path class="leader" d="M{axis + 6} {dot:.1f} L{axis + 24} {dot:.1f} '
                        f'L{label_x - 5} {label_top + 9:.1f}" fill="none" stroke="#000" '
                        'stroke-width="0.8"/>')
            body.append(f'<circle class="event" cx="{axis}" cy="{dot:.1f}" r="5.5" fill="#fff" '
                        'stroke="#000" stroke-width="2"/>')
            body.append(_lines(label_x, label_top + 13.5, lines, size, leading=1.25))
        floor = max(floor, y_of(end))
    height = floor + 16
    return _svg(WIDTH, height, labels["timeline_title"], body)


def strategies_svg(data: dict, names: Sequence[str] = ()) -> str:
    """The strategy diagram; ``data`` is strategies.yaml with every text (title, headings,
    steps, row labels) as rendered HTML. The two columns' steps are set in rows of equal
    height, each row labelled on the left (by its number when the data names no rows)
    and shaded across the whole width, so that a row reads across from its label.
    A name of ``names`` (the key figures', ``nobreak.names_of``) is kept on one line."""
    columns = (data.get("columns") or [])[:2]
    steps = [c.get("steps") or [] for c in columns]
    count = max([len(s) for s in steps] + [len(data.get("rows") or [])] + [0])
    rows = list(data.get("rows") or [])
    named = any(rows)
    row_labels = [runs(rows[r]) if r < len(rows) and rows[r] else
                  [[(str(r + 1), ())]] for r in range(count)]
    size, label_size, pad, arrow = 14, MIN_FONT + 1, 9, 22
    leading = round(size * 1.25, 1)
    label_w = 122 if named else 34
    gutter = 10
    colw = (WIDTH - label_w - gutter * len(columns)) / max(len(columns), 1)
    text_chars = chars(colw - 2 * pad, size)
    body = []
    title = wrap(runs(data.get("title", "")), chars(WIDTH, 18, True), 2, names)
    body.append(_lines(WIDTH / 2, 26, title, 18, "middle", "bold"))
    y = 26 + 22 * len(title)
    # the column heads: white on black
    heads = [wrap(runs(c.get("heading", "")), chars(colw - 2 * pad, 15, True), 2, names)
             for c in columns]
    head_h = 14 + 19 * max([len(h) for h in heads] + [1])
    for c, head in enumerate(heads):
        x = label_w + gutter + c * (colw + gutter)
        body.append(f'<rect x="{x:.1f}" y="{y:.1f}" width="{colw:.1f}" height="{head_h}" '
                    'fill="#000"/>')
        first = y + head_h / 2 - 19 * (len(head) - 1) / 2 + 5.5
        body.append(f'<g fill="#fff">{_lines(x + colw / 2, first, head, 15, "middle", "bold", 19 / 15)}'
                    '</g>')
    y += head_h + 8
    cells = [[wrap(runs(s[r]), text_chars, 4, names) if r < len(s) else [] for s in steps]
             for r in range(count)]
    labels = [wrap(words, chars(label_w - 8, label_size, True), 3, names) for words in row_labels]
    # every row as high as the fullest one
    row_h = 2 * pad + leading * max([len(cell) for row in cells for cell in row] +
                                    [len(lab) for lab in labels] + [1]) - (leading - size)
    for r in range(count):
        body.append(f'<rect class="row" x="0" y="{y:.1f}" width="{WIDTH}" height="{row_h:.1f}" '
                    'fill="#e6e6e6"/>')
        lab = labels[r]
        middle = y + row_h / 2
        first = middle - leading * (len(lab) - 1) / 2 + label_size * 0.35
        body.append(_lines(6, first, lab, label_size, "start", "bold", leading / label_size))
        for c, cell in enumerate(cells[r]):
            x = label_w + gutter + c * (colw + gutter)
            if not cell:
                continue
            # the two columns differ in outline (solid against dashed) as well as place
            dash = '' if c == 0 else ' stroke-dasharray="7 4"'
            body.append(f'<rect x="{x + 2:.1f}" y="{y + 3:.1f}" width="{colw - 4:.1f}" '
                        f'height="{row_h - 6:.1f}" rx="5" fill="#fff" stroke="#000" '
                        f'stroke-width="1.6"{dash}/>')
            first = middle - leading * (len(cell) - 1) / 2 + size * 0.35
            body.append(_lines(x + colw / 2, first, cell, size, "middle", leading=1.25))
            if r < count - 1 and r + 1 < len(steps[c]):
                ax = x + colw / 2
                body.append(f'<path d="M{ax:.1f} {y + row_h - 2:.1f} v{arrow - 2} m-6 -7 l6 7 l6 -7" '
                            'fill="none" stroke="#000" stroke-width="1.8"/>')
        y += row_h + arrow
    return _svg(WIDTH, y - arrow + 12, plain(data.get("title", "")), body)


GENERATORS = ("timeline", "strategies")


def caption(book: Book, name: str) -> str:
    """A generated figure's default caption, from its data."""
    if name == "strategies" and book.strategies:
        return str(book.strategies.get("caption") or book.strategies.get("title") or "")
    if name == "timeline":
        return book.meta.labels["timeline_caption"]
    return ""
