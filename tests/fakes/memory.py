"""In-memory fakes of the storage ports in domain/ports.py, for unit tests."""

from __future__ import annotations

import copy
from collections.abc import Iterable
from dataclasses import replace
from typing import TYPE_CHECKING, Any

from domain.errors import ConcurrentUpdate
from domain.model import Conversation, RoleGrant
from domain.org import Group, ImportSummary, Language, OrgSpec, Person, Unit
from domain.ports import OrgView

if TYPE_CHECKING:
    from domain.ports import (
        ConversationRepository,
        GroupListing,
        OrgRepository,
        StateRepository,
    )


def _group_id(group: Group) -> int:
    """The id of a stored group."""
    assert group.id is not None
    return group.id


class FakeOrgRepository:
    """In-memory OrgRepository: people with grants, updates made, and the given groups."""

    def __init__(self, groups: Iterable[Group] = ()) -> None:
        """Start with no people and the given groups."""
        self.people: dict[int, Person] = {}
        self.grants: dict[int, tuple[RoleGrant, ...]] = {}
        self.groups: dict[int, Group] = {_group_id(g): g for g in groups}
        self.updates: list[Person] = []

    def seed(self, person: Person, *grants: RoleGrant) -> Person:
        """Store person under the next id with the given grants and return it."""
        new_id = len(self.people) + 1
        self.people[new_id] = replace(person, id=new_id)
        self.grants[new_id] = grants
        return self.people[new_id]

    def _find(self, **wanted: str) -> Person | None:
        """The first person whose attributes equal all of wanted."""
        for person in self.people.values():
            if all(getattr(person, k) == v for k, v in wanted.items()):
                return person
        return None

    async def person_by_teams_id(self, teams_id: str) -> Person | None:
        """The person with this Teams id."""
        return self._find(teams_id=teams_id)

    async def person_by_aad(self, aad_object_id: str) -> Person | None:
        """The person with this AAD object id."""
        return self._find(aad_object_id=aad_object_id)

    async def person_by_upn(self, upn: str) -> Person | None:
        """The person with this UPN."""
        return self._find(upn=upn)

    async def has_people_waiting_for_upn_match(self) -> bool:
        """Whether someone has a UPN but no Teams id yet."""
        return any(p.upn and p.teams_id is None for p in self.people.values())

    async def add_person(self, person: Person) -> Person:
        """Store a new person without grants."""
        return self.seed(person)

    async def update_person(self, person: Person) -> Person:
        """Replace a stored person and record the update."""
        assert person.id is not None
        assert person.id in self.people
        self.updates.append(person)
        self.people[person.id] = person
        return person

    async def set_language(self, person_id: int, language: Language) -> None:
        """Store a person's own language choice."""
        self.people[person_id] = replace(self.people[person_id], chosen_language=language)

    async def grants_of(self, person_id: int) -> tuple[RoleGrant, ...]:
        """The person's role grants."""
        return self.grants.get(person_id, ())

    async def group_by_id(self, group_id: int) -> Group | None:
        """The given group with this id."""
        return self.groups.get(group_id)

    async def apply(self, spec: OrgSpec) -> ImportSummary:
        """Not faked."""
        raise NotImplementedError

    async def view(self) -> OrgView:
        """Not faked."""
        raise NotImplementedError


class FakeConversationRepository:
    """In-memory ConversationRepository: by Teams id, one per group; remember() keeps a binding."""

    def __init__(self, *conversations: Conversation) -> None:
        """Start with the given conversations."""
        self.conversations: dict[str, Conversation] = {c.conversation_id: c for c in conversations}
        self.bind_calls: list[tuple[str, int, int]] = []

    async def remember(self, conversation: Conversation) -> Conversation:
        """Store the conversation, keeping the group binding of a stored one."""
        stored = self.conversations.get(conversation.conversation_id)
        group_id = stored.group_id if stored else conversation.group_id
        kept = replace(conversation, group_id=group_id)
        self.conversations[conversation.conversation_id] = kept
        return kept

    async def get(self, conversation_id: str) -> Conversation | None:
        """The conversation with this id."""
        return self.conversations.get(conversation_id)

    async def personal_for(self, person_id: int) -> Conversation | None:
        """The conversation of this person."""
        return next((c for c in self.conversations.values() if c.person_id == person_id), None)

    async def bound_to(self, group_id: int) -> Conversation | None:
        """The conversation bound to this group."""
        return next((c for c in self.conversations.values() if c.group_id == group_id), None)

    async def bind(
        self, conversation_id: str, group_id: int, actor_person_id: int
    ) -> Conversation | None:
        """Bind; unbind and return the conversation the group used before, if any."""
        self.bind_calls.append((conversation_id, group_id, actor_person_id))
        previous = await self.bound_to(group_id)
        if previous is not None and previous.conversation_id != conversation_id:
            self.conversations[previous.conversation_id] = replace(previous, group_id=None)
        current = self.conversations[conversation_id]
        self.conversations[conversation_id] = replace(current, group_id=group_id)
        return previous

    async def set_active(self, conversation_id: str, active: bool) -> None:
        """Mark a stored conversation active or inactive."""
        current = self.conversations[conversation_id]
        self.conversations[conversation_id] = replace(current, active=active)


class FakeGroupListing:
    """In-memory GroupListing over the given groups and units and the conversation fake."""

    def __init__(
        self,
        conversations: FakeConversationRepository,
        groups: Iterable[Group],
        units: Iterable[Unit],
    ) -> None:
        """List these groups and units; bindings come from conversations."""
        self._conversations = conversations
        self._groups = tuple(groups)
        self._units = tuple(units)

    async def all_groups(self) -> tuple[Group, ...]:
        """All the given groups."""
        return self._groups

    async def all_units(self) -> tuple[Unit, ...]:
        """All the given units."""
        return self._units

    async def bound_group_ids(self) -> frozenset[int]:
        """Ids of the groups some conversation is bound to."""
        values = self._conversations.conversations.values()
        return frozenset(c.group_id for c in values if c.group_id is not None)


class FakeStateRepository:
    """In-memory StateRepository with version checks."""

    def __init__(self) -> None:
        """Start with no state."""
        self.rows: dict[tuple[str, str], tuple[dict[str, Any], int]] = {}

    async def load(self, scope: str, key: str) -> tuple[dict[str, Any], int]:
        """A copy of the stored data and its version; ({}, 0) if none."""
        data, version = self.rows.get((scope, key), ({}, 0))
        return copy.deepcopy(data), version

    async def save(self, scope: str, key: str, data: dict[str, Any], expected_version: int) -> int:
        """Store a copy of data if the version is still expected_version; raise if not."""
        _, version = self.rows.get((scope, key), ({}, 0))
        if version != expected_version:
            raise ConcurrentUpdate(f"{scope}:{key}")
        self.rows[(scope, key)] = (copy.deepcopy(data), version + 1)
        return version + 1


if TYPE_CHECKING:
    _org: OrgRepository = FakeOrgRepository()
    _conversations: ConversationRepository = FakeConversationRepository()
    _listing: GroupListing = FakeGroupListing(FakeConversationRepository(), (), ())
    _state: StateRepository = FakeStateRepository()
