"""End-to-end: a Finnish client writes "kamera ei toimi" in the Agents Playground and gets help.

The Playground shows one person's chats, so it runs as the client, Jari Mäkinen (mock data
with him as the current user; examples/org.example.yaml imported: Maija Virtanen is his
group's instructor). In its UI, in headless Chromium, Jari writes "kamera ei toimi", gets the
camera's troubleshooting check and taps "Kysy ohjaajalta". The bot opens a 1:1 chat with
Maija through the Playground's connector and posts her the help request; the Playground's UI
cannot switch to her, so the test reads that card from the Playground's WebSocket stream and
taps "Otan tämän" as Maija through the Playground's invoke API (what its UI sends for a tap).
Jari's chat then shows that Maija is coming.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import sqlite3
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import aiohttp
import pytest
import yaml
from playwright.async_api import async_playwright

from bot.teams.signing import CardSigner
from cards.tutorial import TAKE_VERB
from domain.i18n import text
from domain.org import Language
from domain.tutorial.content import Device, Topic, load_tutorial
from tests.e2e.conftest import (
    ETAPAIVA_BIN,
    PLAYGROUND_CONFIG,
    PLAYGROUND_DIR,
    BotServer,
    Playground,
    running_playground,
)
from tests.e2e.stream import listening
from tests.e2e.test_playground import (
    CHROMIUM_ARGS,
    REPLY_TIMEOUT_S,
    _local_only,
)
from tests.e2e.ui import card_shows as _card_shows
from tests.e2e.ui import last_card as _card
from tests.e2e.ui import says as _says
from tests.e2e.ui import write as _write

pytestmark = pytest.mark.e2e

ROOT = PLAYGROUND_DIR.parent
CONTENT = load_tutorial()
FI = Language.FI
TIMEOUT_MS = REPLY_TIMEOUT_S * 1000
JARI_ID = "29:jari-makinen"
MAIJA_ID = "29:maija-virtanen"
JARI_CHAT = "a:etapaiva-personal-jari-makinen"


def _as_jari(config: dict[str, Any]) -> dict[str, Any]:
    """The Playground's mock data with Jari as the current user and Maija among the others."""
    everyone = [config["currentUser"], *config["users"]]
    jari = next(u for u in everyone if u["id"] == JARI_ID)
    return {
        **config,
        "currentUser": jari,
        "users": [u for u in everyone if u["id"] != JARI_ID],
        "personalChat": {"id": JARI_CHAT},
    }


@pytest.fixture
def organisation(bot_server: BotServer, tmp_path: Path) -> None:
    """examples/org.example.yaml in the bot's database (the CLI, as an admin would)."""
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    env["DATABASE_URL"] = f"sqlite+aiosqlite:///{tmp_path / 'e2e.db'}"
    done = subprocess.run(
        [str(ETAPAIVA_BIN), "org", "import", str(ROOT / "examples" / "org.example.yaml")],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr


@pytest.fixture
def playground_as_jari(
    bot_server: BotServer,
    organisation: None,
    playground_installed: Path,
    tmp_path: Path,
    request: pytest.FixtureRequest,
) -> Iterator[Playground]:
    """The Agents Playground with Jari Mäkinen (a client) as its current user."""
    config = yaml.safe_load(PLAYGROUND_CONFIG.read_text(encoding="utf-8"))
    config_file = tmp_path / "as-jari.yml"
    config_file.write_text(yaml.safe_dump(_as_jari(config), allow_unicode=True), encoding="utf-8")
    with running_playground(
        config_file, bot_server, playground_installed, tmp_path, request
    ) as found:
        yield found


def _group_id() -> str:
    config = yaml.safe_load(PLAYGROUND_CONFIG.read_text(encoding="utf-8"))
    return str(config["groupChat"]["id"])


async def maija_says(
    session: aiohttp.ClientSession,
    playground: Playground,
    words: str,
    *,
    activity_id: str,
    locale: str = "en-US",
) -> None:
    """Maija @mentions the bot in the group chat.

    The Playground's message API always speaks as its current user: her message goes in as a
    custom activity, which the Playground forwards to the bot unchanged.
    """
    config = yaml.safe_load(PLAYGROUND_CONFIG.read_text(encoding="utf-8"))
    maija = config["currentUser"]
    assert maija["id"] == MAIJA_ID
    bot = {"id": config["bot"]["id"], "name": config["bot"]["name"]}
    mention = f"<at>{bot['name']}</at>"
    tenant = config["tenantId"]
    activity = {
        "type": "message",
        "id": activity_id,
        "timestamp": "2026-12-07T08:00:00.000Z",
        "serviceUrl": f"http://localhost:{playground.port}/_connector",
        "channelId": "msteams",
        "from": {"id": MAIJA_ID, "name": maija["name"], "aadObjectId": maija["aadObjectId"]},
        "conversation": {
            "id": config["groupChat"]["id"],
            "conversationType": "groupChat",
            "isGroup": True,
            "tenantId": tenant,
        },
        "recipient": bot,
        "text": f"{mention} {words}",
        "textFormat": "plain",
        "locale": locale,
        "entities": [
            {"type": "mention", "mentioned": bot, "text": mention},
            {"type": "clientInfo", "locale": locale, "platform": "Web", "timezone": "UTC"},
        ],
        "channelData": {"tenant": {"id": tenant}},
    }
    url = f"{playground.url}/_internal/v1/customActivities"
    async with session.post(url, json=activity) as response:
        assert response.status == 200, await response.text()


async def _maija_says_hello(session: aiohttp.ClientSession, playground: Playground) -> None:
    """Maija writes to the bot in the group chat, so the bot learns her Teams id (as in Teams)."""
    await maija_says(session, playground, "ohjelma", activity_id="maija-hello")


async def _help_request_sent_to_maija(db: Path) -> tuple[str, str, dict[str, Any]]:
    """The help request the bot sent to Maija's 1:1 chat, read from its outbox once sent.

    The Playground's UI and stream show only its current user's (Jari's) chats, so the card
    is read where the bot keeps what it sent: the conversation, the Playground's message id
    and the card, signed with the bot's key as it went out.
    """
    async with asyncio.timeout(REPLY_TIMEOUT_S):
        while True:
            with contextlib.closing(sqlite3.connect(db)) as connection:
                rows = connection.execute(
                    "SELECT conversation_id, activity_id, payload FROM outbox WHERE status = 'sent'"
                ).fetchall()
                key = connection.execute(
                    "SELECT value FROM app_secrets WHERE name = 'card-signing-key'"
                ).fetchone()
            for conversation, activity, payload in rows:
                card = json.loads(payload).get("card") or {}
                if conversation != JARI_CHAT and TAKE_VERB in json.dumps(card):
                    signed = CardSigner(bytes.fromhex(key[0])).sign(card, conversation)
                    return conversation, str(activity), signed
            await asyncio.sleep(0.2)


async def _tap_as_maija(
    session: aiohttp.ClientSession,
    playground: Playground,
    conversation: str,
    message_id: str,
    card: dict[str, Any],
    title: str,
) -> dict[str, Any]:
    """Maija taps a button on a card in her chat, the way the Playground's UI sends a tap."""
    action = next(a for a in card["actions"] if a.get("title") == title)
    body = {
        "name": "adaptiveCard/action",
        "value": {"action": {k: action[k] for k in ("type", "title", "verb", "data")}},
        "from": {"id": MAIJA_ID},
        "conversation": {"id": conversation},
        "replyToId": message_id,
    }
    async with session.post(f"{playground.url}/_conversation/v1/invoke", json=body) as response:
        assert response.status == 200, await response.text()
        answer: dict[str, Any] = await response.json()
        return answer


async def test_a_client_asks_the_instructor_from_kamera_ei_toimi_and_she_takes_it(
    chromium: Path, playground_as_jari: Playground, tmp_path: Path
) -> None:
    playground = playground_as_jari
    camera_step = next(s for s in CONTENT.steps_for(Device.WEB) if s.topic is Topic.CAMERA)
    check = CONTENT.checks_for(Topic.CAMERA, Device.WEB)[0]
    check_title = CONTENT.check_text(FI, check, Device.WEB).title
    async with async_playwright() as pw, listening(playground) as (session, stream):
        browser = await pw.chromium.launch(executable_path=str(chromium), args=CHROMIUM_ARGS)
        try:
            page = await browser.new_page()
            await page.route("**/*", _local_only)
            try:
                await _maija_says_hello(session, playground)
                await stream.text_in(_group_id(), not_empty=True)
                await page.goto(playground.url, wait_until="domcontentloaded")
                # the Playground sends en-US: Jari chooses Finnish, as a Finnish client would
                await _write(page, "kieli fi")
                await _says(page, text(FI, "language.changed"))

                await _write(page, "kamera ei toimi")
                await _card_shows(page, check_title)
                await _card_shows(page, text(FI, "tutorial.note.heard"))
                ask = _card(page).get_by_role("button", name=text(FI, "tutorial.button.ask"))
                await ask.click(timeout=TIMEOUT_MS)
                await _card_shows(page, text(FI, "tutorial.asked.title"))
                await _card_shows(page, text(FI, "tutorial.note.asked"))

                chat, message_id, card = await _help_request_sent_to_maija(tmp_path / "e2e.db")
                shown = json.dumps(card, ensure_ascii=False)
                assert text(FI, "help.card.title", name="Jari Mäkinen") in shown
                assert CONTENT.step_text(FI, camera_step, Device.WEB).title in shown
                answer = await _tap_as_maija(
                    session, playground, chat, message_id, card, text(FI, "help.button.take")
                )
                assert text(FI, "help.card.yours") in json.dumps(answer, ensure_ascii=False)

                # Jari's chat says who is coming
                await _says(page, text(FI, "help.client.coming", name="Maija Virtanen"))
            except Exception:
                shot = tmp_path / "playground-help.png"
                await page.screenshot(path=str(shot), full_page=True)
                print(f"screenshot of the Playground: {shot}")
                print("chat bubbles:", await page.locator("p").all_inner_texts())
                print("stream:", [(c, m.get("text")) for c, m in stream.messages])
                raise
        finally:
            await browser.close()
