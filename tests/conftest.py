"""Shared fixtures: the small fixture book, built once per test session."""
from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = Path(__file__).resolve().parent / "fixtures"
MINI = FIXTURES / "mini"
CONTENT = ROOT / "content"


def run_build(*args: str, cwd: Path = ROOT, timeout: int = 600) -> subprocess.CompletedProcess:
    """Run build.py as a user would, capturing its output."""
    return subprocess.run([sys.executable, str(ROOT / "build.py"), *args], cwd=cwd,
                          capture_output=True, text=True, timeout=timeout)


@pytest.fixture
def book_copy(tmp_path: Path) -> Path:
    """A private copy of the fixture book that a test may break."""
    dest = tmp_path / "book"
    shutil.copytree(MINI, dest)
    return dest


@pytest.fixture(scope="session")
def mini_build(tmp_path_factory) -> Path:
    """The fixture book built with every output, once."""
    out = tmp_path_factory.mktemp("mini-out")
    result = run_build("--content", str(MINI), "--output", str(out), "-q")
    assert result.returncode == 0, result.stderr
    return out


def only(folder: Path, pattern: str) -> Path:
    found = sorted(folder.glob(pattern))
    assert len(found) == 1, f"expected one {pattern} in {folder}, found {found}"
    return found[0]
