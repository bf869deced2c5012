"""The student PDF kept up to date in a watching process (``live``): after a save, only
what the save changed is typeset again, and the PDF is the one a build makes."""
from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from conftest import MINI


@pytest.fixture(scope="module")
def session(tmp_path_factory):
    """The mini book, typeset once as a watching session starts."""
    from studyguide import cache as cache_mod
    from studyguide.builder import Options, prepare
    from studyguide.live import StudentPDF
    tmp = tmp_path_factory.mktemp("live")
    book = tmp / "book"
    shutil.copytree(MINI, book)
    opts = Options(content=book, output=tmp / "out", cache=tmp / "cache")
    store, engine = cache_mod.Cache(opts.cache), cache_mod.engine_digest()
    student = StudentPDF(opts, store, engine)
    rb, _ = prepare(opts, store, engine)
    first, _ = student.typeset(rb, "A4")
    return dict(book=book, opts=opts, store=store, engine=engine, student=student,
                first=first, tmp=tmp)


def _text(data: bytes, tmp: Path) -> str:
    from pypdf import PdfReader
    path = tmp / "read.pdf"
    path.write_bytes(data)
    return " ".join(" ".join(p.extract_text() for p in PdfReader(path).pages).split())


def test_a_save_lays_out_the_edited_part_alone_and_gives_the_build_s_pdf(session):
    from studyguide.builder import Options, build, prepare
    book, student = session["book"], session["student"]
    chapter = book / "chapters" / "02-second.md"
    text = chapter.read_text(encoding="utf-8")
    para = next(p for p in text.split("\n\n") if p[:1].isalpha())
    chapter.write_text(text.replace(para, para + " A sentence saved just now.", 1),
                       encoding="utf-8")
    rb, _ = prepare(session["opts"], session["store"], session["engine"])
    data, ed = student.typeset(rb, "A4")

    laid_out = [where for what, where in student.run.computed if what == "layout_part"]
    assert laid_out == [str(chapter)]          # the other parts' layouts are kept
    assert "A sentence saved just now." in _text(data, session["tmp"])
    assert "A sentence saved just now." not in _text(session["first"], session["tmp"])

    # the same PDF as a build of the student edition, with nothing from a cache
    out = session["tmp"] / "built"
    build(Options(content=book, output=out, formats=("pdf",), editions=("student",),
                  handouts=False, preflight=False))
    built = next(out.glob("*-student-a4.pdf"))
    assert data == built.read_bytes()


def test_a_newer_save_cancels_the_typesetting(session):
    import threading

    from studyguide.builder import prepare
    from studyguide.live import Cancelled
    book, student = session["book"], session["student"]
    chapter = book / "chapters" / "01-first.md"
    chapter.write_text(chapter.read_text(encoding="utf-8") + "\nOne line more.\n",
                       encoding="utf-8")
    rb, _ = prepare(session["opts"], session["store"], session["engine"])
    stale = threading.Event()
    stale.set()                   # a newer save came before the first part was laid out
    with pytest.raises(Cancelled):
        student.typeset(rb, "A4", stale)
    assert student.run.computed == []
    data, _ = student.typeset(rb, "A4")       # the next save's typesetting is whole
    assert "One line more." in _text(data, session["tmp"])
