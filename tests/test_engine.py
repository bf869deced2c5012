"""The engine's adapter (writers/engine): the private mechanisms and the public path give
the same pages; an untested WeasyPrint, or internals that no longer behave, send the
builder down the public path with one warning."""
from __future__ import annotations

import html
import re
import subprocess
import sys
import warnings

import pytest

from conftest import MINI, only, run_build
from studyguide.builder import Options, prepare
from studyguide.writers import engine, pdf


def words(path) -> list[list[tuple[str, float, float, float, float]]]:
    """Each page's words with their boxes (in points, to a hundredth)."""
    xml = subprocess.run(["pdftotext", "-bbox", str(path), "-"], capture_output=True,
                         text=True, check=True).stdout
    return [[(html.unescape(w), *(round(float(v), 2) for v in box)) for *box, w in
             re.findall(r'xMin="([\d.]+)" yMin="([\d.]+)" xMax="([\d.]+)" '
                        r'yMax="([\d.]+)">([^<]*)</word>', page)]
            for page in xml.split("<page ")[1:]]


@pytest.fixture
def decide_again():
    """The adapter decides again in this process, and once more after the test."""
    engine.checked.cache_clear()
    yield
    engine.checked.cache_clear()


def test_the_public_path_prints_every_page_as_the_private_one(mini_build, tmp_path,
                                                              monkeypatch):
    """The fixture book built with the adapter's check forced to fail: every page of both
    editions has the same words at the same places, folios and "p. N" included."""
    monkeypatch.setenv(engine.FORCE, "public")
    out = tmp_path / "public"
    result = run_build("--content", str(MINI), "--output", str(out), "-q", "--no-handouts")
    assert result.returncode == 0, result.stderr
    for pattern in ("*-student-a4.pdf", "*-teacher-a4.pdf"):
        private, public = words(only(mini_build, pattern)), words(only(out, pattern))
        assert len(private) >= 8 and sum(map(len, private)) > 1000
        assert public == private, pattern
        text = " ".join(w[0] for page in public for w in page)
        assert re.search(r"\(p\. \d+\)", text)


def test_an_untested_weasyprint_warns_once_and_takes_the_public_path(tmp_path, monkeypatch,
                                                                    decide_again):
    monkeypatch.setitem(engine.TESTED, "weasyprint", ((1,), (2,)))
    with pytest.warns(engine.EngineWarning, match=r"untested weasyprint \d+"):
        assert not engine.enabled("numbers")
    with warnings.catch_warnings():
        warnings.simplefilter("error")          # once: no second warning
        assert not engine.enabled("numbers")
        assert engine.enabled("stylesheets")    # public mechanisms stay

    rb, _ = prepare(Options(content=MINI, output=tmp_path))
    sources = pdf.part_sources(rb, False, "A4")
    ids = pdf.anchor_ids(sources.values())
    targets = pdf.number_targets(pdf.paginate_html(sources["ch01"], None,
                                                   {i: "0" for i in ids}, ids))
    pages = {t: str(100 + i) for i, t in enumerate(targets)}
    shape = pdf.paginate_html(sources["ch01"], None, pdf.shape_of(pages), ids)
    pdf.layout_part(rb, shape, "ch01-public")
    assert "ch01-public" not in pdf._held          # nothing is numbered after layout
    part = pdf.write_part(rb, shape, "ch01-public", 101, pages)
    (tmp_path / "part.pdf").write_bytes(part.pdf)
    printed = " ".join(w[0] for page in words(tmp_path / "part.pdf") for w in page)
    assert all(f"(p. {pages[t]})" in printed for t in targets if t in pages)
    assert len(targets) >= 3


def test_the_self_test_passes_with_the_installed_weasyprint():
    assert engine.self_test() == ""


def test_the_self_test_fails_when_numbering_no_longer_reaches_the_drawing(monkeypatch,
                                                                          decide_again):
    """As if WeasyPrint drew a line from somewhere else than the Pango layout the numbers
    are written into: the self-test sees it, and the public path is taken."""
    def text_only(box, text):
        if not hasattr(box, "shape_text"):
            box.shape_text, box.shape_x, box.shape_width = box.text, box.position_x, box.width
        box.text = text
    monkeypatch.setattr(engine, "_set_text", text_only)
    assert engine.self_test() != ""
    with pytest.warns(engine.EngineWarning, match="self-test"):
        assert not engine.private()


def test_a_missing_internal_is_a_failed_self_test(monkeypatch, decide_again):
    """As if a page no longer held its box tree where the numbering looks for it."""
    from weasyprint.document import Page
    made = Page.__init__

    def without_box_tree(self, *args, **kwargs):
        made(self, *args, **kwargs)
        self.__dict__["moved_box_tree"] = self.__dict__.pop("_page_box")
    monkeypatch.setattr(Page, "__init__", without_box_tree)
    with pytest.warns(engine.EngineWarning, match="self-test failed .AttributeError"):
        assert not engine.private()


def test_the_switches_reach_the_cache_key(monkeypatch):
    from studyguide.cache import engine_digest
    before = engine_digest()
    monkeypatch.setenv(engine.FORCE, "public")
    assert engine_digest() != before


def test_the_outputs_do_not_depend_on_libharfbuzz_subset(mini_build, tmp_path, monkeypatch):
    """WeasyPrint subsets fonts with libharfbuzz-subset where the system has it and with
    fontTools where it has not; every PDF (joined editions and handouts) must come out
    byte for byte the same either way. The library is hidden from the build by an
    unloadable file of its name first on the library path."""
    hidden = tmp_path / "lib"
    hidden.mkdir()
    (hidden / "libharfbuzz-subset.so.0").write_bytes(b"")
    monkeypatch.setenv("LD_LIBRARY_PATH", str(hidden))
    probe = subprocess.run([sys.executable, "-W", "ignore", "-c",
                            "from weasyprint.text import ffi; print(ffi.harfbuzz_subset)"],
                           capture_output=True, text=True, check=True)
    assert probe.stdout.strip() == "None"        # WeasyPrint takes its fontTools path
    out = tmp_path / "out"
    result = run_build("--content", str(MINI), "--output", str(out), "-q")
    assert result.returncode == 0, result.stderr
    made = sorted(p.relative_to(out) for p in out.rglob("*.pdf"))
    assert made == sorted(p.relative_to(mini_build) for p in mini_build.rglob("*.pdf"))
    assert len(made) >= 4 and any(p.parent.name == "handouts" for p in made)
    for path in made:
        assert (out / path).read_bytes() == (mini_build / path).read_bytes(), path


def test_a_build_hears_of_the_fallback_from_a_worker_not_from_python_warnings(
        monkeypatch, decide_again):
    """The fork server decides silently (its stderr is no place for a warning); the
    builder asks a worker (``fallback_note``) and lists the answer with the build's
    warnings."""
    monkeypatch.setitem(engine.TESTED, "weasyprint", ((1,), (2,)))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        pdf.warm_up()                              # no Python warning escapes
    note = engine.fallback_note()
    assert note.startswith("WeasyPrint's internals: untested weasyprint ")
    assert "public API" in note
    monkeypatch.setenv(engine.FORCE, "public")     # asked for: nothing to warn of
    assert engine.fallback_note() == ""


def test_a_notes_overflow_of_rounding_alone_is_none(monkeypatch):
    """WeasyPrint compares two sums of the same lengths added in another order to tell
    whether a page's notes overflow their area; a Polish chapter's note of several
    paragraphs came out 2e-13 px over, its call's line went to the next page and every
    later note a page late (``footnotes``). An overflow reported is measured again: here
    WeasyPrint is made to report one for a note that fits, which then stays on its
    call's page; reported as it is, the line goes over and the note a page later."""
    from weasyprint import CSS, HTML
    from weasyprint.formatting_structure import build
    from weasyprint.layout import LayoutContext, block_level_layout

    from studyguide.writers import engine
    engine.footnote_area()
    real = LayoutContext._update_footnote_area
    html = ('<html><body><p>' + "Words of the text. " * 10 + 'A call.<span class="fn">The '
            'note.<span class="fn-para">Its second paragraph.</span></span> ' +
            "More words. " * 400 + "</p></body></html>")
    css = CSS(string="@page { size: A6; } .fn { float: footnote; footnote-policy: line; } "
                     ".fn-para { display: block; }")

    def pages_of(update) -> tuple[int, int]:
        """The pages of the call and of its note."""
        monkeypatch.setattr(LayoutContext, "_update_footnote_area", update)
        texts = [" ".join(box.text for box in _texts(page._page_box))
                 for page in HTML(string=html).render(stylesheets=[css]).pages]
        return (next(n for n, t in enumerate(texts, 1) if "A call" in t),
                next(n for n, t in enumerate(texts, 1) if "second paragraph" in t))

    def reported_over(self):                # WeasyPrint's sums, rounded the wrong way
        real(self)
        return True
    assert pages_of(real) == (1, 1)
    assert pages_of(reported_over) == (2, 3)                # the fault, as it was
    assert pages_of(engine.measured_again(reported_over, build, block_level_layout)) == (1, 1)


def _texts(box):
    if type(box).__name__ == "TextBox":
        yield box
    for child in getattr(box, "children", None) or ():
        yield from _texts(child)
