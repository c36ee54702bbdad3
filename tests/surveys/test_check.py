"""`cunsheng check`: the bundled questionnaires pass; each broken fixture fails with its error code,
naming the file, the question and a fix, with a non-zero exit status."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from server.cli import main
from surveys.compiler import compile_file
from surveys.errors import DefErr, DefinitionInvalid

FIXTURES = Path(__file__).parent / "fixtures"
BUNDLED = Path(__file__).resolve().parents[2] / "surveys" / "definitions"

# fixture file -> (error, words the message must contain)
BROKEN = {
    "d01_yaml_syntax.yaml": (DefErr.YAML_SYNTAX, ["行", "缩进"]),
    "d02_unknown_key.yaml": (DefErr.SCHEMA, ["问题 q11", "choises", "choices"]),
    "d03_duplicate_name.yaml": (DefErr.DUPLICATE_NAME, ["问题 q10", "q10", "唯一"]),
    "d04_unknown_reference.yaml": (DefErr.UNKNOWN_REFERENCE, ["问题 q12", "q1O", "q10"]),
    "d05_forward_reference.yaml": (DefErr.FORWARD_REFERENCE, ["问题 q12", "q13", "前面"]),
    "d06_unknown_choice_list.yaml": (DefErr.UNKNOWN_CHOICE_LIST, ["问题 q12", "satisfaction5", "choice_lists"]),
    "d08_unknown_kind.yaml": (DefErr.UNKNOWN_KIND, ["问题 q12", "singel", "single"]),
    "d09_expression_syntax.yaml": (DefErr.EXPRESSION_SYNTAX, ["问题 q12", "q10 = 1"]),
    "d10_unknown_indicator.yaml": (DefErr.UNKNOWN_INDICATOR, ["问题 q12", "001:99999"]),
    "d11_bad_range.yaml": (DefErr.BAD_RANGE, ["问题 q12", "10", "2"]),
    "d12_bad_choice.yaml": (DefErr.BAD_CHOICE, ["问题 q12", "exclusive", "9"]),
    "d13_unknown_special.yaml": (DefErr.UNKNOWN_SPECIAL, ["问题 q12", "dont_knwo", "dont_know"]),
    "d14_sensitive_not_skippable.yaml": (DefErr.SENSITIVE_NOT_SKIPPABLE, ["问题 dv1", "required: false"]),
    "d15_expression_type.yaml": (DefErr.EXPRESSION_TYPE, ["问题 q13", "selected"]),
}


def test_bundled_questionnaires_pass_check(capsys: pytest.CaptureFixture[str], tmp_path: Path,
                                           monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CUNSHENG_DATABASE_URL", f"sqlite:///{tmp_path / 'x.db'}")
    assert main(["check"]) == 0
    out = capsys.readouterr().out
    assert {"women.yaml", "caregiver.yaml", "child.yaml"} <= {line.rsplit("/", 1)[-1] for line in out.splitlines()}


@pytest.mark.parametrize("fixture", sorted(BROKEN))
def test_broken_definition_fails_check_with_its_code(fixture: str, capsys: pytest.CaptureFixture[str],
                                                     tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CUNSHENG_DATABASE_URL", f"sqlite:///{tmp_path / 'x.db'}")
    error, words = BROKEN[fixture]
    assert main(["check", str(FIXTURES / fixture)]) == 1
    err = capsys.readouterr().err
    assert fixture in err and f"[{error.code} " in err
    for word in words:
        assert word in err, (word, err)


def test_each_broken_fixture_has_exactly_one_problem() -> None:
    for fixture, (error, _) in BROKEN.items():
        with pytest.raises(DefinitionInvalid) as info:
            compile_file(FIXTURES / fixture)
        assert [p.error for p in info.value.problems] == [error], fixture


def test_kind_changed_under_a_published_name_fails_check(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    published = tmp_path / "defs"
    published.mkdir()
    shutil.copy(FIXTURES / "valid_base.yaml", published / "broken.yaml")
    monkeypatch.setenv("CUNSHENG_DATABASE_URL", f"sqlite:///{tmp_path / 'x.db'}")
    monkeypatch.setenv("CUNSHENG_DEFINITIONS_DIR", str(published))
    monkeypatch.setenv("CUNSHENG_INSTANCE_DIR", str(tmp_path))
    assert main(["init-db"]) == 0
    assert main(["check", str(FIXTURES / "valid_base.yaml")]) == 0
    capsys.readouterr()
    assert main(["check", str(FIXTURES / "d07_kind_changed.yaml")]) == 1
    err = capsys.readouterr().err
    assert "[D07 " in err and "问题 q10" in err and "single" in err and "integer" in err and "新名称" in err


def test_check_is_a_real_command_with_exit_status(tmp_path: Path) -> None:
    env = {**os.environ, "CUNSHENG_DATABASE_URL": f"sqlite:///{tmp_path / 'x.db'}"}
    bad = subprocess.run([sys.executable, "-m", "server.cli", "check", str(FIXTURES / "d04_unknown_reference.yaml")],
                         capture_output=True, text=True, env=env)
    assert bad.returncode == 1 and "D04" in bad.stderr
    good = subprocess.run([sys.executable, "-m", "server.cli", "check", str(BUNDLED)],
                          capture_output=True, text=True, env=env)
    assert good.returncode == 0, good.stderr


def test_missing_path_is_a_clear_error(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["check", "/nonexistent/x.yaml"]) == 2
    assert "找不到" in capsys.readouterr().err
