"""Tests for the built-in day templates, kind names and break tips (domain/templates.py)."""

from __future__ import annotations

from datetime import time, timedelta

import pytest

from domain.org import Language
from domain.plans import ItemKind, Plan, PlanItem, check_plan, item_problems
from domain.templates import (
    BREAK_TIPS,
    KIND_NAMES,
    TEMPLATE_KEYS,
    break_tip,
    template,
    template_names,
    templates,
)

LANGUAGES = list(Language)
MIN = timedelta(minutes=1)


def items_of(key: str, kind: ItemKind, language: Language = Language.FI) -> list[PlanItem]:
    return [item for item in template(key, language).items if item.kind is kind]


def test_the_four_day_scripts_are_built_in() -> None:
    assert TEMPLATE_KEYS == ("youth-day", "virtual-day", "remote-cafe", "healthy-food")


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("key", TEMPLATE_KEYS)
def test_every_template_passes_the_plan_rules(key: str, language: Language) -> None:
    plan = template(key, language)
    check_plan(plan)
    assert item_problems(plan.items) == []
    assert plan.key == key
    assert plan.items[-1].kind is ItemKind.CLOSE


@pytest.mark.parametrize("key", TEMPLATE_KEYS)
def test_languages_share_items_and_times_but_not_titles(key: str) -> None:
    fi, sv, en = (template(key, language) for language in (Language.FI, Language.SV, Language.EN))
    shape = [(i.kind, i.start, i.duration) for i in fi.items]
    assert [(i.kind, i.start, i.duration) for i in sv.items] == shape
    assert [(i.kind, i.start, i.duration) for i in en.items] == shape
    assert len({fi.name, sv.name, en.name}) == 3
    assert [i.title for i in fi.items] != [i.title for i in en.items]
    assert [i.title for i in sv.items] != [i.title for i in en.items]


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("key", TEMPLATE_KEYS)
def test_titles_and_names_are_real_texts(key: str, language: Language) -> None:
    plan = template(key, language)
    assert plan.name.strip()
    assert plan.name != key
    for item in plan.items:
        assert item.title.strip() == item.title
        assert item.title
        assert item.title not in (key, item.kind.value)


def test_templates_and_names_follow_the_keys() -> None:
    for language in LANGUAGES:
        plans = templates(language)
        assert tuple(p.key for p in plans) == TEMPLATE_KEYS
        assert template_names(language) == {p.key: p.name for p in plans}
    assert template_names(Language.FI)["remote-cafe"] == "Etäkahvila"


def test_unknown_template_key_raises_key_error() -> None:
    with pytest.raises(KeyError):
        template("no-such-day", Language.FI)


def test_youth_day_runs_from_check_in_at_nine_to_one() -> None:
    plan = template("youth-day", Language.FI)
    first = plan.items[0]
    assert (first.kind, first.start) == (ItemKind.CHECK_IN, time(9, 0))

    breaks = items_of("youth-day", ItemKind.BREAK)
    assert [b.duration for b in breaks] == [15 * MIN, 15 * MIN]
    assert len(items_of("youth-day", ItemKind.LUNCH)) == 1

    (exercise,) = items_of("youth-day", ItemKind.EXERCISE)
    assert time(10, 0) <= exercise.start <= time(10, 30)
    assert exercise.duration == 60 * MIN

    (feedback,) = items_of("youth-day", ItemKind.FEEDBACK)
    assert feedback.duration == 30 * MIN
    assert feedback.end == time(13, 0)
    assert plan.items[-1].start == time(13, 0)


def test_youth_day_keeps_the_script_order() -> None:
    kinds = [item.kind for item in template("youth-day", Language.EN).items]
    assert kinds == [
        ItemKind.CHECK_IN,
        ItemKind.WELCOME,
        ItemKind.VIDEO,
        ItemKind.BREAK,
        ItemKind.DISCUSSION,
        ItemKind.BREAK,
        ItemKind.EXERCISE,
        ItemKind.LUNCH,
        ItemKind.CONTENT,
        ItemKind.FEEDBACK,
        ItemKind.CLOSE,
    ]


def test_virtual_day_opens_the_line_at_eight_and_runs_ten_to_two() -> None:
    plan = template("virtual-day", Language.FI)
    line_open = plan.items[0]
    assert line_open.kind is ItemKind.LINE_OPEN
    assert (line_open.start, line_open.end) == (time(8, 0), time(10, 0))

    official = plan.items[1:]
    assert official[0].start == time(10, 0)
    assert official[-1].kind is ItemKind.CLOSE
    assert official[-1].start == time(14, 0)
    assert official[-2].end == time(14, 0)
    assert len(items_of("virtual-day", ItemKind.LUNCH)) == 1
    assert len(items_of("virtual-day", ItemKind.FEEDBACK)) == 1


def test_virtual_day_has_a_break_at_least_every_hour() -> None:
    plan = template("virtual-day", Language.FI)
    worked = timedelta(0)
    for item in plan.items[1:]:
        if item.kind.is_break:
            worked = timedelta(0)
        else:
            worked += item.duration
            assert worked <= 60 * MIN, item.title


def test_remote_cafe_is_about_two_hours_with_record_jury_and_a_break() -> None:
    plan = template("remote-cafe", Language.FI)
    length = plan.items[-1].start.hour * 60 + plan.items[-1].start.minute
    length -= plan.items[0].start.hour * 60 + plan.items[0].start.minute
    assert 100 <= length <= 140
    assert any("Levyraati" in item.title for item in plan.items)
    assert len(items_of("remote-cafe", ItemKind.BREAK)) == 1
    assert len(items_of("remote-cafe", ItemKind.FEEDBACK)) == 1


def test_healthy_food_day_checks_teams_and_has_a_ten_minute_break() -> None:
    plan = template("healthy-food", Language.EN)
    titles = " ".join(item.title for item in plan.items)
    for word in ("sound", "camera", "screen", "healthy plate", "goal"):
        assert word in titles
    assert [b.duration for b in items_of("healthy-food", ItemKind.BREAK)] == [10 * MIN]
    assert len(items_of("healthy-food", ItemKind.VIDEO)) == 1


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_kind_has_a_display_name(language: Language) -> None:
    names = KIND_NAMES[language]
    assert set(names) == set(ItemKind)
    assert all(name.strip() for name in names.values())
    assert len(set(names.values())) == len(names)
    assert KIND_NAMES[Language.FI][ItemKind.BREAK] == "tauko"


def test_break_tips_exist_in_every_language_in_equal_number() -> None:
    counts = {language: len(BREAK_TIPS[language]) for language in LANGUAGES}
    assert set(BREAK_TIPS) == set(LANGUAGES)
    assert len(set(counts.values())) == 1
    assert counts[Language.FI] >= 8
    for tips in BREAK_TIPS.values():
        assert len(set(tips)) == len(tips)
        assert all(tip.strip() and tip.endswith(".") for tip in tips)


@pytest.mark.parametrize("language", LANGUAGES)
def test_break_tips_rotate(language: Language) -> None:
    count = len(BREAK_TIPS[language])
    shown = [break_tip(language, n) for n in range(count)]
    assert shown == list(BREAK_TIPS[language])
    assert break_tip(language, count) == shown[0]
    assert break_tip(language, count + 3) == shown[3]
    assert break_tip(language, 0) != break_tip(language, 1)


def test_item_problems_find_each_rule_on_its_item() -> None:
    def item(title: str, start: str, minutes: int) -> PlanItem:
        return PlanItem(ItemKind.CONTENT, title, time.fromisoformat(start), minutes * MIN)

    items = [
        item("a", "09:00", 30),
        item("b", "09:15", 30),
        item("c", "08:00", 10),
        item("d", "23:50", 20),
    ]
    problems = item_problems(items)
    assert [index for index, _ in problems] == [1, 2, 3]
    assert "lasts until 09:30" in problems[0][1]
    assert "time order" in problems[1][1]
    assert "midnight" in problems[2][1]
    assert item_problems(template("youth-day", Language.FI).items) == []
    with pytest.raises(ValueError, match="no items"):
        check_plan(Plan("empty", "Empty", ()))
