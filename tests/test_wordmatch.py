"""The nested alternation of many words matches as one flat alternation, longest first,
does: the index's forms in the text and the names print keeps whole."""
from __future__ import annotations

import re

from hypothesis import given, settings
from hypothesis import strategies as st

from studyguide.resolve import _forms_pattern
from studyguide.writers.pdf import _names_pattern

LETTERS = "Leninsm '’-a"
TEXT = st.text(st.sampled_from("Leninsm '’-_ a1é.\n\u00a0"), max_size=30)
# (as the schema reads them: stripped, never empty; a form of spaces alone matched a
# different run of spaces than the flat alternation, which no book can write)
WORDS = st.frozensets(st.text(st.sampled_from(LETTERS), min_size=1, max_size=9)
                      .map(str.strip).filter(bool), min_size=1, max_size=12)


def flat(words, apostrophe: bool) -> str:
    return "|".join(re.escape(w).replace("'", "['\u2019]").replace(r"\ ", r"\s+")
                    if apostrophe else re.escape(w)
                    for w in sorted(words, key=len, reverse=True))


def samples(words, texts) -> list[str]:
    return texts + [" ".join(words), "-".join(words), "’".join(words), "’s ".join(words),
                    "\n".join(w.replace(" ", "\n ") for w in words)]


@settings(max_examples=300, deadline=None)
@given(forms=WORDS, texts=st.lists(TEXT, min_size=1, max_size=5))
def test_the_index_forms_match_as_a_flat_alternation_does(forms, texts):
    """The same words at the same places, whole words only, a form that ends inside a
    longer one's match (Lenin / Leninism), straight and curly apostrophes alike, and a
    space in a form matching any run of white space (a line break in the source)."""
    forms = frozenset(f.replace("\u2019", "'") for f in forms)
    reference = re.compile(r"(?<![\w-])(" + flat(forms, True) + r")(?![\w-])")
    for text in samples(forms, texts):
        assert [m.span(1) for m in _forms_pattern(forms).finditer(text)] == \
            [m.span(1) for m in reference.finditer(text)], text


@settings(max_examples=300, deadline=None)
@given(words=st.frozensets(st.text(st.sampled_from("Leninsm"), min_size=1, max_size=9),
                           min_size=1, max_size=12),
       texts=st.lists(TEXT, min_size=1, max_size=5))
def test_the_proper_names_match_as_a_flat_alternation_does(words, texts):
    """A name and what is joined to it ("Lenin’s"), the same spans as before."""
    reference = re.compile(r"(?<!\w)(" + flat(words, False) + r")(?!\w)((?:[’'.]\w+)*)")
    for text in samples(words, texts):
        assert [m.span(1) + m.span(2) for m in _names_pattern(words).finditer(text)] == \
            [m.span(1) + m.span(2) for m in reference.finditer(text)], text
