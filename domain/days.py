"""Group days: a plan placed on a date, run by the clock, steered by the instructor.

Everything here is pure: functions take a GroupDay and the current time and return a new
GroupDay. Times are aware UTC datetimes; the group's zone is used only to place local plan
times on a date (so a plan keeps its wall-clock times across DST changes) and to show times.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from domain.errors import DomainError
from domain.org import Language
from domain.plans import ItemKind, Plan


class DayStatus(enum.StrEnum):
    """planned → running (⇄ paused) → closed; a planned day can be cancelled."""

    PLANNED = "planned"
    RUNNING = "running"
    PAUSED = "paused"
    CLOSED = "closed"
    CANCELLED = "cancelled"

    @property
    def is_open(self) -> bool:
        """Planned, running or paused: the timer still cares about it."""
        return self in (DayStatus.PLANNED, DayStatus.RUNNING, DayStatus.PAUSED)


class EventKind(enum.StrEnum):
    """What the timer announces."""

    START = "start"
    BREAK_WARNING = "warn"
    BREAK_END = "end"


@dataclass(frozen=True, slots=True)
class DayItem:
    """One item of a day, placed in time (UTC)."""

    kind: ItemKind
    title: str
    start: datetime
    duration: timedelta

    @property
    def end(self) -> datetime:
        """When the item ends."""
        return self.start + self.duration


@dataclass(frozen=True, slots=True)
class TimerEvent:
    """An announcement due at a moment; key is stable across changes of time."""

    key: str
    at: datetime
    kind: EventKind
    index: int


@dataclass(frozen=True)
class GroupDay:
    """A group's day: its items, status, and which timer events have fired (posted or skipped)."""

    group_id: int
    date: date
    timezone: str
    language: Language
    plan_key: str
    plan_name: str
    items: tuple[DayItem, ...]
    status: DayStatus = DayStatus.PLANNED
    fired: dict[str, str] = field(default_factory=dict)
    paused_at: datetime | None = None
    backs: dict[str, list[int]] = field(default_factory=dict)
    id: int | None = None
    version: int = 0

    @property
    def zone(self) -> ZoneInfo:
        """The group's time zone."""
        return ZoneInfo(self.timezone)

    def local(self, moment: datetime) -> datetime:
        """moment in the group's local time."""
        return moment.astimezone(self.zone)

    @property
    def starts(self) -> datetime:
        """When the first item starts."""
        return self.items[0].start

    @property
    def ends(self) -> datetime:
        """When the last item ends."""
        return self.items[-1].end


class DayRuleBroken(DomainError):
    """An instructor asked for something the day's state does not allow."""


def place_plan(plan: Plan, group_id: int, on: date, timezone: str, language: Language) -> GroupDay:
    """Put a plan on a date: each item at its local wall-clock time in the group's zone."""
    zone = ZoneInfo(timezone)
    items = tuple(
        DayItem(
            kind=item.kind,
            title=item.title,
            start=_local_to_utc(on, item.start.hour, item.start.minute, zone),
            duration=item.duration,
        )
        for item in plan.items
    )
    return GroupDay(
        group_id=group_id,
        date=on,
        timezone=timezone,
        language=language,
        plan_key=plan.key,
        plan_name=plan.name,
        items=items,
    )


def _local_to_utc(on: date, hour: int, minute: int, zone: ZoneInfo) -> datetime:
    local = datetime(on.year, on.month, on.day, hour, minute, tzinfo=zone)
    # a wall time inside a spring-forward gap does not exist: take the first valid moment after
    if local.astimezone(UTC).astimezone(zone).replace(tzinfo=None) != local.replace(tzinfo=None):
        local = datetime(on.year, on.month, on.day, hour, minute, tzinfo=zone, fold=1)
    return local.astimezone(UTC)


def move_to(day: GroupDay, on: date) -> GroupDay:
    """The same day on another date, at the same local wall-clock times (only while planned)."""
    if day.status is not DayStatus.PLANNED:
        raise DayRuleBroken("day.not_planned")
    zone = day.zone
    items = tuple(
        replace(
            item,
            start=_local_to_utc(
                on, item.start.astimezone(zone).hour, item.start.astimezone(zone).minute, zone
            ),
        )
        for item in day.items
    )
    return replace(day, date=on, items=items, fired={})


def current_index(day: GroupDay, now: datetime) -> int | None:
    """The item running at now, if any."""
    for index, item in enumerate(day.items):
        if item.start <= now < item.end:
            return index
    return None


def next_index(day: GroupDay, now: datetime) -> int | None:
    """The first item that starts after now."""
    for index, item in enumerate(day.items):
        if item.start > now:
            return index
    return None


def _shift_from(items: tuple[DayItem, ...], first: int, delta: timedelta) -> tuple[DayItem, ...]:
    return tuple(
        replace(item, start=item.start + delta) if i >= first else item
        for i, item in enumerate(items)
    )


def _require(day: GroupDay, *allowed: DayStatus) -> None:
    if day.status not in allowed:
        raise DayRuleBroken(f"day.not_{allowed[0].value}")


def start(day: GroupDay, now: datetime) -> GroupDay:
    """Start a planned day (items keep their times; the agenda goes out)."""
    _require(day, DayStatus.PLANNED)
    return replace(day, status=DayStatus.RUNNING)


def extend(day: GroupDay, now: datetime, minutes: int) -> GroupDay:
    """Make the current item N minutes longer; everything after it moves by N."""
    _require(day, DayStatus.RUNNING)
    if not 1 <= minutes <= 120:
        raise DayRuleBroken("day.bad_minutes")
    index = current_index(day, now)
    if index is None:
        raise DayRuleBroken("day.nothing_running")
    delta = timedelta(minutes=minutes)
    items = list(_shift_from(day.items, index + 1, delta))
    items[index] = replace(items[index], duration=items[index].duration + delta)
    return replace(day, items=tuple(items))


def skip(day: GroupDay, now: datetime) -> GroupDay:
    """End the current item now and start the next one now; later items move with it."""
    _require(day, DayStatus.RUNNING)
    index = current_index(day, now)
    following = (index + 1) if index is not None else next_index(day, now)
    if following is None or following >= len(day.items):
        raise DayRuleBroken("day.nothing_next")
    items = list(_shift_from(day.items, following, now - day.items[following].start))
    fired = dict(day.fired)
    if index is not None:
        items[index] = replace(items[index], duration=now - items[index].start)
        # a cut-short break is not announced as ending: the next item's start says it all
        for kind in (EventKind.BREAK_WARNING, EventKind.BREAK_END):
            fired.setdefault(f"{index}:{kind.value}", "skipped")
    return replace(day, items=tuple(items), fired=fired)


def shift(day: GroupDay, now: datetime, minutes: int) -> GroupDay:
    """Move every item that has not started yet by ±N minutes (never into the past)."""
    _require(day, DayStatus.RUNNING, DayStatus.PLANNED)
    if minutes == 0 or not -120 <= minutes <= 120:
        raise DayRuleBroken("day.bad_minutes")
    first = next_index(day, now)
    if first is None:
        raise DayRuleBroken("day.nothing_next")
    delta = timedelta(minutes=minutes)
    if delta < timedelta(0):
        current = current_index(day, now)
        floor = max(now, day.items[current].end if current is not None else now)
        if first > 0:
            floor = max(floor, day.items[first - 1].end)
        delta = max(delta, floor - day.items[first].start)
        if delta >= timedelta(0):
            raise DayRuleBroken("day.cannot_move_earlier")
    return replace(day, items=_shift_from(day.items, first, delta))


def pause(day: GroupDay, now: datetime) -> GroupDay:
    """Stop the clock: nothing is announced until the day resumes."""
    _require(day, DayStatus.RUNNING)
    return replace(day, status=DayStatus.PAUSED, paused_at=now)


def resume(day: GroupDay, now: datetime) -> GroupDay:
    """Start the clock again: the paused time is added to the current item and later ones."""
    _require(day, DayStatus.PAUSED)
    assert day.paused_at is not None
    gap = max(now - day.paused_at, timedelta(0))
    at_pause = day.paused_at
    index = current_index(day, at_pause)
    first = (index + 1) if index is not None else next_index(day, at_pause)
    items = list(day.items if first is None else _shift_from(day.items, first, gap))
    if index is not None:
        items[index] = replace(items[index], duration=items[index].duration + gap)
    return replace(day, items=tuple(items), status=DayStatus.RUNNING, paused_at=None)


def end(day: GroupDay, now: datetime) -> GroupDay:
    """Close the day; nothing more is announced."""
    _require(day, DayStatus.RUNNING, DayStatus.PAUSED, DayStatus.PLANNED)
    return replace(day, status=DayStatus.CLOSED, paused_at=None)


def cancel(day: GroupDay) -> GroupDay:
    """Cancel a day that has not started."""
    _require(day, DayStatus.PLANNED)
    return replace(day, status=DayStatus.CANCELLED)


SHORTEST_WARNED_BREAK = timedelta(minutes=2)


def warning_before_end(duration: timedelta, warning: timedelta) -> timedelta | None:
    """How long before a break of this length ends its warning goes out (None: no warning).

    A break longer than twice the warning is warned `warning` before it ends; a shorter one
    halfway through, so the warning never comes right after the break started; a break under
    two minutes is too short to need one.
    """
    if warning <= timedelta(0) or duration < SHORTEST_WARNED_BREAK:
        return None
    if duration > warning * 2:
        return warning
    return duration / 2


def timer_events(day: GroupDay, warning: timedelta) -> list[TimerEvent]:
    """Every announcement of the day in time order: item starts; break warnings and ends."""
    events: list[TimerEvent] = []
    for index, item in enumerate(day.items):
        events.append(TimerEvent(f"{index}:start", item.start, EventKind.START, index))
        if item.kind.is_break:
            before = warning_before_end(item.duration, warning)
            if before is not None:
                events.append(
                    TimerEvent(f"{index}:warn", item.end - before, EventKind.BREAK_WARNING, index)
                )
            events.append(TimerEvent(f"{index}:end", item.end, EventKind.BREAK_END, index))
    return sorted(events, key=lambda e: (e.at, e.index))


def starts_as_break_ends(day: GroupDay, index: int) -> bool:
    """The item after break index starts the moment the break ends (one announcement)."""
    following = index + 1
    if following >= len(day.items):
        return False
    return day.items[following].start <= day.items[index].end + timedelta(seconds=1)


def due_events(day: GroupDay, now: datetime, warning: timedelta) -> list[TimerEvent]:
    """The pending events whose moment has come (an instructor's change can make some due)."""
    return [e for e in pending_events(day, warning) if e.at <= now + timedelta(seconds=1)]


def pending_events(day: GroupDay, warning: timedelta) -> list[TimerEvent]:
    """The events still to fire (none unless the day is planned or running)."""
    if day.status not in (DayStatus.PLANNED, DayStatus.RUNNING):
        return []
    return [e for e in timer_events(day, warning) if e.key not in day.fired]


class Firing(enum.Enum):
    """What to do with a due event."""

    POST = "post"
    SKIP = "skip"


def fire(
    day: GroupDay, key: str, now: datetime, *, grace: timedelta, warning: timedelta
) -> tuple[GroupDay, list[tuple[TimerEvent, Firing]]]:
    """Decide an event that is due: post it (late, within grace) or skip it (stale).

    Earlier events that have not fired are settled first: posted if still within grace,
    skipped if stale, so the day's record stays consistent and an outage never ends in a burst
    of old messages. Events due at the same moment are decided together (a break's end and the
    next item's start are one announcement). A planned day starts by itself when its first
    event is due.
    """
    pending = {e.key: e for e in pending_events(day, warning)}
    event = pending.get(key)
    if event is None or event.at > now + timedelta(seconds=1):
        return day, []
    decided: list[tuple[TimerEvent, Firing]] = []
    fired = dict(day.fired)
    for earlier in pending.values():
        if earlier.at > event.at or earlier.key == key:
            continue
        # an earlier event that has not gone out yet goes first if it is still fresh (two
        # events due at the same moment, or both late within grace); a stale one is skipped
        fresh = now - earlier.at <= grace and not _outdated(day, earlier, now)
        outcome = Firing.POST if fresh else Firing.SKIP
        fired[earlier.key] = "posted" if outcome is Firing.POST else "skipped"
        decided.append((earlier, outcome))
    outcome = Firing.POST if now - event.at <= grace else Firing.SKIP
    fired[key] = "posted" if outcome is Firing.POST else "skipped"
    decided.append((event, outcome))
    status = DayStatus.RUNNING if day.status is DayStatus.PLANNED else day.status
    decided.sort(key=lambda pair: (pair[0].at, pair[0].index))
    return replace(day, fired=fired, status=status), decided


def _outdated(day: GroupDay, event: TimerEvent, now: datetime) -> bool:
    """An item's start or a break warning says nothing true once the item has ended."""
    if event.kind is EventKind.BREAK_END:
        return False
    return now >= day.items[event.index].end


def record_back(day: GroupDay, index: int, person_id: int) -> tuple[GroupDay, int]:
    """A client tapped "I'm back" after break index; returns the day and the count (once each)."""
    key = str(index)
    people = list(day.backs.get(key, []))
    if person_id not in people:
        people.append(person_id)
    backs = {**day.backs, key: people}
    return replace(day, backs=backs), len(people)
