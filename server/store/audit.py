"""The audit log: append-only, one row per write, written in the same transaction as the write.

Who (account, or the command line), when, what verb, which object, which unit, a short summary
of the change, and from which address. This module only adds and reads rows: no code path updates
or deletes them (the house test checks that nothing else touches the table).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Column
from sqlmodel import Field, Session, SQLModel, col, select

from server.store import utcnow


class AuditEntry(SQLModel, table=True):
    """One recorded write (or sign-in attempt, or export)."""

    __tablename__ = "audit_log"
    id: int | None = Field(default=None, primary_key=True)
    at: datetime = Field(default_factory=utcnow, index=True)
    actor_id: int | None = Field(default=None, index=True)
    actor: str = Field(max_length=40)
    verb: str = Field(max_length=40, index=True)
    object_type: str = Field(max_length=40)
    object_id: str = Field(max_length=64)
    unit_code: str | None = Field(default=None, max_length=12, index=True)
    summary: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    address: str = Field(default="", max_length=64)


def record(session: Session, actor: str, actor_id: int | None, verb: str, object_type: str, object_id: object,
           unit_code: str | None = None, summary: dict[str, Any] | None = None, address: str = "") -> AuditEntry:
    """Add an entry to the caller's transaction (committed, or rolled back, with the write itself)."""
    entry = AuditEntry(actor=actor[:40], actor_id=actor_id, verb=verb, object_type=object_type,
                       object_id=str(object_id)[:64], unit_code=unit_code, summary=summary or {},
                       address=address[:64])
    session.add(entry)
    return entry


def entries(session: Session, *, under: str | None = None, actor: str | None = None, verb: str | None = None,
            since: datetime | None = None, until: datetime | None = None, limit: int = 200) -> list[AuditEntry]:
    """Entries newest first, filtered by unit prefix, account, verb and time."""
    query = select(AuditEntry)
    if under is not None:
        query = query.where(col(AuditEntry.unit_code).startswith(under))
    if actor is not None:
        query = query.where(AuditEntry.actor == actor)
    if verb is not None:
        query = query.where(AuditEntry.verb == verb)
    if since is not None:
        query = query.where(AuditEntry.at >= since)
    if until is not None:
        query = query.where(AuditEntry.at < until)
    return list(session.exec(query.order_by(col(AuditEntry.id).desc()).limit(limit)))
