"""Tests for what the help answer offers each role (the features' help items, merged)."""

from __future__ import annotations

import pytest

from bot.features import registry as default_registry
from domain.help import HelpLine
from domain.i18n import CATALOGS, placeholders
from domain.model import Actor, ConversationKind, RoleGrant
from domain.org import DEFAULT_LANGUAGE, Group, Person, Role, Unit

IT_UNIT = Unit(key="uusix-it", name="Uusix IT", id=1)
SEWING_UNIT = Unit(key="suvilahti-ompelu", name="Suvilahti ompelu", id=2)
IT_GROUP = Group(key="it-etaryhma", unit_key="uusix-it", name="IT-pajan etäryhmä", id=1)
SEWING_GROUP = Group(key="ompelu", unit_key="suvilahti-ompelu", name="Ompeluryhmä", id=2)

help_lines = default_registry().help_lines

GROUP_KINDS = [ConversationKind.GROUP_CHAT, ConversationKind.CHANNEL, ConversationKind.MEETING]


def actor(*grants: RoleGrant) -> Actor:
    return Actor(person=Person(name="Testi Henkilö", id=1), grants=grants)


CLIENT = actor(RoleGrant(Role.CLIENT, group=IT_GROUP))
NOBODY = actor()
INSTRUCTOR = actor(RoleGrant(Role.INSTRUCTOR, group=IT_GROUP))
COORDINATOR = actor(
    RoleGrant(Role.COORDINATOR, unit=SEWING_UNIT), RoleGrant(Role.COORDINATOR, unit=IT_UNIT)
)
ADMIN = actor(RoleGrant(Role.ADMIN))


def keys(lines: list[HelpLine]) -> list[str]:
    return [line.key for line in lines]


def line(lines: list[HelpLine], key: str) -> HelpLine:
    return next(item for item in lines if item.key == key)


@pytest.mark.parametrize("who", [CLIENT, NOBODY, INSTRUCTOR, COORDINATOR, ADMIN])
def test_everyone_sees_help_and_language_first(who: Actor) -> None:
    assert keys(help_lines(who, ConversationKind.PERSONAL))[:2] == [
        "help.item.help",
        "help.item.language",
    ]


def test_a_client_sees_their_group_name() -> None:
    lines = help_lines(CLIENT, ConversationKind.PERSONAL)
    assert line(lines, "help.item.my_group").params == {"groups": "IT-pajan etäryhmä"}
    assert "help.item.no_group" not in keys(lines)


def test_a_client_in_two_groups_sees_both_names_in_name_order() -> None:
    two = actor(RoleGrant(Role.CLIENT, group=SEWING_GROUP), RoleGrant(Role.CLIENT, group=IT_GROUP))
    lines = help_lines(two, ConversationKind.PERSONAL)
    assert line(lines, "help.item.my_group").params == {"groups": "IT-pajan etäryhmä, Ompeluryhmä"}


def test_a_person_with_no_roles_sees_the_no_group_line() -> None:
    assert keys(help_lines(NOBODY, ConversationKind.PERSONAL)) == [
        "help.item.help",
        "help.item.language",
        "help.item.no_group",
        "help.item.tutorial",
    ]


@pytest.mark.parametrize("who", [CLIENT, NOBODY, INSTRUCTOR, COORDINATOR, ADMIN])
def test_everyone_is_taught_the_tutorial(who: Actor) -> None:
    assert "help.item.tutorial" in keys(help_lines(who, ConversationKind.PERSONAL))


def test_only_instructors_are_taught_to_send_the_tutorial() -> None:
    assert "help.item.send_tutorial" in keys(help_lines(INSTRUCTOR, ConversationKind.PERSONAL))
    for who in (CLIENT, NOBODY, COORDINATOR):
        assert "help.item.send_tutorial" not in keys(help_lines(who, ConversationKind.PERSONAL))


def test_an_instructor_sees_bind_and_groups_lines() -> None:
    found = keys(help_lines(INSTRUCTOR, ConversationKind.GROUP_CHAT))
    assert "help.item.bind" in found
    assert "help.item.groups" in found
    assert "help.item.no_group" not in found
    assert "help.item.my_group" not in found


def test_a_coordinator_sees_their_units() -> None:
    lines = help_lines(COORDINATOR, ConversationKind.PERSONAL)
    assert line(lines, "help.item.coordinator").params == {"units": "Suvilahti ompelu, Uusix IT"}
    assert "help.item.groups" in keys(lines)
    assert "help.item.bind" not in keys(lines)


def test_an_admin_sees_the_admin_line() -> None:
    found = keys(help_lines(ADMIN, ConversationKind.PERSONAL))
    assert "help.item.admin" in found
    assert "help.item.groups" in found


@pytest.mark.parametrize("who", [CLIENT, INSTRUCTOR, COORDINATOR])
def test_only_admins_see_the_admin_line(who: Actor) -> None:
    assert "help.item.admin" not in keys(help_lines(who, ConversationKind.PERSONAL))


@pytest.mark.parametrize("kind", GROUP_KINDS)
def test_the_mention_hint_appears_in_group_conversations(kind: ConversationKind) -> None:
    assert keys(help_lines(CLIENT, kind))[-1] == "help.mention_hint"


@pytest.mark.parametrize("who", [CLIENT, NOBODY, INSTRUCTOR, COORDINATOR, ADMIN])
def test_the_mention_hint_is_not_shown_in_a_personal_chat(who: Actor) -> None:
    assert "help.mention_hint" not in keys(help_lines(who, ConversationKind.PERSONAL))


@pytest.mark.parametrize("kind", list(ConversationKind))
def test_a_client_never_sees_bind_or_groups_lines(kind: ConversationKind) -> None:
    found = keys(help_lines(CLIENT, kind))
    assert "help.item.bind" not in found
    assert "help.item.groups" not in found
    assert "help.item.coordinator" not in found


@pytest.mark.parametrize("who", [CLIENT, NOBODY, INSTRUCTOR, COORDINATOR, ADMIN])
@pytest.mark.parametrize("kind", list(ConversationKind))
def test_every_help_line_exists_in_the_catalog_with_its_parameters(
    who: Actor, kind: ConversationKind
) -> None:
    catalog = CATALOGS[DEFAULT_LANGUAGE]
    for item in help_lines(who, kind):
        assert item.key in catalog
        assert placeholders(catalog[item.key]) == set(item.params)
