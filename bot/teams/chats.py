"""Opening a 1:1 chat with a person (Bot Connector: create conversation) for proactive cards."""

from __future__ import annotations

import logging
from typing import Any

from botbuilder.core import TurnContext
from botbuilder.integration.aiohttp import CloudAdapter
from botbuilder.schema import ChannelAccount, ConversationParameters

from bot.teams.sender import disable_sdk_retries
from domain.model import Conversation, ConversationKind
from domain.org import Person
from domain.ports import ConversationRepository

log = logging.getLogger(__name__)


class TeamsPersonalChats:
    """PersonalChats over botbuilder's CloudAdapter; the new chat is remembered for later."""

    def __init__(
        self, adapter: CloudAdapter, app_id: str, conversations: ConversationRepository
    ) -> None:
        self._adapter = adapter
        self._app_id = app_id
        self._conversations = conversations

    async def open(self, person: Person, via: Conversation) -> Conversation | None:
        """The person's 1:1 chat, created through the service of a conversation they are in.

        Teams needs the person's 29: id and the tenant; without them, or when Teams refuses
        (the app is not installed for the person), there is no chat and the caller says so.
        """
        if not person.teams_id or not via.tenant_id or person.id is None:
            return None
        bot = dict(via.reference.get("bot") or {})
        parameters = ConversationParameters(
            is_group=False,
            bot=ChannelAccount(id=bot.get("id"), name=bot.get("name")),
            members=[ChannelAccount(id=person.teams_id)],
            tenant_id=via.tenant_id,
            channel_data={"tenant": {"id": via.tenant_id}},
        )
        found: dict[str, Any] = {}

        async def created(turn_context: TurnContext) -> None:
            disable_sdk_retries(turn_context, self._adapter)
            reference = TurnContext.get_conversation_reference(turn_context.activity).serialize()
            reference.pop("activityId", None)
            found["id"] = turn_context.activity.conversation.id
            found["reference"] = reference

        try:
            await self._adapter.create_conversation(
                self._app_id, created, parameters, "msteams", via.service_url
            )
        except Exception as exc:
            log.info("could not open a 1:1 chat with person %s: %s", person.id, type(exc).__name__)
            return None
        if not found.get("id"):
            return None
        reference = found["reference"]
        reference["user"] = {"id": person.teams_id, "name": person.name}
        reference.setdefault("conversation", {})["conversationType"] = "personal"
        conversation = Conversation(
            conversation_id=found["id"],
            kind=ConversationKind.PERSONAL,
            service_url=via.service_url,
            reference=reference,
            tenant_id=via.tenant_id,
            person_id=person.id,
        )
        return await self._conversations.remember(conversation)
