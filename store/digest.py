"""The coordinators' digest: who got the day's digest (digest_sent), and its reads.

A digest is queued once per person and day: the digest_sent row and its outbox rows are
written in one transaction.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from typing import TypeVar

from sqlalchemy import Date, ForeignKey, String, and_, func, select, union
from sqlalchemy.orm import Mapped, mapped_column

from domain.digest.model import GuideProgress, HelpItem
from domain.digest.ports import Chat
from domain.model import ConversationKind
from domain.org import Person, Role
from domain.outbox import OutboxMessage, OutboxStatus
from store.days import GroupDayRow
from store.db import Database, insert_ignoring
from store.outbox import OutboxRow, add_to_outbox
from store.repos import _person
from store.rollcall import RollCallRow
from store.tables import (
    Base,
    ConversationRow,
    MembershipRow,
    PersonRow,
    UnitRow,
    UtcDateTime,
    utcnow,
)
from store.tutorial import HelpRequestRow, TutorialProgressRow

_CHUNK = 500  # ids per IN (...) list
T = TypeVar("T")


class DigestSentRow(Base):
    """The person's digest of the day was queued (the outbox rows went in with this row)."""

    __tablename__ = "digest_sent"
    person_id: Mapped[int] = mapped_column(
        ForeignKey("people.id", ondelete="CASCADE"), primary_key=True
    )
    day: Mapped[date] = mapped_column(Date, primary_key=True)
    # per unit: units in other time zones have their digest hour at another moment
    unit_key: Mapped[str] = mapped_column(String(63), primary_key=True)
    sent_at: Mapped[datetime] = mapped_column(UtcDateTime())


def _chunks(values: Sequence[T]) -> list[Sequence[T]]:
    return [values[i : i + _CHUNK] for i in range(0, len(values), _CHUNK)]


class SqlDigestStore:
    """Implements domain.digest.ports.DigestStore."""

    def __init__(self, db: Database) -> None:
        self._db = db

    async def coordinators(self, unit_key: str) -> tuple[Person, ...]:
        """The unit's coordinators (a membership of the unit itself), by name."""
        async with self._db.read() as s:
            rows = await s.execute(
                select(PersonRow)
                .join(MembershipRow, MembershipRow.person_id == PersonRow.id)
                .join(UnitRow, UnitRow.id == MembershipRow.unit_id)
                .where(UnitRow.key == unit_key, MembershipRow.role == Role.COORDINATOR.value)
                .order_by(PersonRow.name, PersonRow.id)
            )
            return tuple(_person(r) for r in rows.scalars())

    async def unreachable_coordinators(self) -> tuple[int, ...]:
        """The person ids of coordinators without an active 1:1 chat with the bot: the digest
        cannot reach them until they write to it or the app is installed for them."""
        async with self._db.read() as s:
            chats = select(ConversationRow.person_id).where(
                ConversationRow.kind == ConversationKind.PERSONAL.value,
                ConversationRow.active.is_(True),
                ConversationRow.person_id.is_not(None),
            )
            rows = await s.execute(
                select(MembershipRow.person_id)
                .where(
                    MembershipRow.role == Role.COORDINATOR.value,
                    MembershipRow.person_id.not_in(chats),
                )
                .distinct()
                .order_by(MembershipRow.person_id)
            )
            return tuple(rows.scalars())

    async def group_days_on(self, days: Sequence[date]) -> list[tuple[int, date]]:
        """(group id, date) of the group days on these dates: a day placed (any status), or
        a roll call held (not cancelled) without one, as the reports count group days."""
        if not days:
            return []
        wanted = list(days)
        async with self._db.read() as s:
            rows = await s.execute(
                union(
                    select(GroupDayRow.group_id, GroupDayRow.date).where(
                        GroupDayRow.date.in_(wanted)
                    ),
                    select(RollCallRow.group_id, RollCallRow.day).where(
                        RollCallRow.day.in_(wanted), RollCallRow.cancelled_at.is_(None)
                    ),
                )
            )
            return [(int(g), d) for g, d in rows.all()]

    async def help_requests(
        self, group_ids: Sequence[int], since: datetime, until: datetime
    ) -> list[tuple[int, HelpItem]]:
        """(group id, request) of the groups' help requests made since..until."""
        found: list[tuple[int, HelpItem]] = []
        async with self._db.read() as s:
            for chunk in _chunks(list(group_ids)):
                rows = await s.execute(
                    select(
                        HelpRequestRow.group_id,
                        HelpRequestRow.person_id,
                        PersonRow.name,
                        HelpRequestRow.step,
                        HelpRequestRow.status,
                        HelpRequestRow.created_at,
                    )
                    .join(PersonRow, PersonRow.id == HelpRequestRow.person_id)
                    .where(
                        HelpRequestRow.group_id.in_(list(chunk)),
                        HelpRequestRow.created_at >= since,
                        HelpRequestRow.created_at < until,
                    )
                    .order_by(HelpRequestRow.created_at, HelpRequestRow.id)
                )
                found += [
                    (int(g), HelpItem(int(p), name, step, status, at))
                    for g, p, name, step, status, at in rows.all()
                ]
        return found

    async def unfinished_guides(self, person_ids: Sequence[int]) -> list[GuideProgress]:
        """These people's guides that have started and are not finished."""
        found: list[GuideProgress] = []
        async with self._db.read() as s:
            for chunk in _chunks(list(person_ids)):
                rows = await s.execute(
                    select(
                        TutorialProgressRow.person_id,
                        PersonRow.name,
                        TutorialProgressRow.started_at,
                    )
                    .join(PersonRow, PersonRow.id == TutorialProgressRow.person_id)
                    .where(
                        TutorialProgressRow.person_id.in_(list(chunk)),
                        TutorialProgressRow.started_at.is_not(None),
                        TutorialProgressRow.completed_at.is_(None),
                    )
                )
                found += [GuideProgress(int(p), name, at) for p, name, at in rows.all()]
        return found

    async def chats(self, group_id: int) -> list[Chat]:
        """The group's chat and its clients' 1:1 chats with the bot."""
        async with self._db.read() as s:
            own = await s.execute(
                select(ConversationRow.conversation_id, ConversationRow.active).where(
                    ConversationRow.group_id == group_id
                )
            )
            found = [Chat(cid, bool(active)) for cid, active in own.all()]
            personal = await s.execute(
                select(ConversationRow.conversation_id, ConversationRow.active, PersonRow.name)
                .join(PersonRow, PersonRow.id == ConversationRow.person_id)
                .join(
                    MembershipRow,
                    and_(
                        MembershipRow.person_id == ConversationRow.person_id,
                        MembershipRow.group_id == group_id,
                        MembershipRow.role == Role.CLIENT.value,
                    ),
                )
                .where(ConversationRow.kind == "personal")
            )
            found += [Chat(cid, bool(active), name) for cid, active, name in personal.all()]
        return found

    async def dead_letters(
        self, conversation_ids: Sequence[str], since: datetime, until: datetime
    ) -> dict[str, int]:
        """How many messages made since..until to each of these conversations were given up
        on (conversations with none are left out)."""
        found: dict[str, int] = {}
        async with self._db.read() as s:
            for chunk in _chunks(list(conversation_ids)):
                rows = await s.execute(
                    select(OutboxRow.conversation_id, func.count())
                    .where(
                        OutboxRow.conversation_id.in_(list(chunk)),
                        OutboxRow.status == OutboxStatus.DEAD.value,
                        OutboxRow.created_at >= since,
                        OutboxRow.created_at < until,
                    )
                    .group_by(OutboxRow.conversation_id)
                )
                found.update({cid: int(n) for cid, n in rows.all()})
        return found

    async def was_sent(self, person_id: int, day: date, unit_key: str) -> bool:
        async with self._db.read() as s:
            found = await s.execute(
                select(DigestSentRow.person_id).where(
                    DigestSentRow.person_id == person_id,
                    DigestSentRow.day == day,
                    DigestSentRow.unit_key == unit_key,
                )
            )
            return found.first() is not None

    async def mark_sent(
        self,
        person_id: int,
        day: date,
        unit_key: str,
        at: datetime,
        messages: Sequence[OutboxMessage],
    ) -> bool:
        """The digest_sent row and the cards in the outbox in one transaction, once."""
        async with self._db.write() as s:
            result = await s.execute(
                insert_ignoring(DigestSentRow, "person_id", "day", "unit_key").values(
                    person_id=person_id, day=day, unit_key=unit_key, sent_at=at
                )
            )
            if getattr(result, "rowcount", 0) != 1:
                return False
            now = utcnow()
            for message in messages:
                await add_to_outbox(s, message, now)
            return True
