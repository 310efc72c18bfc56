"""End-of-day feedback: rounds, who was asked, answers, texts, idea marks and group settings.

An anonymous answer and its texts are rows with a random id, no person and no time; the "has
answered" record (feedback_answered) says only that the person answered, anonymously or not, and
whether they wrote something. Nothing joins the two, and results are read back sorted.
"""

from __future__ import annotations

import secrets
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import replace
from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    Date,
    ForeignKey,
    Integer,
    String,
    Text,
    UniqueConstraint,
    and_,
    delete,
    func,
    insert,
    select,
    update,
)
from sqlalchemy import text as sql
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, mapped_column

from domain.errors import ConcurrentUpdate
from domain.feedback.model import (
    Answered,
    Idea,
    Outcome,
    Results,
    Round,
    Settings,
    TextKind,
    Trigger,
    idea_key,
)
from domain.feedback.model import Text as FeedbackText
from domain.outbox import OutboxMessage
from store.db import Database, insert_ignoring
from store.outbox import add_to_outbox
from store.tables import Base, PersonRow, UtcDateTime, utcnow

# a write that met another one's row (a double tap on another replica) runs again this often
_ATTEMPTS = 20
_IDEA_KINDS = (TextKind.IDEA.value, TextKind.TOPIC.value)
# SQLite numbers a table's rows in insertion order (a hidden rowid) unless it is WITHOUT ROWID:
# the n-th has-answered record and the n-th anonymous score would then be the same person's.
# These tables are kept in their primary key's order instead (a random id, or round and person).
_NO_ROWID = {"sqlite_with_rowid": False}


class FeedbackRoundRow(Base):
    __tablename__ = "feedback_rounds"
    __table_args__ = (UniqueConstraint("group_id", "day", name="uq_feedback_rounds_group_day"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    group_id: Mapped[int] = mapped_column(ForeignKey("groups.id", ondelete="CASCADE"))
    day: Mapped[date] = mapped_column(Date)
    conversation_id: Mapped[str] = mapped_column(String(400))
    opened_at: Mapped[datetime] = mapped_column(UtcDateTime())
    opened_by: Mapped[int | None] = mapped_column(ForeignKey("people.id", ondelete="SET NULL"))
    trigger: Mapped[str] = mapped_column(String(16))
    closes_at: Mapped[datetime] = mapped_column(UtcDateTime(), index=True)
    anonymous_default: Mapped[bool] = mapped_column(Boolean)
    remind_at: Mapped[datetime | None] = mapped_column(UtcDateTime(), index=True)
    reminded_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    # the anonymous aggregate written before the round's answers are purged (store/retention.py)
    summary: Mapped[dict[str, Any] | None] = mapped_column(JSON)


class FeedbackPromptRow(Base):
    """The card was sent to this person in this round (no time: it tells nothing of answers)."""

    __tablename__ = "feedback_prompts"
    round_id: Mapped[int] = mapped_column(
        ForeignKey("feedback_rounds.id", ondelete="CASCADE"), primary_key=True
    )
    person_id: Mapped[int] = mapped_column(
        ForeignKey("people.id", ondelete="CASCADE"), primary_key=True
    )


class FeedbackAnsweredRow(Base):
    """That the person has answered: no time, no score, no text."""

    __tablename__ = "feedback_answered"
    __table_args__ = (_NO_ROWID,)
    round_id: Mapped[int] = mapped_column(
        ForeignKey("feedback_rounds.id", ondelete="CASCADE"), primary_key=True
    )
    person_id: Mapped[int] = mapped_column(
        ForeignKey("people.id", ondelete="CASCADE"), primary_key=True
    )
    anonymous: Mapped[bool] = mapped_column(Boolean)
    commented: Mapped[bool] = mapped_column(Boolean)


class FeedbackAnswerRow(Base):
    """A score: named (person, time) or anonymous (neither); the id is random, never a sequence."""

    __tablename__ = "feedback_answers"
    __table_args__ = (
        UniqueConstraint("round_id", "person_id", name="uq_feedback_answers_round_person"),
        _NO_ROWID,
    )
    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    round_id: Mapped[int] = mapped_column(
        ForeignKey("feedback_rounds.id", ondelete="CASCADE"), index=True
    )
    score: Mapped[int] = mapped_column(Integer)
    person_id: Mapped[int | None] = mapped_column(ForeignKey("people.id", ondelete="CASCADE"))
    answered_at: Mapped[datetime | None] = mapped_column(UtcDateTime())


class FeedbackTextRow(Base):
    """A written answer: named (person) or anonymous (none); no time, a random id."""

    __tablename__ = "feedback_texts"
    __table_args__ = (_NO_ROWID,)
    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    round_id: Mapped[int] = mapped_column(
        ForeignKey("feedback_rounds.id", ondelete="CASCADE"), index=True
    )
    kind: Mapped[str] = mapped_column(String(8))
    text: Mapped[str] = mapped_column(Text)
    key: Mapped[str] = mapped_column(String(220))
    person_id: Mapped[int | None] = mapped_column(ForeignKey("people.id", ondelete="CASCADE"))


class FeedbackIdeaRow(Base):
    """An instructor's mark on one of the group's ideas (the ideas come from feedback_texts)."""

    __tablename__ = "feedback_ideas"
    group_id: Mapped[int] = mapped_column(
        ForeignKey("groups.id", ondelete="CASCADE"), primary_key=True
    )
    key: Mapped[str] = mapped_column(String(220), primary_key=True)
    used: Mapped[bool] = mapped_column(Boolean)
    planned_for: Mapped[date | None] = mapped_column(Date)
    changed_at: Mapped[datetime] = mapped_column(UtcDateTime())
    changed_by: Mapped[int | None] = mapped_column(ForeignKey("people.id", ondelete="SET NULL"))


class FeedbackSettingsRow(Base):
    __tablename__ = "feedback_settings"
    group_id: Mapped[int] = mapped_column(
        ForeignKey("groups.id", ondelete="CASCADE"), primary_key=True
    )
    anonymous: Mapped[bool] = mapped_column(Boolean)
    reminder: Mapped[bool] = mapped_column(Boolean)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime())
    updated_by: Mapped[int | None] = mapped_column(ForeignKey("people.id", ondelete="SET NULL"))


async def _hold_round(s: AsyncSession, round_id: int) -> None:
    """Take the round's lock for an anonymous write: they run one at a time in a round (the
    lock lets named answers, and the foreign keys' checks, go on meanwhile)."""
    await s.execute(
        select(FeedbackRoundRow.id)
        .where(FeedbackRoundRow.id == round_id)
        .with_for_update(key_share=True)
    )


async def _round_and_record(
    s: AsyncSession, round_id: int, person_id: int, at: datetime | None, *, lock: bool
) -> tuple[bool, Any]:
    """Whether the round has closed by `at` (or is gone; never when `at` is None) and the
    person's has-answered record (None: not answered), in one read. lock: take the round's
    lock too (anonymous writes run one at a time in a round; named answers and the foreign
    keys' checks go on meanwhile)."""
    query = (
        select(
            FeedbackRoundRow.closes_at,
            FeedbackAnsweredRow.anonymous,
            FeedbackAnsweredRow.commented,
        )
        .select_from(FeedbackRoundRow)
        .outerjoin(
            FeedbackAnsweredRow,
            and_(
                FeedbackAnsweredRow.round_id == FeedbackRoundRow.id,
                FeedbackAnsweredRow.person_id == person_id,
            ),
        )
        .where(FeedbackRoundRow.id == round_id)
    )
    if lock:
        query = query.with_for_update(key_share=True, of=FeedbackRoundRow)
    row = (await s.execute(query)).first()
    if row is None:
        return at is not None, None
    closed = at is not None and row.closes_at <= at
    return closed, (row if row.anonymous is not None else None)


def _stamps_rows(s: AsyncSession) -> bool:
    """PostgreSQL marks each row with the transaction that wrote it (SQLite does not)."""
    return s.get_bind().dialect.name != "sqlite"


# each statement takes a table's anonymous rows out and puts them back (with the new one, if
# any) in key order, in one trip: PostgreSQL lets a statement insert what its WITH deleted
_REWRITE_ANSWERED = sql(
    """
    WITH moved AS (
        DELETE FROM feedback_answered WHERE round_id = :round_id AND anonymous
        RETURNING person_id, commented)
    INSERT INTO feedback_answered (round_id, person_id, anonymous, commented)
    SELECT CAST(:round_id AS INTEGER), person_id, true, commented FROM (
        SELECT person_id, commented FROM moved
        UNION ALL
        SELECT CAST(:person_id AS INTEGER), false WHERE CAST(:add AS BOOLEAN)
    ) AS kept ORDER BY person_id
    """
)
_REWRITE_SCORES = sql(
    """
    WITH moved AS (
        DELETE FROM feedback_answers WHERE round_id = :round_id AND person_id IS NULL
        RETURNING id, score)
    INSERT INTO feedback_answers (id, round_id, score, person_id, answered_at)
    SELECT id, CAST(:round_id AS INTEGER), score, NULL, NULL FROM (
        SELECT id, score FROM moved
        UNION ALL
        SELECT CAST(:id AS VARCHAR), CAST(:score AS INTEGER) WHERE CAST(:add AS BOOLEAN)
    ) AS kept ORDER BY id
    """
)
_REWRITE_TEXTS = sql(
    """
    WITH moved AS (
        DELETE FROM feedback_texts WHERE round_id = :round_id AND person_id IS NULL
        RETURNING id, kind, text, key)
    INSERT INTO feedback_texts (id, round_id, kind, text, key, person_id)
    SELECT id, CAST(:round_id AS INTEGER), kind, text, key, NULL FROM moved ORDER BY id
    """
)


async def _scatter(
    s: AsyncSession,
    round_id: int,
    *,
    person_id: int | None = None,
    score: tuple[str, int] | None = None,
) -> None:
    """Write the round's anonymous has-answered records and anonymous rows anew, in this
    transaction (PostgreSQL only).

    PostgreSQL stamps each row with the transaction that wrote it (xmin) and keeps rows in the
    order they were written: the anonymous score (or words) and the has-answered record written
    together would carry the same stamp. Rewritten, every anonymous has-answered record and
    every anonymous row of the round carries this transaction's stamp, in the order of person
    and of random id. (A named record is its person's anyway: it is left as it is.) SQLite
    keeps these tables in key order (WITHOUT ROWID) and marks no row with its writer.

    person_id: a new anonymous has-answered record; score: a new anonymous score (its id and
    number); both written with the rest (a record someone else wrote meanwhile makes the
    statement fail: the caller decides again).
    """
    await s.execute(
        _REWRITE_ANSWERED,
        {"round_id": round_id, "person_id": person_id or 0, "add": person_id is not None},
    )
    new_id, number = score if score is not None else ("", 0)
    await s.execute(
        _REWRITE_SCORES,
        {"round_id": round_id, "id": new_id, "score": number, "add": score is not None},
    )
    await s.execute(_REWRITE_TEXTS, {"round_id": round_id})


class _Again(Exception):
    """Another transaction wrote the same person's answer meanwhile: decide again."""


def _new_id() -> str:
    return secrets.token_hex(16)


def _round(row: FeedbackRoundRow) -> Round:
    return Round(
        id=row.id,
        group_id=row.group_id,
        day=row.day,
        conversation_id=row.conversation_id,
        opened_at=row.opened_at,
        opened_by=row.opened_by,
        trigger=Trigger(row.trigger),
        closes_at=row.closes_at,
        anonymous_default=row.anonymous_default,
        remind_at=row.remind_at,
        reminded_at=row.reminded_at,
    )


def _sorted_texts(texts: Sequence[FeedbackText]) -> tuple[FeedbackText, ...]:
    return tuple(sorted(texts, key=lambda t: (t.kind.value, t.text, t.name or "")))


def _text_values(round_id: int, person_id: int | None, text: FeedbackText) -> dict[str, Any]:
    return {
        "id": _new_id(),
        "round_id": round_id,
        "kind": text.kind.value,
        "text": text.text,
        "key": idea_key(text.kind, text.text),
        "person_id": person_id,
    }


async def _answered_row(s: AsyncSession, round_id: int, person_id: int) -> Any:
    return (
        await s.execute(
            select(FeedbackAnsweredRow.anonymous, FeedbackAnsweredRow.commented).where(
                FeedbackAnsweredRow.round_id == round_id,
                FeedbackAnsweredRow.person_id == person_id,
            )
        )
    ).first()


async def _insert_answered(s: AsyncSession, round_id: int, person_id: int, anonymous: bool) -> None:
    """The "has answered" record, or _Again when another transaction wrote it first."""
    inserted = await s.execute(
        insert_ignoring(FeedbackAnsweredRow, "round_id", "person_id")
        .values(round_id=round_id, person_id=person_id, anonymous=anonymous, commented=False)
        .returning(FeedbackAnsweredRow.person_id)
    )
    if not inserted.all():
        raise _Again


async def _hold_named(s: AsyncSession, round_id: int, person_id: int, **values: Any) -> None:
    """Lock the person's named record (optionally changing it), or _Again when it is not one."""
    result = await s.execute(
        update(FeedbackAnsweredRow)
        .where(
            FeedbackAnsweredRow.round_id == round_id,
            FeedbackAnsweredRow.person_id == person_id,
            FeedbackAnsweredRow.anonymous.is_(False),
        )
        .values(anonymous=False, **values)
    )
    if getattr(result, "rowcount", 0) != 1:
        raise _Again


async def _named_texts(s: AsyncSession, round_id: int, person_id: int) -> list[FeedbackText]:
    rows = await s.execute(
        select(FeedbackTextRow.kind, FeedbackTextRow.text).where(
            FeedbackTextRow.round_id == round_id, FeedbackTextRow.person_id == person_id
        )
    )
    return [FeedbackText(TextKind(kind), text) for kind, text in rows]


class SqlFeedbackStore:
    """FeedbackStore on SQLAlchemy; every method is one transaction (or one read)."""

    def __init__(self, db: Database) -> None:
        self._db = db

    # --- rounds ----------------------------------------------------------------------------

    async def open_round(self, wanted: Round) -> tuple[Round, bool]:
        """The group's round of wanted.day: stored now (True) or the one already there (False)."""
        async with self._db.write() as s:
            inserted = (
                await s.execute(
                    insert_ignoring(FeedbackRoundRow, "group_id", "day")
                    .values(
                        group_id=wanted.group_id,
                        day=wanted.day,
                        conversation_id=wanted.conversation_id,
                        opened_at=wanted.opened_at,
                        opened_by=wanted.opened_by,
                        trigger=wanted.trigger.value,
                        closes_at=wanted.closes_at,
                        anonymous_default=wanted.anonymous_default,
                        remind_at=wanted.remind_at,
                        reminded_at=wanted.reminded_at,
                    )
                    .returning(FeedbackRoundRow.id)
                )
            ).scalar_one_or_none()
            if inserted is not None:
                return replace(wanted, id=inserted), True
            existing = (
                await s.execute(
                    select(FeedbackRoundRow).where(
                        FeedbackRoundRow.group_id == wanted.group_id,
                        FeedbackRoundRow.day == wanted.day,
                    )
                )
            ).scalar_one()
            return _round(existing), False

    async def round(self, round_id: int) -> Round | None:
        """One round."""
        async with self._db.read() as s:
            row = await s.get(FeedbackRoundRow, round_id)
            return _round(row) if row else None

    async def round_of(self, group_id: int, day: date) -> Round | None:
        """The group's round of the day, if feedback was asked."""
        async with self._db.read() as s:
            row = (
                await s.execute(
                    select(FeedbackRoundRow).where(
                        FeedbackRoundRow.group_id == group_id, FeedbackRoundRow.day == day
                    )
                )
            ).scalar_one_or_none()
            return _round(row) if row else None

    async def close(self, round_id: int, at: datetime) -> bool:
        """Answers end at `at`; False when the round had closed already."""
        async with self._db.write() as s:
            result = await s.execute(
                update(FeedbackRoundRow)
                .where(FeedbackRoundRow.id == round_id, FeedbackRoundRow.closes_at > at)
                .values(closes_at=at)
            )
            return getattr(result, "rowcount", 0) == 1

    # --- asking and reminding ----------------------------------------------------------------

    async def add_prompts(
        self, round_id: int, prompts: Sequence[tuple[int, OutboxMessage]]
    ) -> list[int]:
        """Record who was asked and queue their cards, at once; those asked before are skipped."""
        cards: dict[int, OutboxMessage] = {}
        for person_id, message in prompts:
            cards.setdefault(person_id, message)
        if not cards:
            return []
        async with self._db.write() as s:
            inserted = await s.execute(
                insert_ignoring(FeedbackPromptRow, "round_id", "person_id")
                .values([{"round_id": round_id, "person_id": pid} for pid in cards])
                .returning(FeedbackPromptRow.person_id)
            )
            new = set(inserted.scalars().all())
            asked = [pid for pid in cards if pid in new]
            now = utcnow()
            for pid in asked:
                await add_to_outbox(s, cards[pid], now)
            return asked

    async def asked(self, round_id: int) -> frozenset[int]:
        """The people sent the card in this round."""
        async with self._db.read() as s:
            rows = await s.execute(
                select(FeedbackPromptRow.person_id).where(FeedbackPromptRow.round_id == round_id)
            )
            return frozenset(rows.scalars().all())

    async def unanswered(self, round_id: int) -> list[int]:
        """The people asked who have not answered, by id."""
        async with self._db.read() as s:
            rows = await s.execute(
                select(FeedbackPromptRow.person_id)
                .outerjoin(
                    FeedbackAnsweredRow,
                    (FeedbackAnsweredRow.round_id == FeedbackPromptRow.round_id)
                    & (FeedbackAnsweredRow.person_id == FeedbackPromptRow.person_id),
                )
                .where(
                    FeedbackPromptRow.round_id == round_id,
                    FeedbackAnsweredRow.person_id.is_(None),
                )
                .order_by(FeedbackPromptRow.person_id)
            )
            return list(rows.scalars().all())

    async def reminders_due(self, now: datetime) -> list[Round]:
        """Open rounds whose reminder time has come and that have not been reminded."""
        async with self._db.read() as s:
            rows = await s.execute(
                select(FeedbackRoundRow)
                .where(
                    FeedbackRoundRow.remind_at.is_not(None),
                    FeedbackRoundRow.remind_at <= now,
                    FeedbackRoundRow.reminded_at.is_(None),
                    FeedbackRoundRow.closes_at > now,
                )
                .order_by(FeedbackRoundRow.id)
            )
            return [_round(r) for r in rows.scalars()]

    async def mark_reminded(
        self, round_id: int, at: datetime, messages: Sequence[OutboxMessage]
    ) -> bool:
        """Mark the round reminded and queue the reminders, once (False: it was already)."""
        async with self._db.write() as s:
            result = await s.execute(
                update(FeedbackRoundRow)
                .where(FeedbackRoundRow.id == round_id, FeedbackRoundRow.reminded_at.is_(None))
                .values(reminded_at=at)
            )
            if getattr(result, "rowcount", 0) != 1:
                return False
            now = utcnow()
            for message in messages:
                await add_to_outbox(s, message, now)
            return True

    # --- answers -----------------------------------------------------------------------------

    async def _decided(
        self, what: str, decide: Callable[[AsyncSession], Awaitable[Outcome]]
    ) -> Outcome:
        """One transaction that decides and writes, decided again when another transaction
        wrote the same person's record first."""
        for _ in range(_ATTEMPTS):
            try:
                async with self._db.write() as s:
                    return await decide(s)
            except (_Again, IntegrityError):
                continue
        raise ConcurrentUpdate(what)

    async def answer_named(
        self, round_id: int, person_id: int, score: int, at: datetime
    ) -> Outcome:
        """Store or replace the person's named answer; ANONYMOUS_ALREADY after an anonymous one."""
        return await self._decided(
            f"feedback answer in round {round_id}",
            lambda s: self._answer_named(s, round_id, person_id, score, at),
        )

    async def _answer_named(
        self, s: AsyncSession, round_id: int, person_id: int, score: int, at: datetime
    ) -> Outcome:
        closed, record = await _round_and_record(s, round_id, person_id, at, lock=False)
        if closed:
            return Outcome.CLOSED
        if record is not None and record.anonymous:
            return Outcome.ANONYMOUS_ALREADY
        if record is None:
            await _insert_answered(s, round_id, person_id, anonymous=False)
            await s.execute(
                insert(FeedbackAnswerRow).values(
                    id=_new_id(),
                    round_id=round_id,
                    score=score,
                    person_id=person_id,
                    answered_at=at,
                )
            )
            return Outcome.STORED
        await _hold_named(s, round_id, person_id)
        before = (
            await s.execute(
                select(FeedbackAnswerRow.score).where(
                    FeedbackAnswerRow.round_id == round_id,
                    FeedbackAnswerRow.person_id == person_id,
                )
            )
        ).scalar_one_or_none()
        if before == score:
            return Outcome.SAME
        if before is None:
            await s.execute(
                insert(FeedbackAnswerRow).values(
                    id=_new_id(),
                    round_id=round_id,
                    score=score,
                    person_id=person_id,
                    answered_at=at,
                )
            )
        else:
            await s.execute(
                update(FeedbackAnswerRow)
                .where(
                    FeedbackAnswerRow.round_id == round_id,
                    FeedbackAnswerRow.person_id == person_id,
                )
                .values(score=score, answered_at=at)
            )
        return Outcome.REPLACED

    async def answer_anonymous(
        self, round_id: int, person_id: int, score: int, at: datetime | None = None
    ) -> Outcome:
        """Store a score unlinked and that the person answered, in one transaction (see port)."""
        return await self._decided(
            f"feedback answer in round {round_id}",
            lambda s: self._answer_anonymous(s, round_id, person_id, score, at),
        )

    async def _answer_anonymous(
        self, s: AsyncSession, round_id: int, person_id: int, score: int, at: datetime | None
    ) -> Outcome:
        closed, record = await _round_and_record(s, round_id, person_id, at, lock=True)
        if closed:
            return Outcome.CLOSED
        if record is not None and record.anonymous:
            return Outcome.ANONYMOUS_ALREADY
        stamps = _stamps_rows(s)
        new_record: int | None = None
        if record is None:
            if stamps:
                new_record = person_id  # written in the rewrite below
            else:
                await _insert_answered(s, round_id, person_id, anonymous=True)
            outcome = Outcome.STORED
        else:
            # the named answer and its words go; the words may be given again, anonymously
            result = await s.execute(
                update(FeedbackAnsweredRow)
                .where(
                    FeedbackAnsweredRow.round_id == round_id,
                    FeedbackAnsweredRow.person_id == person_id,
                    FeedbackAnsweredRow.anonymous.is_(False),
                )
                .values(anonymous=True, commented=False)
            )
            if getattr(result, "rowcount", 0) != 1:
                raise _Again
            for table in (FeedbackAnswerRow, FeedbackTextRow):
                await s.execute(
                    delete(table).where(table.round_id == round_id, table.person_id == person_id)
                )
            outcome = Outcome.REPLACED
        new_id = _new_id()
        if stamps:
            # written with the rest of the round's rows, in the rewrite (see _scatter)
            await _scatter(s, round_id, person_id=new_record, score=(new_id, score))
        else:
            await s.execute(
                insert(FeedbackAnswerRow).values(
                    id=new_id, round_id=round_id, score=score, person_id=None, answered_at=None
                )
            )
        return outcome

    async def comment(
        self, round_id: int, person_id: int, texts: Sequence[FeedbackText]
    ) -> Outcome:
        """The person's written answers: named ones replace the earlier, anonymous ones once.

        Someone who has not answered has nothing to add words to: nothing is written (SAME).
        """
        return await self._decided(
            f"feedback texts in round {round_id}",
            lambda s: self._comment(s, round_id, person_id, texts),
        )

    async def _comment(
        self, s: AsyncSession, round_id: int, person_id: int, texts: Sequence[FeedbackText]
    ) -> Outcome:
        record = await _answered_row(s, round_id, person_id)
        if record is None:
            return Outcome.SAME
        if record.anonymous:
            await _hold_round(s, round_id)
            result = await s.execute(
                update(FeedbackAnsweredRow)
                .where(
                    FeedbackAnsweredRow.round_id == round_id,
                    FeedbackAnsweredRow.person_id == person_id,
                    FeedbackAnsweredRow.anonymous.is_(True),
                    FeedbackAnsweredRow.commented.is_(False),
                )
                .values(commented=True)
            )
            if getattr(result, "rowcount", 0) != 1:
                return Outcome.ANONYMOUS_ALREADY
            if texts:
                await s.execute(
                    insert(FeedbackTextRow), [_text_values(round_id, None, t) for t in texts]
                )
            if _stamps_rows(s):
                await _scatter(s, round_id)
            return Outcome.STORED
        await _hold_named(s, round_id, person_id, commented=True)
        new = sorted((t.kind.value, t.text) for t in texts)
        before = sorted((t.kind.value, t.text) for t in await _named_texts(s, round_id, person_id))
        if record.commented and new == before:
            return Outcome.SAME
        await s.execute(
            delete(FeedbackTextRow).where(
                FeedbackTextRow.round_id == round_id, FeedbackTextRow.person_id == person_id
            )
        )
        if texts:
            await s.execute(
                insert(FeedbackTextRow), [_text_values(round_id, person_id, t) for t in texts]
            )
        return Outcome.REPLACED if record.commented else Outcome.STORED

    async def answered(self, round_id: int, person_id: int) -> Answered | None:
        """The person's own record in the round: None when they have not answered."""
        async with self._db.read() as s:
            record = await _answered_row(s, round_id, person_id)
            if record is None:
                return None
            if record.anonymous:
                return Answered(anonymous=True, commented=record.commented)
            score = (
                await s.execute(
                    select(FeedbackAnswerRow.score).where(
                        FeedbackAnswerRow.round_id == round_id,
                        FeedbackAnswerRow.person_id == person_id,
                    )
                )
            ).scalar_one_or_none()
            texts = await _named_texts(s, round_id, person_id)
            return Answered(
                anonymous=False,
                commented=record.commented,
                score=score,
                texts=_sorted_texts(texts),
            )

    async def results(self, round_id: int) -> Results:
        """Every answer of the round (scores sorted, texts sorted, names only of named ones)."""
        async with self._db.write() as s:  # one transaction: the parts agree
            row = await s.get(FeedbackRoundRow, round_id)
            if row is None:
                raise LookupError(f"no feedback round {round_id}")
            answers = (
                await s.execute(
                    select(FeedbackAnswerRow.score, PersonRow.name)
                    .outerjoin(PersonRow, PersonRow.id == FeedbackAnswerRow.person_id)
                    .where(FeedbackAnswerRow.round_id == round_id)
                )
            ).all()
            texts = (
                await s.execute(
                    select(FeedbackTextRow.kind, FeedbackTextRow.text, PersonRow.name)
                    .outerjoin(PersonRow, PersonRow.id == FeedbackTextRow.person_id)
                    .where(FeedbackTextRow.round_id == round_id)
                )
            ).all()
            asked = (
                await s.execute(
                    select(func.count())
                    .select_from(FeedbackPromptRow)
                    .where(FeedbackPromptRow.round_id == round_id)
                )
            ).scalar_one()
            # the counts of answers no longer stored (purged, or of a person erased)
            kept = row.summary or {}
            gone = [int(k) for k, n in kept.get("scores", {}).items() for _ in range(int(n))]
            return Results(
                round=_round(row),
                scores=tuple(sorted([*(score for score, _ in answers), *gone])),
                texts=_sorted_texts(
                    [FeedbackText(TextKind(kind), text, name) for kind, text, name in texts]
                ),
                asked=int(asked) + int(kept.get("asked", 0)),
                named=tuple(sorted((name, score) for score, name in answers if name is not None)),
            )

    # --- settings ----------------------------------------------------------------------------

    async def settings(self, group_id: int) -> Settings:
        """The group's settings (the defaults when never changed)."""
        async with self._db.read() as s:
            row = await s.get(FeedbackSettingsRow, group_id)
            if row is None:
                return Settings()
            return Settings(anonymous=row.anonymous, reminder=row.reminder)

    async def save_settings(
        self, group_id: int, settings: Settings, by: int | None, at: datetime
    ) -> None:
        """Store the group's settings."""
        values = {
            "anonymous": settings.anonymous,
            "reminder": settings.reminder,
            "updated_at": at,
            "updated_by": by,
        }
        async with self._db.write() as s:
            inserted = await s.execute(
                insert_ignoring(FeedbackSettingsRow, "group_id")
                .values(group_id=group_id, **values)
                .returning(FeedbackSettingsRow.group_id)
            )
            if not inserted.all():
                await s.execute(
                    update(FeedbackSettingsRow)
                    .where(FeedbackSettingsRow.group_id == group_id)
                    .values(**values)
                )

    # --- ideas -------------------------------------------------------------------------------

    async def ideas(self, group_id: int) -> list[Idea]:
        """The group's ideas over every round, counted once per key; unused first, then by
        count, then the most recent day."""
        async with self._db.write() as s:  # one transaction: texts and marks agree
            rows = (
                await s.execute(
                    select(
                        FeedbackTextRow.key,
                        FeedbackTextRow.kind,
                        FeedbackTextRow.text,
                        FeedbackRoundRow.day,
                    )
                    .join(FeedbackRoundRow, FeedbackRoundRow.id == FeedbackTextRow.round_id)
                    .where(
                        FeedbackRoundRow.group_id == group_id,
                        FeedbackTextRow.kind.in_(_IDEA_KINDS),
                    )
                )
            ).all()
            marks = {
                m.key: m
                for m in (
                    await s.execute(
                        select(FeedbackIdeaRow).where(FeedbackIdeaRow.group_id == group_id)
                    )
                ).scalars()
            }
        found: dict[str, list[tuple[date, str, str]]] = {}
        for key, kind, text, day in rows:
            found.setdefault(key, []).append((day, kind, text))
        ideas = []
        for key, seen in found.items():
            _, kind, text = min(seen)  # as first written
            days = tuple(sorted({day for day, _, _ in seen}))
            mark = marks.get(key)
            ideas.append(
                Idea(
                    key=key,
                    kind=TextKind(kind),
                    text=text,
                    count=len(seen),
                    last_day=days[-1],
                    used=bool(mark and mark.used),
                    planned_for=mark.planned_for if mark else None,
                    days=days,
                )
            )
        ideas.sort(key=lambda i: (i.used, -i.count, -i.last_day.toordinal(), i.key))
        return ideas

    async def mark_idea(
        self,
        group_id: int,
        key: str,
        at: datetime,
        by: int | None,
        *,
        used: bool | None = None,
        planned_for: date | None = None,
    ) -> bool:
        """Mark an idea used (or not), or planned for a day; False when the group has no such
        idea."""
        async with self._db.write() as s:
            known = (
                await s.execute(
                    select(FeedbackTextRow.id)
                    .join(FeedbackRoundRow, FeedbackRoundRow.id == FeedbackTextRow.round_id)
                    .where(
                        FeedbackRoundRow.group_id == group_id,
                        FeedbackTextRow.key == key,
                        FeedbackTextRow.kind.in_(_IDEA_KINDS),
                    )
                    .limit(1)
                )
            ).first()
            if known is None:
                return False
            changes: dict[str, Any] = {"changed_at": at, "changed_by": by}
            if used is not None:
                changes["used"] = used
            if planned_for is not None:
                changes["planned_for"] = planned_for
            inserted = await s.execute(
                insert_ignoring(FeedbackIdeaRow, "group_id", "key")
                .values(
                    group_id=group_id,
                    key=key,
                    used=bool(used),
                    planned_for=planned_for,
                    changed_at=at,
                    changed_by=by,
                )
                .returning(FeedbackIdeaRow.key)
            )
            if not inserted.all():
                await s.execute(
                    update(FeedbackIdeaRow)
                    .where(FeedbackIdeaRow.group_id == group_id, FeedbackIdeaRow.key == key)
                    .values(**changes)
                )
            return True
