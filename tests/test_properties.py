"""Property-based: random Markdown, front matter and data either build or fail cleanly."""
from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conftest import MINI
from studyguide.builder import Options, prepare
from studyguide.errors import BuildError
from studyguide.writers.epub import write_epub

MD_PIECES = st.sampled_from([
    "# ", "## ", "### ", "{#x}", "{#sec-alpha}", "[@writer1901]", "[@nokey]", "@historian2000",
    "[-@writer1901, p. 3]", "[^1]", "[^1]: note", "::: {.sidebar title=\"t\"}", ":::",
    "::: {#tbl-ch01-compare .comparison}", "[](#ch02)", "[](#missing)", "![alt](figure:timeline)",
    "![](figure:strategies)", "![x](http://127.0.0.1:9/x.png)", "<b>", "</i>", "<script>",
    "| a | b |\n|---|---|\n| 1 | 2 |", "> quote", "- item", "1. item", "`code`", "```", "*",
    "_", "\\", "&amp;", "&", "<", ">", "\"", "'", "[x]{.index}", "\n", "\n\n", " ", "\t",
])
TEXT = st.text(st.characters(blacklist_categories=("Cs",)), max_size=40)
MARKDOWN = st.lists(st.one_of(MD_PIECES, TEXT), max_size=30).map("".join)
YAML_VALUE = st.recursive(
    st.one_of(st.none(), st.booleans(), st.integers(), TEXT,
              st.sampled_from(["[", "]", "{", ":", "- ", "'", "\"", "&a", "*a", "!!python/name:os.system"])),
    lambda children: st.one_of(st.lists(children, max_size=4),
                               st.dictionaries(st.sampled_from(["title", "summary", "objectives",
                                                                "key_terms", "questions", "type",
                                                                "question", "answer", "x"]),
                                               children, max_size=4)),
    max_leaves=12)


def _attempt(mutate) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        book = Path(tmp) / "book"
        shutil.copytree(MINI, book)
        mutate(book)
        try:
            rb, _ = prepare(Options(content=book, output=Path(tmp) / "out"))
        except BuildError as exc:
            assert exc.diagnostics, "a BuildError must say what is wrong"
            for d in exc.diagnostics:
                assert d.path and d.message
            return
        write_epub(rb, None)  # the model a successful load gives must be writable


FAST = settings(max_examples=30, deadline=None,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])


@FAST
@given(body=MARKDOWN)
def test_random_chapter_bodies(body):
    def mutate(book: Path):
        ch = book / "chapters" / "02-second.md"
        text = ch.read_text()
        ch.write_text(text[: text.index("---", 3) + 4] + body)
    _attempt(mutate)


@FAST
@given(front=st.text(max_size=200), value=YAML_VALUE)
def test_random_front_matter(front, value):
    import yaml

    def mutate(book: Path):
        ch = book / "chapters" / "02-second.md"
        dumped = yaml.safe_dump({"title": "T", "questions": value, "objectives": value})
        ch.write_text(f"---\n{front}\n{dumped}---\n\nSome body text.\n")
    _attempt(mutate)


@FAST
@given(data=YAML_VALUE, raw=st.text(max_size=120))
def test_random_data_files(data, raw):
    import yaml

    def mutate(book: Path):
        (book / "tables" / "tables.yaml").write_text(
            (book / "tables" / "tables.yaml").read_text() + "\n" + raw)
        (book / "data" / "glossary.yaml").write_text(yaml.safe_dump(data))
        (book / "data" / "timeline.yaml").write_text(yaml.safe_dump([data]))
    _attempt(mutate)


# The shortcut for plain text (markdown.convert) gives what Markdown itself gives. The
# strings mix the characters the shortcut takes with ones it must leave to Markdown.
PLAINISH = st.one_of(
    st.from_regex(r"[a-zA-Z][a-zA-Z0-9 ,;.:?()]{0,40}", fullmatch=True),
    st.lists(st.sampled_from(list("abcXYZ019 ,;.:?()") + ["..", "1. ", "a  ", "a. ", "iv) ", "-", "'", "*",
                                                          "\n", "&", "<", "_"]),
             max_size=30).map("".join))


@settings(max_examples=600, deadline=None)
@given(text=PLAINISH)
def test_plain_text_shortcut_is_what_markdown_gives(text):
    from studyguide import markdown
    assert markdown.convert(text) == markdown.markdown_to_html(text)


def test_plain_text_shortcut_is_taken():
    from studyguide import markdown
    calls = []
    original = markdown.markdown_to_html
    markdown.markdown_to_html = lambda text: calls.append(text) or original(text)
    try:
        assert markdown.convert("Who was Georgi Plekhanov, and what did he believe?") == \
            "<p>Who was Georgi Plekhanov, and what did he believe?</p>"
        markdown.convert("A *marked* word.")
    finally:
        markdown.markdown_to_html = original
    assert calls == ["A *marked* word."]
