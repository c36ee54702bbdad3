"""Answer rules of the kind table and the condition language, on a questionnaire written inline."""

from __future__ import annotations

from typing import Any

import pytest

from surveys.answers import check_response, next_page, prune, read_page, shown_pages
from surveys.compiler import compile_text
from surveys.errors import AnswerErr
from surveys.expr import ExpressionError, compile_condition

DEFINITION = """
name: demo
title: 演示问卷
special_codes:
  dont_know: {code: -8, label: 不知道}
  refuse: {code: -9, label: 不愿回答}
choice_lists:
  yes_no: [{code: 1, label: 是}, {code: 2, label: 否}]
  needs: [{code: 1, label: 托育}, {code: 2, label: 就业}, {code: 3, label: 法律}, {code: 9, label: 以上都没有}]
pages:
  - name: p1
    title: 一
    end_if: "consent == 2"
    questions:
      - {name: consent, kind: single, label: 同意吗, choices: yes_no}
  - name: p2
    title: 二
    constraints:
      - {check: "kids_small <= kids", message: 小孩子不能多于孩子总数, question: kids_small}
    questions:
      - {name: age, kind: integer, label: 年龄, min: 18, max: 99, unit: 岁, special: [refuse]}
      - {name: kids, kind: integer, label: 孩子数, min: 0, max: 10}
      - {name: kids_small, kind: integer, label: 3岁以下, min: 0, max: 10, show_if: "kids >= 1"}
      - {name: needs, kind: multiple, label: 需要, choices: needs, exclusive: [9], max_choices: 2}
      - {name: top, kind: ranking, label: 最需要, choices: needs, top: 2}
      - {name: sleep, kind: decimal, label: 睡眠, min: 0, max: 24, decimals: 1, required: false}
      - {name: chores, kind: duration, label: 家务, max: 600}
      - {name: day, kind: date, label: 日期, min: "2020-01-01", max: today, required: false}
      - {name: say, kind: text, label: 建议, max_length: 5, required: false}
      - {name: sat, kind: matrix, label: 满意度, choices: yes_no, rows: [{name: sat_a, label: 甲}, {name: sat_b, label: 乙}]}
  - name: p3
    title: 三
    show_if: "age >= 35 and selected(needs, 1)"
    questions:
      - {name: screen, kind: single, label: 筛查, choices: yes_no, special: [dont_know]}
"""
SURVEY = compile_text(DEFINITION.encode(), "demo.yaml")
GOOD = {"kids": "2", "kids_small": "1", "age": "40", "needs": ["1"], "top__1": "1", "top__2": "2",
        "chores__h": "1", "chores__m": "30", "sat_a": "1", "sat_b": "2"}


def post(**changes: Any) -> tuple[dict[str, Any], dict[str, str]]:
    form = {**GOOD, **changes}
    form = {k: v for k, v in form.items() if v is not None}
    return read_page(SURVEY, SURVEY.pages[1], lambda k: [form[k]] if isinstance(form.get(k), str) else form.get(k, []),
                     {"consent": 1})


def test_a_good_page_reads_into_typed_answers() -> None:
    answers, errors = post()
    assert errors == {}
    assert answers == {"age": 40, "kids": 2, "kids_small": 1, "needs": [1], "top": [1, 2], "chores": 90,
                       "sat_a": 1, "sat_b": 2}


@pytest.mark.parametrize("changes, var, error, shown", [
    ({"age": "17"}, "age", AnswerErr.OUT_OF_RANGE, "18–99"),
    ({"age": "四十"}, "age", AnswerErr.FORM_INTEGER, "18"),
    ({"kids_small": "3"}, "kids_small", AnswerErr.CONSTRAINT, "小孩子不能多于孩子总数"),
    ({"needs": ["1", "9"]}, "needs", AnswerErr.EXCLUSIVE, "以上都没有"),
    ({"needs": ["1", "2", "3"]}, "needs", AnswerErr.TOO_MANY, "2"),
    ({"top__2": "1"}, "top", AnswerErr.RANK_REPEATED, ""),
    ({"top__1": None}, "top", AnswerErr.FORM_RANK_GAP, ""),
    ({"chores__m": "75"}, "chores", AnswerErr.FORM_MINUTES, ""),
    ({"chores__h": "11"}, "chores", AnswerErr.DURATION_TOO_LONG, "10 小时 0 分钟"),
    ({"sleep": "7.25"}, "sleep", AnswerErr.DECIMALS, "1"),
    ({"day": "2019-12-31"}, "day", AnswerErr.DATE_RANGE, "2020-01-01"),
    ({"day": "31/12/2020"}, "day", AnswerErr.NOT_DATE, ""),
    ({"say": "太长太长太长"}, "say", AnswerErr.TEXT_TOO_LONG, "5"),
    ({"sat_b": None}, "sat_b", AnswerErr.ROW_REQUIRED, ""),
    ({"kids": None}, "kids", AnswerErr.REQUIRED, ""),
    ({"needs": ["x"]}, "needs", AnswerErr.FORM_CHOICE, ""),
    ({"sat_a": "7"}, "sat_a", AnswerErr.NOT_A_CHOICE, ""),
])
def test_each_rule_reports_its_code(changes: dict[str, Any], var: str, error: AnswerErr, shown: str) -> None:
    """Each rule has its own code; the message carries the question's own limits (`shown`)."""
    _, errors = post(**changes)
    assert var in errors and errors[var].code == error.code, errors
    assert shown in errors[var].message


def test_special_codes_are_stored_as_codes_not_missing() -> None:
    answers, errors = post(age="-9")
    assert errors == {} and answers["age"] == -9


def test_hidden_questions_are_not_read_and_not_required() -> None:
    answers, errors = post(kids="0", kids_small="5")
    assert errors == {} and "kids_small" not in answers


def test_eligibility_filter_routes_past_a_module() -> None:
    base = {"consent": 1, "age": 40, "needs": [1]}
    assert next_page(SURVEY, "p2", base).name == "p3"
    assert next_page(SURVEY, "p2", {**base, "age": 30}) is None
    assert next_page(SURVEY, "p2", {**base, "age": -9}) is None  # a refusal never satisfies a comparison
    assert [p.name for p in shown_pages(SURVEY, {"consent": 2})] == ["p1"]


def test_check_response_and_prune_follow_the_same_rules() -> None:
    answers = {"consent": 1, "age": 30, "kids": 0, "needs": [2], "top": [1, 2], "chores": 10, "sat_a": 1, "sat_b": 1}
    assert check_response(SURVEY, answers) == ("complete", {})
    assert check_response(SURVEY, {"consent": 2}) == ("ended", {})
    assert {v: e.code for v, e in check_response(SURVEY, {"consent": 2, "age": 30})[1].items()} == {
        "age": AnswerErr.NOT_ASKED.code}
    assert {v: e.code for v, e in check_response(SURVEY, {**answers, "nope": 1})[1].items()} == {
        "nope": AnswerErr.UNKNOWN_QUESTION.code}
    assert prune(SURVEY, {**answers, "screen": 1}) == answers


@pytest.mark.parametrize("text, answers, expected", [
    ("a == 1 and not b > 2", {"a": 1, "b": 1}, True),
    ("a == 1 or b == 1", {"b": 1}, True),
    ("a != 1", {}, False),
    ("selected(m, 2, 3)", {"m": [1, 3]}, True),
    ("count(m) >= 2", {"m": [1, 3]}, True),
    ("answered(a)", {"a": -8}, True),
    ("a < 5", {"a": -8}, False),
    ("d >= '2024-01-01'", {"d": "2024-05-01"}, True),
])
def test_conditions(text: str, answers: dict[str, Any], expected: bool) -> None:
    from surveys.expr import Env

    assert compile_condition(text)(Env(answers, {"a": frozenset({-8})})) is expected


@pytest.mark.parametrize("text", ["a = 1", "__import__('os')", "a.b == 1", "len(a) > 1", "selected(a)", "a + 1 > 2",
                                  "a < 1e400", "a == -'x'", "a == None"])
def test_unsafe_or_malformed_conditions_are_refused(text: str) -> None:
    with pytest.raises(ExpressionError) as info:
        compile_condition(text)
    assert info.value.code.startswith("expr.")
