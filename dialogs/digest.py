"""The coordinators' digest: `yhteenveto` [date], and "show all" on its cards."""

from __future__ import annotations

import re
from datetime import date, timedelta
from zoneinfo import ZoneInfo

from cards.digest import MORE_VERB
from cards.payload import CardAction, row_id
from dialogs.agenda import parse_date
from dialogs.context import Context
from dialogs.feature import Command, Feature, HelpItem, holding
from dialogs.turn import Outcome, Reply
from domain.digest.model import Section
from domain.digest.service import DigestService
from domain.errors import DomainError, NotAllowed, NotFound
from domain.org import DEFAULT_TIMEZONE, Role


def _service(ctx: Context) -> DigestService:
    return ctx.services.need(DigestService)


# "today" and "yesterday" as people write them after the command
DAYS_BACK = {
    "tänään": 0,
    "idag": 0,
    "today": 0,
    "eilen": 1,
    "igår": 1,
    "yesterday": 1,
}


def asked_day(argument: str, today: date) -> date | None:
    """The date typed after the command ("3.12.", "3.12.2026", "2026-12-03", "eilen",
    "today"): a day and month without a year is the latest such date up to today. None when
    nothing (or only punctuation) was typed."""
    word = argument.strip().rstrip("!?,")
    if not word.strip("."):
        return None
    back = DAYS_BACK.get(word.rstrip(".").casefold())
    if back is not None:
        return today - timedelta(days=back)
    try:
        return _typed_date(word, today)
    except NotAllowed:
        raise NotAllowed("digest.bad_date") from None


def _typed_date(word: str, today: date) -> date:
    if not re.fullmatch(r"\d{1,2}\.\d{1,2}\.?", word):
        return parse_date(word, today)
    day_month = word.rstrip(".")
    for year in range(today.year, today.year - 8, -1):  # 29.2. is there every fourth year
        try:
            found = parse_date(f"{day_month}.{year}", today)
        except NotAllowed:
            continue
        if found <= today:
            return found
    raise NotAllowed("day.bad_date")


async def _reply(ctx: Context, cards: list[dict[str, object]], what: str) -> Outcome:
    """The cards in a 1:1 chat; asked for in a group chat, to the asker's 1:1 chat."""
    if not ctx.conversation.kind.is_group:
        return Outcome(replies=[Reply(card=c) for c in cards])
    service = _service(ctx)
    asked = ctx.turn.activity_id or service.now().isoformat()
    key = f"digest:{what}:{ctx.actor.person_id}:{asked}"
    if not await service.send_privately(ctx.actor.person, ctx.conversation, key, cards):
        raise DomainError("digest.unreachable_you")
    return Outcome(replies=[Reply(text=ctx.t("digest.sent_privately"))])


async def digest(ctx: Context, argument: str) -> Outcome:
    """`yhteenveto` / `sammanfattning` / `digest` [date]."""
    service = _service(ctx)
    service.units_of(ctx.actor)  # anyone but coordinators and admins: refused before the date
    on = asked_day(argument, service.now().astimezone(ZoneInfo(DEFAULT_TIMEZONE)).date())
    cards = await service.for_actor(ctx.actor, ctx.personal_language, on)
    return await _reply(ctx, cards, "asked")


async def more(ctx: Context, action: CardAction) -> Outcome:
    """ "Show all": the card names a group, a day and a list; the group is checked against
    the actor's units. Only in a 1:1 chat (the lists have clients' names)."""
    service = _service(ctx)
    group_id = row_id(action.data.get("group", ""))
    try:
        day = date.fromisoformat(action.data.get("day", ""))
        section = Section(action.data.get("section", ""))
    except ValueError as exc:
        raise NotFound("digest.unknown") from exc
    if group_id is None or ctx.conversation.kind.is_group:
        raise NotFound("digest.unknown")
    cards = await service.more(ctx.actor, group_id, day, section, ctx.personal_language)
    return Outcome(replies=[Reply(card=c) for c in cards])


DIGEST = Command(
    "digest",
    digest,
    fi=("yhteenveto", "päivän yhteenveto"),
    sv=("sammanfattning", "dagens sammanfattning"),
    en=("digest", "daily digest"),
)

FEATURE = Feature(
    name="digest",
    commands=(DIGEST,),
    actions={MORE_VERB: more},
    idempotent=frozenset({MORE_VERB}),  # it only reads
    help=(HelpItem(88, "help.item.digest", holding(Role.COORDINATOR), (DIGEST,)),),
)
