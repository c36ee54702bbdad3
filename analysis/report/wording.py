"""How the report pack writes numbers, targets, statuses, flags and warnings in Chinese.

One place for the wording every rendering shares (HTML, XLSX, the frame's text columns): values on
the shown scale with their unit (82.4%, 78.3岁), differences in 个百分点, targets as ≥ 80%（2025 年）,
a status with a mark that survives black-and-white printing, the reliability flags of `cunsheng
estimate` and `cunsheng evaluate` in words, and why a warning (预计达标困难 / 波动较大) was raised,
from the entry's own numbers and the rules of design/evaluation.md. Must not decide a status or a
warning: it only explains the ones it is given.
"""

from __future__ import annotations

import math
from collections.abc import Iterable

from analysis.report.inputs import Definition
from analysis.report.output import Entry, Target

HARD_TO_MEET, FLUCTUATING = "预计达标困难", "波动较大"
CV_LIMIT = 0.30
# a status's mark (so it prints in black and white) and its CSS class
STATUS_MARK = {"达标": "✓", "未达标": "✗", "无法判断": "?", "不适用": "○"}
STATUS_CLASS = {"达标": "met", "未达标": "unmet", "无法判断": "unknown", "不适用": "na"}
SUPPRESSED = "—"
_OPS = {">=": "≥", ">": ">", "<=": "≤", "<": "<", "=": "达到"}
_FLAGS = {
    "suppress:n<30": "分母少于 30 人",
    "nchs:suppress:n_eff": "有效样本量少于 30（NCHS 比例发布标准）",
    "nchs:suppress:width": "置信区间宽度达 30 个百分点以上（NCHS 比例发布标准）",
    "nchs:suppress:relative_width": "置信区间相对宽度超过 130%（NCHS 比例发布标准）",
    "nchs:review:complement": "补比例的置信区间相对宽度超过 130%（NCHS 标准：需复核）",
    "nchs:review:df": "设计自由度小于 8（NCHS 标准：需复核）",
    "n_eff<30": "有效样本量少于 30",
    "cv>30%": "变异系数超过 30%",
    "ci:beta": "估计值为 0 或 100%，置信区间用 Korn–Graubard 区间",
    "target:100%": "目标为 100%：抽样调查不能证明全覆盖，至多判为无法判断",
}
_FLAG_PREFIXES = {"score_outside:": "分项得分超出 0–100：", "suppressed_component:": "分项不发布："}


def _fixed(value: float, d: Definition, signed: bool = False) -> str:
    """A number at the indicator's precision, negative with a true minus sign (−2.8)."""
    text = f"{abs(value):.{d.decimals}f}"
    if value < 0 and float(text) != 0:
        return "−" + text
    return ("+" if signed and value > 0 and float(text) != 0 else "") + text


def value_text(value: float | None, d: Definition) -> str:
    """A value on the shown scale with its unit (— when there is none)."""
    if value is None or not math.isfinite(value):
        return SUPPRESSED
    return f"{_fixed(value, d)}{'%' if d.percent else d.unit}"


def number_text(value: float | None, d: Definition) -> str:
    """A value without its unit, at the indicator's precision."""
    if value is None or not math.isfinite(value):
        return SUPPRESSED
    return _fixed(value, d)


def difference_text(value: float | None, d: Definition, signed: bool = True, unit: bool = True) -> str:
    """A change, gap or standard error: percentage points for a percentage (no unit if `unit` is false)."""
    if value is None or not math.isfinite(value):
        return SUPPRESSED
    return _fixed(value, d, signed) + (difference_unit(d) if unit else "")


def difference_unit(d: Definition) -> str:
    """The unit of a difference: 个百分点 for a percentage, else the value's unit."""
    return " 个百分点" if d.percent else d.unit


def interval_text(low: float | None, high: float | None, d: Definition) -> str:
    """An interval as 76.0～82.1 (— when either end is missing)."""
    if low is None or high is None or not (math.isfinite(low) and math.isfinite(high)):
        return SUPPRESSED
    return f"{number_text(low, d)}～{number_text(high, d)}"


def target_text(target: Target, d: Definition, year: bool = True) -> str:
    """The target as the report states it: ≥ 80%（2025 年）, 提高, 90% ± 5, 定性目标 (without the year if asked)."""
    when = f"（{target.year} 年）" if target.year and year else ""
    if target.op == "qual":
        return "定性目标"
    if target.op in ("up", "down"):
        return ("提高" if target.op == "up" else "降低") + when
    if target.op == "~":
        return f"{_target_value(target.value, d)} ± {_plain(target.tolerance or 0.0)}{when}"
    return f"{_OPS[target.op]} {_target_value(target.value, d)}{when}"


def _target_value(value: float | None, d: Definition) -> str:
    """A target as the plan writes it: 80% rather than 80.0%."""
    if value is None:
        return SUPPRESSED
    return f"{_plain(value)}{'%' if d.percent else d.unit}"


def _plain(value: float) -> str:
    return f"{value:.2f}".rstrip("0").rstrip(".")


def flag_notes(flags: Iterable[str]) -> list[str]:
    """The flags in words (an unknown flag as it is)."""
    out = []
    for flag in flags:
        prefix = next((p for p in _FLAG_PREFIXES if flag.startswith(p)), None)
        out.append(_FLAG_PREFIXES[prefix] + flag[len(prefix):] if prefix else _FLAGS.get(flag, flag))
    return out


def warning_reasons(entry: Entry, d: Definition, z: float, level: float, baseline: str) -> list[str]:
    """Why each of the entry's warnings was raised, one sentence per warning, from the entry's numbers."""
    out = []
    for warning in entry.warnings:
        if warning == HARD_TO_MEET:
            out.append(f"{HARD_TO_MEET}：{_projection(entry, d, z, level, baseline)}")
        elif warning == FLUCTUATING:
            out.append(f"{FLUCTUATING}：{_fluctuation(entry, d, z, baseline)}")
        else:
            out.append(warning)
    return out


def _since(baseline: str) -> str:
    """与基线相比 (与 2022 年基线调查相比: a space only between Chinese and a leading Latin letter or digit)."""
    if not baseline:
        return "与基线相比"
    return f"与{' ' if baseline[0].isascii() and baseline[0].isalnum() else ''}{baseline}相比"


def _projection(entry: Entry, d: Definition, z: float, level: float, baseline: str) -> str:
    target, year = entry.target, entry.target.year
    if entry.projected is None or entry.projected_se is None:
        return f"按{_since(baseline)}的变化推算，到目标年份的预计值不能达到目标 {target_text(target, d)}"
    low, high = entry.projected - z * entry.projected_se, entry.projected + z * entry.projected_se
    side = {"<=": "高于", "<": "高于", "~": "落在目标范围之外"}.get(target.op, "低于")
    when = f"{year} 年" if year else "目标年份"
    return (f"按{_since(baseline)}的变化推算，{when}预计为 {value_text(entry.projected, d)}"
            f"（{level:.0%} 区间 {interval_text(low, high, d)}），整个区间{side}目标 {target_text(target, d)}")


def _fluctuation(entry: Entry, d: Definition, z: float, baseline: str) -> str:
    parts = []
    if entry.change is not None and entry.change_se is not None and abs(entry.change) > z * entry.change_se:
        parts.append(f"{_since(baseline)}变化 {difference_text(entry.change, d)}"
                     f"（标准误 {difference_text(entry.change_se, d, signed=False)}），变化显著且背离目标")
    cv = coefficient_of_variation(entry)
    if cv is not None and cv > CV_LIMIT:
        parts.append(f"变异系数 {cv:.0%}，超过 30%，估计值不稳定")
    return "；".join(parts) or "变化显著且背离目标，或变异系数超过 30%"


def coefficient_of_variation(entry: Entry) -> float | None:
    """se / |estimate| (None when either is missing or the estimate is 0)."""
    if entry.se is None or entry.estimate is None or entry.estimate == 0:
        return None
    return entry.se / abs(entry.estimate)
