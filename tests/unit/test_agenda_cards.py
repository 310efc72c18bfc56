"""The agenda's cards and announcements: one message per moment, in the group's language."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, time, timedelta
from typing import Any

import pytest

from cards.agenda import CardRenderer, agenda_card, choose_plan_card, waiting_card
from domain import days as d
from domain.agenda import Rendered, folded, moments
from domain.i18n import text
from domain.org import Language
from domain.plans import ItemKind, Plan, PlanItem

WARN = timedelta(minutes=2)


def day_of(language: Language, *items: tuple[ItemKind, str, str, int]) -> d.GroupDay:
    plan = Plan(
        key="p",
        name="Päivä",
        items=tuple(
            PlanItem(kind, title, time.fromisoformat(start), timedelta(minutes=minutes))
            for kind, title, start, minutes in items
        ),
    )
    placed = d.place_plan(plan, 1, date(2026, 12, 3), "Europe/Helsinki", language)
    return replace(d.start(placed, placed.starts), id=7)


def texts(card: dict[str, Any] | None) -> list[str]:
    assert card is not None
    return [b["text"] for b in card["body"] if b.get("type") == "TextBlock"]


@pytest.mark.parametrize("language", [Language.FI, Language.SV, Language.EN])
def test_a_break_ending_as_the_next_item_starts_is_one_card(language: Language) -> None:
    day = day_of(
        language,
        (ItemKind.BREAK, "Tauko", "10:00", 15),
        (ItemKind.CONTENT, "Aihe", "10:15", 45),
        (ItemKind.CLOSE, "Loppu", "11:00", 5),
    )
    due = [e for e in d.timer_events(day, WARN) if e.key in ("0:end", "1:start")]
    assert len(moments(due)) == 1
    said = CardRenderer().events(day, due)
    assert said.text is None  # the card says it all
    lines = texts(said.card)
    assert lines[:3] == [
        text(language, "event.break_end_last"),
        text(language, "event.start", title="Aihe"),
        text(
            language,
            "event.next",
            title="Loppu",
            time="11:00" if language is Language.EN else "11.00",
        ),
    ]
    assert text(language, "event.back_count", count=0) in lines


def test_a_break_followed_by_a_gap_says_what_comes_next() -> None:
    day = day_of(
        Language.FI,
        (ItemKind.BREAK, "Tauko", "10:00", 15),
        (ItemKind.CONTENT, "Aihe", "10:30", 30),
    )
    ended = [e for e in d.timer_events(day, WARN) if e.key == "0:end"]
    lines = texts(CardRenderer().events(day, ended).card)
    assert lines[0] == text(Language.FI, "event.break_end", title="Aihe")


@pytest.mark.parametrize("language", [Language.FI, Language.SV, Language.EN])
def test_a_short_breaks_warning_says_one_minute_in_the_singular(language: Language) -> None:
    day = day_of(
        language, (ItemKind.BREAK, "Tauko", "10:00", 2), (ItemKind.CONTENT, "A", "10:02", 5)
    )
    warning = [e for e in d.timer_events(day, WARN) if e.kind is d.EventKind.BREAK_WARNING]
    said = CardRenderer().events(day, warning).text
    end = "10:02" if language is Language.EN else "10.02"
    assert said == text(language, "event.break_warning", count=1, end=end)
    assert " 1 minutes" not in said and " 1 minuter" not in said


def test_folding_puts_texts_above_the_card_and_keeps_the_cards_key() -> None:
    card = {"type": "AdaptiveCard"}
    parts = [
        ("a", Rendered(text="one")),
        ("b", Rendered(text="two")),
        ("c", Rendered(card=card)),
        ("d", Rendered(card=card)),
        ("e", Rendered(text="three")),
    ]
    assert folded(parts) == [
        ("c", Rendered(text="one\n\ntwo", card=card)),
        ("d", Rendered(card=card)),
        ("e", Rendered(text="three")),
    ]


def test_the_shared_cards_have_no_instructor_buttons_but_refresh_for_instructors() -> None:
    day = day_of(Language.SV, (ItemKind.CONTENT, "Aihe", "10:00", 30))
    now = day.starts
    shared = agenda_card(day, now, for_instructor=False, refresh_user_ids=("29:i",))
    assert "actions" not in shared
    assert shared["refresh"]["userIds"] == ["29:i"]
    own = agenda_card(day, now, for_instructor=True, refresh_user_ids=("29:i",))
    assert own["actions"]
    waiting = waiting_card(Language.SV, ("29:i",))
    assert "actions" not in waiting
    assert waiting["refresh"]["action"]["data"]["plans"] == "today"
    picker = choose_plan_card(Language.SV, [], ("29:i",))
    assert picker["refresh"] == waiting["refresh"]
