"""Tests for finding the plan an instructor typed: by its number, or forgivingly by its name."""

from __future__ import annotations

import pytest

from domain.org import Language
from domain.plans import fold_name, pick_plan
from domain.templates import TEMPLATE_KEYS, template, templates

FI = list(templates(Language.FI))
ALIASES = {key: [template(key, other).name for other in Language] for key in TEMPLATE_KEYS}


def test_a_name_is_folded_to_plain_lower_case_words() -> None:
    assert fold_name("Nuorten päivä (16–20 v.)") == "nuorten paiva 16 20 v"
    assert fold_name("  Distanscafé!") == "distanscafe"


@pytest.mark.parametrize(
    ("typed", "key"),
    [
        ("1", "youth-day"),
        ("2", "virtual-day"),
        ("2.", "virtual-day"),
        ("#3", "remote-cafe"),
        ("nro 4", "healthy-food"),
        ("Nuorten päivä (16–20 v.)", "youth-day"),
        ("nuorten päivä", "youth-day"),
        ("NUORTEN PAIVA", "youth-day"),
        ("nuorten", "youth-day"),
        ("etäkahvila", "remote-cafe"),
        ("kahvila", "remote-cafe"),
        ("etäkahvla", "remote-cafe"),
        ("terveelinen ruoka", "healthy-food"),
        ("neljän tunnin", "virtual-day"),
        ("remote-cafe", "remote-cafe"),
        ("Distanscafé", "remote-cafe"),  # the template's Swedish name
        ("youth day", "youth-day"),
    ],
)
def test_a_plan_is_found_by_number_or_name(typed: str, key: str) -> None:
    found = pick_plan(FI, typed, ALIASES)
    assert found is not None, typed
    assert found.key == key


@pytest.mark.parametrize("typed", ["0", "5", "9", "123", "", "x", "etä", "ohjelma", "jotain muuta"])
def test_no_plan_or_more_than_one_is_none(typed: str) -> None:
    assert pick_plan(FI, typed, ALIASES) is None


def test_numbers_follow_the_order_given() -> None:
    reversed_plans = list(reversed(FI))
    found = pick_plan(reversed_plans, "1")
    assert found is not None
    assert found.key == FI[-1].key
