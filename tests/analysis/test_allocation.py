"""Allocation of villages to 乡镇 × 城乡 strata: largest remainder, caps, merges, certainty strata, and
the draw that `cunsheng sample pps` reproduces from the same frame, allocation and seed."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from analysis.cli.sample import main as sample_main
from analysis.errors import AnalysisError
from analysis.sampling.allocation import allocate, apportion, draw_villages, stratum_id
from tests.analysis.wave_simulation import county_units

T1, T2, T3 = "149901001000", "149901002000", "149901003000"


def toy_units() -> pd.DataFrame:
    """T1: 2 urban + 4 rural villages, T2: 4 rural, T3: 3 rural of 50; 100 households elsewhere."""
    rows = []
    for town, part, sizes, first in ((T1, "urban", [100, 100], 1), (T1, "rural", [100] * 4, 201),
                                     (T2, "rural", [100] * 4, 201), (T3, "rural", [50] * 3, 201)):
        for i, size in enumerate(sizes):
            rows.append({"code": f"{town[:9]}{first + i:03d}", "township_code": town, "urban_rural": part,
                         "households": size})
    return pd.DataFrame(rows)


def test_largest_remainder_gives_the_seats_to_the_largest_fractions() -> None:
    # quotas 3.15, 2.45, 1.40: floors 3, 2, 1 and the one seat left goes to .45
    assert apportion(np.array([45.0, 35.0, 20.0]), 7, np.array([9, 9, 9])).tolist() == [3, 3, 1]


def test_a_quota_above_the_stratum_takes_every_village_and_the_rest_is_shared_again() -> None:
    assert apportion(np.array([90.0, 10.0]), 4, np.array([2, 5])).tolist() == [2, 2]


def test_stratum_ids_name_the_parts() -> None:
    assert stratum_id(frozenset({(T1, "urban")})) == f"{T1}-urban"
    assert stratum_id(frozenset({(T1, "urban"), (T1, "rural")})) == T1
    assert stratum_id(frozenset({(T2, "rural"), (T3, "rural")})) == f"{T2}-rural+{T3}-rural"


def test_short_strata_merge_with_their_other_part_then_with_the_next_township() -> None:
    # n = 8 of 1150 households: quotas 2.78 (T1 rural), 1.39 (T1 urban), 2.78, 1.04 -> 3, 1, 3, 1.
    # T1 urban (1) joins T1 rural: T1 600, T2 400, T3 150 -> 4.17, 2.78, 1.04 -> 4, 3, 1.
    # T3 (1) has no other part and no later township, so it joins T2: 4.17, 3.83 -> 4, 4.
    allocation = allocate(toy_units(), 8)
    assert dict(allocation.sizes) == {T1: 4, f"{T2}-rural+{T3}-rural": 4}
    assert [(m.short, m.partner, m.into, m.step, m.n) for m in allocation.merges] == [
        (f"{T1}-urban", f"{T1}-rural", T1, "urban_rural", 1),
        (f"{T3}-rural", f"{T2}-rural", f"{T2}-rural+{T3}-rural", "township", 1),
    ]
    assert "同乡镇的乡村部分" in allocation.merges[0].description
    assert "相邻乡镇" in allocation.merges[1].description
    assert allocation.certainty == ()
    assert set(allocation.stratum.values()) == set(allocation.sizes)


def test_a_certainty_village_is_a_stratum_of_its_own() -> None:
    units = pd.DataFrame({"code": [f"149901001{i:03d}" for i in range(201, 206)], "township_code": T1,
                          "urban_rural": "rural", "households": [1000, 100, 100, 100, 100]})
    # n = 3: k = 1400 / 3 < 1000, so the big village is certain; then k = 400 / 2 = 200 > 100
    allocation = allocate(units, 3, "given", {f"{T1}-rural": 3})
    assert allocation.certainty == ("149901001201",)
    assert dict(allocation.sizes) == {"149901001201": 1, f"{T1}-rural": 2}
    drawn = draw_villages(units, allocation, 5)
    sure = drawn[drawn["certainty"]]
    assert sure["code"].tolist() == ["149901001201"] and sure["stratum"].tolist() == ["149901001201"]
    assert sure["prob"].tolist() == [1.0]
    assert drawn.loc[~drawn["certainty"], "prob"].tolist() == [0.5, 0.5]


def test_equal_allocation_splits_n_evenly_with_ties_to_the_earlier_stratum() -> None:
    units = toy_units()
    units = units[units["urban_rural"] == "rural"]
    # 3 strata, n = 7: 2.33 each, the seat left goes to the first (T1 rural)
    assert dict(allocate(units, 7, "equal").sizes) == {f"{T1}-rural": 3, f"{T2}-rural": 2, f"{T3}-rural": 2}


@pytest.mark.parametrize("kwargs, code", [
    ({"n": 8, "method": "random"}, "sample.allocation_method"),
    ({"n": 99}, "sample.allocation_total"),
    ({"n": 8, "method": "given", "given": {f"{T1}-rural": 8}}, "sample.allocation_given"),
    ({"n": 8, "method": "given", "given": {f"{T1}-rural": 2, f"{T1}-urban": 2, f"{T2}-rural": 2,
                                           f"{T3}-rural": 1}}, "sample.allocation_given"),
])
def test_bad_allocations_are_catalogue_problems(kwargs: dict, code: str) -> None:
    with pytest.raises(AnalysisError) as caught:
        allocate(toy_units(), **kwargs)
    assert caught.value.code == code


def test_the_county_allocation_keeps_two_villages_in_every_sampled_stratum() -> None:
    units = county_units()
    for n in (20, 30, 45):
        allocation = allocate(units, n)
        assert sum(allocation.sizes.values()) == n
        assert set(allocation.stratum) == set(units["code"])
        for stratum, n_h in allocation.sizes.items():
            assert n_h == 1 if stratum in allocation.certainty else n_h >= 2
        drawn = draw_villages(units, allocation, 11)
        assert len(drawn) == n and drawn["code"].is_unique


def test_draw_villages_is_what_cunsheng_sample_pps_draws(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    units = county_units()
    allocation = allocate(units, 40)
    frame = units.sort_values("code").assign(stratum=lambda f: f["code"].map(allocation.stratum))
    frame.to_csv(tmp_path / "frame.csv", index=False)
    allocation.table().to_csv(tmp_path / "alloc.csv", index=False)
    out = tmp_path / "selected.csv"
    status = sample_main(["pps", str(tmp_path / "frame.csv"), "--id", "code", "--size", "households", "--strata",
                          "stratum", "--allocation", str(tmp_path / "alloc.csv"), "--seed", "2026", "--out", str(out)])
    assert status == 0, capsys.readouterr().err
    cli = pd.read_csv(out, dtype={"code": str, "stratum": str})
    ours = draw_villages(units, allocation, 2026)
    assert ours["code"].tolist() == cli["code"].tolist()
    assert np.allclose(ours["prob"], cli["prob"], rtol=1e-12)
    assert ours["certainty"].astype(int).tolist() == cli["certainty"].tolist()
    assert ours["selection_order"].tolist() == cli["selection_order"].tolist()
    assert (ours["stratum"] == cli["stratum"]).all()


def test_a_generator_draws_like_its_seed() -> None:
    units = county_units()
    allocation = allocate(units, 30)
    by_seed = draw_villages(units, allocation, 9)
    by_rng = draw_villages(units, allocation, np.random.default_rng(9))
    assert by_seed["code"].tolist() == by_rng["code"].tolist()


def test_base_weights_of_a_full_listing_add_up_to_the_county_households() -> None:
    # with listings as large as the measure of size, L / p_village is M'_h / n'_h in every
    # non-certainty stratum, so the base weights add up to the households exactly (Horvitz-Thompson)
    units = county_units()
    allocation = allocate(units, 30)
    for seed in range(5):
        drawn = draw_villages(units, allocation, seed)
        assert np.isclose((drawn["households"] / drawn["prob"]).sum(), units["households"].sum(), rtol=1e-12)
