"""SQLite statements run on the event loop's own thread, long reads moved to a worker thread.

aiosqlite runs every call (cursor, execute, fetch, close, commit) on a thread of its own and
wakes the event loop for each answer: about 240 µs of CPU per statement on this kind of machine,
where SQLite itself needs a few microseconds for the indexed reads and writes of a turn. A
check-in is a dozen statements, so the thread hops were most of its cost.

This module offers the small part of aiosqlite's connection API that SQLAlchemy's aiosqlite
dialect uses (passed as `async_creator`), answering at once from the loop's thread:

- A read outside a transaction (a read session) that is still running after `SLOW_SECONDS`
  is interrupted by SQLite's progress handler and run again on a worker thread, so a long
  report or export does not stop everyone else's turns. Reads have no side effects, so running
  one again is safe.
- Statements inside a transaction (write sessions, which take SQLite's write lock at BEGIN
  IMMEDIATE and are queued one at a time in this process) run on the loop's thread: they are
  short, and interrupting one would roll the transaction back.
- Another process holding the write lock (the command line tool) makes BEGIN IMMEDIATE fail
  at once (busy timeout 0); it is tried again after an asynchronous wait, up to
  `BUSY_SECONDS`, instead of blocking the event loop inside SQLite.
"""

from __future__ import annotations

import asyncio
import sqlite3
import time
from collections.abc import Callable, Iterable, Sequence
from typing import Any

SLOW_SECONDS = 0.02
BUSY_SECONDS = 30.0
PROGRESS_STEPS = 2000  # SQLite virtual machine instructions between looks at the clock


def _busy(error: sqlite3.OperationalError) -> bool:
    message = str(error).lower()
    return "database is locked" in message or "database is busy" in message


def _is_read(sql: str) -> bool:
    head = sql.lstrip()[:8].upper()
    return head.startswith(("SELECT", "WITH", "PRAGMA"))


class _Cursor:
    """A cursor whose rows were fetched when the statement ran."""

    def __init__(self, connection: InlineConnection) -> None:
        self._connection = connection
        self._cursor = connection._conn.cursor()
        self._rows: list[Any] = []
        self.description: Any = None
        self.rowcount = -1
        self.lastrowid: int | None = None

    def _take(self, cursor: sqlite3.Cursor, rows: list[Any]) -> None:
        self._rows = rows
        self.description = cursor.description
        self.rowcount = cursor.rowcount
        self.lastrowid = cursor.lastrowid

    async def execute(self, sql: str, parameters: Sequence[Any] | dict[str, Any] = ()) -> _Cursor:
        connection = self._connection
        conn = connection._conn
        cursor = self._cursor
        if conn.in_transaction or not _is_read(sql):
            rows = await connection._retry_busy(lambda: cursor.execute(sql, parameters).fetchall())
            self._take(cursor, rows)
            return self
        deadline = time.monotonic() + SLOW_SECONDS
        conn.set_progress_handler(lambda: time.monotonic() > deadline, PROGRESS_STEPS)
        try:
            rows = cursor.execute(sql, parameters).fetchall()
        except sqlite3.OperationalError as error:
            if "interrupted" not in str(error):
                raise
            conn.set_progress_handler(None, PROGRESS_STEPS)
            rows = await asyncio.to_thread(lambda: cursor.execute(sql, parameters).fetchall())
        finally:
            conn.set_progress_handler(None, PROGRESS_STEPS)
        self._take(cursor, rows)
        return self

    async def executemany(self, sql: str, parameters: Iterable[Any]) -> _Cursor:
        cursor = self._cursor
        await self._connection._retry_busy(lambda: cursor.executemany(sql, parameters))
        self._take(cursor, [])
        return self

    async def fetchall(self) -> list[Any]:
        rows, self._rows = self._rows, []
        return rows

    async def fetchone(self) -> Any:
        return self._rows.pop(0) if self._rows else None

    async def fetchmany(self, size: int | None = None) -> list[Any]:
        count = len(self._rows) if size is None else size
        rows, self._rows = self._rows[:count], self._rows[count:]
        return rows

    async def close(self) -> None:
        self._rows = []
        self._cursor.close()


class _Immediately:
    """Stands in for aiosqlite's request queue, which SQLAlchemy uses to set isolation_level."""

    def put_nowait(self, item: tuple[asyncio.Future[Any], Callable[[], Any]]) -> None:
        future, function = item
        try:
            future.set_result(function())
        except Exception as error:
            future.set_exception(error)


class InlineConnection:
    """The part of aiosqlite.Connection that SQLAlchemy's aiosqlite dialect calls."""

    def __init__(self, conn: sqlite3.Connection) -> None:
        self._conn = conn
        self._tx = _Immediately()

    @property
    def isolation_level(self) -> str | None:
        return self._conn.isolation_level

    @isolation_level.setter
    def isolation_level(self, value: str | None) -> None:
        self._conn.isolation_level = value  # type: ignore[assignment]

    async def _retry_busy(self, run: Callable[[], Any]) -> Any:
        """Run; while another process holds the write lock, wait without blocking the loop."""
        deadline = time.monotonic() + BUSY_SECONDS
        pause = 0.002
        while True:
            try:
                return run()
            except sqlite3.OperationalError as error:
                # only a statement outside a transaction (BEGIN IMMEDIATE, an autocommit write)
                # can simply be run again
                if not _busy(error) or self._conn.in_transaction:
                    raise
                if time.monotonic() + pause > deadline:
                    raise
            await asyncio.sleep(pause)
            pause = min(pause * 2, 0.1)

    async def cursor(self) -> _Cursor:
        return _Cursor(self)

    async def execute(self, sql: str, parameters: Sequence[Any] | dict[str, Any] = ()) -> _Cursor:
        cursor = _Cursor(self)
        return await cursor.execute(sql, parameters)

    async def create_function(self, *args: Any, **kwargs: Any) -> None:
        self._conn.create_function(*args, **kwargs)

    async def commit(self) -> None:
        self._conn.commit()

    async def rollback(self) -> None:
        self._conn.rollback()

    async def close(self) -> None:
        self._conn.close()

    def stop(self) -> None:
        """Close at once (SQLAlchemy's terminate)."""
        self._conn.close()


def inline_connector(database: str) -> Callable[[], Any]:
    """The `async_creator` for a SQLite file: connections that answer on the loop's thread."""

    async def connect() -> InlineConnection:
        conn = sqlite3.connect(
            database,
            timeout=0,
            check_same_thread=False,  # a long read may finish on a worker thread
            isolation_level=None,
            uri=database.startswith("file:"),
        )
        return InlineConnection(conn)

    return connect
