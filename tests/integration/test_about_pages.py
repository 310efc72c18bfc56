"""The privacy and terms pages the Teams app package links to (bot/about_pages.py), over HTTP."""

from __future__ import annotations

import html
from collections.abc import AsyncIterator, Mapping

import aiohttp
import pytest
from aiohttp import web

from bot.about_pages import PAGES, PRIVACY, TERMS, add_about_routes
from domain.i18n import text
from domain.org import Language


@pytest.fixture
async def base() -> AsyncIterator[str]:
    app = web.Application()
    add_about_routes(app)
    runner = web.AppRunner(app)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", 0).start()
    host, port = runner.addresses[0][:2]
    try:
        yield f"http://{host}:{port}"
    finally:
        await runner.cleanup()


async def get(url: str, **headers: str) -> tuple[int, str, Mapping[str, str]]:
    async with aiohttp.ClientSession() as session, session.get(url, headers=headers) as resp:
        return resp.status, await resp.text(), resp.headers


@pytest.mark.parametrize("path", [PRIVACY, TERMS])
@pytest.mark.parametrize("language", list(Language))
async def test_each_page_has_its_texts_in_each_language(
    base: str, path: str, language: Language
) -> None:
    status, body, headers = await get(f"{base}{path}/{language.value}")
    assert status == 200
    assert headers["Content-Language"] == language.value
    assert f'<html lang="{language.value}">' in body
    title_key, paragraphs = PAGES[path]
    assert f"<h1>{html.escape(text(language, title_key))}</h1>" in body
    for key in paragraphs:
        assert html.escape(text(language, key), quote=True) in body
    for other in Language:
        if other is not language:
            assert f'href="{path}/{other.value}"' in body


@pytest.mark.parametrize(
    ("accept", "language"),
    [
        ("sv-FI,sv;q=0.9", Language.SV),
        ("en-GB", Language.EN),
        ("de", Language.FI),
        ("", Language.FI),
    ],
)
async def test_the_plain_address_answers_in_the_browsers_language(
    base: str, accept: str, language: Language
) -> None:
    status, body, headers = await get(f"{base}{PRIVACY}", **{"Accept-Language": accept})
    assert status == 200
    assert headers["Content-Language"] == language.value
    assert headers["Vary"] == "Accept-Language"
    assert html.escape(text(language, "about.privacy.title")) in body


async def test_an_unknown_language_is_not_found(base: str) -> None:
    status, _, _ = await get(f"{base}{TERMS}/de")
    assert status == 404
