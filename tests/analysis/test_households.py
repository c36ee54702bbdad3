"""Systematic households with a reserve list: known picks, exact probabilities m/L and r/L, the
reserve's order of use and the replacements' own probability."""

from __future__ import annotations

import numpy as np
import pytest

from analysis.errors import AnalysisError
from analysis.sampling.households import replacements, select_households, systematic


class FixedDraws:
    """A stand-in generator whose `random()` returns the given numbers in turn (permutation: identity)."""

    def __init__(self, *values: float) -> None:
        self.values = list(values)

    def random(self) -> float:
        return self.values.pop(0)

    def permutation(self, x: np.ndarray) -> np.ndarray:
        return np.asarray(x)


def test_systematic_picks_follow_the_fractional_interval() -> None:
    # L = 10, m = 4: k = 2.5, u = 0.3 k = 0.75: points 0.75, 3.25, 5.75, 8.25 -> entries 1, 4, 6, 9
    picks = systematic(10, 4, FixedDraws(0.3))  # type: ignore[arg-type]
    assert (picks + 1).tolist() == [1, 4, 6, 9]


def test_every_entry_has_probability_m_over_l_exactly() -> None:
    # integrate over the start u on a fine grid: each entry is hit in a share 1/k = m/L of the starts
    grid = (np.arange(20_000) + 0.5) / 20_000
    hits = np.zeros(13)
    for u in grid:
        hits[systematic(13, 5, FixedDraws(float(u)))] += 1  # type: ignore[arg-type]
    assert np.allclose(hits / grid.size, 5 / 13, atol=1e-4)


def test_the_reserve_comes_from_the_rest_in_a_random_order_of_use() -> None:
    rng = np.random.default_rng(3)
    chosen = select_households(40, 8, 5, rng)
    assert len(chosen.sample) == 8 and len(chosen.reserve) == 5
    assert not set(chosen.sample) & set(chosen.reserve)
    assert chosen.sample.tolist() == sorted(chosen.sample.tolist())
    assert set(chosen.reserve.tolist()) <= set(range(1, 41))
    assert chosen.prob == 8 / 40 and chosen.reserve_prob == 5 / 40
    frame = chosen.frame()
    assert frame["role"].tolist() == ["sample"] * 8 + ["reserve"] * 5
    assert frame.loc[frame["role"] == "reserve", "order"].tolist() == [1, 2, 3, 4, 5]
    assert frame["note"].str.contains("8/40").sum() == 8 and frame["note"].str.contains("5/40").sum() == 5


def test_reserve_probability_is_r_over_l() -> None:
    rng = np.random.default_rng(17)
    draws = 20_000
    sample = np.zeros(12)
    reserve = np.zeros(12)
    for _ in range(draws):
        chosen = select_households(12, 4, 3, rng)
        sample[chosen.sample - 1] += 1
        reserve[chosen.reserve - 1] += 1
    for counts, p in ((sample, 4 / 12), (reserve, 3 / 12)):
        assert np.all(np.abs(counts / draws - p) <= 4 * np.sqrt(p * (1 - p) / draws))


def test_replacements_are_used_in_order_and_keep_their_own_probability() -> None:
    chosen = select_households(30, 6, 2, np.random.default_rng(1))
    failed = [int(chosen.sample[1]), int(chosen.sample[4]), int(chosen.sample[5])]
    used = replacements(chosen, failed)
    assert used["listing_number"].tolist() == chosen.reserve.tolist()  # only 2 reserves for 3 failures
    assert used["replaces"].tolist() == failed[:2]
    assert used["replacement"].all()
    assert used["prob"].tolist() == [2 / 30, 2 / 30]  # r / L, never the replaced household's m / L
    assert used["note"].str.contains("不取被替补户的入样概率").all()


@pytest.mark.parametrize("listing, m, r", [(10, 8, 3), (10, 0, 2), (5, 2, -1)])
def test_impossible_samples_are_catalogue_problems(listing: int, m: int, r: int) -> None:
    with pytest.raises(AnalysisError) as caught:
        select_households(listing, m, r, np.random.default_rng(0))
    assert caught.value.code == "sample.households"
