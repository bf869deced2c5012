"""A book's own fonts (book.yaml ``fonts:``): read at a font's size limit."""
from __future__ import annotations

from pathlib import Path

import pytest

DEJAVU = Path("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf")
GREEK_USED = "λόγος"
GREEK_UNUSED = "ζξψω"
# the font's characters: Basic Latin, Greek, Cyrillic and the theme's question marks
FONT_CHARS = [*range(0x20, 0x7F), *range(0x370, 0x400), *range(0x400, 0x460), 0x25C6, 0x25CB]

needs_dejavu = pytest.mark.skipif(not DEJAVU.is_file(), reason="DejaVu Sans is not installed")


def fixture_font(path: Path, padding: int = 0) -> None:
    """DejaVu Sans cut to a few hundred glyphs (``FONT_CHARS``) and named "Fixture
    Sans"; ``padding`` bytes of a private table make the file as large as a CJK font."""
    from fontTools import subset
    from fontTools.ttLib import newTable
    options = subset.Options()
    options.layout_features = ["*"]
    options.name_IDs = ["*"]
    font = subset.load_font(str(DEJAVU), options)
    subsetter = subset.Subsetter(options)
    subsetter.populate(unicodes=FONT_CHARS)
    subsetter.subset(font)
    for record in font["name"].names:
        if record.nameID in (1, 4, 16):
            record.string = "Fixture Sans"
        elif record.nameID == 6:
            record.string = "FixtureSans"
    if padding:
        font["zPad"] = newTable("zPad")
        font["zPad"].data = bytes(padding)
    path.parent.mkdir(parents=True, exist_ok=True)
    font.save(str(path))


def book_with_font(book: Path, font: str = "fonts/fixture.ttf") -> Path:
    with open(book / "book.yaml", "a", encoding="utf-8") as f:
        f.write(f"fonts: [{font}]\n")
    return book


# -- a font's size limit ----------------------------------------------------------------
@needs_dejavu
def test_a_font_larger_than_an_image_may_be_is_read_and_typeset(book_copy):
    """A whole CJK face is 16-30 MB: more than an image may hold, well within a font's
    limit, whether the loader or the typesetter's fetcher reads it."""
    from studyguide.errors import Reporter
    from studyguide.loader import load_book
    from studyguide.readers import LIMITS
    from studyguide.writers.fetcher import SafeFetcher
    fixture_font(book_copy / "fonts" / "fixture.ttf", padding=LIMITS["image"] + 1)
    report = Reporter(book_copy)
    loaded = load_book(book_with_font(book_copy), report)
    assert report.errors == []
    assert [f.family for f in loaded.fonts] == ["Fixture Sans"]
    fetcher = SafeFetcher([book_copy])
    response = fetcher.fetch((book_copy / "fonts" / "fixture.ttf").as_uri())
    assert fetcher.refused == []
    assert len(response.read()) > LIMITS["image"]


@needs_dejavu
def test_a_font_over_the_fonts_limit_is_an_error_at_its_line(book_copy, monkeypatch):
    """Checked as the book is read (``check`` finds it), at the line that names the font,
    in words about a font."""
    from studyguide import readers
    from studyguide.errors import Reporter
    from studyguide.loader import load_book
    fixture_font(book_copy / "fonts" / "fixture.ttf", padding=2 * readers.MB)
    monkeypatch.setitem(readers.LIMITS, "font", 1 * readers.MB)
    report = Reporter(book_copy)
    load_book(book_with_font(book_copy), report)
    line = len((book_copy / "book.yaml").read_text(encoding="utf-8").splitlines())
    assert [(Path(d.path).name, d.line, d.message) for d in report.errors] == [
        ("book.yaml", line, "font 'fonts/fixture.ttf': the file is larger than the 1 MB a "
                            "font file may hold")]
