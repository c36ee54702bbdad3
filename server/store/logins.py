"""Failed sign-ins, counted per account × client address (lockout) and per account (slowdown).

A row per key holds the failures since the first of a run and the time of the last; a run ends
when `window` passes without a failure. `now` is passed in (epoch seconds), so tests control the clock.
"""

from __future__ import annotations

from sqlalchemy import Float, Integer, String
from sqlmodel import Field, Session, SQLModel


class LoginFailure(SQLModel, table=True):
    """Failures of one key (`acct:NAME` or `addr:NAME:ADDRESS`) in the current run."""

    __tablename__ = "login_failure"
    key: str = Field(primary_key=True, max_length=120, sa_type=String(120))
    failures: int = Field(sa_type=Integer)
    last_at: float = Field(sa_type=Float)


def failures(session: Session, key: str, now: float, window: float) -> tuple[int, float]:
    """(failures in the current run, time of the last) for `key`; (0, 0) once the run is over."""
    row = session.get(LoginFailure, key)
    if row is None or now - row.last_at > window:
        return 0, 0.0
    return row.failures, row.last_at


def add_failure(session: Session, key: str, now: float, window: float) -> int:
    """Count one failure (flushed); the failures in the run so far."""
    row = session.get(LoginFailure, key)
    if row is None:
        row = LoginFailure(key=key, failures=0, last_at=now)
    elif now - row.last_at > window:
        row.failures = 0
    row.failures += 1
    row.last_at = now
    session.add(row)
    session.flush()
    return row.failures


def clear(session: Session, key: str) -> None:
    row = session.get(LoginFailure, key)
    if row is not None:
        session.delete(row)
        session.flush()
