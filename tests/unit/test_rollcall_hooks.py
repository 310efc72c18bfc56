"""domain.rollcall.hooks: the roll call's card drawer and its check-in listener."""

from __future__ import annotations

import logging
from datetime import date
from typing import Any

import pytest

from domain.days import GroupDay
from domain.hooks import Hooks
from domain.model import Actor, Conversation, ConversationKind
from domain.org import Language
from domain.outbox import OutboxMessage
from domain.plans import ItemKind
from domain.rollcall.hooks import RENDER_KIND, register
from domain.rollcall.messages import render_key


class FakeRollCalls:
    """The two calls the hooks make on RollCallService."""

    def __init__(self) -> None:
        self.drawn: list[int] = []
        self.started: list[tuple[Actor | None, str]] = []

    async def draw(self, roll_call_id: int) -> dict[str, Any] | None:
        self.drawn.append(roll_call_id)
        return {"count": roll_call_id} if roll_call_id != 404 else None

    async def start(self, actor: Actor | None, conversation: Conversation) -> None:
        self.started.append((actor, conversation.conversation_id))


class Bound:
    def __init__(self, conversation: Conversation | None) -> None:
        self.conversation = conversation

    async def bound_to(self, group_id: int) -> Conversation | None:
        return self.conversation


def _conversation(*, active: bool = True) -> Conversation:
    return Conversation(
        conversation_id="19:group",
        kind=ConversationKind.CHANNEL,
        service_url="https://smba.example/",
        reference={},
        tenant_id="t",
        active=active,
    )


def _day() -> GroupDay:
    return GroupDay(
        group_id=3,
        date=date(2026, 12, 1),
        timezone="Europe/Helsinki",
        language=Language.FI,
        plan_key="p",
        plan_name="P",
        items=(),
        id=9,
    )


def _hooks(rollcalls: FakeRollCalls, conversation: Conversation | None = None) -> Hooks:
    hooks = Hooks()
    register(hooks, rollcalls, Bound(conversation))  # type: ignore[arg-type]
    return hooks


def test_the_kind_is_the_stored_render_keys_prefix() -> None:
    # outbox rows written before carry "rollcall:<id>": the format must not change
    assert render_key(12) == "rollcall:12"
    assert RENDER_KIND == "rollcall"


async def test_a_roll_call_card_is_drawn_from_its_render_key() -> None:
    rollcalls = FakeRollCalls()
    message = OutboxMessage(key="k", conversation_id="19:group", render=render_key(12))

    drawn = await _hooks(rollcalls).draw(message)

    assert rollcalls.drawn == [12]
    assert drawn is not None and drawn.card == {"count": 12}


async def test_a_roll_call_that_is_gone_draws_nothing() -> None:
    rollcalls = FakeRollCalls()
    message = OutboxMessage(key="k", conversation_id="19:group", render=render_key(404))
    assert await _hooks(rollcalls).draw(message) is None


@pytest.mark.parametrize("render", ["rollcall:", "rollcall:x1", "rollcall:-1"])
async def test_a_render_key_without_a_number_is_logged_and_draws_nothing(
    render: str, caplog: pytest.LogCaptureFixture
) -> None:
    rollcalls = FakeRollCalls()
    message = OutboxMessage(key="k", conversation_id="19:group", render=render)
    with caplog.at_level(logging.WARNING):
        assert await _hooks(rollcalls).draw(message) is None
    assert rollcalls.drawn == []
    assert f"nothing draws {render!r}" in caplog.text


async def test_a_check_in_item_opens_the_roll_call_in_the_bound_conversation() -> None:
    rollcalls = FakeRollCalls()
    hooks = _hooks(rollcalls, _conversation())

    await hooks.item_started(ItemKind.CHECK_IN, _day())
    await hooks.item_started(ItemKind.CONTENT, _day())

    assert rollcalls.started == [(None, "19:group")]


@pytest.mark.parametrize("conversation", [None, _conversation(active=False)])
async def test_a_check_in_without_an_active_bound_conversation_opens_nothing(
    conversation: Conversation | None,
) -> None:
    rollcalls = FakeRollCalls()
    await _hooks(rollcalls, conversation).item_started(ItemKind.CHECK_IN, _day())
    assert rollcalls.started == []
