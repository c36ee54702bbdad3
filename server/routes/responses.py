"""The JSON API's responses: finished responses in, idempotent on the client's instance id.

Rules (ODK's instanceID model, with the database constraint as the last word):
new instance id -> 201; an identical resend -> 200 with the stored response; a different payload
under a stored instance id -> 409 response.instance_conflict; invalid answers -> 422 listing each
question with its code and message, checked by the same compiled questionnaire as the phone pages.
"""

from __future__ import annotations

from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, Path, Request
from fastapi.responses import JSONResponse

from server import fieldsync, ratelimit
from server.apidoc import ResponseOut, json_body, problems
from server.auth import BearerDep
from server.deps import BodyDep, CatalogDep, OpenSurveyDep, SessionDep, SurveyDep
from server.errors import P
from server.field_errors import F
from server.jsonbody import read_json
from server.payloads import EXAMPLE_INSTANCE_ID, ResponseIn
from server.staff_errors import S
from server.store import cases, responses
from server.store.responses import Stored
from surveys.answers import check_response
from surveys.problem import Problem

router = APIRouter(prefix="/api/v1")
InstanceId = Annotated[UUID, Path(examples=[EXAMPLE_INSTANCE_ID])]


def _response_json(row: Stored, number: int) -> dict[str, Any]:
    return {"id": row.id, "survey": row.survey, "version": number, "instance_id": row.instance_id,
            "village": row.village, "outcome": row.outcome, "received_at": row.received_at.isoformat()}


_LOCATION = {"Location": {"description": "查询这份答卷是否收到的地址", "schema": {"type": "string"}}}
_POST_DOC: dict[str, Any] = {
    "openapi_extra": json_body(ResponseIn),
    "response_model": ResponseOut,
    "responses": {
        201: {"description": "新答卷已保存", "headers": _LOCATION},
        200: {"model": ResponseOut, "description": "同一份答卷重发：返回已保存的答卷", "headers": _LOCATION},
        **problems(P.SURVEY_NOT_FOUND, P.INSTANCE_CONFLICT, P.BODY_TOO_LARGE, P.NOT_JSON_MEDIA, P.REQUEST_INVALID,
                   P.BODY_NOT_JSON, P.BODY_NOT_OBJECT, P.BODY_TOO_DEEP, P.BAD_TEXT, P.BAD_NUMBER,
                   P.VERSION_NOT_FOUND, P.VILLAGE_UNKNOWN, P.ANSWERS_INVALID, P.RATE_LIMITED, S.TOKEN_INVALID, S.FORBIDDEN,
                   P.SURVEY_CLOSED, F.CASE_CLOSED, F.WAVE_CLOSED, F.WAVE_STATUS, F.CASE_MISMATCH),
    },
}


@router.post("/surveys/{survey}/responses", name="post_response", status_code=201, **_POST_DOC)
def post_response(request: Request, raw: BodyDep, session: SessionDep, catalog: CatalogDep,
                  pub: OpenSurveyDep, caller: BearerDep) -> JSONResponse:
    """Anonymous posts are limited per client address; a device's token is not (a whole village's
    interviews arrive at once when it gets signal) but may only submit for villages in its subtree.
    A device's interview of a case (the case's instance id) follows the case's rules."""
    if caller is None:
        ratelimit.count(request, session, "ingest")
    payload = read_json(request, raw, ResponseIn)
    if caller is not None and not caller.may("responses.submit", payload.village):
        raise Problem(S.FORBIDDEN)
    version = catalog.versions.get((pub.survey.name, payload.version))
    if version is None:
        raise Problem(P.VERSION_NOT_FOUND, survey=pub.survey.name, version=payload.version)
    if not request.app.state.villages.known(session, payload.village):
        raise Problem(P.VILLAGE_UNKNOWN, village=payload.village)
    instance_id = str(payload.instance_id)
    case = cases.case_of_instance(session, instance_id) if caller is not None else None  # anonymous: one INSERT
    if case is not None and responses.find_response(session, pub.survey.name, instance_id) is None:
        fieldsync.check_interview(session, case, caller, pub.survey.name, payload.village)  # a resend: judged below
    outcome, errors = check_response(version.survey, payload.answers)
    if errors and responses.find_response(session, pub.survey.name, instance_id) is None:
        raise Problem(P.ANSWERS_INVALID, details={v: e.as_dict() for v, e in errors.items()}, count=len(errors))
    channel = "api" if case is None else responses.PRACTICE if case.practice else "case"
    new = responses.prepare(pub.survey.name, version.version_id, version.number, instance_id, payload.village,
                            payload.answers, outcome, channel, payload.started_at, payload.completed_at,
                            (caller.staff_id, caller.username) if caller else None)
    row, created = responses.save_response(session, new)
    location = request.app.url_path_for("get_response_status", survey=pub.survey.name, instance_id=row.instance_id)
    return JSONResponse(_response_json(row, payload.version), status_code=201 if created else 200,
                        headers={"Location": location})


@router.get("/surveys/{survey}/responses/{instance_id}", name="get_response_status", response_model=ResponseOut,
            responses=problems(P.SURVEY_NOT_FOUND, P.RESPONSE_NOT_FOUND, P.REQUEST_INVALID))
def get_response_status(session: SessionDep, catalog: CatalogDep, pub: SurveyDep, instance_id: InstanceId) -> dict[str, Any]:
    """Whether a device's response arrived (status only: answers never leave the server this way)."""
    row = responses.find_response(session, pub.survey.name, str(instance_id))
    if row is None:
        raise Problem(P.RESPONSE_NOT_FOUND, instance_id=instance_id)
    return _response_json(Stored.of(row), catalog.by_id[row.version_id].number)
