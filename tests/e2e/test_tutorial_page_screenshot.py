"""End-to-end: the public tutorial page in headless Chromium, with JavaScript off.

The page app is served in the test on a loopback port. A person reads it with JavaScript
disabled, on a desktop and on a 360 px wide phone; measuring the rendered page (loaded pictures,
font size, horizontal scrolling, the focus outline) is done in a second context where only the
test's own `evaluate` calls run, the page itself has no script.
"""

from __future__ import annotations

import struct
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from aiohttp import web
from playwright.async_api import Browser, Page, Response, Route, async_playwright

from bot.tutorial_page import add_tutorial_routes
from domain.org import Language
from domain.tutorial.content import Device, load_tutorial

pytestmark = pytest.mark.e2e

CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
LANGUAGE = Language.FI
DEVICE = Device.WINDOWS
PATH = f"/tutorial/{LANGUAGE.value}/{DEVICE.value}"
DESKTOP = {"width": 1280, "height": 900}
PHONE = {"width": 360, "height": 740}
MIN_FONT_PX = 20.0
MIN_SCREENSHOT_BYTES = 10_000
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
LOOPBACK_HOSTS = {"127.0.0.1", "localhost", "::1"}

# Evaluated by the test (never by the page): what the reader gets.
MEASURE = """() => {
  const imgs = [...document.images];
  const root = document.documentElement;
  return {
    images: imgs.map(i => ({src: i.getAttribute('src'), complete: i.complete,
                            naturalWidth: i.naturalWidth, width: i.getBoundingClientRect().width})),
    bodyFontPx: parseFloat(getComputedStyle(document.body).fontSize),
    smallestTextPx: Math.min(...[...document.querySelectorAll('p, li, a, summary, h1, h2, h3')]
                             .map(e => parseFloat(getComputedStyle(e).fontSize))),
    scrollWidth: root.scrollWidth,
    clientWidth: root.clientWidth,
  };
}"""
OPEN_ALL_DETAILS = "() => document.querySelectorAll('details').forEach(d => d.open = true)"
FOCUSED = """() => {
  const e = document.activeElement, s = getComputedStyle(e);
  return {tag: e.tagName, href: e.getAttribute('href'), outlineStyle: s.outlineStyle,
          outlineWidth: parseFloat(s.outlineWidth), top: e.getBoundingClientRect().top};
}"""


@pytest.fixture
async def base_url() -> AsyncIterator[str]:
    """The tutorial pages on a free loopback port."""
    app = web.Application()
    add_tutorial_routes(app, load_tutorial())
    runner = web.AppRunner(app)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", 0).start()
    host, port = runner.addresses[0][:2]
    try:
        yield f"http://{host}:{port}"
    finally:
        await runner.cleanup()


@pytest.fixture
async def browser(chromium: Path) -> AsyncIterator[Browser]:
    async with async_playwright() as pw:
        launched = await pw.chromium.launch(executable_path=str(chromium), args=CHROMIUM_ARGS)
        try:
            yield launched
        finally:
            await launched.close()


async def _local_only(route: Route) -> None:
    """The page must need nothing from outside: anything else is refused (and noticed)."""
    if urlsplit(route.request.url).hostname in LOOPBACK_HOSTS:
        await route.continue_()
    else:
        await route.abort()


async def _open(browser: Browser, url: str, *, javascript: bool, viewport: dict[str, int]) -> Page:
    context = await browser.new_context(java_script_enabled=javascript, viewport=viewport)
    page = await context.new_page()
    await page.route("**/*", _local_only)
    response = await page.goto(url, wait_until="load")
    assert response is not None and response.status == 200
    return page


def _png_size(data: bytes) -> tuple[int, int]:
    assert data[:8] == PNG_SIGNATURE, "not a PNG"
    assert data[12:16] == b"IHDR"
    width, height = struct.unpack(">II", data[16:24])
    return int(width), int(height)


async def test_tutorial_page_renders_without_javascript(
    browser: Browser, base_url: str, tmp_path: Path
) -> None:
    url = base_url + PATH
    context = await browser.new_context(java_script_enabled=False, viewport=DESKTOP)
    page = await context.new_page()
    await page.route("**/*", _local_only)
    responses: list[Response] = []
    failed: list[str] = []
    page.on("response", lambda response: responses.append(response))
    page.on("requestfailed", lambda request: failed.append(request.url))
    answer = await page.goto(url, wait_until="load")
    assert answer is not None and answer.status == 200
    for summary in await page.locator("summary").all():
        await summary.click()  # <details> opens without JavaScript

    shot = tmp_path / "tutorial-fi-windows.png"
    await page.screenshot(path=str(shot), full_page=True)
    data = shot.read_bytes()
    width, height = _png_size(data)
    print(f"screenshot: {shot} ({width}x{height}, {len(data)} bytes)")
    assert width == DESKTOP["width"] and height >= DESKTOP["height"] // 2
    assert len(data) >= MIN_SCREENSHOT_BYTES, "the screenshot is nearly empty"

    assert failed == [], f"requests failed: {failed}"
    sources = {await img.get_attribute("src") for img in await page.locator("img").all()}
    assert sources, "the page shows no pictures"
    images = {urlsplit(r.url).path: r for r in responses if r.request.resource_type == "image"}
    for src in sources:
        assert src in images, f"{src} was never loaded"
        assert images[src].status == 200, src
        assert (await images[src].header_value("content-type") or "").startswith("image/")
    for img in await page.locator("img").all():
        box = await img.bounding_box()
        assert box is not None and box["width"] > 0 and box["height"] > 0
    await context.close()


@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["desktop", "phone-360"])
async def test_tutorial_page_is_readable(
    browser: Browser, base_url: str, tmp_path: Path, viewport: dict[str, int]
) -> None:
    # JavaScript is on here only so the test can measure; the page has no script of its own.
    page = await _open(browser, base_url + PATH, javascript=True, viewport=viewport)
    await page.evaluate(OPEN_ALL_DETAILS)
    measured: dict[str, Any] = await page.evaluate(MEASURE)
    await page.screenshot(path=str(tmp_path / f"tutorial-{viewport['width']}.png"), full_page=True)

    assert measured["images"], "the page shows no pictures"
    for img in measured["images"]:
        assert img["complete"] and img["naturalWidth"] > 0, f"picture did not load: {img}"
        assert img["width"] > 0, img
    assert measured["bodyFontPx"] >= MIN_FONT_PX
    assert measured["smallestTextPx"] >= MIN_FONT_PX * 0.9, measured["smallestTextPx"]
    assert measured["scrollWidth"] <= measured["clientWidth"], (
        f"horizontal scrolling at {viewport['width']} px: "
        f"{measured['scrollWidth']} > {measured['clientWidth']}"
    )

    # The first Tab lands on the skip link, which shows itself with a clear outline.
    await page.keyboard.press("Tab")
    focused: dict[str, Any] = await page.evaluate(FOCUSED)
    assert focused["tag"] == "A" and focused["href"] == "#main", focused
    assert focused["outlineStyle"] != "none" and focused["outlineWidth"] >= 2, focused
    assert focused["top"] >= 0, "the focused skip link stays off screen"
    await page.context.close()
