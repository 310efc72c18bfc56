"""P1 and P2: check-in taps over real HTTP against stock botbuilder baselines (not a test).

P1 (default). Three bots run side by side, each in its own process on a loopback port:

  A1 bench/echo_bot.py, a stock botbuilder `TeamsActivityHandler` that echoes each message
     (CloudAdapter, exactly as in Microsoft's samples, no SDK changes). Its reply is a real
     outbound HTTP call to the fake Teams connector.
  A2 a second process of bench/echo_bot.py answering the same `Action.Execute` invoke that B
     gets (verb `rollcall.here`, the same activity) with `on_adaptive_card_invoke`: a card in
     the HTTP response, no outgoing call, the like-for-like baseline. Each of its answers must
     be HTTP 200 with a card (type application/vnd.microsoft.card.adaptive), else the report
     says the baseline is not sound.
  B  our service (`etapaiva serve`, local mode). The tap is the roll-call card's "I'm here"
     button: an `Action.Execute` invoke (verb `rollcall.here`) that the bot answers with the
     client's own card in the HTTP response.

The organisation (one instructor and --clients clients per group, each with an AAD object id)
is written as an organisation file and imported with `etapaiva org import`; each group's chat is
bound by the instructor's "@Etäpäivä tämä on ryhmä …" and its roll call opened by
"@Etäpäivä nimenhuuto", the roll call's id being read from the card the bot posts. Each burst
of B uses its own group (fresh clients, a fresh roll call).

Three cache states of B, each with its own groups (--states first,cold,warm, all by default):
  first  first contact: the clients are in the organisation file by AAD id and never talked
         to the bot;
  cold   known but cold: each client said "moi" in their own 1:1 chat during preparation, then
         the caches expired;
  warm   each client said "moi" shortly before, the roll call was just opened.
The groups of first and cold are prepared together, then the benchmark waits CACHE_SECONDS + 5 s
(CACHE_SECONDS as the bot gets it from the environment, default 30) so that every cache entry
of those people, chats and groups is stale (09:00, and a group's first day); then the first
bursts, then the cold ones; then the warm ones, their groups set up WARM_BATCH at a time
just before their rounds (so every hello is well within CACHE_SECONDS of the tap).

Each round runs A1 A2 B one after the other: each burst is --clients requests started evenly
within 100 ms, each its own HTTP request. Per side and state: p50 and p99 latency (send → HTTP
response, over every tap of every burst) and the mean burst throughput (taps ÷ time from the
first send to the last response); for B also the taps recorded in the database (distinct marks
per roll call, must equal --clients), duplicates and errors; for A1 the echoes the connector
received, for A2 the answers with a card; for each the bot process's CPU time per tap (from
/proc, over each burst and the pause after it, so follow-up work such as updating the shared
card counts too). Targets, in every state: every tap recorded once; B/A2 throughput ≥ 1.5
(≥ 2.5 warm) and p99 ≤ 0.7; B's CPU per tap ≤ 5 ms; warm: B/A1 throughput ≥ 3.0.

P2 (--p2, PostgreSQL: --postgres URL or a throwaway server from Debian's binaries). Two
replicas of our service share one database; 40 groups each with a bound group chat, an
instructor, 50 clients and an open roll call; the clients are first contacts (in the
organisation file, never talked to the bot), and after the groups are prepared the benchmark
waits CACHE_SECONDS + 5 s so the caches of groups, chats and roll calls are stale. Then 2,000
taps (50 per group) spread evenly over 10 s, alternating between the replicas. Reports taps
answered, lost (HTTP errors or no mark recorded), p99 and max latency (target: every tap
answered within Teams' 10 s) and the marks in the database (must be 2,000). --runs N repeats
it with fresh groups (each run waiting for the caches to expire) and counts the runs that met.

The fake connector runs in a process of its own, so neither bot's outbound calls compete with
the load generator for this process's interpreter. Exit status 0 whatever the figures (it is a
report); 1 if the setup fails.

    .venv/bin/python bench/checkin.py                  # P1 on SQLite: 1 warm-up + 6 bursts a
                                                       # side in each of the three states
    .venv/bin/python bench/checkin.py --temp-postgres  # P1 on a throwaway PostgreSQL server
    .venv/bin/python bench/checkin.py --states warm    # P1, only the warm state
    .venv/bin/python bench/checkin.py --p2 --runs 5    # P2 five times (throwaway PostgreSQL
                                                       # unless --postgres)
    .venv/bin/python bench/checkin.py --echo-only      # only the stock baselines' figures
    options: --bursts N --warmup N --clients 50 --pause S --postgres URL --quick
             --cold (= --states first) (P2: --groups 40 --spread 10 --runs 1)

The roll-call feature's names (verb, card data key, marks table and columns) are constants at
the top of this file. The bots' logs and the SQLite database stay in the printed work folder.
ETAPAIVA_BIN=PATH runs another build (or a wrapper, e.g. one that profiles `serve`).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import multiprocessing
import os
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import aiohttp
import sqlalchemy as sa
import yaml

from tests.fakes.activities import Conv, User, invoke_execute, message
from tests.fakes.connector import FakeConnector

# --- what the roll-call feature is expected to look like (adjust here if it differs) ---------
HERE_VERB = "rollcall.here"  # the card's "I'm here" Action.Execute verb
ROLL_CALL_DATA_KEY = "rollcall"  # the roll call's id in that action's data
MARKS_TABLE = "attendance_marks"  # one row per client marked in a roll call
MARKS_ROLL_CALL_COLUMN = "roll_call_id"
MARKS_PERSON_COLUMN = "person_id"
MARKS_STATUS_COLUMN: str | None = "status"  # None: count every mark, whatever its status
TAPPED_STATUSES = ("present", "late")  # what a client's own tap records
BIND_WORDS = "tämä on ryhmä"  # "@Etäpäivä tämä on ryhmä <group key>"
OPEN_ROLL_CALL_WORDS = "nimenhuuto"  # "@Etäpäivä nimenhuuto"
BIND_REPLIES = ("Valmis. Tämä keskustelu kuuluu nyt ryhmälle", "Tämä keskustelu kuuluu jo")

ROOT = Path(__file__).resolve().parents[1]
ECHO_BOT = ROOT / "bench" / "echo_bot.py"
ETAPAIVA_BIN = Path(os.environ.get("ETAPAIVA_BIN", Path(sys.executable).parent / "etapaiva"))
# settings that would take a bot out of local mode or point it at another database
ENV_DROP = (
    "MicrosoftAppId",
    "MicrosoftAppPassword",
    "MicrosoftAppType",
    "MicrosoftAppTenantId",
    "DATABASE_URL",
    "PORT",
    "HOST",
)
CARD_CONTENT_TYPE = "application/vnd.microsoft.card.adaptive"
JSON_HEADERS = {"Content-Type": "application/json"}
BURST_WINDOW_S = 0.1
TEAMS_LIMIT_S = 10.0
START_TIMEOUT_S = 60.0
CARD_TIMEOUT_S = 15.0
REQUEST_TIMEOUT_S = 30.0
# P1's targets: B against A2 (the invoke baseline) in every state, against A1 (echo) warm
THROUGHPUT_TARGET = 1.5
WARM_THROUGHPUT_TARGET = 2.5
P99_TARGET = 0.7
ECHO_WARM_THROUGHPUT_TARGET = 3.0
CPU_PER_TAP_TARGET_S = 0.005
STATES = ("first", "cold", "warm")  # in the order they run
STATE_TEXT = {
    "first": "first contact: in the organisation file by AAD id, never talked to the bot; "
    "caches expired",
    "cold": 'known but cold: said "moi" in their 1:1 chat, then the caches expired',
    "warm": 'warm: said "moi" shortly before, the roll call just opened',
}
CACHE_MARGIN_S = 5.0  # waited beyond CACHE_SECONDS for the caches to expire
WARM_BATCH = 3  # warm groups are set up this many at a time, just before their rounds
SETTLE_S = 2.0  # after setting groups up: their follow-up work (replies, cards) is done
P2_GROUPS = 40
P2_SPREAD_S = 10.0


class SetupError(RuntimeError):
    """The benchmark could not be arranged; the message says why."""


def percentile(values: Sequence[float], q: float) -> float:
    """The q-quantile by nearest rank (as bench/agenda_timer.py)."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


# --- the fake Teams connector, in a process of its own ---------------------------------------


@dataclass(frozen=True)
class Seen:
    """One request a bot made to the connector."""

    route: str
    status: int
    conversation_id: str | None
    activity_id: str | None
    body: Any
    response: Any
    at: float = 0.0  # when the connector got it (time.monotonic: the clock fire() uses)

    @property
    def sent(self) -> bool:
        """A message posted (or replied) successfully."""
        return self.route in ("send", "reply") and 200 <= self.status < 300

    @property
    def text(self) -> str:
        body = self.body if isinstance(self.body, dict) else {}
        return str(body.get("text") or "")

    @property
    def posted_id(self) -> str | None:
        """The id of the activity this request created or updated."""
        if self.route == "update":
            return self.activity_id
        response = self.response if isinstance(self.response, dict) else {}
        found = response.get("id")
        return str(found) if found else None


def _connector_main(pipe: Connection, teams_limits: bool = False) -> None:
    """Child process: serve a FakeConnector and answer "since N" queries over the pipe."""
    # The bots are measured, not the connector: no conversation or body checks; Teams' limits
    # only when asked (P1t in one chat: what the limits do to fifty answers there)
    with FakeConnector(
        enforce_teams_limits=teams_limits,
        global_limit=50 if teams_limits else None,
        check_conversations=False,
        check_activities=False,
    ) as connector:
        pipe.send(connector.url)
        while True:
            try:
                command, offset = pipe.recv()
            except (EOFError, KeyboardInterrupt):
                return
            if command != "since":
                return
            pipe.send(
                [
                    (
                        r.route,
                        r.status,
                        r.conversation_id,
                        r.activity_id,
                        r.json,
                        r.response,
                        r.timestamp,
                    )
                    for r in connector.requests[offset:]
                ]
            )


class ConnectorProcess:
    """A FakeConnector (tests/fakes/connector.py) in a child process, with what it saw."""

    def __init__(self, *, teams_limits: bool = False) -> None:
        context = multiprocessing.get_context("spawn")
        self._pipe, child = context.Pipe()
        self._process = context.Process(
            target=_connector_main,
            args=(child, teams_limits),
            name="fake-connector",
            daemon=True,
        )
        self._process.start()
        child.close()
        if not self._pipe.poll(START_TIMEOUT_S):
            self.close()
            raise SetupError("the fake connector process did not start")
        self.url: str = self._pipe.recv()
        self.seen: list[Seen] = []
        self._pipe_lock = threading.Lock()
        self._poll_lock = asyncio.Lock()

    def _since(self, offset: int) -> list[Seen]:
        with self._pipe_lock:
            self._pipe.send(("since", offset))
            rows = self._pipe.recv()
        return [Seen(*row) for row in rows]

    async def poll(self) -> list[Seen]:
        """Fetch the requests made since the last poll; return everything seen so far."""
        async with self._poll_lock:
            self.seen.extend(await asyncio.to_thread(self._since, len(self.seen)))
        return self.seen

    async def wait_for(
        self, find: Callable[[list[Seen]], Seen | None], timeout_s: float
    ) -> Seen | None:
        """Poll until find() returns a request, or None after timeout_s."""
        deadline = time.monotonic() + timeout_s
        while True:
            found = find(await self.poll())
            if found is not None or time.monotonic() > deadline:
                return found
            await asyncio.sleep(0.05)

    def close(self) -> None:
        with contextlib.suppress(OSError, BrokenPipeError):
            self._pipe.send(("stop", 0))
        self._process.join(5)
        if self._process.is_alive():
            self._process.kill()
            self._process.join(5)


# --- the bots as subprocesses ----------------------------------------------------------------


def free_port() -> int:
    """A currently free TCP port on 127.0.0.1."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Service:
    """A bot in a subprocess of its own (own process group), its output in a log file."""

    name: str
    port: int
    popen: subprocess.Popen[bytes]
    log: Path

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def messages_url(self) -> str:
        return f"{self.base_url}/api/messages"

    def alive(self) -> bool:
        return self.popen.poll() is None

    def cpu_seconds(self) -> float | None:
        """User + system CPU the process has used so far (Linux /proc; None elsewhere)."""
        try:
            stat = Path(f"/proc/{self.popen.pid}/stat").read_text()
        except OSError:
            return None
        fields = stat.rsplit(")", 1)[1].split()  # from field 3 (state) on
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def log_tail(self, lines: int = 30) -> str:
        """The log's last lines, a run of lines alike but for their time stamp shown once."""
        text = self.log.read_text(errors="replace") if self.log.exists() else "(no log)"
        kept: list[str] = []
        repeats = 0
        for line in text.splitlines():
            if kept and line[24:] == kept[-1][24:] and line[:2] == "20":  # "2026-… 12:00:00,000 "
                repeats += 1
                continue
            if repeats:
                kept.append(f"    … the line above {repeats} more times")
                repeats = 0
            kept.append(line)
        if repeats:
            kept.append(f"    … the line above {repeats} more times")
        tail = "\n".join(kept[-lines:])
        return f"----- {self.name} log ({self.log}), last lines -----\n{tail}"

    def stop(self) -> None:
        """SIGTERM the process group, SIGKILL after 10 s."""
        if self.popen.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.popen.pid, signal.SIGTERM)
            with contextlib.suppress(subprocess.TimeoutExpired):
                self.popen.wait(timeout=10)
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(self.popen.pid, signal.SIGKILL)
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.popen.wait(timeout=5)


def bot_env(extra: dict[str, str]) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ENV_DROP}
    return env | {"PYTHONUNBUFFERED": "1"} | extra


def cache_seconds() -> float:
    """CACHE_SECONDS as our bot gets it from the environment (its default: 30)."""
    value = bot_env({}).get("CACHE_SECONDS") or "30"
    try:
        return float(value)
    except ValueError as exc:
        raise SetupError(f"CACHE_SECONDS={value!r} is not a number") from exc


async def wait_for_caches_to_expire(prepared: Sequence[BenchGroup]) -> None:
    """Sleep until CACHE_SECONDS + CACHE_MARGIN_S have passed since the last group was prepared."""
    wait_s = cache_seconds() + CACHE_MARGIN_S
    last = max((g.prepared_at for g in prepared if g.prepared_at is not None), default=None)
    remaining = wait_s if last is None else last + wait_s - time.monotonic()
    if remaining > 0:
        print(f"waiting {remaining:.0f} s for the caches to expire (CACHE_SECONDS + 5 s)")
        await asyncio.sleep(remaining)


def machine() -> str:
    """The date, the number of usable cores (as nproc counts them) and the CPU model."""
    model = "unknown CPU"
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    date = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    return f"{date}, nproc {cores}, {model}"


def start_service(name: str, argv: list[str], env: dict[str, str], port: int, tmp: Path) -> Service:
    """Start argv in its own session; cwd is a fresh folder (so no .env is picked up)."""
    cwd = tmp / name
    cwd.mkdir(exist_ok=True)
    log = tmp / f"{name}.log"
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
    return Service(name, port, popen, log)


async def wait_ready(service: Service, path: str, expect_status: int) -> None:
    """Poll GET path until it answers expect_status; fail early if the process died."""
    deadline = time.monotonic() + START_TIMEOUT_S
    async with aiohttp.ClientSession() as http:
        while time.monotonic() < deadline:
            with contextlib.suppress(aiohttp.ClientError, TimeoutError):
                async with http.get(
                    service.base_url + path, timeout=aiohttp.ClientTimeout(total=2)
                ) as resp:
                    if resp.status == expect_status:
                        return
            if not service.alive():
                raise SetupError(
                    f"{service.name} exited with code {service.popen.returncode} before "
                    f"{path} answered\n{service.log_tail()}"
                )
            await asyncio.sleep(0.1)
    raise SetupError(f"{service.name} did not answer {path} in {START_TIMEOUT_S:.0f} s")


async def start_echo_bot(tmp: Path, name: str = "echo-bot") -> Service:
    port = free_port()
    service = start_service(
        name, [sys.executable, str(ECHO_BOT)], bot_env({"PORT": str(port)}), port, tmp
    )
    await wait_ready(service, "/api/messages", 405)  # GET on the POST-only route: it is up
    return service


async def start_etapaiva(name: str, database_url: str, tmp: Path) -> Service:
    check_etapaiva_bin()
    port = free_port()
    env = bot_env({"HOST": "127.0.0.1", "PORT": str(port), "DATABASE_URL": database_url})
    service = start_service(name, [str(ETAPAIVA_BIN), "serve"], env, port, tmp)
    await wait_ready(service, "/readyz", 200)
    return service


def check_etapaiva_bin() -> None:
    if not ETAPAIVA_BIN.exists():
        raise SetupError(f"{ETAPAIVA_BIN} not found: install the project (pip install -e .)")


def etapaiva_cli(args: list[str], database_url: str, tmp: Path) -> str:
    """Run `etapaiva ARGS` against database_url; its output, or SetupError on failure."""
    check_etapaiva_bin()
    cwd = tmp / "cli"
    cwd.mkdir(exist_ok=True)
    result = subprocess.run(
        [str(ETAPAIVA_BIN), *args],
        cwd=cwd,
        env=bot_env({"DATABASE_URL": database_url}),
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    if result.returncode != 0:
        raise SetupError(
            f"`etapaiva {' '.join(args)}` failed (exit {result.returncode}):\n"
            f"{result.stdout}{result.stderr}"
        )
    return result.stdout


# --- the organisation, the group chats and the roll calls ------------------------------------


@dataclass
class BenchGroup:
    """A group with its chat, instructor, clients and (once opened) its roll call."""

    key: str
    name: str
    conv: Conv
    instructor: User
    clients: list[User]
    roll_call: Any = None
    card_id: str | None = None
    here_data: dict[str, Any] | None = None  # the card's action data (signed by the bot)
    setup_from: float | None = None  # time.monotonic() when its set-up began (bind, hellos)
    prepared_at: float | None = None  # time.monotonic() when the roll call had been opened


def make_groups(run: str, label: str, count: int, clients: int) -> list[BenchGroup]:
    groups = []
    for g in range(count):
        key = f"b{run}-{label}-{g:02d}"
        groups.append(
            BenchGroup(
                key=key,
                name=f"Penkkiryhmä {label} {g}",
                conv=Conv.group_chat(),
                instructor=User(name=f"Ohjaaja {label} {g}", aad_object_id=str(uuid.uuid4())),
                clients=[
                    User(name=f"Asiakas {label} {g}-{c}", aad_object_id=str(uuid.uuid4()))
                    for c in range(clients)
                ],
            )
        )
    return groups


def write_org_file(path: Path, run: str, groups: Sequence[BenchGroup]) -> None:
    """The organisation file (docs/org-file.md) for the groups."""
    unit = f"b{run}"
    people: list[dict[str, Any]] = []
    for group in groups:
        people.append(
            {
                "name": group.instructor.name,
                "aad": group.instructor.aad_object_id,
                "instructor": [group.key],
            }
        )
        people.extend(
            {"name": client.name, "aad": client.aad_object_id, "client": [group.key]}
            for client in group.clients
        )
    document = {
        "version": 1,
        "units": [{"key": unit, "name": f"Benchmark {run}"}],
        "groups": [{"key": g.key, "unit": unit, "name": g.name} for g in groups],
        "people": people,
    }
    path.write_text(yaml.safe_dump(document, allow_unicode=True, sort_keys=False), "utf-8")


def import_org(groups: Sequence[BenchGroup], run: str, database_url: str, tmp: Path) -> None:
    path = tmp / f"org-{run}.yaml"
    write_org_file(path, run, groups)
    etapaiva_cli(["org", "import", str(path)], database_url, tmp)


def find_actions(value: Any, verb: str) -> Iterator[dict[str, Any]]:
    """Every object with this verb anywhere in a JSON value (cards nest their actions)."""
    if isinstance(value, dict):
        if value.get("verb") == verb:
            yield value
        for item in value.values():
            yield from find_actions(item, verb)
    elif isinstance(value, list):
        for item in value:
            yield from find_actions(item, verb)


async def post_json(http: aiohttp.ClientSession, url: str, activity: dict[str, Any]) -> int:
    async with http.post(url, json=activity) as resp:
        await resp.read()
        return resp.status


def texts_to(seen: Sequence[Seen], conversation_id: str, start: int) -> list[str]:
    return [s.text for s in seen[start:] if s.sent and s.conversation_id == conversation_id]


async def bind_and_open(
    http: aiohttp.ClientSession,
    bot: Service,
    connector: ConnectorProcess,
    group: BenchGroup,
    hello: bool,
) -> None:
    """Bind the group's chat (the bot learns the chat from this first message), open a roll call.

    hello: each client first says "moi" in their own 1:1 chat (not their first contact).
    """
    conv, instructor = group.conv, group.instructor
    group.setup_from = time.monotonic()
    start = len(await connector.poll())
    status = await post_json(
        http,
        bot.messages_url,
        message(
            f"{BIND_WORDS} {group.key}",
            conversation=conv,
            sender=instructor,
            service_url=connector.url,
            mentions_bot=True,
        ),
    )
    if status >= 300:
        raise SetupError(f"binding {group.key}: the bot answered HTTP {status}")
    bound = await connector.wait_for(
        lambda seen: next(
            (s for s in seen[start:] if s.sent and s.conversation_id == conv.id), None
        ),
        CARD_TIMEOUT_S,
    )
    if bound is None or not bound.text.startswith(BIND_REPLIES):
        answer = bound.text if bound else "nothing"
        raise SetupError(f"could not bind the chat of {group.key}: the bot answered {answer!r}")

    if hello:
        # the clients have used the bot before (the usual day: not their first contact);
        # each in their own 1:1 chat, so the group chat's send limits stay untouched
        for client in group.clients:
            await post_json(
                http,
                bot.messages_url,
                message(
                    "moi", conversation=Conv.personal(), sender=client, service_url=connector.url
                ),
            )

    start = len(await connector.poll())
    status = await post_json(
        http,
        bot.messages_url,
        message(
            OPEN_ROLL_CALL_WORDS,
            conversation=conv,
            sender=instructor,
            service_url=connector.url,
            mentions_bot=True,
        ),
    )

    def card(seen: list[Seen]) -> Seen | None:
        for s in seen[start:]:
            if s.conversation_id == conv.id and 200 <= s.status < 300 and s.route != "delete":
                for action in find_actions(s.body, HERE_VERB):
                    data = action.get("data")
                    if isinstance(data, dict) and data.get(ROLL_CALL_DATA_KEY) is not None:
                        return s
        return None

    found = await connector.wait_for(card, CARD_TIMEOUT_S)
    if found is None:
        said = texts_to(await connector.poll(), conv.id, start)
        raise SetupError(
            f"no roll-call card was posted: is issue 5 implemented? (group {group.key}; "
            f"'@Etäpäivä {OPEN_ROLL_CALL_WORDS}' got HTTP {status}, the bot then said "
            f"{said or 'nothing'}; looked {CARD_TIMEOUT_S:.0f} s for an Action.Execute with "
            f"verb {HERE_VERB!r} and data[{ROLL_CALL_DATA_KEY!r}])"
        )
    action = next(find_actions(found.body, HERE_VERB))
    group.roll_call = action["data"][ROLL_CALL_DATA_KEY]
    group.card_id = found.posted_id
    group.here_data = dict(action["data"])
    group.prepared_at = time.monotonic()


async def prepare_groups(
    bots: Sequence[Service],
    connector: ConnectorProcess,
    groups: Sequence[BenchGroup],
    *,
    hello: bool,
) -> None:
    """Bind and open a roll call in every group, a few at a time, spread over the bots.

    hello: the clients say "moi" to the bot first (else the tap is their first contact).
    """
    limit = asyncio.Semaphore(8)
    async with aiohttp.ClientSession() as http:

        async def one(i: int, group: BenchGroup) -> None:
            bot = bots[i % len(bots)]
            async with limit:
                try:
                    await bind_and_open(http, bot, connector, group, hello)
                except SetupError as exc:
                    raise SetupError(f"{exc}\n{bot.log_tail()}") from exc

        tasks = [asyncio.create_task(one(i, g)) for i, g in enumerate(groups)]
        try:
            await asyncio.gather(*tasks)
        except BaseException:
            for task in tasks:  # the first failure stops the rest
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
            raise


# --- bursts ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Tap:
    url: str
    body: bytes


@dataclass(frozen=True)
class TapResult:
    sent: float
    done: float
    status: int | None  # None: no HTTP answer (connection error or timeout)
    body: Any
    error: str | None = None

    @property
    def latency(self) -> float:
        return self.done - self.sent

    @property
    def ok(self) -> bool:
        return self.status is not None and 200 <= self.status < 300


@dataclass
class Burst:
    results: list[TapResult]
    cpu: float | None = None  # the bot process's CPU seconds, the burst and the pause after it

    @property
    def elapsed(self) -> float:
        return max(r.done for r in self.results) - min(r.sent for r in self.results)

    @property
    def throughput(self) -> float:
        return len(self.results) / self.elapsed

    @property
    def latencies(self) -> list[float]:
        return [r.latency for r in self.results]

    @property
    def p99(self) -> float:
        return percentile(self.latencies, 0.99)


async def fire(
    http: aiohttp.ClientSession, taps: Sequence[Tap], window_s: float
) -> list[TapResult]:
    """Start the taps evenly within window_s, each its own HTTP request; time each."""
    loop = asyncio.get_running_loop()
    start = loop.time() + 0.05
    step = window_s / len(taps)
    timeout = aiohttp.ClientTimeout(total=REQUEST_TIMEOUT_S)

    async def one(i: int, tap: Tap) -> TapResult:
        await asyncio.sleep(max(0.0, start + i * step - loop.time()))
        sent = time.perf_counter()
        try:
            async with http.post(
                tap.url, data=tap.body, headers=JSON_HEADERS, timeout=timeout
            ) as resp:
                raw = await resp.read()
                done = time.perf_counter()
                body: Any = None
                if raw:
                    with contextlib.suppress(ValueError):
                        body = json.loads(raw)
                return TapResult(sent, done, resp.status, body)
        except (aiohttp.ClientError, TimeoutError) as exc:
            return TapResult(sent, time.perf_counter(), None, None, type(exc).__name__)

    return list(await asyncio.gather(*(one(i, t) for i, t in enumerate(taps))))


def echo_taps(
    bot: Service, connector_url: str, conv: Conv, clients: Sequence[User], tag: str
) -> list[Tap]:
    return [
        Tap(
            bot.messages_url,
            json.dumps(
                message(
                    f"olen paikalla {tag}-{i}",
                    conversation=conv,
                    sender=client,
                    service_url=connector_url,
                )
            ).encode(),
        )
        for i, client in enumerate(clients)
    ]


def check_in_tap(url: str, connector_url: str, group: BenchGroup, client: User) -> Tap:
    activity = invoke_execute(
        HERE_VERB,
        group.here_data or {"verb": HERE_VERB, ROLL_CALL_DATA_KEY: group.roll_call},
        conversation=group.conv,
        sender=client,
        service_url=connector_url,
        reply_to_id=group.card_id,
    )
    return Tap(url, json.dumps(activity).encode())


def answered_with_card(result: TapResult) -> bool:
    body = result.body if isinstance(result.body, dict) else {}
    return result.ok and body.get("statusCode") == 200 and body.get("type") == CARD_CONTENT_TYPE


# --- marks in the database -------------------------------------------------------------------


def _db_value(roll_call: Any) -> Any:
    """The roll call's id as the database column holds it (an integer if it looks like one)."""
    if isinstance(roll_call, str) and roll_call.isdigit():
        return int(roll_call)
    return roll_call


@dataclass(frozen=True)
class Marks:
    distinct: int  # distinct clients marked
    rows: int  # mark rows (more than distinct: duplicates)

    @property
    def duplicates(self) -> int:
        return self.rows - self.distinct


async def count_marks(database_url: str, roll_calls: Sequence[Any]) -> dict[Any, Marks]:
    """Marks per roll call, read with SQLAlchemy core from MARKS_TABLE."""
    from store.db import create_engine

    columns = [MARKS_ROLL_CALL_COLUMN, MARKS_PERSON_COLUMN]
    if MARKS_STATUS_COLUMN:
        columns.append(MARKS_STATUS_COLUMN)
    table = sa.table(MARKS_TABLE, *(sa.column(c) for c in columns))
    roll_call_col = table.c[MARKS_ROLL_CALL_COLUMN]
    person_col = table.c[MARKS_PERSON_COLUMN]
    keys = {_db_value(r): r for r in roll_calls}
    query = (
        sa.select(roll_call_col, sa.func.count(), sa.func.count(sa.distinct(person_col)))
        .where(roll_call_col.in_(list(keys)))
        .group_by(roll_call_col)
    )
    if MARKS_STATUS_COLUMN:
        query = query.where(table.c[MARKS_STATUS_COLUMN].in_(TAPPED_STATUSES))
    engine = create_engine(database_url)
    try:
        async with engine.connect() as connection:
            rows = (await connection.execute(query)).all()
    finally:
        await engine.dispose()
    found = {keys.get(row[0], row[0]): Marks(int(row[2]), int(row[1])) for row in rows}
    return {r: found.get(r, Marks(0, 0)) for r in roll_calls}


async def marks_or_problem(
    database_url: str, roll_calls: Sequence[Any]
) -> tuple[dict[Any, Marks] | None, str | None]:
    try:
        return await count_marks(database_url, roll_calls), None
    except Exception as exc:
        problem = f"could not read {MARKS_TABLE}.{MARKS_ROLL_CALL_COLUMN}/{MARKS_PERSON_COLUMN}"
        return None, f"{problem}: {type(exc).__name__}: {str(exc).splitlines()[0][:200]}"


# --- P1 --------------------------------------------------------------------------------------


@dataclass
class P1Side:
    name: str
    bursts: list[Burst] = field(default_factory=list)

    @property
    def results(self) -> list[TapResult]:
        return [r for b in self.bursts for r in b.results]

    @property
    def latencies(self) -> list[float]:
        return [r.latency for r in self.results]

    @property
    def errors(self) -> int:
        return sum(1 for r in self.results if not r.ok)

    @property
    def p50(self) -> float:
        return percentile(self.latencies, 0.5)

    @property
    def p99(self) -> float:
        return percentile(self.latencies, 0.99)

    @property
    def throughput(self) -> float:
        return statistics.fmean(b.throughput for b in self.bursts)

    @property
    def cpu_per_tap(self) -> float | None:
        """The bot's CPU seconds per tap, or None when they could not be read."""
        cpu = [b.cpu for b in self.bursts]
        if any(c is None for c in cpu):
            return None
        return sum(c or 0.0 for c in cpu) / len(self.results)


@dataclass
class P1State:
    """One cache state's groups, its three sides' measured bursts and what was recorded."""

    name: str
    groups: list[BenchGroup]  # one per round, warm-up rounds first
    a1: P1Side = field(default_factory=lambda: P1Side("A1"))
    a2: P1Side = field(default_factory=lambda: P1Side("A2"))
    b: P1Side = field(default_factory=lambda: P1Side("B"))
    echo_tags: list[str] = field(default_factory=list)  # A1's measured bursts
    ages: list[float] = field(default_factory=list)  # per B burst: s since its group's set-up
    echoes: int = 0
    marks: dict[Any, Marks] | None = None
    marks_problem: str | None = None

    def measured_groups(self, warmup: int) -> list[BenchGroup]:
        return self.groups[warmup : warmup + len(self.b.bursts)]


def _verdict(ok: bool) -> str:
    return "PASS" if ok else "FAIL"


def _row(name: str, *cells: str) -> str:
    return (f"{name:28}" + "".join(f"{c:>16}" for c in cells)).rstrip()


def _ms(seconds: float) -> str:
    return f"{seconds * 1000:.1f}"


def _cells(cells: Sequence[str], widths: Sequence[int], left: int = 1) -> str:
    """A table row: the first `left` cells left-aligned, the others right-aligned."""
    return " ".join(
        f"{text:<{width}}" if i < left else f"{text:>{width}}"
        for i, (text, width) in enumerate(zip(cells, widths, strict=True))
    ).rstrip()


def _card_ok(result: TapResult) -> bool:
    """HTTP 200 with an adaptive card answer (statusCode 200, the card type, a card)."""
    value = result.body.get("value") if isinstance(result.body, dict) else None
    return (
        result.status == 200
        and answered_with_card(result)
        and isinstance(value, dict)
        and value.get("type") == "AdaptiveCard"
    )


def _ratio(b: float, a: float) -> float:
    return b / a if a > 0 else float("inf")


def report_p1(
    states: Sequence[P1State], clients: int, warmup: int, backend: str, echo_only: bool
) -> None:
    """Print P1's tables (figures per side, ratios per state), the bursts and the verdicts."""
    rounds = len(states[0].a1.bursts) if states else 0
    print(
        f"\nP1 check-in: {clients} clients tapping within {BURST_WINDOW_S * 1000:.0f} ms, "
        f"{rounds} bursts per side and state after {warmup} warm-up, interleaved "
        + ("A1 A2" if echo_only else "A1 A2 B")
    )
    print(f"{machine()}; {backend}, 127.0.0.1; CACHE_SECONDS {cache_seconds():g}")
    print("A1 = stock botbuilder echo bot (a message, echoed with an outgoing POST)")
    print("A2 = the same stock bot answering the same Action.Execute invoke with a card")
    if not echo_only:
        print("B  = Etäpäivä (etapaiva serve), the roll-call card's \"I'm here\"")
        for state in states:
            print(f"  {state.name:6} {STATE_TEXT[state.name]}")

    widths: tuple[int, ...] = (6, 11, 5, 6, 9, 8, 5, 7, 7, 7, 10)
    head: tuple[str, ...] = (
        "state",
        "side",
        "taps",
        "errors",
        "answered",
        "recorded",
        "dupl.",
        "p50 ms",
        "p99 ms",
        "taps/s",
        "CPU ms/tap",
    )
    print()
    print(_cells(head, widths, left=2))
    print("-" * (sum(widths) + len(widths) - 1))
    for state in states:
        sides: list[tuple[str, P1Side, str, str, str]] = [
            ("A1 echo", state.a1, f"{state.echoes} echo", "-", "-"),
            ("A2 invoke", state.a2, f"{sum(map(_card_ok, state.a2.results))} card", "-", "-"),
        ]
        if not echo_only:
            marks = state.marks
            recorded = str(sum(m.distinct for m in marks.values())) if marks else "n/a"
            duplicates = str(sum(m.duplicates for m in marks.values())) if marks else "n/a"
            cards = f"{sum(map(_card_ok, state.b.results))} card"
            sides.append(("B Etäpäivä", state.b, cards, recorded, duplicates))
        for label, side, answered, recorded, duplicates in sides:
            cpu = side.cpu_per_tap
            row: tuple[str, ...] = (
                state.name if label.startswith("A1") else "",
                label,
                str(len(side.results)),
                str(side.errors),
                answered,
                recorded,
                duplicates,
                _ms(side.p50),
                _ms(side.p99),
                f"{side.throughput:.1f}",
                _ms(cpu) if cpu is not None else "n/a",
            )
            print(_cells(row, widths, left=2))

    sizes = []
    for label, results in (
        ("A2", [r for s in states for r in s.a2.results]),
        ("B", [r for s in states for r in s.b.results]),
    ):
        bodies = [len(json.dumps(r.body)) for r in results if _card_ok(r)]
        if bodies:
            sizes.append(f"{label} {statistics.fmean(bodies):.0f}")
    if sizes:
        print(f"\nthe card answers' JSON (bytes, mean): {', '.join(sizes)}")

    if echo_only:
        print("\n(the baselines only: no targets checked)")
        _report_baselines(states)
        return

    widths = (6, 13, 11, 12, 9, 10, 14)
    head = (
        "state",
        "B/A2 taps/s",
        "B/A2 p99",
        "B/A1 taps/s",
        "B/A1 p99",
        "B CPU ms",
        "B cache age s",
    )
    print()
    print(_cells(head, widths))
    print("-" * (sum(widths) + len(widths) - 1))
    for state in states:
        tp_target = WARM_THROUGHPUT_TARGET if state.name == "warm" else THROUGHPUT_TARGET
        cpu = state.b.cpu_per_tap
        ages = f"{min(state.ages):.0f}–{max(state.ages):.0f}" if state.ages else "-"
        a1_target = f" (≥{ECHO_WARM_THROUGHPUT_TARGET:g})" if state.name == "warm" else ""
        row = (
            state.name,
            f"{_ratio(state.b.throughput, state.a2.throughput):.2f} (≥{tp_target:g})",
            f"{_ratio(state.b.p99, state.a2.p99):.2f} (≤{P99_TARGET:g})",
            f"{_ratio(state.b.throughput, state.a1.throughput):.2f}{a1_target}",
            f"{_ratio(state.b.p99, state.a1.p99):.2f}",
            (_ms(cpu) if cpu is not None else "n/a") + f" (≤{CPU_PER_TAP_TARGET_S * 1000:g})",
            ages,
        )
        print(_cells(row, widths))
    print(
        "(cache age: seconds from the end of a group's set-up to B's burst; warm: from its "
        "first hello)"
    )

    print("\nper burst: throughput (taps/s) and p99 (ms) of A1, A2, B; B's taps recorded")
    for state in states:
        measured = state.measured_groups(warmup)
        for i, (b1, b2, bb) in enumerate(
            zip(state.a1.bursts, state.a2.bursts, state.b.bursts, strict=True)
        ):
            got = state.marks.get(measured[i].roll_call) if state.marks else None
            marked = f"{got.distinct}/{clients}" if got else "n/a"
            print(
                f"  {state.name:6}{i + 1:>2}  A1 {b1.throughput:6.1f} {_ms(b1.p99):>7}"
                f"  A2 {b2.throughput:6.1f} {_ms(b2.p99):>7}"
                f"  B {bb.throughput:6.1f} {_ms(bb.p99):>7}  {marked}"
            )

    print()
    _report_baselines(states)
    limit = cache_seconds()
    for state in states:
        if not state.ages:
            continue
        if state.name == "warm" and max(state.ages) >= limit:
            print(
                f"WARNING (warm): a group's first hello was {max(state.ages):.0f} s before its "
                f"burst, not within CACHE_SECONDS ({limit:g} s): not every warm burst was warm"
            )
        if state.name != "warm" and min(state.ages) <= limit:
            print(
                f"WARNING ({state.name}): a group was set up only {min(state.ages):.0f} s before "
                f"its burst, within CACHE_SECONDS ({limit:g} s): not all its caches had expired"
            )
    verdicts: list[bool] = []

    def verdict(label: str, ok: bool, detail: str) -> None:
        verdicts.append(ok)
        print(f"{label}: {_verdict(ok)} ({detail})")

    for state in states:
        if state.marks_problem:
            print(f"taps recorded ({state.name}): {state.marks_problem}")
        marks = state.marks
        recorded_ok = (
            marks is not None
            and state.b.errors == 0
            and all(
                marks[g.roll_call].distinct == clients and marks[g.roll_call].duplicates == 0
                for g in state.measured_groups(warmup)
            )
        )
        verdict(
            f"P1 {state.name} recorded",
            recorded_ok,
            f"each burst: {clients} taps recorded once, no duplicates, no HTTP errors",
        )
    for state in states:
        tp_target = WARM_THROUGHPUT_TARGET if state.name == "warm" else THROUGHPUT_TARGET
        ratio_tp = _ratio(state.b.throughput, state.a2.throughput)
        ratio_p99 = _ratio(state.b.p99, state.a2.p99)
        verdict(
            f"P1 {state.name} throughput vs A2",
            ratio_tp >= tp_target,
            f"B/A2 {ratio_tp:.2f}, target ≥ {tp_target}",
        )
        verdict(
            f"P1 {state.name} p99 vs A2",
            ratio_p99 <= P99_TARGET,
            f"B/A2 {ratio_p99:.2f}, target ≤ {P99_TARGET}",
        )
    for state in states:
        if state.name == "warm":
            ratio_tp = _ratio(state.b.throughput, state.a1.throughput)
            verdict(
                "P1 warm throughput vs A1",
                ratio_tp >= ECHO_WARM_THROUGHPUT_TARGET,
                f"B/A1 {ratio_tp:.2f}, target ≥ {ECHO_WARM_THROUGHPUT_TARGET}",
            )
    for state in states:
        cpu = state.b.cpu_per_tap
        verdict(
            f"P1 {state.name} CPU per tap",
            cpu is not None and cpu <= CPU_PER_TAP_TARGET_S,
            f"B {_ms(cpu) if cpu is not None else 'n/a'} ms, "
            f"target ≤ {CPU_PER_TAP_TARGET_S * 1000:g} ms",
        )
    print(f"\nP1: {sum(verdicts)} of {len(verdicts)} targets met")


def _report_baselines(states: Sequence[P1State]) -> None:
    """Warn when a baseline did not do its work (then its figures are not a fair yardstick)."""
    for state in states:
        n1 = len(state.a1.results)
        if state.echoes != n1 or state.a1.errors:
            print(
                f"WARNING ({state.name}): the echo bot answered {n1 - state.a1.errors} of {n1} "
                f"taps and echoed {state.echoes}: the A1 baseline is not sound"
            )
        n2 = len(state.a2.results)
        cards = sum(map(_card_ok, state.a2.results))
        if cards != n2:
            statuses: dict[str, int] = {}
            for r in state.a2.results:
                if not _card_ok(r):
                    key = r.error or f"HTTP {r.status}"
                    statuses[key] = statuses.get(key, 0) + 1
            print(
                f"WARNING ({state.name}): the invoke bot answered {cards} of {n2} taps with "
                f"HTTP 200 and an adaptive card {statuses}: the A2 baseline is not sound"
            )


async def run_p1(args: argparse.Namespace, tmp: Path, database_url: str, backend: str) -> None:
    run = uuid.uuid4().hex[:6]
    warmup = args.warmup
    rounds = warmup + args.bursts
    if args.echo_only:  # the baselines alone: one state, groups never shown to a bot of ours
        states = [P1State("-", make_groups(run, "p1", rounds, args.clients))]
    else:
        states = [P1State(s, make_groups(run, s, rounds, args.clients)) for s in args.states]
    services: list[Service] = []
    connector = ConnectorProcess()
    try:
        echo = await start_echo_bot(tmp, "echo-bot")
        services.append(echo)
        invoke = await start_echo_bot(tmp, "invoke-bot")
        services.append(invoke)
        ours: Service | None = None
        if not args.echo_only:
            etapaiva_cli(["db", "upgrade"], database_url, tmp)
            import_org([g for s in states for g in s.groups], run, database_url, tmp)
            ours = await start_etapaiva("etapaiva", database_url, tmp)
            services.append(ours)

        a_conv = Conv.group_chat()
        a_clients = [
            User(name=f"Asiakas {c}", aad_object_id=str(uuid.uuid4())) for c in range(args.clients)
        ]
        async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=0)) as http:

            async def burst(bot: Service, taps: list[Tap]) -> Burst:
                before = bot.cpu_seconds()
                results = await fire(http, taps, BURST_WINDOW_S)
                await asyncio.sleep(args.pause)  # follow-up work (the card's count) counts too
                after = bot.cpu_seconds()
                cpu = after - before if after is not None and before is not None else None
                return Burst(results, cpu)

            async def run_state(state: P1State, set_up_ahead: bool) -> None:
                """The state's rounds; set_up_ahead: set its groups up a batch at a time."""
                for n, group in enumerate(state.groups):
                    if set_up_ahead and ours is not None and group.prepared_at is None:
                        batch = state.groups[n : n + WARM_BATCH]
                        await prepare_groups([ours], connector, batch, hello=True)
                        await asyncio.sleep(SETTLE_S)
                    tag = f"{run}-{state.name}-a{n}"
                    burst_a1 = await burst(
                        echo, echo_taps(echo, connector.url, a_conv, a_clients, tag)
                    )
                    # A2 gets the activity B gets: the same group chat, clients and card data
                    burst_a2 = await burst(
                        invoke,
                        [
                            check_in_tap(invoke.messages_url, connector.url, group, c)
                            for c in group.clients
                        ],
                    )
                    burst_b: Burst | None = None
                    age: float | None = None
                    if ours is not None:
                        # warm: since its first hello (the oldest entry); else since set-up ended
                        since = group.setup_from if state.name == "warm" else group.prepared_at
                        if since is not None:
                            age = time.monotonic() - since
                        taps = [
                            check_in_tap(ours.messages_url, connector.url, group, c)
                            for c in group.clients
                        ]
                        burst_b = await burst(ours, taps)
                    if n < warmup:
                        print(f"{state.name}: warm-up burst done")
                        continue
                    state.echo_tags.append(tag)
                    state.a1.bursts.append(burst_a1)
                    state.a2.bursts.append(burst_a2)
                    line = (
                        f"{state.name} burst {n - warmup + 1}/{args.bursts}: "
                        f"A1 {burst_a1.throughput:.1f}/s, A2 {burst_a2.throughput:.1f}/s"
                    )
                    if burst_b is not None:
                        state.b.bursts.append(burst_b)
                        line += f", B {burst_b.throughput:.1f}/s"
                        if age is not None:
                            state.ages.append(age)
                            line += f" (cache age {age:.0f} s)"
                    print(line)

            if ours is not None:
                # first contact and known-but-cold: prepared together, then the caches expire
                expiring = [s for s in states if s.name in ("first", "cold")]
                for state in expiring:
                    started = time.monotonic()
                    await prepare_groups(
                        [ours], connector, state.groups, hello=state.name == "cold"
                    )
                    print(
                        f"{state.name}: {len(state.groups)} groups bound, roll calls open "
                        f"({time.monotonic() - started:.0f} s)"
                    )
                if expiring:
                    await wait_for_caches_to_expire([g for s in expiring for g in s.groups])
            for state in states:
                # warm: each batch of groups is set up just before its rounds, so that every
                # client's hello is well within CACHE_SECONDS of their tap
                await run_state(state, set_up_ahead=state.name == "warm")

        await asyncio.sleep(0.5)
        seen = await connector.poll()
        for state in states:
            wanted = {
                f"echo: olen paikalla {tag}-{i}"
                for tag in state.echo_tags
                for i in range(args.clients)
            }
            state.echoes = sum(1 for s in seen if s.sent and s.text in wanted)
            if ours is not None:
                state.marks, state.marks_problem = await marks_or_problem(
                    database_url, [g.roll_call for g in state.measured_groups(warmup)]
                )
        report_p1(states, args.clients, warmup, backend, args.echo_only)
    finally:
        for service in services:
            service.stop()
        connector.close()


# --- P1t: text commands ----------------------------------------------------------------------

TEXT_COMMAND = "apua"  # a client's "help": the help lines and the guide's first card
TEXT_THROUGHPUT_TARGET = 2.5
TEXT_P99_TARGET = 0.5


@dataclass
class TextBurst:
    """One burst of text commands: HTTP answers, and when each one's replies reached Teams."""

    results: list[TapResult]
    replies: list[list[float]]  # per command, when the connector got each reply (same clock)
    cpu: float | None = None

    @property
    def answered(self) -> int:
        """Commands with an HTTP 2xx and at least one reply at the connector."""
        return sum(1 for r, got in zip(self.results, self.replies, strict=True) if r.ok and got)

    @property
    def ends(self) -> list[float]:
        """Per command: when it was fully answered (HTTP answer and every reply delivered)."""
        return [max([r.done, *got]) for r, got in zip(self.results, self.replies, strict=True)]

    @property
    def latencies(self) -> list[float]:
        return [end - r.sent for end, r in zip(self.ends, self.results, strict=True)]

    @property
    def http_latencies(self) -> list[float]:
        return [r.latency for r in self.results]

    @property
    def throughput(self) -> float:
        return len(self.results) / (max(self.ends) - min(r.sent for r in self.results))


def text_commands(
    url: str, connector_url: str, clients: Sequence[User], chats: Sequence[Conv], tag: str
) -> tuple[list[Tap], list[str]]:
    """Each client says TEXT_COMMAND in their chat (one shared chat: the bot is @mentioned)."""
    taps, ids = [], []
    for i, (client, chat) in enumerate(zip(clients, chats, strict=True)):
        activity_id = f"{tag}-{i}"
        activity = message(
            TEXT_COMMAND,
            conversation=chat,
            sender=client,
            service_url=connector_url,
            mentions_bot=chat.kind != "personal",
            id=activity_id,
        )
        taps.append(Tap(url, json.dumps(activity).encode()))
        ids.append(activity_id)
    return taps, ids


def replies_by_activity(seen: Sequence[Seen], ids: Sequence[str]) -> list[list[float]]:
    """When the connector got each successful reply to each activity (replies name it)."""
    found: dict[str, list[float]] = {i: [] for i in ids}
    for s in seen:
        if s.route == "reply" and 200 <= s.status < 300 and s.activity_id in found:
            found[s.activity_id].append(s.at)
    return [found[i] for i in ids]


def report_text(a: list[TextBurst], b: list[TextBurst], clients: int, where: str) -> None:
    """P1t's table: end-to-end (every reply delivered) and HTTP-only figures, side by side."""

    def side(bursts: list[TextBurst]) -> dict[str, float]:
        latencies = [x for burst in bursts for x in burst.latencies]
        http = [x for burst in bursts for x in burst.http_latencies]
        cpu = [burst.cpu for burst in bursts]
        n = sum(len(burst.results) for burst in bursts)
        return {
            "n": n,
            "answered": sum(burst.answered for burst in bursts),
            "replies": sum(len(got) for burst in bursts for got in burst.replies),
            "errors": sum(1 for burst in bursts for r in burst.results if not r.ok),
            "p50": percentile(latencies, 0.5),
            "p99": percentile(latencies, 0.99),
            "http_p99": percentile(http, 0.99),
            "throughput": statistics.fmean(burst.throughput for burst in bursts),
            "cpu": (sum(c or 0.0 for c in cpu) / n) if all(c is not None for c in cpu) else -1,
        }

    fa, fb = side(a), side(b)
    print(
        f"\nP1t text commands: {clients} clients say {TEXT_COMMAND!r} within "
        f"{BURST_WINDOW_S * 1000:.0f} ms, {where}, {len(a)} bursts per side interleaved A B"
    )
    print("A = stock botbuilder echo bot, B = Etäpäivä; a command counts as answered when its")
    print("HTTP request was answered and every reply had reached the connector\n")
    print(_row("", "A echo bot", "B Etäpäivä", "B / A", "target"))
    print("-" * 92)
    print(_row("commands", str(fa["n"]), str(fb["n"])))
    print(_row("answered (2xx + replies)", str(fa["answered"]), str(fb["answered"])))
    print(_row("replies delivered", str(fa["replies"]), str(fb["replies"])))
    print(_row("HTTP errors / no answer", str(fa["errors"]), str(fb["errors"])))
    print(
        _row(
            "p50 to last reply (ms)", _ms(fa["p50"]), _ms(fb["p50"]), f"{fb['p50'] / fa['p50']:.2f}"
        )
    )
    ratio_p99 = fb["p99"] / fa["p99"]
    print(
        _row(
            "p99 to last reply (ms)",
            _ms(fa["p99"]),
            _ms(fb["p99"]),
            f"{ratio_p99:.2f}",
            f"≤ {TEXT_P99_TARGET}",
        )
    )
    print(
        _row(
            "p99 HTTP only (ms)",
            _ms(fa["http_p99"]),
            _ms(fb["http_p99"]),
            f"{fb['http_p99'] / fa['http_p99']:.2f}",
        )
    )
    ratio_tp = fb["throughput"] / fa["throughput"]
    print(
        _row(
            "throughput (commands/s)",
            f"{fa['throughput']:.1f}",
            f"{fb['throughput']:.1f}",
            f"{ratio_tp:.2f}",
            f"≥ {TEXT_THROUGHPUT_TARGET}",
        )
    )
    cpu_a, cpu_b = fa["cpu"], fb["cpu"]
    if cpu_a > 0 and cpu_b >= 0:
        print(_row("bot CPU per command (ms)", _ms(cpu_a), _ms(cpu_b), f"{cpu_b / cpu_a:.2f}"))
    print()
    every = fb["answered"] == fb["n"] and fb["errors"] == 0
    print(f"P1t answered: {_verdict(every)} (B answered every command, replies delivered)")
    print(f"P1t throughput: {_verdict(ratio_tp >= TEXT_THROUGHPUT_TARGET)} (B/A {ratio_tp:.2f})")
    print(f"P1t p99: {_verdict(ratio_p99 <= TEXT_P99_TARGET)} (B/A {ratio_p99:.2f})")


async def run_text(args: argparse.Namespace, tmp: Path, database_url: str, backend: str) -> None:
    """P1t: A and B each get bursts of text commands; per-chat (default) or in one chat."""
    run = uuid.uuid4().hex[:6]
    rounds = args.warmup + args.bursts
    groups = make_groups(run, "p1t", rounds, args.clients)
    services: list[Service] = []
    connector = ConnectorProcess(teams_limits=args.one_chat)
    where = (
        "all in one group chat, the connector enforcing Teams' limits"
        if args.one_chat
        else "each in their own 1:1 chat"
    )
    try:
        echo = await start_echo_bot(tmp)
        services.append(echo)
        etapaiva_cli(["db", "upgrade"], database_url, tmp)
        import_org(groups, run, database_url, tmp)
        ours = await start_etapaiva("etapaiva", database_url, tmp)
        services.append(ours)

        def chats_for(clients: Sequence[User]) -> list[Conv]:
            if args.one_chat:
                shared = Conv.group_chat()
                return [shared] * len(clients)
            return [Conv.personal() for _ in clients]

        plan = []
        for n, group in enumerate(groups):
            a_clients = [User(name=f"Asiakas A{n}-{c}") for c in range(args.clients)]
            plan.append((a_clients, chats_for(a_clients), group.clients, chats_for(group.clients)))
        side_a: list[TextBurst] = []
        side_b: list[TextBurst] = []
        async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=0)) as http:
            if not args.cold:  # everyone has talked to the bot before (the usual morning)
                for a_clients, a_chats, b_clients, b_chats in plan:
                    for bot, clients, chats in (
                        (echo, a_clients, a_chats),
                        (ours, b_clients, b_chats),
                    ):
                        for client, chat in zip(clients, chats, strict=True):
                            hello = message(
                                "moi",
                                conversation=chat,
                                sender=client,
                                service_url=connector.url,
                                mentions_bot=chat.kind != "personal",
                            )
                            await post_json(http, bot.messages_url, hello)
                await asyncio.sleep(2.0 if not args.one_chat else 15.0)  # let the hellos go out

            async def burst(bot: Service, taps: list[Tap], ids: list[str]) -> TextBurst:
                before_cpu = bot.cpu_seconds()
                results = await fire(http, taps, BURST_WINDOW_S)
                await asyncio.sleep(args.pause)
                # replies held back by Teams' limits may take a while: wait for them
                deadline = time.monotonic() + (30.0 if args.one_chat else 5.0)
                while True:
                    replies = replies_by_activity(await connector.poll(), ids)
                    if all(replies) or time.monotonic() > deadline:
                        break
                    await asyncio.sleep(0.1)
                after_cpu = bot.cpu_seconds()
                cpu = (
                    after_cpu - before_cpu
                    if after_cpu is not None and before_cpu is not None
                    else None
                )
                return TextBurst(results, replies, cpu)

            for n, (a_clients, a_chats, b_clients, b_chats) in enumerate(plan):
                taps_a, ids_a = text_commands(
                    echo.messages_url, connector.url, a_clients, a_chats, f"{run}-a{n}"
                )
                burst_a = await burst(echo, taps_a, ids_a)
                taps_b, ids_b = text_commands(
                    ours.messages_url, connector.url, b_clients, b_chats, f"{run}-b{n}"
                )
                burst_b = await burst(ours, taps_b, ids_b)
                if n < args.warmup:
                    print("warm-up burst done")
                    continue
                side_a.append(burst_a)
                side_b.append(burst_b)
                print(
                    f"burst {n - args.warmup + 1}/{args.bursts}: A {burst_a.throughput:.1f}/s "
                    f"({burst_a.answered} answered), B {burst_b.throughput:.1f}/s "
                    f"({burst_b.answered} answered)"
                )
        report_text(side_a, side_b, args.clients, f"{where} ({backend}, 127.0.0.1)")
    finally:
        for service in services:
            service.stop()
        connector.close()


# --- P2 --------------------------------------------------------------------------------------


async def run_p2(args: argparse.Namespace, tmp: Path, database_url: str) -> None:
    """P2 --runs times: each run with fresh groups of first contacts, after the caches expired."""
    run = uuid.uuid4().hex[:6]
    services: list[Service] = []
    connector = ConnectorProcess()
    summaries: list[tuple[bool, str]] = []
    print(f"{machine()}; PostgreSQL, two replicas, 127.0.0.1; CACHE_SECONDS {cache_seconds():g}")
    try:
        etapaiva_cli(["db", "upgrade"], database_url, tmp)
        for k in range(args.runs):
            label = f"{run}r{k + 1}"
            groups = make_groups(label, "p2", args.groups, args.clients)
            started = time.monotonic()
            import_org(groups, label, database_url, tmp)
            print(
                f"\nrun {k + 1}/{args.runs}: organisation imported: {len(groups)} groups, "
                f"{len(groups) * (args.clients + 1)} people ({time.monotonic() - started:.1f} s)"
            )
            if not services:
                for name in ("replica-1", "replica-2"):
                    services.append(await start_etapaiva(name, database_url, tmp))
            started = time.monotonic()
            # the clients never talk to the bot before their tap: every tap is a first contact
            await prepare_groups(services, connector, groups, hello=False)
            print(
                f"{len(groups)} group chats bound, roll calls open "
                f"({time.monotonic() - started:.0f} s)"
            )
            await wait_for_caches_to_expire(groups)

            # tap i: group i mod G, its client i div G; replicas alternate tap by tap and, for
            # each group, from one tap of that group to its next
            n_groups = len(groups)
            taps: list[Tap] = []
            replica_of: list[int] = []
            for i in range(n_groups * args.clients):
                group = groups[i % n_groups]
                replica = (i + i // n_groups) % 2
                replica_of.append(replica)
                taps.append(
                    check_in_tap(
                        services[replica].messages_url,
                        connector.url,
                        group,
                        group.clients[i // n_groups],
                    )
                )
            before = [s.cpu_seconds() for s in services]
            async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=0)) as http:
                results = await fire(http, taps, args.spread)
            await asyncio.sleep(2.0)  # follow-up work (the cards' counts) counts too
            after = [s.cpu_seconds() for s in services]
            cpu: float | None = None
            if all(c is not None for c in (*before, *after)):
                cpu = sum((x or 0.0) - (y or 0.0) for x, y in zip(after, before, strict=True))
            marks, problem = await marks_or_problem(database_url, [g.roll_call for g in groups])
            summaries.append(
                report_p2(results, replica_of, marks, problem, len(groups), args, cpu, k + 1)
            )
        print()
        for _, line in summaries:
            print(line)
        met = sum(1 for ok, _ in summaries if ok)
        print(f"P2: {met} of {len(summaries)} runs met")
    finally:
        for service in services:
            service.stop()
        connector.close()


def report_p2(
    results: Sequence[TapResult],
    replica_of: Sequence[int],
    marks: dict[Any, Marks] | None,
    problem: str | None,
    n_groups: int,
    args: argparse.Namespace,
    cpu: float | None,
    run_number: int,
) -> tuple[bool, str]:
    """Print one run's figures; whether it met P2, and its summary line."""
    n = len(results)
    answered = [r for r in results if r.ok]
    in_time = [r for r in answered if r.latency < TEAMS_LIMIT_S]
    latencies = [r.latency for r in results]
    errors: dict[str, int] = {}
    for r in results:
        if not r.ok:
            key = r.error or f"HTTP {r.status}"
            errors[key] = errors.get(key, 0) + 1
    print(
        f"\nP2 check-in, run {run_number} of {args.runs}: {n} taps across {n_groups} group days "
        f"within {args.spread:.0f} s, PostgreSQL, two replicas (127.0.0.1); first contacts, "
        "caches expired\n"
    )
    for replica in (0, 1):
        mine = [r for r, k in zip(results, replica_of, strict=True) if k == replica]
        print(f"  replica {replica + 1}: {len(mine)} taps, {sum(1 for r in mine if r.ok)} answered")
    print(f"  taps answered (2xx)         {len(answered)} of {n}")
    print(f"  answered with a card        {sum(1 for r in results if answered_with_card(r))}")
    print(f"  HTTP errors / no answer     {n - len(answered)}" + (f" {errors}" if errors else ""))
    print(f"  answered within {TEAMS_LIMIT_S:.0f} s        {len(in_time)}")
    print(
        f"  latency p50 / p99 / max     {percentile(latencies, 0.5) * 1000:.0f} / "
        f"{percentile(latencies, 0.99) * 1000:.0f} / {max(latencies) * 1000:.0f} ms"
    )
    # whether latency grows second by second (more arriving than served) or jumps (a stall)
    first = min(r.sent for r in results)
    by_second: dict[int, list[float]] = {}
    for r in results:
        by_second.setdefault(int(r.sent - first), []).append(r.latency)
    print(
        "  by second of sending        "
        + "  ".join(
            f"{sec}: {percentile(lat, 0.5) * 1000:.0f}/{max(lat) * 1000:.0f}"
            for sec, lat in sorted(by_second.items())
        )
        + "  (p50/max ms)"
    )
    recorded = duplicates = 0
    if marks is not None:
        recorded = sum(m.distinct for m in marks.values())
        duplicates = sum(m.duplicates for m in marks.values())
        print(f"  marks in the database       {recorded} (distinct), {duplicates} duplicates")
    else:
        print(f"  marks in the database       n/a: {problem}")
    lost = max(n - len(answered), n - recorded)
    print(f"  lost (error or no mark)     {lost}")
    cpu_text = f"{cpu / n * 1000:.1f} ms" if cpu is not None else "n/a"
    print(f"  CPU per tap, both replicas  {cpu_text} (the taps and 2 s after)")
    ok = marks is not None and lost == 0 and recorded == n and duplicates == 0 and len(in_time) == n
    print(
        f"\nP2: {_verdict(ok)} (none lost, {n} marks, every tap answered within "
        f"{TEAMS_LIMIT_S:.0f} s; max {max(latencies):.2f} s)"
    )
    summary = (
        f"P2 run {run_number}: {_verdict(ok)}: {len(answered)} of {n} answered, "
        f"{len(in_time)} within {TEAMS_LIMIT_S:.0f} s, {recorded} marks, {duplicates} duplicates, "
        f"{lost} lost; p50 / p99 / max {percentile(latencies, 0.5) * 1000:.0f} / "
        f"{percentile(latencies, 0.99) * 1000:.0f} / {max(latencies) * 1000:.0f} ms; "
        f"CPU {cpu_text} a tap"
    )
    return ok, summary


# --- main ------------------------------------------------------------------------------------


@contextlib.contextmanager
def temp_postgres() -> Iterator[str]:
    from tests.pg import TempPostgres

    server = TempPostgres()
    try:
        yield server.start()
    finally:
        server.stop()


async def main_async(args: argparse.Namespace) -> int:
    tmp = Path(tempfile.mkdtemp(prefix="bench-checkin-"))
    print(f"work folder (logs, database): {tmp}")
    try:
        with contextlib.ExitStack() as stack:
            url = args.postgres
            if url is None and (args.p2 or args.temp_postgres):
                print("starting a throwaway PostgreSQL server …")
                url = stack.enter_context(temp_postgres())
            if args.p2:
                assert url is not None
                await run_p2(args, tmp, url)
            elif args.text:
                backend = "PostgreSQL" if url else "SQLite"
                await run_text(args, tmp, url or f"sqlite+aiosqlite:///{tmp / 'bench.db'}", backend)
            else:
                backend = "PostgreSQL" if url else "SQLite"
                await run_p1(args, tmp, url or f"sqlite+aiosqlite:///{tmp / 'bench.db'}", backend)
    except SetupError as exc:
        print(f"\nSETUP FAILED: {exc}", file=sys.stderr)
        return 1
    return 0


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--bursts", type=int, default=6, help="P1 measured bursts per side")
    parser.add_argument("--warmup", type=int, default=1, help="P1 unmeasured bursts per side first")
    parser.add_argument("--clients", type=int, default=50, help="clients per burst / group")
    parser.add_argument("--pause", type=float, default=1.0, help="P1 seconds between bursts")
    parser.add_argument("--postgres", metavar="URL", help="PostgreSQL database (else SQLite)")
    parser.add_argument(
        "--temp-postgres", action="store_true", help="P1 on a throwaway PostgreSQL server"
    )
    parser.add_argument("--p2", action="store_true", help="run P2 instead of P1 (PostgreSQL)")
    parser.add_argument("--groups", type=int, default=P2_GROUPS, help="P2 group days")
    parser.add_argument("--spread", type=float, default=P2_SPREAD_S, help="P2 seconds of arrivals")
    parser.add_argument("--echo-only", action="store_true", help="P1 with the echo bot alone")
    parser.add_argument(
        "--text", action="store_true", help="P1t: text commands instead of card taps"
    )
    parser.add_argument(
        "--one-chat",
        action="store_true",
        help="P1t in one group chat, the connector enforcing Teams' limits (else 1:1 chats)",
    )
    parser.add_argument(
        "--quick", action="store_true", help="a smoke run: 2 bursts (P2: 4 groups, same rate)"
    )
    parser.add_argument(
        "--states",
        default=",".join(STATES),
        help="P1: the cache states to run, comma-separated, of first,cold,warm (default: all)",
    )
    parser.add_argument(
        "--cold",
        action="store_true",
        help="every tap is the client's first contact with the bot: P1 --states first; "
        "P1t without the hello before",
    )
    parser.add_argument("--runs", type=int, default=1, help="P2: how many times to run it")
    args = parser.parse_args(argv)
    if args.cold:
        args.states = "first"
    chosen = {part.strip() for part in args.states.split(",") if part.strip()}
    if not chosen or chosen - set(STATES):
        parser.error(f"--states: a comma-separated choice of {','.join(STATES)}")
    args.states = [s for s in STATES if s in chosen]
    if args.quick:  # P2 keeps its arrival rate: a tenth of the groups in a tenth of the time
        args.bursts = min(args.bursts, 2)
        args.spread = args.spread * min(args.groups, 4) / args.groups
        args.groups = min(args.groups, 4)
    if args.bursts < 1 or args.clients < 1 or args.groups < 1 or args.runs < 1:
        parser.error("--bursts, --clients, --groups and --runs must be at least 1")
    return args


def main() -> None:
    options = parse_args()
    sys.exit(asyncio.run(main_async(options)))


if __name__ == "__main__":
    main()
