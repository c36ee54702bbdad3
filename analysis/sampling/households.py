"""Systematic selection of households from a village's listing, with a reserve list (README §5).

A listing of L households is numbered 1..L in listing order. The m sample households are a
systematic sample with a fractional interval k = L / m: one u ~ U[0, k), and entry ⌊u + j k⌋ + 1
for j = 0 … m − 1, so every entry has probability exactly m / L (Lohr 2022, *Sampling: Design and
Analysis*, 3rd ed., §2.7; Madow & Madow 1944). The r reserve households are a second systematic
sample, interval (L − m) / r, from the L − m entries not in the sample (in listing order), put in
a random order of use; an entry's probability of being on the reserve list is
(1 − m / L) · r / (L − m) = r / L. A reserve household used in place of a sample household is a
*replacement*: it is recorded as such and keeps its own probability r / L with a note, never the
probability of the household it replaces, because whether it is interviewed depends on the
nonresponse of others (Vehovar 1999, "Field substitution and unit nonresponse", *J. Official
Statistics* 15). The generator is used for exactly two `random()` draws and one permutation.
Pure: no storage.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from analysis.errors import AnalysisError, E

SAMPLE_NOTE = "样本户：系统抽样，入样概率 m/L = {m}/{L}"
RESERVE_NOTE = ("备用户（替补）：从样本户以外的住户中系统抽取，入备用名单概率 r/L = {r}/{L}；"
                "是否被访问取决于样本户的无应答，不取被替补户的入样概率")


@dataclass(frozen=True, eq=False)
class HouseholdSample:
    """The sample and reserve households of one listing (listing numbers 1..L)."""

    listing: int  # L
    sample: np.ndarray  # the m sample households' listing numbers, in listing order
    reserve: np.ndarray  # the r reserve households' listing numbers, in their order of use

    @property
    def prob(self) -> float:
        """A sample household's probability m / L."""
        return len(self.sample) / self.listing

    @property
    def reserve_prob(self) -> float:
        """A household's probability of being on the reserve list, r / L."""
        return len(self.reserve) / self.listing

    def frame(self) -> pd.DataFrame:
        """One row per selected household: listing_number, role (sample/reserve), order (reserve: order
        of use), prob and note (the probability, in Chinese)."""
        m, r, big = len(self.sample), len(self.reserve), self.listing
        return pd.DataFrame({
            "listing_number": np.r_[self.sample, self.reserve].astype(np.int64),
            "role": ["sample"] * m + ["reserve"] * r,
            "order": np.r_[np.arange(1, m + 1), np.arange(1, r + 1)].astype(np.int64),
            "prob": [self.prob] * m + [self.reserve_prob] * r,
            "note": [SAMPLE_NOTE.format(m=m, L=big)] * m + [RESERVE_NOTE.format(r=r, L=big)] * r,
        })


def systematic(population: int, n: int, rng: np.random.Generator) -> np.ndarray:
    """Positions 0..population-1 of a systematic sample of n with interval population / n (one random())."""
    if n == 0:
        return np.empty(0, dtype=np.int64)
    k = population / n
    points = rng.random() * k + np.arange(n) * k
    return np.minimum(np.floor(points).astype(np.int64), population - 1)


def select_households(listing: int, m: int, r: int, rng: np.random.Generator) -> HouseholdSample:
    """m sample households and r reserve households (systematic, reserve in random order) from a
    listing of `listing` entries numbered 1..L; every sample household has probability m / L."""
    if m < 1 or r < 0 or m + r > listing:
        raise AnalysisError(E.HH_SAMPLE, listing=listing, m=m, r=r)
    sample = systematic(listing, m, rng)
    rest = np.setdiff1d(np.arange(listing), sample)
    reserve = rest[systematic(len(rest), r, rng)]
    return HouseholdSample(listing, sample + 1, rng.permutation(reserve) + 1)


def replacements(households: HouseholdSample, failed: Sequence[int]) -> pd.DataFrame:
    """The reserve households that replace the `failed` sample households (listing numbers, in the
    order they failed), one each in the reserve's order of use while it lasts: listing_number,
    replaces, replacement (True), prob (r / L, the replacement's own) and note."""
    used = households.reserve[: len(failed)]
    note = RESERVE_NOTE.format(r=len(households.reserve), L=households.listing)
    return pd.DataFrame({
        "listing_number": used.astype(np.int64),
        "replaces": np.asarray(failed[: len(used)], dtype=np.int64),
        "replacement": np.ones(len(used), dtype=bool),
        "prob": np.full(len(used), households.reserve_prob),
        "note": [note] * len(used),
    })
