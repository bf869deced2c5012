"""Synthetic books of a given size, for the benchmark: real features, generated prose."""
from __future__ import annotations

import json
import random
import shutil
from pathlib import Path

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


def plain_markdown(content: Path) -> str:
    """One plain Pandoc-Markdown file of a book's chapters, for the pandoc baseline."""
    parts = []
    for path in sorted((content / "chapters").glob("*.md")):
        raw = path.read_text()
        front, body = raw[4:raw.index("\n---", 3)], raw[raw.index("\n---", 3) + 4:]
        title = next((l.split(":", 1)[1].strip().strip('"') for l in front.splitlines()
                      if l.startswith("title:")), None)
        if title is None:
            title = json.loads(front).get("title", path.stem)
        # drop the table placeholders, which are this builder's, not pandoc's
        lines = [l for l in body.splitlines() if not l.startswith(":::")]
        parts.append(f"# {title}\n\n" + "\n".join(lines))
    return "\n\n".join(parts)
