"""The organisation: units, groups, people and their roles (pure data, no I/O)."""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from datetime import date


class Role(enum.StrEnum):
    """What a person may do; a person can hold several roles."""

    CLIENT = "client"
    INSTRUCTOR = "instructor"
    COORDINATOR = "coordinator"
    ADMIN = "admin"


class Language(enum.StrEnum):
    """The three languages every text exists in."""

    FI = "fi"
    SV = "sv"
    EN = "en"


DEFAULT_LANGUAGE = Language.FI
DEFAULT_TIMEZONE = "Europe/Helsinki"


@dataclass(frozen=True, slots=True)
class Unit:
    """A workshop or team (paja), e.g. 'Uusix Kyläsaari, IT workshop'."""

    key: str
    name: str
    id: int | None = None
    language: Language | None = None  # its groups' language unless a group says otherwise


@dataclass(frozen=True, slots=True)
class Group:
    """A group whose remote group days the bot runs."""

    key: str
    unit_key: str
    name: str
    timezone: str = DEFAULT_TIMEZONE
    language: Language = DEFAULT_LANGUAGE
    id: int | None = None


@dataclass(frozen=True, slots=True)
class Person:
    """Someone who uses the bot; matched by AAD object id, or by UPN/e-mail on first contact."""

    name: str
    aad_object_id: str | None = None
    upn: str | None = None
    teams_id: str | None = None
    language: Language | None = None  # the organisation file's
    id: int | None = None
    chosen_language: Language | None = None  # their own choice ("kieli ruotsi")
    # the organisation file's service_ended: the day the client's service ended
    service_ended: date | None = None

    def speaks(self, group_language: Language | None = None) -> Language:
        """Their language: own choice, else the organisation file's, else the group's, else fi."""
        return self.chosen_language or self.language or group_language or DEFAULT_LANGUAGE


@dataclass(frozen=True, slots=True)
class Membership:
    """One role of one person: in a group (client, instructor), a unit (coordinator) or global."""

    role: Role
    group_key: str | None = None
    unit_key: str | None = None


@dataclass(frozen=True, slots=True)
class PersonSpec:
    """A person as given in an organisation file, with all their roles."""

    person: Person
    memberships: tuple[Membership, ...] = ()
    line: int = 0


@dataclass(frozen=True, slots=True)
class OrgSpec:
    """A whole organisation file, validated: every reference resolves, nothing is duplicated."""

    units: tuple[Unit, ...] = ()
    groups: tuple[Group, ...] = ()
    people: tuple[PersonSpec, ...] = ()


@dataclass(frozen=True, slots=True)
class OrgFileError:
    """One problem in an organisation file, with the 1-based line it is on."""

    line: int
    message: str

    def __str__(self) -> str:
        return f"line {self.line}: {self.message}"


class OrgFileInvalid(Exception):
    """An organisation file had problems; nothing was changed."""

    def __init__(self, errors: list[OrgFileError]) -> None:
        super().__init__("\n".join(str(e) for e in errors))
        self.errors = errors


@dataclass(frozen=True, slots=True)
class ImportSummary:
    """What an import created and updated."""

    created: dict[str, int] = field(default_factory=dict)
    updated: dict[str, int] = field(default_factory=dict)
    unchanged: dict[str, int] = field(default_factory=dict)
