"""The roll-call rules as plain data (domain/rollcall/model.py): taps, check-outs, the day."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, timedelta

import pytest

from domain.rollcall.model import (
    DEFAULT_GRACE,
    END_TOLERANCE,
    MAX_NOTE,
    CallState,
    Checkout,
    FullDayRule,
    Mark,
    Reason,
    RollCall,
    Status,
    clean_note,
    day_record,
    left_early,
    tap_status,
)

T0 = datetime(2026, 3, 5, 7, 0, tzinfo=UTC)  # 9.00 in Helsinki
DAY = date(2026, 3, 5)
END = datetime(2026, 3, 5, 12, 0, tzinfo=UTC)

OPEN = RollCall(group_id=1, day=DAY, number=1, conversation_id="19:g@thread.v2", opened_at=T0, id=7)
CLOSED = replace(OPEN, closed_at=T0 + timedelta(minutes=30))

P, L, A, E, X = Status.PRESENT, Status.LATE, Status.ABSENT, Status.EXCUSED, Status.LEFT_EARLY


def mark(status: Status, at: datetime = T0, reason: Reason | None = None) -> Mark:
    return Mark(roll_call_id=7, person_id=3, status=status, at=at, reason=reason, version=1)


def checkout(at: datetime) -> Checkout:
    return Checkout(group_id=1, day=DAY, person_id=3, at=at)


# --- Status ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("status", "here"),
    [(P, True), (L, True), (A, False), (E, False), (X, False)],
    ids=str,
)
def test_only_present_and_late_are_here(status: Status, here: bool) -> None:
    assert status.is_here is here


def test_a_roll_call_is_open_until_it_has_a_closing_time() -> None:
    assert OPEN.is_open
    assert not CLOSED.is_open
    # a planned closing time does not close it by itself
    assert replace(OPEN, closes_at=T0 - timedelta(hours=1)).is_open


# --- tap_status --------------------------------------------------------------------------------


def test_the_default_grace_period_is_ten_minutes() -> None:
    assert OPEN.grace == DEFAULT_GRACE == timedelta(minutes=10)


@pytest.mark.parametrize(
    ("after_opening", "expected"),
    [
        (timedelta(0), P),
        (timedelta(minutes=9, seconds=59), P),
        (DEFAULT_GRACE, P),  # exactly at the end of the grace period: still on time
        (DEFAULT_GRACE + timedelta(microseconds=1), L),
        (DEFAULT_GRACE + timedelta(seconds=1), L),
        (timedelta(hours=3), L),
    ],
    ids=[
        "at-opening",
        "just-before",
        "exactly-grace",
        "a-microsecond-after",
        "a-second-after",
        "hours",
    ],
)
def test_a_first_tap_is_on_time_within_the_grace_period_and_late_after_it(
    after_opening: timedelta, expected: Status
) -> None:
    assert tap_status(OPEN, None, T0 + after_opening) is expected


def test_the_grace_period_is_the_roll_calls_own() -> None:
    short = replace(OPEN, grace=timedelta(minutes=2))
    at = T0 + timedelta(minutes=5)
    assert tap_status(short, None, at) is L
    assert tap_status(OPEN, None, at) is P


@pytest.mark.parametrize("after_opening", [timedelta(minutes=1), timedelta(hours=2)])
def test_a_tap_after_closing_is_late_even_within_the_grace_period(
    after_opening: timedelta,
) -> None:
    assert tap_status(CLOSED, None, T0 + after_opening) is L


@pytest.mark.parametrize("roll_call", [OPEN, CLOSED], ids=["open", "closed"])
@pytest.mark.parametrize("current", [P, L], ids=str)
@pytest.mark.parametrize(
    "after_opening", [timedelta(minutes=1), timedelta(minutes=40)], ids=["early", "late"]
)
def test_a_tap_never_changes_someone_who_is_already_here(
    roll_call: RollCall, current: Status, after_opening: timedelta
) -> None:
    assert tap_status(roll_call, mark(current), T0 + after_opening) is None


@pytest.mark.parametrize("current", [A, E], ids=str)
@pytest.mark.parametrize(
    ("roll_call", "after_opening", "expected"),
    [
        (OPEN, timedelta(minutes=1), P),
        (OPEN, timedelta(minutes=11), L),
        (CLOSED, timedelta(minutes=1), L),
        (CLOSED, timedelta(minutes=45), L),
    ],
    ids=["open-on-time", "open-late", "closed-early", "closed-late"],
)
def test_someone_absent_or_excused_who_taps_becomes_present_or_late(
    current: Status, roll_call: RollCall, after_opening: timedelta, expected: Status
) -> None:
    assert tap_status(roll_call, mark(current), T0 + after_opening) is expected


# --- left_early --------------------------------------------------------------------------------


def test_no_check_out_is_never_leaving_early() -> None:
    assert left_early(None, END) is False
    assert left_early(None, None) is False


@pytest.mark.parametrize("at", [T0, END, END + timedelta(hours=1)], ids=["morning", "end", "after"])
def test_any_check_out_is_leaving_early_when_the_end_is_not_known(at: datetime) -> None:
    assert left_early(checkout(at), None) is True


@pytest.mark.parametrize(
    ("before_end", "expected"),
    [
        (timedelta(hours=3), True),
        (END_TOLERANCE + timedelta(seconds=1), True),
        (END_TOLERANCE, False),  # exactly the tolerance: not early
        (END_TOLERANCE - timedelta(seconds=1), False),
        (timedelta(0), False),
        (-timedelta(minutes=30), False),  # after the planned end
    ],
    ids=["hours", "just-outside", "exactly", "just-inside", "at-end", "after-end"],
)
def test_checking_out_within_ten_minutes_of_the_end_is_not_leaving_early(
    before_end: timedelta, expected: bool
) -> None:
    assert END_TOLERANCE.total_seconds() == 10 * 60
    assert left_early(checkout(END - before_end), END) is expected


# --- day_record --------------------------------------------------------------------------------

EARLY = checkout(END - timedelta(hours=2))
ON_TIME_OUT = checkout(END - timedelta(minutes=5))

# marks, check-out, day status, full day by (first_and_last, all, any)
Case = tuple[list[Status | None], Checkout | None, Status | None, tuple[bool, bool, bool]]
CASES: dict[str, Case] = {
    "no roll calls": ([], None, None, (False, False, False)),
    "no marks at all": ([None, None], None, None, (False, False, False)),
    "no marks, checked out": ([None], EARLY, None, (False, False, False)),
    "all absent": ([A, A, A], None, A, (False, False, False)),
    "excused only": ([E, E], None, E, (False, False, False)),
    "excused and absent": ([A, E], None, E, (False, False, False)),
    "single roll call, present": ([P], None, P, (True, True, True)),
    "single roll call, late": ([L], None, L, (True, True, True)),
    "single roll call, absent": ([A], None, A, (False, False, False)),
    "single roll call, excused": ([E], None, E, (False, False, False)),
    "single roll call, left early": ([P], EARLY, X, (False, False, False)),
    "present all day": ([P, P, P], None, P, (True, True, True)),
    "late first": ([L, P, P], None, L, (True, True, True)),
    "late first, absent last": ([L, P, A], None, L, (False, False, True)),
    "absent first, then present": ([A, P, P], None, P, (False, False, True)),
    "missing in the middle": ([P, A, P], None, P, (True, False, True)),
    "excused in the middle": ([P, E, L], None, P, (True, False, True)),
    "not yet marked at the last": ([P, None], None, P, (False, False, True)),
    "not marked at the first": ([None, P], None, P, (False, False, True)),
    "left early overrides present": ([P, P], EARLY, X, (False, False, False)),
    "left early overrides late": ([L, P], EARLY, X, (False, False, False)),
    "checked out at the end": ([P, P], ON_TIME_OUT, P, (True, True, True)),
    "absent and checked out early": ([A, A], EARLY, A, (False, False, False)),
}
RULES = (FullDayRule.FIRST_AND_LAST, FullDayRule.ALL, FullDayRule.ANY)


@pytest.mark.parametrize("rule_index", range(3), ids=[r.value for r in RULES])
@pytest.mark.parametrize("name", list(CASES))
def test_day_record(name: str, rule_index: int) -> None:
    marks, out, status, full = CASES[name]
    rule = RULES[rule_index]
    record = day_record(3, marks, out, END, rule)
    assert record.person_id == 3
    assert record.marks == tuple(marks)
    assert record.status is status
    assert record.left_early is (out is EARLY)
    assert record.full_day is full[rule_index]
    assert record.checkout_at == (out.at if out is not None else None)


def test_the_default_rule_is_first_and_last() -> None:
    assert day_record(3, [P, A], None, END).full_day is False
    assert day_record(3, [P, A, P], None, END).full_day is True
    assert (
        day_record(3, [P, A, P], None, END).full_day
        == day_record(3, [P, A, P], None, END, FullDayRule.FIRST_AND_LAST).full_day
    )


@pytest.mark.parametrize("rule", RULES, ids=str)
def test_any_check_out_spoils_the_day_when_the_end_is_not_known(rule: FullDayRule) -> None:
    record = day_record(3, [P, P], ON_TIME_OUT, None, rule)
    assert record.left_early is True
    assert record.status is X
    assert record.full_day is False
    # without a check-out the same marks make a full day
    assert day_record(3, [P, P], None, None, rule).full_day is True


def test_the_day_status_is_the_first_roll_call_the_person_was_here_at() -> None:
    assert day_record(3, [A, L, P], None, END).status is L
    assert day_record(3, [E, P, L], None, END).status is P


# --- several roll calls: open, cancelled, a day not over yet ----------------------------------

OPENED, C, K = CallState.OPEN, CallState.CLOSED, CallState.CANCELLED


@pytest.mark.parametrize("rule", list(FullDayRule), ids=str)
def test_an_open_roll_call_not_answered_yet_counts_neither_way(rule: FullDayRule) -> None:
    closed_only = day_record(3, [P], None, END, rule)
    with_open = day_record(3, [P, None], None, END, rule, states=[C, OPENED])
    assert (with_open.status, with_open.full_day) == (closed_only.status, closed_only.full_day)
    assert with_open.full_day
    # once it is closed, not answering it is absent in it (the rule decides the day)
    closed = day_record(3, [P, A], None, END, rule, states=[C, C])
    assert closed.status is P
    assert closed.full_day is (rule is FullDayRule.ANY)


def test_an_answer_in_an_open_roll_call_counts() -> None:
    assert day_record(3, [P, L], None, END, states=[C, OPENED]).full_day
    # an instructor's absent mark in an open roll call counts too
    assert not day_record(3, [P, A], None, END, states=[C, OPENED]).full_day


@pytest.mark.parametrize("rule", list(FullDayRule), ids=str)
def test_a_cancelled_roll_call_does_not_count_at_all(rule: FullDayRule) -> None:
    assert day_record(3, [P, A], None, END, rule, states=[C, K]).full_day
    only_cancelled = day_record(3, [P], None, END, rule, states=[K])
    assert (only_cancelled.status, only_cancelled.full_day) == (None, False)


def test_someone_here_earlier_is_never_absent_for_the_day() -> None:
    for later in ([A], [A, E], [None], [E]):
        marks: list[Status | None] = [L, *later]
        record = day_record(3, marks, None, END, states=[C] * len(marks))
        assert record.status is L


def test_before_the_day_is_over_a_day_meeting_the_rule_is_on_the_way() -> None:
    going = day_record(3, [P], None, END, settled=False)
    assert (going.full_day, going.on_the_way) == (False, True)
    done = day_record(3, [P], None, END, settled=True)
    assert (done.full_day, done.on_the_way) == (True, False)
    failed = day_record(3, [A], None, END, settled=False)
    assert (failed.full_day, failed.on_the_way) == (False, False)
    left = day_record(3, [P], checkout(END - timedelta(hours=1)), END, settled=False)
    assert (left.full_day, left.on_the_way) == (False, False)


def test_a_roll_calls_state() -> None:
    assert OPEN.state is OPENED and CLOSED.state is C
    cancelled = replace(OPEN, cancelled_at=T0, closed_at=T0)
    assert cancelled.state is K and cancelled.is_cancelled and not cancelled.is_open


@pytest.mark.parametrize(
    ("given", "stored"),
    [(None, None), ("", None), ("   ", None), ("  tuli  myöhemmin ", "tuli myöhemmin")],
)
def test_a_corrections_reason_is_trimmed_and_never_empty(
    given: str | None, stored: str | None
) -> None:
    assert clean_note(given) == stored
    assert clean_note("x" * 1000) == "x" * MAX_NOTE
