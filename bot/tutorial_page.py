"""The public tutorial page: the camera, microphone and screen-share guide as plain HTML.

No login and no JavaScript: anyone can read the same guide the bot gives in Teams. Pages are
built by small functions from the tutorial content and the `page.*` catalog texts; every text
goes through `html.escape`. Pictures are the packaged files, served only for names the tutorial
uses, so a request cannot reach any other file.
"""

from __future__ import annotations

import hashlib
import html
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import NewType

from aiohttp import web

from domain.i18n import language_for_locale, text
from domain.org import DEFAULT_LANGUAGE, Language
from domain.tutorial.content import (
    ALL_DEVICES,
    CheckText,
    Device,
    StepText,
    Topic,
    Tutorial,
    image_path,
)

PREFIX = "/tutorial"
IMAGE_SIZE = "96"
IMAGE_TYPES: Mapping[str, str] = {".svg": "image/svg+xml", ".png": "image/png"}
# A picture's file name: the name the content uses plus its suffix, nothing else.
_IMAGE_FILE = re.compile(r"(?P<name>[a-z0-9][a-z0-9_-]{0,63})(?P<suffix>\.svg|\.png)")
# The file names do not carry a version, so a week rather than a year; the ETag revalidates.
IMAGE_CACHE = "public, max-age=604800"
SECURITY_HEADERS: Mapping[str, str] = {
    "Content-Security-Policy": "default-src 'none'; img-src 'self'; style-src 'unsafe-inline'",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
}

# Safe HTML: only the builders below make it, and they escape every text they are given.
Html = NewType("Html", str)


@dataclass(frozen=True, slots=True)
class Picture:
    """One packaged picture file, read once at start-up."""

    body: bytes
    content_type: str
    etag: str


TUTORIAL: web.AppKey[Tutorial] = web.AppKey("tutorial", Tutorial)
PICTURES: web.AppKey[Mapping[str, Picture]] = web.AppKey("tutorial_pictures")


# --- small HTML builders -------------------------------------------------------------------


def esc(value: str) -> Html:
    """Text made safe for HTML content and attribute values."""
    return Html(html.escape(value, quote=True))


def _attrs(attrs: Mapping[str, str | None]) -> str:
    # class_ -> class, aria_label -> aria-label; None leaves the attribute out
    parts = [
        f' {name.rstrip("_").replace("_", "-")}="{esc(value)}"'
        for name, value in attrs.items()
        if value is not None
    ]
    return "".join(parts)


def el(tag: str, *children: Html, **attrs: str | None) -> Html:
    """An element with already-safe children and escaped attributes."""
    return Html(f"<{tag}{_attrs(attrs)}>{''.join(children)}</{tag}>")


def void(tag: str, **attrs: str | None) -> Html:
    """An element without content (img, meta)."""
    return Html(f"<{tag}{_attrs(attrs)}>")


def join(parts: Iterable[Html], sep: str = "") -> Html:
    """Safe pieces put together."""
    return Html(esc(sep).join(parts))


def link(href: str, label: str, **attrs: str | None) -> Html:
    """A link with a text label."""
    return el("a", esc(label), href=href, **attrs)


def link_list(items: Iterable[Html], class_: str = "links") -> Html:
    """A list of links (or other inline pieces)."""
    return el("ul", *(el("li", item) for item in items), class_=class_)


# --- addresses ---------------------------------------------------------------------------------


def language_url(language: Language) -> str:
    """The page that lists the devices in a language."""
    return f"{PREFIX}/{language.value}"


def device_url(language: Language, device: Device) -> str:
    """The whole tutorial for one device in one language."""
    return f"{PREFIX}/{language.value}/{device.value}"


def image_url(name: str, suffix: str = ".svg") -> str:
    """Where a picture is served."""
    return f"{PREFIX}/img/{name}{suffix}"


def topic_anchor(topic: Topic) -> str:
    """The id of a topic's section on a device page."""
    return f"topic-{topic.value}"


# --- page parts ----------------------------------------------------------------------------------

_CSS = """
html{font-size:100%;-webkit-text-size-adjust:100%}
body{margin:0;font-family:system-ui,-apple-system,"Segoe UI",Roboto,Arial,sans-serif;
font-size:1.25rem;line-height:1.6;color:#111;background:#fff;overflow-wrap:anywhere}
.wrap{max-width:42rem;margin:0 auto;padding:1rem}
h1{font-size:2rem;line-height:1.25;margin:0.5rem 0 1rem}
h2{font-size:1.6rem;line-height:1.3;margin:2.5rem 0 1rem;padding-top:1rem;border-top:3px solid #111}
h3{font-size:1.3rem;line-height:1.3;margin:0 0 0.5rem}
a{color:#003a8c;text-decoration:underline;text-underline-offset:0.15em}
a:visited{color:#5a1f8c}
a:focus-visible,summary:focus-visible,main:focus-visible{outline:4px solid #111;outline-offset:3px;
background:#ffe14d;color:#111}
.skip{position:absolute;left:0.5rem;top:-20rem;padding:0.75rem 1rem;background:#ffe14d;color:#111;
font-weight:bold;z-index:1}
.skip:focus{top:0.5rem}
header{border-bottom:3px solid #111;margin-bottom:1rem}
footer{margin-top:3rem}
.brand{font-weight:bold;margin:0.5rem 0}
ul.links{list-style:none;padding:0;margin:0 0 1rem}
ul.links li{margin:0.25rem 0}
ul.links a{display:inline-block;padding:0.5rem 0;min-height:2.75rem}
ol.steps,ol.checks{list-style:none;padding:0;margin:0}
ol.steps>li{display:flex;gap:1rem;align-items:flex-start;border:2px solid #555;border-radius:0.5rem;
padding:1rem;margin:0 0 1rem}
ol.checks>li{display:flex;gap:1rem;align-items:flex-start;margin:0 0 1rem}
.pic{flex:0 0 auto}
.pic img{display:block;max-width:100%;height:auto;background:#fff}
.body{flex:1 1 0;min-width:0}
.body p{margin:0 0 0.5rem}
.check-title{font-weight:bold}
kbd{font-family:inherit;font-size:0.95em}
kbd kbd{border:2px solid #111;border-radius:0.3rem;padding:0 0.3rem;background:#f2f2f2;
white-space:nowrap}
details{border:2px solid #111;border-radius:0.5rem;padding:0.5rem 1rem;margin:1rem 0}
summary{font-weight:bold;cursor:pointer;padding:0.5rem 0;min-height:2.75rem}
details[open] summary{margin-bottom:0.5rem}
@media (max-width:30rem){ol.steps>li,ol.checks>li{flex-direction:column}.body{flex:none}}
@media (prefers-color-scheme:dark){body{color:#fff;background:#111}a{color:#9cc8ff}
a:visited{color:#d7b3ff}header,h2,details{border-color:#fff}ol.steps>li{border-color:#bbb}
kbd kbd{background:#333;border-color:#fff}
a:focus-visible,summary:focus-visible{outline-color:#fff}}
""".strip()


def document(language: Language, title: str, back: Html | None, main: Html, foot: Html) -> Html:
    """A whole page: head, skip link, header with the way back, main content, footer."""
    nav_back = el("nav", back, aria_label=text(language, "page.nav_back")) if back else Html("")
    body = join(
        [
            link("#main", text(language, "page.skip"), class_="skip"),
            el(
                "div",
                el("header", el("p", esc(text(language, "page.brand")), class_="brand"), nav_back),
                el("main", main, id="main", tabindex="-1"),
                el("footer", foot),
                class_="wrap",
            ),
        ]
    )
    head = join(
        [
            void("meta", charset="utf-8"),
            void("meta", name="viewport", content="width=device-width, initial-scale=1"),
            void("meta", name="color-scheme", content="light dark"),
            el("title", esc(title)),
            el("style", Html(_CSS)),
        ]
    )
    return Html(
        "<!doctype html>\n"
        + el("html", el("head", head), el("body", body), lang=language.value)
        + "\n"
    )


def language_links(current: Language | None, target: Device | None = None) -> Html:
    """Links to the same page in the other languages, each named in its own language."""
    items = [
        link(
            device_url(lang, target) if target else language_url(lang),
            text(lang, "language.name"),
            lang=lang.value,
            hreflang=lang.value,
        )
        for lang in Language
        if lang is not current
    ]
    return link_list(items)


def bot_hint(language: Language) -> Html:
    """The line telling that the same guide is in Teams."""
    return el("p", esc(text(language, "page.bot_hint")))


def shortcut(tutorial: Tutorial, language: Language, keys: tuple[str, ...]) -> Html:
    """A keyboard shortcut: one <kbd> per key inside one <kbd> for the whole combination."""
    pressed = [el("kbd", esc(tutorial.shortcut(language, (key,)))) for key in keys]
    return el("kbd", join(pressed, "+"))


def picture(name: str, alt: str) -> Html:
    """A tutorial picture with its alt text."""
    img = void("img", src=image_url(name), alt=alt, width=IMAGE_SIZE, height=IMAGE_SIZE)
    return el("div", img, class_="pic")


def step_item(tutorial: Tutorial, language: Language, device: Device, step: StepText) -> Html:
    """One step: title, picture, instruction and the keyboard shortcut when there is one."""
    parts = [el("h3", esc(step.title)), el("p", esc(step.text))]
    keys = step.step.shortcuts.get(device)
    if keys:
        label = esc(text(language, "page.shortcut"))
        parts.append(el("p", label, esc(": "), shortcut(tutorial, language, keys)))
    return el("li", picture(step.image, step.alt), el("div", *parts, class_="body"))


def check_item(check: CheckText) -> Html:
    """One troubleshooting check: what to look at, and how."""
    body = el(
        "div",
        el("p", esc(check.title), class_="check-title"),
        el("p", esc(check.text)),
        class_="body",
    )
    if check.image and check.alt:
        return el("li", picture(check.image, check.alt), body)
    return el("li", body)


def topic_section(tutorial: Tutorial, language: Language, device: Device, topic: Topic) -> Html:
    """A topic: its steps, then its checks folded under "If it doesn't work"."""
    steps = [
        step_item(tutorial, language, device, tutorial.step_text(language, step, device))
        for step in tutorial.steps_for(device)
        if step.topic is topic
    ]
    checks = [
        check_item(tutorial.check_text(language, check, device))
        for check in tutorial.checks_for(topic, device)
    ]
    anchor = topic_anchor(topic)
    parts = [el("h2", esc(tutorial.topic_name(language, topic)), id=anchor)]
    if steps:
        parts.append(el("ol", *steps, class_="steps"))
    if checks:
        summary = el("summary", esc(text(language, "page.troubleshoot")))
        parts.append(el("details", summary, el("ol", *checks, class_="checks")))
    return el("section", *parts, aria_labelledby=anchor)


def page_topics(tutorial: Tutorial, device: Device) -> tuple[Topic, ...]:
    """The topics a device page shows: those with steps or checks on the device."""
    with_steps = set(tutorial.topics_for(device))
    return tuple(t for t in Topic if t in with_steps or tutorial.checks_for(t, device))


# --- whole pages ---------------------------------------------------------------------------------


def index_page(language: Language) -> Html:
    """GET /tutorial: what this is, and the three languages."""
    items = [
        link(language_url(lang), text(lang, "language.name"), lang=lang.value, hreflang=lang.value)
        for lang in Language
    ]
    main = join(
        [
            el("h1", esc(text(language, "page.title"))),
            el("p", esc(text(language, "page.intro"))),
            el("p", esc(text(language, "page.no_login"))),
            el("h2", esc(text(language, "page.choose_language"))),
            link_list(items),
        ]
    )
    return document(language, text(language, "page.title"), None, main, bot_hint(language))


def language_page(tutorial: Tutorial, language: Language) -> Html:
    """GET /tutorial/{lang}: the intro and the four devices."""
    devices = [
        link(device_url(language, device), tutorial.device_name(language, device))
        for device in ALL_DEVICES
    ]
    main = join(
        [
            el("h1", esc(text(language, "page.title"))),
            el("p", esc(text(language, "page.intro"))),
            el("p", esc(text(language, "page.no_login"))),
            el("h2", esc(text(language, "page.choose_device"))),
            el("p", esc(text(language, "page.choose_device_help"))),
            link_list(devices),
        ]
    )
    foot = join(
        [
            el("h2", esc(text(language, "page.other_languages"))),
            language_links(language),
            bot_hint(language),
        ]
    )
    back = link(PREFIX, text(language, "page.back_to_languages"))
    return document(language, text(language, "page.title"), back, main, foot)


def device_page(tutorial: Tutorial, language: Language, device: Device) -> Html:
    """GET /tutorial/{lang}/{device}: every topic, step and check for the device."""
    name = tutorial.device_name(language, device)
    topics = page_topics(tutorial, device)
    contents = [
        link(f"#{topic_anchor(topic)}", tutorial.topic_name(language, topic)) for topic in topics
    ]
    main = join(
        [
            el("h1", esc(text(language, "page.device_title", device=name))),
            el("p", esc(text(language, "page.device_intro"))),
            el("nav", link_list(contents), aria_label=text(language, "page.contents")),
            *(topic_section(tutorial, language, device, topic) for topic in topics),
        ]
    )
    others = [
        link(device_url(language, other), tutorial.device_name(language, other))
        for other in ALL_DEVICES
        if other is not device
    ]
    foot = join(
        [
            el(
                "nav",
                el("h2", esc(text(language, "page.other_devices"))),
                link_list(others),
                aria_label=text(language, "page.other_devices"),
            ),
            el(
                "nav",
                el("h2", esc(text(language, "page.other_languages"))),
                language_links(language, device),
                aria_label=text(language, "page.other_languages"),
            ),
            bot_hint(language),
        ]
    )
    back = link(language_url(language), text(language, "page.back_to_devices"))
    title = f"{name} – {text(language, 'page.title')}"
    return document(language, title, back, main, foot)


def not_found_page() -> Html:
    """The friendly 404, in Finnish, with the ways back in."""
    language = DEFAULT_LANGUAGE
    items = [link(PREFIX, text(language, "page.home"))] + [
        link(language_url(lang), text(lang, "language.name"), lang=lang.value, hreflang=lang.value)
        for lang in Language
    ]
    main = join(
        [
            el("h1", esc(text(language, "page.not_found_title"))),
            el("p", esc(text(language, "page.not_found_text"))),
            link_list(items),
        ]
    )
    return document(language, text(language, "page.not_found_title"), None, main, Html(""))


# --- choosing the language ------------------------------------------------------------------


def language_from_accept(header: str | None) -> Language:
    """The first of our languages in an Accept-Language header, by weight; Finnish otherwise."""
    if not header:
        return DEFAULT_LANGUAGE
    ranked: list[tuple[float, int, Language]] = []
    for position, item in enumerate(header.split(",")):
        tag, _, params = item.strip().partition(";")
        weight = 1.0
        for param in params.split(";"):
            key, _, value = param.strip().partition("=")
            if key.strip().lower() == "q":
                try:
                    weight = float(value)
                except ValueError:
                    weight = 0.0
        language = language_for_locale(tag.strip())
        if language is not None and weight > 0:
            ranked.append((-weight, position, language))
    return min(ranked)[2] if ranked else DEFAULT_LANGUAGE


# --- handlers -----------------------------------------------------------------------------------


def html_response(page: Html, status: int = 200, language: Language | None = None) -> web.Response:
    """An HTML answer with the page's security headers."""
    headers = dict(SECURITY_HEADERS)
    headers["Cache-Control"] = "no-cache"
    if language is not None:
        headers["Content-Language"] = language.value
    return web.Response(
        text=page, status=status, content_type="text/html", charset="utf-8", headers=headers
    )


def not_found() -> web.Response:
    """The friendly 404 page."""
    return html_response(not_found_page(), status=404, language=DEFAULT_LANGUAGE)


def _language(request: web.Request) -> Language | None:
    try:
        return Language(request.match_info["lang"])
    except ValueError:
        return None


async def index(request: web.Request) -> web.Response:
    """GET /tutorial: in the browser's language, with links to all three."""
    language = language_from_accept(request.headers.get("Accept-Language"))
    response = html_response(index_page(language), language=language)
    response.headers["Vary"] = "Accept-Language"
    return response


async def language_index(request: web.Request) -> web.Response:
    """GET /tutorial/{lang}."""
    language = _language(request)
    if language is None:
        return not_found()
    return html_response(language_page(request.app[TUTORIAL], language), language=language)


async def device_tutorial(request: web.Request) -> web.Response:
    """GET /tutorial/{lang}/{device}."""
    language = _language(request)
    if language is None:
        return not_found()
    try:
        device = Device(request.match_info["device"])
    except ValueError:
        return not_found()
    page = device_page(request.app[TUTORIAL], language, device)
    return html_response(page, language=language)


async def image(request: web.Request) -> web.Response:
    """GET /tutorial/img/{name}.svg|.png: a packaged picture the tutorial uses."""
    found = request.app[PICTURES].get(request.match_info["file"])
    if found is None:
        return not_found()
    headers = dict(SECURITY_HEADERS)
    headers |= {"Cache-Control": IMAGE_CACHE, "ETag": found.etag}
    if found.etag in request.headers.get("If-None-Match", ""):
        return web.Response(status=304, headers=headers)
    return web.Response(body=found.body, content_type=found.content_type, headers=headers)


async def unknown(request: web.Request) -> web.Response:
    """Any other address under /tutorial ("/tutorial/" leads to the start page)."""
    if not request.match_info["tail"]:
        raise web.HTTPFound(PREFIX)
    return not_found()


def load_pictures(tutorial: Tutorial) -> dict[str, Picture]:
    """Every packaged file of every picture the tutorial uses, by file name."""
    pictures: dict[str, Picture] = {}
    for name in sorted(tutorial.images):
        for suffix, content_type in IMAGE_TYPES.items():
            file_name = f"{name}{suffix}"
            if not _IMAGE_FILE.fullmatch(file_name):
                continue  # a name we would not route to; its page picture answers 404
            path = image_path(name, suffix)
            if not path.is_file():
                continue
            body: bytes = path.read_bytes()
            etag = f'"{hashlib.sha256(body).hexdigest()[:32]}"'
            pictures[file_name] = Picture(body, content_type, etag)
    return pictures


NOTICE_PREFIX = "/notice/rollcall"


def notice_url(base_url: str, language: Language) -> str:
    """The page a targeted in-meeting notification shows for an open roll call."""
    return f"{base_url.rstrip('/')}{NOTICE_PREFIX}/{language.value}"


def notice_page(language: Language) -> Html:
    """A small page for the meeting stage: the roll call is open, tap "I'm here" in the chat."""
    title = text(language, "rollcall.notice.title")
    main = join(
        [
            el("h1", esc(title)),
            el("p", esc(text(language, "rollcall.notice.text"))),
        ]
    )
    return document(language, title, None, main, Html(""))


async def rollcall_notice(request: web.Request) -> web.Response:
    """GET /notice/rollcall/{lang}: what the in-meeting notification opens."""
    language = _language(request)
    if language is None:
        return not_found()
    return html_response(notice_page(language), language=language)


def add_tutorial_routes(app: web.Application, tutorial: Tutorial) -> None:
    """Serve the public tutorial under /tutorial on app."""
    app[TUTORIAL] = tutorial
    app[PICTURES] = load_pictures(tutorial)
    app.router.add_get(PREFIX, index)
    app.router.add_get(PREFIX + "/img/{file}", image)
    app.router.add_get(PREFIX + "/{lang}", language_index)
    app.router.add_get(PREFIX + "/{lang}/{device}", device_tutorial)
    app.router.add_get(PREFIX + "/{tail:.*}", unknown)
    app.router.add_get(NOTICE_PREFIX + "/{lang}", rollcall_notice)
