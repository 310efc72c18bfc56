"""Malformed and hostile activities: a clear 4xx or a handled turn, never a 5xx or a crash."""

from __future__ import annotations

import copy
import logging
import random
from collections.abc import Iterator
from typing import Any

import pytest

from tests.fakes.activities import (
    Conv,
    User,
    card_submit,
    installation_update,
    invoke_execute,
    meeting_start,
    members_added,
    message,
)
from tests.fakes.connector import FakeConnector
from tests.integration.harness import BotServer


@pytest.fixture
def connector() -> Iterator[FakeConnector]:
    """The strict fake, without Teams' rate limits: 400 turns go in as fast as they can."""
    # what is tested is input handling; no person types 400 messages a minute
    with FakeConnector(enforce_teams_limits=False, global_limit=None) as fc:
        yield fc


NASTY_VALUES: list[Any] = [
    None,
    "",
    " ",
    0,
    -1,
    2**63,
    1.5e308,
    True,
    [],
    {},
    [None],
    {"": None},
    "x" * 5000,
    "<at>Etäpäivä</at>" * 50,
    "\u0000\u202e\ud7ff",
    "'; DROP TABLE people; --",
    {"id": None},
    {"id": 5},
    {"id": ["a"]},
    "19:nope@thread.v2;messageid=1;messageid=2",
]


def _mutate(activity: dict[str, Any], rng: random.Random) -> dict[str, Any]:
    mutated = copy.deepcopy(activity)
    for _ in range(rng.randint(1, 3)):
        target: Any = mutated
        path: list[str] = []
        while isinstance(target, dict) and target and rng.random() < 0.6:
            key = rng.choice(list(target))
            path.append(key)
            if not isinstance(target[key], dict):
                break
            target = target[key]
        if isinstance(target, dict) and target:
            key = rng.choice(list(target))
            if rng.random() < 0.2:
                del target[key]
            else:
                target[key] = rng.choice(NASTY_VALUES)
    return mutated


async def test_hundreds_of_mutated_activities_get_no_5xx(
    org_bot: BotServer, connector: FakeConnector, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING)
    rng = random.Random(20261128)
    user, conv = User(name="Häiriö"), Conv.meeting_chat()
    url = connector.url
    seeds = [
        message("apua", conversation=conv, sender=user, service_url=url, mentions_bot=True),
        card_submit(
            {"verb": "bind.choose", "group": "it-torstai"},
            conversation=conv,
            sender=user,
            service_url=url,
        ),
        invoke_execute(
            "bind.choose", {"group": "it-torstai"}, conversation=conv, sender=user, service_url=url
        ),
        installation_update(conversation=conv, sender=user, service_url=url),
        members_added([user], conversation=conv, sender=user, service_url=url),
        meeting_start(conversation=conv, sender=user, service_url=url),
    ]
    statuses: dict[int, int] = {}
    for i in range(400):
        seed = dict(rng.choice(seeds), id=f"hostile-{i}")  # fresh ids, or dedupe hides bugs
        activity = _mutate(seed, rng)
        status, body = await org_bot.post(activity)
        statuses[status] = statuses.get(status, 0) + 1
        assert status < 500, (i, activity, body)
        if status >= 400:
            assert isinstance(body, dict)
            assert isinstance(body.get("error"), str)
    assert statuses.get(400, 0) > 0
    # the service is still well and its database intact
    async with org_bot.http.get(f"{org_bot.url}/readyz") as resp:
        assert resp.status == 200
    assert len(await org_bot.store.org.all_groups()) == 4
    # every accepted activity was handled by our code, not by the apology path
    failures = [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR]
    assert failures == []
