"""P7: end-of-day feedback taps over real HTTP against a stock botbuilder echo bot (not a test).

The machinery is P1's (`bench/checkin.py`): two bots, each in its own process on a loopback
port, a fake Teams connector in a third, rounds interleaved A B A B.

  A  bench/echo_bot.py, the stock botbuilder echo bot: each request is a message in a 1:1
     chat, echoed by a real outbound call to the connector.
  B  our service (`etapaiva serve`, local mode). Each request is a tap on a score of the
     feedback card (`feedback.score`, an `Action.Execute` invoke) with the card's data and the
     "keep my answer anonymous" toggle: half of the clients anonymous, half named.

Setting up each of B's groups (not measured): the chat bound, a roll call opened, all clients
checked in, the roll call closed, then the instructor's "@Etäpäivä palaute". The bot sends the
card privately to every client (it opens each 1:1 chat through the connector); each client's
card and its signed score buttons are read from what the connector received, as a Teams client
would show them. A tap is the client's first activity in that 1:1 chat (cold, as in real use:
the card is the bot's first message there); the benchmark waits --settle seconds after the
set-up so the bot's people and conversation caches (30 s) have expired too.

Each round has two patterns, each with fresh groups and fresh feedback rounds:
  spread  the --clients taps started evenly within 10 s (the issue's "50 answer within 10 s")
  burst   the --clients taps started evenly within 100 ms (as P1's bursts)
and in each pattern A then B, so the sides alternate A B A B. Per pattern and side: p50 and p99
latency (send → HTTP response), the bot process's CPU per tap (from /proc, over the pattern and
the pause after it) and, for B, the answers in the database: per feedback round, rows in
`feedback_answers` (must be --clients, half of them without a person) and in
`feedback_answered` (one per person). Target: p99 B/A ≤ 0.7 (P1's), every answer recorded once.

    .venv/bin/python bench/feedback.py                  # SQLite: 1 warm-up + 3 rounds
    .venv/bin/python bench/feedback.py --temp-postgres  # a throwaway PostgreSQL server
    options: --rounds N --warmup N --clients 50 --pause S --settle S --postgres URL --quick
             --warm (the best case: each client said hello in the 1:1 chat first, no settling)

ETAPAIVA_BIN=PATH runs another build (or a wrapper, e.g. one that profiles `serve`). Exit
status 0 whatever the figures (it is a report); 1 if the setup fails.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import sys
import tempfile
import time
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import aiohttp
import sqlalchemy as sa
from checkin import (
    BURST_WINDOW_S,
    CARD_TIMEOUT_S,
    P99_TARGET,
    BenchGroup,
    Burst,
    ConnectorProcess,
    P1Side,
    Seen,
    Service,
    SetupError,
    Tap,
    answered_with_card,
    bind_and_open,
    check_in_tap,
    etapaiva_cli,
    find_actions,
    fire,
    import_org,
    make_groups,
    post_json,
    start_echo_bot,
    start_etapaiva,
    temp_postgres,
)

from tests.fakes.activities import Conv, User, invoke_execute, message

# --- what the feedback feature looks like ----------------------------------------------------
SCORE_VERB = "feedback.score"  # cards/feedback.py: data {round, score, …signature}
ANONYMOUS_INPUT = "anonymous"  # the card's "keep my answer anonymous" toggle
ROUND_DATA_KEY = "round"
CLOSE_ROLL_CALL_WORDS = "sulje nimenhuuto"
ASK_FEEDBACK_WORDS = "palaute"
ANSWERS_TABLE = "feedback_answers"  # round_id, person_id (NULL when anonymous)
ANSWERED_TABLE = "feedback_answered"  # round_id, person_id: one row per person who answered
SPREAD_WINDOW_S = 10.0
WARM_CHATS = False  # --warm: not the first activity in the 1:1 chat, caches not expired
SETTLE_S = 31.0  # the bot's caches of people and conversations last 30 s


@dataclass
class FeedbackGroup:
    """A B group with its day held and feedback asked: who has which 1:1 chat and card."""

    group: BenchGroup
    chats: dict[str, str] = field(default_factory=dict)  # client's teams id → 1:1 chat id
    card_ids: dict[str, str | None] = field(default_factory=dict)  # → the card's activity id
    buttons: dict[str, dict[int, dict[str, Any]]] = field(default_factory=dict)  # → score → data
    round_id: Any = None


def _score_buttons(body: Any) -> dict[int, dict[str, Any]]:
    """The score buttons' data (signature included, verb left out) of a posted activity."""
    found: dict[int, dict[str, Any]] = {}
    for action in find_actions(body, SCORE_VERB):
        data = action.get("data")
        if isinstance(data, dict) and str(data.get("score", "")).isdigit():
            found[int(data["score"])] = {k: v for k, v in data.items() if k != "verb"}
    return found


def _feedback_cards(seen: Sequence[Seen], fb: FeedbackGroup, start: int) -> None:
    """Fill in fb's chats and cards from the requests seen since start."""
    by_id = {c.teams_id: c for c in fb.group.clients}
    for s in seen[start:]:
        if s.route != "create_conversation" or not 200 <= s.status < 300:
            continue
        body = s.body if isinstance(s.body, dict) else {}
        members = body.get("members") or []
        member = members[0].get("id") if members and isinstance(members[0], dict) else None
        response = s.response if isinstance(s.response, dict) else {}
        if member in by_id and response.get("id"):
            fb.chats[member] = str(response["id"])
            buttons = _score_buttons(body.get("activity"))
            if buttons and member not in fb.buttons:
                fb.buttons[member] = buttons
                fb.card_ids[member] = response.get("activityId")
    chat_to_member = {chat: member for member, chat in fb.chats.items()}
    for s in seen[start:]:
        member = chat_to_member.get(s.conversation_id or "")
        if member is None or member in fb.buttons or not s.sent:
            continue
        buttons = _score_buttons(s.body)
        if buttons:
            fb.buttons[member] = buttons
            fb.card_ids[member] = s.posted_id


async def hold_day_and_ask(
    http: aiohttp.ClientSession, bot: Service, connector: ConnectorProcess, group: BenchGroup
) -> FeedbackGroup:
    """Bind the chat, everyone checked in, the roll call closed, feedback asked; the cards."""
    # the clients' first contact with the bot is their check-in in the group chat; the tap
    # measured is their first activity in the 1:1 chat the bot opened for the card
    await bind_and_open(http, bot, connector, group, hello=False)
    taps = [check_in_tap(bot.messages_url, connector.url, group, c) for c in group.clients]
    results = await fire(http, taps, 1.0)
    refused = [r for r in results if not answered_with_card(r)]
    if refused:
        raise SetupError(f"{len(refused)} check-ins in {group.key} were not answered with a card")

    async def say(words: str) -> None:
        status = await post_json(
            http,
            bot.messages_url,
            message(
                words,
                conversation=group.conv,
                sender=group.instructor,
                service_url=connector.url,
                mentions_bot=True,
            ),
        )
        if status >= 300:
            raise SetupError(f"{words!r} in {group.key}: the bot answered HTTP {status}")

    await say(CLOSE_ROLL_CALL_WORDS)
    start = len(await connector.poll())
    await say(ASK_FEEDBACK_WORDS)
    fb = FeedbackGroup(group)
    deadline = time.monotonic() + CARD_TIMEOUT_S + 15.0
    while len(fb.buttons) < len(group.clients) and time.monotonic() < deadline:
        await asyncio.sleep(0.2)
        _feedback_cards(await connector.poll(), fb, start)
    if len(fb.buttons) < len(group.clients):
        raise SetupError(
            f"only {len(fb.buttons)} of {len(group.clients)} clients of {group.key} got a "
            f"feedback card with {SCORE_VERB!r} buttons\n{bot.log_tail()}"
        )
    rounds = {d[ROUND_DATA_KEY] for b in fb.buttons.values() for d in b.values()}
    if len(rounds) != 1:
        raise SetupError(f"the cards of {group.key} name {len(rounds)} feedback rounds")
    fb.round_id = rounds.pop()
    if WARM_CHATS:  # each client has said something in the 1:1 chat before tapping
        for client in group.clients:
            await post_json(
                http,
                bot.messages_url,
                message(
                    "moi",
                    conversation=Conv.personal(id=fb.chats[client.teams_id]),
                    sender=client,
                    service_url=connector.url,
                ),
            )
    return fb


def score_taps(url: str, connector_url: str, fb: FeedbackGroup) -> list[Tap]:
    """Each client taps a score (1–6 in turn) on their card; every other one anonymous."""
    taps = []
    for i, client in enumerate(fb.group.clients):
        data = dict(fb.buttons[client.teams_id][i % 6 + 1])
        data[ANONYMOUS_INPUT] = "true" if i % 2 == 0 else "false"
        activity = invoke_execute(
            SCORE_VERB,
            data,
            conversation=Conv.personal(id=fb.chats[client.teams_id]),
            sender=client,
            service_url=connector_url,
            reply_to_id=fb.card_ids.get(client.teams_id),
        )
        taps.append(Tap(url, json.dumps(activity).encode()))
    return taps


def echo_messages(url: str, connector_url: str, count: int, tag: str) -> list[Tap]:
    """The same number of requests for the echo bot: each a message in its own 1:1 chat."""
    return [
        Tap(
            url,
            json.dumps(
                message(
                    f"{i % 6 + 1} {tag}-{i}",
                    conversation=Conv.personal(),
                    sender=User(name=f"Asiakas {tag}-{i}"),
                    service_url=connector_url,
                )
            ).encode(),
        )
        for i in range(count)
    ]


# --- answers in the database -----------------------------------------------------------------


@dataclass(frozen=True)
class Answers:
    rows: int  # feedback_answers rows
    anonymous: int  # of them without a person
    named_people: int  # distinct people among the named ones
    answered: int  # feedback_answered rows (one per person)


async def count_answers(database_url: str, round_ids: Sequence[Any]) -> dict[Any, Answers]:
    from store.db import create_engine

    answers = sa.table(ANSWERS_TABLE, sa.column("round_id"), sa.column("person_id"))
    answered = sa.table(ANSWERED_TABLE, sa.column("round_id"), sa.column("person_id"))
    keys = {int(r): r for r in round_ids}
    q_answers = (
        sa.select(
            answers.c.round_id,
            sa.func.count(),
            sa.func.count(answers.c.person_id),
            sa.func.count(sa.distinct(answers.c.person_id)),
        )
        .where(answers.c.round_id.in_(list(keys)))
        .group_by(answers.c.round_id)
    )
    q_answered = (
        sa.select(answered.c.round_id, sa.func.count())
        .where(answered.c.round_id.in_(list(keys)))
        .group_by(answered.c.round_id)
    )
    engine = create_engine(database_url)
    try:
        async with engine.connect() as connection:
            rows = (await connection.execute(q_answers)).all()
            done = dict((await connection.execute(q_answered)).tuples().all())
    finally:
        await engine.dispose()
    counted = {r[0]: (int(r[1]), int(r[1]) - int(r[2]), int(r[3])) for r in rows}
    return {keys[k]: Answers(*counted.get(k, (0, 0, 0)), int(done.get(k, 0))) for k in keys}


# --- the run ---------------------------------------------------------------------------------


@dataclass
class Pattern:
    name: str
    window_s: float
    a: P1Side = field(default_factory=lambda: P1Side("A"))
    b: P1Side = field(default_factory=lambda: P1Side("B"))
    groups: list[FeedbackGroup] = field(default_factory=list)


def _ms(seconds: float | None) -> str:
    return "n/a" if seconds is None else f"{seconds * 1000:.1f}"


def report(
    patterns: Sequence[Pattern],
    answers: dict[Any, Answers],
    clients: int,
    backend: str,
    idle: float | None,
    pause: float,
) -> None:
    anonymous_wanted = (clients + 1) // 2
    print(
        f"\nP7 feedback: {clients} clients tap a score on their feedback card (half anonymous), "
        f"{'after a hello in' if WARM_CHATS else 'each tap their first activity in'} the 1:1 "
        f"chat; {len(patterns[0].a.bursts)} rounds per "
        f"pattern and side, interleaved A B A B ({backend}, 127.0.0.1)"
    )
    print(
        "A = stock botbuilder echo bot (a message in a 1:1 chat), B = Etäpäivä (feedback.score)\n"
    )
    header = f"{'':11}{'taps':>6}{'errors':>8}{'p50 ms':>9}{'p99 ms':>9}{'CPU/tap ms':>12}"
    print(f"{header}{'p99 B/A':>10}{'recorded':>12}")
    print("-" * 77)
    verdicts = []
    for p in patterns:
        ratio = p.b.p99 / p.a.p99
        for side in (p.a, p.b):
            line = (
                f"{p.name + ' ' + side.name:11}{len(side.results):>6}{side.errors:>8}"
                f"{_ms(side.p50):>9}{_ms(side.p99):>9}{_ms(side.cpu_per_tap):>12}"
            )
            if side is p.b:
                got = [answers.get(g.round_id) for g in p.groups]
                good = sum(
                    1
                    for a in got
                    if a is not None
                    and a.rows == clients
                    and a.answered == clients
                    and a.anonymous == anonymous_wanted
                    and a.named_people == clients - anonymous_wanted
                )
                line += f"{ratio:>10.2f}{f'{good}/{len(got)} rounds':>12}"
                cards = sum(1 for r in side.results if answered_with_card(r))
                verdicts.append((p, ratio, good == len(got) and side.errors == 0, cards))
            print(line)
    if idle is not None:
        print(
            f"\nB's CPU when idle (timers, outbox polls): {idle * 1000:.1f} ms a second, "
            + ", ".join(
                f"{(p.window_s + pause) * idle / clients * 1000:.1f} ms of the CPU per tap "
                f"in {p.name}"
                for p in patterns
            )
        )
    print("\nper round (B): answers rows / anonymous / named people / answered rows; p99 A, B ms")
    for p in patterns:
        for i, g in enumerate(p.groups):
            a = answers.get(g.round_id)
            rows = f"{a.rows}/{a.anonymous}/{a.named_people}/{a.answered}" if a else "n/a"
            print(
                f"  {p.name:6} {i + 1}: {rows:>14}   p99 {_ms(p.a.bursts[i].p99):>7} "
                f"{_ms(p.b.bursts[i].p99):>7}"
            )
    print()
    for p, ratio, recorded, cards in verdicts:
        print(
            f"P7 {p.name} recorded: {'PASS' if recorded else 'FAIL'} (each round {clients} "
            f"answers once, {anonymous_wanted} anonymous; {cards} taps answered with a card)"
        )
        print(
            f"P7 {p.name} p99: {'PASS' if ratio <= P99_TARGET else 'FAIL'} "
            f"(B/A {ratio:.2f}, target ≤ {P99_TARGET})"
        )


def check_alive(bot: Service) -> None:
    if not bot.alive():
        raise SetupError(
            f"{bot.name} exited (code {bot.popen.returncode}) during the run\n{bot.log_tail()}"
        )


async def run(args: argparse.Namespace, tmp: Path, database_url: str, backend: str) -> None:
    run_id = uuid.uuid4().hex[:6]
    rounds = args.warmup + args.rounds
    patterns = [Pattern("spread", SPREAD_WINDOW_S), Pattern("burst", BURST_WINDOW_S)]
    groups = make_groups(run_id, "p5", rounds * len(patterns), args.clients)
    services: list[Service] = []
    connector = ConnectorProcess()
    try:
        echo = await start_echo_bot(tmp)
        services.append(echo)
        etapaiva_cli(["db", "upgrade"], database_url, tmp)
        import_org(groups, run_id, database_url, tmp)
        ours = await start_etapaiva("etapaiva", database_url, tmp)
        services.append(ours)
        started = time.monotonic()
        async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=0)) as http:
            prepared: list[FeedbackGroup] = []
            for group in groups:  # one at a time: each sends 2 × clients requests to Teams
                prepared.append(await hold_day_and_ask(http, ours, connector, group))
            print(
                f"B: {len(prepared)} groups: day held, feedback asked, {args.clients} cards each "
                f"({time.monotonic() - started:.0f} s); settling {args.settle:.0f} s"
            )
            idle_from, idle_at = ours.cpu_seconds(), time.monotonic()
            await asyncio.sleep(args.settle)
            idle_to = ours.cpu_seconds()
            check_alive(ours)
            idle = (
                (idle_to - idle_from) / (time.monotonic() - idle_at)
                if idle_to is not None and idle_from is not None and args.settle > 0
                else None
            )

            async def measure(bot: Service, taps: list[Tap], window_s: float) -> Burst:
                before = bot.cpu_seconds()
                results = await fire(http, taps, window_s)
                await asyncio.sleep(args.pause)
                after = bot.cpu_seconds()
                cpu = after - before if after is not None and before is not None else None
                return Burst(results, cpu)

            for n in range(rounds):
                for k, p in enumerate(patterns):
                    fb = prepared[n * len(patterns) + k]
                    tag = f"{run_id}-{p.name}{n}"
                    a_taps = echo_messages(echo.messages_url, connector.url, args.clients, tag)
                    burst_a = await measure(echo, a_taps, p.window_s)
                    b_taps = score_taps(ours.messages_url, connector.url, fb)
                    burst_b = await measure(ours, b_taps, p.window_s)
                    check_alive(ours)
                    label = "warm-up" if n < args.warmup else f"round {n - args.warmup + 1}"
                    print(f"{label} {p.name}: p99 A {_ms(burst_a.p99)} ms, B {_ms(burst_b.p99)} ms")
                    if n < args.warmup:
                        continue
                    p.a.bursts.append(burst_a)
                    p.b.bursts.append(burst_b)
                    p.groups.append(fb)
        round_ids = [g.round_id for p in patterns for g in p.groups]
        answers = await count_answers(database_url, round_ids)
        report(patterns, answers, args.clients, backend, idle, args.pause)
    finally:
        for service in services:
            service.stop()
        connector.close()


async def main_async(args: argparse.Namespace) -> int:
    tmp = Path(tempfile.mkdtemp(prefix="bench-feedback-"))
    print(f"work folder (logs, database): {tmp}")
    try:
        with contextlib.ExitStack() as stack:
            url = args.postgres
            if url is None and args.temp_postgres:
                print("starting a throwaway PostgreSQL server …")
                url = stack.enter_context(temp_postgres())
            backend = "PostgreSQL" if url else "SQLite"
            await run(args, tmp, url or f"sqlite+aiosqlite:///{tmp / 'bench.db'}", backend)
    except SetupError as exc:
        print(f"\nSETUP FAILED: {exc}", file=sys.stderr)
        return 1
    return 0


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3, help="measured rounds per pattern")
    parser.add_argument("--warmup", type=int, default=1, help="unmeasured rounds first")
    parser.add_argument("--clients", type=int, default=50, help="clients per group")
    parser.add_argument("--pause", type=float, default=1.0, help="seconds after each pattern")
    parser.add_argument(
        "--settle", type=float, default=SETTLE_S, help="seconds between set-up and taps"
    )
    parser.add_argument("--postgres", metavar="URL", help="PostgreSQL database (else SQLite)")
    parser.add_argument(
        "--temp-postgres", action="store_true", help="a throwaway PostgreSQL server"
    )
    parser.add_argument("--quick", action="store_true", help="a smoke run: 1 round, no settling")
    parser.add_argument(
        "--warm",
        action="store_true",
        help="the best case: clients said hello in their 1:1 chat first, no settling",
    )
    args = parser.parse_args(argv)
    if args.warm:
        args.settle = 0.0
    if args.quick:
        args.rounds, args.warmup, args.settle = 1, 0, 0.0
    if args.rounds < 1 or args.clients < 2:
        parser.error("--rounds must be at least 1 and --clients at least 2")
    return args


def main() -> None:
    options = parse_args()
    global WARM_CHATS
    WARM_CHATS = options.warm
    sys.exit(asyncio.run(main_async(options)))


if __name__ == "__main__":
    main()
