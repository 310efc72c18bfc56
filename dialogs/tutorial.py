"""Tutorial and help-request dialogs: text commands and card buttons to the TutorialService."""

from __future__ import annotations

from typing import TYPE_CHECKING

from cards.payload import CardAction, row_id
from cards.tutorial import TutorialCardRenderer
from dialogs.turn import Outcome, Reply, card_in_place
from domain.errors import DomainError
from domain.org import Role
from domain.tutorial.content import Device
from domain.tutorial.flow import Event, device_for_platform
from domain.tutorial.service import SendResult, TakeResult, TutorialService, View

if TYPE_CHECKING:
    from dialogs.router import Context, Router

SHOW = "show"


def _service(router: Router) -> TutorialService:
    if router.s.tutorial is None:
        raise DomainError("error.generic")
    return router.s.tutorial


def _renderer(router: Router) -> TutorialCardRenderer:
    cards = _service(router).cards
    assert isinstance(cards, TutorialCardRenderer)
    return cards


def _card(router: Router, view: View) -> Outcome:
    return Outcome(replies=[Reply(card=_renderer(router).tutorial(view))])


async def start(router: Router, ctx: Context, _argument: str = "") -> Outcome:
    """`tutorial` / `opastus` / `guide`: the guide in a 1:1 chat, where the person left off."""
    service = _service(router)
    platform = device_for_platform(ctx.turn.platform)
    if not ctx.conversation.kind.is_group:
        return _card(router, await service.begin(ctx.actor, ctx.language, platform_device=platform))
    result = await service.start_privately(ctx.actor, ctx.language, ctx.conversation, platform)
    if result is SendResult.UNREACHABLE:
        url = _renderer(router).page_url(ctx.language)
        return Outcome(replies=[Reply(text=ctx.t("tutorial.group.unreachable", url=url))])
    return Outcome(replies=[Reply(text=ctx.t("tutorial.group.sent"))])


async def help_or_tutorial(router: Router, ctx: Context, argument: str) -> Outcome:
    """`help` / `apua` / `hjälp`: a client gets the help lines and the guide; others the lines."""
    listed = await router.help(ctx, argument)
    if ctx.actor.roles != {Role.CLIENT} or router.s.tutorial is None:
        return listed
    guide = await start(router, ctx)
    return Outcome(replies=[*listed.replies, *guide.replies])


async def start_button(router: Router, ctx: Context, _action: CardAction) -> Outcome:
    """ "I have a problem with sound or picture" on a group card: the guide, privately."""
    return await start(router, ctx)


async def go(router: Router, ctx: Context, action: CardAction) -> Outcome:
    """A button on a tutorial card; the tapped card is replaced by where the person is now."""
    service = _service(router)
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
    card = _renderer(router).tutorial(view)
    return card_in_place(ctx.turn, card)


async def send(router: Router, ctx: Context, argument: str) -> Outcome:
    """`send tutorial to Maija`: an instructor sends the guide to a client of their group."""
    result, name = await _service(router).send_to(ctx.actor, argument, ctx.conversation)
    return _sent(ctx, result, name)


async def send_button(router: Router, ctx: Context, action: CardAction) -> Outcome:
    """The same from a button that carries the client's id (the attendance list)."""
    person_id = row_id(action.data.get("person", ""))
    if person_id is None:
        return Outcome(replies=[Reply(text=ctx.t("card.stale"))])
    result, name = await _service(router).send_to_person(ctx.actor, person_id, ctx.conversation)
    return _sent(ctx, result, name)


def _sent(ctx: Context, result: SendResult, name: str) -> Outcome:
    key = {
        SendResult.SENT: "tutorial.send.sent",
        SendResult.ALREADY_SENT: "tutorial.send.already_sent",
        SendResult.UNREACHABLE: "tutorial.send.unreachable",
    }[result]
    return Outcome(replies=[Reply(text=ctx.t(key, name=name))])


async def take(router: Router, ctx: Context, action: CardAction) -> Outcome:
    """ "I'll take it" on a help request: the first instructor gets it, the others are thanked."""
    result, view = await _service(router).take(ctx.actor, action.data.get("request", ""))
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
    card = _renderer(router).help_request(ctx.language, view, own=own)
    if ctx.conversation.kind.is_group:
        # a client's name never goes into a group conversation: the card says it to the tapper
        return Outcome(card_update=card)
    return Outcome(replies=[Reply(text=ctx.t(key, **params))], card_update=card)


async def resolve(router: Router, ctx: Context, action: CardAction) -> Outcome:
    """ "Resolved" on a help request the instructor took."""
    view = await _service(router).resolve(ctx.actor, action.data.get("request", ""))
    card = _renderer(router).help_request(ctx.language, view, own=False)
    return Outcome(replies=[Reply(text=ctx.t("help.resolve.done"))], card_update=card)
