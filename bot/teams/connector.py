"""The Bot Connector REST API over one aiohttp session: messages, card updates, 1:1 chats, rosters.

botbuilder 4.17's connector client (msrest over `requests`) is built anew for every turn and
every proactive send, runs each call in a worker thread, retries PUTs on its own (hiding 429s
from our limiter) and never retries a POST (teams-facts §1, §11). So the few routes the bot
uses are called here directly, with the bot's outbound token from botbuilder's own credentials
(MSAL), and every answer goes back to the caller as it came: Retry-After included.

    POST {serviceUrl}/v3/conversations/{conversationId}/activities[/{replyToId}]
    PUT  {serviceUrl}/v3/conversations/{conversationId}/activities/{activityId}
    POST {serviceUrl}/v3/conversations
    GET  {serviceUrl}/v3/conversations/{conversationId}/pagedmembers?pageSize=&continuationToken=
    GET  {serviceUrl}/v3/conversations/{conversationId}/members/{memberId}

Path and query values are quoted the way botframework-connector quotes them (msrest
`Serializer.url`: `urllib.parse.quote(value, safe="")`) and sent exactly so.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections.abc import Mapping
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any
from urllib.parse import quote

import aiohttp
from botbuilder.integration.aiohttp import ConfigurationServiceClientCredentialFactory
from botframework.connector.auth import ServiceClientCredentialsFactory
from yarl import URL

from bot.settings import Settings
from bot.teams.adapter import BOT_FRAMEWORK_LOGIN_URL, BOT_FRAMEWORK_SCOPE, bot_framework_config
from domain.outbox import SendFailed

log = logging.getLogger(__name__)

CONNECT_TIMEOUT_SECONDS = 3.0
REQUEST_TIMEOUT_SECONDS = 30.0
# MSAL caches the token itself; ours saves a thread hop per request and is renewed well before
# a Bot Framework token (about an hour) runs out
TOKEN_REUSE_SECONDS = 600.0


def quote_segment(value: str) -> str:
    """A path or query value as msrest quotes it: quote(str(value), safe="")."""
    return quote(value, safe="")


def api_url(service_url: str, *segments: str) -> str:
    """{serviceUrl}/seg/… joined as msrest's format_url joins them (serviceUrl's path kept)."""
    route = "/".join(quote_segment(s) for s in segments)
    return f"{service_url.rstrip('/')}/{route}"


def retry_after_seconds(value: str | None, now: datetime | None = None) -> float | None:
    """Seconds from a Retry-After header (delta-seconds or an HTTP date); None if absent."""
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - (now or datetime.now(UTC))).total_seconds())


def json_or_none(text: str) -> Any:
    """The JSON in text, or None when it is empty or not JSON."""
    if not text.strip():
        return None
    try:
        return json.loads(text)
    except ValueError:
        return None


def get_key(data: Mapping[str, Any], name: str) -> Any:
    """data[name], matching keys case-insensitively and ignoring stray spaces.

    The Bot Connector reads JSON case-insensitively (some of Microsoft's own samples answer
    "RecipientsFailureInfo"), and the participant doc shows a key "role " with a space.
    """
    if name in data:
        return data[name]
    wanted = name.lower()
    for key, value in data.items():
        if isinstance(key, str) and key.strip().lower() == wanted:
            return value
    return None


def error_code(body: Any) -> str:
    """error.code of a Bot Framework error answer ("" when absent)."""
    error = get_key(body, "error") if isinstance(body, Mapping) else None
    code = get_key(error, "code") if isinstance(error, Mapping) else None
    return str(code)[:60] if code else ""


class TokenSource:
    """The bot's outbound token (none in local mode), from botbuilder's credentials factory."""

    def __init__(
        self,
        settings: Settings,
        credentials_factory: ServiceClientCredentialsFactory | None = None,
        *,
        reuse_seconds: float = TOKEN_REUSE_SECONDS,
    ) -> None:
        self._app_id = settings.app_id
        self._settings = settings
        self._factory: ServiceClientCredentialsFactory | None = credentials_factory
        self._credentials: Any = None
        self._lock = asyncio.Lock()
        self._reuse = reuse_seconds
        self._token: str | None = None
        self._until = 0.0

    async def headers(self) -> dict[str, str]:
        """The Authorization header; the token fetch (blocking MSAL) runs in a thread."""
        if not self._app_id:
            return {}
        if self._token is not None and time.monotonic() < self._until:
            return {"Authorization": f"Bearer {self._token}"}
        async with self._lock:
            if self._token is None or time.monotonic() >= self._until:
                if self._credentials is None:
                    factory = self._factory or ConfigurationServiceClientCredentialFactory(
                        bot_framework_config(self._settings), logger=log
                    )
                    self._factory = factory
                    self._credentials = await factory.create_credentials(
                        self._app_id, BOT_FRAMEWORK_SCOPE, BOT_FRAMEWORK_LOGIN_URL, True
                    )
                self._token = await asyncio.to_thread(self._credentials.get_access_token)
                self._until = time.monotonic() + self._reuse
        return {"Authorization": f"Bearer {self._token}"}

    def forget(self) -> None:
        """Teams refused the token (401): fetch a new one next time."""
        self._token = None


class BotConnector:
    """The Bot Connector routes the bot uses, on one aiohttp session that never blocks the loop."""

    def __init__(
        self,
        tokens: TokenSource,
        *,
        connect_timeout: float = CONNECT_TIMEOUT_SECONDS,
        timeout: float = REQUEST_TIMEOUT_SECONDS,
    ) -> None:
        self.tokens = tokens
        self._connect_timeout = connect_timeout
        self._timeout = timeout
        self._session: aiohttp.ClientSession | None = None

    def http(self) -> aiohttp.ClientSession:
        """The shared session (made on first use, on the running loop)."""
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession(
                timeout=aiohttp.ClientTimeout(
                    total=self._timeout, sock_connect=self._connect_timeout
                ),
                headers={"Accept": "application/json"},
                connector=aiohttp.TCPConnector(limit=256, ttl_dns_cache=300),
            )
        return self._session

    async def close(self) -> None:
        """Close the HTTP session (idempotent; a later call opens a new one)."""
        session, self._session = self._session, None
        if session is not None and not session.closed:
            await session.close()

    async def call(
        self, method: str, url: str, body: Any = None, *, within: float | None = None
    ) -> Any:
        """One request; the answer's JSON on 2xx, SendFailed (status, Retry-After) otherwise.

        within: seconds for the whole request (default: the session's timeout).
        """
        try:
            headers = await self.tokens.headers()
        except Exception as exc:  # the token could not be obtained
            log.warning("Bot Connector: no bot token: %s", type(exc).__name__)
            raise SendFailed(None, reason=f"token {type(exc).__name__}"[:60]) from exc
        kwargs: dict[str, Any] = {"headers": headers}
        if body is not None:
            kwargs["data"] = json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode()
            kwargs["headers"] = {**headers, "Content-Type": "application/json; charset=utf-8"}
        if within is not None:
            kwargs["timeout"] = aiohttp.ClientTimeout(
                total=within, sock_connect=min(within, self._connect_timeout)
            )
        try:
            async with self.http().request(method, URL(url, encoded=True), **kwargs) as response:
                text = await response.text()
                status = response.status
                retry_after = response.headers.get("Retry-After")
        except TimeoutError as exc:
            raise SendFailed(None, reason="TimeoutError") from exc
        except (aiohttp.ClientError, OSError) as exc:
            raise SendFailed(None, reason=type(exc).__name__) from exc
        answer = json_or_none(text)
        if 200 <= status < 300:
            return answer
        if status == 401:
            self.tokens.forget()
        raise SendFailed(status, retry_after_seconds(retry_after), error_code(answer))

    # ----------------------------------------------------------------- messages

    async def post_activity(
        self,
        service_url: str,
        conversation_id: str,
        activity: dict[str, Any],
        reply_to: str | None = None,
        *,
        within: float | None = None,
    ) -> str | None:
        """Post a message (as a reply to reply_to, as botbuilder answers in a turn); its id."""
        segments = ["v3", "conversations", conversation_id, "activities"]
        if reply_to:
            segments.append(reply_to)
        answer = await self.call("POST", api_url(service_url, *segments), activity, within=within)
        found = get_key(answer, "id") if isinstance(answer, Mapping) else None
        return found if isinstance(found, str) and found else None

    async def update_activity(
        self,
        service_url: str,
        conversation_id: str,
        activity_id: str,
        activity: dict[str, Any],
        *,
        within: float | None = None,
    ) -> str:
        """Replace the message activity_id (a card update); its id."""
        url = api_url(
            service_url, "v3", "conversations", conversation_id, "activities", activity_id
        )
        answer = await self.call("PUT", url, {**activity, "id": activity_id}, within=within)
        found = get_key(answer, "id") if isinstance(answer, Mapping) else None
        return found if isinstance(found, str) and found else activity_id

    async def create_conversation(
        self, service_url: str, parameters: dict[str, Any]
    ) -> dict[str, Any]:
        """Create a conversation (a 1:1 chat with a person); Teams' answer ({"id": …})."""
        answer = await self.call("POST", api_url(service_url, "v3", "conversations"), parameters)
        return dict(answer) if isinstance(answer, Mapping) else {}

    # ----------------------------------------------------------------- rosters

    async def paged_members(
        self, service_url: str, conversation_id: str, page_size: int, token: str | None
    ) -> dict[str, Any]:
        """One page of a conversation's members ({"members": […], "continuationToken": …})."""
        url = api_url(service_url, "v3", "conversations", conversation_id, "pagedmembers")
        query = f"?pageSize={page_size}"
        if token:
            query += f"&continuationToken={quote_segment(token)}"
        answer = await self.call("GET", url + query)
        return dict(answer) if isinstance(answer, Mapping) else {}

    async def member(
        self, service_url: str, conversation_id: str, member_id: str
    ) -> dict[str, Any] | None:
        """One member of a conversation, or None when Teams does not know them there (404)."""
        url = api_url(service_url, "v3", "conversations", conversation_id, "members", member_id)
        try:
            answer = await self.call("GET", url)
        except SendFailed as failed:
            if failed.status == 404:
                return None
            raise
        return dict(answer) if isinstance(answer, Mapping) else None
