"""Where the project's own assets live: templates, styles, CSL styles."""
from __future__ import annotations

from pathlib import Path

PROJECT = Path(__file__).resolve().parent.parent
TEMPLATES = PROJECT / "templates"
STYLES = PROJECT / "styles"
CSL_DIR = STYLES / "csl"


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
