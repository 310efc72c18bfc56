"""Roll calls, attendance marks, check-outs and the audit trail of every change."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import replace
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    Date,
    ForeignKey,
    Index,
    Integer,
    String,
    UniqueConstraint,
    bindparam,
    column,
    delete,
    func,
    insert,
    select,
    text,
    update,
)
from sqlalchemy.engine import Row
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, mapped_column

from domain.errors import ConcurrentUpdate
from domain.org import Role
from domain.outbox import OutboxMessage
from domain.rollcall.model import Change, Checkout, Mark, Reason, RollCall, Status
from domain.rollcall.ports import Attendee, StoredAttendance, Tapped
from store.db import Database, insert_ignoring
from store.outbox import add_to_outbox, notify_added, outbox_values
from store.sqlite_lane import Writer
from store.tables import Base, GroupRow, MembershipRow, PersonRow, UtcDateTime, utcnow


class RollCallRow(Base):
    __tablename__ = "roll_calls"
    __table_args__ = (
        UniqueConstraint("group_id", "day", "number", name="uq_roll_calls_group_day_number"),
    )
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    group_id: Mapped[int] = mapped_column(ForeignKey("groups.id", ondelete="CASCADE"), index=True)
    day: Mapped[date] = mapped_column(Date, index=True)
    number: Mapped[int] = mapped_column(Integer)
    conversation_id: Mapped[str] = mapped_column(String(400))
    opened_at: Mapped[datetime] = mapped_column(UtcDateTime())
    opened_by: Mapped[int | None] = mapped_column(ForeignKey("people.id", ondelete="SET NULL"))
    grace_seconds: Mapped[int] = mapped_column(Integer)
    closes_at: Mapped[datetime | None] = mapped_column(UtcDateTime(), index=True)
    closed_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    cancelled_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    cancelled_by: Mapped[int | None] = mapped_column(ForeignKey("people.id", ondelete="SET NULL"))


class MarkRow(Base):
    __tablename__ = "attendance_marks"
    __table_args__ = (
        UniqueConstraint("roll_call_id", "person_id", name="uq_attendance_marks_roll_call_person"),
    )
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    roll_call_id: Mapped[int] = mapped_column(
        ForeignKey("roll_calls.id", ondelete="CASCADE"), index=True
    )
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id", ondelete="CASCADE"), index=True)
    status: Mapped[str] = mapped_column(String(16))
    at: Mapped[datetime] = mapped_column(UtcDateTime())
    reason: Mapped[str | None] = mapped_column(String(16))
    guest: Mapped[bool] = mapped_column(Boolean, default=False)
    version: Mapped[int] = mapped_column(Integer)


class CheckoutRow(Base):
    __tablename__ = "attendance_checkouts"
    __table_args__ = (
        UniqueConstraint("group_id", "day", "person_id", name="uq_attendance_checkouts_person"),
    )
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    group_id: Mapped[int] = mapped_column(ForeignKey("groups.id", ondelete="CASCADE"), index=True)
    day: Mapped[date] = mapped_column(Date)
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id", ondelete="CASCADE"), index=True)
    at: Mapped[datetime] = mapped_column(UtcDateTime())


class ChangeRow(Base):
    __tablename__ = "attendance_changes"
    # reports read a group's changes over a date range
    __table_args__ = (Index("ix_attendance_changes_group_id_day", "group_id", "day"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    group_id: Mapped[int] = mapped_column(ForeignKey("groups.id", ondelete="CASCADE"), index=True)
    day: Mapped[date] = mapped_column(Date, index=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id", ondelete="CASCADE"), index=True)
    roll_call_id: Mapped[int | None] = mapped_column(
        ForeignKey("roll_calls.id", ondelete="CASCADE")
    )
    at: Mapped[datetime] = mapped_column(UtcDateTime())
    before: Mapped[str | None] = mapped_column(String(16))
    after: Mapped[str] = mapped_column(String(16))
    by: Mapped[int | None] = mapped_column(ForeignKey("people.id", ondelete="SET NULL"))
    reason: Mapped[str | None] = mapped_column(String(16))
    note: Mapped[str | None] = mapped_column(String(300))


def _roll_call(row: RollCallRow) -> RollCall:
    return RollCall(
        id=row.id,
        group_id=row.group_id,
        day=row.day,
        number=row.number,
        conversation_id=row.conversation_id,
        opened_at=row.opened_at,
        opened_by=row.opened_by,
        grace=timedelta(seconds=row.grace_seconds),
        closes_at=row.closes_at,
        closed_at=row.closed_at,
        cancelled_at=row.cancelled_at,
        cancelled_by=row.cancelled_by,
    )


def _mark(row: MarkRow | Row[Any]) -> Mark:
    return Mark(
        roll_call_id=row.roll_call_id,
        person_id=row.person_id,
        status=Status(row.status),
        at=row.at,
        reason=Reason(row.reason) if row.reason else None,
        guest=row.guest,
        version=row.version,
    )


def _change(row: ChangeRow | Row[Any]) -> Change:
    return Change(
        id=row.id,
        group_id=row.group_id,
        day=row.day,
        person_id=row.person_id,
        roll_call_id=row.roll_call_id,
        at=row.at,
        before=Status(row.before) if row.before else None,
        after=Status(row.after),
        by=row.by,
        reason=Reason(row.reason) if row.reason else None,
        note=row.note,
    )


def _change_values(c: Change) -> dict[str, Any]:
    return {
        "group_id": c.group_id,
        "day": c.day,
        "person_id": c.person_id,
        "roll_call_id": c.roll_call_id,
        "at": c.at,
        "before": c.before.value if c.before else None,
        "after": c.after.value,
        "by": c.by,
        "reason": c.reason.value if c.reason else None,
        "note": c.note,
    }


def _mark_values(mark: Mark) -> dict[str, Any]:
    return {
        "status": mark.status.value,
        "at": mark.at,
        "reason": mark.reason.value if mark.reason else None,
        "guest": mark.guest,
        "version": mark.version + 1,
    }


# The check-in path's statements, built once: SQLAlchemy then computes each one's cache key
# once (not per tap), and Core statements on tables skip the ORM's per-execution work.
_MARKS = Base.metadata.tables[MarkRow.__tablename__]
_CALLS = Base.metadata.tables[RollCallRow.__tablename__]
_INSERT_MARK = insert_ignoring(_MARKS, "roll_call_id", "person_id").returning(_MARKS.c.id)
_UPDATE_MARK = (
    update(_MARKS)
    .where(
        _MARKS.c.roll_call_id == bindparam("m_roll_call_id"),
        _MARKS.c.person_id == bindparam("m_person_id"),
        _MARKS.c.version == bindparam("m_version"),
    )
    .values(
        status=bindparam("status"),
        at=bindparam("at"),
        reason=bindparam("reason"),
        guest=bindparam("guest"),
        version=bindparam("new_version"),
    )
)
_INSERT_CHANGE = insert(Base.metadata.tables[ChangeRow.__tablename__])
_SELECT_MARK = select(_MARKS).where(
    _MARKS.c.roll_call_id == bindparam("roll_call_id"),
    _MARKS.c.person_id == bindparam("person_id"),
)
_SELECT_CLOSED = select(_CALLS.c.closed_at, _CALLS.c.cancelled_at).where(
    _CALLS.c.id == bindparam("roll_call_id")
)
# the roll call's closing (and cancelling) time and its counts by status and guest, at once
_COUNTS_AND_CLOSING = (
    select(
        _CALLS.c.closed_at,
        _CALLS.c.cancelled_at,
        _MARKS.c.status,
        _MARKS.c.guest,
        func.count(_MARKS.c.id),
    )
    .select_from(_CALLS.outerjoin(_MARKS, _MARKS.c.roll_call_id == _CALLS.c.id))
    .where(_CALLS.c.id == bindparam("roll_call_id"))
    .group_by(_CALLS.c.closed_at, _CALLS.c.cancelled_at, _MARKS.c.status, _MARKS.c.guest)
)

_CHECKOUTS = Base.metadata.tables[CheckoutRow.__tablename__]
# a person's check-out of a roll call's day (a tap that brings them back takes it away)
_LEFT = (
    select(_CHECKOUTS.c.group_id, _CHECKOUTS.c.day, _CHECKOUTS.c.at)
    .select_from(
        _CALLS.join(
            _CHECKOUTS,
            (_CHECKOUTS.c.group_id == _CALLS.c.group_id) & (_CHECKOUTS.c.day == _CALLS.c.day),
        )
    )
    .where(_CALLS.c.id == bindparam("roll_call_id"), _CHECKOUTS.c.person_id == bindparam("pid"))
)


async def _left(s: AsyncSession, roll_call_id: int, person_id: int) -> Checkout | None:
    row = (await s.execute(_LEFT, {"roll_call_id": roll_call_id, "pid": person_id})).first()
    return Checkout(row[0], row[1], person_id, row[2]) if row else None


# the first mark's and the redraw's parameters, in the statements below
_MARK_BINDS = (
    bindparam("roll_call_id", type_=Integer),
    bindparam("person_id", type_=Integer),
    bindparam("status", type_=String),
    bindparam("at", type_=UtcDateTime()),
    bindparam("reason", type_=String),
    bindparam("guest", type_=Boolean),
)
_REDRAW_BINDS = (
    bindparam("key", type_=String),
    bindparam("conversation_id", type_=String),
    bindparam("payload", type_=JSON),
    bindparam("coalesce_key", type_=String),
    bindparam("now", type_=UtcDateTime()),
)


# PostgreSQL: a person's first tap in an open roll call as one statement, which is its own
# transaction (no BEGIN and COMMIT round trips). The mark goes in only while the roll call is
# open; its audit row and the card's redraw go with it (the redraw is skipped while one with the
# same coalesce value waits and no worker holds it, and that waiting row is held until the
# statement commits, as add_to_outbox does); the counts and the person's check-out of the day
# come back. The counts are read in the statement's snapshot, which does not hold its own mark.
_FIRST_TAP_PG = (
    text(
        """
WITH rc AS (
    SELECT id, group_id, day, closed_at, cancelled_at FROM roll_calls WHERE id = :roll_call_id
), m AS (
    INSERT INTO attendance_marks (roll_call_id, person_id, status, at, reason, guest, version)
    SELECT rc.id, :person_id, :status, :at, :reason, :guest, 1 FROM rc
    WHERE rc.closed_at IS NULL AND rc.cancelled_at IS NULL
    ON CONFLICT (roll_call_id, person_id) DO NOTHING
    RETURNING id
), c AS (
    INSERT INTO attendance_changes
        (group_id, day, person_id, roll_call_id, at, before, after, by, reason, note)
    SELECT :group_id, :day, :person_id, :roll_call_id, :c_at, NULL, :after, :by, :c_reason,
        :note
    FROM m
), w AS (
    SELECT o.id FROM outbox o
    WHERE o.coalesce_key = :coalesce_key AND o.status = 'pending'
        AND (o.lease_until IS NULL OR o.lease_until < :now)
    LIMIT 1 FOR SHARE
), o AS (
    INSERT INTO outbox (key, conversation_id, payload, coalesce_key, status, attempts, throttles,
        next_attempt_at, created_at)
    SELECT :key, :conversation_id, :payload, :coalesce_key, 'pending', 0, 0, :now, :now FROM m
    WHERE :key IS NOT NULL AND NOT EXISTS (SELECT 1 FROM w)
    ON CONFLICT (key) DO NOTHING
    RETURNING id
)
SELECT (SELECT count(*) FROM m) AS inserted, (SELECT count(*) FROM o) AS queued,
    rc.closed_at, rc.cancelled_at,
    (SELECT k.at FROM attendance_checkouts k
        WHERE k.group_id = rc.group_id AND k.day = rc.day AND k.person_id = :person_id) AS left_at,
    mk.status, mk.guest, count(mk.id) AS n
FROM rc LEFT JOIN attendance_marks mk ON mk.roll_call_id = rc.id
GROUP BY rc.id, rc.group_id, rc.day, rc.closed_at, rc.cancelled_at, mk.status, mk.guest
"""
    )
    .bindparams(
        *_MARK_BINDS,
        bindparam("group_id", type_=Integer),
        bindparam("day", type_=Date),
        bindparam("c_at", type_=UtcDateTime()),
        bindparam("after", type_=String),
        bindparam("by", type_=Integer),
        bindparam("c_reason", type_=String),
        bindparam("note", type_=String),
        *_REDRAW_BINDS,
    )
    .columns(
        column("inserted", Integer),
        column("queued", Integer),
        column("closed_at", UtcDateTime()),
        column("cancelled_at", UtcDateTime()),
        column("left_at", UtcDateTime()),
        column("status", String),
        column("guest", Boolean),
        column("n", Integer),
    )
)


# SQLite: a person's first tap in an open roll call in four statements of one transaction
# (SQLite has no data-modifying CTEs), on the lane (store/sqlite_lane.py). The mark goes in
# only while the roll call is open (the transaction holds the write lock, so that cannot change
# before it commits); its audit row goes with it; the card's redraw is skipped while one with
# the same coalesce value waits and no worker holds it. Then the counts (with this mark) and
# the person's check-out of the day come back in one read.
_FIRST_MARK_SQLITE = text(
    """
INSERT INTO attendance_marks (roll_call_id, person_id, status, at, reason, guest, version)
SELECT rc.id, :person_id, :status, :at, :reason, :guest, 1 FROM roll_calls rc
WHERE rc.id = :roll_call_id AND rc.closed_at IS NULL AND rc.cancelled_at IS NULL
ON CONFLICT (roll_call_id, person_id) DO NOTHING
RETURNING id
"""
).bindparams(*_MARK_BINDS)
_REDRAW_SQLITE = text(
    """
INSERT INTO outbox (key, conversation_id, payload, coalesce_key, status, attempts, throttles,
    next_attempt_at, created_at)
SELECT :key, :conversation_id, :payload, :coalesce_key, 'pending', 0, 0, :now, :now
WHERE NOT EXISTS (
    SELECT 1 FROM outbox o WHERE o.coalesce_key = :coalesce_key AND o.status = 'pending'
        AND (o.lease_until IS NULL OR o.lease_until < :now)
)
ON CONFLICT (key) DO NOTHING
RETURNING id
"""
).bindparams(*_REDRAW_BINDS)
_REDRAW_KEYS = ("key", "conversation_id", "payload", "coalesce_key")
_COUNTS_AND_LEFT_SQLITE = (
    text(
        """
SELECT (SELECT k.at FROM attendance_checkouts k
        WHERE k.group_id = rc.group_id AND k.day = rc.day AND k.person_id = :person_id)
        AS left_at,
    mk.status, mk.guest, count(mk.id) AS n
FROM roll_calls rc LEFT JOIN attendance_marks mk ON mk.roll_call_id = rc.id
WHERE rc.id = :roll_call_id
GROUP BY rc.id, rc.group_id, rc.day, mk.status, mk.guest
"""
    )
    .bindparams(bindparam("roll_call_id", type_=Integer), bindparam("person_id", type_=Integer))
    .columns(
        column("left_at", UtcDateTime()),
        column("status", String),
        column("guest", Boolean),
        column("n", Integer),
    )
)


def _first_tap_on_lane(
    w: Writer, roll_call_id: int, mark: Mark, change: Change, redraw: dict[str, Any]
) -> tuple[Tapped, bool] | None:
    """A first tap in an open roll call (SQLite's lane, in the caller's transaction), and
    whether the redraw was queued; None (nothing written) when the person has a mark or the
    roll call is closed or cancelled."""
    inserted = w.execute(
        _FIRST_MARK_SQLITE,
        {
            "roll_call_id": roll_call_id,
            "person_id": mark.person_id,
            "status": mark.status.value,
            "at": mark.at,
            "reason": mark.reason.value if mark.reason else None,
            "guest": mark.guest,
        },
    )
    if not inserted:
        return None
    values = _change_values(change)
    w.execute(_INSERT_CHANGE, values)
    queued = bool(redraw) and bool(w.execute(_REDRAW_SQLITE, redraw))
    counts: dict[tuple[Status, bool], int] = {}
    left: datetime | None = None
    for row in w.execute(
        _COUNTS_AND_LEFT_SQLITE, {"roll_call_id": roll_call_id, "person_id": mark.person_id}
    ):
        left = row.left_at
        if row.status is not None:
            counts[(Status(row.status), bool(row.guest))] = int(row.n)
    checkout = Checkout(change.group_id, change.day, mark.person_id, left) if left else None
    return Tapped(replace(mark, version=1), counts, checkout), queued


class _DecidedOnStaleState(Exception):
    """A first tap was written as if the roll call were open, and it had closed (or been
    cancelled) meanwhile."""


async def _write_mark(s: AsyncSession, mark: Mark, change: Change) -> bool:
    """Insert (version 0) or update (same version) the mark and audit it; False if not done."""
    values = _mark_values(mark)
    if mark.version == 0:
        inserted = await s.execute(
            _INSERT_MARK, {"roll_call_id": mark.roll_call_id, "person_id": mark.person_id, **values}
        )
        if not inserted.all():
            return False
    else:
        result = await s.execute(
            _UPDATE_MARK,
            {
                "m_roll_call_id": mark.roll_call_id,
                "m_person_id": mark.person_id,
                "m_version": mark.version,
                "new_version": values.pop("version"),
                **values,
            },
        )
        if getattr(result, "rowcount", 0) != 1:
            return False
    await s.execute(_INSERT_CHANGE, _change_values(change))
    return True


async def _counts_and_closing(
    s: AsyncSession, roll_call_id: int
) -> tuple[dict[tuple[Status, bool], int], datetime | None, bool]:
    """The counts, the closing time, and whether the roll call was cancelled."""
    rows = (await s.execute(_COUNTS_AND_CLOSING, {"roll_call_id": roll_call_id})).all()
    counts = {(Status(st), bool(g)): int(n) for _, _, st, g, n in rows if st is not None}
    if not rows:
        return counts, None, False
    return counts, rows[0][0], rows[0][1] is not None


async def _messages(s: AsyncSession, messages: Sequence[OutboxMessage]) -> None:
    now = utcnow()
    for message in messages:
        await add_to_outbox(s, message, now)


async def _counts(s: AsyncSession, roll_call_id: int) -> dict[tuple[Status, bool], int]:
    return (await _counts_and_closing(s, roll_call_id))[0]


class SqlRollCallStore:
    """RollCallStore on SQLAlchemy; every method is one transaction."""

    def __init__(self, db: Database) -> None:
        self._db = db
        self._one_statement = db.engine.dialect.name == "postgresql"

    # --- roll calls ----------------------------------------------------------------------

    async def open(
        self,
        roll_call: RollCall,
        messages: Callable[[RollCall], Sequence[OutboxMessage]] | None = None,
    ) -> tuple[RollCall, bool]:
        """Open the group's next roll call of the day, unless one is open: (it, opened now).

        messages are made for the opened roll call (its id is known only then) and stored in
        the same transaction.
        """
        for _ in range(3):
            try:
                async with self._db.write() as s:
                    if s.get_bind().dialect.name == "postgresql":
                        # one opening at a time per group (SQLite's writers queue anyway)
                        await s.execute(
                            select(GroupRow.id)
                            .where(GroupRow.id == roll_call.group_id)
                            .with_for_update()
                        )
                    current = (
                        await s.execute(
                            select(RollCallRow).where(
                                RollCallRow.group_id == roll_call.group_id,
                                RollCallRow.day == roll_call.day,
                                RollCallRow.closed_at.is_(None),
                            )
                        )
                    ).scalar_one_or_none()
                    if current is not None:
                        return _roll_call(current), False
                    highest = (
                        await s.execute(
                            select(func.max(RollCallRow.number)).where(
                                RollCallRow.group_id == roll_call.group_id,
                                RollCallRow.day == roll_call.day,
                            )
                        )
                    ).scalar_one()
                    number = (highest or 0) + 1
                    new_id = (
                        await s.execute(
                            insert(RollCallRow)
                            .values(
                                group_id=roll_call.group_id,
                                day=roll_call.day,
                                number=number,
                                conversation_id=roll_call.conversation_id,
                                opened_at=roll_call.opened_at,
                                opened_by=roll_call.opened_by,
                                grace_seconds=int(roll_call.grace.total_seconds()),
                                closes_at=roll_call.closes_at,
                            )
                            .returning(RollCallRow.id)
                        )
                    ).scalar_one()
                    opened = replace(roll_call, id=new_id, number=number)
                    if messages is not None:
                        await _messages(s, messages(opened))
                    return opened, True
            except IntegrityError:
                continue  # another replica opened one at the same instant: look again
        raise ConcurrentUpdate(f"roll call of group {roll_call.group_id}")

    async def get(self, roll_call_id: int) -> RollCall | None:
        """One roll call."""
        async with self._db.read() as s:
            row = await s.get(RollCallRow, roll_call_id)
            return _roll_call(row) if row else None

    async def of_day(self, group_id: int, day: date) -> list[RollCall]:
        """The group's roll calls of the day, in order."""
        async with self._db.read() as s:
            rows = await s.execute(
                select(RollCallRow)
                .where(RollCallRow.group_id == group_id, RollCallRow.day == day)
                .order_by(RollCallRow.number)
            )
            return [_roll_call(r) for r in rows.scalars()]

    async def due_to_close(self, now: datetime) -> list[RollCall]:
        """Open roll calls whose closing time has come."""
        async with self._db.read() as s:
            rows = await s.execute(
                select(RollCallRow).where(
                    RollCallRow.closed_at.is_(None),
                    RollCallRow.closes_at.is_not(None),
                    RollCallRow.closes_at <= now,
                )
            )
            return [_roll_call(r) for r in rows.scalars()]

    async def close(
        self,
        roll_call: RollCall,
        absent: Sequence[int],
        at: datetime,
        by: int | None,
        messages: Sequence[OutboxMessage] = (),
    ) -> list[int] | None:
        """Close it; those in absent without a mark become absent. None if it was closed."""
        assert roll_call.id is not None
        async with self._db.write() as s:
            result = await s.execute(
                update(RollCallRow)
                .where(RollCallRow.id == roll_call.id, RollCallRow.closed_at.is_(None))
                .values(closed_at=at)
            )
            if getattr(result, "rowcount", 0) != 1:
                return None
            marked: list[int] = []
            if absent:
                inserted = await s.execute(
                    insert_ignoring(MarkRow, "roll_call_id", "person_id")
                    .values(
                        [
                            {
                                "roll_call_id": roll_call.id,
                                "person_id": pid,
                                "status": Status.ABSENT.value,
                                "at": at,
                                "guest": False,
                                "version": 1,
                            }
                            for pid in absent
                        ]
                    )
                    .returning(MarkRow.person_id)
                )
                marked = sorted(inserted.scalars().all())
            if marked:
                await s.execute(
                    insert(ChangeRow),
                    [
                        _change_values(
                            Change(
                                group_id=roll_call.group_id,
                                day=roll_call.day,
                                person_id=pid,
                                roll_call_id=roll_call.id,
                                at=at,
                                after=Status.ABSENT,
                                by=by,
                            )
                        )
                        for pid in marked
                    ],
                )
            await _messages(s, messages)
            return marked

    async def cancel(
        self,
        roll_call_id: int,
        at: datetime,
        by: int | None,
        messages: Sequence[OutboxMessage] = (),
    ) -> bool:
        """Cancel it (closing it if open); its marks and changes stay. False if cancelled."""
        async with self._db.write() as s:
            result = await s.execute(
                update(RollCallRow)
                .where(RollCallRow.id == roll_call_id, RollCallRow.cancelled_at.is_(None))
                .values(
                    cancelled_at=at,
                    cancelled_by=by,
                    closed_at=func.coalesce(RollCallRow.closed_at, at),
                )
            )
            if getattr(result, "rowcount", 0) != 1:
                return False
            await _messages(s, messages)
        return True

    # --- marks ---------------------------------------------------------------------------

    async def marks(self, roll_call_id: int) -> dict[int, Mark]:
        """Everyone's mark in a roll call, by person id."""
        async with self._db.read() as s:
            rows = await s.execute(select(MarkRow).where(MarkRow.roll_call_id == roll_call_id))
            return {r.person_id: _mark(r) for r in rows.scalars()}

    async def marks_of_day(self, group_id: int, day: date) -> dict[int, dict[int, Mark]]:
        """Marks of every roll call of the day: roll call id → person id → mark."""
        async with self._db.read() as s:
            rows = await s.execute(
                select(MarkRow)
                .join(RollCallRow, RollCallRow.id == MarkRow.roll_call_id)
                .where(RollCallRow.group_id == group_id, RollCallRow.day == day)
            )
            found: dict[int, dict[int, Mark]] = {}
            for r in rows.scalars():
                found.setdefault(r.roll_call_id, {})[r.person_id] = _mark(r)
            return found

    async def mark_of(self, roll_call_id: int, person_id: int) -> Mark | None:
        """One person's mark in a roll call."""
        async with self._db.read() as s:
            return await self._mark_in(s, roll_call_id, person_id)

    async def record(
        self,
        mark: Mark,
        change: Change,
        messages: Sequence[OutboxMessage] = (),
    ) -> bool:
        """See record_and_count (without the count)."""
        return await self.record_and_count(mark, change, messages, count=False) is not None

    async def record_and_count(
        self,
        mark: Mark,
        change: Change,
        messages: Sequence[OutboxMessage] = (),
        *,
        count: bool = True,
    ) -> dict[tuple[Status, bool], int] | None:
        """Store a mark if nobody changed it since it was read (version 0: new); audit it.

        None when someone was first (a second tap racing the first, two instructors): the
        caller reads again and decides anew. The change and the messages go with the mark;
        the roll call's counts after it come back from the same transaction.
        """
        async with self._db.write() as s:
            if not await _write_mark(s, mark, change):
                return None
            await _messages(s, messages)
            return await _counts(s, mark.roll_call_id) if count else {}

    async def tap(
        self,
        roll_call_id: int,
        person_id: int,
        decide: Callable[[datetime | None, Mark | None], tuple[Mark, Change] | None],
        messages: Sequence[OutboxMessage] = (),
    ) -> Tapped:
        """A check-in in one transaction: read, let decide() choose, write, count.

        decide gets the roll call's closing time and the person's current mark (both read in
        this transaction) and returns the new mark and its change, or None for no change. A
        racing first insert by someone else is read back and decided again. Returns the mark
        the person has now, the roll call's counts and, when a mark was written, the person's
        check-out of the day.
        """
        if self._one_statement:
            tapped = await self._first_tap_in_one_statement(
                roll_call_id, person_id, decide, messages
            )
            if tapped is not None:
                return tapped
            async with self._db.write() as s:  # not a first tap in an open roll call
                return await self._tap(s, roll_call_id, person_id, decide, messages)
        lane = self._db.lane
        if lane is not None:
            decided = decide(None, None)
            if decided is not None and decided[0].version == 0 and len(messages) <= 1:
                now = utcnow()
                values = outbox_values(messages[0], now) if messages else {}
                redraw = {k: values[k] for k in _REDRAW_KEYS} | {"now": now} if values else {}
                async with lane.write() as w:
                    written = _first_tap_on_lane(w, roll_call_id, decided[0], decided[1], redraw)
                if written is not None:
                    tapped, queued = written
                    if queued:
                        notify_added(self._db.engine)
                    return tapped
                # nothing written: the general case below decides
        try:
            async with self._db.write() as s:
                first = await self._first_tap(s, roll_call_id, person_id, decide, messages)
                if first is not None:
                    return first
                return await self._tap(s, roll_call_id, person_id, decide, messages)
        except _DecidedOnStaleState:
            pass  # rolled back: decide again knowing the closing time
        async with self._db.write() as s:
            return await self._tap(s, roll_call_id, person_id, decide, messages)

    async def _first_tap_in_one_statement(
        self,
        roll_call_id: int,
        person_id: int,
        decide: Callable[[datetime | None, Mark | None], tuple[Mark, Change] | None],
        messages: Sequence[OutboxMessage],
    ) -> Tapped | None:
        """A first tap in an open roll call, on PostgreSQL in one round trip; else None.

        None means nothing was written: the person had a mark, the roll call was closed or
        cancelled, or the tap is not a plain first mark; the general path then decides.
        """
        decided = decide(None, None)
        if decided is None or decided[0].version != 0 or len(messages) > 1:
            return None
        mark, change = decided
        now = utcnow()
        message = outbox_values(messages[0], now) if messages else {}
        async with self._db.read() as s:  # AUTOCOMMIT: the statement is its own transaction
            rows = (
                await s.execute(
                    _FIRST_TAP_PG,
                    {
                        "roll_call_id": roll_call_id,
                        "person_id": person_id,
                        "status": mark.status.value,
                        "at": mark.at,
                        "reason": mark.reason.value if mark.reason else None,
                        "guest": mark.guest,
                        "group_id": change.group_id,
                        "day": change.day,
                        "c_at": change.at,
                        "after": change.after.value,
                        "by": change.by,
                        "c_reason": change.reason.value if change.reason else None,
                        "note": change.note,
                        "coalesce_key": message.get("coalesce_key"),
                        "now": now,
                        "key": message.get("key"),
                        "conversation_id": message.get("conversation_id"),
                        "payload": message.get("payload"),
                    },
                )
            ).all()
        if not rows or not rows[0].inserted:
            return None
        if rows[0].queued:
            notify_added(self._db.engine)
        counts: dict[tuple[Status, bool], int] = {}
        for row in rows:
            if row.status is not None:
                counts[(Status(row.status), bool(row.guest))] = int(row.n)
        own = (mark.status, mark.guest)
        counts[own] = counts.get(own, 0) + 1  # the snapshot's counts, and this tap's mark
        left = rows[0].left_at
        return Tapped(
            replace(mark, version=1),
            counts,
            Checkout(change.group_id, change.day, person_id, left) if left is not None else None,
        )

    @staticmethod
    async def _first_tap(
        s: AsyncSession,
        roll_call_id: int,
        person_id: int,
        decide: Callable[[datetime | None, Mark | None], tuple[Mark, Change] | None],
        messages: Sequence[OutboxMessage],
    ) -> Tapped | None:
        """Most taps are a person's first in an open roll call: write at once, check after.

        None when the person had a mark already (nothing written). The closing time is read
        with the counts, after the write; had the roll call closed and that changes the
        decision, _DecidedOnStaleState rolls everything back.
        """
        decided = decide(None, None)
        if decided is None or decided[0].version != 0:
            return None
        mark, change = decided
        if not await _write_mark(s, mark, change):
            return None
        await _messages(s, messages)
        counts, closed_at, cancelled = await _counts_and_closing(s, roll_call_id)
        if cancelled:
            raise _DecidedOnStaleState  # nothing is marked in a cancelled roll call
        if closed_at is not None:
            again = decide(closed_at, None)
            if again is None or again[0].status != mark.status:
                raise _DecidedOnStaleState
        return Tapped(replace(mark, version=1), counts, await _left(s, roll_call_id, person_id))

    async def _tap(
        self,
        s: AsyncSession,
        roll_call_id: int,
        person_id: int,
        decide: Callable[[datetime | None, Mark | None], tuple[Mark, Change] | None],
        messages: Sequence[OutboxMessage],
    ) -> Tapped:
        """The general case: read the closing time and the person's mark, decide, write.

        A cancelled roll call takes no mark: the person's mark (if any) comes back unchanged.
        """
        closed_at, cancelled_at = (
            await s.execute(_SELECT_CLOSED, {"roll_call_id": roll_call_id})
        ).one()
        current = await self._mark_in(s, roll_call_id, person_id)
        left: Checkout | None = None
        for _ in range(3 if cancelled_at is None else 0):
            decided = decide(closed_at, current)
            if decided is None:
                break
            mark, change = decided
            if await _write_mark(s, mark, change):
                await _messages(s, messages)
                current = replace(mark, version=mark.version + 1)
                left = await _left(s, roll_call_id, person_id)
                break
            current = await self._mark_in(s, roll_call_id, person_id)  # someone was first
        return Tapped(current, await _counts(s, roll_call_id), left)

    @staticmethod
    async def _mark_in(s: AsyncSession, roll_call_id: int, person_id: int) -> Mark | None:
        row = (
            await s.execute(_SELECT_MARK, {"roll_call_id": roll_call_id, "person_id": person_id})
        ).first()
        return _mark(row) if row else None

    async def counts(self, roll_call_id: int) -> dict[tuple[Status, bool], int]:
        """How many marks of each status (and guest or not) a roll call has."""
        async with self._db.read() as s:
            return await _counts(s, roll_call_id)

    # --- the attendance record -----------------------------------------------------------

    async def attendance(self, group_id: int, first: date, last: date) -> StoredAttendance:
        """Everything stored for the group's days first..last: four queries, however many days."""
        async with self._db.read() as s:
            clients = await s.execute(
                select(PersonRow.id, PersonRow.name)
                .join(MembershipRow, MembershipRow.person_id == PersonRow.id)
                .where(MembershipRow.group_id == group_id, MembershipRow.role == Role.CLIENT.value)
                .order_by(PersonRow.name, PersonRow.id)
            )
            client_rows = tuple(Attendee(pid, name) for pid, name in clients.all())
            calls = await s.execute(
                select(RollCallRow)
                .where(
                    RollCallRow.group_id == group_id,
                    RollCallRow.day >= first,
                    RollCallRow.day <= last,
                )
                .order_by(RollCallRow.day, RollCallRow.number)
            )
            roll_calls = tuple(_roll_call(r) for r in calls.scalars())
            marks: list[Mark] = []
            marked: dict[int, Attendee] = {}
            if roll_calls:
                # plain rows, not ORM objects: a range can hold thousands of marks
                rows = await s.execute(
                    select(*_MARKS.c, PersonRow.name.label("person_name"))
                    .join(RollCallRow, RollCallRow.id == MarkRow.roll_call_id)
                    .join(PersonRow, PersonRow.id == MarkRow.person_id)
                    .where(
                        RollCallRow.group_id == group_id,
                        RollCallRow.day >= first,
                        RollCallRow.day <= last,
                    )
                    .order_by(MarkRow.roll_call_id, MarkRow.person_id)
                )
                for row in rows.all():
                    marks.append(_mark(row))
                    marked[row.person_id] = Attendee(row.person_id, row.person_name)
            checkouts = await s.execute(
                select(CheckoutRow)
                .where(
                    CheckoutRow.group_id == group_id,
                    CheckoutRow.day >= first,
                    CheckoutRow.day <= last,
                )
                .order_by(CheckoutRow.day, CheckoutRow.person_id)
            )
            return StoredAttendance(
                clients=client_rows,
                roll_calls=roll_calls,
                marks=tuple(marks),
                checkouts=tuple(
                    Checkout(r.group_id, r.day, r.person_id, r.at) for r in checkouts.scalars()
                ),
                marked=tuple(sorted(marked.values(), key=lambda a: a.person_id)),
            )

    # --- check-outs and the audit trail --------------------------------------------------

    async def checkout(
        self, checkout: Checkout, change: Change, messages: Sequence[OutboxMessage] = ()
    ) -> bool:
        """Record a check-out (the first one of the day counts); False if there was one."""
        async with self._db.write() as s:
            inserted = await s.execute(
                insert_ignoring(CheckoutRow, "group_id", "day", "person_id")
                .values(
                    group_id=checkout.group_id,
                    day=checkout.day,
                    person_id=checkout.person_id,
                    at=checkout.at,
                )
                .returning(CheckoutRow.id)
            )
            if not inserted.all():
                return False
            await s.execute(insert(ChangeRow).values(**_change_values(change)))
            await _messages(s, messages)
        return True

    async def undo_checkout(
        self,
        group_id: int,
        day: date,
        person_id: int,
        change: Change,
        messages: Sequence[OutboxMessage] = (),
    ) -> bool:
        """Remove a check-out (with its audited change); False if there was none."""
        async with self._db.write() as s:
            result = await s.execute(
                delete(CheckoutRow).where(
                    CheckoutRow.group_id == group_id,
                    CheckoutRow.day == day,
                    CheckoutRow.person_id == person_id,
                )
            )
            if getattr(result, "rowcount", 0) != 1:
                return False
            await s.execute(insert(ChangeRow).values(**_change_values(change)))
            await _messages(s, messages)
        return True

    async def checkouts(self, group_id: int, day: date) -> dict[int, Checkout]:
        """The day's check-outs by person id."""
        async with self._db.read() as s:
            rows = await s.execute(
                select(CheckoutRow).where(CheckoutRow.group_id == group_id, CheckoutRow.day == day)
            )
            return {
                r.person_id: Checkout(r.group_id, r.day, r.person_id, r.at) for r in rows.scalars()
            }

    async def changes(self, group_id: int, day: date) -> list[Change]:
        """Every audited change of the group's day, oldest first."""
        async with self._db.read() as s:
            rows = await s.execute(
                select(ChangeRow)
                .where(ChangeRow.group_id == group_id, ChangeRow.day == day)
                .order_by(ChangeRow.at, ChangeRow.id)
            )
            return [_change(r) for r in rows.scalars()]
