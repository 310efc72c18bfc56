"""The reporting settings: minimum hours, the Kela mapping, the allowance."""

from __future__ import annotations

import pytest

from bot.settings import SettingsError, load_settings
from domain.reports.kela import KelaReason, parse_mapping
from domain.rollcall.model import Reason


def test_defaults() -> None:
    settings = load_settings({}, dotenv=None)
    assert settings.full_day_min_hours == 0.0
    assert settings.kela_reasons == ""
    assert settings.allowance_cents == 900
    settings.check()


def test_values_are_read() -> None:
    settings = load_settings(
        {
            "FULL_DAY_MIN_HOURS": "4",
            "KELA_REASONS": "appointment=job_interview",
            "ALLOWANCE_EUR": "9.50",
        },
        dotenv=None,
    )
    assert settings.full_day_min_hours == 4.0
    assert settings.allowance_cents == 950
    assert parse_mapping(settings.kela_reasons)[Reason.APPOINTMENT] is KelaReason.JOB_INTERVIEW


@pytest.mark.parametrize(
    "env",
    [
        {"KELA_REASONS": "appointment=holiday"},
        {"KELA_REASONS": "vacation=other"},
        {"KELA_REASONS": "appointment"},
        {"FULL_DAY_MIN_HOURS": "four"},
        {"ALLOWANCE_EUR": "nine"},
    ],
)
def test_bad_values_are_refused(env: dict[str, str]) -> None:
    with pytest.raises(SettingsError):
        load_settings(env, dotenv=None)


def test_out_of_range_is_refused_by_the_check() -> None:
    with pytest.raises(SettingsError, match="FULL_DAY_MIN_HOURS"):
        load_settings({"FULL_DAY_MIN_HOURS": "25"}, dotenv=None).check()
