"""The font file behind an embedded subset, and new subsets of it made as WeasyPrint makes them.

A joined edition needs one program per typeface with every glyph any part draws
(``fontmerge``). The quickest way to that program is the way WeasyPrint made each part's:
HarfBuzz subsets the installed font to the glyphs wanted, keeping their ids. This module
finds the installed font by the PostScript name the subset carries (fontconfig), and
subsets it with WeasyPrint's own routine. ``subset_like`` returns a subset only after
checking that the same routine, given one part's glyphs, gives back that part's program
byte for byte: so the font is the one WeasyPrint used, and it was subset the same way.
Where anything differs (a font the book brings itself, a variable font, glyphs the font
lacks), it returns None and the caller merges the subsets themselves.

It needs WeasyPrint's bindings of HarfBuzz and fontconfig, which a worker has loaded;
the main process loads them the first time it needs them.
"""
from __future__ import annotations

import io
import types
from functools import lru_cache

_EXTRA = """
typedef enum { HB_MEMORY_MODE_DUPLICATE, HB_MEMORY_MODE_READONLY, HB_MEMORY_MODE_WRITABLE,
  HB_MEMORY_MODE_READONLY_MAY_MAKE_WRITABLE } hb_memory_mode_t;
hb_blob_t * hb_blob_create (const char *data, unsigned int length, hb_memory_mode_t mode,
  void *user_data, void *destroy);
hb_face_t * hb_face_create (hb_blob_t *blob, unsigned int index);
"""


@lru_cache(maxsize=1)
def _bindings():
    """WeasyPrint's cffi bindings, with the two HarfBuzz calls that make a face from bytes."""
    import ctypes.util

    from cffi import FFI
    from weasyprint.text import ffi as weasy

    extra = FFI()
    extra.include(weasy.ffi)            # the same types: faces pass between the two
    extra.cdef(_EXTRA)
    library = None
    for name in filter(None, ("libharfbuzz.so.0", ctypes.util.find_library("harfbuzz"))):
        try:
            library = extra.dlopen(name)
            break
        except OSError:
            continue
    if library is None or not weasy.harfbuzz_subset:
        return None
    return weasy, extra, library


def _postscript_name(program: bytes) -> str | None:
    from fontTools.ttLib import TTFont
    try:
        name = TTFont(io.BytesIO(program), lazy=True)["name"].getDebugName(6)
    except Exception:       # noqa: BLE001 - not a font fontTools can read: no name
        return None
    return name or None


@lru_cache(maxsize=64)
def _installed(postscript_name: str):
    """(HarfBuzz face, glyph count) of the installed font of that PostScript name, or None."""
    bindings = _bindings()
    if bindings is None:
        return None
    weasy, extra, library = bindings
    ffi, fontconfig = weasy.ffi, weasy.fontconfig
    pattern = fontconfig.FcPatternCreate()
    found = {}
    try:
        fontconfig.FcPatternAddString(pattern, b"postscriptname", postscript_name.encode())
        fontconfig.FcConfigSubstitute(ffi.NULL, pattern, fontconfig.FcMatchPattern)
        fontconfig.FcDefaultSubstitute(pattern)
        result = ffi.new("FcResult *")
        match = fontconfig.FcFontMatch(ffi.NULL, pattern, result)
        if match == ffi.NULL:
            return None
        value = ffi.new("FcChar8 **")
        for key in (b"file", b"postscriptname"):
            if fontconfig.FcPatternGetString(match, key, 0, value) == fontconfig.FcResultMatch:
                found[key] = ffi.string(value[0]).decode()
        fontconfig.FcPatternDestroy(match)
    finally:
        fontconfig.FcPatternDestroy(pattern)
    if found.get(b"postscriptname") != postscript_name or b"file" not in found:
        return None
    try:
        with open(found[b"file"], "rb") as fh:
            data = fh.read()
    except OSError:
        return None
    blob = library.hb_blob_create(data, len(data), library.HB_MEMORY_MODE_DUPLICATE,
                                  ffi.NULL, ffi.NULL)
    face = ffi.gc(library.hb_face_create(blob, 0), weasy.harfbuzz.hb_face_destroy)
    weasy.harfbuzz.hb_blob_destroy(blob)
    return face, weasy.harfbuzz.hb_face_get_glyph_count(face)


def _subset(face, glyphs: set[int]) -> bytes | None:
    """The subset WeasyPrint embeds for a document that draws these glyphs of the face."""
    from weasyprint.pdf.fonts import Font
    font = types.SimpleNamespace(hb_face=face, missing={}, family="", file_content=None)
    Font._harfbuzz_subset(font, dict.fromkeys(sorted(glyphs)), False)
    return font.file_content


def subset_like(programs: list[bytes], used: list[set[int]]) -> bytes | None:
    """One program with every glyph of ``used`` (the glyph ids each program's font draws),
    made from the installed font these subsets came from; None if that cannot be done
    exactly as WeasyPrint would."""
    if not programs or not any(used):
        return None
    # the glyphs each distinct program was made for: the union of its fonts' glyphs
    made_for: dict[bytes, set[int]] = {}
    for program, glyphs in zip(programs, used):
        made_for.setdefault(program, set()).update(glyphs)
    sample = max(made_for, key=lambda p: len(made_for[p]))
    name = _postscript_name(sample)
    installed = _installed(name) if name else None
    if installed is None:
        return None
    face, count = installed
    everything = set().union(*used)
    if max(everything) >= count:              # a glyph the font lacks, drawn as .notdef
        return None
    try:
        if _subset(face, made_for[sample]) != sample:
            return None
        return _subset(face, everything)
    except Exception:       # noqa: BLE001 - WeasyPrint's routine changed: merge instead
        return None
