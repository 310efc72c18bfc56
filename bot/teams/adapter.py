"""The Bot Framework adapter, configured from our settings (the only botbuilder set-up)."""

from __future__ import annotations

import logging
from dataclasses import dataclass

from botbuilder.core import TurnContext
from botbuilder.integration.aiohttp import (
    CloudAdapter,
    ConfigurationBotFrameworkAuthentication,
)

from bot.settings import Settings

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class BotFrameworkConfig:
    """The attribute names botbuilder's ConfigurationBotFrameworkAuthentication reads."""

    APP_ID: str
    APP_PASSWORD: str
    APP_TYPE: str
    APP_TENANTID: str
    TO_BOT_FROM_CHANNEL_OPENID_METADATA_URL: str | None = None
    TO_BOT_FROM_CHANNEL_TOKEN_ISSUER: str | None = None
    TO_CHANNEL_FROM_BOT_OAUTH_SCOPE: str | None = None
    TO_CHANNEL_FROM_BOT_LOGIN_URL: str | None = None


BOT_FRAMEWORK_ISSUER = "https://api.botframework.com"
BOT_FRAMEWORK_SCOPE = "https://api.botframework.com"
BOT_FRAMEWORK_LOGIN_URL = "https://login.microsoftonline.com/botframework.com"


def bot_framework_config(settings: Settings) -> BotFrameworkConfig:
    """Translate our settings into botbuilder's configuration object."""
    if not settings.openid_metadata_url:
        return BotFrameworkConfig(
            APP_ID=settings.app_id,
            APP_PASSWORD=settings.app_password,
            APP_TYPE=settings.app_type,
            APP_TENANTID=settings.app_tenant_id,
        )
    # a custom metadata URL switches botbuilder to its parameterised path, which uses only the
    # values given: name the public cloud's issuer, scope and login URL too
    return BotFrameworkConfig(
        APP_ID=settings.app_id,
        APP_PASSWORD=settings.app_password,
        APP_TYPE=settings.app_type,
        APP_TENANTID=settings.app_tenant_id,
        TO_BOT_FROM_CHANNEL_OPENID_METADATA_URL=settings.openid_metadata_url,
        TO_BOT_FROM_CHANNEL_TOKEN_ISSUER=BOT_FRAMEWORK_ISSUER,
        TO_CHANNEL_FROM_BOT_OAUTH_SCOPE=BOT_FRAMEWORK_SCOPE,
        TO_CHANNEL_FROM_BOT_LOGIN_URL=BOT_FRAMEWORK_LOGIN_URL,
    )


def build_adapter(settings: Settings, credentials_factory: object | None = None) -> CloudAdapter:
    """A CloudAdapter that authenticates every request when an app id is configured.

    credentials_factory replaces how outbound tokens are obtained (tests use a static token).
    """
    auth = ConfigurationBotFrameworkAuthentication(
        bot_framework_config(settings), credentials_factory=credentials_factory, logger=log
    )
    adapter = CloudAdapter(auth)

    async def on_error(context: TurnContext, error: Exception) -> None:
        # reached only for errors outside our handler's own error path
        log.error(
            "unhandled error in turn %s: %s",
            getattr(context.activity, "type", "?"),
            type(error).__name__,
            exc_info=error,
        )

    adapter.on_turn_error = on_error
    return adapter
