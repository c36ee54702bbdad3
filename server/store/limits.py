"""Rate-limit counters shared by every server process: one row per (action, client, window).

A fixed-window counter kept in the database, so several processes (or machines) on one PostgreSQL
count together. `hit` adds one and returns the count in the current window with a single
`INSERT … ON CONFLICT DO UPDATE … RETURNING` (both SQLite and PostgreSQL), so two processes
never lose a hit. Old windows are overwritten in place; nothing grows without bound per client.
"""

from __future__ import annotations

from sqlalchemy import Integer, String, case
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Field, Session, SQLModel


class RateBucket(SQLModel, table=True):
    """Hits of one client on one action in the window that starts at `window_start` (epoch seconds)."""

    __tablename__ = "rate_bucket"
    key: str = Field(primary_key=True, max_length=160, sa_type=String(160))
    window_start: int = Field(sa_type=Integer)
    hits: int = Field(sa_type=Integer)


def hit(session: Session, key: str, window_start: int, count: int = 1) -> int:
    """Add `count` hits to `key` in the window starting at `window_start`; the hits so far in that window."""
    dialect = sqlite if session.get_bind().dialect.name == "sqlite" else postgresql
    table = RateBucket.__table__  # type: ignore[attr-defined]
    insert = dialect.insert(table).values(key=key, window_start=window_start, hits=count)
    same = table.c.window_start == insert.excluded.window_start
    statement = insert.on_conflict_do_update(
        index_elements=[table.c.key],
        set_={"hits": case((same, table.c.hits + insert.excluded.hits), else_=insert.excluded.hits),
              "window_start": insert.excluded.window_start},
    ).returning(table.c.hits)
    hits = int(session.execute(statement).scalar_one())
    session.commit()
    return hits


def peek(session: Session, key: str, window_start: int) -> int:
    """The hits of `key` in the window starting at `window_start`, without adding one."""
    row = session.get(RateBucket, key)
    return row.hits if row is not None and row.window_start == window_start else 0
