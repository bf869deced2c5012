#!/usr/bin/env python3
"""Benchmark: the builder against pandoc, and against itself, as ratios in one run.

    .venv/bin/python bench/run.py [--quick]

1. Cold build of the default guide (student PDF + EPUB, no cache) against pandoc 3.9
   (pypandoc_binary) building the same book as plain Markdown (``synthetic.plain_markdown``)
   to EPUB and to PDF with --pdf-engine=weasyprint; each side several times, alternating,
   and the medians compared. Target: ratio <= 0.7. A second peer, the same Markdown
   through pandoc to Typst and typeset by Typst (the ``typst`` package), alternates with
   them.
2. Rebuild after editing one paragraph of one chapter, against the cold build (every
   output: both editions, handouts, EPUB); a different edit each round, the median of
   the rounds. Target: <= 0.2.
3. No-change rebuild: target <= 1 second.
3b. In a running ``studyguide serve``: save -> the edited chapter's HTML re-rendered (the
   event that reloads the open page), and save -> the student PDF rebuilt in the
   background; medians over several different edits, as ratios of the cold build.
   Targets: HTML <= 1 s; student PDF about 2 s. (``--serve-only``: the cold build and
   this alone.)
4. Synthetic books of about 100 and 1,000 pages: time ratio (target <= 11, linear) and
   peak memory of the 1,000-page build (target <= 1.5 GB).
5. ``--mechanisms``: what each speed mechanism of the engine buys (``mechanism_rows``), on
   the default guide or ``--book``; its report goes to bench/results/mechanisms.md.
Writes a Markdown report to bench/results/latest.md and prints it.
"""
from __future__ import annotations

import argparse
import os
import platform
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))
from synthetic import make_book, plain_markdown  # noqa: E402

PY = sys.executable


def timed(cmd: list[str], **kw) -> tuple[float, int]:
    """Wall seconds and the peak resident memory (kB) of the command's processes."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    start = time.perf_counter()
    proc = subprocess.run(cmd, capture_output=True, text=True, **kw)
    seconds = time.perf_counter() - start
    if proc.returncode != 0:
        raise SystemExit(f"failed: {' '.join(cmd)}\n{proc.stderr[-2000:]}")
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return seconds, max(peak, before)


def peak_of(cmd: list[str]) -> tuple[float, int]:
    """Run in a fresh interpreter so that ru_maxrss belongs to this build alone."""
    code = ("import resource,subprocess,sys,time;t=time.perf_counter();"
            f"p=subprocess.run({cmd!r},capture_output=True);"
            "d=time.perf_counter()-t;"
            "sys.exit(p.returncode) if p.returncode else "
            "print(d, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)")
    out = subprocess.run([PY, "-c", code], capture_output=True, text=True)
    if out.returncode:
        raise SystemExit(f"failed: {' '.join(cmd)}")
    seconds, kb = out.stdout.split()
    return float(seconds), int(kb)


def ours(content: Path, out: Path, *extra: str) -> list[str]:
    return [PY, str(ROOT / "build.py"), "--content", str(content), "--output", str(out), "-q",
            *extra]


def pandoc_cmds(content: Path, work: Path) -> list[list[str]]:
    import pypandoc
    pandoc = pypandoc.get_pandoc_path()
    md = work / "book.md"
    md.write_text(plain_markdown(content))
    common = [pandoc, str(md), "--citeproc", "--bibliography", str(content / "references.json"),
              "--toc", "-M", f"title={content.name}", "-M", "lang=en-GB"]
    return [common + ["-o", str(work / "book.epub")],
            common + ["--pdf-engine=weasyprint", "-o", str(work / "book.pdf")]]


def pandoc_typst(content: Path, work: Path) -> float:
    """Wall seconds of the second peer: the same plain Markdown through pandoc to Typst
    (``pandoc -t typst``), typeset by Typst (the ``typst`` package, in a process of its
    own). Typst refuses what the plain Markdown leaves dangling and WeasyPrint passes
    over (a picture drawn from data, links to the index and other parts it has no
    Markdown for): each picture is a blank 4x3 image, each missing label an empty one."""
    import re

    import pypandoc
    from PIL import Image
    md, typ, pdf = work / "book.md", work / "typst" / "book.typ", work / "typst" / "book.pdf"
    typ.parent.mkdir(exist_ok=True)
    md.write_text(plain_markdown(content))
    seconds, _ = timed([pypandoc.get_pandoc_path(), str(md), "--citeproc", "--bibliography",
                        str(content / "references.json"), "--toc", "-s", "-t", "typst",
                        "-M", f"title={content.name}", "-M", "lang=en-GB", "-o", str(typ)])
    start = time.perf_counter()
    text = typ.read_text()
    for name in set(re.findall(r'image\("([^"]+)"', text)):
        if not (typ.parent / name).exists():
            Image.new("RGB", (4, 3), "white").save(typ.parent / name, format="PNG")
    labels = set(re.findall(r"(?<![(\w])<([\w:.-]+)>", text))
    missing = sorted(set(re.findall(r"link\(<([^>]+)>\)", text)) - labels)
    typ.write_text(text + "".join(f"\n#metadata(none) <{m}>" for m in missing) + "\n")
    seconds += time.perf_counter() - start
    seconds += timed([PY, "-c", "import sys, typst; typst.compile(sys.argv[1], output=sys.argv[2])",
                      str(typ), str(pdf)])[0]
    return seconds


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--quick", action="store_true", help="skip the 1,000-page book")
    ap.add_argument("--serve-only", action="store_true",
                    help="only the cold build (all outputs) and the live preview's times")
    ap.add_argument("--mechanisms", action="store_true",
                    help="only what each speed mechanism buys (writers/engine's switches)")
    ap.add_argument("--book", type=Path, default=ROOT / "content",
                    help="the book --mechanisms builds (default: the default guide)")
    ap.add_argument("--rounds", type=int, default=3,
                    help="cold builds of each side, alternating, and edits (default 3)")
    args = ap.parse_args()
    os.environ["PATH"] = f"{Path(PY).parent}{os.pathsep}{os.environ['PATH']}"  # weasyprint CLI
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        content = tmp / "content"
        shutil.copytree(ROOT / "content", content)

        if args.mechanisms:
            book = tmp / "book"
            shutil.copytree(args.book, book)
            return report(mechanism_rows(book, tmp, args.rounds), "mechanisms.md")

        if args.serve_only:
            full_cold, _ = timed(ours(content, tmp / "o2", "--cache", str(tmp / "cache")))
            rows.append(("Cold build (all outputs)", f"{full_cold:.1f} s", None, ""))
            rows += serve_rows(content, tmp, full_cold, max(args.rounds, 3))
            return report(rows)

        # 1. cold build vs pandoc, alternating, the median of each (the machine is shared)
        colds, pandocs, typsts = [], [], []
        for _ in range(args.rounds):
            colds.append(timed(ours(content, tmp / "o1", "--no-cache", "--edition", "student",
                                    "--no-handouts"))[0])
            pandocs.append(sum(timed(cmd)[0] for cmd in pandoc_cmds(content, tmp)))
            typsts.append(pandoc_typst(content, tmp))
        cold, pandoc = statistics.median(colds), statistics.median(pandocs)
        rows.append((f"Cold build, student PDF + EPUB, vs pandoc (EPUB + PDF via WeasyPrint); "
                     f"median of {args.rounds}", f"{cold:.1f} s / {pandoc:.1f} s", cold / pandoc,
                     "≤ 0.7"))
        rows.append(typst_row(cold, statistics.median(typsts), args.rounds,
                              tmp / "typst" / "book.pdf"))
        ours_pdf, theirs_pdf = next((tmp / "o1").glob("*.pdf")), tmp / "book.pdf"
        rows.append(("The two PDFs: pages, characters of text",
                     f"{_pages(ours_pdf)} pages, {_chars(ours_pdf):,} / "
                     f"{_pages(theirs_pdf)} pages, {_chars(theirs_pdf):,}", None, ""))

        # 2. edit one paragraph, every output, against a cold build of every output; a
        # different edit each round (each must render), the median of the rounds
        cache = tmp / "cache"
        full_cold, _ = timed(ours(content, tmp / "o2", "--cache", str(cache)))
        chapter = content / "chapters" / "05-origins-of-socialism-in-one-country.md"
        text = chapter.read_text()
        first_para = next(l for l in text.split("\n\n") if l and l[0].isalpha())
        edits = []
        for n in range(args.rounds):
            chapter.write_text(text.replace(first_para, f"{first_para} (Edited {n + 1}.)", 1))
            edits.append(timed(ours(content, tmp / "o2", "--cache", str(cache)))[0])
        edit = statistics.median(edits)
        rows.append((f"Rebuild after editing one paragraph vs cold build (all outputs); "
                     f"median of {args.rounds} edits",
                     f"{edit:.1f} s / {full_cold:.1f} s", edit / full_cold, "≤ 0.2"))

        # 3. no change
        nochange, _ = timed(ours(content, tmp / "o2", "--cache", str(cache)))
        rows.append(("No-change rebuild", f"{nochange:.2f} s", None, "≤ 1 s"))

        rows += serve_rows(content, tmp, full_cold, max(args.rounds, 3))

        # 4. synthetic books
        small = make_book(tmp / "s100", 100)
        t100, m100 = peak_of(ours(small, tmp / "so", "--no-cache", "--edition", "student",
                                  "--no-handouts"))
        pages100 = _pages(next((tmp / "so").glob("*.pdf")))
        rows.append((f"Synthetic book, {pages100} pages", f"{t100:.1f} s, peak {m100 / 1024:.0f} MB",
                     None, ""))
        if not args.quick:
            big = make_book(tmp / "s1000", 1000)
            t1000, m1000 = peak_of(ours(big, tmp / "bo", "--no-cache", "--edition", "student",
                                        "--no-handouts"))
            pages1000 = _pages(next((tmp / "bo").glob("*.pdf")))
            rows.append((f"Synthetic book, {pages1000} pages, time vs the {pages100}-page book",
                         f"{t1000:.1f} s", t1000 / t100, "≤ 11"))
            rows.append((f"Peak memory, {pages1000}-page book (largest process)",
                         f"{m1000 / 1024:.0f} MB", None, "≤ 1,536 MB"))

    return report(rows)


def typst_row(cold: float, typst: float, rounds: int, pdf: Path) -> tuple:
    return (f"Cold build, student PDF + EPUB, vs pandoc -> Typst (PDF: {_pages(pdf)} pages, "
            f"{_chars(pdf):,} characters); median of {rounds}",
            f"{cold:.1f} s / {typst:.1f} s", cold / typst, "")


def report(rows, name: str = "latest.md") -> int:
    lines = ["| measure | figures | ratio | target |", "| --- | --- | --- | --- |"]
    for measure, figures, ratio, target in rows:
        lines.append(f"| {measure} | {figures} | {'' if ratio is None else f'{ratio:.2f}' if ratio >= 0.1 else f'{ratio:.3f}'} | {target} |")
    machine = (f"{platform.node() and 'Linux'} {platform.machine()}, {os.cpu_count()} cores, "
               f"Python {platform.python_version()}, {time.strftime('%Y-%m-%d')}")
    text = "\n".join(lines) + f"\n\nMachine: {machine}\n"
    (HERE / "results").mkdir(exist_ok=True)
    (HERE / "results" / name).write_text(text)
    print(text)
    return 0


def _as_at_a_terminal() -> None:
    """The server started as at a terminal, where Ctrl-C (SIGINT) stops it, even when
    this bench runs as a background job, whose SIGINT is ignored and would be
    inherited."""
    import signal
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def serve_rows(content: Path, tmp: Path, cold: float, rounds: int) -> list:
    """Save -> HTML and save -> student PDF in a running ``studyguide serve``: the time
    from each save to the server's event that carries the edited page's new digest, and
    to its line saying the student PDF is built; medians of ``rounds`` different edits."""
    import http.client
    import json
    import queue
    import re
    import signal
    import threading
    cache = tmp / "cache"                # the cold build's: a session that has built once
    proc = subprocess.Popen([PY, "-m", "studyguide", "serve", str(content), "--port", "0",
                             "--output", str(tmp / "o3"), "--cache", str(cache)],
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                            start_new_session=True, preexec_fn=_as_at_a_terminal)
    lines: queue.Queue = queue.Queue()
    said: list[str] = []                 # all it printed, for a failure's report

    def read() -> None:
        for line in proc.stdout:
            said.append(line.rstrip())
            lines.put((time.perf_counter(), line))
    threading.Thread(target=read, daemon=True).start()

    def wait_for(text: str, timeout: float = 900) -> float:
        while True:
            when, line = lines.get(timeout=timeout)
            if text in line:
                return when
    try:
        port = None
        while port is None:
            _, line = lines.get(timeout=300)
            m = re.search(r"http://127\.0\.0\.1:(\d+)/", line)
            port = int(m.group(1)) if m else None
        wait_for("built the other outputs")    # all built, as in an editing session
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
        conn.request("GET", "/_/events")
        stream = conn.getresponse()

        def state() -> dict:
            while True:
                line = stream.fp.readline().decode()
                if line.startswith("data: "):
                    return json.loads(line[6:])
        page = "ch05.xhtml"
        before = state()["pages"][page]
        chapter = content / "chapters" / "05-origins-of-socialism-in-one-country.md"
        text = chapter.read_text()
        para = [p for p in text.split("\n\n") if p and p[0].isalpha()]
        htmls, pdfs = [], []
        for n in range(rounds):
            chapter.write_text(text.replace(para[n + 1], f"{para[n + 1]} (Saved {n + 1}.)", 1))
            saved = time.perf_counter()
            while (now := state()["pages"][page]) == before:
                pass
            htmls.append(time.perf_counter() - saved)
            before = now
            pdfs.append(wait_for("built the student PDF") - saved)
        conn.close()
    except BaseException:
        print("the server said, last:", *said[-20:], sep="\n  ", file=sys.stderr)
        raise
    finally:
        proc.send_signal(signal.SIGINT)
        try:
            proc.wait(timeout=60)
        except subprocess.TimeoutExpired:    # (not in place of the error that ended it)
            proc.kill()
            proc.wait()
            print("the server did not stop within 60 s of Ctrl-C; it said, last:",
                  *said[-20:], sep="\n  ", file=sys.stderr)
    html, pdf = statistics.median(htmls), statistics.median(pdfs)
    return [(f"Live preview: save -> the edited chapter's HTML vs cold build (all outputs); "
             f"median of {rounds} edits", f"{html:.2f} s / {cold:.1f} s", html / cold, "≤ 1 s"),
            (f"Live preview: save -> student PDF in the background vs cold build; median of "
             f"{rounds} edits", f"{pdf:.1f} s / {cold:.1f} s", pdf / cold, "about 2 s")]


def cpu_timed(cmd: list[str], env: dict) -> tuple[float, float]:
    """Wall seconds and processor seconds (user and system) of a command and every
    process it starts (its session, read from /proc while it runs: the workers of its
    pool are not all waited for by the command itself)."""
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                            start_new_session=True)
    ticks: dict[int, int] = {}
    while proc.poll() is None:
        for entry in os.listdir("/proc"):
            if not entry.isdigit():
                continue
            try:
                stat = (Path("/proc") / entry / "stat").read_text()
            except OSError:
                continue
            fields = stat[stat.rindex(")") + 2:].split()
            if int(fields[3]) == proc.pid:                  # in the command's session
                ticks[int(entry)] = int(fields[11]) + int(fields[12])
        time.sleep(0.1)
    seconds = time.perf_counter() - start
    if proc.returncode != 0:
        raise SystemExit(f"failed: {' '.join(cmd)}\n{proc.stderr.read()[-2000:]}")
    return seconds, sum(ticks.values()) / os.sysconf("SC_CLK_TCK")


def mechanism_rows(content: Path, tmp: Path, rounds: int) -> list:
    """What each speed mechanism of the engine (``studyguide/writers/engine.py``) buys,
    on a book's student PDF + EPUB: the cold build (an empty cache) and the rebuild after
    a one-paragraph edit of its first chapter (with that cache), with every mechanism on
    and with each turned off alone (``STUDYGUIDE_ENGINE_OFF``), one configuration after
    the other in each round, medians of the rounds. Each is measured in wall time and in
    processor time (every process of the build); a share is the time a mechanism saves,
    as a part of the time without it. On a machine that other work shares, the
    processor time is the steadier measure."""
    sys.path.insert(0, str(ROOT))
    from studyguide.writers.engine import MECHANISMS, OFF, PRIVATE
    configs = ["", *MECHANISMS]
    chapter = sorted((content / "chapters").glob("*.md"))[0]
    text = chapter.read_text()
    first_para = next(p for p in text.split("\n\n") if p and p[0].isalpha())
    times: dict[tuple[str, str], list[tuple[float, float]]] = {}
    student = ("--edition", "student", "--no-handouts")
    for n in range(rounds):
        for off in configs:
            env = {**os.environ, OFF: off}
            cache = tmp / f"mcache-{n}-{off or 'all'}"
            chapter.write_text(text)
            times.setdefault(("cold", off), []).append(cpu_timed(
                ours(content, tmp / "m1", "--cache", str(cache), *student), env))
            chapter.write_text(text.replace(first_para, f"{first_para} (Edit {n + 1}.)", 1))
            times.setdefault(("edit", off), []).append(cpu_timed(
                ours(content, tmp / "m1", "--cache", str(cache), *student), env))
            shutil.rmtree(cache)
            print(f"round {n + 1}, off: {off or '-'}: cold {times['cold', off][-1]}, "
                  f"edit {times['edit', off][-1]}", file=sys.stderr, flush=True)
    chapter.write_text(text)

    def median(measure: str, off: str) -> tuple[float, float]:
        runs = times[measure, off]
        return (statistics.median(w for w, _ in runs), statistics.median(c for _, c in runs))
    (cw, cc), (ew, ec) = median("cold", ""), median("edit", "")
    rows = [(f"{content.name}: every mechanism on, cold build / rebuild after an edit "
             f"(student PDF + EPUB), wall (processor); medians of {rounds}",
             f"{cw:.1f} s ({cc:.1f} s) / {ew:.1f} s ({ec:.1f} s)", None, "")]
    for name in MECHANISMS:
        (w1, c1), (w2, c2) = median("cold", name), median("edit", name)
        kind = "private" if name in PRIVATE else "public"
        rows.append((f"Without `{name}` ({kind}): cold / edit, wall (processor); "
                     "what it saves of each, wall (processor)",
                     f"{w1:.1f} s ({c1:.1f} s) / {w2:.1f} s ({c2:.1f} s); "
                     f"{(w1 - cw) / w1:.0%} ({(c1 - cc) / c1:.0%}), "
                     f"{(w2 - ew) / w2:.0%} ({(c2 - ec) / c2:.0%})",
                     None, "≥ 5 %" if name in PRIVATE else ""))
    return rows


def _chars(pdf: Path) -> int:
    """Characters of text in a PDF, spaces and line ends not counted."""
    text = subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True,
                          check=True).stdout
    return len("".join(text.split()))


def _pages(pdf: Path) -> int:
    from pypdf import PdfReader
    return len(PdfReader(pdf).pages)


if __name__ == "__main__":
    sys.exit(main())
