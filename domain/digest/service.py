"""The coordinators' daily digest: each group day of their units on one card, sent privately
once a day at the digest's hour, or asked for at any time.

Who: a unit's coordinators see their units; admins see every unit (when they ask); nobody
else. The scheduled digest goes only to coordinators (a coordinator membership of the unit),
never to admins, instructors or clients.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Protocol
from zoneinfo import ZoneInfo

from domain.digest.model import (
    DEFAULT_ABSENT_STREAK,
    HELP_DAYS,
    TREND_WEEKS,
    DayView,
    Delivery,
    Flag,
    FlagKind,
    MoreView,
    Section,
    absent_streaks,
    falling,
    help_by_step,
    help_repeats,
    summarise,
    unfinished_guides,
    weekly_rates,
)
from domain.digest.ports import Card, DigestCards, DigestStore
from domain.errors import NotAllowed, NotFound
from domain.feedback.service import FeedbackService
from domain.model import Actor, Conversation, RoleGrant
from domain.org import Group, Language, Person, Role, Unit
from domain.outbox import OutboxMessage
from domain.ports import ConversationRepository, PersonalChats
from domain.reach import Reached, Unreachable
from domain.reconcile import DayNote
from domain.rollcall.attendance import AttendanceRecords, AttendeeRole

log = logging.getLogger(__name__)

DEFAULT_TIME = time(16, 0)


def _utcnow() -> datetime:
    return datetime.now(UTC)


class Org(Protocol):
    """The organisation as the digest reads it."""

    async def all_groups(self) -> tuple[Group, ...]: ...
    async def all_units(self) -> tuple[Unit, ...]: ...
    async def group_by_id(self, group_id: int) -> Group | None: ...
    async def grants_of(self, person_id: int) -> tuple[RoleGrant, ...]: ...


@dataclass(frozen=True, slots=True)
class DigestConfig:
    """When the digest goes out (the groups' local time) and the absence streak flagged."""

    at: time = DEFAULT_TIME
    absent_streak: int = DEFAULT_ABSENT_STREAK


def digest_key(person_id: int, day: date, unit_key: str, n: int) -> str:
    """The outbox key of the n-th card of a person's digest of a unit's day."""
    return f"digest:{person_id}:{day.isoformat()}:{unit_key}:{n}"


GroupDay = tuple[Group, date]
GraphNote = Callable[[Group, date], Awaitable[DayNote | None]]
"""What Teams' attendance report says of a group day (None: nothing to say)."""
EARLIEST = date(2000, 1, 1)  # a date asked for before this (or over a year ahead) is a typo
AHEAD = timedelta(days=366)


class DigestService:
    """Draws and sends the coordinators' digest."""

    def __init__(
        self,
        store: DigestStore,
        org: Org,
        conversations: ConversationRepository,
        records: AttendanceRecords,
        feedback: FeedbackService,
        cards: DigestCards,
        *,
        config: DigestConfig | None = None,
        clock: Callable[[], datetime] = _utcnow,
        chats: PersonalChats | None = None,
        graph_note: GraphNote | None = None,
    ) -> None:
        self._store = store
        self._org = org
        self._conversations = conversations
        self._chats = chats
        self._records = records
        self._feedback = feedback
        self.cards = cards
        self.config = config or DigestConfig()
        self._clock = clock
        # coordinators the digest could not reach today, and why (each is logged once a day)
        self._unreachable: dict[tuple[int, date], Reached] = {}
        self._graph_note = graph_note

    def now(self) -> datetime:
        """The service's clock (aware UTC)."""
        return self._clock()

    # --- who ---------------------------------------------------------------------------

    @staticmethod
    def units_of(actor: Actor) -> frozenset[str] | None:
        """The units whose digest the actor sees: None for every unit (admins)."""
        if actor.is_admin:
            return None
        units = frozenset(u.key for u in actor.units_as(Role.COORDINATOR))
        if not units:
            raise NotAllowed("digest.not_allowed")
        return units

    @staticmethod
    def _sees(units: frozenset[str] | None, group: Group) -> bool:
        return units is None or group.unit_key in units

    def _plausible(self, day: date) -> bool:
        """A date the digest can be drawn for: from EARLIEST to a year from now."""
        return EARLIEST <= day <= self.now().date() + AHEAD

    # --- drawing -----------------------------------------------------------------------

    async def _units(self) -> dict[str, Unit]:
        return {u.key: u for u in await self._org.all_units()}

    async def view(self, group: Group, unit_name: str, day: date, language: Language) -> DayView:
        """Everything the card of a group's day shows."""
        assert group.id is not None
        zone = ZoneInfo(group.timezone)
        monday = day - timedelta(days=day.weekday())
        first = min(
            monday - timedelta(weeks=TREND_WEEKS - 1),
            day - timedelta(weeks=self.config.absent_streak),
        )
        records = await self._records.days(group, first, day)
        record = records[-1]
        summary = summarise(record)
        flags: list[Flag] = absent_streaks(records, self.config.absent_streak)
        trend = weekly_rates(records, day)
        if falling(trend):
            flags.insert(0, Flag(FlagKind.FALLING))
        start = datetime.combine(day, time(0), tzinfo=zone).astimezone(UTC)
        end = datetime.combine(day + timedelta(days=1), time(0), tzinfo=zone).astimezone(UTC)
        requests = [
            r
            for _gid, r in await self._store.help_requests(
                [group.id], end - timedelta(days=HELP_DAYS), end
            )
        ]
        clients = [line.person_id for line in record.people if line.role is AttendeeRole.CLIENT]
        flags += help_repeats(requests, end)
        flags += unfinished_guides(await self._store.unfinished_guides(clients), end)
        chats = await self._store.chats(group.id)
        dead = await self._store.dead_letters([c.conversation_id for c in chats], start, end)
        delivery = Delivery(
            dead_letters=sum(dead.values()),
            not_reached=tuple(
                sorted(
                    c.person_name
                    for c in chats
                    if c.person_name is not None and c.conversation_id in dead
                )
            ),
            group_chat_removed=any(c.person_name is None and not c.active for c in chats),
            removed_from=tuple(
                sorted(c.person_name for c in chats if c.person_name is not None and not c.active)
            ),
        )
        return DayView(
            language=language,
            group_id=group.id,
            group_name=group.name,
            unit_name=unit_name,
            day=day,
            summary=summary,
            feedback=await self._feedback.summary(group, day),
            help=help_by_step(r for r in requests if start <= r.created_at < end),
            delivery=delivery,
            flags=tuple(flags),
            trend=trend,
            graph=await self._graph_note(group, day) if self._graph_note is not None else None,
        )

    async def _draw(self, days: Sequence[GroupDay], language: Language) -> list[Card]:
        units = await self._units()

        def order(item: GroupDay) -> tuple[str, str, date]:
            group, day = item
            unit = units.get(group.unit_key)
            return ((unit.name if unit else group.unit_key).casefold(), group.name.casefold(), day)

        cards: list[Card] = []
        for group, day in sorted(days, key=order):
            unit = units.get(group.unit_key)
            name = unit.name if unit is not None else group.unit_key
            cards.append(self.cards.day(await self.view(group, name, day, language)))
        return cards

    async def _group_days(self, groups: Sequence[Group], on: date | None) -> list[GroupDay]:
        """The groups' group days on a date (None: each group's local today)."""
        now = self.now()
        wanted = {
            g.id: on or now.astimezone(ZoneInfo(g.timezone)).date()
            for g in groups
            if g.id is not None
        }
        if not wanted:
            return []
        stored = set(await self._store.group_days_on(sorted(set(wanted.values()))))
        return [
            (g, wanted[g.id]) for g in groups if g.id is not None and (g.id, wanted[g.id]) in stored
        ]

    async def for_actor(
        self, actor: Actor, language: Language, on: date | None = None
    ) -> list[Card]:
        """`digest` [date]: the cards of the day's group days of the actor's units (today
        unless a date is given); one card saying there were none otherwise."""
        units = self.units_of(actor)
        if on is not None and not self._plausible(on):
            raise NotAllowed("digest.bad_date")
        groups = [g for g in await self._org.all_groups() if self._sees(units, g)]
        days = await self._group_days(groups, on)
        if not days:
            today = on or (
                self.now().astimezone(ZoneInfo(groups[0].timezone)).date()
                if groups
                else self.now().date()
            )
            return [self.cards.nothing(language, today)]
        return await self._draw(days, language)

    async def more(
        self, actor: Actor, group_id: int, day: date, section: Section, language: Language
    ) -> list[Card]:
        """ "Show all": one list of a group day's card in full, over as many cards as needed.
        The group, day and section come from a card: the group is checked against the actor's
        units here."""
        units = self.units_of(actor)
        group = await self._org.group_by_id(group_id)
        if group is None or not self._sees(units, group) or not self._plausible(day):
            raise NotFound("digest.unknown")
        unit = (await self._units()).get(group.unit_key)
        view = await self.view(group, unit.name if unit else group.unit_key, day, language)
        return self.cards.more(MoreView(view, section))

    async def send_privately(
        self, person: Person, via: Conversation, key: str, cards: Sequence[Card]
    ) -> bool:
        """Cards asked for in a group chat go to the asker's 1:1 chat; False if unreachable."""
        for n, card in enumerate(cards):
            if not await self._feedback.send_privately(person, via, f"{key}:{n}", card):
                return False
        return True

    # --- the schedule ------------------------------------------------------------------

    async def due(self) -> dict[str, list[GroupDay]]:
        """The units whose groups had a group day today and whose digest hour has come."""
        now = self.now()
        groups = await self._org.all_groups()
        local = {g.id: now.astimezone(ZoneInfo(g.timezone)) for g in groups if g.id is not None}
        ready = [g for g in groups if g.id is not None and local[g.id].time() >= self.config.at]
        if not ready:
            return {}
        days = {local[g.id].date() for g in ready if g.id is not None}
        stored = set(await self._store.group_days_on(sorted(days)))
        found: dict[str, list[GroupDay]] = {}
        for group in ready:
            assert group.id is not None
            today = local[group.id].date()
            if (group.id, today) in stored:
                found.setdefault(group.unit_key, []).append((group, today))
        return found

    async def send_due(self) -> int:
        """Each coordinator of a unit with a group day today gets the digest once, after the
        digest hour (the leader's periodic job; a late start still sends it that day).
        Returns how many people's digests were queued."""
        due = await self.due()
        if not due:
            return 0
        sent = 0
        for unit_key in sorted(due):
            for person in await self._store.coordinators(unit_key):
                if await self._send_unit(person, unit_key, due[unit_key]):
                    sent += 1
        return sent

    async def _reach(self, person: Person, days: list[GroupDay], *, open_new: bool) -> Reached:
        """The coordinator's 1:1 chat; when there is none (and open_new), one opened through a
        chat of the unit's groups (the app installed for them first where that is configured).

        A chat Teams stopped delivering to (the app removed or blocked) is not opened again.
        """
        assert person.id is not None
        chat = await self._conversations.personal_for(person.id)
        if chat is not None:
            return Reached(chat) if chat.active else Reached(None, Unreachable.NOT_INSTALLED)
        if self._chats is None or not open_new:
            return Reached(None, Unreachable.NO_TEAMS_ID)
        tried = Reached(None, Unreachable.NO_TEAMS_ID)
        for group, _day in days:
            assert group.id is not None
            via = await self._conversations.bound_to(group.id)
            if via is None or not via.active:
                continue
            tried = await self._chats.reach(person, via)
            if tried.ok or tried.why is not Unreachable.NO_ANSWER:
                return tried
        return tried

    async def _send_unit(self, person: Person, unit_key: str, days: list[GroupDay]) -> bool:
        """A coordinator's digest of one unit's group days, once (a unit in another time zone
        has its own, at its own hour). False when already sent or the person is unreachable."""
        assert person.id is not None
        person_id = person.id
        day = max(d for _g, d in days)
        if await self._store.was_sent(person_id, day, unit_key):
            return False
        # opening a chat is tried once a day (again while the failure may pass): the job runs
        # every minute, and a chat the person opens later is found all the same
        tried = self._unreachable.get((person_id, day))
        open_new = tried is None or tried.passing
        reached = await self._reach(person, days, open_new=open_new)
        chat = reached.conversation
        if chat is None:
            if open_new:
                self._unreachable[(person_id, day)] = reached
            if tried is None:
                log.warning(
                    "digest: coordinator %s cannot be reached in a 1:1 chat: %s%s",
                    person_id,
                    reached.why.value if reached.why else "unknown",
                    f" ({reached.problem.value})" if reached.problem else "",
                )
            return False
        for group, on in days:
            await self._feedback.close(group, on)
        # the person's own language, the same for every unit's digest
        language = Actor(person, await self._org.grants_of(person_id)).language()
        cards = await self._draw(days, language)
        messages = [
            OutboxMessage(
                key=digest_key(person_id, day, unit_key, n),
                conversation_id=chat.conversation_id,
                card=card,
            )
            for n, card in enumerate(cards)
        ]
        return await self._store.mark_sent(person_id, day, unit_key, self.now(), messages)
