"""The caches' storage (store/ttl.py): lifetimes, and changes limited to one kind of key."""

from __future__ import annotations

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
