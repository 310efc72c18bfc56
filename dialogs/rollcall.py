"""Roll-call and attendance dialogs: commands and card verbs to the RollCallService."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

from cards.payload import CardAction, row_id
from cards.rollcall import (
    CANCEL_VERB,
    CLOSE_VERB,
    HERE_VERB,
    HISTORY_VERB,
    LIST_VERB,
    NOTE_INPUT,
    PROBLEM_VERB,
    REFRESH_VERB,
    REMIND_VERB,
    SAVE_VERB,
    RollCallCardRenderer,
    clock,
    parse_choice,
    shown_choice,
)
from dialogs import tutorial as tutorial_dialogs
from dialogs.commands import plain
from dialogs.context import Context, say
from dialogs.feature import Command, Feature, HelpItem, Understanding, holding
from dialogs.groups import staff_group
from dialogs.turn import Outcome, Reply, card_in_place
from domain.errors import DomainError, NotAllowed, NotFound
from domain.i18n import text
from domain.org import Group, Role
from domain.reach import NotReached, names_with_reasons
from domain.reconcile import ReconcileService, Suggestion
from domain.rollcall.model import Reason, RollCall, Status
from domain.rollcall.service import RollCallService
from domain.rollcall.views import ClientView


def _service(ctx: Context) -> RollCallService:
    return ctx.services.need(RollCallService)


def _cards(ctx: Context) -> RollCallCardRenderer:
    cards = _service(ctx).cards
    assert isinstance(cards, RollCallCardRenderer)
    return cards


def _say(*texts: str, card_update: dict[str, object] | None = None) -> Outcome:
    return Outcome(replies=[Reply(text=t) for t in texts], card_update=card_update)


def _aad(ctx: Context) -> str | None:
    return ctx.turn.user.aad_object_id or ctx.actor.person.aad_object_id


async def _roll_call(
    ctx: Context, action: CardAction, *, staff: bool = True
) -> tuple[RollCall, Group]:
    """The roll call a card names, if this turn may reach it (else NotFound).

    staff: a verb of the instructors' view or the attendance list (reachable by the group's
    staff from their 1:1 chat); False for the clients' own buttons.
    """
    roll_call_id = row_id(action.data.get("rollcall", ""))
    if roll_call_id is None:
        raise NotFound("rollcall.unknown")
    roll_call, group = await _service(ctx).roll_call(roll_call_id)
    _service(ctx).check_reach(ctx.actor, roll_call, group, ctx.conversation, staff=staff)
    return roll_call, group


# --- the group conversation --------------------------------------------------------------


def _where_roll_calls_run(ctx: Context) -> Outcome:
    """Asked in a 1:1 chat: no dead end, say where a roll call runs and who runs it."""
    runs = ctx.actor.roles & {Role.INSTRUCTOR, Role.COORDINATOR, Role.ADMIN}
    return _say(
        ctx.t("rollcall.personal_chat.instructor" if runs else "rollcall.personal_chat.client")
    )


async def start(ctx: Context, _argument: str) -> Outcome:
    """`roll call` / `nimenhuuto` / `upprop`: open one (its card comes through the outbox).

    A client who writes it in their 1:1 chat while their group's roll call is open gets their
    own check-in card there (as a reminder would bring it); otherwise where roll calls run.
    """
    if not ctx.conversation.kind.is_group:
        service = _service(ctx)
        found = await _open_for(ctx, service)
        if found is not None and not service.runs_by_role(ctx.actor, found[1]):
            roll_call, group = found
            shared = await service.shared(roll_call, group)
            mark = await service.own_mark(roll_call, ctx.actor)
            card = _cards(ctx).client(ClientView(shared, mark, ctx.language))
            return Outcome(replies=[Reply(card=card)])
        return _where_roll_calls_run(ctx)
    _, opened = await _service(ctx).start(ctx.actor, ctx.conversation, _aad(ctx))
    return Outcome() if opened else _say(ctx.t("rollcall.already_open"))


async def here(ctx: Context, action: CardAction) -> Outcome:
    """ "I'm here": the tapper's own view replaces the card for them only (invoke response)."""
    service = _service(ctx)
    roll_call_id = row_id(action.data.get("rollcall", ""))
    if roll_call_id is None:
        raise NotFound("rollcall.unknown")
    roll_call, group = await service.roll_call_for_tap(roll_call_id)
    service.check_reach(ctx.actor, roll_call, group, ctx.conversation)
    # stored roles only: asking Teams for every client's meeting role would slow each tap
    if service.runs_by_role(ctx.actor, group):
        roll_call, group = await service.roll_call(roll_call_id)
        view = await service.instructor_view(roll_call, group, ctx.language)
        return _private_update(ctx, _cards(ctx).instructor(view))
    client = await service.tap(ctx.actor, roll_call.id or 0, ctx.language, (roll_call, group))
    return _private_update(ctx, _cards(ctx).client(client))


def _private_update(ctx: Context, card: dict[str, object]) -> Outcome:
    """A user-specific card: as an invoke response, or in a 1:1 chat; never for a whole group."""
    if ctx.turn.is_invoke or not ctx.conversation.kind.is_group:
        return Outcome(card_update=card)
    return Outcome()


async def refresh(ctx: Context, action: CardAction) -> Outcome:
    """Teams asks for a person's view: instructors get the names, others their own status."""
    service = _service(ctx)
    roll_call, group = await _roll_call(ctx, action, staff=False)
    if await service.may_run(ctx.actor, group, ctx.conversation, _aad(ctx)):
        view = await service.instructor_view(roll_call, group, ctx.language)
        return _private_update(ctx, _cards(ctx).instructor(view))
    shared = await service.shared(roll_call, group)
    mark = await service.own_mark(roll_call, ctx.actor)
    return _private_update(ctx, _cards(ctx).client(ClientView(shared, mark, ctx.language)))


async def problem(ctx: Context, action: CardAction) -> Outcome:
    """ "A problem with sound or picture": marked here, the guide, and the instructors told.

    The guide comes as a card in a 1:1 chat (the reminder), privately from a group chat; the
    person is answered in words either way, and the instructors hear whether the guide reached
    them.
    """
    roll_call, group = await _roll_call(ctx, action, staff=False)
    delivered, guide = await tutorial_dialogs.guide(ctx, note="tutorial.note.problem")
    told = await _service(ctx).problem(ctx.actor, roll_call, group, guide_sent=delivered)
    if not ctx.conversation.kind.is_group:
        key = "rollcall.problem.here" if told else "rollcall.problem.here_untold"
        return Outcome(replies=[Reply(text=ctx.t(key)), *guide])
    if delivered and told:
        return _say(ctx.t("rollcall.problem.sent"))
    if told:
        return Outcome(replies=[*guide, Reply(text=ctx.t("rollcall.problem.told"))])
    return Outcome(replies=guide)


async def _instructor_update(ctx: Context, roll_call_id: int, *texts: str) -> Outcome:
    roll_call, group = await _service(ctx).roll_call(roll_call_id)
    view = await _service(ctx).instructor_view(roll_call, group, ctx.language)
    update = _cards(ctx).instructor(view) if ctx.turn.is_invoke else None
    return _say(*texts, card_update=update)


async def close(ctx: Context, action: CardAction) -> Outcome:
    """The instructor view's "Close the roll call"."""
    roll_call, group = await _roll_call(ctx, action)
    return await _close(ctx, roll_call, group)


async def close_by_text(ctx: Context, _argument: str) -> Outcome:
    """`close roll call` / `sulje nimenhuuto` / `stäng uppropet` in the group conversation."""
    if not ctx.conversation.kind.is_group:
        return _where_roll_calls_run(ctx)
    roll_call, group = await _service(ctx).current(ctx.conversation)
    return await _close(ctx, roll_call, group)


async def _close(ctx: Context, roll_call: RollCall, group: Group) -> Outcome:
    absent = await _service(ctx).close(ctx.actor, roll_call, group, ctx.conversation, _aad(ctx))
    said = (
        ctx.t("rollcall.already_closed")
        if absent is None
        else ctx.t("rollcall.closed_now", n=len(absent))
    )
    return await _instructor_update(ctx, roll_call.id or 0, said)


async def cancel(ctx: Context, action: CardAction) -> Outcome:
    """The instructor view's "Cancel the roll call" (opened by mistake)."""
    roll_call, group = await _roll_call(ctx, action)
    return await _cancel(ctx, roll_call, group)


async def cancel_by_text(ctx: Context, _argument: str) -> Outcome:
    """`cancel roll call` / `peru nimenhuuto` / `avbryt uppropet`: today's latest roll call."""
    roll_call, group = await _service(ctx).current(ctx.conversation)
    return await _cancel(ctx, roll_call, group)


async def _cancel(ctx: Context, roll_call: RollCall, group: Group) -> Outcome:
    done = await _service(ctx).cancel(ctx.actor, roll_call, group, ctx.conversation, _aad(ctx))
    said = ctx.t("rollcall.cancelled_now" if done else "rollcall.cancelled_already")
    return await _instructor_update(ctx, roll_call.id or 0, said)


async def remind(ctx: Context, action: CardAction) -> Outcome:
    """The instructor view's "Remind the missing"."""
    roll_call, group = await _roll_call(ctx, action)
    return await _remind(ctx, roll_call, group)


async def remind_by_text(ctx: Context, _argument: str) -> Outcome:
    """`remind the missing` / `muistuta puuttuvia` / `påminn de som saknas`."""
    if not ctx.conversation.kind.is_group:
        return _where_roll_calls_run(ctx)
    roll_call, group = await _service(ctx).current(ctx.conversation)
    return await _remind(ctx, roll_call, group)


async def _remind(ctx: Context, roll_call: RollCall, group: Group) -> Outcome:
    done = await _service(ctx).remind(ctx.actor, roll_call, group, ctx.conversation, _aad(ctx))
    texts = [ctx.t("rollcall.reminded", count=done.sent, already=done.already)]
    count = len(done.unreachable)
    if done.unreachable and ctx.conversation.kind.is_group:
        # the whole group reads this: a count, never clients' names; the names and the reasons
        # go to the instructor's own chat
        key = "rollcall.reminded.unreachable_count"
        if await _tell_unreached(ctx, roll_call, group, done.unreachable):
            key = "rollcall.reminded.unreachable_sent"
        texts.append(ctx.t(key, count=count))
    elif done.unreachable:
        names = names_with_reasons(ctx.language, done.unreachable)
        texts.append(ctx.t("rollcall.reminded.unreachable", names=names))
    if done.notified:
        texts.append(ctx.t("rollcall.reminded.notified", count=done.notified))
    return await _instructor_update(ctx, roll_call.id or 0, " ".join(texts))


async def _tell_unreached(
    ctx: Context, roll_call: RollCall, group: Group, unreached: tuple[NotReached, ...]
) -> bool:
    """Who the reminder did not reach, and why, in the instructor's 1:1 chat (their language)."""
    language = ctx.actor.person.speaks(group.language)
    said = text(
        language,
        "rollcall.reminded.unreachable_group",
        group=group.name,
        names=names_with_reasons(language, unreached),
    )
    asked = ctx.turn.activity_id or _service(ctx).now().isoformat()
    key = f"rollcall:{roll_call.id}:unreached:{ctx.actor.person_id}:{asked}"
    sent = await _service(ctx).send_privately(ctx.actor.person, ctx.conversation, key, None, said)
    return sent is not None


async def leave(ctx: Context, _argument: str) -> Outcome:
    """`I'm leaving now` / `lähden nyt` / `jag går nu`: today's check-out."""
    group, at, recorded = await _service(ctx).leave(ctx.actor, ctx.conversation)
    time = clock(ctx.language, at, ZoneInfo(group.timezone))
    return _say(ctx.t("rollcall.leave.done" if recorded else "rollcall.leave.already", time=time))


# --- "olen paikalla" written instead of tapped ---------------------------------------------

CHECK_IN = frozenset(
    plain(p)
    for p in (
        "olen paikalla",
        "paikalla",
        "paikalla ollaan",
        "oon paikalla",
        "mä oon paikalla",
        "olen täällä",
        "täällä",
        "täällä ollaan",
        "oon täällä",
        "mä oon täällä",
        "olen läsnä",
        "läsnä",
        "olen tässä",
        "tässä",
        "tässä ollaan",
        "jag är här",
        "här",
        "här är jag",
        "närvarande",
        "jag är närvarande",
        "i'm here",
        "im here",
        "i am here",
        "here",
        "present",
        "i'm present",
    )
)
# a greeting before the check-in ("moi, olen täällä") is still a check-in
GREETING_WORDS = frozenset(
    ("moi", "moikka", "hei", "terve", "huomenta", "moro", "hej", "hejsan", "hi", "hello", "hey")
)


def is_check_in(typed: str) -> bool:
    """ "olen paikalla", "här", "I'm here" — alone or after a greeting."""
    words = plain(typed).split()
    while len(words) > 1 and words[0] in GREETING_WORDS:
        words = words[1:]
    return " ".join(words) in CHECK_IN


async def _open_for(ctx: Context, service: RollCallService) -> tuple[RollCall, Group] | None:
    """The open roll call a check-in written here is for: this group chat's, or in a 1:1 chat
    the one open roll call of the person's groups (None when there is none, or several)."""
    if ctx.conversation.kind.is_group:
        groups: tuple[Group, ...] = (ctx.group,) if ctx.group is not None else ()
    else:
        groups = ctx.actor.groups_as(Role.CLIENT)
    found = []
    for group in groups:
        roll_call = await service.open_in(group)
        if roll_call is not None:
            found.append((roll_call, group))
    return found[0] if len(found) == 1 else None


async def check_in(ctx: Context, typed: str) -> Outcome | None:
    """ "olen paikalla" during an open roll call: the same as tapping "I'm here".

    In a group chat the person's own view goes to their 1:1 chat (the group is not answered);
    with no roll call open, a 1:1 chat (or an @mention) is told how it works.
    """
    service = ctx.services.find(RollCallService)
    if service is None or not is_check_in(typed):
        return None
    found = await _open_for(ctx, service)
    if found is None:
        return say(ctx.t("checkin.none_open")) if ctx.turn.addressed else Outcome()
    roll_call, group = found
    if service.runs_by_role(ctx.actor, group):
        return None  # an instructor saying "here" is not checking in
    service.check_reach(ctx.actor, roll_call, group, ctx.conversation)
    client = await service.tap(ctx.actor, roll_call.id or 0, ctx.language, found)
    card = _cards(ctx).client(client)
    if not ctx.conversation.kind.is_group:
        return Outcome(replies=[Reply(card=card)])
    asked = ctx.turn.activity_id or service.now().isoformat()
    key = f"checkin:{roll_call.id}:{ctx.actor.person_id}:{asked}"
    if await service.send_privately(ctx.actor.person, ctx.conversation, key, card) is None:
        return say(ctx.t("checkin.done"))
    return Outcome()


# --- the attendance list -----------------------------------------------------------------


async def suggestions(ctx: Context, group: Group, day: date) -> tuple[Suggestion, ...]:
    """What Teams' attendance report suggests for the day (nothing without it)."""
    reconcile = ctx.services.find(ReconcileService)
    return await reconcile.suggestions(group, day) if reconcile is not None else ()


async def attendance(ctx: Context, argument: str) -> Outcome:
    """`attendance` / `läsnäolo` / `närvaro`: today's list, privately, for staff."""
    service = _service(ctx)
    group = await _attendance_group(ctx, argument)
    # the list is the asker's own (sent to their 1:1 chat from a group chat): their language
    view = await service.attendance(ctx.actor, group, ctx.personal_language)
    latest = view.roll_calls[-1] if view.roll_calls else None
    card = _cards(ctx).attendance(view, latest, await suggestions(ctx, group, view.day))
    if not ctx.conversation.kind.is_group:
        return Outcome(replies=[Reply(card=card)])
    asked = ctx.turn.activity_id or service.now().isoformat()
    key = f"attendance:{group.id}:{ctx.actor.person_id}:{asked}"
    sent = await service.send_privately(ctx.actor.person, ctx.conversation, key, card)
    if sent is None:
        raise DomainError("attendance.unreachable")
    return _say(ctx.t("attendance.sent"))


async def _attendance_group(ctx: Context, argument: str) -> Group:
    bound = None
    if ctx.conversation.group_id is not None and not argument:
        bound = await _service(ctx).bound_group(ctx.conversation)
    return await staff_group(
        ctx,
        argument,
        bound,
        none_key="attendance.not_allowed",
        choose_key="attendance.choose_group_text",
    )


async def show(ctx: Context, action: CardAction) -> Outcome:
    """Another roll call of the day on the attendance list (or back from the history)."""
    roll_call, group = await _roll_call(ctx, action)
    view = await _service(ctx).attendance(ctx.actor, group, ctx.language, roll_call.day)
    card = _cards(ctx).attendance(view, roll_call, await suggestions(ctx, group, view.day))
    return card_in_place(ctx.turn, card)


async def history(ctx: Context, action: CardAction) -> Outcome:
    """The day's change history."""
    roll_call, group = await _roll_call(ctx, action)
    view = await _service(ctx).attendance(ctx.actor, group, ctx.language, roll_call.day)
    card = _cards(ctx).history(view, roll_call)
    return card_in_place(ctx.turn, card)


async def _left_by_report(
    ctx: Context, group: Group, roll_call: RollCall, person_id: int
) -> datetime | None:
    """When Teams' attendance report saw the person leave, if it suggests they left early
    (read from the stored report, never from the card)."""
    reconcile = ctx.services.find(ReconcileService)
    if reconcile is None:
        return None
    found = await reconcile.suggestion_for(group, roll_call.day, person_id)
    if found is None or found.suggested is not Status.LEFT_EARLY:
        return None
    return found.left_at


async def save(ctx: Context, action: CardAction) -> Outcome:
    """ "Save the changes" on the attendance list: each changed choice is one audited change."""
    service = _service(ctx)
    roll_call, group = await _roll_call(ctx, action)
    view = await service.attendance(ctx.actor, group, ctx.language, roll_call.day)
    index = view.roll_calls.index(roll_call) if roll_call in view.roll_calls else None
    current = {
        line.person.id: (line.marks[index] if index is not None else None, line.record.left_early)
        for line in view.people
    }
    # first what would change; nothing is written unless every change can be (with a reason)
    undo: list[tuple[int, Status]] = []
    set_to: list[tuple[int, Status, Reason | None]] = []
    for key, value in action.data.items():
        if not key.startswith("p") or not key[1:].isdigit() or not value:
            continue
        person_id = int(key[1:])
        chosen = parse_choice(str(value))
        if chosen is None or person_id not in current:
            continue
        status, reason = chosen
        mark, left = current[person_id]
        if status is Status.LEFT_EARLY and left:
            continue
        # someone left early who gets another status: the check-out was a mistake and goes
        if left:
            undo.append((person_id, status))
        if mark is not None and shown_choice(mark.status, mark.reason) == value:
            continue  # untouched (a problem noted on a present mark stays)
        set_to.append((person_id, status, reason))
    changed = 0
    note: str | None = None
    if (undo or set_to) and not view.editable:
        raise NotAllowed("rollcall.not_allowed")
    if undo or set_to:
        raw_note = action.data.get(NOTE_INPUT)
        note = str(raw_note) if isinstance(raw_note, str | int | float) else None
        service.need_note(note)
        if roll_call.is_cancelled:
            raise DomainError("rollcall.cancelled_already")
    for person_id, status in undo:
        if await service.undo_checkout(ctx.actor, roll_call, group, person_id, status, note):
            changed += 1
    for person_id, status, reason in set_to:
        left_at = None
        if status is Status.LEFT_EARLY:
            left_at = await _left_by_report(ctx, group, roll_call, person_id)
        if await service.correct(
            ctx.actor, roll_call, group, person_id, status, reason, note, left_at=left_at
        ):
            changed += 1
    view = await service.attendance(ctx.actor, group, ctx.language, roll_call.day)
    card = _cards(ctx).attendance(view, roll_call, await suggestions(ctx, group, view.day))
    said = ctx.t("attendance.saved", count=changed) if changed else ctx.t("attendance.saved.none")
    return _say(said, card_update=card)


ROLL_CALL = Command(
    "roll_call",
    start,
    fi=("nimenhuuto", "aloita nimenhuuto"),
    sv=("upprop", "starta uppropet"),
    en=("roll call", "rollcall", "check-in", "check in"),
)
CLOSE_ROLL_CALL = Command(
    "close_roll_call",
    close_by_text,
    fi=("sulje nimenhuuto",),
    sv=("stäng uppropet", "stäng upprop"),
    en=("close roll call", "close the roll call"),
)
CANCEL_ROLL_CALL = Command(
    "cancel_roll_call",
    cancel_by_text,
    fi=("peru nimenhuuto", "peruuta nimenhuuto"),
    sv=("avbryt uppropet", "avbryt upprop"),
    en=("cancel roll call", "cancel the roll call"),
)
REMIND = Command(
    "remind",
    remind_by_text,
    fi=("muistuta puuttuvia", "muistuta"),
    sv=("påminn de som saknas", "påminn"),
    en=("remind the missing", "remind missing"),
)
ATTENDANCE = Command(
    "attendance",
    attendance,
    fi=("läsnäolo", "läsnäololista"),
    sv=("närvaro", "närvarolista"),
    en=("attendance",),
)
LEAVE = Command(
    "leave",
    leave,
    fi=("lähden nyt", "lähden"),
    sv=("jag går nu", "jag går"),
    en=("i'm leaving now", "i am leaving now", "i'm leaving", "leaving now"),
)


FEATURE = Feature(
    name="rollcall",
    commands=(ROLL_CALL, CLOSE_ROLL_CALL, CANCEL_ROLL_CALL, REMIND, ATTENDANCE, LEAVE),
    actions={
        HERE_VERB: here,
        PROBLEM_VERB: problem,
        REFRESH_VERB: refresh,
        CLOSE_VERB: close,
        CANCEL_VERB: cancel,
        REMIND_VERB: remind,
        LIST_VERB: show,
        HISTORY_VERB: history,
        SAVE_VERB: save,
    },
    # a check-in recorded twice is still one mark, and a refresh only reads
    idempotent=frozenset({HERE_VERB, REFRESH_VERB}),
    understand=(Understanding(30, check_in),),
    help=(
        HelpItem(60, "help.item.leave", holding(Role.CLIENT), (LEAVE,)),
        HelpItem(
            80,
            "help.item.rollcall",
            holding(Role.INSTRUCTOR),
            (ROLL_CALL, CLOSE_ROLL_CALL, CANCEL_ROLL_CALL, REMIND, ATTENDANCE),
        ),
    ),
)
