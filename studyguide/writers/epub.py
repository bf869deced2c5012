"""The EPUB writer: the rendered book as an EPUB 3 package, through ebooklib.

Every document is produced as XHTML from the shared templates, with ``epub:type``
semantics, print page markers taken from the student PDF's layout, and footnotes as
noteref/footnote pairs. ebooklib assembles the package (manifest, spine, NCX); the
navigation document (contents, landmarks, page list) is written here so that its
page list holds only real page markers. The zip is then rewritten with fixed dates
and order so that identical sources give identical bytes.
"""
from __future__ import annotations

import copy
import io
import re
import string
import zipfile
from dataclasses import dataclass
from pathlib import Path

from ebooklib import epub
from lxml import etree
from lxml import html as lxml_html

from .. import figures, fonts, images, theme
from ..cover import cover_png
from ..labels import fill
from ..math import name_lone_formulas
from ..model import CONTINUED, Layout
from ..readers import Refused, read_confined
from ..resolve import RenderedBook
from ..sanitise import SVG_ATTRIBUTE_CASE, SVG_NS, SVG_TAG_CASE, XLINK_NS, to_html
from ..typography import double_quotes, smart_text, smart_tree
from .codelines import code_lines

XHTML_NS = "http://www.w3.org/1999/xhtml"
EPUB_NS = "http://www.idpf.org/2007/ops"
MATHML_NS = "http://www.w3.org/1998/Math/MathML"
XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"
BLOCKS = {"p", "li", "h1", "h2", "h3", "h4", "blockquote", "table", "figure", "aside",
          "section", "div", "dt", "dd", "header", "nav", "ol", "ul", "dl", "tr"}
PHRASING_HOSTS = {"p", "li", "h1", "h2", "h3", "h4", "dt", "dd", "caption", "figcaption", "th", "td",
                  "blockquote", "aside", "section", "figure", "div", "header"}


class XhtmlDoc(epub.EpubHtml):
    """A content document whose XHTML is written exactly as given."""

    def get_content(self, default=None):
        return self.content


@dataclass
class Page:
    file: str
    title: str
    body: str
    epub_type: str = ""
    linear: bool = True


def xhtml_document(title: str, body_html: str, lang: str, css: str = "style/book.css",
                   body_type: str = "", direction: str = "ltr") -> bytes:
    """HTML from the templates to well-formed XHTML with epub:type attributes."""
    doc = lxml_html.document_fromstring(
        f"<html><head><title></title></head><body>{body_html}</body></html>")
    body = doc.find("body")
    root = etree.Element(f"{{{XHTML_NS}}}html", nsmap={None: XHTML_NS, "epub": EPUB_NS})
    root.set("lang", lang)
    root.set(XML_LANG, lang)
    if direction == "rtl":
        root.set("dir", "rtl")
    head = etree.SubElement(root, f"{{{XHTML_NS}}}head")
    etree.SubElement(head, f"{{{XHTML_NS}}}meta", charset="utf-8")
    t = etree.SubElement(head, f"{{{XHTML_NS}}}title")
    t.text = title
    etree.SubElement(head, f"{{{XHTML_NS}}}link", rel="stylesheet", type="text/css", href=css)
    new_body = _convert(body)
    if body_type:
        new_body.set(f"{{{EPUB_NS}}}type", body_type)
    root.append(new_body)
    return etree.tostring(root, encoding="utf-8", xml_declaration=True,
                          doctype="<!DOCTYPE html>", pretty_print=False)


def _convert(el, ns: str = XHTML_NS):
    """Copy an lxml.html element into the XHTML namespace (MathML and SVG into their own,
    SVG's names in their own case: ``viewBox``, ``linearGradient``)."""
    tag = el.tag
    if tag == "math":
        ns = MATHML_NS
    elif tag == "svg" and ns == XHTML_NS:
        ns = SVG_NS
    svg = ns == SVG_NS
    if svg:
        tag = SVG_TAG_CASE.get(tag, tag)
    nsmap = None
    if el.tag == "math":
        nsmap = {None: MATHML_NS}
    elif el.tag == "svg" and ns == SVG_NS:
        nsmap = {None: SVG_NS, **({"xlink": XLINK_NS} if el.xpath(".//@*[name()='xlink:href']")
                                  else {})}
    new = etree.Element(f"{{{ns}}}{tag}", nsmap=nsmap)
    for key, value in el.attrib.items():
        if key == "xmlns" or key.startswith("xmlns:"):
            continue
        if key == "data-epub-type":
            new.set(f"{{{EPUB_NS}}}type", value)
        elif svg and key == "xlink:href":
            new.set(f"{{{XLINK_NS}}}href", value)
        elif ":" in key:
            continue
        else:
            new.set(SVG_ATTRIBUTE_CASE.get(key, key) if svg else key, value)
    new.text = el.text
    for child in el:
        if not isinstance(child.tag, str):
            continue
        c = _convert(child, ns)
        c.tail = child.tail
        new.append(c)
    return new


def epub_footnotes(tree, doc_id: str, labels: dict) -> None:
    """Endnote lists become noteref/footnote pairs that readers can pop up."""
    for div in tree.xpath('.//div[@class="footnote"]'):
        section = etree.Element("section", {"class": "footnotes", "data-epub-type": "footnotes",
                                            "aria-label": labels["notes"]})
        for n, li in enumerate(_note_per_call(tree, div), 1):
            aside = etree.SubElement(section, "aside", {"id": li.get("id"), "class": "footnote-text",
                                                        "data-epub-type": "footnote",
                                                        "role": "doc-footnote"})
            for back in li.xpath('.//a[@class="footnote-backref"]'):
                back.set("role", "doc-backlink")
                back.set("aria-label", fill(labels, "back_to_note", n=n))
            for child in list(li):
                if child.get("id", "").startswith(doc_id + "-b"):
                    del child.attrib["id"]
                aside.append(child)
            first = aside.find("p")
            if first is not None:
                num = etree.Element("span", {"class": "note-number"})
                num.text = f"{n}. "
                num.tail = first.text
                first.text = None
                first.insert(0, num)
        div.getparent().replace(div, section)
    for a in tree.xpath('.//a[@class="footnote-ref"]'):
        a.set("data-epub-type", "noteref")
        a.set("role", "doc-noteref")


def _note_per_call(tree, div) -> list:
    """The notes of ``div`` (its list's items, not a note's own list), one for each call
    in ``tree``, in the calls' order, each call numbered by its place: a note called
    twice is given twice, as pandoc gives it and print floats it to each call, so that
    the notes after it have the same numbers in both editions (Python-Markdown lists it
    once, with a back link to each call). The copy has its call's id made into a note's
    as the first has ("ch01-fnref2-x": "ch01-fn2-x") and none of the note's other ids;
    each note keeps the back link to its own call."""
    notes = {li.get("id"): li for li in div.xpath("./ol/li[@id]")}
    out: list = []
    for a in tree.xpath('.//a[@class="footnote-ref"]'):
        li = notes.get((a.get("href") or "")[1:])
        if li is None:
            continue
        call = a.getparent().get("id") or ""
        if any(li is seen for seen in out):
            li = copy.deepcopy(li)
            for el in li.iter():
                el.attrib.pop("id", None)
            li.set("id", call.replace("-fnref", "-fn", 1))
            a.set("href", "#" + li.get("id"))
        backs = li.xpath('.//a[@class="footnote-backref"]')
        for back in backs[1:]:
            back.drop_tree()
        if backs:
            backs[0].set("href", "#" + call)
        out.append(li)
        a.text = str(len(out))
    return out


def notes_last(tree) -> None:
    """A chapter's notes close it: after its key terms and questions, not between its
    text and them, where a reader without pop-up notes would have to read through them
    to reach the chapter's apparatus."""
    for notes in tree.xpath('.//section[@class="footnotes"]'):
        chapter = next((a for a in notes.iterancestors("section")
                        if "chapter" in (a.get("class") or "").split()), None)
        if chapter is None or chapter[-1] is notes:
            continue
        parent = notes.getparent()
        previous = notes.getprevious()
        if notes.tail and notes.tail.strip():      # text after the notes stays where it was
            if previous is not None:
                previous.tail = (previous.tail or "") + notes.tail
            else:
                parent.text = (parent.text or "") + notes.tail
        notes.tail = None
        chapter.append(notes)


def label_in_title(tree) -> None:
    """A chapter's label ("Chapter 2") goes inside its title's heading, as a line of its
    own: calibre's conversion (and readers that paginate by heading) start a new page at
    every ``h1``, which left the label alone at the foot of the page before the title.
    A space parts the two, as the stylesheet's line does: the heading's text (a screen
    reader's, a search's, pandoc's) read "Chapter 2The Title"."""
    for label in tree.xpath('.//p[@class="chapter-number"]'):
        title = label.getnext()
        if title is None or title.tag != "h1":
            continue
        span = etree.Element("span", {"class": "chapter-number"})
        if label.get("lang"):           # a label in English in a book of another language
            span.set("lang", label.get("lang"))
        span.text = label.text
        for child in label:
            span.append(child)
        span.tail = " " + (title.text or "")
        title.text = None
        title.insert(0, span)
        label.getparent().remove(label)


def name_boxes(tree) -> None:
    """Give every box an accessible name: its title, else its kind and number.

    Inside a section with a DPUB-ARIA role (doc-chapter, ...) a box's aside is a
    complementary landmark, and landmarks of one kind in a document must be told apart.
    """
    untitled = 0
    for aside in tree.xpath('.//aside[contains(concat(" ", @class, " "), " box ")]'):
        if aside.get("aria-label") or aside.get("aria-labelledby"):
            continue
        title = aside.xpath('p[contains(concat(" ", @class, " "), " box-title ")][@id]')
        if title:
            aside.set("aria-labelledby", title[0].get("id"))
        else:
            untitled += 1
            kind = next((c for c in aside.get("class").split() if c != "box"), "box")
            aside.set("aria-label", f"{kind.capitalize()} {untitled}")


def column_labels(tree) -> None:
    """Each cell of a comparison table carries its column's heading as plain text in
    ``data-label``, which a narrow screen shows above the cell (epub.css): the heading's
    words as the reader sees them, a formula as its plain text (``math.plain_text``:
    "Haftreibungszahl μH"), without its notes' calls. (The heading's Markdown with its
    marks stripped read "Haftreibungszahl $\\muH$".)"""
    from ..math import plain_text
    for table in tree.xpath('.//figure[contains(concat(" ", @class, " "), " comparison ")]'
                            '/table'):
        heads = []
        for th in table.xpath("./thead/tr/th"):
            th = copy.deepcopy(th)
            for call in th.xpath('.//sup[a[@class="footnote-ref" or @class="table-note-ref"]]'):
                call.drop_tree()
            for formula in th.xpath('.//*[local-name()="math"]'):
                text, tail = plain_text(formula), formula.tail
                formula.clear()
                formula.text, formula.tail = text, tail
            heads.append(re.sub(r"\s+", " ", th.text_content()).strip())
        for row in table.xpath("./tbody/tr"):
            for cell, head in zip(row, heads):
                if cell.tag == "td" and cell.get("data-label") is not None:
                    cell.set("data-label", head)


PRINT_CONTENTS = "contents"      # the id of the print edition's contents (print/front.html)


def insert_page_markers(tree, markers: dict[str, list[str]], names: dict) -> None:
    """Place print page markers (from the PDF layout) before the blocks they start with."""
    for anchor, labels in markers.items():
        found = tree.xpath(f'.//*[@id="{anchor}"]')
        if not found:
            continue
        el = found[0]
        if el.tag == "tr" and len(el):
            el = el[0]  # a row: the marker goes into its first cell
        spans = []
        for label in labels:
            span = etree.Element("span", {"id": f"page-{label}", "data-epub-type": "pagebreak",
                                          "role": "doc-pagebreak",
                                          "aria-label": fill(names, "page_n", page=label),
                                          "class": "pagebreak"})
            spans.append(span)
        if el.tag in PHRASING_HOSTS:
            for i, span in enumerate(spans):
                el.insert(i, span)
            if el.text:
                spans[-1].tail = el.text
                el.text = None
        else:
            parent = el.getparent()
            idx = parent.index(el)
            for i, span in enumerate(spans):
                parent.insert(idx + i, span)


def page_markers(layout: Layout | None, files: dict[str, str],
                 blocks: set[str]) -> dict[str, dict]:
    """For each file, anchor -> page labels whose first block is that anchor (or, for
    a page on which no block starts, the block whose text runs on to it).

    Only the text's block elements count (``blocks``): an inline anchor (a glossary
    link, an index entry) may stand on a page its paragraph began before, and a note's
    list or paragraph at a page's foot is, in the EPUB, after the chapter's text.
    """
    if layout is None:
        return {}
    result: dict[str, dict[str, list[str]]] = {}
    pending: list[str] = []
    for label, anchors in layout.page_starts:
        usable = [a for a in anchors if a in blocks and a in files]
        if not usable:    # a page that continues a block: its marker goes before that block
            usable = [a[1:] for a in anchors if a.startswith(CONTINUED) and a[1:] in blocks
                      and a[1:] in files][:1]
        pending.append(label)
        if usable:
            anchor = usable[0]
            result.setdefault(files[anchor], {}).setdefault(anchor, []).extend(pending)
            pending = []
    return result


def _image_bytes(rb: RenderedBook, rel: str, path: Path) -> bytes:
    """An image the resolver checked, read again through the sandbox and checked again
    as it is now (``images.read_checked``): a file swapped since (for a symlink out of the
    book, a FIFO, another picture) is an error, never embedded."""
    from ..errors import BuildError, Diagnostic, shown
    try:
        return images.read_checked(path, [rb.book.root])
    except Refused as exc:
        raise BuildError([Diagnostic(shown(path), 0, f"image {rel}: {exc} (the file "
                                     "changed while the book was being built)")]) from None


def unpacked_pictures(rb: RenderedBook, trees, packed: set[str]) -> list:
    """A picture a page shows that the EPUB does not carry (a template override named a
    file the content never did), as an error at the override's line: it would be a
    broken picture in every reader, where the PDF's fetcher refuses it."""
    from urllib.parse import unquote, urljoin

    from .refusals import diagnostics
    base = rb.book.root.as_uri() + "/"
    refused = []
    for tree in trees:
        for img in tree.iter("img"):
            src = img.get("src") or ""
            if src.startswith("#") or unquote(src.split("#")[0]) in packed:
                continue
            refused.append((urljoin(base, src), f"{src} (a picture the book's content does "
                                                "not name is not packed into the EPUB)"))
    return diagnostics(rb.book, refused, rb.book.templates_dir or rb.book.root)


def page_body(page: Page, tree, files: dict[str, str], markers: dict, labels: dict) -> str:
    """A page's body as the EPUB has it (also the live preview's): notes as noteref and
    footnote pairs after the text, labels inside titles, named boxes, links to the ids of
    other pages (``files``: id -> page file), print page markers, and each line of a code
    block a block of its own, whose continuation hangs under its start (``code_lines``)."""
    epub_footnotes(tree, page.file.removesuffix(".xhtml"), labels)
    notes_last(tree)
    label_in_title(tree)
    name_boxes(tree)
    column_labels(tree)
    name_lone_formulas(tree)
    code_lines(tree, newlines=True)
    for a in tree.xpath('.//a[starts-with(@href, "#")]'):
        ident = a.get("href")[1:]
        target_file = files.get(ident)
        if target_file and target_file != page.file:
            a.set("href", f"{target_file}#{ident}")
    insert_page_markers(tree, markers.get(page.file, {}), labels)
    smart_tree(tree, double_quotes(labels))   # the generated text's, as print sets them
    body = "".join(to_html(c) for c in tree)
    return (tree.text or "") + body


def write_epub(rb: RenderedBook, layout: Layout | None, memo=None) -> bytes:
    """The book as an EPUB's bytes. ``memo`` (the build's cache) keeps the subsets of
    the book's fonts (``fonts.subset_font``) between builds."""
    theme.use(rb.book.templates_dir, rb.book.stylesheet_path)
    meta = rb.book.meta
    book = epub.EpubBook()
    book.set_identifier(meta.identifier)
    quotes = double_quotes(meta.labels)     # the metadata's text typographic, as print's
    book.set_title(smart_text(meta.title, quotes))
    book.set_language(meta.language)
    if meta.direction == "rtl":
        book.set_direction("rtl")        # the spine's page-progression-direction
    add_people(book, meta, quotes)
    book.add_metadata("DC", "date", meta.date.isoformat())
    if meta.description:
        book.add_metadata("DC", "description", smart_text(meta.description, quotes))
    for keyword in meta.keywords:           # the PDF's keywords, each a subject here
        book.add_metadata("DC", "subject", smart_text(keyword, quotes))
    if meta.licence:
        book.add_metadata("DC", "rights", meta.licence)
    if meta.publisher:
        book.add_metadata("DC", "publisher", smart_text(meta.publisher, quotes))
    if meta.isbn_epub and meta.identifier != f"urn:isbn:{meta.isbn_epub}":
        book.add_metadata("DC", "identifier", f"urn:isbn:{meta.isbn_epub}", {"id": "isbn"})
    if meta.series:
        book.add_metadata(None, "meta", smart_text(meta.series, quotes),
                          {"property": "belongs-to-collection", "id": "series"})
        book.add_metadata(None, "meta", "series", {"refines": "#series",
                                                   "property": "collection-type"})
        if meta.series_number:
            book.add_metadata(None, "meta", meta.series_number,
                              {"refines": "#series", "property": "group-position"})
    # the page list's source: always the declared print edition (book.yaml's paper,
    # student edition), whatever papers and editions this build prints
    book.add_metadata("DC", "source", meta.print_source, {"id": "print-source"})
    book.add_metadata(None, "meta", "pagination", {"refines": "#print-source",
                                                   "property": "source-of"})
    book.add_metadata(None, "meta", str(meta.edition), {"property": "schema:version"})

    sheets = [theme.stylesheet(s) for s in
              ["base.css", "epub.css"] + (["rtl.css"] if meta.direction == "rtl" else [])]
    sheets.append(theme.book_stylesheet())
    css = epub.EpubItem(uid="css", file_name="style/book.css", media_type="text/css",
                        content=("\n".join(sheets) + "\n" + fonts.font_face_css(
                            rb.book.fonts, "../", sheets)).encode("utf-8"))
    book.add_item(css)
    font_items = []         # the book's own fonts, each cut to the characters the
    for n, font in enumerate(rb.book.fonts):       # documents use, once they are made
        item = epub.EpubItem(uid=f"font-{n + 1}", file_name=font.rel,
                             media_type=fonts.FONT_SUFFIXES[font.path.suffix.lower()])
        book.add_item(item)
        font_items.append((item, read_confined(font.path, [rb.book.root], "font")))
    book.set_cover("images/cover.png", cover_png(meta), create_page=False)
    for name, svg in sorted(rb.figures.items()):
        book.add_item(epub.EpubItem(uid=f"fig-{name}", file_name=f"generated/{name}.svg",
                                    media_type="image/svg+xml",
                                    content=figures.for_screen(svg).encode("utf-8")))
    for rel, path in sorted(rb.images.items()):
        ext = path.suffix.lower().lstrip(".")
        mt = {"jpg": "image/jpeg", "svg": "image/svg+xml"}.get(ext, f"image/{ext}")
        book.add_item(epub.EpubItem(uid="img-" + re.sub(r"\W", "-", rel), file_name=rel,
                                    media_type=mt, content=_image_bytes(rb, rel, path)))

    pages = build_pages(rb, layout)
    for page in pages:        # the chapter macros' output, which no full render checked
        theme.check_output(page.body)
    trees = [lxml_html.fragment_fromstring(page.body, create_parent="div") for page in pages]
    unpacked = unpacked_pictures(rb, trees, {item.file_name for item in book.get_items()} |
                         {"images/cover.png"})
    if unpacked:
        from ..errors import BuildError
        raise BuildError(unpacked)
    files: dict[str, str] = {}   # which file holds each id
    blocks = set()               # where a print page's marker may go: not in a note, which
    for page, tree in zip(pages, trees):     # the EPUB sets after the chapter's text
        for el in tree.xpath(".//*[@id]"):
            files[el.get("id")] = page.file
            if el.tag in BLOCKS and not el.xpath('ancestor::div[@class="footnote"]'):
                blocks.add(el.get("id"))
    # the printed contents' pages are the navigation document's: their markers go there
    markers = page_markers(layout, {**files, PRINT_CONTENTS: "nav.xhtml"},
                           blocks | {PRINT_CONTENTS})
    add_accessibility_metadata(book, page_numbers=bool(markers), index=bool(rb.index),
                              labels=meta.labels)
    docs = []
    for page, tree in zip(pages, trees):
        body = page_body(page, tree, files, markers, meta.labels)
        item = XhtmlDoc(uid=page.file.removesuffix(".xhtml"), file_name=page.file,
                        title=page.title, lang=meta.language)
        item.content = xhtml_document(page.title, body, meta.language,
                                      body_type=page.epub_type, direction=meta.direction)
        if "<svg" in body:
            item.properties.append("svg")
        if "<math" in body:
            item.properties.append("mathml")
        book.add_item(item)
        docs.append((page, item))

    nav = XhtmlDoc(uid="nav", file_name="nav.xhtml", title=meta.labels["contents"],
                   lang=meta.language)
    nav.properties.append("nav")
    nav.content = nav_document(rb, files, markers)
    book.add_item(nav)
    if font_items:
        chars = used_characters([item.content for _, item in docs] + [nav.content],
                                css.content.decode("utf-8"))
        for item, data in font_items:
            item.content = fonts.subset_font(data, chars, memo)
    book.add_item(epub.EpubNcx())
    book.toc = [epub.Link(f"{p.file}", p.title, p.file.removesuffix(".xhtml"))
                for p, _ in docs if p.linear and p.file not in ("cover.xhtml",)]
    spine = []
    for page, item in docs:
        spine.append(item if page.linear else (item, "no"))
        if page.file == "copyright.xhtml":
            spine.append(nav)
    book.spine = spine
    out = io.BytesIO()
    epub.write_epub(out, book, {"epub3_pages": False, "epub3_landmark": False,
                                "mtime": meta.timestamp.replace(tzinfo=None), "play_order":
                                {"enabled": True, "start_from": 1}})
    opf = f"{book.FOLDER_NAME}/content.opf"
    return normalise_zip(out.getvalue(), meta.timestamp,
                         {opf: lambda data: declare_package_language(data, meta.language)})


# the characters a counter style draws: list markers, counter() in generated content
COUNTER_STYLES = {
    **dict.fromkeys(("decimal", "decimal-leading-zero"), string.digits),
    **dict.fromkeys(("lower-alpha", "lower-latin"), string.ascii_lowercase),
    **dict.fromkeys(("upper-alpha", "upper-latin"), string.ascii_uppercase),
    "lower-roman": "ivxlcdm", "upper-roman": "IVXLCDM",
    "lower-greek": "αβγδεζηθικλμνξοπρστυφχψω", "cjk-decimal": "〇一二三四五六七八九",
    "disc": "•", "circle": "◦", "square": "▪"}
_CSS_STRING = r"""(?:"(?:\\.|[^"\\])*"|'(?:\\.|[^'\\])*')"""
# a declaration that may generate text: its property and value
_GENERATING = re.compile(r"(?<![\w-])(content|quotes|list-style(?:-type)?)\s*:\s*((?:" +
                         _CSS_STRING + r"|[^;{}\"'])*)")


def _css_strings(value: str) -> str:
    """The text of the quoted strings of a CSS value, its escapes read."""
    out = []
    for quoted in re.findall(_CSS_STRING, value):
        out.append(re.sub(r"\\(?:([0-9a-fA-F]{1,6})\s?|\n|(.))",
                          lambda m: chr(int(m[1], 16)) if m[1] else m[2] or "",
                          quoted[1:-1], flags=re.S))
    return "".join(out)


def used_characters(documents: list[bytes], css: str) -> str:
    """Every character an EPUB's documents may draw in its fonts: their text (titles,
    the navigation document and generated labels included), their pictures' alternative
    text, and what the stylesheet generates: the strings of ``content`` and ``quotes``,
    the attributes ``attr()`` shows, the markers of its lists and counters, the capitals
    of ``text-transform`` and small capitals, the hyphen of ``hyphens: auto``."""
    css = re.sub(r"/\*.*?\*/", "", css, flags=re.S)
    generated, attributes, styles = [], {"alt"}, set()
    for prop, value in _GENERATING.findall(css):
        generated.append(_css_strings(value))
        unquoted = re.sub(_CSS_STRING, "", value)
        attributes.update(re.findall(r"attr\(\s*([\w-]+)", unquoted))
        styles.update(w for w in re.findall(r"[\w-]+", unquoted) if w in COUNTER_STYLES)
        if re.search(r"\bcounters?\(", unquoted):
            styles.add("decimal")
    text, lists = [], set()
    parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False)
    for document in documents:
        root = etree.fromstring(document, parser)
        text.extend(root.itertext())
        for el in root.iter(f"{{{XHTML_NS}}}*"):
            text.extend(el.get(name) for name in attributes if el.get(name))
            lists.add(etree.QName(el).localname)
    if "ol" in lists:               # a reading system's own markers: "1. ", "•"
        styles.add("decimal")
        generated.append(". ")
    if "ul" in lists:
        styles.update(("disc", "circle", "square"))
    if "q" in lists:
        generated.append("“”‘’«»„‚‹›「」『』")
    chars = set("".join(text))
    if re.search(r"text-transform\s*:\s*(?:uppercase|lowercase|capitalize)|small-caps", css):
        chars.update("".join(c.upper() + c.lower() + c.title() for c in chars))
    if re.search(r"hyphens\s*:\s*auto", css):
        chars.update("-\u2010")
    chars.update("".join(generated) + "".join(COUNTER_STYLES[s] for s in styles))
    return "".join(sorted(chars))


def declare_package_language(opf: bytes, lang: str) -> bytes:
    """The package document's own ``xml:lang``: the book's language.

    ebooklib writes the book's language as ``dc:language`` only and has no option for the
    ``package`` element's ``xml:lang``, which reading systems and DAISY Ace use as the
    language of the metadata's text (title, description, accessibility summary).
    """
    root = etree.fromstring(opf)
    root.set(XML_LANG, lang)
    return etree.tostring(root, encoding="utf-8", xml_declaration=True)


def add_accessibility_metadata(book: epub.EpubBook, page_numbers: bool, index: bool,
                               labels: dict | None = None) -> None:
    """The package's accessibility metadata, claiming only what is there and checked,
    its summary in the book's language (``labels``; English by default).

    The summary says which checks the test suite runs on the builder's EPUBs (DAISY Ace:
    no critical, serious or moderate violation; EPUBCheck: no error or warning). Those
    automated checks cover part of WCAG only and no person has reviewed the book, so it
    claims no conformance (no ``dcterms:conformsTo``) and no certification (no
    ``a11y:certifiedBy``).
    """
    if labels is None:
        from ..labels import defaults
        labels = defaults("en")
    features = ["structuralNavigation", "tableOfContents", "readingOrder", "alternativeText"]
    if page_numbers:
        features += ["printPageNumbers", "pageBreakMarkers"]
    if index:
        features.append("index")
    features.append("displayTransformability")
    for prop, values in (
            ("schema:accessMode", ["textual", "visual"]),
            ("schema:accessModeSufficient", ["textual"]),
            ("schema:accessibilityFeature", features),
            ("schema:accessibilityHazard", ["none"])):
        for v in values:
            book.add_metadata(None, "meta", v, {"property": prop})
    parts = [labels["a11y_headings"], labels["a11y_toc"]]
    if page_numbers:
        parts.append(labels["a11y_pages"])
    if index:
        parts.append(labels["a11y_index"])
    parts.append(labels["a11y_alt"])
    space = labels.get("mark_space", " ")
    listed = (labels["comma"] + space).join(parts[:-1]) + \
        (" " if space else "") + labels["list_and"] + (" " if space else "") + parts[-1]
    book.add_metadata(None, "meta", fill(labels, "a11y_summary", features=listed),
                      {"property": "schema:accessibilitySummary"})


def build_pages(rb: RenderedBook, layout: Layout | None) -> list[Page]:
    meta = rb.book.meta
    L = rb.labels
    env = theme.environment()
    chapter = env.get_template("shared/chapter.html").module.chapter
    app = env.get_template("shared/apparatus.html").module
    pages = [Page("cover.xhtml", L["cover"],
                  f'<section class="cover-page" data-epub-type="cover">'
                  f'<img src="images/cover.png" alt="{_esc(fill(L, "cover_alt", title=meta.title))}"/>'
                  '</section>', "frontmatter"),
             Page("titlepage.xhtml", L["title_page"], theme.render(
                 "epub/titlepage.html", meta=meta, front=rb.front), "frontmatter"),
             Page("copyright.xhtml", L["copyright_page"], theme.render(
                 "epub/copyright.html", meta=meta, front=rb.front), "frontmatter")]
    docs = rb.docs + rb.back
    for entry in rb.spine:       # the book in reading order; the answer key is print's
        if entry.teacher:
            continue
        if entry.kind == "doc":
            body = str(chapter(docs[entry.doc_index], False, L, meta.english_labels))
        elif entry.kind == "index":
            from ..index import arrange
            anchors = layout.anchors if layout else {}
            body = str(app.index(rb, arrange(rb.index, anchors), anchors,
                                 lambda doc_id, anchor: f"#{anchor}"))
        else:
            body = str(getattr(app, entry.kind)(rb))
        title = f"{entry.number}. {entry.title}" if entry.number else entry.title
        pages.append(Page(f"{entry.id}.xhtml", title, body,
                          "bodymatter" if entry.matter == "chapter" else "backmatter"))
    return pages


def add_people(book: epub.EpubBook, meta, quotes: tuple[str, str] = ("“", "”")) -> None:
    """Authors as dc:creator, editors and translators as dc:contributor, each with its
    own id and a MARC relator role (aut, edt, trl); an apostrophe typographic, as the
    title page prints it ("O’Brien")."""
    for n, (name, role) in enumerate(meta.contributors, 1):
        element = "creator" if role == "aut" else "contributor"
        uid = f"{element}{n}"
        book.add_metadata("DC", element, smart_text(name, quotes), {"id": uid})
        book.add_metadata(None, "meta", role, {"refines": "#" + uid, "property": "role",
                                               "scheme": "marc:relators"})


def _esc(text: str) -> str:
    from html import escape
    return escape(text, quote=True)


def nav_document(rb: RenderedBook, files: dict[str, str], markers: dict) -> bytes:
    page_list = []
    for file, anchors in markers.items():
        for labels in anchors.values():
            for label in labels:
                page_list.append((file, label))
    meta = rb.book.meta
    body = theme.render("epub/nav.html", rb=rb, toc=rb.contents(), files=files,
                        pages=page_list, has_index=bool(rb.index), L=meta.labels)
    here = markers.get("nav.xhtml", {}).get(PRINT_CONTENTS)
    if here:          # the printed contents' page numbers, before the contents
        tree = lxml_html.fragment_fromstring(body, create_parent="div")
        insert_page_markers(tree, {"toc": here}, meta.labels)
        body = (tree.text or "") + "".join(
            to_html(c) for c in tree)
    return xhtml_document(meta.labels["contents"], body, meta.language,
                          direction=meta.direction)


def normalise_zip(data: bytes, when, edits=None) -> bytes:
    """Rewrite the package with fixed timestamps and attributes; mimetype first, stored.

    ``edits`` maps an entry's name to a function that rewrites its bytes on the way.
    """
    edits = edits or {}
    src = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    stamp = (max(when.year, 1980), when.month, when.day, 0, 0, 0)
    with zipfile.ZipFile(out, "w") as dst:
        names = src.namelist()
        assert set(edits) <= set(names), f"no {sorted(set(edits) - set(names))} to edit"
        names.sort(key=lambda n: (n != "mimetype", n != "META-INF/container.xml", n))
        for name in names:
            info = zipfile.ZipInfo(name, date_time=stamp)
            info.compress_type = zipfile.ZIP_STORED if name == "mimetype" else zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            info.create_system = 3
            content = src.read(name)
            if name in edits:
                content = edits[name](content)
            dst.writestr(info, content, compresslevel=9 if name != "mimetype" else None)
    return out.getvalue()
