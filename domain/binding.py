"""Binding a group conversation to a group: who may, and what it changes."""

from __future__ import annotations

import enum
import unicodedata
from dataclasses import dataclass

from domain.errors import NotAllowed, NotFound
from domain.model import Actor, Conversation
from domain.org import Group, Role
from domain.ports import ConversationRepository


class BindResult(enum.Enum):
    """How a bind request ended."""

    BOUND = "bound"
    MOVED = "moved"
    ALREADY = "already"


@dataclass(frozen=True, slots=True)
class BindOutcome:
    """The group now bound and how it came to be."""

    group: Group
    result: BindResult


def bindable_groups(actor: Actor) -> tuple[Group, ...]:
    """Groups the actor may bind a conversation to: those they instruct."""
    return actor.groups_as(Role.INSTRUCTOR)


def fold_name(text: str) -> str:
    """A group name or key in a form that ignores case, accents' encoding and punctuation."""
    text = unicodedata.normalize("NFC", text).casefold()
    kept = "".join(ch if ch.isalnum() or ch == "-" else " " for ch in text)
    return " ".join(kept.split())


def find_group(groups: tuple[Group, ...], name_or_key: str) -> Group | None:
    """Match what an instructor typed against group keys and names, ignoring case."""
    wanted = fold_name(name_or_key)
    if not wanted:
        return None
    for group in groups:
        if wanted in (fold_name(group.key), fold_name(group.name)):
            return group
    matches = [g for g in groups if wanted in fold_name(g.name)]
    return matches[0] if len(matches) == 1 else None


class Binder:
    """Use case: an instructor says 'this is group X' in a group conversation."""

    def __init__(self, conversations: ConversationRepository) -> None:
        self._conversations = conversations

    def check_can_bind(self, actor: Actor, conversation: Conversation) -> tuple[Group, ...]:
        """Raise unless actor may bind this conversation; return the groups they may choose."""
        if not conversation.kind.is_group:
            raise NotAllowed("bind.personal_chat")
        if Role.INSTRUCTOR not in actor.roles:
            raise NotAllowed("bind.not_instructor")
        groups = bindable_groups(actor)
        if not groups:
            raise NotFound("bind.no_groups")
        return groups

    async def bind(self, actor: Actor, conversation: Conversation, group_key: str) -> BindOutcome:
        """Bind conversation to the group with group_key, if actor instructs that group."""
        groups = self.check_can_bind(actor, conversation)
        group = next((g for g in groups if g.key == group_key), None)
        if group is None or group.id is None:
            raise NotAllowed("bind.not_instructor")
        if conversation.group_id == group.id:
            return BindOutcome(group, BindResult.ALREADY)
        if conversation.group_id is not None and not any(
            g.id == conversation.group_id for g in groups
        ):
            # the chat is another group's: taking it would leave that group without its chat,
            # and its instructors unasked
            raise NotAllowed("bind.taken")
        previous = await self._conversations.bind(
            conversation.conversation_id, group.id, actor.person_id
        )
        moved = previous is not None and previous.conversation_id != conversation.conversation_id
        return BindOutcome(group, BindResult.MOVED if moved else BindResult.BOUND)
