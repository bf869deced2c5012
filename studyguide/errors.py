"""Diagnostics: compiler-style ``path:line: error: message`` reports."""
from __future__ import annotations

import os
import traceback
from dataclasses import dataclass, field
from pathlib import Path


@dataclass(frozen=True, order=True)
class Diagnostic:
    path: str
    line: int
    message: str
    severity: str = "error"

    def __str__(self) -> str:
        where = f"{self.path}:{self.line}" if self.line else self.path
        return f"{where}: {self.severity}: {self.message}"


class BuildError(Exception):
    """Raised when a build cannot go on; carries every diagnostic found so far, and the
    tracebacks of the unexpected failures (bugs) among them, which ``--debug`` prints."""

    def __init__(self, diagnostics: list[Diagnostic], tracebacks: list[str] = ()):
        self.diagnostics = sorted(set(diagnostics))
        self.tracebacks = list(dict.fromkeys(tracebacks))
        super().__init__("\n".join(str(d) for d in self.diagnostics))

    def __reduce__(self):
        # raised in a worker process, it reaches the build as it was raised
        return type(self), (self.diagnostics, self.tracebacks)

    @classmethod
    def joined(cls, errors: list["BuildError"]) -> "BuildError":
        """Every diagnostic (and traceback) of several failures, in one error."""
        return cls([d for e in errors for d in e.diagnostics],
                   [t for e in errors for t in e.tracebacks])


def failure(exc: BaseException, where: Path | str | None = None,
            root: Path | None = None) -> BuildError:
    """Any exception as a ``BuildError``: a ``BuildError`` as it is; anything else (a bug,
    or a limit of a library such as a ``RecursionError``) as one ``path: error:`` line
    naming the file being processed, with its traceback kept for ``--debug``. ``where``
    is that file; without it, the innermost frame of the traceback with a ``path`` (or a
    document with a ``path``) inside the book folder ``root`` names it, else ``root``."""
    if isinstance(exc, BuildError):
        return exc
    if _interrupted(exc):
        # Ctrl-C while an extension module was importing: the module reports its import
        # failed (pikepdf, say), with the interruption as its cause. The build was
        # interrupted, nothing else.
        raise KeyboardInterrupt from exc
    if where is None:
        where = file_in_traceback(exc, root) or root or "."
    kind = type(exc).__name__
    text = str(exc).splitlines()[0] if str(exc) else ""
    if isinstance(exc, RecursionError):
        message = ("it nests too deeply to be processed (RecursionError); "
                   "see the nesting limit in docs/authoring.md")
    else:
        message = (f"unexpected failure while processing this file: {kind}"
                   + (f": {text}" if text else "") + " (a bug; run with -v for the traceback)")
    trace = "".join(traceback.format_exception(exc))
    return BuildError([Diagnostic(shown(where), 0, message)], [trace])


def _interrupted(exc: BaseException) -> bool:
    """Whether ``exc`` was caused by Ctrl-C (a ``KeyboardInterrupt`` in its chain)."""
    seen: set[int] = set()
    while exc is not None and id(exc) not in seen:
        if isinstance(exc, KeyboardInterrupt):
            return True
        seen.add(id(exc))
        exc = exc.__cause__ or exc.__context__
    return False


def file_in_traceback(exc: BaseException, root: Path | None) -> Path | None:
    """The file the failing code was working on: the innermost frame whose local
    ``path`` (or ``doc.path``) is a file inside ``root``."""
    if root is None:
        return None
    root = Path(os.path.realpath(root))
    found = None
    for frame, _ in traceback.walk_tb(exc.__traceback__):
        local = frame.f_locals
        for candidate in (local.get("path"), getattr(local.get("doc"), "path", None)):
            if isinstance(candidate, (str, Path)) and str(candidate):
                real = Path(os.path.realpath(candidate))
                if root in real.parents:
                    found = real
                    break
    return found


def shown(path: Path | str) -> str:
    """A path as diagnostics show it: relative to the working folder if inside it."""
    path = Path(path)
    try:
        return str(path.resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(path)


@dataclass
class Reporter:
    """Collects problems so that independent ones are all reported in one run."""

    root: Path
    diagnostics: list[Diagnostic] = field(default_factory=list)

    def _rel(self, path: Path | str) -> str:
        return shown(path)

    def error(self, path: Path | str, line: int, message: str) -> None:
        self._add(Diagnostic(self._rel(path), line, message, "error"))

    def warning(self, path: Path | str, line: int, message: str) -> None:
        self._add(Diagnostic(self._rel(path), line, message, "warning"))

    def _add(self, diagnostic: Diagnostic) -> None:
        """Each problem once: the same message at the same place says nothing new."""
        if diagnostic not in self.diagnostics:
            self.diagnostics.append(diagnostic)

    @property
    def errors(self) -> list[Diagnostic]:
        return [d for d in self.diagnostics if d.severity == "error"]

    @property
    def warnings(self) -> list[Diagnostic]:
        return [d for d in self.diagnostics if d.severity == "warning"]

    def check(self, strict: bool = False) -> None:
        """Raise ``BuildError`` if there are errors (or warnings, when strict)."""
        failing = self.errors + (self.warnings if strict else [])
        if failing:
            raise BuildError(self.diagnostics)
