"""TeamsMeetings against the fake connector over loopback HTTP: roles and targeted notifications.

Where the fake connector cannot answer the way Teams documents (the participant doc's "role "
key, a 207 partial answer, a slow answer), a small stand-in on loopback answers instead
(`ScriptedTeams`); it also records the raw request line, which the fake only keeps decoded.
"""

from __future__ import annotations

import asyncio
import dataclasses
import time
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote

import pytest
from aiohttp import web
from msrest.serialization import Serializer

from bot.settings import Settings
from bot.teams.meetings import (
    MeetingNotificationFailed,
    TeamsMeetings,
    participant_url,
    role_from_participant,
)
from domain.meetings import MeetingRole, NotificationResult
from domain.model import Conversation, ConversationKind
from domain.outbox import SendFailed
from tests.fakes.activities import BOT, BOT_APP_ID, TENANT_ID, new_group_chat_id
from tests.fakes.connector import FakeConnector, LoopbackServer
from tests.fakes.tokens import StaticTokenCredentials, StaticTokenCredentialsFactory
from tests.integration.harness import free_port

# A meeting id with every character base64 and Teams ids bring that a URL path must quote.
MEETING_ID = "MCMxOTptZWV0aW5nX2+/Y2Rm=@thread.v2#0=="
AAD = "9c1b3f1e-2a4d-4c6b-8e0f-1a2b3c4d5e6f"
TOKEN = "outbound-meetings-token"
STAGE_URL = "https://etapaiva.example/tauko?lang=fi"


def meeting(service_url: str, *, meeting_id: str | None = MEETING_ID) -> Conversation:
    """A stored meeting chat (or, with meeting_id None, a plain group chat)."""
    cid = new_group_chat_id()
    reference = {
        "bot": dict(BOT),
        "conversation": {"id": cid, "isGroup": True, "conversationType": "groupChat"},
        "channelId": "msteams",
        "serviceUrl": service_url,
    }
    kind = ConversationKind.MEETING if meeting_id else ConversationKind.GROUP_CHAT
    return Conversation(
        cid, kind, service_url, reference, tenant_id=TENANT_ID, meeting_id=meeting_id
    )


def mris(n: int) -> list[str]:
    """n distinct Teams user ids."""
    return [f"29:1user-{i:03d}" for i in range(n)]


@pytest.fixture
async def meetings() -> AsyncIterator[TeamsMeetings]:
    """TeamsMeetings in local mode (no app id, no token)."""
    teams = TeamsMeetings(Settings())
    try:
        yield teams
    finally:
        await teams.close()


# ------------------------------------------------------------------ a scripted stand-in


@dataclass
class Seen:
    """One raw request the stand-in received."""

    method: str
    raw_path: str
    query_string: str
    headers: dict[str, str]
    json: Any


@dataclass
class ScriptedTeams:
    """Answers every request with `status`/`body` after `delay` seconds, in its own thread."""

    status: int = 200
    body: Any = None
    delay: float = 0.0
    seen: list[Seen] = field(default_factory=list)
    server: LoopbackServer | None = None

    async def _handle(self, request: web.Request) -> web.StreamResponse:
        payload = await request.json() if request.can_read_body else None
        self.seen.append(
            Seen(
                request.method,
                request.rel_url.raw_path,
                request.rel_url.raw_query_string,
                dict(request.headers),
                payload,
            )
        )
        if self.delay:
            await asyncio.sleep(self.delay)
        if self.body is None:
            return web.Response(status=self.status)
        return web.json_response(self.body, status=self.status)

    @property
    def url(self) -> str:
        assert self.server is not None
        return f"http://127.0.0.1:{self.server.port}/teams/"


@pytest.fixture
def scripted() -> Iterator[ScriptedTeams]:
    """A stand-in Teams service on loopback (path /teams/, like smba's serviceUrl)."""
    teams = ScriptedTeams()
    app = web.Application()
    app.router.add_route("*", "/{tail:.*}", teams._handle)
    teams.server = LoopbackServer(app, name="scripted-teams")
    teams.server.start()
    try:
        yield teams
    finally:
        teams.server.stop()


# ------------------------------------------------------------------ roles


@pytest.mark.parametrize("role", list(MeetingRole))
async def test_reads_the_participant_role(
    connector: FakeConnector, meetings: TeamsMeetings, role: MeetingRole
) -> None:
    connector.set_participant(MEETING_ID, AAD, role.value, TENANT_ID)
    assert await meetings.role_of(meeting(connector.url), AAD) is role
    (request,) = connector.requests
    assert (request.method, request.route) == ("GET", "get_participant")
    assert request.meeting_id == MEETING_ID
    assert request.member_id == AAD
    assert request.query == {"tenantId": TENANT_ID}
    assert request.authorization is None  # local mode: no token


async def test_unknown_participant_or_other_tenant_is_none(
    connector: FakeConnector, meetings: TeamsMeetings
) -> None:
    connector.set_participant(MEETING_ID, AAD, "Organizer", "another-tenant")
    assert await meetings.role_of(meeting(connector.url), AAD) is None
    assert await meetings.role_of(meeting(connector.url), "someone-else") is None
    assert [r.status for r in connector.requests] == [404, 404]


async def test_not_a_meeting_is_none_without_a_request(
    connector: FakeConnector, meetings: TeamsMeetings
) -> None:
    connector.set_participant(MEETING_ID, AAD, "Organizer", TENANT_ID)
    assert await meetings.role_of(meeting(connector.url, meeting_id=None), AAD) is None
    assert connector.requests == []


@pytest.mark.parametrize("status", [401, 403, 404, 429, 500, 503])
async def test_a_refusal_is_none(
    connector: FakeConnector, meetings: TeamsMeetings, status: int
) -> None:
    connector.set_participant(MEETING_ID, AAD, "Presenter", TENANT_ID)
    connector.fail_next(1, status=status, path_contains="/participants/")
    assert await meetings.role_of(meeting(connector.url), AAD) is None
    assert [r.status for r in connector.requests] == [status]  # asked once, not retried
    assert await meetings.role_of(meeting(connector.url), AAD) is MeetingRole.PRESENTER


async def test_an_unreachable_service_is_none(meetings: TeamsMeetings) -> None:
    started = time.monotonic()
    assert await meetings.role_of(meeting(f"http://127.0.0.1:{free_port()}/"), AAD) is None
    assert time.monotonic() - started < 1.0


async def test_the_url_is_quoted_as_botframework_connector_quotes_it(
    scripted: ScriptedTeams, meetings: TeamsMeetings
) -> None:
    scripted.body = {"meeting": {"role": "Organizer", "inMeeting": True}}
    tenant = "tenant/with+odd=chars"
    conversation = dataclasses.replace(meeting(scripted.url), tenant_id=tenant)
    assert await meetings.role_of(conversation, AAD) is MeetingRole.ORGANIZER
    (seen,) = scripted.seen
    # what TeamsOperations.fetch_participant puts into its URL template (msrest Serializer.url)
    serialize: Any = Serializer()
    sdk_meeting = serialize.url("meeting_id", MEETING_ID, "str")
    sdk_tenant = serialize.url("tenant_id", tenant, "str")
    assert sdk_meeting == quote(MEETING_ID, safe="")
    assert seen.raw_path == f"/teams/v1/meetings/{sdk_meeting}/participants/{AAD}"
    assert seen.query_string == f"tenantId={sdk_tenant}"
    assert "%2B" in seen.raw_path and "%2F" in seen.raw_path and "%3D" in seen.raw_path


@pytest.mark.parametrize("service_path", ["/", "/teams/"])
async def test_service_url_with_or_without_trailing_slash(
    meetings: TeamsMeetings, service_path: str
) -> None:
    with FakeConnector(service_path=service_path) as connector:
        connector.set_participant(MEETING_ID, AAD, "Attendee", TENANT_ID)
        for url in (connector.url, connector.url.rstrip("/")):
            assert await meetings.role_of(meeting(url), AAD) is MeetingRole.ATTENDEE
        paths = [r.path for r in connector.requests]
    prefix = service_path.rstrip("/")
    assert paths == [f"{prefix}/v1/meetings/{MEETING_ID}/participants/{AAD}"] * 2


def test_participant_url_joins_like_msrest() -> None:
    url = participant_url("https://smba.trafficmanager.net/teams/", "a=b", "x", "t")
    assert (
        url == "https://smba.trafficmanager.net/teams/v1/meetings/a%3Db/participants/x?tenantId=t"
    )


async def test_the_documented_role_key_with_a_trailing_space_is_read(
    scripted: ScriptedTeams, meetings: TeamsMeetings
) -> None:
    # the participant API doc's example literally says "role " (teams-facts §3)
    scripted.body = {
        "user": {"id": "29:1x", "aadObjectId": AAD, "userRole": "user"},
        "meeting": {"role ": "Presenter", "inMeeting": True},
        "conversation": {"id": "19:meeting_x@thread.v2", "isGroup": True},
    }
    assert await meetings.role_of(meeting(scripted.url), AAD) is MeetingRole.PRESENTER


def test_role_parsing_tolerates_case_and_rejects_the_unknown() -> None:
    assert role_from_participant({"meeting": {"role": "organizer"}}) is MeetingRole.ORGANIZER
    assert role_from_participant({"Meeting": {"Role": " Attendee "}}) is MeetingRole.ATTENDEE
    assert role_from_participant({"meeting": {"role": "Producer"}}) is None
    assert role_from_participant({"meeting": {}}) is None
    assert role_from_participant({"details": {"id": "m"}}) is None  # the SDK's wrong answer
    assert role_from_participant(None) is None


async def test_a_slow_answer_times_out_as_none(scripted: ScriptedTeams) -> None:
    scripted.body = {"meeting": {"role": "Organizer"}}
    scripted.delay = 2.0
    teams = TeamsMeetings(Settings(), role_timeout=0.3)
    try:
        started = time.monotonic()
        assert await teams.role_of(meeting(scripted.url), AAD) is None
        assert time.monotonic() - started < 1.0
    finally:
        await teams.close()


def test_the_default_role_timeout_is_three_seconds() -> None:
    assert TeamsMeetings(Settings())._role_timeout == 3.0


async def test_the_event_loop_runs_while_a_slow_lookup_waits(
    scripted: ScriptedTeams, meetings: TeamsMeetings
) -> None:
    scripted.body = {"meeting": {"role": "Organizer"}}
    scripted.delay = 0.5
    ticks = 0

    async def tick() -> None:
        nonlocal ticks
        while True:
            await asyncio.sleep(0.01)
            ticks += 1

    ticker = asyncio.create_task(tick())
    try:
        await asyncio.sleep(0)
        role = await meetings.role_of(meeting(scripted.url), AAD)
    finally:
        ticker.cancel()
    assert role is MeetingRole.ORGANIZER
    assert ticks >= 20  # a blocking client would leave the ticker at 0 for the whole 0.5 s


class SlowTokenCredentials(StaticTokenCredentials):
    """Credentials whose token call blocks, as MSAL's HTTP call to AAD does."""

    calls = 0

    def get_access_token(self, force_refresh: bool = False) -> str:
        SlowTokenCredentials.calls += 1
        time.sleep(0.4)
        return super().get_access_token(force_refresh)


class SlowTokenFactory(StaticTokenCredentialsFactory):
    async def create_credentials(self, app_id: str, *args: Any) -> SlowTokenCredentials:
        return SlowTokenCredentials(app_id, self.token)


async def test_the_event_loop_runs_while_the_token_is_fetched() -> None:
    settings = Settings(app_id=BOT_APP_ID, app_password="not-used")
    async with FakeConnector(expect_token=TOKEN) as connector:
        connector.set_participant(MEETING_ID, AAD, "Presenter", TENANT_ID)
        teams = TeamsMeetings(settings, SlowTokenFactory(BOT_APP_ID, TOKEN))
        ticks = 0

        async def tick() -> None:
            nonlocal ticks
            while True:
                await asyncio.sleep(0.01)
                ticks += 1

        ticker = asyncio.create_task(tick())
        try:
            await asyncio.sleep(0)
            role = await teams.role_of(meeting(connector.url), AAD)
        finally:
            ticker.cancel()
            await teams.close()
    assert role is MeetingRole.PRESENTER
    assert SlowTokenCredentials.calls >= 1
    assert ticks >= 15


# ------------------------------------------------------------------ authentication


async def test_with_an_app_id_requests_carry_the_bot_token() -> None:
    settings = Settings(app_id=BOT_APP_ID, app_password="not-used")
    async with FakeConnector(expect_token=TOKEN) as connector:
        connector.set_participant(MEETING_ID, AAD, "Organizer", TENANT_ID)
        teams = TeamsMeetings(settings, StaticTokenCredentialsFactory(BOT_APP_ID, TOKEN))
        try:
            conversation = meeting(connector.url)
            assert await teams.role_of(conversation, AAD) is MeetingRole.ORGANIZER
            result = await teams.notify(conversation, mris(2), title="Tauko", url=STAGE_URL)
        finally:
            await teams.close()
        requests = connector.requests
    assert result == NotificationResult(tuple(mris(2)), ())
    assert [r.route for r in requests] == ["get_participant", "meeting_notification"]
    assert all(r.authorization == f"Bearer {TOKEN}" for r in requests)
    assert all(r.ok for r in requests)


async def test_without_a_token_a_secured_service_refuses() -> None:
    async with FakeConnector(expect_token=TOKEN) as connector:
        connector.set_participant(MEETING_ID, AAD, "Organizer", TENANT_ID)
        teams = TeamsMeetings(Settings())  # local mode
        try:
            assert await teams.role_of(meeting(connector.url), AAD) is None
            with pytest.raises(SendFailed) as caught:
                await teams.notify(meeting(connector.url), mris(1), title="t", url=STAGE_URL)
        finally:
            await teams.close()
        statuses = [(r.status, r.authorization) for r in connector.requests]
    assert caught.value.status == 401
    assert statuses == [(401, None), (401, None)]


# ------------------------------------------------------------------ notifications


async def test_120_recipients_go_out_in_three_calls_of_at_most_50(
    connector: FakeConnector, meetings: TeamsMeetings
) -> None:
    people = mris(120)
    result = await meetings.notify(
        meeting(connector.url), people, title="Tauko alkaa", url=STAGE_URL, width=320, height=240
    )
    assert result == NotificationResult(tuple(people), ())
    requests = connector.requests
    assert [(r.method, r.route, r.status) for r in requests] == [
        ("POST", "meeting_notification", 202)
    ] * 3
    assert all(r.meeting_id == MEETING_ID for r in requests)
    assert [len(r.json["value"]["recipients"]) for r in requests] == [50, 50, 20]
    assert [m for r in requests for m in r.json["value"]["recipients"]] == people
    assert requests[0].json == {
        "type": "targetedMeetingNotification",
        "value": {
            "recipients": people[:50],
            "surfaces": [
                {
                    "surface": "meetingStage",
                    "contentType": "task",
                    "content": {
                        "value": {
                            "height": 240,
                            "width": 320,
                            "title": "Tauko alkaa",
                            "url": STAGE_URL,
                        }
                    },
                }
            ],
        },
    }
    assert connector.notifications == [r.json for r in requests]


async def test_default_size_is_sent(connector: FakeConnector, meetings: TeamsMeetings) -> None:
    await meetings.notify(meeting(connector.url), mris(1), title="t", url=STAGE_URL)
    (body,) = connector.notifications
    assert body["value"]["surfaces"][0]["content"]["value"] == {
        "height": 200,
        "width": 280,
        "title": "t",
        "url": STAGE_URL,
    }


async def test_duplicates_and_blanks_are_sent_once(
    connector: FakeConnector, meetings: TeamsMeetings
) -> None:
    people = mris(3)
    result = await meetings.notify(
        meeting(connector.url), [*people, "", people[0]], title="t", url=STAGE_URL
    )
    assert result.accepted == tuple(people)
    assert connector.notifications[0]["value"]["recipients"] == people


async def test_nobody_or_no_meeting_sends_nothing(
    connector: FakeConnector, meetings: TeamsMeetings
) -> None:
    assert await meetings.notify(
        meeting(connector.url), [], title="t", url=STAGE_URL
    ) == NotificationResult((), ())
    no_meeting = meeting(connector.url, meeting_id=None)
    result = await meetings.notify(no_meeting, mris(2), title="t", url=STAGE_URL)
    assert result == NotificationResult((), tuple(mris(2)))
    assert connector.requests == []


async def test_throttled_raises_send_failed_with_retry_after(
    connector: FakeConnector, meetings: TeamsMeetings
) -> None:
    connector.fail_next(1, status=429, retry_after=2.5, path_contains="/notification")
    with pytest.raises(SendFailed) as caught:
        await meetings.notify(meeting(connector.url), mris(120), title="t", url=STAGE_URL)
    assert type(caught.value) is SendFailed  # nothing went out: retry it all
    assert caught.value.status == 429
    assert caught.value.retry_after == 2.5
    assert caught.value.reason == "Throttled"
    assert len(connector.requests) == 1  # the other calls are not made


async def test_a_refusal_part_way_keeps_what_went_out(meetings: TeamsMeetings) -> None:
    people = mris(120)
    # one request per second for the whole bot: the first call passes, the second is throttled
    async with FakeConnector(global_limit=1) as connector:
        with pytest.raises(MeetingNotificationFailed) as caught:
            await meetings.notify(meeting(connector.url), people, title="t", url=STAGE_URL)
        statuses = [r.status for r in connector.requests]
    failure = caught.value
    assert isinstance(failure, SendFailed)  # the outbox worker retries it like any send
    assert failure.status == 429
    assert failure.retry_after is not None and 0 < failure.retry_after <= 1.0
    assert failure.accepted == tuple(people[:50])
    assert failure.failed == ()
    assert failure.remaining == tuple(people[50:])
    assert statuses == [202, 429]


@pytest.mark.parametrize(
    ("status", "code"), [(400, "BadArgument"), (403, "BotNotInConversationRoster"), (500, "")]
)
async def test_refusals_raise_send_failed(
    connector: FakeConnector, meetings: TeamsMeetings, status: int, code: str
) -> None:
    connector.fail_next(1, status=status, code=code or None, path_contains="/notification")
    with pytest.raises(SendFailed) as caught:
        await meetings.notify(meeting(connector.url), mris(3), title="t", url=STAGE_URL)
    assert caught.value.status == status
    assert caught.value.retry_after is None
    assert caught.value.reason == (code or "ServiceError")


async def test_an_unreachable_service_raises_without_status(meetings: TeamsMeetings) -> None:
    conversation = meeting(f"http://127.0.0.1:{free_port()}/")
    with pytest.raises(SendFailed) as caught:
        await meetings.notify(conversation, mris(1), title="t", url=STAGE_URL)
    assert caught.value.status is None


@pytest.mark.parametrize(
    "answer",
    [
        {
            "recipientsFailureInfo": [
                {
                    "recipientMri": "29:1user-001",
                    "errorCode": "MemberNotFoundInConversation",
                    "failureReason": "not found",
                }
            ]
        },
        # the casing of Microsoft's own botbuilder test servers
        {"RecipientsFailureInfo": [{"RecipientMri": "29:1user-001"}]},
    ],
    ids=["camelCase", "PascalCase"],
)
async def test_a_partial_answer_names_the_failed_recipients(
    scripted: ScriptedTeams, meetings: TeamsMeetings, answer: dict[str, Any]
) -> None:
    scripted.status = 207
    scripted.body = answer
    people = mris(3)
    result = await meetings.notify(meeting(scripted.url), people, title="t", url=STAGE_URL)
    assert result == NotificationResult((people[0], people[2]), (people[1],))
    (seen,) = scripted.seen
    assert seen.method == "POST"
    assert seen.raw_path == f"/teams/v1/meetings/{quote(MEETING_ID, safe='')}/notification"
    assert seen.json["value"]["recipients"] == people


async def test_close_is_idempotent_and_the_object_reopens(
    connector: FakeConnector,
) -> None:
    connector.set_participant(MEETING_ID, AAD, "Organizer", TENANT_ID)
    teams = TeamsMeetings(Settings())
    await teams.close()  # never opened
    assert await teams.role_of(meeting(connector.url), AAD) is MeetingRole.ORGANIZER
    await teams.close()
    await teams.close()
    assert await teams.role_of(meeting(connector.url), AAD) is MeetingRole.ORGANIZER
    await teams.close()
