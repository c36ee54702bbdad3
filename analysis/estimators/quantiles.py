"""Domain quantiles as R >= 4.1 `svyquantile()`: `qrule = "math"` and Woodruff's interval.

The estimate is the inverse of the weighted empirical CDF (R's `qrule_math` via `qs()`): sort the
values with non-zero weight, accumulate the weights, take the last position whose cumulative weight
is <= p times the total; that value if p lands on it exactly, else the next one. When even the
first cumulative weight exceeds p x total the answer is the smallest value (R 4.1's `qs()` fails
there and 4.2's returns the second smallest; neither is the inverse of the CDF). Cumulative sums use
long double like R's `cumsum()`/`sum()`, so equality tests land as R's do.

The interval is Woodruff's (1952; Lumley 2010, sec. 2.4.1; `interval.type = "mean"`, the default
of both `svyquantile.survey.design` and `svyquantile.svyrep.design`): a Wald interval on the design
df for the domain mean of 1{y <= q}, mapped back through the same rule at the full-sample weights;
an end below 0 or above 1 is undefined (NaN), and se = (upper - lower) / (2 t). The variance of
that mean comes from the caller (`cdf`): linearised, or from the replicate means as R's
`svymean()` on a replicate design does. Each domain is sorted once; the loop runs over domains,
not rows. Must not read data or format output.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from analysis.estimators.intervals import t_quantile
from analysis.estimators.linear import Linear, Sums

DomainMean = Callable[[np.ndarray], Linear]
"""Per-row values -> their domain means (domains x 1) with variances, as `svymean()` on the design."""


@dataclass(frozen=True, eq=False)
class _Sorted:
    """One domain's values with non-zero weight, sorted, with cumulative weights and their total."""

    values: np.ndarray
    cumulative: np.ndarray
    total: float

    def quantile(self, p: float) -> float:
        """R's `qrule_math(x, w, p)`."""
        if np.isnan(p) or len(self.values) == 0:
            return float("nan")
        count = int(np.searchsorted(self.cumulative, p * self.total, side="right"))
        if count == 0:
            return float(self.values[0])
        pos = count - 1
        if p - self.cumulative[pos] / self.total == 0:
            return float(self.values[pos])
        return float(self.values[min(pos + 1, len(self.values) - 1)])


@dataclass(frozen=True, eq=False)
class Quantiles:
    """Per domain (rows) and probability (columns): estimate and Woodruff interval."""

    estimate: np.ndarray
    ci_low: np.ndarray
    ci_high: np.ndarray
    se: np.ndarray


def quantiles(
    y: np.ndarray,
    w: np.ndarray,
    sums: Sums,
    cdf: DomainMean,
    probs: Sequence[float],
    df: float,
    level: float,
) -> Quantiles:
    """Quantiles of y per domain (weights w) with Woodruff intervals at `level` on `df` degrees of
    freedom, the variance of the estimated CDF at each quantile from `cdf`."""
    domains = _sort_domains(y, w, sums)
    estimate = np.array([[d.quantile(p) for p in probs] for d in domains]).reshape(len(domains), len(probs))
    t = t_quantile(1 - (1 - level) / 2, df)
    inside = sums.bins < sums.count
    low = np.empty_like(estimate)
    high = np.empty_like(estimate)
    for j in range(len(probs)):
        below = (inside & (y <= sums.spread(estimate[:, j]))).astype(np.float64)
        at_q = cdf(below)
        centre, se = at_q.estimate[:, 0], np.sqrt(at_q.variance[:, 0])
        p_low, p_high = centre - t * se, centre + t * se
        low[:, j] = [d.quantile(pl) if pl >= 0 else np.nan for d, pl in zip(domains, p_low, strict=True)]
        high[:, j] = [d.quantile(ph) if ph <= 1 else np.nan for d, ph in zip(domains, p_high, strict=True)]
    return Quantiles(estimate, low, high, (high - low) / (2 * t))


def _sort_domains(y: np.ndarray, w: np.ndarray, sums: Sums) -> list[_Sorted]:
    """Each domain's rows with non-zero weight, in data order for the total, then sorted by value."""
    rows = np.flatnonzero((sums.bins < sums.count) & (w != 0))
    rows = rows[np.argsort(sums.bins[rows], kind="stable")]
    bounds = np.concatenate(([0], np.cumsum(np.bincount(sums.bins[rows], minlength=sums.count))))
    out = []
    for d in range(sums.count):
        part = rows[bounds[d] : bounds[d + 1]]
        weights = w[part].astype(np.longdouble)
        order = np.argsort(y[part], kind="stable")
        total = float(np.cumsum(weights)[-1]) if len(part) else float("nan")
        out.append(_Sorted(y[part][order], np.cumsum(weights[order]).astype(np.float64), total))
    return out
