"""Indicators against targets on one wave: the entry point of `analysis.evaluation`.

`evaluate(data, design, definitions, ...)` (a DataFrame) and `evaluate_columns(columns, ...)` (the
columns `cunsheng evaluate` reads) derive every indicator (`derive`), estimate it over its population
as a domain of the full design per `--by` domain and per level of each `--breakdown` column
(`domain`; a breakdown with one level in the population is left out), judge it (`entries`,
`status`), add the gap of each two-level breakdown with the SE of the contrast from the same design
(`contrast`), and build each index (`index`). The result is the document of design/evaluation.md,
also as tidy DataFrames. Must not read files or print.
"""

from __future__ import annotations

import datetime
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from analysis.design.spec import Design
from analysis.errors import AnalysisError, E, column_missing, show
from analysis.estimators.strategy import VarianceStrategy
from analysis.estimators.student_t import t_quantile
from analysis.evaluation.baseline import Baseline
from analysis.evaluation.contrast import Combination, Term, combine, strategy_of
from analysis.evaluation.derive import Derived, columns_read, derive
from analysis.evaluation.domain import Cell, population_cells
from analysis.evaluation.entries import Context, Subject, entry, number
from analysis.evaluation.index import Parts, index_entries
from analysis.evaluation.status import z_value
from analysis.io.columns import Columns, encode, from_frame
from surveys.indicator_defs.model import Index, Indicator, IndicatorSet


@dataclass(frozen=True)
class Options:
    """What to evaluate on: domains, one-way breakdowns, confidence level, this wave's year, baseline."""

    by: tuple[str, ...] = ()
    breakdown: tuple[str, ...] = ()
    level: float = 0.95
    year: int = field(default_factory=lambda: datetime.date.today().year)
    baseline: Baseline | None = None

    def __post_init__(self) -> None:
        if not 0 < self.level < 1:
            raise AnalysisError(E.LEVEL_RANGE, value=show(self.level))


@dataclass(frozen=True, eq=False)
class Evaluation:
    """The entries of one run: indicators, gaps and indices (lists of the contract's dicts)."""

    level: float
    df: int
    year: int
    indicators: list[dict[str, Any]]
    gaps: list[dict[str, Any]]
    indices: list[dict[str, Any]]

    def document(self) -> dict[str, Any]:
        """The JSON output of `cunsheng evaluate --json`."""
        return {"level": self.level, "df": self.df, "year": self.year, "indicators": self.indicators,
                "gaps": self.gaps, "indices": self.indices}

    def frame(self, part: str) -> Any:
        """`indicators`, `gaps` or `indices` as a tidy DataFrame (a domain's columns laid out as columns)."""
        import pandas as pd

        rows = [{**{k: v for k, v in e.items() if k != "domain"}, **e.get("domain", {})} for e in getattr(self, part)]
        return pd.DataFrame(rows)


def needed_columns(design: Design, definitions: IndicatorSet, options: Options, names: Sequence[str]) -> list[str]:
    """Every column a run reads, in a data set whose columns are `names`; an unknown one is an error."""
    design = design.resolve(list(names))
    for name, role in [*((b, "--by") for b in options.by), *((b, "--breakdown") for b in options.breakdown)]:
        if name not in names:
            raise column_missing(name, role, names)
    read = [column for indicator in definitions.indicators for column in columns_read(indicator, names)]
    return list(dict.fromkeys([*design.columns(), *options.by, *options.breakdown, *read]))


def evaluate(data: Any, design: Design, definitions: IndicatorSet, options: Options | None = None) -> Evaluation:
    """Evaluate every indicator and index of `definitions` on a DataFrame."""
    options = options or Options()
    names = [str(c) for c in data.columns]
    return evaluate_columns(from_frame(data, needed_columns(design, definitions, options, names)), design,
                            definitions, options)


def evaluate_columns(columns: Columns, design: Design, definitions: IndicatorSet, options: Options) -> Evaluation:
    """Evaluate on the columns of `needed_columns` (numeric arrays and coded text)."""
    strategy = strategy_of(columns, design)  # binds the design first: its problems are not an indicator's
    ctx = Context(strategy.df, options.year, z_value(options.level), options.baseline)
    run = _Run(columns, design, definitions, options, ctx, strategy)
    for indicator in definitions.indicators:
        run.indicator(indicator)
    for index in definitions.indices:
        run.index(index)
    return Evaluation(options.level, strategy.df, options.year, run.entries, run.gaps, run.index_list)


@dataclass(eq=False)
class _Run:
    columns: Columns
    design: Design
    definitions: IndicatorSet
    options: Options
    ctx: Context
    strategy: VarianceStrategy
    derived: dict[str, Derived] = field(default_factory=dict)
    cells: dict[tuple[str, str | None], dict[tuple[Any, ...], Cell]] = field(default_factory=dict)
    entries: list[dict[str, Any]] = field(default_factory=list)
    gaps: list[dict[str, Any]] = field(default_factory=list)
    index_list: list[dict[str, Any]] = field(default_factory=list)

    def indicator(self, indicator: Indicator) -> None:
        """The entries of one indicator: its `--by` domains, its breakdowns and their gaps."""
        try:
            derived = derive(self.columns, indicator, self.definitions.special_codes)
            if not derived.usable.any():
                raise AnalysisError(E.EVAL_EMPTY, code=indicator.code)
            self.derived[indicator.code] = derived
            subject = Subject(indicator.code, indicator.target, indicator.scale,
                              indicator.scale if indicator.stat == "prop" else None)
            self._cells(indicator, subject, self.options.by, None)
            for column in self.options.breakdown:
                levels = _levels(self.columns, column, derived.inside)
                if len(levels) >= 2:
                    self._cells(indicator, subject, (column,), column)
                if len(levels) == 2:
                    self.gaps.append(self._gap(indicator, derived, column, levels))
        except AnalysisError as err:
            if err.code.startswith("evaluate."):
                raise
            raise AnalysisError(E.EVAL_INDICATOR, code=indicator.code, inner=err.code, message=err.message,
                                message_en=err.message_en or err.message) from None

    def _cells(self, indicator: Indicator, subject: Subject, names: Sequence[str], breakdown: str | None) -> None:
        derived = self.derived[indicator.code]
        cells, _ = population_cells(self.columns, self.design, derived, names, self.options.level, indicator.ci_method)
        if breakdown is not None:  # a breakdown's levels are its values: rows without one are in none
            cells = [cell for cell in cells if cell.domain[0] is not None]
        self.cells[(indicator.code, breakdown)] = {cell.domain: cell for cell in cells}
        self.entries += [entry(self.ctx, subject, names, breakdown, cell) for cell in cells]

    def _gap(self, indicator: Indicator, derived: Derived, column: str, levels: list[tuple[int, Any]]) -> dict[str, Any]:
        """p_a - p_b of a two-level breakdown, with the linearised SE of the contrast."""
        codes = encode(self.columns[column]).codes
        (a, level_a), (b, level_b) = levels
        terms = (Term(derived.values, derived.usable & (codes == a), indicator.scale),
                 Term(derived.values, derived.usable & (codes == b), -indicator.scale))
        gap, se = (float(x[0]) for x in combine(self.strategy, Combination(terms, np.zeros(len(codes), np.int64), 1)))
        t = t_quantile(1 - (1 - self.options.level) / 2, self.ctx.df)
        return {"code": indicator.code, "breakdown": column, "levels": [level_a, level_b], "gap": number(gap),
                "gap_se": number(se), "gap_ci_low": number(gap - t * se), "gap_ci_high": number(gap + t * se)}

    def index(self, index: Index) -> None:
        """The entries of one index, for the `--by` domains and the breakdowns all its components have."""
        parts = Parts.of(index, self.definitions, self.derived)
        codes = [c.code for c in index.components]
        for names, breakdown in [(self.options.by, None), *(((b,), b) for b in self.options.breakdown)]:
            if all((code, breakdown) in self.cells for code in codes):
                cells = [self.cells[(code, breakdown)] for code in codes]
                self.index_list += index_entries(self.ctx, self.options.level, self.columns, self.strategy, parts,
                                                 names, breakdown, cells)


def _levels(columns: Columns, column: str, inside: np.ndarray) -> list[tuple[int, Any]]:
    """(code, value) of the levels of a column among the population's rows (missing values aside)."""
    coded = encode(columns[column])
    present = np.unique(coded.codes[inside & (coded.codes >= 0)])
    return [(int(c), coded.levels[int(c)]) for c in present.tolist()]
