"""A stock botbuilder bot: the baselines that bench/checkin.py measures our bot against.

Built exactly like Microsoft's Python samples (02.echo-bot's app.py, CloudAdapter version):
a `TeamsActivityHandler`, `CloudAdapter` with `ConfigurationBotFrameworkAuthentication`, served
by aiohttp on `/api/messages`. Nothing in the SDK is changed or patched, and nothing from this
project is imported, so the bot carries the whole per-request cost of stock botbuilder
(teams-facts.md §11.6). It does two things:

- **Echo** (`on_message_activity`): each message is echoed back. The reply is a real outbound
  HTTP call to the activity's serviceUrl (the benchmark's fake connector).
- **Card tap** (`on_adaptive_card_invoke`): an Adaptive Card `Action.Execute` (invoke
  `adaptiveCard/action`) is answered as Microsoft's Universal Actions documentation writes it,
  with an `AdaptiveCardInvokeResponse` (status 200, type
  `application/vnd.microsoft.card.adaptive`) carrying a card in the HTTP response, no outgoing
  call. The card is about the size and shape of a client's roll-call card: a title, the chat's
  name, "Kiitos, <name>! Olet paikalla.", the time, a count of the taps in that conversation,
  an `Action.Execute` button carrying the tapped action's data, and the text to speak; it is
  built for each request from the tapper's name.

One change is made in the bot class, not in the SDK: botbuilder 4.17 answers such an invoke with
HTTP 500 under `CloudAdapter`, because `ActivityHandler._create_invoke_response` serializes the
response to a dict and `CloudAdapter.process` serializes it again (teams-facts.md §11.2). The
class overrides `_create_invoke_response` to hand the model over unserialized, the bot-side fix
§11.2 prescribes; `CloudAdapter` then serializes it once.

With no MicrosoftAppId it runs unauthenticated (local mode), so it only listens on loopback:

    PORT=3979 .venv/bin/python bench/echo_bot.py
"""

from __future__ import annotations

import os
import sys
import traceback
from datetime import datetime
from http import HTTPStatus
from typing import Any
from zoneinfo import ZoneInfo

from aiohttp import web
from aiohttp.web import Request, Response
from botbuilder.core import InvokeResponse, MessageFactory, TurnContext
from botbuilder.core.integration import aiohttp_error_middleware
from botbuilder.core.teams import TeamsActivityHandler
from botbuilder.integration.aiohttp import CloudAdapter, ConfigurationBotFrameworkAuthentication
from botbuilder.schema import AdaptiveCardInvokeResponse, AdaptiveCardInvokeValue

HOST = "127.0.0.1"
ENV = os.environ
ZONE = ZoneInfo("Europe/Helsinki")
CARD_CONTENT_TYPE = "application/vnd.microsoft.card.adaptive"


class DefaultConfig:
    """Bot configuration, as in the samples' config.py."""

    PORT = int(ENV.get("PORT", "3978"))
    APP_ID = ENV.get("MicrosoftAppId", "")
    APP_PASSWORD = ENV.get("MicrosoftAppPassword", "")
    APP_TYPE = ENV.get("MicrosoftAppType", "MultiTenant")
    APP_TENANTID = ENV.get("MicrosoftAppTenantId", "")


def tapped_card(name: str, chat: str, at: datetime, count: int, action_data: Any) -> dict[str, Any]:
    """The card a tap is answered with: about the size and shape of a client's roll-call card."""
    data = action_data if isinstance(action_data, dict) else {}
    body: list[dict[str, Any]] = [
        {"type": "TextBlock", "text": "Nimenhuuto", "size": "Large", "weight": "Bolder"},
        {"type": "TextBlock", "text": chat, "isSubtle": True, "size": "Small"},
        {"type": "TextBlock", "text": f"Kiitos, {name}! Olet paikalla.", "wrap": True},
        {"type": "TextBlock", "text": f"Kirjattu klo {at:%H.%M}", "wrap": True},
        {"type": "TextBlock", "text": f"{count} paikalla", "weight": "Bolder"},
    ]
    return {
        "type": "AdaptiveCard",
        "$schema": "http://adaptivecards.io/schemas/adaptive-card.json",
        "version": "1.4",
        "body": body,
        "actions": [
            {
                "type": "Action.Execute",
                "title": "Olen paikalla",
                "verb": data.get("verb") or "here",
                "data": data,
                "style": "positive",
            }
        ],
        "speak": " ".join(block["text"] for block in body),
    }


class EchoBot(TeamsActivityHandler):  # type: ignore[misc]
    """Echoes every message back to the conversation; answers a card tap with a card."""

    def __init__(self) -> None:
        super().__init__()
        self.taps: dict[str, int] = {}  # taps per conversation, for the card's count line

    async def on_message_activity(self, turn_context: TurnContext) -> None:
        text = turn_context.activity.text
        await turn_context.send_activity(MessageFactory.text(f"echo: {text}"))

    async def on_adaptive_card_invoke(
        self, turn_context: TurnContext, invoke_value: AdaptiveCardInvokeValue
    ) -> AdaptiveCardInvokeResponse:
        activity = turn_context.activity
        conversation = activity.conversation.id
        self.taps[conversation] = self.taps.get(conversation, 0) + 1
        card = tapped_card(
            activity.from_property.name or "",
            activity.conversation.name or "Etäryhmä",
            datetime.now(ZONE),
            self.taps[conversation],
            invoke_value.action.get("data"),  # the SDK checked it is an Action.Execute
        )
        return AdaptiveCardInvokeResponse(status_code=200, type=CARD_CONTENT_TYPE, value=card)

    @staticmethod
    def _create_invoke_response(body: object = None) -> InvokeResponse:
        """The model as it is: CloudAdapter serializes it (the SDK's own serializing here
        leaves a dict that CloudAdapter cannot serialize again: HTTP 500, teams-facts §11.2)."""
        return InvokeResponse(status=int(HTTPStatus.OK), body=body)


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
