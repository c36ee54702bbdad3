"""The house holds: rooms import one way, no room has an import circle, only the kinds module knows
kind names, links come from named routes, route/store/CLI code raises only the problem type, and
modules and functions stay small. Each check is also shown to catch a broken tree."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests import layering

ROOT = Path(__file__).resolve().parents[1]


def write(root: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return root


def test_rooms_import_only_what_their_rules_allow() -> None:
    assert layering.room_import_violations(ROOT) == []


def test_no_room_has_an_import_circle() -> None:
    assert layering.cycles(ROOT) == []


def test_only_the_kinds_module_compares_kind_names() -> None:
    assert layering.kind_comparisons(ROOT) == []


def test_links_are_built_from_named_routes() -> None:
    assert layering.hand_built_urls(ROOT) == []


def test_route_store_and_cli_code_raise_only_the_problem_type() -> None:
    assert layering.foreign_raises(ROOT) == []


def test_modules_and_functions_stay_small() -> None:
    assert layering.oversized(ROOT) == []


@pytest.mark.parametrize("files, expected", [
    ({"surveys/a.py": "from server.app import create_app\n"}, "surveys/a.py imports server.app"),
    ({"surveys/a.py": "import analysis.errors\n"}, "surveys/a.py imports analysis.errors"),
    ({"analysis/a.py": "from surveys.compiler import compile_text\n"}, "analysis/a.py imports surveys.compiler"),
    ({"analysis/a.py": "def f():\n    import sqlmodel\n"}, "analysis/a.py imports sqlmodel"),
    ({"analysis/a.py": "import jinja2\n"}, "analysis/a.py imports jinja2"),
    ({"analysis/report/a.py": "import sqlmodel\n"}, "analysis/report/a.py imports sqlmodel"),
])
def test_the_import_rule_check_fails_on_a_forbidden_import(tmp_path: Path, files: dict[str, str],
                                                           expected: str) -> None:
    assert expected in layering.room_import_violations(write(tmp_path, files))


def test_allowed_imports_pass_the_import_rule_check(tmp_path: Path) -> None:
    root = write(tmp_path, {"analysis/a.py": "from surveys.problem import Problem\nfrom surveys import problem\n"
                                             "from surveys.model import Survey\nfrom surveys.answers import prune\n",
                            "analysis/report/b.py": "from jinja2 import Environment\nfrom markupsafe import Markup\n",
                            "server/a.py": "import analysis.errors\nfrom surveys.model import Survey\n"})
    assert layering.room_import_violations(root) == []


def test_the_cycle_check_sees_a_circle_hidden_in_a_function(tmp_path: Path) -> None:
    root = write(tmp_path, {
        "analysis/__init__.py": "", "analysis/sub/__init__.py": "",
        "analysis/sub/a.py": "from analysis.sub import b\n",
        "analysis/sub/b.py": "def later():\n    from . import c\n",
        "analysis/sub/c.py": "from analysis.sub.a import x\n",
        "analysis/sub/d.py": "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from analysis.sub import a\n",
    })
    assert layering.cycles(root) == [["analysis.sub.a", "analysis.sub.b", "analysis.sub.c"]]


def test_the_kind_check_sees_comparisons_in_code_and_templates(tmp_path: Path) -> None:
    root = write(tmp_path, {
        "surveys/a.py": 'ok = q.kind == "single"\nalso = q.kind in ("date", "text")\n',
        "surveys/kinds/__init__.py": 'ok = kind == "single"\n',
        "templates/x.html": '{% if q.kind == "multiple" %}x{% endif %}\n',
    })
    assert layering.kind_comparisons(root) == ["surveys/a.py:1", "surveys/a.py:2", "templates/x.html:1"]


def test_the_url_check_sees_hand_built_links(tmp_path: Path) -> None:
    root = write(tmp_path, {
        "server/routes/a.py": '@router.get("/s/{survey}")\ndef f(name):\n    return f"/s/{name}/done"\n',
        "templates/a.html": '<a href="/s/{{ s.name }}">x</a>\n<a href="{{ path_for(\'intro\', survey=s) }}">y</a>\n',
        "templates/b.html": '{% set url = "/s/" ~ name %}\n',
    })
    assert layering.hand_built_urls(root) == ["server/routes/a.py:3", "templates/a.html:1", "templates/b.html:1"]


def test_the_raise_check_sees_a_foreign_exception(tmp_path: Path) -> None:
    root = write(tmp_path, {
        "fakeroom_cli/__init__.py": "",
        "fakeroom_cli/cli.py": (
            "from surveys.problem import Problem\nfrom surveys.errors import DefinitionInvalid\n"
            "def a():\n    raise ValueError('x')\n"
            "def b(e):\n    raise Problem(e)\n"
            "def c():\n    raise DefinitionInvalid([])\n"
            "def d():\n    try:\n        pass\n    except KeyError:\n        raise\n"
        ),
    })
    found = layering.foreign_raises(root, rooms=("fakeroom_cli",), checked=("fakeroom_cli",))
    assert found == ["fakeroom_cli/cli.py:4 raises ValueError", "fakeroom_cli/cli.py:13 raises (re-raise)"]


def test_the_size_check_sees_long_modules_and_functions(tmp_path: Path) -> None:
    long_function = "def f():\n" + "    x = 1\n" * 60
    root = write(tmp_path, {"server/a.py": long_function, "surveys/b.py": "x = 1\n" * 401})
    assert layering.oversized(root) == ["server/a.py:1 f(): 61 lines", "surveys/b.py: 401 lines"]
