"""Post-stratification and raking on cell tables: R `survey`'s `postStratify()` and `rake()`.

A `CellTable` holds the cell of every row (the crossing of a table's columns) and the population
count per cell; `adjust` rescales weights to the counts (post-stratification), `project` is the
post-stratum residual step of R's `svyrecvar()` (survey 4.x: the post-stratum mean of z / psw is
weighted by the weights before post-stratification, so unequal weights within a post-stratum count). `rake` sweeps the margins until the weighted table
crossing every margin moves by less than 1e-10 x the sum of the starting weights (R's rule with
epsilon 1e-10, iterated to convergence, not R's default 10 sweeps; Deville & Sarndal 1992, sec. 3;
Lumley 2010, ch. 7). Every mismatch between a population table and the data is an error naming
the table and the cell. Must not parse JSON or estimate.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from analysis.errors import AnalysisError, E, show
from analysis.io.columns import Coded, Columns, encode

RAKE_EPSILON = 1e-10
RAKE_SWEEPS = 1000


def lookup_key(value: Any) -> Any:
    """A value as a lookup key: numbers compare as numbers, everything else as text."""
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, int | float | np.integer | np.floating):
        return float(value)
    return str(value)


@dataclass(frozen=True, eq=False)
class CellTable:
    """Cells of a post-stratification or a raking margin: cell code per row, population per cell."""

    label: str
    cell: np.ndarray
    population: np.ndarray

    def adjust(self, w: np.ndarray) -> np.ndarray:
        totals = np.bincount(self.cell, weights=w, minlength=len(self.population))
        if (totals == 0).any():
            raise AnalysisError(E.CAL_ZERO_WEIGHTS, margin=self.label)
        return w * (self.population / totals)[self.cell]

    def misfit(self, w: np.ndarray) -> float:
        totals = np.bincount(self.cell, weights=w, minlength=len(self.population))
        return float(np.max(np.abs(totals - self.population)) / self.population.sum())

    def project(self, z: np.ndarray, psw: np.ndarray, oldw: np.ndarray | None = None) -> np.ndarray:
        """z minus psw times the cell mean of z / psw (R's `svyrecvar` post-stratum step). The mean is
        weighted by the weights before post-stratification `oldw` (R's `oldweights`), unweighted
        without them (a raking margin); a row with psw = oldw = 0 counts with psw 1, as R does."""
        if oldw is None:
            oldw = np.ones(len(z))
        psw = np.where((psw == 0) & (oldw == 0), 1.0, psw)
        with np.errstate(divide="ignore", invalid="ignore"):
            ratio = np.where(psw != 0, z * oldw / psw, 0.0)
        size = len(self.population)
        means = np.bincount(self.cell, weights=ratio, minlength=size) / np.bincount(self.cell, oldw, size)
        return z - psw * means[self.cell]


def cell_table(
    columns: Columns, names: Sequence[str], population: Sequence[Mapping[str, Any]], label: str
) -> CellTable:
    """The cells of `names` in the data matched to the population rows; `label` names the table."""
    coded = [_coded(columns, name) for name in names]
    sizes = tuple(len(c.levels) for c in coded)
    cell = np.ravel_multi_index(tuple(c.codes for c in coded), sizes) if len(coded) > 1 else coded[0].codes
    wanted = _wanted(coded, names, population, label)
    present = np.bincount(cell, minlength=len(wanted)) > 0
    lacking = np.flatnonzero(present & np.isnan(wanted))
    if len(lacking):
        row = int(np.flatnonzero(cell == lacking[0])[0])
        where = ", ".join(f"`{n}`={show(c.levels[int(c.codes[row])])}" for n, c in zip(names, coded, strict=True))
        raise AnalysisError(E.CAL_CELL_MISSING, margin=label, cell=where, row=row + 1)
    empty = np.flatnonzero(~present & (np.nan_to_num(wanted) > 0))
    if len(empty):
        raise AnalysisError(E.CAL_CELL_NO_RESPONDENTS, margin=label, cell=_flat_cell(coded, names, int(empty[0])))
    kept, cell = np.unique(cell, return_inverse=True)
    pop = wanted[kept]
    if (pop == 0).any():
        zero = int(kept[np.flatnonzero(pop == 0)[0]])
        raise AnalysisError(E.CAL_CELL_ZERO, margin=label, cell=_flat_cell(coded, names, zero))
    return CellTable(label, cell.reshape(-1), pop)


def _coded(columns: Columns, name: str) -> Coded:
    coded = encode(columns[name])
    missing = np.flatnonzero(coded.codes < 0)
    if len(missing):
        raise AnalysisError(E.DESIGN_VALUE_MISSING, column=name, role="calibration", row=int(missing[0]) + 1)
    return coded


def _wanted(
    coded: list[Coded], names: Sequence[str], population: Sequence[Mapping[str, Any]], label: str
) -> np.ndarray:
    """Population count per flat cell (NaN where the population lists none)."""
    lookups = [{lookup_key(level): i for i, level in enumerate(c.levels)} for c in coded]
    sizes = tuple(len(c.levels) for c in coded)
    wanted = np.full(int(np.prod(sizes)), np.nan)
    for row in population:
        idx = [lookup.get(lookup_key(row[n])) for lookup, n in zip(lookups, names, strict=True)]
        if any(i is None for i in idx):
            if row["Freq"] > 0:
                raise AnalysisError(E.CAL_CELL_NO_RESPONDENTS, margin=label, cell=_row_cell(row, names))
            continue
        flat = int(np.ravel_multi_index(tuple(int(i) for i in idx if i is not None), sizes))
        if not np.isnan(wanted[flat]):
            raise AnalysisError(E.CAL_CELL_TWICE, margin=label, cell=_row_cell(row, names))
        wanted[flat] = float(row["Freq"])
    return wanted


def _row_cell(row: Mapping[str, Any], names: Sequence[str]) -> str:
    return ", ".join(f"`{n}`={show(row[n])}" for n in names)


def _flat_cell(coded: list[Coded], names: Sequence[str], flat: int) -> str:
    index = np.unravel_index(flat, tuple(len(c.levels) for c in coded))
    return ", ".join(f"`{n}`={show(c.levels[int(i)])}" for n, c, i in zip(names, coded, index, strict=True))


def same_totals(tables: list[CellTable]) -> None:
    """Raking margins must describe one population: their totals agree (to 1e-9 relative)."""
    sizes = [t.population.sum() for t in tables]
    if max(sizes) - min(sizes) > 1e-9 * max(sizes):
        listed = ", ".join(f"{t.label} = {show(float(s))}" for t, s in zip(tables, sizes, strict=True))
        raise AnalysisError(E.CAL_MARGINS_DIFFER, listed=listed)


def rake(tables: list[CellTable], w: np.ndarray, sweeps: int | None = None) -> tuple[np.ndarray, list[np.ndarray], int]:
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
    raise AnalysisError(E.CAL_NOT_CONVERGED, sweeps=RAKE_SWEEPS, margin=worst.label)


def rake_replicates(tables: list[CellTable], w: np.ndarray, reps: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Rake the full-sample weights, then every replicate column with the same number of sweeps."""
    full, _, sweeps = rake(tables, w)
    return full, np.column_stack([rake(tables, column, sweeps)[0] for column in reps.T])


def rake_residualiser(tables: list[CellTable], w0: np.ndarray) -> Callable[[np.ndarray], np.ndarray]:
    """R's `svyrecvar` for raked designs: the post-stratum step over every margin, 10 times."""
    after = rake(tables, w0)[1]

    def residual(z: np.ndarray) -> np.ndarray:
        for _ in range(10):
            for table, psw in zip(tables, after, strict=True):
                z = table.project(z, psw)
        return z

    return residual
