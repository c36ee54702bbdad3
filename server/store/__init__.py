"""Persistence, one module per noun: each holds its table(s) and the verb-named queries on them.

The only place that runs queries. Routes call these functions with the request's session; domain
code (surveys/, analysis/) never opens a session. Each write path exists once. Schema changes go
through Alembic migrations in `server/migrations`, never `create_all`.

Nouns: `versions` (published questionnaire definitions), `villages`, `drafts` (answers in progress),
`responses` (finished, never overwritten). Units, staff, audit, waves and cases get modules of their
own here as they arrive.
"""

from __future__ import annotations

from datetime import UTC, datetime


def utcnow() -> datetime:
    """Timezone-aware UTC now (SQLModel stores aware datetimes and returns them in UTC)."""
    return datetime.now(UTC)
