"""The outbox end to end: the real app, its worker and TeamsSender, and the fake connector.

Each message's text is its key, so the connector's records show what went out and in what order.
Tests that wait for Teams' windows run the app's clock (and the fake connector's) faster.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from datetime import UTC, datetime

import pytest

from bot.__main__ import main
from bot.app import OUTBOX_WORKER
from bot.settings import Settings
from domain.model import Conversation, ConversationKind
from domain.outbox import OutboxMessage, OutboxStatus
from scheduler.clock import ScaledClock
from scheduler.outbox_worker import OutboxWorker, WorkerClock
from store.db import create_engine, sessionmaker
from store.store import Store
from tests.fakes.activities import BOT, TENANT_ID, new_group_chat_id
from tests.fakes.connector import SEND_LIMITS, FakeConnector, Recorded
from tests.integration.harness import BotServer, free_port, start_bot, stop_bot

SPEED = 10.0  # app and connector clocks run 10× faster where Teams' windows make tests wait


@asynccontextmanager
async def running(database_url: str, speed: float = 1.0) -> AsyncIterator[BotServer]:
    """The real service; with speed > 1 its clock (and so the outbox's) runs faster."""
    clock = ScaledClock(datetime.now(UTC), speed) if speed != 1.0 else None
    server = await start_bot(Settings(port=free_port(), database_url=database_url), clock=clock)
    try:
        yield server
    finally:
        await stop_bot(server)


def worker_of(server: BotServer) -> OutboxWorker:
    """The app's outbox worker."""
    return server.runner.app[OUTBOX_WORKER]


async def conversations(store: Store, connector: FakeConnector, n: int) -> list[str]:
    """n group chats the bot is installed in, served by the fake connector."""
    ids = []
    for _ in range(n):
        cid = new_group_chat_id()
        reference = {
            "bot": dict(BOT),
            "conversation": {"id": cid, "isGroup": True, "conversationType": "groupChat"},
            "channelId": "msteams",
            "serviceUrl": connector.url,
        }
        await store.conversations.remember(
            Conversation(cid, ConversationKind.GROUP_CHAT, connector.url, reference, TENANT_ID)
        )
        connector.add_conversation(cid)  # installed there: Teams has the chat
        ids.append(cid)
    return ids


async def enqueue(server: BotServer, messages: Sequence[OutboxMessage]) -> None:
    """Store messages the way a domain service does, then wake the worker."""
    assert await server.store.outbox.enqueue_many(messages) == len(messages)
    worker_of(server).wake()


async def settled(store: Store, within: float = 10.0) -> dict[OutboxStatus, int]:
    """Wait until nothing is pending; return the counts by status."""
    deadline = time.monotonic() + within
    while True:
        counts = await store.outbox.counts()
        if counts[OutboxStatus.PENDING] == 0:
            return counts
        assert time.monotonic() < deadline, f"outbox still has pending rows: {counts}"
        await asyncio.sleep(0.05)


def message(key: str, conversation_id: str, **kw: object) -> OutboxMessage:
    """A text message whose text is its key."""
    return OutboxMessage(key=key, conversation_id=conversation_id, text=key, **kw)  # type: ignore[arg-type]


def over_limit(sends: Sequence[Recorded], limits: Sequence[tuple[float, int]]) -> list[str]:
    """Sliding windows the connector's successful sends exceeded (its own timestamps)."""
    stamps = sorted(r.timestamp for r in sends)
    problems = []
    for window, limit in limits:
        for i in range(limit, len(stamps)):
            if stamps[i] - stamps[i - limit] < window:
                problems.append(f"{limit + 1} sends within {window} s at {stamps[i]:.3f}")
    return problems


async def test_every_message_once_in_order_while_teams_fails_30_percent(
    database_url: str,
) -> None:
    # Teams' windows on the app's (10x) clock, as the worker counts them
    with FakeConnector(clock=WorkerClock(SPEED).monotonic) as connector:
        connector.fail_rate(0.3, statuses=(429, 500, 502, 503, 504), seed=3)
        async with running(database_url, speed=SPEED) as server:
            worker_of(server).max_attempts = 20  # 0.3**8 per message would make this flaky
            convs = await conversations(server.store, connector, 10)
            messages = [message(f"m{i:03d}", convs[i % 10]) for i in range(200)]
            await enqueue(server, messages)
            await connector.wait_for_count(200, timeout=40)
            counts = await settled(server.store)
    assert counts[OutboxStatus.SENT] == 200
    texts = connector.texts()
    assert len(texts) == len(set(texts)) == 200  # unique keys <-> unique successful sends
    for cid in convs:
        assert connector.texts(cid) == [m.key for m in messages if m.conversation_id == cid]
    failed = [r.status for r in connector.requests if not r.ok]
    assert set(failed) == {429, 500, 502, 503, 504}
    assert all(r.method == "POST" for r in connector.requests)


async def test_one_busy_conversation_stays_within_teams_limits(database_url: str) -> None:
    with FakeConnector(enforce_teams_limits=True, clock=WorkerClock(SPEED).monotonic) as connector:
        async with running(database_url, speed=SPEED) as server:
            (cid,) = await conversations(server.store, connector, 1)
            messages = [message(f"b{i:03d}", cid) for i in range(100)]
            await enqueue(server, messages)
            await connector.wait_for_count(100, timeout=30)
    throttled = [r for r in connector.requests if r.status == 429]
    assert throttled == []
    assert over_limit(connector.sent_requests, SEND_LIMITS) == []
    assert connector.texts(cid) == [m.key for m in messages]
    stamps = [r.timestamp for r in connector.sent_requests]
    # the windows allow 100 sends in about 40 s (60 per 30 s); round trips add a little, as
    # each window is counted from answers, and at 10x speed they weigh 10x more
    assert 30.0 <= stamps[-1] - stamps[0] < 50.0


async def test_a_removed_bot_kills_only_that_conversation(database_url: str) -> None:
    with FakeConnector() as connector:
        async with running(database_url) as server:
            gone, *others = await conversations(server.store, connector, 3)
            connector.mark_gone(gone, 403, code="BotNotInConversationRoster")
            messages = [
                message(f"{n}-{i}", cid) for i in range(5) for n, cid in enumerate([gone, *others])
            ]
            await enqueue(server, messages)
            await connector.wait_for_count(10)
            counts = await settled(server.store)
            stored = await server.store.conversations.get(gone)
            dead = await server.store.outbox.dead_letters()
    assert stored is not None
    assert stored.active is False
    assert counts == {OutboxStatus.PENDING: 0, OutboxStatus.SENT: 10, OutboxStatus.DEAD: 5}
    assert {e.message.conversation_id for e in dead} == {gone}
    assert all("403" in (e.last_error or "") for e in dead)
    assert len([r for r in connector.requests if r.conversation_id == gone]) == 1
    for cid in others:
        assert len(connector.texts(cid)) == 5


async def test_retry_after_on_one_conversation_does_not_delay_another(database_url: str) -> None:
    with FakeConnector() as connector:
        async with running(database_url) as server:
            slow, fast = await conversations(server.store, connector, 2)
            connector.fail_next(1, status=429, retry_after=2.0, path_contains=slow)
            await enqueue(server, [message("slow-0", slow), message("slow-1", slow)])
            await connector.wait_for(lambda r: r.status == 429)
            await enqueue(server, [message(f"fast-{i}", fast) for i in range(5)])
            await connector.wait_for_count(7, timeout=6)
    throttled = next(r for r in connector.requests if r.status == 429)
    fast_sends = [r for r in connector.sent_requests if r.conversation_id == fast]
    slow_sends = [r for r in connector.sent_requests if r.conversation_id == slow]
    assert len(fast_sends) == 5
    assert fast_sends[-1].timestamp - throttled.timestamp < 1.0
    assert slow_sends[0].timestamp - throttled.timestamp >= 2.0  # Retry-After honoured
    assert connector.texts(slow) == ["slow-0", "slow-1"]
    assert connector.texts(fast) == [f"fast-{i}" for i in range(5)]


async def test_messages_sent_before_a_restart_are_not_sent_again(database_url: str) -> None:
    clock = WorkerClock(SPEED)
    with FakeConnector(enforce_teams_limits=True, clock=clock.monotonic) as connector:
        async with running(database_url, speed=SPEED) as server:
            convs = await conversations(server.store, connector, 2)
            # 70 per conversation: the 30 s window holds the last ones back, so the stop
            # below comes while most are still pending
            messages = [message(f"r{i:03d}", convs[i % 2]) for i in range(140)]
            await enqueue(server, messages)
            await connector.wait_for_count(20, timeout=10)
        before = len(connector.sent)
        assert before < 140
        async with running(database_url, speed=SPEED) as server:
            await connector.wait_for_count(140, timeout=30)
            counts = await settled(server.store)
    assert counts[OutboxStatus.SENT] == 140
    texts = connector.texts()
    assert len(texts) == len(set(texts)) == 140
    for cid in convs:
        assert connector.texts(cid) == [m.key for m in messages if m.conversation_id == cid]
    # the new process remembered what the old one sent: Teams' windows still hold
    assert [r for r in connector.requests if r.status == 429] == []


async def test_update_of_replaces_the_earlier_activity(database_url: str) -> None:
    with FakeConnector() as connector:
        async with running(database_url) as server:
            (cid,) = await conversations(server.store, connector, 1)
            card_v1 = {
                "type": "AdaptiveCard",
                "version": "1.5",
                "body": [{"type": "TextBlock", "text": "1"}],
            }
            card_v2 = {
                "type": "AdaptiveCard",
                "version": "1.5",
                "body": [{"type": "TextBlock", "text": "2"}],
            }
            await enqueue(
                server,
                [
                    OutboxMessage("agenda", cid, card=card_v1),
                    OutboxMessage("agenda@2", cid, card=card_v2, update_of="agenda"),
                    OutboxMessage("orphan", cid, text="orphan", update_of="never-enqueued"),
                ],
            )
            update = await connector.wait_for(lambda r: r.route == "update" and r.ok)
            await connector.wait_for_count(2)
            await settled(server.store)
            original = await server.store.outbox.activity_id_for_key("agenda")
            updated = await server.store.outbox.entry_for_key("agenda@2")
    posted = connector.sent_requests[0]
    assert original == posted.response["id"]
    assert update.activity_id == original
    assert update.json["attachments"][0]["content"] == card_v2
    assert updated is not None
    assert updated.activity_id == original
    assert connector.texts(cid) == [None, "orphan"]  # an unknown original: posted as new


async def test_admins_list_count_and_retry_dead_letters(
    database_url: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    engine = create_engine(database_url)
    try:
        outbox = Store(sessionmaker(engine)).outbox
        await outbox.enqueue(OutboxMessage("dl-1", "19:x@thread.v2", text="secret text"))
        await outbox.enqueue(message("fine", "19:y@thread.v2"))
        claimed = await outbox.claim_due(datetime.now(UTC), 10)
        dead_id = next(e.id for e in claimed if e.message.key == "dl-1")
        await outbox.mark_dead(dead_id, "HTTP 413 MessageSizeTooBig")
    finally:
        await engine.dispose()
    monkeypatch.setenv("DATABASE_URL", database_url)
    monkeypatch.delenv("MicrosoftAppId", raising=False)

    async def etapaiva(*args: str) -> tuple[int, str, str]:
        code = await asyncio.to_thread(main, args)  # main runs its own event loop
        out, err = capsys.readouterr()
        return code, out, err

    code, out, _ = await etapaiva("outbox")
    assert code == 0
    assert f"  {dead_id}  dl-1  conversation 19:x@thread.v2  attempts 1" in out
    assert "error: HTTP 413 MessageSizeTooBig" in out
    assert "secret text" not in out  # keys yes, message texts never
    assert (await etapaiva("outbox", "--pending"))[1].split() == [
        *("pending", "1", "sent", "0", "dead", "1")
    ]
    assert (await etapaiva("outbox", "--retry", str(dead_id)))[0] == 0
    assert (await etapaiva("outbox", "--pending"))[1].split() == [
        *("pending", "2", "sent", "0", "dead", "0")
    ]
    code, _, err = await etapaiva("outbox", "--retry", str(dead_id))
    assert code == 1
    assert "no dead letter" in err
    assert (await etapaiva("outbox"))[1].strip() == "no dead letters"
