"""The house rules of the code's layout: small modules and functions, no import cycles, tests apart."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from digits.config import PROJECT_ROOT

PACKAGE = PROJECT_ROOT / "digits"
MAX_MODULE_LINES = 350
MAX_FUNCTION_LINES = 60


def modules() -> dict[str, Path]:
    """Return {dotted module name: path} for every module of the package."""
    found = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        parts = list(path.relative_to(PROJECT_ROOT).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts = parts[:-1]
        found[".".join(parts)] = path
    return found


def imported_modules(path: Path, known: dict[str, Path]) -> set[str]:
    """Return the package's modules that ``path`` imports by name, anywhere in it."""
    names = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
            names.update(f"{node.module}.{alias.name}" for alias in node.names)
    return {name for name in names if name in known}


@pytest.mark.parametrize("name, path", sorted(modules().items()))
def test_modules_and_functions_stay_small(name, path):
    source = path.read_text()
    assert len(source.splitlines()) <= MAX_MODULE_LINES, f"{name} has grown past {MAX_MODULE_LINES} lines"
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            length = node.end_lineno - node.lineno + 1
            assert length <= MAX_FUNCTION_LINES, f"{name}.{node.name} is {length} lines long"


def test_no_import_cycles_among_the_package_modules():
    known = modules()
    graph = {name: imported_modules(path, known) - {name} for name, path in known.items()}
    # A package's __init__ importing its own submodules is how a package shows its parts, not a cycle.
    graph = {name: {other for other in edges if not name or not other.startswith(name + ".")}
             for name, edges in graph.items()}
    state: dict[str, str] = {}

    def visit(name: str, trail: list[str]) -> None:
        state[name] = "open"
        for other in sorted(graph[name]):
            assert state.get(other) != "open", "import cycle: " + " -> ".join([*trail, name, other])
            if other not in state:
                visit(other, [*trail, name])
        state[name] = "done"

    for name in sorted(graph):
        if name not in state:
            visit(name, [])


def test_tests_import_the_package_not_other_tests_or_benchmarks():
    allowed = {"tests.helpers"}
    for path in sorted((PROJECT_ROOT / "tests").glob("*.py")):
        for node in ast.walk(ast.parse(path.read_text())):
            names = ([alias.name for alias in node.names] if isinstance(node, ast.Import)
                     else [node.module or ""] if isinstance(node, ast.ImportFrom) else [])
            for name in names:
                assert not name.startswith("bench"), f"{path.name} imports {name}"
                assert not name.startswith("tests") or name in allowed, f"{path.name} imports {name}"


def test_benchmarks_do_not_edit_the_import_path():
    for path in sorted((PROJECT_ROOT / "bench").glob("*.py")):
        assert "sys.path" not in path.read_text(), f"{path.name} edits sys.path; the package is installed"
