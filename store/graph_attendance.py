"""Teams' attendance reports: each group day's meeting as Graph knows it, the state of reading
its report, and the copy of the report's records (Graph keeps them a year and lists only the 50
newest reports; the copy is kept as the attendance record is).

Implements domain.reconcile.GraphAttendanceStore.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Date,
    ForeignKey,
    Integer,
    String,
    UniqueConstraint,
    delete,
    select,
    update,
)
from sqlalchemy.orm import InstrumentedAttribute, Mapped, mapped_column

from domain.graph import AttendeeRecord, Interval, MeetingRef
from domain.reconcile import Copied, MeetingDay, Problem
from store.db import Database, insert_ignoring
from store.tables import Base, PersonRow, UtcDateTime

_CHUNK = 500


class GraphMeetingRow(Base):
    """A group day's meeting: its Graph id (organizer and meeting), its end, the polls."""

    __tablename__ = "graph_meetings"
    group_id: Mapped[int] = mapped_column(
        ForeignKey("groups.id", ondelete="CASCADE"), primary_key=True
    )
    day: Mapped[date] = mapped_column(Date, primary_key=True)
    # None: Teams said the meeting started, not yet that it ended
    ended_at: Mapped[datetime | None] = mapped_column(UtcDateTime(), nullable=True)
    organizer_id: Mapped[str | None] = mapped_column(String(64), nullable=True)
    graph_id: Mapped[str | None] = mapped_column(String(1000), nullable=True)
    next_poll_at: Mapped[datetime | None] = mapped_column(UtcDateTime(), nullable=True, index=True)
    polls_done: Mapped[int] = mapped_column(Integer, default=0)
    problem: Mapped[str | None] = mapped_column(String(20), nullable=True)
    status: Mapped[int | None] = mapped_column(Integer, nullable=True)
    fetched_at: Mapped[datetime | None] = mapped_column(UtcDateTime(), nullable=True)


class GraphAttendanceRow(Base):
    """One attendance record of a report, as Graph gave it (intervals as JSON)."""

    __tablename__ = "graph_attendance"
    __table_args__ = (UniqueConstraint("group_id", "day", "report_id", "person_key"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    group_id: Mapped[int] = mapped_column(ForeignKey("groups.id", ondelete="CASCADE"))
    day: Mapped[date] = mapped_column(Date)
    report_id: Mapped[str] = mapped_column(String(400))
    # the attendee's Entra object id, else "email:<address>", else "n:<position>"
    person_key: Mapped[str] = mapped_column(String(400))
    aad_object_id: Mapped[str | None] = mapped_column(String(64), nullable=True, index=True)
    email: Mapped[str | None] = mapped_column(String(320), nullable=True)
    display_name: Mapped[str | None] = mapped_column(String(400), nullable=True)
    role: Mapped[str | None] = mapped_column(String(20), nullable=True)
    total_seconds: Mapped[int] = mapped_column(Integer)
    intervals: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    fetched_at: Mapped[datetime] = mapped_column(UtcDateTime())


def _meeting(row: GraphMeetingRow) -> MeetingDay:
    problem = None
    if row.problem:
        try:
            problem = Problem(row.problem)
        except ValueError:
            problem = Problem.INVALID
    return MeetingDay(
        group_id=row.group_id,
        day=row.day,
        ended_at=row.ended_at,
        organizer_id=row.organizer_id,
        graph_id=row.graph_id,
        next_poll_at=row.next_poll_at,
        polls_done=row.polls_done,
        problem=problem,
        status=row.status,
        fetched_at=row.fetched_at,
    )


def _moment(value: Any) -> datetime | None:
    if not isinstance(value, str) or not value:
        return None
    try:
        return datetime.fromisoformat(value)
    except ValueError:
        return None


def _intervals(record: AttendeeRecord) -> list[dict[str, Any]]:
    return [
        {
            "joined": i.joined.isoformat() if i.joined else None,
            "left": i.left.isoformat() if i.left else None,
            "seconds": i.seconds,
        }
        for i in record.intervals
    ]


def _record(row: GraphAttendanceRow) -> AttendeeRecord:
    intervals = tuple(
        Interval(_moment(i.get("joined")), _moment(i.get("left")), int(i.get("seconds") or 0))
        for i in (row.intervals or [])
        if isinstance(i, dict)
    )
    return AttendeeRecord(
        aad_object_id=row.aad_object_id,
        email=row.email,
        display_name=row.display_name,
        role=row.role,
        total_seconds=row.total_seconds,
        intervals=intervals,
    )


def _key(record: AttendeeRecord, position: int) -> str:
    if record.aad_object_id:
        return record.aad_object_id.lower()[:400]
    if record.email:
        return f"email:{record.email.lower()}"[:400]
    return f"n:{position}"


class SqlGraphAttendance:
    """The meetings' Graph ids, the poll state and the copies, over SQL."""

    def __init__(self, db: Database) -> None:
        self._db = db

    async def meeting_day(self, group_id: int, day: date) -> MeetingDay | None:
        async with self._db.read() as s:
            row = (
                await s.execute(
                    select(GraphMeetingRow).where(
                        GraphMeetingRow.group_id == group_id, GraphMeetingRow.day == day
                    )
                )
            ).scalar_one_or_none()
            return _meeting(row) if row is not None else None

    async def ended(self, meeting: MeetingDay) -> MeetingDay:
        """A new day's meeting, or a later end of the same day: the polls start over from it
        (the copy and what is known of the meeting stay)."""
        async with self._db.write() as s:
            row = (
                await s.execute(
                    select(GraphMeetingRow)
                    .where(
                        GraphMeetingRow.group_id == meeting.group_id,
                        GraphMeetingRow.day == meeting.day,
                    )
                    .with_for_update()
                )
            ).scalar_one_or_none()
            if row is None:
                row = GraphMeetingRow(
                    group_id=meeting.group_id,
                    day=meeting.day,
                    ended_at=meeting.ended_at,
                    organizer_id=meeting.organizer_id,
                    graph_id=meeting.graph_id,
                    next_poll_at=meeting.next_poll_at,
                    polls_done=0,
                )
                s.add(row)
            else:
                ends = [t for t in (row.ended_at, meeting.ended_at) if t is not None]
                row.ended_at = max(ends) if ends else None
                row.next_poll_at = meeting.next_poll_at
                row.polls_done = 0
                row.problem = None
                row.status = None
            await s.flush()
            return _meeting(row)

    async def started(self, group_id: int, day: date, ref: MeetingRef) -> None:
        """A row for the day's meeting with its Graph id (kept as it is if there is one)."""
        async with self._db.write() as s:
            await s.execute(
                insert_ignoring(GraphMeetingRow, "group_id", "day").values(
                    group_id=group_id,
                    day=day,
                    organizer_id=ref.organizer_id,
                    graph_id=ref.graph_id,
                    polls_done=0,
                )
            )
            await s.execute(
                update(GraphMeetingRow)
                .where(
                    GraphMeetingRow.group_id == group_id,
                    GraphMeetingRow.day == day,
                    GraphMeetingRow.graph_id.is_(None),
                )
                .values(organizer_id=ref.organizer_id, graph_id=ref.graph_id)
            )

    async def due(self, now: datetime) -> list[MeetingDay]:
        async with self._db.read() as s:
            rows = await s.execute(
                select(GraphMeetingRow)
                .where(
                    GraphMeetingRow.next_poll_at.is_not(None), GraphMeetingRow.next_poll_at <= now
                )
                .order_by(GraphMeetingRow.next_poll_at)
                .limit(200)
            )
            return [_meeting(r) for r in rows.scalars()]

    async def claim(self, meeting: MeetingDay, next_poll_at: datetime | None) -> bool:
        async with self._db.write() as s:
            done = await s.execute(
                update(GraphMeetingRow)
                .where(
                    GraphMeetingRow.group_id == meeting.group_id,
                    GraphMeetingRow.day == meeting.day,
                    GraphMeetingRow.polls_done == meeting.polls_done,
                    GraphMeetingRow.next_poll_at.is_not(None),
                )
                .values(polls_done=meeting.polls_done + 1, next_poll_at=next_poll_at)
            )
            return bool(done.rowcount == 1)  # type: ignore[attr-defined]

    async def set_ref(self, group_id: int, day: date, ref: MeetingRef) -> None:
        async with self._db.write() as s:
            await s.execute(
                update(GraphMeetingRow)
                .where(GraphMeetingRow.group_id == group_id, GraphMeetingRow.day == day)
                .values(organizer_id=ref.organizer_id, graph_id=ref.graph_id)
            )

    async def failed(self, group_id: int, day: date, problem: Problem, status: int | None) -> None:
        async with self._db.write() as s:
            await s.execute(
                update(GraphMeetingRow)
                .where(GraphMeetingRow.group_id == group_id, GraphMeetingRow.day == day)
                .values(problem=problem.value, status=status)
            )

    async def replace_copy(
        self, group_id: int, day: date, copies: Sequence[Copied], now: datetime
    ) -> None:
        rows: dict[tuple[str, str], GraphAttendanceRow] = {}
        for position, copied in enumerate(copies):
            record = copied.record
            key = (copied.report_id[:400], _key(record, position))
            if key in rows:  # the same attendee twice in a report: one row, times added up
                known = rows[key]
                known.total_seconds += max(record.total_seconds, 0)
                known.intervals = [*known.intervals, *_intervals(record)]
                continue
            rows[key] = GraphAttendanceRow(
                group_id=group_id,
                day=day,
                report_id=key[0],
                person_key=key[1],
                aad_object_id=(record.aad_object_id or "")[:64] or None,
                email=(record.email or "")[:320] or None,
                display_name=(record.display_name or "")[:400] or None,
                role=(record.role or "")[:20] or None,
                total_seconds=max(record.total_seconds, 0),
                intervals=_intervals(record),
                fetched_at=now,
            )
        async with self._db.write() as s:
            await s.execute(
                delete(GraphAttendanceRow).where(
                    GraphAttendanceRow.group_id == group_id, GraphAttendanceRow.day == day
                )
            )
            s.add_all(rows.values())
            await s.execute(
                update(GraphMeetingRow)
                .where(GraphMeetingRow.group_id == group_id, GraphMeetingRow.day == day)
                .values(fetched_at=now, problem=None, status=None)
            )

    async def copy(self, group_id: int, day: date) -> list[Copied]:
        async with self._db.read() as s:
            rows = await s.execute(
                select(GraphAttendanceRow)
                .where(GraphAttendanceRow.group_id == group_id, GraphAttendanceRow.day == day)
                .order_by(GraphAttendanceRow.id)
            )
            return [Copied(r.report_id, _record(r)) for r in rows.scalars()]

    async def upns(self, person_ids: Sequence[int]) -> dict[int, str]:
        return await self._of_people(person_ids, PersonRow.upn)

    async def aad_ids(self, person_ids: Sequence[int]) -> dict[int, str]:
        return await self._of_people(person_ids, PersonRow.aad_object_id)

    async def _of_people(
        self, person_ids: Sequence[int], column: InstrumentedAttribute[str | None]
    ) -> dict[int, str]:
        """The column's value for each of these people who have one."""
        wanted = sorted(set(person_ids))
        found: dict[int, str] = {}
        async with self._db.read() as s:
            for start in range(0, len(wanted), _CHUNK):
                rows = await s.execute(
                    select(PersonRow.id, column).where(
                        PersonRow.id.in_(wanted[start : start + _CHUNK]), column.is_not(None)
                    )
                )
                found.update({pid: value for pid, value in rows.tuples() if value})
        return found
