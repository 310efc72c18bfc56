"""The digest cards: what they say, and that every card stays within MAX_CARD."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import UTC, date, datetime
from typing import Any

import pytest

from cards.digest import MAX_CARD, MORE_VERB, DigestCardRenderer, lines, size
from domain.digest.model import (
    Counts,
    DaySummary,
    DayView,
    Delivery,
    Flag,
    FlagKind,
    MoreView,
    Named,
    Section,
    StepHelp,
    WeekRate,
)
from domain.feedback.model import Results, Round, Text, TextKind, Trigger
from domain.i18n import text
from domain.org import Language
from domain.rollcall.model import Reason
from tests.fakes.adaptive_cards import walk

DAY = date(2026, 12, 3)
AT = datetime(2026, 12, 3, 8, 0, tzinfo=UTC)
ROUND = Round(1, DAY, "c", AT, AT, Trigger.ITEM, id=1)
LONG = "Pitkänimi-Esimerkkinen-Virtanen-Korhonen-Mäkinen-Nieminen "  # a long, real-looking name


def said(card: dict[str, Any]) -> str:
    return json.dumps(card, ensure_ascii=False)


def full_view(language: Language = Language.FI, n: int = 60) -> DayView:
    """60 clients all absent (or excused, late, left early) with long names; every list full."""
    names = [f"{LONG}{i:02d} Ääkkönen-Öljynen" for i in range(n)]
    texts = tuple(
        Text(TextKind.GOOD if i % 2 else TextKind.IDEA, "ä" * 1000, names[i] if i % 3 else None)
        for i in range(n)
    )
    results = Results(ROUND, tuple([1, 2, 3, 4, 5, 6] * 10), texts, asked=n)
    return DayView(
        language=language,
        group_id=7,
        group_name="IT-ryhmä " + "x" * 150,
        unit_name="IT-paja",
        day=DAY,
        summary=DaySummary(
            counts=Counts(clients=n, absent=n, excused=n, late=n, left_early=n),
            absent=tuple(Named(x) for x in names),
            late=tuple(Named(x) for x in names),
            excused=tuple(Named(x, Reason.CHILD_SICK) for x in names),
            left_early=tuple(Named(x) for x in names),
        ),
        feedback=results,
        help=tuple(StepHelp(f"step-{i}", i, i, i) for i in range(20)),
        delivery=Delivery(
            dead_letters=12,
            group_chat_removed=True,
            removed_from=tuple(names),
            not_reached=tuple(names),
        ),
        flags=(
            Flag(FlagKind.FALLING),
            *(Flag(FlagKind.ABSENT_STREAK, x, 12) for x in names),
            *(Flag(FlagKind.HELP_REPEATS, x, 3) for x in names),
            *(Flag(FlagKind.GUIDE_UNFINISHED, x, 9) for x in names),
        ),
        trend=(
            WeekRate(45, date(2026, 11, 2), 0.9),
            WeekRate(46, date(2026, 11, 9), 0.8),
            WeekRate(47, date(2026, 11, 16), None),
            WeekRate(48, date(2026, 11, 23), 0.5),
        ),
    )


@pytest.mark.parametrize("language", list(Language))
def test_sixty_absent_with_long_names_and_every_section_full_stay_within_the_limit(
    language: Language,
) -> None:
    view = full_view(language)
    card = DigestCardRenderer().day(view)
    assert size(card) <= MAX_CARD
    assert len(json.dumps(card, separators=(",", ":"), ensure_ascii=False)) <= MAX_CARD
    buttons = [a for a in walk(card) if a.get("type") == "Action.Execute"]
    sections = {b["data"]["section"] for b in buttons}
    assert sections == {s.value for s in Section}
    assert all(b["verb"] == MORE_VERB and b["data"]["group"] == "7" for b in buttons)
    assert all(b["data"]["day"] == "2026-12-03" for b in buttons)
    assert text(language, "digest.and_more", count=60 - 20) in said(card) or text(
        language, "digest.and_more", count=60 - 10
    ) in said(card)


@pytest.mark.parametrize("section", list(Section))
def test_show_all_gives_the_whole_list_over_cards_within_the_limit(section: Section) -> None:
    view = full_view()
    cards = DigestCardRenderer().more(MoreView(view, section))
    assert all(size(c) <= MAX_CARD for c in cards)
    shown = [
        run["text"]
        for c in cards
        for block in walk(c)
        if block.get("type") == "RichTextBlock"
        for run in block["inlines"]
    ]
    assert shown == lines(view, section)
    if len(cards) > 1:
        assert text(Language.FI, "digest.more.part", n=1, of=len(cards)) in said(cards[0])


def test_a_small_day_shows_every_name_with_reasons_and_no_button() -> None:
    view = full_view(n=4)
    card = DigestCardRenderer().day(view)
    words = said(card)
    assert not [a for a in walk(card) if a.get("type") == "Action.Execute"]
    reason = text(Language.FI, "rollcall.reason.child_sick")
    assert (
        text(Language.FI, "digest.with_reason", name=view.summary.excused[0].name, reason=reason)
        in words
    )
    assert (
        text(
            Language.FI,
            "digest.trend.week",
            week=47,
            rate=text(Language.FI, "digest.trend.no_days"),
        )
        in words
    )
    charts = {e["type"] for e in walk(card) if str(e.get("type", "")).startswith("Chart.")}
    assert charts == {"Chart.VerticalBar", "Chart.Line"}


@pytest.mark.parametrize("language", list(Language))
def test_a_day_not_over_says_who_is_on_the_way_not_zero_full_days(language: Language) -> None:
    view = full_view(language, n=4)
    going = replace(view.summary.counts, activity=0, on_the_way=3)
    card = DigestCardRenderer().day(replace(view, summary=replace(view.summary, counts=going)))
    words = said(card)
    assert text(language, "digest.activity_on_the_way", count=3) in words
    assert text(language, "digest.activity", count=0) not in words


def test_fewer_than_three_answers_show_only_the_count() -> None:
    view = full_view(n=4)
    few = Results(ROUND, (6, 6), (Text(TextKind.GOOD, "salainen kommentti", "Asiakas"),), asked=4)
    from dataclasses import replace

    card = DigestCardRenderer().day(replace(view, feedback=few))
    words = said(card)
    assert text(Language.FI, "digest.feedback.few", count=2, min=3) in words
    assert "salainen kommentti" not in words
    assert not [e for e in walk(card) if e.get("type") == "Chart.VerticalBar"]


def test_anonymous_texts_have_no_name() -> None:
    view = full_view(n=4)
    texts = (Text(TextKind.GOOD, "hyvä päivä", None), Text(TextKind.IDEA, "lisää peliä", "Maija"))
    from dataclasses import replace

    card = DigestCardRenderer().day(replace(view, feedback=Results(ROUND, (5, 5, 6), texts, 3)))
    runs = [r["text"] for b in walk(card) if b.get("type") == "RichTextBlock" for r in b["inlines"]]
    assert "hyvä päivä" in runs
    assert text(Language.FI, "digest.feedback.by", text="lisää peliä", name="Maija") in runs
