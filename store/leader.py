"""The leader lock: a PostgreSQL session-level advisory lock held on its own connection.

With SQLite there is one process, so it always holds the lock.
"""

from __future__ import annotations

import logging

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

log = logging.getLogger(__name__)

# any 64-bit number, the same in every replica: "etapaiva" in ASCII
LOCK_KEY = 0x6574617061697661 & 0x7FFFFFFFFFFFFFFF


class LeaderLock:
    """try_acquire / still_held / release of the one scheduler lock."""

    def __init__(self, engine: AsyncEngine, key: int = LOCK_KEY) -> None:
        self._engine = engine
        self._key = key
        self._conn: AsyncConnection | None = None
        self._embedded = engine.dialect.name == "sqlite"

    async def try_acquire(self) -> bool:
        """Take the lock if nobody holds it; True if we hold it now."""
        if self._embedded:
            return True
        if self._conn is not None:
            return await self.still_held()
        conn = await self._engine.connect()
        try:
            got = (
                await conn.execute(text("SELECT pg_try_advisory_lock(:k)"), {"k": self._key})
            ).scalar()
            await conn.commit()
        except Exception:
            await conn.close()
            raise
        if got:
            self._conn = conn
            return True
        await conn.close()
        return False

    async def still_held(self) -> bool:
        """True while our lock connection is alive (the server drops the lock with it)."""
        if self._embedded:
            return True
        if self._conn is None:
            return False
        try:
            await self._conn.execute(text("SELECT 1"))
            await self._conn.commit()
            return True
        except Exception:
            log.warning("leader lock connection lost")
            await self._drop()
            return False

    async def release(self) -> None:
        """Give the lock up (closing the connection releases it too)."""
        if self._conn is None:
            return
        try:
            await self._conn.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": self._key})
            await self._conn.commit()
        except Exception:
            log.info("could not unlock cleanly; closing the connection releases the lock")
        await self._drop()

    async def _drop(self) -> None:
        conn, self._conn = self._conn, None
        if conn is not None:
            try:
                await conn.close()
            except Exception:
                await conn.invalidate()
