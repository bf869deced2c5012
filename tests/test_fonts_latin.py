"""Latin with Vietnamese (and Greek and Cyrillic) in print's code: each letter in the
face its text is set in, read back from the PDF the book's print path makes."""
from __future__ import annotations

from pathlib import Path

import pdfplumber

from conftest import add_to_chapter, rendered_book


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

