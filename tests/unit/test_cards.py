"""Tests for card payloads and the bind cards (cards/payload.py, cards/common.py, cards/bind.py)."""

from __future__ import annotations

import json
import unicodedata
from collections.abc import Iterator
from typing import Any

import pytest

from cards.bind import BIND_VERB, bound_card, choose_group_card
from cards.payload import MAX_FIELDS, MAX_VALUE_LENGTH, BadPayload, CardAction, parse_action
from domain.i18n import text
from domain.org import Group, Language

GROUPS = (
    Group(key="it-etaryhma", unit_key="uusix-it", name="IT-pajan etäryhmä", id=1),
    Group(key="keramiikka", unit_key="uusix-keramiikka", name="Keramiikka ja koru", id=2),
    Group(key="nuoret", unit_key="tyovalmennus", name="Nuorten päivä 16–20", id=3),
)


def assert_adaptive_card(card: dict[str, Any]) -> None:
    """Minimal structural check of an Adaptive Card 1.5 as Teams needs it."""
    json.dumps(card)  # must be plain JSON
    assert card["type"] == "AdaptiveCard"
    assert card["version"] == "1.5"
    assert isinstance(card["body"], list)
    assert card["body"], "a card needs a body"
    for element in card["body"]:
        assert isinstance(element, dict)
        assert isinstance(element.get("type"), str)
    for action in card.get("actions", []):
        assert isinstance(action.get("type"), str)
        assert action["type"].startswith("Action.")


def visible_texts(card: dict[str, Any]) -> Iterator[str]:
    """Every text a person sees or hears on the card."""
    for element in card["body"]:
        if "text" in element:
            yield element["text"]
    for action in card.get("actions", []):
        yield action["title"]
        if "fallback" in action:
            yield action["fallback"]["title"]
    if "speak" in card:
        yield card["speak"]


def has_words(value: str) -> bool:
    """True if value carries letters or digits, not only emoji or symbols."""
    return any(unicodedata.category(ch)[0] in "LN" for ch in value)


# --- payloads ----------------------------------------------------------------------------


def test_parse_action_accepts_a_verb_and_string_fields() -> None:
    assert parse_action({"verb": "bind.choose", "group": "x"}) == CardAction(
        "bind.choose", {"group": "x"}
    )


def test_parse_action_turns_plain_numbers_and_booleans_into_strings() -> None:
    action = parse_action({"verb": "bind.choose", "n": 3, "ok": True})
    assert action.data == {"n": "3", "ok": "True"}


def test_parse_action_ignores_teams_own_fields() -> None:
    action = parse_action({"verb": "bind.choose", "group": "x", "msteams": {"type": "x"}})
    assert action == CardAction("bind.choose", {"group": "x"})


def test_card_action_round_trips_through_its_data() -> None:
    action = CardAction(BIND_VERB, {"group": "it"})
    assert parse_action(action.to_data()) == action


@pytest.mark.parametrize(
    "value",
    [None, "bind.choose", 42, ["bind.choose"], ("verb", "bind.choose")],
    ids=["none", "string", "number", "list", "tuple"],
)
def test_parse_action_rejects_non_objects(value: Any) -> None:
    with pytest.raises(BadPayload):
        parse_action(value)


@pytest.mark.parametrize(
    "value",
    [
        {},
        {"group": "x"},
        {"verb": ""},
        {"verb": None},
        {"verb": 1},
        {"verb": ["bind.choose"]},
        {"verb": "Bind.Choose"},
        {"verb": "bind choose"},
        {"verb": "bind..choose"},
        {"verb": ".bind"},
        {"verb": "bind."},
        {"verb": "1bind"},
        {"verb": "bind.choose\n"},
        {"verb": "bind.choose\nx"},
        {"verb": "<script>"},
    ],
    ids=repr,
)
def test_parse_action_rejects_a_missing_or_invalid_verb(value: dict[str, Any]) -> None:
    with pytest.raises(BadPayload):
        parse_action(value)


@pytest.mark.parametrize(
    "item",
    [{"key": "x"}, ["x"], None, 1.5],
    ids=["object", "list", "null", "float"],
)
def test_parse_action_rejects_fields_that_are_not_plain_values(item: Any) -> None:
    with pytest.raises(BadPayload):
        parse_action({"verb": "bind.choose", "group": item})


def test_parse_action_accepts_a_value_of_the_maximum_length() -> None:
    value = "x" * MAX_VALUE_LENGTH
    assert parse_action({"verb": "bind.choose", "group": value}).data["group"] == value


def test_parse_action_rejects_an_overlong_value() -> None:
    with pytest.raises(BadPayload):
        parse_action({"verb": "bind.choose", "group": "x" * (MAX_VALUE_LENGTH + 1)})


def test_parse_action_accepts_the_maximum_number_of_fields() -> None:
    fields = {f"f{i}": "v" for i in range(MAX_FIELDS)}
    assert len(parse_action({"verb": "bind.choose", **fields}).data) == MAX_FIELDS


def test_parse_action_rejects_too_many_fields() -> None:
    fields = {f"f{i}": "v" for i in range(MAX_FIELDS + 1)}
    with pytest.raises(BadPayload):
        parse_action({"verb": "bind.choose", **fields})


# --- choose_group_card ------------------------------------------------------------------


@pytest.mark.parametrize("language", list(Language))
def test_choose_group_card_is_an_adaptive_card_1_5(language: Language) -> None:
    card = choose_group_card(language, GROUPS)
    assert_adaptive_card(card)


def test_choose_group_card_has_one_execute_action_per_group() -> None:
    card = choose_group_card(Language.FI, GROUPS)
    actions = card["actions"]
    assert [a["type"] for a in actions] == ["Action.Execute"] * len(GROUPS)
    assert [a["title"] for a in actions] == [g.name for g in GROUPS]
    for action, group in zip(actions, GROUPS, strict=True):
        assert action["verb"] == BIND_VERB
        assert action["data"] == {"verb": BIND_VERB, "group": group.key}
        assert parse_action(action["data"]) == CardAction(BIND_VERB, {"group": group.key})


def test_choose_group_card_falls_back_to_submit_with_the_same_data() -> None:
    card = choose_group_card(Language.FI, GROUPS)
    for action in card["actions"]:
        fallback = action["fallback"]
        assert fallback["type"] == "Action.Submit"
        assert fallback["title"] == action["title"]
        assert fallback["data"] == action["data"]


@pytest.mark.parametrize("language", list(Language))
def test_choose_group_card_speaks_and_shows_the_catalog_texts(language: Language) -> None:
    card = choose_group_card(language, GROUPS)
    assert card["speak"] == text(language, "bind.choose.speak")
    shown = [e["text"] for e in card["body"]]
    assert text(language, "bind.choose.title") in shown
    assert text(language, "bind.choose.text") in shown


@pytest.mark.parametrize("language", list(Language))
def test_choose_group_card_carries_no_text_only_as_emoji(language: Language) -> None:
    card = choose_group_card(language, GROUPS)
    for value in visible_texts(card):
        assert has_words(value), repr(value)


def test_emoji_check_catches_emoji_only_text() -> None:
    assert not has_words("✅ 👍")
    assert has_words("✅ Valmis")


# --- bound_card ---------------------------------------------------------------------------


@pytest.mark.parametrize("language", list(Language))
def test_bound_card_names_the_group_and_has_no_actions(language: Language) -> None:
    card = bound_card(language, GROUPS[0])
    assert_adaptive_card(card)
    assert "actions" not in card
    assert "Action." not in json.dumps(card)
    expected = text(language, "bind.card.done", group=GROUPS[0].name)
    assert [e["text"] for e in card["body"]] == [expected]
    assert card["speak"] == expected
