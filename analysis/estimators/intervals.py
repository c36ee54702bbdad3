"""Confidence intervals: Wald with t on the design df, and R's `svyciprop()` methods for proportions.

- `wald`: estimate -/+ t(1 - alpha/2, df) se, as `confint(svymean(...), df = degf(design))`.
- `logit` and `xlogit`: expit(logit p -/+ t se / (p (1 - p))). R fits `logit` as an intercept-only
  quasibinomial `svyglm` and `xlogit` through `svycontrast`; both reduce to this delta-method formula
  (they agree to ~1e-13 in R).
- `beta`: Korn & Graubard (1998, Survey Methodology 24:193-201) as `svyciprop(method = "beta")` in
  survey 4.1: n_eff = p (1 - p) / se^2 times (t(alpha/2, n - 1) / t(alpha/2, df))^2 with n the
  domain's rows (R's `nrow(design)`), then the Clopper-Pearson beta quantiles at x = n_eff p.
- `wilson`: Wilson's score interval (1927) on the same effective sample size without the df factor,
  with the t critical value on the design df (Dean & Pagano 2015; R >= 4.4 `svyciprop`).
- `nchs_sizes`, `nchs_interval`: the interval of the NCHS data presentation standards for proportions
  (Parker et al. 2017, Vital Health Stat 2(175)): 95%, n_eff truncated at n, p in {0, 1} -> n_eff = n;
  `nchs_narrow` tells, without scipy, where that interval is certainly narrower than a width;
  `beta_at_bounds`, the Korn-Graubard interval where p is 0 or 1 (n_eff = n, as those standards).

The t quantile on the design df is `analysis.estimators.student_t` (plain Python: importing scipy
costs more than a whole 1M-row estimate of the command line); the methods other than `wald` take
their beta, logistic and per-domain t functions from `scipy.special`, imported on first use only.
Must not estimate (it maps estimates and standard errors to intervals).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from analysis.errors import AnalysisError, E, show
from analysis.estimators.student_t import t_quantile

CI_METHODS = ("wald", "logit", "beta", "wilson", "xlogit")


def _special() -> Any:
    import scipy.special

    return scipy.special


def _t_vector(prob: float, df: np.ndarray) -> np.ndarray:
    df = np.asarray(df, dtype=np.float64)
    return np.where(df > 0, _special().stdtrit(np.maximum(df, 1.0), prob), np.nan)


def wald(estimate: np.ndarray, se: np.ndarray, df: float, level: float) -> tuple[np.ndarray, np.ndarray]:
    """estimate -/+ t se with t on the design df."""
    t = t_quantile(1 - (1 - level) / 2, df)
    return estimate - t * se, estimate + t * se


def proportion_interval(
    method: str, p: np.ndarray, se: np.ndarray, n: np.ndarray, df: float, level: float
) -> tuple[np.ndarray, np.ndarray]:
    """The interval of `svyciprop(method=...)` for proportions p with standard errors se."""
    if method == "wald":
        return wald(p, se, df, level)
    alpha = 1 - level
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        if method in ("logit", "xlogit"):
            special = _special()
            half = t_quantile(1 - alpha / 2, df) * se / (p * (1 - p))
            eta = special.logit(p)
            return special.expit(eta - half), special.expit(eta + half)
        n_eff = p * (1 - p) / (se * se)
        if method == "beta":
            ratio = _t_vector(alpha / 2, n - 1) / t_quantile(alpha / 2, df)
            return _clopper_pearson(p, n_eff * ratio * ratio, alpha)
        if method == "wilson":
            return _wilson(p, n_eff, t_quantile(1 - alpha / 2, df))
    raise AnalysisError(E.CI_UNKNOWN, value=show(method), allowed=", ".join(CI_METHODS))


def beta_at_bounds(p: float, n: int, df: float, level: float) -> tuple[float, float]:
    """The Korn-Graubard interval of a proportion estimated as 0 or 1, where the design-based effective
    size p (1 - p) / se^2 is 0/0: the sample size n stands in for it (as the NCHS standards do, Parker
    et al. 2017), times the same df factor (t(alpha/2, n - 1) / t(alpha/2, df))^2, capped at n."""
    alpha = 1 - level
    ratio = t_quantile(alpha / 2, n - 1) / t_quantile(alpha / 2, df) if n > 1 else 1.0
    size = min(n * ratio * ratio, float(n))
    low, high = _clopper_pearson(np.array([p]), np.array([size]), alpha)
    return (0.0, float(high[0])) if p <= 0 else (float(low[0]), 1.0)


def nchs_sizes(p: np.ndarray, se: np.ndarray, n: np.ndarray, df: float) -> tuple[np.ndarray, np.ndarray]:
    """The NCHS (Parker et al. 2017) effective sample size, truncated at n, and the df-adjusted size
    that its 95% Korn-Graubard interval uses."""
    with np.errstate(divide="ignore", invalid="ignore"):
        n_eff = np.where((p > 0) & (p < 1) & (se > 0), p * (1 - p) / (se * se), n)
        n_eff = np.minimum(n_eff, n)
        sizes, where = np.unique(n - 1, return_inverse=True)  # one t per distinct domain size
        t_n = np.array([t_quantile(0.975, float(d)) if d > 0 else np.nan for d in sizes.tolist()])[where]
        adjusted = np.minimum(n_eff * (t_n.reshape(n.shape) / t_quantile(0.975, df)) ** 2, n)
    return n_eff, adjusted


def nchs_interval(p: np.ndarray, adjusted: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The NCHS 95% Korn-Graubard interval from `nchs_sizes`' adjusted size."""
    with np.errstate(divide="ignore", invalid="ignore"):
        low, high = _clopper_pearson(p, adjusted, 0.05)
    return np.where(p <= 0, 0.0, low), np.where(p >= 1, 1.0, high)


def nchs_narrow(p: np.ndarray, adjusted: np.ndarray, width: float) -> np.ndarray:
    """Where the NCHS interval is certainly narrower than `width`: its limits lie inside
    p -/+ width/2, as the beta CDF at those two points shows (a quantile lies below c when the CDF
    at c exceeds its probability), with a margin far above the CDF's rounding. No scipy."""
    from analysis.estimators.incomplete_beta import regularized_beta

    half = width / 2 * (1 - 1e-9)
    low_c, high_c = p - half, p + half
    x, rest = adjusted * p, adjusted * (1 - p)
    ok = (low_c > 0) & (high_c < 1) & (x > 0) & (rest > 0) & np.isfinite(adjusted)
    if not ok.any():
        return ok
    i = np.flatnonzero(ok)
    margin = 1e-7
    below_high = regularized_beta(high_c[i], x[i] + 1, rest[i]) > 0.975 + margin  # upper limit < high_c
    above_low = regularized_beta(low_c[i], x[i], rest[i] + 1) < 0.025 - margin  # lower limit > low_c
    ok[i] = below_high & above_low
    return ok


def _clopper_pearson(p: np.ndarray, n_eff: np.ndarray, alpha: float) -> tuple[np.ndarray, np.ndarray]:
    """qbeta(alpha/2, x, n - x + 1) and qbeta(1 - alpha/2, x + 1, n - x) at x = n p."""
    special = _special()
    x, rest = n_eff * p, n_eff * (1 - p)
    return special.betaincinv(x, rest + 1, alpha / 2), special.betaincinv(x + 1, rest, 1 - alpha / 2)


def _wilson(p: np.ndarray, n_eff: np.ndarray, z: float) -> tuple[np.ndarray, np.ndarray]:
    shrink = 1 + z * z / n_eff
    centre = (p + z * z / (2 * n_eff)) / shrink
    half = z / shrink * np.sqrt(p * (1 - p) / n_eff + z * z / (4 * n_eff * n_eff))
    return centre - half, centre + half
