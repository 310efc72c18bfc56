"""Installing the bot in each scope: a welcome in the person's language, a stored reference."""

from __future__ import annotations

import pytest

from domain.i18n import text
from domain.model import ConversationKind
from domain.org import Language
from tests.fakes.activities import Conv, User, installation_update, members_added, members_removed
from tests.fakes.connector import FakeConnector
from tests.integration.conftest import MAIJA
from tests.integration.harness import BotServer

SCOPES = {
    "personal": (Conv.personal, ConversationKind.PERSONAL),
    "groupChat": (Conv.group_chat, ConversationKind.GROUP_CHAT),
    "channel": (Conv.channel, ConversationKind.CHANNEL),
    "meeting": (Conv.meeting_chat, ConversationKind.MEETING),
}


@pytest.mark.parametrize("scope", list(SCOPES))
async def test_install_welcomes_once_and_stores_the_reference(
    org_bot: BotServer, connector: FakeConnector, scope: str
) -> None:
    make, kind = SCOPES[scope]
    conv = make()
    # Teams sends installationUpdate and conversationUpdate (bot added) together
    first = installation_update(conversation=conv, sender=MAIJA, service_url=connector.url)
    second = members_added([], conversation=conv, sender=MAIJA, service_url=connector.url)
    for activity in (first, second):
        status, _ = await org_bot.post(activity)
        assert status == 201
    [welcome] = await connector.wait_for_count(1)
    expected_key = "welcome.group" if kind.is_group else "welcome.personal"
    assert welcome["text"].startswith(text(Language.FI, expected_key))
    stored = await org_bot.store.conversations.get(conv.id)
    assert stored is not None
    assert stored.kind is kind
    assert stored.service_url == connector.url
    assert stored.reference["conversation"]["id"] == conv.id
    assert stored.reference["serviceUrl"] == connector.url
    assert stored.tenant_id == conv.tenant_id
    assert stored.active
    if kind is ConversationKind.PERSONAL:
        person = await org_bot.store.org.person_by_aad(MAIJA.aad_object_id)
        assert person is not None
        assert stored.person_id == person.id
    else:
        assert stored.person_id is None
    if kind is ConversationKind.MEETING:
        assert stored.meeting_id == conv.meeting_id
    if kind is ConversationKind.CHANNEL:
        assert stored.team_id == conv.team_id
    assert len(connector.sent) == 1


async def test_group_welcome_asks_the_instructor_to_name_the_group(
    org_bot: BotServer, connector: FakeConnector
) -> None:
    conv = Conv.meeting_chat()
    await org_bot.post(
        installation_update(conversation=conv, sender=MAIJA, service_url=connector.url)
    )
    [welcome] = await connector.wait_for_count(1)
    assert text(Language.FI, "welcome.group.instructor_hint") in welcome["text"]


@pytest.mark.parametrize(
    ("locale", "language"), [("sv-FI", Language.SV), ("en-US", Language.EN), ("fi-FI", Language.FI)]
)
async def test_welcome_follows_the_teams_locale(
    org_bot: BotServer, connector: FakeConnector, locale: str, language: Language
) -> None:
    activity = installation_update(
        conversation=Conv.personal(),
        sender=User(name="Uusi"),
        service_url=connector.url,
        locale=locale,
    )
    await org_bot.post(activity)
    [welcome] = await connector.wait_for_count(1)
    assert welcome["text"] == text(language, "welcome.personal")


async def test_removal_marks_the_conversation_inactive(
    org_bot: BotServer, connector: FakeConnector
) -> None:
    conv = Conv.group_chat()
    await org_bot.post(
        members_added([], conversation=conv, sender=MAIJA, service_url=connector.url)
    )
    await org_bot.post(
        members_removed(
            [], bot_removed=True, conversation=conv, sender=MAIJA, service_url=connector.url
        )
    )
    stored = await org_bot.store.conversations.get(conv.id)
    assert stored is not None
    assert not stored.active
    await org_bot.post(
        installation_update(conversation=conv, sender=MAIJA, service_url=connector.url)
    )
    again = await org_bot.store.conversations.get(conv.id)
    assert again is not None
    assert again.active


async def test_group_welcome_is_in_the_groups_language_not_the_installers(
    org_bot: BotServer, connector: FakeConnector
) -> None:
    conv = Conv.group_chat()
    swedish_installer = User(name="Svensk Handledare")
    await org_bot.post(
        installation_update(
            conversation=conv, sender=swedish_installer, service_url=connector.url, locale="sv-SE"
        )
    )
    [welcome] = await connector.wait_for_count(1)
    assert welcome["text"].startswith(text(Language.FI, "welcome.group"))
