"""`etapaiva serve` as real processes that a test can kill -9, restart and drive over HTTP."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp

from bot.teams.signing import CardSigner
from store.db import create_engine, sessionmaker
from store.store import Store
from tests.fakes.connector import learn_conversation_of
from tests.integration.harness import free_port

ROOT = Path(__file__).resolve().parents[2]
ETAPAIVA = Path(sys.executable).parent / "etapaiva"
# what would take a bot out of local mode or point it elsewhere
DROPPED = ("MicrosoftAppId", "MicrosoftAppPassword", "MicrosoftAppType", "MicrosoftAppTenantId")


@dataclass
class Replica:
    """One `etapaiva serve` process (its own process group), its port and its log."""

    name: str
    port: int
    database_url: str
    log: Path
    popen: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, **env: str) -> None:
        """Start serving (a restart uses the same port and database)."""
        environ = {k: v for k, v in os.environ.items() if k not in DROPPED}
        environ.update(
            HOST="127.0.0.1",
            PORT=str(self.port),
            DATABASE_URL=self.database_url,
            PYTHONUNBUFFERED="1",
            **env,
        )
        out = self.log.open("ab")
        self.popen = subprocess.Popen(
            [str(ETAPAIVA), "serve"],
            cwd=self.log.parent,
            env=environ,
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        out.close()

    async def ready(self, within: float = 60.0) -> None:
        """Wait until /readyz answers 200 (fail early if the process died)."""
        deadline = time.monotonic() + within
        async with aiohttp.ClientSession() as http:
            while time.monotonic() < deadline:
                assert self.popen is not None and self.popen.poll() is None, self.tail()
                with contextlib.suppress(aiohttp.ClientError, TimeoutError):
                    async with http.get(
                        f"{self.url}/readyz", timeout=aiohttp.ClientTimeout(total=2)
                    ) as response:
                        if response.status == 200:
                            return
                await asyncio.sleep(0.1)
        raise AssertionError(f"{self.name} was not ready in {within} s\n{self.tail()}")

    def kill(self) -> None:
        """kill -9: no clean-up of any kind."""
        if self.popen is not None and self.popen.poll() is None:
            os.killpg(self.popen.pid, signal.SIGKILL)
            self.popen.wait(10)

    def stop(self) -> None:
        """SIGTERM, then SIGKILL after 10 s."""
        if self.popen is None or self.popen.poll() is not None:
            return
        os.killpg(self.popen.pid, signal.SIGTERM)
        try:
            self.popen.wait(10)
        except subprocess.TimeoutExpired:
            self.kill()

    def tail(self, lines: int = 40) -> str:
        text = self.log.read_text(errors="replace") if self.log.exists() else ""
        return f"--- {self.name} log ---\n" + "\n".join(text.splitlines()[-lines:])


def replica(name: str, database_url: str, folder: Path) -> Replica:
    """A replica on a free port whose log is folder/name.log."""
    return Replica(name, free_port(), database_url, folder / f"{name}.log")


async def post(
    http: aiohttp.ClientSession, replica: Replica, activity: dict[str, Any]
) -> tuple[int, Any]:
    """POST an activity; (status, JSON body or None). Raises on a connection failure.

    Teams has the conversation an activity comes from: a fake connector serving its serviceUrl
    learns it first (as the integration harness does).
    """
    learn_conversation_of(activity)
    async with http.post(f"{replica.url}/api/messages", json=activity) as response:
        body = await response.read()
        parsed = await response.json(content_type=None) if body else None
        return response.status, parsed


async def signer_of(database_url: str) -> CardSigner:
    """The card signer the replicas use (their key is in the database)."""
    engine = create_engine(database_url)
    try:
        store = Store(sessionmaker(engine))
        key = await store.secrets.get_or_create("card-signing-key", lambda: "")
        assert key, "the service has not made its signing key yet"
        return CardSigner(bytes.fromhex(key))
    finally:
        await engine.dispose()


def signed_tap(signer: CardSigner, activity: dict[str, Any]) -> dict[str, Any]:
    """An invoke whose action data carries the signature the bot's card would give it."""
    action = activity["value"]["action"]
    card = signer.sign({"type": "Action.Execute", **action}, activity["conversation"]["id"])
    return {**activity, "value": {**activity["value"], "action": {**action, "data": card["data"]}}}
