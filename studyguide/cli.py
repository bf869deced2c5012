"""The command line: ``studyguide new|build|watch|check`` and the repository's ``build.py``.

``studyguide`` works on the book in a folder (the current one by default), writing to
``FOLDER/output`` and caching in ``FOLDER/.cache``. ``build.py`` builds this repository's
own guide (``content/`` into ``output/``) with the options it has always had.
"""
from __future__ import annotations

import argparse
import functools
import shutil
import sys
import traceback
import uuid
from datetime import date
from pathlib import Path

from . import __version__
from .errors import BuildError, Diagnostic

COMMANDS = {
    "new": "start a book: a small complete book that shows every feature, to edit",
    "build": "build the book: the PDFs, the handouts and the EPUB it declares",
    "watch": "build the book, then again whenever a file in it is saved",
    "serve": "show the book in a browser as HTML, reloaded on every save, the PDFs "
             "rebuilt in the background",
    "check": "check the book's content, reporting every error and warning, without "
             "typesetting anything",
}


# -- parsers ------------------------------------------------------------------------
PAPERS = ("A4", "Letter")    # schema.PAPER_SIZES, without loading the schema to start


def _paper(name):
    """A paper size named in any case ("letter", "a4") as it is spelled ("Letter")."""
    from .schema import paper_size
    return paper_size(name) or name


def _common(p: argparse.ArgumentParser, top: bool) -> None:
    """-v/--debug and -q, accepted before and after the subcommand's name."""
    default = False if top else argparse.SUPPRESS
    p.add_argument("-v", "--debug", action="store_true", default=default,
                   help="on an unexpected failure (a bug), print its traceback")
    if not top:
        p.add_argument("-q", "--quiet", action="store_true", default=False,
                       help="print only problems")


def _render_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--format", action="append", choices=["pdf", "epub"], dest="formats",
                   help="build this format; repeat for several (default: the book's "
                        "outputs:); the command line overrides the book")
    p.add_argument("--paper", action="append", choices=PAPERS, dest="papers", type=_paper,
                   help="paper size of the PDFs; repeat for both (default: the book's "
                        "paper:); the command line overrides the book")
    p.add_argument("--edition", action="append", choices=["student", "teacher"],
                   dest="editions", help="build only this edition (default: both)")
    p.add_argument("--no-handouts", action="store_true", help="skip the per-chapter handouts")
    p.add_argument("--no-preflight", action="store_true",
                   help="do not read the PDFs back for makeup defects (the print preflight)")
    p.add_argument("--strict", action="store_true", help="treat warnings as errors")
    p.add_argument("-j", "--jobs", type=int, default=0, metavar="N",
                   help="parallel render processes (default: one per core)")
    p.add_argument("--no-cache", action="store_true",
                   help="render everything afresh and keep nothing")


def parser() -> argparse.ArgumentParser:
    """The ``studyguide`` command."""
    p = argparse.ArgumentParser(
        prog="studyguide",
        description="Build study guides from Markdown and YAML into a typeset print PDF "
                    "(student and teacher editions, per-chapter handouts) and an EPUB 3.",
        epilog="Start with: studyguide new my-guide && cd my-guide && studyguide build")
    p.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    _common(p, top=True)
    sub = p.add_subparsers(dest="command", required=True, metavar="COMMAND",
                           title="commands (studyguide COMMAND --help for each)")
    for name, summary in COMMANDS.items():
        s = sub.add_parser(name, help=summary, description=summary[0].upper() + summary[1:] + ".")
        _common(s, top=False)
        if name == "new":
            s.add_argument("folder", type=Path, metavar="DIR",
                           help="the book's folder: a new or empty one")
            continue
        s.add_argument("folder", type=Path, metavar="DIR", nargs="?", default=Path("."),
                       help="the book's folder, with its book.yaml (default: this folder)")
        if name == "check":
            s.add_argument("--strict", action="store_true", help="treat warnings as errors")
            continue
        s.add_argument("--output", type=Path, metavar="DIR",
                       help="where to write the outputs (default: DIR/output)")
        s.add_argument("--cache", type=Path, metavar="DIR",
                       help="where rendered outputs are cached by content hash "
                            "(default: DIR/.cache)")
        _render_options(s)
        if name == "serve":
            _serve_options(s)
    return p


def _serve_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--port", type=int, default=8000, metavar="N",
                   help="the preview's port (default: 8000; 0: any free one)")
    p.add_argument("--bind", default="127.0.0.1", metavar="ADDRESS",
                   help="the address to listen on (default: 127.0.0.1, this machine only)")


def script_parser(project: Path) -> argparse.ArgumentParser:
    """``build.py``: this repository's guide, from content/ into output/."""
    p = argparse.ArgumentParser(
        prog="build.py",
        description="Build a study guide: a print PDF (student and teacher editions, "
                    "per-chapter handouts) and an EPUB 3, from a content folder.")
    p.add_argument("--content", type=Path, default=project / "content", metavar="DIR",
                   help="the book's content folder (default: content/)")
    p.add_argument("--output", type=Path, default=project / "output", metavar="DIR",
                   help="where to write the outputs (default: output/)")
    p.add_argument("--cache", type=Path, default=project / ".cache", metavar="DIR",
                   help="where rendered outputs are cached by content hash (default: .cache/)")
    _render_options(p)
    p.add_argument("-q", "--quiet", action="store_true", help="print only problems")
    p.add_argument("--watch", action="store_true",
                   help="rebuild whenever a file in the content folder changes")
    p.add_argument("--serve", action="store_true",
                   help="show the book in a browser as HTML, reloaded on every save, the "
                        "PDFs rebuilt in the background")
    _serve_options(p)
    _common(p, top=True)
    p.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    return p


def options_from(args, content: Path, output: Path, cache: Path):
    from .builder import Options
    return Options(content=content.resolve(), output=output.resolve(),
                   formats=tuple(dict.fromkeys(args.formats or ())),
                   papers=tuple(dict.fromkeys(args.papers or ())),
                   editions=tuple(dict.fromkeys(args.editions or ("student", "teacher"))),
                   handouts=not args.no_handouts, strict=args.strict, jobs=args.jobs,
                   preflight=not args.no_preflight,
                   cache=None if args.no_cache else cache.resolve())


# -- messages -----------------------------------------------------------------------
def failure(diagnostics: list[Diagnostic], strict: bool, what: str = "build") -> str:
    """The summary line of a failed run: what failed it, counted."""
    errors = sum(d.severity == "error" for d in diagnostics)
    warnings = sum(d.severity == "warning" for d in diagnostics)
    counts = [f"{errors} error(s)"] if errors else []
    if strict and warnings:
        counts.append(f"{warnings} warning(s) under --strict")
    return f"{what} failed: " + (" and ".join(counts) or "see above")


def overrides(opts) -> list[str]:
    """A note for every explicit --format or --paper that the book does not declare, or
    that leaves out what it declares: the command line wins over book.yaml, and says so."""
    from .errors import Reporter
    from .loader import FORMATS, PAPER_SIZES
    from .readers import line_of, read_yaml
    path = opts.content / "book.yaml"
    data = read_yaml(path, Reporter(opts.content)) if path.is_file() else None
    if not isinstance(data, dict):
        return []                # the build reports what is wrong with book.yaml
    notes = []
    for option, asked, key, default, valid in (
            ("--format", opts.formats, "outputs", ["pdf", "epub"], FORMATS),
            ("--paper", opts.papers, "paper", "A4", PAPER_SIZES)):
        declared = data.get(key, default)
        declared = _paper(declared) if key == "paper" else declared
        listed = declared if isinstance(declared, list) else [declared]
        if not all(isinstance(v, str) and v in valid for v in listed):
            continue             # book.yaml's own error, which the build reports
        extra = [value for value in asked if value not in listed]
        if asked and set(asked) != set(listed):
            shown = f"[{', '.join(listed)}]" if isinstance(declared, list) else declared
            notes.append(str(Diagnostic(
                _rel(path), line_of(data, key) if key in data else 0,
                f"{option} {' '.join(extra or asked)}: the command line overrides the book's "
                f"{key}: {shown}", "note")))
    return notes


def _rel(path: Path) -> str:
    try:
        return str(path.resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(path)


def unexpected(exc: Exception, debug: bool) -> int:
    """A bug or an environment problem: one clean line, or with -v the traceback."""
    if debug:
        traceback.print_exception(exc, file=sys.stderr)
    print(f"error: {type(exc).__name__}: {exc}"
          + ("" if debug else " (run with -v for the traceback)"), file=sys.stderr)
    return 1


def tracebacks(exc: BuildError, debug: bool) -> None:
    """With -v, the tracebacks of the unexpected failures among a build's errors."""
    if debug:
        for trace in exc.tracebacks:
            print(trace, file=sys.stderr)


# -- commands -----------------------------------------------------------------------
def run_once(opts, quiet: bool, debug: bool = False) -> int:
    from .builder import build
    from .progress import reporter
    if not quiet:
        for note in overrides(opts):
            print(note, file=sys.stderr)
    try:
        with reporter(quiet) as progress:
            result = build(opts, progress)
    except BuildError as exc:
        tracebacks(exc, debug)
        for d in exc.diagnostics:
            print(d, file=sys.stderr)
        print(failure(exc.diagnostics, opts.strict) + "; outputs left unchanged",
              file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("build interrupted; outputs left unchanged", file=sys.stderr)
        return 130
    except Exception as exc:
        return unexpected(exc, debug)
    for w in result.warnings:
        print(w, file=sys.stderr)
    if result.removed and not quiet:
        print(f"removed {len(result.removed)} file(s) an earlier build made and this one no "
              f"longer makes: {', '.join(_rel(p) for p in result.removed)}")
    if not quiet:
        if result.unchanged:
            print(f"nothing changed: {len(result.outputs)} file(s) in {_rel(opts.output)} "
                  f"are up to date ({result.seconds:.2f} s)")
        else:
            print(f"built {len(result.outputs)} file(s) ({result.rendered} rendered, "
                  f"{len(result.outputs) - result.rendered} from cache) in "
                  f"{result.seconds:.1f} s into {_rel(opts.output)}")
    return 0


def build_or_watch(opts, args) -> int:
    if not opts.content.is_dir():
        print(f"{_rel(opts.content)}: error: content folder not found", file=sys.stderr)
        return 1
    once = functools.partial(run_once, debug=args.debug)
    if args.command == "serve" or getattr(args, "serve", False):
        from .serve import serve
        return serve(opts, args.quiet, args.port, args.bind)
    if args.command == "watch" or getattr(args, "watch", False):
        from .watch import watch
        return watch(opts, args.quiet, once)
    return once(opts, args.quiet)


def new(args) -> int:
    """Copy the starter book into a new or empty folder, with its own identifier and date."""
    from .paths import STARTER
    dest: Path = args.folder
    if dest.exists() and (not dest.is_dir() or any(dest.iterdir())):
        print(f"{_rel(dest)}: error: not an empty folder; 'studyguide new' writes a book "
              "only into a new or empty folder, so that nothing is overwritten",
              file=sys.stderr)
        return 1
    try:
        shutil.copytree(STARTER, dest, dirs_exist_ok=True,
                        ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
        book = dest / "book.yaml"
        book.write_text(personalised(book.read_text(encoding="utf-8")), encoding="utf-8")
    except OSError as exc:
        print(f"{_rel(dest)}: error: cannot write the new book: {exc.strerror or exc}",
              file=sys.stderr)
        return 1
    if not args.quiet:
        print(f"created a new book in {_rel(dest)}: edit its files, then run\n"
              f"  studyguide build {_rel(dest)}    (or: studyguide watch {_rel(dest)})")
    return 0


def personalised(book_yaml: str, today: date | None = None) -> str:
    """The starter's book.yaml with a fresh identifier and today's date as the edition's."""
    lines = []
    for line in book_yaml.splitlines(keepends=True):
        if line.startswith("identifier: urn:uuid:"):
            line = f"identifier: urn:uuid:{uuid.uuid4()}\n"
        elif line.startswith("date: "):
            line = f"date: {(today or date.today()).isoformat()}\n"
        lines.append(line)
    return "".join(lines)


def check(args) -> int:
    """The content read and rendered (Markdown, citations, cross-references, figures),
    every problem reported; nothing typeset, nothing written."""
    from .builder import Options, prepare
    folder: Path = args.folder.resolve()
    if not folder.is_dir():
        print(f"{_rel(folder)}: error: content folder not found", file=sys.stderr)
        return 1
    try:
        _, report = prepare(Options(content=folder, output=folder / "output", cache=None),
                            stylesheet=True)
        diagnostics = sorted(set(report.diagnostics))
    except BuildError as exc:
        tracebacks(exc, args.debug)
        diagnostics = exc.diagnostics
    for d in diagnostics:
        print(d, file=sys.stderr)
    errors = sum(d.severity == "error" for d in diagnostics)
    warnings = len(diagnostics) - errors
    if errors or (args.strict and warnings):
        print(failure(diagnostics, args.strict, "check"), file=sys.stderr)
        return 1
    if not args.quiet:
        print(f"checked {_rel(folder)}: no errors, {warnings} warning(s)")
    return 0


def main(argv: list[str] | None = None) -> int:
    """The ``studyguide`` command."""
    args = parser().parse_args(argv)
    try:
        if args.command == "new":
            return new(args)
        if args.command == "check":
            return check(args)
        folder: Path = args.folder
        return build_or_watch(options_from(args, folder, args.output or folder / "output",
                                           args.cache or folder / ".cache"), args)
    except KeyboardInterrupt:
        return 130
    except Exception as exc:
        return unexpected(exc, args.debug)


def script(project: Path, argv: list[str] | None = None) -> int:
    """``build.py``: the repository's own guide, content/ into output/, as always."""
    args = script_parser(project).parse_args(argv)
    args.command = "build"
    return build_or_watch(options_from(args, args.content, args.output, args.cache), args)


if __name__ == "__main__":
    sys.exit(main())
