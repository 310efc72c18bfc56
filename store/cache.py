"""A short-lived in-process cache for what every turn reads and rarely changes.

Each turn needs the sender's person and roles, the conversation and the group; a burst of 50
check-ins would read them 50 times. These read-mostly rows are kept for a few seconds. Writes
through this process drop what they touch at once; a change made elsewhere (another replica,
`etapaiva org import`) is seen after at most `seconds`.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable
from typing import Any

from domain.model import Conversation, RoleGrant
from domain.org import Group, ImportSummary, Language, OrgSpec, Person, Role
from store.db import Database
from store.repos import SqlConversationRepository, SqlOrgRepository
from store.ttl import MISSING, TtlCache

_MISSING = MISSING


class CachedOrgRepository(SqlOrgRepository):
    """The organisation repository with its per-turn reads cached for a few seconds."""

    def __init__(self, db: Database, seconds: float) -> None:
        super().__init__(db)
        self.cache = TtlCache(seconds)

    async def _cached(self, key: Hashable, load: Callable[[], Any]) -> Any:
        return await self.cache.load(key, load)

    async def person_by_teams_id(self, teams_id: str) -> Person | None:
        """The person with this Teams user id (cached; their roles are read along)."""
        value = self.cache.get(("teams", teams_id))
        if value is not _MISSING:
            found: Person | None = value
            return found
        both = await self.person_and_grants(teams_id)
        # every turn asks for the roles next: one session instead of two
        self.keep_person(teams_id, both)
        return both[0] if both else None

    def peek_person(self, teams_id: str) -> Any:
        """The cached person and roles of a Teams id (None: nobody), or MISSING."""
        person = self.cache.get(("teams", teams_id))
        if person is _MISSING or person is None:
            return person
        grants = self.cache.get(("grants", person.id))
        return _MISSING if grants is _MISSING else (person, grants)

    def keep_person(
        self, teams_id: str, found: tuple[Person, tuple[RoleGrant, ...]] | None
    ) -> None:
        """Cache what was read of a Teams id in a shared session."""
        self.cache.put(("teams", teams_id), found[0] if found else None)
        if found is not None:
            self.keep_found(found)

    def keep_found(self, found: tuple[Person, tuple[RoleGrant, ...]]) -> None:
        """Cache a person and their roles read by another key (a first contact's object id):
        once their Teams id is stored (update_person), their next turn finds both here."""
        self.cache.put(("grants", found[0].id), found[1])
        self.cache.put(("person", found[0].id), found[0])

    def peek_group(self, group_id: int) -> Any:
        """The cached group, or MISSING."""
        return self.cache.get(("group", group_id))

    def keep_group(self, group_id: int, group: Group | None) -> None:
        """Cache a group read in a shared session."""
        self.cache.put(("group", group_id), group)

    async def person_by_id(self, person_id: int) -> Person | None:
        """The person with this stored id (cached)."""
        load = super().person_by_id
        found: Person | None = await self._cached(("person", person_id), lambda: load(person_id))
        return found

    async def grants_of(self, person_id: int) -> tuple[RoleGrant, ...]:
        """The person's roles (cached)."""
        load = super().grants_of
        found: tuple[RoleGrant, ...] = await self._cached(
            ("grants", person_id), lambda: load(person_id)
        )
        return found

    async def group_by_id(self, group_id: int) -> Group | None:
        """One group (cached)."""
        load = super().group_by_id
        found: Group | None = await self._cached(("group", group_id), lambda: load(group_id))
        return found

    async def people_in_group(self, group_id: int, role: Role) -> tuple[Person, ...]:
        """The group's people in a role (cached)."""
        load = super().people_in_group
        found: tuple[Person, ...] = await self._cached(
            ("members", group_id, role), lambda: load(group_id, role)
        )
        return found

    async def instructor_teams_ids(self, group_id: int) -> tuple[str, ...]:
        """Teams ids of the group's instructors, from the cached list of its instructors.

        That list is kept up to date when a first contact stores someone's Teams id, so a
        client's first tap does not make every later tap read the instructors again.
        """
        people = await self.people_in_group(group_id, Role.INSTRUCTOR)
        return tuple(p.teams_id for p in sorted(people, key=lambda p: p.id or 0) if p.teams_id)

    async def has_people_waiting_for_upn_match(self) -> bool:
        """Whether anyone is known only by UPN (cached)."""
        load = super().has_people_waiting_for_upn_match
        found: bool = await self._cached(("waiting_upn",), load)
        return found

    def _forget_person(self, person: Person, stored: Person | None = None) -> None:
        keys: list[Hashable] = [("person", person.id), ("waiting_upn",)]
        if stored is None:
            keys.append(("grants", person.id))  # an identity update leaves the roles as they are
        if person.teams_id:
            keys.append(("teams", person.teams_id))
        self.cache.drop(*keys)
        if stored is None:
            self.cache.drop_kinds("members")
            return

        # lists of a group's people carry Teams ids, which a first contact adds: swap the
        # person in them rather than reading whole groups again for every first contact
        def swap(people: tuple[Person, ...]) -> tuple[Person, ...]:
            for i, p in enumerate(people):
                if p.id == stored.id:
                    return (*people[:i], stored, *people[i + 1 :])
            return people

        # only the lists of their own groups, when their roles are at hand: a morning of 2,000
        # first contacts would otherwise walk every group's lists 2,000 times
        grants = self.cache.get(("grants", person.id))
        if grants is _MISSING:
            self.cache.patch("members", swap)
        else:
            groups = {g.group.id for g in grants if g.group is not None}
            self.cache.patch("members", swap, where=lambda key: key[1] in groups)

    async def add_person(self, person: Person) -> Person:
        """Add, and forget what may have changed."""
        try:
            return await super().add_person(person)
        finally:
            self._forget_person(person)

    async def update_person(self, person: Person) -> Person:
        """Update, and forget (or patch) what it changes."""
        try:
            stored = await super().update_person(person)
        except BaseException:
            self._forget_person(person)
            raise
        self._forget_person(person, stored)
        # the next turn of this person (their first tap) needs exactly this: keep it
        if stored.teams_id:
            self.cache.put(("teams", stored.teams_id), stored)
        self.cache.put(("person", stored.id), stored)
        return stored

    async def set_language(self, person_id: int, language: Language) -> None:
        """Store the language choice, and forget what may have changed."""
        try:
            await super().set_language(person_id, language)
        finally:
            self.cache.drop(("person", person_id))
            self.cache.drop_kinds("teams", "members")

    async def apply(self, spec: OrgSpec) -> ImportSummary:
        """Import, and forget everything."""
        try:
            return await super().apply(spec)
        finally:
            self.cache.clear()


class CachedConversationRepository(SqlConversationRepository):
    """Conversations with `get` and `bound_to` cached for a few seconds.

    A write forgets what it may have changed: the conversation itself and the (few) bindings;
    the other conversations stay cached, so a first contact does not empty the cache for
    everyone else tapping at the same moment.
    """

    def __init__(self, db: Database, seconds: float) -> None:
        super().__init__(db)
        self.cache = TtlCache(seconds)
        self.bindings = TtlCache(seconds)

    async def get(self, conversation_id: str) -> Conversation | None:
        """A conversation (cached; read once for everyone asking meanwhile)."""
        load = super().get
        found: Conversation | None = await self.cache.load(
            ("conv", conversation_id), lambda: load(conversation_id)
        )
        return found

    def peek(self, conversation_id: str) -> Any:
        """The cached conversation (None: not stored), or MISSING."""
        return self.cache.get(("conv", conversation_id))

    def keep(self, conversation_id: str, conversation: Conversation | None) -> None:
        """Cache a conversation read in a shared session."""
        self.cache.put(("conv", conversation_id), conversation)

    async def bound_to(self, group_id: int) -> Conversation | None:
        """The group's bound conversation (cached)."""
        value = self.bindings.get(("bound", group_id))
        if value is _MISSING:
            value = await super().bound_to(group_id)
            self.bindings.put(("bound", group_id), value)
        found: Conversation | None = value
        return found

    def _forget(self, *conversation_ids: str) -> None:
        self.cache.drop(*(("conv", c) for c in conversation_ids))
        self.bindings.clear()

    async def remember(self, conversation: Conversation) -> Conversation:
        """Store, and keep what was stored (the turn that follows reads it at once)."""
        try:
            stored = await super().remember(conversation)
        except BaseException:
            self._forget(conversation.conversation_id)
            raise
        self.bindings.clear()
        self.cache.put(("conv", stored.conversation_id), stored)
        return stored

    async def bind(
        self, conversation_id: str, group_id: int, actor_person_id: int
    ) -> Conversation | None:
        """Bind, and forget what may have changed (the group's previous chat too)."""
        previous: Conversation | None = None
        try:
            previous = await super().bind(conversation_id, group_id, actor_person_id)
            return previous
        finally:
            self._forget(conversation_id, *([previous.conversation_id] if previous else []))
            if previous is None:
                # not known whether it committed with a previous chat: forget them all
                self.cache.clear()

    async def set_active(self, conversation_id: str, active: bool) -> None:
        """Mark (in)active, and forget what may have changed."""
        try:
            await super().set_active(conversation_id, active)
        finally:
            self._forget(conversation_id)
