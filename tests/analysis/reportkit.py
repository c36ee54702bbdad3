"""A realistic `cunsheng evaluate --json` output written by hand, its definitions and a methods record,
for the report pack's tests: a county's 中期评估 in 2024 against a 2022 baseline, 15 indicators in 8 plan
domains and one development index; every status, both warnings, a suppressed cell, breakdowns by 城乡
and 性别 with their gaps. Intervals are estimate ± 1.96 se, as the evaluation writes them."""

from __future__ import annotations

import importlib.metadata
from typing import Any

from analysis.report.inputs import (
    Breakdown,
    Definition,
    Methods,
    Questionnaire,
    WeightingStep,
)
from analysis.report.output import read_rates

Z = 1.959963984540054
URBAN = ("城镇", "乡村")  # levels of `urban` as the data hold them
SEX = (1, 2)  # levels of `sex` are codes; the methods record labels them


def entry(code: str, estimate: float, se: float, target: dict[str, Any], status: str, *, n: int = 420,
          domain: dict[str, Any] | None = None, breakdown: str | None = None, warnings: tuple[str, ...] = (),
          flags: tuple[str, ...] = (), suppressed: bool = False, change: float | None = None,
          change_se: float | None = None, projected: float | None = None,
          projected_se: float | None = None) -> dict[str, Any]:
    """One ENTRY with a baseline's keys (null where this cell had no baseline)."""
    return {"code": code, "domain": domain or {}, "breakdown": breakdown, "estimate": estimate, "se": se,
            "ci_low": estimate - Z * se, "ci_high": estimate + Z * se, "n": n, "df": 58, "flags": list(flags),
            "suppressed": suppressed, "status": status, "target": target, "warnings": list(warnings),
            "change": change, "change_se": change_se, "change_method": None if change is None else "independent",
            "projected": projected, "projected_se": projected_se}


def ge(value: float, year: int = 2025) -> dict[str, Any]:
    return {"op": ">=", "value": value, "year": year}


def le(value: float, year: int = 2025) -> dict[str, Any]:
    return {"op": "<=", "value": value, "year": year}


def _screening() -> list[dict[str, Any]]:
    t = ge(80)
    return [
        entry("W-HEALTH-01", 72.4, 2.2, t, "未达标", warnings=("预计达标困难",), change=3.1, change_se=3.0,
              projected=73.95, projected_se=2.6),
        entry("W-HEALTH-01", 78.0, 2.8, t, "无法判断", n=190, domain={"urban": "城镇"}, breakdown="urban"),
        entry("W-HEALTH-01", 67.9, 3.0, t, "未达标", n=230, domain={"urban": "乡村"}, breakdown="urban"),
    ]


def _children_weight() -> list[dict[str, Any]]:
    t = le(8)
    out = [entry("C-HEALTH-02", 9.6, 1.3, t, "无法判断", n=610, change=0.4, change_se=1.8, projected=9.8,
                 projected_se=2.9)]
    for level, est, se in zip(URBAN, (8.1, 10.9), (1.6, 1.9), strict=True):
        out.append(entry("C-HEALTH-02", est, se, t, "无法判断", n=300, domain={"urban": level}, breakdown="urban"))
    for level, est, se in zip(SEX, (11.8, 7.3), (1.8, 1.5), strict=True):
        status = "达标" if est + Z * se <= 8 else "未达标" if est - Z * se > 8 else "无法判断"
        out.append(entry("C-HEALTH-02", est, se, t, status, n=305, domain={"sex": level}, breakdown="sex"))
    return out


def _car_seats() -> list[dict[str, Any]]:
    t = ge(60)
    return [
        entry("C-SAFE-01", 22.5, 3.4, t, "未达标", n=260, change=-1.2, change_se=4.4, projected=21.9,
              projected_se=6.9, warnings=("预计达标困难",)),
        entry("C-SAFE-01", 31.6, 4.0, t, "未达标", n=242, domain={"urban": "城镇"}, breakdown="urban"),
        entry("C-SAFE-01", 10.0, 7.1, t, "无法判断", n=18, domain={"urban": "乡村"}, breakdown="urban",
              suppressed=True, flags=("nchs:suppress:n_eff", "suppress:n<30")),
    ]


def evaluation() -> dict[str, Any]:
    """The output of `cunsheng evaluate --json --baseline 2022.json --year 2024 --breakdown urban --breakdown sex`."""
    indicators = [
        *_screening(),
        entry("W-HEALTH-02", 93.8, 1.2, ge(90), "达标", change=1.0, change_se=1.7, projected=94.3, projected_se=2.0),
        entry("W-HEALTH-03", 41.7, 2.1, {"op": "up", "value": None, "year": 2025}, "达标", change=4.2,
              change_se=1.5, projected=43.8, projected_se=2.9),
        entry("W-HEALTH-04", 84.0, 2.3, ge(85), "无法判断", change=2.5, change_se=3.1, projected=85.25,
              projected_se=3.3),
        entry("W-ECON-01", 18.3, 1.9, {"op": "up", "value": None, "year": 2025}, "无法判断"),
        entry("W-DECIDE-01", 48.2, 1.8, ge(60), "未达标", warnings=("预计达标困难", "波动较大"), change=-7.9,
              change_se=2.6, projected=44.25, projected_se=3.5),
        entry("W-FAMILY-01", 2.9, 0.15, le(2.5), "未达标", n=418, change=-0.1, change_se=0.21, projected=2.85,
              projected_se=0.27),
        entry("W-FAMILY-02", 61.3, 2.4, {"op": "qual", "value": None, "year": 2025}, "不适用"),
        entry("C-HEALTH-01", 96.5, 0.9, {"op": "=", "value": 100, "year": 2025}, "未达标", n=612,
              flags=("target:100%",), change=0.8, change_se=1.3, projected=96.9, projected_se=1.6),
        *_children_weight(),
        *_car_seats(),
        entry("C-SAFE-02", 97.1, 0.5, ge(95), "达标", n=640, change=0.6, change_se=0.8, projected=97.4,
              projected_se=1.0),
        entry("C-EDU-01", 88.2, 1.6, {"op": "~", "value": 90, "tolerance": 5, "year": 2025}, "达标", n=598),
        entry("C-FAMILY-01", 31.0, 2.6, ge(50), "未达标", n=604, change=2.0, change_se=3.4),
        entry("C-FAMILY-02", 6.2, 2.1, le(5), "无法判断", n=604, warnings=("波动较大",)),
    ]
    gaps = [
        {"code": "W-HEALTH-01", "breakdown": "urban", "levels": list(URBAN), "gap": 10.1, "gap_se": 3.6,
         "gap_ci_low": 10.1 - Z * 3.6, "gap_ci_high": 10.1 + Z * 3.6},
        {"code": "C-HEALTH-02", "breakdown": "urban", "levels": list(URBAN), "gap": -2.8, "gap_se": 2.4,
         "gap_ci_low": -2.8 - Z * 2.4, "gap_ci_high": -2.8 + Z * 2.4},
        {"code": "C-HEALTH-02", "breakdown": "sex", "levels": list(SEX), "gap": 4.5, "gap_se": 2.2,
         "gap_ci_low": 4.5 - Z * 2.2, "gap_ci_high": 4.5 + Z * 2.2},
    ]
    indices = [entry("W-INDEX", 71.3, 1.7, ge(80), "未达标", n=420, change=2.0, change_se=1.8, projected=72.3,
                     projected_se=2.6, warnings=("预计达标困难",))]
    return {"level": 0.95, "df": 58, "year": 2024, "indicators": indicators, "gaps": gaps, "indices": indices}


DEFINITIONS = (
    Definition("W-HEALTH-01", "35–64岁妇女近三年接受宫颈癌筛查的比例", "妇女与健康", ("000:64.1",), 100,
               plan_target="宫颈癌和乳腺癌筛查覆盖率达到80%以上"),
    Definition("W-HEALTH-02", "孕产妇系统管理率", "妇女与健康", ("000:63.2",), 100, plan_target="保持在90%以上"),
    Definition("W-HEALTH-03", "妇女经常参加体育锻炼的比例", "妇女与健康", ("000:67",), 100, plan_target="明显提高"),
    Definition("W-HEALTH-04", "妇女两癌防治知识知晓率", "妇女与健康", ("000:88",), 100, plan_target="达到85%"),
    Definition("W-ECON-01", "农村妇女参加职业技能培训的比例", "妇女与经济", ("000:150",), 100, plan_target="逐步提高"),
    Definition("W-DECIDE-01", "妇女参加村务会议的比例", "妇女参与决策和管理", ("000:190.2",), 100,
               plan_target="达到60%以上"),
    Definition("W-FAMILY-01", "妇女平均每日家务劳动时间", "妇女与家庭建设", ("000:301",), 1, unit="小时",
               plan_target="男女平均家务劳动时间差距缩小", decimals=2),
    Definition("W-FAMILY-02", "家庭文明建设活动参与率", "妇女与家庭建设", ("000:305",), 100,
               plan_target="广泛开展家庭文明建设"),
    Definition("C-HEALTH-01", "0～6岁儿童眼保健和视力检查覆盖率", "儿童与健康", ("001:92.1",), 100,
               plan_target="达到100%"),
    Definition("C-HEALTH-02", "6～17岁儿童超重肥胖率", "儿童与健康", ("001:96",), 100, plan_target="增长得到有效控制"),
    Definition("C-SAFE-01", "儿童乘车使用安全座椅的比例", "儿童与安全", ("001:130",), 100, plan_target="达到60%"),
    Definition("C-SAFE-02", "家长知晓儿童防溺水知识的比例", "儿童与安全", ("001:128",), 100, plan_target="达到95%以上"),
    Definition("C-EDU-01", "学前三年毛入园率", "儿童与教育", ("001:170.1",), 100, plan_target="保持在90%左右"),
    Definition("C-FAMILY-01", "家长每天陪伴孩子阅读的比例", "儿童与家庭", ("001:260",), 100, plan_target="明显提高"),
    Definition("C-FAMILY-02", "留守儿童中无人照料的比例", "儿童与家庭", ("001:262",), 100, plan_target="5%以内"),
    Definition("W-INDEX", "妇女发展指数", index=True, scale=1, unit="分"),
)

RATES = {"e": 0.9, "overall": {"counts": {"I": 1262, "P": 18, "R": 96, "NC": 74, "O": 12, "UH": 20, "UO": 4, "NE": 58},
                               "RR1": 0.852, "RR3": 0.858, "COOP1": 0.918, "REF1": 0.065, "CON1": 0.92},
         "groups": [{"by": {"urban": "城镇"}, "counts": {"I": 512, "P": 9, "R": 61, "NC": 40, "O": 4, "UH": 9,
                                                         "UO": 2, "NE": 30}, "RR1": 0.805, "RR3": 0.811, "COOP1": 0.878,
                     "REF1": 0.096, "CON1": 0.917},
                    {"by": {"urban": "乡村"}, "counts": {"I": 750, "P": 9, "R": 35, "NC": 34, "O": 8, "UH": 11,
                                                         "UO": 2, "NE": 28}, "RR1": 0.887, "RR3": 0.892, "COOP1": 0.945,
                     "REF1": 0.041, "CON1": 0.938}]}


def methods() -> Methods:
    """The methods record of the wave."""
    return Methods(
        title="枣岭县妇女儿童发展规划（2021—2025年）中期评估报告", wave="2024 年中期评估入户调查", year=2024,
        unit="枣岭县",
        design="按乡镇 × 城乡分层，各层按人口规模成比例概率（PPS）系统抽取 60 个村（居）；每村按住户名单等距抽取 25 户，"
               "户内用 Kish 表选取一名 18～64 岁妇女，并调查全部 0～17 岁儿童的照料人。",
        variance="泰勒线性化，以村为初级抽样单位、乡镇 × 城乡为层（有放回近似）；比例的置信区间用 logit 区间，"
                 "估计值为 0 或 100% 时用 Korn–Graubard 区间。",
        software=f"cunsheng {importlib.metadata.version('cunsheng')}",
        suppression="分母少于 30 人，或按 NCHS 比例发布标准（Parker 等，2017）需要压制的格，不发布估计值（显示为 —），状态记为无法判断。",
        rates=read_rates(RATES),
        weighting=(WeightingStep("基础权重", "村的入样概率 × 户的入样概率 × 户内选中概率的倒数"),
                   WeightingStep("无回答调整", "按乡镇 × 城乡的加权类调整（24 类，调整系数 1.02～1.31）"),
                   WeightingStep("事后分层", "按第七次人口普查的年龄组 × 城乡妇女人数校准"),
                   WeightingStep("截尾", "权重上限为中位数的 5 倍，截尾 3 个权重")),
        questionnaires=(Questionnaire("women", "妇女发展状况调查问卷", 3, "4f1c" + "9a2e" * 15),
                        Questionnaire("caregiver", "儿童照料人调查问卷", 2, "b07d" + "31c5" * 15)),
        breakdowns=(Breakdown("urban", "城乡"), Breakdown("sex", "性别", {"1": "男", "2": "女"})),
        baseline="2022 年基线调查",
    )
