"""ReconcileService's polls over a real store on both databases, with a scripted Graph port.

The scripted Graph answers what each test says (a list of reports, records, or a refusal);
the HTTP client itself is tested against the fake Graph server (test_graph_client.py) and the
whole path over HTTP in tests/integration/test_reconcile.py.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from bot.orgfile import load_org_file
from domain.graph import (
    AttendeeRecord,
    GraphProblem,
    GraphUnavailable,
    InstalledChat,
    Interval,
    MeetingRef,
    ReportSummary,
)
from domain.meetings import MeetingDetails
from domain.org import Group
from domain.reconcile import Problem, ReconcileService
from domain.rollcall.attendance import AttendanceRecords
from domain.rollcall.model import FullDayRule
from store.store import Store

ZONE = ZoneInfo("Europe/Helsinki")
DAY = date(2026, 12, 7)
ENDED = datetime(2026, 12, 7, 13, 0, tzinfo=UTC)  # 15.00 in Helsinki
REF = MeetingRef("organizer", "graph-meeting")


class Clock:
    def __init__(self) -> None:
        self.now = ENDED

    def __call__(self) -> datetime:
        return self.now


@dataclass
class ScriptedGraph:
    """The Graph port answering from a script: reports per call, then records."""

    reports_answers: list[list[ReportSummary] | GraphUnavailable] = field(default_factory=list)
    records_of: dict[str, list[AttendeeRecord]] = field(default_factory=dict)
    calls: list[str] = field(default_factory=list)
    slow: float = 0.0

    async def meeting_by_join_url(self, organizer_id: str, join_url: str) -> MeetingRef | None:
        self.calls.append("join_url")
        return None

    async def meeting_of_chat(self, chat_id: str) -> MeetingRef | None:
        self.calls.append("chat")
        return REF if chat_id == "19:meeting" else None

    async def reports(self, meeting: MeetingRef) -> list[ReportSummary]:
        self.calls.append("reports")
        if self.slow:
            await asyncio.sleep(self.slow)
        answer = self.reports_answers.pop(0) if self.reports_answers else []
        if isinstance(answer, GraphUnavailable):
            raise answer
        return answer

    async def records(self, meeting: MeetingRef, report_id: str) -> list[AttendeeRecord]:
        self.calls.append(f"records:{report_id}")
        return self.records_of.get(report_id, [])

    async def install_app(self, user: str) -> InstalledChat:
        raise AssertionError("not used")

    async def close(self) -> None:
        return None


def report(report_id: str, day: date = DAY) -> ReportSummary:
    start = datetime.combine(day, datetime.min.time(), tzinfo=ZONE) + timedelta(hours=9)
    return ReportSummary(report_id, start, start + timedelta(hours=6), 2)


def record(aad: str, minutes: int) -> AttendeeRecord:
    joined = ENDED - timedelta(hours=6)
    left = joined + timedelta(minutes=minutes)
    return AttendeeRecord(
        aad, None, "x", "Attendee", minutes * 60, (Interval(joined, left, minutes * 60),)
    )


async def group(store: Store) -> Group:
    await store.org.apply(load_org_file("examples/org.example.yaml"))
    found = (await store.org.all_groups())[0]
    assert found.id is not None
    return found


def service(
    store: Store, graph: ScriptedGraph | None, clock: Clock, details: MeetingDetails | None
) -> ReconcileService:
    async def details_of(group_id: int) -> MeetingDetails | None:
        return details

    async def chat_of(group_id: int) -> str | None:
        return "19:meeting"

    async def no_end(g: Group, d: date) -> datetime | None:
        return None

    return ReconcileService(
        store.graph_attendance,
        graph,
        store.org,
        AttendanceRecords(store.rollcall, FullDayRule.FIRST_AND_LAST, None, clock),
        details_of=details_of,
        chat_of=chat_of,
        day_end=no_end,
        clock=clock,
    )


async def test_an_empty_list_waits_and_a_later_report_is_copied(store: Store) -> None:
    g = await group(store)
    assert g.id is not None
    clock = Clock()
    graph = ScriptedGraph(
        reports_answers=[[], [report("old", DAY - timedelta(days=7)), report("r1")]],
        records_of={"r1": [record("a", 30), record("b", 5)], "old": [record("a", 300)]},
    )
    recon = service(store, graph, clock, MeetingDetails("graph-meeting", "organizer", None))
    ended = await recon.meeting_ended(g.id)
    assert ended is not None and ended.day == DAY
    assert (await store.graph_attendance.meeting_day(g.id, DAY)).ref == REF  # type: ignore[union-attr]
    assert await recon.poll_due() == 0  # not due yet
    clock.now = ENDED + timedelta(minutes=10)
    assert await recon.poll_due() == 1
    note = await recon.note(g, DAY)
    assert note is not None and note.waiting and note.problem is None
    clock.now = ENDED + timedelta(hours=1)
    assert await recon.poll_due() == 1
    copy = await store.graph_attendance.copy(g.id, DAY)
    assert sorted(c.record.aad_object_id or "" for c in copy) == ["a", "b"]
    assert "records:old" not in graph.calls  # another day's session is not read
    note = await recon.note(g, DAY)
    assert note is not None and not note.waiting and note.problem is None


async def test_a_refusal_is_kept_retried_and_cleared_by_a_later_success(store: Store) -> None:
    g = await group(store)
    assert g.id is not None
    clock = Clock()
    graph = ScriptedGraph(
        reports_answers=[
            GraphUnavailable(GraphProblem.THROTTLED, 429),
            [report("r1")],
        ],
        records_of={"r1": [record("a", 30)]},
    )
    # no Graph id from Teams: found through the meeting chat at the first poll
    recon = service(store, graph, clock, None)
    await recon.meeting_ended(g.id)
    assert graph.calls == []  # nothing asked of Graph within the meeting's end
    clock.now = ENDED + timedelta(minutes=10)
    await recon.poll_due()
    stored = await store.graph_attendance.meeting_day(g.id, DAY)
    assert stored is not None and stored.ref == REF
    assert (stored.problem, stored.status) == (Problem.THROTTLED, 429)
    note = await recon.note(g, DAY)
    assert note is not None and note.problem is Problem.THROTTLED
    clock.now = ENDED + timedelta(hours=1)
    await recon.poll_due()
    stored = await store.graph_attendance.meeting_day(g.id, DAY)
    assert stored is not None and stored.problem is None and stored.fetched_at is not None


async def test_after_the_last_poll_no_report_is_a_problem_and_polling_stops(store: Store) -> None:
    g = await group(store)
    assert g.id is not None
    clock = Clock()
    graph = ScriptedGraph()
    recon = service(store, graph, clock, MeetingDetails("graph-meeting", "organizer", None))
    await recon.meeting_ended(g.id)
    for moment in (timedelta(minutes=10), timedelta(hours=1), timedelta(hours=20)):
        clock.now = ENDED + moment
        assert await recon.poll_due() == 1
    stored = await store.graph_attendance.meeting_day(g.id, DAY)
    assert stored is not None and stored.done and stored.problem is Problem.NO_REPORT
    clock.now = ENDED + timedelta(days=3)
    assert await recon.poll_due() == 0
    assert graph.calls.count("reports") == 3


async def test_two_replicas_polling_at_once_poll_once(store: Store) -> None:
    g = await group(store)
    assert g.id is not None
    clock = Clock()
    graph = ScriptedGraph(reports_answers=[[report("r1")], [report("r1")]], slow=0.1)
    details = MeetingDetails("graph-meeting", "organizer", None)
    one, two = service(store, graph, clock, details), service(store, graph, clock, details)
    await one.meeting_ended(g.id)
    clock.now = ENDED + timedelta(minutes=10)
    done = await asyncio.gather(one.poll_due(), two.poll_due())
    assert sorted(done) == [0, 1]
    assert graph.calls.count("reports") == 1


async def test_without_graph_nothing_is_stored_or_said(store: Store) -> None:
    g = await group(store)
    assert g.id is not None
    recon = service(store, None, Clock(), None)
    assert await recon.meeting_ended(g.id) is None
    assert await recon.poll_due() == 0
    assert await recon.note(g, DAY) is None
    assert await recon.suggestions(g, DAY) == ()
    assert await store.graph_attendance.meeting_day(g.id, DAY) is None
