"""The one-trip read of a turn's speaker, conversation and group, on SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import replace

import pytest
from sqlalchemy import event

from bot.orgfile import load_org_file
from domain.model import Conversation, ConversationKind
from domain.org import Person
from store.cache import CachedOrgRepository
from store.db import create_engine, sessionmaker
from store.store import Store

EXAMPLE = "examples/org.example.yaml"
CID = "19:arrivals@thread.v2"


@pytest.fixture(params=[0.0, 60.0], ids=["uncached", "cached"])
async def counted(database_url: str, request: pytest.FixtureRequest) -> AsyncIterator[Store]:
    """A store (with or without its caches) whose engine counts connection checkouts."""
    engine = create_engine(database_url)
    trips: list[int] = []
    event.listen(engine.sync_engine, "checkout", lambda *_: trips.append(1))
    store = Store(sessionmaker(engine), cache_seconds=request.param)
    store.trips = trips  # type: ignore[attr-defined]
    try:
        yield store
    finally:
        await engine.dispose()


def _trips(store: Store) -> int:
    trips: list[int] = store.trips  # type: ignore[attr-defined]
    return len(trips)


async def _seed(store: Store) -> tuple[Person, Conversation]:
    spec = load_org_file(EXAMPLE)
    await store.org.apply(spec)
    view = await store.org.view()
    person, grants = next((p, g) for p, g in view.people if any(x.group for x in g))
    group = next(x.group for x in grants if x.group)
    person = await store.org.update_person(replace(person, teams_id="29:arrivals"))
    conversation = Conversation(CID, ConversationKind.GROUP_CHAT, "http://127.0.0.1:9/", {})
    await store.conversations.remember(conversation)
    assert group.id is not None and person.id is not None
    await store.conversations.bind(CID, group.id, person.id)
    return person, conversation


async def test_a_known_speaker_in_a_bound_chat_is_read_in_one_trip(counted: Store) -> None:
    person, _ = await _seed(counted)
    before = _trips(counted)
    found = await counted.arrivals.arrival("29:arrivals", CID)
    assert _trips(counted) - before <= 1
    assert found.person is not None and found.person.id == person.id
    assert found.grants == await counted.org.grants_of(person.id or 0)
    assert found.conversation is not None and found.conversation.group_id is not None
    assert found.group is not None and found.group.id == found.conversation.group_id
    before = _trips(counted)
    again = await counted.arrivals.arrival("29:arrivals", CID)
    assert again == found
    # with the caches on, the next turn of the same person in the same chat reads nothing
    cached = isinstance(counted.org, CachedOrgRepository)
    assert _trips(counted) - before == (0 if cached else 1)


async def test_a_stranger_in_an_unknown_chat_is_nobody_nowhere(counted: Store) -> None:
    await _seed(counted)
    before = _trips(counted)
    found = await counted.arrivals.arrival("29:stranger", "19:unknown@thread.v2")
    assert _trips(counted) - before == 1
    assert (found.person, found.grants, found.conversation, found.group) == (None, (), None, None)


async def test_a_chat_without_a_group_has_no_group(counted: Store) -> None:
    await _seed(counted)
    plain = Conversation("a:personal", ConversationKind.PERSONAL, "http://127.0.0.1:9/", {})
    await counted.conversations.remember(plain)
    found = await counted.arrivals.arrival("29:arrivals", "a:personal")
    assert found.conversation is not None and found.conversation.conversation_id == "a:personal"
    assert found.group is None


async def test_what_a_write_changes_is_seen_by_the_next_arrival(counted: Store) -> None:
    person, _ = await _seed(counted)
    await counted.arrivals.arrival("29:arrivals", CID)
    await counted.conversations.set_active(CID, False)
    renamed = await counted.org.update_person(replace(person, name="Uusi Nimi"))
    found = await counted.arrivals.arrival("29:arrivals", CID)
    assert found.conversation is not None and found.conversation.active is False
    assert found.person is not None and found.person.name == renamed.name
