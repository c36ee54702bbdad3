"""The county's console: sign-in, one's own password, accounts and tokens, the audit log.

Every route but the sign-in form declares its verb with `auth.need(verb)`; the permission table in
`server.auth` decides. Pages are Chinese, for a phone and a desktop; links come from named routes.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import RedirectResponse, Response

from server import dashboard, signin, staffviews
from server.auth import SESSION_COOKIE, Caller, MaybeCallerDep, csrf_token, need, now
from server.deps import CatalogDep, SessionDep
from server.render import render
from server.security import browser_token, browser_token_valid, check_same_origin, keep_browser_secret
from server.staff_errors import S
from server.store import audit, drafts, responses, staff, tokens, units
from surveys.problem import Problem

router = APIRouter(dependencies=[Depends(check_same_origin)], include_in_schema=False)


def _see(request: Request, name: str, **params: str) -> RedirectResponse:
    return RedirectResponse(request.app.url_path_for(name, **params), status_code=303)


def _safe_next(request: Request, target: str) -> str:
    """Only a path of our own console after sign-in (never another site, never `//host`)."""
    if target.startswith("/console") and "//" not in target and "\\" not in target:
        return target
    return str(request.app.url_path_for("console_home"))


def _set_session(request: Request, response: Response, token: str) -> None:
    secure = request.app.state.settings.cookie_secure or request.url.scheme == "https"
    response.set_cookie(SESSION_COOKIE, token, httponly=True, samesite="lax", secure=secure, path="/")


def page(request: Request, name: str, caller: Caller, context: dict[str, object], status_code: int = 200) -> Response:
    """A console page: the caller and the session's CSRF token in its context."""
    return render(request, name, {"caller": caller, "csrf": csrf_token(request, caller), **context},
                  status_code=status_code)


def _login_page(request: Request, problem: Problem | None = None, next_path: str = "", username: str = "") -> Response:
    token, new = browser_token(request)
    response = render(request, "console/login.html", {"form_csrf": token, "problem": problem, "next": next_path,
                                                       "username": username},
                      status_code=problem.status if problem else 200)
    return keep_browser_secret(request, response, new)


@router.get("/login", name="login_form")
def login_form(request: Request, caller: MaybeCallerDep, next: str = "") -> Response:
    if caller is not None:
        return RedirectResponse(_safe_next(request, next), status_code=303)
    return _login_page(request, next_path=next[:200])


@router.post("/login", name="login")
def login(request: Request, session: SessionDep, username: Annotated[str, Form(max_length=200)] = "",
          password: Annotated[str, Form(max_length=200)] = "", csrf: Annotated[str, Form()] = "",
          next: Annotated[str, Form(max_length=200)] = "") -> Response:
    if not browser_token_valid(request, csrf):
        return _login_page(request, Problem(S.CSRF), next, username[:32])
    try:
        token = signin.sign_in(request, session, username, password)
    except Problem as problem:  # the form again, with the name kept and the password never echoed
        response = _login_page(request, problem, next, username.strip()[:32])
        if "retry_after" in problem.details:
            response.headers["Retry-After"] = str(problem.details["retry_after"])
        return response
    response = RedirectResponse(_safe_next(request, next), status_code=303)
    _set_session(request, response, token)
    return response


@router.post("/logout", name="logout")
def logout(request: Request, session: SessionDep, caller: Annotated[Caller, Depends(need("account.self"))]) -> Response:
    signin.sign_out(request, session, caller)
    response = _see(request, "login_form")
    response.delete_cookie(SESSION_COOKIE, path="/", httponly=True, samesite="lax")
    return response


@router.get("/console/password", name="password_form")
def password_form(request: Request, caller: Annotated[Caller, Depends(need("account.self"))]) -> Response:
    return page(request, "console/password.html", caller, {})


@router.post("/console/password", name="password_change")
def password_change(request: Request, session: SessionDep, caller: Annotated[Caller, Depends(need("account.self"))],
                    current: Annotated[str, Form(max_length=200)] = "", new: Annotated[str, Form(max_length=200)] = "",
                    again: Annotated[str, Form(max_length=200)] = "") -> Response:
    try:
        token = signin.change_password(request, session, caller, current, new, again)
    except Problem as problem:
        session.rollback()
        return page(request, "console/password.html", caller, {"problem": problem}, status_code=problem.status)
    response = page(request, "console/password.html", caller, {"changed": True})
    _set_session(request, response, token)
    return response


@router.get("/console/audit", name="audit_log")
def audit_log(request: Request, session: SessionDep, caller: Annotated[Caller, Depends(need("audit.read"))],
              unit: str = "", account: str = "", verb: str = "", since: str = "", until: str = "") -> Response:
    """The audit log in the caller's subtree, filtered by unit, account, verb and time (Beijing dates)."""
    wanted = staffviews.AuditFilter(unit[:12], account[:40], verb[:40], since[:10], until[:10])
    try:
        rows, problem = staffviews.audit_rows(session, caller, wanted), None
        audit.record(session, caller.username, caller.staff_id, "audit.read", "audit_log", "-",
                     summary=wanted.as_dict(), address=signin.address(request))
        session.commit()
    except Problem as exc:  # a bad filter: nothing read, nothing recorded
        rows, problem = [], exc
    return page(request, "console/audit.html", caller, {"rows": rows, "filters": wanted, "problem": problem},
                status_code=problem.status if problem else 200)


@router.get("/console/staff", name="staff_list")
def staff_list(request: Request, session: SessionDep, caller: Annotated[Caller, Depends(need("accounts.manage"))]) -> Response:
    return page(request, "console/staff.html", caller, {"accounts": staffviews.visible_staff(session, caller),
                                                         "roles": staff.ROLES})


@router.post("/console/staff", name="staff_add")
def staff_add(request: Request, session: SessionDep, caller: Annotated[Caller, Depends(need("accounts.manage"))],
              username: Annotated[str, Form(max_length=40)] = "", role: Annotated[str, Form(max_length=20)] = "",
              unit: Annotated[str, Form(max_length=20)] = "", password: Annotated[str, Form(max_length=200)] = "") -> Response:
    try:
        if not caller.may("accounts.manage", unit):
            raise Problem(S.UNIT_CODE_INVALID, code=unit[:20])
        account = staff.add_staff(session, username.strip().lower(), password, role, unit)
        audit.record(session, caller.username, caller.staff_id, "staff.add", "staff", account.username, unit,
                     {"role": role}, signin.address(request))
        session.commit()
    except Problem as problem:
        session.rollback()
        return page(request, "console/staff.html", caller, {"accounts": staffviews.visible_staff(session, caller),
                                                             "roles": staff.ROLES, "problem": problem},
                    status_code=problem.status)
    return _see(request, "staff_list")


@router.post("/console/staff/{username}/tokens", name="token_issue")
def token_issue(request: Request, session: SessionDep, caller: Annotated[Caller, Depends(need("accounts.manage"))],
                username: str, label: Annotated[str, Form(max_length=100)] = "") -> Response:
    account = _managed(session, caller, username)
    assert account.id is not None
    row, token = tokens.issue(session, account.id, label.strip() or "设备", now(request))
    grants = staff.grants_of(session, account.id)
    audit.record(session, caller.username, caller.staff_id, "token.issue", "api_token", row.id,
                 grants[0].unit_code if grants else None, {"account": account.username, "label": row.label},
                 signin.address(request))
    session.commit()
    return page(request, "console/token.html", caller, {"account": account, "token": token, "row": row})


@router.post("/console/tokens/{token_id}/revoke", name="token_revoke")
def token_revoke(request: Request, session: SessionDep, caller: Annotated[Caller, Depends(need("accounts.manage"))],
                 token_id: int) -> Response:
    row = tokens.revoke(session, token_id, now(request))
    account = staff.get_staff(session, row.staff_id) if row is not None else None
    if row is None or account is None:
        raise Problem(S.NOT_FOUND)
    _managed(session, caller, account.username)
    audit.record(session, caller.username, caller.staff_id, "token.revoke", "api_token", token_id, None,
                 {"account": account.username}, signin.address(request))
    session.commit()
    return _see(request, "staff_list")


def _managed(session: SessionDep, caller: Caller, username: str) -> staff.Staff:
    """An account whose every grant lies in the caller's subtree; else as if it did not exist."""
    account = staff.find_staff(session, username)
    if account is None or account.id is None:
        raise Problem(S.NOT_FOUND)
    grants = staff.grants_of(session, account.id)
    if not grants or not all(caller.may("accounts.manage", g.unit_code) for g in grants):
        raise Problem(S.NOT_FOUND)
    return account


@router.post("/console/responses/{survey}/{instance_id}/erase", name="response_erase")
def response_erase(request: Request, session: SessionDep, caller: Annotated[Caller, Depends(need("responses.erase"))],
                   survey: str, instance_id: str) -> Response:
    """Erase one response on request; the audit log keeps who erased what, when (never the answers)."""
    row = responses.find_response(session, survey[:64], instance_id[:36])
    if row is None or row.village is None or not caller.may("responses.erase", row.village):
        raise Problem(S.NOT_FOUND)
    responses.erase_response(session, row.survey, row.instance_id)
    drafts.erase_drafts_of(session, row.survey, row.instance_id)  # the phone's copy of the answers too
    audit.record(session, caller.username, caller.staff_id, "response.erase", "response", row.instance_id, row.village,
                 {"survey": row.survey, "outcome": row.outcome, "received_at": row.received_at.isoformat()},
                 signin.address(request))
    session.commit()
    return page(request, "console/erased.html", caller, {"survey": row.survey, "instance_id": row.instance_id})


@router.get("/console", name="console_home")
def console_home(request: Request, session: SessionDep, catalog: CatalogDep,
                 caller: Annotated[Caller, Depends(need("console.view"))]) -> Response:
    """The dashboard of the caller's own unit (the first, when grants cover several subtrees)."""
    tops = [u for code in caller.units_for("console.view") if (u := units.get_unit(session, code)) is not None]
    board = dashboard.board(session, tops[0], catalog) if tops else None
    return page(request, "console/home.html", caller, {"roles": staff.ROLES, "tops": tops, "board": board})


@router.get("/console/units/{code}", name="unit_dashboard")
def unit_dashboard(request: Request, session: SessionDep, catalog: CatalogDep, code: str,
                   caller: Annotated[Caller, Depends(need("console.view"))]) -> Response:
    """Responses by questionnaire × child unit; drill down from the county to a village."""
    unit = units.get_unit(session, code)
    if unit is None:
        raise Problem(S.NOT_FOUND)
    return page(request, "console/unit.html", caller, {"board": dashboard.board(session, unit, catalog)})
