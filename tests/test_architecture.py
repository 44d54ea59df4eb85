"""The layering of docs/architecture.md, read from the source with ``ast``: every import of a
matcast module is one the importing package may make, and no modules import each other in a
circle (imports inside functions count; ``if TYPE_CHECKING:`` imports do not run, so they count
for the layering only)."""

from __future__ import annotations

import ast
from dataclasses import dataclass
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[1] / "src"
PACKAGE = SRC / "matcast"

BASE = {"errors", "cues", "bounds", "fs"}
"""The ground floor: the error types, the cue-script IR, the numeric limits, files on disk."""
TOP = {"cli", "cli_build", "cli_checks", "cli_compose", "cli_options", "cli_say", "validate"}
"""The command line: may import anything; nothing imports it."""
ALLOWED: dict[str, set[str]] = {
    "errors": set(),
    "cues": set(),
    "bounds": set(),
    "fs": {"errors"},
    "routine": {"errors", "bounds", "fs"},
    "compiler": {"routine", "errors", "cues", "bounds"},
    "voice": {"errors", "cues", "bounds", "fs"},
    "audio": {"errors", "cues"},
    "publish": {"routine", "audio", "errors", "cues", "fs"},
    "lint": {"compiler", "routine", "errors", "cues"},
    "compose": {"routine", "compiler", "errors", "cues", "bounds"},
    "build": {"routine", "compiler", "compose", "voice", "audio", "publish", "lint", *BASE},
}
"""Each part of matcast (a package, or a module at the package root) and the parts it may import
besides itself and the ``matcast`` facade (for ``__version__``). The docs' table, as data."""
MAX_LINES = 400
WORKERS = {"matcast.voice._worker", "matcast.voice._piper_worker"}
"""Run as ``python -m`` in a child process: they import nothing of matcast."""
ENGINES = {"matcast.voice.pyttsx3_engine", "matcast.voice.piper_engine"}
"""Only the registry imports an engine; an engine imports no other engine."""
ENGINE_USERS = {"matcast.voice.registry", "matcast.voice"}
"""The registry, and the package's lazy exports (``Pyttsx3Engine``)."""


@dataclass(frozen=True)
class Import:
    source: str
    target: str
    line: int
    runtime: bool


def module_name(path: Path, src: Path = SRC) -> str:
    parts = list(path.relative_to(src).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def modules(root: Path = PACKAGE) -> dict[str, Path]:
    return {module_name(p, root.parent): p for p in sorted(root.rglob("*.py"))}


def _type_checking_lines(tree: ast.Module) -> set[int]:
    lines: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            for child in node.body:
                lines.update(range(child.lineno, (child.end_lineno or child.lineno) + 1))
    return lines


def imports(name: str, path: Path, known: set[str]) -> list[Import]:
    """Every matcast module ``name`` imports, resolved to a module of ``known``."""
    tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
    static = _type_checking_lines(tree)
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found = []
    for node in ast.walk(tree):
        targets: list[str] = []
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join(anchor + ([base] if base else []))
            # ``from matcast.build import library`` imports the module matcast.build.library.
            targets = [f"{base}.{a.name}" if f"{base}.{a.name}" in known else base
                       for a in node.names]
        for target in targets:
            if target == "matcast" or target.startswith("matcast."):
                while target not in known and "." in target:
                    target = target.rpartition(".")[0]
                found.append(Import(name, target, node.lineno, node.lineno not in static))
    return found


def part(module: str) -> str:
    """The part of matcast a module belongs to: its package, or its own name at the root."""
    return module.split(".")[1] if "." in module else ""


def layering_problems(found: list[Import]) -> list[str]:
    problems = []
    for imp in found:
        src, dst = part(imp.source), part(imp.target)
        where = f"{imp.source} (line {imp.line}) imports {imp.target}"
        if imp.source in WORKERS:
            problems.append(f"{where}: a worker script imports nothing of matcast")
        elif imp.target in ENGINES and imp.source not in ENGINE_USERS:
            problems.append(f"{where}: only matcast.voice.registry imports an engine")
        if not src or not dst or src == dst or src in TOP:
            continue  # the facade, a part's own modules, or the command line
        if dst in TOP:
            problems.append(f"{where}: nothing imports the command line")
        elif src not in ALLOWED:
            problems.append(f"{where}: {src} is in no layer of docs/architecture.md")
        elif dst not in ALLOWED[src]:
            problems.append(f"{where}: {src} may import only {sorted(ALLOWED[src])}")
    return problems


def cycles(found: list[Import]) -> list[list[str]]:
    """The import cycles among runtime imports: strongly connected components of two or more
    modules, or a module importing itself (Tarjan)."""
    graph: dict[str, set[str]] = {}
    for imp in found:
        if imp.runtime and imp.target != "matcast":
            graph.setdefault(imp.source, set()).add(imp.target)
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    result: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for nxt in sorted(graph.get(node, ())):
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            component = []
            while True:
                top = stack.pop()
                on_stack.discard(top)
                component.append(top)
                if top == node:
                    break
            if len(component) > 1 or node in graph.get(node, ()):
                result.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return result


def all_imports(root: Path = PACKAGE) -> list[Import]:
    found = modules(root)
    known = set(found)
    return [imp for name, path in found.items() for imp in imports(name, path, known)]


def test_every_import_keeps_to_the_layers() -> None:
    assert layering_problems(all_imports()) == []


def test_no_import_cycle() -> None:
    assert cycles(all_imports()) == []


def test_no_module_over_400_lines() -> None:
    """Small modules: one that grows past this is doing two jobs (split it by responsibility)."""
    sizes = {name: len(path.read_text(encoding="utf-8").splitlines())
             for name, path in modules().items()}
    assert {name: n for name, n in sizes.items() if n > MAX_LINES} == {}


def test_every_part_is_in_a_layer() -> None:
    parts = {part(name) for name in modules()} - {""}
    assert parts <= set(ALLOWED) | TOP, sorted(parts - set(ALLOWED) - TOP)
    documented = (PACKAGE.parents[1] / "docs" / "architecture.md").read_text(encoding="utf-8")
    for name in parts:
        assert f"`{name}" in documented, f"docs/architecture.md does not name {name}"


@pytest.mark.parametrize(("path", "text", "expected"), [
    ("publish/extra.py", "from matcast.build.manifest import Manifest\n",
     "publish may import only"),
    ("routine/extra.py", "def f():\n    from matcast.compiler import compile_routine\n",
     "routine may import only"),
    ("audio/extra.py", "from matcast import cli\n", "nothing imports the command line"),
    ("voice/_worker.py", "import matcast.errors\n", "a worker script imports nothing"),
    ("voice/piper_engine.py", "from matcast.voice.pyttsx3_engine import X\n",
     "only matcast.voice.registry imports an engine"),
])
def test_a_forbidden_import_is_caught(tmp_path: Path, path: str, text: str,
                                      expected: str) -> None:
    """The checks can fail: a copy of the package with one forbidden import planted in it."""
    copy = _copy(tmp_path)
    target = copy / path
    target.write_text((target.read_text() if target.exists() else "") + text)
    problems = layering_problems(all_imports(copy))
    assert any(expected in p for p in problems), problems


def test_a_cycle_is_caught(tmp_path: Path) -> None:
    copy = _copy(tmp_path)
    (copy / "errors.py").write_text((copy / "errors.py").read_text()
                                    + "def f():\n    from matcast.fs import atomic\n")
    assert ["matcast.errors", "matcast.fs.atomic"] in cycles(all_imports(copy))


def _copy(tmp_path: Path) -> Path:
    import shutil

    copy = tmp_path / "src" / "matcast"
    shutil.copytree(PACKAGE, copy, ignore=shutil.ignore_patterns("__pycache__", "_routines"))
    return copy

