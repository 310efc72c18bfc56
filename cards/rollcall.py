"""Roll-call cards: one big "I'm here" for clients, the missing names only for instructors.

The shared card in the group conversation carries the count and `refresh.userIds` with the
instructors' ids: their Teams clients fetch the instructor view (names) by themselves, while
clients only ever see the count and, after tapping, their own status.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any
from zoneinfo import ZoneInfo

from cards.common import Card, card, execute, heading, paragraph, small, strong, styled
from cards.payload import CardAction
from cards.reconcile import attendance_section
from domain.i18n import clock as clock  # times and dates are formatted in one place
from domain.i18n import date_text as day_text
from domain.i18n import text
from domain.org import Language
from domain.reconcile import Suggestion
from domain.rollcall.model import MAX_NOTE, CallState, Mark, Reason, RollCall, Status
from domain.rollcall.views import (
    AttendanceView,
    ClientView,
    InstructorView,
    PersonDay,
    SharedView,
)

HERE_VERB = "rollcall.here"
PROBLEM_VERB = "rollcall.problem"
REFRESH_VERB = "rollcall.refresh"
CLOSE_VERB = "rollcall.close"
REMIND_VERB = "rollcall.remind"
CANCEL_VERB = "rollcall.cancel"
LIST_VERB = "attendance.show"
SAVE_VERB = "attendance.save"
HISTORY_VERB = "attendance.history"

Element = dict[str, Any]
MAX_HISTORY = 80
# the attendance list's "reason for the changes" field (a correction is saved only with one)
NOTE_INPUT = "why"

# what an instructor can set on the attendance list, as one value per choice
CHOICES: tuple[tuple[Status, Reason | None], ...] = (
    (Status.PRESENT, None),
    (Status.LATE, None),
    (Status.ABSENT, None),
    (Status.EXCUSED, Reason.SICK),
    (Status.EXCUSED, Reason.CHILD_SICK),
    (Status.EXCUSED, Reason.JOB_INTERVIEW),
    (Status.EXCUSED, Reason.PUBLIC_OFFICE),
    (Status.EXCUSED, Reason.TECHNICAL),
    (Status.EXCUSED, Reason.APPOINTMENT),
    (Status.EXCUSED, Reason.OTHER),
    (Status.LEFT_EARLY, None),
)


def choice_value(status: Status, reason: Reason | None) -> str:
    """The attendance list's value for a status (and reason), e.g. "excused:sick"."""
    return f"{status.value}:{reason.value}" if reason else status.value


def shown_choice(status: Status, reason: Reason | None) -> str:
    """The list's value for a mark: a reason that is no choice (a problem noted on a present
    mark) is kept on the mark but not shown as one."""
    if (status, reason) in CHOICES:
        return choice_value(status, reason)
    return choice_value(status, None)


def parse_choice(value: str) -> tuple[Status, Reason | None] | None:
    """A value of the attendance list back to status and reason; None if it is not one."""
    for status, reason in CHOICES:
        if choice_value(status, reason) == value:
            return status, reason
    return None


def status_text(language: Language, status: Status | None, reason: Reason | None = None) -> str:
    """A status in words (with the reason of an excused absence)."""
    if status is None:
        return text(language, "rollcall.status.none")
    words = text(language, f"rollcall.status.{status.value}")
    if status is Status.EXCUSED and reason is not None:
        words = text(
            language,
            "rollcall.status.excused_reason",
            reason=text(language, f"rollcall.reason.{reason.value}"),
        )
    return words


def _choice_title(language: Language, status: Status, reason: Reason | None) -> str:
    """A choice of the attendance list in few words (forty people have a list each)."""
    if status is Status.EXCUSED and reason is not None:
        words = text(language, f"rollcall.reason.{reason.value}")
        return text(language, "attendance.choice.excused", reason=words)
    return status_text(language, status, reason)


def _action(title: str, verb: str, roll_call: RollCall, **extra: str) -> Element:
    return execute(title, CardAction(verb, {"rollcall": str(roll_call.id), **extra}))


def _title(language: Language, roll_call: RollCall) -> str:
    if roll_call.number > 1:
        return text(language, "rollcall.title.numbered", number=roll_call.number)
    return text(language, "rollcall.title")


def _refresh(view: SharedView) -> dict[str, Any] | None:
    if not view.instructor_ids:
        return None
    action = _action("", REFRESH_VERB, view.roll_call)
    action.pop("title")
    action.pop("fallback")
    # Teams refreshes automatically for at most 60 ids
    return {"action": action, "userIds": list(view.instructor_ids[:60])}


class RollCallCardRenderer:
    """Draws roll-call and attendance cards."""

    # --- the shared card and what clients see ----------------------------------------------

    def _client_buttons(self, language: Language, roll_call: RollCall) -> list[Element]:
        if roll_call.is_cancelled:
            return []
        return [
            styled(
                _action(text(language, "rollcall.button.here"), HERE_VERB, roll_call), "positive"
            ),
            _action(text(language, "rollcall.button.problem"), PROBLEM_VERB, roll_call),
        ]

    def _base(self, language: Language, view: SharedView) -> list[Element]:
        rc = view.roll_call
        zone = ZoneInfo(view.group.timezone)
        if rc.is_cancelled and rc.cancelled_at is not None:
            return [
                heading(_title(language, rc)),
                small(view.group.name),
                strong(
                    text(
                        language, "rollcall.cancelled", time=clock(language, rc.cancelled_at, zone)
                    )
                ),
            ]
        body: list[Element] = [
            heading(_title(language, rc)),
            small(view.group.name),
            paragraph(text(language, "rollcall.text")),
            strong(
                text(language, "rollcall.count", here=view.count.here, expected=view.count.expected)
            ),
        ]
        if not rc.is_open and rc.closed_at is not None:
            body.append(
                paragraph(
                    text(language, "rollcall.closed", time=clock(language, rc.closed_at, zone))
                )
            )
        return body

    def _with_refresh(self, built: Card, view: SharedView) -> Card:
        refresh = _refresh(view)
        if refresh is not None:
            built["refresh"] = refresh
        return built

    def shared(self, view: SharedView) -> Card:
        """The card everyone in the group conversation sees: the count, no names."""
        language = view.group.language
        body = self._base(language, view)
        speak = " ".join(b["text"] for b in body if "text" in b)
        return self._with_refresh(
            card(body, actions=self._client_buttons(language, view.roll_call), speak=speak), view
        )

    def client(self, view: ClientView) -> Card:
        """A client's own view after tapping: the count and their status."""
        language = view.language
        body = self._base(language, view.shared)
        if not view.shared.roll_call.is_cancelled:
            zone = ZoneInfo(view.shared.group.timezone)
            body.append(strong(self._own(language, view.mark, zone)))
        speak = " ".join(b["text"] for b in body if "text" in b)
        return self._with_refresh(
            card(body, actions=self._client_buttons(language, view.shared.roll_call), speak=speak),
            view.shared,
        )

    def _own(self, language: Language, mark: Mark | None, zone: ZoneInfo) -> str:
        if mark is None:
            return text(language, "rollcall.own.none")
        at = clock(language, mark.at, zone)
        if mark.guest:
            return text(language, "rollcall.own.guest", time=at)
        if mark.status is Status.LATE:
            return text(language, "rollcall.own.late", time=at)
        if mark.status is Status.PRESENT:
            return text(language, "rollcall.own.present", time=at)
        return text(language, "rollcall.own.other", status=status_text(language, mark.status))

    def reminder(self, language: Language, view: SharedView) -> Card:
        """The 1:1 reminder for someone missing: the same check-in button."""
        title = text(language, "rollcall.remind.title")
        body = text(language, "rollcall.remind.text", group=view.group.name)
        return card(
            [heading(title), paragraph(body)],
            actions=self._client_buttons(language, view.roll_call),
            speak=f"{title} {body}",
        )

    # --- instructors -----------------------------------------------------------------------

    def instructor(self, view: InstructorView) -> Card:
        """The instructors' view: who is missing, late, excused, or not on the list."""
        language = view.language
        shared = view.shared
        zone = ZoneInfo(shared.group.timezone)
        body = self._base(language, shared)

        def section(key: str, names: list[str]) -> None:
            if names:
                body.append(strong(text(language, key, n=len(names))))
                body.append(paragraph(", ".join(names)))

        section("rollcall.missing", [p.name for p in view.missing])
        section("rollcall.late", [f"{p.name} {clock(language, at, zone)}" for p, at in view.late])
        section(
            "rollcall.excused",
            [f"{p.name} ({status_text(language, Status.EXCUSED, r)})" for p, r in view.excused],
        )
        section("rollcall.problems", [p.name for p in view.problems])
        section("rollcall.guests", [p.name for p in view.guests])
        if view.guests:
            body.append(small(text(language, "rollcall.guests.hint")))
        rc = shared.roll_call
        if not view.missing and rc.is_open:
            body.append(paragraph(text(language, "rollcall.everyone_here")))
        if rc.is_cancelled:
            body = self._base(language, shared)  # no names: nothing of it counts any more
        actions: list[Element] = []
        if rc.is_open:
            actions.append(_action(text(language, "rollcall.button.remind"), REMIND_VERB, rc))
            actions.append(_action(text(language, "rollcall.button.close"), CLOSE_VERB, rc))
        actions.append(_action(text(language, "rollcall.button.list"), LIST_VERB, rc))
        if not rc.is_cancelled:
            actions.append(
                styled(
                    _action(text(language, "rollcall.button.cancel"), CANCEL_VERB, rc),
                    "destructive",
                )
            )
        speak = " ".join(b["text"] for b in body if "text" in b)
        return self._with_refresh(card(body, actions=actions, speak=speak), shared)

    def attendance(
        self,
        view: AttendanceView,
        roll_call: RollCall | None,
        suggestions: Sequence[Suggestion] = (),
        *,
        preset: Mapping[int, str] | None = None,
        note: str | None = None,
        said: str | None = None,
    ) -> Card:
        """The day's attendance list; instructors change statuses with one choice per person.

        suggestions: what Teams' attendance report says differently (each with a button that
        opens the correction); preset and note: a correction opened from one, chosen and
        explained already but not saved (said: what to do now).
        """
        language = view.language
        preset = preset or {}
        zone = view.zone
        body: list[Element] = [
            heading(
                text(
                    language,
                    "attendance.title",
                    group=view.group.name,
                    day=day_text(language, view.day),
                )
            )
        ]
        if roll_call is None:
            body.append(paragraph(text(language, "attendance.no_roll_calls")))
        else:
            body.append(
                small(
                    text(
                        language,
                        "attendance.showing",
                        title=_title(language, roll_call),
                        time=clock(language, roll_call.opened_at, zone),
                    )
                )
            )
        index = view.roll_calls.index(roll_call) if roll_call in view.roll_calls else None
        editable = view.editable and roll_call is not None and not roll_call.is_cancelled
        if roll_call is not None and roll_call.is_cancelled and roll_call.cancelled_at:
            body.append(
                strong(
                    text(
                        language,
                        "attendance.cancelled",
                        time=clock(language, roll_call.cancelled_at, zone),
                    )
                )
            )
        if said:
            body.append(strong(said))
        body.extend(attendance_section(language, suggestions, roll_call, editable, zone))
        full = on_the_way = 0
        for line in view.people:
            record = line.record
            full += 1 if record.full_day else 0
            on_the_way += 1 if record.on_the_way else 0
            mark = line.marks[index] if index is not None else None
            parts = self._day_parts(language, view, line, roll_call, mark)
            name = line.person.name
            if line.guest:
                name = text(language, "attendance.guest", name=name)
            body.append(
                {
                    "type": "TextBlock",
                    "text": f"**{name}** — {', '.join(parts)}",
                    "wrap": True,
                    "spacing": "Medium",
                }
            )
            if editable:
                current = (
                    choice_value(Status.LEFT_EARLY, None)
                    if record.left_early
                    else shown_choice(mark.status, mark.reason)
                    if mark is not None
                    else ""
                )
                current = preset.get(line.person.id or 0, current)
                body.append(
                    {
                        "type": "Input.ChoiceSet",
                        "id": f"p{line.person.id}",
                        "label": text(language, "attendance.change_label", name=line.person.name),
                        "style": "compact",
                        "value": current,
                        "placeholder": text(language, "attendance.choose"),
                        "choices": [
                            {
                                "title": _choice_title(language, st, rs),
                                "value": choice_value(st, rs),
                            }
                            for st, rs in CHOICES
                        ],
                    }
                )
        total = len(view.people)
        if view.over:
            body.append(strong(text(language, "attendance.full_days", n=full, total=total)))
        else:
            body.append(
                strong(text(language, "attendance.on_the_way_days", n=on_the_way, total=total))
            )
        if editable:
            reason: Element = {
                "type": "Input.Text",
                "id": NOTE_INPUT,
                "label": text(language, "attendance.reason_label"),
                "placeholder": text(language, "attendance.reason_placeholder"),
                "maxLength": MAX_NOTE,
                "isMultiline": False,
            }
            if note:
                reason["value"] = note[:MAX_NOTE]
            body.append(reason)
        actions: list[Element] = []
        if editable and roll_call is not None:
            actions.append(
                styled(
                    _action(text(language, "attendance.button.save"), SAVE_VERB, roll_call),
                    "positive",
                )
            )
        for other in view.roll_calls:
            if other != roll_call:
                actions.append(_action(_title(language, other), LIST_VERB, other))
        if roll_call is not None:
            actions.append(
                _action(text(language, "attendance.button.history"), HISTORY_VERB, roll_call)
            )
        return card(body, actions=actions or None, speak=body[0]["text"])

    def _day_parts(
        self,
        language: Language,
        view: AttendanceView,
        line: PersonDay,
        roll_call: RollCall | None,
        mark: Mark | None,
    ) -> list[str]:
        """A person's day in words: the day's status (a later roll call never makes someone
        who was here absent), the shown roll call's own mark where it differs, the check-out,
        full day or on the way to one."""
        record = line.record
        zone = view.zone
        counted = [
            m
            for m, rc in zip(line.marks, view.roll_calls, strict=False)
            if m is not None and rc.state is not CallState.CANCELLED
        ]
        first_here = next((m for m in counted if m.status.is_here), None)
        parts: list[str] = []
        if first_here is not None:
            parts.append(
                f"{status_text(language, first_here.status)} {clock(language, first_here.at, zone)}"
            )
        else:
            day_mark = next((m for m in counted if m.status is record.status), None)
            parts.append(
                status_text(language, record.status, day_mark.reason if day_mark else None)
            )
        day_status = first_here.status if first_here is not None else record.status
        shown = mark.status if mark is not None else None
        if len(view.roll_calls) > 1 and roll_call is not None and shown is not day_status:
            own = status_text(
                language, mark.status if mark else None, mark.reason if mark else None
            )
            if mark is not None and mark.status.is_here:
                own = f"{own} {clock(language, mark.at, zone)}"
            parts.append(
                text(
                    language,
                    "attendance.in_roll_call",
                    title=_title(language, roll_call),
                    status=own,
                )
            )
        if record.left_early and record.checkout_at is not None:
            parts.append(
                text(language, "attendance.left", time=clock(language, record.checkout_at, zone))
            )
        if record.full_day:
            parts.append(text(language, "attendance.full_day.yes"))
        elif record.on_the_way:
            parts.append(text(language, "attendance.full_day.on_the_way"))
        else:
            parts.append(text(language, "attendance.full_day.no"))
        return parts

    def history(self, view: AttendanceView, roll_call: RollCall) -> Card:
        """Every change of the day: when, whose, from what to what, why, by whom."""
        language = view.language
        zone = view.zone
        body: list[Element] = [
            heading(
                text(
                    language,
                    "attendance.history.title",
                    group=view.group.name,
                    day=day_text(language, view.day),
                )
            )
        ]
        changes = view.changes[-MAX_HISTORY:]
        if not changes and not view.cancelled:
            body.append(paragraph(text(language, "attendance.history.none")))
        for change, whose, by in changes:
            before = status_text(language, change.before) if change.before else "–"
            after = status_text(language, change.after, change.reason)
            who = by if by is not None else text(language, "attendance.history.system")
            line = text(
                language,
                "attendance.history.line",
                time=clock(language, change.at, zone),
                name=whose,
                before=before,
                after=after,
                by=who,
            )
            if change.note:
                line = text(language, "attendance.history.with_reason", line=line, note=change.note)
            body.append(paragraph(line))
        for cancelled, by in view.cancelled:
            if cancelled.cancelled_at is None:
                continue
            body.append(
                paragraph(
                    text(
                        language,
                        "attendance.history.cancelled",
                        time=clock(language, cancelled.cancelled_at, zone),
                        title=_title(language, cancelled),
                        by=by or text(language, "attendance.history.system"),
                    )
                )
            )
        return card(
            body,
            actions=[_action(text(language, "attendance.button.back"), LIST_VERB, roll_call)],
            speak=body[0]["text"],
        )
