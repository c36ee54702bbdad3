"""Indicators against targets: the upward API and the console's evaluation page of a wave.

`GET /api/v1/indicators`: every bundled indicator definition with its stable code. `GET
/api/v1/evaluations/{wave}?unit=CODE`: the wave's evaluation for a unit (design/evaluation.md's
document). `/console/waves/{wave}/evaluation`: the summary coloured by status, the warnings, and the
report pack's files, each built on request in a temporary folder, streamed and deleted. All need
`results.read` (a console session or an upper level's bearer token); the unit must lie in the caller's
part of the wave (`waves.scope`), and a village's cells are shown only to a grant on that village;
anything else is 404, as if it did not exist.
"""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path as FilePath
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Query, Request
from fastapi.responses import Response
from sqlmodel import Session
from starlette.background import BackgroundTask
from starlette.responses import FileResponse

from analysis.errors import AnalysisError
from analysis.report.wording import STATUS_CLASS, STATUS_MARK
from server import evaluations, results
from server.apidoc import EvaluationOut, IndicatorOut, problems
from server.auth import Caller, need
from server.catalog import Catalog
from server.deps import CatalogDep, SessionDep
from server.errors import P
from server.routes.console import page
from server.routes.waves import scope
from server.staff_errors import S
from server.store import units, waves
from server.store.units import Unit
from server.store.waves import Wave
from server.unitcodes import CODE, is_under
from surveys.indicators import catalogue
from surveys.problem import Problem

router = APIRouter()
Reader = Annotated[Caller, Depends(need("results.read"))]
UnitQ = Annotated[str, Query(max_length=40, description="12 位单位代码；默认为本人在该轮调查中可见的最上级单位")]
WaveP = Annotated[int, Path(description="抽样调查轮次的编号")]
FILES = {"html": ("report.html", "text/html; charset=utf-8"), "pdf": ("report.pdf", "application/pdf"),
         "xlsx": ("report.xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")}
_SIGNED_IN = (S.SIGN_IN_REQUIRED, S.TOKEN_INVALID, S.NOT_FOUND)


def target_of(session: Session, caller: Caller, wave_id: int, code: str) -> tuple[Wave, Unit]:
    """The wave and the unit to evaluate, inside the caller's part of the wave; else 404 (422 for a bad code)."""
    wave = waves.get_wave(session, wave_id) if wave_id <= 2**31 - 1 else None
    part = scope(caller, "results.read", wave) if wave is not None else None
    if wave is None or part is None:
        raise Problem(S.NOT_FOUND)
    code = code.strip() or part
    if not CODE.fullmatch(code):
        raise Problem(results.R.BAD_UNIT, unit=code[:20])
    unit = units.get_unit(session, code)
    if unit is None or not is_under(code, part) or not caller.may("results.read", code):
        raise Problem(S.NOT_FOUND)
    if unit.level == "village" and code not in caller.units_for("results.read"):
        raise Problem(S.NOT_FOUND)  # a village's cells are its own roles' only
    return wave, unit


def _evaluated(session: Session, catalog: Catalog, caller: Caller, wave: int, unit: str) -> evaluations.WaveEvaluation:
    found, place = target_of(session, caller, wave, unit)
    return evaluations.evaluate_wave(session, catalog, found, place)


@router.get("/api/v1/indicators", name="api_indicators", response_model=list[IndicatorOut],
            responses=problems(S.SIGN_IN_REQUIRED, S.TOKEN_INVALID))
def api_indicators(caller: Reader) -> list[dict[str, Any]]:
    """全部指标定义：稳定的指标代码、名称、读取的问卷、对应的规划条目、统计量、显示刻度和目标。"""
    rows = catalogue()
    return [{"code": i.code, "name": i.name, "survey": s.survey, "stat": i.stat, "scale": i.scale,
             "target": i.target.as_dict(),
             "plan": [{"row_id": r, "domain": rows[r]["domain"], "target": rows[r]["target"]} for r in i.plan if r in rows]}
            for s in evaluations.bundled().values() for i in s.indicators]


@router.get("/api/v1/evaluations/{wave}", name="api_evaluation", response_model=EvaluationOut,
            responses=problems(*_SIGNED_IN, results.R.BAD_UNIT, results.R.NO_WAVE_WEIGHTS, P.REQUEST_INVALID))
def api_evaluation(session: SessionDep, catalog: CatalogDep, caller: Reader, wave: WaveP,
                   unit: UnitQ = "") -> dict[str, Any]:
    """一轮抽样调查在一个单位的指标达标评估：每个指标的估计值、标准误、置信区间、样本量、标记、是否压制、
    达标状态和预警，按性别、年龄组、城乡、乡镇分组，两类分组的差距及其标准误，与上一轮相比的变化和推算到目标年份的值。"""
    return _evaluated(session, catalog, caller, wave, unit).document()


@router.get("/console/waves/{wave}/evaluation", name="evaluation_page", include_in_schema=False)
def evaluation_page(request: Request, session: SessionDep, catalog: CatalogDep, caller: Reader, wave: int,
                    unit: UnitQ = "") -> Response:
    found, place = target_of(session, caller, wave, unit)
    context: dict[str, Any] = {"wave": found, "unit": place, "problem": None, "rows": [], "doc": None,
                               "marks": STATUS_MARK, "classes": STATUS_CLASS}  # the report's marks and colours
    try:
        done = evaluations.evaluate_wave(session, catalog, found, place)
    except Problem as problem:
        return page(request, "console/evaluation.html", caller, {**context, "problem": problem},
                    status_code=problem.status)
    doc = done.document()
    names = {d.code: d for _, d in evaluations.all_definitions()}
    rows = [{**e, "name": names[e["code"]].name if e["code"] in names else e["code"]}
            for e in doc["indicators"] + doc["indices"] if e["breakdown"] is None]
    return page(request, "console/evaluation.html", caller, {**context, "rows": rows, "doc": doc})


@router.get("/console/waves/{wave}/evaluation/report.{kind}", name="evaluation_report", include_in_schema=False)
def evaluation_report(session: SessionDep, catalog: CatalogDep, caller: Reader, wave: int, kind: str,
                      unit: UnitQ = "") -> Response:
    """One file of the report pack, built in a temporary folder that is deleted once it is sent."""
    if kind not in FILES:
        raise Problem(S.NOT_FOUND)
    done = _evaluated(session, catalog, caller, wave, unit)
    folder = FilePath(tempfile.mkdtemp(prefix="cunsheng-report-"))
    try:
        evaluations.report_pack(session, catalog, done, folder / "pack")
    except AnalysisError as err:  # chromium missing or failing: the server's problem, not the caller's
        raise Problem(results.R.REPORT_FAILED, why=err.message) from err
    finally:
        if not (folder / "pack" / FILES[kind][0]).is_file():
            shutil.rmtree(folder, ignore_errors=True)
    name, media = FILES[kind]
    download = f"wave{done.wave.id}_{done.unit.code}_{name}"
    return FileResponse(folder / "pack" / name, media_type=media, filename=download,
                        background=BackgroundTask(shutil.rmtree, folder, ignore_errors=True))
