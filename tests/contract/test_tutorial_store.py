"""Tutorial progress and help requests (store/tutorial.py) on SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest
from sqlalchemy.exc import IntegrityError

from bot.orgfile import parse_org_file
from domain.errors import ConcurrentUpdate
from domain.org import Role
from domain.outbox import OutboxMessage, OutboxStatus
from domain.tutorial.content import Device
from domain.tutorial.flow import Outcome, Place, Problem, Progress
from domain.tutorial.help import HelpRequest, HelpStatus
from store.store import Store

T0 = datetime(2026, 3, 5, 9, 0, tzinfo=UTC)
HELSINKI_SUMMER = timezone(timedelta(hours=3))

ORG = """
version: 1
units:
  - key: it
    name: IT-paja
groups:
  - key: it-ryhma
    unit: it
    name: IT-ryhmä
  - key: kahvila
    unit: it
    name: Etäkahvila
people:
  - name: Maija Virtanen
    upn: maija@example.hel.fi
    instructor: [it-ryhma]
  - name: Tuula Salo
    upn: tuula@example.hel.fi
    instructor: [it-ryhma]
  - name: Jari Mäkinen
    upn: jari@example.hel.fi
    client: [it-ryhma]
  - name: Sari Heikkinen
    upn: sari@example.hel.fi
    client: [it-ryhma, kahvila]
"""


@dataclass(frozen=True)
class Org:
    group: int
    other_group: int
    maija: int
    tuula: int
    jari: int
    sari: int


async def arrange(store: Store) -> Org:
    await store.org.apply(parse_org_file(ORG))
    groups = {g.key: g.id for g in await store.org.all_groups()}
    ids = {}
    for name in ("maija", "tuula", "jari", "sari"):
        person = await store.org.person_by_upn(f"{name}@example.hel.fi")
        assert person is not None
        assert person.id is not None
        ids[name] = person.id
    group, other = groups["it-ryhma"], groups["kahvila"]
    assert group is not None
    assert other is not None
    return Org(group=group, other_group=other, **ids)


def at_check(person_id: int, group_id: int | None = None) -> Progress:
    return Progress(
        person_id=person_id,
        place=Place.CHECK,
        device=Device.WINDOWS,
        step="mic_toggle",
        check="mic_muted",
        group_id=group_id,
        started_at=T0,
        updated_at=T0 + timedelta(minutes=3),
    )


def help_request(org: Org, key: str, person_id: int | None = None, **kw: Any) -> HelpRequest:
    base = HelpRequest(
        key=key,
        person_id=person_id or org.jari,
        group_id=org.group,
        device=Device.WINDOWS,
        step="mic_toggle",
        check="mic_muted",
        created_at=T0,
    )
    return replace(base, **kw)


def card_to(key: str, conversation: str = "a:maija") -> OutboxMessage:
    return OutboxMessage(key=key, conversation_id=conversation, card={"type": "AdaptiveCard"})


# --- progress --------------------------------------------------------------------------------


async def test_new_progress_round_trips(store: Store) -> None:
    org = await arrange(store)
    assert await store.tutorial.progress(org.jari) is None
    problems = (
        Problem("join_now", "join_internet", Outcome.SOLVED, T0),
        Problem(
            "mic_toggle", None, Outcome.ASKED, datetime(2026, 6, 1, 12, 0, tzinfo=HELSINKI_SUMMER)
        ),
    )
    progress = replace(
        at_check(org.jari, org.group),
        problems=problems,
        completed_at=T0 - timedelta(days=1),
    )
    saved, request = await store.tutorial.save(progress)
    assert request is None
    assert saved.version == 1
    assert saved == replace(progress, version=1)
    again = await store.tutorial.progress(org.jari)
    assert again == saved
    assert again is not None
    for moment in (again.started_at, again.updated_at, again.completed_at):
        assert moment is not None
        assert moment.tzinfo is not None
    assert [p.at for p in again.problems] == [p.at for p in problems]
    assert all(p.at.tzinfo is not None for p in again.problems)
    assert again.problems == problems


async def test_progress_at_the_device_choice_round_trips(store: Store) -> None:
    org = await arrange(store)
    saved, _ = await store.tutorial.save(Progress(person_id=org.sari))
    assert saved.version == 1
    assert await store.tutorial.progress(org.sari) == saved
    assert await store.tutorial.progress(org.jari) is None


async def test_a_stale_save_is_refused_and_changes_nothing(store: Store) -> None:
    org = await arrange(store)
    first, _ = await store.tutorial.save(at_check(org.jari))
    second, _ = await store.tutorial.save(replace(first, place=Place.ASKED))
    assert second.version == 2
    with pytest.raises(ConcurrentUpdate):
        await store.tutorial.save(replace(first, place=Place.DONE, step=None, check=None))
    with pytest.raises(ConcurrentUpdate):  # "new" again, but a row exists
        await store.tutorial.save(Progress(person_id=org.jari))
    assert await store.tutorial.progress(org.jari) == second


async def test_two_saves_from_the_same_version_one_wins(store: Store) -> None:
    org = await arrange(store)
    base, _ = await store.tutorial.save(at_check(org.jari))
    results = await asyncio.gather(
        *(store.tutorial.save(replace(base, step=f"step_{i}")) for i in range(5)),
        return_exceptions=True,
    )
    won = [r for r in results if not isinstance(r, BaseException)]
    lost = [r for r in results if isinstance(r, BaseException)]
    assert len(won) == 1
    assert all(isinstance(r, ConcurrentUpdate) for r in lost), lost
    stored = await store.tutorial.progress(org.jari)
    assert stored == won[0][0]
    assert stored is not None
    assert stored.version == 2


async def test_two_first_saves_one_wins(store: Store) -> None:
    org = await arrange(store)
    results = await asyncio.gather(
        *(store.tutorial.save(at_check(org.sari, org.group)) for _ in range(5)),
        return_exceptions=True,
    )
    won = [r for r in results if not isinstance(r, BaseException)]
    lost = [r for r in results if isinstance(r, BaseException)]
    assert len(won) == 1
    assert all(isinstance(r, ConcurrentUpdate) for r in lost), [type(r) for r in lost]
    stored = await store.tutorial.progress(org.sari)
    assert stored is not None
    assert stored.version == 1


# --- help requests with their messages -------------------------------------------------------


async def test_a_request_and_its_messages_are_saved_with_the_progress(store: Store) -> None:
    org = await arrange(store)
    base, _ = await store.tutorial.save(at_check(org.jari, org.group))
    asked = replace(base, place=Place.ASKED)
    request = help_request(org, "help:jari:1")
    messages = [card_to("help:jari:1:to:maija"), card_to("help:jari:1:to:tuula", "a:tuula")]
    saved, stored = await store.tutorial.save(asked, request=request, messages=messages)
    assert saved.version == 2
    assert stored is not None
    assert stored.id is not None
    read = await store.tutorial.request("help:jari:1")
    assert read == replace(request, id=stored.id, version=0)
    assert read is not None
    assert read.created_at.tzinfo is not None
    for message in messages:
        entry = await store.outbox.entry_for_key(message.key)
        assert entry is not None
        assert entry.status is OutboxStatus.PENDING
        assert entry.message.conversation_id == message.conversation_id
        assert entry.message.card == message.card


async def test_a_failed_progress_save_writes_no_request_and_no_messages(store: Store) -> None:
    org = await arrange(store)
    base, _ = await store.tutorial.save(at_check(org.jari, org.group))
    await store.tutorial.save(replace(base, place=Place.STEP, check=None))  # someone was first
    with pytest.raises(ConcurrentUpdate):
        await store.tutorial.save(
            replace(base, place=Place.ASKED),
            request=help_request(org, "help:jari:stale"),
            messages=[card_to("help:jari:stale:to:maija")],
        )
    assert await store.tutorial.request("help:jari:stale") is None
    assert await store.tutorial.requests() == []
    assert await store.outbox.entry_for_key("help:jari:stale:to:maija") is None
    assert (await store.outbox.counts())[OutboxStatus.PENDING] == 0


async def test_request_keys_are_unique(store: Store) -> None:
    org = await arrange(store)
    first, _ = await store.tutorial.save(at_check(org.jari), request=help_request(org, "help:same"))
    with pytest.raises((IntegrityError, ConcurrentUpdate)):
        await store.tutorial.save(
            replace(first, place=Place.ASKED),
            request=help_request(org, "help:same", check="mic_device"),
            messages=[card_to("help:same:again")],
        )
    # the whole transaction is gone: progress, request and message
    assert await store.tutorial.progress(org.jari) == first
    (only,) = await store.tutorial.requests()
    assert only.check == "mic_muted"
    assert await store.outbox.entry_for_key("help:same:again") is None


async def test_open_request_of_is_the_newest_unresolved(store: Store) -> None:
    org = await arrange(store)
    progress, _ = await store.tutorial.save(at_check(org.jari))
    for key in ("help:a", "help:b", "help:c"):
        progress, _ = await store.tutorial.save(progress, request=help_request(org, key))
    await store.tutorial.save(
        Progress(person_id=org.sari), request=help_request(org, "help:s", org.sari)
    )
    newest = await store.tutorial.open_request_of(org.jari)
    assert newest is not None
    assert newest.key == "help:c"
    taken = replace(newest, status=HelpStatus.TAKEN, taken_by=org.maija, taken_at=T0)
    assert await store.tutorial.update_request(taken)
    still = await store.tutorial.open_request_of(org.jari)
    assert still is not None
    assert (still.key, still.status, still.taken_by) == ("help:c", HelpStatus.TAKEN, org.maija)
    done = replace(still, status=HelpStatus.RESOLVED, resolved_by=org.maija, resolved_at=T0)
    assert await store.tutorial.update_request(done)
    after = await store.tutorial.open_request_of(org.jari)
    assert after is not None
    assert after.key == "help:b"
    for key in ("help:b", "help:a"):
        r = await store.tutorial.request(key)
        assert r is not None
        resolved = replace(r, status=HelpStatus.RESOLVED, resolved_by=org.jari, resolved_at=T0)
        assert await store.tutorial.update_request(resolved)
    assert await store.tutorial.open_request_of(org.jari) is None
    other = await store.tutorial.open_request_of(org.sari)
    assert other is not None
    assert other.key == "help:s"


async def test_update_request_is_compare_and_set(store: Store) -> None:
    org = await arrange(store)
    _, stored = await store.tutorial.save(at_check(org.jari), request=help_request(org, "help:x"))
    assert stored is not None
    read = await store.tutorial.request("help:x")
    assert read is not None
    assert read.version == 0
    by_maija = replace(read, status=HelpStatus.TAKEN, taken_by=org.maija, taken_at=T0)
    by_tuula = replace(read, status=HelpStatus.TAKEN, taken_by=org.tuula, taken_at=T0)
    assert await store.tutorial.update_request(by_maija, [card_to("help:x:taken:maija")])
    assert not await store.tutorial.update_request(by_tuula, [card_to("help:x:taken:tuula")])
    assert await store.outbox.entry_for_key("help:x:taken:maija") is not None
    assert await store.outbox.entry_for_key("help:x:taken:tuula") is None
    now = await store.tutorial.request("help:x")
    assert now is not None
    assert (now.status, now.taken_by, now.version) == (HelpStatus.TAKEN, org.maija, 1)
    assert now.taken_at == T0
    assert now.taken_at is not None
    assert now.taken_at.tzinfo is not None
    # the next change starts from the version read
    done = replace(now, status=HelpStatus.RESOLVED, resolved_by=org.maija, resolved_at=T0)
    assert await store.tutorial.update_request(done)
    assert not await store.tutorial.update_request(done)
    final = await store.tutorial.request("help:x")
    assert final is not None
    assert (final.status, final.resolved_by, final.version) == (
        HelpStatus.RESOLVED,
        org.maija,
        2,
    )


async def test_two_instructors_updating_at_once_one_wins(store: Store) -> None:
    org = await arrange(store)
    await store.tutorial.save(at_check(org.jari), request=help_request(org, "help:race"))
    read = await store.tutorial.request("help:race")
    assert read is not None
    results = await asyncio.gather(
        *(
            store.tutorial.update_request(
                replace(read, status=HelpStatus.TAKEN, taken_by=who, taken_at=T0),
                [card_to(f"help:race:{who}")],
            )
            for who in (org.maija, org.tuula)
        )
    )
    assert sorted(results) == [False, True]
    winner = org.maija if results[0] else org.tuula
    loser = org.tuula if results[0] else org.maija
    stored = await store.tutorial.request("help:race")
    assert stored is not None
    assert stored.taken_by == winner
    assert await store.outbox.entry_for_key(f"help:race:{winner}") is not None
    assert await store.outbox.entry_for_key(f"help:race:{loser}") is None


async def test_requests_since(store: Store) -> None:
    org = await arrange(store)
    progress, _ = await store.tutorial.save(at_check(org.jari))
    for hours in (0, 1, 2):
        progress, _ = await store.tutorial.save(
            progress,
            request=help_request(org, f"help:{hours}", created_at=T0 + timedelta(hours=hours)),
        )
    everything = await store.tutorial.requests()
    assert [r.key for r in everything] == ["help:0", "help:1", "help:2"]
    since = await store.tutorial.requests(since=T0 + timedelta(hours=1))
    assert [r.key for r in since] == ["help:1", "help:2"]
    assert [r.created_at for r in since] == [T0 + timedelta(hours=h) for h in (1, 2)]
    # a time in another zone is the same instant
    later = await store.tutorial.requests(
        since=(T0 + timedelta(minutes=90)).astimezone(HELSINKI_SUMMER)
    )
    assert [r.key for r in later] == ["help:2"]
    assert await store.tutorial.requests(since=T0 + timedelta(days=1)) == []


async def test_people_in_group_for_the_tutorial(store: Store) -> None:
    org = await arrange(store)
    instructors = await store.org.people_in_group(org.group, Role.INSTRUCTOR)
    assert [p.name for p in instructors] == ["Maija Virtanen", "Tuula Salo"]
    clients = await store.org.people_in_group(org.other_group, Role.CLIENT)
    assert [p.id for p in clients] == [org.sari]
