"""The JSON API: questionnaire definitions out, responses in (idempotent on the client's instance id).

Rules (ODK's instanceID model, with the database constraint as the last word):
new instance id -> 201; an identical resend -> 200 with the stored response; a different payload
under a stored instance id -> 409 response.instance_conflict; invalid answers -> 422 listing each
question with its message, checked by the same compiled questionnaire as the phone pages.
"""

from __future__ import annotations

import json
from typing import Any
from uuid import UUID

from fastapi import APIRouter
from fastapi.responses import JSONResponse
from pydantic import AwareDatetime, BaseModel, ConfigDict, ValidationError

from server import store
from server.deps import BodyDep, CatalogDep, SessionDep, SurveyDep
from server.errors import P, Problem
from server.flow import payload_hash
from server.tables import Response
from surveys.answers import check_response
from surveys.export import definition_dict

router = APIRouter(prefix="/api/v1")


class ResponseIn(BaseModel):
    """A finished response as a device or another system sends it."""

    model_config = ConfigDict(extra="forbid")
    instance_id: UUID
    version: int
    village: str
    answers: dict[str, Any]
    started_at: AwareDatetime | None = None
    completed_at: AwareDatetime | None = None


def _response_json(row: Response, number: int) -> dict[str, Any]:
    return {"id": row.id, "survey": row.survey, "version": number, "instance_id": row.instance_id,
            "village": row.village, "outcome": row.outcome, "received_at": row.received_at.isoformat()}


def _read_payload(raw: bytes) -> tuple[dict[str, Any], ResponseIn]:
    try:
        body = json.loads(raw)
    except (ValueError, UnicodeDecodeError):
        raise Problem(P.REQUEST_INVALID, details={"body": "不是有效的 JSON"}, summary="请求体不是有效的 JSON。") from None
    if not isinstance(body, dict):
        raise Problem(P.REQUEST_INVALID, details={"body": "应为 JSON 对象"}, summary="请求体应为 JSON 对象。")
    try:
        return body, ResponseIn.model_validate(body)
    except ValidationError as exc:
        details = {".".join(str(p) for p in e["loc"]): e["msg"] for e in exc.errors()}
        raise Problem(P.REQUEST_INVALID, details=details, summary="；".join(f"{k}: {v}" for k, v in details.items())) from None


@router.get("/surveys")
def list_surveys(catalog: CatalogDep) -> list[dict[str, Any]]:
    return [{"name": p.survey.name, "title": p.survey.title, "version": p.number, "sha256": p.survey.sha256}
            for p in catalog.current.values()]


@router.get("/surveys/{survey}")
def get_definition(pub: SurveyDep) -> dict[str, Any]:
    return {"version": pub.number, **definition_dict(pub.survey)}


@router.post("/surveys/{survey}/responses")
def post_response(raw: BodyDep, session: SessionDep, catalog: CatalogDep, pub: SurveyDep) -> JSONResponse:
    body, payload = _read_payload(raw)
    version = catalog.versions.get((pub.survey.name, payload.version))
    if version is None:
        raise Problem(P.VERSION_NOT_FOUND, survey=pub.survey.name, version=payload.version)
    if store.get_village(session, payload.village) is None:
        raise Problem(P.REQUEST_INVALID, details={"village": f"村（社区）代码“{payload.village}”不存在"},
                      summary=f"村（社区）代码“{payload.village}”不存在。")
    outcome, errors = check_response(version.survey, payload.answers)
    if errors and store.find_response(session, pub.survey.name, str(payload.instance_id)) is None:
        raise Problem(P.ANSWERS_INVALID, details=errors, count=len(errors))
    new = store.NewResponse(
        survey=pub.survey.name, version_id=version.version_id, instance_id=str(payload.instance_id),
        village=payload.village, answers=payload.answers, outcome=outcome, channel="api",
        payload_sha256=payload_hash(body), started_at=payload.started_at, completed_at=payload.completed_at,
    )
    try:
        row, created = store.save_response(session, new)
    except store.InstanceConflict as exc:
        raise Problem(P.INSTANCE_CONFLICT, instance_id=exc.stored.instance_id) from None
    return JSONResponse(_response_json(row, payload.version), status_code=201 if created else 200,
                        headers={"Location": f"/api/v1/surveys/{pub.survey.name}/responses/{row.instance_id}"})


@router.get("/surveys/{survey}/responses/{instance_id}")
def get_response_status(session: SessionDep, catalog: CatalogDep, pub: SurveyDep, instance_id: str) -> dict[str, Any]:
    """Whether a device's response arrived (status only: answers never leave the server this way)."""
    row = store.find_response(session, pub.survey.name, instance_id)
    if row is None:
        raise Problem(P.RESPONSE_NOT_FOUND, instance_id=instance_id)
    return _response_json(row, catalog.by_id[row.version_id].number)
