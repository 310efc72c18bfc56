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

from domain import days as d
from domain.i18n import text
from domain.plans import ItemKind
from domain.rollcall.model import Status
from domain.templates import template
from scheduler.clock import ScaledClock
from tests.fakes.connector import FakeConnector
from tests.integration.test_rollcall import CLIENTS, MAIJA, Room
from tests.integration.test_rollcall_more import (
    EN,
    FI,
    HERE_VERB,
    KLIENTER,
    SV,
    SVEN,
    attendance_card,
    dump,
    group_of,
    line_of,
    make_room,
    open_roll_call,
    status_words,
    tap_here,
    texts_of,
    window_passed,
)

HELSINKI = ZoneInfo("Europe/Helsinki")


@pytest.fixture
async def room(database_url: str, tmp_path: Path, connector: FakeConnector) -> AsyncIterator[Room]:
    """IT-ryhmä's group chat (30 clients, instructors Maija and Tuula)."""
    async with make_room(database_url, tmp_path, connector) as built:
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
        database_url, tmp_path, connector, clock=clock, rollcall_open_minutes=600
    ) as room:
        group = await group_of(room)
        assert group.id is not None
        first = await open_roll_call(room, words="roll call", locale="en-US")
        for c in CLIENTS[:3]:
            await tap_here(room, c, first, locale="en-US")
        await room.say(MAIJA, "close roll call", locale="en-US")
        _, before = await attendance_card(room, locale="en-US")

        planned = d.place_plan(template("youth-day", FI), group.id, on, group.timezone, FI)
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
