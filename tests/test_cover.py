"""The EPUB's cover picture (``cover.cover_png``)."""
from __future__ import annotations

import dataclasses
import io

from PIL import Image

from conftest import MINI, rendered_book


def _band(png: bytes) -> int:
    """How far down the cover's black band reaches (pixels, beside its text)."""
    image = Image.open(io.BytesIO(png)).convert("L")
    x, y = 100, 70
    while y < image.height and image.getpixel((x, y)) < 128:
        y += 1
    return y


def test_a_cover_with_no_kicker_to_print_has_a_narrow_band():
    """The black band holds the kicker; with none to print (none given, or one the
    subtitle repeats: the default guide's "A Study Guide" above "A Study Guide to …") a
    third of the cover stood black and empty."""
    from studyguide.cover import cover_png
    rb, _ = rendered_book(MINI)
    meta = dataclasses.replace(rb.book.meta, kicker="Revision notes", subtitle="A subtitle")
    with_kicker = cover_png(meta)
    assert meta.title_kicker and _band(with_kicker) > 500
    for bare in (dataclasses.replace(meta, kicker=""),
                 dataclasses.replace(meta, subtitle="Revision notes for the exam")):
        assert not bare.title_kicker
        assert _band(cover_png(bare)) < 200
