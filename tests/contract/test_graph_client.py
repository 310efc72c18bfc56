"""bot/graph.py (msgraph-sdk) against the fake Graph server: the calls, paging and failures."""

from __future__ import annotations

import logging
import os
import subprocess
import sys
import time
from collections.abc import AsyncIterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bot.graph import MsGraph, build_graph, scope_of
from bot.settings import Settings
from domain.graph import (
    AttendeeRecord,
    Graph,
    GraphProblem,
    GraphUnavailable,
    Interval,
    MeetingRef,
)
from tests.fakes.graph import FakeGraph, StaticTokenCredential, attendance_record
from tests.integration.harness import free_port

ROOT = Path(__file__).resolve().parents[2]
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


async def test_graph_without_a_test_credential_signs_in_with_the_client_secret() -> None:
    settings = Settings(
        graph_enabled=True,
        graph_tenant_id="aa",
        graph_client_id="bb",
        graph_client_secret="cc",
    )
    graph = build_graph(settings)
    assert isinstance(graph, MsGraph)
    await graph.close()
    await graph.close()
    assert graph.closed


def test_the_token_scope_follows_the_graph_address() -> None:
    assert scope_of("https://graph.microsoft.com/v1.0") == "https://graph.microsoft.com/.default"
    assert scope_of("https://graph.microsoft.us/v1.0") == "https://graph.microsoft.us/.default"
    assert scope_of("http://127.0.0.1:8123/v1.0") == "https://graph.microsoft.com/.default"


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
    assert caught.value.detail == "General: No application access policy found for this app."
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


# --- retries within limits ------------------------------------------------------------------


async def test_throttled_once_with_retry_after_then_answered(fake: FakeGraph, graph: Graph) -> None:
    fake.add_report(MEETING, "report-1", START, END, people(2))
    fake.fail_next("/attendanceReports", 429, retry_after=1)
    started = time.monotonic()

    reports = await graph.reports(REF)

    assert [r.report_id for r in reports] == ["report-1"]
    asked = fake.requests_to("/attendanceReports")
    assert [r.status for r in asked] == [429, 200]
    assert asked[1].timestamp - asked[0].timestamp >= 0.95  # Retry-After honoured
    assert time.monotonic() - started < 5


async def test_throttled_on_a_later_page_goes_on_from_that_page(
    fake: FakeGraph, graph: Graph
) -> None:
    fake.add_report(MEETING, "report-1", START, END, people(120))
    fake.fail_next("$skiptoken=50", 429, retry_after=1)

    records = await graph.records(REF, "report-1")

    assert [r.aad_object_id for r in records] == [f"aad-{i:03d}" for i in range(120)]
    asked = [(r.query.get("$skiptoken"), r.status) for r in fake.requests]
    assert asked == [(None, 200), ("50", 429), ("50", 200), ("100", 200)]


async def test_throttled_for_ever_ends_throttled_after_three_tries(
    fake: FakeGraph, graph: Graph
) -> None:
    fake.fail_next("/attendanceReports", 429, retry_after=1, times=None)
    started = time.monotonic()

    with pytest.raises(GraphUnavailable) as caught:
        await graph.reports(REF)

    assert caught.value.problem is GraphProblem.THROTTLED and caught.value.status == 429
    assert len(fake.requests) == 3  # the SDK's own retry handler does not multiply them
    assert 1.9 <= time.monotonic() - started < 10


async def test_a_retry_after_beyond_the_limit_is_not_waited_for(
    fake: FakeGraph, graph: Graph
) -> None:
    fake.fail_next("/attendanceReports", 429, retry_after=120)
    started = time.monotonic()

    with pytest.raises(GraphUnavailable) as caught:
        await graph.reports(REF)

    assert caught.value.problem is GraphProblem.THROTTLED
    assert len(fake.requests) == 1
    assert time.monotonic() - started < 5


@pytest.mark.parametrize("status", [500, 502, 503, 504])
async def test_a_server_error_once_is_tried_again(
    fake: FakeGraph, graph: Graph, status: int
) -> None:
    fake.add_report(MEETING, "report-1", START, END, people(2))
    fake.fail_next("/attendanceRecords", status)

    records = await graph.records(REF, "report-1")

    assert len(records) == 2
    assert [r.status for r in fake.requests] == [status, 200]


async def test_a_server_error_for_ever_ends_as_a_server_problem(
    fake: FakeGraph, graph: Graph
) -> None:
    fake.fail_next("/chats/", 503, times=None)

    with pytest.raises(GraphUnavailable) as caught:
        await graph.meeting_of_chat(CHAT)

    assert caught.value.problem is GraphProblem.SERVER and caught.value.status == 503
    assert len(fake.requests) == 3


async def test_a_graph_that_does_not_answer_ends_within_the_limit(fake: FakeGraph) -> None:
    graph = build_graph(graph_settings(fake), fake.credential, budget_seconds=1.5)
    assert graph is not None
    fake.stall_next("/attendanceReports", 10)
    started = time.monotonic()
    try:
        with pytest.raises(GraphUnavailable) as caught:
            await graph.reports(REF)
    finally:
        await graph.close()

    assert caught.value.problem is GraphProblem.NETWORK
    assert time.monotonic() - started < 3


async def test_no_graph_at_the_address_is_a_network_problem(fake: FakeGraph) -> None:
    settings = graph_settings(fake, graph_base_url=f"http://127.0.0.1:{free_port()}/v1.0")
    graph = build_graph(settings, fake.credential, budget_seconds=5)
    assert graph is not None
    try:
        with pytest.raises(GraphUnavailable) as caught:
            await graph.reports(REF)
    finally:
        await graph.close()

    assert caught.value.problem is GraphProblem.NETWORK


async def test_a_wrong_token_is_forbidden(fake: FakeGraph) -> None:
    graph = build_graph(graph_settings(fake), StaticTokenCredential("someone-elses"))
    assert graph is not None
    try:
        with pytest.raises(GraphUnavailable) as caught:
            await graph.reports(REF)
    finally:
        await graph.close()

    assert caught.value.problem is GraphProblem.FORBIDDEN and caught.value.status == 401


async def test_an_unreadable_answer_is_invalid(fake: FakeGraph, graph: Graph) -> None:
    fake.fail_next("/attendanceReports", 400)

    with pytest.raises(GraphUnavailable) as caught:
        await graph.reports(REF)

    assert caught.value.problem is GraphProblem.INVALID and caught.value.status == 400


async def test_failures_are_logged_without_tokens_or_names(
    fake: FakeGraph, graph: Graph, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    fake.add_catalog_app(CATALOG_APP)
    fake.fail_next("/teamwork/", 429, retry_after=1)
    fake.fail_next("/chats/", 403, times=None)

    await graph.install_app("jari.makinen@example.fi")
    with pytest.raises(GraphUnavailable):
        await graph.meeting_of_chat(CHAT)

    logged = caplog.text
    assert "graph: install app answered 429" in logged
    assert "graph: chat failed: forbidden (403)" in logged
    for secret in (fake.token, "jari", "makinen", CHAT, ORGANIZER):
        assert secret not in logged


def test_a_service_without_graph_does_not_load_the_sdk() -> None:
    probe = (
        "import sys, bot.app\n"
        "from bot.graph import build_graph\n"
        "from bot.settings import Settings\n"
        "assert build_graph(Settings()) is None\n"
        # (azure.core comes with the Bot Framework SDK; azure.identity only with Graph)
        "loaded = sorted(m for m in sys.modules if m.startswith("
        "('msgraph', 'kiota_', 'azure.identity')))\n"
        "print(loaded)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", probe],
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    assert done.stdout.strip() == "[]"
