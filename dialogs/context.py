"""What a handler gets: the turn resolved to a speaker, a conversation and a language."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Protocol, TypeVar

from dialogs.state import StateAccess
from dialogs.turn import Outcome, Reply, Turn
from domain.binding import Binder
from domain.directory import Directory
from domain.errors import DomainError
from domain.help import HelpLine
from domain.i18n import language_for_locale, text
from domain.model import Actor, Conversation, ConversationKind
from domain.org import DEFAULT_LANGUAGE, Group, Language
from domain.ports import (
    Arrival,
    Arrivals,
    ConversationRepository,
    GroupListing,
    OrgRepository,
    PortArrivals,
)

T = TypeVar("T")


class HelpSource(Protocol):
    """The help lines the registered features offer a person."""

    def help_lines(self, actor: Actor, kind: ConversationKind) -> list[HelpLine]: ...
    async def after_help(self, ctx: Context) -> list[Reply]: ...


@dataclass(frozen=True, slots=True)
class Services:
    """What the dialogs use: the shared domain services and ports, and each feature's service.

    A feature's own service is found by its type (`need`), so adding a feature adds no field.
    """

    directory: Directory
    binder: Binder
    org: OrgRepository
    groups: GroupListing
    conversations: ConversationRepository
    state: StateAccess
    features: Mapping[type, object] = field(default_factory=dict)
    arrivals: Arrivals | None = None

    def find(self, kind: type[T]) -> T | None:
        """The feature service of this type, if the service runs it."""
        found = self.features.get(kind)
        return found if isinstance(found, kind) else None

    def need(self, kind: type[T], missing: str = "error.generic") -> T:
        """The feature service of this type; a domain error (text key missing) if absent."""
        found = self.find(kind)
        if found is None:
            raise DomainError(missing)
        return found


class _NoHelp:
    def help_lines(self, actor: Actor, kind: ConversationKind) -> list[HelpLine]:
        return []

    async def after_help(self, ctx: Context) -> list[Reply]:
        return []


@dataclass(frozen=True, slots=True)
class Context:
    """A turn with its speaker, conversation (and its group), language and services."""

    turn: Turn
    actor: Actor
    language: Language
    conversation: Conversation
    services: Services
    group: Group | None = None
    menu: HelpSource = field(default_factory=_NoHelp)
    # the speaker's own language, for what goes to them privately (in a 1:1 chat: `language`)
    own_language: Language | None = None

    @property
    def personal_language(self) -> Language:
        """The language of what is sent to the speaker's own 1:1 chat."""
        return self.own_language or self.language

    def t(self, key: str, **params: object) -> str:
        """Catalog text in this turn's language."""
        return text(self.language, key, **params)

    @property
    def group_language(self) -> Language:
        """The language of the conversation's group (what everyone in a group chat reads)."""
        return self.group.language if self.group is not None else DEFAULT_LANGUAGE


def say(*texts: str) -> Outcome:
    """An outcome of plain text messages."""
    return Outcome(replies=[Reply(text=t) for t in texts])


async def resolve(turn: Turn, services: Services, menu: HelpSource | None = None) -> Context:
    """Who speaks, where, about which group, in which language: one read of the store.

    Writes follow only when something is new or changed (a first contact, a conversation the
    bot has not stored, a Teams name that changed).
    """
    arrivals = services.arrivals or PortArrivals(services.org, services.conversations)
    found = await arrivals.arrival(
        turn.user.teams_id, turn.conversation.conversation_id, turn.user.aad_object_id
    )
    known = (found.person, found.grants) if found.person is not None else None
    # the arrival looked by Teams id and AAD id: nobody found there is not looked for again
    actor = await services.directory.identify(turn.user, turn.lookup_upn, known, searched=True)
    conversation = await _remember(services, turn.conversation, actor, found)
    group = await _group(services, conversation, found)
    own = actor.language(language_for_locale(turn.user.locale))
    # a group chat speaks its group's language, whoever writes: everyone there reads it
    language = group.language if group is not None and conversation.kind.is_group else own
    return Context(
        turn, actor, language, conversation, services, group, menu or _NoHelp(), own_language=own
    )


async def _remember(
    services: Services, conversation: Conversation, actor: Actor, found: Arrival
) -> Conversation:
    stored = found.conversation
    if conversation.kind.is_group:
        wanted = conversation
    else:
        wanted = replace(conversation, person_id=actor.person_id)
    if (
        stored is None
        or not stored.active
        or stored.service_url != wanted.service_url
        or (wanted.person_id is not None and stored.person_id != wanted.person_id)
        or (wanted.meeting_id and stored.meeting_id != wanted.meeting_id)
    ):
        return await services.conversations.remember(wanted)
    return stored


async def _group(services: Services, conversation: Conversation, found: Arrival) -> Group | None:
    if conversation.group_id is None:
        return None
    if found.group is not None and found.group.id == conversation.group_id:
        return found.group
    return await services.org.group_by_id(conversation.group_id)
