"""Persistence, one module per noun: each holds its table(s) and the verb-named queries on them.

The only place that runs queries. Routes call these functions with the request's session; domain
code (surveys/, analysis/) never opens a session. Each write path exists once. Schema changes go
through Alembic migrations in `server/migrations`, never `create_all`.

Nouns: `versions` (published questionnaire definitions), `units` (the org-unit tree and population),
`drafts` (answers in progress), `responses` (finished, never overwritten), `staff`, `sessions`, `tokens`,
`logins`, `limits`, `audit`, `questionnaires`, `waves`, `listings`, `cases`, `reviews`, `updates` (the field
app's applied-update ledger).
"""

from __future__ import annotations

import importlib
import pkgutil
from datetime import UTC, datetime


def register_tables() -> None:
    """Import every module of this package, so that `SQLModel.metadata` holds every table (for the
    migrations and the test that compares them with the tables): a new noun needs no list updated."""
    for module in pkgutil.iter_modules(__path__):
        importlib.import_module(f"{__name__}.{module.name}")


def utcnow() -> datetime:
    """Timezone-aware UTC now (SQLModel stores aware datetimes and returns them in UTC)."""
    return datetime.now(UTC)


ID_MAX = 2**31 - 1  # the largest integer key (PostgreSQL's `integer`): a larger id from a URL names no row


def known_id(value: int) -> bool:
    """Whether an id from a request could name a row at all (PostgreSQL refuses to compare a larger one)."""
    return 0 < value <= ID_MAX

