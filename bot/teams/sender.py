"""Sending to Teams: one request per send, cards signed, every refusal handed back as SendFailed.

Used by the outbox worker for proactive messages and for the answers given during turns
(`OutboxWorker.send_now`), so both share one rate limiter and one retry policy. The Bot
Connector client never retries on its own: the worker sees each 429 with its Retry-After.
"""

from __future__ import annotations

import logging
from typing import Any

from bot.teams.connector import BotConnector, retry_after_seconds
from bot.teams.signing import CardSigner
from bot.teams.translate import message_json
from domain.meetings import MeetingNotifier
from domain.model import Conversation
from domain.outbox import OutboxMessage, SendFailed

log = logging.getLogger(__name__)

__all__ = ["TeamsSender", "retry_after_seconds"]


class TeamsSender:
    """Posts or replaces a message in a stored conversation through the Bot Connector."""

    def __init__(
        self,
        connector: BotConnector,
        signer: CardSigner,
        notifier: MeetingNotifier | None = None,
        *,
        timeout: float | None = None,
    ) -> None:
        self._connector = connector
        self._signer = signer
        self._notifier = notifier
        self._timeout = timeout

    async def _notify(self, conversation: Conversation, notification: dict[str, Any]) -> None:
        """A targeted in-meeting notification (botbuilder's own helper is broken, §4)."""
        if self._notifier is None:
            raise SendFailed(None, reason="no meeting notifier configured")
        recipients = [r for r in notification.get("recipients", []) if isinstance(r, str)]
        await self._notifier.notify(
            conversation,
            recipients,
            title=str(notification.get("title", "")),
            url=str(notification.get("url", "")),
        )

    def _reference(self, conversation: Conversation) -> dict[str, Any]:
        reference = dict(conversation.reference)
        reference["serviceUrl"] = conversation.service_url or reference.get("serviceUrl")
        reference["channelId"] = reference.get("channelId") or "msteams"
        conv = dict(reference.get("conversation") or {})
        conv["id"] = conv.get("id") or conversation.conversation_id
        reference["conversation"] = conv
        return reference

    async def send(
        self,
        conversation: Conversation,
        message: OutboxMessage,
        replace_activity_id: str | None = None,
    ) -> str | None:
        """Deliver message (or replace replace_activity_id); return the Teams activity id."""
        if message.notification is not None:
            await self._notify(conversation, message.notification)
            return None
        target = message.thread or conversation.conversation_id
        card = (
            self._signer.sign(message.card, conversation.conversation_id)
            if message.card is not None
            else None
        )
        activity = message_json(message, self._reference(conversation), card)
        service_url = conversation.service_url or str(activity.get("serviceUrl") or "")
        replace = replace_activity_id or message.replace_id
        if replace:
            activity.pop("replyToId", None)
            return await self._connector.update_activity(
                service_url, target, replace, activity, within=self._timeout
            )
        activity_id = await self._connector.post_activity(
            service_url, target, activity, message.reply_to, within=self._timeout
        )
        return activity_id
