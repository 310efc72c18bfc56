"""Dialog state with compare-and-set: a turn that raced another one is replayed, not lost.

Within one process, turns that change the same state queue on a lock (like aiogram's events
isolation); across replicas, the version check catches the race and the change is replayed.
"""

from __future__ import annotations

import asyncio
import random
import weakref
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

from domain.errors import ConcurrentUpdate
from domain.ports import StateRepository

T = TypeVar("T")
CONVERSATION = "conversation"
PERSON = "person"
MAX_ATTEMPTS = 8


class StateAccess:
    """Read-modify-write of dialog state, safe against racing turns."""

    def __init__(self, repo: StateRepository) -> None:
        self._repo = repo
        self._locks: weakref.WeakValueDictionary[tuple[str, str], asyncio.Lock] = (
            weakref.WeakValueDictionary()
        )

    async def load(self, scope: str, key: str) -> dict[str, Any]:
        """The current state (empty if none)."""
        data, _version = await self._repo.load(scope, key)
        return data

    async def update(
        self, scope: str, key: str, change: Callable[[dict[str, Any]], Awaitable[T]]
    ) -> T:
        """Load, let change() mutate the dict, save; replay change() if another replica won."""
        lock = self._locks.get((scope, key))
        if lock is None:
            lock = asyncio.Lock()
            self._locks[(scope, key)] = lock
        async with lock:
            for attempt in range(MAX_ATTEMPTS):
                data, version = await self._repo.load(scope, key)
                before = dict(data)
                result = await change(data)
                if data == before:
                    return result
                try:
                    await self._repo.save(scope, key, data, version)
                except ConcurrentUpdate:
                    await asyncio.sleep(random.uniform(0, 0.01 * 2**attempt))
                    continue
                return result
        raise ConcurrentUpdate(f"{scope}:{key}")
