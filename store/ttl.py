"""Values kept for a fixed number of seconds: the in-process caches' storage."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable, Hashable
from typing import Any

MISSING = object()
_FAILED = object()  # what a shared load hands its waiters when it raised
MAX_ENTRIES = 10_000  # per kind: a crude bound; the working set is far smaller


def _kind(key: Hashable) -> Hashable:
    """A tuple key's first item names its kind; other keys are of kind None."""
    return key[0] if isinstance(key, tuple) and key else None


class TtlCache:
    """Values kept for a fixed number of seconds (monotonic clock).

    Keys are grouped by kind (a tuple key's first item), so forgetting or changing every key
    of one kind touches only that kind's entries: a first contact patches the group lists
    without walking every person cached.

    load() reads a missing key once for everyone who asks meanwhile: fifty check-ins of a
    group whose entry just expired wait for one query, not fifty.
    """

    def __init__(self, seconds: float, clock: Callable[[], float] = time.monotonic) -> None:
        self.seconds = seconds
        self._clock = clock
        self._kinds: dict[Hashable, dict[Hashable, tuple[float, Any]]] = {}
        # keys being read: what their waiters wait on, and the patches made meanwhile (applied
        # to what the read returns); a key forgotten meanwhile (drop, clear) is removed here,
        # so what the read in flight returns is not kept
        self._loading: dict[Hashable, tuple[asyncio.Future[Any], list[Callable[[Any], Any]]]] = {}

    async def load(self, key: Hashable, read: Callable[[], Awaitable[Any]]) -> Any:
        """The value, read with read() (and kept) when missing; one read per key at a time."""
        value = self.get(key)
        if value is not MISSING:
            return value
        pending = self._loading.get(key)
        if pending is not None:
            value = await asyncio.shield(pending[0])
            if value is not _FAILED:
                return value
            return await read()  # the shared read failed: this caller reads (and raises) itself
        future: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        patches: list[Callable[[Any], Any]] = []
        self._loading[key] = (future, patches)
        try:
            value = await read()
        except BaseException:
            future.set_result(_FAILED)
            raise
        finally:
            kept = self._loading.get(key, (None,))[0] is future
            if kept:
                del self._loading[key]
        for change in patches:
            value = change(value)  # patched while it was read (patches are idempotent)
        if kept:  # else forgotten while it was read: what was read may be stale
            self.put(key, value)
        future.set_result(value)
        return value

    def get(self, key: Hashable) -> Any:
        """The value, or MISSING when absent or expired."""
        entries = self._kinds.get(_kind(key))
        found = entries.get(key) if entries is not None else None
        if found is None:
            return MISSING
        expires, value = found
        if expires < self._clock():
            del entries[key]  # type: ignore[union-attr]
            return MISSING
        return value

    def put(self, key: Hashable, value: Any) -> None:
        """Keep value for the cache's lifetime."""
        entries = self._kinds.setdefault(_kind(key), {})
        if len(entries) >= MAX_ENTRIES and key not in entries:
            now = self._clock()
            for stale in [k for k, (expires, _) in entries.items() if expires < now]:
                del entries[stale]
            if len(entries) >= MAX_ENTRIES:
                entries.clear()
        entries[key] = (self._clock() + self.seconds, value)

    def clear(self) -> None:
        """Forget everything."""
        self._kinds.clear()
        self._loading.clear()

    def drop(self, *keys: Hashable) -> None:
        """Forget these keys."""
        for key in keys:
            entries = self._kinds.get(_kind(key))
            if entries is not None:
                entries.pop(key, None)
            self._loading.pop(key, None)

    def patch(
        self,
        kind: str,
        change: Callable[[Any], Any],
        where: Callable[[Any], bool] | None = None,
    ) -> None:
        """Replace the value of every key of this kind with change(value), keeping its expiry.

        change must give the same result when applied twice: it is also applied to what a read
        in flight returns, which may have seen the change already. where(key), when given,
        limits it to the keys it is true of.
        """
        entries = self._kinds.get(kind)
        for key, (expires, value) in list((entries or {}).items()):
            if where is None or where(key):
                entries[key] = (expires, change(value))  # type: ignore[index]
        for key, (_, patches) in self._loading.items():
            if _kind(key) == kind and (where is None or where(key)):
                patches.append(change)

    def drop_kinds(self, *kinds: str) -> None:
        """Forget every key that is a tuple starting with one of kinds."""
        for kind in kinds:
            self._kinds.pop(kind, None)
        for key in [k for k in self._loading if _kind(k) in kinds]:
            del self._loading[key]
