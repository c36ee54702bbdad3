"""Device and API tokens (ODK's App Users): a bearer token acts as its account until revoked.

Only the token's SHA-256 is stored; the token itself is shown once, when issued. Device tokens never
expire when idle (a field device may be offline for days); revoking one stops it at once.
"""

from __future__ import annotations

import secrets
from datetime import datetime

from sqlmodel import Field, Session, SQLModel, select

from server.store import known_id
from server.store.sessions import digest

PREFIX = "csk_"


class ApiToken(SQLModel, table=True):
    """A bearer token of an account (a collector's device, an upper level's system)."""

    __tablename__ = "api_token"
    id: int | None = Field(default=None, primary_key=True)
    token_sha256: str = Field(max_length=64, unique=True)
    staff_id: int = Field(foreign_key="staff.id", index=True)
    label: str = Field(max_length=100)
    created_at: datetime
    last_used_at: datetime | None = None
    revoked_at: datetime | None = None


def issue(session: Session, staff_id: int, label: str, now: datetime) -> tuple[ApiToken, str]:
    """A new token (flushed); returns the row and the token text, shown this once."""
    token = PREFIX + secrets.token_urlsafe(32)
    row = ApiToken(token_sha256=digest(token), staff_id=staff_id, label=label[:100], created_at=now)
    session.add(row)
    session.flush()
    return row, token


def live_token(session: Session, token: str) -> ApiToken | None:
    if not token.startswith(PREFIX) or len(token) > 100:
        return None
    row = session.exec(select(ApiToken).where(ApiToken.token_sha256 == digest(token))).first()
    return row if row is not None and row.revoked_at is None else None


def revoke(session: Session, token_id: int, now: datetime) -> ApiToken | None:
    row = session.get(ApiToken, token_id) if known_id(token_id) else None
    if row is not None and row.revoked_at is None:
        row.revoked_at = now
        session.add(row)
        session.flush()
    return row


def tokens_of(session: Session, staff_id: int) -> list[ApiToken]:
    return list(session.exec(select(ApiToken).where(ApiToken.staff_id == staff_id).order_by(ApiToken.id)))
