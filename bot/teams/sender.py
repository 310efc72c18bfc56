"""Proactive sends for the outbox worker: continue_conversation, one request, no SDK retries.

botframework-connector's HTTP layer (msrest over requests/urllib3) retries on its own: a PUT
(card update) is repeated on 429 and on 5xx after sleeping in a worker thread, which hides
throttling from our limiter; a POST is repeated only when the connection could not be opened.
For the outbox's requests every such retry is switched off, so the worker sees each answer and
is the only one that retries.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any

from botbuilder.core import TurnContext
from botbuilder.integration.aiohttp import CloudAdapter
from botbuilder.schema import ConversationReference
from msrest.exceptions import ClientRequestError, HttpOperationError
from msrest.universal_http.requests import ClientRetryPolicy
from urllib3.util.retry import Retry

from bot.outbox_worker import SendFailed
from bot.teams.translate import reply_activity
from dialogs.turn import Reply
from domain.meetings import MeetingNotifier
from domain.model import Conversation
from domain.outbox import OutboxMessage

log = logging.getLogger(__name__)


def speed_up_msrest() -> None:
    """Make msrest's ClientRetryPolicy cheap to build (process-wide, idempotent).

    botbuilder builds two msrest configurations per proactive send (and per incoming turn); each
    builds a ClientRetryPolicy whose status list is `[i for i in range(999) if i not in
    safe_codes]` with safe_codes a 500-item list: about 6 ms of CPU each (teams-facts §11.6).
    The same codes as a frozenset give the same policy in microseconds.
    """
    if not isinstance(ClientRetryPolicy.safe_codes, frozenset):
        # only ever tested with `in`: a set serves where msrest declares a list
        ClientRetryPolicy.safe_codes = frozenset(ClientRetryPolicy.safe_codes)  # type: ignore[assignment]


def no_retries() -> Retry:
    """A urllib3 policy that never retries and hands every status back to the caller."""
    return Retry(
        total=0,
        connect=0,
        read=0,
        status=0,
        other=0,
        redirect=0,
        status_forcelist=None,
        respect_retry_after_header=False,
        raise_on_status=False,
        raise_on_redirect=False,
    )


def disable_sdk_retries(turn_context: TurnContext, adapter: CloudAdapter) -> bool:
    """Switch off msrest's retries on the connector client of this (proactive) turn.

    The client's requests session already exists when the turn starts, so its transport
    adapters get the policy directly; config.retry_policy covers sessions made later (msrest
    keeps one per thread). False if the client does not look the way botbuilder 4.17 builds it.
    """
    client = turn_context.turn_state.get(adapter.BOT_CONNECTOR_CLIENT_KEY)
    config = getattr(client, "config", None)
    policy = getattr(config, "retry_policy", None)
    if policy is not None:
        policy.policy = no_retries()
    driver = getattr(getattr(getattr(config, "pipeline", None), "_sender", None), "driver", None)
    session = getattr(driver, "session", None)
    transports = getattr(session, "adapters", None)
    if policy is None or not isinstance(transports, dict):
        return False
    for transport in transports.values():
        transport.max_retries = no_retries()
    return True


def retry_after_seconds(value: str | None, now: datetime | None = None) -> float | None:
    """Seconds from a Retry-After header (delta-seconds or an HTTP date); None if absent."""
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - (now or datetime.now(UTC))).total_seconds())


def _error_code(exc: HttpOperationError) -> str:
    error = getattr(getattr(exc, "error", None), "error", None)
    code = getattr(error, "code", None)
    return str(code)[:60] if code else ""


def send_failure(exc: BaseException) -> SendFailed:
    """Our SendFailed for what botbuilder / msrest raised (status, Retry-After, error code)."""
    if isinstance(exc, SendFailed):
        return exc
    if isinstance(exc, HttpOperationError):
        response = getattr(exc, "response", None)
        status = getattr(response, "status_code", None)
        headers = getattr(response, "headers", None) or {}
        return SendFailed(
            int(status) if status is not None else None,
            retry_after_seconds(headers.get("Retry-After")),
            _error_code(exc),
        )
    if isinstance(exc, ClientRequestError | ConnectionError | TimeoutError | OSError):
        return SendFailed(None, reason=type(exc).__name__)
    log.warning("outbox: unexpected error from the connector", exc_info=exc)
    return SendFailed(None, reason=type(exc).__name__)


class TeamsSender:
    """Posts or replaces a message in a stored conversation through the adapter."""

    def __init__(
        self, adapter: CloudAdapter, app_id: str, notifier: MeetingNotifier | None = None
    ) -> None:
        self._adapter = adapter
        self._app_id = app_id
        self._notifier = notifier
        speed_up_msrest()

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

    def _reference(self, conversation: Conversation) -> ConversationReference:
        reference = ConversationReference().deserialize(dict(conversation.reference))
        reference.service_url = conversation.service_url or reference.service_url
        reference.channel_id = reference.channel_id or "msteams"
        if reference.conversation is not None:
            reference.conversation.id = reference.conversation.id or conversation.conversation_id
        reference.activity_id = None
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
        activity = reply_activity(Reply(text=message.text, card=message.card, speak=message.speak))
        outcome: dict[str, Any] = {}

        async def deliver(turn_context: TurnContext) -> None:
            # botbuilder hands errors raised here to on_turn_error and swallows them: keep them
            try:
                if not disable_sdk_retries(turn_context, self._adapter):
                    log.warning("outbox: could not switch off the connector's own retries")
                # no replyToId: post to the conversation, not as a reply to the continuation
                turn_context.activity.id = None
                if replace_activity_id:
                    activity.id = replace_activity_id
                    response = await turn_context.update_activity(activity)
                else:
                    response = await turn_context.send_activity(activity)
                outcome["id"] = getattr(response, "id", None)
            except Exception as exc:
                outcome["error"] = exc

        try:
            await self._adapter.continue_conversation(
                self._reference(conversation), deliver, self._app_id
            )
        except Exception as exc:
            raise send_failure(exc) from exc
        error = outcome.get("error")
        if error is not None:
            raise send_failure(error) from error
        found = outcome.get("id")
        if isinstance(found, str) and found:
            return found
        return replace_activity_id
