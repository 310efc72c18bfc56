"""No loops, no dead ends, over real HTTP: a refusal says what the person can do instead, in
their language (Finnish, Swedish, English)."""

from __future__ import annotations

import pytest

from domain.i18n import text
from domain.org import Language
from tests.fakes.activities import Conv, User
from tests.fakes.connector import FakeConnector
from tests.integration.conftest import JARI, JOHAN, MAIJA
from tests.integration.harness import BotServer, bound_group_chat
from tests.integration.test_conversation import ask

ERIK = User(name="Erik Holmström", upn="erik.holmstrom@example.hel.fi")  # client, sv
AHMED = User(name="Ahmed Hassan", upn="ahmed.hassan@example.hel.fi")  # client, en


@pytest.mark.parametrize(
    ("user", "words", "language"),
    [
        (JARI, "nimenhuuto", Language.FI),
        (ERIK, "upprop", Language.SV),
        (AHMED, "roll call", Language.EN),
    ],
)
async def test_a_client_asking_for_a_roll_call_privately_is_told_where_it_happens(
    org_bot: BotServer, connector: FakeConnector, user: User, words: str, language: Language
) -> None:
    answer = await ask(org_bot, connector, words, user)
    assert answer == text(language, "rollcall.personal_chat.client")
    button = {Language.FI: "Olen paikalla", Language.SV: "Jag är här", Language.EN: "I'm here"}
    assert f"**{button[language]}**" in answer


@pytest.mark.parametrize(
    ("user", "words", "language", "exact"),
    [
        (MAIJA, "nimenhuuto", Language.FI, "**@Etäpäivä nimenhuuto**"),
        (JOHAN, "upprop", Language.SV, "**@Etäpäivä upprop**"),
    ],
)
async def test_an_instructor_asking_for_a_roll_call_privately_gets_the_words_and_the_place(
    org_bot: BotServer,
    connector: FakeConnector,
    user: User,
    words: str,
    language: Language,
    exact: str,
) -> None:
    answer = await ask(org_bot, connector, words, user)
    assert answer == text(language, "rollcall.personal_chat.instructor")
    assert exact in answer
    # closing or reminding from the 1:1 chat: the same pointer, not "join this chat to a group"
    close = {Language.FI: "sulje nimenhuuto", Language.SV: "stäng uppropet"}[language]
    answer = await ask(org_bot, connector, close, user)
    assert answer == text(language, "rollcall.personal_chat.instructor")
    # not the old "Instructor: write this is group" loop
    assert text(language, "rollcall.not_bound") != answer


@pytest.mark.parametrize(
    ("user", "words", "language", "exact"),
    [
        (MAIJA, "tämä on ryhmä", Language.FI, "**@Etäpäivä tämä on ryhmä**"),
        (JOHAN, "detta är gruppen", Language.SV, "**@Etäpäivä detta är gruppen**"),
    ],
)
async def test_an_instructor_binding_in_a_private_chat_is_told_where_and_what_to_write(
    org_bot: BotServer,
    connector: FakeConnector,
    user: User,
    words: str,
    language: Language,
    exact: str,
) -> None:
    answer = await ask(org_bot, connector, words, user)
    assert answer == text(language, "bind.personal_chat")
    assert exact in answer
    chat = {Language.FI: "kokouksen chat", Language.SV: "möteschatt"}[language]
    assert chat in answer


async def test_refusals_in_a_group_chat_say_what_the_person_can_do_instead(
    org_bot: BotServer, connector: FakeConnector
) -> None:
    groups = {g.key: g for g in await org_bot.store.org.all_groups()}
    maija = await org_bot.store.org.person_by_upn("maija.virtanen@example.hel.fi")
    assert maija is not None and maija.id is not None
    chat = Conv.group_chat()
    await bound_group_chat(
        org_bot.store, chat.id, connector.url, groups["it-torstai"].id or 0, maija.id
    )
    # a client tries the instructors' words: told what they can do themselves
    answer = await ask(org_bot, connector, "nimenhuuto", JARI, conv=chat, mention=True)
    assert answer == text(Language.FI, "rollcall.not_allowed")
    assert "**Olen paikalla**" in answer
    answer = await ask(org_bot, connector, "läsnäolo", JARI, conv=chat, mention=True)
    assert answer == text(Language.FI, "rollcall.attendance.not_allowed")
    assert "kysy ohjaajalta" in answer
    # a chat that belongs to no group: who can fix it and with which words
    loose = Conv.group_chat()
    answer = await ask(org_bot, connector, "nimenhuuto", MAIJA, conv=loose, mention=True)
    assert answer == text(Language.FI, "rollcall.not_bound")
    assert "**tämä on ryhmä**" in answer


async def test_a_command_word_pasted_back_in_bold_still_works(
    org_bot: BotServer, connector: FakeConnector
) -> None:
    # the bot shows its words in bold (**apua**); pasted back as shown, they still work
    answer = await ask(org_bot, connector, "**apua**", JARI)
    assert answer.startswith(text(Language.FI, "help.intro"))
