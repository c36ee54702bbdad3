"""Engines and schema migration. The only module that knows how to connect to a database.

SQLite (embedded default) runs in WAL mode with a busy timeout so concurrent requests queue instead
of failing; PostgreSQL is used as is. The schema is created and upgraded by Alembic, never by
`create_all`, so the embedded default and production follow the same migrations.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from sqlalchemy import Engine, create_engine, event

MIGRATIONS = Path(__file__).parent / "migrations"


def normalise_url(url: str) -> str:
    """Use the psycopg 3 driver for plain postgresql:// URLs."""
    if url.startswith("postgresql://") or url.startswith("postgres://"):
        return "postgresql+psycopg://" + url.split("://", 1)[1]
    return url


def make_engine(url: str, pool_size: int = 8) -> Engine:
    """An engine for `url`; creates the folder of a SQLite file if needed.

    A PostgreSQL pool keeps `pool_size` connections open and never opens more: one per thread that
    serves requests (`server.app` sizes the thread pool to match), so no connection is opened and
    closed per request. No pre-ping (a round trip on every checkout): a connection the database
    dropped fails the one request using it, and SQLAlchemy then replaces every pooled connection
    opened before that failure; devices resend under the same instance id."""
    url = normalise_url(url)
    if url.startswith("sqlite"):
        path = url.split("///", 1)[1] if "///" in url else ""
        if path and path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 30})
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    return create_engine(url, pool_size=pool_size, max_overflow=0, pool_timeout=60)


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()


def migrate(engine: Engine) -> None:
    """Apply every Alembic migration up to head."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, "head")
