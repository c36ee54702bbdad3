"""Replicate-weight designs: R `survey`'s `svrepdesign()` and `as.svrepdesign()` (JK1, JKn).

`ReplicateSpec` is the `replicate` key of the design file. `build()` gives the analysis replicate
weights (rows x replicates, always combined with the sampling weights), either read from columns
(`weights` or `weights_prefix`; `combined_weights: false` multiplies them by the sampling weights)
or created from the ids/strata design as `as.svrepdesign()`: JK1 drops one PSU at a time and
multiplies the rest by n/(n-1), with scale (n-1)/n times (1 - n/N) under an fpc (R's `jk1weights`);
JKn does so within each stratum, with rscales (n_h-1)/n_h (1 - n_h/N_h) and scale 1, dropping
the replicates of strata sampled exhaustively (`jknweights`). BRR, Fay and bootstrap replicates
are created in `analysis.hadamard` (`brrweights`, `bootweights`; `replicates` and `seed` set the
bootstrap's size, default 50, and random seed, default 0).
Default scales follow `svrepdesign()`: JK1 (R-1)/R, BRR 1/R, Fay 1/(R (1-rho)^2), bootstrap
1/(R-1), JKn and other 1. The variance of an estimate is scale * sum_r rscales_r (theta_r - c)^2
with c the mean of the replicate estimates, or the full-sample estimate when `mse` (R's `svrVar`;
Wolter 2007, ch. 3-4 and 9; Lumley 2010, sec. 2.8). The design df is R's `degf.svyrep.design`:
the rank of the replicate weight matrix minus 1.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

import numpy as np

from analysis.columns import Columns, numeric
from analysis.design import BoundDesign
from analysis.errors import AnalysisError, E
from analysis.hadamard import bootstrap_factors, brr_factors

TYPES = ("JK1", "JKn", "BRR", "Fay", "bootstrap", "other")
CREATABLE = ("JK1", "JKn", "BRR", "Fay", "bootstrap")
_KEYS = (
    "type", "weights", "weights_prefix", "combined_weights", "scale", "rscales", "rho", "mse", "create",
    "replicates", "seed",
)  # fmt: skip


def _bad(detail: str) -> AnalysisError:
    return AnalysisError(E.REPLICATE_SPEC, detail=detail)


@dataclass(frozen=True)
class ReplicateSpec:
    """The `replicate` key: `svrepdesign(type, repweights, combined.weights, scale, rscales, rho, mse)`."""

    type: str
    weights: tuple[str, ...] = ()
    prefix: str | None = None
    combined: bool = True
    scale: float | None = None
    rscales: tuple[float, ...] | None = None
    rho: float | None = None
    mse: bool = False
    create: bool = False
    replicates: int = 50
    seed: int = 0

    @classmethod
    def from_json(cls, obj: Any) -> ReplicateSpec:
        if not isinstance(obj, Mapping):
            raise _bad("must be a JSON object")
        unknown = [key for key in obj if key not in _KEYS]
        if unknown:
            raise _bad(f"unknown key `{unknown[0]}`; known keys are {', '.join(_KEYS)}")
        kind = obj.get("type")
        if kind not in TYPES:
            raise _bad(f"`type` must be one of {', '.join(TYPES)}")
        weights, prefix = obj.get("weights"), obj.get("weights_prefix")
        if weights is not None and not (isinstance(weights, list) and all(isinstance(w, str) for w in weights)):
            raise _bad("`weights` must be a list of replicate weight columns")
        if prefix is not None and (not isinstance(prefix, str) or not prefix):
            raise _bad("`weights_prefix` must be a non-empty string")
        create = _flag(obj, "create", False)
        if create and (weights or prefix):
            raise _bad("`create: true` builds the replicates from the design; remove `weights`/`weights_prefix`")
        if not create and not weights and prefix is None:
            raise _bad("give the replicate columns (`weights` or `weights_prefix`) or set `create: true`")
        if create and kind not in CREATABLE:
            raise _bad(f"`create: true` is implemented for {', '.join(CREATABLE)} only, not {kind}")
        scale = _number(obj, "scale")
        rscales_raw = obj.get("rscales")
        rscales: tuple[float, ...] | None
        if rscales_raw is None:
            rscales = None
        elif isinstance(rscales_raw, int | float) and not isinstance(rscales_raw, bool):
            rscales = (float(rscales_raw),)
        elif isinstance(rscales_raw, list) and all(isinstance(r, int | float) for r in rscales_raw):
            rscales = tuple(float(r) for r in rscales_raw)
        else:
            raise _bad("`rscales` must be a number or a list of numbers")
        if (scale is not None and scale <= 0) or (rscales is not None and any(r < 0 for r in rscales)):
            raise _bad("`scale` must be > 0 and `rscales` >= 0")
        rho = _number(obj, "rho")
        if kind == "Fay" and (rho is None or not 0 <= rho < 1):
            raise _bad("type Fay needs `rho` in [0, 1)")
        if kind == "JKn" and not create and rscales is None:
            raise _bad("type JKn needs `rscales` ((n_h - 1)/n_h for each replicate, or one number for all)")
        replicates, seed = obj.get("replicates", 50), obj.get("seed", 0)
        replicates = 50 if replicates is None else replicates
        seed = 0 if seed is None else seed
        if isinstance(replicates, bool) or not isinstance(replicates, int) or replicates < 2:
            raise _bad("`replicates` must be an integer >= 2")
        if isinstance(seed, bool) or not isinstance(seed, int) or seed < 0:
            raise _bad("`seed` must be a non-negative integer")
        return cls(
            type=kind,
            weights=tuple(weights or ()),
            prefix=prefix,
            combined=_flag(obj, "combined_weights", True),
            scale=scale,
            rscales=rscales,
            rho=rho,
            mse=_flag(obj, "mse", False),
            create=create,
            replicates=replicates,
            seed=seed,
        )

    def resolve(self, names: Sequence[str]) -> ReplicateSpec:
        """Expand `weights_prefix` against the data's column names (in file order)."""
        if self.prefix is None:
            return self
        found = tuple(name for name in names if name.startswith(self.prefix) and name not in self.weights)
        if not found and not self.weights:
            raise _bad(f"no column starts with `weights_prefix` {self.prefix!r}")
        return replace(self, weights=self.weights + found, prefix=None)

    def columns(self) -> dict[str, str]:
        return {name: "replicate.weights" for name in self.weights}


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


def build(spec: ReplicateSpec, bound: BoundDesign, columns: Columns) -> Replicates:
    """The replicate weights of a design, read from its columns or created as `as.svrepdesign()`."""
    if spec.create:
        factors, scale, rscales = _create(spec, bound)
        weights: np.ndarray | Factored = Factored(bound.stages[0].unit, bound.weights, factors)
        count = factors.shape[1]
    else:
        if spec.prefix is not None:
            raise _bad("`weights_prefix` was not expanded against the data")
        matrix = [numeric(columns[name], name, "replicate.weights") for name in spec.weights]
        read = np.column_stack(matrix)
        bad = ~np.isfinite(read) | (read < 0)
        if bad.any():
            row, col = (int(i) for i in np.argwhere(bad)[0])
            raise _bad(f"column `{spec.weights[col]}` row {row + 1} is missing, negative or not finite")
        weights = read if spec.combined else read * bound.weights[:, None]
        count = read.shape[1]
        scale = _default_scale(spec, count)
        rscales = np.ones(count)
    if spec.scale is not None:
        scale = spec.scale
    if spec.rscales is not None:
        if len(spec.rscales) not in (1, count):
            raise _bad(f"`rscales` has {len(spec.rscales)} values for {count} replicate columns; give one or {count}")
        rscales = np.broadcast_to(np.asarray(spec.rscales, dtype=np.float64), (count,)).copy()
    if count < 2:
        raise _bad(f"{count} replicate column(s); at least 2 are needed")
    return Replicates(weights, float(scale), rscales, spec.mse)


def _default_scale(spec: ReplicateSpec, count: int) -> float:
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


def _create(spec: ReplicateSpec, bound: BoundDesign) -> tuple[np.ndarray, float, np.ndarray]:
    """Replicate weight factors (PSUs x replicates) from the first-stage PSUs: R's `jk1weights` /
    `jknweights`; row i's factor is row `unit[i]`."""
    if spec.type in ("BRR", "Fay"):
        factors = brr_factors(bound, (spec.rho or 0.0) if spec.type == "Fay" else 0.0)
        return factors, _default_scale(spec, factors.shape[1]), np.ones(factors.shape[1])
    if spec.type == "bootstrap":
        factors = bootstrap_factors(bound, spec.replicates, spec.seed)
        return factors, _default_scale(spec, factors.shape[1]), np.ones(factors.shape[1])
    stage = bound.stages[0]
    stratum_of_unit = stage.stratum
    popsize = stage.popsize
    if spec.type == "JK1":
        if stage.n_strata > 1:
            raise _bad("JK1 replicates need an unstratified design; use type JKn for a stratified one")
        n = stage.n_units
        if n < 2:
            raise _bad("JK1 needs at least 2 PSUs")
        factors = (1 - np.eye(n)) * (n / (n - 1))
        f = 1.0 if popsize is None or np.isinf(popsize[0]) else (popsize[0] - n) / popsize[0]
        return factors.astype(np.float64), f * (n - 1) / n, np.ones(n)
    sampled = stage.sampled
    if (sampled < 2).any():
        raise _bad("JKn replicates need at least 2 PSUs in every stratum")
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
        raise _bad("every stratum is sampled exhaustively (n = N): there is no sampling variance to replicate")
    return factors[:, keep], 1.0, (f * (n_h - 1) / n_h)[keep]


def _flag(obj: Mapping[str, Any], key: str, default: bool) -> bool:
    value = obj.get(key)
    if value is None:
        return default
    if not isinstance(value, bool):
        raise _bad(f"`{key}` must be true or false")
    return value


def _number(obj: Mapping[str, Any], key: str) -> float | None:
    value = obj.get(key)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise _bad(f"`{key}` must be a number or null")
    return float(value)
