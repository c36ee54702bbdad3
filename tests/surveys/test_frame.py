"""The analysis frame: columns, dtypes and labels from the kind table; the union across versions."""

from __future__ import annotations

from typing import Any

import pytest

from surveys.compiler import compile_text
from surveys.errors import DefinitionInvalid
from surveys.frame import (
    META_NAMES,
    Place,
    Stored,
    StoredBatch,
    age_group,
    columns_of,
    frame_of,
    row_of,
    rows_of,
    to_pandas,
)

V1 = """name: hh
title: 家庭问卷
special_codes:
  dont_know: {code: -8, label: 不知道}
  refuse: {code: -9, label: 不愿回答}
frame:
  sex: {question: resp_sex, codes: {1: F, 2: M}}
  age: resp_age
pages:
  - name: p1
    title: 第一页
    questions:
      - {name: resp_sex, kind: single, label: 性别, label_en: Sex, choices: [{code: 1, label: 女}, {code: 2, label: 男}]}
      - {name: resp_age, kind: integer, label: 年龄, min: 0, max: 120, special: [refuse]}
      - name: svc
        kind: multiple
        label: 用过哪些服务
        label_en: Services used
        special: [dont_know]
        choices: [{code: 1, label: 体检, label_en: Check-up}, {code: 9, label: 其他}]
      - name: know
        kind: matrix
        label: 对还是错
        choices: [{code: 1, label: 对}, {code: 2, label: 错}]
        special: [dont_know]
        rows: [{name: know_a, label: 说法甲}, {name: know_b, label: 说法乙}]
      - {name: income, kind: decimal, label: 收入, min: 0, max: 100000, required: false}
      - {name: sleep, kind: duration, label: 睡眠, max: 1440, required: false}
      - {name: born, kind: date, label: 日期, required: false}
      - name: top
        kind: ranking
        label: 最需要
        top: 2
        choices: [{code: 1, label: 甲}, {code: 2, label: 乙}, {code: 3, label: 丙}]
      - {name: note_text, kind: text, label: 建议, required: false}
      - {name: old_only, kind: single, label: 旧题, required: false, choices: [{code: 1, label: 是}]}
"""
V2 = V1.replace("      - {name: old_only, kind: single, label: 旧题, required: false, choices: [{code: 1, label: 是}]}\n",
                "      - {name: new_only, kind: integer, label: 新题, required: false}\n").replace("label: 收入", "label: 月收入")

ANSWERS: dict[str, Any] = {"resp_sex": 1, "resp_age": 42, "svc": [1, 9], "know_a": 1, "know_b": -8, "income": 1234.5,
                           "sleep": 480, "born": "2020-02-29", "top": [3, 1], "note_text": "张三的建议", "old_only": 1}
PLACE = Place("149901001001", "城关店上社区", "149901001000", "枣岭镇", "149901000000", "示范县", "121")


def _versions() -> list[tuple[int, Any]]:
    return [(1, compile_text(V1.encode(), "hh.yaml")), (2, compile_text(V2.encode(), "hh.yaml"))]


def test_columns_follow_the_kind_table_with_metadata_first() -> None:
    frame = frame_of(_versions())
    names = frame.names
    assert names[: len(META_NAMES)] == META_NAMES
    assert names[len(META_NAMES):] == (
        "resp_sex", "resp_age", "svc", "svc_1", "svc_9", "svc_n", "know_a", "know_b", "income", "sleep", "born",
        "top_r1", "top_r2", "note_text", "new_only", "old_only")  # newest version's order, then older-only
    assert frame.versions == (1, 2) and frame.free_text == ("note_text",)
    assert frame.column("income").label == "月收入"  # labels from the newest version
    assert frame.column("svc_1").label == "用过哪些服务：体检" and frame.column("svc_1").label_en == "Services used: Check-up"
    assert frame.column("know_b").label == "对还是错：说法乙" and dict(frame.column("know_b").values)[-8] == "不知道"
    assert dict(frame.column("resp_sex").values) == {1: "女", 2: "男"}
    assert "note_text" not in frame.without_free_text().names


def test_a_row_keeps_codes_special_codes_and_derives_sex_age_group_and_urban_rural() -> None:
    versions = _versions()
    frame = frame_of(versions)
    row = row_of(frame, versions[0][1], Stored(7, "i-1", 1, "api", "complete", ANSWERS), PLACE)
    assert (row["svc"], row["svc_1"], row["svc_9"], row["svc_n"]) == (None, 1, 1, 2)
    assert (row["know_a"], row["know_b"], row["top_r1"], row["top_r2"]) == (1, -8, 3, 1)
    assert (row["sex"], row["age_group"], row["urban_rural"], row["township"]) == ("F", "35-59", "urban", "枣岭镇")
    assert row["old_only"] == 1 and row["new_only"] is None  # version 1 did not ask new_only
    special = row_of(frame, versions[1][1], Stored(8, "i-2", 2, "pages", "complete",
                                                  {**ANSWERS, "svc": -8, "resp_age": -9}), PLACE)
    assert (special["svc"], special["svc_1"], special["svc_n"], special["age_group"]) == (-8, None, None, None)
    data = to_pandas(frame, [row, special])
    assert str(data["svc_1"].dtype) == "Int64" and str(data["income"].dtype) == "Float64"
    assert str(data["born"].dtype) == "string" and str(data["received_at"].dtype).startswith("datetime64")
    assert data["new_only"].isna().all() and list(data["version"]) == [1, 2]


def test_a_batch_from_several_versions_lays_each_response_out_by_its_own_version() -> None:
    versions = _versions()
    frame = frame_of(versions).without_free_text()
    stored = [Stored(1, "i-1", 1, "api", "complete", ANSWERS),
              Stored(2, "i-2", 2, "web", "ended", {**ANSWERS, "new_only": 7, "svc": -8, "resp_sex": 2}),
              Stored(3, "i-3", 1, "api", "complete", {"resp_age": -9}),
              Stored(4, "i-4", 2, "api", "complete", {**ANSWERS, "top": -8})]
    places = [PLACE, None, Place("149901009999"), PLACE]
    batch = StoredBatch(*([getattr(s, f) for s in stored] for f in ("response_id", "instance_id", "version", "channel",
                                                                    "outcome", "answers", "received_at", "started_at",
                                                                    "completed_at", "duration_seconds")),
                        [p or Place("") for p in places])
    columns = columns_of(frame, dict(versions), batch)
    assert list(columns) == list(frame.names) and "note_text" not in columns
    assert rows_of(columns) == [row_of(frame, dict(versions)[s.version], s, p) for s, p in zip(stored, places, strict=True)]
    assert columns["old_only"] == [1, None, None, None] and columns["new_only"] == [None, 7, None, None]
    assert columns["svc"] == [None, -8, None, None] and columns["top_r1"] == [3, 3, None, -8]
    assert columns["sex"] == ["F", "M", None, "F"] and columns["village_code"] == [PLACE.village_code, None,
                                                                                   "149901009999", PLACE.village_code]
    empty = columns_of(frame, dict(versions), StoredBatch(*([] for _ in range(11))))
    assert list(empty) == list(frame.names) and rows_of(empty) == []


@pytest.mark.parametrize("age, group", [(0, "0-2"), (9, "6-9"), (10, "10-17"), (17, "10-17"), (18, "18-34"),
                                        (59, "35-59"), (60, "60+"), (-9, None), (None, None), (True, None)])
def test_age_groups_are_the_population_files_bands(age: Any, group: str | None) -> None:
    assert age_group(age) == group


@pytest.mark.parametrize("change, code", [
    ("question: resp_sex", "question: resp_sx"),
    ("age: resp_age", "age: svc"),
    ("codes: {1: F, 2: M}", "codes: {1: F, 3: M}"),
    ("codes: {1: F, 2: M}", "codes: {1: F, 2: X}"),
])
def test_a_broken_frame_mapping_is_a_clear_definition_error(change: str, code: str) -> None:
    with pytest.raises(DefinitionInvalid) as info:
        compile_text(V1.replace(change, code).encode(), "hh.yaml")
    text = "\n".join(str(f) for f in info.value.findings)
    assert "frame" in text and any(c in text for c in ("D40", "D41", "D42")), text


@pytest.mark.parametrize("name", ["sex", "age_group", "village", "weight", "outcome"])
def test_a_question_may_not_take_a_frame_column_name(name: str) -> None:
    with pytest.raises(DefinitionInvalid) as info:
        compile_text(V1.replace("name: income", f"name: {name}").encode(), "hh.yaml")
    assert any(f.error.code == "D43" and name in str(f) for f in info.value.findings)


def test_a_frame_question_of_an_unknown_kind_is_reported_once_on_the_question() -> None:
    with pytest.raises(DefinitionInvalid) as info:
        compile_text(V1.replace("{name: resp_sex, kind: single", "{name: resp_sex, kind: singel").encode(), "hh.yaml")
    assert [f.error.code for f in info.value.findings] == ["D08"]


POPULATION = "population:\n  count: residents\n  sex: [F]\n  age_groups: [18-34, 35-59]\n  cells: [age_group, urban_rural]\n"


def test_a_population_declaration_compiles_to_the_weighting_target() -> None:
    survey = compile_text(V1.replace("pages:\n", POPULATION + "pages:\n", 1).encode(), "hh.yaml")
    assert survey.population is not None
    assert (survey.population.count, survey.population.sexes, survey.population.age_groups, survey.population.cells) \
        == ("residents", ("F",), ("18-34", "35-59"), ("age_group", "urban_rural"))
    assert compile_text(V1.encode(), "hh.yaml").population is None


@pytest.mark.parametrize("change, value", [
    ("count: residents", "count: people"), ("sex: [F]", "sex: [W]"), ("18-34, 35-59", "18-34, 35-60"),
    ("cells: [age_group, urban_rural]", "cells: [age_group, township]"),
    ("count: residents\n  sex: [F]\n  age_groups: [18-34, 35-59]\n  cells: [age_group, urban_rural]",
     "count: households\n  cells: [age_group]"),
])
def test_a_broken_population_declaration_is_a_clear_definition_error(change: str, value: str) -> None:
    text = V1.replace("pages:\n", POPULATION.replace(change, value) + "pages:\n", 1)
    with pytest.raises(DefinitionInvalid) as info:
        compile_text(text.encode(), "hh.yaml")
    assert any(f.error.code == "D44" and "population" in str(f) for f in info.value.findings), info.value.findings


def test_a_population_cell_of_age_needs_the_frame_age_mapping() -> None:
    text = V1.replace("  age: resp_age\n", "").replace("pages:\n", POPULATION + "pages:\n", 1)
    with pytest.raises(DefinitionInvalid) as info:
        compile_text(text.encode(), "hh.yaml")
    assert any(f.error.code == "D44" and "frame.age" in str(f) for f in info.value.findings)
