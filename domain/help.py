"""A line of the help answer; the features declare theirs (dialogs/feature.py)."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True, slots=True)
class HelpLine:
    """One line of help: a catalog key and its parameters."""

    key: str
    params: dict[str, str] = field(default_factory=dict)
