"""Retention: the leader purges what is past its retention once a night (docs/data-protection.md).

The job runs every few minutes and purges when the night's purge time has passed and no purge
has run that local day (the purge's audit entry says when it last ran), so a restart or a new
leader neither skips a night nor purges twice.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from datetime import datetime
from zoneinfo import ZoneInfo

from bot.features.kit import Kit, Plug
from bot.settings import Settings, clock_time
from dialogs.feature import Feature
from domain.org import DEFAULT_TIMEZONE
from domain.retention import Limits
from store.retention import SqlRetention

log = logging.getLogger(__name__)

PURGE_JOB = "retention:purge"
PURGE_SECONDS = 300


def limits(settings: Settings) -> Limits:
    """The retention rules from the settings."""
    return Limits(
        attendance_years=settings.retain_attendance_years,
        feedback_days=settings.retain_feedback_days,
        help_days=settings.retain_help_days,
        dialog_days=settings.retain_dialog_days,
        inbox_hours=settings.inbox_retention_hours,
        outbox_days=settings.retain_outbox_days,
        export_link_days=settings.retain_export_link_days,
        digest_days=settings.retain_digest_days,
        purge_at=clock_time(settings.purge_time),
        purge_zone=DEFAULT_TIMEZONE,
    )


class NightlyPurge:
    """The leader's job: purge once a local day, after the purge time."""

    def __init__(self, retention: SqlRetention, clock: Callable[[], datetime]) -> None:
        self._retention = retention
        self._clock = clock

    async def run(self) -> dict[str, int] | None:
        """Purge if tonight's purge is due; the counts removed, or None."""
        now = self._clock()
        last = await self._retention.last_purge()
        zone = ZoneInfo(self._retention.limits.purge_zone)
        last_day = last.astimezone(zone).date() if last else None
        if self._retention.limits.purge_due(now, last_day) is None:
            return None
        removed = await self._retention.purge(now)
        # counts per table only: no names, no ids
        log.info(
            "retention purge: %s",
            ", ".join(f"{k} {v}" for k, v in removed.items() if v) or "nothing to remove",
        )
        return removed


def build(kit: Kit) -> Iterable[object]:
    """The purge job on the leader."""
    retention = SqlRetention(kit.store.db, limits(kit.settings))
    purge = NightlyPurge(retention, kit.clock)
    kit.hooks.every(PURGE_JOB, PURGE_SECONDS, purge.run)
    return (purge,)


PLUG = Plug(Feature(name="retention"), build)
