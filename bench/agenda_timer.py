"""P4: agenda-timer lateness with 200 concurrent group days (a script, not a test).

Starts the real service (SQLite by default, or --postgres URL) and a fake Teams connector that
enforces Teams' per-conversation limits, puts 200 running group days in the database whose
items start a few seconds apart, and measures, for every item announcement, how late it reached
the connector beyond what the limits force (a global 50 sends per second: the k-th message due
in the same instant cannot leave before k/50 s). Target: p99 ≤ 2 s.

    .venv/bin/python bench/agenda_timer.py [--days 200] [--items 4] [--postgres URL]
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bot.app import TIMER
from bot.settings import Settings
from domain.days import DayItem, DayStatus, GroupDay
from domain.org import Group, Language, OrgSpec, Person, PersonSpec, Unit
from domain.plans import ItemKind
from tests.fakes.connector import FakeConnector
from tests.integration.harness import bound_group_chat, free_port, start_bot, stop_bot

GLOBAL_RATE = 50.0


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def forced_times(due: list[float], requests_per_event: int) -> list[float]:
    """The earliest each announcement could leave under the global 50/s limit.

    Every event sends requests_per_event requests (the announcement, then the agenda card's
    update in place); the announcement takes the first slot of its event.
    """
    order = sorted(range(len(due)), key=lambda i: due[i])
    forced = [0.0] * len(due)
    last = -1e9
    for i in order:
        first = max(due[i], last + 1 / GLOBAL_RATE)
        forced[i] = first
        last = first + (requests_per_event - 1) / GLOBAL_RATE
    return forced


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--days", type=int, default=200)
    parser.add_argument("--items", type=int, default=4)
    parser.add_argument("--item-seconds", type=float, default=20.0)
    parser.add_argument(
        "--spread",
        type=float,
        default=0.0,
        help="seconds between the days' start times (0: every group starts at once)",
    )
    parser.add_argument("--postgres", help="PostgreSQL URL (an empty, migrated database)")
    args = parser.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="bench-timer-"))
    print(f"database: {tmp}")
    url = args.postgres or f"sqlite+aiosqlite:///{tmp / 'bench.db'}"
    # As measured so far: per-conversation limits only; no global limit in the fake and no
    # conversation or body checks (they are the fake's defaults now).
    with FakeConnector(
        enforce_teams_limits=True,
        global_limit=None,
        check_conversations=False,
        check_activities=False,
    ) as connector:
        bot = await start_bot(
            Settings(
                port=free_port(), database_url=url, timer_grace_seconds=120, break_warning_seconds=1
            )
        )
        try:
            store = bot.store
            groups = tuple(
                Group(key=f"g{i:03d}", unit_key="bench", name=f"Ryhmä {i}")
                for i in range(args.days)
            )
            await store.org.apply(
                OrgSpec(
                    units=(Unit(key="bench", name="Bench"),),
                    groups=groups,
                    people=(PersonSpec(Person(name="Ohjaaja", upn="o@x.fi")),),
                )
            )
            stored_groups = {g.key: g for g in await store.org.all_groups()}
            admin = await store.org.person_by_upn("o@x.fi")
            assert admin is not None
            assert admin.id is not None
            t0 = datetime.now(UTC) + timedelta(seconds=8)
            due: dict[tuple[str, int], datetime] = {}
            timer = bot.runner.app[TIMER]
            for i, group in enumerate(groups):
                gid = stored_groups[group.key].id
                assert gid is not None
                conv_id = f"19:bench{i:03d}@thread.v2"
                await bound_group_chat(store, conv_id, connector.url, gid, admin.id)
                start = t0 + timedelta(seconds=i * args.spread)
                items = tuple(
                    DayItem(
                        ItemKind.CONTENT,
                        f"Kohta {k}",
                        start + timedelta(seconds=k * args.item_seconds),
                        timedelta(seconds=args.item_seconds),
                    )
                    for k in range(args.items)
                )
                day = await store.days.add(
                    GroupDay(
                        group_id=gid,
                        date=start.date(),
                        timezone="Europe/Helsinki",
                        language=Language.FI,
                        plan_key="bench",
                        plan_name="Bench",
                        items=items,
                        status=DayStatus.RUNNING,
                    ),
                    [],
                )
                assert day.id is not None
                await timer.reconcile(day.id)
                for k, item in enumerate(items):
                    due[(conv_id, k)] = item.start
            expected = len(due)
            end = max(due.values()) + timedelta(seconds=30)
            mono0, real0 = time.monotonic(), datetime.now(UTC)
            while datetime.now(UTC) < end:
                got = {
                    (r.conversation_id, (r.json or {}).get("text", ""))
                    for r in connector.sent_requests
                }
                if sum(1 for _c, t in got if t and t.startswith("Nyt: Kohta")) >= expected:
                    break
                await asyncio.sleep(0.5)
            arrivals: dict[tuple[str, int], float] = {}
            for r in connector.sent_requests:
                text = (r.json or {}).get("text") or ""
                if text.startswith("Nyt: Kohta"):
                    k = int(text.split("Kohta ")[1].split(".")[0])
                    key = (r.conversation_id or "", k)
                    arrivals.setdefault(key, r.timestamp)
            keys = sorted(due)
            due_s = [(due[k] - real0).total_seconds() for k in keys]
            forced = forced_times(due_s, requests_per_event=2)
            # announcements due together may leave in any order: compare the i-th to arrive
            # with the i-th slot the limits allow
            arrived = sorted(arrivals[k] - mono0 for k in keys if k in arrivals)
            late = [max(0.0, a - f) for a, f in zip(arrived, sorted(forced), strict=False)]
            lost = expected - len(late)
            throttled = sum(1 for r in connector.requests if r.status == 429)
            print(
                f"P4 agenda timer, {args.days} concurrent days × {args.items} items "
                f"({'PostgreSQL' if args.postgres else 'SQLite'})"
            )
            print(f"  announcements expected {expected}, delivered {len(late)}, lost {lost}")
            print(f"  429s received {throttled}")
            print(
                f"  requests per announcement 2 (the post and the agenda card's update); "
                f"the limits force up to {max(forced) - max(due_s):.1f} s of queueing"
            )
            print(
                f"  lateness beyond the limits: p50 {statistics.median(late):.3f} s, "
                f"p99 {percentile(late, 0.99):.3f} s, max {max(late):.3f} s (target p99 ≤ 2 s)"
            )
        finally:
            await stop_bot(bot)


if __name__ == "__main__":
    asyncio.run(main())
