"""Design-based estimates of one variable over domains: the entry point of the estimators.

`estimate(columns, design, request, rng)` checks the request against the data, prepares the design
(analysis.estimators.survey), asks `variance_strategy()` for the variance method, applies the
missing-value policy (`fail`, or `drop`: missing rows leave every domain but keep their PSU, as R's
`na.rm = TRUE`), builds the domains, and runs the estimators of `analysis.estimators.linear` or
`analysis.estimators.quantiles`; intervals use t on the df of the full design (`degf()`, also for
domains, as `confint(svyby(...), df = degf(design))`). The functions `mean`, `total`, `proportion`,
`ratio` and `quantile` return the tidy DataFrame of `analysis.estimators.table` for a DataFrame and
a `Design`. Conventions follow R `survey` 4.1 (Lumley 2010); see each module for its formulas.
Must not read files or print.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from analysis.design.spec import Design
from analysis.errors import AnalysisError, E, column_missing, show
from analysis.estimators import intervals, linear, reliability
from analysis.estimators.domains import Domains, domains
from analysis.estimators.request import Request
from analysis.estimators.strategy import VarianceStrategy, variance_strategy
from analysis.estimators.survey import survey
from analysis.estimators.table import Estimates
from analysis.io.columns import Coded, Columns, encode, from_frame, is_text, numeric

if TYPE_CHECKING:
    from analysis.replicate.weights import Factored


@dataclass(frozen=True, eq=False)
class _Prepared:
    """The analysis variable after the missing-value policy, with the rows' domain codes."""

    y: np.ndarray
    x: np.ndarray | None
    coded: Coded | None
    domain: np.ndarray
    n: np.ndarray
    rows: np.ndarray


@dataclass(frozen=True, eq=False)
class _Job:
    """Everything one estimate works with: the request, the variance strategy, domains, data."""

    request: Request
    strategy: VarianceStrategy
    weights: np.ndarray
    doms: Domains
    prepared: _Prepared
    sums: linear.Sums

    def at(self, w: np.ndarray, variance: linear.Variance) -> linear.Linear:
        """The requested linear statistic at weights w (the `Statistic` of the strategy)."""
        request, prepared = self.request, self.prepared
        if prepared.coded is not None:
            n_levels = len(prepared.coded.levels)
            as_total = request.stat == "total"
            return linear.categorical(prepared.coded.codes, n_levels, w, self.sums, variance, as_total)
        if request.stat == "ratio":
            assert prepared.x is not None
            return linear.ratio(prepared.y, prepared.x, w, self.sums, variance)
        estimator = linear.mean if request.stat == "mean" else linear.total
        return estimator(prepared.y, w, self.sums, variance)

    def factored(self, f: Factored) -> np.ndarray:
        """Replicate estimates (replicates, domains, levels) of created replicates, all at once from
        (domain x PSU) weighted totals times the PSU x replicate factor matrix (no rows x replicates)."""
        request, prepared, bins, count = self.request, self.prepared, self.sums.bins, self.doms.count
        ones = np.ones(len(bins))
        with np.errstate(divide="ignore", invalid="ignore"):
            if prepared.coded is not None:
                levels = len(prepared.coded.levels)
                cells = bins * levels + np.maximum(prepared.coded.codes, 0)
                level_w = f.sums(cells, (count + 1) * levels, ones).reshape(-1, count + 1, levels)[:, :count]
                if request.stat == "total":
                    return level_w
                return level_w / f.sums(bins, count + 1, ones)[:, :count, None]
            top = f.sums(bins, count + 1, prepared.y)[:, :count]
            if request.stat == "total":
                return top[:, :, None]
            below = prepared.x if request.stat == "ratio" else ones
            assert below is not None
            return (top / f.sums(bins, count + 1, below)[:, :count])[:, :, None]


def estimate(columns: Columns, design: Design, request: Request, rng: np.random.Generator | None = None) -> Estimates:
    """Estimate `request` for every domain over the full `design`; bad input raises AnalysisError.
    `rng` draws created bootstrap replicates (default: the generator of the spec's `seed`)."""
    for name, role in request.columns().items():
        if name not in columns:
            raise column_missing(name, role, list(columns))
    prepared_survey = survey(columns, design.resolve(list(columns)), rng)
    strategy = variance_strategy(prepared_survey)
    weights = prepared_survey.bound.weights
    doms = domains(columns, request.by)
    prepared = _prepare(columns, request, doms, weights)
    job = _Job(request, strategy, weights, doms, prepared, linear.Sums.of(prepared.domain, doms.count))
    return _quantile_table(job) if request.stat == "quantile" else _linear_table(job)


def mean(data: Any, design: Design, var: str, by: Sequence[str] = (), **options: Any) -> Any:
    """Domain means (categorical `var`: proportions per level) as a tidy DataFrame."""
    return _frame(data, design, Request("mean", var, tuple(by), **options))


def total(data: Any, design: Design, var: str, by: Sequence[str] = (), **options: Any) -> Any:
    """Domain totals (categorical `var`: estimated counts per level) as a tidy DataFrame."""
    return _frame(data, design, Request("total", var, tuple(by), **options))


def proportion(data: Any, design: Design, var: str, by: Sequence[str] = (), **options: Any) -> Any:
    """Proportion of each level of `var` per domain as a tidy DataFrame."""
    return _frame(data, design, Request("prop", var, tuple(by), **options))


def ratio(data: Any, design: Design, var: str, denominator: str, by: Sequence[str] = (), **options: Any) -> Any:
    """Ratio of the totals of `var` and `denominator` per domain as a tidy DataFrame."""
    return _frame(data, design, Request("ratio", var, tuple(by), denominator=denominator, **options))


def quantile(
    data: Any, design: Design, var: str, probs: Sequence[float], by: Sequence[str] = (), **options: Any
) -> Any:
    """Quantiles of `var` per domain (qrule math, Woodruff interval) as a tidy DataFrame."""
    return _frame(data, design, Request("quantile", var, tuple(by), quantiles=tuple(probs), **options))


def _frame(data: Any, design: Design, request: Request) -> Any:
    design = design.resolve([str(c) for c in data.columns])
    roles = {**design.columns(), **request.columns()}
    for name in dict.fromkeys([*design.columns(), *request.columns()]):
        if name not in data:
            raise column_missing(name, roles[name], list(data))
    return estimate(from_frame(data, list(roles)), design, request).to_frame()


def _prepare(columns: Columns, request: Request, doms: Domains, weights: np.ndarray) -> _Prepared:
    """Analysis values, the missing-value policy, and the domain code of every usable row."""
    _missing_policy(columns, request)
    categorical = request.stat == "prop" or (request.stat in ("mean", "total") and is_text(columns[request.var]))
    coded = encode(columns[request.var]) if categorical else None
    if coded is not None:
        usable = coded.codes >= 0
        y = np.zeros(len(usable))
    else:
        y = _numeric(columns, request.var, request.stat, "--var")
        usable = ~np.isnan(y)
    x = None
    if request.denominator is not None:
        x = _numeric(columns, request.denominator, request.stat, "--denominator")
        usable &= ~np.isnan(x)
    everywhere = bool(usable.all())  # the common case: no masking, no copies
    domain = doms.codes if everywhere else np.where(usable, doms.codes, -1)
    n = np.bincount(domain if everywhere else domain[usable], minlength=doms.count)
    if (n == 0).any():
        empty = doms.describe(int(np.flatnonzero(n == 0)[0]))
        names = ", ".join(f"`{c}`" for c in (request.var, request.denominator) if c)
        raise AnalysisError(E.EMPTY_DOMAIN, domain=empty, columns=names)
    _nonzero_totals(doms, domain, weights, None)
    if x is not None:
        x = np.where(usable, x, 0.0)
        _nonzero_totals(doms, domain, weights * x, request.denominator)
    rows = n if everywhere else np.bincount(doms.codes, minlength=doms.count)
    return _Prepared(y if everywhere else np.where(usable, y, 0.0), x, coded, domain, n, rows)


def _numeric(columns: Columns, name: str, stat: str, role: str) -> np.ndarray:
    column = columns[name]
    if is_text(column) and isinstance(column, Coded):
        row = int(np.flatnonzero(column.codes >= 0)[0]) if (column.codes >= 0).any() else 0
        value = column.levels[int(column.codes[row])] if column.levels else None
        raise AnalysisError(E.NEEDS_NUMERIC, stat=stat, column=name, row=row + 1, value=show(value))
    return numeric(column, name, role)


def _missing_policy(columns: Columns, request: Request) -> None:
    for name in (request.var, request.denominator):
        if name is None:
            continue
        column = columns[name]
        if isinstance(column, Coded):
            missing = column.codes < 0
        elif np.asarray(column).dtype.kind in "biu" and len(column):
            continue  # integers hold no missing value
        else:
            missing = np.isnan(np.asarray(column, dtype=np.float64))
        if missing.all():
            raise AnalysisError(E.ALL_MISSING, column=name)
        if request.na == "fail" and missing.any():
            rows = np.flatnonzero(missing)
            raise AnalysisError(E.VALUE_MISSING, column=name, row=int(rows[0]) + 1, count=len(rows))


def _nonzero_totals(doms: Domains, domain: np.ndarray, values: np.ndarray, denominator: str | None) -> None:
    """Every domain's weighted total of the weights (or of the ratio's denominator) must be non-zero."""
    inside = domain >= 0
    if inside.all():
        totals = np.bincount(domain, weights=values, minlength=doms.count)
    else:
        totals = np.bincount(domain[inside], weights=values[inside], minlength=doms.count)
    if (totals == 0).any():
        empty = doms.describe(int(np.flatnonzero(totals == 0)[0]))
        if denominator is None:
            raise AnalysisError(E.ZERO_WEIGHTS, domain=empty)
        raise AnalysisError(E.ZERO_DENOMINATOR, domain=empty, column=denominator)


def _linear_table(job: _Job) -> Estimates:
    request, prepared = job.request, job.prepared
    result, thetas = job.strategy.linear(job, prepared.domain, job.doms.count)
    level_values, proportion = _levels(job)
    n = np.repeat(prepared.n, len(level_values))
    est, se = result.estimate.reshape(-1), np.sqrt(result.variance.reshape(-1))
    # svyciprop(method = "beta") uses nrow(design): the domain's rows, with or without a value
    rows = np.repeat(prepared.rows, len(level_values))
    se_interval = job.strategy.interval_se(thetas, result.estimate, se, request.ci_method)
    df = job.strategy.df
    low, high = intervals.proportion_interval(request.ci_method, est, se_interval, rows, df, request.level)
    numbers = {"estimate": est, "se": se, "ci_low": low, "ci_high": high, "deff": result.deff.reshape(-1)}
    return _table(job, level_values, n, numbers, proportion)


def _levels(job: _Job) -> tuple[list[Any], bool]:
    """The level of every estimate of a domain, and whether the estimates are proportions
    (which alone take an interval method other than wald)."""
    request, prepared = job.request, job.prepared
    if prepared.coded is not None:
        level_values: list[Any] = list(prepared.coded.levels)
        proportion = request.stat != "total"
    else:
        level_values = [None]
        zero_one = bool(np.isin(prepared.y[prepared.domain >= 0], (0.0, 1.0)).all())
        proportion = request.stat == "mean" and zero_one
    if request.ci_method != "wald" and not proportion:
        if prepared.coded is not None:
            raise AnalysisError(E.CI_FOR_TOTAL, method=request.ci_method, column=request.var)
        raise AnalysisError(E.CI_NOT_BINARY, method=request.ci_method, column=request.var, stat=request.stat)
    return level_values, proportion


def _quantile_table(job: _Job) -> Estimates:
    from analysis.estimators.quantiles import quantiles  # loaded only for quantiles

    request, df = job.request, job.strategy.df
    cdf = job.strategy.domain_mean(job.weights, job.sums, job.prepared.domain, job.doms.count)
    q = quantiles(job.prepared.y, job.weights, job.sums, cdf, request.quantiles, df, request.level)
    n = np.repeat(job.prepared.n, len(request.quantiles))
    numbers = {
        "estimate": q.estimate.reshape(-1),
        "se": q.se.reshape(-1),
        "ci_low": q.ci_low.reshape(-1),
        "ci_high": q.ci_high.reshape(-1),
        "deff": np.full(len(n), np.nan),
    }
    return _table(job, list(request.quantiles), n, numbers, proportion=False)


def _table(
    job: _Job, level_values: list[Any], n: np.ndarray, numbers: dict[str, np.ndarray], proportion: bool
) -> Estimates:
    """Add cv, n_eff and flags, and lay the rows out domain by domain, level by level."""
    with np.errstate(divide="ignore", invalid="ignore"):
        numbers["cv"] = numbers["se"] / np.abs(numbers["estimate"])
        numbers["n_eff"] = n / numbers["deff"]
    flags = reliability.flags(numbers, n, job.strategy.df, proportion)
    if not job.request.deff:
        numbers["deff"] = np.full(len(n), np.nan)
    request, doms = job.request, job.doms
    return Estimates(
        stat=request.stat,
        var=request.var,
        denominator=request.denominator,
        by=request.by,
        level=request.level,
        df=job.strategy.df,
        domains=[value for value in doms.values for _ in level_values],
        levels=level_values * doms.count,
        numbers=numbers,
        n=n,
        flags=flags,
    )
