"""The features the bot runs: adding one is one line here (and its own modules)."""

from __future__ import annotations

from functools import cache

from dialogs import agenda, general, rollcall, tutorial
from dialogs.feature import Feature, Registry

FEATURES: tuple[Feature, ...] = (
    general.FEATURE,
    agenda.FEATURE,
    tutorial.FEATURE,
    rollcall.FEATURE,
)


@cache
def default_registry() -> Registry:
    """The features above merged (what the router builds at start-up), for tools and tests."""
    return Registry.merge(FEATURES)
