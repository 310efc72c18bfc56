"""The reports' storage (store/reports.py, the planned days' spans) and the report lines derived
from them, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from domain import days as d
from domain.errors import NotAllowed
from domain.model import Actor, RoleGrant
from domain.org import Group, Language, Person, Role, Unit
from domain.plans import ItemKind
from domain.reports.kela import KelaReason
from domain.reports.model import DayKind
from domain.reports.service import ReportService
from domain.rollcall.attendance import AttendanceRecords
from domain.rollcall.model import Change, FullDayRule, Mark, Reason, RollCall, Status
from domain.rollcall.ports import DaySpan
from store.store import Store
from tests.contract.test_rollcall_attendance import (
    DAY,
    END,
    T0,
    Org,
    arrange,
    check_out,
    close,
    mark,
    open_roll_call,
)

NEXT = DAY + timedelta(days=1)
LATER = datetime(2026, 4, 1, 12, 0, tzinfo=UTC)


async def plan(store: Store, group: Group, on: date, cancelled: bool = False) -> None:
    assert group.id is not None
    start = datetime.combine(on, T0.timetz())
    items = (
        d.DayItem(ItemKind.CHECK_IN, "Aamu", start, timedelta(hours=2)),
        d.DayItem(ItemKind.CONTENT, "Iltapäivä", start + timedelta(hours=2), timedelta(hours=3)),
    )
    day = d.GroupDay(group.id, on, group.timezone, Language.FI, "p", "Päivä", items)
    stored = await store.days.add(day, [])
    if cancelled:
        await store.days.save(d.cancel(stored), [])


async def correct(
    store: Store, rc: RollCall, person_id: int, status: Status, reason: Reason, by: int
) -> None:
    """An instructor corrects a mark, five hours after the roll call opened."""
    assert rc.id is not None
    current = await store.rollcall.mark_of(rc.id, person_id)
    assert current is not None
    at = rc.opened_at + timedelta(hours=5)
    written = Mark(rc.id, person_id, status, at, reason=reason, version=current.version)
    change = Change(
        rc.group_id,
        rc.day,
        person_id,
        at,
        status,
        before=current.status,
        by=by,
        roll_call_id=rc.id,
        reason=reason,
        note="soitti",
    )
    assert await store.rollcall.record(written, change)


def service(store: Store, min_hours: float = 0.0) -> ReportService:
    async def spans(group: Group, first: date, last: date) -> dict[date, DaySpan]:
        assert group.id is not None
        return dict(await store.days.spans(group.id, first, last))

    records = AttendanceRecords(
        store.rollcall, FullDayRule.FIRST_AND_LAST, spans=spans, min_hours=min_hours
    )
    return ReportService(records, store.reports, lambda: LATER)


async def a_month(store: Store) -> Org:
    """A held day with every kind of line, and a cancelled day after it."""
    org = await arrange(store)
    await plan(store, org.it, DAY)
    await plan(store, org.it, NEXT, cancelled=True)
    morning = await open_roll_call(store, org.it)
    await mark(store, morning, org.jari, Status.PRESENT)
    await mark(store, morning, org.gustav, Status.PRESENT, guest=True)
    await mark(store, morning, org.erkki, Status.LATE, timedelta(minutes=40))
    await mark(store, morning, org.sara, Status.EXCUSED, reason=Reason.TECHNICAL, by=org.maija)
    morning = await close(store, morning, org.sari, org.pekka)
    afternoon = await open_roll_call(store, org.it, at=timedelta(hours=4))
    for who in (org.jari, org.erkki):
        await mark(store, afternoon, who, Status.PRESENT)
    await mark(store, afternoon, org.gustav, Status.PRESENT, guest=True)
    afternoon = await close(store, afternoon, org.sari, org.pekka, org.sara)
    for rc in (morning, afternoon):
        await correct(store, rc, org.sari, Status.EXCUSED, Reason.CHILD_SICK, org.maija)
    await check_out(store, org.it, org.erkki, T0 + timedelta(hours=3))
    return org


async def test_groups_by_unit_and_key_and_a_clients_groups(store: Store) -> None:
    org = await arrange(store)
    keys = [g.key for g in await store.reports.groups()]
    assert keys == ["hiljainen", "it-ryhma", "kahvila"]
    assert [g.key for g in await store.reports.groups("it")] == keys
    assert [g.key for g in await store.reports.groups(None, "kahvila")] == ["kahvila"]
    assert await store.reports.groups("nowhere") == []
    assert [g.key for g in await store.reports.groups_of(org.jari)] == ["it-ryhma"]
    assert await store.reports.groups_of(org.maija) == []  # an instructor, no client


async def test_spans_in_one_read_with_the_cancelled_day(store: Store) -> None:
    org = await arrange(store)
    await plan(store, org.it, DAY)
    await plan(store, org.it, NEXT, cancelled=True)
    assert org.it.id is not None
    spans = await store.days.spans(org.it.id, DAY - timedelta(days=3), NEXT + timedelta(days=3))
    assert spans == {
        DAY: DaySpan(T0, END, False),
        NEXT: DaySpan(T0 + timedelta(days=1), END + timedelta(days=1), True),
    }
    assert await store.days.spans(org.it.id, NEXT + timedelta(days=1), LATER.date()) == {}


async def test_changes_carry_the_names_of_who_made_them(store: Store) -> None:
    org = await a_month(store)
    assert org.it.id is not None
    changes = await store.reports.changes(org.it.id, DAY, NEXT)
    by_sari = [(c.after, c.by, name) for c, name in changes if c.person_id == org.sari]
    assert by_sari == [
        (Status.ABSENT, None, None),
        (Status.ABSENT, None, None),
        (Status.EXCUSED, org.maija, "Maija Virtanen"),
        (Status.EXCUSED, org.maija, "Maija Virtanen"),
    ]
    assert [c.at for c, _ in changes] == sorted(c.at for c, _ in changes)
    assert await store.reports.changes(org.it.id, NEXT, NEXT) == []


async def test_person_days_in_kelas_terms(store: Store) -> None:
    await a_month(store)
    lines = [line async for line in service(store).person_days(None, DAY, LATER.date())]
    held = {line.name: line for line in lines if line.day == DAY}
    assert [line.name for line in lines if line.day == DAY] == [
        "Erkki Esimerkki",
        "Jari Mäkinen",
        "Pekka Poissa",
        "Sara Lind",
        "Sari Heikkinen",
        "Gustav Gäst",
    ]
    jari = held["Jari Mäkinen"]
    assert (jari.kind, jari.status, jari.recorded_by, jari.corrections) == (
        DayKind.ACTIVITY,
        Status.PRESENT,
        "self",
        0,
    )
    assert (jari.joined_at, jari.left_at, jari.hours, jari.full_day) == (T0, END, 5.0, True)
    erkki = held["Erkki Esimerkki"]
    assert (erkki.kind, erkki.status, erkki.hours) == (DayKind.SHORT, Status.LEFT_EARLY, 2.33)
    assert erkki.joined_at == T0 + timedelta(minutes=40)
    sari = held["Sari Heikkinen"]
    assert (sari.kind, sari.reason, sari.kela, sari.note) == (
        DayKind.ABSENT,
        Reason.CHILD_SICK,
        KelaReason.CHILD_ILL,
        None,
    )
    assert (sari.recorded_by, sari.corrections, sari.hours) == ("Maija Virtanen", 2, None)
    sara = held["Sara Lind"]
    assert (sara.kela, sara.note, sara.recorded_by, sara.corrections) == (
        KelaReason.OTHER,
        Reason.TECHNICAL,
        "Maija Virtanen",
        1,
    )
    pekka = held["Pekka Poissa"]
    assert (pekka.kind, pekka.kela, pekka.recorded_by) == (
        DayKind.ABSENT,
        KelaReason.OTHER,
        "system",
    )
    gustav = held["Gustav Gäst"]
    assert (gustav.role, gustav.kind, gustav.group_key) == ("guest", DayKind.ACTIVITY, "it-ryhma")
    cancelled = [line for line in lines if line.day == NEXT]
    assert len(cancelled) == 5  # the clients; no roll call, no guest
    assert {(line.kind, line.status, line.kela) for line in cancelled} == {
        (DayKind.NOT_HELD, None, None)
    }
    assert {line.day for line in lines} == {DAY, NEXT}  # days without a plan are no group days


async def test_the_minimum_hours_make_a_short_day(store: Store) -> None:
    await a_month(store)
    lines = [line async for line in service(store, 5.5).person_days(None, DAY, DAY)]
    assert {line.kind for line in lines if line.name == "Jari Mäkinen"} == {DayKind.SHORT}


async def test_activity_days_absences_and_own_month(store: Store) -> None:
    org = await a_month(store)
    reports = service(store)
    months = {m.name: m for m in await reports.activity_days(None, date(2026, 3, 1), "it")}
    assert set(months) == {
        "Erkki Esimerkki",
        "Jari Mäkinen",
        "Pekka Poissa",
        "Sara Lind",
        "Sari Heikkinen",
    }  # the guest is no client here
    jari = months["Jari Mäkinen"]
    assert (jari.activity, jari.not_held, jari.allowance_cents, jari.groups) == (
        1,
        1,
        900,
        ("IT-ryhmä",),
    )
    assert months["Sari Heikkinen"].absences == {KelaReason.CHILD_ILL: 1}
    assert months["Erkki Esimerkki"].short == 1
    assert months["Erkki Esimerkki"].allowance_cents == 0
    absences = await reports.absences(None, DAY, NEXT)
    assert [(a.name, a.kela, a.note) for a in absences] == [
        ("Pekka Poissa", KelaReason.OTHER, None),
        ("Sara Lind", KelaReason.OTHER, Reason.TECHNICAL),
        ("Sari Heikkinen", KelaReason.CHILD_ILL, None),
    ]
    person = await store.org.person_by_upn("sari@example.hel.fi")
    assert person is not None
    own = await reports.own_month(Actor(person), DAY)
    assert own.month == date(2026, 3, 1)
    assert {line.person_id for line in own.days} == {org.sari}
    assert [line.kind for line in own.days] == [DayKind.ABSENT, DayKind.NOT_HELD]
    assert own.totals.absences == {KelaReason.CHILD_ILL: 1}


async def test_who_may_see_which_unit(store: Store) -> None:
    await a_month(store)
    reports = service(store)
    person = Person("Kaisa Koordinaattori", id=999)
    it = Unit("it", "IT-paja")
    other = Unit("muu", "Muu yksikkö")
    coordinator = Actor(person, (RoleGrant(Role.COORDINATOR, unit=it),))
    stranger = Actor(person, (RoleGrant(Role.COORDINATOR, unit=other),))
    admin = Actor(person, (RoleGrant(Role.ADMIN),))
    instructor = Actor(person, (RoleGrant(Role.INSTRUCTOR, group=Group("it-ryhma", "it", "x")),))
    assert len([x async for x in reports.person_days(coordinator, DAY, NEXT)]) == 11
    assert len([x async for x in reports.person_days(admin, DAY, NEXT)]) == 11
    assert [x async for x in reports.person_days(stranger, DAY, NEXT)] == []
    assert await reports.activity_days(stranger, DAY) == []
    for refused in (instructor, Actor(person)):
        with pytest.raises(NotAllowed):
            [x async for x in reports.person_days(refused, DAY, NEXT)]
        with pytest.raises(NotAllowed):
            await reports.absences(refused, DAY, NEXT)
    with pytest.raises(NotAllowed):
        [x async for x in reports.person_days(stranger, DAY, NEXT, unit_key="it")]
    with pytest.raises(NotAllowed):
        [x async for x in reports.person_days(stranger, DAY, NEXT, group_key="it-ryhma")]
    own = await reports.own_month(instructor, DAY)
    assert own.days == ()
