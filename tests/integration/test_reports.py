"""A realistic month through the real services (tests/integration/month.py), then the exports
and the reports read back.

Two units, three groups, two roll calls a day run by the roll-call service on a clock the test
moves: on-time, late and too-late arrivals, a check-out before the end, absences, an
instructor's corrections with every roll-call reason (so every Kela reason), a technical
problem, a corrected absence, a guest, a cancelled group day (AgendaService.cancel_day) and a
planned day nobody recorded. The command line's three exports (CSV and xlsx) are parsed back
and compared with counts the test makes itself from what it did; then who may see what.
"""

from __future__ import annotations

import csv
import io
from collections.abc import AsyncIterator
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import select

from bot.reporting import report_service
from bot.settings import Settings
from domain.errors import NotAllowed
from domain.i18n import text
from domain.org import Language
from domain.reports.columns import ABSENCES, ACTIVITY_DAYS, ATTENDANCE
from domain.reports.model import DayKind
from store.store import Store
from store.tables import AuditRow
from tests.integration.month import (
    FI,
    KELA,
    MIN_HOURS,
    NAMES,
    UNITS,
    Month,
    cli,
    csv_rows,
    every_line,
    header,
    lived_month,
    tallies,
)
from tests.xlsx_read import read_xlsx


@pytest.fixture
async def month(database_url: str) -> AsyncIterator[Month]:
    async with lived_month(database_url) as lived:
        yield lived


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
