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


def test_words_apart_only_by_a_tone_mark_are_two_terms_and_two_people(tmp_path):
    """Vietnamese "Phủ" (a prefecture) and "Phú" (a genre) are two words whose ids,
    without their marks, are the same: each keeps an id of its own, as a second heading
    of the same text does; the same name given twice is still an error at its line."""
    chapter = """\
        ---
        title: Thử
        ---

        Một phủ là [Phủ](#gl-phu); một bài phú là [Phú](#gl-phu-1). Trần Phú và
        Trần Phủ ([](#person-tran-phu-1)).
        """
    book = write_book(tmp_path / "book", {"title": "Thử", "language": "vi"}, chapter,
                      glossary=[{"term": "Phủ", "definition": "Đơn vị hành chính."},
                                {"term": "Phú", "definition": "Một thể văn."}])
    people = [{"name": n, "dates": "1904–1931", "role": "r", "bio": "b"}
              for n in ("Trần Phú", "Trần Phủ")]
    (book / "data" / "people.yaml").write_text(yaml.safe_dump(people, allow_unicode=True),
                                               encoding="utf-8")
    rb, report = rendered_book(book)
    assert not report.errors, [str(d) for d in report.diagnostics]
    # (Vietnamese orders the tones: hỏi before sắc)
    assert [(g["id"], g["term"]) for g in rb.glossary] == [("gl-phu", "Phủ"),
                                                           ("gl-phu-1", "Phú")]
    assert [(p["id"], p["name"].replace("\u2060", "").replace("\u00a0", " "))
            for p in rb.people] == [("person-tran-phu", "Trần Phú"),
                                    ("person-tran-phu-1", "Trần Phủ")]
    (book / "data" / "people.yaml").write_text(yaml.safe_dump(
        people + [dict(people[0])], allow_unicode=True), encoding="utf-8")
    from studyguide.errors import Reporter
    from studyguide.loader import load_people
    report = Reporter(book)
    assert [p.name for p in load_people(book, report)] == ["Trần Phú", "Trần Phủ"]
    assert [(d.line, d.message) for d in report.diagnostics] == [
        (9, "duplicate key figure 'Trần Phú' (first at line 1)")]


def test_a_link_to_a_missing_id_names_the_nearest_one(tmp_path):
    """"Đông Dương" is gl-ong-duong (đ, with no accent to strip, is left out as pandoc
    leaves it): a link written gl-dong-duong is an error that names that id."""
    chapter = """\
        ---
        title: Thử
        ---

        Liên bang [Đông Dương](#gl-dong-duong).
        """
    book = write_book(tmp_path / "book", {"title": "Thử", "language": "vi"}, chapter,
                      glossary=[{"term": "Đông Dương", "definition": "Liên bang."}])
    _, report = rendered_book(book)
    assert [d.message for d in report.errors] == [
        "link to missing id '#gl-dong-duong' (the nearest id is '#gl-ong-duong')"]
