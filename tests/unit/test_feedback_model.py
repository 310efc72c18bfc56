"""The feedback model's pure rules: written answers as kept, idea keys, results' figures."""

from __future__ import annotations

import unicodedata
from datetime import UTC, date, datetime

from hypothesis import given
from hypothesis import strategies as st

from domain.feedback.model import (
    MAX_TEXT,
    MIN_SHOWN,
    SCORES,
    Results,
    Round,
    TextKind,
    Trigger,
    clean_text,
    idea_key,
)

ROUND = Round(
    group_id=1,
    day=date(2026, 12, 7),
    conversation_id="19:group",
    opened_at=datetime(2026, 12, 7, 10, tzinfo=UTC),
    closes_at=datetime(2026, 12, 7, 14, tzinfo=UTC),
    trigger=Trigger.COMMAND,
    id=1,
)


@given(st.text(max_size=3000))
def test_a_written_answer_is_kept_trimmed_printable_and_at_most_max_text(value: str) -> None:
    kept, cut = clean_text(value)
    if kept is None:
        assert not cut
        return
    assert kept == kept.strip()
    assert len(kept) <= MAX_TEXT
    assert all(ch in "\n\t" or unicodedata.category(ch)[0] != "C" for ch in kept)
    if cut:
        assert len(value) > MAX_TEXT


def test_a_long_answer_is_cut_and_says_so() -> None:
    assert clean_text("a" * (MAX_TEXT + 1)) == ("a" * MAX_TEXT, True)
    assert clean_text("a" * MAX_TEXT) == ("a" * MAX_TEXT, False)
    assert clean_text("   \x00\x07  ") == (None, False)
    assert clean_text(None) == (None, False)


@given(st.text(min_size=1, max_size=300))
def test_the_same_idea_written_differently_has_one_key(value: str) -> None:
    key = idea_key(TextKind.IDEA, value)
    assert key.startswith("text:")
    assert len(key) <= 5 + 200
    assert idea_key(TextKind.IDEA, f"  {value.upper()}  ") == idea_key(TextKind.IDEA, value.upper())


def test_ideas_fold_case_space_and_end_punctuation() -> None:
    assert idea_key(TextKind.IDEA, "Retkipäivä!") == idea_key(TextKind.IDEA, " retkipäivä ")
    assert idea_key(TextKind.TOPIC, "cooking") == "topic:cooking"


@given(st.lists(st.sampled_from(SCORES), max_size=40))
def test_results_figures_follow_the_scores(scores: list[int]) -> None:
    results = Results(ROUND, tuple(sorted(scores)), (), asked=len(scores))
    assert results.count == len(scores)
    assert results.shown == (len(scores) >= MIN_SHOWN)
    assert sum(results.distribution.values()) == len(scores)
    assert list(results.distribution) == list(SCORES)
    if scores:
        assert results.average is not None
        assert min(scores) <= results.average <= max(scores)
    else:
        assert results.average is None


def test_a_round_takes_answers_until_it_closes() -> None:
    assert ROUND.is_open(datetime(2026, 12, 7, 13, 59, tzinfo=UTC))
    assert not ROUND.is_open(datetime(2026, 12, 7, 14, 0, tzinfo=UTC))
