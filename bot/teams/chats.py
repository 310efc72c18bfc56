"""Opening a 1:1 chat with a person (Bot Connector: create conversation) for proactive cards."""

from __future__ import annotations

import logging
from typing import Any

from bot.teams.connector import BotConnector
from domain.model import Conversation, ConversationKind
from domain.org import Person
from domain.outbox import SendFailed
from domain.ports import ConversationRepository
from domain.reach import Reached, Unreachable

log = logging.getLogger(__name__)


def conversation_parameters(person: Person, via: Conversation) -> dict[str, Any]:
    """The create-conversation body botbuilder sends for a 1:1 chat (ConversationParameters)."""
    bot = dict(via.reference.get("bot") or {})
    return {
        "isGroup": False,
        "bot": {k: v for k, v in (("id", bot.get("id")), ("name", bot.get("name"))) if v},
        "members": [{"id": person.teams_id}],
        "tenantID": via.tenant_id,  # botbuilder spells it so; the connector reads any case
        "channelData": {"tenant": {"id": via.tenant_id}},
    }


class TeamsPersonalChats:
    """PersonalChats over the Bot Connector; the new chat is remembered for later."""

    def __init__(self, connector: BotConnector, conversations: ConversationRepository) -> None:
        self._connector = connector
        self._conversations = conversations

    async def open(self, person: Person, via: Conversation) -> Conversation | None:
        """The person's 1:1 chat, created through the service of a conversation they are in."""
        return (await self.reach(person, via)).conversation

    async def reach(self, person: Person, via: Conversation) -> Reached:
        """The person's 1:1 chat, created through the service of a conversation they are in,
        or why there is none.

        Teams needs the person's 29: id and the tenant; without them there is no chat. Teams
        refuses (4xx) when the app is not installed for the person; 429, 5xx or no answer is
        Teams not answering now.
        """
        if not person.teams_id or not via.tenant_id or person.id is None:
            return Reached(None, Unreachable.NO_TEAMS_ID)
        try:
            answer = await self._connector.create_conversation(
                via.service_url, conversation_parameters(person, via)
            )
        except SendFailed as exc:
            log.info("could not open a 1:1 chat with person %s: %s", person.id, exc.describe())
            refused = exc.status is not None and 400 <= exc.status < 500 and exc.status != 429
            return Reached(None, Unreachable.NOT_INSTALLED if refused else Unreachable.NO_ANSWER)
        conversation_id = answer.get("id")
        if not isinstance(conversation_id, str) or not conversation_id:
            return Reached(None, Unreachable.NO_ANSWER)
        return Reached(await self.adopt(person, via, conversation_id))

    async def adopt(self, person: Person, via: Conversation, conversation_id: str) -> Conversation:
        """Remember a 1:1 chat with the person made elsewhere (the app installed for them through
        Microsoft Graph: Graph's chat id is the conversation id), reached at via's service."""
        return await self._conversations.remember(
            personal_conversation(person, via, conversation_id)
        )


def personal_conversation(person: Person, via: Conversation, conversation_id: str) -> Conversation:
    """A 1:1 chat with the person, reached at the service of via (its bot and tenant)."""
    bot = dict(via.reference.get("bot") or {})
    user = {k: v for k, v in (("id", person.teams_id), ("name", person.name)) if v}
    reference: dict[str, Any] = {
        "bot": {k: v for k, v in bot.items() if k in ("id", "name") and v},
        "user": user,
        "conversation": {"id": conversation_id, "conversationType": "personal"},
        "channelId": "msteams",
        "serviceUrl": via.service_url,
    }
    return Conversation(
        conversation_id=conversation_id,
        kind=ConversationKind.PERSONAL,
        service_url=via.service_url,
        reference=reference,
        tenant_id=via.tenant_id,
        person_id=person.id,
    )
