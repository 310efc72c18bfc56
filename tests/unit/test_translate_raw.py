"""The fast path's translation from raw JSON agrees with the botbuilder-model translation."""

from __future__ import annotations

from typing import Any

import pytest
from botbuilder.schema import Activity

from bot.teams.translate import (
    action_data,
    client_platform,
    conversation_of,
    raw_conversation,
    raw_platform,
    raw_user,
    user_of,
)
from tests.fakes.activities import Conv, User, invoke_execute, message

SERVICE = "https://smba.trafficmanager.net/emea/"
MAIJA = User(name="  Maija Virtanen  ", aad_object_id="9C1B3F1E-2A4D-4C6B-8E0F-1A2B3C4D5E6F")


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


@pytest.mark.parametrize("name", list(CASES))
def test_raw_translation_matches_the_model_translation(name: str) -> None:
    body = CASES[name]
    activity = Activity().deserialize(body)
    assert raw_conversation(body) == conversation_of(activity)
    assert raw_user(body) == user_of(activity)
    assert raw_platform(body) == client_platform(activity)


def test_action_data_carries_the_verb_and_the_fields() -> None:
    body = _invoke(Conv.group_chat())
    assert action_data(body["value"]) == {"verb": "rollcall.here", "rollcall": "7"}


@pytest.mark.parametrize("value", [None, "x", [], {"action": "x"}, {"action": {"data": 3}}])
def test_action_data_of_a_malformed_value_is_empty(value: Any) -> None:
    assert action_data(value) == {}
