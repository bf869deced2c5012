"""Two installed font files of one PostScript name (Debian's fonts-liberation, Liberation
Mono 1.07, beside fonts-liberation2, 2.x): the merged fonts of a joined edition are cut
from the file WeasyPrint drew with, whichever the other is, and the edition is the same
file as on a machine without it.

Both files of a monospace face have every glyph the same width, and other glyphs at the
same ids: a re-subset that took the other file, found by name and advances alone,
printed "frequência" as "frequìncia" in code. Here the other file is made from DejaVu
Sans Mono: the same names and widths, three glyphs fewer at its start (so every later
glyph one of three ids lower), an older version."""
from __future__ import annotations

import io
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pikepdf
import pytest
from fontTools import subset as ft_subset
from fontTools.ttLib import TTFont
from weasyprint import HTML

from studyguide.writers import fontfiles, pdffonts, splice

NAME = "DejaVuSansMono"
ROOT = Path(__file__).resolve().parent.parent
CODE = ["# frequência da sirene, em Hz", "# velocidade da ambulância, em m/s"]


def _real() -> tuple[str, int]:
    found = fontfiles.installed_fonts().get(NAME)
    if not found:
        pytest.skip(f"{NAME} is not installed (fonts-dejavu-core)")
    return found[0]


def _other_version(path: str, index: int, folder: Path) -> Path:
    """A copy of the font with its PostScript name, family and widths, without the glyphs
    of "!", '"' and "#" (every glyph after them at another id), an older version."""
    options = ft_subset.Options()
    options.layout_features = ["*"]
    options.name_IDs = ["*"]
    options.name_languages = ["*"]
    options.glyph_names = True
    options.notdef_outline = True
    options.hinting = False
    options.font_number = index
    font = ft_subset.load_font(path, options)
    chars = set(font.getBestCmap()) - {ord("!"), ord('"'), ord("#")}
    subsetter = ft_subset.Subsetter(options)
    subsetter.populate(unicodes=chars)
    subsetter.subset(font)
    font["head"].fontRevision = 1.0      # older: fontconfig prefers the real one
    for record in font["name"].names:
        if record.nameID == 5:
            record.string = "Version 1.00"
    folder.mkdir(parents=True, exist_ok=True)
    out = folder / "DejaVuSansMono.ttf"
    ft_subset.save_font(font, str(out), options)
    return out


def _part(lines: list[str]) -> bytes:
    body = "".join(f"<pre>{line}</pre>" for line in lines)
    html = ('<html lang="pt"><head><title>T</title><style>pre { font-family: '
            f'"DejaVu Sans Mono" }}</style></head><body>{body}</body></html>')
    return HTML(string=html).write_pdf(pdf_variant="pdf/ua-1")


def _joined() -> bytes:
    return splice.join([splice.PartPDF(_part(CODE[:1])), splice.PartPDF(_part(CODE[1:]))], 0)


def _mono(data: bytes) -> tuple[bytes, set[int]]:
    """The one embedded program of DejaVu Sans Mono of a joined PDF, and the glyphs it
    draws."""
    programs, glyphs = set(), set()
    with pikepdf.open(io.BytesIO(data)) as pdf:
        for page in pdf.pages:
            for font in (page.obj.Resources.get("/Font") or {}).values():
                if str(font.BaseFont).endswith("DejaVu-Sans-Mono"):
                    descriptor = font.DescendantFonts[0].FontDescriptor
                    programs.add(descriptor.FontFile2.read_bytes())
                    glyphs |= {int(code, 16) for code in pdffonts.unicode_map(font.ToUnicode)}
    assert len(programs) == 1, len(programs)
    return programs.pop(), glyphs


def test_a_merged_font_is_cut_from_the_file_its_glyphs_came_from(monkeypatch, tmp_path):
    """fontconfig lists the other version first: the merge and the preflight's glyph
    check still take the file whose glyphs the parts' subsets have."""
    path, index = _real()
    other = _other_version(path, index, tmp_path / "fonts")
    real_ids = TTFont(path, fontNumber=index).getBestCmap()
    assert TTFont(other).getGlyphID(TTFont(other).getBestCmap()[ord("ê")]) != \
        TTFont(path, fontNumber=index).getGlyphID(real_ids[ord("ê")])
    expected = _joined()
    fonts = {**fontfiles.installed_fonts(), NAME: [(str(other), 0), (path, index)]}
    monkeypatch.setattr(fontfiles, "installed_fonts", lambda: fonts)
    joined = _joined()
    (program, glyphs), (wanted, _) = _mono(joined), _mono(expected)
    assert glyphs and program == wanted
    assert fontfiles.same_glyphs(program, fontfiles.installed_face(path, index)[1], glyphs)
    assert fontfiles.wrong_glyphs(joined) == []
    # the other file alone, which has no such glyphs, is not taken for the font
    monkeypatch.setattr(fontfiles, "installed_fonts", lambda: {**fonts, NAME: [(str(other), 0)]})
    assert fontfiles.subset(program, glyphs, glyphs, False) is None


_SCRIPT = textwrap.dedent('''
    import sys
    from pathlib import Path
    sys.path.insert(0, {tests!r})
    import test_fontmerge_same_name as t
    from studyguide.writers import fontfiles
    data = t._joined()
    Path(sys.argv[1]).write_bytes(data)
    print(repr([(w.face, w.chars) for w in fontfiles.wrong_glyphs(data)]))
''')


def _build_in(tmp_path: Path, name: str, fonts_conf: Path | None) -> tuple[bytes, str]:
    """The joined PDF, and the glyph check's findings, made in a process of its own with
    fontconfig's configuration ``fonts_conf`` (None: the system's)."""
    env = {k: v for k, v in os.environ.items() if k != "FONTCONFIG_FILE"}
    env["XDG_CACHE_HOME"] = str(tmp_path / "cache")
    env["PYTHONPATH"] = os.pathsep.join([str(ROOT), env.get("PYTHONPATH", "")])
    if fonts_conf is not None:
        env["FONTCONFIG_FILE"] = str(fonts_conf)
    out = tmp_path / f"{name}.pdf"
    result = subprocess.run([sys.executable, "-c", _SCRIPT.format(tests=str(ROOT / "tests")),
                             str(out)], env=env, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    return out.read_bytes(), result.stdout.strip()


def test_another_installed_version_of_a_face_changes_no_byte(tmp_path):
    """With an older DejaVu Sans Mono installed too (in a folder fontconfig lists before
    the system's), the joined PDF is the very file made without it, and prints what it
    says."""
    path, index = _real()
    system = Path("/etc/fonts/fonts.conf")
    if not system.is_file():
        pytest.skip("no fontconfig configuration at /etc/fonts/fonts.conf")
    folder = tmp_path / "a-fonts"
    _other_version(path, index, folder)
    conf = tmp_path / "fonts.conf"
    conf.write_text('<?xml version="1.0"?>\n'
                    '<!DOCTYPE fontconfig SYSTEM "urn:fontconfig:fonts.dtd">\n'
                    f'<fontconfig><include>{system}</include><dir>{folder}</dir></fontconfig>\n')
    listed = subprocess.run(["fc-list", "--format", "%{file}\n", f":postscriptname={NAME}"],
                            env={**os.environ, "FONTCONFIG_FILE": str(conf),
                                 "XDG_CACHE_HOME": str(tmp_path / "cache")},
                            capture_output=True, text=True, timeout=60).stdout.split()
    assert str(folder / "DejaVuSansMono.ttf") in listed and len(listed) >= 2, listed
    alone, alone_wrong = _build_in(tmp_path, "alone", None)
    beside, beside_wrong = _build_in(tmp_path, "beside", conf)
    assert (alone_wrong, beside_wrong) == ("[]", "[]")
    assert beside == alone
