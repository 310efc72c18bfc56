"""The outbox repository on SQLite and on PostgreSQL."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from domain.outbox import OutboxMessage, OutboxStatus
from store.db import Database, create_engine, sessionmaker
from store.outbox import SqlOutbox, add_to_outbox
from store.store import Store
from store.tables import AuditRow

T0 = datetime(2026, 3, 5, 8, 0, tzinfo=UTC)


def _msg(
    key: str,
    conversation: str = "19:a@thread.v2",
    *,
    text: str | None = None,
    card: dict[str, object] | None = None,
    speak: str | None = None,
) -> OutboxMessage:
    return OutboxMessage(
        key=key, conversation_id=conversation, text=text or f"text {key}", card=card, speak=speak
    )


@pytest.fixture
async def db(database_url: str) -> AsyncIterator[Database]:
    """A Database of our own over the test database (for caller-owned transactions)."""
    engine = create_engine(database_url)
    try:
        yield sessionmaker(engine)
    finally:
        await engine.dispose()


def _outbox(db: Database, now: datetime = T0) -> SqlOutbox:
    return SqlOutbox(db, clock=lambda: now)


async def test_enqueue_is_idempotent_on_the_key(db: Database) -> None:
    outbox = _outbox(db)
    assert await outbox.enqueue(_msg("k1", card={"type": "AdaptiveCard"}, speak="hei")) is True
    assert await outbox.enqueue(_msg("k1", text="something else")) is False
    entry = await outbox.entry_for_key("k1")
    assert entry is not None
    assert entry.message.text == "text k1"
    assert entry.message.card == {"type": "AdaptiveCard"}
    assert entry.message.speak == "hei"
    assert entry.status is OutboxStatus.PENDING
    assert entry.created_at == T0
    assert entry.created_at.tzinfo is not None
    assert await outbox.enqueue_many([_msg("k1"), _msg("k2"), _msg("k3")]) == 2
    assert (await outbox.counts())[OutboxStatus.PENDING] == 3


async def test_store_exposes_the_outbox(store: Store) -> None:
    assert await store.outbox.enqueue(_msg("via-store")) is True
    assert (await store.outbox.counts())[OutboxStatus.PENDING] == 1


async def test_claim_takes_only_the_oldest_due_row_of_each_conversation(db: Database) -> None:
    outbox = _outbox(db)
    for i in range(3):
        await outbox.enqueue(_msg(f"a{i}", "conv-a"))
        await outbox.enqueue(_msg(f"b{i}", "conv-b"))
    first = await outbox.claim_due(T0, 10, owner="w1")
    assert [e.message.key for e in first] == ["a0", "b0"]
    # leased rows are not claimed again, and later rows wait for their conversation's head
    assert await outbox.claim_due(T0, 10, owner="w2") == []
    await outbox.mark_sent(first[0].id, "act-a0", T0)
    await outbox.mark_retry(first[1].id, T0 + timedelta(seconds=30), "HTTP 503")
    second = await outbox.claim_due(T0 + timedelta(seconds=1), 10, owner="w1")
    assert [e.message.key for e in second] == ["a1"]  # b0 not due yet, so b1 must wait too
    third = await outbox.claim_due(T0 + timedelta(seconds=31), 10, owner="w1")
    assert [e.message.key for e in third] == ["b0"]
    assert third[0].attempts == 1
    assert third[0].last_error == "HTTP 503"
    assert await outbox.activity_id_for_key("a0") == "act-a0"
    sent = await outbox.entry_for_key("a0")
    assert sent is not None
    assert sent.status is OutboxStatus.SENT
    assert sent.sent_at == T0


async def test_claim_respects_limit_exclusions_and_expired_leases(db: Database) -> None:
    outbox = _outbox(db)
    for c in "abcd":
        await outbox.enqueue(_msg(f"{c}0", f"conv-{c}"))
    claimed = await outbox.claim_due(T0, 2, exclude_conversations=["conv-a"], owner="w1")
    assert [e.message.key for e in claimed] == ["b0", "c0"]
    lease = timedelta(seconds=60)
    assert [e.message.key for e in await outbox.claim_due(T0, 9, lease=lease)] == ["a0", "d0"]
    # a worker that died leaves its lease behind; after it runs out the row is claimed again
    later = T0 + timedelta(minutes=5)
    assert [e.message.key for e in await outbox.claim_due(later, 9)] == ["a0", "b0", "c0", "d0"]
    await outbox.release([e.id for e in claimed])
    assert [e.message.key for e in await outbox.claim_due(later, 9)] == ["b0", "c0"]


async def test_two_concurrent_claimers_never_get_the_same_row(database_url: str) -> None:
    engines = [create_engine(database_url) for _ in range(4)]
    try:
        outboxes = [_outbox(sessionmaker(e)) for e in engines]
        await outboxes[0].enqueue_many(_msg(f"k{i}", f"conv-{i}") for i in range(120))
        claimed: list[int] = []
        for _round in range(4):
            results = await asyncio.gather(
                *(o.claim_due(T0, 15, owner=f"w{n}") for n, o in enumerate(outboxes))
            )
            for entries in results:
                claimed.extend(e.id for e in entries)
        assert len(claimed) == len(set(claimed)) == 120
    finally:
        for engine in engines:
            await engine.dispose()


async def test_add_to_outbox_joins_the_callers_transaction(db: Database) -> None:
    outbox = _outbox(db)
    await outbox.enqueue(_msg("dup"))
    async with db.write() as s:
        s.add(AuditRow(action="day.start", subject="group:1", details={}))
        assert await add_to_outbox(s, _msg("dup"), T0) is False  # no error, nothing added
        assert await add_to_outbox(s, _msg("new"), T0) is True
        s.add(AuditRow(action="day.item", subject="group:1", details={}))
    async with db.read() as s:
        actions = (await s.execute(select(AuditRow.action).order_by(AuditRow.id))).scalars()
        assert list(actions) == ["day.start", "day.item"]
    assert await outbox.entry_for_key("new") is not None

    async def fails_after_adding() -> None:
        async with db.write() as s:
            assert await add_to_outbox(s, _msg("rolled-back"), T0) is True
            raise RuntimeError("the caller's state change failed")

    with pytest.raises(RuntimeError):
        await fails_after_adding()
    assert await outbox.entry_for_key("rolled-back") is None


async def test_dead_letters_requeue_and_kill_conversation(db: Database) -> None:
    outbox = _outbox(db)
    for i in range(3):
        await outbox.enqueue(_msg(f"gone{i}", "conv-gone"))
    await outbox.enqueue(_msg("ok0", "conv-ok"))
    await outbox.enqueue(_msg("bad0", "conv-bad"))
    claimed = {e.message.key: e for e in await outbox.claim_due(T0, 10)}
    await outbox.mark_dead(claimed["bad0"].id, "HTTP 400")
    assert await outbox.kill_conversation("conv-gone", "HTTP 403: bot removed") == 3
    dead = await outbox.dead_letters()
    assert [e.message.key for e in dead] == ["gone0", "gone1", "gone2", "bad0"]
    assert {e.last_error for e in dead} == {"HTTP 403: bot removed", "HTTP 400"}
    assert next(e for e in dead if e.message.key == "bad0").attempts == 1
    counts = await outbox.counts()
    assert counts == {OutboxStatus.PENDING: 1, OutboxStatus.SENT: 0, OutboxStatus.DEAD: 4}

    bad = next(e for e in dead if e.message.key == "bad0")
    assert await outbox.requeue(bad.id) is True
    assert await outbox.requeue(bad.id) is False  # no longer dead
    assert await outbox.requeue(999_999) is False
    again = await outbox.claim_due(T0 + timedelta(seconds=1), 10)
    assert [e.message.key for e in again] == ["bad0"]  # ok0 is still leased by the first claim
    assert again[0].attempts == 0


async def test_dead_head_unblocks_the_rest_of_its_conversation(db: Database) -> None:
    outbox = _outbox(db)
    await outbox.enqueue(_msg("m0", "conv"))
    await outbox.enqueue(_msg("m1", "conv"))
    (head,) = await outbox.claim_due(T0, 10)
    await outbox.mark_dead(head.id, "HTTP 413")
    assert [e.message.key for e in await outbox.claim_due(T0, 10)] == ["m1"]


async def test_new_rows_are_due_whatever_clock_their_producer_used(db: Database) -> None:
    await _outbox(db, now=T0 + timedelta(hours=3)).enqueue(_msg("m0"))
    outbox = _outbox(db)
    (entry,) = await outbox.claim_due(T0 - timedelta(hours=1), 1)
    assert entry.attempts == 0
    await outbox.mark_retry(entry.id, T0 + timedelta(seconds=5), "x" * 1000)
    assert await outbox.claim_due(T0 + timedelta(seconds=4), 1) == []
    (entry,) = await outbox.claim_due(T0 + timedelta(seconds=5), 1)
    assert entry.attempts == 1
    assert entry.last_error is not None
    assert len(entry.last_error) == 200


async def test_purge_forgets_old_sent_messages_only(db: Database) -> None:
    outbox = _outbox(db)
    await outbox.enqueue(_msg("old", "c1"))
    await outbox.enqueue(_msg("pending", "c2"))
    (old, _pending) = await outbox.claim_due(T0, 10)
    await outbox.mark_sent(old.id, "a1", T0)
    assert await outbox.purge_sent_before(T0 + timedelta(days=1)) == 1
    assert await outbox.entry_for_key("old") is None
    assert await outbox.entry_for_key("pending") is not None


async def test_subscribers_hear_of_committed_rows_only(db: Database) -> None:
    outbox = _outbox(db)
    heard: list[str] = []
    unsubscribe = outbox.subscribe(lambda: heard.append("new rows"))
    await outbox.enqueue(_msg("k1"))
    assert heard == ["new rows"]
    await outbox.enqueue(_msg("k1"))  # a duplicate adds nothing
    assert heard == ["new rows"]

    async def rolled_back() -> None:
        async with db.write() as s:
            await add_to_outbox(s, _msg("k2"), T0)
            raise RuntimeError("the caller's change failed")

    with pytest.raises(RuntimeError):
        await rolled_back()
    assert heard == ["new rows"]
    async with db.write() as s:
        await add_to_outbox(s, _msg("k3"), T0)
        await add_to_outbox(s, _msg("k4"), T0)
        assert heard == ["new rows"]  # not before the commit
    assert heard == ["new rows"] * 2
    unsubscribe()
    await outbox.enqueue(_msg("k5"))
    assert heard == ["new rows"] * 2
