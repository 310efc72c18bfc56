"""The roll call's hooks: its shared card drawn at send time; a check-in item opens it."""

from __future__ import annotations

import logging

from domain.agenda import BoundConversations
from domain.days import GroupDay
from domain.hooks import Card, Hooks
from domain.plans import ItemKind
from domain.rollcall.messages import RENDER_PREFIX
from domain.rollcall.service import RollCallService

log = logging.getLogger(__name__)

# the drawer's kind: render_key(id) is "rollcall:<id>" (stored outbox rows carry it)
RENDER_KIND = RENDER_PREFIX.removesuffix(":")


def register(hooks: Hooks, rollcall: RollCallService, conversations: BoundConversations) -> None:
    """Draw roll-call cards at send time; a check-in item that starts opens the day's roll call."""

    async def draw(roll_call_id: str) -> Card | None:
        if not roll_call_id.isdigit():
            log.warning("outbox: nothing draws %r", RENDER_PREFIX + roll_call_id)
            return None
        return await rollcall.draw(int(roll_call_id))

    async def check_in(day: GroupDay) -> None:
        conversation = await conversations.bound_to(day.group_id)
        if conversation is not None and conversation.active:
            await rollcall.start(None, conversation)

    hooks.add_drawer(RENDER_KIND, draw)
    hooks.on_item_started(ItemKind.CHECK_IN, check_in)
