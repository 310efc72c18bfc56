"""Tests for features registering themselves and the router merging them (dialogs/feature.py)."""

from __future__ import annotations

import pytest

from bot.features import FEATURES as PLUGS
from bot.features import registry as default_registry
from cards.payload import CardAction
from cards.rollcall import HERE_VERB
from dialogs.context import Context, Services
from dialogs.feature import Command, DuplicateClaim, Feature, HelpItem, Registry
from dialogs.router import Router
from dialogs.state import StateAccess
from dialogs.turn import Outcome, TurnKind
from domain.binding import Binder
from domain.directory import Directory
from tests.fakes.memory import (
    FakeConversationRepository,
    FakeGroupListing,
    FakeOrgRepository,
    FakeStateRepository,
)

FEATURES = tuple(plug.feature for plug in PLUGS)


async def _nothing(ctx: Context, _argument: str) -> Outcome:
    return Outcome()


async def _tap(ctx: Context, _action: CardAction) -> Outcome:
    return Outcome()


async def _event(ctx: Context) -> Outcome:
    return Outcome()


def _services() -> Services:
    org = FakeOrgRepository(())
    conversations = FakeConversationRepository()
    return Services(
        directory=Directory(org),
        binder=Binder(conversations),
        org=org,
        groups=FakeGroupListing(conversations, (), ()),
        conversations=conversations,
        state=StateAccess(FakeStateRepository()),
    )


def test_the_features_merge_without_a_clash() -> None:
    registry = Registry.merge(FEATURES)
    assert {f.name for f in registry.features} == {
        "general",
        "agenda",
        "tutorial",
        "rollcall",
        "feedback",
        "reports",
        "reconcile",
        "digest",
        "retention",
    }
    assert registry.parse("apua")[0] is registry.commands["help"]
    assert registry.parse("nimenhuuto")[0] is registry.commands["roll_call"]
    assert HERE_VERB in registry.actions and HERE_VERB in registry.idempotent


def test_a_command_word_another_feature_uses_fails_naming_both_features() -> None:
    weekly = Feature("weekly", commands=(Command("weekly", _nothing, fi=("apua",)),))
    with pytest.raises(DuplicateClaim) as raised:
        Registry.merge((*FEATURES, weekly))
    message = str(raised.value)
    assert "'general'" in message and "'weekly'" in message and "'apua'" in message


def test_the_same_word_differently_typed_is_the_same_claim() -> None:
    weekly = Feature("weekly", commands=(Command("weekly", _nothing, sv=("NIMENHUUTO!",)),))
    with pytest.raises(DuplicateClaim, match=r"'rollcall'.*'weekly'"):
        Registry.merge((*FEATURES, weekly))


def test_a_card_verb_another_feature_uses_fails_naming_both_features() -> None:
    weekly = Feature("weekly", actions={HERE_VERB: _tap})
    with pytest.raises(DuplicateClaim, match="'rollcall' and 'weekly'"):
        Registry.merge((*FEATURES, weekly))


def test_a_command_name_or_an_event_claimed_twice_is_refused() -> None:
    twin = Feature("twin", commands=(Command("help", _nothing, en=("assist me",)),))
    with pytest.raises(DuplicateClaim, match="'general' and 'twin'"):
        Registry.merge((*FEATURES, twin))
    hello = Feature("hello", events={TurnKind.INSTALLED: _event})
    with pytest.raises(DuplicateClaim, match="'general' and 'hello'"):
        Registry.merge((*FEATURES, hello))


def test_an_idempotent_verb_must_be_the_features_own() -> None:
    lazy = Feature("lazy", idempotent=frozenset({"lazy.nothing"}))
    with pytest.raises(DuplicateClaim, match=r"lazy\.nothing"):
        Registry.merge((lazy,))


def test_the_router_refuses_to_start_with_a_clash() -> None:
    weekly = Feature("weekly", commands=(Command("weekly", _nothing, en=("help",)),))
    with pytest.raises(DuplicateClaim, match=r"'general'.*'weekly'"):
        Router(_services(), (*FEATURES, weekly))


def test_a_new_feature_is_routed_and_its_help_line_merged_in_rank_order() -> None:
    weekly = Feature(
        "weekly",
        commands=(Command("weekly", _nothing, fi=("viikkokooste",), en=("weekly",)),),
        help=(HelpItem(55, "help.item.weekly"),),
    )
    registry = Registry.merge((*FEATURES, weekly))
    assert registry.parse("Viikkokooste!")[0] is registry.commands["weekly"]
    keys = [item.key for item in registry.help]
    assert keys.index("help.item.tutorial") < keys.index("help.item.weekly")
    assert keys.index("help.item.weekly") < keys.index("help.item.leave")


def test_every_command_word_is_claimed_by_exactly_one_command() -> None:
    registry = default_registry()
    for command in registry.commands.values():
        for word in command.words():
            assert registry.parse(word) == (command, ""), word
