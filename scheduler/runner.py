"""The scheduler: APScheduler 3 on the event loop, jobs derived from the database."""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.schedulers.base import STATE_PAUSED, STATE_RUNNING, STATE_STOPPED

from domain.ports import InboxRepository
from scheduler.quiet import ends_quietly

log = logging.getLogger(__name__)

HOUSEKEEPING_JOB = "housekeeping:inbox"
_STATES = {STATE_RUNNING: "running", STATE_PAUSED: "paused", STATE_STOPPED: "stopped"}


class Scheduler:
    """Owns the AsyncIOScheduler and the jobs every replica runs."""

    def __init__(self, inbox: InboxRepository, *, inbox_retention: timedelta) -> None:
        self._inbox = inbox
        self._retention = inbox_retention
        self._scheduler = AsyncIOScheduler(timezone=UTC, job_defaults={"coalesce": True})

    @property
    def aps(self) -> AsyncIOScheduler:
        """The APScheduler instance (the agenda timer adds its jobs here)."""
        return self._scheduler

    @property
    def state(self) -> str:
        """running, paused or stopped."""
        return _STATES.get(self._scheduler.state, "unknown")

    def start(self) -> None:
        """Start on the running event loop and add the housekeeping jobs."""
        self._scheduler.add_job(
            ends_quietly(self.purge_inbox),
            "interval",
            minutes=30,
            id=HOUSEKEEPING_JOB,
            replace_existing=True,
            next_run_time=datetime.now(UTC) + timedelta(seconds=30),
            misfire_grace_time=600,
        )
        self._scheduler.start()
        log.info("scheduler started")

    def shutdown(self) -> None:
        """Stop without waiting for running jobs (they are shielded where it matters)."""
        if self._scheduler.state != STATE_STOPPED:
            self._scheduler.shutdown(wait=False)
            log.info("scheduler stopped")

    async def purge_inbox(self) -> int:
        """Forget handled activity ids older than the retention period."""
        removed = await self._inbox.purge_before(datetime.now(UTC) - self._retention)
        if removed:
            log.info("purged %d handled activity ids", removed)
        return removed
