"""An indicator's estimates over its population as a domain of the full design, per `--by` domain.

The numbers are those of `cunsheng estimate --stat mean --var <0/1 indicator> --by <population>
[--by ...] --na drop --ci-method <method>` for the population's level (design/evaluation.md): the
function runs `analysis.estimators.estimate.estimate` itself on the derived columns, so every
design (strata, clusters, fpc, calibration, replicates) and every convention of R `survey` carries
over (Lumley 2010, sec. 2.3: a domain keeps every PSU and stratum). Rows outside the population
take the value 0 in a domain of their own, which is dropped; rows of the population without a
value are outside every domain (`--na drop`), and a population cell with no value at all is not
estimated. Where p is 0 or 1 the logit interval does not exist (nor do the beta and Wilson ones,
whose design-based effective size is then 0/0): the Korn-Graubard interval on the sample size
(`analysis.estimators.intervals.beta_at_bounds`) is reported instead, flagged `ci:beta`. Must not
read files or judge targets.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any

import numpy as np

from analysis.design.spec import Design
from analysis.estimators.domains import domains
from analysis.estimators.estimate import estimate
from analysis.estimators.intervals import beta_at_bounds
from analysis.estimators.request import Request
from analysis.estimators.table import Estimates
from analysis.evaluation.derive import Derived
from analysis.io.columns import Columns

POPULATION, VALUE = "(population)", "(indicator)"  # the derived columns, named as no data column is
BETA_FLAG = "ci:beta"
_NO_INTERVAL = ("logit", "xlogit", "beta", "wilson")  # undefined at p = 0 or 1 (se = 0)


@dataclass(frozen=True)
class Cell:
    """One domain's estimate on the indicator's own scale (a share, not a percentage)."""

    domain: tuple[Any, ...]
    estimate: float
    se: float
    ci_low: float
    ci_high: float
    n: int
    cv: float
    flags: tuple[str, ...]


def population_cells(
    columns: Columns, design: Design, derived: Derived, by: Sequence[str], level: float, ci_method: str
) -> tuple[list[Cell], int]:
    """The estimates of every `by` domain of the population, and the design df."""
    data = {**columns, **_derived_columns(columns, derived, by)}
    request = Request("mean", VALUE, (POPULATION, *by), level=level, ci_method=ci_method, na="drop")
    result = estimate(data, design, request)
    cells = [_cell(result, i) for i, d in enumerate(result.domains) if d[0] == 1]
    if ci_method in _NO_INTERVAL:
        cells = [_bounded(cell, result.df, level) if cell.estimate in (0.0, 1.0) else cell for cell in cells]
    return cells, result.df


def _derived_columns(columns: Columns, derived: Derived, by: Sequence[str]) -> dict[str, np.ndarray]:
    """The population code (1 in it, 0 outside, 2 in a population cell without any value) and the
    value (0 outside the population, so that its domain is never empty)."""
    population = np.where(derived.inside, 1.0, 0.0)
    values = np.where(derived.inside, derived.values, 0.0)
    usable = derived.usable
    cells = domains(columns, by).codes
    empty = np.setdiff1d(np.unique(cells[derived.inside]), np.unique(cells[usable]))
    if len(empty):
        lost = derived.inside & np.isin(cells, empty)
        population[lost], values[lost] = 2.0, 0.0
    return {POPULATION: population, VALUE: values}


def _cell(result: Estimates, i: int) -> Cell:
    numbers = result.numbers
    return Cell(
        domain=result.domains[i][1:], estimate=float(numbers["estimate"][i]), se=float(numbers["se"][i]),
        ci_low=float(numbers["ci_low"][i]), ci_high=float(numbers["ci_high"][i]), n=int(result.n[i]),
        cv=float(numbers["cv"][i]), flags=tuple(result.flags[i]),
    )


def _bounded(cell: Cell, df: int, level: float) -> Cell:
    """A share of 0 or 1: the Korn-Graubard interval on the sample size, flagged."""
    low, high = beta_at_bounds(cell.estimate, cell.n, df, level)
    return replace(cell, ci_low=low, ci_high=high, flags=(*cell.flags, BETA_FLAG))
