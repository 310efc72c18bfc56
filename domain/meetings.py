"""Teams meeting roles and targeted in-meeting notifications: the ports the domain needs (pure).

Roles are asked for when they matter and never cached (Teams: "Do not cache participant roles").
A meeting role never grants a role of ours: Teams lets every attendee present by default, so
a presenter may be a client; the roles are only used to explain a refusal to an organizer.
A notification opens a dialog on the meeting stage of the named participants only.
"""

from __future__ import annotations

import enum
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol, runtime_checkable

from domain.model import Conversation


class MeetingRole(enum.StrEnum):
    """A participant's role in a Teams meeting (the participant API's meeting.role)."""

    ORGANIZER = "Organizer"
    PRESENTER = "Presenter"
    ATTENDEE = "Attendee"


class MeetingRoles(Protocol):
    """Looks up a person's current role in the meeting behind a conversation."""

    async def role_of(self, conversation: Conversation, aad_object_id: str) -> MeetingRole | None:
        """The person's role; None when the conversation is not a meeting, the person is not
        in it, Teams refuses or does not answer in time (never raises for those)."""
        ...


@dataclass(frozen=True, slots=True)
class MeetingDetails:
    """What the meeting-details call (GET /v1/meetings/{id}) says that Graph needs."""

    graph_id: str | None  # details.msGraphResourceId: the meeting's id for Graph
    organizer_id: str | None  # organizer.aadObjectId
    join_url: str | None  # details.joinUrl


@runtime_checkable
class MeetingDetailsSource(Protocol):
    """Looks up the meeting behind a conversation."""

    async def details(self, conversation: Conversation) -> MeetingDetails | None:
        """The meeting's details; None when the conversation is not a meeting, Teams refuses
        or does not answer in time (never raises for those)."""
        ...


@dataclass(frozen=True, slots=True)
class NotificationResult:
    """Which recipients (29: ids) Teams accepted a notification for, and which it refused."""

    accepted: tuple[str, ...]
    failed: tuple[str, ...]


class MeetingNotifier(Protocol):
    """Shows a page in a dialog on the meeting stage of some participants only."""

    async def notify(
        self,
        conversation: Conversation,
        recipients: Sequence[str],
        *,
        title: str,
        url: str,
        width: int = 280,
        height: int = 200,
    ) -> NotificationResult:
        """Notify recipients (Teams 29: ids) in the conversation's meeting.

        Recipients Teams refuses one by one come back in `failed`. When Teams refuses the
        request as a whole (throttled, not allowed, unreachable) the implementation raises
        an error its caller can retry later.
        """
        ...
