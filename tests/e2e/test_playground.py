"""End-to-end: a person asks Etäpäivä for help in the Microsoft 365 Agents Playground.

Two paths to the same answer: through the Playground's web UI in headless Chromium (what a
developer sees with `make run`), and through the Playground's own HTTP + WebSocket API, which
proves the bot <-> Playground connector path without a browser.
"""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlsplit

import aiohttp
import pytest
from playwright.async_api import Route, async_playwright, expect

from domain.i18n import language_for_locale, text
from domain.org import DEFAULT_LANGUAGE
from tests.e2e.conftest import Playground

pytestmark = pytest.mark.e2e

REPLY_TIMEOUT_S = 20.0
UI_READY_TIMEOUT_MS = 30_000
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
COMPOSER = "[role=textbox][data-lexical-editor=true]"
LOOPBACK_HOSTS = {"127.0.0.1", "localhost", "::1"}
# The Playground sends this locale in every activity (it is hard-coded in 0.2.28).
PLAYGROUND_DEFAULT_LOCALE = "en-US"


def expected_help_intro(playground: Playground) -> str:
    """The first line of the help answer in the language of the locale the Playground sends."""
    internal = playground.test_config.get("internalConfig", {})
    locale = internal.get("locale") or PLAYGROUND_DEFAULT_LOCALE
    language = language_for_locale(locale) or DEFAULT_LANGUAGE
    return text(language, "help.intro")


async def _local_only(route: Route) -> None:
    """Let the page reach only the Playground; its fonts and scripts on office CDNs are aborted."""
    if urlsplit(route.request.url).hostname in LOOPBACK_HOSTS:
        await route.continue_()
    else:
        await route.abort()


async def test_help_answered_in_playground_ui(
    chromium: Path, playground: Playground, tmp_path: Path
) -> None:
    expected = expected_help_intro(playground)
    console: list[str] = []
    async with async_playwright() as pw:
        browser = await pw.chromium.launch(executable_path=str(chromium), args=CHROMIUM_ARGS)
        try:
            page = await browser.new_page()
            page.on("console", lambda msg: console.append(f"{msg.type}: {msg.text}"))
            await page.route("**/*", _local_only)
            try:
                await page.goto(playground.url, wait_until="domcontentloaded")
                composer = page.locator(COMPOSER)
                await composer.click(timeout=UI_READY_TIMEOUT_MS)
                answers = page.locator("p").filter(has_text=expected)
                before = await answers.count()
                await composer.press_sequentially("help")
                await page.keyboard.press("Enter")
                await expect(answers).to_have_count(before + 1, timeout=REPLY_TIMEOUT_S * 1000)
                await expect(answers.last).to_be_visible()
            except Exception:
                shot = tmp_path / "playground-ui.png"
                await page.screenshot(path=str(shot), full_page=True)
                print(f"screenshot of the Playground: {shot}")
                print("chat bubbles:", await page.locator("p").all_inner_texts())
                print("browser console:\n" + "\n".join(console[-40:]))
                raise
        finally:
            await browser.close()


async def test_help_answered_through_playground_api(playground: Playground) -> None:
    config = playground.test_config["config"]
    chat_id: str = config["personalChat"]["id"]
    user_id: str = config["currentUser"]["id"]
    bot_id: str = config["bot"]["id"]
    expected = expected_help_intro(playground)
    ws_url = f"{playground.url}/_ws_conversation/v1/conversations/stream"
    post_url = f"{playground.url}/_conversation/v1/conversations/{quote(chat_id, safe='')}/messages"

    bot_messages: list[dict[str, Any]] = []
    async with (
        aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=REPLY_TIMEOUT_S)) as session,
        session.ws_connect(ws_url) as ws,
    ):
        async with session.post(
            post_url, json={"from": {"id": user_id}, "text": "help", "textFormat": "plain"}
        ) as response:
            assert response.status == 200, await response.text()
        try:
            async with asyncio.timeout(REPLY_TIMEOUT_S):
                while not any(_first_line(m) == expected for m in bot_messages):
                    message = await ws.receive()
                    assert message.type == aiohttp.WSMsgType.TEXT, f"WebSocket ended: {message}"
                    event = json.loads(message.data)
                    if (
                        event.get("action") == "createMessage"
                        and event.get("actionConversationId") == chat_id
                        and event["message"].get("from", {}).get("id") == bot_id
                    ):
                        bot_messages.append(event["message"])
        except TimeoutError:
            pass  # reported below, with what the bot did send

    answers = [m for m in bot_messages if _first_line(m) == expected]
    if not answers:
        pytest.fail(
            f"no reply starting with {expected!r} within {REPLY_TIMEOUT_S:.0f}s; "
            f"the bot sent: {bot_messages!r}",
            pytrace=False,
        )
    assert answers[0]["text"].strip() != expected, "the help answer lists nothing after its intro"


def _first_line(message: dict[str, Any]) -> str:
    lines = str(message.get("text") or "").strip().splitlines()
    return lines[0].strip() if lines else ""
