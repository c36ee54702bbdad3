"""Replicate-weight designs: R `survey`'s `svrepdesign()` and `as.svrepdesign()`.

`build()` gives the analysis replicate weights (rows x replicates, always combined with the
sampling weights), either read from columns (`weights`, or `weights_prefix` expanded by
`ReplicateSpec.resolve`; `combined_weights: false` multiplies them by the sampling weights) or
created from the ids/strata design (JK1/JKn in `analysis.replicate.jackknife`, BRR/Fay in
`analysis.replicate.hadamard`, the bootstrap in `analysis.replicate.bootstrap`), kept factored as
PSU factors so rows x replicates is never materialised for estimation.
Default scales follow `svrepdesign()`: JK1 (R-1)/R, BRR 1/R, Fay 1/(R (1-rho)^2), bootstrap
1/(R-1), JKn and other 1. The variance of an estimate is scale * sum_r rscales_r (theta_r - c)^2
with c the mean of the replicate estimates, or the full-sample estimate when `mse` (R's `svrVar`;
Wolter 2007, ch. 3-4 and 9; Lumley 2010, sec. 2.8). The design df is R's `degf.svyrep.design`:
the rank of the replicate weight matrix minus 1. Must not estimate statistics (the estimators
call `Replicates.variance`) and must not seed random generators.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from analysis.design.binding import BoundDesign
from analysis.errors import AnalysisError, E
from analysis.io.columns import Columns, numeric
from analysis.replicate.bootstrap import bootstrap_factors
from analysis.replicate.hadamard import brr_factors
from analysis.replicate.jackknife import jk1_factors, jkn_factors
from analysis.replicate.spec import ReplicateSpec


@dataclass(frozen=True, eq=False)
class Factored:
    """Created replicate weights kept as base[i] * factors[unit[i], r]: rows x replicates is never
    materialised for estimation; domain sums per replicate are (domain x unit) totals @ factors."""

    unit: np.ndarray
    base: np.ndarray
    factors: np.ndarray

    def matrix(self) -> np.ndarray:
        return self.base[:, None] * self.factors[self.unit]

    def sums(self, bins: np.ndarray, count: int, values: np.ndarray) -> np.ndarray:
        """Sums of values over replicate weights per bin (bins in [0, count)): shape (replicates, count)."""
        units = self.factors.shape[0]
        totals = np.bincount(bins * units + self.unit, weights=self.base * values, minlength=count * units)
        return (totals.reshape(count, units) @ self.factors).T


@dataclass(frozen=True, eq=False)
class Replicates:
    """Analysis replicate weights (rows x replicates, or `Factored`), scale, rscales, centring rule."""

    stored: np.ndarray | Factored
    scale: float
    rscales: np.ndarray
    mse: bool

    @property
    def weights(self) -> np.ndarray:
        return self.stored.matrix() if isinstance(self.stored, Factored) else self.stored

    @property
    def count(self) -> int:
        return len(self.rscales)

    def df(self) -> int:
        """R's `degf()`: rank of the replicate weight matrix minus 1. For `Factored`, W'W equals
        F' diag(c) F with c the units' sums of squared weights, so diag(sqrt c) F has W's singular values."""
        if isinstance(self.stored, Factored):
            f = self.stored
            c = np.bincount(f.unit, weights=f.base * f.base, minlength=f.factors.shape[0])
            w = np.sqrt(c)[:, None] * f.factors
        else:
            w = self.stored
        if w.size == 0:
            return 0
        singular = np.linalg.svd(w, compute_uv=False)
        return int(np.count_nonzero(singular > 1e-5 * singular[0])) - 1

    def variance(self, replicated: np.ndarray, full: np.ndarray) -> np.ndarray:
        """scale * sum_r rscales_r (theta_r - centre)^2; `replicated` has replicates on axis 0."""
        centre = full if self.mse else replicated.mean(axis=0)
        deviation = replicated - centre
        return self.scale * np.tensordot(self.rscales, deviation * deviation, axes=1)


def build(spec: ReplicateSpec, bound: BoundDesign, columns: Columns, rng: np.random.Generator) -> Replicates:
    """The replicate weights of a design, read from its columns or created as `as.svrepdesign()`;
    `rng` draws the bootstrap (other types ignore it)."""
    if spec.create:
        factors, scale, rscales = _create(spec, bound, rng)
        weights: np.ndarray | Factored = Factored(bound.stages[0].unit, bound.weights, factors)
        count = factors.shape[1]
    else:
        read = _read(spec, columns)
        weights = read if spec.combined_weights else read * bound.weights[:, None]
        count = read.shape[1]
        scale, rscales = default_scale(spec, count), np.ones(count)
    if spec.scale is not None:
        scale = spec.scale
    if spec.rscales is not None:
        if len(spec.rscales) not in (1, count):
            raise AnalysisError(E.REP_RSCALES_COUNT, given=len(spec.rscales), count=count, key="replicate.rscales")
        rscales = np.broadcast_to(np.asarray(spec.rscales, dtype=np.float64), (count,)).copy()
    if count < 2:
        raise AnalysisError(E.REP_TOO_FEW, count=count)
    return Replicates(weights, float(scale), rscales, spec.mse)


def _read(spec: ReplicateSpec, columns: Columns) -> np.ndarray:
    """The replicate weight columns as rows x replicates, each finite and >= 0."""
    if spec.weights_prefix is not None:
        raise AnalysisError(E.REP_PREFIX_UNRESOLVED)
    read = np.column_stack([numeric(columns[name], name, "replicate.weights") for name in spec.weights])
    bad = ~np.isfinite(read) | (read < 0)
    if bad.any():
        row, col = (int(i) for i in np.argwhere(bad)[0])
        raise AnalysisError(E.REP_WEIGHT_INVALID, column=spec.weights[col], row=row + 1)
    return read


def default_scale(spec: ReplicateSpec, count: int) -> float:
    """`svrepdesign()`'s default scale for `count` replicates of the spec's type."""
    if spec.type == "JK1":
        return (count - 1) / count
    if spec.type == "BRR":
        return 1 / count
    if spec.type == "Fay":
        assert spec.rho is not None
        return 1 / (count * (1 - spec.rho) ** 2)
    if spec.type == "bootstrap":
        return 1 / (count - 1)
    return 1.0


def _create(spec: ReplicateSpec, bound: BoundDesign, rng: np.random.Generator) -> tuple[np.ndarray, float, np.ndarray]:
    """Replicate weight factors (PSUs x replicates), scale and rscales built from the first-stage PSUs."""
    if spec.type == "JK1":
        return jk1_factors(bound)
    if spec.type == "JKn":
        return jkn_factors(bound)
    if spec.type in ("BRR", "Fay"):
        factors = brr_factors(bound, (spec.rho or 0.0) if spec.type == "Fay" else 0.0)
    else:
        factors = bootstrap_factors(bound, spec.replicates, rng)
    return factors, default_scale(spec, factors.shape[1]), np.ones(factors.shape[1])
