"""Every table's retention rule, the purge, and a person's data: export and erasure.

REGISTRY classifies each table in Base.metadata: its data type (domain.retention.DataType),
which of its rows are due for purging, and how its rows concern a person (the columns holding a
person's id and what erasure does with each, rows in the person's own 1:1 chats, their AAD
object id). A new table is one entry here; tests/contract/test_retention.py fails for a table
that has none, and for a column pointing at people that the entry does not name.
"""

from __future__ import annotations

import enum
import logging
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Date,
    Select,
    Table,
    and_,
    delete,
    false,
    func,
    or_,
    select,
    union,
    update,
)
from sqlalchemy.ext.asyncio import AsyncSession

import store.days
import store.digest
import store.exports
import store.feedback
import store.outbox
import store.rollcall
import store.tutorial  # noqa: F401  (the imports register the tables)
from domain.model import ConversationKind
from domain.outbox import OutboxStatus
from domain.retention import DataType, Limits, years_after
from store.db import Database
from store.tables import AuditRow, Base, ConversationRow, PersonRow

log = logging.getLogger(__name__)

PURGE_ACTION = "retention.purge"
ERASE_ACTION = "person.erased"
EXPORT_ACTION = "person.exported"
ERASED_NAME = "Poistettu henkilö #{id}"


class Erase(enum.StrEnum):
    """What erasing a person does with a row that names them."""

    DELETE = "delete"  # theirs and not a statutory record: removed
    KEEP = "keep"  # a statutory record (attendance, audit): kept until its retention end
    FORGET = "forget"  # someone else's row that names them (who took, who opened): NULL


@dataclass(frozen=True)
class Scope:
    """What a rule's conditions are computed against: the moment and the limits."""

    now: datetime
    limits: Limits

    def cutoff(self, kind: DataType) -> datetime:
        return self.limits.cutoff(kind, self.now)

    def ended_people(self) -> Select[Any]:
        """Clients whose attendance is past its retention end today."""
        return select(PersonRow.id).where(
            PersonRow.service_ended_on < self.limits.ended_before(self.now.date())
        )

    def ended_upn(self) -> Select[Any]:
        """The UPNs (lower case) of clients whose attendance is past its retention end today."""
        return select(func.lower(PersonRow.upn)).where(
            PersonRow.service_ended_on < self.limits.ended_before(self.now.date()),
            PersonRow.upn.is_not(None),
        )

    def ended_aad(self) -> Select[Any]:
        return select(PersonRow.aad_object_id).where(
            PersonRow.service_ended_on < self.limits.ended_before(self.now.date()),
            PersonRow.aad_object_id.is_not(None),
        )


Due = Callable[[Table, Scope], ColumnElement[bool]]
About = Callable[[Table, int, Sequence[str]], ColumnElement[bool]]


@dataclass(frozen=True)
class Rule:
    """One table's retention and its relation to a person."""

    kind: DataType
    # the rows due for purging; None: never purged by age (kept while in use)
    due: Due | None = None
    # the column telling a row's age, for "oldest kept"
    moment: str | None = None
    # columns holding a person's id, and what erasure does with each
    person: Mapping[str, Erase] = field(default_factory=dict)
    # a column holding a conversation id: rows in the person's own 1:1 chats are theirs
    chat: str | None = None
    # a column holding an AAD object id: rows with the person's are theirs
    aad: str | None = None
    # any other way a row is about the person (person id, their 1:1 chat ids)
    about: About | None = None
    # a JSON column {key: [person ids]} of a kept row (a day's "I'm back" taps): emptied after
    # the dialog retention (counted from `moment`), the person taken out by erasure
    taps: str | None = None

    @property
    def statutory(self) -> bool:
        return self.kind in (DataType.ATTENDANCE, DataType.AUDIT)


def older(column: str, kind: DataType) -> Due:
    """Rows whose column (a time, or a day) is before kind's cutoff."""

    def due(t: Table, scope: Scope) -> ColumnElement[bool]:
        cutoff = scope.cutoff(kind)
        return t.c[column] < (cutoff.date() if isinstance(t.c[column].type, Date) else cutoff)

    return due


def of_ended_clients(column: str = "person_id") -> Due:
    """Attendance rows of clients whose service ended more than the retention ago."""
    return lambda t, scope: t.c[column].in_(scope.ended_people())


def as_attendance_by_aad(aad: str, day: str, email: str | None = None) -> Due:
    """Copies of attendance (Teams' attendance reports) matched to people by AAD object id, or
    by e-mail address against the UPN of someone whose object id the record does not name: a
    client's go with their attendance; those of nobody known (a guest, say) go the audit log's
    time after their day."""
    older_day = older(day, DataType.AUDIT)

    def due(t: Table, scope: Scope) -> ColumnElement[bool]:
        known = select(PersonRow.aad_object_id).where(PersonRow.aad_object_id.is_not(None))
        unknown_aad = or_(t.c[aad].is_(None), t.c[aad].not_in(known))
        if email is None:
            return or_(t.c[aad].in_(scope.ended_aad()), and_(unknown_aad, older_day(t, scope)))
        upns = select(func.lower(PersonRow.upn)).where(PersonRow.upn.is_not(None))
        by_email = func.lower(t.c[email])
        return or_(
            t.c[aad].in_(scope.ended_aad()),
            and_(unknown_aad, by_email.in_(scope.ended_upn())),
            and_(
                unknown_aad,
                or_(t.c[email].is_(None), by_email.not_in(upns)),
                older_day(t, scope),
            ),
        )

    return due


def _email_about(column: str) -> About:
    """Rows whose e-mail address is the person's UPN."""

    def about(t: Table, person_id: int, chats: Sequence[str]) -> ColumnElement[bool]:
        upn = select(func.lower(PersonRow.upn)).where(PersonRow.id == person_id)
        return func.lower(t.c[column]) == upn.scalar_subquery()

    return about


def in_old_rounds(t: Table, scope: Scope) -> ColumnElement[bool]:
    """Rows of feedback rounds whose group day is older than the feedback retention."""
    return t.c.round_id.in_(select(_ROUNDS.c.id).where(_old_round(scope)))


def _old_round(scope: Scope) -> ColumnElement[bool]:
    return _ROUNDS.c.day < scope.cutoff(DataType.FEEDBACK).date()


def _outbox_due(t: Table, scope: Scope) -> ColumnElement[bool]:
    cutoff = scope.cutoff(DataType.OUTBOX)
    return or_(
        and_(t.c.status == OutboxStatus.SENT.value, t.c.sent_at < cutoff),
        and_(t.c.status == OutboxStatus.DEAD.value, t.c.next_attempt_at < cutoff),
    )


def _progress_due(t: Table, scope: Scope) -> ColumnElement[bool]:
    latest = func.coalesce(t.c.updated_at, t.c.completed_at, t.c.started_at)
    return latest < scope.cutoff(DataType.HELP)


def _state_about(t: Table, person_id: int, chats: Sequence[str]) -> ColumnElement[bool]:
    mine = and_(t.c.scope == "person", t.c.key == str(person_id))
    if not chats:
        return mine
    return or_(mine, and_(t.c.scope == "conversation", t.c.key.in_(chats)))


def _audit_about(t: Table, person_id: int, chats: Sequence[str]) -> ColumnElement[bool]:
    return t.c.subject == f"person:{person_id}"


A, K, F = Erase.DELETE, Erase.KEEP, Erase.FORGET
ATTENDANCE, FEEDBACK, HELP = DataType.ATTENDANCE, DataType.FEEDBACK, DataType.HELP

# every table: one line each (a new table needs its line, or the tests fail)
REGISTRY: dict[str, Rule] = {
    # the organisation and its configuration
    "units": Rule(DataType.KEPT),
    "groups": Rule(DataType.KEPT),
    "people": Rule(DataType.KEPT),  # erasure pseudonymises the row (below)
    "memberships": Rule(DataType.KEPT, person={"person_id": A}),
    "conversations": Rule(DataType.KEPT, person={"person_id": A}),
    "app_secrets": Rule(DataType.KEPT),
    "plans": Rule(DataType.KEPT),
    "weekly_schedules": Rule(DataType.KEPT),
    "group_days": Rule(DataType.KEPT, moment="date", taps="backs"),
    "roll_calls": Rule(DataType.KEPT, person={"opened_by": F, "cancelled_by": F}),
    "feedback_rounds": Rule(DataType.KEPT, person={"opened_by": F}),  # holds the aggregate
    "feedback_settings": Rule(DataType.KEPT, person={"updated_by": F}),
    # statutory records
    "attendance_marks": Rule(ATTENDANCE, of_ended_clients(), "at", {"person_id": K}),
    "attendance_checkouts": Rule(ATTENDANCE, of_ended_clients(), "at", {"person_id": K}),
    "attendance_changes": Rule(ATTENDANCE, of_ended_clients(), "at", {"person_id": K, "by": K}),
    "audit_log": Rule(
        DataType.AUDIT,
        older("at", DataType.AUDIT),
        "at",
        {"actor_person_id": K},
        about=_audit_about,
    ),
    # the rest, by age
    "feedback_prompts": Rule(FEEDBACK, in_old_rounds, person={"person_id": A}),
    "feedback_answered": Rule(FEEDBACK, in_old_rounds, person={"person_id": A}),
    "feedback_answers": Rule(FEEDBACK, in_old_rounds, "answered_at", {"person_id": A}),
    "feedback_texts": Rule(FEEDBACK, in_old_rounds, person={"person_id": A}),
    "feedback_ideas": Rule(
        FEEDBACK, older("changed_at", FEEDBACK), "changed_at", {"changed_by": F}
    ),
    "help_requests": Rule(
        HELP,
        older("created_at", HELP),
        "created_at",
        {"person_id": A, "taken_by": F, "resolved_by": F},
    ),
    "tutorial_progress": Rule(HELP, _progress_due, "updated_at", {"person_id": A}),
    "dialog_state": Rule(
        DataType.DIALOG, older("updated_at", DataType.DIALOG), "updated_at", about=_state_about
    ),
    "processed_activities": Rule(
        DataType.INBOX,
        older("received_at", DataType.INBOX),
        "received_at",
        chat="conversation_id",
    ),
    "outbox": Rule(DataType.OUTBOX, _outbox_due, "created_at", chat="conversation_id"),
    "export_links": Rule(
        DataType.EXPORT_LINKS,
        older("expires_at", DataType.EXPORT_LINKS),
        "expires_at",
        {"person_id": A},
    ),
    "digest_sent": Rule(
        DataType.DIGEST, older("sent_at", DataType.DIGEST), "sent_at", {"person_id": A}
    ),
    # Teams' attendance reports: the copy goes with the client's attendance, the meeting's
    # poll state (a group day's, naming its organizer) after the audit log's time
    "graph_attendance": Rule(
        ATTENDANCE,
        as_attendance_by_aad("aad_object_id", "day", "email"),
        "fetched_at",
        aad="aad_object_id",
        about=_email_about("email"),
    ),
    "graph_meetings": Rule(ATTENDANCE, older("day", DataType.AUDIT), "day", aad="organizer_id"),
}

_ROUNDS = Base.metadata.tables["feedback_rounds"]


def table(name: str) -> Table:
    return Base.metadata.tables[name]


def unclassified() -> list[str]:
    """Tables with no rule, and person columns (foreign keys to people) a rule does not name."""
    missing: list[str] = []
    for name, t in Base.metadata.tables.items():
        rule = REGISTRY.get(name)
        if rule is None:
            missing.append(name)
            continue
        for column in t.columns:
            points = any(fk.column.table.name == "people" for fk in column.foreign_keys)
            if points and name != "people" and column.name not in rule.person:
                missing.append(f"{name}.{column.name}")
    missing.extend(
        f"{name} (no such table)" for name in REGISTRY if name not in Base.metadata.tables
    )
    return missing


# --- the purge ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class TypeReport:
    """One data type in `etapaiva retention show`."""

    kind: DataType
    rule: str
    due: int
    oldest_kept: datetime | None
    tables: Mapping[str, int]


def _when(value: Any) -> datetime | None:
    if value is None:
        return None
    if isinstance(value, datetime):
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value
    return datetime.combine(value, datetime.min.time(), UTC)


class SqlRetention:
    """The purge by the rules of REGISTRY, and a person's data."""

    def __init__(self, db: Database, limits: Limits) -> None:
        self._db = db
        self.limits = limits

    async def due(self, now: datetime) -> dict[str, int]:
        """How many rows of each table the purge would remove now."""
        scope = Scope(now, self.limits)
        counts: dict[str, int] = {}
        async with self._db.write() as s:  # one transaction: the counts agree
            for name, rule in REGISTRY.items():
                if rule.due is None:
                    continue
                t = table(name)
                counts[name] = int(
                    (
                        await s.execute(
                            select(func.count()).select_from(t).where(rule.due(t, scope))
                        )
                    ).scalar_one()
                )
            for name, rule in REGISTRY.items():
                if rule.taps is not None:
                    counts[f"{name}.{rule.taps}"] = len(await _old_taps(s, name, rule, scope))
        return counts

    async def report(self, now: datetime) -> list[TypeReport]:
        """Per data type: the rule, how many rows would go now, the oldest row kept."""
        scope = Scope(now, self.limits)
        due = await self.due(now)
        oldest: dict[DataType, datetime] = {}
        async with self._db.read() as s:
            for name, rule in REGISTRY.items():
                if rule.moment is None or rule.due is None or rule.taps is not None:
                    continue
                t = table(name)
                found = _when(
                    (
                        await s.execute(
                            select(func.min(t.c[rule.moment])).where(~rule.due(t, scope))
                        )
                    ).scalar()
                )
                if found is not None and (rule.kind not in oldest or found < oldest[rule.kind]):
                    oldest[rule.kind] = found
        reports = []
        for kind in DataType:
            tables = {n: c for n, c in due.items() if _kind_of(n) is kind}
            reports.append(
                TypeReport(
                    kind,
                    self.limits.rule(kind),
                    sum(tables.values()),
                    oldest.get(kind),
                    tables,
                )
            )
        return reports

    async def purge(self, now: datetime) -> dict[str, int]:
        """Remove every row past its retention, in one transaction; audited with the counts.

        A feedback round's counts are added to the round before its answers go.
        """
        scope = Scope(now, self.limits)
        removed: dict[str, int] = {}
        async with self._db.write() as s:
            old = select(_ROUNDS.c.id).where(_old_round(scope)).scalar_subquery()
            with_rows = union(
                *(
                    select(table(n).c.round_id).where(table(n).c.round_id.in_(old))
                    for n in _FEEDBACK_PARTS
                )
            )
            for round_id in list((await s.execute(with_rows)).scalars()):
                await _fold(s, round_id)
            for name, rule in REGISTRY.items():
                if rule.due is None:
                    continue
                t = table(name)
                result = await s.execute(delete(t).where(rule.due(t, scope)))
                removed[name] = int(getattr(result, "rowcount", 0) or 0)
            for name, rule in REGISTRY.items():
                if rule.taps is None:
                    continue
                t = table(name)
                keys = await _old_taps(s, name, rule, scope)
                for key in keys:
                    await s.execute(update(t).where(_key_is(t, key)).values({rule.taps: {}}))
                removed[f"{name}.{rule.taps}"] = len(keys)
            s.add(
                AuditRow(
                    at=now,
                    action=PURGE_ACTION,
                    subject="retention",
                    details={k: v for k, v in removed.items() if v},
                )
            )
        return removed

    async def last_purge(self) -> datetime | None:
        """When the purge last ran (its audit entry)."""
        async with self._db.read() as s:
            return _when(
                (
                    await s.execute(
                        select(func.max(AuditRow.at)).where(AuditRow.action == PURGE_ACTION)
                    )
                ).scalar()
            )

    # --- a person's data ----------------------------------------------------------------------

    def _audit_until(self, at: datetime | None) -> date | None:
        if at is None:
            return date.min
        return years_after(at.date(), self.limits.attendance_years)

    async def _kept_until(
        self, s: AsyncSession, name: str, t: Table, column: str, person_id: int
    ) -> date | None:
        """The last day the rows where column names the person are kept."""
        if name == "audit_log":
            newest = await s.execute(select(func.max(t.c.at)).where(t.c[column] == person_id))
            return self._audit_until(_when(newest.scalar()))
        # an attendance record is kept by its client's service end
        ends = (
            await s.execute(
                select(PersonRow.service_ended_on)
                .where(PersonRow.id.in_(select(t.c.person_id).where(t.c[column] == person_id)))
                .distinct()
            )
        ).scalars()
        last: date | None = date.min
        for ended in ends:
            last = _later(last, self.limits.kept_until(ended))
        return last

    async def find(self, ident: str) -> int | None:
        """A person's id from their id, UPN or AAD object id; None if nobody has it."""
        ident = ident.strip()
        if ident.isdigit():
            where: ColumnElement[bool] = PersonRow.id == int(ident)
        else:
            where = or_(PersonRow.upn == ident.lower(), PersonRow.aad_object_id == ident.lower())
        async with self._db.read() as s:
            return (await s.execute(select(PersonRow.id).where(where))).scalar()

    async def export(self, person_id: int, now: datetime, who: str) -> dict[str, Any]:
        """Everything stored about the person, table by table; the export is audited."""
        async with self._db.write() as s:
            person = await s.get(PersonRow, person_id)
            if person is None:
                raise LookupError(person_id)
            chats = await _chats(s, person_id)
            tables: dict[str, Any] = {}
            for name, rule in REGISTRY.items():
                t = table(name)
                if name == "people":
                    where: ColumnElement[bool] = t.c.id == person_id
                else:
                    where = _about(t, rule, person_id, chats, person.aad_object_id)
                rows = (await s.execute(select(t).where(where))).mappings().all()
                found = [dict(r) for r in rows]
                if rule.taps is not None:
                    found += [
                        r for r in await _tapped(s, t, rule.taps, person_id) if r not in found
                    ]
                tables[name] = [_plain(r) for r in found]
            until = self.limits.kept_until(person.service_ended_on)
            s.add(
                AuditRow(
                    at=now,
                    action=EXPORT_ACTION,
                    subject=f"person:{person_id}",
                    details={"who": who, "rows": sum(len(v) for v in tables.values())},
                )
            )
        return {
            "person_id": person_id,
            "exported_at": now.isoformat(),
            "attendance_kept_until": until.isoformat() if until else None,
            "anonymous_feedback": "anonymous answers hold no person and cannot be told apart",
            "tables": tables,
        }

    async def erase(self, person_id: int, reason: str, now: datetime, who: str) -> Erasure:
        """Remove what is not a statutory record, in one transaction; audited.

        Statutory records (attendance, the audit log) are kept until their retention end. The
        person row is pseudonymised when none of them remains; otherwise their name stays on
        the record. Anonymous aggregates stay: their part of a feedback round's counts is added
        to the round before their rows go.
        """
        removed: Counter[str] = Counter()
        kept: Counter[str] = Counter()
        forgotten: Counter[str] = Counter()
        # per table kept: the last day it is kept (None: until a service that has not ended
        # has ended, and the years after it)
        until: dict[str, date | None] = {}
        async with self._db.write() as s:
            person = await s.get(PersonRow, person_id, with_for_update=True)
            if person is None:
                raise LookupError(person_id)
            chats = await _chats(s, person_id)
            aad = person.aad_object_id
            theirs = union(
                *(
                    select(table(n).c.round_id).where(table(n).c.person_id == person_id)
                    for n in _FEEDBACK_PARTS
                )
            )
            for round_id in list((await s.execute(theirs)).scalars()):
                await _fold(s, round_id, person_id)
            # rows found by chat, AAD id or otherwise: the rule's kind decides
            for name, rule in REGISTRY.items():
                if name == "people":
                    continue
                t = table(name)
                if rule.taps is not None:
                    for row in await _tapped(s, t, rule.taps, person_id):
                        without = {
                            k: [i for i in v if i != person_id] for k, v in row[rule.taps].items()
                        }
                        await s.execute(
                            update(t).where(_key_is(t, _key(t, row))).values({rule.taps: without})
                        )
                        forgotten[name] += 1
                other = _other(t, rule, person_id, chats, aad)
                if other is None:
                    continue
                if rule.statutory:
                    count = await _count(s, t, other)
                    kept[name] += count
                    if count and name == "audit_log":
                        newest = (await s.execute(select(func.max(t.c.at)).where(other))).scalar()
                        until[name] = _later(
                            until.get(name, date.min), self._audit_until(_when(newest))
                        )
                    elif count and name == "graph_meetings":  # they organised the meetings
                        last_day = (
                            await s.execute(select(func.max(t.c.day)).where(other))
                        ).scalar()
                        until[name] = _later(
                            until.get(name, date.min),
                            years_after(last_day, self.limits.attendance_years)
                            if isinstance(last_day, date)
                            else date.min,
                        )
                    elif count:  # their copy of Teams' attendance report: as their attendance
                        until[name] = _later(
                            until.get(name, date.min),
                            self.limits.kept_until(person.service_ended_on),
                        )
                else:
                    result = await s.execute(delete(t).where(other))
                    removed[name] += int(getattr(result, "rowcount", 0) or 0)
            for name, rule in REGISTRY.items():
                t = table(name)
                for column, action in rule.person.items():
                    mine = t.c[column] == person_id
                    if action is Erase.KEEP:
                        count = await _count(s, t, mine)
                        kept[name] += count
                        if count:
                            until[name] = _later(
                                until.get(name, date.min),
                                await self._kept_until(s, name, t, column, person_id),
                            )
                    elif action is Erase.FORGET:
                        result = await s.execute(update(t).where(mine).values({column: None}))
                        forgotten[name] += int(getattr(result, "rowcount", 0) or 0)
                    else:
                        result = await s.execute(delete(t).where(mine))
                        removed[name] += int(getattr(result, "rowcount", 0) or 0)
            record = sum(v for n, v in kept.items() if REGISTRY[n].kind is DataType.ATTENDANCE)
            ended = person.service_ended_on
            person.teams_id = None
            person.chosen_language = None
            pseudonymised = record == 0
            if pseudonymised:
                person.name = ERASED_NAME.format(id=person_id)
                person.upn = None
                person.aad_object_id = None
                person.language = None
                person.service_ended_on = None
            erasure = Erasure(
                person_id=person_id,
                removed={k: v for k, v in removed.items() if v},
                kept={k: v for k, v in kept.items() if v},
                forgotten={k: v for k, v in forgotten.items() if v},
                pseudonymised=pseudonymised,
                until={k: v for k, v in until.items() if kept.get(k)},
                service_ended=ended,
            )
            s.add(
                AuditRow(
                    at=now,
                    action=ERASE_ACTION,
                    subject=f"person:{person_id}",
                    details={
                        "who": who,
                        "removed": erasure.removed,
                        "kept": erasure.kept,
                        "forgotten": erasure.forgotten,
                        "pseudonymised": pseudonymised,
                    },
                    note=reason,
                )
            )
        return erasure


@dataclass(frozen=True)
class Erasure:
    """What erasing a person did, table by table."""

    person_id: int
    removed: Mapping[str, int]
    kept: Mapping[str, int]
    forgotten: Mapping[str, int]
    pseudonymised: bool
    # per table kept: the last day it is kept; None: until the service of the client concerned
    # has ended (it has not yet), and the retention years after it
    until: Mapping[str, date | None]
    service_ended: date | None


def _kind_of(counted: str) -> DataType:
    """The data type of a count's name: a table, or "table.column" for taps (dialog data)."""
    if "." in counted:
        return DataType.DIALOG
    return REGISTRY[counted].kind


def _key(t: Table, row: Mapping[str, Any]) -> tuple[Any, ...]:
    return tuple(row[c.name] for c in t.primary_key)


def _key_is(t: Table, key: tuple[Any, ...]) -> ColumnElement[bool]:
    return and_(*(c == v for c, v in zip(t.primary_key, key, strict=True)))


async def _old_taps(s: AsyncSession, name: str, rule: Rule, scope: Scope) -> list[tuple[Any, ...]]:
    """Keys of rows past the dialog retention whose taps column still names someone."""
    assert rule.taps is not None
    assert rule.moment is not None
    t = table(name)
    cutoff = scope.cutoff(DataType.DIALOG)
    limit = cutoff.date() if isinstance(t.c[rule.moment].type, Date) else cutoff
    rows = await s.execute(select(*t.primary_key, t.c[rule.taps]).where(t.c[rule.moment] < limit))
    return [tuple(r[:-1]) for r in rows.all() if any(r[-1].values())]


async def _tapped(s: AsyncSession, t: Table, column: str, person_id: int) -> list[dict[str, Any]]:
    """Rows whose taps column names the person (read whole: JSON is not searched in SQL)."""
    rows = (await s.execute(select(t))).mappings().all()
    return [dict(r) for r in rows if any(person_id in ids for ids in (r[column] or {}).values())]


def _later(a: date | None, b: date | None) -> date | None:
    """The later of two ends; None (not yet known) is later than any day."""
    if a is None or b is None:
        return None
    return max(a, b)


async def _chats(s: AsyncSession, person_id: int) -> list[str]:
    """The ids of the person's own 1:1 chats with the bot."""
    rows = await s.execute(
        select(ConversationRow.conversation_id).where(
            ConversationRow.person_id == person_id,
            ConversationRow.kind == ConversationKind.PERSONAL.value,
        )
    )
    return list(rows.scalars())


def _other(
    t: Table, rule: Rule, person_id: int, chats: Sequence[str], aad: str | None
) -> ColumnElement[bool] | None:
    """Rows about the person found other than by a person column."""
    parts: list[ColumnElement[bool]] = []
    if rule.chat is not None and chats:
        parts.append(t.c[rule.chat].in_(chats))
    if rule.aad is not None and aad:
        parts.append(t.c[rule.aad] == aad)
    if rule.about is not None:
        parts.append(rule.about(t, person_id, chats))
    return or_(*parts) if parts else None


def _about(
    t: Table, rule: Rule, person_id: int, chats: Sequence[str], aad: str | None
) -> ColumnElement[bool]:
    parts = [t.c[column] == person_id for column in rule.person]
    other = _other(t, rule, person_id, chats, aad)
    if other is not None:
        parts.append(other)
    return or_(*parts) if parts else false()


async def _count(s: AsyncSession, t: Table, where: ColumnElement[bool]) -> int:
    return int((await s.execute(select(func.count()).select_from(t).where(where))).scalar_one())


_FEEDBACK_PARTS = ("feedback_prompts", "feedback_answered", "feedback_answers", "feedback_texts")


async def _fold(s: AsyncSession, round_id: int, person_id: int | None = None) -> None:
    """Add the round's answers (all, or one person's) to the counts kept in the round.

    feedback_rounds.summary holds the counts of answers no longer stored: the round's whole
    aggregate is those plus the rows still there. The purge folds a round in before its rows
    go, an erasure the person's before theirs go.
    """
    answers, texts = table("feedback_answers"), table("feedback_texts")
    prompts, answered = table("feedback_prompts"), table("feedback_answered")

    def mine(t: Table) -> ColumnElement[bool]:
        if person_id is None:
            return t.c.round_id == round_id
        return and_(t.c.round_id == round_id, t.c.person_id == person_id)

    scores = (
        await s.execute(
            select(answers.c.score, func.count()).where(mine(answers)).group_by(answers.c.score)
        )
    ).all()
    kinds = (
        await s.execute(
            select(texts.c.kind, func.count()).where(mine(texts)).group_by(texts.c.kind)
        )
    ).all()
    asked = await _count(s, prompts, mine(prompts))
    done = await _count(s, answered, mine(answered))
    if not (scores or kinds or asked or done):
        return
    current = (
        await s.execute(select(_ROUNDS.c.summary).where(_ROUNDS.c.id == round_id))
    ).scalar() or {}
    summary: dict[str, Any] = {
        "asked": int(current.get("asked", 0)) + asked,
        "answered": int(current.get("answered", 0)) + done,
        "scores": dict(current.get("scores", {})),
        "texts": dict(current.get("texts", {})),
    }
    for score, n in scores:
        summary["scores"][str(score)] = int(summary["scores"].get(str(score), 0)) + int(n)
    for kind, n in kinds:
        summary["texts"][str(kind)] = int(summary["texts"].get(str(kind), 0)) + int(n)
    await s.execute(update(_ROUNDS).where(_ROUNDS.c.id == round_id).values(summary=summary))


def _plain(row: dict[str, Any]) -> dict[str, Any]:
    """A row as JSON values: times and dates as ISO text."""
    return {k: (v.isoformat() if isinstance(v, date | datetime) else v) for k, v in row.items()}
