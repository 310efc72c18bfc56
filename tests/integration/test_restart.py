"""kill -9 mid-day, then start again: the rest fires, nothing twice, no stale burst."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from bot.orgfile import load_org_file
from domain.days import DayItem, DayStatus, GroupDay
from domain.org import Language
from domain.plans import ItemKind
from store.db import create_engine, sessionmaker
from store.migrate import upgrade
from store.store import Store
from tests.fakes.connector import FakeConnector
from tests.integration.harness import bound_group_chat, free_port

ROOT = Path(__file__).resolve().parents[2]
STEP = 2.0  # seconds between items
GRACE = 3  # seconds


def _serve(db_url: str, port: int, log: Path) -> subprocess.Popen[bytes]:
    env = {k: v for k, v in os.environ.items() if k != "MicrosoftAppId"}
    env.update(
        DATABASE_URL=db_url,
        PORT=str(port),
        TIMER_GRACE_SECONDS=str(GRACE),
        BREAK_WARNING_SECONDS="1",
        LOG_LEVEL="INFO",
    )
    return subprocess.Popen(
        [sys.executable, "-m", "bot", "serve"],
        cwd=ROOT,
        env=env,
        stdout=log.open("ab"),
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )


async def _ready(port: int, within: float = 30) -> None:
    import aiohttp

    deadline = time.monotonic() + within
    async with aiohttp.ClientSession() as http:
        while time.monotonic() < deadline:
            try:
                async with http.get(f"http://127.0.0.1:{port}/readyz") as resp:
                    if resp.status == 200:
                        return
            except OSError:
                pass
            await asyncio.sleep(0.1)
    raise AssertionError("the service did not become ready")


async def test_kill_nine_mid_day_then_restart(tmp_path: Path) -> None:
    db_url = f"sqlite+aiosqlite:///{tmp_path / 'day.db'}"
    log = tmp_path / "serve.log"
    with FakeConnector() as connector:
        engine = create_engine(db_url)
        await upgrade(engine)
        store = Store(sessionmaker(engine))
        await store.org.apply(load_org_file("examples/org.example.yaml"))
        group = next(g for g in await store.org.all_groups() if g.key == "it-torstai")
        maija = await store.org.person_by_upn("maija.virtanen@example.hel.fi")
        assert group.id is not None
        assert maija is not None
        assert maija.id is not None
        conv_id = "19:restart@thread.v2"
        await bound_group_chat(store, conv_id, connector.url, group.id, maija.id)
        port = free_port()
        proc = _serve(db_url, port, log)
        try:
            await _ready(port)
            t0 = datetime.now(UTC) + timedelta(seconds=2)
            items = tuple(
                DayItem(
                    ItemKind.CONTENT,
                    f"Kohta {k}",
                    t0 + timedelta(seconds=k * STEP),
                    timedelta(seconds=STEP),
                )
                for k in range(10)
            )
            day = await store.days.add(
                GroupDay(
                    group_id=group.id,
                    date=t0.date(),
                    timezone="Europe/Helsinki",
                    language=Language.FI,
                    plan_key="x",
                    plan_name="Testi",
                    items=items,
                    status=DayStatus.RUNNING,
                ),
                [],
            )
            assert day.id is not None
            # the running service notices the new day through its poller (another "replica")
            await connector.wait_for(
                lambda r: str((r.json or {}).get("text")).startswith("Nyt: Kohta 1."), timeout=20
            )
            # kill between two items (a kill in the instant between Teams' answer and the
            # outbox's commit would send that one message again: see scheduler/outbox_worker.py)
            await asyncio.sleep(0.5)
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=10)
            killed_at = datetime.now(UTC)
            await asyncio.sleep(3 * STEP + 1)  # items 3..5 fall due while the service is down
            restarted_at = datetime.now(UTC)
            proc = _serve(db_url, port, log)
            await _ready(port)
            await asyncio.sleep(max(0.0, (items[-1].start - datetime.now(UTC)).total_seconds()) + 3)
        finally:
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGTERM)
                proc.wait(timeout=15)
        texts = [str((r.json or {}).get("text") or "") for r in connector.sent_requests]
        starts = [t.split("\n")[0] for t in texts if t.startswith("Nyt: Kohta")]
        assert len(starts) == len(set(starts)), f"posted twice: {starts}\n{log.read_text()}"
        posted = {int(s.split("Kohta ")[1].rstrip(".")) for s in starts}
        # everything that fell due after the restart was posted
        assert {k for k, item in enumerate(items) if item.start > restarted_at} <= posted, (
            log.read_text()
        )
        # nothing stale burst out: items overdue by more than the grace at restart were skipped
        stale = {
            k
            for k, item in enumerate(items)
            if killed_at < item.start and (restarted_at - item.start).total_seconds() > GRACE + 1
        }
        assert stale, "the test should leave some items stale"
        assert not stale & posted, f"stale items posted: {sorted(stale & posted)}"
        stored = await store.days.get(day.id)
        assert stored is not None
        assert all(f"{k}:start" in stored.fired for k in range(10))
        assert {int(k.split(":")[0]) for k, v in stored.fired.items() if v == "posted"} == posted
        await engine.dispose()
