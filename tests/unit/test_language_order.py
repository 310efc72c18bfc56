"""The order a person's language is decided in (domain/model.py Actor.language, Person.speaks)."""

from __future__ import annotations

from domain.model import Actor, RoleGrant
from domain.org import Group, Language, Person, Role, Unit

FI_GROUP = Group(key="it", unit_key="u", name="IT", language=Language.FI, id=1)
SV_GROUP = Group(key="cafe", unit_key="u", name="Café", language=Language.SV, id=2)
SV_GROUP_2 = Group(key="sy", unit_key="u", name="Sy", language=Language.SV, id=3)
EN_GROUP = Group(key="en", unit_key="u", name="EN", language=Language.EN, id=4)


def actor(
    *groups: Group, language: Language | None = None, chosen: Language | None = None
) -> Actor:
    person = Person(name="P", id=1, language=language, chosen_language=chosen)
    return Actor(person, tuple(RoleGrant(Role.CLIENT, group=g) for g in groups))


def test_own_choice_first_then_the_org_file_then_the_groups_then_finnish() -> None:
    assert actor(FI_GROUP, language=Language.SV, chosen=Language.EN).language() is Language.EN
    assert actor(FI_GROUP, language=Language.SV).language(Language.EN) is Language.SV
    assert actor(SV_GROUP).language(Language.EN) is Language.SV
    assert actor(FI_GROUP).language(Language.EN) is Language.FI


def test_teams_locale_counts_only_for_someone_without_a_role() -> None:
    assert actor().language(Language.EN) is Language.EN
    assert actor().language(None) is Language.FI
    assert actor(chosen=Language.SV).language(Language.EN) is Language.SV
    coordinator = Actor(Person(name="C", id=2), (RoleGrant(Role.COORDINATOR),))
    assert coordinator.language(Language.EN) is Language.FI


def test_a_coordinator_without_a_language_reads_their_units_language() -> None:
    swedish = Unit(key="sv", name="Svenska", language=Language.SV)
    plain = Unit(key="fi", name="Suomi")
    kim = Actor(Person(name="K", id=3), (RoleGrant(Role.COORDINATOR, unit=swedish),))
    assert kim.language(Language.EN) is Language.SV
    both = Actor(
        Person(name="K", id=3),
        (RoleGrant(Role.COORDINATOR, unit=swedish), RoleGrant(Role.COORDINATOR, unit=plain)),
    )
    assert both.language() is Language.SV  # a unit without a language does not count


def test_several_groups_the_most_common_language_and_finnish_on_a_tie() -> None:
    assert actor(FI_GROUP, SV_GROUP, SV_GROUP_2).language() is Language.SV
    assert actor(FI_GROUP, SV_GROUP).language() is Language.FI
    assert actor(SV_GROUP, EN_GROUP).language() is Language.SV


def test_a_person_speaks_the_group_language_they_are_reached_in_when_they_have_none() -> None:
    assert Person(name="P").speaks(Language.SV) is Language.SV
    assert Person(name="P", language=Language.EN).speaks(Language.SV) is Language.EN
    assert (
        Person(name="P", chosen_language=Language.FI, language=Language.EN).speaks() is Language.FI
    )
    assert Person(name="P").speaks() is Language.FI
