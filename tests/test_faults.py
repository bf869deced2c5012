"""Faults leave nothing behind: a killed build no process, an interrupted one no
temporary file and no mixed edition, a broken or unwritable cache no failed build."""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from conftest import MINI, ROOT, interruptible
from studyguide.builder import MANIFEST


def session(sid: int) -> dict[int, str]:
    """The live processes of a session (pid -> command), from /proc; zombies are dead."""
    found = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
            cmd = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode()
        except OSError:
            continue
        fields = stat[stat.rindex(")") + 2:].split()
        if int(fields[3]) == sid and fields[0] != "Z":
            found[int(entry.name)] = cmd
    return found


def kill_session(sid: int) -> None:
    """What a failed test left of a session, killed."""
    for pid in session(sid):
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass


def test_kill_9_of_the_build_takes_every_process_of_it_along(tmp_path):
    main = subprocess.Popen(
        [sys.executable, str(ROOT / "build.py"), "--content", str(MINI), "--output",
         str(tmp_path / "out"), "--no-cache", "--no-handouts"],
        cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
        start_new_session=True)
    try:
        for line in main.stdout:                 # mid-build: the workers typesetting
            if "typesetting" in line:
                break
        # the main process, the fork server and at least one worker (the others and the
        # resource tracker may come later, or not at all for a book this small)
        deadline = time.monotonic() + 60
        while len(session(main.pid)) < 3 and main.poll() is None \
                and time.monotonic() < deadline:
            time.sleep(0.05)
        before = session(main.pid)
        assert len(before) >= 3 and main.poll() is None, before
        os.kill(main.pid, signal.SIGKILL)
        main.wait()
        # the fork server notices within a quarter of a second and its workers die with
        # it; the margin is for a loaded machine, where a dying process may wait its turn
        deadline = time.monotonic() + 20
        while session(main.pid) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert session(main.pid) == {}, (before, session(main.pid))
    finally:
        kill_session(main.pid)



def test_ctrl_c_ends_the_build_at_once_and_quietly(tmp_path):
    """Ctrl-C at a terminal interrupts every process of the build's group, workers
    included, in the middle of a layout. The build stops within seconds (it does not
    wait for the workers' tasks, nor for ever on a worker that took the interruption for
    a task's failure), says so in one line, without a traceback, and leaves no process
    and no output behind."""
    out = tmp_path / "out"
    main = subprocess.Popen(
        [sys.executable, str(ROOT / "build.py"), "--output", str(out), "--no-cache"],
        cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
        start_new_session=True, preexec_fn=interruptible)
    try:
        seen = []
        for line in main.stdout:           # the workers busy with the book's layout
            seen.append(line)
            if "laying out" in line:
                break
        time.sleep(1)
        assert main.poll() is None, seen
        os.killpg(main.pid, signal.SIGINT)
        interrupted = time.monotonic()
        try:
            rest, _ = main.communicate(timeout=60)
        except subprocess.TimeoutExpired:
            pytest.fail("the build did not end after Ctrl-C")
        waited = time.monotonic() - interrupted
        text = "".join(seen) + rest
        assert main.returncode == 130, text
        assert "build interrupted; outputs left unchanged" in text
        assert "Traceback" not in text and "KeyboardInterrupt" not in text, text
        assert waited < 15, waited
        deadline = time.monotonic() + 20
        while session(main.pid) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert session(main.pid) == {}
        assert not [p for p in out.rglob("*") if p.suffix in (".pdf", ".epub")]
    finally:
        kill_session(main.pid)

def test_ctrl_c_inside_an_extensions_import_is_an_interruption_not_a_bug():
    """Ctrl-C while pikepdf's extension initialises comes back as an ImportError whose
    cause is the interruption; the build reports an interruption (exit 130), not "an
    unexpected failure (a bug)"."""
    from studyguide.errors import failure
    try:
        try:
            try:
                raise KeyboardInterrupt
            except KeyboardInterrupt:
                raise ImportError("Encountered an error while initializing the extension.")
        except ImportError as inner:
            raise ImportError("pikepdf's extension library failed to import.") from inner
    except ImportError as exc:
        with pytest.raises(KeyboardInterrupt):
            failure(exc, "chapter.md")
        caught = exc
    # an ImportError of its own is still a failure naming the file
    plain = failure(ImportError("no module named x"), "chapter.md")
    assert "unexpected failure" in str(plain.diagnostics[0])
    assert caught.__cause__ is not None


# -- the cache: an unusable object is a miss, an unwritable cache a warning ----------
def test_an_object_that_cannot_be_used_is_a_miss_and_is_dropped(tmp_path):
    import pickle
    import zlib

    from studyguide.cache import Cache
    store = Cache(tmp_path / "cache")
    keys = [f"{i:02x}" + "0" * 62 for i in range(7)]
    for key in keys:
        store.put(key, {"key": key})
        assert store.get(key) == {"key": key}
    path = store._path
    broken = {
        keys[0]: zlib.compress(b"\x80\x05\x95\xff\xff\xff\xff\xff\xff\xff\xff."),  # Overflow
        keys[1]: zlib.compress(b"\x80\x05J\x00\x00\x00\x80\x94\x8c\x01a\x85R."),   # TypeError
        keys[2]: zlib.compress(b'cbuiltins\nint\n(S"x"\ntR.'),                    # ValueError
        keys[3]: path(keys[3]).read_bytes()[:-5],                                # cut short
        keys[4]: zlib.compress(pickle.dumps([1, 2])),              # not what a put writes
        keys[5]: path(keys[6]).read_bytes(),                       # another key's object
    }
    for key, data in broken.items():
        path(key).write_bytes(data)
    path(keys[6]).unlink()
    path(keys[6]).mkdir()                                          # a folder in its place
    (path(keys[6]) / "x").write_text("x")
    for key in keys:
        assert store.get(key) is None, key
        assert not path(key).exists(), f"{key} not dropped"
        store.put(key, {"key": key})                               # and written anew
        assert store.get(key) == {"key": key}
    assert store.warnings == []


def mount_tmpfs(folder: Path, *options: str) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    result = subprocess.run(["mount", "-t", "tmpfs", "-o", ",".join(options), "tmpfs",
                             str(folder)], capture_output=True, text=True)
    if result.returncode:
        pytest.skip(f"cannot mount a small file system here: {result.stderr.strip()}")


@pytest.fixture
def small_disks(tmp_path):
    """Mount points for small file systems, unmounted after the test."""
    mounted: list[Path] = []

    def mount(name: str, *options: str) -> Path:
        folder = tmp_path / name
        mount_tmpfs(folder, *options)
        mounted.append(folder)
        return folder
    yield mount
    for folder in mounted:
        subprocess.run(["umount", "-l", str(folder)], check=False)


def build(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, str(ROOT / "build.py"), "--content", str(MINI),
                           "--no-handouts", "--format", "epub", *args],
                          cwd=ROOT, capture_output=True, text=True, timeout=300)


def test_a_full_or_read_only_cache_is_a_warning_and_the_build_goes_on(tmp_path,
                                                                     small_disks):
    full = small_disks("full", "size=24k")     # less than an EPUB build's cache takes
    read_only = small_disks("ro", "size=1m", "ro")
    clean = build("--output", str(tmp_path / "clean"), "--no-cache", "-q")
    assert clean.returncode == 0, clean.stderr
    epub = (tmp_path / "clean" / "a-small-test-book.epub").read_bytes()
    not_a_folder = tmp_path / "file" / "cache"
    not_a_folder.parent.mkdir()
    not_a_folder.write_text("a file where the cache folder should be")
    for cache in (full / "cache", read_only / "cache", not_a_folder):
        for attempt in range(2):            # and the next build is not failed by the first
            out = tmp_path / f"out-{cache.parent.name}-{attempt}"
            result = build("--output", str(out), "--cache", str(cache), "-q")
            assert result.returncode == 0, result.stderr
            assert "Traceback" not in result.stderr
            lines = [line for line in result.stderr.splitlines() if "cache" in line]
            assert len(lines) == 1, result.stderr
            assert lines[0].startswith(str(cache)) and ": warning: cannot write to the " \
                "cache (" in lines[0] and "building without it" in lines[0], lines[0]
            assert {full: "No space left on device", read_only: "Read-only file system",
                    not_a_folder.parent: "Not a directory"}[cache.parent] in lines[0]
            assert (out / "a-small-test-book.epub").read_bytes() == epub
    assert not [p for p in full.rglob("*") if p.name.startswith(".tmp-")], \
        "temporary file left in the cache"


# -- the outputs: all of one build or none, and no staged file left behind ------------
def outputs(folder: Path) -> dict[str, bytes]:
    """Every file in an output folder, hidden ones too, but the list of the outputs
    (the same for every build of one book): name -> bytes."""
    return {str(p.relative_to(folder)): p.read_bytes()
            for p in sorted(folder.rglob("*")) if p.is_file() and p.name != MANIFEST}


def both(*args: str, content: Path = MINI) -> list[str]:
    """build.py's command for the fixture book's two PDFs and EPUB, no handouts."""
    return [sys.executable, str(ROOT / "build.py"), "--content", str(content), "--no-cache",
            "--no-handouts", "-q", *args]


@pytest.fixture
def edited(book_copy) -> Path:
    chapter = book_copy / "chapters" / "02-second.md"
    chapter.write_text(chapter.read_text(encoding="utf-8").replace(
        "The end of the second chapter", "The very end of the second chapter"),
        encoding="utf-8")
    return book_copy


def test_a_build_first_removes_what_interrupted_builds_left(tmp_path):
    out = tmp_path / "out"
    assert subprocess.run(both("--output", str(out)), cwd=ROOT).returncode == 0
    good = outputs(out)
    left = [out / ".a-small-test-book.epub.k3j_x9aq.tmp",
            out / ".a-small-test-book-student-a4.pdf.0a1b2c3d.old",
            out / ".studyguide-swap.json.zz00yy11.tmp",
            out / "handouts" / ".ch01-first-student-a4.pdf.abcdefgh.tmp"]
    for path in left:
        path.parent.mkdir(exist_ok=True)
        path.write_bytes(b"%PDF-1.7 cut short")
    (out / "notes.tmp").write_text("the user's")        # not a name a build stages
    assert subprocess.run(both("--output", str(out)), cwd=ROOT).returncode == 0
    assert outputs(out) == {**good, "notes.tmp": b"the user's"}


KILL_AT_SECOND_RENAME = """
import os, runpy, signal, sys
real, seen = os.replace, []
def replace(src, dst, *a, **k):
    if str(dst).endswith((".pdf", ".epub")):
        seen.append(dst)
        if len(seen) == 2:
            os.kill(os.getpid(), signal.SIGKILL)
    return real(src, dst, *a, **k)
os.replace = replace
sys.argv = sys.argv[1:]
runpy.run_path(sys.argv[0], run_name="__main__")
"""


def test_a_build_killed_while_renaming_is_finished_by_the_next(tmp_path, edited):
    out, clean = tmp_path / "out", tmp_path / "clean"
    assert subprocess.run(both("--output", str(out)), cwd=ROOT).returncode == 0
    old = outputs(out)
    assert subprocess.run(both("--output", str(clean), content=edited),
                          cwd=ROOT).returncode == 0
    new = outputs(clean)
    assert set(old) == set(new) and all(old[n] != new[n] for n in old)
    killed = subprocess.run([sys.executable, "-c", KILL_AT_SECOND_RENAME,
                             *both("--output", str(out), content=edited)[1:]], cwd=ROOT)
    assert killed.returncode == -signal.SIGKILL
    mixed = {n: d for n, d in outputs(out).items() if n in old}
    assert sum(mixed[n] == new[n] for n in old) == 1       # killed between two renames
    assert (out / ".studyguide-swap.json").is_file()
    # the next build, of the old sources (nothing to do with what was killed), first
    # finishes the swap, then writes its own edition whole
    from studyguide.builder import recover
    recover(out)
    assert outputs(out) == new
    assert subprocess.run(both("--output", str(out)), cwd=ROOT).returncode == 0
    assert outputs(out) == old


def test_a_failed_rename_puts_the_old_edition_back(tmp_path, edited):
    out = tmp_path / "out"
    assert subprocess.run(both("--output", str(out)), cwd=ROOT).returncode == 0
    old = outputs(out)
    epub = out / "a-small-test-book.epub"          # the last renamed: one that cannot be
    epub.unlink()
    (epub / "in-the-way").mkdir(parents=True)
    result = subprocess.run(both("--output", str(out), content=edited), cwd=ROOT,
                            capture_output=True, text=True)
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    assert f"{epub}: error: cannot write the output: Is a directory" in result.stderr, \
        result.stderr
    del old["a-small-test-book.epub"]
    assert outputs(out) == old                      # the PDFs as they were, nothing staged
    assert (epub / "in-the-way").is_dir()


def test_a_full_disk_fails_the_build_cleanly_and_leaves_the_old_edition(tmp_path,
                                                                      small_disks):
    out = small_disks("disk", "size=640k")
    assert subprocess.run(both("--output", str(out)), cwd=ROOT).returncode == 0
    old = outputs(out)
    # what is left of the disk holds a staged file or two, not the whole edition
    (out / "filler").write_bytes(b"\0" * (640 * 1024 - sum(map(len, old.values()))
                                           - 200 * 1024))
    old["filler"] = (out / "filler").read_bytes()
    result = subprocess.run(both("--output", str(out), "--paper", "Letter"), cwd=ROOT,
                            capture_output=True, text=True)
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    assert ": error: cannot write the output: No space left on device" in result.stderr
    assert result.stderr.startswith(str(out)), result.stderr
    assert outputs(out) == old


def test_a_journal_in_the_output_folder_moves_nothing_outside_it(tmp_path):
    """The output folder may lie inside the (untrusted) book's folder."""
    out, victim = tmp_path / "out", tmp_path / "victim.txt"
    out.mkdir()
    victim.write_text("mine")
    planted = out / ".x.pdf.aaaaaaaa.tmp"
    planted.write_text("theirs")
    (out / ".studyguide-swap.json").write_text(json.dumps(
        [["../victim.txt", "../../elsewhere.txt", None],
         [str(planted), str(victim), None],
         [".x.pdf.aaaaaaaa.tmp", "../victim.txt", None]]))
    from studyguide.builder import recover
    recover(out)
    assert victim.read_text() == "mine"
    assert not (tmp_path.parent / "elsewhere.txt").exists()
    assert list(out.iterdir()) == []
