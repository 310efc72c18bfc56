"""Roll calls and the attendance record."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import timedelta

from bot.features.kit import Kit, Plug
from bot.reporting import attendance_records
from bot.tutorial_page import notice_url
from cards.rollcall import RollCallCardRenderer
from dialogs import rollcall
from domain.agenda import AgendaService
from domain.org import Language
from domain.rollcall import hooks
from domain.rollcall.model import FullDayRule
from domain.rollcall.service import RollCallService, RollCallSettings

CLOSE_JOB = "rollcall:close"
CLOSE_SECONDS = 15


def build(kit: Kit) -> Iterable[object]:
    """The roll-call service; its card drawer, the check-in item, the closer every 15 s."""
    settings, store = kit.settings, kit.store

    def notice(language: Language) -> str:
        return notice_url(settings.base_url, language)

    agenda = kit.need(AgendaService)
    rule = FullDayRule(settings.full_day_rule)
    # the same read model the command line's reports build (planned days read in bulk)
    records = attendance_records(settings, store, kit.clock)
    service = RollCallService(
        store.rollcall,
        store.org,
        store.conversations,
        kit.meetings,
        kit.chats,
        RollCallCardRenderer(),
        store.outbox,
        instructor_teams_ids=store.org.instructor_teams_ids,
        day_end=agenda.day_end,
        settings=RollCallSettings(
            grace=timedelta(minutes=settings.rollcall_grace_minutes),
            open_for=timedelta(minutes=settings.rollcall_open_minutes),
            rule=rule,
        ),
        clock=kit.clock,
        notice_url=notice,
        records=records,
    )
    hooks.register(kit.hooks, service, store.conversations)
    kit.hooks.every(CLOSE_JOB, CLOSE_SECONDS, service.close_due)
    return (service,)


PLUG = Plug(rollcall.FEATURE, build)
