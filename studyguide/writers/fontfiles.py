"""The font file behind an embedded subset, and the one subset of it an output embeds.

WeasyPrint subsets each document's fonts with HarfBuzz's subsetter where the system has
``libharfbuzz-subset``, and with fontTools where it has not: the same glyphs, kept at
their ids, but other bytes. So that an output does not depend on which of the two a
machine has, every face of a joined edition or a handout is subset again here, always
the same way: by HarfBuzz's subsetter as ``uharfbuzz`` ships it (its own HarfBuzz, the
version pinned in ``pyproject.toml``), from the installed font, with WeasyPrint's
options (glyph ids kept, layout tables dropped, no hinting), to every glyph the output
draws. The installed font is found by the PostScript name the subset carries
(fontconfig's ``fc-list``), and taken only if it has the subset's glyphs with the same
advances. Where it cannot be found (a font the book brings itself, say), ``subset``
returns None and the caller keeps WeasyPrint's subsets or merges them (``fontmerge``).
"""
from __future__ import annotations

import io
import subprocess
from functools import lru_cache

# the tables WeasyPrint drops from the fonts it embeds (weasyprint.pdf.fonts)
DROP_TABLES = ("BASE", "DSIG", "EBDT", "EBLC", "EBSC", "GPOS", "GSUB", "JSTF", "LTSH",
               "PCLT", "SVG ")


@lru_cache(maxsize=1)
def installed_fonts() -> dict[str, list[tuple[str, int]]]:
    """PostScript name -> the (file, index in the file) of every font fontconfig knows
    by that name, in a fixed order."""
    try:
        out = subprocess.run(["fc-list", "--format", "%{postscriptname}\t%{file}\t%{index}\n"],
                             capture_output=True, text=True, timeout=60).stdout
    except (OSError, subprocess.SubprocessError):
        return {}
    fonts: dict[str, list[tuple[str, int]]] = {}
    for line in sorted(set(out.splitlines())):     # the same order on every run
        name, _, rest = line.partition("\t")
        path, _, index = rest.partition("\t")
        if name and path and index.isdigit():
            fonts.setdefault(name, []).append((path, int(index)))
    return fonts


def postscript_name(program: bytes) -> str | None:
    from fontTools.ttLib import TTFont
    try:
        name = TTFont(io.BytesIO(program), lazy=True)["name"].getDebugName(6)
    except Exception:       # noqa: BLE001 - not a font fontTools can read: no name
        return None
    return name or None


def _advances(program: bytes, glyphs: set[int]) -> dict[int, int] | None:
    """The advance widths of these glyph ids in a font program (None if unreadable)."""
    from fontTools.ttLib import TTFont
    try:
        font = TTFont(io.BytesIO(program), lazy=True)
        order, metrics = font.getGlyphOrder(), font["hmtx"].metrics
        return {gid: metrics[order[gid]][0] for gid in glyphs if gid < len(order)}
    except Exception:       # noqa: BLE001 - a subset fontTools cannot read
        return None


@lru_cache(maxsize=64)
def _face(path: str, index: int):
    import uharfbuzz as hb
    try:
        face = hb.Face(hb.Blob.from_file_path(path), index)
    except Exception:       # noqa: BLE001 - a file HarfBuzz cannot read
        return None
    return face, hb.Font(face)


def _installed(sample: bytes, own: set[int], used: set[int]):
    """The installed face the subset ``sample`` was made from: of the fonts of its
    PostScript name, the first of its flavour (CFF or TrueType) that has every glyph of
    ``used`` and the sample's glyphs ``own`` with the same advances; or None."""
    name = postscript_name(sample)
    theirs = _advances(sample, own)
    if not name or theirs is None:
        return None
    for path, index in installed_fonts().get(name, []):
        found = _face(path, index)
        if found is None:
            continue
        face, font = found
        if max(used) >= face.glyph_count or \
                (sample[:4] == b"OTTO") != (face.reference_table("CFF ").data != b""):
            continue
        if all(font.get_glyph_h_advance(gid) == width for gid, width in theirs.items()):
            return face
    return None


def _hb_subset(face, glyphs, flags) -> bytes | None:
    import uharfbuzz as hb
    subset_input = hb.SubsetInput()
    subset_input.glyph_set.update(sorted(glyphs))
    for tag in DROP_TABLES:
        subset_input.sets(hb.SubsetInputSets.DROP_TABLE_TAG).add(
            int.from_bytes(tag.encode(), "big"))
    subset_input.flags = flags
    try:
        out = hb.subset(face, subset_input)
    except Exception:       # noqa: BLE001 - HarfBuzz refused: no subset
        return None
    return out.blob.data if out is not None else None


def subset(sample: bytes, own: set[int], used: set[int], missing: bool) -> bytes | None:
    """The program an output embeds for a face, made from the installed font that the
    subset ``sample`` (one of the output's, made for the glyphs ``own``) came from, with
    the glyphs ``used``;
    ``missing``: the output draws characters the face lacks (as .notdef, whose outline is
    then kept). None if the installed font cannot be found or is not that one."""
    import uharfbuzz as hb
    face = _installed(sample, own, used) if own and used else None
    if face is None:
        return None
    flags = hb.SubsetFlags.PASSTHROUGH_UNRECOGNIZED | hb.SubsetFlags.DESUBROUTINIZE
    notdef = hb.SubsetFlags.NOTDEF_OUTLINE if missing else hb.SubsetFlags(0)
    # as WeasyPrint does: glyph ids kept, then the empty glyphs past the last one dropped
    kept = _hb_subset(face, {0, *used}, flags | hb.SubsetFlags.RETAIN_GIDS | notdef)
    if kept is None:
        return None
    return _hb_subset(hb.Face(hb.Blob(kept)), range(max(used) + 1),
                      flags | hb.SubsetFlags.NO_HINTING | notdef)
