"""R7: two replicas on PostgreSQL; the leader is killed (kill -9) in the middle of a fan-out.

The other replica must take over within 15 s of the kill — the dead leader's claimed messages
included, not when their two-minute leases run out — and deliver everything; a message goes
out twice only if it was in flight at the kill (at most one per conversation).
"""

from __future__ import annotations

import asyncio
import time
from collections import Counter
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from domain.model import Conversation, ConversationKind
from domain.outbox import OutboxMessage
from store.db import create_engine, sessionmaker
from store.migrate import upgrade
from store.store import Store
from tests.conftest import _drop_pg_database, _fresh_pg_database
from tests.fakes.activities import BOT, TENANT_ID
from tests.fakes.connector import FakeConnector
from tests.faults.procs import Replica, replica

CONVERSATIONS = 300
TAKEOVER_SECONDS = 15.0


@pytest.fixture
async def pg_url(pg_admin_url: str) -> AsyncIterator[str]:
    url, name = await _fresh_pg_database(pg_admin_url)
    engine = create_engine(url)
    try:
        await upgrade(engine)
    finally:
        await engine.dispose()
    try:
        yield url
    finally:
        await _drop_pg_database(pg_admin_url, name)


async def _until(condition: object, what: str, within: float) -> None:
    deadline = time.monotonic() + within
    while not condition():  # type: ignore[operator]
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        await asyncio.sleep(0.02)


def _leads(r: Replica) -> bool:
    return "this replica is now the leader" in r.log.read_text(errors="replace")


async def test_a_killed_leaders_fan_out_is_finished_by_the_other_replica_at_once(
    pg_url: str, tmp_path: Path
) -> None:
    async with FakeConnector(enforce_teams_limits=True, global_limit=50) as connector:
        first, second = replica("first", pg_url, tmp_path), replica("second", pg_url, tmp_path)
        try:
            first.start()
            await first.ready()
            await _until(lambda: _leads(first), "the first replica to lead", 20)
            second.start()
            await second.ready()
            assert not _leads(second)

            engine = create_engine(pg_url)
            try:
                store = Store(sessionmaker(engine))
                ids = [f"19:failover-{i:04d}@thread.v2" for i in range(CONVERSATIONS)]
                for cid in ids:
                    reference = {
                        "bot": dict(BOT),
                        "conversation": {"id": cid, "isGroup": True},
                        "channelId": "msteams",
                        "serviceUrl": connector.url,
                    }
                    await store.conversations.remember(
                        Conversation(
                            cid, ConversationKind.GROUP_CHAT, connector.url, reference, TENANT_ID
                        )
                    )
                    connector.add_conversation(cid)  # installed there: Teams has the chat
                await store.outbox.enqueue_many(
                    OutboxMessage(f"break:{cid}", cid, text="Tauko alkaa") for cid in ids
                )
            finally:
                await engine.dispose()

            def sent() -> list[str]:
                return [
                    r.conversation_id or ""
                    for r in connector.requests
                    if r.ok and r.route == "send"
                ]

            await _until(lambda: len(sent()) >= CONVERSATIONS // 5, "the fan-out to start", 30)
            first.kill()
            killed_at = time.monotonic()
            at_kill = len(connector.requests)
            await _until(lambda: set(sent()) == set(ids), "every conversation to get it", 90)
            # what the dead process had in flight arrives within moments of the kill
            resumed = next(
                r.timestamp
                for r in connector.requests[at_kill:]
                if r.ok and r.route == "send" and r.timestamp > killed_at + 0.2
            )
            assert _leads(second), second.tail()
        finally:
            first.stop()
            second.stop()

    # the connector's clock is time.monotonic, as killed_at is
    assert resumed - killed_at <= TAKEOVER_SECONDS, f"took over after {resumed - killed_at:.1f} s"
    copies = Counter(sent())
    assert set(copies) == set(ids)
    twice = [c for c, n in copies.items() if n > 1]
    assert all(n <= 2 for n in copies.values())
    # only sends that were in flight at the kill (the worker sends at most 32 at a time)
    assert len(twice) <= 32, twice
