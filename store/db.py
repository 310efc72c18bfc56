"""Engine and sessions: SQLite (embedded default, WAL) or PostgreSQL from DATABASE_URL."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import Insert, event, exc, text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker, create_async_engine
from sqlalchemy.ext.asyncio import AsyncSession as AsyncSession

from store.sqlite_inline import inline_connector
from store.sqlite_lane import Lane


def normalise_url(url: str) -> str:
    """Pick the async driver for a plain URL: sqlite→aiosqlite, postgresql→asyncpg."""
    parsed = make_url(url)
    if parsed.drivername in ("sqlite", "sqlite+pysqlite"):
        parsed = parsed.set(drivername="sqlite+aiosqlite")
    elif parsed.drivername in ("postgresql", "postgres", "postgresql+psycopg2"):
        parsed = parsed.set(drivername="postgresql+asyncpg")
    return parsed.render_as_string(hide_password=False)


def is_sqlite(url: str) -> bool:
    """True when url points at SQLite."""
    return make_url(url).get_backend_name() == "sqlite"


# a pooled PostgreSQL connection idle for longer than this is pinged before use (see _ping_idle)
IDLE_PING_SECONDS = 10.0


def create_engine(
    url: str,
    *,
    echo: bool = False,
    idle_ping_seconds: float = IDLE_PING_SECONDS,
    inline: bool = True,
    pool_size: int | None = None,
) -> AsyncEngine:
    """Create the async engine; for SQLite, make the folder and turn on WAL and foreign keys.

    inline (SQLite): statements run on the event loop's thread, long reads on a worker thread
    (store/sqlite_inline.py); otherwise every call goes through aiosqlite's thread.
    pool_size (PostgreSQL): the connections, POOL_SIZE unless given; a session waits its turn
    when all are in use.
    """
    url = normalise_url(url)
    kwargs: dict[str, Any] = {"echo": echo}
    if is_sqlite(url):
        database = make_url(url).database
        if database and database != ":memory:":
            Path(database).parent.mkdir(parents=True, exist_ok=True)
        if inline:
            # statements answered on the event loop's thread (store/sqlite_inline.py)
            kwargs["async_creator"] = inline_connector(database or ":memory:")
        else:
            kwargs["connect_args"] = {"timeout": 30}
        # every write session ends in its own COMMIT or ROLLBACK and reads open no transaction,
        # so the pool's rollback when a connection comes back would be one more trip to
        # aiosqlite's thread for nothing (a few per cent of a turn)
        kwargs["pool_reset_on_return"] = None
        if database and database != ":memory:":
            # as for PostgreSQL below: a burst takes turns on the pool rather than opening (and
            # setting up) connections that are closed again when it is over
            size = POOL_SIZE if pool_size is None else pool_size
            kwargs.update(pool_size=size, max_overflow=0)
    else:
        # last in, first out: under a light load the same few connections serve every turn and
        # stay fresh (no idle ping, below); the rest wait idle, and are pinged when next needed.
        # No overflow: fifty taps at once take turns on the pool's connections. A connection
        # opened for a peak and closed after it cost a handshake and the driver's prepared
        # statements anew, tap after tap, and the server does not answer faster for more of
        # them. (No session waits for a second connection while it holds one.)
        size = POOL_SIZE if pool_size is None else pool_size
        kwargs.update(pool_size=size, max_overflow=0, pool_recycle=1800, pool_use_lifo=True)
    engine = create_async_engine(url, **kwargs)
    if is_sqlite(url):
        event.listen(engine.sync_engine, "connect", _inline_pragmas if inline else _sqlite_pragmas)
        event.listen(engine.sync_engine, "begin", _sqlite_begin)
    else:
        event.listen(engine.sync_engine.pool, "checkin", _returned)
        event.listen(engine.sync_engine.pool, "checkout", _ping_idle(idle_ping_seconds))
    return engine


POOL_SIZE = 20


async def warm_pool(engine: AsyncEngine, connections: int = POOL_SIZE) -> None:
    """Open the pool's connections now, so the first burst of requests does not pay for them.

    A new PostgreSQL connection costs a TCP and authentication handshake and the driver's setup
    queries; a roll call's first seconds would otherwise open them all at once. SQLite: nothing.
    """
    if _is_sqlite(engine):
        return
    held = [await engine.connect() for _ in range(connections)]
    for conn in held:
        await conn.close()


# SQLAlchemy's pool_pre_ping costs three round trips on asyncpg (BEGIN, ";", ROLLBACK) at every
# checkout, which measured a quarter of a replica's socket time under load. A connection handed
# back moments ago is alive; one that sat idle (a restarted or failed-over server, a proxy that
# drops idle connections) is pinged first, and a dead one is replaced before anyone uses it.
_RETURNED = "etapaiva_returned_at"


def _returned(_dbapi_connection: Any, record: Any) -> None:
    record.info[_RETURNED] = time.monotonic()


def _ping_idle(idle_seconds: float) -> Any:
    def checkout(dbapi_connection: Any, record: Any, _proxy: Any) -> None:
        returned = record.info.get(_RETURNED)
        if returned is None or time.monotonic() - returned < idle_seconds:
            return  # new, or used a moment ago
        try:
            dbapi_connection.ping()
        except Exception as error:  # any failure: let the pool connect afresh
            raise exc.DisconnectionError(str(error)) from error

    return checkout


def _sqlite_pragmas(dbapi_connection: Any, _record: Any, busy_timeout_ms: int = 30000) -> None:
    # let SQLAlchemy own transactions (pysqlite's own BEGIN handling is off)
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute(f"PRAGMA busy_timeout={busy_timeout_ms}")
    cursor.close()


def _inline_pragmas(dbapi_connection: Any, record: Any) -> None:
    # a busy database is waited for without blocking the loop (sqlite_inline's retries)
    _sqlite_pragmas(dbapi_connection, record, busy_timeout_ms=0)


READ_ONLY = "etapaiva_read_only"


def _sqlite_begin(connection: Any) -> None:
    # SQLAlchemy, not pysqlite, decides when a transaction starts (savepoints need this);
    # reads run statement by statement (autocommit): no BEGIN round trip per read
    if connection.get_execution_options().get(READ_ONLY):
        return
    # the write lock at once: a write session writes, and one waiting for another process's
    # lock then waits at BEGIN, where trying again is safe, rather than halfway through
    connection.exec_driver_sql("BEGIN IMMEDIATE")


class Database:
    """Sessions for reading and for writing.

    SQLite allows one writer at a time, and a transaction that starts reading and then writes
    can fail at once with "database is locked" instead of waiting. Within one process we
    therefore queue writers on an asyncio lock; other processes (the CLI) wait on busy_timeout.
    PostgreSQL needs none of this.
    """

    def __init__(self, engine: AsyncEngine) -> None:
        self.engine = engine
        # statements answered on the loop's thread: closing a session never waits (see _closing)
        self._inline = event.contains(engine.sync_engine, "connect", _inline_pragmas)
        self._sessions = async_sessionmaker(engine, expire_on_commit=False)
        # reads run statement by statement: no BEGIN/ROLLBACK round trips around them
        reader = engine.execution_options(
            **({READ_ONLY: True} if _is_sqlite(engine) else {"isolation_level": "AUTOCOMMIT"})
        )
        self._read_sessions = async_sessionmaker(reader, expire_on_commit=False)
        self._write_lock = asyncio.Lock() if engine.dialect.name == "sqlite" else None
        # the check-in's statements without sessions (store/sqlite_lane.py): inline, on a file
        database = engine.url.database
        self.lane: Lane | None = None
        if self._inline and self._write_lock is not None and database and database != ":memory:":
            self.lane = Lane(database, self._write_lock, engine.dialect, engine.sync_engine)

    def read(self) -> AbstractAsyncContextManager[AsyncSession]:
        """A session for reads (use `async with db.read() as s`).

        Each statement reads on its own (no BEGIN: SQLite's autocommit, PostgreSQL's
        AUTOCOMMIT); a read that needs several statements to agree must use write() instead.
        """
        session = self._read_sessions()
        # aiosqlite (not inline) answers on a thread of its own: there closing does wait
        return _closing(session) if self._inline or self._write_lock is None else session

    @asynccontextmanager
    async def write(self) -> AsyncIterator[AsyncSession]:
        """A session inside a transaction that commits on success and rolls back on error."""
        if self._write_lock is None:
            async with self._sessions.begin() as session:
                yield session
            return
        async with self._write_lock:
            if not self._inline:
                async with self._sessions.begin() as session:
                    yield session
                return
            async with _closing(self._sessions()) as session, session.begin():
                yield session


@asynccontextmanager
async def _closing(session: AsyncSession) -> AsyncIterator[AsyncSession]:
    """The session, closed on the way out in this task, where closing never waits.

    SQLAlchemy closes a session leaving `async with` in a task of its own, shielded, so that a
    cancelled caller cannot abandon a close that is waiting on the database. With the inline
    SQLite driver a commit, rollback or close never waits: it runs to its end on the loop's
    thread before anything else can run, so no cancellation can reach it halfway. Neither does
    closing a PostgreSQL read session: it runs in AUTOCOMMIT, so there is no transaction to
    roll back and the connection goes back to the pool without a round trip. The task cost a
    trip round the event loop per session, and the connection stayed out of the pool meanwhile
    (a burst of fifty taps had the pool open connections beyond its size, and close them after).
    """
    try:
        yield session
    finally:
        await session.close()


class _InsertIgnoring(Insert):
    inherit_cache = True


def insert_ignoring(entity: Any, *conflict_columns: str) -> Insert:
    """INSERT … ON CONFLICT (conflict_columns) DO NOTHING, the same SQL on PostgreSQL and SQLite.

    SQLAlchemy 2.0's dialect inserts (postgresql.insert().on_conflict_do_nothing()) have no
    cache key, so every execution compiled the statement anew (a tenth of a replica's CPU on
    the check-in path). This is a plain INSERT, which caches, with the clause SQLAlchemy renders
    after VALUES and before RETURNING (tests/unit/test_db_insert.py pins the rendering).
    """
    statement = _InsertIgnoring(entity)
    target = ", ".join(f'"{name}"' for name in conflict_columns)
    statement._post_values_clause = text(f"ON CONFLICT ({target}) DO NOTHING")
    return statement


def _is_sqlite(engine: AsyncEngine) -> bool:
    return engine.dialect.name == "sqlite"


def sessionmaker(engine: AsyncEngine) -> Database:
    """The Database over engine (repositories take this)."""
    return Database(engine)
