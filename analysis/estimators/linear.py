"""Domain means, totals, proportions and ratios: estimates, linearised variances, design effects.

Every estimator is a smooth function of weighted domain totals, so its variance is the variance of
the domain total of its influence values (Binder 1983; Lumley 2010, sec. 2.2 and 3.2; Wolter 2007,
ch. 6): for the mean z = w (y - ybar_d) / W_d, for the total z = w y, for a ratio
z = w (y - R_d x) / X_d, for a proportion the mean of the level's indicator. `DomainVariance` turns
z into variances over the full design. Design effects follow R's `deff = TRUE`: the variance over
that of simple random sampling without replacement of the domain's nobs rows from N = sum of its
weights, with the Kish-rescaled `svyvar()` (n / (n - 1)); nobs counts rows with a non-zero weight.

Inputs are per-row arrays: weights w, a domain code (-1 outside every domain, e.g. a missing value
dropped by `--na drop`), and the analysis values with zeros where outside. Must not read data or
format output.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

Variance = Callable[[np.ndarray], np.ndarray]


@dataclass(frozen=True, eq=False)
class Linear:
    """Estimates, variances and design effects, shape (domains, levels); levels = 1 unless categorical."""

    estimate: np.ndarray
    variance: np.ndarray
    deff: np.ndarray


@dataclass(frozen=True, eq=False)
class Sums:
    """Per-domain sums by `np.bincount`; rows outside every domain go to a dropped extra bin."""

    bins: np.ndarray
    count: int

    @classmethod
    def of(cls, domain: np.ndarray, count: int) -> Sums:
        return cls(np.where(domain < 0, count, domain) if (domain < 0).any() else domain, count)

    def __call__(self, values: np.ndarray | None = None) -> np.ndarray:
        return np.bincount(self.bins, weights=values, minlength=self.count + 1)[: self.count]

    def spread(self, per_domain: np.ndarray, outside: float = 0.0) -> np.ndarray:
        """A per-domain value on every row (`outside` on rows outside every domain)."""
        return np.append(per_domain, outside)[self.bins]


def mean(y: np.ndarray, w: np.ndarray, sums: Sums, variance: Variance) -> Linear:
    """Domain means (`svymean`)."""
    total_w = sums(w)
    estimate = sums(w * y) / total_w
    centred = y - sums.spread(estimate)
    v = variance(w * centred / sums.spread(total_w, 1.0))
    vsrs = _srs_variance(_kish_variance(centred, w, sums, total_w), sums(_nonzero(w)), total_w, True)
    return Linear(estimate[:, None], v[:, None], _divide(v, vsrs)[:, None])


def total(y: np.ndarray, w: np.ndarray, sums: Sums, variance: Variance) -> Linear:
    """Domain totals (`svytotal`)."""
    total_w = sums(w)
    estimate = sums(w * y)
    v = variance(w * y)
    centred = y - sums.spread(estimate / total_w)
    vsrs = _srs_variance(_kish_variance(centred, w, sums, total_w), sums(_nonzero(w)), total_w, False)
    return Linear(estimate[:, None], v[:, None], _divide(v, vsrs)[:, None])


def categorical(
    codes: np.ndarray, n_levels: int, w: np.ndarray, sums: Sums, variance: Variance, as_total: bool
) -> Linear:
    """Proportions (`svymean` of a factor) or estimated counts (`svytotal` of a factor) per level."""
    total_w = sums(w)
    bins = sums.bins * n_levels + np.maximum(codes, 0)
    level_w = np.bincount(bins, weights=w, minlength=(sums.count + 1) * n_levels)
    level_w = level_w.reshape(sums.count + 1, n_levels)[: sums.count]
    p = level_w / total_w[:, None]
    nobs = sums(_nonzero(w))
    kish = _divide(nobs, nobs - 1)
    levelwise = getattr(variance, "levels", None)
    if levelwise is not None:  # all levels in one pass (DomainVariance)
        if as_total:
            variances = levelwise(w, codes, n_levels, np.zeros_like(p), np.ones(sums.count))
        else:
            variances = levelwise(w, codes, n_levels, p, total_w)
    else:
        variances = np.empty_like(p)
        scaled = w / sums.spread(total_w, 1.0)
        for level in range(n_levels):
            indicator = (codes == level).astype(np.float64)
            if as_total:
                variances[:, level] = variance(w * indicator)
            else:
                variances[:, level] = variance(scaled * (indicator - sums.spread(p[:, level])))
    with np.errstate(invalid="ignore"):
        kish_p = kish[:, None] * p * (1 - p)
    vsrs = _srs_variance(kish_p, nobs[:, None], total_w[:, None], not as_total)
    return Linear(level_w if as_total else p, variances, _divide(variances, vsrs))


def ratio(y: np.ndarray, x: np.ndarray, w: np.ndarray, sums: Sums, variance: Variance) -> Linear:
    """Domain ratios of totals (`svyratio`), with R's deff: that of `svytotal` of the residuals."""
    total_w = sums(w)
    total_x = sums(w * x)
    estimate = sums(w * y) / total_x
    residual = (y - sums.spread(estimate) * x) / sums.spread(total_x, 1.0)
    v = variance(w * residual)
    centred = residual - sums.spread(sums(w * residual) / total_w)
    vsrs = _srs_variance(_kish_variance(centred, w, sums, total_w), sums(_nonzero(w)), total_w, False)
    return Linear(estimate[:, None], v[:, None], _divide(v, vsrs)[:, None])


def _kish_variance(centred: np.ndarray, w: np.ndarray, sums: Sums, total_w: np.ndarray) -> np.ndarray:
    """R's `svyvar()`: n/(n-1) times the weighted mean of squared deviations (n = non-zero weights)."""
    nobs = sums(_nonzero(w))
    with np.errstate(divide="ignore", invalid="ignore"):
        return sums(w * centred * centred) / total_w * nobs / (nobs - 1)


def _srs_variance(svyvar: np.ndarray, nobs: np.ndarray, total_w: np.ndarray, for_mean: bool) -> np.ndarray:
    """Variance under SRS without replacement of nobs from N = sum of weights: svyvar (N - n) / (N n),
    times N^2 for a total; `svymean` gives NA where N < n, `svytotal` does not."""
    with np.errstate(divide="ignore", invalid="ignore"):
        factor = (total_w - nobs) / (total_w * nobs)
        if for_mean:
            return svyvar * np.where(total_w < nobs, np.nan, factor)
        return svyvar * total_w**2 * factor


def _divide(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    with np.errstate(divide="ignore", invalid="ignore"):
        return a / b


def _nonzero(w: np.ndarray) -> np.ndarray:
    return (w != 0).astype(np.float64)
