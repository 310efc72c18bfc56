"""P3: a break announced to 500 group conversations at the same moment (a script, not a test).

Starts the real service (SQLite by default, or --postgres URL) and a fake Teams connector that
enforces Teams' per-conversation limits and a global limit of 50 requests per second for the
bot, enqueues one break announcement to each of the conversations in one go, and reports
messages lost (target 0), duplicates, 429s received, the time from enqueueing until the
connector had accepted the last one, the minimum the limits allow (n / 50 s) and their ratio
(target ≤ 1.1). A sliding one-second window would let the very first 50 go at once, so the
strict floor is one second less; the worker counts each send until its answer arrives (Teams
may count it any time in between), which costs about a round trip per second.

    .venv/bin/python bench/outbox_fanout.py [--conversations 500] [--postgres URL]
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import tempfile
import time
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bot.app import OUTBOX_WORKER
from bot.settings import Settings
from domain.model import Conversation, ConversationKind
from domain.outbox import OutboxMessage, OutboxStatus
from store.db import create_engine
from store.migrate import upgrade
from tests.fakes.activities import BOT, TENANT_ID
from tests.fakes.connector import FakeConnector
from tests.integration.harness import BotServer, free_port, start_bot, stop_bot

GLOBAL_RATE = 50


async def _conversations(bot: BotServer, connector: FakeConnector, n: int, run: str) -> list[str]:
    ids = [f"19:bench-{run}-{i:04d}@thread.v2" for i in range(n)]
    for cid in ids:
        reference = {
            "bot": dict(BOT),
            "conversation": {"id": cid, "isGroup": True, "conversationType": "groupChat"},
            "channelId": "msteams",
            "serviceUrl": connector.url,
        }
        await bot.store.conversations.remember(
            Conversation(cid, ConversationKind.GROUP_CHAT, connector.url, reference, TENANT_ID)
        )
    return ids


async def fan_out(url: str, n: int) -> dict[str, float]:
    """Run the fan-out once against the database at url; return the figures."""
    engine = create_engine(url)
    try:
        await upgrade(engine)
    finally:
        await engine.dispose()
    run = uuid.uuid4().hex[:8]
    # As measured so far: Teams' limits, no conversation or body checks (the fake's defaults now).
    with FakeConnector(
        enforce_teams_limits=True,
        global_limit=GLOBAL_RATE,
        check_conversations=False,
        check_activities=False,
    ) as connector:
        bot = await start_bot(Settings(port=free_port(), database_url=url))
        try:
            ids = await _conversations(bot, connector, n, run)
            keys = [f"bench:{run}:break:{cid}" for cid in ids]
            messages = [
                OutboxMessage(
                    key=key,
                    conversation_id=cid,
                    text=f"Tauko alkaa nyt ja päättyy klo 10.45. ({key})",
                    speak="Tauko alkaa nyt.",
                )
                for key, cid in zip(keys, ids, strict=True)
            ]
            worker = bot.runner.app[OUTBOX_WORKER]
            started = time.monotonic()
            await bot.store.outbox.enqueue_many(messages)
            worker.wake()
            await connector.wait_for_count(n, timeout=30 + 4 * n / GLOBAL_RATE)
            last = max(r.timestamp for r in connector.sent_requests)
            deadline = time.monotonic() + 10
            while (await bot.store.outbox.counts())[OutboxStatus.PENDING]:
                if time.monotonic() > deadline:
                    break
                await asyncio.sleep(0.05)
            counts = await bot.store.outbox.counts()
        finally:
            await stop_bot(bot)
    texts = [t for t in connector.texts() if t]
    delivered = {k for k in keys if any(t.endswith(f"({k})") for t in texts)}
    elapsed = last - started
    minimum = n / GLOBAL_RATE
    return {
        "messages": n,
        "delivered": len(delivered),
        "lost": n - len(delivered),
        "duplicates": len(texts) - len(set(texts)),
        "429s": sum(1 for r in connector.requests if r.status == 429),
        "dead letters": counts[OutboxStatus.DEAD],
        "seconds": elapsed,
        "minimum s": minimum,
        "ratio": elapsed / minimum,
    }


def _table(results: dict[str, dict[str, float]]) -> str:
    names = list(next(iter(results.values())))
    header = f"{'':14}" + "".join(f"{backend:>12}" for backend in results)
    lines = [header, "-" * len(header)]
    for name in names:
        cells = []
        for figures in results.values():
            value = figures[name]
            cells.append(f"{value:>12.2f}" if isinstance(value, float) else f"{value:>12}")
        lines.append(f"{name:14}" + "".join(cells))
    return "\n".join(lines)


async def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--conversations", type=int, default=500)
    parser.add_argument("--postgres", help="also run on this PostgreSQL URL (migrated here)")
    args = parser.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="bench-outbox-"))
    results = {
        "sqlite": await fan_out(f"sqlite+aiosqlite:///{tmp / 'bench.db'}", args.conversations)
    }
    if args.postgres:
        results["postgresql"] = await fan_out(args.postgres, args.conversations)
    print(f"P3 outbox fan-out: one message to each of {args.conversations} conversations")
    print(f"(connector: Teams per-conversation limits and {GLOBAL_RATE} requests/s per bot)\n")
    print(_table(results))
    ok = all(
        r["lost"] == 0 and r["duplicates"] == 0 and r["ratio"] <= 1.1 for r in results.values()
    )
    print("\ntarget (0 lost, ratio ≤ 1.1):", "met" if ok else "NOT met")


if __name__ == "__main__":
    asyncio.run(main())
