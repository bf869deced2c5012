"""Everything the PDF writer does with WeasyPrint beyond its public API.

The builder typesets through WeasyPrint's public API (``HTML``, ``CSS``, ``render``,
``write_pdf``). One mechanism that makes it fast reaches further, and it lives here:

``numbers``
    A body part is laid out once from its *shape* (its page numbers as zeros) and the
    real numbers are written into the laid-out text boxes (``TextBox.text``, its Pango
    layout's text, a folio's position and width; the page's box tree through
    ``Page._page_box``) before the page is drawn. Its public counterpart lays the part out
    a second time from its HTML with the numbers written in (``pdf.number_html``): the
    same pages, one more layout per part.

Whether it is used is decided once per process (``private``): only with the versions of
WeasyPrint the suite runs on (``TESTED``), and when a self-test passes (a tiny
document laid out from its shape and numbered, and the same document typeset with its
numbers by WeasyPrint itself, must draw the same pages; an attribute that is gone fails
it too). Otherwise the builder warns once and takes the public path, which gives the
same pages. ``STUDYGUIDE_ENGINE=public`` forces the public path; ``STUDYGUIDE_ENGINE_OFF``
(a comma-separated list of mechanisms, the public ``stylesheets`` too: each worker parses
a book's stylesheet once) turns single mechanisms off, which is how the benchmark
measures what each buys (``bench/run.py --mechanisms``).
"""
from __future__ import annotations

import os
import re
import warnings
from functools import lru_cache
from importlib import metadata

PRIVATE = ("numbers",)                    # reaches beyond WeasyPrint's public API
PUBLIC = ("stylesheets",)                 # speed mechanisms through public APIs
MECHANISMS = PRIVATE + PUBLIC
FORCE = "STUDYGUIDE_ENGINE"               # "public": never use the private mechanisms
OFF = "STUDYGUIDE_ENGINE_OFF"             # mechanisms turned off, comma-separated

# The versions the suite runs on, lowest (``make test-oldest``) to newest: [low, high).
TESTED = {"weasyprint": ((70, 0), (71,))}


class EngineWarning(UserWarning):
    """The installed WeasyPrint is not one the private mechanism is known to work with,
    or no longer behaves as it did: the builder takes the public path."""


def switches() -> str:
    """The switches set in the environment, for cache keys: results made with other
    mechanisms are not reused (they are the same pages, not always the same bytes)."""
    return f"{os.environ.get(FORCE, '')}|{os.environ.get(OFF, '')}"


def turned_off() -> set[str]:
    off = {name.strip() for name in os.environ.get(OFF, "").split(",") if name.strip()}
    if os.environ.get(FORCE, "") == "public":
        off.update(PRIVATE)
    return off


def enabled(name: str) -> bool:
    """Whether the mechanism ``name`` is used in this process."""
    assert name in MECHANISMS, name
    if name in turned_off():
        return False
    return name in PUBLIC or private()


def _version(package: str) -> tuple[int, ...]:
    return tuple(int(n) for n in re.findall(r"\d+", metadata.version(package))[:3])


def _untested() -> list[str]:
    """The installed packages whose version is outside the tested range."""
    out = []
    for package, (low, high) in TESTED.items():
        try:
            version = _version(package)
        except metadata.PackageNotFoundError:
            out.append(f"{package} (not installed)")
            continue
        if not low <= version < high:
            out.append(f"{package} {'.'.join(map(str, version))} (tested: "
                       f"{'.'.join(map(str, low))} up to {'.'.join(map(str, high))}, "
                       f"not included)")
    return out


def private() -> bool:
    """Whether this process may use the private mechanisms (``checked``), unless the
    public path was asked for."""
    return not set(PRIVATE) <= turned_off() and checked()


@lru_cache(maxsize=1)
def checked() -> bool:
    """Whether the installed WeasyPrint passes the checks: decided once a process, with
    one warning when it does not (``fallback_note`` says the same to a build)."""
    global _problem
    problem = ""
    untested = _untested()
    if untested:
        problem = "untested " + ", ".join(untested)
    else:
        try:
            problem = self_test()
        except Exception as exc:       # noqa: BLE001 - an internal that moved or changed
            problem = f"self-test failed ({type(exc).__name__}: {exc})"
    _problem = problem
    if problem:
        warnings.warn(_note(problem), EngineWarning, stacklevel=2)
        return False
    return True


_problem = ""


def fallback_note() -> str:
    """Why this process takes the public path though the private one was not turned off
    ("" when it does not): the warning a build reports, asked of a worker."""
    if set(PRIVATE) <= turned_off() or checked():
        return ""
    return _note(_problem)


def _note(problem: str) -> str:
    return (f"WeasyPrint's internals: {problem}; every part is typeset twice by "
            "WeasyPrint's public API instead (the same pages, slower)")


# -- numbers --------------------------------------------------------------------------

def _text_boxes(box, margin=None):
    """Every text box under ``box``, with the margin box it sits in (or None)."""
    from weasyprint.formatting_structure import boxes
    if isinstance(box, boxes.MarginBox):
        margin = box
    if isinstance(box, boxes.TextBox):
        yield box, margin
    for child in getattr(box, "children", None) or ():
        yield from _text_boxes(child, margin)


def _set_text(box, text: str) -> None:
    """Give a laid-out text box new text; what it was laid out with is kept, so that
    the same layout can be numbered again for another edition."""
    if not hasattr(box, "shape_text"):
        box.shape_text, box.shape_x, box.shape_width = box.text, box.position_x, box.width
    box.text = text
    box.pango_layout.text = text      # what drawing lays the line out from again


def _set_folio(box, margin, label: str) -> None:
    """A folio with more digits than the one it was laid out with keeps its alignment."""
    _set_text(box, label)
    grow = (len(label) - len(box.shape_text)) * box.shape_width / len(box.shape_text)
    align = margin.style["text_align_all"]
    shift = grow if align in ("right", "end") else grow / 2 if align == "center" else 0
    box.position_x = box.shape_x - shift
    box.width = box.shape_width + grow


def page_number(shape: str, number: str | None) -> str | None:
    """The text a page number laid out as ``shape`` ("(p. 00)", "00") prints for
    ``number``; "?" in place of the zeros if the digits differ (the numbers never
    settled); None if it prints no number."""
    zeros = re.search(r"0+", shape)
    if number is None or zeros is None:
        return None
    if len(number) != len(zeros.group()):
        number = "?"
    return shape[:zeros.start()] + number + shape[zeros.end():]


def number_target(element, xref_scheme: str) -> str:
    """The anchor whose page an element marked with ``data-page`` prints."""
    target = element.get("data-target")
    if target is None:
        href = element.get("href") or ""
        target = href[1:] if href.startswith("#") else href[len(xref_scheme):]
    return target


def number_layout(document, first_page: int | None, pages: dict[str, str],
                  xref_scheme: str) -> None:
    """Write the real page numbers into a layout made from a part's shape (folios from
    ``first_page``; None leaves them, as in the front matter, which counts its own)."""
    for i, page in enumerate(document.pages):
        folio = str(i + 1)
        for box, margin in _text_boxes(page._page_box):
            shape = getattr(box, "shape_text", box.text)
            if margin is not None:
                if first_page is not None and shape == folio:
                    _set_folio(box, margin, str(first_page + i))
                continue
            # a page number: generated from data-page (a cross-reference's "(p. N)"), or
            # the text of an element marked with it (an index locator, a page in the
            # contents)
            element = box.element
            marked = None if element is None else element.get("data-page")
            if marked is None or not ((box.element_tag or "").endswith("::after") or
                                      shape == marked):
                continue
            text = page_number(shape, pages.get(number_target(element, xref_scheme)))
            if text is not None:
                _set_text(box, text)


# -- the self-test --------------------------------------------------------------------

_TEST_CSS = ("@page { size: 90mm 60mm; margin: 10mm; @bottom-right { content: counter(page);"
             " font-variant-numeric: tabular-nums; } } body { font-family: serif;"
             " font-variant-numeric: tabular-nums; } a::after { content: ' (p. ' attr(data-page)"
             " ')'; }")


def _test_html(first: int | None, xref: str, locator: str) -> str:
    counter = f"@page :first {{ counter-reset: page {first}; }}" if first else ""
    return (f"<html lang=en><head><title>t</title><style>{_TEST_CSS}{counter}</style></head>"
            f"<body><p id=a>See <a href='#b' data-page='{xref}'>there</a> and "
            f"<span data-target='b' data-page='{locator}'>{locator}</span>.</p>"
            f"<p id=b style='break-before: page'>Here.</p></body></html>")


def self_test() -> str:
    """A tiny document laid out from its shape and numbered must draw the same page as
    the document typeset with its numbers: "" if it does, else what differs."""
    import io

    import pikepdf
    from weasyprint import HTML
    numbered = HTML(string=_test_html(None, "00", "00")).render()
    number_layout(numbered, 7, {"b": "42"}, "xref:")
    direct = HTML(string=_test_html(7, "42", "42")).render()

    def contents(document) -> list[bytes]:
        data = document.write_pdf()
        with pikepdf.open(io.BytesIO(data)) as pdf:
            return [page.obj.Contents.read_bytes() for page in pdf.pages]
    written = [box.text for page in numbered.pages for box, _ in _text_boxes(page._page_box)]
    if not {" (p. 42)", "42", "8"} <= set(written):
        return "self-test: the numbers were not written"
    a, b = contents(numbered), contents(direct)
    if a != b:
        return "self-test: a numbered layout does not draw what WeasyPrint draws"
    return ""
