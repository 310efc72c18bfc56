"""The Playground's WebSocket stream of the bot's messages, in every conversation it shows."""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import AsyncIterator
from typing import Any

import aiohttp

from tests.e2e.conftest import Playground
from tests.e2e.test_playground import REPLY_TIMEOUT_S
from tests.fakes.adaptive_cards import walk

Card = dict[str, Any]
Sent = tuple[str, str, Card]  # the chat, the message id, the signed card


def actions(card: Card) -> list[dict[str, Any]]:
    """A card's Action.Execute buttons, wherever they are."""
    return [e for e in walk(card) if e.get("type") == "Action.Execute"]


class Stream:
    """The bot's messages (new ones, and card updates) as the Playground pushes them."""

    def __init__(self) -> None:
        # (the conversation, the message, whether it was a new message or an update)
        self.events: list[tuple[str, dict[str, Any], bool]] = []
        self._changed = asyncio.Event()

    @property
    def messages(self) -> list[tuple[str, dict[str, Any]]]:
        """Every message and update, in order."""
        return [(where, message) for where, message, _ in self.events]

    async def run(self, ws: aiohttp.ClientWebSocketResponse) -> None:
        async for frame in ws:
            if frame.type != aiohttp.WSMsgType.TEXT:
                break
            event = json.loads(frame.data)
            if event.get("action") in ("createMessage", "updateMessage"):
                where = str(event.get("actionConversationId"))
                self.events.append((where, event["message"], event["action"] == "createMessage"))
                self._changed.set()

    async def changed(self) -> None:
        """Wait for the next message or update."""
        self._changed.clear()
        await self._changed.wait()

    async def text_in(self, conversation: str, *, not_empty: bool) -> str:
        """The first text the bot posted (as a new message) in conversation."""
        async with asyncio.timeout(REPLY_TIMEOUT_S):
            while True:
                for where, message, new in self.events:
                    if new and where == conversation and (message.get("text") or not not_empty):
                        return str(message.get("text"))
                await self.changed()

    async def card(self, verb: str, *, where: str | None = None, after: int = 0) -> Sent:
        """The first card (from message number `after` on) with a button for verb: its chat,
        its message id and the card as the bot sent it (signed)."""
        async with asyncio.timeout(REPLY_TIMEOUT_S):
            while True:
                for conversation, message in self.messages[after:]:
                    if where is not None and conversation != where:
                        continue
                    for attachment in message.get("attachments") or []:
                        content = attachment.get("content")
                        if isinstance(content, dict) and any(
                            a.get("verb") == verb for a in actions(content)
                        ):
                            return conversation, str(message["messageId"]), content
                await self.changed()


@contextlib.asynccontextmanager
async def listening(playground: Playground) -> AsyncIterator[tuple[aiohttp.ClientSession, Stream]]:
    """An HTTP session for the Playground's API and its stream, read in the background."""
    stream = Stream()
    url = f"{playground.url}/_ws_conversation/v1/conversations/stream"
    async with aiohttp.ClientSession() as session, session.ws_connect(url) as ws:
        reader = asyncio.create_task(stream.run(ws))
        try:
            yield session, stream
        finally:
            reader.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await reader
