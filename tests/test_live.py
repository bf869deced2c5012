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
    from studyguide.live import Reading, StudentPDF
    tmp = tmp_path_factory.mktemp("live")
    book = tmp / "book"
    shutil.copytree(MINI, book)
    opts = Options(content=book, output=tmp / "out", cache=tmp / "cache")
    store, engine = cache_mod.Cache(opts.cache), cache_mod.engine_digest()
    student, reading = StudentPDF(opts, store, engine), Reading(opts, store, engine)
    rb, _ = reading.prepare(opts)
    assert rb == prepare(opts, store, engine)[0]        # a build's reading of the book
    first, _ = student.typeset(rb, "A4")
    return dict(book=book, opts=opts, store=store, engine=engine, student=student,
                first=first, tmp=tmp, reading=reading)


def _reads(monkeypatch) -> list[str]:
    """The book's files read from now on (every read goes through ``read_confined``)."""
    from studyguide import readers
    seen, real = [], readers.read_confined

    def counted(path, *args, **kwargs):
        seen.append(Path(path).name)
        return real(path, *args, **kwargs)
    monkeypatch.setattr(readers, "read_confined", counted)
    return seen


def _text(data: bytes, tmp: Path) -> str:
    from pypdf import PdfReader
    path = tmp / "read.pdf"
    path.write_bytes(data)
    return " ".join(" ".join(p.extract_text() for p in PdfReader(path).pages).split())


def test_a_save_reads_and_lays_out_the_edited_chapter_alone_and_gives_the_build_s_pdf(
        session, monkeypatch):
    from studyguide import resolve
    from studyguide.builder import Options, build, prepare
    book, student, reading = session["book"], session["student"], session["reading"]
    chapter = book / "chapters" / "02-second.md"
    text = chapter.read_text(encoding="utf-8")
    para = next(p for p in text.split("\n\n") if p[:1].isalpha())
    chapter.write_text(text.replace(para, para + " A sentence saved just now.", 1),
                       encoding="utf-8")
    reads = _reads(monkeypatch)
    converted = []
    real = resolve.convert_each
    monkeypatch.setattr(resolve, "convert_each",
                        lambda jobs: converted.extend(jobs) or real(jobs))
    rb, _ = reading.prepare(session["opts"], [str(chapter)])
    assert reads == ["02-second.md"] and reading.reread == [chapter]
    assert len(converted) == 1 and "A sentence saved just now." in converted[0][0]
    monkeypatch.undo()
    # the same book as a build reads, every file
    assert rb == prepare(session["opts"], session["store"], session["engine"])[0]
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

    from studyguide.live import Cancelled
    book, student = session["book"], session["student"]
    chapter = book / "chapters" / "01-first.md"
    chapter.write_text(chapter.read_text(encoding="utf-8") + "\nOne line more.\n",
                       encoding="utf-8")
    rb, _ = session["reading"].prepare(session["opts"], [str(chapter)])
    stale = threading.Event()
    stale.set()                   # a newer save came before the first part was laid out
    with pytest.raises(Cancelled):
        student.typeset(rb, "A4", stale)
    assert student.run.computed == []
    data, _ = student.typeset(rb, "A4")       # the next save's typesetting is whole
    assert "One line more." in _text(data, session["tmp"])


def test_a_broken_save_is_read_again_until_it_is_mended(session):
    from studyguide.errors import BuildError
    book, reading, opts = session["book"], session["reading"], session["opts"]
    first, second = book / "chapters" / "01-first.md", book / "chapters" / "02-second.md"
    text = first.read_text(encoding="utf-8")
    first.write_text(text.replace("was first stated", "was [@nosuchkey] stated", 1),
                     encoding="utf-8")
    line = next(n for n, t in enumerate(first.read_text().splitlines(), 1) if "nosuchkey" in t)
    with pytest.raises(BuildError) as broken:
        reading.prepare(opts, [str(first)])
    assert f"01-first.md:{line}: error: unknown citation key 'nosuchkey'" in str(broken.value)
    # a save of another chapter reads the broken one again too: still an error
    second.write_text(second.read_text(encoding="utf-8") + "\nAnother line.\n",
                      encoding="utf-8")
    with pytest.raises(BuildError):
        reading.prepare(opts, [str(second)])
    assert sorted(reading.reread) == [first, second]
    first.write_text(text.replace("was first stated", "was stated again", 1), encoding="utf-8")
    rb, _ = reading.prepare(opts, [str(first)])
    assert sorted(reading.reread) == [first, second]
    html = " ".join(d.body_html for d in rb.docs)
    assert "was stated again" in html and "Another line." in html


def test_the_collector_waits_while_a_save_is_typeset_and_runs_after(session, monkeypatch):
    """A full collection walks every held layout: it must not fall inside a save's
    typesetting (``live.collector_paused``); and it runs again once the save is done,
    also when the preview's reading and the typesetting overlap."""
    import gc

    from studyguide import live, pagination
    seen, real = [], pagination.write_editions

    def watched(*args, **kwargs):
        seen.append(gc.isenabled())
        return real(*args, **kwargs)
    monkeypatch.setattr(pagination, "write_editions", watched)
    assert gc.isenabled()
    rb, _ = session["reading"].prepare(session["opts"])
    session["student"].typeset(rb, "A4")
    assert seen == [False] and gc.isenabled()
    with live.collector_paused():           # the reading, in another thread
        with live.collector_paused():       # the typesetting
            assert not gc.isenabled()
        assert not gc.isenabled()
    assert gc.isenabled()
    gc.disable()                             # a process that runs without it keeps so
    try:
        with live.collector_paused():
            pass
        assert not gc.isenabled()
    finally:
        gc.enable()


def test_a_part_s_pages_read_as_the_joined_edition_s(session):
    """A build's preflight reads each part's pages as soon as the part is drawn
    (``builder.Scheduler.pages_read``), not the joined edition's once it is joined: a
    page has the same digest (``preflight.page_keys``) in its part's PDF and in the
    edition, and reads the same there, characters, fonts, tables and all. Every page of
    the edition with something on it is a page of a part."""
    import dataclasses

    from studyguide import preflight
    rb, _ = session["reading"].prepare(session["opts"])
    joined, ed = session["student"].typeset(rb, "A4")
    edition = dict(zip(preflight.page_keys(joined), preflight.read_pages(joined)))
    read = {}
    for result in ed.results.values():
        read.update(preflight.read_keyed(result.pdf))
    assert read and set(read) <= set(edition)
    for key, page in read.items():
        assert dataclasses.replace(page, number=0) == dataclasses.replace(edition[key],
                                                                          number=0), key
    assert not [p.number for k, p in edition.items() if k not in read and not p.empty]
    assert sum(not p.empty for p in read.values()) > 10


def test_a_part_s_print_html_is_made_again_only_when_what_it_reads_changed(
        session, monkeypatch):
    """A save makes every part's print HTML again (``pdf.part_sources``); what print
    typography makes of a part's HTML is kept for the same HTML of a book that reads
    the same (its labels, names, short titles and cross-references' targets), and made
    again when any of them changed: a chapter's new short title is its running head."""
    import dataclasses

    from studyguide.writers import pdf
    rb, _ = session["reading"].prepare(session["opts"])
    made = []
    real = pdf._print_typography
    monkeypatch.setattr(pdf, "_print_typography", lambda *a, **k: made.append(1) or
                        real(*a, **k))
    first = pdf.part_sources(rb, False, "A4")
    made.clear()
    assert pdf.part_sources(rb, False, "A4") == first
    again = dataclasses.replace(rb)            # the same book, read again
    assert pdf.part_sources(again, False, "A4") == first
    assert not made, "nothing changed, yet print typography ran again"
    # a chapter's running head is its short title: another short title is printed
    entry = next(e for e in rb.spine if f'id="{e.id}"' in first.get(e.id, ""))
    retitled = dataclasses.replace(rb, spine=[
        dataclasses.replace(e, short_title="A Shorter Title") if e is entry else e
        for e in rb.spine])
    changed = pdf.part_sources(retitled, False, "A4")
    assert made and 'data-running="A Shorter Title"' in changed[entry.id]
    assert 'data-running="A Shorter Title"' not in first[entry.id]
