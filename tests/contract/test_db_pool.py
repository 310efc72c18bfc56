"""PostgreSQL pool: an idle connection the server dropped is replaced before anyone uses it,
and a burst takes turns on the pool's connections."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest
from sqlalchemy import event, text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import create_async_engine

from store.db import create_engine, sessionmaker, warm_pool
from tests.conftest import _drop_pg_database, _fresh_pg_database


@pytest.fixture
async def pg_url(pg_admin_url: str) -> AsyncIterator[str]:
    url, name = await _fresh_pg_database(pg_admin_url)
    try:
        yield url
    finally:
        await _drop_pg_database(pg_admin_url, name)


async def _drop_other_connections(url: str) -> int:
    """What a server restart or an idle-dropping proxy does to the pool's connections."""
    admin = create_async_engine(url, isolation_level="AUTOCOMMIT")
    try:
        async with admin.connect() as conn:
            killed = await conn.execute(
                text(
                    "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                    "WHERE datname = current_database() AND pid <> pg_backend_pid()"
                )
            )
            return int(killed.scalar_one())
    finally:
        await admin.dispose()


async def _read_twice(url: str, idle_ping_seconds: float) -> int:
    engine = create_engine(url, idle_ping_seconds=idle_ping_seconds)
    db = sessionmaker(engine)
    try:
        async with db.read() as s:
            assert (await s.execute(text("SELECT 1"))).scalar_one() == 1
        assert await _drop_other_connections(url) == 1
        async with db.read() as s:
            return int((await s.execute(text("SELECT 2"))).scalar_one())
    finally:
        await engine.dispose()


async def test_an_idle_connection_is_pinged_and_replaced(pg_url: str) -> None:
    # idle_ping_seconds=0: every returned connection counts as idle
    assert await _read_twice(pg_url, idle_ping_seconds=0) == 2


async def test_a_connection_used_a_moment_ago_is_not_pinged(pg_url: str) -> None:
    # the other side of the trade: within the idle time a dropped connection fails once
    # (and the pool is then invalidated); this shows the ping above is what saves the read
    with pytest.raises(DBAPIError):
        await _read_twice(pg_url, idle_ping_seconds=3600)


async def test_warm_pool_opens_the_pools_connections_up_front(pg_url: str) -> None:
    engine = create_engine(pg_url)
    try:
        assert engine.sync_engine.pool.checkedin() == 0
        await warm_pool(engine, 4)
        assert engine.sync_engine.pool.checkedin() == 4
        async with sessionmaker(engine).read() as s:  # and they work
            assert (await s.execute(text("SELECT 3"))).scalar_one() == 3
    finally:
        await engine.dispose()


async def test_a_burst_takes_turns_on_the_pools_connections(pg_url: str) -> None:
    """Fifty sessions at once on a pool of four: all answered, and no connection is opened
    for the peak (and closed after it) once the pool is warm."""
    engine = create_engine(pg_url, pool_size=4)
    opened: list[int] = []
    event.listen(engine.sync_engine, "connect", lambda *_: opened.append(1))
    db = sessionmaker(engine)

    async def one(n: int) -> int:
        async with db.read() as s:
            return int(
                (
                    await s.execute(
                        text("SELECT CAST(:n AS integer) FROM pg_sleep(0.005)"), {"n": n}
                    )
                ).one()[0]
            )

    try:
        await warm_pool(engine, 4)
        assert len(opened) == 4
        for _ in range(3):
            assert await asyncio.gather(*(one(n) for n in range(50))) == list(range(50))
        assert len(opened) == 4
        assert engine.sync_engine.pool.checkedin() == 4
    finally:
        await engine.dispose()
