"""Read and validate the organisation file (YAML, version 1) into an OrgSpec.

Only yaml.compose with the safe loader is used: the file becomes a tree of nodes that keep their
line numbers, and nothing in it is ever turned into a Python object by YAML itself.
"""

from __future__ import annotations

import difflib
import re
import uuid
import zoneinfo
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

import yaml
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

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

FORMAT_VERSION = 1
KEY_RE = re.compile(r"^[a-z0-9][a-z0-9-]{0,62}$")
UPN_RE = re.compile(r"^[^@\s]+@[^@\s.]+(?:\.[^@\s.]+)+$")

_TAG = "tag:yaml.org,2002:"
_STR = _TAG + "str"
_INT = _TAG + "int"
_BOOL = _TAG + "bool"
_NULL = _TAG + "null"
_PLAIN_TAGS = frozenset(
    _TAG + t for t in ("str", "int", "float", "bool", "null", "timestamp", "map", "seq")
)

TOP_FIELDS = ("version", "units", "groups", "people")
UNIT_FIELDS = ("key", "name")
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
)
_LANGUAGES = "fi, sv or en"


def parse_org_file(text: str, *, source: str = "<file>") -> OrgSpec:
    """Parse organisation file text; raise OrgFileInvalid listing every problem with its line."""
    return _Parser(source).parse(text)


class UnreadableFile(Exception):
    """A file that cannot be read as UTF-8 text, with the line of the first bad byte (or 0)."""

    def __init__(self, line: int, message: str) -> None:
        super().__init__(message)
        self.line = line
        self.message = message


def read_utf8(path: Path) -> str:
    """A YAML file's text (UTF-8, BOM allowed), or UnreadableFile saying why not."""
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise UnreadableFile(0, f"file '{path}' does not exist") from None
    except OSError as exc:
        raise UnreadableFile(0, f"cannot read '{path}': {exc.strerror or exc}") from None
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw.count(b"\n", 0, exc.start) + 1
        msg = f"'{path}' is not UTF-8 text; save it with the UTF-8 encoding"
        raise UnreadableFile(line, msg) from None


def load_org_file(path: str | Path) -> OrgSpec:
    """Read an organisation file (UTF-8) from disk and parse it."""
    p = Path(path)
    try:
        text = read_utf8(p)
    except UnreadableFile as exc:
        raise OrgFileInvalid([OrgFileError(exc.line, exc.message)]) from None
    return parse_org_file(text, source=str(p))


# -- internals -----------------------------------------------------------------------------------


def _line(node: Node) -> int:
    return int(node.start_mark.line) + 1


def _describe(node: Node) -> str:
    if isinstance(node, MappingNode):
        return "a mapping (key: value lines)"
    if isinstance(node, SequenceNode):
        return "a list"
    return {
        _NULL: "empty",
        _BOOL: "true/false",
        _INT: "a number",
        _TAG + "float": "a number",
        _TAG + "timestamp": "a date",
    }.get(node.tag, "text")


def _is_null(node: Node) -> bool:
    return isinstance(node, ScalarNode) and node.tag == _NULL


def _is_text(node: Node) -> bool:
    return isinstance(node, ScalarNode) and node.tag == _STR


def _did_you_mean(word: str, choices: Iterable[str]) -> str:
    close = difflib.get_close_matches(word, list(choices), n=1, cutoff=0.6)
    return f" (did you mean '{close[0]}'?)" if close else ""


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
    return _did_you_mean(name, zoneinfo.available_timezones())


@dataclass
class _Entry:
    """A mapping from the file and its known fields (unknown and repeated keys are reported)."""

    node: MappingNode
    label: str
    fields: dict[str, tuple[Node, Node]] = field(default_factory=dict)

    @property
    def line(self) -> int:
        return _line(self.node)


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


class _Parser:
    def __init__(self, source: str) -> None:
        self.source = source
        self.errors: list[OrgFileError] = []

    # -- reporting ---------------------------------------------------------------------------

    def error(self, where: Node | int, message: str) -> None:
        line = where if isinstance(where, int) else _line(where)
        self.errors.append(OrgFileError(line, message))

    def fail(self) -> OrgFileInvalid:
        return OrgFileInvalid(sorted(self.errors, key=lambda e: e.line))

    @property
    def the_file(self) -> str:
        return "the file" if self.source == "<file>" else f"'{self.source}'"

    # -- whole file --------------------------------------------------------------------------

    def parse(self, text: str) -> OrgSpec:
        root = self.compose(text)
        if root is None:
            raise self.fail()
        if not self.check_tag(root):
            raise self.fail()
        if not isinstance(root, MappingNode):
            self.error(
                root,
                f"{self.the_file} must be a mapping starting with 'version: 1', "
                f"not {_describe(root)}",
            )
            raise self.fail()
        top = self.entry(root, TOP_FIELDS, "the file", "at the top of the file")
        if not self.version(top):
            raise self.fail()

        unit_defs: dict[str, int] = {}
        units = [
            u
            for n in self.entries(top, "units", "unit")
            if (u := self.unit(n, unit_defs)) is not None
        ]
        group_defs: dict[str, int] = {}
        group_unit_refs: list[_Ref] = []
        groups = [
            g
            for n in self.entries(top, "groups", "group")
            if (g := self.group(n, group_defs, group_unit_refs)) is not None
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

    def compose(self, text: str) -> Node | None:
        try:
            root = yaml.compose(text, Loader=yaml.SafeLoader)
        except yaml.MarkedYAMLError as exc:
            mark = exc.problem_mark or exc.context_mark
            line = int(mark.line) + 1 if mark is not None else 1
            problem = exc.problem or exc.context or "unreadable"
            hint = ""
            if "'\\t'" in problem:
                hint = "; indent with spaces, not tabs"
            elif "single document" in (exc.context or ""):
                problem = "a second YAML document starts here ('---')"
                hint = "; the file must hold one document"
            else:
                hint = "; check the indentation, colons and quotes"
            self.error(line, f"{self.the_file} is not valid YAML: {problem}{hint}")
            return None
        except yaml.reader.ReaderError as exc:
            line = text.count("\n", 0, max(exc.position, 0)) + 1
            char = exc.character
            shown = f"U+{char:04X}" if isinstance(char, int) else repr(char)
            self.error(line, f"{self.the_file} contains a character that is not allowed ({shown})")
            return None
        except (
            yaml.YAMLError
        ) as exc:  # pragma: no cover - every PyYAML error has a mark or position
            self.error(1, f"{self.the_file} is not valid YAML: {exc}")
            return None
        if root is None:
            self.error(1, f"{self.the_file} is empty; it must start with 'version: 1'")
        return root

    def version(self, top: _Entry) -> bool:
        """Report a missing or wrong version; False means stop (a different format version)."""
        if "version" not in top.fields:
            self.error(top.line, f"'version: {FORMAT_VERSION}' is missing from {self.the_file}")
            return True
        key, value = top.fields["version"]
        if isinstance(value, ScalarNode) and value.tag == _INT and value.value == "1":
            return True
        shown = value.value if isinstance(value, ScalarNode) else _describe(value)
        self.error(
            key,
            f"version must be {FORMAT_VERSION}, not '{shown}'; "
            f"this program reads organisation files of version {FORMAT_VERSION} only",
        )
        return False

    # -- generic helpers ---------------------------------------------------------------------

    def entry(self, node: MappingNode, allowed: tuple[str, ...], label: str, where: str) -> _Entry:
        """Collect a mapping's known fields, reporting unknown and repeated keys."""
        entry = _Entry(node, label)
        for key, value in node.value:
            if not _is_text(key):
                self.error(key, f"'{getattr(key, 'value', '?')}' is not a known key {where}")
                continue
            name = str(key.value)
            if name in entry.fields:
                first = _line(entry.fields[name][0])
                self.error(key, f"'{name}' is given twice {where} (first on line {first})")
            elif name not in allowed:
                allowed_list = ", ".join(allowed)
                self.error(
                    key,
                    f"unknown key '{name}' {where}{_did_you_mean(name, allowed)}; "
                    f"allowed keys: {allowed_list}",
                )
            else:
                entry.fields[name] = (key, value)
        return entry

    def entries(self, top: _Entry, section: str, what: str) -> list[MappingNode]:
        """The mappings listed under a top-level section; other items are reported."""
        if section not in top.fields:
            return []
        key, value = top.fields[section]
        if _is_null(value) or not self.check_tag(value):
            return []
        if not isinstance(value, SequenceNode):
            self.error(
                key,
                f"{section} must be a list, each {what} starting with '- ', not {_describe(value)}",
            )
            return []
        out: list[MappingNode] = []
        for item in value.value:
            if not self.check_tag(item):
                continue
            if isinstance(item, MappingNode):
                out.append(item)
            elif _is_null(item):
                self.error(item, f"empty entry in {section}")
            else:
                self.error(
                    item,
                    f"each entry in {section} must be a {what} with fields, not {_describe(item)}",
                )
        return out

    def peek(self, node: MappingNode, name: str) -> str | None:
        for key, value in node.value:
            if _is_text(key) and key.value == name and _is_text(value) and value.value.strip():
                return str(value.value).strip()
        return None

    def check_tag(self, node: Node) -> bool:
        if node.tag in _PLAIN_TAGS:
            return True
        tag = node.tag.replace(_TAG, "!!")
        self.error(node, f"YAML tags such as '{tag}' are not allowed in an organisation file")
        return False

    def text(self, entry: _Entry, name: str, *, required: bool) -> str | None:
        """A text field, stripped; None when absent or empty (reported if required)."""
        if name not in entry.fields:
            if required:
                self.error(entry.line, f"{entry.label} has no '{name}'")
            return None
        key, value = entry.fields[name]
        if _is_null(value):
            if required:
                self.error(key, f"'{name}' of {entry.label} is empty")
            return None
        if not self.check_tag(value):
            return None
        if not _is_text(value):
            hint = " (put it in quotes)" if isinstance(value, ScalarNode) else ""
            self.error(key, f"'{name}' of {entry.label} must be text, not {_describe(value)}{hint}")
            return None
        result = str(value.value).strip()
        if not result:
            self.error(key, f"'{name}' of {entry.label} is empty")
            return None
        return result

    def key(self, entry: _Entry, name: str) -> str | None:
        """A required key field (own key or a reference), checked against KEY_RE."""
        value = self.text(entry, name, required=True)
        if value is not None and not KEY_RE.fullmatch(value):
            self.error(
                entry.fields[name][0],
                f"'{value}' is not a valid key: use 1 to 63 lower-case letters a-z, digits "
                "and '-', starting with a letter or digit",
            )
        return value

    def language(self, entry: _Entry) -> Language | None:
        if "language" not in entry.fields:
            return None
        key, value = entry.fields["language"]
        if _is_null(value) or not self.check_tag(value):
            return None
        shown = value.value if isinstance(value, ScalarNode) else _describe(value)
        code = str(shown).strip().lower()
        if isinstance(value, ScalarNode) and code in {lang.value for lang in Language}:
            return Language(code)
        self.error(key, f"language of {entry.label} must be {_LANGUAGES}, not '{shown}'")
        return None

    def define(self, defs: dict[str, int], key: str, node: Node, what: str) -> None:
        if key in defs:
            self.error(node, f"{what} key '{key}' is used twice (first on line {defs[key]})")
        else:
            defs[key] = _line(node)

    def check_ref(self, ref: _Ref, defs: dict[str, int], what: str, section: str) -> bool:
        if ref.key in defs:
            return True
        self.error(
            ref.line,
            f"{what} '{ref.key}' is not defined in {section}{_did_you_mean(ref.key, defs)}",
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
        if key is None or name is None:
            return None
        return Unit(key=key, name=name)

    def group(self, node: MappingNode, defs: dict[str, int], unit_refs: list[_Ref]) -> Group | None:
        peeked = self.peek(node, "key")
        label = f"group '{peeked}'" if peeked else "this group"
        entry = self.entry(node, GROUP_FIELDS, label, f"in {label}")
        key = self.key(entry, "key")
        unit_key = self.text(entry, "unit", required=True)
        name = self.text(entry, "name", required=True)
        if key is not None:
            self.define(defs, key, entry.fields["key"][1], "group")
        if unit_key is not None:
            unit_refs.append(_Ref(unit_key, _line(entry.fields["unit"][1])))
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
            language=language or DEFAULT_LANGUAGE,
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
        if all(k not in entry.fields or _is_null(entry.fields[k][1]) for k in ("upn", "aad")):
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
        person = Person(name=name or "", aad_object_id=aad, upn=upn, language=language)
        return _PersonDraft(entry.line, label, person, instructor, client, coordinator, admin)

    def upn(self, entry: _Entry) -> str | None:
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

    def aad(self, entry: _Entry) -> str | None:
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

    def flag(self, entry: _Entry, name: str) -> bool:
        if name not in entry.fields:
            return False
        key, value = entry.fields[name]
        if _is_null(value):
            return False
        if isinstance(value, ScalarNode) and value.tag == _BOOL:
            return str(value.value).lower() in {"true", "yes", "on", "y"}
        shown = value.value if isinstance(value, ScalarNode) else _describe(value)
        self.error(key, f"'{name}' of {entry.label} must be true or false, not '{shown}'")
        return False

    def key_list(self, entry: _Entry, name: str, what: str) -> list[_Ref]:
        """A list of group or unit keys; each item keeps its own line for later checks."""
        if name not in entry.fields:
            return []
        key, value = entry.fields[name]
        if _is_null(value) or not self.check_tag(value):
            return []
        if not isinstance(value, SequenceNode):
            example = value.value if _is_text(value) else f"{what}-key"
            self.error(
                key,
                f"'{name}' of {entry.label} must be a list of {what} keys, e.g. [{example}], "
                f"not {_describe(value)}",
            )
            return []
        refs: list[_Ref] = []
        seen: set[str] = set()
        for item in value.value:
            if not _is_text(item) or not str(item.value).strip():
                self.error(
                    item,
                    f"each entry in '{name}' of {entry.label} must be a {what} key, "
                    f"not {_describe(item)}",
                )
                continue
            ref_key = str(item.value).strip()
            if ref_key in seen:
                self.error(item, f"{what} '{ref_key}' is listed twice in '{name}' of {entry.label}")
                continue
            seen.add(ref_key)
            refs.append(_Ref(ref_key, _line(item)))
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
