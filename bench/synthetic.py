"""Synthetic books of a given size, for the benchmark: real features, generated prose."""
from __future__ import annotations

import json
import random
import re
import shutil
from pathlib import Path

import yaml

WORDS = ("revolution party state workers peasants industry plan theory capital market "
         "congress opposition policy economy history power class international socialism "
         "development country strategy programme argument debate historians evidence "
         "the of and to in a that was for on with as by it this which from their but").split()


def sentence(rng: random.Random) -> str:
    words = [rng.choice(WORDS) for _ in range(rng.randint(8, 22))]
    return " ".join(words).capitalize() + "."


def paragraph(rng: random.Random) -> str:
    return " ".join(sentence(rng) for _ in range(rng.randint(4, 7)))


def make_book(dest: Path, pages: int, seed: int = 1) -> Path:
    """About `pages` A4 pages: ten chapters, each with sections, a table, notes, citations."""
    rng = random.Random(seed)
    if dest.exists():
        shutil.rmtree(dest)
    (dest / "chapters").mkdir(parents=True)
    (dest / "tables").mkdir()
    chapters = 10
    paras = max(3, pages * 6 // chapters)  # about six paragraphs a page
    refs = [{"id": f"author{i}", "type": "book", "title": f"Book {i}",
             "author": [{"family": f"Author{i}", "given": "A."}], "publisher": "Press",
             "publisher-place": "London", "issued": {"date-parts": [[1900 + i]]}}
            for i in range(20)]
    (dest / "references.json").write_text(json.dumps(refs, indent=1))
    tables = {}
    listed = []
    for c in range(1, chapters + 1):
        body = []
        for p in range(paras):
            if p % 12 == 0:
                body.append(f"## Section {p // 12 + 1} of chapter {c}\n")
            text = paragraph(rng)
            if p % 5 == 0:
                text += f" [@author{rng.randrange(20)}, {rng.randint(1, 300)}]"
            if p % 9 == 0:
                text += f"[^n{p}]"
                body.append(text + "\n")
                body.append(f"[^n{p}]: {sentence(rng)}\n")
                continue
            if p == paras // 2:
                body.append(f"::: {{#tbl-c{c} .comparison}}\n:::\n")
            body.append(text + "\n")
        tables[f"tbl-c{c}"] = {"caption": f"Comparison {c}", "columns": ["Aspect", "A", "B"],
                               "rows": [[f"Row {r}", sentence(rng), sentence(rng)]
                                        for r in range(6)]}
        front = {"title": f"Synthetic chapter {c}", "summary": sentence(rng),
                 "objectives": [sentence(rng) for _ in range(3)],
                 "questions": [{"type": "recall", "question": sentence(rng),
                                "answer": paragraph(rng)} for _ in range(4)]}
        path = dest / "chapters" / f"{c:02d}.md"
        path.write_text("---\n" + json.dumps(front) + "\n---\n\n" + "\n".join(body))
        listed.append(f"chapters/{c:02d}.md")
    (dest / "tables" / "tables.yaml").write_text(json.dumps(tables))
    (dest / "book.yaml").write_text(json.dumps({
        "title": f"Synthetic Book of {pages} Pages", "language": "en-GB", "date": "2025-01-01",
        "authors": ["Benchmark"], "bibliography": "references.json", "chapters": listed}))
    return dest


def _front_and_body(path: Path) -> tuple[dict, str]:
    raw = path.read_text()
    end = raw.index("\n---", 3)
    return yaml.safe_load(raw[4:end]) or {}, raw[end + 4:]


def _cell(text) -> str:
    return " ".join(str(text).split()).replace("|", "\\|")


def _pipe_table(table: dict) -> str:
    cols = table["columns"]
    lines = ["| " + " | ".join(_cell(c) for c in cols) + " |",
             "|" + "|".join("---" for _ in cols) + "|"]
    lines += ["| " + " | ".join(_cell(c) for c in row) + " |" for row in table["rows"]]
    return "\n".join(lines) + f"\n\n: {_cell(table['caption'])}\n"


def _xref_text(m: re.Match) -> str:
    """An empty cross-reference link, which this builder fills in, with plain text."""
    if m.group(2):
        return f"Chapter {int(m.group(2))}"
    return "the table" if m.group(1) == "tbl" else "the figure"


def _yaml(path: Path):
    return yaml.safe_load(path.read_text()) if path.is_file() else None


def plain_markdown(content: Path) -> str:
    """The book's student edition as one plain Pandoc-Markdown file, for the pandoc baseline.

    It carries the same text the builder typesets: each chapter's summary, objectives, key
    terms, body, comparison tables and questions; the back matter; and the master table,
    timeline, key figures, glossary and annotated bibliography, as plain pipe tables,
    lists and definition lists. What pandoc has no Markdown for (the index, the figures
    drawn from data, the page numbers of cross-references) is left out.
    """
    meta = _yaml(content / "book.yaml")
    tables = {}
    for path in sorted((content / "tables").glob("*.yaml")):
        tables.update(_yaml(path) or {})
    data = content / "data"

    def document(path: Path) -> str:
        front, body = _front_and_body(path)
        out = [f"# {front.get('title', path.stem)}", ""]
        if front.get("summary"):
            out += ["**Summary.** " + " ".join(front["summary"].split()), ""]
        if front.get("objectives"):
            out += ["**Learning objectives**", ""] + [f"- {o}" for o in front["objectives"]] + [""]
        if front.get("key_terms"):
            out += ["**Key terms:** " + ", ".join(front["key_terms"]), ""]
        lines = re.sub(r"\[\]\(#(ch(\d+)|tbl|fig)[^)]*\)", _xref_text, body).splitlines()
        i = 0
        while i < len(lines):
            m = re.match(r":::\s*\{#(tbl-[\w-]+) \.comparison\}", lines[i])
            if m:
                out.append(_pipe_table(tables[m.group(1)]) if m.group(1) in tables else "")
                i += 2                                   # the placeholder's closing fence
                continue
            out.append(lines[i])
            i += 1
        if front.get("questions"):
            out += ["", "## Questions", ""]
            out += [f"{n}. {' '.join(q['question'].split())}"
                    for n, q in enumerate(front["questions"], 1)]
        return "\n".join(out)

    parts = [document(content / c) for c in meta["chapters"]]
    if "tbl-master" in tables:
        parts.append("# The Two Positions Compared\n\n" + _pipe_table(tables["tbl-master"]))
    timeline = _yaml(data / "timeline.yaml")
    if timeline:
        parts.append("# Timeline\n\n" + _pipe_table({
            "caption": "Timeline", "columns": ["Date", "Event"],
            "rows": [[e["date"], e["event"]] for e in timeline]}))
    people = _yaml(data / "people.yaml")
    if people:
        parts.append("# Key Figures\n\n" + "\n".join(
            f"{p['name']} ({p.get('dates', '')})\n:   *{p.get('role', '')}.* "
            f"{' '.join(p.get('bio', '').split())}\n" for p in people))
    parts += [document(content / b) for b in meta.get("back_matter", [])]
    glossary = _yaml(data / "glossary.yaml")
    if glossary:
        parts.append("# Glossary\n\n" + "\n".join(
            f"{g['term']}\n:   {' '.join(g['definition'].split())}\n" for g in glossary))
    notes = _yaml(data / "annotations.yaml") or {}
    parts.append("# Annotated Bibliography\n\n::: {#refs}\n:::\n\n" + "\n".join(
        f"- @{key}: {' '.join(text.split())}" for key, text in notes.items()))
    return "\n\n".join(parts) + "\n"
