"""Self-tests for the Teams fakes: they speak what botbuilder 4.17 sends and expects."""

from __future__ import annotations

import asyncio
import base64
import contextlib
import hashlib
import json
import re
from collections.abc import AsyncIterator, Iterator
from datetime import datetime
from typing import Any

import aiohttp
import jwt
import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer
from botbuilder.core import MessageFactory, TurnContext
from botbuilder.core.adapters import TestAdapter
from botbuilder.core.teams import TeamsActivityHandler, teams_get_team_info
from botbuilder.core.teams.teams_activity_extensions import (
    teams_get_channel_data,
    teams_get_meeting_info,
)
from botbuilder.integration.aiohttp import (
    CloudAdapter,
    ConfigurationBotFrameworkAuthentication,
)
from botbuilder.schema import (
    Activity,
    AdaptiveCardInvokeResponse,
    AdaptiveCardInvokeValue,
    Attachment,
    ChannelAccount,
    ConversationParameters,
    ErrorResponseException,
)
from botbuilder.schema.teams import TeamInfo, TeamsChannelAccount
from botframework.connector.aio import ConnectorClient
from botframework.connector.auth import JwtTokenExtractor, MicrosoftAppCredentials
from botframework.connector.teams import TeamsConnectorClient
from msrest.exceptions import HttpOperationError

from tests.fakes import activities as A
from tests.fakes.adaptive_cards import SCHEMA_DIR
from tests.fakes.adaptive_cards import VERSIONS as CARD_VERSIONS
from tests.fakes.connector import SEND_LIMITS, FakeConnector, learn_conversation_of
from tests.fakes.tokens import (
    FakeIdentityProvider,
    StaticTokenCredentials,
    StaticTokenCredentialsFactory,
)

TEAMS_IDS = [
    "19:meeting_MjdhNjM4YzUtYzExZi00OTFkLTkzZTAtNTVlNmZmMDhkNGU2@thread.v2",
    "a:1xyzABC-_defGHI",
    "19:abc@thread.tacv2;messageid=1234567890123",
    "19:odd/+=chars@thread.v2",
]


def _message(text: str) -> Activity:
    return Activity(type="message", text=text)


def _anonymous_client(fc: FakeConnector) -> ConnectorClient:
    return ConnectorClient(MicrosoftAppCredentials.empty(), base_url=fc.url)


class _Clock:
    """A hand-driven monotonic clock for the rate-limit windows."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


# ============================================================================ connector


async def test_connector_binds_loopback_on_a_free_port() -> None:
    async with FakeConnector() as one, FakeConnector(service_path="/teams/") as two:
        assert re.fullmatch(r"http://127\.0\.0\.1:\d+/", one.url)
        assert two.url == f"http://127.0.0.1:{two.port}/teams/"
        assert one.port != two.port
        two.add_conversation("a:1x")
        async with _anonymous_client(two) as client:
            await client.conversations.send_to_conversation("a:1x", _message("hei"))
        assert two.requests[0].path == "/teams/v3/conversations/a:1x/activities"
        assert two.requests[0].route == "send"
    with pytest.raises(RuntimeError):
        _ = FakeConnector().url


@pytest.mark.parametrize("conversation_id", TEAMS_IDS)
async def test_send_reply_update_delete_round_trip_ids(conversation_id: str) -> None:
    async with FakeConnector() as fc, _anonymous_client(fc) as client:
        fc.add_conversation(conversation_id)
        sent = await client.conversations.send_to_conversation(conversation_id, _message("eka"))
        replied = await client.conversations.reply_to_activity(
            conversation_id, "1700000000000", _message("toka")
        )
        updated_activity = _message("eka (muokattu)")
        updated_activity.id = sent.id
        updated = await client.conversations.update_activity(
            conversation_id, sent.id, updated_activity
        )
        await client.conversations.delete_activity(conversation_id, replied.id)

        assert sent.id.isdigit()
        assert replied.id.isdigit()
        assert sent.id != replied.id
        assert updated.id == sent.id
        assert [r.route for r in fc.requests] == ["send", "reply", "update", "delete"]
        assert {r.conversation_id for r in fc.requests} == {conversation_id}
        assert fc.requests[1].activity_id == "1700000000000"
        assert [b["text"] for b in fc.sent] == ["eka", "toka"]
        assert fc.updates[0]["text"] == "eka (muokattu)"
        assert fc.deleted == [(conversation_id, replied.id)]
        assert fc.sent_to(conversation_id) == fc.sent
        first = fc.requests[0]
        assert first.method == "POST"
        assert first.status == 201
        assert first.ok
        assert first.json["type"] == "message"
        assert first.response == {"id": sent.id}
        assert first.authorization is None  # anonymous credentials send no token
        assert "User-Agent" in first.headers
        assert first.timestamp <= fc.requests[-1].timestamp


async def test_sent_to_bare_channel_id_includes_its_threads() -> None:
    channel = "19:chan@thread.tacv2"
    async with FakeConnector() as fc, _anonymous_client(fc) as client:
        fc.add_conversation(channel)
        fc.add_conversation("19:other@thread.tacv2")
        await client.conversations.send_to_conversation(channel, _message("root"))
        await client.conversations.reply_to_activity(
            f"{channel};messageid=111", "111", _message("in thread")
        )
        await client.conversations.send_to_conversation("19:other@thread.tacv2", _message("x"))
    assert fc.texts(channel) == ["root", "in thread"]
    assert fc.texts(f"{channel};messageid=111") == ["in thread"]
    assert fc.texts() == ["root", "in thread", "x"]


async def test_create_personal_conversation_returns_the_same_chat_and_needs_tenant() -> None:
    user = A.User()
    params = ConversationParameters(
        is_group=False,
        bot=ChannelAccount(**A.BOT),
        members=[ChannelAccount(id=user.teams_id)],
        tenant_id=A.TENANT_ID,
        channel_data={"tenant": {"id": A.TENANT_ID}},
    )
    async with FakeConnector() as fc, _anonymous_client(fc) as client:
        first = await client.conversations.create_conversation(params)
        again = await client.conversations.create_conversation(params)
        assert first.id.startswith("a:")
        assert first.id == again.id
        assert first.activity_id is None

        params.activity = _message("Tervetuloa!")
        with_activity = await client.conversations.create_conversation(params)
        assert with_activity.activity_id
        assert fc.sent == [
            {"type": "message", "text": "Tervetuloa!", "conversation": {"id": first.id}}
        ]
        assert fc.sent_to(first.id)[0]["text"] == "Tervetuloa!"

        fc.add_personal_conversation("29:seeded", "a:1seeded", A.TENANT_ID)
        seeded = ConversationParameters(
            bot=ChannelAccount(**A.BOT),
            members=[ChannelAccount(id="29:seeded")],
            channel_data={"tenant": {"id": A.TENANT_ID}},
        )
        assert (await client.conversations.create_conversation(seeded)).id == "a:1seeded"

        no_tenant = ConversationParameters(
            bot=ChannelAccount(**A.BOT), members=[ChannelAccount(id=user.teams_id)]
        )
        with pytest.raises(ErrorResponseException) as caught:
            await client.conversations.create_conversation(no_tenant)
        assert caught.value.response.status_code == 400
        assert caught.value.error.error.code == "BadArgument"


async def test_create_conversation_in_a_channel_starts_a_thread() -> None:
    params = ConversationParameters(
        is_group=True,
        bot=ChannelAccount(**A.BOT),
        channel_data={"channel": {"id": "19:chan@thread.tacv2"}},
        activity=_message("Uusi ketju"),
    )
    async with FakeConnector() as fc, _anonymous_client(fc) as client:
        fc.add_conversation("19:chan@thread.tacv2")
        created = await client.conversations.create_conversation(params)
    assert created.id == f"19:chan@thread.tacv2;messageid={created.activity_id}"
    assert fc.texts("19:chan@thread.tacv2") == ["Uusi ketju"]


async def test_member_lookup_by_mri_aad_id_and_upn() -> None:
    user = A.User(name="Aino Virtanen", upn="aino.virtanen@hel.example")
    conversation = "19:meeting_abc@thread.v2"
    async with FakeConnector() as fc, _anonymous_client(fc) as client:
        fc.add_conversation(conversation)
        fc.add_member(conversation, user.member())
        for key in (user.teams_id, user.aad_object_id, user.upn):
            assert key is not None
            member = await client.conversations.get_conversation_member(conversation, key)
            assert member.id == user.teams_id
        raw = fc.requests[-1].response
        assert raw["aadObjectId"] == user.aad_object_id
        assert raw["userPrincipalName"] == "aino.virtanen@hel.example"
        assert raw["givenName"] == "Aino"
        assert raw["surname"] == "Virtanen"
        assert raw["tenantId"] == A.TENANT_ID
        assert raw["userRole"] == "user"
        members = await client.conversations.get_conversation_members(conversation)
        assert [m.id for m in members] == [user.teams_id]

        with pytest.raises(ErrorResponseException) as caught:
            await client.conversations.get_conversation_member(conversation, "29:unknown")
        assert caught.value.response.status_code == 404
        assert caught.value.error.error.code == "MemberNotFoundInConversation"


async def test_paged_members_clamp_page_size_and_continue() -> None:
    conversation = "19:big@thread.v2"
    async with FakeConnector() as fc, _anonymous_client(fc) as client:
        fc.add_conversation(conversation)
        for i in range(120):
            fc.add_member(conversation, A.User(name=f"Käyttäjä {i}").member())
        page = await client.conversations.get_conversation_paged_members(conversation, 10)
        assert len(page.members) == 50  # Teams treats page sizes below 50 as 50
        page2 = await client.conversations.get_conversation_paged_members(
            conversation, 50, page.continuation_token
        )
        page3 = await client.conversations.get_conversation_paged_members(
            conversation, 50, page2.continuation_token
        )
    assert len(page2.members) == 50
    assert len(page3.members) == 20
    assert page3.continuation_token is None
    assert fc.requests[0].query == {"pageSize": "10"}


async def test_429_is_raised_once_with_retry_after_and_not_retried_by_the_sdk() -> None:
    async with FakeConnector() as fc, _anonymous_client(fc) as client:
        fc.add_conversation("a:1x")
        fc.fail_next(1, status=429, retry_after=1.5)
        with pytest.raises(ErrorResponseException) as caught:
            await client.conversations.send_to_conversation("a:1x", _message("eka"))
        assert caught.value.response.status_code == 429
        assert caught.value.response.headers["Retry-After"] == "1.5"
        assert caught.value.error.error.code == "Throttled"
        assert len(fc.requests) == 1  # botframework-connector does not retry a POST

        await client.conversations.send_to_conversation("a:1x", _message("toka"))
    assert [r.status for r in fc.requests] == [429, 201]
    assert fc.texts() == ["toka"]  # failed sends are recorded but not "sent"


async def test_fail_next_matches_path_and_sends_5xx_without_retry_after() -> None:
    async with FakeConnector() as fc, _anonymous_client(fc) as client:
        fc.add_conversation("a:1other")
        fc.add_conversation("a:1target")
        fc.fail_next(2, status=503, path_contains="a:1target")
        await client.conversations.send_to_conversation("a:1other", _message("ok"))
        for _ in range(2):
            with pytest.raises(ErrorResponseException) as caught:
                await client.conversations.send_to_conversation("a:1target", _message("x"))
            assert caught.value.response.status_code == 503
            assert "Retry-After" not in caught.value.response.headers
            assert caught.value.error.error.code == "ServiceUnavailable"
        await client.conversations.send_to_conversation("a:1target", _message("ok"))
        fc.fail_next(1, status=413, code="MessageSizeTooBig")
        with pytest.raises(ErrorResponseException) as caught:
            await client.conversations.send_to_conversation("a:1target", _message("big"))
        assert caught.value.error.error.code == "MessageSizeTooBig"
    assert [r.status for r in fc.requests] == [201, 503, 503, 201, 413]


async def test_fail_rate_is_seeded_and_respects_statuses() -> None:
    async def statuses(seed: int) -> list[int]:
        # Teams' own limits off: only the seeded faults may answer 429 here.
        async with FakeConnector(enforce_teams_limits=False) as fc, _anonymous_client(fc) as client:
            fc.add_conversation("a:1x")
            fc.fail_rate(0.5, statuses=(429, 502), seed=seed)
            for i in range(20):
                with contextlib.suppress(ErrorResponseException):
                    await client.conversations.send_to_conversation("a:1x", _message(str(i)))
            throttled = [r for r in fc.requests if r.status == 429]
            assert all(r.response_headers["Retry-After"] == "1" for r in throttled)
            return [r.status for r in fc.requests]

    first, second = await statuses(7), await statuses(7)
    assert first == second
    assert set(first) == {201, 429, 502}
    async with FakeConnector() as fc, _anonymous_client(fc) as client:
        fc.add_conversation("a:1x")
        fc.fail_rate(1.0, statuses=(503,))
        with pytest.raises(ErrorResponseException):
            await client.conversations.send_to_conversation("a:1x", _message("x"))
        fc.clear_faults()
        await client.conversations.send_to_conversation("a:1x", _message("y"))


async def test_mark_gone_answers_forever_for_the_conversation_and_its_threads() -> None:
    async with FakeConnector() as fc, _anonymous_client(fc) as client:
        fc.mark_gone("19:chan@thread.tacv2")
        fc.mark_gone("a:1blocked", status=403, code="ConversationBlockedByUser")
        fc.mark_gone("a:1deleted", status=404)
        fc.add_conversation("a:1fine")
        cases = [
            ("19:chan@thread.tacv2", 403, "BotNotInConversationRoster"),
            ("19:chan@thread.tacv2;messageid=5", 403, "BotNotInConversationRoster"),
            ("a:1blocked", 403, "ConversationBlockedByUser"),
            ("a:1deleted", 404, "ConversationNotFound"),
        ]
        for conversation_id, status, code in cases * 2:
            with pytest.raises(ErrorResponseException) as caught:
                await client.conversations.send_to_conversation(conversation_id, _message("x"))
            assert caught.value.response.status_code == status
            assert caught.value.error.error.code == code
        await client.conversations.send_to_conversation("a:1fine", _message("ok"))
    with pytest.raises(ValueError, match="403 or 404"):
        fc.mark_gone("a:1x", status=500)


async def test_teams_limits_use_sliding_windows_per_conversation() -> None:
    clock = _Clock()
    assert SEND_LIMITS == ((1, 7), (2, 8), (30, 60), (3600, 1800))
    async with (
        FakeConnector(enforce_teams_limits=True, clock=clock) as fc,
        _anonymous_client(fc) as client,
    ):
        fc.add_conversation("a:1x")
        fc.add_conversation("a:1y")

        async def send(conversation_id: str = "a:1x") -> int:
            with contextlib.suppress(ErrorResponseException):
                await client.conversations.send_to_conversation(conversation_id, _message("x"))
            last = fc.requests[-1]
            if last.status == 429:
                assert float(last.response_headers["Retry-After"]) > 0
            return last.status

        assert [await send() for _ in range(8)] == [201] * 7 + [429]  # 7 per second
        assert await send("a:1y") == 201  # limits are per conversation
        clock.now += 1.0
        assert [await send() for _ in range(2)] == [201, 429]  # 8 per 2 seconds
        assert fc.requests[-1].response_headers["Retry-After"] == "1"  # oldest leaves at +2 s
        clock.now += 1.0
        # 60 per 30 s: spread sends so the 1 s / 2 s windows never bind.
        statuses: list[int] = []
        for _ in range(60):
            statuses.append(await send())
            clock.now += 0.3
        assert statuses.count(201) == 52
        assert statuses[-1] == 429
        clock.now += 30
        assert await send() == 201


async def test_global_limit_counts_every_conversation_in_a_sliding_second() -> None:
    clock = _Clock()
    async with (
        FakeConnector(global_limit=5, clock=clock) as fc,
        _anonymous_client(fc) as client,
    ):

        async def send(conversation_id: str) -> int:
            fc.add_conversation(conversation_id)
            with contextlib.suppress(ErrorResponseException):
                await client.conversations.send_to_conversation(conversation_id, _message("x"))
            return fc.requests[-1].status

        assert [await send(f"a:1c{i}") for i in range(6)] == [201] * 5 + [429]
        assert fc.requests[-1].response_headers["Retry-After"] == "1"
        clock.now += 0.5
        assert await send("a:1other") == 429  # a new conversation does not help
        clock.now += 0.5
        assert [await send(f"a:1d{i}") for i in range(6)] == [201] * 5 + [429]


async def test_teams_limits_are_on_by_default_and_off_only_when_asked() -> None:
    clock = _Clock()

    async def statuses(fc: FakeConnector, conversation_ids: list[str]) -> list[int]:
        async with _anonymous_client(fc) as client:
            for conversation_id in conversation_ids:
                fc.add_conversation(conversation_id)
                with contextlib.suppress(ErrorResponseException):
                    await client.conversations.send_to_conversation(conversation_id, _message("x"))
        return [r.status for r in fc.requests]

    async with FakeConnector(clock=clock) as fc:
        assert await statuses(fc, ["a:1x"] * 8) == [201] * 7 + [429]  # 7 per second
    async with FakeConnector(clock=clock) as fc:  # 50 per second for the whole bot
        assert await statuses(fc, [f"a:1c{i}" for i in range(51)]) == [201] * 50 + [429]
    async with FakeConnector(enforce_teams_limits=False, global_limit=None, clock=clock) as fc:
        assert set(await statuses(fc, ["a:1x"] * 60)) == {201}


# ---------------------------------------------------------------------------- as strict as Teams


def _card(version: str = "1.5", **extra: Any) -> dict[str, Any]:
    card: dict[str, Any] = {
        "type": "AdaptiveCard",
        "$schema": "http://adaptivecards.io/schemas/adaptive-card.json",
        "version": version,
        "body": [{"type": "TextBlock", "text": "Nimenhuuto", "wrap": True, "style": "heading"}],
        "actions": [
            {
                "type": "Action.Execute",
                "title": "Olen täällä",
                "verb": "rollcall.here",
                "data": {"verb": "rollcall.here"},
                "fallback": {"type": "Action.Submit", "title": "Olen täällä"},
            }
        ],
    }
    card.update(extra)
    return card


def _card_activity(card: Any) -> dict[str, Any]:
    return {
        "type": "message",
        "attachments": [
            {"contentType": "application/vnd.microsoft.card.adaptive", "content": card}
        ],
    }


async def _post(
    http: aiohttp.ClientSession, fc: FakeConnector, path: str, body: Any, method: str = "POST"
) -> tuple[int, Any]:
    async with http.request(method, f"{fc.url}{path}", json=body) as resp:
        return resp.status, (await resp.json(content_type=None)) if await resp.read() else None


async def test_unknown_conversations_are_404_conversation_not_found() -> None:
    async with FakeConnector() as fc, _anonymous_client(fc) as client:
        calls = {
            "send": lambda c: client.conversations.send_to_conversation(c, _message("x")),
            "reply": lambda c: client.conversations.reply_to_activity(c, "1", _message("x")),
            "members": lambda c: client.conversations.get_conversation_members(c),
            "member": lambda c: client.conversations.get_conversation_member(c, "29:1x"),
            "paged": lambda c: client.conversations.get_conversation_paged_members(c),
        }
        for name, call in calls.items():
            with pytest.raises(HttpOperationError) as caught:
                await call("a:1neverseen")
            assert caught.value.response.status_code == 404, name
            assert fc.requests[-1].response["error"]["code"] == "ConversationNotFound", name
        assert not fc.sent
        assert not fc.knows("a:1neverseen")


async def test_conversations_are_learned_as_teams_has_them() -> None:
    user, channel = A.User(), A.Conv.channel()
    async with FakeConnector() as fc, FakeConnector() as other, _anonymous_client(fc) as client:
        personal = A.message("moi", conversation=A.Conv.personal(), sender=user, service_url=fc.url)
        in_channel = A.message("moi", conversation=channel, sender=user, service_url=fc.url)
        for activity in (personal, in_channel):
            learn_conversation_of(activity)
        assert fc.knows(personal["conversation"]["id"])
        assert not other.knows(personal["conversation"]["id"])  # only the fake at serviceUrl
        # A post arrives in its own thread ("<channel>;messageid=<id>"): the channel is known,
        # and so is every other thread in it.
        assert in_channel["conversation"]["id"] != channel.id
        assert fc.knows(channel.id)
        await client.conversations.send_to_conversation(channel.id, _message("ketju"))
        await client.conversations.reply_to_activity(
            f"{channel.id};messageid=42", "42", _message("vastaus")
        )
        # Created conversations (1:1 and a new channel thread) are known from then on.
        created = await client.conversations.create_conversation(
            ConversationParameters(
                bot=ChannelAccount(**A.BOT),
                members=[ChannelAccount(id="29:1new")],
                channel_data={"tenant": {"id": A.TENANT_ID}},
            )
        )
        await client.conversations.send_to_conversation(created.id, _message("hei"))
        fc.add_personal_conversation("29:1seeded", "a:1seeded", A.TENANT_ID)
        fc.add_conversation("19:explicit@thread.v2")
        await client.conversations.send_to_conversation("a:1seeded", _message("x"))
        await client.conversations.send_to_conversation("19:explicit@thread.v2", _message("y"))
        # A thread can only be started in a channel Teams has.
        with pytest.raises(ErrorResponseException) as caught:
            await client.conversations.create_conversation(
                ConversationParameters(
                    is_group=True,
                    bot=ChannelAccount(**A.BOT),
                    channel_data={"channel": {"id": "19:unknown@thread.tacv2"}},
                    activity=_message("Uusi ketju"),
                )
            )
        assert caught.value.response.status_code == 404
    assert [r.status for r in fc.requests] == [201] * 6 + [404]


async def test_learning_ignores_shapes_teams_never_sends() -> None:
    async with FakeConnector() as fc:
        for hostile in (
            {"serviceUrl": fc.url, "conversation": "'; DROP TABLE people; --"},
            {"serviceUrl": fc.url, "conversation": {"id": 5}, "channelData": []},
            {
                "serviceUrl": fc.url,
                "channelData": {"team": "x", "settings": {"selectedChannel": 1}},
            },
            {"serviceUrl": 5},
            ["not", "an", "activity"],
        ):
            learn_conversation_of(hostile)
        learn_conversation_of({"serviceUrl": fc.url, "channelData": {"team": {"id": "19:t"}}})
    assert fc.knows("19:t")
    assert not fc.knows("5")


async def test_update_or_delete_of_an_activity_never_issued_there_is_404() -> None:
    async with FakeConnector() as fc, _anonymous_client(fc) as client:
        fc.add_conversation("a:1one")
        fc.add_conversation("a:1two")
        sent = await client.conversations.send_to_conversation("a:1one", _message("eka"))
        update = _message("muokattu")
        for conversation_id, activity_id in (
            ("a:1one", "1700000000000"),  # never issued
            ("a:1two", sent.id),  # issued, but in another conversation
        ):
            with pytest.raises(ErrorResponseException) as caught:
                await client.conversations.update_activity(conversation_id, activity_id, update)
            assert caught.value.response.status_code == 404
            assert caught.value.error.error.code == "ActivityNotFoundInConversation"
            with pytest.raises(ErrorResponseException) as caught:
                await client.conversations.delete_activity(conversation_id, activity_id)
            assert caught.value.response.status_code == 404
        await client.conversations.update_activity("a:1one", sent.id, update)
        await client.conversations.delete_activity("a:1one", sent.id)
        with pytest.raises(ErrorResponseException) as caught:  # gone once deleted
            await client.conversations.update_activity("a:1one", sent.id, update)
        assert caught.value.response.status_code == 404
    assert fc.updates == [update.serialize()]
    assert fc.deleted == [("a:1one", sent.id)]


async def test_a_body_over_100_kb_is_413_message_size_too_big() -> None:
    async with FakeConnector() as fc, aiohttp.ClientSession() as http:
        fc.add_conversation("a:1x")
        envelope = len(json.dumps({"type": "message", "text": ""}).encode())
        fits = {"type": "message", "text": "x" * (100 * 1024 - envelope)}
        too_big = {"type": "message", "text": "x" * (100 * 1024 - envelope + 1)}
        multibyte = {"type": "message", "text": "ä" * (60 * 1024)}  # 120 KB in UTF-8
        status, _ = await _post(http, fc, "v3/conversations/a:1x/activities", fits)
        assert status == 201
        assert fc.requests[-1].headers["Content-Length"] == str(100 * 1024)
        for body in (too_big, multibyte):
            status, answer = await _post(http, fc, "v3/conversations/a:1x/activities", body)
            assert status == 413
            assert answer["error"]["code"] == "MessageSizeTooBig"
    assert [r.status for r in fc.requests] == [201, 413, 413]
    assert len(fc.sent) == 1


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        ({"text": "no type"}, "no type"),
        ({"type": "", "text": "x"}, "no type"),
        ({"type": "mesage", "text": "typo"}, "Unknown activity type"),
        ({"type": "message"}, "text or attachments"),
        ({"type": "message", "text": ""}, "text or attachments"),
        ({"type": "message", "attachments": []}, "text or attachments"),
        ({"type": "message", "speak": "vain puhetta"}, "text or attachments"),
        ({"type": "message", "attachments": [{"content": {}}]}, "contentType"),
        ({"type": "message", "attachments": [{"contentType": ""}]}, "contentType"),
        ({"type": "message", "text": "x", "attachments": "card"}, "must be a list"),
        ([{"type": "message", "text": "x"}], "JSON object"),
    ],
)
async def test_malformed_activities_are_400_bad_argument(body: Any, reason: str) -> None:
    async with FakeConnector() as fc, aiohttp.ClientSession() as http:
        fc.add_conversation("a:1x")
        sent = await _every_way_of_sending(http, fc, body)
    for status, answer in sent:
        assert status == 400
        assert answer["error"]["code"] == "BadArgument"
        assert reason in answer["error"]["message"]
    assert not fc.sent
    assert not fc.updates


async def _every_way_of_sending(
    http: aiohttp.ClientSession, fc: FakeConnector, body: Any
) -> list[tuple[int, Any]]:
    """POST, reply, PUT and create-conversation with ``body`` as the activity."""
    first = await _post(
        http, fc, "v3/conversations/a:1x/activities", {"type": "message", "text": "ok"}
    )
    issued = first[1]["id"]
    create = {
        "bot": A.BOT,
        "members": [{"id": "29:1x"}],
        "channelData": {"tenant": {"id": A.TENANT_ID}},
        "activity": body,
    }
    fc.reset()
    return [
        await _post(http, fc, "v3/conversations/a:1x/activities", body),
        await _post(http, fc, "v3/conversations/a:1x/activities/1700000000000", body),
        await _post(http, fc, f"v3/conversations/a:1x/activities/{issued}", body, "PUT"),
        await _post(http, fc, "v3/conversations", create),
    ]


async def test_what_botbuilder_sends_is_accepted() -> None:
    message = MessageFactory.text("Tervetuloa!", speak="Tervetuloa", input_hint="acceptingInput")
    message.channel_data = {"notification": {"alert": True}}
    message.entities = [{"type": "mention", "text": "<at>Aino</at>", "mentioned": {"id": "29:1"}}]
    card = MessageFactory.attachment(
        Attachment(content_type="application/vnd.microsoft.card.adaptive", content=_card())
    )
    card_only_speak = MessageFactory.attachment(
        Attachment(content_type="application/vnd.microsoft.card.adaptive", content=_card()),
        speak="Kortti",
    )
    other = MessageFactory.attachment(
        Attachment(content_type="application/vnd.microsoft.card.hero", content={"title": "x"})
    )
    typing = Activity(type="typing")
    async with FakeConnector() as fc, _anonymous_client(fc) as client:
        fc.add_conversation("a:1x")
        for activity in (message, card, card_only_speak, other, typing):
            await client.conversations.send_to_conversation("a:1x", activity)
    assert [r.status for r in fc.requests] == [201] * 5
    assert fc.requests[0].json["speak"] == "Tervetuloa"
    assert fc.requests[0].json["inputHint"] == "acceptingInput"


@pytest.mark.parametrize(
    ("card", "reason"),
    [
        (_card("1.6"), "above what Teams supports"),
        (_card("2.0"), "above what Teams supports"),
        (_card("1.x"), "major.minor"),
        ({k: v for k, v in _card().items() if k != "version"}, "version"),
        (_card(type="HeroCard"), "type 'AdaptiveCard'"),
        ('{"type": "AdaptiveCard"}', "JSON object"),
        (_card(body=[{"type": "Bogus", "text": "x"}]), "type 'Bogus'"),
        (_card(body=[{"type": "TextBlock"}]), "'text' is a required property"),
        (_card(body=[{"type": "TextBlock", "text": "x", "colour": "Red"}]), "colour"),
        (_card(actions=[{"type": "Action.OpenUrl", "title": "x"}]), "'url' is a required"),
        (_card("1.2"), "type 'Action.Execute'"),  # Action.Execute is 1.4
        (
            _card("1.4", body=[{"type": "Table", "columns": [], "rows": []}], actions=[]),
            "type 'Table'",  # Table is 1.5
        ),
        (_card(msteams="Full"), "msteams"),
    ],
)
async def test_adaptive_cards_that_fail_their_declared_schema_are_400(
    card: Any, reason: str
) -> None:
    async with FakeConnector() as fc, aiohttp.ClientSession() as http:
        fc.add_conversation("a:1x")
        status, answer = await _post(
            http, fc, "v3/conversations/a:1x/activities", _card_activity(card)
        )
    assert status == 400
    assert answer["error"]["code"] == "BadArgument"
    assert reason in answer["error"]["message"]


@pytest.mark.parametrize(
    "card",
    [
        _card(),
        _card(msteams={"width": "Full"}),
        _card("1.4", body=[{"type": "TextBlock", "text": "x"}]),
        _card("1.0", body=[{"type": "TextBlock", "text": "x", "weight": "bolder"}], actions=[]),
        _card(refresh={"action": {"type": "Action.Execute", "verb": "r"}, "userIds": ["29:1"]}),
    ],
)
async def test_adaptive_cards_valid_for_their_version_are_accepted(card: Any) -> None:
    async with FakeConnector() as fc, aiohttp.ClientSession() as http:
        fc.add_conversation("a:1x")
        status, _ = await _post(http, fc, "v3/conversations/a:1x/activities", _card_activity(card))
    assert status == 201


def test_vendored_adaptive_card_schemas_are_the_recorded_files() -> None:
    source = (SCHEMA_DIR / "SOURCE.md").read_text(encoding="utf-8")
    recorded = dict(re.findall(r"\| (schema-1\.\d\.json) \| ([0-9a-f]{64}) \|", source))
    on_disk = {
        p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in SCHEMA_DIR.glob("*.json")
    }
    assert on_disk == recorded
    assert sorted(recorded) == [f"schema-{v}.json" for v in CARD_VERSIONS]


async def test_strictness_can_be_switched_off_for_benchmarks() -> None:
    async with (
        FakeConnector(check_conversations=False, check_activities=False) as fc,
        aiohttp.ClientSession() as http,
    ):
        for path, body, method in (
            ("v3/conversations/a:1never/activities", {}, "POST"),
            ("v3/conversations/a:1never/activities/123", {"type": "bogus"}, "PUT"),
        ):
            status, _ = await _post(http, fc, path, body, method)
            assert status in (200, 201)


async def test_expect_token_rejects_missing_or_wrong_bearer() -> None:
    async with FakeConnector(expect_token="oikea") as fc:
        fc.add_conversation("a:1x")
        for credentials in (
            MicrosoftAppCredentials.empty(),
            StaticTokenCredentials(A.BOT_APP_ID, "väärä"),
        ):
            async with ConnectorClient(credentials, base_url=fc.url) as client:
                with pytest.raises(ErrorResponseException) as caught:
                    await client.conversations.send_to_conversation("a:1x", _message("x"))
                assert caught.value.response.status_code == 401
        good = StaticTokenCredentials(A.BOT_APP_ID, "oikea")
        async with ConnectorClient(good, base_url=fc.url) as client:
            await client.conversations.send_to_conversation("a:1x", _message("ok"))
    assert [r.status for r in fc.requests] == [401, 401, 201]
    assert fc.requests[-1].authorization == "Bearer oikea"


async def test_wait_for_count_and_wait_for() -> None:
    async with FakeConnector() as fc, _anonymous_client(fc) as client:
        fc.add_conversation("a:1x")

        async def later() -> None:
            await asyncio.sleep(0.05)
            for text in ("yksi", "kaksi"):
                await client.conversations.send_to_conversation("a:1x", _message(text))

        task = asyncio.create_task(later())
        sent = await fc.wait_for_count(2, timeout=5)
        assert [b["text"] for b in sent] == ["yksi", "kaksi"]
        hit = await fc.wait_for(lambda r: r.json and r.json.get("text") == "kaksi")
        assert hit.route == "send"
        await task
        with pytest.raises(AssertionError, match="timed out"):
            await fc.wait_for_count(3, timeout=0.05)


async def test_meeting_participant_and_details_routes() -> None:
    conv = A.Conv.meeting_chat()
    meeting_id = conv.meeting_id
    assert meeting_id is not None
    assert "/" not in conv.id
    user = A.User(name="Olli Ohjaaja")
    async with FakeConnector() as fc, aiohttp.ClientSession() as http:
        fc.set_participant(
            meeting_id, user.aad_object_id, "Organizer", A.TENANT_ID, user=user.member()
        )
        fc.set_meeting(meeting_id, title="Etäpäivä ma", conversation_id=conv.id)
        base = f"{fc.url}v1/meetings/{_quote(meeting_id)}"
        url = f"{base}/participants/{user.aad_object_id}?tenantId={A.TENANT_ID}"
        async with http.get(url) as resp:
            assert resp.status == 200
            body = await resp.json()
        assert body["meeting"] == {"role": "Organizer", "inMeeting": True}
        assert body["user"]["aadObjectId"] == user.aad_object_id
        assert body["user"]["userRole"] == "user"
        assert body["conversation"]["isGroup"] is True
        for bad in (
            f"{base}/participants/{user.aad_object_id}?tenantId=someone-else",
            f"{base}/participants/00000000-0000-0000-0000-000000000000?tenantId={A.TENANT_ID}",
        ):
            async with http.get(bad) as resp:
                assert resp.status == 404
        assert fc.requests[0].route == "get_participant"
        assert fc.requests[0].meeting_id == meeting_id

        # TeamsOperations is synchronous `requests` I/O on this event loop: the threaded fake
        # answers anyway. In 4.17.1 fetch_participant is routed to the meeting-details URL
        # (teams-facts §3/§11.1); this assertion flags the day the SDK fixes it.
        teams = TeamsConnectorClient(MicrosoftAppCredentials.empty(), base_url=fc.url)
        info = teams.teams.fetch_meeting(meeting_id)
        assert info.details["title"] == "Etäpäivä ma"
        assert info.conversation["id"] == conv.id
        teams.teams.fetch_participant(meeting_id, user.aad_object_id, A.TENANT_ID)
        assert fc.requests[-1].route == "get_meeting"


def _quote(value: str) -> str:
    from urllib.parse import quote

    return quote(value, safe="")


async def test_targeted_meeting_notification_route() -> None:
    body = {
        "type": "targetedMeetingNotification",
        "value": {
            "recipients": ["29:1abc"],
            "surfaces": [{"surface": "meetingStage", "contentType": "task", "content": {}}],
        },
    }
    async with FakeConnector() as fc, aiohttp.ClientSession() as http:
        url = f"{fc.url}v1/meetings/{_quote('MCMxOTptZWV0aW5n')}/notification"
        async with http.post(url, json=body) as resp:
            assert resp.status == 202
        empty = {**body, "value": {"recipients": []}}
        async with http.post(url, json=empty) as resp:
            assert resp.status == 400
    assert fc.notifications == [body]


# ============================================================================ activities


def test_personal_message_shape() -> None:
    user = A.User(name="Aino Virtanen")
    conv = A.Conv.personal()
    msg = A.message("apua", conversation=conv, sender=user, service_url="http://x/")
    assert msg["type"] == "message"
    assert msg["text"] == "apua"
    assert msg["channelId"] == "msteams"
    assert msg["serviceUrl"] == "http://x/"
    assert msg["recipient"] == A.BOT == {"id": f"28:{A.BOT_APP_ID}", "name": "Etäpäivä"}
    assert msg["from"] == {
        "id": user.teams_id,
        "name": "Aino Virtanen",
        "aadObjectId": user.aad_object_id,
    }
    assert msg["conversation"] == {
        "conversationType": "personal",
        "tenantId": A.TENANT_ID,
        "id": conv.id,
    }
    assert conv.id.startswith("a:1")
    assert user.teams_id.startswith("29:1")
    assert msg["channelData"] == {"tenant": {"id": A.TENANT_ID}}
    assert msg["locale"] == "fi-FI"
    assert msg["entities"] == [
        {
            "type": "clientInfo",
            "locale": "fi-FI",
            "country": "FI",
            "platform": "Web",
            "timezone": "Europe/Helsinki",
        }
    ]
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z", msg["timestamp"])
    assert datetime.fromisoformat(msg["localTimestamp"]).utcoffset() is not None
    again = A.message("apua", conversation=conv, sender=user, service_url="http://x/")
    assert msg["id"] != again["id"]
    assert msg["id"].isdigit()
    assert A.message("x", conversation=conv, sender=user, service_url="u", id="42")["id"] == "42"


def test_mention_and_channel_message_shape() -> None:
    conv = A.Conv.channel(channel_name="Yleinen")
    msg = A.message("help", conversation=conv, sender=A.User(), service_url="u", mentions_bot=True)
    assert msg["text"] == "<at>Etäpäivä</at> help"
    assert {
        "type": "mention",
        "mentioned": A.BOT,
        "text": "<at>Etäpäivä</at>",
    } in msg["entities"]
    assert msg["attachments"][0]["contentType"] == "text/html"
    assert msg["conversation"]["conversationType"] == "channel"
    assert msg["conversation"]["isGroup"] is True
    assert msg["conversation"]["id"] == f"{conv.id};messageid={msg['id']}"
    assert conv.id.endswith("@thread.tacv2")
    assert conv.channel_id == conv.team_id
    data = msg["channelData"]
    assert data["team"] == {"id": conv.team_id}
    assert data["channel"] == {"id": conv.channel_id}
    assert data["teamsTeamId"] == conv.team_id
    assert data["tenant"] == {"id": A.TENANT_ID}
    reply = A.message("x", conversation=conv.thread("111"), sender=A.User(), service_url="u")
    assert reply["conversation"]["id"] == f"{conv.id};messageid=111"
    group = A.Conv.group_chat()
    assert group.id.endswith("@thread.v2")
    assert group.conversation()["isGroup"] is True


def test_card_submit_and_invoke_execute_shapes() -> None:
    conv, user = A.Conv.group_chat(), A.User()
    submit = A.card_submit(
        {"mood": 3}, conversation=conv, sender=user, service_url="u", reply_to_id="99"
    )
    assert submit["type"] == "message"
    assert "text" not in submit
    assert submit["value"] == {"mood": 3}
    assert submit["replyToId"] == "99"
    invoke = A.invoke_execute(
        "checkIn", {"mood": 4}, conversation=conv, sender=user, service_url="u"
    )
    assert invoke["type"] == "invoke"
    assert invoke["name"] == "adaptiveCard/action"
    assert invoke["value"] == {
        "action": {"type": "Action.Execute", "verb": "checkIn", "data": {"mood": 4}},
        "trigger": "manual",
    }
    assert invoke["id"].startswith("f:")


def test_installation_and_members_added_shapes() -> None:
    conv, user = A.Conv.channel(channel_name="Ryhmä"), A.User()
    install = A.installation_update(conversation=conv, sender=user, service_url="u")
    assert install["type"] == "installationUpdate"
    assert install["action"] == "add"
    data = install["channelData"]
    assert data["settings"] == {"selectedChannel": {"id": conv.channel_id}}
    assert data["team"] == {
        "aadGroupId": conv.aad_group_id,
        "name": "Etäpäivä-tiimi",
        "id": conv.team_id,
    }
    assert data["source"] == {"name": "message"}
    assert install["conversation"]["name"] == "Ryhmä"
    assert install["conversation"]["id"] == conv.id  # no ;messageid on events

    personal = A.Conv.personal()
    added = A.members_added([user], conversation=personal, sender=user, service_url="u")
    assert added["type"] == "conversationUpdate"
    assert added["membersAdded"] == [
        {"id": A.BOT["id"]},
        {"id": user.teams_id, "aadObjectId": user.aad_object_id},
    ]
    team_added = A.members_added([], conversation=conv, sender=user, service_url="u")
    assert team_added["membersAdded"] == [{"id": A.BOT["id"]}]
    assert team_added["channelData"]["eventType"] == "teamMemberAdded"
    other = A.Conv.channel(conv.team_id, A.new_channel_id())
    user_added = A.members_added(
        [user], conversation=other, sender=user, service_url="u", bot_added=False
    )
    assert user_added["conversation"]["id"] == conv.team_id
    removed = A.members_removed(
        [], conversation=conv, sender=user, service_url="u", bot_removed=True
    )
    assert removed["membersRemoved"] == [{"id": A.BOT["id"]}]


def test_meeting_event_shapes() -> None:
    conv, user = A.Conv.meeting_chat(), A.User()
    assert conv.id.startswith("19:meeting_")
    assert conv.id.endswith("@thread.v2")
    assert conv.meeting_id is not None
    assert base64.b64decode(conv.meeting_id).decode() == f"0#{conv.id}#0"
    assert A.Conv.meeting_chat(conv.meeting_id).id == conv.id
    start = A.meeting_start(conversation=conv, sender=user, service_url="u", title="Aamu")
    assert start["type"] == "event"
    assert start["name"] == A.MEETING_START
    assert start["channelData"]["meeting"] == {"id": conv.meeting_id}
    assert start["channelData"]["tenant"] == {"id": A.TENANT_ID}
    assert start["value"]["title"] == "Aamu"
    assert start["value"]["meetingType"] == "Scheduled"
    assert start["value"]["id"] == conv.id  # the trap: value.id is not the meeting id
    assert "startTime" in start["value"]
    end = A.meeting_end(conversation=conv, sender=user, service_url="u", pascal_case=True)
    assert end["name"] == A.MEETING_END
    assert set(end["value"]) == {"Id", "JoinUrl", "Title", "MeetingType", "EndTime"}
    join = A.meeting_participants_join(
        [(user, "Attendee")], conversation=conv, sender=user, service_url="u"
    )
    assert join["value"]["members"][0]["meeting"] == {"inMeeting": True, "role": "Attendee"}
    with pytest.raises(ValueError, match="meeting"):
        A.meeting_start(conversation=A.Conv.personal(), sender=user, service_url="u")


def test_builders_deserialize_into_botbuilder_models() -> None:
    conv = A.Conv.channel(channel_name="Yleinen")
    install = Activity().deserialize(
        A.installation_update(conversation=conv, sender=A.User(), service_url="u")
    )
    channel_data = teams_get_channel_data(install)
    assert channel_data.tenant.id == A.TENANT_ID
    assert channel_data.settings.selected_channel.id == conv.channel_id
    assert teams_get_team_info(install).aad_group_id == conv.aad_group_id
    meeting_conv = A.Conv.meeting_chat()
    start = Activity().deserialize(
        A.meeting_start(conversation=meeting_conv, sender=A.User(), service_url="u")
    )
    assert teams_get_meeting_info(start).id == meeting_conv.meeting_id
    msg = Activity().deserialize(
        A.message("x", conversation=A.Conv.personal(), sender=A.User(), service_url="u")
    )
    assert msg.from_property.aad_object_id
    assert msg.conversation.conversation_type == "personal"
    assert msg.recipient.id == A.BOT["id"]
    assert msg.channel_id == "msteams"


class _RecordingBot(TeamsActivityHandler):  # type: ignore[misc]
    """Records which TeamsActivityHandler hook Teams-shaped activities reach."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, Any]] = []

    async def on_message_activity(self, turn_context: TurnContext) -> None:
        activity = turn_context.activity
        self.calls.append(("message", activity.value if activity.value else activity.text))
        await turn_context.send_activity(MessageFactory.text(f"kaiku: {activity.text}"))

    async def on_installation_update_add(self, turn_context: TurnContext) -> None:
        self.calls.append(("install", turn_context.activity.conversation.id))

    async def on_teams_members_added(
        self,
        teams_members_added: list[TeamsChannelAccount],
        team_info: TeamInfo,
        turn_context: TurnContext,
    ) -> None:
        self.calls.append(("members_added", [m.email or m.id for m in teams_members_added]))

    async def on_teams_meeting_start_event(self, meeting: Any, turn_context: TurnContext) -> None:
        self.calls.append(("meeting_start", meeting))

    async def on_adaptive_card_invoke(
        self, turn_context: TurnContext, invoke_value: AdaptiveCardInvokeValue
    ) -> AdaptiveCardInvokeResponse:
        action = invoke_value.action  # a raw dict in 4.17.1 (AdaptiveCardInvokeValue(**value))
        self.calls.append(("execute", (action["verb"], action["data"])))
        card = {"type": "AdaptiveCard", "version": "1.5", "body": []}
        return AdaptiveCardInvokeResponse(
            status_code=200, type="application/vnd.microsoft.card.adaptive", value=card
        )


class _Config:
    """A bot config object as ConfigurationBotFrameworkAuthentication reads it."""

    APP_ID = ""
    APP_PASSWORD = ""


@pytest.fixture
async def bot_http() -> AsyncIterator[tuple[TestClient[Any, Any], _RecordingBot]]:
    """The recording bot behind a real CloudAdapter on loopback (auth disabled)."""
    bot = _RecordingBot()
    adapter = CloudAdapter(ConfigurationBotFrameworkAuthentication(_Config()))

    async def messages(request: web.Request) -> web.Response:
        response: web.Response = await adapter.process(request, bot)
        return response

    app = web.Application()
    app.router.add_post("/api/messages", messages)
    async with TestClient(TestServer(app, host="127.0.0.1")) as client:
        yield client, bot


async def test_teams_activity_handler_dispatch_over_http(
    bot_http: tuple[TestClient[Any, Any], _RecordingBot],
) -> None:
    client, bot = bot_http
    async with FakeConnector() as fc:
        url = fc.url
        user = A.User(name="Aino Virtanen", upn="aino@hel.example")
        personal, team, meeting = A.Conv.personal(), A.Conv.channel(), A.Conv.meeting_chat()
        fc.add_member(team.team_id or "", user.member())
        inbound = [
            A.message("moi", conversation=personal, sender=user, service_url=url),
            A.card_submit({"mood": 5}, conversation=personal, sender=user, service_url=url),
            A.installation_update(conversation=team, sender=user, service_url=url),
            A.members_added(
                [user],
                conversation=A.Conv.channel(team.team_id, A.new_channel_id()),
                sender=user,
                service_url=url,
                bot_added=False,
            ),
            A.meeting_start(conversation=meeting, sender=user, service_url=url),
        ]
        for activity in inbound:
            learn_conversation_of(activity)  # Teams has the conversation it sends from
            resp = await client.post("/api/messages", json=activity)
            assert resp.status in (200, 201), await resp.text()
        await fc.wait_for_count(2)
    kinds = [kind for kind, _ in bot.calls]
    assert kinds == ["message", "message", "install", "members_added", "meeting_start"]
    assert bot.calls[1][1] == {"mood": 5}
    assert bot.calls[2][1] == team.id
    assert bot.calls[3][1] == ["aino@hel.example"]  # TeamsInfo.get_member hit the fake
    assert bot.calls[4][1]["title"] == "Etäpäivä"  # handlers get the raw value dict
    assert fc.texts(personal.id) == ["kaiku: moi", "kaiku: None"]
    assert fc.requests[0].route == "reply"  # send_activity in a turn replies (replyToId)
    assert fc.requests[0].activity_id == inbound[0]["id"]


async def test_invoke_execute_reaches_the_adaptive_card_handler() -> None:
    bot = _RecordingBot()
    activity = Activity().deserialize(
        A.invoke_execute(
            "checkIn",
            {"mood": 4},
            conversation=A.Conv.personal(),
            sender=A.User(),
            service_url="http://127.0.0.1:9/",
        )
    )
    await bot.on_turn(TurnContext(TestAdapter(), activity))
    assert bot.calls == [("execute", ("checkIn", {"mood": 4}))]


# ============================================================================ tokens


class _AuthConfig:
    """Bot config with an app id: inbound tokens are required."""

    APP_ID = A.BOT_APP_ID
    APP_PASSWORD = "not-used"


SERVICE_URL = "http://127.0.0.1:9/teams/"


@pytest.fixture(scope="module")
def idp() -> Iterator[FakeIdentityProvider]:
    """One identity provider for the token tests (RSA keys are slow to make)."""
    with FakeIdentityProvider() as provider:
        yield provider


def _activity(service_url: str = SERVICE_URL) -> Activity:
    return Activity().deserialize(
        A.message("moi", conversation=A.Conv.personal(), sender=A.User(), service_url=service_url)
    )


async def test_sdk_accepts_a_good_token(idp: FakeIdentityProvider) -> None:
    auth = ConfigurationBotFrameworkAuthentication(idp.configure(_AuthConfig()))
    token = idp.issue(A.BOT_APP_ID, SERVICE_URL)
    result = await auth.authenticate_request(_activity(), idp.bearer(token))
    claims = result.claims_identity.claims
    assert claims["aud"] == A.BOT_APP_ID
    assert claims["serviceurl"] == SERVICE_URL
    assert claims["iss"] == "https://api.botframework.com"
    assert result.claims_identity.is_authenticated
    header = jwt.get_unverified_header(token)
    assert header["alg"] == "RS256"
    assert header["kid"] == idp.kid
    jwk = idp.public_jwk()
    assert jwk["endorsements"] == ["msteams"]
    assert {"n", "e", "kty", "use", "kid"} <= set(jwk)
    assert idp.openid_metadata()["jwks_uri"] == idp.jwks_url


def _bad_headers(idp: FakeIdentityProvider) -> dict[str, tuple[str | None, type[BaseException]]]:
    app = A.BOT_APP_ID
    return {
        # PermissionError -> CloudAdapter answers 401.
        "missing": (None, PermissionError),
        # CloudAdapter passes "" when the header is absent; the parameterized path then fails
        # with AttributeError (-> HTTP 500), unlike the public-cloud path (PermissionError).
        "empty": ("", AttributeError),
        "not bearer": (f"Basic {idp.issue(app, SERVICE_URL)}", PermissionError),
        "wrong audience": (idp.bearer(idp.issue("someone-else", SERVICE_URL)), PermissionError),
        "wrong serviceurl": (idp.bearer(idp.issue(app, "https://evil/")), PermissionError),
        "wrong issuer": (
            idp.bearer(idp.issue(app, SERVICE_URL, issuer="https://evil")),
            PermissionError,
        ),
        # Not PermissionError in botframework-connector 4.17.1 -> CloudAdapter answers 500.
        "forged": (idp.bearer(idp.forged(app, SERVICE_URL)), jwt.InvalidSignatureError),
        "expired": (idp.bearer(idp.expired(app, SERVICE_URL)), jwt.ExpiredSignatureError),
        "unknown kid": (idp.bearer(idp.forged(app, SERVICE_URL, kid="nope")), IndexError),
    }


@pytest.mark.parametrize(
    "case",
    [
        "missing",
        "empty",
        "not bearer",
        "wrong audience",
        "wrong serviceurl",
        "wrong issuer",
        "forged",
        "expired",
        "unknown kid",
    ],
)
async def test_sdk_rejects_bad_tokens(idp: FakeIdentityProvider, case: str) -> None:
    auth = ConfigurationBotFrameworkAuthentication(idp.configure(_AuthConfig()))
    header, error = _bad_headers(idp)[case]
    with pytest.raises(error):
        await auth.authenticate_request(_activity(), header)


async def test_metadata_is_cached_per_url_until_forgotten() -> None:
    with FakeIdentityProvider() as provider:
        auth = ConfigurationBotFrameworkAuthentication(provider.configure(_AuthConfig()))
        for _ in range(3):
            token = provider.issue(A.BOT_APP_ID, SERVICE_URL)
            await auth.authenticate_request(_activity(), provider.bearer(token))
        assert provider.fetches == ["metadata", "keys"]
        assert provider.metadata_url in JwtTokenExtractor.metadataCache
        provider.forget_sdk_cache()
        token = provider.issue(A.BOT_APP_ID, SERVICE_URL)
        await auth.authenticate_request(_activity(), provider.bearer(token))
        assert provider.fetches == ["metadata", "keys"] * 2
        url = provider.metadata_url
    assert url not in JwtTokenExtractor.metadataCache  # close() forgets it


async def test_endorsements_must_include_the_channel() -> None:
    with FakeIdentityProvider(endorsements=("webchat",)) as provider:
        auth = ConfigurationBotFrameworkAuthentication(provider.configure(_AuthConfig()))
        token = provider.issue(A.BOT_APP_ID, SERVICE_URL)
        with pytest.raises(Exception, match="endorsement"):
            await auth.authenticate_request(_activity(), provider.bearer(token))


async def test_cloud_adapter_end_to_end_with_tokens_both_ways(idp: FakeIdentityProvider) -> None:
    bot = _RecordingBot()
    async with FakeConnector(expect_token="bot-token") as fc:
        config = idp.configure(_AuthConfig())
        auth = ConfigurationBotFrameworkAuthentication(
            config, credentials_factory=StaticTokenCredentialsFactory(A.BOT_APP_ID, "bot-token")
        )
        adapter = CloudAdapter(auth)

        async def messages(request: web.Request) -> web.Response:
            response: web.Response = await adapter.process(request, bot)
            return response

        app = web.Application()
        app.router.add_post("/api/messages", messages)
        user, conv = A.User(), A.Conv.personal()
        async with TestClient(TestServer(app, host="127.0.0.1")) as client:

            async def post(text: str, authorization: str | None) -> int:
                activity = A.message(text, conversation=conv, sender=user, service_url=fc.url)
                learn_conversation_of(activity)
                headers = {"Authorization": authorization} if authorization else {}
                resp = await client.post("/api/messages", json=activity, headers=headers)
                return resp.status

            assert await post("moi", idp.bearer(idp.issue(A.BOT_APP_ID, fc.url))) == 201
            # No header: CloudAdapter passes "" and the parameterized auth path (what a custom
            # metadata URL selects) crashes with AttributeError -> 500, not 401.
            assert await post("ei tokenia", None) == 500
            assert await post("väärä", idp.bearer(idp.issue("other", fc.url))) == 401
            # A forged signature is not a PermissionError in 4.17.1: unhandled -> 500.
            assert await post("väärennös", idp.bearer(idp.forged(A.BOT_APP_ID, fc.url))) == 500
        sent = await fc.wait_for_count(1)
    assert [text for kind, text in bot.calls if kind == "message"] == ["moi"]
    assert sent[0]["text"] == "kaiku: moi"
    assert fc.requests[0].authorization == "Bearer bot-token"
    assert fc.requests[0].ok


def test_teams_charts_pass_when_shaped_as_documented_and_fail_otherwise() -> None:
    from tests.fakes.adaptive_cards import card_problem

    def card(chart: dict[str, Any]) -> dict[str, Any]:
        return {
            "type": "AdaptiveCard",
            "version": "1.5",
            "body": [{"type": "Container", "items": [chart]}],
        }

    good = {
        "type": "Chart.VerticalBar",
        "title": "1–6",
        "data": [{"x": "1", "y": 0}, {"x": "2", "y": 3}],
        "fallback": "drop",
    }
    assert card_problem(card(good)) is None
    assert card_problem(card({**good, "data": []})) is not None
    assert card_problem(card({**good, "data": [{"x": "1", "y": "3"}]})) is not None
    assert card_problem(card({**good, "bars": 3})) is not None
    # the rest of the card is still checked against the schema
    broken = card(good)
    broken["body"].append({"type": "TextBlock"})
    assert card_problem(broken) is not None
