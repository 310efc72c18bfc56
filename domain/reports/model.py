"""Attendance as it is reported: a person's group day, a client's month, the TT3 absence list.

Pure data. Every line is derived from the attendance read model (domain/rollcall/attendance.py)
and the Kela mapping (kela.py); nothing here reads storage.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from datetime import date, datetime

from domain.reports.kela import KelaReason
from domain.rollcall.model import Reason, Status

ALLOWANCE_CENTS = 900  # the expense allowance (kulukorvaus) per activity day, 9 €


class DayKind(enum.StrEnum):
    """What a person's group day counts as."""

    ACTIVITY = "activity"  # a statutory activity day: the full-day rule and the minimum hours
    SHORT = "short"  # took part, but the day does not count as an activity day
    ABSENT = "absent"  # an absence, excused or not: it has a Kela reason
    NOT_HELD = "not_held"  # the group day was cancelled ("palvelua ei järjestetä")
    UNRECORDED = "unrecorded"  # no mark (no roll call held, or none answered yet)
    IN_PROGRESS = "in_progress"  # here so far, and the day is not over yet


@dataclass(frozen=True, slots=True)
class PersonDay:
    """One person on one group day, as reported."""

    unit_key: str
    group_key: str
    group_name: str
    day: date
    person_id: int
    name: str
    role: str  # "client" or "guest"
    kind: DayKind
    status: Status | None
    reason: Reason | None  # the roll call's reason of an excused absence
    kela: KelaReason | None  # the absence in Kela's terms
    note: Reason | None  # a reason kept as a note (a technical problem)
    joined_at: datetime | None
    left_at: datetime | None
    hours: float | None
    full_day: bool
    recorded_by: str  # "self", "system" or the name of the instructor who set the status
    corrections: int  # how many times staff corrected the person's day
    timezone: str = "Europe/Helsinki"  # the group's: joined_at and left_at are shown in it


@dataclass(frozen=True, slots=True)
class ClientMonth:
    """A client's month: the basis of the expense allowance and the state compensation."""

    person_id: int
    name: str
    groups: tuple[str, ...]  # group names
    activity: int = 0
    short: int = 0
    absences: dict[KelaReason, int] = field(default_factory=dict)
    not_held: int = 0
    unrecorded: int = 0  # no mark yet, or the day still going on
    allowance_cents: int = 0

    @property
    def absent(self) -> int:
        """All absences, whatever the reason."""
        return sum(self.absences.values())


@dataclass(frozen=True, slots=True)
class AbsenceLine:
    """One absence on the TT3 list: who, which day, Kela's reason, a note."""

    person_id: int
    name: str
    day: date
    group_name: str
    kela: KelaReason
    note: Reason | None = None


@dataclass(frozen=True, slots=True)
class OwnMonth:
    """A person's own month, for them only."""

    month: date  # the first day of the month
    days: tuple[PersonDay, ...]
    totals: ClientMonth
