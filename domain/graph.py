"""What the bot asks of Microsoft Graph (pure): meeting attendance reports and app installation.

Graph is optional. When it is not configured the service has no `Graph` at all (None), and
everything that would use it says so instead ("Teams' attendance report is not in use").
bot/graph.py implements this port with msgraph-sdk, the only module that imports it.

Every method either answers or raises GraphUnavailable with a reason the caller can show;
retries within limits (429 with Retry-After, 5xx) happen inside the implementation.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol


class GraphProblem(enum.StrEnum):
    """Why Graph could not answer, in words a digest can name."""

    FORBIDDEN = "forbidden"  # 403: no permission or no application access policy
    NOT_FOUND = "not_found"  # 404: no such meeting, user, app or report
    THROTTLED = "throttled"  # 429 still after the retries allowed
    SERVER = "server"  # 5xx still after the retries allowed
    NETWORK = "network"  # no answer: connection, timeout, token
    INVALID = "invalid"  # an answer we could not read


class GraphUnavailable(Exception):
    """Graph did not give what was asked; status is the HTTP status when there was one."""

    def __init__(self, problem: GraphProblem, status: int | None = None, detail: str = "") -> None:
        self.problem = problem
        self.status = status
        self.detail = detail
        super().__init__(f"{problem.value} ({status}) {detail}".strip())


@dataclass(frozen=True, slots=True)
class MeetingRef:
    """An online meeting as Graph knows it: its organizer's object id and its Graph id."""

    organizer_id: str
    graph_id: str


@dataclass(frozen=True, slots=True)
class ReportSummary:
    """One meetingAttendanceReport (one session of the meeting)."""

    report_id: str
    started: datetime | None
    ended: datetime | None
    participants: int | None


@dataclass(frozen=True, slots=True)
class Interval:
    """One attendanceInterval: when the attendee was in the meeting."""

    joined: datetime | None
    left: datetime | None
    seconds: int


@dataclass(frozen=True, slots=True)
class AttendeeRecord:
    """One attendanceRecord: an attendee of one session, with their intervals."""

    aad_object_id: str | None  # identity.id (an Entra object id for people in the tenant)
    email: str | None
    display_name: str | None
    role: str | None  # None | Attendee | Presenter | Organizer
    total_seconds: int
    intervals: tuple[Interval, ...]


@dataclass(frozen=True, slots=True)
class InstalledChat:
    """The bot's 1:1 chat with a person after the app was installed for them."""

    chat_id: str  # Graph's chat id, usable as the Bot Framework conversation id


class Graph(Protocol):
    """The Graph calls the service makes (application permissions, see docs/deploy.md)."""

    async def meeting_by_join_url(self, organizer_id: str, join_url: str) -> MeetingRef | None:
        """GET /users/{organizer}/onlineMeetings?$filter=JoinWebUrl eq '…'; None if no match."""
        ...

    async def meeting_of_chat(self, chat_id: str) -> MeetingRef | None:
        """The meeting behind a meeting chat: GET /chats/{id} (onlineMeetingInfo) then the
        JoinWebUrl lookup under its organizer; None when the chat is not a meeting chat."""
        ...

    async def reports(self, meeting: MeetingRef) -> list[ReportSummary]:
        """The meeting's attendance reports (Graph lists the 50 newest), every page."""
        ...

    async def records(self, meeting: MeetingRef, report_id: str) -> list[AttendeeRecord]:
        """Every attendance record of one report, following @odata.nextLink to the end."""
        ...

    async def install_app(self, user: str) -> InstalledChat:
        """Install the Teams app (catalog id from configuration) for a user (object id or UPN),
        or find it installed already, and return the 1:1 chat with the bot."""
        ...

    async def close(self) -> None:
        """Release connections (idempotent)."""
        ...
