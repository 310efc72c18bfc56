"""Roll calls and attendance as plain data, and the rules that derive a person's day from them.

Pure: no I/O. A group day can have several roll calls (morning, after lunch); each person gets
at most one mark per roll call; a check-out ("I'm leaving now") is kept per person and day.
Every change to a mark or a check-out is recorded as a `Change` (who, when, from, to, why).

How several roll calls make a day (`day_record`):
- a cancelled roll call does not count at all (its marks stay in the audit trail);
- an open roll call a person has not answered yet counts neither way for them;
- the day's status is the first "here" of the day (present or late), left early after a
  check-out before the planned end; only without any "here" is it excused or absent;
- the full-day rule looks at the roll calls that count; until the day is over (its planned end
  reached, or the date past, and no roll call open) a day that meets it is "on the way to a full
  day", never a full day yet.
"""

from __future__ import annotations

import enum
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta


class Status(enum.StrEnum):
    """A person's status in one roll call, or for the whole day."""

    PRESENT = "present"
    LATE = "late"
    ABSENT = "absent"
    EXCUSED = "excused"
    LEFT_EARLY = "left_early"

    @property
    def is_here(self) -> bool:
        """Present or late: the person took part."""
        return self in (Status.PRESENT, Status.LATE)


class Reason(enum.StrEnum):
    """Why someone is excused."""

    SICK = "sick"  # own illness
    CHILD_SICK = "child_sick"  # a child under 10 is ill
    JOB_INTERVIEW = "job_interview"  # a job interview or similar
    PUBLIC_OFFICE = "public_office"  # a public office (luottamustoimi)
    TECHNICAL = "technical"  # a technical problem: a note, not a reason Kela knows
    APPOINTMENT = "appointment"
    OTHER = "other"


class FullDayRule(enum.StrEnum):
    """Which roll calls a person must be here at for a statutory activity day."""

    FIRST_AND_LAST = "first_and_last"
    ALL = "all"
    ANY = "any"


class CallState(enum.StrEnum):
    """Where a roll call is: its marks count (closed), count when given (open), or not at all."""

    OPEN = "open"
    CLOSED = "closed"
    CANCELLED = "cancelled"


DEFAULT_GRACE = timedelta(minutes=10)
DEFAULT_OPEN_FOR = timedelta(minutes=30)
# checking out this close to the day's planned end is not leaving early
END_TOLERANCE = timedelta(minutes=10)


@dataclass(frozen=True, slots=True)
class RollCall:
    """One roll call in a group conversation."""

    group_id: int
    day: date
    number: int
    conversation_id: str
    opened_at: datetime
    grace: timedelta = DEFAULT_GRACE
    closes_at: datetime | None = None
    closed_at: datetime | None = None
    opened_by: int | None = None
    id: int | None = None
    cancelled_at: datetime | None = None
    cancelled_by: int | None = None

    @property
    def is_open(self) -> bool:
        """Taps still count as on time or late; missing people are not yet absent."""
        return self.closed_at is None

    @property
    def is_cancelled(self) -> bool:
        """An instructor cancelled it (opened by mistake): its marks do not count for the day."""
        return self.cancelled_at is not None

    @property
    def state(self) -> CallState:
        """Open, closed or cancelled."""
        if self.is_cancelled:
            return CallState.CANCELLED
        return CallState.OPEN if self.is_open else CallState.CLOSED

    def status_for_tap(self, at: datetime) -> Status:
        """Present within the grace period after opening, late after it."""
        return Status.PRESENT if at <= self.opened_at + self.grace else Status.LATE


@dataclass(frozen=True, slots=True)
class Mark:
    """A person's status in one roll call."""

    roll_call_id: int
    person_id: int
    status: Status
    at: datetime
    reason: Reason | None = None
    guest: bool = False
    version: int = 0


@dataclass(frozen=True, slots=True)
class Checkout:
    """A person said "I'm leaving now" (or an instructor marked them as having left)."""

    group_id: int
    day: date
    person_id: int
    at: datetime


@dataclass(frozen=True, slots=True)
class Change:
    """One audited change: who changed whose status, when, from what to what, and why."""

    group_id: int
    day: date
    person_id: int
    at: datetime
    after: Status
    before: Status | None = None
    by: int | None = None  # None: the system (closing the roll call)
    roll_call_id: int | None = None
    reason: Reason | None = None
    id: int | None = None
    # why, in the instructor's words: every correction has one (a person's own tap or
    # check-out and the absences a closing roll call records need none)
    note: str | None = None


MAX_NOTE = 300


def clean_note(note: str | None) -> str | None:
    """A correction's reason as stored: trimmed, at most MAX_NOTE characters; None if empty."""
    if note is None:
        return None
    cleaned = " ".join(note.split())[:MAX_NOTE]
    return cleaned or None


def tap_status(roll_call: RollCall, current: Mark | None, at: datetime) -> Status | None:
    """The status a tap gives, or None when the tap changes nothing.

    A tap never takes away what a person already has (present stays present, a late tap
    after an earlier on-time one changes nothing); after the roll call closed, a person marked
    absent (or excused) who taps is late.
    """
    if current is not None and current.status.is_here:
        return None
    if not roll_call.is_open:
        return Status.LATE
    return roll_call.status_for_tap(at)


def left_early(checkout: Checkout | None, day_end: datetime | None) -> bool:
    """Checked out before the day's planned end (any check-out counts when no end is known)."""
    if checkout is None:
        return False
    if day_end is None:
        return True
    return checkout.at < day_end - END_TOLERANCE


@dataclass(frozen=True, slots=True)
class DayRecord:
    """A person's day, derived from every roll call and the check-out."""

    person_id: int
    marks: tuple[Status | None, ...]  # one per roll call of the day, in order
    status: Status | None
    left_early: bool
    full_day: bool  # the day is over and it counts as a full day
    checkout_at: datetime | None = None
    on_the_way: bool = False  # the rule holds so far, and the day is not over yet


def day_record(
    person_id: int,
    marks: Sequence[Status | None],
    checkout: Checkout | None,
    day_end: datetime | None,
    rule: FullDayRule = FullDayRule.FIRST_AND_LAST,
    *,
    states: Sequence[CallState] | None = None,
    settled: bool = True,
) -> DayRecord:
    """The day of one person: their overall status and whether it counts as a full day.

    states: each roll call's state (default: all closed). A cancelled roll call counts not at
    all; an open one only when the person has a mark in it. settled: the day is over, so the
    full-day rule can hold (otherwise a day meeting it is only on the way to a full day).
    """
    kinds = list(states) if states is not None else [CallState.CLOSED] * len(marks)
    counted = [
        m
        for m, kind in zip(marks, kinds, strict=True)
        if kind is CallState.CLOSED or (kind is CallState.OPEN and m is not None)
    ]
    early = left_early(checkout, day_end)
    here = [m is not None and m.is_here for m in counted]
    status: Status | None
    if not counted or all(m is None for m in counted):
        status = None
    elif early and any(here):
        status = Status.LEFT_EARLY
    elif any(here):
        status = next(m for m in counted if m is not None and m.is_here)
    elif any(m is Status.EXCUSED for m in counted):
        status = Status.EXCUSED
    else:
        status = Status.ABSENT
    if not counted or early:
        holds = False
    elif rule is FullDayRule.ALL:
        holds = all(here)
    elif rule is FullDayRule.ANY:
        holds = any(here)
    else:
        holds = here[0] and here[-1]
    return DayRecord(
        person_id=person_id,
        marks=tuple(marks),
        status=status,
        left_early=early,
        full_day=holds and settled,
        checkout_at=checkout.at if checkout else None,
        on_the_way=holds and not settled,
    )
