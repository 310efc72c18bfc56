"""What the Playground e2e tests do in its UI: read the last card, wait for words, write, and
keep screenshots."""

from __future__ import annotations

from pathlib import Path

from playwright.async_api import Locator, Page, expect

from tests.e2e.test_playground import COMPOSER, REPLY_TIMEOUT_S, UI_READY_TIMEOUT_MS

TIMEOUT_MS = REPLY_TIMEOUT_S * 1000


def last_card(page: Page) -> Locator:
    """The newest Adaptive Card on the page."""
    return page.locator(".ac-adaptiveCard").last


async def says(page: Page, words: str) -> None:
    """A message with these words shows."""
    await expect(page.locator("p").filter(has_text=words).last).to_be_visible(timeout=TIMEOUT_MS)


async def card_shows(page: Page, words: str) -> None:
    """The newest card shows these words."""
    shown = last_card(page).get_by_text(words, exact=False).first
    await expect(shown).to_be_visible(timeout=TIMEOUT_MS)


async def write(page: Page, words: str) -> None:
    """The current user types words in the composer and sends them."""
    composer = page.locator(COMPOSER)
    await composer.click(timeout=UI_READY_TIMEOUT_MS)
    await composer.press_sequentially(words)
    await page.keyboard.press("Enter")


async def shot(page: Page, tmp_path: Path, name: str) -> None:
    """The page, and the last card whole (the chat may scroll its top out of view)."""
    await page.screenshot(path=str(tmp_path / f"{name}.png"), full_page=True)
    await last_card(page).screenshot(path=str(tmp_path / f"{name}-card.png"))
