"""The theme: Jinja2 templates in ``templates/`` and stylesheets in ``styles/``.

Templates autoescape; HTML that the resolver produced is marked safe explicitly.
The shared partials (chapter, apparatus) serve both the print book and the EPUB.
"""
from __future__ import annotations

import functools
import inspect
import os
import traceback
from pathlib import Path

from jinja2 import (BaseLoader, ChoiceLoader, StrictUndefined, TemplateError,
                    TemplateNotFound, select_autoescape)
from jinja2.loaders import split_template_path
from jinja2.sandbox import SandboxedEnvironment, SecurityError
from markupsafe import Markup

from . import paths
from .errors import BuildError, Diagnostic, shown
from .readers import Refused, read_confined

# A book may override any of the built-in templates with files of the same name in a
# folder of its own (``templates:`` in book.yaml); writers select it with ``use``.
_override: Path | None = None
_extra_css = ""


def use(templates: Path | None, stylesheet: Path | None = None) -> None:
    """Select a book's template folder and extra stylesheet for this process."""
    global _override, _extra_css
    _override = templates
    # found and checked inside the book by the loader; read through the sandbox again
    _extra_css = read_confined(stylesheet, [stylesheet.parent], "stylesheet").decode(
        "utf-8") if stylesheet else ""


def roman(n: int) -> str:
    out = ""
    for value, letters in ((1000, "m"), (900, "cm"), (500, "d"), (400, "cd"), (100, "c"),
                           (90, "xc"), (50, "l"), (40, "xl"), (10, "x"), (9, "ix"), (5, "v"),
                           (4, "iv"), (1, "i")):
        while n >= value:
            out += letters
            n -= value
    return out


class ConfinedLoader(BaseLoader):
    """Templates from one folder, read through the book sandbox (``read_confined``): a
    symlink that leads out of the folder, a FIFO or an oversized file is refused."""

    def __init__(self, folder: Path):
        self.folder = Path(folder)

    def get_source(self, environment, template):
        path = self.folder.joinpath(*split_template_path(template))
        if not os.path.lexists(path):
            raise TemplateNotFound(template)
        try:
            text = read_confined(path, [self.folder], "template").decode("utf-8")
        except (Refused, UnicodeDecodeError) as exc:
            raise BuildError([Diagnostic(shown(path), 1, f"template refused: {exc}")]) from None
        return text, str(path), lambda: True


# What a template may compute: no string, list or number larger than this.
MAX_SIZE = 1_000_000


def _located(message: str) -> BuildError:
    """A template-sandbox refusal as a ``path:line`` error: the innermost template frame
    on the stack is the template (and line) that asked for it."""
    frame = inspect.currentframe()
    while frame is not None:
        template = frame.f_globals.get("__jinja_template__")
        if template is not None and template.filename:
            line = template.get_corresponding_lineno(frame.f_lineno)
            return BuildError([Diagnostic(template.filename, line, f"template error: {message}")])
        frame = frame.f_back
    return BuildError([Diagnostic(str(_override or paths.TEMPLATES), 0,
                                  f"template error: {message}")])


class Sandbox(SandboxedEnvironment):
    """Jinja2's sandbox, stricter: an unsafe attribute is an error where it is asked for
    (not a value that fails later), and so is a call the sandbox refuses, a ``range``
    too long, or a ``*`` or ``**`` whose result would be huge. Nothing in a book is code:
    a template override can arrange the book's values, not reach Python."""

    intercepted_binops = frozenset({"*", "**"})

    def unsafe_undefined(self, obj, attribute):
        raise _located(f"access to attribute {attribute!r} of a {type(obj).__name__!r} "
                       "value is not allowed")

    def call(__self, __context, __obj, *args, **kwargs):  # noqa: N805 (Jinja's signature)
        try:
            return super().call(__context, __obj, *args, **kwargs)
        except (SecurityError, OverflowError) as exc:
            raise _located(str(exc)) from None

    def call_binop(self, context, operator, left, right):
        if operator == "*":
            for seq, times in ((left, right), (right, left)):
                if isinstance(seq, (str, list, tuple)) and isinstance(times, int) and \
                        len(seq) * times > MAX_SIZE:
                    raise _located(f"'*' would make a value of {len(seq) * times:,} items "
                                   f"(at most {MAX_SIZE:,})")
        if operator == "**" and isinstance(left, int) and isinstance(right, int) and \
                right > 0 and abs(left) > 1 and right * abs(left).bit_length() > 64 * 1024:
            raise _located("'**' would make a number too large")
        return super().call_binop(context, operator, left, right)


def sandbox(loader: BaseLoader | None = None) -> Sandbox:
    """The environment every template runs in, the theme's and a book's overrides."""
    env = Sandbox(loader=loader,
                  autoescape=select_autoescape(("html", "xhtml", "xml"), default=True),
                  undefined=StrictUndefined, trim_blocks=True, lstrip_blocks=True,
                  keep_trailing_newline=True)
    env.filters["html"] = Markup
    env.filters["roman"] = roman
    return env


def environment() -> SandboxedEnvironment:
    return _environment(_override)


@functools.lru_cache(maxsize=4)
def _environment(override: Path | None) -> SandboxedEnvironment:
    loaders = [ConfinedLoader(override)] if override else []
    env = sandbox(ChoiceLoader(loaders + [ConfinedLoader(paths.TEMPLATES)]))
    if override:
        env.concat = lambda pieces: check_output("".join(pieces))
    return env


def check_output(html_text: str) -> str:
    """HTML that templates made, refused (a ``BuildError``) if a book's template overrides
    are in use and it carries anything that would run or load something. The resolver
    sanitised every value the templates receive; this checks what the overrides wrote."""
    if _override is None:
        return html_text
    from .sanitise import active_parts
    found = active_parts(html_text)
    if found:
        raise BuildError([Diagnostic(*_written(needle), "a template override wrote active "
                                     f"content, which is not allowed: {what}")
                          for needle, what in dict.fromkeys(found)])
    return html_text


def _written(needle: str) -> tuple[str, int]:
    """The first template override and line that holds ``needle`` (case aside): where
    what a template wrote comes from; else the override folder."""
    wanted = needle.lower()
    for path in sorted(p for p in _override.rglob("*") if p.is_file()):
        try:
            text = read_confined(path, [_override], "template").decode("utf-8", "replace")
        except Refused:
            continue
        for number, line in enumerate(text.splitlines(), 1):
            if wanted in line.lower():
                return shown(path), number
    return shown(_override), 0


def render(template: str, **context) -> str:
    try:
        return environment().get_template(template).render(**context)
    except BuildError:
        raise
    except Exception as exc:        # the template's own error, or Python's in its code
        raise _template_failure(exc, template) from None


def _template_failure(exc: Exception, name: str) -> BuildError:
    """A template's own error (an undefined value, a missing include, a division by
    zero) as a ``path:line`` error: Jinja2 rewrites the traceback so that a template's
    frames carry its file and line; the innermost one is where it failed."""
    where = (getattr(exc, "filename", None), getattr(exc, "lineno", None) or 0)
    for frame, line in traceback.walk_tb(exc.__traceback__):
        file = frame.f_code.co_filename
        if file.endswith(".html") and os.path.isfile(file):
            where = (file, line)
    if where[0] is None:          # failed before any template ran: the one asked for
        where = (str(_override or paths.TEMPLATES), 0)
    if isinstance(exc, TemplateNotFound):
        names = getattr(exc, "templates", None) or [exc.name]
        message = (f"template '{', '.join(map(str, names))}' not found (neither in the "
                   "book's template folder nor in the theme's)")
    elif isinstance(exc, TemplateError):
        message = exc.message or str(exc)
    else:
        message = f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
    return BuildError([Diagnostic(shown(where[0]), where[1], f"template error: {message}")])


def stylesheet(name: str) -> str:
    return (paths.STYLES / name).read_text(encoding="utf-8")


def book_stylesheet() -> str:
    """The book's own stylesheet (book.yaml ``stylesheet:``), applied after the theme's."""
    return _extra_css
