"""Rao-Wu rescaled bootstrap replicate factors from a linearised design (R `survey`'s `bootweights()`,
as used by `as.svrepdesign(type = "bootstrap")`; Rao & Wu 1988, JASA 83:231-241).

In each first-stage stratum, n_h - 1 PSUs are drawn with replacement per replicate and PSU j gets
factor n_h / (n_h - 1) x (times drawn). The randomness comes from the `numpy.random.Generator`
passed in, so the same generator state gives the same replicates (not R's draws). Must not create
a generator itself (the spec's `seed` becomes one at the JSON edge) and must not read data.
"""

from __future__ import annotations

import numpy as np

from analysis.design.binding import BoundDesign
from analysis.errors import AnalysisError, E
from analysis.replicate.units import units_by_stratum


def bootstrap_factors(bound: BoundDesign, replicates: int, rng: np.random.Generator) -> np.ndarray:
    """Rao-Wu rescaled bootstrap factors, PSUs x replicates, drawn from `rng`."""
    stage = bound.stages[0]
    if stage.popsize is not None and not np.isinf(stage.popsize).all():
        raise AnalysisError(E.REP_BOOTSTRAP_FPC)
    factors = np.empty((stage.n_units, replicates))
    columns = np.arange(replicates)[None, :]
    for h, units in enumerate(units_by_stratum(bound)):
        n = len(units)
        if n < 2:
            raise AnalysisError(E.REP_BOOTSTRAP_ONE_PSU, stratum=bound.stratum_label(0, h), count=n)
        drawn = rng.integers(0, n, size=(n - 1, replicates))
        counts = np.zeros((n, replicates))
        np.add.at(counts, (drawn, columns), 1.0)
        factors[units] = counts * (n / (n - 1))
    return factors
