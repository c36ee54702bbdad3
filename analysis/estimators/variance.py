"""Taylor-linearisation variance of domain totals of influence values, over the full design.

Given per-row values z (the influence function or estimating-function contribution of each row) and
a domain code per row, computes Var(sum of z over domain d) for every domain at once, exactly as R
`survey`'s `svyrecvar()` -> `multistage()` -> `onestage()` -> `onestrat()` (survey 4.1) does on
`svyby()` subsets: within each stratum, the unit totals are centred at their mean over the n_h units
*sampled in the design* (units without rows in the domain count as zeros) and summed as
(1 - n_h/N_h) n_h/(n_h - 1) sum (t_hj - mean_h)^2 (Wolter 2007, sec. 6; Sarndal, Swensson & Wretman
1992, result 4.3.1). With an fpc, every later stage adds its own within-unit term scaled by the
product of the earlier sampling fractions n/N (Sarndal et al. sec. 4.3; R's recursion). Lonely units
follow `options(survey.lonely.psu)` with R's default `survey.adjust.domain.lonely = FALSE`: a stratum
with one unit in the design is handled by the rule; a domain that happens to hit one unit is not.
`remove` and `certainty` add nothing, `average` replaces the lonely strata by the mean of the others
(NaN when a later stage has one), `adjust` adds (1 - n/N) t^2, the unit's deviation from zero as in
survey 4.1 (later versions centre at the mean of all units, which differs for totals only), and
`fail` raises. A stratum with n = N (fpc) is self-representing and adds nothing under every rule.

The work is O(n) per stage plus O(domains x units touched): rows are aggregated to (domain, unit)
pairs with `np.bincount` on integer codes. `CalibratedVariance` adds the calibration residuals
of `analysis.calibration`; replicate-weight designs use `analysis.replicate` instead, and
`analysis.estimators.strategy` chooses between them. Must not read data or choose the method.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from analysis.design.binding import BoundDesign, Stage
from analysis.errors import AnalysisError, E
from analysis.io.columns import compact

_SELF_REPRESENTING = 1e-7


@dataclass(frozen=True, eq=False)
class _Pairs:
    """The (domain, unit) pairs of one stage with rows in a domain, and their (domain, stratum) blocks."""

    pair: np.ndarray
    n_pairs: int
    pair_domain: np.ndarray
    block: np.ndarray
    block_domain: np.ndarray
    block_stratum: np.ndarray
    present: np.ndarray


class DomainVariance:
    """Variances of domain totals of per-row values for one design and one domain coding."""

    def __init__(self, bound: BoundDesign, domain: np.ndarray, n_domains: int):
        """Set up the pairs of every stage; `domain` is -1 for rows outside every domain."""
        self.bound = bound
        self.n_domains = n_domains
        self.pairs = [_pairs(stage, domain, n_domains) for stage in bound.stages]
        if bound.design.lonely_psu == "fail":
            for s, (stage, pairs) in enumerate(zip(bound.stages, self.pairs, strict=True)):
                _check_lonely(bound, s, stage, pairs)

    def __call__(self, z: np.ndarray) -> np.ndarray:
        """Var(sum of z over each domain), shape (n_domains,); NaN where R gives NaN."""
        total = np.zeros(self.n_domains)
        for s, (stage, pairs) in enumerate(zip(self.bound.stages, self.pairs, strict=True)):
            unit_totals = np.bincount(pairs.pair, weights=z, minlength=pairs.n_pairs + 1)[: pairs.n_pairs]
            total += self._stage(s, stage, pairs, unit_totals)
        return total

    def levels(
        self, values: np.ndarray, codes: np.ndarray, n_levels: int, centre: np.ndarray, divisor: np.ndarray
    ) -> np.ndarray:
        """Var(domain total of z_l) for every level l at once, shape (n_domains, n_levels), where
        z_l = values * (1[codes = l] - centre[domain, l]) / divisor[domain] (codes >= 0 on every row
        in a domain). A (domain, unit) pair lies in one domain, so its total of z_l is its total of
        values at level l minus centre[domain, l] times its total of values, over divisor[domain]:
        one pass over the rows per stage for all levels, instead of several per level."""
        out = np.empty((self.n_domains, n_levels))
        for s, (stage, pairs) in enumerate(zip(self.bound.stages, self.pairs, strict=True)):
            width = pairs.n_pairs + 1
            cells = np.maximum(codes, 0)  # level-major cells, so that each level's totals are contiguous
            cells *= width
            cells += pairs.pair
            by_level = np.bincount(cells, weights=values, minlength=n_levels * width).reshape(n_levels, width)
            by_level = by_level[:, : pairs.n_pairs]
            base = by_level.sum(axis=0)
            below = divisor[pairs.pair_domain]
            for level in range(n_levels):
                totals = (by_level[level] - centre[:, level][pairs.pair_domain] * base) / below
                variance = self._stage(s, stage, pairs, totals)
                out[:, level] = variance if s == 0 else out[:, level] + variance
        return out

    def _stage(self, s: int, stage: Stage, pairs: _Pairs, unit_totals: np.ndarray) -> np.ndarray:
        n_blocks = len(pairs.block_domain)
        block_sums = np.bincount(pairs.block, weights=unit_totals, minlength=n_blocks)
        n_h = stage.sampled[pairs.block_stratum].astype(np.float64)
        means = block_sums / n_h
        deviations = unit_totals - means[pairs.block]
        squares = np.bincount(pairs.block, weights=deviations * deviations, minlength=n_blocks)
        squares += (n_h - pairs.present) * means * means
        f = _finite_correction(stage)[pairs.block_stratum]
        with np.errstate(divide="ignore", invalid="ignore"):
            scale = np.where(n_h > 1, f * n_h / (n_h - 1), f)
        block_var = scale * squares
        lonely = (n_h == 1) & (f >= _SELF_REPRESENTING)
        policy = self.bound.design.lonely_psu
        if policy == "adjust":
            block_var = np.where(lonely, f * block_sums * block_sums, block_var)
        elif policy == "average":
            block_var = np.where(lonely, np.nan, block_var)
        block_var = np.where(f < _SELF_REPRESENTING, 0.0, block_var) * stage.multiplier[pairs.block_stratum]
        if policy == "average" and s == 0:
            return _average_over_strata(block_var, pairs.block_domain, self.n_domains)
        return np.bincount(pairs.block_domain, weights=block_var, minlength=self.n_domains)


def _average_over_strata(block_var: np.ndarray, block_domain: np.ndarray, n_domains: int) -> np.ndarray:
    """R's `onestage()`: drop lonely strata (NA) and scale the rest by strata / strata kept."""
    kept = ~np.isnan(block_var)
    total = np.bincount(block_domain, weights=np.where(kept, block_var, 0.0), minlength=n_domains)
    n_strata = np.bincount(block_domain, minlength=n_domains)
    n_kept = np.bincount(block_domain, weights=kept, minlength=n_domains)
    with np.errstate(divide="ignore", invalid="ignore"):
        return total * (n_strata / n_kept)


def _finite_correction(stage: Stage) -> np.ndarray:
    """1 - n/N per stratum (1 without an fpc, or where N is infinite), as `onestrat()`."""
    if stage.popsize is None:
        return np.ones(stage.n_strata)
    with np.errstate(invalid="ignore"):
        return np.where(np.isinf(stage.popsize), 1.0, (stage.popsize - stage.sampled) / stage.popsize)


def _pairs(stage: Stage, domain: np.ndarray, n_domains: int) -> _Pairs:
    """Aggregation codes of a stage: row -> (domain, unit) pair -> (domain, stratum) block."""
    outside = domain < 0
    sentinel = n_domains * stage.n_units
    keys = domain * stage.n_units
    keys += stage.unit  # in place: one fresh array of n rows, not two
    if outside.any():
        keys = np.where(outside, sentinel, keys)
    pair, distinct = compact(keys, sentinel + 1)
    n_pairs = len(distinct) - int(distinct[-1] == sentinel) if len(distinct) else 0
    pair_domain, pair_unit = np.divmod(distinct[:n_pairs], stage.n_units)
    block_keys = pair_domain * stage.n_strata + stage.stratum[pair_unit]
    block, blocks = compact(block_keys, n_domains * stage.n_strata)
    block_domain, block_stratum = np.divmod(blocks, stage.n_strata)
    present = np.bincount(block, minlength=len(blocks)).astype(np.float64)
    return _Pairs(pair, n_pairs, pair_domain, block, block_domain, block_stratum, present)


def _check_lonely(bound: BoundDesign, s: int, stage: Stage, pairs: _Pairs) -> None:
    """`lonely_psu: fail`: a stratum with one unit in the design, touched by a domain, is an error."""
    f = _finite_correction(stage)[pairs.block_stratum]
    lonely = (stage.sampled[pairs.block_stratum] == 1) & (f >= _SELF_REPRESENTING)
    if lonely.any():
        stratum = int(pairs.block_stratum[np.flatnonzero(lonely)[0]])
        raise AnalysisError(E.LONELY_PSU, stratum=bound.stratum_label(s, stratum), stage=s + 1)


class CalibratedVariance:
    """Variances of domain totals after calibration: each domain's z (zero outside the domain) is
    residualised on the calibration (R's `svyrecvar` with `postStrata`) and then taken over the
    whole design, since the residuals reach rows outside the domain."""

    def __init__(
        self, bound: BoundDesign, domain: np.ndarray, n_domains: int, residual: Callable[[np.ndarray], np.ndarray]
    ):
        self.whole = DomainVariance(bound, np.zeros(len(domain), dtype=np.int64), 1)
        self.domain = domain
        self.n_domains = n_domains
        self.residual = residual

    def __call__(self, z: np.ndarray) -> np.ndarray:
        out = np.empty(self.n_domains)
        for d in range(self.n_domains):
            out[d] = self.whole(self.residual(np.where(self.domain == d, z, 0.0)))[0]
        return out
