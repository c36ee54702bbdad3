"""A design bound to a data set: R `svydesign()`'s per-stage codes, weights and degrees of freedom.

`bind()` checks a `Design` (analysis.design.spec) against the columns and builds `BoundDesign`: per-row weights
and, for each sampling stage, integer codes of the units and of the strata they are drawn from, the
number of units sampled per stratum, the population count (fpc) and the product of earlier-stage
sampling fractions. Every convention follows R `survey` 4.x `svydesign.default` and `as.fpc`
(Lumley 2010, *Complex Surveys*, ch. 1-3): clusters nested in earlier clusters, `nest` re-labelling,
fpc read as counts when any value exceeds 1 and as fractions otherwise, weights from the fpc when
neither weights nor probabilities are given, and `degf()` = PSUs minus strata among rows with a
non-zero weight. Must not compute estimates or variances (see `analysis.estimators.variance`), nor
build replicate weights or calibrate (their rooms import this one, never the reverse).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from analysis.design.spec import Design
from analysis.errors import AnalysisError, E, column_missing, show
from analysis.io.columns import Coded, Columns, combine, encode, nrows, numeric


@dataclass(frozen=True, eq=False)
class Stage:
    """One sampling stage: which unit each row belongs to and the stratum each unit is drawn from."""

    unit: np.ndarray
    n_units: int
    stratum: np.ndarray
    n_strata: int
    sampled: np.ndarray
    popsize: np.ndarray | None
    multiplier: np.ndarray
    first_row: np.ndarray


@dataclass(frozen=True, eq=False)
class BoundDesign:
    """A design checked against a data set: weights, stages (those entering the variance), df."""

    design: Design
    columns: Columns
    n: int
    weights: np.ndarray
    stages: tuple[Stage, ...]
    df: int

    def stratum_label(self, stage: int, stratum: int) -> str:
        """How a stratum is named in messages: `str`=2 at stage 1, the parent unit's ids later."""
        row = int(self.stages[stage].first_row[stratum])
        parents = self.design.ids[:stage]
        names = (self.design.strata, *parents) if stage == 0 or self.design.nest else parents
        parts = [f"`{name}`={show(_value(self.columns[name], row))}" for name in names if name]
        return ", ".join(parts) if parts else "(the only stratum)"

    def stratum_values(self) -> list[Any]:
        """The `strata` column's value of each first-stage stratum (None without `strata`)."""
        column = self.columns[self.design.strata] if self.design.strata else None
        rows = self.stages[0].first_row
        return [None if column is None else _value(column, int(row)) for row in rows]


def bind(design: Design, columns: Columns) -> BoundDesign:
    """Check the design against the columns and build the per-stage codes R's `svydesign()` builds."""
    for name, role in design.columns().items():
        if name not in columns:
            raise column_missing(name, role, list(columns))
    n = nrows(columns)
    strata = _codes(columns, design.strata, "strata") if design.strata else np.zeros(n, dtype=np.int64)
    units = _stage_units(design, columns, strata if design.strata else None, n)
    first_stratum = _nested_strata(design, columns, units[0], strata)
    stages = _stages(design, columns, units, first_stratum, strata)
    weights = _weights(design, columns, stages, n)
    if not design.fpc:
        stages = stages[:1]
    return BoundDesign(design, columns, n, weights, tuple(stages), _degf(weights, stages[0], strata))


def _stage_units(design: Design, columns: Columns, strata: np.ndarray | None, n: int) -> list[np.ndarray]:
    """Unit codes per stage: stage-s units are nested in stage s-1 units (and in strata with `nest`)."""
    if not design.ids:
        return [np.arange(n, dtype=np.int64)]
    units = []
    previous = strata if design.nest and strata is not None else None
    for name in design.ids:
        codes = _codes(columns, name, "ids")
        previous = codes if previous is None else combine(previous, codes)
        units.append(previous)
    if units[0].max(initial=0) == 0 and not (design.nest and design.strata):
        raise AnalysisError(E.ONE_PSU)
    return units


def _nested_strata(design: Design, columns: Columns, psu: np.ndarray, strata: np.ndarray) -> np.ndarray:
    """The stratum of each PSU; without `nest`, a PSU label found in two strata is an error."""
    of_unit = np.zeros(int(psu.max(initial=-1)) + 1, dtype=np.int64)
    of_unit[psu] = strata
    clash = np.flatnonzero(of_unit[psu] != strata)
    if len(clash):
        row = int(clash[0])
        name = design.ids[0]
        value = show(_value(columns[name], row))
        raise AnalysisError(E.NOT_NESTED, column=name, value=value, strata=design.strata)
    return of_unit


def _stages(
    design: Design, columns: Columns, units: list[np.ndarray], first_stratum: np.ndarray, strata: np.ndarray
) -> list[Stage]:
    fpcs, as_counts = _fpc_table(design, columns)
    stages: list[Stage] = []
    for s, unit in enumerate(units):
        n_units = int(unit.max(initial=-1)) + 1
        if s == 0:
            stratum = first_stratum
        else:
            stratum = np.zeros(n_units, dtype=np.int64)
            stratum[unit] = units[s - 1]
        n_strata = int(stratum.max(initial=-1)) + 1
        row_stratum = strata if s == 0 else stratum[unit]  # stage 1: the row's stratum, as checked
        first_row = np.full(n_strata, len(unit), dtype=np.int64)
        np.minimum.at(first_row, row_stratum, np.arange(len(unit)))
        sampled = np.bincount(stratum, minlength=n_strata)
        popsize = None
        if fpcs:
            popsize = _popsize(design.fpc[s], fpcs[s], as_counts, s, row_stratum, sampled, first_row)
        multiplier = np.ones(n_strata)
        parent = stages[s - 1] if s > 0 else None
        if parent is not None and parent.popsize is not None:
            up = parent.stratum
            multiplier = parent.multiplier[up] * parent.sampled[up] / parent.popsize[up]
        stages.append(Stage(unit, n_units, stratum, n_strata, sampled, popsize, multiplier, first_row))
    return stages


def _fpc_table(design: Design, columns: Columns) -> tuple[list[np.ndarray], bool]:
    """The fpc columns and whether they hold counts (any value > 1) or fractions, as R's `as.fpc`."""
    fpcs = [_fpc_values(columns, name) for name in design.fpc]
    as_counts = any(bool((v > 1).any()) for v in fpcs)
    all_ge_one = all(bool((v >= 1).all()) for v in fpcs)
    if as_counts and not all_ge_one:
        name, values = next((name, v) for name, v in zip(design.fpc, fpcs, strict=True) if (v < 1).any())
        row = int(np.flatnonzero(values < 1)[0])
        raise AnalysisError(E.FPC_MIXED, column=name, row=row + 1, value=show(float(values[row])))
    if fpcs and not as_counts and all_ge_one:
        raise AnalysisError(E.FPC_ALL_ONE)
    return fpcs, as_counts


def _popsize(
    name: str,
    values: np.ndarray,
    as_counts: bool,
    s: int,
    row_stratum: np.ndarray,
    sampled: np.ndarray,
    first_row: np.ndarray,
) -> np.ndarray:
    """Population units per stratum at stage s: the counts, or units sampled / sampling fraction."""
    with np.errstate(divide="ignore"):
        per_row = values if as_counts else sampled[row_stratum] / values
    per_stratum = per_row[first_row]
    varies = np.flatnonzero(per_row != per_stratum[row_stratum])
    if len(varies):
        raise AnalysisError(E.FPC_VARIES, column=name, stage=s + 1, row=int(varies[0]) + 1)
    small = np.flatnonzero(per_stratum < sampled)
    if len(small):
        g = int(small[0])
        raise AnalysisError(
            E.FPC_TOO_SMALL,
            column=name,
            row=int(first_row[g]) + 1,
            popsize=show(float(per_stratum[g])),
            sampsize=int(sampled[g]),
        )
    return per_stratum.astype(np.float64)


def _fpc_values(columns: Columns, name: str) -> np.ndarray:
    values = numeric(columns[name], name, "fpc")
    _no_missing(values, name, "fpc")
    return values


def _weights(design: Design, columns: Columns, stages: list[Stage], n: int) -> np.ndarray:
    """Sampling weights: the column, 1/probs, or 1/(product of n/N over stages) as `svydesign()`."""
    if design.weights or design.probs:
        return _given_weights(design, columns)
    if not design.fpc:
        return np.ones(n)
    prob = np.ones(n)
    for stage in stages:
        assert stage.popsize is not None
        row_stratum = stage.stratum[stage.unit]
        prob = prob * (1.0 / (stage.popsize / stage.sampled)[row_stratum])
    if not (prob > 0).all():
        raise AnalysisError(E.FPC_NO_WEIGHTS)
    return 1.0 / prob


def _given_weights(design: Design, columns: Columns) -> np.ndarray:
    """The `weights` column (finite, >= 0) or 1 / the `probs` column (in (0, 1])."""
    name = design.weights or design.probs
    assert name is not None
    role = "weights" if design.weights else "probs"
    values = numeric(columns[name], name, role)
    if design.weights and values.min(initial=0.0) >= 0 and np.isfinite(values.max(initial=0.0)):
        return values  # the common case in two passes: no NaN (it fails >=), none negative or infinite
    _no_missing(values, name, role)
    bad = ~np.isfinite(values) | (values < 0 if design.weights else (values <= 0) | (values > 1))
    if bad.any():
        row = int(np.flatnonzero(bad)[0])
        entry = E.WEIGHT_INVALID if design.weights else E.PROB_INVALID
        raise AnalysisError(entry, column=name, row=row + 1, value=show(float(values[row])))
    return values if design.weights else 1.0 / values


def _degf(weights: np.ndarray, first: Stage, strata: np.ndarray) -> int:
    """R's `degf()`: distinct PSUs minus distinct strata among rows with a non-zero weight."""
    used = weights != 0
    if used.all():  # unit and stratum codes are dense: every one of them has rows
        return first.n_units - first.n_strata
    psus = np.count_nonzero(np.bincount(first.unit[used], minlength=1))
    n_strata = np.count_nonzero(np.bincount(strata[used], minlength=1))
    return int(psus - n_strata)


def _codes(columns: Columns, name: str, role: str) -> np.ndarray:
    codes = encode(columns[name]).codes
    if codes.min(initial=0) >= 0:
        return codes
    missing = np.flatnonzero(codes < 0)
    if len(missing):
        raise AnalysisError(E.DESIGN_VALUE_MISSING, column=name, role=role, row=int(missing[0]) + 1)
    return codes


def _no_missing(values: np.ndarray, name: str, role: str) -> None:
    missing = np.flatnonzero(np.isnan(values))
    if len(missing):
        raise AnalysisError(E.DESIGN_VALUE_MISSING, column=name, role=role, row=int(missing[0]) + 1)


def _value(column: Any, row: int) -> Any:
    if isinstance(column, Coded):
        code = int(column.codes[row])
        return column.levels[code] if code >= 0 else None
    value = column[row]
    return value.item() if isinstance(value, np.generic) else value
