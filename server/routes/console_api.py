"""The JSON twins of the console's pages: a unit's dashboard, the accounts, the audit log.

They answer the same to a console session and to a bearer token (`auth.need`), inside the caller's
subtree only; any other unit is 404, as if it did not exist. Reading the audit log is itself audited.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Query, Request

from server import dashboard, signin, staffviews
from server.apidoc import AuditEntryOut, QuestionnaireOut, StaffOut, UnitOut, problems
from server.auth import Caller, need
from server.deps import CatalogDep, SessionDep
from server.errors import P
from server.staff_errors import S
from server.store import audit, units
from surveys.problem import Problem

router = APIRouter(prefix="/api/v1")
_SIGNED_IN = (S.SIGN_IN_REQUIRED, S.TOKEN_INVALID, S.NOT_FOUND)


@router.get("/units/{code}", name="api_unit", response_model=UnitOut,
            responses=problems(*_SIGNED_IN, P.REQUEST_INVALID))
def api_unit(session: SessionDep, catalog: CatalogDep,
             code: Annotated[str, Path(examples=["149901001000"], description="12 位统计用区划代码")],
             caller: Annotated[Caller, Depends(need("units.read"))]) -> dict[str, Any]:
    """单位及其下级单位，以及本级所辖范围内各问卷的答卷数（只有汇总数）。"""
    unit = units.get_unit(session, code)
    if unit is None:
        raise Problem(S.NOT_FOUND)
    return dashboard.board(session, unit, catalog).as_json()


@router.get("/staff", name="api_staff", response_model=list[StaffOut], responses=problems(*_SIGNED_IN))
def api_staff(session: SessionDep, caller: Annotated[Caller, Depends(need("accounts.manage"))]) -> list[dict[str, Any]]:
    """本单位范围内的账号、权限和令牌（不含密码和令牌本身）。"""
    return staffviews.staff_json(staffviews.visible_staff(session, caller))


@router.get("/audit", name="api_audit", response_model=list[AuditEntryOut],
            responses=problems(*_SIGNED_IN, P.REQUEST_INVALID))
def api_audit(request: Request, session: SessionDep, caller: Annotated[Caller, Depends(need("audit.read"))],
              unit: Annotated[str, Query(max_length=12)] = "", account: Annotated[str, Query(max_length=40)] = "",
              verb: Annotated[str, Query(max_length=40)] = "", since: Annotated[str, Query(max_length=10)] = "",
              until: Annotated[str, Query(max_length=10)] = "") -> list[dict[str, Any]]:
    """操作记录（最新的 200 条），可按单位、账号、操作和日期（北京时间，YYYY-MM-DD）筛选。"""
    wanted = staffviews.AuditFilter(unit, account, verb, since, until)
    rows = staffviews.audit_rows(session, caller, wanted)
    audit.record(session, caller.username, caller.staff_id, "audit.read", "audit_log", "-",
                 summary=wanted.as_dict(), address=signin.address(request))
    session.commit()
    return staffviews.audit_json(rows)


@router.get("/questionnaires", name="api_questionnaires", response_model=list[QuestionnaireOut],
            responses=problems(*_SIGNED_IN))
def api_questionnaires(session: SessionDep, catalog: CatalogDep,
                       caller: Annotated[Caller, Depends(need("surveys.manage"))]) -> list[dict[str, Any]]:
    """问卷管理：各问卷的状态、版本和本单位范围内每个版本的答卷数。"""
    return staffviews.questionnaires_json(staffviews.questionnaire_rows(session, catalog, caller))
