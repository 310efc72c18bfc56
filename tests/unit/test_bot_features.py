"""The features the service runs, built as the composition root builds them (bot/features)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime

import pytest

from bot.downloads import Downloads
from bot.features import FEATURES, Kit, Plug, build_all, registry
from bot.features.retention import NightlyPurge
from bot.settings import Settings
from dialogs.feature import Feature
from domain.agenda import AgendaService, PlanLibrary
from domain.digest.service import DigestService
from domain.feedback.service import FeedbackService
from domain.hooks import Hooks
from domain.model import Conversation
from domain.org import Person
from domain.outbox import OutboxMessage
from domain.reach import Reached, Unreachable
from domain.reconcile import ReconcileService
from domain.reports.downloads import ExportLinks
from domain.reports.service import ReportService
from domain.rollcall.service import RollCallService
from domain.tutorial.content import load_tutorial
from domain.tutorial.service import TutorialService
from store.db import create_engine, sessionmaker
from store.store import Store


class NoChats:
    async def open(self, person: Person, via: Conversation) -> Conversation | None:
        return None

    async def reach(self, person: Person, via: Conversation) -> Reached:
        return Reached(None, Unreachable.NO_TEAMS_ID)


class NoMeetings:
    async def role(self, conversation: Conversation, aad_object_id: str) -> None:
        return None


@pytest.fixture
async def kit() -> AsyncIterator[Kit]:
    engine = create_engine("sqlite+aiosqlite://")
    try:
        yield Kit(
            Settings(),
            Store(sessionmaker(engine)),
            Hooks(),
            lambda: datetime(2026, 12, 7, 9, tzinfo=UTC),
            NoChats(),
            NoMeetings(),  # type: ignore[arg-type]
            load_tutorial(),
        )
    finally:
        await engine.dispose()


async def test_building_the_features_gives_each_service_once_by_type(kit: Kit) -> None:
    services = build_all(kit)
    assert set(services) == {
        AgendaService,
        PlanLibrary,
        TutorialService,
        RollCallService,
        FeedbackService,
        ExportLinks,
        ReportService,
        Downloads,
        ReconcileService,
        DigestService,
        NightlyPurge,
    }
    assert all(isinstance(service, kind) for kind, service in services.items())


async def test_the_features_register_their_jobs_and_the_roll_call_card_drawer(kit: Kit) -> None:
    build_all(kit)
    assert [(p.job_id, p.seconds, p.at_once) for p in kit.hooks.periodic] == [
        ("agenda:recurrence", 3600, True),
        ("rollcall:close", 15, False),
        ("feedback:remind", 30, False),
        ("digest:send", 60, False),
        ("retention:purge", 300, False),
    ]
    # an outbox row of an unknown roll call draws nothing (the drawer is there and asks the store
    # only for digits: a malformed one never reaches it)
    message = OutboxMessage(key="k", conversation_id="c", render="rollcall:x")
    assert await kit.hooks.draw(message) is None


async def test_a_feature_that_needs_one_built_later_says_which(kit: Kit) -> None:
    rollcall_first = tuple(p for p in FEATURES if p.feature.name == "rollcall")
    with pytest.raises(LookupError, match="AgendaService"):
        build_all(kit, rollcall_first)


async def test_a_feature_building_a_service_another_built_is_refused(kit: Kit) -> None:
    agenda = next(p for p in FEATURES if p.feature.name == "agenda")
    twice = Plug(Feature("agenda_again"), lambda kit: (kit.need(AgendaService),))
    with pytest.raises(ValueError, match="'agenda_again' builds a second AgendaService"):
        build_all(kit, (agenda, twice))


def test_the_router_tables_are_the_features_tables() -> None:
    assert [f.name for f in registry().features] == [p.feature.name for p in FEATURES]
