"""The outbox worker's rules with an in-memory outbox, fake conversations and a fake sender."""

from __future__ import annotations

import asyncio
import random
from collections.abc import Callable, Collection
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from domain.model import Conversation, ConversationKind
from domain.outbox import OutboxEntry, OutboxMessage, OutboxStatus, SendFailed
from scheduler.outbox_worker import MAX_THROTTLES, OutboxWorker, WakingOutbox, WorkerClock
from tests.fakes.memory import FakeConversationRepository

A, B = "19:a@thread.v2", "19:b@thread.v2"


class MemoryOutbox:
    """The SqlOutbox contract, in memory (the contract tests pin the real one)."""

    def __init__(self) -> None:
        self.rows: dict[int, OutboxEntry] = {}
        self.leased: dict[int, datetime] = {}
        self.fail_mark_sent = 0
        self.subscribers: list[Callable[[], None]] = []

    async def enqueue(self, message: OutboxMessage) -> bool:
        if any(e.message.key == message.key for e in self.rows.values()):
            return False
        now = datetime.now(UTC)
        entry_id = len(self.rows) + 1
        self.rows[entry_id] = OutboxEntry(entry_id, message, OutboxStatus.PENDING, 0, now, now)
        return True

    async def claim_due(
        self,
        now: datetime,
        limit: int,
        exclude_conversations: Collection[str] = (),
        *,
        owner: str = "",
        lease: timedelta = timedelta(minutes=2),
    ) -> list[OutboxEntry]:
        heads: dict[str, OutboxEntry] = {}
        for e in sorted(self.rows.values(), key=lambda e: e.id):
            if e.status is OutboxStatus.PENDING:
                heads.setdefault(e.message.conversation_id, e)
        due = [
            e
            for c, e in heads.items()
            if c not in exclude_conversations
            and ((e.attempts == 0 and e.throttles == 0) or e.next_attempt_at <= now)
            and (e.id not in self.leased or self.leased[e.id] < now)
        ][:limit]
        for e in due:
            self.leased[e.id] = now + lease
        return due

    def _set(self, entry_id: int, **changes: object) -> None:
        self.rows[entry_id] = replace(self.rows[entry_id], **changes)  # type: ignore[arg-type]
        self.leased.pop(entry_id, None)

    async def mark_sent(self, entry_id: int, activity_id: str | None, now: datetime) -> None:
        if self.fail_mark_sent:
            self.fail_mark_sent -= 1
            raise ConnectionError("database away")
        e = self.rows[entry_id]
        self._set(
            entry_id,
            status=OutboxStatus.SENT,
            activity_id=activity_id,
            sent_at=now,
            attempts=e.attempts + 1,
        )

    async def fold_coalesced(self, entry_id: int, coalesce: str, now: datetime) -> int:
        folded = [
            e.id
            for e in self.rows.values()
            if e.message.coalesce == coalesce
            and e.status is OutboxStatus.PENDING
            and e.id != entry_id
            and (e.id not in self.leased or self.leased[e.id] < now)
        ]
        for entry_id_ in folded:
            self._set(entry_id_, status=OutboxStatus.SENT, last_error="coalesced")
        return len(folded)

    async def mark_retry(
        self, entry_id: int, next_attempt_at: datetime, error: str, *, throttled: bool = False
    ) -> None:
        e = self.rows[entry_id]
        counted = {"throttles": e.throttles + 1} if throttled else {"attempts": e.attempts + 1}
        self._set(entry_id, next_attempt_at=next_attempt_at, last_error=error, **counted)

    async def enqueue_failed(
        self,
        message: OutboxMessage,
        *,
        next_attempt_at: datetime,
        error: str,
        attempts: int = 0,
        throttles: int = 0,
        dead: bool = False,
    ) -> bool:
        if any(e.message.key == message.key for e in self.rows.values()):
            return False
        entry_id = len(self.rows) + 1
        self.rows[entry_id] = OutboxEntry(
            entry_id,
            message,
            OutboxStatus.DEAD if dead else OutboxStatus.PENDING,
            attempts,
            datetime.now(UTC),
            next_attempt_at,
            last_error=error,
            throttles=throttles,
        )
        return True

    async def mark_dead(self, entry_id: int, error: str, *, attempted: bool = True) -> None:
        e = self.rows[entry_id]
        if e.status is OutboxStatus.PENDING:
            self._set(
                entry_id,
                status=OutboxStatus.DEAD,
                attempts=e.attempts + attempted,
                last_error=error,
            )

    async def kill_conversation(self, conversation_id: str, error: str) -> int:
        ids = [
            e.id
            for e in self.rows.values()
            if e.message.conversation_id == conversation_id and e.status is OutboxStatus.PENDING
        ]
        for i in ids:
            self._set(i, status=OutboxStatus.DEAD, last_error=error)
        return len(ids)

    async def release(self, entry_ids: Collection[int]) -> None:
        for i in entry_ids:
            self.leased.pop(i, None)

    async def entry_for_key(self, key: str) -> OutboxEntry | None:
        return next((e for e in self.rows.values() if e.message.key == key), None)

    async def recent_sends(self, since: datetime) -> list[tuple[str, datetime]]:
        return [
            (e.message.conversation_id, e.sent_at)
            for e in self.rows.values()
            if e.sent_at is not None and e.sent_at >= since
        ]

    def subscribe(self, callback: Callable[[], None]) -> Callable[[], None]:
        self.subscribers.append(callback)
        return lambda: self.subscribers.remove(callback)

    def status(self, key: str) -> OutboxEntry:
        return next(e for e in self.rows.values() if e.message.key == key)


class FakeSender:
    """Answers from a script of failures per message key; records what it delivered."""

    def __init__(self) -> None:
        self.script: dict[str, list[SendFailed]] = {}
        self.sent: list[tuple[str, str | None]] = []
        self.attempts: list[str] = []
        self.gate: asyncio.Event | None = None

    async def send(
        self,
        conversation: Conversation,
        message: OutboxMessage,
        replace_activity_id: str | None = None,
    ) -> str | None:
        self.attempts.append(message.key)
        if self.gate is not None:
            await self.gate.wait()
        failures = self.script.get(message.key)
        if failures:
            raise failures.pop(0)
        self.sent.append((message.key, replace_activity_id))
        return replace_activity_id or f"act-{message.key}"


async def _eventually(condition: Callable[[], bool], within: float = 5.0) -> None:
    async with asyncio.timeout(within):
        while True:
            if condition():
                return
            await asyncio.sleep(0.005)


def _conversation(cid: str, active: bool = True) -> Conversation:
    return Conversation(cid, ConversationKind.GROUP_CHAT, "http://127.0.0.1:9/", {}, active=active)


async def _run(
    outbox: MemoryOutbox,
    sender: FakeSender,
    messages: list[OutboxMessage],
    conversations: tuple[Conversation, ...] = (_conversation(A), _conversation(B)),
    **kw: object,
) -> tuple[OutboxWorker, FakeConversationRepository]:
    repo = FakeConversationRepository()
    for c in conversations:
        await repo.remember(c)
    options: dict[str, object] = {
        "clock": WorkerClock(100.0),
        "backoff_base": 0.5,
        "poll_interval": 0.5,
        "rng": random.Random(1),
    }
    options.update(kw)
    worker = OutboxWorker(outbox, repo, sender, **options)  # type: ignore[arg-type]
    for m in messages:
        await outbox.enqueue(m)
    worker.start()
    await _eventually(
        lambda: all(e.status is not OutboxStatus.PENDING for e in outbox.rows.values())
    )
    await worker.stop()
    return worker, repo


async def test_a_message_that_can_never_succeed_dies_at_once_and_unblocks_the_rest() -> None:
    outbox, sender = MemoryOutbox(), FakeSender()
    sender.script["too-big"] = [SendFailed(413, reason="MessageSizeTooBig")]
    sender.script["bad"] = [SendFailed(400)]
    await _run(outbox, sender, [OutboxMessage(k, A, text=k) for k in ("too-big", "bad", "after")])
    assert [k for k, _ in sender.sent] == ["after"]
    assert outbox.status("too-big").status is OutboxStatus.DEAD
    assert outbox.status("too-big").last_error == "HTTP 413 MessageSizeTooBig"
    assert outbox.status("bad").attempts == 1


async def test_retryable_failures_back_off_and_die_after_max_attempts() -> None:
    outbox, sender = MemoryOutbox(), FakeSender()
    sender.script["flaky"] = [SendFailed(503), SendFailed(None, reason="ClientRequestError")]
    sender.script["hopeless"] = [SendFailed(502)] * 10
    worker, _ = await _run(
        outbox,
        sender,
        [OutboxMessage("flaky", A, text="1"), OutboxMessage("hopeless", B, text="2")],
        max_attempts=4,
    )
    assert outbox.status("flaky").status is OutboxStatus.SENT
    assert outbox.status("flaky").attempts == 3
    hopeless = outbox.status("hopeless")
    assert hopeless.status is OutboxStatus.DEAD
    assert hopeless.attempts == 4
    assert hopeless.last_error == "HTTP 502 (gave up after 4)"
    assert sender.attempts.count("hopeless") == 4
    assert worker.stats.retried == 2 + 3


def test_backoff_doubles_up_to_the_cap_with_jitter() -> None:
    worker = OutboxWorker(
        MemoryOutbox(), FakeConversationRepository(), FakeSender(), rng=random.Random(5)
    )
    for attempts, base in [(1, 1), (2, 2), (3, 4), (6, 32), (7, 60), (30, 60)]:
        for _ in range(20):
            assert 0.8 * base <= worker.backoff(attempts) <= 1.2 * base


async def test_gone_conversation_goes_inactive_and_its_messages_die() -> None:
    outbox, sender = MemoryOutbox(), FakeSender()
    sender.script["a0"] = [SendFailed(404, reason="ConversationNotFound")]
    messages = [OutboxMessage(f"a{i}", A, text="x") for i in range(3)] + [
        OutboxMessage(f"b{i}", B, text="x") for i in range(3)
    ]
    worker, repo = await _run(outbox, sender, messages)
    gone = await repo.get(A)
    assert gone is not None
    assert gone.active is False
    assert {e.message.key for e in outbox.rows.values() if e.status is OutboxStatus.DEAD} == {
        "a0",
        "a1",
        "a2",
    }
    assert [k for k, _ in sender.sent] == ["b0", "b1", "b2"]
    assert sender.attempts.count("a1") == 0
    assert worker.stats.conversations_gone == 1


async def test_unknown_or_inactive_conversations_are_not_sent_to() -> None:
    outbox, sender = MemoryOutbox(), FakeSender()
    await _run(
        outbox,
        sender,
        [OutboxMessage("nowhere", "19:unknown", text="x"), OutboxMessage("blocked", B, text="x")],
        conversations=(_conversation(B, active=False),),
    )
    assert sender.attempts == []
    assert outbox.status("nowhere").last_error == "conversation unknown to the bot"
    assert outbox.status("blocked").last_error == "conversation inactive (bot removed or blocked)"
    assert outbox.status("blocked").attempts == 0


async def test_updates_replace_the_sent_activity_or_post_anew() -> None:
    outbox, sender = MemoryOutbox(), FakeSender()
    sender.script["v3"] = [SendFailed(404)]
    _, repo = await _run(
        outbox,
        sender,
        [
            OutboxMessage("v1", A, card={}),
            OutboxMessage("v2", A, card={}, update_of="v1"),
            OutboxMessage("v3", A, card={}, update_of="v1"),
            OutboxMessage("lost", A, card={}, update_of="never"),
        ],
    )
    assert sender.sent == [("v1", None), ("v2", "act-v1"), ("lost", None)]
    assert outbox.status("v2").activity_id == "act-v1"
    # a 404 on an update means the message is gone, not the whole conversation
    assert outbox.status("v3").status is OutboxStatus.DEAD
    conv = await repo.get(A)
    assert conv is not None
    assert conv.active is True


async def test_retry_after_holds_back_only_its_conversation() -> None:
    outbox, sender = MemoryOutbox(), FakeSender()
    sender.script["a0"] = [SendFailed(429, retry_after=50.0)]  # 0.5 s at 100x
    await _run(
        outbox,
        sender,
        [OutboxMessage("a0", A, text="x"), OutboxMessage("a1", A, text="x")]
        + [OutboxMessage(f"b{i}", B, text="x") for i in range(3)],
    )
    assert [k for k, _ in sender.sent][:3] == ["b0", "b1", "b2"]
    assert [k for k, _ in sender.sent if k.startswith("a")] == ["a0", "a1"]
    assert outbox.status("a0").last_error == "HTTP 429, Retry-After 50 s"


async def test_stop_lets_a_send_in_flight_finish_and_records_it() -> None:
    outbox, sender = MemoryOutbox(), FakeSender()
    sender.gate = asyncio.Event()
    repo = FakeConversationRepository()
    await repo.remember(_conversation(A))
    worker = OutboxWorker(outbox, repo, sender, poll_interval=0.05)
    await outbox.enqueue(OutboxMessage("slow", A, text="x"))
    await outbox.enqueue(OutboxMessage("next", A, text="x"))
    worker.start()
    await _eventually(lambda: bool(sender.attempts))
    assert outbox.subscribers == [worker.wake]
    stopping = asyncio.create_task(worker.stop())
    await asyncio.sleep(0.05)
    assert not stopping.done()
    sender.gate.set()
    await stopping
    assert outbox.status("slow").status is OutboxStatus.SENT
    assert outbox.status("next").status is OutboxStatus.PENDING
    assert outbox.leased == {}  # nothing left claimed for a restart to wait on
    assert outbox.subscribers == []


async def test_a_send_the_database_missed_is_recorded_later_not_sent_again() -> None:
    outbox, sender = MemoryOutbox(), FakeSender()
    outbox.fail_mark_sent = 5  # more than the worker's own tries
    await _run(
        outbox, sender, [OutboxMessage("once", A, text="x")], lease=timedelta(milliseconds=100)
    )
    assert sender.attempts == ["once"]
    assert outbox.status("once").status is OutboxStatus.SENT


async def test_waking_outbox_wakes_the_worker_for_new_rows_only() -> None:
    outbox = MemoryOutbox()
    worker = OutboxWorker(outbox, FakeConversationRepository(), FakeSender())
    woken: list[bool] = []
    worker.wake = lambda: woken.append(True)  # type: ignore[method-assign]
    waking = WakingOutbox(outbox, worker)
    assert await waking.enqueue(OutboxMessage("k", A, text="x")) is True
    assert await waking.enqueue(OutboxMessage("k", A, text="x")) is False
    assert woken == [True]


@pytest.mark.parametrize("speed", [0.0, -1.0])
def test_clock_speed_must_be_positive(speed: float) -> None:
    with pytest.raises(ValueError, match="positive"):
        WorkerClock(speed)


async def test_sends_after_a_coalesced_update_are_spaced_in_its_conversation_only() -> None:
    outbox, sender = MemoryOutbox(), FakeSender()
    sent_at: dict[str, float] = {}
    send = sender.send

    async def timed(conversation: Conversation, message: OutboxMessage, *args: object) -> str:
        sent_at[message.key] = asyncio.get_running_loop().time()
        return await send(conversation, message, *args)  # type: ignore[arg-type]

    sender.send = timed  # type: ignore[method-assign]
    card = "rollcall:1"
    await _run(
        outbox,
        sender,
        [
            OutboxMessage("a0", A, text="count 1", coalesce=card),
            OutboxMessage("a1", A, text="count 2", coalesce=card),
            OutboxMessage("a2", A, text="a plain message"),
            OutboxMessage("b0", B, text="x"),
            OutboxMessage("b1", B, text="x"),
        ],
        coalesced_spacing=50.0,  # worker seconds: 0.5 s at 100x
    )
    assert [k for k, _ in sender.sent if k.startswith("a")] == ["a0", "a1", "a2"]
    assert sent_at["a1"] - sent_at["a0"] >= 0.5
    assert sent_at["a2"] - sent_at["a1"] >= 0.5  # whatever comes next in that conversation
    assert sent_at["b1"] < sent_at["a1"]  # other conversations are not held back


# --- one retry policy for every send: 429s, and answers given during turns ----------------


async def test_a_429_waits_for_retry_after_and_does_not_count_toward_the_dead_letter_limit() -> (
    None
):
    outbox, sender = MemoryOutbox(), FakeSender()
    # twelve 429s, more than max_attempts: Teams asked us to wait, nothing failed
    sender.script["busy"] = [SendFailed(429, retry_after=0.5)] * 12
    worker, _ = await _run(outbox, sender, [OutboxMessage("busy", A, text="1")], max_attempts=4)
    entry = outbox.status("busy")
    assert entry.status is OutboxStatus.SENT
    assert (entry.throttles, entry.attempts) == (12, 1)  # the one attempt is the send itself
    assert worker.stats.throttled == 12


async def test_a_message_throttled_without_end_is_given_up_at_last() -> None:
    outbox, sender = MemoryOutbox(), FakeSender()
    sender.script["never"] = [SendFailed(429, retry_after=0.01)] * (MAX_THROTTLES + 5)
    await _run(outbox, sender, [OutboxMessage("never", A, text="1")])
    entry = outbox.status("never")
    assert entry.status is OutboxStatus.DEAD
    assert entry.throttles == MAX_THROTTLES - 1
    assert sender.attempts.count("never") == MAX_THROTTLES


def _worker(outbox: MemoryOutbox, sender: FakeSender, **kw: object) -> OutboxWorker:
    repo = FakeConversationRepository()
    options: dict[str, object] = {"clock": WorkerClock(1.0), "rng": random.Random(1)}
    options.update(kw)
    return OutboxWorker(outbox, repo, sender, **options)  # type: ignore[arg-type]


def _answers(*keys: str) -> list[OutboxMessage]:
    return [OutboxMessage(k, A, text=k, reply_to="1700000000000") for k in keys]


async def test_answers_in_a_turn_go_out_at_once_in_order() -> None:
    outbox, sender = MemoryOutbox(), FakeSender()
    worker = _worker(outbox, sender)
    queued = await worker.send_now(_conversation(A), _answers("a1", "a2"))
    assert queued == 0
    assert [k for k, _ in sender.sent] == ["a1", "a2"]
    assert outbox.rows == {}  # nothing stored when nothing went wrong
    assert worker.stats.sent_now == 2


async def test_a_throttled_answer_and_those_after_it_wait_in_the_outbox() -> None:
    outbox, sender = MemoryOutbox(), FakeSender()
    sender.script["a2"] = [SendFailed(429, retry_after=2.0)]
    worker = _worker(outbox, sender)
    before = datetime.now(UTC)
    queued = await worker.send_now(_conversation(A), _answers("a1", "a2", "a3"))
    assert queued == 2
    assert [k for k, _ in sender.sent] == ["a1"]
    throttled, behind = outbox.status("a2"), outbox.status("a3")
    assert throttled.status is behind.status is OutboxStatus.PENDING
    assert (throttled.attempts, throttled.throttles) == (0, 1)
    assert throttled.next_attempt_at >= before + timedelta(seconds=2)
    assert behind.id > throttled.id  # the worker takes a conversation's oldest row first
    # no send to that conversation inside the Retry-After window, by any path
    mono = worker.clock.monotonic()
    assert worker.limiter.earliest(A, mono) >= mono + 1.9
    assert await worker.send_now(_conversation(A), _answers("later")) == 1
    assert [k for k, _ in sender.sent] == ["a1"]
    # other conversations are not held back
    assert await worker.send_now(_conversation(B), [OutboxMessage("b", B, text="b")]) == 0


async def test_a_failed_answer_is_retried_by_the_worker_and_delivered_once() -> None:
    outbox, sender = MemoryOutbox(), FakeSender()
    sender.script["a1"] = [SendFailed(503)]
    worker = _worker(outbox, sender, clock=WorkerClock(100.0), backoff_base=0.5)
    await worker._conversations.remember(_conversation(A))  # type: ignore[attr-defined]
    assert await worker.send_now(_conversation(A), _answers("a1")) == 1
    entry = outbox.status("a1")
    assert (entry.attempts, entry.throttles) == (1, 0)
    worker.start()
    await _eventually(lambda: outbox.status("a1").status is OutboxStatus.SENT)
    await worker.stop()
    assert sender.attempts == ["a1", "a1"]
    assert [k for k, _ in sender.sent] == ["a1"]


async def test_answers_the_limits_hold_back_are_queued_not_dropped() -> None:
    outbox, sender = MemoryOutbox(), FakeSender()
    worker = _worker(outbox, sender)
    keys = [f"a{i}" for i in range(10)]
    queued = await worker.send_now(_conversation(A), _answers(*keys))
    allowed = min(n for _, n in worker.limiter.per_conversation)
    assert [k for k, _ in sender.sent] == keys[:allowed]
    assert queued == len(keys) - allowed
    assert [e.message.key for e in sorted(outbox.rows.values(), key=lambda e: e.id)] == keys[
        allowed:
    ]


async def test_an_answer_teams_refuses_outright_is_a_dead_letter_and_the_next_goes() -> None:
    outbox, sender = MemoryOutbox(), FakeSender()
    sender.script["huge"] = [SendFailed(413, reason="MessageSizeTooBig")]
    worker = _worker(outbox, sender)
    assert await worker.send_now(_conversation(A), _answers("huge", "ok")) == 0
    assert [k for k, _ in sender.sent] == ["ok"]
    assert outbox.status("huge").status is OutboxStatus.DEAD


async def test_an_answer_to_a_conversation_the_bot_left_marks_it_inactive() -> None:
    outbox, sender = MemoryOutbox(), FakeSender()
    sender.script["a1"] = [SendFailed(403)]
    worker = _worker(outbox, sender)
    repo = worker._conversations  # type: ignore[attr-defined]
    await repo.remember(_conversation(A))
    assert await worker.send_now(_conversation(A), _answers("a1", "a2")) == 0
    assert sender.sent == []
    assert {outbox.status(k).status for k in ("a1", "a2")} == {OutboxStatus.DEAD}
    stored = await repo.get(A)
    assert stored is not None and not stored.active
