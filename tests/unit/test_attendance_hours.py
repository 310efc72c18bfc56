"""Join and leave times, hours, the minimum-hours rule and days not held, in the read model."""

from __future__ import annotations

from datetime import date, datetime, timedelta

from domain.org import Group
from domain.rollcall.attendance import AttendanceRecords, DayAttendance, PersonAttendance
from domain.rollcall.model import Checkout, FullDayRule, Mark, RollCall, Status
from domain.rollcall.ports import DaySpan
from tests.unit.test_rollcall_attendance import (
    AFTERNOON,
    DAY,
    END,
    ERKKI,
    GROUP,
    GUSTAV,
    JARI,
    MORNING,
    SARI,
    T0,
    Source,
    mark,
    stored,
)

START = T0  # the day's first item starts when the morning roll call opens
SPAN = DaySpan(START, END)  # 9.00–14.00 in Helsinki: five hours


def spans_of(found: dict[date, DaySpan]) -> tuple[object, list[tuple[date, date]]]:
    asked: list[tuple[date, date]] = []

    async def spans(group: Group, first: date, last: date) -> dict[date, DaySpan]:
        asked.append((first, last))
        return {d: s for d, s in found.items() if first <= d <= last}

    return spans, asked


async def the_day(
    marks: tuple[Mark, ...],
    checkouts: tuple[Checkout, ...] = (),
    span: DaySpan | None = SPAN,
    min_hours: float = 0.0,
    rule: FullDayRule = FullDayRule.FIRST_AND_LAST,
    roll_calls: tuple[RollCall, ...] = (MORNING, AFTERNOON),
) -> DayAttendance:
    spans, asked = spans_of({DAY: span} if span else {})

    async def day_end(group: Group, on: date) -> datetime | None:
        raise AssertionError("with spans, the day's end is not asked one day at a time")

    records = AttendanceRecords(
        Source(stored(roll_calls, marks, checkouts)),
        rule,
        day_end,
        spans=spans,  # type: ignore[arg-type]
        min_hours=min_hours,
    )
    found = await records.day(GROUP, DAY)
    assert asked == [(DAY, DAY)]
    return found


def line(day: DayAttendance, person_id: int) -> PersonAttendance:
    return next(p for p in day.people if p.person_id == person_id)


async def test_on_time_counts_from_the_planned_start_and_to_the_planned_end() -> None:
    day = await the_day(
        (mark(MORNING, JARI, Status.PRESENT), mark(AFTERNOON, JARI, Status.PRESENT))
    )
    jari = line(day, JARI.person_id)
    assert (jari.joined_at, jari.left_at, jari.hours) == (START, END, 5.0)
    assert jari.full_day


async def test_late_counts_from_the_mark_and_a_check_out_to_it() -> None:
    late = Mark(MORNING.id or 0, SARI.person_id, Status.LATE, START + timedelta(minutes=45))
    out = Checkout(GROUP.id or 0, DAY, SARI.person_id, START + timedelta(hours=3, minutes=15))
    day = await the_day((late, mark(AFTERNOON, SARI, Status.PRESENT)), (out,))
    sari = line(day, SARI.person_id)
    assert sari.joined_at == START + timedelta(minutes=45)
    assert sari.left_at == out.at
    assert sari.hours == 2.5
    assert sari.status is Status.LEFT_EARLY


async def test_here_only_in_the_afternoon_counts_from_that_mark() -> None:
    day = await the_day(
        (mark(MORNING, ERKKI, Status.ABSENT), mark(AFTERNOON, ERKKI, Status.PRESENT)),
        rule=FullDayRule.ANY,
    )
    erkki = line(day, ERKKI.person_id)
    assert erkki.joined_at == AFTERNOON.opened_at
    assert erkki.hours == 1.0


async def test_without_a_plan_there_are_no_hours() -> None:
    day = await the_day((mark(MORNING, JARI, Status.PRESENT),), span=None)
    jari = line(day, JARI.person_id)
    assert jari.joined_at == MORNING.opened_at
    assert (jari.left_at, jari.hours) == (None, None)
    nobody = line(day, SARI.person_id)
    assert (nobody.joined_at, nobody.left_at, nobody.hours) == (None, None, None)


async def test_the_minimum_hours_decide_the_full_day() -> None:
    both = (mark(MORNING, JARI, Status.PRESENT), mark(AFTERNOON, JARI, Status.PRESENT))
    late = Mark(
        MORNING.id or 0, SARI.person_id, Status.LATE, START + timedelta(hours=1, minutes=30)
    )
    sari = (late, mark(AFTERNOON, SARI, Status.PRESENT))
    off = await the_day(both + sari)
    assert line(off, JARI.person_id).full_day and line(off, SARI.person_id).full_day
    four = await the_day(both + sari, min_hours=4)
    assert line(four, JARI.person_id).full_day  # 5 h
    assert line(four, SARI.person_id).hours == 3.5
    assert not line(four, SARI.person_id).full_day  # 3.5 h: not an activity day
    assert four.full_days == 1
    exactly = await the_day(both + sari, min_hours=3.5)
    assert line(exactly, SARI.person_id).full_day
    unplanned = await the_day(both, span=None, min_hours=4)
    assert not line(unplanned, JARI.person_id).full_day  # no hours: no minimum met


async def test_on_the_way_only_while_the_minimum_can_still_be_reached() -> None:
    spans, _ = spans_of({DAY: SPAN})
    morning_open = RollCall(GROUP.id or 0, DAY, 1, "19:it@thread.v2", START, id=1)
    late = Mark(1, SARI.person_id, Status.LATE, START + timedelta(hours=2))
    marks = (mark(morning_open, JARI, Status.PRESENT), late)
    records = AttendanceRecords(
        Source(stored((morning_open,), marks)),
        FullDayRule.ANY,
        clock=lambda: START + timedelta(hours=2, minutes=5),
        spans=spans,  # type: ignore[arg-type]
        min_hours=4,
    )
    day = await records.day(GROUP, DAY)
    assert not day.over
    assert line(day, JARI.person_id).on_the_way  # can still reach 5 h
    assert not line(day, SARI.person_id).on_the_way  # 3 h at most by the planned end
    assert day.on_the_way == 1


async def test_a_cancelled_group_day_is_not_held() -> None:
    cancelled = DaySpan(START, END, cancelled=True)
    day = await the_day((), span=cancelled, roll_calls=())
    assert day.not_held
    assert all(p.status is None and p.hours is None for p in day.people)
    held = await the_day((), roll_calls=())
    assert not held.not_held


async def test_a_guest_line_has_hours_too() -> None:
    day = await the_day((mark(MORNING, GUSTAV, Status.PRESENT, guest=True),))
    gustav = line(day, GUSTAV.person_id)
    assert (gustav.joined_at, gustav.left_at, gustav.hours) == (START, END, 5.0)
