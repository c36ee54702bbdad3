"""A wave's indicators against their targets for one unit (design/evaluation.md), and its report pack.

Per questionnaire of the wave that has a bundled indicator file (surveys/definitions/indicators/), the
wave's weighted interviews in the unit (`wavedesign.weigh`: strata lie inside townships, so a
township's rows are a domain of whole strata) and the wave's design go to `analysis.evaluation`, with
the breakdowns 性别 / 年龄组 / 城乡 / 乡镇 that the data hold (a single-level one is dropped by the
evaluation) and the wave's year. The baseline is the latest earlier wave of the same unit, drawn, that
fielded the questionnaire, evaluated the same way. An indicator whose population has nobody with a
value in this wave is left out (screened by `derive` before the one run) and listed in `skipped` with
why; the other indicators still count.
The document is the contract's (`level`, `df`, `year`, `indicators`, `gaps`, `indices`) plus the wave,
the unit, the baseline wave and one line per questionnaire. Methods of the pack come from the wave's
records: design note, rates (fieldstats, as `cunsheng rates`), weight steps, the versions' sha256.
Builds data only; routes decide who may see which unit.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from functools import cache
from pathlib import Path
from typing import Any

from sqlmodel import Session

from analysis.cli.evaluate_report import software, variance_of
from analysis.design.spec import Design
from analysis.errors import AnalysisError, E
from analysis.evaluation.baseline import Baseline, baseline_of
from analysis.evaluation.derive import derive
from analysis.evaluation.evaluate import Evaluation, Options, evaluate, needed_columns
from analysis.io.columns import from_frame
from analysis.report.inputs import Breakdown, Definition, Methods, Questionnaire, WeightingStep
from analysis.report.methods import SUPPRESSION_RULE
from analysis.report.output import read_rates
from analysis.report.pack import Pack, write_pack
from server import fieldstats, report_defs, results, wavedesign
from server.catalog import Catalog
from server.store import units, waves
from server.store.units import Unit
from server.store.waves import Wave
from surveys.indicator_defs.compiler import BUNDLED, compile_file, indicator_files
from surveys.indicator_defs.model import IndicatorSet
from surveys.problem import Problem

BREAKDOWNS = (("sex", "性别"), ("age_group", "年龄组"), ("urban_rural", "城乡"), ("township_code", "乡镇"))
LEVELS = {"sex": {"F": "女", "M": "男", "female": "女", "male": "男"}, "urban_rural": {"urban": "城镇", "rural": "乡村"}}
# what leaves one indicator out of a wave's run (its population is empty, or its column is absent)
SKIPPED = ("evaluate.empty_population", "evaluate.column_missing", "evaluate.indicator")


@cache
def bundled() -> dict[str, IndicatorSet]:
    """The bundled indicator files by the questionnaire they read (compiled once per process)."""
    compiled = (compile_file(path) for path in indicator_files(BUNDLED))
    return {s.survey: s for s in compiled if s.survey is not None}


def all_definitions() -> list[tuple[IndicatorSet, Definition]]:
    """Every bundled indicator with its report definition, file by file."""
    return [(s, d) for s in bundled().values() for d in report_defs.definitions(s)]


@dataclass(frozen=True, eq=False)
class Run:
    """One questionnaire's evaluation in a wave: its result (None with the problem that stopped it)."""

    survey: str
    result: Evaluation | None
    problem: str | None = None
    skipped: tuple[dict[str, str], ...] = ()
    weighted: wavedesign.WaveWeights | None = None


@dataclass(frozen=True, eq=False)
class WaveEvaluation:
    """A wave's evaluation for a unit: one run per questionnaire and the baseline wave."""

    wave: Wave
    unit: Unit
    runs: tuple[Run, ...]
    baseline: Wave | None

    def document(self) -> dict[str, Any]:
        """The contract's document over every questionnaire, with the wave, unit and baseline."""
        done = [r.result for r in self.runs if r.result is not None]
        dfs = {r.df for r in done}
        return {
            "wave": self.wave.id, "wave_name": self.wave.name, "unit": self.unit.code, "unit_name": self.unit.name,
            "baseline": None if self.baseline is None else {"wave": self.baseline.id, "wave_name": self.baseline.name,
                                                            "year": self.baseline.year},
            "surveys": [{"survey": r.survey, "df": r.result.df if r.result else None, "problem": r.problem,
                         "skipped": list(r.skipped)} for r in self.runs],
            "level": done[0].level if done else 0.95, "df": dfs.pop() if len(dfs) == 1 else None,
            "year": self.wave.year, "indicators": [e for r in done for e in r.indicators],
            "gaps": [g for r in done for g in r.gaps], "indices": [e for r in done for e in r.indices]}

    def contract(self) -> dict[str, Any]:
        """Only the keys of `cunsheng evaluate --json` (what the report pack reads)."""
        doc = self.document()
        return {k: doc[k] for k in ("level", "df", "year", "indicators", "gaps", "indices")}


def surveys_of(wave: Wave) -> list[str]:
    """The questionnaires of the wave that have a bundled indicator file."""
    return [s["survey"] for s in wave.surveys if s["survey"] in bundled()]


def evaluate_wave(session: Session, catalog: Catalog, wave: Wave, unit: Unit) -> WaveEvaluation:
    """Evaluate the wave for the unit; 422 when no questionnaire of it can be evaluated."""
    names = surveys_of(wave)
    if wave.drawn_at is None or not names:
        raise Problem(results.R.NO_WAVE_WEIGHTS, wave=wave.name,
                      why="尚未抽样" if wave.drawn_at is None else "本轮没有带指标定义的问卷")
    runs, earlier = [], None
    for survey in names:
        before = previous_wave(session, wave, survey)
        baseline = None
        if before is not None:
            old = _run(session, catalog, before, survey, unit.code, None)
            if old.result is not None:
                baseline, earlier = baseline_of(old.result.document(), before.name, wave.year), before
        runs.append(_run(session, catalog, wave, survey, unit.code, baseline))
    if all(r.result is None for r in runs):
        raise Problem(results.R.NO_WAVE_WEIGHTS, wave=wave.name, why=runs[0].problem)
    return WaveEvaluation(wave, unit, tuple(runs), earlier)


def previous_wave(session: Session, wave: Wave, survey: str) -> Wave | None:
    """The latest earlier wave of the same unit, drawn, that fielded the questionnaire."""
    found = [w for w in waves.list_waves(session) if w.unit == wave.unit and w.year < wave.year
             and w.drawn_at is not None and survey in [s["survey"] for s in w.surveys]]
    return max(found, key=lambda w: (w.year, w.id or 0), default=None)


def _run(session: Session, catalog: Catalog, wave: Wave, survey: str, part: str, baseline: Baseline | None) -> Run:
    try:
        weighted = wavedesign.weigh(session, catalog, wave, survey, part)
    except Problem as problem:
        return Run(survey, None, problem.message)
    if weighted.data.empty:
        return Run(survey, None, "本单位没有已接受的访谈")
    data, design = weighted.data, Design.from_json(weighted.design)
    present = tuple(c for c, _ in BREAKDOWNS if c in data.columns)
    options = Options(breakdown=present, year=wave.year, baseline=baseline)
    definitions, skipped = _with_population(data, design, bundled()[survey], options)
    while definitions.indicators:  # what the screen misses (a column not in the data, a failed estimate)
        try:
            return Run(survey, evaluate(data, design, definitions, options), None, tuple(skipped), weighted)
        except AnalysisError as err:
            code = err.params.get("code")
            if err.code not in SKIPPED or code is None:
                return Run(survey, None, err.message, tuple(skipped), weighted)
            skipped.append({"code": str(code), "why": err.message})
            definitions = _without(definitions, str(code))
    return Run(survey, None, "没有可以估计的指标", tuple(skipped), weighted)


def _with_population(data: Any, design: Design, definitions: IndicatorSet,
                     options: Options) -> tuple[IndicatorSet, list[dict[str, str]]]:
    """The file without the indicators whose population has nobody with a value, and those left out."""
    try:
        columns = from_frame(data, needed_columns(design, definitions, options, [str(c) for c in data.columns]))
    except AnalysisError:
        return definitions, []
    skipped = []
    for indicator in definitions.indicators:
        try:
            empty = not derive(columns, indicator, definitions.special_codes).usable.any()
        except AnalysisError:
            continue  # evaluate names it
        if empty:
            skipped.append({"code": indicator.code, "why": AnalysisError(E.EVAL_EMPTY, code=indicator.code).message})
            definitions = _without(definitions, indicator.code)
    return definitions, skipped


def _without(definitions: IndicatorSet, code: str) -> IndicatorSet:
    """The file without one indicator and the indices that need it."""
    return replace(definitions, indicators=tuple(i for i in definitions.indicators if i.code != code),
                   indices=tuple(x for x in definitions.indices if code not in {c.code for c in x.components}))


def methods(session: Session, catalog: Catalog, done: WaveEvaluation) -> Methods:
    """The methods appendix of the pack, from the wave's records."""
    wave, unit = done.wave, done.unit
    weighted = [r.weighted for r in done.runs if r.weighted is not None]
    steps = tuple(WeightingStep(f"{s['label']}（{r.survey}）", _step(s)) for r in done.runs if r.weighted
                  for s in r.weighted.stages)
    notes = "；".join(dict.fromkeys(n for w in weighted for n in w.notes if n))
    progress = fieldstats.progress(session, wave, unit.code)
    towns = {u.code: u.name for u in units.list_units(session, unit.code) if u.level == "township"}
    return Methods(
        title=f"{unit.name}妇女儿童发展规划{waves.STAGES.get(wave.stage, '')}报告", wave=wave.name, year=wave.year,
        unit=unit.name, design=wavedesign.WAVE_NOTE.format(wave=wave.name) + (f"。{notes}" if notes else ""),
        variance=variance_of(Design.from_json(wavedesign.design_document())), software=software(),
        suppression=SUPPRESSION_RULE, rates=read_rates(fieldstats.rates(progress, "township")), weighting=steps,
        questionnaires=tuple(Questionnaire(p.survey.name, p.survey.title, p.number, p.survey.sha256)
                             for r in done.runs if (p := catalog.current.get(r.survey)) is not None),
        breakdowns=(*(Breakdown(c, zh, LEVELS.get(c, {})) for c, zh in BREAKDOWNS[:3]),
                    Breakdown("township_code", "乡镇", towns), Breakdown("township", "乡镇", towns)),
        baseline="" if done.baseline is None else f"{done.baseline.name}（{done.baseline.year} 年）")


def _step(stage: dict[str, Any]) -> str:
    return (f"{stage['n']} 人，权数合计 {stage['sum_w']:.0f}，最小 {stage['min']:.1f}，最大 {stage['max']:.1f}，"
            f"变异系数 {stage['cv']:.2f}")


def report_pack(session: Session, catalog: Catalog, done: WaveEvaluation, folder: Path) -> Pack:
    """Write the wave's report pack into `folder` (the definitions of the questionnaires evaluated)."""
    found = [d for r in done.runs if r.result is not None for d in report_defs.definitions(bundled()[r.survey])]
    return write_pack(done.contract(), found, methods(session, catalog, done), folder)
