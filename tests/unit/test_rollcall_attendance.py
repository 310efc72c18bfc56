"""The attendance read model (domain/rollcall/attendance.py) over a source in memory."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, timedelta

import pytest

from domain.org import Group
from domain.rollcall.attendance import (
    AttendanceRecords,
    AttendeeRole,
    DayAttendance,
    assemble,
)
from domain.rollcall.model import Checkout, FullDayRule, Mark, Reason, RollCall, Status
from domain.rollcall.ports import Attendee, StoredAttendance

T0 = datetime(2026, 3, 5, 7, 0, tzinfo=UTC)  # 9.00 in Helsinki
DAY = date(2026, 3, 5)
NEXT = DAY + timedelta(days=1)
END = datetime(2026, 3, 5, 12, 0, tzinfo=UTC)
GROUP = Group(key="it-ryhma", unit_key="it", name="IT-ryhmä", id=10)

JARI, SARI, ERKKI, GUSTAV = (
    Attendee(11, "Jari Mäkinen"),
    Attendee(12, "Sari Heikkinen"),
    Attendee(13, "Erkki Esimerkki"),
    Attendee(21, "Gustav Gäst"),
)
CLIENTS = (ERKKI, JARI, SARI)  # the group's order: by name


def roll_call(rid: int, number: int, day: date = DAY, hours: int = 0) -> RollCall:
    opened = datetime.combine(day, T0.timetz()) + timedelta(hours=hours)
    closed = opened + timedelta(minutes=30)
    return RollCall(GROUP.id or 0, day, number, "19:it@thread.v2", opened, closed_at=closed, id=rid)


MORNING, AFTERNOON = roll_call(1, 1), roll_call(2, 2, hours=4)


def mark(
    rc: RollCall, who: Attendee, status: Status, reason: Reason | None = None, guest: bool = False
) -> Mark:
    return Mark(rc.id or 0, who.person_id, status, rc.opened_at, reason=reason, guest=guest)


def stored(
    roll_calls: tuple[RollCall, ...] = (MORNING, AFTERNOON),
    marks: tuple[Mark, ...] = (),
    checkouts: tuple[Checkout, ...] = (),
) -> StoredAttendance:
    named = {m.person_id for m in marks}
    everyone = (*CLIENTS, GUSTAV)
    return StoredAttendance(
        clients=CLIENTS,
        roll_calls=roll_calls,
        marks=marks,
        checkouts=checkouts,
        marked=tuple(a for a in everyone if a.person_id in named),
    )


class Source:
    """An AttendanceSource that hands out what it holds and remembers what it was asked."""

    def __init__(self, held: StoredAttendance) -> None:
        self.held = held
        self.asked: list[tuple[int, date, date]] = []

    async def attendance(self, group_id: int, first: date, last: date) -> StoredAttendance:
        self.asked.append((group_id, first, last))
        return self.held


def one(found: tuple[DayAttendance, ...]) -> DayAttendance:
    assert len(found) == 1
    return found[0]


def test_a_day_lists_the_clients_then_the_guests_by_id_with_their_marks() -> None:
    marks = (
        mark(MORNING, JARI, Status.PRESENT),
        mark(AFTERNOON, JARI, Status.PRESENT),
        mark(MORNING, SARI, Status.LATE),
        mark(AFTERNOON, ERKKI, Status.EXCUSED, reason=Reason.SICK),
        mark(AFTERNOON, GUSTAV, Status.PRESENT, guest=True),
    )
    day = one(assemble(GROUP.id or 0, DAY, DAY, stored(marks=marks), {}, FullDayRule.ALL))
    assert (day.group_id, day.day, day.roll_calls, day.held) == (
        10,
        DAY,
        (MORNING, AFTERNOON),
        True,
    )
    assert [(p.person_id, p.name, p.role) for p in day.people] == [
        (ERKKI.person_id, ERKKI.name, AttendeeRole.CLIENT),
        (JARI.person_id, JARI.name, AttendeeRole.CLIENT),
        (SARI.person_id, SARI.name, AttendeeRole.CLIENT),
        (GUSTAV.person_id, GUSTAV.name, AttendeeRole.GUEST),
    ]
    by_id = {p.person_id: p for p in day.people}
    assert by_id[SARI.person_id].marks == (marks[2], None)
    assert [by_id[a.person_id].status for a in (ERKKI, JARI, SARI, GUSTAV)] == [
        Status.EXCUSED,
        Status.PRESENT,
        Status.LATE,
        Status.PRESENT,
    ]
    assert by_id[ERKKI.person_id].marks[1] == marks[3]
    assert [p.full_day for p in day.people] == [False, True, False, False]
    assert day.full_days == 1


def test_someone_in_a_roll_call_of_another_day_is_not_a_guest_today() -> None:
    other = roll_call(3, 1, day=NEXT)
    held = stored((MORNING, other), (mark(other, GUSTAV, Status.PRESENT, guest=True),))
    today, tomorrow = assemble(GROUP.id or 0, DAY, NEXT, held, {}, FullDayRule.FIRST_AND_LAST)
    assert [p.person_id for p in today.people] == [a.person_id for a in CLIENTS]
    assert tomorrow.people[-1].role is AttendeeRole.GUEST
    assert tomorrow.roll_calls == (other,)


def test_a_range_has_every_day_also_those_without_a_roll_call() -> None:
    third = roll_call(3, 1, day=DAY + timedelta(days=2))
    held = stored((MORNING, AFTERNOON, third), (mark(third, JARI, Status.PRESENT),))
    found = assemble(
        GROUP.id or 0, DAY, DAY + timedelta(days=3), held, {}, FullDayRule.FIRST_AND_LAST
    )
    assert [d.day for d in found] == [DAY + timedelta(days=n) for n in range(4)]
    assert [d.held for d in found] == [True, False, True, False]
    empty = found[1]
    assert empty.roll_calls == ()
    assert [(p.person_id, p.marks, p.status, p.full_day) for p in empty.people] == [
        (a.person_id, (), None, False) for a in CLIENTS
    ]
    assert found[2].people[1].full_day  # Jari, the day's only roll call


def test_a_check_out_counts_against_the_days_planned_end() -> None:
    marks = tuple(mark(rc, who, Status.PRESENT) for rc in (MORNING, AFTERNOON) for who in CLIENTS)
    checkouts = (
        Checkout(GROUP.id or 0, DAY, JARI.person_id, END - timedelta(hours=1)),
        Checkout(GROUP.id or 0, DAY, SARI.person_id, END - timedelta(minutes=5)),
    )
    held = stored(marks=marks, checkouts=checkouts)
    day = one(assemble(GROUP.id or 0, DAY, DAY, held, {DAY: END}, FullDayRule.FIRST_AND_LAST))
    by_id = {p.person_id: p for p in day.people}
    jari, sari, erkki = by_id[JARI.person_id], by_id[SARI.person_id], by_id[ERKKI.person_id]
    assert (jari.status, jari.left_early, jari.full_day) == (Status.LEFT_EARLY, True, False)
    assert jari.checkout_at == END - timedelta(hours=1)
    assert (sari.status, sari.left_early, sari.full_day) == (Status.PRESENT, False, True)
    assert (erkki.checkout_at, erkki.full_day) == (None, True)
    # with no planned end any check-out is leaving early
    unplanned = one(assemble(GROUP.id or 0, DAY, DAY, held, {}, FullDayRule.FIRST_AND_LAST))
    assert [p.left_early for p in unplanned.people] == [False, True, True]


@pytest.mark.parametrize(
    ("rule", "full"),
    [
        (FullDayRule.FIRST_AND_LAST, {JARI.person_id}),
        (FullDayRule.ALL, set()),
        (FullDayRule.ANY, {JARI.person_id, SARI.person_id}),
    ],
    ids=str,
)
def test_full_days_follow_the_configured_rule(rule: FullDayRule, full: set[int]) -> None:
    middle = roll_call(3, 2, hours=2)
    last = replace(AFTERNOON, number=3)
    marks = (
        mark(MORNING, JARI, Status.PRESENT),
        mark(last, JARI, Status.LATE),
        mark(middle, SARI, Status.PRESENT),
    )
    day = one(assemble(GROUP.id or 0, DAY, DAY, stored((MORNING, middle, last), marks), {}, rule))
    assert {p.person_id for p in day.people if p.full_day} == full


async def test_the_records_ask_the_source_once_and_the_day_end_only_for_check_out_days() -> None:
    checkouts = (Checkout(GROUP.id or 0, NEXT, JARI.person_id, END + timedelta(days=1)),)
    source = Source(stored(checkouts=checkouts))
    asked: list[date] = []

    async def day_end(group: Group, on: date) -> datetime | None:
        asked.append(on)
        return END + timedelta(days=1)

    records = AttendanceRecords(source, FullDayRule.ANY, day_end)
    found = await records.days(GROUP, DAY, DAY + timedelta(days=6))
    assert len(found) == 7
    assert source.asked == [(GROUP.id, DAY, DAY + timedelta(days=6))]
    assert asked == [NEXT]
    assert await records.days(GROUP, NEXT, DAY) == ()
    assert len(source.asked) == 1
    day = await records.day(GROUP, DAY)
    assert (day.day, day.roll_calls) == (DAY, (MORNING, AFTERNOON))
    assert source.asked[-1] == (GROUP.id, DAY, DAY)
