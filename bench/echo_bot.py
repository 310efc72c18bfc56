"""A stock botbuilder echo bot: the baseline that bench/checkin.py measures our bot against.

Built exactly like Microsoft's Python samples (02.echo-bot's app.py, CloudAdapter version):
a `TeamsActivityHandler` that echoes each message, `CloudAdapter` with
`ConfigurationBotFrameworkAuthentication`, served by aiohttp on `/api/messages`. Nothing in the
SDK is changed or patched, and nothing from this project is imported, so the bot carries the
whole per-request cost of stock botbuilder (teams-facts.md §11.6). The reply is a real outbound
HTTP call to the activity's serviceUrl (the benchmark's fake connector).

With no MicrosoftAppId it runs unauthenticated (local mode), so it only listens on loopback:

    PORT=3979 .venv/bin/python bench/echo_bot.py
"""

from __future__ import annotations

import os
import sys
import traceback

from aiohttp import web
from aiohttp.web import Request, Response
from botbuilder.core import MessageFactory, TurnContext
from botbuilder.core.integration import aiohttp_error_middleware
from botbuilder.core.teams import TeamsActivityHandler
from botbuilder.integration.aiohttp import CloudAdapter, ConfigurationBotFrameworkAuthentication

HOST = "127.0.0.1"
ENV = os.environ


class DefaultConfig:
    """Bot configuration, as in the samples' config.py."""

    PORT = int(ENV.get("PORT", "3978"))
    APP_ID = ENV.get("MicrosoftAppId", "")
    APP_PASSWORD = ENV.get("MicrosoftAppPassword", "")
    APP_TYPE = ENV.get("MicrosoftAppType", "MultiTenant")
    APP_TENANTID = ENV.get("MicrosoftAppTenantId", "")


class EchoBot(TeamsActivityHandler):  # type: ignore[misc]
    """Echoes every message back to the conversation."""

    async def on_message_activity(self, turn_context: TurnContext) -> None:
        text = turn_context.activity.text
        await turn_context.send_activity(MessageFactory.text(f"echo: {text}"))


CONFIG = DefaultConfig()
ADAPTER = CloudAdapter(ConfigurationBotFrameworkAuthentication(CONFIG))


async def on_error(context: TurnContext, error: Exception) -> None:
    """The samples' catch-all: log the error and tell the user."""
    print(f"\n [on_turn_error] unhandled error: {error}", file=sys.stderr)
    traceback.print_exc()
    await context.send_activity("The bot encountered an error or bug.")


ADAPTER.on_turn_error = on_error
BOT = EchoBot()


async def messages(req: Request) -> Response:
    """Main bot message handler."""
    response: Response = await ADAPTER.process(req, BOT)
    return response


APP = web.Application(middlewares=[aiohttp_error_middleware])
APP.router.add_post("/api/messages", messages)

if __name__ == "__main__":
    web.run_app(APP, host=HOST, port=CONFIG.PORT)
