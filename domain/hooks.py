"""What features declare for the running service: cards drawn at send time, plan events.

A feature fills in one Hooks object at start-up (its own `register` function); the outbox worker
draws through `draw` and the agenda announces each plan item that starts through `item_started`.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import replace
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


class Hooks:
    """The card drawers and plan-item listeners that features registered."""

    def __init__(self) -> None:
        self._drawers: dict[str, Drawer] = {}
        self._listeners: dict[ItemKind, list[ItemListener]] = {}

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
