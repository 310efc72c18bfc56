"""Retention on SQLite and PostgreSQL: the clock moved past each data type's limit removes
exactly the rows past it and keeps the rest, in every table."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import Column, Date, Integer, MetaData, String, Table, func, select

from domain.retention import Limits, years_after
from store.retention import REGISTRY, Scope, SqlRetention, as_attendance_by_aad, unclassified
from store.store import Store
from store.tables import Base
from tests.contract.seed_all import NEW, Seeded, seed

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
LIMITS = Limits()


def test_every_table_and_every_column_naming_a_person_has_a_rule() -> None:
    assert unclassified() == []


def test_a_table_without_a_rule_is_named() -> None:
    rule = REGISTRY.pop("outbox")
    try:
        assert unclassified() == ["outbox"]
    finally:
        REGISTRY["outbox"] = rule


def test_a_column_naming_a_person_without_a_rule_is_named() -> None:
    rule = REGISTRY["help_requests"]
    REGISTRY["help_requests"] = type(rule)(
        rule.kind, rule.due, rule.moment, {"person_id": rule.person["person_id"]}
    )
    try:
        assert unclassified() == ["help_requests.taken_by", "help_requests.resolved_by"]
    finally:
        REGISTRY["help_requests"] = rule


async def remaining(store: Store, rows: list[Seeded]) -> set[tuple[str, tuple[object, ...]]]:
    found: set[tuple[str, tuple[object, ...]]] = set()
    async with store.db.read() as s:
        for name in {r.table for r in rows}:
            t = Base.metadata.tables[name]
            for row in (await s.execute(select(*t.primary_key))).all():
                found.add((name, tuple(row)))
    return found


async def backs(store: Store) -> list[tuple[date, dict[str, list[int]]]]:
    days = Base.metadata.tables["group_days"]
    async with store.db.read() as s:
        return [tuple(r) for r in (await s.execute(select(days.c.date, days.c.backs))).all()]  # type: ignore[misc]


async def test_every_table_is_seeded(store: Store) -> None:
    world = await seed(store, T0, LIMITS)
    assert set(Base.metadata.tables) - {r.table for r in world.rows} == set()


async def test_the_clock_moved_past_each_limit_removes_exactly_the_rows_past_it(
    store: Store,
) -> None:
    world = await seed(store, T0, LIMITS)
    retention = SqlRetention(store.db, LIMITS)
    seeded = {(r.table, r.key) for r in world.rows}
    assert await remaining(store, world.rows) >= seeded
    steps = [
        T0 + timedelta(hours=1),
        T0 + timedelta(days=1, hours=1),  # export links
        T0 + timedelta(hours=49),  # handled activity ids
        T0 + timedelta(days=30, hours=1),  # dialog state, outbox
        T0 + timedelta(days=90, hours=1),  # digest marks
        T0 + timedelta(days=365, hours=1),  # feedback, help, the guide
        T0 + NEW + timedelta(days=366),  # the newer rows of all of them
        datetime(2036, 3, 2, 12, 0, tzinfo=UTC),  # the last day Erkki's attendance is kept
        datetime(2036, 3, 3, 0, 30, tzinfo=UTC),  # the day after: gone; the audit entry too
        datetime(2060, 1, 1, tzinfo=UTC),  # far on: Jari's service has not ended
    ]
    for now in steps:
        expected_gone = {(r.table, r.key) for r in world.rows if r.expires and r.expires < now}
        before = await remaining(store, world.rows)
        due = await retention.due(now)
        going = Counter(t for t, _ in (before & seeded) - (seeded - expected_gone))
        assert {t: n for t, n in due.items() if n and "." not in t} == dict(going), now
        # the days' "I'm back" taps go after the dialog retention; the days stay
        taps = [d for d in await backs(store) if d[1] and d[0] < (now - timedelta(days=30)).date()]
        assert due["group_days.backs"] == len(taps), now
        await retention.purge(now)
        # the purge's own audit entry is kept as long as any other
        audit = Base.metadata.tables["audit_log"]
        async with store.db.read() as s:
            newest = (await s.execute(select(func.max(audit.c.id)))).scalar_one()
        entry = Seeded(
            "audit_log", (newest,), datetime.combine(years_after(now.date(), 10), now.timetz())
        )
        # (SQLite may give it the number of a removed one)
        world.rows = [r for r in world.rows if (r.table, r.key) != (entry.table, entry.key)]
        world.rows.append(entry)
        ever = seeded | {(entry.table, entry.key)}
        seeded = (seeded - expected_gone) | {(entry.table, entry.key)}
        after = await remaining(store, world.rows)
        assert after & ever == seeded, now
    # what is never purged by age: the organisation, roll calls, rounds, pending messages, Jari
    left = {t for t, _ in await remaining(store, world.rows) & seeded}
    assert left == {
        "units",
        "groups",
        "people",
        "memberships",
        "conversations",
        "app_secrets",
        "plans",
        "weekly_schedules",
        "group_days",
        "roll_calls",
        "feedback_rounds",
        "feedback_settings",
        "attendance_marks",
        "attendance_checkouts",
        "attendance_changes",
        "graph_attendance",  # Jari's copy of Teams' report, as his attendance
        "outbox",
        "audit_log",  # the last purge's own entry
    }
    assert [b for _, b in await backs(store)] == [{}, {}]
    jari = world.people["jari"]
    marks = Base.metadata.tables["attendance_marks"]
    async with store.db.read() as s:
        owners = set((await s.execute(select(marks.c.person_id))).scalars())
    assert owners == {jari}


async def test_feedback_rounds_keep_their_counts_when_the_answers_go(store: Store) -> None:
    world = await seed(store, T0, LIMITS)
    retention = SqlRetention(store.db, LIMITS)
    await retention.purge(T0 + timedelta(days=366))
    rounds = Base.metadata.tables["feedback_rounds"]
    async with store.db.read() as s:
        summaries = dict((await s.execute(select(rounds.c.id, rounds.c.summary))).all())
    assert summaries[world.rounds["old"]] == {
        "asked": 2,
        "answered": 2,
        "scores": {"2": 1, "4": 1},
        "texts": {"idea": 1},
    }
    assert summaries[world.rounds["new"]] is None


async def test_retention_report_counts_per_type_and_the_oldest_kept(store: Store) -> None:
    await seed(store, T0, LIMITS)
    retention = SqlRetention(store.db, LIMITS)
    now = T0 + timedelta(days=31)
    report = {r.kind.value: r for r in await retention.report(now)}
    assert report["outbox"].due == 2  # the old sent one and the old dead letter
    assert report["dialog"].tables == {"dialog_state": 2, "group_days.backs": 1}
    assert report["dialog"].due == 3
    assert report["feedback"].due == 0
    assert report["attendance"].due == 0
    # the oldest is a meeting's day of Teams' attendance report, counted from its midnight
    assert report["attendance"].oldest_kept == datetime.combine(T0.date(), time(), UTC)
    assert report["outbox"].oldest_kept == T0  # the pending message stays
    assert "10 years after the client's service ended" in report["attendance"].rule


async def test_the_nightly_purge_runs_once_a_local_day_after_its_hour(store: Store) -> None:
    retention = SqlRetention(store.db, LIMITS)
    # 00:30 UTC is 02:30 in Helsinki: not yet; 01:05 UTC is 03:05: due, then not again that day
    assert LIMITS.purge_due(datetime(2026, 12, 8, 0, 30, tzinfo=UTC), None) is None
    night = datetime(2026, 12, 8, 1, 5, tzinfo=UTC)
    assert LIMITS.purge_due(night, None) is not None
    await retention.purge(night)
    last = await retention.last_purge()
    assert last == night


async def test_the_leaders_job_purges_once_a_night_across_restarts(store: Store) -> None:
    from bot.features.retention import NightlyPurge

    world = await seed(store, T0, LIMITS)
    now = [datetime(2026, 12, 8, 0, 30, tzinfo=UTC)]  # 02:30 in Helsinki

    def clock() -> datetime:
        return now[0]

    def job() -> NightlyPurge:  # a new one each time: as after a restart or on a new leader
        return NightlyPurge(SqlRetention(store.db, LIMITS), clock)

    assert await job().run() is None
    now[0] = datetime(2026, 12, 8, 1, 5, tzinfo=UTC)  # 03:05
    removed = await job().run()
    assert removed is not None and removed["outbox"] == 4
    now[0] = datetime(2026, 12, 8, 21, 55, tzinfo=UTC)  # 23:55 the same day
    assert await job().run() is None
    now[0] = datetime(2026, 12, 9, 1, 1, tzinfo=UTC)  # the next night
    assert await job().run() == {name: 0 for name in removed}
    assert world.rows


async def test_copies_matched_by_aad_go_with_the_clients_attendance_or_after_their_day(
    store: Store,
) -> None:
    """as_attendance_by_aad, for a copy of attendance kept by AAD object id (a Graph report)."""
    world = await seed(store, T0, LIMITS)
    copies = Table(
        "copies_test",
        MetaData(),
        Column("id", Integer, primary_key=True),
        Column("aad", String(36)),
        Column("day", Date),
    )
    async with store.db.engine.begin() as conn:
        await conn.run_sync(copies.metadata.create_all)
        await conn.execute(
            copies.insert(),
            [
                {"id": 1, "aad": "11111111-1111-1111-1111-111111111111", "day": T0.date()},
                {"id": 2, "aad": "22222222-2222-2222-2222-222222222222", "day": T0.date()},
                {"id": 3, "aad": "99999999-9999-9999-9999-999999999999", "day": (T0 + NEW).date()},
                {"id": 4, "aad": None, "day": (T0 + NEW).date()},
            ],
        )
    due = as_attendance_by_aad("aad", "day")

    async def going(now: datetime) -> list[int]:
        async with store.db.read() as s:
            where = due(copies, Scope(now, LIMITS))
            return list(
                (await s.execute(select(copies.c.id).where(where).order_by(copies.c.id))).scalars()
            )

    assert await going(datetime(2036, 3, 2, 12, tzinfo=UTC)) == []
    # Erkki's service ended on T0's day: his copy goes with his attendance
    assert await going(datetime(2036, 3, 3, 0, 30, tzinfo=UTC)) == [1]
    # a guest's copies go ten years after their day; Jari's stay while his service lasts
    assert await going(datetime(2036, 9, 19, 12, tzinfo=UTC)) == [1, 3, 4]
    assert await going(datetime(2060, 1, 1, tzinfo=UTC)) == [1, 3, 4]
    assert world.people["jari"]
