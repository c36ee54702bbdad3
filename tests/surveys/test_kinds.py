"""The kind table is the one description of a kind: keys, variables, dtypes, labels, export columns, controls."""

from __future__ import annotations

from typing import Any

import pandas as pd

from surveys.kinds import KINDS, dtypes, export_columns, kind_of, to_form, value_labels
from tests.surveys.test_answers import SURVEY


def q(name: str):  # type: ignore[no-untyped-def]
    found = SURVEY.question_of(name)
    assert found is not None
    return found


def test_every_kind_has_a_macro_in_the_template_and_a_valid_dtype() -> None:
    from pathlib import Path

    macros = (Path(__file__).resolve().parents[2] / "templates" / "partials" / "macros.html").read_text()
    for kind in KINDS.values():
        assert f"{{% macro {kind.macro}(" in macros, kind.name
        if kind.dtype:
            pd.Series([], dtype=kind.dtype)  # pandas knows it


def test_stored_variables_come_from_the_table() -> None:
    assert q("sat_a").variables == ("sat_a", "sat_b") and q("age").variables == ("age",)
    assert dtypes(q("sat_a")) == {"sat_a": "Int64", "sat_b": "Int64"} and dtypes(q("sleep")) == {"sleep": "Float64"}


def test_value_labels_hold_choices_and_special_codes() -> None:
    assert value_labels(q("screen")) == {1: "是", 2: "否", -8: "不知道"}
    assert value_labels(q("age")) == {-9: "不愿回答"}


def export_row(question: Any, answers: dict[str, Any]) -> dict[str, Any]:
    return {name: values[0] for name, values in export_columns(question, [answers]).items()}


def test_export_columns_spread_multiple_and_ranking() -> None:
    answers = {"needs": [1, 3], "top": [2], "age": 40}
    assert export_row(q("needs"), answers) == {"needs": None, "needs_1": 1, "needs_2": 0, "needs_3": 1, "needs_9": 0,
                                               "needs_n": 2}
    assert export_row(q("top"), answers) == {"top_r1": 2, "top_r2": None}
    assert export_row(q("needs"), {"needs": -9}) == {"needs": -9, **{f"needs_{c}": None for c in (1, 2, 3, 9)},
                                                     "needs_n": None}
    assert export_row(q("age"), answers) == {"age": 40}
    batch = [answers, {"needs": -9}, {}]
    assert export_columns(q("needs"), batch)["needs_1"] == [1, None, None]
    assert export_columns(q("needs"), batch)["needs"] == [None, -9, None]
    assert export_columns(q("top"), [{"top": [2, 3]}, {"top": -8}, {}]) == {"top_r1": [2, -8, None],
                                                                        "top_r2": [3, None, None]}


def test_a_stored_answer_refills_its_form() -> None:
    assert to_form(q("chores"), {"chores": 95}) == {"chores__h": ["1"], "chores__m": ["35"]}
    assert to_form(q("top"), {"top": [3, 1]}) == {"top__1": ["3"], "top__2": ["1"]}
    assert to_form(q("sleep"), {"sleep": 7.5}) == {"sleep": ["7.5"]}
    assert to_form(q("age"), {"age": -9}) == {"age": ["-9"]}
    assert kind_of(q("needs")).control == "checkbox" and kind_of(q("consent")).control == "radio"
