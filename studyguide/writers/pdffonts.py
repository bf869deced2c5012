"""The Type0 fonts of a PDF as WeasyPrint writes them: which the pages use, the codes
drawn as .notdef, the text of each code, and the embedded program.

Shared by the font merge of a joined edition (``fontmerge``), which reads each part's
subsets to merge them, and the preflight's glyph check (``fontfiles.wrong_glyphs``),
which reads each font's text to compare it with the glyphs drawn.
"""
from __future__ import annotations

import re

import pikepdf
from pikepdf import Array, Dictionary, Name

_BFCHAR = re.compile(rb"beginbfchar(.*?)endbfchar", re.S)
_PAIR = re.compile(rb"<([0-9a-fA-F]+)>\s*<([0-9a-fA-F]*)>")
_CIDCHAR = re.compile(rb"begincidchar(.*?)endcidchar", re.S)
_CODE_CID = re.compile(rb"<([0-9a-fA-F]+)>\s*(\d+)")


def type0_fonts(pdf: pikepdf.Pdf):
    """Every Type0 font the pages use, directly or through form XObjects."""
    stack = [page.obj.get("/Resources") for page in pdf.pages]
    visited = set()
    while stack:
        resources = stack.pop()
        if not isinstance(resources, Dictionary):
            continue
        if resources.is_indirect:
            if resources.objgen in visited:
                continue
            visited.add(resources.objgen)
        for font in (resources.get("/Font") or {}).values():
            if font.get("/Subtype") == Name.Type0:
                yield font
        for xobject in (resources.get("/XObject") or {}).values():
            stack.append(xobject.get("/Resources"))


def missing_codes(font) -> set[int] | None:
    """The codes a font draws as .notdef, for characters its face lacks: none for
    Identity-H; for the CMap WeasyPrint writes when a face lacks some (each code is its
    glyph id, but a missing character has a code past the face's glyphs, mapped to
    glyph 0), those codes. None for any other encoding."""
    encoding = font.get("/Encoding")
    if encoding == Name("/Identity-H"):
        return set()
    if not isinstance(encoding, pikepdf.Stream):
        return None
    data = encoding.read_bytes()
    if b"beginbfrange" in data or b"begincidrange" in data:
        return None
    missing = set()
    for block in _CIDCHAR.findall(data):
        for code, cid in _CODE_CID.findall(block):
            code, cid = int(code, 16), int(cid)
            if cid == 0 and code != 0:
                missing.add(code)
            elif cid != code:
                return None
    return missing


def program(font):
    """The embedded program of a Type0 font of the kind WeasyPrint writes, as (the CID
    font, its descriptor, the font-file key: /FontFile3 or /FontFile2), or None for any
    other kind (no /ToUnicode, no simple /W, an encoding ``missing_codes`` cannot read,
    a CIDToGIDMap other than Identity): such a font is neither merged nor checked."""
    if missing_codes(font) is None or len(font.get("/DescendantFonts", [])) != 1:
        return None
    cid = font.DescendantFonts[0]
    if "/ToUnicode" not in font or not isinstance(cid.get("/W"), Array):
        return None
    if cid.get("/CIDToGIDMap", Name.Identity) != Name.Identity:
        return None
    descriptor = cid.FontDescriptor
    for key in ("/FontFile3", "/FontFile2"):
        if key in descriptor:
            return cid, descriptor, key
    return None


def unicode_map(stream) -> dict[bytes, bytes] | None:
    """A /ToUnicode CMap stream as {code: text}, both as the hexadecimal digits written
    (the code in lower case, the text UTF-16BE: empty for a glyph WeasyPrint gives no
    text, one of a cluster drawn with several), or None if it maps ranges (bfrange)."""
    data = stream.read_bytes()
    if b"beginbfrange" in data:
        return None
    return {cid.lower(): uni for block in _BFCHAR.findall(data)
            for cid, uni in _PAIR.findall(block)}
