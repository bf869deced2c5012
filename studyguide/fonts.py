"""The book's typefaces: present, or a warning that the CSS fallback will be used."""
from __future__ import annotations

import functools
import subprocess

# (family the stylesheets ask for first, what it is for, the Debian package that has it)
BOOK_FONTS = (("Linux Libertine O", "text", "fonts-linuxlibertine"),
              ("Linux Biolinum O", "headings", "fonts-linuxlibertine"))


@functools.lru_cache(maxsize=1)
def installed_families() -> frozenset[str] | None:
    try:
        out = subprocess.run(["fc-list", ":", "family"], capture_output=True, text=True,
                             timeout=30).stdout
    except (OSError, subprocess.SubprocessError):
        return None
    return frozenset(f.strip() for line in out.splitlines() for f in line.split(","))


def missing_fonts() -> list[str]:
    """One message per missing typeface; empty when all are there (or fontconfig is absent)."""
    families = installed_families()
    if families is None:
        return []
    return [f"font '{family}' for the {use} is not installed (Debian package {package}); "
            "the PDF falls back to the next font in the stylesheet's list"
            for family, use, package in BOOK_FONTS if family not in families]
