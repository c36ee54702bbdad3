"""From the sums of one pass to the estimates table, with the in-memory path's formulas and order.

Codes are put in sorted order (R's `factor()` levels, as `analysis.io.columns.encode`), the design's
problems are raised as `analysis.stream.checks` replays them, and every present (stage-1 unit x
domain) cell becomes one pseudo-row of a `BoundDesign` whose only stage is the cells' units within
their strata: `analysis.estimators.variance.DomainVariance` then takes the variance of domain totals
of the cells' influence totals exactly as R's `svyrecvar()` does on rows (a unit's total is the sum
of its rows' values, so aggregating rows to cells first changes nothing but the order of sums),
lonely-PSU rules and fpc included. Influence totals per cell: w (y - ybar_d) / W_d for a mean
(Binder 1983; Lumley 2010, sec. 2.2), w y for a total, w (y - R_d x) / X_d for a ratio, and
w (1[level] - p) / W_d per level of a proportion, from the shifted sums of `analysis.stream.scan`.
Design effects are R's `deff = TRUE` as in `analysis.estimators.linear`. Must not read data.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from analysis.design.binding import BoundDesign, Stage
from analysis.errors import AnalysisError, E
from analysis.estimators import intervals, reliability
from analysis.estimators.domains import Domains
from analysis.estimators.linear import _srs_variance
from analysis.estimators.table import Estimates
from analysis.estimators.variance import DomainVariance
from analysis.io.columns import Coded
from analysis.stream.checks import design_problems, fpc_too_small, request_problems, weight_problems
from analysis.stream.codes import NotStreamable
from analysis.stream.scan import Scan, text_levels


@dataclass(frozen=True, eq=False)
class _Cells:
    """Present cells as pseudo-rows (sorted domain codes), the domains, and the variance over them."""

    unit: np.ndarray
    domain: np.ndarray
    order: np.ndarray
    doms: Domains
    variance: DomainVariance
    df: int


def finish(state: Scan) -> Estimates:
    """The estimates of a finished pass; bad input raises the in-memory path's AnalysisError."""
    if state.categorical and state.request.stat != "prop" and not text_levels(state):
        raise NotStreamable("a text column of numbers")
    design_problems(state)
    stratum_of_unit, strata_levels, sampled, popsize = _strata(state)
    weight_problems(state)
    df = _degf(state, stratum_of_unit)
    request_problems(state)
    doms, order = _domains(state)
    n = _cut(state, "n", order).sum(axis=0)
    _nonempty(state, doms, n, order)
    unit, domain = np.nonzero(_cut(state, "n", order) > 0)
    stage = _stage(unit, stratum_of_unit, sampled, popsize)
    columns = {state.design.strata: Coded(stage.stratum[unit], strata_levels)} if state.design.strata else {}
    bound = BoundDesign(state.design, columns, len(unit), np.ones(len(unit)), (stage,), df)
    cells = _Cells(unit, domain, order, doms, DomainVariance(bound, domain, doms.count), df)
    if state.categorical:
        return _categorical(state, cells, n)
    return _numeric(state, cells, n)


def _strata(state: Scan) -> tuple[np.ndarray, tuple[Any, ...], np.ndarray, np.ndarray | None]:
    """Each unit's stratum (sorted code), the strata levels, units sampled per stratum and the
    population size per stratum (None without an fpc), after the fpc checks."""
    if state.design.strata:
        rank, levels = state.strata.ranks()
    else:
        rank, levels = np.zeros(1, dtype=np.int64), ()
    stratum_of_unit = rank[state.unit_stratum[: state.n_units]]
    n_strata = len(rank)
    sampled = np.bincount(stratum_of_unit, minlength=n_strata)
    if not state.design.fpc:
        return stratum_of_unit, levels, sampled, None
    order = np.argsort(rank)
    values = state.stratum_first.value[order]
    as_counts = state.findings.counts["fpc:above_one"] > 0
    with np.errstate(divide="ignore"):
        popsize = values if as_counts else sampled / values
    fpc_too_small(state, popsize, sampled, order)
    return stratum_of_unit, levels, sampled, popsize.astype(np.float64)


def _degf(state: Scan, stratum_of_unit: np.ndarray) -> int:
    """R's `degf()`: units minus strata among rows with a non-zero weight."""
    sizes = [state.n_units, state.n_domains]
    nonzero = (state.cells.get("n", sizes) - state.cells.get("zero", sizes)).sum(axis=1)
    used = nonzero + state.units.get("nonzero", [state.n_units]) > 0
    return int(np.count_nonzero(used) - np.count_nonzero(np.bincount(stratum_of_unit[used])))


def _domains(state: Scan) -> tuple[Domains, np.ndarray]:
    """The domains in the in-memory order (sorted by each `--by` column in turn, missing last) and
    the first-seen codes of the domains in that order."""
    if not state.by:
        return Domains((), np.zeros(0, dtype=np.int64), ((),)), np.zeros(1, dtype=np.int64)
    ids = np.arange(state.n_domains)
    parts = []
    for combos in reversed(state.combos):
        parts.append(combos.second[ids])
        ids = combos.first[ids]
    parts.append(ids)
    parts.reverse()
    ranked = [dictionary.ranks() for dictionary in state.by]
    sorted_parts = [rank[part] for (rank, _), part in zip(ranked, parts, strict=True)]
    order = np.lexsort(sorted_parts[::-1])
    values = tuple(
        tuple(levels[int(part[d])] for (_, levels), part in zip(ranked, sorted_parts, strict=True))
        for d in order.tolist()
    )
    return Domains(state.request.by, np.zeros(0, dtype=np.int64), values), order


def _cut(state: Scan, name: str, order: np.ndarray) -> np.ndarray:
    """A cell accumulator (units x domains), domains in sorted order."""
    return state.cells.get(name, [state.n_units, state.n_domains])[:, order]


def _by_domain(state: Scan, name: str, order: np.ndarray) -> np.ndarray:
    """A per-domain sum in sorted domain order: a domain accumulator, or `nonzero` (usable rows of
    non-zero weight) and `rows` (every row) from the cells."""
    if name == "nonzero":
        return (_cut(state, "n", order) - _cut(state, "zero", order)).sum(axis=0)
    if name == "rows":
        return _cut(state, "n", order).sum(axis=0) + state.domains.get("rows", [state.n_domains])[order]
    return state.domains.get(name, [state.n_domains])[order]


def _nonempty(state: Scan, doms: Domains, n: np.ndarray, order: np.ndarray) -> None:
    """Every domain needs a usable row and non-zero sums of weights and of the denominator's
    weighted values (as `_prepare()`)."""
    request = state.request
    if (n == 0).any():
        names = ", ".join(f"`{c}`" for c in (request.var, request.denominator) if c)
        raise AnalysisError(E.EMPTY_DOMAIN, domain=doms.describe(int(np.flatnonzero(n == 0)[0])), columns=names)
    total_w = _cut(state, "w", order).sum(axis=0)
    if (total_w == 0).any():
        raise AnalysisError(E.ZERO_WEIGHTS, domain=doms.describe(int(np.flatnonzero(total_w == 0)[0])))
    if request.denominator is not None:
        total_x = _cut(state, "x", order).sum(axis=0)
        if (total_x == 0).any():
            empty = doms.describe(int(np.flatnonzero(total_x == 0)[0]))
            raise AnalysisError(E.ZERO_DENOMINATOR, domain=empty, column=request.denominator)


def _stage(unit: np.ndarray, stratum_of_unit: np.ndarray, sampled: np.ndarray, popsize: np.ndarray | None) -> Stage:
    """The one stage of the pseudo-rows: their units, each unit's stratum, and the design's counts."""
    n_strata = len(sampled)
    first_row = np.full(n_strata, len(unit), dtype=np.int64)
    np.minimum.at(first_row, stratum_of_unit[unit], np.arange(len(unit)))
    return Stage(
        unit, len(stratum_of_unit), stratum_of_unit, n_strata, sampled, popsize, np.ones(n_strata), first_row
    )


def _numeric(state: Scan, cells: _Cells, n: np.ndarray) -> Estimates:
    """Mean, total or ratio per domain from the shifted cell sums."""
    stat, order, u, d = state.request.stat, cells.order, cells.unit, cells.domain
    a, w = _cut(state, "a", order), _cut(state, "w", order)
    total_a, total_w = a.sum(axis=0), w.sum(axis=0)
    pilot = np.append(state.pilot, np.full(max(0, state.n_domains - len(state.pilot)), np.nan))[order]
    c = np.where(np.isnan(pilot), 0.0, pilot)
    nobs = _by_domain(state, "nonzero", order)
    with np.errstate(divide="ignore", invalid="ignore"):
        kish = nobs / (nobs - 1) / total_w
        if stat == "ratio":
            x = _cut(state, "x", order)
            total_x = x.sum(axis=0)
            delta = total_a / total_x
            estimate, z = c + delta, (a[u, d] - delta[d] * x[u, d]) / total_x[d]
            ee, ex, xx = (_by_domain(state, k, order) for k in ("ee", "ex", "xx"))
            spread = ee - 2 * delta * ex + delta * delta * xx - (total_a - delta * total_x) ** 2 / total_w
            svyvar = spread / (total_x * total_x) * kish
        else:
            delta = total_a / total_w
            svyvar = (_by_domain(state, "q", order) - delta * total_a) * kish
            if stat == "mean":
                estimate, z = c + delta, (a[u, d] - delta[d] * w[u, d]) / total_w[d]
            else:
                estimate, z = total_a + c * total_w, a[u, d] + c[d] * w[u, d]
        v = cells.variance(z)
        vsrs = _srs_variance(svyvar, nobs, total_w, stat == "mean")
        deff = v / vsrs
    zero_one = state.binary
    proportion = stat == "mean" and zero_one
    if state.request.ci_method != "wald" and not proportion:
        request = state.request
        raise AnalysisError(E.CI_NOT_BINARY, method=request.ci_method, column=request.var, stat=request.stat)
    numbers = {"estimate": estimate, "se": np.sqrt(v), "deff": deff}
    return _table(state, cells, [None], n, _by_domain(state, "rows", order), numbers, proportion)


def _categorical(state: Scan, cells: _Cells, n: np.ndarray) -> Estimates:
    """Proportions (or estimated counts) of every level per domain from the level cell sums."""
    request, order, u, d = state.request, cells.order, cells.unit, cells.domain
    as_total = request.stat == "total"
    rank, levels = state.levels.ranks()
    sizes = [state.n_units, state.n_domains, len(levels)]
    level_w = state.level_cells.get("w", sizes)[:, order][:, :, np.argsort(rank)]
    w = _cut(state, "w", order)
    total_w = w.sum(axis=0)
    by_level = level_w.sum(axis=0)
    nobs = _by_domain(state, "nonzero", order)
    with np.errstate(divide="ignore", invalid="ignore"):
        p = by_level / total_w[:, None]
        variances = np.empty_like(p)
        for level in range(len(levels)):
            cell_w = level_w[u, d, level]
            z = cell_w if as_total else (cell_w - p[d, level] * w[u, d]) / total_w[d]
            variances[:, level] = cells.variance(z)
        kish_p = (nobs / (nobs - 1))[:, None] * p * (1 - p)
        deff = variances / _srs_variance(kish_p, nobs[:, None], total_w[:, None], not as_total)
    if request.ci_method != "wald" and as_total:
        raise AnalysisError(E.CI_FOR_TOTAL, method=request.ci_method, column=request.var)
    numbers = {"estimate": by_level if as_total else p, "se": np.sqrt(variances), "deff": deff}
    rows = _by_domain(state, "rows", order)
    return _table(state, cells, list(levels), n, rows, numbers, not as_total)


def _table(
    state: Scan,
    cells: _Cells,
    levels: list[Any],
    n_domain: np.ndarray,
    rows_domain: np.ndarray,
    numbers: dict[str, np.ndarray],
    proportion: bool,
) -> Estimates:
    """Intervals, cv, n_eff and flags, laid out domain by domain, level by level (as `_table()`)."""
    request, df = state.request, cells.df
    flat = {name: np.asarray(values, dtype=np.float64).reshape(-1) for name, values in numbers.items()}
    count = len(levels)
    n = np.repeat(n_domain, count).astype(np.int64)
    rows = np.repeat(rows_domain, count)
    low, high = intervals.proportion_interval(request.ci_method, flat["estimate"], flat["se"], rows, df, request.level)
    flat.update(ci_low=low, ci_high=high)
    with np.errstate(divide="ignore", invalid="ignore"):
        flat["cv"] = flat["se"] / np.abs(flat["estimate"])
        flat["n_eff"] = n / flat["deff"]
    flags = reliability.flags(flat, n, df, proportion)
    if not request.deff:
        flat["deff"] = np.full(len(n), np.nan)
    return Estimates(
        stat=request.stat,
        var=request.var,
        denominator=request.denominator,
        by=request.by,
        level=request.level,
        df=df,
        domains=[value for value in cells.doms.values for _ in levels],
        levels=levels * cells.doms.count,
        numbers=flat,
        n=n,
        flags=flags,
    )
