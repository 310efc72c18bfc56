"""An instructor binds a group conversation to a group; clients cannot, even with forged taps."""

from __future__ import annotations

from cards.bind import BIND_VERB
from domain.i18n import text
from domain.org import Language
from tests.fakes.activities import Conv, User, card_submit, invoke_execute, message
from tests.fakes.connector import FakeConnector
from tests.integration.conftest import JARI, JOHAN, MAIJA, known
from tests.integration.harness import BotServer


async def say(
    bot: BotServer,
    connector: FakeConnector,
    conv: Conv,
    user: User,
    words: str,
    locale: str = "fi-FI",
) -> dict:  # type: ignore[type-arg]
    known(connector, conv.id, user)
    before = len(connector.sent)
    status, _ = await bot.post(
        message(
            words,
            conversation=conv,
            sender=user,
            service_url=connector.url,
            mentions_bot=True,
            locale=locale,
        )
    )
    assert status == 201
    return (await connector.wait_for_count(before + 1))[before]


async def group_id(bot: BotServer, key: str) -> int:
    group = next(g for g in await bot.store.org.all_groups() if g.key == key)
    assert group.id is not None
    return group.id


async def test_instructor_with_several_groups_gets_a_card_and_taps_one(
    org_bot: BotServer, connector: FakeConnector
) -> None:
    conv = Conv.meeting_chat()
    reply = await say(org_bot, connector, conv, MAIJA, "tämä on ryhmä")
    card_id = connector.sent_requests[-1].response["id"]  # the card Teams shows and taps on
    [attachment] = reply["attachments"]
    card = attachment["content"]
    assert attachment["contentType"] == "application/vnd.microsoft.card.adaptive"
    assert card["version"] == "1.5"
    titles = {a["title"] for a in card["actions"]}
    assert titles == {"IT-pajan etäryhmä, torstai", "Etäkahvila"}
    chosen = next(a for a in card["actions"] if a["title"] == "Etäkahvila")
    status, body = await org_bot.post(
        invoke_execute(
            chosen["verb"],
            chosen["data"],
            conversation=conv,
            sender=MAIJA,
            service_url=connector.url,
            reply_to_id=card_id,
        )
    )
    assert status == 200
    assert body["statusCode"] == 200
    assert body["type"] == "application/vnd.microsoft.card.adaptive"
    assert "actions" not in body["value"]
    assert text(Language.FI, "bind.card.done", group="Etäkahvila") in str(body["value"])
    bound = await org_bot.store.conversations.bound_to(await group_id(org_bot, "etakahvila"))
    assert bound is not None
    assert bound.conversation_id == conv.id


async def test_submit_fallback_binds_and_updates_the_card(
    org_bot: BotServer, connector: FakeConnector
) -> None:
    conv = Conv.group_chat()
    await say(org_bot, connector, conv, MAIJA, "this is group", locale="en-US")
    card_id = connector.sent_requests[-1].response["id"]  # the card the submit comes from
    status, _ = await org_bot.post(
        card_submit(
            {"verb": BIND_VERB, "group": "it-torstai"},
            conversation=conv,
            sender=MAIJA,
            service_url=connector.url,
            reply_to_id=card_id,
        )
    )
    assert status == 201
    await connector.wait_for(lambda r: r.method == "PUT")
    [update] = connector.updates
    assert update["attachments"][0]["content"]["body"]
    bound = await org_bot.store.conversations.bound_to(await group_id(org_bot, "it-torstai"))
    assert bound is not None
    assert bound.conversation_id == conv.id


async def test_naming_the_group_binds_directly_and_moving_is_announced(
    org_bot: BotServer, connector: FakeConnector
) -> None:
    first, second = Conv.group_chat(), Conv.channel()
    reply = await say(org_bot, connector, first, MAIJA, "Tämä on ryhmä etäkahvila")
    assert reply["text"] == text(Language.FI, "bind.done", group="Etäkahvila")
    again = await say(org_bot, connector, first, MAIJA, "tämä on ryhmä Etäkahvila")
    assert again["text"] == text(Language.FI, "bind.already", group="Etäkahvila")
    moved = await say(org_bot, connector, second, MAIJA, "tämä on ryhmä etakahvila")
    assert moved["text"] == text(Language.FI, "bind.moved", group="Etäkahvila")
    bound = await org_bot.store.conversations.bound_to(await group_id(org_bot, "etakahvila"))
    assert bound is not None
    assert bound.conversation_id == second.id


async def test_client_cannot_bind_by_text_or_by_forged_taps(
    org_bot: BotServer, connector: FakeConnector
) -> None:
    conv = Conv.meeting_chat()
    reply = await say(org_bot, connector, conv, JARI, "tämä on ryhmä it-torstai")
    assert reply["text"] == text(Language.FI, "bind.not_instructor")
    status, body = await org_bot.post(
        invoke_execute(
            BIND_VERB,
            {"verb": BIND_VERB, "group": "it-torstai"},
            conversation=conv,
            sender=JARI,
            service_url=connector.url,
        )
    )
    assert status == 200
    assert body["type"] == "application/vnd.microsoft.activity.message"
    assert body["value"] == text(Language.FI, "bind.not_instructor")
    await org_bot.post(
        card_submit(
            {"verb": BIND_VERB, "group": "it-torstai"},
            conversation=conv,
            sender=JARI,
            service_url=connector.url,
        )
    )
    assert await org_bot.store.conversations.bound_to(await group_id(org_bot, "it-torstai")) is None


async def test_instructor_cannot_bind_someone_elses_group(
    org_bot: BotServer, connector: FakeConnector
) -> None:
    conv = Conv.group_chat()
    known(connector, conv.id, JOHAN)
    status, body = await org_bot.post(
        invoke_execute(
            BIND_VERB,
            {"group": "it-torstai"},
            conversation=conv,
            sender=JOHAN,
            service_url=connector.url,
            locale="sv-FI",
        )
    )
    assert status == 200
    assert body["value"] == text(Language.SV, "bind.not_instructor")
    assert await org_bot.store.conversations.bound_to(await group_id(org_bot, "it-torstai")) is None


async def test_binding_a_personal_chat_is_refused(
    org_bot: BotServer, connector: FakeConnector
) -> None:
    reply = await say(org_bot, connector, Conv.personal(), MAIJA, "tämä on ryhmä")
    assert reply["text"] == text(Language.FI, "bind.personal_chat")


async def test_malformed_card_payloads_get_a_polite_answer(
    org_bot: BotServer, connector: FakeConnector
) -> None:
    conv = Conv.group_chat()
    known(connector, conv.id, MAIJA)
    for value in ({"verb": "nonsense.verb"}, {"verb": 7}, {"verb": BIND_VERB, "group": {"x": 1}}):
        status, body = await org_bot.post(
            invoke_execute("x", {}, conversation=conv, sender=MAIJA, service_url=connector.url)
            | {
                "value": {
                    "action": {"type": "Action.Execute", "verb": value.get("verb"), "data": value}
                }
            }
        )
        assert status == 200
        assert body["value"] == text(Language.FI, "card.stale")


async def test_groups_listing_shows_binding(org_bot: BotServer, connector: FakeConnector) -> None:
    conv = Conv.group_chat()
    await say(org_bot, connector, conv, MAIJA, "tämä on ryhmä etäkahvila")
    reply = await say(org_bot, connector, Conv.personal(), MAIJA, "ryhmät")
    assert (
        text(
            Language.FI,
            "groups.line.bound",
            group="Etäkahvila",
            unit="Sosiaalisen kuntoutuksen tiimi",
        )
        in reply["text"]
    )
    assert (
        text(
            Language.FI,
            "groups.line.unbound",
            group="IT-pajan etäryhmä, torstai",
            unit="Uusix Kyläsaari, IT-paja",
        )
        in reply["text"]
    )
    client = await say(org_bot, connector, Conv.personal(), JARI, "ryhmät")
    assert client["text"].startswith(text(Language.FI, "help.intro"))
