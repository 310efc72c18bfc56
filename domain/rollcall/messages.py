"""The outbox messages a roll call sends, and the keys that make each one go out once."""

from __future__ import annotations

import uuid

from domain.outbox import OutboxMessage
from domain.rollcall.model import RollCall
from domain.rollcall.ports import Card

RENDER_PREFIX = "rollcall:"


def render_key(roll_call_id: int) -> str:
    """The outbox render name of a roll call's shared card."""
    return f"{RENDER_PREFIX}{roll_call_id}"


def card_key(roll_call_id: int) -> str:
    """The outbox key of the roll call's card (updates replace it)."""
    return f"rollcall:{roll_call_id}:card"


def shared_card(roll_call: RollCall) -> OutboxMessage:
    """The shared card of a roll call just opened, drawn when it is sent."""
    assert roll_call.id is not None
    return OutboxMessage(
        key=card_key(roll_call.id),
        conversation_id=roll_call.conversation_id,
        render=render_key(roll_call.id),
    )


def refresh(roll_call: RollCall) -> OutboxMessage:
    """A coalesced update of the shared card, drawn when it is sent."""
    assert roll_call.id is not None
    return OutboxMessage(
        key=f"{card_key(roll_call.id)}:{uuid.uuid4().hex}",
        conversation_id=roll_call.conversation_id,
        update_of=card_key(roll_call.id),
        render=render_key(roll_call.id),
        coalesce=card_key(roll_call.id),
    )


def problem_key(roll_call_id: int, person_id: int, instructor_id: int | None) -> str:
    """One "a problem with sound or picture" per person, roll call and instructor told."""
    return f"rollcall:{roll_call_id}:problem:{person_id}:to:{instructor_id}"


def reminder(roll_call_id: int, person_id: int, conversation_id: str, card: Card) -> OutboxMessage:
    """The check-in card in a missing client's 1:1 chat, once per roll call."""
    return OutboxMessage(
        key=f"rollcall:{roll_call_id}:remind:{person_id}",
        conversation_id=conversation_id,
        card=card,
    )


def notice(
    roll_call_id: int,
    marked: int,
    conversation_id: str,
    recipients: list[str],
    title: str,
    url: str,
) -> OutboxMessage:
    """A meeting notification to the missing, once per roll call and number of marks."""
    return OutboxMessage(
        key=f"rollcall:{roll_call_id}:notify:{marked}",
        conversation_id=conversation_id,
        notification={"recipients": recipients, "title": title, "url": url},
    )
