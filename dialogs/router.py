"""The router: turns in, outcomes out. Routing is data: the features' merged tables."""

from __future__ import annotations

import logging
import re
import unicodedata
from collections.abc import Iterable
from dataclasses import replace

from cards.payload import BadPayload, parse_action
from dialogs.context import Context, Services, resolve, say
from dialogs.feature import Feature, Registry
from dialogs.turn import Outcome, Turn, TurnKind
from domain.errors import DomainError

log = logging.getLogger(__name__)

# what may follow a command's words in a group message without an @mention: minutes, a date
_NUMBERS = re.compile(r"[+-]?\d[\d.:/ -]*")


# "@Etäpäivä apua" typed out, not picked as a mention (or in a 1:1 chat, as the hints say it)
_BY_NAME = re.compile(r"\s*@\s*(etäpäivä|etapaiva)(?!\w)[\s,:;.!-]*", re.IGNORECASE)


def by_name(turn: Turn) -> Turn:
    """A message that starts with the bot's name written out is said to the bot, name dropped."""
    if turn.kind is not TurnKind.MESSAGE:
        return turn
    found = _BY_NAME.match(unicodedata.normalize("NFC", turn.text))
    if found is None:
        return turn
    rest = unicodedata.normalize("NFC", turn.text)[found.end() :]
    return replace(turn, text=rest, mentioned=True)


def plainly_a_command(typed: str, argument: str) -> bool:
    """Command words alone, or with a number or a date; and words, not only a "?"."""
    return any(c.isalpha() for c in typed) and (
        not argument or _NUMBERS.fullmatch(argument) is not None
    )


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
        turn = by_name(turn)
        ctx = await resolve(turn, self.s, self.registry)
        try:
            if turn.kind is TurnKind.ACTION:
                return await self._action(ctx)
            if turn.kind is TurnKind.MESSAGE:
                return await self._message(ctx)
            event = self.registry.events.get(turn.kind)
            return await event(ctx) if event is not None else Outcome()
        except DomainError as exc:
            if not turn.addressed:
                # a refusal of what was not said to the bot would only be noise in a group
                log.info("not addressed, not answered: %s", exc.key)
                return Outcome()
            return say(ctx.t(exc.key, **exc.params))

    async def _message(self, ctx: Context) -> Outcome:
        """A command; else what a feature understands; else (when addressed) "not understood".

        A group message that does not @mention the bot runs a command only when it is the
        command's words alone (or with a number or a date: "pidennä 5"): "nimenhuuto" is for
        the bot, "seuraava kysymys on…" is people talking.
        """
        turn = ctx.turn
        command, argument = self.registry.parse(turn.text)
        if command is not None and (turn.addressed or plainly_a_command(turn.text, argument)):
            return await command.handler(ctx, argument)
        understood = await self.registry.understand(ctx, turn.text)
        if understood is not None:
            return understood
        return say(ctx.t("unknown")) if turn.addressed else Outcome()

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
