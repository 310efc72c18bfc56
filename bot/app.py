"""Composition root: settings → engine → store → services → scheduler → web app."""

from __future__ import annotations

import logging
import secrets
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

from aiohttp import web

from bot.settings import Settings
from bot.teams.adapter import build_adapter
from bot.teams.chats import TeamsPersonalChats
from bot.teams.connector import BotConnector, TokenSource
from bot.teams.endpoint import TeamsEndpoint
from bot.teams.handler import EtapaivaBot
from bot.teams.meetings import TeamsMeetings
from bot.teams.roster import Rosters
from bot.teams.sender import TeamsSender
from bot.teams.signing import CardSigner
from bot.tutorial_page import add_tutorial_routes, notice_url
from bot.web import ENDPOINT, READY, create_web_app
from cards.agenda import CardRenderer
from cards.rollcall import RollCallCardRenderer
from cards.tutorial import TutorialCardRenderer
from dialogs.context import Services
from dialogs.router import Router
from dialogs.state import StateAccess
from domain.agenda import AgendaService, PlanLibrary, TimerSettings
from domain.binding import Binder
from domain.directory import Directory
from domain.errors import StoreUnavailable
from domain.hooks import Hooks
from domain.rollcall import hooks as rollcall_hooks
from domain.rollcall.model import FullDayRule
from domain.rollcall.service import RollCallService, RollCallSettings
from domain.tutorial.content import load_tutorial
from domain.tutorial.service import TutorialService
from scheduler.agenda_timer import AgendaTimer
from scheduler.clock import ScaledClock
from scheduler.jobs import LeaderJobs
from scheduler.leader import Leadership
from scheduler.outbox_worker import OutboxWorker, WorkerClock
from scheduler.runner import Scheduler
from store.db import create_engine, is_sqlite, normalise_url, sessionmaker, warm_pool
from store.instance import Instance
from store.leader import LeaderLock
from store.migrate import current_revision, head_revision, upgrade
from store.store import Store

log = logging.getLogger(__name__)

STORE = web.AppKey("store", Store)
SCHEDULER = web.AppKey("scheduler", Scheduler)
AGENDA = web.AppKey("agenda", AgendaService)
TIMER = web.AppKey("timer", AgendaTimer)
LEADERSHIP = web.AppKey("leadership", Leadership)
OUTBOX_WORKER = web.AppKey("outbox_worker", OutboxWorker)
SIGNER = web.AppKey("signer", CardSigner)
CARD_KEY = "card-signing-key"


def build_services(
    store: Store,
    agenda: AgendaService | None = None,
    plans: PlanLibrary | None = None,
    tutorial: TutorialService | None = None,
    rollcall: RollCallService | None = None,
) -> Services:
    """The dialogs' services over a store."""
    features = (agenda, plans, tutorial, rollcall)
    return Services(
        directory=Directory(store.org),
        binder=Binder(store.conversations),
        org=store.org,
        groups=store.org,
        conversations=store.conversations,
        state=StateAccess(store.state),
        features={type(f): f for f in features if f is not None},
        arrivals=store.arrivals,
    )


def utc_now() -> datetime:
    """The wall clock, aware UTC."""
    return datetime.now(UTC)


def _new_key() -> str:
    return secrets.token_hex(32)


def create_app(
    settings: Settings,
    *,
    credentials_factory: object | None = None,
    clock: ScaledClock | None = None,
) -> web.Application:
    """The whole service as an aiohttp application; resources live in its cleanup context.

    credentials_factory (a botbuilder ServiceClientCredentialsFactory) and clock (a faster
    clock for compressed days) are for tests and benchmarks only.
    """
    app = create_web_app()
    content = load_tutorial()
    add_tutorial_routes(app, content)

    async def resources(app: web.Application) -> AsyncIterator[None]:
        url = normalise_url(settings.database_url)
        engine = create_engine(url)
        instance = Instance(engine)
        connector = BotConnector(TokenSource(settings, credentials_factory))
        try:
            if is_sqlite(url):
                await upgrade(engine)
            elif await current_revision(engine) != head_revision():
                raise RuntimeError(
                    "The PostgreSQL database is not at the newest schema: run `etapaiva db upgrade`"
                )
            else:
                await warm_pool(engine)
            await instance.start()
            store = Store(
                sessionmaker(engine), cache_seconds=settings.cache_seconds, instance=instance
            )
            signer = CardSigner(
                bytes.fromhex(await store.secrets.get_or_create(CARD_KEY, _new_key))
            )
            scheduler = Scheduler(
                store.inbox, inbox_retention=timedelta(hours=settings.inbox_retention_hours)
            )
            timer_ref: list[AgendaTimer] = []

            async def day_changed(day_id: int) -> None:
                # the leader replica rebuilds the day's jobs now; others are seen by its poller
                if timer_ref and timer_ref[0].running:
                    await timer_ref[0].reconcile(day_id)

            hooks = Hooks()
            agenda = AgendaService(
                store.days,
                store.org,
                store.conversations,
                CardRenderer(),
                clock=clock or utc_now,
                settings=TimerSettings(
                    grace=timedelta(seconds=settings.timer_grace_seconds),
                    break_warning=timedelta(seconds=settings.break_warning_seconds),
                ),
                on_change=day_changed,
                hooks=hooks,
            )
            library = PlanLibrary(store.plans)
            timer = AgendaTimer(
                scheduler.aps, agenda, store.days, to_real=clock.to_real if clock else None
            )
            timer_ref.append(timer)

            async def create_scheduled_days() -> None:
                await agenda.create_scheduled(
                    store.plans, library, horizon_days=settings.schedule_horizon_days
                )

            adapter = build_adapter(settings, credentials_factory)
            chats = TeamsPersonalChats(connector, store.conversations)
            meetings = TeamsMeetings(
                settings,
                credentials_factory,
                connector=connector,
            )
            tutorial = TutorialService(
                content,
                store.tutorial,
                store.org,
                store.conversations,
                chats,
                TutorialCardRenderer(content, settings.base_url),
                store.outbox,
                clock=clock or utc_now,
            )
            rollcall = RollCallService(
                store.rollcall,
                store.org,
                store.conversations,
                meetings,
                chats,
                RollCallCardRenderer(),
                store.outbox,
                instructor_teams_ids=store.org.instructor_teams_ids,
                day_end=agenda.day_end,
                settings=RollCallSettings(
                    grace=timedelta(minutes=settings.rollcall_grace_minutes),
                    open_for=timedelta(minutes=settings.rollcall_open_minutes),
                    rule=FullDayRule(settings.full_day_rule),
                ),
                clock=clock or utc_now,
                notice_url=lambda language: notice_url(settings.base_url, language),
            )

            rollcall_hooks.register(hooks, rollcall, store.conversations)
            services = build_services(store, agenda, library, tutorial, rollcall)
            app[STORE] = store
            app[SIGNER] = signer
            app[SCHEDULER] = scheduler
            app[AGENDA] = agenda
            app[TIMER] = timer
            outbox_worker = OutboxWorker(
                store.outbox,
                store.conversations,
                TeamsSender(connector, signer, meetings),
                clock=WorkerClock(clock.speed, wall=clock) if clock else None,
                # cards drawn at the moment they are sent (a roll call's running count)
                renderer=hooks.draw,
                owner=instance.owner,
                # with one process nothing but this one adds rows (and it wakes the worker):
                # the poll is a safety net; replicas' followers add rows the leader must find
                poll_interval=2.0 if is_sqlite(url) else 0.5,
            )
            app[OUTBOX_WORKER] = outbox_worker
            jobs = LeaderJobs(
                scheduler.aps,
                worker=outbox_worker,
                timer=timer,
                close_roll_calls=rollcall.close_due,
                create_scheduled_days=create_scheduled_days,
                leases=store.outbox,
                alive=instance.alive,
                owner=instance.owner,
            )
            leadership = Leadership(LeaderLock(engine), jobs.elected, jobs.deposed)
            app[LEADERSHIP] = leadership
            # answers during turns share the worker's limiter and retry policy (on every replica;
            # what cannot go at once waits in the outbox for the leader's worker)
            bot = EtapaivaBot(
                Router(services), store.inbox, outbox_worker, Rosters(connector), signer
            )
            app[ENDPOINT] = TeamsEndpoint(adapter, bot)

            async def ready() -> dict[str, Any]:
                report: dict[str, Any] = {"scheduler": scheduler.state}
                try:
                    await store.health.ping()
                    report["database"] = "ok"
                except StoreUnavailable:
                    report["database"] = "unreachable"
                report["ready"] = report["database"] == "ok" and scheduler.state == "running"
                return report

            app[READY] = ready
            if is_sqlite(url):
                # one process owns an embedded database: leases left by a killed process are void
                await store.outbox.release_all_leases()
            scheduler.start()
            # the leader runs the timer and the outbox worker (one sender keeps Teams' per-bot
            # limit); other replicas only serve /api/messages and write to the outbox
            leadership.start()
            try:
                yield
            finally:
                await outbox_worker.stop()
                await leadership.stop()
                scheduler.shutdown()
                await meetings.close()
        finally:
            await connector.close()
            await instance.stop()
            await engine.dispose()

    app.cleanup_ctx.append(resources)
    return app
