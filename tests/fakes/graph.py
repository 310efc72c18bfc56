"""A fake Microsoft Graph on 127.0.0.1 for tests, answering with the documented shapes.

`FakeGraph` serves the v1.0 routes bot/graph.py calls (teams-facts §5, §8) from its own thread
and loop (`tests.fakes.connector.LoopbackServer`), checks the Bearer token on every request,
records every request (`requests`) and can inject faults. Point the service at it with
``GRAPH_BASE_URL=fake.url`` and pass ``fake.credential`` (a `StaticTokenCredential`) as the
Graph credential: azure-identity refuses a non-https authority, so tests do not get tokens
through it.

Routes (documented shapes):

- ``GET /users/{organizer}/onlineMeetings?$filter=JoinWebUrl eq '…'`` → ``{"value": [meeting]}``
  (no ``$filter``: 400, as Graph answers an app-only list without one);
- ``GET /chats/{id}`` → ``{"id", "chatType", "onlineMeetingInfo": {"joinWebUrl",
  "organizer": {"id", …}}}`` (``onlineMeetingInfo`` null for a chat that is not a meeting's);
- ``GET /users/{organizer}/onlineMeetings/{id}/attendanceReports`` → ``{"value": [{"id",
  "meetingStartDateTime", "meetingEndDateTime", "totalParticipantCount"}]}``: the 50 newest,
  newest first; a meeting without reports (running, or the report not ready) gives ``[]``;
- ``GET …/attendanceReports/{report}/attendanceRecords`` → ``{"value": [{"emailAddress",
  "identity": {"id", "displayName", "tenantId"}, "role", "totalAttendanceInSeconds",
  "attendanceIntervals": [{"joinDateTime", "leaveDateTime", "durationInSeconds"}]}],
  "@odata.nextLink": "…?$skiptoken=…"}`` in pages of ``page_size`` (default 50);
- ``POST /users/{user}/teamwork/installedApps`` with ``{"teamsApp@odata.bind":
  "…/appCatalogs/teamsApps/{id}"}`` → 201 (installed now), 409 Conflict (installed already),
  404 (no such app in the catalog);
- ``GET /users/{user}/teamwork/installedApps?$expand=teamsApp&$filter=teamsApp/id eq '{id}'``
  → ``{"value": [{"id", "teamsApp": {"id", "displayName", "distributionMethod"}}]}``;
- ``GET /users/{user}/teamwork/installedApps/{installation}/chat`` → ``{"id": "19:…"}``.

Errors use Graph's shape ``{"error": {"code", "message", "innerError": {…}}}``: 401 without the
expected Bearer token, 403 for an organizer without an application access policy (`forbid`),
404 for unknown meetings, reports, chats and installations, and whatever `fail_next` injects.

Helpers (the tests' API):

- ``add_meeting(organizer, graph_id, join_url, chat_id=None)``: an online meeting organised by
  ``organizer`` (object id); ``chat_id`` makes ``GET /chats/{chat_id}`` a meeting chat of it;
- ``add_chat(chat_id)``: a chat that is not a meeting's;
- ``add_report(graph_id, report_id, start, end, records)``: a session's attendance report;
  records are dicts in the documented shape, most easily made with `attendance_record`;
- ``attendance_record(aad_object_id, display_name, intervals, email=None, role="Attendee")``
  (module function): one record from ``[(joined, left), …]`` datetimes;
- ``forbid(organizer, message=…)``: every meeting call under that organizer answers 403 with
  the application-access-policy message (no policy granted to them);
- ``fail_next(path_part, status, retry_after=None, times=1, code=None, message=None)``: the
  next ``times`` requests whose path contains ``path_part`` answer ``status``; the path is
  matched with ``?`` and the decoded query, so ``"$skiptoken=50"`` picks the second records
  page (``times=None``: forever; ``retry_after`` seconds become a Retry-After header);
  `clear_faults` drops them;
- ``stall_next(path_part, seconds, times=1)``: answer matching requests only after a while;
- ``add_catalog_app(app_id)``: an app in the organisation's catalog, installable;
- ``add_user(object_id, upn)``: the same person by object id or UPN (any user id is accepted);
- ``install_for(user, app_id)``: the app installed for a user already (the next POST is 409);
- ``installed(user, app_id=None)``: the 1:1 chat id of the app installed for the user (by
  object id or UPN), None when it is not installed;
- ``requests`` (every `GraphRequest`, failed ones too), ``requests_to(path_part)``, ``reset``.

``page_size`` sets the records page size; ``token`` the Bearer token expected (and given by
``credential``).
"""

from __future__ import annotations

import asyncio
import itertools
import re
import threading
import time
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from urllib.parse import unquote

from aiohttp import web
from azure.core.credentials import AccessToken

from tests.fakes.connector import LoopbackServer, Served

JSON = dict[str, Any]

DEFAULT_TOKEN = "fake-graph-token"
DEFAULT_TENANT = "00000000-0000-0000-0000-0000000000aa"
REPORTS_LISTED = 50  # "List returns at most the 50 most recent reports"

# The 403 Graph gives when the organizer has no application access policy (teams-facts §8;
# the code and message as reported in microsoftgraph/msgraph-sdk-dotnet#2350).
POLICY_CODE = "General"
POLICY_MESSAGE = "No application access policy found for this app."

ERROR_CODES: dict[int, tuple[str, str]] = {
    400: ("BadRequest", "Invalid request."),
    401: ("InvalidAuthenticationToken", "Access token is empty."),
    403: ("Forbidden", "Forbidden."),
    404: ("NotFound", "The requested resource does not exist."),
    409: ("Conflict", "The app is already installed for this user."),
    429: ("TooManyRequests", "Too many requests."),
    500: ("InternalServerError", "An internal server error occurred."),
    502: ("BadGateway", "Bad gateway."),
    503: ("ServiceUnavailable", "The service is temporarily unavailable."),
    504: ("GatewayTimeout", "Gateway timeout."),
}


def graph_time(moment: datetime) -> str:
    """A Graph timestamp: UTC with seven fractional digits and Z, as attendance reports have."""
    utc = moment.astimezone(UTC)
    return f"{utc:%Y-%m-%dT%H:%M:%S}.{utc.microsecond:06d}0Z"


def error_body(status: int, code: str | None = None, message: str | None = None) -> JSON:
    """Graph's error JSON for a status."""
    default_code, default_message = ERROR_CODES.get(status, ("UnknownError", "Request failed."))
    return {
        "error": {
            "code": code or default_code,
            "message": message or default_message,
            "innerError": {
                "date": f"{datetime.now(UTC):%Y-%m-%dT%H:%M:%S}",
                "request-id": str(uuid.uuid4()),
                "client-request-id": str(uuid.uuid4()),
            },
        }
    }


def attendance_record(
    aad_object_id: str | None,
    display_name: str | None,
    intervals: Sequence[tuple[datetime, datetime]],
    *,
    email: str | None = None,
    role: str = "Attendee",
    tenant_id: str = DEFAULT_TENANT,
) -> JSON:
    """One attendanceRecord in the documented shape, from ``(joined, left)`` pairs."""
    spans = [
        {
            "joinDateTime": graph_time(joined),
            "leaveDateTime": graph_time(left),
            "durationInSeconds": int((left - joined).total_seconds()),
        }
        for joined, left in intervals
    ]
    return {
        "id": aad_object_id or str(uuid.uuid4()),
        "emailAddress": email,
        "identity": {
            "id": aad_object_id,
            "displayName": display_name,
            "tenantId": tenant_id if aad_object_id else None,
        },
        "role": role,
        "totalAttendanceInSeconds": sum(span["durationInSeconds"] for span in spans),
        "attendanceIntervals": spans,
    }


class StaticTokenCredential:
    """An async azure TokenCredential giving one fixed token; records the scopes asked."""

    def __init__(self, token: str = DEFAULT_TOKEN) -> None:
        self.token = token
        self.scopes: list[tuple[str, ...]] = []
        self.closed = False

    async def get_token(
        self,
        *scopes: str,
        claims: str | None = None,
        tenant_id: str | None = None,
        enable_cae: bool = False,
        **kwargs: Any,
    ) -> AccessToken:
        """The token, valid for an hour."""
        self.scopes.append(scopes)
        return AccessToken(self.token, int(time.time()) + 3600)

    async def close(self) -> None:
        """Nothing to release."""
        self.closed = True

    async def __aenter__(self) -> StaticTokenCredential:
        return self

    async def __aexit__(self, *args: object) -> None:
        await self.close()


@dataclass(frozen=True)
class GraphRequest:
    """One request made to the fake, with the answer it got."""

    method: str
    path: str  # decoded, e.g. /v1.0/users/u/onlineMeetings
    query: dict[str, str]  # decoded, e.g. {"$filter": "JoinWebUrl eq '…'"}
    headers: dict[str, str]
    json: Any
    status: int
    response: Any
    timestamp: float
    response_headers: dict[str, str] = field(default_factory=dict)

    @property
    def authorization(self) -> str | None:
        """The Authorization header, if any."""
        return self.headers.get("Authorization")


@dataclass
class _Fault:
    path_part: str
    status: int
    retry_after: float | None
    remaining: int | None  # None: forever
    code: str | None
    message: str | None


@dataclass
class _Stall:
    path_part: str
    seconds: float
    remaining: int | None  # None: forever


@dataclass
class _Meeting:
    organizer: str
    graph_id: str
    join_url: str
    chat_id: str | None
    reports: list[JSON] = field(default_factory=list)
    records: dict[str, list[JSON]] = field(default_factory=dict)


@dataclass
class _Reply:
    status: int
    body: Any = None
    headers: dict[str, str] = field(default_factory=dict)


_FILTER_JOIN_URL = re.compile(r"^JoinWebUrl eq '((?:[^']|'')*)'$")
_FILTER_APP_ID = re.compile(r"^teamsApp/id eq '((?:[^']|'')*)'$")
_BIND = re.compile(r"/appCatalogs/teamsApps/([^/?]+)$")


class FakeGraph(Served):
    """Microsoft Graph v1.0 on loopback: meetings, attendance reports, app installations."""

    def __init__(
        self,
        *,
        token: str = DEFAULT_TOKEN,
        page_size: int = 50,
        bot_app_id: str = "00000000-0000-0000-0000-0000000000b0",
    ) -> None:
        """Configure the fake; it starts serving in `start` / ``async with`` / ``with``."""
        if page_size < 1:
            raise ValueError("page_size must be positive")
        self.token = token
        self.page_size = page_size
        self.bot_app_id = bot_app_id
        self.credential = StaticTokenCredential(token)
        self._lock = threading.Lock()
        self._requests: list[GraphRequest] = []
        self._meetings: dict[str, _Meeting] = {}
        self._chats: dict[str, str | None] = {}  # chat id -> meeting graph id (None: no meeting)
        self._forbidden: dict[str, str] = {}
        self._faults: list[_Fault] = []
        self._stalls: list[_Stall] = []
        self._catalog: set[str] = set()
        self._aliases: dict[str, str] = {}  # upn (lower) -> object id
        self._installs: dict[tuple[str, str], tuple[str, str]] = {}  # (user, app) -> (inst, chat)
        self._ids = itertools.count(1)
        app = web.Application(client_max_size=4 * 1024 * 1024)
        app.router.add_route("*", "/{tail:.*}", self._handle)
        self._server = LoopbackServer(app, name="fake-graph")

    # ----------------------------------------------------------------- lifecycle

    def start(self) -> FakeGraph:
        """Start serving (blocking, a few milliseconds)."""
        self._server.start()
        return self

    def close(self) -> None:
        """Stop serving."""
        self._server.stop()

    @property
    def url(self) -> str:
        """The base URL to configure (GRAPH_BASE_URL): ``http://127.0.0.1:PORT/v1.0``."""
        if not self._server.port:
            raise RuntimeError("FakeGraph is not started")
        return f"http://127.0.0.1:{self._server.port}/v1.0"

    # ----------------------------------------------------------------- test data

    def add_meeting(
        self, organizer: str, graph_id: str, join_url: str, chat_id: str | None = None
    ) -> None:
        """An online meeting organised by ``organizer``; ``chat_id`` is its meeting chat."""
        with self._lock:
            self._meetings[graph_id] = _Meeting(organizer, graph_id, join_url, chat_id)
            if chat_id is not None:
                self._chats[chat_id] = graph_id

    def add_chat(self, chat_id: str) -> None:
        """A chat that is not a meeting's (its onlineMeetingInfo is null)."""
        with self._lock:
            self._chats[chat_id] = None

    def add_report(
        self,
        graph_id: str,
        report_id: str,
        start: datetime,
        end: datetime,
        records: Iterable[JSON],
    ) -> None:
        """A session's attendance report of a meeting added with `add_meeting`."""
        rows = list(records)
        with self._lock:
            meeting = self._meetings[graph_id]
            meeting.reports = [r for r in meeting.reports if r["id"] != report_id]
            meeting.reports.append(
                {
                    "id": report_id,
                    "meetingStartDateTime": graph_time(start),
                    "meetingEndDateTime": graph_time(end),
                    "totalParticipantCount": len(rows),
                }
            )
            meeting.records[report_id] = rows

    def forbid(self, organizer: str, message: str | None = None) -> None:
        """No application access policy for this organizer: their meetings answer 403."""
        with self._lock:
            self._forbidden[organizer] = message or POLICY_MESSAGE

    def fail_next(
        self,
        path_part: str,
        status: int,
        retry_after: float | None = None,
        times: int | None = 1,
        code: str | None = None,
        message: str | None = None,
    ) -> None:
        """Answer the next ``times`` requests whose path contains ``path_part`` with ``status``.

        ``times=None`` fails them forever; ``retry_after`` (seconds) adds a Retry-After header.
        """
        with self._lock:
            self._faults.append(_Fault(path_part, status, retry_after, times, code, message))

    def stall_next(self, path_part: str, seconds: float, times: int | None = 1) -> None:
        """Answer the next ``times`` matching requests only after ``seconds`` (a slow Graph)."""
        with self._lock:
            self._stalls.append(_Stall(path_part, seconds, times))

    def clear_faults(self) -> None:
        """Drop the faults `fail_next` set (forbidden organizers stay forbidden)."""
        with self._lock:
            self._faults.clear()
            self._stalls.clear()

    def add_catalog_app(self, app_id: str) -> None:
        """An app in the organisation's app catalog."""
        with self._lock:
            self._catalog.add(app_id)

    def add_user(self, object_id: str, upn: str) -> None:
        """The same person by object id and by UPN."""
        with self._lock:
            self._aliases[upn.lower()] = object_id

    def install_for(self, user: str, app_id: str) -> str:
        """The app installed for the user already; returns the 1:1 chat id."""
        with self._lock:
            self._catalog.add(app_id)
            return self._install(self._user(user), app_id)[1]

    def installed(self, user: str, app_id: str | None = None) -> str | None:
        """The chat id of the app (any, or ``app_id``) installed for the user; None if not."""
        with self._lock:
            key = self._user(user)
            for (who, app), (_, chat) in self._installs.items():
                if who == key and app_id in (None, app):
                    return chat
        return None

    # ----------------------------------------------------------------- inspection

    @property
    def requests(self) -> list[GraphRequest]:
        """Every request received, in arrival order (failed ones too)."""
        with self._lock:
            return list(self._requests)

    def requests_to(self, path_part: str) -> list[GraphRequest]:
        """The requests whose path contains ``path_part``."""
        return [r for r in self.requests if path_part in r.path]

    def reset(self) -> None:
        """Forget the recorded requests (test data stays)."""
        with self._lock:
            self._requests.clear()

    # ----------------------------------------------------------------- internals

    def _user(self, user: str) -> str:
        return self._aliases.get(user.lower(), user)

    def _install(self, user: str, app_id: str) -> tuple[str, str]:
        found = self._installs.get((user, app_id))
        if found is None:
            found = (
                f"installation-{next(self._ids)}",
                f"19:{user}_{self.bot_app_id}@unq.gbl.spaces",
            )
            self._installs[(user, app_id)] = found
        return found

    async def _handle(self, request: web.Request) -> web.StreamResponse:
        raw = await request.read() if request.can_read_body else b""
        payload: Any = None
        if raw:
            try:
                payload = await request.json()
            except ValueError:
                payload = raw.decode("utf-8", errors="replace")
        path = unquote(request.rel_url.raw_path)
        query = dict(request.query)
        headers = dict(request.headers)
        target = f"{path}?{unquote(request.rel_url.raw_query_string)}"
        stall = self._take_stall(target)
        if stall:
            await asyncio.sleep(stall)
        with self._lock:
            reply = self._respond(request.method, path, target, query, headers, payload)
            self._requests.append(
                GraphRequest(
                    method=request.method,
                    path=path,
                    query=query,
                    headers=headers,
                    json=payload,
                    status=reply.status,
                    response=reply.body,
                    timestamp=time.monotonic(),
                    response_headers=dict(reply.headers),
                )
            )
        if reply.body is None:
            return web.Response(status=reply.status, headers=reply.headers)
        return web.json_response(reply.body, status=reply.status, headers=reply.headers)

    def _take_stall(self, path: str) -> float:
        with self._lock:
            for stall in self._stalls:
                if stall.path_part in path and stall.remaining != 0:
                    if stall.remaining is not None:
                        stall.remaining -= 1
                    return stall.seconds
        return 0.0

    def _take_fault(self, path: str) -> _Reply | None:
        for fault in self._faults:
            if fault.path_part in path and fault.remaining != 0:
                if fault.remaining is not None:
                    fault.remaining -= 1
                headers = {}
                if fault.retry_after is not None:
                    headers["Retry-After"] = f"{fault.retry_after:g}"
                return _Reply(
                    fault.status, error_body(fault.status, fault.code, fault.message), headers
                )
        return None

    def _respond(
        self,
        method: str,
        path: str,
        target: str,
        query: dict[str, str],
        headers: dict[str, str],
        body: Any,
    ) -> _Reply:
        if headers.get("Authorization") != f"Bearer {self.token}":
            return _Reply(401, error_body(401))
        fault = self._take_fault(target)
        if fault is not None:
            return fault
        seg = [s for s in path.split("/") if s]
        if not seg or seg[0] != "v1.0":
            return _Reply(404, error_body(404, "UnknownVersion", "Unknown API version."))
        seg = seg[1:]
        n = len(seg)
        if n == 2 and seg[0] == "chats" and method == "GET":
            return self._chat(seg[1])
        if n >= 3 and seg[0] == "users" and seg[2] == "onlineMeetings":
            return self._meeting_route(method, seg[1], seg[3:], query)
        if n >= 4 and seg[0] == "users" and seg[2:4] == ["teamwork", "installedApps"]:
            return self._install_route(method, self._user(seg[1]), seg[4:], query, body)
        return _Reply(400, error_body(400, "BadRequest", f"Resource not found for {path}."))

    def _chat(self, chat_id: str) -> _Reply:
        if chat_id not in self._chats:
            return _Reply(404, error_body(404, "NotFound", "Chat not found."))
        graph_id = self._chats[chat_id]
        info = None
        if graph_id is not None:
            meeting = self._meetings[graph_id]
            info = {
                "calendarEventId": None,
                "joinWebUrl": meeting.join_url,
                "organizer": {
                    "id": meeting.organizer,
                    "displayName": None,
                    "userIdentityType": "aadUser",
                    "tenantId": DEFAULT_TENANT,
                },
            }
        return _Reply(
            200,
            {
                "id": chat_id,
                "topic": None,
                "chatType": "meeting" if info else "group",
                "tenantId": DEFAULT_TENANT,
                "onlineMeetingInfo": info,
            },
        )

    def _meeting_route(
        self, method: str, organizer: str, rest: list[str], query: dict[str, str]
    ) -> _Reply:
        if method != "GET":
            return _Reply(405, error_body(405, "MethodNotAllowed", "Method not allowed."))
        if organizer in self._forbidden:
            return _Reply(403, error_body(403, POLICY_CODE, self._forbidden[organizer]))
        if not rest:
            return self._meeting_lookup(organizer, query)
        meeting = self._meetings.get(rest[0])
        if meeting is None or meeting.organizer != organizer:
            return _Reply(404, error_body(404, "NotFound", "The meeting was not found."))
        if len(rest) == 2 and rest[1] == "attendanceReports":
            newest = sorted(meeting.reports, key=lambda r: r["meetingStartDateTime"], reverse=True)[
                :REPORTS_LISTED
            ]
            return _Reply(
                200,
                {
                    "@odata.context": "https://graph.microsoft.com/v1.0/$metadata#users('"
                    f"{organizer}')/onlineMeetings('{meeting.graph_id}')/attendanceReports",
                    "value": newest,
                },
            )
        if len(rest) == 4 and rest[1] == "attendanceReports" and rest[3] == "attendanceRecords":
            records = meeting.records.get(rest[2])
            if records is None:
                return _Reply(404, error_body(404, "NotFound", "The report was not found."))
            return self._records_page(organizer, meeting.graph_id, rest[2], records, query)
        return _Reply(400, error_body(400))

    def _meeting_lookup(self, organizer: str, query: dict[str, str]) -> _Reply:
        wanted = query.get("$filter")
        if wanted is None:
            return _Reply(
                400,
                error_body(
                    400, "BadRequest", "Filter expression expected - /onlineMeetings?$filter"
                ),
            )
        match = _FILTER_JOIN_URL.match(wanted)
        if match is None:
            return _Reply(400, error_body(400, "BadRequest", f"Unsupported filter: {wanted}"))
        join_url = match.group(1).replace("''", "'")
        value = [
            {
                "id": m.graph_id,
                "joinWebUrl": m.join_url,
                "chatInfo": {"threadId": m.chat_id} if m.chat_id else None,
                "participants": {"organizer": {"identity": {"user": {"id": m.organizer}}}},
            }
            for m in self._meetings.values()
            if m.organizer == organizer and m.join_url == join_url
        ]
        return _Reply(200, {"value": value})

    def _records_page(
        self,
        organizer: str,
        graph_id: str,
        report_id: str,
        records: list[JSON],
        query: dict[str, str],
    ) -> _Reply:
        try:
            start = int(query.get("$skiptoken", "0"))
        except ValueError:
            return _Reply(400, error_body(400, "BadRequest", "Invalid skip token."))
        page = records[start : start + self.page_size]
        body: JSON = {"value": page}
        if start + self.page_size < len(records):
            body["@odata.nextLink"] = (
                f"{self.url}/users/{organizer}/onlineMeetings/{graph_id}/attendanceReports/"
                f"{report_id}/attendanceRecords?$skiptoken={start + self.page_size}"
            )
        return _Reply(200, body)

    def _install_route(
        self, method: str, user: str, rest: list[str], query: dict[str, str], body: Any
    ) -> _Reply:
        if not rest and method == "POST":
            bind = body.get("teamsApp@odata.bind") if isinstance(body, dict) else None
            match = _BIND.search(bind) if isinstance(bind, str) else None
            if match is None:
                return _Reply(400, error_body(400, "BadRequest", "teamsApp@odata.bind expected."))
            app_id = match.group(1)
            if app_id not in self._catalog:
                return _Reply(404, error_body(404, "NotFound", "The app was not found."))
            if (user, app_id) in self._installs:
                return _Reply(409, error_body(409))
            self._install(user, app_id)
            return _Reply(201, None)
        if not rest and method == "GET":
            wanted = query.get("$filter", "")
            match = _FILTER_APP_ID.match(wanted)
            app_filter = match.group(1).replace("''", "'") if match else None
            if wanted and app_filter is None:
                return _Reply(400, error_body(400, "BadRequest", f"Unsupported filter: {wanted}"))
            expand = "teamsApp" in query.get("$expand", "")
            value = []
            for (who, app_id), (installation, _) in self._installs.items():
                if who != user or app_filter not in (None, app_id):
                    continue
                row: JSON = {"id": installation}
                if expand:
                    row["teamsApp"] = {
                        "id": app_id,
                        "externalId": None,
                        "displayName": "Etäpäivä",
                        "distributionMethod": "organization",
                    }
                value.append(row)
            return _Reply(200, {"value": value})
        if len(rest) == 2 and rest[1] == "chat" and method == "GET":
            for (who, _), (installation, chat) in self._installs.items():
                if who == user and installation == rest[0]:
                    return _Reply(200, {"id": chat, "chatType": "oneOnOne"})
            return _Reply(404, error_body(404, "NotFound", "The installation was not found."))
        return _Reply(400, error_body(400))
