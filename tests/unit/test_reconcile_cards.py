"""Teams' attendance report on the attendance list and the digest: short, in every language,
valid cards, buttons carrying only the roll call and the person."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from cards.digest import MAX_CARD, DigestCardRenderer, size
from cards.reconcile import (
    MAX_SHOWN,
    SUGGEST_VERB,
    attendance_section,
    correction_note,
    digest_section,
    suggestion_text,
)
from domain.i18n import text
from domain.org import Language
from domain.reconcile import DayNote, Finding, Problem, Suggestion
from domain.rollcall.model import MAX_NOTE, RollCall, Status
from tests.fakes.adaptive_cards import card_problem, walk
from tests.unit.test_digest_cards import full_view

ZONE = ZoneInfo("Europe/Helsinki")
DAY = date(2026, 12, 3)
LEFT = datetime(2026, 12, 3, 8, 30, tzinfo=UTC)  # 10.30 in Helsinki
ROLL_CALL = RollCall(
    group_id=1,
    day=DAY,
    number=1,
    conversation_id="19:group",
    opened_at=datetime(2026, 12, 3, 7, 0, tzinfo=UTC),
    grace=timedelta(minutes=10),
    closed_at=datetime(2026, 12, 3, 7, 30, tzinfo=UTC),
    opened_by=2,
    id=41,
)
SUGGESTIONS = (
    Suggestion(5, "Jari", Finding.JOINED, 165, LEFT, Status.PRESENT),
    Suggestion(6, "Maija", Finding.SHORT_STAY, 10, LEFT, Status.LEFT_EARLY),
    Suggestion(7, "Pekka", Finding.SHORT_STAY, 3, LEFT, None),
    Suggestion(8, "Liisa", Finding.LEFT_EARLY, 90, LEFT, Status.LEFT_EARLY),
)


def said(elements: Any) -> str:
    return json.dumps(elements, ensure_ascii=False)


def as_card(body: list[dict[str, Any]]) -> dict[str, Any]:
    return {"type": "AdaptiveCard", "version": "1.5", "body": body}


@pytest.mark.parametrize("language", list(Language))
def test_the_attendance_list_says_each_suggestion_with_a_button_where_a_change_fits(
    language: Language,
) -> None:
    body = attendance_section(language, SUGGESTIONS, ROLL_CALL, True, ZONE)
    words = said(body)
    assert text(language, "reconcile.heading") in words
    assert text(language, "reconcile.joined", name="Jari", duration="2 h 45 min") in words
    assert text(language, "reconcile.short_stay", name="Maija", duration="10 min") in words
    time = "10.30" if language is not Language.EN else "10:30"
    assert text(language, "reconcile.left_early", name="Liisa", time=time) in words
    buttons = [e for e in walk(body) if e.get("type") == "Action.Execute"]
    assert [b["verb"] for b in buttons] == [SUGGEST_VERB] * 3
    # only ids: the roll call and the person; what to set is decided again on the tap
    assert [b["data"] for b in buttons] == [
        {"verb": SUGGEST_VERB, "rollcall": "41", "person": str(p)} for p in (5, 6, 8)
    ]
    assert card_problem(as_card(body)) is None


def test_names_are_written_as_they_are_and_read_only_lists_have_no_buttons() -> None:
    odd = Suggestion(9, "**[x](https://evil)**", Finding.JOINED, 30, None, Status.PRESENT)
    body = attendance_section(Language.FI, (odd,), ROLL_CALL, False, ZONE)
    runs = [e for e in walk(body) if e.get("type") == "TextRun"]
    assert runs and runs[0]["text"].startswith("**[x](https://evil)**:")
    assert not [e for e in walk(body) if e.get("type") == "Action.Execute"]
    assert attendance_section(Language.FI, (), ROLL_CALL, True, ZONE) == []


def test_many_suggestions_are_cut_and_counted() -> None:
    many = tuple(replace(SUGGESTIONS[0], person_id=i, name=f"N{i}") for i in range(25))
    body = attendance_section(Language.FI, many, ROLL_CALL, True, ZONE)
    assert len([e for e in walk(body) if e.get("type") == "Action.Execute"]) == MAX_SHOWN
    assert text(Language.FI, "reconcile.and_more", count=25 - MAX_SHOWN) in said(body)


def test_the_offered_reason_fits_the_field() -> None:
    long = replace(SUGGESTIONS[0], name="x" * 400)
    note = correction_note(Language.FI, long, ZONE)
    assert len(note) <= MAX_NOTE
    assert note.startswith(text(Language.FI, "reconcile.note", said="")[:10])


@pytest.mark.parametrize("language", list(Language))
@pytest.mark.parametrize("problem", list(Problem))
def test_the_digest_says_why_the_report_was_not_available(
    language: Language, problem: Problem
) -> None:
    body = digest_section(language, DayNote(problem=problem))
    reason = text(language, f"reconcile.problem.{problem.value}")
    assert text(language, "reconcile.unavailable", reason=reason) in said(body)
    assert card_problem(as_card(body)) is None


@pytest.mark.parametrize("language", list(Language))
def test_the_digest_says_waiting_agreeing_or_the_suggestions_and_nothing_without_graph(
    language: Language,
) -> None:
    assert digest_section(language, None) == []
    assert text(language, "reconcile.waiting") in said(
        digest_section(language, DayNote(waiting=True))
    )
    assert text(language, "reconcile.agrees") in said(digest_section(language, DayNote()))
    body = digest_section(language, DayNote(suggestions=SUGGESTIONS))
    assert all(suggestion_text(language, s, ZONE) in said(body) for s in SUGGESTIONS)
    assert not [e for e in walk(body) if e.get("type") == "Action.Execute"]


def test_a_full_digest_with_sixty_suggestions_stays_within_the_limit() -> None:
    long = "Pitkänimi-Esimerkkinen-Virtanen-Korhonen-Mäkinen-Nieminen "
    many = tuple(
        Suggestion(i, f"{long}{i:02d}", Finding.JOINED, 100, LEFT, Status.PRESENT)
        for i in range(60)
    )
    view = replace(full_view(), graph=DayNote(suggestions=many))
    card = DigestCardRenderer().day(view)
    assert size(card) <= MAX_CARD
    assert text(Language.FI, "reconcile.heading") in said(card)
