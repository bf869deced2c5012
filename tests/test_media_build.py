"""The media fixture book (pictures in images/ named from chapters/, math, a CJK
character no font has, a timeline event with a citation) built end to end: what the
PDF and the EPUB really hold."""
from __future__ import annotations

import collections
import io
import re
import shutil
import subprocess
import zipfile

import pikepdf
import pytest
from lxml import etree

from conftest import FIXTURES, only, run_build
from test_fonts import make_font

MEDIA = FIXTURES / "media"
pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    out = tmp_path_factory.mktemp("media-out")
    result = run_build("--content", str(MEDIA), "--output", str(out), "--no-handouts",
                       "--no-cache")
    assert result.returncode == 0, result.stderr          # run_build ran EPUBCheck: clean
    return out, result


def _pdf_text(path) -> str:
    return subprocess.run(["pdftotext", str(path), "-"], capture_output=True, text=True,
                          check=True).stdout


def test_the_cjk_character_is_a_warning_naming_file_and_line(built):
    _, result = built
    assert re.search(r"chapters/01-carbon\.md:28: warning: no font can draw 碳 \(U\+78B3\)",
                     result.stderr), result.stderr


def test_pdf_embeds_every_picture_and_draws_the_svg(built):
    out, _ = built
    pdf = only(out, "*-student-a4.pdf")
    listing = subprocess.run(["pdfimages", "-list", str(pdf)], capture_output=True, text=True,
                             check=True).stdout.splitlines()[2:]
    kinds = sorted((row.split()[3], row.split()[4], row.split()[8]) for row in listing)
    assert kinds == [("240", "120", "image"), ("96", "64", "jpeg")]    # the PNG, the JPEG
    text = _pdf_text(pdf)
    assert "Atmosphere" in text and "Ocean" in text           # the SVG's own text, drawn
    for caption in ("Figure 1.1. The four reservoirs", "Figure 1.2. The Keeling curve",
                    "Figure 1.3. A photograph-like"):
        assert caption in text


def test_pdf_math_is_drawn_with_its_tex_as_alternative_text(built):
    out, _ = built
    with pikepdf.open(only(out, "*-student-a4.pdf")) as pdf:
        alts = [str(o.Alt) for o in pdf.objects
                if isinstance(o, pikepdf.Dictionary) and "/Alt" in o]
        programs = collections.defaultdict(set)
        for o in pdf.objects:
            if isinstance(o, pikepdf.Dictionary) and o.get("/Type") == "/FontDescriptor":
                for key in ("/FontFile2", "/FontFile3"):
                    if key in o:
                        programs[str(o.FontName).split("+")[-1]].add(o[key].objgen)
    assert {"M(t) = M_0 e^{kt}", "k > 0", r"\sum_{i=1}^{4} C_i = C_{\text{total}}"} <= set(alts)
    # the blank box for the CJK character did not stop the font merge
    assert len(programs["Linux-Libertine-O"]) == 1, programs
    assert all(len(p) == 1 for p in programs.values()), programs
    assert "$" not in _pdf_text(only(out, "*-student-a4.pdf")).split("costs", 1)[0]


def test_timeline_figure_and_list_format_the_citation(built):
    out, _ = built
    text = _pdf_text(only(out, "*-student-a4.pdf"))
    assert "[@" not in text and "*" not in text
    flat = " ".join(text.split())      # the chronology's narrow column may wrap it
    assert flat.count("(Revelle and Suess 1957)") == 2      # drawn in the figure, listed
    with zipfile.ZipFile(only(out, "*.epub")) as z:
        svg = z.read("EPUB/generated/timeline.svg").decode()
    assert "(Revelle and Suess 1957)" in svg and '<tspan font-style="italic">' in svg


def test_epub_carries_pictures_and_mathml(built):
    out, _ = built
    with zipfile.ZipFile(only(out, "*.epub")) as z:
        opf = etree.fromstring(z.read("EPUB/content.opf"))
        chapter = etree.fromstring(z.read("EPUB/ch01.xhtml"))
    ns = {"opf": "http://www.idpf.org/2007/opf"}
    items = {i.get("href"): (i.get("media-type"), i.get("properties"))
             for i in opf.iterfind(".//opf:item", ns)}
    assert items["images/keeling.png"][0] == "image/png"
    assert items["images/station.jpg"][0] == "image/jpeg"
    assert items["images/reservoirs.svg"][0] == "image/svg+xml"
    assert "mathml" in items["ch01.xhtml"][1].split()
    x = {"h": "http://www.w3.org/1999/xhtml", "m": "http://www.w3.org/1998/Math/MathML"}
    srcs = chapter.xpath("//h:figure/h:img/@src", namespaces=x)
    assert srcs == ["images/reservoirs.svg", "images/keeling.png", "images/station.jpg"]
    maths = chapter.xpath("//m:math", namespaces=x)
    assert [m.get("alttext") for m in maths] == [
        "M(t) = M_0 e^{kt}", "k > 0", r"\sum_{i=1}^{4} C_i = C_{\text{total}}"]
    assert maths[2].get("display") == "block" and maths[0].xpath(".//m:msup", namespaces=x)


def test_identical_sources_give_identical_files(built, tmp_path):
    out, _ = built
    again = tmp_path / "again"
    result = run_build("--content", str(MEDIA), "--output", str(again), "--no-handouts",
                       "--no-cache", "-q")
    assert result.returncode == 0, result.stderr
    for path in sorted(out.glob("*.*")):
        assert (again / path.name).read_bytes() == path.read_bytes(), path.name


def test_a_book_font_is_embedded_in_both_formats(tmp_path):
    book = tmp_path / "book"
    shutil.copytree(MEDIA, book)
    (book / "fonts").mkdir()
    make_font(book / "fonts" / "boxes.ttf", "Carbon Boxes", "碳")
    with open(book / "book.yaml", "a") as f:
        f.write("fonts: [fonts/boxes.ttf]\n")
    out = tmp_path / "out"
    result = run_build("--content", str(book), "--output", str(out), "--no-handouts",
                       "--format", "pdf", "--format", "epub", "--no-cache")
    assert result.returncode == 0, result.stderr
    assert "no font can draw" not in result.stderr
    fonts = subprocess.run(["pdffonts", str(only(out, "*-student-a4.pdf"))],
                           capture_output=True, text=True, check=True).stdout
    assert "Carbon-Boxes" in fonts
    with zipfile.ZipFile(only(out, "*.epub")) as z:      # cut to the characters it draws
        from fontTools.ttLib import TTFont
        embedded = TTFont(io.BytesIO(z.read("EPUB/fonts/boxes.ttf")))
        assert set(embedded.getBestCmap()) == {ord("碳")}
        opf = z.read("EPUB/content.opf").decode()
        css = z.read("EPUB/style/book.css").decode()
    assert 'href="fonts/boxes.ttf"' in opf and 'media-type="font/ttf"' in opf
    assert 'src: url("../fonts/boxes.ttf")' in css and '"Carbon Boxes", serif' in css


def test_a_changed_picture_reaches_both_formats_on_a_cached_rebuild(tmp_path):
    from PIL import Image
    book = tmp_path / "book"
    shutil.copytree(MEDIA, book)
    out, cache = tmp_path / "out", tmp_path / "cache"
    args = ("--content", str(book), "--output", str(out), "--no-handouts", "--cache",
            str(cache), "-q")
    assert run_build(*args).returncode == 0
    Image.new("RGB", (50, 30), "grey").save(book / "images" / "keeling.png")
    result = run_build(*args)
    assert result.returncode == 0, result.stderr
    with zipfile.ZipFile(only(out, "*.epub")) as z:
        assert z.read("EPUB/images/keeling.png") == (book / "images" / "keeling.png").read_bytes()
    listing = subprocess.run(["pdfimages", "-list", str(only(out, "*-student-a4.pdf"))],
                             capture_output=True, text=True, check=True).stdout
    assert re.search(r"\s50\s+30\s", listing) and not re.search(r"\s240\s+120\s", listing)
