"""Readers: files in the content folder to Python values, with line numbers kept.

Every reader reports problems to a :class:`~studyguide.errors.Reporter` with the file
and line they come from, and returns ``None`` for a file it could not read, so that the
build can go on to find independent problems in other files.
"""
from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from .errors import Reporter


# characters XML 1.0 forbids (tab, newline and carriage return are fine)
CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


class LineDict(dict):
    """A mapping from YAML that remembers the line of each key (1-based)."""

    line: int = 0
    key_lines: dict


class LineList(list):
    """A sequence from YAML that remembers the line of each item (1-based)."""

    line: int = 0
    item_lines: list


# libyaml's parser when PyYAML was built with it (much faster); the marks, and so the
# line numbers in error messages, are the same.
_SafeLoader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class _LineLoader(_SafeLoader):
    def construct_mapping(self, node, deep=False):
        mapping = LineDict(super().construct_mapping(node, deep=True))
        mapping.line = node.start_mark.line + 1
        mapping.key_lines = {
            self.construct_object(k, deep=True): k.start_mark.line + 1
            for k, _ in node.value
            if isinstance(k, yaml.ScalarNode)
        }
        return mapping

    def construct_sequence(self, node, deep=False):
        seq = LineList(super().construct_sequence(node, deep=True))
        seq.line = node.start_mark.line + 1
        seq.item_lines = [n.start_mark.line + 1 for n in node.value]
        return seq


_LineLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG,
                            _LineLoader.construct_mapping)
_LineLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_SEQUENCE_TAG,
                            _LineLoader.construct_sequence)


def line_of(value: Any, key: Any = None, default: int = 1) -> int:
    """The line of a YAML value, or of one key/index inside it."""
    if key is not None:
        if isinstance(value, LineDict) and key in value.key_lines:
            return value.key_lines[key]
        if isinstance(value, LineList) and isinstance(key, int) and key < len(value.item_lines):
            return value.item_lines[key]
    return getattr(value, "line", default) or default


def read_text(path: Path, report: Reporter) -> str | None:
    """A file's text as UTF-8, or ``None`` (reported) if it is missing or not UTF-8."""
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        report.error(path, 0, "file not found")
        return None
    except OSError as exc:
        report.error(path, 0, f"cannot read file: {exc.strerror}")
        return None
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        report.error(path, line, "file is not valid UTF-8 text")
        return None
    bad = CONTROL.search(text)
    if bad:
        report.error(path, text[: bad.start()].count("\n") + 1,
                     f"file contains the control character U+{ord(bad.group()):04X}, "
                     "which no PDF or EPUB can carry")
        return None
    return text.lstrip("\ufeff").replace("\r\n", "\n").replace("\r", "\n")


def parse_yaml(text: str, path: Path, report: Reporter, first_line: int = 1) -> Any:
    """Parse YAML; on a syntax error report it at its real line and return ``None``."""
    try:
        data = yaml.load(text, Loader=_make_offset_loader(first_line))
        bad = _control_in(data)
        if bad is not None:
            report.error(path, bad, "a value contains a control character (an escape such "
                         "as \\e or \\x1b), which no PDF or EPUB can carry")
            return None
        return data
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = (mark.line + first_line) if mark else first_line
        problem = exc.problem or exc.context or "invalid YAML"
        report.error(path, line, f"malformed YAML: {problem}")
    except yaml.YAMLError as exc:
        report.error(path, first_line, f"malformed YAML: {exc}")
    except RecursionError:
        report.error(path, first_line, "malformed YAML: nested too deeply")
    return None


def _control_in(value, line: int = 1) -> int | None:
    """The line of the first string holding a control character, if any."""
    line = getattr(value, "line", line) or line
    if isinstance(value, str):
        return line if CONTROL.search(value) else None
    if isinstance(value, dict):
        items = [(k, value.key_lines.get(k, line) if isinstance(value, LineDict) else line, v)
                 for k, v in value.items()]
        for k, kline, v in items:
            found = _control_in(k, kline) if isinstance(k, str) else None
            found = found or _control_in(v, kline)
            if found:
                return found
    if isinstance(value, list):
        for i, v in enumerate(value):
            found = _control_in(v, line_of(value, i, line))
            if found:
                return found
    return None


def _make_offset_loader(first_line: int):
    if first_line == 1:
        return _LineLoader

    class _Offset(_LineLoader):
        def construct_mapping(self, node, deep=False):
            m = super().construct_mapping(node, deep)
            m.line += first_line - 1
            m.key_lines = {k: v + first_line - 1 for k, v in m.key_lines.items()}
            return m

        def construct_sequence(self, node, deep=False):
            s = super().construct_sequence(node, deep)
            s.line += first_line - 1
            s.item_lines = [v + first_line - 1 for v in s.item_lines]
            return s

    _Offset.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG,
                            _Offset.construct_mapping)
    _Offset.add_constructor(yaml.resolver.BaseResolver.DEFAULT_SEQUENCE_TAG,
                            _Offset.construct_sequence)
    return _Offset


def read_yaml(path: Path, report: Reporter) -> Any:
    text = read_text(path, report)
    if text is None:
        return None
    return parse_yaml(text, path, report)


@dataclass
class SourceText:
    """A Markdown file split into its front matter and body."""

    path: Path
    meta: Any
    body: str
    body_line: int  # line number of the body's first line in the file


def read_markdown(path: Path, report: Reporter) -> SourceText | None:
    """Read a Markdown file with optional YAML front matter between ``---`` lines."""
    text = read_text(path, report)
    if text is None:
        return None
    lines = text.split("\n")
    if lines and lines[0].strip() == "---":
        for end in range(1, len(lines)):
            if lines[end].strip() in ("---", "..."):
                break
        else:
            report.error(path, 1, "front matter opened with '---' is never closed")
            return None
        meta = parse_yaml("\n".join(lines[1:end]), path, report, first_line=2)
        if meta is None and "\n".join(lines[1:end]).strip():
            return None
        if meta is None:
            meta = LineDict()
            meta.line, meta.key_lines = 1, {}
        if not isinstance(meta, dict):
            report.error(path, 2, "front matter must be a YAML mapping (key: value lines)")
            return None
        return SourceText(path, meta, "\n".join(lines[end + 1:]), end + 2)
    meta = LineDict()
    meta.line, meta.key_lines = 1, {}
    return SourceText(path, meta, text, 1)


def read_json(path: Path, report: Reporter) -> Any:
    text = read_text(path, report)
    if text is None:
        return None
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        report.error(path, exc.lineno, f"malformed JSON: {exc.msg}")
        return None
