"""A realistic month through the real services, then the exports and the reports read back.

Two units, three groups, two roll calls a day run by the roll-call service on a clock the test
moves: on-time, late and too-late arrivals, a check-out before the end, absences, an
instructor's corrections with every roll-call reason (so every Kela reason), a technical
problem, a corrected absence, a guest, a cancelled group day (AgendaService.cancel_day) and a
planned day nobody recorded. The command line's three exports (CSV and xlsx) are parsed back
and compared with counts the test makes itself from what it did; then who may see what.
"""

from __future__ import annotations

import asyncio
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
from sqlalchemy import select

from bot.__main__ import main
from bot.features import build_all
from bot.features.kit import Kit
from bot.orgfile import parse_org_file
from bot.reporting import report_service
from bot.settings import Settings
from domain.agenda import AgendaService
from domain.errors import NotAllowed
from domain.hooks import Hooks
from domain.i18n import text
from domain.model import Actor, Conversation, ConversationKind
from domain.org import Group, Language, Person
from domain.plans import ItemKind, Plan, PlanItem
from domain.reports.columns import ABSENCES, ACTIVITY_DAYS, ATTENDANCE
from domain.reports.model import DayKind
from domain.rollcall.model import Reason, RollCall, Status
from domain.rollcall.service import RollCallService
from domain.tutorial.content import load_tutorial
from store.db import create_engine, sessionmaker
from store.store import Store
from store.tables import AuditRow
from tests.xlsx_read import read_xlsx

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


@pytest.fixture
async def month(database_url: str) -> AsyncIterator[Month]:
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
    raw = path.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    assert b"\r\n" in raw and b"\n" not in raw.replace(b"\r\n", b"")
    rows = list(csv.reader(io.StringIO(raw[3:].decode("utf-8"), newline=""), delimiter=";"))
    return [dict(zip(rows[0], row, strict=True)) for row in rows[1:]]


def header(columns: Any, key: str) -> str:
    return next(c.header(FI) for c in columns if c.key == key)


async def cli(monkeypatch: pytest.MonkeyPatch, database_url: str, *args: str) -> int:
    monkeypatch.setenv("DATABASE_URL", database_url)
    monkeypatch.setenv("FULL_DAY_MIN_HOURS", str(MIN_HOURS))
    return await asyncio.to_thread(main, list(args))


async def test_the_attendance_export_row_by_row(
    month: Month, database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    assert (
        await cli(
            monkeypatch,
            database_url,
            "export",
            "attendance",
            "--from",
            "2026-11-01",
            "--to",
            "2026-11-30",
        )
        == 0
    )
    rows = csv_rows(tmp_path / "attendance-2026-11-01-2026-11-30.csv")
    wanted = {(g, d, NAMES[w]): e for g, d, w, e in every_line()}
    assert len(rows) == len(wanted)
    by_name = {g.name: k for k, g in month.groups.items()}
    h = lambda key: header(ATTENDANCE, key)  # noqa: E731
    for row in rows:
        key = (by_name[row[h("group")]], date.fromisoformat(row[h("date")]), row[h("name")])
        want = wanted.pop(key)
        assert row[h("unit")] == UNITS[key[0]]
        assert row[h("role")] == text(FI, f"reports.role.{want.role}")
        assert row[h("kind")] == text(FI, f"reports.kind.{want.kind}"), key
        assert row[h("kela")] == (text(FI, f"reports.kela.{want.kela}") if want.kela else ""), key
        assert row[h("note")] == (text(FI, f"rollcall.reason.{want.note}") if want.note else "")
        hours = f"{want.hours:.2f}".replace(".", ",") if want.hours is not None else ""
        assert row[h("hours")] == hours, key
        flag = "yes" if want.kind == "activity" else "no"
        assert row[h("full_day")] == text(FI, f"reports.flag.{flag}"), key
        by = {"self": "reports.by.self", "system": "reports.by.system"}.get(want.recorded_by)
        assert row[h("recorded_by")] == (text(FI, by) if by else want.recorded_by), key
        assert row[h("corrections")] == str(want.corrections), key
    assert wanted == {}
    # the late ones' join times, the check-out's leave time, in Helsinki time
    late = next(r for r in rows if r[h("name")] == "Sara Lind" and r[h("date")] == "2026-11-02")
    assert (late[h("joined")], late[h("left")]) == ("09:30", "14:00")
    left = next(
        r
        for r in rows
        if r[h("name")] == "Jari Mäkinen"
        and r[h("date")] == "2026-11-03"
        and r[h("group")] == "IT-ryhmä"
    )
    assert (left[h("joined")], left[h("left")]) == ("09:00", "11:30")
    assert left[h("status")] == text(FI, "rollcall.status.left_early")
    # one group only, in xlsx: dates as dates, hours as numbers
    out = tmp_path / "kahvila.xlsx"
    assert (
        await cli(
            monkeypatch,
            database_url,
            "export",
            "attendance",
            "--from",
            "2026-11-01",
            "--to",
            "2026-11-30",
            "--group",
            "kahvila",
            "--format",
            "xlsx",
            "--out",
            str(out),
        )
        == 0
    )
    (sheet,) = read_xlsx(out).values()
    keys = [c.key for c in ATTENDANCE]
    assert sheet[0] == [c.header(FI) for c in ATTENDANCE]
    got = sorted(
        (line["date"], line["name"], line["hours"])
        for line in (
            dict(zip(keys, r + [None] * (len(keys) - len(r)), strict=True)) for r in sheet[1:]
        )
    )
    want_kahvila = sorted((d, NAMES[w], e.hours) for g, d, w, e in every_line() if g == "kahvila")
    assert got == want_kahvila
    await audited(month.store, "export.attendance", [len(rows), len(want_kahvila)])


async def audited(store: Store, action: str, rows: list[int]) -> None:
    async with store.db.read() as s:
        found = (
            (
                await s.execute(
                    select(AuditRow).where(AuditRow.action == action).order_by(AuditRow.id)
                )
            )
            .scalars()
            .all()
        )
    assert [a.details["rows"] for a in found] == rows
    assert all(
        a.subject == "2026-11-01..2026-11-30" or a.subject.startswith("2026-11") for a in found
    )
    assert all(str(a.details["who"]).startswith("cli:") for a in found)


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


async def test_the_activity_days_export_counts_each_clients_month(
    month: Month, database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    assert (
        await cli(
            monkeypatch,
            database_url,
            "export",
            "activity-days",
            "--month",
            "2026-11",
            "--format",
            "xlsx",
        )
        == 0
    )
    (sheet,) = read_xlsx(tmp_path / "activity-days-2026-11.xlsx").values()
    keys = [c.key for c in ACTIVITY_DAYS]
    assert sheet[0] == [c.header(FI) for c in ACTIVITY_DAYS]
    lines = {
        r[1]: dict(zip(keys, r + [None] * (len(keys) - len(r)), strict=True)) for r in sheet[1:]
    }
    counted = tallies()
    assert set(lines) == {NAMES[w] for w in counted}
    for who, tally in counted.items():
        line = lines[NAMES[who]]
        kinds, kela = tally["kinds"], tally["kela"]
        assert line["activity"] == kinds["activity"], who
        assert line["short"] == kinds["short"], who
        assert line["absent"] == kinds["absent"], who
        for reason in ("own_illness", "child_ill", "job_interview", "public_office", "other"):
            assert line[f"absent_{reason}"] == kela[reason], (who, reason)
        assert line["not_held"] == kinds["not_held"], who
        assert line["unrecorded"] == kinds["unrecorded"], who
        assert line["allowance"] == 9.0 * kinds["activity"], who
        assert set(line["groups"].split(", ")) == {month.groups[g].name for g in tally["groups"]}
    # every Kela reason occurs in the month
    assert {k for t in counted.values() for k in t["kela"]} == set(KELA.values())
    # Jari: one line for his two groups
    assert lines["Jari Mäkinen"]["activity"] == 2  # it 2.11, kahvila 5.11
    # only one unit
    assert (
        await cli(
            monkeypatch,
            database_url,
            "export",
            "activity-days",
            "--month",
            "2026-11",
            "--unit",
            "nuoret",
            "--out",
            "nuoret.csv",
        )
        == 0
    )
    rows = csv_rows(tmp_path / "nuoret.csv")
    assert [r[header(ACTIVITY_DAYS, "name")] for r in rows] == ["Nea Nuori", "Niko Nuori"]
    assert rows[0][header(ACTIVITY_DAYS, "allowance")] == "18,00"
    await audited(month.store, "export.activity-days", [len(counted), 2])


async def test_the_absences_export_is_the_tt3_list(
    month: Month, database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    assert (
        await cli(
            monkeypatch,
            database_url,
            "export",
            "absences",
            "--from",
            "2026-11-01",
            "--to",
            "2026-11-14",
            "--language",
            "en",
        )
        == 0
    )
    raw = (tmp_path / "absences-2026-11-01-2026-11-14.csv").read_bytes()
    rows = list(csv.reader(io.StringIO(raw.decode("utf-8-sig"), newline=""), delimiter=";"))
    assert rows[0] == [c.header(Language.EN) for c in ABSENCES]
    got = [tuple(r) for r in rows[1:]]
    want = sorted(
        (
            (
                NAMES[w],
                d.isoformat(),
                month.groups[g].name,
                text(Language.EN, f"reports.kela.{e.kela}"),
                text(Language.EN, f"rollcall.reason.{e.note}") if e.note else "",
            )
            for g, d, w, e in every_line()
            if e.kind == "absent" and e.role == "client"
        ),
        key=lambda r: (r[0], r[1], r[2]),
    )
    assert [r[1:] for r in got] == want
    # the cancelled day is no absence
    assert not [r for r in got if r[2] == "2026-11-04" and r[3] == "IT-ryhmä"]


async def test_who_may_see_what(month: Month) -> None:
    reports = report_service(Settings(full_day_min_hours=MIN_HOURS), month.store)
    first, last = date(2026, 11, 1), date(2026, 11, 30)
    people = month.people
    everyone = [line async for line in reports.person_days(people["aino"], first, last)]
    assert len(everyone) == len(list(every_line()))
    kaisa = [line async for line in reports.person_days(people["kaisa"], first, last)]
    assert {line.unit_key for line in kaisa} == {"uusix"}
    olli = [line async for line in reports.person_days(people["olli"], first, last)]
    assert {line.unit_key for line in olli} == {"nuoret"}
    assert len(kaisa) + len(olli) == len(everyone)
    # the other unit's coordinator sees nothing of this unit
    assert [m.name for m in await reports.activity_days(people["olli"], first)] == [
        "Nea Nuori",
        "Niko Nuori",
    ]
    with pytest.raises(NotAllowed):
        await reports.absences(people["olli"], first, last, unit_key="uusix")
    with pytest.raises(NotAllowed):
        [x async for x in reports.person_days(people["olli"], first, last, group_key="it-ryhma")]
    # instructors and clients are refused
    for refused in ("maija", "ville", "jari"):
        with pytest.raises(NotAllowed) as caught:
            await reports.activity_days(people[refused], first)
        assert caught.value.key == "reports.not_allowed"
    # a person's own month: their own days, nobody else's
    own = await reports.own_month(people["jari"], first)
    assert {line.person_id for line in own.days} == {people["jari"].person_id}
    mine = [(g, d) for g, d, w, e in every_line() if w == "jari" and e.role == "client"]
    assert sorted((line.group_key, line.day) for line in own.days) == sorted(mine)
    assert own.totals.activity == 2
    assert own.totals.allowance_cents == 1800
    assert sum(own.totals.absences.values()) == 2  # absent at it 5.11, appointment at kahvila
    assert own.totals.not_held == 1
    pekka = await reports.own_month(people["pekka"], first)
    assert [line.kind for line in pekka.days] == [
        DayKind.ACTIVITY,
        DayKind.ABSENT,
    ]  # not the guest day
    assert (await reports.own_month(people["kaisa"], first)).days == ()
