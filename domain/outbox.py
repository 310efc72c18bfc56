"""Proactive messages: decided first (a persisted outbox row), delivered later by a worker."""

from __future__ import annotations

import enum
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from domain.model import Conversation


@dataclass(frozen=True, slots=True)
class OutboxMessage:
    """One message to post (or one card to update) in a conversation, exactly once.

    key is the idempotency key: the same key is enqueued at most once, ever. update_of names the
    key of an earlier message whose Teams activity this one replaces in place (an agenda card).
    render names what the worker draws fresh just before sending (a roll call's card: the count
    is then right when it goes out, however many taps came meanwhile). coalesce: while an unsent
    message with the same coalesce value waits (not yet taken by the worker), a new one is not
    added — with render, the waiting one will show the latest state anyway. notification: a
    targeted in-meeting notification (recipients, title, url) instead of a chat message.

    An answer given during a turn that could not go out at once is queued too: reply_to is the
    incoming activity it answers, thread the conversation id to post into when it differs from
    conversation_id (a channel thread, "19:…;messageid=…"), and replace_id a Teams activity id
    whose card it replaces (an Action.Submit tap updates the tapped card).
    """

    key: str
    conversation_id: str
    text: str | None = None
    card: dict[str, Any] | None = None
    speak: str | None = None
    update_of: str | None = None
    render: str | None = None
    coalesce: str | None = None
    notification: dict[str, Any] | None = None
    reply_to: str | None = None
    thread: str | None = None
    replace_id: str | None = None


class OutboxStatus(enum.StrEnum):
    """Where a message is on its way."""

    PENDING = "pending"
    SENT = "sent"
    DEAD = "dead"


@dataclass(frozen=True, slots=True)
class OutboxEntry:
    """A stored outbox row, as admins and the worker see it."""

    id: int
    message: OutboxMessage
    status: OutboxStatus
    attempts: int
    created_at: datetime
    next_attempt_at: datetime
    sent_at: datetime | None = None
    activity_id: str | None = None
    last_error: str | None = None
    throttles: int = 0


class Outbox(Protocol):
    """Where domain services put proactive messages."""

    async def enqueue(self, message: OutboxMessage) -> bool:
        """Store message unless its key was used before; True if it was new."""
        ...


class SendFailed(Exception):
    """A send that Teams refused or that never got an answer (status None)."""

    def __init__(
        self, status: int | None, retry_after: float | None = None, reason: str = ""
    ) -> None:
        self.status = status
        self.retry_after = retry_after
        self.reason = reason
        super().__init__(self.describe())

    def describe(self) -> str:
        """A short description for logs and dead letters (never message text)."""
        if self.status is None:
            text = f"no answer ({self.reason or 'connection error'})"
        else:
            text = f"HTTP {self.status}" + (f" {self.reason}" if self.reason else "")
        if self.retry_after is not None:
            text += f", Retry-After {self.retry_after:g} s"
        return text


class Sender(Protocol):
    """Posts a message to a conversation, or replaces an earlier one (bot.teams.sender)."""

    async def send(
        self,
        conversation: Conversation,
        message: OutboxMessage,
        replace_activity_id: str | None = None,
    ) -> str | None:
        """Deliver message; return the Teams activity id. Raise SendFailed when refused."""
        ...


class SendNow(Protocol):
    """Sends a turn's answers at once, or stores them in the outbox (the outbox worker)."""

    async def send_now(self, conversation: Conversation, messages: Sequence[OutboxMessage]) -> int:
        """Send messages in order now; those that cannot go are queued. Returns how many were."""
        ...
