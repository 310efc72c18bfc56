"""This process's identity in the database, and whether another process is still alive.

A turn's claim on an activity and a worker's lease on an outbox row name the process that holds
them. When that process dies (kill -9, a crashed host), its claims and leases must be taken over
at once, not after a timeout, and never while it still runs:

- SQLite: one process owns an embedded database, so any owner but this process is dead.
- PostgreSQL: each process holds a session-level advisory lock, (NAMESPACE, its number), on a
  connection of its own for as long as it lives. The server drops the lock the moment that
  connection closes, which happens when the process dies. Whether an owner lives is then one
  look at pg_locks, without taking any lock.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import re
import secrets
import socket

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

log = logging.getLogger(__name__)

# advisory lock namespace (the first of pg_advisory_lock's two int4 keys): "ETAP"
NAMESPACE = 0x45544150
CHECK_SECONDS = 5.0
_OWNER = re.compile(r"^i(\d{1,10})@")
_HELD = text(
    "SELECT 1 FROM pg_locks WHERE locktype = 'advisory' AND granted "
    "AND classid = CAST(:ns AS oid) AND objid = CAST(:n AS oid) AND objsubid = 2 LIMIT 1"
)


def owner_number(owner: str) -> int | None:
    """The advisory-lock number in an owner name ("i123@host:pid"), or None."""
    found = _OWNER.match(owner)
    return int(found.group(1)) if found else None


class Instance:
    """Names this process ("i<number>@<host>:<pid>") and tells whether other owners live."""

    def __init__(self, engine: AsyncEngine, *, check_seconds: float = CHECK_SECONDS) -> None:
        self._engine = engine
        self._embedded = engine.dialect.name == "sqlite"
        self._check = check_seconds
        self._number = secrets.randbelow(2**31 - 2) + 1
        self._conn: AsyncConnection | None = None
        self._task: asyncio.Task[None] | None = None
        self._host = f"{socket.gethostname()[:40]}:{os.getpid()}"

    @property
    def owner(self) -> str:
        """This process's name in claims and leases."""
        return f"i{self._number}@{self._host}"

    async def start(self) -> None:
        """Take this process's lock (PostgreSQL) and keep it while the process runs."""
        if self._embedded:
            return
        await self._hold()
        self._task = asyncio.get_running_loop().create_task(self._keep(), name="instance-lock")

    async def stop(self) -> None:
        """Let go of the lock (the claims and leases of this process become takeable)."""
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
        await self._drop()

    async def alive(self, owner: str | None) -> bool:
        """True if owner is this process, or another process that still holds its lock."""
        if owner is None:
            return False
        if owner == self.owner:
            return True
        if self._embedded:
            return False
        number = owner_number(owner)
        if number is None:
            return False
        async with self._engine.connect() as conn:
            found = await conn.execute(_HELD, {"ns": NAMESPACE, "n": number})
            held = found.first() is not None
            await conn.rollback()
        return held

    async def _hold(self) -> None:
        for _ in range(20):
            conn = await self._engine.connect()
            try:
                got = (
                    await conn.execute(
                        text("SELECT pg_try_advisory_lock(:ns, :n)"),
                        {"ns": NAMESPACE, "n": self._number},
                    )
                ).scalar()
                await conn.commit()
            except Exception:
                await conn.close()
                raise
            if got:
                self._conn = conn
                log.info("this process is %s", self.owner)
                return
            await conn.close()
            # another live process drew the same number: draw again
            self._number = secrets.randbelow(2**31 - 2) + 1
        raise RuntimeError("could not take an instance lock")

    async def _keep(self) -> None:
        while True:
            await asyncio.sleep(self._check)
            try:
                if self._conn is None:
                    await self._hold()
                    continue
                await self._conn.execute(text("SELECT 1"))
                await self._conn.commit()
            except asyncio.CancelledError:
                raise
            except Exception:
                # the database went away: our lock went with it; take it again when it is back
                log.warning("instance lock connection lost; taking it again")
                await self._drop()

    async def _drop(self) -> None:
        conn, self._conn = self._conn, None
        if conn is None:
            return
        try:
            # the connection goes back to the pool, which would keep the lock: let go of it
            await conn.execute(
                text("SELECT pg_advisory_unlock(:ns, :n)"), {"ns": NAMESPACE, "n": self._number}
            )
            await conn.commit()
            await conn.close()
        except Exception:
            with contextlib.suppress(Exception):
                await conn.invalidate()
