"""Latin with Vietnamese (and Greek and Cyrillic) in print's code and small capitals: each
letter in the face its text is set in, read back from the PDF the book's print path makes."""
from __future__ import annotations

import unicodedata
from pathlib import Path

import pdfplumber
import pikepdf
from fontTools.ttLib import TTFont

from conftest import add_to_chapter, rendered_book
from studyguide.writers import fontfiles, pdffonts


def printed_chapter(book: Path, markdown: str, out: Path) -> Path:
    """``markdown`` added to the fixture book's second chapter, and that chapter printed
    as the book prints it (its print HTML, the theme's stylesheets) to ``out``."""
    from weasyprint import HTML

    from studyguide.writers import pdf
    chapter = add_to_chapter(book, markdown)
    rb, _ = rendered_book(book)
    doc = next(d for d in rb.docs if d.path == chapter)
    HTML(string=pdf.part_sources(rb, False, "A4")[doc.id], base_url=str(book)).write_pdf(out)
    return out


CODE = ["Nguyễn Ái Quốc", "nguồn", "Hồ", "của", "cả", "bản", "Ἀθῆναι", "ή", "Москва"]


def test_every_letter_of_code_comes_from_one_monospace_face(book_copy, tmp_path):
    """DejaVu Sans Mono lacks 46 of Vietnamese's letters (ả, ễ, ố, ồ…): fontconfig took
    each from the text's serif, proportional and smaller, in the middle of a word of
    code ("Nguyễn", "Quốc"), and a block's columns no longer lined up. Every letter of
    code, inline or in a block, Vietnamese, Greek and Cyrillic too, comes from one
    monospace face."""
    inline = "Tên trong mã: " + ", ".join(f"`{word}`" for word in CODE) + "."
    block = "```python\n" + "\n".join(f'w{n} = "{word}"' for n, word in enumerate(CODE)) + "\n```"
    out = printed_chapter(book_copy, inline + "\n\n" + block + "\n", tmp_path / "code.pdf")
    with pdfplumber.open(out) as pdf:
        chars = [c for page in pdf.pages for c in page.chars]
    text = "".join(c["text"] for c in chars)
    faces = set()
    for word in CODE:
        at = [i for i in range(len(text)) if text.startswith(word, i)]
        assert len(at) == 2, (word, text)        # inline and in the block
        for i in at:
            letters = [(c["text"], c["fontname"].split("+")[-1])
                       for c in chars[i:i + len(word)] if c["text"].isalpha()]
            faces |= {face for _, face in letters}
            assert all("Mono" in face for _, face in letters), (word, letters)
    assert len(faces) == 1, faces


def drawn_glyphs(pdf_path: Path) -> dict[str, dict[str, set[str]]]:
    """Each font of a PDF, by its name without the subset's tag: the text of each glyph
    it draws -> the names that glyph has in the installed font it was cut from."""
    out: dict[str, dict[str, set[str]]] = {}
    with pikepdf.open(pdf_path) as pdf:
        for font in pdffonts.type0_fonts(pdf):
            _, descriptor, key = pdffonts.program(font)
            codes = {int(code, 16): bytes.fromhex(text.decode()).decode("utf-16-be")
                     for code, text in pdffonts.unicode_map(font.ToUnicode).items()}
            path, index = fontfiles._installed_file(descriptor[key].read_bytes(), max(codes))
            order = TTFont(path, fontNumber=index).getGlyphOrder()
            glyphs = out.setdefault(str(font.BaseFont).split("+")[-1], {})
            for code, text in codes.items():
                glyphs.setdefault(text, set()).add(order[code])
    return out


SMALL_CAPS = "Nguyễn Ái Quốc, Cách mạng tháng Tám, Đặng Thai Mai, Quốc ngữ, Ἀθῆναι ή, Москва"


def test_small_caps_set_every_lower_case_letter_as_a_capital(book_copy, tmp_path):
    """Libertine's small capitals leave a letter they have none for in lower case:
    "Nguyễn Ái Quốc" printed NGUY-ễ-N ÁI QU-ố-C, and so every Vietnamese letter with a
    mark below or two marks (ễ ố ạ ặ ữ), Greek (ή) and Cyrillic. No lower-case glyph is
    drawn: each letter is a small capital, or a capital where the face has none; the
    letters that have small capitals keep them."""
    out = printed_chapter(book_copy, f"Tên: [{SMALL_CAPS}]{{.smallcaps}}.\n",
                          tmp_path / "caps.pdf")
    fonts = drawn_glyphs(out)
    caps = {text: names for face, glyphs in fonts.items() if face.endswith("-Small-Caps")
            for text, names in glyphs.items()}
    assert {"g", "u", "y", "n"} <= set(caps) and caps["g"] == {"g.sc"}, caps
    lower = {text: names for text, names in caps.items() if text.islower() and
             not all(".sc" in name for name in names)}
    assert not lower, lower
    # the letters without small capitals: as capitals, drawn by the text's face
    made = set("".join(text for face, glyphs in fonts.items()
                       if not face.endswith("-Small-Caps") for text in glyphs))
    wanted = set("".join(c.upper() for c in unicodedata.normalize("NFC", SMALL_CAPS)
                         if c.islower() and c not in caps))
    assert set("ỄỐẠẶỮΘΉ") | set("ОСКВА") <= wanted <= made, wanted - made
