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
from surveys.compiler import compile_file, compile_text
from surveys.errors import DefErr, DefinitionInvalid

FIXTURES = Path(__file__).parent / "fixtures"
BUNDLED = Path(__file__).resolve().parents[2] / "surveys" / "definitions"

# fixture file -> (error, names the message must contain: the place, the culprit, the suggested fix)
BROKEN = {
    "d01_yaml_syntax.yaml": (DefErr.YAML_SYNTAX, ["行"]),
    "d02_unknown_key.yaml": (DefErr.UNKNOWN_KEY, ["问题 q11", "choises", "choices"]),
    "d03_duplicate_name.yaml": (DefErr.DUPLICATE_NAME, ["问题 q10", "q10"]),
    "d04_unknown_reference.yaml": (DefErr.UNKNOWN_REFERENCE, ["问题 q12", "q1O", "q10"]),
    "d05_forward_reference.yaml": (DefErr.FORWARD_REFERENCE, ["问题 q12", "q13"]),
    "d06_unknown_choice_list.yaml": (DefErr.UNKNOWN_CHOICE_LIST, ["问题 q12", "satisfaction5", "choice_lists"]),
    "d08_unknown_kind.yaml": (DefErr.UNKNOWN_KIND, ["问题 q12", "singel", "single"]),
    "d09_expression_syntax.yaml": (DefErr.EXPRESSION_SYNTAX, ["问题 q12", "q10 = 1"]),
    "d10_unknown_indicator.yaml": (DefErr.UNKNOWN_INDICATOR, ["问题 q12", "001:99999"]),
    "d33_ambiguous_indicator.yaml": (DefErr.AMBIGUOUS_INDICATOR, ["问题 q12", "001:64", "001:64.1", "001:64.4"]),
    "d11_bad_range.yaml": (DefErr.MIN_ABOVE_MAX, ["问题 q12", "10", "2"]),
    "d12_bad_choice.yaml": (DefErr.EXCLUSIVE_NOT_CHOICE, ["问题 q12", "exclusive", "9"]),
    "d13_unknown_special.yaml": (DefErr.UNKNOWN_SPECIAL, ["问题 q12", "dont_knwo", "dont_know"]),
    "d14_sensitive_not_skippable.yaml": (DefErr.SENSITIVE_NOT_SKIPPABLE, ["问题 dv1", "required: false"]),
    "d15_expression_type.yaml": (DefErr.COMPARE_NOT_ALLOWED, ["问题 q13", "selected"]),
}

# A one-question page appended to a valid definition, and the code it must fail with.
INLINE = {
    "{name: q20, kind: single, label: 甲}": DefErr.KIND_NEEDS_KEY,
    "{name: q20, kind: integer, label: 甲, choices: yes_no}": DefErr.KEY_NOT_FOR_KIND,
    "{name: Q20, kind: integer, label: 甲}": DefErr.BAD_NAME,
    "{name: q20, kind: integer, label: 甲, required: maybe}": DefErr.BAD_VALUE,
    "{name: q20, kind: integer}": DefErr.MISSING_KEY,
    "{name: q20, kind: date, label: 甲, min: yesterday}": DefErr.BAD_DATE_BOUND,
    "{name: q20, kind: date, label: 甲, min: 20240101}": DefErr.BAD_DATE_BOUND,  # YYYY-MM-DD only
    "{name: q20, kind: date, label: 甲, max: \"2024-W01-1\"}": DefErr.BAD_DATE_BOUND,
    "{name: q20, kind: integer, label: 甲, max: lots}": DefErr.BOUND_NOT_NUMBER,
    "{name: q20, kind: multiple, label: 甲, choices: yes_no, max_choices: 3}": DefErr.COUNT_ABOVE_CHOICES,
    "{name: q20, kind: multiple, label: 甲, choices: yes_no, min_choices: 2, max_choices: 1}":
        DefErr.MIN_CHOICES_ABOVE_MAX,
    "{name: q20, kind: single, label: 甲, choices: [{code: 1, label: 是}, {code: 1, label: 否}]}":
        DefErr.DUPLICATE_CODE,
    "{name: q20, kind: single, label: 甲, choices: [{code: -8, label: 是}], special: [dont_know]}":
        DefErr.SPECIAL_CONFLICT,
    "{name: q20, kind: integer, label: 甲, show_if: \"selected(age, 1)\"}": DefErr.SELECTED_NOT_ALLOWED,
    "{name: q20, kind: integer, label: 甲, show_if: \"count(q10) > 0\"}": DefErr.COUNT_NOT_ALLOWED,
}


@pytest.mark.parametrize("question", sorted(INLINE))
def test_each_definition_error_has_its_own_code(question: str) -> None:
    text = (FIXTURES / "valid_base.yaml").read_text(encoding="utf-8")
    text += f"  - name: extra\n    title: 附加\n    questions:\n      - {question}\n"
    with pytest.raises(DefinitionInvalid) as info:
        compile_text(text.encode(), "inline.yaml")
    assert [f.error for f in info.value.findings] == [INLINE[question]]
    assert info.value.code == DefErr.INVALID.code and info.value.details["problems"][0]["code"] == INLINE[question].code


def test_a_constraint_on_another_page_question_has_its_code() -> None:
    text = (FIXTURES / "valid_base.yaml").read_text(encoding="utf-8")
    text += ("  - name: extra\n    title: 附加\n    constraints:\n"
             "      - {check: \"q21 >= 0\", message: 不对, question: age}\n"
             "    questions:\n      - {name: q21, kind: integer, label: 甲}\n")
    with pytest.raises(DefinitionInvalid) as info:
        compile_text(text.encode(), "inline.yaml")
    assert [f.error for f in info.value.findings] == [DefErr.CONSTRAINT_QUESTION]


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
        assert [p.error for p in info.value.findings] == [error], fixture


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
    assert "[D07 " in err and "问题 q10" in err and "single" in err and "integer" in err


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
    assert "[check.path_missing]" in capsys.readouterr().err


HELPLINES = '[{number: "12338", label: 妇女维权公益服务热线}, {number: 110, label: 遇到危险请立即报警}]'


@pytest.mark.parametrize(("top", "error"), [
    ('helplines: [{number: "110", label: 报警}, {number: 110, label: 报警}]\n', DefErr.DUPLICATE_HELPLINE),
    (f"helplines: {HELPLINES}\nthanks: 谢谢！需要帮助请拨打 12338。\n", DefErr.THANKS_REPEATS_HELPLINE),
    ('helplines: [{number: "12-338", label: 热线}]\n', DefErr.BAD_VALUE),
    ("pronoun: 妳\n", DefErr.BAD_VALUE),
    ("", DefErr.SENSITIVE_WITHOUT_HELPLINES),
])
def test_help_lines_and_the_pronoun_are_checked(top: str, error: DefErr) -> None:
    text = (FIXTURES / "valid_base.yaml").read_text(encoding="utf-8").replace("special_codes:", top + "special_codes:", 1)
    text += ("  - name: extra\n    title: 附加\n    sensitive: true\n    questions:\n"
             "      - {name: q20, kind: integer, label: 甲, required: false}\n")
    with pytest.raises(DefinitionInvalid) as info:
        compile_text(text.encode(), "inline.yaml")
    assert [f.error for f in info.value.findings] == [error]


def test_help_lines_compile_in_order_with_the_pronoun_and_their_intro() -> None:
    text = (FIXTURES / "valid_base.yaml").read_text(encoding="utf-8").replace(
        "special_codes:", f"pronoun: 你\nhelplines: {HELPLINES}\nspecial_codes:", 1)
    survey = compile_text(text.encode(), "inline.yaml")
    assert [(h.number, h.label) for h in survey.helplines] == [("12338", "妇女维权公益服务热线"), ("110", "遇到危险请立即报警")]
    assert survey.pronoun == "你" and survey.helplines_intro == "如果你或身边的人需要帮助："
