"""The field app's JSON API (docs/field_api.md): a device signs in for a token, downloads its
collector's cases and questionnaires, syncs the day's case updates, and signs out.

A device token is an ordinary bearer token (server/store/tokens.py): the console's revoke stops it.
The interviews themselves go through `POST /api/v1/surveys/{survey}/responses` with the same token.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response

from server import fieldbundle, fieldsync, signin
from server.apidoc import BundleOut, DeviceOut, SyncOut, json_body, problems
from server.auth import Caller, need, now
from server.deps import BodyDep, CatalogDep, SessionDep
from server.errors import P
from server.jsonbody import read_json
from server.payloads import DeviceIn, SyncIn
from server.routes.versions import get_definition
from server.staff_errors import S
from server.store import audit, cases, tokens
from surveys.problem import Problem

router = APIRouter(prefix="/api/v1/field")
WorkDep = Annotated[Caller, Depends(need("cases.work"))]
_BODY = (P.BODY_TOO_LARGE, P.NOT_JSON_MEDIA, P.REQUEST_INVALID, P.BODY_NOT_JSON, P.BODY_NOT_OBJECT, P.BODY_TOO_DEEP,
         P.BAD_TEXT, P.BAD_NUMBER)
_DEVICE = (S.SIGN_IN_REQUIRED, S.TOKEN_INVALID, S.NOT_FOUND)


@router.post("/devices", name="field_device_register", status_code=201, response_model=DeviceOut,
             openapi_extra=json_body(DeviceIn),
             responses=problems(S.LOGIN_FAILED, S.FORBIDDEN, S.LOGIN_LOCKED, P.RATE_LIMITED, *_BODY))
def field_device_register(request: Request, raw: BodyDep, session: SessionDep) -> dict[str, Any]:
    """离线采集设备登录：用控制台账号（儿童主任或督导员）换取设备令牌（只显示这一次）。"""
    body = read_json(request, raw, DeviceIn)
    caller, row, token = signin.register_device(request, session, body.username, body.password, body.label)
    return {"token": token, "device_id": row.id, "staff": {
        "username": caller.username, "display_name": fieldbundle.display_name(session, caller),
        "role": fieldbundle.field_role(caller)}}


@router.delete("/devices/current", name="field_device_logout", status_code=204, response_class=Response,
               responses=problems(*_DEVICE, S.CSRF))
def field_device_logout(request: Request, session: SessionDep, caller: WorkDep) -> Response:
    """设备退出登录：撤销本设备的令牌。"""
    if caller.token_id is None:  # a console session is not a device
        raise Problem(S.NOT_FOUND)
    tokens.revoke(session, caller.token_id, now(request))
    audit.record(session, caller.username, caller.staff_id, "device.logout", "api_token", caller.token_id,
                 caller.home, {}, signin.address(request))
    session.commit()
    return Response(status_code=204)


@router.get("/bundle", name="field_bundle", response_model=BundleOut, responses=problems(*_DEVICE))
def field_bundle(request: Request, session: SessionDep, catalog: CatalogDep, caller: WorkDep) -> dict[str, Any]:
    """下载包：本人在实地调查中的未结案（及被退回修改的）个案、问卷定义、上门结果和结案代码。"""
    found = fieldbundle.bundle_cases(session, caller)
    names = sorted({c.survey for c in found if c.survey in catalog.current})
    return {"collector": {"username": caller.username, "display_name": fieldbundle.display_name(session, caller)},
            "cases": fieldbundle.case_rows(session, catalog, found),
            "questionnaires": {name: get_definition(catalog.current[name]) for name in names},
            "visit_results": cases.VISIT_RESULTS, "dispositions": fieldbundle.dispositions(),
            "server_time": now(request)}


@router.post("/sync", name="field_sync", response_model=SyncOut, openapi_extra=json_body(SyncIn),
             responses=problems(*_DEVICE, S.CSRF, *_BODY))
def field_sync(request: Request, raw: BodyDep, session: SessionDep, catalog: CatalogDep,
               caller: WorkDep) -> dict[str, Any]:
    """同步个案记录（上门、户内选人、结案）：逐条处理，按编号去重；每条的结果见 results。"""
    body = read_json(request, raw, SyncIn)
    results = fieldsync.sync(session, caller, body.updates, now(request), signin.address(request))
    return {"results": [r.as_json() for r in results],
            "cases": fieldbundle.case_rows(session, catalog, fieldsync.touched(session, caller, body.updates))}

