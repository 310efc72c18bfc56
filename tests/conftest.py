"""Shared fixtures: both databases (SQLite file and a real PostgreSQL server), fresh per test."""

from __future__ import annotations

import os
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

from store.db import create_engine, sessionmaker
from store.migrate import upgrade
from store.store import Store
from tests.pg import TempPostgres

BACKENDS = ["sqlite", "postgresql"]


@pytest.fixture(scope="session")
def pg_admin_url() -> Iterator[str]:
    """A PostgreSQL server for the whole run: TEST_DATABASE_URL, or a temporary one."""
    given = os.environ.get("TEST_DATABASE_URL")
    if given:
        yield given
        return
    server = TempPostgres()
    try:
        yield server.start()
    finally:
        server.stop()


async def _fresh_pg_database(admin_url: str) -> tuple[str, str]:
    name = f"t_{uuid.uuid4().hex[:12]}"
    engine = create_async_engine(admin_url, isolation_level="AUTOCOMMIT")
    try:
        async with engine.connect() as conn:
            await conn.execute(text(f'CREATE DATABASE "{name}"'))
    finally:
        await engine.dispose()
    return admin_url.rsplit("/", 1)[0] + f"/{name}", name


async def _drop_pg_database(admin_url: str, name: str) -> None:
    engine = create_async_engine(admin_url, isolation_level="AUTOCOMMIT")
    try:
        async with engine.connect() as conn:
            await conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    finally:
        await engine.dispose()


@pytest.fixture(params=BACKENDS)
async def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[str]:
    """An empty, migrated database on each backend in turn."""
    if request.param == "sqlite":
        url = f"sqlite+aiosqlite:///{tmp_path / 'test.db'}"
        engine = create_engine(url)
        await upgrade(engine)
        await engine.dispose()
        yield url
        return
    admin = request.getfixturevalue("pg_admin_url")
    url, name = await _fresh_pg_database(admin)
    engine = create_engine(url)
    await upgrade(engine)
    await engine.dispose()
    try:
        yield url
    finally:
        await _drop_pg_database(admin, name)


@pytest.fixture
async def store(database_url: str) -> AsyncIterator[Store]:
    """Repositories over a fresh database."""
    engine = create_engine(database_url)
    try:
        yield Store(sessionmaker(engine))
    finally:
        await engine.dispose()
