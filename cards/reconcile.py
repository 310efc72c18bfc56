"""Teams' attendance report on cards: short suggestions, each with a button that opens the
usual correction (the instructor still chooses, writes the reason and saves)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta
from typing import Any
from zoneinfo import ZoneInfo

from cards.common import execute, small, strong
from cards.payload import CardAction
from domain.durations import format_duration
from domain.i18n import clock, text
from domain.org import Language
from domain.reconcile import DayNote, Finding, Problem, Suggestion
from domain.rollcall.model import MAX_NOTE, RollCall

SUGGEST_VERB = "attendance.suggest"
MAX_SHOWN = 10  # suggestions drawn on a card; the rest are counted

Element = dict[str, Any]


def _written(value: str) -> Element:
    """Names as they are written (no Markdown)."""
    return {"type": "RichTextBlock", "inlines": [{"type": "TextRun", "text": value}]}


def suggestion_text(language: Language, suggestion: Suggestion, zone: ZoneInfo) -> str:
    """One suggestion in a short sentence, with the person's name."""
    if suggestion.finding is Finding.LEFT_EARLY and suggestion.left_at is not None:
        return text(
            language,
            "reconcile.left_early",
            name=suggestion.name,
            time=clock(language, suggestion.left_at, zone),
        )
    key = "reconcile.joined" if suggestion.finding is Finding.JOINED else "reconcile.short_stay"
    duration = format_duration(timedelta(minutes=suggestion.minutes), language)
    return text(language, key, name=suggestion.name, duration=duration)


def correction_note(language: Language, suggestion: Suggestion, zone: ZoneInfo) -> str:
    """The reason offered in the correction's field (the instructor may rewrite it)."""
    said = text(language, "reconcile.note", said=suggestion_text(language, suggestion, zone))
    return said[:MAX_NOTE]


def problem_text(language: Language, problem: Problem) -> str:
    """Why the report was not available, in words."""
    return text(language, f"reconcile.problem.{problem.value}")


def attendance_section(
    language: Language,
    suggestions: Sequence[Suggestion],
    roll_call: RollCall | None,
    editable: bool,
    zone: ZoneInfo,
) -> list[Element]:
    """The attendance list's "Teams' attendance report" part (nothing when it has nothing)."""
    if not suggestions:
        return []
    body: list[Element] = [
        strong(text(language, "reconcile.heading")),
        small(text(language, "reconcile.hint")),
    ]
    for suggestion in suggestions[:MAX_SHOWN]:
        body.append(_written(suggestion_text(language, suggestion, zone)))
        if editable and roll_call is not None and suggestion.suggested is not None:
            action = CardAction(
                SUGGEST_VERB,
                {"rollcall": str(roll_call.id), "person": str(suggestion.person_id)},
            )
            body.append(
                {
                    "type": "ActionSet",
                    "actions": [execute(text(language, "reconcile.button.correct"), action)],
                }
            )
    left = len(suggestions) - MAX_SHOWN
    if left > 0:
        body.append(small(text(language, "reconcile.and_more", count=left)))
    return body


def digest_section(language: Language, note: DayNote | None, cap: int = MAX_SHOWN) -> list[Element]:
    """The digest's part: the suggestions, why the report was not available, or that it is
    coming; nothing when Graph is off or there was no meeting. At most `cap` suggestions
    (and MAX_SHOWN) are written out, the rest counted."""
    if note is None:
        return []
    body: list[Element] = [strong(text(language, "reconcile.heading"))]
    zone = ZoneInfo(note.zone)
    if note.problem is not None:
        body.append(
            _written(
                text(
                    language,
                    "reconcile.unavailable",
                    reason=problem_text(language, note.problem),
                )
            )
        )
    elif note.waiting:
        body.append(small(text(language, "reconcile.waiting")))
    elif not note.suggestions:
        body.append(small(text(language, "reconcile.agrees")))
    else:
        body.append(small(text(language, "reconcile.digest_hint")))
        shown = note.suggestions[: min(cap, MAX_SHOWN)]
        body.extend(_written(suggestion_text(language, s, zone)) for s in shown)
        left = len(note.suggestions) - len(shown)
        if left > 0:
            body.append(small(text(language, "reconcile.and_more", count=left)))
    return body
