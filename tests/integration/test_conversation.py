"""Talking to the bot: role-aware help in three languages, language choice, unknown input."""

from __future__ import annotations

import asyncio

import pytest

from domain.i18n import text
from domain.org import Language
from domain.outbox import OutboxStatus
from tests.fakes.activities import Conv, User, message
from tests.fakes.connector import FakeConnector, Recorded
from tests.integration.conftest import ANNELI, JARI, JOHAN, MAIJA, PEKKA, STRANGER, known
from tests.integration.harness import BotServer, free_port

LOCALES = {Language.FI: "fi-FI", Language.SV: "sv-SE", Language.EN: "en-US"}


async def ask(
    bot: BotServer,
    connector: FakeConnector,
    words: str,
    user: User,
    *,
    conv: Conv | None = None,
    locale: str = "fi-FI",
    mention: bool = False,
) -> str:
    """Send words as user; return the bot's one reply text."""
    conv = conv or Conv.personal()
    known(connector, conv.id, user)
    before = len(connector.sent)
    status, _ = await bot.post(
        message(
            words,
            conversation=conv,
            sender=user,
            service_url=connector.url,
            locale=locale,
            mentions_bot=mention,
        )
    )
    assert status == 201
    sent = await connector.wait_for_count(before + 1)
    return str(sent[before]["text"])


@pytest.mark.parametrize("language", list(Language))
async def test_help_for_a_client_names_their_group_only(
    org_bot: BotServer, connector: FakeConnector, language: Language
) -> None:
    word = {Language.FI: "apua", Language.SV: "hjälp", Language.EN: "help"}[language]
    conv = Conv.personal()
    await ask(org_bot, connector, f"kieli {language.value}", JARI, conv=conv)
    answer = await ask(org_bot, connector, word, JARI, conv=conv, locale=LOCALES[language])
    assert answer.startswith(text(language, "help.intro"))
    assert text(language, "help.item.my_group", groups="IT-pajan etäryhmä, torstai") in answer
    assert text(language, "help.item.bind") not in answer
    assert text(language, "help.item.groups") not in answer


@pytest.mark.parametrize("language", list(Language))
async def test_help_for_an_instructor_offers_binding(
    org_bot: BotServer, connector: FakeConnector, language: Language
) -> None:
    conv = Conv.personal()
    await ask(org_bot, connector, f"language {language.value}", MAIJA, conv=conv)
    answer = await ask(org_bot, connector, "help", MAIJA, conv=conv, locale=LOCALES[language])
    assert text(language, "help.item.bind") in answer
    assert text(language, "help.item.groups") in answer
    assert text(language, "help.item.admin") not in answer


async def test_help_for_coordinator_admin_and_stranger(
    org_bot: BotServer, connector: FakeConnector
) -> None:
    coordinator = await ask(org_bot, connector, "apua", ANNELI)
    assert "Uusix Kyläsaari, IT-paja" in coordinator
    assert text(Language.FI, "help.item.bind") not in coordinator
    admin = await ask(org_bot, connector, "apua", PEKKA)
    assert text(Language.FI, "help.item.admin") in admin
    stranger = await ask(org_bot, connector, "apua", STRANGER)
    assert text(Language.FI, "help.item.no_group") in stranger


async def test_stored_language_of_the_org_file_wins_over_the_locale(
    org_bot: BotServer, connector: FakeConnector
) -> None:
    answer = await ask(org_bot, connector, "help", JOHAN, locale="fi-FI")
    assert answer.startswith(text(Language.SV, "help.intro"))


async def test_language_command_in_each_language(
    org_bot: BotServer, connector: FakeConnector
) -> None:
    user = User(name="Kielten Vaihtaja")
    conv = Conv.personal()
    assert await ask(org_bot, connector, "kieli sv", user, conv=conv) == text(
        Language.SV, "language.changed"
    )
    answer = await ask(org_bot, connector, "apua", user, conv=conv, locale="fi-FI")
    assert answer.startswith(text(Language.SV, "help.intro"))
    assert await ask(org_bot, connector, "språk english", user, conv=conv) == text(
        Language.EN, "language.changed"
    )
    assert await ask(org_bot, connector, "Language suomi", user, conv=conv) == text(
        Language.FI, "language.changed"
    )
    # a language it does not know: the card of the languages it does
    before = len(connector.sent)
    status, _ = await org_bot.post(
        message("kieli klingon", conversation=conv, sender=user, service_url=connector.url)
    )
    assert status == 201
    card = (await connector.wait_for_count(before + 1))[before]["attachments"][0]["content"]
    assert [a["title"] for a in card["actions"]] == ["Suomi", "Svenska", "English"]


async def test_unknown_input_offers_buttons(org_bot: BotServer, connector: FakeConnector) -> None:
    for words, locale, language in [
        ("mitä kuuluu", "fi-FI", Language.FI),
        ("hur mår du", "sv-FI", Language.SV),
        ("what now", "en-GB", Language.EN),
    ]:
        answer = await ask(org_bot, connector, words, User(), locale=locale)
        assert answer == text(language, "fallback.personal")
        card = connector.sent[-1]["attachments"][0]["content"]
        titles = [a["title"] for a in card["actions"]]
        assert text(language, "fallback.button.guide") in titles
        assert text(language, "fallback.button.help") in titles


async def test_channel_mention_is_stripped(org_bot: BotServer, connector: FakeConnector) -> None:
    conv = Conv.channel()
    # Maija reads Finnish (the organisation file), whatever her Teams' language
    answer = await ask(org_bot, connector, "help", MAIJA, conv=conv, mention=True, locale="en-US")
    assert answer.startswith(text(Language.FI, "help.intro"))
    assert text(Language.FI, "help.mention_hint") in answer
    stored = await org_bot.store.conversations.get(conv.id)
    assert stored is not None


async def test_a_redelivered_activity_is_handled_once(
    org_bot: BotServer, connector: FakeConnector
) -> None:
    user = User(name="Kaksi Kertaa")
    activity = message("apua", conversation=Conv.personal(), sender=user, service_url=connector.url)
    statuses = await asyncio.gather(*(org_bot.post(activity) for _ in range(3)))
    assert [s for s, _ in statuses] == [201, 201, 201]
    await connector.wait_for_count(1)
    await asyncio.sleep(0.3)
    assert len(connector.sent) == 1
    again, _ = await org_bot.post(activity)
    assert again == 201
    await asyncio.sleep(0.2)
    assert len(connector.sent) == 1


async def test_person_imported_by_upn_is_matched_on_first_contact(
    org_bot: BotServer, connector: FakeConnector
) -> None:
    # Jari was imported by UPN only; Teams gives the bot a 29: id and an AAD id
    await ask(org_bot, connector, "apua", JARI)
    person = await org_bot.store.org.person_by_upn("jari.makinen@example.hel.fi")
    assert person is not None
    assert person.teams_id == JARI.teams_id
    assert person.aad_object_id == JARI.aad_object_id
    assert len(roster_reads(connector)) == 1
    # the second time the Teams id is known: no roster lookup
    await ask(org_bot, connector, "apua", JARI)
    assert len(roster_reads(connector)) == 1


def roster_reads(connector: FakeConnector) -> list[Recorded]:
    """Requests for a conversation's members (one member or the paged roster)."""
    return [
        r for r in connector.requests if r.route in ("get_member", "get_members", "paged_members")
    ]


async def test_a_throttled_reply_waits_for_retry_after_and_is_delivered_once(
    org_bot: BotServer, connector: FakeConnector
) -> None:
    user = User(name="Epäonninen")
    activity = message("apua", conversation=Conv.personal(), sender=user, service_url=connector.url)
    connector.fail_next(1, status=429, retry_after=1.0, path_contains="/activities")
    status, _ = await org_bot.post(activity)
    assert status == 201
    # the answer went to the outbox and comes after Retry-After, not an apology
    sent = await connector.wait_for_count(1, timeout=10)
    assert sent[0]["text"].startswith(text(Language.FI, "help.intro"))
    posts = [r for r in connector.requests if r.route in ("send", "reply")]
    assert [r.status for r in posts] == [429, 201]
    assert posts[1].timestamp - posts[0].timestamp >= 1.0
    # Teams redelivers the activity (it may, whatever we answered): nothing is sent twice
    await org_bot.post(activity)
    await asyncio.sleep(1.0)
    assert len(connector.sent) == 1


async def test_an_unreachable_service_url_does_not_hold_the_turn(org_bot: BotServer) -> None:
    # nothing listens there: the answer waits in the outbox, the turn is answered at once
    dead = f"http://127.0.0.1:{free_port()}/"
    activity = message("apua", conversation=Conv.personal(), sender=MAIJA, service_url=dead)
    loop = asyncio.get_running_loop()
    started = loop.time()
    status, _ = await org_bot.post(activity)
    assert status == 201
    assert loop.time() - started < 2.0
    pending = [
        e for e in await org_bot.store.outbox.dead_letters() if e.message.reply_to == activity["id"]
    ]
    counts = await org_bot.store.outbox.counts()
    assert pending == []  # not given up: it is retried later
    assert counts[OutboxStatus.PENDING] == 1
