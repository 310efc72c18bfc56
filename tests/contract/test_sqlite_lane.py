"""SQLite's lane (store/sqlite_lane.py): the same rows as through a session, one transaction
at a time with the sessions, rolled back on failure, never stalling the loop."""

from __future__ import annotations

import asyncio
import sqlite3
import time
from collections.abc import AsyncIterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import (
    JSON,
    Boolean,
    Column,
    Date,
    Integer,
    MetaData,
    String,
    Table,
    bindparam,
    insert,
    select,
    text,
)
from sqlalchemy.exc import IntegrityError, OperationalError

from store import sqlite_inline
from store.db import Database, create_engine, insert_ignoring
from store.tables import UtcDateTime
from tests.contract.test_sqlite_inline import Ticker

META = MetaData()
T = Table(
    "lane_t",
    META,
    Column("id", Integer, primary_key=True),
    Column("name", String, nullable=False, unique=True),
    Column("at", UtcDateTime()),
    Column("day", Date),
    Column("flag", Boolean),
    Column("payload", JSON),
)
INSERT = insert_ignoring(T, "name").returning(T.c.id)
PLAIN_INSERT = insert(T)
BY_NAME = select(T).where(T.c.name == bindparam("name"))
AT = datetime(2026, 3, 5, 7, 0, 30, 123456, tzinfo=UTC)
ROW: dict[str, Any] = {
    "name": "jari",
    "at": AT,
    "day": date(2026, 3, 5),
    "flag": True,
    "payload": {"text": "Hei", "n": [1, 2]},
}


@pytest.fixture
async def db(tmp_path: Path) -> AsyncIterator[Database]:
    engine = create_engine(f"sqlite:///{tmp_path / 'lane.db'}")
    async with engine.begin() as conn:
        await conn.run_sync(META.create_all)
    try:
        yield Database(engine)
    finally:
        await engine.dispose()


def lane_of(db: Database) -> Any:
    assert db.lane is not None
    return db.lane


async def test_rows_written_on_the_lane_read_the_same_through_a_session(db: Database) -> None:
    lane = lane_of(db)
    async with lane.write() as w:
        returned = w.execute(INSERT, ROW)
        again = w.execute(INSERT, ROW)  # the name is taken: nothing, no error
    assert len(returned) == 1
    assert again == []
    async with db.read() as s:
        row = (await s.execute(BY_NAME, {"name": "jari"})).one()
    assert (row.id, row.at, row.day, row.flag, row.payload) == (
        returned[0][0],
        AT,
        ROW["day"],
        True,
        ROW["payload"],
    )
    assert row.at.tzinfo is not None
    # and the lane reads what a session wrote, typed the same
    async with db.write() as s:
        await s.execute(PLAIN_INSERT, {**ROW, "name": "sari", "at": AT + timedelta(hours=1)})
    read = lane.read(BY_NAME, {"name": "sari"})
    assert len(read) == 1
    assert read[0].at == AT + timedelta(hours=1)
    assert read[0].at.tzinfo is not None
    assert (read[0].day, read[0].flag, read[0].payload) == (ROW["day"], True, ROW["payload"])


async def test_a_failure_rolls_the_lanes_transaction_back(db: Database) -> None:
    lane = lane_of(db)

    async def failing_tap() -> None:
        async with lane.write() as w:
            w.execute(INSERT, ROW)
            raise RuntimeError("the tap failed")

    async def same_name_twice() -> None:
        async with lane.write() as w:
            w.execute(INSERT, {**ROW, "name": "erkki"})
            w.execute(PLAIN_INSERT, {**ROW, "name": "erkki"})

    with pytest.raises(RuntimeError):
        await failing_tap()
    with pytest.raises(IntegrityError):  # raised as SQLAlchemy raises it
        await same_name_twice()
    async with db.read() as s:
        assert (await s.execute(text("SELECT count(*) FROM lane_t"))).scalar_one() == 0
    async with lane.write() as w:  # the lane is usable again
        assert len(w.execute(INSERT, ROW)) == 1


async def test_a_failed_commit_is_rolled_back_and_the_lane_writes_again(db: Database) -> None:
    """A deferred foreign key is checked at COMMIT: that failure leaves nothing open."""
    async with db.write() as s:
        await s.execute(
            text(
                "CREATE TABLE lane_child (id INTEGER PRIMARY KEY, parent INTEGER REFERENCES "
                "lane_t (id) DEFERRABLE INITIALLY DEFERRED)"
            )
        )
    lane = lane_of(db)
    orphan = text("INSERT INTO lane_child (parent) VALUES (:parent)")

    async def orphan_child() -> None:
        async with lane.write() as w:
            w.execute(INSERT, ROW)
            w.execute(orphan, {"parent": 999})

    with pytest.raises(IntegrityError, match="FOREIGN KEY"):
        await orphan_child()
    async with db.read() as s:
        assert (await s.execute(text("SELECT count(*) FROM lane_t"))).scalar_one() == 0
    async with lane.write() as w:
        (row,) = w.execute(INSERT, ROW)
        w.execute(orphan, {"parent": row[0]})
    async with db.read() as s:
        assert (await s.execute(text("SELECT count(*) FROM lane_child"))).scalar_one() == 1


async def test_the_lane_and_the_sessions_write_one_at_a_time(db: Database) -> None:
    lane = lane_of(db)
    order: list[str] = []

    async def session_write() -> None:
        async with db.write() as s:
            order.append("session in")
            await asyncio.sleep(0.05)
            await s.execute(PLAIN_INSERT, {**ROW, "name": "session"})
            order.append("session out")

    async def lane_write() -> None:
        await asyncio.sleep(0.01)
        async with lane.write() as w:
            order.append("lane in")
            w.execute(INSERT, {**ROW, "name": "lane"})
            order.append("lane out")

    await asyncio.gather(session_write(), lane_write())
    assert order == ["session in", "session out", "lane in", "lane out"]


async def test_the_lane_waits_for_another_process_without_stopping_the_loop(
    db: Database, tmp_path: Path
) -> None:
    other = sqlite3.connect(tmp_path / "lane.db", isolation_level=None, check_same_thread=False)
    other.execute("BEGIN IMMEDIATE")
    other.execute("INSERT INTO lane_t (name) VALUES ('theirs')")
    asyncio.get_running_loop().call_later(0.5, other.execute, "COMMIT")
    with Ticker() as ticker:
        started = time.monotonic()
        async with lane_of(db).write() as w:
            w.execute(INSERT, ROW)
        waited = time.monotonic() - started
    other.close()
    assert waited >= 0.45
    assert ticker.longest < 0.2, ticker.longest
    async with db.read() as s:
        names = (await s.execute(text("SELECT name FROM lane_t ORDER BY id"))).scalars().all()
    assert names == ["theirs", "jari"]


async def test_a_lock_held_too_long_is_an_error_and_nothing_is_written(
    db: Database, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(sqlite_inline, "BUSY_SECONDS", 0.3)
    other = sqlite3.connect(tmp_path / "lane.db", isolation_level=None)
    other.execute("BEGIN IMMEDIATE")
    try:
        with pytest.raises(OperationalError, match="locked"):
            async with lane_of(db).write() as w:
                w.execute(INSERT, ROW)
    finally:
        other.execute("ROLLBACK")
        other.close()
    async with db.read() as s:
        assert (await s.execute(text("SELECT count(*) FROM lane_t"))).scalar_one() == 0


async def test_disposing_the_engine_closes_the_lanes_connections(db: Database) -> None:
    lane = lane_of(db)
    async with lane.write() as w:
        w.execute(INSERT, ROW)
    assert lane.read(BY_NAME, {"name": "jari"})
    writer, reader = lane._writer, lane._reader
    await db.engine.dispose()
    for conn in (writer, reader):
        with pytest.raises(sqlite3.ProgrammingError, match="closed"):
            conn.execute("SELECT 1")


async def test_no_lane_on_postgresql_or_an_in_memory_database() -> None:
    memory = create_engine("sqlite:///:memory:")
    try:
        assert Database(memory).lane is None
    finally:
        await memory.dispose()
