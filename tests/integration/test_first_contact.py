"""A client's very first tap at 09:00: found by their Entra object id, on the bot's own path.

The organisation file names clients by object id; Teams sends a first tap with that id and a
Teams id the bot has never seen. The tap must be answered without botbuilder's turn (no
`CloudAdapter.process_activity`, no connector client built for it), without asking Teams for
the roster, and with the Teams id stored for the next turn.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from botbuilder.integration.aiohttp import CloudAdapter
from botframework.connector.aio import ConnectorClient
from sqlalchemy import event

from bot.orgfile import load_org_file
from bot.settings import Settings
from cards.rollcall import HERE_VERB
from domain.rollcall.model import Status
from tests.fakes.activities import Conv, User, invoke_execute, message
from tests.fakes.connector import FakeConnector
from tests.integration.harness import BotServer, drained, free_port, start_bot, stop_bot

MAIJA = User(name="Maija Virtanen", aad_object_id=str(uuid.uuid4()))
SARI = User(name="Sari Heikkinen", aad_object_id=str(uuid.uuid4()))
JARI = User(name="Jari Laine", aad_object_id=str(uuid.uuid4()))

ORG = f"""
version: 1
units:
  - key: it
    name: IT-paja
groups:
  - key: it-ryhma
    unit: it
    name: IT-ryhmä
people:
  - name: Maija Virtanen
    aad: {MAIJA.aad_object_id}
    instructor: [it-ryhma]
  - name: Sari Heikkinen
    aad: {SARI.aad_object_id.upper()}
    client: [it-ryhma]
  - name: Jari Laine
    aad: {JARI.aad_object_id}
    client: [it-ryhma]
  # known only by UPN: the bot would ask Teams' roster for someone it cannot match otherwise
  - name: Erkki Koski
    upn: erkki@example.hel.fi
    client: [it-ryhma]
"""


@dataclass
class Morning:
    bot: BotServer
    connector: FakeConnector
    conv: Conv
    roll_call: int


@pytest.fixture
async def morning(
    database_url: str, tmp_path: Path, connector: FakeConnector
) -> AsyncIterator[Morning]:
    """The group chat bound and a roll call open; the clients have never talked to the bot."""
    org_file = tmp_path / "org.yaml"
    org_file.write_text(ORG, encoding="utf-8")
    bot = await start_bot(Settings(port=free_port(), database_url=database_url))
    try:
        await bot.store.org.apply(load_org_file(str(org_file)))
        conv = Conv.group_chat()
        for words in ("tämä on ryhmä it-ryhma", "nimenhuuto"):
            status, _ = await bot.post(
                message(
                    words,
                    conversation=conv,
                    sender=MAIJA,
                    service_url=connector.url,
                    mentions_bot=True,
                )
            )
            assert status == 201
            await drained(bot)
        group = next(g for g in await bot.store.org.all_groups() if g.key == "it-ryhma")
        assert group.id is not None
        today = datetime.now(ZoneInfo(group.timezone)).date()
        opened = await bot.store.rollcall.of_day(group.id, today)
        assert opened, "no roll call was opened"
        yield Morning(bot, connector, conv, opened[-1].id or 0)
    finally:
        await stop_bot(bot)


@dataclass
class SdkUse:
    turns: int = 0
    connector_clients: int = 0


@pytest.fixture
def sdk_use(monkeypatch: pytest.MonkeyPatch) -> SdkUse:
    """Counts botbuilder's turns and connector clients built while the test runs."""
    use = SdkUse()
    process_activity = CloudAdapter.process_activity
    client_init = ConnectorClient.__init__

    async def counted_turn(self: Any, *args: Any, **kwargs: Any) -> Any:
        use.turns += 1
        return await process_activity(self, *args, **kwargs)

    def counted_client(self: Any, *args: Any, **kwargs: Any) -> None:
        use.connector_clients += 1
        client_init(self, *args, **kwargs)

    monkeypatch.setattr(CloudAdapter, "process_activity", counted_turn)
    monkeypatch.setattr(ConnectorClient, "__init__", counted_client)
    return use


def _people_statements(bot: BotServer) -> list[str]:
    """Every statement on the people table from now on (the list grows as they run)."""
    seen: list[str] = []

    def record(_conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        words = " ".join(statement.split()).lower()
        if " people" in words and ("from people" in words or "update people" in words):
            seen.append(words)

    event.listen(bot.store.db.engine.sync_engine, "before_cursor_execute", record)
    lane = bot.store.db.lane
    if lane is not None:  # SQLite runs the check-in's statements on its lane
        lane.trace(lambda statement: record(None, None, statement))
    return seen


async def _tap(morning: Morning, who: User) -> tuple[int, Any]:
    return await morning.bot.post(
        invoke_execute(
            HERE_VERB,
            {"verb": HERE_VERB, "rollcall": str(morning.roll_call)},
            conversation=morning.conv,
            sender=who,
            service_url=morning.connector.url,
            reply_to_id="rollcall-card",
        )
    )


async def test_a_first_tap_by_object_id_skips_the_sdk_turn_and_the_roster(
    morning: Morning, sdk_use: SdkUse
) -> None:
    bot, store = morning.bot, morning.bot.store
    before = len(morning.connector.requests)
    statements = _people_statements(bot)

    status, body = await _tap(morning, SARI)

    assert status == 200
    assert body["statusCode"] == 200 and body["type"] == "application/vnd.microsoft.card.adaptive"
    assert (sdk_use.turns, sdk_use.connector_clients) == (0, 0)
    asked = [r.route for r in morning.connector.requests[before:]]
    assert not {"get_members", "get_member", "paged_members"} & set(asked), asked
    # found by object id in the turn's one read, the Teams id stored with one update
    updates = [s for s in statements if s.startswith("update people")]
    reads = [s for s in statements if not s.startswith("update people")]
    assert len(updates) == 1, statements
    assert len(reads) <= 2, statements  # by Teams id (nobody), then by object id
    sari = await store.org.person_by_aad(SARI.aad_object_id.lower())
    assert sari is not None and sari.teams_id == SARI.teams_id and sari.id is not None
    marks = await store.rollcall.marks(morning.roll_call)
    assert marks[sari.id].status is Status.PRESENT

    # the next turn finds her by her Teams id, and nothing about her is written again
    statements.clear()
    status, body = await _tap(morning, SARI)
    assert status == 200 and body["type"] == "application/vnd.microsoft.card.adaptive"
    assert not [s for s in statements if s.startswith("update people")], statements
    assert (sdk_use.turns, sdk_use.connector_clients) == (0, 0)


async def test_first_taps_at_the_same_moment_store_each_teams_id_once(
    morning: Morning, sdk_use: SdkUse
) -> None:
    """Two first contacts tapping together share the identity write; both are recorded."""
    statements = _people_statements(morning.bot)
    answers = await asyncio.gather(_tap(morning, SARI), _tap(morning, JARI))
    assert [status for status, _ in answers] == [200, 200]
    store = morning.bot.store
    ids = []
    for user in (SARI, JARI):
        person = await store.org.person_by_aad(user.aad_object_id.lower())
        assert person is not None and person.teams_id == user.teams_id and person.id is not None
        ids.append(person.id)
    marks = await store.rollcall.marks(morning.roll_call)
    assert {marks[i].status for i in ids} == {Status.PRESENT}
    assert len([s for s in statements if s.startswith("update people")]) <= 2
    assert (sdk_use.turns, sdk_use.connector_clients) == (0, 0)
