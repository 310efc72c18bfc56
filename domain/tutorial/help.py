"""Help requests: a client asks, the group's instructors hear of it, one of them takes it."""

from __future__ import annotations

import enum
from dataclasses import dataclass, replace
from datetime import datetime

from domain.errors import DomainError, NotAllowed
from domain.model import Actor
from domain.org import Role
from domain.tutorial.content import Device

# the step of a request made outside the guide's steps (from a chat answer or the device choice)
NO_STEP = ""


class HelpStatus(enum.StrEnum):
    """Where a help request is."""

    OPEN = "open"
    TAKEN = "taken"
    RESOLVED = "resolved"


@dataclass(frozen=True, slots=True)
class HelpRequest:
    """A client's call for help with a tutorial step (what the digest reports later)."""

    key: str
    person_id: int
    group_id: int
    device: Device
    step: str
    check: str | None
    created_at: datetime
    status: HelpStatus = HelpStatus.OPEN
    taken_by: int | None = None
    taken_at: datetime | None = None
    resolved_by: int | None = None
    resolved_at: datetime | None = None
    id: int | None = None
    version: int = 0

    @property
    def is_open(self) -> bool:
        """Not yet resolved (open or taken)."""
        return self.status is not HelpStatus.RESOLVED


class AlreadyTaken(DomainError):
    """Another instructor took the request first."""


class AlreadyResolved(DomainError):
    """The request was resolved before anyone took it."""


def may_handle(actor: Actor, group_id: int) -> bool:
    """Instructors of the group (and admins) may take and resolve its help requests."""
    if actor.is_admin:
        return True
    return any(g.id == group_id for g in actor.groups_as(Role.INSTRUCTOR))


def take(request: HelpRequest, actor: Actor, now: datetime) -> HelpRequest:
    """The request taken by actor; the same actor taking again changes nothing."""
    if not may_handle(actor, request.group_id):
        raise NotAllowed("help.take.not_allowed")
    if request.status is HelpStatus.RESOLVED:
        raise AlreadyResolved("help.take.resolved")
    if request.status is HelpStatus.TAKEN:
        if request.taken_by == actor.person_id:
            return request
        raise AlreadyTaken("help.take.already")
    return replace(request, status=HelpStatus.TAKEN, taken_by=actor.person_id, taken_at=now)


def resolve(request: HelpRequest, person_id: int, now: datetime) -> HelpRequest:
    """The request marked resolved (by an instructor, or by the client saying it works now)."""
    if request.status is HelpStatus.RESOLVED:
        return request
    return replace(request, status=HelpStatus.RESOLVED, resolved_by=person_id, resolved_at=now)
