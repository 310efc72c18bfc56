"""Day plans: ordered items with a kind, a title, a local start time and a duration."""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import time, timedelta


class ItemKind(enum.StrEnum):
    """What happens in a plan item; breaks and lunch get break announcements."""

    LINE_OPEN = "line_open"
    CHECK_IN = "check_in"
    WELCOME = "welcome"
    CONTENT = "content"
    VIDEO = "video"
    DISCUSSION = "discussion"
    EXERCISE = "exercise"
    BREAK = "break"
    LUNCH = "lunch"
    FEEDBACK = "feedback"
    CLOSE = "close"

    @property
    def is_break(self) -> bool:
        """Breaks and lunch: announced with their end time, a tip, a warning and an end."""
        return self in (ItemKind.BREAK, ItemKind.LUNCH)


@dataclass(frozen=True, slots=True)
class PlanItem:
    """One item of a plan, in the group's local time."""

    kind: ItemKind
    title: str
    start: time
    duration: timedelta

    @property
    def end(self) -> time:
        """Local end time (plans stay within one day)."""
        minutes = (
            self.start.hour * 60 + self.start.minute + int(self.duration.total_seconds() // 60)
        )
        return time(minutes // 60 % 24, minutes % 60)


@dataclass(frozen=True, slots=True)
class Plan:
    """A named day plan (a built-in template or an imported one) in one language."""

    key: str
    name: str
    items: tuple[PlanItem, ...]


class PlanInvalid(ValueError):
    """A plan breaks a rule (order, overlap, length)."""


def check_plan(plan: Plan) -> None:
    """Raise PlanInvalid unless items exist, start in order, do not overlap and end the same day."""
    if not plan.items:
        raise PlanInvalid(f"plan {plan.key!r} has no items")
    previous_end = -1.0
    for item in plan.items:
        start = item.start.hour * 60 + item.start.minute
        end = start + item.duration.total_seconds() / 60
        if item.duration <= timedelta(0):
            raise PlanInvalid(f"item {item.title!r} has no duration")
        if start < previous_end:
            raise PlanInvalid(f"item {item.title!r} starts before the previous item ends")
        if end > 24 * 60:
            raise PlanInvalid(f"item {item.title!r} runs past midnight")
        previous_end = end
