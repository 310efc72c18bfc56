"""Which language the bot speaks, over real HTTP: own choice, the organisation file, the group,
Finnish; Teams' locale only for someone the bot does not know; a group chat in its group's
language; a card in one language whoever taps it."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from bot.orgfile import load_org_file
from bot.settings import Settings
from cards.language import LANGUAGE_VERB
from domain.i18n import CATALOGS, forms, text
from domain.org import Language
from domain.tutorial.content import Device
from tests.fakes.activities import Conv, User, invoke_execute
from tests.fakes.connector import FakeConnector
from tests.integration.conftest import JOHAN, MAIJA, STRANGER
from tests.integration.harness import BotServer, bound_group_chat, free_port, start_bot, stop_bot
from tests.integration.test_conversation import ask
from tests.integration.test_tutorial import CONTENT, Person, _help_cards, _texts, _to_last_check

IT_TORSTAI = "IT-pajan etäryhmä, torstai"


def _help_of(language: Language) -> str:
    return text(language, "help.intro")


async def test_a_known_person_reads_the_org_file_language_whatever_their_teams_locale(
    org_bot: BotServer, connector: FakeConnector
) -> None:
    # Maija: "language: fi" in the organisation file; her Teams is in English
    answer = await ask(org_bot, connector, "help", MAIJA, locale="en-US")
    assert answer.startswith(_help_of(Language.FI))
    # Johan: "language: sv" in the file; his Teams in Finnish
    answer = await ask(org_bot, connector, "apua", JOHAN, locale="fi-FI")
    assert answer.startswith(_help_of(Language.SV))


async def test_a_known_person_without_a_language_reads_their_groups_language(
    org_bot: BotServer, connector: FakeConnector
) -> None:
    # Sari: no language in the file, clients of two Finnish groups; Teams in English
    sari = User(name="Sari Heikkinen", upn="sari.heikkinen@example.hel.fi")
    answer = await ask(org_bot, connector, "help", sari, locale="en-US")
    assert answer.startswith(_help_of(Language.FI))


async def test_own_choice_beats_the_org_file_and_is_kept(
    org_bot: BotServer, connector: FakeConnector
) -> None:
    conv = Conv.personal()
    said = await ask(org_bot, connector, "kieli ruotsi", MAIJA, conv=conv, locale="en-US")
    assert said == text(Language.SV, "language.changed")
    answer = await ask(org_bot, connector, "help", MAIJA, conv=conv, locale="fi-FI")
    assert answer.startswith(_help_of(Language.SV))
    # an import of the organisation file does not undo it
    await org_bot.store.org.apply(load_org_file("examples/org.example.yaml"))
    answer = await ask(org_bot, connector, "apua", MAIJA, conv=conv, locale="fi-FI")
    assert answer.startswith(_help_of(Language.SV))
    said = await ask(org_bot, connector, "språk english", MAIJA, conv=conv)
    assert said == text(Language.EN, "language.changed")
    said = await ask(org_bot, connector, "language finnish", MAIJA, conv=conv)
    assert said == text(Language.FI, "language.changed")


@pytest.mark.parametrize(
    ("locale", "language"),
    [
        ("en-US", Language.EN),
        ("sv-FI", Language.SV),
        ("fi-FI", Language.FI),
        ("de-DE", Language.FI),
    ],
)
async def test_someone_the_bot_does_not_know_is_answered_in_their_teams_language(
    org_bot: BotServer, connector: FakeConnector, locale: str, language: Language
) -> None:
    answer = await ask(org_bot, connector, "help", STRANGER, locale=locale)
    assert answer.startswith(_help_of(language))


async def test_a_group_chat_speaks_its_groups_language_whoever_writes(
    org_bot: BotServer, connector: FakeConnector
) -> None:
    groups = {g.key: g for g in await org_bot.store.org.all_groups()}
    maija = await org_bot.store.org.person_by_upn("maija.virtanen@example.hel.fi")
    assert maija is not None and maija.id is not None
    finnish, swedish = Conv.group_chat(), Conv.group_chat()
    await bound_group_chat(
        org_bot.store, finnish.id, connector.url, groups["it-torstai"].id or 0, maija.id
    )
    await bound_group_chat(
        org_bot.store, swedish.id, connector.url, groups["distanscafe-sv"].id or 0, maija.id
    )
    # Johan reads Swedish, the IT group's chat is Finnish: the chat gets Finnish
    answer = await ask(org_bot, connector, "hjälp", JOHAN, conv=finnish, mention=True)
    assert answer.startswith(_help_of(Language.FI))
    # Maija reads Finnish, the café is Swedish; a stranger with English Teams too
    answer = await ask(org_bot, connector, "apua", MAIJA, conv=swedish, mention=True)
    assert answer.startswith(_help_of(Language.SV))
    answer = await ask(
        org_bot, connector, "help", STRANGER, conv=swedish, mention=True, locale="en-US"
    )
    assert answer.startswith(_help_of(Language.SV))


async def test_the_language_card_offers_each_language_and_the_tap_is_the_tappers_choice(
    org_bot: BotServer, connector: FakeConnector
) -> None:
    conv = Conv.personal()
    before = len(connector.sent)
    status, _ = await org_bot.post(
        _message("kieli", conv, MAIJA, connector.url),
    )
    assert status == 201
    [sent] = (await connector.wait_for_count(before + 1))[before:]
    card = sent["attachments"][0]["content"]
    assert _texts(card)[0] == text(Language.FI, "language.choose.title")
    buttons = {a["title"]: a for a in card["actions"]}
    assert list(buttons) == ["Suomi", "Svenska", "English"]
    status, body = await org_bot.post(
        invoke_execute(
            LANGUAGE_VERB,
            buttons["Svenska"]["data"],
            conversation=conv,
            sender=MAIJA,
            service_url=connector.url,
            reply_to_id="card",
            locale="en-US",
        )
    )
    assert status == 200
    assert _texts(body["value"]) == [text(Language.SV, "language.changed")]
    answer = await ask(org_bot, connector, "help", MAIJA, conv=conv, locale="en-US")
    assert answer.startswith(_help_of(Language.SV))
    # a made-up language in the (signed) data is refused, nothing changes
    status, body = await org_bot.post(
        invoke_execute(
            LANGUAGE_VERB,
            {"language": "de"},
            conversation=conv,
            sender=MAIJA,
            service_url=connector.url,
            reply_to_id="card",
        )
    )
    assert status == 200
    assert text(Language.SV, "card.stale") in str(body)


def _message(words: str, conv: Conv, user: User, url: str) -> dict[str, Any]:
    from tests.fakes.activities import message

    return message(words, conversation=conv, sender=user, service_url=url, locale="en-US")


# --- a help request's card: one language from top to bottom ---------------------------------

ORG = """
version: 1
units:
  - key: it
    name: IT-paja
groups:
  - key: it-ryhma
    unit: it
    name: IT-ryhmä
people:
  - name: Maija Virtanen
    upn: maija@example.hel.fi
    instructor: [it-ryhma]
  - name: Jari Mäkinen
    upn: jari@example.hel.fi
    client: [it-ryhma]
"""


@pytest.fixture
async def help_bot(database_url: str, tmp_path: Path) -> AsyncIterator[BotServer]:
    org_file = tmp_path / "org.yaml"
    org_file.write_text(ORG, encoding="utf-8")
    server = await start_bot(Settings(port=free_port(), database_url=database_url))
    await server.store.org.apply(load_org_file(str(org_file)))
    try:
        yield server
    finally:
        await stop_bot(server)


def _labels(language: Language) -> set[str]:
    keys = ("help.card.group", "help.card.device", "help.card.step", "help.card.yours")
    return {text(language, key) for key in keys}


async def test_an_instructors_help_request_card_stays_in_one_language_when_tapped(
    help_bot: BotServer, connector: FakeConnector
) -> None:
    # the instructor's Teams is in English; she is a Finnish group's instructor: Finnish
    maija = Person(help_bot, connector, User(name="Maija Virtanen", upn="maija@example.hel.fi"))
    maija.locale = "en-US"
    await maija.say("help")
    client = Person(help_bot, connector, User(name="Jari Mäkinen", upn="jari@example.hel.fi"))
    await _to_last_check(client, Device.WINDOWS)
    await client.press("tutorial.button.ask")
    await connector.wait_for(lambda r: bool(_help_cards(connector, maija.conv)))
    maija.card = _help_cards(connector, maija.conv)[0].json["attachments"][0]["content"]
    take = next(a for a in maija.card["actions"] if a["verb"].startswith("help.take"))
    assert take["title"] == text(Language.FI, "help.button.take")
    await maija.tap(take)
    shown = set(_texts(maija.card))
    assert text(Language.FI, "help.card.title", name="Jari Mäkinen") in shown
    assert _labels(Language.FI) <= shown
    assert not _labels(Language.EN) & shown
    assert CONTENT.device_name(Language.FI, Device.WINDOWS) in shown
    finnish = {f for v in CATALOGS[Language.FI].values() for f in forms(v)}
    english = {f for v in CATALOGS[Language.EN].values() for f in forms(v)} - finnish
    assert not english & shown
    assert maija.last_text == text(Language.FI, "help.take.done", name="Jari Mäkinen")


async def test_a_language_chosen_in_a_group_chat_is_the_persons_and_the_chat_keeps_its_own(
    org_bot: BotServer, connector: FakeConnector
) -> None:
    groups = {g.key: g for g in await org_bot.store.org.all_groups()}
    maija = await org_bot.store.org.person_by_upn("maija.virtanen@example.hel.fi")
    assert maija is not None and maija.id is not None
    cafe = Conv.group_chat()
    await bound_group_chat(
        org_bot.store, cafe.id, connector.url, groups["distanscafe-sv"].id or 0, maija.id
    )
    before = len(connector.sent)
    status, _ = await org_bot.post(_message("språk", cafe, MAIJA, connector.url))
    assert status == 201
    card = (await connector.wait_for_count(before + 1))[before]["attachments"][0]["content"]
    assert _texts(card)[0] == text(Language.SV, "language.choose.title")  # the chat's language
    english = next(a for a in card["actions"] if a["title"] == "English")
    status, body = await org_bot.post(
        invoke_execute(
            LANGUAGE_VERB,
            english["data"],
            conversation=cafe,
            sender=MAIJA,
            service_url=connector.url,
            reply_to_id="card",
        )
    )
    assert status == 200
    # the card stays for the others; the tapper is answered in the language they chose
    assert body["value"] == text(Language.EN, "language.changed")
    answer = await ask(org_bot, connector, "hjälp", MAIJA, conv=cafe, mention=True)
    assert answer.startswith(_help_of(Language.SV))
    answer = await ask(org_bot, connector, "apua", MAIJA)
    assert answer.startswith(_help_of(Language.EN))


COORDINATED = """
version: 1
units:
  - key: tv
    name: Arbetsträning
    language: sv
groups:
  - key: cafe
    unit: tv
    name: Distanscafé
people:
  - name: Kim Koordinator
    upn: kim@example.hel.fi
    coordinator: [tv]
"""


async def test_a_coordinator_reads_their_units_language_and_its_groups_speak_it(
    database_url: str, tmp_path: Path, connector: FakeConnector
) -> None:
    org_file = tmp_path / "org.yaml"
    org_file.write_text(COORDINATED, encoding="utf-8")
    server = await start_bot(Settings(port=free_port(), database_url=database_url))
    try:
        await server.store.org.apply(load_org_file(str(org_file)))
        [cafe] = await server.store.org.all_groups()
        assert cafe.language is Language.SV  # no language of its own: the unit's
        kim = User(name="Kim Koordinator", upn="kim@example.hel.fi")
        answer = await ask(server, connector, "help", kim, locale="en-US")
        assert answer.startswith(_help_of(Language.SV))
    finally:
        await stop_bot(server)
