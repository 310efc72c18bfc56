"""Day plans: ordered items with a kind, a title, a local start time and a duration."""

from __future__ import annotations

import difflib
import enum
import re
import unicodedata
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, time, timedelta

from domain.org import Language


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


def fold_name(name: str) -> str:
    """A name as typed names are compared with it: lower case, no accents or punctuation."""
    decomposed = unicodedata.normalize("NFKD", name.casefold())
    bare = "".join(c for c in decomposed if not unicodedata.combining(c))
    return " ".join("".join(c if c.isalnum() else " " for c in bare).split())


# "2", "2.", "#2", "nro 2", "nr 2", "no. 2" (as folded: punctuation gone)
_NUMBER = re.compile(r"(?:(?:nro|nr|no|numero|nummer|number) )?(\d{1,4})")
# a typed name is matched by parts of words or a slip only from this length on
_MIN_PART = 3
_SLIP_RATIO = 0.8


def pick_plan(
    plans: Sequence[Plan], typed: str, aliases: Mapping[str, Sequence[str]] | None = None
) -> Plan | None:
    """The one plan typed means, or None (no plan, or more than one, fits).

    typed is a plan's 1-based number in plans, or its name (or key, or an alias by key):
    the whole name; else the words typed begin words of exactly one name ("nuorten" for
    "Nuorten päivä (16–20 v.)"); else they are part of exactly one name; else a slip of one.
    """
    folded = fold_name(typed)
    number = _NUMBER.fullmatch(folded)
    if number is not None:
        index = int(number.group(1))
        return plans[index - 1] if 1 <= index <= len(plans) else None
    if not folded:
        return None
    names = {
        plan.key: {fold_name(n) for n in (plan.name, plan.key, *(aliases or {}).get(plan.key, ()))}
        for plan in plans
    }
    by_key = {plan.key: plan for plan in plans}

    def only(fits: Callable[[str], bool]) -> Plan | None:
        found = {key for key, known in names.items() if any(fits(n) for n in known)}
        return by_key[found.pop()] if len(found) == 1 else None

    exact = only(lambda name: name == folded)
    if exact is not None or len(folded) < _MIN_PART:
        return exact
    words = folded.split()
    begun = only(lambda name: all(any(w.startswith(t) for w in name.split()) for t in words))
    if begun is not None:
        return begun
    inside = only(lambda name: folded.replace(" ", "") in name.replace(" ", ""))
    if inside is not None:
        return inside
    ratios = {
        key: max(difflib.SequenceMatcher(None, folded, n).ratio() for n in known)
        for key, known in names.items()
    }
    ranked = sorted(ratios.items(), key=lambda kr: -kr[1])
    if not ranked or ranked[0][1] < _SLIP_RATIO:
        return None
    if len(ranked) > 1 and ranked[1][1] >= ranked[0][1] - 0.05:
        return None
    return by_key[ranked[0][0]]


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


def _clock(minutes: float) -> str:
    whole = int(minutes)
    return f"{whole // 60:02d}:{whole % 60:02d}"


def item_problems(items: Sequence[PlanItem]) -> list[tuple[int, str]]:
    """Every break of check_plan's item rules, as (item index, message) pairs."""
    problems: list[tuple[int, str]] = []
    previous: PlanItem | None = None
    previous_start = previous_end = -1.0
    for index, item in enumerate(items):
        start = item.start.hour * 60 + item.start.minute
        end = start + item.duration.total_seconds() / 60
        if item.duration <= timedelta(0):
            problems.append((index, f"item {item.title!r} has no duration"))
        if previous is not None and start < previous_start:
            problems.append(
                (
                    index,
                    f"item {item.title!r} starts at {_clock(start)}, before the previous item "
                    f"{previous.title!r} ({_clock(previous_start)}); list the items in time order",
                )
            )
        elif previous is not None and start < previous_end:
            problems.append(
                (
                    index,
                    f"item {item.title!r} starts at {_clock(start)}, but the previous item "
                    f"{previous.title!r} lasts until {_clock(previous_end)}",
                )
            )
        if end > 24 * 60:
            problems.append((index, f"item {item.title!r} runs past midnight"))
        previous, previous_start, previous_end = item, start, end
    return problems


@dataclass(frozen=True, slots=True)
class WeeklySchedule:
    """A group's weekly recurrence: on this weekday (0 = Monday) the group has a day on plan_key."""

    group_key: str
    weekday: int
    plan_key: str
    language: Language | None = None
    starts: date | None = None
    ends: date | None = None
    line: int = 0


@dataclass(frozen=True, slots=True)
class PlanFile:
    """A validated plan file: its own plans and the weekly schedules of groups."""

    plans: tuple[Plan, ...] = ()
    schedules: tuple[WeeklySchedule, ...] = ()
    plan_lines: dict[str, int] = field(default_factory=dict, compare=False)


@dataclass(frozen=True, slots=True)
class PlanFileError:
    """One problem in a plan file, with the 1-based line it is on."""

    line: int
    message: str

    def __str__(self) -> str:
        return f"line {self.line}: {self.message}"


class PlanFileInvalid(Exception):
    """A plan file had problems; nothing was changed."""

    def __init__(self, errors: list[PlanFileError]) -> None:
        super().__init__("\n".join(str(e) for e in errors))
        self.errors = errors
