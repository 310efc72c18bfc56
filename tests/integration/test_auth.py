"""With MicrosoftAppId set, every request needs a valid Bot Framework token (no network)."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator, Iterator

import pytest

from bot.settings import Settings
from tests.fakes.activities import BOT_APP_ID, Conv, User, clone, invoke_execute, message
from tests.fakes.connector import FakeConnector
from tests.fakes.tokens import FakeIdentityProvider, StaticTokenCredentialsFactory
from tests.integration.harness import BotServer, free_port, row_counts, start_bot, stop_bot

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


def bad_authorizations(idp: FakeIdentityProvider, url: str) -> dict[str, str | None]:
    """Every way an Authorization header can be wrong, with a label (None: no header)."""
    now = int(time.time())
    valid = idp.issue(BOT_APP_ID, url)
    return {
        "no header": None,
        "empty header": "",
        "scheme only": "Bearer",
        "scheme and a space": "Bearer ",
        "another scheme": "Basic dXNlcjpwYXNzd29yZA==",
        "no scheme": valid,
        "two spaces": f"Bearer  {valid}",
        "a word after the token": f"Bearer {valid} more",
        "garbage token": "Bearer not-a-jwt",
        "three garbage parts": "Bearer e30.e30.e30",
        "forged (signed by another key)": f"Bearer {idp.forged(BOT_APP_ID, url)}",
        "expired beyond the tolerance": f"Bearer {idp.expired(BOT_APP_ID, url)}",
        "no exp": f"Bearer {idp.issue(BOT_APP_ID, url, omit=('exp',))}",
        "nbf beyond the tolerance": f"Bearer {idp.issue(BOT_APP_ID, url, not_before=now + 600)}",
        "other audience": f"Bearer {idp.issue('another-app', url)}",
        "no audience": f"Bearer {idp.issue(BOT_APP_ID, url, omit=('aud',))}",
        "other issuer": f"Bearer {idp.issue(BOT_APP_ID, url, issuer='https://evil.example')}",
        "unknown kid": f"Bearer {idp.issue(BOT_APP_ID, url, kid='no-such-key')}",
        "alg none": f"Bearer {idp.unsigned(BOT_APP_ID, url)}",
        "HS256 keyed with the public key": f"Bearer {idp.hmac_with_public_key(BOT_APP_ID, url)}",
        "other serviceurl claim": f"Bearer {idp.issue(BOT_APP_ID, 'http://127.0.0.1:1/')}",
        "no serviceurl claim": f"Bearer {idp.issue(BOT_APP_ID, url, omit=('serviceurl',))}",
        "key not endorsed for msteams": f"Bearer {idp.other_channel(BOT_APP_ID, url)}",
    }


async def test_bad_tokens_are_401_and_change_nothing(
    secured_bot: BotServer,
    idp: FakeIdentityProvider,
    secured_connector: FakeConnector,
    database_url: str,
) -> None:
    user = User(name="Tuntematon")
    url = secured_connector.url
    conversation = Conv.group_chat()
    activities = {
        "message": message("apua", conversation=conversation, sender=user, service_url=url),
        "card tap": invoke_execute(
            "rollcall.here",
            {"rollcall": "1"},
            conversation=conversation,
            sender=user,
            service_url=url,
        ),
    }
    bad = bad_authorizations(idp, url)  # before the first request: the key set is cached
    before = await row_counts(database_url)
    for label, authorization in bad.items():
        for kind, activity in activities.items():
            status, body = await secured_bot.post(activity, authorization=authorization)
            assert (status, body) == (401, {"error": "unauthorized"}), (label, kind)
    # a valid token does not lend its endorsement to an activity that names no channel
    token = idp.other_channel(BOT_APP_ID, url)
    for kind, activity in activities.items():
        for channel in (None, "", " "):
            status, body = await secured_bot.post(clone(activity, channelId=channel), token=token)
            assert (status, body) == (401, {"error": "unauthorized"}), (kind, channel)
    assert await row_counts(database_url) == before
    assert secured_connector.requests == []


async def test_clock_skew_up_to_five_minutes_is_tolerated(
    secured_bot: BotServer, idp: FakeIdentityProvider, secured_connector: FakeConnector
) -> None:
    url = secured_connector.url
    now = int(time.time())
    tokens = [
        idp.issue(BOT_APP_ID, url, not_before=now + 240),
        idp.issue(BOT_APP_ID, url, expires_in=-240, not_before=now - 3600),
    ]
    for token in tokens:
        activity = message("help", conversation=Conv.personal(), sender=User(), service_url=url)
        status, body = await secured_bot.post(activity, token=token)
        assert status == 201, body
    await secured_connector.wait_for_count(2)


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
