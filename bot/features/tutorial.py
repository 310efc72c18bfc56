"""The camera / microphone / screen-share guide and help requests."""

from __future__ import annotations

from collections.abc import Iterable

from bot.features.kit import Kit, Plug
from cards.tutorial import TutorialCardRenderer
from dialogs import tutorial
from domain.tutorial.service import TutorialService


def build(kit: Kit) -> Iterable[object]:
    """The tutorial service."""
    store = kit.store
    return (
        TutorialService(
            kit.tutorial,
            store.tutorial,
            store.org,
            store.conversations,
            kit.chats,
            TutorialCardRenderer(kit.tutorial, kit.settings.base_url),
            store.outbox,
            clock=kit.clock,
        ),
    )


PLUG = Plug(tutorial.FEATURE, build)
