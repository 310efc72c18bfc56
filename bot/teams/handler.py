"""The Teams activity handler: translates activities into turns for the router, and back."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, field
from http import HTTPStatus
from typing import Any, Protocol

from botbuilder.core import InvokeResponse, TurnContext
from botbuilder.core.teams import TeamsActivityHandler, TeamsInfo
from botbuilder.schema import Activity, ActivityTypes

from bot.teams.translate import (
    action_data,
    card_update_activity,
    client_platform,
    conversation_of,
    message_text,
    raw_conversation,
    raw_platform,
    raw_user,
    reply_activity,
    user_of,
)
from dialogs.router import Router
from dialogs.turn import Outcome, Reply, Turn, TurnKind
from domain.errors import ConcurrentUpdate, StoreUnavailable, TeamsUnavailable
from domain.i18n import language_for_locale, text
from domain.org import DEFAULT_LANGUAGE
from domain.outbox import OutboxMessage
from domain.ports import InboxRepository

log = logging.getLogger(__name__)

CARD_CONTENT_TYPE = "application/vnd.microsoft.card.adaptive"
MESSAGE_CONTENT_TYPE = "application/vnd.microsoft.activity.message"
MEETING_EVENTS = {
    "application/vnd.microsoft.meetingStart": TurnKind.MEETING_START,
    "application/vnd.microsoft.meetingEnd": TurnKind.MEETING_END,
}


ROSTER_SECONDS = 120.0


@dataclass
class _Roster:
    """A conversation's members' UPNs by Teams id, and when to read them again."""

    upns: dict[str, str] = field(default_factory=dict)
    expires: float = 0.0
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)


async def _read_roster(turn_context: TurnContext) -> dict[str, str]:
    upns: dict[str, str] = {}
    token: str | None = None
    for _ in range(100):  # 100 pages of 500: far more than any group
        page = await TeamsInfo.get_paged_members(turn_context, token, 500)
        for member in page.members or []:
            found = getattr(member, "user_principal_name", None) or getattr(member, "email", None)
            if member.id and found:
                upns[member.id] = str(found)
        token = page.continuation_token
        if not token:
            break
    return upns


class NeedsFullTurn(Exception):
    """The fast path cannot finish this turn (it would need the SDK's turn context)."""


async def _needs_full_turn() -> str | None:
    raise NeedsFullTurn


class ReplyOutbox(Protocol):
    """Where the fast path puts replies that do not fit in the invoke response."""

    async def enqueue_many(self, messages: Iterable[OutboxMessage]) -> int: ...


def _failure_text(error: Exception, locale: str | None) -> str:
    """Log a failed turn once and say it to the person: "busy, try again" or "went wrong"."""
    busy = isinstance(error, StoreUnavailable | ConcurrentUpdate | TeamsUnavailable)
    if busy:
        log.warning("turn failed, storage busy or unreachable: %s", type(error).__name__)
    else:
        log.error("turn failed: %s", type(error).__name__, exc_info=error)
    language = language_for_locale(locale) or DEFAULT_LANGUAGE
    return text(language, "error.busy" if busy else "error.generic")


def invoke_body(outcome: Outcome) -> tuple[dict[str, Any], list[Reply]]:
    """The adaptiveCard/action response body for an outcome, and the replies left over."""
    replies = list(outcome.replies)
    if outcome.card_update is not None:
        body: dict[str, Any] = {
            "statusCode": 200,
            "type": CARD_CONTENT_TYPE,
            "value": outcome.card_update,
        }
    else:
        first = replies.pop(0).text if replies else ""
        body = {"statusCode": 200, "type": MESSAGE_CONTENT_TYPE, "value": first or ""}
    return body, replies


class EtapaivaBot(TeamsActivityHandler):  # type: ignore[misc]
    """Handles every Teams activity type we care about; everything else is acknowledged."""

    def __init__(
        self, router: Router, inbox: InboxRepository, outbox: ReplyOutbox | None = None
    ) -> None:
        self._router = router
        self._inbox = inbox
        self._outbox = outbox
        self._rosters: dict[str, _Roster] = {}
        # told of each answer sent during a turn: the outbox counts it in Teams' limits
        self.on_direct_send: Callable[[str], None] = lambda _conversation_id: None

    async def on_turn(self, turn_context: TurnContext) -> None:
        """Handle each activity once (Teams may redeliver), with one error path for all."""
        activity = turn_context.activity
        claim = None
        try:
            if activity.id and activity.conversation and activity.conversation.id:
                if not await self._inbox.claim(activity.conversation.id, activity.id):
                    log.info("duplicate activity %s ignored", activity.id)
                    if activity.type == ActivityTypes.invoke:
                        await self._invoke_response(turn_context, InvokeResponse(status=200))
                    return
                claim = (activity.conversation.id, activity.id)
            await super().on_turn(turn_context)
        except Exception as error:
            if claim:
                await self._release(*claim)
            await self._apologise(turn_context, error)

    async def _release(self, conversation_id: str, activity_id: str) -> None:
        try:
            await self._inbox.release(conversation_id, activity_id)
        except Exception:
            log.warning("could not release activity claim %s", activity_id, exc_info=True)

    async def _apologise(self, turn_context: TurnContext, error: Exception) -> None:
        message = _failure_text(error, turn_context.activity.locale)
        activity = turn_context.activity
        try:
            if activity.type == ActivityTypes.invoke:
                body = {"statusCode": 200, "type": MESSAGE_CONTENT_TYPE, "value": message}
                await self._invoke_response(turn_context, InvokeResponse(status=200, body=body))
            elif activity.type == ActivityTypes.message:
                await self._send(turn_context, reply_activity(Reply(text=message)))
        except Exception:
            log.warning("could not tell the user about the failure", exc_info=True)

    @staticmethod
    async def _invoke_response(turn_context: TurnContext, response: InvokeResponse) -> None:
        await turn_context.send_activity(
            Activity(type=ActivityTypes.invoke_response, value=response)
        )

    def _turn(self, turn_context: TurnContext, kind: TurnKind, **fields: Any) -> Turn:
        activity = turn_context.activity
        return Turn(
            kind=kind,
            conversation=conversation_of(activity),
            user=user_of(activity),
            activity_id=activity.id,
            reply_to_id=activity.reply_to_id,
            platform=client_platform(activity),
            lookup_upn=self._upn_lookup(turn_context),
            **fields,
        )

    async def _send(self, turn_context: TurnContext, activity: Activity) -> None:
        await turn_context.send_activity(activity)
        conversation = turn_context.activity.conversation
        if conversation is not None and conversation.id:
            self.on_direct_send(conversation.id.split(";messageid=", 1)[0])

    def _upn_lookup(self, turn_context: TurnContext) -> Callable[[], Awaitable[str | None]]:
        async def lookup() -> str | None:
            return await self._roster_upn(turn_context)

        return lookup

    async def _roster_upn(self, turn_context: TurnContext) -> str | None:
        """The sender's UPN from the conversation's roster, read once for everyone.

        Thirty clients tapping for the first time would otherwise be thirty member lookups at
        once, and Teams throttles the roster API: one paged read per conversation serves them
        all for ROSTER_SECONDS. A failed read is not "nobody": it raises TeamsUnavailable so
        the person is asked to try again instead of becoming a stranger.
        """
        activity = turn_context.activity
        key = activity.conversation.id.split(";messageid=", 1)[0]
        sender = activity.from_property.id
        roster = self._rosters.setdefault(key, _Roster())
        async with roster.lock:
            now = time.monotonic()
            try:
                if now >= roster.expires:
                    roster.upns = await _read_roster(turn_context)
                    roster.expires = now + ROSTER_SECONDS
                if sender not in roster.upns:
                    # joined after the roster was read: ask for this one member
                    member = await TeamsInfo.get_member(turn_context, sender)
                    found = getattr(member, "user_principal_name", None) or getattr(
                        member, "email", None
                    )
                    if found:
                        roster.upns[sender] = str(found)
            except Exception as exc:
                status = getattr(getattr(exc, "response", None), "status_code", None)
                if status in (400, 403, 404):
                    return None  # Teams will not tell: not a member it can show us
                log.info("could not read the roster: %s %s", type(exc).__name__, status)
                raise TeamsUnavailable("roster lookup failed") from exc
            return roster.upns.get(sender)

    async def _run(self, turn_context: TurnContext, turn: Turn) -> Outcome:
        outcome = await self._router.handle(turn)
        for reply in outcome.replies:
            await self._send(turn_context, reply_activity(reply))
        return outcome

    # --- activity types ----------------------------------------------------------------

    async def on_message_activity(self, turn_context: TurnContext) -> None:
        """A typed message, or an Action.Submit from a card (value, no text)."""
        activity = turn_context.activity
        if activity.value is not None and not (activity.text or "").strip():
            turn = self._turn(turn_context, TurnKind.ACTION, action=activity.value)
            outcome = await self._run(turn_context, turn)
            if outcome.card_update is not None and activity.reply_to_id:
                await turn_context.update_activity(
                    card_update_activity(activity.reply_to_id, outcome.card_update)
                )
            return
        await self._run(
            turn_context, self._turn(turn_context, TurnKind.MESSAGE, text=message_text(activity))
        )

    async def on_installation_update_add(self, turn_context: TurnContext) -> None:
        """The app was installed in a personal chat, group chat, meeting or team."""
        await self._run(turn_context, self._turn(turn_context, TurnKind.INSTALLED))

    async def on_installation_update_remove(self, turn_context: TurnContext) -> None:
        """The app was removed: stop messaging that conversation."""
        await self._run(turn_context, self._turn(turn_context, TurnKind.UNINSTALLED))

    async def on_conversation_update_activity(self, turn_context: TurnContext) -> None:
        """Members added or removed; only the bot's own arrival or removal matters here."""
        activity = turn_context.activity
        bot_id = activity.recipient.id if activity.recipient else None
        if any(m.id == bot_id for m in activity.members_added or []):
            await self._run(turn_context, self._turn(turn_context, TurnKind.INSTALLED))
        elif any(m.id == bot_id for m in activity.members_removed or []):
            await self._run(turn_context, self._turn(turn_context, TurnKind.UNINSTALLED))

    async def on_event_activity(self, turn_context: TurnContext) -> None:
        """Teams meeting start/end in a meeting chat (participant events are not relied on)."""
        name = turn_context.activity.name
        kind = MEETING_EVENTS.get(name or "")
        if kind is not None:
            await self._run(turn_context, self._turn(turn_context, kind))

    async def on_invoke_activity(self, turn_context: TurnContext) -> InvokeResponse:
        """Universal Actions (adaptiveCard/action); other invokes are not implemented."""
        activity = turn_context.activity
        if activity.name != "adaptiveCard/action":
            # the SDK's default is 501; a client asking for something we do not offer is a 4xx
            return InvokeResponse(
                status=int(HTTPStatus.BAD_REQUEST), body={"error": "unsupported invoke"}
            )
        data = action_data(activity.value)
        turn = self._turn(turn_context, TurnKind.ACTION, action=data, is_invoke=True)
        outcome = await self._router.handle(turn)
        body, replies = invoke_body(outcome)
        for reply in replies:
            await self._send(turn_context, reply_activity(reply))
        # hand the body over unserialised: we write the HTTP response ourselves (teams-facts §11.2)
        return InvokeResponse(status=int(HTTPStatus.OK), body=body)

    # --- the fast path for card taps ---------------------------------------------------

    async def quick_invoke(self, body: dict[str, Any]) -> dict[str, Any] | None:
        """An authenticated adaptiveCard/action straight from its JSON, without the SDK turn.

        A check-in burst is 50 of these at once; botbuilder would build a connector client,
        a token client and its models for each (teams-facts §11.6) although the answer goes
        back in the HTTP response. Further replies go through the outbox. None: this one
        needs the full turn (a first contact that must look up the sender's UPN in the
        roster); nothing has been changed then.
        """
        if body.get("type") != "invoke" or body.get("name") != "adaptiveCard/action":
            return None
        turn = Turn(
            kind=TurnKind.ACTION,
            conversation=raw_conversation(body),
            user=raw_user(body),
            action=action_data(body.get("value")),
            is_invoke=True,
            activity_id=body.get("id") if isinstance(body.get("id"), str) else None,
            reply_to_id=body.get("replyToId") if isinstance(body.get("replyToId"), str) else None,
            platform=raw_platform(body),
            lookup_upn=_needs_full_turn,
        )
        claim = None
        try:
            if turn.activity_id and self._router.needs_dedupe(turn):
                if not await self._inbox.claim(turn.conversation.conversation_id, turn.activity_id):
                    log.info("duplicate activity %s ignored", turn.activity_id)
                    return {}
                claim = (turn.conversation.conversation_id, turn.activity_id)
            outcome = await self._router.handle(turn)
            answer, replies = invoke_body(outcome)
            if replies and self._outbox is not None:
                await self._outbox.enqueue_many(
                    OutboxMessage(
                        key=f"reply:{turn.conversation.conversation_id}:{turn.activity_id}:{i}",
                        conversation_id=turn.conversation.conversation_id,
                        text=r.text,
                        card=r.card,
                        speak=r.speak,
                    )
                    for i, r in enumerate(replies)
                )
            return answer
        except NeedsFullTurn:
            if claim:
                await self._release(*claim)
            return None
        except Exception as error:
            if claim:
                await self._release(*claim)
            message = _failure_text(error, turn.user.locale)
            return {"statusCode": 200, "type": MESSAGE_CONTENT_TYPE, "value": message}
