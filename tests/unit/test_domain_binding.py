"""Tests for binding a group conversation to a group (domain/binding.py)."""

from __future__ import annotations

from dataclasses import replace

import pytest

from domain.binding import Binder, BindOutcome, BindResult, bindable_groups, find_group
from domain.errors import NotAllowed, NotFound
from domain.model import Actor, Conversation, ConversationKind, RoleGrant
from domain.org import Group, Person, Role
from domain.ports import ConversationRepository
from tests.fakes.memory import FakeConversationRepository

IT = Group(key="it-etaryhma", unit_key="uusix-it", name="IT-pajan etäryhmä", id=1)
IT_SALES = Group(key="it-myynti", unit_key="uusix-it", name="IT-myynnin etäryhmä", id=2)
CERAMICS = Group(key="keramiikka", unit_key="uusix-keramiikka", name="Keramiikka ja koru", id=3)
WOOD = Group(key="puu", unit_key="uusix-puu", name="Puu- ja pintapaja", id=4)


def conversation(
    conversation_id: str, kind: ConversationKind, group_id: int | None = None
) -> Conversation:
    return Conversation(
        conversation_id=conversation_id,
        kind=kind,
        service_url="https://smba.trafficmanager.net/emea/",
        reference={},
        group_id=group_id,
    )


def actor(*grants: RoleGrant) -> Actor:
    return Actor(person=Person(name="Ohjaaja", id=7), grants=grants)


def instructor_of(*groups: Group) -> Actor:
    return actor(*(RoleGrant(Role.INSTRUCTOR, group=g) for g in groups))


CLIENT = actor(RoleGrant(Role.CLIENT, group=IT))
GROUP_CHAT = conversation("19:meeting_abc@thread.v2", ConversationKind.MEETING)


@pytest.fixture
def repo() -> FakeConversationRepository:
    return FakeConversationRepository(
        GROUP_CHAT,
        conversation("19:old@thread.v2", ConversationKind.GROUP_CHAT, group_id=CERAMICS.id),
        conversation("a:personal", ConversationKind.PERSONAL),
    )


def test_fake_repository_implements_the_port(repo: FakeConversationRepository) -> None:
    port: ConversationRepository = repo
    assert port is repo


async def test_a_client_cannot_bind(repo: FakeConversationRepository) -> None:
    before = dict(repo.conversations)
    with pytest.raises(NotAllowed) as caught:
        await Binder(repo).bind(CLIENT, GROUP_CHAT, IT.key)
    assert caught.value.key == "bind.not_instructor"
    assert repo.conversations == before
    assert repo.bind_calls == []


def test_a_coordinator_or_admin_is_not_an_instructor() -> None:
    for who in (actor(RoleGrant(Role.COORDINATOR)), actor(RoleGrant(Role.ADMIN))):
        with pytest.raises(NotAllowed) as caught:
            Binder(FakeConversationRepository()).check_can_bind(who, GROUP_CHAT)
        assert caught.value.key == "bind.not_instructor"


async def test_binding_in_a_personal_chat_is_refused(repo: FakeConversationRepository) -> None:
    personal = repo.conversations["a:personal"]
    with pytest.raises(NotAllowed) as caught:
        await Binder(repo).bind(instructor_of(IT), personal, IT.key)
    assert caught.value.key == "bind.personal_chat"
    assert repo.bind_calls == []


async def test_an_instructor_without_groups_is_told_so(repo: FakeConversationRepository) -> None:
    lost = actor(RoleGrant(Role.INSTRUCTOR, group=None))
    with pytest.raises(NotFound) as caught:
        await Binder(repo).bind(lost, GROUP_CHAT, IT.key)
    assert caught.value.key == "bind.no_groups"


@pytest.mark.parametrize(
    "kind", [ConversationKind.GROUP_CHAT, ConversationKind.CHANNEL, ConversationKind.MEETING]
)
async def test_an_instructor_binds_a_group_they_instruct(
    repo: FakeConversationRepository, kind: ConversationKind
) -> None:
    chat = conversation("19:new@thread.v2", kind)
    repo.conversations[chat.conversation_id] = chat
    outcome = await Binder(repo).bind(instructor_of(IT, IT_SALES), chat, IT.key)
    assert outcome == BindOutcome(IT, BindResult.BOUND)
    assert repo.conversations[chat.conversation_id].group_id == IT.id
    assert repo.bind_calls == [(chat.conversation_id, IT.id, 7)]


async def test_a_forged_group_key_of_another_group_is_refused(
    repo: FakeConversationRepository,
) -> None:
    before = dict(repo.conversations)
    with pytest.raises(NotAllowed) as caught:
        await Binder(repo).bind(instructor_of(IT), GROUP_CHAT, CERAMICS.key)
    assert caught.value.key == "bind.not_instructor"
    assert repo.conversations == before
    assert repo.bind_calls == []


@pytest.mark.parametrize("key", ["", "no-such-group", "IT-ETARYHMA", "1"])
async def test_an_unknown_group_key_is_refused(repo: FakeConversationRepository, key: str) -> None:
    with pytest.raises(NotAllowed):
        await Binder(repo).bind(instructor_of(IT), GROUP_CHAT, key)
    assert repo.bind_calls == []


async def test_a_client_role_in_a_group_does_not_allow_binding_it(
    repo: FakeConversationRepository,
) -> None:
    mixed = actor(RoleGrant(Role.INSTRUCTOR, group=IT), RoleGrant(Role.CLIENT, group=WOOD))
    assert bindable_groups(mixed) == (IT,)
    with pytest.raises(NotAllowed):
        await Binder(repo).bind(mixed, GROUP_CHAT, WOOD.key)
    assert repo.bind_calls == []


async def test_binding_again_to_the_same_group_is_already(
    repo: FakeConversationRepository,
) -> None:
    bound = replace(GROUP_CHAT, group_id=IT.id)
    repo.conversations[bound.conversation_id] = bound
    outcome = await Binder(repo).bind(instructor_of(IT), bound, IT.key)
    assert outcome == BindOutcome(IT, BindResult.ALREADY)
    assert repo.bind_calls == []


async def test_binding_a_group_that_used_another_chat_is_moved(
    repo: FakeConversationRepository,
) -> None:
    outcome = await Binder(repo).bind(instructor_of(CERAMICS), GROUP_CHAT, CERAMICS.key)
    assert outcome == BindOutcome(CERAMICS, BindResult.MOVED)
    assert repo.conversations[GROUP_CHAT.conversation_id].group_id == CERAMICS.id
    assert repo.conversations["19:old@thread.v2"].group_id is None


async def test_bindable_groups_are_the_instructed_ones_in_name_order() -> None:
    who = instructor_of(WOOD, IT, CERAMICS)
    assert bindable_groups(who) == (IT, CERAMICS, WOOD)
    assert Binder(FakeConversationRepository()).check_can_bind(who, GROUP_CHAT) == (
        IT,
        CERAMICS,
        WOOD,
    )


GROUPS = (IT, IT_SALES, CERAMICS, WOOD)


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("it-etaryhma", IT),
        ("IT-ETARYHMA", IT),
        ("IT-pajan etäryhmä", IT),
        ("it-pajan   ETÄRYHMÄ", IT),
        ("  keramiikka ", CERAMICS),
        ("KORU", CERAMICS),
        ("pajan", IT),
        ("pintapaja", WOOD),
        ("myynnin", IT_SALES),
    ],
)
def test_find_group_matches_key_name_and_unique_partial_name(typed: str, expected: Group) -> None:
    assert find_group(GROUPS, typed) == expected


@pytest.mark.parametrize("typed", ["etäryhmä", "it-", "", "   ", "ompelu"])
def test_find_group_returns_none_when_ambiguous_or_unknown(typed: str) -> None:
    assert find_group(GROUPS, typed) is None


def test_find_group_prefers_an_exact_name_to_partial_matches() -> None:
    short = Group(key="a", unit_key="u", name="IT", id=10)
    longer = Group(key="b", unit_key="u", name="IT-paja", id=11)
    assert find_group((longer, short), "it") == short
