"""The three rooms import one way: surveys/ and analysis/ never import server, fastapi or sqlmodel."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
FORBIDDEN = {"server", "fastapi", "sqlmodel", "starlette", "sqlalchemy", "uvicorn", "jinja2"}


def imported_roots(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    roots = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            roots.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            roots.add(node.module.split(".")[0])
    return roots


@pytest.mark.parametrize("room", ["surveys", "analysis"])
def test_room_imports_nothing_from_the_web_or_database_layer(room: str) -> None:
    files = sorted((ROOT / room).rglob("*.py"))
    assert files, f"{room}/ has no Python files"
    leaks = {str(f.relative_to(ROOT)): sorted(imported_roots(f) & FORBIDDEN) for f in files}
    assert {f: mods for f, mods in leaks.items() if mods} == {}


def test_surveys_imports_nothing_of_ours_but_itself() -> None:
    for path in (ROOT / "surveys").rglob("*.py"):
        assert not imported_roots(path) & {"server", "analysis"}, path


def test_the_checker_sees_a_forbidden_import(tmp_path: Path) -> None:
    bad = tmp_path / "bad.py"
    bad.write_text("from sqlmodel import Session\nimport fastapi.routing\n")
    assert imported_roots(bad) & FORBIDDEN == {"sqlmodel", "fastapi"}
