"""Roll-call use cases: open, tap, close, cancel, remind, correct, check out, the day's record.

Nobody is here after they left: a here-mark (a tap, a correction) later than the person's
check-out takes the check-out back (they came back), and a check-out is never earlier than
the person's latest here-mark. Every correction carries the instructor's reason.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from domain.errors import DomainError, NotAllowed, NotFound
from domain.i18n import text
from domain.meetings import MeetingRole, MeetingRoles
from domain.model import Actor, Conversation, ConversationKind
from domain.org import Group, Language, Person, Role
from domain.outbox import Outbox, OutboxMessage
from domain.ports import (
    ConversationRepository,
    People,
    PersonalChats,
    reach_all,
    reach_person,
)
from domain.reach import NotReached, Reached
from domain.rollcall import messages
from domain.rollcall.attendance import AttendanceRecords, AttendeeRole
from domain.rollcall.model import (
    DEFAULT_GRACE,
    DEFAULT_OPEN_FOR,
    Change,
    Checkout,
    FullDayRule,
    Mark,
    Reason,
    RollCall,
    Status,
    clean_note,
    tap_status,
)
from domain.rollcall.ports import (
    Card,
    DayEnd,
    InstructorTeamsIds,
    NoticeUrl,
    RollCallCards,
    RollCallStore,
)
from domain.rollcall.views import (
    AttendanceView,
    ClientView,
    Count,
    InstructorView,
    PersonDay,
    Reminded,
    SharedView,
)

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class RollCallSettings:
    """How long on-time lasts, when a roll call closes by itself, what a full day is."""

    grace: timedelta = DEFAULT_GRACE
    open_for: timedelta = DEFAULT_OPEN_FOR
    rule: FullDayRule = FullDayRule.FIRST_AND_LAST


def _missing(mark: Mark | None) -> bool:
    """Not here and not excused."""
    return mark is None or mark.status is Status.ABSENT


def _utcnow() -> datetime:
    return datetime.now(UTC)


class RollCallService:
    """Check-in roll calls for a group conversation, and the attendance record they make."""

    def __init__(
        self,
        store: RollCallStore,
        people: People,
        conversations: ConversationRepository,
        meetings: MeetingRoles,
        chats: PersonalChats,
        cards: RollCallCards,
        outbox: Outbox,
        *,
        instructor_teams_ids: InstructorTeamsIds,
        day_end: DayEnd | None = None,
        settings: RollCallSettings | None = None,
        clock: Callable[[], datetime] = _utcnow,
        notice_url: NoticeUrl | None = None,
        records: AttendanceRecords | None = None,
    ) -> None:
        self._store = store
        self._people = people
        self._conversations = conversations
        self._meetings = meetings
        self._chats = chats
        self.cards = cards
        self._outbox = outbox
        self._instructor_ids = instructor_teams_ids
        self.settings = settings or RollCallSettings()
        self.records = records or AttendanceRecords(store, self.settings.rule, day_end, clock)
        self._clock = clock
        self._notice_url = notice_url
        self._known: dict[int, tuple[RollCall, Group]] = {}

    def now(self) -> datetime:
        """The service's clock (aware UTC)."""
        return self._clock()

    def today(self, group: Group) -> date:
        """The group's local date now."""
        return self.now().astimezone(ZoneInfo(group.timezone)).date()

    # --- who may run a roll call -------------------------------------------------------

    async def may_run(
        self, actor: Actor, group: Group, conversation: Conversation | None, aad: str | None
    ) -> bool:
        """Stored instructors of the group and admins, nobody else.

        A Teams meeting role never grants this: Teams lets every attendee present by default,
        so a presenter may well be a client (conversation and aad are asked only to explain a
        refusal to the meeting's organizer).
        """
        del conversation, aad
        return self.runs_by_role(actor, group)

    def runs_by_role(self, actor: Actor, group: Group) -> bool:
        """A stored instructor of the group or an admin."""
        return actor.is_admin or any(g.id == group.id for g in actor.groups_as(Role.INSTRUCTOR))

    async def _check(
        self, actor: Actor, group: Group, conversation: Conversation | None, aad: str | None
    ) -> None:
        if self.runs_by_role(actor, group):
            return
        if (
            conversation is not None
            and conversation.kind is ConversationKind.MEETING
            and conversation.group_id == group.id
            and aad
            and await self._meetings.role_of(conversation, aad) is MeetingRole.ORGANIZER
        ):
            # they organise the meeting but are not the group's instructor in our records:
            # say how to become one (an admin's change to the organisation file), grant nothing
            raise NotAllowed("rollcall.not_allowed.organizer", group=group.name)
        raise NotAllowed("rollcall.not_allowed")

    def check_reach(
        self,
        actor: Actor,
        roll_call: RollCall,
        group: Group,
        conversation: Conversation,
        *,
        staff: bool = False,
    ) -> None:
        """A tap names a roll call this turn may touch; NotFound (nothing changes) if not.

        Card data is hostile: a roll call is reached from its own group conversation, or from a
        reminder in the 1:1 chat of one of its group's clients. staff: a verb of the instructors'
        view or the attendance list, which the staff who see the group's record also use from
        their 1:1 chat (what they may do is checked after); "I'm here" and "a problem" are not.
        """
        if conversation.conversation_id == roll_call.conversation_id:
            return
        if staff and self.sees_record(actor, group):
            return
        if (
            conversation.kind is ConversationKind.PERSONAL
            and conversation.person_id in (None, actor.person_id)
            and any(g.id == group.id for g in actor.groups_as(Role.CLIENT))
        ):
            return
        log.info(
            "refused a tap on roll call %s from another conversation (person %s)",
            roll_call.id,
            actor.person_id,
        )
        raise NotFound("rollcall.unknown")

    async def _group(self, group_id: int) -> Group:
        group = await self._people.group_by_id(group_id)
        if group is None:
            raise NotFound("rollcall.unknown")
        return group

    async def bound_group(self, conversation: Conversation) -> Group:
        """The group this conversation is bound to."""
        if conversation.group_id is None:
            raise NotFound("rollcall.not_bound")
        return await self._group(conversation.group_id)

    async def roll_call(self, roll_call_id: int) -> tuple[RollCall, Group]:
        """A roll call and its group."""
        found = await self._store.get(roll_call_id)
        if found is None:
            raise NotFound("rollcall.unknown")
        return found, await self._group(found.group_id)

    # --- opening -------------------------------------------------------------------------

    async def start(
        self, actor: Actor | None, conversation: Conversation, aad: str | None = None
    ) -> tuple[RollCall, bool]:
        """Open a roll call in a bound group conversation; (the roll call, opened now).

        actor None is the plan's check-in item. If one is open already, that one is returned.
        """
        group = await self.bound_group(conversation)
        if actor is not None:
            await self._check(actor, group, conversation, aad)
        assert group.id is not None
        now = self.now()
        wanted = RollCall(
            group_id=group.id,
            day=self.today(group),
            number=0,
            conversation_id=conversation.conversation_id,
            opened_at=now,
            grace=self.settings.grace,
            closes_at=now + self.settings.open_for,
            opened_by=actor.person_id if actor is not None else None,
        )
        return await self._store.open(wanted, lambda opened: [messages.shared_card(opened)])

    # --- views ---------------------------------------------------------------------------

    async def _expected(self, group: Group) -> tuple[Person, ...]:
        assert group.id is not None
        return await self._people.people_in_group(group.id, Role.CLIENT)

    async def count(
        self,
        roll_call: RollCall,
        group: Group,
        counts: dict[tuple[Status, bool], int] | None = None,
    ) -> Count:
        """Expected clients here, of all expected, and guests."""
        if counts is None:
            counts = await self._store.counts(roll_call.id or 0)
        expected = await self._expected(group)
        here = sum(n for (st, guest), n in counts.items() if st.is_here and not guest)
        guests = sum(n for (st, guest), n in counts.items() if st.is_here and guest)
        return Count(here=here, expected=len(expected), guests=guests)

    async def shared(
        self,
        roll_call: RollCall,
        group: Group,
        counts: dict[tuple[Status, bool], int] | None = None,
    ) -> SharedView:
        """The shared card's view (counted now, unless counts are given)."""
        assert group.id is not None
        return SharedView(
            roll_call=roll_call,
            group=group,
            count=await self.count(roll_call, group, counts),
            instructor_ids=await self._instructor_ids(group.id),
        )

    async def draw(self, roll_call_id: int) -> Card | None:
        """The shared card as it is now (the outbox worker calls this just before sending)."""
        found = await self._store.get(roll_call_id)
        if found is None:
            return None
        group = await self._people.group_by_id(found.group_id)
        if group is None:
            return None
        return self.cards.shared(await self.shared(found, group))

    async def instructor_view(
        self, roll_call: RollCall, group: Group, language: Language
    ) -> InstructorView:
        """Who is missing, late, excused, and who came without being on the list."""
        marks = await self._store.marks(roll_call.id or 0)
        expected = await self._expected(group)
        expected_ids = {p.id for p in expected}
        missing = tuple(p for p in expected if _missing(marks.get(p.id or 0)))
        late = tuple(
            (p, marks[p.id or 0].at)
            for p in expected
            if p.id in marks and marks[p.id or 0].status is Status.LATE
        )
        excused = tuple(
            (p, marks[p.id or 0].reason)
            for p in expected
            if p.id in marks and marks[p.id or 0].status is Status.EXCUSED
        )
        problems = tuple(
            p
            for p in expected
            if p.id in marks
            and marks[p.id or 0].status.is_here
            and marks[p.id or 0].reason is Reason.TECHNICAL
        )
        guests: list[Person] = []
        for pid, mark in marks.items():
            if pid not in expected_ids and mark.guest:
                person = await self._people.person_by_id(pid)
                if person is not None:
                    guests.append(person)
        return InstructorView(
            shared=await self.shared(roll_call, group),
            missing=missing,
            late=late,
            excused=excused,
            guests=tuple(sorted(guests, key=lambda p: p.name)),
            language=language,
            problems=problems,
        )

    async def own_mark(self, roll_call: RollCall, actor: Actor) -> Mark | None:
        """The actor's own mark in a roll call."""
        return await self._store.mark_of(roll_call.id or 0, actor.person_id)

    # --- taps ----------------------------------------------------------------------------

    async def tap(
        self,
        actor: Actor,
        roll_call_id: int,
        language: Language,
        found: tuple[RollCall, Group] | None = None,
        *,
        reason: Reason | None = None,
    ) -> ClientView:
        """Someone says "I'm here": recorded once, present within the grace, late after it.

        reason notes why with the mark (a technical problem: here, but sound or picture fails).
        """
        roll_call, group = found or await self.roll_call(roll_call_id)
        expected = {p.id for p in await self._expected(group)}
        guest = actor.person_id not in expected
        refresh = messages.refresh(roll_call)
        decided: list[Mark | None] = [None]

        def decide(closed_at: datetime | None, current: Mark | None) -> tuple[Mark, Change] | None:
            now = self.now()
            status = tap_status(replace(roll_call, closed_at=closed_at), current, now)
            decided[0] = None
            if status is None:
                return None
            mark = Mark(
                roll_call_id=roll_call_id,
                person_id=actor.person_id,
                status=status,
                at=now,
                reason=reason,
                guest=guest,
                version=current.version if current else 0,
            )
            change = Change(
                group_id=group.id or 0,
                day=roll_call.day,
                person_id=actor.person_id,
                roll_call_id=roll_call_id,
                at=now,
                before=current.status if current else None,
                after=status,
                by=actor.person_id,
                reason=reason,
            )
            decided[0] = mark
            return mark, change

        mark, counts, left = await self._store.tap(roll_call_id, actor.person_id, decide, [refresh])
        made = decided[0]
        if (
            mark is not None
            and made is not None
            and (mark.status, mark.at) == (made.status, made.at)
            and mark.status.is_here
        ):
            await self._back(group, roll_call, actor.person_id, mark, actor.person_id, None, left)
        else:
            # nothing new was written: show the roll call as it is now (closed, cancelled)
            roll_call = await self._store.get(roll_call_id) or roll_call
        return ClientView(
            shared=await self.shared(roll_call, group, counts), mark=mark, language=language
        )

    async def _back(
        self,
        group: Group,
        roll_call: RollCall,
        person_id: int,
        mark: Mark,
        by: int,
        note: str | None,
        left: Checkout | None,
    ) -> None:
        """A here-mark later than the person's check-out (left): they came back, it goes."""
        assert group.id is not None
        if left is None or left.at > mark.at:
            return
        change = Change(
            group_id=group.id,
            day=roll_call.day,
            person_id=person_id,
            roll_call_id=roll_call.id,
            at=max(self.now(), mark.at),
            before=Status.LEFT_EARLY,
            after=mark.status,
            by=by,
            note=note,
        )
        await self._store.undo_checkout(
            group.id, roll_call.day, person_id, change, [messages.refresh(roll_call)]
        )

    async def roll_call_for_tap(self, roll_call_id: int) -> tuple[RollCall, Group]:
        """A roll call's fixed facts (group, day, opening), remembered: a tap reads the rest."""
        known = self._known.get(roll_call_id)
        if known is None:
            known = await self.roll_call(roll_call_id)
            if len(self._known) > 1000:
                self._known.clear()
            self._known[roll_call_id] = known
        return known

    # --- closing -------------------------------------------------------------------------

    async def current(self, conversation: Conversation) -> tuple[RollCall, Group]:
        """The latest roll call of today in this group conversation."""
        group = await self.bound_group(conversation)
        assert group.id is not None
        today = await self._store.of_day(group.id, self.today(group))
        if not today:
            raise NotFound("rollcall.none_today")
        return today[-1], group

    async def open_in(self, group: Group) -> RollCall | None:
        """The group's roll call of today that is still open (the latest), if any."""
        assert group.id is not None
        today = await self._store.of_day(group.id, self.today(group))
        return today[-1] if today and today[-1].is_open else None

    async def close(
        self,
        actor: Actor | None,
        roll_call: RollCall,
        group: Group,
        conversation: Conversation | None = None,
        aad: str | None = None,
    ) -> list[int] | None:
        """Close: everyone expected without a mark becomes absent. None if already closed."""
        if actor is not None:
            await self._check(actor, group, conversation, aad)
        expected = [p.id for p in await self._expected(group) if p.id is not None]
        marks = await self._store.marks(roll_call.id or 0)
        missing = [pid for pid in expected if pid not in marks]
        return await self._store.close(
            roll_call,
            missing,
            self.now(),
            actor.person_id if actor is not None else None,
            [messages.refresh(roll_call)],
        )

    async def cancel(
        self,
        actor: Actor,
        roll_call: RollCall,
        group: Group,
        conversation: Conversation | None = None,
        aad: str | None = None,
    ) -> bool:
        """Cancel a roll call opened by mistake: its marks stop counting for the day and stay in
        the audit trail; its card says so. False if it was cancelled already."""
        await self._check(actor, group, conversation, aad)
        assert roll_call.id is not None
        self._known.pop(roll_call.id, None)
        return await self._store.cancel(
            roll_call.id, self.now(), actor.person_id, [messages.refresh(roll_call)]
        )

    async def close_due(self) -> int:
        """Close every roll call whose time is up (the leader's periodic job)."""
        closed = 0
        for roll_call in await self._store.due_to_close(self.now()):
            group = await self._people.group_by_id(roll_call.group_id)
            if group is not None and await self.close(None, roll_call, group) is not None:
                closed += 1
        return closed

    async def reach(self, person: Person, via: Conversation | None) -> Reached:
        """The person's 1:1 chat with the bot (opened through via when there is none yet), or
        why there is none."""
        return await reach_person(self._conversations, self._chats, person, via)

    async def send_privately(
        self,
        person: Person,
        via: Conversation | None,
        key: str,
        card: Card | None,
        text_: str | None = None,
    ) -> bool | None:
        """Put a card (or text) in the person's 1:1 chat; None if they cannot be reached."""
        chat = (await self.reach(person, via)).conversation
        if chat is None:
            return None
        return await self._outbox.enqueue(
            OutboxMessage(key=key, conversation_id=chat.conversation_id, card=card, text=text_)
        )

    async def problem(
        self, actor: Actor, roll_call: RollCall, group: Group, *, guide_sent: bool
    ) -> int:
        """ "A problem with sound or picture": the person is here, with the problem noted.

        They are marked present (or late, by the usual rule) with a technical reason; someone
        already here stays as they were. Each instructor hears of it once per roll call, and
        is told whether the guide reached the person (guide_sent) or not. Returns how many
        instructors know (told now or on an earlier tap). The group's staff get no mark, as
        with "I'm here": the roll call is theirs to run.
        """
        assert group.id is not None
        if not self.runs_by_role(actor, group):
            await self.tap(
                actor,
                roll_call.id or 0,
                group.language,
                (roll_call, group),
                reason=Reason.TECHNICAL,
            )
        via = await self._conversations.get(roll_call.conversation_id)
        key = (
            "rollcall.problem.instructor" if guide_sent else "rollcall.problem.instructor_no_guide"
        )
        told = 0
        for instructor in await self._people.people_in_group(group.id, Role.INSTRUCTOR):
            language = instructor.speaks(group.language)
            sent = await self.send_privately(
                instructor,
                via,
                messages.problem_key(roll_call.id or 0, actor.person_id, instructor.id),
                None,
                text(language, key, name=actor.person.name),
            )
            told += 0 if sent is None else 1
        return told

    # --- reminders -----------------------------------------------------------------------

    async def remind(
        self,
        actor: Actor,
        roll_call: RollCall,
        group: Group,
        conversation: Conversation | None,
        aad: str | None,
    ) -> Reminded:
        """Each missing client gets a 1:1 check-in card; in a meeting also a notification."""
        await self._check(actor, group, conversation, aad)
        if not roll_call.is_open:
            raise DomainError("rollcall.closed_already")
        assert roll_call.id is not None
        marks = await self._store.marks(roll_call.id)
        missing = [p for p in await self._expected(group) if p.id not in marks]
        via = await self._conversations.get(roll_call.conversation_id)
        shared = await self.shared(roll_call, group)
        sent = already = 0
        unreachable: list[NotReached] = []
        everyone = await reach_all(self._conversations, self._chats, missing, via)
        for person, reached in zip(missing, everyone, strict=True):
            assert person.id is not None
            chat = reached.conversation
            if chat is None:
                unreachable.append(NotReached.of(person.name, reached))
                continue
            language = person.speaks(group.language)
            card = self.cards.reminder(language, shared)
            added = await self._outbox.enqueue(
                messages.reminder(roll_call.id, person.id, chat.conversation_id, card)
            )
            if added:
                sent += 1
            else:
                already += 1
        notified = 0
        recipients = [p.teams_id for p in missing if p.teams_id]
        if (
            via is not None
            and via.kind is ConversationKind.MEETING
            and recipients
            and self._notice_url is not None
        ):
            added = await self._outbox.enqueue(
                messages.notice(
                    roll_call.id,
                    len(marks),
                    via.conversation_id,
                    recipients,
                    text(group.language, "rollcall.notice.title"),
                    self._notice_url(group.language),
                )
            )
            notified = len(recipients) if added else 0
        return Reminded(
            sent=sent, already=already, unreachable=tuple(unreachable), notified=notified
        )

    # --- corrections ---------------------------------------------------------------------

    async def may_see(self, actor: Actor, group: Group) -> bool:
        """Instructors of the group, coordinators of its unit and admins see the record."""
        return self.sees_record(actor, group)

    def sees_record(self, actor: Actor, group: Group) -> bool:
        """Instructors of the group, coordinators of its unit and admins."""
        if self.runs_by_role(actor, group):
            return True
        return any(u.key == group.unit_key for u in actor.units_as(Role.COORDINATOR))

    async def correct(
        self,
        actor: Actor,
        roll_call: RollCall,
        group: Group,
        person_id: int,
        status: Status,
        reason: Reason | None = None,
        note: str | None = None,
        *,
        left_at: datetime | None = None,
    ) -> bool:
        """An instructor sets a person's status (left early: their check-out); audited.

        note: why, in the instructor's words; a correction without one is refused and nothing
        is written. False when nothing changed (the same status and reason as before).
        left_at: when they left, if known (Teams' attendance report): the check-out's time
        instead of now, never before their latest "here" nor after now.
        """
        await self._check(actor, group, None, None)
        assert group.id is not None
        why = self.need_note(note)
        now_stored = await self._store.get(roll_call.id or 0)
        if roll_call.is_cancelled or (now_stored is not None and now_stored.is_cancelled):
            raise DomainError("rollcall.cancelled_already")
        known = {p.id for p in await self._expected(group)}
        marks = await self._store.marks(roll_call.id or 0)
        if person_id not in known and person_id not in marks:
            raise NotFound("rollcall.unknown_person")
        now = self.now()
        if status is Status.LEFT_EARLY:
            latest = await self._latest_here(group, roll_call.day, person_id)
            at = min(left_at, now) if left_at is not None else now
            at = max(at, latest) if latest is not None else at
            checkout = Checkout(group.id, roll_call.day, person_id, at)
            before = marks.get(person_id)
            change = Change(
                group_id=group.id,
                day=roll_call.day,
                person_id=person_id,
                roll_call_id=roll_call.id,
                at=now,
                before=before.status if before else None,
                after=Status.LEFT_EARLY,
                by=actor.person_id,
                note=why,
            )
            return await self._store.checkout(checkout, change, [messages.refresh(roll_call)])
        if status is Status.EXCUSED and reason is None:
            reason = Reason.OTHER
        if status is not Status.EXCUSED:
            reason = None
        for _ in range(3):
            current = await self._store.mark_of(roll_call.id or 0, person_id)
            if current is not None and current.status is status and current.reason is reason:
                return False
            mark = Mark(
                roll_call_id=roll_call.id or 0,
                person_id=person_id,
                status=status,
                at=self._corrected_at(roll_call, current, status, now),
                reason=reason,
                guest=current.guest if current is not None else person_id not in known,
                version=current.version if current else 0,
            )
            change = Change(
                group_id=group.id,
                day=roll_call.day,
                person_id=person_id,
                roll_call_id=roll_call.id,
                at=now,
                before=current.status if current else None,
                after=status,
                by=actor.person_id,
                reason=reason,
                note=why,
            )
            if await self._store.record(mark, change, [messages.refresh(roll_call)]):
                if status.is_here:
                    assert group.id is not None
                    left = (await self._store.checkouts(group.id, roll_call.day)).get(person_id)
                    await self._back(group, roll_call, person_id, mark, actor.person_id, why, left)
                return True
        raise DomainError("rollcall.busy")

    @staticmethod
    def need_note(note: str | None) -> str:
        """The reason a correction needs (cleaned); refused with how to give one if missing."""
        why = clean_note(note)
        if why is None:
            raise DomainError("attendance.reason_needed")
        return why

    def _corrected_at(
        self, roll_call: RollCall, current: Mark | None, status: Status, now: datetime
    ) -> datetime:
        """When a corrected mark says the person was here: as recorded if they were, else the
        roll call's time (late: its grace period's end), never later than now."""
        if current is not None and current.status.is_here:
            return current.at
        if status is Status.LATE:
            return min(now, roll_call.opened_at + roll_call.grace)
        return min(now, roll_call.opened_at)

    async def _latest_here(self, group: Group, day: date, person_id: int) -> datetime | None:
        """When the person was last marked here that day (in a roll call that counts)."""
        assert group.id is not None
        marks = await self._store.marks_of_day(group.id, day)
        calls = {rc.id: rc for rc in await self._store.of_day(group.id, day)}
        times = [
            mark.at
            for rc_id, by_person in marks.items()
            if (mark := by_person.get(person_id)) is not None
            and mark.status.is_here
            and rc_id in calls
            and not calls[rc_id].is_cancelled
        ]
        return max(times, default=None)

    # --- check-out -----------------------------------------------------------------------

    async def leave(self, actor: Actor, conversation: Conversation) -> tuple[Group, datetime, bool]:
        """I'm leaving now": the person's check-out for today; (group, time, recorded now)."""
        group: Group | None = None
        if conversation.group_id is not None:
            group = await self._people.group_by_id(conversation.group_id)
        if group is None:
            groups = actor.groups_as(Role.CLIENT)
            if not groups:
                raise NotFound("rollcall.leave.no_group")
            group = groups[0]
        assert group.id is not None
        now = self.now()
        day = self.today(group)
        latest = await self._latest_here(group, day, actor.person_id)
        if latest is not None and latest > now:
            now = latest  # another replica's clock ran ahead: never left before arriving
        checkout = Checkout(group.id, day, actor.person_id, now)
        change = Change(
            group_id=group.id,
            day=day,
            person_id=actor.person_id,
            at=now,
            after=Status.LEFT_EARLY,
            by=actor.person_id,
        )
        recorded = await self._store.checkout(
            checkout, replace(change, before=await self._last_status(group, day, actor.person_id))
        )
        if not recorded:
            earlier = (await self._store.checkouts(group.id, day)).get(actor.person_id)
            if earlier is not None:
                now = earlier.at
        return group, now, recorded

    async def _last_status(self, group: Group, day: date, person_id: int) -> Status | None:
        """The person's status in the latest roll call of the day that has them."""
        assert group.id is not None
        marks = await self._store.marks_of_day(group.id, day)
        for roll_call in reversed(await self._store.of_day(group.id, day)):
            mark = marks.get(roll_call.id or 0, {}).get(person_id)
            if mark is not None:
                return mark.status
        return None

    async def undo_checkout(
        self,
        actor: Actor,
        roll_call: RollCall,
        group: Group,
        person_id: int,
        status: Status,
        note: str | None = None,
    ) -> bool:
        """An instructor takes back a check-out marked by mistake; audited with the reason."""
        await self._check(actor, group, None, None)
        assert group.id is not None
        why = self.need_note(note)
        change = Change(
            group_id=group.id,
            day=roll_call.day,
            person_id=person_id,
            roll_call_id=roll_call.id,
            at=self.now(),
            before=Status.LEFT_EARLY,
            after=status,
            by=actor.person_id,
            note=why,
        )
        return await self._store.undo_checkout(
            group.id, roll_call.day, person_id, change, [messages.refresh(roll_call)]
        )

    # --- the day's record ----------------------------------------------------------------

    async def attendance(
        self, actor: Actor, group: Group, language: Language, day: date | None = None
    ) -> AttendanceView:
        """The group's day for instructors (editable) and coordinators (read only)."""
        if not await self.may_see(actor, group):
            raise NotAllowed("rollcall.attendance.not_allowed")
        assert group.id is not None
        recorded = await self.records.day(group, day or self.today(group))
        people = tuple(
            PersonDay(
                person=Person(line.name, id=line.person_id),
                marks=line.marks,
                record=line.record,
                guest=line.role is AttendeeRole.GUEST,
            )
            for line in recorded.people
        )
        names: dict[int, str] = {line.person_id: line.name for line in recorded.people}
        changes: list[tuple[Change, str, str | None]] = []
        for change in await self._store.changes(group.id, recorded.day):
            for someone in (change.person_id, change.by):
                if someone is not None and someone not in names:
                    found = await self._people.person_by_id(someone)
                    names[someone] = found.name if found else "?"
            by = names.get(change.by) if change.by is not None else None
            changes.append((change, names.get(change.person_id, "?"), by))
        cancelled: list[tuple[RollCall, str | None]] = []
        for rc in recorded.roll_calls:
            if not rc.is_cancelled:
                continue
            if rc.cancelled_by is not None and rc.cancelled_by not in names:
                found = await self._people.person_by_id(rc.cancelled_by)
                names[rc.cancelled_by] = found.name if found else "?"
            cancelled.append((rc, names.get(rc.cancelled_by) if rc.cancelled_by else None))
        return AttendanceView(
            group=group,
            day=recorded.day,
            roll_calls=recorded.roll_calls,
            people=people,
            changes=tuple(changes),
            editable=await self.may_run(actor, group, None, None),
            language=language,
            zone=ZoneInfo(group.timezone),
            over=recorded.over,
            cancelled=tuple(cancelled),
        )
