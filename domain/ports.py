"""Ports: what the domain needs from storage. store/ implements them; tests may fake them."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from domain.inbox import Claim
from domain.model import Conversation, RoleGrant
from domain.org import Group, ImportSummary, Language, OrgSpec, Person, Role, Unit
from domain.reach import Reached, Unreachable


@dataclass(frozen=True, slots=True)
class OrgView:
    """The whole organisation for display: units with groups, people with roles."""

    units: tuple[Unit, ...]
    groups: tuple[Group, ...]
    people: tuple[tuple[Person, tuple[RoleGrant, ...]], ...]


class OrgRepository(Protocol):
    """Units, groups, people and memberships."""

    async def person_by_teams_id(self, teams_id: str) -> Person | None: ...
    async def person_by_aad(self, aad_object_id: str) -> Person | None: ...
    async def person_by_upn(self, upn: str) -> Person | None: ...
    async def has_people_waiting_for_upn_match(self) -> bool: ...
    async def add_person(self, person: Person) -> Person: ...
    async def update_person(self, person: Person) -> Person: ...
    async def set_language(self, person_id: int, language: Language) -> None: ...
    async def grants_of(self, person_id: int) -> tuple[RoleGrant, ...]: ...
    async def group_by_id(self, group_id: int) -> Group | None: ...
    async def apply(self, spec: OrgSpec) -> ImportSummary: ...
    async def view(self) -> OrgView: ...


class ConversationRepository(Protocol):
    """Conversations the bot is in, their references and their group binding."""

    async def remember(self, conversation: Conversation) -> Conversation: ...
    async def get(self, conversation_id: str) -> Conversation | None: ...
    async def personal_for(self, person_id: int) -> Conversation | None: ...
    async def bound_to(self, group_id: int) -> Conversation | None: ...
    async def bind(
        self, conversation_id: str, group_id: int, actor_person_id: int
    ) -> Conversation | None:
        """Bind; return the conversation the group used before, if any."""
        ...

    async def set_active(self, conversation_id: str, active: bool) -> None: ...


class StateRepository(Protocol):
    """Dialog state per conversation or per person, with optimistic versioning."""

    async def load(self, scope: str, key: str) -> tuple[dict[str, Any], int]: ...
    async def save(self, scope: str, key: str, data: dict[str, Any], expected_version: int) -> int:
        """Store data if the version is still expected_version; raise ConcurrentUpdate if not."""
        ...


class InboxRepository(Protocol):
    """Activity ids already handled, so a redelivered activity is handled once."""

    async def claim(self, conversation_id: str, activity_id: str) -> Claim: ...
    async def finish(self, conversation_id: str, activity_id: str) -> None: ...
    async def release(self, conversation_id: str, activity_id: str) -> None: ...
    async def purge_before(self, when: datetime) -> int: ...


class Health(Protocol):
    """Whether storage answers."""

    async def ping(self) -> None: ...


class GroupListing(Protocol):
    """Read-only listing of groups and units, for people who follow several groups."""

    async def all_groups(self) -> tuple[Group, ...]: ...
    async def all_units(self) -> tuple[Unit, ...]: ...
    async def bound_group_ids(self) -> frozenset[int]: ...


class People(Protocol):
    """The people and groups a feature needs to name and reach."""

    async def person_by_id(self, person_id: int) -> Person | None: ...
    async def group_by_id(self, group_id: int) -> Group | None: ...
    async def people_in_group(self, group_id: int, role: Role) -> tuple[Person, ...]: ...


class PersonalChats(Protocol):
    """Opens a 1:1 chat between the bot and a person (Teams: create conversation)."""

    async def open(self, person: Person, via: Conversation) -> Conversation | None: ...

    async def reach(self, person: Person, via: Conversation) -> Reached:
        """Open the chat as open does (installing the app for the person first where that is
        configured), or say why there is none."""
        ...


async def reach_person(
    conversations: ConversationRepository,
    chats: PersonalChats,
    person: Person,
    via: Conversation | None,
) -> Reached:
    """The person's 1:1 chat with the bot, opened through via when there is none yet, or why
    it cannot be."""
    assert person.id is not None
    chat = await conversations.personal_for(person.id)
    if chat is not None:
        return Reached(chat)
    if via is None:  # no conversation of theirs to open one through
        return Reached(None, Unreachable.NO_TEAMS_ID)
    return await chats.reach(person, via)


# reaching people happens during a turn, which Teams waits for only seconds: several at a time
# (opening a chat is a round trip to Teams, installing the app three to Graph), and whoever is
# not reached in time is told as "no answer" while their chat is still being made
REACH_AT_ONCE = 8
REACH_WITHIN_SECONDS = 8.0

_log = logging.getLogger(__name__)
_still_reaching: set[asyncio.Task[Reached]] = set()


def _finished(task: asyncio.Task[Reached]) -> None:
    _still_reaching.discard(task)
    if not task.cancelled() and task.exception() is not None:
        _log.warning("reaching a person late failed: %s", type(task.exception()).__name__)


async def reach_all(
    conversations: ConversationRepository,
    chats: PersonalChats,
    people: Sequence[Person],
    via: Conversation | None,
    *,
    at_once: int = REACH_AT_ONCE,
    within: float = REACH_WITHIN_SECONDS,
) -> list[Reached]:
    """reach_person for each of people (in their order), at_once at a time.

    Those not reached within `within` seconds come back as NO_ANSWER; their attempt goes on
    (a chat opened or an app installed late is remembered, and the next message finds it).
    """
    gate = asyncio.Semaphore(at_once)

    async def one(person: Person) -> Reached:
        async with gate:
            return await reach_person(conversations, chats, person, via)

    tasks = [asyncio.ensure_future(one(person)) for person in people]
    if not tasks:
        return []
    _, pending = await asyncio.wait(tasks, timeout=within)
    for task in pending:
        _still_reaching.add(task)
        task.add_done_callback(_finished)
    return [
        Reached(None, Unreachable.NO_ANSWER) if task in pending else task.result() for task in tasks
    ]


async def finish_reaching(within: float = 10.0) -> None:
    """At shutdown: let the reaches still going on after their turn end (a chat being opened,
    the app being installed) for up to `within` seconds, then cancel what is left."""
    loop = asyncio.get_running_loop()
    pending = [task for task in _still_reaching if task.get_loop() is loop and not task.done()]
    if not pending:
        return
    _, rest = await asyncio.wait(pending, timeout=within)
    for task in rest:
        task.cancel()
    await asyncio.gather(*rest, return_exceptions=True)


async def personal_chat(
    conversations: ConversationRepository,
    chats: PersonalChats,
    person: Person,
    via: Conversation | None,
) -> Conversation | None:
    """The person's 1:1 chat with the bot, opened through via when there is none yet."""
    return (await reach_person(conversations, chats, person, via)).conversation


@dataclass(frozen=True, slots=True)
class Arrival:
    """What storage knows of a turn's speaker and conversation, read in one go."""

    person: Person | None
    grants: tuple[RoleGrant, ...]
    conversation: Conversation | None
    group: Group | None


class Arrivals(Protocol):
    """The speaker, their roles, the conversation and its group: one trip.

    The speaker is the person stored under their Teams id or, when nobody is (a first
    contact), the person imported with their Entra (AAD) object id.
    """

    async def arrival(
        self, teams_id: str, conversation_id: str, aad_object_id: str | None = None
    ) -> Arrival: ...


class PortArrivals:
    """Arrivals over the plain ports (several reads); storage offers a one-trip version."""

    def __init__(self, org: OrgRepository, conversations: ConversationRepository) -> None:
        self._org = org
        self._conversations = conversations

    async def arrival(
        self, teams_id: str, conversation_id: str, aad_object_id: str | None = None
    ) -> Arrival:
        """Read the parts one by one."""
        person = await self._org.person_by_teams_id(teams_id)
        if person is None and aad_object_id:
            person = await self._org.person_by_aad(aad_object_id.lower())
        grants = await self._org.grants_of(person.id) if person and person.id is not None else ()
        conversation = await self._conversations.get(conversation_id)
        group = None
        if conversation is not None and conversation.group_id is not None:
            group = await self._org.group_by_id(conversation.group_id)
        return Arrival(person, grants, conversation, group)
