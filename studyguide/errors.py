"""Diagnostics: compiler-style ``path:line: error: message`` reports."""
from __future__ import annotations

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
    """Raised when a build cannot go on; carries every diagnostic found so far."""

    def __init__(self, diagnostics: list[Diagnostic]):
        self.diagnostics = sorted(set(diagnostics))
        super().__init__("\n".join(str(d) for d in self.diagnostics))


@dataclass
class Reporter:
    """Collects problems so that independent ones are all reported in one run."""

    root: Path
    diagnostics: list[Diagnostic] = field(default_factory=list)

    def _rel(self, path: Path | str) -> str:
        path = Path(path)
        try:
            return str(path.resolve().relative_to(Path.cwd().resolve()))
        except ValueError:
            return str(path)

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
