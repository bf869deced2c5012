"""The theme: Jinja2 templates in ``templates/`` and stylesheets in ``styles/``.

Templates autoescape; HTML that the resolver produced is marked safe explicitly.
The shared partials (chapter, apparatus) serve both the print book and the EPUB.
"""
from __future__ import annotations

import functools
from pathlib import Path

from jinja2 import (ChoiceLoader, Environment, FileSystemLoader, StrictUndefined,
                    select_autoescape)
from markupsafe import Markup

from . import paths

# A book may override any of the built-in templates with files of the same name in a
# folder of its own (``templates:`` in book.yaml); writers select it with ``use``.
_override: Path | None = None
_extra_css = ""


def use(templates: Path | None, stylesheet: Path | None = None) -> None:
    """Select a book's template folder and extra stylesheet for this process."""
    global _override, _extra_css
    _override = templates
    _extra_css = stylesheet.read_text(encoding="utf-8") if stylesheet else ""


def roman(n: int) -> str:
    out = ""
    for value, letters in ((1000, "m"), (900, "cm"), (500, "d"), (400, "cd"), (100, "c"),
                           (90, "xc"), (50, "l"), (40, "xl"), (10, "x"), (9, "ix"), (5, "v"),
                           (4, "iv"), (1, "i")):
        while n >= value:
            out += letters
            n -= value
    return out


def environment() -> Environment:
    return _environment(_override)


@functools.lru_cache(maxsize=4)
def _environment(override: Path | None) -> Environment:
    loaders = [FileSystemLoader(str(override))] if override else []
    env = Environment(loader=ChoiceLoader(loaders + [FileSystemLoader(str(paths.TEMPLATES))]),
                      autoescape=select_autoescape(("html", "xhtml", "xml"), default=True),
                      undefined=StrictUndefined, trim_blocks=True, lstrip_blocks=True,
                      keep_trailing_newline=True)
    env.filters["html"] = Markup
    env.filters["roman"] = roman
    return env


def render(template: str, **context) -> str:
    return environment().get_template(template).render(**context)


def stylesheet(name: str) -> str:
    return (paths.STYLES / name).read_text(encoding="utf-8")


def book_stylesheet() -> str:
    """The book's own stylesheet (book.yaml ``stylesheet:``), applied after the theme's."""
    return _extra_css
