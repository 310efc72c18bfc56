"""Help request rules (domain/tutorial/help.py): who may take one, and what happens twice."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from domain.errors import NotAllowed
from domain.model import Actor, RoleGrant
from domain.org import Group, Person, Role, Unit
from domain.tutorial.content import Device
from domain.tutorial.help import (
    AlreadyResolved,
    AlreadyTaken,
    HelpRequest,
    HelpStatus,
    may_handle,
    resolve,
    take,
)

T0 = datetime(2026, 3, 5, 9, 0, tzinfo=UTC)
T1 = T0 + timedelta(minutes=1)
T2 = T0 + timedelta(minutes=2)

UNIT = Unit(key="it", name="IT-paja", id=1)
GROUP = Group(key="it-ryhma", unit_key="it", name="IT-ryhmä", id=10)
OTHER = Group(key="ompelimo", unit_key="it", name="Ompelimo", id=20)


def actor(person_id: int, name: str, *grants: RoleGrant) -> Actor:
    return Actor(person=Person(name=name, id=person_id), grants=grants)


CLIENT = actor(1, "Jari Mäkinen", RoleGrant(Role.CLIENT, group=GROUP))
MAIJA = actor(2, "Maija Virtanen", RoleGrant(Role.INSTRUCTOR, group=GROUP))
TUULA = actor(3, "Tuula Salo", RoleGrant(Role.INSTRUCTOR, group=GROUP))
JOHAN = actor(4, "Johan Lindqvist", RoleGrant(Role.INSTRUCTOR, group=OTHER))
ADMIN = actor(5, "Pekka Nieminen", RoleGrant(Role.ADMIN))
COORDINATOR = actor(6, "Anneli Korhonen", RoleGrant(Role.COORDINATOR, unit=UNIT))
# a client of this group who instructs another: the client role gives no right here
BOTH = actor(
    7,
    "Sari Heikkinen",
    RoleGrant(Role.CLIENT, group=GROUP),
    RoleGrant(Role.INSTRUCTOR, group=OTHER),
)


def request(**changes: Any) -> HelpRequest:
    base = HelpRequest(
        key="help:1:4",
        person_id=CLIENT.person_id,
        group_id=10,
        device=Device.WINDOWS,
        step="mic_toggle",
        check="mic_muted",
        created_at=T0,
    )
    return replace(base, **changes)


def test_a_new_request_is_open() -> None:
    r = request()
    assert r.status is HelpStatus.OPEN
    assert r.is_open
    assert r.taken_by is None


def test_an_instructor_of_the_group_takes_it() -> None:
    taken = take(request(), MAIJA, T1)
    assert taken.status is HelpStatus.TAKEN
    assert taken.taken_by == MAIJA.person_id
    assert taken.taken_at == T1
    assert taken.is_open
    assert (taken.key, taken.person_id, taken.step, taken.check) == (
        "help:1:4",
        1,
        "mic_toggle",
        "mic_muted",
    )


def test_an_admin_takes_it() -> None:
    taken = take(request(), ADMIN, T1)
    assert taken.status is HelpStatus.TAKEN
    assert taken.taken_by == ADMIN.person_id


@pytest.mark.parametrize(
    "who", [CLIENT, JOHAN, COORDINATOR, BOTH], ids=["client", "other-group", "coordinator", "both"]
)
def test_others_may_not_take_it(who: Actor) -> None:
    assert not may_handle(who, GROUP.id or 0)
    with pytest.raises(NotAllowed):
        take(request(), who, T1)


@pytest.mark.parametrize("who", [MAIJA, TUULA, ADMIN], ids=["maija", "tuula", "admin"])
def test_may_handle(who: Actor) -> None:
    assert may_handle(who, 10)
    assert may_handle(who, 20) is who.is_admin


def test_a_second_instructor_finds_it_taken() -> None:
    taken = take(request(), MAIJA, T1)
    with pytest.raises(AlreadyTaken):
        take(taken, TUULA, T2)


def test_the_same_instructor_again_gets_the_same_request() -> None:
    taken = take(request(), MAIJA, T1)
    again = take(taken, MAIJA, T2)
    assert again is taken
    assert again.taken_at == T1


def test_a_resolved_request_cannot_be_taken() -> None:
    done = resolve(request(), CLIENT.person_id, T1)
    with pytest.raises(AlreadyResolved):
        take(done, MAIJA, T2)
    taken_then_done = resolve(take(request(), MAIJA, T1), MAIJA.person_id, T2)
    with pytest.raises(AlreadyResolved):
        take(taken_then_done, MAIJA, T2)
    with pytest.raises(AlreadyResolved):
        take(taken_then_done, TUULA, T2)


def test_an_outsider_is_refused_even_when_the_request_is_resolved() -> None:
    done = resolve(request(), CLIENT.person_id, T1)
    with pytest.raises(NotAllowed):
        take(done, JOHAN, T2)


def test_resolve_marks_who_and_when() -> None:
    done = resolve(take(request(), MAIJA, T1), MAIJA.person_id, T2)
    assert done.status is HelpStatus.RESOLVED
    assert not done.is_open
    assert (done.resolved_by, done.resolved_at) == (MAIJA.person_id, T2)
    assert (done.taken_by, done.taken_at) == (MAIJA.person_id, T1)


def test_resolve_is_idempotent() -> None:
    done = resolve(request(), CLIENT.person_id, T1)
    again = resolve(done, MAIJA.person_id, T2)
    assert again is done
    assert (again.resolved_by, again.resolved_at) == (CLIENT.person_id, T1)
