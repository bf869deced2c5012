"""Font subsetting without a C parse per glyph count.

WeasyPrint's HarfBuzz subsetting asks cffi for its glyph arrays with the length written
into the type (``ffi.new(f'hb_codepoint_t[{n}]', gids)``). cffi parses every type string
it has not seen before with pycparser, about 5 ms each, and nearly every subset of every
face in every part has a glyph count of its own: some 140 parses in a build of this
book, close to a second of processor time for nothing.

``install`` gives ``weasyprint.pdf.fonts`` an ``ffi`` that makes such an array as the
open type ``hb_codepoint_t[]`` of that length, which cffi parses once: the same array,
zero-filled where no initialiser is given. Everything else goes to the real ``ffi``.
``tests/test_pagination.py`` checks that a PDF written with it is byte-identical to one
written without it.
"""
from __future__ import annotations

import re

_SIZED = re.compile(r"(\w+)\[(\d+)\]$")


class ArraysByLength:
    """An ``ffi`` whose ``new('T[n]', init)`` is ``new('T[]', ...)`` of length n."""

    def __init__(self, ffi):
        self.wrapped = ffi

    def __getattr__(self, name):
        return getattr(self.wrapped, name)

    def new(self, cdecl, init=None):
        sized = _SIZED.match(cdecl) if isinstance(cdecl, str) else None
        if sized:
            length = int(sized.group(2))
            if init is None:
                return self.wrapped.new(sized.group(1) + "[]", length)
            if hasattr(init, "__len__") and len(init) == length:
                return self.wrapped.new(sized.group(1) + "[]", init)
        return self.wrapped.new(cdecl, init)


def install() -> None:
    from weasyprint.pdf import fonts
    if not isinstance(fonts.ffi, ArraysByLength):
        fonts.ffi = ArraysByLength(fonts.ffi)


def uninstall() -> None:
    from weasyprint.pdf import fonts
    if isinstance(fonts.ffi, ArraysByLength):
        fonts.ffi = fonts.ffi.wrapped
