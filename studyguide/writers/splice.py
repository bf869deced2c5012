"""Joins separately typeset parts of an edition into one tagged PDF.

Each part (the front matter, a chapter, an appendix, the index) is a complete PDF/UA
document written by WeasyPrint. Joining them keeps what makes the whole an accessible
book, which a plain page concatenation loses:

- the structure trees: every part's top-level structure elements become children of
  the first part's Document element, and the parent-tree keys of each part's pages and
  annotations are shifted past those already used;
- links between parts: a part marks a link to an anchor in another part with the
  ``xref:`` scheme, and the joined file turns it into a link to the named destination;
- the named destinations and the bookmark outlines of every part, in part order;
- blank pages where a part has an odd number of pages, so that the next part opens
  on a right-hand page;
- the printed page labels (roman numerals for the front matter, then arabic);
- one embedded program per typeface instead of one subset per part (``fontmerge``).

Each part's tagging is also completed where WeasyPrint's PDF/UA-1 output falls short
(``repair_tags``, also applied to the handouts): running heads and folios become
pagination artifacts, a link's annotation is referenced from its Link element, and
table header cells get a /Scope.

pikepdf (QPDF) does the object copying; copying a part's pages and then its structure
tree through the same foreign-object map keeps every /Pg reference on the copied page.
"""
from __future__ import annotations

import io
import re
import warnings
import zlib
from dataclasses import dataclass

import pikepdf
from pikepdf import Array, Dictionary, Name, String

from ..theme import roman
from .fontmerge import merge_fonts

XREF_SCHEME = "xref:"


@dataclass
class PartPDF:
    data: bytes
    pad_to_even: bool = True
    prepared: bool = False      # made by ``prepare_part`` (in the worker that drew it)


def prepare_part(data: bytes) -> bytes:
    """A part as WeasyPrint wrote it, made ready to be joined: its tagging completed
    (``_repair``) and its page content deflated. The worker that draws a part does this,
    so that the join, in the build's main process, only copies; a part taken from the
    cache is ready already. Its font programs stay as they are: the join merges them."""
    with pikepdf.open(io.BytesIO(data)) as pdf:
        _repair(pdf)
        _compress_contents(pdf.pages)
        buf = io.BytesIO()
        pdf.save(buf, deterministic_id=True, compress_streams=False,
                 stream_decode_level=pikepdf.StreamDecodeLevel.none)
        return buf.getvalue()


def _outline(items) -> list[tuple[str, object, list]]:
    """(title, destination, children) for a part's outline items."""
    out = []
    for item in items:
        dest = item.destination
        out.append((item.title, dest, _outline(item.children)))
    return out


def _blank_page(pdf: pikepdf.Pdf, like: pikepdf.Page) -> pikepdf.Page:
    page = Dictionary(Type=Name.Page, MediaBox=like.obj.MediaBox, Resources=Dictionary(),
                      Contents=pdf.make_stream(b""), Tabs=Name.S)
    return pikepdf.Page(pdf.make_indirect(page))


def join(parts: list[PartPDF], front_pages: int, share_fonts: bool = True,
         font_memo=None, salt: str = "") -> bytes:
    """One PDF from the parts, in order; the first part supplies catalog and metadata."""
    joiner = Joiner(len(parts))
    for position, part in enumerate(parts):
        joiner.add(position, part)
    return joiner.finish(front_pages, share_fonts, font_memo, salt)


class Joiner:
    """Joins parts that arrive in any order, as soon as the parts before them are in.

    ``add`` takes a part with its position; ``advance`` copies every part whose
    predecessors have all been copied; ``finish`` copies the rest and writes the file.
    Parts are always copied in book order, so the result does not depend on the order
    they arrived in.
    """

    def __init__(self, count: int):
        self.count = count
        self.waiting: dict[int, PartPDF] = {}
        self.copied = 0
        self.out: pikepdf.Pdf | None = None
        self.sources: list[pikepdf.Pdf] = []      # kept open until the output is saved
        self.dests: list[tuple[str, object]] = []
        self.outlines: list = []

    def add(self, position: int, part: PartPDF) -> None:
        self.waiting[position] = part

    def advance(self) -> None:
        while self.copied in self.waiting:
            part = self.waiting.pop(self.copied)
            if self.out is None:
                self._start(part)
            else:
                self._append(part)
            self.copied += 1

    def _start(self, part: PartPDF) -> None:
        out = self.out = pikepdf.open(io.BytesIO(part.data))
        if not part.prepared:
            _repair(out)
        self.root = out.Root.StructTreeRoot
        self.document = self.root.K[0]
        self.nums = list(self.root.ParentTree.Nums)
        self.next_key = _next_key(self.nums)
        self.dests.extend(_dests(out))
        with out.open_outline() as outline:
            self.outlines.extend(_outline(outline.root))
        _compress_contents(out.pages)
        _pad(out, part, 0)

    def _append(self, part: PartPDF) -> None:
        out = self.out
        src = pikepdf.open(io.BytesIO(part.data))
        if not part.prepared:
            _repair(src)
        self.sources.append(src)
        start = len(out.pages)
        with warnings.catch_warnings():     # destinations are carried over below
            warnings.simplefilter("ignore", pikepdf.PageCopyWarning)
            out.pages.extend(src.pages)
        new_pages = out.pages[start:]
        _compress_contents(new_pages)
        src_root = out.copy_foreign(src.Root.StructTreeRoot)
        offset = self.next_key
        for page in new_pages:
            if "/StructParents" in page.obj:
                page.obj.StructParents = int(page.obj.StructParents) + offset
            for annot in page.obj.get("/Annots", []):
                if "/StructParent" in annot:
                    annot.StructParent = int(annot.StructParent) + offset
        src_nums = list(src_root.ParentTree.Nums)
        for i in range(0, len(src_nums), 2):
            self.nums.extend([int(src_nums[i]) + offset, src_nums[i + 1]])
        self.next_key = _next_key(self.nums)
        for kid in src_root.K[0].K:
            if isinstance(kid, Dictionary):
                kid.P = self.document
            self.document.K.append(kid)
        pages = {page.objgen: new.obj for page, new in zip(src.pages, new_pages)}
        for name, dest in _dests(src):
            self.dests.append((name, _map_dest(dest, pages)))
        with src.open_outline() as outline:
            self.outlines.extend(_map_outline(_outline(outline.root), pages))
        _pad(out, part, start)

    def finish(self, front_pages: int, share_fonts: bool = True, font_memo=None,
               salt: str = "", executor=None, described: dict[str, str] | None = None,
               page_n: str = "Page {page}") -> bytes:
        """The joined file: links, destinations, outline, page labels, shared fonts
        (``executor``: the build's, which makes the merged font programs, see
        ``merge_fonts``). Each link inside the book is described (its /Contents) by what
        it leads to: ``described`` by the target's id, else the target's page as
        ``page_n`` names it."""
        self.advance()
        if self.copied != self.count:
            raise ValueError(f"parts missing from the join: {self.copied} of {self.count} in")
        out, root, dests = self.out, self.root, self.dests
        root.ParentTree = out.make_indirect(Dictionary(Nums=Array(self.nums)))
        root.ParentTreeNextKey = self.next_key
        known = {name for name, _ in dests}
        for page in out.pages:
            for annot in page.obj.get("/Annots", []):
                action = annot.get("/A")
                uri = str(action.get("/URI", "")) if action is not None else ""
                if uri.startswith(XREF_SCHEME):
                    name = uri[len(XREF_SCHEME):]
                    del annot["/A"]
                    if name in known:
                        annot.Dest = String(name)
                    annot.Contents = String(name)
        describe_links(out, dict(dests), front_pages, described, page_n)
        dests.sort(key=lambda item: item[0].encode("utf-8"))
        flat = Array()
        for name, dest in dests:
            flat.append(String(name))
            flat.append(dest)
        out.Root.Names = Dictionary(Dests=out.make_indirect(Dictionary(Names=flat)))
        with out.open_outline() as outline:
            outline.root.clear()
            outline.root.extend(_items(self.outlines))
        out.Root.PageLabels = Dictionary(Nums=Array([
            0, Dictionary(S=Name("/r")), front_pages, Dictionary(S=Name("/D"))]))
        if share_fonts:
            merge_fonts(out, font_memo, salt, executor)
        data = _save(out)
        for src in self.sources:
            src.close()
        out.close()
        return data


def _compress_contents(pages) -> None:
    """Deflate the page content streams a part brings uncompressed (``pdf.write_part``
    writes it so: its font subsets are merged away here and would be deflated for
    nothing), as it comes in, rather than when the joined file is saved; the save
    deflates the rest, the merged fonts among them."""
    for page in pages:
        contents = page.obj.get("/Contents")
        for stream in contents if isinstance(contents, Array) else [contents]:
            if isinstance(stream, pikepdf.Stream) and "/Filter" not in stream:
                stream.write(zlib.compress(stream.read_bytes()), filter=Name.FlateDecode)


def _next_key(nums) -> int:
    return max((int(nums[i]) for i in range(0, len(nums), 2)), default=-1) + 1


def _dests(pdf: pikepdf.Pdf) -> list[tuple[str, object]]:
    names = pdf.Root.get("/Names")
    if names is None or "/Dests" not in names:
        return []
    tree = pikepdf.NameTree(names.Dests)
    return [(str(k), v) for k, v in tree.items()]


def _map_dest(dest, pages: dict):
    """An explicit destination [page /XYZ x y z] moved onto the joined file's page."""
    if isinstance(dest, Dictionary):
        dest = dest.D
    return Array([pages[dest[0].objgen], *list(dest)[1:]])


def _map_outline(entries, pages: dict):
    return [(t, _map_dest(d, pages), _map_outline(c, pages)) for t, d, c in entries]


def _items(entries):
    items = []
    for title, dest, children in entries:
        item = pikepdf.OutlineItem(title, destination=dest)
        item.children.extend(_items(children))
        items.append(item)
    return items


def _pad(out: pikepdf.Pdf, part: PartPDF, start: int) -> None:
    if part.pad_to_even and (len(out.pages) - start) % 2:
        out.pages.append(_blank_page(out, out.pages[-1]))


def describe_links(pdf: pikepdf.Pdf, dests: dict, front_pages: int,
                   described: dict[str, str] | None, page_n: str) -> None:
    """Each link to a place in the file described (its /Contents, which WeasyPrint
    makes the target's id) by what it leads to: ``described`` by the target's id, else
    the target's page as ``page_n`` names it, by its label (lower-case roman numerals
    in the ``front_pages``, then 1, 2, 3...)."""
    numbers = {page.objgen: i for i, page in enumerate(pdf.pages)}

    def description(name: str) -> str:
        if described and name in described:
            return described[name]
        dest = dests.get(name)
        if isinstance(dest, Dictionary):
            dest = dest.get("/D")
        if isinstance(dest, Array) and len(dest) and dest[0].objgen in numbers:
            n = numbers[dest[0].objgen]
            return page_n.format(page=roman(n + 1) if n < front_pages
                                 else str(n - front_pages + 1))
        return name

    for page in pdf.pages:
        for annot in page.obj.get("/Annots", []):
            if isinstance(annot.get("/Dest"), String):
                annot.Contents = String(description(str(annot.Dest)))


def repair_tags(data: bytes, described: dict[str, str] | None = None,
                page_n: str = "Page {page}") -> bytes:
    """A whole PDF written by WeasyPrint (a handout) with its tagging completed, its
    links described (``describe_links``) and its fonts subset as a joined edition's are
    (``fontmerge``): the same bytes whichever subsetter WeasyPrint found on the
    machine."""
    with pikepdf.open(io.BytesIO(data)) as pdf:
        _repair(pdf)
        describe_links(pdf, dict(_dests(pdf)), 0, described, page_n)
        _compress_contents(pdf.pages)
        merge_fonts(pdf)
        return _save(pdf)


def _save(pdf: pikepdf.Pdf) -> bytes:
    """The file's bytes, compressed, with an /ID made from its content (so the same
    sources give the same bytes)."""
    buf = io.BytesIO()
    pdf.save(buf, deterministic_id=True, compress_streams=True,
             object_stream_mode=pikepdf.ObjectStreamMode.generate)
    return buf.getvalue()


def _repair(pdf: pikepdf.Pdf) -> None:
    """Make good, in one PDF from WeasyPrint, what its PDF/UA-1 tagging leaves out."""
    root = pdf.Root.StructTreeRoot
    document = root.K[0]
    nums = root.ParentTree.Nums
    entries = {int(nums[i]): i + 1 for i in range(0, len(nums), 2)}
    _margins_as_artifacts(pdf, document, nums, entries)
    for elem in _walk(document):
        role = elem.get("/S")
        if role == "/TH":
            _scope(elem)
        elif role != "/Link":
            _objr_to_link(elem, nums, entries)
    _flatten_spans(root)


SPAN_KEYS = {"/K", "/P", "/Pg", "/S", "/Type"}


def _flatten_spans(root) -> None:
    """WeasyPrint tags each run of text (the piece of a line in an inline box) as a Span
    element of its own: four in five of a part's structure elements, each an object the
    join copies and a reader's tree carries, which says nothing (no language, no
    alternative or actual text, no attribute). Such a Span gives its content to its
    parent element, and the parent tree names the parent as the owner of its marked
    content."""
    owner: dict = {}             # a Span let go -> the element its content went to

    def plain(span, parent) -> bool:
        if span.get("/S") != "/Span" or not span.is_indirect or \
                not set(span.keys()) <= SPAN_KEYS:
            return False
        kids = span.get("/K")
        kids = list(kids) if isinstance(kids, Array) else [kids]
        numbers = [k for k in kids if isinstance(k, int)]
        if len(numbers) + sum(isinstance(k, Dictionary) and "/S" in k for k in kids) \
                != len(kids):
            return False          # a reference to a whole object, or to another page's
        return not numbers or ("/Pg" in span and "/Pg" in parent and
                               span.Pg.objgen == parent.Pg.objgen)

    def flatten(elem) -> None:
        kids = elem.get("/K")
        if not isinstance(kids, Array):
            kids = Array([kids]) if isinstance(kids, Dictionary) and "/S" in kids else None
            if kids is None:
                return
        out, changed = [], False
        for kid in kids:
            if isinstance(kid, Dictionary) and "/S" in kid:
                flatten(kid)
                if plain(kid, elem):
                    owner[kid.objgen] = elem
                    inner = kid.get("/K")
                    for k in (inner if isinstance(inner, Array) else [inner]):
                        if isinstance(k, Dictionary):
                            k.P = elem
                        out.append(k)
                    changed = True
                    continue
            out.append(kid)
        if changed:
            elem.K = Array(out)

    flatten(root.K[0])
    if not owner:
        return

    def final(elem):
        while elem.objgen in owner:
            elem = owner[elem.objgen]
        return elem
    nums = root.ParentTree.Nums
    for i in range(1, len(nums), 2):
        value = nums[i]
        if isinstance(value, Array):
            for mcid, elem in enumerate(value):
                if isinstance(elem, Dictionary) and elem.objgen in owner:
                    value[mcid] = final(elem)
        elif isinstance(value, Dictionary) and value.objgen in owner:
            nums[i] = final(value)


def _walk(node):
    kids = node.get("/K")
    for kid in (kids if isinstance(kids, Array) else [kids]):
        if isinstance(kid, Dictionary) and "/S" in kid:
            yield kid
            yield from _walk(kid)


def _margins_as_artifacts(pdf, document, nums, entries) -> None:
    """WeasyPrint tags the text of page-margin boxes (running heads, folios) with MCIDs
    whose structure elements it leaves outside the tree (PDF/UA-1 has no artifact
    element). That text is marked as a pagination artifact instead, and its elements
    leave the parent tree."""
    in_tree = {kid.objgen for kid in document.K if isinstance(kid, Dictionary)}
    top_of: dict = {}

    def top(elem):
        chain = []
        while elem.objgen not in top_of and "/P" in elem and elem.P.objgen != document.objgen:
            chain.append(elem.objgen)
            elem = elem.P
        found = top_of.get(elem.objgen, elem.objgen)
        for objgen in chain:
            top_of[objgen] = found
        return found

    for page in pdf.pages:
        if "/StructParents" not in page.obj:
            continue
        mapped = nums[entries[int(page.obj.StructParents)]]
        orphans = {mcid for mcid, elem in enumerate(mapped)
                   if isinstance(elem, Dictionary) and top(elem) not in in_tree}
        if not orphans:
            continue
        if not _artifacts_in_place(page, orphans):
            content = pikepdf.parse_content_stream(page)
            for index, (operands, operator) in enumerate(content):
                if str(operator) == "BDC" and isinstance(operands[1], Dictionary) \
                        and int(operands[1].get("/MCID", -1)) in orphans:
                    content[index] = pikepdf.ContentStreamInstruction(
                        [Name.Artifact, Dictionary(Type=Name.Pagination)], operator)
            page.obj.Contents = pdf.make_stream(pikepdf.unparse_content_stream(content))
        for mcid in orphans:
            mapped[mcid] = None


# A marked-content sequence's start as WeasyPrint writes it (pydyf: one token a line):
# "/Span\n<</MCID 12>>\nBDC"
_MCID_BDC = re.compile(rb"^/[^\s/<>\[\]()%{}]+\n<</MCID (\d+)>>\nBDC$", re.MULTILINE)
_PAGINATION_BDC = b"/Artifact\n<</Type /Pagination>>\nBDC"


def _artifacts_in_place(page: pikepdf.Page, orphans: set[int]) -> bool:
    """The sequences ``orphans`` names marked as pagination artifacts in the page's one
    content stream as WeasyPrint writes it, without parsing the stream (a part's pages
    parsed into operators and written again took half of preparing it); False, the
    stream unchanged, where the stream is not written so (each of those sequences
    must start in the form ``_MCID_BDC``, once): the caller parses it."""
    stream = page.obj.get("/Contents")
    if not isinstance(stream, pikepdf.Stream):
        return False
    data = stream.read_bytes()
    marked = []

    def artifact(match: re.Match) -> bytes:
        mcid = int(match.group(1))
        if mcid not in orphans:
            return match.group(0)
        marked.append(mcid)
        return _PAGINATION_BDC
    changed = _MCID_BDC.sub(artifact, data)
    if sorted(marked) != sorted(orphans):
        return False
    stream.write(changed)
    return True


def _objr_to_link(elem, nums, entries) -> None:
    """WeasyPrint references a link's annotation (OBJR) from the Span inside the Link
    element as well as from the Link itself; PDF/UA-1 wants it in the Link."""
    kids = elem.get("/K")
    if not isinstance(kids, Array):
        return
    objrs = [k for k in kids if isinstance(k, Dictionary) and k.get("/Type") == "/OBJR"
             and k.Obj.get("/Subtype") == "/Link"]
    if not objrs:
        return
    link = elem.get("/P")
    while link is not None and link.get("/S") not in ("/Link", "/Document"):
        link = link.get("/P")
    if link is None or link.get("/S") != "/Link":
        return
    moved = {objr.objgen for objr in objrs}
    # (a kid may be a marked-content id, a number: a link around a picture's Figure)
    elem.K = Array([k for k in kids if not (isinstance(k, Dictionary) and k.objgen in moved)])
    for objr in objrs:
        link.K.append(objr)
        key = objr.Obj.get("/StructParent")
        if key is not None and int(key) in entries:
            nums[entries[int(key)]] = link


def _scope(cell) -> None:
    """A header cell's /Scope, as the HTML's ``scope`` gave it: WeasyPrint lists a row
    header (``scope="row"``) in the /Headers of the data cells of its own row, and
    treats every other header cell as heading its column."""
    ident = cell.get("/ID")
    row = cell.get("/P")
    kids = row.get("/K") if row is not None else None
    heads_row = ident is not None and isinstance(kids, Array) and any(
        isinstance(kid, Dictionary) and kid.get("/S") == "/TD"
        and ident in list(_table_attributes(kid).get("/Headers", Array()))
        for kid in kids)
    table = _table_attributes(cell)
    if "/O" not in table:
        table.O = Name.Table
        attrs = cell.get("/A")
        cell.A = Array([*attrs, table]) if isinstance(attrs, Array) else \
            (Array([attrs, table]) if attrs is not None else table)
    if "/Scope" not in table:
        table.Scope = Name.Row if heads_row else Name.Column


def _table_attributes(elem) -> Dictionary:
    """The element's Table attribute dictionary (an empty new one if it has none)."""
    attrs = elem.get("/A")
    return next((a for a in (attrs if isinstance(attrs, Array) else [attrs])
                 if isinstance(a, Dictionary) and a.get("/O") == "/Table"), Dictionary())
