"""Choosing today's plan by typing in the group's chat ("ohjelma 2"), over real HTTP.

Teams refreshes a card automatically for at most 60 people, and the Agents Playground not at
all: the picker in the instructors' own view of the card is not always there. The card everyone
sees before a plan is chosen lists the plans by number and says how to choose one by typing.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from bot.app import AGENDA
from bot.orgfile import load_org_file
from bot.settings import Settings
from cards.agenda import AGENDA_VERB, PLAN_VERB, REFRESH_VERB
from domain import days as d
from domain.i18n import clock, text
from domain.org import Language
from domain.plans import Plan
from domain.templates import templates
from scheduler.clock import ScaledClock
from tests.fakes.activities import Conv, User, invoke_execute, message
from tests.fakes.connector import FakeConnector
from tests.integration.conftest import JARI, JOHAN, MAIJA, known
from tests.integration.harness import BotServer, free_port, start_bot, stop_bot

HELSINKI = ZoneInfo("Europe/Helsinki")
TODAY = date(2026, 12, 3)


@dataclass(frozen=True)
class Side:
    """A group of the example organisation, its instructor and a client, their words."""

    language: Language
    group: str
    instructor: User
    client: User
    bind: str
    agenda: str
    by_name: str  # the name of the first template as someone would type it
    unknown: str
    no_plan: str  # words after "agenda" that name no plan


FINNISH = Side(
    Language.FI,
    "it-torstai",
    MAIJA,
    JARI,
    "tämä on ryhmä it-torstai",
    "ohjelma",
    "nuorten paiva",
    "En löytänyt ohjelmaa 9.",
    "on tänään vähän erilainen",
)
SWEDISH = Side(
    Language.SV,
    "distanscafe-sv",
    JOHAN,
    User(name="Erik Holmström", upn="erik.holmstrom@example.hel.fi"),
    "detta är gruppen distanscafe-sv",
    "program",
    "Ungdomsdag",
    "Jag hittade inte programmet 9.",
    "är lite annorlunda i dag",
)


@pytest.fixture
async def bot_at_7(database_url: str) -> AsyncIterator[BotServer]:
    """The service on 3.12.2026 at 07:00 Helsinki time, before any template's first item."""
    clock = ScaledClock(datetime(2026, 12, 3, 7, 0, tzinfo=HELSINKI).astimezone(UTC), 1.0)
    bot = await start_bot(Settings(port=free_port(), database_url=database_url), clock=clock)
    try:
        await bot.store.org.apply(load_org_file("examples/org.example.yaml"))
        yield bot
    finally:
        await stop_bot(bot)


class Chat:
    """The side's group chat, bound to its group by the instructor."""

    def __init__(self, bot: BotServer, connector: FakeConnector, side: Side) -> None:
        self.bot, self.connector, self.side = bot, connector, side
        self.conv = Conv.group_chat()
        known(connector, self.conv.id, side.instructor, side.client)

    async def say(self, who: User, words: str, *, mention: bool = True) -> list[dict[str, Any]]:
        """Post words as who; the messages the bot posted in the chat in answer."""
        before = len(self.connector.sent_to(self.conv.id))
        status, _ = await self.bot.post(
            message(
                words,
                conversation=self.conv,
                sender=who,
                service_url=self.connector.url,
                mentions_bot=mention,
            )
        )
        assert status == 201
        for _ in range(100):
            if len(self.connector.sent_to(self.conv.id)) > before:
                break
            await asyncio.sleep(0.02)
        await asyncio.sleep(0.3)  # anything more the turn (or the outbox) would post
        return self.connector.sent_to(self.conv.id)[before:]

    async def today(self) -> d.GroupDay | None:
        agenda = self.bot.runner.app[AGENDA]
        group = next(g for g in await self.bot.store.org.all_groups() if g.key == self.side.group)
        return await agenda.today(group)


@pytest.fixture
async def chat(
    bot_at_7: BotServer, connector: FakeConnector, request: pytest.FixtureRequest
) -> Chat:
    side: Side = request.param
    bound = Chat(bot_at_7, connector, side)
    assert len(await bound.say(side.instructor, side.bind)) == 1
    return bound


CHATS = pytest.mark.parametrize("chat", [FINNISH, SWEDISH], ids=["fi", "sv"], indirect=True)


def the_card(body: dict[str, Any]) -> dict[str, Any]:
    attachments = body.get("attachments") or []
    assert len(attachments) == 1, body
    content = attachments[0]["content"]
    assert isinstance(content, dict)
    return content


def card_texts(card: dict[str, Any]) -> str:
    found: list[str] = []

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            if node.get("type") == "TextBlock":
                found.append(str(node.get("text", "")))
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(card)
    return "\n".join(found)


def verbs(card: dict[str, Any]) -> set[str]:
    return {str((a.get("data") or {}).get("verb")) for a in card.get("actions") or []}


def numbered(plans: tuple[Plan, ...] | list[Plan]) -> list[str]:
    return [f"{number}. {plan.name}" for number, plan in enumerate(plans, start=1)]


@CHATS
async def test_the_waiting_card_lists_the_plans_numbered_and_how_to_choose(chat: Chat) -> None:
    side = chat.side
    posted = await chat.say(side.instructor, side.agenda)
    assert len(posted) == 1
    card = the_card(posted[0])
    shown = card_texts(card)
    assert text(side.language, "plan.waiting") in shown
    for line in numbered(templates(side.language)):
        assert line in shown.splitlines(), (line, shown)
    assert text(side.language, "plan.how_to_choose") in shown
    # the same card for everyone: no buttons a client could tap
    assert PLAN_VERB not in verbs(card)
    # refreshed by hand (Teams refreshes by itself for at most 60), the list stays
    status, body = await chat.bot.post(
        invoke_execute(
            REFRESH_VERB,
            card["refresh"]["action"]["data"],
            conversation=chat.conv,
            sender=side.client,
            service_url=chat.connector.url,
            trigger="manual",
        )
    )
    assert status == 200, body
    refreshed = card_texts(body["value"])
    for line in numbered(templates(side.language)):
        assert line in refreshed.splitlines(), (line, refreshed)


@CHATS
async def test_an_instructor_chooses_todays_plan_by_typing_its_number(chat: Chat) -> None:
    side = chat.side
    second = templates(side.language)[1]
    posted = await chat.say(side.instructor, f"{side.agenda} 2")
    day = await chat.today()
    assert day is not None
    assert day.plan_key == second.key
    assert day.status is d.DayStatus.PLANNED
    # one message in the group: the agenda card everyone sees
    assert len(posted) == 1, posted
    card = the_card(posted[0])
    assert text(side.language, "agenda.title", plan=second.name) in card_texts(card)
    assert AGENDA_VERB not in verbs(card)
    assert card["refresh"]["userIds"] == [side.instructor.teams_id]
    # the time as the group reads it: klo 9.00 / kl. 9.00, one way everywhere
    starts = clock(side.language, day.local(day.starts))
    assert posted[0].get("text") == text(
        side.language, "plan.done", plan=day.plan_name, time=starts
    )
    assert ":" not in starts
    # a plan is chosen: the same words again change nothing, as the picker does
    again = await chat.say(side.instructor, f"{side.agenda} 3")
    assert [m.get("text") for m in again] == [text(side.language, "day.exists")]
    still = await chat.today()
    assert still is not None
    assert (still.id, still.plan_key) == (day.id, second.key)
    # words that name no plan only ask to see the programme
    shown = await chat.say(side.instructor, f"{side.agenda} {side.no_plan}")
    assert len(shown) == 1, shown
    assert text(side.language, "agenda.title", plan=second.name) in card_texts(the_card(shown[0]))


@CHATS
async def test_an_instructor_chooses_a_plan_by_its_name(chat: Chat) -> None:
    side = chat.side
    posted = await chat.say(side.instructor, f"{side.agenda} {side.by_name}")
    assert len(posted) == 1, posted
    day = await chat.today()
    assert day is not None
    assert day.plan_key == "youth-day"


@CHATS
async def test_a_number_chooses_without_a_mention_too(chat: Chat) -> None:
    side = chat.side
    posted = await chat.say(side.instructor, f"{side.agenda} 1", mention=False)
    assert len(posted) == 1, posted
    day = await chat.today()
    assert day is not None
    assert day.plan_key == templates(side.language)[0].key


@CHATS
async def test_a_client_cannot_choose_the_plan_and_is_told_what_to_do(chat: Chat) -> None:
    side = chat.side
    posted = await chat.say(side.client, f"{side.agenda} 1")
    assert [m.get("text") for m in posted] == [text(side.language, "plan.not_instructor")]
    assert await chat.today() is None


@CHATS
async def test_an_unknown_number_lists_the_choices_and_changes_nothing(chat: Chat) -> None:
    side = chat.side
    posted = await chat.say(side.instructor, f"{side.agenda} 9")
    assert len(posted) == 1, posted
    answer = str(posted[0].get("text"))
    assert answer.startswith(side.unknown)
    for line in numbered(templates(side.language)):
        assert line in answer.splitlines(), (line, answer)
    assert text(side.language, "plan.type_number") in answer
    assert await chat.today() is None


@CHATS
async def test_in_a_private_chat_the_instructor_is_told_where_to_choose(chat: Chat) -> None:
    side = chat.side
    private = Conv.personal()
    known(chat.connector, private.id, side.instructor)
    before = len(chat.connector.sent_to(private.id))
    await chat.bot.post(
        message(
            f"{side.agenda} 1",
            conversation=private,
            sender=side.instructor,
            service_url=chat.connector.url,
        )
    )
    await chat.connector.wait_for(lambda _r: len(chat.connector.sent_to(private.id)) > before)
    answers = chat.connector.sent_to(private.id)[before:]
    assert [m.get("text") for m in answers] == [text(side.language, "plan.in_group_chat")]
    assert await chat.today() is None
