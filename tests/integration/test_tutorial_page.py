"""The public tutorial page (bot/tutorial_page.py) over real loopback HTTP.

Every page is parsed with the standard library's HTMLParser. What a page must contain is read
from `load_tutorial()`, so the tests follow the content as it grows and fail when a step, a check,
a picture or a link goes missing.
"""

from __future__ import annotations

import itertools
import re
from collections import deque
from collections.abc import AsyncIterator
from dataclasses import dataclass
from html.parser import HTMLParser
from urllib.parse import urldefrag, urlsplit

import aiohttp
import pytest
from aiohttp import web
from yarl import URL

from bot.tutorial_page import add_tutorial_routes
from domain.i18n import text
from domain.org import DEFAULT_LANGUAGE, Language
from domain.tutorial.content import ALL_DEVICES, Device, Tutorial, image_path, load_tutorial

CSP = "default-src 'none'; img-src 'self'; style-src 'unsafe-inline'"
VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "wbr"}
IMAGE_TYPES = {".svg": "image/svg+xml", ".png": "image/png"}
MIN_IMAGE_CACHE_S = 86_400

TUTORIAL = load_tutorial()
PAGES = [
    "/tutorial",
    *(f"/tutorial/{lang.value}" for lang in Language),
    *(f"/tutorial/{lang.value}/{device.value}" for lang in Language for device in ALL_DEVICES),
]


def _norm(value: str) -> str:
    return " ".join(value.split())


class Page(HTMLParser):
    """What the tests look at in one HTML page."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.doctype: str | None = None
        self.lang: str | None = None
        self.charset = False
        self.viewport: str | None = None
        self.headings: list[tuple[int, str]] = []
        self.images: list[dict[str, str | None]] = []
        self.hrefs: list[str] = []
        self.ids: set[str] = set()
        self.tags: list[str] = []
        self.handlers: list[str] = []
        self.navs: list[str | None] = []
        self.kbd: list[str] = []
        self.summaries: list[str] = []
        self.details_text: list[str] = []
        self.links_lang: dict[str, str | None] = {}
        self.first_link: str | None = None
        self.chunks: list[str] = []
        self._stack: list[str] = []
        self._heading: list[str] | None = None
        self._kbd: list[str] | None = None
        self._summary: list[str] | None = None

    @classmethod
    def parse(cls, body: str) -> Page:
        page = cls()
        page.feed(body)
        page.close()
        return page

    @property
    def text(self) -> str:
        return _norm(" ".join(self.chunks))

    def handle_decl(self, decl: str) -> None:
        self.doctype = decl

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        self.tags.append(tag)
        self.handlers += [name for name in a if name.startswith("on")]
        if a.get("id"):
            self.ids.add(str(a["id"]))
        if tag == "html":
            self.lang = a.get("lang")
        elif tag == "meta" and "charset" in a:
            self.charset = True
        elif tag == "meta" and a.get("name") == "viewport":
            self.viewport = a.get("content")
        elif tag == "img":
            self.images.append(a)
        elif tag == "a" and a.get("href") is not None:
            href = str(a["href"])
            self.hrefs.append(href)
            self.links_lang[href] = a.get("lang")
            self.first_link = self.first_link or href
        elif tag == "nav":
            self.navs.append(a.get("aria-label"))
        elif re.fullmatch(r"h[1-6]", tag):
            self._heading = []
            self.headings.append((int(tag[1]), ""))
        elif tag == "kbd" and self._kbd is None:
            self._kbd = []
        elif tag == "summary":
            self._summary = []
        if tag not in VOID:
            self._stack.append(tag)

    def handle_endtag(self, tag: str) -> None:
        if tag in self._stack:
            while self._stack.pop() != tag:
                pass
        if re.fullmatch(r"h[1-6]", tag) and self._heading is not None:
            level, _ = self.headings[-1]
            self.headings[-1] = (level, _norm("".join(self._heading)))
            self._heading = None
        elif tag == "kbd" and self._kbd is not None and "kbd" not in self._stack:
            self.kbd.append(_norm("".join(self._kbd)))
            self._kbd = None
        elif tag == "summary" and self._summary is not None:
            self.summaries.append(_norm("".join(self._summary)))
            self._summary = None

    def handle_data(self, data: str) -> None:
        if "title" in self._stack or "style" in self._stack:
            return
        self.chunks.append(data)
        for collecting in (self._heading, self._kbd, self._summary):
            if collecting is not None:
                collecting.append(data)
        if "details" in self._stack:
            self.details_text.append(data)

    @property
    def in_details(self) -> str:
        return _norm(" ".join(self.details_text))


@dataclass(frozen=True)
class Site:
    """The tutorial pages served on a loopback port."""

    base: str
    session: aiohttp.ClientSession

    def url(self, path: str) -> URL:
        # encoded: the client must send '..' and '%2F' exactly as written
        return URL(self.base + path, encoded=True)

    async def get(self, path: str, **headers: str) -> tuple[aiohttp.ClientResponse, bytes]:
        async with self.session.get(
            self.url(path), headers=headers, allow_redirects=False
        ) as response:
            return response, await response.read()

    async def page(self, path: str, **headers: str) -> tuple[aiohttp.ClientResponse, Page]:
        response, body = await self.get(path, **headers)
        assert response.status == 200, f"GET {path} -> {response.status}"
        assert response.content_type == "text/html"
        assert response.charset == "utf-8"
        return response, Page.parse(body.decode("utf-8"))


async def serve(tutorial: Tutorial) -> tuple[web.AppRunner, str]:
    app = web.Application()
    add_tutorial_routes(app, tutorial)
    runner = web.AppRunner(app)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", 0).start()
    host, port = runner.addresses[0][:2]
    return runner, f"http://{host}:{port}"


@pytest.fixture
async def site() -> AsyncIterator[Site]:
    runner, base = await serve(load_tutorial())
    try:
        async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=10)) as session:
            yield Site(base, session)
    finally:
        await runner.cleanup()


def _lang_device(path: str) -> tuple[Language | None, Device | None]:
    parts = path.strip("/").split("/")[1:]
    language = Language(parts[0]) if parts else None
    device = Device(parts[1]) if len(parts) > 1 else None
    return language, device


# --- every page: structure and accessibility -------------------------------------------------


@pytest.mark.parametrize("path", PAGES)
async def test_page_is_a_complete_accessible_document(site: Site, path: str) -> None:
    _, page = await site.page(path)
    language, _ = _lang_device(path)
    assert page.doctype is not None and page.doctype.lower() == "doctype html"
    assert page.lang == (language or DEFAULT_LANGUAGE).value
    assert page.charset
    assert page.viewport and "width=device-width" in page.viewport
    assert page.tags.count("main") == 1
    assert page.navs or path == "/tutorial", "pages below /tutorial have a way back"
    assert all(page.navs), f"every <nav> needs an aria-label: {page.navs}"
    assert len(set(page.navs)) == len(page.navs), "navs on one page need different labels"
    # skip link first, to an element that exists
    assert page.first_link is not None and page.first_link.startswith("#")
    assert page.first_link[1:] in page.ids
    assert "main" in page.ids


@pytest.mark.parametrize("path", PAGES)
async def test_headings_start_at_one_h1_and_skip_no_level(site: Site, path: str) -> None:
    _, page = await site.page(path)
    levels = [level for level, _ in page.headings]
    assert levels and levels[0] == 1, levels
    assert levels.count(1) == 1, levels
    for before, after in itertools.pairwise(levels):
        assert after <= before + 1, f"h{before} followed by h{after}: {page.headings}"
    assert all(title for _, title in page.headings), page.headings


@pytest.mark.parametrize("path", PAGES)
async def test_page_needs_no_javascript_and_nothing_from_outside(site: Site, path: str) -> None:
    _, page = await site.page(path)
    assert "script" not in page.tags
    assert page.handlers == []
    assert not {"link", "iframe", "object", "embed", "form"} & set(page.tags)
    for href in page.hrefs:
        assert href.startswith(("/", "#")) and not href.startswith("//"), href
    for img in page.images:
        assert str(img.get("src", "")).startswith("/tutorial/img/"), img


@pytest.mark.parametrize("path", PAGES)
async def test_security_headers(site: Site, path: str) -> None:
    response, _ = await site.page(path)
    assert response.headers["Content-Security-Policy"] == CSP
    assert response.headers["X-Content-Type-Options"] == "nosniff"


@pytest.mark.parametrize("path", PAGES)
async def test_every_picture_has_alt_text_and_loads(site: Site, path: str) -> None:
    _, page = await site.page(path)
    for img in page.images:
        assert (img.get("alt") or "").strip(), f"<img> without alt text on {path}: {img}"
        assert img.get("width") == "96" and img.get("height") == "96", img
        src = str(img["src"])
        response, body = await site.get(src)
        assert response.status == 200, f"{src} -> {response.status}"
        assert response.content_type.startswith("image/"), (src, response.content_type)
        assert body, src


@pytest.mark.parametrize("path", PAGES)
async def test_every_link_on_the_page_resolves(site: Site, path: str) -> None:
    _, page = await site.page(path)
    assert page.hrefs
    for href in set(page.hrefs):
        target, fragment = urldefrag(href)
        if not target:
            assert fragment in page.ids, f"{path}: {href} points nowhere"
            continue
        _, linked = await site.page(target)
        if fragment:
            assert fragment in linked.ids, f"{path}: {href} points nowhere"


async def test_all_pages_are_reachable_from_the_start_page(site: Site) -> None:
    seen = {"/tutorial"}
    queue = deque(["/tutorial"])
    while queue:
        _, page = await site.page(queue.popleft())
        for href in page.hrefs:
            target = urldefrag(href)[0]
            if target and target not in seen:
                seen.add(target)
                queue.append(target)
    assert seen == set(PAGES)


# --- content: each language page says everything the tutorial says ----------------------------


@pytest.mark.parametrize("language", list(Language))
@pytest.mark.parametrize("device", ALL_DEVICES)
async def test_device_page_has_every_step_and_check(
    site: Site, language: Language, device: Device
) -> None:
    _, page = await site.page(f"/tutorial/{language.value}/{device.value}")
    headings = {title for _, title in page.headings}
    name = TUTORIAL.device_name(language, device)
    h1 = [title for level, title in page.headings if level == 1]
    assert h1 == [_norm(text(language, "page.device_title", device=name))]
    images = {(img.get("src"), img.get("alt")) for img in page.images}

    steps = TUTORIAL.steps_for(device)
    assert steps, f"no steps for {device}"
    for step in steps:
        words = TUTORIAL.step_text(language, step, device)
        assert _norm(words.title) in headings, words.title
        assert _norm(words.text) in page.text, words.text
        assert (f"/tutorial/img/{words.image}.svg", words.alt) in images, words.image
        if words.shortcut:
            assert _norm(words.shortcut) in page.kbd, (words.shortcut, page.kbd)
    for topic in {step.topic for step in steps}:
        assert _norm(TUTORIAL.topic_name(language, topic)) in headings, topic

    checks = [c for c in TUTORIAL.checks if device in c.devices]
    for check in checks:
        words_c = TUTORIAL.check_text(language, check, device)
        assert _norm(words_c.title) in page.in_details, words_c.title
        assert _norm(words_c.text) in page.in_details, words_c.text
        if words_c.image:
            assert (f"/tutorial/img/{words_c.image}.svg", words_c.alt) in images
    if checks:
        assert text(language, "page.troubleshoot") in page.summaries
    # nothing meant only for another device
    own = {_norm(TUTORIAL.step_text(language, s, device).title) for s in steps}
    for step in TUTORIAL.steps:
        title = _norm(TUTORIAL.words[language].steps[step.id]["title"])
        if device not in step.devices and title not in own:
            assert title not in headings, f"{step.id} is not for {device}"


@pytest.mark.parametrize("language", list(Language))
async def test_device_page_links_to_other_devices_and_languages(
    site: Site, language: Language
) -> None:
    device = ALL_DEVICES[0]
    _, page = await site.page(f"/tutorial/{language.value}/{device.value}")
    for other in ALL_DEVICES:
        if other is not device:
            assert f"/tutorial/{language.value}/{other.value}" in page.hrefs
    for other_lang in Language:
        if other_lang is not language:
            href = f"/tutorial/{other_lang.value}/{device.value}"
            assert href in page.hrefs
            assert page.links_lang[href] == other_lang.value
    assert f"/tutorial/{language.value}" in page.hrefs  # back
    assert _norm(text(language, "page.bot_hint")) in page.text


@pytest.mark.parametrize("language", list(Language))
async def test_language_page_lists_every_device(site: Site, language: Language) -> None:
    _, page = await site.page(f"/tutorial/{language.value}")
    for device in ALL_DEVICES:
        assert f"/tutorial/{language.value}/{device.value}" in page.hrefs
        assert _norm(TUTORIAL.device_name(language, device)) in page.text
    assert _norm(text(language, "page.intro")) in page.text
    assert "/tutorial" in page.hrefs


# --- the start page and the browser's language ---------------------------------------------


@pytest.mark.parametrize(
    ("accept", "expected"),
    [
        ("sv-FI,sv;q=0.9", Language.SV),
        ("en-GB,en;q=0.9,fi;q=0.8", Language.EN),
        ("de-DE,de;q=0.9", Language.FI),
        ("de;q=1.0, en;q=0.5, sv;q=0.7", Language.SV),
        ("sv;q=0, en", Language.EN),
        ("", Language.FI),
        ("not a header;;;q=x", Language.FI),
    ],
)
async def test_start_page_speaks_the_browsers_language(
    site: Site, accept: str, expected: Language
) -> None:
    response, page = await site.page("/tutorial", **{"Accept-Language": accept})
    assert page.lang == expected.value
    assert _norm(text(expected, "page.intro")) in page.text
    assert "Accept-Language" in response.headers.get("Vary", "")
    for language in Language:  # always all three
        assert f"/tutorial/{language.value}" in page.hrefs
        assert page.links_lang[f"/tutorial/{language.value}"] == language.value


async def test_start_page_without_accept_language_is_finnish(site: Site) -> None:
    async with site.session.get(site.url("/tutorial"), skip_auto_headers=["Accept-Language"]) as r:
        page = Page.parse(await r.text())
    assert page.lang == "fi"


async def test_trailing_slash_leads_to_the_start_page(site: Site) -> None:
    response, _ = await site.get("/tutorial/")
    assert response.status in {301, 302, 307, 308}
    assert response.headers["Location"] == "/tutorial"


# --- pictures ---------------------------------------------------------------------------------


@pytest.mark.parametrize("name", sorted(TUTORIAL.images))
async def test_every_picture_is_served_with_type_and_long_cache(site: Site, name: str) -> None:
    served = 0
    for suffix, content_type in IMAGE_TYPES.items():
        response, body = await site.get(f"/tutorial/img/{name}{suffix}")
        packaged = image_path(name, suffix)
        if not packaged.is_file():
            assert response.status == 404
            continue
        served += 1
        assert response.status == 200
        assert response.content_type == content_type
        assert body == packaged.read_bytes()
        assert response.headers["X-Content-Type-Options"] == "nosniff"
        assert response.headers["Content-Security-Policy"] == CSP
        max_age = re.search(r"max-age=(\d+)", response.headers.get("Cache-Control", ""))
        assert max_age and int(max_age.group(1)) >= MIN_IMAGE_CACHE_S, response.headers
        etag = response.headers["ETag"]
        again, _ = await site.get(f"/tutorial/img/{name}{suffix}", **{"If-None-Match": etag})
        assert again.status == 304
    assert served, f"no packaged picture for {name}"


# --- what is not there --------------------------------------------------------------------


def _image_name() -> str:
    return sorted(TUTORIAL.images)[0]


NOT_FOUND = [
    "/tutorial/de",
    "/tutorial/FI",
    "/tutorial/de/windows",
    "/tutorial/fi/linux",
    "/tutorial/fi/Windows",
    "/tutorial/fi/windows/extra",
    "/tutorial/img",
    "/tutorial/img/",
    "/tutorial/img/no_such_picture.svg",
    f"/tutorial/img/{_image_name()}.gif",
    f"/tutorial/img/{_image_name()}",
    f"/tutorial/img/{_image_name().upper()}.SVG",
    "/tutorial/img/..%2F..%2Fsecret.svg",
    "/tutorial/img/..%2F..%2F..%2Fpyproject.toml",
    "/tutorial/img/%2E%2E%2F%2E%2E%2Fcontent.py",
    "/tutorial/img/../../content.py",
    "/tutorial/img/..%5C..%5Csecret.svg",
    f"/tutorial/img/%2Fetc%2F{_image_name()}.svg",
    f"/tutorial/img/{_image_name()}.svg%00.png",
    "/tutorial/%2E%2E/%2E%2E/pyproject.toml",
]


@pytest.mark.parametrize("path", NOT_FOUND)
async def test_unknown_addresses_answer_a_friendly_404(site: Site, path: str) -> None:
    response, body = await site.get(path)
    assert response.status == 404, f"GET {path} -> {response.status}"
    assert b"[tool." not in body and b"from __future__" not in body
    if response.content_type == "text/html":
        page = Page.parse(body.decode("utf-8"))
        assert page.lang == "fi"
        assert [level for level, _ in page.headings][:1] == [1]
        assert "/tutorial" in page.hrefs
        assert response.headers["Content-Security-Policy"] == CSP


async def test_not_found_page_is_the_friendly_one_for_unknown_language(site: Site) -> None:
    response, body = await site.get("/tutorial/de")
    page = Page.parse(body.decode("utf-8"))
    assert response.content_type == "text/html"
    assert text(Language.FI, "page.not_found_title") in {t for _, t in page.headings}
    for language in Language:
        assert f"/tutorial/{language.value}" in page.hrefs


# --- escaping: content is text, never markup ---------------------------------------------------

HOSTILE = "<script>alert('x')</script> & \"quoted\" <b>bold</b>"


def _hostile_tutorial() -> Tutorial:
    from domain.tutorial.content import parse_tutorial

    structure = """
[[step]]
id = "s1"
topic = "join"
image = "pic"
shortcut = { windows = ["<Ctrl>", "M"] }

[[check]]
id = "c1"
topic = "join"
"""
    toml_text = HOSTILE.replace("\\", "\\\\").replace('"', '\\"')
    words = f"""
[device]
windows = "{toml_text}"
mac = "Mac"
web = "Web"
mobile = "Mobile"
[topic]
join = "{toml_text}"
microphone = "m"
camera = "c"
share = "s"
hand = "h"
chat = "c"
[keys]
"<Ctrl>" = "{toml_text}"
[image]
pic = "{toml_text}"
[step.s1]
title = "{toml_text}"
text = "{toml_text}"
[check.c1]
title = "{toml_text}"
text = "{toml_text}"
"""
    return parse_tutorial(structure, dict.fromkeys(Language, words))


async def test_content_is_escaped_everywhere() -> None:
    runner, base = await serve(_hostile_tutorial())
    try:
        async with aiohttp.ClientSession() as session:
            for path in ("/tutorial/fi", "/tutorial/fi/windows"):
                async with session.get(base + path) as response:
                    body = await response.text()
                page = Page.parse(body)
                assert "script" not in page.tags and "b" not in page.tags, path
                assert _norm(HOSTILE) in page.text, path
            assert any(img.get("alt") == HOSTILE for img in page.images)
            assert _norm(HOSTILE) in {t for _, t in page.headings}
    finally:
        await runner.cleanup()


def test_test_parser_sees_what_it_should() -> None:
    page = Page.parse(
        "<!doctype html><html lang='sv'><body><a href='#m'>s</a><main id='m'><h1>A &amp; B</h1>"
        "<h3>x</h3><img src='/x' alt=''><script>1</script><details><summary>S</summary>"
        "<p>in</p></details><kbd><kbd>Ctrl</kbd>+<kbd>M</kbd></kbd></main></body></html>"
    )
    assert page.lang == "sv"
    assert page.headings == [(1, "A & B"), (3, "x")]
    assert "script" in page.tags
    assert page.images == [{"src": "/x", "alt": ""}]
    assert page.summaries == ["S"]
    assert "in" in page.in_details
    assert page.kbd == ["Ctrl+M"]
    assert urlsplit(page.first_link or "").fragment == "m"
