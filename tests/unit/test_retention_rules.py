"""The retention rules (domain/retention.py), their settings, and service_ended in the
organisation file."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, time

import pytest

from bot.features.retention import limits
from bot.orgfile import parse_org_file
from bot.settings import Settings, SettingsError, load_settings
from domain.org import OrgFileInvalid
from domain.retention import DataType, Limits, years_after

ORG = """\
version: 1
units:
  - key: it
    name: IT-paja
groups:
  - key: a
    unit: it
    name: A
people:
  - name: Erkki
    upn: erkki@example.fi
    client: [a]
    service_ended: {value}
"""


def test_service_ended_is_a_date() -> None:
    spec = parse_org_file(ORG.format(value="2026-05-31"))
    assert spec.people[0].person.service_ended == date(2026, 5, 31)
    left_out = parse_org_file(ORG.replace("    service_ended: {value}\n", ""))
    assert left_out.people[0].person.service_ended is None


@pytest.mark.parametrize("value", ["31.5.2026", "2026-02-30", "yes", "[2026-05-31]"])
def test_service_ended_that_is_no_date_is_refused_with_its_line(value: str) -> None:
    with pytest.raises(OrgFileInvalid) as caught:
        parse_org_file(ORG.format(value=value))
    (error,) = caught.value.errors
    assert error.line == 13
    assert "'service_ended' of person 'Erkki'" in error.message


def test_a_client_is_kept_through_the_same_day_ten_years_on() -> None:
    rules = Limits()
    assert rules.kept_until(date(2026, 5, 31)) == date(2036, 5, 31)
    assert rules.kept_until(None) is None
    # purged from the next day: the service ended before the day ten years back
    assert rules.ended_before(date(2036, 6, 1)) == date(2026, 6, 1)
    assert years_after(date(2028, 2, 29), 10) == date(2038, 2, 28)


def test_every_type_has_a_rule_in_words_and_the_timed_ones_a_cutoff() -> None:
    rules = Limits()
    now = datetime(2026, 12, 7, 12, 0, tzinfo=UTC)
    for kind in DataType:
        assert rules.rule(kind)
        if kind not in (DataType.ATTENDANCE, DataType.KEPT):
            assert rules.cutoff(kind, now) < now
    assert rules.cutoff(DataType.AUDIT, now) == datetime(2016, 12, 7, 12, 0, tzinfo=UTC)
    with pytest.raises(ValueError, match="attendance has no cutoff"):
        rules.cutoff(DataType.ATTENDANCE, now)


def test_the_nightly_purge_is_due_after_its_hour_once_a_local_day() -> None:
    rules = Limits(purge_at=time(3, 0))
    winter = datetime(2026, 12, 8, 1, 0, tzinfo=UTC)  # 03:00 in Helsinki (UTC+2)
    assert rules.purge_due(winter, None) == date(2026, 12, 8)
    assert rules.purge_due(winter, date(2026, 12, 8)) is None
    assert rules.purge_due(datetime(2026, 12, 8, 0, 59, tzinfo=UTC), date(2026, 12, 7)) is None
    summer = datetime(2026, 7, 1, 0, 0, tzinfo=UTC)  # 03:00 in Helsinki (UTC+3)
    assert rules.purge_due(summer, date(2026, 6, 30)) == date(2026, 7, 1)


def test_the_settings_give_the_limits() -> None:
    env = {
        "RETAIN_ATTENDANCE_YEARS": "6",
        "RETAIN_FEEDBACK_DAYS": "100",
        "RETAIN_HELP_DAYS": "101",
        "RETAIN_DIALOG_DAYS": "7",
        "RETAIN_OUTBOX_DAYS": "8",
        "RETAIN_EXPORT_LINK_DAYS": "2",
        "RETAIN_DIGEST_DAYS": "9",
        "INBOX_RETENTION_HOURS": "24",
        "PURGE_TIME": "02:30",
    }
    settings = load_settings(env, dotenv=None)
    settings.check()
    assert limits(settings) == Limits(
        attendance_years=6,
        feedback_days=100,
        help_days=101,
        dialog_days=7,
        inbox_hours=24,
        outbox_days=8,
        export_link_days=2,
        digest_days=9,
        purge_at=time(2, 30),
    )
    assert limits(load_settings({}, dotenv=None)) == Limits()


@pytest.mark.parametrize(
    ("field", "value", "name"),
    [
        ("retain_attendance_years", 0, "RETAIN_ATTENDANCE_YEARS"),
        ("retain_outbox_days", -1, "RETAIN_OUTBOX_DAYS"),
        ("purge_time", "3am", "PURGE_TIME"),
    ],
)
def test_a_retention_setting_that_cannot_work_is_refused(
    field: str, value: object, name: str
) -> None:
    with pytest.raises(SettingsError, match=name):
        replace(Settings(), **{field: value}).check()


def test_a_retention_setting_that_is_no_number_is_refused() -> None:
    with pytest.raises(SettingsError, match="whole numbers"):
        load_settings({"RETAIN_FEEDBACK_DAYS": "a year"}, dotenv=None)
