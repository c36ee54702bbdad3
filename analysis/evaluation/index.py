"""A development index (丽水's 妇女儿童发展指数): the weighted mean of its components' scores.

A component's score is 100 (p - floor) / (target - floor) on the shown scale, clamped to [0, 100];
for a `<=` target the same expression reads 100 (floor - p) / (floor - target). The index is
sum w_i score_i / sum w_i. Its SE is linearised on the unclamped scores (design/evaluation.md): the
index is then a linear combination of the components' domain means, sum c_i p_i + const with
c_i = 100 scale_i w_i / (sum w (target_i - floor_i)), whose variance, covariances between components
included, comes from the same design (`analysis.evaluation.contrast`). A component outside
[0, 100] is flagged `score_outside:<code>`; an index with a suppressed component is suppressed
(flag `suppressed_component:<code>`). Its interval is the Wald interval with t on the design df.
Must not read files.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from analysis.estimators.domains import domains
from analysis.estimators.strategy import VarianceStrategy
from analysis.estimators.student_t import t_quantile
from analysis.evaluation.contrast import Combination, Term, combine
from analysis.evaluation.derive import Derived
from analysis.evaluation.domain import Cell
from analysis.evaluation.entries import Context, Subject, entry, suppressed_cell
from analysis.io.columns import Columns
from surveys.indicator_defs.model import Index, Indicator, IndicatorSet

Cells = Mapping[tuple[Any, ...], Cell]


@dataclass(frozen=True, eq=False)
class Parts:
    """What an index is built from: the components' indicators, values and (per domain) cells."""

    index: Index
    indicators: tuple[Indicator, ...]
    derived: tuple[Derived, ...]

    @classmethod
    def of(cls, index: Index, definitions: IndicatorSet, derived: Mapping[str, Derived]) -> Parts:
        codes = [c.code for c in index.components]
        return cls(index, tuple(definitions.indicator(c) for c in codes), tuple(derived[c] for c in codes))


def score(p: float, floor: float, target: float) -> float:
    """A component's unclamped score: 0 at its floor, 100 at its target."""
    return 100 * (p - floor) / (target - floor)


def index_entries(ctx: Context, level: float, columns: Columns, strategy: VarianceStrategy, parts: Parts,
                  names: Sequence[str], breakdown: str | None, cells: Sequence[Cells]) -> list[dict[str, Any]]:
    """The index's ENTRY for every domain of `names` in which each component has an estimate
    (`cells`: per component, its cells by domain, from the same `names`)."""
    doms = domains(columns, names)
    se = combine(strategy, Combination(_terms(parts), doms.codes, doms.count))[1]
    counted = np.zeros(len(doms.codes), dtype=bool)
    for derived in parts.derived:
        counted |= derived.usable
    n = np.bincount(doms.codes[counted], minlength=doms.count)
    t = t_quantile(1 - (1 - level) / 2, ctx.df)
    subject = Subject(parts.index.code, parts.index.target, index=True)
    out = []
    for d, values in enumerate(doms.values):
        found = [by_domain.get(values) for by_domain in cells]
        if any(cell is None for cell in found):
            continue
        estimate, flags, suppressed = _scores(parts, [cell for cell in found if cell is not None])
        cell = Cell(values, estimate, float(se[d]), estimate - t * float(se[d]), estimate + t * float(se[d]),
                    int(n[d]), float(se[d]) / abs(estimate) if estimate else float("inf"), tuple(flags))
        out.append(entry(ctx, subject, names, breakdown, cell, suppressed))
    return out


def _terms(parts: Parts) -> tuple[Term, ...]:
    """The index's unclamped linear form: one domain mean per component with its coefficient."""
    total = sum(c.weight for c in parts.index.components)
    terms = []
    for component, indicator, derived in zip(parts.index.components, parts.indicators, parts.derived, strict=True):
        assert indicator.target.value is not None  # the compiler admits scored targets only
        slope = 100 * indicator.scale / (indicator.target.value - component.floor)
        terms.append(Term(derived.values, derived.usable, slope * component.weight / total))
    return tuple(terms)


def _scores(parts: Parts, cells: Sequence[Cell]) -> tuple[float, list[str], bool]:
    """The clamped index of one domain, its flags, and whether a component is suppressed."""
    total = sum(c.weight for c in parts.index.components)
    value, flags, suppressed = 0.0, [], False
    for component, indicator, cell in zip(parts.index.components, parts.indicators, cells, strict=True):
        assert indicator.target.value is not None
        raw = score(indicator.scale * cell.estimate, component.floor, indicator.target.value)
        if not 0 <= raw <= 100:
            flags.append(f"score_outside:{component.code}")
        if suppressed_cell(cell):
            flags.append(f"suppressed_component:{component.code}")
            suppressed = True
        value += component.weight * min(max(raw, 0.0), 100.0)
    return value / total, flags, suppressed
