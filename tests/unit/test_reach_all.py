"""Reaching several people at once within a turn's time (domain.ports.reach_all)."""

from __future__ import annotations

import asyncio

from domain.model import Conversation, ConversationKind
from domain.org import Person
from domain.ports import reach_all
from domain.reach import Reached, Unreachable

VIA = Conversation(
    conversation_id="19:group",
    kind=ConversationKind.GROUP_CHAT,
    service_url="https://smba.example",
    reference={},
    tenant_id="t",
)


class NoChats:
    """A conversation repository knowing no 1:1 chat yet."""

    async def personal_for(self, person_id: int) -> Conversation | None:
        return None


class SlowTeams:
    """Opens a chat for each person after their own delay, counting how many run at once."""

    def __init__(self, delays: dict[int, float]) -> None:
        self.delays = delays
        self.running = 0
        self.most = 0
        self.finished: list[int] = []

    async def open(self, person: Person, via: Conversation) -> Conversation | None:
        return (await self.reach(person, via)).conversation

    async def reach(self, person: Person, via: Conversation) -> Reached:
        assert person.id is not None
        self.running += 1
        self.most = max(self.most, self.running)
        try:
            await asyncio.sleep(self.delays[person.id])
        finally:
            self.running -= 1
        self.finished.append(person.id)
        chat = Conversation(
            conversation_id=f"a:{person.id}",
            kind=ConversationKind.PERSONAL,
            service_url=via.service_url,
            reference={},
            person_id=person.id,
        )
        return Reached(chat)


def people(n: int) -> list[Person]:
    return [Person(id=i, name=f"Asiakas {i}") for i in range(1, n + 1)]


async def test_people_are_reached_a_few_at_a_time_and_answered_in_their_order() -> None:
    teams = SlowTeams({i: 0.05 * (21 - i) for i in range(1, 21)})
    found = await reach_all(NoChats(), teams, people(20), VIA, at_once=8)  # type: ignore[arg-type]
    assert [r.conversation.conversation_id for r in found if r.conversation] == [
        f"a:{i}" for i in range(1, 21)
    ]
    assert teams.most == 8


async def test_whoever_is_not_reached_in_time_is_no_answer_and_their_chat_is_still_made() -> None:
    teams = SlowTeams({1: 0.0, 2: 0.5})
    found = await reach_all(NoChats(), teams, people(2), VIA, within=0.1)  # type: ignore[arg-type]
    assert found[0].ok
    assert found[1] == Reached(None, Unreachable.NO_ANSWER)
    assert teams.finished == [1]
    await asyncio.sleep(0.6)
    assert teams.finished == [1, 2]


async def test_nobody_to_reach_is_nothing_to_wait_for() -> None:
    assert await reach_all(NoChats(), SlowTeams({}), [], VIA) == []  # type: ignore[arg-type]
