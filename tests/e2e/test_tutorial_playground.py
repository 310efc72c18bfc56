"""End-to-end: a client walks into the tutorial in the Agents Playground's UI (headless Chromium).

The Playground renders the cards with the same Adaptive Cards library family Teams uses and sends
`Action.Execute` taps as `adaptiveCard/action` invokes, so this checks that the cards render (with
their pictures, served by the bot's own web server), that the buttons work, and that the tapped
card is replaced in place: device choice, the steps up to the microphone, "It doesn't work", a
troubleshooting check, "It works now".
"""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.async_api import Locator, Page, async_playwright, expect

from domain.i18n import language_for_locale, text
from domain.org import DEFAULT_LANGUAGE, Language
from domain.tutorial.content import Device, Topic, load_tutorial
from tests.e2e.conftest import Playground
from tests.e2e.test_playground import (
    CHROMIUM_ARGS,
    COMPOSER,
    PLAYGROUND_DEFAULT_LOCALE,
    REPLY_TIMEOUT_S,
    UI_READY_TIMEOUT_MS,
    _local_only,
)

pytestmark = pytest.mark.e2e

CONTENT = load_tutorial()
DEVICE = Device.WINDOWS
TIMEOUT_MS = REPLY_TIMEOUT_S * 1000


def _language(playground: Playground) -> Language:
    locale = playground.test_config.get("internalConfig", {}).get("locale")
    return language_for_locale(locale or PLAYGROUND_DEFAULT_LOCALE) or DEFAULT_LANGUAGE


def _card(page: Page) -> Locator:
    return page.locator(".ac-adaptiveCard").last


async def _tap(page: Page, title: str) -> None:
    await _card(page).get_by_role("button", name=title, exact=True).click()


async def _shows(page: Page, words: str) -> None:
    await expect(_card(page).get_by_text(words, exact=False).first).to_be_visible(
        timeout=TIMEOUT_MS
    )


async def test_client_walks_to_the_microphone_and_through_one_troubleshooting_check(
    chromium: Path, playground: Playground, tmp_path: Path
) -> None:
    lang = _language(playground)
    steps = CONTENT.steps_for(DEVICE)
    mic = next(i for i, s in enumerate(steps) if s.topic is Topic.MICROPHONE)
    mic_step = CONTENT.step_text(lang, steps[mic], DEVICE)
    after_mic = CONTENT.step_text(lang, steps[mic + 1], DEVICE)
    first_check = CONTENT.check_text(lang, CONTENT.checks_for(Topic.MICROPHONE, DEVICE)[0], DEVICE)
    async with async_playwright() as pw:
        browser = await pw.chromium.launch(executable_path=str(chromium), args=CHROMIUM_ARGS)
        try:
            page = await browser.new_page()
            await page.route("**/*", _local_only)
            try:
                await page.goto(playground.url, wait_until="domcontentloaded")
                composer = page.locator(COMPOSER)
                await composer.click(timeout=UI_READY_TIMEOUT_MS)
                await composer.press_sequentially("tutorial")
                await page.keyboard.press("Enter")
                await _shows(page, text(lang, "tutorial.device.title"))

                device_name = CONTENT.device_name(lang, DEVICE)
                device_button = _card(page).get_by_role("button", name=device_name)
                await device_button.first.click(timeout=TIMEOUT_MS)
                for step in steps[:mic]:
                    await _shows(page, CONTENT.step_text(lang, step, DEVICE).title)
                    await _tap(page, text(lang, "tutorial.button.done"))

                await _shows(page, mic_step.title)
                await _shows(page, mic_step.text)
                if mic_step.shortcut:
                    await _shows(page, mic_step.shortcut)
                picture = _card(page).get_by_role("img", name=mic_step.alt)
                await expect(picture).to_be_visible(timeout=TIMEOUT_MS)
                # the PNG really came from the bot's web server
                loaded = await picture.evaluate("img => img.complete && img.naturalWidth > 0")
                assert loaded, "the step's picture did not load"

                await _tap(page, text(lang, "tutorial.button.trouble"))
                await _shows(page, first_check.title)
                await _shows(page, first_check.text)
                await _tap(page, text(lang, "tutorial.button.works"))
                await _shows(page, text(lang, "tutorial.note.works"))
                await _shows(page, after_mic.title)
                # the tapped card was replaced in place: one tutorial card in the chat
                assert await page.get_by_text(text(lang, "tutorial.device.title")).count() == 0
            except Exception:
                shot = tmp_path / "playground-tutorial.png"
                await page.screenshot(path=str(shot), full_page=True)
                print(f"screenshot of the Playground: {shot}")
                print("cards:", await page.locator(".ac-adaptiveCard").all_inner_texts())
                raise
        finally:
            await browser.close()
