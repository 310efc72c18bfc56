"""Read and validate the organisation file (YAML, version 1) into an OrgSpec.

The YAML reading and the line-precise error reporting are bot/yamlfile.py's; this module adds
what is particular to units, groups and people.
"""

from __future__ import annotations

import re
import uuid
import zoneinfo
from dataclasses import dataclass
from pathlib import Path

from yaml.nodes import MappingNode, ScalarNode, SequenceNode

from bot.yamlfile import (
    BOOL,
    Entry,
    UnreadableFile,
    YamlFileParser,
    describe,
    did_you_mean,
    is_null,
    is_text,
    line_of,
    read_utf8,
    shown,
)
from domain.org import (
    DEFAULT_LANGUAGE,
    DEFAULT_TIMEZONE,
    Group,
    Language,
    Membership,
    OrgFileError,
    OrgFileInvalid,
    OrgSpec,
    Person,
    PersonSpec,
    Role,
    Unit,
)

UPN_RE = re.compile(r"^[^@\s]+@[^@\s.]+(?:\.[^@\s.]+)+$")

TOP_FIELDS = ("version", "units", "groups", "people")
UNIT_FIELDS = ("key", "name", "language")
GROUP_FIELDS = ("key", "unit", "name", "timezone", "language")
PERSON_FIELDS = (
    "name",
    "upn",
    "aad",
    "language",
    "instructor",
    "client",
    "coordinator",
    "admin",
    "service_ended",
)


def parse_org_file(text: str, *, source: str = "<file>") -> OrgSpec:
    """Parse organisation file text; raise OrgFileInvalid listing every problem with its line."""
    return _Parser(source).parse(text)


def load_org_file(path: str | Path) -> OrgSpec:
    """Read an organisation file (UTF-8) from disk and parse it."""
    p = Path(path)
    try:
        text = read_utf8(p)
    except UnreadableFile as exc:
        raise OrgFileInvalid([OrgFileError(exc.line, exc.message)]) from None
    return parse_org_file(text, source=str(p))


# -- internals -----------------------------------------------------------------------------------


def _valid_timezone(name: str) -> bool:
    if name == "localtime":  # the server's own zone, not an IANA name
        return False
    try:
        zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError, OSError):
        return False
    return True


def _timezone_hint(name: str) -> str:
    folded = name.casefold()
    for zone in zoneinfo.available_timezones():
        if zone.casefold() == folded:
            return f" (did you mean '{zone}'?)"
    return did_you_mean(name, zoneinfo.available_timezones())


@dataclass(frozen=True)
class _Ref:
    key: str
    line: int


@dataclass
class _PersonDraft:
    line: int
    label: str
    person: Person
    instructor: list[_Ref]
    client: list[_Ref]
    coordinator: list[_Ref]
    admin: bool


class _Parser(YamlFileParser):
    a_file = "an organisation file"
    files = "organisation files"

    def fail(self) -> OrgFileInvalid:
        return OrgFileInvalid([OrgFileError(p.line, p.message) for p in self.problems()])

    def parse(self, text: str) -> OrgSpec:
        top = self.top(text, TOP_FIELDS)
        if top is None:
            raise self.fail()

        unit_defs: dict[str, int] = {}
        units = [
            u
            for n in self.entries(top, "units", "unit")
            if (u := self.unit(n, unit_defs)) is not None
        ]
        group_defs: dict[str, int] = {}
        group_unit_refs: list[_Ref] = []
        unit_languages = {u.key: u.language for u in units if u.language is not None}
        groups = [
            g
            for n in self.entries(top, "groups", "group")
            if (g := self.group(n, group_defs, group_unit_refs, unit_languages)) is not None
        ]
        for ref in group_unit_refs:
            self.check_ref(ref, unit_defs, "unit", "units")

        seen_upn: dict[str, tuple[int, str]] = {}
        seen_aad: dict[str, tuple[int, str]] = {}
        drafts = [self.person(n, seen_upn, seen_aad) for n in self.entries(top, "people", "person")]
        people = [self.resolve(d, group_defs, unit_defs) for d in drafts]

        if self.errors:
            raise self.fail()
        return OrgSpec(units=tuple(units), groups=tuple(groups), people=tuple(people))

    def check_ref(self, ref: _Ref, defs: dict[str, int], what: str, section: str) -> bool:
        if ref.key in defs:
            return True
        self.error(
            ref.line,
            f"{what} '{ref.key}' is not defined in {section}{did_you_mean(ref.key, defs)}",
        )
        return False

    # -- units and groups --------------------------------------------------------------------

    def unit(self, node: MappingNode, defs: dict[str, int]) -> Unit | None:
        peeked = self.peek(node, "key")
        label = f"unit '{peeked}'" if peeked else "this unit"
        entry = self.entry(node, UNIT_FIELDS, label, f"in {label}")
        key = self.key(entry, "key")
        name = self.text(entry, "name", required=True)
        if key is not None:
            self.define(defs, key, entry.fields["key"][1], "unit")
        language = self.language(entry)
        if key is None or name is None:
            return None
        return Unit(key=key, name=name, language=language)

    def group(
        self,
        node: MappingNode,
        defs: dict[str, int],
        unit_refs: list[_Ref],
        unit_languages: dict[str, Language],
    ) -> Group | None:
        peeked = self.peek(node, "key")
        label = f"group '{peeked}'" if peeked else "this group"
        entry = self.entry(node, GROUP_FIELDS, label, f"in {label}")
        key = self.key(entry, "key")
        unit_key = self.text(entry, "unit", required=True)
        name = self.text(entry, "name", required=True)
        if key is not None:
            self.define(defs, key, entry.fields["key"][1], "group")
        if unit_key is not None:
            unit_refs.append(_Ref(unit_key, line_of(entry.fields["unit"][1])))
        timezone = self.text(entry, "timezone", required=False) or DEFAULT_TIMEZONE
        if not _valid_timezone(timezone):
            self.error(
                entry.fields["timezone"][0],
                f"timezone '{timezone}' of {label} is not a known time zone"
                f"{_timezone_hint(timezone) or ' (use a name like Europe/Helsinki)'}",
            )
        language = self.language(entry)
        if key is None or unit_key is None or name is None:
            return None
        return Group(
            key=key,
            unit_key=unit_key,
            name=name,
            timezone=timezone,
            # a group without a language speaks its unit's, else Finnish
            language=language or unit_languages.get(unit_key) or DEFAULT_LANGUAGE,
        )

    # -- people ------------------------------------------------------------------------------

    def person(
        self,
        node: MappingNode,
        seen_upn: dict[str, tuple[int, str]],
        seen_aad: dict[str, tuple[int, str]],
    ) -> _PersonDraft:
        peeked = self.peek(node, "name")
        label = f"person '{peeked}'" if peeked else "this person"
        entry = self.entry(node, PERSON_FIELDS, label, f"for {label}")
        name = self.text(entry, "name", required=True)
        upn = self.upn(entry)
        aad = self.aad(entry)
        if all(k not in entry.fields or is_null(entry.fields[k][1]) for k in ("upn", "aad")):
            self.error(
                entry.line, f"{label} needs an 'upn' (e-mail) or an 'aad' object id, or both"
            )
        who = name or f"the person on line {entry.line}"
        for value, kind, seen in ((upn, "upn", seen_upn), (aad, "aad", seen_aad)):
            if value is None:
                continue
            if value in seen:
                first_line, first_who = seen[value]
                self.error(
                    entry.fields[kind][0],
                    f"{kind} '{value}' of {label} is already given to {first_who} "
                    f"on line {first_line}; each person must be listed once",
                )
            else:
                seen[value] = (entry.line, who)
        language = self.language(entry)
        instructor = self.key_list(entry, "instructor", "group")
        client = self.key_list(entry, "client", "group")
        coordinator = self.key_list(entry, "coordinator", "unit")
        admin = self.flag(entry, "admin")
        ended = self.date(entry, "service_ended", "2026-05-31")
        person = Person(
            name=name or "", aad_object_id=aad, upn=upn, language=language, service_ended=ended
        )
        return _PersonDraft(entry.line, label, person, instructor, client, coordinator, admin)

    def upn(self, entry: Entry) -> str | None:
        value = self.text(entry, "upn", required=False)
        if value is None:
            return None
        if not UPN_RE.fullmatch(value):
            self.error(
                entry.fields["upn"][0],
                f"upn '{value}' of {entry.label} does not look like an e-mail address "
                "(name@example.hel.fi)",
            )
            return None
        return value.lower()

    def aad(self, entry: Entry) -> str | None:
        value = self.text(entry, "aad", required=False)
        if value is None:
            return None
        try:
            return str(uuid.UUID(value))
        except ValueError:
            self.error(
                entry.fields["aad"][0],
                f"aad '{value}' of {entry.label} is not an AAD object id "
                "(a GUID like 9c1b3f1e-2a4d-4c6b-8e0f-1a2b3c4d5e6f)",
            )
            return None

    def flag(self, entry: Entry, name: str) -> bool:
        if name not in entry.fields:
            return False
        key, value = entry.fields[name]
        if is_null(value):
            return False
        if isinstance(value, ScalarNode) and value.tag == BOOL:
            return str(value.value).lower() in {"true", "yes", "on", "y"}
        self.error(key, f"'{name}' of {entry.label} must be true or false, not '{shown(value)}'")
        return False

    def key_list(self, entry: Entry, name: str, what: str) -> list[_Ref]:
        """A list of group or unit keys; each item keeps its own line for later checks."""
        if name not in entry.fields:
            return []
        key, value = entry.fields[name]
        if is_null(value) or not self.check_tag(value):
            return []
        if not isinstance(value, SequenceNode):
            example = value.value if is_text(value) else f"{what}-key"
            self.error(
                key,
                f"'{name}' of {entry.label} must be a list of {what} keys, e.g. [{example}], "
                f"not {describe(value)}",
            )
            return []
        refs: list[_Ref] = []
        seen: set[str] = set()
        for item in value.value:
            if not is_text(item) or not str(item.value).strip():
                self.error(
                    item,
                    f"each entry in '{name}' of {entry.label} must be a {what} key, "
                    f"not {describe(item)}",
                )
                continue
            ref_key = str(item.value).strip()
            if ref_key in seen:
                self.error(item, f"{what} '{ref_key}' is listed twice in '{name}' of {entry.label}")
                continue
            seen.add(ref_key)
            refs.append(_Ref(ref_key, line_of(item)))
        return refs

    def resolve(
        self, draft: _PersonDraft, group_defs: dict[str, int], unit_defs: dict[str, int]
    ) -> PersonSpec:
        """Check a person's role references and turn them into memberships."""
        memberships: list[Membership] = []
        instructs = {ref.key for ref in draft.instructor}
        for ref in draft.client:
            if self.check_ref(ref, group_defs, "group", "groups"):
                if ref.key in instructs:
                    self.error(
                        ref.line,
                        f"{draft.label} cannot be both client and instructor of group '{ref.key}'",
                    )
                memberships.append(Membership(role=Role.CLIENT, group_key=ref.key))
        for ref in draft.instructor:
            if self.check_ref(ref, group_defs, "group", "groups"):
                memberships.append(Membership(role=Role.INSTRUCTOR, group_key=ref.key))
        for ref in draft.coordinator:
            if self.check_ref(ref, unit_defs, "unit", "units"):
                memberships.append(Membership(role=Role.COORDINATOR, unit_key=ref.key))
        if draft.admin:
            memberships.append(Membership(role=Role.ADMIN))
        return PersonSpec(person=draft.person, memberships=tuple(memberships), line=draft.line)
