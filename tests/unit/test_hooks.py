"""domain.hooks: the registry of cards drawn at send time and of plan-item listeners."""

from __future__ import annotations

import logging
from datetime import date

import pytest

from domain.days import GroupDay
from domain.hooks import Card, Hooks, ItemListener
from domain.org import Language
from domain.outbox import OutboxMessage
from domain.plans import ItemKind


def _day(day_id: int = 7) -> GroupDay:
    return GroupDay(
        group_id=1,
        date=date(2026, 12, 1),
        timezone="Europe/Helsinki",
        language=Language.FI,
        plan_key="p",
        plan_name="P",
        items=(),
        id=day_id,
    )


def _message(render: str | None) -> OutboxMessage:
    return OutboxMessage(key="k", conversation_id="19:c", render=render, coalesce="c")


async def test_a_drawer_gets_what_follows_its_kind_and_the_card_replaces_the_messages() -> None:
    seen: list[str] = []

    async def drawer(rest: str) -> Card | None:
        seen.append(rest)
        return {"type": "AdaptiveCard", "drawn": rest}

    hooks = Hooks()
    hooks.add_drawer("thing", drawer)

    drawn = await hooks.draw(_message("thing:12:a"))

    assert seen == ["12:a"]  # split at the first ':' only
    assert drawn == OutboxMessage(
        key="k",
        conversation_id="19:c",
        render="thing:12:a",
        coalesce="c",
        card={"type": "AdaptiveCard", "drawn": "12:a"},
    )


async def test_a_kind_registered_twice_is_refused_naming_the_kind() -> None:
    async def drawer(rest: str) -> Card | None:
        return None

    hooks = Hooks()
    hooks.add_drawer("thing", drawer)
    with pytest.raises(ValueError, match="'thing'"):
        hooks.add_drawer("thing", drawer)


@pytest.mark.parametrize("kind", ["", "a:b"])
def test_a_kind_must_be_a_word_without_a_colon(kind: str) -> None:
    async def drawer(rest: str) -> Card | None:
        return None

    with pytest.raises(ValueError, match="non-empty word"):
        Hooks().add_drawer(kind, drawer)


@pytest.mark.parametrize("render", ["other:1", "thing", "", None])
async def test_what_no_drawer_draws_is_logged_and_gives_none(
    render: str | None, caplog: pytest.LogCaptureFixture
) -> None:
    called: list[str] = []

    async def drawer(rest: str) -> Card | None:
        called.append(rest)
        return {}

    hooks = Hooks()
    hooks.add_drawer("thing", drawer)
    with caplog.at_level(logging.WARNING, logger="domain.hooks"):
        assert await hooks.draw(_message(render)) is None
    assert called == []
    assert "nothing draws" in caplog.text


async def test_a_drawer_with_nothing_to_draw_gives_none() -> None:
    async def drawer(rest: str) -> Card | None:
        return None

    hooks = Hooks()
    hooks.add_drawer("thing", drawer)
    assert await hooks.draw(_message("thing:1")) is None


async def test_only_the_listeners_of_the_started_kind_are_called_in_order() -> None:
    calls: list[tuple[str, int | None]] = []

    def listener(name: str) -> ItemListener:
        async def listen(day: GroupDay) -> None:
            calls.append((name, day.id))

        return listen

    hooks = Hooks()
    hooks.on_item_started(ItemKind.CHECK_IN, listener("first"))
    hooks.on_item_started(ItemKind.BREAK, listener("break"))
    hooks.on_item_started(ItemKind.CHECK_IN, listener("second"))

    await hooks.item_started(ItemKind.CHECK_IN, _day(7))
    await hooks.item_started(ItemKind.CONTENT, _day(8))

    assert calls == [("first", 7), ("second", 7)]


async def test_a_failing_listener_is_logged_with_the_day_and_does_not_stop_the_others(
    caplog: pytest.LogCaptureFixture,
) -> None:
    called: list[int | None] = []

    async def broken(day: GroupDay) -> None:
        raise RuntimeError("boom")

    async def works(day: GroupDay) -> None:
        called.append(day.id)

    hooks = Hooks()
    hooks.on_item_started(ItemKind.CHECK_IN, broken)
    hooks.on_item_started(ItemKind.CHECK_IN, works)
    with caplog.at_level(logging.ERROR, logger="domain.hooks"):
        await hooks.item_started(ItemKind.CHECK_IN, _day(42))

    assert called == [42]
    [record] = caplog.records
    assert "day 42" in record.getMessage()
    assert "broken" in record.getMessage()
    assert record.exc_info is not None


async def test_a_kind_nobody_listens_to_does_nothing() -> None:
    await Hooks().item_started(ItemKind.CHECK_IN, _day())


async def _job() -> None:
    return None


def test_periodic_jobs_keep_their_order_and_a_job_id_is_claimed_once() -> None:
    hooks = Hooks()
    hooks.every("agenda:recurrence", 3600, _job, at_once=True)
    hooks.every("rollcall:close", 15, _job)
    assert [(p.job_id, p.seconds, p.at_once) for p in hooks.periodic] == [
        ("agenda:recurrence", 3600, True),
        ("rollcall:close", 15, False),
    ]
    with pytest.raises(ValueError, match="rollcall:close"):
        hooks.every("rollcall:close", 30, _job)
    with pytest.raises(ValueError, match="positive"):
        hooks.every("feedback:ask", 0, _job)


async def test_every_day_listener_hears_a_change_and_a_failure_is_not_swallowed() -> None:
    heard: list[tuple[str, int]] = []

    async def timer(day_id: int) -> None:
        heard.append(("timer", day_id))

    async def digest(day_id: int) -> None:
        heard.append(("digest", day_id))

    hooks = Hooks()
    hooks.on_day_changed(timer)
    hooks.on_day_changed(digest)
    await hooks.day_changed(5)
    assert heard == [("timer", 5), ("digest", 5)]

    async def broken(day_id: int) -> None:
        raise RuntimeError("down")

    hooks.on_day_changed(broken)
    with pytest.raises(RuntimeError):
        await hooks.day_changed(6)
