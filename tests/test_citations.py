"""Citations and bibliography: read the same, text for text, as pandoc's citeproc."""
from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest
from lxml import html as lxml_html

from conftest import CONTENT, FIXTURES, MINI
from studyguide import paths
from studyguide.citations import bundled_style, find_citations, format_citations, pandoc_path
from studyguide.errors import Reporter
from studyguide.loader import load_book, load_references
from studyguide.resolve import render_book

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


def test_no_citation_is_read_in_code_of_any_kind():
    """Code holds its text as written, as in pandoc: a citation's source in an indented
    block, in a fenced block inside a footnote, a definition, a quotation or a list
    item, or in a code span of any number of backticks is no citation (it was formatted
    there, and a BibTeX entry in an indented block failed the build: unknown key
    'book'). An indented line that goes on with a paragraph is no code."""
    text = ("See [@a].\n\n    see [@b, 12] and @c\n    @book{grafton1997,\n\n"
            "A note.[^n]\n\n[^n]: Its code:\n\n    ```\n    [@d]\n    ```\n\n"
            "Term\n:   Code:\n\n    ~~~\n    [@e]\n    ~~~\n\n"
            "> ```\n> [@f]\n> ```\n>\n>     @g\n\n- Item:\n\n      [@h]\n\n"
            "Spans ``a `[@i]` b`` and `@j`, then\n    [@k] on a paragraph's line.")
    found = [c.source for _, _, c in find_citations(text)]
    assert found == ["[@a]", "[@k]"]


def test_braced_keys_are_read_as_pandoc_reads_them(tmp_path):
    """``@{key}`` is pandoc's form of any key (printed as written, silently, before):
    the key is what the braces hold, and the citation is formatted as pandoc formats
    it."""
    refs = [{"id": "doi:10.1000/1", "type": "book", "title": "Braced",
             "author": [{"family": "Keyes", "given": "Ann"}], "issued": {"date-parts": [[2001]]}},
            {"id": "becker2007", "type": "book", "title": "Writing",
             "author": [{"family": "Becker", "given": "H."}], "issued": {"date-parts": [[2007]]}}]
    md = "A braced key [@{doi:10.1000/1}, 12] and in the text @{becker2007} [p. 3]."
    assert [c.keys for _, _, c in find_citations(md)] == [["doi:10.1000/1"], ["becker2007"]]
    want, _ = pandoc_reference(md, refs, tmp_path)
    got, _ = ours(md, refs)
    assert got == want == ["(Keyes 2001, 12)", "Becker (2007, 3)"]


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
    # read in a process of its own, which reports its children's (pandoc's) peak memory
    probe = ("import resource, sys\n"
             "from pathlib import Path\n"
             "from studyguide.errors import Reporter\n"
             "from studyguide.loader import load_references\n"
             "report = Reporter(Path.cwd())\n"
             "refs, _ = load_references(Path(sys.argv[1]), report)\n"
             "print(len(refs)); print(*report.diagnostics, sep='\\n')\n"
             "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)\n")
    import sys
    import time
    start = time.monotonic()
    run = subprocess.run([sys.executable, "-c", probe, str(bib)], capture_output=True,
                         text=True, timeout=120, cwd=tmp_path)
    assert time.monotonic() - start < 30
    assert run.returncode == 0, run.stderr
    count, problem, peak = run.stdout.splitlines()
    assert count == "0"
    # the first @string's line; no traceback
    assert problem.startswith("bomb.bib:2: error: BibTeX bibliography not read: reading it "
                              "needed more than 512 MB of memory"), problem
    assert "@string" in problem
    # pandoc's peak, in kB: its heap limit (512 MB) and little more
    assert int(peak) < 800_000


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


# -- bundled styles, note styles, what the bibliography lists ---------------------------

IN_TEXT_STYLES = ["apa", "chicago-author-date", "harvard-cite-them-right",
                  "modern-language-association"]


def test_every_bundled_style_is_listed_and_independent():
    bundled = sorted(p.stem for p in paths.CSL_DIR.glob("*.csl"))
    assert bundled == sorted([*IN_TEXT_STYLES, "chicago-notes-bibliography"])
    readme = (paths.CSL_DIR / "README.md").read_text()
    for name in bundled:
        style = bundled_style(name)       # raises if it needed a parent
        assert f"`{name}.csl`" in readme
        assert b"creativecommons.org/licenses/by-sa" in style.xml
        assert style.note == (name == "chicago-notes-bibliography")
    assert bundled_style("chicago-note-bibliography").xml == \
        bundled_style("chicago-notes-bibliography").xml


@pytest.mark.parametrize("name", IN_TEXT_STYLES)
def test_bundled_in_text_style_matches_pandoc(name, tmp_path):
    refs = json.loads((TRICKY / "tricky.json").read_text())
    md = (TRICKY / "tricky.md").read_text()
    csl = paths.CSL_DIR / f"{name}.csl"
    want = pandoc_reference(md, refs, tmp_path, csl)
    got = ours(md, refs, csl)
    assert got == want
    assert len(got[0]) == 14 and len(got[1]) >= 10


def mini_with(tmp_path: Path, **settings: str) -> Path:
    book = tmp_path / "book"
    shutil.copytree(MINI, book)
    yaml_path = book / "book.yaml"
    text_ = yaml_path.read_text()
    for key, value in settings.items():
        text_ = re.sub(rf"^{key}:.*$", f"{key}: {value}", text_, flags=re.M) \
            if re.search(rf"^{key}:", text_, re.M) else text_ + f"{key}: {value}\n"
    yaml_path.write_text(text_)
    return book


def rendered(book: Path):
    report = Reporter(book)
    rb = render_book(load_book(book, report), report)
    return rb, report


@pytest.mark.parametrize("name", [*IN_TEXT_STYLES, "chicago-note-bibliography",
                                  "chicago-notes-bibliography"])
def test_each_bundled_style_renders_the_small_book(name, tmp_path):
    rb, report = rendered(mini_with(tmp_path, csl=name))
    assert not report.errors, report.errors
    assert [r["key"] for r in rb.bibliography] == ["historian2000", "writer1901"]
    body = rb.docs[0].body_html
    assert "Writer" in body and "zzcite" not in body
    notes = lxml_html.fragment_fromstring(body, create_parent="div").xpath(
        '//div[@class="footnote"]//li')
    # the fixture's own footnote, and with the notes style one note per citation
    assert len(notes) == (5 if "notes" in name or "note-" in name else 1)


def test_unknown_style_names_the_bundled_ones(tmp_path):
    report = Reporter(tmp_path)
    book = mini_with(tmp_path, csl="nature")
    load_book(book, report)
    [error] = [str(d) for d in report.diagnostics]
    line = (book / "book.yaml").read_text().split("\n").index("csl: nature") + 1
    assert f"book.yaml:{line}: error: unknown citation style 'nature' (bundled: apa, " \
           "chicago-author-date, chicago-notes-bibliography" in error


def footnotes_of(html: str) -> list[tuple[str, str]]:
    """(number as referenced, note text) for every footnote reference, in text order."""
    tree = lxml_html.fragment_fromstring(html, create_parent="div")
    out = []
    for a in tree.xpath('//a[@class="footnote-ref"]'):
        li = tree.xpath("//*[@id=$id]", id=a.get("href")[1:])[0]    # <li>, or <aside>
        for back in li.xpath('.//a[contains(@class, "backref")]'):
            back.drop_tree()
        out.append((a.text_content(), text(lxml_html.tostring(li, encoding="unicode"))))
    return out


def test_note_style_puts_citations_in_footnotes_as_pandoc_does(tmp_path):
    book = mini_with(tmp_path, csl="chicago-notes-bibliography")
    # a work first cited in a footnote that the text refers to before it cites the
    # work again: the footnote has the full note, the text the short one
    refs = json.loads((book / "references.json").read_text())
    refs.append({"id": "third1950", "type": "book", "title": "A Third Book",
                 "author": [{"family": "Third", "given": "Tess"}], "publisher": "Gamma",
                 "issued": {"date-parts": [[1950]]}})
    (book / "references.json").write_text(json.dumps(refs))
    chapter = book / "chapters" / "01-first.md"
    chapter.write_text(chapter.read_text() + "\nA new point.[^first] Later [@third1950, 5]."
                       " Last.^[Compare [@third1950, 7].]"
                       "\n\n[^first]: See [@third1950, 3].\n")
    rb, report = rendered(book)
    assert not report.errors, report.errors
    raw = chapter.read_text()
    body = raw[raw.index("---", 3) + 3:]
    out = subprocess.run([pandoc_path(), "-f", "markdown", "-t", "html5", "--citeproc",
                          "--bibliography", str(book / "references.json"), "--csl",
                          str(paths.CSL_DIR / "chicago-notes-bibliography.csl"),
                          "-M", "lang=en-GB", "--wrap=none"],
                         input=body.encode(), capture_output=True, check=True).stdout.decode()
    want = [text(lxml_html.tostring(li, encoding="unicode").replace("↩︎", ""))
            for li in lxml_html.fragment_fromstring(out, create_parent="div").xpath(
                '//section[@id="footnotes"]//li')]
    got = footnotes_of(rb.docs[0].body_html)
    # numbered 1, 2, 3… in the order they are referred to, the author's own footnote
    # (third) among the citations' notes, each note's text as pandoc writes it
    assert [n for n, _ in got] == [str(i) for i in range(1, len(want) + 1)]
    assert [t for _, t in got] == want
    assert "A footnote with a citation (Alpha Reconsidered)." in want
    assert want[-3:] == ["See (Tess Third, A Third Book (Gamma, 1950), 3).",
                         "Third, A Third Book, 5.",
                         "Compare (Third, A Third Book, 7)."]   # in an inline note
    # the mark after the punctuation, with no space before it
    assert re.search(r'first stated in 1901\.<sup id="ch01-fnref-[\w-]+">', rb.docs[0].body_html)
    # no note inside a note
    tree = lxml_html.fragment_fromstring(rb.docs[0].body_html, create_parent="div")
    assert not tree.xpath('//div[@class="footnote"]//sup')
    # where no footnote can go (a question's answer, a table cell), the note's text is
    # written out in parentheses
    answer = rb.docs[0].questions[0]["answer"]
    assert text(answer) == "Ada Writer stated it first, in 1901 (Writer, The Alpha Doctrine)."


def test_an_inline_note_after_a_citations_note_is_a_note_of_its_own(tmp_path):
    """In a notes style ``[@key].^[A remark.]`` is two notes, as pandoc makes them: the
    citation's and the author's. The inline note was printed as written, "^[A
    remark.]": the citation's call before it was taken for a superscript it closed.
    So with an author's labelled note before it, ``text[^x]^[…]``."""
    book = mini_with(tmp_path, csl="chicago-notes-bibliography")
    chapter = book / "chapters" / "01-first.md"
    chapter.write_text(chapter.read_text() + "\nCited [@writer1901, 4].^[A remark.] Also "
                       "this.[^x]^[Another remark.]\n\n[^x]: Labelled.\n")
    rb, report = rendered(book)
    assert not report.errors, report.errors
    body = rb.docs[0].body_html
    assert "^[" not in text(body), text(body)
    notes = [t for _, t in footnotes_of(body)]
    at = notes.index("A remark.")
    assert notes[at - 1] == "Writer, The Alpha Doctrine, 4.", notes
    assert notes[at + 1:at + 3] == ["Labelled.", "Another remark."], notes


def test_a_citation_on_a_quotations_last_line_takes_no_space_before_its_note(tmp_path):
    """A citation on the last line of a block quote, as the docs advise, was a note with a
    space before its mark ("runs.” ⁶"): the line's end and its ">" were not taken for the
    space before it that pandoc removes. Nested too; a citation that is a paragraph of its
    own after a blank quoted line stays one, as in pandoc."""
    book = mini_with(tmp_path, csl="chicago-notes-bibliography")
    chapter = book / "chapters" / "01-first.md"
    chapter.write_text(chapter.read_text() + '\n> "A quotation that runs."\n> [@writer1901, 4]'
                       '\n\n> > Nested "quote."\n> > [@writer1901, 7]\n\n> Two.\n>\n> '
                       "[@writer1901, 5]\n")
    rb, report = rendered(book)
    assert not report.errors, report.errors
    body = rb.docs[0].body_html
    assert re.search(r'runs\.\u201d<sup id="[^"]+"><a class="footnote-ref"', body), body
    assert re.search(r'quote\.\u201d<sup id="[^"]+"><a class="footnote-ref"', body), body
    assert re.search(r'<p id="[^"]+"><sup id="[^"]+"><a class="footnote-ref"', body), body


def test_a_worksheets_source_extract_names_its_source_in_a_notes_style(tmp_path):
    """A worksheet reprints the chapter's first block quote without its note calls; in
    a notes style the quotation's citation is such a call, and the extract was handed to
    students with no source, its work missing from the worksheet's works cited. The
    citation is written out after it in parentheses, as where no note can go."""
    from studyguide.writers.pdf import handout_references, worksheet_extract
    book = mini_with(tmp_path, csl="chicago-notes-bibliography")
    rb, report = rendered(book)
    assert not report.errors, report.errors
    extract = worksheet_extract(rb.docs[0])
    assert text(extract) == ("“A block quotation that runs on for a little while to show "
                             "the style.” (Writer, The Alpha Doctrine, 7)"), extract
    assert "writer1901" in [r["id"].removeprefix("ref-")
                            for r in handout_references(rb, [extract])]


@pytest.mark.parametrize("language, p, page, pages", [
    ("en-GB", "p.", "(Writer, 1901, p.\u00a0236)", "pp.\u00a026"),
    ("de-DE", "S.", "(Writer, 1901, S.\u00a0236)", "S.\u00a026")])
def test_a_citations_page_label_is_never_parted_from_its_page(tmp_path, language, p, page,
                                                              pages):
    """citeproc writes "p. 236" with a space, and print ended a line at "p." with the
    page on the next ("(Keynes, 1919, p." / "236)"), which an author cannot mend in what
    the style writes: the label and its number are joined by a no-break space."""
    book = mini_with(tmp_path, csl="apa")
    (book / "book.yaml").write_text((book / "book.yaml").read_text().replace(
        "language: en-GB", f"language: {language}"))
    chapter = book / "chapters" / "01-first.md"
    chapter.write_text(chapter.read_text() + f"\nAs written [@writer1901, {p} 236]. Again "
                       f"[@writer1901, {'pp.' if p == 'p.' else p} 26-29].\n")
    rb, report = rendered(book)
    assert not report.errors, report.errors
    # (the text as written, its no-break spaces kept)
    written = lxml_html.fragment_fromstring(rb.docs[0].body_html,
                                            create_parent="div").text_content()
    assert page in written and pages in written, written


def test_a_link_to_an_entry_in_a_notes_style_names_the_work(tmp_path):
    """``[](#ref-KEY)`` prints the entry's citation; in a notes style that was the
    author's name alone ("Writer"), which named no work where the book cites two of
    hers. It is written as a note writes it: the author and the work."""
    book = mla_with_a_second_work(tmp_path, "chicago-notes-bibliography")
    chapter = book / "chapters" / "01-first.md"
    chapter.write_text(chapter.read_text() + "\nSee [](#ref-writer1901) and "
                       "[](#ref-writer1905).\n")
    rb, report = rendered(book)
    assert not report.errors, report.errors
    tree = lxml_html.fragment_fromstring(rb.docs[0].body_html, create_parent="div")
    links = {a.get("href"): " ".join(a.text_content().split())
             for a in tree.xpath('//a[starts-with(@href, "#ref-")][not(@role)]')}
    assert links == {"#ref-writer1901": "Writer, The Alpha Doctrine",
                     "#ref-writer1905": "Ada Writer, Alpha Again (Alpha Press, 1905)"}, links


def test_a_french_books_citations_set_a_space_before_the_styles_colons(tmp_path):
    """French sets a no-break space before a colon and a narrow one before a semicolon;
    the style's own ("Paris: Gallimard", "4 (1784): 481–94") stood close in a French
    book's notes and bibliography beside text whose spacing the theme sets the French
    way ("4 (1784) : 481–94"). A web address keeps its colon as written."""
    book = mini_with(tmp_path, csl="chicago-notes-bibliography")
    (book / "book.yaml").write_text((book / "book.yaml").read_text().replace(
        "language: en-GB", "language: fr-FR"))
    refs = json.loads((book / "references.json").read_text())
    refs += [{"id": "kant1784", "type": "article-journal", "title": "Réponse (1784): Aufklärung",
              "author": [{"family": "Kant", "given": "Emmanuel"}],
              "container-title": "Berlinische Monatsschrift", "volume": "4", "page": "481-494",
              "issued": {"date-parts": [[1784]]}, "URL": "https://example.org/kant"}]
    (book / "references.json").write_text(json.dumps(refs))
    chapter = book / "chapters" / "01-first.md"
    chapter.write_text(chapter.read_text() + "\nKant le dit [@kant1784].\n")
    rb, report = rendered(book)
    assert not report.errors, report.errors
    entries = {r["key"]: lxml_html.fragment_fromstring(r["entry"], create_parent="div")
               .text_content() for r in rb.bibliography}
    assert "(1784)\u00a0: 481" in entries["kant1784"], entries["kant1784"]
    assert "Réponse (1784): Aufklärung" in entries["kant1784"]     # the title's own
    assert "https://example.org/kant" in entries["kant1784"]
    notes = lxml_html.fragment_fromstring(rb.docs[0].body_html, create_parent="div"
                                          ).text_content()
    assert "4 (1784)\u00a0: 481" in notes and "Réponse (1784): Aufklärung" in notes, notes


def mla_with_a_second_work(tmp_path: Path, csl: str = "modern-language-association") -> Path:
    """The fixture book in MLA (or ``csl``) with a second work by Ada Writer, which MLA's
    bibliography gives as "———. Title" after her first."""
    book = mini_with(tmp_path, csl=csl)
    refs = json.loads((book / "references.json").read_text())
    refs += [{"id": "writer1905", "type": "book", "title": "Alpha Again",
              "author": [{"family": "Writer", "given": "Ada"}], "publisher": "Alpha Press",
              "issued": {"date-parts": [[1905]]}}]
    (book / "references.json").write_text(json.dumps(refs))
    return book


def test_further_reading_names_a_work_the_bibliography_gives_with_a_dash(tmp_path):
    """MLA's bibliography gives an author's second work as "———. Title"; a further
    reading entry of it names the author."""
    book = mla_with_a_second_work(tmp_path)
    chapter = book / "chapters" / "01-first.md"
    chapter.write_text(chapter.read_text().replace(
        "questions:", "further_reading:\n  - cite: writer1901\n  - cite: writer1905\n"
        "questions:", 1) + "\nLater work [@writer1905].\n")
    rb, report = rendered(book)
    assert not report.errors, report.errors
    assert any(text(r["entry"]).startswith("———") for r in rb.bibliography)
    reading = [text(r["cite"]) for r in rb.docs[0].further_reading]
    assert all(r.startswith("Writer, Ada.") for r in reading), reading


@pytest.mark.parametrize("csl", ["chicago-notes-bibliography", "chicago-author-date",
                                 "modern-language-association"])
def test_further_reading_in_a_notes_style_gives_each_work_in_full(tmp_path, csl):
    """A reading list names each work in full: in a notes style, a further-reading entry
    of a work the chapter cites printed the note's short form ("Writer, *The Alpha
    Doctrine*."); it is the work's bibliography entry, and it shortens no citation after
    it. An author-date style cites it as in the text ("Writer (1901)")."""
    book = mini_with(tmp_path, csl=csl)
    before, _ = rendered(book)
    chapter = book / "chapters" / "01-first.md"
    chapter.write_text(chapter.read_text().replace(
        "questions:", "further_reading:\n  - cite: writer1901\n    note: The source.\n"
        "  - cite: historian2000\nquestions:", 1))
    rb, report = rendered(book)
    assert not report.errors, report.errors
    reading = [text(r["cite"]) for r in rb.docs[0].further_reading]
    entries = {r["key"]: text(r["entry"]) for r in rb.bibliography}
    if csl != "chicago-author-date":     # (MLA's in the text is the author alone)
        assert reading == [entries["writer1901"], entries["historian2000"]], reading
        assert reading[0].startswith("Writer, Ada.") and "The Alpha Doctrine" in reading[0]
        # every note as it was: the entries shorten no citation after them
        assert [footnotes_of(d.body_html) for d in rb.docs] == \
            [footnotes_of(d.body_html) for d in before.docs]
    else:
        assert reading == ["Writer (1901).", "Historian (2000)"], reading


def test_a_handouts_works_cited_name_an_author_the_book_gives_as_a_dash(tmp_path):
    """MLA gives an author's second work "———. Title", the names of the entry before;
    a handout lists only the works it cites, and its "———" credited the work to the
    author listed before it there (Hardy's book to Fussell). Where that entry is not
    the one before it in the handout, the names are printed; where it is, the dash."""
    from studyguide.writers import pdf
    book = mla_with_a_second_work(tmp_path)
    chapter = book / "chapters" / "02-second.md"
    chapter.write_text(chapter.read_text() + "\nLater work [@writer1905].\n")
    rb, report = rendered(book)
    assert not report.errors, report.errors
    entries = {r["key"]: text(r["entry"]) for r in rb.bibliography}
    [dashed] = [k for k, e in entries.items() if e.startswith("———")]  # as MLA sets it
    alone = pdf.handout_references(rb, [f'<a href="#ref-{dashed}">'])
    assert [text(r["entry"]) for r in alone] == [
        entries[dashed].replace("———", "Writer, Ada", 1)]
    both = pdf.handout_references(rb, ['<a href="#ref-writer1901"> <a href="#ref-writer1905">'])
    assert [text(r["entry"]) for r in both] == [e for k, e in entries.items()
                                                 if k.startswith("writer")]


def test_bibliography_lists_only_what_is_cited_and_nocite(tmp_path):
    book = mini_with(tmp_path)
    refs = json.loads((book / "references.json").read_text())
    refs.append({"id": "uncited1950", "type": "book", "title": "Never Cited",
                 "author": [{"family": "Nobody", "given": "N."}],
                 "issued": {"date-parts": [[1950]]}})
    refs.append({"id": "listed1960", "type": "book", "title": "Listed Anyway",
                 "author": [{"family": "Somebody", "given": "S."}],
                 "issued": {"date-parts": [[1960]]}})
    (book / "references.json").write_text(json.dumps(refs))
    rb, report = rendered(book)
    assert [r["key"] for r in rb.bibliography] == ["historian2000", "writer1901"]
    warnings = [d.message for d in report.diagnostics if d.severity == "warning"]
    assert any("'uncited1950' is never cited and is left out" in w for w in warnings)

    (book / "book.yaml").write_text((book / "book.yaml").read_text() + "nocite: [listed1960]\n")
    rb, report = rendered(book)
    assert [r["key"] for r in rb.bibliography] == ["historian2000", "listed1960", "writer1901"]
    assert "Somebody, S. 1960. <em>Listed Anyway</em>" in rb.bibliography[1]["entry"]

    (book / "book.yaml").write_text((book / "book.yaml").read_text()
                                    .replace("nocite: [listed1960]", "nocite: '@*'"))
    rb, report = rendered(book)
    assert len(rb.bibliography) == 4
    assert not [d for d in report.diagnostics if "never cited" in d.message]

    (book / "book.yaml").write_text((book / "book.yaml").read_text()
                                    .replace("nocite: '@*'", "nocite: '@listed1960, @nope'"))
    rb, report = rendered(book)
    assert [str(d).split(": ", 1)[1] for d in report.errors] == \
        ["error: nocite: unknown bibliography key 'nope'"]


def test_bibliography_heading_is_true(tmp_path):
    from studyguide.theme import environment
    rb, _ = rendered(mini_with(tmp_path))
    env = environment()
    html = str(env.get_template("shared/apparatus.html").module.bibliography(rb))
    heading = lxml_html.fragment_fromstring(html).xpath("//h1")[0].text_content()
    assert heading == "Bibliography"
    assert "Every work cited" not in html


@pytest.mark.slow
def test_notes_style_book_builds_with_footnotes_in_pdf_and_epub(tmp_path):
    import zipfile

    from pypdf import PdfReader

    from conftest import only, run_build
    book = mini_with(tmp_path, csl="chicago-note-bibliography")
    out = tmp_path / "out"
    # run_build checks the EPUB with EPUBCheck: no error, no warning
    result = run_build("--content", str(book), "--output", str(out), "--no-cache",
                       "--no-handouts", "--edition", "student", "-q")
    assert result.returncode == 0, result.stderr
    pdf = " ".join(re.sub(r"\s+", " ", page.extract_text())
                   for page in PdfReader(only(out, "*-student-a4.pdf")).pages)
    pdf = pdf.replace("( ", "(")   # the extractor's space where the italic begins
    assert "Ada Writer, The Alpha Doctrine (Alpha Press, 1901), 12." in pdf
    assert "A footnote with a citation (Alpha Reconsidered)." in pdf
    assert "Writer, The Alpha Doctrine, 3; Historian, Alpha Reconsidered." in pdf
    with zipfile.ZipFile(only(out, "*.epub")) as epub:
        chapter = next(epub.read(n).decode() for n in epub.namelist()
                       if "ch01" in n and n.endswith(".xhtml"))
    notes = footnotes_of(re.sub(r"^<\?xml[^>]*>", "", chapter))
    assert [n for n, _ in notes] == ["1", "2", "3", "4", "5"]
    assert notes[0][1] == "1. Ada Writer, The Alpha Doctrine (Alpha Press, 1901), 12."


def test_note_marks_keep_the_markdown_structure():
    """A note mark takes the place of the space before a bracketed citation only in
    running text: a citation opening a paragraph, a list item or a line after a hard
    break stays where it is, and one inside a footnote stays in it."""
    from studyguide.citations import citations_as_notes
    from studyguide.markdown import TOKEN_RE, convert
    source = ("## Title\nzzcite0zz opens a paragraph.\n\nText before\nzzcite1zz. And "
              "zzcite2zz, more.[^x]\n\n- zzcite3zz item\n\nEnd  \nzzcite4zz.\n\n"
              "[^x]: In a note zzcite5zz.\n")
    from studyguide.resolve import _number_notes_by_reference
    html = convert(citations_as_notes(source, TOKEN_RE, lambda n: True))
    tree = lxml_html.fragment_fromstring(html, create_parent="div")
    _number_notes_by_reference(tree)
    assert tree.xpath("//h2")[0].text_content() == "Title"
    paras = [re.sub(r"\s+", " ", p.text_content()) for p in tree.xpath("/div/p")]
    assert paras[0] == "zzcitetext0zz1 opens a paragraph."
    assert paras[1] == "Text beforezzcitetext1zz.2 Andzzcitetext2zz,3 more.4"
    assert tree.xpath("//ul/li")[0].text_content().startswith("zzcitetext3zz5 item")
    assert tree.xpath("/div/p/br") and paras[2] == "End zzcitetext4zz.6"
    notes = [re.sub(r"\s+", " ", li.text_content()).replace("\u21a9", "").strip()
             for li in tree.xpath('//div[@class="footnote"]//li')]
    assert notes == ["zzcitenote0zz", "zzcitenote1zz", "zzcitenote2zz",
                     "In a note zzcite5zz.", "zzcitenote3zz", "zzcitenote4zz"]


def test_citations_over_lines_and_in_any_script_match_pandoc(tmp_path):
    """A bracketed citation that runs on to the next line of its paragraph (of a block
    quote too), a locator on the next line, and keys in Cyrillic or Greek letters are
    citations, rendered as pandoc renders them; a blank line ends a bracket."""
    refs = [{"id": "vendler1983", "type": "book", "title": "The Odes of John Keats",
             "author": [{"family": "Vendler", "given": "Helen"}],
             "issued": {"date-parts": [[1983]]}},
            {"id": "fry1980", "type": "book", "title": "The Poet's Calling",
             "author": [{"family": "Fry", "given": "Paul H."}],
             "issued": {"date-parts": [[1980]]}},
            {"id": "менделеев1869", "type": "article-journal",
             "title": "Соотношение свойств с атомным весом элементов",
             "author": [{"family": "Менделеев", "given": "Д. И."}],
             "issued": {"date-parts": [[1869]]}},
            {"id": "αριστοτέλης", "type": "book", "title": "Ποιητική",
             "author": [{"literal": "Αριστοτέλης"}], "issued": {"date-parts": [[1998]]}}]
    md = ("A reading [@vendler1983, 7; see also\n@fry1980, 218--20] and\n[see\n@fry1980, 3]."
          "\n\n> Quoted [@vendler1983;\n> @fry1980] words.\n\nThe law [@менделеев1869, 77] "
          "and @αριστοτέλης [ch.\n6] says so.\n\nNot [a bracket\n\nacross paragraphs @fry1980].")
    want, _ = pandoc_reference(md, refs, tmp_path)
    got, _ = ours(md, refs)
    assert got == want, (got, want)
    assert len(got) == 6 and "(Vendler 1983, 7; see also Fry 1980, 218–20)" in got


def test_a_broken_bibtex_file_is_one_error_at_pandocs_line(tmp_path):
    """A BibTeX file pandoc cannot read is one error, at the line pandoc names and with
    its reason (it was at line 1, its reason cut off); the citations of its keys are
    not each reported unknown besides."""
    book = mini_with(tmp_path, bibliography="references.bib")
    (book / "references.bib").write_text(
        "@book{writer1901,\n  author = {Writer, Ada},\n  title = {The Alpha Doctrine},\n"
        "  year = {1901\n}\n\n@book{historian2000,\n  author = {Historian, Hal},\n"
        "  title = {Alpha Reconsidered},\n  year = {2000}\n}\n", encoding="utf-8")
    rb, report = rendered(book)
    found = [(Path(d.path).name, d.line, d.message) for d in report.diagnostics]
    assert len(found) == 1 and found[0][:2] == ("references.bib", 7), found
    assert found[0][2].startswith("unreadable BibTeX bibliography: unexpected") and \
        "left open" in found[0][2], found


def test_a_language_without_its_region_is_cited_in_that_language():
    """citeproc knows the Hindi locale as hi-IN only: a book of `language: hi` had its
    citations and bibliography in English ("Calvin and Benson 1948", "11th ed."), where
    pandoc, told hi-IN, writes "Calvin व Benson 1948"."""
    import pypandoc
    refs = [{"id": "cb", "type": "book", "title": "The path of carbon",
             "author": [{"family": "Calvin", "given": "M."}, {"family": "Benson", "given": "A."}],
             "issued": {"date-parts": [[1948]]}, "edition": "11"}]
    cites = format_citations(["[@cb]"], refs, bundled_style("chicago-author-date"), "hi")
    shown = lxml_html.fragment_fromstring(cites.rendered["0"], create_parent="div").text_content()
    entry = lxml_html.fragment_fromstring(cites.bibliography["cb"], create_parent="div").text_content()
    reference = pypandoc.convert_text(
        "---\nlang: hi-IN\nreferences: " + json.dumps(refs) + "\n---\n\n[@cb]\n", "plain",
        format="markdown", extra_args=["--citeproc"]).split("\n")[0]
    assert "व" in shown and shown in reference and "11th" not in entry, (shown, reference, entry)


def test_a_citation_inside_an_html_comment_is_not_read():
    """A comment is not printed (as in pandoc): a key in it was an 'unknown citation key'
    error, or put a work in the bibliography that nothing in the book cites. A comment
    shown in code, and an unclosed one, are text."""
    from studyguide.citations import find_citations
    found = find_citations("Text <!-- [@hidden] and @other\n\nstill hidden --> more "
                           "[@real]. `<!--` [@b] --> and <!-- never closed [@c]")
    assert [c.keys for _, _, c in found] == [["real"], ["b"], ["c"]]
