"""Opening a 1:1 chat with a person (Bot Connector: create conversation) for proactive cards."""

from __future__ import annotations

import logging
from typing import Any

from bot.teams.connector import BotConnector
from domain.model import Conversation, ConversationKind
from domain.org import Person
from domain.outbox import SendFailed
from domain.ports import ConversationRepository

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
        """The person's 1:1 chat, created through the service of a conversation they are in.

        Teams needs the person's 29: id and the tenant; without them, or when Teams refuses
        (the app is not installed for the person), there is no chat and the caller says so.
        """
        if not person.teams_id or not via.tenant_id or person.id is None:
            return None
        try:
            answer = await self._connector.create_conversation(
                via.service_url, conversation_parameters(person, via)
            )
        except SendFailed as exc:
            log.info("could not open a 1:1 chat with person %s: %s", person.id, exc.describe())
            return None
        conversation_id = answer.get("id")
        if not isinstance(conversation_id, str) or not conversation_id:
            return None
        bot = dict(via.reference.get("bot") or {})
        reference: dict[str, Any] = {
            "bot": {k: v for k, v in bot.items() if k in ("id", "name") and v},
            "user": {"id": person.teams_id, "name": person.name},
            "conversation": {"id": conversation_id, "conversationType": "personal"},
            "channelId": "msteams",
            "serviceUrl": via.service_url,
        }
        conversation = Conversation(
            conversation_id=conversation_id,
            kind=ConversationKind.PERSONAL,
            service_url=via.service_url,
            reference=reference,
            tenant_id=via.tenant_id,
            person_id=person.id,
        )
        return await self._conversations.remember(conversation)
