"""Composition root: settings → engine → store → services → scheduler → web app."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any

from aiohttp import web

from bot.settings import Settings
from bot.teams.adapter import build_adapter
from bot.teams.endpoint import TeamsEndpoint
from bot.teams.handler import EtapaivaBot
from bot.web import ENDPOINT, READY, create_web_app
from dialogs.router import Router, Services
from dialogs.state import StateAccess
from domain.binding import Binder
from domain.directory import Directory
from domain.errors import StoreUnavailable
from scheduler.runner import Scheduler
from store.db import create_engine, is_sqlite, normalise_url, sessionmaker
from store.migrate import current_revision, head_revision, upgrade
from store.repos import Store

log = logging.getLogger(__name__)

STORE = web.AppKey("store", Store)
SCHEDULER = web.AppKey("scheduler", Scheduler)


def build_services(store: Store) -> Services:
    """The dialogs' services over a store."""
    return Services(
        directory=Directory(store.org),
        binder=Binder(store.conversations),
        org=store.org,
        groups=store.org,
        conversations=store.conversations,
        state=StateAccess(store.state),
    )


def create_app(settings: Settings, *, credentials_factory: object | None = None) -> web.Application:
    """The whole service as an aiohttp application; resources live in its cleanup context.

    credentials_factory (a botbuilder ServiceClientCredentialsFactory) is for tests only.
    """
    app = create_web_app()

    async def resources(app: web.Application) -> AsyncIterator[None]:
        url = normalise_url(settings.database_url)
        engine = create_engine(url)
        try:
            if is_sqlite(url):
                await upgrade(engine)
            elif await current_revision(engine) != head_revision():
                raise RuntimeError(
                    "The PostgreSQL database is not at the newest schema: run `etapaiva db upgrade`"
                )
            store = Store(sessionmaker(engine))
            bot = EtapaivaBot(Router(build_services(store)), store.inbox)
            scheduler = Scheduler(
                store.inbox, inbox_retention=timedelta(hours=settings.inbox_retention_hours)
            )
            app[STORE] = store
            app[SCHEDULER] = scheduler
            app[ENDPOINT] = TeamsEndpoint(build_adapter(settings, credentials_factory), bot)

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
            scheduler.start()
            try:
                yield
            finally:
                scheduler.shutdown()
        finally:
            await engine.dispose()

    app.cleanup_ctx.append(resources)
    return app
