"""One ENTRY of `cunsheng evaluate` (design/evaluation.md): an estimate on the shown scale with its
reliability, status, target, warnings and, with a baseline, its change and projection.

A cell is suppressed (shown as "—", status 无法判断) when fewer than 30 respondents are in its
denominator (flag `suppress:n<30`) or when the NCHS standards for proportions (Parker et al. 2017,
the `nchs:suppress:*` flags of `cunsheng estimate`) flag it, or when its caller says so (an index of
a suppressed component). Numbers that are undefined are null. Must not estimate anything.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from analysis.evaluation import status as rules
from analysis.evaluation.baseline import Baseline
from analysis.evaluation.domain import Cell
from surveys.indicator_defs.model import Target

MIN_N = 30
SMALL_FLAG = "suppress:n<30"
CHANGE_METHOD = "independent"  # waves draw their own villages (design/evaluation.md)


@dataclass(frozen=True)
class Context:
    """What every entry of one run shares."""

    df: int
    year: int
    z: float
    baseline: Baseline | None


@dataclass(frozen=True)
class Subject:
    """What an entry is about: the indicator (or index) code, its target and how it is shown."""

    code: str
    target: Target
    scale: float = 1.0
    full: float | None = None  # the shown value of 100% (shares only)
    index: bool = False


def suppressed_cell(cell: Cell) -> bool:
    """Too few respondents in the denominator, or flagged by the NCHS rules for proportions."""
    return cell.n < MIN_N or any(f.startswith("nchs:suppress") for f in cell.flags)


def entry(ctx: Context, subject: Subject, names: Sequence[str], breakdown: str | None, cell: Cell,
          suppressed: bool = False) -> dict[str, Any]:
    """The ENTRY of one domain's cell (cell numbers on the indicator's own scale, times `scale`)."""
    domain = dict(zip(names, cell.domain, strict=True))
    flags = list(cell.flags)
    if cell.n < MIN_N:
        flags.append(SMALL_FLAG)
    if rules.is_hundred(subject.target, subject.full):
        flags.append(rules.HUNDRED_FLAG)
    suppressed = suppressed or suppressed_cell(cell)
    estimate, se, low, high = (subject.scale * x for x in (cell.estimate, cell.se, cell.ci_low, cell.ci_high))
    trend = None
    if ctx.baseline is not None:
        earlier = ctx.baseline.find(subject.index, subject.code, domain, breakdown)
        if earlier is not None and not math.isnan(se):
            trend = rules.trend(estimate, se, *earlier, ctx.year, ctx.baseline.year, subject.target.year)
    out: dict[str, Any] = {
        "code": subject.code, "domain": domain, "breakdown": breakdown,
        "estimate": number(estimate), "se": number(se), "ci_low": number(low), "ci_high": number(high),
        "n": cell.n, "df": ctx.df, "flags": flags, "suppressed": suppressed,
        "status": rules.status(subject.target, low, high, suppressed, trend, ctx.z, subject.full),
        "target": subject.target.as_dict(),
        "warnings": rules.warnings(subject.target, estimate, cell.cv, trend, ctx.z),
    }
    if ctx.baseline is not None:
        out.update(_trend_keys(trend))
    return out


def _trend_keys(trend: rules.Trend | None) -> dict[str, Any]:
    if trend is None:
        return {"change": None, "change_se": None, "change_method": None, "projected": None, "projected_se": None}
    return {"change": number(trend.change), "change_se": number(trend.change_se), "change_method": CHANGE_METHOD,
            "projected": number(trend.projected), "projected_se": number(trend.projected_se)}


def number(value: float | None) -> float | None:
    """A JSON number: null where undefined."""
    return None if value is None or math.isnan(value) or math.isinf(value) else float(value)
