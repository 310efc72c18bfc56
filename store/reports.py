"""What the reports read beyond the attendance record: groups in scope, the audit trail."""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import aliased

from domain.org import Group, Role
from domain.reports.ports import NamedChange
from store.db import Database
from store.repos import _group
from store.rollcall import ChangeRow, _change
from store.tables import AuditRow, GroupRow, MembershipRow, PersonRow, UnitRow


class SqlReportSource:
    """Groups by unit or key, a group's changes over days with the names of who made them."""

    def __init__(self, db: Database) -> None:
        self._db = db

    async def groups(
        self, unit_key: str | None = None, group_key: str | None = None
    ) -> list[Group]:
        """The groups of a unit (every unit when None), or the one group; by unit and key."""
        query = select(GroupRow, UnitRow.key).join(UnitRow, GroupRow.unit_id == UnitRow.id)
        if unit_key is not None:
            query = query.where(UnitRow.key == unit_key)
        if group_key is not None:
            query = query.where(GroupRow.key == group_key)
        async with self._db.read() as s:
            rows = await s.execute(query.order_by(UnitRow.key, GroupRow.key))
            return [_group(g, k) for g, k in rows.all()]

    async def changes(self, group_id: int, first: date, last: date) -> list[NamedChange]:
        """Every audited change of the group's days first..last, oldest first, with the name of
        whoever made it (one query)."""
        by = aliased(PersonRow)
        async with self._db.read() as s:
            rows = await s.execute(
                select(*ChangeRow.__table__.c, by.name.label("by_name"))
                .outerjoin(by, by.id == ChangeRow.by)
                .where(
                    ChangeRow.group_id == group_id,
                    ChangeRow.day >= first,
                    ChangeRow.day <= last,
                )
                .order_by(ChangeRow.at, ChangeRow.id)
            )
            # plain rows, not ORM objects: a month of a group holds thousands of changes
            return [(_change(row), row.by_name) for row in rows.all()]

    async def groups_of(self, person_id: int) -> list[Group]:
        """The groups in which the person is a client, by key."""
        async with self._db.read() as s:
            rows = await s.execute(
                select(GroupRow, UnitRow.key)
                .join(UnitRow, GroupRow.unit_id == UnitRow.id)
                .join(MembershipRow, MembershipRow.group_id == GroupRow.id)
                .where(
                    MembershipRow.person_id == person_id,
                    MembershipRow.role == Role.CLIENT.value,
                )
                .order_by(GroupRow.key)
            )
            return [_group(g, k) for g, k in rows.all()]

    async def audit(
        self,
        action: str,
        subject: str,
        details: dict[str, Any],
        actor_person_id: int | None = None,
    ) -> None:
        """Log an action in the audit log: an export (action "export.<kind>", subject the
        period), the app installed for a person ("app.installed", subject "person:<id>")."""
        async with self._db.write() as s:
            s.add(
                AuditRow(
                    action=action,
                    subject=subject,
                    details=details,
                    actor_person_id=actor_person_id,
                )
            )
