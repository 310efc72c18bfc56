"""A whole compressed day over real HTTP: the timer posts every item once, in order, on time,
and the instructor's changes move what comes after. Virtual time runs 120× faster (a virtual
minute is half a real second), so a 45-minute day takes about 25 real seconds."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from bot.app import AGENDA
from bot.orgfile import load_org_file
from bot.settings import Settings
from cards.agenda import PLAN_VERB
from domain.days import DayStatus
from domain.i18n import text
from domain.org import Language
from domain.plans import ItemKind, Plan, PlanFile, PlanItem
from scheduler.clock import ScaledClock
from tests.fakes.activities import Conv, User, invoke_execute, message
from tests.fakes.connector import FakeConnector
from tests.integration.conftest import JARI, MAIJA, known
from tests.integration.harness import BotServer, free_port, start_bot, stop_bot

HELSINKI = ZoneInfo("Europe/Helsinki")
DAY = date(2026, 12, 3)
SPEED = 120.0


def at(hhmm: str) -> datetime:
    hour, minute = map(int, hhmm.split(":"))
    return datetime(DAY.year, DAY.month, DAY.day, hour, minute, tzinfo=HELSINKI)


TEST_PLAN = Plan(
    key="testipaiva",
    name="Testipäivä",
    items=(
        PlanItem(ItemKind.CHECK_IN, "Ilmoittautuminen", at("09:00").time(), timedelta(minutes=10)),
        PlanItem(ItemKind.DISCUSSION, "Keskustelu", at("09:10").time(), timedelta(minutes=10)),
        PlanItem(ItemKind.BREAK, "Tauko", at("09:20").time(), timedelta(minutes=10)),
        PlanItem(ItemKind.CONTENT, "Aihe", at("09:30").time(), timedelta(minutes=10)),
        PlanItem(ItemKind.CLOSE, "Päivä päättyy", at("09:40").time(), timedelta(minutes=5)),
    ),
)


class Day:
    """The running service with a scaled clock, the connector and the group's chat."""

    def __init__(
        self, bot: BotServer, connector: FakeConnector, clock: ScaledClock, conv: Conv
    ) -> None:
        self.bot, self.connector, self.clock, self.conv = bot, connector, clock, conv
        self._mono0 = time.monotonic()
        self._real0 = datetime.now(UTC)

    def virtual_at(self, monotonic: float) -> datetime:
        real = self._real0 + timedelta(seconds=monotonic - self._mono0)
        return self.clock.to_virtual(real)

    async def say(self, user: User, words: str) -> None:
        known(self.connector, self.conv.id, user)
        status, _ = await self.bot.post(
            message(
                words,
                conversation=self.conv,
                sender=user,
                service_url=self.connector.url,
                mentions_bot=True,
            )
        )
        assert status == 201

    async def until(self, hhmm: str) -> None:
        delay = (self.clock.to_real(at(hhmm)) - datetime.now(UTC)).total_seconds()
        if delay > 0:
            await asyncio.sleep(delay)

    def posts(self) -> list[tuple[datetime, str]]:
        """(virtual time, text or card summary) of every message posted to the group chat."""
        found = []
        for r in self.connector.sent_requests:
            if not (r.conversation_id or "").startswith(self.conv.id):
                continue
            body: dict[str, Any] = r.json or {}
            label = body.get("text") or _card_label(body)
            found.append((self.virtual_at(r.timestamp), str(label)))
        return found


def _card_label(body: dict[str, Any]) -> str:
    for attachment in body.get("attachments") or []:
        card = attachment.get("content") or {}
        texts = [b.get("text", "") for b in card.get("body", []) if b.get("type") == "TextBlock"]
        return "CARD: " + " | ".join(texts)
    return ""


@pytest.fixture
async def day(database_url: str, connector: FakeConnector) -> AsyncIterator[Day]:
    clock = ScaledClock(at("08:58").astimezone(UTC), SPEED)
    settings = Settings(port=free_port(), database_url=database_url)
    bot = await start_bot(settings, clock=clock)
    try:
        await bot.store.org.apply(load_org_file("examples/org.example.yaml"))
        await bot.store.plans.apply(PlanFile(plans=(TEST_PLAN,)))
        conv = Conv.group_chat()
        running = Day(bot, connector, clock, conv)
        await running.say(MAIJA, "tämä on ryhmä it-torstai")
        await running.say(MAIJA, "ohjelma")
        status, body = await bot.post(
            invoke_execute(
                PLAN_VERB,
                {"plan": "testipaiva"},
                conversation=conv,
                sender=MAIJA,
                service_url=connector.url,
            )
        )
        assert status == 200, body
        assert body["type"] == "application/vnd.microsoft.card.adaptive"
        yield running
    finally:
        await stop_bot(bot)


def texts_of(posts: list[tuple[datetime, str]]) -> list[str]:
    return [label for _, label in posts]


def find(posts: list[tuple[datetime, str]], start: str) -> tuple[datetime, str]:
    matches = [p for p in posts if p[1].startswith(start)]
    assert len(matches) == 1, (start, texts_of(posts))
    return matches[0]


def assert_on_time(moment: datetime, hhmm: str) -> None:
    # a virtual minute is half a real second: allow one virtual minute of lateness
    late = (moment - at(hhmm)).total_seconds()
    assert -30 <= late <= 60, f"{hhmm}: posted {late:.0f} virtual seconds late"


async def test_a_whole_day_is_announced_once_in_order_on_time(day: Day) -> None:
    await day.until("09:47")
    await asyncio.sleep(1)
    posts = day.posts()[2:]  # after the bind confirmation and the plan picker
    labels = texts_of(posts)
    expected_order = [
        "CARD: Päivän ohjelma: Testipäivä",
        "Nyt: Ilmoittautuminen.",
        "Nyt: Keskustelu.",
        "Nyt: Tauko. Tauko loppuu klo 9.30.",
        "Tauko loppuu 2 minuutin päästä, klo 9.30.",
        "Tauko on ohi. Seuraavaksi: Aihe.",
        "Nyt: Aihe.",
        "Nyt: Päivä päättyy.",
    ]
    missing = [p for p in expected_order if not any(label.startswith(p) for label in labels)]
    assert not missing, (missing, labels)
    positions = [
        next(i for i, label in enumerate(labels) if label.startswith(prefix))
        for prefix in expected_order
    ]
    assert positions == sorted(positions), labels
    assert_on_time(find(posts, "Nyt: Ilmoittautuminen")[0], "09:00")
    assert_on_time(find(posts, "Nyt: Keskustelu")[0], "09:10")
    assert_on_time(find(posts, "Nyt: Tauko")[0], "09:20")
    assert_on_time(find(posts, "Tauko loppuu 2 minuutin")[0], "09:28")
    assert_on_time(find(posts, "Tauko on ohi")[0], "09:30")
    assert_on_time(find(posts, "Nyt: Aihe")[0], "09:30")
    assert_on_time(find(posts, "Nyt: Päivä päättyy")[0], "09:40")
    assert "Seuraavaksi: Keskustelu klo 9.10." in find(posts, "Nyt: Ilmoittautuminen")[1]
    agenda = day.bot.runner.app[AGENDA]
    group = next(g for g in await day.bot.store.org.all_groups() if g.key == "it-torstai")
    today = await agenda.today(group)
    assert today is not None
    assert today.status is DayStatus.RUNNING
    assert set(today.fired.values()) == {"posted"}
    # the agenda card is updated in place as the day moves on
    assert len(day.connector.updates) >= 5


async def test_instructor_changes_move_the_later_posts(day: Day) -> None:
    await day.until("09:12")
    await day.say(MAIJA, "pidennä 5")  # discussion until 09:25; everything after moves 5 min
    await day.until("09:26")
    await day.say(JARI, "seuraava")  # a client cannot steer: nothing moves
    await day.until("09:27")
    await day.say(MAIJA, "myöhässä 10")  # what has not started moves 10 min later
    await day.until("09:50")
    await day.say(MAIJA, "lopeta päivä")
    await asyncio.sleep(1)
    posts = day.posts()
    labels = texts_of(posts)
    assert any(label.startswith("Keskustelu jatkuu 5 min.") for label in labels), labels
    assert find(posts, "Nyt: Tauko")[1].startswith("Nyt: Tauko. Tauko loppuu klo 9.35.")
    assert_on_time(find(posts, "Nyt: Tauko")[0], "09:25")
    # the break had started at 09:25, so 'late 10' moved only what had not started: Aihe
    assert_on_time(find(posts, "Tauko on ohi")[0], "09:35")
    assert_on_time(find(posts, "Nyt: Aihe")[0], "09:45")
    assert text(Language.FI, "day.not_instructor") in labels
    assert any(label.startswith("Päivä on päättynyt.") for label in labels)
    assert not any(label.startswith("Nyt: Päivä päättyy") for label in labels)


async def test_pause_holds_the_clock_and_resume_moves_everything(day: Day) -> None:
    await day.until("09:12")
    await day.say(MAIJA, "pysäytä")
    await day.until("09:22")
    assert not any(label.startswith("Nyt: Tauko") for label in texts_of(day.posts()))
    await day.say(MAIJA, "jatka")  # paused 10 min: the break starts 09:30
    await day.until("09:33")
    posts = day.posts()
    assert_on_time(find(posts, "Nyt: Tauko")[0], "09:30")
    assert find(posts, "Nyt: Tauko")[1].startswith("Nyt: Tauko. Tauko loppuu klo 9.40.")


async def test_skip_starts_the_next_item_at_once(day: Day) -> None:
    await day.until("09:13")
    await day.say(MAIJA, "seuraava")
    await day.until("09:16")
    posts = day.posts()
    assert_on_time(find(posts, "Nyt: Tauko")[0], "09:13")
