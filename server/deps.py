"""Annotated dependencies that resolve a request's context: session, questionnaire, draft, village.

Routes declare what they need (`session: SessionDep, pub: SurveyDep`) and stay guard clauses,
one domain call and one render.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import AsyncIterator
from typing import Annotated

import anyio.to_thread
from anyio import CancelScope, CapacityLimiter
from fastapi import Depends, Request
from fastapi.responses import Response
from sqlmodel import Session
from starlette.datastructures import FormData
from starlette.exceptions import HTTPException

from server.catalog import REFRESH_SECONDS, Catalog, Published, refresh
from server.errors import P
from server.limits import FORM_FIELDS, FORM_PART_BYTES
from server.store import drafts
from server.store.drafts import Draft
from surveys.kinds import Getlist
from surveys.problem import Problem


async def get_session(request: Request) -> AsyncIterator[Session]:
    """The request's session. Made on the event loop (it connects only when a handler thread queries);
    closed there too when the handler left no transaction open, otherwise in a thread, because then
    closing rolls back on the database. That thread is outside the handlers' limited pool (as FastAPI
    does for `yield` dependencies): every handler thread may be waiting for the connection it returns.
    Pure-Python dependencies are `async` so that a request costs one trip to the thread pool, not one
    per dependency."""
    session = Session(request.app.state.engine, expire_on_commit=False)
    try:
        yield session
    finally:
        if session.in_transaction():
            with CancelScope(shield=True):  # a client that hangs up must not leave the connection checked out
                await anyio.to_thread.run_sync(session.close, limiter=CapacityLimiter(1))
        else:
            session.close()


async def get_catalog(request: Request) -> Catalog:
    """The app's catalogue, refreshed from the database at most every `REFRESH_SECONDS` (on the app's
    clock): versions published and questionnaires closed by another process arrive that way. The
    refresh runs in a thread for the one request that finds the catalogue stale; every other request
    stays on the event loop and reads no table."""
    state = request.app.state
    catalog: Catalog = state.catalog
    now = state.clock()
    if now - catalog.checked_at >= REFRESH_SECONDS or now < catalog.checked_at:
        catalog.checked_at = now  # before the await: concurrent requests do not refresh too

        def _refresh() -> None:
            with Session(state.engine) as session:
                refresh(session, catalog)

        await anyio.to_thread.run_sync(_refresh)
    return catalog


SessionDep = Annotated[Session, Depends(get_session)]
CatalogDep = Annotated[Catalog, Depends(get_catalog)]


async def get_survey(survey: str, catalog: CatalogDep) -> Published:
    """The current version of the questionnaire named in the path."""
    published = catalog.current.get(survey)
    if published is None:
        raise Problem(P.SURVEY_NOT_FOUND, survey=survey)
    return published


SurveyDep = Annotated[Published, Depends(get_survey)]


async def get_open_survey(pub: SurveyDep, catalog: CatalogDep) -> Published:
    """The current version of a questionnaire that the office keeps open for responses; a closed one
    is `survey.closed` (a polite page for people, the problem for the API)."""
    state = catalog.state(pub.survey.name)
    if not state.is_open:
        raise Problem(P.SURVEY_CLOSED, details={"contact": state.contact} if state.contact else {},
                      title=pub.survey.title)
    return pub


OpenSurveyDep = Annotated[Published, Depends(get_open_survey)]


DRAFT_COOKIE_PREFIX = "cs_"


def cookie_name(survey: str) -> str:
    return f"{DRAFT_COOKIE_PREFIX}{survey}"


def get_draft(request: Request, survey: str, session: SessionDep) -> Draft | None:
    """The respondent's draft for this questionnaire, from the resume cookie."""
    days = request.app.state.settings.draft_days
    return drafts.draft_by_token(session, survey, request.cookies.get(cookie_name(survey)), days)


DraftDep = Annotated[Draft | None, Depends(get_draft)]


def set_draft_cookie(request: Request, response: Response, draft: Draft) -> None:
    """Let this phone come back to the draft (the resume cookie)."""
    settings = request.app.state.settings
    response.set_cookie(cookie_name(draft.survey), draft.token, max_age=settings.draft_days * 86400,
                        httponly=True, samesite="lax", secure=settings.cookie_secure or request.url.scheme == "https")


def form_token(request: Request, draft: Draft) -> str:
    """The anti-forgery token of a draft's forms (HMAC of the draft's secret token)."""
    return hmac.new(request.app.state.secret.encode(), draft.token.encode(), hashlib.sha256).hexdigest()[:32]


def check_form_token(request: Request, draft: Draft, sent: str | None) -> None:
    """Reject a post whose token (form field or htmx header) does not belong to the draft."""
    token = sent or request.headers.get("X-CSRF-Token", "")
    if not hmac.compare_digest(token, form_token(request, draft)):
        raise Problem(P.FORM_EXPIRED)


async def read_form(request: Request) -> FormData:
    """The posted form, read on the event loop so that handlers can be plain (threadpool) functions:
    a handler that queries the database must never block the loop while waiting for a connection.
    Bounded in fields and part size (a page has far fewer)."""
    try:
        return await request.form(max_fields=FORM_FIELDS, max_part_size=FORM_PART_BYTES)
    except HTTPException:  # starlette's "too many fields" / "part too large"
        raise Problem(P.FORM_TOO_LARGE, fields=FORM_FIELDS, part=FORM_PART_BYTES // 1024) from None


async def read_body(request: Request) -> bytes:
    return await request.body()


def getlist_of(form: FormData) -> Getlist:
    """The posted values of a field, as the kind table reads them."""
    return lambda key: [str(v) for v in form.getlist(key)]


FormDep = Annotated[FormData, Depends(read_form)]
BodyDep = Annotated[bytes, Depends(read_body)]
