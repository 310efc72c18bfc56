"""What feedback is: a group day's round, one answer per person, texts, topic ideas, settings.

An anonymous answer is stored with no link to its person: no person id, no time, a random id,
and its texts apart from it. A separate "has answered" record (person, round, anonymous or not)
keeps one answer each; it holds no score, text or time either, so nothing joins the two.
"""

from __future__ import annotations

import enum
import unicodedata
from dataclasses import dataclass, field
from datetime import date, datetime

SCORES = (1, 2, 3, 4, 5, 6)  # the Finnish school scale: 1 poor … 6 good
MAX_TEXT = 1000  # characters kept of a written answer (the rest is cut, and the person told)
MIN_SHOWN = 3  # fewer answers than this: the results show only the count


class Trigger(enum.StrEnum):
    """What asked for the day's feedback."""

    ITEM = "item"  # the plan's feedback item started
    MEETING_END = "meeting_end"  # the meeting ended and no feedback was asked yet
    COMMAND = "command"  # an instructor wrote `palaute`


class TextKind(enum.StrEnum):
    """A written answer: what was good, an idea for a next topic, or a picked topic."""

    GOOD = "good"
    IDEA = "idea"
    TOPIC = "topic"  # one of TOPICS, by its key


# the topic catalogue staff and clients asked for (the quick picks of the feedback card)
TOPICS = (
    "games",  # group activities: bingo, games
    "music",  # music, a record jury
    "current_affairs",
    "cooking",  # cooking cheaply
    "everyday",  # cleaning, hygiene, laundry, routines
    "sustainability",
    "hobbies",
    "money",  # money and budgeting
    "services",  # how society works, Kela and social office benefits, digital services
    "studies",  # evening school, applying, online studies
    "future",  # employment, work and family
    "peer_support",  # rehabilitative work activity itself, goals
    "exercise",
    "culture",
)


@dataclass(frozen=True, slots=True)
class Settings:
    """A group's feedback settings (an instructor changes them; these are the defaults)."""

    anonymous: bool = True  # "keep my answer anonymous" is ticked on the card at first
    reminder: bool = True  # one private reminder to those who did not answer


@dataclass(frozen=True, slots=True)
class Round:
    """The feedback of one group's day: asked once, answered until it closes."""

    group_id: int
    day: date
    conversation_id: str  # the group's conversation (where a shared card would go)
    opened_at: datetime
    closes_at: datetime  # answers and changes end here (the day's digest)
    trigger: Trigger
    anonymous_default: bool = True
    remind_at: datetime | None = None  # None: no reminder for this round
    reminded_at: datetime | None = None
    opened_by: int | None = None
    id: int | None = None

    def is_open(self, now: datetime) -> bool:
        """Answers are taken (and changed) until the round closes."""
        return now < self.closes_at


@dataclass(frozen=True, slots=True)
class Text:
    """A written answer, with the name only when the person did not ask for anonymity."""

    kind: TextKind
    text: str
    name: str | None = None


@dataclass(frozen=True, slots=True)
class Answered:
    """What a person's own "has answered" record and named answer say (their own view)."""

    anonymous: bool
    commented: bool  # they sent their words (anonymous ones can be sent once)
    score: int | None = None  # named answers only: an anonymous score is not theirs to read
    texts: tuple[Text, ...] = ()  # named answers only


class Outcome(enum.Enum):
    """What storing an answer did."""

    STORED = "stored"  # new
    REPLACED = "replaced"  # a named answer changed (or became anonymous)
    SAME = "same"  # the same answer again (a double tap): nothing changed
    ANONYMOUS_ALREADY = "anonymous_already"  # an anonymous answer cannot be changed or repeated
    CLOSED = "closed"  # the round had closed (the digest went out): nothing written


@dataclass(frozen=True, slots=True)
class Results:
    """A round's answers as stored: scores (no order), texts (sorted), who was asked."""

    round: Round
    scores: tuple[int, ...]  # sorted, so the order tells nothing
    texts: tuple[Text, ...]  # sorted by kind and text, never by when
    asked: int  # people sent the card
    named: tuple[tuple[str, int], ...] = ()  # (name, score) of those who answered by name

    @property
    def count(self) -> int:
        """How many answered."""
        return len(self.scores)

    @property
    def shown(self) -> bool:
        """Enough answers that showing them reveals nobody."""
        return self.count >= MIN_SHOWN

    @property
    def average(self) -> float | None:
        """The mean score, None without answers."""
        return sum(self.scores) / len(self.scores) if self.scores else None

    @property
    def distribution(self) -> dict[int, int]:
        """How many gave each score, 1…6 (zeros included)."""
        return {s: self.scores.count(s) for s in SCORES}


@dataclass(frozen=True, slots=True)
class Idea:
    """A topic idea of a group over time: a picked topic or a written idea, with its count."""

    key: str  # "topic:<key>" or "text:<folded text>"
    kind: TextKind  # TOPIC or IDEA
    text: str  # the topic key, or the idea as first written
    count: int
    last_day: date
    used: bool = False
    planned_for: date | None = None
    days: tuple[date, ...] = field(default=(), compare=False)


def clean_text(value: str | None) -> tuple[str | None, bool]:
    """A written answer as kept: trimmed, control characters out, at most MAX_TEXT characters.

    Returns (text or None when nothing is left, True when it was cut).
    """
    if value is None:
        return None, False
    kept = "".join(
        ch if ch in "\n\t" or unicodedata.category(ch)[0] != "C" else " " for ch in value
    ).strip()
    if not kept:
        return None, False
    if len(kept) > MAX_TEXT:
        return kept[:MAX_TEXT].rstrip(), True
    return kept, False


def picked_topics(value: str | None) -> tuple[str, ...]:
    """The topics ticked on the card ("a,b,c" from Teams): known ones only, each once, in
    the catalogue's order."""
    if not value:
        return ()
    ticked = {part.strip() for part in value.split(",")}
    return tuple(topic for topic in TOPICS if topic in ticked)


def idea_key(kind: TextKind, text: str) -> str:
    """The key that counts the same idea once per group: a topic's key, or the folded text."""
    if kind is TextKind.TOPIC:
        return f"topic:{text}"
    folded = " ".join(unicodedata.normalize("NFKC", text).casefold().split()).strip(" .!?")
    return f"text:{folded[:200]}"
