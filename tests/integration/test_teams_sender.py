"""TeamsSender over our Bot Connector client and the fake connector: one request per send.

botframework-connector's HTTP layer retried on its own (a PUT on 429 and 5xx, any request whose
connection failed), hiding throttling from the outbox; these tests fail if such retries appear.
The activity posted has the shape botbuilder gives it, and every card action is signed for the
conversation it goes to.
"""

from __future__ import annotations

import time
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime, timedelta

import pytest

from bot.settings import Settings
from bot.teams.connector import BotConnector, TokenSource
from bot.teams.sender import TeamsSender, retry_after_seconds
from bot.teams.signing import CardSigner
from domain.model import Conversation, ConversationKind
from domain.outbox import OutboxMessage, SendFailed
from tests.fakes.activities import BOT, new_group_chat_id
from tests.fakes.connector import FakeConnector, learn_conversation
from tests.integration.harness import free_port

CARD = {"type": "AdaptiveCard", "version": "1.5", "body": [{"type": "TextBlock", "text": "1"}]}
BUTTON_CARD = {
    **CARD,
    "actions": [
        {
            "type": "Action.Execute",
            "title": "Olen paikalla",
            "verb": "rollcall.here",
            "data": {"verb": "rollcall.here", "rollcall": "7"},
        }
    ],
}
SIGNER = CardSigner(b"k" * 32)


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
async def sender() -> AsyncIterator[TeamsSender]:
    """A TeamsSender over the Bot Connector client the app builds (local mode)."""
    connector = BotConnector(TokenSource(Settings()))
    try:
        yield TeamsSender(connector, SIGNER)
    finally:
        await connector.close()


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
    # msrest repeated a PUT (and honoured Retry-After in a worker thread): the outbox retries
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
    assert time.monotonic() - started < 1.0  # msrest alone retried for about 5 s


def test_retry_after_in_seconds_or_as_a_date() -> None:
    now = datetime(2026, 3, 5, 8, 0, tzinfo=UTC)
    assert retry_after_seconds("2") == 2.0
    assert retry_after_seconds("1.5") == 1.5
    assert retry_after_seconds(None) is None
    assert retry_after_seconds("soon") is None
    later = (now + timedelta(seconds=30)).strftime("%a, %d %b %Y %H:%M:%S GMT")
    assert retry_after_seconds(later, now) == 30.0


async def test_card_actions_are_signed_for_the_conversation(
    connector: FakeConnector, sender: TeamsSender
) -> None:
    conv = conversation(connector.url)
    await sender.send(conv, OutboxMessage("k1", conv.conversation_id, card=BUTTON_CARD))
    (request,) = connector.requests
    posted = request.json["attachments"][0]["content"]["actions"][0]
    tapped = {**posted["data"], "verb": posted["verb"]}
    assert SIGNER.verify(tapped, conv.conversation_id) == {"verb": "rollcall.here", "rollcall": "7"}
    assert SIGNER.verify(tapped, "19:another@thread.v2") is None
    assert "sig" not in BUTTON_CARD["actions"][0]["data"]  # the stored card is left as it was


async def test_an_answer_in_a_turn_replies_to_the_activity_in_its_thread(
    connector: FakeConnector, sender: TeamsSender
) -> None:
    conv = conversation(connector.url)
    thread = f"{conv.conversation_id};messageid=1700000000000"
    message = OutboxMessage(
        "k1", conv.conversation_id, text="Moi", reply_to="1700000000123", thread=thread
    )
    await sender.send(conv, message)
    (request,) = connector.requests
    assert (request.route, request.conversation_id) == ("reply", thread)
    assert request.activity_id == "1700000000123"
    assert request.json["replyToId"] == "1700000000123"
    assert request.json["conversation"]["id"] == thread
    assert request.json["from"] == BOT
