"""Ports: what the roll-call use cases need from storage and from Teams.

store/ implements the storage ports, cards/ draws the cards, bot/ and bot/teams/ supply the
Teams side (meeting roles, 1:1 chats, instructors' Teams ids); tests may fake any of them.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, NamedTuple, Protocol

from domain.meetings import MeetingRoles
from domain.org import Group, Language
from domain.outbox import Outbox, OutboxMessage
from domain.ports import ConversationRepository, People, PersonalChats
from domain.rollcall.model import Change, Checkout, Mark, RollCall, Status
from domain.rollcall.views import SharedView

__all__ = [
    "AttendanceSource",
    "Attendee",
    "Card",
    "ConversationRepository",
    "DayEnd",
    "DaySpan",
    "DaySpans",
    "InstructorTeamsIds",
    "MeetingRoles",
    "NoticeUrl",
    "Outbox",
    "People",
    "PersonalChats",
    "RollCallCards",
    "RollCallStore",
    "StoredAttendance",
]

Card = dict[str, Any]
# the Teams user ids (29:…) of a group's instructors who have talked to the bot
InstructorTeamsIds = Callable[[int], Awaitable[tuple[str, ...]]]
# when the group's day on a date is planned to end (None: no day planned)
DayEnd = Callable[[Group, date], Awaitable[datetime | None]]


@dataclass(frozen=True, slots=True)
class DaySpan:
    """A group's planned day: its first item's start, its last item's end, cancelled or not."""

    start: datetime
    end: datetime
    cancelled: bool = False


# the group's planned days first..last (both included) by date, in one read; a date without a
# planned day (or one with no items) is missing
DaySpans = Callable[[Group, date, date], Awaitable[Mapping[date, DaySpan]]]
# the page a meeting notification opens, in a language
NoticeUrl = Callable[[Language], str]


@dataclass(frozen=True, slots=True)
class Attendee:
    """A person on an attendance record: the stored id and the name, nothing more."""

    person_id: int
    name: str


@dataclass(frozen=True, slots=True)
class StoredAttendance:
    """What is stored for a group's days; the attendance read model derives the record."""

    clients: tuple[Attendee, ...]  # the group's clients now, in the group's order (by name)
    roll_calls: tuple[RollCall, ...]  # of the days asked, by day and number
    marks: tuple[Mark, ...]  # every mark in those roll calls
    checkouts: tuple[Checkout, ...]  # the group's check-outs on those days
    marked: tuple[Attendee, ...]  # everyone with a mark in those roll calls (guests' names)


class AttendanceSource(Protocol):
    """Reads a group's stored attendance over days (store/ implements it)."""

    async def attendance(self, group_id: int, first: date, last: date) -> StoredAttendance:
        """Everything stored for the group's days first..last (both included), at once."""
        ...


class Tapped(NamedTuple):
    """A check-in as stored: the person's mark now, the roll call's counts after it, and
    their check-out of the day when a mark was written (read in the same transaction)."""

    mark: Mark | None
    counts: dict[tuple[Status, bool], int]
    left: Checkout | None = None


class RollCallStore(AttendanceSource, Protocol):
    """Roll calls, marks, check-outs and changes (store/ implements it)."""

    async def open(
        self,
        roll_call: RollCall,
        messages: Callable[[RollCall], Sequence[OutboxMessage]] | None = None,
    ) -> tuple[RollCall, bool]: ...
    async def get(self, roll_call_id: int) -> RollCall | None: ...
    async def of_day(self, group_id: int, day: date) -> list[RollCall]: ...
    async def due_to_close(self, now: datetime) -> list[RollCall]: ...
    async def close(
        self,
        roll_call: RollCall,
        absent: Sequence[int],
        at: datetime,
        by: int | None,
        messages: Sequence[OutboxMessage] = (),
    ) -> list[int] | None: ...
    async def cancel(
        self,
        roll_call_id: int,
        at: datetime,
        by: int | None,
        messages: Sequence[OutboxMessage] = (),
    ) -> bool: ...
    async def marks(self, roll_call_id: int) -> dict[int, Mark]: ...
    async def marks_of_day(self, group_id: int, day: date) -> dict[int, dict[int, Mark]]: ...
    async def mark_of(self, roll_call_id: int, person_id: int) -> Mark | None: ...
    async def record(
        self, mark: Mark, change: Change, messages: Sequence[OutboxMessage] = ()
    ) -> bool: ...
    async def record_and_count(
        self, mark: Mark, change: Change, messages: Sequence[OutboxMessage] = ()
    ) -> dict[tuple[Status, bool], int] | None: ...
    async def counts(self, roll_call_id: int) -> dict[tuple[Status, bool], int]: ...
    async def tap(
        self,
        roll_call_id: int,
        person_id: int,
        decide: Callable[[datetime | None, Mark | None], tuple[Mark, Change] | None],
        messages: Sequence[OutboxMessage] = (),
    ) -> Tapped: ...
    async def checkout(
        self, checkout: Checkout, change: Change, messages: Sequence[OutboxMessage] = ()
    ) -> bool: ...
    async def checkouts(self, group_id: int, day: date) -> dict[int, Checkout]: ...
    async def undo_checkout(
        self,
        group_id: int,
        day: date,
        person_id: int,
        change: Change,
        messages: Sequence[OutboxMessage] = (),
    ) -> bool: ...
    async def changes(self, group_id: int, day: date) -> list[Change]: ...


class RollCallCards(Protocol):
    """Draws the roll-call cards (cards/ implements this)."""

    def shared(self, view: SharedView) -> Card: ...
    def reminder(self, language: Language, view: SharedView) -> Card: ...
