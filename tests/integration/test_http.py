"""The HTTP surface: health, readiness, and what bad requests get."""

from __future__ import annotations

import json
import logging
from typing import Any

import pytest

from tests.fakes.activities import Conv, User, clone, invoke_execute, message
from tests.fakes.connector import FakeConnector
from tests.integration.harness import BotServer


async def test_healthz_and_readyz(bot: BotServer) -> None:
    async with bot.http.get(f"{bot.url}/healthz") as resp:
        assert resp.status == 200
        assert await resp.json() == {"status": "ok"}
    async with bot.http.get(f"{bot.url}/readyz") as resp:
        assert resp.status == 200
        assert await resp.json() == {"scheduler": "running", "database": "ok", "ready": True}


async def test_malformed_json_is_400_with_a_short_reason(bot: BotServer) -> None:
    status, body = await bot.post_raw(b'{"type": "message", ')
    assert status == 400
    assert "not valid JSON" in body["error"]
    status, body = await bot.post_raw(b"\xff\xfe not utf-8")
    assert status == 400
    status, body = await bot.post_raw(b"[1, 2, 3]")
    assert status == 400
    assert body == {"error": "body is not a JSON object"}


async def test_activities_missing_essentials_are_400(bot: BotServer) -> None:
    base = message(
        "apua", conversation=Conv.personal(), sender=User(), service_url="http://127.0.0.1:9/"
    )
    broken = [
        {k: v for k, v in base.items() if k != "type"},
        {**base, "type": "nonsense"},
        {**base, "serviceUrl": "ftp://x"},
        {**base, "conversation": {}},
        {**base, "from": "someone"},
        {**base, "from": {}},
        {**base, "text": 5},
        {**base, "id": {"x": 1}},
        {**base, "entities": "x"},
        {**base, "membersAdded": 3},
    ]
    for activity in broken:
        status, body = await bot.post(activity)
        assert status == 400, activity
        assert isinstance(body["error"], str)
        assert "Traceback" not in body["error"]


async def test_fields_of_the_wrong_type_or_unusable_ids_are_400(
    bot: BotServer, connector: FakeConnector, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    conv, user, url = Conv.group_chat(), User(), connector.url
    base = message("apua", conversation=conv, sender=user, service_url=url)
    tap = invoke_execute(
        "rollcall.here", {"rollcall": "1"}, conversation=conv, sender=user, service_url=url
    )
    broken = [
        clone(base, attachments="x"),
        clone(base, attachments=["x"]),
        clone(base, entities={"type": "clientInfo"}),
        clone(base, channelData=[]),
        clone(base, channelData={"tenant": 5}),
        clone(base, channelData={"meeting": "m"}),
        clone(base, name=5),
        clone(base, recipient={"id": 5}),
        clone(base, conversation={**base["conversation"], "isGroup": "yes"}),
        clone(base, conversation={**base["conversation"], "tenantId": ["t"]}),
        clone(base, conversation={**base["conversation"], "id": "19:ä@thread.v2"}),
        clone(base, conversation={**base["conversation"], "id": "19:x\r\nX-Injected: 1"}),
        clone(base, conversation={**base["conversation"], "id": ".."}),
        clone(base, id=".."),
        clone(tap, timestamp=5),
        clone(tap, conversation={**tap["conversation"], "tenantId": {"id": "t"}}),
        clone(tap, **{"from": {**tap["from"], "aadObjectId": "ä"}}),
    ]
    for activity in broken:
        status, body = await bot.post(activity)
        assert status == 400, (activity, body)
        assert isinstance(body["error"], str)
    assert connector.requests == []
    noisy = [r for r in caplog.records if r.exc_info or r.levelno >= logging.ERROR]
    assert [r.getMessage() for r in noisy] == []


async def test_body_over_256_kib_is_413(bot: BotServer) -> None:
    big = json.dumps({"type": "message", "text": "x" * (256 * 1024)}).encode()
    status, body = await bot.post_raw(big)
    assert status == 413
    assert "256 KiB" in body["error"]


async def test_body_just_under_the_limit_is_read(bot: BotServer, connector: FakeConnector) -> None:
    activity = message(
        "apua", conversation=Conv.personal(), sender=User(), service_url=connector.url
    )
    activity["channelData"]["padding"] = "x" * (250 * 1024)
    status, body = await bot.post(activity)
    assert status == 201, body
    await connector.wait_for_count(1)


def _activity_with(raw_value: bytes, where: str = "text") -> bytes:
    """A well-formed message activity with raw JSON bytes as its text, isGroup or a key."""
    activity = message(
        "apua", conversation=Conv.personal(), sender=User(), service_url="http://127.0.0.1:9/"
    )
    if where == "key":
        activity["channelData"]["PLACEHOLDER"] = 1
    elif where == "isGroup":
        activity["conversation"]["isGroup"] = "PLACEHOLDER"
    else:
        activity["text"] = "PLACEHOLDER"
    return json.dumps(activity).encode().replace(b'"PLACEHOLDER"', raw_value)


def _nested(depth: int) -> bytes:
    """A message activity whose channelData holds a number inside `depth` containers in all."""
    inner = b"[" * (depth - 2) + b"1" + b"]" * (depth - 2)
    return _activity_with(b'"apua"').replace(
        b'"channelData": {', b'"channelData": {"deep": ' + inner + b", ", 1
    )


UNUSABLE_BODIES: dict[str, bytes] = {
    "1,000 nested arrays": b"[" * 1000 + b"]" * 1000,
    "1,000 nested objects": b'{"a":' * 1000 + b"1" + b"}" * 1000,
    "nesting past the limit inside an activity": _nested(33),
    "deep and unterminated": b'{"type": "message", "x": ' + b"[" * 5000,
    "a number of 5,000 digits": _activity_with(b"7" * 5000, "isGroup"),
    "NaN": _activity_with(b"NaN", "isGroup"),
    "-Infinity": _activity_with(b"-Infinity", "isGroup"),
    "a float beyond float": _activity_with(b"1e400", "isGroup"),
    "a lone surrogate": _activity_with(b'"\\ud800 apua"'),
    "a lone surrogate in a name": _activity_with(b'"apua"').replace(
        b'"name": "', b'"name": "\\udbff', 1
    ),
    "a lone surrogate in a key": _activity_with(b'"\\udfff"', "key"),
    "UTF-8 of a surrogate": _activity_with(b'"\xed\xa0\x80"'),
    "nothing": b"",
    "a BOM and nothing": b"\xef\xbb\xbf",
}


async def test_bodies_the_service_cannot_use_are_400_without_a_traceback(
    bot: BotServer, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    for label, raw in UNUSABLE_BODIES.items():
        status, body = await bot.post_raw(raw)
        assert status == 400, (label, body)
        assert isinstance(body["error"], str), label
        assert len(body["error"]) < 100, label
    noisy = [r for r in caplog.records if r.exc_info or r.levelno >= logging.ERROR]
    assert [r.getMessage() for r in noisy] == []


async def test_nesting_up_to_the_limit_is_served(bot: BotServer, connector: FakeConnector) -> None:
    activity = message(
        "apua", conversation=Conv.personal(), sender=User(), service_url=connector.url
    )
    deep: Any = {"x": "y"}
    for _ in range(32 - 3):  # the body, channelData and this object make 32 with the rest
        deep = [deep]
    activity["channelData"]["deep"] = deep
    activity["channelData"]["emoji"] = "\U0001f600"  # a surrogate pair in JSON, which is fine
    status, body = await bot.post(activity)
    assert status == 201, body
    await connector.wait_for_count(1)
