"""The home page (the questionnaires and each village's link) and the neutral quick-exit page."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response

from server.deps import DRAFT_COOKIE_PREFIX, CatalogDep, SessionDep
from server.render import render
from server.store import units

router = APIRouter(include_in_schema=False)


@router.api_route("/", methods=["GET", "HEAD"], name="home")
def home(request: Request, catalog: CatalogDep, session: SessionDep) -> Response:
    surveys = [p.survey for p in catalog.current.values()]
    return render(request, "home.html", {"surveys": surveys, "villages": units.list_villages(session)})


@router.get("/favicon.ico", name="favicon")
def favicon() -> Response:
    """No icon: an empty answer, not a 404 page, for the request every browser makes."""
    return Response(status_code=204)


@router.get("/leave", name="leave")
def leave(request: Request) -> Response:
    """A neutral page for the quick-exit link of sensitive modules (no survey wording on it).

    It also forgets this phone's drafts (their cookies), so neither Back nor the history brings her
    answers back on screen; the draft itself stays on the server, resumable with its code."""
    response = render(request, "leave.html", {})
    for name in request.cookies:
        if name.startswith(DRAFT_COOKIE_PREFIX):
            response.delete_cookie(name, httponly=True, samesite="lax")
    return response
