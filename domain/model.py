"""Conversations, Teams identities and the acting person (pure data)."""

from __future__ import annotations

import enum
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from domain.org import DEFAULT_LANGUAGE, Group, Language, Person, Role, Unit


class ConversationKind(enum.StrEnum):
    """Where the bot is talking: Teams' conversationType, with meeting chats told apart."""

    PERSONAL = "personal"
    GROUP_CHAT = "groupChat"
    CHANNEL = "channel"
    MEETING = "meeting"

    @property
    def is_group(self) -> bool:
        """True for every kind shared by several people."""
        return self is not ConversationKind.PERSONAL


@dataclass(frozen=True, slots=True)
class Conversation:
    """A Teams conversation the bot is installed in, with what is needed to message it later."""

    conversation_id: str
    kind: ConversationKind
    service_url: str
    reference: dict[str, Any]
    tenant_id: str | None = None
    team_id: str | None = None
    channel_id: str | None = None
    meeting_id: str | None = None
    person_id: int | None = None
    group_id: int | None = None
    active: bool = True
    id: int | None = None


@dataclass(frozen=True, slots=True)
class TeamsUser:
    """The sender of an activity as Teams describes them."""

    teams_id: str
    name: str
    aad_object_id: str | None = None
    locale: str | None = None


@dataclass(frozen=True, slots=True)
class RoleGrant:
    """A membership resolved to the group or unit it is about."""

    role: Role
    group: Group | None = None
    unit: Unit | None = None


@dataclass(frozen=True, slots=True)
class Actor:
    """The person behind a turn, with every role they hold."""

    person: Person
    grants: tuple[RoleGrant, ...] = field(default=())

    @property
    def person_id(self) -> int:
        """The stored person's id (actors are always stored)."""
        assert self.person.id is not None
        return self.person.id

    @property
    def roles(self) -> frozenset[Role]:
        """Every role the person holds somewhere."""
        return frozenset(g.role for g in self.grants)

    @property
    def is_admin(self) -> bool:
        """True for administrators."""
        return Role.ADMIN in self.roles

    def groups_as(self, role: Role) -> tuple[Group, ...]:
        """The groups in which the person holds role, in name order."""
        groups = {g.group.key: g.group for g in self.grants if g.role is role and g.group}
        return tuple(sorted(groups.values(), key=lambda g: g.name.casefold()))

    def units_as(self, role: Role) -> tuple[Unit, ...]:
        """The units in which the person holds role, in name order."""
        units = {g.unit.key: g.unit for g in self.grants if g.role is role and g.unit}
        return tuple(sorted(units.values(), key=lambda u: u.name.casefold()))

    def language(self, locale_language: Language | None = None) -> Language:
        """The language to speak with them, in this order: their own choice, the organisation
        file's, their groups' or units' (the most common one; Finnish on a tie), Finnish.

        Teams' UI locale counts only for someone the bot does not know (no role anywhere):
        a known person's Teams may well be in English while they read Finnish.
        """
        person = self.person
        if person.chosen_language or person.language:
            return person.speaks()
        if not self.grants:
            return locale_language or DEFAULT_LANGUAGE
        counts: Counter[Language] = Counter()
        for grant in self.grants:
            if grant.group is not None:
                counts[grant.group.language] += 1
            elif grant.unit is not None and grant.unit.language is not None:
                counts[grant.unit.language] += 1
        if not counts:
            return DEFAULT_LANGUAGE
        ranked = counts.most_common()
        tied = [language for language, n in ranked if n == ranked[0][1]]
        return DEFAULT_LANGUAGE if len(tied) > 1 and DEFAULT_LANGUAGE in tied else tied[0]
