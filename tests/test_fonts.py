"""Fonts: characters no font can draw, and the font merge when a face lacks some."""
from __future__ import annotations

import io
import re
import subprocess

import pikepdf
import pytest

from studyguide.writers import fontfiles, splice
from test_pagination import _fonts_by_face, _part, _pixels

# 碳 and 氧: CJK, which no font installed for the tests has
LIBERTINE = '<style>p { font-family: "Linux Libertine O" }</style>'


def test_a_character_no_font_has_does_not_stop_the_merge(tmp_path):
    bodies = ["<p>Carbon is 碳 in Chinese, <b>bold</b>.</p>",
              "<p>Oxygen is 氧, and carbon 碳 again.</p>",
              "<p>Plain words, every one drawn.</p>"]
    parts = [splice.PartPDF(_part(LIBERTINE + b)) for b in bodies]
    with pikepdf.open(io.BytesIO(parts[0].data)) as pdf:    # the case WeasyPrint encodes
        fonts = [f for page in pdf.pages for f in page.obj.Resources.Font.values()]
        assert any(isinstance(f.get("/Encoding"), pikepdf.Stream) for f in fonts)
    merged = splice.join(parts, 0)
    separate = splice.join(parts, 0, share_fonts=False)
    faces = _fonts_by_face(pikepdf.open(io.BytesIO(merged)))
    assert len(faces["Linux-Libertine-O"]) == 1, faces
    assert all(len(programs) == 1 for programs in faces.values()), faces
    with pikepdf.open(io.BytesIO(separate)) as pdf:
        assert len(_fonts_by_face(pdf)["Linux-Libertine-O"]) == 3
    (tmp_path / "merged.pdf").write_bytes(merged)
    text = subprocess.run(["pdftotext", str(tmp_path / "merged.pdf"), "-"], check=True,
                          capture_output=True, text=True).stdout
    assert "Carbon is 碳 in Chinese" in text and "Oxygen is 氧, and carbon 碳 again" in text
    assert _pixels(merged, tmp_path, "merged") == _pixels(separate, tmp_path, "separate")


def printed_ink(tmp_path, body: str, name: str, page: str = "400px 80px"):
    """``body`` printed by WeasyPrint on a page of ``page`` and read back at 288 dpi in
    black and white (Pillow), cropped to its ink."""
    from PIL import Image, ImageChops
    from weasyprint import HTML
    HTML(string=f"<html><style>@page {{ size: {page}; margin: 0 }} body {{ margin: 0 }}"
                f"</style><body>{body}</body></html>",
         base_url=str(tmp_path) + "/").write_pdf(tmp_path / f"{name}.pdf")
    subprocess.run(["pdftoppm", "-r", "288", "-gray", "-singlefile",
                    str(tmp_path / f"{name}.pdf"), str(tmp_path / name)], check=True)
    image = Image.open(tmp_path / f"{name}.pgm").point(lambda v: 255 if v > 128 else 0)
    return image.crop(ImageChops.invert(image).getbbox())


def assert_same_ink(drawn, printed) -> None:
    """Two pictures of the same words: as wide and high within 2 pixels, and alike in
    all but 5 % of their pixels (the edges' anti-aliasing)."""
    from PIL import ImageChops
    assert abs(drawn.width - printed.width) <= 2 and abs(drawn.height - printed.height) <= 2
    w, h = min(drawn.width, printed.width), min(drawn.height, printed.height)
    differ = min(w * h - ImageChops.difference(drawn.crop((dx, 0, dx + w, h)),
                                               printed.crop((0, 0, w, h))).histogram()[0]
                 for dx in range(drawn.width - w + 1))
    assert differ < 0.05 * w * h, differ / (w * h)


def make_font(path, family: str, chars: str) -> None:
    """A TrueType font with a box glyph for each of ``chars`` (fontTools' FontBuilder)."""
    from fontTools.fontBuilder import FontBuilder
    from fontTools.pens.ttGlyphPen import TTGlyphPen
    names = [".notdef"] + [f"uni{ord(c):04X}" for c in chars]
    fb = FontBuilder(1000, isTTF=True)
    fb.setupGlyphOrder(names)
    fb.setupCharacterMap({ord(c): f"uni{ord(c):04X}" for c in chars})
    glyphs = {}
    for name in names:
        pen = TTGlyphPen(None)
        pen.moveTo((100, 0)), pen.lineTo((100, 700)), pen.lineTo((900, 700))
        pen.lineTo((900, 0)), pen.closePath()
        glyphs[name] = pen.glyph()
    fb.setupGlyf(glyphs)
    fb.setupHorizontalMetrics({name: (1000, 100) for name in names})
    fb.setupHorizontalHeader(ascent=800, descent=-200)
    fb.setupNameTable({"familyName": family, "styleName": "Regular"})
    fb.setupOS2(sTypoAscender=800, sTypoDescender=-200, usWinAscent=800, usWinDescent=200)
    fb.setupPost()
    fb.save(str(path))


# -- characters no font has; fonts of the book's own ------------------------------------
def _book_with_cjk(tmp_path):
    import shutil

    from conftest import FIXTURES
    book = tmp_path / "book"
    shutil.copytree(FIXTURES / "media", book)
    return book


def _warnings(book):
    from studyguide.builder import source_files
    from studyguide.errors import Reporter
    from studyguide.fonts import undrawable_messages
    from studyguide.loader import load_book
    report = Reporter(book)
    loaded = load_book(book, report)
    assert not report.errors, report.errors
    return [(p.relative_to(book).as_posix(), line, m)
            for p, line, m in undrawable_messages(source_files(loaded), loaded.fonts)], loaded


def test_a_character_no_font_has_is_a_warning_naming_file_line_and_character(tmp_path):
    book = _book_with_cjk(tmp_path)
    with open(book / "data" / "timeline.yaml", "a") as f:
        f.write("- date: 1960\n  event: Keeling names it 碳 and 氧 too.\n")
    found, _ = _warnings(book)
    ch_line = next(i for i, line in enumerate(
        (book / "chapters" / "01-carbon.md").read_text().splitlines(), 1) if "碳" in line)
    assert found == [
        ("chapters/01-carbon.md", ch_line, "no font can draw 碳 (U+78B3): the PDF shows a "
         "blank box for each; add a font that has them (fonts: in book.yaml)"),
        ("data/timeline.yaml", 8, "no font can draw 碳 (U+78B3), 氧 (U+6C27): the PDF shows "
         "a blank box for each; add a font that has them (fonts: in book.yaml)")]


def test_a_book_font_draws_what_the_installed_fonts_cannot(tmp_path):
    book = _book_with_cjk(tmp_path)
    (book / "fonts").mkdir()
    make_font(book / "fonts" / "boxes.ttf", "Carbon Boxes", "碳")
    with open(book / "book.yaml", "a") as f:
        f.write("fonts: [fonts/boxes.ttf]\n")
    found, loaded = _warnings(book)
    assert found == []
    (font,) = loaded.fonts
    assert (font.family, font.rel, font.weight, font.italic) == ("Carbon Boxes",
                                                                 "fonts/boxes.ttf", 400, False)
    from studyguide.fonts import font_face_css
    css = font_face_css(loaded.fonts, "../", ['body { font-family: "A", "B", serif; }'])
    assert css.splitlines() == [
        '@font-face { font-family: "Carbon Boxes"; src: url("../fonts/boxes.ttf"); '
        'font-weight: 400; font-style: normal; }',
        'body { font-family: "A", "B", "Carbon Boxes", serif; }']


@pytest.mark.parametrize("entry, message", [
    ("[../outside.ttf]", "font '../outside.ttf' is outside the book folder"),
    ("[fonts/none.ttf]", "font 'fonts/none.ttf': no such file in the book folder"),
    ("[images/keeling.png]", "font 'images/keeling.png' is not an OpenType or TrueType font"),
    ("[fonts/bad.ttf]", "font 'fonts/bad.ttf' cannot be read as a font"),
])
def test_bad_book_fonts_are_errors_at_their_line(tmp_path, entry, message):
    from studyguide.errors import Reporter
    from studyguide.loader import load_book
    book = _book_with_cjk(tmp_path)
    (book / "fonts").mkdir()
    (book / "fonts" / "bad.ttf").write_bytes(b"not a font at all")
    (tmp_path / "outside.ttf").write_bytes(b"")
    with open(book / "book.yaml", "a") as f:
        f.write(f"fonts: {entry}\n")
    report = Reporter(book)
    load_book(book, report)
    line = len((book / "book.yaml").read_text().splitlines())
    assert [(d.line, d.message[:len(message)]) for d in report.errors] == [(line, message)]


@pytest.mark.parametrize("off", ["", "actualtext"])
def test_faces_named_alike_with_other_programs_are_not_merged(tmp_path, monkeypatch, off):
    """WeasyPrint names the face it slants from upright DejaVu Sans, for Arabic that
    the oblique lacks, as it names DejaVu Sans Oblique: merged with a part's real
    oblique, the Latin italics printed upright, with wrong glyphs. Each merged face
    holds one program, whether the engine's /ActualText (installed in a process by its
    first build) draws the words or not."""
    from studyguide.writers import engine
    engine.text_layer()
    monkeypatch.setenv(engine.OFF, off)
    sans = '<style>p { font-family: "DejaVu Sans" }</style>'
    latin = _part(sans + "<p><i>Sci-ence</i></p>")
    arabic = _part(sans + '<p lang="ar" dir="rtl"><i>كليلة</i> <i>ودمنة</i> <i>والمعنى</i></p>')
    parts = [splice.PartPDF(latin), splice.PartPDF(arabic, pad_to_even=False)]
    merged = splice.join(parts, 0)
    separate = splice.join(parts, 0, share_fonts=False)
    assert _pixels(merged, tmp_path, "merged") == _pixels(separate, tmp_path, "separate")
    with pikepdf.open(io.BytesIO(merged)) as pdf:
        names = {}
        for page in pdf.pages:
            for font in (page.obj.Resources.get("/Font") or {}).values():
                descriptor = font.DescendantFonts[0].FontDescriptor
                names.setdefault(str(font.BaseFont), set()).add(
                    fontfiles.postscript_name(descriptor.FontFile2.read_bytes()))
    assert all(len(programs) == 1 for programs in names.values()), names
    assert {p for programs in names.values() for p in programs} == \
        {"DejaVuSans", "DejaVuSans-Oblique"}, names


def test_glyphs_that_are_not_their_characters_are_found_in_a_pdf():
    """WeasyPrint embeds the Arabic it slants from upright DejaVu Sans with DejaVu Sans
    Oblique's program (which has no Arabic): the check reads the PDF, compares each
    glyph with the text it stands for, and finds them; joining forms, ligatures, small
    capitals, old-style figures, mirrored brackets and Libertine's contextual "f" are
    their characters' glyphs. A glyph with no text is found too: WeasyPrint gives none
    to a glyph of a pointed Hebrew letter drawn as several (pdfium reads it as the
    character of its code), and no /ActualText is given to right-to-left words."""
    sans = '<style>p { font-family: "DejaVu Sans" }</style>'
    bad = _part(sans + '<p lang="ar" dir="rtl">نص <i>Greek Thought, 2nd–4th</i> ثم '
                '<i>كليلة ودمنة</i></p>')
    assert [(w.page, w.face, w.text, w.missing) for w in fontfiles.wrong_glyphs(bad)] == \
        [(1, "DejaVu-Sans-Oblique", "كليلة ودمنة", False)]
    good = _part(
        LIBERTINE + '<style>.d { font-family: "DejaVu Sans" }</style>'
        '<p>Sozialwissenschaft für Cliff’s office, <span style="font-variant: small-caps">'
        'Small caps</span> <span style="font-variant-numeric: oldstyle-nums">1905</span> '
        '<i>fi ffl ß</i></p><p class="d" lang="ar" dir="rtl">(كليلة ودمنة) «لا» الأجذار '
        'زِدها</p><p class="d" lang="he" dir="rtl"><i>שָׁלוֹם (עולם)</i></p>')
    assert [(w.face, w.text, w.mute) for w in fontfiles.wrong_glyphs(good)] == \
        [("DejaVu-Sans-Oblique", "שָׁלוֹם (עולם)", True)]


def test_the_preflight_warns_of_wrong_glyphs_at_their_line(book_copy, tmp_path):
    """DejaVu Sans Mono Oblique has no check mark: in a code comment's italics WeasyPrint
    drew it with a glyph of the oblique's program that is not one, with no warning. (The
    theme sets code in Liberation Mono, which draws the comment without it: the book
    asks for DejaVu Sans Mono.)"""
    from conftest import add_to_chapter, run_build
    (book_copy / "mono.css").write_text('code { font-family: "DejaVu Sans Mono", monospace; }\n',
                                        encoding="utf-8")
    with (book_copy / "book.yaml").open("a", encoding="utf-8") as book_yaml:
        book_yaml.write("stylesheet: mono.css\n")
    chapter = add_to_chapter(book_copy, "```python\ntotal = 1  # counted ✓ and done\n```")
    line = chapter.read_text(encoding="utf-8").splitlines().index(
        "total = 1  # counted ✓ and done") + 1
    result = run_build("--content", str(book_copy), "--output", str(tmp_path / "out"),
                       "--edition", "student", "--no-handouts", "--format", "pdf",
                       "--cache", str(tmp_path / "c"), "-q")
    assert result.returncode == 0, result.stderr
    found = [w for w in result.stderr.splitlines() if w.endswith("[glyphs]")]
    assert len(found) == 1 and re.fullmatch(
        rf".*/chapters/02-second\.md:{line}: warning: [\w-]+-student-a4\.pdf, page \d+ "
        r"\(p\. \d+\): “# counted ✓ and done” prints ✓ \(U\+2713\) with glyphs of other "
        r"characters .* \[glyphs\]", found[0]), result.stderr


def test_the_typesetter_reads_installed_fonts_and_no_other_file_outside_the_book(tmp_path):
    """The stylesheets name installed faces by ``local()`` (rtl.css), which WeasyPrint
    reads through the book's fetcher: an installed font file is read, any other file
    outside the book is still refused."""
    from pathlib import Path

    from studyguide.writers.fetcher import SafeFetcher
    fetcher = SafeFetcher([tmp_path])
    font = next(f for f in sorted(fontfiles.installed_files()) if "DejaVuSans-Bold" in f)
    assert fetcher.fetch(Path(font).as_uri()).read() == Path(font).read_bytes()
    for other in ("/etc/hostname", str(Path(font).parent)):
        with pytest.raises(ValueError, match="outside the book folder"):
            fetcher.fetch(Path(other).as_uri())


RTL_SVG = ('<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 300 60"><title>t</title>'
           '<text x="150" y="40" font-size="20">المال</text></svg>')


def test_an_svgs_right_to_left_text_is_read_through_the_sandbox(tmp_path):
    """The note on an SVG's right-to-left text read the file itself, outside
    ``readers.read_confined``: a symlink out of the book was followed (its text quoted in
    a warning) and a FIFO blocked the build. It reads what the sandbox reads, or the
    bytes the sandbox read."""
    import os
    import threading

    from studyguide.fonts import unshaped_svg_text
    book, outside = tmp_path / "book", tmp_path / "outside"
    (book / "images").mkdir(parents=True)
    outside.mkdir()
    (outside / "rtl.svg").write_text(RTL_SVG, encoding="utf-8")
    (book / "images" / "rtl.svg").write_text(RTL_SVG, encoding="utf-8")
    (book / "images" / "out.svg").symlink_to(outside / "rtl.svg")
    (book / "images" / "in.svg").symlink_to("rtl.svg")
    os.mkfifo(book / "images" / "fifo.svg")
    assert unshaped_svg_text(book / "images" / "out.svg") is None
    assert unshaped_svg_text(book / "images" / "out.svg", [book]) is None
    note = unshaped_svg_text(RTL_SVG.encode())
    assert note and "right-to-left text ('المال')" in note and "unjoined" in note
    assert unshaped_svg_text(book / "images" / "rtl.svg", [book]) == note
    assert unshaped_svg_text(book / "images" / "in.svg", [book]) == note
    found = []
    reader = threading.Thread(target=lambda: found.append(
        unshaped_svg_text(book / "images" / "fifo.svg", [book])), daemon=True)
    reader.start()
    reader.join(timeout=10)
    if reader.is_alive():                   # let a blocked reader go before failing
        os.close(os.open(book / "images" / "fifo.svg", os.O_WRONLY | os.O_NONBLOCK))
    assert found == [None]


def test_a_glyph_without_text_keeps_its_empty_entry():
    """WeasyPrint gives every glyph of a cluster but its last an empty text (``<025b>
    <>``, Noto's ि before its consonant). Read as no entry at all, a merged font's map
    would leave it out, and the merge would take another part's text for the glyph."""
    from studyguide.writers import pdffonts
    with pikepdf.new() as pdf:
        cmap = pikepdf.Stream(pdf, b"2 beginbfchar\n<025b> <>\n<004b> <0928093f>\nendbfchar\n")
        assert pdffonts.unicode_map(cmap) == {b"025b": b"", b"004b": b"0928093f"}
