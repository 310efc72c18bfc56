"""Teams' attendance report: read after each meeting (a leader job), shown as suggestions."""

from __future__ import annotations

from collections.abc import Iterable

from bot.features.kit import Kit, Plug
from dialogs import reconcile
from domain.agenda import AgendaService
from domain.meetings import MeetingDetails, MeetingDetailsSource
from domain.reconcile import ReconcileService, Rules
from domain.rollcall.service import RollCallService

POLL_JOB = "graphreport:poll"
POLL_SECONDS = 60


def build(kit: Kit) -> Iterable[object]:
    """The reconciliation service; the meeting's start finds its Graph id, its end plans the
    polls, a job does them."""
    store = kit.store
    agenda = kit.need(AgendaService)
    meetings = kit.meetings if isinstance(kit.meetings, MeetingDetailsSource) else None

    async def details_of(group_id: int) -> MeetingDetails | None:
        conversation = await store.conversations.bound_to(group_id)
        if conversation is None or meetings is None:
            return None
        return await meetings.details(conversation)

    async def chat_of(group_id: int) -> str | None:
        conversation = await store.conversations.bound_to(group_id)
        return conversation.conversation_id if conversation is not None else None

    service = ReconcileService(
        store.graph_attendance,
        kit.graph,
        store.org,
        kit.need(RollCallService).records,
        details_of=details_of,
        chat_of=chat_of,
        day_end=agenda.day_end,
        rules=Rules(short_stay=kit.settings.graph_short_stay_minutes),
        clock=kit.clock,
    )

    async def meeting_started(group_id: int) -> None:
        await service.meeting_started(group_id)

    async def meeting_ended(group_id: int) -> None:
        await service.meeting_ended(group_id)

    kit.hooks.on_meeting_started(meeting_started)
    kit.hooks.on_meeting_ended(meeting_ended)
    if kit.graph is not None:
        kit.hooks.every(POLL_JOB, POLL_SECONDS, service.poll_due)
    return (service,)


PLUG = Plug(reconcile.FEATURE, build)
