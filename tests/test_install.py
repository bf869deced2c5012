"""The package as a user installs it: the theme ships inside it, and a wheel installed in
a fresh virtual environment starts and builds a book far from this repository."""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from conftest import ROOT, epubcheck
from studyguide import paths

# What a wheel is built from: everything else in the repository (content/, tests/, ...)
# must not be needed.
SOURCES = ("pyproject.toml", "README.md", "studyguide", "templates", "styles")


def shipped(folder: Path) -> set[str]:
    """The files of a data folder that must be in the package."""
    return {str(p.relative_to(folder)) for p in folder.rglob("*")
            if p.is_file() and "__pycache__" not in p.parts and not p.name.startswith(".")}


def test_the_editable_install_reads_the_repositorys_theme():
    """In this repository (``make``: an editable install) the package data are the
    top-level templates/ and styles/ themselves, so an edit there shows at once."""
    assert paths.TEMPLATES == ROOT / "templates"
    assert paths.STYLES == ROOT / "styles"
    assert paths.CSL_DIR == ROOT / "styles" / "csl"
    assert paths.STARTER == ROOT / "studyguide" / "starter"
    assert (paths.TEMPLATES / "print" / "base.html").is_file()


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    """The wheel, built as ``pip wheel`` builds it, from a copy of the sources (a build in
    the repository would leave build/ behind, whose stale files a later wheel ships)."""
    src = tmp_path_factory.mktemp("src")
    for name in SOURCES:
        if (ROOT / name).is_dir():
            shutil.copytree(ROOT / name, src / name,
                            ignore=shutil.ignore_patterns("__pycache__", "*.egg-info"))
        else:
            shutil.copy2(ROOT / name, src / name)
    dist = tmp_path_factory.mktemp("dist")
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(dist),
                    str(src)], check=True, capture_output=True, text=True, timeout=600)
    (found,) = dist.glob("studyguide-*.whl")
    return found


@pytest.mark.slow
def test_the_wheel_ships_every_template_style_and_starter_file(wheel):
    names = set(zipfile.ZipFile(wheel).namelist())
    for folder, package in ((paths.TEMPLATES, "studyguide/templates"),
                            (paths.STYLES, "studyguide/styles"),
                            (paths.STARTER, "studyguide/starter"),
                            (ROOT / "studyguide" / "preview", "studyguide/preview")):
        files = shipped(folder)
        assert files, folder
        assert {f"{package}/{f}" for f in files} <= names, folder
        assert {n for n in names if n.startswith(package + "/")} == \
            {f"{package}/{f}" for f in files}, "the wheel holds files the sources do not"
    assert not [n for n in names if "__pycache__" in n or n.endswith(".pyc")]
    assert not [n for n in names if n.startswith(("content/", "tests/", "build.py"))]
    entry = next(n for n in names if n.endswith(".dist-info/entry_points.txt"))
    assert "studyguide = studyguide.cli:main" in zipfile.ZipFile(wheel).read(entry).decode()


@pytest.mark.slow
def test_the_installed_wheel_starts_and_builds_a_book_anywhere(wheel, tmp_path):
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, timeout=300)
    env = {k: v for k, v in os.environ.items()
           if k not in ("PYTHONPATH", "VIRTUAL_ENV", "PYTHONHOME")}
    env["PATH"] = f"{venv / 'bin'}{os.pathsep}{env.get('PATH', '')}"
    # its dependencies come from pip's cache (or index), as a user's would
    subprocess.run([str(venv / "bin" / "python"), "-m", "pip", "install", "-q", str(wheel)],
                   check=True, capture_output=True, text=True, timeout=900, env=env)
    work = tmp_path / "elsewhere"
    work.mkdir()

    def run(*argv: str, cwd: Path = work) -> subprocess.CompletedProcess:
        result = subprocess.run(argv, cwd=cwd, env=env, capture_output=True, text=True,
                                timeout=900)
        assert result.returncode == 0, (argv, result.stdout, result.stderr)
        return result

    where = run(str(venv / "bin" / "python"), "-c",
                "import studyguide, studyguide.paths as p, sys; "
                "print(studyguide.__file__, p.TEMPLATES, p.STYLES, p.STARTER, sep='\\n')")
    for line in where.stdout.splitlines():
        assert Path(line).is_relative_to(venv), f"{line} is not in the venv"
    studyguide = str(venv / "bin" / "studyguide")
    version = run(str(venv / "bin" / "python"), "-c",
                  "import importlib.metadata as m; print(m.version('studyguide'))").stdout
    assert run(studyguide, "--version").stdout == f"studyguide {version}"

    run(studyguide, "new", "my-guide")
    book = work / "my-guide"
    checked = run(studyguide, "check", "--strict", cwd=book)
    assert "no errors, 0 warning(s)" in checked.stdout and checked.stderr == ""
    built = run(studyguide, "build", "--strict", cwd=book)
    assert "warning" not in built.stderr + built.stdout
    out = book / "output"
    pdfs = sorted(p.name for p in out.glob("*.pdf"))
    assert pdfs == ["the-printing-revolution-student-a4.pdf",
                    "the-printing-revolution-teacher-a4.pdf"]
    assert len(list((out / "handouts").glob("*.pdf"))) == 9   # 3 readings, 3 worksheets x 2
    for pdf in out.rglob("*.pdf"):
        assert pdf.read_bytes().startswith(b"%PDF-")
    text = subprocess.run(["pdftotext", str(out / pdfs[1]), "-"], capture_output=True,
                          text=True, check=True).stdout
    for seen in ("The Press and Its First Books", "Two accounts of print", "Key Figures",
                 "Gutenberg, Johannes", "Copying by hand and printing compared",
                 "Eisenstein 1979", "Model answer"):
        assert seen in text, seen
    epub = out / "the-printing-revolution.epub"
    assert not epubcheck(epub), epubcheck(epub)
    # the output and the cache inside the book are not part of its sources
    assert (book / ".cache").is_dir()
    again = run(studyguide, "build", "--strict", cwd=book)
    assert again.stdout.startswith("nothing changed: 12 file(s) in output are up to date")
    # nothing was written next to the installed package or into this repository
    installed = Path(where.stdout.splitlines()[0]).parent
    assert not [p for p in installed.rglob("*") if p.name in (".cache", "output")]
