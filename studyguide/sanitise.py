"""No active content: what untrusted HTML, SVG and CSS from a book may carry.

The book folder is untrusted. Nothing in it may run (scripts, event handlers,
``javascript:`` links) or make a reader fetch anything (external references inside
SVG, ``url()`` in CSS), and nothing may make the builder work without bound (an SVG
whose ``<use>`` elements multiply, an image of a billion pixels).

- HTML: ``clean_html`` runs the rendered HTML through nh3 (the ammonia sanitiser) with
  a whitelist of elements, attributes and URL schemes; the resolver reports, with
  ``path:line``, whatever it had to take out (``Resolver.sanitise``).
- SVG, inline or in a file: a whitelist of elements and attributes (``svg_problems``);
  references only to fragments of the same image (``#id``); a bounded number of
  elements, also once every ``<use>`` is expanded.
- CSS: tokenised by tinycss2 (``css_problems``), so that an escape (``u\\72 l(``) or a
  comment cannot hide a ``url()`` from the check.
- Raster images: their pixel count, read from the header (``image_problem``).
"""
from __future__ import annotations

import io
import re
from urllib.parse import unquote, urlsplit

import nh3

# -- links -------------------------------------------------------------------------------
SAFE_SCHEMES = frozenset({"http", "https", "mailto"})
# what a browser drops from a URL before it reads the scheme ("java\tscript:")
_IGNORED_IN_URL = re.compile(r"[\x00-\x20\x7f]")


def link_problem(href: str) -> str | None:
    """Why a hyperlink may not stay, or ``None``: only http(s):, mailto: and links
    inside the book (relative or ``#id``)."""
    url = _IGNORED_IN_URL.sub("", href or "")
    try:
        scheme = urlsplit(url).scheme.lower()
    except ValueError:
        return f"link '{href}' is not a valid URL"
    if scheme and scheme not in SAFE_SCHEMES:
        return (f"link to '{scheme}:' is not allowed (only http:, https: and mailto: links, "
                "and links inside the book)")
    return None


def attribute_problem(tag: str, attr: str, value: str) -> str | None:
    """Why an HTML element's attribute may not stay (it would run or load something),
    or ``None``."""
    name = attr.lower()
    if name.startswith("on"):
        return f"event handler '{name}' is not allowed (scripts never run)"
    if name == "style":
        found = css_problems(value, declarations=True)
        if found:
            return f"style attribute: {found[0][1]}, which content may not do"
    if name in ("href", "xlink:href"):
        return link_problem(value)
    if name in LOADING and _external(value):
        return f"'{value}' is not fetched: only files inside the book folder may be embedded"
    if name == "rel" and "attachment" in value.lower().split():
        return 'file attachments (rel="attachment") are not embedded'
    return None


# attributes whose URL a reader or the typesetter would load
LOADING = frozenset({"src", "srcset", "data", "poster", "background", "action", "formaction",
                     "codebase", "archive", "manifest"})


def _external(url: str) -> bool:
    url = _IGNORED_IN_URL.sub("", url).lower()
    return bool(re.match(r"^[a-z][a-z0-9+.-]*:", url)) or url.startswith(("/", "\\"))


ACTIVE = frozenset({"script", "iframe", "object", "embed", "frame", "frameset", "applet",
                    "base", "link", "form", "video", "audio", "source", "track", "portal",
                    "noscript"})


def active_content(html: str) -> list[str]:
    """What in a whole page of HTML (a template's output) would run or load anything:
    the same rules as for content, for HTML that no resolver has seen."""
    return [message for _, message in active_parts(html)]


def active_parts(html: str) -> list[tuple[str, str]]:
    """``active_content``'s findings, each with a piece of text that the template that
    wrote it holds (an element's opening, an attribute's value), to find its line."""
    from lxml import html as lxml_html
    root = lxml_html.document_fromstring(html or "<p></p>")
    found: list[tuple[str, str]] = []
    in_svg = {e for svg in root.iter("svg") for e in svg.iter()}
    for el in root.iter():
        if not isinstance(el.tag, str) or el in in_svg:
            continue
        tag = el.tag.lower()
        if tag in ACTIVE or tag == "meta" and el.get("http-equiv"):
            found.append((f"<{tag}", f"<{tag}>"))
        if tag == "style":
            css = (el.text or "").split("\n")
            found += [((css[line - 1].strip() if 0 < line <= len(css) else "") or "<style",
                       f"<style>: {what}") for line, what in css_problems(el.text or "")]
        for attr, value in el.attrib.items():
            problem = attribute_problem(tag, attr, value)
            if problem:
                found.append((value or attr, f"<{tag} {attr}>: {problem}"))
    for svg in root.iter("svg"):
        for el, attr, message in svg_problems(svg):
            needle = (el.get(attr) if attr else None) or "<" + _local(el.tag).split(":")[-1]
            found.append((needle, f"<svg>: {message}"))
    return found


# -- CSS ----------------------------------------------------------------------------------
FETCHING = frozenset({"url", "image", "image-set", "-webkit-image-set", "src", "cross-fade",
                      "element"})


def css_problems(css: str, first_line: int = 1, declarations: bool = False,
                 fragments: bool = False) -> list[tuple[int, str]]:
    """What in a piece of CSS would load something, with its line: ``url()`` however it
    is written, ``image()``, ``image-set()``, ``src()`` and the at-rules that fetch
    (``@import``, ``@font-face``). ``declarations``: the CSS is a style attribute's.
    ``fragments``: ``url(#id)``, a reference inside the same SVG image, is allowed."""
    import tinycss2
    nodes = (tinycss2.parse_blocks_contents(css) if declarations
             else tinycss2.parse_stylesheet(css))
    problems: list[tuple[int, str]] = []

    def visit(nodes) -> None:
        for node in nodes or ():
            where = getattr(node, "source_line", 1) + first_line - 1
            if node.type == "url":
                if not (fragments and node.value.startswith("#")):
                    problems.append((where, "url() loads a resource"))
            elif node.type == "function" and node.lower_name in FETCHING:
                args = [a for a in node.arguments if a.type != "whitespace"]
                if not (fragments and node.lower_name == "url" and len(args) == 1
                        and args[0].type == "string" and args[0].value.startswith("#")):
                    problems.append((where, f"{node.lower_name}() loads a resource"))
            elif node.type == "at-rule" and node.lower_at_keyword in ("import", "font-face"):
                problems.append((where, f"@{node.lower_at_keyword} loads a resource"))
            for child in ("prelude", "content", "value", "arguments"):
                value = getattr(node, child, None)
                if isinstance(value, list):
                    visit(value)
    visit(nodes)
    return problems


# -- SVG ----------------------------------------------------------------------------------
SVG_ELEMENTS = frozenset("""
svg g defs symbol use title desc switch a style
path rect circle ellipse line polyline polygon text tspan textpath
lineargradient radialgradient stop clippath mask pattern marker
filter feblend fecolormatrix fecomponenttransfer fecomposite feflood fegaussianblur
femerge femergenode femorphology feoffset fefunca fefuncb fefuncg fefuncr fetile
""".split())
SVG_ATTRIBUTES = frozenset("""
id class style lang xml:lang xml:space role tabindex version baseprofile
aria-label aria-labelledby aria-describedby aria-hidden focusable
xmlns xmlns:xlink href xlink:href xlink:title
x y x1 y1 x2 y2 cx cy r rx ry fx fy fr width height d points dx dy rotate
transform viewbox preserveaspectratio
fill fill-opacity fill-rule stroke stroke-width stroke-linecap stroke-linejoin
stroke-miterlimit stroke-dasharray stroke-dashoffset stroke-opacity opacity
color display visibility overflow clip clip-path clip-rule mask filter
marker marker-start marker-mid marker-end markerwidth markerheight markerunits refx refy orient
font-family font-size font-style font-weight font-variant font-stretch
text-anchor text-decoration dominant-baseline alignment-baseline baseline-shift
letter-spacing word-spacing writing-mode direction unicode-bidi textlength lengthadjust
startoffset method spacing side path
gradientunits gradienttransform spreadmethod offset stop-color stop-opacity
patternunits patterncontentunits patterntransform clippathunits maskunits maskcontentunits
filterunits primitiveunits in in2 result stddeviation mode operator k1 k2 k3 k4 values type
tablevalues slope intercept amplitude exponent flood-color flood-opacity radius
color-interpolation color-interpolation-filters vector-effect shape-rendering
text-rendering image-rendering paint-order requiredfeatures requiredextensions systemlanguage
""".split())
SVG_NS = "http://www.w3.org/2000/svg"
XLINK_NS = "http://www.w3.org/1999/xlink"
XML_NS = "http://www.w3.org/XML/1998/namespace"
MAX_SVG_ELEMENTS = 10_000        # in one image, as written
MAX_SVG_EXPANDED = 50_000        # once every <use> is expanded
MAX_USE_DEPTH = 8                # a <use> of a <use> of … at most this deep


def _local(name: str) -> str:
    """An element's or attribute's name as the whitelists spell it."""
    if name.startswith("{"):
        ns, _, local = name[1:].partition("}")
        prefix = {XLINK_NS: "xlink:", XML_NS: "xml:"}.get(ns, "")
        return prefix + local.lower()
    return name.lower()


def svg_problems(root) -> list[tuple[object, str | None, str]]:
    """Everything in an SVG element tree (lxml, from XML or from HTML) that is not
    allowed: (element, attribute or None for the whole element, message)."""
    problems: list[tuple[object, str | None, str]] = []
    elements = [el for el in root.iter() if isinstance(el.tag, str)]
    if len(elements) > MAX_SVG_ELEMENTS:
        return [(root, None, f"an SVG image may hold at most {MAX_SVG_ELEMENTS:,} elements, "
                             f"this one has {len(elements):,}")]
    for el in elements:
        name = _local(el.tag)
        if el.tag.startswith("{") and not el.tag.startswith("{" + SVG_NS + "}"):
            problems.append((el, None, f"<{name}> from another namespace is not allowed in SVG"))
            continue
        if name not in SVG_ELEMENTS:
            problems.append((el, None, f"<{name}> is not allowed in SVG"
                             + (" (scripts never run)" if name == "script" else
                                " (embed pictures as images of their own)"
                                if name in ("image", "foreignobject") else "")))
            continue
        if name == "style":
            for _, what in css_problems(el.text or "", fragments=True):
                problems.append((el, None, f"<style> in SVG: {what}"))
        for attr, value in el.attrib.items():
            aname = _local(attr)
            if aname not in SVG_ATTRIBUTES:
                problems.append((el, attr, f"attribute '{aname}' is not allowed in SVG"
                                 + (" (scripts never run)" if aname.startswith("on") else "")))
            elif aname in ("href", "xlink:href"):
                if name == "a":
                    why = link_problem(value)
                    if why:
                        problems.append((el, attr, why))
                elif not value.startswith("#"):
                    problems.append((el, attr, f"<{name}> refers to '{value}': an SVG image may "
                                     "refer only to its own parts ('#id')"))
            elif aname == "style" or "url(" in value.lower() or "\\" in value:
                for _, what in css_problems(value, declarations=True, fragments=True):
                    problems.append((el, attr, f"attribute '{aname}': {what}"))
    if not problems:
        problems += _use_problems(root, elements)
    return problems


def _use_problems(root, elements) -> list[tuple[object, str | None, str]]:
    """A bound on what ``<use>`` makes of an image: no cycle, no chain deeper than
    MAX_USE_DEPTH, at most MAX_SVG_EXPANDED elements once expanded."""
    ids = {el.get("id"): el for el in elements if el.get("id")}

    def ref(el):
        for attr, value in el.attrib.items():
            if _local(attr) in ("href", "xlink:href") and value.startswith("#"):
                return ids.get(value[1:])
        return None

    cost: dict[int, int] = {}
    depth: dict[int, int] = {}
    active: set[int] = set()

    def size(el) -> tuple[int, int]:
        key = id(el)
        if key in cost:
            return cost[key], depth[key]
        if key in active:
            raise ValueError("a <use> refers to itself, directly or through others")
        active.add(key)
        total, deepest = 1, 0
        for child in el:
            if isinstance(child.tag, str):
                n, d = size(child)
                total, deepest = total + n, max(deepest, d)
        if _local(el.tag) == "use":
            target = ref(el)
            if target is not None:
                n, d = size(target)
                total, deepest = total + n, max(deepest, d + 1)
        active.discard(key)
        if deepest > MAX_USE_DEPTH:
            raise ValueError(f"<use> elements nest more than {MAX_USE_DEPTH} deep")
        if total > MAX_SVG_EXPANDED:
            raise ValueError(f"once its <use> elements are expanded the image has more than "
                             f"{MAX_SVG_EXPANDED:,} elements")
        cost[key], depth[key] = total, deepest
        return total, deepest

    try:
        size(root)
    except ValueError as exc:
        return [(root, None, str(exc))]
    except RecursionError:
        return [(root, None, "the image is nested too deeply")]
    return []


def svg_file_problems(data: bytes) -> list[tuple[int, str]]:
    """An SVG file's problems, with their lines in the file; none if it may be embedded
    as it is."""
    from lxml import etree
    if b"<!ENTITY" in data or b"<!entity" in data:
        return [(1, "an SVG image may not declare entities (<!ENTITY>)")]
    parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False,
                             huge_tree=False)
    try:
        root = etree.fromstring(data, parser)
    except etree.XMLSyntaxError as exc:
        return [(exc.lineno or 1, f"the SVG image is not well-formed XML: {exc.msg}")]
    if root.tag != "{%s}svg" % SVG_NS:
        return [(1, "the file is not an SVG image (no <svg> root in the SVG namespace)")]
    return [(getattr(el, "sourceline", None) or 1, message)
            for el, _, message in svg_problems(root)]


# -- raster images ----------------------------------------------------------------------
MAX_PIXELS = 40_000_000          # 40 megapixels: about 7,700 × 5,200


def image_problem(data: bytes) -> str | None:
    """Why a raster image may not be embedded (not an image Pillow reads, or more than
    MAX_PIXELS pixels, however small the file), or ``None``. Only the header is read."""
    from PIL import Image
    Image.MAX_IMAGE_PIXELS = MAX_PIXELS
    try:
        with Image.open(io.BytesIO(data)) as img:
            width, height = img.size
    except Image.DecompressionBombError:
        return f"the image has more than {MAX_PIXELS:,} pixels"
    except Exception as exc:     # Pillow raises many kinds for a broken file
        return f"the image cannot be read ({type(exc).__name__})"
    if width * height > MAX_PIXELS:
        return (f"the image has {width:,} × {height:,} pixels, more than the "
                f"{MAX_PIXELS:,} an image may have")
    return None


# -- HTML ---------------------------------------------------------------------------------
HTML_ELEMENTS = frozenset("""
a abbr address article aside b bdi bdo blockquote br caption cite code col colgroup data dd
del details dfn div dl dt em figcaption figure footer h1 h2 h3 h4 h5 h6 header hgroup hr i
img ins kbd li main mark nav ol p pre q rp rt ruby s samp section small span strong sub
summary sup table tbody td tfoot th thead time tr u ul var wbr
input label
""".split())   # input, label: a task list's disabled checkbox, as pandoc writes it
# MathML, as ``math`` writes it for the EPUB (presentation markup and its annotation)
MATHML_ELEMENTS = frozenset("""
math semantics annotation mrow mi mo mn ms mtext mspace msup msub msubsup mfrac msqrt mroot
mstyle mpadded mphantom menclose mfenced merror mover munder munderover mtable mtr mtd
mlabeledtr mmultiscripts mprescripts none maligngroup malignmark
""".split())
MATHML_ATTRIBUTES = frozenset("""
xmlns display alttext encoding mathvariant mathsize mathcolor stretchy fence separator
separators form lspace rspace accent accentunder largeop movablelimits symmetric minsize
maxsize linethickness numalign denomalign bevelled columnalign rowalign columnspacing
rowspacing columnlines rowlines frame framespacing equalrows equalcolumns displaystyle
scriptlevel notation width height depth voffset open close align columnspan rowspan
""".split())
HTML_ATTRIBUTES = frozenset("""
id class title lang dir role hidden style
aria-label aria-labelledby aria-describedby aria-hidden aria-level aria-current
href hreflang rel src alt width height colspan rowspan scope headers span start reversed
type value datetime cite abbr open checked disabled
""".split())
DATA_PREFIXES = frozenset({"data-"})


def allowed_attribute(tag: str, attr: str) -> bool:
    attr = attr.lower()
    if tag in MATHML_ELEMENTS:
        return attr in MATHML_ATTRIBUTES or attr in ("id", "class")
    if tag in SVG_ELEMENTS and tag not in HTML_ELEMENTS:
        return attr in SVG_ATTRIBUTES or attr.startswith("data-")
    return attr in HTML_ATTRIBUTES or attr.startswith("data-") or attr == "epub:type"


# The SVG names that HTML spells in lower case, as SVG spells them (HTML's parsers give
# ``viewbox``; the XHTML of an EPUB needs ``viewBox``).
SVG_ATTRIBUTE_CASE = {
    "viewbox": "viewBox", "preserveaspectratio": "preserveAspectRatio",
    "gradientunits": "gradientUnits", "gradienttransform": "gradientTransform",
    "spreadmethod": "spreadMethod", "patternunits": "patternUnits",
    "patterncontentunits": "patternContentUnits", "patterntransform": "patternTransform",
    "clippathunits": "clipPathUnits", "maskunits": "maskUnits",
    "maskcontentunits": "maskContentUnits", "filterunits": "filterUnits",
    "primitiveunits": "primitiveUnits", "stddeviation": "stdDeviation",
    "tablevalues": "tableValues", "markerwidth": "markerWidth",
    "markerheight": "markerHeight", "markerunits": "markerUnits", "refx": "refX",
    "refy": "refY", "textlength": "textLength", "lengthadjust": "lengthAdjust",
    "startoffset": "startOffset", "baseprofile": "baseProfile",
    "requiredfeatures": "requiredFeatures", "requiredextensions": "requiredExtensions",
    "systemlanguage": "systemLanguage"}


def _svg_attribute_names() -> set[str]:
    """The SVG attributes as the HTML parser spells them (``viewBox``, not ``viewbox``)."""
    return {SVG_ATTRIBUTE_CASE.get(a, a) for a in SVG_ATTRIBUTES} | set(SVG_ATTRIBUTES)


SVG_TAG_CASE = {"lineargradient": "linearGradient", "radialgradient": "radialGradient",
                "clippath": "clipPath", "textpath": "textPath"}
SVG_TAG_CASE.update({t: "fe" + t[2:3].upper() + t[3:] for t in SVG_ELEMENTS
                     if t.startswith("fe")})
SVG_TAG_CASE.update({"fecolormatrix": "feColorMatrix",
                     "fecomponenttransfer": "feComponentTransfer",
                     "fegaussianblur": "feGaussianBlur", "femergenode": "feMergeNode",
                     "fefunca": "feFuncA", "fefuncb": "feFuncB", "fefuncg": "feFuncG",
                     "fefuncr": "feFuncR"})


def _cleaner() -> nh3.Cleaner:
    svg_tags = {SVG_TAG_CASE.get(t, t) for t in SVG_ELEMENTS} - {"style"}
    html_attrs = set(HTML_ATTRIBUTES) | {"epub:type"}
    svg_attrs = _svg_attribute_names() - {"href", "xlink:href"}
    attributes = {t: set(html_attrs) for t in HTML_ELEMENTS}
    attributes.update({t: set(svg_attrs) for t in svg_tags})
    attributes["use"] |= {"href", "xlink:href"}
    attributes["a"] |= {"href", "xlink:href"}
    attributes.update({t: set(MATHML_ATTRIBUTES) | {"id", "class"} for t in MATHML_ELEMENTS})
    return nh3.Cleaner(tags=set(HTML_ELEMENTS) | svg_tags | MATHML_ELEMENTS,
                       clean_content_tags={"script", "style"},
                       attributes=attributes, generic_attribute_prefixes={"data-"},
                       url_schemes=set(SAFE_SCHEMES), link_rel=None, strip_comments=True)


_CLEANER: nh3.Cleaner | None = None


def clean_html(html: str) -> str:
    """The HTML with only whitelisted elements, attributes and URL schemes left (nh3).
    The resolver has already reported, with its line, whatever this takes out."""
    global _CLEANER
    if _CLEANER is None:
        _CLEANER = _cleaner()
    return _CLEANER.clean(html)


# libxml2's HTML serialiser percent-encodes a link's non-ASCII characters: a link to an
# id in Cyrillic ("#sec-бета") would no longer name its target ("#sec-%D0%B1…")
# (print's links between a book's parts are "xref:ID")
_LOCAL_LINK = re.compile(r'(\shref=")(xref:|[^":/?"]*#)([^"]*)"')


def to_html(el, with_tail: bool = True) -> str:
    """``el`` serialised as HTML (lxml), its links to ids in the book as written."""
    from lxml import etree
    text = etree.tostring(el, encoding="unicode", method="html", with_tail=with_tail)
    if "%" not in text:
        return text
    return _LOCAL_LINK.sub(lambda m: f'{m.group(1)}{m.group(2)}{unquote(m.group(3))}"', text)
