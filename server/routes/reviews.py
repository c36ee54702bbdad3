"""Review of a wave's interviews, at two levels: the township supervisor, then the county office.

The queue lists the wave's responses of the caller's subtree with their quality flags and review
status; a response's page shows its answers (a read of microdata: audited), its flags and its
review history, and takes a decision: approve, reject with a reason, or send back to the collector
with comments on single questions. A supervisor decides at the township level on a response not yet
reviewed (or sent back); the county office (admin) decides on one the township approved. Rejected
responses are kept, exported with their status, and left out of weights and estimates.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import RedirectResponse, Response

from server import signin, wavedesign
from server.auth import Caller, csrf_token, need
from server.deps import CatalogDep, SessionDep
from server.field_errors import F
from server.render import render
from server.routes.waves import wave_for
from server.security import check_same_origin
from server.staff_errors import S
from server.store import audit, cases, responses, reviews, units, waves
from server.store.responses import Response as Stored
from surveys.kinds import value_labels
from surveys.problem import Problem

router = APIRouter(dependencies=[Depends(check_same_origin)], include_in_schema=False)
ReviewDep = Annotated[Caller, Depends(need("responses.review"))]
LEVEL_ALLOWS = {"township": ("not_reviewed", "returned"), "county": ("township_approved",)}
COMMENT_MAX = 200


@router.get("/console/waves/{wave}/review", name="review_list")
def review_list(request: Request, caller: ReviewDep, session: SessionDep, catalog: CatalogDep, wave: int,
                status: str = "") -> Response:
    found, part = wave_for(session, caller, "responses.review", wave)
    rows = wavedesign.review_rows(session, catalog, found, part)
    if status:
        rows = [r for r in rows if r["status"] == status]
    return render(request, "console/review_list.html", {
        "caller": caller, "csrf": csrf_token(request, caller), "wave": found, "rows": rows, "status": status,
        "statuses": reviews.STATUS, "unit": units.get_unit(session, part)})


def _response_for(session: SessionDep, caller: Caller, response_id: int) -> tuple[Stored, cases.Case]:
    stored = responses.get_response(session, response_id)
    original = stored
    while original is not None and original.supersedes is not None:  # a correction belongs to the original's case
        original = responses.get_response(session, original.supersedes)
    case = cases.case_of_instance(session, original.instance_id) if original is not None else None
    if stored is None or case is None or case.practice or not caller.may("responses.review", case.village):
        raise Problem(S.NOT_FOUND)
    return stored, case


def level_of(caller: Caller, village: str) -> str:
    """The county level for an admin of the village, else the township level (a supervisor)."""
    county = any(role == "admin" and village.startswith(unit.rstrip("0")) for role, unit in caller.grants)
    return "county" if county else "township"


def _answers(catalog: CatalogDep, stored: Stored) -> list[dict[str, Any]]:
    """The answers as the reviewer reads them: question, label and the value (with its label)."""
    survey = catalog.by_id[stored.version_id].survey
    out = []
    for q in survey.questions():
        if q.name not in stored.answers:
            continue
        value, labels = stored.answers[q.name], value_labels(q)
        shown = "、".join(str(labels.get(v, v)) for v in value) if isinstance(value, list) else labels.get(value, value)
        out.append({"name": q.name, "label": q.label, "value": shown})
    return out


def _review_page(request: Request, session: SessionDep, catalog: CatalogDep, caller: Caller, stored: Stored,
                 case: cases.Case, problem: Problem | None = None) -> Response:
    history = reviews.history(session, stored.id or 0)
    wave = waves.get_wave(session, case.wave_id)
    return render(request, "console/review.html", {
        "caller": caller, "csrf": csrf_token(request, caller), "stored": stored, "case": case, "wave": wave,
        "answers": _answers(catalog, stored), "history": history, "problem": problem,
        "status": reviews.status_of(history[-1] if history else None), "statuses": reviews.STATUS,
        "levels": reviews.LEVELS, "decisions": reviews.DECISIONS, "level": level_of(caller, case.village),
        "flags": wavedesign.flags_of(session, catalog, case.wave_id, stored)},
        status_code=problem.status if problem else 200)


@router.get("/console/reviews/{response}", name="review_page")
def review_page(request: Request, caller: ReviewDep, session: SessionDep, catalog: CatalogDep,
                response: int) -> Response:
    stored, case = _response_for(session, caller, response)
    audit.record(session, caller.username, caller.staff_id, "response.read", "response", stored.id, case.village,
                 {"survey": stored.survey, "purpose": "review"}, signin.address(request))
    session.commit()
    return _review_page(request, session, catalog, caller, stored, case)


def decide(session: SessionDep, catalog: CatalogDep, caller: Caller, stored: Stored, case: cases.Case,
           form: dict[str, str]) -> reviews.Review:
    """Check and store one decision at the caller's level."""
    level, decision = level_of(caller, case.village), form.get("decision", "")
    status = reviews.statuses(session, [stored.id or 0])[stored.id or 0]
    if status not in LEVEL_ALLOWS[level]:
        why = "需要乡镇督导先审核通过。" if level == "county" else "已经审核过，不能再由乡镇审核。"
        raise Problem(F.REVIEW_LEVEL, status=reviews.STATUS[status], why=why)
    if decision not in reviews.DECISIONS:
        raise Problem(F.REVIEW_INPUT, field="审核结论", why="请选择通过、拒绝或退回修改")
    reason = " ".join(form.get("reason", "").split())
    comments = {k[8:]: " ".join(v.split())[:COMMENT_MAX] for k, v in form.items()
                if k.startswith("comment_") and v.strip()}
    if len(reason) > reviews.REASON_MAX:
        raise Problem(F.REVIEW_INPUT, field="理由", why=f"最多 {reviews.REASON_MAX} 个字")
    if decision == "reject" and not reason:
        raise Problem(F.REVIEW_INPUT, field="理由", why="拒绝时必须写明理由")
    if decision == "return" and not comments and not reason:
        raise Problem(F.REVIEW_INPUT, field="意见", why="退回修改时请至少对一道题写明意见")
    known = set(stored.answers) | {q.name for q in catalog.by_id[stored.version_id].survey.questions()}
    unknown = sorted(set(comments) - known)
    if unknown:
        raise Problem(F.REVIEW_INPUT, field="意见", why=f"没有题目“{unknown[0][:40]}”")
    return reviews.add_review(session, stored.id or 0, level, decision, reason, comments, caller.staff_id)


@router.post("/console/reviews/{response}", name="review_post")
async def review_post(request: Request, caller: ReviewDep, session: SessionDep, catalog: CatalogDep,
                      response: int) -> Response:
    stored, case = _response_for(session, caller, response)
    form = {k: str(v) for k, v in (await request.form(max_fields=400)).items()}
    try:
        row = decide(session, catalog, caller, stored, case, form)
        audit.record(session, caller.username, caller.staff_id, "review.decide", "response", stored.id, case.village,
                     {"level": row.level, "decision": row.decision, "comments": len(row.comments)},
                     signin.address(request))
        session.commit()
    except Problem as problem:
        session.rollback()
        return _review_page(request, session, catalog, caller, stored, case, problem)
    return RedirectResponse(request.app.url_path_for("review_page", response=str(stored.id)), status_code=303)
