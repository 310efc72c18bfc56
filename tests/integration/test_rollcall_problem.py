"""The roll call's "I have a problem with sound or picture" over real HTTP, from every card.

A tap on it answers the person in words (never an empty banner), brings the guide to their
1:1 chat, records them as present with the problem noted, and tells the instructors only
what really happened.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from cards.rollcall import HERE_VERB, PROBLEM_VERB, REFRESH_VERB, SAVE_VERB
from cards.tutorial import GO_VERB
from domain.i18n import text
from domain.org import Language
from domain.rollcall.model import Reason, Status
from tests.fakes.activities import Conv
from tests.fakes.connector import FakeConnector
from tests.integration.harness import drained
from tests.integration.test_rollcall import CLIENTS, MAIJA, TUULA, Room
from tests.integration.test_rollcall_more import (
    KLIENTER,
    MESSAGE,
    SVEN,
    attendance_card,
    cards_in,
    dump,
    make_room,
    open_roll_call,
    person,
    private_chat,
    say_in,
    tap_here,
    texts_of,
    walk,
)

FI, SV = Language.FI, Language.SV


@pytest.fixture
async def room(database_url: str, tmp_path: Path, connector: FakeConnector) -> AsyncIterator[Room]:
    """IT-ryhmä's group chat (Finnish), bound by Maija."""
    async with make_room(database_url, tmp_path, connector) as built:
        yield built


@pytest.fixture
async def sv_room(
    database_url: str, tmp_path: Path, connector: FakeConnector
) -> AsyncIterator[Room]:
    """IT-gruppen (Swedish), bound by Sven."""
    async with make_room(
        database_url, tmp_path, connector, instructor=SVEN, bind="detta är gruppen", locale="sv-SE"
    ) as built:
        yield built


def guides_in(room: Room, conversation_id: str) -> list[dict[str, Any]]:
    return [c for c in cards_in(room.connector, conversation_id) if GO_VERB in dump(c)]


async def reminder_in_own_chat(room: Room) -> tuple[int, Conv]:
    """A roll call, Asiakas 00 missing with a 1:1 chat, and Maija's reminder sent to it."""
    own = Conv.personal()
    room.connector.add_member(own.id, CLIENTS[0].member())
    await say_in(room, own, CLIENTS[0], "hei")
    rc = await open_roll_call(room)
    await room.say(MAIJA, "muistuta puuttuvia")
    await drained(room.bot)
    assert any(PROBLEM_VERB in dump(c) for c in cards_in(room.connector, own.id))
    return rc, own


def told_instructor(room: Room, instructor: Any) -> list[str]:
    chat = private_chat(room.connector, instructor)
    assert chat is not None, f"{instructor.name} got no private chat"
    return [t for t in room.connector.texts(chat) if t]


async def test_the_problem_button_on_the_private_reminder_brings_the_guide(room: Room) -> None:
    rc, own = await reminder_in_own_chat(room)
    guides_before = len(guides_in(room, own.id))

    body = await room.tap(CLIENTS[0], PROBLEM_VERB, {"rollcall": str(rc)}, conv=own)
    await drained(room.bot)

    # the person reads an answer in the banner, and the guide arrives in the same chat
    assert body["type"] == MESSAGE
    assert body["value"] == text(FI, "rollcall.problem.here")
    assert len(guides_in(room, own.id)) == guides_before + 1
    # the instructors are told the truth: the guide went to the client
    told = text(FI, "rollcall.problem.instructor", name=CLIENTS[0].name)
    for instructor in (MAIJA, TUULA):
        assert told_instructor(room, instructor).count(told) == 1


async def test_the_problem_button_in_the_group_chat_says_where_the_guide_went(room: Room) -> None:
    rc = await open_roll_call(room)
    body = await room.tap(CLIENTS[1], PROBLEM_VERB, {"rollcall": str(rc)})
    await drained(room.bot)
    assert body["type"] == MESSAGE
    assert body["value"] == text(FI, "rollcall.problem.sent")
    chat = private_chat(room.connector, CLIENTS[1])
    assert chat is not None
    assert guides_in(room, chat)


async def test_a_problem_tap_records_the_person_present_with_the_problem(room: Room) -> None:
    rc, own = await reminder_in_own_chat(room)
    await room.tap(CLIENTS[0], PROBLEM_VERB, {"rollcall": str(rc)}, conv=own)
    await room.tap(CLIENTS[0], PROBLEM_VERB, {"rollcall": str(rc)}, conv=own)
    await room.tap(CLIENTS[2], PROBLEM_VERB, {"rollcall": str(rc)})
    # someone already here stays as they were
    await tap_here(room, CLIENTS[3], rc)
    await room.tap(CLIENTS[3], PROBLEM_VERB, {"rollcall": str(rc)})
    await drained(room.bot)

    marks = await room.bot.store.rollcall.marks(rc)
    for client in (CLIENTS[0], CLIENTS[2]):
        mark = marks[(await person(room, client)).id or 0]
        assert mark.status is Status.PRESENT
        assert mark.reason is Reason.TECHNICAL
    here = marks[(await person(room, CLIENTS[3])).id or 0]
    assert here.status is Status.PRESENT and here.reason is None
    # one mark each however many taps; the instructors were told once per person
    told = text(FI, "rollcall.problem.instructor", name=CLIENTS[0].name)
    assert told_instructor(room, MAIJA).count(told) == 1

    # the instructor's view: not missing, shown as having a problem
    refreshed = await room.tap(MAIJA, REFRESH_VERB, {"rollcall": str(rc)})
    shown = texts_of(refreshed["value"])
    missing_line = next(
        (
            shown[i + 1]
            for i, t in enumerate(shown)
            if t.startswith(text(FI, "rollcall.missing", n=27))
        ),
        "",
    )
    assert CLIENTS[0].name not in missing_line
    problems = text(FI, "rollcall.problems", n=2)
    assert problems in shown
    listed = shown[shown.index(problems) + 1]
    assert CLIENTS[0].name in listed and CLIENTS[2].name in listed
    assert CLIENTS[3].name not in listed


async def test_a_swedish_client_on_the_reminder_gets_the_guide_in_swedish(sv_room: Room) -> None:
    room = sv_room
    own = Conv.personal()
    room.connector.add_member(own.id, KLIENTER[0].member())
    await say_in(room, own, KLIENTER[0], "hej", locale="sv-SE")
    rc = await open_roll_call(room, by=SVEN, words="upprop", locale="sv-SE")
    await room.say(SVEN, "påminn de som saknas", locale="sv-SE")
    await drained(room.bot)
    body = await room.tap(
        KLIENTER[0], PROBLEM_VERB, {"rollcall": str(rc)}, conv=own, locale="sv-SE"
    )
    await drained(room.bot)
    assert body["value"] == text(SV, "rollcall.problem.here")
    guides = guides_in(room, own.id)
    assert guides and text(SV, "tutorial.device.title") in dump(guides[-1])


async def test_the_attendance_list_keeps_the_problem_when_saved_untouched(room: Room) -> None:
    rc = await open_roll_call(room)
    await room.tap(CLIENTS[4], PROBLEM_VERB, {"rollcall": str(rc)})
    await drained(room.bot)
    chat, listed = await attendance_card(room)
    client = await person(room, CLIENTS[4])
    choices = {e["id"]: e for e in walk(listed) if e.get("type") == "Input.ChoiceSet"}
    shown = choices[f"p{client.id}"]
    # the list shows a choice it offers: present
    assert shown["value"] in {c["value"] for c in shown["choices"]}
    assert shown["value"] == Status.PRESENT.value
    untouched = {key: str(e.get("value", "")) for key, e in choices.items()}
    chat, _ = await attendance_card(room)
    await room.tap(
        MAIJA, SAVE_VERB, {"rollcall": str(rc), **untouched}, conv=Conv.personal(id=chat)
    )
    await drained(room.bot)
    assert room.connector.texts(chat)[-1] == text(FI, "attendance.saved.none")
    mark = (await room.bot.store.rollcall.marks(rc))[client.id or 0]
    assert (mark.status, mark.reason) == (Status.PRESENT, Reason.TECHNICAL)


async def check_in_card_privately(
    here: Room, client: Any, words: str, language: Language, opener: Any, locale: str
) -> None:
    own = Conv.personal()
    here.connector.add_member(own.id, client.member())
    # no roll call open: where and by whom it is started (no dead end)
    said = await say_in(here, own, client, words, locale=locale)
    assert said == [text(language, "rollcall.personal_chat.client")]
    # while one is open: their own card in their own chat, and its "I'm here" counts
    rc = await open_roll_call(here, opener, words, locale=locale)
    before = len(cards_in(here.connector, own.id))
    await say_in(here, own, client, words, locale=locale)
    cards = cards_in(here.connector, own.id)[before:]
    assert len(cards) == 1 and HERE_VERB in dump(cards[0])
    await here.tap(client, HERE_VERB, {"rollcall": str(rc)}, conv=own)
    marks = await here.bot.store.rollcall.marks(rc)
    assert marks[(await person(here, client)).id or 0].status is Status.PRESENT


async def test_a_client_asking_for_the_roll_call_privately_gets_their_check_in_card(
    room: Room,
) -> None:
    await check_in_card_privately(room, CLIENTS[0], "nimenhuuto", FI, MAIJA, "fi-FI")


async def test_a_swedish_client_asking_for_the_roll_call_privately_gets_their_check_in_card(
    sv_room: Room,
) -> None:
    await check_in_card_privately(sv_room, KLIENTER[0], "upprop", SV, SVEN, "sv-SE")
