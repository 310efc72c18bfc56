"""The report service over the store, as the command line and the Teams side build it."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import UTC, date, datetime

from bot.settings import Settings
from domain.org import Group
from domain.reports.kela import parse_mapping
from domain.reports.service import ReportService, ReportSettings
from domain.rollcall.attendance import AttendanceRecords
from domain.rollcall.model import FullDayRule
from domain.rollcall.ports import DaySpan
from store.store import Store


def _utcnow() -> datetime:
    return datetime.now(UTC)


def report_settings(settings: Settings) -> ReportSettings:
    """The Kela mapping (KELA_REASONS) and the allowance per activity day (ALLOWANCE_EUR)."""
    return ReportSettings(parse_mapping(settings.kela_reasons), settings.allowance_cents)


def attendance_records(
    settings: Settings, store: Store, clock: Callable[[], datetime] = _utcnow
) -> AttendanceRecords:
    """The attendance read model with the planned days read in bulk and the minimum hours."""

    async def spans(group: Group, first: date, last: date) -> Mapping[date, DaySpan]:
        assert group.id is not None
        return await store.days.spans(group.id, first, last)

    return AttendanceRecords(
        store.rollcall,
        FullDayRule(settings.full_day_rule),
        clock=clock,
        spans=spans,
        min_hours=settings.full_day_min_hours,
    )


def report_service(
    settings: Settings,
    store: Store,
    clock: Callable[[], datetime] = _utcnow,
    records: AttendanceRecords | None = None,
) -> ReportService:
    """The reports over the store (records: the roll call service's, when there is one)."""
    return ReportService(
        records or attendance_records(settings, store, clock),
        store.reports,
        clock,
        report_settings(settings),
    )
