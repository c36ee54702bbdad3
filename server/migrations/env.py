"""Alembic environment: runs migrations on the connection handed over by `server.db.migrate`."""

from alembic import context
from sqlmodel import SQLModel

from server.store import register_tables

register_tables()

connection = context.config.attributes["connection"]
context.configure(connection=connection, target_metadata=SQLModel.metadata, render_as_batch=True)
with context.begin_transaction():
    context.run_migrations()
