"""Judging an estimate against its target: status, change, projection and early warnings.

The rules of design/evaluation.md, on the shown scale, with the estimate's interval [L, U]:
`>=` 达标 when L >= v, 未达标 when U < v (`>`: L > v, U <= v); `<=` 达标 when U <= v, 未达标 when
L > v (`<`: U < v, L >= v); `=` is read as `>=` (the plans' 达到/保持/全覆盖), and a 100% target is
never 达标 (a sample cannot prove it: the flag `target:100%` says why); `~` 达标 when v - t <= L and
U <= v + t, 未达标 when U < v - t or L > v + t; `up`/`down` on the interval of the change from the
baseline (above / below 0), 无法判断 without one; `qual` always 不适用; anything else, and every
suppressed estimate, 无法判断. Waves are independent samples: change d = p1 - p0 with SE
sqrt(se0^2 + se1^2); the projection to the target year T is p1 + (p1 - p0) k, k = (T - y1)/(y1 - y0),
with SE sqrt((1 + k)^2 se1^2 + k^2 se0^2) (the variance of a linear combination of independent
estimates); both use the normal quantile z. Warnings: 预计达标困难 when the projected interval lies
entirely on the failing side; 波动较大 when the change is significant and moves away from the
target (against the direction for `up`/`down`), or when the CV exceeds 30%. Pure arithmetic.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from statistics import NormalDist

from surveys.indicator_defs.model import Target

MET, NOT_MET, UNKNOWN, NOT_APPLICABLE = "达标", "未达标", "无法判断", "不适用"
HARD_TO_MEET, FLUCTUATING = "预计达标困难", "波动较大"
HUNDRED_FLAG = "target:100%"
CV_LIMIT = 0.30


@dataclass(frozen=True)
class Trend:
    """The change from the baseline wave and the projection to the target year (None: no projection)."""

    change: float
    change_se: float
    baseline: float
    projected: float | None = None
    projected_se: float | None = None


def z_value(level: float) -> float:
    """The normal quantile of a two-sided interval at `level`."""
    return NormalDist().inv_cdf(1 - (1 - level) / 2)


def is_hundred(target: Target, full: float | None) -> bool:
    """A target of 100% of a share (`full` is the shown value of 100%, None when not a share)."""
    return full is not None and target.op in (">=", "=") and target.value is not None and target.value >= full


def status(target: Target, low: float, high: float, suppressed: bool, trend: Trend | None, z: float,
           full: float | None = None) -> str:
    """达标 / 未达标 / 无法判断 / 不适用 of an estimate with interval [low, high]."""
    op, v = target.op, target.value
    if op == "qual":
        return NOT_APPLICABLE
    if suppressed:
        return UNKNOWN
    if op in ("up", "down"):
        if trend is None or math.isnan(trend.change_se):
            return UNKNOWN
        c_low, c_high = trend.change - z * trend.change_se, trend.change + z * trend.change_se
        rising, falling = c_low > 0, c_high < 0
        met, failed = (rising, falling) if op == "up" else (falling, rising)
        return MET if met else NOT_MET if failed else UNKNOWN
    if v is None or math.isnan(low) or math.isnan(high):
        return UNKNOWN
    met, failed = _against(op, v, target.tolerance or 0.0, low, high)
    if met and is_hundred(target, full):
        return UNKNOWN
    return MET if met else NOT_MET if failed else UNKNOWN


def _against(op: str, v: float, t: float, low: float, high: float) -> tuple[bool, bool]:
    """(met, failed) of an interval against a numeric target."""
    if op in (">=", "="):
        return low >= v, high < v
    if op == ">":
        return low > v, high <= v
    if op == "<=":
        return high <= v, low > v
    if op == "<":
        return high < v, low >= v
    return v - t <= low and high <= v + t, high < v - t or low > v + t  # "~"


def trend(estimate: float, se: float, baseline: float, baseline_se: float, year: int, baseline_year: int,
          target_year: int | None) -> Trend:
    """The change since the baseline wave and, when the target year is not past, the projection to it."""
    change, change_se = estimate - baseline, math.hypot(se, baseline_se)
    if target_year is None or target_year < year:
        return Trend(change, change_se, baseline)
    k = (target_year - year) / (year - baseline_year)
    projected = estimate + (estimate - baseline) * k
    projected_se = math.sqrt((1 + k) ** 2 * se * se + k * k * baseline_se * baseline_se)
    return Trend(change, change_se, baseline, projected, projected_se)


def warnings(target: Target, estimate: float, cv: float, trend: Trend | None, z: float) -> list[str]:
    """预计达标困难 and 波动较大, in that order, where they apply."""
    out = []
    if trend is not None and trend.projected is not None and trend.projected_se is not None:
        low, high = trend.projected - z * trend.projected_se, trend.projected + z * trend.projected_se
        if target.op in (">=", ">", "<=", "<", "=", "~") and target.value is not None:
            _, failed = _against(target.op, target.value, target.tolerance or 0.0, low, high)
            if failed:
                out.append(HARD_TO_MEET)
    if (trend is not None and _moves_away(target, estimate, trend, z)) or cv > CV_LIMIT:
        out.append(FLUCTUATING)
    return out


def _moves_away(target: Target, estimate: float, trend: Trend, z: float) -> bool:
    """A significant change away from the target (against the direction of `up`/`down`)."""
    d = trend.change
    if not abs(d) > z * trend.change_se:
        return False
    if target.op in (">=", ">", "=", "up"):
        return d < 0
    if target.op in ("<=", "<", "down"):
        return d > 0
    if target.op == "~" and target.value is not None:
        return abs(estimate - target.value) > abs(trend.baseline - target.value)
    return False
