"""The field app's applied-update ledger: one row per case update a device synced, by its update id.

A device sends each visit, respondent selection and closing as an update with its own id (a UUID
made on the phone). The ledger claims the id in the same transaction as the update's write, so an
update is applied at most once however often it is resent; a resend is answered from the row (the
first result). Rejected updates (409, 422) are kept here with their problem, on their case, for
the supervisor to see; they change nothing else. Rows are added, never changed.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Column
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Field, Session, SQLModel, col, select

from server.store import utcnow


class FieldUpdate(SQLModel, table=True):
    """One synced case update and what became of it (201 applied, 409 or 422 rejected)."""

    __tablename__ = "field_update"
    id: int | None = Field(default=None, primary_key=True)
    update_id: str = Field(max_length=36, unique=True)
    staff_id: int = Field(foreign_key="staff.id", index=True)
    token_id: int | None = Field(default=None, foreign_key="api_token.id")  # the device that sent it
    case_id: int | None = Field(default=None, foreign_key="fieldcase.id", index=True)  # None: no such case
    kind: str = Field(max_length=12)
    content: dict[str, Any] = Field(sa_column=Column(JSON, nullable=False))  # the update as sent (canonical)
    sha256: str = Field(max_length=64)
    status: int
    problem: dict[str, Any] | None = Field(default=None, sa_column=Column(JSON, nullable=True))
    received_at: datetime = Field(default_factory=utcnow)


def find_update(session: Session, update_id: str) -> FieldUpdate | None:
    return session.exec(select(FieldUpdate).where(FieldUpdate.update_id == update_id)).first()


def claim(session: Session, values: dict[str, Any]) -> bool:
    """Insert the update's row unless its id is taken (`INSERT … ON CONFLICT (update_id) DO NOTHING`):
    True when this transaction now holds the id. A concurrent claim of the same id waits for the
    first transaction and then finds it taken."""
    table = FieldUpdate.__table__  # type: ignore[attr-defined]
    dialect = session.get_bind().dialect.name
    insert = (sqlite if dialect == "sqlite" else postgresql).insert(table)
    statement = insert.on_conflict_do_nothing(index_elements=[table.c.update_id]).returning(table.c.id)
    row = {"received_at": utcnow(), **values}
    return session.connection().execute(statement, row).scalar_one_or_none() is not None


def rejected_on(session: Session, case_id: int) -> list[FieldUpdate]:
    """A case's rejected updates (409, 422), oldest first: what the supervisor is shown on the case."""
    query = select(FieldUpdate).where(FieldUpdate.case_id == case_id, col(FieldUpdate.status) >= 400)
    return list(session.exec(query.order_by(col(FieldUpdate.id))))
