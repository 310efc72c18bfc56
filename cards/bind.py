"""Cards for binding a group conversation to a group."""

from __future__ import annotations

from cards.common import Card, card, execute, heading, paragraph
from cards.payload import CardAction
from domain.i18n import text
from domain.org import Group, Language

BIND_VERB = "bind.choose"


def choose_group_card(language: Language, groups: tuple[Group, ...]) -> Card:
    """Ask an instructor which of their groups this conversation is for: one button per group."""
    actions = [execute(g.name, CardAction(BIND_VERB, {"group": g.key})) for g in groups]
    return card(
        [
            heading(text(language, "bind.choose.title")),
            paragraph(text(language, "bind.choose.text")),
        ],
        actions=actions,
        speak=text(language, "bind.choose.speak"),
    )


def bound_card(language: Language, group: Group) -> Card:
    """The same card once a group is chosen: no buttons left to tap."""
    message = text(language, "bind.card.done", group=group.name)
    return card([paragraph(message)], speak=message)
