"""Image files of a book: found relative to the file that names them, and checked to be
pictures that both the PDF engine and an EPUB reader can draw.

An image that WeasyPrint cannot decode would be dropped from the PDF while the EPUB
ships it, so every file is decoded here first (Pillow for raster images, an XML parse for
SVG) and a file that does not decode is an error at the line that names it.
"""
from __future__ import annotations

import hashlib
import io
import re
from collections.abc import Sequence
from pathlib import Path

from lxml import etree

from .readers import Refused, read_confined

RASTER = {".png": "PNG", ".jpg": "JPEG", ".jpeg": "JPEG", ".gif": "GIF", ".webp": "WEBP"}
ALLOWED = set(RASTER) | {".svg"}
MEDIA_TYPES = {".png": "image/png", ".jpg": "image/jpeg", ".jpeg": "image/jpeg",
               ".gif": "image/gif", ".webp": "image/webp", ".svg": "image/svg+xml"}
RESERVED = {"images/cover.png"}     # the EPUB's generated cover
SVG_NS = "http://www.w3.org/2000/svg"
XLINK = "{http://www.w3.org/1999/xlink}href"
# a CSS length as pandoc's width/height attributes take it; a bare number is pixels
LENGTH = re.compile(r"(\d+(?:\.\d+)?|\.\d+)(%|px|cm|mm|in|pt|pc|em|rem)?")


def problem(path: Path, data: bytes | None = None,
            roots: Sequence[Path] | None = None) -> str | None:
    """Why the image file cannot be embedded, or None.

    The file is never read by its path here but through the sandbox
    (``readers.read_confined``, confined to ``roots``, by default the folder the path
    names it in): a symlink that leads out, a FIFO or a device, or a file over the image
    limit is refused, and why is the problem. ``data``: the bytes the sandbox already
    read, checked as they are (the file is not read again, so that what is checked is
    what is embedded). The bytes must pass the sandbox's checks (``sanitise``: the SVG
    whitelist, a raster image's pixel limit, read from its header before any pixel is
    decoded), then decode (Pillow, every pixel; an XML parse of an SVG). Kept by the
    bytes' SHA-256 and the file's suffix."""
    if data is None:
        try:
            data = read_confined(path, list(roots) if roots is not None else [path.parent],
                                 "image")
        except Refused as exc:
            return str(exc)
    suffix = path.suffix.lower()
    key = (hashlib.sha256(data).digest(), suffix)
    if key not in _PROBLEMS:
        if len(_PROBLEMS) >= 1024:
            _PROBLEMS.clear()
        _PROBLEMS[key] = _problem(data, suffix)
    return _PROBLEMS[key]


_PROBLEMS: dict[tuple[bytes, str], str | None] = {}     # by the bytes' SHA-256 and suffix


def read_checked(path: Path, roots: Sequence[Path]) -> bytes:
    """An image file of the book as a writer embeds it or the preview serves it: its
    bytes read through the sandbox once, and checked as ``problem`` checks them (the file
    may have changed since the resolver checked it); ``Refused`` if they may not be."""
    data = read_confined(path, list(roots), "image")
    bad = problem(path, data)
    if bad:
        raise Refused(bad)
    return data


def _problem(data: bytes, suffix: str) -> str | None:
    from . import sanitise
    if suffix == ".svg":
        found = sanitise.svg_file_problems(data)
        if found:
            return "; ".join(f"line {line}: {message}" for line, message in found[:3])
        return _svg_problem(data)
    bad = sanitise.image_problem(data)      # the pixel count, before any pixel is decoded
    if bad:
        return bad
    if suffix not in RASTER:
        return "is not an image this builder embeds (png, jpg, gif, svg, webp)"
    from PIL import Image, UnidentifiedImageError
    try:
        with Image.open(io.BytesIO(data)) as image:
            kind = image.format
            image.verify()              # the structure (chunks and their checksums)
        with Image.open(io.BytesIO(data)) as image:
            image.load()                # every pixel: a truncated file fails here
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError,
            Image.DecompressionBombError) as exc:
        return f"cannot be decoded as an image ({_reason(exc)})"
    if kind != RASTER[suffix]:
        return f"is a {kind} file but named {suffix}"
    return None


def _reason(exc: BaseException) -> str:
    return str(exc).splitlines()[0] if str(exc) else type(exc).__name__


def _svg_problem(data: bytes) -> str | None:
    parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False,
                             huge_tree=False)
    try:
        root = etree.fromstring(data, parser)
    except etree.XMLSyntaxError as exc:
        return f"is not well-formed SVG ({_reason(exc)})"
    if root.tag != f"{{{SVG_NS}}}svg":
        return "is not an SVG image (its root element is not <svg> in the SVG namespace)"
    for el in root.iter():
        if not isinstance(el.tag, str):
            continue
        if etree.QName(el).localname in ("script", "foreignObject"):
            return f"contains <{etree.QName(el).localname}>, which is not allowed in images"
        for attr in ("href", XLINK):
            ref = el.get(attr)
            if ref and not ref.startswith("#"):
                return f"refers to '{ref}': an SVG image must be self-contained"
        if re.search(r"url\(\s*['\"]?(?!#)", el.get("style", "")) or \
                (etree.QName(el).localname == "style" and
                 re.search(r"url\(\s*['\"]?(?!#)|@import", el.text or "")):
            return "loads a resource from its style: an SVG image must be self-contained"
    return None


def css_size(attrs: dict[str, str]) -> tuple[str, dict[str, str], list[str]]:
    """pandoc's ``width``/``height`` attributes as pandoc writes them: a number of pixels
    stays an attribute, any other length becomes a CSS declaration. Returns the
    declaration, the attributes kept and the problems."""
    style, keep, problems = [], {}, []
    for name in ("width", "height"):
        value = attrs.get(name)
        if value is None:
            continue
        m = LENGTH.fullmatch(value.strip())
        if not m:
            problems.append(f"image {name} '{value}' is not a length (e.g. 50%, 8cm, 300px)")
            continue
        if m.group(2) in (None, "px"):
            keep[name] = m.group(1)
        else:
            style.append(f"{name}: {m.group(1)}{m.group(2)}")
    return "; ".join(style), keep, problems
