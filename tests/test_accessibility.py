"""DAISY Ace on the EPUBs, and the accessibility claims the EPUB makes.

Ace (``@daisy/ace``, pinned in package.json; ``make test`` installs it with ``npm ci``)
runs axe-core in Debian's chromium over every content document and checks the package
metadata. Any critical, serious or moderate violation fails the test. Without Ace or
chromium the tests fail when ``CI`` is set and are skipped otherwise.
"""
from __future__ import annotations

import html
import json
import os
import shutil
import subprocess
import zipfile
from pathlib import Path

import pytest
from ebooklib import epub
from lxml import etree
from lxml import html as lxml_html

from conftest import MINI, ROOT, only, run_build
from studyguide.writers.epub import add_accessibility_metadata, name_boxes

ACE = ROOT / "node_modules" / ".bin" / "ace-puppeteer"
BLOCKING = ("critical", "serious", "moderate")
NS = {"opf": "http://www.idpf.org/2007/opf", "dc": "http://purl.org/dc/elements/1.1/",
      "x": "http://www.w3.org/1999/xhtml"}
XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"


def ace_and_chromium() -> tuple[Path, str]:
    """Ace's puppeteer runner and the chromium it drives; missing ones fail on CI."""
    chromium = os.environ.get("PUPPETEER_EXECUTABLE_PATH") or shutil.which("chromium")
    missing = []
    if not ACE.exists():
        missing.append(f"DAISY Ace ({ACE.relative_to(ROOT)}: run `make system-test`, "
                       "which installs it with npm ci)")
    if not shutil.which("node"):
        missing.append("Node.js (20 or later), which runs Ace")
    if not chromium:
        missing.append("chromium (Debian package `chromium`)")
    if missing:
        reason = "not installed: " + "; ".join(missing)
        if os.environ.get("CI"):
            pytest.fail(reason)
        pytest.skip(reason)
    return ACE, chromium


def run_ace(book: Path, out: Path) -> dict:
    """Ace's JSON report on one EPUB, run offline on Debian's chromium."""
    ace, chromium = ace_and_chromium()
    env = dict(os.environ, PUPPETEER_EXECUTABLE_PATH=chromium, PUPPETEER_SKIP_DOWNLOAD="1")
    result = subprocess.run([str(ace), "--silent", "--force", "--outdir", str(out), str(book)],
                            capture_output=True, text=True, timeout=900, env=env, cwd=out.parent)
    report = out / "report.json"
    assert result.returncode == 0 and report.exists(), \
        f"Ace did not finish (status {result.returncode}):\n{result.stdout}\n{result.stderr}"
    return json.loads(report.read_text(encoding="utf-8"))


def violations(report: dict) -> list[str]:
    """Every critical, serious or moderate violation Ace reports, one line each."""
    found = []
    for subject in report["assertions"]:
        for a in subject["assertions"]:
            test, result = a["earl:test"], a["earl:result"]
            if test["earl:impact"] in BLOCKING:
                where = result.get("earl:pointer", {}).get("css") or ""
                found.append(f"{subject['earl:testSubject']['url']}: {test['earl:impact']} "
                             f"{test['dct:title']}: {result['dct:description']} {where}".rstrip())
    return found


def assert_ace_passes(book: Path, out: Path) -> dict:
    report = run_ace(book, out)
    assert report["earl:assertedBy"]["doap:name"] == "DAISY Ace"
    problems = violations(report)
    assert not problems, "DAISY Ace:\n" + "\n".join(problems)
    # Ace loaded every chapter: their titles are in the headings it outlines
    headings = report["outlines"]["headings"]
    z = zipfile.ZipFile(book)
    for name in sorted(n for n in z.namelist() if n.startswith("EPUB/ch")):
        title = etree.fromstring(z.read(name)).xpath("//x:h1", namespaces=NS)[0]
        assert html.escape("".join(title.itertext()).strip(), quote=False) in headings, name
    return report


@pytest.fixture(scope="module")
def mini_epub(tmp_path_factory) -> Path:
    """The fixture book's EPUB (EPUBCheck has passed it: run_build checks every EPUB)."""
    out = tmp_path_factory.mktemp("a11y-mini")
    result = run_build("--content", str(MINI), "--output", str(out), "--format", "epub", "-q")
    assert result.returncode == 0, result.stderr
    return only(out, "*.epub")


def test_ace_passes_the_fixture_book(mini_epub, tmp_path):
    report = assert_ace_passes(mini_epub, tmp_path / "ace")
    # Ace finds the metadata the package declares, none of it empty
    metadata = report["a11y-metadata"]
    assert not metadata["empty"], metadata
    for prop in ("schema:accessMode", "schema:accessModeSufficient",
                 "schema:accessibilityFeature", "schema:accessibilityHazard",
                 "schema:accessibilitySummary"):
        assert prop in metadata["present"], prop
    assert "dcterms:conformsTo" not in metadata["present"]
    assert report["properties"]["hasPageBreaks"]


@pytest.mark.slow
def test_ace_passes_the_default_book(default_guide, tmp_path):
    assert_ace_passes(only(default_guide, "*.epub"), tmp_path / "ace")


def test_package_language_and_claims(mini_epub):
    opf = etree.fromstring(zipfile.ZipFile(mini_epub).read("EPUB/content.opf"))
    language = opf.xpath("//dc:language/text()", namespaces=NS)
    assert language == ["en-GB"]
    assert opf.get(XML_LANG) == "en-GB"

    def meta(prop):
        return opf.xpath(f'//opf:meta[@property="{prop}"]/text()', namespaces=NS)

    # automated checks cover part of WCAG only: the book claims no conformance and no
    # certification, and its summary says what was checked and that no person reviewed it
    assert not meta("dcterms:conformsTo")
    assert not meta("a11y:certifiedBy") and not meta("a11y:certifierReport")
    [summary] = meta("schema:accessibilitySummary")
    for checked in ("DAISY Ace", "EPUBCheck", "no person has reviewed",
                    "claims no WCAG conformance"):
        assert checked in summary
    assert {"index", "printPageNumbers", "pageBreakMarkers"} <= set(
        meta("schema:accessibilityFeature"))


@pytest.mark.parametrize("page_numbers, index", [(False, False), (True, False), (False, True)])
def test_features_claimed_only_when_present(page_numbers, index):
    book = epub.EpubBook()
    add_accessibility_metadata(book, page_numbers=page_numbers, index=index)
    metas = book.get_metadata(None, "meta")
    features = {value for value, attrs in metas
                if attrs.get("property") == "schema:accessibilityFeature"}
    [summary] = [value for value, attrs in metas
                 if attrs.get("property") == "schema:accessibilitySummary"]
    assert ("printPageNumbers" in features) == page_numbers
    assert ("pageBreakMarkers" in features) == page_numbers
    assert ("print page numbers" in summary) == page_numbers
    assert ("index" in features) == index
    assert ("an index" in summary) == index
    assert {"structuralNavigation", "tableOfContents", "alternativeText"} <= features


def test_every_box_has_a_name():
    tree = lxml_html.fragment_fromstring(
        '<section role="doc-chapter">'
        '<aside class="box sidebar"><p class="box-title" id="t1">Source check</p><p>a</p></aside>'
        '<aside class="box sidebar"><p>untitled</p></aside>'
        '<aside class="box exercise"><p>untitled too</p></aside>'
        '<aside class="key-terms" aria-labelledby="kt"><p>not a box</p></aside></section>')
    name_boxes(tree)
    names = [(a.get("aria-labelledby"), a.get("aria-label")) for a in tree.iter("aside")]
    assert names == [("t1", None), (None, "Sidebar 1"), (None, "Exercise 2"), ("kt", None)]


def test_a_header_of_only_a_formula_is_not_empty(tmp_path):
    """A comparison table's row heading of nothing but a formula (``$K_a$``) was an
    empty header to Ace (``empty-table-header``): axe reads no ``alttext``. The formula
    is named with its plain text, its MathML kept for the reader to set and voice."""
    book = tmp_path / "book"
    shutil.copytree(MINI, book)
    tables = book / "tables" / "tables.yaml"
    tables.write_text(tables.read_text(encoding="utf-8").replace(
        "    - [Leader, Ada Writer, Bea Critic]\n",
        "    - [Leader, Ada Writer, Bea Critic]\n    - ['$K_a$', large, small]\n", 1),
        encoding="utf-8")
    out = tmp_path / "out"
    result = run_build("--content", str(book), "--output", str(out), "--format", "epub", "-q")
    assert result.returncode == 0, result.stderr
    report = run_ace(only(out, "*.epub"), tmp_path / "ace")
    found = [a["earl:test"]["dct:title"] for subject in report["assertions"]
             for a in subject["assertions"]]
    assert "empty-table-header" not in found, found
    page = etree.fromstring(zipfile.ZipFile(only(out, "*.epub")).read("EPUB/ch01.xhtml"))
    [formula] = page.xpath('//x:th[@scope="row"]/m:math', namespaces=dict(
        NS, m="http://www.w3.org/1998/Math/MathML"))
    assert formula.get("aria-label") == "Ka" and formula.get("aria-hidden") is None
    assert "".join(formula.itertext()) == "Ka" and formula.get("alttext") == "K_a"
