"""The report rules over plain data: what a day counts as, who recorded it, month cuts."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from domain.reports.model import DayKind
from domain.reports.service import corrections, day_kind, months, recorded_by
from domain.rollcall.attendance import AttendeeRole, DayAttendance, PersonAttendance
from domain.rollcall.model import Change, Mark, RollCall, Status, day_record

DAY = date(2026, 11, 3)
T0 = datetime(2026, 11, 3, 7, 0, tzinfo=UTC)
RC = RollCall(1, DAY, 1, "19:x@thread.v2", T0, closed_at=T0 + timedelta(minutes=20), id=5)
PERSON, MAIJA = 11, 2


def line(status: Status | None, *, settled: bool = True) -> PersonAttendance:
    mark = Mark(5, PERSON, status, T0) if status else None
    record = day_record(PERSON, [status], None, None, settled=settled)
    return PersonAttendance(PERSON, "Sari", AttendeeRole.CLIENT, (mark,), record)


def day(person: PersonAttendance, *, over: bool = True, not_held: bool = False) -> DayAttendance:
    return DayAttendance(1, DAY, (RC,), (person,), over, not_held=not_held)


def test_what_a_day_counts_as() -> None:
    assert day_kind(day(line(Status.PRESENT)), line(Status.PRESENT)) is DayKind.ACTIVITY
    late = line(Status.LATE, settled=False)
    assert day_kind(day(late, over=False), late) is DayKind.IN_PROGRESS  # not over yet
    excused = line(Status.EXCUSED, settled=False)
    assert day_kind(day(excused, over=False), excused) is DayKind.ABSENT
    assert day_kind(day(line(None)), line(None)) is DayKind.UNRECORDED
    cancelled = line(Status.PRESENT)
    assert day_kind(day(cancelled, not_held=True), cancelled) is DayKind.NOT_HELD


def change(
    by: int | None, after: Status, *, before: Status | None = None, note: str | None = None
) -> tuple[Change, str | None]:
    names = {MAIJA: "Maija Virtanen", PERSON: "Sari"}
    made = Change(1, DAY, PERSON, T0, after, before, by, 5, note=note)
    return made, names.get(by) if by is not None else None


def test_who_recorded_the_deciding_mark() -> None:
    absent = line(Status.ABSENT)
    closed_by_maija = [change(MAIJA, Status.ABSENT)]
    assert recorded_by(absent, (RC,), closed_by_maija) == "system"
    assert corrections(PERSON, closed_by_maija) == 0
    assert recorded_by(absent, (RC,), [change(None, Status.ABSENT)]) == "system"
    excused = line(Status.EXCUSED)
    fixed = [*closed_by_maija, change(MAIJA, Status.EXCUSED, before=Status.ABSENT, note="soitti")]
    assert recorded_by(excused, (RC,), fixed) == "Maija Virtanen"
    assert corrections(PERSON, fixed) == 1
    here = line(Status.PRESENT)
    assert recorded_by(here, (RC,), [change(PERSON, Status.PRESENT)]) == "self"
    assert recorded_by(line(None), (RC,), []) == ""


def test_periods_are_cut_at_month_ends() -> None:
    assert months(date(2026, 11, 20), date(2027, 1, 5)) == [
        (date(2026, 11, 20), date(2026, 11, 30)),
        (date(2026, 12, 1), date(2026, 12, 31)),
        (date(2027, 1, 1), date(2027, 1, 5)),
    ]
    assert months(date(2028, 2, 1), date(2028, 2, 29)) == [(date(2028, 2, 1), date(2028, 2, 29))]
    assert months(date(2026, 2, 2), date(2026, 2, 1)) == []
