"""Questionnaires in the console (admins): the list with versions and response counts, a read-only
preview, publishing a new version from an uploaded definition, opening and closing for responses,
the office's introduction and contact line, and printable QR posters of the village links.

Every route declares `surveys.manage`. Reading (list, preview, posters) is scoped to the caller's
subtree: counts and posters cover only her villages. Changing a questionnaire affects every village
of the deployment, so it needs a grant that covers all of them (the county office's admin); anyone
else gets 404, as for anything outside one's subtree. Each write is audited in its own transaction
and then applied to this process's catalogue; other processes pick it up on their next refresh
(`server.catalog.refresh`).
"""

from __future__ import annotations

import unicodedata
from collections.abc import AsyncIterator
from itertools import groupby
from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy.exc import IntegrityError
from starlette.datastructures import UploadFile

from server import catalog as catalogue
from server import posters, signin, staffviews
from server.auth import Caller, csrf_token, need
from server.catalog import Published
from server.deps import CatalogDep, SessionDep, SurveyDep
from server.errors import P
from server.render import render
from server.security import check_same_origin
from server.staff_errors import S
from server.store import audit, questionnaires, units
from server.store.units import VillageChoice
from server.unitcodes import is_under, level_of, parent_code
from surveys.errors import DefinitionInvalid
from surveys.problem import Problem

router = APIRouter(dependencies=[Depends(check_same_origin)], include_in_schema=False)
AdminDep = Annotated[Caller, Depends(need("surveys.manage"))]
DEFINITION_MAX_KB = 200  # a bundled definition is about 30 KB; stays under the body limit so this message shows


def _tops(caller: Caller) -> list[str]:
    return caller.units_for("surveys.manage")


def _villages(session: SessionDep, caller: Caller) -> list[VillageChoice]:
    """The villages of the caller's subtrees, in code order."""
    seen = {v.code: v for top in _tops(caller) for v in units.list_villages(session, under=top)}
    return [seen[code] for code in sorted(seen)]


def _county_wide(session: SessionDep, caller: Caller) -> bool:
    """Whether the caller's grants cover every village (so she may change what all of them see)."""
    return len(_villages(session, caller)) == units.village_count(session)


def _require_county_wide(session: SessionDep, caller: Caller) -> None:
    if not _county_wide(session, caller):
        raise Problem(S.NOT_FOUND)


def _townships(villages: list[VillageChoice]) -> list[tuple[str, str, int]]:
    """(code, name, villages) of the townships of these villages."""
    return [(code, group[0].township, len(group)) for code, group in
            ((code, list(g)) for code, g in groupby(villages, key=lambda v: parent_code(v.code) or ""))]


def _list_page(request: Request, session: SessionDep, catalog: catalogue.Catalog, caller: Caller,
               problem: Problem | None = None, findings: list[str] | None = None) -> Response:
    rows = staffviews.questionnaire_rows(session, catalog, caller)
    context = {"caller": caller, "csrf": csrf_token(request, caller), "rows": rows, "problem": problem,
               "findings": findings or [], "townships": _townships(_villages(session, caller)),
               "county_wide": _county_wide(session, caller), "max_kb": DEFINITION_MAX_KB,
               "intro_max": questionnaires.INTRO_MAX, "contact_max": questionnaires.CONTACT_MAX}
    return render(request, "console/surveys.html", context, status_code=problem.status if problem else 200)


@router.get("/console/surveys", name="survey_list")
def survey_list(request: Request, caller: AdminDep, session: SessionDep, catalog: CatalogDep) -> Response:
    return _list_page(request, session, catalog, caller)


@router.get("/console/surveys/{survey}/preview", name="survey_preview")
def survey_preview(request: Request, caller: AdminDep, catalog: CatalogDep, pub: SurveyDep,
                   version: int | None = None) -> Response:
    """Every page of a version as a read-only listing (no draft is made, nothing is stored)."""
    shown = pub if version is None else catalog.versions.get((pub.survey.name, version))
    if shown is None:
        raise Problem(P.VERSION_NOT_FOUND, survey=pub.survey.name, version=version)
    numbers = sorted(n for name, n in catalog.versions if name == pub.survey.name)
    return render(request, "console/surveys_preview.html", {
        "caller": caller, "csrf": csrf_token(request, caller), "shown": shown, "current": pub, "numbers": numbers,
        "state": catalog.state(pub.survey.name)})


async def uploaded_definition(request: Request) -> AsyncIterator[UploadFile | None]:
    """The posted definition file. Read before the caller is checked (as FastAPI reads any form first),
    so that its spooled file is closed whatever the answer; a body over the server's limit is
    `request.too_large` (413) while it streams in."""
    form = await request.form(max_files=1, max_fields=16)
    try:
        item = form.get("definition")
        yield item if isinstance(item, UploadFile) else None
    finally:
        await form.close()


def _read_definition(definition: UploadFile | None) -> tuple[bytes, str]:
    """The uploaded bytes and file name, bounded in size and checked to be UTF-8 text."""
    if definition is None or not definition.filename:
        raise Problem(S.DEFINITION_MISSING)
    data = definition.file.read(DEFINITION_MAX_KB * 1024 + 1)
    if len(data) > DEFINITION_MAX_KB * 1024:
        raise Problem(S.DEFINITION_TOO_LARGE, size=f"超过 {DEFINITION_MAX_KB}", limit=DEFINITION_MAX_KB)
    if not data.strip():
        raise Problem(S.DEFINITION_MISSING)
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise Problem(S.DEFINITION_NOT_TEXT) from None
    if any(unicodedata.category(ch) == "Cc" and ch not in "\n\r\t" for ch in text):
        raise Problem(S.DEFINITION_NOT_TEXT)
    return data, definition.filename[-100:]


@router.post("/console/surveys/publish", name="survey_publish")
def survey_publish(request: Request, definition: Annotated[UploadFile | None, Depends(uploaded_definition)],
                   caller: AdminDep, session: SessionDep, catalog: CatalogDep) -> Response:
    """Compile and check an uploaded definition; store it as a new version only when it is sound."""
    _require_county_wide(session, caller)
    try:
        data, file = _read_definition(definition)
        pub, new = catalogue.publish(session, catalog, data, file)
        if not new:
            raise Problem(S.ALREADY_PUBLISHED, survey=pub.survey.name, number=pub.number)
        audit.record(session, caller.username, caller.staff_id, "survey.publish", "survey_version", pub.version_id,
                     caller.home, {"survey": pub.survey.name, "number": pub.number, "sha256": pub.survey.sha256, "file": file},
                     signin.address(request))
        session.commit()
    except DefinitionInvalid as exc:
        session.rollback()
        problem = Problem(S.DEFINITION_INVALID, file=exc.findings[0].file if exc.findings else "",
                          count=len(exc.findings))
        lines = [f"{f.where}：{f.message}" if f.where else f.message for f in exc.findings]
        return _list_page(request, session, catalog, caller, problem, lines)
    except IntegrityError:  # another process stored this number meanwhile
        session.rollback()
        return _list_page(request, session, catalog, caller, Problem(S.PUBLISH_RACE))
    except Problem as problem:
        session.rollback()
        return _list_page(request, session, catalog, caller, problem)
    catalog.add(pub)
    url = request.app.url_path_for("survey_preview", survey=pub.survey.name)
    return RedirectResponse(f"{url}?version={pub.number}", status_code=303)


def _set_open(request: Request, caller: Caller, session: SessionDep, catalog: catalogue.Catalog, pub: Published,
              is_open: bool) -> Response:
    _require_county_wide(session, caller)
    row = questionnaires.set_open(session, pub.survey.name, is_open)
    audit.record(session, caller.username, caller.staff_id, "survey.open" if is_open else "survey.close",
                 "questionnaire", pub.survey.name, caller.home, {"survey": pub.survey.name}, signin.address(request))
    session.commit()
    catalog.keep_state(row)
    return RedirectResponse(request.app.url_path_for("survey_list"), status_code=303)


@router.post("/console/surveys/{survey}/open", name="survey_open")
def survey_open(request: Request, caller: AdminDep, session: SessionDep, catalog: CatalogDep,
                pub: SurveyDep) -> Response:
    return _set_open(request, caller, session, catalog, pub, True)


@router.post("/console/surveys/{survey}/close", name="survey_close")
def survey_close(request: Request, caller: AdminDep, session: SessionDep, catalog: CatalogDep,
                 pub: SurveyDep) -> Response:
    return _set_open(request, caller, session, catalog, pub, False)


def _clean(text: str, field: str, limit: int, one_line: bool) -> str:
    """Text as stored: newlines normalised (none in a one-line field), other control characters dropped."""
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    if one_line:
        text = " ".join(text.split("\n"))
    text = "".join(ch for ch in text if ch == "\n" or unicodedata.category(ch) not in ("Cc", "Cs")).strip()
    if len(text) > limit:
        raise Problem(S.TEXT_TOO_LONG, field=field, limit=limit, count=len(text))
    return text


@router.post("/console/surveys/{survey}/settings", name="survey_settings")
def survey_settings(request: Request, caller: AdminDep, session: SessionDep, catalog: CatalogDep, pub: SurveyDep,
                    intro: Annotated[str, Form()] = "", contact: Annotated[str, Form()] = "") -> Response:
    """The office's own introduction (shown before the definition's) and contact line."""
    _require_county_wide(session, caller)
    try:
        text = _clean(intro, "介绍", questionnaires.INTRO_MAX, one_line=False)
        line = _clean(contact, "联系方式", questionnaires.CONTACT_MAX, one_line=True)
    except Problem as problem:
        return _list_page(request, session, catalog, caller, problem)
    row = questionnaires.set_texts(session, pub.survey.name, text, line)
    audit.record(session, caller.username, caller.staff_id, "survey.settings", "questionnaire", pub.survey.name,
                 caller.home, {"survey": pub.survey.name, "intro_chars": len(text), "contact": line}, signin.address(request))
    session.commit()
    catalog.keep_state(row)
    return RedirectResponse(request.app.url_path_for("survey_list"), status_code=303)


def _link(request: Request, survey: str, village: str) -> str:
    """The full address of a village's introduction (CUNSHENG_PUBLIC_URL, else this request's base)."""
    base = request.app.state.settings.public_url.rstrip("/") or str(request.base_url).rstrip("/")
    return base + str(request.app.url_path_for("intro_village", survey=survey, village=village))


@router.get("/console/surveys/{survey}/posters", name="survey_posters")
def survey_posters(request: Request, caller: AdminDep, session: SessionDep, catalog: CatalogDep, pub: SurveyDep,
                   township: str = "") -> Response:
    """An A4 PDF, one page per village of the township that lies in the caller's subtree."""
    code = township.strip()[:12]
    unit = units.get_unit(session, code) if level_of(code) == "township" else None
    mine = [v for v in _villages(session, caller) if is_under(v.code, code)] if unit is not None else []
    if not mine:
        raise Problem(S.TOWNSHIP_NOT_FOUND, code=code)
    contact = catalog.state(pub.survey.name).contact
    pages = [posters.Poster(pub.survey.title, v.name, v.township, _link(request, pub.survey.name, v.code), contact)
             for v in mine]
    body = posters.posters_pdf(pages, f"{pub.survey.title} · {unit.name if unit else ''}")
    filename = f"posters-{pub.survey.name}-{code}.pdf"
    return Response(body, media_type="application/pdf",
                    headers={"Content-Disposition": f'inline; filename="{filename}"', "Cache-Control": "no-store"})


@router.get("/console/surveys/{survey}/poster/{village}.png", name="survey_poster")
def survey_poster(request: Request, caller: AdminDep, session: SessionDep, pub: SurveyDep, village: str) -> Response:
    """One village's QR code (of its full link) as a PNG, for a notice or a group chat."""
    if units.find_village(session, village[:12]) is None or not caller.may("surveys.manage", village):
        raise Problem(P.VILLAGE_NOT_FOUND, village=village[:20])
    return Response(posters.qr_png(_link(request, pub.survey.name, village)), media_type="image/png",
                    headers={"Cache-Control": "no-store"})
