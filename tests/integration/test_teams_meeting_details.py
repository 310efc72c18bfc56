"""TeamsMeetings.details against the fake connector over loopback HTTP: the meeting's Graph id."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from bot.settings import Settings
from bot.teams.meetings import TeamsMeetings, details_from_meeting
from domain.meetings import MeetingDetails, MeetingDetailsSource
from tests.fakes.connector import FakeConnector
from tests.integration.test_teams_meetings import MEETING_ID, meeting

GRAPH_ID = "MSo1N2Y5ZGFjYy03MWJmLTQ3NDMtYjQxMy01M2EdFGkdRWHJlQ=="
ORGANIZER = "5f2a9c4e-7d1b-4e8a-9c3f-2b6d8e0a1c47"
JOIN = "https://teams.microsoft.com/l/meetup-join/19%3ameeting_x%40thread.v2/0"


@pytest.fixture
async def meetings() -> AsyncIterator[TeamsMeetings]:
    teams = TeamsMeetings(Settings())
    try:
        yield teams
    finally:
        await teams.close()


async def test_reads_graph_id_organizer_and_join_url(
    connector: FakeConnector, meetings: TeamsMeetings
) -> None:
    assert isinstance(meetings, MeetingDetailsSource)
    connector.set_meeting(
        MEETING_ID,
        ms_graph_resource_id=GRAPH_ID,
        join_url=JOIN,
        organizer={"id": "29:1org", "aadObjectId": ORGANIZER, "tenantId": "t"},
    )
    found = await meetings.details(meeting(connector.url))
    assert found == MeetingDetails(graph_id=GRAPH_ID, organizer_id=ORGANIZER, join_url=JOIN)
    (request,) = connector.requests
    assert (request.method, request.route, request.meeting_id) == ("GET", "get_meeting", MEETING_ID)


async def test_without_graph_id_the_join_url_is_still_given(
    connector: FakeConnector, meetings: TeamsMeetings
) -> None:
    connector.set_meeting(MEETING_ID, join_url=JOIN, organizer={"aadObjectId": ORGANIZER})
    found = await meetings.details(meeting(connector.url))
    assert found == MeetingDetails(graph_id=None, organizer_id=ORGANIZER, join_url=JOIN)


async def test_unknown_meeting_or_not_a_meeting_is_none(
    connector: FakeConnector, meetings: TeamsMeetings
) -> None:
    assert await meetings.details(meeting(connector.url)) is None  # 404
    assert await meetings.details(meeting(connector.url, meeting_id=None)) is None
    assert len(connector.requests) == 1


@pytest.mark.parametrize(
    "body",
    [None, [], "x", {"details": "x"}, {"details": {"msGraphResourceId": 5}, "organizer": []}],
)
def test_odd_answers_give_nothing_usable(body: object) -> None:
    found = details_from_meeting(body)
    assert found is None or (found.graph_id, found.organizer_id) == (None, None)
