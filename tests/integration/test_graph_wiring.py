"""The service builds its Graph client from the settings and closes it when it stops."""

from __future__ import annotations

from pathlib import Path

from bot.app import GRAPH
from bot.graph import MsGraph
from bot.settings import Settings
from domain.graph import MeetingRef
from tests.fakes.graph import FakeGraph
from tests.integration.harness import free_port, start_bot, stop_bot, with_graph


async def test_without_graph_configured_the_service_has_none(tmp_path: Path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'test.db'}"
    server = await start_bot(Settings(port=free_port(), database_url=url))
    try:
        assert GRAPH not in server.runner.app
    finally:
        await stop_bot(server)


async def test_with_graph_configured_the_service_calls_it_and_closes_it(tmp_path: Path) -> None:
    async with FakeGraph() as fake:
        fake.add_meeting("organizer-1", "meeting-1", "https://teams.microsoft.com/l/x")
        url = f"sqlite+aiosqlite:///{tmp_path / 'test.db'}"
        settings = with_graph(Settings(port=free_port(), database_url=url), fake)
        server = await start_bot(settings, graph_credential=fake.credential)
        try:
            graph = server.runner.app[GRAPH]
            assert await graph.reports(MeetingRef("organizer-1", "meeting-1")) == []
        finally:
            await stop_bot(server)

        assert isinstance(graph, MsGraph) and graph.closed
        assert [r.authorization for r in fake.requests] == [f"Bearer {fake.token}"]
