"""Repositories: SQLAlchemy in, domain dataclasses out. Each method is one transaction."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any, cast

from sqlalchemy import bindparam, delete, func, insert, or_, select, text, tuple_, update
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.exc import InterfaceError as SAInterfaceError
from sqlalchemy.ext.asyncio import AsyncSession

from domain.errors import ConcurrentUpdate, StoreUnavailable
from domain.inbox import Claim
from domain.model import Conversation, ConversationKind, RoleGrant
from domain.org import (
    Group,
    ImportSummary,
    Language,
    Membership,
    OrgSpec,
    Person,
    Role,
    Unit,
)
from domain.ports import OrgView
from store.batch import GroupCommit
from store.db import Database, insert_ignoring
from store.instance import Instance
from store.sqlite_lane import Lane
from store.tables import (
    AppSecretRow,
    AuditRow,
    Base,
    ConversationRow,
    DialogStateRow,
    GroupRow,
    MembershipRow,
    PersonRow,
    ProcessedActivityRow,
    UnitRow,
    utcnow,
)
from store.ttl import MISSING

UNAVAILABLE = (OperationalError, SAInterfaceError, OSError, ConnectionError)


def _unit(row: UnitRow) -> Unit:
    return Unit(
        key=row.key,
        name=row.name,
        id=row.id,
        language=Language(row.language) if row.language else None,
    )


def _group(row: GroupRow, unit_key: str) -> Group:
    return Group(
        key=row.key,
        unit_key=unit_key,
        name=row.name,
        timezone=row.timezone,
        language=Language(row.language),
        id=row.id,
    )


def _person(row: PersonRow) -> Person:
    return Person(
        name=row.name,
        aad_object_id=row.aad_object_id,
        upn=row.upn,
        teams_id=row.teams_id,
        language=Language(row.language) if row.language else None,
        id=row.id,
        chosen_language=Language(row.chosen_language) if row.chosen_language else None,
        service_ended=row.service_ended_on,
    )


# every turn in a conversation not cached at the moment reads this: built once, Core rows
_CONVERSATION = select(*Base.metadata.tables[ConversationRow.__tablename__].c).where(
    Base.metadata.tables[ConversationRow.__tablename__].c.conversation_id == bindparam("cid")
)


def _conversation(row: ConversationRow) -> Conversation:
    return Conversation(
        conversation_id=row.conversation_id,
        kind=ConversationKind(row.kind),
        service_url=row.service_url,
        reference=dict(row.reference),
        tenant_id=row.tenant_id,
        team_id=row.team_id,
        channel_id=row.channel_id,
        meeting_id=row.meeting_id,
        person_id=row.person_id,
        group_id=row.group_id,
        active=row.active,
        id=row.id,
    )


def _scope(membership_role: Role, group_id: int | None, unit_id: int | None) -> str:
    if group_id is not None:
        return f"group:{group_id}"
    if unit_id is not None:
        return f"unit:{unit_id}"
    return "*"


def _grants_from(start: Any) -> Any:
    return (
        start.outerjoin(GroupRow, MembershipRow.group_id == GroupRow.id)
        .outerjoin(UnitRow, func.coalesce(MembershipRow.unit_id, GroupRow.unit_id) == UnitRow.id)
        .order_by(MembershipRow.id)
    )


_GRANTS = _grants_from(select(MembershipRow, GroupRow, UnitRow)).where(
    MembershipRow.person_id == bindparam("person_id")
)
# every first turn of a person in this replica (every check-in tap, say) reads this: built once,
# Core rows of labelled columns (the ORM's entity loading cost more than the query itself)
_P, _M, _G, _U = (
    Base.metadata.tables[row.__tablename__] for row in (PersonRow, MembershipRow, GroupRow, UnitRow)
)
_PERSON_WITH_GRANTS = (
    select(
        *(c.label(f"p_{c.name}") for c in _P.c),
        _M.c.role.label("m_role"),
        _M.c.unit_id.label("m_unit_id"),
        *(c.label(f"g_{c.name}") for c in _G.c),
        *(c.label(f"u_{c.name}") for c in _U.c),
    )
    .select_from(_P)
    .outerjoin(_M, _M.c.person_id == _P.c.id)
    .outerjoin(_G, _M.c.group_id == _G.c.id)
    .outerjoin(_U, func.coalesce(_M.c.unit_id, _G.c.unit_id) == _U.c.id)
    .order_by(_M.c.id)
)
_PERSON_AND_GRANTS = _PERSON_WITH_GRANTS.where(_P.c.teams_id == bindparam("teams_id"))
# a first contact: the person the organisation file named by their Entra object id
_PERSON_AND_GRANTS_BY_AAD = _PERSON_WITH_GRANTS.where(_P.c.aad_object_id == bindparam("aad"))
# someone not cached who brings both ids: whoever has either, in one statement
_PERSON_AND_GRANTS_BY_EITHER = _PERSON_WITH_GRANTS.where(
    or_(_P.c.teams_id == bindparam("teams_id"), _P.c.aad_object_id == bindparam("aad"))
)

Found = tuple[Person, tuple[RoleGrant, ...]]


def _by_either(rows: Sequence[Any], teams_id: str) -> tuple[Found | None, Found | None]:
    """(the person with the Teams id, the person with the object id) among rows of either."""
    by_teams = [r for r in rows if r.p_teams_id == teams_id]
    first_id = by_teams[0].p_id if by_teams else None
    by_aad = [r for r in rows if r.p_id != first_id]
    return _person_and_grants(by_teams), _person_and_grants(by_aad)


def _grant(m: MembershipRow, g: GroupRow | None, u: UnitRow | None) -> RoleGrant:
    unit = _unit(u) if u is not None else None
    group = _group(g, unit.key) if g is not None and unit is not None else None
    return RoleGrant(role=Role(m.role), group=group, unit=unit if m.unit_id else None)


async def _grants_in(s: AsyncSession, person_id: int) -> tuple[RoleGrant, ...]:
    rows = (await s.execute(_GRANTS, {"person_id": person_id})).all()
    return tuple(_grant(m, g, u) for m, g, u in rows)


async def person_and_grants_in(
    s: AsyncSession, teams_id: str
) -> tuple[Person, tuple[RoleGrant, ...]] | None:
    """The person with this Teams id and their roles, in an open session."""
    rows = (await s.execute(_PERSON_AND_GRANTS, {"teams_id": teams_id})).all()
    return _person_and_grants(rows)


async def person_and_grants_by_aad_in(
    s: AsyncSession, aad_object_id: str
) -> tuple[Person, tuple[RoleGrant, ...]] | None:
    """The person with this Entra object id (lower case) and their roles, in an open session."""
    rows = (await s.execute(_PERSON_AND_GRANTS_BY_AAD, {"aad": aad_object_id})).all()
    return _person_and_grants(rows)


async def person_and_grants_by_either_in(
    s: AsyncSession, teams_id: str, aad_object_id: str
) -> tuple[Found | None, Found | None]:
    """(the person with this Teams id, the person with this object id), in one statement."""
    rows = (
        await s.execute(_PERSON_AND_GRANTS_BY_EITHER, {"teams_id": teams_id, "aad": aad_object_id})
    ).all()
    return _by_either(rows, teams_id)


def person_and_grants_by_either_on(
    lane: Lane, teams_id: str, aad_object_id: str
) -> tuple[Found | None, Found | None]:
    """(the person with this Teams id, the person with this object id), on SQLite's lane."""
    rows = lane.read(_PERSON_AND_GRANTS_BY_EITHER, {"teams_id": teams_id, "aad": aad_object_id})
    return _by_either(rows, teams_id)


def person_and_grants_on(lane: Lane, teams_id: str) -> tuple[Person, tuple[RoleGrant, ...]] | None:
    """The person with this Teams id and their roles, read on SQLite's lane."""
    return _person_and_grants(lane.read(_PERSON_AND_GRANTS, {"teams_id": teams_id}))


def person_and_grants_by_aad_on(
    lane: Lane, aad_object_id: str
) -> tuple[Person, tuple[RoleGrant, ...]] | None:
    """The person with this Entra object id (lower case) and their roles, on SQLite's lane."""
    return _person_and_grants(lane.read(_PERSON_AND_GRANTS_BY_AAD, {"aad": aad_object_id}))


class _Labelled:
    """One table's columns of a row of labelled columns (p_name, …), read as row.name."""

    __slots__ = ("_prefix", "_row")

    def __init__(self, row: Any, prefix: str) -> None:
        self._row = row
        self._prefix = prefix

    def __getattr__(self, name: str) -> Any:
        return getattr(self._row, self._prefix + name)


def _person_and_grants(rows: Sequence[Any]) -> tuple[Person, tuple[RoleGrant, ...]] | None:
    if not rows:
        return None
    person = _person(cast(PersonRow, _Labelled(rows[0], "p_")))
    return person, tuple(
        _grant(
            cast(MembershipRow, _Labelled(row, "m_")),
            cast(GroupRow, _Labelled(row, "g_")) if row.g_id is not None else None,
            cast(UnitRow, _Labelled(row, "u_")) if row.u_id is not None else None,
        )
        for row in rows
        if row.m_role is not None  # else nobody's member: the outer join's one empty row
    )


async def group_in(s: AsyncSession, group_id: int) -> Group | None:
    """One group by its id, in an open session."""
    row = (
        await s.execute(
            select(GroupRow, UnitRow.key)
            .join(UnitRow, GroupRow.unit_id == UnitRow.id)
            .where(GroupRow.id == group_id)
        )
    ).first()
    return _group(row[0], row[1]) if row else None


async def conversation_in(s: AsyncSession, conversation_id: str) -> Conversation | None:
    """One conversation by its Teams id, in an open session."""
    row = (await s.execute(_CONVERSATION, {"cid": conversation_id})).first()
    return _conversation(row) if row else None  # type: ignore[arg-type]


# a person's name and Teams identifiers, many people at once (executemany)
_UPDATE_IDENTITY = (
    update(PersonRow.__table__)  # type: ignore[arg-type]
    .where(PersonRow.__table__.c.id == bindparam("pid"))
    .values(
        name=bindparam("name"),
        teams_id=bindparam("teams_id"),
        aad_object_id=bindparam("aad"),
        updated_at=bindparam("now"),
    )
)


def _identity(person: Person) -> dict[str, Any]:
    return {
        "pid": person.id,
        "name": person.name,
        "teams_id": person.teams_id,
        "aad": person.aad_object_id,
        "now": utcnow(),
    }


class _Repo:
    def __init__(self, db: Database) -> None:
        self._db = db


class SqlHealth(_Repo):
    """Answers whether the database is reachable."""

    async def ping(self) -> None:
        """Run a trivial query; raise StoreUnavailable if the database does not answer."""
        try:
            async with self._db.read() as s:
                await s.execute(text("SELECT 1"))
        except UNAVAILABLE as exc:
            raise StoreUnavailable(str(exc)) from exc


class SqlOrgRepository(_Repo):
    """Units, groups, people and memberships."""

    def __init__(self, db: Database) -> None:
        super().__init__(db)
        self._person_writes: GroupCommit[Person, IntegrityError | None] = GroupCommit(
            self._update_people
        )

    async def _one_person(self, **where: Any) -> Person | None:
        async with self._db.read() as s:
            row = (await s.execute(select(PersonRow).filter_by(**where))).scalar_one_or_none()
            return _person(row) if row else None

    async def person_by_id(self, person_id: int) -> Person | None:
        """The person with this stored id."""
        return await self._one_person(id=person_id)

    async def people_in_group(self, group_id: int, role: Role) -> tuple[Person, ...]:
        """The group's people in one role, by name."""
        async with self._db.read() as s:
            rows = await s.execute(
                select(PersonRow)
                .join(MembershipRow, MembershipRow.person_id == PersonRow.id)
                .where(MembershipRow.group_id == group_id, MembershipRow.role == role.value)
                .order_by(PersonRow.name, PersonRow.id)
            )
            return tuple(_person(r) for r in rows.scalars())

    async def person_by_teams_id(self, teams_id: str) -> Person | None:
        """The person with this Teams user id (29:…)."""
        return await self._one_person(teams_id=teams_id)

    async def person_by_aad(self, aad_object_id: str) -> Person | None:
        """The person with this AAD object id."""
        return await self._one_person(aad_object_id=aad_object_id)

    async def person_by_upn(self, upn: str) -> Person | None:
        """The person with this UPN or e-mail."""
        return await self._one_person(upn=upn)

    async def has_people_waiting_for_upn_match(self) -> bool:
        """True if someone was imported by UPN and has not talked to the bot yet."""
        async with self._db.read() as s:
            q = select(PersonRow.id).where(PersonRow.upn.is_not(None), PersonRow.teams_id.is_(None))
            return (await s.execute(q.limit(1))).first() is not None

    async def add_person(self, person: Person) -> Person:
        """Store a person first met in Teams; if a racing turn stored them first, return that."""
        try:
            async with self._db.write() as s:
                row = PersonRow(
                    name=person.name,
                    aad_object_id=person.aad_object_id,
                    upn=person.upn,
                    teams_id=person.teams_id,
                    language=person.language.value if person.language else None,
                )
                s.add(row)
                await s.flush()
                return _person(row)
        except IntegrityError:
            found = None
            if person.teams_id:
                found = await self.person_by_teams_id(person.teams_id)
            if found is None and person.aad_object_id:
                found = await self.person_by_aad(person.aad_object_id)
            if found is None:
                raise
            return found

    async def update_person(self, person: Person) -> Person:
        """Update name and Teams identifiers of a stored person; the person as stored.

        A morning's first contacts each store their Teams id: the updates of concurrent turns
        share one transaction (group commit) instead of queueing fifty for the write lock.
        """
        if person.id is None:
            raise ValueError("update_person needs a stored person")
        refused = await self._person_writes.submit(person)
        if refused is not None:
            raise refused
        return person

    async def _update_people(self, people: Sequence[Person]) -> list[IntegrityError | None]:
        """Write many people's names and Teams ids in one transaction.

        If the batch fails on a constraint (a Teams id or object id someone else holds), each
        is written on its own, so only the one at fault is refused.
        """
        rows = [_identity(p) for p in people]
        try:
            async with self._db.write() as s:
                await s.execute(_UPDATE_IDENTITY, rows)
            return [None] * len(rows)
        except IntegrityError as error:
            if len(rows) == 1:
                return [error]
        results: list[IntegrityError | None] = []
        for row in rows:
            try:
                async with self._db.write() as s:
                    await s.execute(_UPDATE_IDENTITY, [row])
                results.append(None)
            except IntegrityError as error:
                results.append(error)
        return results

    async def set_language(self, person_id: int, language: Language) -> None:
        """Store a person's own language choice."""
        async with self._db.write() as s:
            await s.execute(
                update(PersonRow)
                .where(PersonRow.id == person_id)
                .values(chosen_language=language.value)
            )

    async def grants_of(self, person_id: int) -> tuple[RoleGrant, ...]:
        """Every role the person holds, with the group or unit resolved."""
        async with self._db.read() as s:
            return await _grants_in(s, person_id)

    async def person_and_grants(self, teams_id: str) -> tuple[Person, tuple[RoleGrant, ...]] | None:
        """The person with this Teams id and their roles, read together (one session)."""
        async with self._db.read() as s:
            return await person_and_grants_in(s, teams_id)

    async def group_by_id(self, group_id: int) -> Group | None:
        """One group by its id."""
        async with self._db.read() as s:
            return await group_in(s, group_id)

    # what a cache in front of this repository holds (nothing here; see store/cache.py)
    def peek_person(self, teams_id: str) -> Any:
        """The cached person and roles of a Teams id, or MISSING."""
        return MISSING

    def peek_group(self, group_id: int) -> Any:
        """The cached group, or MISSING."""
        return MISSING

    def keep_person(
        self, teams_id: str, found: tuple[Person, tuple[RoleGrant, ...]] | None
    ) -> None:
        """Remember what was read of a Teams id elsewhere (no cache here: nothing to do)."""

    def keep_found(self, found: tuple[Person, tuple[RoleGrant, ...]]) -> None:
        """Remember a person and roles read by another key (no cache here: nothing to do)."""

    def keep_group(self, group_id: int, group: Group | None) -> None:
        """Remember a group read elsewhere (no cache here: nothing to do)."""

    async def instructor_teams_ids(self, group_id: int) -> tuple[str, ...]:
        """Teams ids of the group's instructors who have talked to the bot (for card refresh)."""
        async with self._db.read() as s:
            rows = await s.execute(
                select(PersonRow.teams_id)
                .join(MembershipRow, MembershipRow.person_id == PersonRow.id)
                .where(
                    MembershipRow.group_id == group_id,
                    MembershipRow.role == Role.INSTRUCTOR.value,
                    PersonRow.teams_id.is_not(None),
                )
                .order_by(PersonRow.id)
            )
            return tuple(t for t in rows.scalars() if t)

    async def all_groups(self) -> tuple[Group, ...]:
        """Every group."""
        async with self._db.read() as s:
            rows = await s.execute(
                select(GroupRow, UnitRow.key)
                .join(UnitRow, GroupRow.unit_id == UnitRow.id)
                .order_by(GroupRow.name)
            )
            return tuple(_group(g, k) for g, k in rows.all())

    async def all_units(self) -> tuple[Unit, ...]:
        """Every unit."""
        async with self._db.read() as s:
            rows = await s.execute(select(UnitRow).order_by(UnitRow.name))
            return tuple(_unit(u) for u in rows.scalars())

    async def bound_group_ids(self) -> frozenset[int]:
        """Ids of groups that have a conversation."""
        async with self._db.read() as s:
            rows = await s.execute(
                select(ConversationRow.group_id).where(ConversationRow.group_id.is_not(None))
            )
            return frozenset(r for r in rows.scalars() if r is not None)

    async def apply(self, spec: OrgSpec) -> ImportSummary:
        """Create or update all of spec in one transaction; listed people get the file's roles."""
        created: Counter[str] = Counter()
        updated: Counter[str] = Counter()
        unchanged: Counter[str] = Counter()
        async with self._db.write() as s:
            units: dict[str, UnitRow] = {
                u.key: u for u in (await s.execute(select(UnitRow))).scalars()
            }
            for unit in spec.units:
                row = units.get(unit.key)
                language = unit.language.value if unit.language else None
                if row is None:
                    row = UnitRow(key=unit.key, name=unit.name, language=language)
                    s.add(row)
                    units[unit.key] = row
                    created["units"] += 1
                elif (row.name, row.language) != (unit.name, language):
                    row.name, row.language = unit.name, language
                    updated["units"] += 1
                else:
                    unchanged["units"] += 1
            await s.flush()
            groups: dict[str, GroupRow] = {
                g.key: g for g in (await s.execute(select(GroupRow))).scalars()
            }
            for group in spec.groups:
                values = {
                    "unit_id": units[group.unit_key].id,
                    "name": group.name,
                    "timezone": group.timezone,
                    "language": group.language.value,
                }
                grow = groups.get(group.key)
                if grow is None:
                    grow = GroupRow(key=group.key, **values)
                    s.add(grow)
                    groups[group.key] = grow
                    created["groups"] += 1
                elif any(getattr(grow, k) != v for k, v in values.items()):
                    for k, v in values.items():
                        setattr(grow, k, v)
                    updated["groups"] += 1
                else:
                    unchanged["groups"] += 1
            await s.flush()
            for spec_person in spec.people:
                prow, state = await self._upsert_person(s, spec_person.person)
                (created if state == "created" else updated if state == "updated" else unchanged)[
                    "people"
                ] += 1
                roles_changed = await self._replace_memberships(
                    s, prow.id, spec_person.memberships, units, groups
                )
                if roles_changed and state == "unchanged":
                    unchanged["people"] -= 1
                    updated["people"] += 1
            s.add(
                AuditRow(
                    action="org.import",
                    subject="org",
                    details={"created": dict(created), "updated": dict(updated)},
                )
            )
        return ImportSummary(
            created=dict(created), updated=dict(updated), unchanged=dict(unchanged)
        )

    async def _upsert_person(self, s: AsyncSession, person: Person) -> tuple[PersonRow, str]:
        row = None
        if person.aad_object_id:
            row = (
                await s.execute(select(PersonRow).filter_by(aad_object_id=person.aad_object_id))
            ).scalar_one_or_none()
        if row is None and person.upn:
            row = (
                await s.execute(select(PersonRow).filter_by(upn=person.upn))
            ).scalar_one_or_none()
        if row is None:
            row = PersonRow(
                name=person.name,
                aad_object_id=person.aad_object_id,
                upn=person.upn,
                language=person.language.value if person.language else None,
                service_ended_on=person.service_ended,
            )
            s.add(row)
            await s.flush()
            return row, "created"
        before = (row.name, row.aad_object_id, row.upn, row.language, row.service_ended_on)
        row.name = person.name
        row.aad_object_id = person.aad_object_id or row.aad_object_id
        row.upn = person.upn or row.upn
        if person.language:
            row.language = person.language.value
        # the file says whether the service has ended: a date left out means it has not
        row.service_ended_on = person.service_ended
        await s.flush()
        after = (row.name, row.aad_object_id, row.upn, row.language, row.service_ended_on)
        return row, "unchanged" if before == after else "updated"

    async def _replace_memberships(
        self,
        s: AsyncSession,
        person_id: int,
        memberships: Sequence[Membership],
        units: dict[str, UnitRow],
        groups: dict[str, GroupRow],
    ) -> bool:
        existing = {
            (m.role, m.scope): m
            for m in (
                await s.execute(select(MembershipRow).filter_by(person_id=person_id))
            ).scalars()
        }
        wanted: dict[tuple[str, str], dict[str, Any]] = {}
        for m in memberships:
            gid = groups[m.group_key].id if m.group_key else None
            uid = units[m.unit_key].id if m.unit_key else None
            wanted[(m.role.value, _scope(m.role, gid, uid))] = {"group_id": gid, "unit_id": uid}
        changed = False
        for key, row in existing.items():
            if key not in wanted:
                await s.delete(row)
                changed = True
        for (role, scope), ids in wanted.items():
            if (role, scope) not in existing:
                s.add(MembershipRow(person_id=person_id, role=role, scope=scope, **ids))
                changed = True
        await s.flush()
        return changed

    async def view(self) -> OrgView:
        """Everything, for `etapaiva org show`."""
        units = await self.all_units()
        groups = await self.all_groups()
        async with self._db.read() as s:
            people = [
                _person(p)
                for p in (await s.execute(select(PersonRow).order_by(PersonRow.name))).scalars()
            ]
        with_roles = []
        for p in people:
            assert p.id is not None
            with_roles.append((p, await self.grants_of(p.id)))
        return OrgView(units=units, groups=groups, people=tuple(with_roles))


class SqlConversationRepository(_Repo):
    """Conversations, their stored references and group bindings."""

    async def remember(self, conversation: Conversation) -> Conversation:
        """Insert or refresh a conversation's reference; keeps an existing group binding."""
        values = {
            "kind": conversation.kind.value,
            "tenant_id": conversation.tenant_id,
            "service_url": conversation.service_url,
            "reference": conversation.reference,
            "team_id": conversation.team_id,
            "channel_id": conversation.channel_id,
            "meeting_id": conversation.meeting_id,
            "person_id": conversation.person_id,
            "active": conversation.active,
        }
        for _attempt in range(2):
            try:
                async with self._db.write() as s:
                    row = (
                        await s.execute(
                            select(ConversationRow).filter_by(
                                conversation_id=conversation.conversation_id
                            )
                        )
                    ).scalar_one_or_none()
                    if row is None:
                        row = ConversationRow(
                            conversation_id=conversation.conversation_id, **values
                        )
                        s.add(row)
                    else:
                        for k, v in values.items():
                            if v is not None or k in ("active",):
                                setattr(row, k, v)
                    await s.flush()
                    return _conversation(row)
            except IntegrityError:
                continue  # a concurrent turn inserted it first; update it instead
        raise ConcurrentUpdate(conversation.conversation_id)

    async def get(self, conversation_id: str) -> Conversation | None:
        """One conversation by its Teams id."""
        async with self._db.read() as s:
            return await conversation_in(s, conversation_id)

    def peek(self, conversation_id: str) -> Any:
        """The cached conversation, or MISSING (no cache here)."""
        return MISSING

    def keep(self, conversation_id: str, conversation: Conversation | None) -> None:
        """Remember a conversation read elsewhere (no cache here: nothing to do)."""

    async def personal_for(self, person_id: int) -> Conversation | None:
        """The person's 1:1 chat with the bot, if known."""
        async with self._db.read() as s:
            row = (
                await s.execute(
                    select(ConversationRow)
                    .filter_by(person_id=person_id, kind=ConversationKind.PERSONAL.value)
                    .order_by(ConversationRow.updated_at.desc())
                    .limit(1)
                )
            ).scalar_one_or_none()
            return _conversation(row) if row else None

    async def bound_to(self, group_id: int) -> Conversation | None:
        """The conversation a group's days run in."""
        async with self._db.read() as s:
            row = (
                await s.execute(select(ConversationRow).filter_by(group_id=group_id))
            ).scalar_one_or_none()
            return _conversation(row) if row else None

    async def bind(
        self, conversation_id: str, group_id: int, actor_person_id: int
    ) -> Conversation | None:
        """Bind a conversation to a group (one conversation per group), audited."""
        async with self._db.write() as s:
            previous = (
                await s.execute(select(ConversationRow).filter_by(group_id=group_id))
            ).scalar_one_or_none()
            before = _conversation(previous) if previous else None
            if previous is not None and previous.conversation_id != conversation_id:
                previous.group_id = None
                await s.flush()
            await s.execute(
                update(ConversationRow)
                .where(ConversationRow.conversation_id == conversation_id)
                .values(group_id=group_id, updated_at=utcnow())
            )
            s.add(
                AuditRow(
                    actor_person_id=actor_person_id,
                    action="conversation.bind",
                    subject=f"group:{group_id}",
                    details={
                        "conversation": conversation_id,
                        "previous": before.conversation_id if before else None,
                    },
                )
            )
            return before

    async def set_active(self, conversation_id: str, active: bool) -> None:
        """Mark a conversation active or inactive (bot removed or blocked)."""
        async with self._db.write() as s:
            await s.execute(
                update(ConversationRow)
                .where(ConversationRow.conversation_id == conversation_id)
                .values(active=active, updated_at=utcnow())
            )


class SqlStateRepository(_Repo):
    """Dialog state with a version number: a save based on stale state is refused."""

    async def load(self, scope: str, key: str) -> tuple[dict[str, Any], int]:
        """The state and its version (0 when none is stored)."""
        async with self._db.read() as s:
            row = await s.get(DialogStateRow, (scope, key))
            return (dict(row.data), row.version) if row else ({}, 0)

    async def save(self, scope: str, key: str, data: dict[str, Any], expected_version: int) -> int:
        """Compare-and-set: store data only if nobody saved since expected_version."""
        async with self._db.write() as s:
            if expected_version == 0:
                try:
                    async with s.begin_nested():
                        await s.execute(
                            insert(DialogStateRow).values(
                                scope=scope, key=key, data=data, version=1, updated_at=utcnow()
                            )
                        )
                except IntegrityError as exc:
                    raise ConcurrentUpdate(f"{scope}:{key}") from exc
                return 1
            result = await s.execute(
                update(DialogStateRow)
                .where(
                    DialogStateRow.scope == scope,
                    DialogStateRow.key == key,
                    DialogStateRow.version == expected_version,
                )
                .values(data=data, version=expected_version + 1, updated_at=utcnow())
            )
            if getattr(result, "rowcount", 0) != 1:
                raise ConcurrentUpdate(f"{scope}:{key}")
            return expected_version + 1


_PROCESSED = Base.metadata.tables[ProcessedActivityRow.__tablename__]
# built once: every message turn runs both
_CLAIM = insert_ignoring(_PROCESSED, "conversation_id", "activity_id").returning(
    _PROCESSED.c.conversation_id, _PROCESSED.c.activity_id
)
_CLAIMED = select(_PROCESSED.c.owner, _PROCESSED.c.done).where(
    _PROCESSED.c.conversation_id == bindparam("conversation_id"),
    _PROCESSED.c.activity_id == bindparam("activity_id"),
)
# handled activity ids kept at most (the housekeeping job trims the oldest beyond this)
MAX_CLAIMS = 200_000


class SqlInboxRepository(_Repo):
    """Claims on incoming activities, so each is handled once even across crashes.

    A claim names the process handling the activity (store.instance) and is marked done when
    the turn has finished. A redelivery finds the claim: done, it is a duplicate; held by a
    live process, it is being handled; held by a dead one (killed mid-turn), it is taken over
    and the turn runs again, its writes being idempotent.
    """

    def __init__(self, db: Database, instance: Instance | None = None) -> None:
        super().__init__(db)
        self._instance = instance
        # claims and "done" marks of concurrent turns share one transaction
        self._writes: GroupCommit[tuple[bool, str, str], bool] = GroupCommit(self._write_all)

    async def _write_all(self, items: Sequence[tuple[bool, str, str]]) -> list[bool]:
        """Finish (True, …) and claim (False, …) many activities in one transaction.

        For a claim: True if it was new. Finishes are written first: a turn that ends and a
        redelivery of it that arrives meanwhile then see the claim done.
        """
        finished = list(dict.fromkeys((c, a) for done, c, a in items if done))
        claimed = list(dict.fromkeys((c, a) for done, c, a in items if not done))
        added: set[tuple[str, str]] = set()
        async with self._db.write() as s:
            if finished:
                await s.execute(
                    update(_PROCESSED)
                    .where(
                        tuple_(_PROCESSED.c.conversation_id, _PROCESSED.c.activity_id).in_(finished)
                    )
                    .values(done=True)
                )
            if claimed:
                now = utcnow()
                rows = [
                    {
                        "conversation_id": c,
                        "activity_id": a,
                        "received_at": now,
                        "owner": self.owner,
                    }
                    for c, a in claimed
                ]
                added = {tuple(r) for r in (await s.execute(_CLAIM, rows)).all()}
        return [done or (c, a) in added for done, c, a in items]

    @property
    def owner(self) -> str | None:
        """This process's name in its claims."""
        return self._instance.owner if self._instance is not None else None

    async def _alive(self, owner: str | None) -> bool:
        if self._instance is None:
            return True  # nobody to ask: never take over
        return await self._instance.alive(owner)

    async def claim(self, conversation_id: str, activity_id: str) -> Claim:
        """NEW (claimed now), RETAKEN (a dead process's claim, now ours), DONE or BUSY."""
        key = {"conversation_id": conversation_id, "activity_id": activity_id}
        for _ in range(3):
            if await self._writes.submit((False, conversation_id, activity_id)):
                return Claim.NEW
            async with self._db.read() as s:
                found = (await s.execute(_CLAIMED, key)).first()
            if found is None:
                continue  # released meanwhile: claim it afresh
            owner, done = found
            if done:
                return Claim.DONE
            if await self._alive(owner):
                return Claim.BUSY
            async with self._db.write() as s:
                taken = await s.execute(
                    update(ProcessedActivityRow)
                    .where(
                        ProcessedActivityRow.conversation_id == conversation_id,
                        ProcessedActivityRow.activity_id == activity_id,
                        ProcessedActivityRow.owner.is_(None)
                        if owner is None
                        else ProcessedActivityRow.owner == owner,
                        ProcessedActivityRow.done.is_(False),
                    )
                    .values(owner=self.owner, received_at=utcnow())
                )
                if getattr(taken, "rowcount", 0) == 1:
                    return Claim.RETAKEN
        return Claim.BUSY

    async def finish(self, conversation_id: str, activity_id: str) -> None:
        """The turn has finished: a redelivery from now on is a duplicate."""
        await self._writes.submit((True, conversation_id, activity_id))

    async def release(self, conversation_id: str, activity_id: str) -> None:
        """Forget a claim whose handling failed, so a redelivery is handled."""
        async with self._db.write() as s:
            await s.execute(
                delete(ProcessedActivityRow).where(
                    ProcessedActivityRow.conversation_id == conversation_id,
                    ProcessedActivityRow.activity_id == activity_id,
                )
            )

    async def purge_before(self, when: datetime, *, keep_at_most: int = MAX_CLAIMS) -> int:
        """Drop claims older than when, and the oldest beyond keep_at_most; return how many."""
        async with self._db.write() as s:
            result = await s.execute(
                delete(ProcessedActivityRow).where(ProcessedActivityRow.received_at < when)
            )
            removed = int(getattr(result, "rowcount", 0) or 0)
            total = (
                await s.execute(select(func.count()).select_from(ProcessedActivityRow))
            ).scalar()
            excess = int(total or 0) - keep_at_most
            if excess > 0:
                # garbage ids from a flood must not grow the table without bound
                cut = (
                    await s.execute(
                        select(ProcessedActivityRow.received_at)
                        .order_by(ProcessedActivityRow.received_at)
                        .offset(excess - 1)
                        .limit(1)
                    )
                ).scalar()
                if cut is not None:
                    more = await s.execute(
                        delete(ProcessedActivityRow).where(ProcessedActivityRow.received_at <= cut)
                    )
                    removed += int(getattr(more, "rowcount", 0) or 0)
            return removed


class SqlSecrets(_Repo):
    """Secrets the service makes for itself, the same for every replica."""

    async def get_or_create(self, name: str, make: Callable[[], str]) -> str:
        """The secret called name; made with make() the first time any replica asks."""
        async with self._db.write() as s:
            await s.execute(
                insert_ignoring(AppSecretRow, "name").values(
                    name=name, value=make(), created_at=utcnow()
                )
            )
            found = await s.execute(select(AppSecretRow.value).where(AppSecretRow.name == name))
            return str(found.scalar_one())
