"""Our activity JSON translation agrees with botbuilder's models, both ways.

Incoming activities are read from their JSON without botbuilder; outgoing messages are written
without it. Here botbuilder 4.17 itself says what the answer must be: the conversation reference
it would store (`TurnContext.get_conversation_reference`), the sender it would see, and the
message it would post (`MessageFactory` + `TurnContext.apply_conversation_reference`).
"""

from __future__ import annotations

from typing import Any

import pytest
from botbuilder.core import CardFactory, MessageFactory, TurnContext
from botbuilder.schema import Activity

from bot.teams.translate import (
    action_data,
    message_json,
    raw_conversation,
    raw_platform,
    raw_text,
    raw_user,
)
from domain.model import ConversationKind
from domain.outbox import OutboxMessage
from tests.fakes.activities import Conv, User, client_info, invoke_execute, message

SERVICE = "https://smba.trafficmanager.net/emea/"
MAIJA = User(name="  Maija Virtanen  ", aad_object_id="9C1B3F1E-2A4D-4C6B-8E0F-1A2B3C4D5E6F")
CARD = {"type": "AdaptiveCard", "version": "1.5", "body": [{"type": "TextBlock", "text": "1"}]}


def _invoke(conv: Conv, **kw: Any) -> dict[str, Any]:
    return invoke_execute(
        "rollcall.here",
        {"verb": "rollcall.here", "rollcall": "7"},
        conversation=conv,
        sender=MAIJA,
        service_url=SERVICE,
        reply_to_id="1:card",
        **kw,
    )


CASES = {
    "personal message": message(
        "moi", conversation=Conv.personal(), sender=MAIJA, service_url=SERVICE
    ),
    "group chat invoke": _invoke(Conv.group_chat(), locale="sv-FI"),
    "channel invoke": _invoke(Conv.channel()),
    "meeting chat invoke": _invoke(Conv.meeting_chat("MCMxOTptZWV0aW5n")),
    "personal invoke": _invoke(Conv.personal()),
}


def _sdk_reference(body: dict[str, Any]) -> dict[str, Any]:
    reference = TurnContext.get_conversation_reference(Activity().deserialize(body)).serialize()
    reference.pop("activityId", None)
    return dict(reference)


@pytest.mark.parametrize("name", list(CASES))
def test_the_reference_is_the_one_botbuilder_stores(name: str) -> None:
    body = CASES[name]
    conversation = raw_conversation(body)
    expected = _sdk_reference(body)
    if conversation.kind is ConversationKind.CHANNEL:
        # a reply thread "<channel>;messageid=<root>" is stored as its channel
        expected["conversation"]["id"] = expected["conversation"]["id"].split(";messageid=")[0]
    assert conversation.reference == expected
    assert conversation.service_url == SERVICE
    assert conversation.conversation_id == expected["conversation"]["id"]


@pytest.mark.parametrize("name", list(CASES))
def test_the_sender_is_the_one_botbuilder_sees(name: str) -> None:
    body = CASES[name]
    sender = Activity().deserialize(body).from_property
    user = raw_user(body)
    assert user.teams_id == sender.id
    assert user.name == sender.name.strip()
    assert user.aad_object_id == sender.aad_object_id
    assert user.locale == body.get("locale")


def test_conversation_kinds() -> None:
    kinds = {name: raw_conversation(body).kind for name, body in CASES.items()}
    assert kinds == {
        "personal message": ConversationKind.PERSONAL,
        "group chat invoke": ConversationKind.GROUP_CHAT,
        "channel invoke": ConversationKind.CHANNEL,
        "meeting chat invoke": ConversationKind.MEETING,
        "personal invoke": ConversationKind.PERSONAL,
    }


def test_the_platform_comes_from_client_info() -> None:
    body = message("moi", conversation=Conv.personal(), sender=MAIJA, service_url=SERVICE)
    body["entities"] = []
    assert raw_platform(body) is None
    body["entities"] = [client_info(platform="Android")]
    assert raw_platform(body) == "Android"


@pytest.mark.parametrize(
    ("sent", "expected"),
    [
        ("<at>Etäpäivä</at> nimenhuuto", "nimenhuuto"),
        ("apua &amp; <b>heti</b>", "apua & heti"),
        ("  roll   call ", "roll call"),
    ],
)
def test_text_without_the_mention_and_html(sent: str, expected: str) -> None:
    body = message("x", conversation=Conv.group_chat(), sender=MAIJA, service_url=SERVICE)
    body["text"] = sent
    assert raw_text(body) == expected


def test_a_mention_with_empty_text_leaves_the_words_alone() -> None:
    body = message("apua", conversation=Conv.group_chat(), sender=MAIJA, service_url=SERVICE)
    body["entities"] = [{"type": "mention", "mentioned": body["recipient"], "text": ""}]
    assert raw_text(body) == "apua"


def _sdk_message(reply: Activity, body: dict[str, Any]) -> dict[str, Any]:
    reference = TurnContext.get_conversation_reference(Activity().deserialize(body))
    return dict(TurnContext.apply_conversation_reference(reply, reference).serialize())


@pytest.mark.parametrize("name", list(CASES))
def test_a_text_answer_is_the_message_botbuilder_posts(name: str) -> None:
    body = CASES[name]
    reply = MessageFactory.text("Moi")
    reply.text_format = "markdown"
    expected = _sdk_message(reply, body)
    conversation = raw_conversation(body)
    thread = body["conversation"]["id"]
    ours = OutboxMessage(
        "k",
        conversation.conversation_id,
        text="Moi",
        reply_to=body["id"],
        thread=thread if thread != conversation.conversation_id else None,
    )
    assert message_json(ours, conversation.reference) == expected


def test_a_card_answer_with_speech_is_the_message_botbuilder_posts() -> None:
    body = CASES["group chat invoke"]
    reply = MessageFactory.attachment(CardFactory.adaptive_card(CARD), text="Tauko")
    reply.speak = "Tauko"
    expected = _sdk_message(reply, body)
    conversation = raw_conversation(body)
    ours = OutboxMessage(
        "k",
        conversation.conversation_id,
        text="Tauko",
        card=CARD,
        speak="Tauko",
        reply_to=body["id"],
    )
    assert message_json(ours, conversation.reference) == expected


def test_action_data_carries_the_verb_and_the_fields() -> None:
    body = _invoke(Conv.group_chat())
    assert action_data(body["value"]) == {"verb": "rollcall.here", "rollcall": "7"}


@pytest.mark.parametrize("value", [None, "x", [], {"action": "x"}, {"action": {"data": 3}}])
def test_action_data_of_a_malformed_value_is_empty(value: Any) -> None:
    assert action_data(value) == {}
