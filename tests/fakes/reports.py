"""A reports' reader with fixed lines, and a plain CSV writer, for the Teams side's tests.

The reader answers as the reports' service does about permissions (coordinators and admins read
the lists, everyone their own month) and returns each person's fixed November.
"""

from __future__ import annotations

import csv
import io
from collections.abc import AsyncIterator, Iterable
from dataclasses import asdict
from datetime import UTC, date, datetime
from typing import BinaryIO

from bot.features import FEATURES, Plug
from bot.features import reports as reports_plug
from domain.errors import NotAllowed
from domain.model import Actor
from domain.org import Language, Role
from domain.reports.downloads import ExportKind, FileFormat
from domain.reports.kela import KelaReason
from domain.reports.model import (
    AbsenceLine,
    ClientMonth,
    DayKind,
    OwnMonth,
    PersonDay,
)
from domain.rollcall.model import Reason, Status

# each person's November: (day, kind, Kela reason)
NOVEMBER: dict[str, tuple[tuple[int, DayKind, KelaReason | None], ...]] = {
    "Jari Mäkinen": (
        (5, DayKind.ACTIVITY, None),
        (12, DayKind.ABSENT, KelaReason.OWN_ILLNESS),
        (19, DayKind.ACTIVITY, None),
        (26, DayKind.NOT_HELD, None),
    ),
    "Erik Holmström": (
        (3, DayKind.ABSENT, KelaReason.PUBLIC_OFFICE),
        (10, DayKind.SHORT, None),
        (17, DayKind.ABSENT, KelaReason.JOB_INTERVIEW),
    ),
    "Ahmed Hassan": ((4, DayKind.ACTIVITY, None),),
}


def _line(name: str, person_id: int, on: date, kind: DayKind, kela: KelaReason | None) -> PersonDay:
    return PersonDay(
        unit_key="uusix-kylasaari-it",
        group_key="it-torstai",
        group_name="IT-pajan etäryhmä, torstai",
        day=on,
        person_id=person_id,
        name=name,
        role="client",
        kind=kind,
        status=Status.EXCUSED if kela else Status.PRESENT if kind is DayKind.ACTIVITY else None,
        reason=Reason.SICK if kela is KelaReason.OWN_ILLNESS else None,
        kela=kela,
        note=None,
        joined_at=datetime(on.year, on.month, on.day, 7, tzinfo=UTC),
        left_at=None,
        hours=None,
        full_day=kind is DayKind.ACTIVITY,
        recorded_by="self",
        corrections=0,
    )


def _lines(name: str, person_id: int, month: date) -> tuple[PersonDay, ...]:
    if month != date(2026, 11, 1):
        return ()
    return tuple(
        _line(name, person_id, month.replace(day=d), kind, kela)
        for d, kind, kela in NOVEMBER.get(name, ())
    )


def _totals(name: str, person_id: int, days: tuple[PersonDay, ...]) -> ClientMonth:
    absences: dict[KelaReason, int] = {}
    for day in days:
        if day.kela is not None:
            absences[day.kela] = absences.get(day.kela, 0) + 1
    activity = sum(d.kind is DayKind.ACTIVITY for d in days)
    return ClientMonth(
        person_id=person_id,
        name=name,
        groups=("IT-pajan etäryhmä, torstai",),
        activity=activity,
        short=sum(d.kind is DayKind.SHORT for d in days),
        absences=absences,
        not_held=sum(d.kind is DayKind.NOT_HELD for d in days),
        allowance_cents=900 * activity,
    )


def _staff(actor: Actor | None) -> None:
    if actor is not None and not actor.roles & {Role.COORDINATOR, Role.ADMIN}:
        raise NotAllowed("reports.not_allowed")


class FixedReports:
    """Each person's fixed November; the lists for coordinators and admins only."""

    def __init__(self) -> None:
        self.asked: list[tuple[str, int | None]] = []

    async def own_month(self, actor: Actor, month: date) -> OwnMonth:
        self.asked.append(("own_month", actor.person_id))
        days = _lines(actor.person.name, actor.person_id, month)
        return OwnMonth(month, days, _totals(actor.person.name, actor.person_id, days))

    async def person_days(
        self,
        actor: Actor | None,
        first: date,
        last: date,
        unit_key: str | None = None,
        group_key: str | None = None,
    ) -> AsyncIterator[PersonDay]:
        _staff(actor)
        self.asked.append(("person_days", actor.person_id if actor else None))
        for number, name in enumerate(NOVEMBER, start=1000):
            for line in _lines(name, number, date(2026, 11, 1)):
                yield line

    async def activity_days(
        self, actor: Actor | None, month: date, unit_key: str | None = None
    ) -> list[ClientMonth]:
        _staff(actor)
        self.asked.append(("activity_days", actor.person_id if actor else None))
        return [
            _totals(name, number, _lines(name, number, month))
            for number, name in enumerate(NOVEMBER, start=1000)
        ]

    async def absences(
        self, actor: Actor | None, first: date, last: date, unit_key: str | None = None
    ) -> list[AbsenceLine]:
        _staff(actor)
        self.asked.append(("absences", actor.person_id if actor else None))
        return [
            AbsenceLine(d.person_id, d.name, d.day, d.group_name, d.kela)
            for number, name in enumerate(NOVEMBER, start=1000)
            for d in _lines(name, number, date(2026, 11, 1))
            if d.kela is not None
        ]


def plain_csv(
    kind: ExportKind,
    fmt: FileFormat,
    language: Language,
    lines: Iterable[object],
    target: BinaryIO,
) -> int:
    """The lines' fields as CSV in UTF-8 (any format asked for), the field names as headers."""
    count = 0
    text = io.TextIOWrapper(target, encoding="utf-8", newline="", write_through=True)
    writer: csv.writer | None = None  # type: ignore[valid-type]
    for line in lines:
        fields = asdict(line)  # type: ignore[call-overload]
        if writer is None:
            writer = csv.writer(text, delimiter=";")
            writer.writerow(fields)
        writer.writerow(str(v) for v in fields.values())
        count += 1
    text.detach()
    return count


def with_fixed_reports(reports: FixedReports | None = None) -> tuple[Plug, ...]:
    """The service's features, the reports' reader answering with the fixed lines."""
    fixed = reports or FixedReports()
    wired = reports_plug.plug(lambda _kit: fixed, plain_csv)
    return tuple(wired if p is reports_plug.PLUG else p for p in FEATURES)
