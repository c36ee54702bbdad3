"""The one tidy frame of the report pack: every row an estimate (an indicator or an index in the whole
population or in one group of a breakdown) or a gap between a breakdown's two levels.

`pack_frame(output, definitions, methods)` checks the `cunsheng evaluate --json` output against its
contract, names each code by its definition and puts the rows in report order: plan domains in the
order of the national programmes' chapters (妇女与健康 … 儿童与法律保护, then 发展指数), codes in the
order of the definitions, the whole population before its breakdowns and their gaps. The HTML report,
the charts and the workbook are renderings of this frame (architecture: compute data first, then
render it); `FIELDS` says what each column holds (the workbook's 变量说明). Must not estimate or judge:
numbers, statuses and warnings are the evaluation's, copied as they are.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from statistics import NormalDist
from typing import Any

import pandas as pd

from analysis.errors import AnalysisError, E
from analysis.report import wording
from analysis.report.inputs import INDEX_DOMAIN, OTHER_DOMAIN, Definition, Methods
from analysis.report.output import Entry, Gap, Target, read_evaluation

# The chapters of the 中国妇女发展纲要 and 中国儿童发展纲要 (2021–2030), in their order.
DOMAIN_ORDER = (
    "妇女与健康", "妇女与教育", "妇女与经济", "妇女参与决策和管理", "妇女与社会保障", "妇女与家庭建设",
    "妇女与环境", "妇女与法律", "儿童与健康", "儿童与安全", "儿童与教育", "儿童与福利", "儿童与家庭",
    "儿童与环境", "儿童与法律保护", "儿童与法律", INDEX_DOMAIN, OTHER_DOMAIN,
)
PARTS = ("total", "group", "gap")
PART_LABELS = {"total": "总体", "group": "分组", "gap": "差距"}
WHOLE = "全体"

# column, Chinese header, what it holds
FIELDS = (
    ("part", "行类型", "总体：全体（或 --by 的一格）；分组：分组表的一格；差距：分组两类之差"),
    ("section", "规划领域", "指标所属的规划领域（indicators.csv 的 domain 列）；发展指数单列"),
    ("code", "指标代码", "指标或指数的稳定代码"),
    ("name", "指标名称", "指标或指数的名称"),
    ("index", "是否指数", "是：妇女/儿童发展指数（分项得分的加权平均）"),
    ("plan", "规划条目", "indicators.csv 的 row_id（<规划>:<行号>）"),
    ("breakdown", "分组变量", "分组表的列名；总体行为空"),
    ("breakdown_label", "分组", "分组变量的中文名，如 城乡、性别"),
    ("group", "类别", "全体、分组的一类，或差距的两类（甲 − 乙）"),
    ("estimate", "估计值", "加权估计值（按显示刻度：百分比或原单位）；差距行为两类之差"),
    ("se", "标准误", "设计标准误（同一刻度）"),
    ("ci_low", "置信区间下限", "置信区间下限"),
    ("ci_high", "置信区间上限", "置信区间上限"),
    ("level", "置信水平", "置信区间（以及变化、推算值区间）的置信水平"),
    ("n", "样本量", "分母中的应答者人数"),
    ("df", "自由度", "设计自由度"),
    ("cv", "变异系数", "标准误 ÷ |估计值|"),
    ("suppressed", "不发布", "是：样本不足或按 NCHS 标准不宜发布，估计值显示为 —，状态为无法判断"),
    ("status", "达标状态", "达标、未达标、无法判断、不适用（规则见“方法”）"),
    ("target_op", "目标方向", ">=、>、<=、<、=（按 >= 判断）、~（目标值 ± 容差）、up、down、qual"),
    ("target_value", "目标值", "目标值（按显示刻度）"),
    ("target_year", "目标年份", "目标年份"),
    ("target_tolerance", "容差", "~ 目标的容差"),
    ("target_text", "目标", "目标的文字表述（年份见目标年份）"),
    ("plan_target", "规划原文", "规划文本中的目标原文"),
    ("warnings", "预警", "预计达标困难、波动较大"),
    ("reasons", "预警原因", "每条预警的依据（由估计值、变化和推算值写出），一条一行"),
    ("flags", "标记", "可靠性标记（代码）"),
    ("notes", "说明", "可靠性标记的文字说明"),
    ("change", "变化", "与基线相比的变化（本轮 − 基线）"),
    ("change_se", "变化的标准误", "√(se₀² + se₁²)：两轮为独立样本"),
    ("change_low", "变化区间下限", "变化 − z × 标准误"),
    ("change_high", "变化区间上限", "变化 + z × 标准误"),
    ("change_method", "变化的方法", "independent：两轮各自抽样，按独立样本计算"),
    ("projected", "推算值", "按两轮的变化线性推算到目标年份的值"),
    ("projected_se", "推算值标准误", "√((1+k)²·se₁² + k²·se₀²)"),
    ("projected_low", "推算区间下限", "推算值 − z × 标准误"),
    ("projected_high", "推算区间上限", "推算值 + z × 标准误"),
    ("scale", "显示刻度", "100：百分比；1：原值"),
    ("unit", "单位", "原值的单位"),
    ("decimals", "小数位数", "报告中数值保留的小数位数"),
)
COLUMNS = tuple(name for name, _, _ in FIELDS)
HEADERS = {name: header for name, header, _ in FIELDS}


def pack_frame(output: Mapping[str, Any], definitions: Sequence[Definition], methods: Methods) -> pd.DataFrame:
    """The report's tidy frame from `cunsheng evaluate --json` output; raises AnalysisError on bad input."""
    evaluation = read_evaluation(output)
    known = {d.code: d for d in definitions}
    entries = (*evaluation.indicators, *evaluation.indices)
    for code in [e.code for e in entries] + [g.code for g in evaluation.gaps]:
        if code not in known:
            raise AnalysisError(E.REPORT_UNDEFINED, code=code)
    z = NormalDist().inv_cdf(1 - (1 - evaluation.level) / 2)
    rows = [_entry_row(e, known[e.code], methods, evaluation.level, z) for e in entries]
    rows += [_gap_row(g, known[g.code], methods) for g in evaluation.gaps]
    for row in rows:
        row["level"] = evaluation.level
    codes, columns = list(known), [b.column for b in methods.breakdowns]
    rows.sort(key=lambda row: _order(row, codes, columns))
    return pd.DataFrame(rows, columns=list(COLUMNS))


def _order(row: Mapping[str, Any], codes: list[str], columns: list[str]) -> tuple[int, int, int, int]:
    """Report order: plan domain, the definitions' order, breakdown (as the methods record lists them), part."""
    section = DOMAIN_ORDER.index(row["section"]) if row["section"] in DOMAIN_ORDER else len(DOMAIN_ORDER)
    column = columns.index(row["breakdown"]) if row["breakdown"] in columns else len(columns)
    return section, codes.index(row["code"]), column if row["breakdown"] else -1, PARTS.index(row["part"])


def _common(d: Definition, target: Target | None) -> dict[str, Any]:
    """The columns every row of a code shares."""
    return {"section": d.section, "code": d.code, "name": d.name, "index": d.index, "plan": "; ".join(d.plan),
            "target_op": target and target.op, "target_value": target and target.value,
            "target_year": target and target.year, "target_tolerance": target and target.tolerance,
            "target_text": wording.target_text(target, d, year=False) if target else "", "plan_target": d.plan_target,
            "scale": d.scale, "unit": "%" if d.percent else d.unit, "decimals": d.decimals}


def _interval(name: str, value: float | None, se: float | None, z: float) -> dict[str, float | None]:
    if value is None or se is None:
        return {f"{name}_low": None, f"{name}_high": None}
    return {f"{name}_low": value - z * se, f"{name}_high": value + z * se}


def _entry_row(e: Entry, d: Definition, methods: Methods, level: float, z: float) -> dict[str, Any]:
    shown = not e.suppressed
    labels = [methods.breakdown(column).level(value) for column, value in e.domain.items()]
    return {
        **_common(d, e.target), "part": "group" if e.breakdown else "total", "breakdown": e.breakdown,
        "breakdown_label": methods.breakdown(e.breakdown).label if e.breakdown else "",
        "group": " · ".join(labels) or WHOLE,
        "estimate": e.estimate if shown else None, "se": e.se if shown else None,
        "ci_low": e.ci_low if shown else None, "ci_high": e.ci_high if shown else None,
        "n": e.n, "df": e.df, "cv": wording.coefficient_of_variation(e) if shown else None,
        "suppressed": e.suppressed, "status": e.status, "warnings": "、".join(e.warnings),
        "reasons": "\n".join(wording.warning_reasons(e, d, z, level, methods.baseline)),
        "flags": " ".join(e.flags), "notes": "；".join(wording.flag_notes(e.flags)),
        "change": e.change, "change_se": e.change_se, **_interval("change", e.change, e.change_se, z),
        "change_method": e.change_method, "projected": e.projected, "projected_se": e.projected_se,
        **_interval("projected", e.projected, e.projected_se, z),
    }


def _gap_row(g: Gap, d: Definition, methods: Methods) -> dict[str, Any]:
    breakdown = methods.breakdown(g.breakdown)
    first, second = (breakdown.level(level) for level in g.levels)
    empty = dict.fromkeys(("n", "df", "cv", "change", "change_se", "change_low", "change_high", "change_method",
                           "projected", "projected_se", "projected_low", "projected_high"))
    return {
        **_common(d, None), **empty, "part": "gap", "breakdown": g.breakdown, "breakdown_label": breakdown.label,
        "group": f"{first} − {second}", "estimate": g.gap, "se": g.gap_se, "ci_low": g.gap_ci_low,
        "ci_high": g.gap_ci_high, "suppressed": False, "status": "", "warnings": "", "reasons": "", "flags": "",
        "notes": "",
    }
