"""The teacher edition, the answer key, the assessment keys and the worksheets.

The teacher edition prints every page of the student edition on the same page number and
adds an answer key after the index; chapters print key points, further reading, marks
and source extracts; each chapter with questions has a worksheet of one or two sheets
(at most four pages), with ruled answer space, and its teacher's answer key.
"""
from __future__ import annotations

import re
import shutil
import zipfile
from pathlib import Path

import pikepdf
import pytest
from lxml import html as lxml_html
from pypdf import PdfReader

from conftest import FIXTURES, MINI, add_to_chapter, run_build

ASSESS = FIXTURES / "assess"

# the assessed fixture book's answers and teacher material (chapters/01-first.md)
ANSWERS = ["Ada Writer stated it first", "Historians disagree",
           "Useful for the doctrine’s own claims", "A balanced essay weighs"]
TEACHER_ONLY = ANSWERS + ["What alpha predicted", "Alpha’s record, and a judgement",
                          "A sustained", "A narrative answer with assertions"]


def text_of(page) -> str:
    return " ".join((page.extract_text() or "").split())


def labelled_pages(path: Path) -> dict[str, str]:
    """Each page's printed label (its /PageLabels entry) -> its text (pdfium's, which
    marks a hyphen at a line's end as U+0002)."""
    import pypdfium2
    pdf = pikepdf.open(path)
    labels = [str(pikepdf.Page(p).label) for p in pdf.pages]
    doc = pypdfium2.PdfDocument(path)
    texts = [" ".join(page.get_textpage().get_text_range().replace("\x02", "-").split())
             for page in doc]
    return dict(zip(labels, texts))


def heading_pages(path: Path) -> list[tuple[str, str]]:
    """Every bookmarked heading (chapters, sections, apparatus) with its page label."""
    pdf = pikepdf.open(path)
    index = {page.objgen: i for i, page in enumerate(pdf.pages)}
    labels = [str(pikepdf.Page(p).label) for p in pdf.pages]
    names = {}
    if "/Names" in pdf.Root and "/Dests" in pdf.Root.Names:
        names = dict(pikepdf.NameTree(pdf.Root.Names.Dests).items())
    out = []
    with pdf.open_outline() as outline:
        def walk(items):
            for item in items:
                dest = item.destination
                if isinstance(dest, (str, pikepdf.String)):
                    dest = names.get(str(dest))
                if isinstance(dest, pikepdf.Dictionary):
                    dest = dest.D
                out.append((item.title, labels[index[dest[0].objgen]]))
                walk(item.children)
        walk(outline.root)
    return out


def link_targets(path: Path, on: list[str]) -> set[str]:
    """The page labels that the links on the pages labelled ``on`` lead to."""
    pdf = pikepdf.open(path)
    labels = [str(pikepdf.Page(p).label) for p in pdf.pages]
    index = {page.objgen: i for i, page in enumerate(pdf.pages)}
    names = dict(pikepdf.NameTree(pdf.Root.Names.Dests).items())
    out = set()
    for label, page in zip(labels, pdf.pages):
        for annot in page.get("/Annots", []) if label in on else []:
            dest = annot.get("/Dest") or (annot.A.get("/D") if "/A" in annot else None)
            if isinstance(dest, (pikepdf.String, pikepdf.Name)):
                dest = names.get(str(dest).lstrip("/"))
            if isinstance(dest, pikepdf.Dictionary):
                dest = dest.D
            if dest is not None:
                out.add(labels[index[dest[0].objgen]])
    return out


def build(content: Path, out: Path, *args: str) -> Path:
    result = run_build("--content", str(content), "--output", str(out), "-q", *args)
    assert result.returncode == 0, result.stderr
    return out


@pytest.fixture(scope="module")
def assess_build(tmp_path_factory) -> Path:
    return build(ASSESS, tmp_path_factory.mktemp("assess-out"))


@pytest.fixture(scope="module")
def mini_editions(tmp_path_factory) -> Path:
    return build(MINI, tmp_path_factory.mktemp("mini-editions"), "--no-handouts",
                 "--format", "pdf")


def assert_same_pages(folder: Path) -> None:
    student = next(folder.glob("*-student-*.pdf"))
    teacher = next(folder.glob("*-teacher-*.pdf"))
    s_heads, t_heads = heading_pages(student), heading_pages(teacher)
    assert s_heads and t_heads[:len(s_heads)] == s_heads
    # every page of the body and the index (arabic numbers) is the same page
    s_pages, t_pages = labelled_pages(student), labelled_pages(teacher)
    body = [label for label in s_pages if label.isdigit()]
    assert len(body) > 10
    for label in body:
        assert t_pages[label] == s_pages[label], f"page {label} differs"
    extra = [label for label in t_pages if label not in s_pages]
    assert extra, "the teacher edition has no answer key"
    assert all(int(label) > int(body[-1]) for label in extra)
    return s_heads, t_heads


def test_teacher_edition_keeps_the_student_pages_mini(mini_editions):
    s_heads, t_heads = assert_same_pages(mini_editions)
    assert ("Answer key", str(int(s_heads[-1][1]) + 2)) in t_heads    # the index is 1 page


def test_teacher_edition_keeps_the_student_pages_assessed(assess_build):
    assert_same_pages(assess_build)


# the default guide's editions keep the same pages too, on A4 and on Letter: checked on
# the build of test_preflight.py's test_default_guide_passes_preflight


def test_answer_key_names_each_questions_page(assess_build):
    student = labelled_pages(next(assess_build.glob("*-student-a4.pdf")))
    teacher = labelled_pages(next(assess_build.glob("*-teacher-a4.pdf")))
    key = " ".join(text for label, text in teacher.items() if label not in student)
    assert key.startswith("Answer key") or "Answer key" in key[:200]
    found = re.findall(r"Question (\d) \(p\. (\d+)\)", key)
    assert len(found) == 5                       # four in chapter 1, one in chapter 2
    questions = ["Who first stated", "Was the alpha doctrine right", "How useful is the extract",
                 "Alpha failed because", "When did beta come into practice"]
    for (n, page), question in zip(found, questions):
        assert question in student[page], (n, page, question)
        assert question in key
    for text in TEACHER_ONLY:
        assert text in key, text
    # each "Question N (p. M)" is a link to page M
    assert {page for _, page in found} <= link_targets(next(assess_build.glob("*-teacher-a4.pdf")),
                                                       [label for label in teacher
                                                        if label not in student])
    everything = " ".join(student.values())
    for text in TEACHER_ONLY + ["Model answer", "Answer key"]:
        assert text not in everything, text


def test_chapter_prints_key_points_further_reading_marks_and_extract(assess_build):
    student = " ".join(labelled_pages(next(assess_build.glob("*-student-a4.pdf"))).values())
    assert "POINTS TO REMEMBER" in student.upper()   # the book's own label
    assert "KEY POINTS" not in student.upper()
    assert "The alpha doctrine was stated first, in 1901." in student
    assert "Further reading" in student
    assert "Reader (2010). A short modern survey of both sides." in student
    # cited only in further reading, it is in the bibliography
    assert "Reader, Rosa. 2010. Alpha and Beta Revisited" in student
    for marks in ("(2 MARKS)", "(12 MARKS)", "(8 MARKS)", "(20 MARKS)"):
        assert marks in student.upper()
    assert "Alpha comes first, and everything else follows from it. (Writer 1901, 12)" in student


def test_epub_prints_the_new_keys_without_answers(assess_build):
    with zipfile.ZipFile(next(assess_build.glob("*.epub"))) as z:
        chapter = z.read("EPUB/ch01.xhtml").decode("utf-8")
    assert 'class="key-points"' in chapter and "Points to remember" in chapter
    assert 'class="further-reading"' in chapter and "#ref-reader2010" in chapter
    assert "(12 marks)" in chapter
    assert '<blockquote class="extract">' in chapter
    for text in ANSWERS:
        assert text.replace("’", "'") not in chapter.replace("’", "'")


# -- worksheets ----------------------------------------------------------------------
def rules(page, width: float) -> int:
    """Horizontal rules at least half the page wide that a page draws."""
    ops = pikepdf.parse_content_stream(page)
    scale, count = 1.0, 0
    for i, (operands, op) in enumerate(ops):
        if str(op) == "cm":
            scale *= float(operands[0])
        elif str(op) == "m" and i + 1 < len(ops) and str(ops[i + 1][1]) == "l":
            (x0, y0), (x1, y1) = operands, ops[i + 1][0]
            if abs(float(y1) - float(y0)) < 0.01 and abs(float(x1) - float(x0)) * scale > width / 2:
                count += 1
    return count


def test_handouts_are_named_short_and_whole(assess_build):
    names = sorted(p.name for p in (assess_build / "handouts").iterdir())
    assert names == ["bm-exercise-reading-a4.pdf",      # no questions: no worksheet
                     "ch01-reading-a4.pdf", "ch01-worksheet-student-a4.pdf",
                     "ch01-worksheet-teacher-a4.pdf",
                     "ch02-reading-a4.pdf", "ch02-worksheet-student-a4.pdf",
                     "ch02-worksheet-teacher-a4.pdf"]


@pytest.mark.parametrize("chapter", ["ch01", "ch02"])
def test_worksheets(assess_build, chapter):
    folder = assess_build / "handouts"
    student = PdfReader(folder / f"{chapter}-worksheet-student-a4.pdf")
    teacher = PdfReader(folder / f"{chapter}-worksheet-teacher-a4.pdf")
    assert 1 <= len(student.pages) <= 4 and 1 <= len(teacher.pages) <= 2
    s_text = " ".join(text_of(p) for p in student.pages)
    t_text = " ".join(text_of(p) for p in teacher.pages)
    assert re.search(r"Name: .*Class: .*Date:", s_text)
    assert "Key terms" in s_text
    assert "Review questions" in s_text and "Review questions" in t_text
    for text in TEACHER_ONLY + ["Model answer", "In 1925."]:
        assert text not in s_text, text
    pdf = pikepdf.open(folder / f"{chapter}-worksheet-student-a4.pdf")
    width = float(pdf.pages[0].mediabox[2])
    drawn = sum(rules(page, width) for page in pdf.pages)
    if chapter == "ch01":
        assert "Alpha doctrine The doctrine that alpha comes first" in s_text
        # 3 + 12 + 8 + 24 lines for 2, 12, 8 and 20 marks, and what fills the pages
        assert drawn >= 3 + 12 + 8 + 24
        for text in TEACHER_ONLY:
            assert text in t_text, text
        assert "Mark schemes" in t_text and "Analysis questions" in t_text
    else:
        # a recall question without marks: four lines, and the rest of its one page
        assert drawn >= 4 and len(student.pages) == 1
        assert "In 1925." in t_text
        assert "Mark schemes" not in t_text
        # no source question: the chapter's first block quote, if any, is the extract
        assert "Source" not in s_text.split("Review questions")[0]
        key = pikepdf.open(folder / f"{chapter}-worksheet-teacher-a4.pdf")
        assert sum(rules(page, width) for page in key.pages) == 0   # no answer space


def test_reading_handout_is_the_chapter(assess_build):
    text = " ".join(text_of(p) for p in PdfReader(assess_build / "handouts" /
                                                  "ch01-reading-a4.pdf").pages)
    assert "Where alpha began" in text and "POINTS TO REMEMBER" in text.upper()
    for answer in ANSWERS:
        assert answer not in text


def test_handout_running_heads_are_one_short_line(assess_build):
    for path in sorted((assess_build / "handouts").glob("*.pdf")):
        reader = PdfReader(path)
        height = float(reader.pages[0].mediabox[3])
        for page in reader.pages:
            heads = []
            page.extract_text(visitor_text=lambda text, cm, tm, font, size: heads.append(
                (round(tm[5] * cm[3] + cm[5], 1), text)) if text.strip() else None)
            top = {y for y, _ in heads if y > height - 18 * 72 / 25.4}
            assert len(top) == 1, (path.name, top)
            head = " ".join("".join(t for y, t in heads if y in top).split())
            kind = "Reading" if "reading" in path.name else "Worksheet"
            assert kind in head, (path.name, head)
            if path.name.startswith("ch01"):     # the chapter's short title
                assert "Chapter 1 · Alpha and its critics" in head, head


def test_worksheet_shrinks_answer_space_to_four_pages(tmp_path):
    """A chapter with many long questions still fits its worksheet on two sheets (four
    pages), each question whole with at least three lines, the pages filled."""
    book = tmp_path / "book"
    shutil.copytree(ASSESS, book)
    chapter = book / "chapters" / "02-second.md"
    many = "".join(f"  - type: essay\n    question: Essay question number {n}, on beta?\n"
                   f"    answer: An answer.\n    marks: 25\n" for n in range(12))
    chapter.write_text(chapter.read_text().replace("questions:\n", "questions:\n" + many, 1))
    out = build(book, tmp_path / "out", "--edition", "student", "--format", "pdf")
    sheet = out / "handouts" / "ch02-worksheet-student-a4.pdf"
    pdf = pikepdf.open(sheet)
    assert len(pdf.pages) == 4
    text = " ".join(text_of(p) for p in PdfReader(sheet).pages)
    assert all(f"Essay question number {n}" in text for n in range(12))
    found, pages = answer_space(sheet)
    assert len(found) == 13 and all(n >= 3 for _, _, n in found), found
    # shrunk: twelve essays of 25 marks would want 24 lines each, 288 in all
    assert sum(n for _, _, n in found) < 12 * 24
    assert_fills_its_pages(sheet, pages)


def answer_space(path: Path) -> tuple[list[tuple[int, str, int]], list]:
    """A student worksheet's questions as printed: (page, label, ruled lines under it),
    read back from the PDF, and its pages (``preflight.read_pages``)."""
    from studyguide import preflight
    pages = preflight.read_pages(path)
    found = []
    for page in pages:
        labels = [ln for ln in page.body
                  if re.match(r"^\d+\.\s.*\b(RECALL|ANALYSIS|SOURCE|ESSAY)\b", ln.text)]
        # no answer space above a page's first question: none is split across pages
        assert not labels or not [t for t in page.rules if t < labels[0].top], \
            (path.name, page.number)
        for k, ln in enumerate(labels):
            below = labels[k + 1].top if k + 1 < len(labels) else page.height
            found.append((page.number, ln.text,
                          sum(1 for t in page.rules if ln.top < t < below)))
    return found, pages


def assert_fills_its_pages(path: Path, pages) -> None:
    """Every page of a worksheet is written or ruled down to the foot of its text block,
    less a line's pitch: none is left part empty."""
    for page in pages:
        bottom = max([ln.bottom for ln in page.body] + list(page.rules))
        assert bottom > page.height - (20 + 8 + 6) * 72 / 25.4, (path.name, page.number, bottom)


def test_worksheet_answer_space_follows_the_marks(assess_build):
    """A line a mark for analysis and source questions, more for an essay, at least three
    for recall; each question whole on its page; the pages filled."""
    folder = assess_build / "handouts"
    sheet = folder / "ch01-worksheet-student-a4.pdf"
    found, pages = answer_space(sheet)
    assert [re.search(r"[A-Z]{5,}", label).group() for _, label, _ in found] == [
        "RECALL", "ANALYSIS", "SOURCE", "ESSAY"]
    lines = [n for _, _, n in found]
    assert lines[0] >= 3 and lines[1] >= 12 and lines[2] >= 8 and lines[3] >= 24, found
    assert len(pages) <= 4
    assert_fills_its_pages(sheet, pages)
    one, pages = answer_space(folder / "ch02-worksheet-student-a4.pdf")
    assert len(one) == 1 and len(pages) == 1 and one[0][2] >= 4
    assert_fills_its_pages(folder / "ch02-worksheet-student-a4.pdf", pages)


# -- in process ----------------------------------------------------------------------
def test_first_sentence_keeps_markup():
    from studyguide.writers.pdf import first_sentence
    assert first_sentence("<p>The <em>NEP</em> began in 1921. It ended in 1928.</p>") == \
        "The <em>NEP</em> began in 1921."
    assert first_sentence("<p>One sentence only.</p>") == "One sentence only."
    assert first_sentence("<p>Lenin’s <a href='#x'>term</a>. Then more.</p>") == \
        'Lenin’s <a href="#x">term</a>.'


def test_answer_space_grows_with_type_and_marks():
    from studyguide.writers.pdf import answer_lines
    assert answer_lines({"type": "recall"}) < answer_lines({"type": "analysis"}) < \
        answer_lines({"type": "essay"})
    assert answer_lines({"type": "analysis", "marks": 4}) < \
        answer_lines({"type": "analysis", "marks": 12}) < answer_lines({"type": "essay", "marks": 25})
    # about a line a mark, more for an essay, at least three for recall
    assert answer_lines({"type": "analysis", "marks": 12}) == 12
    assert answer_lines({"type": "source", "marks": 8}) == 8
    assert answer_lines({"type": "essay", "marks": 16}) == 20
    assert answer_lines({"type": "recall", "marks": 1}) == 3


@pytest.mark.parametrize("name", ["a-small-assessed-book-teacher-a4.pdf",
                                  "handouts/ch01-worksheet-student-a4.pdf",
                                  "handouts/ch01-worksheet-teacher-a4.pdf"])
def test_answer_key_and_worksheets_keep_the_pdfua_rules(assess_build, name):
    """The answer key's and the worksheets' mark-scheme tables, answer space and
    name line are tagged as the rest of the book is (tests/test_pdfua.py's rules)."""
    from test_pdfua import RULES
    with pikepdf.open(assess_build / name) as pdf:
        for rule in RULES:
            assert rule(pdf) == [], (name, rule.__name__)


@pytest.mark.slow
def test_a_book_with_questions_and_no_index_has_a_teacher_edition(tmp_path):
    """A book with no glossary, key figures or index marks has no index: its answer key
    follows the body directly (the join waited for an index that never came)."""
    book = tmp_path / "book"
    (book / "chapters").mkdir(parents=True)
    (book / "book.yaml").write_text("title: Prueba\nlanguage: es\ndate: 2026-12-04\n"
                                    "chapters: [chapters/01-a.md]\n", encoding="utf-8")
    (book / "chapters" / "01-a.md").write_text(
        "---\ntitle: Prueba\nquestions:\n  - question: ¿Cuánto es dos más dos?\n"
        "    answer: Cuatro, sin duda.\n---\n## Uno\n\nTexto.\n", encoding="utf-8")
    out = tmp_path / "out"
    result = run_build("--content", str(book), "--output", str(out), "--format", "pdf",
                       "--edition", "teacher", "--no-handouts", "-q")
    assert result.returncode == 0, result.stderr
    text = " ".join(p.extract_text() for p in PdfReader(out / "prueba-teacher-a4.pdf").pages)
    assert "Cuatro, sin duda." in " ".join(text.split())


def test_first_sentence_ends_at_a_sentences_end_only():
    """A worksheet's short definition ends at its first sentence: not inside brackets or
    after an abbreviation ("approx. 0.1 g"), and in any script's capitals (Russian's)."""
    from studyguide.writers.pdf import first_sentence
    assert first_sentence("<p>Adenosine triphosphate (approx. 0.1 g per cell) carries "
                          "energy. It is recycled.</p>") == \
        "Adenosine triphosphate (approx. 0.1 g per cell) carries energy."
    assert first_sentence("<p>Compare cf. Marx on this. Then more.</p>") == \
        "Compare cf. Marx on this."
    assert first_sentence("<p>Щёлочь — растворимое основание. Пример: NaOH.</p>") == \
        "Щёлочь — растворимое основание."


def test_the_space_left_on_a_worksheet_page_is_shared_by_its_questions():
    """The lines that fit at a page's foot go to every question on it, by the space each
    was meant to have (an essay more than a short answer), the odd lines to the last: a
    two-mark question alone at the top of the last page took all of it (26 lines)."""
    from types import SimpleNamespace

    from studyguide.writers import pdf
    pitch = pdf.RULE_MM * 96 / 25.4
    doc = SimpleNamespace(id="ch03")

    def page(**marks):
        return SimpleNamespace(anchors={f"ch03-ws-{k}": (0, v) for k, v in marks.items()})
    floor = 1000.0
    document = SimpleNamespace(pages=[
        page(q1=300.0, q2=600.0, floor=600 + pitch / 2),            # no room: none
        page(q3=200.0, q4=floor - 13.5 * pitch, floor=floor),       # 13 lines spare
        page(q5=floor - 26.5 * pitch, end=floor - 26.5 * pitch, floor=floor)])
    more = pdf.fill_lines(document, doc, {1: 4, 2: 4, 3: 15, 4: 5, 5: 3})
    assert more[3] > more[4] and more[3] + more[4] == 13, more
    assert more[5] == 26 and 1 not in more and 2 not in more, more   # alone: all of it
    assert pdf.fill_lines(document, doc)[4] == 13                   # no weights: the last


def test_a_worksheet_lists_the_works_its_own_text_cites(book_copy):
    """A worksheet's works cited are those of what it prints: the student's sheet prints
    the key terms' definitions, the teacher's key does not, and listed a work that only
    a definition cited."""
    from conftest import rendered_book
    from studyguide.writers import pdf
    import json
    references = book_copy / "references.json"
    entries = json.loads(references.read_text(encoding="utf-8"))
    entries.append({"id": "critic1950", "type": "book", "title": "On Beta",
                    "author": [{"family": "Critic", "given": "Cy"}],
                    "issued": {"date-parts": [[1950]]}})
    references.write_text(json.dumps(entries), encoding="utf-8")
    glossary = book_copy / "data" / "glossary.yaml"
    glossary.write_text(glossary.read_text(encoding="utf-8").replace(
        "The theory that beta answers alpha.", "The theory that beta answers alpha "
        "[@critic1950]."), encoding="utf-8")
    rb, report = rendered_book(book_copy)
    assert not report.errors, report.errors
    doc = next(d for d in rb.docs if any(t == "Beta theory" for t, _ in d.key_terms))
    glossary_html = {g["id"]: g["definition"] for g in rb.glossary}
    terms = [(t, glossary_html[g]) for t, g in doc.key_terms if g in glossary_html]
    cited = {teacher: {r["id"] for r in pdf.handout_references(
        rb, pdf.worksheet_parts(doc, terms, "", teacher))} for teacher in (False, True)}
    assert cited[False] - cited[True] == {"ref-critic1950"}, cited


def test_a_worksheet_names_a_table_or_figure_it_refers_to_by_its_title(book_copy):
    """A worksheet holds the questions, not the chapter: a cross-reference in a question
    prints as plain text, and a numbered table or figure gains its title as a section
    does ("Figure 1.1, “Two strategies”"), with no page; in the reading handout, which
    holds them, they keep their page. A link's own text is left as written."""
    from pypdf import PdfReader
    import io

    from conftest import rendered_book
    from studyguide.writers import pdf
    chapter = book_copy / "chapters" / "01-first.md"
    chapter.write_text(chapter.read_text(encoding="utf-8").replace(
        "question: Was the alpha doctrine right?",
        "question: Using [](#fig-strategies), [](#tbl-ch01-compare), [](#sec-beta) and "
        "[the comparison](#tbl-ch01-compare), was the alpha doctrine right?"),
        encoding="utf-8")
    rb, report = rendered_book(book_copy)
    assert not report.errors, report.errors
    doc = next(d for d in rb.docs if d.path == chapter)
    table = rb.targets["tbl-ch01-compare"]
    sheet = " ".join(" ".join((p.extract_text() or "").split()) for p in PdfReader(
        io.BytesIO(pdf.render_worksheet(rb, doc, False, "A4"))).pages)
    assert ("Using Figure 1.1, “Two strategies”, "
            f"{table.label}, “{table.title}”, Section 1.2, “") in sheet, sheet
    assert "and the comparison, was" in sheet and "(p." not in sheet
    reading = " ".join(" ".join((p.extract_text() or "").split()) for p in PdfReader(
        io.BytesIO(pdf.render_handout(rb, doc, False, "A4"))).pages)
    assert "Using Figure 1.1 (p. " in reading, reading


def test_a_handout_names_a_generated_figure_by_the_caption_the_book_prints(book_copy):
    """A worksheet named a generated figure with no title of its own by its text
    alternative ("Figure 1.1, “A diagram with two columns: … right.”", a description
    for a screen reader, its full stop in the quotes) where the book captions it from
    its data (``caption:`` in strategies.yaml) or the labels (the timeline's): it
    names it by that caption, less what the book alone says ("The full timeline
    follows.", which no handout has)."""
    from pypdf import PdfReader
    import io

    from conftest import rendered_book
    from studyguide.writers import pdf
    chapter = book_copy / "chapters" / "01-first.md"
    chapter.write_text(chapter.read_text(encoding="utf-8").replace(
        "question: Was the alpha doctrine right?",
        "question: Using [](#fig-strategies) and [](#fig-events), was alpha right?").replace(
        '(figure:strategies "Two strategies")', "(figure:strategies)"), encoding="utf-8")
    add_to_chapter(book_copy, "![A line of dates from 1901 to 1930.](figure:timeline)"
                   "{#fig-events}")
    strategies = book_copy / "data" / "strategies.yaml"
    strategies.write_text(strategies.read_text(encoding="utf-8") +
                          "caption: Read across to compare *alpha* and beta.\n",
                          encoding="utf-8")
    book_yaml = book_copy / "book.yaml"       # the labels' own timeline caption
    book_yaml.write_text(re.sub(r"\n *timeline_caption:[^\n]*", "", book_yaml.read_text(
        encoding="utf-8")), encoding="utf-8")
    rb, report = rendered_book(book_copy)
    assert not report.errors, report.errors
    doc = next(d for d in rb.docs if d.path == chapter)
    sheet = " ".join(" ".join((p.extract_text() or "").split()) for p in PdfReader(
        io.BytesIO(pdf.render_worksheet(rb, doc, False, "A4"))).pages)
    events = rb.targets["fig-events"].label
    assert (f"Using Figure 1.1, “Read across to compare alpha and beta.” and {events}, "
            "“Key events.”, was alpha right?") in sheet, sheet


def cited_worksheet(tmp_path: Path, recalls: int, marks: int, monkeypatch):
    """The assessed book's second chapter asking ``recalls`` one-mark recall questions
    and an analysis question of ``marks`` marks that cites a work, and its student
    worksheet rendered in this process: (the PDF's path, whether the sheet laid out at
    the questions' sized lines left its works cited alone on a last page)."""
    from conftest import rendered_book
    from studyguide.writers import pdf
    book = tmp_path / "book"
    shutil.copytree(ASSESS, book)
    questions = "".join(f"  - type: recall\n    question: Name one claim of beta, number "
                        f"{n + 1}.\n    answer: A claim.\n    marks: 1\n"
                        for n in range(recalls))
    questions += (f"  - type: analysis\n    question: How far did beta follow alpha "
                  f"[@writer1901]?\n    answer: Far.\n    marks: {marks}\n")
    (book / "chapters" / "02-second.md").write_text(
        "---\ntitle: The Second Chapter\nsummary: The second chapter follows the Beta "
        "theory into practice.\nquestions:\n" + questions + "---\n\n## Beta in practice"
        "\n\nText.\n", encoding="utf-8")
    rb, report = rendered_book(book)
    assert not report.errors, report.errors
    doc = next(d for d in rb.docs if d.id == "ch02")
    layouts = []
    laid_out = pdf._handout_layout

    def recorded(*args, **kwargs):
        layouts.append(laid_out(*args, **kwargs))
        return layouts[-1]
    monkeypatch.setattr(pdf, "_handout_layout", recorded)
    sheet = tmp_path / "ch02-worksheet-student-a4.pdf"
    sheet.write_bytes(pdf.render_worksheet(rb, doc, False, "A4"))
    first = layouts[0][0]
    alone = max(pdf.question_pages(first, doc).values()) < len(first.pages) - 1
    return sheet, alone


def test_a_worksheets_works_cited_take_no_page_of_their_own(tmp_path, monkeypatch):
    """Questions at their least lines that filled the first page to its foot left the
    works cited a second page of their own (a heading and an entry, the rest blank, on
    the back of the sheet): the last question starts that page instead, its answer space
    the page's, and the space it left on the first is the other questions'."""
    sheet, alone = cited_worksheet(tmp_path, 4, 6, monkeypatch)
    assert alone, "the fixture no longer leaves the works cited alone: adjust it"
    found, pages = answer_space(sheet)
    texts = [text_of(p) for p in PdfReader(sheet).pages]
    assert len(pages) == 2 and "Works cited" in texts[1], texts
    assert [page for page, _, _ in found] == [1, 1, 1, 1, 2], found
    assert found[-1][2] > 6 and all(n > 3 for _, _, n in found[:-1]), found
    assert_fills_its_pages(sheet, pages)


def test_a_worksheet_fits_its_works_cited_where_its_questions_can_give_lines(
        tmp_path, monkeypatch):
    """Works cited that spilled onto a page of their own fit on the page before when its
    questions give up lines down to their type's least (an analysis question's six): one
    page, filled, and the question gets back what the works cited leave."""
    sheet, alone = cited_worksheet(tmp_path, 3, 11, monkeypatch)
    assert alone, "the fixture no longer leaves the works cited alone: adjust it"
    found, pages = answer_space(sheet)
    assert len(pages) == 1 and "Works cited" in text_of(PdfReader(sheet).pages[0])
    assert len(found) == 4 and 6 <= found[-1][2] < 11 and \
        all(n >= 3 for _, _, n in found), found
    assert_fills_its_pages(sheet, pages)


def test_a_handouts_reference_to_another_chapter_keeps_its_label_whole(book_copy):
    """In a handout, a cross-reference to what it does not hold is plain text; its
    filled-in label stays unbreakable as in the book ("Chapter" at a line's end and "2,
    “The Second…”" on the next, in a reading handout). A link's own text breaks as text."""
    from conftest import rendered_book
    from studyguide.writers import pdf
    rb, report = rendered_book(book_copy)
    assert not report.errors, report.errors
    label = rb.targets["ch02"].label
    html = pdf.localise_links(
        f'<html><body><p>See <a class="xref" href="#ch02">{label}, “Two”</a>, '
        f'<a class="xref" href="#fig-strategies">{rb.targets["fig-strategies"].label}</a> '
        '<a href="#ch02">the next one</a>.</p></body></html>', rb)
    p = lxml_html.document_fromstring(html).find(".//p")
    assert [s.text for s in p.iter("span")] == [label, rb.targets["fig-strategies"].label]
    assert p.text_content() == (f"See {label}, “Two”, Figure 1.1, “Two strategies” "
                                "the next one.")
    assert not p.findall(".//a")


def test_a_scheme_title_that_ends_with_its_marks_does_not_print_them_twice(tmp_path):
    """A teacher wrote "Describe (4 marks)" as a scheme's title and the answer key
    printed "Describe (4 marks) (4 marks)": the marks follow a title that does not end
    with them already."""
    import shutil

    from lxml import html as lxml_html

    from conftest import rendered_book
    from studyguide import paths
    from studyguide.writers import pdf
    book = tmp_path / "book"
    shutil.copytree(paths.STARTER, book)
    schemes = book / "data" / "mark_schemes.yaml"
    schemes.write_text(schemes.read_text(encoding="utf-8").replace(
        "title: Analysis questions", "title: Analysis questions (10 Marks)"), encoding="utf-8")
    rb, report = rendered_book(book)
    assert not report.errors, report.errors
    doc = lxml_html.document_fromstring(pdf.answers_source(rb, "A4"))
    titles = [" ".join(h.text_content().split())
              for h in doc.xpath('//*[contains(@class, "scheme-title")]')]
    assert titles == ["Analysis questions (10 Marks)", "Essays (20 marks)"], titles
