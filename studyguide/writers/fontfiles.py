"""The font file behind an embedded subset, and the one subset of it an output embeds.

WeasyPrint subsets each document's fonts with HarfBuzz's subsetter where the system has
``libharfbuzz-subset``, and with fontTools where it has not: the same glyphs, kept at
their ids, but other bytes. So that an output does not depend on which of the two a
machine has, every face of a joined edition or a handout is subset again here, always
the same way: by HarfBuzz's subsetter as ``uharfbuzz`` ships it (its own HarfBuzz, the
version pinned in ``pyproject.toml``), from the installed font, with WeasyPrint's
options (glyph ids kept, layout tables dropped, no hinting), to every glyph the output
draws. The installed font is found by the PostScript name the subset carries
(fontconfig's ``fc-list``), and taken only if it has the subset's glyphs, each with the
same advance and outline (``same_glyphs``): two files may have one name (Liberation
Mono 1.07 of ``fonts-liberation`` and 2.x of ``fonts-liberation2``), every glyph of
a monospace face the same width, and other glyphs at the same ids. Where it cannot be
found (a font the book brings itself, say), ``subset`` returns None and the caller keeps
WeasyPrint's subsets or merges them (``fontmerge``).

The installed font also tells whether a PDF prints what it says (``wrong_glyphs``, a check
of the print preflight): each glyph must be one its text reaches in the font, and each
glyph must have a text, or stand inside a word's /ActualText.
"""
from __future__ import annotations

import io
import subprocess
import unicodedata
from functools import lru_cache
from typing import NamedTuple

# the tables WeasyPrint drops from the fonts it embeds (weasyprint.pdf.fonts)
DROP_TABLES = ("BASE", "DSIG", "EBDT", "EBLC", "EBSC", "GPOS", "GSUB", "JSTF", "LTSH",
               "PCLT", "SVG ")


@lru_cache(maxsize=1)
def installed_fonts() -> dict[str, list[tuple[str, int]]]:
    """PostScript name -> the (file, index in the file) of every font fontconfig knows
    by that name, in a fixed order: the newest version first (as fontconfig prefers it
    among fonts of one name, and so WeasyPrint draws with it), then by file."""
    try:
        out = subprocess.run(["fc-list", "--format",
                              "%{postscriptname}\t%{fontversion}\t%{index}\t%{file}\n"],
                             capture_output=True, text=True, timeout=60).stdout
    except (OSError, subprocess.SubprocessError):
        return {}
    found: dict[str, set[tuple[int, str, int]]] = {}
    for line in out.splitlines():
        name, version, index, path = (line.split("\t", 3) + ["", "", ""])[:4]
        if name and path and index.isdigit():
            found.setdefault(name, set()).add(
                (-int(version) if version.isdigit() else 0, path, int(index)))
    return {name: [(path, index) for _, path, index in sorted(faces)]  # the same every run
            for name, faces in sorted(found.items())}


@lru_cache(maxsize=1)
def installed_files() -> frozenset[str]:
    """The files of every font fontconfig knows, resolved."""
    from pathlib import Path
    return frozenset(str(Path(path).resolve()) for faces in installed_fonts().values()
                     for path, _ in faces)


def postscript_name(program: bytes) -> str | None:
    from fontTools.ttLib import TTFont
    try:
        name = TTFont(io.BytesIO(program), lazy=True)["name"].getDebugName(6)
    except Exception:       # noqa: BLE001 - not a font fontTools can read: no name
        return None
    return name or None


def _hb_font(program: bytes):
    """The HarfBuzz font of a font program, or None if HarfBuzz cannot read it."""
    import uharfbuzz as hb
    try:
        face = hb.Face(hb.Blob(program))
    except Exception:       # noqa: BLE001 - not a font HarfBuzz can read
        return None
    return hb.Font(face) if face.glyph_count else None


def _glyph(font, gid: int) -> tuple[int, list]:
    """A glyph's advance and outline (its pen commands, unhinted, in font units)."""
    from fontTools.pens.recordingPen import RecordingPen
    pen = RecordingPen()
    font.draw_glyph_with_pen(gid, pen)
    return font.get_glyph_h_advance(gid), pen.value


def same_glyphs(program, other, glyphs) -> bool:
    """Whether two fonts (font programs, or HarfBuzz fonts) have the same ``glyphs`` (glyph
    ids): each at its id in both, with the same advance and outline. A subset and the
    font it was cut from do; two versions of a face, whose ids differ, do not."""
    a = _hb_font(program) if isinstance(program, bytes) else program
    b = _hb_font(other) if isinstance(other, bytes) else other
    if a is None or b is None or a.face.upem != b.face.upem:
        return False
    return all(gid < a.face.glyph_count and gid < b.face.glyph_count and
               _glyph(a, gid) == _glyph(b, gid) for gid in glyphs)


@lru_cache(maxsize=64)
def installed_face(path: str, index: int):
    """The HarfBuzz face and font of an installed font file (``installed_fonts``), or
    None if HarfBuzz cannot read it."""
    import uharfbuzz as hb
    try:
        face = hb.Face(hb.Blob.from_file_path(path), index)
    except Exception:       # noqa: BLE001 - a file HarfBuzz cannot read
        return None
    return face, hb.Font(face)


def _installed(sample: bytes, own: set[int], used: set[int]):
    """The installed face the subset ``sample`` was made from: of the fonts of its
    PostScript name, the first of its flavour (CFF or TrueType) that has every glyph of
    ``used`` and the sample's glyphs ``own`` with the same advances and outlines
    (``same_glyphs``); or None."""
    name = postscript_name(sample)
    mine = _hb_font(sample)
    if not name or mine is None:
        return None
    for path, index in installed_fonts().get(name, []):
        found = installed_face(path, index)
        if found is None:
            continue
        face, font = found
        if max(used) >= face.glyph_count or \
                (sample[:4] == b"OTTO") != (face.reference_table("CFF ").data != b""):
            continue
        if same_glyphs(mine, font, own):
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


# -- glyphs that do not print their text ----------------------------------------------
class WrongGlyphs(NamedTuple):
    """Text a PDF page draws in one face with glyphs that are not its characters'
    (``missing``: as .notdef, blank boxes); ``line``: the text of the printed line."""
    page: int            # 1-based
    face: str
    text: str            # the runs drawn with them
    chars: str           # the characters drawn so
    missing: bool
    line: str
    mute: bool = False   # glyphs with no text, which readers take for the character of
    #                      their code (Noto's ि glyphs read as ɛ ə ɚ ɜ); ``chars``: those


def wrong_glyphs(data: bytes) -> list[WrongGlyphs]:
    """Every place a PDF draws characters with glyphs that are not theirs. Each font's
    text (its /ToUnicode, which WeasyPrint writes from the characters it shaped) is
    compared with the installed font its program was subset from: a glyph must be one
    the font reaches from those characters, through its cmap and any substitution of
    its GSUB table (an Arabic letter's joining forms, a ligature, figures of another
    style); a character the font lacks is drawn as .notdef, a blank box (reported where
    another installed font has it: one that none has is ``fonts.undrawable``'s). A font
    not installed (a book's own) is checked for those blank boxes only."""
    import pikepdf
    from . import pdffonts
    fonts: dict[tuple[int, int], _FontText] = {}
    out: list[WrongGlyphs] = []
    with pikepdf.open(io.BytesIO(data)) as pdf:
        for font in pdffonts.type0_fonts(pdf):
            if font.objgen not in fonts:
                fonts[font.objgen] = _font_text(font)
        if not any(f.bad or f.mute for f in fonts.values()):
            return []
        for number, page in enumerate(pdf.pages, 1):
            out += _page_problems(number, page, page.obj.get("/Resources"), fonts)
    return out


class _FontText(NamedTuple):
    face: str                  # its name without the subset tag
    texts: dict[int, str]      # the text of each code
    bad: frozenset[int]        # the codes drawn with a glyph not their text's
    missing: frozenset[int]    # those drawn as .notdef, where another font has theirs
    mute: frozenset[int] = frozenset()    # those with no text (WeasyPrint's for every
    #                                       glyph of a cluster but its last)


def _font_text(font) -> _FontText:
    from . import pdffonts
    unicode = pdffonts.unicode_map(font.ToUnicode) if "/ToUnicode" in font else None
    missing = pdffonts.missing_codes(font)
    program = pdffonts.program(font)
    face = str(font.get("/BaseFont", "")).split("+", 1)[-1]
    if unicode is None or missing is None or program is None:
        return _FontText(face, {}, frozenset(), frozenset())
    texts = {int(code, 16): bytes.fromhex(text.decode()).decode("utf-16-be", "replace")
             for code, text in unicode.items()}
    notdef = missing
    # (a character no installed font has is the warning of ``fonts.undrawable``, at its
    # source line, already)
    missing = {code for code in notdef if code in texts and _visible(texts[code]) and
               _drawable(texts[code])}
    _, descriptor, key = program
    installed = _installed_file(descriptor[key].read_bytes(), max(texts, default=0),
                                {code for code in texts if code not in notdef})
    wrong = set()
    if installed is not None:
        # a glyph a contextual substitution puts in (Libertine's "f" before "ü") is
        # reached only with its context: one no character has of its own may come
        # from any text the font draws
        context = _reachable(*installed, "".join(sorted(set("".join(texts.values())))))
        nominal = _nominal(*installed)
        wrong = {code for code, text in texts.items() if code not in notdef and
                 _visible(text) and code not in _reachable(*installed, text) and
                 (code not in context or code in nominal)}
    return _FontText(face, texts, frozenset(wrong | missing), frozenset(missing),
                     frozenset(code for code, text in texts.items() if not text))


def _visible(text: str) -> bool:
    return any(unicodedata.category(c) not in ("Cc", "Cf", "Zl", "Zp") for c in text)


def _drawable(text: str) -> bool:
    """Whether some installed font has a character of the text."""
    from .. import fonts
    ranges = fonts.installed_coverage()
    return ranges is None or any(fonts._installed_has(ord(c), ranges) for c in text)


def _rtl(text: str) -> bool:
    """Whether a text's first strong character is written from right to left."""
    for c in text:
        kind = unicodedata.bidirectional(c)
        if kind in ("L", "R", "AL"):
            return kind != "L"
    return False


def _installed_file(program: bytes, top: int, glyphs=()) -> tuple[str, int] | None:
    """The installed font of the program's PostScript name and flavour that the program
    was cut from: the first that has its ``glyphs`` (ids; ``same_glyphs``), else one with
    a glyph of every id up to ``top`` if there is one."""
    fonts = [(path, index, found[0].glyph_count, found[1])
             for path, index in installed_fonts().get(postscript_name(program) or "", [])
             if (found := installed_face(path, index)) is not None and
             (program[:4] == b"OTTO") == (found[0].reference_table("CFF ").data != b"")]
    mine = _hb_font(program) if glyphs and len(fonts) > 1 else None
    fonts.sort(key=lambda font: (mine is None or not same_glyphs(mine, font[3], glyphs),
                                 top >= font[2]))
    return fonts[0][:2] if fonts else None


@lru_cache(maxsize=16)
def _nominal(path: str, index: int) -> frozenset[int]:
    """The glyphs a font's cmap gives characters (not those of the private use area,
    where Libertine gives its alternates codes too)."""
    face, font = installed_face(path, index)
    return frozenset(font.get_nominal_glyph(cp) or 0 for cp in face.unicodes
                     if unicodedata.category(chr(cp)) != "Co") - {0}


@lru_cache(maxsize=16)
def _features(path: str, index: int) -> tuple[int, ...]:
    """Every feature of a font's GSUB table, in any script and language."""
    face = installed_face(path, index)[0]
    tags = set()
    for script, _ in enumerate(face.get_table_script_tags("GSUB")):
        languages = len(face.get_script_language_tags("GSUB", script))
        for language in (0xFFFF, *range(languages)):
            tags.update(face.get_language_feature_tags("GSUB", script, language))
    return tuple(sorted(int.from_bytes(t.encode(), "big") for t in tags))


@lru_cache(maxsize=8192)
def _reachable(path: str, index: int, text: str) -> frozenset[int]:
    """The glyphs a font may draw for a text: those of its characters (and of their
    composed, decomposed, mirrored and Arabic presentation forms, as HarfBuzz may draw
    them, and of a space for any space) and every glyph its GSUB table substitutes for
    them."""
    import icu
    import uharfbuzz as hb
    forms = _presentation_forms()
    chars = set(text) | set(unicodedata.normalize("NFC", text)) | \
        set(unicodedata.normalize("NFD", text)) | set(forms.get(text, ""))
    for c in list(chars):
        chars.update(forms.get(c, ""))
        if unicodedata.category(c) == "Zs":
            chars.add(" ")
        elif unicodedata.category(c) == "Mn":
            chars.add("\u25cc")       # the dotted circle HarfBuzz puts under a lone mark
        if unicodedata.mirrored(c):
            chars.add(icu.Char.charMirror(c))
    if "\u2011" in chars:
        chars.add("\u2010")           # a no-break hyphen, drawn as a hyphen
    subset_input = hb.SubsetInput()
    subset_input.unicode_set.update(ord(c) for c in chars)
    subset_input.sets(hb.SubsetInputSets.LAYOUT_FEATURE_TAG).update(_features(path, index))
    plan = hb.SubsetPlan(installed_face(path, index)[0], subset_input)
    return frozenset(plan.old_to_new_glyph_mapping)


@lru_cache(maxsize=1)
def _presentation_forms() -> dict[str, str]:
    """Text -> the Arabic presentation forms that stand for it (HarfBuzz draws those of
    a font without joining rules of its own)."""
    forms: dict[str, str] = {}
    for cp in [*range(0xFB50, 0xFE00), *range(0xFE70, 0xFF00)]:
        base = unicodedata.normalize("NFKC", chr(cp))
        if base != chr(cp):
            forms[base] = forms.get(base, "") + chr(cp)
    return forms


def _page_problems(number: int, content, resources, fonts) -> list[WrongGlyphs]:
    """The wrong glyphs a page (or a form it draws) draws, each with the text of its
    line: the text boxes drawn at the same height. WeasyPrint draws a line's boxes in
    reading order, each from its own text matrix, and a right-to-left box's glyphs
    from the left. A glyph with no text is wrong outside a marked-content sequence with
    an /ActualText (which readers take instead of its glyphs')."""
    import pikepdf
    resources = resources if resources is not None else {}
    named, forms = resources.get("/Font") or {}, resources.get("/XObject") or {}
    boxes: list[list] = []       # [height, each glyph's text, (face, missing) or None,
    #                              the wrong glyphs' text]
    out: list[WrongGlyphs] = []
    font = None
    marked: list[bool] = []      # each open marked-content sequence: has it /ActualText
    for operands, operator in pikepdf.parse_content_stream(content):
        op = str(operator)
        if op in ("BDC", "BMC"):
            marked.append(op == "BDC" and isinstance(operands[1], pikepdf.Dictionary)
                          and "/ActualText" in operands[1])
        elif op == "EMC" and marked:
            marked.pop()
        elif op == "Tf" and operands:
            font = fonts.get(getattr(named.get(str(operands[0])), "objgen", None))
        elif op == "Tm" and len(operands) == 6:
            boxes.append([float(operands[5]), [], None, []])
        elif op in ("TJ", "Tj") and font is not None and boxes:
            raw = b"".join(bytes(s) for s in (operands[0] if op == "TJ" else operands)
                           if isinstance(s, pikepdf.String))
            codes = [int.from_bytes(raw[i:i + 2], "big") for i in range(0, len(raw) - 1, 2)]
            boxes[-1][1] += [font.texts.get(c, "") for c in codes]
            wrong = [c for c in codes if c in font.bad]
            if wrong and boxes[-1][2] is None:
                boxes[-1][2] = (font.face, all(c in font.missing for c in wrong), False)
            boxes[-1][3] += [font.texts[c] for c in wrong]
            mute = [c for c in codes if c in font.mute] if not any(marked) else []
            if mute and not wrong and boxes[-1][2] is None:
                boxes[-1][2] = (font.face, False, True)
            boxes[-1][3] += [chr(c) for c in mute if boxes[-1][2][2]]
        elif op == "Do" and operands:
            form = forms.get(str(operands[0]))
            if form is not None and form.get("/Subtype") == pikepdf.Name.Form:
                out += _page_problems(number, form, form.get("/Resources"), fonts)
    for box in boxes:
        if _rtl("".join(box[1])):
            box[1].reverse()
            box[3].reverse()
    lines: dict[tuple[float, str, bool, bool], tuple[list[str], list[str]]] = {}
    for height, texts, wrong, chars in boxes:
        if wrong is not None:
            at = next((h for h, *_ in lines if abs(h - height) < 1), height)
            found = lines.setdefault((at, *wrong), ([], []))
            found[0].append("".join(texts).strip())
            found[1].extend(chars)
    for (height, face, missing, mute), (texts, chars) in lines.items():
        line = " ".join("".join(b[1]).strip() for b in boxes if abs(b[0] - height) < 1)
        out.append(WrongGlyphs(number, face, " … ".join(dict.fromkeys(texts)),
                               "".join(dict.fromkeys(chars)), missing, line, mute))
    return out


def glyph_findings(data: bytes, pdf: str, labels: list[str] | None, sources) -> list:
    """The print preflight's findings (``preflight.Finding``, check ``glyphs``) of the
    wrong glyphs a PDF draws, each at the source line that prints its line where it can
    be told, else at its page's (``sources``: each page's, or one for all)."""
    from .. import preflight
    out = []
    for wrong in wrong_glyphs(data):
        i = wrong.page - 1
        path, line = sources if isinstance(sources, tuple) else \
            (sources[i] if sources and i < len(sources) and sources[i] else ("", 0))
        line = preflight.text_line(path, wrong.line) or line
        chars = ", ".join(f"{c} (U+{ord(c):04X})" for c in dict.fromkeys(wrong.chars)
                          if _visible(c))
        what = f"as blank boxes (its font, {wrong.face}, has no glyph for them)" \
            if wrong.missing else f"with glyphs of other characters (its font, " \
            f"{wrong.face}, was embedded from a font without them)"
        if wrong.mute:
            chars = "glyphs with no text"
            what = f"in {wrong.face}: copied, searched or read aloud they are taken for " \
                f"the characters of their codes ({''.join(dict.fromkeys(wrong.chars))})"
        out.append(preflight.Finding("glyphs", pdf, wrong.page,
                                     labels[i] if labels and i < len(labels) else "",
                                     f"“{wrong.text}” prints {chars} {what}", str(path), line))
    return out
