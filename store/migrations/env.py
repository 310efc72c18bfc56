"""Alembic environment: runs on a connection handed over by store.migrate (async engines)."""

from __future__ import annotations

from alembic import context
from sqlalchemy import Connection

import store.days
import store.digest
import store.exports
import store.feedback
import store.graph_attendance
import store.outbox
import store.rollcall
import store.tutorial  # noqa: F401  (the imports register the tables)
from store.tables import Base

target_metadata = Base.metadata


def run(connection: Connection) -> None:
    """Run migrations on connection."""
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


connection = context.config.attributes.get("connection")
if connection is None:
    raise RuntimeError("run migrations through `etapaiva db upgrade`")
run(connection)
