"""Ports: what the reports need from storage beyond the attendance read model."""

from __future__ import annotations

from datetime import date
from typing import Protocol

from domain.org import Group
from domain.rollcall.model import Change

# an audited change and the name of the person who made it (None: the system, or unknown)
NamedChange = tuple[Change, str | None]


class ReportSource(Protocol):
    """The groups a report covers and the audit trail of their days (store/ implements it)."""

    async def groups(
        self, unit_key: str | None = None, group_key: str | None = None
    ) -> list[Group]:
        """The groups of a unit (every unit when None), or the one group; by unit and key."""
        ...

    async def changes(self, group_id: int, first: date, last: date) -> list[NamedChange]:
        """Every audited change of the group's days first..last, oldest first, with the name
        of whoever made it."""
        ...

    async def groups_of(self, person_id: int) -> list[Group]:
        """The groups in which the person is a client, by key."""
        ...
