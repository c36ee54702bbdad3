"""Jackknife replicate factors from a linearised design: R `survey`'s `jk1weights()` and `jknweights()`
(as used by `as.svrepdesign(type = "JK1" | "JKn")`; Wolter 2007, ch. 4).

JK1 drops one PSU at a time and multiplies the rest by n/(n-1), with scale (n-1)/n times (1 - n/N)
under an fpc. JKn does so within each stratum, with rscales (n_h-1)/n_h (1 - n_h/N_h) and scale 1,
dropping the replicates of strata sampled exhaustively (R's `survey.drop.replicates`). Factors are
PSUs x replicates; row i's factor is row `unit[i]`. Must not read data.
"""

from __future__ import annotations

import numpy as np

from analysis.design.binding import BoundDesign
from analysis.errors import AnalysisError, E


def jk1_factors(bound: BoundDesign) -> tuple[np.ndarray, float, np.ndarray]:
    """JK1 factors, scale and rscales of an unstratified design."""
    stage = bound.stages[0]
    if stage.n_strata > 1:
        raise AnalysisError(E.REP_JK1_STRATIFIED)
    n = stage.n_units
    if n < 2:
        raise AnalysisError(E.ONE_PSU)
    factors = (1 - np.eye(n)) * (n / (n - 1))
    popsize = stage.popsize
    f = 1.0 if popsize is None or np.isinf(popsize[0]) else (popsize[0] - n) / popsize[0]
    return factors.astype(np.float64), f * (n - 1) / n, np.ones(n)


def jkn_factors(bound: BoundDesign) -> tuple[np.ndarray, float, np.ndarray]:
    """JKn factors, scale 1 and per-replicate rscales of a stratified design."""
    stage = bound.stages[0]
    stratum_of_unit, popsize, sampled = stage.stratum, stage.popsize, stage.sampled
    if (sampled < 2).any():
        h = int(np.flatnonzero(sampled < 2)[0])
        raise AnalysisError(E.REP_JKN_ONE_PSU, stratum=bound.stratum_label(0, h), count=int(sampled[h]))
    n_h = sampled[stratum_of_unit].astype(np.float64)
    same_stratum = stratum_of_unit[:, None] == stratum_of_unit[None, :]
    dropped = np.eye(stage.n_units, dtype=bool)
    factors = np.where(same_stratum, np.where(dropped, 0.0, (n_h / (n_h - 1))[None, :]), 1.0)
    f = np.ones(stage.n_units)
    if popsize is not None:
        with np.errstate(invalid="ignore"):
            per_unit = popsize[stratum_of_unit]
            f = np.where(np.isinf(per_unit), 1.0, (per_unit - n_h) / per_unit)
    keep = f > 0  # R drops the replicates of self-representing strata (survey.drop.replicates)
    if not keep.any():
        raise AnalysisError(E.REP_EXHAUSTIVE)
    return factors[:, keep], 1.0, (f * (n_h - 1) / n_h)[keep]
