"""What the roll-call cards and dialogs display: view models the use cases fill in."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from zoneinfo import ZoneInfo

from domain.org import Group, Language, Person
from domain.reach import NotReached
from domain.rollcall.model import Change, DayRecord, Mark, Reason, RollCall


@dataclass(frozen=True, slots=True)
class Count:
    """Expected clients here, of all expected; guests on top."""

    here: int
    expected: int
    guests: int = 0


@dataclass(frozen=True, slots=True)
class SharedView:
    """The card everyone in the group conversation sees: the count only."""

    roll_call: RollCall
    group: Group
    count: Count
    instructor_ids: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class ClientView:
    """What a client sees after tapping: the count and their own status."""

    shared: SharedView
    mark: Mark | None
    language: Language


@dataclass(frozen=True, slots=True)
class InstructorView:
    """What instructors see (refresh.userIds): who is missing, late, a guest."""

    shared: SharedView
    missing: tuple[Person, ...]
    late: tuple[tuple[Person, datetime], ...]
    excused: tuple[tuple[Person, Reason | None], ...]
    guests: tuple[Person, ...]
    language: Language
    # here, with a problem with sound or picture (a technical reason on a present mark)
    problems: tuple[Person, ...] = ()


@dataclass(frozen=True, slots=True)
class PersonDay:
    """One person's line on the attendance list (person: the stored id and the name)."""

    person: Person
    marks: tuple[Mark | None, ...]
    record: DayRecord
    guest: bool = False


@dataclass(frozen=True, slots=True)
class AttendanceView:
    """A group's day: roll calls, every person's marks and day, and the audit trail."""

    group: Group
    day: date
    roll_calls: tuple[RollCall, ...]
    people: tuple[PersonDay, ...]
    changes: tuple[tuple[Change, str, str | None], ...]  # change, whose name, by whom
    editable: bool
    language: Language
    zone: ZoneInfo = field(default_factory=lambda: ZoneInfo("Europe/Helsinki"))
    # the day is over (else a day meeting the full-day rule is "on the way to a full day")
    over: bool = True
    # the day's cancelled roll calls, with who cancelled each (for the history)
    cancelled: tuple[tuple[RollCall, str | None], ...] = ()


@dataclass(frozen=True, slots=True)
class Reminded:
    """What "remind the missing" did."""

    sent: int
    already: int
    unreachable: tuple[NotReached, ...]  # who could not be reached, and why
    notified: int = 0
