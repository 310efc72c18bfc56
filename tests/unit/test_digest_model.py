"""The digest's pure rules: counts and rate, and the follow-up flags."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from domain.digest.model import (
    Flag,
    FlagKind,
    GuideProgress,
    HelpItem,
    Named,
    absent_streaks,
    falling,
    help_by_step,
    help_repeats,
    summarise,
    unfinished_guides,
    weekly_rates,
)
from domain.rollcall.attendance import AttendeeRole, DayAttendance, PersonAttendance
from domain.rollcall.model import DayRecord, Mark, Reason, RollCall, Status

MONDAY = date(2026, 11, 2)  # ISO week 45
AT = datetime(2026, 11, 2, 8, 0, tzinfo=UTC)


def line(
    pid: int,
    status: Status | None,
    *,
    reason: Reason | None = None,
    full_day: bool = False,
    role: AttendeeRole = AttendeeRole.CLIENT,
) -> PersonAttendance:
    mark = Mark(1, pid, status, AT, reason=reason) if status is not None else None
    record = DayRecord(
        pid, (status,), status, left_early=status is Status.LEFT_EARLY, full_day=full_day
    )
    return PersonAttendance(pid, f"Asiakas {pid:02d}", role, (mark,), record)


def day(
    on: date, *statuses: Status | None, held: bool = True, not_held: bool = False
) -> DayAttendance:
    calls = (RollCall(1, on, 1, "c", AT, id=1),) if held else ()
    people = tuple(line(n + 1, s) for n, s in enumerate(statuses))
    return DayAttendance(1, on, calls, people, not_held=not_held)


P, L, E, A, X = Status.PRESENT, Status.LATE, Status.EXCUSED, Status.ABSENT, Status.LEFT_EARLY


# --- counts and rate --------------------------------------------------------------------------


def test_counts_and_rate_are_of_clients_only() -> None:
    people = (
        line(1, P, full_day=True),
        line(2, P, full_day=True),
        line(3, L),
        line(4, X),
        line(5, E, reason=Reason.SICK),
        line(6, A),
        line(7, None),
        line(8, P, full_day=True, role=AttendeeRole.GUEST),
    )
    summary = summarise(DayAttendance(1, MONDAY, (RollCall(1, MONDAY, 1, "c", AT),), people))
    counts = summary.counts
    assert (counts.clients, counts.present, counts.late, counts.left_early) == (7, 2, 1, 1)
    assert (counts.excused, counts.absent, counts.unmarked, counts.activity) == (1, 1, 1, 2)
    assert counts.took_part == 4
    assert counts.rate == 4 / 7
    assert summary.excused == (Named("Asiakas 05", Reason.SICK),)
    assert summary.absent == (Named("Asiakas 06"),)
    assert summary.late == (Named("Asiakas 03"),)
    assert summary.left_early == (Named("Asiakas 04"),)


def test_a_day_not_over_yet_counts_those_on_the_way_to_a_full_day() -> None:
    # a day with no planned end is over only when the date is past: at the digest hour its
    # full days are still "on the way", and the card must not say 0 as if nobody made it
    on_the_way = DayRecord(1, (P,), P, left_early=False, full_day=False, on_the_way=True)
    people = (
        PersonAttendance(1, "Asiakas 01", AttendeeRole.CLIENT, (None,), on_the_way),
        line(2, A),
    )
    record = DayAttendance(1, MONDAY, (RollCall(1, MONDAY, 1, "c", AT),), people, over=False)
    counts = summarise(record).counts
    assert (counts.activity, counts.on_the_way) == (0, 1)


def test_a_group_without_clients_has_no_rate() -> None:
    assert summarise(day(MONDAY)).counts.rate is None


def test_a_cancelled_day_says_so() -> None:
    assert summarise(day(MONDAY, held=False, not_held=True)).not_held


# --- absence streaks --------------------------------------------------------------------------


def test_a_streak_counts_held_days_and_skips_days_not_held() -> None:
    records = [
        day(MONDAY, P, A, A),
        day(MONDAY + timedelta(days=1), A, A, E),
        day(MONDAY + timedelta(days=2), A, A, A, held=False),  # no roll call: skipped
        day(MONDAY + timedelta(days=3), A, E, P, not_held=True),  # cancelled: skipped
        day(MONDAY + timedelta(days=7), A, A, A),
        day(MONDAY + timedelta(days=8), A, E, A),
    ]
    flags = absent_streaks(records, 3)
    # client 1: here on Monday, then absent on three held days; client 2: four held days;
    # client 3: absent on four (excused counts as away)
    assert flags == [
        Flag(FlagKind.ABSENT_STREAK, "Asiakas 02", 4),
        Flag(FlagKind.ABSENT_STREAK, "Asiakas 03", 4),
        Flag(FlagKind.ABSENT_STREAK, "Asiakas 01", 3),
    ]


def test_being_here_once_breaks_the_streak() -> None:
    records = [day(MONDAY, A), day(MONDAY + timedelta(days=1), L), day(MONDAY + timedelta(2), A)]
    assert absent_streaks(records, 2) == []


def test_fewer_held_days_than_the_streak_flag_nobody() -> None:
    assert absent_streaks([day(MONDAY, A), day(MONDAY + timedelta(days=1), A)], 3) == []


# --- the falling trend ------------------------------------------------------------------------


def weeks(*rates: tuple[int, int] | None) -> list[DayAttendance]:
    """One held Monday per week: (here, of) clients, or None for no group day that week."""
    found = []
    for n, pair in enumerate(rates):
        if pair is None:
            continue
        here, of = pair
        found.append(day(MONDAY + timedelta(weeks=n), *([P] * here + [A] * (of - here))))
    return found


def test_weekly_rates_are_by_iso_week_over_four_weeks() -> None:
    last = MONDAY + timedelta(weeks=3, days=2)
    rates = weekly_rates(weeks((9, 10), (8, 10), None, (5, 10)), last)
    assert [r.week for r in rates] == [45, 46, 47, 48]
    assert [r.rate for r in rates] == [0.9, 0.8, None, 0.5]


def test_a_steady_fall_is_flagged_and_a_rise_or_a_flat_line_is_not() -> None:
    last = MONDAY + timedelta(weeks=3)
    assert falling(weekly_rates(weeks((9, 10), (8, 10), (8, 10), (5, 10)), last))
    assert falling(weekly_rates(weeks((9, 10), None, (7, 10), (5, 10)), last))
    assert not falling(weekly_rates(weeks((9, 10), (7, 10), (8, 10), (5, 10)), last))
    assert not falling(weekly_rates(weeks((8, 10), (8, 10), (8, 10), (8, 10)), last))
    assert not falling(weekly_rates(weeks(None, None, (9, 10), (5, 10)), last))


def test_cancelled_days_are_not_in_the_trend() -> None:
    last = MONDAY + timedelta(weeks=3)
    records = weeks((9, 10), (8, 10), (7, 10), (5, 10))
    records[-1] = day(last, *([A] * 10), not_held=True)
    rates = weekly_rates(records, last)
    assert rates[-1].rate is None


# --- help requests and the guide --------------------------------------------------------------


def test_two_help_requests_in_seven_days_make_a_flag() -> None:
    until = AT + timedelta(days=10)
    requests = [
        HelpItem(1, "Asiakas 01", "mic", "open", until - timedelta(days=1)),
        HelpItem(1, "Asiakas 01", "camera", "resolved", until - timedelta(days=6)),
        HelpItem(2, "Asiakas 02", "mic", "open", until - timedelta(days=1)),
        HelpItem(2, "Asiakas 02", "mic", "open", until - timedelta(days=8)),  # too long ago
    ]
    assert help_repeats(requests, until) == [Flag(FlagKind.HELP_REPEATS, "Asiakas 01", 2)]


def test_help_is_counted_by_step_and_status() -> None:
    requests = [
        HelpItem(1, "A", "mic", "open", AT),
        HelpItem(2, "B", "mic", "taken", AT),
        HelpItem(3, "C", "camera", "resolved", AT),
        HelpItem(4, "D", "mic", "open", AT),
    ]
    steps = help_by_step(requests)
    assert [(s.step, s.open, s.taken, s.resolved) for s in steps] == [
        ("camera", 0, 0, 1),
        ("mic", 2, 1, 0),
    ]


def test_a_guide_started_a_week_ago_and_not_finished_is_flagged() -> None:
    now = AT + timedelta(days=30)
    progress = [
        GuideProgress(1, "Asiakas 01", now - timedelta(days=7)),
        GuideProgress(2, "Asiakas 02", now - timedelta(days=6, hours=23)),
        GuideProgress(3, "Asiakas 03", now - timedelta(days=9), completed_at=now),
    ]
    assert unfinished_guides(progress, now) == [Flag(FlagKind.GUIDE_UNFINISHED, "Asiakas 01", 7)]
