"""Every third-party package the code imports is declared in pyproject.toml.

A package that arrives only as another package's dependency (fontTools and pyphen come
with WeasyPrint) works until that package drops it, and its version is then whatever
came along: the ranges pyproject.toml states, and that ``make test-oldest`` and
``make test-newest`` test, would not cover it. The imports are read from the source
(``ast``), so the check sees the modules that are imported only inside a function or on
one path, and the modules the Markdown converter loads by name.
"""
from __future__ import annotations

import ast
import importlib.metadata
import re
import sys
import tomllib
from pathlib import Path

from conftest import ROOT
from studyguide.markdown import EXTENSIONS

PROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
OWN = {"studyguide"}


def canonical(name: str) -> str:
    """A distribution's name as pip compares them (PEP 503: case and ``-_.`` do not count)."""
    return re.sub(r"[-_.]+", "-", name).lower()


def declared(requirements: list[str]) -> set[str]:
    """The distribution names of PEP 508 requirement strings."""
    return {canonical(re.match(r"\s*([A-Za-z0-9][A-Za-z0-9._-]*)", r).group(1)) for r in requirements}


RUNTIME = declared(PROJECT["dependencies"])
TEST = declared(PROJECT["optional-dependencies"]["test"])


def python_files(*places: str) -> list[Path]:
    """The Python sources under the given files and folders, scripts without ``.py`` included."""
    files = []
    for place in places:
        path = ROOT / place
        candidates = sorted(path.rglob("*")) if path.is_dir() else [path]
        files += [f for f in candidates if f.is_file() and (
            f.suffix == ".py" or (not f.suffix and f.read_bytes()[:40].startswith(b"#!")
                                  and b"python" in f.read_bytes().split(b"\n", 1)[0]))]
    return files


def imported(files: list[Path]) -> dict[str, str]:
    """Top-level module -> ``path:line`` of its first absolute import in the files:
    ``import``/``from`` statements and ``importlib.import_module("…")`` with a literal name;
    a module beside a script outside the package is the script's own."""
    found: dict[str, str] = {}
    for file in files:
        tree = ast.parse(file.read_text(encoding="utf-8"), filename=str(file))
        script = not (file.parent / "__init__.py").exists()   # its folder is on sys.path
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names = [node.module]
            elif (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
                  and node.func.attr == "import_module" and node.args
                  and isinstance(node.args[0], ast.Constant) and isinstance(node.args[0].value, str)):
                names = [node.args[0].value]
            else:
                continue
            for name in names:
                top = name.split(".")[0]
                if script and ((file.parent / f"{top}.py").exists() or (file.parent / top).is_dir()):
                    continue                     # a module beside a script (tests, bench)
                found.setdefault(top, f"{file.relative_to(ROOT)}:{node.lineno}")
    return found


def third_party(modules: dict[str, str]) -> dict[str, str]:
    """The modules neither in the standard library nor the project's own."""
    return {m: where for m, where in modules.items()
            if m not in sys.stdlib_module_names and m not in OWN}


def undeclared(modules: dict[str, str], allowed: set[str]) -> list[str]:
    """``path:line: module (distribution)`` for each module that no allowed distribution provides."""
    providers = importlib.metadata.packages_distributions()
    problems = []
    for module, where in sorted(modules.items()):
        dists = {canonical(d) for d in providers.get(module, [])}
        if not dists:
            problems.append(f"{where}: {module} is imported but no installed distribution provides it")
        elif not dists & allowed:
            problems.append(f"{where}: {module} (from {', '.join(sorted(dists))}) is not declared")
    return problems


def runtime_modules() -> dict[str, str]:
    """What the installed builder imports, the Markdown extensions it loads by name included."""
    modules = imported(python_files("studyguide"))
    for name in EXTENSIONS:
        modules.setdefault(name.split(".")[0], f"studyguide/markdown.py: EXTENSIONS[{name!r}]")
    return third_party(modules)


def test_the_builder_imports_only_declared_dependencies():
    modules = runtime_modules()
    assert {"weasyprint", "fontTools", "pyphen", "markdown", "pymdownx"} <= modules.keys()   # the walk sees them
    assert undeclared(modules, RUNTIME) == []


def test_tests_bench_and_scripts_import_only_declared_dependencies():
    modules = third_party(imported(python_files("tests", "bench", "scripts", "build.py")))
    assert {"pytest", "pypdf", "hypothesis"} <= modules.keys()
    assert undeclared(modules, RUNTIME | TEST) == []


def test_every_runtime_dependency_is_used():
    """A declared package nothing imports is a range nobody tests the use of."""
    providers = importlib.metadata.packages_distributions()
    used = {canonical(d) for m in runtime_modules() for d in providers.get(m, [])}
    assert sorted(RUNTIME - used) == []


def test_an_undeclared_import_is_found(tmp_path, monkeypatch):
    """The check itself: a module that imports an undeclared package is reported at its line."""
    monkeypatch.setattr(sys.modules[__name__], "ROOT", tmp_path)
    source = tmp_path / "tool.py"
    source.write_text("import os\n\ndef f():\n    from pluggy import HookspecMarker\n")
    modules = third_party(imported([source]))
    assert modules == {"pluggy": "tool.py:4"}
    assert undeclared(modules, RUNTIME) == ["tool.py:4: pluggy (from pluggy) is not declared"]
