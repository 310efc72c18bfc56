"""bot/graph.py (msgraph-sdk) against the fake Graph server: the calls, paging and failures."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from bot.graph import build_graph
from bot.settings import Settings
from domain.graph import (
    AttendeeRecord,
    Graph,
    GraphProblem,
    GraphUnavailable,
    Interval,
    MeetingRef,
)
from tests.fakes.graph import FakeGraph, attendance_record

ORGANIZER = "0f3a0000-0000-0000-0000-00000000c0de"
MEETING = "MSo0ZjNhMDAwMC1tZWV0aW5nLWlk"
CHAT = "19:meeting_Njg4ZTk5NDEtZGQ0ZS00@thread.v2"
JOIN_URL = (
    "https://teams.microsoft.com/l/meetup-join/19%3ameeting_Njg4ZTk5NDEtZGQ0ZS00%40thread.v2/0"
    "?context=%7b%22Tid%22%3a%22aa%22%2c%22Oid%22%3a%220f3a%22%7d"
)
CATALOG_APP = "8c2f5a1e-0000-0000-0000-00000000a991"
START = datetime(2026, 12, 7, 7, 0, tzinfo=UTC)
END = START + timedelta(hours=3)
REF = MeetingRef(ORGANIZER, MEETING)


def graph_settings(fake: FakeGraph, **changes: object) -> Settings:
    """Graph switched on against the fake."""
    settings = Settings(
        graph_enabled=True,
        graph_tenant_id="aa",
        graph_client_id="bb",
        graph_client_secret="not-used-with-a-test-credential",
        graph_base_url=fake.url,
        teams_app_catalog_id=CATALOG_APP,
    )
    return replace(settings, **changes)  # type: ignore[arg-type]


@pytest.fixture
async def fake() -> AsyncIterator[FakeGraph]:
    async with FakeGraph() as server:
        server.add_meeting(ORGANIZER, MEETING, JOIN_URL, chat_id=CHAT)
        yield server


@pytest.fixture
async def graph(fake: FakeGraph) -> AsyncIterator[Graph]:
    client = build_graph(graph_settings(fake), fake.credential)
    assert client is not None
    try:
        yield client
    finally:
        await client.close()


def people(n: int) -> list[dict[str, object]]:
    return [
        attendance_record(
            f"aad-{i:03d}",
            f"Asiakas {i}",
            [(START + timedelta(minutes=i % 30), END - timedelta(minutes=i % 7))],
            email=f"asiakas{i}@example.fi",
        )
        for i in range(n)
    ]


async def test_graph_is_off_unless_enabled() -> None:
    assert build_graph(Settings()) is None
    assert build_graph(Settings(graph_enabled=False, graph_client_id="x")) is None


async def test_every_request_carries_the_bearer_token_for_graphs_default_scope(
    fake: FakeGraph, graph: Graph
) -> None:
    await graph.reports(REF)

    assert [r.authorization for r in fake.requests] == [f"Bearer {fake.token}"]
    assert fake.credential.scopes == [("https://graph.microsoft.com/.default",)]


async def test_records_follow_next_link_over_three_pages(fake: FakeGraph, graph: Graph) -> None:
    fake.add_report(MEETING, "report-1", START, END, people(120))

    records = await graph.records(REF, "report-1")

    assert [r.aad_object_id for r in records] == [f"aad-{i:03d}" for i in range(120)]
    pages = fake.requests_to("/attendanceRecords")
    assert [r.query.get("$skiptoken") for r in pages] == [None, "50", "100"]
    assert all(r.status == 200 for r in pages)


async def test_a_record_keeps_identity_role_total_and_every_interval(
    fake: FakeGraph, graph: Graph
) -> None:
    joined, left = START + timedelta(minutes=2), START + timedelta(minutes=12)
    back, gone = START + timedelta(minutes=40), START + timedelta(minutes=95)
    fake.add_report(
        MEETING,
        "report-1",
        START,
        END,
        [
            attendance_record(
                "aad-1", "Jari", [(joined, left), (back, gone)], email="jari@example.fi"
            ),
            attendance_record(None, "Guest", [(joined, left)], role="Presenter"),
        ],
    )

    records = await graph.records(REF, "report-1")

    assert records[0] == AttendeeRecord(
        aad_object_id="aad-1",
        email="jari@example.fi",
        display_name="Jari",
        role="Attendee",
        total_seconds=600 + 55 * 60,
        intervals=(Interval(joined, left, 600), Interval(back, gone, 55 * 60)),
    )
    assert records[1].aad_object_id is None and records[1].role == "Presenter"


async def test_reports_are_listed_with_their_session_times(fake: FakeGraph, graph: Graph) -> None:
    fake.add_report(MEETING, "report-1", START, END, people(3))
    fake.add_report(
        MEETING, "report-2", START + timedelta(days=1), END + timedelta(days=1), people(2)
    )

    reports = await graph.reports(REF)

    assert [(r.report_id, r.started, r.ended, r.participants) for r in reports] == [
        ("report-2", START + timedelta(days=1), END + timedelta(days=1), 2),
        ("report-1", START, END, 3),
    ]


async def test_a_running_meeting_has_no_reports_yet(graph: Graph) -> None:
    assert await graph.reports(REF) == []


async def test_no_application_access_policy_is_forbidden_at_once(
    fake: FakeGraph, graph: Graph
) -> None:
    fake.forbid(ORGANIZER)

    with pytest.raises(GraphUnavailable) as caught:
        await graph.reports(REF)

    assert caught.value.problem is GraphProblem.FORBIDDEN
    assert caught.value.status == 403
    assert "Application is not allowed" in caught.value.detail
    assert len(fake.requests) == 1


async def test_an_unknown_meeting_or_report_is_not_found_at_once(
    fake: FakeGraph, graph: Graph
) -> None:
    with pytest.raises(GraphUnavailable) as meeting:
        await graph.reports(MeetingRef(ORGANIZER, "no-such-meeting"))
    with pytest.raises(GraphUnavailable) as report:
        await graph.records(REF, "no-such-report")

    assert meeting.value.problem is GraphProblem.NOT_FOUND and meeting.value.status == 404
    assert report.value.problem is GraphProblem.NOT_FOUND
    assert len(fake.requests) == 2


async def test_a_meeting_is_found_by_its_join_url_under_the_organizer(
    fake: FakeGraph, graph: Graph
) -> None:
    assert await graph.meeting_by_join_url(ORGANIZER, JOIN_URL) == REF
    assert await graph.meeting_by_join_url(ORGANIZER, JOIN_URL + "x") is None
    assert await graph.meeting_by_join_url("someone-else", JOIN_URL) is None

    asked = fake.requests[0]
    assert asked.path == f"/v1.0/users/{ORGANIZER}/onlineMeetings"
    assert asked.query == {"$filter": f"JoinWebUrl eq '{JOIN_URL}'"}


async def test_a_quote_in_the_join_url_is_doubled_in_the_filter(
    fake: FakeGraph, graph: Graph
) -> None:
    odd = "https://teams.microsoft.com/l/meetup-join/x/0?context=it's"
    fake.add_meeting(ORGANIZER, "other-meeting", odd)

    assert await graph.meeting_by_join_url(ORGANIZER, odd) == MeetingRef(ORGANIZER, "other-meeting")
    assert (
        fake.requests[0].query["$filter"]
        == "JoinWebUrl eq 'https://teams.microsoft.com/l/meetup-join/x/0?context=it''s'"
    )


async def test_the_meeting_of_a_meeting_chat(fake: FakeGraph, graph: Graph) -> None:
    fake.add_chat("19:plain-group@thread.v2")

    assert await graph.meeting_of_chat(CHAT) == REF
    assert await graph.meeting_of_chat("19:plain-group@thread.v2") is None
    with pytest.raises(GraphUnavailable) as unknown:
        await graph.meeting_of_chat("19:unknown@thread.v2")
    assert unknown.value.problem is GraphProblem.NOT_FOUND


async def test_installing_the_app_gives_the_personal_chat(fake: FakeGraph, graph: Graph) -> None:
    fake.add_catalog_app(CATALOG_APP)
    fake.add_user("aad-jari", "jari@example.fi")

    chat = await graph.install_app("jari@example.fi")

    assert chat.chat_id == fake.installed("aad-jari") == fake.installed("jari@example.fi")
    post = fake.requests_to("/teamwork/installedApps")[0]
    assert post.method == "POST" and post.status == 201
    bind = post.json["teamsApp@odata.bind"]
    assert bind == f"{fake.url}/appCatalogs/teamsApps/{CATALOG_APP}"
    listed = fake.requests_to("/teamwork/installedApps")[1]
    assert listed.query == {"$expand": "teamsApp", "$filter": f"teamsApp/id eq '{CATALOG_APP}'"}


async def test_an_app_installed_already_is_fine(fake: FakeGraph, graph: Graph) -> None:
    chat_id = fake.install_for("aad-jari", CATALOG_APP)

    chat = await graph.install_app("aad-jari")

    assert chat.chat_id == chat_id
    assert [r.status for r in fake.requests] == [409, 200, 200]


async def test_an_app_not_in_the_catalog_is_not_found(fake: FakeGraph, graph: Graph) -> None:
    with pytest.raises(GraphUnavailable) as caught:
        await graph.install_app("aad-jari")

    assert caught.value.problem is GraphProblem.NOT_FOUND
    assert fake.installed("aad-jari") is None


async def test_installing_without_a_catalog_id_asks_nothing(fake: FakeGraph) -> None:
    graph = build_graph(graph_settings(fake, teams_app_catalog_id=""), fake.credential)
    assert graph is not None
    try:
        with pytest.raises(GraphUnavailable) as caught:
            await graph.install_app("aad-jari")
    finally:
        await graph.close()

    assert caught.value.problem is GraphProblem.NOT_FOUND
    assert fake.requests == []
