"""A book's own fonts (book.yaml ``fonts:``): read at a font's size limit, and carried by
the EPUB as subsets of the characters its documents draw."""
from __future__ import annotations

import io
import zipfile
from pathlib import Path

import pytest
from lxml import etree

from conftest import rendered_book

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


# -- the EPUB's subsets -------------------------------------------------------------------
def _documents_text(z: zipfile.ZipFile) -> str:
    text = []
    for name in z.namelist():
        if name.endswith(".xhtml"):
            text.extend(etree.fromstring(z.read(name)).itertext())
    return "".join(text)


@pytest.fixture
def font_epub(book_copy, tmp_path, monkeypatch):
    """The fixture book with "Fixture Sans" and a Greek word, its EPUB made twice, the
    second time at another time (fontTools' clock, when it sets a font's date to now)."""
    from studyguide.writers.epub import write_epub
    fixture_font(book_copy / "fonts" / "fixture.ttf")
    chapter = book_copy / "chapters" / "01-first.md"
    chapter.write_text(chapter.read_text(encoding="utf-8") +
                       f"\nThe Greek word {GREEK_USED} is the text's own.\n", encoding="utf-8")
    rb, report = rendered_book(book_with_font(book_copy))
    assert report.errors == []
    first = write_epub(rb, None)
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "2000000000")
    second = write_epub(rb, None)
    path = tmp_path / "book.epub"
    path.write_bytes(first)
    return path, first, second, book_copy / "fonts" / "fixture.ttf"


@needs_dejavu
def test_the_epub_carries_the_glyphs_its_text_draws_and_no_others(font_epub):
    from fontTools.ttLib import TTFont
    path, first, _, original_path = font_epub
    original = TTFont(original_path)
    with zipfile.ZipFile(path) as z:
        font = TTFont(io.BytesIO(z.read("EPUB/fonts/fixture.ttf")))
        text = _documents_text(z)
        manifest = z.read("EPUB/content.opf").decode("utf-8")
    assert '<item href="fonts/fixture.ttf" id="font-1" media-type="font/ttf"/>' in manifest
    cmap = {chr(c) for c in font.getBestCmap()}
    has = {chr(c) for c in original.getBestCmap()}
    # every character of every document the font has: titles, navigation, labels
    assert set(text) & has <= cmap
    assert set(GREEK_USED) <= cmap
    assert not cmap & set(GREEK_UNUSED)
    assert not any(0x400 <= ord(c) < 0x460 for c in cmap)            # no Cyrillic
    assert {"◆", "○"} <= cmap           # what the stylesheet's ``content`` generates
    assert font.getGlyphOrder()[0] == ".notdef"
    assert font["maxp"].numGlyphs < original["maxp"].numGlyphs / 2
    # kept as the font has them: layout features, names, dates
    assert {"GSUB", "GPOS"} <= set(font.keys())
    assert font["name"].getBestFamilyName() == "Fixture Sans"
    assert font["head"].modified == original["head"].modified


@needs_dejavu
def test_the_epub_with_a_subset_font_is_the_same_each_time_and_valid(font_epub):
    from conftest import epubcheck
    path, first, second, original = font_epub
    with zipfile.ZipFile(io.BytesIO(first)) as z:        # a subset, made twice alike
        assert len(z.read("EPUB/fonts/fixture.ttf")) < original.stat().st_size * 3 / 4
    assert first == second
    assert epubcheck(path) == []


@needs_dejavu
def test_a_subset_is_kept_by_font_and_characters(tmp_path):
    from studyguide.fonts import subset_font
    fixture_font(tmp_path / "f.ttf")
    data = (tmp_path / "f.ttf").read_bytes()
    memo: dict = {}

    class Memo:
        get, put = memo.get, memo.__setitem__
    made = subset_font(data, "abc", Memo())
    assert len(memo) == 1 and made in memo.values() and len(made) < len(data)
    memo[next(iter(memo))] = b"kept"
    assert subset_font(data, "cba", Memo()) == b"kept"          # the same characters
    assert subset_font(data, "abd", Memo()) != b"kept"


def test_generated_content_counts_as_used_characters():
    from studyguide.writers.epub import used_characters
    doc = (b'<html xmlns="http://www.w3.org/1999/xhtml"><head><title>T</title></head><body>'
           b'<p data-label="Q">x<img alt="y" src="a.png"/></p><ol><li>z</li></ol></body></html>')
    css = ('p::before { content: "\\2192  \\"" attr(data-label) counter(n, lower-roman); }'
           ' /* content: "no" */ q { quotes: "\u00ab" "\u00bb"; }')
    chars = set(used_characters([doc], css))
    assert {"T", "x", "y", "z", "Q", "→", " ", '"', "«", "»", "i", "v", "0", "."} <= chars
    assert not {"n", "o", "a"} & chars
