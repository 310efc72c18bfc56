"""The outbox worker: delivers stored proactive messages within Teams' limits (no SDK here).

One dispatcher task claims due rows (at most one per conversation: its oldest pending one),
asks the rate limiter when each may go, and starts one send task per conversation. So a
conversation's messages go out one at a time, oldest first, while many conversations are
served in parallel, and a conversation that is throttled, failing or gone waits alone.

Delivery is at least once, made as close to exactly once as HTTP allows: a message is recorded
as sent right after Teams answered. Only a crash (kill -9) or a lost database between Teams'
answer and that commit can make it go out a second time; a send that times out without an
answer is retried too, and Teams may have received it.
"""

from __future__ import annotations

import asyncio
import contextlib
import enum
import logging
import os
import random
import socket
import time
import uuid
from collections.abc import Awaitable, Callable, Collection, Coroutine, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol

from domain.model import Conversation
from domain.outbox import OutboxEntry, OutboxMessage, OutboxStatus, Sender, SendFailed
from domain.ports import ConversationRepository
from domain.ratelimit import OUTBOX_PER_CONVERSATION, RateLimiter

log = logging.getLogger(__name__)

# worth another try: throttled, precondition failed, timeouts and server trouble
RETRYABLE = frozenset({401, 408, 412, 429, 500, 502, 503, 504})
# the bot was removed or blocked, or the conversation no longer exists
GONE = frozenset({403, 404})
# a message Teams throttled this often is given up (429s do not count toward max_attempts)
MAX_THROTTLES = 100
MAX_RETRY_AFTER = 3600.0
# an answer during a turn that gets no answer from Teams within this is queued for the worker
REPLY_TIMEOUT = 10.0


class Fate(enum.Enum):
    """What becomes of a message after a failed send."""

    RETRY = "retry"
    DEAD = "dead"
    GONE = "gone"  # the bot cannot reach the conversation any more


@dataclass(frozen=True, slots=True)
class Verdict:
    """A failed send's fate, how long to wait before the next try, and whether it was a 429."""

    fate: Fate
    delay: float = 0.0
    throttled: bool = False
    gave_up: bool = False  # dead after too many tries (not refused outright)


Renderer = Callable[[OutboxMessage], Awaitable[OutboxMessage | None]]
"""Draws a message marked `render` just before it is sent; None: nothing to send any more."""


class OutboxQueue(Protocol):
    """What the worker needs from the outbox store (store.outbox.SqlOutbox)."""

    async def claim_due(
        self,
        now: datetime,
        limit: int,
        exclude_conversations: Collection[str] = (),
        *,
        owner: str = ...,
        lease: timedelta = ...,
    ) -> list[OutboxEntry]: ...
    async def mark_sent(self, entry_id: int, activity_id: str | None, now: datetime) -> None: ...
    async def mark_retry(
        self, entry_id: int, next_attempt_at: datetime, error: str, *, throttled: bool = False
    ) -> None: ...
    async def fold_coalesced(self, entry_id: int, coalesce: str, now: datetime) -> int: ...
    async def mark_dead(self, entry_id: int, error: str, *, attempted: bool = True) -> None: ...
    async def kill_conversation(self, conversation_id: str, error: str) -> int: ...
    async def release(self, entry_ids: Collection[int]) -> None: ...
    async def entry_for_key(self, key: str) -> OutboxEntry | None: ...
    async def recent_sends(self, since: datetime) -> list[tuple[str, datetime]]: ...
    def subscribe(self, callback: Callable[[], None]) -> Callable[[], None]: ...
    async def enqueue(self, message: OutboxMessage) -> bool: ...
    async def enqueue_failed(
        self,
        message: OutboxMessage,
        *,
        next_attempt_at: datetime,
        error: str,
        attempts: int = 0,
        throttles: int = 0,
        dead: bool = False,
    ) -> bool: ...


class WorkerClock:
    """The worker's time: monotonic seconds, aware UTC wall time, and real seconds to wait.

    speed > 1 runs time faster (tests and benchmarks: a 40 s rate-limit pattern in 4 s); give a
    fake connector that checks the limits a clock of the same speed. wall, if given, is the
    app's own (virtual) wall clock.
    """

    def __init__(self, speed: float = 1.0, *, wall: Callable[[], datetime] | None = None) -> None:
        if speed <= 0:
            raise ValueError("speed must be positive")
        self.speed = speed
        self._wall = wall
        self._mono0 = time.monotonic()
        self._wall0 = datetime.now(UTC)

    def monotonic(self) -> float:
        """Seconds on this clock (only differences mean anything)."""
        return self._mono0 + (time.monotonic() - self._mono0) * self.speed

    def now(self) -> datetime:
        """The wall time on this clock, aware UTC."""
        if self._wall is not None:
            return self._wall()
        if self.speed == 1.0:
            return datetime.now(UTC)
        return self._wall0 + timedelta(seconds=(time.monotonic() - self._mono0) * self.speed)

    def real(self, seconds: float) -> float:
        """How many real seconds `seconds` of this clock take."""
        return seconds / self.speed


@dataclass(slots=True)
class WorkerStats:
    """Counters since start (for tests, benchmarks and readiness reports)."""

    sent: int = 0
    retried: int = 0
    throttled: int = 0
    dead: int = 0
    conversations_gone: int = 0
    coalesced: int = 0  # rows settled by another drawing of the same card
    sent_now: int = 0  # answers sent during turns
    queued_answers: int = 0  # answers during turns that went to the outbox instead


@dataclass(slots=True)
class _Ready:
    conversation: Conversation
    replace_id: str | None


@dataclass(slots=True)
class _Held:
    entry: OutboxEntry
    since: float
    # looks up the conversation (and the activity to update) while the row waits its turn;
    # None for a row that was sent but not recorded
    prepared: asyncio.Task[_Ready | None] | None


@dataclass(slots=True)
class _Unrecorded:
    activity_id: str | None
    sent_at: datetime


# Seconds (worker clock) between two sends to a conversation after a coalesced one (a roll-call
# card redrawn with the latest count). Teams would allow several per second, but each redraw is
# a claim, reads, a draw and an HTTP call: at one per tap, a group of 50 tapping over 10 s cost
# the leader as much again as the taps themselves. Spaced, the taps in between fold into the
# one waiting update, which is drawn when it is sent, so the last count is still right.
COALESCED_SPACING = 2.0


class OutboxWorker:
    """Sends what the outbox holds: in order per conversation, within Teams' limits.

    poll_interval, lease and send_timeout are real seconds; backoff_base, backoff_cap and the
    rate limits run on clock (faster in tests, together with the fake connector's).
    """

    def __init__(
        self,
        outbox: OutboxQueue,
        conversations: ConversationRepository,
        sender: Sender,
        *,
        max_attempts: int = 8,
        concurrency: int = 32,
        clock: WorkerClock | None = None,
        limiter: RateLimiter | None = None,
        poll_interval: float = 0.5,
        batch: int = 100,
        lease: timedelta = timedelta(minutes=2),
        send_timeout: float = 60.0,
        backoff_base: float = 1.0,
        backoff_cap: float = 60.0,
        rng: random.Random | None = None,
        renderer: Renderer | None = None,
        coalesced_spacing: float = COALESCED_SPACING,
        owner: str | None = None,
        reply_timeout: float = REPLY_TIMEOUT,
    ) -> None:
        self._outbox = outbox
        self._coalesced_spacing = coalesced_spacing
        self._renderer = renderer
        self._conversations = conversations
        self._sender = sender
        self.max_attempts = max(1, max_attempts)
        self._concurrency = max(1, concurrency)
        self.clock = clock or WorkerClock()
        self.limiter = limiter or RateLimiter(OUTBOX_PER_CONVERSATION)
        # Teams' windows, Retry-After and backoff are on the worker's clock; polling, leases
        # and timeouts are about our own I/O, so they stay in real seconds at any clock speed
        self._poll = poll_interval * self.clock.speed
        self._batch = max(1, batch)
        self._lease = lease * self.clock.speed
        self._send_timeout = send_timeout
        self._backoff_base = backoff_base
        self._backoff_cap = backoff_cap
        self._rng = rng or random.Random()
        self._owner = owner or f"{socket.gethostname()[:40]}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
        self._reply_timeout = reply_timeout
        self.stats = WorkerStats()
        self._held: dict[str, _Held] = {}
        self._busy: set[str] = set()
        self._sending: set[asyncio.Task[None]] = set()
        self._unrecorded: dict[int, _Unrecorded] = {}
        self._event = asyncio.Event()
        self._wanted = True  # new rows were announced: claim at once
        self._refill = False  # a conversation is free again: claim if few rows are held
        self._next_claim_at = 0.0
        self._claiming: asyncio.Task[None] | None = None
        self._stopping = False
        self._task: asyncio.Task[None] | None = None
        self._unsubscribe: Callable[[], None] = lambda: None

    # ------------------------------------------------------------------ lifecycle

    def start(self) -> None:
        """Start delivering on the running event loop."""
        if self._task is not None:
            return
        self._stopping = False
        self._event = asyncio.Event()
        self._wanted = True
        self._task = asyncio.get_running_loop().create_task(self._run(), name="outbox-worker")
        self._unsubscribe = self._outbox.subscribe(self.wake)
        log.info("outbox worker started (%s)", self._owner)

    async def stop(self) -> None:
        """Stop claiming, let sends in flight finish and record them, give back the rest."""
        task = self._task
        if task is None:
            return
        self._unsubscribe()
        self._stopping = True
        self._event.set()
        await asyncio.shield(self._finish(task))

    async def _finish(self, task: asyncio.Task[None]) -> None:
        with contextlib.suppress(Exception):
            await task
        if self._claiming is not None:
            with contextlib.suppress(Exception):
                await self._claiming
        preparing = [h.prepared for h in self._held.values() if h.prepared is not None]
        if self._sending or preparing:
            await asyncio.gather(*self._sending, *preparing, return_exceptions=True)
        held = [h.entry.id for h in self._held.values()]
        self._held.clear()
        try:
            await self._outbox.release(held)
        except Exception as exc:  # the leases run out by themselves
            log.warning("outbox: could not release claimed rows (%s)", type(exc).__name__)
        self._task = None
        log.info("outbox worker stopped")

    def wake(self) -> None:
        """Look for new rows at once (call after enqueueing)."""
        self._wanted = True
        self._event.set()

    @property
    def running(self) -> bool:
        """True between start and stop."""
        return self._task is not None and not self._stopping

    @property
    def in_flight(self) -> int:
        """Sends in progress now."""
        return len(self._sending)

    # ------------------------------------------------------------------ dispatcher

    async def _remember_recent_sends(self) -> None:
        # after a restart, what this or another process sent in the last hour still counts
        now, mono = self.clock.now(), self.clock.monotonic()
        longest = max((w for w, _ in self.limiter.per_conversation), default=0.0)
        try:
            sends = await self._outbox.recent_sends(now - timedelta(seconds=longest))
        except Exception as exc:
            log.warning("outbox: could not read recent sends (%s)", type(exc).__name__)
            return
        for conversation_id, sent_at in sends:
            self.limiter.record(conversation_id, mono - (now - sent_at).total_seconds())

    async def _run(self) -> None:
        await self._remember_recent_sends()
        while not self._stopping:
            self._event.clear()
            try:
                delay = await self._tick()
            except Exception as exc:
                log.warning("outbox: dispatch failed (%s); trying again", type(exc).__name__)
                log.debug("outbox dispatch failure", exc_info=True)
                delay = self._poll
                self._next_claim_at = self.clock.monotonic() + self._poll
            if self._stopping:
                break
            wait = self.clock.real(min(max(delay, 0.001), self._poll))
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._event.wait(), wait)

    def _maybe_claim(self, mono: float) -> None:
        # claims run beside the dispatcher, so a slow query never delays a due send
        if self._stopping or self._claiming is not None or len(self._held) >= self._batch:
            return
        low = len(self._held) < self._batch // 2
        if not (self._wanted or mono >= self._next_claim_at or (self._refill and low)):
            return
        self._wanted = self._refill = False
        self._next_claim_at = mono + self._poll
        task = asyncio.get_running_loop().create_task(self._claim(mono), name="outbox-claim")
        self._claiming = task
        task.add_done_callback(self._claimed)

    def _claimed(self, task: asyncio.Task[None]) -> None:
        self._claiming = None
        if not task.cancelled() and task.exception() is not None:
            log.warning("outbox: claiming failed (%s)", type(task.exception()).__name__)
            self._next_claim_at = self.clock.monotonic() + self._poll
        self._event.set()

    async def _tick(self) -> float:
        mono = self.clock.monotonic()
        self._maybe_claim(mono)
        await self._release_stale(mono)
        next_at = self._next_claim_at
        failed: list[int] = []
        for conversation_id, held in sorted(self._held.items(), key=lambda kv: kv[1].entry.id):
            if len(self._sending) >= self._concurrency:
                break  # a finishing send wakes the dispatcher
            entry, prepared = held.entry, held.prepared
            if prepared is None:
                del self._held[conversation_id]
                self._spawn(conversation_id, self._record_late(entry))
                continue
            if not prepared.done():
                continue  # its completion wakes the dispatcher
            ready = None if prepared.cancelled() or prepared.exception() else prepared.result()
            if ready is None:
                # settled without sending (dead, waiting), or the lookup failed
                del self._held[conversation_id]
                if prepared.cancelled() or prepared.exception() is not None:
                    failed.append(entry.id)
                self._refill = True
                continue
            when = self.limiter.earliest(conversation_id, mono)
            if when <= mono:
                del self._held[conversation_id]
                self.limiter.begin(conversation_id)
                self._spawn(conversation_id, self._send(entry, ready))
            else:
                next_at = min(next_at, when)
        if failed:
            await self._outbox.release(failed)
        self._maybe_claim(self.clock.monotonic())
        return next_at - mono

    async def _claim(self, mono: float) -> None:
        waiting = self.limiter.waiting(mono)
        if waiting:
            # look again when the first of them may send
            self._next_claim_at = min(self._next_claim_at, min(waiting.values()))
        exclude = set(self._held) | self._busy | set(waiting)
        entries = await self._outbox.claim_due(
            self.clock.now(),
            self._batch - len(self._held),
            exclude,
            owner=self._owner,
            lease=self._lease,
        )
        now = self.clock.monotonic()
        loop = asyncio.get_running_loop()
        for entry in entries:
            prepared = None
            if entry.id not in self._unrecorded:
                prepared = loop.create_task(self._prepare(entry), name="outbox-prepare")
                prepared.add_done_callback(self._prepared)
            self._held[entry.message.conversation_id] = _Held(entry, now, prepared)

    def _prepared(self, task: asyncio.Task[_Ready | None]) -> None:
        if not task.cancelled() and task.exception() is not None:
            log.warning("outbox: could not prepare a send (%s)", type(task.exception()).__name__)
        self._event.set()

    async def _release_stale(self, mono: float) -> None:
        # never hold a lease close to running out: another replica would take the row
        limit = self._lease.total_seconds() / 2
        stale = [c for c, h in self._held.items() if mono - h.since > limit]
        if stale:
            ids = [self._held.pop(c).entry.id for c in stale]
            await self._outbox.release(ids)

    def _spawn(self, conversation_id: str, work: Coroutine[Any, Any, None]) -> None:
        self._busy.add(conversation_id)

        async def run() -> None:
            try:
                await work
            except Exception:
                # the database failed while recording the outcome: the lease runs out and
                # the row is tried again
                log.warning("outbox: recording a send failed", exc_info=True)
            finally:
                self._busy.discard(conversation_id)
                self._refill = True
                self._event.set()

        task = asyncio.get_running_loop().create_task(run(), name="outbox-send")
        self._sending.add(task)
        task.add_done_callback(self._sending.discard)

    # ------------------------------------------------------------------ one message

    async def _prepare(self, entry: OutboxEntry) -> _Ready | None:
        """What the send needs; None once the row is settled without sending it."""
        message = entry.message
        conversation = await self._conversations.get(message.conversation_id)
        if conversation is None or not conversation.active:
            reason = (
                "conversation unknown to the bot"
                if conversation is None
                else "conversation inactive (bot removed or blocked)"
            )
            await self._outbox.mark_dead(entry.id, reason, attempted=False)
            self.stats.dead += 1
            log.info("outbox: message %d dead: %s", entry.id, reason)
            return None
        replace_id: str | None = message.replace_id
        if message.update_of:
            original = await self._outbox.entry_for_key(message.update_of)
            if original is not None and original.status is OutboxStatus.PENDING:
                # only if it was enqueued later or elsewhere (in one conversation, order
                # sends it first): wait for it like after a failed attempt
                await self._failed(
                    entry, SendFailed(None, reason="waiting for the message it updates")
                )
                return None
            if original is not None and original.status is OutboxStatus.SENT:
                replace_id = original.activity_id
            # dead or unknown: post it as a new message
        return _Ready(conversation, replace_id)

    async def _send(self, entry: OutboxEntry, ready: _Ready) -> None:
        conversation_id = entry.message.conversation_id
        try:
            message = entry.message
            if message.render is not None and self._renderer is not None:
                if message.coalesce is not None:
                    await self._fold(entry.id, message.coalesce)
                # drawn now, after the claim: whatever changed before this shows
                drawn = await self._renderer(message)
                if drawn is None:
                    self.limiter.end(conversation_id, self.clock.monotonic())
                    await self._record_sent(entry, ready.replace_id)
                    return
                message = drawn
            activity_id = await asyncio.wait_for(
                self._sender.send(ready.conversation, message, ready.replace_id),
                self._send_timeout,
            )
        except Exception as exc:
            self.limiter.end(conversation_id, self.clock.monotonic())
            if isinstance(exc, SendFailed):
                failure = exc
            elif isinstance(exc, TimeoutError):
                failure = SendFailed(None, reason="timed out")
            else:
                log.warning("outbox: sender failed on message %d", entry.id, exc_info=True)
                failure = SendFailed(None, reason=type(exc).__name__)
            await self._failed(entry, failure, is_update=ready.replace_id is not None)
            return
        except BaseException:
            self.limiter.end(conversation_id, self.clock.monotonic())
            raise
        done = self.clock.monotonic()
        self.limiter.end(conversation_id, done)
        if entry.message.coalesce is not None:
            # the next redraw of this card waits: taps meanwhile fold into one update
            self.limiter.space_until(conversation_id, done + self._coalesced_spacing)
        await self._record_sent(entry, activity_id or ready.replace_id)

    async def _fold(self, entry_id: int, coalesce: str) -> None:
        # rows of taps that overlapped (each saw no waiting row) need no send of their own
        try:
            folded = await self._outbox.fold_coalesced(entry_id, coalesce, self.clock.now())
        except Exception as exc:  # they are then sent one by one: slower, still right
            log.warning("outbox: could not fold coalesced rows (%s)", type(exc).__name__)
            return
        self.stats.coalesced += folded

    async def _record_sent(self, entry: OutboxEntry, activity_id: str | None) -> None:
        sent_at = self.clock.now()
        self.stats.sent += 1
        log.debug("outbox: message %d sent", entry.id)
        for attempt in range(4):
            try:
                await self._outbox.mark_sent(entry.id, activity_id, sent_at)
                return
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                log.warning(
                    "outbox: message %d sent but not recorded yet (%s)",
                    entry.id,
                    type(exc).__name__,
                )
                await asyncio.sleep(0.25 * 2**attempt)
        # remembered here, so a claim of this row records it instead of sending it again
        self._unrecorded[entry.id] = _Unrecorded(activity_id, sent_at)

    async def _record_late(self, entry: OutboxEntry) -> None:
        late = self._unrecorded[entry.id]
        await self._outbox.mark_sent(entry.id, late.activity_id, late.sent_at)
        del self._unrecorded[entry.id]

    def verdict(
        self, failure: SendFailed, attempts: int, throttles: int, *, is_update: bool = False
    ) -> Verdict:
        """What to do after a failed send: the one retry policy for every send.

        attempts and throttles count the failures before this one. 403/404: the bot is gone
        from the conversation (a 404 on a card update only means the card is gone). 429: wait
        for Retry-After; it does not count toward the dead-letter limit (Teams asked us to wait,
        nothing failed), but a message throttled MAX_THROTTLES times is given up. Other
        retryable answers and no answer at all: backoff with jitter, dead after max_attempts.
        400, 413 and the like: the same request will never succeed.
        """
        status = failure.status
        if status in GONE and not (is_update and status == 404):
            return Verdict(Fate.GONE)
        if status == 429:
            if throttles + 1 >= MAX_THROTTLES:
                return Verdict(Fate.DEAD, throttled=True, gave_up=True)
            if failure.retry_after is not None:
                delay = min(max(failure.retry_after, 0.0), MAX_RETRY_AFTER)
            else:
                delay = self.backoff(throttles + 1)
            return Verdict(Fate.RETRY, delay, throttled=True)
        if status is None or status in RETRYABLE or (status >= 500 and status not in (501, 505)):
            if attempts + 1 >= self.max_attempts:
                return Verdict(Fate.DEAD, gave_up=True)
            if failure.retry_after is not None:
                delay = min(max(failure.retry_after, 0.0), MAX_RETRY_AFTER)
            else:
                delay = self.backoff(attempts + 1)
            return Verdict(Fate.RETRY, delay)
        return Verdict(Fate.DEAD)

    async def _gone(self, conversation_id: str, error: str) -> int:
        await self._conversations.set_active(conversation_id, False)
        killed = await self._outbox.kill_conversation(
            conversation_id, f"{error}: bot removed or blocked, or conversation gone"
        )
        self.stats.dead += killed
        self.stats.conversations_gone += 1
        log.info(
            "outbox: conversation %s unreachable (%s); marked inactive, %d messages dead",
            conversation_id,
            error,
            killed,
        )
        return killed

    async def _failed(
        self, entry: OutboxEntry, failure: SendFailed, *, is_update: bool = False
    ) -> None:
        conversation_id = entry.message.conversation_id
        error = failure.describe()
        if failure.status == 429:
            self.stats.throttled += 1
        verdict = self.verdict(failure, entry.attempts, entry.throttles, is_update=is_update)
        if verdict.fate is Fate.GONE:
            await self._gone(conversation_id, error)
            return
        if verdict.fate is Fate.DEAD:
            tried = entry.attempts + entry.throttles + 1
            reason = f"{error} (gave up after {tried})" if verdict.gave_up else error
            await self._outbox.mark_dead(entry.id, reason)
            self.stats.dead += 1
            log.info("outbox: message %d dead after %d tries (%s)", entry.id, tried, error)
            return
        if failure.retry_after is not None:
            self.limiter.block_until(conversation_id, self.clock.monotonic() + verdict.delay)
        await self._outbox.mark_retry(
            entry.id,
            self.clock.now() + timedelta(seconds=verdict.delay),
            error,
            throttled=verdict.throttled,
        )
        self.stats.retried += 1
        self._next_claim_at = min(self._next_claim_at, self.clock.monotonic() + verdict.delay)
        log.info(
            "outbox: message %d to retry in %.1f s (attempt %d, %s)",
            entry.id,
            verdict.delay,
            entry.attempts + 1,
            error,
        )

    # ------------------------------------------------------------------ answers in turns

    async def send_now(self, conversation: Conversation, messages: Sequence[OutboxMessage]) -> int:
        """Answers given during a turn: sent at once, in order, under the outbox's limits.

        The first one that cannot go now (the limits say wait, Teams said 429 or failed, no
        answer) and every one after it are stored in the outbox with what happened, and the
        worker retries them by the same policy; nothing is dropped. Returns how many were
        queued. A 400-like refusal dead-letters that one message (admins see it); the next
        ones still go.
        """
        key = conversation.conversation_id
        for index, message in enumerate(messages):
            mono = self.clock.monotonic()
            when = self.limiter.earliest(key, mono, spaced=False)
            if when > mono:
                delay = when - mono if when != float("inf") else self.backoff(1)
                await self._queue(messages[index:], delay, "waiting for Teams' limits")
                return len(messages) - index
            self.limiter.begin(key)
            try:
                await asyncio.wait_for(
                    self._sender.send(conversation, message, message.replace_id),
                    self._reply_timeout,
                )
            except Exception as exc:
                self.limiter.end(key, self.clock.monotonic())
                failure = _as_failure(exc)
                if failure.status == 429:
                    self.stats.throttled += 1
                verdict = self.verdict(failure, 0, 0, is_update=message.replace_id is not None)
                error = failure.describe()
                if verdict.fate is Fate.GONE:
                    await self._gone(key, error)
                    await self._queue(messages[index:], 0.0, error, dead=True)
                    return 0
                if verdict.fate is Fate.DEAD:
                    await self._queue([message], 0.0, error, dead=True)
                    continue
                if failure.retry_after is not None:
                    self.limiter.block_until(key, self.clock.monotonic() + verdict.delay)
                await self._queue(
                    messages[index:],
                    verdict.delay,
                    error,
                    attempts=0 if verdict.throttled else 1,
                    throttles=1 if verdict.throttled else 0,
                )
                return len(messages) - index
            self.limiter.end(key, self.clock.monotonic())
            self.stats.sent_now += 1
        return 0

    async def _queue(
        self,
        messages: Sequence[OutboxMessage],
        delay: float,
        error: str,
        *,
        attempts: int = 0,
        throttles: int = 0,
        dead: bool = False,
    ) -> None:
        """Store messages after a failed or postponed answer: the first carries the failure.

        The rest wait behind it (the worker takes the oldest row of a conversation first).
        """
        when = self.clock.now() + timedelta(seconds=delay)
        for i, message in enumerate(messages):
            first = i == 0
            added = await self._outbox.enqueue_failed(
                message,
                next_attempt_at=when,
                error=error if first else "queued behind an earlier answer",
                attempts=attempts if first else 0,
                throttles=throttles if first else 0,
                dead=dead,
            )
            if added and dead:
                self.stats.dead += 1
            elif added:
                self.stats.queued_answers += 1
        self.wake()

    def backoff(self, attempts: int) -> float:
        """Seconds to wait after the attempts-th failure: doubling, capped, ±20 % jitter."""
        delay = min(self._backoff_cap, self._backoff_base * 2 ** max(0, attempts - 1))
        return float(delay * self._rng.uniform(0.8, 1.2))


def _as_failure(exc: BaseException) -> SendFailed:
    if isinstance(exc, SendFailed):
        return exc
    if isinstance(exc, TimeoutError):
        return SendFailed(None, reason="timed out")
    log.warning("outbox: sender failed", exc_info=exc)
    return SendFailed(None, reason=type(exc).__name__)


class WakingOutbox:
    """An Outbox for domain services: enqueue, then wake the worker so the row goes out now."""

    def __init__(self, outbox: OutboxQueue, worker: OutboxWorker) -> None:
        self._outbox = outbox
        self._worker = worker

    async def enqueue(self, message: OutboxMessage) -> bool:
        """Store message unless its key was used before; True if it was new."""
        added = await self._outbox.enqueue(message)
        if added:
            self._worker.wake()
        return added
