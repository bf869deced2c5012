"""Readers: files in the content folder to Python values, with line numbers kept.

Every reader reports problems to a :class:`~studyguide.errors.Reporter` with the file
and line they come from, and returns ``None`` for a file it could not read, so that the
build can go on to find independent problems in other files.
"""
from __future__ import annotations

import json
import os
import re
import stat
import unicodedata
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from .errors import Reporter


# characters XML 1.0 forbids (tab, newline and carriage return are fine)
CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
# what a colon and a space inside a text do, and what to do: a hint of two errors (the
# YAML error of "title: Méthode : analyser", a list item read as a mapping)
COLON_IN_TEXT = "YAML reads a colon followed by a space as a key; put the whole text in quotes"
# quotation marks typed by a word processor, which YAML reads as text, not as quotes
CURLY_QUOTES = "“”„‘’‚«»"
CURLY_NOT_QUOTES = ("YAML's quotes are straight (\" or '); curly quotes (“ ” ‘ ’ « ») are "
                    "part of the text, and quote nothing")
# a line "key: value" (or "- key: value"): its key and value
KEY_VALUE = re.compile(r"\s*(?:-\s+)?([^\s#:][^#]*?):\s+(\S.*?)\s*$")


class LineDict(dict):
    """A mapping from YAML that remembers the line of each key (1-based), and of the
    first line of text of each value written as a block (``|`` or ``>``), below its key."""

    line: int = 0
    key_lines: dict
    block_lines: dict = {}


class OctalInt(int):
    """A number YAML read as octal, from a leading zero (``date: 0762`` is 498), with
    the digits as written."""

    def __new__(cls, value: int, written: str = ""):
        number = super().__new__(cls, value)
        number.written = written
        return number


class LineList(list):
    """A sequence from YAML that remembers the line of each item (1-based)."""

    line: int = 0
    item_lines: list


# libyaml's parser when PyYAML was built with it (much faster); the marks, and so the
# line numbers in error messages, are the same.
_SafeLoader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class _LineLoader(_SafeLoader):
    """PyYAML's safe loader, keeping lines, refusing aliases and duplicate keys.

    Aliases (``*name``) are refused outright: a few hundred bytes of nested aliases
    stand for billions of values (the "billion laughs"), and a study guide's data has
    no need of them. A key given twice in one mapping is an error, not "the last wins".
    Both are found on the node graph before anything is constructed; ``problems``
    holds them as (line, message).
    """

    line_offset = 0     # the line before the YAML text's first in its file

    def construct_document(self, node):
        self.problems = _node_problems(node, self.line_offset + 1)
        if any(message.startswith(ALIASES) for _, message in self.problems):
            return None     # never expanded
        return super().construct_document(node)

    def construct_mapping(self, node, deep=False):
        mapping = LineDict(super().construct_mapping(node, deep=True))
        mapping.line = node.start_mark.line + 1
        mapping.key_lines = {
            self.construct_object(k, deep=True): k.start_mark.line + 1
            for k, _ in node.value
            if isinstance(k, yaml.ScalarNode)
        }
        mapping.block_lines = {
            self.construct_object(k, deep=True): v.start_mark.line + 2
            for k, v in node.value
            if isinstance(k, yaml.ScalarNode) and isinstance(v, yaml.ScalarNode)
            and v.style in ("|", ">")
        }
        return mapping

    def construct_sequence(self, node, deep=False):
        seq = LineList(super().construct_sequence(node, deep=True))
        seq.line = node.start_mark.line + 1
        seq.item_lines = [n.start_mark.line + 1 for n in node.value]
        return seq

    def construct_yaml_int(self, node):
        """A whole number; one with a leading zero, which YAML reads as octal, keeps
        the digits written (a year written as ISO writes it, "0762", is no 498)."""
        value = super().construct_yaml_int(node)
        written = self.construct_scalar(node)
        return OctalInt(value, written) if re.fullmatch(r"[-+]?0[0-7_]+", written) else value

    def construct_yaml_timestamp(self, node):
        """A date YAML recognises by its form; one the calendar lacks (2026-02-30) stays
        the text it is, for the schema to report at its line."""
        try:
            return super().construct_yaml_timestamp(node)
        except ValueError:
            return self.construct_scalar(node)


_LineLoader.add_constructor("tag:yaml.org,2002:timestamp", _LineLoader.construct_yaml_timestamp)
_LineLoader.add_constructor("tag:yaml.org,2002:int", _LineLoader.construct_yaml_int)
_LineLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG,
                            _LineLoader.construct_mapping)
_LineLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_SEQUENCE_TAG,
                            _LineLoader.construct_sequence)


ALIASES = "YAML aliases (*name)"


def _node_problems(root, first_line: int) -> list[tuple[int, str]]:
    """Aliases and duplicate keys in a YAML node graph, at their lines in the file."""
    problems: list[tuple[int, str]] = []
    seen: set[int] = set()
    stack = [(root, root.start_mark.line + first_line)]
    while stack:
        node, line = stack.pop()
        if id(node) in seen:
            problems.append((line, ALIASES + " are not allowed in a book's files; write "
                                   "the value out"))
            continue
        seen.add(id(node))
        if isinstance(node, yaml.MappingNode):
            keys: dict = {}
            for key, value in node.value:
                if isinstance(key, yaml.ScalarNode) and key.tag != "tag:yaml.org,2002:merge":
                    line = key.start_mark.line + first_line
                    if (key.tag, key.value) in keys:
                        problems.append((line, f"duplicate key '{key.value}' (first at line "
                                               f"{keys[key.tag, key.value]}; one must go)"))
                    else:
                        keys[key.tag, key.value] = line
                stack += [(value, key.start_mark.line + first_line),
                          (key, key.start_mark.line + first_line)]
        elif isinstance(node, yaml.SequenceNode):
            stack += [(item, line) for item in reversed(node.value)]
    return sorted(set(problems))


def line_of(value: Any, key: Any = None, default: int = 1) -> int:
    """The line of a YAML value, or of one key/index inside it."""
    if key is not None:
        if isinstance(value, LineDict) and key in value.key_lines:
            return value.key_lines[key]
        if isinstance(value, LineList) and isinstance(key, int) and key < len(value.item_lines):
            return value.item_lines[key]
    return getattr(value, "line", default) or default


# The most a file of each kind may hold. The book folder is untrusted: a file larger
# than this is refused rather than read (a symlink to /dev/zero, a 20 MB chapter that
# would take WeasyPrint many minutes to lay out).
KB, MB = 1024, 1024 * 1024
LIMITS = {
    "book": 256 * KB,          # book.yaml
    "chapter": 1 * MB,         # a chapter or back-matter Markdown file, CHANGELOG.md
    "data": 2 * MB,            # a YAML data file (glossary, tables, …)
    "bibliography": 4 * MB,    # CSL-JSON or BibTeX
    "stylesheet": 256 * KB,    # the book's own CSS
    "template": 256 * KB,      # one template override
    "style": 1 * MB,           # a CSL citation style (a bundled one is up to 240 KB)
    "image": 16 * MB,          # one image file (its pixels are limited too)
    "font": 64 * MB,           # one font file of book.yaml's fonts: (a whole CJK face is
                               # 16-30 MB)
}


class Refused(Exception):
    """A file the sandbox will not read; the message says why."""


def _size(n: int) -> str:
    return f"{n // MB} MB" if n >= MB and n % MB == 0 else f"{n // KB} KB"


def read_confined(path: Path, roots: list[Path], kind: str) -> bytes:
    """The bytes of ``path``, which must be a regular file inside one of ``roots`` once
    every symlink is resolved, and no larger than ``LIMITS[kind]``.

    Every file the builder reads from a book goes through here. It is opened without
    blocking (a FIFO would otherwise wait forever) and checked to be a regular file
    before anything is read; then at most the limit plus one byte is read.
    """
    real = Path(os.path.realpath(path))
    if not any(real == r or r in real.parents
               for r in (Path(os.path.realpath(root)) for root in roots)):
        raise Refused("the file is outside the book folder (a symlink may not lead out "
                      "of it)" if real != Path(os.path.abspath(path))
                      else "the file is outside the book folder")
    limit = LIMITS[kind]
    try:
        fd = os.open(real, os.O_RDONLY | os.O_NONBLOCK | os.O_NOCTTY | os.O_NOFOLLOW)
    except FileNotFoundError:
        raise Refused("file not found") from None
    except OSError as exc:
        raise Refused(f"cannot read file: {exc.strerror}") from None
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            raise Refused("not a regular file (a folder, FIFO, socket or device is never "
                          "read)")
        chunks, size = [], 0
        while size <= limit:
            chunk = os.read(fd, min(1 * MB, limit + 1 - size))
            if not chunk:
                break
            chunks.append(chunk)
            size += len(chunk)
    except OSError as exc:
        raise Refused(f"cannot read file: {exc.strerror}") from None
    finally:
        os.close(fd)
    if size > limit:
        raise Refused(f"the file is larger than the {_size(limit)} a {kind} file may hold")
    return b"".join(chunks)


def read_bytes(path: Path, report: Reporter, kind: str, line: int = 1) -> bytes | None:
    """A content file's bytes, confined to the book folder (``report.root``); ``None``
    (reported at the file, ``line``) if the sandbox refuses it."""
    try:
        return read_confined(path, [report.root], kind)
    except Refused as exc:
        report.error(path, line if str(exc) != "file not found" else 0, str(exc))
        return None


def read_text(path: Path, report: Reporter, kind: str = "data",
              line: int = 1) -> str | None:
    """A file's text as UTF-8, or ``None`` (reported) if it is missing, not UTF-8, or
    refused by the sandbox (``read_bytes``)."""
    data = read_bytes(path, report, kind, line)
    if data is None:
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
    return composed(text.lstrip("\ufeff").replace("\r\n", "\n").replace("\r", "\n"))


# CJK compatibility ideographs: NFC replaces each with its unified ideograph, and with it
# the variant the author chose
_COMPATIBILITY_IDEOGRAPHS = re.compile("([\uf900-\ufaff\U0002f800-\U0002fa1f]+)")


def composed(text: str) -> str:
    """``text`` in Unicode's composed form (NFC). A letter written as a base and
    combining marks (Vietnamese "ễ" as e, circumflex, tilde: text copied from a PDF, or
    typed with some keyboards) looks the same as the precomposed letter but is other
    characters: the glossary, the index and the names never matched it. CJK
    compatibility ideographs, which NFC would replace, are kept as written."""
    if text.isascii() or unicodedata.is_normalized("NFC", text):
        return text
    parts = _COMPATIBILITY_IDEOGRAPHS.split(text)
    return "".join(part if n % 2 else unicodedata.normalize("NFC", part)
                   for n, part in enumerate(parts))


def parse_yaml(text: str, path: Path, report: Reporter, first_line: int = 1) -> Any:
    """Parse YAML; on a syntax error, an alias or a duplicate key report it at its real
    line and return ``None``."""
    loader = _make_offset_loader(first_line)(text)
    try:
        data = loader.get_single_data()
        problems = getattr(loader, "problems", [])
        for line, message in problems:
            report.error(path, line, message)
        if data is None and problems:
            return None     # aliases: nothing was constructed
        # (with duplicate keys only, the data goes on to be checked: the build fails,
        # but every other problem of the book is found in the same run)
        bad = _control_in(data)
        if bad is not None:
            report.error(path, bad, "a value contains a control character (an escape such "
                         "as \\e or \\x1b), which no PDF or EPUB can carry")
            return None
        return data
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        problem = exc.problem or exc.context or "invalid YAML"
        opened = exc.context_mark
        if opened is not None and mark is not None and opened.line < mark.line and \
                (exc.context or "").startswith("while parsing a flow"):
            # a [list] or {mapping} left open: the parser gives up where the next line
            # begins; the mistake is where it was opened
            kind = "[list]" if "sequence" in exc.context else "{mapping}"
            problem = f"a {kind} opened here is not closed ({problem})"
            mark = opened
        elif mark is not None and (quoted := _unclosed_quote(text.split("\n"), mark.line)):
            # a quote left open runs the value on to the next quote, lines later, where
            # the parser gives up: the mistake is where it was opened
            problem = (f"a quoted value opened here is not closed on its line ({problem}, "
                       f"line {mark.line + first_line})")
            mark = yaml.Mark("", 0, quoted[0], quoted[1], None, None)
        line = (mark.line + first_line) if mark else first_line
        where = f" (column {mark.column + 1})" if mark else ""
        lines = text.split("\n")
        found = lines[mark.line][mark.column:mark.column + 1] \
            if mark and mark.line < len(lines) else ""
        hint = f"; the character is '{found}': put the value in quotes (a YAML value cannot " \
            "start with @ or `, and a citation in a [list, of, cells] needs quotes too)" \
            if found in ("@", "`") else ""
        if problem.startswith("mapping values are not allowed") and mark and \
                mark.line < len(lines):
            hint = _colon_hint(lines[mark.line], mark.column)
        elif found == "\t" or "tab character" in problem:
            hint = "; indent with spaces, not tabs (YAML does not allow a tab in indentation)"
        report.error(path, line, f"malformed YAML: {problem}{where}{hint}")
    except yaml.YAMLError as exc:
        report.error(path, first_line, f"malformed YAML: {exc}")
    except RecursionError:
        report.error(path, first_line, "malformed YAML: nested too deeply")
    finally:
        loader.dispose()
    return None


# a key (of a mapping, or of a list's item) and a value that opens with a quote
_QUOTED_VALUE = re.compile(r"^\s*(?:-\s+)?[^\s:#\"'][^:#]*:\s+([\"'])(.*)$")


def _unclosed_quote(lines: list[str], before: int) -> tuple[int, int] | None:
    """The line and column of the last value before line ``before`` (0-based) that opens
    a quote and does not close it on its line, where a parse error follows it; None if
    there is none."""
    found = None
    for i, line in enumerate(lines[:before]):
        m = _QUOTED_VALUE.match(line)
        if not m:
            continue
        rest = m.group(2)
        closed = re.search(r'(?<!\\)"', rest) if m.group(1) == '"' else \
            re.search(r"'(?!')", rest.replace("''", ""))
        if closed is None:
            found = (i, m.start(1))
    return found


def _colon_hint(line: str, column: int) -> str:
    """The hint for a colon and a space inside a value, where YAML found a second key
    (``title: Méthode : analyser``, at ``column``): the line as it should be written."""
    m = KEY_VALUE.match(line)
    if not m or m.start(2) > column:
        return ""
    value, curly = m.group(2), ""
    if value[:1] in CURLY_QUOTES:
        # “Méthode : analyser”, quoted (the author thought) with a word processor's quotes
        curly = f"; {CURLY_NOT_QUOTES}"
        if value[-1] in CURLY_QUOTES:
            value = value[1:-1]
    value = value.replace("\\", "\\\\").replace('"', '\\"')
    return f'; {COLON_IN_TEXT} ({m.group(1)}: "{value}"){curly}'


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
        line_offset = first_line - 1

        def construct_mapping(self, node, deep=False):
            m = super().construct_mapping(node, deep)
            m.line += first_line - 1
            m.key_lines = {k: v + first_line - 1 for k, v in m.key_lines.items()}
            m.block_lines = {k: v + first_line - 1 for k, v in m.block_lines.items()}
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


def read_yaml(path: Path, report: Reporter, kind: str = "data") -> Any:
    text = read_text(path, report, kind)
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
    text = read_text(path, report, "chapter")
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
    text = read_text(path, report, "bibliography")
    if text is None:
        return None
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        report.error(path, exc.lineno, f"malformed JSON: {exc.msg}")
        return None
    except RecursionError:
        report.error(path, 1, "malformed JSON: nested too deeply")
        return None
