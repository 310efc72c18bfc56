"""The columns of the three exports: a stable key, a header in each language, a value per row.

Pure: the writers (bot/exports.py) turn rows into CSV or xlsx cells through these. A value is
a text, a number, a date or a time of day; a column with `words` shows its value in words
(the catalog key `<words>.<value>`), in the export's language.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, time
from typing import Any
from zoneinfo import ZoneInfo

from domain.i18n import text
from domain.org import Language
from domain.reports.kela import KelaReason
from domain.reports.model import AbsenceLine, ClientMonth, PersonDay

Cell = str | int | float | date | time | None


@dataclass(frozen=True, slots=True)
class Column:
    """One column: key (stable, for programs), header (catalog key), the value of a row."""

    key: str
    header_key: str
    value: Callable[[Any], Cell]
    # the value in words: the catalog key "<words>.<value>" (only for the values in `only`)
    words: str | None = None
    only: frozenset[str] | None = None

    def header(self, language: Language) -> str:
        """The column's title in a language."""
        return text(language, self.header_key)

    def cell(self, row: Any, language: Language) -> Cell:
        """The row's value in this column, in words where the column has them."""
        found = self.value(row)
        if self.words is None or found is None or found == "":
            return found
        if self.only is not None and found not in self.only:
            return found
        return text(language, f"{self.words}.{found}")


def _local(moment: datetime | None, zone: str) -> time | None:
    if moment is None:
        return None
    return moment.astimezone(ZoneInfo(zone)).time().replace(second=0, microsecond=0)


def _value(thing: Any) -> str | None:
    return None if thing is None else str(thing.value if hasattr(thing, "value") else thing)


def _flag(value: bool) -> str:
    return "yes" if value else "no"


def _attendance() -> tuple[Column, ...]:
    def c(key: str, value: Callable[[PersonDay], Cell], words: str | None = None) -> Column:
        return Column(key, f"reports.col.{key}", value, words)

    return (
        c("date", lambda r: r.day),
        c("unit", lambda r: r.unit_key),
        c("group", lambda r: r.group_name),
        c("person_id", lambda r: r.person_id),
        c("name", lambda r: r.name),
        c("role", lambda r: r.role, "reports.role"),
        c("kind", lambda r: _value(r.kind), "reports.kind"),
        c("status", lambda r: _value(r.status), "rollcall.status"),
        c("reason", lambda r: _value(r.reason), "rollcall.reason"),
        c("kela", lambda r: _value(r.kela), "reports.kela"),
        c("note", lambda r: _value(r.note), "rollcall.reason"),
        c("joined", lambda r: _local(r.joined_at, r.timezone)),
        c("left", lambda r: _local(r.left_at, r.timezone)),
        c("hours", lambda r: r.hours),
        c("full_day", lambda r: _flag(r.full_day), "reports.flag"),
        Column(
            "recorded_by",
            "reports.col.recorded_by",
            lambda r: r.recorded_by,
            "reports.by",
            frozenset({"self", "system"}),
        ),
        c("corrections", lambda r: r.corrections),
    )


def _activity_days() -> tuple[Column, ...]:
    def c(key: str, value: Callable[[ClientMonth], Cell]) -> Column:
        return Column(key, f"reports.col.{key}", value)

    def absences(reason: KelaReason) -> Column:
        return c(f"absent_{reason.value}", lambda r: r.absences.get(reason, 0))

    return (
        c("person_id", lambda r: r.person_id),
        c("name", lambda r: r.name),
        c("groups", lambda r: ", ".join(r.groups)),
        c("activity", lambda r: r.activity),
        c("short", lambda r: r.short),
        c("absent", lambda r: r.absent),
        *(absences(reason) for reason in KelaReason),
        c("not_held", lambda r: r.not_held),
        c("unrecorded", lambda r: r.unrecorded),
        c("allowance", lambda r: r.allowance_cents / 100),
    )


def _absences() -> tuple[Column, ...]:
    def c(key: str, value: Callable[[AbsenceLine], Cell], words: str | None = None) -> Column:
        return Column(key, f"reports.col.{key}", value, words)

    return (
        c("person_id", lambda r: r.person_id),
        c("name", lambda r: r.name),
        c("date", lambda r: r.day),
        c("group", lambda r: r.group_name),
        c("kela", lambda r: _value(r.kela), "reports.kela"),
        c("note", lambda r: _value(r.note), "rollcall.reason"),
    )


# one row per person per group day (PersonDay)
ATTENDANCE: tuple[Column, ...] = _attendance()
# one row per client and month (ClientMonth)
ACTIVITY_DAYS: tuple[Column, ...] = _activity_days()
# one row per absence (AbsenceLine): the TT3 list
ABSENCES: tuple[Column, ...] = _absences()
