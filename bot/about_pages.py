"""The privacy and terms of use pages the Teams app package links to, in fi/sv/en.

`/privacy` and `/terms` answer in the browser's language; `/privacy/{lang}` and `/terms/{lang}`
in the one named. The texts say what this service stores and who sees it; an organisation with
its own official pages points the package at those instead (`etapaiva manifest build
--privacy-url … --terms-url …`).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping

from aiohttp import web

from bot.tutorial_page import (
    Html,
    document,
    el,
    esc,
    html_response,
    join,
    language_from_accept,
    link,
    link_list,
    not_found,
)
from domain.i18n import text
from domain.org import Language

PRIVACY = "/privacy"
TERMS = "/terms"
# page path -> (title key, paragraph keys)
PAGES: Mapping[str, tuple[str, tuple[str, ...]]] = {
    PRIVACY: (
        "about.privacy.title",
        (
            "about.privacy.who",
            "about.privacy.what",
            "about.privacy.who_sees",
            "about.privacy.why",
            "about.privacy.more",
        ),
    ),
    TERMS: (
        "about.terms.title",
        ("about.terms.for", "about.terms.use", "about.terms.records", "about.terms.faults"),
    ),
}


def about_page(path: str, language: Language) -> Html:
    """One page: its title, its paragraphs, the same page in the other languages."""
    title_key, paragraphs = PAGES[path]
    title = text(language, title_key)
    main = join(
        [
            el("h1", esc(title)),
            join(el("p", esc(text(language, key))) for key in paragraphs),
        ]
    )
    others = link_list(
        link(f"{path}/{lang.value}", text(lang, "language.name"), lang=lang.value)
        for lang in Language
        if lang is not language
    )
    related = link_list(
        link(f"{other}/{language.value}", text(language, PAGES[other][0]))
        for other in PAGES
        if other != path
    )
    return document(language, title, None, main, join([others, related]))


Handler = Callable[[web.Request], Awaitable[web.Response]]


def _in_browser_language(path: str) -> Handler:
    async def handle(request: web.Request) -> web.Response:
        language = language_from_accept(request.headers.get("Accept-Language"))
        response = html_response(about_page(path, language), language=language)
        response.headers["Vary"] = "Accept-Language"
        return response

    return handle


def _in_named_language(path: str) -> Handler:
    async def handle(request: web.Request) -> web.Response:
        try:
            language = Language(request.match_info["lang"])
        except ValueError:
            return not_found()
        return html_response(about_page(path, language), language=language)

    return handle


def add_about_routes(app: web.Application) -> None:
    """Serve /privacy and /terms (and their /fi, /sv, /en forms) on app."""
    for path in PAGES:
        app.router.add_get(path, _in_browser_language(path))
        app.router.add_get(path + "/{lang}", _in_named_language(path))
