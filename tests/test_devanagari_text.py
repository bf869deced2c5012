"""The text a PDF gives back of Devanagari: what copy and paste, search and screen readers
read. WeasyPrint gives each glyph one text (the cluster's it was first drawn in, none to
all but the last glyph of a cluster), so words drawn with reordered vowel signs, marks
and conjuncts read wrongly ("में" as "मं", "जिन्हें" as "ɜजन्हं"); each such word carries
its text as /ActualText (``engine.text_layer``)."""
from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
FONT = ROOT / "tests" / "fixtures" / "fonts" / "NotoSerifDevanagari-Regular-hi-text.ttf"
FIRST = "पत्ती की कोशिकाओं में जल और क्लोरोफिल होता है।"
SECOND = ("पत्ती की निचली सतह पर बहुत छोटे छिद्र होते हैं, जिन्हें रंध्र कहते हैं। "
          "जड़ें मिट्टी से जल सोखती हैं। पदार्थों का प्रकाश संश्लेषण।")
WORDS = ["में", "जिन्हें", "कोशिकाओं", "जल", "पदार्थों", "निचली", "छिद्र", "मिट्टी", "जड़ें"]


def _book(folder: Path) -> Path:
    (folder / "chapters").mkdir(parents=True)
    (folder / "fonts").mkdir()
    shutil.copy(FONT, folder / "fonts" / FONT.name)
    (folder / "book.yaml").write_text(
        "title: Leaves\nlanguage: en\ndate: 2026-12-05\n"
        "identifier: urn:uuid:00000000-0000-4000-8000-000000000002\n"
        f"chapters: [chapters/01.md]\nfonts: [fonts/{FONT.name}]\noutputs: [pdf]\n",
        encoding="utf-8")
    (folder / "chapters" / "01.md").write_text(
        f"---\ntitle: Leaves\n---\n\n{FIRST}\n\n{SECOND}\n", encoding="utf-8")
    return folder


def _build(book: Path, env: dict[str, str] | None = None) -> Path:
    import os
    result = subprocess.run([sys.executable, "-m", "studyguide", "build", "--no-cache"],
                            cwd=book, capture_output=True, text=True, timeout=600,
                            env={**os.environ, **(env or {})})
    assert result.returncode == 0, result.stderr
    return next((book / "output").glob("*-student-a4.pdf"))


def _pdfium_text(path: Path) -> str:
    import pypdfium2
    pdf = pypdfium2.PdfDocument(str(path))
    try:
        return "\n".join(page.get_textpage().get_text_range() for page in pdf)
    finally:
        pdf.close()


def _pdftotext_words(path: Path) -> list[str]:
    return subprocess.run(["pdftotext", str(path), "-"], capture_output=True, text=True,
                          check=True).stdout.split()


@pytest.fixture(scope="module")
def devanagari_pdf(tmp_path_factory) -> Path:
    return _build(_book(tmp_path_factory.mktemp("devanagari") / "book"))


def test_pdfium_reads_back_every_sentence_as_written(devanagari_pdf):
    """pdfium (Chrome's viewer, and what copy and paste gets there) reads the sentences
    whole: no IPA letter for a vowel sign's glyph, no dropped vowel sign or space."""
    lines = [" ".join(line.split()) for line in _pdfium_text(devanagari_pdf).splitlines()]
    text = " ".join(lines)
    assert FIRST in text, lines
    assert all(word in text for word in WORDS), lines
    assert not any("\u0250" <= c <= "\u02af" for c in text), text     # IPA letters


def test_pdftotext_reads_back_the_words_as_written(devanagari_pdf):
    """Poppler (pdftotext, evince, okular) finds each word as it was written, and no
    word cut in two where a mark is drawn back over its letter ("रं ध्र")."""
    words = _pdftotext_words(devanagari_pdf)
    assert [w for w in WORDS if w not in words] == [], words
    assert FIRST in " ".join(words) and "रंध्र" in words and "संश्लेषण।" in words, words


def test_the_glyph_check_finds_nothing_wrong(devanagari_pdf):
    from studyguide.writers import fontfiles
    assert fontfiles.wrong_glyphs(devanagari_pdf.read_bytes()) == []


def test_the_glyph_check_finds_glyphs_with_no_text(tmp_path):
    """As WeasyPrint alone writes the text (the mechanism turned off), the glyphs it
    gives no text are found, in their font, with what readers take them for."""
    from studyguide.writers import fontfiles
    data = _build(_book(tmp_path / "book"), {"STUDYGUIDE_ENGINE_OFF": "actualtext"}
                  ).read_bytes()
    found = [w for w in fontfiles.wrong_glyphs(data) if w.mute]
    assert found and {w.face for w in found} == {"Noto-Serif-Devanagari"}, found
    # what a reader makes of them: the characters of their codes, no Devanagari
    assert all(w.chars and not any("\u0900" <= c <= "\u097f" for c in w.chars)
               for w in found), found


def test_each_actual_text_lies_inside_the_tagged_text_it_stands_for(devanagari_pdf):
    """A word's /ActualText is a marked-content sequence nested in the text's own
    (a structure element's MCID, or a pagination artifact), within its text object."""
    import pikepdf
    spans = 0
    with pikepdf.open(devanagari_pdf) as pdf:
        for page in pdf.pages:
            open_, in_text = [], False
            for operands, operator in pikepdf.parse_content_stream(page):
                op = str(operator)
                if op in ("BDC", "BMC"):
                    props = operands[1] if op == "BDC" else None
                    if isinstance(props, pikepdf.Dictionary) and "/ActualText" in props:
                        spans += 1
                        assert in_text and open_ and open_[-1] != "ActualText", open_
                        open_.append("ActualText")
                    else:
                        open_.append(str(operands[0]))
                elif op == "EMC":
                    open_.pop()
                elif op in ("BT", "ET"):
                    assert not open_ or open_[-1] != "ActualText"
                    in_text = op == "BT"
            assert open_ == []
    assert spans >= len(WORDS) - 1
