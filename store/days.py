"""Group days, imported plans and weekly schedules."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime, time, timedelta
from typing import Any

from sqlalchemy import (
    JSON,
    Date,
    ForeignKey,
    Integer,
    String,
    UniqueConstraint,
    select,
    update,
)
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Mapped, mapped_column

from domain.agenda import DayExists
from domain.days import DayItem, DayStatus, GroupDay
from domain.errors import ConcurrentUpdate
from domain.org import Language
from domain.outbox import OutboxMessage
from domain.plans import (
    ItemKind,
    Plan,
    PlanFile,
    PlanFileError,
    PlanFileInvalid,
    PlanItem,
    WeeklySchedule,
)
from domain.rollcall.ports import DaySpan
from store.db import Database
from store.outbox import add_to_outbox
from store.tables import Base, GroupRow, UtcDateTime, utcnow


class GroupDayRow(Base):
    __tablename__ = "group_days"
    __table_args__ = (UniqueConstraint("group_id", "date", name="uq_group_days_group_date"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    group_id: Mapped[int] = mapped_column(ForeignKey("groups.id", ondelete="CASCADE"), index=True)
    date: Mapped[date] = mapped_column(Date, index=True)
    status: Mapped[str] = mapped_column(String(16), index=True)
    timezone: Mapped[str] = mapped_column(String(64))
    language: Mapped[str] = mapped_column(String(2))
    plan_key: Mapped[str] = mapped_column(String(63))
    plan_name: Mapped[str] = mapped_column(String(200))
    items: Mapped[list[dict[str, Any]]] = mapped_column(JSON)
    fired: Mapped[dict[str, str]] = mapped_column(JSON)
    backs: Mapped[dict[str, list[int]]] = mapped_column(JSON)
    paused_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    version: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow, onupdate=utcnow)


class PlanRow(Base):
    __tablename__ = "plans"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    key: Mapped[str] = mapped_column(String(63), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    items: Mapped[list[dict[str, Any]]] = mapped_column(JSON)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow, onupdate=utcnow)


class WeeklyScheduleRow(Base):
    __tablename__ = "weekly_schedules"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    group_id: Mapped[int] = mapped_column(ForeignKey("groups.id", ondelete="CASCADE"), index=True)
    weekday: Mapped[int] = mapped_column(Integer)
    plan_key: Mapped[str] = mapped_column(String(63))
    language: Mapped[str | None] = mapped_column(String(2))
    starts: Mapped[date | None] = mapped_column(Date)
    ends: Mapped[date | None] = mapped_column(Date)


def _items_to_json(items: tuple[DayItem, ...]) -> list[dict[str, Any]]:
    return [
        {
            "kind": i.kind.value,
            "title": i.title,
            "start": i.start.isoformat(),
            "seconds": int(i.duration.total_seconds()),
        }
        for i in items
    ]


def _items_from_json(raw: list[dict[str, Any]]) -> tuple[DayItem, ...]:
    return tuple(
        DayItem(
            kind=ItemKind(i["kind"]),
            title=str(i["title"]),
            start=datetime.fromisoformat(i["start"]),
            duration=timedelta(seconds=int(i["seconds"])),
        )
        for i in raw
    )


def _day(row: GroupDayRow) -> GroupDay:
    return GroupDay(
        group_id=row.group_id,
        date=row.date,
        timezone=row.timezone,
        language=Language(row.language),
        plan_key=row.plan_key,
        plan_name=row.plan_name,
        items=_items_from_json(row.items),
        status=DayStatus(row.status),
        fired=dict(row.fired),
        paused_at=row.paused_at,
        backs={k: list(v) for k, v in row.backs.items()},
        id=row.id,
        version=row.version,
    )


def plan_items_to_json(plan: Plan) -> list[dict[str, Any]]:
    """A plan's items as stored (local times)."""
    return [
        {
            "kind": i.kind.value,
            "title": i.title,
            "start": i.start.strftime("%H:%M"),
            "seconds": int(i.duration.total_seconds()),
        }
        for i in plan.items
    ]


def plan_from_row(row: PlanRow) -> Plan:
    """A stored plan as a domain Plan."""
    return Plan(
        key=row.key,
        name=row.name,
        items=tuple(
            PlanItem(
                kind=ItemKind(i["kind"]),
                title=str(i["title"]),
                start=time.fromisoformat(i["start"]),
                duration=timedelta(seconds=int(i["seconds"])),
            )
            for i in row.items
        ),
    )


class SqlDayRepository:
    """Group days; every save is a compare-and-set on the version, with its outbox messages."""

    def __init__(self, db: Database) -> None:
        self._db = db

    async def get(self, day_id: int) -> GroupDay | None:
        """One day by id."""
        async with self._db.read() as s:
            row = await s.get(GroupDayRow, day_id)
            return _day(row) if row else None

    async def get_many(self, day_ids: Sequence[int]) -> list[GroupDay]:
        """The days with these ids that exist, in one query (the timer's simultaneous events)."""
        if not day_ids:
            return []
        async with self._db.read() as s:
            rows = await s.execute(select(GroupDayRow).where(GroupDayRow.id.in_(list(day_ids))))
            return [_day(row) for row in rows.scalars()]

    async def for_group_on(self, group_id: int, on: date) -> GroupDay | None:
        """The group's day on a date."""
        async with self._db.read() as s:
            row = (
                await s.execute(select(GroupDayRow).filter_by(group_id=group_id, date=on))
            ).scalar_one_or_none()
            return _day(row) if row else None

    async def open_days(self, first: date, last: date) -> list[GroupDay]:
        """Planned, running or paused days with dates from first to last."""
        open_states = [s.value for s in DayStatus if s.is_open]
        async with self._db.read() as s:
            rows = await s.execute(
                select(GroupDayRow)
                .where(
                    GroupDayRow.date >= first,
                    GroupDayRow.date <= last,
                    GroupDayRow.status.in_(open_states),
                )
                .order_by(GroupDayRow.id)
            )
            return [_day(r) for r in rows.scalars()]

    async def spans(self, group_id: int, first: date, last: date) -> dict[date, DaySpan]:
        """The group's planned days first..last by date: start, end, cancelled (one query)."""
        async with self._db.read() as s:
            rows = await s.execute(
                select(GroupDayRow.date, GroupDayRow.status, GroupDayRow.items).where(
                    GroupDayRow.group_id == group_id,
                    GroupDayRow.date >= first,
                    GroupDayRow.date <= last,
                )
            )
            found: dict[date, DaySpan] = {}
            for on, status, raw in rows.all():
                items = _items_from_json(raw)
                if items:
                    found[on] = DaySpan(
                        items[0].start, items[-1].end, status == DayStatus.CANCELLED.value
                    )
            return found

    async def open_day_versions(self, first: date, last: date) -> dict[int, int]:
        """Ids and versions of open days (cheap; the timer polls it to see other replicas' work)."""
        open_states = [s.value for s in DayStatus if s.is_open]
        async with self._db.read() as s:
            rows = await s.execute(
                select(GroupDayRow.id, GroupDayRow.version).where(
                    GroupDayRow.date >= first,
                    GroupDayRow.date <= last,
                    GroupDayRow.status.in_(open_states),
                )
            )
            return {int(i): int(v) for i, v in rows.all()}

    async def add(self, day: GroupDay, messages: list[OutboxMessage]) -> GroupDay:
        """Store a new day (a cancelled day on the same date is replaced)."""
        try:
            async with self._db.write() as s:
                old = (
                    await s.execute(
                        select(GroupDayRow).filter_by(group_id=day.group_id, date=day.date)
                    )
                ).scalar_one_or_none()
                if old is not None:
                    if old.status != DayStatus.CANCELLED.value:
                        raise DayExists(f"{day.group_id}:{day.date}")
                    await s.delete(old)
                    await s.flush()
                row = GroupDayRow(
                    group_id=day.group_id,
                    date=day.date,
                    status=day.status.value,
                    timezone=day.timezone,
                    language=day.language.value,
                    plan_key=day.plan_key,
                    plan_name=day.plan_name,
                    items=_items_to_json(day.items),
                    fired=dict(day.fired),
                    backs=dict(day.backs),
                    paused_at=day.paused_at,
                    version=1,
                )
                s.add(row)
                await s.flush()
                now = utcnow()
                for message in messages:
                    await add_to_outbox(s, message, now)
                return _day(row)
        except IntegrityError as exc:
            raise DayExists(f"{day.group_id}:{day.date}") from exc

    async def save(self, day: GroupDay, messages: list[OutboxMessage]) -> GroupDay:
        """Compare-and-set: store day if nobody saved it since it was read; messages with it."""
        assert day.id is not None
        async with self._db.write() as s:
            [saved] = await _save_many_in(s, [(day, messages)])
        if not saved:
            raise ConcurrentUpdate(f"day:{day.id}")
        from dataclasses import replace

        return replace(day, version=day.version + 1)

    async def save_many(self, batch: list[tuple[GroupDay, list[OutboxMessage]]]) -> list[bool]:
        """Several compare-and-set saves in one transaction (the timer's simultaneous events).

        Returns, per day, whether it was saved; a day changed by someone else meanwhile is left
        as it is (with none of its messages) for the caller to retry alone.
        """
        async with self._db.write() as s:
            return await _save_many_in(s, batch)


async def _save_many_in(s: Any, batch: list[tuple[GroupDay, list[OutboxMessage]]]) -> list[bool]:
    saved: list[bool] = []
    now = utcnow()
    for day, messages in batch:
        result = await s.execute(
            update(GroupDayRow)
            .where(GroupDayRow.id == day.id, GroupDayRow.version == day.version)
            .values(
                status=day.status.value,
                date=day.date,
                items=_items_to_json(day.items),
                fired=dict(day.fired),
                backs=dict(day.backs),
                paused_at=day.paused_at,
                version=day.version + 1,
                updated_at=now,
            )
        )
        ok = getattr(result, "rowcount", 0) == 1
        saved.append(ok)
        if ok:
            for message in messages:
                await add_to_outbox(s, message, now)
    return saved


class SqlPlanRepository:
    """Imported plans and weekly schedules."""

    def __init__(self, db: Database) -> None:
        self._db = db

    async def plans(self) -> list[Plan]:
        """Every imported plan."""
        async with self._db.read() as s:
            rows = await s.execute(select(PlanRow).order_by(PlanRow.name))
            return [plan_from_row(r) for r in rows.scalars()]

    async def plan(self, key: str) -> Plan | None:
        """One imported plan."""
        async with self._db.read() as s:
            row = (await s.execute(select(PlanRow).filter_by(key=key))).scalar_one_or_none()
            return plan_from_row(row) if row else None

    async def schedules(self) -> list[tuple[int, WeeklySchedule]]:
        """Every weekly schedule with its group's id."""
        async with self._db.read() as s:
            rows = await s.execute(
                select(WeeklyScheduleRow, GroupRow.key)
                .join(GroupRow, GroupRow.id == WeeklyScheduleRow.group_id)
                .order_by(WeeklyScheduleRow.id)
            )
            return [
                (
                    row.group_id,
                    WeeklySchedule(
                        group_key=key,
                        weekday=row.weekday,
                        plan_key=row.plan_key,
                        language=Language(row.language) if row.language else None,
                        starts=row.starts,
                        ends=row.ends,
                    ),
                )
                for row, key in rows.all()
            ]

    async def apply(self, plan_file: PlanFile) -> dict[str, int]:
        """Store the file's plans (by key) and replace the schedules of the groups it names.

        Unknown group keys are reported with their lines and nothing is changed.
        """
        async with self._db.write() as s:
            groups = {k: i for k, i in (await s.execute(select(GroupRow.key, GroupRow.id))).all()}
            errors = [
                PlanFileError(sch.line, f"group {sch.group_key!r} is not in the organisation")
                for sch in plan_file.schedules
                if sch.group_key not in groups
            ]
            if errors:
                raise PlanFileInvalid(errors)
            existing = {r.key: r for r in (await s.execute(select(PlanRow))).scalars()}
            counts = {"plans": 0, "schedules": 0}
            for plan in plan_file.plans:
                row = existing.get(plan.key)
                if row is None:
                    s.add(PlanRow(key=plan.key, name=plan.name, items=plan_items_to_json(plan)))
                else:
                    row.name = plan.name
                    row.items = plan_items_to_json(plan)
                counts["plans"] += 1
            named = {groups[sch.group_key] for sch in plan_file.schedules}
            for old in (await s.execute(select(WeeklyScheduleRow))).scalars():
                if old.group_id in named:
                    await s.delete(old)
            for sch in plan_file.schedules:
                s.add(
                    WeeklyScheduleRow(
                        group_id=groups[sch.group_key],
                        weekday=sch.weekday,
                        plan_key=sch.plan_key,
                        language=sch.language.value if sch.language else None,
                        starts=sch.starts,
                        ends=sch.ends,
                    )
                )
                counts["schedules"] += 1
            return counts
