"""The agenda card, timer announcements and the plan picker (Adaptive Cards 1.5, catalog text)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from cards.common import Card, card, execute, heading, paragraph
from cards.payload import CardAction
from domain import days as d
from domain.agenda import Change, Rendered
from domain.i18n import clock, date_text, text
from domain.org import Language
from domain.plans import Plan
from domain.templates import break_tip

AGENDA_VERB = "agenda.steer"
REFRESH_VERB = "agenda.refresh"
BACK_VERB = "day.back"
PLAN_VERB = "plan.choose"
MAX_REFRESH_USERS = 60  # Teams refreshes a card automatically for at most 60 users


def hhmm(day: d.GroupDay, moment: datetime) -> str:
    """A time as the group reads it, to the nearest minute: 9.30 (fi, sv), 9:30 (en)."""
    return clock(day.language, day.local(moment + timedelta(seconds=30)))


def _next_line(day: d.GroupDay, now: datetime, after: int | None) -> str:
    lang = day.language
    following = (after + 1) if after is not None else d.next_index(day, now)
    if following is not None and following < len(day.items):
        item = day.items[following]
        return text(lang, "event.next", title=item.title, time=hhmm(day, item.start))
    return text(lang, "event.last", time=hhmm(day, day.ends))


class CardRenderer:
    """Renders days and events with the catalogs (implements domain.agenda.Renderer)."""

    def events(self, day: d.GroupDay, events: Sequence[d.TimerEvent]) -> Rendered:
        """One message for the events due at one moment.

        A break that ends is its "I'm back" card, which also says what starts then; other
        events are lines of text.
        """
        ended = next((e for e in events if e.kind is d.EventKind.BREAK_END), None)
        if ended is None:
            return Rendered(text="\n\n".join(event_text(day, e) for e in events))
        told = {ended.key}
        if d.starts_as_break_ends(day, ended.index):
            told.add(f"{ended.index + 1}:start")
        rest = [event_text(day, e) for e in events if e.key not in told]
        count = len(day.backs.get(str(ended.index), []))
        built = back_card(day, ended.index, count)
        return Rendered(text="\n\n".join(rest) or None, card=built, speak=built.get("speak"))

    def back(self, day: d.GroupDay, index: int, count: int) -> Rendered:
        """The "I'm back" card of break index with how many have tapped it."""
        return Rendered(card=back_card(day, index, count))

    def agenda(
        self,
        day: d.GroupDay,
        now: datetime,
        *,
        for_instructor: bool,
        refresh_user_ids: tuple[str, ...] = (),
    ) -> Rendered:
        """The day's agenda; instructors' view has the steering buttons."""
        return Rendered(card=agenda_card(day, now, for_instructor, refresh_user_ids))

    def change(self, day: d.GroupDay, change: Change, now: datetime, minutes: int) -> Rendered:
        """What the group is told when an instructor changes the day."""
        lang = day.language
        current = d.current_index(day, now)
        if change is Change.EXTEND and current is not None:
            first = text(lang, "change.extend", title=day.items[current].title, minutes=minutes)
        elif change is Change.SHIFT:
            key = "change.shift_later" if minutes > 0 else "change.shift_earlier"
            first = text(lang, key, minutes=abs(minutes))
        else:
            first = text(lang, f"change.{change.value}")
        if change in (Change.END, Change.PAUSE):
            return Rendered(text=first)
        return Rendered(text=f"{first} {_next_line(day, now, current)}")


def event_text(day: d.GroupDay, event: d.TimerEvent) -> str:
    """The announcement of one timer event as text."""
    lang = day.language
    item = day.items[event.index]
    if event.kind is d.EventKind.START:
        if item.kind.is_break:
            lines = [
                text(lang, "event.break_start", title=item.title, end=hhmm(day, item.end)),
                text(lang, "event.tip", tip=break_tip(lang, event.index)),
            ]
        else:
            lines = [
                text(lang, "event.start", title=item.title),
                _next_line(day, item.start, event.index),
            ]
        return "\n\n".join(lines)
    if event.kind is d.EventKind.BREAK_WARNING:
        minutes = max(1, round((item.end - event.at).total_seconds() / 60))
        return text(lang, "event.break_warning", count=minutes, end=hhmm(day, item.end))
    return " ".join(_break_over(day, event.index))


def _break_over(day: d.GroupDay, index: int) -> list[str]:
    """What the end of break index says: over, and what starts now (or next)."""
    lang = day.language
    following = index + 1
    if following >= len(day.items):
        return [text(lang, "event.break_end_last")]
    if not d.starts_as_break_ends(day, index):
        return [text(lang, "event.break_end", title=day.items[following].title)]
    item = day.items[following]
    return [
        text(lang, "event.break_end_last"),
        text(lang, "event.start", title=item.title),
        _next_line(day, item.start, following),
    ]


def agenda_card(
    day: d.GroupDay, now: datetime, for_instructor: bool, refresh_user_ids: tuple[str, ...] = ()
) -> Card:
    """The agenda: every item with its time, the current one marked in words, not only colour."""
    lang = day.language
    current = d.current_index(day, now) if day.status is d.DayStatus.RUNNING else None
    status = text(lang, f"agenda.status.{day.status.value}")
    body: list[dict[str, Any]] = [
        heading(text(lang, "agenda.title", plan=day.plan_name)),
        paragraph(f"{text(lang, 'agenda.date', date=date_text(lang, day.date))}. {status}"),
    ]
    for index, item in enumerate(day.items):
        line = f"{hhmm(day, item.start)}–{hhmm(day, item.end)}  {item.title}"
        block: dict[str, Any] = {"type": "TextBlock", "text": line, "wrap": True}
        if index == current:
            block.update(text=f"{text(lang, 'agenda.now')}: {line}", weight="Bolder")
            body.append({"type": "Container", "style": "emphasis", "items": [block]})
            continue
        if day.status is d.DayStatus.RUNNING and item.end <= now:
            block.update(text=f"{line} ({text(lang, 'agenda.done')})", isSubtle=True)
        body.append(block)
    result = card(body, speak=text(lang, "agenda.speak", status=status))
    if for_instructor:
        result["actions"] = _steering_actions(day)
    if refresh_user_ids and day.id is not None and day.status.is_open:
        result["refresh"] = _refresh({"day": str(day.id)}, refresh_user_ids)
    return result


def _refresh(data: dict[str, str], user_ids: tuple[str, ...]) -> dict[str, Any]:
    """Teams fetches these people's own view of the card (the instructors' buttons)."""
    return {
        "action": {
            "type": "Action.Execute",
            "verb": REFRESH_VERB,
            "data": {"verb": REFRESH_VERB, **data},
        },
        "userIds": list(user_ids[:MAX_REFRESH_USERS]),
    }


PLANS_TODAY = {"plans": "today"}
"""The refresh data of the card shown before today's programme is chosen."""


def numbered_plans(plans: Sequence[Plan]) -> str:
    """The plans one a line with their numbers, as an instructor chooses one by typing."""
    return "\n".join(f"{number}. {plan.name}" for number, plan in enumerate(plans, start=1))


def waiting_card(
    language: Language, refresh_user_ids: tuple[str, ...], plans: Sequence[Plan] = ()
) -> Card:
    """Before a programme is chosen, in the group's chat: the plans by number and how to
    choose one by typing; the instructors' own view (where Teams refreshes it) is the picker."""
    body = [
        heading(text(language, "plan.waiting.title")),
        paragraph(text(language, "plan.waiting")),
    ]
    spoken = [text(language, "plan.waiting")]
    if plans:
        listed = numbered_plans(plans)
        body += [
            paragraph(text(language, "plan.options")),
            paragraph(listed),
            paragraph(text(language, "plan.how_to_choose")),
        ]
        spoken += [
            text(language, "plan.options"),
            listed.replace("\n", " "),
            text(language, "plan.how_to_choose"),
        ]
    result = card(body, speak=" ".join(spoken))
    if refresh_user_ids:
        result["refresh"] = _refresh(PLANS_TODAY, refresh_user_ids)
    return result


def _steering_actions(day: d.GroupDay) -> list[dict[str, Any]]:
    lang = day.language
    day_id = str(day.id)

    def button(key: str, change: Change, minutes: int = 0) -> dict[str, Any]:
        data = {"day": day_id, "change": change.value}
        if minutes:
            data["minutes"] = str(minutes)
        return execute(text(lang, key), CardAction(AGENDA_VERB, data))

    if day.status is d.DayStatus.PLANNED:
        return [button("agenda.button.start", Change.START)]
    if day.status is d.DayStatus.RUNNING:
        return [
            button("agenda.button.extend", Change.EXTEND, 5),
            button("agenda.button.skip", Change.SKIP),
            button("agenda.button.late", Change.SHIFT, 10),
            button("agenda.button.pause", Change.PAUSE),
            button("agenda.button.end", Change.END),
        ]
    if day.status is d.DayStatus.PAUSED:
        return [
            button("agenda.button.resume", Change.RESUME),
            button("agenda.button.end", Change.END),
        ]
    return []


def back_card(day: d.GroupDay, index: int, count: int) -> Card:
    """After a break: what starts now, one big "I'm back" button and how many pressed it."""
    lang = day.language
    lines = _break_over(day, index)
    said = " ".join(lines)
    action = CardAction(BACK_VERB, {"day": str(day.id), "item": str(index)})
    return card(
        [
            *(paragraph(line) for line in lines),
            paragraph(text(lang, "event.back_prompt")),
            {
                "type": "TextBlock",
                "text": text(lang, "event.back_count", count=count),
                "wrap": True,
                "isSubtle": True,
            },
        ],
        actions=[execute(text(lang, "event.back_button"), action)],
        speak=f"{said} {text(lang, 'event.back_prompt')}",
    )


def choose_plan_card(
    language: Language, plans: list[Plan], refresh_user_ids: tuple[str, ...] = ()
) -> Card:
    """An instructor picks today's plan: one button per plan."""
    result = card(
        [
            heading(text(language, "plan.choose.title")),
            paragraph(text(language, "plan.choose.text")),
        ],
        actions=[execute(p.name, CardAction(PLAN_VERB, {"plan": p.key})) for p in plans],
        speak=text(language, "plan.choose.title"),
    )
    if refresh_user_ids:
        result["refresh"] = _refresh(PLANS_TODAY, refresh_user_ids)
    return result
