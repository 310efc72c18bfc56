"""Meeting start/end, "I'm back", cancelling and moving days, and weekly schedules."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from bot.app import AGENDA
from bot.orgfile import load_org_file
from bot.planfile import load_plan_file
from bot.settings import Settings
from cards.agenda import BACK_VERB
from domain import days as d
from domain.i18n import text
from domain.org import Language
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
from tests.integration.conftest import JARI, MAIJA, known
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
    await connector.wait_for(lambda r: "Päivä alkoi." in str((r.json or {}).get("text")))
    await connector.wait_for(lambda r: "Päivän ohjelma" in str(r.json))
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
