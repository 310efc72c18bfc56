"""Export files in Teams: a signed, one-time download link for a coordinator or an admin.

The link names a stored order (what, which period, which format, for whom), is signed with a
key of the service (HMAC-SHA256), works for LINK_MINUTES and only once. The file is made when the
link is opened, with the reader's permissions of the person who asked; both steps are audited
(`export.<kind>`). Pure: the orders are kept behind the `Orders` port, the key comes from the
caller.
"""

from __future__ import annotations

import base64
import enum
import hashlib
import hmac
import secrets
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Protocol, runtime_checkable
from zoneinfo import ZoneInfo

from domain.errors import DomainError, NotAllowed
from domain.model import Actor, RoleGrant
from domain.org import DEFAULT_TIMEZONE, Language, Person, Role
from domain.reports.model import AbsenceLine, ClientMonth, OwnMonth, PersonDay

LINK_MINUTES = 15
MAX_DAYS = 366  # the longest period one file covers


class ExportKind(enum.StrEnum):
    """What a file lists."""

    ATTENDANCE = "attendance"  # one row per person per group day
    ACTIVITY_DAYS = "activity_days"  # per client: a month's activity days, absences, not held
    ABSENCES = "absences"  # the TT3 list: absences with Kela's reason


class FileFormat(enum.StrEnum):
    """The file's format."""

    CSV = "csv"
    XLSX = "xlsx"


CONTENT_TYPES = {
    FileFormat.CSV: "text/csv; charset=utf-8",
    FileFormat.XLSX: "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}


@runtime_checkable
class ReportReader(Protocol):
    """What the Teams side reads from the reports (domain/reports/service.py ReportService)."""

    async def own_month(self, actor: Actor, month: date) -> OwnMonth: ...

    def person_days(
        self,
        actor: Actor | None,
        first: date,
        last: date,
        unit_key: str | None = None,
        group_key: str | None = None,
    ) -> AsyncIterator[PersonDay]: ...

    async def activity_days(
        self, actor: Actor | None, month: date, unit_key: str | None = None
    ) -> list[ClientMonth]: ...

    async def absences(
        self, actor: Actor | None, first: date, last: date, unit_key: str | None = None
    ) -> list[AbsenceLine]: ...


@dataclass(frozen=True, slots=True)
class Order:
    """A file asked for: by whom, what, which days, in which format and language."""

    token_id: str
    person_id: int
    kind: ExportKind
    first: date
    last: date
    format: FileFormat
    language: Language
    created: datetime
    expires: datetime

    @property
    def filename(self) -> str:
        """The file's name: etapaiva-<kind>-<first>-<last>.<format> (a month: its YYYY-MM)."""
        kind = self.kind.value.replace("_", "-")
        if self.kind is ExportKind.ACTIVITY_DAYS:
            return f"etapaiva-{kind}-{self.first:%Y-%m}.{self.format.value}"
        return f"etapaiva-{kind}-{self.first.isoformat()}-{self.last.isoformat()}.{self.format}"

    @property
    def action(self) -> str:
        """The audit action, the same as the command line's: export.<kind> (docs/exports.md)."""
        return f"export.{self.kind.value.replace('_', '-')}"

    @property
    def subject(self) -> str:
        """The audit subject: the period, first..last, as the command line writes it."""
        return f"{self.first.isoformat()}..{self.last.isoformat()}"

    def audit(self) -> dict[str, str | int]:
        """What the audit row records of the order."""
        return {
            "token": self.token_id,
            "first": self.first.isoformat(),
            "last": self.last.isoformat(),
            "format": self.format.value,
            "language": self.language.value,
            "who": self.person_id,
        }


class Orders(Protocol):
    """Where orders are kept (store/exports.py)."""

    async def add(self, order: Order) -> None:
        """Store the order and audit it (`export.<kind>`, "link")."""
        ...

    async def claim(self, token_id: str, person_id: int, now: datetime) -> Order | None:
        """Mark the order used and return it; None when unknown, another person's, or used."""
        ...

    async def used(self, token_id: str) -> bool:
        """True if the order exists and was used already."""
        ...

    async def downloaded(self, order: Order, rows: int) -> None:
        """Audit a download (`export.<kind>`, "download", the number of rows)."""
        ...


class People(Protocol):
    """Who asked for a file, with the roles they hold now."""

    async def person_by_id(self, person_id: int) -> Person | None: ...
    async def grants_of(self, person_id: int) -> tuple[RoleGrant, ...]: ...


class LinkUnknown(DomainError):
    """A link that was never made here, or altered (404)."""


class LinkGone(DomainError):
    """A link that expired or was used (410)."""


def default_period(kind: ExportKind, today: date) -> tuple[date, date]:
    """Attendance: this month; activity days: last month; absences: the last two weeks."""
    if kind is ExportKind.ATTENDANCE:
        return today.replace(day=1), today
    if kind is ExportKind.ACTIVITY_DAYS:
        last = today.replace(day=1) - timedelta(days=1)
        return last.replace(day=1), last
    return today - timedelta(days=13), today


def month_end(first: date) -> date:
    """The last day of first's month."""
    following = (first.replace(day=28) + timedelta(days=4)).replace(day=1)
    return following - timedelta(days=1)


def may_export(actor: Actor) -> bool:
    """Coordinators and admins make export files."""
    return bool(actor.roles & {Role.COORDINATOR, Role.ADMIN})


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")


class ExportLinks:
    """Makes signed one-time links and redeems them."""

    def __init__(
        self,
        orders: Orders,
        org: People,
        key: Callable[[], Awaitable[bytes]],
        clock: Callable[[], datetime],
        *,
        base_url: str = "",
        minutes: int = LINK_MINUTES,
        zone: str = DEFAULT_TIMEZONE,
    ) -> None:
        self._orders = orders
        self._org = org
        self._key_source = key
        self._key: bytes | None = None
        self._clock = clock
        self.minutes = minutes
        self._base_url = base_url.rstrip("/")
        self._zone = ZoneInfo(zone)

    def now(self) -> datetime:
        """The service's clock."""
        return self._clock()

    def today(self) -> date:
        """Today's date where the service is used."""
        return self._clock().astimezone(self._zone).date()

    def url(self, token: str) -> str:
        """The download address of a token on the bot's own web server."""
        return f"{self._base_url}/exports/{token}"

    async def _signing_key(self) -> bytes:
        if self._key is None:
            self._key = await self._key_source()
        return self._key

    async def _mac(self, body: str) -> str:
        digest = hmac.new(await self._signing_key(), body.encode("ascii"), hashlib.sha256)
        return _b64(digest.digest()[:20])

    async def create(
        self,
        actor: Actor,
        kind: ExportKind,
        first: date,
        last: date,
        fmt: FileFormat,
        language: Language,
    ) -> tuple[str, Order]:
        """A link token for the actor's file; coordinators and admins only."""
        if not may_export(actor):
            raise NotAllowed("export.not_allowed")
        if kind is ExportKind.ACTIVITY_DAYS:
            first = first.replace(day=1)
            last = month_end(first)
        if last < first:
            raise DomainError("export.bad_period")
        if (last - first).days >= MAX_DAYS:
            raise DomainError("export.too_long", days=MAX_DAYS)
        now = self.now()
        order = Order(
            token_id=_b64(secrets.token_bytes(16)),
            person_id=actor.person_id,
            kind=kind,
            first=first,
            last=last,
            format=fmt,
            language=language,
            created=now,
            expires=now + timedelta(minutes=self.minutes),
        )
        await self._orders.add(order)
        expires = int(order.expires.timestamp())
        body = f"{order.token_id}.{order.person_id}.{expires}"
        return f"{body}.{await self._mac(body)}", order

    async def redeem(self, token: str) -> tuple[Order, Actor]:
        """The order a token names, now used, and its person: LinkUnknown for a token not made
        here (or altered), LinkGone for one expired or used, NotAllowed if they lost the role."""
        parts = token.split(".")
        if len(parts) != 4 or not all(p.isascii() and p for p in parts) or len(token) > 200:
            raise LinkUnknown("export.link.unknown")
        token_id, person, expires, mac = parts
        if not hmac.compare_digest(mac, await self._mac(f"{token_id}.{person}.{expires}")):
            raise LinkUnknown("export.link.unknown")
        if not (person.isdigit() and expires.isdigit()):
            raise LinkUnknown("export.link.unknown")
        now = self.now()
        if int(expires) <= now.timestamp():
            raise LinkGone("export.link.gone")
        order = await self._orders.claim(token_id, int(person), now)
        if order is None:
            if await self._orders.used(token_id):
                raise LinkGone("export.link.gone")
            raise LinkUnknown("export.link.unknown")
        found = await self._org.person_by_id(order.person_id)
        if found is None:
            raise LinkUnknown("export.link.unknown")
        actor = Actor(found, await self._org.grants_of(order.person_id))
        if not may_export(actor):
            raise NotAllowed("export.not_allowed")
        return order, actor

    async def downloaded(self, order: Order, rows: int) -> None:
        """Audit the finished download."""
        await self._orders.downloaded(order, rows)


async def rows(reports: ReportReader, actor: Actor, order: Order) -> AsyncIterator[object]:
    """The order's lines, read with the person's permissions (the reader checks their units)."""
    if order.kind is ExportKind.ATTENDANCE:
        async for line in reports.person_days(actor, order.first, order.last):
            yield line
    elif order.kind is ExportKind.ACTIVITY_DAYS:
        for month in await reports.activity_days(actor, order.first):
            yield month
    else:
        for absence in await reports.absences(actor, order.first, order.last):
            yield absence
