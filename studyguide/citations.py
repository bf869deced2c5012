"""Citations: Pandoc syntax in, CSL-formatted text out.

Formatting is done by a full CSL processor — pandoc's citeproc, from the
``pypandoc_binary`` package — in one run for the whole book, so that disambiguation
("Trotsky 1930a, 1930b"), ibid-free author-date forms and the bibliography all come
from the CSL style and never from hand-written formatting.
"""
from __future__ import annotations

import json
import re
import subprocess
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from lxml import html as lxml_html

from .errors import Reporter

KEY = r"[A-Za-z0-9_](?:[\w:.#$%&+?<>~/-]*[\w])?"
# [see @a, p. 3; @b] — bracketed, not a link, not a footnote reference.
BRACKETED = re.compile(r"(?<![\]\\!])\[(?!\^)([^\[\]\n]*?-?@" + KEY + r"[^\[\]\n]*?)\](?![(\[{])")
# @key or @key [p. 3] in running text.
IN_TEXT = re.compile(r"(?<![\w@\\])@(" + KEY + r")(\s\[[^\[\]\n]*\])?")
KEY_IN = re.compile(r"-?@(" + KEY + ")")


@dataclass
class Citation:
    source: str          # the exact Markdown text
    keys: list[str]


@dataclass
class CitationSet:
    """Every citation of the book, formatted once."""
    rendered: dict[str, str] = field(default_factory=dict)      # source -> HTML
    bibliography: dict[str, str] = field(default_factory=dict)  # key -> entry HTML


def find_citations(text: str) -> list[tuple[int, int, Citation]]:
    """Citations in a Markdown text as (start, end, Citation), in order."""
    found: list[tuple[int, int, Citation]] = []
    code = _code_spans(text)
    taken = []
    for m in BRACKETED.finditer(text):
        if _overlaps(m.start(), m.end(), code):
            continue
        keys = KEY_IN.findall(m.group(1))
        # every ';'-separated part must hold a key for this to be a citation
        if keys and all(KEY_IN.search(p) for p in m.group(1).split(";")):
            found.append((m.start(), m.end(), Citation(m.group(0), keys)))
            taken.append((m.start(), m.end()))
    for m in IN_TEXT.finditer(text):
        if _overlaps(m.start(), m.end(), taken + code):
            continue
        found.append((m.start(), m.end(), Citation(m.group(0), [m.group(1)])))
    found.sort(key=lambda t: t[0])
    return found


def _code_spans(text: str) -> list[tuple[int, int]]:
    spans = [(m.start(), m.end()) for m in re.finditer(r"`[^`\n]*`", text)]
    spans += [(m.start(), m.end()) for m in re.finditer(r"^```.*?^```", text, re.M | re.S)]
    # e-mail addresses are not citations
    spans += [(m.start(), m.end()) for m in re.finditer(r"\b[\w.+-]+@[\w-]+\.[\w.]+", text)]
    return spans


def _overlaps(a: int, b: int, spans: list[tuple[int, int]]) -> bool:
    return any(a < e and s < b for s, e in spans)


def pandoc_path() -> str:
    import pypandoc
    return pypandoc.get_pandoc_path()


def _run_pandoc(args: list[str], stdin: str) -> str:
    proc = subprocess.run([pandoc_path(), *args], input=stdin.encode("utf-8"),
                          capture_output=True, timeout=300)
    if proc.returncode != 0:
        raise RuntimeError(proc.stderr.decode("utf-8", "replace").strip())
    return proc.stdout.decode("utf-8")


def bibtex_to_csl(text: str, path: Path, report: Reporter) -> list[dict] | None:
    try:
        return json.loads(_run_pandoc(["-f", "bibtex", "-t", "csljson"], text))
    except (RuntimeError, json.JSONDecodeError) as exc:
        report.error(path, 1, f"unreadable BibTeX bibliography: {str(exc).splitlines()[0]}")
        return None


def citation_document(sources: list[str]) -> str:
    """The Markdown document handed to citeproc: one div per citation, then the refs."""
    parts = ["---", "nocite: '@*'", "link-citations: true", "suppress-bibliography: false",
             "---", ""]
    for i, src in enumerate(sources):
        parts += [f"::: {{#cite-{i}}}", src, ":::", ""]
    parts += ["::: {#refs}", ":::", ""]
    return "\n".join(parts)


def format_citations(sources: list[str], references: list[dict], csl: Path,
                     lang: str) -> CitationSet:
    """Format every citation and the bibliography with citeproc."""
    with tempfile.TemporaryDirectory() as tmp:
        bib = Path(tmp) / "refs.json"
        bib.write_text(json.dumps(references, ensure_ascii=False), encoding="utf-8")
        out = _run_pandoc(["-f", "markdown", "-t", "html5", "--citeproc",
                           "--bibliography", str(bib), "--csl", str(csl),
                           "-M", f"lang={lang}", "--wrap=none"],
                          citation_document(sources))
    return parse_citeproc_html(out, len(sources))


def parse_citeproc_html(out: str, count: int) -> CitationSet:
    tree = lxml_html.fragment_fromstring(out, create_parent="div")
    result = CitationSet()
    for i in range(count):
        div = tree.find(f".//div[@id='cite-{i}']")
        para = div.find("p") if div is not None else None
        inner = _inner_html(para) if para is not None else ""
        result.rendered[str(i)] = inner
    for entry in tree.iterfind(".//div[@class='csl-entry']"):
        key = entry.get("id", "").removeprefix("ref-")
        result.bibliography[key] = _inner_html(entry)
    return result


def _inner_html(el) -> str:
    text = el.text or ""
    from lxml import etree
    from html import escape
    return escape(text, quote=False) + "".join(
        etree.tostring(child, encoding="unicode", method="html") for child in el)
