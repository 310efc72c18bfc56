"""The router: turns in, outcomes out. Routing is data: the features' merged tables."""

from __future__ import annotations

import logging
from collections.abc import Iterable

from cards.payload import BadPayload, parse_action
from dialogs.context import Context, Services, resolve, say
from dialogs.feature import Feature, Registry
from dialogs.turn import Outcome, Turn, TurnKind
from domain.errors import DomainError

log = logging.getLogger(__name__)


class Router:
    """Dispatches turns to the features' handlers; the one place domain errors become text."""

    def __init__(self, services: Services, features: Iterable[Feature]) -> None:
        self.s = services
        # a word, verb or event claimed by two features stops the start-up here
        self.registry = Registry.merge(features)

    def needs_dedupe(self, turn: Turn) -> bool:
        """False for card verbs whose handling is idempotent by construction.

        A check-in recorded twice is still one mark (compare-and-set per person), and a
        refresh only reads: handling a redelivered one again gives the same answer, so the
        inbox (one more write per tap) can be skipped for them.
        """
        if turn.kind is not TurnKind.ACTION or not isinstance(turn.action, dict):
            return True
        verb = turn.action.get("verb")
        return not isinstance(verb, str) or verb not in self.registry.idempotent

    async def handle(self, turn: Turn) -> Outcome:
        """Handle one turn and return what to answer."""
        if turn.kind is TurnKind.UNINSTALLED:
            await self.s.conversations.set_active(turn.conversation.conversation_id, False)
            return Outcome()
        ctx = await resolve(turn, self.s, self.registry)
        try:
            if turn.kind is TurnKind.ACTION:
                return await self._action(ctx)
            if turn.kind is TurnKind.MESSAGE:
                command, argument = self.registry.parse(turn.text)
                if command is None:
                    understood = await self.registry.understand(ctx, turn.text)
                    return understood if understood is not None else say(ctx.t("unknown"))
                return await command.handler(ctx, argument)
            event = self.registry.events.get(turn.kind)
            return await event(ctx) if event is not None else Outcome()
        except DomainError as exc:
            return say(ctx.t(exc.key, **exc.params))

    async def _action(self, ctx: Context) -> Outcome:
        try:
            action = parse_action(ctx.turn.action)
        except BadPayload as exc:
            log.info("refused card payload: %s", exc)
            return say(ctx.t("card.stale"))
        handler = self.registry.actions.get(action.verb)
        if handler is None:
            log.info("unknown card verb %s", action.verb)
            return say(ctx.t("card.stale"))
        return await handler(ctx, action)
