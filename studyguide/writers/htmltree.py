"""The element tree WeasyPrint lays out, built by lxml instead of WeasyPrint's own parser.

WeasyPrint parses HTML with tinyhtml5, a pure-Python HTML5 parser: about 40 ms for a
chapter. lxml (libxml2) builds the same tree in about 3 ms. The two parsers agree on
well-nested HTML as lxml writes it, which is what every page of the book is by the time
it is typeset (``paginate_html`` and the handouts' links pass it through lxml), but not
on everything: HTML5 moves text out of tables, closes a paragraph at the start of a
block, adds the row group a bare table row lacks, and so on. So ``parse`` builds the tree
only for a document written by lxml and made of elements and structures where the two
are known to build the same tree, and returns None for anything else, which WeasyPrint
then parses itself. The tests parse every document of the books both ways, and
generated documents too, and compare the trees.
"""
from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from html.entities import name2codepoint

from lxml import etree
from lxml import html as lxml_html

_HEADINGS = {"h1", "h2", "h3", "h4", "h5", "h6"}
# Starting any of these closes an open <p> in HTML5 (libxml2's rules differ).
_CLOSES_P = _HEADINGS | {
    "address", "article", "aside", "blockquote", "details", "div", "dl", "fieldset",
    "figcaption", "figure", "footer", "header", "hgroup", "hr", "main", "menu", "nav", "ol",
    "p", "pre", "section", "summary", "table", "ul", "li", "dd", "dt"}
_TABLE = {"table": {"caption", "colgroup", "thead", "tbody", "tfoot"},
          "thead": {"tr"}, "tbody": {"tr"}, "tfoot": {"tr"}, "tr": {"td", "th"},
          "colgroup": {"col"}}
_TABLE_PARENT = {"caption": "table", "colgroup": "table", "thead": "table", "tbody": "table",
                 "tfoot": "table", "col": "colgroup", "tr": ("thead", "tbody", "tfoot"),
                 "td": "tr", "th": "tr"}
_HEAD = {"title", "meta", "link", "style", "base"}
_PHRASING = {"a", "abbr", "b", "bdi", "bdo", "br", "cite", "code", "data", "del", "dfn", "em",
             "i", "img", "ins", "kbd", "mark", "q", "s", "samp", "small", "span", "strong",
             "sub", "sup", "time", "u", "var"}
_TAGS = _CLOSES_P | _PHRASING | _HEAD | set(_TABLE_PARENT) | {"html", "head", "body"}

# Character references libxml2 and HTML5 decode alike: HTML 4's names, and code points
# that HTML5 does not replace.
_REFERENCE = re.compile(r"&(?:#[0-9]+|#[xX][0-9a-fA-F]+|[A-Za-z][A-Za-z0-9]*);")
_AMPERSAND = re.compile(r"&")


_DOCTYPE = "<!DOCTYPE html>\n"


class Unsafe(Exception):
    """The document has something the two parsers may build differently."""


def _check_references(text: str) -> None:
    for match in _AMPERSAND.finditer(text):
        ref = _REFERENCE.match(text, match.start())
        if ref is None:
            raise Unsafe("bare ampersand")
        body = ref.group()[1:-1]
        if body[0] != "#":
            if body not in name2codepoint:
                raise Unsafe(f"reference &{body};")
            continue
        code = int(body[2:], 16) if body[1] in "xX" else int(body[1:])
        if code == 0 or 0x7F <= code <= 0x9F or 0xD800 <= code <= 0xDFFF or code > 0x10FFFF \
                or code in (0x0D, 0x0C) or (code < 0x20 and code not in (0x09, 0x0A)):
            raise Unsafe(f"reference &{body};")


def _blank(text: str | None) -> bool:
    return not text or not text.strip(" \t\n")


def parse(html_text: str) -> ET.Element | None:
    """The document's tree as WeasyPrint's parser would build it (``html`` root, no
    namespaces), or None if it cannot be sure of building the same."""
    if "\r" in html_text or "\x00" in html_text or "\x0c" in html_text:
        return None
    try:
        _check_references(html_text)
        root = lxml_html.document_fromstring(html_text)
        # Only HTML exactly as lxml writes it (every end tag written, attributes quoted):
        # where the text was not, libxml2 may have mended it otherwise than HTML5 would.
        if html_text != _DOCTYPE + etree.tostring(root, encoding="unicode", method="html"):
            return None
        return _convert_document(root)
    except (Unsafe, etree.ParserError, ValueError, RecursionError):
        return None


def _convert_document(root) -> ET.Element:
    if root.tag != "html" or [child.tag for child in root] != ["head", "body"]:
        raise Unsafe("not <html><head><body>")
    if root.tail or not _blank(root.text):
        raise Unsafe("text outside head and body")
    head, body = root
    out = ET.Element("html", _attributes(root))
    out.append(_convert(head, []))
    out[0].tail = head.tail
    if not _blank(head.tail):
        raise Unsafe("text between head and body")
    out.append(_convert(body, ["html"]))
    if body.tail:          # HTML5 puts what follows </body> at the end of the body
        if not _blank(body.tail):
            raise Unsafe("text after the body")
        last = out[1][-1] if len(out[1]) else None
        if last is not None:
            last.tail = (last.tail or "") + body.tail
        else:
            out[1].text = (out[1].text or "") + body.tail
    return out


def _attributes(element) -> dict[str, str]:
    attrib = dict(element.attrib)
    for name in attrib:
        if ":" in name or "{" in name:
            raise Unsafe(f"attribute {name}")
    return attrib


def _convert(element, ancestors: list[str]) -> ET.Element:
    tag = element.tag
    parent = ancestors[-1] if ancestors else None
    if tag not in _TAGS:
        raise Unsafe(f"<{tag}>")
    if parent == "head" and tag not in _HEAD:
        raise Unsafe(f"<{tag}> in the head")
    if tag in _CLOSES_P and "p" in ancestors:
        raise Unsafe(f"<{tag}> in a paragraph")
    if tag in _HEADINGS and _HEADINGS & set(ancestors):
        raise Unsafe("a heading in a heading")
    if tag == "a" and "a" in ancestors:
        raise Unsafe("a link in a link")
    if tag in ("li", "dd", "dt"):
        # HTML5 closes an open item of the same kind unless a list is nearer (its rule
        # stops at other elements too, but which ones depends on the parser's version)
        closes, lists = ({"li"}, {"ul", "ol", "menu"}) if tag == "li" else \
            ({"dd", "dt"}, {"dl"})
        for above in reversed(ancestors):
            if above in closes:
                raise Unsafe(f"<{tag}> in <{above}>")
            if above in lists:
                break
    if tag in _TABLE_PARENT:
        wanted = _TABLE_PARENT[tag]
        if parent not in (wanted if isinstance(wanted, tuple) else (wanted,)):
            raise Unsafe(f"<{tag}> in <{parent}>")
    if tag == "li" and not element.text and not len(element):
        raise Unsafe("an empty <li>, which lxml writes without its end tag")
    if tag == "pre" and element.text and element.text.startswith("\n"):
        raise Unsafe("a newline opening <pre>")
    out = ET.Element(tag, _attributes(element))
    out.text = element.text
    allowed = _TABLE.get(tag)
    # in a table's structure and in the head, HTML5 moves text and comments elsewhere
    structural = allowed is not None or tag == "head"
    if structural and not _blank(element.text):
        raise Unsafe(f"text in <{tag}>")
    below = ancestors + [tag]
    for child in element:
        if isinstance(child, etree._Comment):
            if structural:
                raise Unsafe(f"a comment in <{tag}>")
            node = ET.Comment(child.text)
        elif not isinstance(child.tag, str):
            raise Unsafe("not an element")
        else:
            if allowed is not None and child.tag not in allowed:
                raise Unsafe(f"<{child.tag}> in <{tag}>")
            node = _convert(child, below)
        if structural and not _blank(child.tail):
            raise Unsafe(f"text in <{tag}>")
        node.tail = child.tail
        out.append(node)
    return out


def document(root: ET.Element, base_url: str, url_fetcher, media_type: str = "print"):
    """A ``weasyprint.HTML`` for the tree, as ``HTML(string=...)`` makes it."""
    import cssselect2
    from weasyprint import HTML
    from weasyprint import _find_base_url

    html = HTML.__new__(HTML)
    html.base_url = _find_base_url(root, base_url)
    html.url_fetcher = url_fetcher
    html.media_type = media_type
    html.wrapper_element = cssselect2.ElementWrapper.from_html_root(root, content_language=None)
    html.etree_element = html.wrapper_element.etree_element
    return html
