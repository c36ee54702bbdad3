"""The code arithmetic every subtree check rests on."""

from __future__ import annotations

import pytest

from server.unitcodes import is_under, level_of, parent_code, prefix


@pytest.mark.parametrize(("code", "level"), [
    ("140000000000", "province"), ("149900000000", "city"), ("149901000000", "county"),
    ("149901001000", "township"), ("149901001001", "village"), ("149901001200", "village"),
    ("000000000000", None), ("140001000000", None), ("14990100100", None), ("14990100100x", None),
    ("149901000001", None),  # a village segment under no township
])
def test_level_of_a_code(code: str, level: str | None) -> None:
    assert level_of(code) == level


def test_parents_and_subtrees() -> None:
    assert parent_code("149901001001") == "149901001000" and parent_code("149901001000") == "149901000000"
    assert parent_code("140000000000") is None and prefix("149901001000") == "149901001"
    assert is_under("149901001001", "149901001000") and is_under("149901001001", "149901001001")
    assert is_under("149901001001", "140000000000")
    assert not is_under("149901002001", "149901001000")  # a sibling township's village
    assert not is_under("149901001000", "149901001001")  # an ancestor is not under its descendant
    assert not is_under("149901001001", "bogus")
