"""Claims on incoming activities and outbox leases across process deaths, on both databases.

A process is "dead" to the others when it no longer holds its instance lock (PostgreSQL) or,
with SQLite, whenever it is not the process asking (one process owns an embedded database).
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncEngine

from domain.inbox import Claim
from domain.outbox import OutboxMessage, OutboxStatus
from store.db import create_engine, sessionmaker
from store.instance import Instance, owner_number
from store.store import Store
from store.tables import ProcessedActivityRow

T0 = datetime(2026, 12, 7, 9, 0, tzinfo=UTC)


@pytest.fixture
async def engine(database_url: str) -> AsyncIterator[AsyncEngine]:
    engine = create_engine(database_url)
    try:
        yield engine
    finally:
        await engine.dispose()


async def _process(engine: AsyncEngine) -> tuple[Instance, Store]:
    """A process's view of the database: its instance (started) and its store."""
    instance = Instance(engine)
    await instance.start()
    return instance, Store(sessionmaker(engine), instance=instance)


async def test_a_claim_is_new_once_busy_while_running_and_done_after(engine: AsyncEngine) -> None:
    instance, store = await _process(engine)
    try:
        assert await store.inbox.claim("c1", "a1") is Claim.NEW
        assert await store.inbox.claim("c1", "a1") is Claim.BUSY  # this process runs it
        await store.inbox.finish("c1", "a1")
        assert await store.inbox.claim("c1", "a1") is Claim.DONE
        assert await store.inbox.claim("c2", "a1") is Claim.NEW  # ids are per conversation
        await store.inbox.release("c2", "a1")
        assert await store.inbox.claim("c2", "a1") is Claim.NEW  # a failed turn runs again
    finally:
        await instance.stop()


async def test_a_dead_process_claim_is_taken_over_once(engine: AsyncEngine) -> None:
    first, first_store = await _process(engine)
    second, second_store = await _process(engine)
    try:
        assert await first_store.inbox.claim("c1", "a1") is Claim.NEW
        if engine.dialect.name == "postgresql":
            # the first process still lives: its turn is running, not to be run again
            assert await second_store.inbox.claim("c1", "a1") is Claim.BUSY
        await first.stop()  # kill -9 closes its connections: the server drops its lock
        claims = await asyncio.gather(
            second_store.inbox.claim("c1", "a1"), second_store.inbox.claim("c1", "a1")
        )
        assert sorted(c.value for c in claims) == sorted([Claim.RETAKEN.value, Claim.BUSY.value])
        await second_store.inbox.finish("c1", "a1")
        assert await second_store.inbox.claim("c1", "a1") is Claim.DONE
    finally:
        await first.stop()
        await second.stop()


async def test_claims_made_before_owners_were_recorded_count_as_done(engine: AsyncEngine) -> None:
    instance, store = await _process(engine)
    try:
        async with store.db.write() as s:
            s.add(ProcessedActivityRow(conversation_id="c", activity_id="old", done=True))
        assert await store.inbox.claim("c", "old") is Claim.DONE
    finally:
        await instance.stop()


async def test_purge_drops_the_old_and_bounds_the_rest(engine: AsyncEngine) -> None:
    instance, store = await _process(engine)
    try:
        for i in range(30):
            assert await store.inbox.claim("c", f"a{i:02d}") is Claim.NEW
        removed = await store.inbox.purge_before(
            datetime.now(UTC) - timedelta(hours=1), keep_at_most=10
        )
        assert removed == 20
        async with store.db.read() as s:
            left = (
                await s.execute(select(func.count()).select_from(ProcessedActivityRow))
            ).scalar()
        assert left == 10
        # the newest are kept: they are the ones Teams may still redeliver
        assert await store.inbox.claim("c", "a29") is Claim.BUSY
        assert await store.inbox.claim("c", "a00") is Claim.NEW
    finally:
        await instance.stop()


def test_owner_names_carry_the_lock_number() -> None:
    assert owner_number("i1234@host:99") == 1234
    assert owner_number("worker") is None
    assert owner_number("i12x@host") is None


async def test_a_dead_leaders_leases_are_freed_and_a_live_ones_kept(engine: AsyncEngine) -> None:
    dead, dead_store = await _process(engine)
    live, live_store = await _process(engine)
    me, my_store = await _process(engine)
    try:
        outbox = my_store.outbox
        for key, conv in (("d", "c-dead"), ("l", "c-live"), ("m", "c-me")):
            await outbox.enqueue(OutboxMessage(key, conv, text=key))
        now = datetime.now(UTC)
        for owner, conv in ((dead.owner, "c-dead"), (live.owner, "c-live"), (me.owner, "c-me")):
            others = {"c-dead", "c-live", "c-me"} - {conv}
            (claimed,) = await outbox.claim_due(now, 10, others, owner=owner)
            assert claimed.message.conversation_id == conv
        await dead.stop()
        freed = await outbox.release_dead_leases(me.alive, me.owner)
        taken = {e.message.key for e in await outbox.claim_due(now, 10, owner=me.owner)}
        if engine.dialect.name == "postgresql":
            assert freed == 1
            assert taken == {"d"}  # the live replica's lease stands
        else:
            # one process owns an embedded database: every other owner is gone
            assert freed == 2
            assert taken == {"d", "l"}
    finally:
        for instance in (dead, live, me):
            await instance.stop()
        del dead_store, live_store


async def test_a_throttled_row_waits_for_retry_after_without_using_an_attempt(
    engine: AsyncEngine,
) -> None:
    outbox = Store(sessionmaker(engine)).outbox
    await outbox.enqueue(OutboxMessage("k", "c", text="x"))
    (claimed,) = await outbox.claim_due(T0, 10)
    await outbox.mark_retry(claimed.id, T0 + timedelta(seconds=30), "HTTP 429", throttled=True)
    assert await outbox.claim_due(T0 + timedelta(seconds=29), 10) == []
    (again,) = await outbox.claim_due(T0 + timedelta(seconds=30), 10)
    assert (again.attempts, again.throttles) == (0, 1)


async def test_an_answer_stored_after_a_failure_keeps_what_happened(engine: AsyncEngine) -> None:
    outbox = Store(sessionmaker(engine)).outbox
    message = OutboxMessage("reply:c:1:0", "c", text="Moi", reply_to="1", thread="c;messageid=1")
    later = T0 + timedelta(seconds=5)
    assert await outbox.enqueue_failed(message, next_attempt_at=later, error="HTTP 503", attempts=1)
    assert not await outbox.enqueue_failed(message, next_attempt_at=later, error="again")
    assert await outbox.claim_due(T0, 10) == []
    (entry,) = await outbox.claim_due(later, 10)
    assert entry.message == message
    assert (entry.attempts, entry.throttles, entry.last_error) == (1, 0, "HTTP 503")
    dead = OutboxMessage("reply:c:1:1", "c", text="x" * 10)
    assert await outbox.enqueue_failed(dead, next_attempt_at=T0, error="HTTP 413", dead=True)
    assert [e.message.key for e in await outbox.dead_letters()] == ["reply:c:1:1"]
    assert (await outbox.counts())[OutboxStatus.DEAD] == 1


async def test_a_secret_is_made_once_for_every_replica(engine: AsyncEngine) -> None:
    stores = [Store(sessionmaker(engine)) for _ in range(3)]
    made = iter(f"secret-{i}" for i in range(10))
    found = await asyncio.gather(
        *(s.secrets.get_or_create("card-signing-key", lambda: next(made)) for s in stores)
    )
    assert len(set(found)) == 1
    assert await stores[0].secrets.get_or_create("card-signing-key", lambda: "other") == found[0]
