"""Leader election: exactly one replica runs the timer and the outbox worker."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from typing import Protocol

log = logging.getLogger(__name__)


class Lock(Protocol):
    """The lock primitive (store.leader.LeaderLock)."""

    async def try_acquire(self) -> bool: ...
    async def still_held(self) -> bool: ...
    async def release(self) -> None: ...


Hook = Callable[[], Awaitable[None]]


class Leadership:
    """Tries for the lock, runs on_elected when it gets it, on_deposed when it loses it."""

    def __init__(
        self,
        lock: Lock,
        on_elected: Hook,
        on_deposed: Hook,
        *,
        retry_seconds: float = 5.0,
        check_seconds: float = 5.0,
    ) -> None:
        self._lock = lock
        self._on_elected = on_elected
        self._on_deposed = on_deposed
        self._retry = retry_seconds
        self._check = check_seconds
        self._task: asyncio.Task[None] | None = None
        self.is_leader = False

    def start(self) -> None:
        """Begin campaigning in the background."""
        self._task = asyncio.create_task(self._run(), name="leadership")

    async def _run(self) -> None:
        while True:
            try:
                if not self.is_leader and await self._lock.try_acquire():
                    self.is_leader = True
                    log.info("this replica is now the leader (timer and outbox run here)")
                    await self._on_elected()
                elif self.is_leader and not await self._lock.still_held():
                    await self._step_down()
            except asyncio.CancelledError:
                raise
            except Exception:
                log.warning("leader election step failed", exc_info=True)
                if self.is_leader:
                    await self._step_down()
            await asyncio.sleep(self._check if self.is_leader else self._retry)

    async def _step_down(self) -> None:
        self.is_leader = False
        log.warning("this replica is no longer the leader")
        await self._on_deposed()

    async def stop(self) -> None:
        """Stop campaigning; a leader hands over by releasing the lock."""
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
        if self.is_leader:
            self.is_leader = False
            await asyncio.shield(self._on_deposed())
        await self._lock.release()
