"""Citations: Pandoc syntax in, CSL-formatted text out.

Formatting is done by a full CSL processor — pandoc's citeproc, from the
``pypandoc_binary`` package — in one run for the whole book, so that disambiguation
("Trotsky 1930a, 1930b"), ibid-free author-date forms and the bibliography all come
from the CSL style and never from hand-written formatting.
"""
from __future__ import annotations

import bisect
import json
import re
import subprocess
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

from lxml import etree
from lxml import html as lxml_html

from . import paths
from .errors import Reporter
from .mdext import code_spans
from .sanitise import to_html

# pandoc's: a letter (of any script), digit or _ first, then those and internal
# punctuation; or any key in braces, "@{doi:10.1000/1}" (no space; braces inside it
# balanced), which is the key without them
KEY = r"(?:\w(?:[\w:.#$%&+?<>~/-]*\w)?|\{(?:[^\s{}]|\{[^\s{}]*\})+\})"
# [see @a, p. 3; @b] — bracketed, not a link, not a footnote reference, not an inline
# note (``^[Compare @a, who argues …]`` is a note whose text cites "a" in the text, as
# pandoc reads it); it may run on over lines of its paragraph (not past a blank line:
# ``find_citations``)
BRACKETED = re.compile(r"(?<![\]\\!^])\[(?!\^)([^\[\]]*?-?@" + KEY + r"[^\[\]]*?)\](?![(\[{])")
# @key or @key [p. 3] in running text.
IN_TEXT = re.compile(r"(?<![\w@\\])@(" + KEY + r")(\s\[[^\[\]]*\])?")
KEY_IN = re.compile(r"-?@(" + KEY + ")")
PARAGRAPH_BREAK = re.compile(r"\n[ \t>]*\n")


@dataclass
class Citation:
    source: str          # the exact Markdown text
    keys: list[str]


@dataclass
class CitationSet:
    """Every citation of the book, formatted once."""
    rendered: dict[str, str] = field(default_factory=dict)      # source -> HTML
    bibliography: dict[str, str] = field(default_factory=dict)  # key -> entry HTML
    # a note style's citations: source -> the note's HTML ("rendered" then holds only
    # what stays in the text, e.g. the author's name of ``@key``)
    notes: dict[str, str] = field(default_factory=dict)
    # key -> the entry with its names where the style puts a dash for the entry
    # before's (``names_in_full``): only the entries that differ
    in_full: dict[str, str] = field(default_factory=dict)

    def inline(self, i: str) -> str:
        """A citation where no footnote is made (inside a footnote, a summary, a table
        cell, data). A note style's note is written as pandoc writes a citation inside
        a note: ``[@key]`` as "(note)", ``@key`` as "Author, note", without the note's
        final period."""
        note = self.notes.get(i)
        text = self.rendered.get(i, "")
        if not note:
            return text
        note = FINAL_PERIOD.sub(r"\1", note)
        return f"{text}, {note}" if text else f"({note})"

    def part(self, kind: str, i: str) -> str:
        """What a token made by ``citations_as_notes`` stands for."""
        return (self.rendered if kind == "text" else self.notes).get(i, "")

    def numbered(self, order: list[int]) -> CitationSet:
        """The same, for citations formatted in ``order``: the j-th formatted is the
        citation numbered ``order[j]``."""
        def back(d: dict[str, str]) -> dict[str, str]:
            return {str(order[int(j)]): v for j, v in d.items()}
        return CitationSet(back(self.rendered), self.bibliography, back(self.notes),
                           self.in_full)


FINAL_PERIOD = re.compile(r"\.((?:</[a-z]+>)*)\s*$")
# tokens for a note style's citations in a chapter body: what stays in the text, and
# the footnote's text
PART_TOKEN = re.compile(r"zzcite(text|note)(\d+)zz")
FOOTNOTE_DEF = re.compile(r"^ {0,3}\[\^[^\]]+\]:")
NOTE_PUNCTUATION = ".,;:!?"


def footnote_definition_lines(lines: list[str]) -> set[int]:
    """Indexes of the lines that belong to a footnote definition: its first line, its
    indented (or lazily continued) lines, and the blank lines between them."""
    inside, blank, found = False, False, set()
    for i, line in enumerate(lines):
        if FOOTNOTE_DEF.match(line):
            inside = True
        elif inside and line.strip() and blank and not line.startswith(("    ", "\t")):
            inside = False
        blank = not line.strip()
        if inside:
            found.add(i)
    return found


def reading_order(text: str, token: re.Pattern) -> list[int]:
    """The numbers of the citation tokens in a Markdown text in the order a reader meets
    them: a citation inside a footnote where the text refers to that footnote."""
    lines = text.split("\n")
    in_notes = footnote_definition_lines(lines)
    starts = [0]
    for line in lines:
        starts.append(starts[-1] + len(line) + 1)
    label_at: dict[int, str] = {}        # line -> the footnote it belongs to
    label = ""
    for i, line in enumerate(lines):
        m = FOOTNOTE_DEF.match(line)
        if m:
            label = m.group(0).strip()[2:-2]
        if i in in_notes:
            label_at[i] = label
    called: dict[str, int] = {}          # footnote label -> where it is first referred to
    for m in re.finditer(r"\[\^([^\]]+)\](?!:)", text):
        called.setdefault(m.group(1), m.start())
    keys = []
    for m in token.finditer(text):
        line = bisect.bisect_right(starts, m.start()) - 1
        where = called.get(label_at[line], m.start()) if line in label_at else m.start()
        keys.append((where, m.start(), int(m.group(1))))
    return [n for _, _, n in sorted(keys)]


def citations_as_notes(text: str, token: re.Pattern, bracketed: Callable[[int], bool]) -> str:
    """A note style's citations in a chapter body (already tokens, ``token`` matching
    one with its number as group 1) made into footnotes, numbered with the author's own
    in the order they are referred to. As pandoc does, the note mark goes after the
    punctuation that follows the citation, and a bracketed citation takes no space
    before it. A citation inside a footnote stays there, written out (``inline``)."""
    in_notes = footnote_definition_lines(text.split("\n"))
    inline_notes = inline_note_spans(text)
    definitions: list[str] = []
    label = "citation"
    while f"[^{label}-" in text:      # not a label the author uses
        label += "-"

    def to_note(m: re.Match) -> str:
        at = m.start("n")
        if text.count("\n", 0, at) in in_notes or \
                any(start < at < end for start, end in inline_notes):
            return m.group(0)
        n = m.group("n")
        definitions.append(f"[^{label}-{n}]: zzcitenote{n}zz")
        space = m.group("space")
        if bracketed(int(n)) and _joins(text[:m.start()], space):
            space = ""
        return f"{space}zzcitetext{n}zz{m.group('punct')}[^{label}-{n}]"

    # (a space, or a line's end and the next line's indent, or its block quote's marks:
    # a citation on a quotation's last line follows the quotation's last word)
    pattern = re.compile(r"(?P<space>[ \t]*(?:\n(?:[ \t]*>)*[ \t]*)?)"
                         + token.pattern.replace("(", "(?P<n>", 1)
                         + f"(?P<punct>[{re.escape(NOTE_PUNCTUATION)}]*)")
    out = pattern.sub(to_note, text)
    if not definitions:
        return text
    return out + "\n\n" + "\n\n".join(definitions) + "\n"


def inline_note_spans(text: str) -> list[tuple[int, int]]:
    """Where each inline footnote (``^[…]``, brackets inside it balanced, as a citation's
    are) starts and ends in a Markdown text."""
    spans, i = [], text.find("^[")
    while i != -1:
        depth, j = 0, i + 1
        while j < len(text):
            ch = text[j]
            if ch == "\\":
                j += 2
                continue
            depth += ch == "["
            depth -= ch == "]"
            if depth == 0:
                break
            j += 1
        spans.append((i, j + 1))
        i = text.find("^[", j + 1)
    return spans


def _joins(before: str, space: str) -> bool:
    """Whether a note mark may take the place of the ``space`` before it: the text
    before is running text of the same paragraph (not a line start, a heading, a table
    row, a hard line break…)."""
    line = before.rsplit("\n", 1)[-1]
    hard_break = "\n" in space and (line + space.split("\n")[0]).endswith("  ")
    line = re.sub(r"^(?:[ \t]*>)+", "", line)       # a block quote's line: its text
    return bool(line.strip()) and not hard_break and \
        not re.match(r"\s*(?:#|\||`|<|:::|[-=]+\s*$)", line)


CSL_NS = "http://purl.org/net/xbiblio/csl"
# the id a style has in the CSL styles repository, and which dependent styles link to
REPOSITORY_ID = re.compile(r"https?://(?:www\.)?zotero\.org/styles/([\w.-]+?)/?")
SCHEME = re.compile(r"^(?:[a-z][a-z0-9+.-]*:|//)", re.I)


@dataclass
class Style:
    """A CSL style as pandoc is handed it: self-contained, its parent (if it had one)
    already put in its place, so that nothing is fetched while formatting."""
    xml: bytes
    note: bool           # a note style: citations go in footnotes
    path: Path           # the file the book named


def names_in_full(style: Style) -> Style | None:
    """The style without its bibliography's ``subsequent-author-substitute`` (MLA's
    "———" for the names of the entry before), or None if it has none: a handout lists
    a few of the book's works, where the entry before is not the same."""
    root = etree.fromstring(style.xml, _xml_parser())
    found = root.xpath("//c:bibliography[@subsequent-author-substitute]",
                       namespaces={"c": CSL_NS})
    if not found:
        return None
    for bib in found:
        del bib.attrib["subsequent-author-substitute"]
        bib.attrib.pop("subsequent-author-substitute-rule", None)
    return Style(etree.tostring(root, encoding="utf-8", xml_declaration=True), style.note,
                 style.path)


class StyleError(Exception):
    def __init__(self, path: Path, line: int, message: str):
        super().__init__(message)
        self.path, self.line, self.message = path, line, message


def load_style(path: Path, root: Path, report: Reporter) -> Style | None:
    """The style at ``path`` (bundled, or inside the book folder ``root``), with an
    ``independent-parent`` resolved here: to a bundled style named by its repository id,
    or to a ``.csl`` file inside the book. Any other parent (a network URL, a ``file:``
    URL, a path outside the book) is an error at the link's line."""
    try:
        return _style(path, root.resolve())
    except StyleError as exc:
        report.error(exc.path, exc.line, exc.message)
        return None


def bundled_style(name: str) -> Style:
    """A style in ``styles/csl/`` by name (tests and tools; books name it in book.yaml)."""
    return _style(paths.CSL_DIR / f"{paths.CSL_ALIASES.get(name, name)}.csl", paths.CSL_DIR)


def _xml_parser() -> etree.XMLParser:
    return etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False)


def _style(path: Path, root: Path) -> Style:
    style = etree.fromstring(_self_contained(path, root, ()), _xml_parser())
    # no link of any kind (self, template, documentation…) is left for pandoc to follow;
    # the files keep theirs
    for link in style.xpath("c:info/c:link", namespaces={"c": CSL_NS}):
        link.getparent().remove(link)
    xml = etree.tostring(style, encoding="utf-8", xml_declaration=True)
    return Style(xml, style.get("class") == "note", path)


def _parse_style(path: Path, root: Path):
    """A style file's root element, its bytes read through the sandbox, confined to the
    book folder ``root`` (or the bundled styles' folder)."""
    import io

    from .readers import Refused, read_confined
    try:
        data = read_confined(path, [root, paths.CSL_DIR], "style")
    except Refused as exc:
        raise StyleError(path, 1, f"the style is not read: {exc}") from None
    try:
        tree = etree.parse(io.BytesIO(data), _xml_parser())
    except (etree.XMLSyntaxError, OSError) as exc:
        line = getattr(exc, "lineno", None) or 1
        raise StyleError(path, line, f"not a CSL style: {str(exc).splitlines()[0]}") from None
    if tree.docinfo.doctype:
        raise StyleError(path, 1, "a CSL style may not have a DOCTYPE (its entities could "
                                  "read files)")
    style = tree.getroot()
    if style.tag != f"{{{CSL_NS}}}style":
        raise StyleError(path, style.sourceline or 1,
                         f"not a CSL style: the root element must be <style xmlns=\"{CSL_NS}\">")
    return style


def _self_contained(path: Path, root: Path, seen: tuple[Path, ...]) -> bytes:
    style = _parse_style(path, root)
    ns = {"c": CSL_NS}
    links = style.xpath("c:info/c:link[@rel='independent-parent']", namespaces=ns)
    if not links:
        if not style.xpath("c:citation", namespaces=ns):
            raise StyleError(path, style.sourceline or 1,
                             "this CSL style has no <citation> and no independent-parent link")
        return etree.tostring(style, encoding="utf-8", xml_declaration=True)
    link = links[0]
    parent = _parent_file(link.get("href", ""), path, root, link.sourceline or 1)
    if parent in seen or parent == path:
        raise StyleError(path, link.sourceline or 1,
                         f"independent-parent '{link.get('href')}' leads back to this style")
    xml = _self_contained(parent, root, (*seen, path))
    locale = style.get("default-locale")
    if not locale:
        return xml
    # the dependent style's own locale overrides its parent's, as CSL specifies
    merged = etree.fromstring(xml, _xml_parser())
    merged.set("default-locale", locale)
    return etree.tostring(merged, encoding="utf-8", xml_declaration=True)


def _parent_file(href: str, style: Path, root: Path, line: int) -> Path:
    repo = REPOSITORY_ID.fullmatch(href)
    if repo:
        name = paths.CSL_ALIASES.get(repo.group(1), repo.group(1))
        bundled = paths.CSL_DIR / f"{name}.csl"
        if bundled.is_file():
            return bundled
        known = ", ".join(sorted(p.stem for p in paths.CSL_DIR.glob("*.csl")))
        raise StyleError(style, line, f"independent-parent '{href}' is not a bundled style "
                         f"(bundled: {known}); put the parent's .csl in the book folder and "
                         "link it by its path")
    if not href or SCHEME.match(href):
        raise StyleError(style, line, f"independent-parent '{href}' is not fetched: link a "
                         "bundled style by its id (http://www.zotero.org/styles/NAME) or a "
                         ".csl file inside the book folder by its path")
    target = (style.parent / href).resolve()
    try:
        target.relative_to(root)
    except ValueError:
        raise StyleError(style, line, f"independent-parent '{href}' is outside the book "
                         "folder and is not read") from None
    if not target.is_file() or target.suffix != ".csl":
        raise StyleError(style, line, f"independent-parent '{href}': no such .csl file")
    return target


def find_citations(text: str) -> list[tuple[int, int, Citation]]:
    """Citations in a Markdown text as (start, end, Citation), in order."""
    found: list[tuple[int, int, Citation]] = []
    code = _not_cited(text)
    taken = []
    for m in BRACKETED.finditer(text):
        if _overlaps(m.start(), m.end(), code) or PARAGRAPH_BREAK.search(m.group(0)):
            continue
        keys = [_unbraced(k) for k in KEY_IN.findall(m.group(1))]
        # every ';'-separated part must hold a key for this to be a citation
        if keys and all(KEY_IN.search(p) for p in m.group(1).split(";")):
            found.append((m.start(), m.end(), Citation(_one_line(m.group(0)), keys)))
            taken.append((m.start(), m.end()))
    for m in IN_TEXT.finditer(text):
        if _overlaps(m.start(), m.end(), taken + code):
            continue
        end = m.end() if m.group(2) and not PARAGRAPH_BREAK.search(m.group(2)) else m.end(1)
        found.append((m.start(), end, Citation(_one_line(text[m.start():end]),
                                               [_unbraced(m.group(1))])))
    found.sort(key=lambda t: t[0])
    return found


def _unbraced(key: str) -> str:
    """A key as the bibliography has it: "{key}" is "key"."""
    return key[1:-1] if key.startswith("{") else key


def _one_line(source: str) -> str:
    """A citation that runs on over lines (of a block quote too) as one line."""
    return re.sub(r"\s*\n[ \t]*(?:> ?)*[ \t]*", " ", source)


def _not_cited(text: str) -> list[tuple[int, int]]:
    """Where no citation is read: code (blocks of any kind, in any container, and code
    spans), e-mail addresses and HTML comments (``<!-- [@key] -->``: not printed, so not
    cited, as in pandoc)."""
    spans = code_spans(text)
    spans += [(m.start(), m.end()) for m in re.finditer(r"\b[\w.+-]+@[\w-]+\.[\w.]+", text)]
    code, start = list(spans), text.find("<!--")
    while start >= 0:
        if _overlaps(start, start + 4, code):          # "<!--" shown in code
            start = text.find("<!--", start + 4)
            continue
        end = text.find("-->", start + 4)
        if end < 0:
            break
        spans.append((start, end + 3))
        start = text.find("<!--", end + 3)
    return spans


def _overlaps(a: int, b: int, spans: list[tuple[int, int]]) -> bool:
    return any(a < e and s < b for s, e in spans)


def pandoc_path() -> str:
    import pypandoc
    return pypandoc.get_pandoc_path()


# pandoc runs with its heap bounded (GHC's runtime options) and a time limit, so that no
# bibliography or style can take the machine's memory or hang the build
BIBTEX_HEAP_MB, CITEPROC_HEAP_MB = 512, 1536
PANDOC_SECONDS = 120


class PandocLimit(RuntimeError):
    """pandoc ran out of its memory or time limit."""


def _run_pandoc(args: list[str], stdin: str, heap_mb: int = CITEPROC_HEAP_MB,
                cwd: Path | None = None) -> str:
    try:
        proc = subprocess.run([pandoc_path(), "+RTS", f"-M{heap_mb}m", "-RTS", *args],
                              input=stdin.encode("utf-8"), capture_output=True,
                              timeout=PANDOC_SECONDS, cwd=cwd)
    except subprocess.TimeoutExpired:
        raise PandocLimit(f"took longer than {PANDOC_SECONDS} s") from None
    err = proc.stderr.decode("utf-8", "replace").strip()
    if "Heap exhausted" in err:
        raise PandocLimit(f"needed more than {heap_mb} MB of memory")
    if proc.returncode != 0:
        raise RuntimeError(err or f"pandoc exited with status {proc.returncode}")
    return proc.stdout.decode("utf-8")


def bibtex_references(text: str, path: Path, report: Reporter) -> list[dict] | None:
    """A BibTeX file's entries as CSL-JSON items (their keys, and what the cache key is
    made of). citeproc is handed the BibTeX itself (``format_citations``), so that its
    TeX (``{CO$_2$}``, ``\\emph{}``, accents) and every field print as pandoc prints the
    ``.bib``. pandoc's heap is bounded: an @string bomb is an error, not the machine's
    memory."""
    try:
        out = _run_pandoc(["-f", "bibtex", "-t", "csljson"], text, heap_mb=BIBTEX_HEAP_MB)
    except PandocLimit as exc:
        strings = re.search(r"^\s*@string\b", text, re.I | re.M)
        line = text.count("\n", 0, strings.start()) + 1 if strings else 1
        report.error(path, line, f"BibTeX bibliography not read: reading it {exc} "
                     "(@string macros that expand without bound?)")
        return None
    except RuntimeError as exc:
        # pandoc's "Error at (line 6, column 1):" then why, on the lines below
        said = str(exc).splitlines()
        where = re.match(r"Error at \(line (\d+), column \d+\)", said[0]) if said else None
        why = "; ".join(s.strip() for s in said[1:2] if s.strip()) if where else \
            (said[0] if said else "")
        hint = " (an entry's brace or quote left open above it?)" \
            if where and "unexpected" in why else ""
        report.error(path, int(where.group(1)) if where else 1,
                     f"unreadable BibTeX bibliography: {why}{hint}")
        return None
    try:
        return json.loads(out)
    except json.JSONDecodeError as exc:
        report.error(path, 1, f"unreadable BibTeX bibliography: {exc}")
        return None


def citation_document(sources: list[str], nocite: list[str] | None = None) -> str:
    """The Markdown document handed to citeproc: one div per citation, then the refs.
    ``nocite``: keys listed in the bibliography though never cited (``*``: all)."""
    parts = ["---", "link-citations: true", "suppress-bibliography: false"]
    if nocite:
        parts.append("nocite: " + json.dumps(" ".join("@" + k for k in nocite)))
    parts += ["---", ""]
    for i, src in enumerate(sources):
        parts += [f"::: {{#cite-{i}}}", src, ":::", ""]
    parts += ["::: {#refs}", ":::", ""]
    return "\n".join(parts)


def csl_language(tag: str) -> str:
    """The language citeproc formats in: a bare language with its most likely region
    (CLDR's, through ICU: "hi" is hi-IN, "pt" pt-BR), since citeproc knows some of its
    locales by their region alone, and formatted a Hindi book's citations in English
    ("Calvin and Benson 1948" for "Calvin व Benson 1948"); any other tag as it is."""
    if not re.fullmatch(r"[A-Za-z]{2,3}", tag or ""):
        return tag
    import icu
    try:
        likely = icu.Locale(tag.lower())
        likely.addLikelySubtags()
    except icu.ICUError:
        return tag
    region = likely.getCountry()
    return f"{tag}-{region}" if region else tag


def format_citations(sources: list[str], references: list[dict], style: Style | Path,
                     lang: str, nocite: list[str] | None = None,
                     bibtex: str | None = None, semicolon: str | None = None) -> CitationSet:
    """Format every citation and the bibliography (the cited works and ``nocite``) with
    citeproc. ``bibtex``: the BibTeX text the references were read from, which citeproc
    then reads itself. ``semicolon``: the book's ``semicolon`` label (its language's
    by default).

    pandoc gets a self-contained style and runs in an empty folder of its own, which is
    also its data folder and resource path: it has nothing to fetch and nothing to find.
    Its locales are built in."""
    if isinstance(style, Path):
        style = _style(style, style.parent)
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        if bibtex is not None:
            bib = folder / "refs.bib"
            bib.write_text(bibtex, encoding="utf-8")
        else:
            bib = folder / "refs.json"
            bib.write_text(json.dumps(references, ensure_ascii=False), encoding="utf-8")
        csl = folder / "style.csl"
        csl.write_bytes(style.xml)
        out = _run_pandoc(["-f", "markdown", "-t", "html5", "--citeproc",
                           "--bibliography", bib.name, "--csl", csl.name,
                           "--data-dir", ".", "--resource-path", ".",
                           "-M", f"lang={csl_language(lang)}", "--wrap=none"],
                          citation_document(sources, nocite), cwd=folder)
    return _language_delimiters(_locators_kept(parse_citeproc_html(out, len(sources))),
                                lang, semicolon)


# a locator's or a number's short label before its number ("p. 236", "pp. 26–29",
# "S. 39", "vol. 4", "no. 3"): one to four letters and a full stop
LOCATOR_LABEL = re.compile(r"(?<![\w.])([^\W\d_]{1,4}\.) (?=\d)")


def _locators_kept(cites: CitationSet) -> CitationSet:
    """``cites`` with a no-break space after each short label of a number: the style
    writes "p. 236" with a space, and a line ended at "p." with the page on the next
    ("(Keynes, 1919, p." / "236)"); the builder joins them in the author's own text
    (pandoc's abbreviations), and an author cannot in what citeproc writes."""
    def kept(d: dict[str, str], entries: bool = False) -> dict[str, str]:
        # (in a bibliography's entry a capital alone is a name's initial before its
        # year, "Somebody, S. 1960", as often as German's page, "S. 39")
        return {i: LOCATOR_LABEL.sub(lambda m: m.group(0) if entries and len(m.group(1)) == 2
                                     and m.group(1)[0].isupper() else m.group(1) + "\u00a0",
                                     html) for i, html in d.items()}
    return CitationSet(kept(cites.rendered), kept(cites.bibliography, True), kept(cites.notes),
                       kept(cites.in_full, True))


# the semicolon between two works of one citation: after the link of the one before
# (every style's item is a link, ``link-citations``) and its locator, if it has one
ITEM_SEMICOLON = re.compile(r"(</a>[^<;]*);(?=\s)")


def _language_delimiters(cites: CitationSet, lang: str,
                         semicolon: str | None = None) -> CitationSet:
    """``cites`` with the semicolon between two works set as the book's language sets
    it (its ``semicolon`` label, or the book's own under ``labels:``): French puts a
    narrow no-break space before it, "(Lefebvre 1939 ; Furet et Richet 1965)", Greek
    writes "·"; the style's delimiter is "; " whatever the language. (A semicolon in a
    work's title is the work's.)"""
    from .labels import defaults
    language = defaults(lang)
    if semicolon is None:
        # the language's own: only the space French sets before it (an Arabic "؛"
        # would stand between two works cited left to right, as English ones are)
        own = str(language.get("semicolon", ";"))
        semicolon = own if own.endswith(";") else ";"
    # a language that sets a space before its colon (French) sets one before the
    # style's colons and semicolons too: "(1644 ; Vrin, 2009)", "(1784) : 481–94" (not
    # a title's, nor a web address's, "https://…", with no space after it)
    colon = str(language.get("colon", ":"))
    marks = {":": colon, ";": semicolon} if colon[:1] in "\u00a0\u202f " and \
        colon.endswith(":") and semicolon.endswith(";") else {}
    if semicolon == ";" and not marks:
        return cites

    def spaced(d: dict[str, str]) -> dict[str, str]:
        out = {}
        for i, html in d.items():
            if semicolon != ";":
                html = ITEM_SEMICOLON.sub(lambda m: m.group(1) + semicolon, html)
            if marks:
                html = _style_marks_spaced(html, marks)
            out[i] = html
        return out
    return CitationSet(spaced(cites.rendered), spaced(cites.bibliography) if marks else
                       cites.bibliography, spaced(cites.notes),
                       spaced(cites.in_full) if marks else cites.in_full)


# a colon or semicolon of the style's: after a year, a page, a bracket, with no space
# before it and one after it ("1644; Vrin", "4 (1784): 481–94")
STYLE_MARK = re.compile(r"(?<=[\d)\]])([:;])(?=\s)")
TAGS = re.compile(r"(<[^>]*>)")
TITLE_TAG = re.compile(r"<(/?)(?:em|i|cite)\b")
OPENING_QUOTES, CLOSING_QUOTES = "\u00ab\u201c\u201e", "\u00bb\u201d"   # (not ’, an apostrophe)


def _style_marks_spaced(html: str, marks: dict[str, str]) -> str:
    """The style's colons and semicolons in ``html`` (a citation or an entry) as
    ``marks`` writes them; not a title's, in italics or in quotation marks ("La
    Révolution; une histoire" is the work's)."""
    out, titled, quoted = [], 0, 0
    for piece in TAGS.split(html):
        tag = TITLE_TAG.match(piece)
        if tag:
            titled = max(0, titled + (-1 if tag.group(1) else 1))
        if piece.startswith("<"):
            out.append(piece)
            continue
        chars, at = [], 0
        for m in STYLE_MARK.finditer(piece):
            before = piece[at:m.start()]
            quoted = max(0, quoted + sum(before.count(q) for q in OPENING_QUOTES)
                         - sum(before.count(q) for q in CLOSING_QUOTES))
            chars.append(before)
            chars.append(m.group(1) if titled or quoted else marks[m.group(1)])
            at = m.end()
        rest = piece[at:]
        quoted = max(0, quoted + sum(rest.count(q) for q in OPENING_QUOTES)
                     - sum(rest.count(q) for q in CLOSING_QUOTES))
        out.append("".join(chars) + rest)
    return "".join(out)


def parse_citeproc_html(out: str, count: int) -> CitationSet:
    """citeproc's HTML back into citations and entries. With a note style, each
    citation's paragraph holds a footnote reference, and the note's text is at the end."""
    tree = lxml_html.fragment_fromstring(out, create_parent="div")
    result = CitationSet()
    for i in range(count):
        div = tree.find(f".//div[@id='cite-{i}']")
        para = div.find("p") if div is not None else None
        if para is None:
            result.rendered[str(i)] = ""
            continue
        for ref in para.xpath(".//a[contains(concat(' ', @class, ' '), ' footnote-ref ')]"):
            note = tree.xpath("//li[@id=$id]/p", id=ref.get("href", "").lstrip("#"))
            if note:
                for back in note[0].xpath(".//a[contains(@class, 'footnote-back')]"):
                    back.drop_tree()
                result.notes[str(i)] = _inner_html(note[0]).strip()
            ref.drop_tree()
        # what stays in the text: nothing for a bracketed citation in a note style
        result.rendered[str(i)] = _inner_html(para).strip() if para.text_content().strip() \
            else ""
    for entry in tree.iterfind(".//div[@class='csl-entry']"):
        key = entry.get("id", "").removeprefix("ref-")
        result.bibliography[key] = _inner_html(entry)
    return result


def _inner_html(el) -> str:
    from html import escape
    return escape(el.text or "", quote=False) + "".join(
        to_html(child) for child in el)
