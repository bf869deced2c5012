"""The index's locators: every mention of an entry, gathered into pages and page ranges.

The resolver records each mention of an indexed heading as an anchor, in reading order
(``RenderedBook.index``). Where the pages of the anchors are known (the print editions,
and the EPUB, which gives the student edition's pages), the mentions on one page make
one locator and mentions on consecutive pages one range ("12–14"), whose ends are links
to the first mention on each end page; where they are not, the first mention in each
chapter or section of the apparatus stands for it, named by its label.
"""
from __future__ import annotations


def locators(refs: list[tuple[str, str]], pages: dict[str, str]) -> list[dict]:
    """``refs`` ((part id, anchor), in reading order) as locators: ``{"doc", "anchor",
    "to"}``, ``to`` being None or the (part id, anchor) that ends a range of pages."""
    out: list[dict] = []
    last: int | None = None          # the page the last locator ends on
    seen_docs: set[str] = set()
    for doc, anchor in refs:
        page = pages.get(anchor, "")
        if not page.isdigit():
            # no page (or not an arabic one): one locator per part
            last = None
            if doc in seen_docs and not page:
                continue
            seen_docs.add(doc)
            out.append({"doc": doc, "anchor": anchor, "to": None})
            continue
        number = int(page)
        if last is not None and number == last:
            continue
        if last is not None and number == last + 1:
            out[-1]["to"] = (doc, anchor)
        else:
            out.append({"doc": doc, "anchor": anchor, "to": None})
        last = number
    return out


def arrange(index: list[dict], pages: dict[str, str]) -> list[dict]:
    """The index's entries with their locators (``locators``), their subentries' too."""
    return [{**entry, "locators": locators(entry["refs"], pages),
             "subs": [{**sub, "locators": locators(sub["refs"], pages)}
                      for sub in entry["subs"]]}
            for entry in index]
