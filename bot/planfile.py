"""Read and validate the plan file (YAML, version 1): day plans and weekly schedules of groups.

The YAML reading, the line-precise error reporting and the generic field helpers are
bot/yamlfile.py's; this module adds what is particular to plans.
"""

from __future__ import annotations

import re
from datetime import date, time
from pathlib import Path

from yaml.nodes import MappingNode, SequenceNode

from bot.yamlfile import (
    Entry,
    UnreadableFile,
    YamlFileParser,
    did_you_mean,
    is_null,
    read_utf8,
)
from domain.durations import parse_duration
from domain.plans import (
    ItemKind,
    Plan,
    PlanFile,
    PlanFileError,
    PlanFileInvalid,
    PlanInvalid,
    PlanItem,
    WeeklySchedule,
    check_plan,
    item_problems,
)
from domain.templates import TEMPLATE_KEYS

TOP_FIELDS = ("version", "plans", "schedules")
PLAN_FIELDS = ("key", "name", "items")
ITEM_FIELDS = ("kind", "title", "start", "duration")
SCHEDULE_FIELDS = ("group", "weekday", "plan", "language", "from", "until")

WEEKDAYS: dict[str, int] = {
    name: number
    for names in (
        ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"),
        ("maanantai", "tiistai", "keskiviikko", "torstai", "perjantai", "lauantai", "sunnuntai"),
        ("måndag", "tisdag", "onsdag", "torsdag", "fredag", "lördag", "söndag"),
    )
    for number, name in enumerate(names)
}
_WEEKDAY_NAMES = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")

_CLOCK_RE = re.compile(r"^(\d{1,2}):(\d{2})$")
_KINDS = tuple(kind.value for kind in ItemKind)


def parse_plan_file(text: str, *, source: str = "<file>") -> PlanFile:
    """Parse plan file text; raise PlanFileInvalid listing every problem with its line."""
    return _PlanParser(source).parse_plans(text)


def load_plan_file(path: str | Path) -> PlanFile:
    """Read a plan file (UTF-8) from disk and parse it."""
    p = Path(path)
    try:
        text = read_utf8(p)
    except UnreadableFile as exc:
        raise PlanFileInvalid([PlanFileError(exc.line, exc.message)]) from None
    return parse_plan_file(text, source=str(p))


# -- internals -----------------------------------------------------------------------------------


class _PlanParser(YamlFileParser):
    """Plans and weekly schedules."""

    a_file = "a plan file"
    files = "plan files"

    def plan_fail(self) -> PlanFileInvalid:
        return PlanFileInvalid([PlanFileError(p.line, p.message) for p in self.problems()])

    # -- whole file --------------------------------------------------------------------------

    def parse_plans(self, text: str) -> PlanFile:
        top = self.top(text, TOP_FIELDS)
        if top is None:
            raise self.plan_fail()

        plan_defs: dict[str, int] = {}
        plans = [
            p
            for n in self.entries(top, "plans", "plan")
            if (p := self.plan(n, plan_defs)) is not None
        ]
        schedules = [
            s
            for n in self.entries(top, "schedules", "schedule")
            if (s := self.schedule(n, plan_defs)) is not None
        ]
        self.check_clashes(schedules)
        if self.errors:
            raise self.plan_fail()
        return PlanFile(plans=tuple(plans), schedules=tuple(schedules), plan_lines=plan_defs)

    # -- plans -------------------------------------------------------------------------------

    def plan(self, node: MappingNode, defs: dict[str, int]) -> Plan | None:
        peeked = self.peek(node, "key")
        label = f"plan '{peeked}'" if peeked else "this plan"
        entry = self.entry(node, PLAN_FIELDS, label, f"in {label}")
        key = self.key(entry, "key")
        name = self.text(entry, "name", required=True)
        if key is not None:
            if key in TEMPLATE_KEYS:
                self.error(
                    entry.fields["key"][0],
                    f"'{key}' is the key of a built-in template; give {label} another key",
                )
            self.define(defs, key, entry.fields["key"][1], "plan")
        errors_before = len(self.errors)
        items = self.items(entry)
        if key is None or name is None or items is None or len(self.errors) > errors_before:
            return None
        plan = Plan(key=key, name=name, items=tuple(item for item, _ in items))
        try:
            check_plan(plan)
        except PlanInvalid as exc:  # pragma: no cover - item_problems reports the same rules
            self.error(entry.line, f"{label}: {exc}")
            return None
        return plan

    def items(self, entry: Entry) -> list[tuple[PlanItem, int]] | None:
        """The items of a plan with their lines, checked for order, overlap and midnight."""
        if "items" not in entry.fields:
            self.error(entry.line, f"{entry.label} has no 'items'")
            return None
        key, value = entry.fields["items"]
        nodes = self.entries(entry, "items", "item")
        if not nodes:
            if is_null(value) or (isinstance(value, SequenceNode) and not value.value):
                self.error(key, f"'items' of {entry.label} is empty; list at least one item")
            return None
        parsed = [self.item(n, entry.label) for n in nodes]
        items = [p for p in parsed if p is not None]
        if len(items) < len(parsed):
            return None  # order checks on a partial list would only add confusing errors
        for index, message in item_problems([item for item, _ in items]):
            self.error(items[index][1], f"{message} (in {entry.label})")
        return items

    def item(self, node: MappingNode, plan_label: str) -> tuple[PlanItem, int] | None:
        peeked = self.peek(node, "title")
        label = f"item '{peeked}' of {plan_label}" if peeked else f"this item of {plan_label}"
        entry = self.entry(node, ITEM_FIELDS, label, f"in {label}")
        kind = self.kind(entry)
        title = self.text(entry, "title", required=True)
        start = self.clock(entry, "start")
        duration_text = self.scalar(entry, "duration", required=True)
        duration = None
        if duration_text is not None:
            try:
                duration = parse_duration(duration_text)
            except ValueError as exc:
                self.error(entry.fields["duration"][0], f"duration of {label}: {exc}")
        if kind is None or title is None or start is None or duration is None:
            return None
        return PlanItem(kind=kind, title=title, start=start, duration=duration), entry.line

    def kind(self, entry: Entry) -> ItemKind | None:
        value = self.scalar(entry, "kind", required=True)
        if value is None:
            return None
        folded = value.lower().replace("-", "_").replace(" ", "_")
        if folded in _KINDS:
            return ItemKind(folded)
        self.error(
            entry.fields["kind"][0],
            f"kind '{value}' of {entry.label} is not known{did_you_mean(folded, _KINDS)}; "
            f"allowed kinds: {', '.join(_KINDS)}",
        )
        return None

    def clock(self, entry: Entry, name: str) -> time | None:
        value = self.scalar(entry, name, required=True)
        if value is None:
            return None
        match = _CLOCK_RE.fullmatch(value)
        if match is not None and int(match[1]) < 24 and int(match[2]) < 60:
            return time(int(match[1]), int(match[2]))
        self.error(
            entry.fields[name][0],
            f"{name} '{value}' of {entry.label} is not a time of day; "
            'write hours and minutes from 00:00 to 23:59, e.g. "09:30"',
        )
        return None

    # -- schedules ---------------------------------------------------------------------------

    def schedule(self, node: MappingNode, plan_defs: dict[str, int]) -> WeeklySchedule | None:
        peeked = self.peek(node, "group")
        label = f"the schedule of group '{peeked}'" if peeked else "this schedule"
        entry = self.entry(node, SCHEDULE_FIELDS, label, f"in {label}")
        errors_before = len(self.errors)
        group_key = self.key(entry, "group")
        weekday = self.weekday(entry)
        plan_key = self.plan_ref(entry, plan_defs)
        language = self.language(entry)
        if language is not None and plan_key in plan_defs:
            self.error(
                entry.fields["language"][0],
                f"'language' of {label} chooses the language of a built-in template, but plan "
                f"'{plan_key}' is written in this file; remove 'language'",
            )
        starts = self.date(entry, "from", "2026-12-01")
        ends = self.date(entry, "until", "2026-12-01")
        if starts is not None and ends is not None and starts > ends:
            self.error(
                entry.fields["until"][0],
                f"'until' {ends.isoformat()} of {label} is before its 'from' {starts.isoformat()}",
            )
        if (
            group_key is None
            or weekday is None
            or plan_key is None
            or len(self.errors) > errors_before
        ):
            return None
        return WeeklySchedule(
            group_key=group_key,
            weekday=weekday,
            plan_key=plan_key,
            language=language,
            starts=starts,
            ends=ends,
            line=entry.line,
        )

    def weekday(self, entry: Entry) -> int | None:
        value = self.text(entry, "weekday", required=True)
        if value is None:
            return None
        folded = value.lower()
        if folded in WEEKDAYS:
            return WEEKDAYS[folded]
        self.error(
            entry.fields["weekday"][0],
            f"weekday '{value}' of {entry.label} is not a day of the week"
            f"{did_you_mean(folded, WEEKDAYS)}; write monday to sunday "
            "(Finnish maanantai to sunnuntai and Swedish måndag to söndag also work)",
        )
        return None

    def plan_ref(self, entry: Entry, plan_defs: dict[str, int]) -> str | None:
        value = self.text(entry, "plan", required=True)
        if value is None or value in plan_defs or value in TEMPLATE_KEYS:
            return value
        self.error(
            entry.fields["plan"][0],
            f"plan '{value}' of {entry.label} is neither a plan in this file nor a built-in "
            f"template{did_you_mean(value, [*plan_defs, *TEMPLATE_KEYS])}; "
            f"built-in templates: {', '.join(TEMPLATE_KEYS)}",
        )
        return None

    def check_clashes(self, schedules: list[WeeklySchedule]) -> None:
        """Report two schedules giving one group two days on the same weekday and dates."""
        for index, later in enumerate(schedules):
            for earlier in schedules[:index]:
                if (earlier.group_key, earlier.weekday) != (later.group_key, later.weekday):
                    continue
                if (earlier.starts or date.min) <= (later.ends or date.max) and (
                    later.starts or date.min
                ) <= (earlier.ends or date.max):
                    self.error(
                        later.line,
                        f"group '{later.group_key}' already has a schedule on "
                        f"{_WEEKDAY_NAMES[later.weekday]} (line {earlier.line}) for some of the "
                        "same dates; use 'from' and 'until' so that they do not overlap",
                    )
                    break
