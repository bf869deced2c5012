"""One embedded font program per typeface in a joined edition.

Each part of an edition embeds its own subset of every typeface it uses, so a book of
eighteen parts would carry eighteen subsets of its body face. WeasyPrint subsets with
the original glyph ids kept (a glyph has the same id, and so the same CID, in every
subset of a face), so the subsets of one face can be merged: the merged font program
has every glyph any part draws, and the merged widths (/W) and Unicode map (/ToUnicode)
are the union of the parts'. Every part's font dictionary then points at the merged
CID font and map, and the separate subsets are no longer referenced (the save drops
them). The merged program is a new subset of the installed font (``fontfiles``), made
the same way whichever subsetter WeasyPrint had, for a face of one part too, so that
the bytes do not depend on it; where the installed font cannot be used, fontTools puts
the subsets' glyphs together. A face is one font program: parts that name a face
alike but embed different fonts (``_program_name``) keep them apart, and a merged
program must draw every glyph as each part's subset does (``fontfiles.same_glyphs``).

A face is left as it is when its subsets are not of the kind this understands
(CFF-flavoured OpenType or TrueType, Identity-H, simple /W and /ToUnicode) or do not
agree on what they share.
"""
from __future__ import annotations

import io
from collections import defaultdict
from typing import TYPE_CHECKING

import pikepdf
from fontTools.ttLib import TTFont
from pikepdf import Array, Dictionary, Name

from ..cache import Memo, digest
from ..tasks import Task, gather
from . import fontfiles, pdffonts

if TYPE_CHECKING:
    from ..tasks import Executor


def merge_fonts(pdf: pikepdf.Pdf, memo: Memo | None = None, salt: str = "",
                executor: Executor | None = None) -> None:
    """Merge the subsets of every face. With a ``memo``, a merge of the same subsets as
    in an earlier build is taken from it (``salt``: what else the result depends on).
    With an ``executor`` (the build's), the merged programs (``_merge`` calls, which
    only take bytes and sets) are its tasks, made by an idle worker or here; without
    one, here."""
    faces: dict[tuple[str, str | None], list[pikepdf.Object]] = defaultdict(list)
    seen = set()
    for font in pdffonts.type0_fonts(pdf):
        if font.objgen not in seen:
            seen.add(font.objgen)
            faces[str(font.BaseFont).split("+", 1)[-1], _program_name(font)].append(font)
    merges = [m for m in (_Face.read(fonts) for fonts in faces.values()) if m is not None]
    _distinct_names(merges)
    for m in merges:
        m.key = digest("merged font", salt, m.cff, [s.read_raw_bytes() for s in m.streams],
                       [sorted(u) for u in m.used], any(m.missing))
        m.data = memo.get(m.key) if memo is not None else None
    todo = [m for m in merges if m.data is None]
    tasks = []
    for m in todo:
        programs = [s.read_bytes() for s in m.streams]
        tasks.append(Task(_merge, (programs, m.used, m.cff, any(m.missing)),
                          cost=sum(map(len, programs)), spare=True))
    made = gather(executor.submit_all(tasks, "")) if executor is not None and tasks else \
        [task.fn(*task.args) for task in tasks]
    for m, data in zip(todo, made):
        m.data = data or b""
        if memo is not None:
            memo.put(m.key, m.data)
    for m in merges:
        m.apply(pdf)


def _program_name(font) -> str | None:
    """The PostScript name of the font program a font embeds. WeasyPrint names a font
    by the face it asked for: a face it slants from the upright one, for letters the
    oblique lacks (Arabic in DejaVu Sans Oblique), is named as the oblique is, with the
    upright's program. Parts that name a face alike may so embed different fonts, which
    are never merged."""
    try:
        descriptor = font.DescendantFonts[0].FontDescriptor
        stream = descriptor.get("/FontFile2") or descriptor.get("/FontFile3")
        return fontfiles.postscript_name(stream.read_bytes()) if stream is not None else None
    except (AttributeError, IndexError, KeyError, TypeError, pikepdf.PdfError):
        return None


def _distinct_names(merges: list["_Face"]) -> None:
    """A merged face that would carry another's name (the same subset tag and face: the
    same font asked for, another font embedded) gets a tag of its own, made from its
    program's name."""
    taken: set[str] = set()
    for m in merges:
        name = str(m.fonts[0].BaseFont)
        if name in taken:
            face = name.split("+", 1)[-1]
            seed = digest("subset tag", name, _program_name(m.fonts[0]))
            name = "/" + "".join(chr(65 + int(c, 16) % 26) for c in seed[:6]) + "+" + face
        taken.add(name)
        m.base_font = Name(name)


def _widths(w: Array) -> dict[int, object] | None:
    out = {}
    items = list(w)
    i = 0
    while i < len(items):
        first = int(items[i])
        if i + 1 < len(items) and isinstance(items[i + 1], Array):
            for n, width in enumerate(items[i + 1]):
                out[first + n] = width
            i += 2
        elif i + 2 < len(items):
            for c in range(first, int(items[i + 1]) + 1):
                out[c] = items[i + 2]
            i += 3
        else:
            return None
    return out


def _cmap_stream(pdf: pikepdf.Pdf, mapping: dict[bytes, bytes]) -> pikepdf.Stream:
    entries = sorted(mapping.items(), key=lambda kv: int(kv[0], 16))
    chunks = [b"/CIDInit /ProcSet findresource begin\n12 dict begin\nbegincmap\n"
              b"/CIDSystemInfo\n<< /Registry (Adobe)\n/Ordering (UCS)\n/Supplement 0\n>> def\n"
              b"/CMapName /Adobe-Identity-UCS def\n/CMapType 2 def\n"
              b"1 begincodespacerange\n<0000> <ffff>\nendcodespacerange\n"]
    for start in range(0, len(entries), 100):       # at most 100 entries per block
        block = entries[start:start + 100]
        chunks.append(b"%d beginbfchar\n" % len(block))
        chunks.extend(b"<%s> <%s>\n" % pair for pair in block)
        chunks.append(b"endbfchar\n")
    chunks.append(b"endcmap\nCMapName currentdict /CMap defineresource pop\nend\nend")
    return pikepdf.Stream(pdf, b"".join(chunks))


def _merge(programs: list[bytes], used: list[set[int]], cff: bool, missing: bool
           ) -> bytes | None:
    """The face's one program: a subset of the installed font made as every output's is
    (``fontfiles``), else the subsets put together; None leaves a face of one subset as
    WeasyPrint embedded it, and the subsets of one that draws a glyph other than a
    part's subset has at its id (parts cut from two fonts of one name) as they are."""
    sample = max(range(len(programs)), key=lambda i: len(used[i]))
    made = fontfiles.subset(programs[sample], used[sample], set().union(*used), missing)
    if made is None and len(programs) > 1:
        made = _merged_program(programs, used, cff)
    if made is not None and not all(fontfiles.same_glyphs(made, program, gids - {0})
                                    for program, gids in zip(programs, used)):
        return None
    return made


def _is_seac(charstring) -> bool:
    charstring.decompile()
    program = charstring.program
    return bool(program) and program[-1] == "endchar" and len(program) >= 5 and \
        not any(isinstance(op, str) for op in program[-5:-1])


def _merged_program(programs: list[bytes], used: list[set[int]], cff: bool) -> bytes | None:
    """The subsets' glyphs in one font program (None if they cannot be merged).
    ``used`` holds the glyph ids each subset draws (its /W entries). The subset with the
    highest glyph id is the base; only subsets that draw glyphs it lacks are read."""
    n = max(range(len(programs)), key=lambda i: max(used[i], default=0))
    have = set(used[n])
    load = [n]
    for i in sorted(range(len(programs)), key=lambda i: -len(used[i])):
        if used[i] - have:
            have |= used[i]
            load.append(i)
    fonts = [TTFont(io.BytesIO(programs[i]), recalcBBoxes=False, recalcTimestamp=False,
                    lazy=True) for i in load]
    used = [used[i] for i in load]
    orders = [font.getGlyphOrder() for font in fonts]
    base, order, have = fonts[0], orders[0], set(used[0])
    if cff:
        top = base["CFF "].cff.topDictIndex[0]
        if hasattr(top, "ROS") or not hasattr(top, "Private"):
            return None
        widths = (top.Private.rawDict.get("defaultWidthX"), top.Private.rawDict.get("nominalWidthX"))
    elif "glyf" not in base:
        return None
    for font, own, gids in zip(fonts, orders, used):
        wanted = sorted(gids - have)
        if not wanted:
            continue
        if any(gid >= len(own) or gid >= len(order) for gid in wanted):
            return None
        if cff and any(own[gid] != order[gid] for gid in wanted):
            return None          # CFF names come from the font: a glyph keeps its name
        have.update(wanted)
        if cff:
            other = font["CFF "].cff.topDictIndex[0]
            if hasattr(other, "ROS") or (other.Private.rawDict.get("defaultWidthX"),
                                         other.Private.rawDict.get("nominalWidthX")) != widths:
                return None
            for gid in wanted:
                charstring = other.CharStrings[own[gid]]
                if _is_seac(charstring):
                    return None       # an accented glyph built from two others by code
                charstring.private = top.Private         # the same values (checked above)
                top.CharStrings[order[gid]] = charstring
                base["hmtx"].metrics[order[gid]] = font["hmtx"].metrics[own[gid]]
        else:
            # TrueType names may be made up from each subset's own cmap: go by glyph id,
            # and copy a glyph's bytes as they are (composite glyphs name parts by id).
            if "glyf" not in font:
                return None
            theirs = font["glyf"].glyphs
            for gid in wanted:
                data = getattr(theirs[own[gid]], "data", None)
                if data is None or (data and int.from_bytes(data[:2], "big", signed=True) < 0):
                    return None       # a composite glyph names its parts, so leave the face
                base["glyf"].glyphs[order[gid]] = theirs[own[gid]]
                base["hmtx"].metrics[order[gid]] = font["hmtx"].metrics[own[gid]]
    out = io.BytesIO()
    base.save(out)
    return out.getvalue()


class _Face:
    """The subsets of one face across the parts, and their merge."""

    def __init__(self, fonts, programs, widths, unicode, used, missing, texts):
        self.fonts, self.programs = fonts, programs
        self.widths, self.unicode, self.used = widths, unicode, used
        self.missing = missing      # per font: the Unicode map of its .notdef codes
        self.texts = texts          # per font: its codes' texts that are not ``unicode``'s
        self.key_name = programs[0][2]
        self.streams = [descriptor[self.key_name] for _, descriptor, _ in programs]
        self.cff = self.key_name == "/FontFile3"
        self.key = ""
        self.data: bytes | None = None
        self.base_font = fonts[0].BaseFont

    @classmethod
    def read(cls, fonts: list[pikepdf.Object]) -> "_Face | None":
        """The face's subsets, or None if they are not of a kind that can be merged."""
        programs = [pdffonts.program(font) for font in fonts]
        if any(p is None for p in programs) or len({p[2] for p in programs}) != 1:
            return None
        key = programs[0][2]
        if len({str(descriptor[key].get("/Subtype")) for _, descriptor, _ in programs}) != 1:
            return None
        widths: dict[int, object] = {}
        unicode: dict[bytes, bytes] = {}
        used: list[set[int]] = []
        missing: list[dict[bytes, bytes]] = []
        texts: list[dict[bytes, bytes]] = []
        for font, (cid, _, _) in zip(fonts, programs):
            w, u = _widths(cid.W), pdffonts.unicode_map(font.ToUnicode)
            if w is None or u is None:
                return None
            # a character the face lacks has a code of this part's own, drawn as .notdef:
            # its width and text stay with this part's font (its encoding is kept)
            codes = pdffonts.missing_codes(font)
            own = {b"%04x" % c for c in codes}
            missing.append({c: t for c, t in u.items() if c in own})
            u = {c: t for c, t in u.items() if c not in own}
            w = {c: width for c, width in w.items() if c not in codes}
            used.append(set(w))
            for c, width in w.items():
                if c in widths and float(widths[c]) != float(width):
                    return None
                widths[c] = width
            for c, text in u.items():
                unicode.setdefault(c, text)
            # WeasyPrint gives a glyph the text of the cluster it first drew it in, which
            # may differ from part to part (न in "नि" or alone): such a code keeps its
            # part's text in that part's font
            texts.append({c: t for c, t in u.items() if unicode[c] != t})
        return cls(fonts, programs, widths, unicode, used, missing, texts)

    def apply(self, pdf: pikepdf.Pdf) -> None:
        """Point every part's font at one merged program, widths and Unicode map."""
        if not self.data:                        # the subsets cannot be merged
            return
        fonts, key, data = self.fonts, self.key_name, self.data
        first_cid, first_descriptor, _ = self.programs[0]
        program = pikepdf.Stream(pdf, data)
        for name, value in self.streams[0].items():
            if name not in ("/Length", "/Filter", "/DecodeParms", "/Length1"):
                program[name] = value
        if key == "/FontFile2":
            program.Length1 = len(data)
        descriptor = pdf.make_indirect(Dictionary({k: v for k, v in first_descriptor.items()}))
        descriptor[key] = pdf.make_indirect(program)
        cid = pdf.make_indirect(Dictionary({k: v for k, v in first_cid.items()}))
        cid.FontDescriptor = descriptor
        cid.W = _width_array(self.widths)
        to_unicode = pdf.make_indirect(_cmap_stream(pdf, self.unicode))
        for font, missing, texts in zip(fonts, self.missing, self.texts):
            font.DescendantFonts = Array([cid])
            font.ToUnicode = to_unicode if not missing and not texts else \
                pdf.make_indirect(_cmap_stream(pdf, {**self.unicode, **texts, **missing}))
            font.BaseFont = self.base_font


def _width_array(widths: dict[int, object]) -> Array:
    """/W as runs of consecutive CIDs: [first [w w w] first [w] ...]."""
    out, run, start = [], [], None
    for c in sorted(widths):
        if run and c != start + len(run):
            out += [start, Array(run)]
            run = []
        if not run:
            start = c
        run.append(widths[c])
    if run:
        out += [start, Array(run)]
    return Array(out)
