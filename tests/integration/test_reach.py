"""Reaching everyone in the group over real HTTP, on SQLite and PostgreSQL.

"Remind the missing" and the feedback prompt reach people in their 1:1 chat with the bot. Teams
opens that chat only for someone whose Teams id the bot has seen and who has the app; the others
are named to the instructor with the reason, in their language, never in the group chat.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from domain.i18n import text
from domain.reach import NotReached, Unreachable, names_with_reasons
from tests.fakes.activities import Conv
from tests.fakes.connector import FakeConnector
from tests.integration.test_rollcall import CLIENTS, MAIJA, Room, drained
from tests.integration.test_rollcall_more import (
    FI,
    assert_no_names_in_group,
    make_room,
    open_roll_call,
    private_chat,
    say_in,
    tap_here,
)


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
