"""Values kept for a fixed number of seconds: the in-process caches' storage."""

from __future__ import annotations

import time
from collections.abc import Callable, Hashable
from typing import Any

MISSING = object()
MAX_ENTRIES = 10_000  # per kind: a crude bound; the working set is far smaller


def _kind(key: Hashable) -> Hashable:
    """A tuple key's first item names its kind; other keys are of kind None."""
    return key[0] if isinstance(key, tuple) and key else None


class TtlCache:
    """Values kept for a fixed number of seconds (monotonic clock).

    Keys are grouped by kind (a tuple key's first item), so forgetting or changing every key
    of one kind touches only that kind's entries: a first contact patches the group lists
    without walking every person cached.
    """

    def __init__(self, seconds: float, clock: Callable[[], float] = time.monotonic) -> None:
        self.seconds = seconds
        self._clock = clock
        self._kinds: dict[Hashable, dict[Hashable, tuple[float, Any]]] = {}

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

    def drop(self, *keys: Hashable) -> None:
        """Forget these keys."""
        for key in keys:
            entries = self._kinds.get(_kind(key))
            if entries is not None:
                entries.pop(key, None)

    def patch(self, kind: str, change: Callable[[Any], Any]) -> None:
        """Replace the value of every key of this kind with change(value), keeping its expiry."""
        entries = self._kinds.get(kind)
        for key, (expires, value) in list((entries or {}).items()):
            entries[key] = (expires, change(value))  # type: ignore[index]

    def drop_kinds(self, *kinds: str) -> None:
        """Forget every key that is a tuple starting with one of kinds."""
        for kind in kinds:
            self._kinds.pop(kind, None)
