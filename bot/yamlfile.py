"""Reading the YAML files people write (organisation file, plan file): every problem with its line.

Only yaml.compose with the safe loader is used: the file becomes a tree of nodes that keep their
line numbers, and nothing in it is ever turned into a Python object by YAML itself. A parser
collects every problem it finds (unknown or repeated keys, wrong kinds of values, YAML syntax)
as a line and a sentence for the person who wrote the file, instead of stopping at the first.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import ClassVar

import yaml
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from domain.org import Language

FORMAT_VERSION = 1
KEY_RE = re.compile(r"^[a-z0-9][a-z0-9-]{0,62}$")
DATE_RE = re.compile(r"^\d{4}-\d{2}-\d{2}$")

TAG = "tag:yaml.org,2002:"
STR = TAG + "str"
INT = TAG + "int"
BOOL = TAG + "bool"
NULL = TAG + "null"
PLAIN_TAGS = frozenset(
    TAG + t for t in ("str", "int", "float", "bool", "null", "timestamp", "map", "seq")
)
_LANGUAGES = "fi, sv or en"


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


@dataclass(frozen=True, slots=True)
class Problem:
    """One problem in a file, with the 1-based line it is on."""

    line: int
    message: str


def line_of(node: Node) -> int:
    """The 1-based line a node starts on."""
    return int(node.start_mark.line) + 1


def describe(node: Node) -> str:
    """What kind of value a node is, in words for the person who wrote it."""
    if isinstance(node, MappingNode):
        return "a mapping (key: value lines)"
    if isinstance(node, SequenceNode):
        return "a list"
    return {
        NULL: "empty",
        BOOL: "true/false",
        INT: "a number",
        TAG + "float": "a number",
        TAG + "timestamp": "a date",
    }.get(node.tag, "text")


def shown(node: Node) -> str:
    """A scalar as written, or what kind of value another node is."""
    return str(node.value) if isinstance(node, ScalarNode) else describe(node)


def is_null(node: Node) -> bool:
    """An empty value (nothing after the colon, `null` or `~`)."""
    return isinstance(node, ScalarNode) and node.tag == NULL


def is_text(node: Node) -> bool:
    """A scalar that YAML reads as text."""
    return isinstance(node, ScalarNode) and node.tag == STR


def did_you_mean(word: str, choices: Iterable[str]) -> str:
    """ " (did you mean 'x'?)" for the closest choice, or nothing."""
    close = difflib.get_close_matches(word, list(choices), n=1, cutoff=0.6)
    return f" (did you mean '{close[0]}'?)" if close else ""


@dataclass
class Entry:
    """A mapping from the file and its known fields (unknown and repeated keys are reported)."""

    node: MappingNode
    label: str
    fields: dict[str, tuple[Node, Node]] = field(default_factory=dict)

    @property
    def line(self) -> int:
        """The line the mapping starts on."""
        return line_of(self.node)


class YamlFileParser:
    """What parsers of our YAML files share: composing, reporting and the generic fields.

    A subclass names its file (`a_file`, `files`) and reads its own sections from `top`.
    """

    a_file: ClassVar[str] = "a file"
    files: ClassVar[str] = "files"

    def __init__(self, source: str) -> None:
        self.source = source
        self.errors: list[Problem] = []

    # -- reporting ---------------------------------------------------------------------------

    def error(self, where: Node | int, message: str) -> None:
        """Report a problem on a node's line (or on a line number)."""
        line = where if isinstance(where, int) else line_of(where)
        self.errors.append(Problem(line, message))

    def problems(self) -> list[Problem]:
        """Every problem reported, in the order of their lines."""
        return sorted(self.errors, key=lambda e: e.line)

    @property
    def the_file(self) -> str:
        """How messages name the file."""
        return "the file" if self.source == "<file>" else f"'{self.source}'"

    # -- whole file --------------------------------------------------------------------------

    def top(self, text: str, fields: tuple[str, ...]) -> Entry | None:
        """The file's top-level mapping, its version checked; None: stop, nothing more to read."""
        root = self.compose(text)
        if root is None or not self.check_tag(root):
            return None
        if not isinstance(root, MappingNode):
            self.error(
                root,
                f"{self.the_file} must be a mapping starting with 'version: 1', "
                f"not {describe(root)}",
            )
            return None
        top = self.entry(root, fields, "the file", "at the top of the file")
        if not self.version(top):
            return None
        return top

    def compose(self, text: str) -> Node | None:
        """The file's node tree; None (with the problem reported) if it is not YAML or empty."""
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
            char_shown = f"U+{char:04X}" if isinstance(char, int) else repr(char)
            self.error(
                line, f"{self.the_file} contains a character that is not allowed ({char_shown})"
            )
            return None
        except (
            yaml.YAMLError
        ) as exc:  # pragma: no cover - every PyYAML error has a mark or position
            self.error(1, f"{self.the_file} is not valid YAML: {exc}")
            return None
        if root is None:
            self.error(1, f"{self.the_file} is empty; it must start with 'version: 1'")
        return root

    def version(self, top: Entry) -> bool:
        """Report a missing or wrong version; False means stop (a different format version)."""
        if "version" not in top.fields:
            self.error(top.line, f"'version: {FORMAT_VERSION}' is missing from {self.the_file}")
            return True
        key, value = top.fields["version"]
        if isinstance(value, ScalarNode) and value.tag == INT and value.value == "1":
            return True
        self.error(
            key,
            f"version must be {FORMAT_VERSION}, not '{shown(value)}'; "
            f"this program reads {self.files} of version {FORMAT_VERSION} only",
        )
        return False

    # -- generic helpers ---------------------------------------------------------------------

    def entry(self, node: MappingNode, allowed: tuple[str, ...], label: str, where: str) -> Entry:
        """Collect a mapping's known fields, reporting unknown and repeated keys."""
        entry = Entry(node, label)
        for key, value in node.value:
            if not is_text(key):
                self.error(key, f"'{getattr(key, 'value', '?')}' is not a known key {where}")
                continue
            name = str(key.value)
            if name in entry.fields:
                first = line_of(entry.fields[name][0])
                self.error(key, f"'{name}' is given twice {where} (first on line {first})")
            elif name not in allowed:
                allowed_list = ", ".join(allowed)
                self.error(
                    key,
                    f"unknown key '{name}' {where}{did_you_mean(name, allowed)}; "
                    f"allowed keys: {allowed_list}",
                )
            else:
                entry.fields[name] = (key, value)
        return entry

    def entries(self, top: Entry, section: str, what: str) -> list[MappingNode]:
        """The mappings listed under a section; other items are reported."""
        if section not in top.fields:
            return []
        key, value = top.fields[section]
        if is_null(value) or not self.check_tag(value):
            return []
        if not isinstance(value, SequenceNode):
            self.error(
                key,
                f"{section} must be a list, each {what} starting with '- ', not {describe(value)}",
            )
            return []
        out: list[MappingNode] = []
        for item in value.value:
            if not self.check_tag(item):
                continue
            if isinstance(item, MappingNode):
                out.append(item)
            elif is_null(item):
                self.error(item, f"empty entry in {section}")
            else:
                self.error(
                    item,
                    f"each entry in {section} must be a {what} with fields, not {describe(item)}",
                )
        return out

    def peek(self, node: MappingNode, name: str) -> str | None:
        """A mapping's text field, read early to name the mapping in messages."""
        for key, value in node.value:
            if is_text(key) and key.value == name and is_text(value) and value.value.strip():
                return str(value.value).strip()
        return None

    def check_tag(self, node: Node) -> bool:
        """Report a YAML tag (!!python/…, !custom); plain values only."""
        if node.tag in PLAIN_TAGS:
            return True
        tag = node.tag.replace(TAG, "!!")
        self.error(node, f"YAML tags such as '{tag}' are not allowed in {self.a_file}")
        return False

    def _given(self, entry: Entry, name: str, *, required: bool) -> tuple[Node, Node] | None:
        """A field's key and value nodes; None when absent, empty (reported if required) or
        tagged (reported)."""
        if name not in entry.fields:
            if required:
                self.error(entry.line, f"{entry.label} has no '{name}'")
            return None
        key, value = entry.fields[name]
        if is_null(value):
            if required:
                self.error(key, f"'{name}' of {entry.label} is empty")
            return None
        if not self.check_tag(value):
            return None
        return key, value

    def text(self, entry: Entry, name: str, *, required: bool) -> str | None:
        """A text field, stripped; None when absent or empty (reported if required)."""
        given = self._given(entry, name, required=required)
        if given is None:
            return None
        key, value = given
        if not is_text(value):
            hint = " (put it in quotes)" if isinstance(value, ScalarNode) else ""
            self.error(key, f"'{name}' of {entry.label} must be text, not {describe(value)}{hint}")
            return None
        result = str(value.value).strip()
        if not result:
            self.error(key, f"'{name}' of {entry.label} is empty")
            return None
        return result

    def scalar(self, entry: Entry, name: str, *, required: bool) -> str | None:
        """A field's text as written, whatever YAML would read it as (10:00, 2026-12-01, 45)."""
        given = self._given(entry, name, required=required)
        if given is None:
            return None
        key, value = given
        if not isinstance(value, ScalarNode):
            self.error(
                key, f"'{name}' of {entry.label} must be a single value, not a list or mapping"
            )
            return None
        result = str(value.value).strip()
        if not result:
            self.error(key, f"'{name}' of {entry.label} is empty")
            return None
        return result

    def date(self, entry: Entry, name: str, example: str) -> date | None:
        """An optional date field written year-month-day (the error shows example); None when
        absent or wrong (the error is recorded)."""
        value = self.scalar(entry, name, required=False)
        if value is None:
            return None
        if DATE_RE.fullmatch(value):
            try:
                return date.fromisoformat(value)
            except ValueError:
                pass
        self.error(
            entry.fields[name][0],
            f"'{name}' of {entry.label} must be a date like {example} (year-month-day), "
            f"not '{value}'",
        )
        return None

    def key(self, entry: Entry, name: str) -> str | None:
        """A required key field (own key or a reference), checked against KEY_RE."""
        value = self.text(entry, name, required=True)
        if value is not None and not KEY_RE.fullmatch(value):
            self.error(
                entry.fields[name][0],
                f"'{value}' is not a valid key: use 1 to 63 lower-case letters a-z, digits "
                "and '-', starting with a letter or digit",
            )
        return value

    def language(self, entry: Entry) -> Language | None:
        """The optional language field: fi, sv or en."""
        if "language" not in entry.fields:
            return None
        key, value = entry.fields["language"]
        if is_null(value) or not self.check_tag(value):
            return None
        code = shown(value).strip().lower()
        if isinstance(value, ScalarNode) and code in {lang.value for lang in Language}:
            return Language(code)
        self.error(key, f"language of {entry.label} must be {_LANGUAGES}, not '{shown(value)}'")
        return None

    def define(self, defs: dict[str, int], key: str, node: Node, what: str) -> None:
        """Record a key's definition; a key defined twice is reported."""
        if key in defs:
            self.error(node, f"{what} key '{key}' is used twice (first on line {defs[key]})")
        else:
            defs[key] = line_of(node)
