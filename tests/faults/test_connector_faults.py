"""R2: Teams answering 30 % 5xx and 429s, on POST and PUT, answers in turns included.

The real service over loopback HTTP, the fake connector enforcing Teams' limits and failing a
random 30 % of every request with 500/502/503/504 or 429 + Retry-After. A roll call, twenty
taps (the card's count is a PUT), ten clients asking for help in their 1:1 chats (the answers
are POSTs during the turn), a reminder to the missing (POSTs from the outbox). Invariants:
every message delivered, none twice, none dead; nothing sent to a conversation inside a
Retry-After window Teams gave for it; the card ends showing the right count.
"""

from __future__ import annotations

import asyncio
import json
import uuid
from collections import Counter
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.orgfile import load_org_file
from bot.settings import Settings
from cards.rollcall import HERE_VERB
from domain.i18n import text
from domain.org import Language
from domain.outbox import OutboxStatus
from tests.fakes.activities import Conv, User, invoke_execute, message
from tests.fakes.connector import FakeConnector, Recorded
from tests.integration.harness import BotServer, free_port, start_bot, stop_bot

INSTRUCTOR = User(name="Maija Virtanen", aad_object_id=str(uuid.uuid4()))
CLIENTS = [User(name=f"Asiakas {i:02d}", aad_object_id=str(uuid.uuid4())) for i in range(36)]
TAPPERS, TALKERS, MISSING = CLIENTS[:20], CLIENTS[20:30], CLIENTS[30:]
FAILING = (500, 502, 503, 504, 429)


def org_yaml() -> str:
    people = [
        f"  - name: {INSTRUCTOR.name}\n    aad: {INSTRUCTOR.aad_object_id}\n"
        "    instructor: [it-ryhma]"
    ]
    people += [
        f"  - name: {c.name}\n    aad: {c.aad_object_id}\n    client: [it-ryhma]" for c in CLIENTS
    ]
    return (
        "version: 1\nunits:\n  - key: it\n    name: IT-paja\ngroups:\n  - key: it-ryhma\n"
        "    unit: it\n    name: IT-ryhmä\npeople:\n" + "\n".join(people) + "\n"
    )


@pytest.fixture
async def bot(database_url: str, tmp_path: Path) -> AsyncIterator[BotServer]:
    org = tmp_path / "org.yaml"
    org.write_text(org_yaml(), encoding="utf-8")
    server = await start_bot(Settings(port=free_port(), database_url=database_url))
    try:
        await server.store.org.apply(load_org_file(str(org)))
        yield server
    finally:
        await stop_bot(server)


async def _drained(bot: BotServer, within: float = 60.0) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + within
    while (await bot.store.outbox.counts())[OutboxStatus.PENDING]:
        assert loop.time() < deadline, "the outbox did not drain"
        await asyncio.sleep(0.1)


def _retry_after_kept(requests: list[Recorded]) -> list[str]:
    """Requests sent to a conversation inside a Retry-After window Teams gave for it."""
    broken: list[str] = []
    windows: dict[str, float] = {}
    for r in sorted(requests, key=lambda r: r.timestamp):
        key = (r.conversation_id or "").split(";messageid=")[0]
        if not key:
            continue
        until = windows.get(key)
        if until is not None and r.timestamp < until - 0.005:
            broken.append(f"{r.method} {r.path} {until - r.timestamp:.3f} s early")
        if r.status == 429 and "Retry-After" in r.response_headers:
            windows[key] = max(until or 0.0, r.timestamp + float(r.response_headers["Retry-After"]))
    return broken


async def test_everything_is_delivered_once_through_5xx_and_429s(bot: BotServer) -> None:
    conv = Conv.group_chat()
    personal = {c.name: Conv.personal() for c in CLIENTS}
    async with FakeConnector(enforce_teams_limits=True, global_limit=50) as connector:
        # the day before the faults: the chat is bound, everyone has talked to the bot once
        for words in ("tämä on ryhmä it-ryhma",):
            said = message(
                words,
                conversation=conv,
                sender=INSTRUCTOR,
                service_url=connector.url,
                mentions_bot=True,
            )
            assert (await bot.post(said))[0] == 201
        for client in CLIENTS:
            hello = message(
                "moi", conversation=personal[client.name], sender=client, service_url=connector.url
            )
            assert (await bot.post(hello))[0] == 201
        await _drained(bot)
        start = len(connector.requests)
        connector.fail_rate(0.3, statuses=FAILING, seed=11, retry_after=1.0)

        opened = message(
            "nimenhuuto",
            conversation=conv,
            sender=INSTRUCTOR,
            service_url=connector.url,
            mentions_bot=True,
        )
        assert (await bot.post(opened))[0] == 201
        await _drained(bot)
        card_post = next(
            r
            for r in connector.requests[start:]
            if r.ok and r.route == "send" and HERE_VERB in json.dumps(r.json)
        )
        here = next(
            a
            for a in card_post.json["attachments"][0]["content"]["actions"]
            if a.get("verb") == HERE_VERB
        )
        taps = [
            invoke_execute(
                HERE_VERB,
                dict(here["data"]),
                conversation=conv,
                sender=c,
                service_url=connector.url,
                reply_to_id=card_post.response["id"],
            )
            for c in TAPPERS
        ]
        talks = [
            message("apua", conversation=personal[c.name], sender=c, service_url=connector.url)
            for c in TALKERS
        ]
        # besides the random ones: forced 429 and 503 on the card's update (PUT) and on an
        # answer during a turn (POST)
        for target in (card_post.response["id"], talks[0]["id"]):
            connector.fail_next(
                1, status=429, retry_after=1.0, path_contains=f"activities/{target}"
            )
            connector.fail_next(1, status=503, path_contains=f"activities/{target}")
        answers = await asyncio.gather(*(bot.post(a, signed=False) for a in [*taps, *talks]))
        assert [status for status, _ in answers] == [200] * len(taps) + [201] * len(talks)
        remind = message(
            "muistuta puuttuvia",
            conversation=conv,
            sender=INSTRUCTOR,
            service_url=connector.url,
            mentions_bot=True,
        )
        assert (await bot.post(remind))[0] == 201
        await _drained(bot)
        await asyncio.sleep(0.5)
        requests = connector.requests[start:]

    failed = [r for r in requests if r.status in FAILING]
    assert len(failed) >= 10, "the faults did not happen"
    assert {r.method for r in failed} >= {"POST", "PUT"}
    assert await bot.store.outbox.dead_letters() == []
    assert _retry_after_kept(requests) == []

    delivered = [r for r in requests if r.ok and r.route in ("send", "reply")]
    # each help request answered as often as it is when nothing fails, not more
    replies = Counter(r.activity_id for r in delivered if r.route == "reply")
    per_talk = {replies[t["id"]] for t in talks}
    assert len(per_talk) == 1 and per_talk != {0}, replies
    # every client who did not tap (those asking for help too) reminded exactly once
    reminded = Counter(
        r.conversation_id
        for r in delivered
        if r.route == "send" and HERE_VERB in json.dumps(r.json) and r.conversation_id != conv.id
    )
    assert reminded == Counter({personal[c.name].id: 1 for c in (*TALKERS, *MISSING)})
    # one roll-call card, and its last drawing shows all twenty
    assert [
        r
        for r in delivered
        if r.conversation_id == conv.id and r.route == "send" and HERE_VERB in json.dumps(r.json)
    ] == [card_post]
    updates = [r for r in requests if r.ok and r.route == "update"]
    assert updates, "the card was never updated"
    expected = text(Language.FI, "rollcall.count", here=len(TAPPERS), expected=len(CLIENTS))
    assert expected in json.dumps(updates[-1].json, ensure_ascii=False)
