"""The first-stage PSUs of a bound design grouped by stratum, in data order: the layout every
replicate-creation method (JKn, BRR, Fay, bootstrap) walks, as R's `as.svrepdesign()` does.

Must not create factors or read data.
"""

from __future__ import annotations

import numpy as np

from analysis.design.binding import BoundDesign


def units_by_stratum(bound: BoundDesign) -> list[np.ndarray]:
    """PSUs of each first-stage stratum, in order of their first row in the data."""
    stage = bound.stages[0]
    first = np.full(stage.n_units, len(stage.unit), dtype=np.int64)
    np.minimum.at(first, stage.unit, np.arange(len(stage.unit)))
    order = np.lexsort((first, stage.stratum))
    bounds = np.cumsum(np.bincount(stage.stratum, minlength=stage.n_strata))[:-1]
    return np.split(order, bounds)
