"""Group days: placing plans on dates (DST), steering, and the timer's decisions."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

import pytest

from domain import days as d
from domain.org import Language
from domain.plans import ItemKind, Plan, PlanItem
from domain.templates import template

HELSINKI = "Europe/Helsinki"
WARN = timedelta(minutes=2)
GRACE = timedelta(minutes=5)


def plan(*items: tuple[ItemKind, str, str, int]) -> Plan:
    return Plan(
        key="test",
        name="Testipäivä",
        items=tuple(
            PlanItem(kind, title, time.fromisoformat(start), timedelta(minutes=minutes))
            for kind, title, start, minutes in items
        ),
    )


DAY_PLAN = plan(
    (ItemKind.CHECK_IN, "Ilmoittautuminen", "09:00", 15),
    (ItemKind.DISCUSSION, "Keskustelu", "09:15", 45),
    (ItemKind.BREAK, "Tauko", "10:00", 15),
    (ItemKind.CONTENT, "Aihe", "10:15", 45),
    (ItemKind.CLOSE, "Päivä päättyy", "11:00", 5),
)


def placed(on: date = date(2026, 12, 3)) -> d.GroupDay:
    day = d.place_plan(DAY_PLAN, 1, on, HELSINKI, Language.FI)
    return d.start(day, day.starts)


def at(day: d.GroupDay, hhmm: str) -> datetime:
    hour, minute = map(int, hhmm.split(":"))
    return datetime(
        day.date.year, day.date.month, day.date.day, hour, minute, tzinfo=day.zone
    ).astimezone(UTC)


def local_starts(day: d.GroupDay) -> list[str]:
    return [day.local(i.start).strftime("%H:%M") for i in day.items]


# --- placing plans, DST -------------------------------------------------------------------


def test_winter_day_is_utc_plus_two() -> None:
    day = placed(date(2026, 12, 3))
    assert day.items[0].start == datetime(2026, 12, 3, 7, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("on", "utc_hour"),
    [
        (date(2026, 3, 28), 7),  # Saturday before: still winter time (UTC+2)
        (date(2026, 3, 29), 6),  # last Sunday of March: summer time from 03:00 (UTC+3)
        (date(2026, 10, 25), 7),  # last Sunday of October: winter time from 04:00 (UTC+2)
        (date(2026, 10, 24), 6),  # Saturday before: still summer time
    ],
)
def test_plan_keeps_wall_clock_times_across_dst(on: date, utc_hour: int) -> None:
    day = placed(on)
    assert local_starts(day) == ["09:00", "09:15", "10:00", "10:15", "11:00"]
    assert day.items[0].start.hour == utc_hour
    assert all(i.duration == p.duration for i, p in zip(day.items, DAY_PLAN.items, strict=True))


def test_items_across_the_night_of_the_dst_change_keep_their_length() -> None:
    night = plan(
        (ItemKind.LINE_OPEN, "Linja auki", "02:00", 60),
        (ItemKind.CONTENT, "Aamu", "03:30", 60),  # 03:30 does not exist on 2026-03-29
        (ItemKind.CONTENT, "Myöhemmin", "05:00", 60),
    )
    spring = d.place_plan(night, 1, date(2026, 3, 29), HELSINKI, Language.FI)
    assert spring.items[1].start < spring.items[2].start
    assert local_starts(spring)[2] == "05:00"
    autumn = d.place_plan(night, 1, date(2026, 10, 25), HELSINKI, Language.FI)
    assert local_starts(autumn) == ["02:00", "03:30", "05:00"]


def test_templates_place_on_both_dst_sundays() -> None:
    for on in (date(2026, 3, 29), date(2026, 10, 25)):
        day = d.place_plan(template("youth-day", Language.FI), 1, on, HELSINKI, Language.FI)
        assert local_starts(day)[0] == "09:00"


def test_move_keeps_local_times_into_summer() -> None:
    day = d.place_plan(DAY_PLAN, 1, date(2026, 3, 26), HELSINKI, Language.FI)
    moved = d.move_to(day, date(2026, 4, 2))
    assert local_starts(moved) == local_starts(day)
    assert moved.items[0].start.hour == 6


# --- steering -------------------------------------------------------------------------------


def test_extend_lengthens_current_and_moves_the_rest() -> None:
    day = placed()
    new = d.extend(day, at(day, "09:20"), 5)
    assert new.items[1].duration == timedelta(minutes=50)
    assert local_starts(new) == ["09:00", "09:15", "10:05", "10:20", "11:05"]


def test_extend_between_items_is_refused() -> None:
    day = placed()
    with pytest.raises(d.DayRuleBroken):
        d.extend(day, at(day, "08:00"), 5)


def test_skip_starts_the_next_item_now() -> None:
    day = placed()
    now = at(day, "09:30")
    new = d.skip(day, now)
    assert new.items[1].end == now
    assert new.items[2].start == now
    assert local_starts(new)[2:] == ["09:30", "09:45", "10:30"]


def test_skipping_a_break_does_not_announce_its_end() -> None:
    day = placed()
    new = d.skip(day, at(day, "10:05"))
    assert new.fired["2:warn"] == "skipped"
    assert new.fired["2:end"] == "skipped"
    assert "2:end" not in {e.key for e in d.pending_events(new, WARN)}


def test_shift_moves_items_not_started_yet() -> None:
    day = placed()
    later = d.shift(day, at(day, "09:20"), 10)
    assert local_starts(later) == ["09:00", "09:15", "10:10", "10:25", "11:10"]
    earlier = d.shift(later, at(day, "09:20"), -30)
    # never earlier than the end of the current item
    assert local_starts(earlier)[2] == "10:00"
    with pytest.raises(d.DayRuleBroken):
        d.shift(earlier, at(day, "09:20"), -5)


def test_pause_and_resume_add_the_paused_time() -> None:
    day = placed()
    paused = d.pause(day, at(day, "09:20"))
    assert d.pending_events(paused, WARN) == []
    resumed = d.resume(paused, at(day, "09:32"))
    assert resumed.status is d.DayStatus.RUNNING
    assert resumed.items[1].duration == timedelta(minutes=57)
    assert local_starts(resumed) == ["09:00", "09:15", "10:12", "10:27", "11:12"]


def test_only_planned_days_start_and_closed_days_refuse_changes() -> None:
    day = placed()
    with pytest.raises(d.DayRuleBroken):
        d.start(day, day.starts)
    closed = d.end(day, at(day, "09:20"))
    for change in (d.pause, d.skip):
        with pytest.raises(d.DayRuleBroken):
            change(closed, at(day, "09:25"))
    assert d.pending_events(closed, WARN) == []


# --- the timer's decisions ---------------------------------------------------------------------


def test_events_include_break_warning_and_end() -> None:
    day = placed()
    keys = [e.key for e in d.timer_events(day, WARN)]
    assert keys == ["0:start", "1:start", "2:start", "2:warn", "2:end", "3:start", "4:start"]
    warn = next(e for e in d.timer_events(day, WARN) if e.key == "2:warn")
    assert day.local(warn.at).strftime("%H:%M") == "10:13"


def test_fire_posts_once() -> None:
    day = placed()
    now = at(day, "09:15")
    new, decided = d.fire(day, "1:start", now, grace=GRACE, warning=WARN)
    assert [(e.key, how) for e, how in decided][-1] == ("1:start", d.Firing.POST)
    again, decided_again = d.fire(new, "1:start", now, grace=GRACE, warning=WARN)
    assert decided_again == []
    assert again == new


def test_fire_too_early_does_nothing() -> None:
    day = placed()
    _, decided = d.fire(day, "1:start", at(day, "09:10"), grace=GRACE, warning=WARN)
    assert decided == []


def test_late_within_grace_posts_beyond_grace_skips() -> None:
    day = placed()
    _, within = d.fire(day, "1:start", at(day, "09:19"), grace=GRACE, warning=WARN)
    assert within[-1][1] is d.Firing.POST
    _, beyond = d.fire(day, "1:start", at(day, "09:21"), grace=GRACE, warning=WARN)
    assert beyond[-1][1] is d.Firing.SKIP


def test_after_an_outage_older_events_are_skipped_not_burst() -> None:
    day = placed()
    now = at(day, "10:16")  # down from 09:10 to 10:16
    new, decided = d.fire(day, "3:start", now, grace=GRACE, warning=WARN)
    posted = [e.key for e, how in decided if how is d.Firing.POST]
    # the break ended a minute ago: its end is news, its start and warning are not
    assert posted == ["2:end", "3:start"]
    skipped = {k for k, v in new.fired.items() if v == "skipped"}
    assert skipped == {"0:start", "1:start", "2:start", "2:warn"}
    assert [e.key for e in d.pending_events(new, WARN)] == ["4:start"]


def test_a_planned_day_starts_itself_at_its_first_event() -> None:
    day = d.place_plan(DAY_PLAN, 1, date(2026, 12, 3), HELSINKI, Language.FI)
    new, decided = d.fire(day, "0:start", day.starts, grace=GRACE, warning=WARN)
    assert new.status is d.DayStatus.RUNNING
    assert decided[-1][1] is d.Firing.POST


def test_back_counts_each_person_once() -> None:
    day = placed()
    day, first = d.record_back(day, 2, 7)
    day, again = d.record_back(day, 2, 7)
    day, other = d.record_back(day, 2, 8)
    assert (first, again, other) == (1, 1, 2)


def test_two_events_due_at_once_both_post_in_order_whichever_job_runs_first() -> None:
    day = placed()
    new, decided = d.fire(day, "3:start", at(day, "10:15"), grace=GRACE, warning=WARN)
    assert [(e.key, how) for e, how in decided][-2:] == [
        ("2:end", d.Firing.POST),
        ("3:start", d.Firing.POST),
    ]
    _, again = d.fire(new, "2:end", at(day, "10:15"), grace=GRACE, warning=WARN)
    assert again == []


def test_the_break_end_job_also_posts_the_item_starting_then() -> None:
    day = placed()
    new, decided = d.fire(day, "2:end", at(day, "10:15"), grace=GRACE, warning=WARN)
    assert [(e.key, how) for e, how in decided][-2:] == [
        ("2:end", d.Firing.POST),
        ("3:start", d.Firing.POST),
    ]
    assert d.starts_as_break_ends(new, 2)
    _, again = d.fire(new, "3:start", at(day, "10:15"), grace=GRACE, warning=WARN)
    assert again == []


@pytest.mark.parametrize(
    ("minutes", "warned_before_end"),
    [
        (1, None),  # under two minutes: no warning
        (2, timedelta(minutes=1)),  # shorter than twice the warning: halfway
        (3, timedelta(minutes=1, seconds=30)),
        (4, timedelta(minutes=2)),
        (5, WARN),  # longer than twice the warning: the warning before the end
        (15, WARN),
    ],
)
def test_a_short_break_is_warned_halfway(minutes: int, warned_before_end: timedelta | None) -> None:
    short = plan(
        (ItemKind.CONTENT, "Aihe", "09:00", 30),
        (ItemKind.BREAK, "Tauko", "09:30", minutes),
        (ItemKind.CONTENT, "Toinen aihe", "10:00", 30),
    )
    day = d.place_plan(short, 1, date(2026, 12, 3), HELSINKI, Language.FI)
    warnings = [e for e in d.timer_events(day, WARN) if e.kind is d.EventKind.BREAK_WARNING]
    if warned_before_end is None:
        assert warnings == []
        return
    assert [day.items[1].end - e.at for e in warnings] == [warned_before_end]
    assert d.warning_before_end(day.items[1].duration, WARN) == warned_before_end
