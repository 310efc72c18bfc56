"""bot/reach.py: when the app is installed through Graph, and when it is not tried."""

from __future__ import annotations

from typing import Any

import pytest

from bot.reach import PAUSE_SECONDS, InstallingChats
from domain.graph import (
    AttendeeRecord,
    GraphProblem,
    GraphUnavailable,
    InstalledChat,
    MeetingRef,
    ReportSummary,
)
from domain.i18n import CATALOGS, placeholders, text
from domain.model import Conversation, ConversationKind
from domain.org import Language, Person
from domain.reach import NotReached, Reached, Unreachable, names_with_reasons, why_text

VIA = Conversation(
    conversation_id="19:group@thread.v2",
    kind=ConversationKind.GROUP_CHAT,
    service_url="https://smba.example/teams/",
    tenant_id="tenant",
    reference={"bot": {"id": "28:bot"}},
)
JARI = Person("Jari Virtanen", aad_object_id="aad-jari", upn="jari@example.fi", id=1)
LIISA = Person("Liisa Laine", upn="liisa@example.fi", teams_id="29:liisa", id=2)
NOBODY = Person("Ei Tunnuksia", id=3)  # neither an object id nor a UPN


class Teams:
    """The Bot Connector side: answers what it is told to, remembers adopted chats."""

    def __init__(self, answer: Reached) -> None:
        self.answer = answer
        self.adopted: list[tuple[int | None, str]] = []

    async def reach(self, person: Person, via: Conversation) -> Reached:
        return self.answer

    async def adopt(self, person: Person, via: Conversation, conversation_id: str) -> Conversation:
        self.adopted.append((person.id, conversation_id))
        return Conversation(
            conversation_id=conversation_id,
            kind=ConversationKind.PERSONAL,
            service_url=via.service_url,
            reference={},
            tenant_id=via.tenant_id,
            person_id=person.id,
        )


class Graph:
    """Installs the app, or fails as told."""

    def __init__(self, fail: dict[str, GraphProblem] | None = None) -> None:
        self.fail = fail or {}
        self.installs: list[str] = []

    async def install_app(self, user: str) -> InstalledChat:
        self.installs.append(user)
        if user in self.fail:
            raise GraphUnavailable(self.fail[user], 403)
        return InstalledChat(chat_id=f"19:{user}@unq.gbl.spaces")

    async def meeting_by_join_url(self, organizer_id: str, join_url: str) -> MeetingRef | None:
        raise AssertionError("not asked")

    async def meeting_of_chat(self, chat_id: str) -> MeetingRef | None:
        raise AssertionError("not asked")

    async def reports(self, meeting: MeetingRef) -> list[ReportSummary]:
        raise AssertionError("not asked")

    async def records(self, meeting: MeetingRef, report_id: str) -> list[AttendeeRecord]:
        raise AssertionError("not asked")

    async def close(self) -> None:
        return None


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


class World:
    def __init__(self, answer: Reached, graph: Graph, catalog_id: str = "app") -> None:
        self.teams = Teams(answer)
        self.graph = graph
        self.audit: list[tuple[str, str, dict[str, Any]]] = []
        self.clock = Clock()
        self.chats = InstallingChats(
            self.teams, graph, self._audit, catalog_id=catalog_id, clock=self.clock
        )

    async def _audit(self, action: str, subject: str, details: dict[str, Any]) -> None:
        self.audit.append((action, subject, details))


NOT_INSTALLED = Reached(None, Unreachable.NOT_INSTALLED)
NO_TEAMS_ID = Reached(None, Unreachable.NO_TEAMS_ID)


async def test_a_person_teams_refuses_gets_the_app_by_object_id_and_the_chat_is_audited() -> None:
    world = World(NOT_INSTALLED, Graph())
    reached = await world.chats.reach(JARI, VIA)
    assert reached.ok and reached.conversation is not None
    assert reached.conversation.conversation_id == "19:aad-jari@unq.gbl.spaces"
    assert world.graph.installs == ["aad-jari"]
    assert world.teams.adopted == [(1, "19:aad-jari@unq.gbl.spaces")]
    assert world.audit == [
        ("app.installed", "person:1", {"conversation": "19:aad-jari@unq.gbl.spaces", "by": "graph"})
    ]


async def test_a_person_without_a_teams_id_gets_the_app_by_upn() -> None:
    world = World(NO_TEAMS_ID, Graph())
    assert await world.chats.open(LIISA, VIA) is not None
    assert world.graph.installs == ["liisa@example.fi"]


async def test_a_chat_teams_opens_installs_nothing() -> None:
    chat = Conversation("a:1", ConversationKind.PERSONAL, VIA.service_url, {}, person_id=2)
    world = World(Reached(chat), Graph())
    assert await world.chats.reach(LIISA, VIA) == Reached(chat)
    assert world.graph.installs == [] and world.audit == []


async def test_teams_not_answering_is_no_reason_to_install() -> None:
    world = World(Reached(None, Unreachable.NO_ANSWER), Graph())
    assert await world.chats.reach(JARI, VIA) == Reached(None, Unreachable.NO_ANSWER)
    assert world.graph.installs == []


async def test_someone_graph_cannot_name_keeps_the_reason_teams_gave() -> None:
    world = World(NO_TEAMS_ID, Graph())
    assert await world.chats.reach(NOBODY, VIA) == NO_TEAMS_ID
    assert world.graph.installs == []


async def test_without_the_catalog_id_nothing_is_installed() -> None:
    world = World(NOT_INSTALLED, Graph(), catalog_id="")
    assert await world.chats.reach(JARI, VIA) == Reached(None, Unreachable.NOT_CONFIGURED)
    assert world.graph.installs == []


@pytest.mark.parametrize("problem", sorted(PAUSE_SECONDS))
async def test_a_failure_that_would_repeat_pauses_installing_for_a_while(
    problem: GraphProblem,
) -> None:
    world = World(NOT_INSTALLED, Graph({"aad-jari": problem}))
    failed = Reached(None, Unreachable.INSTALL_FAILED, problem)
    assert await world.chats.reach(JARI, VIA) == failed
    # Liisa is not tried while the pause lasts: she gets the same reason
    assert await world.chats.reach(LIISA, VIA) == failed
    assert world.graph.installs == ["aad-jari"]
    world.clock.now += PAUSE_SECONDS[problem]
    assert (await world.chats.reach(LIISA, VIA)).ok
    assert world.graph.installs == ["aad-jari", "liisa@example.fi"]


async def test_one_person_not_found_does_not_stop_the_others() -> None:
    world = World(NOT_INSTALLED, Graph({"aad-jari": GraphProblem.NOT_FOUND}))
    failed = await world.chats.reach(JARI, VIA)
    assert failed == Reached(None, Unreachable.INSTALL_FAILED, GraphProblem.NOT_FOUND)
    assert (await world.chats.reach(LIISA, VIA)).ok
    assert world.audit == [
        (
            "app.installed",
            "person:2",
            {"conversation": "19:liisa@example.fi@unq.gbl.spaces", "by": "graph"},
        )
    ]


@pytest.mark.parametrize("language", list(Language))
def test_every_reason_and_problem_has_words_in_every_language(language: Language) -> None:
    for why in Unreachable:
        problems = list(GraphProblem) if why is Unreachable.INSTALL_FAILED else [None]
        for problem in problems:
            said = why_text(language, NotReached("X", why, problem))
            assert said and "{" not in said
    for key in CATALOGS[language]:
        if key.startswith("reach."):
            assert placeholders(CATALOGS[language][key]) == placeholders(CATALOGS[Language.FI][key])


def test_names_come_with_their_reasons() -> None:
    missed = [
        NotReached("Jari Virtanen", Unreachable.NOT_INSTALLED),
        NotReached("Liisa Laine", Unreachable.INSTALL_FAILED, GraphProblem.FORBIDDEN),
    ]
    assert names_with_reasons(Language.FI, missed) == (
        "Jari Virtanen (Etäpäivä ei ole hänen Teamsissaan), Liisa Laine (en saanut lisättyä "
        "Etäpäivää hänen Teamsiinsa: lupa puuttuu, kerro ylläpitäjälle)"
    )
    assert text(Language.EN, "reach.why.no_teams_id") == "they have not written to me yet"
