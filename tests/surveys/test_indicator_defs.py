"""Indicator definition files (design/evaluation.md): compiled like questionnaires, each problem with
its own code naming the file, the indicator and the fix; `cunsheng check` compiles them; and how a
condition reads a data file's columns (a multiple choice as `<q>_<code>`)."""

from __future__ import annotations

import shutil
import sqlite3
from contextlib import closing
from pathlib import Path
from typing import get_args

import pytest

from analysis.estimators.intervals import CI_METHODS
from server.cli import main
from surveys.errors import DefErr, DefinitionInvalid
from surveys.expr import compile_condition
from surveys.indicator_defs.compiler import BUNDLED, compile_file, compile_text
from surveys.indicator_defs.reading import answers_of, holds, missing, reads
from surveys.indicator_defs.schema import CiMethod

FIXTURES = Path(__file__).parent / "fixtures"
OWN = Path(__file__).resolve().parents[1] / "analysis" / "data" / "indicators_women.yaml"

INDICATOR = "{code: W-1, name: 甲, stat: prop, numerator: 'training == 1', target: {op: '>=', value: 50}}"
HEAD = "survey: women\nindicators:\n"


def compile_snippet(text: str) -> list[DefErr]:
    with pytest.raises(DefinitionInvalid) as info:
        compile_text(text.encode(), "inline.yaml")
    return [f.error for f in info.value.findings]


def test_a_definition_file_compiles_with_its_defaults() -> None:
    compiled = compile_file(OWN)
    assert compiled.survey == "women" and compiled.special_codes == {-8, -9}  # the questionnaire's
    screen, know = compiled.indicator("T-SCREEN"), compiled.indicator("T-KNOW")
    assert (screen.scale, screen.ci_method, screen.plan, screen.exclude_missing) == (100.0, "logit", ("000:64",), False)
    assert (know.ci_method, know.exclude_missing) == ("beta", True)
    exercise = compiled.indicator("T-EXERCISE")
    assert (exercise.stat, exercise.value, exercise.scale, exercise.ci_method) == ("mean", "exercise_days", 1.0, "wald")
    assert compiled.indicator("T-SAT").target.as_dict() == {"op": "~", "value": 0.4, "year": 2030, "tolerance": 0.05}
    assert [(c.code, c.weight, c.floor) for c in compiled.indices[0].components][0] == ("T-SCREEN", 2.0, 20.0)


def test_the_interval_methods_are_those_of_cunsheng_estimate() -> None:
    assert get_args(CiMethod) == CI_METHODS


def test_special_codes_are_the_files_or_none_without_a_questionnaire() -> None:
    own = compile_text(f"survey: women\nspecial_codes: [-7]\nindicators:\n  - {INDICATOR}\n".encode(), "a.yaml")
    assert own.special_codes == {-7}
    assert compile_text(f"indicators:\n  - {INDICATOR}\n".encode(), "b.yaml").special_codes == frozenset()


PROP = "{{code: W-1, name: 甲, stat: prop, numerator: '{numerator}', target: {{op: '>=', value: 50}}{extra}}}"
# an indicator file's text (after `survey: women` and `indicators:`) and the one error it must have
BROKEN = {
    "  - {code: W-1, name: 甲, stat: prop, numeratr: 'training == 1', target: {op: '>=', value: 50}}":
        DefErr.UNKNOWN_KEY,
    "  - {code: W-1, stat: prop, numerator: 'training == 1', target: {op: '>=', value: 50}}": DefErr.MISSING_KEY,
    "  - {code: w-1, name: 甲, stat: prop, numerator: 'training == 1', target: {op: '>=', value: 50}}":
        DefErr.IND_BAD_CODE,
    "  - {code: W-1, name: 甲, stat: ratio, numerator: 'training == 1', target: {op: '>=', value: 50}}":
        DefErr.BAD_VALUE,
    "  - {code: W-1, name: 甲, stat: prop, target: {op: '>=', value: 50}}": DefErr.IND_NEEDS_KEY,
    "  - {code: W-1, name: 甲, stat: mean, target: {op: '>=', value: 50}}": DefErr.IND_NEEDS_KEY,
    "  - " + PROP.format(numerator="training == 1", extra=", value: age"): DefErr.IND_KEY_NOT_FOR_STAT,
    "  - {code: W-1, name: 甲, stat: mean, value: age, numerator: 'age > 1', target: {op: '>=', value: 50}}":
        DefErr.IND_KEY_NOT_FOR_STAT,
    "  - {code: W-1, name: 甲, stat: mean, value: age, missing: exclude, target: {op: '>=', value: 50}}":
        DefErr.IND_KEY_NOT_FOR_STAT,
    "  - " + PROP.format(numerator="training = 1", extra=""): DefErr.EXPRESSION_SYNTAX,
    "  - " + PROP.format(numerator="trainig == 1", extra=""): DefErr.IND_UNKNOWN_COLUMN,
    "  - " + PROP.format(numerator="selected(job_support, 9)", extra=""): DefErr.IND_UNKNOWN_COLUMN,
    "  - " + PROP.format(numerator="training == 1", extra=", population: 'agee > 3'"): DefErr.IND_UNKNOWN_COLUMN,
    "  - {code: W-1, name: 甲, stat: mean, value: agee, target: {op: '>=', value: 50}}": DefErr.IND_UNKNOWN_COLUMN,
    "  - {code: W-1, name: 甲, stat: prop, numerator: 'training == 1', target: {op: '>='}}": DefErr.IND_TARGET_OP,
    "  - {code: W-1, name: 甲, stat: prop, numerator: 'training == 1', target: {op: up, value: 5}}":
        DefErr.IND_TARGET_OP,
    "  - {code: W-1, name: 甲, stat: prop, numerator: 'training == 1', target: {op: '>=', value: 120}}":
        DefErr.IND_TARGET_OP,
    "  - {code: W-1, name: 甲, stat: prop, numerator: 'training == 1', target: {op: '>', value: 100}}":
        DefErr.IND_TARGET_OP,
    "  - {code: W-1, name: 甲, stat: prop, numerator: 'training == 1', scale: 1, target: {op: '>=', value: 80}}":
        DefErr.IND_TARGET_OP,
    "  - {code: W-1, name: 甲, stat: prop, numerator: 'training == 1', target: {op: '~', value: 50}}":
        DefErr.IND_TOLERANCE_MISSING,
    "  - " + PROP.format(numerator="training == 1", extra=", tolerance: 2"): DefErr.IND_TOLERANCE_UNUSED,
    "  - " + PROP.format(numerator="training == 1", extra=", plan: ['001:99999']"): DefErr.UNKNOWN_INDICATOR,
    "  - " + PROP.format(numerator="training == 1", extra=", plan: ['001:64']"): DefErr.AMBIGUOUS_INDICATOR,
    f"  - {INDICATOR}\n  - {INDICATOR}": DefErr.IND_DUPLICATE_CODE,
}
INDEX = "\nindices:\n  - {{code: W-IDX, name: 指数, components: [{components}], target: {{op: '>=', value: {value}}}}}"
BROKEN_INDEX = {
    ("{code: W-2, weight: 1, floor: 10}", 50): DefErr.IND_UNKNOWN_COMPONENT,
    ("{code: W-1, weight: 1, floor: 10}, {code: W-1, weight: 2, floor: 10}", 50): DefErr.IND_DUPLICATE_COMPONENT,
    ("{code: W-1, weight: 1, floor: 60}", 50): DefErr.IND_FLOOR,
    ("{code: W-1, weight: 0, floor: 10}", 50): DefErr.BAD_VALUE,
    ("{code: W-1, weight: 1, floor: 10}", 150): DefErr.IND_TARGET_OP,
}


@pytest.mark.parametrize("text", sorted(BROKEN))
def test_each_indicator_error_has_its_own_code(text: str) -> None:
    assert compile_snippet(HEAD + text + "\n") == [BROKEN[text]]


@pytest.mark.parametrize("components, value", sorted(BROKEN_INDEX))
def test_each_index_error_has_its_own_code(components: str, value: int) -> None:
    text = HEAD + f"  - {INDICATOR}" + INDEX.format(components=components, value=value) + "\n"
    assert compile_snippet(text) == [BROKEN_INDEX[(components, value)]]


@pytest.mark.parametrize("target, error", [("{op: up}", DefErr.IND_COMPONENT_TARGET),
                                           ("{op: '<=', value: 20}", DefErr.IND_FLOOR),
                                           ("{op: '<=', value: 5}", None)])
def test_a_component_needs_a_scored_target_and_a_floor_on_its_failing_side(target: str, error: DefErr | None) -> None:
    text = (HEAD + f"  - {{code: W-1, name: 甲, stat: prop, numerator: 'training == 1', target: {target}}}"
            + INDEX.format(components="{code: W-1, weight: 1, floor: 10}", value=50) + "\n")
    if error is None:
        assert compile_text(text.encode(), "ok.yaml").indices[0].components[0].floor == 10
    else:
        assert compile_snippet(text) == [error]


def test_messages_name_the_file_the_indicator_and_the_fix() -> None:
    with pytest.raises(DefinitionInvalid) as info:
        compile_text((HEAD + "  - " + PROP.format(numerator="trainig == 1", extra="") + "\n").encode(), "w.yaml")
    line = str(info.value)
    assert line.startswith("w.yaml: 指标 W-1: [D53 ind_unknown_column] ") and "`trainig`" in line and "`training`" in line
    with pytest.raises(DefinitionInvalid) as info:
        compile_text(f"survey: womn\nindicators:\n  - {INDICATOR}\n".encode(), "w.yaml")
    assert "[D50 " in str(info.value) and "`women`" in str(info.value)


def test_check_compiles_indicator_files_and_fails_with_the_code(capsys: pytest.CaptureFixture[str], tmp_path: Path,
                                                                monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CUNSHENG_DATABASE_URL", f"sqlite:///{tmp_path / 'x.db'}")
    assert main(["check", str(OWN)]) == 0
    assert "通过 ok" in capsys.readouterr().out
    assert main(["check", str(FIXTURES / "i01_unknown_column.yaml")]) == 1
    err = capsys.readouterr().err
    assert "i01_unknown_column.yaml: 指标 W-SCREEN: [D53 " in err and "cervical_scren" in err
    folder = tmp_path / "defs"
    (folder / "indicators").mkdir(parents=True)
    shutil.copy(BUNDLED / "women.yaml", folder / "women.yaml")
    shutil.copy(FIXTURES / "i01_unknown_column.yaml", folder / "indicators" / "women.yaml")
    assert main(["check", str(folder)]) == 1  # a folder's indicators/ are checked with it
    assert "[D53 " in capsys.readouterr().err
    with closing(sqlite3.connect(tmp_path / "x.db")) as db:  # checking stores nothing
        assert db.execute("select count(*) from sqlite_master").fetchone() == (0,)


NAMES = ["training", "job_support", "job_support_1", "job_support_2", "job_support_97", "job_support_n",
         "needs_rank_r1", "needs_rank_r2", "age"]


def test_a_condition_reads_a_multiple_choice_as_its_choice_columns() -> None:
    read = reads(compile_condition("selected(job_support, 1, 2) and training == 1"), NAMES)
    assert read.unknown == () and set(read.checked) == {"job_support_1", "job_support_2", "training"}
    assert set(read.needed) == {"training", "job_support", "job_support_1", "job_support_2", "job_support_97"}
    row = {"training": 1, "job_support": None, "job_support_1": 0, "job_support_2": 1, "job_support_97": 0}
    assert answers_of(read, row) == {"training": 1, "job_support": [2]}
    assert holds(compile_condition("selected(job_support, 1, 2) and training == 1"), read, row, frozenset())
    special = {**row, "job_support": -9, "job_support_1": None, "job_support_2": None, "job_support_97": None}
    assert answers_of(read, special)["job_support"] == -9 and missing(read, special, frozenset({-9}))
    assert reads(compile_condition("selected(job_support, 3)"), NAMES).unknown == ("job_support_3",)
    assert reads(compile_condition("selected(training, 1)"), NAMES).columns == ("training",)  # a single choice


def test_rankings_counts_and_unknown_names() -> None:
    ranked = reads(compile_condition("selected(needs_rank, 2)"), NAMES)
    assert answers_of(ranked, {"needs_rank_r1": 5, "needs_rank_r2": 2}) == {"needs_rank": [5, 2]}
    counted = compile_condition("count(job_support) >= 2")
    row = {"job_support_1": 1, "job_support_2": 1, "job_support_97": 0}
    assert holds(counted, reads(counted, NAMES), row, frozenset())
    assert reads(compile_condition("agee > 3 or count(digital) > 1"), NAMES).unknown == ("agee", "digital")


def test_a_special_code_or_a_missing_value_fails_a_comparison_and_counts_as_missing() -> None:
    condition = compile_condition("not (age > 30)")
    read = reads(condition, NAMES)
    assert holds(condition, read, {"age": -8}, frozenset({-8}))  # the comparison is false, its negation true
    assert missing(read, {"age": -8}, frozenset({-8})) and missing(read, {"age": None}, frozenset())
    assert not missing(read, {"age": 40}, frozenset({-8}))
    answered = compile_condition("answered(age)")
    assert reads(answered, NAMES).checked == ()  # answered() reads a missing value on purpose
