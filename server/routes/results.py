"""Weighted results pages of the console, their chart, design file, and JSON / CSV twins.

`/console/results/{survey}?unit=CODE&q=VARIABLE`: one question's estimates (overall and by 性别 / 年龄组
/ 城乡 / 乡镇) for a unit of the caller's subtree (any other unit is 404, as if it did not exist);
aggregates only (verb `results.read`). Every rendering reads one tidy table from `server.results`.
"""

from __future__ import annotations

import csv
import io
import json
import math
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import Response

from server import results, wavedesign
from server.apidoc import problems
from server.auth import Caller, need
from server.catalog import Catalog
from server.deps import CatalogDep, SessionDep
from server.errors import P
from server.routes.console import page
from server.routes.waves import scope
from server.staff_errors import S
from server.store import units, waves
from server.store.units import Unit
from server.unitcodes import CODE
from surveys.problem import Problem

router = APIRouter()
Reader = Annotated[Caller, Depends(need("results.read"))]
UnitQ = Annotated[str, Query(max_length=40, description="12 位单位代码；默认为本人权限范围的最上级单位")]
VarQ = Annotated[str, Query(max_length=80, description="问题（变量）名；默认为第一个可分析的问题")]
WaveQ = Annotated[int | None, Query(ge=1, le=2**31 - 1,  # a database integer: a larger one is no wave
                                    description="抽样调查轮次的编号：按其抽样设计和权数估计；默认为自填答卷的事后加权")]


def _unit(session: Any, caller: Caller, code: str) -> Unit:
    code = code.strip() or caller.units_for("results.read")[0]
    if not CODE.fullmatch(code):
        raise Problem(results.R.BAD_UNIT, unit=code[:20])
    unit = units.get_unit(session, code)
    if unit is None or not caller.may("results.read", code):
        raise Problem(S.NOT_FOUND)
    return unit


def _survey(catalog: Catalog, survey: str) -> None:
    if survey not in catalog.current:
        raise Problem(P.SURVEY_NOT_FOUND, survey=survey[:64])


def _pool(session: Any, catalog: Catalog, survey: str, place: Unit, wave: int | None) -> results.Pool:
    """A wave's weighted interviews, or the self-completed responses weighted to the population."""
    if wave is None:
        return results.pool_of(session, catalog, survey, place)
    found = waves.get_wave(session, wave)
    if found is None:
        raise Problem(S.NOT_FOUND)
    return wavedesign.pool(session, catalog, found, survey, place)


def _context(session: Any, catalog: Catalog, caller: Caller, survey: str, unit: str, q: str,
             wave: int | None = None) -> dict[str, Any]:
    _survey(catalog, survey)
    place = _unit(session, caller, unit)
    compiled = catalog.current[survey].survey
    choices = results.variables(compiled)
    variable = results.variable_of(compiled, q) if q else choices[0]
    pool = _pool(session, catalog, survey, place, wave)
    tidy, failed = results.table(pool, variable) if pool.weighted is not None else (None, [])
    return {"survey": compiled, "unit": place, "variable": variable, "choices": choices, "pool": pool, "table": tidy,
            "failed": failed, "note": pool.note, "merges": [*results.merges_zh(pool), *pool.notes],
            "excluded": results.excluded_zh(pool), "wave": wave}


def _number(value: Any) -> Any:
    return None if value is None or (isinstance(value, float) and not math.isfinite(value)) else value


def _records(tidy: Any) -> list[dict[str, Any]]:
    return [{k: _number(v) for k, v in row.items()} for row in tidy.to_dict("records")] if tidy is not None else []


def _display(ctx: dict[str, Any]) -> list[dict[str, Any]]:
    """Rows for people: percentages for proportions, '—' where a cell is not shown."""
    scale, digits = (100, 1) if ctx["variable"].percent else (1, 2)

    def fmt(value: Any) -> str:
        return "—" if _number(value) is None else f"{value * scale:.{digits}f}"

    out = []
    for r in _records(ctx["table"]):
        ok = r["shown"]
        out.append({**r, "est": fmt(r["estimate"]) if ok else "—", "sed": fmt(r["se"]) if ok else "—",
                    "ci": f"{fmt(r['ci_low'])}–{fmt(r['ci_high'])}" if ok else "—"})
    return out


@router.get("/console/results", name="results_index", include_in_schema=False)
def results_index(request: Request, session: SessionDep, catalog: CatalogDep, caller: Reader) -> Response:
    surveys = [(name, pub.survey.title) for name, pub in sorted(catalog.current.items())]
    drawn = [w for w in waves.list_waves(session) if w.drawn_at is not None and scope(caller, "results.read", w)]
    return page(request, "console/results_index.html", caller, {"surveys": surveys, "waves": drawn})


@router.get("/console/results/{survey}", name="results_page", include_in_schema=False)
def results_page(request: Request, session: SessionDep, catalog: CatalogDep, caller: Reader, survey: str,
                 unit: UnitQ = "", q: VarQ = "", wave: WaveQ = None) -> Response:
    ctx = _context(session, catalog, caller, survey, unit, q, wave)
    sections: dict[str, list[dict[str, Any]]] = {}
    for row in _display(ctx):
        sections.setdefault(row["breakdown_label"], []).append(row)
    return page(request, "console/results.html", caller, {**ctx, "sections": list(sections.items())})


@router.get("/console/results/{survey}/chart.svg", name="results_chart", include_in_schema=False)
def results_chart(session: SessionDep, catalog: CatalogDep, caller: Reader, survey: str, unit: UnitQ = "",
                  q: VarQ = "", wave: WaveQ = None) -> Response:
    from analysis.report.chart import Point, interval_chart

    ctx = _context(session, catalog, caller, survey, unit, q, wave)
    variable, rows = ctx["variable"], _records(ctx["table"])
    if variable.stat == "prop":
        rows = [r for r in rows if r["breakdown"] == "overall"]
    points = [Point(r["level_label"] if variable.stat == "prop" else r["group_label"],
                    r["estimate"] if r["shown"] else None, r["ci_low"], r["ci_high"]) for r in rows]
    svg = interval_chart(points, variable.label[:30], percent=variable.percent)
    return Response(svg, media_type="image/svg+xml", headers={"Cache-Control": "private, max-age=60"})


@router.get("/console/results/{survey}/design.json", name="results_design", include_in_schema=False)
def results_design(session: SessionDep, catalog: CatalogDep, caller: Reader, survey: str,
                   unit: UnitQ = "", wave: WaveQ = None) -> Response:
    _survey(catalog, survey)
    pool = _pool(session, catalog, survey, _unit(session, caller, unit), wave)
    if pool.weighted is None:
        raise Problem(S.NOT_FOUND)
    body = json.dumps(pool.weighted.design, ensure_ascii=False, indent=2)
    name = f"design_{survey}_{pool.unit.code}.json"
    return Response(body, media_type="application/json",
                    headers={"Content-Disposition": f'attachment; filename="{name}"'})


@router.get("/api/v1/results/{survey}", name="api_results",
            responses=problems(S.SIGN_IN_REQUIRED, S.TOKEN_INVALID, S.NOT_FOUND, results.R.UNKNOWN_VARIABLE,
                               results.R.BAD_UNIT, results.R.BAD_FORMAT, results.R.NO_TARGET, P.REQUEST_INVALID))
def api_results(session: SessionDep, catalog: CatalogDep, caller: Reader, survey: str, unit: UnitQ = "",
                q: VarQ = "", format: Annotated[str, Query(max_length=10)] = "json", wave: WaveQ = None) -> Response:
    """一个问题的加权估计（总体及按性别、年龄组、城乡、乡镇）；format=csv 给出同一张表（UTF-8 带 BOM）；
    wave=抽样调查轮次编号时按该轮的抽样设计和权数估计。"""
    if format not in ("json", "csv"):
        raise Problem(results.R.BAD_FORMAT, value=format[:10])
    ctx = _context(session, catalog, caller, survey, unit, q, wave)
    rows = _records(ctx["table"])
    if format == "csv":
        out = io.StringIO()
        out.write("\ufeff")
        writer = csv.DictWriter(out, fieldnames=results.COLUMNS, lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)
        return Response(out.getvalue(), media_type="text/csv; charset=utf-8",
                        headers={"Content-Disposition": f'attachment; filename="results_{survey}_{q or "q"}.csv"'})
    pool = ctx["pool"]
    doc = {"survey": survey, "unit": ctx["unit"].code, "unit_name": ctx["unit"].name, "variable": ctx["variable"].name,
           "label": ctx["variable"].label, "stat": ctx["variable"].stat, "note": ctx["note"], "wave": wave,
           "merges": ctx["merges"], "excluded": ctx["excluded"], "failed": ctx["failed"],
           "problem": pool.problem.message if pool.problem else None, "rows": rows}
    return Response(json.dumps(doc, ensure_ascii=False, allow_nan=False), media_type="application/json")
