"""The features the service runs. Adding one is one line in FEATURES (and its own modules)."""

from __future__ import annotations

from functools import cache

from bot.features import (
    agenda,
    digest,
    feedback,
    general,
    reconcile,
    reports,
    retention,
    rollcall,
    tutorial,
)
from bot.features.kit import Kit, Plug
from dialogs.feature import Registry

# in the order their services are built (the roll call asks the agenda when a day ends;
# feedback asks the roll call who was present; Teams' attendance report is matched with the
# roll call; the digest reads them all)
FEATURES: tuple[Plug, ...] = (
    general.PLUG,
    agenda.PLUG,
    tutorial.PLUG,
    rollcall.PLUG,
    feedback.PLUG,
    reports.PLUG,
    reconcile.PLUG,
    digest.PLUG,
    retention.PLUG,
)


def build_all(kit: Kit, plugs: tuple[Plug, ...] = FEATURES) -> dict[type, object]:
    """Build every feature's services into kit.services (by type) and return them."""
    for plug in plugs:
        if plug.build is None:
            continue
        for service in plug.build(kit):
            if type(service) in kit.services:
                raise ValueError(f"{plug.feature.name!r} builds a second {type(service).__name__}")
            kit.services[type(service)] = service
    return kit.services


@cache
def registry() -> Registry:
    """The conversation side of FEATURES merged, as the router merges it at start-up."""
    return Registry.merge(plug.feature for plug in FEATURES)


__all__ = ["FEATURES", "Kit", "Plug", "build_all", "registry"]
