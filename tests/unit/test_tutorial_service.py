"""TutorialService (domain/tutorial/service.py) over in-memory ports and the real card renderer.

The fakes below yield to the event loop before reading and before writing, so two coroutines
run with asyncio.gather really interleave: both read the same version, and the store's
compare-and-set decides which one wins.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from cards.payload import parse_action
from cards.tutorial import GO_VERB, RESOLVE_VERB, TAKE_VERB, TutorialCardRenderer
from domain.errors import ConcurrentUpdate, DomainError, NotAllowed, NotFound
from domain.model import Actor, Conversation, ConversationKind, RoleGrant
from domain.org import Group, Language, Person, Role
from domain.outbox import OutboxMessage
from domain.reach import Reached, Unreachable
from domain.tutorial.content import Device, load_tutorial
from domain.tutorial.flow import Event, Place, Progress
from domain.tutorial.help import HelpRequest, HelpStatus
from domain.tutorial.service import (
    SendResult,
    TakeResult,
    TutorialService,
    ViewKind,
)
from tests.fakes.memory import FakeConversationRepository

CONTENT = load_tutorial()
T0 = datetime(2026, 3, 5, 9, 0, tzinfo=UTC)


# --- fakes -----------------------------------------------------------------------------------


class MemoryOutbox:
    """Outbox messages by key; a key is accepted once."""

    def __init__(self) -> None:
        self.messages: dict[str, OutboxMessage] = {}
        self.refused: list[str] = []

    def add(self, message: OutboxMessage) -> bool:
        if message.key in self.messages:
            self.refused.append(message.key)
            return False
        self.messages[message.key] = message
        return True

    async def enqueue(self, message: OutboxMessage) -> bool:
        await asyncio.sleep(0)
        return self.add(message)

    def to(self, conversation_id: str) -> list[OutboxMessage]:
        return [m for m in self.messages.values() if m.conversation_id == conversation_id]


class MemoryTutorialStore:
    """TutorialStore in dicts, with real compare-and-set on progress and request versions."""

    def __init__(self, outbox: MemoryOutbox) -> None:
        self.rows: dict[int, Progress] = {}
        self.requests: dict[str, HelpRequest] = {}
        self.outbox = outbox
        self.saves = 0
        self.conflicts = 0
        self.request_conflicts = 0

    async def progress(self, person_id: int) -> Progress | None:
        await asyncio.sleep(0)
        return self.rows.get(person_id)

    async def save(
        self,
        progress: Progress,
        *,
        request: HelpRequest | None = None,
        messages: Sequence[OutboxMessage] = (),
    ) -> tuple[Progress, HelpRequest | None]:
        await asyncio.sleep(0)
        # from here on nothing awaits: the check and the writes are one atomic step
        current = self.rows.get(progress.person_id)
        if (current.version if current else 0) != progress.version:
            self.conflicts += 1
            raise ConcurrentUpdate(f"tutorial:{progress.person_id}")
        if request is not None and request.key in self.requests:
            raise ValueError(f"duplicate help request key {request.key}")
        saved = replace(progress, version=progress.version + 1)
        self.rows[progress.person_id] = saved
        stored: HelpRequest | None = None
        if request is not None:
            stored = replace(request, id=len(self.requests) + 1, version=0)
            self.requests[request.key] = stored
        for message in messages:
            self.outbox.add(message)
        self.saves += 1
        return saved, stored

    async def open_request_of(self, person_id: int) -> HelpRequest | None:
        await asyncio.sleep(0)
        mine = [r for r in self.requests.values() if r.person_id == person_id and r.is_open]
        return max(mine, key=lambda r: r.id or 0, default=None)

    async def request(self, key: str) -> HelpRequest | None:
        await asyncio.sleep(0)
        return self.requests.get(key)

    async def update_request(
        self, request: HelpRequest, messages: Sequence[OutboxMessage] = ()
    ) -> bool:
        await asyncio.sleep(0)
        current = self.requests.get(request.key)
        if current is None or current.version != request.version:
            self.request_conflicts += 1
            return False
        self.requests[request.key] = replace(request, version=request.version + 1)
        for message in messages:
            self.outbox.add(message)
        return True


class MemoryPeople:
    """People, groups and memberships; people_in_group answers in the order people were added."""

    def __init__(self, *groups: Group) -> None:
        self.people: dict[int, Person] = {}
        self.groups = {g.id: g for g in groups}
        self.members: list[tuple[int, int, Role]] = []

    def add(self, person: Person, *roles: tuple[Group, Role]) -> Person:
        assert person.id is not None
        self.people[person.id] = person
        for group, role in roles:
            assert group.id is not None
            self.members.append((person.id, group.id, role))
        return person

    def actor(self, person: Person) -> Actor:
        grants = tuple(
            RoleGrant(role, group=self.groups[g]) for p, g, role in self.members if p == person.id
        )
        return Actor(person=person, grants=grants)

    async def person_by_id(self, person_id: int) -> Person | None:
        return self.people.get(person_id)

    async def group_by_id(self, group_id: int) -> Group | None:
        return self.groups.get(group_id)

    async def people_in_group(self, group_id: int, role: Role) -> tuple[Person, ...]:
        return tuple(self.people[p] for p, g, r in self.members if g == group_id and r is role)


class MemoryChats:
    """Opens a 1:1 chat for anyone with a Teams id, and remembers it (as Teams chats do)."""

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


def personal(conversation_id: str, person_id: int) -> Conversation:
    return Conversation(
        conversation_id,
        ConversationKind.PERSONAL,
        "https://smba.example/",
        {},
        tenant_id="tenant",
        person_id=person_id,
    )


class Clock:
    def __init__(self) -> None:
        self.now = T0

    def __call__(self) -> datetime:
        self.now += timedelta(seconds=1)
        return self.now


# --- the world -------------------------------------------------------------------------------

IT = Group(key="it-ryhma", unit_key="it", name="IT-ryhmä", id=10)
SEWING = Group(key="ompelimo", unit_key="it", name="Ompelimo", id=20, language=Language.SV)
GROUP_CHAT = Conversation("19:it@thread.v2", ConversationKind.GROUP_CHAT, "https://smba/", {})

MAIJA = Person("Maija Virtanen", teams_id="29:maija", id=1)
TUULA = Person("Tuula Salo", teams_id="29:tuula", language=Language.SV, id=2)  # no chat yet
OLLI = Person("Olli Ohjaaja", id=3)  # never reachable: no Teams id, no chat
JOHAN = Person("Johan Lindqvist", teams_id="29:johan", id=4)  # instructs the other group
JARI = Person(
    "Jari Mäkinen",
    aad_object_id="aad-jari-0001",
    upn="jari.makinen@example.hel.fi",
    teams_id="29:jari",
    id=11,
)
SARI_LAINE = Person("Sari Heikkinen-Laine", teams_id="29:sari-l", id=12)
SARI = Person("Sari Heikkinen", upn="sari.heikkinen@example.hel.fi", teams_id="29:sari", id=13)
SARA = Person("Sara Lind", teams_id="29:sara", id=14)
ERKKI = Person("Erkki Esimerkki", id=15)  # unreachable client
JARI_V = Person("Jari Virtanen", teams_id="29:jari-v", id=21)  # a client of the other group


@dataclass
class World:
    service: TutorialService
    store: MemoryTutorialStore
    outbox: MemoryOutbox
    people: MemoryPeople
    conversations: FakeConversationRepository
    chats: MemoryChats
    clock: Clock

    def actor(self, person: Person) -> Actor:
        return self.people.actor(person)


@pytest.fixture
def world() -> World:
    people = MemoryPeople(IT, SEWING)
    people.add(MAIJA, (IT, Role.INSTRUCTOR))
    people.add(TUULA, (IT, Role.INSTRUCTOR))
    people.add(OLLI, (IT, Role.INSTRUCTOR))
    people.add(JOHAN, (SEWING, Role.INSTRUCTOR))
    # added out of name order: the service must sort what it lists
    people.add(JARI, (IT, Role.CLIENT))
    people.add(SARI_LAINE, (IT, Role.CLIENT))
    people.add(SARI, (IT, Role.CLIENT))
    people.add(SARA, (IT, Role.CLIENT))
    people.add(ERKKI, (IT, Role.CLIENT))
    people.add(JARI_V, (SEWING, Role.CLIENT))
    conversations = FakeConversationRepository(
        personal("a:maija", 1), personal("a:johan", 4), personal("a:jari", 11), GROUP_CHAT
    )
    outbox = MemoryOutbox()
    store = MemoryTutorialStore(outbox)
    chats = MemoryChats(conversations)
    clock = Clock()
    service = TutorialService(
        CONTENT,
        store,
        people,
        conversations,
        chats,
        TutorialCardRenderer(CONTENT, "http://127.0.0.1:3978"),
        outbox,
        clock=clock,
    )
    return World(service, store, outbox, people, conversations, chats, clock)


async def tap(
    w: World, person: Person, event: Event | None, device: Device | None = None
) -> Progress:
    """Tap a button on the person's current card; the progress after it."""
    current = w.store.rows.get(person.id or 0) or Progress(person_id=person.id or 0)
    view = await w.service.act(w.actor(person), Language.FI, current.token, event, device)
    assert view.moved, f"{event} did not move"
    return view.progress


async def ask(w: World, person: Person = JARI) -> HelpRequest:
    """The person chooses Windows, says the first step does not work, and asks for help."""
    await tap(w, person, Event.CHOOSE, Device.WINDOWS)
    await tap(w, person, Event.TROUBLE)
    progress = await tap(w, person, Event.ASK)
    assert progress.place is Place.ASKED
    (request,) = [r for r in w.store.requests.values() if r.person_id == person.id]
    return request


def actions_of(card: dict[str, Any]) -> list[tuple[str, dict[str, str]]]:
    result = []
    for action in card.get("actions", []):
        if action["type"] == "Action.Execute":
            parsed = parse_action(action["data"])
            result.append((parsed.verb, parsed.data))
    return result


# --- the client's side -----------------------------------------------------------------------


async def test_begin_offers_the_device_choice_and_saves_nothing(world: World) -> None:
    view = await world.service.begin(world.actor(JARI), Language.EN, platform_device=Device.MAC)
    assert view.kind is ViewKind.CURRENT
    assert view.progress.place is Place.DEVICE
    assert view.suggested is Device.MAC
    assert view.language is Language.EN
    assert world.store.rows == {}


async def test_begin_after_starting_welcomes_back(world: World) -> None:
    await tap(world, JARI, Event.CHOOSE, Device.WEB)
    view = await world.service.begin(world.actor(JARI), Language.FI)
    assert view.kind is ViewKind.WELCOME_BACK
    assert view.progress == world.store.rows[11]


async def test_a_stale_token_changes_nothing_and_shows_where_the_person_is(world: World) -> None:
    old = Progress(person_id=11)
    first = await tap(world, JARI, Event.CHOOSE, Device.WINDOWS)
    assert first.version == 1
    saves = world.store.saves
    view = await world.service.act(world.actor(JARI), Language.FI, old.token, Event.BACK)
    assert not view.moved
    assert view.progress == first
    assert world.store.rows[11] == first
    assert world.store.saves == saves
    # a card of an even older or a future version is just as stale
    for token in ("999", "", "not-a-number"):
        view = await world.service.act(world.actor(JARI), Language.FI, token, Event.DONE)
        assert not view.moved
        assert view.progress == first
    assert world.store.saves == saves


async def test_a_move_that_does_not_apply_changes_nothing(world: World) -> None:
    first = await tap(world, JARI, Event.CHOOSE, Device.WINDOWS)
    view = await world.service.act(world.actor(JARI), Language.FI, first.token, Event.NEXT)
    assert not view.moved
    assert world.store.rows[11] == first


async def test_two_taps_with_the_same_token_advance_exactly_one_step(world: World) -> None:
    first = await tap(world, JARI, Event.CHOOSE, Device.WINDOWS)
    steps = [s.id for s in CONTENT.steps_for(Device.WINDOWS)]
    assert first.step == steps[0]
    views = await asyncio.gather(
        world.service.act(world.actor(JARI), Language.FI, first.token, Event.DONE),
        world.service.act(world.actor(JARI), Language.FI, first.token, Event.DONE),
    )
    assert world.store.conflicts == 1  # both read the same version: the race really happened
    assert sorted(v.moved for v in views) == [False, True]
    stored = world.store.rows[11]
    assert stored.step == steps[1]
    assert stored.version == first.version + 1
    assert all(v.progress == stored for v in views)


async def test_asking_writes_one_request_and_one_card_per_reachable_instructor(
    world: World,
) -> None:
    await tap(world, JARI, Event.CHOOSE, Device.WINDOWS)
    at_check = await tap(world, JARI, Event.TROUBLE)
    view = await world.service.act(world.actor(JARI), Language.FI, at_check.token, Event.ASK)
    assert view.moved
    assert view.note == "tutorial.note.asked"
    (request,) = world.store.requests.values()
    assert request.person_id == 11
    assert request.group_id == IT.id
    assert (request.device, request.step, request.check) == (
        Device.WINDOWS,
        at_check.step,
        at_check.check,
    )
    assert request.status is HelpStatus.OPEN
    # Maija has a chat, Tuula's is opened through Jari's, Olli cannot be reached
    assert world.chats.opened == [TUULA.id]
    messages = list(world.outbox.messages.values())
    assert sorted(m.conversation_id for m in messages) == ["a:maija", "a:opened:2"]
    assert len({m.key for m in messages}) == 2
    for message in messages:
        assert message.card is not None
        assert (TAKE_VERB, {"request": request.key}) in actions_of(message.card)
    # each instructor reads the card in their own language
    (for_tuula,) = world.outbox.to("a:opened:2")
    assert for_tuula.card is not None
    assert CONTENT.device_name(Language.SV, Device.WINDOWS) in json.dumps(
        for_tuula.card, ensure_ascii=False
    )


async def test_instructor_cards_name_only_the_one_client(world: World) -> None:
    await ask(world)
    others = [SARI, SARI_LAINE, SARA, ERKKI, JARI_V]
    for message in world.outbox.messages.values():
        dumped = json.dumps(message.card, ensure_ascii=False)
        assert JARI.name in dumped
        for secret in ("jari.makinen@example.hel.fi", "aad-jari-0001", "29:jari", "a:jari"):
            assert secret not in dumped
        for other in others:
            assert other.name not in dumped


async def test_two_asks_with_the_same_token_make_one_request(world: World) -> None:
    await tap(world, JARI, Event.CHOOSE, Device.WINDOWS)
    at_check = await tap(world, JARI, Event.TROUBLE)
    views = await asyncio.gather(
        *(
            world.service.act(world.actor(JARI), Language.FI, at_check.token, Event.ASK)
            for _ in range(2)
        )
    )
    assert sorted(v.moved for v in views) == [False, True]
    assert len(world.store.requests) == 1
    assert len(world.outbox.messages) == 2


async def test_asking_again_while_a_request_is_open_writes_nothing_new(world: World) -> None:
    first = await ask(world)
    keys = set(world.outbox.messages)
    await tap(world, JARI, Event.BACK)  # back to the step, the request stays open
    await tap(world, JARI, Event.TROUBLE)
    again = await world.service.act(
        world.actor(JARI), Language.FI, world.store.rows[11].token, Event.ASK
    )
    assert again.moved
    assert again.progress.place is Place.ASKED
    assert again.note == "tutorial.note.asked_already"
    assert list(world.store.requests.values()) == [first]
    assert set(world.outbox.messages) == keys


async def test_asking_without_a_group_says_so(world: World) -> None:
    loner = world.people.add(Person("Yksin Olija", teams_id="29:yksin", id=30))
    await tap(world, loner, Event.CHOOSE, Device.WEB)
    at_check = await tap(world, loner, Event.TROUBLE)
    view = await world.service.act(world.actor(loner), Language.FI, at_check.token, Event.ASK)
    assert view.note == "tutorial.note.no_group"
    assert world.store.requests == {}
    assert world.outbox.messages == {}


# --- the instructors' side -------------------------------------------------------------------


async def test_two_instructors_taking_at_once_one_gets_it(world: World) -> None:
    request = await ask(world)
    before = set(world.outbox.messages)
    results = await asyncio.gather(
        world.service.take(world.actor(MAIJA), request.key),
        world.service.take(world.actor(TUULA), request.key),
    )
    assert world.store.request_conflicts == 1  # both read version 0: the race really happened
    kinds = sorted(r.value for r, _ in results)
    assert kinds == [TakeResult.TAKEN.value, TakeResult.TAKEN_BY_OTHER.value]
    winner = MAIJA if results[0][0] is TakeResult.TAKEN else TUULA
    loser_view = next(v for r, v in results if r is TakeResult.TAKEN_BY_OTHER)
    assert loser_view.taken_by_name == winner.name
    stored = world.store.requests[request.key]
    assert stored.status is HelpStatus.TAKEN
    assert stored.taken_by == winner.id
    assert stored.version == 1  # changed once
    new = [world.outbox.messages[k] for k in set(world.outbox.messages) - before]
    # both instructors' cards are updated in place, and the client hears who is coming
    updates = sorted((m.conversation_id, m.update_of is not None) for m in new)
    assert updates == [("a:jari", False), ("a:maija", True), ("a:opened:2", True)]
    for message in new:
        if message.card is None:
            continue
        buttons = [verb for verb, _ in actions_of(message.card)]
        own = message.conversation_id == ("a:maija" if winner is MAIJA else "a:opened:2")
        assert buttons == ([RESOLVE_VERB] if own else [])
    (note,) = world.outbox.to("a:jari")
    assert note.text is not None
    assert winner.name in note.text


async def test_taking_twice_is_already_yours_and_others_are_refused(world: World) -> None:
    request = await ask(world)
    result, _ = await world.service.take(world.actor(MAIJA), request.key)
    assert result is TakeResult.TAKEN
    count = len(world.outbox.messages)
    result, view = await world.service.take(world.actor(MAIJA), request.key)
    assert result is TakeResult.ALREADY_YOURS
    assert view.taken_by_name == MAIJA.name
    assert len(world.outbox.messages) == count
    with pytest.raises(NotAllowed):
        await world.service.take(world.actor(SARI), request.key)
    with pytest.raises(NotAllowed):
        await world.service.take(world.actor(JOHAN), request.key)
    with pytest.raises(NotFound):
        await world.service.take(world.actor(MAIJA), "help:no-such")
    assert world.store.requests[request.key].taken_by == MAIJA.id


async def test_a_resolved_request_cannot_be_taken(world: World) -> None:
    request = await ask(world)
    view = await world.service.resolve(world.actor(TUULA), request.key)
    assert view.request.status is HelpStatus.RESOLVED
    stored = world.store.requests[request.key]
    assert (stored.status, stored.resolved_by) == (HelpStatus.RESOLVED, TUULA.id)
    result, _ = await world.service.take(world.actor(MAIJA), request.key)
    assert result is TakeResult.RESOLVED
    with pytest.raises(NotAllowed):
        await world.service.resolve(world.actor(JOHAN), request.key)


async def test_it_works_now_after_asking_resolves_the_request_by_the_client(world: World) -> None:
    request = await ask(world)
    await world.service.take(world.actor(MAIJA), request.key)
    progress = await tap(world, JARI, Event.WORKS)
    assert progress.place is Place.STEP
    stored = world.store.requests[request.key]
    assert stored.status is HelpStatus.RESOLVED
    assert stored.resolved_by == JARI.id
    assert await world.store.open_request_of(11) is None
    resolved_cards = [
        m
        for m in world.outbox.messages.values()
        if m.update_of and m.key.endswith(f"resolved:{stored.version - 1}")
    ]
    assert sorted(m.conversation_id for m in resolved_cards) == ["a:maija", "a:opened:2"]
    assert all(m.card and not m.card.get("actions") for m in resolved_cards)


# --- sending the tutorial to a client ----------------------------------------------------------


@pytest.mark.parametrize(
    ("typed", "found"),
    [
        ("Sari Heikkinen", SARI),  # exact beats the partial Sari Heikkinen-Laine
        ("sari heikkinen", SARI),
        ("  SARI   HEIKKINEN ", SARI),
        ("Sari Heikkinen-Laine", SARI_LAINE),
        ("Sara", SARA),
        ("lind", SARA),
        ("mäkinen", JARI),
        ("MÄKINEN", JARI),
        ("jari", JARI),  # Jari Virtanen is not in Maija's groups
    ],
)
async def test_send_to_finds_the_client_by_name(world: World, typed: str, found: Person) -> None:
    result, name = await world.service.send_to(world.actor(MAIJA), typed, GROUP_CHAT)
    assert (result, name) == (SendResult.SENT, found.name)
    (message,) = world.outbox.messages.values()
    chat = await world.conversations.personal_for(found.id or 0)
    assert chat is not None
    assert message.conversation_id == chat.conversation_id
    assert message.card is not None
    assert world.store.rows[found.id or 0].group_id == IT.id


@pytest.mark.parametrize(
    ("typed", "names"),
    [
        ("sar", "Sara Lind, Sari Heikkinen, Sari Heikkinen-Laine"),
        ("Sari", "Sari Heikkinen, Sari Heikkinen-Laine"),
        ("SARI H", "Sari Heikkinen, Sari Heikkinen-Laine"),
    ],
)
async def test_send_to_an_ambiguous_name_lists_the_names_sorted(
    world: World, typed: str, names: str
) -> None:
    with pytest.raises(DomainError) as caught:
        await world.service.send_to(world.actor(MAIJA), typed, GROUP_CHAT)
    assert caught.value.key == "tutorial.send.ambiguous"
    assert caught.value.params["names"] == names
    assert world.outbox.messages == {}


async def test_send_to_two_clients_with_the_same_full_name_is_ambiguous(world: World) -> None:
    twin = world.people.add(Person("Sara Lind", teams_id="29:sara-2", id=16), (IT, Role.CLIENT))
    assert twin.id != SARA.id
    with pytest.raises(DomainError) as caught:
        await world.service.send_to(world.actor(MAIJA), "Sara Lind", GROUP_CHAT)
    assert caught.value.key == "tutorial.send.ambiguous"
    assert world.outbox.messages == {}


@pytest.mark.parametrize("typed", ["Olli", "Jari Virtanen", "Sari Heikkinen-Laine-Ek"])
async def test_send_to_an_unknown_name_is_not_found(world: World, typed: str) -> None:
    with pytest.raises(NotFound) as caught:
        await world.service.send_to(world.actor(MAIJA), typed, GROUP_CHAT)
    assert caught.value.key == "tutorial.send.unknown"
    assert world.outbox.messages == {}


async def test_send_to_with_no_name_asks_for_one(world: World) -> None:
    with pytest.raises(DomainError) as caught:
        await world.service.send_to(world.actor(MAIJA), "   ", GROUP_CHAT)
    assert caught.value.key == "tutorial.send.usage"


async def test_a_client_may_not_send_the_tutorial(world: World) -> None:
    with pytest.raises(NotAllowed):
        await world.service.send_to(world.actor(JARI), "Sari Heikkinen", GROUP_CHAT)
    with pytest.raises(NotAllowed):
        await world.service.send_to_person(world.actor(JARI), SARI.id or 0, GROUP_CHAT)
    assert world.outbox.messages == {}


async def test_send_to_person_only_for_the_instructors_own_clients(world: World) -> None:
    result, name = await world.service.send_to_person(world.actor(MAIJA), SARA.id or 0, GROUP_CHAT)
    assert (result, name) == (SendResult.SENT, SARA.name)
    with pytest.raises(NotAllowed):
        await world.service.send_to_person(world.actor(MAIJA), JARI_V.id or 0, GROUP_CHAT)


async def test_sending_twice_before_the_client_moves_enqueues_once(world: World) -> None:
    maija = world.actor(MAIJA)
    first = await world.service.send_to(maija, "Jari Mäkinen", GROUP_CHAT)
    second = await world.service.send_to(maija, "Jari Mäkinen", GROUP_CHAT)
    assert first == (SendResult.SENT, JARI.name)
    assert second == (SendResult.ALREADY_SENT, JARI.name)
    assert len(world.outbox.to("a:jari")) == 1
    # once the client has moved, the card shows somewhere new and goes again
    await tap(world, JARI, Event.CHOOSE, Device.MOBILE)
    third = await world.service.send_to(maija, "Jari Mäkinen", GROUP_CHAT)
    assert third == (SendResult.SENT, JARI.name)
    assert len(world.outbox.to("a:jari")) == 2


async def test_an_unreachable_client_gets_nothing(world: World) -> None:
    result, name = await world.service.send_to(world.actor(MAIJA), "Erkki", GROUP_CHAT)
    assert (result, name) == (SendResult.UNREACHABLE, ERKKI.name)
    assert world.outbox.messages == {}


async def test_a_client_reached_for_the_first_time_gets_a_new_chat(world: World) -> None:
    result, _ = await world.service.send_to(world.actor(MAIJA), "Sara Lind", GROUP_CHAT)
    assert result is SendResult.SENT
    assert world.chats.opened == [SARA.id]
    (message,) = world.outbox.messages.values()
    assert message.conversation_id == f"a:opened:{SARA.id}"
    assert message.card is not None
    tokens = {data.get("t") for verb, data in actions_of(message.card) if verb == GO_VERB}
    assert tokens == {world.store.rows[SARA.id or 0].token}


async def test_start_privately_from_a_group_chat(world: World) -> None:
    sara = world.actor(SARA)
    first = await world.service.start_privately(sara, Language.FI, GROUP_CHAT, Device.WEB)
    again = await world.service.start_privately(sara, Language.FI, GROUP_CHAT, Device.WEB)
    assert (first, again) == (SendResult.SENT, SendResult.ALREADY_SENT)
    assert len(world.outbox.messages) == 1
    erkki = world.actor(ERKKI)
    assert (
        await world.service.start_privately(erkki, Language.FI, GROUP_CHAT)
        is SendResult.UNREACHABLE
    )
