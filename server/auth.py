"""Who is asking, and what they may do where: the one permission table and its dependencies.

A caller is a staff account signed in through the console (a server-side session cookie) or a
device / API token (`Authorization: Bearer csk_…`). A grant (role, unit) covers the unit and every
unit below it. `PERMISSIONS` is the only place that says which role may do which verb; routes
declare their verb with `need(verb)`, which checks it on the route's `{code}` unit when it has one.
Outside a caller's subtree an object is answered as if it did not exist (404). Staff posts from a
session carry a CSRF token bound to the session; bearer requests carry no cookies and need none.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Annotated, Any

from fastapi import Depends, Request
from sqlmodel import Session

from server.deps import SessionDep
from server.staff_errors import S
from server.store import sessions, staff, tokens
from server.unitcodes import is_under
from surveys.problem import Problem

SESSION_COOKIE = "cunsheng_staff"
ALL = frozenset(staff.ROLES)
PERMISSIONS: dict[str, frozenset[str]] = {
    "console.view": ALL,  # dashboards: counts by questionnaire and unit (aggregates only)
    "units.read": ALL,
    "responses.submit": frozenset({"admin", "supervisor", "collector"}),  # a device's interviews
    "responses.read": frozenset({"admin", "evaluator", "supervisor"}),  # microdata
    "responses.export": frozenset({"admin", "evaluator"}),  # microdata files (never viewers)
    "responses.erase": frozenset({"admin"}),  # on a respondent's request (minors' personal-information rules)
    "accounts.manage": frozenset({"admin"}),
    "audit.read": frozenset({"admin"}),
    "surveys.manage": frozenset({"admin"}),
    "results.read": frozenset({"admin", "evaluator", "supervisor", "viewer"}),  # weighted estimates (aggregates only)
    "account.self": ALL,  # one's own password
    "waves.manage": frozenset({"admin"}),  # create waves, draw their samples, move their status on
    "fieldwork.view": frozenset({"admin", "evaluator", "supervisor"}),  # a wave's progress, rates and design
    "listing.edit": frozenset({"supervisor", "collector"}),  # a sampled village's household listing (never exported)
    "cases.work": frozenset({"supervisor", "collector"}),  # cases, visits, respondents, interviews, dispositions
    "cases.assign": frozenset({"admin", "supervisor"}),  # reassign cases, release reserve households
    "responses.review": frozenset({"admin", "supervisor"}),  # township, then county review of interviews
}

# Routes open to anyone: residents' pages and the public API (anonymous, under the rate limits), the
# sign-in form, health and documentation. Every other route declares a verb with `need(verb)`; the
# role × unit matrix test fails on a route that does neither.
PUBLIC_ROUTES = frozenset({
    "openapi", "static", "home", "favicon", "leave", "intro", "intro_village", "start", "done", "show_page",
    "post_page", "refresh_page", "resume_form", "resume", "list_surveys", "get_definition", "post_response",
    "get_response_status", "api_docs", "healthz", "login_form", "login", "field_device_register",
})


@dataclass(frozen=True)
class Caller:
    """A signed-in account and its grants; `via` is "session" or "token"."""

    staff_id: int
    username: str
    grants: tuple[tuple[str, str], ...]
    via: str
    secret: str  # the session token (for the CSRF token) or "" for a bearer token
    token_id: int | None = None  # the bearer token's row (a device), None for a session

    def may(self, verb: str, unit: str | None = None) -> bool:
        """Whether some grant allows `verb` (on `unit`'s subtree, when given)."""
        roles = PERMISSIONS[verb]
        return any(role in roles and (unit is None or is_under(unit, granted)) for role, granted in self.grants)

    def units_for(self, verb: str) -> list[str]:
        """The top units of the subtrees where `verb` is allowed (no unit inside another)."""
        units = sorted({u for role, u in self.grants if role in PERMISSIONS[verb]}, key=len)
        tops: list[str] = []
        for unit in sorted(units):
            if not any(is_under(unit, top) for top in tops):
                tops.append(unit)
        return tops

    @property
    def home(self) -> str:
        """The unit the console opens on: the first top unit of the caller's grants."""
        return self.units_for("console.view")[0]


def now(request: Request) -> datetime:
    """The app's clock as aware UTC (tests replace `app.state.clock`)."""
    return datetime.fromtimestamp(request.app.state.clock(), UTC)


def caller_of(session: Session, staff_id: int, via: str, secret: str, token_id: int | None = None) -> Caller | None:
    account = staff.get_staff(session, staff_id)
    if account is None or not account.active:
        return None
    grants = tuple((g.role, g.unit_code) for g in staff.grants_of(session, staff_id))
    return Caller(staff_id, account.username, grants, via, secret, token_id)


def find_caller(request: Request, session: SessionDep) -> Caller | None:
    """The caller of this request, if any; a bearer header that is not a live token is 401."""
    header = request.headers.get("authorization", "")
    if header.lower().startswith("bearer "):
        row = tokens.live_token(session, header[7:].strip())
        caller = caller_of(session, row.staff_id, "token", "", row.id) if row is not None else None
        if caller is None:
            raise Problem(S.TOKEN_INVALID)
        return caller
    idle = timedelta(minutes=request.app.state.settings.staff_idle_minutes)
    live = sessions.live_session(session, request.cookies.get(SESSION_COOKIE, ""), now(request), idle)
    return caller_of(session, live.staff_id, "session", request.cookies[SESSION_COOKIE]) if live else None


MaybeCallerDep = Annotated[Caller | None, Depends(find_caller)]


def bearer_caller(request: Request, session: SessionDep) -> Caller | None:
    """The account of a bearer token (a device or an API client), or None for an anonymous request;
    cookies are ignored here, so a browser's staff session never turns a public post into a staff write."""
    return find_caller(request, session) if request.headers.get("authorization", "").lower().startswith("bearer ") \
        else None


BearerDep = Annotated[Caller | None, Depends(bearer_caller)]


def require_caller(request: Request, caller: MaybeCallerDep) -> Caller:
    if caller is None:
        raise Problem(S.SIGN_IN_REQUIRED, details={"next": request.url.path})
    return caller


CallerDep = Annotated[Caller, Depends(require_caller)]


def csrf_token(request: Request, caller: Caller) -> str:
    """The anti-forgery token of a signed-in session's forms."""
    key = request.app.state.secret.encode()
    return hmac.new(key, f"staff:{caller.secret}".encode(), hashlib.sha256).hexdigest()[:32]


async def _check_csrf(request: Request, caller: Caller) -> None:
    if request.method in ("GET", "HEAD", "OPTIONS") or caller.via == "token":
        return
    sent = request.headers.get("x-csrf-token", "")
    if not sent and request.headers.get("content-type", "").startswith(("application/x-www-form", "multipart/")):
        sent = str((await request.form()).get("csrf", ""))
    if not hmac.compare_digest(sent.encode(), csrf_token(request, caller).encode()):
        raise Problem(S.CSRF)


def need(verb: str) -> Callable[..., Any]:
    """A dependency: the caller, who may do `verb` (on the path's `{code}` unit if the route has one),
    and whose state-changing request carries the session's CSRF token; else 401 / 404."""
    if verb not in PERMISSIONS:
        raise KeyError(verb)

    async def dependency(request: Request, caller: CallerDep) -> Caller:
        unit = request.path_params.get("code")
        if not caller.may(verb, unit):
            raise Problem(S.NOT_FOUND)
        await _check_csrf(request, caller)
        return caller

    dependency.verb = verb  # type: ignore[attr-defined]  # read by the route × role × unit matrix test
    return dependency
