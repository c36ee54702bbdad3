"""Weighted results of self-completed responses: the pool, its design and one question's estimates.

The results pages, their JSON/CSV twins and `cunsheng estimate --survey` all come through here, so
they give the same numbers. A unit's frame rows (server/frames.py, its subtree only) are weighted by
`analysis.weighting.selfcompleted` to the population the questionnaire's `population:` declares,
summed over the same subtree; the estimates are `analysis.estimators.estimate` on that frame and the
design document the page offers for download. Numeric special codes (不知道, 不愿回答) are missing
values of a mean; a categorical question's special codes are levels of their own. Builds data
only: rendering is server/routes/results.py and templates/console/results.html.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pandas as pd
from sqlmodel import Session

from analysis.design.spec import Design
from analysis.errors import AnalysisError, column_missing
from analysis.estimators.estimate import estimate
from analysis.estimators.request import Request
from analysis.estimators.table import Estimates
from analysis.io.columns import from_frame
from analysis.weighting.selfcompleted import Target, Weighted, poststratify
from server.catalog import Catalog
from server.frames import Filters, frame_for, frame_rows
from server.store import units
from server.store.units import Unit
from surveys.frame import SEX_LABELS, URBAN_RURAL_LABELS, to_pandas
from surveys.kinds import frame_columns, kind_of, value_labels
from surveys.model import Survey
from surveys.problem import Catalogue, Problem

NOTE = "非概率样本，按人口结构事后加权"
BREAKDOWNS = (("sex", "性别"), ("age_group", "年龄组"), ("urban_rural", "城乡"), ("township", "乡镇"))
MIN_SHOWN = 30
LEVEL_LABELS = {"sex": dict(SEX_LABELS), "urban_rural": dict(URBAN_RURAL_LABELS)}
STEP_ZH = {"age_group": "与相邻年龄组合并", "urban_rural": "城镇与乡村合并", "all": "全部合并为一格"}
EXCLUDED_ZH = {"not_web": "非居民自填（设备或接口录入，另有抽样设计）", "outside_target": "不属于本问卷目标人群",
               "cell_missing": "缺少性别、年龄或城乡，无法归入调整格"}


class R(Catalogue):
    """Problems of the results pages and `cunsheng estimate --survey`: (code, HTTP status, Chinese)."""

    NO_TARGET = ("results.no_population", 422, "问卷“{survey}”没有声明 population（加权的目标人群），无法给出加权结果。")
    UNKNOWN_VARIABLE = ("results.unknown_variable", 422, "问卷“{survey}”中没有可分析的问题“{q}”。请从列表中选择问题。")
    BAD_UNIT = ("results.bad_unit", 422, "单位代码“{unit}”不正确：应为 12 位数字的统计用区划代码。")
    BAD_FORMAT = ("results.bad_format", 422, "format 只能是 json 或 csv，不能是“{value}”。")
    NO_WAVE = ("results.no_wave", 2, "还没有名为“{wave}”的抽样调查轮次；不给 --wave 时使用自填答卷的事后加权。")
    NO_WAVE_WEIGHTS = ("results.no_wave_weights", 422, "调查轮次“{wave}”还不能计算权数：{why}")
    WAVE_SURVEY = ("results.wave_survey", 422, "调查轮次“{wave}”没有调查问卷“{survey}”。")
    REPORT_FAILED = ("results.report_failed", 503, "评估报告未能生成：{why}")


@dataclass(frozen=True)
class Variable:
    """A question (or a matrix row, or one choice of a multiple) the page can estimate."""

    name: str
    label: str
    stat: str  # prop (a categorical question) or mean (a number, or a 0/1 choice column)
    values: dict[Any, str] = field(default_factory=dict)
    specials: frozenset[int] = frozenset()  # of a number: missing in a mean
    binary: bool = False  # a 0/1 choice column: its mean is a proportion

    @property
    def percent(self) -> bool:
        """Shown as a percentage (a proportion)."""
        return self.stat == "prop" or self.binary


def variables(survey: Survey) -> list[Variable]:
    """The questionnaire's analysable variables, in question order (its newest version)."""
    out: list[Variable] = []
    for q in survey.questions():
        labels, how = value_labels(q), kind_of(q).estimate
        if how == "prop":
            out += [Variable(c.name, c.label, "prop", labels) for c in frame_columns(q)]
        elif how == "mean":
            out.append(Variable(q.name, q.label + (f"（{q.unit}）" if getattr(q, "unit", None) else ""), "mean", {},
                                frozenset(q.special_codes)))
        elif how == "share":
            out += [Variable(f"{q.name}_{c.code}", f"{q.label}：{c.label}（选中比例）", "mean", {}, binary=True)
                    for c in q.choices]
    return out


def variable_of(survey: Survey, name: str) -> Variable:
    found = next((v for v in variables(survey) if v.name == name), None)
    if found is None:
        raise Problem(R.UNKNOWN_VARIABLE, survey=survey.name, q=name[:64])
    return found


def target_of(survey: Survey) -> Target:
    """The post-stratification target the questionnaire declares (`population:`)."""
    pop = survey.population
    if pop is None:
        raise Problem(R.NO_TARGET, survey=survey.name)
    return Target(pop.cells, pop.count, pop.sexes, pop.age_groups)


def population_of(session: Session, target: Target, code: str) -> dict[tuple[str, ...], float]:
    """The target's population of the unit's subtree, by the target's cells."""
    if target.count == "households":
        return {(ur,): float(n) for ur, n in units.households_by_place(session, code).items()}
    bands = target.levels("age_group")
    out: dict[tuple[str, ...], float] = {}
    for (ur, sex, age), n in units.population_by_place(session, code).items():
        if sex in target.sexes and age in bands:
            values = {"sex": sex, "age_group": age, "urban_rural": ur}
            key = tuple(values[c] for c in target.cells)
            out[key] = out.get(key, 0.0) + n
    return out


@dataclass(frozen=True, eq=False)
class Pool:
    """A unit's weighted self-completed responses of one questionnaire (or why there are none)."""

    survey: Survey
    unit: Unit
    weighted: Weighted | None
    problem: Problem | None = None
    note: str = NOTE  # how the pool is weighted (a wave's probability sample says so)
    notes: tuple[str, ...] = ()  # a wave's weighting notes (class collapses, methods)

    @property
    def design(self) -> Design | None:
        return Design.from_json(self.weighted.design) if self.weighted else None


def pool_of(session: Session, catalog: Catalog, name: str, unit: Unit) -> Pool:
    """Read the unit's responses and weight them; an empty pool or missing population is `problem`."""
    frame = frame_for(catalog, name)
    survey = catalog.current[name].survey
    target = target_of(survey)
    data = to_pandas(frame, (r for batch in frame_rows(session, catalog, frame, Filters(under=unit.code)) for r in batch))
    try:
        weighted = poststratify(data, population_of(session, target, unit.code), target)
    except AnalysisError as exc:
        return Pool(survey, unit, None, exc)
    return Pool(survey, unit, weighted)


def analysis_data(pool: Pool, variable: Variable) -> pd.DataFrame:
    """The pool's frame as estimated: a number's special codes missing (categorical codes kept)."""
    assert pool.weighted is not None
    data = pool.weighted.data
    if variable.specials:
        data = data.copy()
        data[variable.name] = data[variable.name].mask(data[variable.name].isin(list(variable.specials)))
    return data


def run(data: pd.DataFrame, design: Design, request: Request) -> Estimates:
    """One estimate over the frame, as `cunsheng estimate` runs it on a file."""
    for name, role in request.columns().items():
        if name not in data:
            raise column_missing(name, role, list(data))
    names = list(dict.fromkeys([*design.columns(), *request.columns()]))
    return estimate(from_frame(data, names), design.resolve(list(data.columns)), request)


def breakdowns(pool: Pool) -> list[tuple[str, str]]:
    """The default breakdowns that have two levels or more in the pool (sex on the women's
    questionnaire, a township's own township and the like are left out)."""
    assert pool.weighted is not None
    data = pool.weighted.data
    return [(col, zh) for col, zh in BREAKDOWNS if data[col].dropna().nunique() >= 2]


def request_for(variable: Variable, by: tuple[str, ...] = ()) -> Request:
    """The page's request: proportions per level or a mean, missing answers outside every domain."""
    return Request(variable.stat, variable.name, by, na="drop")


def table(pool: Pool, variable: Variable) -> tuple[pd.DataFrame, list[str]]:
    """The tidy table of one question: overall and by each default breakdown, each row an estimate
    with its interval, n, flags and whether it is shown; and the breakdowns that could not be estimated."""
    design, data = pool.design, analysis_data(pool, variable)
    assert design is not None
    rows: list[dict[str, Any]] = []
    failed: list[str] = []
    for col, zh in [("", "总体"), *breakdowns(pool)]:
        try:
            result = run(data, design, request_for(variable, (col,) if col else ()))
        except AnalysisError as exc:
            if not col:
                raise
            failed.append(f"{zh}：{exc.message}")
            continue
        for record in result.records():
            group = record["domain"].get(col) if col else None
            rows.append(_row(col, zh, group, record, variable))
    return pd.DataFrame(rows, columns=COLUMNS), failed


COLUMNS = ["breakdown", "breakdown_label", "group", "group_label", "level", "level_label", "estimate", "se",
           "ci_low", "ci_high", "n", "flags", "shown"]


def _row(col: str, zh: str, group: Any, record: dict[str, Any], variable: Variable) -> dict[str, Any]:
    level = record["level"]
    flags = list(record["flags"])
    shown = record["n"] >= MIN_SHOWN and not any(f.startswith("nchs:suppress") for f in flags)
    return {"breakdown": col or "overall", "breakdown_label": zh, "group": group,
            "group_label": "全部" if not col else group_label(col, group), "level": level,
            "level_label": "" if level is None else variable.values.get(_code(level), str(level)),
            "estimate": record["estimate"], "se": record["se"], "ci_low": record["ci_low"],
            "ci_high": record["ci_high"], "n": record["n"], "flags": " ".join(flags), "shown": shown}


def _code(level: Any) -> Any:
    return int(level) if isinstance(level, float) and level.is_integer() else level


def group_label(col: str, group: Any) -> str:
    if group is None:
        return "未知"
    if col == "age_group":
        return f"{group}岁"
    return LEVEL_LABELS.get(col, {}).get(str(group), str(group))


def cell_label(target_cells: tuple[str, ...], cell: tuple[str, ...]) -> str:
    """An adjustment cell for people: 乡村·35-59岁."""
    return "·".join(group_label(col, value) for col, value in zip(target_cells, cell, strict=True))


def merges_zh(pool: Pool) -> list[str]:
    """The cell merges as sentences for the page and the JSON twin."""
    if pool.weighted is None:
        return []
    cells = target_of(pool.survey).cells
    return [f"{'、'.join(cell_label(cells, c) for c in m.cells)}：{STEP_ZH[m.step]}（其中一格只有 {m.n} 份答卷，少于 10 份）"
            for m in pool.weighted.merges]


def excluded_zh(pool: Pool) -> list[str]:
    if pool.weighted is None:
        return []
    return [f"{EXCLUDED_ZH[k]}：{n} 份" for k, n in pool.weighted.excluded.items() if n]
