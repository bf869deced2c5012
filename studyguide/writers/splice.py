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

pikepdf (QPDF) does the object copying; copying a part's pages and then its structure
tree through the same foreign-object map keeps every /Pg reference on the copied page.
"""
from __future__ import annotations

import io
import warnings
import zlib
from dataclasses import dataclass

import pikepdf
from pikepdf import Array, Dictionary, Name, String

from .fontmerge import merge_fonts

XREF_SCHEME = "xref:"


@dataclass
class PartPDF:
    data: bytes
    pad_to_even: bool = True


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
               salt: str = "", spread=None) -> bytes:
        """The joined file: links, destinations, outline, page labels, shared fonts
        (``spread``: where the merged font programs are made, see ``merge_fonts``)."""
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
            merge_fonts(out, font_memo, salt, spread)
        buf = io.BytesIO()
        out.save(buf, deterministic_id=True, compress_streams=True,
                 object_stream_mode=pikepdf.ObjectStreamMode.generate)
        for src in self.sources:
            src.close()
        out.close()
        return buf.getvalue()


def _compress_contents(pages) -> None:
    """Deflate any page content stream that a part brings uncompressed (``pdf.write_part``
    deflates its own; other parts may not), as it comes in, rather than when the joined
    file is saved; the save deflates the rest, the merged fonts among them."""
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
