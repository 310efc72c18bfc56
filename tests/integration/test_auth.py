"""With MicrosoftAppId set, every request needs a valid Bot Framework token (no network)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator

import pytest

from bot.settings import Settings
from tests.fakes.activities import BOT_APP_ID, Conv, User, message
from tests.fakes.connector import FakeConnector
from tests.fakes.tokens import FakeIdentityProvider, StaticTokenCredentialsFactory
from tests.integration.harness import BotServer, free_port, start_bot, stop_bot

OUTBOUND_TOKEN = "outbound-test-token"


@pytest.fixture
def idp() -> Iterator[FakeIdentityProvider]:
    with FakeIdentityProvider() as provider:
        yield provider


@pytest.fixture
def secured_connector() -> Iterator[FakeConnector]:
    with FakeConnector(expect_token=OUTBOUND_TOKEN) as fc:
        yield fc


@pytest.fixture
async def secured_bot(database_url: str, idp: FakeIdentityProvider) -> AsyncIterator[BotServer]:
    settings = Settings(
        port=free_port(),
        database_url=database_url,
        app_id=BOT_APP_ID,
        app_password="not-used",
        openid_metadata_url=idp.metadata_url,
    )
    server = await start_bot(
        settings, credentials_factory=StaticTokenCredentialsFactory(BOT_APP_ID, OUTBOUND_TOKEN)
    )
    try:
        yield server
    finally:
        await stop_bot(server)


async def test_bad_tokens_are_401_and_change_nothing(
    secured_bot: BotServer, idp: FakeIdentityProvider, secured_connector: FakeConnector
) -> None:
    user = User(name="Tuntematon")
    url = secured_connector.url
    activity = message("apua", conversation=Conv.personal(), sender=user, service_url=url)
    bad = {
        "missing": None,
        "garbage": "not-a-jwt",
        "forged": idp.forged(BOT_APP_ID, url),
        "expired": idp.expired(BOT_APP_ID, url),
        "other audience": idp.issue("another-app", url),
        "other service url": idp.issue(BOT_APP_ID, "http://127.0.0.1:1/"),
        "other issuer": idp.issue(BOT_APP_ID, url, issuer="https://evil.example"),
    }
    for label, token in bad.items():
        status, body = await secured_bot.post(activity, token=token)
        assert status == 401, label
        assert body == {"error": "unauthorized"}
    assert await secured_bot.store.org.person_by_teams_id(user.teams_id) is None
    assert secured_connector.requests == []


async def test_valid_token_is_served_and_replies_carry_the_bot_token(
    secured_bot: BotServer, idp: FakeIdentityProvider, secured_connector: FakeConnector
) -> None:
    user = User(name="Tunnettu")
    url = secured_connector.url
    activity = message("help", conversation=Conv.personal(), sender=user, service_url=url)
    status, _ = await secured_bot.post(activity, token=idp.issue(BOT_APP_ID, url))
    assert status == 201
    [reply] = await secured_connector.wait_for_count(1)
    assert reply["text"].startswith("Näin voit käyttää Etäpäivää")
    assert secured_connector.requests[0].authorization == f"Bearer {OUTBOUND_TOKEN}"
    assert await secured_bot.store.org.person_by_teams_id(user.teams_id) is not None
