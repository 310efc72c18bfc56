"""The coordinators' daily digest over real HTTP, on SQLite and PostgreSQL.

Four days of two groups of one unit (IT-paja: IT-ryhmä with six clients, Toinen ryhmä with
three), roll calls opened, tapped and closed through the bot with a clock the test sets; on
the last day one client late, one excused as sick, feedback from three, help requests, a
message that could not be delivered and a 1:1 chat the bot was removed from. Another unit's
group lives in New York; a third unit has no group day. Every number on the cards is checked
against a count made here from the scenario; the schedule sends each coordinator of a unit
with a group day one digest at 16:00 local, nobody else, and nothing twice.
"""

from __future__ import annotations

import asyncio
import json
import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select

from bot.app import SCHEDULER
from bot.features.digest import SEND_JOB
from bot.orgfile import load_org_file
from bot.settings import Settings
from cards.digest import MAX_CARD, MORE_VERB
from cards.rollcall import SAVE_VERB
from domain import days as d
from domain.digest.model import Section
from domain.i18n import date_text, decimal, text
from domain.org import Language
from domain.outbox import OutboxMessage
from domain.plans import ItemKind, Plan, PlanItem
from domain.rollcall.model import Reason, Status
from domain.tutorial.content import Device
from domain.tutorial.flow import Progress
from domain.tutorial.help import HelpRequest
from scheduler.clock import ScaledClock
from store.outbox import OutboxRow
from tests.fakes.activities import Conv, User, message
from tests.fakes.adaptive_cards import walk
from tests.fakes.connector import FakeConnector
from tests.integration.harness import BotServer, drained, free_port, start_bot, stop_bot
from tests.integration.test_feedback import actions_of, score_data
from tests.integration.test_rollcall import Room
from tests.integration.test_rollcall_more import cards_in, open_roll_call, tap_here
from tests.integration.test_rollcall_more import person as person_of

FI = Language.FI
HELSINKI = ZoneInfo("Europe/Helsinki")
NEW_YORK = ZoneInfo("America/New_York")
# the last day is the real date: a dead letter is stamped with the real clock
LAST = datetime.now(HELSINKI).date()
DAYS = [LAST - timedelta(days=n) for n in (3, 2, 1, 0)]

MAIJA = User(name="Maija Ohjaaja", upn="maija@example.fi")
TUULA = User(name="Tuula Ohjaaja", upn="tuula@example.fi")
KAISA = User(name="Kaisa Koordinaattori", upn="kaisa@example.fi")
KALLE = User(name="Kalle Koordinaattori", upn="kalle@example.fi")
OLGA = User(name="Olga Koordinaattori", upn="olga@example.fi")  # the New York unit
EERO = User(name="Eero Koordinaattori", upn="eero@example.fi")  # a unit with no group day
ADMIN = User(name="Anna Admin", upn="anna@example.fi")
A = [User(name=f"Aino Asiakas {i}", upn=f"aino{i}@example.fi") for i in range(1, 7)]
B = [User(name=f"Bertta Asiakas {i}", upn=f"bertta{i}@example.fi") for i in range(1, 4)]
C = [User(name="Cecilia Client", upn="cecilia@example.fi")]

P, L, E, X = Status.PRESENT, Status.LATE, Status.EXCUSED, Status.ABSENT
# the scenario: each group's clients' status on each day (the test's own record)
SCENARIO: dict[str, dict[date, list[Status]]] = {
    "ryhma-a": {
        DAYS[0]: [P, P, P, P, X, X],
        DAYS[1]: [P, P, P, P, X, P],
        DAYS[2]: [P, P, P, P, X, P],
        DAYS[3]: [P, L, E, X, X, P],
    },
    "ryhma-b": {day: [P, P, P] for day in DAYS[:3]} | {DAYS[3]: [P, X, X]},
}
CLIENTS = {"ryhma-a": A, "ryhma-b": B}
SCORES = {A[0].name: (5, False), A[1].name: (4, True), A[5].name: (6, False)}

PLAN = Plan(
    key="paiva",
    name="Päivä",
    items=(
        PlanItem(ItemKind.CONTENT, "Aamu", time(9, 0), timedelta(minutes=60)),
        PlanItem(ItemKind.CLOSE, "Loppu", time(12, 0), timedelta(minutes=15)),
    ),
)


def org_yaml(clients_a: list[User] = A) -> str:
    def person(user: User, role: str) -> str:
        return (
            f"  - name: {user.name}\n    upn: {user.upn}\n    aad: {user.aad_object_id}\n    {role}"
        )

    people = [
        person(MAIJA, "instructor: [ryhma-a]"),
        person(TUULA, "instructor: [ryhma-b]"),
        person(KAISA, "coordinator: [it]"),
        person(KALLE, "coordinator: [it, ny]"),  # also New York's, five hours later
        person(OLGA, "coordinator: [ny]"),
        person(EERO, "coordinator: [tyhja]"),
        person(ADMIN, "admin: true"),
        *(person(c, "client: [ryhma-a]") for c in clients_a),
        *(person(c, "client: [ryhma-b]") for c in B),
        *(person(c, "client: [ny-ryhma]") for c in C),
    ]
    listed = "\n".join(people)
    return f"""
version: 1
units:
  - key: it
    name: IT-paja
    language: fi
  - key: ny
    name: New York
    language: en
  - key: tyhja
    name: Tyhjä yksikkö
groups:
  - key: ryhma-a
    unit: it
    name: IT-ryhmä
  - key: ryhma-b
    unit: it
    name: Toinen ryhmä
  - key: ny-ryhma
    unit: ny
    name: NY group
    timezone: America/New_York
    language: en
  - key: tyhja-ryhma
    unit: tyhja
    name: Tyhjä ryhmä
people:
{listed}
"""


class SetClock(ScaledClock):
    """Virtual time running at real speed from a moment the test sets."""

    def __init__(self, start: datetime) -> None:
        super().__init__(start, 1.0)

    def set(self, moment: datetime) -> None:
        self._real0 = datetime.now(UTC)
        self._virtual0 = moment


def at(day: date, hour: int, minute: int = 0, zone: ZoneInfo = HELSINKI) -> datetime:
    return datetime.combine(day, time(hour, minute), tzinfo=zone).astimezone(UTC)


@dataclass
class World:
    bot: BotServer
    connector: FakeConnector
    clock: SetClock
    rooms: dict[str, Room]
    own: dict[str, Conv] = field(default_factory=dict)  # everyone's 1:1 chat

    async def say(self, user: User, words: str) -> list[dict[str, Any]]:
        """A message in the user's 1:1 chat; what the bot answered there (replies)."""
        conv = self.own[user.name]
        seen = {id(r) for r in self.connector.requests}
        status, _ = await self.bot.post(
            message(words, conversation=conv, sender=user, service_url=self.connector.url)
        )
        assert status == 201
        await drained(self.bot)
        return [
            r.json
            for r in self.connector.requests
            if id(r) not in seen and r.ok and r.route == "reply" and r.conversation_id == conv.id
        ]

    def cards(self, user: User) -> list[dict[str, Any]]:
        return cards_in(self.connector, self.own[user.name].id)

    def feedback_card(self, user: User) -> tuple[str, dict[str, Any]]:
        """The user's 1:1 chat and the last feedback card in it."""
        chat = self.own[user.name].id
        cards = [c for c in self.cards(user) if actions_of(c, "feedback.score")]
        assert cards, f"{user.name} got no feedback card"
        return chat, cards[-1]


def cards_of(answers: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [a["content"] for r in answers for a in r.get("attachments") or []]


def texts_of(answers: list[dict[str, Any]]) -> list[str]:
    return [str(r.get("text")) for r in answers if r.get("text")]


def dump(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False)


def compact(card: dict[str, Any]) -> int:
    return len(json.dumps(card, separators=(",", ":")))


def title_of(group: str, day: date, language: Language = FI) -> str:
    return text(language, "digest.title", group=group, day=date_text(language, day))


def card_for(cards: list[dict[str, Any]], group: str, day: date = LAST) -> dict[str, Any]:
    found = [c for c in cards if c["body"][0]["text"] == title_of(group, day)]
    assert len(found) == 1, [c["body"][0]["text"] for c in cards]
    return found[0]


@asynccontextmanager
async def make_world(
    database_url: str, tmp_path: Path, connector: FakeConnector, clients_a: list[User] = A
) -> AsyncIterator[World]:
    clock = SetClock(at(DAYS[0], 8))
    bot = await start_bot(Settings(port=free_port(), database_url=database_url), clock=clock)
    try:
        org_file = tmp_path / "org.yaml"
        org_file.write_text(org_yaml(clients_a), encoding="utf-8")
        await bot.store.org.apply(load_org_file(str(org_file)))
        everyone = [MAIJA, TUULA, KAISA, KALLE, OLGA, EERO, ADMIN, *clients_a, *B, *C]
        rooms: dict[str, Room] = {}
        for key, instructor, members in (("ryhma-a", MAIJA, clients_a), ("ryhma-b", TUULA, B)):
            conv = Conv.group_chat()
            for user in (instructor, *members):
                connector.add_member(conv.id, user.member())
            room = Room(bot, connector, conv)
            assert await room.say(instructor, "tämä on ryhmä"), f"{key} was not bound"
            rooms[key] = room
        world = World(bot, connector, clock, rooms)
        for user in everyone:
            world.own[user.name] = Conv.personal()
            await world.say(user, "moi")
        yield world
    finally:
        await stop_bot(bot)


async def group_id(world: World, key: str) -> int:
    found = {g.key: g.id for g in await world.bot.store.org.all_groups()}
    value = found[key]
    assert value is not None
    return value


async def add_day(world: World, key: str, day: date, zone: str = "Europe/Helsinki") -> None:
    """A group day of the plan, already closed (the timer leaves it be)."""
    placed = d.place_plan(PLAN, await group_id(world, key), day, zone, FI)
    await world.bot.store.days.add(replace(placed, status=d.DayStatus.CLOSED), [])


async def roll_call_day(world: World, key: str, day: date, statuses: list[Status]) -> None:
    """Open at nine, the present tap at once, the late ones after the grace period, close;
    the excused ones excused as sick on the attendance list."""
    room = rooms = world.rooms[key]
    del rooms
    instructor = MAIJA if key == "ryhma-a" else TUULA
    clients = CLIENTS[key]
    world.clock.set(at(day, 9))
    rc = await open_roll_call(room, by=instructor)
    for client, status in zip(clients, statuses, strict=True):
        if status is P:
            await tap_here(room, client, rc)
    world.clock.set(at(day, 9, 20))
    for client, status in zip(clients, statuses, strict=True):
        if status is L:
            await tap_here(room, client, rc)
    await room.say(instructor, "sulje nimenhuuto")
    excused = {
        f"p{(await person_of(room, c)).id}": f"{E.value}:{Reason.SICK.value}"
        for c, s in zip(clients, statuses, strict=True)
        if s is E
    }
    if excused:
        saved = await room.tap(
            instructor,
            SAVE_VERB,
            {"rollcall": str(rc), "why": "soitti", **excused},
            conv=world.own[instructor.name],
        )
        assert "card.stale" not in dump(saved)
    await drained(world.bot)


async def run_job(world: World) -> None:
    """The leader's digest job, run now."""
    aps = world.bot.runner.app[SCHEDULER].aps
    loop = asyncio.get_running_loop()
    deadline = loop.time() + 15
    while (job := aps.get_job(SEND_JOB)) is None:
        assert loop.time() < deadline, "the leader never scheduled the digest job"
        await asyncio.sleep(0.05)
    job.modify(next_run_time=datetime.now(UTC))
    await asyncio.sleep(0.5)
    await drained(world.bot)


async def digest_rows(world: World) -> list[tuple[str, str]]:
    """(key, conversation) of every digest card queued by the schedule."""
    async with world.bot.store.db.read() as s:
        rows = await s.execute(
            select(OutboxRow.key, OutboxRow.conversation_id).where(OutboxRow.key.like("digest:%"))
        )
        scheduled = re.compile(r"digest:\d+:\d{4}-\d{2}-\d{2}:[^:]+:\d+")
        return sorted((k, c) for k, c in rows.all() if scheduled.fullmatch(k))


async def arrange(world: World) -> None:
    store = world.bot.store
    for day in DAYS:
        for key in ("ryhma-a", "ryhma-b"):
            await add_day(world, key, day)
            await roll_call_day(world, key, day, SCENARIO[key][day])
    await add_day(world, "ny-ryhma", LAST, "America/New_York")
    # feedback on the last day, from the three who were here
    world.clock.set(at(LAST, 12))
    room = world.rooms["ryhma-a"]
    await room.say(MAIJA, "palaute")
    await drained(world.bot)
    for client in (A[0], A[1], A[5]):
        score, anonymous = SCORES[client.name]
        chat, card = world.feedback_card(client)
        data = {**score_data(card, score), "anonymous": "true" if anonymous else "false"}
        await room.tap(client, "feedback.score", data, conv=Conv.personal(id=chat))
    # help: Aino 1 asked on the day before and today (two in a week), and her guide is
    # unfinished since eight days
    a1 = await person_of(room, A[0])
    assert a1.id is not None
    gid = await group_id(world, "ryhma-a")
    progress = Progress(person_id=a1.id, group_id=gid, started_at=at(LAST - timedelta(days=8), 10))
    for n, when in enumerate((at(DAYS[2], 10), at(LAST, 10))):
        request = HelpRequest(
            key=f"help-{n}",
            person_id=a1.id,
            group_id=gid,
            device=Device.WINDOWS,
            step="mic-settings",
            check=None,
            created_at=when,
        )
        progress, _ = await store.tutorial.save(progress, request=request)
    # a message to Aino 4 that could not be delivered, and the bot removed from her 1:1 chat
    a4_chat = world.own[A[3].name].id
    await store.outbox.enqueue_failed(
        OutboxMessage(key="lost", conversation_id=a4_chat, text="hei"),
        next_attempt_at=datetime.now(UTC),
        error="403",
        dead=True,
    )
    await store.conversations.set_active(a4_chat, False)


# --- the independent count ---------------------------------------------------------------------


def expected_counts(key: str, day: date) -> dict[str, int]:
    statuses = SCENARIO[key][day]
    return {
        "clients": len(statuses),
        "present": statuses.count(P),
        "late": statuses.count(L),
        "left_early": 0,
        "excused": statuses.count(E),
        "absent": statuses.count(X),
        "unmarked": 0,
    }


def names_with(key: str, day: date, status: Status) -> list[str]:
    return sorted(
        c.name for c, s in zip(CLIENTS[key], SCENARIO[key][day], strict=True) if s is status
    )


def counts_words(language: Language, counts: dict[str, int]) -> str:
    """The counts line a card should show: the clients, then each count that is not zero."""
    order = ("present", "late", "left_early", "excused", "absent", "unmarked")
    parts = [text(language, "digest.count.clients", n=counts["clients"])]
    parts += [text(language, f"digest.count.{k}", n=counts[k]) for k in order if counts[k]]
    return " · ".join(parts)


def check_card(card: dict[str, Any], key: str, day: date) -> None:
    words = dump(card)
    counts = expected_counts(key, day)
    assert counts_words(FI, counts) in words
    took = counts["present"] + counts["late"]
    rate = round(100 * took / counts["clients"])
    assert text(FI, "digest.rate", took_part=took, clients=counts["clients"], rate=rate) in words
    # one roll call a day: everyone here (on time or late) has a full day once it is over
    assert text(FI, "digest.activity", count=took) in words
    for status, section in ((X, "digest.absent"), (L, "digest.late")):
        names = names_with(key, day, status)
        if names:
            assert f"{text(FI, section)} ({len(names)})" in words
            assert ", ".join(names) in words
    excused = names_with(key, day, E)
    if excused:
        sick = text(FI, "rollcall.reason.sick")
        assert ", ".join(text(FI, "digest.with_reason", name=n, reason=sick) for n in excused) in (
            words
        )


async def test_the_digest_counts_sends_once_to_coordinators_and_closes_feedback(
    database_url: str, tmp_path: Path, connector: FakeConnector
) -> None:
    async with make_world(database_url, tmp_path, connector) as world:
        await arrange(world)
        ids = {
            u.name: (await person_of(world.rooms["ryhma-a"], u)).id for u in (KAISA, KALLE, OLGA)
        }

        # before 16:00 nothing
        world.clock.set(at(LAST, 15, 59))
        await run_job(world)
        assert await digest_rows(world) == []

        # at 16:00 one digest to each coordinator of IT-paja, in their 1:1 chat, and no one else
        world.clock.set(at(LAST, 16))
        await run_job(world)
        rows = await digest_rows(world)
        expected = sorted(
            (f"digest:{ids[u.name]}:{LAST.isoformat()}:it:{n}", world.own[u.name].id)
            for u in (KAISA, KALLE)
            for n in (0, 1)
        )
        assert rows == expected
        for user in (OLGA, EERO, ADMIN, MAIJA, TUULA, *A, *B):
            assert not [
                c
                for c in world.cards(user)
                if "digest.more" in dump(c)
                or any(
                    c.get("body") and c["body"][0].get("text") == title_of(g, LAST)
                    for g in ("IT-ryhmä", "Toinen ryhmä", "NY group")
                )
            ], user.name
        got = world.cards(KAISA)
        a_card = card_for(got, "IT-ryhmä")
        b_card = card_for(got, "Toinen ryhmä")
        check_card(a_card, "ryhma-a", LAST)
        check_card(b_card, "ryhma-b", LAST)
        words = dump(a_card)
        # feedback: three answers, their average and distribution
        scores = [s for s, _ in SCORES.values()]
        assert (
            text(FI, "digest.feedback.count", count=3, average=decimal(FI, sum(scores) / 3))
            in words
        )
        bars = [e for e in walk(a_card) if e.get("type") == "Chart.VerticalBar"]
        assert bars and [p["y"] for p in bars[0]["data"]] == [scores.count(s) for s in range(1, 7)]
        # help: the day's one request, open; the flags: Aino 5 absent on all four days,
        # Aino 1's two requests in a week and her unfinished guide
        assert text(FI, "digest.help.step", step="mic-settings", open=1, taken=0, resolved=0) in (
            words
        )
        assert text(FI, "digest.flag.absent_streak", name=A[4].name, value=4) in words
        assert text(FI, "digest.flag.absent_streak", name=A[3].name, value=1) not in words
        assert text(FI, "digest.flag.help_repeats", name=A[0].name, value=2) in words
        assert text(FI, "digest.flag.guide_unfinished", name=A[0].name, value=8) in words
        # delivery: the dead letter and the removed 1:1 chat
        assert text(FI, "digest.delivery.dead", count=1) in words
        assert text(FI, "digest.delivery.not_reached", names=A[3].name) in words
        assert text(FI, "digest.delivery.removed", names=A[3].name) in words
        assert text(FI, "digest.delivery.none") in dump(b_card)
        assert all(compact(c) <= MAX_CARD for c in got)

        # the next tick sends nothing more
        await run_job(world)
        assert await digest_rows(world) == rows

        # feedback is closed now: a tap on the feedback card is refused
        room = world.rooms["ryhma-a"]
        chat, card = world.feedback_card(A[0])
        data = {**score_data(card, 2), "anonymous": "false"}
        body = await room.tap(A[0], "feedback.score", data, conv=Conv.personal(id=chat))
        assert text(FI, "feedback.closed") in dump(body)

        # 16:00 in New York: its coordinators (Olga, and Kalle, who had IT-paja's at 16:00 in
        # Helsinki) get New York's day, nobody else anything more
        world.clock.set(at(LAST, 16, zone=NEW_YORK))
        await run_job(world)
        later = await digest_rows(world)
        assert sorted(set(later) - set(rows)) == sorted(
            (f"digest:{ids[u.name]}:{LAST.isoformat()}:ny:0", world.own[u.name].id)
            for u in (OLGA, KALLE)
        )
        # each in their own language (Olga's unit speaks English; Kalle's two units one each:
        # Finnish on a tie), whichever unit's digest it is
        for user, language in ((OLGA, Language.EN), (KALLE, FI)):
            titles = [c["body"][0].get("text") for c in world.cards(user) if c.get("body")]
            assert titles.count(title_of("NY group", LAST, language)) == 1, user.name


async def test_the_command_for_each_role_and_show_all(
    database_url: str, tmp_path: Path, connector: FakeConnector
) -> None:
    async with make_world(database_url, tmp_path, connector) as world:
        await arrange(world)
        world.clock.set(at(LAST, 17))
        # a coordinator: their unit's two groups; another day by its date
        cards = cards_of(await world.say(KAISA, "yhteenveto"))
        assert len(cards) == 2
        check_card(card_for(cards, "IT-ryhmä"), "ryhma-a", LAST)
        earlier = cards_of(await world.say(KAISA, f"yhteenveto {DAYS[1]:%d.%m.%Y}"))
        assert len(earlier) == 2
        check_card(card_for(earlier, "IT-ryhmä", DAYS[1]), "ryhma-a", DAYS[1])
        check_card(card_for(earlier, "Toinen ryhmä", DAYS[1]), "ryhma-b", DAYS[1])
        # the New York coordinator: only New York's, in her unit's English (as her scheduled
        # one); the empty unit's: no group day
        olga = cards_of(await world.say(OLGA, "digest"))
        assert [c["body"][0]["text"] for c in olga] == [title_of("NY group", LAST, Language.EN)]
        eero = cards_of(await world.say(EERO, "yhteenveto"))
        assert text(FI, "digest.nothing", day=date_text(FI, LAST)) in dump(eero)
        # an admin: every unit
        admin = cards_of(await world.say(ADMIN, "yhteenveto"))
        assert len(admin) == 3
        # instructors and clients: a polite refusal saying who gets it
        for user in (MAIJA, A[0]):
            answers = await world.say(user, "yhteenveto")
            assert texts_of(answers) == [text(FI, "digest.not_allowed")]
            assert not cards_of(answers)
        # show all: the absent of IT-ryhmä, for Kaisa; Olga's units do not have IT-ryhmä
        gid = await group_id(world, "ryhma-a")
        data = {"group": str(gid), "day": LAST.isoformat(), "section": Section.ABSENT.value}
        room = world.rooms["ryhma-a"]
        body = await room.tap(KAISA, MORE_VERB, data, conv=world.own[KAISA.name])
        await drained(world.bot)
        shown = dump(world.cards(KAISA)[-1])
        assert all(name in shown for name in names_with("ryhma-a", LAST, X)), body
        refused = await room.tap(OLGA, MORE_VERB, data, conv=world.own[OLGA.name])
        assert text(Language.EN, "digest.unknown") in dump(refused)  # in her own language
        assert not [c for c in world.cards(OLGA) if A[4].name in dump(c)]
        # asked in a group chat: the cards go to the asker's 1:1 chat, nothing to the group
        said = await room.say(KAISA, "yhteenveto")
        assert [r.json.get("text") for r in said] == [text(FI, "digest.sent_privately")]


SIXTY = [
    User(name=f"Pitkänimi-Esimerkkinen Virtanen-Korhonen-Mäkinen {i:02d}", upn=f"p{i}@example.fi")
    for i in range(60)
]


async def test_sixty_absent_clients_stay_within_the_limit_with_show_all(
    database_url: str, tmp_path: Path, connector: FakeConnector
) -> None:
    async with make_world(database_url, tmp_path, connector, clients_a=SIXTY) as world:
        await add_day(world, "ryhma-a", LAST)
        world.clock.set(at(LAST, 9))
        room = world.rooms["ryhma-a"]
        await open_roll_call(room, by=MAIJA)
        await room.say(MAIJA, "sulje nimenhuuto")
        world.clock.set(at(LAST, 17))
        [card] = [
            c
            for c in cards_of(await world.say(KAISA, "yhteenveto"))
            if c["body"][0]["text"] == title_of("IT-ryhmä", LAST)
        ]
        assert compact(card) <= MAX_CARD
        counts = {"clients": 60, "present": 0, "late": 0, "left_early": 0, "excused": 0}
        assert counts_words(FI, {**counts, "absent": 60, "unmarked": 0}) in dump(card)
        # the zeros are left out
        assert text(FI, "digest.count.present", n=0) not in dump(card)
        buttons = [
            a for a in walk(card) if a.get("type") == "Action.Execute" and a["verb"] == MORE_VERB
        ]
        absent = [b for b in buttons if b["data"]["section"] == Section.ABSENT.value]
        assert absent
        data = {k: v for k, v in absent[0]["data"].items() if k != "verb"}
        before = len(world.cards(KAISA))
        await room.tap(KAISA, MORE_VERB, data, conv=world.own[KAISA.name])
        await drained(world.bot)
        more = world.cards(KAISA)[before:]
        assert more and all(compact(c) <= MAX_CARD for c in more)
        shown = dump(more)
        assert all(u.name in shown for u in SIXTY)


async def test_a_date_out_of_range_typed_or_on_a_card_gets_a_polite_answer(
    database_url: str, tmp_path: Path, connector: FakeConnector
) -> None:
    async with make_world(database_url, tmp_path, connector) as world:
        world.clock.set(at(LAST, 17))
        for words in ("yhteenveto 1.1.0001", "yhteenveto 31.12.9999", "yhteenveto 9999-12-31"):
            answers = await world.say(KAISA, words)
            assert texts_of(answers) == [text(FI, "digest.bad_date")], words
        gid = await group_id(world, "ryhma-a")
        room = world.rooms["ryhma-a"]
        for day in ("0001-01-01", "9999-12-31", "2026-02-30", "x"):
            data = {"group": str(gid), "day": day, "section": Section.ABSENT.value}
            body = await room.tap(KAISA, MORE_VERB, data, conv=world.own[KAISA.name])
            assert text(FI, "digest.unknown") in dump(body), day
