"""A design made ready for estimation on a data set: bound, replicated and calibrated, in R's order.

`survey(columns, design, rng)` binds the design (analysis.design.binding), builds its replicate
weights when it has a `replicate` key (analysis.replicate.weights; the bootstrap draws from `rng`,
by default the generator of the spec's `seed`), and calibrates the weights and every replicate
column when it has a `calibration` key (R: `postStratify(as.svrepdesign(design), ...)`). The
design df is `degf()`: PSUs minus strata, or the rank of the replicate weights minus 1. Must not
estimate statistics or choose the variance method (that is `analysis.estimators.strategy`).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

import numpy as np

from analysis.design.binding import BoundDesign, bind
from analysis.design.spec import Design
from analysis.io.columns import Columns

if TYPE_CHECKING:  # the replicate and calibration rooms load only for designs that use them
    from analysis.calibration.calibrator import Calibrator
    from analysis.replicate.weights import Replicates


@dataclass(frozen=True, eq=False)
class Survey:
    """The bound design with its final weights (and design df), the sampling weights before
    calibration, the (calibrated) replicate weights and the calibrator, when there are any."""

    bound: BoundDesign
    sampling: np.ndarray
    replicates: Replicates | None
    calibrator: Calibrator | None


def survey(columns: Columns, design: Design, rng: np.random.Generator | None = None) -> Survey:
    """Bind, replicate and calibrate `design` on `columns` (prefixes already resolved)."""
    bound = bind(design, columns)
    replicates = None
    if design.replicate is not None:
        from analysis.replicate.weights import build

        generator = rng if rng is not None else design.replicate.generator()
        replicates = build(design.replicate, bound, columns, generator)
    calibrator = None
    if design.calibration is not None:
        from analysis.calibration.calibrator import bind as bind_calibration

        calibrator = bind_calibration(design.calibration, columns, bound.stages[0].unit)
    sampling = bound.weights
    if calibrator is not None:
        if replicates is not None:
            full, calibrated = calibrator.all(sampling, replicates.weights)
            replicates = replace(replicates, stored=calibrated)
        else:
            full = calibrator.calibrate(sampling)
        bound = replace(bound, weights=full)
    if replicates is not None:
        bound = replace(bound, df=replicates.df())
    return Survey(bound, sampling, replicates, calibrator)
