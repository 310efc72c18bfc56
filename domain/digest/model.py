"""What the coordinators' daily digest says of a group's day, and its follow-up flags.

Pure: counted from the attendance read model (clients only; guests are not in the counts),
help requests, guide progress and delivery problems given as plain data. The flags come from
attendance, help requests and the guide only, never from feedback.
"""

from __future__ import annotations

import enum
import itertools
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from domain.feedback.model import Results
from domain.org import Language
from domain.reconcile import DayNote
from domain.rollcall.attendance import AttendeeRole, DayAttendance
from domain.rollcall.model import Reason, Status

DEFAULT_ABSENT_STREAK = 3
TREND_WEEKS = 4
HELP_REPEATS = 2  # help requests in the last 7 days that make a flag
HELP_DAYS = 7
GUIDE_DAYS = 7  # a guide started this long ago and not finished is flagged


class Section(enum.StrEnum):
    """A list of the card that can be cut, and shown in full with "show all"."""

    ABSENT = "absent"
    LATE = "late"
    EXCUSED = "excused"
    LEFT_EARLY = "left_early"
    FLAGS = "flags"
    TEXTS = "texts"


class FlagKind(enum.StrEnum):
    """Why a client (or the group) needs a coordinator's attention."""

    ABSENT_STREAK = "absent_streak"  # absent on the last N held group days
    FALLING = "falling"  # the group's weekly attendance rate has fallen over four weeks
    HELP_REPEATS = "help_repeats"  # two or more help requests in the last 7 days
    GUIDE_UNFINISHED = "guide_unfinished"  # the guide started a week ago and is not finished


@dataclass(frozen=True, slots=True)
class Counts:
    """A group day's clients by their day's status; the rate is took part / clients."""

    clients: int = 0
    present: int = 0
    late: int = 0
    left_early: int = 0
    excused: int = 0
    absent: int = 0
    unmarked: int = 0
    activity: int = 0  # full statutory activity days
    on_the_way: int = 0  # the day is not over yet, and so far it is a full day

    @property
    def took_part(self) -> int:
        """Present, late or left early: here at some point of the day."""
        return self.present + self.late + self.left_early

    @property
    def rate(self) -> float | None:
        """Took part / clients (None without clients)."""
        return self.took_part / self.clients if self.clients else None


@dataclass(frozen=True, slots=True)
class Named:
    """A person on a list of the card, with the reason of an excused absence."""

    name: str
    reason: Reason | None = None


@dataclass(frozen=True, slots=True)
class DaySummary:
    """A group day's attendance for the digest: counts and the lists of names."""

    counts: Counts
    absent: tuple[Named, ...] = ()
    late: tuple[Named, ...] = ()
    excused: tuple[Named, ...] = ()
    left_early: tuple[Named, ...] = ()
    not_held: bool = False


def _reason(line_marks: Iterable[object]) -> Reason | None:
    """The reason written on the day's excused mark (the last one that has one)."""
    found: Reason | None = None
    for mark in line_marks:
        reason = getattr(mark, "reason", None)
        if mark is not None and getattr(mark, "status", None) is Status.EXCUSED and reason:
            found = reason
    return found


def _by_name(items: Iterable[Named]) -> tuple[Named, ...]:
    return tuple(sorted(items, key=lambda n: (n.name.casefold(), n.name)))


def summarise(record: DayAttendance) -> DaySummary:
    """Counts and names of a group's day (clients only)."""
    counts: Counter[str] = Counter()
    absent: list[Named] = []
    late: list[Named] = []
    excused: list[Named] = []
    left: list[Named] = []
    clients = [line for line in record.people if line.role is AttendeeRole.CLIENT]
    for line in clients:
        status = line.status
        if line.full_day:
            counts["activity"] += 1
        if line.on_the_way:
            counts["on_the_way"] += 1
        if status is None:
            counts["unmarked"] += 1
        elif status is Status.PRESENT:
            counts["present"] += 1
        elif status is Status.LATE:
            counts["late"] += 1
            late.append(Named(line.name))
        elif status is Status.LEFT_EARLY:
            counts["left_early"] += 1
            left.append(Named(line.name))
        elif status is Status.EXCUSED:
            counts["excused"] += 1
            excused.append(Named(line.name, _reason(line.marks)))
        elif status is Status.ABSENT:
            counts["absent"] += 1
            absent.append(Named(line.name))
    return DaySummary(
        counts=Counts(
            clients=len(clients),
            present=counts["present"],
            late=counts["late"],
            left_early=counts["left_early"],
            excused=counts["excused"],
            absent=counts["absent"],
            unmarked=counts["unmarked"],
            activity=counts["activity"],
            on_the_way=counts["on_the_way"],
        ),
        absent=_by_name(absent),
        late=_by_name(late),
        excused=_by_name(excused),
        left_early=_by_name(left),
        not_held=record.not_held,
    )


def counted(record: DayAttendance) -> bool:
    """A day that counts for streaks and trends: roll calls were held and it was not cancelled."""
    return record.held and not record.not_held


@dataclass(frozen=True, slots=True)
class Flag:
    """One follow-up flag: its kind, whom it is about (empty for the group), and a number
    (the streak's days, the requests, the guide's days)."""

    kind: FlagKind
    name: str = ""
    value: int = 0


def absent_streaks(records: Sequence[DayAttendance], n: int = DEFAULT_ABSENT_STREAK) -> list[Flag]:
    """Clients absent (absent or excused, never here) on each of the last n held group days.

    Days not held (no roll call, or cancelled) are skipped; value: the streak's length."""
    held = [r for r in sorted(records, key=lambda r: r.day) if counted(r)]
    if len(held) < n:
        return []
    streaks: dict[int, int] = {}
    names: dict[int, str] = {}
    broken: set[int] = set()
    for record in reversed(held):
        for line in record.people:
            if line.role is not AttendeeRole.CLIENT or line.person_id in broken:
                continue
            names[line.person_id] = line.name
            if line.status in (Status.ABSENT, Status.EXCUSED):
                streaks[line.person_id] = streaks.get(line.person_id, 0) + 1
            else:
                broken.add(line.person_id)
    flags = [
        Flag(FlagKind.ABSENT_STREAK, names[pid], days) for pid, days in streaks.items() if days >= n
    ]
    return sorted(flags, key=lambda f: (-f.value, f.name.casefold()))


@dataclass(frozen=True, slots=True)
class WeekRate:
    """A week's attendance rate: ISO week number, its Monday, took part / client days."""

    week: int
    monday: date
    rate: float | None  # None: no held group day that week


def weekly_rates(
    records: Sequence[DayAttendance], last: date, weeks: int = TREND_WEEKS
) -> tuple[WeekRate, ...]:
    """The group's attendance rate in each of the `weeks` ISO weeks ending with last's week."""
    monday = last - timedelta(days=last.weekday())
    mondays = [monday - timedelta(weeks=w) for w in range(weeks - 1, -1, -1)]
    took: Counter[date] = Counter()
    of: Counter[date] = Counter()
    for record in records:
        if not counted(record) or record.day > last:
            continue
        week = record.day - timedelta(days=record.day.weekday())
        summary = summarise(record)
        took[week] += summary.counts.took_part
        of[week] += summary.counts.clients
    return tuple(
        WeekRate(m.isocalendar().week, m, took[m] / of[m] if of[m] else None) for m in mondays
    )


def falling(rates: Sequence[WeekRate]) -> bool:
    """At least three weeks with group days, never rising from one to the next, and lower at
    the end than at the start."""
    values = [r.rate for r in rates if r.rate is not None]
    if len(values) < 3:
        return False
    return all(b <= a for a, b in itertools.pairwise(values)) and values[-1] < values[0]


@dataclass(frozen=True, slots=True)
class HelpItem:
    """A help request as the digest counts it."""

    person_id: int
    name: str
    step: str
    status: str  # open / taken / resolved
    created_at: datetime


def help_repeats(
    requests: Iterable[HelpItem], until: datetime, minimum: int = HELP_REPEATS
) -> list[Flag]:
    """Clients with at least `minimum` help requests in the HELP_DAYS before `until`."""
    since = until - timedelta(days=HELP_DAYS)
    counts: Counter[tuple[int, str]] = Counter(
        (r.person_id, r.name) for r in requests if since <= r.created_at <= until
    )
    flags = [
        Flag(FlagKind.HELP_REPEATS, name, n) for (_pid, name), n in counts.items() if n >= minimum
    ]
    return sorted(flags, key=lambda f: (-f.value, f.name.casefold()))


@dataclass(frozen=True, slots=True)
class GuideProgress:
    """A client's guide: when it started and whether it was finished."""

    person_id: int
    name: str
    started_at: datetime
    completed_at: datetime | None = None


def unfinished_guides(progress: Iterable[GuideProgress], now: datetime) -> list[Flag]:
    """Clients whose guide started GUIDE_DAYS or more ago and is not finished (value: days)."""
    flags = [
        Flag(FlagKind.GUIDE_UNFINISHED, p.name, (now - p.started_at).days)
        for p in progress
        if p.completed_at is None and now - p.started_at >= timedelta(days=GUIDE_DAYS)
    ]
    return sorted(flags, key=lambda f: (-f.value, f.name.casefold()))


@dataclass(frozen=True, slots=True)
class StepHelp:
    """Help requests of one guide step: open, taken, resolved."""

    step: str
    open: int = 0
    taken: int = 0
    resolved: int = 0


def help_by_step(requests: Iterable[HelpItem]) -> tuple[StepHelp, ...]:
    """The day's help requests per step (steps in name order)."""
    counts: dict[str, Counter[str]] = {}
    for r in requests:
        counts.setdefault(r.step, Counter())[r.status] += 1
    return tuple(
        StepHelp(step, c["open"], c["taken"], c["resolved"]) for step, c in sorted(counts.items())
    )


@dataclass(frozen=True, slots=True)
class Delivery:
    """What did not reach people that day: dead letters, and chats the bot was removed from."""

    dead_letters: int = 0
    group_chat_removed: bool = False
    removed_from: tuple[str, ...] = ()  # clients whose 1:1 chat the bot was removed from
    not_reached: tuple[str, ...] = ()  # people a message to their 1:1 chat did not reach

    @property
    def any(self) -> bool:
        return bool(self.dead_letters or self.group_chat_removed or self.removed_from)


@dataclass(frozen=True, slots=True)
class DayView:
    """One group day of the digest, as the card draws it."""

    language: Language
    group_id: int
    group_name: str
    unit_name: str
    day: date
    summary: DaySummary
    feedback: Results | None = None
    help: tuple[StepHelp, ...] = ()
    delivery: Delivery = Delivery()
    flags: tuple[Flag, ...] = ()
    trend: tuple[WeekRate, ...] = ()
    # Teams' attendance report (None: not in use, or no meeting Teams said ended)
    graph: DayNote | None = None

    @property
    def falling(self) -> bool:
        return any(f.kind is FlagKind.FALLING for f in self.flags)


@dataclass(frozen=True, slots=True)
class MoreView:
    """A cut list of a digest card in full ("show all")."""

    view: DayView
    section: Section
