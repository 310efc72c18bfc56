"""Tests for parsing and showing durations (domain/durations.py)."""

from __future__ import annotations

from datetime import timedelta

import pytest

from domain.durations import format_duration, parse_duration
from domain.org import Language


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("90s", timedelta(seconds=90)),
        ("15min", timedelta(minutes=15)),
        ("15 min", timedelta(minutes=15)),
        ("1h", timedelta(hours=1)),
        ("1h30min", timedelta(hours=1, minutes=30)),
        ("1 h 30 min", timedelta(hours=1, minutes=30)),
        ("1H30MIN", timedelta(hours=1, minutes=30)),
        ("  10 Min ", timedelta(minutes=10)),
        ("2t", timedelta(hours=2)),
        ("1min 30s", timedelta(seconds=90)),
        ("24h", timedelta(hours=24)),
    ],
)
def test_durations_with_units_are_accepted(text: str, expected: timedelta) -> None:
    assert parse_duration(text) == expected


@pytest.mark.parametrize(
    ("text", "hint"),
    [
        ("45", "no unit"),
        ("", "empty"),
        ("   ", "empty"),
        ("0min", "zero"),
        ("0h0min0s", "zero"),
        ("-5min", "negative"),
        ("25h", "longer than 24 hours"),
        ("24h1s", "longer than 24 hours"),
        ("99999999999999999999h", "longer than 24 hours"),
        ("1.5h", "whole numbers"),
        ("abc", "not a duration"),
        ("min", "not a duration"),
        ("30min 1h", "in that order"),
        ("1h1h", "not a duration"),
        ("15 minutes", "not a duration"),
    ],
)
def test_bad_durations_are_refused_with_an_explanation(text: str, hint: str) -> None:
    with pytest.raises(ValueError, match=hint):
        parse_duration(text)


def test_number_without_unit_suggests_the_unit() -> None:
    with pytest.raises(ValueError, match="45min"):
        parse_duration("45")


@pytest.mark.parametrize(
    ("duration", "expected"),
    [
        (timedelta(minutes=15), "15 min"),
        (timedelta(hours=1, minutes=30), "1 h 30 min"),
        (timedelta(hours=2), "2 h"),
        (timedelta(seconds=90), "1 min 30 s"),
        (timedelta(seconds=45), "45 s"),
        (timedelta(0), "0 min"),
        (timedelta(minutes=-10), "-10 min"),
    ],
)
@pytest.mark.parametrize("language", list(Language))
def test_format_duration(duration: timedelta, expected: str, language: Language) -> None:
    assert format_duration(duration, language) == expected


@pytest.mark.parametrize("text", ["90s", "15min", "1h", "1h30min", "2h5min10s"])
def test_format_reads_back(text: str) -> None:
    duration = parse_duration(text)
    assert parse_duration(format_duration(duration, Language.FI)) == duration
