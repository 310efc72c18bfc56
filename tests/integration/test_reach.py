"""Reaching everyone in the group over real HTTP, on SQLite and PostgreSQL.

"Remind the missing" and the feedback prompt reach people in their 1:1 chat with the bot. Teams
opens that chat only for someone whose Teams id the bot has seen and who has the app; the others
are named to the instructor with the reason, in their language, never in the group chat.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from bot.__main__ import main
from bot.app import SCHEDULER
from bot.features.digest import SEND_JOB
from bot.orgfile import load_org_file
from bot.settings import Settings
from domain import days as d
from domain.graph import GraphProblem
from domain.i18n import text
from domain.model import Conversation, ConversationKind
from domain.reach import NotReached, Unreachable, names_with_reasons
from store.db import create_engine, sessionmaker
from store.store import Store
from store.tables import AuditRow
from tests.fakes.activities import Conv
from tests.fakes.connector import FakeConnector
from tests.fakes.graph import FakeGraph
from tests.integration.harness import drained, free_port, start_bot, stop_bot, with_graph
from tests.integration.test_digest import PLAN
from tests.integration.test_rollcall import CLIENTS, MAIJA, TUULA, Room
from tests.integration.test_rollcall_more import (
    EVERYONE,
    FI,
    KAISA,
    assert_no_names_in_group,
    cards_in,
    creations_for,
    make_room,
    open_roll_call,
    org_yaml,
    person,
    private_chat,
    say_in,
    tap_here,
)

CATALOG_APP = "8c2f5a1e-0000-0000-0000-00000000a991"
INSTALLS = "/teamwork/installedApps"


@pytest.fixture
async def room(database_url: str, tmp_path: Path, connector: FakeConnector) -> AsyncIterator[Room]:
    """IT-ryhmä's group chat with the default settings."""
    async with make_room(database_url, tmp_path, connector) as built:
        yield built


def texts_in(connector: FakeConnector, conversation_id: str) -> list[str]:
    return [str(t) for t in connector.texts(conversation_id) if t]


async def test_reminding_in_the_group_tells_the_instructor_privately_who_was_not_reached_and_why(
    room: Room,
) -> None:
    # Asiakas 00 has a 1:1 chat; Asiakas 01 wrote in the group chat, but the app is not
    # installed for them; the others have never written to the bot
    own = Conv.personal()
    room.connector.add_member(own.id, CLIENTS[0].member())
    await say_in(room, own, CLIENTS[0], "kiitos")
    await room.say(CLIENTS[1], "ohjelma")
    room.connector.not_installed_for(str(CLIENTS[1].teams_id))
    rc = await open_roll_call(room)
    await tap_here(room, CLIENTS[3], rc)

    answers = await room.say(MAIJA, "muistuta puuttuvia")
    await drained(room.bot)

    never = [c for c in CLIENTS[2:] if c is not CLIENTS[3]]
    unreached = [
        NotReached(CLIENTS[1].name, Unreachable.NOT_INSTALLED),
        *(NotReached(c.name, Unreachable.NO_TEAMS_ID) for c in never),
    ]
    assert [a.json.get("text") for a in answers] == [
        " ".join(
            (
                text(FI, "rollcall.reminded", count=1, already=0),
                text(FI, "rollcall.reminded.unreachable_sent", count=len(unreached)),
            )
        )
    ]
    chat = private_chat(room.connector, MAIJA)
    assert chat is not None, "the instructor got nothing privately"
    assert texts_in(room.connector, chat) == [
        text(
            FI,
            "rollcall.reminded.unreachable_group",
            group="IT-ryhmä",
            names=names_with_reasons(FI, unreached),
        )
    ]
    assert "Asiakas 01 (Etäpäivä ei ole hänen Teamsissaan)" in texts_in(room.connector, chat)[0]
    assert "Asiakas 02 (hän ei ole vielä kirjoittanut minulle)" in texts_in(room.connector, chat)[0]
    assert_no_names_in_group(room)


# --- with Microsoft Graph: the app installed for those Teams cannot reach -----------------------


@pytest.fixture
async def graph() -> AsyncIterator[FakeGraph]:
    async with FakeGraph() as fake:
        fake.add_catalog_app(CATALOG_APP)
        yield fake


@asynccontextmanager
async def graph_room(
    database_url: str,
    tmp_path: Path,
    graph: FakeGraph,
    catalog_app_id: str = CATALOG_APP,
    **settings: Any,
) -> AsyncIterator[Room]:
    """IT-ryhmä's group chat bound by Maija, the bot using the fake Graph.

    The 1:1 chats Graph makes are ones this fake Bot Connector cannot know of beforehand, so it
    serves any conversation (check_conversations=False).
    """
    org_file = tmp_path / "org.yaml"
    org_file.write_text(org_yaml(with_aad=True), encoding="utf-8")
    wanted = with_graph(
        Settings(port=free_port(), database_url=database_url, **settings), graph, catalog_app_id
    )
    with FakeConnector(check_conversations=False) as connector:
        bot = await start_bot(wanted, graph_credential=graph.credential)
        try:
            await bot.store.org.apply(load_org_file(str(org_file)))
            conv = Conv.group_chat()
            for user in EVERYONE:
                connector.add_member(conv.id, user.member())
            room = Room(bot, connector, conv)
            assert await room.say(MAIJA, "tämä on ryhmä"), "the chat was not bound"
            await room.say(TUULA, "ohjelma")
            yield room
        finally:
            await stop_bot(bot)


def chat_of(graph: FakeGraph, client: Any) -> str:
    """The 1:1 chat Graph made for the client ("" while there is none)."""
    return graph.installed(str(client.aad_object_id)) or ""


async def installed_audit(room: Room) -> list[AuditRow]:
    async with room.bot.store.db.read() as s:
        found = await s.execute(
            select(AuditRow).where(AuditRow.action == "app.installed").order_by(AuditRow.id)
        )
        return list(found.scalars().all())


async def test_with_graph_the_app_is_installed_and_the_reminder_goes_to_the_new_chat(
    database_url: str, tmp_path: Path, graph: FakeGraph
) -> None:
    async with graph_room(database_url, tmp_path, graph) as room:
        # Asiakas 01 wrote in the group chat but has not got the app; the others never wrote
        await room.say(CLIENTS[1], "ohjelma")
        room.connector.not_installed_for(str(CLIENTS[1].teams_id))
        rc = await open_roll_call(room)
        for client in CLIENTS[4:]:
            await tap_here(room, client, rc)
        missing = CLIENTS[:4]

        answers = await room.say(MAIJA, "muistuta puuttuvia")
        await drained(room.bot)

        assert [a.json.get("text") for a in answers] == [
            text(FI, "rollcall.reminded", count=len(missing), already=0)
        ]
        posts = [r for r in graph.requests_to(INSTALLS) if r.method == "POST"]
        assert sorted(r.path.split("/")[3] for r in posts) == sorted(
            str(c.aad_object_id) for c in missing
        )
        assert all(r.status == 201 for r in posts)
        audit = await installed_audit(room)
        for client in missing:
            chat = graph.installed(str(client.aad_object_id))
            assert chat is not None, f"the app was not installed for {client.name}"
            found = await person(room, client)
            known = await room.bot.store.conversations.personal_for(found.id or 0)
            assert known is not None and known.conversation_id == chat
            assert known.service_url == room.connector.url
            reminders = cards_in(room.connector, chat)
            assert len(reminders) == 1, f"{client.name} got {len(reminders)} reminders"
            assert text(FI, "rollcall.remind.title") in str(reminders[0])
            assert [
                a.details["conversation"] for a in audit if a.subject == f"person:{found.id}"
            ] == [chat]
        assert len(audit) == len(missing)
        assert_no_names_in_group(room)

        # the chats are known now: asking again installs nothing more
        answers = await room.say(TUULA, "muistuta puuttuvia")
        assert [a.json.get("text") for a in answers] == [
            text(FI, "rollcall.reminded", count=0, already=len(missing))
        ]
        assert len([r for r in graph.requests_to(INSTALLS) if r.method == "POST"]) == len(posts)


async def test_an_installation_graph_refuses_is_named_with_its_reason_and_tried_once(
    database_url: str, tmp_path: Path, graph: FakeGraph
) -> None:
    # no permission to install apps for users: every installation would answer 403
    graph.fail_next(INSTALLS, 403, times=None)
    async with graph_room(database_url, tmp_path, graph) as room:
        rc = await open_roll_call(room)
        for client in CLIENTS[3:]:
            await tap_here(room, client, rc)
        missing = CLIENTS[:3]

        answers = await room.say(MAIJA, "muistuta puuttuvia")
        await drained(room.bot)

        unreached = [
            NotReached(c.name, Unreachable.INSTALL_FAILED, GraphProblem.FORBIDDEN) for c in missing
        ]
        assert [a.json.get("text") for a in answers] == [
            " ".join(
                (
                    text(FI, "rollcall.reminded", count=0, already=0),
                    text(FI, "rollcall.reminded.unreachable_sent", count=len(missing)),
                )
            )
        ]
        chat = private_chat(room.connector, MAIJA)
        assert chat is not None
        said = [str(t) for t in room.connector.texts(chat) if t]
        assert said == [
            text(
                FI,
                "rollcall.reminded.unreachable_group",
                group="IT-ryhmä",
                names=names_with_reasons(FI, unreached),
            )
        ]
        assert (
            "Asiakas 00 (en saanut lisättyä Etäpäivää hänen Teamsiinsa: lupa puuttuu, kerro "
            "ylläpitäjälle)" in said[0]
        )
        # one refusal is enough: the others are not tried while it would repeat
        assert len(graph.requests_to(INSTALLS)) == 1
        assert await installed_audit(room) == []
        assert_no_names_in_group(room)


async def test_graph_without_the_apps_catalog_id_says_installing_is_not_turned_on(
    database_url: str, tmp_path: Path, graph: FakeGraph
) -> None:
    async with graph_room(database_url, tmp_path, graph, catalog_app_id="") as room:
        rc = await open_roll_call(room)
        for client in CLIENTS[1:]:
            await tap_here(room, client, rc)
        await room.say(MAIJA, "muistuta puuttuvia")
        await drained(room.bot)
        chat = private_chat(room.connector, MAIJA)
        assert chat is not None
        assert [str(t) for t in room.connector.texts(chat) if t] == [
            text(
                FI,
                "rollcall.reminded.unreachable_group",
                group="IT-ryhmä",
                names=names_with_reasons(
                    FI, [NotReached(CLIENTS[0].name, Unreachable.NOT_CONFIGURED)]
                ),
            )
        ]
        assert graph.requests_to(INSTALLS) == []


# --- the coordinators' digest -----------------------------------------------------------------


async def digest_due_today(room: Room) -> None:
    """IT-ryhmä had a group day today (over), and the digest hour (00:00) has passed: the
    leader's digest job, run now."""
    group = next(g for g in await room.bot.store.org.all_groups() if g.key == "it-ryhma")
    assert group.id is not None
    today = datetime.now(UTC).astimezone(ZoneInfo("Europe/Helsinki")).date()
    placed = d.place_plan(PLAN, group.id, today, "Europe/Helsinki", FI)
    await room.bot.store.days.add(replace(placed, status=d.DayStatus.CLOSED), [])
    await run_digest_job(room)


async def run_digest_job(room: Room) -> None:
    """The leader's digest job, run now."""
    aps = room.bot.runner.app[SCHEDULER].aps
    loop = asyncio.get_running_loop()
    deadline = loop.time() + 15
    while (job := aps.get_job(SEND_JOB)) is None:
        assert loop.time() < deadline, "the leader never scheduled the digest job"
        await asyncio.sleep(0.05)
    job.modify(next_run_time=datetime.now(UTC))
    await asyncio.sleep(0.5)
    await drained(room.bot)


async def test_a_coordinator_the_digest_cannot_reach_is_logged_with_the_reason(
    database_url: str,
    tmp_path: Path,
    connector: FakeConnector,
    caplog: pytest.LogCaptureFixture,
) -> None:
    # Kaisa, the unit's coordinator, has never written to the bot
    async with make_room(database_url, tmp_path, connector, digest_time="00:00") as room:
        kaisa = await person(room, KAISA)
        with caplog.at_level(logging.WARNING, logger="domain.digest.service"):
            await digest_due_today(room)
        said = [r.getMessage() for r in caplog.records if r.name == "domain.digest.service"]
        assert said == [
            f"digest: coordinator {kaisa.id} cannot be reached in a 1:1 chat: no_teams_id"
        ]
        assert KAISA.name not in " ".join(said)
        assert private_chat(room.connector, KAISA) is None


async def test_the_digest_tries_a_coordinator_teams_refuses_once_a_day(
    database_url: str,
    tmp_path: Path,
    connector: FakeConnector,
    caplog: pytest.LogCaptureFixture,
) -> None:
    # Kaisa wrote in the group's chat (her Teams id is known), but has not got the app
    async with make_room(database_url, tmp_path, connector, digest_time="00:00") as room:
        await room.say(KAISA, "ohjelma")
        room.connector.not_installed_for(str(KAISA.teams_id))
        kaisa = await person(room, KAISA)
        with caplog.at_level(logging.WARNING, logger="domain.digest.service"):
            await digest_due_today(room)
            await run_digest_job(room)  # a minute later: nothing is tried again
        said = [r.getMessage() for r in caplog.records if r.name == "domain.digest.service"]
        assert said == [
            f"digest: coordinator {kaisa.id} cannot be reached in a 1:1 chat: not_installed"
        ]
        assert len(creations_for(room.connector, KAISA)) == 1
        # once she has the app, a 1:1 chat she opens herself is found by the next run
        room.connector.installed_for(str(KAISA.teams_id))
        own = Conv.personal()
        room.connector.add_member(own.id, KAISA.member())
        await say_in(room, own, KAISA, "kiitos")
        before = len(cards_in(room.connector, own.id))
        await run_digest_job(room)
        loop = asyncio.get_running_loop()
        deadline = loop.time() + 15
        while len(cards_in(room.connector, own.id)) == before:
            assert loop.time() < deadline, "the digest never reached her own chat"
            await asyncio.sleep(0.05)


async def test_with_graph_the_digest_reaches_a_coordinator_who_never_wrote(
    database_url: str, tmp_path: Path, graph: FakeGraph
) -> None:
    async with graph_room(database_url, tmp_path, graph, digest_time="00:00") as room:
        kaisa = await person(room, KAISA)
        await digest_due_today(room)
        loop = asyncio.get_running_loop()
        deadline = loop.time() + 15
        while (known := await room.bot.store.conversations.personal_for(kaisa.id or 0)) is None:
            assert loop.time() < deadline, "the coordinator's 1:1 chat was never known"
            await asyncio.sleep(0.05)
        chat = graph.installed(str(KAISA.aad_object_id))
        assert chat is not None, "the app was not installed for the coordinator"
        assert known.conversation_id == chat
        while not cards_in(room.connector, chat):
            assert loop.time() < deadline, "the digest did not arrive"
            await asyncio.sleep(0.05)
        assert [a.subject for a in await installed_audit(room)] == [f"person:{kaisa.id}"]


async def test_admins_see_which_coordinators_the_digest_cannot_reach(
    database_url: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    org_file = tmp_path / "org.yaml"
    org_file.write_text(org_yaml(), encoding="utf-8")
    engine = create_engine(database_url)
    try:
        store = Store(sessionmaker(engine))
        await store.org.apply(load_org_file(str(org_file)))
        kaisa = await store.org.person_by_upn(str(KAISA.upn))
        assert kaisa is not None
    finally:
        await engine.dispose()
    monkeypatch.setenv("DATABASE_URL", database_url)
    monkeypatch.delenv("MicrosoftAppId", raising=False)

    async def counts() -> list[str]:
        code = await asyncio.to_thread(main, ("outbox", "--pending"))
        assert code == 0
        return capsys.readouterr().out.splitlines()

    assert (await counts())[-1] == f"coordinators without a 1:1 chat: 1 (person ids {kaisa.id})"
    engine = create_engine(database_url)
    try:
        await Store(sessionmaker(engine)).conversations.remember(
            Conversation(
                "a:kaisa",
                ConversationKind.PERSONAL,
                "https://smba.example/",
                {},
                person_id=kaisa.id,
            )
        )
    finally:
        await engine.dispose()
    assert not any(line.startswith("coordinators") for line in await counts())


async def test_a_slow_graph_still_lets_the_reminder_answer_in_time_for_a_whole_group(
    database_url: str, tmp_path: Path, graph: FakeGraph
) -> None:
    # nobody has the app and Graph answers each call after 0.6 s (an installation is three
    # calls): one after another, reaching the 30 clients would take 54 s, far longer than Teams
    # waits for an answer
    graph.stall_next(INSTALLS, 0.6, times=None)
    async with graph_room(database_url, tmp_path, graph) as room:
        await open_roll_call(room)
        loop = asyncio.get_running_loop()

        started = loop.time()
        answers = await room.say(MAIJA, "muistuta puuttuvia")
        took = loop.time() - started

        assert took < 10, f"the reminder took {took:.1f} s"
        await drained(room.bot)
        # most were reached in time and have their reminder; the rest are told as "no answer"
        # to the instructor privately
        reached = [c for c in CLIENTS if cards_in(room.connector, chat_of(graph, c))]
        assert len(reached) >= 16, f"only {len(reached)} reached within the turn"
        late = len(CLIENTS) - len(reached)
        said = [
            text(FI, "rollcall.reminded", count=len(reached), already=0),
            *([text(FI, "rollcall.reminded.unreachable_sent", count=late)] if late else []),
        ]
        assert [a.json.get("text") for a in answers] == [" ".join(said)]
        if late:
            private = texts_in(room.connector, private_chat(room.connector, MAIJA) or "")
            assert private[-1].count(text(FI, "reach.why.no_answer")) == late

        # their installations went on after the answer: everyone's chat is made and known
        for _ in range(100):
            if len(await installed_audit(room)) == len(CLIENTS):
                break
            await asyncio.sleep(0.2)
        assert len(await installed_audit(room)) == len(CLIENTS)

        # so the next reminder reaches the rest without installing anything again
        posts = len([r for r in graph.requests_to(INSTALLS) if r.method == "POST"])
        answers = await room.say(MAIJA, "muistuta puuttuvia")
        await drained(room.bot)
        assert [a.json.get("text") for a in answers] == [
            text(FI, "rollcall.reminded", count=late, already=len(CLIENTS) - late)
        ]
        assert len([r for r in graph.requests_to(INSTALLS) if r.method == "POST"]) == posts
        for client in CLIENTS:
            chat = graph.installed(str(client.aad_object_id))
            assert chat is not None
            assert len(cards_in(room.connector, chat)) == 1, client.name
