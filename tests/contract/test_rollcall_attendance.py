"""The attendance read model over store/rollcall.py, on SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy import event

from bot.orgfile import parse_org_file
from domain.org import Group
from domain.rollcall.attendance import AttendanceRecords, AttendeeRole, DayAttendance
from domain.rollcall.model import (
    Change,
    Checkout,
    FullDayRule,
    Mark,
    Reason,
    RollCall,
    Status,
)
from store.store import Store

T0 = datetime(2026, 3, 5, 7, 0, tzinfo=UTC)  # 9.00 in Helsinki
DAY = date(2026, 3, 5)
END = datetime(2026, 3, 5, 12, 0, tzinfo=UTC)  # the day's planned end, 14.00 in Helsinki
GRACE = timedelta(minutes=7)

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
  - key: hiljainen
    unit: it
    name: Hiljainen ryhmä
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
  - name: Sara Lind
    upn: sara@example.hel.fi
    client: [it-ryhma]
  - name: Pekka Poissa
    upn: pekka@example.hel.fi
    client: [it-ryhma]
  - name: Gustav Gäst
    upn: gustav@example.hel.fi
    client: [kahvila]
  - name: Hilkka Hiljainen
    upn: hilkka@example.hel.fi
    client: [hiljainen]
"""


@dataclass(frozen=True)
class Org:
    groups: dict[str, Group]
    ids: dict[str, int]

    @property
    def it(self) -> Group:
        return self.groups["it-ryhma"]

    @property
    def cafe(self) -> Group:
        return self.groups["kahvila"]

    @property
    def quiet(self) -> Group:
        return self.groups["hiljainen"]

    def __getattr__(self, name: str) -> int:
        try:
            return self.ids[name]
        except KeyError:
            raise AttributeError(name) from None


async def arrange(store: Store) -> Org:
    await store.org.apply(parse_org_file(ORG))
    groups = {g.key: g for g in await store.org.all_groups()}
    ids: dict[str, int] = {}
    for name in ("maija", "jari", "sari", "erkki", "sara", "pekka", "gustav", "hilkka"):
        person = await store.org.person_by_upn(f"{name}@example.hel.fi")
        assert person is not None
        assert person.id is not None
        ids[name] = person.id
    return Org(groups, ids)


async def open_roll_call(
    store: Store, group: Group, day: date = DAY, at: timedelta = timedelta(0)
) -> RollCall:
    assert group.id is not None
    opened_at = datetime.combine(day, T0.timetz()) + at
    roll_call, new = await store.rollcall.open(
        RollCall(group.id, day, 0, f"19:{group.key}@thread.v2", opened_at, grace=GRACE)
    )
    assert new
    return roll_call


async def mark(
    store: Store,
    roll_call: RollCall,
    person_id: int,
    status: Status,
    after: timedelta = timedelta(0),
    *,
    reason: Reason | None = None,
    guest: bool = False,
    by: int | None = None,
) -> Mark:
    assert roll_call.id is not None
    at = roll_call.opened_at + after
    written = Mark(roll_call.id, person_id, status, at, reason=reason, guest=guest)
    change = Change(
        roll_call.group_id,
        roll_call.day,
        person_id,
        at,
        status,
        by=person_id if by is None else by,
        roll_call_id=roll_call.id,
        reason=reason,
    )
    assert await store.rollcall.record(written, change)
    return written


async def close(store: Store, roll_call: RollCall, *absent: int) -> RollCall:
    at = roll_call.opened_at + timedelta(minutes=30)
    assert await store.rollcall.close(roll_call, absent, at, None) is not None
    assert roll_call.id is not None
    closed = await store.rollcall.get(roll_call.id)
    assert closed is not None
    return closed


async def check_out(store: Store, group: Group, person_id: int, at: datetime) -> None:
    assert group.id is not None
    day = at.astimezone(UTC).date()
    change = Change(group.id, day, person_id, at, Status.LEFT_EARLY, by=person_id)
    assert await store.rollcall.checkout(Checkout(group.id, day, person_id, at), change)


def records(store: Store, rule: FullDayRule = FullDayRule.FIRST_AND_LAST) -> AttendanceRecords:
    async def day_end(group: Group, on: date) -> datetime | None:
        return END if on == DAY else None

    return AttendanceRecords(store.rollcall, rule, day_end)


def lines(day: DayAttendance) -> dict[str, tuple[Any, ...]]:
    return {
        p.name: (p.role, tuple(m.status if m else None for m in p.marks), p.status, p.full_day)
        for p in day.people
    }


@contextmanager
def selects(store: Store) -> Iterator[list[str]]:
    """The SELECT statements the store runs inside the block."""
    seen: list[str] = []

    def count(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        if statement.lstrip().upper().startswith("SELECT"):
            seen.append(statement)

    engine = store.db.engine.sync_engine
    event.listen(engine, "before_cursor_execute", count)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", count)


P, L, A, E, X = Status.PRESENT, Status.LATE, Status.ABSENT, Status.EXCUSED, Status.LEFT_EARLY
CLIENT, GUEST = AttendeeRole.CLIENT, AttendeeRole.GUEST


async def a_day_with_every_kind_of_mark(store: Store, org: Org) -> tuple[RollCall, RollCall]:
    """Jari P P, Sari L P (leaves early), Erkki E A, Sara A P, Pekka A A, Gustav (guest) P -."""
    morning = await open_roll_call(store, org.it)
    await mark(store, morning, org.jari, P, timedelta(minutes=1))
    await mark(store, morning, org.sari, L, timedelta(minutes=20))
    await mark(store, morning, org.erkki, E, reason=Reason.SICK, by=org.maija)
    await mark(store, morning, org.gustav, P, timedelta(minutes=2), guest=True)
    morning = await close(store, morning, org.sara, org.pekka)
    afternoon = await open_roll_call(store, org.it, at=timedelta(hours=3))
    for person in (org.jari, org.sari, org.sara):
        await mark(store, afternoon, person, P, timedelta(minutes=1))
    afternoon = await close(store, afternoon, org.erkki, org.pekka)
    await check_out(store, org.it, org.sari, END - timedelta(hours=1))
    await check_out(store, org.it, org.jari, END - timedelta(minutes=5))  # at the end: not early
    return morning, afternoon


async def test_a_day_with_a_mark_of_each_kind(store: Store) -> None:
    org = await arrange(store)
    morning, afternoon = await a_day_with_every_kind_of_mark(store, org)
    day = await records(store).day(org.it, DAY)
    assert (day.group_id, day.day, day.roll_calls, day.held) == (
        org.it.id,
        DAY,
        (morning, afternoon),
        True,
    )
    # the group's clients by name, then the guests; the instructor is not on the list
    assert [p.name for p in day.people] == [
        "Erkki Esimerkki",
        "Jari Mäkinen",
        "Pekka Poissa",
        "Sara Lind",
        "Sari Heikkinen",
        "Gustav Gäst",
    ]
    assert lines(day) == {
        "Erkki Esimerkki": (CLIENT, (E, A), E, False),
        "Jari Mäkinen": (CLIENT, (P, P), P, True),
        "Pekka Poissa": (CLIENT, (A, A), A, False),
        "Sara Lind": (CLIENT, (A, P), P, False),
        "Sari Heikkinen": (CLIENT, (L, P), X, False),
        "Gustav Gäst": (GUEST, (P, None), P, False),
    }
    assert day.full_days == 1
    by_name = {p.name: p for p in day.people}
    sari, jari, erkki = (
        by_name["Sari Heikkinen"],
        by_name["Jari Mäkinen"],
        by_name["Erkki Esimerkki"],
    )
    assert (sari.left_early, sari.checkout_at) == (True, END - timedelta(hours=1))
    assert (jari.left_early, jari.checkout_at) == (False, END - timedelta(minutes=5))
    assert sari.marks[0] is not None
    assert sari.marks[0].at == morning.opened_at + timedelta(minutes=20)
    assert erkki.marks[0] is not None
    assert erkki.marks[0].reason is Reason.SICK
    assert by_name["Gustav Gäst"].person_id == org.gustav
    assert by_name["Gustav Gäst"].marks[0] == Mark(
        morning.id or 0,
        org.gustav,
        P,
        morning.opened_at + timedelta(minutes=2),
        guest=True,
        version=1,
    )
    # ANY: everyone here at least once has a full day (except who left early)
    any_day = await records(store, FullDayRule.ANY).day(org.it, DAY)
    assert {p.name for p in any_day.people if p.full_day} == {
        "Jari Mäkinen",
        "Sara Lind",
        "Gustav Gäst",
    }


async def test_a_range_of_days_with_a_day_without_a_roll_call(store: Store) -> None:
    org = await arrange(store)
    await a_day_with_every_kind_of_mark(store, org)
    third_day = DAY + timedelta(days=2)
    later = await open_roll_call(store, org.it, third_day)
    await mark(store, later, org.pekka, P)
    await mark(store, later, org.sara, L, timedelta(minutes=15))
    await mark(store, later, org.gustav, P, guest=True)
    found = await records(store).days(org.it, DAY, DAY + timedelta(days=3))
    assert [d.day for d in found] == [DAY + timedelta(days=n) for n in range(4)]
    assert [d.held for d in found] == [True, False, True, False]
    for empty in (found[1], found[3]):
        assert empty.roll_calls == ()
        assert [(p.role, p.marks, p.status, p.full_day) for p in empty.people] == [
            (CLIENT, (), None, False)
        ] * 5
    assert found[2].roll_calls == (later,)
    assert lines(found[2]) == {
        "Erkki Esimerkki": (CLIENT, (None,), None, False),
        "Jari Mäkinen": (CLIENT, (None,), None, False),
        "Pekka Poissa": (CLIENT, (P,), P, True),
        "Sara Lind": (CLIENT, (L,), L, True),
        "Sari Heikkinen": (CLIENT, (None,), None, False),
        "Gustav Gäst": (GUEST, (P,), P, True),
    }
    # the same as asking day by day
    assert list(found) == [await records(store).day(org.it, d.day) for d in found]


async def test_another_groups_data_is_not_included(store: Store) -> None:
    org = await arrange(store)
    morning = await open_roll_call(store, org.it)
    await mark(store, morning, org.jari, P)
    # the café's day: its own client, and a client of the IT group there as a guest
    cafe = await open_roll_call(store, org.cafe)
    await mark(store, cafe, org.gustav, P)
    await mark(store, cafe, org.sari, L, timedelta(minutes=9), guest=True)
    await check_out(store, org.cafe, org.sari, END - timedelta(hours=2))
    cafe_tomorrow = await open_roll_call(store, org.cafe, DAY + timedelta(days=1))
    await mark(store, cafe_tomorrow, org.gustav, P)
    found = await records(store).days(org.it, DAY, DAY + timedelta(days=1))
    assert [d.roll_calls for d in found] == [(morning,), ()]
    assert "Gustav Gäst" not in lines(found[0])
    sari = next(p for p in found[0].people if p.name == "Sari Heikkinen")
    assert (sari.marks, sari.status, sari.checkout_at, sari.left_early) == (
        (None,),
        None,
        None,
        False,
    )
    seen_by_cafe = await records(store).day(org.cafe, DAY)
    assert lines(seen_by_cafe) == {
        "Gustav Gäst": (CLIENT, (P,), P, True),
        "Sari Heikkinen": (GUEST, (L,), X, False),
    }


async def test_a_group_with_no_roll_calls(store: Store) -> None:
    org = await arrange(store)
    await a_day_with_every_kind_of_mark(store, org)
    found = await records(store).days(org.quiet, DAY - timedelta(days=1), DAY + timedelta(days=1))
    assert [(d.day, d.roll_calls, d.held, d.full_days) for d in found] == [
        (DAY + timedelta(days=n), (), False, 0) for n in (-1, 0, 1)
    ]
    assert [[(p.name, p.role, p.status) for p in d.people] for d in found] == [
        [("Hilkka Hiljainen", CLIENT, None)]
    ] * 3


async def test_a_range_is_read_in_the_same_few_queries_however_long(store: Store) -> None:
    org = await arrange(store)
    await a_day_with_every_kind_of_mark(store, org)
    with selects(store) as one_day:
        await store.rollcall.attendance(org.it.id or 0, DAY, DAY)
    with selects(store) as a_month:
        stored = await store.rollcall.attendance(
            org.it.id or 0, DAY - timedelta(days=15), DAY + timedelta(days=15)
        )
    assert len(a_month) == len(one_day) <= 4
    assert len(stored.roll_calls) == 2


async def test_open_and_cancelled_roll_calls_and_a_day_not_over_yet(store: Store) -> None:
    org = await arrange(store)
    first = await open_roll_call(store, org.it)
    for pid in (org.jari, org.sari, org.erkki):
        await mark(store, first, pid, P)
    await close(store, first, org.sara, org.pekka)
    # the plan's check-in item opens a second roll call nobody has answered yet
    second = await open_roll_call(store, org.it, at=timedelta(hours=2))
    now = [T0 + timedelta(hours=2, minutes=1)]

    async def day_end(group: Group, on: date) -> datetime | None:
        return END

    with_clock = AttendanceRecords(
        store.rollcall, FullDayRule.FIRST_AND_LAST, day_end, lambda: now[0]
    )
    day = await with_clock.day(org.it, DAY)
    assert not day.over
    assert (day.full_days, day.on_the_way) == (0, 3)
    assert {p.name: p.status for p in day.people if p.on_the_way} == {
        "Jari Mäkinen": P,
        "Sari Heikkinen": P,
        "Erkki Esimerkki": P,
    }
    # Jari answers it, then it is cancelled (opened by mistake): it counts not at all
    await mark(store, second, org.jari, P)
    assert second.id is not None
    assert await store.rollcall.cancel(second.id, now[0], org.maija)
    day = await with_clock.day(org.it, DAY)
    assert (day.full_days, day.on_the_way) == (0, 3)
    # the planned end passes: full days now, the same three
    now[0] = END
    day = await with_clock.day(org.it, DAY)
    assert day.over and (day.full_days, day.on_the_way) == (3, 0)
    # without a clock, as the exports read past days: no "on the way" at all
    assert (await records(store).day(org.it, DAY)).full_days == 3
