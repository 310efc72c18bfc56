"""Group days, plans and schedules on SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
from dataclasses import replace
from datetime import date

import pytest

from bot.orgfile import load_org_file
from bot.planfile import load_plan_file
from domain import days as d
from domain.agenda import DayExists
from domain.errors import ConcurrentUpdate
from domain.org import Language
from domain.outbox import OutboxMessage
from domain.plans import PlanFileInvalid
from domain.templates import template
from store.store import Store

ON = date(2026, 12, 3)


async def a_group_id(store: Store) -> int:
    await store.org.apply(load_org_file("examples/org.example.yaml"))
    group = next(g for g in await store.org.all_groups() if g.key == "it-torstai")
    assert group.id is not None
    return group.id


async def test_day_round_trip_and_one_day_per_group_and_date(store: Store) -> None:
    group_id = await a_group_id(store)
    day = d.place_plan(
        template("youth-day", Language.FI), group_id, ON, "Europe/Helsinki", Language.FI
    )
    stored = await store.days.add(day, [])
    assert stored.id is not None
    assert stored.version == 1
    again = await store.days.get(stored.id)
    assert again == stored
    assert again.items == day.items
    with pytest.raises(DayExists):
        await store.days.add(day, [])
    assert await store.days.for_group_on(group_id, ON) == stored


async def test_save_is_compare_and_set_and_commits_messages_with_the_day(store: Store) -> None:
    group_id = await a_group_id(store)
    day = await store.days.add(
        d.place_plan(
            template("remote-cafe", Language.FI), group_id, ON, "Europe/Helsinki", Language.FI
        ),
        [],
    )
    started = d.start(day, day.starts)
    message = OutboxMessage(key=f"day:{day.id}:agenda", conversation_id="19:x", text="ohjelma")
    saved = await store.days.save(started, [message])
    assert saved.version == 2
    with pytest.raises(ConcurrentUpdate):
        await store.days.save(started, [replace(message, key="other")])
    entry = await store.outbox.entry_for_key(f"day:{day.id}:agenda")
    assert entry is not None
    assert await store.outbox.entry_for_key("other") is None
    # the same message key again does not break the day's save
    await store.days.save(saved, [message])
    assert (await store.days.get(day.id or 0)).version == 3  # type: ignore[union-attr]


async def test_racing_saves_of_one_day_one_wins(store: Store) -> None:
    group_id = await a_group_id(store)
    day = await store.days.add(
        d.place_plan(
            template("remote-cafe", Language.FI), group_id, ON, "Europe/Helsinki", Language.FI
        ),
        [],
    )
    results = await asyncio.gather(
        *(store.days.save(d.start(day, day.starts), []) for _ in range(5)),
        return_exceptions=True,
    )
    assert sum(1 for r in results if not isinstance(r, Exception)) == 1
    assert all(isinstance(r, ConcurrentUpdate) for r in results if isinstance(r, Exception))


async def test_open_days_and_versions(store: Store) -> None:
    group_id = await a_group_id(store)
    plan = template("remote-cafe", Language.FI)
    first = await store.days.add(
        d.place_plan(plan, group_id, ON, "Europe/Helsinki", Language.FI), []
    )
    await store.days.add(
        d.cancel(d.place_plan(plan, group_id, date(2026, 12, 4), "Europe/Helsinki", Language.FI)),
        [],
    )
    assert [x.id for x in await store.days.open_days(date(2026, 12, 1), date(2026, 12, 5))] == [
        first.id
    ]
    assert await store.days.open_day_versions(date(2026, 12, 1), date(2026, 12, 5)) == {first.id: 1}


async def test_plan_file_import_and_unknown_groups(store: Store, tmp_path: object) -> None:
    await a_group_id(store)
    plan_file = load_plan_file("examples/plans.example.yaml")
    counts = await store.plans.apply(plan_file)
    assert counts["plans"] == len(plan_file.plans)
    assert counts["schedules"] == len(plan_file.schedules)
    assert {p.key for p in await store.plans.plans()} == {p.key for p in plan_file.plans}
    stored = await store.plans.schedules()
    assert len(stored) == len(plan_file.schedules)
    # importing again replaces, not duplicates
    await store.plans.apply(plan_file)
    assert len(await store.plans.schedules()) == len(plan_file.schedules)
    bad = replace(
        plan_file,
        schedules=(replace(plan_file.schedules[0], group_key="no-such-group", line=42),),
    )
    with pytest.raises(PlanFileInvalid) as caught:
        await store.plans.apply(bad)
    assert caught.value.errors[0].line == 42
    assert len(await store.plans.schedules()) == len(plan_file.schedules)


async def test_save_many_saves_fresh_days_and_leaves_stale_ones(store: Store) -> None:
    group_id = await a_group_id(store)
    plan = template("remote-cafe", Language.FI)
    first = await store.days.add(
        d.place_plan(plan, group_id, ON, "Europe/Helsinki", Language.FI), []
    )
    second = await store.days.add(
        d.place_plan(plan, group_id, date(2026, 12, 4), "Europe/Helsinki", Language.FI), []
    )
    await store.days.save(d.start(second, second.starts), [])  # someone else moved it on
    saved = await store.days.save_many(
        [
            (
                d.start(first, first.starts),
                [OutboxMessage(key="a", conversation_id="19:x", text="a")],
            ),
            (
                d.start(second, second.starts),
                [OutboxMessage(key="b", conversation_id="19:x", text="b")],
            ),
        ]
    )
    assert saved == [True, False]
    assert await store.outbox.entry_for_key("a") is not None
    assert await store.outbox.entry_for_key("b") is None


async def test_get_many_reads_the_days_that_exist_in_one_go(store: Store) -> None:
    group_id = await a_group_id(store)
    plan = template("remote-cafe", Language.FI)
    days = [
        await store.days.add(
            d.place_plan(plan, group_id, date(2026, 12, n), "Europe/Helsinki", Language.FI), []
        )
        for n in (3, 4, 5)
    ]
    ids = [day.id for day in days if day.id is not None]
    found = await store.days.get_many([ids[2], ids[0], 999_999])
    assert sorted(found, key=lambda day: day.id or 0) == [days[0], days[2]]
    assert await store.days.get_many([]) == []
