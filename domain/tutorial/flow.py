"""The tutorial as a state machine: where a person is, and what each button does there.

Pure rules, no I/O. A person's `Progress` is one of five places (choosing a device, on a step,
on a troubleshooting check, waiting for an instructor, finished); a transition table maps
(place, event) to a function that returns the next progress. Every card carries the `token` of
the progress it was drawn for, so a second tap on an old card is recognised and changes nothing.
"""

from __future__ import annotations

import enum
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime

from domain.tutorial.content import Device, Step, Topic, Tutorial


class Place(enum.StrEnum):
    """Where in the tutorial a person is."""

    DEVICE = "device"
    STEP = "step"
    CHECK = "check"
    ASKED = "asked"
    DONE = "done"


class Event(enum.StrEnum):
    """What a person can do on a tutorial card."""

    CHOOSE = "choose"  # a device was chosen
    DONE = "done"  # "Done ✓"
    TROUBLE = "trouble"  # "It doesn't work"
    WORKS = "works"  # "It works now"
    NEXT = "next"  # "Try the next thing"
    ASK = "ask"  # "Ask the instructor"
    BACK = "back"
    RESTART = "restart"  # "Start over"


class Outcome(enum.StrEnum):
    """How a problem met on the way ended."""

    SOLVED = "solved"
    ASKED = "asked"


@dataclass(frozen=True, slots=True)
class Problem:
    """A step that did not work at first, and which check (if any) solved it."""

    step: str
    check: str | None
    outcome: Outcome
    at: datetime


@dataclass(frozen=True, slots=True)
class Progress:
    """One person's way through the tutorial, stored so it survives restarts."""

    person_id: int
    place: Place = Place.DEVICE
    device: Device | None = None
    step: str | None = None
    check: str | None = None
    group_id: int | None = None
    started_at: datetime | None = None
    updated_at: datetime | None = None
    completed_at: datetime | None = None
    problems: tuple[Problem, ...] = ()
    version: int = 0

    @property
    def token(self) -> str:
        """Names this exact position; a card drawn for another position is stale."""
        return f"{self.version}"

    @property
    def completed(self) -> bool:
        """Has the person reached the end at least once."""
        return self.completed_at is not None


class InvalidMove(ValueError):
    """The event does not apply where the person is (e.g. a forged or malformed payload)."""


def _steps(tutorial: Tutorial, progress: Progress) -> tuple[Step, ...]:
    if progress.device is None:
        raise InvalidMove("no device chosen")
    return tutorial.steps_for(progress.device)


def _index(tutorial: Tutorial, progress: Progress) -> int:
    steps = _steps(tutorial, progress)
    for i, step in enumerate(steps):
        if step.id == progress.step:
            return i
    raise InvalidMove(f"step {progress.step} is not on device {progress.device}")


def _current(tutorial: Tutorial, progress: Progress) -> Step:
    return _steps(tutorial, progress)[_index(tutorial, progress)]


def _checks(tutorial: Tutorial, progress: Progress) -> tuple[str, ...]:
    assert progress.device is not None
    step = _current(tutorial, progress)
    return tuple(c.id for c in tutorial.checks_for(step.topic, progress.device))


def _at_step(progress: Progress, step_id: str) -> Progress:
    return replace(progress, place=Place.STEP, step=step_id, check=None)


def _forward(tutorial: Tutorial, progress: Progress, now: datetime) -> Progress:
    steps = _steps(tutorial, progress)
    i = _index(tutorial, progress)
    if i + 1 < len(steps):
        return _at_step(progress, steps[i + 1].id)
    return replace(
        progress,
        place=Place.DONE,
        step=None,
        check=None,
        completed_at=progress.completed_at or now,
    )


def _problem(progress: Progress, outcome: Outcome, now: datetime) -> Progress:
    assert progress.step is not None
    problem = Problem(step=progress.step, check=progress.check, outcome=outcome, at=now)
    return replace(progress, problems=(*progress.problems, problem))


Move = Callable[[Tutorial, Progress, datetime, Device | None], Progress]


def _choose(
    tutorial: Tutorial, progress: Progress, now: datetime, device: Device | None
) -> Progress:
    if device is None:
        raise InvalidMove("a device is needed")
    first = tutorial.steps_for(device)
    if not first:
        raise InvalidMove(f"no steps for {device}")
    return _at_step(replace(progress, device=device), first[0].id)


def _done(tutorial: Tutorial, progress: Progress, now: datetime, _d: Device | None) -> Progress:
    return _forward(tutorial, progress, now)


def _trouble(tutorial: Tutorial, progress: Progress, now: datetime, _d: Device | None) -> Progress:
    checks = _checks(tutorial, progress)
    if not checks:
        raise InvalidMove("no troubleshooting for this step")
    return replace(progress, place=Place.CHECK, check=checks[0])


def _works(tutorial: Tutorial, progress: Progress, now: datetime, _d: Device | None) -> Progress:
    if progress.place is Place.CHECK:
        progress = _problem(progress, Outcome.SOLVED, now)
    return _forward(tutorial, progress, now)


def _next(tutorial: Tutorial, progress: Progress, now: datetime, _d: Device | None) -> Progress:
    checks = _checks(tutorial, progress)
    i = checks.index(progress.check) if progress.check in checks else -1
    if i < 0 or i + 1 >= len(checks):
        raise InvalidMove("no further check")
    return replace(progress, check=checks[i + 1])


def _ask(tutorial: Tutorial, progress: Progress, now: datetime, _d: Device | None) -> Progress:
    return replace(_problem(progress, Outcome.ASKED, now), place=Place.ASKED)


def _back(tutorial: Tutorial, progress: Progress, now: datetime, _d: Device | None) -> Progress:
    if progress.place is Place.DEVICE:
        return progress
    if progress.place is Place.DONE:
        steps = _steps(tutorial, progress)
        return _at_step(progress, steps[-1].id)
    if progress.place is Place.CHECK:
        checks = _checks(tutorial, progress)
        i = checks.index(progress.check) if progress.check in checks else 0
        if i > 0:
            return replace(progress, check=checks[i - 1])
        return _at_step(progress, _current(tutorial, progress).id)
    if progress.place is Place.ASKED:
        return _at_step(progress, _current(tutorial, progress).id)
    i = _index(tutorial, progress)
    if i == 0:
        return replace(progress, place=Place.DEVICE, step=None, check=None)
    return _at_step(progress, _steps(tutorial, progress)[i - 1].id)


def _restart(tutorial: Tutorial, progress: Progress, now: datetime, _d: Device | None) -> Progress:
    return replace(progress, place=Place.DEVICE, step=None, check=None)


TRANSITIONS: dict[tuple[Place, Event], Move] = {
    (Place.DEVICE, Event.CHOOSE): _choose,
    (Place.DEVICE, Event.BACK): _back,
    (Place.DEVICE, Event.RESTART): _restart,
    (Place.STEP, Event.DONE): _done,
    (Place.STEP, Event.TROUBLE): _trouble,
    (Place.STEP, Event.ASK): _ask,
    (Place.STEP, Event.BACK): _back,
    (Place.STEP, Event.RESTART): _restart,
    (Place.CHECK, Event.WORKS): _works,
    (Place.CHECK, Event.NEXT): _next,
    (Place.CHECK, Event.ASK): _ask,
    (Place.CHECK, Event.BACK): _back,
    (Place.CHECK, Event.RESTART): _restart,
    (Place.ASKED, Event.WORKS): _works,
    (Place.ASKED, Event.BACK): _back,
    (Place.ASKED, Event.RESTART): _restart,
    (Place.DONE, Event.BACK): _back,
    (Place.DONE, Event.RESTART): _restart,
}


def move(
    tutorial: Tutorial,
    progress: Progress,
    event: Event,
    now: datetime,
    device: Device | None = None,
) -> Progress:
    """The progress after event; InvalidMove if the event does not apply where the person is."""
    step = TRANSITIONS.get((progress.place, event))
    if step is None:
        raise InvalidMove(f"{event} does not apply at {progress.place}")
    moved = step(tutorial, progress, now, device)
    return replace(moved, updated_at=now, started_at=progress.started_at or now)


def troubleshoot(
    tutorial: Tutorial,
    progress: Progress,
    topic: Topic,
    device: Device,
    now: datetime,
    check: str | None = None,
) -> Progress:
    """The progress at a topic's troubleshooting on device: at check when named, else its first.

    For a person who wrote what is wrong ("kamera ei toimi"): they land on the check of the
    topic's first step, wherever they were. InvalidMove if the topic has no check there.
    """
    steps = [s for s in tutorial.steps_for(device) if s.topic is topic]
    checks = [c.id for c in tutorial.checks_for(topic, device)]
    if not steps or not checks:
        raise InvalidMove(f"no troubleshooting for {topic} on {device}")
    chosen = check if check in checks else checks[0]
    moved = replace(progress, place=Place.CHECK, device=device, step=steps[0].id, check=chosen)
    return replace(moved, updated_at=now, started_at=progress.started_at or now)


def is_last_check(tutorial: Tutorial, progress: Progress) -> bool:
    """On the last troubleshooting check of the step: only "Ask the instructor" is left."""
    if progress.place is not Place.CHECK:
        return False
    checks = _checks(tutorial, progress)
    return bool(checks) and checks[-1] == progress.check


@dataclass(frozen=True, slots=True)
class Position:
    """Where the person is, counted for people: step n of m, check n of m."""

    number: int
    total: int


def step_position(tutorial: Tutorial, progress: Progress) -> Position | None:
    """Step n of m on the person's device, or None when not on a step."""
    if progress.step is None or progress.device is None:
        return None
    steps = _steps(tutorial, progress)
    return Position(_index(tutorial, progress) + 1, len(steps))


def check_position(tutorial: Tutorial, progress: Progress) -> Position | None:
    """Check n of m in the current branch, or None when not troubleshooting."""
    if progress.place is not Place.CHECK or progress.check is None:
        return None
    checks = _checks(tutorial, progress)
    return Position(checks.index(progress.check) + 1, len(checks))


_PLATFORMS: dict[str, Device] = {
    "windows": Device.WINDOWS,
    "mac": Device.MAC,
    "macos": Device.MAC,
    "web": Device.WEB,
    "ios": Device.MOBILE,
    "android": Device.MOBILE,
    "ipados": Device.MOBILE,
}


def device_for_platform(platform: str | None) -> Device | None:
    """Teams' clientInfo platform ("Windows", "Mac", "Web", "iOS", "Android") as a device."""
    if not platform:
        return None
    return _PLATFORMS.get(platform.strip().lower())
