"""Regenerating editions: reproducible bytes, incremental rebuilds, atomic outputs, watch."""
from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

from conftest import ROOT, Watching, run_build
from test_errors import edit, snapshot


def build(book: Path, out: Path, cache: Path | None, *extra: str) -> str:
    args = ["--content", str(book), "--output", str(out), *extra]
    args += ["--cache", str(cache)] if cache else ["--no-cache"]
    result = run_build(*args)
    assert result.returncode == 0, result.stderr
    return result.stdout


def test_two_clean_builds_are_byte_identical(book_copy, tmp_path):
    build(book_copy, tmp_path / "a", None)
    build(book_copy, tmp_path / "b", None)
    a, b = snapshot(tmp_path / "a"), snapshot(tmp_path / "b")
    assert a == b and len(a) == 13      # 12 outputs and the list of them


def test_no_change_rebuild_renders_nothing(book_copy, tmp_path):
    cache = tmp_path / "cache"
    build(book_copy, tmp_path / "out", cache)
    before = {p: p.stat().st_mtime_ns for p in (tmp_path / "out").rglob("*.pdf")}
    stdout = build(book_copy, tmp_path / "out", cache)
    assert "nothing changed" in stdout
    assert {p: p.stat().st_mtime_ns for p in (tmp_path / "out").rglob("*.pdf")} == before


def test_incremental_build_renders_only_what_depends_on_the_edit(book_copy, tmp_path):
    cache = tmp_path / "cache"
    build(book_copy, tmp_path / "inc", cache)
    edit(book_copy / "chapters" / "02-second.md", "The end of the second chapter",
         "The very end of the second chapter")
    stdout = build(book_copy, tmp_path / "inc", cache)
    # the two whole-book editions, the three chapter-2 handouts (its reading, its
    # worksheet and the worksheet's answer key) and the EPUB; the handouts of chapter 1
    # and of the exercise come from the cache
    assert "(6 rendered, 6 from cache)" in stdout, stdout
    # and the result is exactly what a clean build of the edited sources gives
    build(book_copy, tmp_path / "clean", None)
    assert snapshot(tmp_path / "inc") == snapshot(tmp_path / "clean")


def submissions(monkeypatch) -> list[str]:
    """The names of the functions the build hands to its worker pool, in order."""
    from studyguide.pool import Pool
    submitted: list[str] = []
    real_submit = Pool.submit

    def submit(self, fn, *args, **options):
        submitted.append(fn.__name__)
        return real_submit(self, fn, *args, **options)

    monkeypatch.setattr(Pool, "submit", submit)
    return submitted


def test_handouts_are_queued_behind_the_parts_the_editions_wait_for(book_copy, tmp_path,
                                                                     monkeypatch):
    """The joined editions wait for every part; the handouts wait for nothing. After an
    edit, the workers typeset the edited chapter's parts first and its handouts after,
    so the joins run beside the handouts instead of after them."""
    from studyguide import builder
    submitted = submissions(monkeypatch)
    opts = builder.Options(content=book_copy, output=tmp_path / "out", cache=tmp_path / "cache")
    builder.build(opts)
    edit(book_copy / "chapters" / "02-second.md", "The end of the second chapter",
         "The very end of the second chapter")
    submitted.clear()
    builder.build(opts)
    assert submitted.count("_handout_job") == 3 and "write_part" in submitted, submitted
    assert max(i for i, name in enumerate(submitted) if name == "write_part") < \
        submitted.index("_handout_job"), submitted


def test_unreadable_cache_objects_are_rendered_again(book_copy, tmp_path):
    """A cached object that exists but cannot be read (a disk error, a killed writer)
    is rendered again, and the outputs are those of a clean build."""
    cache = tmp_path / "cache"
    build(book_copy, tmp_path / "inc", cache)
    edit(book_copy / "chapters" / "02-second.md", "The end of the second chapter",
         "The very end of the second chapter")
    objects = [p for p in (cache / "objects").rglob("*") if p.is_file()]
    for path in objects:
        path.write_bytes(b"not a cached object")
    stdout = build(book_copy, tmp_path / "inc", cache)
    assert "(12 rendered, 0 from cache)" in stdout, stdout
    build(book_copy, tmp_path / "clean", None)
    assert snapshot(tmp_path / "inc") == snapshot(tmp_path / "clean")


def test_touching_a_file_without_changing_it_renders_nothing_new(book_copy, tmp_path):
    cache = tmp_path / "cache"
    build(book_copy, tmp_path / "out", cache)
    ch = book_copy / "chapters" / "01-first.md"
    ch.write_text(ch.read_text())
    os.utime(ch, None)
    assert "nothing changed" in build(book_copy, tmp_path / "out", cache)


def test_killed_build_leaves_the_previous_edition(book_copy, tmp_path):
    out = tmp_path / "out"
    build(book_copy, out, None, "--no-handouts")
    before = snapshot(out)
    edit(book_copy / "chapters" / "01-first.md", "Where alpha began", "Where alpha started")
    proc = subprocess.Popen([sys.executable, str(ROOT / "build.py"), "--content", str(book_copy),
                             "--output", str(out), "--no-cache", "--no-handouts"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            start_new_session=True)
    # wait until rendering has begun, then kill the whole process group
    deadline = time.time() + 60
    line = ""
    while time.time() < deadline and "reading content" not in line:
        line = proc.stderr.readline()
    time.sleep(1.0)
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()
    assert snapshot(out) == before
    from studyguide.builder import MANIFEST     # the list of outputs is one of them
    leftovers = [p for p in out.rglob("*") if p.name.startswith(".") and p.name != MANIFEST]
    assert not leftovers or all(p.suffix == ".tmp" for p in leftovers)


def test_watch_rebuilds_on_save_and_survives_errors(book_copy, tmp_path):
    out = tmp_path / "out"
    watching = Watching([sys.executable, str(ROOT / "build.py"), "--content", str(book_copy),
                         "--output", str(out), "--cache", str(tmp_path / "cache"), "--watch",
                         "--format", "epub"])
    lines = watching.lines
    try:
        watching.wait_for("built ")
        watching.idle(3)
        ch = book_copy / "chapters" / "02-second.md"
        edit(ch, "[](#sec-alpha)", "[](#sec-nowhere)")
        watching.wait_for("changed: ")
        assert lines[-1].strip() == f"changed: {ch}", lines[-1]
        watching.wait_for("failed in")
        assert any("link to missing id '#sec-nowhere'" in l for l in lines), lines
        edit(ch, "[](#sec-nowhere)", "[](#sec-alpha)")
        watching.wait_for("rebuilt in")
        assert any("02-second.md" in l and "changed" in l for l in lines)
        watching.idle(3)
    finally:
        watching.stop()
    assert (out / "a-small-test-book.epub").exists()


def test_edition_metadata(tmp_path, mini_build):
    from pypdf import PdfReader
    from conftest import only
    reader = PdfReader(only(mini_build, "*-student-a4.pdf"))
    assert str(reader.metadata.creation_date.date()) == "2025-03-01"
    # (a day is kept with its month by a no-break space)
    text = " ".join((p.extract_text() or "") for p in reader.pages[:6]).replace("\u00a0", " ")
    assert "Edition 2, 1 March 2025" in text
    assert "Changes in This Edition" in text and "added the second chapter" in text
    import zipfile
    opf = zipfile.ZipFile(only(mini_build, "*.epub")).read("EPUB/content.opf").decode()
    assert "<dc:date>2025-03-01</dc:date>" in opf
    assert "2025-03-01T00:00:00Z" in opf
    assert 'property="schema:version">2<' in opf


def test_progress_is_plain_off_a_terminal_and_silent_with_q(book_copy, tmp_path):
    result = run_build("--content", str(book_copy), "--output", str(tmp_path / "a"),
                       "--no-cache", "--no-handouts")
    assert result.returncode == 0
    assert "reading content" in result.stderr
    assert re.search(r"^\[3/3\] a-small-test-book\.epub$", result.stderr, re.M), result.stderr
    assert "\x1b[" not in result.stderr, "no terminal escapes when not on a terminal"
    quiet = run_build("--content", str(book_copy), "--output", str(tmp_path / "b"),
                      "--no-cache", "--no-handouts", "-q")
    assert quiet.returncode == 0 and quiet.stdout == "" and quiet.stderr == ""


def test_help_documents_every_option():
    result = run_build("--help")
    assert result.returncode == 0
    for option in ("--content", "--output", "--format", "--paper", "--edition", "--no-handouts",
                   "--strict", "--jobs", "--quiet", "--watch", "--cache", "--no-cache"):
        assert option in result.stdout, option


def test_cached_results_belong_to_the_installed_libraries(tmp_path, monkeypatch):
    """The cache's keys hold the version of every installed package: after an upgrade
    of WeasyPrint (say), nothing typeset by the old one is reused."""
    from studyguide import cache
    before = cache.engine_digest()
    assert any(name.startswith("weasyprint-") for name in cache.installed_packages())
    (tmp_path / "site-packages" / "weasyprint-999.0.dist-info").mkdir(parents=True)
    monkeypatch.syspath_prepend(str(tmp_path / "site-packages"))
    assert "weasyprint-999.0.dist-info" in cache.installed_packages()
    assert cache.engine_digest() != before


def test_cached_results_belong_to_the_installed_fonts(tmp_path, monkeypatch):
    """... and the fonts fontconfig knows: a font package installed beside another of
    the same names (Liberation 1.07 beside 2.x) reuses nothing drawn before."""
    import shutil
    from studyguide import cache
    before = cache.engine_digest()
    assert cache.system_fonts(), "fc-list lists no font"
    fonts = tmp_path / "fonts"
    fonts.mkdir()
    shutil.copy(cache.system_fonts()[0].split("\t")[0], fonts / "extra-copy.ttf")
    conf = tmp_path / "fonts.conf"
    conf.write_text(f'<?xml version="1.0"?><!DOCTYPE fontconfig SYSTEM "fonts.dtd">'
                    f"<fontconfig><include>/etc/fonts/fonts.conf</include><dir>{fonts}</dir>"
                    f"<cachedir>{tmp_path / 'fc-cache'}</cachedir></fontconfig>")
    monkeypatch.setenv("FONTCONFIG_FILE", str(conf))
    assert any("extra-copy" in line for line in cache.system_fonts())
    assert cache.engine_digest() != before


def test_the_cache_keeps_to_its_limit_and_keeps_what_a_build_used(book_copy, tmp_path):
    """Every edit adds cached parts; a long watch session must not fill the disk. Past
    its limit the cache drops what was used longest ago, never what the last build used,
    so the next rebuild is still incremental."""
    from studyguide import cache as cache_mod
    folder = tmp_path / "cache"
    store = cache_mod.Cache(folder)
    for i in range(6):
        store.put(f"{i:02d}old", b"x" * 50_000)
        path = store._path(f"{i:02d}old")
        os.utime(path, (1000 + i, 1000 + i))          # used long ago, the first ones first
    assert store.get("05old") == b"x" * 50_000          # used again now
    kept_size = sum(p.stat().st_size for p in (folder / "objects").rglob("*") if p.is_file())
    freed = store.prune(limit=kept_size // 2)
    left = sorted(p.name for p in (folder / "objects").rglob("*") if p.is_file())
    assert freed > 0 and "05old" in left and "00old" not in left
    assert left == sorted(left, key=lambda n: int(n[:2]))[-len(left):]  # the oldest went
    # nothing used since the build began goes, whatever the limit
    store.prune(limit=0, since=time.time() - 60)
    assert [p.name for p in (folder / "objects").rglob("*") if p.is_file()] == ["05old"]


def test_a_build_prunes_what_it_did_not_use_and_stays_incremental(book_copy, tmp_path,
                                                                    monkeypatch):
    from studyguide import builder
    from studyguide import cache as cache_mod
    monkeypatch.setattr(cache_mod, "LIMIT", 0)        # keep only what each build uses
    folder = tmp_path / "cache"
    opts = builder.Options(content=book_copy, output=tmp_path / "out", cache=folder)

    def objects():
        return {p.name for p in (folder / "objects").rglob("*") if p.is_file()}

    first = builder.build(opts)
    assert first.rendered == 12
    after_first = objects()
    edit(book_copy / "chapters" / "02-second.md", "The end of the second chapter",
         "The very end of the second chapter")
    began = time.time()
    second = builder.build(opts)
    assert second.rendered == 6                  # still incremental: the rest was kept
    after_second = objects()
    assert after_second - after_first             # the edited chapter's new pieces...
    assert after_first - after_second             # ...and the old ones, which went
    # what is left is what the second build used
    assert all(p.stat().st_mtime >= began - 2 for p in (folder / "objects").rglob("*")
               if p.is_file())


# -- outputs an earlier build made and this one no longer makes ----------------------
def test_stale_outputs_are_removed_and_nothing_else(tmp_path):
    """A build removes the outputs an earlier build made (its list, or for a folder built
    before the list, the PDFs whose metadata names the builder and this book) that it no
    longer makes, where it makes their kind; an author's files stay, and so do outputs of
    another paper or edition than this build's."""
    import types
    import pikepdf
    from studyguide.builder import MANIFEST, Options, remove_stale
    out = tmp_path / "out"
    (out / "handouts").mkdir(parents=True)
    meta = types.SimpleNamespace(identifier="urn:uuid:book", outputs=["pdf", "epub"],
                                 paper="A4")

    def pdf(path: Path, creator: str = "studyguide", ident: str = "urn:uuid:book") -> Path:
        with pikepdf.new() as doc:
            doc.add_blank_page()
            doc.docinfo["/Creator"], doc.docinfo["/identifier"] = creator, ident
            doc.save(path)
        return path

    old_name = pdf(out / "handouts" / "ch01-the-marxist-background-and-the-stages-of-student-a4.pdf")
    letter = pdf(out / "handouts" / "ch01-worksheet-student-letter.pdf")
    kept = [pdf(out / "handouts" / "ch01-reading-a4.pdf"),
            pdf(out / "notes.pdf", creator="LibreOffice"),                 # the author's
            pdf(out / "handouts" / "other-book-student-a4.pdf", ident="urn:uuid:other"),
            letter]
    (out / "handouts" / "mine.txt").write_text("the author's")
    opts = Options(content=tmp_path, output=out, papers=("A4",))
    # no list yet: the builder's PDFs of this book are found by their metadata
    assert remove_stale(opts, meta, [kept[0]]) == [old_name]
    assert not old_name.exists() and all(p.exists() for p in kept)
    listed = json.loads((out / MANIFEST).read_text())
    assert "handouts/ch01-reading-a4.pdf" in listed and "notes.pdf" not in listed
    # from then on, the list: a chapter dropped from the book loses its handouts, but
    # not those on Letter when this build makes A4 only, nor a teacher's when it makes
    # the student edition only
    gone = pdf(out / "handouts" / "ch02-reading-a4.pdf")
    teacher = pdf(out / "handouts" / "ch02-worksheet-teacher-a4.pdf")
    (out / MANIFEST).write_text(json.dumps(listed + ["handouts/ch02-reading-a4.pdf",
                                                     "handouts/ch02-worksheet-teacher-a4.pdf"]))
    opts.editions = ("student",)
    assert remove_stale(opts, meta, [kept[0]]) == [gone]
    assert teacher.exists() and letter.exists() and (out / "handouts" / "mine.txt").exists()
    # a build without handouts leaves them all
    opts.handouts, opts.editions = False, ("student", "teacher")
    assert remove_stale(opts, meta, []) == []
    opts.handouts = True
    assert remove_stale(opts, meta, [kept[0]]) == [teacher]


def test_an_epub_alone_is_made_from_layouts_without_drawing_a_pdf(mini_build, tmp_path,
                                                                 monkeypatch):
    """``--format epub`` takes its print page list from the student edition's layout:
    its parts are laid out, none is drawn, numbered or joined, and the EPUB is the one a
    build of every output makes."""
    from conftest import MINI
    from studyguide import builder
    submitted = submissions(monkeypatch)
    result = builder.build(builder.Options(content=MINI, output=tmp_path / "out",
                                           formats=("epub",), preflight=False))
    assert [p.suffix for p in result.outputs] == [".epub"]
    assert "layout_part" in submitted and "write_part" not in submitted, submitted
    whole = next(mini_build.glob("*.epub"))
    assert result.outputs[0].read_bytes() == whole.read_bytes()
