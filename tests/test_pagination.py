"""Editions typeset part by part: the joined PDF is one whole book, and its numbers are right."""
from __future__ import annotations

import html
import io
import re
import subprocess
from concurrent.futures import ProcessPoolExecutor

import pikepdf
import pytest
from pypdf import PdfReader
from weasyprint import HTML

from conftest import MINI, only
from test_errors import edit, snapshot
from test_rebuild import build
from studyguide.builder import Options, prepare
from studyguide.writers import pdf, splice


def _part(body: str) -> bytes:
    html = f'<html lang="en"><head><title>T</title></head><body>{body}</body></html>'
    return HTML(string=html).write_pdf(pdf_variant="pdf/ua-1")


def _struct_elements(node):
    for kid in node.get("/K", []):
        if isinstance(kid, pikepdf.Dictionary) and "/S" in kid:
            yield kid
            yield from _struct_elements(kid)


def _named_dests(pdf: pikepdf.Pdf) -> dict[str, pikepdf.Array]:
    return {str(k): v for k, v in pikepdf.NameTree(pdf.Root.Names.Dests).items()}


def assert_whole(pdf: pikepdf.Pdf) -> None:
    """One structure tree over every page; every key and link resolves."""
    pages = {p.objgen for p in pdf.pages}
    root = pdf.Root.StructTreeRoot
    document = root.K[0]
    for elem in _struct_elements(document):
        assert "/Pg" not in elem or elem.Pg.objgen in pages, "structure element on a foreign page"
        for kid in elem.get("/K", []):
            if isinstance(kid, pikepdf.Dictionary) and "/S" in kid:
                assert kid.P.objgen == elem.objgen, "structure element with a wrong parent"
    nums = list(root.ParentTree.Nums)
    keys = [int(nums[i]) for i in range(0, len(nums), 2)]
    assert len(keys) == len(set(keys)), "parent-tree keys used twice"
    assert int(root.ParentTreeNextKey) > max(keys)
    used = []
    dests = _named_dests(pdf)
    for page in pdf.pages:
        if "/StructParents" in page.obj:
            used.append(int(page.obj.StructParents))
        for annot in page.obj.get("/Annots", []):
            used.append(int(annot.StructParent))
            if "/Dest" in annot:
                assert str(annot.Dest) in dests, f"link to a missing destination {annot.Dest}"
            elif "/A" in annot:
                assert not str(annot.A.URI).startswith(splice.XREF_SCHEME)
    assert sorted(used) == sorted(set(used)) and set(used) <= set(keys)
    for dest in dests.values():
        assert dest[0].objgen in pages


def test_join_keeps_structure_links_outlines_and_pads_odd_parts():
    first = _part('<h1 id="a">One</h1><p>On to <a href="xref:b">the second</a>.</p>')
    second = _part('<h1 id="b">Two</h1><h2 id="b2">Sub</h2><p>Back to <a href="xref:a">one</a>'
                   ' and <a href="xref:gone">nowhere</a>.</p><p style="break-before:page">x</p>')
    data = splice.join([splice.PartPDF(first), splice.PartPDF(second, pad_to_even=False)], 0)
    pdf = pikepdf.open(io.BytesIO(data))
    assert len(pdf.pages) == 4            # 1 page, a blank to make it even, then 2 pages
    assert "/Contents" in pdf.pages[1].obj and pdf.pages[1].obj.Contents.read_bytes() == b""
    assert_whole(pdf)
    dests = _named_dests(pdf)
    assert dests["b"][0].objgen == pdf.pages[2].objgen
    assert dests["b2"][0].objgen == pdf.pages[2].objgen
    links = [a for p in pdf.pages for a in p.obj.get("/Annots", [])]
    assert sorted(str(a.get("/Dest", "")) for a in links) == ["", "a", "b"]  # "gone": no target
    with pdf.open_outline() as outline:
        tree = [(i.title, [c.title for c in i.children]) for i in outline.root]
    assert tree == [("One", []), ("Two", ["Sub"])]


def test_parts_joined_as_they_arrive_in_any_order_give_the_same_file():
    """The builder joins each part as soon as it and the parts before it are in; the
    file must be the one a join of all the parts in order makes."""
    parts = [splice.PartPDF(_part(f'<h1 id="p{i}">Part {i}</h1><p>Text {i} '
                                  f'<a href="xref:p{(i + 1) % 4}">next</a>.</p>'),
                            pad_to_even=i < 3) for i in range(4)]
    whole = splice.join(parts, 1)
    joiner = splice.Joiner(len(parts))
    copied = []
    for position in (2, 0, 3, 1):
        joiner.add(position, parts[position])
        joiner.advance()
        copied.append(joiner.copied)
    assert copied == [0, 1, 1, 4]            # nothing is copied ahead of a missing part
    assert joiner.finish(1) == whole
    incomplete = splice.Joiner(2)
    incomplete.add(0, parts[0])
    with pytest.raises(ValueError, match="missing"):
        incomplete.finish(1)


def test_parts_made_ready_in_the_workers_join_as_raw_ones_do():
    """A worker hands the join its part ready (``prepare_part``: tagging completed, page
    content deflated), so that the join only copies: the joined file has the same pages,
    text, structure and artifacts as one joined from WeasyPrint's own parts."""
    raw = [_part('<h1 id="a">One</h1><p>To <a href="xref:b">two</a>.</p>'
                 '<table><tr><th>Aspect</th><td>Value</td></tr></table>'),
           _part('<h1 id="b">Two</h1><p>Back to <a href="xref:a">one</a>.</p>')]
    style = "<style>@page { @bottom-right { content: counter(page) } }</style>"
    raw.append(_part(f'{style}<h1 id="c">Three</h1><p>Folio below.</p>'))

    def described(data: bytes):
        with pikepdf.open(io.BytesIO(data)) as doc:
            assert_whole(doc)
            roles = [str(e.S) for e in _struct_elements(doc.Root.StructTreeRoot.K[0])]
            contents = [pikepdf.unparse_content_stream(pikepdf.parse_content_stream(p))
                        for p in doc.pages]
        return roles, contents, [p.extract_text() for p in PdfReader(io.BytesIO(data)).pages]

    joined = splice.join([splice.PartPDF(d) for d in raw], 0)
    ready = splice.join([splice.PartPDF(splice.prepare_part(d), prepared=True) for d in raw], 0)
    assert described(ready) == described(joined)
    assert b"/Artifact" in b"".join(described(ready)[1])      # the folio
    assert splice.prepare_part(raw[0]) == splice.prepare_part(raw[0])     # same bytes


def _fonts_by_face(pdf: pikepdf.Pdf) -> dict[str, set]:
    faces: dict[str, set] = {}
    for page in pdf.pages:
        for font in (page.obj.Resources.get("/Font") or {}).values():
            descriptor = font.DescendantFonts[0].FontDescriptor
            program = descriptor.get("/FontFile3") or descriptor.get("/FontFile2")
            faces.setdefault(str(font.BaseFont).split("+")[-1], set()).add(program.objgen)
    return faces


def _pixels(data: bytes, tmp_path, name: str) -> list[bytes]:
    path = tmp_path / f"{name}.pdf"
    path.write_bytes(data)
    subprocess.run(["pdftoppm", "-r", "100", "-gray", str(path), str(tmp_path / name)],
                   check=True)
    return [p.read_bytes() for p in sorted(tmp_path.glob(f"{name}-*.pgm"))]


def test_joined_parts_share_one_font_program_per_face_and_print_the_same(tmp_path):
    style = ('<style>.l { font-family: "Linux Libertine O" } .d { font-family: "DejaVu Sans" }'
             '</style>')
    first = _part(f'{style}<h1 id="a">Alpha</h1><p class="l">Quick <b>brown</b> fox, '
                  '<i>jumps</i> 123.</p><p class="d">Sans words here.</p>')
    second = _part(f'{style}<h1 id="b">Beta</h1><p class="l">Vexing zebras &amp; wizards '
                   '<b>quiz</b> <i>4567</i>.</p><p class="d">Other sans glyphs: XYZ 890.</p>')
    parts = [splice.PartPDF(first), splice.PartPDF(second, pad_to_even=False)]
    shared = splice.join(parts, 0)
    separate = splice.join(parts, 0, share_fonts=False)
    with pikepdf.open(io.BytesIO(shared)) as pdf:
        assert_whole(pdf)
        faces = _fonts_by_face(pdf)
    with pikepdf.open(io.BytesIO(separate)) as pdf:
        assert {f: len(p) for f, p in _fonts_by_face(pdf).items()} == {f: 2 for f in faces}
    assert len(faces) >= 3                        # CFF (Libertine) and TrueType (DejaVu)
    assert all(len(programs) == 1 for programs in faces.values()), faces
    assert len(shared) < len(separate)
    # the merged programs made in another process (as a build does when its workers are
    # idle) make the same file
    with ProcessPoolExecutor(1) as pool:
        class Workers:             # the build's executor, as the join sees it
            def submit_all(self, tasks, label, last=False):
                return [pool.submit(t.fn, *t.args) for t in tasks]
        joiner = splice.Joiner(len(parts))
        for position, part in enumerate(parts):
            joiner.add(position, part)
        assert joiner.finish(0, executor=Workers()) == shared
    text = [PdfReader(io.BytesIO(d)).pages[i].extract_text() for d in (shared, separate)
            for i in (0, 2)]
    assert text[:2] == text[2:] and "wizards" in text[1]
    assert _pixels(shared, tmp_path, "shared") == _pixels(separate, tmp_path, "separate")


def _programs(data: bytes) -> dict[str, bytes]:
    """Each face's embedded font program (one per face)."""
    out = {}
    with pikepdf.open(io.BytesIO(data)) as pdf:
        for page in pdf.pages:
            for font in (page.obj.Resources.get("/Font") or {}).values():
                descriptor = font.DescendantFonts[0].FontDescriptor
                program = descriptor.get("/FontFile3") or descriptor.get("/FontFile2")
                out[str(font.BaseFont).split("+")[-1]] = program.read_bytes()
    return out


_STYLE = ('<style>.l { font-family: "Linux Libertine O" } .d { font-family: "DejaVu Sans" }'
          '</style>')
_BODIES = ['<p class="l">Quick <b>brown</b> fox, <i>jumps</i> 123.</p><p class="d">Sans.</p>',
           '<p class="l">Vexing zebras <b>quiz</b> <i>4567</i>.</p><p class="d">XYZ 890.</p>']


def test_a_merged_font_is_the_subset_made_for_the_whole_text():
    """Merged from the installed font (writers/fontfiles), each face's program is the
    very one a document that has both parts' text embeds."""
    parts = [splice.PartPDF(_part(_STYLE + body)) for body in _BODIES]
    joined = _programs(splice.join(parts, 0))
    whole = _programs(splice.join([splice.PartPDF(_part(_STYLE + "".join(_BODIES)))], 0))
    assert len(joined) >= 4 and joined.keys() == whole.keys()
    assert joined == whole
    assert joined != _programs(_part(_STYLE + "".join(_BODIES)))   # not WeasyPrint's own


def test_subsets_are_merged_by_glyph_where_the_installed_font_cannot_be_used(
        monkeypatch, tmp_path):
    from studyguide.writers import fontfiles
    parts = [splice.PartPDF(_part(_STYLE + body)) for body in _BODIES]
    monkeypatch.setattr(fontfiles, "subset", lambda sample, own, used, missing: None)
    merged = splice.join(parts, 0)
    faces = _fonts_by_face(pikepdf.open(io.BytesIO(merged)))
    assert all(len(p) == 1 for face, p in faces.items() if "Libertine" in face), faces
    assert _programs(merged) != _programs(_part(_STYLE + "".join(_BODIES)))   # not resubset
    separate = splice.join(parts, 0, share_fonts=False)
    assert _pixels(merged, tmp_path, "merged") == _pixels(separate, tmp_path, "separate")


def test_a_font_not_installed_is_not_taken_for_another(monkeypatch):
    """A subset whose PostScript name fontconfig does not know (here: renamed) is
    left to the glyph merge, not matched to whatever font fontconfig falls back on."""
    import fontTools.ttLib
    from studyguide.writers import fontfiles
    program = _programs(_part(_STYLE + _BODIES[0]))
    font = next(p for name, p in program.items() if "Libertine" in name)
    tt = fontTools.ttLib.TTFont(io.BytesIO(font))
    for record in tt["name"].names:
        if record.nameID == 6:
            record.string = "NoSuchFont-Regular"
    out = io.BytesIO()
    tt.save(out)
    assert "NoSuchFont-Regular" not in fontfiles.installed_fonts()
    assert "LinLibertineO" in fontfiles.installed_fonts()
    order, metrics = tt.getGlyphOrder(), tt["hmtx"].metrics
    own = {gid for gid, name in enumerate(order) if gid and metrics[name][0]}
    assert fontfiles.subset(out.getvalue(), own, own, False) is None
    assert fontfiles.subset(font, own, own, False) is not None   # the font itself is found


def test_joined_edition_is_one_tagged_document(mini_build):
    for path in (only(mini_build, "*-student-a4.pdf"), only(mini_build, "*-teacher-a4.pdf")):
        with pikepdf.open(path) as pdf:
            assert_whole(pdf)
            assert len(list(_struct_elements(pdf.Root.StructTreeRoot.K[0]))) > 100


def _xrefs_by_page(path) -> tuple[list[list[str]], list[list[str]]]:
    """Per page: the page numbers the text cites as "(p. N)", and the printed labels of
    the pages its links lead to."""
    reader = PdfReader(path)
    labels = reader.page_labels
    cited, targets = [], []
    with pikepdf.open(path) as pdf:
        index = {p.objgen: i for i, p in enumerate(pdf.pages)}
        dests = _named_dests(pdf)
        for i, page in enumerate(pdf.pages):
            text = reader.pages[i].extract_text() or ""
            cited.append(re.findall(r"\(p\.\s*(\w+)\)", text))
            targets.append([labels[index[dests[str(a.Dest)][0].objgen]]
                            for a in page.obj.get("/Annots", []) if "/Dest" in a])
    return cited, targets


def test_cross_references_print_the_page_their_target_is_on(mini_build):
    cited, targets = _xrefs_by_page(only(mini_build, "*-student-a4.pdf"))
    assert sum(map(len, cited)) >= 4
    for numbers, linked in zip(cited, targets):
        for number in numbers:
            assert number in linked, (number, linked)


def test_a_print_pages_marker_is_in_the_text_not_in_a_note(book_copy, tmp_path):
    """A page on which only a note's list starts (a long paragraph runs over it, and a
    note called on it lists its points at its foot) had its EPUB marker in that note,
    among the notes closing the chapter: "go to page 5" led a reader there. It goes
    before the paragraph the page's text continues, as the marker of a page on which
    nothing starts does."""
    import zipfile

    from lxml import etree

    from conftest import add_to_chapter, run_build
    from test_end_to_end import NS, assert_page_markers_match
    sentence = ("The scissors crisis of 1923 opened a gap between the prices of industrial "
                "goods and those of the grain the peasants sold, and the party argued over "
                "how to close it. ")
    add_to_chapter(book_copy, "".join(
        sentence + (f"A source says so.[^s{n}] " if n % 3 == 2 else "") for n in range(60)) +
        "".join(f"\n\n[^s{n}]: The source's own words:\n\n    1. its author;\n"
                f"    2. its title;\n    3. its date." for n in range(2, 60, 3)))
    out = tmp_path / "out"
    result = run_build("--content", str(book_copy), "--output", str(out), "--no-handouts",
                       "--edition", "student", "-q")
    assert result.returncode == 0, result.stderr
    epub = only(out, "*.epub")
    ch2 = etree.fromstring(zipfile.ZipFile(epub).read("EPUB/ch02.xhtml"))
    markers = ch2.xpath('//*[@epub:type="pagebreak"]', namespaces=NS)
    in_notes = [m.get("id") for m in markers
                if m.xpath('ancestor::*[@epub:type="footnotes"]', namespaces=NS)]
    assert not in_notes, in_notes
    [long] = [p for p in ch2.xpath("//x:p", namespaces=NS)
              if "".join(p.itertext()).count("scissors crisis") == 60]
    assert len(long.xpath('.//*[@epub:type="pagebreak"]', namespaces=NS)) >= 4
    assert assert_page_markers_match(only(out, "*-student-a4.pdf"), epub) >= 3


def test_edit_that_moves_later_pages_rebuilds_as_a_clean_build(book_copy, tmp_path):
    cache = tmp_path / "cache"
    out = tmp_path / "inc"
    build(book_copy, out, cache, "--no-handouts")
    before = len(PdfReader(only(out, "*-student-a4.pdf")).pages)
    filler = "\n\n".join(f"An added paragraph, number {i}, about the alpha doctrine and its "
                         "critics, long enough to fill a few lines of the printed page." for i in
                         range(40))
    edit(book_copy / "chapters" / "01-first.md", "## The beta theory {#sec-beta}",
         filler + "\n\n## The beta theory {#sec-beta}")
    build(book_copy, out, cache, "--no-handouts")
    after = only(out, "*-student-a4.pdf")
    assert len(PdfReader(after).pages) > before, "the edit did not move the later chapters"
    cited, targets = _xrefs_by_page(after)
    for numbers, linked in zip(cited, targets):
        for number in numbers:
            assert number in linked, (number, linked)
    build(book_copy, tmp_path / "clean", None, "--no-handouts")
    assert snapshot(out) == snapshot(tmp_path / "clean")


def _words(data: bytes, tmp_path) -> list[list[tuple[str, float, float, float, float]]]:
    """Each page's words with their boxes (in points, to a hundredth)."""
    path = tmp_path / "words.pdf"
    path.write_bytes(data)
    xml = subprocess.run(["pdftotext", "-bbox", str(path), "-"], capture_output=True,
                         text=True, check=True).stdout
    pages = []
    for page in xml.split("<page ")[1:]:
        pages.append([(html.unescape(w), *(round(float(v), 2) for v in box)) for *box, w in
                      re.findall(r'xMin="([\d.]+)" yMin="([\d.]+)" xMax="([\d.]+)" '
                                 r'yMax="([\d.]+)">([^<]*)</word>', page)])
    return pages


def _typeset_directly(rb, html_text: str) -> pdf.PartLayout:
    """A part laid out and written with its numbers already in its HTML: what numbering
    a layout made from the part's shape must reproduce."""
    fetcher = pdf._fetcher(rb)
    document = pdf._document(rb, html_text, fetcher)
    return pdf.PartLayout(document.write_pdf(pdf_variant="pdf/ua-1"),
                          pdf._anchors_by_page(document), fetcher.refused)


@pytest.mark.parametrize("first", [1, 97, 120])
def test_a_part_numbered_after_layout_prints_what_typesetting_its_numbers_would(tmp_path, first):
    """A part is laid out once, with zeros for its page numbers, and numbered when the
    plan is known (for each edition that shares it); every word, folio and "(p. N)" must
    come out exactly where typesetting the part with its real numbers would put them."""
    rb, _ = prepare(Options(content=MINI, output=tmp_path))
    sources = pdf.part_sources(rb, False, "A4")
    ids = pdf.anchor_ids(sources.values())
    targets = pdf.number_targets(pdf.paginate_html(sources["ch01"], None,
                                                   {i: "0" for i in ids}, ids))
    pages = {t: str(first + 4 * i + 3) for i, t in enumerate(targets)}
    shape = pdf.paginate_html(sources["ch01"], None, pdf.shape_of(pages), ids)
    assert 'data-page="00"' in shape or 'data-page="000"' in shape or first == 1

    laid_out = pdf.layout_part(rb, shape, "ch01-test")
    assert laid_out.pdf is None
    # Numbered once for another edition (kept), then again: the second numbering
    # starts from the layout, not from the first one's numbers.
    pdf.write_part(rb, shape, "ch01-test", first + 900, pages, True)
    numbered = pdf.write_part(rb, shape, "ch01-test", first, pages)
    assert "ch01-test" not in pdf._held
    direct = _typeset_directly(rb, pdf.paginate_html(sources["ch01"], first, pages, ids))

    words = _words(numbered.pdf, tmp_path)
    assert words == _words(direct.pdf, tmp_path)
    assert numbered.anchors == direct.anchors == laid_out.anchors
    text = " ".join(w[0] for page in words for w in page)
    assert len(targets) >= 3
    for target in targets:
        assert f"(p. {pages[target]})" in text
    folios = [max(page, key=lambda w: w[2])[0] for page in words]    # the lowest word
    assert folios[1:] == [str(first + i) for i in range(1, len(words))]


@pytest.mark.parametrize("which", ["index", "contents"])
def test_the_index_and_contents_numbered_after_layout_print_what_typesetting_would(tmp_path,
                                                                                    which):
    """The index's locators and the contents' page numbers are set into a layout made
    with zeros, as a chapter's cross-references are; every word must land where
    typesetting them with their numbers puts it (some numbers have two digits, some three)."""
    rb, _ = prepare(Options(content=MINI, output=tmp_path))
    sources = pdf.part_sources(rb, False, "A4")
    ids = pdf.anchor_ids(sources.values())
    real = {anchor: str(10 + i if i % 2 else 100 + i) for i, anchor in enumerate(sorted(ids))}
    real["index"] = "131"
    source = pdf.index_source if which == "index" else pdf.front_source
    first = 127 if which == "index" else None
    shape = pdf.paginate_html(source(rb, False, "A4", pdf.shape_of(real)), None,
                              pdf.shape_of(real), ids)
    numbers = {t: real[t] for t in pdf.number_targets(shape) if t in real}
    assert len(numbers) >= 6 and {len(n) for n in numbers.values()} == {2, 3}
    laid_out = pdf.layout_part(rb, shape, f"{which}-test")
    numbered = pdf.write_part(rb, shape, f"{which}-test", first, numbers)
    direct = _typeset_directly(rb, pdf.paginate_html(source(rb, False, "A4", real), first, real, ids))

    words = _words(numbered.pdf, tmp_path)
    assert words == _words(direct.pdf, tmp_path)
    assert numbered.anchors == direct.anchors == laid_out.anchors
    printed = {w[0].strip(",") for page in words for w in page}
    assert set(numbers.values()) <= printed


def test_parts_laid_out_with_the_shared_stylesheet_are_what_weasyprint_makes_of_them(tmp_path):
    """A worker parses the book's stylesheet once and lays every part out with it as a
    user stylesheet; each PDF must be the one WeasyPrint makes of the part's own HTML,
    <style> and all."""
    rb, _ = prepare(Options(content=MINI, output=tmp_path))
    sources = pdf.part_sources(rb, False, "A4")
    ids = pdf.anchor_ids(sources.values())
    parts = [pdf.paginate_html(html_text, 1, {}, ids) for html_text in sources.values()][:2]
    parts.append(pdf.paginate_html(pdf.front_source(rb, False, "A4", {}), None, {}, ids))
    pdf._STYLESHEETS.clear()
    for html_text in parts:
        # (as every part goes to WeasyPrint: the space before an inline element in it)
        plain = HTML(string=pdf.spaces_into_inlines(html_text),
                     base_url=rb.book.root.as_uri() + "/",
                     url_fetcher=pdf._fetcher(rb)).write_pdf(pdf_variant="pdf/ua-1")
        shared = pdf._document(rb, html_text, pdf._fetcher(rb)).write_pdf(
            pdf_variant="pdf/ua-1")
        assert shared == plain
    assert len(pdf._STYLESHEETS) == 1           # one stylesheet, parsed once, for all three


def test_a_rebuild_takes_the_parts_typographic_quotes_from_the_cache(tmp_path, monkeypatch):
    """SmartyPants runs on every part's print HTML; a rebuild takes what it made from the
    build's cache (the workers wait for the main process until the first part is
    ready), and the parts' HTML is the same either way."""
    from studyguide import pagination
    from studyguide.cache import Cache
    rb, _ = prepare(Options(content=MINI, output=tmp_path / "out"))
    store = Cache(tmp_path / "cache")
    pdf._TYPOGRAPHY.clear()      # (what this process made for other tests of the book)
    first = pagination.Edition(False, "A4", memo=store)
    pagination.read_sources(rb, first)
    assert any("\u2019" in html for html in first.sources.values())   # quotes were set

    quotes = pdf._smartypants

    def refuse(text, *args):        # a running head's few words are set again, at no cost
        if len(text) > 1000:
            raise AssertionError("SmartyPants ran again on a part's HTML")
        return quotes(text, *args)
    monkeypatch.setattr(pdf, "_smartypants", refuse)
    pdf._TYPOGRAPHY.clear()      # (a rebuild is another process)
    again = pagination.Edition(False, "A4", memo=Cache(tmp_path / "cache"))
    pagination.read_sources(rb, again)
    assert again.sources == first.sources and again.book_ids == first.book_ids
    pdf._TYPOGRAPHY.clear()
    with pytest.raises(AssertionError, match="SmartyPants ran again"):
        pagination.read_sources(rb, pagination.Edition(False, "A4"))   # no cache: it runs
