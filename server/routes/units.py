"""The JSON twins of the console's unit pages: a unit, its children and its subtree's counts.

They answer the same to a console session and to a bearer token (`auth.need`), inside the caller's
subtree only; any other unit is 404, as if it did not exist.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path

from server import dashboard
from server.apidoc import UnitOut, problems
from server.auth import Caller, need
from server.deps import CatalogDep, SessionDep
from server.staff_errors import S
from server.store import units
from surveys.problem import Problem

router = APIRouter(prefix="/api/v1")


@router.get("/units/{code}", name="api_unit", response_model=UnitOut,
            responses=problems(S.SIGN_IN_REQUIRED, S.TOKEN_INVALID, S.NOT_FOUND))
def api_unit(session: SessionDep, catalog: CatalogDep,
             code: Annotated[str, Path(examples=["149901001000"], description="12 位统计用区划代码")],
             caller: Annotated[Caller, Depends(need("units.read"))]) -> dict[str, Any]:
    """单位及其下级单位，以及本级所辖范围内各问卷的答卷数（只有汇总数）。"""
    unit = units.get_unit(session, code)
    if unit is None:
        raise Problem(S.NOT_FOUND)
    return dashboard.board(session, unit, catalog).as_json()
