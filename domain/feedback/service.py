"""Feedback use cases: ask those present privately, take one answer each, remind once, show
instructors their group's day and its topic ideas.

Who may do what is decided here, from stored roles only: the group's instructors (and admins)
ask and change the settings; they, the unit's coordinators and admins see the results and the
ideas; only people recorded present or late that day (or sent the card) answer.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import TypeVar
from zoneinfo import ZoneInfo

from domain.errors import DomainError, NotAllowed, NotFound
from domain.feedback.model import (
    SCORES,
    Answered,
    Idea,
    Outcome,
    Results,
    Round,
    Settings,
    Text,
    TextKind,
    Trigger,
    clean_text,
    picked_topics,
)
from domain.feedback.ports import (
    AskView,
    Card,
    FeedbackCards,
    FeedbackStore,
    IdeasView,
    MoreView,
    ResultsView,
    SettingsView,
    ThanksView,
)
from domain.i18n import text as catalog_text
from domain.model import Actor, Conversation, ConversationKind
from domain.org import Group, Language, Person, Role
from domain.outbox import Outbox, OutboxMessage
from domain.ports import (
    ConversationRepository,
    People,
    PersonalChats,
    personal_chat,
    reach_all,
)
from domain.reach import NotReached
from domain.rollcall.attendance import AttendanceRecords

log = logging.getLogger(__name__)
T = TypeVar("T")

DEFAULT_REMINDER = timedelta(minutes=30)
DEFAULT_CLOSES = time(16, 0)  # the coordinators' digest: answers end when it goes out

# the group's next planned day, and an item of it retitled: the agenda does both
NextDay = Callable[[Group], Awaitable[tuple[int, date] | None]]
Retitle = Callable[[Actor, Group, int, str], Awaitable[str]]


def _utcnow() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True, slots=True)
class FeedbackConfig:
    """How long before the reminder, and when answers end (the digest's hour, local)."""

    reminder_after: timedelta = DEFAULT_REMINDER
    closes: time = DEFAULT_CLOSES


@dataclass(frozen=True, slots=True)
class Asked:
    """What asking did: who got the card now, who had it before, who could not be reached."""

    round: Round
    sent: int
    already: int
    unreachable: tuple[NotReached, ...] = ()  # who could not be reached privately, and why
    shared: bool = False  # one card went to the group chat for those not reachable privately
    present: int = 0  # people recorded present or late today


@dataclass(frozen=True, slots=True)
class Tapped:
    """What a tap on a score did, and the card the person sees next."""

    outcome: Outcome
    more: MoreView | None = None
    thanks: ThanksView | None = None


@dataclass(frozen=True, slots=True)
class Sent:
    """What sending the written answers did."""

    outcome: Outcome
    thanks: ThanksView
    cut: bool = False


KNOWN_ROUNDS = 512  # rounds (and who was asked in them) kept in memory, the newest


def _remember(table: dict[int, T], key: int, value: T) -> None:
    """Keep value, dropping the oldest entries beyond KNOWN_ROUNDS."""
    table.pop(key, None)
    table[key] = value
    while len(table) > KNOWN_ROUNDS:
        del table[next(iter(table))]


def ask_key(round_id: int, person_id: int) -> str:
    """The outbox key of a person's feedback card: sent once per round."""
    return f"feedback:{round_id}:ask:{person_id}"


def remind_key(round_id: int, person_id: int) -> str:
    """The outbox key of a person's reminder: once per round."""
    return f"feedback:{round_id}:remind:{person_id}"


def shared_key(round_id: int) -> str:
    """The outbox key of the one card in the group chat."""
    return f"feedback:{round_id}:shared"


class FeedbackService:
    """End-of-day feedback for the groups the bot runs days for."""

    def __init__(
        self,
        store: FeedbackStore,
        people: People,
        conversations: ConversationRepository,
        chats: PersonalChats,
        cards: FeedbackCards,
        outbox: Outbox,
        records: AttendanceRecords,
        *,
        next_day: NextDay | None = None,
        retitle: Retitle | None = None,
        config: FeedbackConfig | None = None,
        clock: Callable[[], datetime] = _utcnow,
    ) -> None:
        self._store = store
        self._people = people
        self._conversations = conversations
        self._chats = chats
        self.cards = cards
        self._outbox = outbox
        self._records = records
        self._next_day = next_day
        self._retitle = retitle
        self.config = config or FeedbackConfig()
        self._clock = clock
        self._known: dict[int, Round] = {}
        self._asked: dict[int, frozenset[int]] = {}

    def now(self) -> datetime:
        """The service's clock (aware UTC)."""
        return self._clock()

    def today(self, group: Group) -> date:
        """The group's local date now."""
        return self.now().astimezone(ZoneInfo(group.timezone)).date()

    # --- who ---------------------------------------------------------------------------

    @staticmethod
    def runs(actor: Actor, group: Group) -> bool:
        """A stored instructor of the group or an admin: asks, and changes the settings."""
        return actor.is_admin or any(g.id == group.id for g in actor.groups_as(Role.INSTRUCTOR))

    @classmethod
    def sees(cls, actor: Actor, group: Group) -> bool:
        """The group's instructors, its unit's coordinators and admins see results and ideas."""
        if cls.runs(actor, group):
            return True
        return any(u.key == group.unit_key for u in actor.units_as(Role.COORDINATOR))

    async def group(self, group_id: int) -> Group:
        """A group by id (NotFound when it is gone)."""
        group = await self._people.group_by_id(group_id)
        if group is None:
            raise NotFound("feedback.unknown")
        return group

    async def bound_group(self, conversation: Conversation) -> Group:
        """The group a conversation is bound to."""
        if conversation.group_id is None:
            raise NotFound("feedback.not_bound")
        return await self.group(conversation.group_id)

    async def present(self, group: Group, day: date) -> tuple[int, ...]:
        """The people recorded present or late on the group's day (clients and guests)."""
        record = await self._records.day(group, day)
        return tuple(
            line.person_id
            for line in record.people
            if line.status is not None and line.status.is_here
        )

    async def group_conversation(self, group: Group) -> Conversation:
        """The group's own conversation (where its days run)."""
        assert group.id is not None
        found = await self._conversations.bound_to(group.id)
        if found is None or not found.active:
            raise NotFound("feedback.not_bound")
        return found

    async def send_privately(
        self, person: Person, via: Conversation, key: str, card: Card | None, text_: str = ""
    ) -> bool:
        """Put a card (or a text) in the person's 1:1 chat (once per key); False if they cannot
        be reached."""
        chat = await personal_chat(self._conversations, self._chats, person, via)
        if chat is None:
            return False
        await self._outbox.enqueue(
            OutboxMessage(
                key=key, conversation_id=chat.conversation_id, card=card, text=text_ or None
            )
        )
        return True

    # --- asking ------------------------------------------------------------------------

    def _closes(self, group: Group, now: datetime) -> datetime:
        """When a round opened now closes: the digest's hour today, or midnight if past it."""
        zone = ZoneInfo(group.timezone)
        local = now.astimezone(zone)
        closes = datetime.combine(local.date(), self.config.closes, tzinfo=zone)
        if closes <= now:
            closes = datetime.combine(local.date() + timedelta(days=1), time(0), tzinfo=zone)
        return closes.astimezone(UTC)

    async def open_round(
        self, group: Group, conversation_id: str, trigger: Trigger, by: int | None
    ) -> tuple[Round, bool]:
        """Today's round of the group (stored now, or the one already there)."""
        assert group.id is not None
        now = self.now()
        settings = await self._store.settings(group.id)
        wanted = Round(
            group_id=group.id,
            day=self.today(group),
            conversation_id=conversation_id,
            opened_at=now,
            closes_at=self._closes(group, now),
            trigger=trigger,
            anonymous_default=settings.anonymous,
            remind_at=now + self.config.reminder_after if settings.reminder else None,
            opened_by=by,
        )
        return await self._store.open_round(wanted)

    async def ask(
        self, actor: Actor | None, conversation: Conversation, trigger: Trigger
    ) -> Asked | None:
        """Send today's feedback card privately to each person present or late.

        actor None: the plan's feedback item or the meeting's end (which asks only when the day
        had no feedback yet: None then). Someone asked before gets no second card; those whose
        1:1 chat cannot be opened share one card in the group chat.
        """
        group = await self.bound_group(conversation)
        assert group.id is not None
        if actor is not None and not self.runs(actor, group):
            raise NotAllowed("feedback.not_allowed")
        today = self.today(group)
        if trigger is Trigger.MEETING_END and await self._store.round_of(group.id, today):
            return None
        by = actor.person_id if actor is not None else None
        round_, _ = await self.open_round(group, conversation.conversation_id, trigger, by)
        assert round_.id is not None
        present = await self.present(group, round_.day)
        asked_before = await self._store.asked(round_.id)
        prompts: list[tuple[int, OutboxMessage]] = []
        unreachable: list[NotReached] = []
        to_ask: list[Person] = []
        for person_id in present:
            if person_id in asked_before:
                continue
            person = await self._people.person_by_id(person_id)
            if person is not None:
                to_ask.append(person)
        everyone = await reach_all(self._conversations, self._chats, to_ask, conversation)
        for person, reached in zip(to_ask, everyone, strict=True):
            assert person.id is not None
            person_id = person.id
            chat = reached.conversation
            if chat is None:
                unreachable.append(NotReached.of(person.name, reached))
                continue
            card = self.cards.ask(self._ask_view(round_, group, person))
            prompts.append(
                (
                    person_id,
                    OutboxMessage(
                        key=ask_key(round_.id, person_id),
                        conversation_id=chat.conversation_id,
                        card=card,
                    ),
                )
            )
        sent = await self._store.add_prompts(round_.id, prompts) if prompts else []
        # the taps that follow find the round and who was asked in memory
        _remember(self._known, round_.id, round_)
        _remember(self._asked, round_.id, frozenset(asked_before | set(sent)))
        shared = False
        if unreachable:
            view = AskView(
                round_id=round_.id,
                language=group.language,
                group_name=group.name,
                day=round_.day,
                anonymous=round_.anonymous_default,
                shared=True,
            )
            await self._outbox.enqueue(
                OutboxMessage(
                    key=shared_key(round_.id),
                    conversation_id=round_.conversation_id,
                    card=self.cards.ask(view),
                )
            )
            shared = True
        return Asked(
            round=round_,
            sent=len(sent),
            already=len(asked_before & set(present)),
            unreachable=tuple(unreachable),
            shared=shared,
            present=len(present),
        )

    def _ask_view(
        self,
        round_: Round,
        group: Group,
        person: Person,
        *,
        reminder: bool = False,
        chosen: int | None = None,
    ) -> AskView:
        assert round_.id is not None
        return AskView(
            round_id=round_.id,
            language=person.speaks(group.language),
            group_name=group.name,
            day=round_.day,
            anonymous=round_.anonymous_default,
            reminder=reminder,
            chosen=chosen,
        )

    async def own_card(self, actor: Actor, group: Group) -> Card | None:
        """A person's feedback card for today, asked for by `palaute` in their 1:1 chat: the
        ask card, or the thanks card when they answered; None when nothing was asked today."""
        assert group.id is not None
        round_ = await self._store.round_of(group.id, self.today(group))
        if round_ is None or round_.id is None:
            return None
        await self._may_answer(actor, round_, group)
        answered = await self._store.answered(round_.id, actor.person_id)
        if answered is None:
            return self.cards.ask(self._ask_view(round_, group, actor.person))
        if answered.anonymous and not answered.commented and round_.is_open(self.now()):
            # they tapped a number and left before the words: the words are still welcome
            # (a named answer's thanks card has "change my answer", which leads to them)
            return self.cards.more(self._more(round_, actor, group, answered, Outcome.SAME))
        return self.cards.thanks(self._thanks(round_, actor, group, answered))

    # --- answering ---------------------------------------------------------------------

    async def _round(self, round_id: int, *, fresh: bool = True) -> tuple[Round, Group]:
        """A round and its group. fresh=False may answer from memory: what is used from it
        then never changes (its group, day and chat), or only gets earlier (its closing, which
        the store checks again when the answer is written)."""
        round_ = None if fresh else self._known.get(round_id)
        if round_ is None:
            round_ = await self._store.round(round_id)
            if round_ is None:
                raise NotFound("feedback.unknown")
            _remember(self._known, round_id, round_)
        return round_, await self.group(round_.group_id)

    async def _was_asked(self, round_id: int, person_id: int) -> bool:
        """The person was sent the round's card (people are only ever added: a person found in
        memory was asked; one not found there is looked up again)."""
        known = self._asked.get(round_id)
        if known is not None and person_id in known:
            return True
        known = await self._store.asked(round_id)
        _remember(self._asked, round_id, known)
        return person_id in known

    def check_reach(self, actor: Actor, round_: Round, conversation: Conversation) -> None:
        """A tap names a round this turn may touch: from the group's chat (the shared card) or
        from the person's own 1:1 chat; anything else changes nothing (NotFound)."""
        if conversation.conversation_id == round_.conversation_id:
            return
        if conversation.kind is ConversationKind.PERSONAL and conversation.person_id in (
            None,
            actor.person_id,
        ):
            return
        log.info("refused a feedback tap on round %s from another conversation", round_.id)
        raise NotFound("feedback.not_for_you")

    async def _may_answer(self, actor: Actor, round_: Round, group: Group) -> None:
        """Asked privately, or recorded present or late that day; staff are refused kindly."""
        assert round_.id is not None
        if await self._was_asked(round_.id, actor.person_id):
            return
        if self.runs(actor, group):
            raise NotAllowed("feedback.staff_card")
        if actor.person_id in await self.present(group, round_.day):
            return
        raise NotAllowed("feedback.not_present")

    async def _answerable(
        self, actor: Actor, round_id: int, conversation: Conversation, *, fresh: bool = True
    ) -> tuple[Round, Group]:
        round_, group = await self._round(round_id, fresh=fresh)
        self.check_reach(actor, round_, conversation)
        if round_.day != self.today(group) or not round_.is_open(self.now()):
            raise DomainError("feedback.closed")
        await self._may_answer(actor, round_, group)
        return round_, group

    def _language(self, actor: Actor, group: Group) -> Language:
        return actor.person.speaks(group.language)

    def _thanks(
        self,
        round_: Round,
        actor: Actor,
        group: Group,
        answered: Answered,
        *,
        cut: bool = False,
    ) -> ThanksView:
        assert round_.id is not None
        return ThanksView(
            round_id=round_.id,
            language=self._language(actor, group),
            anonymous=answered.anonymous,
            score=answered.score,
            can_change=not answered.anonymous and round_.is_open(self.now()),
            cut=cut,
            texts=len(answered.texts),
        )

    async def score(
        self,
        actor: Actor,
        round_id: int,
        score: int,
        anonymous: bool | None,
        conversation: Conversation,
    ) -> Tapped:
        """One tap on 1–6: the answer is stored (a new one replaces a named earlier one).

        anonymous None (the card's toggle did not come back): the group's default for the day.
        """
        if score not in SCORES:
            raise DomainError("feedback.bad_score")
        # the hot path: the round from memory, one write, no read-back for a first answer
        round_, group = await self._answerable(actor, round_id, conversation, fresh=False)
        assert round_.id is not None
        if anonymous is None:
            anonymous = round_.anonymous_default
        now = self.now()
        if anonymous:
            outcome = await self._store.answer_anonymous(round_.id, actor.person_id, score, now)
        else:
            outcome = await self._store.answer_named(round_.id, actor.person_id, score, now)
        if outcome is Outcome.CLOSED:
            self._known.pop(round_.id, None)
            raise DomainError("feedback.closed")
        if outcome is Outcome.STORED:
            answered = Answered(anonymous=anonymous, commented=False, score=score)
        else:
            found = await self._store.answered(round_.id, actor.person_id)
            assert found is not None
            answered = found
        if answered.anonymous and answered.commented:
            # the words were sent already (anonymous words are sent once)
            return Tapped(outcome, thanks=self._thanks(round_, actor, group, answered))
        if outcome is Outcome.ANONYMOUS_ALREADY and not anonymous:
            # a named answer after an anonymous one: it stays as it was, and they are told
            return Tapped(outcome, thanks=self._thanks(round_, actor, group, answered))
        # (an anonymous tap again before the words: the same words form as the first time,
        # so a tap Teams delivers twice gets the same answer; nothing more is stored)
        return Tapped(outcome, more=self._more(round_, actor, group, answered, outcome, score))

    def _more(
        self,
        round_: Round,
        actor: Actor,
        group: Group,
        answered: Answered,
        outcome: Outcome,
        score: int | None = None,
    ) -> MoreView:
        """The optional words' card, with a named answer's earlier words to edit."""
        assert round_.id is not None
        texts = {t.kind: t.text for t in answered.texts if t.kind is not TextKind.TOPIC}
        return MoreView(
            round_id=round_.id,
            language=self._language(actor, group),
            score=score or answered.score or 0,
            anonymous=answered.anonymous,
            replaced=outcome is Outcome.REPLACED,
            good=texts.get(TextKind.GOOD),
            idea=texts.get(TextKind.IDEA),
            topics=tuple(t.text for t in answered.texts if t.kind is TextKind.TOPIC),
        )

    async def words(
        self,
        actor: Actor,
        round_id: int,
        conversation: Conversation,
        *,
        good: str | None,
        idea: str | None,
        topics: str | None,
    ) -> Sent:
        """The optional words after the score: what was good, an idea, picked topics."""
        round_, group = await self._answerable(actor, round_id, conversation)
        assert round_.id is not None
        answered = await self._store.answered(round_.id, actor.person_id)
        if answered is None:
            raise DomainError("feedback.answer_first")
        good_text, good_cut = clean_text(good)
        idea_text, idea_cut = clean_text(idea)
        texts = [
            *([Text(TextKind.GOOD, good_text)] if good_text else []),
            *([Text(TextKind.IDEA, idea_text)] if idea_text else []),
            *(Text(TextKind.TOPIC, key) for key in picked_topics(topics)),
        ]
        outcome = Outcome.SAME
        if texts or not answered.anonymous:
            outcome = await self._store.comment(round_.id, actor.person_id, texts)
        answered = await self._store.answered(round_.id, actor.person_id)
        assert answered is not None
        cut = good_cut or idea_cut
        thanks = self._thanks(round_, actor, group, answered, cut=cut)
        if answered.anonymous and outcome is not Outcome.ANONYMOUS_ALREADY:
            thanks = ThanksView(
                round_id=thanks.round_id,
                language=thanks.language,
                anonymous=True,
                score=None,
                can_change=False,
                cut=cut,
                texts=len(texts),
            )
        return Sent(outcome, thanks, cut=cut)

    async def done(self, actor: Actor, round_id: int, conversation: Conversation) -> ThanksView:
        """ "No more words": the thanks card."""
        round_, group = await self._answerable(actor, round_id, conversation)
        assert round_.id is not None
        answered = await self._store.answered(round_.id, actor.person_id)
        if answered is None:
            raise DomainError("feedback.answer_first")
        return self._thanks(round_, actor, group, answered)

    async def change(self, actor: Actor, round_id: int, conversation: Conversation) -> Card:
        """ "Change my answer": the ask card again with the earlier score marked (named only)."""
        round_, group = await self._answerable(actor, round_id, conversation)
        assert round_.id is not None
        answered = await self._store.answered(round_.id, actor.person_id)
        if answered is not None and answered.anonymous:
            raise DomainError("feedback.anonymous_already")
        chosen = answered.score if answered is not None else None
        return self.cards.ask(self._ask_view(round_, group, actor.person, chosen=chosen))

    # --- the reminder ------------------------------------------------------------------

    async def remind_due(self) -> int:
        """One private reminder per round to those asked who have not answered (the leader's
        periodic job). Returns how many reminders were queued."""
        queued = 0
        now = self.now()
        for round_ in await self._store.reminders_due(now):
            assert round_.id is not None
            group = await self._people.group_by_id(round_.group_id)
            if group is None:
                continue
            messages: list[OutboxMessage] = []
            for person_id in await self._store.unanswered(round_.id):
                person = await self._people.person_by_id(person_id)
                chat = await self._conversations.personal_for(person_id)
                if person is None or chat is None:
                    continue
                card = self.cards.ask(self._ask_view(round_, group, person, reminder=True))
                messages.append(
                    OutboxMessage(
                        key=remind_key(round_.id, person_id),
                        conversation_id=chat.conversation_id,
                        card=card,
                    )
                )
            if await self._store.mark_reminded(round_.id, now, messages):
                queued += len(messages)
        return queued

    # --- for instructors ---------------------------------------------------------------

    async def results(
        self, actor: Actor, group: Group, language: Language, day: date | None = None
    ) -> ResultsView:
        """The group's day as answered (today unless a day is given)."""
        if not self.sees(actor, group):
            raise NotAllowed("feedback.results.not_allowed")
        assert group.id is not None
        on = day or self.today(group)
        round_ = await self._store.round_of(group.id, on)
        found: Results | None = None
        if round_ is not None and round_.id is not None:
            found = await self._store.results(round_.id)
        return ResultsView(language=language, group_name=group.name, results=found, day=on)

    async def summary(self, group: Group, day: date) -> Results | None:
        """The group's day as answered, with no actor (the coordinators' digest checks who
        sees it); None when no feedback was asked that day."""
        assert group.id is not None
        round_ = await self._store.round_of(group.id, day)
        if round_ is None or round_.id is None:
            return None
        return await self._store.results(round_.id)

    async def ideas(self, actor: Actor, group: Group, language: Language) -> IdeasView:
        """The group's topic ideas over time, with counts."""
        if not self.sees(actor, group):
            raise NotAllowed("feedback.results.not_allowed")
        assert group.id is not None
        ideas = await self._store.ideas(group.id)
        next_day = None
        if self._next_day is not None and self.runs(actor, group):
            found = await self._next_day(group)
            next_day = found[1] if found is not None else None
        return IdeasView(
            language=language,
            group_id=group.id,
            group_name=group.name,
            ideas=tuple(ideas),
            next_day=next_day,
            can_mark=self.runs(actor, group),
        )

    async def mark_idea(self, actor: Actor, group: Group, key: str, do: str) -> tuple[Idea, str]:
        """An instructor marks an idea used (or not), or puts it in the next day's plan.

        Returns the idea and, when planned, the catalog key of what was said."""
        if not self.runs(actor, group):
            raise NotAllowed("feedback.not_allowed")
        assert group.id is not None
        idea = next((i for i in await self._store.ideas(group.id) if i.key == key), None)
        if idea is None:
            raise NotFound("feedback.idea.unknown")
        now = self.now()
        if do in ("used", "unused"):
            await self._store.mark_idea(group.id, key, now, actor.person_id, used=do == "used")
            return idea, f"feedback.idea.{do}"
        if do != "plan":
            raise NotFound("feedback.idea.unknown")
        if self._next_day is None or self._retitle is None:
            raise DomainError("feedback.no_day_planned")
        found = await self._next_day(group)
        if found is None:
            raise DomainError("feedback.no_day_planned")
        day_id, on = found
        return idea, await self._plan(actor, group, idea, day_id, on)

    async def _plan(self, actor: Actor, group: Group, idea: Idea, day_id: int, on: date) -> str:
        assert group.id is not None
        assert self._retitle is not None
        title = idea.text
        if idea.kind is TextKind.TOPIC:
            title = catalog_text(group.language, f"feedback.topic.{idea.text}")
        await self._retitle(actor, group, day_id, title[:80])
        await self._store.mark_idea(
            group.id, idea.key, self.now(), actor.person_id, used=True, planned_for=on
        )
        return "feedback.idea.planned"

    async def settings(self, actor: Actor, group: Group, language: Language) -> SettingsView:
        """The group's feedback settings, for its instructors."""
        if not self.runs(actor, group):
            raise NotAllowed("feedback.not_allowed")
        assert group.id is not None
        return SettingsView(
            language=language,
            group_id=group.id,
            group_name=group.name,
            settings=await self._store.settings(group.id),
            reminder_minutes=int(self.config.reminder_after.total_seconds() // 60),
        )

    async def save_settings(self, actor: Actor, group: Group, settings: Settings) -> None:
        """An instructor changes the group's settings (rounds opened later follow them)."""
        if not self.runs(actor, group):
            raise NotAllowed("feedback.not_allowed")
        assert group.id is not None
        await self._store.save_settings(group.id, settings, actor.person_id, self.now())

    async def close(self, group: Group, day: date) -> bool:
        """Answers to the group's day end now (the digest went out)."""
        assert group.id is not None
        round_ = await self._store.round_of(group.id, day)
        if round_ is None or round_.id is None:
            return False
        return await self._store.close(round_.id, self.now())
