"""The router: turns in, outcomes out. Routing is data: command words and card verbs to handlers."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, replace
from typing import Any

from cards.agenda import AGENDA_VERB, BACK_VERB, PLAN_VERB, REFRESH_VERB
from cards.bind import BIND_VERB, bound_card, choose_group_card
from cards.payload import BadPayload, CardAction, parse_action
from cards.rollcall import (
    CLOSE_VERB,
    HERE_VERB,
    HISTORY_VERB,
    LIST_VERB,
    PROBLEM_VERB,
    REMIND_VERB,
    SAVE_VERB,
)
from cards.rollcall import REFRESH_VERB as ROLLCALL_REFRESH_VERB
from cards.tutorial import (
    GO_VERB,
    RESOLVE_VERB,
    SEND_VERB,
    START_VERB,
    TAKE_VERB,
)
from dialogs import agenda as agenda_dialogs
from dialogs import rollcall as rollcall_dialogs
from dialogs import tutorial as tutorial_dialogs
from dialogs.commands import Command, normalise, parse
from dialogs.state import CONVERSATION, StateAccess
from dialogs.turn import Outcome, Reply, Turn, TurnKind
from domain.agenda import AgendaService, Change, PlanLibrary
from domain.binding import Binder, BindResult, find_group
from domain.directory import Directory
from domain.errors import DomainError, NotFound
from domain.groups import visible_groups
from domain.help import help_lines
from domain.i18n import language_for_locale, text
from domain.model import Actor, Conversation
from domain.org import DEFAULT_LANGUAGE, Language, Role
from domain.ports import ConversationRepository, GroupListing, OrgRepository
from domain.rollcall.service import RollCallService
from domain.tutorial.service import TutorialService

log = logging.getLogger(__name__)

LANGUAGE_WORDS: dict[str, Language] = {
    "fi": Language.FI,
    "suomi": Language.FI,
    "suomeksi": Language.FI,
    "finska": Language.FI,
    "finnish": Language.FI,
    "sv": Language.SV,
    "svenska": Language.SV,
    "ruotsi": Language.SV,
    "ruotsiksi": Language.SV,
    "på svenska": Language.SV,
    "swedish": Language.SV,
    "en": Language.EN,
    "english": Language.EN,
    "englanti": Language.EN,
    "englanniksi": Language.EN,
    "engelska": Language.EN,
    "på engelska": Language.EN,
}


@dataclass(frozen=True, slots=True)
class Services:
    """What the dialogs use: domain services and the ports behind them."""

    directory: Directory
    binder: Binder
    org: OrgRepository
    groups: GroupListing
    conversations: ConversationRepository
    state: StateAccess
    agenda: AgendaService | None = None
    plans: PlanLibrary | None = None
    tutorial: TutorialService | None = None
    rollcall: RollCallService | None = None


@dataclass(frozen=True, slots=True)
class Context:
    """A turn with its actor and the language to answer in."""

    turn: Turn
    actor: Actor
    language: Language
    conversation: Conversation

    def t(self, key: str, **params: object) -> str:
        """Catalog text in this turn's language."""
        return text(self.language, key, **params)


Handler = Callable[["Router", Context, str], Awaitable[Outcome]]
ActionHandler = Callable[["Router", Context, CardAction], Awaitable[Outcome]]


def say(*texts: str) -> Outcome:
    """An outcome of plain text messages."""
    return Outcome(replies=[Reply(text=t) for t in texts])


class Router:
    """Dispatches turns to handlers; the one place domain errors become text."""

    def __init__(self, services: Services) -> None:
        self.s = services

    @staticmethod
    def needs_dedupe(turn: Turn) -> bool:
        """False for card verbs whose handling is idempotent by construction.

        A check-in recorded twice is still one mark (compare-and-set per person), and a
        refresh only reads: handling a redelivered one again gives the same answer, so the
        inbox (one more write per tap) can be skipped for them.
        """
        if turn.kind is not TurnKind.ACTION or not isinstance(turn.action, dict):
            return True
        verb = turn.action.get("verb")
        return not isinstance(verb, str) or verb not in IDEMPOTENT_VERBS

    async def handle(self, turn: Turn) -> Outcome:
        """Handle one turn and return what to answer."""
        if turn.kind is TurnKind.UNINSTALLED:
            await self.s.conversations.set_active(turn.conversation.conversation_id, False)
            return Outcome()
        actor = await self.s.directory.identify(turn.user, turn.lookup_upn)
        conversation = await self._remember(turn.conversation, actor)
        ctx = Context(turn, actor, await self._language(actor, turn, conversation), conversation)
        try:
            if turn.kind is TurnKind.INSTALLED:
                return await self._welcome(ctx)
            if turn.kind is TurnKind.ACTION:
                return await self._action(ctx)
            if turn.kind in (TurnKind.MEETING_START, TurnKind.MEETING_END):
                return await self._meeting(ctx)
            if turn.kind is TurnKind.MESSAGE:
                command, argument = parse(turn.text)
                if command is None:
                    return say(ctx.t("unknown"))
                return await COMMANDS[command](self, ctx, argument)
            return Outcome()
        except DomainError as exc:
            return say(ctx.t(exc.key, **exc.params))

    async def _remember(self, conversation: Conversation, actor: Actor) -> Conversation:
        stored = await self.s.conversations.get(conversation.conversation_id)
        if conversation.kind.is_group:
            wanted = conversation
        else:
            wanted = replace(conversation, person_id=actor.person_id)
        if (
            stored is None
            or not stored.active
            or stored.service_url != wanted.service_url
            or (wanted.person_id is not None and stored.person_id != wanted.person_id)
            or (wanted.meeting_id and stored.meeting_id != wanted.meeting_id)
        ):
            return await self.s.conversations.remember(wanted)
        return stored

    async def _group_language(self, conversation: Conversation) -> Language:
        if conversation.group_id is not None:
            group = await self.s.org.group_by_id(conversation.group_id)
            if group is not None:
                return group.language
        return DEFAULT_LANGUAGE

    async def _language(self, actor: Actor, turn: Turn, conversation: Conversation) -> Language:
        fallback = await self._group_language(conversation)
        return actor.language(language_for_locale(turn.user.locale), fallback)

    async def _action(self, ctx: Context) -> Outcome:
        try:
            action = parse_action(ctx.turn.action)
        except BadPayload as exc:
            log.info("refused card payload: %s", exc)
            return say(ctx.t("card.stale"))
        handler = ACTIONS.get(action.verb)
        if handler is None:
            log.info("unknown card verb %s", action.verb)
            return say(ctx.t("card.stale"))
        return await handler(self, ctx, action)

    async def _meeting(self, ctx: Context) -> Outcome:
        """Teams' meetingStart/meetingEnd: today's day of the bound group starts or closes."""
        if self.s.agenda is None:
            return Outcome()
        if ctx.turn.kind is TurnKind.MEETING_START:
            await self.s.agenda.meeting_started(ctx.conversation)
        else:
            await self.s.agenda.meeting_ended(ctx.conversation)
        return Outcome()

    async def _welcome(self, ctx: Context) -> Outcome:
        conv = ctx.conversation

        async def first_time(state: dict[str, Any]) -> bool:
            if state.get("welcomed"):
                return False
            state["welcomed"] = True
            return True

        if not await self.s.state.update(CONVERSATION, conv.conversation_id, first_time):
            return Outcome()
        if not conv.kind.is_group:
            return say(ctx.t("welcome.personal"))
        # everyone reads a group welcome: the group's language, not the installer's own
        language = await self._group_language(conv)
        texts = [text(language, "welcome.group")]
        if conv.group_id is None:
            texts.append(text(language, "welcome.group.instructor_hint"))
        return say("\n\n".join(texts))

    # --- commands -------------------------------------------------------------------------

    async def help(self, ctx: Context, _argument: str) -> Outcome:
        """What this person can do, by role."""
        lines = help_lines(ctx.actor, ctx.conversation.kind)
        body = "\n".join(f"- {ctx.t(line.key, **line.params)}" for line in lines)
        return say(f"{ctx.t('help.intro')}\n\n{body}")

    async def language(self, ctx: Context, argument: str) -> Outcome:
        """Change the person's own language."""
        chosen = LANGUAGE_WORDS.get(normalise(argument))
        if chosen is None:
            return say(ctx.t("language.usage"))
        await self.s.directory.set_language(ctx.actor, chosen)
        return say(text(chosen, "language.changed"))

    async def bind(self, ctx: Context, argument: str) -> Outcome:
        """'This is group X': bind the group conversation, or offer a card of the groups."""
        groups = self.s.binder.check_can_bind(ctx.actor, ctx.conversation)
        if argument:
            group = find_group(groups, argument)
            if group is None:
                raise NotFound("bind.unknown_group", name=argument)
            return await self._bind(ctx, group.key)
        if len(groups) == 1:
            return await self._bind(ctx, groups[0].key)
        return Outcome(replies=[Reply(card=choose_group_card(ctx.language, groups))])

    async def bind_chosen(self, ctx: Context, action: CardAction) -> Outcome:
        """The instructor tapped a group on the bind card."""
        return await self._bind(ctx, action.data.get("group", ""))

    async def _bind(self, ctx: Context, group_key: str) -> Outcome:
        result = await self.s.binder.bind(ctx.actor, ctx.conversation, group_key)
        key = {
            BindResult.BOUND: "bind.done",
            BindResult.MOVED: "bind.moved",
            BindResult.ALREADY: "bind.already",
        }[result.result]
        outcome = say(ctx.t(key, group=result.group.name))
        outcome.card_update = bound_card(ctx.language, result.group)
        return outcome

    async def groups(self, ctx: Context, _argument: str) -> Outcome:
        """List the groups this person instructs or follows, and whether each has a chat."""
        if not ctx.actor.roles & {Role.INSTRUCTOR, Role.COORDINATOR, Role.ADMIN}:
            return await self.help(ctx, "")
        shown = visible_groups(ctx.actor, await self.s.groups.all_groups())
        if not shown:
            return say(ctx.t("groups.none"))
        units = {u.key: u.name for u in await self.s.groups.all_units()}
        bound = await self.s.groups.bound_group_ids()
        lines = [
            ctx.t(
                "groups.line.bound" if g.id in bound else "groups.line.unbound",
                group=g.name,
                unit=units.get(g.unit_key, g.unit_key),
            )
            for g in shown
        ]
        return say(ctx.t("groups.title") + "\n\n" + "\n".join(f"- {line}" for line in lines))


def _steer(change: Change, default: int | None = 0) -> Handler:
    async def handler(router: Router, ctx: Context, argument: str) -> Outcome:
        minutes = agenda_dialogs.parse_minutes(argument, default) if default != 0 else 0
        return await agenda_dialogs.steer_by_text(router, ctx, change, minutes)

    return handler


COMMANDS: dict[Command, Handler] = {
    Command.HELP: tutorial_dialogs.help_or_tutorial,
    Command.LANGUAGE: Router.language,
    Command.BIND: Router.bind,
    Command.GROUPS: Router.groups,
    Command.AGENDA: agenda_dialogs.show_agenda,
    Command.START_DAY: _steer(Change.START),
    Command.EXTEND: _steer(Change.EXTEND, 5),
    Command.SKIP: _steer(Change.SKIP),
    Command.SHIFT: _steer(Change.SHIFT, None),
    Command.LATE: _steer(Change.SHIFT, 10),
    Command.PAUSE: _steer(Change.PAUSE),
    Command.RESUME: _steer(Change.RESUME),
    Command.END_DAY: _steer(Change.END),
    Command.CANCEL_DAY: agenda_dialogs.cancel_day,
    Command.MOVE_DAY: agenda_dialogs.move_day,
    Command.TUTORIAL: tutorial_dialogs.start,
    Command.SEND_TUTORIAL: tutorial_dialogs.send,
    Command.ROLL_CALL: rollcall_dialogs.start,
    Command.CLOSE_ROLL_CALL: rollcall_dialogs.close_by_text,
    Command.REMIND: rollcall_dialogs.remind_by_text,
    Command.ATTENDANCE: rollcall_dialogs.attendance,
    Command.LEAVE: rollcall_dialogs.leave,
}

IDEMPOTENT_VERBS = frozenset({HERE_VERB, ROLLCALL_REFRESH_VERB})

ACTIONS: dict[str, ActionHandler] = {
    BIND_VERB: Router.bind_chosen,
    AGENDA_VERB: agenda_dialogs.steer_by_card,
    REFRESH_VERB: agenda_dialogs.refresh,
    BACK_VERB: agenda_dialogs.back,
    PLAN_VERB: agenda_dialogs.choose_plan,
    GO_VERB: tutorial_dialogs.go,
    START_VERB: tutorial_dialogs.start_button,
    SEND_VERB: tutorial_dialogs.send_button,
    TAKE_VERB: tutorial_dialogs.take,
    RESOLVE_VERB: tutorial_dialogs.resolve,
    HERE_VERB: rollcall_dialogs.here,
    PROBLEM_VERB: rollcall_dialogs.problem,
    ROLLCALL_REFRESH_VERB: rollcall_dialogs.refresh,
    CLOSE_VERB: rollcall_dialogs.close,
    REMIND_VERB: rollcall_dialogs.remind,
    LIST_VERB: rollcall_dialogs.show,
    HISTORY_VERB: rollcall_dialogs.history,
    SAVE_VERB: rollcall_dialogs.save,
}
