"""Console sign-ins: server-side sessions, kept in the database so every process shares them.

The cookie holds a random token; only its SHA-256 is stored. A session ends on logout, on a password
change (every session of the account), or after `idle` without a request. `now` is passed in, so
tests control the clock.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import UTC, datetime, timedelta

from sqlalchemy import update
from sqlmodel import Field, Session, SQLModel, select

TOUCH_EVERY = timedelta(seconds=60)  # last_seen is written at most once a minute per session


class StaffSession(SQLModel, table=True):
    """One signed-in browser."""

    __tablename__ = "staff_session"
    token_sha256: str = Field(primary_key=True, max_length=64)
    staff_id: int = Field(foreign_key="staff.id", index=True)
    created_at: datetime
    last_seen: datetime
    revoked_at: datetime | None = None


def aware(moment: datetime) -> datetime:
    """A stored time as aware UTC (SQLite gives naive datetimes back, PostgreSQL aware ones)."""
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def open_session(session: Session, staff_id: int, now: datetime) -> str:
    """A new session (flushed); returns the token for the cookie."""
    token = secrets.token_urlsafe(32)
    session.add(StaffSession(token_sha256=digest(token), staff_id=staff_id, created_at=now, last_seen=now))
    session.flush()
    return token


def live_session(session: Session, token: str, now: datetime, idle: timedelta) -> StaffSession | None:
    """The session of this cookie if it is neither revoked nor idle too long (touching it)."""
    if not token or len(token) > 100:
        return None
    row = session.get(StaffSession, digest(token))
    if row is None or row.revoked_at is not None or now - aware(row.last_seen) > idle:
        return None
    if now - aware(row.last_seen) > TOUCH_EVERY:
        row.last_seen = now
        session.add(row)
        session.commit()
    return row


def revoke(session: Session, token: str, now: datetime) -> None:
    row = session.get(StaffSession, digest(token))
    if row is not None and row.revoked_at is None:
        row.revoked_at = now
        session.add(row)
        session.flush()


def revoke_all(session: Session, staff_id: int, now: datetime) -> int:
    """End every session of an account (a password change); returns how many were open."""
    result = session.execute(update(StaffSession).where(
        StaffSession.staff_id == staff_id, StaffSession.revoked_at.is_(None))  # type: ignore[union-attr]
        .values(revoked_at=now))
    return int(result.rowcount or 0)  # type: ignore[attr-defined]


def open_sessions(session: Session, staff_id: int) -> list[StaffSession]:
    return list(session.exec(select(StaffSession).where(
        StaffSession.staff_id == staff_id, StaffSession.revoked_at.is_(None))))  # type: ignore[union-attr]
