"""Meeting start/end, "I'm back", cancelling and moving days, and weekly schedules."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from itertools import pairwise
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from bot.app import AGENDA
from bot.orgfile import load_org_file
from bot.planfile import load_plan_file
from bot.settings import Settings
from cards.agenda import AGENDA_VERB, BACK_VERB, PLAN_VERB, REFRESH_VERB
from domain import days as d
from domain.i18n import text
from domain.org import Language
from domain.plans import ItemKind, Plan, PlanFile, PlanItem
from domain.templates import template
from scheduler.clock import ScaledClock
from tests.fakes.activities import (
    Conv,
    User,
    invoke_execute,
    meeting_end,
    meeting_start,
    message,
)
from tests.fakes.connector import FakeConnector
from tests.integration.conftest import JARI, JOHAN, MAIJA, PEKKA, known
from tests.integration.harness import BotServer, free_port, start_bot, stop_bot

HELSINKI = ZoneInfo("Europe/Helsinki")
TODAY = date(2026, 12, 3)  # a Thursday


@pytest.fixture
async def bot_at_8(database_url: str) -> AsyncIterator[BotServer]:
    """The service on 3.12.2026 at 08:00 Helsinki time (a clock at normal speed)."""
    clock = ScaledClock(datetime(2026, 12, 3, 8, 0, tzinfo=HELSINKI).astimezone(UTC), 1.0)
    bot = await start_bot(Settings(port=free_port(), database_url=database_url), clock=clock)
    try:
        await bot.store.org.apply(load_org_file("examples/org.example.yaml"))
        yield bot
    finally:
        await stop_bot(bot)


async def bound_meeting(bot: BotServer, connector: FakeConnector) -> Conv:
    conv = Conv.meeting_chat()
    known(connector, conv.id, MAIJA, JARI)
    await bot.post(
        message(
            "tämä on ryhmä it-torstai",
            conversation=conv,
            sender=MAIJA,
            service_url=connector.url,
            mentions_bot=True,
        )
    )
    await connector.wait_for_count(1)
    return conv


async def planned_today(bot: BotServer) -> d.GroupDay:
    group = next(g for g in await bot.store.org.all_groups() if g.key == "it-torstai")
    assert group.id is not None
    day = d.place_plan(
        template("youth-day", Language.FI), group.id, TODAY, group.timezone, Language.FI
    )
    return await bot.store.days.add(day, [])


async def test_meeting_start_starts_the_day_and_meeting_end_closes_it(
    bot_at_8: BotServer, connector: FakeConnector
) -> None:
    conv = await bound_meeting(bot_at_8, connector)
    day = await planned_today(bot_at_8)
    status, _ = await bot_at_8.post(
        meeting_start(conversation=conv, sender=MAIJA, service_url=connector.url)
    )
    assert status == 201
    started = await bot_at_8.store.days.get(day.id or 0)
    assert started is not None
    assert started.status is d.DayStatus.RUNNING
    started = await connector.wait_for(lambda r: "Päivä alkoi." in str((r.json or {}).get("text")))
    # one message: the news above the agenda card
    assert "Päivän ohjelma" in str(started.json)
    await asyncio.sleep(0.3)
    assert len(connector.sent_to(conv.id)) == 2  # the binding's answer and this one
    await bot_at_8.post(meeting_end(conversation=conv, sender=MAIJA, service_url=connector.url))
    ended = await bot_at_8.store.days.get(day.id or 0)
    assert ended is not None
    assert ended.status is d.DayStatus.CLOSED


async def test_meeting_start_without_a_day_or_group_changes_nothing(
    bot_at_8: BotServer, connector: FakeConnector
) -> None:
    store = bot_at_8.store
    group = next(g for g in await store.org.all_groups() if g.key == "it-torstai")
    assert group.id is not None
    tomorrow = await store.days.add(
        d.place_plan(
            template("youth-day", Language.FI),
            group.id,
            TODAY + timedelta(days=1),
            group.timezone,
            Language.FI,
        ),
        [],
    )

    async def start_meeting_changes_nothing(conv: Conv) -> None:
        sent, outbox = len(connector.requests), await store.outbox.counts()
        days = {day.id: day for day in await store.days.open_days(TODAY, TODAY + timedelta(7))}
        assert days, "no day the meeting could wrongly start"
        status, _ = await bot_at_8.post(
            meeting_start(conversation=conv, sender=MAIJA, service_url=connector.url)
        )
        assert status == 201
        await asyncio.sleep(0.3)  # the outbox worker's chance to send anything enqueued
        assert connector.requests[sent:] == []
        assert await store.outbox.counts() == outbox
        after = {day.id: day for day in await store.days.open_days(TODAY, TODAY + timedelta(7))}
        assert after == days

    # a bound meeting, but no day today (tomorrow's stays planned)
    bound = await bound_meeting(bot_at_8, connector)
    await start_meeting_changes_nothing(bound)
    assert await store.days.for_group_on(group.id, TODAY) is None
    stays = await store.days.get(tomorrow.id or 0)
    assert stays is not None
    assert stays.status is d.DayStatus.PLANNED
    # today's day, but a meeting no group is bound to
    today = await planned_today(bot_at_8)
    await start_meeting_changes_nothing(Conv.meeting_chat())
    unstarted = await store.days.get(today.id or 0)
    assert unstarted is not None
    assert unstarted.status is d.DayStatus.PLANNED


async def test_back_after_a_break_counts_each_person_once(
    bot_at_8: BotServer, connector: FakeConnector
) -> None:
    conv = await bound_meeting(bot_at_8, connector)
    day = await planned_today(bot_at_8)
    index = next(i for i, item in enumerate(day.items) if item.kind.is_break)
    other = User(name="Toinen Asiakas")
    known(connector, conv.id, other)
    counts = []
    for who in (JARI, JARI, other):
        status, body = await bot_at_8.post(
            invoke_execute(
                BACK_VERB,
                {"day": str(day.id), "item": str(index)},
                conversation=conv,
                sender=who,
                service_url=connector.url,
            )
        )
        assert status == 200
        counts.append(str(body["value"]))
    assert text(Language.FI, "event.back_count", count=1) in counts[0]
    assert text(Language.FI, "event.back_count", count=1) in counts[1]
    assert text(Language.FI, "event.back_count", count=2) in counts[2]


async def test_instructor_cancels_and_moves_days_clients_cannot(
    bot_at_8: BotServer, connector: FakeConnector
) -> None:
    conv = await bound_meeting(bot_at_8, connector)
    group = next(g for g in await bot_at_8.store.org.all_groups() if g.key == "it-torstai")
    assert group.id is not None
    plan = template("remote-cafe", Language.FI)
    for on in (date(2026, 12, 10), date(2026, 12, 17)):
        await bot_at_8.store.days.add(
            d.place_plan(plan, group.id, on, group.timezone, Language.FI), []
        )

    async def say(user: User, words: str) -> str:
        before = len(connector.sent)
        await bot_at_8.post(
            message(
                words, conversation=conv, sender=user, service_url=connector.url, mentions_bot=True
            )
        )
        return str((await connector.wait_for_count(before + 1))[before]["text"])

    assert await say(JARI, "peru päivä 10.12.") == text(Language.FI, "day.not_instructor")
    assert await say(MAIJA, "peru päivä 10.12.") == text(
        Language.FI, "day.cancelled", date="10.12.2026"
    )
    cancelled = await bot_at_8.store.days.for_group_on(group.id, date(2026, 12, 10))
    assert cancelled is not None
    assert cancelled.status is d.DayStatus.CANCELLED
    assert await say(MAIJA, "siirrä päivä 17.12. 18.12.") == text(
        Language.FI, "day.moved", date="17.12.2026", to="18.12.2026"
    )
    moved = await bot_at_8.store.days.for_group_on(group.id, date(2026, 12, 18))
    assert moved is not None
    assert moved.local(moved.starts).strftime("%H:%M") == "10:00"
    assert await say(MAIJA, "peru päivä 40.12.") == text(Language.FI, "day.bad_date")
    assert await say(MAIJA, "peru päivä 11.12.") == text(Language.FI, "day.none_on_date")


async def test_weekly_schedules_create_days_ahead_but_not_over_cancelled_ones(
    bot_at_8: BotServer,
) -> None:
    await bot_at_8.store.plans.apply(load_plan_file("examples/plans.example.yaml"))
    group = next(g for g in await bot_at_8.store.org.all_groups() if g.key == "it-torstai")
    assert group.id is not None
    plan = template("remote-cafe", Language.FI)
    await bot_at_8.store.days.add(
        d.cancel(d.place_plan(plan, group.id, date(2026, 12, 10), group.timezone, Language.FI)), []
    )
    agenda = bot_at_8.runner.app[AGENDA]
    from domain.agenda import PlanLibrary

    library = PlanLibrary(bot_at_8.store.plans)
    created = await agenda.create_scheduled(bot_at_8.store.plans, library, horizon_days=14)
    assert created > 0
    thursdays = [TODAY + timedelta(days=7 * k) for k in range(2)]
    first = await bot_at_8.store.days.for_group_on(group.id, thursdays[0])
    assert first is not None
    assert first.plan_key == "it-torstai-paiva"
    again = await bot_at_8.store.days.for_group_on(group.id, thursdays[1])
    assert again is not None
    assert again.status is d.DayStatus.CANCELLED
    assert await agenda.create_scheduled(bot_at_8.store.plans, library, horizon_days=14) == 0


@dataclass(frozen=True)
class Side:
    """A group of the example organisation, its instructor and a client, in their language."""

    language: Language
    group: str
    instructor: User
    client: User
    bind: str
    agenda: str


FINNISH = Side(Language.FI, "it-torstai", MAIJA, JARI, "tämä on ryhmä it-torstai", "ohjelma")
SWEDISH = Side(
    Language.SV,
    "distanscafe-sv",
    JOHAN,
    User(name="Erik Holmström", upn="erik.holmstrom@example.hel.fi"),
    "detta är gruppen distanscafe-sv",
    "program",
)
SIDES = pytest.mark.parametrize("side", [FINNISH, SWEDISH], ids=["fi", "sv"])


async def bound_chat(bot: BotServer, connector: FakeConnector, side: Side) -> Conv:
    """The side's group bound to a new meeting chat by its instructor."""
    conv = Conv.meeting_chat()
    known(connector, conv.id, side.instructor, side.client)
    before = len(connector.sent)
    await bot.post(
        message(
            side.bind,
            conversation=conv,
            sender=side.instructor,
            service_url=connector.url,
            mentions_bot=True,
        )
    )
    await connector.wait_for_count(before + 1)
    return conv


def posted_card(body: dict[str, Any]) -> dict[str, Any]:
    """The Adaptive Card an activity carries."""
    attachments = body.get("attachments") or []
    assert len(attachments) == 1, body
    content = attachments[0]["content"]
    assert isinstance(content, dict)
    return content


def verbs(card: dict[str, Any]) -> set[str]:
    """The verbs of a card's buttons."""
    return {str((a.get("data") or {}).get("verb")) for a in card.get("actions") or []}


def card_texts(card: dict[str, Any]) -> str:
    """Every text of a card, one string."""
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


@SIDES
async def test_agenda_in_a_group_shows_the_steering_buttons_to_its_instructors_only(
    bot_at_8: BotServer, connector: FakeConnector, side: Side
) -> None:
    conv = await bound_chat(bot_at_8, connector, side)
    group = next(g for g in await bot_at_8.store.org.all_groups() if g.key == side.group)
    assert group.id is not None
    day = await bot_at_8.store.days.add(
        d.place_plan(
            template("youth-day", side.language), group.id, TODAY, group.timezone, side.language
        ),
        [],
    )
    for who in (side.instructor, side.client):
        before, everywhere = len(connector.sent_to(conv.id)), len(connector.sent)
        await bot_at_8.post(
            message(
                side.agenda,
                conversation=conv,
                sender=who,
                service_url=connector.url,
                mentions_bot=True,
            )
        )
        sent = await connector.wait_for_count(everywhere + 1)
        assert len(connector.sent_to(conv.id)) == before + 1
        shared = posted_card(sent[-1])
        # the whole group sees this card: no steering buttons on it
        assert AGENDA_VERB not in verbs(shared), who.name
        assert text(side.language, "agenda.title", plan=day.plan_name) in card_texts(shared)
        # Teams fetches the instructors' own view (refresh.userIds)
        assert shared["refresh"]["userIds"] == [side.instructor.teams_id]
        assert shared["refresh"]["action"]["verb"] == REFRESH_VERB
    views = {}
    for who in (side.instructor, side.client):
        status, body = await bot_at_8.post(
            invoke_execute(
                REFRESH_VERB,
                {"day": str(day.id)},
                conversation=conv,
                sender=who,
                service_url=connector.url,
                trigger="automatic",
            )
        )
        assert status == 200, body
        views[who.name] = body["value"]
    instructor_view = views[side.instructor.name]
    assert AGENDA_VERB in verbs(instructor_view)
    assert text(side.language, "agenda.button.start") in card_texts(instructor_view) + str(
        instructor_view["actions"]
    )
    # the instructor's view stays theirs when the card is redrawn
    assert instructor_view["refresh"]["userIds"] == [side.instructor.teams_id]
    assert AGENDA_VERB not in verbs(views[side.client.name])
    # an admin who asks gets their own view too
    known(connector, conv.id, PEKKA)
    everywhere = len(connector.sent)
    await bot_at_8.post(
        message(
            side.agenda,
            conversation=conv,
            sender=PEKKA,
            service_url=connector.url,
            mentions_bot=True,
        )
    )
    shared = posted_card((await connector.wait_for_count(everywhere + 1))[-1])
    assert AGENDA_VERB not in verbs(shared)
    assert shared["refresh"]["userIds"] == [side.instructor.teams_id, PEKKA.teams_id]


@SIDES
async def test_the_plan_picker_in_a_group_is_the_instructors_view_only(
    bot_at_8: BotServer, connector: FakeConnector, side: Side
) -> None:
    conv = await bound_chat(bot_at_8, connector, side)
    everywhere = len(connector.sent)
    await bot_at_8.post(
        message(
            side.agenda,
            conversation=conv,
            sender=side.instructor,
            service_url=connector.url,
            mentions_bot=True,
        )
    )
    shared = posted_card((await connector.wait_for_count(everywhere + 1))[-1])
    assert PLAN_VERB not in verbs(shared)
    assert text(side.language, "plan.waiting") in card_texts(shared)
    assert shared["refresh"]["userIds"] == [side.instructor.teams_id]
    data = shared["refresh"]["action"]["data"]
    views = {}
    for who in (side.instructor, side.client):
        status, body = await bot_at_8.post(
            invoke_execute(
                REFRESH_VERB,
                data,
                conversation=conv,
                sender=who,
                service_url=connector.url,
                trigger="automatic",
            )
        )
        assert status == 200, body
        views[who.name] = body["value"]
    assert PLAN_VERB in verbs(views[side.instructor.name])
    assert PLAN_VERB not in verbs(views[side.client.name])
    assert text(side.language, "plan.waiting") in card_texts(views[side.client.name])


BREAK_PLAN = Plan(
    key="taukopaiva",
    name="Taukopäivä",
    items=(
        PlanItem(ItemKind.BREAK, "Tauko", time(8, 50), timedelta(minutes=10)),
        PlanItem(ItemKind.CONTENT, "Aihe", time(9, 0), timedelta(minutes=30)),
    ),
)


@pytest.fixture
async def bot_before_9(database_url: str) -> AsyncIterator[BotServer]:
    """The service on 3.12.2026 three seconds before 09:00 Helsinki time (normal speed)."""
    start = datetime(2026, 12, 3, 8, 59, 56, tzinfo=HELSINKI).astimezone(UTC)
    bot = await start_bot(
        Settings(port=free_port(), database_url=database_url), clock=ScaledClock(start, 1.0)
    )
    try:
        await bot.store.org.apply(load_org_file("examples/org.example.yaml"))
        await bot.store.plans.apply(PlanFile(plans=(BREAK_PLAN,)))
        yield bot
    finally:
        await stop_bot(bot)


@SIDES
async def test_the_back_count_on_the_shared_card_follows_the_taps(
    bot_before_9: BotServer, connector: FakeConnector, side: Side
) -> None:
    bot = bot_before_9
    conv = await bound_chat(bot, connector, side)
    status, body = await bot.post(
        invoke_execute(
            PLAN_VERB,
            {"plan": BREAK_PLAN.key},
            conversation=conv,
            sender=side.instructor,
            service_url=connector.url,
        )
    )
    assert status == 200, body
    prompt = text(side.language, "event.back_prompt")

    def back_cards(route: str) -> list[Any]:
        return [
            r
            for r in connector.requests
            if r.route == route and r.ok and prompt in card_texts(r.json or {})
        ]

    # the break ends at 09:00: its card is posted once
    await connector.wait_for(lambda r: bool(back_cards("send")), timeout=8)
    group = next(g for g in await bot.store.org.all_groups() if g.key == side.group)
    day = await bot.store.days.for_group_on(group.id or 0, TODAY)
    assert day is not None
    tappers = [side.client, side.instructor, *(User(name=f"Asiakas {n}") for n in range(3))]
    for n, who in enumerate(tappers, start=1):
        known(connector, conv.id, who)
        status, answer = await bot.post(
            invoke_execute(
                BACK_VERB,
                {"day": str(day.id), "item": "0"},
                conversation=conv,
                sender=who,
                service_url=connector.url,
            )
        )
        assert status == 200, answer
        # the tapper sees their own tap counted at once
        assert text(side.language, "event.back_count", count=n) in card_texts(answer["value"])
    everyone = text(side.language, "event.back_count", count=len(tappers))
    await connector.wait_for(
        lambda r: r.route == "update" and everyone in card_texts(r.json or {}), timeout=8
    )
    await asyncio.sleep(2.5)
    updates = back_cards("update")
    # the shared card is redrawn in place, the taps folded: at most one redraw per 2 s
    assert 1 <= len(updates) <= 3, len(updates)
    assert everyone in card_texts(updates[-1].json or {})
    gaps = [b.timestamp - a.timestamp for a, b in pairwise(updates)]
    assert all(gap >= 1.9 for gap in gaps), gaps
    assert len(back_cards("send")) == 1
