"""The tutorial state machine (domain/tutorial/flow.py): every transition, and every refusal.

Most tests use a small inline tutorial whose steps and checks per device are known here; a few
walk the shipped content (domain/tutorial/data) to see that every device can reach the end.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from domain.org import Language
from domain.tutorial.content import Device, Topic, Tutorial, load_tutorial, parse_tutorial
from domain.tutorial.flow import (
    TRANSITIONS,
    Event,
    InvalidMove,
    Outcome,
    Place,
    Position,
    Problem,
    Progress,
    check_position,
    device_for_platform,
    is_last_check,
    move,
    step_position,
    troubleshoot,
)

T0 = datetime(2026, 3, 5, 9, 0, tzinfo=UTC)
T1 = T0 + timedelta(minutes=1)
T2 = T0 + timedelta(minutes=2)

# Steps per device:   windows, mac: s_join, s_mic, s_cam
#                     web:          s_join, s_cam
#                     mobile:       s_join_mobile, s_cam
# Checks per topic:   join: c_join_1 (all), c_join_2 (windows only), c_join_3 (all)
#                     microphone: c_mic_1 (windows, mac)
#                     camera: c_cam_1, c_cam_2 (all)
STRUCTURE = """
[[step]]
id = "s_join"
topic = "join"
image = "img_join"
devices = ["windows", "mac", "web"]

[[step]]
id = "s_join_mobile"
topic = "join"
image = "img_phone"
devices = ["mobile"]

[[step]]
id = "s_mic"
topic = "microphone"
image = "img_mic"
devices = ["windows", "mac"]
shortcut = { windows = ["Ctrl", "Shift", "M"] }

[[step]]
id = "s_cam"
topic = "camera"
image = "img_cam"

[[check]]
id = "c_join_1"
topic = "join"

[[check]]
id = "c_join_2"
topic = "join"
devices = ["windows"]

[[check]]
id = "c_join_3"
topic = "join"
image = "img_restart"

[[check]]
id = "c_mic_1"
topic = "microphone"
devices = ["windows", "mac"]

[[check]]
id = "c_cam_1"
topic = "camera"

[[check]]
id = "c_cam_2"
topic = "camera"
"""

STEP_IDS = ("s_join", "s_join_mobile", "s_mic", "s_cam")
CHECK_IDS = ("c_join_1", "c_join_2", "c_join_3", "c_mic_1", "c_cam_1", "c_cam_2")
IMAGES = ("img_join", "img_phone", "img_mic", "img_cam", "img_restart")


def _words(language: Language) -> str:
    lines = ["[device]"]
    lines += [f'{d.value} = "{d.value} {language.value}"' for d in Device]
    lines += ["[topic]"]
    lines += [f'{t.value} = "{t.value} {language.value}"' for t in Topic]
    lines += ["[keys]", 'space = "space"', "[image]"]
    lines += [f'{i} = "picture {i}"' for i in IMAGES]
    for sid in STEP_IDS:
        lines += [f"[step.{sid}]", f'title = "{sid} title"', f'text = "{sid} text."']
    for cid in CHECK_IDS:
        lines += [f"[check.{cid}]", f'title = "{cid} title"', f'text = "{cid} text."']
    return "\n".join(lines) + "\n"


def _inline(structure: str = STRUCTURE) -> Tutorial:
    return parse_tutorial(structure, {lang: _words(lang) for lang in Language})


T = _inline()
SHIPPED = load_tutorial()


def at_step(step: str, device: Device = Device.WINDOWS, **kw: Any) -> Progress:
    return replace(Progress(person_id=7, place=Place.STEP, device=device, step=step), **kw)


def at_check(step: str, check: str, device: Device = Device.WINDOWS, **kw: Any) -> Progress:
    return replace(at_step(step, device), place=Place.CHECK, check=check, **kw)


def test_the_inline_tutorial_is_what_the_tests_assume() -> None:
    assert [s.id for s in T.steps_for(Device.WINDOWS)] == ["s_join", "s_mic", "s_cam"]
    assert [s.id for s in T.steps_for(Device.WEB)] == ["s_join", "s_cam"]
    assert [s.id for s in T.steps_for(Device.MOBILE)] == ["s_join_mobile", "s_cam"]
    assert [c.id for c in T.checks_for(Topic.JOIN, Device.WINDOWS)] == [
        "c_join_1",
        "c_join_2",
        "c_join_3",
    ]
    assert [c.id for c in T.checks_for(Topic.JOIN, Device.WEB)] == ["c_join_1", "c_join_3"]


# --- the transition table --------------------------------------------------------------------

# A typical progress at each place (windows: s_join, s_mic, s_cam).
START: dict[Place, Progress] = {
    Place.DEVICE: Progress(person_id=7),
    Place.STEP: at_step("s_mic"),
    Place.CHECK: at_check("s_join", "c_join_2"),
    Place.ASKED: replace(at_check("s_mic", "c_mic_1"), place=Place.ASKED),
    Place.DONE: replace(
        Progress(person_id=7, place=Place.DONE, device=Device.WINDOWS), completed_at=T0
    ),
}

# (place, event) -> (device given, expected place, device, step, check)
EXPECTED: dict[
    tuple[Place, Event], tuple[Device | None, Place, Device | None, str | None, str | None]
] = {
    (Place.DEVICE, Event.CHOOSE): (Device.WEB, Place.STEP, Device.WEB, "s_join", None),
    (Place.DEVICE, Event.BACK): (None, Place.DEVICE, None, None, None),
    (Place.DEVICE, Event.RESTART): (None, Place.DEVICE, None, None, None),
    (Place.STEP, Event.DONE): (None, Place.STEP, Device.WINDOWS, "s_cam", None),
    (Place.STEP, Event.TROUBLE): (None, Place.CHECK, Device.WINDOWS, "s_mic", "c_mic_1"),
    (Place.STEP, Event.BACK): (None, Place.STEP, Device.WINDOWS, "s_join", None),
    (Place.STEP, Event.RESTART): (None, Place.DEVICE, Device.WINDOWS, None, None),
    (Place.CHECK, Event.WORKS): (None, Place.STEP, Device.WINDOWS, "s_mic", None),
    (Place.CHECK, Event.NEXT): (None, Place.CHECK, Device.WINDOWS, "s_join", "c_join_3"),
    (Place.STEP, Event.ASK): (None, Place.ASKED, Device.WINDOWS, "s_mic", None),
    (Place.CHECK, Event.ASK): (None, Place.ASKED, Device.WINDOWS, "s_join", "c_join_2"),
    (Place.CHECK, Event.BACK): (None, Place.CHECK, Device.WINDOWS, "s_join", "c_join_1"),
    (Place.CHECK, Event.RESTART): (None, Place.DEVICE, Device.WINDOWS, None, None),
    (Place.ASKED, Event.WORKS): (None, Place.STEP, Device.WINDOWS, "s_cam", None),
    (Place.ASKED, Event.BACK): (None, Place.STEP, Device.WINDOWS, "s_mic", None),
    (Place.ASKED, Event.RESTART): (None, Place.DEVICE, Device.WINDOWS, None, None),
    (Place.DONE, Event.BACK): (None, Place.STEP, Device.WINDOWS, "s_cam", None),
    (Place.DONE, Event.RESTART): (None, Place.DEVICE, Device.WINDOWS, None, None),
}


def test_every_transition_in_the_table_is_covered_here() -> None:
    assert set(EXPECTED) == set(TRANSITIONS)


@pytest.mark.parametrize(("place", "event"), sorted(EXPECTED), ids=lambda v: str(v))
def test_each_transition_does_what_it_says(place: Place, event: Event) -> None:
    device, want_place, want_device, want_step, want_check = EXPECTED[(place, event)]
    start = START[place]
    moved = move(T, start, event, T1, device)
    assert (moved.place, moved.device, moved.step, moved.check) == (
        want_place,
        want_device,
        want_step,
        want_check,
    )
    assert moved.person_id == start.person_id
    assert moved.version == start.version  # the store counts versions, not the rules
    assert moved.updated_at == T1


NOT_IN_TABLE = sorted((p, e) for p in Place for e in Event if (p, e) not in TRANSITIONS)


def test_some_pairs_are_not_in_the_table() -> None:
    assert (Place.DONE, Event.DONE) in NOT_IN_TABLE
    assert (Place.DEVICE, Event.DONE) in NOT_IN_TABLE
    assert (Place.DONE, Event.ASK) in NOT_IN_TABLE


@pytest.mark.parametrize(("place", "event"), NOT_IN_TABLE, ids=lambda v: str(v))
def test_every_pair_not_in_the_table_is_refused(place: Place, event: Event) -> None:
    start = START[place]
    with pytest.raises(InvalidMove):
        move(T, start, event, T1, Device.WINDOWS)


# --- choosing a device ---------------------------------------------------------------------

FIRST_STEP = {
    Device.WINDOWS: "s_join",
    Device.MAC: "s_join",
    Device.WEB: "s_join",
    Device.MOBILE: "s_join_mobile",
}


@pytest.mark.parametrize("device", list(Device))
def test_choosing_a_device_goes_to_its_first_step(device: Device) -> None:
    moved = move(T, Progress(person_id=7), Event.CHOOSE, T0, device)
    assert moved.place is Place.STEP
    assert moved.device is device
    assert moved.step == FIRST_STEP[device]
    assert moved.check is None


def test_choosing_needs_a_device() -> None:
    with pytest.raises(InvalidMove):
        move(T, Progress(person_id=7), Event.CHOOSE, T0, None)


def test_choosing_a_device_without_steps_is_refused() -> None:
    only_windows = STRUCTURE.replace(
        'id = "s_cam"\ntopic = "camera"\nimage = "img_cam"\n',
        'id = "s_cam"\ntopic = "camera"\nimage = "img_cam"\ndevices = ["windows"]\n',
    ).replace('image = "img_phone"\ndevices = ["mobile"]', 'image = "img_phone"\ndevices = ["mac"]')
    tutorial = _inline(only_windows)
    assert tutorial.steps_for(Device.WEB)  # web still has s_join
    assert not tutorial.steps_for(Device.MOBILE)
    with pytest.raises(InvalidMove):
        move(tutorial, Progress(person_id=7), Event.CHOOSE, T0, Device.MOBILE)


def test_a_step_not_on_the_device_is_refused() -> None:
    forged = at_step("s_mic", Device.WEB)  # web has no s_mic
    with pytest.raises(InvalidMove):
        move(T, forged, Event.DONE, T0)


# --- done and completion -------------------------------------------------------------------


def test_done_walks_the_steps_and_the_last_goes_to_done() -> None:
    p = move(T, Progress(person_id=7), Event.CHOOSE, T0, Device.WINDOWS)
    seen = [p.step]
    while p.place is Place.STEP:
        assert p.completed_at is None
        p = move(T, p, Event.DONE, T1)
        seen.append(p.step)
    assert seen == ["s_join", "s_mic", "s_cam", None]
    assert p.place is Place.DONE
    assert p.check is None
    assert p.completed_at == T1
    assert p.completed


def test_a_second_completion_keeps_the_first_time() -> None:
    first = move(T, at_step("s_cam", Device.WEB), Event.DONE, T1)
    assert first.completed_at == T1
    again = move(T, first, Event.RESTART, T2)
    assert again.completed_at == T1
    again = move(T, again, Event.CHOOSE, T2, Device.WEB)
    again = move(T, again, Event.DONE, T2)
    finished = move(T, again, Event.DONE, T2 + timedelta(hours=1))
    assert finished.place is Place.DONE
    assert finished.completed_at == T1


def test_works_on_the_last_steps_check_finishes_with_the_problem_recorded() -> None:
    p = move(T, at_check("s_cam", "c_cam_2", Device.MOBILE), Event.WORKS, T2)
    assert p.place is Place.DONE
    assert p.completed_at == T2
    assert p.problems == (Problem("s_cam", "c_cam_2", Outcome.SOLVED, T2),)


# --- troubleshooting -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("device", "step", "first_check"),
    [
        (Device.WINDOWS, "s_join", "c_join_1"),
        (Device.WINDOWS, "s_mic", "c_mic_1"),
        (Device.MAC, "s_mic", "c_mic_1"),
        (Device.WEB, "s_join", "c_join_1"),
        (Device.MOBILE, "s_join_mobile", "c_join_1"),
        (Device.MOBILE, "s_cam", "c_cam_1"),
    ],
)
def test_trouble_goes_to_the_first_check_of_the_steps_topic(
    device: Device, step: str, first_check: str
) -> None:
    p = move(T, at_step(step, device), Event.TROUBLE, T1)
    assert (p.place, p.step, p.check) == (Place.CHECK, step, first_check)
    assert p.problems == ()


@pytest.mark.parametrize(
    ("device", "checks"),
    [
        (Device.WINDOWS, ["c_join_1", "c_join_2", "c_join_3"]),
        (Device.WEB, ["c_join_1", "c_join_3"]),
        (Device.MAC, ["c_join_1", "c_join_3"]),
    ],
)
def test_next_walks_the_checks_in_order_and_refuses_after_the_last(
    device: Device, checks: list[str]
) -> None:
    p = move(T, at_step("s_join", device), Event.TROUBLE, T0)
    seen = [p.check]
    while not is_last_check(T, p):
        p = move(T, p, Event.NEXT, T1)
        assert p.place is Place.CHECK
        assert p.step == "s_join"
        seen.append(p.check)
        assert len(seen) <= len(checks)
    assert seen == checks
    with pytest.raises(InvalidMove):
        move(T, p, Event.NEXT, T1)


def test_next_from_a_check_of_another_topic_is_refused() -> None:
    with pytest.raises(InvalidMove):
        move(T, at_check("s_join", "c_cam_1"), Event.NEXT, T1)


def test_works_records_a_solved_problem_and_moves_to_the_next_step() -> None:
    earlier = Problem("s_join", None, Outcome.ASKED, T0)
    p = move(T, at_check("s_mic", "c_mic_1", problems=(earlier,)), Event.WORKS, T2)
    assert (p.place, p.step, p.check) == (Place.STEP, "s_cam", None)
    assert p.problems == (earlier, Problem("s_mic", "c_mic_1", Outcome.SOLVED, T2))


def test_done_on_a_step_records_no_problem() -> None:
    p = move(T, at_step("s_join"), Event.DONE, T1)
    assert p.problems == ()


def test_ask_records_an_asked_problem_and_waits() -> None:
    p = move(T, at_check("s_join", "c_join_3", Device.WEB), Event.ASK, T2)
    assert p.place is Place.ASKED
    assert (p.step, p.check) == ("s_join", "c_join_3")
    assert p.problems == (Problem("s_join", "c_join_3", Outcome.ASKED, T2),)


def test_works_after_asking_moves_on_without_a_second_problem() -> None:
    asked = move(T, at_check("s_join", "c_join_1"), Event.ASK, T1)
    p = move(T, asked, Event.WORKS, T2)
    assert (p.place, p.step) == (Place.STEP, "s_mic")
    assert [x.outcome for x in p.problems] == [Outcome.ASKED]


# --- back ------------------------------------------------------------------------------------


@pytest.mark.parametrize("device", list(Device))
def test_back_from_the_first_step_goes_to_the_device_choice(device: Device) -> None:
    p = move(T, at_step(FIRST_STEP[device], device), Event.BACK, T1)
    assert (p.place, p.step, p.check) == (Place.DEVICE, None, None)
    assert p.device is device  # remembered, so the choice can suggest it


def test_back_from_a_later_step_goes_to_the_step_before() -> None:
    p = move(T, at_step("s_cam", Device.MOBILE), Event.BACK, T1)
    assert (p.place, p.step) == (Place.STEP, "s_join_mobile")


def test_back_from_the_first_check_goes_to_its_step() -> None:
    p = move(T, at_check("s_mic", "c_mic_1"), Event.BACK, T1)
    assert (p.place, p.step, p.check) == (Place.STEP, "s_mic", None)


def test_back_from_a_later_check_goes_to_the_check_before() -> None:
    p = move(T, at_check("s_join", "c_join_3", Device.WEB), Event.BACK, T1)
    assert (p.place, p.step, p.check) == (Place.CHECK, "s_join", "c_join_1")


def test_back_from_asked_goes_to_the_step() -> None:
    asked = move(T, at_check("s_cam", "c_cam_2"), Event.ASK, T1)
    p = move(T, asked, Event.BACK, T2)
    assert (p.place, p.step, p.check) == (Place.STEP, "s_cam", None)
    assert p.problems == asked.problems


@pytest.mark.parametrize(
    ("device", "last"),
    [(Device.WINDOWS, "s_cam"), (Device.WEB, "s_cam"), (Device.MOBILE, "s_cam")],
)
def test_back_from_done_goes_to_the_last_step(device: Device, last: str) -> None:
    done = move(T, at_step(last, device), Event.DONE, T1)
    p = move(T, done, Event.BACK, T2)
    assert (p.place, p.device, p.step) == (Place.STEP, device, last)
    assert p.completed_at == T1


def test_back_at_the_device_choice_stays_there() -> None:
    p = move(T, Progress(person_id=7, device=Device.MAC), Event.BACK, T1)
    assert (p.place, p.device, p.step) == (Place.DEVICE, Device.MAC, None)


# --- restart ---------------------------------------------------------------------------------


@pytest.mark.parametrize("place", [Place.STEP, Place.CHECK, Place.ASKED, Place.DONE])
def test_restart_goes_to_the_device_choice_keeping_the_history(place: Place) -> None:
    problems = (Problem("s_join", "c_join_2", Outcome.SOLVED, T0),)
    start = replace(START[place], problems=problems, completed_at=T0, started_at=T0, group_id=3)
    p = move(T, start, Event.RESTART, T2)
    assert (p.place, p.step, p.check) == (Place.DEVICE, None, None)
    assert p.device is Device.WINDOWS
    assert p.problems == problems
    assert p.completed_at == T0
    assert p.started_at == T0
    assert p.group_id == 3


# --- times -----------------------------------------------------------------------------------


def test_move_sets_started_at_once_and_updated_at_every_time() -> None:
    p = Progress(person_id=7)
    assert p.started_at is None
    p = move(T, p, Event.CHOOSE, T0, Device.WINDOWS)
    assert (p.started_at, p.updated_at) == (T0, T0)
    p = move(T, p, Event.DONE, T1)
    assert (p.started_at, p.updated_at) == (T0, T1)
    p = move(T, p, Event.RESTART, T2)
    assert (p.started_at, p.updated_at) == (T0, T2)


def test_a_refused_move_changes_no_time() -> None:
    p = at_step("s_join", started_at=T0, updated_at=T0)
    with pytest.raises(InvalidMove):
        move(T, p, Event.NEXT, T2)
    assert p.updated_at == T0


# --- positions -------------------------------------------------------------------------------


def test_is_last_check() -> None:
    assert not is_last_check(T, at_check("s_join", "c_join_1"))
    assert not is_last_check(T, at_check("s_join", "c_join_2"))
    assert is_last_check(T, at_check("s_join", "c_join_3"))
    assert is_last_check(T, at_check("s_mic", "c_mic_1"))  # the only check is also the last
    assert not is_last_check(T, at_check("s_cam", "c_cam_1", Device.WEB))
    assert is_last_check(T, at_check("s_cam", "c_cam_2", Device.WEB))
    asked = replace(at_check("s_join", "c_join_3"), place=Place.ASKED)
    assert not is_last_check(T, asked)  # only while troubleshooting
    assert not is_last_check(T, at_step("s_join"))


def test_step_position() -> None:
    assert step_position(T, at_step("s_join")) == Position(1, 3)
    assert step_position(T, at_step("s_mic")) == Position(2, 3)
    assert step_position(T, at_step("s_cam")) == Position(3, 3)
    assert step_position(T, at_step("s_cam", Device.WEB)) == Position(2, 2)
    assert step_position(T, at_check("s_mic", "c_mic_1")) == Position(2, 3)
    assert step_position(T, Progress(person_id=7)) is None
    assert step_position(T, START[Place.DONE]) is None


def test_check_position() -> None:
    assert check_position(T, at_check("s_join", "c_join_1")) == Position(1, 3)
    assert check_position(T, at_check("s_join", "c_join_2")) == Position(2, 3)
    assert check_position(T, at_check("s_join", "c_join_3")) == Position(3, 3)
    assert check_position(T, at_check("s_join", "c_join_3", Device.WEB)) == Position(2, 2)
    assert check_position(T, at_check("s_mic", "c_mic_1")) == Position(1, 1)
    assert check_position(T, at_step("s_join")) is None
    assert check_position(T, START[Place.ASKED]) is None


# --- platforms -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("platform", "device"),
    [
        ("Windows", Device.WINDOWS),
        ("Mac", Device.MAC),
        ("macOS", Device.MAC),
        ("Web", Device.WEB),
        ("iOS", Device.MOBILE),
        ("Android", Device.MOBILE),
        (" windows ", Device.WINDOWS),
        ("", None),
        (None, None),
        ("Linux", None),
    ],
)
def test_device_for_platform(platform: str | None, device: Device | None) -> None:
    assert device_for_platform(platform) is device


# --- the shipped content ---------------------------------------------------------------------


@pytest.mark.parametrize("device", list(Device))
def test_every_device_can_walk_the_shipped_tutorial_to_the_end(device: Device) -> None:
    steps = [s.id for s in SHIPPED.steps_for(device)]
    assert steps
    p = move(SHIPPED, Progress(person_id=7), Event.CHOOSE, T0, device)
    walked = []
    while p.place is Place.STEP:
        walked.append(p.step)
        assert step_position(SHIPPED, p) == Position(len(walked), len(steps))
        p = move(SHIPPED, p, Event.DONE, T1)
    assert walked == steps
    assert p.place is Place.DONE
    assert p.completed_at == T1


@pytest.mark.parametrize("device", list(Device))
def test_every_shipped_step_can_be_troubleshot_to_the_last_check_and_asked(
    device: Device,
) -> None:
    for step in SHIPPED.steps_for(device):
        checks = [c.id for c in SHIPPED.checks_for(step.topic, device)]
        p = move(SHIPPED, at_step(step.id, device), Event.TROUBLE, T0)
        seen = [p.check]
        while not is_last_check(SHIPPED, p):
            p = move(SHIPPED, p, Event.NEXT, T0)
            seen.append(p.check)
        assert seen == checks, step.id
        asked = move(SHIPPED, p, Event.ASK, T1)
        assert asked.place is Place.ASKED
        assert asked.problems[-1] == Problem(step.id, checks[-1], Outcome.ASKED, T1)


# --- troubleshooting a named problem ---------------------------------------------------------


@pytest.mark.parametrize("place", list(Place))
def test_a_named_problem_lands_on_its_topics_first_check_from_anywhere(place: Place) -> None:
    moved = troubleshoot(T, START[place], Topic.JOIN, Device.WEB, T2)
    assert (moved.place, moved.device, moved.step, moved.check) == (
        Place.CHECK,
        Device.WEB,
        "s_join",
        "c_join_1",
    )
    assert moved.updated_at == T2
    assert moved.problems == START[place].problems


def test_a_named_check_is_chosen_when_the_device_has_it() -> None:
    start = START[Place.DEVICE]
    assert troubleshoot(T, start, Topic.JOIN, Device.WEB, T1, "c_join_3").check == "c_join_3"
    # c_join_2 is for windows only: the web gets the topic's first check
    assert troubleshoot(T, start, Topic.JOIN, Device.WEB, T1, "c_join_2").check == "c_join_1"


def test_a_topic_without_steps_on_the_device_is_refused() -> None:
    with pytest.raises(InvalidMove):
        troubleshoot(T, START[Place.DEVICE], Topic.SHARE, Device.WINDOWS, T1)
