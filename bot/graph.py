"""Microsoft Graph with msgraph-sdk: attendance reports and installing the app for a person.

`build_graph` gives the service its `domain.graph.Graph` when GRAPH_ENABLED is set, else None.
This is the only module that imports msgraph-sdk, azure-identity and kiota (an import-linter
contract in pyproject.toml); it imports them only when Graph is configured, so a service
without Graph neither pays for nor loads them.

Calls are app-only (client credentials, scope ``https://graph.microsoft.com/.default``); the
permissions and the organizer's application access policy are in docs/deploy.md.

Retries are done here, not by the SDK: kiota's RetryHandler retries only 429, 503 and 504,
adds a 3 s base delay to every backoff and waits whatever Retry-After says (up to 180 s per
try, three tries), so one call could wait nine minutes. Here a call makes at most `ATTEMPTS`
tries within `BUDGET_SECONDS` in all: 429 and 5xx (and a dropped connection) are tried again
after Retry-After or a short backoff, unless that wait would go past the budget; 403 and 404
answer at once. Whatever is left over is a `GraphUnavailable` with its reason. Nothing here
logs tokens, names or addresses: only the call's name, the status and the problem.
"""

from __future__ import annotations

import asyncio
import logging
import random
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import TYPE_CHECKING, Any, TypeVar
from urllib.parse import urlsplit

from bot.settings import Settings
from domain.graph import (
    AttendeeRecord,
    Graph,
    GraphProblem,
    GraphUnavailable,
    InstalledChat,
    Interval,
    MeetingRef,
    ReportSummary,
)

if TYPE_CHECKING:
    from msgraph.graph_service_client import GraphServiceClient

log = logging.getLogger(__name__)

T = TypeVar("T")

SCOPE = "https://graph.microsoft.com/.default"  # Graph's global service and local fakes
ATTEMPTS = 3  # tries per call, the first included
BUDGET_SECONDS = 60.0  # for one call: every try and every wait between them
CONNECT_SECONDS = 10.0
READ_SECONDS = 30.0
RETRIED = frozenset({429, 500, 502, 503, 504})


def build_graph(
    settings: Settings,
    credential: Any | None = None,
    *,
    attempts: int = ATTEMPTS,
    budget_seconds: float = BUDGET_SECONDS,
) -> Graph | None:
    """The Graph client when Graph is configured (GRAPH_ENABLED), else None.

    ``credential`` is an async azure-core token credential; by default a client-secret one
    for the configured tenant and app. Tests pass their own: azure-identity asks only an
    https authority for tokens, so a local fake Graph cannot issue them. ``attempts`` and
    ``budget_seconds`` are the retry limits of one call (module docstring).
    """
    if not settings.graph_enabled:
        return None
    # httpx logs every request's URL at INFO, and Graph URLs carry user names (UPNs)
    httpx_log = logging.getLogger("httpx")
    httpx_log.setLevel(max(httpx_log.getEffectiveLevel(), logging.WARNING))
    import httpx
    from kiota_authentication_azure.azure_identity_authentication_provider import (
        AzureIdentityAuthenticationProvider,
    )
    from kiota_http.middleware.options import RetryHandlerOption, UrlReplaceHandlerOption
    from msgraph._version import VERSION as SDK_VERSION
    from msgraph.graph_request_adapter import GraphRequestAdapter
    from msgraph.graph_service_client import GraphServiceClient
    from msgraph_core import APIVersion, GraphClientFactory
    from msgraph_core.middleware.options import GraphTelemetryHandlerOption

    own_credential = credential is None
    if credential is None:
        from azure.identity.aio import ClientSecretCredential

        credential = ClientSecretCredential(
            settings.graph_tenant_id, settings.graph_client_id, settings.graph_client_secret
        )
    http = httpx.AsyncClient(
        timeout=httpx.Timeout(READ_SECONDS, connect=CONNECT_SECONDS),
        base_url=settings.graph_base_url,
    )
    options = {
        # the SDK's own retries are off: `MsGraph` retries within its limits (module docstring)
        RetryHandlerOption.get_key(): RetryHandlerOption(max_retries=0, should_retry=False),
        UrlReplaceHandlerOption.get_key(): UrlReplaceHandlerOption(
            enabled=True, replacement_pairs={"/users/me-token-to-replace": "/me"}
        ),
        GraphTelemetryHandlerOption.get_key(): GraphTelemetryHandlerOption(
            api_version=APIVersion.v1, sdk_version=SDK_VERSION
        ),
    }
    client = GraphClientFactory.create_with_default_middleware(client=http, options=options)
    adapter = GraphRequestAdapter(
        AzureIdentityAuthenticationProvider(credential, scopes=[scope_of(settings.graph_base_url)]),
        client=client,
    )
    adapter.base_url = settings.graph_base_url.rstrip("/")
    return MsGraph(
        GraphServiceClient(request_adapter=adapter),
        http,
        base_url=settings.graph_base_url.rstrip("/"),
        catalog_app_id=settings.teams_app_catalog_id,
        credential=credential if own_credential else None,
        attempts=attempts,
        budget_seconds=budget_seconds,
    )


def scope_of(base_url: str) -> str:
    """The token scope for a Graph address: ``https://<host>/.default`` (a national cloud has
    its own host); Graph's global scope for a loopback address (tests)."""
    parts = urlsplit(base_url)
    if parts.scheme != "https" or not parts.hostname:
        return SCOPE
    return f"https://{parts.hostname}/.default"


class MsGraph:
    """`domain.graph.Graph` over msgraph-sdk's GraphServiceClient."""

    def __init__(
        self,
        client: GraphServiceClient,
        http: Any,
        *,
        base_url: str,
        catalog_app_id: str,
        credential: Any | None = None,
        attempts: int = ATTEMPTS,
        budget_seconds: float = BUDGET_SECONDS,
    ) -> None:
        """Wrap a client; ``http`` (its httpx client) and ``credential`` are closed by `close`."""
        self._client = client
        self._http = http
        self._base_url = base_url
        self._catalog_app_id = catalog_app_id
        self._credential = credential
        self._attempts = max(1, attempts)
        self._budget = budget_seconds
        self._closed = False

    @property
    def closed(self) -> bool:
        """True after `close`."""
        return self._closed

    # ----------------------------------------------------------------- meetings

    async def meeting_by_join_url(self, organizer_id: str, join_url: str) -> MeetingRef | None:
        """The organizer's online meeting with this join URL; None if there is none."""
        from kiota_abstractions.base_request_configuration import RequestConfiguration
        from msgraph.generated.users.item.online_meetings.online_meetings_request_builder import (
            OnlineMeetingsRequestBuilder,
        )

        quoted = join_url.replace("'", "''")  # OData string literal
        config = RequestConfiguration(
            query_parameters=OnlineMeetingsRequestBuilder.OnlineMeetingsRequestBuilderGetQueryParameters(
                filter=f"JoinWebUrl eq '{quoted}'"
            )
        )
        builder = self._client.users.by_user_id(organizer_id).online_meetings
        page = await self._call("meeting by join url", lambda: builder.get(config))
        for meeting in getattr(page, "value", None) or []:
            if meeting.id:
                return MeetingRef(organizer_id=organizer_id, graph_id=meeting.id)
        return None

    async def meeting_of_chat(self, chat_id: str) -> MeetingRef | None:
        """The meeting behind a meeting chat; None when the chat is not a meeting's."""
        chat = await self._call("chat", lambda: self._client.chats.by_chat_id(chat_id).get())
        info = getattr(chat, "online_meeting_info", None)
        join_url = getattr(info, "join_web_url", None)
        organizer = getattr(getattr(info, "organizer", None), "id", None)
        if not join_url or not organizer:
            return None
        return await self.meeting_by_join_url(organizer, join_url)

    # ----------------------------------------------------------------- attendance

    def _meeting(self, meeting: MeetingRef) -> Any:
        return self._client.users.by_user_id(
            meeting.organizer_id
        ).online_meetings.by_online_meeting_id(meeting.graph_id)

    async def reports(self, meeting: MeetingRef) -> list[ReportSummary]:
        """The meeting's attendance reports, every page (Graph lists the 50 newest)."""
        builder = self._meeting(meeting).attendance_reports
        found: list[ReportSummary] = []
        page = await self._call("attendance reports", builder.get)
        seen: set[str] = set()
        while True:
            for report in getattr(page, "value", None) or []:
                if not report.id:
                    raise GraphUnavailable(GraphProblem.INVALID, 200, "a report without an id")
                found.append(
                    ReportSummary(
                        report_id=report.id,
                        started=_aware(report.meeting_start_date_time),
                        ended=_aware(report.meeting_end_date_time),
                        participants=report.total_participant_count,
                    )
                )
            link = getattr(page, "odata_next_link", None)
            if not link or link in seen:
                return found
            seen.add(link)
            page = await self._call("attendance reports", builder.with_url(link).get)

    async def records(self, meeting: MeetingRef, report_id: str) -> list[AttendeeRecord]:
        """Every record of one report, following @odata.nextLink to the end."""
        builder = (
            self._meeting(meeting)
            .attendance_reports.by_meeting_attendance_report_id(report_id)
            .attendance_records
        )
        found: list[AttendeeRecord] = []
        page = await self._call("attendance records", builder.get)
        seen: set[str] = set()
        while True:
            found.extend(_record(row) for row in getattr(page, "value", None) or [])
            link = getattr(page, "odata_next_link", None)
            if not link or link in seen:
                return found
            seen.add(link)
            page = await self._call("attendance records", builder.with_url(link).get)

    # ----------------------------------------------------------------- installation

    async def install_app(self, user: str) -> InstalledChat:
        """Install the app for the user (or find it installed) and return the 1:1 chat."""
        from kiota_abstractions.base_request_configuration import RequestConfiguration
        from msgraph.generated.models.user_scope_teams_app_installation import (
            UserScopeTeamsAppInstallation,
        )
        from msgraph.generated.users.item.teamwork.installed_apps import (
            installed_apps_request_builder as installed_apps,
        )

        if not self._catalog_app_id:
            raise GraphUnavailable(GraphProblem.NOT_FOUND, None, "TEAMS_APP_CATALOG_ID is not set")
        apps = self._client.users.by_user_id(user).teamwork.installed_apps
        body = UserScopeTeamsAppInstallation(
            additional_data={
                "teamsApp@odata.bind": (
                    f"{self._base_url}/appCatalogs/teamsApps/{self._catalog_app_id}"
                )
            }
        )
        # 409 Conflict: installed already, which is fine
        await self._call("install app", lambda: apps.post(body), tolerate=409)
        quoted = self._catalog_app_id.replace("'", "''")
        config = RequestConfiguration(
            query_parameters=installed_apps.InstalledAppsRequestBuilder.InstalledAppsRequestBuilderGetQueryParameters(
                expand=["teamsApp"], filter=f"teamsApp/id eq '{quoted}'"
            )
        )
        page = await self._call("installed apps", lambda: apps.get(config))
        installation = next((row.id for row in getattr(page, "value", None) or [] if row.id), None)
        if installation is None:
            raise GraphUnavailable(GraphProblem.NOT_FOUND, None, "the installation was not found")
        chat = await self._call(
            "installed app chat",
            apps.by_user_scope_teams_app_installation_id(installation).chat.get,
        )
        chat_id = getattr(chat, "id", None)
        if not chat_id:
            raise GraphUnavailable(GraphProblem.INVALID, 200, "the chat has no id")
        return InstalledChat(chat_id=chat_id)

    # ----------------------------------------------------------------- lifecycle

    async def close(self) -> None:
        """Close the HTTP client and the credential this client made (idempotent)."""
        if self._closed:
            return
        self._closed = True
        await self._http.aclose()
        if self._credential is not None:
            await self._credential.close()

    # ----------------------------------------------------------------- calls

    async def _call(
        self, what: str, call: Callable[[], Awaitable[T]], *, tolerate: int | None = None
    ) -> T | None:
        """One Graph call with the retries allowed; GraphUnavailable when it gives nothing.

        An answer with the status ``tolerate`` is not a failure: the call gives None.
        """
        started = time.monotonic()
        attempt = 0
        while True:
            attempt += 1
            left = self._budget - (time.monotonic() - started)
            try:
                async with asyncio.timeout(max(left, 0.001)):
                    return await call()
            except Exception as exc:  # every failure becomes a GraphUnavailable
                failure, wait = _failure(exc, attempt)
            if tolerate is not None and failure.status == tolerate:
                return None
            if wait is None or attempt >= self._attempts:
                log.warning("graph: %s failed: %s (%s)", what, failure.problem, failure.status)
                raise failure from None
            left = self._budget - (time.monotonic() - started)
            if wait >= left:
                log.warning(
                    "graph: %s failed: %s (%s), waiting %.0f s would pass the limit",
                    what,
                    failure.problem,
                    failure.status,
                    wait,
                )
                raise failure from None
            log.info("graph: %s answered %s, trying again in %.1f s", what, failure.status, wait)
            await asyncio.sleep(wait)


def _failure(exc: Exception, attempt: int) -> tuple[GraphUnavailable, float | None]:
    """The GraphUnavailable for an exception, and the wait before another try (None: none)."""
    import httpx
    from kiota_abstractions.api_error import APIError

    if isinstance(exc, GraphUnavailable):
        return exc, None
    if isinstance(exc, APIError):
        status = exc.response_status_code
        detail = _error_detail(exc)
        if status in RETRIED:
            problem = GraphProblem.THROTTLED if status == 429 else GraphProblem.SERVER
            after = _retry_after(exc.response_headers)
            wait = after if after is not None else _backoff(attempt)
            return GraphUnavailable(problem, status, detail), wait
        if status in (401, 403):
            return GraphUnavailable(GraphProblem.FORBIDDEN, status, detail), None
        if status == 404:
            return GraphUnavailable(GraphProblem.NOT_FOUND, status, detail), None
        return GraphUnavailable(GraphProblem.INVALID, status, detail), None
    if isinstance(exc, TimeoutError | httpx.TimeoutException):
        return GraphUnavailable(GraphProblem.NETWORK, None, "timed out"), None
    if isinstance(exc, httpx.TransportError):
        return GraphUnavailable(GraphProblem.NETWORK, None, type(exc).__name__), _backoff(attempt)
    if _is_credential_error(exc):
        return GraphUnavailable(GraphProblem.NETWORK, None, "no token"), None
    return GraphUnavailable(GraphProblem.INVALID, None, type(exc).__name__), None


def _is_credential_error(exc: Exception) -> bool:
    from azure.core.exceptions import AzureError
    from kiota_authentication_azure._exceptions import HTTPError as AuthenticationError

    return isinstance(exc, AzureError | AuthenticationError)


def _error_detail(exc: Any) -> str:
    """Graph's error code and message (no names: object ids at most), shortened."""
    error = getattr(exc, "error", None)
    code = getattr(error, "code", None) or ""
    message = getattr(error, "message", None) or ""
    return f"{code}: {message}".strip(": ")[:300]


def _retry_after(headers: Any) -> float | None:
    """Seconds from a Retry-After header (seconds or an HTTP date); None without one."""
    if not headers:
        return None
    # kiota passes httpx's case-insensitive Headers
    value = headers.get("Retry-After") or headers.get("retry-after")
    if value is None:
        return None
    text = str(value).strip()
    try:
        return max(0.0, float(text))
    except ValueError:
        pass
    try:
        moment = parsedate_to_datetime(text)
    except (TypeError, ValueError):
        return None
    return max(0.0, (moment - datetime.now(moment.tzinfo or UTC)).total_seconds())


def _backoff(attempt: int) -> float:
    """1 s, 2 s, 4 s … with up to half a second of jitter."""
    return float(2 ** (attempt - 1)) + random.uniform(0, 0.5)


def _aware(moment: datetime | None) -> datetime | None:
    if moment is None:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _record(row: Any) -> AttendeeRecord:
    identity = getattr(row, "identity", None)
    intervals = tuple(
        Interval(
            joined=_aware(span.join_date_time),
            left=_aware(span.leave_date_time),
            seconds=int(span.duration_in_seconds or 0),
        )
        for span in getattr(row, "attendance_intervals", None) or []
    )
    return AttendeeRecord(
        aad_object_id=getattr(identity, "id", None) or None,
        email=getattr(row, "email_address", None) or None,
        display_name=getattr(identity, "display_name", None) or None,
        role=getattr(row, "role", None) or None,
        total_seconds=int(getattr(row, "total_attendance_in_seconds", None) or 0),
        intervals=intervals,
    )
