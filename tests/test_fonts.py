"""Fonts: characters no font can draw, and the font merge when a face lacks some."""
from __future__ import annotations

import io
import subprocess

import pikepdf

from studyguide.writers import splice
from test_pagination import _fonts_by_face, _part, _pixels

# 碳 and 氧: CJK, which no font installed for the tests has
LIBERTINE = '<style>p { font-family: "Linux Libertine O" }</style>'


def test_a_character_no_font_has_does_not_stop_the_merge(tmp_path):
    bodies = ["<p>Carbon is 碳 in Chinese, <b>bold</b>.</p>",
              "<p>Oxygen is 氧, and carbon 碳 again.</p>",
              "<p>Plain words, every one drawn.</p>"]
    parts = [splice.PartPDF(_part(LIBERTINE + b)) for b in bodies]
    with pikepdf.open(io.BytesIO(parts[0].data)) as pdf:    # the case WeasyPrint encodes
        fonts = [f for page in pdf.pages for f in page.obj.Resources.Font.values()]
        assert any(isinstance(f.get("/Encoding"), pikepdf.Stream) for f in fonts)
    merged = splice.join(parts, 0)
    separate = splice.join(parts, 0, share_fonts=False)
    faces = _fonts_by_face(pikepdf.open(io.BytesIO(merged)))
    assert len(faces["Linux-Libertine-O"]) == 1, faces
    assert all(len(programs) == 1 for programs in faces.values()), faces
    with pikepdf.open(io.BytesIO(separate)) as pdf:
        assert len(_fonts_by_face(pdf)["Linux-Libertine-O"]) == 3
    (tmp_path / "merged.pdf").write_bytes(merged)
    text = subprocess.run(["pdftotext", str(tmp_path / "merged.pdf"), "-"], check=True,
                          capture_output=True, text=True).stdout
    assert "Carbon is 碳 in Chinese" in text and "Oxygen is 氧, and carbon 碳 again" in text
    assert _pixels(merged, tmp_path, "merged") == _pixels(separate, tmp_path, "separate")
