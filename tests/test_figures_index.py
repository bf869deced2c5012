"""Generated figures that scale with the screen, and an index a reader can use."""
from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest
from lxml import etree
from pypdf import PdfReader

from conftest import CONTENT, MINI, add_to_chapter, only, run_build
from studyguide import figures
from studyguide.errors import Reporter
from studyguide.index import locators
from studyguide.loader import load_book
from studyguide.resolve import _sort_key, render_book

SVG = {"s": "http://www.w3.org/2000/svg"}
GENERIC = {"serif", "sans-serif", "monospace"}


def render(root: Path):
    report = Reporter(root)
    book = load_book(root, report)
    assert book is not None, report.errors
    return render_book(book, report), report


@pytest.fixture(scope="module")
def default():
    rb, report = render(CONTENT)
    mine = [d for d in report.errors + report.warnings if "data/" in str(d.path)]
    assert not report.errors and not mine, report.errors + mine
    return rb


def svg_of(rb, name: str):
    return etree.fromstring(rb.figures[name].encode())


def number(value: str) -> float:
    return float(re.match(r"[\d.]+", value).group())


# -- figures ------------------------------------------------------------------------------
@pytest.mark.parametrize("name", ["timeline", "strategies"])
def test_figures_scale_and_name_no_font_the_epub_lacks(default, name):
    svg = svg_of(default, name)
    # a viewBox and no size of their own: they take the width they are given
    x, y, width, height = (float(v) for v in svg.get("viewBox").split())
    assert width > 0 and height > 0
    assert svg.get("width") is None and svg.get("height") is None
    # every text is 12 px or more when the figure is shown 600 px wide
    sizes = [number(t.get("font-size")) for t in svg.iterfind(".//s:text", SVG)]
    assert sizes and min(sizes) * 600 / width >= 12, (min(sizes), width)
    # fonts: generic families only
    families = {f.strip().strip("'\"") for el in svg.iter() if el.get("font-family")
                for f in el.get("font-family").split(",")}
    assert families and families <= GENERIC, families


def test_print_draws_the_figures_in_the_theme_font(default):
    printed = figures.for_print(default.figures["timeline"])
    assert "Linux Biolinum O" in printed
    assert "Linux Biolinum" not in default.figures["timeline"]


def test_strategy_rows_are_labelled_equal_and_aligned(default):
    svg = svg_of(default, "strategies")
    rows = svg.xpath(".//s:rect[@class='row']", namespaces=SVG)
    assert len(rows) == 5
    heights = {r.get("height") for r in rows}
    assert len(heights) == 1, heights                    # rows of equal height
    texts = [("".join(t.itertext()), float(t.get("x")), float(t.get("y")))
             for t in svg.iterfind(".//s:text", SVG)]
    labels = ["Starting point", "Who leads", "Economic policy", "World revolution",
              "Promised outcome"]
    for row, label in zip(rows, labels):
        top, bottom = float(row.get("y")), float(row.get("y")) + float(row.get("height"))
        inside = [(text, x) for text, x, y in texts if top < y < bottom]
        # the label at the left, then a step of each column, all within the row
        left = " ".join(t for t, x in inside if x < 120)
        assert left.replace("  ", " ") == label or label.replace(" ", "") == \
            left.replace(" ", ""), (label, inside)
        assert any(x > 300 for _, x in inside) and any(120 < x < 360 for _, x in inside)
    # the steps read across: row 4 holds both columns' fourth steps
    top = float(rows[3].get("y"))
    row4 = " ".join(t for t, x, y in texts if top < y < top + float(rows[3].get("height")))
    assert "Spread revolution" in row4 and "world" in row4


def test_timeline_is_drawn_to_scale_with_breaks(default):
    book = default.book
    shown = [book.timeline[i] for i in figures.timeline_events(book)]
    svg = svg_of(default, "timeline")
    dots = [float(c.get("cy")) for c in svg.xpath(".//s:circle[@class='event']",
                                                    namespaces=SVG)]
    assert len(dots) == len(shown)
    runs = figures.segments(shown)
    assert [len(r) for r in runs] == [2, 15, 1]          # breaks: 1850–1906, 1940–1991
    # within a run, distance on the axis is proportional to time
    scale = None
    for run in runs:
        for a, b in zip(run, run[1:]):
            years = figures.when(shown[b].date) - figures.when(shown[a].date)
            ratio = (dots[b] - dots[a]) / years
            scale = scale or ratio
            assert ratio == pytest.approx(scale, rel=0.02), (shown[a].date, shown[b].date)
    # a break is marked for each gap: a double slash across the axis
    assert len(svg.xpath(".//s:path[contains(@d, 'l20 -8')]", namespaces=SVG)) == 2
    # book titles in italics
    italic = svg.xpath(".//s:tspan[@font-style='italic']/text()", namespaces=SVG)
    assert {"Communist Manifesto", "Results and Prospects",
            "The Revolution Betrayed"} <= set(italic)


def test_when_is_the_middle_of_the_period_a_date_names():
    assert figures.when("1917") == pytest.approx(1917.5)
    assert figures.when("1917-11") == pytest.approx(1917 + (304 + 334) / 2 / 365)
    assert figures.when("1924-01-21") == pytest.approx(1924 + 20.5 / 366)
    assert figures.when("0000-12") == pytest.approx(0 + (335 + 366) / 2 / 366)   # a leap year


def test_a_year_alone_stands_at_its_middle_in_the_chronology_and_the_figure(book_copy):
    """A year written alone stands at the middle of its year, in the chronology as in the
    figure, whatever the file's order: after January, before September. The figure's
    labels follow their dots down the axis, and no two leader lines cross."""
    (book_copy / "data" / "timeline.yaml").write_text(
        "- {date: 1909, event: Sørensen introduces the pH scale., key: true}\n"
        "- {date: 1923-09, event: A September event., key: true}\n"
        "- {date: 1923-01, event: Lowry publishes his paper., key: true}\n"
        "- {date: 1923, event: Brønsted publishes his definition., key: true}\n",
        encoding="utf-8")
    rb, report = render(book_copy)
    assert not report.errors, report.errors
    order = ["1909", "January 1923", "1923", "September 1923"]
    assert [e["date"] for e in rb.timeline] == order
    svg = svg_of(rb, "timeline")
    # each leader runs from its dot (its first point) to its label (its last)
    leaders = [[float(v) for v in re.findall(r"[\d.]+", p.get("d"))]
               for p in svg.iterfind(".//s:path[@class='leader']", SVG)]
    dots, labels = [d[1] for d in leaders], [d[-1] for d in leaders]
    assert dots == sorted(dots) and labels == sorted(labels), leaders
    dates = [t.text for t in svg.iterfind(".//s:text/s:tspan[@font-weight='bold']", SVG)]
    assert dates == order


def test_a_year_before_1000_is_read_and_printed_without_zeros(book_copy):
    """A year of fewer than four digits is a year (``date: 762``), and so is ISO's
    ``"0762"``; both are printed as 762 in the chronology and on the figure, whose
    labels printed "0762". Unquoted, 0762 is YAML's octal number 498: an error that
    says to quote it, not a year 498."""
    (book_copy / "data" / "timeline.yaml").write_text(
        "- {date: 762, event: Baghdad is founded., key: true}\n"
        "- {date: \"0813\", event: Al-Ma'mun becomes caliph., key: true}\n"
        "- {date: 0830-05, event: A month., key: true}\n"
        "- {date: 1258, event: Baghdad falls., key: true}\n", encoding="utf-8")
    rb, report = render(book_copy)
    assert not report.errors, report.errors
    order = ["762", "813", "May 830", "1258"]
    assert [e["date"] for e in rb.timeline] == order
    svg = svg_of(rb, "timeline")
    dates = [t.text for t in svg.iterfind(".//s:text/s:tspan[@font-weight='bold']", SVG)]
    assert dates == order
    (book_copy / "data" / "timeline.yaml").write_text(
        "- {date: 762, event: Baghdad is founded.}\n- {date: 0762, event: Again.}\n",
        encoding="utf-8")
    report = Reporter(book_copy)
    load_book(book_copy, report)
    assert [(d.line, d.message) for d in report.errors] == [
        (2, "date 0762 is read by YAML as the octal number 498: quote a year with a "
            "leading zero (\"0762\") or write it without (762)")], report.errors


def test_chronology_is_a_two_column_table(default):
    from studyguide import theme
    env = theme.environment()
    html = str(env.get_template("shared/apparatus.html").module.timeline(default))
    tree = etree.fromstring(html.encode(), etree.HTMLParser())
    rows = tree.xpath("//table[@class='chronology']/tbody/tr")
    assert len(rows) == len(default.book.timeline)
    assert all(len(r) == 2 and r[0].tag == "th" and r[1].tag == "td" for r in rows)


# -- the index ------------------------------------------------------------------------------
def test_locators_gather_pages_into_ranges():
    refs = [("ch01", f"a{i}") for i in range(8)]
    pages = {"a0": "3", "a1": "3", "a2": "4", "a3": "5", "a4": "9", "a5": "11", "a6": "12",
             "a7": "12"}
    got = locators(refs, pages)
    assert [(l["anchor"], l["to"]) for l in got] == [
        ("a0", ("ch01", "a3")), ("a4", None), ("a5", ("ch01", "a6"))]     # 3–5, 9, 11–12
    # without pages: the first mention in each part
    assert [l["anchor"] for l in locators(refs[:3] + [("ch02", "b")], {})] == ["a0", "b"]


def test_default_index_is_full(default):
    index = {e["term"]: e for e in default.index}
    assert len(index) >= 300
    for heading in ("Fourteenth Party Conference (1925)", "Results and Prospects (Trotsky, 1906)",
                    "April Theses", "China", "Germany", "Spain"):
        assert index[heading]["refs"] or index[heading]["subs"], heading
    # every mention, not only the first in each chapter
    trotsky = index["Trotsky, Leon"]["refs"]
    assert len(trotsky) > 3 * len({d for d, _ in trotsky})
    china = {s["term"]: s["refs"] for s in index["China"]["subs"]}
    assert {"Shanghai massacre (1927)", "Communist Party (CCP)"} <= set(china)
    assert all(china.values())
    assert [s["term"] for s in index["Spain"]["subs"]] == sorted(
        (s["term"] for s in index["Spain"]["subs"]), key=_sort_key)
    assert [t["term"] for t in index["Guomindang"]["see"]] == ["Kuomintang"]
    assert "Permanent revolution" in [t["term"] for t in
                                      index["Results and Prospects (Trotsky, 1906)"]["see_also"]]
    # works print in italics
    assert index["Results and Prospects (Trotsky, 1906)"]["html"].startswith(
        "<em>Results and Prospects</em>")
    # every locator leads to a mark in the book's HTML
    html = "".join(d.body_html for d in default.docs + default.back) + \
        "".join(e["event"] for e in default.timeline) + "".join(p["bio"] for p in default.people) + \
        "".join(f'id="{p["id"]}"' for p in default.people)     # each figure's own entry
    for doc, anchor in trotsky:
        assert f'id="{anchor}"' in html, anchor


def test_index_is_in_the_order_of_the_collation_german(book_copy):
    words = ["Zoo", "Ärger", "Öl", "Apfel", "ober", "Straße", "Strasse", "Ober", "Ähre", "Abend"]
    (book_copy / "data" / "index.yaml").write_text(
        "".join(f"- heading: {w}\n" for w in words), encoding="utf-8")
    ch = book_copy / "chapters" / "01-first.md"
    ch.write_text(ch.read_text() + "\n\n" + " ".join(words) + ".\n")
    (book_copy / "book.yaml").write_text(
        (book_copy / "book.yaml").read_text().replace("language: en", "language: de"))
    rb, report = render(book_copy)
    assert not report.errors, report.errors
    order = [e["term"] for e in rb.index if e["term"] in words]
    # DIN 5007-1 (the CLDR root order German uses): umlauts with their base letter,
    # ß as ss, lower case before upper case
    assert order == ["Abend", "Ähre", "Apfel", "Ärger", "ober", "Ober", "Öl", "Strasse",
                     "Straße", "Zoo"]


def in_language(book: Path, language: str, words: list[str]) -> tuple[list[str], list[str]]:
    """The order of the index and of the glossary of the fixture book in ``language``,
    with ``words`` as glossary terms mentioned in its first chapter."""
    glossary = book / "data" / "glossary.yaml"
    glossary.write_text(glossary.read_text(encoding="utf-8") + "".join(
        f"- term: {w}\n  definition: The word {w}.\n" for w in words), encoding="utf-8")
    ch = book / "chapters" / "01-first.md"
    ch.write_text(ch.read_text(encoding="utf-8") + "\n\n" + ", ".join(words) + ".\n",
                  encoding="utf-8")
    yaml = book / "book.yaml"
    yaml.write_text(yaml.read_text(encoding="utf-8").replace(
        "language: en-GB", f"language: {language}"), encoding="utf-8")
    rb, report = render(book)
    assert not report.errors, report.errors
    return ([e["term"] for e in rb.index if e["term"] in words],
            [g["term"] for g in rb.glossary if g["term"] in words])


@pytest.mark.parametrize("language, order", [
    # Polish: ć, ł, ś, ź, ż letters of their own, after c, l, s, z (ź before ż)
    ("pl", ["Cel", "Ćwiczenie", "Lakmus", "Lód", "Łaźnia", "Ług", "Sól", "Stała",
            "Ślepa próba", "Zasada", "Źródło", "Żółcień"]),
    # Swedish: å, ä, ö after z
    ("sv-SE", ["Apa", "Oxe", "Zebra", "Ångest", "Åtta", "Ärlig", "Ödla", "Öra"]),
    # Spanish: ñ after n; ch is c followed by h
    ("es", ["Chico", "Cosa", "Nube", "Número", "Ñandú", "Oro"]),
    # English: the root order, the letters with their base letter
    ("en-GB", ["Ångest", "Apa", "Ärlig", "Åtta", "Cel", "Ćwiczenie", "Łaźnia", "Lód", "Ług",
               "Ñandú", "Nube", "Ödla", "Öra", "Oxe", "Zebra"]),
])
def test_index_and_glossary_follow_the_books_language(book_copy, language, order):
    index, glossary = in_language(book_copy, language, sorted(order))
    assert index == order
    assert glossary == order


def test_an_english_index_keeps_its_order(default):
    """Runs of the default guide's index, in the order the root collation gives them:
    quotes, punctuation, accents and case come after the letters."""
    terms = [e["term"] for e in default.index]
    for run in (["Communist Manifesto (Marx and Engels, 1848)",
                 "\u201cConcerning Questions of Leninism\u201d (Stalin, 1926)",
                 "Condition of the Working Class in England, The (Engels)"],
                ["\u201cDeflected Permanent Revolution\u201d (Cliff)", "Deformed workers' state",
                 "Degenerated workers' state"],
                ["Foundations of Leninism, The (Stalin, 1924)", "Fourteenth Party Conference (1925)",
                 "Fourteenth Party Congress (1925)"],
                ["Lenin enrolment", "Lenin, Vladimir Ilyich", "Lenin's Testament", "Leningrad"],
                ["Literary discussion (1924)", "London", "L\u00f6wy, Michael", "Luxemburg, Rosa"],
                ["Marx, Karl", "Marxism\u2013Leninism", "Maximum and minimum programmes"]):
        start = terms.index(run[0])
        assert terms[start:start + len(run)] == run


def test_index_data_errors_name_file_and_line(book_copy):
    """Each error at its own line: a "see" or "see also" to no heading at that key's
    line (it was the entry's heading's), with the heading it most likely means."""
    (book_copy / "data" / "index.yaml").write_text(
        "- heading: Alpha\n  colour: red\n"
        "- heading: Beta\n  see: Nowhere\n"
        "- heading: Gamma\n  forms: Gamma\n"
        "- forms: [x]\n"
        "- heading: Delta\n  forms: [Delta]\n  see_also: [Betta]\n", encoding="utf-8")
    _, report = render(book_copy)
    found = sorted((d.line, d.message) for d in report.errors)
    assert [line for line, _ in found] == [2, 4, 6, 7, 10], found
    assert "unknown key 'colour'" in found[0][1]
    assert "'Nowhere' is no index heading" in found[1][1]
    assert "'forms' must be a list" in found[2][1]
    assert "'heading'" in found[3][1]
    assert found[4][1].endswith("did you mean 'Beta'?"), found[4]


def test_unmentioned_index_entry_is_a_warning(book_copy):
    (book_copy / "data" / "index.yaml").write_text("- heading: Nowhere at all\n")
    _, report = render(book_copy)
    assert [(d.line, d.message) for d in report.warnings if "index" in str(d.path)] == [
        (1, "index entry 'Nowhere at all' is mentioned nowhere in the book; it is left out")]


def test_an_unmentioned_subentry_is_reported_at_its_own_line(book_copy):
    """A subentry nothing mentions is reported at its line, block or flow style, not
    at its entry's."""
    (book_copy / "data" / "index.yaml").write_text(
        "- heading: Beta theory\n  subentries:\n    - heading: Nowhere one\n"
        "    - heading: In practice\n      forms: [practice]\n"
        "    - heading: Nowhere two\n      forms: [nowhere two]\n"
        "- {heading: Alpha doctrine, subentries: [{heading: First, forms: [came first]},\n"
        "    {heading: Nowhere three}]}\n", encoding="utf-8")
    _, report = render(book_copy)
    assert [(d.line, d.message.split(" of ")[0]) for d in report.warnings
            if "index" in str(d.path)] == [(3, "index subentry 'Nowhere one'"),
                                           (6, "index subentry 'Nowhere two'"),
                                           (9, "index subentry 'Nowhere three'")]


def test_verse_is_indexed_and_linked_as_a_paragraph_is(book_copy):
    """A line block (quoted verse, a literature guide's main text) is running text: a
    form that stands only in one, at the top level, in a block quote or in an epigraph,
    is indexed, and a glossary term's first use in it is its link. Only a line block
    in a list item was read: an entry quoted in verse was "mentioned nowhere"."""
    (book_copy / "data" / "index.yaml").write_text(
        "- {heading: Peter I, forms: [Peter the Great]}\n"
        "- {heading: Arzrum, forms: [Arzrum]}\n"
        "- {heading: Neva, forms: [the Neva]}\n", encoding="utf-8")
    chapter = book_copy / "chapters" / "01-first.md"       # before any other use
    chapter.write_text(chapter.read_text(encoding="utf-8").replace(
        "## Where alpha began {#sec-alpha}\n",
        "::: {.epigraph}\n| Peter the Great, a man who is a history!\n| (Journey to Arzrum)\n"
        ":::\n\n## Where alpha began {#sec-alpha}\n\n| The Alpha doctrine, sung\n"
        "|     in verse.\n\n> | Along the Neva, a line\n> | of the Neva's own.\n", 1),
        encoding="utf-8")
    report = Reporter(book_copy)
    rb = render_book(load_book(book_copy, report), report)
    assert not report.warnings and not report.errors, report.diagnostics
    headings = {e["term"] for e in rb.index}
    assert {"Peter I", "Arzrum", "Neva"} <= headings, headings
    [doc] = [d for d in rb.docs if d.id == "ch01"]
    body = etree.HTML(doc.body_html)
    [verse, quoted] = body.xpath('//div[@class="line-block"]')
    assert verse.xpath('a[@class="gloss"]/text()') == ["Alpha doctrine"]
    assert quoted.xpath('span[@class="index-term"]/text()') == ["the Neva", "the Neva"]
    epigraph = etree.HTML(doc.epigraph_html)
    assert epigraph.xpath('//div[@class="line-block"]/span[@class="index-term"]/text()') == [
        "Peter the Great", "Arzrum"]


@pytest.fixture(scope="module")
def indexed_build(tmp_path_factory) -> Path:
    """The fixture book with an index of its own: subentries, see also, a range."""
    root = tmp_path_factory.mktemp("indexed") / "book"
    shutil.copytree(MINI, root)
    (root / "data" / "index.yaml").write_text(
        "- heading: Alpha doctrine\n  see_also: [Beta theory]\n  subentries:\n"
        "    - {heading: its critics, forms: [critics of alpha]}\n"
        "- {heading: Doctrines, see: Alpha doctrine}\n", encoding="utf-8")
    ch = root / "chapters" / "01-first.md"
    ch.write_text(ch.read_text() + "\n\nThe critics of alpha spoke.\n")
    out = tmp_path_factory.mktemp("indexed-out")
    result = run_build("--content", str(root), "--output", str(out), "-q", "--format", "pdf",
                       "--edition", "student", "--no-handouts")
    assert result.returncode == 0, result.stderr
    return out


def test_printed_index_has_subentries_ranges_and_cross_references(indexed_build):
    pages = [p.extract_text() or "" for p in
             PdfReader(only(indexed_build, "*-student-a4.pdf")).pages]
    start = next(i for i, p in enumerate(pages) if p.lstrip().startswith("Index"))
    index = "\n".join(pages[start:])
    body_start = next(i for i, t in enumerate(pages) if "CHAPTER 1" in t)
    line = next(l for l in index.splitlines() if l.startswith("Alpha doctrine"))
    # locators: single pages and ranges, each pointing at a page that names the term
    found = re.findall(r"(\d+)(?:–(\d+))?", line)
    assert found, line
    for first, last in found:
        for page in range(int(first), int(last or first) + 1):
            text = re.sub(r"[\u00ad-]\s*\n\s*", "", pages[body_start + page - 1])
            assert "alpha doctrine" in " ".join(text.lower().split()), (page, line)
    flat = " ".join(index.split())          # an entry may wrap in the narrow column
    assert "See also Beta theory" in flat
    assert re.search(r"its critics \d+", flat)
    assert "Doctrines. See Alpha doctrine" in flat


@pytest.mark.parametrize("relative", [False, True], ids=["absolute", "relative"])
def test_a_broken_glossary_does_not_make_the_index_report_its_terms(book_copy, monkeypatch,
                                                                    relative):
    """The glossary's terms are index headings; with glossary.yaml in error they are
    unknown, and a "see" to one would only repeat its error. Whatever the folder is
    named by (``studyguide check my-book`` from its parent: the error's path is written
    relative, and it was not found among the errors)."""
    (book_copy / "data" / "index.yaml").write_text(
        "- heading: Doctrine\n  see: Alpha doctrine\n", encoding="utf-8")
    _, report = render(book_copy)
    assert not report.errors, report.errors
    glossary = book_copy / "data" / "glossary.yaml"
    glossary.write_text(glossary.read_text(encoding="utf-8") + "- term: [unclosed\n",
                        encoding="utf-8")
    from studyguide.errors import Reporter
    from studyguide.loader import load_book
    if relative:
        monkeypatch.chdir(book_copy.parent)
    folder = Path(book_copy.name) if relative else book_copy
    report = Reporter(folder)
    load_book(folder, report)
    assert report.errors and all(d.path.endswith("glossary.yaml") for d in report.errors), \
        [str(d) for d in report.errors]


def test_a_subentry_that_opens_a_column_is_headed_by_its_entry(book_copy, tmp_path):
    """In print, an entry whose subentries run on into the next column (or page) repeats
    its heading there, "Kraft (continued)", as a professional index does: a subentry
    opened a column alone, its heading at the foot of the column before. A short
    entry is kept whole (its heading with its first two subentries, its last two
    together)."""
    from conftest import add_to_chapter
    from studyguide import preflight
    from studyguide.writers import pdf
    subs = [f"Kappa{i:02d}" for i in range(60)]
    fillers = [f"Filler{i:02d}" for i in range(30)]
    (book_copy / "data" / "index.yaml").write_text(
        "".join(f"- heading: {w}\n" for w in fillers) +
        "- heading: Kraft\n  subentries:\n" + "".join(f"    - heading: {w}\n" for w in subs) +
        "- heading: Zeta\n  subentries: [{heading: Zeta01}, {heading: Zeta02}]\n",
        encoding="utf-8")
    add_to_chapter(book_copy, " ".join(fillers + subs + ["Zeta01", "Zeta02."]))
    rb, report = render(book_copy)
    assert not report.errors, report.errors
    document = pdf._document(rb, pdf.index_source(rb, False, "A4", {}), pdf._fetcher(rb))
    (tmp_path / "index.pdf").write_bytes(document.write_pdf())
    tops, heads = [], 0
    for page in preflight.read_pages(tmp_path / "index.pdf"):
        pieces = []              # (left, top, words): a line of each column
        for ln in page.body:
            start = 0
            for k in range(1, len(ln.inked) + 1):
                if k == len(ln.inked) or ln.lefts[k] - ln.rights[k - 1] > 20:
                    pieces.append((ln.lefts[start], ln.top, ln.inked[start:k]))
                    start = k
        entries = [p for p in pieces if "Chapter" in p[2] or "continued" in p[2]]
        pieces = [p for p in pieces if p[1] >= min(e[1] for e in entries)]   # no title
        middle = (min(p[0] for p in pieces) + max(p[0] for p in pieces)) / 2
        for column in ([p for p in pieces if p[0] < middle], [p for p in pieces
                                                               if p[0] >= middle]):
            if column:
                tops.append(min(column, key=lambda p: p[1])[2])
                heads += sum(p[2] == "Kraft(continued)" for p in column)
    assert not [t for t in tops if t.startswith(("Kappa", "Zeta0"))], tops
    assert heads == tops.count("Kraft(continued)") >= 2, tops


def test_the_continued_headings_are_read_from_a_sketch_then_checked(book_copy, monkeypatch):
    """Which continued headings the index wants is read from a sketch of it (its links
    and names as plain text, laid out in a fraction of the time), and checked on the
    index laid out with them: the Kraft index is laid out twice, the sketch and itself,
    and comes out as it does from the index's own first layout. A sketch that guesses
    wrong costs a layout more, not another index."""
    from studyguide.writers import pdf
    subs = [f"Kappa{i:02d}" for i in range(60)]
    (book_copy / "data" / "index.yaml").write_text(
        "- heading: Kraft\n  subentries:\n" + "".join(f"    - heading: {w}\n" for w in subs),
        encoding="utf-8")
    from conftest import add_to_chapter
    add_to_chapter(book_copy, " ".join(subs) + ".")
    rb, report = render(book_copy)
    assert not report.errors, report.errors
    anchors = re.findall(r'href="#([^"]+)"', pdf.index_source(rb, False, "A4", {}))
    html_text = pdf.index_source(rb, False, "A4", dict.fromkeys(anchors, "00"))
    assert html_text.count('class="locator"') >= 60
    laid_out = []
    real_render = pdf._render
    monkeypatch.setattr(pdf, "_render", lambda rb, text, fetcher: laid_out.append(text) or
                        real_render(rb, text, fetcher))
    document = pdf._document(rb, html_text, pdf._fetcher(rb))
    assert len(laid_out) == 2 and 'class="locator"' not in laid_out[0], len(laid_out)
    shown = pdf._heads_wanted(real_render(rb, html_text, pdf._fetcher(rb)), html_text,
                              frozenset())
    assert shown, "no subentry opens a column: the test shows nothing"
    assert laid_out[1] == pdf._show_heads(html_text, shown)
    assert pdf._heads_wanted(document, html_text, shown) == shown
    # a wrong guess: the sketch wants no heading (it has no subentries), the index does
    laid_out.clear()
    monkeypatch.setattr(pdf, "_sketch", lambda text: text.replace("-sub", "-other"))
    document = pdf._document(rb, html_text, pdf._fetcher(rb))
    assert len(laid_out) == 3 and laid_out[2] == pdf._show_heads(html_text, shown)


def test_a_term_inside_a_longer_indexed_form_is_indexed_whole(book_copy):
    """A glossary term inside an indexed title ("Beta theory" in "The Beta Theory
    Revisited") is no use of the term: the index marks the title whole, and the term is
    linked at its next use. The term's link in the title hid the title from the index,
    which then reported it mentioned nowhere."""
    (book_copy / "data" / "index.yaml").write_text(
        '- {heading: "*Beta theory revisited, The* (Writer)", forms: [The Beta theory '
        "revisited]}\n", encoding="utf-8")
    chapter = book_copy / "chapters" / "01-first.md"       # before any other use
    chapter.write_text(chapter.read_text(encoding="utf-8").replace(
        "## Where alpha began {#sec-alpha}\n", "## Where alpha began {#sec-alpha}\n\n"
        "Writer's *The Beta theory revisited* came later.\n", 1), encoding="utf-8")
    report = Reporter(book_copy)
    rb = render_book(load_book(book_copy, report), report)
    assert not report.warnings and not report.errors, report.diagnostics
    body = next(d.body_html for d in rb.docs if "came later" in d.body_html)
    title = etree.HTML(body).xpath('//em[contains(., "revisited")]')[0]
    assert title.xpath('.//span[@class="index-term"]') and not title.xpath(".//a"), \
        etree.tostring(title)
    assert [e["term"] for e in rb.index if "revisited" in e["term"]], rb.index
    assert '<a class="gloss" href="#gl-beta-theory"' in body         # its next use


def test_a_form_is_not_matched_before_a_combining_mark(book_copy):
    """An Arabic word with a tanween ("أموالًا"), or a prefix with its vowel ("بِأموال"),
    holds the form "أموال" only in part: the mark belongs to the word. The index marked the form and left the mark outside its
    span, which print set on a dotted circle, the word's joins broken."""
    (book_copy / "data" / "glossary.yaml").write_text(
        "- term: المال\n  aliases: [أموال]\n  definition: مربع المجهول.\n", encoding="utf-8")
    chapter = book_copy / "chapters" / "01-first.md"
    chapter.write_text(chapter.read_text(encoding="utf-8").replace(
        "## Where alpha began {#sec-alpha}\n", "## Where alpha began {#sec-alpha}\n\n"
        "أموال تعدل جذورًا، وجذور وعدد يعدل أموالًا وبِأموال.\n", 1), encoding="utf-8")
    report = Reporter(book_copy)
    rb = render_book(load_book(book_copy, report), report)
    body = rb.docs[0].body_html
    assert "أموالًا" in body and not re.search(r"</(?:span|a)>\u064b", body), body[:2000]
    assert "بِأموال" in body, body[:2000]        # nor after one: "ب" + kasra begins the word
    assert "أموال</a> تعدل" in body       # the whole word is the term's use


def test_a_note_in_a_master_table_cell_is_printed_under_it(book_copy):
    """A cell's note is printed under its table, lettered a, b, c; in the master table,
    an appendix of its own, the note's link was 'link to missing id
    #tbl-master-note-a', an error that stopped the build."""
    tables = book_copy / "tables" / "tables.yaml"
    text = tables.read_text(encoding="utf-8")
    start = text.index("tbl-master:")
    row = re.search(r"\n    - \[([^,\]]+),", text[start:])
    at = start + row.start(1)
    tables.write_text(text[:at] + '"' + row.group(1).strip('"') + '^[A note in the cell.]"'
                      + text[at + len(row.group(1)):], encoding="utf-8")
    report = Reporter(book_copy)
    rb = render_book(load_book(book_copy, report), report)
    assert not report.errors, report.errors
    table = etree.HTML(rb.master_table)
    assert table.xpath('//a[@href="#tbl-master-note-a"]') and \
        table.xpath('//li[@id="tbl-master-note-a"][contains(., "A note in the cell.")]'), \
        rb.master_table


def test_an_index_mark_of_a_terms_alias_files_under_the_term(book_copy):
    """``[alpha doctrine]{.index}`` marks a form the index files under the term "Alpha
    doctrine" (its alias): one heading, not a second "alpha doctrine" beside it; with a
    subentry too. A mark of other words makes a heading of its own."""
    add_to_chapter(book_copy, "The [alpha doctrine]{.index} again, [its critics]{.index "
                              'entry="alpha doctrine!critics"} and [gamma]{.index}.')
    rb, report = render(book_copy)
    assert not report.errors, report.errors
    terms = [e["term"] for e in rb.index]
    assert "Alpha doctrine" in terms and "alpha doctrine" not in terms, terms
    assert "gamma" in terms
    [entry] = [e for e in rb.index if e["term"] == "Alpha doctrine"]
    assert [s["term"] for s in entry["subs"]] == ["critics"]
    assert any(doc == "ch02" for doc, _ in entry["refs"]), entry["refs"]


def test_an_index_mark_of_an_alias_capitalised_at_a_sentence_start_files_under_the_term(
        book_copy):
    """``[Alpha doctrines]{.index}`` opening a sentence marks the alias "alpha doctrines"
    with its first letter capitalised: it files under the term, as the alias does, not
    under a heading of its own; a mark of other words still makes one."""
    glossary = book_copy / "data" / "glossary.yaml"
    glossary.write_text(glossary.read_text(encoding="utf-8").replace(
        "aliases: [alpha doctrine]", "aliases: [alpha doctrine, alpha doctrines]", 1),
        encoding="utf-8")
    add_to_chapter(book_copy, "[Alpha doctrines]{.index} came first. [Gammas]{.index} too.")
    rb, report = render(book_copy)
    assert not report.errors, report.errors
    terms = [e["term"] for e in rb.index]
    assert "Alpha doctrines" not in terms and "Gammas" in terms, terms
    [entry] = [e for e in rb.index if e["term"] == "Alpha doctrine"]
    assert any(doc == "ch02" for doc, _ in entry["refs"]), entry["refs"]


def test_a_mention_inside_an_abbreviation_is_indexed(book_copy):
    """``<abbr title="…">Beta theory</abbr>`` in running text is a mention of the term
    for the index (it was passed over, and the index missed the page); the glossary
    does not link inside it."""
    chapter = add_to_chapter(book_copy,
                             'Inline HTML: <abbr title="the theory">Beta theory</abbr>.')
    rb, report = render(book_copy)
    assert not report.errors, report.errors
    body = next(d.body_html for d in rb.docs if d.path == chapter)
    abbr = etree.HTML(body).xpath("//abbr")[0]
    [mark] = abbr.xpath('.//span[@class="index-term"]')
    assert not abbr.xpath(".//a")
    [entry] = [e for e in rb.index if e["term"] == "Beta theory"]
    assert mark.get("id") in [ident for _, ident in entry["refs"]], entry["refs"]


def test_a_heading_with_a_comma_parted_by_an_unquoted_list_is_one_error_that_says_so(
        book_copy):
    """``see_also: [Kołłątaj, Hugo]`` is a YAML list of two names: two errors, "no index
    heading" each, where the author meant the one heading "Kołłątaj, Hugo". One error,
    which says to quote it."""
    (book_copy / "data" / "people.yaml").write_text(
        (book_copy / "data" / "people.yaml").read_text(encoding="utf-8") +
        "- name: Hugo Kołłątaj\n  index: Kołłątaj, Hugo\n  dates: 1750–1812\n"
        "  role: Reformer.\n  bio: A reformer.\n", encoding="utf-8")
    (book_copy / "data" / "index.yaml").write_text(
        "- heading: Reform\n  forms: [reform]\n  see_also: [Kołłątaj, Hugo, Nowhere]\n",
        encoding="utf-8")
    _, report = render(book_copy)
    messages = [d.message for d in report.errors]
    assert messages == [
        "'Kołłątaj' and 'Hugo' are no index headings: 'Kołłątaj, Hugo' is one; quote it "
        "in the list, as in [\"Kołłątaj, Hugo\"] (a comma parts the items of a list)",
        "'Nowhere' is no index heading (an entry of index.yaml, a person's index heading "
        "or a glossary term)"], messages


def test_a_box_title_is_a_heading_to_the_glossary(book_copy):
    """A box's title (``::: {.note title="…"}``) is its heading: a glossary term in it
    was linked, underlined in the title, as a heading's term is not; it is passed over
    as a heading is, and the term is linked at its next use. (The index still finds it
    there.)"""
    chapter = add_to_chapter(book_copy, '::: {.note title="Beta theory at work"}\n'
                                        "The Beta theory again.\n:::")
    rb, report = render(book_copy)
    assert not report.errors, report.errors
    body = etree.HTML(next(d.body_html for d in rb.docs if d.path == chapter))
    [title] = body.xpath('//p[@class="box-title"]')
    assert not title.xpath(".//a") and title.xpath(".//span[@class='index-term']"), \
        etree.tostring(title)
