"""The PDF writer: the rendered book, typeset by WeasyPrint.

A book edition is typeset in three parts that are joined page by page:

1. the body (chapters and apparatus), numbered from 1;
2. the index, whose page numbers come from the body's layout, numbered on from the body;
3. the front matter (title, copyright, contents) in roman numerals, whose contents list
   takes its page numbers from the body's layout.

Each part is padded to an even number of pages, so the body and the index open on a
right-hand page. The layout (which anchor falls on which printed page) is returned too:
the EPUB writer uses the student edition's to place its print page markers.
"""
from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field

from lxml import etree
from lxml import html as lxml_html
from weasyprint import HTML

from .. import theme
from ..resolve import RenderedBook, RenderedDoc
from .fetcher import SafeFetcher

PAPER = {"A4": "A4", "Letter": "letter"}


@dataclass
class Layout:
    """Where things fell on the printed pages of one edition."""
    labels: list[str] = field(default_factory=list)           # printed label per page
    anchors: dict[str, str] = field(default_factory=dict)     # anchor id -> page label
    page_starts: list[tuple[str, list[str]]] = field(default_factory=list)  # label, anchors top-down
    refused: list[str] = field(default_factory=list)


def _css(*names: str, paper: str) -> str:
    return "\n".join(theme.stylesheet(n) for n in names) + "\n" + theme.book_stylesheet() + \
        f"\n@page {{ size: {PAPER.get(paper, 'A4')}; }}\n"


def footnotes_to_floats(html_text: str) -> str:
    """Python-Markdown's endnotes become WeasyPrint footnotes at their call sites."""
    doc = lxml_html.document_fromstring(html_text)
    notes = {}
    for li in doc.xpath('//div[@class="footnote"]//li[@id]'):
        for back in li.xpath('.//a[@class="footnote-backref"]'):
            back.drop_tree()
        parts = []
        for child in li:
            parts.append((child.text or "") if child.tag == "p" else "")
            if child.tag == "p":
                for sub in child:
                    parts.append(etree.tostring(sub, encoding="unicode", method="html"))
            else:
                parts.append(etree.tostring(child, encoding="unicode", method="html"))
        notes[li.get("id")] = " ".join(p.strip() for p in parts if p.strip())
    for sup in doc.xpath('//sup[a[@class="footnote-ref"]]'):
        target = sup[0].get("href", "")[1:]
        if target in notes:
            span = lxml_html.fragment_fromstring(
                f'<span class="fn" id="{sup.get("id")}">{notes[target]}</span>')
            span.tail = sup.tail
            sup.getparent().replace(sup, span)
    for div in doc.xpath('//div[@class="footnote"]'):
        div.drop_tree()
    return "<!DOCTYPE html>\n" + etree.tostring(doc, encoding="unicode", method="html")


def localise_links(html_text: str) -> str:
    """In a stand-alone document, links to ids it does not hold become plain text."""
    doc = lxml_html.document_fromstring(html_text)
    ids = set(doc.xpath("//@id"))
    for a in doc.xpath('//a[starts-with(@href, "#")]'):
        if a.get("href")[1:] not in ids:
            a.drop_tag()
    return "<!DOCTYPE html>\n" + etree.tostring(doc, encoding="unicode", method="html")


def _document(rb: RenderedBook, html_text: str, fetcher: SafeFetcher):
    return HTML(string=html_text, base_url=rb.book.root.as_uri() + "/",
                url_fetcher=fetcher).render()


def _fetcher(rb: RenderedBook) -> SafeFetcher:
    from .. import paths
    generated = {f"{name}.svg": svg.encode("utf-8") for name, svg in rb.figures.items()}
    return SafeFetcher([rb.book.root, paths.STYLES], generated, rb.book.root / "generated")


def _anchors_by_page(doc) -> list[list[str]]:
    """Per page, the anchors of elements that start on it, top to bottom.

    An element that runs over a page break has a box, and so an anchor, on each page
    it touches; only its first page counts as where it is.
    """
    out, seen = [], set()
    for page in doc.pages:
        items = sorted(page.anchors.items(), key=lambda kv: (round(kv[1][1], 1), kv[1][0]))
        names = [name for name, _ in items if name not in seen]
        seen.update(names)
        out.append(names)
    return out


def _pad_even(doc, blank):
    if len(doc.pages) % 2:
        return doc.pages + [blank.pages[0]]
    return list(doc.pages)


def toc_items(rb: RenderedBook) -> list[dict]:
    items = []
    for d in rb.docs:
        items.append({"kind": "chapter", "id": d.id, "number": d.number, "title": d.title,
                      "sections": [s for s in d.sections if s["level"] == 2 and s["number"]]})
    for ident, present, title in (
            ("master-table", rb.master_table, "The Two Positions Compared"),
            ("timeline", rb.timeline, "Timeline"), ("key-figures", rb.people, "Key Figures")):
        if present:
            items.append({"kind": "back", "id": ident, "number": None, "title": title,
                          "sections": []})
    for d in rb.back:
        items.append({"kind": "back", "id": d.id, "number": None, "title": d.title,
                      "sections": []})
    for ident, present, title in (("glossary", rb.glossary, "Glossary"),
                                  ("bibliography", rb.bibliography, "Annotated Bibliography"),
                                  ("index", rb.index, "Index")):
        if present:
            items.append({"kind": "back", "id": ident, "number": None, "title": title,
                          "sections": []})
    return items


def edition_name(teacher: bool) -> str:
    return "Teacher edition (with model answers)" if teacher else "Student edition"


def render_edition(rb: RenderedBook, teacher: bool, paper: str) -> tuple[bytes, Layout]:
    theme.use(rb.book.templates_dir, rb.book.stylesheet_path)
    meta = rb.book.meta
    css = _css("base.css", "print.css", paper=paper)
    common = dict(meta=meta, rb=rb, teacher=teacher, css=css, edition_name=edition_name(teacher),
                  title_suffix=edition_name(teacher), body_class="book")
    fetcher = _fetcher(rb)
    blank = _document(rb, theme.render("print/blank.html", meta=meta, css=css), fetcher)

    body = _document(rb, footnotes_to_floats(theme.render("print/body.html", **common)), fetcher)
    body_pages = _pad_even(body, blank)
    layout = Layout()
    per_page = _anchors_by_page(body) + [[]] * (len(body_pages) - len(body.pages))
    for i, names in enumerate(per_page):
        label = str(i + 1)
        layout.labels.append(label)
        layout.page_starts.append((label, names))
        for name in names:
            layout.anchors.setdefault(name, label)

    index_pages = []
    if rb.index:
        start = len(body_pages) + 1
        index_css = css + f"\n@page :first {{ counter-reset: page {start}; }}\n"
        index_html = theme.render("print/index.html", **{**common, "css": index_css},
                                  pages=layout.anchors, href=lambda doc_id, anchor: "#" + anchor)
        index = _document(rb, index_html, fetcher)
        index_pages = list(index.pages)
        for i, names in enumerate(_anchors_by_page(index)):
            label = str(start + i)
            layout.labels.append(label)
            layout.page_starts.append((label, names))
            for name in names:
                layout.anchors.setdefault(name, label)

    front_html = theme.render("print/front.html", **common, toc=toc_items(rb),
                              pages=layout.anchors)
    front = _document(rb, front_html, fetcher)
    front_pages = _pad_even(front, blank)
    front_starts = []
    for i, names in enumerate(_anchors_by_page(front) + [[]] * (len(front_pages) - len(front.pages))):
        label = theme.roman(i + 1)
        front_starts.append((label, names))
    layout.labels = [lab for lab, _ in front_starts] + layout.labels
    layout.page_starts = front_starts + layout.page_starts

    combined = front.copy(front_pages + body_pages + index_pages)
    ident = hashlib.sha256(f"{meta.identifier}|{meta.edition}|{teacher}|{paper}".encode()).hexdigest()
    pdf = combined.write_pdf(pdf_variant="pdf/ua-1", pdf_identifier=ident[:32].encode(),
                             finisher=page_labels(len(front_pages)))
    layout.refused = fetcher.refused
    return pdf, layout


def page_labels(front_count: int):
    """A finisher that gives PDF viewers the printed numbers: i, ii, … then 1, 2, …"""
    import pydyf

    def finish(document, pdf):
        pdf.catalog["PageLabels"] = pydyf.Dictionary({"Nums": pydyf.Array([
            0, pydyf.Dictionary({"S": "/r"}),
            front_count, pydyf.Dictionary({"S": "/D"})])})
    return finish


def handout_references(rb: RenderedBook, doc: RenderedDoc, teacher: bool) -> list[dict]:
    """The bibliography entries a handout cites (answers only in the teacher edition)."""
    parts = [doc.body_html, doc.summary_html, *doc.objectives_html,
             *(q["question"] + (q["answer"] if teacher else "") for q in doc.questions)]
    keys = set(re.findall(r'href="#ref-([^"]+)"', "".join(parts)))
    return [r for r in rb.bibliography if r["key"] in keys]


def render_handout(rb: RenderedBook, doc: RenderedDoc, teacher: bool, paper: str) -> bytes:
    theme.use(rb.book.templates_dir, rb.book.stylesheet_path)
    meta = rb.book.meta
    css = _css("base.css", "handout.css", paper=paper)
    html_text = theme.render("print/handout.html", meta=meta, rb=rb, doc=doc, teacher=teacher,
                             css=css, edition_name=edition_name(teacher),
                             title_suffix=f"{doc.label}: {doc.title}" if doc.label else doc.title,
                             body_class="handout", references=handout_references(rb, doc, teacher),
                             running=f"{meta.title} · {edition_name(teacher)}")
    html_text = localise_links(footnotes_to_floats(html_text))
    fetcher = _fetcher(rb)
    document = _document(rb, html_text, fetcher)
    ident = hashlib.sha256(f"{meta.identifier}|{doc.id}|{teacher}|{paper}".encode()).hexdigest()
    return document.write_pdf(pdf_variant="pdf/ua-1", pdf_identifier=ident[:32].encode())
