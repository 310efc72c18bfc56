"""All repositories over one session factory, and the one-trip read of a turn's arrival."""

from __future__ import annotations

from typing import Any

from domain.ports import Arrival
from store.cache import CachedConversationRepository, CachedOrgRepository
from store.days import SqlDayRepository, SqlPlanRepository
from store.db import Database
from store.digest import SqlDigestStore
from store.exports import SqlExportLinks
from store.feedback import SqlFeedbackStore
from store.graph_attendance import SqlGraphAttendance
from store.instance import Instance
from store.outbox import SqlOutbox
from store.reports import SqlReportSource
from store.repos import (
    Found,
    SqlConversationRepository,
    SqlHealth,
    SqlInboxRepository,
    SqlOrgRepository,
    SqlSecrets,
    SqlStateRepository,
    conversation_in,
    group_in,
    person_and_grants_by_aad_in,
    person_and_grants_by_aad_on,
    person_and_grants_by_either_in,
    person_and_grants_by_either_on,
    person_and_grants_in,
    person_and_grants_on,
)
from store.rollcall import SqlRollCallStore
from store.ttl import MISSING
from store.tutorial import CachedTutorialStore, SqlTutorialStore


class SqlArrivals:
    """Who speaks and where, for every turn: from the caches, else in one read session."""

    def __init__(
        self, db: Database, org: SqlOrgRepository, conversations: SqlConversationRepository
    ) -> None:
        self._db = db
        self._org = org
        self._conversations = conversations
        # with caches, concurrent turns share the read of a chat and its group
        self._shared = isinstance(org, CachedOrgRepository) and isinstance(
            conversations, CachedConversationRepository
        )

    async def arrival(
        self, teams_id: str, conversation_id: str, aad_object_id: str | None = None
    ) -> Arrival:
        """The person under teams_id (else aad_object_id) with their roles, the conversation
        and its group.

        A first contact's person, found by their Entra object id, is not cached under the
        Teams id: that happens once the Teams id is stored with them.
        """
        both = self._org.peek_person(teams_id)
        aad = aad_object_id.lower() if aad_object_id else None
        conversation = self._conversations.peek(conversation_id)
        group = self._cached_group(conversation)
        if group is MISSING and self._shared:
            # a group chat's fifty taps after its entry expired: one read of the chat and its
            # group for all of them (each still reads its own person)
            if conversation is MISSING:
                conversation = await self._conversations.get(conversation_id)
            group = self._cached_group(conversation)
            if group is MISSING:
                group = await self._org.group_by_id(conversation.group_id)
        lane = self._db.lane
        searched = False  # by object id too
        if lane is not None and group is not MISSING and (both is MISSING or both is None):
            # SQLite: who taps, by index on the lane (a 09:00 roll call's every first tap)
            if both is MISSING and aad:
                by_teams, by_aad = person_and_grants_by_either_on(lane, teams_id, aad)
                both = self._found(teams_id, by_teams, by_aad)
            elif both is MISSING:
                both = person_and_grants_on(lane, teams_id)
                self._org.keep_person(teams_id, both)
            elif aad:
                both = person_and_grants_by_aad_on(lane, aad)
                if both is not None:
                    self._org.keep_found(both)
            searched = True
        if (
            both is MISSING
            or (both is None and aad and not searched)
            or conversation is MISSING
            or group is MISSING
        ):
            async with self._db.read() as s:
                if both is MISSING and aad:
                    by_teams, by_aad = await person_and_grants_by_either_in(s, teams_id, aad)
                    both = self._found(teams_id, by_teams, by_aad)
                elif both is MISSING:
                    both = await person_and_grants_in(s, teams_id)
                    self._org.keep_person(teams_id, both)
                elif both is None and aad and not searched:
                    both = await person_and_grants_by_aad_in(s, aad)
                    if both is not None:
                        self._org.keep_found(both)
                if conversation is MISSING:
                    conversation = await conversation_in(s, conversation_id)
                    self._conversations.keep(conversation_id, conversation)
                group = self._cached_group(conversation)
                if group is MISSING:
                    group_id = conversation.group_id
                    group = await group_in(s, group_id)
                    self._org.keep_group(group_id, group)
        person, grants = both if both is not None else (None, ())
        return Arrival(person, grants, conversation, group)

    def _found(self, teams_id: str, by_teams: Found | None, by_aad: Found | None) -> Found | None:
        """Who a lookup by either id found, remembered as a lookup by each would have."""
        self._org.keep_person(teams_id, by_teams)
        if by_teams is not None:
            return by_teams
        if by_aad is not None:
            self._org.keep_found(by_aad)
        return by_aad

    def _cached_group(self, conversation: Any) -> Any:
        """MISSING when the conversation or its group is not at hand; None if it has no group."""
        if conversation is MISSING:
            return MISSING
        if conversation is None or conversation.group_id is None:
            return None
        return self._org.peek_group(conversation.group_id)


class Store:
    """All repositories over one session factory."""

    def __init__(
        self, db: Database, *, cache_seconds: float = 0.0, instance: Instance | None = None
    ) -> None:
        if cache_seconds > 0:
            self.org: SqlOrgRepository = CachedOrgRepository(db, cache_seconds)
            # conversations change when a chat is bound on another replica: kept shorter there;
            # an embedded database has one process, which forgets what it writes itself
            embedded = db.engine.dialect.name == "sqlite"
            self.conversations: SqlConversationRepository = CachedConversationRepository(
                db, cache_seconds if embedded else min(cache_seconds, 5.0)
            )
            # tutorial progress: kept only where this process is the one writer
            self.tutorial: SqlTutorialStore = (
                CachedTutorialStore(db, cache_seconds) if embedded else SqlTutorialStore(db)
            )
        else:
            self.org = SqlOrgRepository(db)
            self.conversations = SqlConversationRepository(db)
            self.tutorial = SqlTutorialStore(db)
        self.arrivals = SqlArrivals(db, self.org, self.conversations)
        self.state = SqlStateRepository(db)
        self.inbox = SqlInboxRepository(db, instance)
        self.secrets = SqlSecrets(db)
        self.health = SqlHealth(db)
        self.outbox = SqlOutbox(db)
        self.days = SqlDayRepository(db)
        self.plans = SqlPlanRepository(db)
        self.rollcall = SqlRollCallStore(db)
        self.feedback = SqlFeedbackStore(db)
        self.reports = SqlReportSource(db)
        self.exports = SqlExportLinks(db)
        self.digest = SqlDigestStore(db)
        self.graph_attendance = SqlGraphAttendance(db)
        self.db = db
