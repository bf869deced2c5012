"""Text in Unicode's decomposed form (a base letter and combining marks, as text copied
from a PDF often is) is read as the composed text it looks like."""
from __future__ import annotations

import unicodedata

import yaml

from studyguide import readers

from conftest import rendered_book
from test_locales_metadata import write_book


def nfd(text: str) -> str:
    return unicodedata.normalize("NFD", text)


def test_a_chapter_in_decomposed_form_finds_the_glossary_and_the_names(tmp_path):
    chapter = nfd("""\
        ---
        title: Cách mạng tháng Tám
        key_terms: [Việt Minh]
        ---

        Mặt trận Việt Minh do Võ Nguyên Giáp cùng nhiều người khác lãnh đạo.
        """)
    assert chapter != unicodedata.normalize("NFC", chapter)
    book = write_book(tmp_path / "book", {"title": "Thử", "language": "vi"}, chapter,
                      glossary=[{"term": "Việt Minh", "definition": "Mặt trận."}])
    (book / "data" / "people.yaml").write_text(yaml.safe_dump(
        [{"name": "Võ Nguyên Giáp", "dates": "1911–2013", "role": "Tướng",
          "bio": "Chỉ huy."}], allow_unicode=True), encoding="utf-8")
    rb, report = rendered_book(book)
    said = [str(d) for d in report.diagnostics]
    assert not [d for d in said if "glossary" in d or "never used" in d], said
    html = rb.docs[0].body_html
    assert 'href="#gl-viet-minh"' in html, html
    assert "Võ Nguyên Giáp" in html and nfd("Võ Nguyên Giáp") not in html
    assert rb.docs[0].key_terms and rb.docs[0].key_terms[0][0] == "Việt Minh"
    # the name, mentioned in the chapter, is indexed there
    assert '<span class="index-term" id="ch01-im1">Võ Nguyên Giáp</span>' in html, html


def test_compatibility_ideographs_are_kept_as_written():
    text = nfd("Tiếng Việt") + " 樂\uf91d"      # U+F91D: a compatibility form of 欄
    assert readers.composed(text) == "Tiếng Việt 樂\uf91d"
    assert readers.composed("plain ASCII") == "plain ASCII"
