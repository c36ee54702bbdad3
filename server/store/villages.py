"""Villages and communities (村/社区) that responses are counted by; an org-unit tree comes later.

`KnownVillages` keeps the codes in memory for the ingest API: villages are only ever added (at start,
from the bundled county list), so a code once found stays valid, and a code not yet known is looked up
in the database, so a village added after start is accepted at once.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from sqlmodel import Field, Session, SQLModel, select

CODE = re.compile(r"[0-9A-Za-z_-]{1,12}")


class Village(SQLModel, table=True):
    """A village or community; `area` is urban or rural."""

    __tablename__ = "village"
    code: str = Field(primary_key=True, max_length=12)
    name: str = Field(max_length=100)
    township: str = Field(max_length=100)
    area: str = Field(max_length=8)


def load_villages(session: Session, rows: Iterable[dict[str, str]]) -> int:
    """Insert villages not yet known; returns how many were added."""
    known = set(session.exec(select(Village.code)))
    added = 0
    for row in rows:
        if row["code"] not in known:
            session.add(Village(code=row["code"], name=row["name"], township=row["township"], area=row["area"]))
            known.add(row["code"])
            added += 1
    session.commit()
    return added


def list_villages(session: Session) -> list[Village]:
    return list(session.exec(select(Village).order_by(Village.code)))


def get_village(session: Session, code: str) -> Village | None:
    return session.get(Village, code)


def find_village(session: Session, code: str) -> Village | None:
    """The village with this code, if the text can be a code at all (never sends junk to the database)."""
    return get_village(session, code) if CODE.fullmatch(code) else None


class KnownVillages:
    """Village codes already found in the database; a code not among them is looked up (and kept if found)."""

    def __init__(self) -> None:
        self._codes: set[str] | None = None

    def known(self, session: Session, code: str) -> bool:
        """Is `code` a stored village? A query only for a code not seen before."""
        if self._codes is None:
            self._codes = set(session.exec(select(Village.code)))
        if code in self._codes:
            return True
        if find_village(session, code) is None:
            return False
        self._codes.add(code)
        return True
