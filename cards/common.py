"""Building blocks for Adaptive Cards 1.5 as Teams renders them."""

from __future__ import annotations

from typing import Any

from cards.payload import CardAction

Card = dict[str, Any]
SCHEMA = "http://adaptivecards.io/schemas/adaptive-card.json"


def card(
    body: list[dict[str, Any]],
    *,
    actions: list[dict[str, Any]] | None = None,
    speak: str | None = None,
) -> Card:
    """An Adaptive Card 1.5 with body, optional actions and screen-reader text."""
    result: Card = {"type": "AdaptiveCard", "$schema": SCHEMA, "version": "1.5", "body": body}
    if actions:
        result["actions"] = actions
    if speak:
        result["speak"] = speak
    return result


def heading(text: str) -> dict[str, Any]:
    """A large bold heading."""
    return {
        "type": "TextBlock",
        "text": text,
        "wrap": True,
        "size": "Large",
        "weight": "Bolder",
        "style": "heading",
    }


def paragraph(text: str) -> dict[str, Any]:
    """A wrapped paragraph of body text."""
    return {"type": "TextBlock", "text": text, "wrap": True}


def execute(title: str, action: CardAction) -> dict[str, Any]:
    """A Universal Action button, falling back to Action.Submit on older clients."""
    data = action.to_data()
    return {
        "type": "Action.Execute",
        "title": title,
        "verb": action.verb,
        "data": data,
        "fallback": {"type": "Action.Submit", "title": title, "data": data},
    }


def small(value: str) -> dict[str, Any]:
    """A small, subtle line (where the person is)."""
    return {"type": "TextBlock", "text": value, "wrap": True, "isSubtle": True, "size": "Small"}


def strong(value: str) -> dict[str, Any]:
    """A bold paragraph (a note about what just happened, a keyboard shortcut)."""
    return {"type": "TextBlock", "text": value, "wrap": True, "weight": "Bolder"}


def styled(action: dict[str, Any], style: str) -> dict[str, Any]:
    """A button with Teams' positive/destructive style (its words carry the meaning too)."""
    action["style"] = style
    fallback = action.get("fallback")
    if isinstance(fallback, dict):
        fallback["style"] = style
    return action
