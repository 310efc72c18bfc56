"""Tutorial progress per person and help requests, each saved with its outbox messages."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Integer, String, bindparam, insert, select, update
from sqlalchemy.orm import Mapped, mapped_column

from domain.errors import ConcurrentUpdate
from domain.outbox import OutboxMessage
from domain.tutorial.content import Device
from domain.tutorial.flow import Outcome, Place, Problem, Progress
from domain.tutorial.help import HelpRequest, HelpStatus
from store.db import Database, insert_ignoring
from store.outbox import add_to_outbox
from store.tables import Base, UtcDateTime, utcnow
from store.ttl import MISSING, TtlCache


class TutorialProgressRow(Base):
    __tablename__ = "tutorial_progress"
    person_id: Mapped[int] = mapped_column(
        ForeignKey("people.id", ondelete="CASCADE"), primary_key=True
    )
    place: Mapped[str] = mapped_column(String(16))
    device: Mapped[str | None] = mapped_column(String(16))
    step: Mapped[str | None] = mapped_column(String(63))
    check_id: Mapped[str | None] = mapped_column(String(63))
    group_id: Mapped[int | None] = mapped_column(ForeignKey("groups.id", ondelete="SET NULL"))
    problems: Mapped[list[dict[str, Any]]] = mapped_column(JSON)
    started_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    updated_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    completed_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    version: Mapped[int] = mapped_column(Integer)


class HelpRequestRow(Base):
    __tablename__ = "help_requests"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    key: Mapped[str] = mapped_column(String(100), unique=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id", ondelete="CASCADE"), index=True)
    group_id: Mapped[int] = mapped_column(ForeignKey("groups.id", ondelete="CASCADE"), index=True)
    device: Mapped[str] = mapped_column(String(16))
    step: Mapped[str] = mapped_column(String(63))
    check_id: Mapped[str | None] = mapped_column(String(63))
    status: Mapped[str] = mapped_column(String(16), index=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime(), index=True)
    taken_by: Mapped[int | None] = mapped_column(ForeignKey("people.id", ondelete="SET NULL"))
    taken_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    resolved_by: Mapped[int | None] = mapped_column(ForeignKey("people.id", ondelete="SET NULL"))
    resolved_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    version: Mapped[int] = mapped_column(Integer)


def _problems_to_json(problems: Sequence[Problem]) -> list[dict[str, Any]]:
    return [
        {"step": p.step, "check": p.check, "outcome": p.outcome.value, "at": p.at.isoformat()}
        for p in problems
    ]


def _problems(raw: list[dict[str, Any]]) -> tuple[Problem, ...]:
    return tuple(
        Problem(
            step=p["step"],
            check=p.get("check"),
            outcome=Outcome(p["outcome"]),
            at=datetime.fromisoformat(p["at"]),
        )
        for p in raw
    )


def _progress(row: TutorialProgressRow) -> Progress:
    return Progress(
        person_id=row.person_id,
        place=Place(row.place),
        device=Device(row.device) if row.device else None,
        step=row.step,
        check=row.check_id,
        group_id=row.group_id,
        started_at=row.started_at,
        updated_at=row.updated_at,
        completed_at=row.completed_at,
        problems=_problems(row.problems or []),
        version=row.version,
    )


def _progress_values(p: Progress) -> dict[str, Any]:
    return {
        "place": p.place.value,
        "device": p.device.value if p.device else None,
        "step": p.step,
        "check_id": p.check,
        "group_id": p.group_id,
        "problems": _problems_to_json(p.problems),
        "started_at": p.started_at,
        "updated_at": p.updated_at,
        "completed_at": p.completed_at,
        "version": p.version + 1,
    }


def _request(row: HelpRequestRow) -> HelpRequest:
    return HelpRequest(
        key=row.key,
        person_id=row.person_id,
        group_id=row.group_id,
        device=Device(row.device),
        step=row.step,
        check=row.check_id,
        created_at=row.created_at,
        status=HelpStatus(row.status),
        taken_by=row.taken_by,
        taken_at=row.taken_at,
        resolved_by=row.resolved_by,
        resolved_at=row.resolved_at,
        id=row.id,
        version=row.version,
    )


def _request_values(r: HelpRequest) -> dict[str, Any]:
    return {
        "status": r.status.value,
        "taken_by": r.taken_by,
        "taken_at": r.taken_at,
        "resolved_by": r.resolved_by,
        "resolved_at": r.resolved_at,
        "version": r.version + 1,
    }


# every "help" of a client reads this: built once, Core rows
_PROGRESS_TABLE = TutorialProgressRow.__table__
_PROGRESS = select(*_PROGRESS_TABLE.c).where(_PROGRESS_TABLE.c.person_id == bindparam("person_id"))


class SqlTutorialStore:
    """TutorialStore on SQLAlchemy."""

    def __init__(self, db: Database) -> None:
        self._db = db

    async def progress(self, person_id: int) -> Progress | None:
        """A person's progress, if they have started."""
        async with self._db.read() as s:
            row = (await s.execute(_PROGRESS, {"person_id": person_id})).first()
            return _progress(row) if row else None  # type: ignore[arg-type]

    async def save(
        self,
        progress: Progress,
        *,
        request: HelpRequest | None = None,
        messages: Sequence[OutboxMessage] = (),
    ) -> tuple[Progress, HelpRequest | None]:
        """Compare-and-set the progress; the help request and messages in the same transaction."""
        now = utcnow()
        values = _progress_values(progress)
        saved_request: HelpRequest | None = None
        async with self._db.write() as s:
            if progress.version == 0:
                # two first saves may race: the loser inserts nothing and is told so
                inserted = await s.execute(
                    insert_ignoring(TutorialProgressRow, "person_id")
                    .values(person_id=progress.person_id, **values)
                    .returning(TutorialProgressRow.person_id)
                )
                if not inserted.all():
                    raise ConcurrentUpdate(f"tutorial:{progress.person_id}")
            else:
                result = await s.execute(
                    update(TutorialProgressRow)
                    .where(
                        TutorialProgressRow.person_id == progress.person_id,
                        TutorialProgressRow.version == progress.version,
                    )
                    .values(**values)
                )
                if getattr(result, "rowcount", 0) != 1:
                    raise ConcurrentUpdate(f"tutorial:{progress.person_id}")
            if request is not None:
                new_id = (
                    await s.execute(
                        insert(HelpRequestRow)
                        .values(
                            key=request.key,
                            person_id=request.person_id,
                            group_id=request.group_id,
                            device=request.device.value,
                            step=request.step,
                            check_id=request.check,
                            created_at=request.created_at,
                            version=0,
                            **{k: v for k, v in _request_values(request).items() if k != "version"},
                        )
                        .returning(HelpRequestRow.id)
                    )
                ).scalar_one()
                saved_request = replace(request, id=new_id)
            for message in messages:
                await add_to_outbox(s, message, now)
        return replace(progress, version=progress.version + 1), saved_request

    async def open_request_of(self, person_id: int) -> HelpRequest | None:
        """The person's help request that is not resolved yet, if any."""
        async with self._db.read() as s:
            row = (
                await s.execute(
                    select(HelpRequestRow)
                    .where(
                        HelpRequestRow.person_id == person_id,
                        HelpRequestRow.status != HelpStatus.RESOLVED.value,
                    )
                    .order_by(HelpRequestRow.id.desc())
                    .limit(1)
                )
            ).scalar_one_or_none()
            return _request(row) if row else None

    async def request(self, key: str) -> HelpRequest | None:
        """One help request, by its key."""
        async with self._db.read() as s:
            row = (
                await s.execute(select(HelpRequestRow).where(HelpRequestRow.key == key))
            ).scalar_one_or_none()
            return _request(row) if row else None

    async def requests(self, since: datetime | None = None) -> list[HelpRequest]:
        """Help requests, oldest first (for the digest and tests)."""
        async with self._db.read() as s:
            query = select(HelpRequestRow).order_by(HelpRequestRow.id)
            if since is not None:
                query = query.where(HelpRequestRow.created_at >= since)
            return [_request(r) for r in (await s.execute(query)).scalars()]

    async def update_request(
        self, request: HelpRequest, messages: Sequence[OutboxMessage] = ()
    ) -> bool:
        """Compare-and-set a request's status; its messages only if it was saved."""
        now = utcnow()
        async with self._db.write() as s:
            result = await s.execute(
                update(HelpRequestRow)
                .where(HelpRequestRow.id == request.id, HelpRequestRow.version == request.version)
                .values(**_request_values(request))
            )
            if getattr(result, "rowcount", 0) != 1:
                return False
            for message in messages:
                await add_to_outbox(s, message, now)
        return True


class CachedTutorialStore(SqlTutorialStore):
    """Progress kept in memory, for the embedded database only (one process writes it).

    Every "help" of a client reads their progress; with SQLite the only writer is this process,
    which keeps what it saved, so the cache is never stale. (With several replicas another one
    may have saved meanwhile: there, progress is read every time.)
    """

    def __init__(self, db: Database, seconds: float) -> None:
        super().__init__(db)
        self.cache = TtlCache(seconds)

    async def progress(self, person_id: int) -> Progress | None:
        """A person's progress, if they have started (cached)."""
        value = self.cache.get(("progress", person_id))
        if value is MISSING:
            value = await super().progress(person_id)
            self.cache.put(("progress", person_id), value)
        found: Progress | None = value
        return found

    async def save(
        self,
        progress: Progress,
        *,
        request: HelpRequest | None = None,
        messages: Sequence[OutboxMessage] = (),
    ) -> tuple[Progress, HelpRequest | None]:
        """Save, and keep what was saved (forget it if the save failed)."""
        try:
            saved, saved_request = await super().save(progress, request=request, messages=messages)
        except BaseException:
            self.cache.drop(("progress", progress.person_id))
            raise
        self.cache.put(("progress", saved.person_id), saved)
        return saved, saved_request
