"""Use cases of the agenda: the timer firing events, instructors steering the day."""

from __future__ import annotations

import asyncio
import enum
import logging
import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta
from typing import Any, Protocol
from zoneinfo import ZoneInfo

from domain import days as d
from domain.errors import ConcurrentUpdate, NotAllowed, NotFound
from domain.hooks import Hooks
from domain.model import Actor, Conversation
from domain.org import Group, Language, Role
from domain.outbox import OutboxMessage
from domain.plans import ItemKind, Plan, WeeklySchedule, pick_plan
from domain.rollcall.ports import DaySpan

log = logging.getLogger(__name__)

Clock = Callable[[], datetime]
MAX_ATTEMPTS = 6


class DayExists(Exception):
    """The group already has a day on that date."""


class DayRepository(Protocol):
    """Stored group days; save() commits the day and its outbox messages together."""

    async def get(self, day_id: int) -> d.GroupDay | None: ...
    async def get_many(self, day_ids: Sequence[int]) -> list[d.GroupDay]:
        """The days with these ids that exist (one read)."""
        ...

    async def for_group_on(self, group_id: int, on: date) -> d.GroupDay | None: ...
    async def open_days(self, first: date, last: date) -> list[d.GroupDay]: ...
    async def spans(self, group_id: int, first: date, last: date) -> Mapping[date, DaySpan]:
        """The group's planned days first..last by date: start, end, cancelled (one read)."""
        ...

    async def add(self, day: d.GroupDay, messages: list[OutboxMessage]) -> d.GroupDay: ...
    async def save(self, day: d.GroupDay, messages: list[OutboxMessage]) -> d.GroupDay:
        """Store day if its version is unchanged (raise ConcurrentUpdate if not)."""
        ...

    async def save_many(self, batch: list[tuple[d.GroupDay, list[OutboxMessage]]]) -> list[bool]:
        """Several compare-and-set saves in one transaction; per day, whether it was saved."""
        ...


class GroupLookup(Protocol):
    """The groups and the conversations they are bound to."""

    async def group_by_id(self, group_id: int) -> Group | None: ...
    async def instructor_teams_ids(self, group_id: int) -> tuple[str, ...]:
        """Teams user ids (29:…) of the group's instructors who have talked to the bot."""
        ...


class BoundConversations(Protocol):
    """Which conversation a group's days run in."""

    async def bound_to(self, group_id: int) -> Conversation | None: ...


@dataclass(frozen=True, slots=True)
class Rendered:
    """The content of one message."""

    text: str | None = None
    card: dict[str, Any] | None = None
    speak: str | None = None


class Renderer(Protocol):
    """Turns days and events into message content (implemented with cards and catalogs)."""

    def events(self, day: d.GroupDay, events: Sequence[d.TimerEvent]) -> Rendered:
        """One message for events due at the same moment (a break's end and what follows)."""
        ...

    def back(self, day: d.GroupDay, index: int, count: int) -> Rendered:
        """The "I'm back" card of break index with how many have tapped it."""
        ...

    def agenda(
        self,
        day: d.GroupDay,
        now: datetime,
        *,
        for_instructor: bool,
        refresh_user_ids: tuple[str, ...] = (),
    ) -> Rendered: ...
    def change(self, day: d.GroupDay, change: Change, now: datetime, minutes: int) -> Rendered: ...


class Change(enum.Enum):
    """What an instructor did to the day."""

    START = "start"
    EXTEND = "extend"
    SKIP = "skip"
    SHIFT = "shift"
    PAUSE = "pause"
    RESUME = "resume"
    END = "end"


@dataclass(frozen=True, slots=True)
class TimerSettings:
    """How the timer treats late events and when it warns before a break ends."""

    grace: timedelta = timedelta(minutes=5)
    break_warning: timedelta = timedelta(minutes=2)


def agenda_key(day: d.GroupDay) -> str:
    """Outbox key of the day's agenda card (later updates replace it in place)."""
    return f"day:{day.id}:agenda"


RENDER_KIND = "agenda"
"""The drawer's kind: the "I'm back" card is redrawn from render "agenda:back:<day>:<item>"."""


def back_key(day_id: int, index: int) -> str:
    """Outbox key of the message that ends break index (its "I'm back" card)."""
    return f"day:{day_id}:{index}:end"


def back_render(day_id: int, index: int) -> str:
    """The outbox render name of break index's "I'm back" card."""
    return f"{RENDER_KIND}:back:{day_id}:{index}"


def parse_back_render(rest: str) -> tuple[int, int] | None:
    """(day id, item) from what follows "agenda:" in a render name; None if it is not one."""
    what, _, ids = rest.partition(":")
    day_id, _, index = ids.partition(":")
    if what != "back" or not day_id.isdigit() or not index.isdigit():
        return None
    return int(day_id), int(index)


def back_redraw(day_id: int, index: int, conversation_id: str) -> OutboxMessage:
    """A coalesced redraw of the shared "I'm back" card (taps meanwhile fold into it)."""
    key = back_key(day_id, index)
    return OutboxMessage(
        key=f"{key}:{uuid.uuid4().hex}",
        conversation_id=conversation_id,
        update_of=key,
        render=back_render(day_id, index),
        coalesce=key,
    )


def folded(parts: Sequence[tuple[str, Rendered]]) -> list[tuple[str, Rendered]]:
    """(key, content) parts of one event as few messages as they fit.

    Texts run together and go above the card that follows them (the message then has the
    card's key, so later updates of the card find it); a card is never merged with another.
    """
    merged: list[tuple[str, Rendered]] = []
    for key, part in parts:
        last = merged[-1] if merged else None
        if last is None or last[1].card is not None:
            merged.append((key, part))
            continue
        texts = [t for t in (last[1].text, part.text) if t]
        speech = [t for t in (last[1].speak, part.speak) if t]
        joined = Rendered(
            text="\n\n".join(texts) or None, card=part.card, speak=" ".join(speech) or None
        )
        merged[-1] = (key if part.card is not None else last[0], joined)
    return merged


def moments(events: Sequence[d.TimerEvent]) -> list[list[d.TimerEvent]]:
    """Events in time order, grouped by the moment they are due (one message each)."""
    groups: list[list[d.TimerEvent]] = []
    for event in sorted(events, key=lambda e: (e.at, e.index)):
        if groups and groups[-1][0].at == event.at:
            groups[-1].append(event)
        else:
            groups.append([event])
    return groups


# the items whose title is the day's topic (a topic idea goes on the first of them)
TOPIC_KINDS = frozenset({ItemKind.CONTENT, ItemKind.DISCUSSION, ItemKind.EXERCISE, ItemKind.VIDEO})
TITLE_MAX = 80


def may_steer(actor: Actor, group: Group) -> bool:
    """Instructors of the group (and admins) steer its day; clients never do."""
    if actor.is_admin:
        return True
    return any(g.key == group.key for g in actor.groups_as(Role.INSTRUCTOR))


class AgendaService:
    """Runs days: fires timer events and applies instructors' changes, all through the outbox."""

    def __init__(
        self,
        days: DayRepository,
        groups: GroupLookup,
        conversations: BoundConversations,
        renderer: Renderer,
        *,
        clock: Clock,
        settings: TimerSettings,
        on_messages: Callable[[], None] | None = None,
        hooks: Hooks | None = None,
    ) -> None:
        self._days = days
        self._groups = groups
        self._conversations = conversations
        self._render = renderer
        self._clock = clock
        self.settings = settings
        self._on_messages = on_messages
        self._hooks = hooks or Hooks()

    def now(self) -> datetime:
        """The service's clock (injectable for tests)."""
        return self._clock()

    def _sent(self, messages: list[OutboxMessage]) -> None:
        if messages and self._on_messages is not None:
            self._on_messages()

    async def _posted(self, day: d.GroupDay, posted: list[d.TimerEvent]) -> None:
        """Tell the features that the items whose start was just posted have started."""
        for event in posted:
            if event.kind is d.EventKind.START:
                await self._hooks.item_started(day.items[event.index].kind, day)

    async def _changed(self, day: d.GroupDay) -> None:
        if day.id is not None:
            await self._hooks.day_changed(day.id)

    async def _target(self, day: d.GroupDay) -> str | None:
        conversation = await self._conversations.bound_to(day.group_id)
        if conversation is None or not conversation.active:
            return None
        return conversation.conversation_id

    def _announcements(
        self, day: d.GroupDay, posted: Sequence[d.TimerEvent]
    ) -> list[tuple[str, Rendered]]:
        """(key, content) of one message per moment among the posted events."""
        assert day.id is not None
        found = []
        for group in moments(posted):
            ended = [e for e in group if e.kind is d.EventKind.BREAK_END]
            key = back_key(day.id, ended[0].index) if ended else f"day:{day.id}:{group[0].key}"
            found.append((key, self._render.events(day, group)))
        return found

    def _message(
        self,
        day: d.GroupDay,
        conversation_id: str,
        key: str,
        r: Rendered,
        update_of: str | None = None,
    ) -> OutboxMessage:
        return OutboxMessage(
            key=key,
            conversation_id=conversation_id,
            text=r.text,
            card=r.card,
            speak=r.speak,
            update_of=update_of,
        )

    async def _agenda(self, day: d.GroupDay, now: datetime) -> Rendered:
        """The shared agenda card; refresh.userIds gives the instructors their own view."""
        instructors = await self._groups.instructor_teams_ids(day.group_id)
        return self._render.agenda(day, now, for_instructor=False, refresh_user_ids=instructors)

    async def _agenda_update(
        self, day: d.GroupDay, conversation_id: str, now: datetime
    ) -> OutboxMessage:
        """The agenda card redrawn in place (a PUT over the message that posted it)."""
        key = f"{agenda_key(day)}:v{day.version + 1}"
        card = await self._agenda(day, now)
        return self._message(day, conversation_id, key, card, update_of=agenda_key(day))

    def _posts(
        self, day: d.GroupDay, conversation_id: str, parts: Sequence[tuple[str, Rendered]]
    ) -> list[OutboxMessage]:
        """The parts of one event folded into as few messages as they fit (one, mostly)."""
        return [self._message(day, conversation_id, k, r) for k, r in folded(parts)]

    async def fire(self, day_id: int, key: str) -> list[d.TimerEvent]:
        """The timer says event key is due: post it (or skip it if stale). Returns posted events."""
        for _attempt in range(MAX_ATTEMPTS):
            day = await self._days.get(day_id)
            if day is None:
                return []
            decision = await self._decide(day, [key])
            if decision is None:
                return []
            new, messages, posted = decision
            try:
                await self._days.save(new, messages)
            except ConcurrentUpdate:
                continue
            self._sent(messages)
            await self._posted(new, posted)
            return posted
        raise ConcurrentUpdate(f"day:{day_id}")

    async def fire_many(self, due: list[tuple[int, str]]) -> list[d.GroupDay]:
        """Events of many days due at the same moment: decided together, saved in one go.

        The days are read in one query and saved in one transaction; returns the days saved
        (as stored now), so the timer reschedules them without reading them again. A day that
        changed meanwhile is retried on its own with fire() and is not among them.
        """
        keys: dict[int, list[str]] = {}
        for day_id, key in due:
            keys.setdefault(day_id, []).append(key)
        days = await self._days.get_many(list(keys))
        decisions = await asyncio.gather(
            *(self._decide(day, keys[day.id]) for day in days if day.id in keys)
        )
        decided = [x for x in decisions if x is not None]
        batch = [(new, messages) for new, messages, _ in decided]
        if not batch:
            return []
        saved = await self._days.save_many(batch)
        self._sent(
            [m for (_, messages), ok in zip(batch, saved, strict=True) if ok for m in messages]
        )
        stored = [
            replace(new, version=new.version + 1)
            for (new, _), ok in zip(batch, saved, strict=True)
            if ok
        ]
        for (new, _, posted), ok in zip(decided, saved, strict=True):
            if ok:
                await self._posted(new, posted)
        for (new, _), ok in zip(batch, saved, strict=True):
            if not ok and new.id is not None:
                for key in keys[new.id]:
                    await self.fire(new.id, key)
        return stored

    async def _decide(
        self, day: d.GroupDay, keys: list[str]
    ) -> tuple[d.GroupDay, list[OutboxMessage], list[d.TimerEvent]] | None:
        """Apply the due events to the day; the new day, its messages and what was posted."""
        now = self.now()
        new, decided = day, []
        for key in keys:
            new, more = d.fire(
                new, key, now, grace=self.settings.grace, warning=self.settings.break_warning
            )
            decided += more
        if not decided:
            return None
        assert day.id is not None
        target = await self._target(day)
        messages: list[OutboxMessage] = []
        posted = [event for event, how in decided if how is d.Firing.POST]
        if target is not None:
            parts = self._announcements(new, posted)
            if day.status is d.DayStatus.PLANNED:
                # the day starts: what starts now is said above the agenda, in one message
                parts.append((agenda_key(new), await self._agenda(new, now)))
            messages += self._posts(new, target, parts)
            if posted and day.status is not d.DayStatus.PLANNED:
                messages.append(await self._agenda_update(new, target, now))
        else:
            log.warning("day %s has no active conversation; events not posted", day.id)
        skipped = [e.key for e, how in decided if how is d.Firing.SKIP]
        if skipped:
            log.info("day %s: skipped stale events %s", day.id, ",".join(skipped))
        return new, messages, posted

    async def day(self, day_id: int) -> d.GroupDay | None:
        """One day by id."""
        return await self._days.get(day_id)

    async def today(self, group: Group) -> d.GroupDay | None:
        """The group's day for today in its own time zone."""
        assert group.id is not None
        local_today = self.now().astimezone(ZoneInfo(group.timezone)).date()
        return await self._days.for_group_on(group.id, local_today)

    async def day_end(self, group: Group, on: date) -> datetime | None:
        """When the group's day on that date is planned to end (None: no day planned)."""
        assert group.id is not None
        day = await self._days.for_group_on(group.id, on)
        if day is None or not day.items or day.status is d.DayStatus.CANCELLED:
            return None
        return day.ends

    async def group_of(self, conversation: Conversation) -> Group:
        """The group bound to this conversation (or NotFound)."""
        if conversation.group_id is None:
            raise NotFound("day.no_group")
        group = await self._groups.group_by_id(conversation.group_id)
        if group is None:
            raise NotFound("day.no_group")
        return group

    async def plan_day(
        self, actor: Actor, conversation: Conversation, plan: Plan, on: date | None = None
    ) -> d.GroupDay:
        """An instructor puts a plan on today (or a date) for the conversation's group."""
        group = await self.group_of(conversation)
        if not may_steer(actor, group):
            raise NotAllowed("plan.not_instructor")
        assert group.id is not None
        when = on or self.now().astimezone(ZoneInfo(group.timezone)).date()
        existing = await self._days.for_group_on(group.id, when)
        if existing is not None and existing.status is not d.DayStatus.CANCELLED:
            raise NotAllowed("day.exists")
        day = d.place_plan(plan, group.id, when, group.timezone, group.language)
        try:
            stored = await self._days.add(day, [])
        except DayExists as exc:
            raise NotAllowed("day.exists") from exc
        await self._changed(stored)
        return stored

    async def steer(
        self, actor: Actor, conversation: Conversation, change: Change, minutes: int = 0
    ) -> d.GroupDay:
        """Apply an instructor's change to today's day; the group sees it through the outbox."""
        group = await self.group_of(conversation)
        if not may_steer(actor, group):
            raise NotAllowed("day.not_instructor")
        return await self._change(group, change, minutes)

    async def meeting_started(self, conversation: Conversation) -> d.GroupDay | None:
        """Teams says the group's meeting started: a planned day for today starts with it."""
        if conversation.group_id is None:
            return None
        group = await self.group_of(conversation)
        day = await self.today(group)
        if day is not None and day.status is d.DayStatus.PLANNED:
            day = await self._change(group, Change.START, 0)
        assert group.id is not None
        await self._hooks.meeting_started(group.id)
        return day

    async def meeting_ended(self, conversation: Conversation) -> d.GroupDay | None:
        """Teams says the meeting ended: today's running or paused day closes."""
        if conversation.group_id is None:
            return None
        group = await self.group_of(conversation)
        day = await self.today(group)
        if day is not None and day.status in (d.DayStatus.RUNNING, d.DayStatus.PAUSED):
            day = await self._change(group, Change.END, 0)
        assert group.id is not None
        await self._hooks.meeting_ended(group.id)
        return day

    async def _change(self, group: Group, change: Change, minutes: int) -> d.GroupDay:
        for _attempt in range(MAX_ATTEMPTS):
            day = await self.today(group)
            if day is None or not day.status.is_open:
                raise NotFound("day.none_today")
            now = self.now()
            new, posted = self._fire_due(_apply(day, change, now, minutes), now)
            target = await self._target(day)
            messages: list[OutboxMessage] = []
            if target is not None:
                # what the change made due (`next` starts the next item now) is said with it
                parts = self._announcements(new, posted)
                if not (change is Change.SKIP and parts):
                    note = self._render.change(new, change, now, minutes)
                    parts.insert(0, (f"day:{day.id}:change:v{day.version + 1}", note))
                if change is Change.START:
                    # the agenda goes out with it: one message
                    parts.append((agenda_key(new), await self._agenda(new, now)))
                messages += self._posts(new, target, parts)
                if change is not Change.START:
                    messages.append(await self._agenda_update(new, target, now))
            try:
                saved = await self._days.save(new, messages)
            except ConcurrentUpdate:
                continue
            self._sent(messages)
            await self._posted(saved, posted)
            await self._changed(saved)
            return saved
        raise ConcurrentUpdate("steer")

    def _fire_due(self, day: d.GroupDay, now: datetime) -> tuple[d.GroupDay, list[d.TimerEvent]]:
        """The events a change made due, decided at once; the day and those to post."""
        due = d.due_events(day, now, self.settings.break_warning)
        if not due:
            return day, []
        new, decided = d.fire(
            day, due[-1].key, now, grace=self.settings.grace, warning=self.settings.break_warning
        )
        return new, [event for event, how in decided if how is d.Firing.POST]

    async def cancel_day(self, actor: Actor, conversation: Conversation, on: date) -> d.GroupDay:
        """An instructor cancels one planned day of the group (e.g. a holiday)."""
        group = await self.group_of(conversation)
        if not may_steer(actor, group):
            raise NotAllowed("day.not_instructor")
        assert group.id is not None
        day = await self._days.for_group_on(group.id, on)
        if day is None or day.status is d.DayStatus.CANCELLED:
            raise NotFound("day.none_on_date")
        saved = await self._days.save(d.cancel(day), [])
        await self._changed(saved)
        return saved

    async def move_day(
        self, actor: Actor, conversation: Conversation, on: date, to: date
    ) -> d.GroupDay:
        """An instructor moves one planned day to another date (same local times)."""
        group = await self.group_of(conversation)
        if not may_steer(actor, group):
            raise NotAllowed("day.not_instructor")
        assert group.id is not None
        day = await self._days.for_group_on(group.id, on)
        if day is None or day.status is d.DayStatus.CANCELLED:
            raise NotFound("day.none_on_date")
        taken = await self._days.for_group_on(group.id, to)
        if taken is not None and taken.status is not d.DayStatus.CANCELLED:
            raise NotAllowed("day.exists")
        moved = d.move_to(day, to)
        # the old date keeps a cancelled day, so the weekly schedule does not recreate it
        new = await self._days.add(replace(moved, id=None, version=0), [])
        await self._days.save(d.cancel(day), [])
        await self._changed(new)
        return new

    async def next_day(self, group: Group, within_days: int = 28) -> d.GroupDay | None:
        """The group's next planned day after today (looking a few weeks ahead)."""
        assert group.id is not None
        today = self.now().astimezone(ZoneInfo(group.timezone)).date()
        for ahead in range(1, within_days + 1):
            day = await self._days.for_group_on(group.id, today + timedelta(days=ahead))
            if day is not None and day.status is d.DayStatus.PLANNED:
                return day
        return None

    async def retitle(self, actor: Actor, group: Group, day_id: int, title: str) -> d.GroupDay:
        """An instructor makes a topic the title of a later day's first content item."""
        if not may_steer(actor, group):
            raise NotAllowed("day.not_instructor")
        title = " ".join(title.split())[:TITLE_MAX]
        for _attempt in range(MAX_ATTEMPTS):
            day = await self._days.get(day_id)
            if day is None or day.group_id != group.id or day.status is not d.DayStatus.PLANNED:
                raise NotFound("day.none_on_date")
            index = next((i for i, it in enumerate(day.items) if it.kind in TOPIC_KINDS), None)
            if index is None or not title:
                raise NotFound("day.no_topic_item")
            items = list(day.items)
            items[index] = replace(items[index], title=title)
            try:
                saved = await self._days.save(replace(day, items=tuple(items)), [])
            except ConcurrentUpdate:
                continue
            await self._changed(saved)
            return saved
        raise ConcurrentUpdate("retitle")

    async def create_scheduled(
        self, schedules: Schedules, library: PlanLibrary, horizon_days: int = 14
    ) -> int:
        """Create the days of weekly schedules ahead (never over a cancelled or existing day)."""
        created = 0
        for group_id, schedule in await schedules.schedules():
            group = await self._groups.group_by_id(group_id)
            if group is None:
                continue
            today = self.now().astimezone(ZoneInfo(group.timezone)).date()
            for on in scheduled_dates(schedule, today, horizon_days):
                if await self._days.for_group_on(group_id, on) is not None:
                    continue
                plan = await library.find(schedule.plan_key, schedule.language or group.language)
                if plan is None:
                    log.warning("schedule of group %s names unknown plan", group_id)
                    break
                day = d.place_plan(plan, group_id, on, group.timezone, group.language)
                try:
                    stored = await self._days.add(day, [])
                except DayExists:
                    continue
                created += 1
                await self._changed(stored)
        return created

    async def back(
        self, actor: Actor, day_id: int, index: int, conversation: Conversation | None = None
    ) -> int:
        """A client says they are back from break index; returns how many are back.

        The card is posted in the group's conversation: a tap from any other conversation
        (card data naming another group's day) changes nothing. The shared card is redrawn
        with the new count (one redraw for the taps that come while one waits).
        """
        for _attempt in range(MAX_ATTEMPTS):
            day = await self._days.get(day_id)
            if day is None or not 0 <= index < len(day.items):
                raise NotFound("day.none_today")
            if conversation is not None and conversation.group_id != day.group_id:
                raise NotFound("card.stale")
            if not day.items[index].kind.is_break:
                raise NotFound("card.stale")
            new, count = d.record_back(day, index, actor.person_id)
            if new.backs == day.backs:
                return count
            messages: list[OutboxMessage] = []
            target = await self._target(day)
            if target is not None and day.fired.get(f"{index}:end") == "posted":
                messages.append(back_redraw(day_id, index, target))
            try:
                await self._days.save(new, messages)
            except ConcurrentUpdate:
                continue
            self._sent(messages)
            return count
        raise ConcurrentUpdate("back")

    async def draw_back(self, day_id: int, index: int) -> dict[str, Any] | None:
        """The shared "I'm back" card as it is now (the outbox draws it just before sending)."""
        day = await self._days.get(day_id)
        if day is None or not 0 <= index < len(day.items):
            return None
        count = len(day.backs.get(str(index), []))
        return self._render.back(day, index, count).card

    async def instructor_ids(self, group: Group) -> tuple[str, ...]:
        """Teams ids of the group's instructors: the cards' per-person view goes to them."""
        assert group.id is not None
        return await self._groups.instructor_teams_ids(group.id)


def _apply(day: d.GroupDay, change: Change, now: datetime, minutes: int) -> d.GroupDay:
    if change is Change.START:
        return d.start(day, now)
    if change is Change.EXTEND:
        return d.extend(day, now, minutes)
    if change is Change.SKIP:
        return d.skip(day, now)
    if change is Change.SHIFT:
        return d.shift(day, now, minutes)
    if change is Change.PAUSE:
        return d.pause(day, now)
    if change is Change.RESUME:
        return d.resume(day, now)
    return d.end(day, now)


class Schedules(Protocol):
    """Weekly schedules with their group ids."""

    async def schedules(self) -> list[tuple[int, WeeklySchedule]]: ...


def scheduled_dates(schedule: WeeklySchedule, first: date, days: int) -> list[date]:
    """The dates from first on (days of them) on which the schedule has a day."""
    found = []
    for offset in range(days):
        on = first + timedelta(days=offset)
        if on.weekday() != schedule.weekday:
            continue
        if schedule.starts is not None and on < schedule.starts:
            continue
        if schedule.ends is not None and on > schedule.ends:
            continue
        found.append(on)
    return found


class ImportedPlans(Protocol):
    """Plans imported from files (store)."""

    async def plans(self) -> list[Plan]: ...
    async def plan(self, key: str) -> Plan | None: ...


class PlanLibrary:
    """Built-in templates in the group's language, then the plans imported for this city."""

    def __init__(self, imported: ImportedPlans) -> None:
        self._imported = imported

    async def available(self, language: Language) -> list[Plan]:
        """Every plan an instructor can choose, templates first."""
        from domain.templates import templates

        return [*templates(language), *await self._imported.plans()]

    async def choose(self, typed: str, language: Language) -> tuple[Plan | None, list[Plan]]:
        """The plan typed names (its number in `available`, or its name), and the choices.

        A template is also known by its name in the other languages.
        """
        from domain.templates import TEMPLATE_KEYS, template

        choices = await self.available(language)
        aliases = {key: [template(key, other).name for other in Language] for key in TEMPLATE_KEYS}
        return pick_plan(choices, typed, aliases), choices

    async def find(self, key: str, language: Language) -> Plan | None:
        """A template (in language) or an imported plan by key."""
        from domain.templates import TEMPLATE_KEYS, template

        if key in TEMPLATE_KEYS:
            return template(key, language)
        return await self._imported.plan(key)
