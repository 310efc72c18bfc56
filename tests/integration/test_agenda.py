"""A whole compressed day over real HTTP: the timer posts every item once, in order, on time,
and the instructor's changes move what comes after. Virtual time runs 120× faster (a virtual
minute is half a real second), so a 45-minute day takes about 25 real seconds."""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
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
from tests.integration.conftest import JARI, JOHAN, MAIJA, known
from tests.integration.harness import BotServer, free_port, start_bot, stop_bot

HELSINKI = ZoneInfo("Europe/Helsinki")
DAY = date(2026, 12, 3)
SPEED = 120.0


def at(hhmm: str) -> datetime:
    hour, minute, *second = map(int, hhmm.split(":"))
    return datetime(DAY.year, DAY.month, DAY.day, hour, minute, *second[:1], tzinfo=HELSINKI)


@dataclass(frozen=True)
class Speaker:
    """A group of the example organisation, its instructor and clients, the words they use."""

    language: Language
    group: str
    instructor: User
    clients: tuple[User, ...]
    bind: str
    agenda: str
    skip: str


SARI = User(name="Sari Heikkinen", upn="sari.heikkinen@example.hel.fi")
ERIK = User(name="Erik Holmström", upn="erik.holmstrom@example.hel.fi")
LINNEA = User(name="Linnea Sjöberg", upn="linnea.sjoberg@example.hel.fi")
FINNISH = Speaker(
    Language.FI,
    "it-torstai",
    MAIJA,
    (JARI, SARI),
    "tämä on ryhmä it-torstai",
    "ohjelma",
    "seuraava",
)
SWEDISH = Speaker(
    Language.SV,
    "distanscafe-sv",
    JOHAN,
    (ERIK, LINNEA),
    "detta är gruppen distanscafe-sv",
    "program",
    "nästa",
)


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
        self,
        bot: BotServer,
        connector: FakeConnector,
        clock: ScaledClock,
        conv: Conv,
        speaker: Speaker = FINNISH,
    ) -> None:
        self.bot, self.connector, self.clock, self.conv = bot, connector, clock, conv
        self.speaker = speaker
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

    async def wait_for(self, seen: Callable[[str], bool], by: str) -> int:
        """Wait until a message whose label passes seen is in the chat; how many are there then."""
        while not any(seen(_label(body)) for _, body in self.bodies()):
            assert self.clock() < at(by), f"nothing expected posted by {by}: {self.posts()}"
            await asyncio.sleep(0.05)
        return len(self.bodies())

    def posts(self) -> list[tuple[datetime, str]]:
        """(virtual time, text or card summary) of every message posted to the group chat."""
        return [(moment, _label(body)) for moment, body in self.bodies()]

    def bodies(self, first: str = "00:00", last: str = "23:59") -> list[tuple[datetime, Any]]:
        """(virtual time, activity) of every message posted to the group chat in [first, last)."""
        found = []
        for r in self.connector.sent_requests:
            if not (r.conversation_id or "").startswith(self.conv.id):
                continue
            moment = self.virtual_at(r.timestamp)
            if at(first) <= moment < at(last):
                found.append((moment, r.json or {}))
        return found

    async def today_id(self) -> int:
        agenda = self.bot.runner.app[AGENDA]
        groups = await self.bot.store.org.all_groups()
        group = next(g for g in groups if g.key == self.speaker.group)
        today = await agenda.today(group)
        assert today is not None
        assert today.id is not None
        return today.id


def _label(body: dict[str, Any]) -> str:
    return str(body.get("text") or _card_label(body))


def _card_label(body: dict[str, Any]) -> str:
    for attachment in body.get("attachments") or []:
        card = attachment.get("content") or {}
        texts = [b.get("text", "") for b in card.get("body", []) if b.get("type") == "TextBlock"]
        return "CARD: " + " | ".join(texts)
    return ""


@contextlib.asynccontextmanager
async def running_day(
    database_url: str, connector: FakeConnector, start: str, speaker: Speaker
) -> AsyncIterator[Day]:
    """The service from start (virtual), the group's chat bound, TEST_PLAN chosen for today."""
    clock = ScaledClock(at(start).astimezone(UTC), SPEED)
    settings = Settings(port=free_port(), database_url=database_url)
    bot = await start_bot(settings, clock=clock)
    try:
        await bot.store.org.apply(load_org_file("examples/org.example.yaml"))
        await bot.store.plans.apply(PlanFile(plans=(TEST_PLAN,)))
        conv = Conv.group_chat()
        running = Day(bot, connector, clock, conv, speaker)
        await running.say(speaker.instructor, speaker.bind)
        await running.say(speaker.instructor, speaker.agenda)
        status, body = await bot.post(
            invoke_execute(
                PLAN_VERB,
                {"plan": "testipaiva"},
                conversation=conv,
                sender=speaker.instructor,
                service_url=connector.url,
            )
        )
        assert status == 200, body
        assert body["type"] == "application/vnd.microsoft.card.adaptive"
        yield running
    finally:
        await stop_bot(bot)


@pytest.fixture
async def day(database_url: str, connector: FakeConnector) -> AsyncIterator[Day]:
    async with running_day(database_url, connector, "08:58", FINNISH) as running:
        yield running


@pytest.fixture(params=[FINNISH, SWEDISH], ids=["fi", "sv"])
async def break_day(
    request: pytest.FixtureRequest, database_url: str, connector: FakeConnector
) -> AsyncIterator[Day]:
    """A day chosen at 09:17, just before its break (09:20–09:30), in Finnish or Swedish."""
    async with running_day(database_url, connector, "09:17", request.param) as running:
        yield running


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
        "Nyt: Ilmoittautuminen.",
        "Nyt: Keskustelu.",
        "Nyt: Tauko. Tauko loppuu klo 9.30.",
        "Tauko loppuu 2 minuutin päästä, klo 9.30.",
        "CARD: Tauko on ohi. | Nyt: Aihe. | Seuraavaksi: Päivä päättyy",
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
    # the break's end and the next item's start are one message
    assert_on_time(find(posts, "CARD: Tauko on ohi. | Nyt: Aihe.")[0], "09:30")
    assert_on_time(find(posts, "Nyt: Päivä päättyy")[0], "09:40")
    assert "Seuraavaksi: Keskustelu klo 9.10." in find(posts, "Nyt: Ilmoittautuminen")[1]
    # the day's start is one message: what starts now, above the agenda card (the plan picker's
    # answer, a reply with the same card, may land in this window when set-up ran slow)
    started = [
        b
        for _, b in day.bodies("08:59", "09:01")
        if "Päivän ohjelma" in card_texts(b) and not b.get("replyToId")
    ]
    assert len(started) == 1, [(b.get("text"), b.get("replyToId")) for b in started]
    assert started[0]["text"].startswith("Nyt: Ilmoittautuminen.")
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
    assert_on_time(find(posts, "CARD: Tauko on ohi. Seuraavaksi: Aihe.")[0], "09:35")
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


def card_texts(body: dict[str, Any]) -> str:
    """Every text of the cards an activity carries, one string."""
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

    for attachment in body.get("attachments") or []:
        walk(attachment.get("content") or {})
    return "\n".join(found)


async def test_the_end_of_a_break_is_one_message(break_day: Day) -> None:
    lang = break_day.speaker.language
    # the next event is at 09:40: until then (5 real seconds at this scale) whatever the break's
    # end posts has arrived, also on a busy machine
    await break_day.until("09:39")
    # the break ends at 09:30 and Aihe starts then: one message says both, with the button
    ending = break_day.bodies("09:29", "09:39")
    assert len(ending) == 1, [_label(body) for _, body in ending]
    moment, body = ending[0]
    assert moment >= at("09:30") - timedelta(seconds=30), moment
    said = card_texts(body)
    assert text(lang, "event.break_end_last") in said
    assert text(lang, "event.start", title="Aihe") in said
    assert "Päivä päättyy" in said  # what comes next
    assert text(lang, "event.back_count", count=0) in said
    assert not body.get("text"), "the card says it all: no text repeating it above the card"


async def test_next_is_announced_in_one_message(break_day: Day) -> None:
    lang, speaker = break_day.speaker.language, break_day.speaker
    await break_day.until("09:22")
    # the break's start (09:20) may reach the chat late on a busy machine: skip only after it,
    # so the skip is the only thing that can post next
    before = await break_day.wait_for(
        lambda label: label.startswith(text(lang, "event.start", title="Tauko")), by="09:26"
    )
    await break_day.say(speaker.instructor, speaker.skip)  # the break ends now: Aihe starts
    await break_day.until("09:27")  # 2.5 real seconds for the answer, also on a busy machine
    moved = break_day.bodies()[before:]
    assert len(moved) == 1, [_label(body) for _, body in moved]
    said = _label(moved[0][1])
    assert text(lang, "event.start", title="Aihe") in said
    # the cut-short break is not announced as ending
    await break_day.until("09:31")
    assert not [
        _label(b)
        for _, b in break_day.bodies("09:27", "09:31")
        if text(lang, "event.break_end", title="Aihe") in _label(b) + card_texts(b)
    ]
