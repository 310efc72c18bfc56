"""A fake Bot Connector / Teams service on 127.0.0.1 for integration tests.

`FakeConnector` serves the Bot Connector v3 and Teams v1 meeting routes that
botframework-connector 4.17 calls, records every request and can inject faults
(429 with Retry-After, 5xx, a conversation the bot was removed from).

By default it is as strict as Teams (teams-facts §1, §5, §6):

- rate limits: per conversation 7/1 s, 8/2 s, 60/30 s, 1800/h for sends, and 50 requests per
  second for the whole bot (``enforce_teams_limits=False`` / ``global_limit=None`` turn them
  off; say why where you do);
- conversations: only ones Teams has are served, anything else is 404 ``ConversationNotFound``.
  The fake learns them from activities a test posts to the bot with this fake's serviceUrl
  (`learn_conversation_of`, called by the integration harness), from ``POST /v3/conversations``,
  from `add_conversation` and `add_personal_conversation`. A channel thread
  (``19:…@thread.tacv2;messageid=…``) belongs to its channel;
- activity ids: a PUT or DELETE of an id this fake never issued in that conversation (or
  already deleted) is 404 ``ActivityNotFoundInConversation``;
- bodies: over 100 KB (the JSON as sent) is 413 ``MessageSizeTooBig``; an activity without a
  known ``type``, a message with neither ``text`` nor ``attachments``, an attachment without
  ``contentType`` or an Adaptive Card that fails the schema of its declared version (at most
  1.5, `tests.fakes.adaptive_cards`) is 400 ``BadArgument``.

``check_conversations=False`` / ``check_activities=False`` turn the last three off (the
benchmarks use them to keep measuring what they always measured).

The server runs in its own thread with its own event loop.  That matters: parts of
botframework-connector (``TeamsOperations``: ``TeamsInfo.get_meeting_info`` and
friends) do blocking ``requests`` I/O inside ``async def`` on the bot's event loop; a
fake served by that same loop would deadlock.  Everything public here is safe to use
from the test's event loop.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import random
import threading
import time
import uuid
from collections import defaultdict, deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from types import TracebackType
from typing import Any, Self, TypeVar
from urllib.parse import unquote

from aiohttp import web

from tests.fakes.adaptive_cards import CONTENT_TYPE as ADAPTIVE_CARD
from tests.fakes.adaptive_cards import card_problem

JSON = dict[str, Any]
_T = TypeVar("_T")

# Documented Bot Connector error codes (msteams-docs, "status code responses" table).
ERROR_CODES: dict[int, tuple[str, str]] = {
    400: ("BadArgument", "The request is invalid."),
    401: ("Unauthorized", "Authorization has been denied for this request."),
    403: ("BotNotInConversationRoster", "The bot isn't part of the conversation roster."),
    404: ("ConversationNotFound", "The conversation wasn't found."),
    412: ("PreconditionFailed", "Precondition failed, please try again."),
    413: ("MessageSizeTooBig", "Message size too large."),
    429: ("Throttled", "Too many requests. Also returns when to retry after."),
    500: ("ServiceError", "Internal server error."),
    502: ("BadGateway", "Bad gateway."),
    503: ("ServiceUnavailable", "Service unavailable."),
    504: ("GatewayTimeout", "Gateway timeout."),
}

# Teams rate limits per bot per thread (rate-limit.md): (window seconds, max operations).
SEND_LIMITS: tuple[tuple[float, int], ...] = ((1, 7), (2, 8), (30, 60), (3600, 1800))
ROSTER_LIMITS: tuple[tuple[float, int], ...] = ((1, 14), (2, 16), (30, 120), (3600, 3600))

# Teams: 50 requests per second per bot (app) per tenant, every route.
GLOBAL_LIMIT = 50

# "The bot message size limit is 100 KB" (msteams-docs, format-your-bot-messages); measured
# here on the JSON body as sent.
MAX_MESSAGE_BYTES = 100 * 1024

# Activity types of the Bot Framework schema (botbuilder-schema ActivityTypes).
ACTIVITY_TYPES = frozenset(
    {
        "message",
        "contactRelationUpdate",
        "conversationUpdate",
        "typing",
        "endOfConversation",
        "event",
        "invoke",
        "invokeResponse",
        "deleteUserData",
        "messageUpdate",
        "messageDelete",
        "installationUpdate",
        "messageReaction",
        "suggestion",
        "trace",
        "handoff",
        "command",
        "commandResult",
    }
)

MIN_PAGE_SIZE = 50
MAX_PAGE_SIZE = 500
MAX_NOTIFICATION_RECIPIENTS = 50

_SEND_ROUTES = frozenset({"send", "reply", "update", "create_conversation"})
_ACTIVITY_ROUTES = frozenset({"send", "reply", "update"})
_ROSTER_ROUTES = frozenset({"get_members", "get_member", "paged_members"})


def error_body(status: int, code: str | None = None, message: str | None = None) -> JSON:
    """Bot Framework error JSON ``{"error": {"code", "message"}}`` for a status."""
    default_code, default_message = ERROR_CODES.get(status, ("ServiceError", "Request failed."))
    return {"error": {"code": code or default_code, "message": message or default_message}}


def thread_key(conversation_id: str) -> str:
    """Conversation id without a channel-thread suffix (``;messageid=...``)."""
    return conversation_id.split(";messageid=", 1)[0]


def activity_problem(activity: Any) -> str | None:
    """Why the Bot Connector would refuse this outgoing activity (400); None when it is fine."""
    if not isinstance(activity, dict):
        return "The activity must be a JSON object."
    kind = activity.get("type")
    if not isinstance(kind, str) or not kind:
        return "The activity has no type."
    if kind not in ACTIVITY_TYPES:
        return f"Unknown activity type {kind!r}."
    attachments = activity.get("attachments")
    if attachments is not None and not isinstance(attachments, list):
        return "attachments must be a list."
    if kind == "message":
        text = activity.get("text")
        if not (isinstance(text, str) and text) and not attachments:
            return "A message needs text or attachments."
    for index, attachment in enumerate(attachments or []):
        if not isinstance(attachment, dict):
            return f"attachments[{index}] must be an object."
        content_type = attachment.get("contentType")
        if not isinstance(content_type, str) or not content_type:
            return f"attachments[{index}] has no contentType."
        if content_type == ADAPTIVE_CARD:
            problem = card_problem(attachment.get("content"))
            if problem is not None:
                return f"attachments[{index}]: {problem}"
    return None


_RUNNING: dict[str, FakeConnector] = {}
_RUNNING_LOCK = threading.Lock()


def _url_key(url: str) -> str:
    return url.rstrip("/").lower()


def learn_conversation_of(activity: Any) -> None:
    """Teams has the conversation of an activity it sends to a bot: tell the fake serving it.

    Called with every activity a test posts to the bot; the fake whose URL is the activity's
    ``serviceUrl`` (if one is running in this process) learns its conversation.
    """
    if not isinstance(activity, dict) or not isinstance(activity.get("serviceUrl"), str):
        return
    with _RUNNING_LOCK:
        fake = _RUNNING.get(_url_key(activity["serviceUrl"]))
    if fake is not None:
        fake.learn(activity)


def learn_conversation(service_url: str, conversation_id: str) -> None:
    """Tell the fake serving ``service_url`` (if any) that Teams has this conversation."""
    with _RUNNING_LOCK:
        fake = _RUNNING.get(_url_key(service_url))
    if fake is not None:
        fake.add_conversation(conversation_id)


@dataclass(frozen=True)
class Recorded:
    """One HTTP request the bot made to the fake, with the answer it got."""

    method: str
    path: str
    route: str
    conversation_id: str | None
    activity_id: str | None
    json: Any
    headers: dict[str, str]
    query: dict[str, str]
    status: int
    response: Any
    timestamp: float
    meeting_id: str | None = None
    member_id: str | None = None
    response_headers: dict[str, str] = field(default_factory=dict)

    @property
    def authorization(self) -> str | None:
        """The Authorization header, if any."""
        return self.headers.get("Authorization")

    @property
    def ok(self) -> bool:
        """True when the fake answered 2xx."""
        return 200 <= self.status < 300


@dataclass
class _Fault:
    remaining: int
    status: int
    retry_after: float | None
    path_contains: str | None
    code: str | None
    message: str | None


@dataclass
class _FaultRate:
    probability: float
    statuses: tuple[int, ...]
    rng: random.Random
    retry_after: float
    path_contains: str | None


@dataclass
class _Participant:
    tenant_id: str
    body: JSON


@dataclass
class _Reply:
    status: int
    body: Any = None
    headers: dict[str, str] = field(default_factory=dict)


class LoopbackServer:
    """Runs an aiohttp application on 127.0.0.1 (free port) in a private thread and loop."""

    def __init__(self, app: web.Application, *, name: str = "loopback-server") -> None:
        """Wrap ``app``; call `start` to serve it."""
        self._app = app
        self._name = name
        self._loop: asyncio.AbstractEventLoop | None = None
        self._runner: web.AppRunner | None = None
        self._thread: threading.Thread | None = None
        self.port: int = 0

    @property
    def host(self) -> str:
        """The loopback address served on."""
        return "127.0.0.1"

    def start(self) -> int:
        """Start serving; blocks until the socket is bound and returns the port."""
        if self._thread is not None:
            return self.port
        ready = threading.Event()
        failure: list[BaseException] = []

        def run() -> None:
            loop = asyncio.new_event_loop()
            asyncio.set_event_loop(loop)
            self._loop = loop
            runner = web.AppRunner(self._app, access_log=None, shutdown_timeout=1.0)
            self._runner = runner
            try:
                loop.run_until_complete(runner.setup())
                site = web.TCPSite(runner, self.host, 0)
                loop.run_until_complete(site.start())
                self.port = int(runner.addresses[0][1])
            except BaseException as exc:  # surfaced to the starting thread
                failure.append(exc)
                ready.set()
                loop.close()
                return
            ready.set()
            try:
                loop.run_forever()
            finally:
                loop.run_until_complete(runner.cleanup())
                loop.close()

        self._thread = threading.Thread(target=run, name=self._name, daemon=True)
        self._thread.start()
        if not ready.wait(10):
            raise RuntimeError(f"{self._name} did not start")
        if failure:
            self._thread = None
            raise failure[0]
        return self.port

    def stop(self) -> None:
        """Stop serving and join the thread."""
        thread, loop = self._thread, self._loop
        if thread is None or loop is None:
            return
        with contextlib.suppress(RuntimeError):  # loop already closed
            loop.call_soon_threadsafe(loop.stop)
        thread.join(10)
        self._thread = None
        self._loop = None


class Served:
    """A fake served from its own thread: `with` and `async with` start it and stop it."""

    def start(self) -> Self:
        raise NotImplementedError

    def close(self) -> None:
        raise NotImplementedError

    async def __aenter__(self) -> Self:
        await asyncio.to_thread(self.start)
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await asyncio.to_thread(self.close)

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()


class FakeConnector(Served):
    """A Teams Bot Connector on loopback: records requests, injects faults, holds test data."""

    def __init__(
        self,
        *,
        expect_token: str | None = None,
        enforce_teams_limits: bool = True,
        global_limit: int | None = GLOBAL_LIMIT,
        check_conversations: bool = True,
        check_activities: bool = True,
        service_path: str = "/",
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        """Configure the fake; it starts serving in `start` / ``async with``.

        enforce_teams_limits: the per-conversation limits (`SEND_LIMITS`, `ROSTER_LIMITS`).
        global_limit: requests per second for the whole bot, every route (Teams: 50 RPS per
        app per tenant); more within any 1 s sliding window are answered 429 + Retry-After.
        check_conversations: 404 for conversations and activity ids Teams would not have.
        check_activities: 413 for bodies over 100 KB, 400 for malformed activities and cards.
        """
        if not service_path.startswith("/") or not service_path.endswith("/"):
            raise ValueError("service_path must start and end with '/'")
        self.expect_token = expect_token
        self.enforce_teams_limits = enforce_teams_limits
        self.global_limit = global_limit
        self.check_conversations = check_conversations
        self.check_activities = check_activities
        self.service_path = service_path
        self.clock = clock
        self._lock = threading.Lock()
        self._requests: list[Recorded] = []
        self._waiters: list[tuple[asyncio.AbstractEventLoop, asyncio.Event]] = []
        self._members: dict[str, list[JSON]] = defaultdict(list)
        self._participants: dict[tuple[str, str], _Participant] = {}
        self._meetings: dict[str, JSON] = {}
        self._personal: dict[tuple[str, str], str] = {}
        self._not_installed: set[str] = set()
        self._gone: dict[str, tuple[int, str | None]] = {}
        self._faults: list[_Fault] = []
        self._fault_rate: _FaultRate | None = None
        self._windows: dict[tuple[str, str], deque[float]] = defaultdict(deque)
        self._global_window: deque[float] = deque()
        self._conversations: set[str] = set()
        self._issued: dict[str, set[str]] = defaultdict(set)
        self._last_id = 0
        app = web.Application(client_max_size=4 * 1024 * 1024)
        app.router.add_route("*", "/{tail:.*}", self._handle)
        self._server = LoopbackServer(app, name="fake-teams-connector")

    # ----------------------------------------------------------------- lifecycle

    def start(self) -> FakeConnector:
        """Start serving (blocking, a few milliseconds)."""
        self._server.start()
        with _RUNNING_LOCK:
            _RUNNING[_url_key(self.url)] = self
        return self

    def close(self) -> None:
        """Stop serving."""
        if self._server.port:
            with _RUNNING_LOCK:
                if _RUNNING.get(_url_key(self.url)) is self:
                    del _RUNNING[_url_key(self.url)]
        self._server.stop()

    @property
    def port(self) -> int:
        """The TCP port served on (0 before start)."""
        return self._server.port

    @property
    def url(self) -> str:
        """The serviceUrl to put into activities, e.g. ``http://127.0.0.1:PORT/``."""
        if not self._server.port:
            raise RuntimeError("FakeConnector is not started")
        return f"http://127.0.0.1:{self._server.port}{self.service_path}"

    # ----------------------------------------------------------------- test data

    def add_conversation(self, conversation_id: str) -> None:
        """Teams has this conversation (a channel id also covers its reply threads)."""
        with self._lock:
            self._conversations.add(thread_key(conversation_id))

    def knows(self, conversation_id: str) -> bool:
        """True when requests on this conversation are served (not 404)."""
        with self._lock:
            return thread_key(conversation_id) in self._conversations

    def learn(self, activity: JSON) -> None:
        """Learn the conversation (and, in a team, its team and channel) of an inbound activity.

        Shapes are not trusted (hostile tests post anything): what is not a string is skipped.
        """
        data = _at(activity, "channelData")
        ids = [
            _at(activity, "conversation", "id"),
            _at(data, "teamsChannelId"),
            _at(data, "teamsTeamId"),
            _at(data, "channel", "id"),
            _at(data, "team", "id"),
            _at(data, "settings", "selectedChannel", "id"),
        ]
        for conversation_id in ids:
            if isinstance(conversation_id, str) and conversation_id:
                self.add_conversation(conversation_id)

    def add_member(self, conversation_id: str, member: JSON) -> None:
        """Add a roster entry (Teams channel account dict) for member lookups."""
        with self._lock:
            self._members[thread_key(conversation_id)].append(dict(member))

    def set_participant(
        self,
        meeting_id: str,
        aad_object_id: str,
        role: str,
        tenant_id: str,
        *,
        user: JSON | None = None,
        in_meeting: bool = True,
        conversation_id: str | None = None,
    ) -> None:
        """Make GET /v1/meetings/{meeting}/participants/{aad}?tenantId= answer with a role."""
        if role not in {"Organizer", "Presenter", "Attendee"}:
            raise ValueError(f"Teams meeting roles are Organizer/Presenter/Attendee, not {role!r}")
        account: JSON = {
            "id": f"29:{aad_object_id}",
            "aadObjectId": aad_object_id,
            "tenantId": tenant_id,
            "userRole": "user",
        }
        account.update(user or {})
        conversation: JSON = {"conversationType": "groupChat", "isGroup": True}
        if conversation_id is not None:
            conversation["id"] = conversation_id
        body = {
            "user": account,
            "meeting": {"role": role, "inMeeting": in_meeting},
            "conversation": conversation,
        }
        with self._lock:
            self._participants[(meeting_id, aad_object_id.lower())] = _Participant(tenant_id, body)

    def remove_participant(self, meeting_id: str, aad_object_id: str) -> None:
        """Forget a participant (lookups then answer 404)."""
        with self._lock:
            self._participants.pop((meeting_id, aad_object_id.lower()), None)

    def set_meeting(
        self,
        meeting_id: str,
        *,
        title: str = "Etäpäivä",
        meeting_type: str = "Scheduled",
        join_url: str = "https://teams.microsoft.com/l/meetup-join/fake",
        ms_graph_resource_id: str | None = None,
        scheduled_start: str | None = None,
        scheduled_end: str | None = None,
        conversation_id: str | None = None,
        organizer: JSON | None = None,
    ) -> None:
        """Make GET /v1/meetings/{meetingId} answer with meeting details."""
        details: JSON = {
            "id": meeting_id,
            "type": meeting_type,
            "joinUrl": join_url,
            "title": title,
        }
        if ms_graph_resource_id is not None:
            details["msGraphResourceId"] = ms_graph_resource_id
        if scheduled_start is not None:
            details["scheduledStartTime"] = scheduled_start
        if scheduled_end is not None:
            details["scheduledEndTime"] = scheduled_end
        body: JSON = {
            "details": details,
            "conversation": {
                "isGroup": True,
                "conversationType": "groupChat",
                "id": conversation_id or "",
            },
            "organizer": dict(organizer or {}),
        }
        with self._lock:
            self._meetings[meeting_id] = body

    def add_personal_conversation(self, user_id: str, conversation_id: str, tenant_id: str) -> None:
        """Pre-seed the 1:1 conversation id that create-conversation returns for a user.

        The chat exists in Teams (the app is installed for the user), so it is known too.
        """
        with self._lock:
            self._personal[(tenant_id, user_id)] = conversation_id
            self._conversations.add(conversation_id)

    def not_installed_for(self, user_id: str) -> None:
        """The app is not installed for this user (29: id): creating their 1:1 chat answers
        403, as Teams does, until `installed_for`."""
        with self._lock:
            self._not_installed.add(user_id)

    def installed_for(self, user_id: str) -> None:
        """The app is installed for this user again: their 1:1 chat can be created."""
        with self._lock:
            self._not_installed.discard(user_id)

    # ----------------------------------------------------------------- faults

    def fail_next(
        self,
        n: int = 1,
        status: int = 429,
        retry_after: float | None = 1.5,
        path_contains: str | None = None,
        code: str | None = None,
        message: str | None = None,
    ) -> None:
        """Answer the next ``n`` matching requests with ``status`` (429 adds Retry-After)."""
        with self._lock:
            self._faults.append(_Fault(n, status, retry_after, path_contains, code, message))

    def fail_rate(
        self,
        p: float,
        statuses: Sequence[int] = (429, 503),
        seed: int | None = None,
        retry_after: float = 1.0,
        path_contains: str | None = None,
    ) -> None:
        """Fail each matching request with probability ``p`` (status drawn from ``statuses``)."""
        if not 0.0 <= p <= 1.0:
            raise ValueError("p must be within [0, 1]")
        with self._lock:
            self._fault_rate = (
                _FaultRate(p, tuple(statuses), random.Random(seed), retry_after, path_contains)
                if p > 0
                else None
            )

    def mark_gone(
        self, conversation_id: str, status: int = 403, *, code: str | None = None
    ) -> None:
        """Bot removed/blocked: every request on that conversation answers ``status`` forever."""
        if status not in (403, 404):
            raise ValueError("Teams answers 403 or 404 for conversations the bot can't reach")
        with self._lock:
            self._gone[thread_key(conversation_id)] = (status, code)

    def clear_faults(self) -> None:
        """Drop pending fail_next/fail_rate faults (gone conversations stay gone)."""
        with self._lock:
            self._faults.clear()
            self._fault_rate = None

    # ----------------------------------------------------------------- inspection

    @property
    def requests(self) -> list[Recorded]:
        """Every request received, in arrival order (failed ones too)."""
        with self._lock:
            return list(self._requests)

    @property
    def sent(self) -> list[JSON]:
        """Activity bodies successfully posted or replied (incl. create-conversation ones)."""
        return [self._sent_body(r) for r in self.requests if self._is_sent(r)]

    @property
    def sent_requests(self) -> list[Recorded]:
        """The `Recorded` entries behind `sent`."""
        return [r for r in self.requests if self._is_sent(r)]

    @property
    def updates(self) -> list[JSON]:
        """Activity bodies successfully PUT (update activity)."""
        return [r.json for r in self.requests if r.route == "update" and r.ok]

    @property
    def deleted(self) -> list[tuple[str, str]]:
        """(conversation id, activity id) pairs successfully deleted."""
        return [
            (r.conversation_id or "", r.activity_id or "")
            for r in self.requests
            if r.route == "delete" and r.ok
        ]

    @property
    def notifications(self) -> list[JSON]:
        """Targeted meeting notification bodies accepted (POST /v1/meetings/{id}/notification)."""
        return [r.json for r in self.requests if r.route == "meeting_notification" and r.ok]

    def sent_to(self, conversation_id: str) -> list[JSON]:
        """Sent activity bodies for a conversation (a bare channel id also matches its threads)."""
        exact = ";messageid=" in conversation_id
        result: list[JSON] = []
        for r in self.sent_requests:
            target = self._target_conversation(r)
            if target is not None and (
                target == conversation_id if exact else thread_key(target) == conversation_id
            ):
                result.append(self._sent_body(r))
        return result

    def texts(self, conversation_id: str | None = None) -> list[str | None]:
        """``text`` of each sent activity (optionally for one conversation)."""
        bodies = self.sent if conversation_id is None else self.sent_to(conversation_id)
        return [b.get("text") for b in bodies]

    def reset(self) -> None:
        """Forget recorded requests and rate-limit history (test data and known ids stay)."""
        with self._lock:
            self._requests.clear()
            self._windows.clear()
            self._global_window.clear()

    async def wait_for(
        self,
        predicate: Callable[[Recorded], bool],
        timeout: float = 5.0,  # noqa: ASYNC109 - the tests' API; fails with a readable summary
    ) -> Recorded:
        """Wait until a recorded request satisfies ``predicate``; returns it."""
        return await self._wait(lambda reqs: next((r for r in reqs if predicate(r)), None), timeout)

    async def wait_for_count(
        self,
        n: int,
        timeout: float = 5.0,  # noqa: ASYNC109 - the tests' API; fails with a readable summary
    ) -> list[JSON]:
        """Wait until at least ``n`` activities were successfully sent; returns `sent`."""

        def check(reqs: list[Recorded]) -> list[JSON] | None:
            sent = [self._sent_body(r) for r in reqs if self._is_sent(r)]
            return sent if len(sent) >= n else None

        return await self._wait(check, timeout, what=f"{n} sent activities")

    # ----------------------------------------------------------------- internals

    @staticmethod
    def _is_sent(r: Recorded) -> bool:
        if not r.ok:
            return False
        if r.route in ("send", "reply"):
            return True
        return (
            r.route == "create_conversation"
            and isinstance(r.json, dict)
            and isinstance(r.json.get("activity"), dict)
        )

    @staticmethod
    def _target_conversation(r: Recorded) -> str | None:
        if r.route == "create_conversation":
            return r.response.get("id") if isinstance(r.response, dict) else None
        return r.conversation_id

    @classmethod
    def _sent_body(cls, r: Recorded) -> JSON:
        body = r.json if isinstance(r.json, dict) else {}
        if r.route == "create_conversation":
            activity = dict(body["activity"])
            activity.setdefault("conversation", {"id": cls._target_conversation(r)})
            return activity
        return body

    async def _wait(
        self,
        check: Callable[[list[Recorded]], _T | None],
        timeout: float,  # noqa: ASYNC109
        what: str = "a matching request",
    ) -> _T:
        loop = asyncio.get_running_loop()
        event = asyncio.Event()
        waiter = (loop, event)
        with self._lock:
            self._waiters.append(waiter)
        deadline = loop.time() + timeout
        try:
            while True:
                event.clear()
                result = check(self.requests)
                if result is not None:
                    return result
                remaining = deadline - loop.time()
                if remaining <= 0:
                    summary = [f"{r.method} {r.path} -> {r.status}" for r in self.requests]
                    raise AssertionError(
                        f"timed out after {timeout}s waiting for {what}; recorded: {summary}"
                    )
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(event.wait(), remaining)
        finally:
            with self._lock:
                self._waiters.remove(waiter)

    def _notify(self) -> None:
        with self._lock:
            waiters = list(self._waiters)
        for loop, event in waiters:
            with contextlib.suppress(RuntimeError):  # waiter's loop already closed
                loop.call_soon_threadsafe(event.set)

    def _new_activity_id(self) -> str:
        # Teams message ids are millisecond timestamps ("1485983408511"); keep them unique.
        self._last_id = max(int(time.time() * 1000), self._last_id + 1)
        return str(self._last_id)

    @staticmethod
    def _segments(raw_path: str) -> list[str]:
        return [unquote(s) for s in raw_path.split("/") if s]

    async def _handle(self, request: web.Request) -> web.StreamResponse:
        raw_path = request.rel_url.raw_path
        raw_body = await request.read() if request.can_read_body else b""
        body_text = raw_body.decode("utf-8", errors="replace")
        payload: Any = None
        if body_text:
            try:
                payload = json.loads(body_text)
            except ValueError:
                payload = body_text
        headers = dict(request.headers)
        query = dict(request.query)
        prefix = self.service_path.rstrip("/")
        routed_path = raw_path[len(prefix) :] if raw_path.startswith(prefix) else raw_path
        segments = self._segments(routed_path)
        route, ids = self._route(request.method, segments)
        decoded_path = "/" + "/".join(self._segments(raw_path))

        with self._lock:
            reply = self._respond(
                request.method, route, ids, payload, headers, query, decoded_path, len(raw_body)
            )
            self._requests.append(
                Recorded(
                    method=request.method,
                    path=decoded_path,
                    route=route,
                    conversation_id=ids.get("conversation_id"),
                    activity_id=ids.get("activity_id"),
                    json=payload,
                    headers=headers,
                    query=query,
                    status=reply.status,
                    response=reply.body,
                    timestamp=self.clock(),
                    meeting_id=ids.get("meeting_id"),
                    member_id=ids.get("member_id"),
                    response_headers=dict(reply.headers),
                )
            )
        self._notify()
        if reply.body is None:
            return web.Response(status=reply.status, headers=reply.headers)
        return web.json_response(reply.body, status=reply.status, headers=reply.headers)

    @staticmethod
    def _route(method: str, seg: list[str]) -> tuple[str, dict[str, str]]:
        n = len(seg)
        if n >= 2 and seg[0] == "v3" and seg[1] == "conversations":
            if n == 2 and method == "POST":
                return "create_conversation", {}
            if n >= 3:
                ids = {"conversation_id": seg[2]}
                if n == 4 and seg[3] == "activities" and method == "POST":
                    return "send", ids
                if n == 5 and seg[3] == "activities":
                    ids["activity_id"] = seg[4]
                    route = {"POST": "reply", "PUT": "update", "DELETE": "delete"}.get(method)
                    if route:
                        return route, ids
                if n == 4 and seg[3] == "members" and method == "GET":
                    return "get_members", ids
                if n == 5 and seg[3] == "members" and method == "GET":
                    ids["member_id"] = seg[4]
                    return "get_member", ids
                if n == 4 and seg[3] == "pagedmembers" and method == "GET":
                    return "paged_members", ids
                return "unknown", ids
        if n >= 3 and seg[0] == "v1" and seg[1] == "meetings":
            ids = {"meeting_id": seg[2]}
            if n == 3 and method == "GET":
                return "get_meeting", ids
            if n == 5 and seg[3] == "participants" and method == "GET":
                ids["member_id"] = seg[4]
                return "get_participant", ids
            if n == 4 and seg[3] == "notification" and method == "POST":
                return "meeting_notification", ids
            return "unknown", ids
        return "unknown", {}

    def _respond(
        self,
        method: str,
        route: str,
        ids: dict[str, str],
        payload: Any,
        headers: dict[str, str],
        query: dict[str, str],
        path: str,
        body_size: int = 0,
    ) -> _Reply:
        if self.expect_token is not None and headers.get("Authorization") != (
            f"Bearer {self.expect_token}"
        ):
            return _Reply(401, error_body(401))

        fault = self._take_fault(path)
        if fault is not None:
            return fault

        conversation_id = ids.get("conversation_id")
        if conversation_id is not None:
            gone = self._gone.get(thread_key(conversation_id))
            if gone is not None:
                status, code = gone
                return _Reply(status, error_body(status, code))

        if self.global_limit is not None:
            throttled = self._check_window(self._global_window, ((1.0, self.global_limit),))
            if throttled is not None:
                return throttled
            self._global_window.append(self.clock())

        refused = self._refuse(route, ids, payload, body_size)
        if refused is not None:
            return refused

        bucket = self._limit_bucket(route, ids, payload)
        if bucket is not None:
            throttled = self._check_limits(bucket)
            if throttled is not None:
                return throttled

        reply = self._dispatch(route, ids, payload, query)
        if bucket is not None and 200 <= reply.status < 300:
            self._windows[bucket].append(self.clock())
        return reply

    def _refuse(
        self, route: str, ids: dict[str, str], payload: Any, body_size: int
    ) -> _Reply | None:
        """What Teams refuses: unknown conversations and activity ids, big or bad bodies."""
        conversation_id = ids.get("conversation_id")
        if self.check_conversations and conversation_id is not None:
            if thread_key(conversation_id) not in self._conversations:
                return _Reply(404, error_body(404))
            activity_id = ids.get("activity_id")
            if route in ("update", "delete") and activity_id not in self._issued.get(
                thread_key(conversation_id), ()
            ):
                return _Reply(
                    404,
                    error_body(
                        404,
                        "ActivityNotFoundInConversation",
                        "The message ID provided couldn't be found in the conversation.",
                    ),
                )
        if not self.check_activities:
            return None
        if route in _SEND_ROUTES and body_size > MAX_MESSAGE_BYTES:
            return _Reply(
                413,
                error_body(
                    413,
                    "MessageSizeTooBig",
                    f"Message size too large: {body_size} bytes, the limit is {MAX_MESSAGE_BYTES}.",
                ),
            )
        if route in _ACTIVITY_ROUTES:
            activity = payload
        elif route == "create_conversation" and isinstance(payload, dict) and "activity" in payload:
            activity = payload["activity"]
        else:
            return None
        problem = activity_problem(activity)
        if problem is not None:
            return _Reply(400, error_body(400, "BadArgument", problem))
        return None

    def _take_fault(self, path: str) -> _Reply | None:
        for fault in self._faults:
            if fault.remaining > 0 and (fault.path_contains is None or fault.path_contains in path):
                fault.remaining -= 1
                if fault.remaining == 0:
                    self._faults.remove(fault)
                return self._fault_reply(fault.status, fault.retry_after, fault.code, fault.message)
        rate = self._fault_rate
        if (
            rate is not None
            and (rate.path_contains is None or rate.path_contains in path)
            and rate.rng.random() < rate.probability
        ):
            return self._fault_reply(rate.rng.choice(rate.statuses), rate.retry_after, None, None)
        return None

    @staticmethod
    def _fault_reply(
        status: int, retry_after: float | None, code: str | None, message: str | None
    ) -> _Reply:
        hdrs: dict[str, str] = {}
        if status == 429 and retry_after is not None:
            hdrs["Retry-After"] = _format_seconds(retry_after)
        return _Reply(status, error_body(status, code, message), hdrs)

    # -- rate limits

    @staticmethod
    def _limits_for(kind: str) -> tuple[tuple[float, int], ...]:
        return SEND_LIMITS if kind == "send" else ROSTER_LIMITS

    def _limit_bucket(
        self, route: str, ids: dict[str, str], payload: Any
    ) -> tuple[str, str] | None:
        if not self.enforce_teams_limits:
            return None
        if route in _SEND_ROUTES:
            if route == "create_conversation":
                members = payload.get("members") if isinstance(payload, dict) else None
                first = members[0].get("id") if members and isinstance(members[0], dict) else None
                return ("send", f"create:{first}")
            return ("send", thread_key(ids["conversation_id"]))
        if route in _ROSTER_ROUTES:
            return ("roster", thread_key(ids["conversation_id"]))
        return None

    def _check_limits(self, bucket: tuple[str, str]) -> _Reply | None:
        return self._check_window(self._windows[bucket], self._limits_for(bucket[0]))

    def _check_window(
        self, stamps: deque[float], limits: tuple[tuple[float, int], ...]
    ) -> _Reply | None:
        longest = max(window for window, _ in limits)
        now = self.clock()
        while stamps and stamps[0] <= now - longest:
            stamps.popleft()
        wait = 0.0
        for window, limit in limits:
            in_window = [t for t in stamps if t > now - window]
            if len(in_window) >= limit:
                # The oldest successes must leave the window before one more fits.
                wait = max(wait, in_window[len(in_window) - limit] + window - now)
        if wait > 0:
            return self._fault_reply(429, max(wait, 0.001), None, None)
        return None

    # -- route handlers

    def _dispatch(
        self, route: str, ids: dict[str, str], payload: Any, query: dict[str, str]
    ) -> _Reply:
        body = payload if isinstance(payload, dict) else {}
        if route == "create_conversation":
            return self._create_conversation(body)
        if route in ("send", "reply"):
            return _Reply(201, {"id": self._issue(ids["conversation_id"])})
        if route == "update":
            return _Reply(200, {"id": ids["activity_id"]})
        if route == "delete":
            self._issued[thread_key(ids["conversation_id"])].discard(ids["activity_id"])
            return _Reply(200)
        if route == "get_members":
            return _Reply(200, list(self._members.get(thread_key(ids["conversation_id"]), [])))
        if route == "get_member":
            member = self._find_member(ids["conversation_id"], ids["member_id"])
            if member is None:
                return _Reply(
                    404,
                    error_body(
                        404,
                        "MemberNotFoundInConversation",
                        "The member isn't found in the conversation.",
                    ),
                )
            return _Reply(200, member)
        if route == "paged_members":
            return self._paged_members(ids["conversation_id"], query)
        if route == "get_meeting":
            meeting = self._meetings.get(ids["meeting_id"])
            if meeting is None:
                return _Reply(404, error_body(404, "NotFound", "The meeting wasn't found."))
            return _Reply(200, json.loads(json.dumps(meeting)))
        if route == "get_participant":
            return self._participant(ids["meeting_id"], ids["member_id"], query)
        if route == "meeting_notification":
            return self._meeting_notification(body)
        return _Reply(404, error_body(404, "NotFound", "No such route on the fake connector."))

    def _issue(self, conversation_id: str) -> str:
        activity_id = self._new_activity_id()
        self._issued[thread_key(conversation_id)].add(activity_id)
        return activity_id

    def _create_conversation(self, body: JSON) -> _Reply:
        channel_data = body.get("channelData") or {}
        # The Bot Connector reads JSON case-insensitively; the SDK sends "tenantID".
        top_tenant = next((v for k, v in body.items() if k.lower() == "tenantid"), None)
        tenant_id = top_tenant or (channel_data.get("tenant") or {}).get("id")
        channel_id = (channel_data.get("channel") or {}).get("id")
        activity = body.get("activity")
        if channel_id:
            # A new thread in a channel: Teams answers "<channel>;messageid=<new post id>".
            if self.check_conversations and thread_key(channel_id) not in self._conversations:
                return _Reply(404, error_body(404))
            activity_id = self._issue(channel_id)
            return _Reply(
                201, {"id": f"{channel_id};messageid={activity_id}", "activityId": activity_id}
            )
        if not tenant_id:
            return _Reply(400, error_body(400, "BadArgument", "Tenant id is required."))
        members = body.get("members") or []
        if body.get("isGroup") or len(members) != 1:
            return _Reply(
                400, error_body(400, "BadArgument", "Only 1:1 conversations can be created.")
            )
        user_id = members[0].get("id") if isinstance(members[0], dict) else None
        if not user_id:
            return _Reply(400, error_body(400, "BadArgument", "Member id is required."))
        if user_id in self._not_installed:
            return _Reply(403, error_body(403))
        key = (tenant_id, user_id)
        conversation_id = self._personal.get(key)
        if conversation_id is None:
            conversation_id = "a:1" + uuid.uuid4().hex + uuid.uuid4().hex
            self._personal[key] = conversation_id
        self._conversations.add(conversation_id)
        result: JSON = {"id": conversation_id}
        if isinstance(activity, dict):
            result["activityId"] = self._issue(conversation_id)
        return _Reply(201, result)

    def _find_member(self, conversation_id: str, member_id: str) -> JSON | None:
        needle = member_id.lower()
        for member in self._members.get(thread_key(conversation_id), []):
            keys = (
                member.get("id"),
                member.get("aadObjectId"),
                member.get("objectId"),
                member.get("userPrincipalName"),
            )
            if any(isinstance(k, str) and k.lower() == needle for k in keys):
                return dict(member)
        return None

    def _paged_members(self, conversation_id: str, query: dict[str, str]) -> _Reply:
        members = self._members.get(thread_key(conversation_id), [])
        try:
            size = int(query.get("pageSize", MAX_PAGE_SIZE))
            start = int(query.get("continuationToken") or 0)
        except ValueError:
            return _Reply(400, error_body(400, "BadArgument", "Invalid paging parameters."))
        size = min(max(size, MIN_PAGE_SIZE), MAX_PAGE_SIZE)
        page = members[start : start + size]
        result: JSON = {"members": [dict(m) for m in page]}
        if start + size < len(members):
            result["continuationToken"] = str(start + size)
        return _Reply(200, result)

    def _participant(self, meeting_id: str, participant_id: str, query: dict[str, str]) -> _Reply:
        found = self._participants.get((meeting_id, participant_id.lower()))
        tenant = query.get("tenantId")
        if found is None or (tenant is not None and tenant != found.tenant_id):
            return _Reply(404, error_body(404, "NotFound", "The participant wasn't found."))
        return _Reply(200, json.loads(json.dumps(found.body)))

    @staticmethod
    def _meeting_notification(body: JSON) -> _Reply:
        value = body.get("value") or {}
        recipients = value.get("recipients") or []
        if body.get("type") != "targetedMeetingNotification" or not recipients:
            return _Reply(400, error_body(400, "BadArgument", "Invalid notification payload."))
        if len(recipients) > MAX_NOTIFICATION_RECIPIENTS:
            return _Reply(
                400, error_body(400, "BadArgument", "At most 50 recipients per notification.")
            )
        return _Reply(202)


def _at(value: Any, *keys: str) -> Any:
    """value[k1][k2]… through dicts only; None where the path does not exist."""
    for key in keys:
        if not isinstance(value, dict):
            return None
        value = value.get(key)
    return value


def _format_seconds(value: float) -> str:
    text = f"{value:.3f}".rstrip("0").rstrip(".")
    return text or "0"
