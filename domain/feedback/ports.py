"""Ports: what the feedback use cases need from storage and what the cards are drawn from.

store/feedback.py implements FeedbackStore (contract tests on SQLite and PostgreSQL),
cards/feedback.py implements FeedbackCards.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, Protocol

from domain.feedback.model import (
    Answered,
    Idea,
    Outcome,
    Results,
    Round,
    Settings,
    Text,
)
from domain.org import Language
from domain.outbox import OutboxMessage

Card = dict[str, Any]


class FeedbackStore(Protocol):
    """Rounds, answers, texts, ideas and the groups' settings (store/ implements it)."""

    async def open_round(self, wanted: Round) -> tuple[Round, bool]:
        """The group's round of wanted.day: stored now (True) or the one already there (False)."""
        ...

    async def round(self, round_id: int) -> Round | None: ...
    async def round_of(self, group_id: int, day: date) -> Round | None: ...

    async def add_prompts(
        self, round_id: int, prompts: Sequence[tuple[int, OutboxMessage]]
    ) -> list[int]:
        """Record that these people (person id, the card to them) were asked, with their cards
        in the outbox, in one transaction; someone asked before is skipped (no second card).
        Returns the person ids asked now."""
        ...

    async def asked(self, round_id: int) -> frozenset[int]:
        """The people sent the card in this round."""
        ...

    async def answer_named(
        self, round_id: int, person_id: int, score: int, at: datetime
    ) -> Outcome:
        """Store or replace the person's answer, linked to them (STORED, REPLACED, SAME), or
        ANONYMOUS_ALREADY (nothing written) when they answered anonymously before, or CLOSED
        (nothing written) when the round closed at or before `at`."""
        ...

    async def answer_anonymous(
        self, round_id: int, person_id: int, score: int, at: datetime | None = None
    ) -> Outcome:
        """Store a score with no link to the person, and that they have answered, in one
        transaction. A named answer they gave before is removed with its texts (REPLACED);
        ANONYMOUS_ALREADY (nothing written) when they answered anonymously before; CLOSED
        (nothing written) when the round closed at or before `at` (not checked without it).
        `at` is never stored."""
        ...

    async def comment(self, round_id: int, person_id: int, texts: Sequence[Text]) -> Outcome:
        """The person's written answers. Named: they replace the earlier ones (linked to the
        person). Anonymous: stored unlinked, once (ANONYMOUS_ALREADY the second time). The
        texts' own name field is ignored: names come from the person record when shown."""
        ...

    async def answered(self, round_id: int, person_id: int) -> Answered | None:
        """The person's own record in the round: None when they have not answered."""
        ...

    async def results(self, round_id: int) -> Results:
        """Every answer of the round (scores sorted, texts sorted, names only of named ones)."""
        ...

    async def unanswered(self, round_id: int) -> list[int]:
        """The people asked who have not answered, by id."""
        ...

    async def reminders_due(self, now: datetime) -> list[Round]:
        """Open rounds whose reminder time has come and that have not been reminded."""
        ...

    async def mark_reminded(
        self, round_id: int, at: datetime, messages: Sequence[OutboxMessage]
    ) -> bool:
        """Mark the round reminded and queue the reminders, once (False: it was already)."""
        ...

    async def close(self, round_id: int, at: datetime) -> bool:
        """Answers end at `at` (the digest went out); False when the round had closed already."""
        ...

    async def settings(self, group_id: int) -> Settings:
        """The group's settings (the defaults when never changed)."""
        ...

    async def save_settings(
        self, group_id: int, settings: Settings, by: int | None, at: datetime
    ) -> None: ...

    async def ideas(self, group_id: int) -> list[Idea]:
        """The group's ideas (written ideas and picked topics) over every round, counted once
        per same key; unused first, then by count and most recent day."""
        ...

    async def mark_idea(
        self,
        group_id: int,
        key: str,
        at: datetime,
        by: int | None,
        *,
        used: bool | None = None,
        planned_for: date | None = None,
    ) -> bool:
        """Mark an idea used (or not), or planned for a day; False when the group has no such
        idea."""
        ...


@dataclass(frozen=True, slots=True)
class AskView:
    """The card that asks: "How was today?" with six buttons and the anonymity choice."""

    round_id: int
    language: Language
    group_name: str
    day: date
    anonymous: bool  # the toggle's first value
    shared: bool = False  # the one card in the group chat (when a 1:1 chat could not be opened)
    reminder: bool = False  # the reminder's wording ("You have not answered yet")
    chosen: int | None = None  # "change my answer": the score given before, marked


@dataclass(frozen=True, slots=True)
class MoreView:
    """After the tap: thanks, and the optional questions (what was good, ideas, topics)."""

    round_id: int
    language: Language
    score: int
    anonymous: bool
    replaced: bool = False  # "your answer changed"
    good: str | None = None  # a named answer's earlier words, to edit
    idea: str | None = None
    topics: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class ThanksView:
    """The end: thanks, what was kept, and "change my answer" while that is still possible."""

    round_id: int
    language: Language
    anonymous: bool
    score: int | None  # None for an anonymous answer (not read back)
    can_change: bool  # named answers until the round closes
    cut: bool = False  # a text was over MAX_TEXT and was cut
    texts: int = 0  # how many written answers were kept


@dataclass(frozen=True, slots=True)
class ResultsView:
    """What an instructor sees of a group's day."""

    language: Language
    group_name: str
    results: Results | None  # None: no feedback was asked that day
    day: date


@dataclass(frozen=True, slots=True)
class IdeasView:
    """A group's topic ideas over time, with the buttons to mark one used or plan it."""

    language: Language
    group_id: int
    group_name: str
    ideas: tuple[Idea, ...]
    next_day: date | None  # the group's next planned day (where "put in the plan" puts it)
    can_mark: bool = True  # the group's instructors; coordinators read only


@dataclass(frozen=True, slots=True)
class SettingsView:
    """The group's feedback settings, for its instructors."""

    language: Language
    group_id: int
    group_name: str
    settings: Settings
    reminder_minutes: int


class FeedbackCards(Protocol):
    """Draws the feedback cards (cards/feedback.py implements it)."""

    def ask(self, view: AskView) -> Card: ...
    def more(self, view: MoreView) -> Card: ...
    def thanks(self, view: ThanksView) -> Card: ...
    def results(self, view: ResultsView) -> Card: ...
    def ideas(self, view: IdeasView) -> Card: ...
    def settings(self, view: SettingsView) -> Card: ...
