"""The theme: Jinja2 templates in ``templates/`` and stylesheets in ``styles/``.

Templates autoescape; HTML that the resolver produced is marked safe explicitly.
The shared partials (chapter, apparatus) serve both the print book and the EPUB.
"""
from __future__ import annotations

import functools

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape
from markupsafe import Markup

from . import paths


def roman(n: int) -> str:
    out = ""
    for value, letters in ((1000, "m"), (900, "cm"), (500, "d"), (400, "cd"), (100, "c"),
                           (90, "xc"), (50, "l"), (40, "xl"), (10, "x"), (9, "ix"), (5, "v"),
                           (4, "iv"), (1, "i")):
        while n >= value:
            out += letters
            n -= value
    return out


@functools.lru_cache(maxsize=1)
def environment() -> Environment:
    env = Environment(loader=FileSystemLoader(str(paths.TEMPLATES)),
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
