"""The one-trip read of a turn's speaker, conversation and group, on SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import replace

import pytest
from sqlalchemy import event
from sqlalchemy.exc import IntegrityError

from bot.orgfile import load_org_file
from domain.model import Conversation, ConversationKind
from domain.org import Person, Role
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


def _uncached_trips(store: Store) -> int:
    """The trips of a turn that finds nothing cached: one; with caches, the chat, its group
    and the person each (the first two shared by every turn in the chat meanwhile)."""
    return 3 if isinstance(store.org, CachedOrgRepository) else 1


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
    # with the caches on, the chat and its group are read for every turn waiting on them (see
    # test_turns_in_a_chat_whose_entry_expired_share_one_read_of_it), the person on their own
    assert _trips(counted) - before <= _uncached_trips(counted)
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
    # with the caches on: the chat's read is shared; the person's read is a trip of its own,
    # or on SQLite's lane (no pooled connection)
    cached = isinstance(counted.org, CachedOrgRepository)
    own = 1 if counted.db.lane is None else 0
    assert _trips(counted) - before == (1 + own if cached else 1)
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


async def test_a_first_contact_is_found_by_object_id_in_the_same_trip(counted: Store) -> None:
    """Nobody under the Teams id yet: the person the organisation file named by object id,
    with their roles, in the one read (the object id is matched in lower case)."""
    person, _ = await _seed(counted)
    assert person.id is not None
    aad = "6f0b2c1e-3d4a-4b5c-9d8e-7f6a5b4c3d2e"
    # imported with an object id, and has not talked to the bot under this Teams id
    await counted.org.update_person(replace(person, teams_id=None, aad_object_id=aad))
    before = _trips(counted)
    found = await counted.arrivals.arrival("29:first", CID, aad.upper())
    assert _trips(counted) - before <= _uncached_trips(counted)
    assert found.person is not None and found.person.id == person.id
    assert found.grants == await counted.org.grants_of(person.id)
    assert found.group is not None
    # without an object id (or with someone else's) nobody is found
    nobody = await counted.arrivals.arrival("29:first", CID, "00000000-0000-0000-0000-000000000000")
    assert nobody.person is None and nobody.grants == ()
    assert (await counted.arrivals.arrival("29:first", CID)).person is None


def _people_reads(store: Store) -> list[str]:
    """Every read of the people table from now on, through sessions or SQLite's lane."""
    seen: list[str] = []

    def record(statement: str) -> None:
        if "from people" in " ".join(statement.split()).lower():
            seen.append(statement)

    event.listen(
        store.db.engine.sync_engine,
        "before_cursor_execute",
        lambda _c, _k, statement, *_: record(statement),
    )
    if store.db.lane is not None:
        store.db.lane.trace(record)
    return seen


async def test_a_first_contact_is_looked_up_by_both_ids_in_one_statement(
    counted: Store,
) -> None:
    """Whoever has the Teams id comes first; else whoever has the object id."""
    person, _ = await _seed(counted)
    view = await counted.org.view()
    other = next(p for p, _ in view.people if p.id != person.id)
    aad = "6f0b2c1e-3d4a-4b5c-9d8e-7f6a5b4c3d2e"
    await counted.org.update_person(replace(other, teams_id=None, aad_object_id=aad))
    await counted.arrivals.arrival("29:warm-up", CID)  # the chat and its group, cached or not
    reads = _people_reads(counted)
    first = await counted.arrivals.arrival("29:first", CID, aad)
    assert first.person is not None and first.person.id == other.id
    assert len(reads) == 1, reads
    # someone else's object id brought by a known Teams id: the Teams id's person
    known = await counted.arrivals.arrival("29:arrivals", CID, aad)
    assert known.person is not None and known.person.id == person.id
    assert known.grants == await counted.org.grants_of(person.id or 0)
    cached = isinstance(counted.org, CachedOrgRepository)  # the Teams id is known already
    assert len(reads) == (1 if cached else 2), reads


async def test_turns_in_a_chat_whose_entry_expired_share_one_read_of_it(
    database_url: str,
) -> None:
    """Fifty clients tap at 09:00, long after the chat was last cached: the chat and its group
    are read once for all of them, each person on their own."""
    engine = create_engine(database_url)
    store = Store(sessionmaker(engine), cache_seconds=60.0)
    try:
        person, _ = await _seed(store)
        view = await store.org.view()
        others = [p for p, _ in view.people if p.id != person.id][:6]
        for n, other in enumerate(others):
            await store.org.update_person(replace(other, teams_id=f"29:tapper-{n}"))
        assert isinstance(store.org, CachedOrgRepository)
        store.org.cache.clear()
        store.conversations.cache.clear()  # type: ignore[attr-defined]
        seen: list[str] = []

        def record(_c: object, _k: object, statement: str, *_: object) -> None:
            seen.append(" ".join(statement.split()).lower())

        event.listen(engine.sync_engine, "before_cursor_execute", record)
        if store.db.lane is not None:
            store.db.lane.trace(lambda statement: record(None, None, statement))
        found = await asyncio.gather(
            *(store.arrivals.arrival(f"29:tapper-{n}", CID) for n in range(len(others)))
        )
        assert [f.person.id if f.person else None for f in found] == [o.id for o in others]
        assert all(f.group is not None and f.conversation is not None for f in found)
        assert len([s for s in seen if "from conversations" in s]) == 1, seen
        assert len([s for s in seen if "from groups" in s and "from people" not in s]) == 1
        assert len([s for s in seen if "from people" in s]) == len(others)
    finally:
        await engine.dispose()


async def test_after_a_first_contact_stores_the_teams_id_the_next_turn_reads_nothing(
    counted: Store,
) -> None:
    """The morning's first turn (found by object id) and the tap right after it: with the
    caches on, the person, their roles, the chat and the group are all at hand."""
    person, _ = await _seed(counted)
    assert person.id is not None
    aad = "6f0b2c1e-3d4a-4b5c-9d8e-7f6a5b4c3d2e"
    await counted.org.update_person(replace(person, teams_id=None, aad_object_id=aad))
    first = await counted.arrivals.arrival("29:first", CID, aad)
    assert first.person is not None
    await counted.org.update_person(replace(first.person, teams_id="29:first"))
    before = _trips(counted)
    tap = await counted.arrivals.arrival("29:first", CID, aad)
    cached = isinstance(counted.org, CachedOrgRepository)
    assert _trips(counted) - before == (0 if cached else 1)
    assert tap.person is not None and tap.person.teams_id == "29:first"
    assert tap.grants == first.grants == await counted.org.grants_of(person.id)
    assert tap.group == first.group


async def test_a_stored_teams_id_shows_in_the_cached_lists_of_their_groups(
    counted: Store,
) -> None:
    person, _ = await _seed(counted)
    assert person.id is not None
    view = await counted.org.view()
    grants = next(g for p, g in view.people if p.id == person.id)
    own = next(x for x in grants if x.group)
    assert own.group is not None and own.group.id is not None
    groups = [g.id for g in await counted.org.all_groups() if g.id is not None]
    lists = {
        (gid, role): await counted.org.people_in_group(gid, role) for gid in groups for role in Role
    }
    await counted.arrivals.arrival("29:arrivals", CID)  # their roles are at hand, as in a turn
    updated = await counted.org.update_person(replace(person, teams_id="29:new"))
    before = _trips(counted)
    after = {key: await counted.org.people_in_group(*key) for key in lists}
    cached = isinstance(counted.org, CachedOrgRepository)
    assert _trips(counted) - before == (0 if cached else len(lists))
    for (gid, role), people in lists.items():
        expected = tuple(updated if p.id == person.id else p for p in people)
        assert after[(gid, role)] == expected, (gid, role)
    assert updated in after[(own.group.id, own.role)]


async def test_identity_updates_written_together_fail_only_the_one_at_fault(
    counted: Store,
) -> None:
    """Concurrent first contacts share a transaction; a Teams id someone else holds is refused
    for that person alone, and the others are stored."""
    person, _ = await _seed(counted)
    view = await counted.org.view()
    others = [p for p, _ in view.people if p.id != person.id][:2]
    assert len(others) == 2
    taken = replace(others[0], teams_id="29:arrivals")  # person holds this one
    fine = replace(others[1], teams_id="29:fine")
    results = await asyncio.gather(
        counted.org.update_person(taken),
        counted.org.update_person(fine),
        return_exceptions=True,
    )
    assert isinstance(results[0], IntegrityError)
    assert results[1] == fine
    stored = {p.id: p for p, _ in (await counted.org.view()).people}
    assert stored[fine.id].teams_id == "29:fine"
    assert stored[taken.id].teams_id == others[0].teams_id
    assert stored[person.id].teams_id == "29:arrivals"
