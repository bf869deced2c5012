"""The command line: ``python build.py [options]``."""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

from . import __version__
from .errors import BuildError

PROJECT = Path(__file__).resolve().parent.parent


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="build.py",
        description="Build a study guide: a print PDF (student and teacher editions, "
                    "per-chapter handouts) and an EPUB 3, from a content folder.")
    p.add_argument("--content", type=Path, default=PROJECT / "content", metavar="DIR",
                   help="the book's content folder (default: content/)")
    p.add_argument("--output", type=Path, default=PROJECT / "output", metavar="DIR",
                   help="where to write the outputs (default: output/)")
    p.add_argument("--format", action="append", choices=["pdf", "epub"], dest="formats",
                   help="build only this format; repeat for several (default: every "
                        "format the book declares)")
    p.add_argument("--paper", action="append", choices=["A4", "Letter"], dest="papers",
                   help="paper size of the PDFs; repeat for both (default: the book's setting)")
    p.add_argument("--edition", action="append", choices=["student", "teacher"],
                   dest="editions", help="build only this edition (default: both)")
    p.add_argument("--no-handouts", action="store_true", help="skip the per-chapter handouts")
    p.add_argument("--strict", action="store_true", help="treat warnings as errors")
    p.add_argument("-j", "--jobs", type=int, default=0, metavar="N",
                   help="parallel render processes (default: one per core)")
    p.add_argument("--cache", type=Path, default=PROJECT / ".cache", metavar="DIR",
                   help="where rendered outputs are cached by content hash (default: .cache/)")
    p.add_argument("--no-cache", action="store_true",
                   help="render everything afresh and keep nothing")
    p.add_argument("-q", "--quiet", action="store_true", help="print only problems")
    p.add_argument("--watch", action="store_true",
                   help="rebuild whenever a file in the content folder changes")
    p.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    return p


def options_from(args):
    from .builder import Options
    return Options(content=args.content.resolve(), output=args.output.resolve(),
                   formats=tuple(args.formats or ("pdf", "epub")),
                   papers=tuple(dict.fromkeys(args.papers or ())),
                   editions=tuple(dict.fromkeys(args.editions or ("student", "teacher"))),
                   handouts=not args.no_handouts, strict=args.strict, jobs=args.jobs,
                   cache=None if args.no_cache else args.cache.resolve())


def run_once(opts, quiet: bool) -> int:
    from .builder import build
    from .progress import reporter
    try:
        with reporter(quiet) as progress:
            result = build(opts, progress)
    except BuildError as exc:
        for d in exc.diagnostics:
            print(d, file=sys.stderr)
        n = sum(1 for d in exc.diagnostics if d.severity == "error")
        print(f"build failed: {n} error(s); outputs left unchanged", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("build interrupted; outputs left unchanged", file=sys.stderr)
        return 130
    except Exception as exc:  # a bug or an environment problem: still one clean line
        print(f"error: {type(exc).__name__}: {exc}", file=sys.stderr)
        return 1
    for w in result.warnings:
        print(w, file=sys.stderr)
    if not quiet:
        if result.unchanged:
            print(f"nothing changed: {len(result.outputs)} file(s) in {_rel(opts.output)} "
                  f"are up to date ({result.seconds:.2f} s)")
        else:
            print(f"built {len(result.outputs)} file(s) ({result.rendered} rendered, "
                  f"{len(result.outputs) - result.rendered} from cache) in "
                  f"{result.seconds:.1f} s into {_rel(opts.output)}")
    return 0


def _rel(path: Path) -> str:
    try:
        return str(path.relative_to(Path.cwd()))
    except ValueError:
        return str(path)


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    opts = options_from(args)
    if not args.content.is_dir():
        print(f"{args.content}: error: content folder not found", file=sys.stderr)
        return 1
    if args.watch:
        from .watch import watch
        return watch(opts, args.quiet, run_once)
    return run_once(opts, args.quiet)


if __name__ == "__main__":
    sys.exit(main())
