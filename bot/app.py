"""Composition root: settings → engine → store → services → scheduler → web app."""

from __future__ import annotations

import logging
import secrets
from collections.abc import AsyncIterator, Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

from aiohttp import web

from bot.downloads import DOWNLOADS, Downloads, add_download_routes
from bot.features import FEATURES, Kit, Plug, build_all
from bot.graph import build_graph
from bot.reach import InstallingChats
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
from bot.tutorial_page import add_tutorial_routes
from bot.web import ENDPOINT, READY, create_web_app
from dialogs.context import Services
from dialogs.router import Router
from dialogs.state import StateAccess
from domain.agenda import AgendaService
from domain.binding import Binder
from domain.directory import Directory
from domain.errors import StoreUnavailable
from domain.graph import Graph
from domain.hooks import Hooks
from domain.ports import finish_reaching
from domain.tutorial.content import load_tutorial
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
GRAPH = web.AppKey("graph", Graph)
CARD_KEY = "card-signing-key"


def build_services(store: Store, features: Mapping[type, object] | None = None) -> Services:
    """The dialogs' services over a store, with the features' own services by type."""
    return Services(
        directory=Directory(store.org),
        binder=Binder(store.conversations),
        org=store.org,
        groups=store.org,
        conversations=store.conversations,
        state=StateAccess(store.state),
        features=dict(features or {}),
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
    features: tuple[Plug, ...] = FEATURES,
    graph_credential: object | None = None,
) -> web.Application:
    """The whole service as an aiohttp application; resources live in its cleanup context.

    credentials_factory (a botbuilder ServiceClientCredentialsFactory), clock (a faster
    clock for compressed days) and graph_credential (an async azure-core token credential
    for a local Graph) are for tests and benchmarks only.
    """
    app = create_web_app()
    content = load_tutorial()
    add_tutorial_routes(app, content)
    add_download_routes(app)

    async def resources(app: web.Application) -> AsyncIterator[None]:
        url = normalise_url(settings.database_url)
        engine = create_engine(url, pool_size=settings.db_pool_size)
        instance = Instance(engine)
        connector = BotConnector(TokenSource(settings, credentials_factory))
        graph = build_graph(settings, graph_credential)
        try:
            if is_sqlite(url):
                await upgrade(engine)
            elif await current_revision(engine) != head_revision():
                raise RuntimeError(
                    "The PostgreSQL database is not at the newest schema: run `etapaiva db upgrade`"
                )
            else:
                await warm_pool(engine, settings.db_pool_size)
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
            hooks = Hooks()
            adapter = build_adapter(settings, credentials_factory)
            chats = TeamsPersonalChats(connector, store.conversations)
            meetings = TeamsMeetings(settings, credentials_factory, connector=connector)
            kit = Kit(
                settings, store, hooks, clock or utc_now, chats, meetings, content, graph=graph
            )
            if kit.graph is not None:  # the app installed for those Teams cannot reach yet
                kit.chats = InstallingChats(
                    chats,
                    kit.graph,
                    store.reports.audit,
                    catalog_id=settings.teams_app_catalog_id,
                )
            build_all(kit, features)
            agenda = kit.need(AgendaService)
            timer = AgendaTimer(
                scheduler.aps, agenda, store.days, to_real=clock.to_real if clock else None
            )

            async def day_changed(day_id: int) -> None:
                # the leader replica rebuilds the day's jobs now; others are seen by its poller
                if timer.running:
                    await timer.reconcile(day_id)

            hooks.on_day_changed(day_changed)
            services = build_services(store, kit.services)
            app[STORE] = store
            app[SIGNER] = signer
            if graph is not None:
                app[GRAPH] = graph
            downloads = kit.services.get(Downloads)
            if isinstance(downloads, Downloads):
                app[DOWNLOADS] = downloads
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
                periodic=hooks.periodic,
                leases=store.outbox,
                alive=instance.alive,
                owner=instance.owner,
            )
            leadership = Leadership(LeaderLock(engine), jobs.elected, jobs.deposed)
            app[LEADERSHIP] = leadership
            # answers during turns share the worker's limiter and retry policy (on every replica;
            # what cannot go at once waits in the outbox for the leader's worker)
            router = Router(services, [plug.feature for plug in features])
            bot = EtapaivaBot(router, store.inbox, outbox_worker, Rosters(connector), signer)
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
                await finish_reaching()
                await outbox_worker.stop()
                await leadership.stop()
                scheduler.shutdown()
                await meetings.close()
        finally:
            if graph is not None:
                await graph.close()
            await connector.close()
            await instance.stop()
            await engine.dispose()

    app.cleanup_ctx.append(resources)
    return app
