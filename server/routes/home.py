"""The home page (list of questionnaires), resuming by code, and the neutral quick-exit page."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response

from server import store
from server.deps import CatalogDep, SessionDep, cookie_name
from server.errors import P, Problem
from server.render import render

router = APIRouter()


@router.get("/")
def home(request: Request, catalog: CatalogDep, session: SessionDep) -> Response:
    surveys = [p.survey for p in catalog.current.values()]
    return render(request, "home.html", {"surveys": surveys, "villages": store.list_villages(session)})


@router.get("/resume")
def resume_form(request: Request) -> Response:
    return render(request, "resume.html", {})


@router.post("/resume")
def resume(request: Request, session: SessionDep, resume_code: Annotated[str, Form()] = "") -> Response:
    draft = store.draft_by_code(session, resume_code)
    if draft is None:
        raise Problem(P.RESUME_CODE_INVALID, resume_code=resume_code.strip()[:20])
    target = f"/s/{draft.survey}/p/{draft.page}" if draft.page else f"/s/{draft.survey}"
    response = RedirectResponse(target, status_code=303)
    settings = request.app.state.settings
    response.set_cookie(cookie_name(draft.survey), draft.token, max_age=settings.draft_days * 86400,
                        httponly=True, samesite="lax", secure=settings.cookie_secure)
    return response


@router.get("/leave")
def leave(request: Request) -> Response:
    """A neutral page for the quick-exit link of sensitive modules (no survey wording on it)."""
    return render(request, "leave.html", {})
