"""Calibration of design weights: R `survey`'s `postStratify()`, `rake()` and `calibrate()`.

`CalibrationSpec` is the `calibration` key of the design file; `bind()` ties it to the data and
gives a `Calibrator` that calibrates any weight vector (the full-sample weights, and every replicate
column, as `postStratify`/`rake`/`calibrate` on an `svyrep.design`) and that residualises influence
values for the Taylor variance as R's `svyrecvar()` does with the stored `postStrata`:
post-stratification subtracts psw times the post-stratum mean of z / psw (psw the calibrated
weights); raking repeats that over the margins 10 times, with each margin's weights from the last
sweep; linear (GREG) calibration takes the least-squares residual of z / (g sqrt(w)) on
X sqrt(w) and multiplies back (Deville & Sarndal 1992; Sarndal, Swensson & Wretman 1992, ch. 6 and
7; Lumley 2010, ch. 7). Raking iterates to convergence (R's rule with epsilon 1e-10), not to R's
default 10 sweeps. Generalised raking (`raking`, `logit`, and `linear` with bounds) solves
Deville & Sarndal's calibration equations by Newton's method as R's `grake()`. With
`aggregate_stage: 1` (R's `calibrate(..., aggregate.stage=1)`), the model matrix and the weights
are replaced by their stage-1 cluster means before solving (as R's `regcalibrate` and `grake`
calls do), so g is constant within each PSU; the variance residualises on that aggregated matrix.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from analysis.calsolve import grake, linear_g
from analysis.columns import Columns, encode, is_text, numeric
from analysis.errors import AnalysisError, E, show

METHODS = ("poststratify", "rake", "linear", "raking", "logit")
RAKE_EPSILON = 1e-10
RAKE_SWEEPS = 1000


def _bad(detail: str) -> AnalysisError:
    return AnalysisError(E.CALIBRATION_SPEC, detail=detail)


@dataclass(frozen=True)
class CalibrationSpec:
    """The `calibration` key, kept as parsed JSON (validated here)."""

    method: str
    spec: Mapping[str, Any] = field(compare=False, hash=False)

    @classmethod
    def from_json(cls, obj: Any) -> CalibrationSpec:
        if not isinstance(obj, Mapping) or obj.get("method") not in METHODS:
            raise _bad(f"must be an object with `method` one of {', '.join(METHODS)}")
        method = obj["method"]
        if method == "poststratify":
            _table_spec(obj.get("strata"), obj.get("population"), "strata")
        elif method == "rake":
            margins = obj.get("margins")
            if not isinstance(margins, list) or not margins:
                raise _bad("`margins` must be a non-empty list of {vars, population}")
            for margin in margins:
                if not isinstance(margin, Mapping):
                    raise _bad("each margin must be an object {vars, population}")
                _table_spec(margin.get("vars"), margin.get("population"), "vars")
        else:
            formula, population = obj.get("formula"), obj.get("population")
            if not isinstance(formula, list) or not all(isinstance(f, str) for f in formula):
                raise _bad("`formula` must be a list of column names")
            if not isinstance(population, Mapping) or not population:
                raise _bad("`population` must be an object of model-matrix column totals")
            if not all(isinstance(v, int | float) and not isinstance(v, bool) for v in population.values()):
                raise _bad("every `population` total must be a number")
            bounds = obj.get("bounds")
            if bounds is not None and not (
                isinstance(bounds, list) and len(bounds) == 2 and all(isinstance(b, int | float) for b in bounds)
            ):
                raise _bad("`bounds` must be null or [lower, upper]")
            if bounds is not None and not bounds[0] < 1 < bounds[1]:
                raise _bad("`bounds` must satisfy lower < 1 < upper")
            if method == "logit" and bounds is None:
                raise _bad("method logit needs `bounds`")
            stage = obj.get("aggregate_stage")
            if stage is not None and (isinstance(stage, bool) or stage != 1):
                raise _bad("`aggregate_stage` must be null or 1 (weights constant within stage-1 clusters)")
        return cls(method, obj)

    def columns(self) -> dict[str, str]:
        if self.method == "poststratify":
            names = list(self.spec["strata"])
        elif self.method == "rake":
            names = [v for margin in self.spec["margins"] for v in margin["vars"]]
        else:
            names = list(self.spec["formula"])
        return {name: "calibration" for name in names}


def _table_spec(names: Any, population: Any, key: str) -> None:
    if not isinstance(names, list) or not names or not all(isinstance(n, str) for n in names):
        raise _bad(f"`{key}` must be a non-empty list of column names")
    if not isinstance(population, list) or not population:
        raise _bad("`population` must be a non-empty list of {column: value, ..., Freq: count}")
    for row in population:
        if not isinstance(row, Mapping) or set(row) != {*names, "Freq"}:
            raise _bad(f"every population row must have exactly the keys {', '.join(names)} and Freq")
        freq = row["Freq"]
        if isinstance(freq, bool) or not isinstance(freq, int | float) or not np.isfinite(freq) or freq < 0:
            raise _bad(f"population Freq {show(freq)} for {_cell(row, names)} must be a number >= 0")


def _cell(row: Mapping[str, Any], names: list[str]) -> str:
    return ", ".join(f"`{n}`={show(row[n])}" for n in names)


def lookup_key(value: Any) -> Any:
    """A value as a lookup key: numbers compare as numbers, everything else as text."""
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, int | float | np.integer | np.floating):
        return float(value)
    return str(value)


@dataclass(frozen=True, eq=False)
class _Table:
    """Cells of a post-stratification or a raking margin: cell code per row, population per cell."""

    label: str
    cell: np.ndarray
    population: np.ndarray

    def adjust(self, w: np.ndarray) -> np.ndarray:
        totals = np.bincount(self.cell, weights=w, minlength=len(self.population))
        if (totals == 0).any():
            raise _bad(f"{self.label}: a cell has respondents but all their weights are zero")
        return w * (self.population / totals)[self.cell]

    def misfit(self, w: np.ndarray) -> float:
        totals = np.bincount(self.cell, weights=w, minlength=len(self.population))
        return float(np.max(np.abs(totals - self.population)) / self.population.sum())

    def project(self, z: np.ndarray, psw: np.ndarray) -> np.ndarray:
        """z minus psw times the cell mean of z / psw (R's `svyrecvar` post-stratum step)."""
        with np.errstate(divide="ignore", invalid="ignore"):
            ratio = np.where(psw != 0, z / psw, 0.0)
        counts = np.bincount(self.cell, minlength=len(self.population))
        means = np.bincount(self.cell, weights=ratio, minlength=len(self.population)) / counts
        return z - psw * means[self.cell]


def _table(columns: Columns, names: list[str], population: list[Mapping[str, Any]], label: str) -> _Table:
    codes, lookups, sizes = [], [], []
    for name in names:
        coded = encode(columns[name])
        missing = np.flatnonzero(coded.codes < 0)
        if len(missing):
            raise AnalysisError(E.DESIGN_VALUE_MISSING, column=name, role="calibration", row=int(missing[0]) + 1)
        codes.append(coded.codes)
        lookups.append({lookup_key(level): i for i, level in enumerate(coded.levels)})
        sizes.append(len(coded.levels))
    cell = np.ravel_multi_index(tuple(codes), tuple(sizes)) if len(codes) > 1 else codes[0]
    wanted = np.full(int(np.prod(sizes)), np.nan)
    for row in population:
        idx = [lookup.get(lookup_key(row[n])) for lookup, n in zip(lookups, names, strict=True)]
        if any(i is None for i in idx):
            if row["Freq"] > 0:
                raise _bad(f"{label}: population cell {_cell(row, names)} has no respondents in the data")
            continue
        flat = int(np.ravel_multi_index(tuple(int(i) for i in idx if i is not None), tuple(sizes)))
        if not np.isnan(wanted[flat]):
            raise _bad(f"{label}: population cell {_cell(row, names)} is listed twice")
        wanted[flat] = float(row["Freq"])
    present = np.bincount(cell, minlength=len(wanted)) > 0
    lacking = np.flatnonzero(present & np.isnan(wanted))
    if len(lacking):
        row_index = int(np.flatnonzero(cell == lacking[0])[0])
        where = ", ".join(f"`{n}`={show(_level(columns, n, row_index))}" for n in names)
        raise _bad(f"{label}: the data have {where} (row {row_index + 1}) but `population` has no such cell")
    empty = np.flatnonzero(~present & (np.nan_to_num(wanted) > 0))
    if len(empty):
        raise _bad(f"{label}: a population cell with Freq > 0 has no respondents in the data")
    kept, cell = np.unique(cell, return_inverse=True)
    pop = wanted[kept]
    if (pop == 0).any():
        raise _bad(f"{label}: a cell with respondents has population Freq 0")
    return _Table(label, cell.reshape(-1), pop)


def _level(columns: Columns, name: str, row: int) -> Any:
    coded = encode(columns[name])
    return coded.levels[int(coded.codes[row])]


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
    obj = spec.spec
    if spec.method == "poststratify":
        table = _table(columns, list(obj["strata"]), list(obj["population"]), "post-strata")
        return Calibrator(table.adjust, lambda w0, w: lambda z: table.project(z, w))
    if spec.method == "rake":
        tables = [
            _table(columns, list(m["vars"]), list(m["population"]), f"margin {i + 1} ({', '.join(m['vars'])})")
            for i, m in enumerate(obj["margins"])
        ]
        sizes = [t.population.sum() for t in tables]
        if max(sizes) - min(sizes) > 1e-9 * max(sizes):
            listed = ", ".join(f"{t.label} sums to {show(float(s))}" for t, s in zip(tables, sizes, strict=True))
            raise _bad(f"the margins must sum to the same population size: {listed}")
        return Calibrator(
            lambda w: _rake(tables, w)[0],
            lambda w0, w: _rake_residualiser(tables, w0),
            lambda w, reps: _rake_replicates(tables, w, reps),
        )
    return _model_calibrator(spec, columns, clusters)


def _rake(tables: list[_Table], w: np.ndarray, sweeps: int | None = None) -> tuple[np.ndarray, list[np.ndarray], int]:
    """Iterative proportional fitting as R's `rake()` with epsilon 1e-10: sweep until the weighted
    table crossing every margin's variables moves by less than 1e-10 x the sum of the starting weights
    (or exactly `sweeps` times: replicates get the full sample's count, as R rakes them in step)."""
    joint, size = np.zeros(len(w), dtype=np.int64), 1
    for t in tables:  # the crossed cell of every margin (codes of a mixed-radix number, kept <= rows)
        joint, size = joint * len(t.population) + t.cell, size * len(t.population)
        if size > len(w):
            joint = np.unique(joint, return_inverse=True)[1].reshape(-1)
            size = int(joint.max(initial=-1)) + 1
    epsilon = RAKE_EPSILON * float(w.sum())
    table = np.bincount(joint, weights=w)
    after: list[np.ndarray] = []
    for sweep in range(1, (sweeps or RAKE_SWEEPS) + 1):
        after = []
        for t in tables:
            w = t.adjust(w)
            after.append(w)
        new = np.bincount(joint, weights=w)
        if sweeps is None and np.max(np.abs(new - table)) < epsilon:
            return w, after, sweep
        table = new
    if sweeps is not None:
        return w, after, sweeps
    worst = max(tables, key=lambda t: t.misfit(w))
    raise _bad(f"raking did not converge in {RAKE_SWEEPS} sweeps; {worst.label} cannot be matched")


def _rake_replicates(tables: list[_Table], w: np.ndarray, reps: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    full, _, sweeps = _rake(tables, w)
    return full, np.column_stack([_rake(tables, column, sweeps)[0] for column in reps.T])


def _rake_residualiser(tables: list[_Table], w0: np.ndarray) -> Callable[[np.ndarray], np.ndarray]:
    after = _rake(tables, w0)[1]

    def residual(z: np.ndarray) -> np.ndarray:
        for _ in range(10):
            for table, psw in zip(tables, after, strict=True):
                z = table.project(z, psw)
        return z

    return residual


def _model_matrix(spec: CalibrationSpec, columns: Columns) -> tuple[np.ndarray, np.ndarray]:
    """R's model matrix for the population keys: (Intercept), numeric columns, <column><level> dummies."""
    formula = list(spec.spec["formula"])
    population = dict(spec.spec["population"])
    used: set[str] = set()
    matrix = []
    for key in population:
        if key == "(Intercept)":
            matrix.append(np.ones(_rows(columns, formula)))
            continue
        if key in formula and not is_text(columns[key]):
            values = numeric(columns[key], key, "calibration")
            if np.isnan(values).any():
                row = int(np.flatnonzero(np.isnan(values))[0])
                raise AnalysisError(E.DESIGN_VALUE_MISSING, column=key, role="calibration", row=row + 1)
            matrix.append(values)
            used.add(key)
            continue
        found = None
        for name in formula:
            coded = encode(columns[name])
            for i, level in enumerate(coded.levels[1:], start=1):
                if f"{name}{_label(level)}" == key:
                    found = (coded.codes == i).astype(np.float64)
                    used.add(name)
        if found is None:
            raise _bad(f"population key `{key}` is not a model-matrix column of formula {', '.join(formula)}")
        matrix.append(found)
    missing = [name for name in formula if name not in used]
    if missing:
        raise _bad(f"formula column `{missing[0]}` has no total in `population`")
    return np.column_stack(matrix), np.array([float(v) for v in population.values()])


def _rows(columns: Columns, formula: list[str]) -> int:
    return len(encode(columns[formula[0]]).codes)


def _label(level: Any) -> str:
    if isinstance(level, float) and level.is_integer():
        return str(int(level))
    return str(level)


def _cluster_mean(spec: CalibrationSpec, clusters: np.ndarray | None) -> Callable[[np.ndarray], np.ndarray]:
    """R's `ave(v, aggindex)` for `aggregate_stage`: each row gets its PSU's mean; identity otherwise."""
    if spec.spec.get("aggregate_stage") is None:
        return lambda v: v
    if clusters is None:
        raise _bad("`aggregate_stage` needs the design's stage-1 clusters")
    codes = np.asarray(clusters)
    counts = np.bincount(codes)
    return lambda v: (np.bincount(codes, weights=v, minlength=len(counts)) / counts)[codes]


def _model_calibrator(spec: CalibrationSpec, columns: Columns, clusters: np.ndarray | None = None) -> Calibrator:
    ave = _cluster_mean(spec, clusters)
    x, population = _model_matrix(spec, columns)
    x = np.column_stack([ave(column) for column in x.T])
    names = list(spec.spec["population"])
    bounds = spec.spec.get("bounds")
    method = spec.method
    if method == "linear" and bounds is None:

        def calibrate(w: np.ndarray) -> np.ndarray:
            return w * linear_g(x, ave(w), population)

    else:
        lower, upper = (-np.inf, np.inf) if bounds is None else (float(bounds[0]), float(bounds[1]))

        def calibrate(w: np.ndarray) -> np.ndarray:
            return w * grake(x, ave(w), population, method, (lower, upper), names)

    def residualiser(w0: np.ndarray, w: np.ndarray) -> Callable[[np.ndarray], np.ndarray]:
        whalf = np.sqrt(ave(w0))
        design = x * whalf[:, None]
        scale = np.where(w0 != 0, w / np.where(w0 != 0, w0, 1.0), 0.0) * whalf  # g sqrt(w0), R's caldata$w

        def residual(z: np.ndarray) -> np.ndarray:
            with np.errstate(divide="ignore", invalid="ignore"):
                v = np.where(scale != 0, z / scale, 0.0)
            coef = np.linalg.lstsq(design, v, rcond=None)[0]
            return (v - design @ coef) * scale

        return residual

    return Calibrator(calibrate, residualiser)
