"""An indicator's estimates over its population as a domain of the full design, per `--by` domain.

The numbers are those of `cunsheng estimate --stat mean --var <0/1 indicator> --by <population>
[--by ...] --na drop --ci-method <method>` for the population's level (design/evaluation.md): the
function runs `analysis.estimators.estimate.estimate` itself on the derived columns, so every
design (strata, clusters, fpc, calibration, replicates) and every convention of R `survey` carries
over (Lumley 2010, sec. 2.3: a domain keeps every PSU and stratum). Rows outside the population
take the value 0 in a domain of their own, which is dropped; rows of the population without a
value are outside every domain (`--na drop`), and a population cell with no value at all is not
estimated. Where a logit interval does not exist (p = 0 or 1) the Korn-Graubard interval
(`--ci-method beta`) is reported instead, flagged `ci:beta`. Must not read files or judge targets.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from analysis.design.spec import Design
from analysis.estimators.domains import domains
from analysis.estimators.estimate import estimate
from analysis.estimators.request import Request
from analysis.estimators.table import Estimates
from analysis.evaluation.derive import Derived
from analysis.io.columns import Columns

POPULATION, VALUE = "(population)", "(indicator)"  # the derived columns, named as no data column is
BETA_FLAG = "ci:beta"
_NO_LOGIT = ("logit", "xlogit")


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
    rows = [i for i, d in enumerate(result.domains) if d[0] == 1]
    fallback = None
    if ci_method in _NO_LOGIT and any(_degenerate(result.numbers["estimate"][i]) for i in rows):
        fallback = estimate(data, design, Request("mean", VALUE, request.by, level=level, ci_method="beta", na="drop"))
    return [_cell(result, fallback, i) for i in rows], result.df


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


def _degenerate(p: float) -> bool:
    return bool(p == 0.0 or p == 1.0)


def _cell(result: Estimates, fallback: Estimates | None, i: int) -> Cell:
    numbers = result.numbers
    low, high = float(numbers["ci_low"][i]), float(numbers["ci_high"][i])
    flags = list(result.flags[i])
    if fallback is not None and _degenerate(numbers["estimate"][i]):
        low, high = float(fallback.numbers["ci_low"][i]), float(fallback.numbers["ci_high"][i])
        flags.append(BETA_FLAG)
    return Cell(
        domain=result.domains[i][1:], estimate=float(numbers["estimate"][i]), se=float(numbers["se"][i]),
        ci_low=low, ci_high=high, n=int(result.n[i]), cv=float(numbers["cv"][i]), flags=tuple(flags),
    )
