"""The trees lxml builds for WeasyPrint (writers/htmltree) are the trees WeasyPrint's own
HTML5 parser builds: for every part and handout of the books, for generated documents,
and never for a document where the two parsers disagree."""
from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
import tinyhtml5
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from lxml import etree
from lxml import html as lxml_html

from studyguide.builder import Options, prepare
from studyguide.writers import htmltree, pdf

from conftest import CONTENT, FIXTURES, MINI


def reference(html_text: str) -> ET.Element:
    return tinyhtml5.parse(html_text, namespace_html_elements=False)


def difference(a: ET.Element, b: ET.Element, path: str = "") -> str | None:
    """Where two trees differ (None: they are the same)."""
    here = f"{path}/{a.tag if isinstance(a.tag, str) else 'comment'}"
    if a.tag != b.tag:
        return f"{here}: tag {a.tag!r} vs {b.tag!r}"
    if dict(a.attrib) != dict(b.attrib):
        return f"{here}: attributes {dict(a.attrib)} vs {dict(b.attrib)}"
    for what in ("text", "tail"):
        if (getattr(a, what) or None) != (getattr(b, what) or None):
            return f"{here}: {what} {getattr(a, what)!r} vs {getattr(b, what)!r}"
    if len(a) != len(b):
        return f"{here}: {len(a)} vs {len(b)} children"
    for x, y in zip(a, b):
        found = difference(x, y, here)
        if found:
            return found
    return None


def documents(content: Path) -> dict[str, str]:
    """Every HTML document the book's PDFs are typeset from, as WeasyPrint gets it."""
    rb, _ = prepare(Options(content=content, output=content / "unused"))
    out = {}
    for teacher in (False, True):
        sources = pdf.part_sources(rb, teacher, "A4")
        ids = pdf.anchor_ids(sources.values())
        for name, text in sources.items():
            out[f"{name} {teacher}"] = pdf.paginate_html(text, 3, {}, ids)
        out[f"index {teacher}"] = pdf.paginate_html(pdf.index_source(rb, teacher, "A4", {}),
                                                    None, {}, ids)
        out[f"front {teacher}"] = pdf.paginate_html(pdf.front_source(rb, teacher, "A4", {}),
                                                    None, {}, ids)
    if pdf.has_answer_key(rb, True):
        out["answers"] = pdf.paginate_html(pdf.answers_source(rb, "A4"), None, {}, ids)
    captured = []

    from weasyprint.document import DocumentMetadata

    class Unwritten:                 # the document render_handout writes: nothing
        metadata = DocumentMetadata()     # which the writer adds the book's XMP to
        pages = ()

        def write_pdf(self, **options):
            return b""

    original = pdf._document
    try:
        pdf._document = lambda rb, text, fetcher: captured.append(text) or Unwritten()
        for doc in rb.docs + rb.back:
            pdf.render_handout(rb, doc, False, "A4")
            for teacher in (False, True) if doc.questions else ():
                pdf.render_worksheet(rb, doc, teacher, "A4")
    finally:
        pdf._document = original
    assert len(captured) == sum(1 + 2 * bool(d.questions) for d in rb.docs + rb.back)
    out.update({f"handout {i}": text for i, text in enumerate(captured)})
    return out


@pytest.mark.parametrize("content", [MINI, FIXTURES / "assess", CONTENT],
                         ids=["fixture", "assessed", "default"])
def test_every_document_of_the_books_gets_the_same_tree(content):
    docs = documents(content)
    assert len(docs) > 10
    for name, text in docs.items():
        tree = htmltree.parse(text)
        assert tree is not None, f"{name}: not built by lxml"
        assert difference(reference(text), tree) is None, name


UNSAFE = {
    "row without a row group": "<table><tr><td>a</td></tr></table>",
    "text in a table": "<table><tbody><tr><td>a</td></tr>x</tbody></table>",
    "block in a paragraph": "<p>a<div>b</div>c</p>",
    "list item in a list item": "<ul><li>a<li>b</li></li></ul>",
    "list item in a div in a list item": "<ol><li><div><li>b</li></div></li></ol>",
    "link in a link": '<p><a href="#a">a <a href="#b">b</a></a></p>',
    "heading in a heading": "<h2>a <span><h3>b</h3></span></h2>",
    "foreign content": '<p><svg viewBox="0 0 1 1"><rect/></svg></p>',
    "reference HTML5 reads differently": "<p>&notit; &#128; &#0;</p>",
    "bare ampersand": "<p>AT&T</p>",
    "unknown element": "<p><blink>a</blink></p>",
    "newline opening a pre": "<pre>\nx</pre>",
    "carriage return": "<p>a\r\nb</p>",
    "col outside a colgroup": "<table><col><tbody><tr><td>a</td></tr></tbody></table>",
    "namespaced attribute": '<p xml:lang="en">a</p>',
    "form": "<form><p>a</p></form>",
}


@pytest.mark.parametrize("body", list(UNSAFE.values()), ids=list(UNSAFE))
def test_what_the_parsers_may_disagree_on_is_left_to_weasyprint(body):
    assert htmltree.parse(f"<!DOCTYPE html><html><head><title>t</title></head>"
                          f"<body>{body}</body></html>") is None


def test_a_disagreement_the_guard_prevents_is_real():
    """Without the checks, lxml's tree for a bare table row is not HTML5's."""
    text = ("<!DOCTYPE html><html><head></head><body>"
            "<table><tr><td>a</td></tr></table></body></html>")
    assert lxml_html.document_fromstring(text).find(".//table")[0].tag == "tr"
    assert reference(text).find(".//table")[0].tag == "tbody"


# Generated documents: well-nested trees of the elements the books use and some they
# do not, in every arrangement, with whitespace, text, references and comments, written
# out by lxml as the builder writes them. Wherever lxml's tree is used, it must be HTML5's.
TAGS = ["p", "div", "section", "span", "em", "a", "ul", "ol", "li", "dl", "dt", "dd", "h2",
        "h3", "table", "thead", "tbody", "tr", "td", "th", "caption", "blockquote", "figure",
        "figcaption", "br", "img", "sup", "code", "pre", "hr", "small", "col", "colgroup",
        "nav", "aside", "strong", "cite", "q", "wbr", "mark", "time", "header", "main"]
TEXT = st.sampled_from(["", " ", "\n", "a b", " x\n", "&amp;", "&lt;b&gt;", "&eacute;", "&#233;",
                        "\u00a0", "é", "&nbsp;", "\n\n  "])


@st.composite
def element(draw, depth=0):
    tag = draw(st.sampled_from(TAGS))
    node = etree.Element(tag)
    if draw(st.booleans()):
        node.set(draw(st.sampled_from(["class", "id", "href", "lang", "data-page"])),
                 draw(st.sampled_from(["x", "a b", "&", "\"q\"", "é"])))
    node.text = draw(TEXT) or None
    if depth < 4 and tag not in ("br", "img", "hr", "col", "wbr"):
        for _ in range(draw(st.integers(0, 3))):
            if draw(st.integers(0, 9)) == 0:
                child = etree.Comment(draw(st.sampled_from([" c ", "x"])))
            else:
                child = draw(element(depth + 1))
            node.append(child)
    node.tail = draw(TEXT) or None
    return node


def serialise(body_children) -> str:
    doc = lxml_html.document_fromstring("<!DOCTYPE html><html><head><title>t</title></head>"
                                        "<body></body></html>")
    body = doc.find("body")
    for child in body_children:
        body.append(child)
    return "<!DOCTYPE html>\n" + etree.tostring(doc, encoding="unicode", method="html")


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(element(), min_size=1, max_size=4))
def test_generated_documents_get_html5s_tree_or_none(children):
    text = serialise(children)
    tree = htmltree.parse(text)
    if tree is not None:
        assert difference(reference(text), tree) is None, text


def test_generated_documents_are_often_built_by_lxml():
    """The generated test above is not vacuous: plain documents take the fast path."""
    text = serialise([lxml_html.fromstring(
        '<section id="s"><h2>T</h2><p>a <em>b</em> <a href="#s">c</a></p>'
        '<ul><li>x</li><li><p>y</p><ol><li>z</li></ol></li></ul>'
        '<table><caption>c</caption><thead><tr><th>h</th></tr></thead>'
        '<tbody><tr><td>d</td></tr></tbody></table><!-- note --></section>')])
    tree = htmltree.parse(text)
    assert tree is not None
    assert difference(reference(text), tree) is None
