"""Conditions said in Chinese from the labels they read, for respondents with JavaScript off."""

from __future__ import annotations

import pytest

from surveys import flow
from surveys.compiler import compile_text
from surveys.describe import GENERIC, when_to_answer
from surveys.expr import compile_condition

DEFINITION = """
name: demo
title: 演示问卷
choice_lists:
  have_not: [{code: 1, label: 有}, {code: 2, label: 没有}]
  needs: [{code: 1, label: 托育}, {code: 2, label: 就业}, {code: 3, label: 法律}]
pages:
  - name: p1
    title: 一
    questions:
      - {name: job, kind: single, label: 您是否有工作, choices: have_not}
      - {name: kids, kind: integer, label: 孩子数, min: 0, max: 10, unit: 个}
      - {name: needs, kind: multiple, label: 需要哪些服务, choices: needs}
      - {name: sat, kind: matrix, label: 满意度, choices: have_not, rows: [{name: sat_a, label: 甲}]}
      - {name: hours, kind: integer, label: 每周工作几小时, min: 0, max: 100, show_if: "job == 1"}
"""
SURVEY = compile_text(DEFINITION.encode(), "demo.yaml")


@pytest.mark.parametrize(("condition", "said"), [
    ("job == 1", "如果“您是否有工作”选了“有”，请回答本题；否则可以不答。"),
    ("job != 1", "如果“您是否有工作”没有选“有”，请回答本题；否则可以不答。"),
    ("selected(job, 1, 2)", "如果“您是否有工作”选了“有”或“没有”，请回答本题；否则可以不答。"),
    ("kids > 2", "如果“孩子数”填的数大于 2 个，请回答本题；否则可以不答。"),
    ("1 <= kids", "如果“孩子数”填的是 1 个或以上，请回答本题；否则可以不答。"),
    ("selected(needs, 1)", "如果“需要哪些服务”选了“托育”，请回答本题；否则可以不答。"),
    ("selected(needs, 1, 3)", "如果“需要哪些服务”选了“托育”或“法律”中的任一项，请回答本题；否则可以不答。"),
    ("count(needs) >= 2", "如果“需要哪些服务”至少选了 2 项，请回答本题；否则可以不答。"),
    ("sat_a == 2", "如果“甲”选了“没有”，请回答本题；否则可以不答。"),
    ("job == 1 and kids >= 1", "如果“您是否有工作”选了“有”，并且“孩子数”填的是 1 个或以上，请回答本题；否则可以不答。"),
    ("job == 2 or (kids >= 1 and selected(needs, 1))",
     "如果“您是否有工作”选了“没有”，或者（“孩子数”填的是 1 个或以上，并且“需要哪些服务”选了“托育”），请回答本题；否则可以不答。"),
    ("not answered(kids)", "如果没有回答“孩子数”，请回答本题；否则可以不答。"),
])
def test_a_condition_is_said_with_the_labels_of_the_answers_it_reads(condition: str, said: str) -> None:
    assert when_to_answer(SURVEY, compile_condition(condition)) == said


@pytest.mark.parametrize("condition", ["not (job == 1)", "kids > job", "nosuch == 1"])
def test_a_condition_that_cannot_be_said_simply_falls_back_to_the_generic_note(condition: str) -> None:
    assert when_to_answer(SURVEY, compile_condition(condition)) == GENERIC


def test_a_hidden_question_on_the_page_names_the_answer_it_depends_on() -> None:
    view = flow.page_view(SURVEY, SURVEY.pages[0], {})
    hours = next(it for it in view.items if it.question.name == "hours")
    assert hours.noscript and hours.condition == "如果“您是否有工作”选了“有”，请回答本题；否则可以不答。"
