"""Teams' attendance report: a suggestion's button opens the usual correction, filled in.

Nothing is written here. The button carries only the roll call and the person; what to set
comes from the stored report as it is now, for a roll call this turn may reach, on a day the
tapper may correct. The instructor then saves the correction with its reason as any other.
"""

from __future__ import annotations

from zoneinfo import ZoneInfo

from cards.payload import CardAction, row_id
from cards.reconcile import SUGGEST_VERB, correction_note
from cards.rollcall import RollCallCardRenderer, choice_value
from dialogs.context import Context
from dialogs.feature import Feature
from dialogs.turn import Outcome, card_in_place
from domain.errors import DomainError, NotAllowed, NotFound
from domain.reconcile import ReconcileService
from domain.rollcall.service import RollCallService


async def open_correction(ctx: Context, action: CardAction) -> Outcome:
    """ "Correct" under a suggestion: the attendance list with the suggested status chosen and
    the reason offered, waiting for the instructor to save."""
    service = ctx.services.need(RollCallService)
    reconcile = ctx.services.need(ReconcileService)
    roll_call_id = row_id(str(action.data.get("rollcall", "")))
    person_id = row_id(str(action.data.get("person", "")))
    if roll_call_id is None or person_id is None:
        raise NotFound("rollcall.unknown")
    roll_call, group = await service.roll_call(roll_call_id)
    service.check_reach(ctx.actor, roll_call, group, ctx.conversation, staff=True)
    view = await service.attendance(ctx.actor, group, ctx.language, roll_call.day)
    if not view.editable or roll_call.is_cancelled:
        raise NotAllowed("rollcall.not_allowed")
    found = await reconcile.suggestions(group, roll_call.day)
    suggestion = next(
        (s for s in found if s.person_id == person_id and s.suggested is not None), None
    )
    if suggestion is None or suggestion.suggested is None:
        raise DomainError("reconcile.gone")
    cards = service.cards
    assert isinstance(cards, RollCallCardRenderer)
    card = cards.attendance(
        view,
        roll_call,
        found,
        preset={person_id: choice_value(suggestion.suggested, None)},
        note=correction_note(ctx.language, suggestion, ZoneInfo(group.timezone)),
        said=ctx.t("reconcile.open"),
    )
    return card_in_place(ctx.turn, card)


FEATURE = Feature(name="reconcile", actions={SUGGEST_VERB: open_correction})
