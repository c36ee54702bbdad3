"""The house rules as checks over a source tree (read with `ast`), each returning its violations.

Used by tests/test_layering.py on the project and on small broken trees that prove each check fails.
"""

from __future__ import annotations

import ast
import importlib
import re
import sys
import typing
from collections.abc import Iterator
from pathlib import Path

ROOMS = ("server", "surveys", "analysis")
WEB = {"server", "fastapi", "sqlmodel", "starlette", "sqlalchemy", "uvicorn", "jinja2", "alembic", "psycopg"}
# room -> the modules of ours it may import (a prefix match); its own room is always allowed
ALLOWED = {
    "server": ("server", "surveys", "analysis"),
    "surveys": ("surveys",),
    # analysis reads the compiled questionnaire and its skip logic (analysis.quality), and compiled
    # indicator definitions with their reading of a data row (analysis.evaluation); it never compiles one
    "analysis": ("analysis", "surveys.problem", "surveys.model", "surveys.answers", "surveys.indicator_defs.model",
                 "surveys.indicator_defs.reading"),
}
# folders outside server/ that may use a template engine from WEB: the report pack renders a printable
# HTML page from a template file (it serves nothing and touches no database)
TEMPLATE_USERS = {"analysis/report": ("jinja2",)}
KIND_NAMES = "single|multiple|matrix|integer|decimal|duration|date|text|ranking|note"
MAX_MODULE_LINES, MAX_FUNCTION_LINES = 400, 60
# where every `raise` must be the project's problem type
RAISE_CHECKED = ("server/routes", "server/store", "server/cli.py", "server/commands.py", "analysis/cli")


def py_files(root: Path, room: str) -> Iterator[Path]:
    for path in sorted((root / room).rglob("*.py")):
        if "migrations" not in path.parts and "__pycache__" not in path.parts:
            yield path


def module_name(root: Path, path: Path) -> str:
    parts = list(path.relative_to(root).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _type_checking_nodes(tree: ast.AST) -> set[int]:
    skip: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            skip.update(id(sub) for sub in ast.walk(node))
    return skip


def imports(root: Path, path: Path) -> set[str]:
    """Every module `path` imports (lazy imports inside functions included; TYPE_CHECKING blocks not)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    skip = _type_checking_nodes(tree)
    mod = module_name(root, path)
    package = mod if path.name == "__init__.py" else mod.rpartition(".")[0]
    out: set[str] = set()
    for node in ast.walk(tree):
        if id(node) in skip:
            continue
        if isinstance(node, ast.Import):
            out.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                up = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join(up + ([base] if base else []))
            out.add(base)
            out.update(f"{base}.{a.name}" for a in node.names)
    return out


def room_import_violations(root: Path) -> list[str]:
    """Imports against the rooms' rules: surveys imports nothing of ours; analysis only surveys.problem,
    the compiled questionnaire (surveys.model) and its skip logic (surveys.answers);
    neither imports the web or database layer."""
    out = []
    for room in ROOMS:
        for path in py_files(root, room):
            for name in sorted(imports(root, path)):
                top = name.split(".")[0]
                ours = top in ROOMS
                if ours and not any(name == a or name.startswith(a + ".") for a in ALLOWED[room]):
                    if not any(a.startswith(name + ".") for a in ALLOWED[room]):  # `from surveys import problem`
                        out.append(f"{path.relative_to(root)} imports {name}")
                elif room != "server" and top in WEB and not _may_template(root, path, top):
                    out.append(f"{path.relative_to(root)} imports {name}")
    return out


def _may_template(root: Path, path: Path, top: str) -> bool:
    """True when `path` is in a folder of TEMPLATE_USERS that may import the template engine `top`."""
    where = path.relative_to(root).as_posix()
    return any(where.startswith(folder + "/") and top in engines for folder, engines in TEMPLATE_USERS.items())


def strongly_connected(graph: dict[str, set[str]]) -> list[list[str]]:
    """Components of more than one node (Tarjan), each sorted."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in graph[v]:
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for v in graph:
        if v not in index:
            visit(v)
    return found


def cycles(root: Path) -> list[list[str]]:
    """Import cycles between modules inside each room."""
    found = []
    for room in ROOMS:
        paths = {module_name(root, p): p for p in py_files(root, room)}
        found += strongly_connected({m: {i for i in imports(root, p) if i in paths and i != m} for m, p in paths.items()})
    return found


_KIND_PY = re.compile(rf"""(==|!=)\s*['"]({KIND_NAMES})['"]|['"]({KIND_NAMES})['"]\s*(==|!=)|"""
                      rf"""\bin\s*[\(\[\{{]\s*['"]({KIND_NAMES})['"]""")
_KIND_TEMPLATE = re.compile(rf"""kind\s*(==|!=|in)\s*[\(\[]?\s*['"]({KIND_NAMES})['"]""")


def kind_comparisons(root: Path) -> list[str]:
    """Lines outside the kinds module (surveys/kinds/) that compare a kind's name."""
    out = []
    for room in ROOMS:
        for path in py_files(root, room):
            if path.is_relative_to(root / "surveys" / "kinds"):
                continue
            for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
                if "kind" in line and _KIND_PY.search(line):
                    out.append(f"{path.relative_to(root)}:{number}")
    for path in sorted((root / "templates").rglob("*.html")):
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if _KIND_TEMPLATE.search(line):
                out.append(f"{path.relative_to(root)}:{number}")
    return out


_URL_PY = re.compile(r"""(?<![\w])(f|rf|fr)?['"]/s/""")
_URL_TEMPLATE = re.compile(r"""(href|action|hx-get|hx-post|src)\s*=\s*["']/s/|["']/s/|~\s*["']/s""")


def hand_built_urls(root: Path) -> list[str]:
    """`/s/...` links written by hand in server code or templates (route declarations aside)."""
    out = []
    for path in py_files(root, "server"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        declared = {d.lineno for node in ast.walk(tree) if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef)
                    for d in node.decorator_list}
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if _URL_PY.search(line) and number not in declared:
                out.append(f"{path.relative_to(root)}:{number}")
    for path in sorted((root / "templates").rglob("*.html")):
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if _URL_TEMPLATE.search(line):
                out.append(f"{path.relative_to(root)}:{number}")
    return out


def oversized(root: Path) -> list[str]:
    """Modules over 400 lines and functions over 60 lines."""
    out = []
    for room in ROOMS:
        for path in py_files(root, room):
            text = path.read_text(encoding="utf-8")
            if text.count("\n") > MAX_MODULE_LINES:
                out.append(f"{path.relative_to(root)}: {text.count(chr(10))} lines")
            for node in ast.walk(ast.parse(text)):
                if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                    length = (node.end_lineno or node.lineno) - node.lineno + 1
                    if length > MAX_FUNCTION_LINES:
                        out.append(f"{path.relative_to(root)}:{node.lineno} {node.name}(): {length} lines")
    return out


def _raised_name(node: ast.Raise) -> str | None:
    exc = node.exc.func if isinstance(node.exc, ast.Call) else node.exc
    return ast.unparse(exc) if exc is not None else None


def foreign_raises(root: Path, rooms: tuple[str, ...] = ROOMS, checked: tuple[str, ...] = RAISE_CHECKED) -> list[str]:
    """`raise` statements in route, store and CLI code whose exception is not the project's problem type.

    The raised name is resolved in the imported module, so subclasses of `surveys.problem.Problem` pass.
    A bare `raise` (re-raise) is not allowed either: translate the exception into a catalogue entry.
    """
    if str(root) not in sys.path:
        sys.path.insert(0, str(root))
    problem = importlib.import_module("surveys.problem").Problem
    out = []
    for room in rooms:
        for path in py_files(root, room):
            relative = path.relative_to(root).as_posix()
            if not relative.startswith(checked):
                continue
            module = importlib.import_module(module_name(root, path))
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
                if not isinstance(node, ast.Raise):
                    continue
                name = _raised_name(node)
                raised = _resolve(module, name) if name else None
                if callable(raised) and not isinstance(raised, type):  # a factory: trust its return annotation
                    raised = typing.get_type_hints(raised).get("return")
                if not (isinstance(raised, type) and issubclass(raised, problem)):
                    out.append(f"{relative}:{node.lineno} raises {name or '(re-raise)'}")
    return out


def _resolve(module: object, dotted: str) -> object:
    target = module
    for part in dotted.split("."):
        target = getattr(target, part, None)
        if target is None:
            return None
    return target
