"""Leader election: exactly one replica leads; when it dies, another takes over."""

from __future__ import annotations

import asyncio

from sqlalchemy import text

from scheduler.leader import Leadership
from store.db import create_engine
from store.leader import LeaderLock


async def test_exactly_one_of_two_replicas_leads_and_hands_over(database_url: str) -> None:
    engines = [create_engine(database_url), create_engine(database_url)]
    events: list[str] = []

    def hooks(name: str) -> tuple:  # type: ignore[type-arg]
        async def elected() -> None:
            events.append(f"{name} elected")

        async def deposed() -> None:
            events.append(f"{name} deposed")

        return elected, deposed

    replicas = [
        Leadership(LeaderLock(engine), *hooks(name), retry_seconds=0.2, check_seconds=0.2)
        for name, engine in zip(("a", "b"), engines, strict=True)
    ]
    try:
        for replica in replicas:
            replica.start()
        await asyncio.sleep(1.0)
        leaders = [r for r in replicas if r.is_leader]
        if engines[0].dialect.name == "sqlite":
            # One process owns an embedded database: every instance in it leads, is elected
            # once (not again at each of its ~5 checks) and steps down only when stopped.
            assert len(leaders) == 2
            assert sorted(events) == ["a elected", "b elected"]
            for replica in replicas:
                await replica.stop()
            assert not any(r.is_leader for r in replicas)
            assert sorted(events) == ["a deposed", "a elected", "b deposed", "b elected"]
            return
        assert len(leaders) == 1
        leader = leaders[0]
        follower = next(r for r in replicas if r is not leader)
        # the leader's database session dies without a goodbye (a crashed or cut-off replica)
        async with engines[replicas.index(follower)].connect() as conn:
            await conn.execute(
                text(
                    "SELECT pg_terminate_backend(pid) FROM pg_locks "
                    "WHERE locktype = 'advisory' AND granted"
                )
            )
            await conn.commit()
        for _ in range(50):
            if follower.is_leader and not leader.is_leader:
                break
            await asyncio.sleep(0.1)
        assert follower.is_leader
        assert not leader.is_leader
        assert "a deposed" in events or "b deposed" in events
        assert sum(1 for e in events if e.endswith("elected")) == 2
    finally:
        for replica in replicas:
            await replica.stop()
        for engine in engines:
            await engine.dispose()


async def test_the_lock_is_held_while_its_connection_lives(database_url: str) -> None:
    engine = create_engine(database_url)
    other = create_engine(database_url)
    try:
        first, second = LeaderLock(engine), LeaderLock(other)
        assert await first.try_acquire()
        if engine.dialect.name == "sqlite":
            # The embedded database's one process always holds it, and holding it must not
            # keep a connection (let alone a transaction) open on the file.
            assert await second.try_acquire()
            assert await first.still_held()
            assert await second.still_held()
            assert engine.sync_engine.pool.checkedout() == 0
            assert other.sync_engine.pool.checkedout() == 0
            await first.release()
            assert await first.try_acquire()
            return
        assert not await second.try_acquire()
        assert await first.still_held()
        await first.release()
        assert await second.try_acquire()
        await second.release()
    finally:
        await engine.dispose()
        await other.dispose()
