"""The same repository tests on SQLite and on PostgreSQL."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import make_url

from bot.orgfile import load_org_file
from dialogs.state import CONVERSATION, StateAccess
from domain.errors import ConcurrentUpdate, StoreUnavailable
from domain.inbox import Claim
from domain.model import Conversation, ConversationKind
from domain.org import Language, Person, Role
from store.db import create_engine, sessionmaker
from store.store import Store
from tests.integration.harness import free_port

EXAMPLE = "examples/org.example.yaml"


def _conversation(cid: str, kind: ConversationKind = ConversationKind.GROUP_CHAT) -> Conversation:
    return Conversation(
        conversation_id=cid,
        kind=kind,
        service_url="http://127.0.0.1:9/",
        reference={"conversation": {"id": cid}},
        tenant_id="tenant-1",
    )


async def test_org_import_is_idempotent(store: Store) -> None:
    spec = load_org_file(EXAMPLE)
    first = await store.org.apply(spec)
    assert first.created["units"] == len(spec.units)
    assert first.created["people"] == len(spec.people)
    second = await store.org.apply(spec)
    assert not second.created
    assert not second.updated
    assert second.unchanged["people"] == len(spec.people)
    view = await store.org.view()
    assert len(view.units) == len(spec.units)
    assert len(view.groups) == len(spec.groups)
    assert len(view.people) == len(spec.people)


async def test_import_replaces_roles_of_listed_people(store: Store) -> None:
    spec = load_org_file(EXAMPLE)
    await store.org.apply(spec)
    instructor = next(
        p for p in spec.people if any(m.role is Role.INSTRUCTOR for m in p.memberships)
    )
    from dataclasses import replace

    demoted = replace(instructor, memberships=())
    people = tuple(demoted if p is instructor else p for p in spec.people)
    summary = await store.org.apply(replace(spec, people=people))
    assert summary.updated["people"] == 1
    stored = await (
        store.org.person_by_aad(instructor.person.aad_object_id)
        if instructor.person.aad_object_id
        else store.org.person_by_upn(instructor.person.upn or "")
    )
    assert stored is not None and stored.id is not None
    assert await store.org.grants_of(stored.id) == ()


async def test_grants_resolve_groups_and_units(store: Store) -> None:
    spec = load_org_file(EXAMPLE)
    await store.org.apply(spec)
    coordinator = next(
        p for p in spec.people if any(m.role is Role.COORDINATOR for m in p.memberships)
    )
    person = await store.org.person_by_upn(coordinator.person.upn or "")
    assert person is not None and person.id is not None
    grants = await store.org.grants_of(person.id)
    units = {g.unit.key for g in grants if g.role is Role.COORDINATOR and g.unit}
    wanted = {m.unit_key for m in coordinator.memberships if m.role is Role.COORDINATOR}
    assert units == wanted


async def test_people_first_met_in_teams_and_language(store: Store) -> None:
    person = await store.org.add_person(Person(name="Aino", teams_id="29:aino", aad_object_id="a1"))
    assert person.id is not None
    await store.org.set_language(person.id, Language.SV)
    again = await store.org.person_by_teams_id("29:aino")
    assert again is not None and again.chosen_language is Language.SV


async def test_conversation_bind_moves_group_and_audits(store: Store) -> None:
    await store.org.apply(load_org_file(EXAMPLE))
    group = (await store.org.all_groups())[0]
    assert group.id is not None
    person = await store.org.add_person(Person(name="Ohjaaja", teams_id="29:o"))
    assert person.id is not None
    await store.conversations.remember(_conversation("19:a@thread.v2"))
    await store.conversations.remember(_conversation("19:b@thread.v2"))
    assert await store.conversations.bind("19:a@thread.v2", group.id, person.id) is None
    previous = await store.conversations.bind("19:b@thread.v2", group.id, person.id)
    assert previous is not None and previous.conversation_id == "19:a@thread.v2"
    bound = await store.conversations.bound_to(group.id)
    assert bound is not None and bound.conversation_id == "19:b@thread.v2"
    old = await store.conversations.get("19:a@thread.v2")
    assert old is not None and old.group_id is None
    assert await store.org.bound_group_ids() == frozenset({group.id})


async def test_remember_keeps_binding_and_updates_reference(store: Store) -> None:
    await store.org.apply(load_org_file(EXAMPLE))
    group = (await store.org.all_groups())[0]
    person = await store.org.add_person(Person(name="O", teams_id="29:o"))
    assert group.id and person.id
    await store.conversations.remember(_conversation("19:c@thread.v2"))
    await store.conversations.bind("19:c@thread.v2", group.id, person.id)
    from dataclasses import replace

    moved = replace(_conversation("19:c@thread.v2"), service_url="http://127.0.0.1:10/")
    stored = await store.conversations.remember(moved)
    assert stored.group_id == group.id
    assert stored.service_url == "http://127.0.0.1:10/"


async def test_concurrent_remember_of_a_new_conversation(store: Store) -> None:
    results = await asyncio.gather(
        *(store.conversations.remember(_conversation("19:race@thread.v2")) for _ in range(5))
    )
    assert {r.id for r in results} == {results[0].id}


async def test_state_compare_and_set_refuses_stale_version(store: Store) -> None:
    data, version = await store.state.load(CONVERSATION, "c1")
    assert (data, version) == ({}, 0)
    assert await store.state.save(CONVERSATION, "c1", {"n": 1}, 0) == 1
    with pytest.raises(ConcurrentUpdate):
        await store.state.save(CONVERSATION, "c1", {"n": 99}, 0)
    with pytest.raises(ConcurrentUpdate):
        await store.state.save(CONVERSATION, "c1", {"n": 99}, 5)
    assert await store.state.load(CONVERSATION, "c1") == ({"n": 1}, 1)


async def test_racing_turns_lose_no_update(store: Store) -> None:
    """Twenty turns of one conversation increment a counter at once: all twenty count."""

    async def increment(state: dict[str, int]) -> None:
        await asyncio.sleep(0)  # let the other turns load the same version
        state["n"] = state.get("n", 0) + 1

    # two accessors stand for two replicas: they share the database but not their locks
    replicas = [StateAccess(store.state), StateAccess(store.state)]
    await asyncio.gather(
        *(replicas[i % 2].update(CONVERSATION, "busy", increment) for i in range(20))
    )
    data, version = await store.state.load(CONVERSATION, "busy")
    assert data["n"] == 20
    assert version == 20


async def test_inbox_claims_once_and_purges(store: Store) -> None:
    assert await store.inbox.claim("c", "a1") is Claim.NEW
    assert await store.inbox.claim("c", "a1") is Claim.BUSY
    assert await store.inbox.claim("other", "a1") is Claim.NEW
    await store.inbox.release("c", "a1")
    assert await store.inbox.claim("c", "a1") is Claim.NEW
    assert await store.inbox.purge_before(datetime.now(UTC) - timedelta(hours=1)) == 0
    assert await store.inbox.purge_before(datetime.now(UTC) + timedelta(seconds=1)) == 2


async def test_health_ping_answers_only_while_the_database_does(
    store: Store, database_url: str, tmp_path: Path
) -> None:
    await store.health.ping()
    # the same repositories over a database that cannot be reached (what /readyz reports)
    url = make_url(database_url)
    if url.get_backend_name() == "sqlite":
        (tmp_path / "a-folder.db").mkdir()  # a folder where the database file should be
        gone = url.set(database=str(tmp_path / "a-folder.db"))
    else:
        gone = url.set(host="127.0.0.1", port=free_port())  # nothing listens there
    engine = create_engine(gone.render_as_string(hide_password=False))
    try:
        with pytest.raises(StoreUnavailable):
            await Store(sessionmaker(engine)).health.ping()
    finally:
        await engine.dispose()


async def test_two_turns_meeting_a_new_person_at_once(store: Store) -> None:
    """Teams sends installationUpdate and conversationUpdate together: one person results."""
    people = await asyncio.gather(
        *(
            store.org.add_person(Person(name="Uusi", teams_id="29:new", aad_object_id="n1"))
            for _ in range(4)
        )
    )
    assert len({p.id for p in people}) == 1
