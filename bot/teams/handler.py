"""The Teams activity handler: activity JSON in, a turn for the router, answers back out.

Every activity is read from its JSON (bot/teams/translate.py) and answered without botbuilder's
per-turn machinery: CloudAdapter.process_activity builds a connector client, a token client and
their models for each turn (teams-facts §11.6), which cost more than the rest of a turn. botbuilder
still authenticates each request (bot/teams/endpoint.py) and provides the bot's outbound token.

Answers given during a turn go out at once through the outbox worker's `send_now`: the same rate
limiter and retry policy as proactive messages, and whatever cannot go now is stored in the
outbox, not dropped. A card tap's own answer is the invoke response.

Each activity is handled once, also across crashes: a claim names the process handling it and is
marked done when the turn has finished. A redelivery of a finished turn is a duplicate; of a
turn whose process died (kill -9) it runs again, the turn's writes being idempotent; of a turn
still running in this process it waits for that turn and gives the same answer.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import uuid
from collections.abc import Sequence
from http import HTTPStatus
from typing import Any

from bot.teams.roster import Rosters
from bot.teams.signing import CardSigner
from bot.teams.translate import (
    action_data,
    raw_attachments,
    raw_conversation,
    raw_mentions_bot,
    raw_platform,
    raw_text,
    raw_user,
)
from dialogs.router import Router
from dialogs.turn import Outcome, Reply, Turn, TurnKind, joined
from domain.errors import ConcurrentUpdate, StoreUnavailable, TeamsUnavailable
from domain.i18n import language_for_locale, text
from domain.inbox import Claim
from domain.org import DEFAULT_LANGUAGE
from domain.outbox import OutboxMessage, SendNow
from domain.ports import InboxRepository

log = logging.getLogger(__name__)

CARD_CONTENT_TYPE = "application/vnd.microsoft.card.adaptive"
MESSAGE_CONTENT_TYPE = "application/vnd.microsoft.activity.message"
MEETING_EVENTS = {
    "application/vnd.microsoft.meetingStart": TurnKind.MEETING_START,
    "application/vnd.microsoft.meetingEnd": TurnKind.MEETING_END,
}
INSTALL_ACTIONS = {"add": TurnKind.INSTALLED, "add-upgrade": TurnKind.INSTALLED}
UNINSTALL_ACTIONS = {"remove": TurnKind.UNINSTALLED, "remove-upgrade": TurnKind.UNINSTALLED}
# a redelivery of a turn still running here waits this long for its answer
DUPLICATE_WAIT_SECONDS = 20.0

Answer = tuple[int, Any]
ACCEPTED: Answer = (int(HTTPStatus.CREATED), None)


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
    """The adaptiveCard/action response body for an outcome, and the replies left over.

    The replies are joined into as few messages as they fit (`joined`). Without a card update,
    a first reply of text only becomes the response's message; one that carries a card is sent
    as a message (its card would be lost in the response) and its text is shown as well.
    """
    replies = joined(list(outcome.replies))
    if outcome.card_update is not None:
        body: dict[str, Any] = {
            "statusCode": 200,
            "type": CARD_CONTENT_TYPE,
            "value": outcome.card_update,
        }
        return body, replies
    first = replies[0] if replies else None
    if first is not None and first.card is None:
        replies.pop(0)
    said = first.text if first is not None else ""
    if not said and first is not None and first.card is not None:
        # never an empty banner when something was sent: say what the card says
        said = _card_words(first.card)
    return {"statusCode": 200, "type": MESSAGE_CONTENT_TYPE, "value": said or ""}, replies


def _card_words(card: dict[str, Any]) -> str:
    """What a card says in a line: its speak text, else its first text block."""
    speak = card.get("speak")
    if isinstance(speak, str) and speak:
        return speak
    for element in card.get("body") or []:
        if isinstance(element, dict) and element.get("type") == "TextBlock" and element.get("text"):
            return str(element["text"])
    return ""


def _message_invoke(value: str) -> dict[str, Any]:
    return {"statusCode": 200, "type": MESSAGE_CONTENT_TYPE, "value": value}


def _str(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None


def _members_include(members: Any, member_id: str | None) -> bool:
    if not member_id or not isinstance(members, list):
        return False
    return any(isinstance(m, dict) and m.get("id") == member_id for m in members)


class EtapaivaBot:
    """Handles every Teams activity type we care about; everything else is acknowledged."""

    def __init__(
        self,
        router: Router,
        inbox: InboxRepository,
        replies: SendNow,
        rosters: Rosters,
        signer: CardSigner,
    ) -> None:
        self._router = router
        self._inbox = inbox
        self._replies = replies
        self._rosters = rosters
        self._signer = signer
        self._running: dict[tuple[str, str], asyncio.Future[Answer]] = {}

    # --- reading the activity ------------------------------------------------------------

    def _kind(self, body: dict[str, Any]) -> TurnKind | None:
        kind = body.get("type")
        if kind == "message":
            if body.get("value") is not None and not str(body.get("text") or "").strip():
                return TurnKind.ACTION  # an Action.Submit from a card
            return TurnKind.MESSAGE
        if kind == "invoke":
            return TurnKind.ACTION
        if kind == "installationUpdate":
            action = str(body.get("action") or "")
            return INSTALL_ACTIONS.get(action) or UNINSTALL_ACTIONS.get(action)
        if kind == "conversationUpdate":
            bot_id = _str((body.get("recipient") or {}).get("id"))
            if _members_include(body.get("membersAdded"), bot_id):
                return TurnKind.INSTALLED
            if _members_include(body.get("membersRemoved"), bot_id):
                return TurnKind.UNINSTALLED
            return None
        if kind == "event":
            return MEETING_EVENTS.get(str(body.get("name") or ""))
        return None

    def _turn(self, body: dict[str, Any], kind: TurnKind) -> Turn:
        conversation = raw_conversation(body)
        raw_id = str((body.get("conversation") or {}).get("id"))
        team_id = conversation.team_id
        service_url = conversation.service_url
        sender = raw_user(body)

        async def lookup_upn() -> str | None:
            # in a team, Teams lists the team's members (as TeamsInfo does)
            return await self._rosters.upn(service_url, team_id or raw_id, sender.teams_id)

        fields: dict[str, Any] = {}
        if kind is TurnKind.MESSAGE:
            fields["text"] = raw_text(body)
            fields["mentioned"] = raw_mentions_bot(body)
            fields["attachments"] = raw_attachments(body)
        elif kind is TurnKind.ACTION:
            is_invoke = body.get("type") == "invoke"
            data = action_data(body.get("value")) if is_invoke else body.get("value")
            # a tap may only name what a card sent to this conversation named
            fields["action"] = self._signer.verify(data, raw_id)
            fields["is_invoke"] = is_invoke
            if fields["action"] is None:
                log.info("refused card data: signature missing or wrong for this conversation")
        return Turn(
            kind=kind,
            conversation=conversation,
            user=sender,
            activity_id=_str(body.get("id")),
            reply_to_id=_str(body.get("replyToId")),
            platform=raw_platform(body),
            lookup_upn=lookup_upn,
            **fields,
        )

    # --- handling ------------------------------------------------------------------------

    async def handle(self, body: dict[str, Any]) -> Answer:
        """Handle one checked, authenticated activity; the HTTP status and body to answer."""
        is_invoke = body.get("type") == "invoke"
        if is_invoke and body.get("name") != "adaptiveCard/action":
            # a client asking for something we do not offer is a 4xx (the SDK's default is 501)
            return int(HTTPStatus.BAD_REQUEST), {"error": "unsupported invoke"}
        kind = self._kind(body)
        if kind is None:
            return ACCEPTED
        turn = self._turn(body, kind)
        raw_id = str((body.get("conversation") or {}).get("id"))
        if turn.activity_id is None or not self._router.needs_dedupe(turn):
            return await self._answer(turn, body)
        key = (raw_id, turn.activity_id)
        running = self._running.get(key)
        if running is not None:
            log.info("activity %s redelivered while it runs: same answer", turn.activity_id)
            return await asyncio.wait_for(asyncio.shield(running), DUPLICATE_WAIT_SECONDS)
        future: asyncio.Future[Answer] = asyncio.get_running_loop().create_future()
        self._running[key] = future
        try:
            answer = await self._claimed(turn, body, key)
            future.set_result(answer)
            return answer
        except BaseException as error:
            future.set_exception(error)
            future.exception()  # retrieved: a waiting duplicate gets it, nobody else needs to
            raise
        finally:
            del self._running[key]

    async def _claimed(self, turn: Turn, body: dict[str, Any], key: tuple[str, str]) -> Answer:
        try:
            claim = await self._inbox.claim(*key)
        except Exception as error:
            return await self._apologise(turn, body, error)
        if claim in (Claim.DONE, Claim.BUSY):
            log.info("duplicate activity %s ignored (%s)", turn.activity_id, claim.value)
            return (int(HTTPStatus.OK), {}) if turn.is_invoke else ACCEPTED
        if claim is Claim.RETAKEN:
            log.info("activity %s redelivered after its handler died: handled again", key[1])
        try:
            answer = await self._run(turn, body)
        except Exception as error:
            await self._release(*key)
            return await self._apologise(turn, body, error)
        try:
            await self._inbox.finish(*key)
        except Exception:
            # the turn is done; a redelivery would run it again, its writes being idempotent
            log.warning("could not record activity %s as handled", key[1], exc_info=True)
        return answer

    async def _answer(self, turn: Turn, body: dict[str, Any]) -> Answer:
        try:
            return await self._run(turn, body)
        except Exception as error:
            return await self._apologise(turn, body, error)

    async def _release(self, conversation_id: str, activity_id: str) -> None:
        try:
            await self._inbox.release(conversation_id, activity_id)
        except Exception:
            log.warning("could not release activity claim %s", activity_id, exc_info=True)

    async def _apologise(self, turn: Turn, body: dict[str, Any], error: Exception) -> Answer:
        message = _failure_text(error, turn.user.locale)
        if turn.is_invoke:
            return int(HTTPStatus.OK), _message_invoke(message)
        if turn.kind in (TurnKind.MESSAGE, TurnKind.ACTION):
            try:
                await self._send(turn, body, [Reply(text=message)], apology=True)
            except Exception:
                log.warning("could not tell the user about the failure", exc_info=True)
        return ACCEPTED

    async def _run(self, turn: Turn, body: dict[str, Any]) -> Answer:
        outcome = await self._router.handle(turn)
        if turn.is_invoke:
            answer, replies = invoke_body(outcome)
            if answer["type"] == CARD_CONTENT_TYPE:
                answer["value"] = self._signer.sign(
                    answer["value"], turn.conversation.conversation_id
                )
            await self._send(turn, body, replies)
            return int(HTTPStatus.OK), answer
        replies = joined(list(outcome.replies))
        update = None
        if turn.kind is TurnKind.ACTION and outcome.card_update is not None and turn.reply_to_id:
            # an Action.Submit tap: the tapped card is replaced in place
            update = outcome.card_update
        await self._send(turn, body, replies, update=update)
        return ACCEPTED

    async def _send(
        self,
        turn: Turn,
        body: dict[str, Any],
        replies: Sequence[Reply],
        *,
        update: dict[str, Any] | None = None,
        apology: bool = False,
    ) -> None:
        if not replies and update is None:
            return
        conversation = turn.conversation
        raw_id = str((body.get("conversation") or {}).get("id"))
        thread = raw_id if raw_id != conversation.conversation_id else None
        # keys make a queued answer unique: a redelivered turn queues it once (hashed: ids are
        # long, the outbox's keys are not)
        origin = turn.activity_id or uuid.uuid4().hex
        digest = hashlib.sha256(f"{raw_id}\n{origin}".encode()).hexdigest()[:40]
        prefix = f"reply:{digest}" + (":apology" if apology else "")
        messages: list[OutboxMessage] = []
        if update is not None:
            messages.append(
                OutboxMessage(
                    key=f"{prefix}:update",
                    conversation_id=conversation.conversation_id,
                    card=update,
                    thread=thread,
                    replace_id=turn.reply_to_id,
                )
            )
        messages.extend(
            OutboxMessage(
                key=f"{prefix}:{i}",
                conversation_id=conversation.conversation_id,
                text=reply.text,
                card=reply.card,
                speak=reply.speak,
                thread=thread,
                reply_to=turn.activity_id,
            )
            for i, reply in enumerate(replies)
        )
        await self._replies.send_now(conversation, messages)
