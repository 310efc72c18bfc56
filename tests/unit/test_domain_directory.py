"""Tests for matching a Teams user to a stored person (domain/directory.py)."""

from __future__ import annotations

import pytest

from domain.directory import Directory
from domain.model import RoleGrant, TeamsUser
from domain.org import Group, Language, Person, Role
from domain.ports import OrgRepository
from tests.fakes.memory import FakeOrgRepository

IT = Group(key="it-etaryhma", unit_key="uusix-it", name="IT-pajan etäryhmä", id=1)
AAD = "5f0c6f4e-3b1a-4a4c-9d7e-1f2a3b4c5d6e"


def id_of(person: Person) -> int:
    assert person.id is not None
    return person.id


class UpnLookup:
    """A lazy UPN lookup that counts how often it was asked."""

    def __init__(self, upn: str | None) -> None:
        self.upn = upn
        self.calls = 0

    async def __call__(self) -> str | None:
        self.calls += 1
        return self.upn


@pytest.fixture
def org() -> FakeOrgRepository:
    return FakeOrgRepository()


def test_fake_repository_implements_the_port(org: FakeOrgRepository) -> None:
    port: OrgRepository = org
    assert port is org


async def test_a_known_teams_id_matches_without_asking_for_the_upn(
    org: FakeOrgRepository,
) -> None:
    maija = org.seed(Person(name="Maija", teams_id="29:maija", aad_object_id=AAD))
    org.seed(Person(name="Waiting", upn="someone@hel.fi"))
    lookup = UpnLookup("maija@hel.fi")
    found = await Directory(org).identify(TeamsUser("29:maija", "Maija", AAD), lookup)
    assert found.person == maija
    assert lookup.calls == 0


async def test_the_actor_carries_the_persons_grants(org: FakeOrgRepository) -> None:
    grant = RoleGrant(Role.CLIENT, group=IT)
    org.seed(Person(name="Maija", teams_id="29:maija"), grant)
    found = await Directory(org).identify(TeamsUser("29:maija", "Maija"), UpnLookup(None))
    assert found.grants == (grant,)


async def test_the_aad_id_matches_ignoring_case_and_records_the_teams_id(
    org: FakeOrgRepository,
) -> None:
    stored = org.seed(Person(name="Maija", aad_object_id=AAD))
    user = TeamsUser("29:new-teams-id", "Maija", AAD.upper())
    found = await Directory(org).identify(user, UpnLookup(None))
    assert found.person_id == stored.id
    assert org.people[found.person_id].teams_id == "29:new-teams-id"
    assert len(org.people) == 1


async def test_a_teams_id_match_wins_over_an_aad_match(org: FakeOrgRepository) -> None:
    by_teams = org.seed(Person(name="A", teams_id="29:a"))
    org.seed(Person(name="B", aad_object_id=AAD))
    found = await Directory(org).identify(TeamsUser("29:a", "A", AAD), UpnLookup(None))
    assert found.person_id == by_teams.id


async def test_the_upn_matches_lazily_when_someone_waits_for_it(org: FakeOrgRepository) -> None:
    waiting = org.seed(Person(name="Maija M", upn="maija.m@hel.fi"))
    lookup = UpnLookup("Maija.M@HEL.fi")
    found = await Directory(org).identify(TeamsUser("29:maija", "Maija M", AAD), lookup)
    assert found.person_id == waiting.id
    assert lookup.calls == 1
    stored = org.people[found.person_id]
    assert (stored.teams_id, stored.aad_object_id) == ("29:maija", AAD)
    assert len(org.people) == 1


async def test_the_upn_is_not_looked_up_when_no_one_waits_for_it(
    org: FakeOrgRepository,
) -> None:
    org.seed(Person(name="Already here", upn="a@hel.fi", teams_id="29:a"))
    lookup = UpnLookup("b@hel.fi")
    await Directory(org).identify(TeamsUser("29:b", "B", AAD), lookup)
    assert lookup.calls == 0


async def test_a_upn_match_with_a_different_aad_id_is_not_taken(org: FakeOrgRepository) -> None:
    other = org.seed(
        Person(name="Former owner", upn="shared@hel.fi", aad_object_id="other-aad-object-id")
    )
    lookup = UpnLookup("shared@hel.fi")
    found = await Directory(org).identify(TeamsUser("29:new", "New owner", AAD), lookup)
    assert lookup.calls == 1
    assert found.person_id != other.id
    assert org.people[id_of(other)] == other


async def test_an_empty_upn_answer_creates_a_new_person(org: FakeOrgRepository) -> None:
    org.seed(Person(name="Waiting", upn="waiting@hel.fi"))
    found = await Directory(org).identify(TeamsUser("29:x", "X"), UpnLookup(None))
    assert found.person.name == "X"
    assert len(org.people) == 2


async def test_a_new_person_is_created_when_nothing_matches(org: FakeOrgRepository) -> None:
    user = TeamsUser("29:uusi", "Uusi Asiakas", AAD.upper(), locale="fi-FI")
    found = await Directory(org).identify(user, UpnLookup(None))
    assert found.person == Person(
        name="Uusi Asiakas", teams_id="29:uusi", aad_object_id=AAD, id=found.person_id
    )
    assert found.grants == ()
    assert org.people[found.person_id] == found.person


async def test_a_new_person_without_a_name_gets_a_placeholder(org: FakeOrgRepository) -> None:
    found = await Directory(org).identify(TeamsUser("29:anon", ""), UpnLookup(None))
    assert found.person.name == "?"


async def test_a_changed_display_name_is_stored(org: FakeOrgRepository) -> None:
    stored = org.seed(Person(name="Maija Meikäläinen", teams_id="29:maija"))
    user = TeamsUser("29:maija", "Maija Virtanen")
    found = await Directory(org).identify(user, UpnLookup(None))
    assert found.person.name == "Maija Virtanen"
    assert org.people[id_of(stored)].name == "Maija Virtanen"
    assert len(org.updates) == 1


async def test_an_unchanged_person_is_not_written(org: FakeOrgRepository) -> None:
    org.seed(Person(name="Maija", teams_id="29:maija", aad_object_id=AAD))
    await Directory(org).identify(TeamsUser("29:maija", "Maija", AAD), UpnLookup(None))
    assert org.updates == []


async def test_an_empty_display_name_keeps_the_stored_one(org: FakeOrgRepository) -> None:
    org.seed(Person(name="Maija", teams_id="29:maija"))
    found = await Directory(org).identify(TeamsUser("29:maija", ""), UpnLookup(None))
    assert found.person.name == "Maija"
    assert org.updates == []


async def test_set_language_stores_the_choice(org: FakeOrgRepository) -> None:
    directory = Directory(org)
    found = await directory.identify(TeamsUser("29:maija", "Maija"), UpnLookup(None))
    changed = await directory.set_language(found, Language.SV)
    assert changed.person.chosen_language is Language.SV
    assert org.people[found.person_id].chosen_language is Language.SV
