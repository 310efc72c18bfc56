"""What a dialog sees of a turn, and what it answers: no SDK types."""

from __future__ import annotations

import enum
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from domain.model import Conversation, TeamsUser


class TurnKind(enum.Enum):
    """The kinds of incoming activity the dialogs handle."""

    MESSAGE = "message"
    ACTION = "action"
    INSTALLED = "installed"
    UNINSTALLED = "uninstalled"
    MEETING_START = "meeting_start"
    MEETING_END = "meeting_end"


async def _no_upn() -> str | None:
    return None


@dataclass(frozen=True, slots=True)
class Turn:
    """One incoming activity, translated at the edge."""

    kind: TurnKind
    conversation: Conversation
    user: TeamsUser
    text: str = ""
    action: Any = None
    is_invoke: bool = False
    activity_id: str | None = None
    reply_to_id: str | None = None
    platform: str | None = None
    # the message @mentioned the bot (a group message without it reaches the bot only when the
    # tenant granted the chat's resource-specific consent ChatMessage.Read.Chat)
    mentioned: bool = False
    # what the message carried besides text: content types of its attachments ("image/png"…)
    attachments: tuple[str, ...] = ()
    lookup_upn: Callable[[], Awaitable[str | None]] = field(default=_no_upn, compare=False)

    @property
    def addressed(self) -> bool:
        """Said to the bot: anything in a 1:1 chat, a tap, a group message that @mentions it.

        With the resource-specific consent ChatMessage.Read.Chat every group message reaches
        the bot; one that does not @mention it is answered only when it is plainly for the bot.
        """
        return (
            self.kind is not TurnKind.MESSAGE
            or not self.conversation.kind.is_group
            or self.mentioned
        )


@dataclass(frozen=True, slots=True)
class Reply:
    """A message to post in the turn's conversation: text, a card, or both."""

    text: str | None = None
    card: dict[str, Any] | None = None
    speak: str | None = None


@dataclass(slots=True)
class Outcome:
    """Everything a dialog answers: new messages, and maybe a replacement for the tapped card."""

    replies: list[Reply] = field(default_factory=list)
    card_update: dict[str, Any] | None = None


def joined(replies: list[Reply]) -> list[Reply]:
    """The replies as few messages as they fit in: texts run together, a card under its text.

    Each message is a notification to the person and a send Teams counts against its limits
    (7 a second per chat, 50 a second for the bot): "help" answered with the help lines and
    the guide's first card is one message, not two. A card is never merged with another card.
    """
    merged: list[Reply] = []
    for reply in replies:
        last = merged[-1] if merged else None
        if last is None or last.card is not None:
            merged.append(reply)
            continue
        texts = [t for t in (last.text, reply.text) if t]
        speech = [t for t in (last.speak, reply.speak) if t]
        merged[-1] = Reply(
            text="\n\n".join(texts) or None,
            card=reply.card,
            speak=" ".join(speech) or None,
        )
    return merged


def card_in_place(turn: Turn, card: dict[str, Any]) -> Outcome:
    """Replace the tapped card with card; a new message when there is no card to replace."""
    if turn.is_invoke or turn.reply_to_id:
        return Outcome(card_update=card)
    return Outcome(replies=[Reply(card=card)])
