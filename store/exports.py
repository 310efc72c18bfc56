"""Export links: the orders behind Teams download links, each used once, and their audit rows."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Date, ForeignKey, Integer, String, select, update
from sqlalchemy.orm import Mapped, mapped_column

from domain.org import Language
from domain.reports.downloads import ExportKind, FileFormat, Order
from store.db import Database
from store.tables import AuditRow, Base, UtcDateTime


class ExportLinkRow(Base):
    """One download link: what it makes, for whom, until when, and when it was used."""

    __tablename__ = "export_links"
    token_id: Mapped[str] = mapped_column(String(40), primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(20))
    first_day: Mapped[date] = mapped_column(Date)
    last_day: Mapped[date] = mapped_column(Date)
    format: Mapped[str] = mapped_column(String(8))
    language: Mapped[str] = mapped_column(String(4))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())
    expires_at: Mapped[datetime] = mapped_column(UtcDateTime(), index=True)
    used_at: Mapped[datetime | None] = mapped_column(UtcDateTime(), nullable=True)
    rows: Mapped[int | None] = mapped_column(Integer, nullable=True)


def _order(row: ExportLinkRow) -> Order:
    return Order(
        token_id=row.token_id,
        person_id=row.person_id,
        kind=ExportKind(row.kind),
        first=row.first_day,
        last=row.last_day,
        format=FileFormat(row.format),
        language=Language(row.language),
        created=row.created_at,
        expires=row.expires_at,
    )


class SqlExportLinks:
    """The `Orders` port over SQL."""

    def __init__(self, db: Database) -> None:
        self._db = db

    async def add(self, order: Order) -> None:
        """Store the order and audit it (`export.<kind>`, "link")."""
        async with self._db.write() as s:
            s.add(
                ExportLinkRow(
                    token_id=order.token_id,
                    person_id=order.person_id,
                    kind=order.kind.value,
                    first_day=order.first,
                    last_day=order.last,
                    format=order.format.value,
                    language=order.language.value,
                    created_at=order.created,
                    expires_at=order.expires,
                )
            )
            s.add(
                AuditRow(
                    at=order.created,
                    actor_person_id=order.person_id,
                    action=order.action,
                    subject=order.subject,
                    details={"stage": "link", **order.audit()},
                )
            )

    async def claim(self, token_id: str, person_id: int, now: datetime) -> Order | None:
        """Mark the order used (once: compare-and-set on used_at) and return it."""
        async with self._db.write() as s:
            done = await s.execute(
                update(ExportLinkRow)
                .where(
                    ExportLinkRow.token_id == token_id,
                    ExportLinkRow.person_id == person_id,
                    ExportLinkRow.used_at.is_(None),
                    ExportLinkRow.expires_at > now,
                )
                .values(used_at=now)
            )
            if done.rowcount != 1:  # type: ignore[attr-defined]
                return None
            row = (await s.execute(select(ExportLinkRow).filter_by(token_id=token_id))).scalar_one()
            return _order(row)

    async def used(self, token_id: str) -> bool:
        """True if the order exists and was used already."""
        async with self._db.read() as s:
            found = (
                await s.execute(
                    select(ExportLinkRow.used_at).where(ExportLinkRow.token_id == token_id)
                )
            ).first()
            return found is not None and found[0] is not None

    async def downloaded(self, order: Order, rows: int) -> None:
        """Audit a download (`export.<kind>`, "download", the number of rows)."""
        async with self._db.write() as s:
            await s.execute(
                update(ExportLinkRow)
                .where(ExportLinkRow.token_id == order.token_id)
                .values(rows=rows)
            )
            s.add(
                AuditRow(
                    actor_person_id=order.person_id,
                    action=order.action,
                    subject=order.subject,
                    details={"stage": "download", "rows": rows, **order.audit()},
                )
            )
