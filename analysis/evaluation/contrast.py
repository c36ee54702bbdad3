"""Linear combinations of domain means from one design: gaps between two breakdown levels and
development indices, with their variances.

A combination theta_d = sum_k c_k ybar_kd + const, where ybar_kd is the weighted mean of values_k
over the rows of domain d inside term k's own domain (its population, a usable value, a breakdown
level). Its linearised variance is that of the domain total of the influence values
z = sum_k c_k w 1_k (y_k - ybar_kd) / W_kd (Binder 1983; Woodruff 1971; Lumley 2010, sec. 2.2 and
3.2: the terms' domains overlap and share PSUs, so the covariances enter through z), taken over the
full design by the variance strategy `cunsheng estimate` uses (`analysis.estimators.strategy`):
Taylor linearisation, on calibration residuals when calibrated, or the replicate weights (the
combination re-estimated on each replicate, R's `svycontrast` on a replicate design). Must not read
data files or judge targets.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from analysis.design.spec import Design
from analysis.estimators.linear import Linear, Variance
from analysis.estimators.strategy import VarianceStrategy, variance_strategy
from analysis.estimators.survey import survey
from analysis.io.columns import Columns

if TYPE_CHECKING:  # the replicate room loads only for replicate designs
    from analysis.replicate.weights import Factored


@dataclass(frozen=True, eq=False)
class Term:
    """One domain mean of a combination: per-row values, the rows of its domain, its coefficient."""

    values: np.ndarray
    inside: np.ndarray
    coefficient: float


@dataclass(frozen=True, eq=False)
class Combination:
    """sum_k c_k ybar_kd for every domain d of `domain` (-1: outside all): a `Statistic` of the strategy."""

    terms: tuple[Term, ...]
    domain: np.ndarray
    count: int

    def _bins(self, term: Term) -> np.ndarray:
        return np.where(term.inside & (self.domain >= 0), self.domain, self.count)

    def at(self, w: np.ndarray, variance: Variance) -> Linear:
        """The combination at weights w, with `variance` of its influence values."""
        estimate, z = np.zeros(self.count), np.zeros(len(w))
        for term in self.terms:
            bins = self._bins(term)
            y = np.where(term.inside, term.values, 0.0)
            total_w = np.bincount(bins, weights=w, minlength=self.count + 1)
            with np.errstate(divide="ignore", invalid="ignore"):
                mean = np.bincount(bins, weights=w * y, minlength=self.count + 1) / total_w
                estimate += term.coefficient * mean[: self.count]
                influence = term.coefficient * w * (y - mean[bins]) / total_w[bins]
            z += np.where(bins < self.count, influence, 0.0)
        v = variance(z)
        return Linear(estimate[:, None], v[:, None], np.full((self.count, 1), np.nan))

    def factored(self, f: Factored) -> np.ndarray:
        """Replicate estimates (replicates x domains x 1) of created replicate weights."""
        out = np.zeros((f.factors.shape[1], self.count))
        ones = np.ones(len(self.domain))
        for term in self.terms:
            bins = self._bins(term)
            y = np.where(term.inside, term.values, 0.0)
            with np.errstate(divide="ignore", invalid="ignore"):
                top = f.sums(bins, self.count + 1, y)[:, : self.count]
                out += term.coefficient * top / f.sums(bins, self.count + 1, ones)[:, : self.count]
        return out[:, :, None]


def strategy_of(columns: Columns, design: Design) -> VarianceStrategy:
    """The variance strategy of the design on these columns (the one `estimate` chooses)."""
    return variance_strategy(survey(columns, design.resolve(list(columns))))


def combine(strategy: VarianceStrategy, combination: Combination) -> tuple[np.ndarray, np.ndarray]:
    """The combination's estimate and standard error per domain."""
    result, _ = strategy.linear(combination, combination.domain, combination.count)
    return result.estimate[:, 0], np.sqrt(result.variance[:, 0])
