"""The book's typefaces: present, or a warning that the CSS fallback will be used; the
characters no font can draw; and the fonts a book brings of its own."""
from __future__ import annotations

import bisect
import functools
import re
import subprocess
import sys
import unicodedata
from dataclasses import dataclass
from pathlib import Path
from struct import error as struct_error

# (family the stylesheets ask for first, what it is for, the Debian package that has it)
BOOK_FONTS = (("Linux Libertine O", "text", "fonts-linuxlibertine"),
              ("Linux Biolinum O", "headings", "fonts-linuxlibertine"))


@functools.lru_cache(maxsize=1)
def installed_families() -> frozenset[str] | None:
    try:
        out = subprocess.run(["fc-list", ":", "family"], capture_output=True, text=True,
                             timeout=30).stdout
    except (OSError, subprocess.SubprocessError):
        return None
    return frozenset(f.strip() for line in out.splitlines() for f in line.split(","))


def missing_fonts() -> list[str]:
    """One message per missing typeface; empty when all are there (or fontconfig is absent)."""
    families = installed_families()
    if families is None:
        return []
    return [f"font '{family}' for the {use} is not installed (Debian package {package}); "
            "the PDF falls back to the next font in the stylesheet's list"
            for family, use, package in BOOK_FONTS if family not in families]


# -- characters no font can draw, and fonts a book brings -----------------------------
FONT_SUFFIXES = {".otf": "font/otf", ".ttf": "font/ttf"}
# Characters that draw nothing: never checked against the fonts
_INVISIBLE = {"Cc", "Cf", "Zs", "Zl", "Zp", "Mn", "Me"}
MAX_LINES = 20      # lines reported per file before the rest are summed up


@dataclass(frozen=True)
class BookFont:
    """A font file in the book folder (book.yaml ``fonts:``), with what its name table
    and OS/2 table say it is."""
    path: Path
    rel: str              # its path in the book folder, as both formats name it
    family: str
    weight: int = 400
    italic: bool = False


def read_font(path: Path, rel: str) -> BookFont:
    """A book's font file, its family taken from the file; ValueError if it is no font."""
    from fontTools.ttLib import TTFont, TTLibError
    try:
        with TTFont(path, lazy=True, fontNumber=0) as font:
            family = font["name"].getBestFamilyName()
            weight = font["OS/2"].usWeightClass if "OS/2" in font else 400
            italic = bool(font["head"].macStyle & 2)
            font.getBestCmap()
    except (TTLibError, OSError, KeyError, AssertionError, struct_error) as exc:
        raise ValueError(f"cannot be read as a font ({type(exc).__name__}: {exc})") from None
    if not family:
        raise ValueError("names no font family")
    return BookFont(path, rel, family, weight, italic)


@functools.lru_cache(maxsize=64)
def _cmap(path: Path, mtime: int) -> frozenset[int]:
    from fontTools.ttLib import TTFont
    with TTFont(path, lazy=True, fontNumber=0) as font:
        return frozenset(font.getBestCmap() or ())


def cmap(path: Path) -> frozenset[int]:
    """The characters a font file has glyphs for."""
    return _cmap(path, path.stat().st_mtime_ns)


@functools.lru_cache(maxsize=1)
def installed_coverage() -> tuple[tuple[int, int], ...] | None:
    """The characters some installed font has, as sorted (first, last) ranges, from
    fontconfig (Pango falls back to any of them); None if fontconfig is absent."""
    try:
        out = subprocess.run(["fc-list", "--format", "%{charset}\n"], capture_output=True,
                             text=True, timeout=30).stdout
    except (OSError, subprocess.SubprocessError):
        return None
    ranges = sorted({(int(a, 16), int(b or a, 16))
                     for a, b in re.findall(r"([0-9a-f]+)(?:-([0-9a-f]+))?", out)})
    merged: list[list[int]] = []
    for first, last in ranges:
        if merged and first <= merged[-1][1] + 1:
            merged[-1][1] = max(merged[-1][1], last)
        else:
            merged.append([first, last])
    return tuple((a, b) for a, b in merged)


def _installed_has(codepoint: int, ranges: tuple[tuple[int, int], ...]) -> bool:
    i = bisect.bisect_right(ranges, (codepoint, sys.maxsize)) - 1
    return i >= 0 and ranges[i][0] <= codepoint <= ranges[i][1]


def undrawable(files: list[Path], book_fonts: list[BookFont]) -> list[tuple[Path, int, str]]:
    """(file, line, characters) for every line of these files with characters that no
    installed font and none of the book's fonts has: the PDF would show blank boxes."""
    ranges = installed_coverage()
    if ranges is None:
        return []
    own = frozenset().union(*(cmap(f.path) for f in book_fonts))
    seen: dict[str, bool] = {}

    def missing(ch: str) -> bool:
        if ch not in seen:
            cp = ord(ch)
            seen[ch] = unicodedata.category(ch) not in _INVISIBLE and cp not in own and \
                not _installed_has(cp, ranges)
        return seen[ch]
    out = []
    for path in files:
        text = path.read_text(encoding="utf-8", errors="replace")
        if text.isascii():
            continue
        for n, line in enumerate(text.splitlines(), 1):
            chars = "".join(dict.fromkeys(ch for ch in line if not ch.isascii() and missing(ch)))
            if chars:
                out.append((path, n, chars))
    return out


def undrawable_messages(files: list[Path], book_fonts: list[BookFont]):
    """Warnings (file, line, message) for ``undrawable`` characters, at most MAX_LINES
    lines per file and then one line that counts the rest."""
    by_file: dict[Path, list] = {}
    for path, line, chars in undrawable(files, book_fonts):
        by_file.setdefault(path, []).append((line, chars))
    for path, lines in by_file.items():
        for line, chars in lines[:MAX_LINES]:
            names = ", ".join(f"{c} (U+{ord(c):04X})" for c in chars[:8]) + \
                (f" and {len(chars) - 8} more" if len(chars) > 8 else "")
            yield path, line, (f"no font can draw {names}: the PDF shows a blank box for "
                               "each; add a font that has them (fonts: in book.yaml)")
        if len(lines) > MAX_LINES:
            rest = "".join(dict.fromkeys("".join(c for _, c in lines[MAX_LINES:])))
            yield path, lines[MAX_LINES][0], (
                f"and {len(lines) - MAX_LINES} more lines with characters no font can draw "
                f"({len(rest)} different)")


def font_face_css(book_fonts: list[BookFont], prefix: str, stylesheets: list[str]) -> str:
    """CSS that loads the book's fonts (``prefix``: the book folder's URL from the
    stylesheet) and adds their families to every font-family list of ``stylesheets``,
    before its generic family, so that they draw what the theme's fonts cannot."""
    if not book_fonts:
        return ""
    faces = [f'@font-face {{ font-family: "{f.family}"; src: url("{prefix}{f.rel}"); '
             f'font-weight: {f.weight}; font-style: {"italic" if f.italic else "normal"}; }}'
             for f in book_fonts]
    families = ", ".join(f'"{name}"' for name in dict.fromkeys(f.family for f in book_fonts))
    rules = []
    for css in stylesheets:
        css = re.sub(r"/\*.*?\*/", "", css, flags=re.S)
        # rules of plain selectors (a margin box's, "@top-left { … }", is not one)
        for selector, body in re.findall(r"(?<![@\w-])([^{}@\s][^{}@]*)\{([^{}]*)\}", css):
            for stack in re.findall(r"font-family:\s*([^;}]+)", body):
                stack = stack.strip().removesuffix("!important").strip()
                if stack in ("inherit", "initial", "unset"):
                    continue
                generic = re.search(r",\s*(serif|sans-serif|monospace|cursive|fantasy)\s*$",
                                    stack)
                new = (stack[:generic.start()] + f", {families}" + stack[generic.start():]
                       if generic else f"{stack}, {families}")
                rules.append(f"{selector.strip()} {{ font-family: {new}; }}")
    return "\n".join(faces + rules) + "\n"
