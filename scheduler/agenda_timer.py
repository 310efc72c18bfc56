"""The agenda timer: APScheduler date jobs derived from stored days (the database is the truth).

Job ids are stable ("day:<id>:<event key>"), so rebuilding after a change or a restart replaces
jobs instead of adding duplicates. Nothing is pickled: at start-up every job is derived anew.
Events already due when the timer (re)starts run at once, in order; the domain decides whether
each is still fresh enough to post (grace) or is skipped.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from typing import Protocol

from apscheduler.schedulers.asyncio import AsyncIOScheduler

from domain.agenda import AgendaService
from domain.days import GroupDay, pending_events
from scheduler.quiet import ends_quietly

log = logging.getLogger(__name__)

POLL_JOB = "agenda:poll"
STAGGER = timedelta(milliseconds=20)
RETRY = timedelta(seconds=5)
BATCH_WINDOW = 0.01  # seconds: events due together are fired in one transaction


class Days(Protocol):
    """What the timer reads."""

    async def get(self, day_id: int) -> GroupDay | None: ...
    async def open_days(self, first: date, last: date) -> list[GroupDay]: ...
    async def open_day_versions(self, first: date, last: date) -> dict[int, int]: ...


class AgendaTimer:
    """Keeps one APScheduler job per pending event of every open day."""

    def __init__(
        self,
        aps: AsyncIOScheduler,
        service: AgendaService,
        days: Days,
        *,
        poll_seconds: float = 2.0,
        to_real: Callable[[datetime], datetime] | None = None,
    ) -> None:
        self._to_real = to_real or (lambda moment: moment)
        self._aps = aps
        self._service = service
        self._days = days
        self._poll_seconds = poll_seconds
        self._versions: dict[int, int] = {}
        self._lock = asyncio.Lock()
        self._due: list[tuple[int, str, asyncio.Future[bool]]] = []
        self._flushing: asyncio.Task[None] | None = None
        self.running = False

    def _window(self) -> tuple[date, date]:
        today = self._service.now().astimezone(UTC).date()
        return today - timedelta(days=1), today + timedelta(days=1)

    async def start(self) -> None:
        """Derive every job from the database and start watching for changes."""
        self.running = True
        await self.reconcile_all()
        self._aps.add_job(
            ends_quietly(self.poll),
            "interval",
            seconds=self._poll_seconds,
            id=POLL_JOB,
            replace_existing=True,
            coalesce=True,
            max_instances=1,
        )

    async def stop(self) -> None:
        """Remove every job (another replica takes over)."""
        self.running = False
        for job in self._aps.get_jobs():
            if job.id == POLL_JOB or job.id.startswith("day:"):
                job.remove()
        self._versions.clear()

    async def reconcile_all(self) -> None:
        """Rebuild the jobs of all open days around today."""
        first, last = self._window()
        days = await self._days.open_days(first, last)
        wanted = {day.id for day in days}
        for day_id in list(self._versions):
            if day_id not in wanted:
                self._drop_jobs(day_id)
                self._versions.pop(day_id, None)
        for day in days:
            await self._schedule(day)

    async def reconcile(self, day_id: int) -> None:
        """Rebuild one day's jobs after it changed (called by the service and by the poller)."""
        if not self.running:
            return
        day = await self._days.get(day_id)
        if day is None:
            self._drop_jobs(day_id)
            self._versions.pop(day_id, None)
            return
        await self._schedule(day)

    async def poll(self) -> None:
        """Pick up changes made by other replicas (days are steered wherever a message lands)."""
        if not self.running:
            return
        first, last = self._window()
        try:
            versions = await self._days.open_day_versions(first, last)
        except Exception:
            log.warning("agenda poll failed; will retry", exc_info=True)
            return
        for day_id, version in versions.items():
            if self._versions.get(day_id) != version:
                await self.reconcile(day_id)
        for day_id in set(self._versions) - set(versions):
            self._drop_jobs(day_id)
            self._versions.pop(day_id, None)

    def _drop_jobs(self, day_id: int) -> None:
        prefix = f"day:{day_id}:"
        for job in self._aps.get_jobs():
            if job.id.startswith(prefix):
                job.remove()

    async def _schedule(self, day: GroupDay) -> None:
        async with self._lock:
            assert day.id is not None
            self._versions[day.id] = day.version
            events = pending_events(day, self._service.settings.break_warning)
            wanted = {f"day:{day.id}:{e.key}" for e in events}
            prefix = f"day:{day.id}:"
            for job in self._aps.get_jobs():
                if job.id.startswith(prefix) and job.id not in wanted:
                    job.remove()
            now = self._service.now()
            real_now = datetime.now(UTC)
            overdue = 0
            for event in events:
                run_at = self._to_real(event.at)
                if event.at <= now or run_at <= real_now:
                    run_at = real_now + STAGGER * overdue  # keep the order of events already due
                    overdue += 1
                self._aps.add_job(
                    self._fire,
                    "date",
                    run_date=run_at,
                    args=[day.id, event.key],
                    id=f"day:{day.id}:{event.key}",
                    replace_existing=True,
                    misfire_grace_time=None,
                    max_instances=4,
                )

    async def _fire(self, day_id: int, key: str) -> None:
        """Run by APScheduler. Events due together (many groups at 09:00) are batched into one
        transaction; shielded so a shutdown does not cut a firing in half."""
        loop = asyncio.get_running_loop()
        done: asyncio.Future[bool] = loop.create_future()
        self._due.append((day_id, key, done))
        if self._flushing is None or self._flushing.done():
            self._flushing = loop.create_task(self._flush())
        try:
            rescheduled = await asyncio.shield(done)
        except asyncio.CancelledError:
            raise
        except Exception:
            log.exception("timer event %s of day %s failed; retrying in %s", key, day_id, RETRY)
            self._aps.add_job(
                self._fire,
                "date",
                run_date=datetime.now(UTC) + RETRY,
                args=[day_id, key],
                id=f"day:{day_id}:{key}",
                replace_existing=True,
                misfire_grace_time=None,
                max_instances=4,
            )
            return
        if rescheduled:
            return
        try:
            await self.reconcile(day_id)
        except Exception:
            log.warning("could not rebuild the jobs of day %s; the poller will", day_id)
            self._versions.pop(day_id, None)

    async def _flush(self) -> None:
        await asyncio.sleep(BATCH_WINDOW)
        while self._due:
            batch, self._due = self._due, []
            try:
                saved = await self._service.fire_many([(day_id, key) for day_id, key, _ in batch])
            except Exception as exc:
                for _day_id, _key, done in batch:
                    if not done.done():
                        done.set_exception(exc)
                continue
            # the days as saved: their next jobs come from them, with no second read per day
            rescheduled: set[int] = set()
            for day in saved if self.running else ():
                try:
                    await self._schedule(day)
                except Exception:
                    log.warning("could not rebuild the jobs of day %s; the poller will", day.id)
                    continue
                if day.id is not None:
                    rescheduled.add(day.id)
            for day_id, _key, done in batch:
                if not done.done():
                    done.set_result(day_id in rescheduled)
