"""Ports: what the digest reads from storage (store/digest.py) and how its cards are drawn
(cards/digest.py)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, Protocol

from domain.digest.model import DayView, GuideProgress, HelpItem, MoreView
from domain.org import Group, Language, Person
from domain.outbox import OutboxMessage

Card = dict[str, Any]


@dataclass(frozen=True, slots=True)
class Chat:
    """A conversation of a group: its group chat (person None) or a client's 1:1 chat."""

    conversation_id: str
    active: bool
    person_name: str | None = None


class DigestStore(Protocol):
    """The digest's reads, and the one write that sends it once (store/digest.py)."""

    async def coordinators(self, unit_key: str) -> tuple[Person, ...]:
        """The people with a coordinator membership of the unit (unit scope), by name."""
        ...

    async def group_days_on(self, days: Sequence[date]) -> list[tuple[int, date]]:
        """(group id, date) of every group day on one of these dates: a day placed (any
        status), or a roll call held (not cancelled) without one."""
        ...

    async def help_requests(
        self, group_ids: Sequence[int], since: datetime, until: datetime
    ) -> list[tuple[int, HelpItem]]:
        """(group id, request) of the groups' help requests made since..until."""
        ...

    async def unfinished_guides(self, person_ids: Sequence[int]) -> list[GuideProgress]:
        """These people's guides that have started and are not finished."""
        ...

    async def chats(self, group_id: int) -> list[Chat]:
        """The group's chat and its clients' 1:1 chats with the bot."""
        ...

    async def dead_letters(
        self, conversation_ids: Sequence[str], since: datetime, until: datetime
    ) -> dict[str, int]:
        """How many messages made since..until to each of these conversations were given up
        on (conversations with none are left out)."""
        ...

    async def was_sent(self, person_id: int, day: date, unit_key: str) -> bool:
        """The person's digest of the unit's day has been queued."""
        ...

    async def mark_sent(
        self,
        person_id: int,
        day: date,
        unit_key: str,
        at: datetime,
        messages: Sequence[OutboxMessage],
    ) -> bool:
        """Record the unit's digest of the day as sent to the person and queue its cards, in
        one transaction and once (False: it had been, nothing queued)."""
        ...


class DigestCards(Protocol):
    """Draws the digest's cards."""

    def day(self, view: DayView) -> Card: ...
    def more(self, view: MoreView) -> list[Card]: ...
    def nothing(self, language: Language, day: date) -> Card: ...


__all__ = ["Card", "Chat", "DigestCards", "DigestStore", "Group"]
