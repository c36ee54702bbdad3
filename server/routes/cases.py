"""The collector's cases in the console (on the collector's phone): the case list, a case with its
household locator and visits, selecting the respondent, the interview (the same phone pages,
recording the collector and the case), closing with a final disposition; supervisors reassign
cases and release reserve households; practice cases for training.

`cases.work` is held by collectors and supervisors: a collector sees only the cases assigned to
him or her, a supervisor those of the subtree; anything else is 404. Each write is audited with
the write itself.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import RedirectResponse, Response

from server import fieldsync, fieldwork, signin
from server.auth import Caller, csrf_token, need, now
from server.deps import CatalogDep, SessionDep, set_draft_cookie
from server.field_errors import F
from server.render import render
from server.security import check_same_origin
from server.staff_errors import S
from server.store import audit, cases, drafts, listings, responses, reviews, staff, units, updates, waves
from server.store.cases import Case
from surveys import flow
from surveys.problem import Problem

router = APIRouter(dependencies=[Depends(check_same_origin)], include_in_schema=False)
WorkDep = Annotated[Caller, Depends(need("cases.work"))]
AssignDep = Annotated[Caller, Depends(need("cases.assign"))]


def sees_case(caller: Caller, verb: str, case: Case) -> bool:
    """Whoever assigns cases (supervisors) sees the subtree's; a collector only his or her own."""
    return caller.may("cases.assign", case.village) or (case.collector_id == caller.staff_id
                                                        and caller.may(verb, case.village))


def case_for(session: SessionDep, caller: Caller, verb: str, case_id: int) -> Case:
    case = cases.get_case(session, case_id)
    if case is None or not sees_case(caller, verb, case) or not case.released:
        raise Problem(S.NOT_FOUND)
    return case


@router.get("/console/cases", name="case_list")
def case_list(request: Request, caller: WorkDep, session: SessionDep, catalog: CatalogDep,
              wave: int | None = None) -> Response:
    """The collector's own cases; a supervisor's subtree, one wave at a time (the latest by default)."""
    supervised = caller.units_for("cases.assign")
    mine = cases.assigned_to(session, caller.staff_id)
    seen: list[Case] = []
    shown = waves.get_wave(session, wave) if wave else None
    if supervised:
        open_waves = [w for w in waves.list_waves(session) if w.drawn_at is not None]
        shown = shown or (open_waves[0] if open_waves else None)
        if shown is not None:
            seen = [c for top in supervised for c in cases.cases_of(session, shown.id or 0, under=top, practice=None)]
    ids = {c.collector_id for c in mine + seen if c.collector_id is not None}
    context = {"caller": caller, "csrf": csrf_token(request, caller), "mine": mine, "seen": seen, "wave": shown,
               "names": {u.code: u.name for c in mine + seen if (u := units.get_unit(session, c.village))},
               "who": staff.usernames(session, ids), "dispositions": fieldwork.DISPOSITIONS_ZH,
               "titles": {name: pub.survey.title for name, pub in catalog.current.items()},
               "waves": [w for w in waves.list_waves(session) if w.drawn_at is not None] if supervised else []}
    return render(request, "console/cases.html", context)


def _case_page(request: Request, session: SessionDep, catalog: CatalogDep, caller: Caller, case: Case,
               problem: Problem | None = None) -> Response:
    wave = waves.get_wave(session, case.wave_id)
    assert wave is not None
    stored = responses.latest_versions(session, responses.by_instances(session, [case.instance_id])).get(case.instance_id)
    review = reviews.latest(session, [stored.id or 0]).get(stored.id or 0) if stored else None
    pub = catalog.current.get(case.survey)
    refused = updates.rejected_on(session, case.id or 0)  # a device's updates the server did not apply
    senders = {u.staff_id for u in refused} | ({case.collector_id} if case.collector_id else set())
    context = {"caller": caller, "csrf": csrf_token(request, caller), "case": case, "wave": wave, "problem": problem,
               "locator": listings.locators(session, case.wave_id, case.village).get(case.number, ""),
               "village": units.get_unit(session, case.village), "visits": cases.visits_of(session, case.id or 0),
               "results": cases.VISIT_RESULTS, "dispositions": fieldwork.DISPOSITIONS_ZH, "stored": stored,
               "review": review, "review_status": reviews.STATUS[reviews.status_of(review)],
               "survey_title": pub.survey.title if pub else case.survey, "rule": waves.RULES[wave.rule],
               "assign": caller.may("cases.assign", case.village), "refused": refused, "kinds": fieldsync.KINDS,
               "who": staff.usernames(session, senders)}
    return render(request, "console/case.html", context, status_code=problem.status if problem else 200)


@router.get("/console/cases/{case}", name="case_page")
def case_page(request: Request, caller: WorkDep, session: SessionDep, catalog: CatalogDep, case: int) -> Response:
    return _case_page(request, session, catalog, caller, case_for(session, caller, "cases.work", case))


def _write(request: Request, session: SessionDep, catalog: CatalogDep, caller: Caller, case: Case, verb: str,
           action: object, summary: dict[str, object]) -> Response:
    """Run one case write, audit it in the same transaction and come back to the case (or show the problem)."""
    try:
        wave = waves.get_wave(session, case.wave_id)
        assert wave is not None
        fieldwork.require_status(wave, "fieldwork")
        result = action() if callable(action) else None
        audit.record(session, caller.username, caller.staff_id, verb, "case", case.id, case.village,
                     {**summary, **(result if isinstance(result, dict) else {})}, signin.address(request))
        session.commit()
    except Problem as problem:
        session.rollback()
        return _case_page(request, session, catalog, caller, case, problem)
    return RedirectResponse(request.app.url_path_for("case_page", case=str(case.id)), status_code=303)


@router.post("/console/cases/{case}/visits", name="case_visit")
def case_visit(request: Request, caller: WorkDep, session: SessionDep, catalog: CatalogDep, case: int,
               result: Annotated[str, Form()] = "") -> Response:
    found = case_for(session, caller, "cases.work", case)

    def act() -> None:
        fieldwork.log_visit(session, found, result, caller.staff_id, now(request))
    return _write(request, session, catalog, caller, found, "case.visit", act, {"result": result})


@router.post("/console/cases/{case}/respondent", name="case_respondent")
def case_respondent(request: Request, caller: WorkDep, session: SessionDep, catalog: CatalogDep, case: int,
                    eligible: Annotated[str, Form()] = "", line: Annotated[str, Form()] = "") -> Response:
    found = case_for(session, caller, "cases.work", case)

    def act() -> dict[str, object]:
        wave = waves.get_wave(session, found.wave_id)
        assert wave is not None
        fieldwork.choose_respondent(session, wave, found, eligible.strip(), line.strip())
        return {"eligible": found.eligible, "line": found.line}
    return _write(request, session, catalog, caller, found, "case.respondent", act, {})


@router.post("/console/cases/{case}/interview", name="case_interview")
def case_interview(request: Request, caller: WorkDep, session: SessionDep, catalog: CatalogDep, case: int) -> Response:
    """Open the interview: a draft of the case's questionnaire with the case's instance id, recording
    the collector; the same phone pages follow."""
    found = case_for(session, caller, "cases.work", case)

    def check() -> tuple[Any, None, dict[str, object]]:
        fieldwork.require_open(found)
        if not found.eligible:
            raise Problem(F.RESPONDENT_FIRST)
        if responses.by_instances(session, [found.instance_id]):
            raise Problem(F.ALREADY_INTERVIEWED)
        return catalog.current[found.survey], None, {"survey": found.survey}
    return _open_interview(request, session, catalog, caller, found, "case.interview", check)


def _open_interview(request: Request, session: SessionDep, catalog: CatalogDep, caller: Caller, found: Case,
                    verb: str, check: Callable[[], tuple[Any, Any, dict[str, object]]]) -> Response:
    """After `check` (the version to fill, the response corrected or None, the audit summary), audit the
    opening and start the draft on the case's instance id, recording the collector; then the phone pages."""
    try:
        wave = waves.get_wave(session, found.wave_id)
        assert wave is not None
        fieldwork.require_status(wave, "fieldwork")
        pub, correcting, summary = check()
        first = flow.first_page(pub.survey)
        assert first is not None
        audit.record(session, caller.username, caller.staff_id, verb, "case", found.id, found.village, summary,
                     signin.address(request))
        session.commit()
    except Problem as problem:
        session.rollback()
        return _case_page(request, session, catalog, caller, found, problem)
    channel = correcting.channel if correcting is not None else "practice" if found.practice else "case"
    draft = drafts.start_draft(session, pub.survey.name, pub.version_id, found.village, first.name,
                               (found.instance_id, caller.staff_id, channel), correcting=correcting)
    response = RedirectResponse(request.app.url_path_for("show_page", survey=pub.survey.name, page=first.name),
                                status_code=303)
    set_draft_cookie(request, response, draft)
    return response


@router.post("/console/cases/{case}/correct", name="case_correct")
def case_correct(request: Request, caller: WorkDep, session: SessionDep, catalog: CatalogDep, case: int) -> Response:
    """Correct an interview the review sent back: a draft of its answers under a new instance id that
    names it as superseded; on submission both are kept and the new one is reviewed again."""
    found = case_for(session, caller, "cases.work", case)

    def check() -> tuple[Any, Any, dict[str, object]]:
        stored = responses.latest_versions(session, responses.by_instances(session, [found.instance_id])).get(
            found.instance_id)
        if stored is None or reviews.statuses(session, [stored.id or 0])[stored.id or 0] != "returned":
            raise Problem(F.NOT_RETURNED)
        return catalog.by_id[stored.version_id], stored, {"response": stored.id}
    return _open_interview(request, session, catalog, caller, found, "case.correct", check)


@router.post("/console/cases/{case}/close", name="case_close")
def case_close(request: Request, caller: WorkDep, session: SessionDep, catalog: CatalogDep, case: int,
               disposition: Annotated[str, Form()] = "") -> Response:
    found = case_for(session, caller, "cases.work", case)

    def act() -> dict[str, object]:
        stored = bool(responses.by_instances(session, [found.instance_id]))
        return {"category": fieldwork.close_case(session, found, disposition, stored, now(request))}
    return _write(request, session, catalog, caller, found, "case.close", act, {"disposition": disposition[:12]})


@router.post("/console/cases/{case}/assign", name="case_assign")
def case_assign(request: Request, caller: AssignDep, session: SessionDep, catalog: CatalogDep, case: int,
                username: Annotated[str, Form()] = "") -> Response:
    found = case_for(session, caller, "cases.assign", case)
    return _write(request, session, catalog, caller, found, "case.assign",
                  lambda: {"collector": fieldwork.assign_case(session, found, username)}, {})


@router.post("/console/cases/{case}/replace", name="case_replace")
def case_replace(request: Request, caller: AssignDep, session: SessionDep, catalog: CatalogDep, case: int) -> Response:
    found = case_for(session, caller, "cases.assign", case)
    return _write(request, session, catalog, caller, found, "case.replace",
                  lambda: {"replacement": fieldwork.replace_case(session, found).id}, {})


@router.post("/console/cases/practice", name="case_practice")
def case_practice(request: Request, caller: WorkDep, session: SessionDep) -> Response:
    """A training case in the collector's own village: never in weights, rates, estimates or exports."""
    made = fieldwork.practice_case(session, caller)  # a problem leaves the uncommitted session unchanged
    audit.record(session, caller.username, caller.staff_id, "case.practice", "case", made.id, made.village,
                 {"survey": made.survey}, signin.address(request))
    session.commit()
    return RedirectResponse(request.app.url_path_for("case_page", case=str(made.id)), status_code=303)
