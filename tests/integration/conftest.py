"""Fixtures: the real bot over loopback HTTP, a fake Teams connector, the example organisation."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator

import pytest

from bot.orgfile import load_org_file
from bot.settings import Settings
from tests.fakes.activities import User
from tests.fakes.connector import FakeConnector
from tests.integration.harness import BotServer, free_port, start_bot, stop_bot

# people from examples/org.example.yaml, as Teams would present them
MAIJA = User(
    name="Maija Virtanen",
    aad_object_id="9c1b3f1e-2a4d-4c6b-8e0f-1a2b3c4d5e6f",
    upn="maija.virtanen@example.hel.fi",
)
JOHAN = User(name="Johan Lindqvist", upn="johan.lindqvist@example.hel.fi")
ANNELI = User(name="Anneli Korhonen", upn="anneli.korhonen@example.hel.fi")
PEKKA = User(name="Pekka Nieminen", aad_object_id="4f7e2d90-6b1a-4c3e-9d58-0e2f6a7b8c91")
JARI = User(name="Jari Mäkinen", upn="jari.makinen@example.hel.fi")
STRANGER = User(name="Vieras Henkilö", upn="vieras@example.hel.fi")


@pytest.fixture
def connector() -> Iterator[FakeConnector]:
    """A fake Bot Connector; members of the example organisation can be looked up by UPN."""
    with FakeConnector() as fc:
        yield fc


@pytest.fixture
async def bot(database_url: str) -> AsyncIterator[BotServer]:
    """The real service in local mode (no app id) on a free loopback port."""
    server = await start_bot(Settings(port=free_port(), database_url=database_url))
    try:
        yield server
    finally:
        await stop_bot(server)


@pytest.fixture
async def org_bot(bot: BotServer) -> BotServer:
    """The service with examples/org.example.yaml imported."""
    await bot.store.org.apply(load_org_file("examples/org.example.yaml"))
    return bot


def known(connector: FakeConnector, conversation_id: str, *users: User) -> None:
    """Make users resolvable by GET members/{id} in a conversation (UPN matching)."""
    for user in users:
        connector.add_member(conversation_id, user.member())
