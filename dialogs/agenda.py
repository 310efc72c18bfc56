"""Agenda dialogs: show today's programme, pick a plan, steer the day, "I'm back" taps."""

from __future__ import annotations

import re
from datetime import date
from zoneinfo import ZoneInfo

from cards.agenda import (
    AGENDA_VERB,
    BACK_VERB,
    PLAN_VERB,
    PLANS_TODAY,
    REFRESH_VERB,
    agenda_card,
    back_card,
    choose_plan_card,
    numbered_plans,
    waiting_card,
)
from cards.payload import CardAction
from dialogs.commands import normalise
from dialogs.context import Context
from dialogs.feature import Command, Feature, Handler, HelpItem, holding
from dialogs.turn import Outcome, Reply, TurnKind
from domain import days as d
from domain.agenda import AgendaService, Change, PlanLibrary, may_steer
from domain.errors import NotAllowed, NotFound
from domain.i18n import clock, date_text, text
from domain.org import Group, Language, Role
from domain.plans import Plan

_MINUTES = re.compile(r"^([+-]?)\s*(\d{1,3})\s*(min|minuuttia|minuutilla|minuter|minutes)?$")


def parse_minutes(argument: str, default: int | None) -> int:
    """'10', '+10', '-5', '10 min' → minutes; empty → default (or an error if none)."""
    cleaned = argument.strip().casefold()
    if not cleaned:
        if default is None:
            raise NotAllowed("day.bad_minutes")
        return default
    match = _MINUTES.match(cleaned)
    if not match:
        raise NotAllowed("day.bad_minutes")
    value = int(match.group(2))
    return -value if match.group(1) == "-" else value


def _services(ctx: Context) -> tuple[AgendaService, PlanLibrary]:
    return (
        ctx.services.need(AgendaService, "day.none_today"),
        ctx.services.need(PlanLibrary, "day.none_today"),
    )


async def _group(ctx: Context) -> Group:
    """The group a command is about: the conversation's, or the person's only group."""
    agenda, _plans = _services(ctx)
    if ctx.conversation.group_id is not None:
        return await agenda.group_of(ctx.conversation)
    mine = {g.key: g for role in (Role.INSTRUCTOR, Role.CLIENT) for g in ctx.actor.groups_as(role)}
    if len(mine) == 1:
        return next(iter(mine.values()))
    raise NotFound("day.no_group")


async def _steering_ids(ctx: Context, group: Group) -> tuple[str, ...]:
    """Who gets their own view of a card in the group's chat: its instructors, and the
    person speaking if they may steer (an admin)."""
    agenda, _plans = _services(ctx)
    ids = await agenda.instructor_ids(group)
    me = ctx.turn.user.teams_id
    if me and me not in ids and may_steer(ctx.actor, group):
        ids = (*ids, me)
    return ids


async def _view(ctx: Context, day: d.GroupDay, group: Group) -> dict[str, object]:
    """The agenda card as this person sees it in the group's chat.

    The card in the chat is everyone's; `refresh.userIds` has Teams fetch the instructors'
    own view, with the steering buttons (`refresh`), so only they ever see those.
    """
    agenda, _plans = _services(ctx)
    ids = await _steering_ids(ctx, group)
    steer = may_steer(ctx.actor, group) and ctx.turn.is_invoke
    return agenda_card(day, agenda.now(), for_instructor=steer, refresh_user_ids=ids)


# what may follow "agenda" and still only ask to see it ("ohjelma tänään")
_TODAY = frozenset(
    ("tänään", "nyt", "tälle päivälle", "idag", "i dag", "nu", "för i dag", "today", "now")
)


async def show_agenda(ctx: Context, argument: str) -> Outcome:
    """'agenda': today's programme; an instructor with no plan yet gets the plan picker.

    'agenda 2' or 'agenda <name>': an instructor chooses today's plan by typing.
    """
    agenda, plans = _services(ctx)
    if argument and normalise(argument) not in _TODAY:
        chosen = await _choose_by_text(ctx, argument)
        if chosen is not None:
            return chosen
    group = await _group(ctx)
    day = await agenda.today(group)
    steer = may_steer(ctx.actor, group)
    if day is None or day.status is d.DayStatus.CANCELLED:
        if not steer:
            raise NotFound("day.none_today")
        if ctx.conversation.group_id is not None:
            # everyone in the chat sees this card: the plans by number, chosen by typing;
            # the instructors' own view (where Teams refreshes it) is the picker
            ids = await _steering_ids(ctx, group)
            choices = await plans.available(group.language)
            return Outcome(replies=[Reply(card=waiting_card(group.language, ids, choices))])
        choices = await plans.available(group.language)
        return Outcome(replies=[Reply(card=choose_plan_card(group.language, choices))])
    if ctx.conversation.group_id is None:
        # outside the group's chat the buttons would not reach the day: the plain card
        return Outcome(replies=[Reply(card=agenda_card(day, agenda.now(), for_instructor=False))])
    return Outcome(replies=[Reply(card=await _view(ctx, day, group))])


async def _choose_by_text(ctx: Context, argument: str) -> Outcome | None:
    """'ohjelma 2' or 'ohjelma nuorten päivä' in the group's chat: today's plan, one message.

    None when the words name no plan and the person may not choose one, or there is one
    today already: they asked to see the programme, and get what 'agenda' alone gives.
    """
    agenda, plans = _services(ctx)
    if ctx.conversation.group_id is None:
        # a plan is chosen in the chat of the group it is for
        plan, _choices = await plans.choose(argument, ctx.language)
        if plan is None:
            return None
        if ctx.conversation.kind.is_group:
            raise NotFound("day.no_group")  # first bound to the group
        if ctx.actor.is_admin or ctx.actor.groups_as(Role.INSTRUCTOR):
            raise NotFound("plan.in_group_chat")
        raise NotAllowed("plan.not_instructor")
    group = await agenda.group_of(ctx.conversation)
    plan, choices = await plans.choose(argument, group.language)
    if not may_steer(ctx.actor, group):
        if plan is None:
            return None
        raise NotAllowed("plan.not_instructor")
    if plan is None:
        today = await agenda.today(group)
        if today is not None and today.status is not d.DayStatus.CANCELLED:
            return None
        return Outcome(replies=[Reply(text=_not_a_plan(group, argument, choices))])
    day = await agenda.plan_day(ctx.actor, ctx.conversation, plan)
    lang = group.language
    return Outcome(replies=[Reply(text=_done(day, lang), card=await _view(ctx, day, group))])


_SHOWN_NAME = 60  # of what was typed, quoted back


def _not_a_plan(group: Group, typed: str, choices: list[Plan]) -> str:
    """No plan by that number or name: which there are, and how to choose one."""
    lang = group.language
    shown = typed if len(typed) <= _SHOWN_NAME else typed[: _SHOWN_NAME - 1] + "…"
    return "\n\n".join(
        (
            f"{text(lang, 'plan.unknown', name=shown)} {text(lang, 'plan.options')}",
            numbered_plans(choices),
            text(lang, "plan.type_number"),
        )
    )


def _done(day: d.GroupDay, language: Language) -> str:
    """The plan is today's programme: its name and when it starts."""
    return text(
        language, "plan.done", plan=day.plan_name, time=clock(language, day.local(day.starts))
    )


async def choose_plan(ctx: Context, action: CardAction) -> Outcome:
    """The instructor tapped a plan: it becomes today's programme."""
    agenda, plans = _services(ctx)
    group = await agenda.group_of(ctx.conversation)
    key = action.data.get("plan", "")
    plan = await plans.find(key, group.language)
    if plan is None:
        raise NotFound("plan.unknown", name=key)
    day = await agenda.plan_day(ctx.actor, ctx.conversation, plan)
    outcome = Outcome(
        replies=[
            Reply(
                text=ctx.t(
                    "plan.done", plan=day.plan_name, time=clock(ctx.language, day.local(day.starts))
                )
            )
        ]
    )
    outcome.card_update = await _view(ctx, day, group)
    return outcome


async def steer_by_text(ctx: Context, change: Change, minutes: int) -> Outcome:
    """A typed steering command; the group hears about it through the outbox."""
    agenda, _plans = _services(ctx)
    await agenda.steer(ctx.actor, ctx.conversation, change, minutes)
    # the announcement posted to the group's chat is the answer (no second message there)
    return Outcome()


async def steer_by_card(ctx: Context, action: CardAction) -> Outcome:
    """A steering button on the agenda card."""
    agenda, _plans = _services(ctx)
    try:
        change = Change(action.data.get("change", ""))
        minutes = int(action.data.get("minutes", "0") or 0)
    except ValueError as exc:
        raise NotFound("card.stale") from exc
    group = await agenda.group_of(ctx.conversation)
    today = await agenda.today(group)
    if today is None or str(today.id) != action.data.get("day"):
        raise NotFound("card.stale")
    day = await agenda.steer(ctx.actor, ctx.conversation, change, minutes)
    return Outcome(card_update=await _view(ctx, day, group))


async def refresh(ctx: Context, action: CardAction) -> Outcome:
    """Teams refreshes the agenda card for an instructor: give them the view with buttons."""
    agenda, plans = _services(ctx)
    group = await agenda.group_of(ctx.conversation)
    day = await agenda.today(group)
    if day is not None and day.status is d.DayStatus.CANCELLED:
        day = None
    if action.data.get("plans") == PLANS_TODAY["plans"] and "day" not in action.data:
        # the card shown before a programme was chosen: the picker for instructors
        if day is not None:
            return Outcome(card_update=await _view(ctx, day, group))
        ids = await _steering_ids(ctx, group)
        choices = await plans.available(group.language)
        if may_steer(ctx.actor, group) and ctx.turn.is_invoke:
            return Outcome(card_update=choose_plan_card(group.language, choices, ids))
        return Outcome(card_update=waiting_card(group.language, ids, choices))
    if day is None or str(day.id) != action.data.get("day"):
        raise NotFound("card.stale")
    return Outcome(card_update=await _view(ctx, day, group))


async def back(ctx: Context, action: CardAction) -> Outcome:
    """A client is back from the break: count them once, show the count on the card."""
    agenda, _plans = _services(ctx)
    try:
        day_id = int(action.data.get("day", ""))
        index = int(action.data.get("item", ""))
    except ValueError as exc:
        raise NotFound("card.stale") from exc
    count = await agenda.back(ctx.actor, day_id, index, ctx.conversation)
    day = await agenda.day(day_id)
    return Outcome(card_update=back_card(day, index, count) if day is not None else None)


_DATE = re.compile(r"^(\d{1,2})\.(\d{1,2})(?:\.(\d{4})?)?$|^(\d{4})-(\d{2})-(\d{2})$")


def parse_date(word: str, today: date) -> date:
    """'3.12.', '3.12.2026' or '2026-12-03'; a day-month without a year is the next such date."""
    match = _DATE.match(word.strip())
    if not match:
        raise NotAllowed("day.bad_date")
    try:
        if match.group(4):
            return date(int(match.group(4)), int(match.group(5)), int(match.group(6)))
        day, month = int(match.group(1)), int(match.group(2))
        if match.group(3):
            return date(int(match.group(3)), month, day)
        found = date(today.year, month, day)
        return found if found >= today else date(today.year + 1, month, day)
    except ValueError as exc:
        raise NotAllowed("day.bad_date") from exc


async def cancel_day(ctx: Context, argument: str) -> Outcome:
    """'cancel day 3.12.': one planned day of the group is cancelled."""
    agenda, _plans = _services(ctx)
    group = await agenda.group_of(ctx.conversation)
    today = agenda.now().astimezone(ZoneInfo(group.timezone)).date()
    words = [w for w in argument.split() if w.casefold() not in ("to", "till", "→")]
    if len(words) != 1:
        raise NotAllowed("day.bad_date")
    on = parse_date(words[0], today)
    await agenda.cancel_day(ctx.actor, ctx.conversation, on)
    return Outcome(replies=[Reply(text=ctx.t("day.cancelled", date=date_text(ctx.language, on)))])


async def move_day(ctx: Context, argument: str) -> Outcome:
    """'move day 3.12. 4.12.': one planned day moves to another date."""
    agenda, _plans = _services(ctx)
    group = await agenda.group_of(ctx.conversation)
    today = agenda.now().astimezone(ZoneInfo(group.timezone)).date()
    words = [w for w in argument.split() if w.casefold() not in ("to", "till", "→", "-")]
    if len(words) != 2:
        raise NotAllowed("day.bad_date")
    on, to = parse_date(words[0], today), parse_date(words[1], today)
    await agenda.move_day(ctx.actor, ctx.conversation, on, to)
    text = ctx.t("day.moved", date=date_text(ctx.language, on), to=date_text(ctx.language, to))
    return Outcome(replies=[Reply(text=text)])


async def meeting(ctx: Context) -> Outcome:
    """Teams' meetingStart/meetingEnd: today's day of the bound group starts or closes."""
    agenda = ctx.services.find(AgendaService)
    if agenda is None:
        return Outcome()
    if ctx.turn.kind is TurnKind.MEETING_START:
        await agenda.meeting_started(ctx.conversation)
    else:
        await agenda.meeting_ended(ctx.conversation)
    return Outcome()


def _steer(change: Change, default: int | None = 0) -> Handler:
    async def handler(ctx: Context, argument: str) -> Outcome:
        minutes = parse_minutes(argument, default) if default != 0 else 0
        return await steer_by_text(ctx, change, minutes)

    return handler


AGENDA = Command(
    "agenda",
    show_agenda,
    fi=("ohjelma", "päivän ohjelma", "aikataulu"),
    sv=("program", "dagens program", "schema"),
    en=("agenda", "schedule", "programme"),
)
START_DAY = Command(
    "start_day",
    _steer(Change.START),
    fi=("aloita päivä",),
    sv=("starta dagen",),
    en=("start day", "start the day"),
)
EXTEND = Command(
    "extend", _steer(Change.EXTEND, 5), fi=("pidennä",), sv=("förläng",), en=("extend",)
)
SKIP = Command(
    "skip",
    _steer(Change.SKIP),
    fi=("seuraava", "ohita"),
    sv=("nästa", "hoppa över"),
    en=("skip", "next", "next item"),
)
SHIFT = Command("shift", _steer(Change.SHIFT, None), fi=("siirrä",), sv=("flytta",), en=("shift",))
LATE = Command(
    "late",
    _steer(Change.SHIFT, 10),
    fi=("myöhässä", "olemme myöhässä"),
    sv=("sena", "vi är sena"),
    en=("late", "we are late"),
)
PAUSE = Command("pause", _steer(Change.PAUSE), fi=("pysäytä",), sv=("pausa",), en=("pause",))
RESUME = Command("resume", _steer(Change.RESUME), fi=("jatka",), sv=("fortsätt",), en=("resume",))
END_DAY = Command(
    "end_day",
    _steer(Change.END),
    fi=("lopeta päivä",),
    sv=("avsluta dagen",),
    en=("end day", "end the day"),
)
CANCEL_DAY = Command(
    "cancel_day", cancel_day, fi=("peru päivä",), sv=("ställ in dagen",), en=("cancel day",)
)
MOVE_DAY = Command(
    "move_day", move_day, fi=("siirrä päivä",), sv=("flytta dagen",), en=("move day",)
)


FEATURE = Feature(
    name="agenda",
    commands=(
        AGENDA,
        *(START_DAY, EXTEND, SKIP, SHIFT, LATE, PAUSE, RESUME, END_DAY),
        CANCEL_DAY,
        MOVE_DAY,
    ),
    actions={
        AGENDA_VERB: steer_by_card,
        REFRESH_VERB: refresh,
        BACK_VERB: back,
        PLAN_VERB: choose_plan,
    },
    events={TurnKind.MEETING_START: meeting, TurnKind.MEETING_END: meeting},
    help=(
        HelpItem(40, "help.item.agenda", holding(Role.CLIENT, Role.INSTRUCTOR), (AGENDA,)),
        HelpItem(95, "help.item.choose_plan", holding(Role.INSTRUCTOR), (AGENDA,)),
        HelpItem(
            100,
            "help.item.steer",
            holding(Role.INSTRUCTOR),
            (START_DAY, EXTEND, SKIP, LATE, SHIFT, PAUSE, RESUME, END_DAY),
        ),
        HelpItem(110, "help.item.days", holding(Role.INSTRUCTOR), (CANCEL_DAY, MOVE_DAY)),
    ),
)
