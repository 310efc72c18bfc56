"""The outbox messages of a roll call (domain/rollcall/messages.py): keys that go out once."""

from __future__ import annotations

from datetime import UTC, date, datetime

from domain.rollcall import messages
from domain.rollcall.model import RollCall

ROLL_CALL = RollCall(
    group_id=10,
    day=date(2026, 3, 5),
    number=1,
    conversation_id="19:it@thread.v2",
    opened_at=datetime(2026, 3, 5, 7, 0, tzinfo=UTC),
    id=7,
)


def test_the_keys_are_stable() -> None:
    assert messages.render_key(7) == "rollcall:7"
    assert messages.render_key(7).startswith(messages.RENDER_PREFIX)
    assert messages.card_key(7) == "rollcall:7:card"


def test_the_opening_card_is_drawn_when_sent() -> None:
    card = messages.shared_card(ROLL_CALL)
    assert (card.key, card.conversation_id, card.render) == (
        "rollcall:7:card",
        "19:it@thread.v2",
        "rollcall:7",
    )
    assert card.card is None
    assert card.update_of is None


def test_each_refresh_is_new_and_coalesces_into_the_cards_update() -> None:
    first, second = messages.refresh(ROLL_CALL), messages.refresh(ROLL_CALL)
    assert first.key != second.key
    assert first.key.startswith("rollcall:7:card:")
    assert (first.update_of, first.coalesce, first.render) == (
        "rollcall:7:card",
        "rollcall:7:card",
        "rollcall:7",
    )


def test_reminders_problems_and_notices_are_keyed_to_go_out_once() -> None:
    card = {"type": "AdaptiveCard"}
    reminder = messages.reminder(7, 11, "a:jari", card)
    assert (reminder.key, reminder.conversation_id, reminder.card) == (
        "rollcall:7:remind:11",
        "a:jari",
        card,
    )
    assert messages.problem_key(7, 11, 1) == "rollcall:7:problem:11:to:1"
    notice = messages.notice(7, 3, "19:m@thread.v2", ["29:jari"], "Title", "https://x/")
    assert notice.key == "rollcall:7:notify:3"
    assert notice.notification == {"recipients": ["29:jari"], "title": "Title", "url": "https://x/"}
