"""R1: kill -9 in the middle of a check-in burst and of a fan-out, restart, Teams redelivers.

The service runs as a real process on SQLite and on PostgreSQL; the fake Teams connector runs
in this process. After the kill the same process is started again on the same database and
every activity of the burst is delivered once more, as Teams does for requests it got no
answer to (and as it may for some it did). The invariants are exact: every tap answered 200
has exactly one mark and one audit row; every text turn answered before the kill is answered
exactly once, and the others at least once and at most twice (the one send that was in flight
at the kill); every missing client gets their reminder, at most once more than once.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import uuid
from collections import Counter
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from bot.orgfile import load_org_file
from cards.rollcall import HERE_VERB
from domain.outbox import OutboxStatus
from store.db import create_engine, sessionmaker
from store.store import Store
from tests.fakes.activities import Conv, User, invoke_execute, message
from tests.fakes.connector import FakeConnector
from tests.faults.procs import Replica, post, replica, signed_tap, signer_of

INSTRUCTOR = User(name="Maija Virtanen", aad_object_id=str(uuid.uuid4()))
CLIENTS = [User(name=f"Asiakas {i:02d}", upn=f"asiakas{i:02d}@example.hel.fi") for i in range(40)]
# half of them are in the organisation file by AAD id, the other half by UPN only (matched on
# their first contact through the conversation's roster)
BY_UPN = {c.name for c in CLIENTS[1::2]}
TAPPERS, TALKERS, MISSING = CLIENTS[:24], CLIENTS[24:32], CLIENTS[32:]


def org_yaml() -> str:
    people = [
        f"  - name: {INSTRUCTOR.name}\n    aad: {INSTRUCTOR.aad_object_id}\n"
        "    instructor: [it-ryhma]"
    ]
    people += [
        f"  - name: {c.name}\n    upn: {c.upn}\n    client: [it-ryhma]"
        if c.name in BY_UPN
        else f"  - name: {c.name}\n    aad: {c.aad_object_id}\n    client: [it-ryhma]"
        for c in CLIENTS
    ]
    return (
        "version: 1\nunits:\n  - key: it\n    name: IT-paja\ngroups:\n  - key: it-ryhma\n"
        "    unit: it\n    name: IT-ryhmä\npeople:\n" + "\n".join(people) + "\n"
    )


@pytest.fixture
def connector() -> Iterator[FakeConnector]:
    with FakeConnector() as fake:
        yield fake


@pytest.fixture
async def store(database_url: str, tmp_path: Path) -> AsyncIterator[Store]:
    """The test's own view of the service's database, with the organisation imported."""
    org = tmp_path / "org.yaml"
    org.write_text(org_yaml(), encoding="utf-8")
    engine = create_engine(database_url)
    try:
        store = Store(sessionmaker(engine))
        await store.org.apply(load_org_file(str(org)))
        yield store
    finally:
        await engine.dispose()


@pytest.fixture
async def service(database_url: str, tmp_path: Path, store: Store) -> AsyncIterator[Replica]:
    bot = replica("etapaiva", database_url, tmp_path)
    bot.start()
    try:
        await bot.ready()
        yield bot
    finally:
        bot.stop()


async def _wait(condition: Any, what: str, within: float = 20.0) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + within
    while not await condition():
        assert loop.time() < deadline, f"timed out waiting for {what}"
        await asyncio.sleep(0.05)


async def _drained(store: Store) -> bool:
    return (await store.outbox.counts())[OutboxStatus.PENDING] == 0


async def _open_roll_call(
    http: aiohttp.ClientSession, bot: Replica, connector: FakeConnector, conv: Conv
) -> dict[str, Any]:
    """Bind the group chat and open a roll call; the card's "I'm here" action as posted."""
    for words in ("tämä on ryhmä it-ryhma", "nimenhuuto"):
        said = message(
            words,
            conversation=conv,
            sender=INSTRUCTOR,
            service_url=connector.url,
            mentions_bot=True,
        )
        assert (await post(http, bot, said))[0] == 201

    def card_action() -> dict[str, Any] | None:
        for request in connector.requests:
            if request.route == "send" and request.ok and HERE_VERB in json.dumps(request.json):
                card = request.json["attachments"][0]["content"]
                return next(a for a in card["actions"] if a.get("verb") == HERE_VERB)
        return None

    async def posted() -> bool:
        return card_action() is not None

    await _wait(posted, "the roll-call card")
    action = card_action()
    assert action is not None
    return action


async def _fire(
    http: aiohttp.ClientSession, bot: Replica, activities: list[dict[str, Any]], kill_after: int
) -> dict[str, int]:
    """Post everything at once; kill -9 the service once kill_after answers came back.

    Returns the status of each activity that was answered before the kill, by activity id.
    """
    answered: dict[str, int] = {}
    enough = asyncio.Event()

    async def one(activity: dict[str, Any]) -> None:
        with contextlib.suppress(aiohttp.ClientError, asyncio.TimeoutError):
            status, _ = await post(http, bot, activity)
            answered[activity["id"]] = status
            if len(answered) >= kill_after:
                enough.set()

    tasks = [asyncio.create_task(one(a)) for a in activities]
    await asyncio.wait_for(enough.wait(), 30)
    bot.kill()
    await asyncio.gather(*tasks)
    return answered


async def test_kill_9_mid_burst_then_redelivery_loses_nothing_and_repeats_nothing(
    service: Replica, store: Store, connector: FakeConnector, database_url: str
) -> None:
    conv = Conv.group_chat()
    for client in CLIENTS:  # Teams' roster of the group chat
        connector.add_member(conv.id, client.member())
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=30)) as http:
        here = await _open_roll_call(http, service, connector, conv)
        signer = await signer_of(database_url)
        taps = [
            signed_tap(
                signer,
                invoke_execute(
                    HERE_VERB,
                    dict(here["data"]),
                    conversation=conv,
                    sender=client,
                    service_url=connector.url,
                    reply_to_id="card",
                ),
            )
            for client in TAPPERS
        ]
        # how many answers one "apua" gets (a client's help: the lines and the guide)
        control = message(
            "apua",
            conversation=Conv.personal(),
            sender=CLIENTS[-2],  # by AAD id, like every second one in the burst
            service_url=connector.url,
        )
        assert (await post(http, service, control))[0] == 201
        await _wait(lambda: _drained(store), "the outbox to drain")
        one_run = sum(
            1 for r in connector.requests if r.route == "reply" and r.activity_id == control["id"]
        )
        assert one_run >= 1
        # first contacts asking for help in their 1:1 chats: the answers are real POSTs
        chats = {client.name: Conv.personal() for client in TALKERS}
        for client in TALKERS:
            connector.add_member(chats[client.name].id, client.member())
        talks = [
            message(
                "apua", conversation=chats[client.name], sender=client, service_url=connector.url
            )
            for client in TALKERS[1:]
        ]
        burst: list[dict[str, Any]] = []
        for i in range(max(len(taps), len(talks))):
            burst.extend(group[i] for group in (taps, talks) if i < len(group))
        before = await _fire(http, service, burst, kill_after=len(burst) // 3)
        assert 0 < len(before) < len(burst), "the kill did not land in the middle of the burst"

        service.start()
        await service.ready()
        after: dict[str, int] = {}
        for activity in burst:  # Teams redelivers; here: every one of them
            after[activity["id"]] = (await post(http, service, activity))[0]
        await _wait(lambda: _drained(store), "the outbox to drain")

    # every tap answered 200, before or after the restart, has exactly one mark and one change
    tap_ids = {t["id"] for t in taps}
    assert all(after[i] == 200 for i in tap_ids)
    (roll_call,) = await store.rollcall.of_day(
        (await store.conversations.get(conv.id)).group_id or 0,  # type: ignore[union-attr]
        (await store.rollcall.get(int(here["data"]["rollcall"]))).day,  # type: ignore[union-attr]
    )
    marks = await store.rollcall.marks(roll_call.id or 0)
    tappers = {
        (await store.org.person_by_teams_id(c.teams_id)).id  # type: ignore[union-attr]
        for c in TAPPERS
    }
    assert set(marks) == tappers
    # and they are the people of the organisation file (matched by AAD id or UPN), no strangers
    view = await store.org.view()
    assert len(view.people) == 1 + len(CLIENTS)
    changes = await store.rollcall.changes(roll_call.group_id, roll_call.day)
    assert Counter(c.person_id for c in changes) == Counter(dict.fromkeys(tappers, 1))

    # text turns: answered before the kill means answered exactly once; the rest at least
    # once and at most twice (their answer may have been in flight at the kill)
    replies = Counter(r.activity_id for r in connector.requests if r.route == "reply" and r.ok)
    for talk in talks:
        count = replies[talk["id"]]
        assert after[talk["id"]] == 201
        if before.get(talk["id"]) == 201:
            assert count == one_run, (talk["id"], count, one_run)
        else:
            assert one_run <= count <= 2 * one_run, (talk["id"], count, one_run)


async def test_kill_9_mid_fan_out_then_redelivery_reminds_everyone_once(
    service: Replica, store: Store, connector: FakeConnector, database_url: str
) -> None:
    conv = Conv.group_chat()
    for client in CLIENTS:  # Teams' roster of the group chat
        connector.add_member(conv.id, client.member())
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=30)) as http:
        here = await _open_roll_call(http, service, connector, conv)
        signer = await signer_of(database_url)
        for client in CLIENTS[: len(CLIENTS) - len(MISSING)]:
            tap = invoke_execute(
                HERE_VERB,
                dict(here["data"]),
                conversation=conv,
                sender=client,
                service_url=connector.url,
                reply_to_id="card",
            )
            assert (await post(http, service, signed_tap(signer, tap)))[0] == 200
        # the missing have talked to the bot once (Teams knows their 29: ids)
        for client in MISSING:
            chat = Conv.personal()
            connector.add_member(chat.id, client.member())
            hello = message("moi", conversation=chat, sender=client, service_url=connector.url)
            assert (await post(http, service, hello))[0] == 201
        await _wait(lambda: _drained(store), "the outbox to drain")
        # their 1:1 chats are opened anew by the reminder (forget the ones they used)
        remind = message(
            "muistuta puuttuvia",
            conversation=conv,
            sender=INSTRUCTOR,
            service_url=connector.url,
            mentions_bot=True,
        )
        seen = len(connector.requests)
        task = asyncio.create_task(post(http, service, remind))

        async def some_reminded() -> bool:
            sent = [r for r in connector.requests[seen:] if r.route == "send" and r.ok]
            return len(sent) >= 3

        await _wait(some_reminded, "the first reminders")
        service.kill()
        with contextlib.suppress(aiohttp.ClientError):
            await task
        service.start()
        await service.ready()
        status, _ = await post(http, service, remind)  # Teams redelivers the instructor's command
        assert status == 201
        await _wait(lambda: _drained(store), "the outbox to drain")

    reminders = Counter(
        r.conversation_id
        for r in connector.requests[seen:]
        if r.route == "send" and r.ok and HERE_VERB in json.dumps(r.json)
    )
    personal = {
        (
            await store.conversations.personal_for(
                (await store.org.person_by_teams_id(c.teams_id)).id or 0  # type: ignore[union-attr]
            )
        ).conversation_id  # type: ignore[union-attr]
        for c in MISSING
    }
    assert set(reminders) == personal  # every missing client, nobody else
    assert all(n <= 2 for n in reminders.values())  # at most the one in flight went twice
    dead = await store.outbox.dead_letters()
    assert dead == []
