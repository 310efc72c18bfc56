"""'Ask the instructor' in one tap over real HTTP: from every step and check of the guide, and
with empty data from any 1:1 chat; one request however often it is tapped; a guide an
instructor sends says who sent it."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.orgfile import load_org_file
from bot.settings import Settings
from cards.tutorial import ASK_VERB, TAKE_VERB
from domain.i18n import text
from domain.org import Language
from domain.tutorial.content import Device
from domain.tutorial.flow import Place
from domain.tutorial.help import NO_STEP, HelpStatus
from tests.fakes.activities import Conv
from tests.fakes.connector import FakeConnector
from tests.integration.harness import BotServer, drained, free_port, start_bot, stop_bot
from tests.integration.test_tutorial import (
    CONTENT,
    JARI,
    MAIJA,
    ORG,
    OUTSIDER,
    TUULA,
    Person,
    _device_title,
    _help_cards,
    _progress,
    _texts,
)

FI, SV = Language.FI, Language.SV


@pytest.fixture
async def tutorial_bot(database_url: str, tmp_path: Path) -> AsyncIterator[BotServer]:
    """The service with a group of two instructors and three clients."""
    org_file = tmp_path / "org.yaml"
    org_file.write_text(ORG, encoding="utf-8")
    server = await start_bot(Settings(port=free_port(), database_url=database_url))
    await server.store.org.apply(load_org_file(str(org_file)))
    try:
        yield server
    finally:
        await stop_bot(server)


def _ask_button(person: Person) -> dict:
    asks = [a for a in person.card.get("actions", []) if a.get("verb") == ASK_VERB]
    assert len(asks) == 1, [a.get("title") for a in person.card.get("actions", [])]
    assert asks[0]["title"] == text(person.language, "tutorial.button.ask")
    return asks[0]


async def _instructors_listening(bot: BotServer, connector: FakeConnector) -> tuple[Person, Person]:
    maija = Person(bot, connector, MAIJA)
    tuula = Person(bot, connector, TUULA, locale="sv-FI")
    await maija.say("apua")
    await tuula.say("språk sv")
    return maija, tuula


async def test_every_step_and_every_check_offers_ask_the_instructor(
    tutorial_bot: BotServer, connector: FakeConnector
) -> None:
    client = Person(tutorial_bot, connector, JARI, locale="sv-FI")
    # Jari's group speaks Finnish: his own choice of Swedish is what makes the guide Swedish
    await client.say("språk svenska")
    await client.say("guide")
    _ask_button(client)  # choosing a device
    await client.tap(client.button(title=_device_title(client, Device.MAC)))
    for step in CONTENT.steps_for(Device.MAC):
        _ask_button(client)
        await client.press("tutorial.button.trouble")
        for i, _check in enumerate(CONTENT.checks_for(step.topic, Device.MAC)):
            _ask_button(client)
            if i < len(CONTENT.checks_for(step.topic, Device.MAC)) - 1:
                await client.press("tutorial.button.next")
        await client.press("tutorial.button.works")
    assert (await _progress(tutorial_bot, JARI)).place is Place.DONE


async def test_one_tap_on_a_step_calls_the_instructors_once(
    tutorial_bot: BotServer, connector: FakeConnector
) -> None:
    maija, tuula = await _instructors_listening(tutorial_bot, connector)
    client = Person(tutorial_bot, connector, JARI)
    await client.say("opastus")
    await client.tap(client.button(title=_device_title(client, Device.WINDOWS)))
    step = (await _progress(tutorial_bot, JARI)).step
    ask = _ask_button(client)
    await client.tap(ask)
    assert text(FI, "tutorial.note.asked") in client.body_text()
    assert text(FI, "tutorial.asked.title") in client.body_text()
    # the old card's button again, and two taps at once: still one request
    await client.tap(ask)
    await asyncio.gather(client.tap(ask), client.tap(ask))
    [request] = await tutorial_bot.store.tutorial.requests()
    assert (request.step, request.check, request.device) == (step, None, Device.WINDOWS)
    await drained(tutorial_bot)
    assert len(_help_cards(connector, maija.conv)) == 1
    assert len(_help_cards(connector, tuula.conv)) == 1
    tuula_card = _help_cards(connector, tuula.conv)[0].json["attachments"][0]["content"]
    assert text(SV, "help.card.title", name=JARI.name) in _texts(tuula_card)


async def test_ask_with_empty_data_from_a_chat_reaches_the_instructor_who_takes_it(
    tutorial_bot: BotServer, connector: FakeConnector
) -> None:
    maija, _ = await _instructors_listening(tutorial_bot, connector)
    client = Person(tutorial_bot, connector, JARI)
    await client.say("moi")
    await client.tap({"verb": ASK_VERB}, {"verb": ASK_VERB})
    assert client.last_text == text(FI, "tutorial.note.asked")
    await client.tap({"verb": ASK_VERB}, {"verb": ASK_VERB})
    assert client.last_text == text(FI, "tutorial.note.asked_already")
    [request] = await tutorial_bot.store.tutorial.requests()
    assert request.step == NO_STEP and request.status is HelpStatus.OPEN
    await drained(tutorial_bot)
    [card] = _help_cards(connector, maija.conv)
    maija.card = card.json["attachments"][0]["content"]
    assert text(FI, "help.card.no_step") in "\n".join(_texts(maija.card))
    take = maija.button("help.button.take")
    assert take["verb"] == TAKE_VERB
    await maija.tap(take)
    assert maija.last_text == text(FI, "help.take.done", name=JARI.name)
    coming = text(FI, "help.client.coming", name=MAIJA.name)
    await connector.wait_for(
        lambda r: r.conversation_id == client.conv.id and coming in str(r.json)
    )


async def test_someone_without_a_group_is_told_whom_to_ask(
    tutorial_bot: BotServer, connector: FakeConnector
) -> None:
    outsider = Person(tutorial_bot, connector, OUTSIDER)
    await outsider.say("moi")
    await outsider.tap({"verb": ASK_VERB}, {"verb": ASK_VERB})
    assert outsider.last_text == text(FI, "tutorial.note.no_group")
    assert await tutorial_bot.store.tutorial.requests() == []


async def test_a_guide_an_instructor_sends_says_who_sent_it(
    tutorial_bot: BotServer, connector: FakeConnector
) -> None:
    group = Conv.group_chat()
    client = Person(tutorial_bot, connector, JARI)
    await client.say("moi")
    maija = Person(tutorial_bot, connector, MAIJA)
    await maija.say("lähetä opastus Jari", conv=group)
    assert maija.last_text == text(FI, "tutorial.send.sent", name=JARI.name)
    await drained(tutorial_bot)
    sent = [
        r.json["attachments"][0]["content"]
        for r in connector.sent_requests
        if r.conversation_id == client.conv.id and "tutorial.go" in str(r.json)
    ]
    assert sent
    first = sent[-1]["body"][0]["text"]
    assert first == text(FI, "tutorial.note.sent_by", name=MAIJA.name)
