"""The methods appendix of the report pack, shared by the HTML report and the workbook's 方法 and 应答率
sheets: the facts of the wave (design, variance, suppression, software), the weighting steps, the
questionnaire versions with their sha256, the AAPOR response rates, and the rules by which a status
and a warning are decided (design/evaluation.md, in Chinese). Must not compute anything but a label.
"""

from __future__ import annotations

from typing import Any

from analysis.report.inputs import Methods, Rates, ResponseRates
from analysis.report.output import COUNT_NAMES, RATE_NAMES

# the AAPOR categories of cunsheng rates in Chinese
COUNT_LABELS = {"I": "完成", "P": "部分完成", "R": "拒访", "NC": "未接触", "O": "其他", "UH": "住户未知",
                "UO": "资格未知", "NE": "不符合"}
# AAPOR's families of rates in Chinese (RR1 is 应答率 RR1)
RATE_FAMILIES = {"RR": "应答率", "COOP": "合作率", "REF": "拒访率", "CON": "接触率"}
# the rates the printed report shows (the workbook has all of them)
SHOWN_RATES = ("RR1", "RR3", "COOP1", "REF1", "CON1")
WHOLE_SAMPLE = "全部样本"
# design/evaluation.md's suppression rule, as the appendix states it
SUPPRESSION_RULE = ("分母少于 30 人，或按 NCHS 比例发布标准（Parker 等，2017）需要压制的格，不发布估计值（显示为 —），"
                    "状态记为无法判断。")

RULES = (
    "达标：置信区间整体达到目标，如目标为“≥ v”时区间下限 ≥ v，目标为“≤ v”时区间上限 ≤ v。",
    "未达标：置信区间整体未达到目标，如目标为“≥ v”时区间上限 < v。",
    "无法判断：置信区间跨过目标值；或估计值因样本不足不发布；“提高/降低”类目标没有基线时也无法判断。",
    "不适用：定性目标，抽样调查不作判断。",
    "“达到/保持/全覆盖”按“≥”判断；目标为 100% 时抽样调查不能证明全覆盖，至多判为无法判断。",
    "“提高/降低”类目标：与基线相比变化的置信区间整体在 0 以上（提高）或以下（降低）为达标，整体在另一侧为未达标。",
    "两轮调查各自抽样，变化按独立样本计算：标准误 = √(se₀² + se₁²)；变化和推算值的区间用正态分位数。",
    "预计达标困难：按两轮的变化线性推算到目标年份，推算值的置信区间整体落在未达标一侧。",
    "波动较大：与上一轮相比变化显著且背离目标，或估计值的变异系数超过 30%。",
)


def appendix(methods: Methods) -> dict[str, Any]:
    """The appendix as labelled texts and tables."""
    return {
        "facts": facts(methods),
        "weighting": [{"name": s.name, "summary": s.summary} for s in methods.weighting],
        "questionnaires": [{"name": q.name, "title": q.title, "version": q.version, "sha256": q.sha256}
                           for q in methods.questionnaires],
        "rates": rate_rows(methods.rates, methods) if methods.rates else [],
        "e": "" if methods.rates is None or methods.rates.e is None else f"{methods.rates.e:.3f}",
        "count_labels": COUNT_LABELS, "shown_rates": [(r, RATE_FAMILIES[_family(r)]) for r in SHOWN_RATES],
        "rules": RULES,
    }


def facts(methods: Methods) -> list[tuple[str, str]]:
    """(label, text) of the wave and its methods."""
    out = [("调查", methods.wave), ("年份", f"{methods.year} 年"), ("地区", methods.unit),
           ("抽样设计", methods.design), ("方差估计", methods.variance)]
    if methods.baseline:
        out.append(("基线", methods.baseline))
    out += [("数据压制规则", methods.suppression), ("软件版本", methods.software)]
    return out


def rate_rows(rates: ResponseRates, methods: Methods) -> list[dict[str, Any]]:
    """One row per group (the whole sample first): its label, counts, rates and the shown rates as text."""
    return [_rate_row(WHOLE_SAMPLE, rates.overall)] + [_rate_row(_by(g, methods), g) for g in rates.groups]


def _rate_row(label: str, entry: Rates) -> dict[str, Any]:
    return {"group": label, "counts": {c: entry.counts.get(c, 0) for c in COUNT_NAMES},
            "rates": {r: entry.rates.get(r) for r in RATE_NAMES},
            "shown": {r: _percent(entry.rates.get(r)) for r in SHOWN_RATES}}


def _by(group: Rates, methods: Methods) -> str:
    return " · ".join(methods.breakdown(column).level(value) for column, value in group.by.items())


def _percent(value: float | None) -> str:
    return "—" if value is None else f"{100 * value:.1f}%"


def rate_label(name: str) -> str:
    """A rate's name with its family in Chinese: 应答率 RR1."""
    return f"{RATE_FAMILIES[_family(name)]} {name}"


def _family(name: str) -> str:
    return name.rstrip("0123456789")
