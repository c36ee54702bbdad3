"""Model calibration: R `survey`'s `calibrate()` with a linear (GREG), raking or logit distance.

The model matrix has one column per population key, named as R's `model.matrix()` does:
`(Intercept)`, a numeric formula column's own name, `<column><level>` for each non-first level of a
categorical column. The g-weights come from `analysis.calibration.solvers` (closed-form GREG, or
Newton steps for bounded/raking/logit); the Taylor variance residualises z / (g sqrt(w)) on
X sqrt(w) by least squares and multiplies back, as R's `svyrecvar()` with `postStrata`
(Deville & Sarndal 1992; Sarndal, Swensson & Wretman 1992, ch. 6-7; Lumley 2010, ch. 7). With
`aggregate_stage: 1`, the model matrix and the weights are replaced by their stage-1 cluster means
before solving, so g is constant within each PSU. Must not parse JSON or estimate statistics.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from analysis.calibration.solvers import grake, linear_g
from analysis.calibration.spec import ModelCalibration
from analysis.errors import AnalysisError, E
from analysis.io.columns import Columns, encode, is_text, nrows, numeric

Residualiser = Callable[[np.ndarray, np.ndarray], Callable[[np.ndarray], np.ndarray]]


def model_column(columns: Columns, formula: Sequence[str], key: str) -> tuple[np.ndarray, str | None] | None:
    """The model-matrix column named `key` and the formula column it uses (None for the intercept),
    or None when no column of the formula has that name."""
    if key == "(Intercept)":
        return np.ones(nrows(columns)), None
    if key in formula and not is_text(columns[key]):
        return numeric(columns[key], key, "calibration"), key
    found = None
    for name in formula:
        coded = encode(columns[name])
        for i, level in enumerate(coded.levels[1:], start=1):
            if f"{name}{_label(level)}" == key:
                found = ((coded.codes == i).astype(np.float64), name)
    return found


def model_matrix(spec: ModelCalibration, columns: Columns) -> tuple[np.ndarray, np.ndarray]:
    """R's model matrix for the population keys, and the population totals in the same order."""
    used: set[str] = set()
    matrix = []
    for key in spec.population:
        found = model_column(columns, spec.formula, key)
        if found is None:
            raise AnalysisError(E.CAL_UNKNOWN_TOTAL, name=key, formula=", ".join(spec.formula))
        values, name = found
        if name == key and np.isnan(values).any():
            row = int(np.flatnonzero(np.isnan(values))[0])
            raise AnalysisError(E.DESIGN_VALUE_MISSING, column=key, role="calibration", row=row + 1)
        matrix.append(values)
        if name is not None:
            used.add(name)
    missing = [name for name in spec.formula if name not in used]
    if missing:
        raise AnalysisError(E.CAL_NO_TOTAL, column=missing[0])
    return np.column_stack(matrix), np.array([float(v) for v in spec.population.values()])


def _label(level: Any) -> str:
    if isinstance(level, float) and level.is_integer():
        return str(int(level))
    return str(level)


def _cluster_mean(spec: ModelCalibration, clusters: np.ndarray | None) -> Callable[[np.ndarray], np.ndarray]:
    """R's `ave(v, aggindex)` for `aggregate_stage`: each row gets its PSU's mean; identity otherwise."""
    if spec.aggregate_stage is None:
        return lambda v: v
    if clusters is None:
        raise AnalysisError(E.CAL_CLUSTERS, key="calibration.aggregate_stage")
    codes = np.asarray(clusters)
    counts = np.bincount(codes)
    return lambda v: (np.bincount(codes, weights=v, minlength=len(counts)) / counts)[codes]


@dataclass(frozen=True, eq=False)
class ModelCalibrator:
    """The calibration equations of one spec on one data set: calibrate weights, residualise z."""

    spec: ModelCalibration
    x: np.ndarray
    population: np.ndarray
    ave: Callable[[np.ndarray], np.ndarray]

    @classmethod
    def of(cls, spec: ModelCalibration, columns: Columns, clusters: np.ndarray | None) -> ModelCalibrator:
        ave = _cluster_mean(spec, clusters)
        x, population = model_matrix(spec, columns)
        return cls(spec, np.column_stack([ave(column) for column in x.T]), population, ave)

    def calibrate(self, w: np.ndarray) -> np.ndarray:
        """Calibrated weights w g (GREG in closed form when linear and unbounded, else `grake`)."""
        if self.spec.method == "linear" and self.spec.bounds is None:
            return w * linear_g(self.x, self.ave(w), self.population)
        bounds = (-np.inf, np.inf) if self.spec.bounds is None else self.spec.bounds
        names = list(self.spec.population)
        return w * grake(self.x, self.ave(w), self.population, self.spec.method, bounds, names)

    def residualiser(self, w0: np.ndarray, w: np.ndarray) -> Callable[[np.ndarray], np.ndarray]:
        """z -> the least-squares residual of z / (g sqrt(w0)) on X sqrt(w0), times g sqrt(w0)."""
        whalf = np.sqrt(self.ave(w0))
        design = self.x * whalf[:, None]
        scale = np.where(w0 != 0, w / np.where(w0 != 0, w0, 1.0), 0.0) * whalf  # g sqrt(w0), R's caldata$w

        def residual(z: np.ndarray) -> np.ndarray:
            with np.errstate(divide="ignore", invalid="ignore"):
                v = np.where(scale != 0, z / scale, 0.0)
            coef = np.linalg.lstsq(design, v, rcond=None)[0]
            return (v - design @ coef) * scale

        return residual
