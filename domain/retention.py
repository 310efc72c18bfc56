"""How long each kind of data is kept, and when the nightly purge runs (pure rules).

Attendance (marks, check-outs, corrections) is a statutory record: a client's is kept until
`attendance_years` after their service ended (the organisation file's `service_ended`), and as
long as it has not ended. The audit log is kept as long, counted from each entry. Other data
is kept for a number of days after its own moment (an answer's round, a help request's creation,
a message's sending); the organisation and its configuration are kept while they are in use.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo


class DataType(enum.StrEnum):
    """A kind of stored data with its own retention rule."""

    ATTENDANCE = "attendance"  # marks, check-outs, corrections; Teams' attendance reports
    AUDIT = "audit"  # the audit log (exports, bindings, imports, erasures)
    FEEDBACK = "feedback"  # answers, written answers, who was asked and who answered, idea marks
    HELP = "help"  # help requests and guide progress
    DIALOG = "dialog"  # dialog state
    INBOX = "inbox"  # handled activity ids
    OUTBOX = "outbox"  # sent messages and dead letters
    EXPORT_LINKS = "export_links"  # download links
    DIGEST = "digest"  # the marks of digests sent
    KEPT = "kept"  # the organisation and its configuration: kept while in use


@dataclass(frozen=True, slots=True)
class Limits:
    """The retention of each data type (settings RETAIN_*, INBOX_RETENTION_HOURS)."""

    attendance_years: int = 10
    feedback_days: int = 365
    help_days: int = 365
    dialog_days: int = 30
    inbox_hours: int = 48
    outbox_days: int = 30
    export_link_days: int = 1
    digest_days: int = 90
    # the nightly purge: this local time in this zone, once a day
    purge_at: time = time(3, 0)
    purge_zone: str = "Europe/Helsinki"

    def rule(self, kind: DataType) -> str:
        """The rule in words (for `etapaiva retention show`)."""
        years = self.attendance_years
        return {
            DataType.ATTENDANCE: f"{years} years after the client's service ended "
            "(organisation file: service_ended); kept while it has not",
            DataType.AUDIT: f"{years} years after the entry",
            DataType.FEEDBACK: f"{self.feedback_days} days after the group day; "
            "the round's counts are kept",
            DataType.HELP: f"{self.help_days} days after the request or the last guide step",
            DataType.DIALOG: f"{self.dialog_days} days after the last change; a day's "
            '"I\'m back" taps as long after the day',
            DataType.INBOX: f"{self.inbox_hours} hours after it arrived",
            DataType.OUTBOX: f"{self.outbox_days} days after sending, or after the last "
            "attempt of a dead letter",
            DataType.EXPORT_LINKS: f"{_days(self.export_link_days)} after the link expired",
            DataType.DIGEST: f"{self.digest_days} days after sending",
            DataType.KEPT: "kept while in use (organisation and configuration)",
        }[kind]

    def cutoff(self, kind: DataType, now: datetime) -> datetime:
        """Rows of kind whose moment is before this are purged (not for ATTENDANCE or KEPT)."""
        days = {
            DataType.FEEDBACK: self.feedback_days,
            DataType.HELP: self.help_days,
            DataType.DIALOG: self.dialog_days,
            DataType.OUTBOX: self.outbox_days,
            DataType.EXPORT_LINKS: self.export_link_days,
            DataType.DIGEST: self.digest_days,
        }
        if kind is DataType.INBOX:
            return now - timedelta(hours=self.inbox_hours)
        if kind is DataType.AUDIT:
            return datetime.combine(years_after(now.date(), -self.attendance_years), now.timetz())
        if kind in days:
            return now - timedelta(days=days[kind])
        raise ValueError(f"{kind.value} has no cutoff")

    def ended_before(self, today: date) -> date:
        """A client whose service ended before this day has their attendance purged today."""
        return years_after(today, -self.attendance_years)

    def kept_until(self, service_ended: date | None) -> date | None:
        """The last day a client's attendance is kept; None while their service has not ended."""
        if service_ended is None:
            return None
        return years_after(service_ended, self.attendance_years)

    def purge_due(self, now: datetime, last_run: date | None) -> date | None:
        """The local day whose nightly purge should run now, or None (ran today, or too early)."""
        local = now.astimezone(ZoneInfo(self.purge_zone))
        if local.time() < self.purge_at or last_run == local.date():
            return None
        return local.date()


def _days(n: int) -> str:
    return f"{n} day" if n == 1 else f"{n} days"


def years_after(day: date, years: int) -> date:
    """The same day `years` later (or earlier); 29 February becomes 28 February."""
    try:
        return day.replace(year=day.year + years)
    except ValueError:
        return day.replace(year=day.year + years, day=28)
