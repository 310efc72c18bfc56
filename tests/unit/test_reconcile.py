"""The matching rules of Teams' attendance report against the roll call (pure)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from domain.graph import AttendeeRecord, Interval
from domain.reconcile import (
    Finding,
    Rules,
    minutes_in,
    poll_times,
    reconcile,
)
from domain.rollcall.attendance import AttendeeRole, DayAttendance, PersonAttendance
from domain.rollcall.model import DayRecord, Status

DAY = date(2026, 12, 7)
START = datetime(2026, 12, 7, 7, 0, tzinfo=UTC)  # 9.00 in Helsinki
END = datetime(2026, 12, 7, 13, 0, tzinfo=UTC)  # 15.00


def line(
    pid: int,
    name: str,
    status: Status | None,
    *,
    checkout: datetime | None = None,
    role: AttendeeRole = AttendeeRole.CLIENT,
) -> PersonAttendance:
    here = status in (Status.PRESENT, Status.LATE, Status.LEFT_EARLY)
    record = DayRecord(
        pid,
        (status,),
        status,
        left_early=checkout is not None,
        full_day=False,
        checkout_at=checkout,
    )
    return PersonAttendance(
        pid, name, role, (None,), record, joined_at=START if here else None, left_at=checkout
    )


def attended(aad: str | None, *spans: tuple[int, int]) -> AttendeeRecord:
    """A record with intervals given as minutes after the day's start."""
    intervals = tuple(
        Interval(START + timedelta(minutes=a), START + timedelta(minutes=b), (b - a) * 60)
        for a, b in spans
    )
    total = sum(i.seconds for i in intervals)
    return AttendeeRecord(aad, None, "x", "Attendee", total, intervals)


def day(*people: PersonAttendance) -> DayAttendance:
    return DayAttendance(1, DAY, (), tuple(people))


AAD = {1: "aad-jari", 2: "AAD-Maija", 3: "aad-pekka", 4: "aad-liisa", 5: "aad-oona"}


def test_joined_but_never_checked_in_is_suggested_present() -> None:
    found = reconcile(
        day(line(1, "Jari", Status.ABSENT), line(5, "Oona", None)),
        AAD,
        [attended("AAD-JARI", (0, 200), (220, 360)), attended("aad-oona", (0, 5))],
        END,
    )
    assert [(s.name, s.finding, s.minutes, s.suggested) for s in found] == [
        ("Jari", Finding.JOINED, 340, Status.PRESENT)
    ]
    assert found[0].left_at == START + timedelta(minutes=360)


def test_checked_in_and_ten_minutes_in_the_meeting_is_a_short_stay() -> None:
    found = reconcile(
        day(line(2, "Maija", Status.PRESENT), line(3, "Pekka", Status.LEFT_EARLY, checkout=END)),
        AAD,
        [attended("aad-maija", (0, 10)), attended("aad-pekka", (0, 3))],
        END,
    )
    assert [(s.name, s.finding, s.minutes, s.suggested) for s in found] == [
        ("Maija", Finding.SHORT_STAY, 10, Status.LEFT_EARLY),
        # already checked out: said, but no change fits
        ("Pekka", Finding.SHORT_STAY, 3, None),
    ]


def test_left_the_meeting_long_before_the_end_without_checking_out() -> None:
    leaving = START + timedelta(hours=3)
    found = reconcile(
        day(
            line(4, "Liisa", Status.LATE),
            line(2, "Maija", Status.PRESENT, checkout=leaving),
            line(1, "Jari", Status.PRESENT),
        ),
        AAD,
        [
            attended("aad-liisa", (30, 180)),
            attended("aad-maija", (0, 180)),
            attended("aad-jari", (0, 340)),  # 20 min before the end: within the margin
        ],
        END,
    )
    assert [(s.name, s.finding, s.suggested) for s in found] == [
        ("Liisa", Finding.LEFT_EARLY, Status.LEFT_EARLY)
    ]
    # without a planned end nothing is "early"
    assert (
        reconcile(day(line(4, "Liisa", Status.LATE)), AAD, [attended("aad-liisa", (30, 180))], None)
        == ()
    )


def test_people_teams_did_not_see_and_strangers_give_nothing() -> None:
    assert (
        reconcile(
            day(line(1, "Jari", Status.ABSENT), line(2, "Maija", Status.PRESENT)),
            AAD,
            [attended(None, (0, 300)), attended("someone-else", (0, 300))],
            END,
        )
        == ()
    )


def test_thresholds_are_settings() -> None:
    rules = Rules(joined=1, short_stay=5, early_margin=0)
    found = reconcile(
        day(line(1, "Jari", Status.ABSENT), line(2, "Maija", Status.PRESENT)),
        AAD,
        [attended("aad-jari", (0, 2)), attended("aad-maija", (0, 10))],
        END,
        rules,
    )
    assert [(s.name, s.finding) for s in found] == [
        ("Jari", Finding.JOINED),
        ("Maija", Finding.LEFT_EARLY),
    ]


def test_minutes_fall_back_to_the_total_without_intervals() -> None:
    record = AttendeeRecord("a", None, None, None, 1500, ())
    assert minutes_in([record, attended("a", (0, 5))]) == 30


def test_polls_come_ten_minutes_and_an_hour_after_the_end_and_the_next_morning() -> None:
    zone = ZoneInfo("Europe/Helsinki")
    first, second, third = poll_times(END, zone)
    assert (first - END, second - END) == (timedelta(minutes=10), timedelta(hours=1))
    assert third == datetime(2026, 12, 8, 8, 0, tzinfo=zone)
    # a meeting ending just before midnight: the morning poll still comes after the second
    late = datetime(2026, 12, 7, 21, 59, tzinfo=UTC)  # 23.59 in Helsinki
    times = poll_times(late, zone)
    assert times[0] < times[1] < times[2]
    assert times[2] == datetime(2026, 12, 8, 8, 0, tzinfo=zone)


async def test_a_meeting_start_listener_that_fails_does_not_stop_the_others() -> None:
    from domain.hooks import Hooks

    told: list[int] = []

    async def broken(group_id: int) -> None:
        raise RuntimeError("no")

    async def listener(group_id: int) -> None:
        told.append(group_id)

    hooks = Hooks()
    hooks.on_meeting_started(broken)
    hooks.on_meeting_started(listener)
    await hooks.meeting_started(7)
    assert told == [7]


def test_someone_known_only_by_upn_is_matched_by_the_records_email() -> None:
    # Sari's object id is not known (the organisation file gave her UPN and she has not written
    # to the bot); a guest using Jari's address under another object id is not Jari
    sari = AttendeeRecord(
        "aad-of-sari-in-entra",
        "Sari.Heikkinen@Example.hel.fi",
        "Sari",
        "Attendee",
        14_280,
        (Interval(START, START + timedelta(minutes=238), 14_280),),
    )
    impostor = AttendeeRecord(
        "aad-someone-else", "jari@example.hel.fi", "Jari?", "Attendee", 7200, ()
    )
    found = reconcile(
        day(line(6, "Sari", None), line(1, "Jari", Status.ABSENT)),
        {1: "aad-jari"},
        [sari, impostor],
        END,
        upn_of={6: "sari.heikkinen@example.hel.fi", 1: "jari@example.hel.fi"},
    )
    assert [(s.name, s.finding, s.minutes) for s in found] == [("Sari", Finding.JOINED, 238)]
