"""Durations as instructors write them ("15min", "1h30min", "90s") and as the bot shows them."""

from __future__ import annotations

import re
from datetime import timedelta

from domain.org import Language

MAX_DURATION = timedelta(hours=24)

# Hours (h, or t for the Finnish "tunti"), then minutes, then seconds; each at most once.
_PART = r"\s*(?:(?P<{name}>\d+)\s*(?:{units})(?![a-z]))?"
_DURATION_RE = re.compile(
    _PART.format(name="hours", units="h|t")
    + _PART.format(name="minutes", units="min")
    + _PART.format(name="seconds", units="s|sec|sek")
    + r"\s*"
)
_EXAMPLES = "for example 90s, 15min, 1h or 1h30min"


def parse_duration(text: str) -> timedelta:
    """Parse '90s', '15min', '1h', '1h30min' or '1 h 30 min'; ValueError explains what is wrong."""
    shown = text.strip()
    if not shown:
        raise ValueError(f"the duration is empty; write it with a unit, {_EXAMPLES}")
    if shown.startswith("-"):
        raise ValueError(
            f"the duration '{shown}' is negative; write how long it lasts, {_EXAMPLES}"
        )
    folded = shown.lower()
    if re.fullmatch(r"\d+", folded):
        raise ValueError(
            f"the duration '{shown}' has no unit; write for example {shown}min or {shown}s"
        )
    if re.search(r"\d[.,]\d", folded):
        raise ValueError(
            f"the duration '{shown}' has a decimal point; use whole numbers, e.g. 1h30min, not 1.5h"
        )
    match = _DURATION_RE.fullmatch(folded)
    if match is None or not any(match.groupdict().values()):
        raise ValueError(
            f"'{shown}' is not a duration; write hours (h), minutes (min) and seconds (s) "
            f"in that order, {_EXAMPLES}"
        )
    parts = {name: int(value or 0) for name, value in match.groupdict().items()}
    seconds = parts["hours"] * 3600 + parts["minutes"] * 60 + parts["seconds"]
    if seconds == 0:
        raise ValueError(f"the duration '{shown}' is zero; it must be at least 1s")
    if seconds > MAX_DURATION.total_seconds():
        raise ValueError(f"the duration '{shown}' is longer than 24 hours")
    return timedelta(seconds=seconds)


def format_duration(duration: timedelta, language: Language) -> str:
    """Show a duration to users, e.g. '15 min', '1 h 30 min', '1 min 30 s' (same in fi/sv/en)."""
    del language  # h, min and s are the same symbols in Finnish, Swedish and English
    total = int(duration.total_seconds())
    sign = "-" if total < 0 else ""
    hours, rest = divmod(abs(total), 3600)
    minutes, seconds = divmod(rest, 60)
    parts = [
        f"{value} {unit}"
        for value, unit in ((hours, "h"), (minutes, "min"), (seconds, "s"))
        if value
    ]
    return sign + " ".join(parts) if parts else "0 min"
