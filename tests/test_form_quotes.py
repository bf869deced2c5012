"""A glossary or index form with a straight double quote in it (an alias such as
``the "Old Guard"``) is found in the text, whose straight quotes the Markdown has made
the language's typographic ones (it never matched), and looked up by the match with
its quotes straight."""
from __future__ import annotations

import re

import pytest
from lxml import html as lxml_html

from studyguide.markdown import markdown_to_html, use_quotes
from studyguide.wordmatch import DOUBLE_QUOTE, alternation, straight_quotes, word_end

FORMS = ['the "Old Guard"', "Old Guard", "it's"]


@pytest.mark.parametrize("pair", [None, ("„", "“"), ("«\u00a0", "\u00a0»"), ("「", "」")],
                         ids=["en", "de", "fr", "ja"])
def test_a_form_with_double_quotes_matches_the_bodys_quotes(pair):
    use_quotes(pair)
    try:
        body = lxml_html.fromstring(markdown_to_html(
            'We met the "Old Guard" there, and "the Old Guard" too; it\'s so.')).text_content()
    finally:
        use_quotes()
    assert '"' not in body
    pattern = re.compile(r"(?<!" + word_end() + r")(" + alternation(
        FORMS, "['\u2019]", r"\s+", DOUBLE_QUOTE) + r")(?!" + word_end() + ")")
    found = [m.group(1) for m in pattern.finditer(body)]
    # the quoted form whole, where the text has it (not its words alone), then the words
    assert [straight_quotes(f).replace("\u2019", "'") for f in found] == \
        ['the "Old Guard"', "Old Guard", "it's"], found
    assert straight_quotes(found[0]) != found[0]


def test_straight_quotes_leaves_other_text_alone():
    assert straight_quotes("it's a \u00a0 b") == "it's a \u00a0 b"
    assert straight_quotes("«\u00a0x\u00a0» and “y”") == '"x" and "y"'
    assert alternation(['a "b"']) == re.escape('a "b"')     # no double_quote: as written


def test_a_glossary_alias_in_double_quotes_links_its_term(tmp_path):
    """The book: an alias written with straight quotes in glossary.yaml is linked where
    the chapter has it (its quotes typographic), and its term counts as used."""
    from conftest import rendered_book
    from test_locales_metadata import write_book
    chapter = """\
        ---
        title: The party
        ---

        By 1927 the "Old Guard" had lost every vote that mattered.
        """
    book = write_book(tmp_path / "book", {"title": "T", "language": "en-GB"}, chapter,
                      glossary=[{"term": "Old Bolsheviks", "aliases": ['the "Old Guard"'],
                                 "definition": "The party's first members."}])
    rb, report = rendered_book(book)
    assert not [d for d in report.diagnostics if "never used" in d.message], \
        [str(d) for d in report.diagnostics]
    html = rb.docs[0].body_html
    assert re.search(r'<a class="gloss" href="#gl-old-bolsheviks"[^>]*>the “Old Guard”</a>',
                     html), html
