"""scheduler.jobs: what the leader starts when elected and stops when deposed."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import UTC, datetime, timedelta

import pytest
from apscheduler.schedulers.asyncio import AsyncIOScheduler

from bot.features.agenda import RECURRENCE_JOB, RECURRENCE_SECONDS
from bot.features.rollcall import CLOSE_JOB as ROLLCALL_CLOSE_JOB
from bot.features.rollcall import CLOSE_SECONDS as ROLLCALL_CLOSE_SECONDS
from domain.hooks import Periodic
from scheduler.jobs import LeaderJobs


class Events:
    def __init__(self) -> None:
        self.log: list[str] = []


class FakeWorker:
    def __init__(self, events: Events) -> None:
        self.events = events

    def start(self) -> None:
        self.events.log.append("worker.start")

    async def stop(self) -> None:
        self.events.log.append("worker.stop")


class FakeTimer:
    def __init__(self, events: Events) -> None:
        self.events = events

    async def start(self) -> None:
        self.events.log.append("timer.start")

    async def stop(self) -> None:
        self.events.log.append("timer.stop")


class FakeLeases:
    def __init__(self, events: Events, freed: int) -> None:
        self.events = events
        self.freed = freed
        self.calls: list[tuple[Callable[[str], Awaitable[bool]], str | None]] = []

    async def release_dead_leases(
        self, alive: Callable[[str], Awaitable[bool]], keep: str | None = None
    ) -> int:
        self.events.log.append("leases.release")
        self.calls.append((alive, keep))
        return self.freed


async def _alive(owner: str) -> bool:
    return owner == "me"


async def _close() -> int:
    return 0


async def _create() -> None:
    return None


@pytest.fixture
async def aps() -> AsyncIterator[AsyncIOScheduler]:
    scheduler = AsyncIOScheduler()
    scheduler.start(paused=True)  # jobs are added and removed, never run
    yield scheduler
    scheduler.shutdown(wait=False)


def _jobs(aps: AsyncIOScheduler, events: Events, freed: int = 0) -> tuple[LeaderJobs, FakeLeases]:
    leases = FakeLeases(events, freed)
    jobs = LeaderJobs(
        aps,
        worker=FakeWorker(events),
        timer=FakeTimer(events),
        periodic=(
            Periodic(ROLLCALL_CLOSE_JOB, ROLLCALL_CLOSE_SECONDS, _close),
            Periodic(RECURRENCE_JOB, RECURRENCE_SECONDS, _create, at_once=True),
        ),
        leases=leases,
        alive=_alive,
        owner="me",
    )
    return jobs, leases


async def test_elected_frees_dead_leases_then_starts_the_worker_timer_and_periodic_jobs(
    aps: AsyncIOScheduler,
) -> None:
    events = Events()
    jobs, leases = _jobs(aps, events, freed=3)

    await jobs.elected()

    assert events.log == ["leases.release", "worker.start", "timer.start"]
    assert leases.calls == [(_alive, "me")]
    close = aps.get_job(ROLLCALL_CLOSE_JOB)
    recurrence = aps.get_job(RECURRENCE_JOB)
    assert close is not None and close.func.__wrapped__ is _close
    assert close.trigger.interval.total_seconds() == ROLLCALL_CLOSE_SECONDS
    assert recurrence is not None and recurrence.func.__wrapped__ is _create
    assert recurrence.trigger.interval.total_seconds() == 3600
    assert close.max_instances == 1 and recurrence.max_instances == 1
    assert close.coalesce and recurrence.coalesce
    # the schedule runs at once on election; the closer first after its interval
    now = datetime.now(UTC)
    assert recurrence.next_run_time <= now
    assert close.next_run_time > now + timedelta(seconds=ROLLCALL_CLOSE_SECONDS - 2)


async def test_elected_again_replaces_the_periodic_jobs(aps: AsyncIOScheduler) -> None:
    jobs, _ = _jobs(aps, Events())
    await jobs.elected()
    await jobs.elected()
    assert sorted(job.id for job in aps.get_jobs()) == [RECURRENCE_JOB, ROLLCALL_CLOSE_JOB]


async def test_deposed_removes_the_periodic_jobs_and_stops_the_timer_then_the_worker(
    aps: AsyncIOScheduler,
) -> None:
    events = Events()
    jobs, _ = _jobs(aps, events)
    aps.add_job(_create, "interval", hours=1, id="other")
    await jobs.elected()
    events.log.clear()

    await jobs.deposed()

    assert events.log == ["timer.stop", "worker.stop"]
    assert [job.id for job in aps.get_jobs()] == ["other"]


async def test_deposed_without_having_led_only_stops(aps: AsyncIOScheduler) -> None:
    events = Events()
    jobs, _ = _jobs(aps, events)
    await jobs.deposed()
    assert events.log == ["timer.stop", "worker.stop"]


async def test_a_periodic_job_cancelled_by_a_shutdown_ends_without_a_traceback(
    caplog: pytest.LogCaptureFixture,
) -> None:
    started = asyncio.Event()

    async def slow() -> None:
        started.set()
        await asyncio.sleep(60)

    scheduler = AsyncIOScheduler()
    scheduler.start()
    jobs = LeaderJobs(
        scheduler,
        worker=FakeWorker(Events()),
        timer=FakeTimer(Events()),
        periodic=(Periodic("test:slow", 3600, slow, at_once=True),),
        leases=FakeLeases(Events(), 0),
        alive=_alive,
        owner="me",
    )
    await jobs.elected()
    await asyncio.wait_for(started.wait(), 5)
    scheduler.shutdown(wait=False)
    await asyncio.sleep(0.1)
    assert not [r for r in caplog.records if r.exc_info], [r.getMessage() for r in caplog.records]
