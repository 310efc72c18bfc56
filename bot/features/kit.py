"""What a feature's wiring gets to build its service: the shared parts of the running service."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import TypeVar

from bot.settings import Settings
from dialogs.feature import Feature
from domain.graph import Graph
from domain.hooks import Hooks
from domain.meetings import MeetingRoles
from domain.ports import PersonalChats
from domain.tutorial.content import Tutorial
from store.store import Store

T = TypeVar("T")


@dataclass
class Kit:
    """The shared parts, and the services the features listed before this one built."""

    settings: Settings
    store: Store
    hooks: Hooks
    clock: Callable[[], datetime]
    chats: PersonalChats
    meetings: MeetingRoles
    tutorial: Tutorial
    services: dict[type, object] = field(default_factory=dict)
    # Microsoft Graph (bot/graph.py) when configured; None: attendance reports and app
    # installation are not in use
    graph: Graph | None = None

    def need(self, kind: type[T]) -> T:
        """A service an earlier feature built (the order of FEATURES is the order of building)."""
        found = self.services.get(kind)
        if not isinstance(found, kind):
            raise LookupError(f"no feature before this one builds a {kind.__name__}")
        return found


Build = Callable[[Kit], Iterable[object]]


@dataclass(frozen=True)
class Plug:
    """One feature: its conversation side (words, verbs, help) and how its service is built.

    build returns the feature's services (found by type by its handlers and by later
    features) and registers what the feature adds to the running service in kit.hooks:
    cards drawn at send time, plan-item listeners, periodic jobs.
    """

    feature: Feature
    build: Build | None = None
