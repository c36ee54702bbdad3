"""Calibration of design weights bound to a data set: R `survey`'s `postStratify()`, `rake()` and
`calibrate()`, behind one `Calibrator`.

`bind(spec, columns, clusters)` ties a validated `calibration` spec (analysis.calibration.spec) to
the data and gives a `Calibrator` that calibrates any weight vector (the full-sample weights, and
every replicate column, as `postStratify`/`rake`/`calibrate` on an `svyrep.design`) and that
residualises influence values for the Taylor variance as R's `svyrecvar()` does with the stored
`postStrata`: post-stratification subtracts psw times the post-stratum mean of z / psw (psw the
calibrated weights), the mean weighted by the sampling weights (R's `oldweights`); raking repeats that over the margins 10 times, with each margin's weights
from the last sweep; model calibration is `analysis.calibration.model` (Deville & Sarndal 1992;
Lumley 2010, ch. 7). Must not parse JSON or estimate statistics.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from analysis.calibration.model import ModelCalibrator
from analysis.calibration.spec import CalibrationSpec, PostStratify, Rake
from analysis.calibration.tables import cell_table, rake, rake_replicates, rake_residualiser, same_totals
from analysis.io.columns import Columns


@dataclass(frozen=True, eq=False)
class Calibrator:
    """Calibrates weight vectors and residualises influence values for the Taylor variance."""

    calibrate: Callable[[np.ndarray], np.ndarray]
    residualiser: Callable[[np.ndarray, np.ndarray], Callable[[np.ndarray], np.ndarray]]
    with_replicates: Callable[[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray]] | None = None

    def all(self, w: np.ndarray, replicates: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Calibrate the full-sample weights and every replicate column (rows x replicates)."""
        if self.with_replicates is not None:
            return self.with_replicates(w, replicates)
        return self.calibrate(w), np.column_stack([self.calibrate(column) for column in replicates.T])


def bind(spec: CalibrationSpec, columns: Columns, clusters: np.ndarray | None = None) -> Calibrator:
    """The calibration of `spec` on these data; `clusters` (stage-1 unit code per row) is needed
    only for `aggregate_stage`."""
    if isinstance(spec, PostStratify):
        table = cell_table(columns, spec.strata, spec.population, "calibration")
        return Calibrator(table.adjust, lambda w0, w: lambda z: table.project(z, w, w0))
    if isinstance(spec, Rake):
        tables = [
            cell_table(columns, m.vars, m.population, f"calibration.margins[{i}] ({', '.join(m.vars)})")
            for i, m in enumerate(spec.margins)
        ]
        same_totals(tables)
        return Calibrator(
            lambda w: rake(tables, w)[0],
            lambda w0, w: rake_residualiser(tables, w0),
            lambda w, reps: rake_replicates(tables, w, reps),
        )
    model = ModelCalibrator.of(spec, columns, clusters)
    return Calibrator(model.calibrate, model.residualiser)
