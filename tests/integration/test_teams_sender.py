"""TeamsSender over botbuilder's real CloudAdapter and the fake connector: one request per send.

botframework-connector's HTTP layer retries on its own (a PUT on 429 and 5xx, any request whose
connection fails); these tests fail if those retries come back.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from msrest.universal_http.requests import ClientRetryPolicy

from bot.outbox_worker import SendFailed
from bot.settings import Settings
from bot.teams.adapter import build_adapter
from bot.teams.sender import TeamsSender, retry_after_seconds, speed_up_msrest
from domain.model import Conversation, ConversationKind
from domain.outbox import OutboxMessage
from tests.fakes.activities import BOT, new_group_chat_id
from tests.fakes.connector import FakeConnector, learn_conversation
from tests.integration.harness import free_port

CARD = {"type": "AdaptiveCard", "version": "1.5", "body": [{"type": "TextBlock", "text": "1"}]}


@pytest.fixture
def connector() -> Iterator[FakeConnector]:
    """A fake Bot Connector."""
    with FakeConnector() as fc:
        yield fc


def conversation(service_url: str) -> Conversation:
    """A stored group chat whose reference points at service_url (Teams has it there)."""
    cid = new_group_chat_id()
    learn_conversation(service_url, cid)
    reference = {
        "bot": dict(BOT),
        "conversation": {"id": cid, "isGroup": True, "conversationType": "groupChat"},
        "channelId": "msteams",
        "serviceUrl": service_url,
    }
    return Conversation(cid, ConversationKind.GROUP_CHAT, service_url, reference)


@pytest.fixture
def sender() -> TeamsSender:
    """A TeamsSender over the adapter the app builds (local mode)."""
    return TeamsSender(build_adapter(Settings()), "")


async def test_posts_text_card_and_speak_to_the_conversation(
    connector: FakeConnector, sender: TeamsSender
) -> None:
    conv = conversation(connector.url)
    message = OutboxMessage("k1", conv.conversation_id, text="Tauko", card=CARD, speak="Tauko")
    activity_id = await sender.send(conv, message)
    (request,) = connector.requests
    assert request.route == "send"  # POST …/activities, not a reply to a made-up activity
    assert request.conversation_id == conv.conversation_id
    assert activity_id == request.response["id"]
    assert request.json["text"] == "Tauko"
    assert request.json["speak"] == "Tauko"
    assert request.json["attachments"][0]["content"] == CARD
    assert "replyToId" not in request.json


async def test_update_replaces_the_activity(connector: FakeConnector, sender: TeamsSender) -> None:
    conv = conversation(connector.url)
    first = await sender.send(conv, OutboxMessage("k1", conv.conversation_id, card=CARD))
    assert first is not None
    again = await sender.send(conv, OutboxMessage("k2", conv.conversation_id, card=CARD), first)
    assert again == first
    update = connector.requests[-1]
    assert (update.method, update.route, update.activity_id) == ("PUT", "update", first)


@pytest.mark.parametrize("update", [False, True], ids=["post", "put"])
@pytest.mark.parametrize("status", [429, 500, 503, 504])
async def test_a_refused_send_is_one_request_and_raises(
    connector: FakeConnector, sender: TeamsSender, status: int, update: bool
) -> None:
    conv = conversation(connector.url)
    message = OutboxMessage("k1", conv.conversation_id, text="x")
    replace = await sender.send(conv, message) if update else None
    before = len(connector.requests)
    connector.fail_next(1, status=status, retry_after=1.5)
    with pytest.raises(SendFailed) as caught:
        await sender.send(conv, message, replace)
    assert caught.value.status == status
    assert caught.value.retry_after == (1.5 if status == 429 else None)
    # msrest would repeat a PUT (and honour Retry-After in a worker thread): the outbox retries
    assert len(connector.requests) == before + 1


async def test_gone_conversation_raises_403(connector: FakeConnector, sender: TeamsSender) -> None:
    conv = conversation(connector.url)
    connector.mark_gone(conv.conversation_id, 403, code="BotNotInConversationRoster")
    with pytest.raises(SendFailed) as caught:
        await sender.send(conv, OutboxMessage("k1", conv.conversation_id, text="x"))
    assert caught.value.status == 403
    assert caught.value.reason == "BotNotInConversationRoster"


async def test_a_refused_connection_fails_at_once(sender: TeamsSender) -> None:
    conv = conversation(f"http://127.0.0.1:{free_port()}/")
    started = time.monotonic()
    with pytest.raises(SendFailed) as caught:
        await sender.send(conv, OutboxMessage("k1", conv.conversation_id, text="x"))
    assert caught.value.status is None
    assert time.monotonic() - started < 1.0  # msrest alone retries for about 5 s


def test_retry_after_in_seconds_or_as_a_date() -> None:
    now = datetime(2026, 3, 5, 8, 0, tzinfo=UTC)
    assert retry_after_seconds("2") == 2.0
    assert retry_after_seconds("1.5") == 1.5
    assert retry_after_seconds(None) is None
    assert retry_after_seconds("soon") is None
    later = (now + timedelta(seconds=30)).strftime("%a, %d %b %Y %H:%M:%S GMT")
    assert retry_after_seconds(later, now) == 30.0


def test_msrest_retry_policy_is_cheap_and_unchanged(monkeypatch: pytest.MonkeyPatch) -> None:
    # msrest as shipped: the safe codes are a 500-item list that every ClientRetryPolicy (two
    # per send and per turn) scans 999 times, about 6 ms of CPU each (teams-facts §11.6)
    shipped = [*range(408), *range(409, 500), 501, 505]
    monkeypatch.setattr(ClientRetryPolicy, "safe_codes", list(shipped))
    expected = [i for i in range(999) if i not in shipped]
    assert list(ClientRetryPolicy().policy.status_forcelist) == expected
    TeamsSender(build_adapter(Settings()), "")  # as the app builds its sender
    # a frozenset answers `in` with one hash lookup: building a policy no longer scans a list
    codes = ClientRetryPolicy.safe_codes
    assert isinstance(codes, frozenset)
    assert codes == frozenset(shipped)
    speed_up_msrest()  # idempotent
    assert ClientRetryPolicy.safe_codes is codes
    assert list(ClientRetryPolicy().policy.status_forcelist) == expected
