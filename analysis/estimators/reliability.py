"""Reliability flags on every estimate, so reports can suppress or mark cells.

- `n_eff<30`: the effective sample size n / deff (R's design effect) is below 30.
- `cv>30%`: the coefficient of variation se / |estimate| exceeds 0.30.
- For proportions (prop, or the mean of a 0/1 variable), the NCHS data presentation standards
  (Parker et al. 2017, Vital Health Stat 2(175), fig. 1), on the 95% Korn-Graubard interval with
  n_eff = p(1 - p) / se^2 truncated at n (n when p is 0 or 1):
  `nchs:suppress:n_eff` (n_eff < 30), `nchs:suppress:width` (absolute CI width >= 0.30),
  `nchs:suppress:relative_width` (width > 0.05 and width / p > 130%),
  `nchs:review:complement` (the complement 1 - p fails the relative width rule),
  `nchs:review:df` (design df < 8).

Must not compute estimates; works on the columns of a finished table.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from analysis.estimators.intervals import nchs_interval, nchs_narrow, nchs_sizes

# below this width none of the NCHS width rules can apply
_NARROW = 0.05


def flags(numbers: Mapping[str, np.ndarray], n: np.ndarray, df: int, proportion: bool) -> list[tuple[str, ...]]:
    """One tuple of flag codes per estimate (empty when nothing is wrong), from the table's columns."""
    out: list[list[str]] = [[] for _ in range(len(n))]
    for row in np.flatnonzero(numbers["n_eff"] < 30).tolist():
        out[row].append("n_eff<30")
    for row in np.flatnonzero(numbers["cv"] > 0.30).tolist():
        out[row].append("cv>30%")
    if proportion:
        for row, codes in enumerate(_nchs(numbers["estimate"], numbers["se"], n, df)):
            out[row].extend(codes)
    return [tuple(codes) for codes in out]


def _nchs(p: np.ndarray, se: np.ndarray, n: np.ndarray, df: int) -> list[list[str]]:
    n_eff, adjusted = nchs_sizes(p, se, n, float(df))
    # the interval itself (scipy's beta quantiles) only where it may be wide enough for a rule
    width = np.zeros(len(p))
    wide = ~nchs_narrow(p, adjusted, _NARROW)
    if wide.any():
        low, high = nchs_interval(p[wide], adjusted[wide])
        width[wide] = high - low
    with np.errstate(divide="ignore", invalid="ignore"):
        relative = width / p
        complement = width / (1 - p)
    out: list[list[str]] = []
    for i in range(len(p)):
        codes = []
        if not n_eff[i] >= 30:
            codes.append("nchs:suppress:n_eff")
        if not width[i] < 0.30:
            codes.append("nchs:suppress:width")
        elif width[i] > 0.05 and relative[i] > 1.30:
            codes.append("nchs:suppress:relative_width")
        if not codes and width[i] > 0.05 and complement[i] > 1.30:
            codes.append("nchs:review:complement")
        if df < 8:
            codes.append("nchs:review:df")
        out.append(codes)
    return out
