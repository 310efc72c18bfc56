"""The check-in's hottest statements on SQLite, run on a connection of their own.

A statement through SQLAlchemy's async session costs about 100 µs of CPU on a small server and
a session as much again, where SQLite itself answers an indexed read or write in under 10 µs.
A first tap at 09:00 is a read of the person and a short write transaction: through sessions
that was most of the tap's CPU. The lane runs those statements on a sqlite3 connection of its
own, on the event loop's thread (like store/sqlite_inline.py), without sessions.

The statements are still SQLAlchemy Core, compiled once for SQLite; values go in and come out
through the same type processors as through a session (a UTC timestamp stays aware, JSON stays
JSON), so the rows are the same. Everything else in the store keeps using sessions.

- Writes take the Database's write lock, so in this process they queue with the sessions'
  writes; another process holding SQLite's lock (the command line tool) is waited for without
  blocking the loop, as in store/sqlite_inline.py. A failure rolls the transaction back.
- Reads are single statements outside a transaction (like a read session); the lane is used
  for point reads by index only, which SQLite answers in microseconds.
- The lane's connections are closed when the engine is disposed.
"""

from __future__ import annotations

import asyncio
import sqlite3
import time
from collections import namedtuple
from collections.abc import AsyncIterator, Callable, Mapping, Sequence
from contextlib import asynccontextmanager
from typing import Any, cast

from sqlalchemy import event
from sqlalchemy.engine import Dialect
from sqlalchemy.exc import DBAPIError
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.dml import ValuesBase
from sqlalchemy.sql.elements import ClauseElement

from store import sqlite_inline
from store.sqlite_inline import _busy


class Prepared:
    """A Core statement compiled once for SQLite, with its type processors.

    keys: the parameter names an INSERT or UPDATE is given (only those columns are written).
    """

    def __init__(
        self, statement: ClauseElement, dialect: Dialect, keys: Sequence[str] | None = None
    ) -> None:
        compiled = cast(
            SQLCompiler,
            statement.compile(
                dialect=dialect, column_keys=list(keys) if keys is not None else None
            ),
        )
        self.sql = compiled.string
        processors = compiled._bind_processors
        self._binds: list[tuple[str, Any]] = [
            (name, processors.get(name)) for name in compiled.positiontup or ()
        ]
        columns = getattr(statement, "selected_columns", None)
        if columns is None:
            self._results: list[Callable[[Any], Any] | None] = []
            self._row: Any = None
        else:
            self._results = [c.type._cached_result_processor(dialect, None) for c in columns]
            self._row = namedtuple("Row", list(columns.keys()), rename=True)  # type: ignore[misc]

    def parameters(self, values: Mapping[str, Any]) -> list[Any]:
        """The positional parameters for values (every bound name must be there)."""
        return [
            process(values[name]) if process is not None else values[name]
            for name, process in self._binds
        ]

    def rows(self, raw: list[Any]) -> list[Any]:
        """Rows as SQLAlchemy would return them (named fields, typed values)."""
        if self._row is None:
            return raw
        processors = self._results
        return [
            self._row(
                *(
                    process(value) if process is not None else value
                    for process, value in zip(processors, row, strict=True)
                )
            )
            for row in raw
        ]


class Lane:
    """Connections of its own to a SQLite file, for the check-in's statements."""

    def __init__(
        self, database: str, write_lock: asyncio.Lock, dialect: Dialect, engine: Any
    ) -> None:
        self._database = database
        self._write_lock = write_lock
        self._dialect = dialect
        self._reader: sqlite3.Connection | None = None
        self._writer: sqlite3.Connection | None = None
        self._prepared: dict[tuple[int, tuple[str, ...] | None], tuple[Any, Prepared]] = {}
        self._trace: Callable[[str], None] | None = None
        event.listen(engine, "engine_disposed", lambda _engine: self.close())

    def _connect(self) -> sqlite3.Connection:
        conn = sqlite3.connect(
            self._database,
            timeout=0,
            isolation_level=None,  # transactions are begun and ended here
            check_same_thread=False,
            uri=self._database.startswith("file:"),
        )
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("PRAGMA foreign_keys=ON")
        conn.execute("PRAGMA synchronous=NORMAL")
        conn.execute("PRAGMA busy_timeout=0")
        conn.set_trace_callback(self._trace)
        return conn

    def trace(self, callback: Callable[[str], None] | None) -> None:
        """Call callback with every statement the lane runs from now on (None: stop)."""
        self._trace = callback
        for conn in (self._reader, self._writer):
            if conn is not None:
                conn.set_trace_callback(callback)

    def prepared(self, statement: ClauseElement, keys: Sequence[str] | None = None) -> Prepared:
        """statement compiled for this lane (once per statement object and keys)."""
        key = (id(statement), tuple(keys) if keys is not None else None)
        found = self._prepared.get(key)
        if found is None:
            # the statement is kept with it, so its id cannot be reused by another object
            found = self._prepared[key] = (statement, Prepared(statement, self._dialect, keys))
        return found[1]

    def read(self, statement: ClauseElement, values: Mapping[str, Any]) -> list[Any]:
        """One read statement's rows, outside any transaction."""
        if self._reader is None:
            self._reader = self._connect()
        return _run(self._reader, self.prepared(statement), values)

    @asynccontextmanager
    async def write(self) -> AsyncIterator[Writer]:
        """A write transaction: committed on success, rolled back on error."""
        async with self._write_lock:
            if self._writer is None:
                self._writer = self._connect()
            conn = self._writer
            try:
                await _begin_immediate(conn)
            except sqlite3.Error as error:
                raise DBAPIError.instance("BEGIN IMMEDIATE", (), error, sqlite3.Error) from error
            try:
                yield Writer(self, conn)
                conn.commit()
            except BaseException as error:
                if conn.in_transaction:  # not left open for the next writer (a failed COMMIT too)
                    conn.rollback()
                if isinstance(error, sqlite3.Error):
                    raise DBAPIError.instance("COMMIT", (), error, sqlite3.Error) from error
                raise

    def close(self) -> None:
        """Close the lane's connections (they open again when next used)."""
        for conn in (self._reader, self._writer):
            if conn is not None:
                conn.close()
        self._reader = self._writer = None


class Writer:
    """Statements inside one of the lane's write transactions."""

    def __init__(self, lane: Lane, conn: sqlite3.Connection) -> None:
        self._lane = lane
        self._conn = conn

    def execute(
        self, statement: ClauseElement, values: Mapping[str, Any], keys: Sequence[str] | None = None
    ) -> list[Any]:
        """Run statement with values; its rows (RETURNING or SELECT).

        keys: the columns an INSERT or UPDATE writes (by default the keys of values).
        """
        if keys is None and isinstance(statement, ValuesBase):
            keys = tuple(values)  # an INSERT or UPDATE writes the columns it is given
        return _run(self._conn, self._lane.prepared(statement, keys), values)


def _run(conn: sqlite3.Connection, prepared: Prepared, values: Mapping[str, Any]) -> list[Any]:
    """prepared's rows; a failure raised as SQLAlchemy would (IntegrityError, OperationalError…)."""
    parameters = prepared.parameters(values)
    try:
        raw = conn.execute(prepared.sql, parameters).fetchall()
    except sqlite3.Error as error:
        raise DBAPIError.instance(prepared.sql, parameters, error, sqlite3.Error) from error
    return prepared.rows(raw)


async def _begin_immediate(conn: sqlite3.Connection) -> None:
    """Take SQLite's write lock; while another process holds it, wait without blocking."""
    deadline = time.monotonic() + sqlite_inline.BUSY_SECONDS
    pause = 0.002
    while True:
        try:
            conn.execute("BEGIN IMMEDIATE")
            return
        except sqlite3.OperationalError as error:
            if not _busy(error) or time.monotonic() + pause > deadline:
                raise
        await asyncio.sleep(pause)
        pause = min(pause * 2, 0.1)
