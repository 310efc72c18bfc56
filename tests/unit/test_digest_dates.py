"""The date typed after `yhteenveto`: a day and month is the latest such date up to today."""

from __future__ import annotations

from datetime import date

import pytest

from dialogs.digest import asked_day
from domain.errors import NotAllowed

TODAY = date(2026, 12, 7)


@pytest.mark.parametrize(
    ("typed", "meant"),
    [
        ("", None),
        ("3.12.", date(2026, 12, 3)),
        ("7.12.", date(2026, 12, 7)),
        ("24.12.", date(2025, 12, 24)),
        ("29.2.", date(2024, 2, 29)),
        ("3.12.2026", date(2026, 12, 3)),
        ("24.12.2026", date(2026, 12, 24)),
        ("2026-11-30", date(2026, 11, 30)),
        # the words people write: today, yesterday in each language, any case, a stop after
        ("tänään", date(2026, 12, 7)),
        ("Eilen", date(2026, 12, 6)),
        ("eilen.", date(2026, 12, 6)),
        ("idag", date(2026, 12, 7)),
        ("igår", date(2026, 12, 6)),
        ("today", date(2026, 12, 7)),
        ("Yesterday!", date(2026, 12, 6)),
        ("!", None),
    ],
)
def test_a_typed_date(typed: str, meant: date | None) -> None:
    assert asked_day(typed, TODAY) == meant


def test_not_a_date_is_refused_politely() -> None:
    with pytest.raises(NotAllowed):
        asked_day("huomenna", TODAY)
