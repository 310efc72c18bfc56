"""Coalesced outbox messages (store/outbox.py) and messages drawn at sending time (the worker).

A message with `coalesce` is skipped while an unsent one with the same value waits and the
worker has not taken it; with `render` the waiting one is drawn just before it goes out, so it
shows the latest state anyway. The store tests run on SQLite and PostgreSQL; the worker tests
run the worker with an in-memory outbox and fake sender (as tests/unit/test_outbox_worker.py),
and once over the real outbox on both databases.
"""

from __future__ import annotations

import asyncio
import random
from collections.abc import AsyncIterator, Callable
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from domain.model import Conversation, ConversationKind
from domain.outbox import OutboxMessage, OutboxStatus
from scheduler.outbox_worker import OutboxWorker, WorkerClock
from store.db import Database, create_engine, sessionmaker
from store.outbox import SqlOutbox, add_to_outbox
from tests.fakes.memory import FakeConversationRepository
from tests.unit.test_outbox_worker import MemoryOutbox

T0 = datetime(2026, 3, 5, 8, 0, tzinfo=UTC)
CHAT = "19:it@thread.v2"
CARD = "rollcall:7:card"


def refresh(n: int, coalesce: str = CARD, conversation: str = CHAT) -> OutboxMessage:
    return OutboxMessage(
        key=f"{coalesce}:{n}",
        conversation_id=conversation,
        update_of=coalesce,
        render="rollcall:7",
        coalesce=coalesce,
    )


@pytest.fixture
async def db(database_url: str) -> AsyncIterator[Database]:
    engine = create_engine(database_url)
    try:
        yield sessionmaker(engine)
    finally:
        await engine.dispose()


class Clock:
    def __init__(self) -> None:
        self.now = T0

    def __call__(self) -> datetime:
        return self.now


async def stored_keys(outbox: SqlOutbox, *keys: str) -> list[str]:
    found = []
    for key in keys:
        entry = await outbox.entry_for_key(key)
        if entry is not None:
            found.append(key)
    return found


# --- the store -------------------------------------------------------------------------------


async def test_a_second_coalesced_message_is_skipped_while_the_first_waits(db: Database) -> None:
    outbox = SqlOutbox(db, clock=Clock())
    assert await outbox.enqueue(refresh(1)) is True
    assert await outbox.enqueue(refresh(2)) is False
    assert await outbox.enqueue(refresh(3)) is False
    assert await stored_keys(outbox, *(refresh(n).key for n in (1, 2, 3))) == [refresh(1).key]
    assert (await outbox.counts())[OutboxStatus.PENDING] == 1
    entry = await outbox.entry_for_key(refresh(1).key)
    assert entry is not None
    assert entry.message == refresh(1)


async def test_coalescing_inside_the_callers_transaction(db: Database) -> None:
    async with db.write() as s:
        assert await add_to_outbox(s, refresh(1), T0) is True
        assert await add_to_outbox(s, refresh(2), T0) is False  # sees its own insert
        assert await add_to_outbox(s, OutboxMessage("other", CHAT, text="x"), T0) is True
    outbox = SqlOutbox(db, clock=Clock())
    assert await stored_keys(outbox, refresh(1).key, refresh(2).key, "other") == [
        refresh(1).key,
        "other",
    ]


async def test_once_the_worker_took_it_a_new_one_is_added(db: Database) -> None:
    clock = Clock()
    outbox = SqlOutbox(db, clock=clock)
    await outbox.enqueue(refresh(1))
    (claimed,) = await outbox.claim_due(T0, 10, owner="w1", lease=timedelta(minutes=2))
    assert claimed.message.key == refresh(1).key
    clock.now = T0 + timedelta(seconds=1)
    # the one taken may already be drawn: what changed since needs a message of its own
    assert await outbox.enqueue(refresh(2)) is True
    # and that one waits, so the next is skipped again
    assert await outbox.enqueue(refresh(3)) is False
    assert await stored_keys(outbox, *(refresh(n).key for n in (1, 2, 3))) == [
        refresh(1).key,
        refresh(2).key,
    ]


async def test_once_it_was_sent_a_new_one_is_added(db: Database) -> None:
    clock = Clock()
    outbox = SqlOutbox(db, clock=clock)
    await outbox.enqueue(refresh(1))
    (claimed,) = await outbox.claim_due(T0, 10)
    await outbox.mark_sent(claimed.id, "act-1", T0 + timedelta(seconds=1))
    clock.now = T0 + timedelta(seconds=2)
    assert await outbox.enqueue(refresh(2)) is True
    assert await outbox.enqueue(refresh(3)) is False
    sent = await outbox.entry_for_key(refresh(1).key)
    assert sent is not None
    assert sent.status is OutboxStatus.SENT


async def test_once_it_is_dead_a_new_one_is_added(db: Database) -> None:
    outbox = SqlOutbox(db, clock=Clock())
    await outbox.enqueue(refresh(1))
    (claimed,) = await outbox.claim_due(T0, 10)
    await outbox.mark_dead(claimed.id, "HTTP 400")
    assert await outbox.enqueue(refresh(2)) is True


async def test_a_failed_send_waiting_for_its_retry_still_coalesces(db: Database) -> None:
    clock = Clock()
    outbox = SqlOutbox(db, clock=clock)
    await outbox.enqueue(refresh(1))
    (claimed,) = await outbox.claim_due(T0, 10)
    await outbox.mark_retry(claimed.id, T0 + timedelta(seconds=30), "HTTP 503")
    clock.now = T0 + timedelta(seconds=5)
    # not leased any more, still pending: its retry will be drawn fresh
    assert await outbox.enqueue(refresh(2)) is False


async def test_a_lease_that_ran_out_counts_as_waiting(db: Database) -> None:
    clock = Clock()
    outbox = SqlOutbox(db, clock=clock)
    await outbox.enqueue(refresh(1))
    await outbox.claim_due(T0, 10, lease=timedelta(minutes=2))
    clock.now = T0 + timedelta(minutes=3)  # the worker that took it is gone
    assert await outbox.enqueue(refresh(2)) is False
    (again,) = await outbox.claim_due(clock.now, 10, owner="w2")
    assert again.message.key == refresh(1).key


async def test_different_coalesce_values_are_separate(db: Database) -> None:
    outbox = SqlOutbox(db, clock=Clock())
    assert await outbox.enqueue(refresh(1, "rollcall:7:card")) is True
    assert await outbox.enqueue(refresh(1, "rollcall:8:card")) is True
    assert await outbox.enqueue(refresh(2, "rollcall:8:card", "19:other@thread.v2")) is False
    assert await outbox.enqueue(refresh(2, "rollcall:7:card")) is False
    # without a coalesce value every new key is added
    for n in range(3):
        assert await outbox.enqueue(replace(refresh(10 + n), coalesce=None)) is True
    assert (await outbox.counts())[OutboxStatus.PENDING] == 5
    entry = await outbox.entry_for_key(refresh(1, "rollcall:8:card").key)
    assert entry is not None
    assert entry.message.coalesce == "rollcall:8:card"


async def test_the_key_still_decides_first(db: Database) -> None:
    outbox = SqlOutbox(db, clock=Clock())
    await outbox.enqueue(refresh(1))
    (claimed,) = await outbox.claim_due(T0, 10)
    await outbox.mark_sent(claimed.id, "act-1", T0)
    # the same key again is a duplicate even though nothing with its coalesce value waits
    assert await outbox.enqueue(refresh(1)) is False


async def test_a_refresh_skipped_for_a_waiting_one_is_not_lost_to_a_claim(db: Database) -> None:
    """A tap's transaction skips its refresh because one waits; the worker must not take that
    one (and draw it without the tap) before the tap commits, or the tap is never shown."""
    outbox = SqlOutbox(db, clock=Clock())
    await outbox.enqueue(refresh(1))
    async with db.write() as s:  # the tap's transaction: its mark, and its refresh
        assert await add_to_outbox(s, refresh(2), T0) is False
        claim = asyncio.create_task(outbox.claim_due(T0, 10, owner="worker"))
        await asyncio.wait({claim}, timeout=0.5)  # the worker's chance while the tap is open
        claimed_before_commit = claim.done()
    claimed = await claim
    # Whatever is claimed from the commit on is drawn after the tap, so it shows the tap. The
    # store may make the worker wait (SQLite) or skip the waiting row (PostgreSQL), or add the
    # tap's own refresh: either way exactly one refresh must still go out after the commit.
    drawn_after_commit = [] if claimed_before_commit else list(claimed)
    drawn_after_commit += await outbox.claim_due(T0, 10, owner="another worker")
    assert [e.message.coalesce for e in drawn_after_commit] == [CARD], (
        "the waiting refresh was claimed before the coalesced tap committed: the tap is never shown"
    )


# --- the worker: drawn when it is sent ---------------------------------------------------------


class RecordingSender:
    """Records every message it is asked to send, with the activity it replaces."""

    def __init__(self) -> None:
        self.sent: list[tuple[OutboxMessage, str | None]] = []

    async def send(
        self,
        conversation: Conversation,
        message: OutboxMessage,
        replace_activity_id: str | None = None,
    ) -> str | None:
        self.sent.append((message, replace_activity_id))
        return replace_activity_id or f"act-{message.key}"


class Board:
    """The state a renderer draws: changes after the messages were enqueued."""

    def __init__(self) -> None:
        self.count = 0
        self.drawn: list[tuple[str, int]] = []
        self.nothing = False
        self.fail = 0

    async def render(self, message: OutboxMessage) -> OutboxMessage | None:
        self.drawn.append((message.key, self.count))
        if self.fail:
            self.fail -= 1
            raise RuntimeError("the database was away")
        if self.nothing:
            return None
        return replace(message, card={"type": "AdaptiveCard", "count": self.count})


def _conversation(cid: str = CHAT) -> Conversation:
    return Conversation(cid, ConversationKind.GROUP_CHAT, "http://127.0.0.1:9/", {})


async def _eventually(condition: Callable[[], bool], within: float = 10.0) -> None:
    async with asyncio.timeout(within):
        while True:
            if condition():
                return
            await asyncio.sleep(0.005)


def _worker(outbox: Any, sender: RecordingSender, board: Board) -> OutboxWorker:
    conversations = FakeConversationRepository(_conversation())
    return OutboxWorker(
        outbox,
        conversations,
        sender,
        clock=WorkerClock(100.0),
        backoff_base=0.5,
        poll_interval=0.5,
        rng=random.Random(1),
        renderer=board.render,
    )


async def test_a_render_message_is_drawn_when_it_is_sent() -> None:
    outbox, sender, board = MemoryOutbox(), RecordingSender(), Board()
    card = OutboxMessage(CARD, CHAT, render="rollcall:7")
    plain = OutboxMessage("plain", CHAT, text="hello")
    for message in (card, plain, refresh(1)):
        await outbox.enqueue(message)
    board.count = 17  # taps after enqueueing
    assert board.drawn == []
    worker = _worker(outbox, sender, board)
    worker.start()
    try:
        await _eventually(lambda: len(sender.sent) == 3)
    finally:
        await worker.stop()
    assert [m.key for m, _ in sender.sent] == [CARD, "plain", refresh(1).key]
    assert [key for key, _ in board.drawn] == [CARD, refresh(1).key]  # not the plain one
    first, update = sender.sent[0][0], sender.sent[2]
    assert first.card == {"type": "AdaptiveCard", "count": 17}
    assert update[0].card == {"type": "AdaptiveCard", "count": 17}
    assert update[1] == f"act-{CARD}"  # the refresh replaced the card in place
    assert sender.sent[1][0] == plain
    assert {e.status for e in outbox.rows.values()} == {OutboxStatus.SENT}


async def test_nothing_to_draw_is_recorded_as_sent_without_sending() -> None:
    outbox, sender, board = MemoryOutbox(), RecordingSender(), Board()
    board.nothing = True
    await outbox.enqueue(OutboxMessage(CARD, CHAT, render="rollcall:7"))
    await outbox.enqueue(OutboxMessage("after", CHAT, text="next"))
    worker = _worker(outbox, sender, board)
    worker.start()
    try:
        await _eventually(
            lambda: all(e.status is not OutboxStatus.PENDING for e in outbox.rows.values())
        )
    finally:
        await worker.stop()
    assert board.drawn == [(CARD, 0)]
    assert [m.key for m, _ in sender.sent] == ["after"]  # the next one is not held up
    gone = outbox.status(CARD)
    assert gone.status is OutboxStatus.SENT
    assert gone.attempts == 1
    assert gone.activity_id is None


async def test_a_renderer_that_fails_is_tried_again() -> None:
    outbox, sender, board = MemoryOutbox(), RecordingSender(), Board()
    board.fail = 1
    await outbox.enqueue(OutboxMessage(CARD, CHAT, render="rollcall:7"))
    worker = _worker(outbox, sender, board)
    worker.start()
    try:
        await _eventually(lambda: outbox.status(CARD).status is OutboxStatus.SENT)
    finally:
        await worker.stop()
    assert len(board.drawn) == 2
    assert [m.key for m, _ in sender.sent] == [CARD]
    assert outbox.status(CARD).attempts == 2


async def test_a_burst_of_refreshes_goes_out_once_with_the_final_state(db: Database) -> None:
    """Over the real outbox: the card, one coalesced refresh for 20 taps, the final count."""
    outbox, sender, board = SqlOutbox(db), RecordingSender(), Board()
    await outbox.enqueue(OutboxMessage(CARD, CHAT, render="rollcall:7"))
    added = 0
    for n in range(20):
        board.count = n + 1
        added += await outbox.enqueue(refresh(n))
    assert added == 1
    worker = _worker(outbox, sender, board)
    worker.start()
    try:
        await _eventually(lambda: len(sender.sent) == 2)
        board.count = 21  # one more tap after the worker is done
        assert await outbox.enqueue(refresh(21)) is True
        await _eventually(lambda: len(sender.sent) == 3)
    finally:
        await worker.stop()
    cards = [(m.key, m.card, replaced) for m, replaced in sender.sent]
    assert cards == [
        (CARD, {"type": "AdaptiveCard", "count": 20}, None),
        (refresh(0).key, {"type": "AdaptiveCard", "count": 20}, f"act-{CARD}"),
        (refresh(21).key, {"type": "AdaptiveCard", "count": 21}, f"act-{CARD}"),
    ]
    assert (await outbox.counts())[OutboxStatus.SENT] == 3


async def test_overlapping_producers_rows_fold_into_the_one_drawn(db: Database) -> None:
    """Taps whose transactions overlap each add a row (none saw the other's): the worker settles
    the others before drawing the one it took, so the card is updated once, not once each."""
    clock = Clock()
    outbox = SqlOutbox(db, clock=clock)

    async def producer(n: int, go: asyncio.Event) -> bool:
        async with db.write() as s:
            added = await add_to_outbox(s, refresh(n), T0)
            await go.wait()  # all of them decide before any commits
            return added

    go = asyncio.Event()
    # SQLite runs writers one at a time: there the second sees the first's row and skips
    postgres = db.engine.dialect.name == "postgresql"
    tasks = [asyncio.create_task(producer(n, go)) for n in range(1, 6 if postgres else 2)]
    await asyncio.sleep(0.2)
    go.set()
    added = sum(await asyncio.gather(*tasks))
    assert added == (5 if postgres else 1)
    other = OutboxMessage(
        "rollcall:8:card:1", CHAT, render="rollcall:8", coalesce="rollcall:8:card"
    )
    assert await outbox.enqueue(other) is True
    (taken,) = await outbox.claim_due(T0, 10, owner="worker")
    assert await outbox.fold_coalesced(taken.id, CARD, T0) == added - 1
    counts = await outbox.counts()
    assert counts[OutboxStatus.PENDING] == 2  # the one taken, and another card's row
    folded = [
        e
        for n in range(1, 6)
        if (e := await outbox.entry_for_key(refresh(n).key)) is not None and e.id != taken.id
    ]
    assert all(e.status is OutboxStatus.SENT and e.sent_at is None for e in folded)
    assert all(e.last_error == "coalesced" for e in folded)
    # folded rows are no sends: the rate limiter's memory after a restart does not count them
    assert await outbox.recent_sends(T0 - timedelta(hours=1)) == []
    # nothing to fold the second time
    assert await outbox.fold_coalesced(taken.id, CARD, T0) == 0
