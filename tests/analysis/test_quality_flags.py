"""Automatic review flags on responses, each shown on constructed responses to an inline questionnaire:
raised when its rule holds, not raised when it does not."""

from __future__ import annotations

from typing import Any

import pytest

from analysis.quality.flags import (
    Facts,
    Flag,
    Thresholds,
    answered_count,
    fingerprint,
    flag_responses,
    item_nonresponse_share,
)
from surveys.compiler import compile_text

DEFINITION = """
name: quality_demo
title: 质量演示问卷
special_codes:
  dont_know: {code: -8, label: 不知道}
  refuse: {code: -9, label: 不愿回答}
choice_lists:
  yes_no: [{code: 1, label: 是}, {code: 2, label: 否}]
  agree: [{code: 1, label: 很不同意}, {code: 2, label: 不同意}, {code: 3, label: 一般}, {code: 4, label: 同意},
          {code: 5, label: 很同意}]
pages:
  - name: p1
    title: 一
    end_if: "consent == 2"
    questions:
      - {name: consent, kind: single, label: 同意吗, choices: yes_no}
  - name: p2
    title: 二
    questions:
      - {name: age, kind: integer, label: 年龄, min: 18, max: 99, unit: 岁, special: [refuse]}
      - {name: kids, kind: integer, label: 孩子数, min: 0, max: 10}
      - {name: kids_small, kind: integer, label: 3岁以下, min: 0, max: 10, show_if: "kids >= 1"}
      - name: g5
        kind: matrix
        label: 五行矩阵
        choices: agree
        special: [dont_know]
        rows: [{name: g5_a, label: 甲}, {name: g5_b, label: 乙}, {name: g5_c, label: 丙}, {name: g5_d, label: 丁},
               {name: g5_e, label: 戊}]
      - name: g4
        kind: matrix
        label: 四行矩阵
        choices: agree
        special: [dont_know]
        rows: [{name: g4_a, label: 甲}, {name: g4_b, label: 乙}, {name: g4_c, label: 丙}, {name: g4_d, label: 丁}]
      - {name: say, kind: text, label: 建议, required: false}
  - name: p3
    title: 三
    show_if: "age >= 35"
    questions:
      - {name: screen, kind: single, label: 筛查, choices: yes_no, special: [dont_know]}
"""
SURVEY = compile_text(DEFINITION.encode(), "quality_demo.yaml")
G5 = {"g5_a": 1, "g5_b": 2, "g5_c": 3, "g5_d": 4, "g5_e": 5}
G4 = {"g4_a": 1, "g4_b": 2, "g4_c": 1, "g4_d": 2}
FULL = {"consent": 1, "age": 40, "kids": 2, "kids_small": 1, **G5, **G4, "say": "好", "screen": 1}  # 15 items asked


def facts(rid: str, duration: float | None = 600.0, village: str | None = None, **changes: Any) -> Facts:
    """A response: FULL with `changes` (None removes an answer); no village unless given, so no duplicate."""
    answers = {k: v for k, v in {**FULL, **changes}.items() if v is not None}
    return Facts(rid, village, answers, duration)


def codes(flags: tuple[Flag, ...]) -> list[str]:
    return [f.code for f in flags]


def only(flags: tuple[Flag, ...], code: str) -> Flag:
    found = [f for f in flags if f.code == code]
    assert len(found) == 1, flags
    return found[0]


def test_a_clean_response_has_no_flags() -> None:
    assert flag_responses(SURVEY, [facts("a")]) == {"a": ()}


def test_fingerprint_is_the_sha256_of_canonical_json_whatever_the_key_order() -> None:
    one = fingerprint({"a": 1, "b": [1, 2], "c": "好"})
    assert one == fingerprint({"c": "好", "b": [1, 2], "a": 1}) and len(one) == 64
    assert one != fingerprint({"a": 1, "b": [2, 1], "c": "好"})


def test_answered_count_counts_special_codes_and_only_asked_items() -> None:
    assert answered_count(SURVEY, FULL) == 15
    assert answered_count(SURVEY, {**FULL, "age": -9}) == 14  # refused age: p3 (age >= 35) is not asked
    assert answered_count(SURVEY, {"consent": 2, "age": 40}) == 1  # the interview ended after p1


# --- speeding ---------------------------------------------------------------------------------------


def test_speeding_below_the_time_per_answered_item() -> None:
    flags = flag_responses(SURVEY, [facts("a", duration=20.0)])["a"]  # alone: its own duration is the median
    flag = only(flags, "speeding")
    assert flag.label == "答题过快" and flag.detail["reasons"] == ("per_answer",)
    assert flag.detail["answered"] == 15 and flag.detail["minimum_seconds"] == 30.0


def test_speeding_below_a_third_of_the_batch_median() -> None:
    batch = [facts("a"), facts("b"), facts("c"), facts("fast", duration=150.0)]
    flags = flag_responses(SURVEY, batch)
    assert only(flags["fast"], "speeding").detail["reasons"] == ("median",)
    assert only(flags["fast"], "speeding").detail["median_seconds"] == 600.0
    assert [flags[r] for r in "abc"] == [(), (), ()]


def test_speeding_by_both_reasons_records_both() -> None:
    flags = flag_responses(SURVEY, [facts("a"), facts("b"), facts("fast", duration=10.0)])
    assert only(flags["fast"], "speeding").detail["reasons"] == ("per_answer", "median")


def test_no_speeding_when_slow_enough_for_both_rules() -> None:
    flags = flag_responses(SURVEY, [facts("a"), facts("b"), facts("slow", duration=201.0)])
    assert flags["slow"] == ()


def test_seconds_per_answer_is_a_threshold() -> None:
    batch = [facts("a", duration=40.0)]
    assert flag_responses(SURVEY, batch)["a"] == ()
    assert codes(flag_responses(SURVEY, batch, Thresholds(seconds_per_answer=3.0))["a"]) == ["speeding"]


def test_a_response_without_duration_is_not_speeding_and_not_in_the_median() -> None:
    batch = [facts("none", duration=None, **dict.fromkeys(G5, 3)), facts("none2", duration=None),
             facts("b", duration=300.0), facts("c", duration=300.0), facts("d", duration=90.0)]
    flags = flag_responses(SURVEY, batch)
    assert codes(flags["none"]) == ["straightlining"]  # every other flag still applies
    assert flags["none2"] == ()
    speeding = only(flags["d"], "speeding")  # median of 300, 300, 90: missing durations are not zeros
    assert speeding.detail["median_seconds"] == 300.0 and speeding.detail["reasons"] == ("median",)


# --- straightlining ---------------------------------------------------------------------------------


def test_straightlining_when_every_row_of_a_five_row_matrix_has_one_answer() -> None:
    flags = flag_responses(SURVEY, [facts("a", **dict.fromkeys(G5, 3))])["a"]
    flag = only(flags, "straightlining")
    assert flag.label == "矩阵题同一答案" and flag.detail == {"matrices": {"g5": 3}}


def test_no_straightlining_when_one_row_differs() -> None:
    assert flag_responses(SURVEY, [facts("a", **{**dict.fromkeys(G5, 3), "g5_e": 4})])["a"] == ()


def test_no_straightlining_on_a_matrix_of_four_rows() -> None:
    assert flag_responses(SURVEY, [facts("a", **dict.fromkeys(G4, 2))])["a"] == ()
    lower = Thresholds(matrix_min_rows=4)
    flag = only(flag_responses(SURVEY, [facts("a", **dict.fromkeys(G4, 2))], lower)["a"], "straightlining")
    assert flag.detail == {"matrices": {"g4": 2}}


# --- duplicates -------------------------------------------------------------------------------------


def test_identical_answers_in_one_village_flag_every_member_naming_the_others() -> None:
    batch = [facts("a", village="v1"), facts("b", village="v1"), facts("c", village="v2"),
             facts("d", village="v1", age=41)]
    flags = flag_responses(SURVEY, batch)
    a, b = only(flags["a"], "duplicate"), only(flags["b"], "duplicate")
    assert a.label == "答案重复" and a.detail["others"] == ("b",) and b.detail["others"] == ("a",)
    assert a.detail["fingerprint"] == fingerprint(FULL) and a.detail["village_code"] == "v1"
    assert flags["c"] == () and flags["d"] == ()  # same answers in another village; other answers


def test_a_group_of_three_names_two_others() -> None:
    flags = flag_responses(SURVEY, [facts(r, village="v1") for r in "abc"])
    assert only(flags["c"], "duplicate").detail["others"] == ("a", "b")


def test_identical_answers_across_villages_or_without_a_village_are_not_duplicates() -> None:
    batch = [facts("a", village="v1"), facts("b", village="v2"), facts("c", village=None), facts("d", village=None)]
    assert all(flags == () for flags in flag_responses(SURVEY, batch).values())


def test_short_identical_interviews_are_not_duplicates() -> None:
    refused = [Facts(r, "v1", {"consent": 2}, 30.0) for r in ("a", "b")]
    assert flag_responses(SURVEY, refused) == {"a": (), "b": ()}


# --- item nonresponse -------------------------------------------------------------------------------


def test_item_nonresponse_counts_special_codes_and_unanswered_items() -> None:
    answers = {**FULL, **dict.fromkeys(G4, -8), "say": None}  # 4 don't-knows and one blank of 15
    flags = flag_responses(SURVEY, [facts("a", **answers)])["a"]
    flag = only(flags, "item_nonresponse")
    assert flag.label == "项目无回答比例高" and flag.detail["share"] == pytest.approx(5 / 15)
    assert flag.detail["missing"] == ("say",) and flag.detail["special"] == tuple(G4)
    assert flag.detail["asked"] == 15


def test_questions_skipped_by_the_logic_are_not_asked() -> None:
    # kids 0 hides kids_small; age 30 filters out p3: 13 items asked, only `say` left blank
    answers = {k: v for k, v in FULL.items() if k not in ("kids_small", "screen", "say")}
    assert item_nonresponse_share(SURVEY, {**answers, "kids": 0, "age": 30}) == pytest.approx(1 / 13)
    assert item_nonresponse_share(SURVEY, {"consent": 2}) == 0.0  # ended after p1: only consent asked
    refused_age = {**answers, "kids": 0, "age": -9}  # a refusal is nonresponse and p3 is not asked
    assert item_nonresponse_share(SURVEY, refused_age) == pytest.approx(2 / 13)


def test_no_item_nonresponse_flag_at_or_below_the_threshold() -> None:
    three = {**FULL, "g4_a": -8, "g4_b": -8, "screen": -8}  # 3 of 15 = 0.2: not above
    assert flag_responses(SURVEY, [facts("a", **three)])["a"] == ()
    flags = flag_responses(SURVEY, [facts("a", **three)], Thresholds(item_nonresponse=0.1))["a"]
    assert codes(flags) == ["item_nonresponse"]


def test_flags_come_in_a_fixed_order() -> None:
    bad = {**dict.fromkeys(G5, -8), "age": -9}
    flags = flag_responses(SURVEY, [facts(r, duration=5.0, village="v1", **bad) for r in "ab"])
    assert codes(flags["a"]) == ["speeding", "straightlining", "duplicate", "item_nonresponse"]
