"""Tutorial and help-request cards (cards/tutorial.py) for every device, step, check and language.

The expectations come from the shipped content (load_tutorial()), so the tests follow the data
files as they change; what they pin down is how any content is drawn: accessible pictures,
speak text, buttons that say what they do, payloads the router accepts, and a size Teams takes.
"""

from __future__ import annotations

import json
import unicodedata
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

import pytest

from cards.payload import parse_action
from cards.tutorial import ASK_VERB, GO_VERB, RESOLVE_VERB, TAKE_VERB, TutorialCardRenderer
from domain.i18n import text
from domain.org import Language
from domain.tutorial.content import Device, load_tutorial
from domain.tutorial.flow import Event, Place, Progress
from domain.tutorial.help import HelpRequest, HelpStatus
from domain.tutorial.service import HelpView, View, ViewKind
from tests.unit.test_cards import assert_adaptive_card, visible_texts

CONTENT = load_tutorial()
BASE = "http://127.0.0.1:3978"
RENDERER = TutorialCardRenderer(CONTENT, BASE + "/")
MAX_CARD_BYTES = 20 * 1024  # Teams refuses messages over about 28 KB
T0 = datetime(2026, 3, 5, 9, 0, tzinfo=UTC)

# The words that must be on the green buttons, so the meaning is not in the colour alone.
POSITIVE_WORDS = {
    Event.DONE: {Language.FI: "valmis", Language.SV: "klart", Language.EN: "done"},
    Event.WORKS: {Language.FI: "toimii", Language.SV: "fungerar", Language.EN: "works"},
}

LANGUAGES = list(Language)
DEVICES = list(Device)
BY_DEVICE_AND_LANGUAGE = [(d, lang) for d in DEVICES for lang in LANGUAGES]


def letters(value: str) -> int:
    return sum(1 for ch in value if unicodedata.category(ch).startswith("L"))


def elements(items: list[dict[str, Any]]) -> Iterator[dict[str, Any]]:
    """Every element of a body, containers included."""
    for item in items:
        yield item
        for key in ("items", "columns"):
            if isinstance(item.get(key), list):
                yield from elements(item[key])


def check_card(card: dict[str, Any], token: str | None) -> list[tuple[str, dict[str, Any]]]:
    """Everything every tutorial card must be; returns (event, action) of its go-buttons."""
    assert_adaptive_card(card)
    size = len(json.dumps(card, ensure_ascii=False).encode("utf-8"))
    assert size < MAX_CARD_BYTES, f"card is {size} bytes"
    assert isinstance(card.get("speak"), str)
    assert card["speak"].strip()
    for element in elements(card["body"]):
        if element["type"] == "Image":
            assert element.get("altText", "").strip(), element
            assert element["url"].startswith(f"{BASE}/tutorial/img/"), element["url"]
            assert element["url"].endswith(".png"), element["url"]
            assert "//tutorial" not in element["url"]
    go: list[tuple[str, dict[str, Any]]] = []
    for action in card.get("actions", []):
        title = action.get("title", "")
        assert letters(title) >= 2, f"button {title!r} needs words"
        if action["type"] == "Action.OpenUrl":
            assert action["url"].startswith(f"{BASE}/tutorial/")
            continue
        assert action["type"] == "Action.Execute"
        fallback = action.get("fallback")
        assert isinstance(fallback, dict)
        assert fallback["type"] == "Action.Submit"
        assert fallback["data"] == action["data"]
        assert fallback["title"] == title
        assert fallback.get("style") == action.get("style")
        parsed = parse_action(action["data"])
        assert parse_action(fallback["data"]) == parsed
        assert parsed.verb == action["verb"]
        if parsed.verb == GO_VERB:
            assert parsed.data["t"] == token
            go.append((parsed.data["e"], action))
        elif parsed.verb == ASK_VERB:
            # "Ask the instructor" works from any card; the token says from where
            assert parsed.data["t"] == token
            go.append(("ask", action))
    return go


def shown_texts(card: dict[str, Any]) -> list[str]:
    """What a person sees or hears on the card, the values of fact sets included."""
    facts = [
        f"{fact['title']}: {fact['value']}"
        for element in elements(card["body"])
        if element["type"] == "FactSet"
        for fact in element["facts"]
    ]
    return [*visible_texts(card), *facts]


def positive(go: list[tuple[str, dict[str, Any]]]) -> list[str]:
    return [e for e, action in go if action.get("style") == "positive"]


def assert_says(action: dict[str, Any], event: Event, language: Language) -> None:
    assert action.get("style") == "positive"
    assert action["fallback"].get("style") == "positive"
    assert POSITIVE_WORDS[event][language] in action["title"].casefold()


def step_view(device: Device, step: str, language: Language, **kw: Any) -> View:
    progress = Progress(person_id=11, place=Place.STEP, device=device, step=step, version=5)
    return View(replace(progress, **kw), language)


# --- steps -----------------------------------------------------------------------------------


@pytest.mark.parametrize(("device", "language"), BY_DEVICE_AND_LANGUAGE)
def test_every_step_card(device: Device, language: Language) -> None:
    steps = CONTENT.steps_for(device)
    assert steps
    for number, step in enumerate(steps, start=1):
        view = step_view(device, step.id, language)
        card = RENDERER.tutorial(view)
        go = check_card(card, view.progress.token)
        events = [e for e, _ in go]
        assert events == ["done", "trouble", "ask", "back", "restart"], step.id
        ask = next(a for e, a in go if e == "ask")
        assert ask["title"] == text(language, "tutorial.button.ask")
        assert positive(go) == ["done"], step.id
        assert_says(go[0][1], Event.DONE, language)
        words = CONTENT.step_text(language, step, device)
        shown = list(visible_texts(card))
        assert words.title in shown
        assert words.text in shown
        assert words.title in card["speak"]
        images = [e for e in elements(card["body"]) if e["type"] == "Image"]
        assert [i["altText"] for i in images] == [words.alt]
        assert images[0]["url"] == f"{BASE}/tutorial/img/{step.image}.png"
        where = text(
            language,
            "tutorial.step.where",
            topic=CONTENT.topic_name(language, step.topic),
            number=number,
            total=len(steps),
        )
        assert where in shown
        if words.shortcut:
            assert any(words.shortcut in t for t in shown), step.id
            assert words.shortcut in card["speak"]


# --- checks ----------------------------------------------------------------------------------


@pytest.mark.parametrize(("device", "language"), BY_DEVICE_AND_LANGUAGE)
def test_every_check_card(device: Device, language: Language) -> None:
    drawn = 0
    for step in CONTENT.steps_for(device):
        checks = CONTENT.checks_for(step.topic, device)
        assert checks, step.id
        for i, check in enumerate(checks):
            view = step_view(device, step.id, language, place=Place.CHECK, check=check.id)
            card = RENDERER.tutorial(view)
            go = check_card(card, view.progress.token)
            events = [e for e, _ in go]
            last = i == len(checks) - 1
            where = f"{step.id}/{check.id}"
            if last:
                assert events == ["works", "ask", "back", "restart"], where
                ask = next(a for e, a in go if e == "ask")
                assert ask["title"] == text(language, "tutorial.button.ask")
            else:
                assert events == ["works", "next", "ask", "back", "restart"], where
            assert positive(go) == ["works"], where
            assert_says(go[0][1], Event.WORKS, language)
            words = CONTENT.check_text(language, check, device)
            shown = list(visible_texts(card))
            assert words.title in shown
            assert words.text in shown
            images = [e for e in elements(card["body"]) if e["type"] == "Image"]
            if check.image:
                assert [im["altText"] for im in images] == [words.alt], where
            else:
                assert images == [], where
            assert (text(language, "tutorial.check.last") in shown) is last
            drawn += 1
    assert drawn >= len(CONTENT.steps_for(device))


# --- the other places ------------------------------------------------------------------------


@pytest.mark.parametrize(("device", "language"), BY_DEVICE_AND_LANGUAGE)
def test_asked_done_and_welcome_back_cards(device: Device, language: Language) -> None:
    first = CONTENT.steps_for(device)[0]
    asked = step_view(device, first.id, language, place=Place.ASKED, check="x")
    go = check_card(RENDERER.tutorial(asked), asked.progress.token)
    assert [e for e, _ in go] == ["works", "back"]
    assert_says(go[0][1], Event.WORKS, language)

    done = View(Progress(person_id=11, place=Place.DONE, device=device, version=9), language)
    card = RENDERER.tutorial(done)
    go = check_card(card, "9")
    assert [e for e, _ in go] == ["restart"]
    (link,) = [a for a in card["actions"] if a["type"] == "Action.OpenUrl"]
    assert link["url"] == f"{BASE}/tutorial/{language.value}/{device.value}"

    back = replace(step_view(device, first.id, language), kind=ViewKind.WELCOME_BACK)
    card = RENDERER.tutorial(back)
    go = check_card(card, back.progress.token)
    assert [e for e, _ in go] == ["show", "restart", "ask"]
    assert positive(go) == ["show"]
    shown = " ".join(visible_texts(card))
    assert CONTENT.step_text(language, first, device).title in shown
    assert CONTENT.device_name(language, device) in shown


def test_a_note_is_shown_on_top() -> None:
    first = CONTENT.steps_for(Device.WEB)[0]
    view = replace(step_view(Device.WEB, first.id, Language.EN), note="tutorial.note.works")
    card = RENDERER.tutorial(view)
    assert card["body"][0]["text"] == text(Language.EN, "tutorial.note.works")
    assert card["body"][1]["text"] != card["body"][0]["text"]


# --- choosing a device -----------------------------------------------------------------------


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("suggested", [None, *DEVICES], ids=str)
def test_the_device_choice_lists_all_four_with_the_suggested_first(
    language: Language, suggested: Device | None
) -> None:
    view = View(Progress(person_id=11, version=2), language, suggested=suggested)
    card = RENDERER.tutorial(view)
    go = check_card(card, "2")
    chosen = [(e, a) for e, a in go if e == "choose"]
    devices = [Device(parse_action(a["data"]).data["d"]) for _, a in chosen]
    assert sorted(devices) == sorted(Device)
    assert len(devices) == 4
    if suggested is not None:
        assert devices[0] is suggested
    else:
        assert devices == DEVICES
    for device, (_, action) in zip(devices, chosen, strict=True):
        assert CONTENT.device_name(language, device) in action["title"]
    titles = [a["title"] for _, a in chosen]
    assert len(set(titles)) == 4
    assert [e for e, _ in go if e == "ask"] == ["ask"]


# --- help requests ---------------------------------------------------------------------------

CLIENT = "Jari Mäkinen"
TAKER = "Maija Virtanen"
REQUEST = HelpRequest(
    key="help:11:3",
    person_id=11,
    group_id=10,
    device=Device.WINDOWS,
    step=CONTENT.steps_for(Device.WINDOWS)[0].id,
    check=None,
    created_at=T0,
)

# name -> (request changes, own, resolved by client, buttons)
HELP_CASES: dict[str, tuple[dict[str, Any], bool, bool, list[str]]] = {
    "open": ({}, False, False, [TAKE_VERB]),
    "taken-own": ({"status": HelpStatus.TAKEN, "taken_by": 1}, True, False, [RESOLVE_VERB]),
    "taken-other": ({"status": HelpStatus.TAKEN, "taken_by": 1}, False, False, []),
    "resolved": (
        {"status": HelpStatus.RESOLVED, "taken_by": 1, "resolved_by": 1},
        True,
        False,
        [],
    ),
    "resolved-other": (
        {"status": HelpStatus.RESOLVED, "taken_by": 1, "resolved_by": 1},
        False,
        False,
        [],
    ),
    "resolved-by-client": (
        {"status": HelpStatus.RESOLVED, "resolved_by": 11},
        False,
        True,
        [],
    ),
}


def help_view(language: Language, changes: dict[str, Any], by_client: bool) -> HelpView:
    request = replace(REQUEST, **changes)
    step = CONTENT.step(request.step)
    assert step is not None
    return HelpView(
        request=request,
        client_name=CLIENT,
        group_name="IT-ryhmä",
        device=CONTENT.device_name(language, request.device),
        step_title=CONTENT.step_text(language, step, request.device).title,
        check_title=None,
        taken_by_name=TAKER if request.taken_by else None,
        resolved_by_client=by_client,
    )


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("case", list(HELP_CASES))
def test_help_request_cards_show_the_right_buttons(language: Language, case: str) -> None:
    changes, own, by_client, buttons = HELP_CASES[case]
    view = help_view(language, changes, by_client)
    card = RENDERER.help_request(language, view, own=own)
    check_card(card, None)
    verbs = []
    for action in card.get("actions", []):
        parsed = parse_action(action["data"])
        verbs.append(parsed.verb)
        assert parsed.data == {"request": REQUEST.key}  # nothing about the client in the data
    assert verbs == buttons
    shown = " ".join(shown_texts(card))
    assert CLIENT in shown
    assert view.step_title in shown
    assert view.device in shown
    if case == "taken-other":
        assert TAKER in shown
    if case == "resolved-by-client":
        assert text(language, "help.card.resolved_by_client", name=CLIENT) in shown
    if case == "open":
        assert card["actions"][0]["title"] == text(language, "help.button.take")


@pytest.mark.parametrize("language", LANGUAGES)
def test_a_help_card_names_the_last_check_tried(language: Language) -> None:
    check = CONTENT.checks_for(CONTENT.steps_for(Device.WINDOWS)[0].topic, Device.WINDOWS)[0]
    title = CONTENT.check_text(language, check, Device.WINDOWS).title
    view = replace(help_view(language, {}, False), check_title=title)
    card = RENDERER.help_request(language, view, own=False)
    assert title in json.dumps(card, ensure_ascii=False)


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_group_note_names_nobody(language: Language) -> None:
    card = RENDERER.sent_note(language)
    check_card(card, None)
    assert "actions" not in card
    assert next(iter(visible_texts(card))) == text(language, "tutorial.group.sent")
