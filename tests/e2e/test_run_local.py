"""End-to-end: `make run AS=client` as a newcomer uses it (scripts/run-local.sh).

On a new database the script loads the example organisation, starts the bot and the Playground
as the chosen person; the person the Playground says is "you" is then known to the bot: Jari, a
client of a Finnish group, is answered in Finnish although the Playground sends `en-US`.
"""

from __future__ import annotations

import asyncio
import json
import os
from pathlib import Path
from typing import Any
from urllib.parse import quote

import aiohttp
import pytest

from domain.i18n import text
from domain.org import Language
from tests.e2e.conftest import (
    ETAPAIVA_BIN,
    ROOT,
    free_port,
    start_process,
    wait_until_ready,
)

pytestmark = pytest.mark.e2e

REPLY_TIMEOUT_S = 20.0


async def _say_and_wait(base: str, chat_id: str, user_id: str, bot_id: str, said: str) -> str:
    """Write in the private chat through the Playground's API; the bot's first answer's text."""
    ws_url = f"{base}/_ws_conversation/v1/conversations/stream"
    post_url = f"{base}/_conversation/v1/conversations/{quote(chat_id, safe='')}/messages"
    seen: list[dict[str, Any]] = []
    async with (
        aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=REPLY_TIMEOUT_S)) as session,
        session.ws_connect(ws_url) as ws,
    ):
        body = {"from": {"id": user_id}, "text": said, "textFormat": "plain"}
        async with session.post(post_url, json=body) as response:
            assert response.status == 200, await response.text()
        async with asyncio.timeout(REPLY_TIMEOUT_S):
            while True:
                message = await ws.receive()
                assert message.type == aiohttp.WSMsgType.TEXT, f"WebSocket ended: {message}"
                event = json.loads(message.data)
                if (
                    event.get("action") == "createMessage"
                    and event.get("actionConversationId") == chat_id
                    and event["message"].get("from", {}).get("id") == bot_id
                ):
                    seen.append(event["message"])
                    return str(event["message"].get("text") or "")


@pytest.mark.parametrize(
    ("who", "name"), [("client", "Jari Mäkinen"), ("coordinator", "Anneli Korhonen")]
)
async def test_run_local_as_another_person(
    who: str, name: str, playground_installed: Path, tmp_path: Path
) -> None:
    port, playground_port = free_port(), free_port()
    env = {k: v for k, v in os.environ.items() if k not in ("MicrosoftAppId", "DATABASE_URL")}
    env |= {
        "AS": who,
        "PORT": str(port),
        "PLAYGROUND_PORT": str(playground_port),
        "DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'new.db'}",
        "ETAPAIVA_BIN": str(ETAPAIVA_BIN),
        "PYTHONUNBUFFERED": "1",
    }
    process = start_process(
        "run-local",
        ["bash", str(ROOT / "scripts" / "run-local.sh")],
        ROOT,
        env,
        tmp_path / "run-local.out",
        [],
    )
    try:
        base = f"http://127.0.0.1:{playground_port}"
        config = json.loads(wait_until_ready(process, f"{base}/_internal/v1/testConfig"))["config"]
        assert config["currentUser"]["name"] == name
        out = ""
        for _ in range(100):  # the banner follows the readiness checks
            out = (tmp_path / "run-local.out").read_text()
            if "Press Ctrl-C" in out:
                break
            await asyncio.sleep(0.1)
        assert "loading the example organisation" in out
        assert name in out
        answer = await _say_and_wait(
            base,
            config["personalChat"]["id"],
            config["currentUser"]["id"],
            config["bot"]["id"],
            "apua",
        )
        # known from the organisation file: Finnish, whatever the Playground's locale says
        assert answer.startswith(text(Language.FI, "help.intro")), answer
    finally:
        process.stop()
