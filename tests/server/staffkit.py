"""Helpers for console tests: accounts made through the store, sign-in through the real form."""

from __future__ import annotations

from typing import Any

from bs4 import BeautifulSoup
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
