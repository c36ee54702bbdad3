"""The bundled indicator definitions (`surveys/definitions/indicators/*.yaml`), checked with plain checks
that need no indicator compiler: the contract's YAML shape, stable codes, plan rows that exist and are
unambiguous, conditions that read only the questionnaire's frame columns, targets that fit the stat
and their plan rows, every plan row a questionnaire links measured, and the satisfaction items.
Each check is shown to fail on a broken copy of a bundled entry."""

from __future__ import annotations

import ast
import copy
import re
from functools import cache
from pathlib import Path
from typing import Any

import pytest
import yaml

from server.catalog import definition_files
from surveys.compiler import compile_file
from surveys.errors import ExpressionError
from surveys.expr import compile_condition
from surveys.frame import frame_of
from surveys.indicators import Match, catalogue, resolve
from surveys.model import Survey

DEFINITIONS = Path(__file__).resolve().parents[2] / "surveys" / "definitions"
INDICATORS = DEFINITIONS / "indicators"
SURVEYS = {"women": "W-", "child": "C-", "caregiver": "G-"}  # code prefix of each file's indicators
TOP_KEYS = {"survey", "special_codes", "indicators", "indices"}
KEYS = {"code", "name", "plan", "stat", "numerator", "value", "population", "scale", "target", "tolerance",
        "ci_method", "missing"}
REQUIRED = {"code", "name", "plan", "stat", "population", "scale", "target"}
COMPARE_OPS = {">=", ">", "<=", "<", "=", "~"}
DIRECTION_OPS = {"up", "down", "qual"}
CODE = re.compile(r"^[A-Z][A-Z0-9-]*$")
FEELINGS = {"获得感": "chg_gain", "幸福感": "chg_happy", "安全感": "chg_safe"}


@cache
def _survey(name: str) -> Survey:
    return compile_file(DEFINITIONS / f"{name}.yaml")


@cache
def _columns(name: str) -> frozenset[str]:
    return frozenset(frame_of([(1, _survey(name))]).names)


def _load(name: str) -> dict[str, Any]:
    doc = yaml.safe_load((INDICATORS / f"{name}.yaml").read_text(encoding="utf-8"))
    assert isinstance(doc, dict)
    return doc


def _selected_codes(text: str) -> list[tuple[str, list[int]]]:
    """(question, codes) of every selected() call in a condition."""
    calls = [n for n in ast.walk(ast.parse(text, mode="eval")) if isinstance(n, ast.Call)]
    return [(c.args[0].id, [a.value for a in c.args[1:] if isinstance(a, ast.Constant)]) for c in calls
            if isinstance(c.func, ast.Name) and c.func.id == "selected" and isinstance(c.args[0], ast.Name)]


def _equal_codes(text: str) -> list[tuple[str, int]]:
    """(name, code) of every `name == code` / `name != code` comparison in a condition."""
    out = []
    for node in ast.walk(ast.parse(text, mode="eval")):
        if (isinstance(node, ast.Compare) and isinstance(node.left, ast.Name) and len(node.ops) == 1
                and isinstance(node.ops[0], ast.Eq | ast.NotEq) and isinstance(node.comparators[0], ast.Constant)
                and isinstance(node.comparators[0].value, int)):
            out.append((node.left.id, node.comparators[0].value))
    return out


def condition_problems(survey: str, field: str, text: object) -> list[str]:
    """What is wrong with one condition: syntax, a name that is not a frame column, a code not offered."""
    if not isinstance(text, str):
        return [f"{field}: not a condition"]
    try:
        cond = compile_condition(text)
    except ExpressionError as exc:
        return [f"{field}: does not parse ({exc})"]
    columns, model, problems = _columns(survey), _survey(survey), []
    for how, name in cond.uses:
        if how != "selected" and name not in columns:
            problems.append(f"{field}: unknown column {name}")
    for name, codes in _selected_codes(text):
        q = model.question_of(name)
        if q is None or not codes:
            problems.append(f"{field}: unknown column {name}")
        elif q.kind == "multiple":
            problems += [f"{field}: unknown column {name}_{c}" for c in codes if f"{name}_{c}" not in columns]
        else:
            problems += [f"{field}: {name} has no code {c}" for c in codes if c not in q.choice_codes]
    for name, code in _equal_codes(text):
        q = model.question_of(name)
        if q is not None and q.choices and code not in q.choice_codes:
            problems.append(f"{field}: {name} has no code {code}")
    return problems


def target_problems(entry: dict[str, Any], years: set[str]) -> list[str]:
    """A target fits the stat (a share lies on 0..scale, `=` is for shares) and its plan rows' year."""
    target = entry.get("target")
    if not isinstance(target, dict) or set(target) - {"op", "value", "year"}:
        return ["target: not {op, value, year}"]
    op, value, problems = target.get("op"), target.get("value"), []
    if op in COMPARE_OPS:
        if not isinstance(value, int | float) or isinstance(value, bool):
            problems.append(f"target: {op} needs a number")
        elif entry.get("stat") == "prop" and not 0 <= value <= entry.get("scale", 0):
            problems.append(f"target: {value} is off the shown scale")
        if op == "=" and entry.get("stat") != "prop":
            problems.append("target: = is for shares")
    elif op in DIRECTION_OPS:
        if value is not None:
            problems.append(f"target: {op} takes no value")
    else:
        problems.append(f"target: unknown op {op}")
    if (op == "~") != ("tolerance" in entry) or (op == "~" and not entry["tolerance"] > 0):
        problems.append("tolerance: only and always with ~")
    if {str(target.get("year"))} != years:
        problems.append(f"target: year {target.get('year')} is not its plan rows' {sorted(years)}")
    return problems


def stat_problems(survey: str, entry: dict[str, Any]) -> list[str]:
    if entry.get("stat") == "prop":
        bad = "value" in entry or entry.get("scale") != 100
        return ["stat: prop needs a numerator, no value, scale 100"] if bad else \
            condition_problems(survey, "numerator", entry.get("numerator"))
    if entry.get("stat") == "mean":
        bad = "numerator" in entry or entry.get("scale") != 1 or entry.get("value") not in _columns(survey)
        return ["stat: mean needs a frame column as value, no numerator, scale 1"] if bad else []
    return [f"stat: unknown {entry.get('stat')}"]


def entry_problems(survey: str, entry: dict[str, Any]) -> list[str]:
    """Everything wrong with one indicator of `survey`'s file."""
    prefix = SURVEYS[survey]
    problems = [f"key: unknown {k}" for k in sorted(set(entry) - KEYS)]
    problems += [f"key: missing {k}" for k in sorted(REQUIRED - set(entry))]
    code = entry.get("code")
    if not isinstance(code, str) or not CODE.match(code) or not code.startswith(prefix):
        problems.append(f"code: {code!r} is not {prefix}[A-Z0-9-]*")
    rows = entry.get("plan")
    if not isinstance(rows, list) or not rows:
        return [*problems, "plan: names no rows"]
    years = set()
    for ref in rows:
        found = resolve(str(ref))
        if found.match is not Match.FOUND or found.row_id is None:
            problems.append(f"plan: {ref} is {found.match.value}")
            continue
        years.add(catalogue()[found.row_id]["target_year"])
    problems += stat_problems(survey, entry)
    problems += condition_problems(survey, "population", entry.get("population"))
    return problems + target_problems(entry, years)


@pytest.mark.parametrize("survey", sorted(SURVEYS))
def test_each_file_has_the_contract_shape_and_reads_its_questionnaire(survey: str) -> None:
    doc = _load(survey)
    assert set(doc) <= TOP_KEYS and doc["survey"] == survey
    assert isinstance(doc["indicators"], list) and doc["indicators"]


@pytest.mark.parametrize("survey", sorted(SURVEYS))
def test_every_bundled_indicator_passes_every_check(survey: str) -> None:
    found = {e.get("code"): entry_problems(survey, e) for e in _load(survey)["indicators"]}
    assert {code: p for code, p in found.items() if p} == {}


def test_codes_are_unique_across_the_files_and_there_are_at_least_40() -> None:
    codes = [e["code"] for s in SURVEYS for e in _load(s)["indicators"]]
    assert len(codes) == len(set(codes)) and len(codes) >= 40


@pytest.mark.parametrize("survey", sorted(SURVEYS))
def test_every_plan_row_a_questionnaire_links_is_measured_by_an_indicator(survey: str) -> None:
    linked = {ref for q in _survey(survey).questions() for ref in q.indicators}
    named = {ref for e in _load(survey)["indicators"] for ref in e["plan"]}
    assert linked - named == set()


@pytest.mark.parametrize("feeling", sorted(FEELINGS))
def test_each_satisfaction_item_is_an_indicator_of_its_own(feeling: str) -> None:
    own = [e for e in _load("women")["indicators"]
           if all(feeling in catalogue()[ref]["indicator_name"] for ref in e["plan"])]
    assert own, feeling
    for entry in own:
        assert compile_condition(entry["numerator"]).names == {FEELINGS[feeling]}
        numbers = {catalogue()[ref]["target_value"] for ref in entry["plan"]}
        assert numbers != {""} or entry["target"]["op"] in ("up", "qual")
    years = {catalogue()[ref]["target_year"] for e in own for ref in e["plan"]}
    assert years == {"2025", "2030"}


def test_the_questionnaire_loader_does_not_take_indicator_files_for_questionnaires() -> None:
    assert [p.name for p in definition_files(DEFINITIONS)] == ["caregiver.yaml", "child.yaml", "women.yaml"]
    assert sorted(p.name for p in INDICATORS.glob("*.yaml")) == ["caregiver.yaml", "child.yaml", "women.yaml"]


def _first(survey: str, code_prefix: str) -> dict[str, Any]:
    entry = next(e for e in _load(survey)["indicators"] if e["code"].startswith(code_prefix))
    return copy.deepcopy(entry)


BROKEN = [  # (survey, entry to copy, change, the problem the checks must report)
    ("women", "W-CERV-SCREEN-GE85", {"numerator": "selected(cervical_scren, 1, 2)"}, "unknown column cervical_scren"),
    ("women", "W-INS-MEDICAL", {"numerator": "selected(insurance, 1, 99)"}, "unknown column insurance_99"),
    ("women", "W-TOILET", {"numerator": "selected(toilet, 1, 9)"}, "toilet has no code 9"),
    ("women", "W-TAPWATER", {"numerator": "water == 7"}, "water has no code 7"),
    ("child", "C-SLEEP-PRI", {"population": 'outcome == "complete" and grade == 1'}, "unknown column grade"),
    ("child", "C-SPORT", {"numerator": "sport_time >="}, "does not parse"),
    ("women", "W-CERV-SCREEN-GE85", {"plan": ["001:64"]}, "001:64 is ambiguous"),
    ("women", "W-CERV-SCREEN-GE85", {"plan": ["001:99999"]}, "001:99999 is missing"),
    ("women", "W-CERV-SCREEN-GE85", {"target": {"op": ">=", "value": 85, "year": 2030}}, "year 2030"),
    ("women", "W-CERV-SCREEN-GE85", {"target": {"op": ">=", "value": 850, "year": 2025}}, "off the shown scale"),
    ("women", "W-CERV-SCREEN-GE85", {"target": {"op": "up", "value": 85, "year": 2025}}, "up takes no value"),
    ("women", "W-CERV-SCREEN-GE85", {"target": {"op": "most", "year": 2025}}, "unknown op most"),
    ("women", "W-TOILET-ABOUT85", {"tolerance": None}, "tolerance: only and always with ~"),
    ("child", "C-READING", {"target": {"op": "=", "value": 100, "year": 2025}}, "= is for shares"),
    ("child", "C-READING", {"value": "books_red"}, "stat: mean needs a frame column"),
    ("child", "C-SPORT", {"scale": 1}, "stat: prop needs a numerator, no value, scale 100"),
    ("caregiver", "G-HELMET", {"code": "W-HELMET"}, "code: 'W-HELMET'"),
    ("caregiver", "G-HELMET", {"colour": "red"}, "key: unknown colour"),
]


@pytest.mark.parametrize(("survey", "code", "change", "problem"), BROKEN)
def test_each_check_fails_on_a_broken_copy(survey: str, code: str, change: dict[str, Any], problem: str) -> None:
    entry = _first(survey, code)
    assert entry_problems(survey, entry) == []
    entry.update(change)
    if change.get("tolerance", 0) is None:
        del entry["tolerance"]
    found = entry_problems(survey, entry)
    assert any(problem in p for p in found), found
    assert entry_problems(survey, _first(survey, code)) == []  # the bundled file is untouched
