"""The outbox table and its repository: proactive messages decided, then delivered by a worker.

Rows are claimed with a lease (owner, lease_until) so that two replicas never send the same row:
on PostgreSQL the claim locks its candidates with FOR UPDATE SKIP LOCKED; on SQLite the claim is
a single UPDATE statement, which SQLite runs under its one write lock.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Collection, Iterable
from datetime import datetime, timedelta
from typing import Any, cast
from weakref import WeakKeyDictionary

from sqlalchemy import (
    JSON,
    Index,
    Integer,
    String,
    and_,
    bindparam,
    delete,
    event,
    exists,
    func,
    or_,
    select,
    update,
)
from sqlalchemy.engine import Engine
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession
from sqlalchemy.orm import Mapped, Session, mapped_column
from sqlalchemy.sql.elements import ColumnElement

from domain.outbox import OutboxEntry, OutboxMessage, OutboxStatus
from store.db import Database, insert_ignoring
from store.tables import Base, UtcDateTime, utcnow

MAX_ERROR = 200
# last_error of a row settled without a send because another drawing of the same card showed it
COALESCED = "coalesced"
DEFAULT_LEASE = timedelta(minutes=2)


class OutboxRow(Base):
    __tablename__ = "outbox"
    __table_args__ = (
        # the claim looks for the oldest pending row of each conversation
        Index("ix_outbox_conversation_id_status", "conversation_id", "status", "id"),
        Index("ix_outbox_status_next_attempt_at", "status", "next_attempt_at"),
    )
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    key: Mapped[str] = mapped_column(String(255), unique=True)
    conversation_id: Mapped[str] = mapped_column(String(400))
    # text / card / speak / update_of
    payload: Mapped[dict[str, Any]] = mapped_column(JSON)
    status: Mapped[str] = mapped_column(String(8), default=OutboxStatus.PENDING.value)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    # 429 answers: retried after Retry-After, not counted in attempts (the dead-letter limit)
    throttles: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    next_attempt_at: Mapped[datetime] = mapped_column(UtcDateTime())
    created_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    activity_id: Mapped[str | None] = mapped_column(String(200))
    # a status code or exception name, never message text
    last_error: Mapped[str | None] = mapped_column(String(MAX_ERROR))
    lease_owner: Mapped[str | None] = mapped_column(String(100))
    lease_until: Mapped[datetime | None] = mapped_column(UtcDateTime())
    coalesce_key: Mapped[str | None] = mapped_column(String(255), index=True)


def _payload(message: OutboxMessage) -> dict[str, Any]:
    return {
        "text": message.text,
        "card": message.card,
        "speak": message.speak,
        "update_of": message.update_of,
        "render": message.render,
        "notification": message.notification,
        "reply_to": message.reply_to,
        "thread": message.thread,
        "replace_id": message.replace_id,
    }


def _entry(row: OutboxRow) -> OutboxEntry:
    payload = row.payload or {}
    return OutboxEntry(
        id=row.id,
        message=OutboxMessage(
            key=row.key,
            conversation_id=row.conversation_id,
            text=payload.get("text"),
            card=payload.get("card"),
            speak=payload.get("speak"),
            update_of=payload.get("update_of"),
            render=payload.get("render"),
            coalesce=row.coalesce_key,
            notification=payload.get("notification"),
            reply_to=payload.get("reply_to"),
            thread=payload.get("thread"),
            replace_id=payload.get("replace_id"),
        ),
        status=OutboxStatus(row.status),
        attempts=row.attempts,
        created_at=row.created_at,
        next_attempt_at=row.next_attempt_at,
        sent_at=row.sent_at,
        activity_id=row.activity_id,
        last_error=row.last_error,
        throttles=row.throttles or 0,
    )


def _short(error: str) -> str:
    return error[:MAX_ERROR]


def _values(message: OutboxMessage, now: datetime) -> dict[str, Any]:
    return {
        "key": message.key,
        "conversation_id": message.conversation_id,
        "payload": _payload(message),
        "coalesce_key": message.coalesce,
        "status": OutboxStatus.PENDING.value,
        "attempts": 0,
        "throttles": 0,
        "next_attempt_at": now,
        "created_at": now,
    }


# per engine: who wants to hear that a commit added outbox rows (the worker's wake)
_subscribers: WeakKeyDictionary[Engine, list[Callable[[], None]]] = WeakKeyDictionary()


def outbox_values(message: OutboxMessage, now: datetime) -> dict[str, Any]:
    """The outbox row for message, for a store that writes it in a statement of its own."""
    return _values(message, now)


def notify_added(engine: AsyncEngine) -> None:
    """Wake this process's workers: a statement that committed by itself added outbox rows."""
    for callback in list(_subscribers.get(engine.sync_engine, ())):
        callback()


def _notify_after_commit(session: AsyncSession) -> None:
    sync = session.sync_session
    sync.info["outbox_added"] = True
    if sync.info.get("outbox_listening"):
        return
    sync.info["outbox_listening"] = True
    engine = session.get_bind().engine

    def committed(committed_session: Session) -> None:
        if committed_session.info.pop("outbox_added", False):
            for callback in list(_subscribers.get(engine, ())):
                callback()

    def rolled_back(rolled_back_session: Session) -> None:
        rolled_back_session.info.pop("outbox_added", None)

    event.listen(sync, "after_commit", committed)
    event.listen(sync, "after_rollback", rolled_back)


# built once (their cache keys too): every check-in tap runs both
_OUTBOX = Base.metadata.tables[OutboxRow.__tablename__]
_INSERT = insert_ignoring(_OUTBOX, "key").returning(_OUTBOX.c.id)


def _waiting(coalesce: Any, now: Any) -> ColumnElement[bool]:
    """Unsent rows with this coalesce value that no worker holds (one of them will be drawn)."""
    return and_(
        _OUTBOX.c.coalesce_key == coalesce,
        _OUTBOX.c.status == OutboxStatus.PENDING.value,
        or_(_OUTBOX.c.lease_until.is_(None), _OUTBOX.c.lease_until < now),
    )


_ANY_DUE = (
    select(_OUTBOX.c.id)
    .where(
        _OUTBOX.c.status == OutboxStatus.PENDING.value,
        or_(
            and_(_OUTBOX.c.attempts == 0, _OUTBOX.c.throttles == 0),
            _OUTBOX.c.next_attempt_at <= bindparam("now"),
        ),
        or_(_OUTBOX.c.lease_until.is_(None), _OUTBOX.c.lease_until < bindparam("now")),
    )
    .limit(1)
)


def _claim(postgres: bool) -> Any:
    """Lease the oldest due row of each conversation (see SqlOutbox.claim_due), built once."""
    # aliases keep the subquery from correlating with the UPDATE's own table
    row = _OUTBOX.alias("candidate")
    earlier = _OUTBOX.alias("earlier")
    pending = OutboxStatus.PENDING.value
    now = bindparam("now", type_=UtcDateTime())
    candidates = (
        select(row.c.id)
        .where(
            row.c.status == pending,
            # a row never tried is due at once, whatever clock its producer used
            or_(and_(row.c.attempts == 0, row.c.throttles == 0), row.c.next_attempt_at <= now),
            or_(row.c.lease_until.is_(None), row.c.lease_until < now),
            ~exists().where(
                earlier.c.conversation_id == row.c.conversation_id,
                earlier.c.status == pending,
                earlier.c.id < row.c.id,
            ),
            row.c.conversation_id.not_in(bindparam("exclude", expanding=True)),
        )
        .order_by(row.c.id)
        .limit(bindparam("limit"))
    )
    if postgres:
        candidates = candidates.with_for_update(skip_locked=True, of=row)
    return (
        update(_OUTBOX)
        .where(_OUTBOX.c.id.in_(candidates.scalar_subquery()))
        .values(lease_owner=bindparam("owner"), lease_until=bindparam("lease_until"))
        .returning(*_OUTBOX.c)
    )


_CLAIM = _claim(postgres=False)
_CLAIM_PG = _claim(postgres=True)
_WAITING = select(_OUTBOX.c.id).where(_waiting(bindparam("coalesce"), bindparam("now"))).limit(1)
# on PostgreSQL the waiting row is held until this transaction commits: the worker's claim
# skips it meanwhile, so it cannot be drawn before the change that relies on it
_WAITING_HELD = _WAITING.with_for_update(read=True)


async def _insert_ignoring_duplicates(session: AsyncSession, rows: list[dict[str, Any]]) -> int:
    if not rows:
        return 0
    added = len((await session.execute(_INSERT, rows)).all())
    if added:
        _notify_after_commit(session)
    return added


async def add_to_outbox(session: AsyncSession, message: OutboxMessage, now: datetime) -> bool:
    """Insert message within the caller's transaction; False if its key was used before.

    A duplicate key is skipped with INSERT … ON CONFLICT DO NOTHING, so the caller's transaction
    stays usable and its state change commits together with the message. Once it commits, the
    worker in this process is woken (see SqlOutbox.subscribe). A message with `coalesce` is
    skipped (False) while an unsent one with the same value waits and the worker has not taken
    it yet; one it has taken may already be drawn, so then the new one is added.
    """
    if message.coalesce is not None:
        postgres = session.get_bind().dialect.name == "postgresql"
        waiting = _WAITING_HELD if postgres else _WAITING
        found = await session.execute(waiting, {"coalesce": message.coalesce, "now": now})
        if found.first() is not None:
            return False
    return await _insert_ignoring_duplicates(session, [_values(message, now)]) == 1


class SqlOutbox:
    """Outbox rows: enqueue, claim with a lease, record the outcome, admin views."""

    def __init__(self, db: Database, *, clock: Callable[[], datetime] = utcnow) -> None:
        self._db = db
        self._clock = clock

    def subscribe(self, callback: Callable[[], None]) -> Callable[[], None]:
        """Call callback after every commit that added rows here; returns an unsubscribe."""
        callbacks = _subscribers.setdefault(self._db.engine.sync_engine, [])
        callbacks.append(callback)

        def unsubscribe() -> None:
            if callback in callbacks:
                callbacks.remove(callback)

        return unsubscribe

    # ------------------------------------------------------------------ producers

    async def enqueue(self, message: OutboxMessage) -> bool:
        """Store message unless its key was used before; True if it was new."""
        async with self._db.write() as s:
            return await add_to_outbox(s, message, self._clock())

    async def enqueue_many(self, messages: Iterable[OutboxMessage]) -> int:
        """Store several messages in one transaction; return how many were new."""
        now = self._clock()
        rows = [_values(m, now) for m in messages]
        added = 0
        async with self._db.write() as s:
            for start in range(0, len(rows), 500):
                added += await _insert_ignoring_duplicates(s, rows[start : start + 500])
        return added

    # ------------------------------------------------------------------ the worker

    async def claim_due(
        self,
        now: datetime,
        limit: int,
        exclude_conversations: Collection[str] = (),
        *,
        owner: str = "worker",
        lease: timedelta = DEFAULT_LEASE,
    ) -> list[OutboxEntry]:
        """Lease the oldest pending row of each conversation, if it is due and not leased.

        At most one row per conversation, so a conversation's messages go out one by one in
        order; conversations in exclude_conversations are skipped. Oldest rows first. A row is
        due when it was never tried or its next attempt time has come (on the worker's clock).
        """
        if limit <= 0:
            return []
        # most polls find nothing: say so with one indexed read, without taking the write lock
        # (on SQLite the one writer would hold up every turn meanwhile)
        async with self._db.read() as s:
            if (await s.execute(_ANY_DUE, {"now": now})).first() is None:
                return []
        async with self._db.write() as s:
            postgres = s.get_bind().dialect.name == "postgresql"
            result = await s.execute(
                _CLAIM_PG if postgres else _CLAIM,
                {
                    "now": now,
                    "limit": limit,
                    "exclude": sorted(exclude_conversations),
                    "owner": owner,
                    "lease_until": now + lease,
                },
            )
            rows = sorted(result.all(), key=lambda r: r.id)
            return [_entry(cast(OutboxRow, r)) for r in rows]

    async def mark_sent(self, entry_id: int, activity_id: str | None, now: datetime) -> None:
        """Record a delivered message (also over a concurrent dead-lettering: it did go out)."""
        async with self._db.write() as s:
            await s.execute(
                update(OutboxRow)
                .where(OutboxRow.id == entry_id)
                .values(
                    status=OutboxStatus.SENT.value,
                    activity_id=activity_id,
                    sent_at=now,
                    attempts=OutboxRow.attempts + 1,
                    lease_owner=None,
                    lease_until=None,
                )
            )

    async def fold_coalesced(self, entry_id: int, coalesce: str, now: datetime) -> int:
        """Settle the other waiting rows with this coalesce value: entry_id's drawing shows them.

        Concurrent producers each add a row when none of theirs is visible yet (their
        transactions overlap). Called before entry_id is drawn: a row visible here was committed
        with its change, which the drawing that follows then shows (on PostgreSQL the UPDATE
        waits for a producer still holding its waiting row). Rows settled here are counted as
        sent without a send (no sent_at, so no rate-limit memory). Returns how many.
        """
        async with self._db.write() as s:
            result = await s.execute(
                update(_OUTBOX)
                .where(_waiting(coalesce, now), _OUTBOX.c.id != entry_id)
                .values(
                    status=OutboxStatus.SENT.value,
                    last_error=COALESCED,
                    lease_owner=None,
                    lease_until=None,
                )
            )
            return int(getattr(result, "rowcount", 0) or 0)

    async def mark_retry(
        self, entry_id: int, next_attempt_at: datetime, error: str, *, throttled: bool = False
    ) -> None:
        """Count a failed attempt (or a 429: throttled) and try again at next_attempt_at."""
        counted = (
            {"throttles": OutboxRow.throttles + 1}
            if throttled
            else {"attempts": OutboxRow.attempts + 1}
        )
        async with self._db.write() as s:
            await s.execute(
                update(OutboxRow)
                .where(OutboxRow.id == entry_id, OutboxRow.status == OutboxStatus.PENDING.value)
                .values(
                    **counted,
                    next_attempt_at=next_attempt_at,
                    last_error=_short(error),
                    lease_owner=None,
                    lease_until=None,
                )
            )

    async def mark_dead(self, entry_id: int, error: str, *, attempted: bool = True) -> None:
        """Give up on a message (kept as a dead letter for admins)."""
        async with self._db.write() as s:
            await s.execute(
                update(OutboxRow)
                .where(OutboxRow.id == entry_id, OutboxRow.status == OutboxStatus.PENDING.value)
                .values(
                    status=OutboxStatus.DEAD.value,
                    attempts=OutboxRow.attempts + (1 if attempted else 0),
                    last_error=_short(error),
                    lease_owner=None,
                    lease_until=None,
                )
            )

    async def kill_conversation(self, conversation_id: str, error: str) -> int:
        """Dead-letter everything pending for a conversation the bot can no longer reach."""
        async with self._db.write() as s:
            result = await s.execute(
                update(OutboxRow)
                .where(
                    OutboxRow.conversation_id == conversation_id,
                    OutboxRow.status == OutboxStatus.PENDING.value,
                )
                .values(
                    status=OutboxStatus.DEAD.value,
                    last_error=_short(error),
                    lease_owner=None,
                    lease_until=None,
                )
            )
            return int(getattr(result, "rowcount", 0) or 0)

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
        """Store a message that was tried once already (an answer given during a turn).

        It is then retried (or kept as a dead letter) like any outbox row. False if its key
        was used before.
        """
        values = _values(message, self._clock())
        values.update(
            attempts=attempts,
            throttles=throttles,
            next_attempt_at=next_attempt_at,
            last_error=_short(error),
            status=(OutboxStatus.DEAD if dead else OutboxStatus.PENDING).value,
        )
        async with self._db.write() as s:
            return await _insert_ignoring_duplicates(s, [values]) == 1

    async def release_dead_leases(
        self, alive: Callable[[str], Awaitable[bool]], keep: str | None = None
    ) -> int:
        """Free the leases of owners that no longer live (a killed leader's claimed rows).

        keep: an owner known to be alive (this worker). Returns how many rows were freed.
        """
        async with self._db.read() as s:
            owners = (
                await s.execute(
                    select(OutboxRow.lease_owner)
                    .where(OutboxRow.lease_owner.is_not(None))
                    .distinct()
                )
            ).scalars()
            candidates = [o for o in owners if o is not None and o != keep]
        dead = [o for o in candidates if not await alive(o)]
        if not dead:
            return 0
        async with self._db.write() as s:
            result = await s.execute(
                update(OutboxRow)
                .where(OutboxRow.lease_owner.in_(dead))
                .values(lease_owner=None, lease_until=None)
            )
            return int(getattr(result, "rowcount", 0) or 0)

    async def release_all_leases(self) -> int:
        """Free every lease (embedded SQLite at start-up: no other process can hold one)."""
        async with self._db.write() as s:
            result = await s.execute(
                update(OutboxRow)
                .where(OutboxRow.lease_owner.is_not(None))
                .values(lease_owner=None, lease_until=None)
            )
            return int(getattr(result, "rowcount", 0) or 0)

    async def release(self, entry_ids: Collection[int]) -> None:
        """Give up leases on rows claimed but not sent (a stopping worker)."""
        if not entry_ids:
            return
        async with self._db.write() as s:
            await s.execute(
                update(OutboxRow)
                .where(
                    OutboxRow.id.in_(list(entry_ids)),
                    OutboxRow.status == OutboxStatus.PENDING.value,
                )
                .values(lease_owner=None, lease_until=None)
            )

    async def entry_for_key(self, key: str) -> OutboxEntry | None:
        """The row stored under an idempotency key."""
        async with self._db.read() as s:
            row = (await s.execute(select(OutboxRow).filter_by(key=key))).scalar_one_or_none()
            return _entry(row) if row else None

    async def activity_id_for_key(self, key: str) -> str | None:
        """The Teams activity id a sent message got (None if not sent yet)."""
        async with self._db.read() as s:
            return (
                await s.execute(select(OutboxRow.activity_id).filter_by(key=key))
            ).scalar_one_or_none()

    async def recent_sends(self, since: datetime) -> list[tuple[str, datetime]]:
        """(conversation id, sent at) of messages sent since, oldest first (rate-limit memory)."""
        async with self._db.read() as s:
            rows = await s.execute(
                select(OutboxRow.conversation_id, OutboxRow.sent_at)
                .where(OutboxRow.status == OutboxStatus.SENT.value, OutboxRow.sent_at >= since)
                .order_by(OutboxRow.sent_at)
            )
            return [(c, t) for c, t in rows.all() if t is not None]

    # ------------------------------------------------------------------ admins

    async def dead_letters(self, limit: int = 1000) -> list[OutboxEntry]:
        """Messages given up on, oldest first."""
        async with self._db.read() as s:
            rows = await s.execute(
                select(OutboxRow)
                .where(OutboxRow.status == OutboxStatus.DEAD.value)
                .order_by(OutboxRow.id)
                .limit(limit)
            )
            return [_entry(r) for r in rows.scalars()]

    async def requeue(self, entry_id: int) -> bool:
        """Try a dead letter again from scratch; False if there is no such dead letter."""
        async with self._db.write() as s:
            result = await s.execute(
                update(OutboxRow)
                .where(OutboxRow.id == entry_id, OutboxRow.status == OutboxStatus.DEAD.value)
                .values(
                    status=OutboxStatus.PENDING.value,
                    attempts=0,
                    throttles=0,
                    next_attempt_at=self._clock(),
                    lease_owner=None,
                    lease_until=None,
                )
            )
            return int(getattr(result, "rowcount", 0) or 0) == 1

    async def counts(self) -> dict[OutboxStatus, int]:
        """How many rows are in each status."""
        async with self._db.read() as s:
            rows = await s.execute(
                select(OutboxRow.status, func.count()).group_by(OutboxRow.status)
            )
            found = {OutboxStatus(status): int(n) for status, n in rows.all()}
        return {status: found.get(status, 0) for status in OutboxStatus}

    async def purge_sent_before(self, when: datetime) -> int:
        """Forget messages delivered before when (keys referenced by update_of go too)."""
        async with self._db.write() as s:
            result = await s.execute(
                delete(OutboxRow).where(
                    and_(OutboxRow.status == OutboxStatus.SENT.value, OutboxRow.sent_at < when)
                )
            )
            return int(getattr(result, "rowcount", 0) or 0)
