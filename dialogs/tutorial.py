"""Tutorial and help-request dialogs: text commands and card buttons to the TutorialService."""

from __future__ import annotations

from cards.payload import CardAction, row_id
from cards.tutorial import (
    ASK_VERB,
    GO_VERB,
    RESOLVE_VERB,
    SEND_VERB,
    START_VERB,
    TAKE_VERB,
    TutorialCardRenderer,
)
from dialogs.context import Context
from dialogs.feature import Command, Feature, HelpItem, Understanding, always, holding
from dialogs.turn import Outcome, Reply, card_in_place
from domain.org import Role
from domain.tutorial import problems
from domain.tutorial.content import Device
from domain.tutorial.flow import Event, device_for_platform
from domain.tutorial.service import SendResult, TakeResult, TutorialService, View

SHOW = "show"


def _service(ctx: Context) -> TutorialService:
    return ctx.services.need(TutorialService)


def _renderer(ctx: Context) -> TutorialCardRenderer:
    cards = _service(ctx).cards
    assert isinstance(cards, TutorialCardRenderer)
    return cards


def _card(ctx: Context, view: View) -> Outcome:
    return Outcome(replies=[Reply(card=_renderer(ctx).tutorial(view))])


async def start(ctx: Context, _argument: str = "") -> Outcome:
    """`tutorial` / `opastus` / `guide`: the guide in a 1:1 chat, where the person left off."""
    _, replies = await guide(ctx)
    return Outcome(replies=replies)


async def guide(ctx: Context, note: str | None = None) -> tuple[bool, list[Reply]]:
    """The guide for this person, and whether it reached them (or is queued for them).

    In a 1:1 chat it is a card in the answer; from a group chat it goes to their 1:1 chat and
    the answer says so (or how to get it when they cannot be reached). note: a catalog key
    shown at the top of the card, saying why it came.
    """
    service = _service(ctx)
    platform = device_for_platform(ctx.turn.platform)
    if not ctx.conversation.kind.is_group:
        view = await service.begin(ctx.actor, ctx.language, platform_device=platform, note=note)
        return True, [Reply(card=_renderer(ctx).tutorial(view))]
    # the guide goes to the person's own chat: in their language, not the group's
    result = await service.start_privately(
        ctx.actor, ctx.personal_language, ctx.conversation, platform, note=note
    )
    if result is SendResult.UNREACHABLE:
        url = _renderer(ctx).page_url(ctx.language)
        return False, [Reply(text=ctx.t("tutorial.group.unreachable", url=url))]
    return True, [Reply(text=ctx.t("tutorial.group.sent"))]


async def guide_for_clients(ctx: Context) -> list[Reply]:
    """After the help lines a client (and only a client) gets the guide too."""
    if ctx.actor.roles != {Role.CLIENT} or ctx.services.find(TutorialService) is None:
        return []
    return (await start(ctx)).replies


async def start_button(ctx: Context, _action: CardAction) -> Outcome:
    """ "I have a problem with sound or picture" on a group card: the guide, privately."""
    return await start(ctx)


async def go(ctx: Context, action: CardAction) -> Outcome:
    """A button on a tutorial card; the tapped card is replaced by where the person is now."""
    service = _service(ctx)
    raw_event = action.data.get("e", "")
    event: Event | None
    if raw_event == SHOW:
        event = None
    else:
        try:
            event = Event(raw_event)
        except ValueError:
            return Outcome(replies=[Reply(text=ctx.t("card.stale"))])
    device: Device | None = None
    if "d" in action.data:
        try:
            device = Device(action.data["d"])
        except ValueError:
            return Outcome(replies=[Reply(text=ctx.t("card.stale"))])
    view = await service.act(ctx.actor, ctx.language, action.data.get("t", ""), event, device)
    card = _renderer(ctx).tutorial(view)
    return card_in_place(ctx.turn, card)


async def ask(ctx: Context, action: CardAction) -> Outcome:
    """ "Ask the instructor", one tap from any tutorial card or chat answer (data may be empty).

    The instructors of the person's group are called once however often it is tapped; on a
    tutorial card the card shows where the person is now, elsewhere the answer says in words
    what happened (asked, asked already, or whom to call when there is no group).
    """
    platform = device_for_platform(ctx.turn.platform)
    view = await _service(ctx).ask(ctx.actor, ctx.language, platform_device=platform)
    said = ctx.t(view.note or "tutorial.note.asked", **view.note_params)
    from_guide = "t" in action.data and not ctx.conversation.kind.is_group
    if from_guide and (ctx.turn.is_invoke or ctx.turn.reply_to_id):
        return Outcome(card_update=_renderer(ctx).tutorial(view))
    return Outcome(replies=[Reply(text=said)])


async def understand(ctx: Context, said: str) -> Outcome | None:
    """Free text about a problem ("kamera ei toimi", an image, a long story): the guide.

    A named problem gets its troubleshooting check, anything else the guide; both carry "Ask
    the instructor". In a group chat the card goes privately; a message that did not
    @mention the bot gets no word in the group (a client's named problem still brings the
    card privately).
    """
    reading = problems.read(said)
    if reading is None and any(a.startswith("image/") for a in ctx.turn.attachments):
        reading = problems.Reading(None, negated=False)
    if reading is None:
        return None
    in_group = ctx.conversation.kind.is_group
    if in_group and not ctx.turn.mentioned:
        staff = bool(ctx.actor.roles - {Role.CLIENT})
        if reading.trouble is not None and reading.negated and not staff:
            view = await _problem_view(ctx, reading)
            await _service(ctx).show_privately(ctx.actor, view, ctx.conversation)
        return Outcome()
    view = await _problem_view(ctx, reading)
    card = _renderer(ctx).tutorial(view)
    if not in_group:
        return Outcome(replies=[Reply(card=card)])
    if await _service(ctx).show_privately(ctx.actor, view, ctx.conversation) is (
        SendResult.UNREACHABLE
    ):
        url = _renderer(ctx).page_url(ctx.language)
        return Outcome(replies=[Reply(text=ctx.t("tutorial.group.unreachable", url=url))])
    return Outcome(replies=[Reply(text=ctx.t("tutorial.group.sent"))])


async def _problem_view(ctx: Context, reading: problems.Reading) -> View:
    service = _service(ctx)
    platform = device_for_platform(ctx.turn.platform)
    if reading.topic is not None:
        view = await service.troubleshoot(
            ctx.actor,
            ctx.language,
            reading.topic,
            check=reading.check,
            platform_device=platform,
            note="tutorial.note.heard",
        )
        if view is not None:
            return view
    return await service.begin(
        ctx.actor, ctx.language, platform_device=platform, note="tutorial.note.guide_and_ask"
    )


async def send(ctx: Context, argument: str) -> Outcome:
    """`send tutorial to Maija`: an instructor sends the guide to a client of their group."""
    result, name = await _service(ctx).send_to(ctx.actor, argument, ctx.conversation)
    return _sent(ctx, result, name)


async def send_button(ctx: Context, action: CardAction) -> Outcome:
    """The same from a button that carries the client's id (the attendance list)."""
    person_id = row_id(action.data.get("person", ""))
    if person_id is None:
        return Outcome(replies=[Reply(text=ctx.t("card.stale"))])
    result, name = await _service(ctx).send_to_person(ctx.actor, person_id, ctx.conversation)
    return _sent(ctx, result, name)


def _sent(ctx: Context, result: SendResult, name: str) -> Outcome:
    key = {
        SendResult.SENT: "tutorial.send.sent",
        SendResult.ALREADY_SENT: "tutorial.send.already_sent",
        SendResult.UNREACHABLE: "tutorial.send.unreachable",
    }[result]
    return Outcome(replies=[Reply(text=ctx.t(key, name=name))])


async def take(ctx: Context, action: CardAction) -> Outcome:
    """ "I'll take it" on a help request: the first instructor gets it, the others are thanked."""
    result, view = await _service(ctx).take(ctx.actor, action.data.get("request", ""))
    key, params = {
        TakeResult.TAKEN: ("help.take.done", {"name": view.client_name}),
        TakeResult.ALREADY_YOURS: ("help.take.already_yours", {}),
        TakeResult.TAKEN_BY_OTHER: (
            "help.take.taken_by_other",
            {"name": view.taken_by_name or "?", "client": view.client_name},
        ),
        TakeResult.RESOLVED: ("help.take.was_resolved", {}),
    }[result]
    own = view.request.taken_by == ctx.actor.person_id
    # drawn in the language its values are in, whoever taps it
    card = _renderer(ctx).help_request(view.language, view, own=own)
    if ctx.conversation.kind.is_group:
        # a client's name never goes into a group conversation: the card says it to the tapper
        return Outcome(card_update=card)
    return Outcome(replies=[Reply(text=ctx.t(key, **params))], card_update=card)


async def resolve(ctx: Context, action: CardAction) -> Outcome:
    """ "Resolved" on a help request the instructor took."""
    view = await _service(ctx).resolve(ctx.actor, action.data.get("request", ""))
    card = _renderer(ctx).help_request(view.language, view, own=False)
    return Outcome(replies=[Reply(text=ctx.t("help.resolve.done"))], card_update=card)


TUTORIAL = Command(
    "tutorial",
    start,
    fi=("opastus", "opas"),
    sv=("guiden", "guide", "handledning"),
    en=("tutorial", "guide"),
)
SEND_TUTORIAL = Command(
    "send_tutorial",
    send,
    fi=("lähetä opastus", "lähetä opas"),
    sv=("skicka guiden till", "skicka guide till", "skicka guiden"),
    en=(
        "send tutorial to",
        "send tutorial",
        "send the tutorial to",
        "send guide to",
        "send the guide to",
    ),
)


FEATURE = Feature(
    name="tutorial",
    commands=(TUTORIAL, SEND_TUTORIAL),
    actions={
        GO_VERB: go,
        ASK_VERB: ask,
        START_VERB: start_button,
        SEND_VERB: send_button,
        TAKE_VERB: take,
        RESOLVE_VERB: resolve,
    },
    help=(
        HelpItem(50, "help.item.tutorial", always, (TUTORIAL,)),
        HelpItem(70, "help.item.send_tutorial", holding(Role.INSTRUCTOR), (SEND_TUTORIAL,)),
    ),
    after_help=guide_for_clients,
    understand=(Understanding(20, understand),),
)
