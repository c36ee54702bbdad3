"""The home page (the questionnaires and each village's link) and the neutral quick-exit page."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response

from server.deps import CatalogDep, SessionDep
from server.render import render
from server.store import villages

router = APIRouter(include_in_schema=False)


@router.api_route("/", methods=["GET", "HEAD"], name="home")
def home(request: Request, catalog: CatalogDep, session: SessionDep) -> Response:
    surveys = [p.survey for p in catalog.current.values()]
    return render(request, "home.html", {"surveys": surveys, "villages": villages.list_villages(session)})


@router.get("/favicon.ico", name="favicon")
def favicon() -> Response:
    """No icon: an empty answer, not a 404 page, for the request every browser makes."""
    return Response(status_code=204)


@router.get("/leave", name="leave")
def leave(request: Request) -> Response:
    """A neutral page for the quick-exit link of sensitive modules (no survey wording on it)."""
    return render(request, "leave.html", {})
