"""Dialog state with compare-and-set: a turn that raced another one is replayed, not lost."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

from domain.errors import ConcurrentUpdate
from domain.ports import StateRepository

T = TypeVar("T")
CONVERSATION = "conversation"
PERSON = "person"
MAX_ATTEMPTS = 5


async def update_state(
    repo: StateRepository,
    scope: str,
    key: str,
    change: Callable[[dict[str, Any]], Awaitable[T]],
) -> T:
    """Load state, let change() mutate it, save; if someone saved in between, run change() again."""
    for attempt in range(MAX_ATTEMPTS):
        data, version = await repo.load(scope, key)
        before = dict(data)
        result = await change(data)
        if data == before:
            return result
        try:
            await repo.save(scope, key, data, version)
        except ConcurrentUpdate:
            if attempt == MAX_ATTEMPTS - 1:
                raise
            continue
        return result
    raise ConcurrentUpdate(f"{scope}:{key}")
