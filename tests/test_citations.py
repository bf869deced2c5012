"""Citations and bibliography: read the same, text for text, as pandoc's citeproc."""
from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path

import pytest
from lxml import html as lxml_html

from conftest import CONTENT, FIXTURES
from studyguide import paths
from studyguide.citations import find_citations, format_citations, pandoc_path
from studyguide.errors import Reporter
from studyguide.loader import load_references

CSL = paths.CSL_DIR / "chicago-author-date.csl"
TRICKY = FIXTURES / "citations"


def text(fragment: str) -> str:
    if not fragment.strip():
        return ""
    return re.sub(r"\s+", " ", lxml_html.fragment_fromstring(fragment, create_parent="div")
                  .text_content()).strip()


def pandoc_reference(markdown: str, refs: list[dict] | Path, tmp_path: Path,
                     csl: Path = CSL, nocite: str = "") -> tuple[list[str], dict]:
    """What pandoc itself makes of a document: its citations in order, its entries.
    ``refs``: CSL-JSON items, or a bibliography file pandoc reads itself."""
    bib = refs if isinstance(refs, Path) else tmp_path / "refs.json"
    if not isinstance(refs, Path):
        bib.write_text(json.dumps(refs))
    head = f"---\nnocite: '{nocite}'\n---\n\n" if nocite else ""
    out = subprocess.run([pandoc_path(), "-f", "markdown", "-t", "html5", "--citeproc",
                          "--bibliography", str(bib), "--csl", str(csl),
                          "-M", "lang=en-GB", "--wrap=none"],
                         input=(head + markdown).encode(),
                         capture_output=True, check=True).stdout.decode()
    tree = lxml_html.fragment_fromstring(out, create_parent="div")
    cites = [re.sub(r"\s+", " ", s.text_content()).strip()
             for s in tree.xpath('//span[@class="citation"]')]
    entries = {e.get("id")[4:]: re.sub(r"\s+", " ", e.text_content()).strip()
               for e in tree.xpath('//div[@class="csl-entry"]')}
    return cites, entries


def ours(markdown: str, refs: list[dict], csl: Path = CSL, nocite: list[str] | None = None,
         bibtex: str | None = None) -> tuple[list[str], dict]:
    sources = [c.source for _, _, c in find_citations(markdown)]
    result = format_citations(sources, refs, csl, "en-GB", nocite, bibtex)
    return ([text(result.rendered[str(i)]) for i in range(len(sources))],
            {k: text(v) for k, v in result.bibliography.items()})


def test_finds_every_pandoc_citation_form():
    found = [c.source for _, _, c in find_citations(
        "A [@a] b [@b, p. 3; @c] c @d says, [-@e] and @f [p. 9]. Not [a link](#x), not [^1], "
        "not mail@example.org, not `@code`. [see @g, ch. 2]")]
    assert found == ["[@a]", "[@b, p. 3; @c]", "@d", "[-@e]", "@f [p. 9]", "[see @g, ch. 2]"]


def test_tricky_bibliography_matches_pandoc(tmp_path):
    refs = json.loads((TRICKY / "tricky.json").read_text())
    md = (TRICKY / "tricky.md").read_text()
    want_cites, want_entries = pandoc_reference(md, refs, tmp_path)
    got_cites, got_entries = ours(md, refs)
    assert got_cites == want_cites
    assert got_entries == want_entries
    # the tricky cases really are there
    # same author, same year: told apart by letters, in the style's order (by title)
    assert "(Trotsky 1930b, 1930a)" in got_cites
    assert "Translated by Max Eastman" in got_entries["trotsky1937"]
    assert got_entries["corp1938"].startswith("Fourth International")


def test_bibtex_bibliography_is_read(tmp_path):
    report = Reporter(tmp_path)
    refs, lines = load_references(TRICKY / "tricky.bib", report)
    assert not report.diagnostics
    assert lines["trotsky1937"] == 11 and lines["corp1938"] == 33
    md = "[@trotsky1930a; @trotsky1930b] [@trotsky1937] [@chapter1990] [@web2018] [@corp1938]"
    # as pandoc prints the .bib file itself
    want_cites, want_entries = pandoc_reference(md, TRICKY / "tricky.bib", tmp_path)
    bibtex = (TRICKY / "tricky.bib").read_text()
    assert ours(md, refs, bibtex=bibtex) == (want_cites, want_entries)
    assert "Paris" in want_entries["corp1938"]
    assert len(want_entries) == 6


TEX_BIB = r"""@article{co2,
  author = {M{\"u}ller, J{\'e}r{\^o}me},
  title = {Rising {CO$_2$} and the \emph{Polar} ice of {\AA}lesund},
  journal = {Na{\ss}e Zeitschrift},
  year = {2001}
}
"""


def test_bibtex_tex_prints_as_pandoc_prints_it(tmp_path):
    bib = tmp_path / "tex.bib"
    bib.write_text(TEX_BIB)
    report = Reporter(tmp_path)
    refs, _ = load_references(bib, report)
    assert not report.diagnostics
    sources = ["[@co2]"]
    result = format_citations(sources, refs, CSL, "en-GB", bibtex=TEX_BIB)
    entry = result.bibliography["co2"]
    # CO₂ with a real subscript, the emphasis, the accented letters: no TeX left
    assert "CO<span class=\"math inline\"><sub>2</sub></span>" in entry
    assert "<em>Polar</em>" in entry and "Müller, Jérôme" in entry
    assert "Ålesund" in text(entry) and "Naße" in text(entry)
    assert not re.search(r"[$\\{}]", entry)
    want_cites, want_entries = pandoc_reference("[@co2]", bib, tmp_path)
    assert (text(result.rendered["0"]), text(entry)) == (want_cites[0], want_entries["co2"])


def test_bibtex_string_bomb_is_an_error_in_bounded_memory_and_time(tmp_path):
    # under 1 kB: 30 @string macros, each four times the last, then a title that uses
    # the last (8 * 4**29 characters, about 2.3 EB)
    lines = ['@string{a0="xxxxxxxx"}']
    lines += [f"@string{{a{i}=a{i - 1}#a{i - 1}#a{i - 1}#a{i - 1}}}" for i in range(1, 30)]
    lines += ["@book{bomb, title=a29, author={Bomb, A.}, year=2000}"]
    bomb = "\n".join(["% a BibTeX bomb", *lines, ""])
    bib = tmp_path / "bomb.bib"
    bib.write_text(bomb)
    assert len(bomb.encode()) < 1024
    import resource
    import time
    start = time.monotonic()
    report = Reporter(tmp_path)
    refs, _ = load_references(bib, report)
    assert time.monotonic() - start < 30
    assert refs == []
    [problem] = report.diagnostics
    assert problem.severity == "error" and problem.line == 2      # the first @string
    assert "memory" in problem.message and "@string" in problem.message
    # pandoc's peak, in kB: its heap limit (512 MB) and little more
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    assert peak < 800_000


@pytest.mark.parametrize("chapter", sorted((CONTENT / "chapters").glob("*.md")),
                         ids=lambda p: p.stem)
def test_default_book_citations_match_pandoc(chapter, tmp_path):
    refs = json.loads((CONTENT / "references.json").read_text())
    raw = chapter.read_text()
    body = raw[raw.index("---", 3) + 3:]
    want_cites, want_entries = pandoc_reference(body, refs, tmp_path)
    got_cites, got_entries = ours(body, refs)
    # pandoc moves footnotes (and their citations) to the end, so compare as multisets
    assert sorted(got_cites) == sorted(want_cites)
    assert got_entries == want_entries
