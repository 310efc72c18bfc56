"""Tests for the router: turns in, outcomes out, with real domain services over fakes."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest

from bot.features import FEATURES
from cards.bind import BIND_VERB
from cards.general import HELP_VERB
from cards.tutorial import ASK_VERB, START_VERB
from dialogs.context import Services
from dialogs.router import Router
from dialogs.state import StateAccess
from dialogs.turn import Outcome, Turn, TurnKind
from domain.binding import Binder
from domain.directory import Directory
from domain.i18n import text
from domain.model import Conversation, ConversationKind, RoleGrant, TeamsUser
from domain.org import Group, Language, Person, Role, Unit
from domain.ports import (
    ConversationRepository,
    GroupListing,
    OrgRepository,
    StateRepository,
)
from tests.fakes.memory import (
    FakeConversationRepository,
    FakeGroupListing,
    FakeOrgRepository,
    FakeStateRepository,
)

IT_UNIT = Unit(key="uusix-it", name="Uusix IT-paja", id=1)
CERAMICS_UNIT = Unit(key="uusix-keramiikka", name="Uusix keramiikka ja koru", id=2)
IT = Group(key="it-etaryhma", unit_key="uusix-it", name="IT-pajan etäryhmä", id=1)
CERAMICS = Group(key="keramiikka", unit_key="uusix-keramiikka", name="Keramiikkaryhmä", id=2)
METAL = Group(key="metalli", unit_key="uusix-it", name="Kyläsaari, metalli", id=3)
SWEDISH = Group(
    key="svenska", unit_key="uusix-it", name="Svenska gruppen", language=Language.SV, id=4
)
GROUPS = (IT, CERAMICS, METAL, SWEDISH)
UNITS = (IT_UNIT, CERAMICS_UNIT)
SERVICE_URL = "https://smba.trafficmanager.net/emea/"


@dataclass
class World:
    """The router and the fakes behind it, with a few people."""

    router: Router
    org: FakeOrgRepository
    conversations: FakeConversationRepository
    state: FakeStateRepository
    client: Person
    instructor: Person
    solo_instructor: Person
    svensk: Person


@pytest.fixture
def world() -> World:
    org = FakeOrgRepository(GROUPS)
    conversations = FakeConversationRepository()
    state = FakeStateRepository()
    client = org.seed(Person(name="Asiakas", teams_id="29:client"), RoleGrant(Role.CLIENT, IT))
    instructor = org.seed(
        Person(name="Ohjaaja", teams_id="29:instructor"),
        RoleGrant(Role.INSTRUCTOR, IT),
        RoleGrant(Role.INSTRUCTOR, CERAMICS),
        RoleGrant(Role.INSTRUCTOR, METAL),
    )
    solo = org.seed(Person(name="Yksi", teams_id="29:solo"), RoleGrant(Role.INSTRUCTOR, CERAMICS))
    svensk = org.seed(
        Person(name="Klient", teams_id="29:svensk", language=Language.SV),
        RoleGrant(Role.CLIENT, IT),
    )
    services = Services(
        directory=Directory(org),
        binder=Binder(conversations),
        org=org,
        groups=FakeGroupListing(conversations, GROUPS, UNITS),
        conversations=conversations,
        state=StateAccess(state),
    )
    return World(
        Router(services, [p.feature for p in FEATURES]),
        org,
        conversations,
        state,
        client,
        instructor,
        solo,
        svensk,
    )


def test_fakes_implement_the_ports(world: World) -> None:
    org: OrgRepository = world.org
    conversations: ConversationRepository = world.conversations
    listing: GroupListing = FakeGroupListing(world.conversations, GROUPS, UNITS)
    state: StateRepository = world.state
    assert all(port is not None for port in (org, conversations, listing, state))


# --- helpers ----------------------------------------------------------------------------


def chat(kind: ConversationKind = ConversationKind.PERSONAL, cid: str = "") -> Conversation:
    default = "a:personal" if kind is ConversationKind.PERSONAL else "19:group@thread.v2"
    return Conversation(
        conversation_id=cid or default, kind=kind, service_url=SERVICE_URL, reference={}
    )


def user(person: Person, locale: str | None = "fi-FI") -> TeamsUser:
    assert person.teams_id is not None
    return TeamsUser(teams_id=person.teams_id, name=person.name, locale=locale)


def message(
    person: Person,
    typed: str,
    *,
    locale: str | None = "fi-FI",
    kind: ConversationKind = ConversationKind.PERSONAL,
    cid: str = "",
    mentioned: bool = True,
) -> Turn:
    """A message; in a group chat it @mentions the bot unless mentioned is False."""
    return Turn(
        TurnKind.MESSAGE, chat(kind, cid), user(person, locale), text=typed, mentioned=mentioned
    )


def action(
    person: Person, payload: Any, *, kind: ConversationKind = ConversationKind.GROUP_CHAT
) -> Turn:
    return Turn(TurnKind.ACTION, chat(kind), user(person), action=payload, is_invoke=True)


def installed(person: Person, kind: ConversationKind, cid: str = "") -> Turn:
    return Turn(TurnKind.INSTALLED, chat(kind, cid), user(person))


def only_text(outcome: Outcome) -> str:
    assert len(outcome.replies) == 1
    reply = outcome.replies[0]
    assert reply.text is not None
    return reply.text


def group_of(world: World, cid: str = "19:group@thread.v2") -> int | None:
    stored = world.conversations.conversations.get(cid)
    return stored.group_id if stored else None


# --- help and language ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("locale", "typed"),
    [("fi-FI", "apua"), ("sv-FI", "hjälp"), ("en-US", "help"), ("de-DE", "help"), (None, "help")],
)
async def test_help_answers_a_known_person_in_their_groups_language_not_the_locale(
    world: World, locale: str | None, typed: str
) -> None:
    answer = only_text(await world.router.handle(message(world.client, typed, locale=locale)))
    assert answer.startswith(text(Language.FI, "help.intro"))
    assert text(Language.FI, "help.item.my_group", groups=IT.name) in answer


@pytest.mark.parametrize(
    ("locale", "typed", "language"),
    [
        ("fi-FI", "apua", Language.FI),
        ("sv-FI", "hjälp", Language.SV),
        ("sv-SE", "help", Language.SV),
        ("en-US", "help", Language.EN),
        ("en-GB", "apua", Language.EN),
        ("de-DE", "help", Language.FI),
        (None, "help", Language.FI),
    ],
)
async def test_help_answers_someone_unknown_in_their_locale(
    world: World, locale: str | None, typed: str, language: Language
) -> None:
    stranger = world.org.seed(Person(name="Vieras", teams_id="29:stranger"))
    answer = only_text(await world.router.handle(message(stranger, typed, locale=locale)))
    assert answer.startswith(text(language, "help.intro"))


async def test_a_stored_language_choice_wins_over_the_locale(world: World) -> None:
    answer = only_text(await world.router.handle(message(world.svensk, "apua", locale="fi-FI")))
    assert answer.startswith(text(Language.SV, "help.intro"))


async def test_kieli_sv_changes_the_language_and_answers_in_swedish(world: World) -> None:
    answer = only_text(await world.router.handle(message(world.client, "kieli sv")))
    assert answer == text(Language.SV, "language.changed")
    assert world.org.people[world.client.id or 0].chosen_language is Language.SV
    later = only_text(await world.router.handle(message(world.client, "apua", locale="fi-FI")))
    assert later.startswith(text(Language.SV, "help.intro"))


@pytest.mark.parametrize(
    ("typed", "language"),
    [
        ("language english", Language.EN),
        ("språk på svenska", Language.SV),
        ("KIELI FI", Language.FI),
    ],
)
async def test_language_words_in_any_language_are_understood(
    world: World, typed: str, language: Language
) -> None:
    answer = only_text(await world.router.handle(message(world.svensk, typed)))
    assert answer == text(language, "language.changed")


async def test_an_unknown_language_answers_with_the_language_card(world: World) -> None:
    outcome = await world.router.handle(message(world.client, "kieli klingon"))
    [reply] = outcome.replies
    assert reply.card is not None
    assert [a["title"] for a in reply.card["actions"]] == ["Suomi", "Svenska", "English"]
    assert world.org.people[world.client.id or 0].chosen_language is None


@pytest.mark.parametrize(
    ("locale", "language"), [("fi-FI", Language.FI), ("sv-FI", Language.SV), ("en-US", Language.EN)]
)
async def test_unknown_text_gets_the_unknown_text(
    world: World, locale: str, language: Language
) -> None:
    stranger = world.org.seed(Person(name="Vieras", teams_id="29:stranger"))
    outcome = await world.router.handle(message(stranger, "mitä kuuluu", locale=locale))
    [reply] = outcome.replies
    assert reply.text == text(language, "fallback.personal")
    assert reply.card is not None
    verbs = [a["verb"] for a in reply.card["actions"]]
    assert verbs == [START_VERB, HELP_VERB]  # nobody's client: nobody to ask
    outcome = await world.router.handle(message(world.client, "mitä kuuluu", locale=locale))
    [reply] = outcome.replies
    assert reply.text == text(Language.FI, "fallback.personal")  # known: their own language
    assert reply.card is not None
    assert [a["verb"] for a in reply.card["actions"]] == [START_VERB, ASK_VERB, HELP_VERB]


@pytest.mark.parametrize(
    "kind", [ConversationKind.GROUP_CHAT, ConversationKind.CHANNEL, ConversationKind.MEETING]
)
async def test_group_text_without_a_mention_that_is_for_nobody_is_not_answered(
    world: World, kind: ConversationKind
) -> None:
    for typed in ("mitä kuuluu", "nimenhuto", "kiitos", "?", "apua, kiitos"):
        outcome = await world.router.handle(
            message(world.client, typed, kind=kind, mentioned=False)
        )
        assert outcome.replies == [], typed


async def test_a_client_asking_for_groups_gets_help(world: World) -> None:
    answer = only_text(await world.router.handle(message(world.client, "ryhmät")))
    assert answer.startswith(text(Language.FI, "help.intro"))


async def test_an_instructor_sees_their_groups_and_which_have_a_chat(world: World) -> None:
    group_chat = ConversationKind.GROUP_CHAT
    await world.router.handle(message(world.solo_instructor, "tämä on ryhmä", kind=group_chat))
    answer = only_text(await world.router.handle(message(world.instructor, "ryhmät")))
    assert answer.startswith(text(Language.FI, "groups.title"))
    line = text(Language.FI, "groups.line.bound", group=CERAMICS.name, unit=CERAMICS_UNIT.name)
    assert line in answer
    assert SWEDISH.name not in answer


# --- welcome ----------------------------------------------------------------------------


async def test_installing_in_a_group_chat_welcomes_once(world: World) -> None:
    first = only_text(await world.router.handle(installed(world.client, ConversationKind.CHANNEL)))
    assert text(Language.FI, "welcome.group") in first
    assert text(Language.FI, "welcome.group.instructor_hint") in first
    second = await world.router.handle(installed(world.instructor, ConversationKind.CHANNEL))
    assert second.replies == []


async def test_installing_in_a_personal_chat_welcomes_once(world: World) -> None:
    first = await world.router.handle(installed(world.client, ConversationKind.PERSONAL))
    assert only_text(first) == text(Language.FI, "welcome.personal")
    second = await world.router.handle(installed(world.client, ConversationKind.PERSONAL))
    assert second.replies == []


async def test_each_conversation_is_welcomed_on_its_own(world: World) -> None:
    group = ConversationKind.GROUP_CHAT
    await world.router.handle(installed(world.client, group, cid="19:a@thread.v2"))
    other = await world.router.handle(installed(world.client, group, cid="19:b@thread.v2"))
    assert text(Language.FI, "welcome.group") in only_text(other)


# --- binding ----------------------------------------------------------------------------


async def test_a_forged_bind_payload_from_a_client_changes_nothing(world: World) -> None:
    forged = action(world.client, {"verb": BIND_VERB, "group": IT.key})
    outcome = await world.router.handle(forged)
    assert only_text(outcome) == text(Language.FI, "bind.not_instructor")
    assert outcome.card_update is None
    assert world.conversations.bind_calls == []
    assert group_of(world) is None


async def test_a_forged_bind_payload_for_another_instructors_group_changes_nothing(
    world: World,
) -> None:
    outcome = await world.router.handle(
        action(world.solo_instructor, {"verb": BIND_VERB, "group": IT.key})
    )
    assert only_text(outcome) == text(Language.FI, "bind.not_instructor")
    assert world.conversations.bind_calls == []
    assert group_of(world) is None


@pytest.mark.parametrize(
    "payload",
    [
        None,
        "bind.choose",
        ["bind.choose"],
        {},
        {"verb": 7},
        {"verb": "Bind Choose"},
        {"verb": BIND_VERB, "group": {"key": IT.key}},
        {"verb": BIND_VERB, "group": "x" * 10_000},
        {"verb": "no.such.verb", "group": IT.key},
    ],
    ids=repr,
)
async def test_a_malformed_payload_answers_card_stale(world: World, payload: Any) -> None:
    outcome = await world.router.handle(action(world.instructor, payload))
    assert only_text(outcome) == text(Language.FI, "card.stale")
    assert world.conversations.bind_calls == []


async def test_bind_with_several_groups_offers_a_card(world: World) -> None:
    group_chat = ConversationKind.GROUP_CHAT
    outcome = await world.router.handle(message(world.instructor, "tämä on ryhmä", kind=group_chat))
    assert len(outcome.replies) == 1
    card = outcome.replies[0].card
    assert card is not None
    assert card["type"] == "AdaptiveCard"
    assert {a["data"]["group"] for a in card["actions"]} == {IT.key, CERAMICS.key, METAL.key}
    assert world.conversations.bind_calls == []


async def test_tapping_a_group_on_the_card_binds_it(world: World) -> None:
    outcome = await world.router.handle(
        action(world.instructor, {"verb": BIND_VERB, "group": METAL.key})
    )
    assert only_text(outcome) == text(Language.FI, "bind.done", group=METAL.name)
    assert outcome.card_update is not None
    assert "actions" not in outcome.card_update
    assert group_of(world) == METAL.id


async def test_bind_with_one_group_binds_directly(world: World) -> None:
    turn = message(world.solo_instructor, "this is group", kind=ConversationKind.MEETING)
    outcome = await world.router.handle(turn)
    assert only_text(outcome) == text(Language.FI, "bind.done", group=CERAMICS.name)
    assert group_of(world) == CERAMICS.id
    again = await world.router.handle(turn)
    assert only_text(again) == text(Language.FI, "bind.already", group=CERAMICS.name)


async def test_bind_by_name_binds_that_group(world: World) -> None:
    group_chat = ConversationKind.GROUP_CHAT
    turn = message(world.instructor, "Tämä on ryhmä IT-pajan etäryhmä", kind=group_chat)
    outcome = await world.router.handle(turn)
    assert only_text(outcome) == text(Language.FI, "bind.done", group=IT.name)
    assert group_of(world) == IT.id


async def test_bind_by_a_name_with_a_comma_binds_that_group(world: World) -> None:
    group_chat = ConversationKind.GROUP_CHAT
    turn = message(world.instructor, f"tämä on ryhmä {METAL.name}", kind=group_chat)
    outcome = await world.router.handle(turn)
    assert only_text(outcome) == text(Language.FI, "bind.done", group=METAL.name)
    assert group_of(world) == METAL.id


async def test_bind_by_an_unknown_name_says_so(world: World) -> None:
    group_chat = ConversationKind.GROUP_CHAT
    turn = message(world.instructor, "tämä on ryhmä ompelu", kind=group_chat)
    answer = only_text(await world.router.handle(turn))
    assert answer == text(Language.FI, "bind.unknown_group", name="ompelu")
    assert group_of(world) is None


async def test_bind_in_a_personal_chat_is_refused(world: World) -> None:
    answer = only_text(await world.router.handle(message(world.instructor, "tämä on ryhmä")))
    assert answer == text(Language.FI, "bind.personal_chat")
    assert world.conversations.bind_calls == []


async def test_a_bound_group_chat_falls_back_to_the_groups_language(world: World) -> None:
    swedish_instructor = world.org.seed(
        Person(name="Handledare", teams_id="29:handledare"), RoleGrant(Role.INSTRUCTOR, SWEDISH)
    )
    group_chat = ConversationKind.GROUP_CHAT
    await world.router.handle(
        message(swedish_instructor, "detta är gruppen", kind=group_chat, locale=None)
    )
    answer = only_text(
        await world.router.handle(message(world.client, "?", kind=group_chat, locale=None))
    )
    assert answer.startswith(text(Language.SV, "help.intro"))


async def test_uninstalling_marks_the_conversation_inactive(world: World) -> None:
    await world.router.handle(message(world.client, "apua"))
    outcome = await world.router.handle(Turn(TurnKind.UNINSTALLED, chat(), user(world.client)))
    assert outcome.replies == []
    assert world.conversations.conversations["a:personal"].active is False


def test_only_idempotent_card_verbs_skip_the_inbox(world: World) -> None:
    from dialogs.turn import Turn, TurnKind
    from domain.model import Conversation, ConversationKind, TeamsUser

    conv = Conversation("19:x@thread.v2", ConversationKind.GROUP_CHAT, "https://s", {})
    user = TeamsUser("29:a", "A")

    def action(verb: str) -> Turn:
        return Turn(TurnKind.ACTION, conv, user, action={"verb": verb}, is_invoke=True)

    router = world.router
    assert {
        "rollcall.here",
        "rollcall.refresh",
        "feedback.score",
        "feedback.skip",
        "feedback.change",
        "own.month",
        "digest.more",
    } == router.registry.idempotent
    assert not router.needs_dedupe(action("rollcall.here"))
    assert not router.needs_dedupe(action("rollcall.refresh"))
    for verb in (
        "rollcall.close",
        "attendance.save",
        "help.take",
        "agenda.steer",
        "tutorial.go",
        "feedback.more",
        "export.make",
    ):
        assert router.needs_dedupe(action(verb))
    assert router.needs_dedupe(Turn(TurnKind.MESSAGE, conv, user, text="nimenhuuto"))
