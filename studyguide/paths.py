"""Where the builder's own assets live: templates, styles, CSL styles, the starter book.

They are package data, found with ``importlib.resources`` wherever the package is
installed (a wheel, ``pip install .`` or an editable install of the repository, where
``templates/`` and ``styles/`` at the top are mapped to ``studyguide.templates`` and
``studyguide.styles``). They must be real folders: Jinja's loader, the WeasyPrint
fetcher and the cache read them as files.
"""
from __future__ import annotations

from importlib.resources import files
from pathlib import Path


def _folder(package: str, *names: str) -> Path:
    try:
        folder = files(package).joinpath(*names)
    except ModuleNotFoundError:
        raise RuntimeError(f"{package} is not installed: an install made before the theme "
                           "became package data; install again (make, or pip install -e .)") from None
    if not isinstance(folder, Path) or not folder.is_dir():
        raise RuntimeError(f"{package}: the package's data is not a folder on disk "
                           f"({folder}); install studyguide unpacked (pip install)")
    return folder


TEMPLATES = _folder("studyguide.templates")
STYLES = _folder("studyguide.styles")
CSL_DIR = STYLES / "csl"
STARTER = _folder("studyguide", "starter")


# Names a style was bundled or published under before, as the CSL styles repository
# renamed it: old name -> the file in styles/csl/.
CSL_ALIASES = {"chicago-note-bibliography": "chicago-notes-bibliography"}


def find_csl(root: Path, name: str) -> Path | None:
    """A CSL style by name (``styles/csl/NAME.csl``) or by a path inside the book."""
    bundled = CSL_ALIASES.get(name, name)
    for candidate in (CSL_DIR / f"{bundled}.csl", root / name):
        if candidate.is_file():
            try:
                candidate.resolve().relative_to(root.resolve())
            except ValueError:
                if candidate.parent != CSL_DIR:
                    continue
            return candidate
    return None


def find_stylesheet(root: Path, name: str) -> Path | None:
    """A book's own stylesheet: a .css file inside the book folder."""
    candidate = (root / name).resolve()
    try:
        candidate.relative_to(root.resolve())
    except ValueError:
        return None
    return candidate if candidate.is_file() and candidate.suffix == ".css" else None
