"""Reports of attendance: each person's group days, a client's month, the TT3 absence list.

Everything is derived from the attendance read model (`AttendanceRecords`, the same one the
attendance list and the digest use) and the audit trail of changes. Who may ask: the command
line (no actor), an administrator (every unit), a coordinator (their own units); a person's own
month is open to anyone, and shows them nothing but their own days.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from domain.errors import NotAllowed
from domain.model import Actor
from domain.org import Group, Role
from domain.reports.kela import DEFAULT_MAPPING, KelaReason, kela_note, kela_reason
from domain.reports.model import (
    ALLOWANCE_CENTS,
    AbsenceLine,
    ClientMonth,
    DayKind,
    OwnMonth,
    PersonDay,
)
from domain.reports.ports import NamedChange, ReportSource
from domain.rollcall.attendance import AttendanceRecords, DayAttendance, PersonAttendance
from domain.rollcall.model import CallState, Change, Mark, Reason, RollCall, Status

Clock = Callable[[], datetime]

SYSTEM = "system"
SELF = "self"


@dataclass(frozen=True, slots=True)
class ReportSettings:
    """How absences map onto Kela's reasons, and the expense allowance per activity day."""

    kela: Mapping[Reason, KelaReason] = field(default_factory=lambda: dict(DEFAULT_MAPPING))
    allowance_cents: int = ALLOWANCE_CENTS


def month_start(day: date) -> date:
    """The first day of the day's month."""
    return day.replace(day=1)


def month_end(day: date) -> date:
    """The last day of the day's month."""
    following = (day.replace(day=28) + timedelta(days=4)).replace(day=1)
    return following - timedelta(days=1)


def months(first: date, last: date) -> list[tuple[date, date]]:
    """first..last cut at month boundaries."""
    found: list[tuple[date, date]] = []
    start = first
    while start <= last:
        end = min(month_end(start), last)
        found.append((start, end))
        start = end + timedelta(days=1)
    return found


def _deciding_mark(
    line: PersonAttendance, roll_calls: Sequence[RollCall]
) -> tuple[Mark, RollCall] | None:
    """The mark that gave the person's day its status (the first "here" that counts, else the
    first excused or absent one)."""
    status = line.status
    if status is None:
        return None
    wanted: Callable[[Status], bool]
    if status.is_here or status is Status.LEFT_EARLY:
        wanted = lambda s: s.is_here  # noqa: E731
    else:
        wanted = lambda s: s is status  # noqa: E731
    for mark, roll_call in zip(line.marks, roll_calls, strict=True):
        if mark is None or roll_call.state is CallState.CANCELLED:
            continue
        if wanted(mark.status):
            return mark, roll_call
    return None


def closing(change: Change) -> bool:
    """A roll call's closing recorded the person absent (whoever closed it): no correction."""
    return change.after is Status.ABSENT and change.before is None and change.note is None


def recorded_by(
    line: PersonAttendance, roll_calls: Sequence[RollCall], changes: Sequence[NamedChange]
) -> str:
    """Who set the status that decided the day: "self", "system" (nobody, or the roll call's
    closing) or the instructor's name ("" when the person has no mark)."""
    found = _deciding_mark(line, roll_calls)
    if found is None:
        return ""
    mark, roll_call = found
    setting = [
        (change, name)
        for change, name in changes
        if change.person_id == line.person_id
        and change.roll_call_id == roll_call.id
        and change.after is mark.status
    ]
    if not setting:
        return SYSTEM
    change, name = setting[-1]
    if change.by is None or closing(change):
        return SYSTEM
    if change.by == line.person_id:
        return SELF
    return name or SYSTEM


def corrections(person_id: int, changes: Iterable[NamedChange]) -> int:
    """How many changes staff made to the person's day (not their own, not the system's, not
    the absences a roll call's closing recorded)."""
    return sum(
        1 for change, _ in changes if change.by not in (None, person_id) and not closing(change)
    )


def day_kind(day: DayAttendance, line: PersonAttendance) -> DayKind:
    """What the person's group day counts as."""
    if day.not_held:
        return DayKind.NOT_HELD
    if line.full_day:
        return DayKind.ACTIVITY
    status = line.status
    if status is None:
        return DayKind.UNRECORDED
    if status in (Status.ABSENT, Status.EXCUSED):
        return DayKind.ABSENT
    return DayKind.SHORT if day.over else DayKind.IN_PROGRESS


def _reason(line: PersonAttendance) -> Reason | None:
    """The reason of an excused day (the first excused mark that counts)."""
    if line.status is not Status.EXCUSED:
        return None
    for mark in line.marks:
        if mark is not None and mark.status is Status.EXCUSED and mark.reason is not None:
            return mark.reason
    return None


def person_day(
    group: Group,
    day: DayAttendance,
    line: PersonAttendance,
    changes: Sequence[NamedChange],
    mapping: Mapping[Reason, KelaReason] = DEFAULT_MAPPING,
) -> PersonDay:
    """One person's group day as reported (changes: that person's changes of that day)."""
    kind = day_kind(day, line)
    status = None if kind is DayKind.NOT_HELD else line.status
    reason = _reason(line) if kind is DayKind.ABSENT else None
    absent = kind is DayKind.ABSENT
    return PersonDay(
        unit_key=group.unit_key,
        group_key=group.key,
        group_name=group.name,
        day=day.day,
        person_id=line.person_id,
        name=line.name,
        role=line.role.value,
        kind=kind,
        status=status,
        reason=reason,
        kela=kela_reason(status, reason, mapping) if absent else None,
        note=kela_note(status, reason) if absent else None,
        joined_at=line.joined_at,
        left_at=line.left_at,
        hours=line.hours,
        full_day=line.full_day and kind is DayKind.ACTIVITY,
        recorded_by=recorded_by(line, day.roll_calls, changes),
        corrections=corrections(line.person_id, changes),
        timezone=group.timezone,
    )


class ClientTally:
    """Counts one client's days into a ClientMonth."""

    def __init__(self, person_id: int, name: str) -> None:
        self.person_id = person_id
        self.name = name
        self.groups: list[str] = []
        self.counts: dict[DayKind, int] = dict.fromkeys(DayKind, 0)
        self.absences: dict[KelaReason, int] = {}

    def add(self, line: PersonDay) -> None:
        """Count one day."""
        if line.group_name not in self.groups:
            self.groups.append(line.group_name)
        self.counts[line.kind] += 1
        if line.kind is DayKind.ABSENT and line.kela is not None:
            self.absences[line.kela] = self.absences.get(line.kela, 0) + 1

    def month(self, allowance_cents: int) -> ClientMonth:
        """The totals."""
        return ClientMonth(
            person_id=self.person_id,
            name=self.name,
            groups=tuple(self.groups),
            activity=self.counts[DayKind.ACTIVITY],
            short=self.counts[DayKind.SHORT],
            absences={k: self.absences[k] for k in KelaReason if k in self.absences},
            not_held=self.counts[DayKind.NOT_HELD],
            unrecorded=self.counts[DayKind.UNRECORDED] + self.counts[DayKind.IN_PROGRESS],
            allowance_cents=self.counts[DayKind.ACTIVITY] * allowance_cents,
        )


class ReportService:
    """Attendance reports, each behind its permission check."""

    def __init__(
        self,
        records: AttendanceRecords,
        source: ReportSource,
        clock: Clock,
        config: ReportSettings | None = None,
    ) -> None:
        self._records = records
        self._source = source
        self._clock = clock
        self.config = config or ReportSettings()

    # --- who may see what -----------------------------------------------------------------

    @staticmethod
    def _units(actor: Actor | None) -> frozenset[str] | None:
        """The units the actor may report on (None: every unit); NotAllowed for anyone else."""
        if actor is None or actor.is_admin:
            return None
        units = frozenset(u.key for u in actor.units_as(Role.COORDINATOR))
        if not units:
            raise NotAllowed("reports.not_allowed")
        return units

    async def _groups(
        self, actor: Actor | None, unit_key: str | None, group_key: str | None
    ) -> list[Group]:
        allowed = self._units(actor)
        if allowed is not None and unit_key is not None and unit_key not in allowed:
            raise NotAllowed("reports.not_allowed")
        groups = await self._source.groups(unit_key, group_key)
        if allowed is None:
            return groups
        if group_key is not None and any(g.unit_key not in allowed for g in groups):
            raise NotAllowed("reports.not_allowed")
        return [g for g in groups if g.unit_key in allowed]

    # --- the reports ----------------------------------------------------------------------

    def _reported(self, group: Group, day: DayAttendance) -> bool:
        """A group day: roll calls were held, or a day was planned (cancelled too), and the
        date has come."""
        today = self._clock().astimezone(ZoneInfo(group.timezone)).date()
        return day.day <= today and (day.held or day.planned or day.not_held)

    async def _group_days(
        self, group: Group, first: date, last: date, person_id: int | None = None
    ) -> AsyncIterator[PersonDay]:
        assert group.id is not None
        for start, end in months(first, last):
            days = await self._records.days(group, start, end, group_days_only=True)
            if not any(self._reported(group, d) for d in days):
                continue
            by_person: dict[tuple[date, int], list[NamedChange]] = {}
            for named in await self._source.changes(group.id, start, end):
                change: Change = named[0]
                by_person.setdefault((change.day, change.person_id), []).append(named)
            for day in days:
                if not self._reported(group, day):
                    continue
                for line in day.people:
                    if person_id is not None and line.person_id != person_id:
                        continue
                    yield person_day(
                        group,
                        day,
                        line,
                        by_person.get((day.day, line.person_id), []),
                        self.config.kela,
                    )

    async def person_days(
        self,
        actor: Actor | None,
        first: date,
        last: date,
        unit_key: str | None = None,
        group_key: str | None = None,
    ) -> AsyncIterator[PersonDay]:
        """One line per person per group day first..last, group by group, a month at a time."""
        for group in await self._groups(actor, unit_key, group_key):
            async for line in self._group_days(group, first, last):
                yield line

    async def activity_days(
        self, actor: Actor | None, month: date, unit_key: str | None = None
    ) -> list[ClientMonth]:
        """Each client's month in the unit's groups (one line per client, every group named):
        activity days, short days, absences by Kela reason, days not held, the allowance."""
        first = month_start(month)
        tallies: dict[int, ClientTally] = {}
        async for line in self.person_days(actor, first, month_end(first), unit_key):
            if line.role != "client":
                continue
            tally = tallies.get(line.person_id)
            if tally is None:
                tally = tallies[line.person_id] = ClientTally(line.person_id, line.name)
            tally.add(line)
        found = [t.month(self.config.allowance_cents) for t in tallies.values()]
        return sorted(found, key=lambda m: (m.name.casefold(), m.person_id))

    async def absences(
        self, actor: Actor | None, first: date, last: date, unit_key: str | None = None
    ) -> list[AbsenceLine]:
        """The clients' absences first..last in Kela's terms (form TT3), by name and date."""
        found: list[AbsenceLine] = []
        async for line in self.person_days(actor, first, last, unit_key):
            if line.role != "client" or line.kind is not DayKind.ABSENT or line.kela is None:
                continue
            found.append(
                AbsenceLine(
                    line.person_id, line.name, line.day, line.group_name, line.kela, line.note
                )
            )
        return sorted(found, key=lambda a: (a.name.casefold(), a.person_id, a.day, a.group_name))

    async def own_month(self, actor: Actor, month: date) -> OwnMonth:
        """The actor's own days in a month, in the groups where they are a client."""
        first = month_start(month)
        person_id = actor.person_id
        days: list[PersonDay] = []
        tally = ClientTally(person_id, actor.person.name)
        for group in await self._source.groups_of(person_id):
            async for line in self._group_days(group, first, month_end(first), person_id):
                if line.role != "client":
                    continue
                days.append(line)
                tally.add(line)
        days.sort(key=lambda d: (d.day, d.group_name))
        return OwnMonth(first, tuple(days), tally.month(self.config.allowance_cents))
