"""End-of-day feedback dialogs: `palaute`, the card's taps, results, ideas and settings."""

from __future__ import annotations

from datetime import date

from cards.feedback import (
    ANONYMOUS_INPUT,
    CHANGE_VERB,
    GOOD_INPUT,
    IDEA_INPUT,
    IDEA_VERB,
    MORE_VERB,
    REMINDER_INPUT,
    SCORE_VERB,
    SETTINGS_VERB,
    SKIP_VERB,
    TOPICS_INPUT,
    toggled,
)
from cards.payload import CardAction, row_id
from dialogs.agenda import parse_date
from dialogs.context import Context
from dialogs.feature import Command, Feature, HelpItem, holding
from dialogs.groups import staff_group
from dialogs.turn import Outcome, Reply
from domain.errors import DomainError, NotAllowed, NotFound
from domain.feedback.model import Outcome as Stored
from domain.feedback.model import Settings, Trigger
from domain.feedback.service import Asked, FeedbackService
from domain.i18n import date_text, text
from domain.org import Group, Role
from domain.reach import names_with_reasons


def _service(ctx: Context) -> FeedbackService:
    return ctx.services.need(FeedbackService)


def _say(*texts: str, card: dict[str, object] | None = None) -> Outcome:
    return Outcome(replies=[Reply(text=t) for t in texts], card_update=card)


def _answer(ctx: Context, card: dict[str, object], *texts: str) -> Outcome:
    """A person's own card in place of the tapped one (an invoke answers the tapper only);
    words beside it only in their 1:1 chat (in a group chat everyone would read them)."""
    said = [] if ctx.conversation.kind.is_group else [Reply(text=t) for t in texts]
    return Outcome(replies=said, card_update=card)


def _round_id(action: CardAction) -> int:
    found = row_id(action.data.get("round", ""))
    if found is None:
        raise NotFound("feedback.unknown")
    return found


async def _group(ctx: Context, argument: str, command: Command, *, none_key: str) -> Group:
    """The group meant; when it is not clear, which groups there are, with how to name one."""
    service = _service(ctx)
    bound = None
    if ctx.conversation.group_id is not None and not argument:
        bound = await service.bound_group(ctx.conversation)
    return await staff_group(
        ctx,
        argument,
        bound,
        none_key=none_key,
        choose_key="feedback.choose_group_text",
        command=command.words(ctx.language)[0],
    )


async def _to_own_chat(ctx: Context, what: str, group: Group, card: dict[str, object]) -> Outcome:
    """Staff views asked for in a group chat go to the asker's 1:1 chat, never to the group."""
    if not ctx.conversation.kind.is_group:
        return Outcome(replies=[Reply(card=card)])
    service = _service(ctx)
    asked = ctx.turn.activity_id or service.now().isoformat()
    key = f"feedback:{what}:{group.id}:{ctx.actor.person_id}:{asked}"
    if not await service.send_privately(ctx.actor.person, ctx.conversation, key, card):
        raise DomainError("feedback.unreachable_you")
    return _say(ctx.t("feedback.sent_privately"))


# --- asking ------------------------------------------------------------------------------


async def ask(ctx: Context, argument: str) -> Outcome:
    """`palaute` / `respons` / `feedback`.

    The group's instructors: the card goes privately to everyone present today. Anyone else:
    their own card for today (in their 1:1 chat), or where to find it.
    """
    service = _service(ctx)
    staff = ctx.actor.roles & {Role.INSTRUCTOR, Role.ADMIN}
    if not staff:
        return await _own(ctx)
    group = await _group(ctx, argument, FEEDBACK, none_key="feedback.not_allowed")
    conversation = await service.group_conversation(group)
    asked = await service.ask(ctx.actor, conversation, Trigger.COMMAND)
    assert asked is not None
    replies = []
    if asked.present == 0:
        replies.append(ctx.t("feedback.asked_none"))
    elif asked.sent == 0 and not asked.unreachable:
        replies.append(ctx.t("feedback.asked_already", count=asked.already))
    else:
        replies.append(ctx.t("feedback.asked", count=asked.sent))
    count = len(asked.unreachable)
    if asked.unreachable and ctx.conversation.kind.is_group:
        # the whole group reads this: a count, never names; the names and the reasons go to
        # the instructor's own chat
        key = "feedback.unreachable_count"
        if await _tell_unreached(ctx, group, asked):
            key = "feedback.unreachable_sent"
        replies.append(ctx.t(key, count=count))
    elif asked.unreachable:
        names = names_with_reasons(ctx.language, asked.unreachable)
        replies.append(ctx.t("feedback.unreachable", count=count, names=names))
    return _say(*replies)


async def _tell_unreached(ctx: Context, group: Group, asked: Asked) -> bool:
    """Who the card did not reach privately, and why, in the instructor's 1:1 chat."""
    service = _service(ctx)
    language = ctx.actor.person.speaks(group.language)
    said = text(
        language,
        "feedback.unreachable_group",
        group=group.name,
        names=names_with_reasons(language, asked.unreachable),
    )
    at = ctx.turn.activity_id or service.now().isoformat()
    key = f"feedback:{asked.round.id}:unreached:{ctx.actor.person_id}:{at}"
    return await service.send_privately(ctx.actor.person, ctx.conversation, key, None, said)


async def _own(ctx: Context) -> Outcome:
    service = _service(ctx)
    if ctx.conversation.kind.is_group:
        return _say(ctx.t("feedback.in_own_chat"))
    groups = ctx.actor.groups_as(Role.CLIENT)
    for group in groups:
        card = await service.own_card(ctx.actor, group)
        if card is not None:
            return Outcome(replies=[Reply(card=card)])
    return _say(ctx.t("feedback.not_asked"))


# --- the card's taps -----------------------------------------------------------------------


async def score(ctx: Context, action: CardAction) -> Outcome:
    """One tap on 1–6 (with the anonymity toggle's value)."""
    service = _service(ctx)
    value = action.data.get("score", "")
    number = int(value) if value.isascii() and value.isdigit() and len(value) == 1 else 0
    tapped = await service.score(
        ctx.actor,
        _round_id(action),
        number,
        toggled(action.data.get(ANONYMOUS_INPUT)),
        ctx.conversation,
    )
    cards = service.cards
    if tapped.more is not None:
        return _answer(ctx, cards.more(tapped.more))
    assert tapped.thanks is not None
    said = (
        [ctx.t("feedback.anonymous_already")] if tapped.outcome is Stored.ANONYMOUS_ALREADY else []
    )
    return _answer(ctx, cards.thanks(tapped.thanks), *said)


async def more(ctx: Context, action: CardAction) -> Outcome:
    """The optional words: what was good, an idea, the picked topics."""
    service = _service(ctx)
    sent = await service.words(
        ctx.actor,
        _round_id(action),
        ctx.conversation,
        good=action.data.get(GOOD_INPUT),
        idea=action.data.get(IDEA_INPUT),
        topics=action.data.get(TOPICS_INPUT),
    )
    said = []
    if sent.outcome is Stored.ANONYMOUS_ALREADY:
        said.append(ctx.t("feedback.words_already"))
    if sent.cut:
        said.append(ctx.t("feedback.cut"))
    return _answer(ctx, service.cards.thanks(sent.thanks), *said)


async def skip(ctx: Context, action: CardAction) -> Outcome:
    """ "That's all": the thanks card."""
    service = _service(ctx)
    thanks = await service.done(ctx.actor, _round_id(action), ctx.conversation)
    return _answer(ctx, service.cards.thanks(thanks))


async def change(ctx: Context, action: CardAction) -> Outcome:
    """ "Change my answer": the six buttons again."""
    service = _service(ctx)
    return _answer(ctx, await service.change(ctx.actor, _round_id(action), ctx.conversation))


# --- for instructors ---------------------------------------------------------------------


def _day(argument: str, today: date) -> tuple[str, date | None]:
    """A date at the end of what was typed ("12.3." or "12.3.2026"), and the rest."""
    words = argument.split()
    if words:
        try:
            return " ".join(words[:-1]), parse_date(words[-1], today)
        except NotAllowed:
            pass
    return argument, None


async def _card_group(ctx: Context, action: CardAction, unknown: str) -> Group:
    """The group a staff card's button names. The ideas list and the settings card are only
    ever sent to a 1:1 chat: redrawn in a group chat, everyone would see them."""
    group_id = row_id(action.data.get("group", ""))
    if group_id is None:
        raise NotFound(unknown)
    group = await _service(ctx).group(group_id)
    if ctx.conversation.kind.is_group:
        raise NotFound(unknown)
    return group


def _staff_only(ctx: Context) -> None:
    """Results and ideas are for the staff who see a group's record (the domain checks which
    group); anyone else is refused before a group name they typed is looked up."""
    if not ctx.actor.roles & {Role.INSTRUCTOR, Role.COORDINATOR, Role.ADMIN}:
        raise NotAllowed("feedback.results.not_allowed")


async def results(ctx: Context, argument: str) -> Outcome:
    """`palautteen tulokset` [group] [date]: the group's day, to the asker privately."""
    service = _service(ctx)
    _staff_only(ctx)
    rest, on = argument, None
    if argument:
        rest, on = _day(argument, service.now().date())
    group = await _group(ctx, rest, RESULTS, none_key="feedback.results.not_allowed")
    view = await service.results(ctx.actor, group, ctx.personal_language, on)
    return await _to_own_chat(ctx, "results", group, service.cards.results(view))


async def ideas(ctx: Context, argument: str) -> Outcome:
    """`ideat` [group]: the group's topic ideas over time."""
    service = _service(ctx)
    _staff_only(ctx)
    group = await _group(ctx, argument, IDEAS, none_key="feedback.results.not_allowed")
    view = await service.ideas(ctx.actor, group, ctx.personal_language)
    return await _to_own_chat(ctx, "ideas", group, service.cards.ideas(view))


async def idea(ctx: Context, action: CardAction) -> Outcome:
    """An idea marked used (or not), or put in the next day's plan; the list redrawn."""
    service = _service(ctx)
    group = await _card_group(ctx, action, "feedback.idea.unknown")
    found, key = await service.mark_idea(
        ctx.actor, group, action.data.get("idea", ""), action.data.get("do", "")
    )
    view = await service.ideas(ctx.actor, group, ctx.language)
    title = found.text
    if found.kind.value == "topic":
        title = ctx.t(f"feedback.topic.{found.text}")
    planned = next((i.planned_for for i in view.ideas if i.key == found.key), None)
    when = date_text(ctx.language, planned) if planned else ""
    return _say(ctx.t(key, title=title, date=when), card=service.cards.ideas(view))


async def settings(ctx: Context, argument: str) -> Outcome:
    """`palauteasetukset`: the group's two settings, for its instructors."""
    service = _service(ctx)
    group = await _group(ctx, argument, SETTINGS, none_key="feedback.not_allowed")
    view = await service.settings(ctx.actor, group, ctx.personal_language)
    return await _to_own_chat(ctx, "settings", group, service.cards.settings(view))


async def save_settings(ctx: Context, action: CardAction) -> Outcome:
    """The settings card's Save."""
    service = _service(ctx)
    group = await _card_group(ctx, action, "feedback.unknown")
    wanted = Settings(
        anonymous=toggled(action.data.get(ANONYMOUS_INPUT)) is True,
        reminder=toggled(action.data.get(REMINDER_INPUT)) is True,
    )
    await service.save_settings(ctx.actor, group, wanted)
    view = await service.settings(ctx.actor, group, ctx.language)
    return _say(ctx.t("feedback.settings.saved"), card=service.cards.settings(view))


FEEDBACK = Command(
    "feedback",
    ask,
    fi=("palaute", "anna palaute", "palautekysely"),
    sv=("respons", "ge respons"),
    en=("feedback", "give feedback"),
)
RESULTS = Command(
    "feedback_results",
    results,
    fi=("palautteen tulokset", "palaute tulokset", "palautetulokset", "palautteet", "tulokset"),
    sv=("responsresultat", "responsens resultat", "respons resultat", "resultat"),
    en=("feedback results", "results"),
)
IDEAS = Command("ideas", ideas, fi=("ideat", "aiheideat"), sv=("idéer",), en=("ideas",))
SETTINGS = Command(
    "feedback_settings",
    settings,
    fi=("palauteasetukset",),
    sv=("responsinställningar",),
    en=("feedback settings",),
)


FEATURE = Feature(
    name="feedback",
    commands=(FEEDBACK, RESULTS, IDEAS, SETTINGS),
    actions={
        SCORE_VERB: score,
        MORE_VERB: more,
        SKIP_VERB: skip,
        CHANGE_VERB: change,
        IDEA_VERB: idea,
        SETTINGS_VERB: save_settings,
    },
    # a score tapped again (or delivered again by Teams) stores nothing more and gets the same
    # card; "that's all" and "change my answer" only read. Words go through the inbox.
    idempotent=frozenset({SCORE_VERB, SKIP_VERB, CHANGE_VERB}),
    help=(
        HelpItem(65, "feedback.help.client", holding(Role.CLIENT), (FEEDBACK,)),
        HelpItem(
            85,
            "feedback.help",
            holding(Role.INSTRUCTOR),
            (FEEDBACK, RESULTS, IDEAS, SETTINGS),
        ),
    ),
)
