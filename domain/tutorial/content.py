"""Tutorial content: steps per device, troubleshooting checks, texts in fi/sv/en.

One source for the cards and the public web page. The structure (which steps exist, for which
devices, with which keyboard shortcut and picture) is in `data/structure.toml`; the words are in
`data/{fi,sv,en}.toml`. `load_tutorial()` reads and checks them all: a missing text, an unknown
id or a picture without alt text is an error, so a gap cannot reach a client.
"""

from __future__ import annotations

import enum
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from importlib import resources
from typing import Any

from domain.org import Language


class Device(enum.StrEnum):
    """Where the client runs Teams."""

    WINDOWS = "windows"
    MAC = "mac"
    WEB = "web"
    MOBILE = "mobile"


class Topic(enum.StrEnum):
    """The parts of the tutorial, in the order a client meets them."""

    JOIN = "join"
    MICROPHONE = "microphone"
    CAMERA = "camera"
    SHARE = "share"
    HAND = "hand"
    CHAT = "chat"


ALL_DEVICES: tuple[Device, ...] = tuple(Device)


class ContentError(ValueError):
    """The tutorial's data files are incomplete or inconsistent."""


@dataclass(frozen=True, slots=True)
class Step:
    """One instruction card: a control, for some devices, maybe with a keyboard shortcut."""

    id: str
    topic: Topic
    image: str
    devices: tuple[Device, ...]
    shortcuts: Mapping[Device, tuple[str, ...]] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Check:
    """One troubleshooting check in a topic's "It doesn't work" branch."""

    id: str
    topic: Topic
    devices: tuple[Device, ...]
    image: str | None = None


@dataclass(frozen=True, slots=True)
class StepText:
    """A step as one person reads it: in their language, for their device."""

    step: Step
    title: str
    text: str
    shortcut: str | None
    image: str
    alt: str


@dataclass(frozen=True, slots=True)
class CheckText:
    """A troubleshooting check as one person reads it."""

    check: Check
    title: str
    text: str
    image: str | None
    alt: str | None


@dataclass(frozen=True, slots=True)
class Words:
    """Everything one language file says."""

    devices: Mapping[Device, str]
    topics: Mapping[Topic, str]
    keys: Mapping[str, str]
    images: Mapping[str, str]
    steps: Mapping[str, Mapping[str, str]]
    checks: Mapping[str, Mapping[str, str]]


@dataclass(frozen=True, slots=True)
class Tutorial:
    """The whole tutorial: structure plus the words in every language."""

    steps: tuple[Step, ...]
    checks: tuple[Check, ...]
    words: Mapping[Language, Words]

    def steps_for(self, device: Device) -> tuple[Step, ...]:
        """The steps a client on this device walks through, in order."""
        return tuple(s for s in self.steps if device in s.devices)

    def checks_for(self, topic: Topic, device: Device) -> tuple[Check, ...]:
        """The troubleshooting checks for a topic on this device, in order."""
        return tuple(c for c in self.checks if c.topic is topic and device in c.devices)

    def step(self, step_id: str) -> Step | None:
        """The step with this id."""
        return next((s for s in self.steps if s.id == step_id), None)

    def check(self, check_id: str) -> Check | None:
        """The check with this id."""
        return next((c for c in self.checks if c.id == check_id), None)

    def topics_for(self, device: Device) -> tuple[Topic, ...]:
        """The topics that have steps on this device, in tutorial order."""
        present = {s.topic for s in self.steps_for(device)}
        return tuple(t for t in Topic if t in present)

    def device_name(self, language: Language, device: Device) -> str:
        """The device's name for people."""
        return self.words[language].devices[device]

    def topic_name(self, language: Language, topic: Topic) -> str:
        """The topic's title for people."""
        return self.words[language].topics[topic]

    def alt(self, language: Language, image: str) -> str:
        """The alt text of a picture."""
        return self.words[language].images[image]

    def shortcut(self, language: Language, keys: tuple[str, ...]) -> str:
        """Keys joined with '+', named in the language (e.g. space → välilyönti)."""
        names = self.words[language].keys
        return "+".join(names.get(k, k) for k in keys)

    def step_text(self, language: Language, step: Step, device: Device) -> StepText:
        """A step's words for this language and device (a device's own text wins)."""
        words = self.words[language].steps[step.id]
        keys = step.shortcuts.get(device)
        return StepText(
            step=step,
            title=words["title"],
            text=words.get(device.value, words["text"]),
            shortcut=self.shortcut(language, keys) if keys else None,
            image=step.image,
            alt=self.alt(language, step.image),
        )

    def check_text(self, language: Language, check: Check, device: Device) -> CheckText:
        """A check's words for this language and device."""
        words = self.words[language].checks[check.id]
        return CheckText(
            check=check,
            title=words["title"],
            text=words.get(device.value, words["text"]),
            image=check.image,
            alt=self.alt(language, check.image) if check.image else None,
        )

    @property
    def images(self) -> frozenset[str]:
        """Every picture the content uses."""
        used = {s.image for s in self.steps} | {c.image for c in self.checks if c.image}
        return frozenset(used)


# --- loading -------------------------------------------------------------------------------

_DEVICE_KEYS = {d.value for d in Device}


def _devices(raw: Any, where: str) -> tuple[Device, ...]:
    if raw is None:
        return ALL_DEVICES
    if not isinstance(raw, list) or not raw:
        raise ContentError(f"{where}: devices must be a non-empty list")
    try:
        chosen = {Device(d) for d in raw}
    except ValueError as exc:
        raise ContentError(f"{where}: {exc}") from None
    return tuple(d for d in Device if d in chosen)


def _topic(raw: Any, where: str) -> Topic:
    try:
        return Topic(raw)
    except ValueError:
        raise ContentError(f"{where}: unknown topic {raw!r}") from None


def _shortcuts(raw: Any, where: str, devices: tuple[Device, ...]) -> dict[Device, tuple[str, ...]]:
    if raw is None:
        return {}
    if not isinstance(raw, dict):
        raise ContentError(f"{where}: shortcut must be a table of device = [keys]")
    result: dict[Device, tuple[str, ...]] = {}
    for name, keys in raw.items():
        if name not in _DEVICE_KEYS or Device(name) not in devices:
            raise ContentError(f"{where}: shortcut for a device the step is not for: {name}")
        if not isinstance(keys, list) or not keys or not all(isinstance(k, str) for k in keys):
            raise ContentError(f"{where}: shortcut {name} must be a list of key names")
        result[Device(name)] = tuple(keys)
    return result


def parse_structure(raw: Mapping[str, Any]) -> tuple[tuple[Step, ...], tuple[Check, ...]]:
    """Steps and checks from the structure file's data."""
    steps: list[Step] = []
    checks: list[Check] = []
    seen: set[str] = set()
    for i, item in enumerate(raw.get("step", [])):
        where = f"structure step #{i + 1} ({item.get('id', '?')})"
        sid = item.get("id")
        if not isinstance(sid, str) or not sid or sid in seen:
            raise ContentError(f"{where}: missing or repeated id")
        seen.add(sid)
        image = item.get("image")
        if not isinstance(image, str) or not image:
            raise ContentError(f"{where}: every step needs an image")
        devices = _devices(item.get("devices"), where)
        steps.append(
            Step(
                id=sid,
                topic=_topic(item.get("topic"), where),
                image=image,
                devices=devices,
                shortcuts=_shortcuts(item.get("shortcut"), where, devices),
            )
        )
    for i, item in enumerate(raw.get("check", [])):
        where = f"structure check #{i + 1} ({item.get('id', '?')})"
        cid = item.get("id")
        if not isinstance(cid, str) or not cid or cid in seen:
            raise ContentError(f"{where}: missing or repeated id")
        seen.add(cid)
        image = item.get("image")
        if image is not None and (not isinstance(image, str) or not image):
            raise ContentError(f"{where}: image must be a name")
        checks.append(
            Check(
                id=cid,
                topic=_topic(item.get("topic"), where),
                devices=_devices(item.get("devices"), where),
                image=image,
            )
        )
    steps.sort(key=lambda s: list(Topic).index(s.topic))  # stable: file order within a topic
    checks.sort(key=lambda c: list(Topic).index(c.topic))
    return tuple(steps), tuple(checks)


def _table(raw: Mapping[str, Any], name: str, where: str) -> dict[str, Any]:
    value = raw.get(name, {})
    if not isinstance(value, dict):
        raise ContentError(f"{where}: [{name}] must be a table")
    return value


def _texts(
    raw: Mapping[str, Any], where: str, required: tuple[str, ...], devices: tuple[Device, ...]
) -> dict[str, str]:
    if not isinstance(raw, dict):
        raise ContentError(f"{where}: must be a table")
    allowed = set(required) | {d.value for d in devices}
    for key, value in raw.items():
        if key not in allowed:
            raise ContentError(f"{where}: unexpected key {key!r}")
        if not isinstance(value, str) or not value.strip():
            raise ContentError(f"{where}: {key} must be a non-empty text")
    missing = [k for k in required if k not in raw]
    if missing:
        raise ContentError(f"{where}: missing {', '.join(missing)}")
    return {k: v.strip() for k, v in raw.items()}


def parse_words(
    raw: Mapping[str, Any], language: Language, steps: tuple[Step, ...], checks: tuple[Check, ...]
) -> Words:
    """One language file's data, checked to be complete for the given structure."""
    where = f"{language.value}.toml"
    devices = _table(raw, "device", where)
    topics = _table(raw, "topic", where)
    images = _table(raw, "image", where)
    step_words = _table(raw, "step", where)
    check_words = _table(raw, "check", where)
    keys = _table(raw, "keys", where)
    for name, table, wanted in (
        ("device", devices, {d.value for d in Device}),
        ("topic", topics, {t.value for t in Topic}),
        ("step", step_words, {s.id for s in steps}),
        ("check", check_words, {c.id for c in checks}),
        (
            "image",
            images,
            {s.image for s in steps} | {c.image for c in checks if c.image is not None},
        ),
    ):
        missing = sorted(wanted - set(table))
        extra = sorted(set(table) - wanted)
        if missing:
            raise ContentError(f"{where}: [{name}] is missing {', '.join(missing)}")
        if extra:
            raise ContentError(f"{where}: [{name}] has unknown {', '.join(extra)}")
    for name, table in (("device", devices), ("topic", topics), ("image", images), ("keys", keys)):
        for key, value in table.items():
            if not isinstance(value, str) or not value.strip():
                raise ContentError(f"{where}: [{name}] {key} must be a non-empty text")
    return Words(
        devices={Device(k): v.strip() for k, v in devices.items()},
        topics={Topic(k): v.strip() for k, v in topics.items()},
        keys={k: v.strip() for k, v in keys.items()},
        images={k: v.strip() for k, v in images.items()},
        steps={
            s.id: _texts(step_words[s.id], f"{where} step {s.id}", ("title", "text"), s.devices)
            for s in steps
        },
        checks={
            c.id: _texts(check_words[c.id], f"{where} check {c.id}", ("title", "text"), c.devices)
            for c in checks
        },
    )


def parse_tutorial(structure: str, languages: Mapping[Language, str]) -> Tutorial:
    """A tutorial from the TOML texts of the structure file and each language file."""
    try:
        steps, checks = parse_structure(tomllib.loads(structure))
        words = {
            lang: parse_words(tomllib.loads(languages[lang]), lang, steps, checks)
            for lang in Language
        }
    except tomllib.TOMLDecodeError as exc:
        raise ContentError(f"not valid TOML: {exc}") from None
    except KeyError as exc:
        raise ContentError(f"no language file for {exc}") from None
    if not steps:
        raise ContentError("the tutorial has no steps")
    for step in steps:
        for device in step.devices:
            if not any(c.topic is step.topic and device in c.devices for c in checks):
                raise ContentError(
                    f"step {step.id}: no troubleshooting check for {step.topic} on {device}"
                )
    return Tutorial(steps=steps, checks=checks, words=words)


def load_tutorial() -> Tutorial:
    """The tutorial shipped with the bot (domain/tutorial/data)."""
    data = resources.files("domain.tutorial") / "data"
    structure = (data / "structure.toml").read_text(encoding="utf-8")
    languages = {
        lang: (data / f"{lang.value}.toml").read_text(encoding="utf-8") for lang in Language
    }
    return parse_tutorial(structure, languages)


def image_path(name: str, suffix: str) -> Any:
    """The packaged picture file (a Traversable) for a name and '.svg' or '.png'."""
    return resources.files("domain.tutorial") / "images" / f"{name}{suffix}"
