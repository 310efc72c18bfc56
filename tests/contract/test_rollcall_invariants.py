"""Attendance invariants under any sequence of roll-call actions (Hypothesis), on the real store.

The RollCallService runs over store/ on SQLite (the same database for every example; each
example is a day of its own). Any sequence of: opening roll calls, "I'm here", "a problem with
sound or picture", "I'm leaving now", closing (by an instructor, or by time), cancelling,
corrections and check-out undos by an instructor (with or without a reason), and the clock
moving on. After every step:
- nobody's check-out is earlier than a here-mark that counts that day;
- someone who was here (in a roll call, or for the day) stays so, unless an instructor
  corrected or cancelled something; opening a roll call never breaks the full-day rule;
- every change says when; every correction says who and why (a correction without a reason is
  refused and writes nothing); the only other changes are a person's own (tap, check-out,
  coming back) and the absences a closing roll call records (by the instructor who closed it,
  or by nobody: the system);
- no day is a full day before it is over (it is "on the way to a full day").
"""

from __future__ import annotations

import asyncio
import itertools
import os
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.orgfile import parse_org_file
from cards.rollcall import CHOICES, RollCallCardRenderer
from domain.errors import DomainError
from domain.meetings import MeetingRole
from domain.model import Actor, Conversation, ConversationKind, RoleGrant
from domain.org import Group, Language, Person, Role
from domain.reach import Reached, Unreachable
from domain.rollcall.model import Change, RollCall, Status
from domain.rollcall.service import RollCallService, RollCallSettings
from store.db import create_engine, sessionmaker
from store.migrate import upgrade
from store.store import Store

HELSINKI = ZoneInfo("Europe/Helsinki")
FIRST_DAY = date(2027, 1, 4)
CHAT = "19:it@thread.v2"
STEP_TAKES = timedelta(seconds=7)
EXAMPLES = int(os.environ.get("ROLLCALL_PROPERTY_EXAMPLES", "40"))

ORG = """
version: 1
units:
  - key: it
    name: IT-paja
groups:
  - key: it-ryhma
    unit: it
    name: IT-ryhmä
  - key: kahvila
    unit: it
    name: Etäkahvila
people:
  - name: Maija Virtanen
    upn: maija@example.hel.fi
    instructor: [it-ryhma]
  - name: Jari Mäkinen
    upn: jari@example.hel.fi
    client: [it-ryhma]
  - name: Sari Heikkinen
    upn: sari@example.hel.fi
    client: [it-ryhma]
  - name: Erkki Esimerkki
    upn: erkki@example.hel.fi
    client: [it-ryhma]
  - name: Gustav Gäst
    upn: gustav@example.hel.fi
    client: [kahvila]
"""
PEOPLE = ("jari", "sari", "gustav")  # the last one is a guest in IT-ryhmä
NOTES = (None, "", "   ", "kertoi puhelimessa")

# --- the actions ------------------------------------------------------------------------------

person = st.integers(0, len(PEOPLE) - 1)
client = st.integers(0, len(PEOPLE) - 2)
which = st.integers(0, 2)  # the n-th roll call of the day (modulo how many there are)
BUILD: dict[str, st.SearchStrategy[tuple[Any, ...]]] = {
    "open": st.tuples(st.just("open")),
    "tap": st.tuples(st.just("tap"), person, which),
    "leave": st.tuples(st.just("leave"), person),
    "problem": st.tuples(st.just("problem"), person, which),
    "close": st.tuples(st.just("close"), which),
    "close_due": st.tuples(st.just("close_due")),
    "cancel": st.tuples(st.just("cancel"), which),
    "correct": st.tuples(
        st.just("correct"), client, which, st.sampled_from(CHOICES), st.sampled_from(NOTES)
    ),
    "undo": st.tuples(
        st.just("undo"),
        client,
        which,
        st.sampled_from((Status.PRESENT, Status.LATE, Status.ABSENT)),
        st.sampled_from(NOTES),
    ),
    "wait": st.tuples(st.just("wait"), st.integers(1, 120)),
}
# taps, check-outs and openings weigh more: the invariants are about how they interleave
KINDS = ("open", "open", "tap", "tap", "tap", "leave", "leave", *BUILD)
STEP = st.sampled_from(KINDS).flatmap(lambda kind: BUILD[kind])
BY_INSTRUCTOR = {"correct", "undo", "cancel"}  # may change a day on purpose (audited)


class Clock:
    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


class NoMeetings:
    async def role_of(self, conversation: Conversation, aad_object_id: str) -> MeetingRole | None:
        return None


class NoChats:
    async def open(self, person: Person, via: Conversation) -> Conversation | None:
        return None

    async def reach(self, person: Person, via: Conversation) -> Reached:
        return Reached(None, Unreachable.NO_TEAMS_ID)


@dataclass
class World:
    service: RollCallService
    store: Store
    clock: Clock
    group: Group
    day: date
    maija: Actor
    people: list[Actor]
    conversation: Conversation

    def end(self) -> datetime:
        return datetime(self.day.year, self.day.month, self.day.day, 14, 0, tzinfo=HELSINKI)


# --- what is stored, and the checks -------------------------------------------------------------


@dataclass(frozen=True)
class Snapshot:
    roll_calls: tuple[RollCall, ...]
    marks: dict[tuple[int, int], Any]
    checkouts: dict[int, Any]
    changes: tuple[Change, ...]
    day_status: dict[int, Status | None]
    full: dict[int, bool]
    holds: dict[int, bool]  # a full day, or on the way to one


async def snapshot(world: World) -> Snapshot:
    rc = world.store.rollcall
    assert world.group.id is not None
    calls = tuple(await rc.of_day(world.group.id, world.day))
    by_call = await rc.marks_of_day(world.group.id, world.day)
    marks = {(rid, pid): m for rid, ms in by_call.items() for pid, m in ms.items()}
    record = await world.service.records.day(world.group, world.day)
    return Snapshot(
        roll_calls=calls,
        marks=marks,
        checkouts=await rc.checkouts(world.group.id, world.day),
        changes=tuple(await rc.changes(world.group.id, world.day)),
        day_status={line.person_id: line.status for line in record.people},
        full={line.person_id: line.full_day for line in record.people},
        holds={line.person_id: line.full_day or line.on_the_way for line in record.people},
    )


def was_here(status: Status | None) -> bool:
    return status in (Status.PRESENT, Status.LATE, Status.LEFT_EARLY)


def check(world: World, step: tuple[Any, ...], before: Snapshot, after: Snapshot) -> None:
    kind = step[0]
    counted = {r.id for r in after.roll_calls if not r.is_cancelled}
    # no check-out before a check-in
    for pid, left in after.checkouts.items():
        for (rid, who), mark in after.marks.items():
            if who == pid and rid in counted and mark.status.is_here:
                assert mark.at <= left.at, (step, "left before here", mark, left)
    # someone here stays here, unless an instructor corrected or cancelled
    if kind not in BY_INSTRUCTOR:
        for key, mark in before.marks.items():
            if mark.status.is_here:
                assert after.marks[key].status.is_here, (step, "a here-mark was lost", key)
        for pid, status in before.day_status.items():
            if was_here(status):
                assert was_here(after.day_status.get(pid)), (step, "made absent", pid, status)
    # "I have a problem with sound or picture" is not "absent": the person is here
    if kind == "problem" and before.roll_calls:
        tapped = before.roll_calls[step[2] % len(before.roll_calls)]
        if not tapped.is_cancelled:
            pid = world.people[step[1]].person_id
            mark = after.marks.get((tapped.id or 0, pid))
            assert mark is not None and mark.status.is_here, (step, "a problem tap not here")
    # a roll call opened later (or a tap, a problem, time passing) never breaks a day
    if kind in ("open", "tap", "problem", "wait"):
        for pid, holds in before.holds.items():
            assert not holds or after.holds.get(pid), (step, "the full-day rule broke", pid)
    # every change has when; corrections who and why; nothing else but own acts and closing
    new = after.changes[len(before.changes) :]
    assert after.changes[: len(before.changes)] == before.changes, (step, "history rewritten")
    for change in after.changes:
        assert change.at is not None
    maija = world.maija.person_id
    for change in new:
        if kind in ("correct", "undo"):
            assert change.by == maija and change.note, (step, "a correction without who/why")
        elif change.by == change.person_id:
            pass  # their own act: a tap, a problem tap, a check-out, coming back
        else:
            closing = change.after is Status.ABSENT and change.before is None
            assert closing and change.by in (None, maija), (step, "an unexplained change", change)
    # a full day only once the day is over
    if world.clock.now < world.end():
        assert not any(after.full.values()), (step, "a full day before the day is over")


# --- running a sequence -------------------------------------------------------------------------


async def act(world: World, step: tuple[Any, ...]) -> None:
    service, group, maija = world.service, world.group, world.maija
    calls = [r for r in await world.store.rollcall.of_day(group.id or 0, world.day)]

    def nth(n: int) -> RollCall | None:
        return calls[n % len(calls)] if calls else None

    kind = step[0]
    if kind == "open":
        await service.start(maija, world.conversation)
    elif kind == "tap" and (rc := nth(step[2])):
        await service.tap(world.people[step[1]], rc.id or 0, Language.FI)
    elif kind == "problem" and (rc := nth(step[2])):
        await service.problem(world.people[step[1]], rc, group, guide_sent=True)
    elif kind == "leave":
        await service.leave(world.people[step[1]], world.conversation)
    elif kind == "close" and (rc := nth(step[1])):
        await service.close(maija, rc, group, world.conversation)
    elif kind == "close_due":
        await service.close_due()
    elif kind == "cancel" and (rc := nth(step[1])):
        await service.cancel(maija, rc, group, world.conversation)
    elif kind == "correct" and (rc := nth(step[2])):
        (status, reason), note = step[3], step[4]
        pid = world.people[step[1]].person_id
        await service.correct(maija, rc, group, pid, status, reason, note)
    elif kind == "undo" and (rc := nth(step[2])):
        pid = world.people[step[1]].person_id
        await service.undo_checkout(maija, rc, group, pid, step[3], step[4])
    elif kind == "wait":
        world.clock.now += timedelta(minutes=step[1])


async def run(url: str, day: date, steps: list[tuple[Any, ...]]) -> None:
    engine = create_engine(url)
    try:
        store = Store(sessionmaker(engine))
        group = next(g for g in await store.org.all_groups() if g.key == "it-ryhma")
        assert group.id is not None
        found = {name: await store.org.person_by_upn(f"{name}@example.hel.fi") for name in PEOPLE}
        maija_person = await store.org.person_by_upn("maija@example.hel.fi")
        assert maija_person is not None
        clock = Clock(datetime(day.year, day.month, day.day, 9, 0, tzinfo=HELSINKI).astimezone(UTC))

        async def day_end(g: Group, on: date) -> datetime | None:
            return datetime(on.year, on.month, on.day, 14, 0, tzinfo=HELSINKI)

        service = RollCallService(
            store.rollcall,
            store.org,
            store.conversations,
            NoMeetings(),
            NoChats(),
            RollCallCardRenderer(),
            store.outbox,
            instructor_teams_ids=store.org.instructor_teams_ids,
            day_end=day_end,
            settings=RollCallSettings(),
            clock=clock,
        )
        people = []
        for name, p in found.items():
            assert p is not None
            grants = () if name == "gustav" else (RoleGrant(Role.CLIENT, group=group),)
            people.append(Actor(person=p, grants=grants))
        world = World(
            service=service,
            store=store,
            clock=clock,
            group=group,
            day=day,
            maija=Actor(maija_person, (RoleGrant(Role.INSTRUCTOR, group=group),)),
            people=people,
            conversation=Conversation(
                CHAT, ConversationKind.GROUP_CHAT, "https://smba.example/", {}, group_id=group.id
            ),
        )
        for step in steps:
            clock.now += STEP_TAKES  # people act one after another
            before = await snapshot(world)
            try:
                await act(world, step)
            except DomainError:
                # refused (no reason given, a cancelled roll call, ...): nothing was written
                after = await snapshot(world)
                assert (after.marks, after.checkouts, after.changes) == (
                    before.marks,
                    before.checkouts,
                    before.changes,
                ), (step, "a refusal wrote something")
                continue
            check(world, step, before, await snapshot(world))
    finally:
        await engine.dispose()


@pytest.fixture(scope="module")
def database(tmp_path_factory: pytest.TempPathFactory) -> str:
    """One migrated SQLite database with the organisation, for every example."""
    path: Path = tmp_path_factory.mktemp("invariants") / "rollcall.db"
    url = f"sqlite+aiosqlite:///{path}"

    async def prepare() -> None:
        engine = create_engine(url)
        try:
            await upgrade(engine)
            await Store(sessionmaker(engine)).org.apply(parse_org_file(ORG))
        finally:
            await engine.dispose()

    asyncio.run(prepare())
    return url


def days() -> Iterator[date]:
    for n in itertools.count():
        yield FIRST_DAY + timedelta(days=n)


DAYS = days()


@settings(
    max_examples=EXAMPLES,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(steps=st.lists(STEP, min_size=6, max_size=40))
def test_attendance_invariants_hold_under_any_sequence(
    database: str, steps: list[tuple[Any, ...]]
) -> None:
    asyncio.run(run(database, next(DAYS), steps))


def test_a_typical_day_meets_the_invariants(database: str) -> None:
    """The sequence the invariants were written for, spelled out: present in the morning, a
    second roll call opened by mistake and cancelled, a leave and a return, corrections."""
    steps: list[tuple[Any, ...]] = [
        ("open",),
        ("tap", 0, 0),  # Jari
        ("problem", 1, 0),  # Sari has a problem with sound or picture
        ("tap", 2, 0),  # Gustav, a guest
        ("wait", 31),
        ("close_due",),
        ("open",),
        ("cancel", 1),  # opened by mistake
        ("leave", 0),
        ("wait", 5),
        ("tap", 0, 0),  # an old card: already here, nothing changes
        ("correct", 1, 0, (Status.PRESENT, None), None),  # refused: no reason
        ("correct", 1, 0, (Status.PRESENT, None), "kertoi puhelimessa"),
        ("leave", 1),
        ("wait", 60),
        ("open",),
        ("tap", 1, 2),  # Sari said she was leaving, and comes back for the third
        ("wait", 40),
        ("close", 2),
        ("wait", 300),
    ]
    asyncio.run(run(database, next(DAYS), steps))
