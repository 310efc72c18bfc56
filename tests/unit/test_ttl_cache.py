"""The caches' storage (store/ttl.py): lifetimes, and changes limited to one kind of key."""

from __future__ import annotations

import asyncio

import pytest

from store import ttl
from store.ttl import MISSING, TtlCache


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_a_value_lives_for_the_caches_seconds() -> None:
    clock = Clock()
    cache = TtlCache(30, clock)
    cache.put(("person", 1), "Sari")
    clock.now += 29.9
    assert cache.get(("person", 1)) == "Sari"
    clock.now += 0.2
    assert cache.get(("person", 1)) is MISSING


def test_none_is_a_value_and_missing_is_not() -> None:
    cache = TtlCache(30, Clock())
    cache.put(("teams", "29:x"), None)
    assert cache.get(("teams", "29:x")) is None
    assert cache.get(("teams", "29:y")) is MISSING


def test_patch_and_drop_kinds_touch_only_their_kind() -> None:
    clock = Clock()
    cache = TtlCache(30, clock)
    cache.put(("members", 1), (1, 2))
    cache.put(("members", 2), (3,))
    cache.put(("person", 1), (1, 2))
    cache.put("plain", (1, 2))
    clock.now += 10
    cache.patch("members", lambda people: (*people, 9))
    assert cache.get(("members", 1)) == (1, 2, 9)
    assert cache.get(("members", 2)) == (3, 9)
    assert cache.get(("person", 1)) == (1, 2)
    assert cache.get("plain") == (1, 2)
    # a patch keeps the expiry the value had
    clock.now += 20.1
    assert cache.get(("members", 1)) is MISSING
    assert cache.get(("person", 1)) is MISSING
    cache.put(("members", 3), ())
    cache.put(("grants", 3), ())
    cache.drop_kinds("members", "teams")
    assert cache.get(("members", 3)) is MISSING
    assert cache.get(("grants", 3)) == ()


def test_drop_and_clear() -> None:
    cache = TtlCache(30, Clock())
    cache.put(("person", 1), "a")
    cache.put(("person", 2), "b")
    cache.drop(("person", 1), ("person", 7), "never-there")
    assert cache.get(("person", 1)) is MISSING
    assert cache.get(("person", 2)) == "b"
    cache.clear()
    assert cache.get(("person", 2)) is MISSING


def test_a_full_kind_forgets_its_expired_entries_first() -> None:
    clock = Clock()
    cache = TtlCache(30, clock)
    limit = ttl.MAX_ENTRIES
    for i in range(limit - 1):
        cache.put(("teams", i), i)
    clock.now += 31
    cache.put(("teams", "fresh"), "kept")
    cache.put(("grants", 1), "other kind")
    cache.put(("teams", "newest"), "new")  # the kind is full: the expired ones go
    assert cache.get(("teams", "fresh")) == "kept"
    assert cache.get(("teams", "newest")) == "new"
    assert cache.get(("grants", 1)) == "other kind"
    assert cache.get(("teams", 0)) is MISSING


class Reads:
    """A read that waits for the test to let it finish, and counts how often it ran."""

    def __init__(self, value: object = "the group's people") -> None:
        self.value = value
        self.count = 0
        self.gate = asyncio.Event()
        self.fail = False

    async def __call__(self) -> object:
        self.count += 1
        await self.gate.wait()
        if self.fail:
            self.fail = False
            raise ConnectionError("the database went away")
        return self.value


async def settle() -> None:
    for _ in range(5):
        await asyncio.sleep(0)


async def test_fifty_concurrent_misses_read_once() -> None:
    cache = TtlCache(30, Clock())
    read = Reads()
    callers = [asyncio.create_task(cache.load(("members", 7), read)) for _ in range(50)]
    await settle()
    read.gate.set()
    assert await asyncio.gather(*callers) == ["the group's people"] * 50
    assert read.count == 1
    assert cache.get(("members", 7)) == "the group's people"
    assert await cache.load(("members", 7), read) == "the group's people"
    assert read.count == 1  # kept


async def test_a_failed_shared_read_lets_each_waiter_read_again() -> None:
    cache = TtlCache(30, Clock())
    read = Reads()
    read.fail = True
    first = asyncio.create_task(cache.load(("members", 7), read))
    waiters = [asyncio.create_task(cache.load(("members", 7), read)) for _ in range(3)]
    await settle()
    read.gate.set()
    with pytest.raises(ConnectionError):
        await first
    assert await asyncio.gather(*waiters) == ["the group's people"] * 3
    assert read.count == 4  # nobody got the failure of another's read


@pytest.mark.parametrize("forget", ["drop", "drop_kinds", "clear"])
async def test_what_was_forgotten_during_a_read_is_not_kept(forget: str) -> None:
    cache = TtlCache(30, Clock())
    read = Reads("before the change")
    caller = asyncio.create_task(cache.load(("members", 7), read))
    await settle()
    if forget == "drop":
        cache.drop(("members", 7))
    elif forget == "drop_kinds":
        cache.drop_kinds("members")
    else:
        cache.clear()
    read.gate.set()
    assert await caller == "before the change"  # the caller still gets its answer
    assert cache.get(("members", 7)) is MISSING  # but the next one reads anew


async def test_forgetting_another_kind_during_a_read_keeps_it() -> None:
    cache = TtlCache(30, Clock())
    read = Reads()
    caller = asyncio.create_task(cache.load(("members", 7), read))
    await settle()
    cache.patch("teams", lambda person: person)
    cache.drop(("members", 8))
    read.gate.set()
    await caller
    assert cache.get(("members", 7)) == "the group's people"


async def test_a_patch_during_a_read_is_applied_to_what_it_returns() -> None:
    cache = TtlCache(30, Clock())
    read = Reads(("Jari", "Sari"))
    callers = [asyncio.create_task(cache.load(("members", 7), read)) for _ in range(3)]
    await settle()
    # Sari's first contact stores her Teams id while the group's people are being read
    cache.patch("members", lambda people: tuple(p.replace("Sari", "Sari*") for p in people))
    read.gate.set()
    assert await asyncio.gather(*callers) == [("Jari", "Sari*")] * 3
    assert cache.get(("members", 7)) == ("Jari", "Sari*")  # kept, and patched
    assert read.count == 1
