"""The real service on a loopback port, driven over HTTP the way Teams drives it."""

from __future__ import annotations

import asyncio
import contextlib
import json
import socket
from dataclasses import dataclass, replace
from typing import Any

import aiohttp
from aiohttp import web
from sqlalchemy import func, inspect, select, table

from bot.app import SIGNER, STORE, create_app
from bot.features import FEATURES, Plug
from bot.settings import Settings
from domain.model import Conversation, ConversationKind
from domain.outbox import OutboxStatus
from scheduler.clock import ScaledClock
from store.db import create_engine
from store.store import Store
from tests.fakes.connector import learn_conversation, learn_conversation_of
from tests.fakes.graph import FakeGraph


def free_port() -> int:
    """A free TCP port on 127.0.0.1."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class BotServer:
    """The running aiohttp app and an HTTP client for it."""

    runner: web.AppRunner
    url: str
    http: aiohttp.ClientSession

    @property
    def store(self) -> Store:
        """The service's own store (for arranging data and checking results)."""
        return self.runner.app[STORE]  # type: ignore[union-attr]

    def sign(self, activity: dict[str, Any]) -> dict[str, Any]:
        """The activity with its tap data signed as a card the bot sent there would carry it.

        Card taps are verified against the conversation (bot/teams/signing.py). Tests that tap
        a button build the data by hand, as the bot's card would hold it; this gives it the
        signature such a card would have. Data already signed is left as it is.
        """
        signer = self.runner.app[SIGNER]  # type: ignore[union-attr]
        account = activity.get("conversation")
        if not isinstance(account, dict):
            return activity  # a malformed activity: nothing to sign
        conversation = str(account.get("id"))
        value = activity.get("value")
        if activity.get("type") == "invoke" and isinstance(value, dict):
            action = value.get("action")
            if isinstance(action, dict) and "sig" not in (action.get("data") or {}):
                card = {"type": "Action.Execute", **action}
                if not isinstance(card.get("data"), dict):
                    card["data"] = {}
                signed = signer.sign(card, conversation)
                value = {**value, "action": {**action, "data": signed["data"]}}
                return {**activity, "value": value}
        if activity.get("type") == "message" and isinstance(value, dict) and "sig" not in value:
            signed = signer.sign({"type": "Action.Submit", "data": value}, conversation)
            return {**activity, "value": signed["data"]}
        return activity

    async def post(
        self,
        activity: dict[str, Any],
        *,
        token: str | None = None,
        authorization: str | None = None,
        signed: bool = True,
    ) -> tuple[int, Any]:
        """POST an activity to /api/messages; return status and JSON body (or None).

        token is sent as "Bearer <token>"; authorization is sent as the whole header.
        signed: sign a card tap's data (see `sign`); False posts it exactly as given.
        Teams has the conversation an activity comes from: a fake connector serving its
        serviceUrl learns it first.
        """
        learn_conversation_of(activity)
        if signed:
            activity = self.sign(activity)
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        if authorization is not None:
            headers["Authorization"] = authorization
        async with self.http.post(
            f"{self.url}/api/messages", json=activity, headers=headers
        ) as resp:
            body = await resp.read()
            return resp.status, (await resp.json(content_type=None)) if body else None

    async def post_raw(
        self, data: bytes, content_type: str = "application/json"
    ) -> tuple[int, Any]:
        """POST raw bytes to /api/messages (a fake connector learns the conversation, as `post`)."""
        with contextlib.suppress(ValueError, RecursionError):  # not JSON Teams would send
            learn_conversation_of(json.loads(data))
        async with self.http.post(
            f"{self.url}/api/messages", data=data, headers={"Content-Type": content_type}
        ) as resp:
            body = await resp.read()
            return resp.status, (await resp.json(content_type=None)) if body else None


async def start_bot(
    settings: Settings,
    credentials_factory: object | None = None,
    clock: ScaledClock | None = None,
    features: tuple[Plug, ...] = FEATURES,
    graph_credential: object | None = None,
) -> BotServer:
    """Start create_app(settings) on its port; the caller stops it with stop_bot.

    graph_credential: the token credential for a fake Graph (tests.fakes.graph.FakeGraph).
    """
    runner = web.AppRunner(
        create_app(
            settings,
            credentials_factory=credentials_factory,
            clock=clock,
            features=features,
            graph_credential=graph_credential,
        )
    )
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", settings.port)
    await site.start()
    return BotServer(runner, f"http://127.0.0.1:{settings.port}", aiohttp.ClientSession())


def with_graph(settings: Settings, fake: FakeGraph, catalog_app_id: str = "") -> Settings:
    """The settings with Microsoft Graph on against a fake Graph (start the bot with
    ``graph_credential=fake.credential``); ``catalog_app_id`` allows installing the app."""
    return replace(
        settings,
        graph_enabled=True,
        graph_tenant_id=settings.graph_tenant_id or "00000000-0000-0000-0000-0000000000aa",
        graph_client_id=settings.graph_client_id or "00000000-0000-0000-0000-0000000000b0",
        graph_client_secret=settings.graph_client_secret or "not-used-with-a-test-credential",
        graph_base_url=fake.url,
        teams_app_catalog_id=catalog_app_id,
    )


async def stop_bot(server: BotServer) -> None:
    """Stop the service and close the client."""
    await server.http.close()
    await server.runner.cleanup()


async def bound_group_chat(
    store: Store, conversation_id: str, service_url: str, group_id: int, person_id: int
) -> None:
    """Store a group chat as an install would, and bind it to a group (arranging tests).

    The chat exists in Teams: a fake connector serving ``service_url`` learns it.
    """
    learn_conversation(service_url, conversation_id)
    await store.conversations.remember(
        Conversation(
            conversation_id=conversation_id,
            kind=ConversationKind.GROUP_CHAT,
            service_url=service_url,
            tenant_id="t",
            reference={
                "conversation": {"id": conversation_id, "isGroup": True},
                "serviceUrl": service_url,
                "channelId": "msteams",
                "bot": {"id": "28:etapaiva", "name": "Etäpäivä"},
            },
        )
    )
    await store.conversations.bind(conversation_id, group_id, person_id)


async def drained(bot: BotServer, within: float = 10.0) -> None:
    """Wait until the outbox has nothing pending (the worker has sent everything decided)."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + within
    while (await bot.store.outbox.counts()).get(OutboxStatus.PENDING, 0):
        assert loop.time() < deadline, "the outbox did not drain"
        await asyncio.sleep(0.05)


async def row_counts(database_url: str) -> dict[str, int]:
    """The number of rows in every table of the database (as found there, not as modelled)."""
    engine = create_engine(database_url)
    try:
        async with engine.connect() as conn:
            names = await conn.run_sync(lambda sync: inspect(sync).get_table_names())
            counts: dict[str, int] = {}
            for name in sorted(names):
                query = select(func.count()).select_from(table(name))
                counts[name] = (await conn.execute(query)).scalar_one()
            return counts
    finally:
        await engine.dispose()
