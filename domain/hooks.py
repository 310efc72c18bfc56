"""What features declare for the running service: cards drawn at send time, plan events,
periodic jobs.

A feature fills in one Hooks object at start-up (its own `register` function); the outbox worker
draws through `draw`, the agenda announces each plan item that starts through `item_started`,
each changed day through `day_changed`, each started and ended meeting through
`meeting_started` and `meeting_ended`, and the leader runs the `periodic` jobs.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, replace
from typing import Any

from domain.days import GroupDay
from domain.outbox import OutboxMessage
from domain.plans import ItemKind

log = logging.getLogger(__name__)

Card = dict[str, Any]
Drawer = Callable[[str], Awaitable[Card | None]]
"""Draws a card from what follows "kind:" in OutboxMessage.render; None: nothing to send."""
ItemListener = Callable[[GroupDay], Awaitable[None]]
"""Told that an item of a day's plan has just started."""
DayListener = Callable[[int], Awaitable[None]]
"""Told that a day (by id) changed."""
MeetingListener = Callable[[int], Awaitable[None]]
"""Told that the meeting of a group (by id) started, or ended."""
Job = Callable[[], Awaitable[Any]]


@dataclass(frozen=True, slots=True)
class Periodic:
    """A job the leader runs every `seconds` (at once on election when at_once)."""

    job_id: str
    seconds: float
    job: Job
    at_once: bool = False


class Hooks:
    """The card drawers and plan-item listeners that features registered."""

    def __init__(self) -> None:
        self._drawers: dict[str, Drawer] = {}
        self._listeners: dict[ItemKind, list[ItemListener]] = {}
        self._day_listeners: list[DayListener] = []
        self._meeting_listeners: list[MeetingListener] = []
        self._start_listeners: list[MeetingListener] = []
        self._periodic: dict[str, Periodic] = {}

    def add_drawer(self, kind: str, drawer: Drawer) -> None:
        """Draw messages whose render is "kind:…" with drawer; a kind is claimed once."""
        if not kind or ":" in kind:
            raise ValueError(f"a drawer's kind must be a non-empty word without ':', not {kind!r}")
        if kind in self._drawers:
            raise ValueError(f"a drawer for {kind!r} is already registered")
        self._drawers[kind] = drawer

    async def draw(self, message: OutboxMessage) -> OutboxMessage | None:
        """The message with its card drawn now; None when nothing draws it or nothing is left."""
        name = message.render or ""
        kind, colon, rest = name.partition(":")
        drawer = self._drawers.get(kind) if colon else None
        if drawer is None:
            log.warning("outbox: nothing draws %r", name)
            return None
        card = await drawer(rest)
        return replace(message, card=card) if card is not None else None

    def on_item_started(self, kind: ItemKind, listener: ItemListener) -> None:
        """Call listener whenever a plan item of this kind starts."""
        self._listeners.setdefault(kind, []).append(listener)

    async def item_started(self, kind: ItemKind, day: GroupDay) -> None:
        """Tell every listener of kind; one that fails is logged and does not stop the rest."""
        for listener in self._listeners.get(kind, ()):
            try:
                await listener(day)
            except Exception:
                name = getattr(listener, "__qualname__", repr(listener))
                log.exception("day %s: %s failed on the start of a %s item", day.id, name, kind)

    def on_day_changed(self, listener: DayListener) -> None:
        """Call listener with a day's id whenever the day changed (steered, planned, fired)."""
        self._day_listeners.append(listener)

    async def day_changed(self, day_id: int) -> None:
        """Tell every day listener (a failure propagates: the change must be seen)."""
        for listener in self._day_listeners:
            await listener(day_id)

    def on_meeting_started(self, listener: MeetingListener) -> None:
        """Call listener with a group's id whenever Teams says its meeting started."""
        self._start_listeners.append(listener)

    async def meeting_started(self, group_id: int) -> None:
        """Tell every start listener; one that fails is logged and does not stop the rest."""
        for listener in self._start_listeners:
            try:
                await listener(group_id)
            except Exception:
                name = getattr(listener, "__qualname__", repr(listener))
                log.exception("group %s: %s failed on the meeting's start", group_id, name)

    def on_meeting_ended(self, listener: MeetingListener) -> None:
        """Call listener with a group's id whenever Teams says its meeting ended."""
        self._meeting_listeners.append(listener)

    async def meeting_ended(self, group_id: int) -> None:
        """Tell every meeting listener; one that fails is logged and does not stop the rest."""
        for listener in self._meeting_listeners:
            try:
                await listener(group_id)
            except Exception:
                name = getattr(listener, "__qualname__", repr(listener))
                log.exception("group %s: %s failed on the meeting's end", group_id, name)

    def every(self, job_id: str, seconds: float, job: Job, *, at_once: bool = False) -> None:
        """Have the leader run job every seconds; a job id is claimed once."""
        if job_id in self._periodic:
            raise ValueError(f"a periodic job {job_id!r} is already registered")
        if seconds <= 0:
            raise ValueError(f"the periodic job {job_id!r} needs a positive interval")
        self._periodic[job_id] = Periodic(job_id, seconds, job, at_once)

    @property
    def periodic(self) -> tuple[Periodic, ...]:
        """The periodic jobs, in the order registered."""
        return tuple(self._periodic.values())
