"""Several roll calls a day over real HTTP: a later roll call never rewrites the day.

A group's day can have several roll calls (the plan's check-in item opens one, an instructor
another). Someone who was here earlier is never made absent by a later roll call they have not
answered yet; an instructor cancels a roll call opened by mistake.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from cards.rollcall import CANCEL_VERB, HISTORY_VERB, REFRESH_VERB, SAVE_VERB
from domain import days as d
from domain.i18n import text
from domain.org import Language
from domain.plans import ItemKind
from domain.rollcall.model import Status
from domain.templates import template
from scheduler.clock import ScaledClock
from tests.fakes.activities import Conv
from tests.fakes.connector import FakeConnector
from tests.integration.harness import drained
from tests.integration.test_rollcall import CLIENTS, MAIJA, Room
from tests.integration.test_rollcall_more import (
    CARD,
    EN,
    FI,
    HERE_VERB,
    KLIENTER,
    MESSAGE,
    SV,
    SVEN,
    attendance_card,
    dump,
    group_of,
    hm,
    line_of,
    make_room,
    open_roll_call,
    person,
    record,
    roll_call,
    status_words,
    tap_here,
    texts_of,
    verbs_of,
    walk,
    window_passed,
)

HELSINKI = ZoneInfo("Europe/Helsinki")


@pytest.fixture
async def room(database_url: str, tmp_path: Path, connector: FakeConnector) -> AsyncIterator[Room]:
    """IT-ryhmä's group chat (30 clients, instructors Maija and Tuula)."""
    async with make_room(database_url, tmp_path, connector) as built:
        yield built


@pytest.fixture
async def en_room(
    database_url: str, tmp_path: Path, connector: FakeConnector
) -> AsyncIterator[Room]:
    """The same group speaking English: its chat, its instructors and clients (no own choice)."""
    async with make_room(
        database_url, tmp_path, connector, group_language="en", bind="this is group"
    ) as built:
        yield built


def summary(listed: dict[str, object]) -> str:
    """The attendance list's last line: how many full days (or on the way to one)."""
    return texts_of(listed)[-1]


async def test_a_second_roll_call_does_not_rewrite_the_day_fi(room: Room) -> None:
    first = await open_roll_call(room)
    for c in CLIENTS[:3]:
        await tap_here(room, c, first)
    await room.say(MAIJA, "sulje nimenhuuto")
    _, before = await attendance_card(room)
    lines_before = {c.name: line_of(before, c.name) for c in CLIENTS[:3]}

    await window_passed(room)
    second = await open_roll_call(room)
    assert second != first
    _, during = await attendance_card(room)
    # an open roll call they have not answered yet counts neither way
    assert summary(during) == summary(before)
    for c in CLIENTS[:3]:
        line = line_of(during, c.name)
        assert line.startswith(lines_before[c.name].split(",")[0]), (line, lines_before[c.name])
        assert status_words(FI, Status.ABSENT) not in line
    # today is not over: on the way to a full day, never "full day" yet
    assert summary(during) == text(FI, "attendance.on_the_way_days", n=3, total=30)
    for c in CLIENTS[:3]:
        assert text(FI, "attendance.full_day.on_the_way") in line_of(during, c.name)
        assert text(FI, "attendance.full_day.yes") not in line_of(during, c.name)

    # the second roll call closes and they did not answer it: absent in it, not for the day
    await window_passed(room)
    await room.say(MAIJA, "sulje nimenhuuto")
    _, after = await attendance_card(room)
    for c in CLIENTS[:3]:
        line = line_of(after, c.name)
        day_part = line.split(" — ", 1)[1]
        assert day_part.startswith(status_words(FI, Status.PRESENT)), line
        assert text(FI, "attendance.in_roll_call", title="Nimenhuuto 2", status="poissa") in line


async def test_a_second_roll_call_does_not_rewrite_the_day_sv(
    database_url: str, tmp_path: Path, connector: FakeConnector
) -> None:
    async with make_room(
        database_url, tmp_path, connector, instructor=SVEN, bind="detta är gruppen", locale="sv-SE"
    ) as room:
        first = await open_roll_call(room, by=SVEN, words="upprop", locale="sv-SE")
        for k in KLIENTER:
            await tap_here(room, k, first, locale="sv-FI")
        await room.say(SVEN, "stäng uppropet", locale="sv-SE")
        _, before = await attendance_card(room, by=SVEN, locale="sv-SE")
        await window_passed(room)
        await open_roll_call(room, by=SVEN, words="upprop", locale="sv-SE")
        _, during = await attendance_card(room, by=SVEN, locale="sv-SE")
        assert summary(during) == summary(before)
        assert summary(during) == text(SV, "attendance.on_the_way_days", n=3, total=3)
        for k in KLIENTER:
            line = line_of(during, k.name)
            assert status_words(SV, Status.ABSENT) not in line
            assert text(SV, "attendance.full_day.on_the_way") in line


async def test_the_plans_check_in_item_as_a_second_roll_call_does_not_rewrite_the_day(
    database_url: str, tmp_path: Path, connector: FakeConnector
) -> None:
    on = date(2026, 12, 3)
    # 8.58: an instructor's roll call first; the plan's check-in item opens another at 9.00
    clock = ScaledClock(datetime(2026, 12, 3, 8, 58, 0, tzinfo=HELSINKI).astimezone(UTC), 60.0)
    async with make_room(
        database_url,
        tmp_path,
        connector,
        clock=clock,
        rollcall_open_minutes=600,
        group_language="en",
        bind="this is group",
        locale="en-US",
    ) as room:
        group = await group_of(room)
        assert group.id is not None
        first = await open_roll_call(room, words="roll call", locale="en-US")
        for c in CLIENTS[:3]:
            await tap_here(room, c, first, locale="en-US")
        await room.say(MAIJA, "close roll call", locale="en-US")
        _, before = await attendance_card(room, locale="en-US")

        planned = d.place_plan(template("youth-day", EN), group.id, on, group.timezone, EN)
        assert planned.items[0].kind is ItemKind.CHECK_IN
        await room.bot.store.days.add(planned, [])
        await room.say(MAIJA, "start the day", locale="en-US")
        posted = await room.connector.wait_for(
            lambda r: (
                r.route == "send"
                and r.conversation_id == room.conv.id
                and HERE_VERB in dump(r.json)
                and f'"rollcall": "{first}"' not in dump(r.json)
            ),
            timeout=15,
        )
        assert posted
        opened = await room.bot.store.rollcall.of_day(group.id, on)
        assert [r.number for r in opened] == [1, 2] and opened[1].opened_by is None
        await window_passed(room)
        _, during = await attendance_card(room, locale="en-US")
        assert summary(during) == summary(before)
        assert summary(during) == text(EN, "attendance.on_the_way_days", n=3, total=30)
        for c in CLIENTS[:3]:
            line = line_of(during, c.name)
            assert status_words(EN, Status.ABSENT) not in line
            assert text(EN, "attendance.full_day.on_the_way") in line


# === nobody is here after they left (no check-out before a check-in) ============================


async def assert_never_left_before_here(room: Room, rc: int) -> None:
    """For everyone: a check-out is never earlier than a here-mark that counts that day."""
    found = await roll_call(room, rc)
    store = room.bot.store.rollcall
    checkouts = await store.checkouts(found.group_id, found.day)
    every = await store.of_day(found.group_id, found.day)
    counted = [r for r in every if getattr(r, "cancelled_at", None) is None]
    marks = await store.marks_of_day(found.group_id, found.day)
    for pid, left in checkouts.items():
        here = [
            m.at for r in counted if (m := marks.get(r.id or 0, {}).get(pid)) and m.status.is_here
        ]
        assert all(at <= left.at for at in here), (pid, left.at, here)


async def test_an_im_here_after_im_leaving_takes_the_check_out_back_fi(room: Room) -> None:
    first = await open_roll_call(room)
    await tap_here(room, CLIENTS[0], first)
    await room.say(MAIJA, "sulje nimenhuuto")
    # says "I'm leaving", then comes back and answers the afternoon roll call
    await room.say(CLIENTS[0], "lähden nyt")
    await window_passed(room)
    second = await open_roll_call(room)
    await tap_here(room, CLIENTS[0], second)
    await assert_never_left_before_here(room, second)
    found = await roll_call(room, second)
    pid = (await person(room, CLIENTS[0])).id
    assert pid not in await room.bot.store.rollcall.checkouts(found.group_id, found.day)
    last = (await room.bot.store.rollcall.changes(found.group_id, found.day))[-1]
    assert (last.person_id, last.before, last.after, last.by) == (
        pid,
        Status.LEFT_EARLY,
        Status.PRESENT,
        pid,
    )
    _, listed = await attendance_card(room)
    line = line_of(listed, CLIENTS[0].name)
    assert text(FI, "attendance.left", time="")[:5] not in line, line


async def test_a_check_out_before_the_first_im_here_is_taken_back_en(en_room: Room) -> None:
    room = en_room
    rc = await open_roll_call(room, words="roll call", locale="en-US")
    # "I'm leaving" by mistake before answering, then "I'm here"
    await room.say(CLIENTS[1], "I'm leaving now", locale="en-US")
    await tap_here(room, CLIENTS[1], rc, locale="en-US")
    await assert_never_left_before_here(room, rc)
    _, listed = await attendance_card(room, locale="en-US")
    line = line_of(listed, CLIENTS[1].name)
    assert text(EN, "attendance.left", time="")[:4] not in line, line
    assert line.split(" — ", 1)[1].startswith(status_words(EN, Status.PRESENT))


async def test_a_correction_to_present_after_a_check_out_leaves_no_contradiction(
    room: Room,
) -> None:
    first = await open_roll_call(room)
    await tap_here(room, CLIENTS[2], first)
    await room.say(MAIJA, "sulje nimenhuuto")
    await room.say(CLIENTS[2], "lähden nyt")
    await window_passed(room)
    second = await open_roll_call(room)
    await room.say(MAIJA, "sulje nimenhuuto")  # CLIENTS[2] is absent in the second
    chat, _ = await attendance_card(room)
    pid = (await person(room, CLIENTS[2])).id
    body = await room.tap(
        MAIJA,
        SAVE_VERB,
        {"rollcall": str(second), "why": "oli paikalla", f"p{pid}": "present"},
        conv=Conv.personal(id=chat),
    )
    assert body["type"] == CARD
    await assert_never_left_before_here(room, second)


# === "full day" only when the day is over =======================================================


@pytest.mark.parametrize("language", [FI, EN])
async def test_two_minutes_into_the_day_it_is_on_the_way_to_a_full_day(
    database_url: str, tmp_path: Path, connector: FakeConnector, language: Language
) -> None:
    locale = {FI: "fi-FI", EN: "en-US"}[language]
    async with make_room(
        database_url,
        tmp_path,
        connector,
        group_language=language.value,
        bind={FI: "tämä on ryhmä", EN: "this is group"}[language],
        locale=locale,
    ) as room:
        rc = await open_roll_call(
            room, words={FI: "nimenhuuto", EN: "roll call"}[language], locale=locale
        )
        await tap_here(room, CLIENTS[0], rc, locale=locale)
        await room.say(MAIJA, {FI: "sulje nimenhuuto", EN: "close roll call"}[language])
        await window_passed(room)
        _, listed = await attendance_card(room, locale=locale)
        line = line_of(listed, CLIENTS[0].name)
        if language is FI:
            assert text(FI, "attendance.full_day.yes") not in line, line
        assert text(language, "attendance.full_day.on_the_way") in line
        assert text(language, "attendance.full_day.yes") not in line.replace(
            text(language, "attendance.full_day.on_the_way"), ""
        ), line
        assert summary(listed) == text(language, "attendance.on_the_way_days", n=1, total=30)


# === a correction needs its reason ==============================================================


async def test_a_correction_without_a_reason_is_refused_and_nothing_is_written_fi(
    room: Room,
) -> None:
    rc = await open_roll_call(room)
    await tap_here(room, CLIENTS[0], rc)
    await room.say(MAIJA, "sulje nimenhuuto")
    chat, card = await attendance_card(room)
    before = await record(room, rc)
    ids = [(await person(room, c)).id for c in CLIENTS[:3]]
    private = Conv.personal(id=chat)
    for why in (None, "", "   "):
        data = {"rollcall": str(rc), f"p{ids[0]}": "absent", f"p{ids[1]}": "present"}
        data |= {f"p{ids[2]}": "left_early"}
        if why is not None:
            data["why"] = why
        body = await room.tap(MAIJA, SAVE_VERB, data, conv=private)
        assert await record(room, rc) == before  # nothing half-written
        assert body["type"] == MESSAGE, body
        assert body["value"] == text(FI, "attendance.reason_needed")
    # the list asks for the reason next to the save button
    inputs = [e for e in walk(card) if e.get("type") == "Input.Text"]
    assert [(e["id"], e["label"]) for e in inputs] == [("why", text(FI, "attendance.reason_label"))]
    body = await room.tap(
        MAIJA,
        SAVE_VERB,
        {"rollcall": str(rc), "why": "  kertoi puhelimessa ", f"p{ids[1]}": "present"},
        conv=private,
    )
    assert body["type"] == CARD
    found = await roll_call(room, rc)
    last = (await room.bot.store.rollcall.changes(found.group_id, found.day))[-1]
    assert (last.person_id, last.after, last.note) == (ids[1], Status.PRESENT, "kertoi puhelimessa")
    assert last.by == (await person(room, MAIJA)).id and last.at is not None
    history = await room.tap(MAIJA, HISTORY_VERB, {"rollcall": str(rc)}, conv=private)
    assert any(
        line.endswith(
            text(FI, "attendance.history.with_reason", line="", note="kertoi puhelimessa")
        )
        for line in texts_of(history["value"])
    )


async def test_a_correction_without_a_reason_is_refused_sv(
    database_url: str, tmp_path: Path, connector: FakeConnector
) -> None:
    async with make_room(
        database_url, tmp_path, connector, instructor=SVEN, bind="detta är gruppen", locale="sv-SE"
    ) as room:
        rc = await open_roll_call(room, by=SVEN, words="upprop", locale="sv-SE")
        await room.say(SVEN, "stäng uppropet", locale="sv-SE")
        chat, _ = await attendance_card(room, by=SVEN, locale="sv-SE")
        before = await record(room, rc)
        pid = (await person(room, KLIENTER[0])).id
        body = await room.tap(
            SVEN,
            SAVE_VERB,
            {"rollcall": str(rc), f"p{pid}": "present"},
            conv=Conv.personal(id=chat),
            locale="sv-SE",
        )
        assert await record(room, rc) == before
        assert body["value"] == text(SV, "attendance.reason_needed")


# === cancelling a roll call opened by mistake ===================================================


async def test_an_instructor_cancels_a_roll_call_by_its_button_fi(room: Room) -> None:
    first = await open_roll_call(room)
    for c in CLIENTS[:3]:
        await tap_here(room, c, first)
    await room.say(MAIJA, "sulje nimenhuuto")
    _, before = await attendance_card(room)
    await window_passed(room)
    mistake = await open_roll_call(room)
    await tap_here(room, CLIENTS[0], mistake)
    await tap_here(room, CLIENTS[3], mistake)  # here only in the mistaken one

    view = await room.tap(MAIJA, REFRESH_VERB, {"rollcall": str(mistake)}, trigger="automatic")
    assert CANCEL_VERB in verbs_of(view["value"])
    # a client cannot cancel: refused, nothing changes
    refused = await room.tap(CLIENTS[1], CANCEL_VERB, {"rollcall": str(mistake)})
    assert refused["value"] == text(FI, "rollcall.not_allowed")
    assert not (await roll_call(room, mistake)).is_cancelled

    body = await room.tap(MAIJA, CANCEL_VERB, {"rollcall": str(mistake)})
    assert body["type"] == CARD
    cancelled = await roll_call(room, mistake)
    assert cancelled.is_cancelled and not cancelled.is_open
    assert cancelled.cancelled_by == (await person(room, MAIJA)).id
    assert CANCEL_VERB not in verbs_of(body["value"])
    # the shared card says so, and has no "I'm here" any more
    card = await room.card(mistake)
    when = cancelled.cancelled_at or cancelled.opened_at
    assert text(FI, "rollcall.cancelled", time=hm(FI, when)) in texts_of(card)
    assert HERE_VERB not in verbs_of(card)
    # a repeated tap changes nothing
    marks_then = await record(room, mistake)
    again = await room.tap(MAIJA, CANCEL_VERB, {"rollcall": str(mistake)})
    await drained(room.bot)
    assert await record(room, mistake) == marks_then
    assert again["type"] == CARD
    # a late "I'm here" on it writes nothing
    late = await tap_here(room, CLIENTS[5], mistake)
    assert text(FI, "rollcall.cancelled", time=hm(FI, when)) in texts_of(late["value"])
    assert await record(room, mistake) == marks_then

    # its marks do not count for the day, and stay in the audit trail
    chat, after = await attendance_card(room)
    assert summary(after) == summary(before)
    line = line_of(after, CLIENTS[3].name)
    assert line.split(" — ", 1)[1].startswith(status_words(FI, Status.ABSENT)), line
    history = await room.tap(
        MAIJA, HISTORY_VERB, {"rollcall": str(mistake)}, conv=Conv.personal(id=chat)
    )
    lines = texts_of(history["value"])
    assert any(CLIENTS[3].name in line for line in lines)
    assert (
        text(
            FI,
            "attendance.history.cancelled",
            time=hm(FI, when),
            title=text(FI, "rollcall.title.numbered", number=2),
            by=MAIJA.name,
        )
        in lines
    )


async def test_cancel_roll_call_by_words_in_swedish_and_english(
    database_url: str, tmp_path: Path, connector: FakeConnector
) -> None:
    async with make_room(
        database_url, tmp_path, connector, instructor=SVEN, bind="detta är gruppen", locale="sv-SE"
    ) as room:
        rc = await open_roll_call(room, by=SVEN, words="upprop", locale="sv-SE")
        answers = await room.say(KLIENTER[0], "avbryt uppropet", locale="sv-FI")
        assert [a.json.get("text") for a in answers] == [text(SV, "rollcall.not_allowed")]
        assert not (await roll_call(room, rc)).is_cancelled
        await window_passed(room)
        answers = await room.say(SVEN, "avbryt uppropet", locale="sv-SE")
        assert [a.json.get("text") for a in answers] == [text(SV, "rollcall.cancelled_now")]
        assert (await roll_call(room, rc)).is_cancelled
        await window_passed(room)
        # English words work in a Swedish group; the group's chat is answered in Swedish
        answers = await room.say(SVEN, "cancel roll call", locale="en-US")
        assert [a.json.get("text") for a in answers] == [text(SV, "rollcall.cancelled_already")]
        # a new roll call can be opened after it
        await window_passed(room)
        again = await open_roll_call(room, by=SVEN, words="upprop", locale="sv-SE")
        assert again != rc and (await roll_call(room, again)).is_open
