"""Values kept for a fixed number of seconds: the in-process caches' storage."""

from __future__ import annotations

import time
from collections.abc import Callable, Hashable
from typing import Any

MISSING = object()


class TtlCache:
    """Values kept for a fixed number of seconds (monotonic clock)."""

    def __init__(self, seconds: float, clock: Callable[[], float] = time.monotonic) -> None:
        self.seconds = seconds
        self._clock = clock
        self._data: dict[Hashable, tuple[float, Any]] = {}

    def get(self, key: Hashable) -> Any:
        """The value, or MISSING when absent or expired."""
        found = self._data.get(key)
        if found is None:
            return MISSING
        expires, value = found
        if expires < self._clock():
            del self._data[key]
            return MISSING
        return value

    def put(self, key: Hashable, value: Any) -> None:
        """Keep value for the cache's lifetime."""
        if len(self._data) > 10_000:
            self._data.clear()  # a crude bound; the working set is far smaller
        self._data[key] = (self._clock() + self.seconds, value)

    def clear(self) -> None:
        """Forget everything."""
        self._data.clear()

    def drop(self, *keys: Hashable) -> None:
        """Forget these keys."""
        for key in keys:
            self._data.pop(key, None)

    def patch(self, kind: str, change: Callable[[Any], Any]) -> None:
        """Replace the value of every key of this kind with change(value), keeping its expiry."""
        for key, (expires, value) in list(self._data.items()):
            if isinstance(key, tuple) and key and key[0] == kind:
                self._data[key] = (expires, change(value))

    def drop_kinds(self, *kinds: str) -> None:
        """Forget every key that is a tuple starting with one of kinds."""
        for key in [k for k in self._data if isinstance(k, tuple) and k and k[0] in kinds]:
            del self._data[key]
