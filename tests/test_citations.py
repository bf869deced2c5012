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


def pandoc_reference(markdown: str, refs: list[dict], tmp_path: Path) -> tuple[list[str], dict]:
    """What pandoc itself makes of a document: its citations in order, its entries."""
    bib = tmp_path / "refs.json"
    bib.write_text(json.dumps(refs))
    out = subprocess.run([pandoc_path(), "-f", "markdown", "-t", "html5", "--citeproc",
                          "--bibliography", str(bib), "--csl", str(CSL),
                          "-M", "lang=en-GB", "--wrap=none"],
                         input=("---\nnocite: '@*'\n---\n\n" + markdown).encode(),
                         capture_output=True, check=True).stdout.decode()
    tree = lxml_html.fragment_fromstring(out, create_parent="div")
    cites = [re.sub(r"\s+", " ", s.text_content()).strip()
             for s in tree.xpath('//span[@class="citation"]')]
    entries = {e.get("id")[4:]: re.sub(r"\s+", " ", e.text_content()).strip()
               for e in tree.xpath('//div[@class="csl-entry"]')}
    return cites, entries


def ours(markdown: str, refs: list[dict]) -> tuple[list[str], dict]:
    sources = [c.source for _, _, c in find_citations(markdown)]
    result = format_citations(sources, refs, CSL, "en-GB")
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
    report = Reporter(TRICKY)      # the folder the bibliography is read from (its "book")
    refs, lines = load_references(TRICKY / "tricky.bib", report)
    assert not report.diagnostics
    assert lines["trotsky1937"] == 11 and lines["corp1938"] == 33
    md = "[@trotsky1930a; @trotsky1930b] [@trotsky1937] [@chapter1990] [@web2018] [@corp1938]"
    want_cites, want_entries = pandoc_reference(md, refs, tmp_path)
    assert ours(md, refs) == (want_cites, want_entries)


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
