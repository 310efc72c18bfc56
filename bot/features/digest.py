"""The coordinators' daily digest: sent by a leader job at the digest hour, asked for any time."""

from __future__ import annotations

from collections.abc import Iterable

from bot.features.kit import Kit, Plug
from bot.settings import clock_time
from cards.digest import DigestCardRenderer
from dialogs import digest
from domain.digest.service import DigestConfig, DigestService
from domain.feedback.service import FeedbackService
from domain.reconcile import ReconcileService
from domain.rollcall.service import RollCallService

SEND_JOB = "digest:send"
SEND_SECONDS = 60


def build(kit: Kit) -> Iterable[object]:
    """The digest service; a job sends each coordinator the day's digest once."""
    settings, store = kit.settings, kit.store
    reconcile = kit.services.get(ReconcileService)
    service = DigestService(
        store.digest,
        store.org,
        store.conversations,
        kit.need(RollCallService).records,
        kit.need(FeedbackService),
        DigestCardRenderer(),
        config=DigestConfig(
            at=clock_time(settings.digest_time),
            absent_streak=settings.digest_absent_streak,
        ),
        clock=kit.clock,
        chats=kit.chats,
        graph_note=reconcile.note if isinstance(reconcile, ReconcileService) else None,
    )
    kit.hooks.every(SEND_JOB, SEND_SECONDS, service.send_due)
    return (service,)


PLUG = Plug(digest.FEATURE, build)
