"""Roll calls over real HTTP: 30 clients and 2 instructors in a bound group chat."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from bot.orgfile import load_org_file
from bot.settings import Settings
from cards.rollcall import CLOSE_VERB, HERE_VERB, REFRESH_VERB
from domain.i18n import text
from domain.org import Language
from domain.rollcall.model import Status
from tests.fakes.activities import Conv, User, invoke_execute, message
from tests.fakes.connector import FakeConnector, Recorded
from tests.integration.harness import BotServer, drained, free_port, start_bot, stop_bot

CLIENTS = [User(name=f"Asiakas {i:02d}", upn=f"asiakas{i:02d}@example.hel.fi") for i in range(30)]
MAIJA = User(name="Maija Virtanen", upn="maija@example.hel.fi")
TUULA = User(name="Tuula Salo", upn="tuula@example.hel.fi")
STRANGER = User(name="Vieras Ville", upn="ville@example.hel.fi")


def org_yaml() -> str:
    clients = "\n".join(
        f"  - name: {c.name}\n    upn: {c.upn}\n    client: [it-ryhma]" for c in CLIENTS
    )
    return f"""
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
    upn: maija@example.hel.fi
    instructor: [it-ryhma]
  - name: Tuula Salo
    upn: tuula@example.hel.fi
    instructor: [it-ryhma]
{clients}
"""


@dataclass
class Room:
    """The bound group chat, its bot and its connector."""

    bot: BotServer
    connector: FakeConnector
    conv: Conv

    async def say(self, user: User, words: str, locale: str = "fi-FI") -> list[Recorded]:
        seen = {id(r) for r in self.connector.requests}
        status, _ = await self.bot.post(
            message(
                words,
                conversation=self.conv,
                sender=user,
                service_url=self.connector.url,
                locale=locale,
                mentions_bot=True,
            )
        )
        assert status == 201
        # an answer Teams' limits hold back goes out through the outbox a moment later
        await drained(self.bot)
        # answers reply to the message (proactive posts, like the roll-call card, do not)
        return [
            r
            for r in self.connector.requests
            if id(r) not in seen
            and r.ok
            and r.route == "reply"
            and r.conversation_id == self.conv.id
        ]

    async def tap(
        self, user: User, verb: str, data: dict[str, Any], locale: str = "fi-FI", **kw: Any
    ) -> dict[str, Any]:
        status, body = await self.bot.post(
            invoke_execute(
                verb,
                {"verb": verb, **data},
                conversation=kw.get("conv", self.conv),
                sender=user,
                service_url=self.connector.url,
                reply_to_id="rollcall-card",
                locale=locale,
                trigger=kw.get("trigger", "manual"),
            )
        )
        assert status == 200, body
        return body

    async def card(self, roll_call_id: int) -> dict[str, Any]:
        """The latest version of the roll call's card in the group chat (post or update)."""
        await drained(self.bot)
        sent = [
            r
            for r in self.connector.requests
            if r.ok
            and r.route in ("send", "update")
            and r.conversation_id == self.conv.id
            and f'"rollcall": "{roll_call_id}"' in _dump(r.json)
        ]
        assert sent, "the roll call card was never posted"
        return sent[-1].json["attachments"][0]["content"]


def _dump(value: Any) -> str:
    import json

    return json.dumps(value, ensure_ascii=False)


@pytest.fixture
async def room(database_url: str, tmp_path: Path, connector: FakeConnector) -> AsyncIterator[Room]:
    org_file = tmp_path / "org.yaml"
    org_file.write_text(org_yaml(), encoding="utf-8")
    bot = await start_bot(Settings(port=free_port(), database_url=database_url))
    try:
        await bot.store.org.apply(load_org_file(str(org_file)))
        conv = Conv.group_chat()
        for user in (MAIJA, TUULA, *CLIENTS, STRANGER):
            connector.add_member(conv.id, user.member())
        room = Room(bot, connector, conv)
        await room.say(MAIJA, "tämä on ryhmä")
        await room.say(TUULA, "ohjelma")  # Tuula's 29: id becomes known
        yield room
    finally:
        await stop_bot(bot)


async def _open(room: Room) -> int:
    await room.say(MAIJA, "nimenhuuto")
    await drained(room.bot)
    posted = [
        r
        for r in room.connector.requests
        if r.route == "send" and r.conversation_id == room.conv.id and HERE_VERB in _dump(r.json)
    ]
    assert posted, "no roll-call card was posted"
    card = posted[-1].json["attachments"][0]["content"]
    here = next(a for a in card["actions"] if a.get("verb") == HERE_VERB)
    return int(here["data"]["rollcall"])


async def test_an_instructor_opens_a_roll_call_and_the_card_shows_the_count(room: Room) -> None:
    roll_call_id = await _open(room)
    card = await room.card(roll_call_id)
    assert text(Language.FI, "rollcall.count", here=0, expected=30) in _dump(card)
    assert set(card["refresh"]["userIds"]) == {MAIJA.teams_id, TUULA.teams_id}
    assert "Asiakas" not in _dump(card)  # no names on the shared card


async def test_a_client_cannot_open_a_roll_call(room: Room) -> None:
    answers = await room.say(CLIENTS[0], "nimenhuuto")
    assert [a.json.get("text") for a in answers] == [text(Language.FI, "rollcall.not_allowed")]
    await drained(room.bot)
    assert not [r for r in room.connector.requests if HERE_VERB in _dump(r.json)]


async def test_thirty_clients_tap_at_once_and_each_is_recorded_once(room: Room) -> None:
    roll_call_id = await _open(room)
    bodies = await asyncio.gather(
        *(room.tap(c, HERE_VERB, {"rollcall": str(roll_call_id)}) for c in CLIENTS),
        *(room.tap(c, HERE_VERB, {"rollcall": str(roll_call_id)}) for c in CLIENTS[:10]),
    )
    for body in bodies:
        assert body["type"] == "application/vnd.microsoft.card.adaptive"
        assert "Asiakas" not in _dump(body["value"])
    marks = await room.bot.store.rollcall.marks(roll_call_id)
    assert len(marks) == 30
    assert {m.status for m in marks.values()} == {Status.PRESENT}
    rc = await room.bot.store.rollcall.get(roll_call_id)
    assert rc is not None
    changes = await room.bot.store.rollcall.changes(rc.group_id, rc.day)
    assert len([c for c in changes if c.after is Status.PRESENT]) == 30
    card = await room.card(roll_call_id)
    assert text(Language.FI, "rollcall.count", here=30, expected=30) in _dump(card)
    updates = [
        r
        for r in room.connector.requests
        if r.route == "update" and r.conversation_id == room.conv.id
    ]
    assert len(updates) < 30  # coalesced


async def test_instructors_see_the_missing_names_through_refresh(room: Room) -> None:
    roll_call_id = await _open(room)
    await room.tap(CLIENTS[0], HERE_VERB, {"rollcall": str(roll_call_id)})
    body = await room.tap(MAIJA, REFRESH_VERB, {"rollcall": str(roll_call_id)}, trigger="automatic")
    view = _dump(body["value"])
    assert text(Language.FI, "rollcall.missing", n=29) in view
    assert CLIENTS[1].name in view
    assert CLIENTS[0].name not in view.split(text(Language.FI, "rollcall.missing", n=29))[1]
    client_body = await room.tap(CLIENTS[1], REFRESH_VERB, {"rollcall": str(roll_call_id)})
    assert "Asiakas" not in _dump(client_body["value"])


async def test_closing_makes_the_missing_absent_and_a_client_cannot_close(room: Room) -> None:
    roll_call_id = await _open(room)
    for c in CLIENTS[:5]:
        await room.tap(c, HERE_VERB, {"rollcall": str(roll_call_id)})
    refused = await room.tap(CLIENTS[0], CLOSE_VERB, {"rollcall": str(roll_call_id)})
    assert refused["value"] == text(Language.FI, "rollcall.not_allowed")
    rc = await room.bot.store.rollcall.get(roll_call_id)
    assert rc is not None and rc.is_open
    body = await room.tap(MAIJA, CLOSE_VERB, {"rollcall": str(roll_call_id)})
    assert body["type"] == "application/vnd.microsoft.card.adaptive"
    marks = await room.bot.store.rollcall.marks(roll_call_id)
    assert sum(m.status is Status.ABSENT for m in marks.values()) == 25
    late = await room.tap(CLIENTS[10], HERE_VERB, {"rollcall": str(roll_call_id)})
    assert "myöhässä" in _dump(late["value"])
    marks = await room.bot.store.rollcall.marks(roll_call_id)
    assert marks[next(p for p, m in marks.items() if m.status is Status.LATE)].status is Status.LATE
