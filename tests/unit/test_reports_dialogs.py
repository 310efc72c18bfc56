"""Reading the month a person asks for in `omat päivät` / `mina dagar` / `my days`."""

from __future__ import annotations

from datetime import date

from dialogs.reports import parse_month


def test_months_are_read_as_people_write_them() -> None:
    today = date(2026, 12, 7)
    assert parse_month("", today) == date(2026, 12, 1)
    assert parse_month("11/2026", today) == date(2026, 11, 1)
    assert parse_month("11.2026", today) == date(2026, 11, 1)
    assert parse_month("2026-11", today) == date(2026, 11, 1)
    assert parse_month("marraskuu", today) == date(2026, 11, 1)
    assert parse_month("tammikuu", today) == date(2026, 1, 1)
    assert parse_month("joulukuu", date(2026, 11, 7)) == date(2025, 12, 1)
    assert parse_month("november 2025", today) == date(2025, 11, 1)
    assert parse_month("mars", today) == date(2026, 3, 1)
    for wrong in ("13/2026", "kuu", "11/26", "marraskuu 26", "a b c"):
        assert parse_month(wrong, today) is None, wrong
