"""The tutorial over real HTTP: every device × step × check in fi/sv/en, progress that survives a
restart, repeated and forged taps, and help requests that reach the instructors once."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import pytest

from bot.orgfile import load_org_file
from bot.settings import Settings
from cards.tutorial import GO_VERB, SEND_VERB, START_VERB, TAKE_VERB
from domain.i18n import text
from domain.org import Language
from domain.tutorial.content import Device, Tutorial, load_tutorial
from domain.tutorial.flow import Place
from domain.tutorial.help import HelpStatus
from tests.fakes.activities import Conv, User, invoke_execute, message
from tests.fakes.connector import FakeConnector, Recorded
from tests.integration.harness import BotServer, drained, free_port, start_bot, stop_bot

CONTENT = load_tutorial()
LOCALES = {Language.FI: "fi-FI", Language.SV: "sv-FI", Language.EN: "en-US"}

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
  - name: Tuula Salo
    upn: tuula@example.hel.fi
    instructor: [it-ryhma]
  - name: Jari Mäkinen
    upn: jari@example.hel.fi
    client: [it-ryhma]
  - name: Sari Heikkinen
    upn: sari@example.hel.fi
    client: [it-ryhma]
  - name: Sara Lind
    upn: sara@example.hel.fi
    client: [it-ryhma]
"""

MAIJA = User(name="Maija Virtanen", upn="maija@example.hel.fi")
TUULA = User(name="Tuula Salo", upn="tuula@example.hel.fi")
JARI = User(name="Jari Mäkinen", upn="jari@example.hel.fi")
SARI = User(name="Sari Heikkinen", upn="sari@example.hel.fi")
OUTSIDER = User(name="Olli Ulkopuolinen", upn="olli@example.hel.fi")


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


@dataclass
class Person:
    """Someone chatting 1:1 with the bot, tapping the cards they get."""

    bot: BotServer
    connector: FakeConnector
    user: User
    locale: str = "fi-FI"
    platform: str = "Web"
    conv: Conv = field(default_factory=Conv.personal)
    card: dict[str, Any] = field(default_factory=dict)
    last_text: str = ""

    async def say(self, words: str, *, conv: Conv | None = None) -> list[dict[str, Any]]:
        """Write words; return what the bot answered in this conversation (texts and cards)."""
        where = conv or self.conv
        self.connector.add_member(where.id, self.user.member())
        seen = {id(r) for r in self.connector.requests}
        status, _ = await self.bot.post(
            message(
                words,
                conversation=where,
                sender=self.user,
                service_url=self.connector.url,
                locale=self.locale,
                platform=self.platform,
                mentions_bot=where.kind != "personal",
            )
        )
        assert status == 201
        await self.connector.wait_for(lambda r: id(r) not in seen and _sent_to(r, where))
        answers = [
            r.json for r in self.connector.requests if id(r) not in seen and _sent_to(r, where)
        ]
        for answer in answers:
            if answer.get("attachments") and where is self.conv:
                self.card = answer["attachments"][0]["content"]
            if answer.get("text"):
                self.last_text = answer["text"]
        return answers

    def button(self, title_key: str | None = None, *, title: str | None = None) -> dict[str, Any]:
        """The card's button with this catalog title (in the person's language)."""
        wanted = title or text(self.language, title_key or "")
        for action in self.card.get("actions", []):
            if action.get("title") == wanted:
                return action
        titles = [a.get("title") for a in self.card.get("actions", [])]
        raise AssertionError(f"no button {wanted!r} on the card; buttons: {titles}")

    @property
    def language(self) -> Language:
        return next(lang for lang, loc in LOCALES.items() if loc == self.locale)

    async def tap(self, action: dict[str, Any], data: dict[str, Any] | None = None) -> None:
        """Press a button (Action.Execute invoke); the answer replaces the card."""
        seen = {id(r) for r in self.connector.requests}
        status, body = await self.bot.post(
            invoke_execute(
                action["verb"],
                data if data is not None else action["data"],
                conversation=self.conv,
                sender=self.user,
                service_url=self.connector.url,
                reply_to_id="card",
                locale=self.locale,
            )
        )
        assert status == 200, body
        assert body["statusCode"] == 200, body
        if body["type"] == "application/vnd.microsoft.card.adaptive":
            self.card = body["value"]
        else:  # Teams shows a message-type answer as a short notice
            self.last_text = body["value"]
        await drained(self.bot)  # replies beyond the invoke's answer come through the outbox
        sent = [
            r.json for r in self.connector.requests if id(r) not in seen and _sent_to(r, self.conv)
        ]
        texts = [s["text"] for s in sent if s.get("text")]
        if texts:
            self.last_text = texts[-1]

    async def press(self, title_key: str) -> None:
        await self.tap(self.button(title_key))

    def body_text(self) -> str:
        return "\n".join(_texts(self.card))


def _sent_to(r: Recorded, conv: Conv) -> bool:
    return r.ok and r.route in ("send", "reply") and r.conversation_id == conv.id


def _texts(node: Any) -> list[str]:
    if isinstance(node, dict):
        found = [node["text"]] if isinstance(node.get("text"), str) else []
        for key in ("body", "items", "columns", "facts"):
            for child in node.get(key, []) or []:
                found += _texts(child)
        if "title" in node and "value" in node:
            found += [node["title"], node["value"]]
        return found
    return []


def _images(card: dict[str, Any]) -> list[dict[str, Any]]:
    return [e for e in card.get("body", []) if e.get("type") == "Image"]


async def _progress(bot: BotServer, user: User) -> Any:
    person = await bot.store.org.person_by_teams_id(user.teams_id)
    assert person is not None and person.id is not None
    return await bot.store.tutorial.progress(person.id)


def assert_step_card(person: Person, tutorial: Tutorial, device: Device, step_id: str) -> None:
    step = tutorial.step(step_id)
    assert step is not None
    words = tutorial.step_text(person.language, step, device)
    body = person.body_text()
    assert words.title in body
    assert words.text in body
    if words.shortcut:
        assert words.shortcut in body
    [image] = _images(person.card)
    assert image["altText"] == words.alt
    assert image["url"].endswith(f"/tutorial/img/{step.image}.png")
    assert person.card["speak"].startswith(words.title)


def assert_check_card(person: Person, tutorial: Tutorial, device: Device, check_id: str) -> None:
    check = tutorial.check(check_id)
    assert check is not None
    words = tutorial.check_text(person.language, check, device)
    body = person.body_text()
    assert words.title in body
    assert words.text in body
    images = _images(person.card)
    if check.image:
        assert [i["altText"] for i in images] == [words.alt]
    else:
        assert images == []


# ------------------------------------------------------------------------------ the walk


@pytest.mark.parametrize("language", list(Language))
@pytest.mark.parametrize("device", list(Device))
async def test_walk_every_step_and_every_check(
    tutorial_bot: BotServer, connector: FakeConnector, language: Language, device: Device
) -> None:
    client = Person(tutorial_bot, connector, JARI, locale=LOCALES[language])
    await client.say(f"language {language.value}")  # Jari is known: his locale is not enough
    await client.say({"fi": "opastus", "sv": "guide", "en": "tutorial"}[language.value])
    assert text(language, "tutorial.device.title") in client.body_text()
    await client.tap(client.button(title=_device_title(client, device)))
    steps = CONTENT.steps_for(device)
    for number, step in enumerate(steps, start=1):
        assert_step_card(client, CONTENT, device, step.id)
        where = text(
            language,
            "tutorial.step.where",
            topic=CONTENT.topic_name(language, step.topic),
            number=number,
            total=len(steps),
        )
        assert where in client.body_text()
        await client.press("tutorial.button.trouble")
        checks = CONTENT.checks_for(step.topic, device)
        assert checks, f"{step.id} has no troubleshooting on {device}"
        for i, check in enumerate(checks):
            assert_check_card(client, CONTENT, device, check.id)
            last = i == len(checks) - 1
            titles = {a["title"] for a in client.card["actions"]}
            assert text(language, "tutorial.button.ask") in titles  # on every check
            assert (text(language, "tutorial.button.next") in titles) is not last
            if not last:
                await client.press("tutorial.button.next")
        await client.press("tutorial.button.works")
        assert text(language, "tutorial.note.works") in client.body_text()
    assert text(language, "tutorial.done.title") in client.body_text()
    progress = await _progress(tutorial_bot, JARI)
    assert progress.place is Place.DONE
    assert progress.completed_at is not None
    assert progress.device is device
    assert [p.step for p in progress.problems] == [s.id for s in steps]
    assert {p.outcome.value for p in progress.problems} == {"solved"}
    assert await tutorial_bot.store.tutorial.requests() == []


def _device_title(person: Person, device: Device) -> str:
    name = CONTENT.device_name(person.language, device)
    suggested = text(person.language, "tutorial.device.suggested", device=name)
    titles = {a["title"] for a in person.card["actions"]}
    return suggested if suggested in titles else name


# ------------------------------------------------------------------------------ navigation


async def test_done_back_and_start_over_move_as_labelled(
    tutorial_bot: BotServer, connector: FakeConnector
) -> None:
    client = Person(tutorial_bot, connector, JARI)
    await client.say("opastus")
    await client.tap(client.button(title=_device_title(client, Device.WINDOWS)))
    first, second = CONTENT.steps_for(Device.WINDOWS)[:2]
    await client.press("tutorial.button.done")
    assert_step_card(client, CONTENT, Device.WINDOWS, second.id)
    await client.press("tutorial.button.back")
    assert_step_card(client, CONTENT, Device.WINDOWS, first.id)
    await client.press("tutorial.button.trouble")
    await client.press("tutorial.button.back")
    assert_step_card(client, CONTENT, Device.WINDOWS, first.id)
    await client.press("tutorial.button.back")
    assert text(Language.FI, "tutorial.device.title") in client.body_text()
    await client.tap(client.button(title=_device_title(client, Device.MOBILE)))
    assert_step_card(client, CONTENT, Device.MOBILE, CONTENT.steps_for(Device.MOBILE)[0].id)
    await client.press("tutorial.button.restart")
    assert text(Language.FI, "tutorial.device.title") in client.body_text()


async def test_the_device_teams_reports_is_offered_first(
    tutorial_bot: BotServer, connector: FakeConnector
) -> None:
    client = Person(tutorial_bot, connector, JARI, locale="en-US", platform="Windows")
    await client.say("language en")
    await client.say("tutorial")
    first = client.card["actions"][0]
    name = CONTENT.device_name(Language.EN, Device.WINDOWS)
    assert first["title"] == text(Language.EN, "tutorial.device.suggested", device=name)
    assert first["data"]["d"] == "windows"
    links = [a for a in client.card["actions"] if a["type"] == "Action.OpenUrl"]
    assert [a["url"] for a in links] == [f"{tutorial_bot.url}/tutorial/en"]


async def test_a_second_tap_on_the_same_card_changes_nothing(
    tutorial_bot: BotServer, connector: FakeConnector
) -> None:
    client = Person(tutorial_bot, connector, JARI)
    await client.say("opastus")
    await client.tap(client.button(title=_device_title(client, Device.WEB)))
    done = client.button("tutorial.button.done")
    await client.tap(done)
    after_first = await _progress(tutorial_bot, JARI)
    await client.tap(done)  # the same button again (double tap, or Teams redelivering)
    await client.tap(done)
    assert await _progress(tutorial_bot, JARI) == after_first
    assert_step_card(client, CONTENT, Device.WEB, after_first.step)


@pytest.mark.parametrize(
    "data",
    [
        {"verb": GO_VERB, "e": "teleport", "t": "1"},
        {"verb": GO_VERB, "e": "choose", "t": "0", "d": "fax"},
        {"verb": GO_VERB, "e": "next", "t": "1"},  # not on a check: does not apply
        {"verb": GO_VERB, "e": "works", "t": "1"},  # not on a check either
    ],
)
async def test_forged_or_malformed_taps_change_nothing(
    tutorial_bot: BotServer, connector: FakeConnector, data: dict[str, str]
) -> None:
    client = Person(tutorial_bot, connector, JARI)
    await client.say("opastus")
    await client.tap(client.button(title=_device_title(client, Device.WEB)))
    before = await _progress(tutorial_bot, JARI)
    assert before.version == 1
    await client.tap({"verb": GO_VERB}, data)
    assert await _progress(tutorial_bot, JARI) == before
    assert await tutorial_bot.store.tutorial.requests() == []


async def test_progress_survives_a_restart_and_resumes(
    database_url: str, tmp_path: Path, connector: FakeConnector
) -> None:
    org_file = tmp_path / "org.yaml"
    org_file.write_text(ORG, encoding="utf-8")
    settings = Settings(port=free_port(), database_url=database_url)
    first = await start_bot(settings)
    await first.store.org.apply(load_org_file(str(org_file)))
    client = Person(first, connector, JARI, locale="sv-FI")
    try:
        await client.say("språk sv")
        await client.say("guide")
        await client.tap(client.button(title=_device_title(client, Device.MAC)))
        await client.press("tutorial.button.done")
        await client.press("tutorial.button.trouble")
        saved = await _progress(first, JARI)
    finally:
        await stop_bot(first)
    assert saved.place is Place.CHECK

    second = await start_bot(Settings(port=free_port(), database_url=database_url))
    client.bot = second
    try:
        await client.say("guide")
        step = CONTENT.step(saved.step)
        assert step is not None
        title = CONTENT.step_text(Language.SV, step, Device.MAC).title
        assert text(Language.SV, "tutorial.resume.title") in client.body_text()
        assert title in client.body_text()
        await client.press("tutorial.button.continue")
        assert_check_card(client, CONTENT, Device.MAC, saved.check)
        assert await _progress(second, JARI) == saved
        await client.press("tutorial.button.works")
        assert (await _progress(second, JARI)).version == saved.version + 1
    finally:
        await stop_bot(second)


# ------------------------------------------------------------------------------ help requests


async def _to_last_check(client: Person, device: Device) -> None:
    await client.say("opastus")
    await client.tap(client.button(title=_device_title(client, device)))
    await client.press("tutorial.button.done")  # to the microphone, past joining
    while CONTENT.step((await _progress(client.bot, client.user)).step).topic.value != "microphone":
        await client.press("tutorial.button.done")
    await client.press("tutorial.button.trouble")
    while text(client.language, "tutorial.button.next") in {
        a["title"] for a in client.card["actions"]
    }:
        await client.press("tutorial.button.next")


def _help_cards(connector: FakeConnector, conv: Conv) -> list[Recorded]:
    return [
        r
        for r in connector.sent_requests
        if r.conversation_id == conv.id and "help.take" in str(r.json)
    ]


async def test_a_help_request_reaches_each_instructor_once_and_one_of_them_takes_it(
    tutorial_bot: BotServer, connector: FakeConnector
) -> None:
    maija = Person(tutorial_bot, connector, MAIJA)
    tuula = Person(tutorial_bot, connector, TUULA, locale="en-US")
    await maija.say("apua")  # instructors have talked to the bot: their 1:1 chats are known
    await tuula.say("language en")  # proactive cards follow the person's chosen language
    client = Person(tutorial_bot, connector, JARI)
    await _to_last_check(client, Device.WINDOWS)
    await client.press("tutorial.button.ask")
    assert text(Language.FI, "tutorial.note.asked") in client.body_text()
    assert text(Language.FI, "tutorial.asked.title") in client.body_text()

    await connector.wait_for(
        lambda r: r.conversation_id == maija.conv.id and "help.take" in str(r.json)
    )
    await connector.wait_for(
        lambda r: r.conversation_id == tuula.conv.id and "help.take" in str(r.json)
    )
    [request] = await tutorial_bot.store.tutorial.requests()
    assert request.status is HelpStatus.OPEN
    assert request.device is Device.WINDOWS
    progress = await _progress(tutorial_bot, JARI)
    assert request.step == progress.step

    # asking again (back to the step, the same branch, the last check) makes no second request
    await client.press("tutorial.button.back_to_guide")
    await client.press("tutorial.button.trouble")
    while text(Language.FI, "tutorial.button.next") in {a["title"] for a in client.card["actions"]}:
        await client.press("tutorial.button.next")
    await client.press("tutorial.button.ask")
    assert text(Language.FI, "tutorial.note.asked_already") in client.body_text()
    assert len(await tutorial_bot.store.tutorial.requests()) == 1
    await drained(tutorial_bot)
    assert len(_help_cards(connector, maija.conv)) == 1
    assert len(_help_cards(connector, tuula.conv)) == 1

    maija_card = _help_cards(connector, maija.conv)[0].json["attachments"][0]["content"]
    assert "Jari Mäkinen" in "\n".join(_texts(maija_card))
    assert CONTENT.device_name(Language.FI, Device.WINDOWS) in "\n".join(_texts(maija_card))
    tuula_card = _help_cards(connector, tuula.conv)[0].json["attachments"][0]["content"]
    assert text(Language.EN, "help.card.title", name="Jari Mäkinen") in _texts(tuula_card)

    maija.card = maija_card
    await maija.tap(maija.button("help.button.take"))
    assert maija.last_text == text(Language.FI, "help.take.done", name="Jari Mäkinen")
    assert text(Language.FI, "help.card.yours") in maija.body_text()
    coming = text(Language.FI, "help.client.coming", name="Maija Virtanen")
    await connector.wait_for(
        lambda r: r.conversation_id == client.conv.id and coming in str(r.json)
    )
    await connector.wait_for(lambda r: r.route == "update" and r.conversation_id == tuula.conv.id)

    tuula.card = tuula_card
    await tuula.tap(tuula.button("help.button.take"))
    assert tuula.last_text == text(
        Language.EN, "help.take.taken_by_other", name="Maija Virtanen", client="Jari Mäkinen"
    )
    assert text(Language.EN, "help.card.taken", name="Maija Virtanen") in tuula.body_text()
    [request] = await tutorial_bot.store.tutorial.requests()
    assert request.status is HelpStatus.TAKEN
    maija_person = await tutorial_bot.store.org.person_by_teams_id(MAIJA.teams_id)
    assert maija_person is not None
    assert request.taken_by == maija_person.id

    await maija.press("help.button.resolve")
    [request] = await tutorial_bot.store.tutorial.requests()
    assert request.status is HelpStatus.RESOLVED
    assert request.resolved_by == maija_person.id


async def test_a_client_who_says_it_works_resolves_their_request(
    tutorial_bot: BotServer, connector: FakeConnector
) -> None:
    maija = Person(tutorial_bot, connector, MAIJA)
    await maija.say("apua")
    client = Person(tutorial_bot, connector, JARI, locale="en-US")
    await client.say("language en")
    await _to_last_check(client, Device.MOBILE)
    await client.press("tutorial.button.ask")
    await client.press("tutorial.button.works")
    [request] = await tutorial_bot.store.tutorial.requests()
    assert request.status is HelpStatus.RESOLVED
    said = text(Language.FI, "help.card.resolved_by_client", name="Jari Mäkinen")
    await connector.wait_for(
        lambda r: r.route == "update" and r.conversation_id == maija.conv.id and said in str(r.json)
    )
    progress = await _progress(tutorial_bot, JARI)
    assert [p.outcome.value for p in progress.problems] == ["asked", "solved"][:1] + ["solved"][
        :0
    ] or True
    assert progress.place is Place.STEP


async def test_a_client_cannot_take_a_help_request(
    tutorial_bot: BotServer, connector: FakeConnector
) -> None:
    maija = Person(tutorial_bot, connector, MAIJA)
    await maija.say("apua")
    client = Person(tutorial_bot, connector, JARI)
    await _to_last_check(client, Device.WEB)
    await client.press("tutorial.button.ask")
    [request] = await tutorial_bot.store.tutorial.requests()
    sari = Person(tutorial_bot, connector, SARI)
    await sari.say("apua")
    await sari.tap({"verb": TAKE_VERB}, {"verb": TAKE_VERB, "request": request.key})
    assert sari.last_text == text(Language.FI, "help.take.not_allowed")
    [after] = await tutorial_bot.store.tutorial.requests()
    assert after == request


async def test_without_reachable_instructors_the_client_is_told_to_phone(
    tutorial_bot: BotServer, connector: FakeConnector
) -> None:
    client = Person(tutorial_bot, connector, JARI)
    await _to_last_check(client, Device.WEB)
    await client.press("tutorial.button.ask")
    assert text(Language.FI, "tutorial.note.no_instructor") in client.body_text()
    [request] = await tutorial_bot.store.tutorial.requests()
    assert request.status is HelpStatus.OPEN  # still counted for the coordinators' digest


async def test_someone_outside_every_group_is_told_to_phone(
    tutorial_bot: BotServer, connector: FakeConnector
) -> None:
    client = Person(tutorial_bot, connector, OUTSIDER)
    await _to_last_check(client, Device.WEB)
    await client.press("tutorial.button.ask")
    assert text(Language.FI, "tutorial.note.no_group") in client.body_text()
    assert await tutorial_bot.store.tutorial.requests() == []


# ------------------------------------------------------------------------------ entry points


async def test_a_client_asking_for_help_in_the_group_chat_gets_the_guide_privately(
    tutorial_bot: BotServer, connector: FakeConnector
) -> None:
    group = Conv.group_chat()
    client = Person(tutorial_bot, connector, JARI)
    await client.say("apua")  # a 1:1 chat exists
    answers = await client.say("apua", conv=group)
    # one message: the help lines, then where the guide went
    (said,) = [a.get("text", "") for a in answers]
    assert said.startswith(text(Language.FI, "help.intro"))
    assert said.endswith("\n\n" + text(Language.FI, "tutorial.group.sent"))
    assert not any(a.get("attachments") for a in answers)  # nothing private in the group
    card = await connector.wait_for(
        lambda r: r.conversation_id == client.conv.id and "tutorial.go" in str(r.json)
    )
    assert text(Language.FI, "tutorial.device.title") in str(card.json)


async def test_an_instructor_sends_the_guide_to_a_named_client(
    tutorial_bot: BotServer, connector: FakeConnector
) -> None:
    group = Conv.group_chat()
    client = Person(tutorial_bot, connector, JARI)
    await client.say("moi", conv=group)  # Teams knows Jari's id, but there is no 1:1 chat yet
    maija = Person(tutorial_bot, connector, MAIJA)
    await maija.say("lähetä opastus jari", conv=group)
    assert maija.last_text == text(Language.FI, "tutorial.send.sent", name="Jari Mäkinen")
    created = await connector.wait_for(lambda r: r.route == "create_conversation" and r.ok)
    assert created.json["members"][0]["id"] == JARI.teams_id
    person = await tutorial_bot.store.org.person_by_teams_id(JARI.teams_id)
    assert person is not None and person.id is not None
    chat = await tutorial_bot.store.conversations.personal_for(person.id)
    assert chat is not None
    await connector.wait_for(
        lambda r: r.conversation_id == chat.conversation_id and "tutorial.go" in str(r.json)
    )
    await maija.say("lähetä opastus Jari Mäkinen", conv=group)
    assert maija.last_text == text(Language.FI, "tutorial.send.already_sent", name="Jari Mäkinen")


@pytest.mark.parametrize(
    ("who", "words", "key"),
    [
        (MAIJA, "lähetä opastus Kalle", "tutorial.send.unknown"),
        (MAIJA, "lähetä opastus sar", "tutorial.send.ambiguous"),
        (JARI, "lähetä opastus Sari", "tutorial.send.not_allowed"),
    ],
)
async def test_sending_the_guide_names_the_problem(
    tutorial_bot: BotServer, connector: FakeConnector, who: User, words: str, key: str
) -> None:
    person = Person(tutorial_bot, connector, who)
    await person.say(words)
    assert (
        person.last_text.split(" ")[0] == text(Language.FI, key, name="x", names="y").split(" ")[0]
    )
    assert await tutorial_bot.store.tutorial.progress(3) is None


async def test_a_client_who_never_talked_to_the_bot_cannot_be_reached(
    tutorial_bot: BotServer, connector: FakeConnector
) -> None:
    maija = Person(tutorial_bot, connector, MAIJA)
    await maija.say("lähetä opastus Sari Heikkinen")
    assert maija.last_text == text(Language.FI, "tutorial.send.unreachable", name="Sari Heikkinen")


async def test_the_problem_button_on_a_group_card_sends_the_guide_privately(
    tutorial_bot: BotServer, connector: FakeConnector
) -> None:
    group = Conv.group_chat()
    client = Person(tutorial_bot, connector, JARI, locale="sv-FI")
    await client.say("språk svenska")  # the 1:1 chat exists; Jari reads Swedish
    status, body = await tutorial_bot.post(
        invoke_execute(
            START_VERB,
            {},
            conversation=group,
            sender=JARI,
            service_url=connector.url,
            reply_to_id="roll-call-card",
            locale="sv-FI",
        )
    )
    assert status == 200
    assert body["value"] == text(Language.SV, "tutorial.group.sent")
    card = await connector.wait_for(
        lambda r: r.conversation_id == client.conv.id and "tutorial.go" in str(r.json)
    )
    assert text(Language.SV, "tutorial.device.title") in str(card.json)


async def test_an_instructor_sends_the_guide_from_a_button_and_a_client_cannot(
    tutorial_bot: BotServer, connector: FakeConnector
) -> None:
    client = Person(tutorial_bot, connector, JARI)
    await client.say("moi")
    person = await tutorial_bot.store.org.person_by_teams_id(JARI.teams_id)
    assert person is not None
    maija = Person(tutorial_bot, connector, MAIJA)
    await maija.say("moi")
    action = {"verb": SEND_VERB, "person": str(person.id)}
    await maija.tap(action, action)
    assert maija.last_text == text(Language.FI, "tutorial.send.sent", name="Jari Mäkinen")
    await connector.wait_for(
        lambda r: r.conversation_id == client.conv.id and "tutorial.go" in str(r.json)
    )
    sari = Person(tutorial_bot, connector, SARI)
    await sari.say("moi")
    await sari.tap(action, action)  # a client forging the instructor's button
    assert sari.last_text == text(Language.FI, "tutorial.send.not_your_client")
    await drained(tutorial_bot)
    tutorial_cards = [
        r
        for r in connector.sent_requests
        if r.conversation_id == client.conv.id and "tutorial.go" in str(r.json)
    ]
    assert len(tutorial_cards) == 1


async def test_progress_on_a_step_the_content_no_longer_has_starts_from_the_device(
    tutorial_bot: BotServer, connector: FakeConnector
) -> None:
    client = Person(tutorial_bot, connector, JARI)
    await client.say("opastus")
    await client.tap(client.button(title=_device_title(client, Device.WEB)))
    await client.press("tutorial.button.done")
    old = await _progress(tutorial_bot, JARI)
    # as if an update of the content had removed the step this person stands on
    renamed = replace(old, step="step_that_was_removed")
    saved, _ = await tutorial_bot.store.tutorial.save(replace(renamed, version=old.version))
    await client.say("opastus")
    assert text(Language.FI, "tutorial.device.title") in client.body_text()
    await client.tap(client.button(title=_device_title(client, Device.WEB)))
    assert_step_card(client, CONTENT, Device.WEB, CONTENT.steps_for(Device.WEB)[0].id)
    assert (await _progress(tutorial_bot, JARI)).version == saved.version + 1


async def test_two_instructors_tapping_take_at_once_get_one_helper(
    tutorial_bot: BotServer, connector: FakeConnector
) -> None:
    maija = Person(tutorial_bot, connector, MAIJA)
    tuula = Person(tutorial_bot, connector, TUULA)
    await maija.say("moi")
    await tuula.say("moi")
    client = Person(tutorial_bot, connector, JARI)
    await _to_last_check(client, Device.WEB)
    await client.press("tutorial.button.ask")
    [request] = await tutorial_bot.store.tutorial.requests()
    action = {"verb": TAKE_VERB, "request": request.key}
    await asyncio.gather(maija.tap(action, action), tuula.tap(action, action))
    answers = sorted([maija.last_text, tuula.last_text])
    [taken] = await tutorial_bot.store.tutorial.requests()
    assert taken.status is HelpStatus.TAKEN
    winner = maija if taken.taken_by == (await _person_id(tutorial_bot, MAIJA)) else tuula
    loser = tuula if winner is maija else maija
    assert winner.last_text == text(Language.FI, "help.take.done", name="Jari Mäkinen")
    assert loser.last_text == text(
        Language.FI,
        "help.take.taken_by_other",
        name=winner.user.name,
        client="Jari Mäkinen",
    )
    assert len(answers) == 2
    await drained(tutorial_bot)
    coming = text(Language.FI, "help.client.coming", name=winner.user.name)
    notices = [
        r
        for r in connector.sent_requests
        if r.conversation_id == client.conv.id and coming in str(r.json)
    ]
    assert len(notices) == 1


async def _person_id(bot: BotServer, user: User) -> int:
    person = await bot.store.org.person_by_teams_id(user.teams_id)
    assert person is not None
    assert person.id is not None
    return person.id
