"""The attendance read model: a group's day record, or its days over a date range.

No actor and no permission check: callers that act for someone (the instructors' attendance
list) check first; the coordinators' digest and the exports ask directly. The record is derived
with the same rules as the attendance list: `day_record` under the configured `FullDayRule`,
a check-out counted against the day's planned end, cancelled roll calls left out, and a day
that is not over yet (given a clock) "on the way to a full day" rather than a full day.
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from domain.org import Group
from domain.rollcall.model import (
    CallState,
    Checkout,
    DayRecord,
    FullDayRule,
    Mark,
    RollCall,
    Status,
    day_record,
)
from domain.rollcall.ports import (
    AttendanceSource,
    Attendee,
    DayEnd,
    DaySpan,
    DaySpans,
    StoredAttendance,
)


class AttendeeRole(enum.StrEnum):
    """Why a person is on a group's day: a client of the group, or a guest who checked in."""

    CLIENT = "client"
    GUEST = "guest"


@dataclass(frozen=True, slots=True)
class PersonAttendance:
    """One person's day in a group: their mark in each roll call, the check-out, the verdict."""

    person_id: int
    name: str
    role: AttendeeRole
    marks: tuple[Mark | None, ...]  # one per roll call of the day, in order (time, reason)
    record: DayRecord
    # when they joined (the day's planned start if on time, else their first "here"), when
    # they left (check-out, else the planned end), and the hours between (None: unknown)
    joined_at: datetime | None = None
    left_at: datetime | None = None
    hours: float | None = None

    @property
    def status(self) -> Status | None:
        """Present, late, left early, excused or absent for the day; None: no mark at all."""
        return self.record.status

    @property
    def full_day(self) -> bool:
        """The day counts as a statutory activity day under the configured rule."""
        return self.record.full_day

    @property
    def on_the_way(self) -> bool:
        """The day is not over yet, and so far it meets the full-day rule."""
        return self.record.on_the_way

    @property
    def left_early(self) -> bool:
        """Checked out before the day's planned end."""
        return self.record.left_early

    @property
    def checkout_at(self) -> datetime | None:
        """When they checked out ("I'm leaving now"), if they did."""
        return self.record.checkout_at


@dataclass(frozen=True, slots=True)
class DayAttendance:
    """A group's day as recorded: its roll calls and every person's line, clients then guests."""

    group_id: int
    day: date
    roll_calls: tuple[RollCall, ...]
    people: tuple[PersonAttendance, ...]
    # the day is over: the full-day rule can hold (else it is only on the way to a full day)
    over: bool = True
    # the group day was cancelled ("palvelua ei järjestetä"): nobody on it is absent
    not_held: bool = False
    # the group had a day planned that date (known only when the planned days were read)
    planned: bool = False

    @property
    def held(self) -> bool:
        """The group had at least one roll call that day."""
        return bool(self.roll_calls)

    @property
    def full_days(self) -> int:
        """How many people's day counts as a statutory activity day."""
        return sum(1 for line in self.people if line.full_day)

    @property
    def on_the_way(self) -> int:
        """How many people's day meets the full-day rule so far (the day is not over yet)."""
        return sum(1 for line in self.people if line.on_the_way)


def _dates(first: date, last: date) -> list[date]:
    return [first + timedelta(days=n) for n in range((last - first).days + 1)]


def joined_and_left(
    row: tuple[Mark | None, ...],
    roll_calls: tuple[RollCall, ...],
    checkout: Checkout | None,
    start: datetime | None,
    end: datetime | None,
) -> tuple[datetime | None, datetime | None, float | None]:
    """When a person joined and left, and the hours between (None where unknown).

    Joined: the planned start when they were on time at the day's first roll call that counts,
    else the time of their first "here". Left: the check-out, else the planned end. Hours: only
    with a planned day (a day without a plan has no hours)."""
    joined: datetime | None = None
    first_counted = True
    for mark, roll_call in zip(row, roll_calls, strict=True):
        if roll_call.state is CallState.CANCELLED:
            continue
        if roll_call.state is CallState.OPEN and mark is None:
            continue
        if mark is not None and mark.status.is_here:
            on_time = mark.status is Status.PRESENT and first_counted
            joined = start if on_time and start is not None else mark.at
            break
        first_counted = False
    if joined is None:
        return None, None, None
    left = checkout.at if checkout is not None else end
    if left is None or start is None:
        return joined, left, None
    hours = round(max((left - joined).total_seconds(), 0.0) / 3600, 2)
    return joined, left, hours


def _line(
    who: Attendee,
    role: AttendeeRole,
    roll_calls: tuple[RollCall, ...],
    marks: Mapping[int, Mapping[int, Mark]],
    checkout: Checkout | None,
    span: DaySpan | None,
    end: datetime | None,
    rule: FullDayRule,
    settled: bool,
    min_hours: float = 0.0,
) -> PersonAttendance:
    row = tuple(marks.get(rc.id or 0, {}).get(who.person_id) for rc in roll_calls)
    statuses = [m.status if m else None for m in row]
    states = [rc.state for rc in roll_calls]
    record = day_record(
        who.person_id, statuses, checkout, end, rule, states=states, settled=settled
    )
    start = span.start if span is not None and not span.cancelled else None
    joined, left, hours = joined_and_left(row, roll_calls, checkout, start, end)
    if min_hours > 0 and (hours is None or hours < min_hours):
        # the minimum hours (the law's four-hour day): a shorter day is no activity day, and
        # a day planned to end too soon after they joined cannot become one
        record = replace(record, full_day=False, on_the_way=False)
    return PersonAttendance(who.person_id, who.name, role, row, record, joined, left, hours)


def day_over(
    day: date,
    roll_calls: tuple[RollCall, ...],
    now: datetime,
    zone: ZoneInfo,
    end: datetime | None,
) -> bool:
    """The full-day rule can hold: no roll call open, and the planned end reached (no plan: the
    date is past)."""
    if any(rc.state is CallState.OPEN for rc in roll_calls):
        return False
    today = now.astimezone(zone).date()
    if day != today:
        return day < today
    return end is not None and now >= end


def assemble(
    group_id: int,
    first: date,
    last: date,
    stored: StoredAttendance,
    ends: Mapping[date, datetime | None],
    rule: FullDayRule,
    unsettled: frozenset[date] = frozenset(),
    *,
    spans: Mapping[date, DaySpan] | None = None,
    min_hours: float = 0.0,
    group_days_only: bool = False,
) -> tuple[DayAttendance, ...]:
    """Every day first..last of the group from what is stored (a day without roll calls too,
    unless group_days_only: then only days with a roll call or a planned day, cancelled too).

    The group's clients are on every day; anyone else with a mark that day is a guest (by id).
    ends: the days' planned ends, needed only on days with a check-out. unsettled: the days
    that are not over yet (a day meeting the rule is then on the way to a full day). spans:
    the planned days (start, end, cancelled), when known: the hours and the days not held.
    min_hours: a full day needs at least this many hours (0: no minimum).
    """
    spans = spans or {}
    calls: dict[date, list[RollCall]] = {}
    for roll_call in sorted(stored.roll_calls, key=lambda r: (r.day, r.number)):
        calls.setdefault(roll_call.day, []).append(roll_call)
    marks: dict[int, dict[int, Mark]] = {}
    for mark in stored.marks:
        marks.setdefault(mark.roll_call_id, {})[mark.person_id] = mark
    checkouts: dict[date, dict[int, Checkout]] = {}
    for checkout in stored.checkouts:
        checkouts.setdefault(checkout.day, {})[checkout.person_id] = checkout
    names = {a.person_id: a for a in stored.marked}
    clients = {c.person_id for c in stored.clients}
    found: list[DayAttendance] = []
    for day in _dates(first, last):
        roll_calls = tuple(calls.get(day, ()))
        out = checkouts.get(day, {})
        end = ends.get(day)
        span = spans.get(day)
        if group_days_only and not roll_calls and span is None:
            continue
        settled = day not in unsettled

        guests = {pid for rc in roll_calls for pid in marks.get(rc.id or 0, {})} - clients
        everyone = [(c, AttendeeRole.CLIENT) for c in stored.clients] + [
            (names[pid], AttendeeRole.GUEST) for pid in sorted(guests) if pid in names
        ]
        people = [
            _line(
                who,
                role,
                roll_calls,
                marks,
                out.get(who.person_id),
                span,
                end,
                rule,
                settled,
                min_hours,
            )
            for who, role in everyone
        ]
        not_held = span is not None and span.cancelled
        found.append(
            DayAttendance(
                group_id,
                day,
                roll_calls,
                tuple(people),
                settled,
                not_held=not_held,
                planned=span is not None,
            )
        )
    return tuple(found)


class AttendanceRecords:
    """A group's attendance as recorded, for anyone who may see it (the caller checks that).

    spans: the planned days in one read (their starts, ends and cancellations; then day_end is
    not asked); min_hours: the minimum hours of a full day (0: none).
    """

    def __init__(
        self,
        source: AttendanceSource,
        rule: FullDayRule = FullDayRule.FIRST_AND_LAST,
        day_end: DayEnd | None = None,
        clock: Callable[[], datetime] | None = None,
        *,
        spans: DaySpans | None = None,
        min_hours: float = 0.0,
    ) -> None:
        self._source = source
        self.rule = rule
        self._day_end = day_end
        self._clock = clock
        self._spans = spans
        self.min_hours = min_hours

    async def day(self, group: Group, day: date) -> DayAttendance:
        """The record of the group's day (every client listed, also when no roll call was held)."""
        return (await self.days(group, day, day))[0]

    async def days(
        self, group: Group, first: date, last: date, *, group_days_only: bool = False
    ) -> tuple[DayAttendance, ...]:
        """The record of every day first..last (both included; empty when last < first);
        group_days_only: only the days with a roll call or a planned (or cancelled) day."""
        if last < first:
            return ()
        assert group.id is not None
        stored = await self._source.attendance(group.id, first, last)
        ends: dict[date, datetime | None] = {}
        spans: Mapping[date, DaySpan] = {}
        now = self._clock() if self._clock is not None else None
        zone = ZoneInfo(group.timezone)
        if self._spans is not None:
            spans = await self._spans(group, first, last)
            ends = {day: None if span.cancelled else span.end for day, span in spans.items()}
        else:
            # a day's planned end matters to a check-out, and to whether today is over yet
            wanted = {c.day for c in stored.checkouts if first <= c.day <= last}
            if now is not None and first <= now.astimezone(zone).date() <= last:
                wanted.add(now.astimezone(zone).date())
            if self._day_end is not None:
                for day in sorted(wanted):
                    ends[day] = await self._day_end(group, day)
        unsettled: set[date] = set()
        if now is not None:
            calls: dict[date, list[RollCall]] = {}
            for roll_call in stored.roll_calls:
                calls.setdefault(roll_call.day, []).append(roll_call)
            unsettled = {
                day
                for day in _dates(first, last)
                if not day_over(day, tuple(calls.get(day, ())), now, zone, ends.get(day))
            }
        return assemble(
            group.id,
            first,
            last,
            stored,
            ends,
            self.rule,
            frozenset(unsettled),
            spans=spans,
            min_hours=self.min_hours,
            group_days_only=group_days_only,
        )
