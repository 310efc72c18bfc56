"""The HTTP surface: health, readiness, and what bad requests get."""

from __future__ import annotations

import json

from tests.fakes.activities import Conv, User, message
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
