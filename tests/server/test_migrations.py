"""The Alembic migrations create exactly the schema the tables describe."""

from __future__ import annotations

from typing import Any

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlmodel import SQLModel

from server.store import register_tables

register_tables()


def test_migrated_schema_matches_the_tables(app: Any) -> None:
    with app.state.engine.connect() as connection:
        diff = compare_metadata(MigrationContext.configure(connection), SQLModel.metadata)
    assert diff == []


def test_server_start_publishes_each_definition_once(make_settings: Any) -> None:
    from server.app import create_app

    first = create_app(make_settings())
    second = create_app(make_settings())  # a restart with unchanged files adds no version
    assert {n: p.number for n, p in second.state.catalog.current.items()} == {"women": 1, "caregiver": 1, "child": 1}
    for app in (first, second):
        app.state.engine.dispose()
