"""PDF/UA-1 rules the builder implements, checked on the joined PDFs with pikepdf.

Each rule is a function taking a ``pikepdf.Pdf`` and returning its problems (an empty
list when the file keeps the rule). Every rule is run on the fixture book's student and
teacher PDFs and on one handout, and on the default book's student PDF (slow); and for
every rule a copy of a real PDF is broken in exactly that rule, and the check must find
it, so that no check passes for want of anything to look at.
"""
from __future__ import annotations

import io
import re
from pathlib import Path

import pikepdf
import pytest
from pikepdf import Array, Dictionary, Name

from conftest import only, run_build

HEADING = re.compile(r"/H([1-6])$")
TEXT_SHOWING = {"Tj", "TJ", "'", '"'}
FONT_FILES = ("/FontFile", "/FontFile2", "/FontFile3")
PDFUAID = "{http://www.aiim.org/pdfua/ns/id/}part"


# -- walking the structure tree ------------------------------------------------------

def _kids(node) -> list:
    kids = node.get("/K")
    if kids is None:
        return []
    return list(kids) if isinstance(kids, Array) else [kids]


def _role(pdf: pikepdf.Pdf, elem) -> str:
    """The standard structure type of an element, through the tree's role map."""
    role = str(elem.get("/S", ""))
    rolemap = pdf.Root.StructTreeRoot.get("/RoleMap", Dictionary())
    seen = set()
    while role in rolemap and role not in seen:
        seen.add(role)
        role = str(rolemap[role])
    return role


def elements(pdf: pikepdf.Pdf):
    """Every structure element in reading order (depth first along /K), with the page
    its marked-content references default to (its own or the nearest ancestor's /Pg)."""
    def walk(node, page):
        for kid in _kids(node):
            if isinstance(kid, Dictionary) and "/S" in kid:
                here = kid.get("/Pg", page)
                yield kid, here
                yield from walk(kid, here)
    root = pdf.Root.get("/StructTreeRoot")
    if root is not None:
        yield from walk(root, None)


def reached_mcids(pdf: pikepdf.Pdf) -> set[tuple]:
    """(page objgen, MCID) of every marked-content sequence a structure element reaches."""
    reached = set()
    for elem, page in elements(pdf):
        for kid in _kids(elem):
            if isinstance(kid, int) and page is not None:
                reached.add((page.objgen, kid))
            elif isinstance(kid, Dictionary) and kid.get("/Type") == "/MCR":
                pg = kid.get("/Pg", page)
                if pg is not None:
                    reached.add((pg.objgen, int(kid.MCID)))
    return reached


def _mcid(page: pikepdf.Page, operands) -> int | None:
    if len(operands) < 2:
        return None
    props = operands[1]
    if isinstance(props, Name):
        props = page.obj.get("/Resources", Dictionary()).get("/Properties", Dictionary()).get(props)
    if isinstance(props, Dictionary) and "/MCID" in props:
        return int(props.MCID)
    return None


# -- the rules -----------------------------------------------------------------------

def check_content_tagged(pdf: pikepdf.Pdf) -> list[str]:
    """Every marked-content sequence is an artifact or reached by the structure tree;
    no text is shown outside marked content."""
    problems = []
    reached = reached_mcids(pdf)
    for number, page in enumerate(pdf.pages, 1):
        stack: list[tuple[str, int | None]] = []
        for operands, operator in pikepdf.parse_content_stream(page):
            op = str(operator)
            if op in ("BDC", "BMC"):
                tag = str(operands[0])
                mcid = _mcid(page, operands) if op == "BDC" else None
                inside_artifact = any(t == "/Artifact" for t, _ in stack)
                if tag != "/Artifact" and not inside_artifact:
                    if mcid is None and not any(m is not None for _, m in stack):
                        problems.append(f"page {number}: {tag} sequence without an MCID")
                    elif mcid is not None and (page.obj.objgen, mcid) not in reached:
                        problems.append(f"page {number}: MCID {mcid} ({tag}) reached by "
                                        "no structure element")
                stack.append((tag, mcid))
            elif op == "EMC":
                if not stack:
                    problems.append(f"page {number}: EMC without BDC")
                else:
                    stack.pop()
            elif op in TEXT_SHOWING and not stack:
                problems.append(f"page {number}: text shown outside marked content")
        if stack:
            problems.append(f"page {number}: {len(stack)} marked-content sequence(s) unclosed")
    return problems


def check_heading_levels(pdf: pikepdf.Pdf) -> list[str]:
    """H1..H6 in reading order start at H1 and never go down more than one level."""
    problems = []
    previous = 0
    for elem, _ in elements(pdf):
        match = HEADING.match(_role(pdf, elem))
        if match:
            level = int(match.group(1))
            if level > previous + 1:
                problems.append(f"H{level} follows H{previous or '(none)'}: "
                                f"{str(elem.get('/T', ''))!r}")
            previous = level
    return problems


def check_figure_alt(pdf: pikepdf.Pdf) -> list[str]:
    """Every Figure has a non-empty /Alt or /ActualText."""
    problems = []
    for elem, _ in elements(pdf):
        if _role(pdf, elem) == "/Figure":
            text = str(elem.get("/Alt", "")).strip() or str(elem.get("/ActualText", "")).strip()
            if not text:
                problems.append(f"Figure {elem.objgen} without /Alt or /ActualText")
    return problems


def _attributes(elem) -> list:
    attrs = elem.get("/A")
    if attrs is None:
        return []
    if isinstance(attrs, Dictionary):
        return [attrs]
    return [a for a in attrs if isinstance(a, Dictionary)]   # skips revision numbers


def check_th_scope(pdf: pikepdf.Pdf) -> list[str]:
    """Every table header cell (TH) has a Table attribute /Scope: Row, Column or Both."""
    problems = []
    for elem, _ in elements(pdf):
        if _role(pdf, elem) == "/TH":
            scopes = [str(a.Scope) for a in _attributes(elem)
                      if a.get("/O") == "/Table" and "/Scope" in a]
            if not scopes or scopes[0] not in ("/Row", "/Column", "/Both"):
                problems.append(f"TH {elem.objgen} without /Scope ({scopes})")
    return problems


def _title(pdf: pikepdf.Pdf) -> str:
    info = str(pdf.docinfo.get("/Title", "")).strip() if "/Info" in pdf.trailer else ""
    if info:
        return info
    with pdf.open_metadata() as meta:
        return str(meta.get("dc:title", "")).strip()


def check_language_and_title(pdf: pikepdf.Pdf) -> list[str]:
    """The catalog names the language, the document has a title, and viewers show it."""
    problems = []
    if not str(pdf.Root.get("/Lang", "")).strip():
        problems.append("no /Lang in the catalog")
    if not _title(pdf):
        problems.append("no title in /Info or the XMP's dc:title")
    prefs = pdf.Root.get("/ViewerPreferences", Dictionary())
    if prefs.get("/DisplayDocTitle") is not True:
        problems.append("/ViewerPreferences /DisplayDocTitle is not true")
    return problems


def check_links(pdf: pikepdf.Pdf) -> list[str]:
    """Every link annotation has /Contents that describes it (not its target's bare id,
    which is what WeasyPrint writes) and a /StructParent that the parent tree maps to a
    Link structure element, and a Link element reaches it through an OBJR."""
    problems = []
    parents = pikepdf.NumberTree(pdf.Root.StructTreeRoot.ParentTree)
    linked = set()
    for elem, _ in elements(pdf):
        if _role(pdf, elem) == "/Link":
            for kid in _kids(elem):
                if isinstance(kid, Dictionary) and kid.get("/Type") == "/OBJR":
                    linked.add(kid.Obj.objgen)
    for number, page in enumerate(pdf.pages, 1):
        for annot in page.obj.get("/Annots", []):
            if annot.get("/Subtype") != "/Link":
                continue
            where = f"page {number}: link {annot.objgen}"
            if not str(annot.get("/Contents", "")).strip():
                problems.append(f"{where} without /Contents")
            elif isinstance(annot.get("/Dest"), pikepdf.String) and \
                    str(annot.Contents) == str(annot.Dest):
                problems.append(f"{where}: its /Contents is its target's id, "
                                f"{str(annot.Dest)!r}")
            if "/StructParent" not in annot:
                problems.append(f"{where} without /StructParent")
            else:
                key = int(annot.StructParent)
                parent = parents[key] if key in parents else None
                if not isinstance(parent, Dictionary) or _role(pdf, parent) != "/Link":
                    problems.append(f"{where}: the parent tree maps its /StructParent to "
                                    "no Link element")
            if annot.objgen not in linked:
                problems.append(f"{where} reached by no Link element's OBJR")
    return problems


def _fonts(pdf: pikepdf.Pdf):
    """Every font dictionary in the file, Type 0 fonts' descendants included."""
    for obj in pdf.objects:
        if isinstance(obj, Dictionary) and obj.get("/Type") == "/Font":
            yield obj


def check_fonts_embedded(pdf: pikepdf.Pdf) -> list[str]:
    """Every font but Type 0 (whose descendant is checked) and Type 3 (drawn by the
    file itself) has a font descriptor with an embedded font program."""
    problems = []
    for font in _fonts(pdf):
        if font.get("/Subtype") in ("/Type0", "/Type3"):
            continue
        descriptor = font.get("/FontDescriptor")
        if descriptor is None or not any(key in descriptor for key in FONT_FILES):
            problems.append(f"font {font.get('/BaseFont')} not embedded")
    return problems


def check_tagged_pdf(pdf: pikepdf.Pdf) -> list[str]:
    """/MarkInfo /Marked true, a structure tree with a parent tree, pdfuaid:part 1."""
    problems = []
    if pdf.Root.get("/MarkInfo", Dictionary()).get("/Marked") is not True:
        problems.append("/MarkInfo /Marked is not true")
    root = pdf.Root.get("/StructTreeRoot")
    if root is None:
        problems.append("no /StructTreeRoot")
    elif "/ParentTree" not in root:
        problems.append("/StructTreeRoot has no /ParentTree")
    with pdf.open_metadata() as meta:
        part = meta.get("pdfuaid:part")
    if str(part) != "1":
        problems.append(f"XMP pdfuaid:part is {part!r}, not 1")
    return problems


def check_parent_tree(pdf: pikepdf.Pdf) -> list[str]:
    """The parent tree names, for each marked-content sequence of a page, the structure
    element that reaches it; each element's /P is the element whose /K holds it."""
    problems = []
    owner = {}
    for elem, page in elements(pdf):
        for kid in _kids(elem):
            if isinstance(kid, int) and page is not None:
                owner[page.objgen, kid] = elem.objgen
            elif isinstance(kid, Dictionary) and kid.get("/Type") == "/MCR":
                owner[kid.get("/Pg", page).objgen, int(kid.MCID)] = elem.objgen
            elif isinstance(kid, Dictionary) and "/S" in kid and kid.P.objgen != elem.objgen:
                problems.append(f"a {kid.S} element's /P is not the element holding it")
    nums = pdf.Root.StructTreeRoot.ParentTree.Nums
    tree = {int(nums[i]): nums[i + 1] for i in range(0, len(nums), 2)}
    for number, page in enumerate(pdf.pages, 1):
        if "/StructParents" not in page.obj:
            continue
        mapped = tree.get(int(page.obj.StructParents), Array())
        for mcid, elem in enumerate(mapped):
            if isinstance(elem, Dictionary) and \
                    owner.get((page.obj.objgen, mcid)) != elem.objgen:
                problems.append(f"page {number}: MCID {mcid}'s owner in the parent tree "
                                "does not reach it")
    return problems


RULES = [check_content_tagged, check_heading_levels, check_figure_alt, check_th_scope,
         check_language_and_title, check_links, check_fonts_embedded, check_tagged_pdf,
         check_parent_tree]


# -- the real PDFs -------------------------------------------------------------------

@pytest.fixture(scope="module", params=["*-student-a4.pdf", "*-teacher-a4.pdf",
                                        "handouts/ch01-*-student-a4.pdf"])
def mini_pdf(request, mini_build: Path) -> Path:
    return only(mini_build, request.param)


@pytest.mark.parametrize("rule", RULES, ids=lambda r: r.__name__)
def test_fixture_book_pdfs_keep_the_rule(rule, mini_pdf: Path):
    with pikepdf.open(mini_pdf) as pdf:
        assert rule(pdf) == []


@pytest.fixture(scope="module")
def default_student_pdf(default_guide) -> Path:
    return only(default_guide, "*-student-a4.pdf")


@pytest.mark.slow
@pytest.mark.parametrize("rule", RULES, ids=lambda r: r.__name__)
def test_default_book_student_pdf_keeps_the_rule(rule, default_student_pdf: Path):
    with pikepdf.open(default_student_pdf) as pdf:
        assert rule(pdf) == []


def test_a_span_that_says_nothing_gives_its_content_to_its_parent(mini_build: Path):
    """WeasyPrint tags every run of text as a Span of its own; one with no attribute
    says nothing, and costs the join and the file an object: the joined edition keeps
    none (each gave its marked content to its parent), and keeps those that say
    something, a language or an actual text."""
    with pikepdf.open(only(mini_build, "*-student-a4.pdf")) as pdf:
        spans = [elem for elem, _ in elements(pdf) if elem.get("/S") == "/Span"]
        plain = [e for e in spans if set(e.keys()) <= {"/K", "/P", "/Pg", "/S", "/Type"}
                 and all(isinstance(k, int) for k in _kids(e))
                 and e.Pg.objgen == e.P.get("/Pg", Dictionary()).objgen]
        texts = sum(isinstance(k, int) for elem, _ in elements(pdf) for k in _kids(elem))
    assert not plain and texts > 200, (len(plain), texts)


def _running_heads_pdf() -> bytes:
    """Two pages from WeasyPrint alone, with a running head and a folio in the page's
    margins (text WeasyPrint tags with structure elements outside the tree)."""
    from weasyprint import HTML
    html = ('<html lang="en"><head><title>T</title><style>@page { size: A6; '
            '@top-center { content: "Running head" } @bottom-center { content: '
            'counter(page) } } h1 { break-before: page }</style></head><body>'
            '<h1>One</h1><p>First page.</p><h1>Two</h1><p>Second page.</p></body></html>')
    return HTML(string=html).write_pdf(pdf_variant="pdf/ua-1", uncompressed_pdf=True)


def _content(pdf: pikepdf.Pdf) -> list[bytes]:
    return [pikepdf.unparse_content_stream(pikepdf.parse_content_stream(page))
            for page in pdf.pages]


def test_margins_become_artifacts_in_place_as_when_parsed(monkeypatch):
    """The running heads and folios are marked as pagination artifacts in the content
    stream as WeasyPrint wrote it (``splice._artifacts_in_place``); the result reads as
    the same operators as marking them by parsing the stream, which is taken where the
    stream is not written in WeasyPrint's form (here: every sequence's start on one
    line)."""
    from studyguide.writers import splice
    data = _running_heads_pdf()
    in_place = splice._artifacts_in_place
    taken: list[bool] = []
    monkeypatch.setattr(splice, "_artifacts_in_place",
                        lambda page, orphans: taken.append(in_place(page, orphans)) or taken[-1])
    fast = pikepdf.open(io.BytesIO(data))
    splice._repair(fast)
    assert taken == [True, True]
    assert check_content_tagged(_reopened(fast)) == []
    monkeypatch.setattr(splice, "_artifacts_in_place", lambda page, orphans: False)
    parsed = pikepdf.open(io.BytesIO(data))
    splice._repair(parsed)
    assert _content(fast) == _content(parsed)
    artifacts = b"".join(_content(fast)).count(b"/Artifact <<")
    assert artifacts >= 4, artifacts              # a head and a folio on each page
    # a stream written otherwise: the sequences' starts on one line each
    monkeypatch.setattr(splice, "_artifacts_in_place",
                        lambda page, orphans: taken.append(in_place(page, orphans)) or taken[-1])
    other = pikepdf.open(io.BytesIO(data))
    for page in other.pages:
        page.obj.Contents.write(page.obj.Contents.read_bytes().replace(b"\n<</MCID", b" <</MCID")
                                .replace(b">>\nBDC", b">> BDC"))
    splice._repair(other)
    assert taken == [True, True, False, False]
    assert _content(other) == _content(parsed)


def test_header_scope_follows_the_tables_html(mini_build: Path):
    """The builder's tables head columns in their header row and each body row with its
    first cell (``scope="col"``, ``scope="row"``): the PDF says the same."""
    with pikepdf.open(only(mini_build, "*-student-a4.pdf")) as pdf:
        found = {}
        for elem, _ in elements(pdf):
            if _role(pdf, elem) == "/TH":
                row = elem.P
                place = ("head" if row.P.get("/S") == "/THead" else
                         "first" if row.K[0].objgen == elem.objgen else "other")
                scope = next(str(a.Scope) for a in _attributes(elem) if "/Scope" in a)
                found.setdefault(place, set()).add(scope)
    assert found == {"head": {"/Column"}, "first": {"/Row"}}, found


RAW_TABLE = """

<table>
<thead><tr><th scope="col">Year</th><th scope="col">Event</th></tr></thead>
<tbody>
<tr><th scope="col">1905</th><td>Revolution</td></tr>
<tr><td>1917</td><th scope="row">October</th></tr>
</tbody>
</table>
"""


def test_header_scope_follows_an_authors_table(book_copy: Path, tmp_path: Path):
    """An author's own table says what each header cell heads, wherever it stands."""
    with (book_copy / "back" / "exercise.md").open("a", encoding="utf-8") as f:
        f.write(RAW_TABLE)
    out = tmp_path / "out"
    result = run_build("--content", str(book_copy), "--output", str(out), "-q",
                       "--format", "pdf", "--edition", "student", "--no-handouts")
    assert result.returncode == 0, result.stderr
    with pikepdf.open(only(out, "*-student-a4.pdf")) as pdf:
        tables = [elem for elem, _ in elements(pdf) if _role(pdf, elem) == "/Table"]
        scopes = [str(a.Scope) for elem, _ in elements(pdf)
                  if _role(pdf, elem) == "/TH" and _inside(elem, tables[-1])
                  for a in _attributes(elem) if "/Scope" in a]
    assert scopes == ["/Column", "/Column", "/Column", "/Row"]


def _inside(elem, ancestor) -> bool:
    while "/P" in elem:
        elem = elem.P
        if elem.objgen == ancestor.objgen:
            return True
    return False


# -- each check finds its rule broken ------------------------------------------------

@pytest.fixture
def student(mini_build: Path):
    """A fresh, writable copy of the fixture book's student PDF."""
    data = only(mini_build, "*-student-a4.pdf").read_bytes()
    with pikepdf.open(io.BytesIO(data)) as pdf:
        yield pdf


def _first(pdf: pikepdf.Pdf, role: str):
    found = next((elem for elem, _ in elements(pdf) if _role(pdf, elem) == role), None)
    assert found is not None, f"the fixture book's student PDF has no {role} to break"
    return found


def _reopened(pdf: pikepdf.Pdf) -> pikepdf.Pdf:
    """The broken file saved and read back, so the check sees what a reader would."""
    buf = io.BytesIO()
    pdf.save(buf)
    return pikepdf.open(io.BytesIO(buf.getvalue()))


def test_untagged_text_is_found(student):
    page = student.pages[0]
    page.contents_add(student.make_stream(b"BT /F1 12 Tf 72 72 Td (loose) Tj ET"))
    assert any("outside marked content" in p for p in check_content_tagged(_reopened(student)))


def test_marked_content_no_element_reaches_is_found(student):
    page = student.pages[0]
    page.contents_add(student.make_stream(
        b"/P <</MCID 9999>> BDC BT /F1 12 Tf 72 72 Td (orphan) Tj ET EMC"))
    assert any("MCID 9999" in p for p in check_content_tagged(_reopened(student)))


def test_skipped_heading_level_is_found(student):
    heading = _first(student, "/H1")
    heading.S = Name("/H3")
    assert any("H3 follows" in p for p in check_heading_levels(_reopened(student)))


def test_figure_without_alt_is_found(student):
    figure = _first(student, "/Figure")
    for key in ("/Alt", "/ActualText"):
        if key in figure:
            del figure[key]
    assert check_figure_alt(_reopened(student))


def test_th_without_scope_is_found(student):
    cell = _first(student, "/TH")
    if "/A" in cell:
        del cell["/A"]
    assert check_th_scope(_reopened(student))


@pytest.mark.parametrize("breaking", ["lang", "title", "display"])
def test_missing_language_or_title_is_found(student, breaking):
    if breaking == "lang":
        del student.Root["/Lang"]
    elif breaking == "title":
        if "/Title" in student.docinfo:
            del student.docinfo["/Title"]
        with student.open_metadata(set_pikepdf_as_editor=False, update_docinfo=False) as meta:
            if "dc:title" in meta:
                del meta["dc:title"]
    else:
        student.Root.ViewerPreferences.DisplayDocTitle = False
    assert len(check_language_and_title(_reopened(student))) == 1


def _first_link(pdf: pikepdf.Pdf):
    for page in pdf.pages:
        for annot in page.obj.get("/Annots", []):
            if annot.get("/Subtype") == "/Link":
                return annot
    pytest.fail("the fixture book's student PDF has no link to break")


@pytest.mark.parametrize("breaking", ["contents", "id", "structparent", "parenttree",
                                      "objr"])
def test_untagged_link_is_found(student, breaking):
    annot = _first_link(student)
    if breaking == "contents":
        del annot["/Contents"]
    elif breaking == "id":
        annot.Contents = pikepdf.String(str(annot.Dest))
    elif breaking == "structparent":
        del annot["/StructParent"]
    elif breaking == "parenttree":
        annot.StructParent = int(student.Root.StructTreeRoot.ParentTreeNextKey) + 1
    else:
        for elem, _ in elements(student):
            kids = elem.get("/K")
            if isinstance(kids, Array):
                elem.K = Array([k for k in kids if not (isinstance(k, Dictionary)
                                and k.get("/Obj") is not None
                                and k.Obj.objgen == annot.objgen)])
            elif isinstance(kids, Dictionary) and kids.get("/Obj") is not None \
                    and kids.Obj.objgen == annot.objgen:
                elem.K = Array()
    problems = check_links(_reopened(student))
    assert len(problems) == 1, problems


def test_a_link_is_described_by_what_it_leads_to(mini_build: Path):
    """A link's /Contents, which a screen reader gives for it, says what it leads to: a
    chapter's or a section's heading, a table's caption, a glossary term, the start of a
    works-cited entry; an index locator, which leads into running text, its page as the
    page's label prints it."""
    with pikepdf.open(only(mini_build, "*-student-a4.pdf")) as pdf:
        labels = pikepdf.NumberTree(pdf.Root.PageLabels)
        front = next(int(k) for k, v in labels.items() if v.get("/S") == "/D")
        number = {page.objgen: i for i, page in enumerate(pdf.pages)}
        dests = dict(pikepdf.NameTree(pdf.Root.Names.Dests).items())
        said = {}
        for page in pdf.pages:
            for annot in page.obj.get("/Annots", []):
                if isinstance(annot.get("/Dest"), pikepdf.String):
                    said.setdefault(str(annot.Dest), set()).add(str(annot.Contents))

        def page_of(name: str) -> str:
            dest = dests[name]
            dest = dest.D if isinstance(dest, Dictionary) else dest
            return str(number[dest[0].objgen] - front + 1)

    assert said["ch01"] == {"The First Chapter"}
    assert said["sec-alpha"] == {"1.1 Where alpha began"}
    assert said["tbl-ch01-compare"] == {"Table 1.1. Alpha and beta compared"}
    assert said["gl-alpha-doctrine"] == {"Alpha doctrine"}
    assert all(s.startswith("Writer, Ada. 1901. The Alpha Doctrine.")
               for s in said["ref-writer1901"])
    locators = [name for name in said if re.fullmatch(r"ch0\d-(im|ix|gl)\d+", name)]
    assert locators
    for name in locators:
        assert said[name] == {f"Page {page_of(name)}"}, name


def test_font_not_embedded_is_found(student):
    descriptor = next(font.FontDescriptor for font in _fonts(student)
                      if "/FontDescriptor" in font)
    for key in FONT_FILES:
        if key in descriptor:
            del descriptor[key]
    assert any("not embedded" in p for p in check_fonts_embedded(_reopened(student)))


@pytest.mark.parametrize("breaking", ["marked", "parenttree", "pdfuaid"])
def test_untagged_pdf_is_found(student, breaking):
    if breaking == "marked":
        student.Root.MarkInfo.Marked = False
    elif breaking == "parenttree":
        del student.Root.StructTreeRoot["/ParentTree"]
    else:
        with student.open_metadata(set_pikepdf_as_editor=False, update_docinfo=False) as meta:
            del meta["pdfuaid:part"]
    assert len(check_tagged_pdf(_reopened(student))) == 1
