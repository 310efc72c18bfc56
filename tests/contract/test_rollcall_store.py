"""Roll calls, marks, check-outs and the audit trail (store/rollcall.py), SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import event

from bot.orgfile import parse_org_file
from domain.outbox import OutboxMessage, OutboxStatus
from domain.rollcall.model import Change, Checkout, Mark, Reason, RollCall, Status, tap_status
from store.store import Store

T0 = datetime(2026, 3, 5, 7, 0, tzinfo=UTC)
DAY = date(2026, 3, 5)
RACE_ROUNDS = 80

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
  - name: Sara Lind
    upn: sara@example.hel.fi
    client: [it-ryhma]
  - name: Gustav Gäst
    upn: gustav@example.hel.fi
    client: [kahvila]
"""


@dataclass(frozen=True)
class Org:
    group: int
    other_group: int
    maija: int
    jari: int
    sari: int
    erkki: int
    sara: int
    gustav: int

    @property
    def clients(self) -> list[int]:
        return [self.jari, self.sari, self.erkki, self.sara]


async def arrange(store: Store) -> Org:
    await store.org.apply(parse_org_file(ORG))
    groups = {g.key: g.id for g in await store.org.all_groups()}
    ids: dict[str, int] = {}
    for name in ("maija", "jari", "sari", "erkki", "sara", "gustav"):
        person = await store.org.person_by_upn(f"{name}@example.hel.fi")
        assert person is not None
        assert person.id is not None
        ids[name] = person.id
    group, other = groups["it-ryhma"], groups["kahvila"]
    assert group is not None
    assert other is not None
    return Org(group=group, other_group=other, **ids)


def wanted(
    group_id: int, at: datetime = T0, day: date = DAY, conversation: str = "19:it@thread.v2"
) -> RollCall:
    return RollCall(
        group_id=group_id,
        day=day,
        number=0,
        conversation_id=conversation,
        opened_at=at,
        grace=timedelta(minutes=7),
        closes_at=at + timedelta(minutes=30),
    )


def card_for(opened: RollCall) -> list[OutboxMessage]:
    return [
        OutboxMessage(
            key=f"rollcall:{opened.id}:card",
            conversation_id=opened.conversation_id,
            render=f"rollcall:{opened.id}",
        )
    ]


def tap(
    roll_call: RollCall,
    person_id: int,
    status: Status = Status.PRESENT,
    at: datetime = T0,
    version: int = 0,
    before: Status | None = None,
    by: int | None = None,
    guest: bool = False,
    reason: Reason | None = None,
) -> tuple[Mark, Change]:
    assert roll_call.id is not None
    mark = Mark(roll_call.id, person_id, status, at, reason=reason, guest=guest, version=version)
    change = Change(
        group_id=roll_call.group_id,
        day=roll_call.day,
        person_id=person_id,
        at=at,
        after=status,
        before=before,
        by=person_id if by is None else by,
        roll_call_id=roll_call.id,
        reason=reason,
    )
    return mark, change


async def opened(store: Store, org: Org, at: datetime = T0) -> RollCall:
    roll_call, new = await store.rollcall.open(wanted(org.group, at), card_for)
    assert new
    return roll_call


def refresh(key: str) -> Sequence[OutboxMessage]:
    return [OutboxMessage(key=key, conversation_id="19:it@thread.v2", text="r")]


# --- opening ---------------------------------------------------------------------------------


async def test_open_round_trips_and_numbers_roll_calls_per_group_and_day(store: Store) -> None:
    org = await arrange(store)
    first, new = await store.rollcall.open(wanted(org.group), card_for)
    assert new
    assert first.id is not None
    assert first == replace(wanted(org.group), id=first.id, number=1)
    assert await store.rollcall.get(first.id) == first
    fetched = await store.rollcall.get(first.id)
    assert fetched is not None
    assert fetched.opened_at.tzinfo is not None
    assert fetched.closes_at is not None
    assert fetched.closes_at.tzinfo is not None
    # the other group and the next day count from 1 on their own
    other, _ = await store.rollcall.open(wanted(org.other_group, conversation="19:k@thread.v2"))
    tomorrow, _ = await store.rollcall.open(wanted(org.group, day=DAY + timedelta(days=1)))
    assert (other.number, tomorrow.number) == (1, 1)
    closed_at = T0 + timedelta(minutes=30)
    assert await store.rollcall.close(first, [], closed_at, org.maija) == []
    second, new = await store.rollcall.open(wanted(org.group, T0 + timedelta(hours=4)), card_for)
    assert new
    assert second.number == 2
    assert second.id not in (first.id, other.id, tomorrow.id)
    day = await store.rollcall.of_day(org.group, DAY)
    assert [(r.id, r.number) for r in day] == [(first.id, 1), (second.id, 2)]
    assert day[0].closed_at == closed_at
    assert not day[0].is_open
    assert day[1].is_open


async def test_open_returns_the_open_roll_call_instead_of_a_second(store: Store) -> None:
    org = await arrange(store)
    first = await opened(store, org)
    made: list[RollCall] = []

    def messages(roll_call: RollCall) -> list[OutboxMessage]:
        made.append(roll_call)
        return card_for(roll_call)

    again, new = await store.rollcall.open(wanted(org.group, T0 + timedelta(minutes=5)), messages)
    assert new is False
    assert again == first
    assert made == []  # no card for a roll call that was not opened
    assert len(await store.rollcall.of_day(org.group, DAY)) == 1
    assert (await store.outbox.counts())[OutboxStatus.PENDING] == 1


@pytest.mark.parametrize("racers", [2, 6])
async def test_racing_opens_open_exactly_one(store: Store, racers: int) -> None:
    """Repeated over many days: a race that is lost only now and then is still caught."""
    org = await arrange(store)
    for offset in range(RACE_ROUNDS):
        day = DAY + timedelta(days=offset)
        results = await asyncio.gather(
            *(
                store.rollcall.open(
                    wanted(org.group, T0 + timedelta(days=offset, seconds=i), day), card_for
                )
                for i in range(racers)
            )
        )
        of_day = await store.rollcall.of_day(org.group, day)
        assert [r.number for r in of_day] == [1], f"day {offset}: {len(of_day)} opened"
        assert [new for _, new in results].count(True) == 1
        assert {r for r, _ in results} == set(of_day)
    assert (await store.outbox.counts())[OutboxStatus.PENDING] == RACE_ROUNDS


async def test_the_opening_messages_are_stored_with_the_roll_call(store: Store) -> None:
    org = await arrange(store)
    roll_call = await opened(store, org)
    entry = await store.outbox.entry_for_key(f"rollcall:{roll_call.id}:card")
    assert entry is not None
    assert entry.status is OutboxStatus.PENDING
    assert entry.message.conversation_id == roll_call.conversation_id
    assert entry.message.render == f"rollcall:{roll_call.id}"


async def test_when_the_messages_fail_nothing_is_opened(store: Store) -> None:
    org = await arrange(store)

    def broken(roll_call: RollCall) -> list[OutboxMessage]:
        assert roll_call.id is not None  # the id is known here, inside the transaction
        raise RuntimeError("drawing failed")

    with pytest.raises(RuntimeError):
        await store.rollcall.open(wanted(org.group), broken)
    assert await store.rollcall.of_day(org.group, DAY) == []
    roll_call = await opened(store, org)
    assert roll_call.number == 1


# --- marks -----------------------------------------------------------------------------------


async def test_record_inserts_once_for_version_zero(store: Store) -> None:
    org = await arrange(store)
    roll_call = await opened(store, org)
    assert roll_call.id is not None
    mark, change = tap(roll_call, org.jari)
    assert await store.rollcall.record(mark, change, refresh("r1")) is True
    late_mark, late_change = tap(roll_call, org.jari, Status.LATE, T0 + timedelta(minutes=20))
    assert await store.rollcall.record(late_mark, late_change, refresh("r2")) is False
    assert await store.rollcall.mark_of(roll_call.id, org.jari) == replace(mark, version=1)
    changes = await store.rollcall.changes(org.group, DAY)
    assert [replace(c, id=None) for c in changes] == [change]
    assert changes[0].id is not None
    assert await store.outbox.entry_for_key("r1") is not None
    assert await store.outbox.entry_for_key("r2") is None


async def test_a_stale_version_changes_nothing(store: Store) -> None:
    org = await arrange(store)
    roll_call = await opened(store, org)
    assert roll_call.id is not None
    first, change = tap(roll_call, org.sari, Status.LATE, T0 + timedelta(minutes=12))
    assert await store.rollcall.record(first, change)
    excused, why = tap(
        roll_call,
        org.sari,
        Status.EXCUSED,
        T0 + timedelta(minutes=20),
        version=1,
        before=Status.LATE,
        by=org.maija,
        reason=Reason.TECHNICAL,
    )
    assert await store.rollcall.record(excused, why, refresh("fix-1"))
    now = await store.rollcall.mark_of(roll_call.id, org.sari)
    assert now == replace(excused, version=2)
    # another instructor read version 1 too: refused, and nothing of theirs is kept
    stale, stale_change = tap(
        roll_call, org.sari, Status.ABSENT, T0 + timedelta(minutes=21), version=1, by=org.maija
    )
    assert await store.rollcall.record(stale, stale_change, refresh("fix-2")) is False
    assert await store.rollcall.mark_of(roll_call.id, org.sari) == now
    changes = await store.rollcall.changes(org.group, DAY)
    assert [(c.before, c.after, c.reason, c.by) for c in changes] == [
        (None, Status.LATE, None, org.sari),
        (Status.LATE, Status.EXCUSED, Reason.TECHNICAL, org.maija),
    ]
    assert await store.outbox.entry_for_key("fix-1") is not None
    assert await store.outbox.entry_for_key("fix-2") is None
    # a version from the future is refused too
    ahead, ahead_change = tap(roll_call, org.sari, Status.PRESENT, version=5)
    assert await store.rollcall.record(ahead, ahead_change) is False
    assert await store.rollcall.mark_of(roll_call.id, org.sari) == now


async def test_racing_first_taps_record_once_each(store: Store) -> None:
    org = await arrange(store)
    roll_call = await opened(store, org)
    assert roll_call.id is not None
    taps = [
        tap(roll_call, pid, at=T0 + timedelta(seconds=n)) for n in range(3) for pid in org.clients
    ]
    results = await asyncio.gather(*(store.rollcall.record(m, c) for m, c in taps))
    assert sum(results) == len(org.clients)
    marks = await store.rollcall.marks(roll_call.id)
    assert set(marks) == set(org.clients)
    assert {m.version for m in marks.values()} == {1}
    changes = await store.rollcall.changes(org.group, DAY)
    assert Counter(c.person_id for c in changes) == Counter(org.clients)


async def test_marks_round_trip_per_roll_call_and_per_day(store: Store) -> None:
    org = await arrange(store)
    first = await opened(store, org)
    await store.rollcall.record(*tap(first, org.jari))
    await store.rollcall.record(*tap(first, org.gustav, guest=True))
    await store.rollcall.close(first, org.clients, T0 + timedelta(minutes=30), None)
    second = await opened(store, org, T0 + timedelta(hours=4))
    excused = tap(second, org.sari, Status.EXCUSED, by=org.maija, reason=Reason.APPOINTMENT)
    await store.rollcall.record(*excused)
    assert first.id is not None
    assert second.id is not None
    marks = await store.rollcall.marks(first.id)
    assert marks[org.gustav] == Mark(
        first.id, org.gustav, Status.PRESENT, T0, guest=True, version=1
    )
    assert {p: m.status for p, m in marks.items()} == {
        org.jari: Status.PRESENT,
        org.gustav: Status.PRESENT,
        org.sari: Status.ABSENT,
        org.erkki: Status.ABSENT,
        org.sara: Status.ABSENT,
    }
    assert all(m.at.tzinfo is not None for m in marks.values())
    day = await store.rollcall.marks_of_day(org.group, DAY)
    assert set(day) == {first.id, second.id}
    assert day[first.id] == marks
    assert day[second.id] == {org.sari: replace(excused[0], version=1)}
    assert await store.rollcall.marks_of_day(org.other_group, DAY) == {}
    assert await store.rollcall.mark_of(second.id, org.jari) is None


async def test_counts_group_by_status_and_guest(store: Store) -> None:
    org = await arrange(store)
    roll_call = await opened(store, org)
    assert roll_call.id is not None
    assert await store.rollcall.counts(roll_call.id) == {}
    await store.rollcall.record(*tap(roll_call, org.jari))
    await store.rollcall.record(*tap(roll_call, org.sari))
    await store.rollcall.record(*tap(roll_call, org.erkki, Status.LATE))
    await store.rollcall.record(*tap(roll_call, org.gustav, guest=True))
    await store.rollcall.record(*tap(roll_call, org.maija, Status.LATE, guest=True))
    await store.rollcall.record(
        *tap(roll_call, org.sara, Status.EXCUSED, by=org.maija, reason=Reason.SICK)
    )
    assert await store.rollcall.counts(roll_call.id) == {
        (Status.PRESENT, False): 2,
        (Status.LATE, False): 1,
        (Status.EXCUSED, False): 1,
        (Status.PRESENT, True): 1,
        (Status.LATE, True): 1,
    }


async def test_record_and_count_counts_in_the_same_transaction(store: Store) -> None:
    org = await arrange(store)
    roll_call = await opened(store, org)
    assert roll_call.id is not None
    await store.rollcall.record(*tap(roll_call, org.jari))
    counts = await store.rollcall.record_and_count(*tap(roll_call, org.gustav, guest=True))
    assert counts == {(Status.PRESENT, False): 1, (Status.PRESENT, True): 1}
    late = tap(roll_call, org.sari, Status.LATE, T0 + timedelta(minutes=12))
    assert await store.rollcall.record_and_count(*late) == {
        (Status.PRESENT, False): 1,
        (Status.PRESENT, True): 1,
        (Status.LATE, False): 1,
    }
    # refused: None, and nothing written
    assert await store.rollcall.record_and_count(*tap(roll_call, org.sari), refresh("x")) is None
    assert await store.outbox.entry_for_key("x") is None
    assert await store.rollcall.counts(roll_call.id) == {
        (Status.PRESENT, False): 1,
        (Status.PRESENT, True): 1,
        (Status.LATE, False): 1,
    }
    assert len(await store.rollcall.changes(org.group, DAY)) == 3


Decide = Callable[[datetime | None, Mark | None], tuple[Mark, Change] | None]


def decider(roll_call: RollCall, person_id: int, at: datetime, guest: bool = False) -> Decide:
    """What the service decides for a tap: the real rule on what the store read."""
    assert roll_call.id is not None
    roll_call_id = roll_call.id

    def decide(closed_at: datetime | None, current: Mark | None) -> tuple[Mark, Change] | None:
        status = tap_status(replace(roll_call, closed_at=closed_at), current, at)
        if status is None:
            return None
        version = current.version if current is not None else 0
        mark = Mark(roll_call_id, person_id, status, at, guest=guest, version=version)
        change = Change(
            group_id=roll_call.group_id,
            day=roll_call.day,
            person_id=person_id,
            at=at,
            after=status,
            before=current.status if current is not None else None,
            by=person_id,
            roll_call_id=roll_call_id,
        )
        return mark, change

    return decide


async def test_a_tap_is_read_decided_written_and_counted_at_once(store: Store) -> None:
    org = await arrange(store)
    roll_call = await opened(store, org)
    assert roll_call.id is not None
    at = T0 + timedelta(minutes=2)
    mark, counts, _ = await store.rollcall.tap(
        roll_call.id, org.jari, decider(roll_call, org.jari, at), refresh("tap-1")
    )
    assert mark == Mark(roll_call.id, org.jari, Status.PRESENT, at, version=1)
    assert counts == {(Status.PRESENT, False): 1}
    assert await store.rollcall.mark_of(roll_call.id, org.jari) == mark
    assert await store.outbox.entry_for_key("tap-1") is not None
    guest_mark, counts, _ = await store.rollcall.tap(
        roll_call.id, org.gustav, decider(roll_call, org.gustav, at, guest=True)
    )
    assert guest_mark is not None
    assert guest_mark.guest
    assert counts == {(Status.PRESENT, False): 1, (Status.PRESENT, True): 1}
    # the same person again, later: nothing changes, and the mark they have comes back
    again, counts, _ = await store.rollcall.tap(
        roll_call.id,
        org.jari,
        decider(roll_call, org.jari, T0 + timedelta(minutes=25)),
        refresh("tap-2"),
    )
    assert again == mark
    assert counts == {(Status.PRESENT, False): 1, (Status.PRESENT, True): 1}
    assert await store.outbox.entry_for_key("tap-2") is None
    assert len(await store.rollcall.changes(org.group, DAY)) == 2


async def test_a_tap_decides_on_the_closing_time_read_in_its_transaction(store: Store) -> None:
    org = await arrange(store)
    roll_call = await opened(store, org)
    assert roll_call.id is not None
    closed_at = T0 + timedelta(minutes=3)
    await store.rollcall.close(roll_call, [org.erkki], closed_at, org.maija)
    # the caller's roll call is from before the closing, and the tap is within the grace
    at = T0 + timedelta(minutes=4)
    mark, counts, _ = await store.rollcall.tap(
        roll_call.id, org.erkki, decider(roll_call, org.erkki, at)
    )
    assert mark == Mark(roll_call.id, org.erkki, Status.LATE, at, version=2)
    assert counts == {(Status.LATE, False): 1}
    last = (await store.rollcall.changes(org.group, DAY))[-1]
    assert (last.person_id, last.before, last.after) == (org.erkki, Status.ABSENT, Status.LATE)


async def test_a_first_tap_after_closing_is_late_and_written_once(store: Store) -> None:
    # the store writes a first tap before it reads the closing time (one round trip less);
    # when the closing changes the decision, that write is undone and the tap decided again
    org = await arrange(store)
    roll_call = await opened(store, org)
    assert roll_call.id is not None
    await store.rollcall.close(roll_call, [], T0 + timedelta(minutes=3), org.maija)
    at = T0 + timedelta(minutes=4)  # within the grace, but closed
    mark, counts, _ = await store.rollcall.tap(
        roll_call.id, org.jari, decider(roll_call, org.jari, at), refresh("late-tap")
    )
    assert mark == Mark(roll_call.id, org.jari, Status.LATE, at, version=1)
    assert counts == {(Status.LATE, False): 1}
    assert await store.rollcall.mark_of(roll_call.id, org.jari) == mark
    changes = [c for c in await store.rollcall.changes(org.group, DAY) if c.person_id == org.jari]
    assert [(c.before, c.after) for c in changes] == [(None, Status.LATE)]
    assert await store.outbox.entry_for_key("late-tap") is not None


async def test_racing_taps_record_once_each(store: Store) -> None:
    org = await arrange(store)
    roll_call = await opened(store, org)
    assert roll_call.id is not None
    people = [*org.clients, org.gustav]
    taps = [(pid, T0 + timedelta(seconds=n)) for n in range(4) for pid in people]
    results = await asyncio.gather(
        *(
            store.rollcall.tap(
                roll_call.id,
                pid,
                decider(roll_call, pid, at, guest=pid == org.gustav),
                refresh(f"tap:{pid}:{at.second}"),
            )
            for pid, at in taps
        )
    )
    marks = await store.rollcall.marks(roll_call.id)
    assert set(marks) == set(people)
    assert {m.version for m in marks.values()} == {1}
    for (pid, _), (mark, _, _) in zip(taps, results, strict=True):
        assert mark == marks[pid]  # every tap answers with the one mark recorded
    changes = await store.rollcall.changes(org.group, DAY)
    assert Counter(c.person_id for c in changes) == Counter(people)
    assert (await store.outbox.counts())[OutboxStatus.PENDING] == 1 + len(people)
    assert await store.rollcall.counts(roll_call.id) == {
        (Status.PRESENT, False): len(org.clients),
        (Status.PRESENT, True): 1,
    }


def coalesced(key: str, roll_call: RollCall) -> Sequence[OutboxMessage]:
    """The roll-call card's redraw, as the service asks for it with every tap."""
    return [
        OutboxMessage(
            key=key,
            conversation_id=roll_call.conversation_id,
            update_of=f"rollcall:{roll_call.id}:card",
            render=f"rollcall:{roll_call.id}",
            coalesce=f"rollcall:{roll_call.id}:card",
        )
    ]


async def test_a_first_taps_redraw_waits_behind_the_waiting_one(store: Store) -> None:
    org = await arrange(store)
    roll_call = await opened(store, org)
    assert roll_call.id is not None
    woken: list[int] = []
    unsubscribe = store.outbox.subscribe(lambda: woken.append(1))
    try:
        at = T0 + timedelta(minutes=1)
        first = await store.rollcall.tap(
            roll_call.id, org.jari, decider(roll_call, org.jari, at), coalesced("r-1", roll_call)
        )
        assert woken, "a tap that queued a redraw must wake the outbox worker"
        second = await store.rollcall.tap(
            roll_call.id, org.sari, decider(roll_call, org.sari, at), coalesced("r-2", roll_call)
        )
    finally:
        unsubscribe()
    assert first.mark == Mark(roll_call.id, org.jari, Status.PRESENT, at, version=1)
    assert first.counts == {(Status.PRESENT, False): 1}
    assert second.counts == {(Status.PRESENT, False): 2}
    # the first redraw waits (no worker took it): it will draw both taps, the second adds none
    queued = await store.outbox.entry_for_key("r-1")
    assert queued is not None
    assert queued.message == coalesced("r-1", roll_call)[0]  # stored whole, payload included
    assert (queued.status, queued.attempts, queued.throttles) == (OutboxStatus.PENDING, 0, 0)
    assert await store.outbox.entry_for_key("r-2") is None
    assert (await store.outbox.counts())[OutboxStatus.PENDING] == 2  # the card and one redraw
    assert [c.person_id for c in await store.rollcall.changes(org.group, DAY)] == [
        org.jari,
        org.sari,
    ]


async def test_a_first_tap_brings_back_the_days_check_out(store: Store) -> None:
    org = await arrange(store)
    morning = await opened(store, org)
    assert morning.id is not None
    left_at = T0 + timedelta(minutes=40)
    await store.rollcall.close(morning, [], T0 + timedelta(minutes=30), org.maija)
    assert await store.rollcall.checkout(*leaving(org, org.jari, left_at))
    afternoon = await opened(store, org, T0 + timedelta(hours=3))
    assert afternoon.id is not None
    at = T0 + timedelta(hours=3, minutes=1)
    back = await store.rollcall.tap(afternoon.id, org.jari, decider(afternoon, org.jari, at))
    assert back.left == Checkout(org.group, DAY, org.jari, left_at)
    stayed = await store.rollcall.tap(afternoon.id, org.sari, decider(afternoon, org.sari, at))
    assert stayed.left is None
    assert back.counts == {(Status.PRESENT, False): 1}
    assert stayed.counts == {(Status.PRESENT, False): 2}


async def test_a_first_tap_in_an_open_roll_call_is_few_statements(store: Store) -> None:
    """PostgreSQL: one statement, its own transaction; SQLite: a short write transaction."""
    org = await arrange(store)
    roll_call = await opened(store, org)
    assert roll_call.id is not None
    seen: list[str] = []

    def record(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        seen.append(statement)

    engine = store.db.engine.sync_engine
    event.listen(engine, "before_cursor_execute", record)
    try:
        tapped = await store.rollcall.tap(
            roll_call.id,
            org.jari,
            decider(roll_call, org.jari, T0 + timedelta(minutes=1)),
            coalesced("r-1", roll_call),
        )
    finally:
        event.remove(engine, "before_cursor_execute", record)
    assert tapped.mark.version == 1
    if store.db.engine.dialect.name == "postgresql":
        assert len(seen) == 1, seen
        return
    # SQLite: no session statement; the lane's write transaction is BEGIN, four statements, COMMIT
    assert seen == []
    lane = store.db.lane
    assert lane is not None
    traced: list[str] = []
    lane.trace(traced.append)
    try:
        again = await store.rollcall.tap(
            roll_call.id,
            org.sari,
            decider(roll_call, org.sari, T0 + timedelta(minutes=1)),
            coalesced("r-2", roll_call),
        )
    finally:
        lane.trace(None)
    assert again.mark.version == 1
    assert again.counts == {(Status.PRESENT, False): 2}
    assert traced[0] == "BEGIN IMMEDIATE"
    assert traced[-1] == "COMMIT"
    assert len(traced) == 6, traced


# --- closing ---------------------------------------------------------------------------------


async def test_close_marks_only_those_without_a_mark_absent(store: Store) -> None:
    org = await arrange(store)
    roll_call = await opened(store, org)
    assert roll_call.id is not None
    await store.rollcall.record(*tap(roll_call, org.jari))
    await store.rollcall.record(
        *tap(roll_call, org.sari, Status.EXCUSED, by=org.maija, reason=Reason.SICK)
    )
    before = await store.rollcall.changes(org.group, DAY)
    at = T0 + timedelta(minutes=30)
    # the caller read the marks before Sari's correction: she is in the list but keeps hers
    absent = await store.rollcall.close(
        roll_call, [org.sari, org.erkki, org.sara], at, org.maija, refresh("closing")
    )
    assert absent == sorted([org.erkki, org.sara])
    marks = await store.rollcall.marks(roll_call.id)
    assert marks[org.sari].status is Status.EXCUSED
    assert marks[org.sari].reason is Reason.SICK
    assert marks[org.jari].status is Status.PRESENT
    for pid in absent:
        assert marks[pid] == Mark(roll_call.id, pid, Status.ABSENT, at, version=1)
    after = await store.rollcall.changes(org.group, DAY)
    added = after[len(before) :]
    assert sorted(c.person_id for c in added) == absent
    assert {(c.before, c.after, c.by, c.at, c.roll_call_id) for c in added} == {
        (None, Status.ABSENT, org.maija, at, roll_call.id)
    }
    assert await store.outbox.entry_for_key("closing") is not None
    fetched = await store.rollcall.get(roll_call.id)
    assert fetched is not None
    assert fetched.closed_at == at
    # the second time: None, nothing written
    again = await store.rollcall.close(
        roll_call, org.clients, at + timedelta(minutes=1), None, refresh("closing-2")
    )
    assert again is None
    assert await store.rollcall.changes(org.group, DAY) == after
    assert await store.outbox.entry_for_key("closing-2") is None
    assert await store.rollcall.get(roll_call.id) == fetched


async def test_a_marked_absence_can_be_changed_by_version(store: Store) -> None:
    org = await arrange(store)
    roll_call = await opened(store, org)
    assert roll_call.id is not None
    await store.rollcall.close(roll_call, [org.erkki], T0 + timedelta(minutes=30), None)
    absent = await store.rollcall.mark_of(roll_call.id, org.erkki)
    assert absent is not None
    late_at = T0 + timedelta(minutes=45)
    late = tap(
        roll_call, org.erkki, Status.LATE, late_at, version=absent.version, before=absent.status
    )
    assert await store.rollcall.record(*late)
    assert await store.rollcall.mark_of(roll_call.id, org.erkki) == replace(late[0], version=2)


async def test_due_to_close(store: Store) -> None:
    org = await arrange(store)
    early = await opened(store, org)  # closes at T0 + 30 min
    later, _ = await store.rollcall.open(
        replace(
            wanted(org.other_group, conversation="19:k@thread.v2"),
            closes_at=T0 + timedelta(hours=1),
        )
    )
    never, _ = await store.rollcall.open(
        replace(wanted(org.group, day=DAY + timedelta(days=1)), closes_at=None)
    )
    assert await store.rollcall.due_to_close(T0 + timedelta(minutes=29)) == []
    assert await store.rollcall.due_to_close(T0 + timedelta(minutes=30)) == [early]
    due = await store.rollcall.due_to_close(T0 + timedelta(days=3))
    assert sorted(r.id or 0 for r in due) == sorted([early.id or 0, later.id or 0])
    assert never.id not in {r.id for r in due}
    await store.rollcall.close(early, [], T0 + timedelta(minutes=31), None)
    assert await store.rollcall.due_to_close(T0 + timedelta(hours=2)) == [later]


# --- check-outs and the audit trail ----------------------------------------------------------


def leaving(org: Org, person_id: int, at: datetime, day: date = DAY) -> tuple[Checkout, Change]:
    return (
        Checkout(org.group, day, person_id, at),
        Change(org.group, day, person_id, at, Status.LEFT_EARLY, by=person_id),
    )


async def test_one_check_out_per_person_and_day(store: Store) -> None:
    org = await arrange(store)
    first_at = T0 + timedelta(hours=2)
    assert await store.rollcall.checkout(*leaving(org, org.jari, first_at), refresh("out-1"))
    assert not await store.rollcall.checkout(
        *leaving(org, org.jari, first_at + timedelta(hours=1)), refresh("out-2")
    )
    assert await store.rollcall.checkout(*leaving(org, org.sari, first_at))
    tomorrow = DAY + timedelta(days=1)
    assert await store.rollcall.checkout(*leaving(org, org.jari, first_at, tomorrow))
    assert await store.rollcall.checkouts(org.group, DAY) == {
        org.jari: Checkout(org.group, DAY, org.jari, first_at),
        org.sari: Checkout(org.group, DAY, org.sari, first_at),
    }
    assert await store.rollcall.checkouts(org.other_group, DAY) == {}
    changes = await store.rollcall.changes(org.group, DAY)
    assert [(c.person_id, c.after) for c in changes] == [
        (org.jari, Status.LEFT_EARLY),
        (org.sari, Status.LEFT_EARLY),
    ]
    assert changes[0].roll_call_id is None
    assert await store.outbox.entry_for_key("out-1") is not None
    assert await store.outbox.entry_for_key("out-2") is None


async def test_racing_check_outs_record_one(store: Store) -> None:
    org = await arrange(store)
    results = await asyncio.gather(
        *(
            store.rollcall.checkout(*leaving(org, org.erkki, T0 + timedelta(minutes=i)))
            for i in range(5)
        )
    )
    assert sorted(results) == [False, False, False, False, True]
    assert len(await store.rollcall.changes(org.group, DAY)) == 1


async def test_changes_come_oldest_first(store: Store) -> None:
    org = await arrange(store)
    roll_call = await opened(store, org)
    # written out of order: the later one first
    await store.rollcall.record(*tap(roll_call, org.sara, at=T0 + timedelta(minutes=5)))
    await store.rollcall.record(*tap(roll_call, org.jari, at=T0 + timedelta(minutes=1)))
    await store.rollcall.checkout(*leaving(org, org.sari, T0 + timedelta(minutes=3)))
    # the same moment: in the order written
    await store.rollcall.close(roll_call, [org.erkki], T0 + timedelta(minutes=5), org.maija)
    changes = await store.rollcall.changes(org.group, DAY)
    assert [(c.person_id, c.at - T0) for c in changes] == [
        (org.jari, timedelta(minutes=1)),
        (org.sari, timedelta(minutes=3)),
        (org.sara, timedelta(minutes=5)),
        (org.erkki, timedelta(minutes=5)),
    ]
    assert all(c.id is not None for c in changes)
    assert [c.id for c in changes if c.at == T0 + timedelta(minutes=5)] == sorted(
        c.id or 0 for c in changes if c.at == T0 + timedelta(minutes=5)
    )
    assert await store.rollcall.changes(org.group, DAY + timedelta(days=1)) == []


# --- cancelling ------------------------------------------------------------------------------


async def test_a_cancelled_roll_call_is_closed_keeps_its_marks_and_takes_no_more(
    store: Store,
) -> None:
    org = await arrange(store)
    roll_call = await opened(store, org)
    assert roll_call.id is not None
    at = T0 + timedelta(minutes=2)
    await store.rollcall.tap(roll_call.id, org.jari, decider(roll_call, org.jari, at))
    cancelled_at = T0 + timedelta(minutes=5)
    assert await store.rollcall.cancel(roll_call.id, cancelled_at, org.maija, refresh("c-1"))
    found = await store.rollcall.get(roll_call.id)
    assert found is not None
    assert (found.cancelled_at, found.cancelled_by, found.closed_at) == (
        cancelled_at,
        org.maija,
        cancelled_at,
    )
    assert found.is_cancelled and not found.is_open
    assert await store.outbox.entry_for_key("c-1") is not None
    # again: nothing changes (the first cancelling stays)
    assert not await store.rollcall.cancel(roll_call.id, T0 + timedelta(minutes=9), org.sari)
    assert await store.rollcall.get(roll_call.id) == found
    # the marks and the audit trail stay; a tap writes nothing, the first or a repeated one
    marks_before = await store.rollcall.marks(roll_call.id)
    changes_before = await store.rollcall.changes(org.group, DAY)
    later = T0 + timedelta(minutes=6)
    for pid in (org.sari, org.jari):
        mark, _, _ = await store.rollcall.tap(roll_call.id, pid, decider(roll_call, pid, later))
        assert mark == marks_before.get(pid)
    assert await store.rollcall.marks(roll_call.id) == marks_before
    assert await store.rollcall.changes(org.group, DAY) == changes_before
    # a new roll call may be opened after it: the cancelled one is not open
    second = await opened(store, org, T0 + timedelta(minutes=10))
    assert second.number == 2


async def test_cancelling_a_closed_roll_call_keeps_its_closing_time(store: Store) -> None:
    org = await arrange(store)
    roll_call = await opened(store, org)
    assert roll_call.id is not None
    closed_at = T0 + timedelta(minutes=30)
    await store.rollcall.close(roll_call, org.clients, closed_at, None)
    assert await store.rollcall.cancel(roll_call.id, T0 + timedelta(hours=1), org.maija)
    found = await store.rollcall.get(roll_call.id)
    assert found is not None and found.closed_at == closed_at and found.is_cancelled
    assert len(await store.rollcall.marks(roll_call.id)) == len(org.clients)


async def test_a_changes_reason_round_trips(store: Store) -> None:
    org = await arrange(store)
    roll_call = await opened(store, org)
    mark, change = tap(roll_call, org.sari, by=org.maija)
    note = "oli paikalla, mutta nappi ei toiminut"
    assert await store.rollcall.record(mark, replace(change, note=note))
    (stored,) = await store.rollcall.changes(org.group, DAY)
    assert stored.note == note and stored.by == org.maija
