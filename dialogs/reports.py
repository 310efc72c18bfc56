"""Reports in Teams: `omat päivät` (a person's own month) and `vienti` (an export file's link).

The own month is always the speaker's: a button carries only the month, never a person. Export
files are for coordinators and admins, asked for in their own 1:1 chat; the link the card gives
is signed, works for a quarter of an hour and once (domain/reports/downloads.py).
"""

from __future__ import annotations

import re
from datetime import date

from cards.payload import CardAction
from cards.reports import (
    EXPORT_VERB,
    FIRST_INPUT,
    FORMAT_INPUT,
    KIND_INPUT,
    LAST_INPUT,
    OWN_VERB,
    export_card,
    export_ready_card,
    own_month_card,
)
from dialogs.context import Context, say
from dialogs.feature import Command, Feature, HelpItem, holding
from dialogs.turn import Outcome, Reply, card_in_place
from domain.errors import DomainError, NotAllowed
from domain.i18n import text
from domain.org import Language, Role
from domain.reports.downloads import (
    ExportKind,
    ExportLinks,
    FileFormat,
    ReportReader,
    default_period,
    may_export,
)


def reader(ctx: Context) -> ReportReader:
    """The reports' reader (ReportService), found among the features' services by what it does."""
    for service in ctx.services.features.values():
        if isinstance(service, ReportReader):
            return service
    raise DomainError("error.generic")


def _links(ctx: Context) -> ExportLinks:
    return ctx.services.need(ExportLinks)


# --- which month -----------------------------------------------------------------------------

_NUMERIC = (
    re.compile(r"^(?P<month>\d{1,2})\s*[/.]\s*(?P<year>\d{4})\.?$"),
    re.compile(r"^(?P<year>\d{4})\s*-\s*(?P<month>\d{1,2})$"),
)


def _month_names() -> dict[str, int]:
    names: dict[str, int] = {}
    for language in Language:
        for number in range(1, 13):
            name = text(language, f"own.month.{number}").casefold()
            names[name] = number
            names[name[:3]] = number
    return names


def parse_month(argument: str, today: date) -> date | None:
    """The month meant: "11/2026", "11.2026", "2026-11", "marraskuu", "november 2026";
    a month name without a year is the latest such month up to today. None if not a month."""
    typed = argument.strip().casefold()
    if not typed:
        return today.replace(day=1)
    for pattern in _NUMERIC:
        found = pattern.match(typed)
        if found:
            month, year = int(found["month"]), int(found["year"])
            return date(year, month, 1) if 1 <= month <= 12 and 2000 <= year <= 2100 else None
    words = typed.split()
    number = _month_names().get(words[0].rstrip("."))
    if number is None or len(words) > 2:
        return None
    if len(words) == 2:
        if not (words[1].isdigit() and len(words[1]) == 4):
            return None
        return date(int(words[1]), number, 1)
    year = today.year if number <= today.month else today.year - 1
    return date(year, number, 1)


# --- own days ------------------------------------------------------------------------------


async def _own_card(ctx: Context, month: date) -> dict[str, object]:
    if not ctx.actor.groups_as(Role.CLIENT):
        raise DomainError("own.no_group")
    own = await reader(ctx).own_month(ctx.actor, month)
    return own_month_card(own, ctx.language, latest=_links(ctx).today())


async def own_days(ctx: Context, argument: str) -> Outcome:
    """`omat päivät` / `mina dagar` / `my days` [month]: the speaker's own month."""
    if ctx.conversation.kind.is_group:
        return say(ctx.t("own.in_own_chat"))
    month = parse_month(argument, _links(ctx).today())
    if month is None:
        return say(ctx.t("own.bad_month"))
    return Outcome(replies=[Reply(card=await _own_card(ctx, month))])


async def own_month(ctx: Context, action: CardAction) -> Outcome:
    """The card's previous / next month: the tapper's own days, whatever else the data says."""
    if ctx.conversation.kind.is_group:
        return say(ctx.t("own.in_own_chat"))
    wanted = action.data.get("month", "")
    found = _NUMERIC[1].match(wanted) if len(wanted) == 7 else None
    month = parse_month(wanted, _links(ctx).today()) if found else None
    if month is None:
        return say(ctx.t("card.stale"))
    return card_in_place(ctx.turn, await _own_card(ctx, month))


# --- export files --------------------------------------------------------------------------


def _may_export(ctx: Context) -> None:
    if not may_export(ctx.actor):
        raise NotAllowed("export.not_allowed")


async def export(ctx: Context, _argument: str) -> Outcome:
    """`vienti` / `exportera` / `export`: the export card, for coordinators and admins."""
    _may_export(ctx)
    if ctx.conversation.kind.is_group:
        return say(ctx.t("export.in_own_chat"))
    return Outcome(replies=[Reply(card=export_card(ctx.language))])


_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def _day(value: str) -> date:
    """A date from Input.Date (YYYY-MM-DD); ValueError for anything else."""
    if not _ISO_DATE.match(value):
        raise ValueError(value)
    return date.fromisoformat(value)


async def make(ctx: Context, action: CardAction) -> Outcome:
    """The export card's button: a one-time link to the file, in place of the card."""
    _may_export(ctx)
    if ctx.conversation.kind.is_group:
        return say(ctx.t("export.in_own_chat"))
    links = _links(ctx)
    try:
        kind = ExportKind(action.data.get(KIND_INPUT, ""))
        fmt = FileFormat(action.data.get(FORMAT_INPUT, ""))
        typed = [action.data.get(name, "").strip() for name in (FIRST_INPUT, LAST_INPUT)]
        first, last = default_period(kind, links.today())
        if typed[0]:
            first = _day(typed[0])
            if not typed[1] and kind is not ExportKind.ACTIVITY_DAYS:
                last = max(first, min(last, links.today()))
        if typed[1]:
            last = _day(typed[1])
    except ValueError:
        return say(ctx.t("export.bad_period"))
    token, order = await links.create(ctx.actor, kind, first, last, fmt, ctx.language)
    ready = export_ready_card(
        ctx.language, order.kind, order.first, order.last, links.url(token), links.minutes
    )
    return card_in_place(ctx.turn, ready)


OWN_DAYS = Command(
    "own_days",
    own_days,
    fi=("omat päivät", "omat paivat"),
    sv=("mina dagar",),
    en=("my days",),
)
EXPORT = Command(
    "export",
    export,
    fi=("vienti",),
    sv=("exportera", "export"),
    en=("export",),
)


FEATURE = Feature(
    name="reports",
    commands=(OWN_DAYS, EXPORT),
    actions={OWN_VERB: own_month, EXPORT_VERB: make},
    # a month's card only reads
    idempotent=frozenset({OWN_VERB}),
    help=(
        HelpItem(67, "own.help", holding(Role.CLIENT), (OWN_DAYS,)),
        HelpItem(125, "export.help", holding(Role.COORDINATOR, Role.ADMIN), (EXPORT,)),
    ),
)
