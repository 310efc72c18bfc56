"""A realistic month lived through the real services, shared by the reports' integration tests.

Two units, three groups, two roll calls a day run by the roll-call service on a clock the test
moves: on-time, late and too-late arrivals, a check-out before the end, absences, an
instructor's corrections with every roll-call reason (so every Kela reason), a technical
problem, a corrected absence, a guest, a cancelled group day (AgendaService.cancel_day) and a
planned day nobody recorded. What each person does is written down here (DAYS), and what it
should count as is worked out here from the law and docs/exports.md (`expected`, `every_line`,
`tallies`), never taken from the code under test.
"""

from __future__ import annotations

import asyncio
import contextlib
import csv
import io
from collections import Counter
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from bot.__main__ import main
from bot.features import build_all
from bot.features.kit import Kit
from bot.orgfile import parse_org_file
from bot.settings import Settings
from domain.agenda import AgendaService
from domain.hooks import Hooks
from domain.model import Actor, Conversation, ConversationKind
from domain.org import Group, Language, Person
from domain.plans import ItemKind, Plan, PlanItem
from domain.reach import Reached, Unreachable
from domain.rollcall.model import Reason, RollCall, Status
from domain.rollcall.service import RollCallService
from domain.tutorial.content import load_tutorial
from store.db import create_engine, sessionmaker
from store.store import Store

HELSINKI = ZoneInfo("Europe/Helsinki")
FI = Language.FI
MIN_HOURS = 4.0

ORG = """
version: 1
units:
  - key: uusix
    name: Uusix
  - key: nuoret
    name: Nuorten paja
groups:
  - key: it-ryhma
    unit: uusix
    name: IT-ryhmä
  - key: kahvila
    unit: uusix
    name: Etäkahvila
  - key: nuoret-ryhma
    unit: nuoret
    name: Nuorten ryhmä
people:
  - name: Maija Virtanen
    upn: maija@example.hel.fi
    instructor: [it-ryhma, kahvila]
  - name: Ville Ohjaaja
    upn: ville@example.hel.fi
    instructor: [nuoret-ryhma]
  - name: Kaisa Koordinaattori
    upn: kaisa@example.hel.fi
    coordinator: [uusix]
  - name: Olli Koordinaattori
    upn: olli@example.hel.fi
    coordinator: [nuoret]
  - name: Aino Ylläpitäjä
    upn: aino@example.hel.fi
    admin: true
  - name: Erkki Esimerkki
    upn: erkki@example.hel.fi
    client: [it-ryhma]
  - name: Jari Mäkinen
    upn: jari@example.hel.fi
    client: [it-ryhma, kahvila]
  - name: Sara Lind
    upn: sara@example.hel.fi
    client: [it-ryhma]
  - name: Sari Heikkinen
    upn: sari@example.hel.fi
    client: [it-ryhma]
  - name: Pekka Poissa
    upn: pekka@example.hel.fi
    client: [kahvila]
  - name: Nea Nuori
    upn: nea@example.hel.fi
    client: [nuoret-ryhma]
  - name: Niko Nuori
    upn: niko@example.hel.fi
    client: [nuoret-ryhma]
"""

# 9.00–14.00: a five-hour day; the roll calls at 9.00 and 13.00
PLAN = Plan(
    key="paiva",
    name="Päivä",
    items=(
        PlanItem(ItemKind.CHECK_IN, "Aamu", time(9, 0), timedelta(hours=4)),
        PlanItem(ItemKind.CONTENT, "Iltapäivä", time(13, 0), timedelta(hours=1)),
    ),
)

# What each person does on a group day (the test's own plan, counted independently below):
# F on time at both roll calls; L 30 min late (4.5 h); S 90 min late (3.5 h, under the minimum);
# C here in the morning, checks out at 11.30; A no tap at all; P no tap, the instructor
# corrects both roll calls to present; X:<reason> the instructor excuses both with the reason;
# G a guest (not the group's client) on time at both.
DAYS: dict[tuple[str, date], dict[str, str]] = {
    ("it-ryhma", date(2026, 11, 2)): {
        "erkki": "F",
        "jari": "F",
        "sara": "L",
        "sari": "X:sick",
        "pekka": "G",
    },
    ("it-ryhma", date(2026, 11, 3)): {
        "erkki": "S",
        "jari": "C",
        "sara": "X:technical",
        "sari": "X:child_sick",
    },
    ("it-ryhma", date(2026, 11, 5)): {
        "erkki": "P",
        "jari": "A",
        "sara": "X:job_interview",
        "sari": "F",
    },
    ("kahvila", date(2026, 11, 3)): {"jari": "X:appointment", "pekka": "F"},
    ("kahvila", date(2026, 11, 5)): {"jari": "F", "pekka": "X:public_office"},
    ("nuoret-ryhma", date(2026, 11, 2)): {"nea": "F", "niko": "X:other"},
    ("nuoret-ryhma", date(2026, 11, 4)): {"nea": "L", "niko": "A"},
}
CANCELLED = ("it-ryhma", date(2026, 11, 4))  # planned, then cancelled: not held
UNRECORDED = ("nuoret-ryhma", date(2026, 11, 6))  # planned, no roll call held
CLIENTS = {
    "it-ryhma": ("erkki", "jari", "sara", "sari"),
    "kahvila": ("jari", "pekka"),
    "nuoret-ryhma": ("nea", "niko"),
}
STAFF = {"it-ryhma": "Maija Virtanen", "kahvila": "Maija Virtanen", "nuoret-ryhma": "Ville Ohjaaja"}
UNITS = {"it-ryhma": "uusix", "kahvila": "uusix", "nuoret-ryhma": "nuoret"}
NAMES = {
    "erkki": "Erkki Esimerkki",
    "jari": "Jari Mäkinen",
    "sara": "Sara Lind",
    "sari": "Sari Heikkinen",
    "pekka": "Pekka Poissa",
    "nea": "Nea Nuori",
    "niko": "Niko Nuori",
}
# Kela's reasons as the law and docs/exports.md say, written out here, not taken from the code
KELA = {
    "sick": "own_illness",
    "child_sick": "child_ill",
    "job_interview": "job_interview",
    "public_office": "public_office",
    "appointment": "other",
    "technical": "other",
    "other": "other",
}


@dataclass(frozen=True)
class Expected:
    kind: str
    kela: str | None = None
    note: str | None = None
    hours: float | None = None
    recorded_by: str = "self"
    corrections: int = 0
    role: str = "client"


def expected(intent: str, group: str) -> Expected:
    """What one intent should give, by the rules in docs/exports.md."""
    if intent == "F" or intent == "G":
        return Expected("activity", hours=5.0, role="guest" if intent == "G" else "client")
    if intent == "L":
        return Expected("activity", hours=4.5)
    if intent == "S":
        return Expected("short", hours=3.5)
    if intent == "C":
        return Expected("short", hours=2.5)
    if intent == "A":
        return Expected("absent", kela="other", recorded_by="system")
    if intent == "P":
        return Expected("activity", hours=5.0, recorded_by=STAFF[group], corrections=2)
    reason = intent.removeprefix("X:")
    owner = STAFF[group]
    return Expected(
        "absent",
        kela=KELA[reason],
        note="technical" if reason == "technical" else None,
        recorded_by=owner,
        corrections=2,
    )


def every_line() -> Iterator[tuple[str, date, str, Expected]]:
    """(group, day, person, expected) for every person on every group day of the month."""
    for (group, day), intents in DAYS.items():
        for who, intent in intents.items():
            yield group, day, who, expected(intent, group)
    for group, day in (CANCELLED, UNRECORDED):
        kind = "not_held" if (group, day) == CANCELLED else "unrecorded"
        for who in CLIENTS[group]:
            yield group, day, who, Expected(kind, recorded_by="")


class Clock:
    """The services' clock, moved by the test."""

    def __init__(self) -> None:
        self.now = datetime(2026, 11, 1, 8, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now

    def at(self, day: date, hour: int, minute: int = 0) -> None:
        self.now = datetime.combine(day, time(hour, minute), tzinfo=HELSINKI).astimezone(UTC)


class NoChats:
    async def open(self, person: Person, via: Conversation) -> Conversation | None:
        return None

    async def reach(self, person: Person, via: Conversation) -> Reached:
        return Reached(None, Unreachable.NO_TEAMS_ID)


class NoMeetings:
    async def role(self, conversation: Conversation, aad_object_id: str) -> None:
        return None

    async def role_of(self, conversation: Conversation, aad_object_id: str) -> None:
        return None


@dataclass
class Month:
    store: Store
    clock: Clock
    rollcall: RollCallService
    agenda: AgendaService
    groups: dict[str, Group]
    chats: dict[str, Conversation]
    people: dict[str, Actor] = field(default_factory=dict)


@contextlib.asynccontextmanager
async def lived_month(database_url: str) -> AsyncIterator[Month]:
    """The organisation imported and the month lived, on a migrated database."""
    engine = create_engine(database_url)
    try:
        store = Store(sessionmaker(engine))
        clock = Clock()
        kit = Kit(
            Settings(database_url=database_url, full_day_min_hours=MIN_HOURS),
            store,
            Hooks(),
            clock,
            NoChats(),
            NoMeetings(),  # type: ignore[arg-type]
            load_tutorial(),
        )
        services = build_all(kit)
        await store.org.apply(parse_org_file(ORG))
        groups = {g.key: g for g in await store.org.all_groups()}
        found = Month(
            store,
            clock,
            services[RollCallService],  # type: ignore[arg-type]
            services[AgendaService],  # type: ignore[arg-type]
            groups,
            {},
        )
        for name in ("maija", "ville", "kaisa", "olli", "aino", *NAMES):
            person = await store.org.person_by_upn(f"{name}@example.hel.fi")
            assert person is not None and person.id is not None
            found.people[name] = Actor(person, await store.org.grants_of(person.id))
        for key, group in groups.items():
            assert group.id is not None
            chat = Conversation(
                f"19:{key}@thread.v2", ConversationKind.GROUP_CHAT, "https://smba.example", {}
            )
            await store.conversations.remember(chat)
            await store.conversations.bind(
                chat.conversation_id, group.id, found.people["aino"].person_id
            )
            bound = await store.conversations.get(chat.conversation_id)
            assert bound is not None and bound.group_id == group.id
            found.chats[key] = bound
        await live_the_month(found)
        yield found
    finally:
        await engine.dispose()


def instructor_of(group: str) -> str:
    return "ville" if group == "nuoret-ryhma" else "maija"


async def live_the_month(m: Month) -> None:
    """Every group day of DAYS through the services, in time order, with the clock moving."""
    planned = sorted({*DAYS, CANCELLED, UNRECORDED}, key=lambda k: (k[1], k[0]))
    m.clock.at(date(2026, 10, 30), 12)
    for group, day in planned:
        staff = m.people[instructor_of(group)]
        await m.agenda.plan_day(staff, m.chats[group], PLAN, on=day)
    await m.agenda.cancel_day(m.people["maija"], m.chats[CANCELLED[0]], CANCELLED[1])
    for day in sorted({d for _, d in DAYS}):
        for group in sorted(g for g, d in DAYS if d == day):
            await a_group_day(m, group, day, DAYS[group, day])


async def a_group_day(m: Month, group: str, day: date, intents: dict[str, str]) -> None:
    staff = m.people[instructor_of(group)]
    chat, where = m.chats[group], m.groups[group]

    async def roll_call(hour: int) -> RollCall:
        m.clock.at(day, hour)
        opened, new = await m.rollcall.start(staff, chat)
        assert new and opened.id is not None
        return opened

    async def tap(who: str, opened: RollCall, hour: int, minute: int) -> None:
        m.clock.at(day, hour, minute)
        await m.rollcall.tap(m.people[who], opened.id or 0, FI)

    async def close(opened: RollCall, hour: int) -> RollCall:
        m.clock.at(day, hour, 20)
        await m.rollcall.close(staff, opened, where, chat)
        closed = await m.store.rollcall.get(opened.id or 0)
        assert closed is not None
        return closed

    morning = await roll_call(9)
    for who, intent in intents.items():
        if intent in ("F", "G", "C"):
            await tap(who, morning, 9, 2)
    morning = await close(morning, 9)
    for who, intent in intents.items():
        if intent == "L":
            await tap(who, morning, 9, 30)
        if intent == "S":
            await tap(who, morning, 10, 30)
    for who, intent in intents.items():
        if intent == "C":
            m.clock.at(day, 11, 30)
            await m.rollcall.leave(m.people[who], chat)
    afternoon = await roll_call(13)
    for who, intent in intents.items():
        if intent in ("F", "G", "L", "S"):
            await tap(who, afternoon, 13, 1)
    afternoon = await close(afternoon, 13)
    m.clock.at(day, 15)
    for who, intent in intents.items():
        pid = m.people[who].person_id
        for opened in (morning, afternoon):
            if intent == "P":
                await m.rollcall.correct(
                    staff, opened, where, pid, Status.PRESENT, None, "oli paikalla"
                )
            if intent.startswith("X:"):
                reason = Reason(intent.removeprefix("X:"))
                await m.rollcall.correct(
                    staff, opened, where, pid, Status.EXCUSED, reason, "ilmoitti"
                )


def csv_rows(path: Path) -> list[dict[str, str]]:
    """An export CSV file's rows by header (checking the BOM, `;` and CRLF)."""
    return csv_of(path.read_bytes())


def csv_of(raw: bytes) -> list[dict[str, str]]:
    """An export CSV's rows by header (checking the BOM, `;` and CRLF)."""
    assert raw.startswith(b"\xef\xbb\xbf")
    assert b"\r\n" in raw and b"\n" not in raw.replace(b"\r\n", b"")
    rows = list(csv.reader(io.StringIO(raw[3:].decode("utf-8"), newline=""), delimiter=";"))
    return [dict(zip(rows[0], row, strict=True)) for row in rows[1:]]


def header(columns: Any, key: str) -> str:
    """A column's Finnish header."""
    return next(c.header(FI) for c in columns if c.key == key)


async def cli(monkeypatch: pytest.MonkeyPatch, database_url: str, *args: str) -> int:
    """`etapaiva <args>` in-process, on the month's database with the month's minimum hours."""
    monkeypatch.setenv("DATABASE_URL", database_url)
    monkeypatch.setenv("FULL_DAY_MIN_HOURS", str(MIN_HOURS))
    return await asyncio.to_thread(main, list(args))


def tallies() -> dict[str, dict[str, Any]]:
    """Each client's month counted from DAYS (guests' days not counted)."""
    found: dict[str, dict[str, Any]] = {}
    for group, _day, who, want in every_line():
        if want.role != "client":
            continue
        tally = found.setdefault(who, {"groups": set(), "kinds": Counter(), "kela": Counter()})
        tally["groups"].add(group)
        tally["kinds"][want.kind] += 1
        if want.kela:
            tally["kela"][want.kela] += 1
    return found
