"""Teams' attendance report as a second witness to the roll call: suggestions, never changes.

The roll call is the attendance record. After a group's meeting ends the leader reads Teams'
attendance report (Microsoft Graph) at about +10 min, +1 h and the next morning, keeps a copy,
and matches its records to the group's people by their Entra object id. What does not agree
with the roll call becomes a suggestion on the instructor's attendance list and in the
coordinators' digest:

- JOINED: in the meeting for a while, but never checked in;
- SHORT_STAY: checked in, but in the meeting less than a threshold (20 min by default);
- LEFT_EARLY: checked in and not checked out, but left the meeting well before the planned end.

Nothing here writes the statutory record: an instructor opens the usual correction from a
suggestion and confirms it with a reason (audited as every correction is).
"""

from __future__ import annotations

import enum
import logging
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Protocol
from zoneinfo import ZoneInfo

from domain.graph import AttendeeRecord, Graph, GraphProblem, GraphUnavailable, MeetingRef
from domain.meetings import MeetingDetails
from domain.org import Group
from domain.rollcall.attendance import AttendanceRecords, DayAttendance
from domain.rollcall.model import Status

log = logging.getLogger(__name__)

DEFAULT_JOINED_MINUTES = 10
DEFAULT_SHORT_STAY_MINUTES = 20
DEFAULT_EARLY_MARGIN_MINUTES = 30
# when the report is read after the meeting's end: +10 min, +1 h, then the next morning
FIRST_POLL = timedelta(minutes=10)
SECOND_POLL = timedelta(hours=1)
MORNING = time(8, 0)


class Finding(enum.StrEnum):
    """What Teams' report says that the roll call does not."""

    JOINED = "joined"  # in the meeting, never checked in
    SHORT_STAY = "short_stay"  # checked in, in the meeting only a short while
    LEFT_EARLY = "left_early"  # checked in, left the meeting well before the planned end


class Problem(enum.StrEnum):
    """Why the report was not available: Graph's reasons, and two of our own."""

    FORBIDDEN = GraphProblem.FORBIDDEN.value
    NOT_FOUND = GraphProblem.NOT_FOUND.value
    THROTTLED = GraphProblem.THROTTLED.value
    SERVER = GraphProblem.SERVER.value
    NETWORK = GraphProblem.NETWORK.value
    INVALID = GraphProblem.INVALID.value
    NO_MEETING = "no_meeting"  # the meeting's Graph id could not be found
    NO_REPORT = "no_report"  # no report for that day, still at the last poll


@dataclass(frozen=True, slots=True)
class Rules:
    """The thresholds of the matching rules, in minutes."""

    joined: int = DEFAULT_JOINED_MINUTES
    short_stay: int = DEFAULT_SHORT_STAY_MINUTES
    early_margin: int = DEFAULT_EARLY_MARGIN_MINUTES


@dataclass(frozen=True, slots=True)
class Suggestion:
    """One person's day as Teams saw it, where it differs from the roll call.

    suggested: the status a correction would set (None: no change fits, say it only).
    """

    person_id: int
    name: str
    finding: Finding
    minutes: int  # in the meeting that day, all sessions together
    left_at: datetime | None  # the last time they left the meeting
    suggested: Status | None


@dataclass(frozen=True, slots=True)
class Copied:
    """A stored attendance record of one report: the copy of Graph's record."""

    report_id: str
    record: AttendeeRecord


def minutes_in(records: Sequence[AttendeeRecord]) -> int:
    """Minutes in the meeting over the person's records (intervals, else the total)."""
    seconds = 0
    for record in records:
        inside = sum(max(i.seconds, 0) for i in record.intervals)
        seconds += inside if record.intervals else max(record.total_seconds, 0)
    return seconds // 60


def last_left(records: Sequence[AttendeeRecord]) -> datetime | None:
    """The latest leave time over the person's intervals (None when none is known)."""
    found = [i.left for r in records for i in r.intervals if i.left is not None]
    return max(found, default=None)


def by_person(
    records: Sequence[AttendeeRecord],
    aad_of: Mapping[int, str],
    upn_of: Mapping[int, str] | None = None,
) -> dict[int, list[AttendeeRecord]]:
    """Records matched to people by Entra object id (case-insensitive); others are dropped.

    A person whose object id is not known (the organisation file gave only their UPN, and they
    have not written to the bot) is matched by the record's e-mail address against their UPN,
    unless the record's object id is someone else's.
    """
    person_of = {aad.lower(): pid for pid, aad in aad_of.items() if aad}
    by_upn = {
        upn.lower(): pid for pid, upn in (upn_of or {}).items() if upn and not aad_of.get(pid)
    }
    found: dict[int, list[AttendeeRecord]] = {}
    for record in records:
        aad = (record.aad_object_id or "").lower()
        pid = person_of.get(aad)
        if pid is None and record.email:
            pid = by_upn.get(record.email.strip().lower())
        if pid is not None:
            found.setdefault(pid, []).append(record)
    return found


def reconcile(
    day: DayAttendance,
    aad_of: Mapping[int, str],
    records: Sequence[AttendeeRecord],
    planned_end: datetime | None,
    rules: Rules = Rules(),
    upn_of: Mapping[int, str] | None = None,
) -> tuple[Suggestion, ...]:
    """The suggestions for a group's day: the day's people against Teams' records (pure).

    A person is checked in when the roll call has them here at some point of the day. People
    Teams did not see, and people the roll call agrees with, give nothing.
    """
    matched = by_person(records, aad_of, upn_of)
    found: list[Suggestion] = []
    for line in day.people:
        theirs = matched.get(line.person_id)
        if not theirs:
            continue
        minutes = minutes_in(theirs)
        left = last_left(theirs)
        checked_in = line.joined_at is not None
        if not checked_in:
            if minutes >= rules.joined:
                found.append(
                    Suggestion(
                        line.person_id, line.name, Finding.JOINED, minutes, left, Status.PRESENT
                    )
                )
            continue
        out = None if line.left_early else Status.LEFT_EARLY
        if minutes < rules.short_stay:
            found.append(
                Suggestion(line.person_id, line.name, Finding.SHORT_STAY, minutes, left, out)
            )
            continue
        if (
            line.checkout_at is None
            and planned_end is not None
            and left is not None
            and left < planned_end - timedelta(minutes=rules.early_margin)
        ):
            found.append(
                Suggestion(line.person_id, line.name, Finding.LEFT_EARLY, minutes, left, out)
            )
    return tuple(sorted(found, key=lambda s: (s.name.casefold(), s.person_id)))


def poll_times(ended_at: datetime, zone: ZoneInfo) -> tuple[datetime, ...]:
    """When to read the report after the meeting ended: +10 min, +1 h, the next morning 08:00
    in the group's zone (each later than the one before)."""
    first = ended_at + FIRST_POLL
    second = ended_at + SECOND_POLL
    local = ended_at.astimezone(zone)
    morning = datetime.combine(local.date() + timedelta(days=1), MORNING, tzinfo=zone)
    third = max(morning.astimezone(UTC), second + timedelta(minutes=10))
    return (first, second, third)


# --- what is stored ----------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class MeetingDay:
    """A group day's meeting as Graph knows it, and how reading its report goes."""

    group_id: int
    day: date
    ended_at: datetime | None = None  # None: Teams said it started, not yet that it ended
    organizer_id: str | None = None
    graph_id: str | None = None
    next_poll_at: datetime | None = None  # None: no more polls
    polls_done: int = 0
    problem: Problem | None = None  # the last poll's problem (None: it went well)
    status: int | None = None  # the HTTP status of the problem, when there was one
    fetched_at: datetime | None = None  # when the copy was last replaced

    @property
    def ref(self) -> MeetingRef | None:
        if self.organizer_id and self.graph_id:
            return MeetingRef(self.organizer_id, self.graph_id)
        return None

    @property
    def done(self) -> bool:
        return self.next_poll_at is None


class GraphAttendanceStore(Protocol):
    """Storage of the meetings' Graph ids, the poll state and the copies of the records."""

    async def meeting_day(self, group_id: int, day: date) -> MeetingDay | None: ...

    async def started(self, group_id: int, day: date, ref: MeetingRef) -> None:
        """Remember the day's meeting's Graph id when it starts (no polls yet)."""
        ...

    async def ended(self, meeting: MeetingDay) -> MeetingDay:
        """Store a meeting's end (a second end the same day moves the polls later) and
        return what is stored."""
        ...

    async def due(self, now: datetime) -> list[MeetingDay]: ...

    async def claim(self, meeting: MeetingDay, next_poll_at: datetime | None) -> bool:
        """Count a poll as done and set the next one, if nobody else did (compare-and-set on
        polls_done); False: another replica polled it."""
        ...

    async def set_ref(self, group_id: int, day: date, ref: MeetingRef) -> None: ...

    async def failed(
        self, group_id: int, day: date, problem: Problem, status: int | None
    ) -> None: ...

    async def replace_copy(
        self, group_id: int, day: date, copies: Sequence[Copied], now: datetime
    ) -> None:
        """The day's copy becomes these records (and the problem is cleared), atomically."""
        ...

    async def copy(self, group_id: int, day: date) -> list[Copied]: ...

    async def upns(self, person_ids: Sequence[int]) -> dict[int, str]:
        """The UPNs of those people who have one."""
        ...

    async def aad_ids(self, person_ids: Sequence[int]) -> dict[int, str]:
        """The Entra object ids of these people (those who have one)."""
        ...


# --- the meeting's details from Teams ----------------------------------------------------


DetailsOf = Callable[[int], Awaitable[MeetingDetails | None]]
"""The meeting details of a group's bound conversation (None: not a meeting, or no answer)."""
ChatOf = Callable[[int], Awaitable[str | None]]
"""The chat id of a group's bound conversation (None: not bound)."""


class Groups(Protocol):
    async def group_by_id(self, group_id: int) -> Group | None: ...


DayEnd = Callable[[Group, date], Awaitable[datetime | None]]


@dataclass(frozen=True, slots=True)
class DayNote:
    """What the digest says of Teams' report for a group day."""

    suggestions: tuple[Suggestion, ...] = ()
    problem: Problem | None = None  # not available, and why (None: available or waiting)
    waiting: bool = False  # no copy yet, polls still to come
    zone: str = "Europe/Helsinki"  # the group's time zone (times are said in it)


def _utcnow() -> datetime:
    return datetime.now(UTC)


class ReconcileService:
    """Reads Teams' attendance report after each meeting and turns it into suggestions."""

    def __init__(
        self,
        store: GraphAttendanceStore,
        graph: Graph | None,
        groups: Groups,
        records: AttendanceRecords,
        *,
        details_of: DetailsOf,
        chat_of: ChatOf,
        day_end: DayEnd,
        rules: Rules | None = None,
        clock: Callable[[], datetime] = _utcnow,
    ) -> None:
        self._store = store
        self._graph = graph
        self._groups = groups
        self._records = records
        self._details_of = details_of
        self._chat_of = chat_of
        self._day_end = day_end
        self.rules = rules or Rules()
        self._clock = clock

    @property
    def enabled(self) -> bool:
        """Graph is configured: reports are read."""
        return self._graph is not None

    def now(self) -> datetime:
        return self._clock()

    # --- the meeting started: its Graph id, while Teams surely knows the meeting ------------

    async def meeting_started(self, group_id: int) -> MeetingRef | None:
        """Teams says the group's meeting started: remember its Graph id (Teams' details call
        only; nothing is asked of Graph within the turn)."""
        if self._graph is None:
            return None
        group = await self._groups.group_by_id(group_id)
        if group is None:
            return None
        details = await self._details_of(group_id)
        if details is None or not details.organizer_id or not details.graph_id:
            return None
        ref = MeetingRef(details.organizer_id, details.graph_id)
        day = self.now().astimezone(ZoneInfo(group.timezone)).date()
        await self._store.started(group_id, day, ref)
        return ref

    # --- the meeting ended: remember it, find its Graph id, plan the polls -----------------

    async def meeting_ended(self, group_id: int) -> MeetingDay | None:
        """Teams says the group's meeting ended: the first poll in about ten minutes."""
        if self._graph is None:
            return None
        group = await self._groups.group_by_id(group_id)
        if group is None:
            return None
        now = self.now()
        day = now.astimezone(ZoneInfo(group.timezone)).date()
        known = await self._store.meeting_day(group_id, day)
        first = poll_times(now, ZoneInfo(group.timezone))[0]
        stored = await self._store.ended(
            MeetingDay(
                group_id,
                day,
                ended_at=now,
                organizer_id=known.organizer_id if known else None,
                graph_id=known.graph_id if known else None,
                next_poll_at=first,
            )
        )
        if stored.ref is None:
            # only Teams' own details call here (quick, within the turn); Graph's lookups,
            # which may wait out throttling, are left to the polls
            await self._find_ref(stored, ask_graph=False)
        return stored

    async def _find_ref(self, meeting: MeetingDay, *, ask_graph: bool = True) -> MeetingRef | None:
        """The meeting's Graph id: the details call's msGraphResourceId, else (ask_graph) Graph's
        lookup of the join URL under the organizer, or of the meeting chat; stored when found."""
        assert self._graph is not None
        ref: MeetingRef | None = None
        details = await self._details_of(meeting.group_id)
        if details is not None and details.organizer_id and details.graph_id:
            ref = MeetingRef(details.organizer_id, details.graph_id)
        if ref is None and not ask_graph:
            return None
        if ref is None and details is not None and details.organizer_id and details.join_url:
            ref = await self._graph.meeting_by_join_url(details.organizer_id, details.join_url)
        if ref is None:
            chat = await self._chat_of(meeting.group_id)
            if chat:
                ref = await self._graph.meeting_of_chat(chat)
        if ref is not None:
            await self._store.set_ref(meeting.group_id, meeting.day, ref)
        return ref

    # --- the leader's polls -----------------------------------------------------------------

    async def poll_due(self) -> int:
        """Read the reports whose time has come; how many were polled."""
        if self._graph is None:
            return 0
        polled = 0
        for meeting in await self._store.due(self.now()):
            try:
                if await self._poll(meeting):
                    polled += 1
            except Exception:  # one group's trouble never stops the others
                log.exception("group %s: reading the attendance report failed", meeting.group_id)
        return polled

    async def _poll(self, meeting: MeetingDay) -> bool:
        assert self._graph is not None
        group = await self._groups.group_by_id(meeting.group_id)
        if group is None:
            await self._store.claim(meeting, None)
            return False
        if meeting.ended_at is None:  # not due without an end; never polled
            return False
        times = poll_times(meeting.ended_at, ZoneInfo(group.timezone))
        number = meeting.polls_done + 1
        last = number >= len(times)
        if not await self._store.claim(meeting, None if last else times[number]):
            return False
        try:
            ref = meeting.ref or await self._find_ref(meeting)
            if ref is None:
                await self._store.failed(meeting.group_id, meeting.day, Problem.NO_MEETING, None)
                return True
            reports = await self._graph.reports(ref)
            zone = ZoneInfo(group.timezone)
            of_day = [
                r
                for r in reports
                if (r.started or r.ended) is not None
                and (r.started or r.ended or self.now()).astimezone(zone).date() == meeting.day
            ]
            if not of_day:
                if last:
                    await self._store.failed(meeting.group_id, meeting.day, Problem.NO_REPORT, None)
                return True
            copies: list[Copied] = []
            for report in of_day:
                for record in await self._graph.records(ref, report.report_id):
                    copies.append(Copied(report.report_id, record))
            await self._store.replace_copy(meeting.group_id, meeting.day, copies, self.now())
            log.info(
                "group %s: attendance report read (%d reports, %d records)",
                meeting.group_id,
                len(of_day),
                len(copies),
            )
        except GraphUnavailable as exc:
            log.info(
                "group %s: attendance report not available: %s (%s)",
                meeting.group_id,
                exc.problem.value,
                exc.status,
            )
            await self._store.failed(
                meeting.group_id, meeting.day, Problem(exc.problem.value), exc.status
            )
        return True

    # --- what people see ---------------------------------------------------------------------

    async def suggestions(self, group: Group, day: date) -> tuple[Suggestion, ...]:
        """The day's suggestions from the stored copy (none without Graph or a copy)."""
        if self._graph is None or group.id is None:
            return ()
        copies = await self._store.copy(group.id, day)
        if not copies:
            return ()
        record = await self._records.day(group, day)
        ids = [line.person_id for line in record.people]
        aad = await self._store.aad_ids(ids)
        upns = await self._store.upns(ids)
        end = await self._day_end(group, day)
        return reconcile(record, aad, [c.record for c in copies], end, self.rules, upns)

    async def suggestion_for(self, group: Group, day: date, person_id: int) -> Suggestion | None:
        """The person's suggestion that day, as stored data says now (not as a card says)."""
        return next(
            (s for s in await self.suggestions(group, day) if s.person_id == person_id), None
        )

    async def note(self, group: Group, day: date) -> DayNote | None:
        """What the digest says: suggestions, why the report was not available, or that it is
        coming; None when Graph is off or the group had no meeting that Teams said ended."""
        if self._graph is None or group.id is None:
            return None
        meeting = await self._store.meeting_day(group.id, day)
        if meeting is None or meeting.ended_at is None:
            return None
        zone = group.timezone
        if meeting.fetched_at is not None:
            return DayNote(suggestions=await self.suggestions(group, day), zone=zone)
        if meeting.problem is not None:
            return DayNote(problem=meeting.problem, zone=zone)
        return DayNote(waiting=True, zone=zone)


__all__ = [
    "Copied",
    "DayNote",
    "Finding",
    "GraphAttendanceStore",
    "MeetingDay",
    "Problem",
    "ReconcileService",
    "Rules",
    "Suggestion",
    "poll_times",
    "reconcile",
]
