"""RollCallService (domain/rollcall/service.py) over in-memory ports and the real card renderer.

The store fake yields to the event loop before it reads and before it writes, so taps run with
asyncio.gather really interleave: two taps read the same (missing) mark, and the compare-and-set
on Mark.version with one mark per (roll call, person) decides which one is recorded.
"""

from __future__ import annotations

import asyncio
import json
import random
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, timedelta

import pytest

from cards.payload import CardAction, parse_action
from cards.rollcall import HERE_VERB, REFRESH_VERB, REMIND_VERB, RollCallCardRenderer
from dialogs import rollcall as rollcall_dialogs
from dialogs.context import Context, Services
from dialogs.state import StateAccess
from dialogs.turn import Turn, TurnKind
from domain.binding import Binder
from domain.directory import Directory
from domain.errors import DomainError, NotAllowed, NotFound
from domain.i18n import CATALOGS, placeholders, text
from domain.meetings import MeetingRole
from domain.model import Actor, Conversation, ConversationKind, RoleGrant, TeamsUser
from domain.org import Group, Language, Person, Role, Unit
from domain.outbox import OutboxMessage
from domain.reach import NotReached, Reached, Unreachable
from domain.rollcall.attendance import AttendeeRole
from domain.rollcall.messages import RENDER_PREFIX, card_key, render_key
from domain.rollcall.model import (
    Change,
    Checkout,
    FullDayRule,
    Mark,
    Reason,
    RollCall,
    Status,
)
from domain.rollcall.ports import Attendee, StoredAttendance, Tapped
from domain.rollcall.service import RollCallService, RollCallSettings
from domain.rollcall.views import Count, Reminded
from tests.fakes.memory import (
    FakeConversationRepository,
    FakeGroupListing,
    FakeOrgRepository,
    FakeStateRepository,
)

T0 = datetime(2026, 3, 5, 7, 0, tzinfo=UTC)  # 9.00 in Helsinki
DAY = date(2026, 3, 5)
DAY_END = datetime(2026, 3, 5, 12, 0, tzinfo=UTC)  # 14.00 in Helsinki
GRACE = timedelta(minutes=10)
OPEN_FOR = timedelta(minutes=30)
NOTICE_URL = "https://bot.example/rollcall/notice"
WHY = "kertoi puhelimessa"  # an instructor's reason for a correction


# --- fakes -----------------------------------------------------------------------------------


class MemoryOutbox:
    """Outbox messages by key; a key is accepted once."""

    def __init__(self) -> None:
        self.messages: dict[str, OutboxMessage] = {}

    def add(self, message: OutboxMessage) -> bool:
        if message.key in self.messages:
            return False
        self.messages[message.key] = message
        return True

    async def enqueue(self, message: OutboxMessage) -> bool:
        await asyncio.sleep(0)
        return self.add(message)

    def to(self, conversation_id: str) -> list[OutboxMessage]:
        return [m for m in self.messages.values() if m.conversation_id == conversation_id]

    def refreshes(self, roll_call_id: int) -> list[OutboxMessage]:
        return [m for m in self.messages.values() if m.update_of == card_key(roll_call_id)]


class MemoryRollCallStore:
    """RollCallStore in dicts: one mark per (roll call, person), compare-and-set on versions.

    Every method yields first and then does its check and its writes without awaiting, which
    is what one database transaction gives.
    """

    def __init__(self, outbox: MemoryOutbox, people: MemoryPeople) -> None:
        self.outbox = outbox
        self.people = people
        self.roll_calls: dict[int, RollCall] = {}
        self.mark_rows: dict[tuple[int, int], Mark] = {}
        self.checkout_rows: dict[tuple[int, date, int], Checkout] = {}
        self.change_rows: list[Change] = []
        self.conflicts = 0

    def _add(self, messages: Sequence[OutboxMessage]) -> None:
        for message in messages:
            self.outbox.add(message)

    def _change(self, change: Change) -> None:
        self.change_rows.append(replace(change, id=len(self.change_rows) + 1))

    async def open(
        self,
        roll_call: RollCall,
        messages: Callable[[RollCall], Sequence[OutboxMessage]] | None = None,
    ) -> tuple[RollCall, bool]:
        await asyncio.sleep(0)
        same_day = [
            r
            for r in self.roll_calls.values()
            if r.group_id == roll_call.group_id and r.day == roll_call.day
        ]
        current = next((r for r in same_day if r.is_open), None)
        if current is not None:
            return current, False
        opened = replace(roll_call, id=len(self.roll_calls) + 1, number=len(same_day) + 1)
        made = list(messages(opened)) if messages is not None else []
        assert opened.id is not None
        self.roll_calls[opened.id] = opened
        self._add(made)
        return opened, True

    async def get(self, roll_call_id: int) -> RollCall | None:
        await asyncio.sleep(0)
        return self.roll_calls.get(roll_call_id)

    async def of_day(self, group_id: int, day: date) -> list[RollCall]:
        await asyncio.sleep(0)
        found = [r for r in self.roll_calls.values() if r.group_id == group_id and r.day == day]
        return sorted(found, key=lambda r: r.number)

    async def due_to_close(self, now: datetime) -> list[RollCall]:
        await asyncio.sleep(0)
        return [
            r
            for r in self.roll_calls.values()
            if r.is_open and r.closes_at is not None and r.closes_at <= now
        ]

    async def close(
        self,
        roll_call: RollCall,
        absent: Sequence[int],
        at: datetime,
        by: int | None,
        messages: Sequence[OutboxMessage] = (),
    ) -> list[int] | None:
        await asyncio.sleep(0)
        assert roll_call.id is not None
        stored = self.roll_calls[roll_call.id]
        if not stored.is_open:
            return None
        self.roll_calls[roll_call.id] = replace(stored, closed_at=at)
        marked: list[int] = []
        for pid in absent:
            if (roll_call.id, pid) in self.mark_rows:
                continue
            self.mark_rows[(roll_call.id, pid)] = Mark(
                roll_call.id, pid, Status.ABSENT, at, version=1
            )
            self._change(
                Change(
                    group_id=roll_call.group_id,
                    day=roll_call.day,
                    person_id=pid,
                    roll_call_id=roll_call.id,
                    at=at,
                    after=Status.ABSENT,
                    by=by,
                )
            )
            marked.append(pid)
        self._add(messages)
        return sorted(marked)

    async def cancel(
        self,
        roll_call_id: int,
        at: datetime,
        by: int | None,
        messages: Sequence[OutboxMessage] = (),
    ) -> bool:
        await asyncio.sleep(0)
        stored = self.roll_calls[roll_call_id]
        if stored.is_cancelled:
            return False
        self.roll_calls[roll_call_id] = replace(
            stored, cancelled_at=at, cancelled_by=by, closed_at=stored.closed_at or at
        )
        self._add(messages)
        return True

    async def marks(self, roll_call_id: int) -> dict[int, Mark]:
        await asyncio.sleep(0)
        return {p: m for (rc, p), m in self.mark_rows.items() if rc == roll_call_id}

    async def marks_of_day(self, group_id: int, day: date) -> dict[int, dict[int, Mark]]:
        await asyncio.sleep(0)
        found: dict[int, dict[int, Mark]] = {}
        for (rc, pid), mark in self.mark_rows.items():
            roll_call = self.roll_calls[rc]
            if roll_call.group_id == group_id and roll_call.day == day:
                found.setdefault(rc, {})[pid] = mark
        return found

    async def mark_of(self, roll_call_id: int, person_id: int) -> Mark | None:
        await asyncio.sleep(0)
        return self.mark_rows.get((roll_call_id, person_id))

    async def record(
        self, mark: Mark, change: Change, messages: Sequence[OutboxMessage] = ()
    ) -> bool:
        return await self.record_and_count(mark, change, messages) is not None

    async def record_and_count(
        self, mark: Mark, change: Change, messages: Sequence[OutboxMessage] = ()
    ) -> dict[tuple[Status, bool], int] | None:
        await asyncio.sleep(0)
        key = (mark.roll_call_id, mark.person_id)
        current = self.mark_rows.get(key)
        if (current.version if current is not None else 0) != mark.version:
            self.conflicts += 1
            return None
        self.mark_rows[key] = replace(mark, version=mark.version + 1)
        self._change(change)
        self._add(messages)
        return self._counts(mark.roll_call_id)

    async def tap(
        self,
        roll_call_id: int,
        person_id: int,
        decide: Callable[[datetime | None, Mark | None], tuple[Mark, Change] | None],
        messages: Sequence[OutboxMessage] = (),
    ) -> Tapped:
        """One transaction whose statements interleave with other taps' (as on PostgreSQL)."""
        await asyncio.sleep(0)
        key = (roll_call_id, person_id)
        if self.roll_calls[roll_call_id].is_cancelled:
            return Tapped(self.mark_rows.get(key), self._counts(roll_call_id))
        written = False
        closed_at = self.roll_calls[roll_call_id].closed_at
        current: Mark | None = None
        guessed = True  # like the real store: insert first, read when someone was first
        for _ in range(3):
            decided = decide(closed_at, current)
            if decided is None:
                if guessed:
                    await asyncio.sleep(0)
                    current, guessed = self.mark_rows.get(key), False
                    continue
                break
            mark, change = decided
            await asyncio.sleep(0)  # the insert or update is one statement
            stored = self.mark_rows.get(key)
            if (stored.version if stored is not None else 0) == mark.version:
                current = replace(mark, version=mark.version + 1)
                self.mark_rows[key] = current
                self._change(change)
                self._add(messages)
                written = True
                break
            self.conflicts += 1
            await asyncio.sleep(0)
            current, guessed = self.mark_rows.get(key), False
        left = None
        if written:
            rc = self.roll_calls[roll_call_id]
            left = self.checkout_rows.get((rc.group_id, rc.day, person_id))
        return Tapped(current, self._counts(roll_call_id), left)

    def _counts(self, roll_call_id: int) -> dict[tuple[Status, bool], int]:
        return dict(
            Counter(
                (m.status, m.guest) for (rc, _), m in self.mark_rows.items() if rc == roll_call_id
            )
        )

    async def counts(self, roll_call_id: int) -> dict[tuple[Status, bool], int]:
        await asyncio.sleep(0)
        return self._counts(roll_call_id)

    async def checkout(
        self, checkout: Checkout, change: Change, messages: Sequence[OutboxMessage] = ()
    ) -> bool:
        await asyncio.sleep(0)
        key = (checkout.group_id, checkout.day, checkout.person_id)
        if key in self.checkout_rows:
            return False
        self.checkout_rows[key] = checkout
        self._change(change)
        self._add(messages)
        return True

    async def undo_checkout(
        self,
        group_id: int,
        day: date,
        person_id: int,
        change: Change,
        messages: Sequence[OutboxMessage] = (),
    ) -> bool:
        await asyncio.sleep(0)
        if self.checkout_rows.pop((group_id, day, person_id), None) is None:
            return False
        self._change(change)
        self._add(messages)
        return True

    async def checkouts(self, group_id: int, day: date) -> dict[int, Checkout]:
        await asyncio.sleep(0)
        return {p: c for (g, d, p), c in self.checkout_rows.items() if g == group_id and d == day}

    async def changes(self, group_id: int, day: date) -> list[Change]:
        await asyncio.sleep(0)
        found = [c for c in self.change_rows if c.group_id == group_id and c.day == day]
        return sorted(found, key=lambda c: (c.at, c.id or 0))

    async def attendance(self, group_id: int, first: date, last: date) -> StoredAttendance:
        await asyncio.sleep(0)
        clients = await self.people.people_in_group(group_id, Role.CLIENT)
        calls = sorted(
            (r for r in self.roll_calls.values() if r.group_id == group_id),
            key=lambda r: (r.day, r.number),
        )
        calls = [r for r in calls if first <= r.day <= last]
        ids = {r.id for r in calls}
        marks = tuple(m for (rc, _), m in self.mark_rows.items() if rc in ids)
        named = {m.person_id: self.people.people.get(m.person_id) for m in marks}
        return StoredAttendance(
            clients=tuple(Attendee(p.id or 0, p.name) for p in clients),
            roll_calls=tuple(calls),
            marks=marks,
            checkouts=tuple(
                c
                for (g, d, _), c in self.checkout_rows.items()
                if g == group_id and first <= d <= last
            ),
            marked=tuple(Attendee(pid, p.name) for pid, p in sorted(named.items()) if p),
        )

    def changes_of(self, roll_call_id: int) -> list[Change]:
        return [c for c in self.change_rows if c.roll_call_id == roll_call_id]


class MemoryPeople:
    """People, groups and memberships (People port); grants make the Actor."""

    def __init__(self, *groups: Group) -> None:
        self.people: dict[int, Person] = {}
        self.groups = {g.id: g for g in groups}
        self.members: list[tuple[int, int, Role]] = []
        self.other_grants: dict[int, list[RoleGrant]] = {}

    def add(self, person: Person, *roles: tuple[Group, Role]) -> Person:
        assert person.id is not None
        self.people[person.id] = person
        for group, role in roles:
            assert group.id is not None
            self.members.append((person.id, group.id, role))
        return person

    def grant(self, person: Person, grant: RoleGrant) -> None:
        assert person.id is not None
        self.people[person.id] = person
        self.other_grants.setdefault(person.id, []).append(grant)

    def actor(self, person: Person) -> Actor:
        grants = tuple(
            RoleGrant(role, group=self.groups[g]) for p, g, role in self.members if p == person.id
        )
        others = tuple(self.other_grants.get(person.id or 0, []))
        return Actor(person=person, grants=grants + others)

    async def person_by_id(self, person_id: int) -> Person | None:
        return self.people.get(person_id)

    async def group_by_id(self, group_id: int) -> Group | None:
        return self.groups.get(group_id)

    async def people_in_group(self, group_id: int, role: Role) -> tuple[Person, ...]:
        return tuple(self.people[p] for p, g, r in self.members if g == group_id and r is role)


class MemoryChats:
    """Opens a 1:1 chat for anyone with a Teams id (PersonalChats port)."""

    def __init__(self, conversations: FakeConversationRepository) -> None:
        self._conversations = conversations
        self.opened: list[int] = []

    async def open(self, person: Person, via: Conversation) -> Conversation | None:
        if not person.teams_id or person.id is None:
            return None
        self.opened.append(person.id)
        return await self._conversations.remember(personal(f"a:opened:{person.id}", person.id))

    async def reach(self, person: Person, via: Conversation) -> Reached:
        chat = await self.open(person, via)
        return Reached(chat) if chat is not None else Reached(None, Unreachable.NO_TEAMS_ID)


class FakeMeetingRoles:
    """Answers configured roles by AAD object id, and counts the lookups."""

    def __init__(self) -> None:
        self.roles: dict[str, MeetingRole] = {}
        self.calls: list[tuple[str, str]] = []

    async def role_of(self, conversation: Conversation, aad_object_id: str) -> MeetingRole | None:
        self.calls.append((conversation.conversation_id, aad_object_id))
        return self.roles.get(aad_object_id)


class Clock:
    """A clock that stands still until a test moves it."""

    def __init__(self) -> None:
        self.now = T0

    def __call__(self) -> datetime:
        return self.now

    def move(self, by: timedelta) -> datetime:
        self.now += by
        return self.now


def personal(conversation_id: str, person_id: int) -> Conversation:
    return Conversation(
        conversation_id, ConversationKind.PERSONAL, "https://smba.example/", {}, person_id=person_id
    )


def group_conversation(
    conversation_id: str, kind: ConversationKind, group_id: int | None
) -> Conversation:
    return Conversation(
        conversation_id,
        kind,
        "https://smba.example/",
        {},
        meeting_id="meeting-1" if kind is ConversationKind.MEETING else None,
        group_id=group_id,
    )


# --- the world -------------------------------------------------------------------------------

IT = Group(key="it-ryhma", unit_key="it", name="IT-ryhmä", id=10)
SEWING = Group(key="ompelimo", unit_key="textile", name="Ompelimo", id=20, language=Language.SV)
BIG = Group(key="iso", unit_key="it", name="Iso ryhmä", id=30)
IT_UNIT = Unit(key="it", name="IT-paja", id=1)
TEXTILE_UNIT = Unit(key="textile", name="Tekstiilipaja", id=2)

CHAT = group_conversation("19:it@thread.v2", ConversationKind.GROUP_CHAT, IT.id)
MEETING = group_conversation("19:meeting_it@thread.v2", ConversationKind.MEETING, IT.id)
SEWING_MEETING = group_conversation("19:meeting_om@thread.v2", ConversationKind.MEETING, SEWING.id)
UNBOUND_MEETING = group_conversation("19:meeting_x@thread.v2", ConversationKind.MEETING, None)
UNBOUND_CHAT = group_conversation("19:x@thread.v2", ConversationKind.GROUP_CHAT, None)
BIG_CHAT = group_conversation("19:big@thread.v2", ConversationKind.GROUP_CHAT, BIG.id)

MAIJA = Person("Maija Virtanen", aad_object_id="aad-maija", teams_id="29:maija", id=1)
TUULA = Person("Tuula Salo", teams_id="29:tuula", id=2)  # no 1:1 chat yet
JOHAN = Person("Johan Lindqvist", aad_object_id="aad-johan", teams_id="29:johan", id=3)
KAISA = Person("Kaisa Koordinaattori", id=4)  # coordinator of the IT unit
AINO = Person("Aino Admin", id=5)
MERVI = Person("Mervi Meeting", aad_object_id="aad-mervi", teams_id="29:mervi", id=6)
TEKLA = Person("Tekla Tekstiili", id=7)  # coordinator of another unit
JARI = Person("Jari Mäkinen", aad_object_id="aad-jari", teams_id="29:jari", id=11)
SARI = Person("Sari Heikkinen", teams_id="29:sari", language=Language.EN, id=12)  # no chat yet
ERKKI = Person("Erkki Esimerkki", id=13)  # no Teams id, no chat: unreachable
ERKKI_UNREACHED = NotReached(ERKKI.name, Unreachable.NO_TEAMS_ID)
SARA = Person("Sara Lind", teams_id="29:sara", id=14)
GUSTAV = Person("Gustav Gäst", teams_id="29:gustav", id=21)  # a client of the other group
CLIENTS = (JARI, SARI, ERKKI, SARA)
BIG_CLIENTS = tuple(
    Person(f"Asiakas {i:02d}", teams_id=f"29:big{i}", id=100 + i) for i in range(50)
)


@dataclass
class World:
    service: RollCallService
    store: MemoryRollCallStore
    outbox: MemoryOutbox
    people: MemoryPeople
    conversations: FakeConversationRepository
    chats: MemoryChats
    meetings: FakeMeetingRoles
    clock: Clock

    def actor(self, person: Person) -> Actor:
        return self.people.actor(person)

    async def open(self, conversation: Conversation = CHAT) -> RollCall:
        roll_call, opened = await self.service.start(self.actor(MAIJA), conversation)
        assert opened
        return roll_call

    async def tap(self, person: Person, roll_call: RollCall) -> Mark | None:
        assert roll_call.id is not None
        view = await self.service.tap(self.actor(person), roll_call.id, Language.FI)
        return view.mark

    async def fresh(self, roll_call: RollCall) -> RollCall:
        assert roll_call.id is not None
        found = await self.store.get(roll_call.id)
        assert found is not None
        return found


def make_world(rule: FullDayRule = FullDayRule.FIRST_AND_LAST) -> World:
    people = MemoryPeople(IT, SEWING, BIG)
    people.add(MAIJA, (IT, Role.INSTRUCTOR))
    people.add(TUULA, (IT, Role.INSTRUCTOR))
    people.add(JOHAN, (SEWING, Role.INSTRUCTOR))
    people.grant(KAISA, RoleGrant(Role.COORDINATOR, unit=IT_UNIT))
    people.grant(TEKLA, RoleGrant(Role.COORDINATOR, unit=TEXTILE_UNIT))
    people.grant(AINO, RoleGrant(Role.ADMIN))
    people.add(MERVI)
    for client in CLIENTS:
        people.add(client, (IT, Role.CLIENT))
    people.add(GUSTAV, (SEWING, Role.CLIENT))
    for client in BIG_CLIENTS:
        people.add(client, (BIG, Role.CLIENT))
    conversations = FakeConversationRepository(
        personal("a:maija", MAIJA.id or 0),
        personal("a:jari", JARI.id or 0),
        personal("a:sara", SARA.id or 0),
        CHAT,
        MEETING,
        SEWING_MEETING,
        UNBOUND_MEETING,
        UNBOUND_CHAT,
        BIG_CHAT,
    )
    outbox = MemoryOutbox()
    store = MemoryRollCallStore(outbox, people)
    chats = MemoryChats(conversations)
    meetings = FakeMeetingRoles()
    clock = Clock()

    async def instructor_ids(group_id: int) -> tuple[str, ...]:
        found = await people.people_in_group(group_id, Role.INSTRUCTOR)
        return tuple(p.teams_id for p in found if p.teams_id)

    async def day_end(group: Group, day: date) -> datetime | None:
        return DAY_END if day == DAY else None

    service = RollCallService(
        store,
        people,
        conversations,
        meetings,
        chats,
        RollCallCardRenderer(),
        outbox,
        instructor_teams_ids=instructor_ids,
        day_end=day_end,
        settings=RollCallSettings(grace=GRACE, open_for=OPEN_FOR, rule=rule),
        clock=clock,
        notice_url=lambda language: f"{NOTICE_URL}?lang={language.value}",
    )
    return World(service, store, outbox, people, conversations, chats, meetings, clock)


@pytest.fixture
def world() -> World:
    return make_world()


# --- who may run a roll call -------------------------------------------------------------------

MAY_RUN = {
    # name: (person, conversation, aad, meeting role of that aad, allowed, lookups)
    "stored instructor, group chat": (MAIJA, CHAT, "aad-maija", None, True, 0),
    "stored instructor, meeting attendee": (MAIJA, MEETING, "aad-maija", "Attendee", True, 0),
    "stored instructor, no conversation": (MAIJA, None, None, None, True, 0),
    "admin": (AINO, CHAT, None, None, True, 0),
    # a Teams meeting role never grants a role of ours (every attendee may present by default)
    "meeting organizer": (MERVI, MEETING, "aad-mervi", "Organizer", False, 0),
    "meeting presenter": (MERVI, MEETING, "aad-mervi", "Presenter", False, 0),
    "client, meeting presenter": (JARI, MEETING, "aad-jari", "Presenter", False, 0),
    "meeting attendee": (MERVI, MEETING, "aad-mervi", "Attendee", False, 0),
    "not in the meeting": (MERVI, MEETING, "aad-mervi", None, False, 0),
    "organizer without an aad": (MERVI, MEETING, None, "Organizer", False, 0),
    "organizer, but in a group chat": (MERVI, CHAT, "aad-mervi", "Organizer", False, 0),
    "organizer of another group's meeting": (
        MERVI,
        SEWING_MEETING,
        "aad-mervi",
        "Organizer",
        False,
        0,
    ),
    "organizer of an unbound meeting": (MERVI, UNBOUND_MEETING, "aad-mervi", "Organizer", False, 0),
    "other group's instructor": (JOHAN, CHAT, "aad-johan", None, False, 0),
    "other group's instructor, meeting attendee": (
        JOHAN,
        MEETING,
        "aad-johan",
        "Attendee",
        False,
        0,
    ),
    "client": (JARI, CHAT, "aad-jari", None, False, 0),
    "client, meeting attendee": (JARI, MEETING, "aad-jari", "Attendee", False, 0),
    "coordinator": (KAISA, CHAT, None, None, False, 0),
}


@pytest.mark.parametrize("name", list(MAY_RUN))
async def test_who_may_run_a_roll_call(world: World, name: str) -> None:
    person, conversation, aad, role, allowed, lookups = MAY_RUN[name]
    if aad is not None and role is not None:
        world.meetings.roles[aad] = MeetingRole(role)
    result = await world.service.may_run(world.actor(person), IT, conversation, aad)
    assert result is allowed
    assert len(world.meetings.calls) == lookups


async def test_a_refused_organizer_is_told_how_to_become_the_instructor(world: World) -> None:
    world.meetings.roles["aad-mervi"] = MeetingRole.ORGANIZER
    with pytest.raises(NotAllowed) as refused:
        await world.service.start(world.actor(MERVI), MEETING, "aad-mervi")
    assert refused.value.key == "rollcall.not_allowed.organizer"
    assert refused.value.params == {"group": IT.name}
    world.meetings.roles["aad-mervi"] = MeetingRole.PRESENTER  # roles change: asked each time
    with pytest.raises(NotAllowed) as refused:
        await world.service.start(world.actor(MERVI), MEETING, "aad-mervi")
    assert refused.value.key == "rollcall.not_allowed"
    assert world.meetings.calls == [(MEETING.conversation_id, "aad-mervi")] * 2
    assert world.store.roll_calls == {}
    assert world.outbox.messages == {}


@pytest.mark.parametrize("person", [JARI, JOHAN, KAISA, MERVI], ids=lambda p: p.name)
async def test_start_is_refused_for_others_and_nothing_is_opened(
    world: World, person: Person
) -> None:
    with pytest.raises(NotAllowed):
        await world.service.start(world.actor(person), CHAT, person.aad_object_id)
    assert world.store.roll_calls == {}
    assert world.outbox.messages == {}


@pytest.mark.parametrize("role", list(MeetingRole))
async def test_no_meeting_role_opens_closes_or_reminds(world: World, role: MeetingRole) -> None:
    roll_call = await world.open()
    world.meetings.roles["aad-jari"] = role
    client = world.actor(JARI)
    for attempt in (
        world.service.start(client, MEETING, "aad-jari"),
        world.service.close(client, roll_call, IT, MEETING, "aad-jari"),
        world.service.remind(client, roll_call, IT, MEETING, "aad-jari"),
    ):
        with pytest.raises(NotAllowed):
            await attempt
    assert (await world.fresh(roll_call)).is_open
    assert world.store.mark_rows == {}
    assert [m.key for m in world.outbox.messages.values()] == [card_key(roll_call.id or 0)]


async def test_close_remind_and_correct_are_refused_for_a_client(world: World) -> None:
    roll_call = await world.open()
    client = world.actor(JARI)
    with pytest.raises(NotAllowed):
        await world.service.close(client, roll_call, IT, CHAT, "aad-jari")
    with pytest.raises(NotAllowed):
        await world.service.remind(client, roll_call, IT, CHAT, "aad-jari")
    with pytest.raises(NotAllowed):
        await world.service.correct(client, roll_call, IT, SARI.id or 0, Status.PRESENT, note=WHY)
    assert (await world.fresh(roll_call)).is_open
    assert world.store.mark_rows == {}
    assert world.store.change_rows == []
    assert [m.key for m in world.outbox.messages.values()] == [card_key(roll_call.id or 0)]


# --- opening ---------------------------------------------------------------------------------


async def test_start_opens_a_roll_call_with_its_card_in_the_outbox(world: World) -> None:
    roll_call, opened = await world.service.start(world.actor(MAIJA), CHAT)
    assert opened
    assert roll_call.id is not None
    assert roll_call.group_id == IT.id
    assert roll_call.day == DAY
    assert roll_call.number == 1
    assert roll_call.conversation_id == CHAT.conversation_id
    assert roll_call.opened_at == T0
    assert roll_call.grace == GRACE
    assert roll_call.closes_at == T0 + OPEN_FOR
    assert roll_call.opened_by == MAIJA.id
    assert roll_call.is_open
    card = world.outbox.messages[card_key(roll_call.id)]
    assert card.conversation_id == CHAT.conversation_id
    assert card.render == render_key(roll_call.id)
    assert card.update_of is None


async def test_start_returns_the_open_roll_call_instead_of_a_second(world: World) -> None:
    first, _ = await world.service.start(world.actor(MAIJA), CHAT)
    world.clock.move(timedelta(minutes=3))
    again, opened = await world.service.start(world.actor(TUULA), CHAT)
    assert opened is False
    assert again == first
    assert len(world.store.roll_calls) == 1
    assert len(world.outbox.messages) == 1


async def test_the_plans_check_in_opens_one_without_an_actor(world: World) -> None:
    roll_call, opened = await world.service.start(None, CHAT)
    assert opened
    assert roll_call.opened_by is None


async def test_after_closing_the_next_roll_call_gets_the_next_number(world: World) -> None:
    first = await world.open()
    await world.service.close(world.actor(MAIJA), first, IT)
    world.clock.move(timedelta(hours=4))
    second = await world.open()
    assert (first.number, second.number) == (1, 2)
    assert second.id != first.id
    assert card_key(second.id or 0) in world.outbox.messages


@pytest.mark.parametrize("conversation", [UNBOUND_CHAT, UNBOUND_MEETING], ids=["chat", "meeting"])
async def test_start_needs_a_bound_conversation(world: World, conversation: Conversation) -> None:
    with pytest.raises(NotFound) as raised:
        await world.service.start(world.actor(AINO), conversation)
    assert raised.value.key == "rollcall.not_bound"


# --- taps ------------------------------------------------------------------------------------


async def test_fifty_clients_tapping_at_once_are_recorded_once_each(world: World) -> None:
    roll_call, _ = await world.service.start(None, BIG_CHAT)
    assert roll_call.id is not None
    world.clock.move(timedelta(minutes=2))
    tappers = [*BIG_CLIENTS, *BIG_CLIENTS[:20], *BIG_CLIENTS[::7]]  # double taps, redeliveries
    random.Random(5).shuffle(tappers)
    views = await asyncio.gather(
        *(world.service.tap(world.actor(p), roll_call.id, Language.FI) for p in tappers)
    )
    assert world.store.conflicts > 0, "the duplicate taps should have raced"
    marks = await world.store.marks(roll_call.id)
    assert set(marks) == {p.id for p in BIG_CLIENTS}
    assert {m.status for m in marks.values()} == {Status.PRESENT}
    assert {m.version for m in marks.values()} == {1}
    assert not any(m.guest for m in marks.values())
    changes = Counter(c.person_id for c in world.store.changes_of(roll_call.id))
    assert changes == Counter({p.id: 1 for p in BIG_CLIENTS})
    assert len(world.outbox.refreshes(roll_call.id)) == len(BIG_CLIENTS)
    for person, view in zip(tappers, views, strict=True):
        assert view.mark is not None
        assert view.mark.person_id == person.id
        assert view.mark.status is Status.PRESENT
    assert await world.service.count(roll_call, BIG) == Count(here=50, expected=50, guests=0)


async def test_a_tap_within_the_grace_period_is_present_and_after_it_late(world: World) -> None:
    roll_call = await world.open()
    world.clock.move(GRACE)
    on_time = await world.tap(JARI, roll_call)
    late_at = world.clock.move(timedelta(seconds=1))
    late = await world.tap(SARI, roll_call)
    assert on_time is not None
    assert on_time.status is Status.PRESENT
    assert late is not None
    assert late.status is Status.LATE
    assert late.at == late_at
    stored = await world.store.mark_of(roll_call.id or 0, SARI.id or 0)
    assert stored is not None
    assert (stored.status, stored.at) == (Status.LATE, late_at)


async def test_a_second_tap_changes_nothing(world: World) -> None:
    roll_call = await world.open()
    first = await world.tap(JARI, roll_call)
    world.clock.move(timedelta(minutes=20))
    again = await world.tap(JARI, roll_call)
    assert again == first
    assert again is not None
    assert again.status is Status.PRESENT
    assert len(world.store.changes_of(roll_call.id or 0)) == 1
    assert len(world.outbox.refreshes(roll_call.id or 0)) == 1


async def test_someone_not_on_the_list_is_a_guest(world: World) -> None:
    roll_call = await world.open()
    mark = await world.tap(GUSTAV, roll_call)
    await world.tap(JARI, roll_call)
    assert mark is not None
    assert mark.guest is True
    assert await world.service.count(roll_call, IT) == Count(here=1, expected=4, guests=1)
    view = await world.service.instructor_view(roll_call, IT, Language.FI)
    assert view.guests == (GUSTAV,)
    assert GUSTAV not in view.missing
    assert [p.name for p in view.missing] == [SARI.name, ERKKI.name, SARA.name]


def _tapping(world: World, person: Person, conversation: Conversation = CHAT) -> Context:
    """An Action.Execute from ``person`` in the group conversation, as the router hands it on."""
    user = TeamsUser(person.teams_id or f"29:{person.id}", person.name, person.aad_object_id)
    turn = Turn(TurnKind.ACTION, conversation, user, is_invoke=True)
    org = FakeOrgRepository()
    services = Services(
        directory=Directory(org),
        binder=Binder(world.conversations),
        org=org,
        groups=FakeGroupListing(world.conversations, (), ()),
        conversations=world.conversations,
        state=StateAccess(FakeStateRepository()),
        features={RollCallService: world.service},
    )
    return Context(turn, world.actor(person), Language.FI, conversation, services)


async def _card_for(world: World, person: Person, verb: str, roll_call: RollCall) -> str:
    """The card ``person`` gets back for "I'm here" or a refresh, as JSON text."""
    handler = rollcall_dialogs.here if verb == HERE_VERB else rollcall_dialogs.refresh
    action = CardAction(verb, {"rollcall": str(roll_call.id)})
    outcome = await handler(_tapping(world, person), action)
    assert outcome.card_update is not None
    return json.dumps(outcome.card_update, ensure_ascii=False)


@pytest.mark.parametrize("verb", [HERE_VERB, REFRESH_VERB])
@pytest.mark.parametrize("person", [*CLIENTS, GUSTAV], ids=lambda p: p.name)
async def test_a_clients_own_view_never_names_anyone_else(
    world: World, person: Person, verb: str
) -> None:
    # Everyone is somewhere on the list: present, late, excused, a guest, missing (Erkki).
    roll_call = await world.open()
    await world.tap(JARI, roll_call)
    await world.tap(GUSTAV, roll_call)
    world.clock.move(GRACE + timedelta(minutes=1))
    await world.tap(SARI, roll_call)
    await world.service.correct(
        world.actor(MAIJA), roll_call, IT, SARA.id or 0, Status.EXCUSED, Reason.SICK, note=WHY
    )
    everyone = [*CLIENTS, GUSTAV]
    # The instructor's card from the same state names them: the names are there to leak.
    instructors = await _card_for(world, MAIJA, verb, roll_call)
    assert all(p.name in instructors for p in (SARI, ERKKI, SARA, GUSTAV))

    own = await _card_for(world, person, verb, roll_call)
    for other in everyone:
        if other is not person:
            assert other.name not in own
    assert '"verb": "rollcall.here"' in own
    assert REMIND_VERB not in own


async def test_a_tap_after_closing_turns_absent_into_late(world: World) -> None:
    roll_call = await world.open()
    await world.service.close(world.actor(MAIJA), roll_call, IT)
    world.clock.move(timedelta(minutes=50))
    mark = await world.tap(SARA, roll_call)
    assert mark is not None
    assert mark.status is Status.LATE
    last = world.store.changes_of(roll_call.id or 0)[-1]
    assert (last.person_id, last.before, last.after, last.by) == (
        SARA.id,
        Status.ABSENT,
        Status.LATE,
        SARA.id,
    )


async def test_tapping_an_unknown_roll_call_is_not_found(world: World) -> None:
    with pytest.raises(NotFound):
        await world.service.tap(world.actor(JARI), 999, Language.FI)


async def test_the_refresh_a_tap_puts_in_the_outbox_is_drawn_late_and_coalesced(
    world: World,
) -> None:
    roll_call = await world.open()
    assert roll_call.id is not None
    await world.tap(JARI, roll_call)
    (refresh,) = world.outbox.refreshes(roll_call.id)
    assert refresh.conversation_id == CHAT.conversation_id
    assert refresh.update_of == card_key(roll_call.id)
    assert refresh.coalesce == card_key(roll_call.id)
    assert refresh.render == render_key(roll_call.id)
    assert refresh.render.startswith(RENDER_PREFIX)
    assert int(refresh.render[len(RENDER_PREFIX) :]) == roll_call.id
    assert refresh.card is None  # drawn by the worker, not now
    assert refresh.key != card_key(roll_call.id)
    # what the worker will draw shows the state at sending time
    await world.tap(SARI, roll_call)
    drawn = await world.service.draw(roll_call.id)
    assert drawn is not None
    count = text(IT.language, "rollcall.count", here=2, expected=4)
    assert any(b.get("text") == count for b in drawn["body"])
    assert await world.service.draw(999) is None


# --- closing ---------------------------------------------------------------------------------


async def test_close_marks_only_the_unmarked_expected_as_absent(world: World) -> None:
    roll_call = await world.open()
    assert roll_call.id is not None
    await world.tap(JARI, roll_call)
    await world.tap(GUSTAV, roll_call)
    await world.service.correct(
        world.actor(MAIJA), roll_call, IT, SARI.id or 0, Status.EXCUSED, Reason.SICK, note=WHY
    )
    before = len(world.store.change_rows)
    at = world.clock.move(timedelta(minutes=15))
    absent = await world.service.close(world.actor(TUULA), roll_call, IT, CHAT)
    assert absent == sorted([ERKKI.id or 0, SARA.id or 0])
    marks = await world.store.marks(roll_call.id)
    assert {p: m.status for p, m in marks.items()} == {
        JARI.id: Status.PRESENT,
        GUSTAV.id: Status.PRESENT,
        SARI.id: Status.EXCUSED,
        ERKKI.id: Status.ABSENT,
        SARA.id: Status.ABSENT,
    }
    closing = world.store.change_rows[before:]
    assert sorted(c.person_id for c in closing) == absent
    assert {(c.before, c.after, c.by, c.at) for c in closing} == {
        (None, Status.ABSENT, TUULA.id, at)
    }
    closed = await world.fresh(roll_call)
    assert closed.closed_at == at
    assert not closed.is_open
    assert len(world.outbox.refreshes(roll_call.id)) >= 1
    # the second time: nothing more
    assert await world.service.close(world.actor(MAIJA), roll_call, IT) is None
    assert len(world.store.change_rows) == before + len(absent)
    assert (await world.fresh(roll_call)).closed_at == at


async def test_a_closing_by_the_system_is_by_nobody(world: World) -> None:
    roll_call = await world.open()
    absent = await world.service.close(None, roll_call, IT)
    assert absent == sorted(p.id or 0 for p in CLIENTS)
    assert {c.by for c in world.store.changes_of(roll_call.id or 0)} == {None}


async def test_close_due_closes_only_the_roll_calls_whose_time_is_up(world: World) -> None:
    it_call = await world.open(CHAT)
    world.clock.move(timedelta(minutes=20))
    big_call, _ = await world.service.start(None, BIG_CHAT)
    assert await world.service.close_due() == 0
    world.clock.move(OPEN_FOR - timedelta(minutes=20))  # exactly when the first one closes
    assert await world.service.close_due() == 1
    assert not (await world.fresh(it_call)).is_open
    assert (await world.fresh(big_call)).is_open
    assert await world.service.close_due() == 0
    world.clock.move(timedelta(minutes=20))
    assert await world.service.close_due() == 1
    assert not (await world.fresh(big_call)).is_open
    absent = [c for c in world.store.changes_of(it_call.id or 0) if c.after is Status.ABSENT]
    assert len(absent) == len(CLIENTS)


# --- reminders -------------------------------------------------------------------------------


async def test_remind_sends_each_missing_client_one_check_in_card(world: World) -> None:
    roll_call = await world.open()
    assert roll_call.id is not None
    await world.tap(SARA, roll_call)
    reminded = await world.service.remind(world.actor(MAIJA), roll_call, IT, CHAT, None)
    assert reminded == Reminded(sent=2, already=0, unreachable=(ERKKI_UNREACHED,), notified=0)
    assert world.chats.opened == [SARI.id]
    for chat, person in (("a:jari", JARI), (f"a:opened:{SARI.id}", SARI)):
        (message,) = world.outbox.to(chat)
        assert message.key == f"rollcall:{roll_call.id}:remind:{person.id}"
        assert message.card is not None
        buttons = [parse_action(a["data"]) for a in message.card["actions"]]
        assert any(b.verb == HERE_VERB and b.data["rollcall"] == str(roll_call.id) for b in buttons)
        language = person.language or IT.language
        title = text(language, "rollcall.remind.title")
        assert any(b.get("text") == title for b in message.card["body"])
    assert world.outbox.to("a:sara") == []
    assert not any(m.notification for m in world.outbox.messages.values())
    # the second time: everyone was reminded already
    again = await world.service.remind(world.actor(TUULA), roll_call, IT, CHAT, None)
    assert again == Reminded(sent=0, already=2, unreachable=(ERKKI_UNREACHED,), notified=0)
    assert len(world.outbox.to("a:jari")) == 1


async def test_a_reminder_tapped_in_the_personal_chat_counts_for_the_same_roll_call(
    world: World,
) -> None:
    roll_call = await world.open()
    await world.service.remind(world.actor(MAIJA), roll_call, IT, CHAT, None)
    (message,) = world.outbox.to("a:jari")
    assert message.card is not None
    here = next(
        parse_action(a["data"])
        for a in message.card["actions"]
        if parse_action(a["data"]).verb == HERE_VERB
    )
    view = await world.service.tap(world.actor(JARI), int(here.data["rollcall"]), Language.FI)
    assert view.mark is not None
    assert view.mark.roll_call_id == roll_call.id
    assert (await world.service.count(roll_call, IT)).here == 1


async def test_in_a_meeting_remind_adds_one_notification(world: World) -> None:
    roll_call = await world.open(MEETING)
    await world.tap(SARA, roll_call)
    reminded = await world.service.remind(world.actor(MAIJA), roll_call, IT, MEETING, "aad-maija")
    assert reminded.sent == 2
    assert reminded.notified == 2
    notices = [m for m in world.outbox.messages.values() if m.notification]
    assert len(notices) == 1
    (notice,) = notices
    assert notice.conversation_id == MEETING.conversation_id
    assert notice.notification is not None
    assert sorted(notice.notification["recipients"]) == ["29:jari", "29:sari"]
    assert notice.notification["url"].startswith(NOTICE_URL)
    assert notice.notification["title"] == text(IT.language, "rollcall.notice.title")
    again = await world.service.remind(world.actor(MAIJA), roll_call, IT, MEETING, "aad-maija")
    assert again.notified == 0
    assert len([m for m in world.outbox.messages.values() if m.notification]) == 1


async def test_remind_after_closing_is_refused_with_a_text_that_can_be_shown(
    world: World,
) -> None:
    roll_call = await world.open()
    await world.service.close(world.actor(MAIJA), roll_call, IT)
    closed = await world.fresh(roll_call)
    with pytest.raises(DomainError) as raised:
        await world.service.remind(world.actor(MAIJA), closed, IT, CHAT, None)
    assert not any(
        m.key.startswith(f"rollcall:{roll_call.id}:remind") for m in world.outbox.messages.values()
    )
    error = raised.value
    # the router shows ctx.t(error.key, **error.params): every placeholder must be filled
    for language in Language:
        assert error.key in CATALOGS[language]
        missing = placeholders(CATALOGS[language][error.key]) - set(error.params)
        assert not missing, f"{error.key} ({language}) would show {{{', '.join(missing)}}}"


# --- corrections -----------------------------------------------------------------------------


async def test_excused_without_a_reason_is_excused_for_another_reason(world: World) -> None:
    roll_call = await world.open()
    at = world.clock.move(timedelta(minutes=5))
    changed = await world.service.correct(
        world.actor(MAIJA), roll_call, IT, SARI.id or 0, Status.EXCUSED, note=WHY
    )
    assert changed is True
    mark = await world.store.mark_of(roll_call.id or 0, SARI.id or 0)
    assert mark is not None
    assert (mark.status, mark.reason, mark.guest) == (Status.EXCUSED, Reason.OTHER, False)
    (change,) = world.store.changes_of(roll_call.id or 0)
    assert (change.person_id, change.before, change.after, change.reason, change.by, change.at) == (
        SARI.id,
        None,
        Status.EXCUSED,
        Reason.OTHER,
        MAIJA.id,
        at,
    )


async def test_correcting_to_the_same_status_changes_nothing(world: World) -> None:
    roll_call = await world.open()
    await world.tap(JARI, roll_call)
    maija = world.actor(MAIJA)
    before = list(world.store.change_rows)
    refreshes = len(world.outbox.refreshes(roll_call.id or 0))
    assert (
        await world.service.correct(maija, roll_call, IT, JARI.id or 0, Status.PRESENT, note=WHY)
        is False
    )
    assert world.store.change_rows == before
    assert len(world.outbox.refreshes(roll_call.id or 0)) == refreshes
    # excused: the same reason is no change, another reason is
    sid = SARI.id or 0
    assert await world.service.correct(
        maija, roll_call, IT, sid, Status.EXCUSED, Reason.SICK, note=WHY
    )
    assert not await world.service.correct(
        maija, roll_call, IT, sid, Status.EXCUSED, Reason.SICK, note=WHY
    )
    assert await world.service.correct(
        maija, roll_call, IT, sid, Status.EXCUSED, Reason.TECHNICAL, note=WHY
    )
    assert [c.reason for c in world.store.changes_of(roll_call.id or 0)][-2:] == [
        Reason.SICK,
        Reason.TECHNICAL,
    ]


async def test_a_reason_goes_only_with_excused(world: World) -> None:
    roll_call = await world.open()
    maija = world.actor(MAIJA)
    sid = SARI.id or 0
    await world.service.correct(
        maija, roll_call, IT, sid, Status.EXCUSED, Reason.APPOINTMENT, note=WHY
    )
    assert await world.service.correct(
        maija, roll_call, IT, sid, Status.ABSENT, Reason.SICK, note=WHY
    )
    mark = await world.store.mark_of(roll_call.id or 0, sid)
    assert mark is not None
    assert (mark.status, mark.reason) == (Status.ABSENT, None)
    last = world.store.changes_of(roll_call.id or 0)[-1]
    assert (last.before, last.after, last.reason) == (Status.EXCUSED, Status.ABSENT, None)


async def test_a_correction_keeps_the_time_of_a_tap(world: World) -> None:
    roll_call = await world.open()
    tapped = await world.tap(JARI, roll_call)
    assert tapped is not None
    world.clock.move(timedelta(hours=1))
    maija = world.actor(MAIJA)
    assert await world.service.correct(maija, roll_call, IT, JARI.id or 0, Status.LATE, note=WHY)
    mark = await world.store.mark_of(roll_call.id or 0, JARI.id or 0)
    assert mark is not None
    assert (mark.status, mark.at, mark.version) == (Status.LATE, tapped.at, 2)


async def test_left_early_is_a_check_out(world: World) -> None:
    roll_call = await world.open()
    await world.tap(JARI, roll_call)
    at = world.clock.move(timedelta(hours=2))
    maija = world.actor(MAIJA)
    assert await world.service.correct(
        maija, roll_call, IT, JARI.id or 0, Status.LEFT_EARLY, note=WHY
    )
    checkouts = await world.store.checkouts(IT.id or 0, DAY)
    assert checkouts == {JARI.id: Checkout(IT.id or 0, DAY, JARI.id or 0, at)}
    mark = await world.store.mark_of(roll_call.id or 0, JARI.id or 0)
    assert mark is not None
    assert mark.status is Status.PRESENT  # the mark stays; the check-out makes the day
    last = world.store.change_rows[-1]
    assert (last.person_id, last.after, last.by, last.roll_call_id) == (
        JARI.id,
        Status.LEFT_EARLY,
        MAIJA.id,
        roll_call.id,
    )
    changes = len(world.store.change_rows)
    assert not await world.service.correct(
        maija, roll_call, IT, JARI.id or 0, Status.LEFT_EARLY, note=WHY
    )
    assert len(world.store.change_rows) == changes


async def test_correcting_someone_unknown_is_not_found(world: World) -> None:
    roll_call = await world.open()
    with pytest.raises(NotFound) as raised:
        await world.service.correct(
            world.actor(MAIJA), roll_call, IT, GUSTAV.id or 0, Status.PRESENT, note=WHY
        )
    assert raised.value.key == "rollcall.unknown_person"
    assert world.store.change_rows == []


async def test_a_guest_with_a_mark_can_be_corrected(world: World) -> None:
    roll_call = await world.open()
    await world.tap(GUSTAV, roll_call)
    maija = world.actor(MAIJA)
    assert await world.service.correct(
        maija, roll_call, IT, GUSTAV.id or 0, Status.ABSENT, note=WHY
    )
    mark = await world.store.mark_of(roll_call.id or 0, GUSTAV.id or 0)
    assert mark is not None
    assert (mark.status, mark.guest) == (Status.ABSENT, True)


async def test_a_client_cannot_correct_even_their_own_status(world: World) -> None:
    roll_call = await world.open()
    with pytest.raises(NotAllowed):
        await world.service.correct(
            world.actor(JARI), roll_call, IT, JARI.id or 0, Status.EXCUSED, Reason.SICK, note=WHY
        )
    with pytest.raises(NotAllowed):
        await world.service.correct(
            world.actor(JARI), roll_call, IT, JARI.id or 0, Status.LEFT_EARLY, note=WHY
        )
    assert world.store.mark_rows == {}
    assert world.store.checkout_rows == {}
    assert world.store.change_rows == []


# --- check-out -------------------------------------------------------------------------------


async def test_leaving_twice_keeps_the_first_time(world: World) -> None:
    first_at = world.clock.move(timedelta(hours=2))
    group, at, recorded = await world.service.leave(world.actor(JARI), CHAT)
    assert (group, at, recorded) == (IT, first_at, True)
    world.clock.move(timedelta(hours=1))
    group, at, recorded = await world.service.leave(world.actor(JARI), CHAT)
    assert (group, at, recorded) == (IT, first_at, False)
    assert await world.store.checkouts(IT.id or 0, DAY) == {
        JARI.id: Checkout(IT.id or 0, DAY, JARI.id or 0, first_at)
    }
    (change,) = world.store.change_rows
    assert (change.person_id, change.after, change.by, change.at) == (
        JARI.id,
        Status.LEFT_EARLY,
        JARI.id,
        first_at,
    )


async def test_leaving_in_the_personal_chat_uses_the_clients_group(world: World) -> None:
    group, _, recorded = await world.service.leave(world.actor(JARI), personal("a:jari", 11))
    assert (group, recorded) == (IT, True)
    with pytest.raises(NotFound):
        await world.service.leave(world.actor(MERVI), personal("a:mervi", MERVI.id or 0))


# --- the problem button ----------------------------------------------------------------------


async def test_a_problem_is_told_to_each_reachable_instructor_once(world: World) -> None:
    roll_call = await world.open()
    problem = world.service.problem
    assert await problem(world.actor(JARI), roll_call, IT, guide_sent=True) == 2
    # a second tap: the same two instructors know, and nobody is told twice
    assert await problem(world.actor(JARI), roll_call, IT, guide_sent=True) == 2
    told = [m for m in world.outbox.messages.values() if ":problem:" in m.key]
    assert sorted(m.conversation_id for m in told) == sorted(["a:maija", f"a:opened:{TUULA.id}"])
    assert all(m.text is not None and JARI.name in m.text for m in told)
    assert all(
        m.text == text(Language.FI, "rollcall.problem.instructor", name=JARI.name) for m in told
    )


async def test_a_problem_marks_the_person_here_with_the_reason(world: World) -> None:
    roll_call = await world.open()
    await world.service.problem(world.actor(JARI), roll_call, IT, guide_sent=False)
    await world.tap(SARI, roll_call)
    await world.service.problem(world.actor(SARI), roll_call, IT, guide_sent=True)
    marks = await world.store.marks(roll_call.id or 0)
    jari, sari = marks[JARI.id or 0], marks[SARI.id or 0]
    assert (jari.status, jari.reason) == (Status.PRESENT, Reason.TECHNICAL)
    assert (sari.status, sari.reason) == (Status.PRESENT, None)  # already here: unchanged
    told = [m for m in world.outbox.messages.values() if f":problem:{JARI.id}:" in m.key]
    assert told and all(
        m.text == text(Language.FI, "rollcall.problem.instructor_no_guide", name=JARI.name)
        for m in told
    )
    view = await world.service.instructor_view(roll_call, IT, Language.FI)
    assert [p.id for p in view.problems] == [JARI.id]
    assert JARI.id not in {p.id for p in view.missing}


# --- attendance ------------------------------------------------------------------------------


async def three_roll_calls(world: World) -> tuple[RollCall, ...]:
    """JARI P P P, SARI P A P, ERKKI A A A, SARA L P A, GUSTAV (guest) - P -."""
    plan: list[tuple[tuple[Person, ...], tuple[Person, ...]]] = [
        ((JARI, SARI), (SARA,)),
        ((JARI, SARA, GUSTAV), ()),
        ((JARI, SARI), ()),
    ]
    made = []
    for on_time, late in plan:
        roll_call = await world.open()
        for person in on_time:
            await world.tap(person, roll_call)
        world.clock.move(GRACE + timedelta(minutes=1))
        for person in late:
            await world.tap(person, roll_call)
        await world.service.close(None, roll_call, IT)
        made.append(await world.fresh(roll_call))
        world.clock.move(timedelta(hours=1))
    return tuple(made)


FULL_DAYS = {
    FullDayRule.FIRST_AND_LAST: {JARI.name, SARI.name},
    FullDayRule.ALL: {JARI.name},
    FullDayRule.ANY: {JARI.name, SARI.name, SARA.name, GUSTAV.name},
}


@pytest.mark.parametrize("rule", list(FullDayRule), ids=str)
async def test_attendance_computes_full_days_with_the_configured_rule(rule: FullDayRule) -> None:
    world = make_world(rule)
    roll_calls = await three_roll_calls(world)
    # before the day's planned end the rule can still fail: on the way to a full day
    view = await world.service.attendance(world.actor(MAIJA), IT, Language.FI)
    assert not view.over
    assert {line.person.name for line in view.people if line.record.full_day} == set()
    assert {line.person.name for line in view.people if line.record.on_the_way} == FULL_DAYS[rule]
    world.clock.now = DAY_END
    view = await world.service.attendance(world.actor(MAIJA), IT, Language.FI)
    assert view.over
    assert view.roll_calls == roll_calls
    assert view.day == DAY
    assert {line.person.name for line in view.people if line.record.full_day} == FULL_DAYS[rule]
    assert not any(line.record.on_the_way for line in view.people)
    by_name = {line.person.name: line for line in view.people}
    assert [m.status if m else None for m in by_name[SARA.name].marks] == [
        Status.LATE,
        Status.PRESENT,
        Status.ABSENT,
    ]
    assert by_name[SARA.name].record.status is Status.LATE
    assert by_name[ERKKI.name].record.status is Status.ABSENT


async def test_attendance_lists_guests_after_the_expected(world: World) -> None:
    await three_roll_calls(world)
    view = await world.service.attendance(world.actor(MAIJA), IT, Language.FI)
    # the list carries each person's stored id and name, nothing more (no Teams ids)
    assert [(line.person, line.guest) for line in view.people] == [
        *((Person(p.name, id=p.id), False) for p in CLIENTS),
        (Person(GUSTAV.name, id=GUSTAV.id), True),
    ]
    guest = view.people[-1]
    assert [m.status if m else None for m in guest.marks] == [None, Status.PRESENT, None]


async def test_attendance_counts_a_check_out_against_the_days_end(world: World) -> None:
    roll_call = await world.open()
    await world.tap(JARI, roll_call)
    await world.tap(SARI, roll_call)
    await world.service.close(None, roll_call, IT)
    world.clock.now = DAY_END - timedelta(hours=2)
    await world.service.leave(world.actor(JARI), CHAT)
    world.clock.now = DAY_END - timedelta(minutes=5)
    await world.service.leave(world.actor(SARI), CHAT)
    world.clock.now = DAY_END
    view = await world.service.attendance(world.actor(MAIJA), IT, Language.FI)
    by_name = {line.person.name: line.record for line in view.people}
    assert (by_name[JARI.name].left_early, by_name[JARI.name].full_day) == (True, False)
    assert by_name[JARI.name].status is Status.LEFT_EARLY
    assert (by_name[SARI.name].left_early, by_name[SARI.name].full_day) == (False, True)


async def test_attendance_shows_the_audit_trail_with_names(world: World) -> None:
    roll_call = await world.open()
    await world.tap(JARI, roll_call)
    await world.service.correct(
        world.actor(TUULA), roll_call, IT, SARI.id or 0, Status.EXCUSED, Reason.SICK, note=WHY
    )
    world.clock.move(timedelta(minutes=30))
    await world.service.close(None, roll_call, IT)
    view = await world.service.attendance(world.actor(MAIJA), IT, Language.FI)
    lines = [(c.person_id, c.after, whose, by) for c, whose, by in view.changes]
    assert lines == [
        (JARI.id, Status.PRESENT, JARI.name, JARI.name),
        (SARI.id, Status.EXCUSED, SARI.name, TUULA.name),
        (ERKKI.id, Status.ABSENT, ERKKI.name, None),
        (SARA.id, Status.ABSENT, SARA.name, None),
    ]


async def test_the_attendance_list_shows_the_read_models_day(world: World) -> None:
    roll_calls = await three_roll_calls(world)
    world.clock.now = DAY_END - timedelta(hours=1)
    await world.service.leave(world.actor(SARI), CHAT)
    view = await world.service.attendance(world.actor(KAISA), IT, Language.FI)
    day = await world.service.records.day(IT, DAY)
    assert view.roll_calls == day.roll_calls == roll_calls
    assert [(p.person.id, p.person.name, p.marks, p.record, p.guest) for p in view.people] == [
        (p.person_id, p.name, p.marks, p.record, p.role is AttendeeRole.GUEST) for p in day.people
    ]
    assert day.people[1].status is Status.LEFT_EARLY  # Sari


@pytest.mark.parametrize(
    ("person", "editable"),
    [(MAIJA, True), (TUULA, True), (AINO, True), (KAISA, False)],
    ids=lambda v: v.name if isinstance(v, Person) else str(v),
)
async def test_who_may_edit_the_attendance_list(
    world: World, person: Person, editable: bool
) -> None:
    await world.open()
    view = await world.service.attendance(world.actor(person), IT, Language.SV)
    assert view.editable is editable
    assert view.language is Language.SV


@pytest.mark.parametrize("person", [JARI, GUSTAV, JOHAN, TEKLA, MERVI], ids=lambda p: p.name)
async def test_others_may_not_see_the_attendance_list(world: World, person: Person) -> None:
    await world.open()
    with pytest.raises(NotAllowed):
        await world.service.attendance(world.actor(person), IT, Language.FI)


# --- cancelling a roll call, and nobody here after they left --------------------------------------


async def test_only_the_groups_instructors_and_admins_cancel_a_roll_call(world: World) -> None:
    roll_call = await world.open()
    world.meetings.roles["aad-mervi"] = MeetingRole.ORGANIZER
    for someone in (JARI, KAISA, JOHAN, MERVI, GUSTAV):
        with pytest.raises(NotAllowed):
            await world.service.cancel(world.actor(someone), roll_call, IT, MEETING, "aad-mervi")
        assert not (await world.fresh(roll_call)).is_cancelled
    assert await world.service.cancel(world.actor(TUULA), roll_call, IT)
    cancelled = await world.fresh(roll_call)
    assert (cancelled.cancelled_by, cancelled.cancelled_at) == (TUULA.id, world.clock.now)
    assert not await world.service.cancel(world.actor(MAIJA), roll_call, IT)  # once


async def test_a_tap_on_a_cancelled_roll_call_writes_nothing_and_shows_it_cancelled(
    world: World,
) -> None:
    roll_call = await world.open()
    await world.tap(JARI, roll_call)
    assert roll_call.id is not None
    await world.service.cancel(world.actor(MAIJA), roll_call, IT)
    view = await world.service.tap(world.actor(SARI), roll_call.id, Language.FI)
    assert view.mark is None and view.shared.roll_call.is_cancelled
    assert SARI.id not in await world.store.marks(roll_call.id)
    with pytest.raises(DomainError):
        await world.service.correct(
            world.actor(MAIJA), roll_call, IT, SARI.id or 0, Status.PRESENT, note=WHY
        )


async def test_a_check_out_is_never_before_the_persons_latest_here(world: World) -> None:
    roll_call = await world.open()
    await world.tap(JARI, roll_call)
    tapped = (await world.store.marks(roll_call.id or 0))[JARI.id or 0].at
    # another replica's clock is behind the one that recorded the tap
    world.clock.now = tapped - timedelta(minutes=2)
    _, at, recorded = await world.service.leave(world.actor(JARI), CHAT)
    assert recorded and at == tapped
    # an "I'm here" after "I'm leaving": back, the check-out goes (audited as their own act)
    second_tap_at = world.clock.move(timedelta(minutes=30))
    await world.service.close(None, roll_call, IT)
    second = await world.open()
    await world.tap(JARI, second)
    assert JARI.id not in await world.store.checkouts(IT.id or 0, DAY)
    last = world.store.change_rows[-1]
    assert (last.person_id, last.before, last.after, last.by) == (
        JARI.id,
        Status.LEFT_EARLY,
        Status.PRESENT,
        JARI.id,
    )
    assert last.at >= second_tap_at


async def test_a_correction_without_a_reason_writes_nothing(world: World) -> None:
    roll_call = await world.open()
    await world.tap(JARI, roll_call)
    await world.service.leave(world.actor(JARI), CHAT)
    before = list(world.store.change_rows)
    for note in (None, "", "  \n "):
        with pytest.raises(DomainError) as refused:
            await world.service.correct(
                world.actor(MAIJA), roll_call, IT, SARI.id or 0, Status.PRESENT, note=note
            )
        assert refused.value.key == "attendance.reason_needed"
        with pytest.raises(DomainError):
            await world.service.undo_checkout(
                world.actor(MAIJA), roll_call, IT, JARI.id or 0, Status.PRESENT, note
            )
    assert world.store.change_rows == before
    assert JARI.id in await world.store.checkouts(IT.id or 0, DAY)
