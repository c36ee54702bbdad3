"""Helpers for console tests: accounts made through the store, sign-in through the real form."""

from __future__ import annotations

from typing import Any

from bs4 import BeautifulSoup
from fastapi.routing import APIRoute
from sqlmodel import Session, func, select

from server.store import staff
from server.store.audit import AuditEntry

COUNTY = "149901000000"
TOWNSHIP = "149901001000"
VILLAGE_UNIT = "149901001001"
PASSWORD = "correct-horse-battery"


def make_staff(app: Any, username: str, role: str, unit: str, password: str = PASSWORD) -> None:
    with Session(app.state.engine) as session:
        staff.add_staff(session, username, password, role, unit)
        session.commit()


def csrf_of(html: str) -> str:
    return str(BeautifulSoup(html, "html.parser").select_one("input[name=csrf]")["value"])


def sign_in(client: Any, username: str, password: str = PASSWORD, **kw: Any) -> Any:
    form = client.get("/login")
    return client.post("/login", data={"username": username, "password": password, "csrf": csrf_of(form.text)},
                       follow_redirects=False, **kw)


def audit_count(app: Any, verb: str | None = None) -> int:
    with Session(app.state.engine) as session:
        query = select(func.count()).select_from(AuditEntry)
        if verb:
            query = query.where(AuditEntry.verb == verb)
        return int(session.exec(query).one())


def app_routes(app: Any) -> list[APIRoute]:
    """Every API route of the app, the included routers' too (FastAPI includes them lazily)."""
    def walk(routes: list[Any]) -> list[Any]:
        out: list[Any] = []
        for route in routes:
            out += walk(route.original_router.routes) if hasattr(route, "original_router") else [route]
        return out

    return [r for r in walk(app.routes) if isinstance(r, APIRoute)]


def verb_of(route: APIRoute) -> str | None:
    """The verb a route declares with `auth.need(verb)`, found among its dependencies."""
    def find(dependant: Any) -> str | None:
        for dep in dependant.dependencies:
            verb = getattr(dep.call, "verb", None) or find(dep)
            if verb:
                return str(verb)
        return None

    return find(route.dependant)
