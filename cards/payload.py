"""Typed card action payloads: one reserved `verb` key, parsed and checked in one place."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

VERB_RE = re.compile(r"^[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)*$")
MAX_FIELDS = 100  # an attendance list sends one choice per person
MAX_VALUE_LENGTH = 8_000  # a written answer (kept to 1,000 characters, and the person told)


class BadPayload(ValueError):
    """A card action whose payload we do not accept."""


@dataclass(frozen=True, slots=True)
class CardAction:
    """A button press: its verb and its string fields."""

    verb: str
    data: dict[str, str] = field(default_factory=dict)

    def to_data(self) -> dict[str, str]:
        """The JSON object a card button carries."""
        return {"verb": self.verb, **self.data}


def parse_action(value: Any) -> CardAction:
    """Validate a submitted payload (Action.Submit value or Action.Execute data)."""
    if not isinstance(value, dict):
        raise BadPayload("payload is not an object")
    verb = value.get("verb")
    if not isinstance(verb, str) or not VERB_RE.fullmatch(verb):
        raise BadPayload("payload has no valid verb")
    data: dict[str, str] = {}
    for key, item in value.items():
        if key == "verb" or key.startswith("msteams"):
            continue
        if not isinstance(key, str) or not isinstance(item, str | int | bool):
            raise BadPayload(f"field {key!r} is not a plain value")
        text = str(item)
        if len(text) > MAX_VALUE_LENGTH:
            raise BadPayload(f"field {key!r} is too long")
        data[key] = text
    if len(data) > MAX_FIELDS:
        raise BadPayload("too many fields")
    return CardAction(verb=verb, data=data)


MAX_ROW_ID = 2**31 - 1


def row_id(value: str) -> int | None:
    """A database id carried by a button: a positive whole number that fits a column, or None."""
    if not value.isascii() or not value.isdigit() or len(value) > 10:
        return None
    number = int(value)
    return number if 0 < number <= MAX_ROW_ID else None
