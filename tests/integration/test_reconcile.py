"""Teams' attendance report against the roll call over real HTTP, with a fake Graph, on SQLite
and PostgreSQL.

A day of IT-ryhmä in its Teams meeting: three clients check in, the roll call closes, the
meeting ends at noon. Teams' report (120 other attendees too, so the records come in three
pages) says one who never checked in was there all morning, one who checked in stayed ten
minutes and one left at half past ten. The instructor's attendance list and the
coordinator's digest show those three as suggestions; the statutory record stays exactly as
it was until the instructor opens a correction from a suggestion and saves it with a reason.
When Graph refuses (403, 404, 429) or has no report, the digest says why.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select
from sqlalchemy import text as sql

from bot.app import SCHEDULER
from bot.features.reconcile import POLL_JOB
from bot.orgfile import load_org_file
from bot.settings import Settings
from cards.reconcile import SUGGEST_VERB
from cards.rollcall import SAVE_VERB
from domain import days as d
from domain.i18n import clock, text
from domain.org import Language
from domain.plans import ItemKind, Plan, PlanItem
from domain.rollcall.model import Status
from store.graph_attendance import GraphMeetingRow
from tests.fakes.activities import Conv, User, meeting_end, meeting_start, message
from tests.fakes.connector import FakeConnector
from tests.fakes.graph import FakeGraph, attendance_record
from tests.integration.harness import BotServer, drained, free_port, start_bot, stop_bot
from tests.integration.test_digest import SetClock
from tests.integration.test_rollcall import CLIENTS, MAIJA, Room
from tests.integration.test_rollcall_more import (
    EVERYONE,
    KAISA,
    TUULA,
    attendance_card,
    cards_in,
    choices_of,
    open_roll_call,
    org_yaml,
    person,
    tap_here,
)

FI = Language.FI
HELSINKI = ZoneInfo("Europe/Helsinki")
DAY = date(2026, 12, 3)
ORGANIZER = "5f2a9c4e-7d1b-4e8a-9c3f-2b6d8e0a1c47"
GRAPH_ID = "MSo1ZjJhOWM0ZS03ZDFiLTRlOGEtOWMzZi0yYjZkOGUwYTFjNDcqMCoqMTk6bWVldGluZ19Y"
JOIN_URL = "https://teams.microsoft.com/l/meetup-join/19%3ameeting_X%40thread.v2/0"
RECORD_TABLES = ("roll_calls", "attendance_marks", "attendance_checkouts", "attendance_changes")

PLAN = Plan(
    key="aamupaiva",
    name="Aamupäivä",
    items=(
        PlanItem(ItemKind.CONTENT, "Aamu", time(9, 0), timedelta(minutes=165)),
        PlanItem(ItemKind.CLOSE, "Loppu", time(11, 45), timedelta(minutes=15)),
    ),
)

STAYED = CLIENTS[0]  # checked in, in the meeting all morning: nothing to say
SHORT = CLIENTS[1]  # checked in, ten minutes in the meeting
EARLY = CLIENTS[2]  # checked in, left the meeting at 10.30
JOINED = CLIENTS[5]  # never checked in, in the meeting all morning


def at(hour: int, minute: int = 0, day: date = DAY) -> datetime:
    return datetime.combine(day, time(hour, minute), tzinfo=HELSINKI).astimezone(UTC)


def about(moment: datetime | None, expected: datetime) -> bool:
    """The moment the test's clock showed, give or take the seconds the test took."""
    return moment is not None and expected <= moment <= expected + timedelta(seconds=30)


def dump(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False)


@dataclass
class World:
    bot: BotServer
    connector: FakeConnector
    graph: FakeGraph
    clock: SetClock
    room: Room

    async def say_privately(self, user: User, words: str, conv: Conv) -> list[dict[str, Any]]:
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


@asynccontextmanager
async def make_world(
    database_url: str,
    tmp_path: Path,
    connector: FakeConnector,
    *,
    graph_page: int = 50,
    details: str = "graph_id",
) -> AsyncIterator[World]:
    """The bot with Graph, IT-ryhmä bound in its meeting chat.

    details: what Teams' meeting-details call gives: "graph_id" (msGraphResourceId),
    "join_url" (only the organizer and the join URL), "none" (no answer: 404).
    """
    clock = SetClock(at(8))
    async with FakeGraph(page_size=graph_page) as graph:
        settings = Settings(
            port=free_port(),
            database_url=database_url,
            graph_enabled=True,
            graph_tenant_id="00000000-0000-0000-0000-0000000000aa",
            graph_client_id="00000000-0000-0000-0000-0000000000b0",
            graph_client_secret="not-used",
            graph_base_url=graph.url,
        )
        bot = await start_bot(settings, clock=clock, graph_credential=graph.credential)
        try:
            org_file = tmp_path / "org.yaml"
            org_file.write_text(org_yaml(with_aad=True), encoding="utf-8")
            await bot.store.org.apply(load_org_file(str(org_file)))
            conv = Conv.meeting_chat()
            for user in EVERYONE:
                connector.add_member(conv.id, user.member())
            room = Room(bot, connector, conv)
            assert await room.say(MAIJA, "tämä on ryhmä"), "the chat was not bound"
            await room.say(TUULA, "ohjelma")
            assert conv.meeting_id is not None
            if details != "none":
                connector.set_meeting(
                    conv.meeting_id,
                    ms_graph_resource_id=GRAPH_ID if details == "graph_id" else None,
                    join_url=JOIN_URL,
                    conversation_id=conv.id,
                    organizer={"id": "29:1organizer", "aadObjectId": ORGANIZER},
                )
            graph.add_meeting(ORGANIZER, GRAPH_ID, JOIN_URL, chat_id=conv.id)
            yield World(bot, connector, graph, clock, room)
        finally:
            await stop_bot(bot)


async def held_day(world: World) -> int:
    """The planned morning; STAYED, SHORT and EARLY check in, the roll call closes."""
    groups = {g.key: g for g in await world.bot.store.org.all_groups()}
    group = groups["it-ryhma"]
    assert group.id is not None
    placed = d.place_plan(PLAN, group.id, DAY, group.timezone, FI)
    await world.bot.store.days.add(replace(placed, status=d.DayStatus.CLOSED), [])
    world.clock.set(at(9))
    rc = await open_roll_call(world.room)
    for client in (STAYED, SHORT, EARLY):
        await tap_here(world.room, client, rc)
    await world.room.say(MAIJA, "sulje nimenhuuto")
    await drained(world.bot)
    return rc


def teams_report(world: World, others: int = 120) -> None:
    """Teams' report of the morning: the four, the instructor and `others` strangers."""
    start, end = at(9), at(12)
    records = [
        attendance_record(STAYED.aad_object_id, STAYED.name, [(at(9), at(12))]),
        attendance_record(SHORT.aad_object_id, SHORT.name, [(at(9), at(9, 10))]),
        attendance_record(EARLY.aad_object_id, EARLY.name, [(at(9), at(10, 30))]),
        # the one who never checked in: in twice, 2 h 45 min in all
        attendance_record(
            JOINED.aad_object_id, JOINED.name, [(at(9, 5), at(10)), (at(10, 10), at(12))]
        ),
        attendance_record(MAIJA.aad_object_id, MAIJA.name, [(at(8, 50), at(12))], role="Organizer"),
        *(
            attendance_record(f"00000000-0000-4000-8000-{n:012d}", f"Vieras {n}", [(at(9), at(12))])
            for n in range(others)
        ),
    ]
    world.graph.add_report(GRAPH_ID, "report-1", start, end, records)


async def meeting_ends(world: World, moment: datetime) -> None:
    world.clock.set(moment)
    status, _ = await world.bot.post(
        meeting_end(conversation=world.room.conv, sender=MAIJA, service_url=world.connector.url)
    )
    assert status in (200, 201)
    await drained(world.bot)


async def meeting_row(world: World) -> GraphMeetingRow | None:
    async with world.bot.store.db.read() as s:
        return (await s.execute(select(GraphMeetingRow))).scalar_one_or_none()


async def poll_at(world: World, moment: datetime) -> GraphMeetingRow:
    """Move the clock and run the leader's poll job to its end (the schedule held); the
    meeting's row after it."""
    aps = world.bot.runner.app[SCHEDULER].aps
    loop = asyncio.get_running_loop()
    deadline = loop.time() + 15
    while (job := aps.get_job(POLL_JOB)) is None:
        assert loop.time() < deadline, "the leader never scheduled the poll job"
        await asyncio.sleep(0.05)
    job.pause()
    world.clock.set(moment)
    await job.func()
    row = await meeting_row(world)
    assert row is not None
    return row


async def statutory(world: World) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of the attendance record and its audit, as stored."""
    found: dict[str, list[tuple[Any, ...]]] = {}
    async with world.bot.store.db.read() as s:
        for table in (*RECORD_TABLES, "audit_log"):
            rows = await s.execute(sql(f"SELECT * FROM {table} ORDER BY 1"))  # noqa: S608
            found[table] = [tuple(r) for r in rows.all()]
    return found


def suggestion_line(key: str, user: User, **params: Any) -> str:
    return text(FI, key, name=user.name, **params)


def suggest_buttons(card: dict[str, Any]) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = []

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            if node.get("type") == "Action.Execute" and node.get("verb") == SUGGEST_VERB:
                found.append(node)
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(card)
    return found


async def digest_words(world: World, day: date | None = None) -> str:
    """The digest the coordinator asks for in her 1:1 chat (of a given day), as one text."""
    own = Conv.personal()
    await world.say_privately(KAISA, "moi", own)
    words = f"yhteenveto {day.day}.{day.month}.{day.year}" if day else "yhteenveto"
    answers = await world.say_privately(KAISA, words, own)
    cards = [a["content"] for r in answers for a in r.get("attachments") or []]
    cards += cards_in(world.connector, own.id)
    return dump(cards)


# === the day with a report ===================================================================


async def test_the_report_suggests_and_only_the_instructor_changes_the_record(
    database_url: str, tmp_path: Path, connector: FakeConnector
) -> None:
    async with make_world(database_url, tmp_path, connector) as world:
        rc = await held_day(world)
        await meeting_ends(world, at(12))
        row = await meeting_row(world)
        assert row is not None
        # the meeting-details call gave the Graph id; the first poll in ten minutes
        assert (row.organizer_id, row.graph_id) == (ORGANIZER, GRAPH_ID)
        assert about(row.next_poll_at, at(12, 10)) and row.polls_done == 0
        teams_report(world)
        # an earlier session of the recurring meeting: another day's report is not read
        last_week = DAY - timedelta(days=7)
        world.graph.add_report(
            GRAPH_ID,
            "report-0",
            at(9, day=last_week),
            at(12, day=last_week),
            [attendance_record(SHORT.aad_object_id, SHORT.name, [(at(9), at(12))])],
        )
        before = await statutory(world)

        row = await poll_at(world, at(12, 11))
        assert row.fetched_at is not None and row.problem is None
        assert about(row.next_poll_at, at(13))
        # three pages of records (125 in all), read with the report's nextLink
        pages = world.graph.requests_to("/attendanceRecords")
        assert len(pages) == 3
        assert await statutory(world) == before
        async with world.bot.store.db.read() as s:
            copied = (await s.execute(sql("SELECT COUNT(*) FROM graph_attendance"))).scalar()
        assert copied == 125

        # the instructor's list: three suggestions, each with a button; nothing changed
        chat, card = await attendance_card(world.room)
        words = dump(card)
        assert text(FI, "reconcile.heading") in words
        assert suggestion_line("reconcile.joined", JOINED, duration="2 h 45 min") in words
        assert suggestion_line("reconcile.short_stay", SHORT, duration="10 min") in words
        assert (
            suggestion_line("reconcile.left_early", EARLY, time=clock(FI, at(10, 30), HELSINKI))
            in words
        )
        assert f'"{STAYED.name}: ' not in words
        ids = {u.name: (await person(world.room, u)).id for u in (STAYED, SHORT, EARLY, JOINED)}
        buttons = suggest_buttons(card)
        assert sorted(b["data"]["person"] for b in buttons) == sorted(
            str(ids[u.name]) for u in (SHORT, EARLY, JOINED)
        )
        assert await statutory(world) == before

        # "Correct" under the one who never checked in: the list with "present" chosen and
        # the report's words as the reason, and still nothing changed
        private = Conv.personal(id=chat)
        opened = await world.room.tap(
            MAIJA,
            SUGGEST_VERB,
            {"rollcall": str(rc), "person": str(ids[JOINED.name])},
            conv=private,
        )
        form = opened["value"]
        choices = choices_of(form)
        assert choices[f"p{ids[JOINED.name]}"] == Status.PRESENT.value
        assert choices[f"p{ids[STAYED.name]}"] == Status.PRESENT.value
        note = next(e for e in _elements(form) if e.get("id") == "why")
        assert note["value"] == text(
            FI,
            "reconcile.note",
            said=suggestion_line("reconcile.joined", JOINED, duration="2 h 45 min"),
        )
        assert text(FI, "reconcile.open") in dump(form)
        assert await statutory(world) == before

        # hostile taps: a client with the same data, the coordinator (who sees the list but
        # corrects nothing), someone with no suggestion, a made-up person, a bad id
        for who, data, conv in (
            (JOINED, {"rollcall": str(rc), "person": str(ids[JOINED.name])}, world.room.conv),
            (KAISA, {"rollcall": str(rc), "person": str(ids[JOINED.name])}, Conv.personal()),
            (MAIJA, {"rollcall": str(rc), "person": str(ids[STAYED.name])}, private),
            (MAIJA, {"rollcall": str(rc), "person": "999999"}, private),
            (MAIJA, {"rollcall": "x", "person": str(ids[JOINED.name])}, private),
        ):
            answer = await world.room.tap(who, SUGGEST_VERB, data, conv=conv)
            assert "Input.ChoiceSet" not in dump(answer), who.name
        assert await statutory(world) == before

        # the instructor saves the opened correction: one audited change, with the reason
        await world.room.tap(
            MAIJA, SAVE_VERB, {"rollcall": str(rc), "why": note["value"], **choices}, conv=private
        )
        await drained(world.bot)
        after = await statutory(world)
        assert after != before
        marks = await world.bot.store.rollcall.marks(rc)
        assert marks[ids[JOINED.name] or 0].status is Status.PRESENT
        roll_call = await world.bot.store.rollcall.get(rc)
        assert roll_call is not None
        changes = await world.bot.store.rollcall.changes(roll_call.group_id, roll_call.day)
        assert [(c.person_id, c.after, c.note) for c in changes[-1:]] == [
            (ids[JOINED.name], Status.PRESENT, note["value"])
        ]
        # and the suggestion is gone from the list
        _, again = await attendance_card(world.room)
        assert suggestion_line("reconcile.joined", JOINED, duration="2 h 45 min") not in dump(again)

        # the coordinator's digest says the rest, in the group's card
        world.clock.set(at(16, 5))
        words = await digest_words(world)
        assert text(FI, "reconcile.heading") in words
        assert suggestion_line("reconcile.short_stay", SHORT, duration="10 min") in words
        assert suggestion_line("reconcile.joined", JOINED, duration="2 h 45 min") not in words
        assert "Vieras 1" not in words


def _elements(card: dict[str, Any]) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = []

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            found.append(node)
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(card)
    return found


# === when the report is not available ==========================================================


@pytest.mark.parametrize("trouble", ["forbidden", "not_found", "throttled", "no_report"])
async def test_the_digest_says_why_the_report_was_not_available(
    database_url: str, tmp_path: Path, connector: FakeConnector, trouble: str
) -> None:
    async with make_world(database_url, tmp_path, connector) as world:
        await held_day(world)
        if trouble == "forbidden":
            world.graph.forbid(ORGANIZER)
        elif trouble == "not_found":
            world.graph.fail_next("/attendanceReports", 404, times=None)
        elif trouble == "throttled":
            world.graph.fail_next("/attendanceReports", 429, retry_after=1, times=None)
        await meeting_ends(world, at(12))
        before = await statutory(world)

        row = await poll_at(world, at(12, 11))
        if trouble == "no_report":
            # an empty list (the meeting running, the report not ready) is no failure yet
            assert row.problem is None and row.fetched_at is None
            assert text(FI, "reconcile.waiting") in await digest_words(world)
            await poll_at(world, at(13, 1))
            row = await poll_at(world, at(8, 1, day=DAY + timedelta(days=1)))
            assert row.next_poll_at is None
        else:
            # retried at the next poll; the problem stays when that fails too
            assert about(row.next_poll_at, at(13))
            row = await poll_at(world, at(13, 1))
        assert row.problem == trouble
        if trouble == "forbidden":
            assert row.status == 403
        # the day's digest, asked for that day (the next morning for the last poll's problem)
        words = await digest_words(world, DAY)
        reason = text(FI, f"reconcile.problem.{trouble}")
        assert text(FI, "reconcile.unavailable", reason=reason) in words
        # nothing else stopped: the attendance list is there, the record untouched
        _, card = await attendance_card(world.room)
        assert text(FI, "reconcile.heading") not in dump(card)
        assert await statutory(world) == before


async def test_without_graph_nothing_is_polled_or_said(
    database_url: str, tmp_path: Path, connector: FakeConnector
) -> None:
    clock = SetClock(at(8))
    bot = await start_bot(Settings(port=free_port(), database_url=database_url), clock=clock)
    try:
        org_file = tmp_path / "org.yaml"
        org_file.write_text(org_yaml(with_aad=True), encoding="utf-8")
        await bot.store.org.apply(load_org_file(str(org_file)))
        conv = Conv.meeting_chat()
        for user in EVERYONE:
            connector.add_member(conv.id, user.member())
        room = Room(bot, connector, conv)
        assert await room.say(MAIJA, "tämä on ryhmä")
        world = World(bot, connector, FakeGraph(), clock, room)
        await held_day(world)
        await meeting_ends(world, at(12))
        assert await meeting_row(world) is None
        assert bot.runner.app[SCHEDULER].aps.get_job(POLL_JOB) is None
        assert text(FI, "reconcile.heading") not in await digest_words(world)
    finally:
        await stop_bot(bot)


async def test_a_confirmed_early_leave_is_recorded_when_teams_saw_them_leave(
    database_url: str, tmp_path: Path, connector: FakeConnector
) -> None:
    """Confirmed after the day's end, a check-out at the moment of saving would not be early
    at all: the report's leaving time (10.30) is what the instructor confirms."""
    async with make_world(database_url, tmp_path, connector) as world:
        rc = await held_day(world)
        await meeting_ends(world, at(12))
        teams_report(world, others=0)
        await poll_at(world, at(12, 11))
        world.clock.set(at(12, 30))
        chat, _ = await attendance_card(world.room)
        early = (await person(world.room, EARLY)).id
        private = Conv.personal(id=chat)
        opened = await world.room.tap(
            MAIJA, SUGGEST_VERB, {"rollcall": str(rc), "person": str(early)}, conv=private
        )
        choices = choices_of(opened["value"])
        assert choices[f"p{early}"] == Status.LEFT_EARLY.value
        note = next(e for e in _elements(opened["value"]) if e.get("id") == "why")
        await world.room.tap(
            MAIJA, SAVE_VERB, {"rollcall": str(rc), "why": note["value"], **choices}, conv=private
        )
        await drained(world.bot)
        roll_call = await world.bot.store.rollcall.get(rc)
        assert roll_call is not None
        checkouts = await world.bot.store.rollcall.checkouts(roll_call.group_id, roll_call.day)
        assert checkouts[early or 0].at == at(10, 30)
        _, card = await attendance_card(world.room)
        assert text(FI, "attendance.left", time=clock(FI, at(10, 30), HELSINKI)) in dump(card)
        # the suggestion is answered: it is no longer shown
        assert suggestion_line(
            "reconcile.left_early", EARLY, time=clock(FI, at(10, 30), HELSINKI)
        ) not in dump(card)


@pytest.mark.parametrize("details", ["join_url", "none"])
async def test_without_the_graph_id_the_meeting_is_found_through_graph(
    database_url: str, tmp_path: Path, connector: FakeConnector, details: str
) -> None:
    """Teams' details lack msGraphResourceId: the join URL under the organizer; no details at
    all: the meeting chat's onlineMeetingInfo. Found at the first poll, not during the turn."""
    async with make_world(database_url, tmp_path, connector, details=details) as world:
        await held_day(world)
        await meeting_ends(world, at(12))
        row = await meeting_row(world)
        assert row is not None and row.graph_id is None
        assert world.graph.requests == []  # nothing asked of Graph within the meeting's end
        teams_report(world, others=0)
        row = await poll_at(world, at(12, 11))
        assert (row.organizer_id, row.graph_id) == (ORGANIZER, GRAPH_ID)
        assert row.fetched_at is not None and row.problem is None
        asked = [r.path for r in world.graph.requests]
        if details == "join_url":
            assert any("/onlineMeetings" in p and "/attendanceReports" not in p for p in asked)
        else:
            assert any(p.endswith(f"/chats/{world.room.conv.id}") for p in asked), asked
        _, card = await attendance_card(world.room)
        assert suggestion_line("reconcile.joined", JOINED, duration="2 h 45 min") in dump(card)


async def test_the_graph_id_seen_at_the_meetings_start_serves_its_end(
    database_url: str, tmp_path: Path, connector: FakeConnector
) -> None:
    """Teams gave the Graph id when the meeting started; at its end the details lack it: the
    start's id is used and Graph is asked for nothing but the report."""
    async with make_world(database_url, tmp_path, connector) as world:
        world.clock.set(at(8, 55))
        status, _ = await world.bot.post(
            meeting_start(
                conversation=world.room.conv, sender=MAIJA, service_url=world.connector.url
            )
        )
        assert status in (200, 201)
        await drained(world.bot)
        row = await meeting_row(world)
        assert row is not None
        assert (row.graph_id, row.ended_at, row.next_poll_at) == (GRAPH_ID, None, None)
        # nothing to say of a meeting that has not ended
        assert text(FI, "reconcile.heading") not in await digest_words(world)
        await held_day(world)
        meeting_id = world.room.conv.meeting_id
        assert meeting_id is not None
        connector.set_meeting(meeting_id, join_url=JOIN_URL, organizer={"aadObjectId": ORGANIZER})
        await meeting_ends(world, at(12))
        teams_report(world, others=0)
        row = await poll_at(world, at(12, 11))
        assert (row.graph_id, row.problem) == (GRAPH_ID, None) and row.fetched_at is not None
        assert all("/attendanceReports" in r.path for r in world.graph.requests)
