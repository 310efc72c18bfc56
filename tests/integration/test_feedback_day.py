"""Feedback in the running day, over real HTTP: the plan's feedback item asks, the meeting's end
asks only when nothing was asked yet, and an idea becomes the topic of the next planned day.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from cards.feedback import IDEA_VERB, MORE_VERB, SCORE_VERB
from domain import days as d
from domain.feedback.model import Trigger
from domain.i18n import date_text, text
from domain.plans import ItemKind, Plan, PlanItem
from scheduler.clock import ScaledClock
from tests.fakes.activities import Conv, meeting_end
from tests.fakes.connector import FakeConnector
from tests.integration.harness import drained
from tests.integration.test_feedback import (
    HERE,
    actions_of,
    ask_feedback,
    feedback_card,
    held_day,
    round_id,
    tap_score,
)
from tests.integration.test_rollcall import MAIJA
from tests.integration.test_rollcall_more import (
    FI,
    cards_in,
    dump,
    group_of,
    make_room,
    private_chat,
)

HELSINKI = ZoneInfo("Europe/Helsinki")
TODAY = date(2026, 12, 3)
NEXT_DAY = date(2026, 12, 8)

SHORT_DAY = Plan(
    key="lyhyt",
    name="Lyhyt päivä",
    items=(
        PlanItem(ItemKind.CONTENT, "Aamun aihe", time(9, 0), timedelta(minutes=2)),
        PlanItem(ItemKind.FEEDBACK, "Palaute", time(9, 2), timedelta(minutes=10)),
        PlanItem(ItemKind.CLOSE, "Päivä päättyy", time(9, 12), timedelta(minutes=5)),
    ),
)


def feedback_cards_to(connector: FakeConnector, chat: str) -> list[dict]:
    return [c for c in cards_in(connector, chat) if actions_of(c, SCORE_VERB)]


async def test_the_plans_feedback_item_asks_those_present_once(
    database_url: str, tmp_path: Path, connector: FakeConnector
) -> None:
    # 9.00 local, a virtual minute per real second: the feedback item starts two seconds in
    start = datetime.combine(TODAY, time(8, 59, 50), tzinfo=HELSINKI).astimezone(UTC)
    clock = ScaledClock(start, 60.0)
    async with make_room(database_url, tmp_path, connector, clock=clock) as room:
        group = await group_of(room)
        assert group.id is not None
        await held_day(room)
        day = d.place_plan(SHORT_DAY, group.id, TODAY, group.timezone, group.language)
        await room.bot.store.days.add(day, [])
        await room.say(MAIJA, "aloita päivä")
        await room.connector.wait_for(
            lambda r: r.route == "send" and SCORE_VERB in dump(r.json), timeout=20
        )
        await drained(room.bot)
        for client in HERE:
            chat = private_chat(room.connector, client)
            assert chat is not None
            assert len(feedback_cards_to(room.connector, chat)) == 1
        round_ = await room.bot.store.feedback.round_of(group.id, TODAY)
        assert round_ is not None and round_.trigger is Trigger.ITEM and round_.opened_by is None
        # the instructor's `palaute` afterwards sends nobody a second card
        said = await ask_feedback(room)
        assert said == [text(FI, "feedback.asked_already")]
        for client in HERE:
            chat = private_chat(room.connector, client)
            assert chat is not None
            assert len(feedback_cards_to(room.connector, chat)) == 1


async def test_the_meeting_end_asks_only_when_nothing_was_asked(
    database_url: str, tmp_path: Path, connector: FakeConnector
) -> None:
    async with make_room(database_url, tmp_path, connector, conv=Conv.meeting_chat()) as room:
        group = await group_of(room)
        assert group.id is not None
        await held_day(room)
        status, _ = await room.bot.post(
            meeting_end(conversation=room.conv, sender=MAIJA, service_url=connector.url)
        )
        assert status in (200, 201)
        await drained(room.bot)
        for client in HERE:
            chat = private_chat(room.connector, client)
            assert chat is not None
            assert len(feedback_cards_to(room.connector, chat)) == 1
        today = datetime.now(UTC).astimezone(HELSINKI).date()
        round_ = await room.bot.store.feedback.round_of(group.id, today)
        assert round_ is not None and round_.trigger is Trigger.MEETING_END
        # a second meeting end (Teams sends one per meeting) asks nobody again
        await room.bot.post(
            meeting_end(conversation=room.conv, sender=MAIJA, service_url=connector.url)
        )
        await drained(room.bot)
        for client in HERE:
            chat = private_chat(room.connector, client)
            assert chat is not None
            assert len(feedback_cards_to(room.connector, chat)) == 1


async def test_the_meeting_end_after_feedback_was_asked_sends_nothing_more(
    database_url: str, tmp_path: Path, connector: FakeConnector
) -> None:
    async with make_room(database_url, tmp_path, connector, conv=Conv.meeting_chat()) as room:
        await held_day(room, HERE[:2])
        await ask_feedback(room)
        sends = len(room.connector.sent_requests)
        await room.bot.post(
            meeting_end(conversation=room.conv, sender=MAIJA, service_url=connector.url)
        )
        await drained(room.bot)
        new = room.connector.sent_requests[sends:]
        assert not [r for r in new if SCORE_VERB in dump(r.json)]


async def test_an_idea_becomes_the_topic_of_the_next_planned_day(
    database_url: str, tmp_path: Path, connector: FakeConnector
) -> None:
    start = datetime.combine(TODAY, time(12, 0), tzinfo=HELSINKI).astimezone(UTC)
    async with make_room(database_url, tmp_path, connector, clock=ScaledClock(start, 1.0)) as room:
        group = await group_of(room)
        assert group.id is not None
        await held_day(room)
        await ask_feedback(room)
        rid = await round_id(room)
        await tap_score(room, HERE[0], 5, anonymous=True)
        chat, _ = feedback_card(room, HERE[0])
        await room.tap(
            HERE[0],
            MORE_VERB,
            {"round": str(rid), "idea": "Ruoanlaittoa halvalla", "good": "", "topics": ""},
            conv=Conv.personal(id=chat),
        )
        later = d.place_plan(SHORT_DAY, group.id, NEXT_DAY, group.timezone, group.language)
        stored = await room.bot.store.days.add(later, [])

        await room.say(MAIJA, "ideat")
        await drained(room.bot)
        own = private_chat(room.connector, MAIJA)
        assert own is not None
        ideas = cards_in(room.connector, own)[-1]
        assert date_text(FI, NEXT_DAY) in dump(ideas)
        plan = [a for a in actions_of(ideas, IDEA_VERB) if a["data"].get("do") == "plan"]
        assert len(plan) == 1
        body = await room.tap(MAIJA, IDEA_VERB, plan[0]["data"], conv=Conv.personal(id=own))
        assert body["type"] == "application/vnd.microsoft.card.adaptive"
        await drained(room.bot)
        said = text(
            FI, "feedback.idea.planned", date=date_text(FI, NEXT_DAY), title="Ruoanlaittoa halvalla"
        )
        assert said in room.connector.texts(own)
        changed = await room.bot.store.days.get(stored.id or 0)
        assert changed is not None
        assert changed.items[0].title == "Ruoanlaittoa halvalla"
        ideas_now = await room.bot.store.feedback.ideas(group.id)
        assert [(i.used, i.planned_for) for i in ideas_now] == [(True, NEXT_DAY)]
