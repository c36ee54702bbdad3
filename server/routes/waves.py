"""Waves in the console: the list and the new-wave form (admins), a wave's page — its sample, the
supervisor's dashboard by village, township and collector, rates, weights — drawing the sample,
moving the status on, and a sampled village's household listing (its collector and supervisors).

A wave is seen by whoever holds `fieldwork.view` on a unit overlapping its own, and only the part of
it inside the caller's subtree. Changing it needs `waves.manage` covering the wave's unit. Listings
need `listing.edit` on the village (the `{code}` of the path). Each write is audited with the write.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse, RedirectResponse, Response
from starlette.datastructures import UploadFile

from server import fieldstats, fieldwork, signin, wavedesign
from server.auth import Caller, csrf_token, need
from server.deps import CatalogDep, SessionDep
from server.field_errors import F
from server.render import render
from server.security import check_same_origin
from server.staff_errors import S
from server.store import audit, listings, units, waves
from server.store.waves import Wave
from server.unitcodes import is_under
from surveys.problem import Problem

router = APIRouter(dependencies=[Depends(check_same_origin)], include_in_schema=False)
ViewDep = Annotated[Caller, Depends(need("fieldwork.view"))]
ManageDep = Annotated[Caller, Depends(need("waves.manage"))]
ListingDep = Annotated[Caller, Depends(need("listing.edit"))]
LISTING_MAX_KB = 512
DEFAULT_POPULATION = {"women": "women18", "caregiver": "caregiver", "child": "child10"}


def scope(caller: Caller, verb: str, wave: Wave) -> str | None:
    """The unit whose part of the wave the caller sees: the wave's unit, or a grant below it."""
    for top in caller.units_for(verb):
        if is_under(wave.unit, top):
            return wave.unit
    below = [top for top in caller.units_for(verb) if is_under(top, wave.unit)]
    return below[0] if below else None


def wave_for(session: SessionDep, caller: Caller, verb: str, wave_id: int) -> tuple[Wave, str]:
    """The wave and the caller's part of it; 404 when it does not exist for the caller."""
    wave = waves.get_wave(session, wave_id)
    part = scope(caller, verb, wave) if wave is not None else None
    if wave is None or part is None:
        raise Problem(S.NOT_FOUND)
    return wave, part


def _managed(session: SessionDep, caller: Caller, wave_id: int) -> Wave:
    wave = waves.get_wave(session, wave_id)
    if wave is None or not caller.may("waves.manage", wave.unit):
        raise Problem(S.NOT_FOUND)
    return wave


def _list_page(request: Request, session: SessionDep, catalog: CatalogDep, caller: Caller,
               problem: Problem | None = None) -> Response:
    seen = [w for w in waves.list_waves(session) if scope(caller, "fieldwork.view", w) is not None]
    tops = caller.units_for("waves.manage")
    context = {"caller": caller, "csrf": csrf_token(request, caller), "waves": seen, "problem": problem,
               "stages": waves.STAGES, "statuses": waves.STATUSES, "populations": waves.POPULATIONS,
               "rules": waves.RULES, "strata": waves.STRATA, "allocations": waves.ALLOCATIONS,
               "surveys": [(n, p.survey.title) for n, p in sorted(catalog.current.items())],
               "default_population": DEFAULT_POPULATION,
               "units": [(u.code, u.name) for top in tops if (u := units.get_unit(session, top)) is not None]}
    return render(request, "console/waves.html", context, status_code=problem.status if problem else 200)


@router.get("/console/waves", name="wave_list")
def wave_list(request: Request, caller: ViewDep, session: SessionDep, catalog: CatalogDep) -> Response:
    return _list_page(request, session, catalog, caller)


@router.post("/console/waves", name="wave_create")
async def wave_create(request: Request, caller: ManageDep, session: SessionDep, catalog: CatalogDep) -> Response:
    form = await request.form(max_fields=64)
    text = {k: str(form.get(k, "")) for k in ("name", "stage", "year", "unit", "villages", "per_village", "reserve",
                                               "rule", "strata", "allocation", "seed")}
    chosen = [str(s) for s in form.getlist("survey")]
    posted = fieldwork.WaveForm(surveys=[(s, str(form.get(f"population_{s}", ""))) for s in chosen], **text)
    try:
        if not caller.may("waves.manage", posted.unit) or units.get_unit(session, posted.unit) is None:
            raise Problem(F.WAVE_FIELD, field="调查范围", why="请选择您管辖的单位")
        wave = fieldwork.new_wave(session, posted, set(catalog.current))
        audit.record(session, caller.username, caller.staff_id, "wave.create", "wave", wave.id, wave.unit,
                     {"name": wave.name, "stage": wave.stage, "year": wave.year}, signin.address(request))
        session.commit()
    except Problem as problem:
        session.rollback()
        return _list_page(request, session, catalog, caller, problem)
    return RedirectResponse(request.app.url_path_for("wave_page", wave=str(wave.id)), status_code=303)


def _wave_page(request: Request, session: SessionDep, catalog: CatalogDep, caller: Caller, wave: Wave, part: str,
               problem: Problem | None = None) -> Response:
    progress = fieldstats.progress(session, wave, part, wavedesign.flag_counts(session, catalog, wave, part))
    context = {"caller": caller, "csrf": csrf_token(request, caller), "wave": wave, "part": part,
               "unit": units.get_unit(session, part), "problem": problem, "stages": waves.STAGES,
               "statuses": waves.STATUSES, "populations": waves.POPULATIONS, "rules": waves.RULES,
               "strata": waves.STRATA, "allocations": waves.ALLOCATIONS, "next_status": waves.NEXT_STATUS,
               "sample": waves.sample_of(session, wave.id or 0, under=part), "names": progress.names,
               "overall": fieldstats.overall(progress), "groups": fieldstats.GROUPS, "rates_shown": fieldstats.SHOWN_RATES,
               "boards": {by: fieldstats.dashboard(progress, by) for by in fieldstats.GROUPS},
               "manage": caller.may("waves.manage", wave.unit),
               "given_strata": fieldwork.default_strata(session, wave) if wave.allocation == "given" else [],
               "weights": wavedesign.summaries(session, catalog, wave, part)}
    return render(request, "console/wave.html", context, status_code=problem.status if problem else 200)


@router.get("/console/waves/{wave}", name="wave_page")
def wave_page(request: Request, caller: ViewDep, session: SessionDep, catalog: CatalogDep, wave: int) -> Response:
    found, part = wave_for(session, caller, "fieldwork.view", wave)
    return _wave_page(request, session, catalog, caller, found, part)


@router.get("/console/waves/{wave}/rates.json", name="wave_rates")
def wave_rates(caller: ViewDep, session: SessionDep, wave: int, by: str = "") -> JSONResponse:
    """The wave's rates as `cunsheng rates --json` prints them (closed cases of the caller's part)."""
    found, part = wave_for(session, caller, "fieldwork.view", wave)
    if by and by not in fieldstats.GROUPS:
        raise Problem(F.CASE_INPUT, field="by", why="只能是 township、village 或 collector")
    return JSONResponse(fieldstats.rates(fieldstats.progress(session, found, part), by or None))


@router.post("/console/waves/{wave}/sample", name="wave_sample")
def wave_sample(request: Request, caller: ManageDep, session: SessionDep, catalog: CatalogDep, wave: int) -> Response:
    found = _managed(session, caller, wave)
    try:
        drawn = fieldwork.draw_sample(session, found)
        audit.record(session, caller.username, caller.staff_id, "wave.sample", "wave", found.id, found.unit,
                     {"villages": len(drawn), "seed": found.seed, "merges": len(found.merges)}, signin.address(request))
        session.commit()
    except Problem as problem:
        session.rollback()
        return _wave_page(request, session, catalog, caller, found, found.unit, problem)
    return RedirectResponse(request.app.url_path_for("wave_page", wave=str(found.id)), status_code=303)


@router.post("/console/waves/{wave}/given", name="wave_given")
async def wave_given(request: Request, caller: ManageDep, session: SessionDep, catalog: CatalogDep, wave: int) -> Response:
    """The villages per stratum of a wave whose allocation is given (before the draw)."""
    found = _managed(session, caller, wave)
    form = await request.form(max_fields=256)
    posted = {k[2:]: str(v) for k, v in form.items() if k.startswith("n_")}
    try:
        given = fieldwork.set_given(session, found, posted)
        audit.record(session, caller.username, caller.staff_id, "wave.given", "wave", found.id, found.unit,
                     {"strata": len(given), "villages": sum(given.values())}, signin.address(request))
        session.commit()
    except Problem as problem:
        session.rollback()
        return _wave_page(request, session, catalog, caller, found, found.unit, problem)
    return RedirectResponse(request.app.url_path_for("wave_page", wave=str(found.id)), status_code=303)


@router.post("/console/waves/{wave}/advance", name="wave_advance")
def wave_advance(request: Request, caller: ManageDep, session: SessionDep, catalog: CatalogDep, wave: int) -> Response:
    found = _managed(session, caller, wave)
    try:
        fieldwork.require_status(found, "planning", "fieldwork")
        if found.drawn_at is None:
            raise Problem(F.WAVE_STATUS, name=found.name, status=waves.STATUSES[found.status], needs="请先抽取样本")
        status = waves.advance(session, found)
        audit.record(session, caller.username, caller.staff_id, "wave.advance", "wave", found.id, found.unit,
                     {"status": status}, signin.address(request))
        session.commit()
    except Problem as problem:
        session.rollback()
        return _wave_page(request, session, catalog, caller, found, found.unit, problem)
    return RedirectResponse(request.app.url_path_for("wave_page", wave=str(found.id)), status_code=303)


def _listing_page(request: Request, session: SessionDep, caller: Caller, wave: Wave, code: str,
                  problem: Problem | None = None) -> Response:
    row = waves.wave_village(session, wave.id or 0, code)
    context = {"caller": caller, "csrf": csrf_token(request, caller), "wave": wave, "row": row,
               "village": units.get_unit(session, code), "problem": problem, "max_kb": LISTING_MAX_KB,
               "entries": listings.listing_of(session, wave.id or 0, code)}
    return render(request, "console/listing.html", context, status_code=problem.status if problem else 200)


def _sampled(session: SessionDep, wave_id: int, code: str) -> Wave:
    wave = waves.get_wave(session, wave_id)
    if wave is None or waves.wave_village(session, wave_id, code) is None:
        raise Problem(S.NOT_FOUND)
    return wave


@router.get("/console/waves/{wave}/villages/{code}/listing", name="listing_page")
def listing_page(request: Request, caller: ListingDep, session: SessionDep, wave: int, code: str) -> Response:
    return _listing_page(request, session, caller, _sampled(session, wave, code), code)


@router.post("/console/waves/{wave}/villages/{code}/listing", name="listing_upload")
async def listing_upload(request: Request, caller: ListingDep, session: SessionDep, wave: int, code: str) -> Response:
    found = _sampled(session, wave, code)
    form = await request.form(max_files=1, max_fields=8)
    try:
        item = form.get("listing")
        if not isinstance(item, UploadFile) or not item.filename:
            raise Problem(F.LISTING_MISSING)
        data = await item.read(LISTING_MAX_KB * 1024 + 1)
        if len(data) > LISTING_MAX_KB * 1024:
            raise Problem(S.DEFINITION_TOO_LARGE, size=f"超过 {LISTING_MAX_KB}", limit=LISTING_MAX_KB)
        row = waves.wave_village(session, wave, code)
        assert row is not None
        made = fieldwork.take_listing(session, found, row, fieldwork.parse_listing(data))
        audit.record(session, caller.username, caller.staff_id, "listing.upload", "wave_village", row.id, code,
                     {"wave": found.id, "households": row.listed, "cases": len(made)}, signin.address(request))
        session.commit()
    except Problem as problem:
        session.rollback()
        return _listing_page(request, session, caller, found, code, problem)
    finally:
        await form.close()
    return RedirectResponse(request.app.url_path_for("listing_page", wave=str(wave), code=code), status_code=303)


@router.get("/console/waves/{wave}/design.json", name="wave_design")
def wave_design(caller: ViewDep, session: SessionDep, wave: int, survey: str = "") -> JSONResponse:
    """The wave's design file (the `cunsheng estimate` design format) for the export's stratum, psu and
    weight columns: stage 1 with replacement, certainty villages as strata of their own."""
    found, _ = wave_for(session, caller, "fieldwork.view", wave)
    name = "".join(ch for ch in survey if ch.isalnum() or ch == "_")[:64] or "wave"
    return JSONResponse(wavedesign.design_document(), headers={
        "Content-Disposition": f'attachment; filename="wave{found.id}_{name}_design.json"'})
