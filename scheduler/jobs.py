"""What only the leader replica runs: the outbox worker, the agenda timer and periodic jobs.

Features register their periodic jobs (domain.hooks.Hooks.every) with stable ids, named
"<feature>:<job>", so electing the same replica again replaces them instead of adding
duplicates. The timer's own jobs are "day:<id>:<event>" and "agenda:poll" (agenda_timer.py).
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Iterable
from datetime import UTC, datetime
from typing import Protocol

from apscheduler.schedulers.asyncio import AsyncIOScheduler

from domain.hooks import Periodic
from scheduler.quiet import ends_quietly

log = logging.getLogger(__name__)


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
        periodic: Iterable[Periodic],
        leases: Leases,
        alive: Callable[[str], Awaitable[bool]],
        owner: str,
    ) -> None:
        self._aps = aps
        self._worker = worker
        self._timer = timer
        self._periodic = tuple(periodic)
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
        for periodic in self._periodic:
            self._aps.add_job(
                ends_quietly(periodic.job),
                "interval",
                seconds=periodic.seconds,
                id=periodic.job_id,
                replace_existing=True,
                coalesce=True,
                max_instances=1,
                **({"next_run_time": datetime.now(UTC)} if periodic.at_once else {}),
            )

    async def deposed(self) -> None:
        """This replica no longer leads: remove the periodic jobs, stop the timer and worker."""
        for periodic in self._periodic:
            if self._aps.get_job(periodic.job_id):
                self._aps.remove_job(periodic.job_id)
        await self._timer.stop()
        await self._worker.stop()
