"""End-to-end fixtures: the real bot and the Microsoft 365 Agents Playground as subprocesses.

Each test gets a fresh bot (`etapaiva serve`, local mode, its own SQLite file) and a fresh
Playground pointed at it, both on free loopback ports and in their own process groups, so
teardown stops every child even when the test fails. On failure their logs are printed.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]
PLAYGROUND_DIR = ROOT / "playground"
PLAYGROUND_CONFIG = PLAYGROUND_DIR / ".m365agentsplayground.yml"
PLAYGROUND_BIN = PLAYGROUND_DIR / "node_modules" / ".bin" / "agentsplayground"
CHROMIUM = Path("/usr/bin/chromium")
# The bot under test; ETAPAIVA_BIN lets you point the tests at another build of it.
ETAPAIVA_BIN = Path(os.environ.get("ETAPAIVA_BIN", Path(sys.executable).parent / "etapaiva"))

START_TIMEOUT_S = 60.0
STOP_TIMEOUT_S = 5.0
LOG_TAIL_LINES = 80
# Settings that would switch the bot out of local mode or point it elsewhere.
_BOT_ENV_DROP = (
    "MicrosoftAppId",
    "MicrosoftAppPassword",
    "MicrosoftAppType",
    "MicrosoftAppTenantId",
    "DATABASE_URL",
)


@dataclass
class ManagedProcess:
    """A subprocess in its own process group, with its output in log files."""

    name: str
    popen: subprocess.Popen[bytes]
    logs: list[Path] = field(default_factory=list)

    def alive(self) -> bool:
        return self.popen.poll() is None

    def stop(self) -> None:
        """Stop the whole process group: SIGTERM, then SIGKILL after a grace period."""
        if self.popen.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.popen.pid, signal.SIGTERM)
            with contextlib.suppress(subprocess.TimeoutExpired):
                self.popen.wait(timeout=STOP_TIMEOUT_S)
        # children (npm/sh/node, workers) may outlive the leader: sweep the group
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(self.popen.pid, signal.SIGKILL)
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.popen.wait(timeout=STOP_TIMEOUT_S)

    def log_tails(self) -> str:
        parts = []
        for path in self.logs:
            text = path.read_text(errors="replace") if path.exists() else "(no file)"
            tail = "\n".join(text.splitlines()[-LOG_TAIL_LINES:])
            parts.append(f"----- {self.name}: {path} (last {LOG_TAIL_LINES} lines) -----\n{tail}")
        return "\n".join(parts)


@dataclass(frozen=True)
class BotServer:
    """The running bot."""

    port: int
    process: ManagedProcess

    @property
    def messages_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/api/messages"


@dataclass(frozen=True)
class Playground:
    """The running Agents Playground and the mock data it serves."""

    port: int
    process: ManagedProcess
    test_config: dict[str, Any]

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"


def free_port() -> int:
    """A currently free TCP port on 127.0.0.1."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def http_get(url: str, timeout: float = 2.0) -> bytes | None:
    """The body of a 200 answer, or None when the server is not (yet) answering."""
    try:
        # only ever our own http://127.0.0.1:<port>/... URLs
        with urllib.request.urlopen(url, timeout=timeout) as response:  # noqa: S310
            return response.read() if response.status == 200 else None
    except (urllib.error.URLError, ConnectionError, TimeoutError):
        return None


def start_process(
    name: str, argv: list[str], cwd: Path, env: dict[str, str], log: Path, extra_logs: list[Path]
) -> ManagedProcess:
    with log.open("wb") as out:
        popen = subprocess.Popen(
            argv,
            cwd=cwd,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    return ManagedProcess(name, popen, [log, *extra_logs])


def wait_until_ready(process: ManagedProcess, url: str, expect: bytes | None = None) -> bytes:
    """Poll url until it answers 200 (with expect in the body); fail early if the process dies."""
    deadline = time.monotonic() + START_TIMEOUT_S
    while time.monotonic() < deadline:
        body = http_get(url)
        if body is not None and (expect is None or expect in body):
            return body
        if not process.alive():
            pytest.fail(
                f"{process.name} exited with code {process.popen.returncode} before {url} "
                f"answered\n{process.log_tails()}",
                pytrace=False,
            )
        time.sleep(0.1)
    pytest.fail(
        f"{process.name} did not answer {url} within {START_TIMEOUT_S:.0f}s\n{process.log_tails()}",
        pytrace=False,
    )


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Any:
    """Remember each phase's report on the item, so fixtures can tell whether the test failed."""
    report = yield
    setattr(item, f"rep_{report.when}", report)
    return report


def _test_failed(request: pytest.FixtureRequest) -> bool:
    reports = (getattr(request.node, f"rep_{when}", None) for when in ("setup", "call"))
    return any(report is not None and report.failed for report in reports)


@pytest.fixture(scope="session")
def chromium() -> Path:
    """Debian's Chromium for Playwright; the tests never download a browser."""
    if not CHROMIUM.exists():
        pytest.fail(
            f"{CHROMIUM} is missing: install Debian's chromium (apt-get install chromium); "
            "the end-to-end tests never download a browser (no `playwright install`)",
            pytrace=False,
        )
    return CHROMIUM


@pytest.fixture(scope="session")
def playground_installed() -> Path:
    """playground/node_modules with the pinned Playground; runs `npm ci` if it is missing."""
    if PLAYGROUND_BIN.exists():
        return PLAYGROUND_BIN
    npm = shutil.which("npm")
    if npm is None:
        pytest.fail(
            "Node.js/npm is needed for the Agents Playground end-to-end tests, and "
            f"{PLAYGROUND_BIN} is missing: install Node 20+ and run `npm ci` in playground/",
            pytrace=False,
        )
    result = subprocess.run(
        [npm, "ci", "--no-audit", "--no-fund"],
        cwd=PLAYGROUND_DIR,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    if result.returncode != 0 or not PLAYGROUND_BIN.exists():
        pytest.fail(
            f"`npm ci` in {PLAYGROUND_DIR} failed (exit {result.returncode}):\n"
            f"{result.stdout}\n{result.stderr}",
            pytrace=False,
        )
    return PLAYGROUND_BIN


@pytest.fixture
def bot_server(tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[BotServer]:
    """The real bot in local mode on a free loopback port with its own SQLite database."""
    if not ETAPAIVA_BIN.exists():
        pytest.fail(f"{ETAPAIVA_BIN} not found: install the project first", pytrace=False)
    port = free_port()
    env = {k: v for k, v in os.environ.items() if k not in _BOT_ENV_DROP}
    env |= {
        "HOST": "127.0.0.1",
        "PORT": str(port),
        "DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'e2e.db'}",
        "PYTHONUNBUFFERED": "1",
    }
    bot_dir = tmp_path / "bot"
    bot_dir.mkdir()
    process = start_process(
        "bot", [str(ETAPAIVA_BIN), "serve"], bot_dir, env, tmp_path / "bot.log", []
    )
    try:
        wait_until_ready(process, f"http://127.0.0.1:{port}/healthz")
        yield BotServer(port, process)
    finally:
        process.stop()
        if _test_failed(request):
            print(process.log_tails())


@contextlib.contextmanager
def running_playground(
    config: Path,
    bot_server: BotServer,
    playground_installed: Path,
    tmp_path: Path,
    request: pytest.FixtureRequest,
) -> Iterator[Playground]:
    """The Agents Playground with a mock Teams config, on a free loopback port, connected to
    bot_server; its logs are printed when the test failed."""
    port = free_port()
    log_file = tmp_path / "playground.log"
    env = dict(os.environ)
    env |= {
        "TEAMSAPPTESTER_BROWSER": "none",
        "M365_AGENTS_PLAYGROUND_CONFIG_PATH": str(config),
        "M365_AGENTS_PLAYGROUND_LOGFILE": str(log_file),
    }
    argv = [
        str(playground_installed),
        *("-e", bot_server.messages_url, "-c", "msteams", "--dt", "-p", str(port)),
    ]
    out = tmp_path / "playground.out"
    process = start_process("playground", argv, PLAYGROUND_DIR, env, out, [log_file])
    try:
        wait_until_ready(process, f"http://127.0.0.1:{port}/_debug/ping", expect=b"pong")
        # It silently takes another port if ours was grabbed meanwhile: make sure it is ours.
        listening = out.read_text(errors="replace")
        if f"Listening on {port}" not in listening:
            pytest.fail(f"the Playground is not on port {port}: {listening!r}", pytrace=False)
        body = wait_until_ready(process, f"http://127.0.0.1:{port}/_internal/v1/testConfig")
        yield Playground(port, process, json.loads(body))
    finally:
        process.stop()
        if _test_failed(request):
            print(process.log_tails())


@pytest.fixture
def playground(
    bot_server: BotServer,
    playground_installed: Path,
    tmp_path: Path,
    request: pytest.FixtureRequest,
) -> Iterator[Playground]:
    """The Agents Playground on a free loopback port, connected to bot_server."""
    with running_playground(
        PLAYGROUND_CONFIG, bot_server, playground_installed, tmp_path, request
    ) as found:
        yield found
