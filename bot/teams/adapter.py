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


def bot_framework_config(settings: Settings) -> BotFrameworkConfig:
    """Translate our settings into botbuilder's configuration object."""
    return BotFrameworkConfig(
        APP_ID=settings.app_id,
        APP_PASSWORD=settings.app_password,
        APP_TYPE=settings.app_type,
        APP_TENANTID=settings.app_tenant_id,
        TO_BOT_FROM_CHANNEL_OPENID_METADATA_URL=settings.openid_metadata_url or None,
    )


def build_adapter(settings: Settings) -> CloudAdapter:
    """A CloudAdapter that authenticates every request when an app id is configured."""
    auth = ConfigurationBotFrameworkAuthentication(bot_framework_config(settings), logger=log)
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
