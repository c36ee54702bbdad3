"""Compile an indicator definition file (design/evaluation.md) into an `IndicatorSet`, reporting
every problem from the definition error catalogue (`surveys.errors.DefErr`), as the questionnaire
compiler does.

Order of work: YAML syntax -> structure (pydantic, `schema`) -> the questionnaire named by `survey:`
-> codes -> per indicator: the keys its stat needs, conditions (syntax, then the columns they read
in that questionnaire's analysis frame), the mean's column, the target against the stat, plan rows
(`surveys.compiler.plan_link_problems`) -> per index: components, their targets and floors, and the
index's own target. Each message names the file, the indicator and the fix. Must not touch storage
or evaluate anything.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ValidationError

from surveys.compiler import compile_file as compile_questionnaire
from surveys.compiler import plan_link_problems
from surveys.errors import DefErr, DefinitionInvalid, ExpressionError, Finding, did_you_mean, finding
from surveys.expr import Condition, compile_condition
from surveys.frame import WEIGHTS, frame_of
from surveys.indicator_defs.model import (
    AT_LEAST,
    AT_MOST,
    NUMERIC_OPS,
    Component,
    Index,
    Indicator,
    IndicatorSet,
    Target,
)
from surveys.indicator_defs.reading import reads
from surveys.indicator_defs.schema import (
    RawComponent,
    RawIndex,
    RawIndicator,
    RawIndicatorFile,
    RawTarget,
)
from surveys.model import Survey
from surveys.problem import validation_message

BUNDLED = Path(__file__).resolve().parents[1] / "definitions"
FOLDER = "indicators"  # the bundled indicator files: definitions/indicators/*.yaml
DEFAULT_SCALE = {"prop": 100.0, "mean": 1.0}
DEFAULT_CI = {"prop": "logit", "mean": "wald"}


@dataclass
class _Ctx:
    file: str
    columns: tuple[str, ...] | None = None  # the questionnaire's frame columns, when `survey:` names one
    survey: str = ""
    problems: list[Finding] = field(default_factory=list)

    def add(self, err: DefErr, where: str, **kw: Any) -> None:
        self.problems.append(finding(err, self.file, where, **kw))


def compile_file(path: str | Path, questionnaires: Mapping[str, Survey] | None = None) -> IndicatorSet:
    """Compile one indicator file; `survey:` is looked up in `questionnaires` (default: the bundled
    questionnaires). Raise DefinitionInvalid listing every problem."""
    path = Path(path)
    return compile_text(path.read_bytes(), path.name, questionnaires)


def is_indicator_file(path: Path) -> bool:
    """An indicator file rather than a questionnaire: a mapping with `indicators` and no `pages`."""
    try:
        loaded = yaml.safe_load(path.read_bytes().decode("utf-8-sig"))
    except (yaml.YAMLError, UnicodeDecodeError):
        return False
    return isinstance(loaded, dict) and "indicators" in loaded and "pages" not in loaded


def indicator_files(folder: Path) -> list[Path]:
    """The indicator files beside a folder of questionnaires (its `indicators/` subfolder)."""
    return sorted((folder / FOLDER).glob("*.yaml"))


@cache
def bundled_questionnaires() -> dict[str, Survey]:
    """The bundled questionnaires by name (compiled once per process)."""
    compiled = (compile_questionnaire(path) for path in sorted(BUNDLED.glob("*.yaml")))
    return {survey.name: survey for survey in compiled}


def frame_columns(survey: Survey) -> tuple[str, ...]:
    """The columns of a questionnaire's analysis frame, the weights' columns included."""
    return (*frame_of([(1, survey)]).names, *(c.name for c in WEIGHTS))


def compile_text(data: bytes, file: str, questionnaires: Mapping[str, Survey] | None = None) -> IndicatorSet:
    """Compile indicator definition bytes (named `file` in messages)."""
    text = data.decode("utf-8-sig")
    try:
        loaded = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"第 {mark.line + 1} 行" if mark else ""
        detail = getattr(exc, "problem", None) or str(exc)
        raise DefinitionInvalid([finding(DefErr.YAML_SYNTAX, file, where, detail=detail)]) from None
    try:
        raw = RawIndicatorFile.model_validate(loaded if isinstance(loaded, dict) else {})
    except ValidationError as exc:
        raise DefinitionInvalid([_schema_problem(file, loaded, e) for e in exc.errors()]) from None
    ctx = _Ctx(file)
    questionnaire = _questionnaire(ctx, raw, bundled_questionnaires() if questionnaires is None else questionnaires)
    _check_codes(ctx, raw)
    compiled = tuple(_indicator(ctx, item) for item in raw.indicators)
    indices = tuple(_index(ctx, item, raw.indicators) for item in raw.indices)
    if ctx.problems:
        raise DefinitionInvalid(ctx.problems)
    specials = raw.special_codes
    if specials is None:
        specials = [s.code for s in questionnaire.specials] if questionnaire is not None else []
    return IndicatorSet(file=file, indicators=compiled, indices=indices, survey=raw.survey,
                        special_codes=frozenset(specials))


def _questionnaire(ctx: _Ctx, raw: RawIndicatorFile, questionnaires: Mapping[str, Survey]) -> Survey | None:
    if raw.survey is None:
        return None
    survey = questionnaires.get(raw.survey)
    if survey is None:
        ctx.add(DefErr.IND_UNKNOWN_SURVEY, "survey", ref=raw.survey, hint=did_you_mean(raw.survey, questionnaires),
                known="、".join(sorted(questionnaires)) or "无")
        return None
    ctx.columns, ctx.survey = frame_columns(survey), survey.name
    return survey


def _check_codes(ctx: _Ctx, raw: RawIndicatorFile) -> None:
    seen: dict[str, str] = {}
    for label, code in [("指标", i.code) for i in raw.indicators] + [("指数", i.code) for i in raw.indices]:
        if code in seen:
            ctx.add(DefErr.IND_DUPLICATE_CODE, f"{label} {code}", code=code, first=seen[code])
        else:
            seen[code] = f"{label} {code}"


def _indicator(ctx: _Ctx, raw: RawIndicator) -> Indicator:
    where = f"指标 {raw.code}"
    _check_stat_keys(ctx, where, raw)
    numerator = _condition(ctx, where, "numerator", raw.numerator)
    population = _condition(ctx, where, "population", raw.population)
    if raw.value is not None and ctx.columns is not None and raw.value not in ctx.columns:
        ctx.add(DefErr.IND_UNKNOWN_COLUMN, where, field="value", ref=raw.value, survey=ctx.survey,
                hint=did_you_mean(raw.value, ctx.columns))
    scale = raw.scale if raw.scale is not None else DEFAULT_SCALE[raw.stat]
    target = _target(ctx, where, raw.target, raw.tolerance, raw.stat, scale if raw.stat == "prop" else None)
    ctx.problems.extend(plan_link_problems(ctx.file, where, raw.plan))
    return Indicator(
        code=raw.code, name=raw.name, stat=raw.stat, target=target, scale=scale,
        ci_method=raw.ci_method or DEFAULT_CI[raw.stat], plan=tuple(raw.plan), numerator=numerator,
        value=raw.value, population=population, exclude_missing=raw.missing == "exclude",
    )


def _check_stat_keys(ctx: _Ctx, where: str, raw: RawIndicator) -> None:
    """prop counts a condition (`numerator`), mean averages a column (`value`); `missing` is prop's."""
    if raw.stat == "prop":
        if raw.numerator is None:
            ctx.add(DefErr.IND_NEEDS_KEY, where, stat="prop", key="numerator", why="比例的分子是一个条件，例如 selected(screening, 1, 2)")
        if raw.value is not None:
            ctx.add(DefErr.IND_KEY_NOT_FOR_STAT, where, key="value", stat="prop", why="value 是 mean 求平均的列")
        return
    if raw.value is None:
        ctx.add(DefErr.IND_NEEDS_KEY, where, stat="mean", key="value", why="写出求平均的列名")
    if raw.numerator is not None:
        ctx.add(DefErr.IND_KEY_NOT_FOR_STAT, where, key="numerator", stat="mean", why="numerator 是 prop 的条件")
    if raw.missing is not None:
        ctx.add(DefErr.IND_KEY_NOT_FOR_STAT, where, key="missing", stat="mean", why="mean 总是排除缺失值和特殊代码")


def _condition(ctx: _Ctx, where: str, fieldname: str, text: str | None) -> Condition | None:
    """Compile a condition and, with a questionnaire, check every column it reads in its frame."""
    if text is None:
        return None
    try:
        condition = compile_condition(text)
    except ExpressionError as exc:
        ctx.add(DefErr.EXPRESSION_SYNTAX, where, field=fieldname, expr=text, detail=exc.message)
        return None
    if ctx.columns is not None:
        for name in reads(condition, ctx.columns).unknown:
            ctx.add(DefErr.IND_UNKNOWN_COLUMN, where, field=fieldname, ref=name, survey=ctx.survey,
                    hint=did_you_mean(name, ctx.columns))
    return condition


def _target(ctx: _Ctx, where: str, raw: RawTarget, tolerance: float | None, stat: str, top: float | None) -> Target:
    """The target, checked against the stat: a value exactly for the ops that compare with one, inside
    [0, top] for a share (or an index), reachable, and a tolerance exactly for `~`."""
    what = {"prop": "stat: prop（比例）", "mean": "stat: mean（平均值）"}.get(stat, "指数")
    fix = None
    if raw.op in NUMERIC_OPS and raw.value is None:
        fix = "请给出 value（按显示的刻度，即 scale 之后的数）"
    elif raw.op not in NUMERIC_OPS and raw.value is not None:
        fix = f"目标 `{raw.op}` 不比较数值，请删去 value"
    elif raw.value is not None and top is not None and not 0 <= raw.value <= top:
        fix = f"比例的目标值须在 0 和 {top:g} 之间（scale 为 {top:g}）"
    elif raw.value is not None and top is not None and (raw.op, raw.value) in ((">", top), ("<", 0)):
        fix = "这个目标永远无法达到，请改用 >= 或 <="
    if fix is not None:
        ctx.add(DefErr.IND_TARGET_OP, where, op=raw.op, stat=what, fix=fix)
    if raw.op == "~" and tolerance is None:
        ctx.add(DefErr.IND_TOLERANCE_MISSING, where)
    elif raw.op != "~" and tolerance is not None:
        ctx.add(DefErr.IND_TOLERANCE_UNUSED, where, op=raw.op)
    return Target(raw.op, raw.value, raw.year, tolerance if raw.op == "~" else None)


def _index(ctx: _Ctx, raw: RawIndex, indicators: list[RawIndicator]) -> Index:
    where = f"指数 {raw.code}"
    known = {i.code: i for i in indicators}
    seen: set[str] = set()
    for component in raw.components:
        if component.code in seen:
            ctx.add(DefErr.IND_DUPLICATE_COMPONENT, where, ref=component.code)
        seen.add(component.code)
        indicator = known.get(component.code)
        if indicator is None:
            ctx.add(DefErr.IND_UNKNOWN_COMPONENT, where, ref=component.code, hint=did_you_mean(component.code, known))
        else:
            _check_component(ctx, where, component, indicator.target)
    target = _target(ctx, where, raw.target, raw.tolerance, "index", 100.0)
    components = tuple(Component(c.code, c.weight, c.floor) for c in raw.components)
    return Index(code=raw.code, name=raw.name, components=components, target=target)


def _check_component(ctx: _Ctx, where: str, component: RawComponent, target: RawTarget) -> None:
    """A component is scored between its floor (0) and its target (100): it needs a numeric target with a
    direction, and a floor on the failing side of it."""
    if target.op not in (*AT_LEAST, *AT_MOST) or target.value is None:
        ctx.add(DefErr.IND_COMPONENT_TARGET, where, ref=component.code, op=target.op)
    elif target.op in AT_LEAST and not component.floor < target.value:
        ctx.add(DefErr.IND_FLOOR, where, ref=component.code, floor=component.floor, side="小于", value=target.value)
    elif target.op in AT_MOST and not component.floor > target.value:
        ctx.add(DefErr.IND_FLOOR, where, ref=component.code, floor=component.floor, side="大于", value=target.value)


def _schema_problem(file: str, loaded: Any, err: Any) -> Finding:
    """A pydantic error as a finding located at its indicator or index."""
    loc = tuple(err["loc"])
    where = _where(loaded, loc)
    key = next((str(p) for p in reversed(loc) if isinstance(p, str)), "")
    if err["type"] == "missing":
        return finding(DefErr.MISSING_KEY, file, where, key=key)
    if err["type"] == "extra_forbidden":
        return finding(DefErr.UNKNOWN_KEY, file, where, key=key, hint=did_you_mean(key, _allowed_keys(loc)))
    if err["type"] == "string_pattern_mismatch" and key == "code":
        return finding(DefErr.IND_BAD_CODE, file, where, value=err.get("input"))
    return finding(DefErr.BAD_VALUE, file, where, key=key, expected=validation_message(err))


def _allowed_keys(loc: tuple[Any, ...]) -> list[str]:
    models: list[tuple[str, type[BaseModel]]] = [("components", RawComponent), ("target", RawTarget),
                                                 ("indices", RawIndex), ("indicators", RawIndicator)]
    # the innermost named part of the path decides (a component's key, an index's target, ...)
    for part in reversed([p for p in loc[:-1] if isinstance(p, str)]):
        for name, model in models:
            if part == name:
                return list(model.model_fields)
    return list(RawIndicatorFile.model_fields)


def _where(loaded: Any, loc: tuple[Any, ...]) -> str:
    """Name the indicator or index a pydantic error points at, e.g. `指标 W-HEALTH-01`."""
    if len(loc) >= 2 and loc[0] in ("indicators", "indices") and isinstance(loc[1], int):
        items = loaded.get(loc[0]) if isinstance(loaded, dict) else None
        item = items[loc[1]] if isinstance(items, list) and loc[1] < len(items) else None
        label = "指标" if loc[0] == "indicators" else "指数"
        code = item.get("code") if isinstance(item, dict) else None
        return f"{label} {code}" if isinstance(code, str) else f"{label} #{loc[1] + 1}"
    return ""
