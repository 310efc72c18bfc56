"""The day's agenda: plans, the running day, the weekly schedule."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import timedelta

from bot.features.kit import Kit, Plug
from cards.agenda import CardRenderer
from dialogs import agenda
from domain.agenda import (
    RENDER_KIND,
    AgendaService,
    PlanLibrary,
    TimerSettings,
    parse_back_render,
)
from domain.hooks import Card

RECURRENCE_JOB = "agenda:recurrence"
RECURRENCE_SECONDS = 3600


def build(kit: Kit) -> Iterable[object]:
    """The agenda service and the plan library; the "I'm back" card's drawer; the leader
    creates scheduled days hourly."""
    settings = kit.settings
    service = AgendaService(
        kit.store.days,
        kit.store.org,
        kit.store.conversations,
        CardRenderer(),
        clock=kit.clock,
        settings=TimerSettings(
            grace=timedelta(seconds=settings.timer_grace_seconds),
            break_warning=timedelta(seconds=settings.break_warning_seconds),
        ),
        hooks=kit.hooks,
    )
    library = PlanLibrary(kit.store.plans)

    async def draw(rest: str) -> Card | None:
        found = parse_back_render(rest)
        return await service.draw_back(*found) if found is not None else None

    kit.hooks.add_drawer(RENDER_KIND, draw)

    async def create_scheduled_days() -> None:
        await service.create_scheduled(
            kit.store.plans, library, horizon_days=settings.schedule_horizon_days
        )

    kit.hooks.every(RECURRENCE_JOB, RECURRENCE_SECONDS, create_scheduled_days, at_once=True)
    return service, library


PLUG = Plug(agenda.FEATURE, build)
