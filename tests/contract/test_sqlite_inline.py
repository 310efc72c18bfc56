"""SQLite on the event loop's thread (store/sqlite_inline.py): fast, and never stalling it."""

from __future__ import annotations

import asyncio
import sqlite3
import threading
import time
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from store import sqlite_inline
from store.db import create_engine, sessionmaker

# counts to n in SQLite's virtual machine: a read that takes a while and returns one row
SLOW_COUNT = text(
    "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < :n) "
    "SELECT count(*) FROM c"
)


@pytest.fixture
async def engine(tmp_path: Path) -> AsyncIterator[AsyncEngine]:
    engine = create_engine(f"sqlite:///{tmp_path / 'inline.db'}")
    async with engine.begin() as conn:
        await conn.execute(text("CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT NOT NULL)"))
    try:
        yield engine
    finally:
        await engine.dispose()


class Ticker:
    """Counts how often the event loop got to run something else, and the longest gap."""

    def __init__(self) -> None:
        self.ticks = 0
        self.longest = 0.0
        self._task: asyncio.Task[None] | None = None

    async def _run(self) -> None:
        last = time.monotonic()
        while True:
            await asyncio.sleep(0.005)
            now = time.monotonic()
            self.longest = max(self.longest, now - last)
            self.ticks += 1
            last = now

    def __enter__(self) -> Ticker:
        self._task = asyncio.get_running_loop().create_task(self._run())
        return self

    def __exit__(self, *_: object) -> None:
        assert self._task is not None
        self._task.cancel()


async def test_statements_run_on_the_loops_thread_without_a_driver_thread(
    engine: AsyncEngine,
) -> None:
    threads = threading.active_count()
    db = sessionmaker(engine)
    async with db.write() as s:
        await s.execute(text("INSERT INTO t (v) VALUES ('a'), ('b')"))
    async with db.read() as s:
        rows = (await s.execute(text("SELECT v FROM t ORDER BY id"))).scalars().all()
    assert rows == ["a", "b"]
    async with engine.connect() as conn:
        raw = await conn.get_raw_connection()
        assert isinstance(raw.driver_connection, sqlite_inline.InlineConnection)
    assert threading.active_count() == threads  # aiosqlite would start one per connection


async def test_a_long_read_moves_to_a_worker_thread_and_the_loop_keeps_going(
    engine: AsyncEngine,
) -> None:
    db = sessionmaker(engine)
    with Ticker() as ticker:
        started = time.monotonic()
        async with db.read() as s:
            counted = (await s.execute(SLOW_COUNT, {"n": 3_000_000})).scalar_one()
        took = time.monotonic() - started
    assert counted == 3_000_000
    assert took > 0.2, "the read was meant to take a while"
    # the loop ran all along: no pause much longer than the inline limit
    assert ticker.ticks >= 10
    assert ticker.longest < sqlite_inline.SLOW_SECONDS + 0.15, ticker.longest


async def test_a_write_waits_for_another_process_without_stopping_the_loop(
    engine: AsyncEngine, tmp_path: Path
) -> None:
    """Another connection (the command line tool) holds the write lock for 0.5 s."""
    other = sqlite3.connect(tmp_path / "inline.db", isolation_level=None, check_same_thread=False)
    other.execute("BEGIN IMMEDIATE")
    other.execute("INSERT INTO t (v) VALUES ('theirs')")
    loop = asyncio.get_running_loop()
    loop.call_later(0.5, other.execute, "COMMIT")
    db = sessionmaker(engine)
    with Ticker() as ticker:
        started = time.monotonic()
        async with db.write() as s:
            await s.execute(text("INSERT INTO t (v) VALUES ('ours')"))
        waited = time.monotonic() - started
    other.close()
    assert waited >= 0.45
    assert ticker.longest < 0.2, ticker.longest
    async with db.read() as s:
        rows = (await s.execute(text("SELECT v FROM t ORDER BY id"))).scalars().all()
    assert rows == ["theirs", "ours"]


async def test_a_lock_held_too_long_ends_in_an_error_and_nothing_written(
    engine: AsyncEngine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(sqlite_inline, "BUSY_SECONDS", 0.3)
    other = sqlite3.connect(tmp_path / "inline.db", isolation_level=None)
    other.execute("BEGIN IMMEDIATE")
    db = sessionmaker(engine)
    try:
        with pytest.raises(Exception, match="locked"):
            async with db.write() as s:
                await s.execute(text("INSERT INTO t (v) VALUES ('ours')"))
    finally:
        other.execute("ROLLBACK")
        other.close()
    async with db.read() as s:
        assert (await s.execute(text("SELECT count(*) FROM t"))).scalar_one() == 0


async def test_a_failed_write_session_rolls_back(engine: AsyncEngine) -> None:
    db = sessionmaker(engine)

    async def failing_turn() -> None:
        async with db.write() as s:
            await s.execute(text("INSERT INTO t (v) VALUES ('gone')"))
            raise RuntimeError("the turn failed")

    with pytest.raises(RuntimeError):
        await failing_turn()
    async with db.write() as s:
        await s.execute(text("INSERT INTO t (v) VALUES ('kept')"))
    async with db.read() as s:
        rows = (await s.execute(text("SELECT v FROM t"))).scalars().all()
    assert rows == ["kept"]
