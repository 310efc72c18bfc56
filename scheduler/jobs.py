"""What only the leader replica runs: the outbox worker, the agenda timer and periodic jobs.

The periodic jobs have stable ids, so electing the same replica again replaces them instead of
adding duplicates.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Any, Protocol

from apscheduler.schedulers.asyncio import AsyncIOScheduler

log = logging.getLogger(__name__)

RECURRENCE_JOB = "agenda:recurrence"
ROLLCALL_CLOSE_JOB = "rollcall:close"
ROLLCALL_CLOSE_SECONDS = 15

Job = Callable[[], Awaitable[Any]]


class Worker(Protocol):
    """The outbox worker (scheduler.outbox_worker.OutboxWorker)."""

    def start(self) -> None: ...
    async def stop(self) -> None: ...


class Timer(Protocol):
    """The agenda timer (scheduler.agenda_timer.AgendaTimer)."""

    async def start(self) -> None: ...
    async def stop(self) -> None: ...


class Leases(Protocol):
    """The outbox's leases (store.outbox.SqlOutbox)."""

    async def release_dead_leases(
        self, alive: Callable[[str], Awaitable[bool]], keep: str | None = None
    ) -> int: ...


class LeaderJobs:
    """Starts the leader's work when this replica is elected and stops it when deposed."""

    def __init__(
        self,
        aps: AsyncIOScheduler,
        *,
        worker: Worker,
        timer: Timer,
        close_roll_calls: Job,
        create_scheduled_days: Job,
        leases: Leases,
        alive: Callable[[str], Awaitable[bool]],
        owner: str,
    ) -> None:
        self._aps = aps
        self._worker = worker
        self._timer = timer
        self._close_roll_calls = close_roll_calls
        self._create_scheduled_days = create_scheduled_days
        self._leases = leases
        self._alive = alive
        self._owner = owner

    async def elected(self) -> None:
        """This replica leads: take over a dead leader's messages, start the worker and jobs."""
        # a killed leader's claimed messages go out now, not when their leases run out
        freed = await self._leases.release_dead_leases(self._alive, self._owner)
        if freed:
            log.info("outbox: took over %d messages of a replica that died", freed)
        self._worker.start()
        await self._timer.start()
        self._aps.add_job(
            self._close_roll_calls,
            "interval",
            seconds=ROLLCALL_CLOSE_SECONDS,
            id=ROLLCALL_CLOSE_JOB,
            replace_existing=True,
            coalesce=True,
            max_instances=1,
        )
        self._aps.add_job(
            self._create_scheduled_days,
            "interval",
            hours=1,
            id=RECURRENCE_JOB,
            replace_existing=True,
            next_run_time=datetime.now(UTC),
            coalesce=True,
            max_instances=1,
        )

    async def deposed(self) -> None:
        """This replica no longer leads: remove the periodic jobs, stop the timer and worker."""
        for job in (RECURRENCE_JOB, ROLLCALL_CLOSE_JOB):
            if self._aps.get_job(job):
                self._aps.remove_job(job)
        await self._timer.stop()
        await self._worker.stop()
