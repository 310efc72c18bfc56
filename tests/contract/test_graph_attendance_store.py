"""The copy of Teams' attendance reports and the poll state, on both databases."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import Connection

from bot.orgfile import load_org_file
from domain.graph import AttendeeRecord, Interval, MeetingRef
from domain.reconcile import Copied, MeetingDay, Problem
from store.db import create_engine
from store.graph_attendance import GraphAttendanceRow, GraphMeetingRow
from store.migrate import alembic_config, upgrade
from store.store import Store
from store.tables import Base

DAY = date(2026, 12, 7)
ENDED = datetime(2026, 12, 7, 13, 0, tzinfo=UTC)


async def _group_id(store: Store) -> int:
    await store.org.apply(load_org_file("examples/org.example.yaml"))
    group = (await store.org.all_groups())[0]
    assert group.id is not None
    return group.id


def _record(aad: str | None, minutes: int, email: str | None = None) -> AttendeeRecord:
    joined = ENDED - timedelta(hours=3)
    return AttendeeRecord(
        aad_object_id=aad,
        email=email,
        display_name="Someone",
        role="Attendee",
        total_seconds=minutes * 60,
        intervals=(Interval(joined, joined + timedelta(minutes=minutes), minutes * 60),),
    )


async def test_a_meeting_day_is_polled_once_per_claim(store: Store) -> None:
    gid = await _group_id(store)
    first = ENDED + timedelta(minutes=10)
    stored = await store.graph_attendance.ended(MeetingDay(gid, DAY, ENDED, next_poll_at=first))
    assert stored.polls_done == 0 and stored.ref is None
    assert await store.graph_attendance.due(ENDED) == []
    [due] = await store.graph_attendance.due(first)
    assert await store.graph_attendance.claim(due, first + timedelta(hours=1))
    # a second replica with the same view of the row polls nothing
    assert not await store.graph_attendance.claim(due, first + timedelta(hours=1))
    await store.graph_attendance.set_ref(gid, DAY, MeetingRef("org-1", "MSpMeeting=="))
    await store.graph_attendance.failed(gid, DAY, Problem.FORBIDDEN, 403)
    now = await store.graph_attendance.meeting_day(gid, DAY)
    assert now is not None
    assert now.ref == MeetingRef("org-1", "MSpMeeting==")
    assert (now.polls_done, now.problem, now.status) == (1, Problem.FORBIDDEN, 403)
    assert now.next_poll_at == first + timedelta(hours=1)
    # the last poll leaves no next one
    assert await store.graph_attendance.claim(now, None)
    done = await store.graph_attendance.meeting_day(gid, DAY)
    assert done is not None and done.done
    assert await store.graph_attendance.due(ENDED + timedelta(days=5)) == []
    # the meeting ends again the same day: the polls start over, the Graph id stays
    again = await store.graph_attendance.ended(
        MeetingDay(gid, DAY, ENDED + timedelta(hours=1), next_poll_at=first + timedelta(hours=1))
    )
    assert again.ref == MeetingRef("org-1", "MSpMeeting==")
    assert (again.polls_done, again.problem, again.done) == (0, None, False)


async def test_the_copy_is_replaced_whole_and_read_back(store: Store) -> None:
    gid = await _group_id(store)
    await store.graph_attendance.ended(MeetingDay(gid, DAY, ENDED, next_poll_at=ENDED))
    await store.graph_attendance.failed(gid, DAY, Problem.THROTTLED, 429)
    first = [Copied("r1", _record(f"aad-{n}", n)) for n in range(150)]
    await store.graph_attendance.replace_copy(gid, DAY, first, ENDED)
    assert len(await store.graph_attendance.copy(gid, DAY)) == 150
    meeting = await store.graph_attendance.meeting_day(gid, DAY)
    assert meeting is not None and meeting.fetched_at == ENDED and meeting.problem is None
    # the same person twice in a report, someone by e-mail only, someone with neither
    later = [
        Copied("r1", _record("AAD-1", 30)),
        Copied("r1", _record("aad-1", 15)),
        Copied("r2", _record("aad-1", 5)),
        Copied("r2", _record(None, 7, email="Guest@Example.com")),
        Copied("r2", _record(None, 3)),
    ]
    await store.graph_attendance.replace_copy(gid, DAY, later, ENDED + timedelta(hours=1))
    copy = await store.graph_attendance.copy(gid, DAY)
    assert [(c.report_id, c.record.total_seconds) for c in copy] == [
        ("r1", 45 * 60),
        ("r2", 5 * 60),
        ("r2", 7 * 60),
        ("r2", 3 * 60),
    ]
    assert len(copy[0].record.intervals) == 2
    assert copy[0].record.intervals[0].joined == ENDED - timedelta(hours=3)
    assert copy[2].record.email == "Guest@Example.com"
    assert await store.graph_attendance.copy(gid, DAY + timedelta(days=1)) == []


async def test_aad_ids_of_people(store: Store) -> None:
    await _group_id(store)
    person = await store.org.person_by_upn("anneli.korhonen@example.hel.fi")
    assert person is not None and person.id is not None
    found = await store.graph_attendance.aad_ids([person.id, 999_999])
    assert set(found) <= {person.id}
    if person.aad_object_id:
        assert found == {person.id: person.aad_object_id}


def _diff(connection: Connection) -> list[object]:
    context = MigrationContext.configure(connection)
    return [
        d
        for d in compare_metadata(context, Base.metadata)
        if any(name in repr(d) for name in ("graph_meetings", "graph_attendance"))
    ]


def _downgrade(connection: Connection, revision: str) -> None:
    cfg = alembic_config()
    cfg.attributes["connection"] = connection
    command.downgrade(cfg, revision)


async def test_migration_0013_matches_the_tables_and_goes_down_and_up(database_url: str) -> None:
    engine = create_engine(database_url)
    try:
        async with engine.connect() as conn:
            assert await conn.run_sync(_diff) == []
        async with engine.begin() as conn:
            await conn.run_sync(_downgrade, "0012")
        async with engine.connect() as conn:
            names = await conn.run_sync(
                lambda c: set(c.dialect.get_table_names(c))  # type: ignore[no-untyped-call]
            )
        assert GraphMeetingRow.__tablename__ not in names
        assert GraphAttendanceRow.__tablename__ not in names
        await upgrade(engine)
        async with engine.connect() as conn:
            assert await conn.run_sync(_diff) == []
    finally:
        await engine.dispose()


async def test_the_graph_id_seen_at_the_start_is_kept_for_the_end(store: Store) -> None:
    gid = await _group_id(store)
    await store.graph_attendance.started(gid, DAY, MeetingRef("org-1", "first"))
    await store.graph_attendance.started(gid, DAY, MeetingRef("org-2", "second"))  # kept as is
    started = await store.graph_attendance.meeting_day(gid, DAY)
    assert started is not None
    assert (started.ref, started.ended_at, started.next_poll_at) == (
        MeetingRef("org-1", "first"),
        None,
        None,
    )
    assert await store.graph_attendance.due(ENDED + timedelta(days=1)) == []
    first = ENDED + timedelta(minutes=10)
    ended = await store.graph_attendance.ended(MeetingDay(gid, DAY, ENDED, next_poll_at=first))
    assert (ended.ref, ended.ended_at, ended.next_poll_at) == (
        MeetingRef("org-1", "first"),
        ENDED,
        first,
    )
