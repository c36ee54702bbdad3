"""The shape of `analysis/`: no import circle between any two modules (lazy imports included, only
`if TYPE_CHECKING:` blocks excepted), modules of at most 400 lines, functions of at most 60 lines,
and a docstring at the top of every module."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def _modules() -> dict[str, Path]:
    found = {}
    for path in sorted((ROOT / "analysis").rglob("*.py")):
        parts = path.relative_to(ROOT).with_suffix("").parts
        found[".".join(parts[:-1] if parts[-1] == "__init__" else parts)] = path
    return found


def _type_checking(node: ast.If) -> bool:
    test = node.test
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def _imports(node: ast.AST) -> set[str]:
    """Every module named by an import under `node`, skipping `if TYPE_CHECKING:` bodies."""
    names: set[str] = set()
    for child in ast.iter_child_nodes(node):
        if isinstance(child, ast.If) and _type_checking(child):
            for other in child.orelse:
                names |= _imports(other)
            continue
        if isinstance(child, ast.Import):
            names |= {alias.name for alias in child.names}
        elif isinstance(child, ast.ImportFrom) and child.module and child.level == 0:
            names |= {child.module} | {f"{child.module}.{alias.name}" for alias in child.names}
        names |= _imports(child)
    return names


def test_no_import_circle_between_analysis_modules() -> None:
    modules = _modules()
    graph = {
        name: {m for m in _imports(ast.parse(path.read_text(encoding="utf-8"))) if m in modules and m != name}
        for name, path in modules.items()
    }
    state: dict[str, int] = {}
    circles: list[list[str]] = []

    def visit(name: str, trail: list[str]) -> None:
        state[name] = 1
        for target in sorted(graph[name]):
            if state.get(target) == 1:
                circles.append([*trail[trail.index(target) :], target])
            elif target not in state:
                visit(target, [*trail, target])
        state[name] = 2

    for name in sorted(graph):
        if name not in state:
            visit(name, [name])
    assert circles == []


def test_the_circle_checker_sees_a_lazy_import_circle(tmp_path: Path) -> None:
    tree = ast.parse("def f():\n    from analysis.b import g\nif TYPE_CHECKING:\n    import analysis.c\n")
    assert _imports(tree) == {"analysis.b", "analysis.b.g"}


def test_modules_and_functions_are_short_and_say_what_they_hold() -> None:
    long_modules, long_functions, silent = [], [], []
    for name, path in _modules().items():
        text = path.read_text(encoding="utf-8")
        tree = ast.parse(text)
        if len(text.splitlines()) > 400:
            long_modules.append(name)
        if not ast.get_docstring(tree):
            silent.append(name)
        for node in ast.walk(tree):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) and node.end_lineno is not None:
                if node.end_lineno - node.lineno + 1 > 60:
                    long_functions.append(f"{name}.{node.name}")
    assert (long_modules, long_functions, silent) == ([], [], [])
