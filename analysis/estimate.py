"""Design-based estimates of one variable over domains: the entry point of the analysis package.

`estimate(columns, design, request)` checks the request against the data, applies the missing-value
policy (`fail`, or `drop`: missing rows leave every domain but keep their PSU, as R's `na.rm = TRUE`),
builds the domains, and runs the estimator of `analysis.linear` or `analysis.quantiles` with the
variance of `analysis.variance`; intervals use t on the df of the full design (`degf()`, also for
domains, as `confint(svyby(...), df = degf(design))`). The functions `mean`, `total`, `proportion`,
`ratio` and `quantile` return the tidy DataFrame of `analysis.table` for a DataFrame and a `Design`.
Conventions follow R `survey` 4.1 (Lumley 2010); see each module for its formulas.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any

import numpy as np

from analysis import calibration, intervals, linear, reliability
from analysis.columns import Coded, Columns, encode, from_frame, is_text, numeric
from analysis.design import BoundDesign, Design, bind
from analysis.domains import Domains, domains
from analysis.errors import AnalysisError, E, column_missing, show
from analysis.quantiles import quantiles
from analysis.replicate import Factored, Replicates, build
from analysis.table import Estimates
from analysis.variance import CalibratedVariance, DomainVariance

STATS = ("mean", "total", "prop", "ratio", "quantile")
NA_POLICIES = ("fail", "drop")


@dataclass(frozen=True)
class Request:
    """What to estimate, in the vocabulary of `cunsheng estimate`."""

    stat: str
    var: str
    by: tuple[str, ...] = ()
    denominator: str | None = None
    quantiles: tuple[float, ...] = ()
    level: float = 0.95
    ci_method: str = "wald"
    deff: bool = False
    na: str = "fail"

    def __post_init__(self) -> None:
        _check_request(self)

    def columns(self) -> dict[str, str]:
        """The columns the request reads, with their role (for messages)."""
        roles = {name: "--by" for name in self.by}
        if self.denominator is not None:
            roles[self.denominator] = "--denominator"
        roles[self.var] = "--var"
        return roles


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
    """Everything one estimate works with: the request, the bound design, domains, data, variance."""

    request: Request
    bound: BoundDesign
    doms: Domains
    prepared: _Prepared
    sums: linear.Sums
    variance: linear.Variance
    replicates: Replicates | None = None


def estimate(columns: Columns, design: Design, request: Request) -> Estimates:
    """Estimate `request` for every domain over the full `design`; bad input raises AnalysisError."""
    for name, role in request.columns().items():
        if name not in columns:
            raise column_missing(name, role, list(columns))
    design = design.resolve(list(columns))
    bound = bind(design, columns)
    replicates = build(design.replicate, bound, columns) if design.replicate is not None else None
    calibrator = None
    if design.calibration is not None:
        calibrator = calibration.bind(design.calibration, columns, bound.stages[0].unit)
    sampling = bound.weights
    if calibrator is not None:
        if replicates is not None:
            full, calibrated = calibrator.all(sampling, replicates.weights)
            replicates = replace(replicates, stored=calibrated)
        else:
            full = calibrator.calibrate(sampling)
        bound = replace(bound, weights=full)
    if replicates is not None:
        bound = replace(bound, df=replicates.df())
        if request.stat == "quantile":
            raise AnalysisError(E.REPLICATE_SPEC, detail="--stat quantile is not available with replicate weights yet")
    doms = domains(columns, request.by)
    prepared = _prepare(columns, request, doms, bound.weights)
    sums = linear.Sums.of(prepared.domain, doms.count)
    variance: linear.Variance
    if replicates is not None:
        variance = _no_variance
    elif calibrator is not None:
        residual = calibrator.residualiser(sampling, bound.weights)
        variance = CalibratedVariance(bound, prepared.domain, doms.count, residual)
    else:
        variance = DomainVariance(bound, prepared.domain, doms.count)
    job = _Job(request, bound, doms, prepared, sums, variance, replicates)
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
    names = list(dict.fromkeys([*design.columns(), *request.columns()]))
    for name in names:
        if name not in data:
            role = {**design.columns(), **request.columns()}[name]
            raise column_missing(name, role, list(data))
    return estimate(from_frame(data, names), design, request).to_frame()


def _check_request(request: Request) -> None:
    def bad(detail: str) -> AnalysisError:
        return AnalysisError(E.ARGUMENT, detail=detail)

    if request.stat not in STATS:
        raise bad(f"--stat must be one of {', '.join(STATS)}, not {request.stat!r}")
    if request.na not in NA_POLICIES:
        raise bad(f"--na must be drop or fail, not {request.na!r}")
    if request.ci_method not in intervals.CI_METHODS:
        raise bad(f"--ci-method must be one of {', '.join(intervals.CI_METHODS)}, not {request.ci_method!r}")
    if not 0 < request.level < 1:
        raise bad(f"--level must be between 0 and 1 (such as 0.95), not {request.level}")
    if (request.stat == "ratio") != (request.denominator is not None):
        raise bad("--denominator is required with --stat ratio and only allowed with it")
    if request.stat == "quantile" and not request.quantiles:
        raise bad("--stat quantile needs at least one --quantile P (0 < P < 1)")
    if request.quantiles and request.stat != "quantile":
        raise bad("--quantile is only allowed with --stat quantile")
    if any(not 0 < p < 1 for p in request.quantiles):
        raise bad("every --quantile must be between 0 and 1 (exclusive)")


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
    domain = np.where(usable, doms.codes, -1)
    n = np.bincount(domain[usable], minlength=doms.count)
    if (n == 0).any():
        empty = doms.describe(int(np.flatnonzero(n == 0)[0]))
        names = " and ".join(f"`{c}`" for c in (request.var, request.denominator) if c)
        raise AnalysisError(E.EMPTY_DOMAIN, domain=empty, columns=names)
    _nonzero_totals(doms, domain, weights, "the weights")
    if x is not None:
        x = np.where(usable, x, 0.0)
        _nonzero_totals(doms, domain, weights * x, f"`{request.denominator}`")
    rows = np.bincount(doms.codes, minlength=doms.count)
    return _Prepared(np.where(usable, y, 0.0), x, coded, domain, n, rows)


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
        missing = (column.codes < 0) if isinstance(column, Coded) else np.isnan(np.asarray(column, dtype=np.float64))
        if missing.all():
            raise AnalysisError(E.ALL_MISSING, column=name)
        if request.na == "fail" and missing.any():
            rows = np.flatnonzero(missing)
            raise AnalysisError(E.VALUE_MISSING, column=name, row=int(rows[0]) + 1, count=len(rows))


def _nonzero_totals(doms: Domains, domain: np.ndarray, values: np.ndarray, what: str) -> None:
    inside = domain >= 0
    totals = np.bincount(domain[inside], weights=values[inside], minlength=doms.count)
    if (totals == 0).any():
        empty = doms.describe(int(np.flatnonzero(totals == 0)[0]))
        raise AnalysisError(E.ZERO_DENOMINATOR, domain=empty, what=what)


def _no_variance(z: np.ndarray) -> np.ndarray:
    return np.ones(1)


def _estimator(job: _Job, w: np.ndarray, variance: linear.Variance) -> linear.Linear:
    request, prepared = job.request, job.prepared
    if prepared.coded is not None:
        n_levels = len(prepared.coded.levels)
        as_total = request.stat == "total"
        return linear.categorical(prepared.coded.codes, n_levels, w, job.sums, variance, as_total)
    if request.stat == "ratio":
        assert prepared.x is not None
        return linear.ratio(prepared.y, prepared.x, w, job.sums, variance)
    estimator = linear.mean if request.stat == "mean" else linear.total
    return estimator(prepared.y, w, job.sums, variance)


def _replicated(job: _Job, replicates: Replicates) -> tuple[linear.Linear, np.ndarray]:
    """Full-sample estimates, replicate variances and deffs, and the replicate estimates."""
    count = job.doms.count

    def ones(z: np.ndarray) -> np.ndarray:
        return np.ones(count)

    def zeros(z: np.ndarray) -> np.ndarray:
        return np.zeros(count)

    full = _estimator(job, job.bound.weights, ones)  # variance 1, so deff = 1 / vsrs
    if isinstance(replicates.stored, Factored):
        thetas = _factored_thetas(job, replicates.stored)
    else:
        thetas = np.stack([_estimator(job, w, zeros).estimate for w in replicates.weights.T])
    with np.errstate(invalid="ignore"):
        v = replicates.variance(thetas, full.estimate)
    return linear.Linear(full.estimate, v, v * full.deff), thetas


def _factored_thetas(job: _Job, f: Factored) -> np.ndarray:
    """Replicate estimates (replicates, domains, levels) of created replicates, all at once from
    (domain x PSU) weighted totals times the PSU x replicate factor matrix (no rows x replicates)."""
    request, prepared, bins, count = job.request, job.prepared, job.sums.bins, job.doms.count
    with np.errstate(divide="ignore", invalid="ignore"):
        if prepared.coded is not None:
            levels = len(prepared.coded.levels)
            cells = bins * levels + np.maximum(prepared.coded.codes, 0)
            level_w = f.sums(cells, (count + 1) * levels, np.ones(len(bins)))
            level_w = level_w.reshape(-1, count + 1, levels)[:, :count]
            if request.stat == "total":
                return level_w
            return level_w / f.sums(bins, count + 1, np.ones(len(bins)))[:, :count, None]
        top = f.sums(bins, count + 1, prepared.y)[:, :count]
        if request.stat == "total":
            return top[:, :, None]
        below = prepared.x if request.stat == "ratio" else np.ones(len(bins))
        assert below is not None
        return (top / f.sums(bins, count + 1, below)[:, :count])[:, :, None]


def _linear_table(job: _Job) -> Estimates:
    request, prepared = job.request, job.prepared
    thetas = None
    if job.replicates is None:
        result = _estimator(job, job.bound.weights, job.variance)
    else:
        result, thetas = _replicated(job, job.replicates)
    if prepared.coded is not None:
        level_values: list[Any] = list(prepared.coded.levels)
        proportion = request.stat != "total"
    else:
        level_values = [None]
        zero_one = bool(np.isin(prepared.y[prepared.domain >= 0], (0.0, 1.0)).all())
        proportion = request.stat == "mean" and zero_one
    if request.ci_method != "wald" and not proportion:
        detail = "a categorical total" if prepared.coded is not None else f"not a 0/1 variable (stat {request.stat})"
        raise AnalysisError(E.CI_METHOD, method=request.ci_method, column=request.var, detail=detail)
    n = np.repeat(prepared.n, len(level_values))
    est, se = result.estimate.reshape(-1), np.sqrt(result.variance.reshape(-1))
    # svyciprop(method = "beta") uses nrow(design): the domain's rows, with or without a value
    rows = np.repeat(prepared.rows, len(level_values))
    se_interval = se
    if thetas is not None and job.replicates is not None and request.ci_method == "logit":
        se_interval = _logit_se(job.replicates, thetas, result.estimate)
    low, high = intervals.proportion_interval(request.ci_method, est, se_interval, rows, job.bound.df, request.level)
    numbers = {"estimate": est, "se": se, "ci_low": low, "ci_high": high, "deff": result.deff.reshape(-1)}
    return _table(job, level_values, n, numbers, proportion)


def _logit_se(replicates: Replicates, thetas: np.ndarray, p: np.ndarray) -> np.ndarray:
    """R's svyciprop(method = "logit") on replicates: the replicate variance of logit(p), put back
    on the scale of p so that `proportion_interval`'s delta step recovers it."""
    with np.errstate(divide="ignore", invalid="ignore"):
        logit_var = replicates.variance(np.log(thetas / (1 - thetas)), np.log(p / (1 - p)))
        return (np.sqrt(logit_var) * p * (1 - p)).reshape(-1)


def _quantile_table(job: _Job) -> Estimates:
    request, bound = job.request, job.bound
    q = quantiles(job.prepared.y, bound.weights, job.sums, job.variance, request.quantiles, bound.df, request.level)
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
    flags = reliability.flags(numbers, n, job.bound.df, proportion)
    if not job.request.deff:
        numbers["deff"] = np.full(len(n), np.nan)
    request, doms = job.request, job.doms
    return Estimates(
        stat=request.stat,
        var=request.var,
        denominator=request.denominator,
        by=request.by,
        level=request.level,
        df=job.bound.df,
        domains=[value for value in doms.values for _ in level_values],
        levels=level_values * doms.count,
        numbers=numbers,
        n=n,
        flags=flags,
    )
