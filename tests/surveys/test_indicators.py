"""The plan-target catalogue: rows keyed by `row_id`; a reference is found, missing or ambiguous."""

from __future__ import annotations

import csv

import pytest

from surveys.indicators import CATALOGUE, ROW_ID, Match, catalogue, resolve


def _rows() -> list[dict[str, str]]:
    with CATALOGUE.open(encoding="utf-8-sig", newline="") as fh:
        return list(csv.DictReader(fh))


def test_every_row_has_a_unique_well_formed_row_id_matching_its_seed_and_line() -> None:
    rows = _rows()
    assert len(catalogue()) == len(rows)
    for row in rows:
        match = ROW_ID.match(row["row_id"])
        assert match, row["row_id"]
        assert match.group(1) == f"{row['seed_file'][:3]}:{row['source_line']}", row["row_id"]


def test_suffixes_number_the_targets_of_one_line_in_file_order() -> None:
    lines: dict[str, list[str]] = {}
    for row_id in catalogue():
        match = ROW_ID.match(row_id)
        assert match
        lines.setdefault(match.group(1), []).append(match.group(2) or "")
    for line, suffixes in lines.items():
        expected = [""] if len(suffixes) == 1 else [str(i) for i in range(1, len(suffixes) + 1)]
        assert suffixes == expected, line


@pytest.mark.parametrize("ref", ["001:64.3", "000:61"])
def test_an_exact_row_id_is_found(ref: str) -> None:
    found = resolve(ref)
    assert found.match is Match.FOUND and found.row_id == ref
    assert catalogue()[ref]["row_id"] == ref


def test_a_bare_line_with_several_targets_is_ambiguous_and_lists_them_in_file_order() -> None:
    found = resolve("001:64")
    assert found.match is Match.AMBIGUOUS and found.row_id is None
    assert found.candidates == ("001:64.1", "001:64.2", "001:64.3", "001:64.4")
    assert catalogue()["001:64.3"]["indicator_name"] == "35—64岁适龄妇女宫颈癌人群筛查率"


@pytest.mark.parametrize("ref", ["001:99999", "001:64.9", "", "64", "001:64.3 "])
def test_an_unknown_reference_is_missing(ref: str) -> None:
    found = resolve(ref)
    assert found.match is Match.MISSING and found.candidates == () and found.row_id is None
