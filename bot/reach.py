"""Reaching people Teams cannot open a 1:1 chat with yet: the app installed through Graph.

Teams opens a bot's 1:1 chat with a person only when the app is installed for them and the bot
knows their Teams id (29:…), which it learns when they write to it or are seen in a chat it is
in. With Microsoft Graph configured (bot/graph.py) and the app's catalog id set
(TEAMS_APP_CATALOG_ID), the bot installs the app for the others (application permission
`TeamsAppInstallation.ReadWriteSelfForUser.All`), remembers the chat Graph names as their 1:1
chat and sends there. Each installation is audited ("app.installed", subject the person).
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from typing import Any, Protocol

from domain.graph import Graph, GraphProblem, GraphUnavailable
from domain.model import Conversation
from domain.org import Person
from domain.reach import Reached, Unreachable

log = logging.getLogger(__name__)

# after a failure that would repeat for everyone (no permission, Graph throttling or failing),
# the next installations are not tried for a while: a reminder to 30 people makes one attempt
PAUSE_SECONDS: dict[GraphProblem, float] = {
    GraphProblem.FORBIDDEN: 300.0,
    GraphProblem.THROTTLED: 60.0,
    GraphProblem.SERVER: 60.0,
    GraphProblem.NETWORK: 60.0,
}

Audit = Callable[[str, str, dict[str, Any]], Awaitable[None]]


class TeamsChats(Protocol):
    """The Bot Connector side (bot.teams.chats.TeamsPersonalChats)."""

    async def reach(self, person: Person, via: Conversation) -> Reached: ...

    async def adopt(self, person: Person, via: Conversation, conversation_id: str) -> Conversation:
        """Remember a 1:1 chat with the person made elsewhere, reached at via's service."""
        ...


class InstallingChats:
    """PersonalChats that install the app through Graph for those Teams cannot reach yet."""

    def __init__(
        self,
        teams: TeamsChats,
        graph: Graph,
        audit: Audit,
        *,
        catalog_id: str,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._teams = teams
        self._graph = graph
        self._audit = audit
        self._catalog_id = catalog_id
        self._clock = clock
        self._paused: tuple[float, GraphProblem] | None = None
        # until an installation has worked, one runs at a time: when Graph refuses (no
        # permission, throttled) it refuses everyone, and one attempt is enough to know
        self._proven = False
        self._probe = asyncio.Lock()

    async def open(self, person: Person, via: Conversation) -> Conversation | None:
        """The person's 1:1 chat (installing the app for them when needed), or None."""
        return (await self.reach(person, via)).conversation

    async def reach(self, person: Person, via: Conversation) -> Reached:
        """The person's 1:1 chat, or why there is none.

        Teams is asked first; when it has no id for the person or refuses (the app is not
        installed for them), the app is installed for them by their Entra object id or UPN.
        Teams not answering is not a reason to install anything.
        """
        reached = await self._teams.reach(person, via)
        if reached.ok or reached.why is Unreachable.NO_ANSWER:
            return reached
        user = person.aad_object_id or person.upn
        if person.id is None or not user or not via.tenant_id:
            return reached
        if not self._catalog_id:
            log.warning(
                "person %s cannot be reached: Graph is on but TEAMS_APP_CATALOG_ID is not set",
                person.id,
            )
            return Reached(None, Unreachable.NOT_CONFIGURED)
        if not self._proven:
            async with self._probe:
                if not self._proven:
                    return await self._install(person, via, user)
        return await self._install(person, via, user)

    async def _install(self, person: Person, via: Conversation, user: str) -> Reached:
        """Install the app for the person and remember the chat Graph names, or say why not."""
        paused = self._pause()
        if paused is not None:
            return Reached(None, Unreachable.INSTALL_FAILED, paused)
        try:
            installed = await self._graph.install_app(user)
        except GraphUnavailable as exc:
            log.warning(
                "could not install the app for person %s: %s (%s)",
                person.id,
                exc.problem.value,
                exc.status,
            )
            pause = PAUSE_SECONDS.get(exc.problem)
            if pause is not None:
                self._paused = (self._clock() + pause, exc.problem)
                self._proven = False
            return Reached(None, Unreachable.INSTALL_FAILED, exc.problem)
        self._proven = True
        conversation = await self._teams.adopt(person, via, installed.chat_id)
        await self._audit(
            "app.installed",
            f"person:{person.id}",
            {"conversation": installed.chat_id, "by": "graph"},
        )
        log.info("installed the app for person %s; their 1:1 chat is known", person.id)
        return Reached(conversation)

    def _pause(self) -> GraphProblem | None:
        """The problem installations are paused for, if they are."""
        if self._paused is None:
            return None
        until, problem = self._paused
        if self._clock() >= until:
            self._paused = None
            return None
        return problem
