"""End-of-day feedback: asked at the plan's feedback item or the meeting's end, reminded once."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, timedelta

from bot.features.kit import Kit, Plug
from bot.settings import clock_time
from cards.feedback import FeedbackCardRenderer
from dialogs import feedback
from domain.agenda import AgendaService
from domain.days import GroupDay
from domain.feedback.model import Trigger
from domain.feedback.service import FeedbackConfig, FeedbackService
from domain.model import Actor
from domain.org import Group
from domain.plans import ItemKind
from domain.rollcall.service import RollCallService

REMIND_JOB = "feedback:remind"
REMIND_SECONDS = 30


def build(kit: Kit) -> Iterable[object]:
    """The feedback service; the feedback item and the meeting's end ask, a job reminds."""
    settings, store = kit.settings, kit.store
    agenda = kit.need(AgendaService)

    async def next_day(group: Group) -> tuple[int, date] | None:
        day = await agenda.next_day(group)
        return (day.id, day.date) if day is not None and day.id is not None else None

    async def retitle(actor: Actor, group: Group, day_id: int, title: str) -> str:
        day = await agenda.retitle(actor, group, day_id, title)
        return day.plan_name

    service = FeedbackService(
        store.feedback,
        store.org,
        store.conversations,
        kit.chats,
        FeedbackCardRenderer(),
        store.outbox,
        kit.need(RollCallService).records,
        next_day=next_day,
        retitle=retitle,
        config=FeedbackConfig(
            reminder_after=timedelta(minutes=settings.feedback_reminder_minutes),
            closes=clock_time(settings.feedback_closes),
        ),
        clock=kit.clock,
    )

    async def item(day: GroupDay) -> None:
        conversation = await store.conversations.bound_to(day.group_id)
        if conversation is not None and conversation.active:
            await service.ask(None, conversation, Trigger.ITEM)

    async def meeting_ended(group_id: int) -> None:
        conversation = await store.conversations.bound_to(group_id)
        if conversation is not None and conversation.active:
            await service.ask(None, conversation, Trigger.MEETING_END)

    kit.hooks.on_item_started(ItemKind.FEEDBACK, item)
    kit.hooks.on_meeting_ended(meeting_ended)
    kit.hooks.every(REMIND_JOB, REMIND_SECONDS, service.remind_due)
    return (service,)


PLUG = Plug(feedback.FEATURE, build)
