"""The agenda card, timer announcements and the plan picker (Adaptive Cards 1.5, catalog text)."""

from __future__ import annotations

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

    def event(self, day: d.GroupDay, event: d.TimerEvent, tip_number: int) -> Rendered:
        """The announcement of one timer event."""
        lang = day.language
        item = day.items[event.index]
        if event.kind is d.EventKind.START:
            if item.kind.is_break:
                lines = [
                    text(lang, "event.break_start", title=item.title, end=hhmm(day, item.end)),
                    text(lang, "event.tip", tip=break_tip(lang, tip_number)),
                ]
            else:
                lines = [
                    text(lang, "event.start", title=item.title),
                    _next_line(day, item.start, event.index),
                ]
            return Rendered(text="\n\n".join(lines))
        if event.kind is d.EventKind.BREAK_WARNING:
            minutes = max(1, round((item.end - event.at).total_seconds() / 60))
            return Rendered(
                text=text(lang, "event.break_warning", count=minutes, end=hhmm(day, item.end))
            )
        following = event.index + 1
        if following < len(day.items):
            said = text(lang, "event.break_end", title=day.items[following].title)
        else:
            said = text(lang, "event.break_end_last")
        return Rendered(text=said, card=back_card(day, event.index, count=0), speak=said)

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
        result["refresh"] = {
            "action": {
                "type": "Action.Execute",
                "verb": REFRESH_VERB,
                "data": {"verb": REFRESH_VERB, "day": str(day.id)},
            },
            "userIds": list(refresh_user_ids[:MAX_REFRESH_USERS]),
        }
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
    """After a break: one big "I'm back" button and how many have pressed it."""
    lang = day.language
    following = index + 1
    said = (
        text(lang, "event.break_end", title=day.items[following].title)
        if following < len(day.items)
        else text(lang, "event.break_end_last")
    )
    action = CardAction(BACK_VERB, {"day": str(day.id), "item": str(index)})
    return card(
        [
            paragraph(said),
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


def choose_plan_card(language: Language, plans: list[Plan]) -> Card:
    """An instructor picks today's plan: one button per plan."""
    return card(
        [
            heading(text(language, "plan.choose.title")),
            paragraph(text(language, "plan.choose.text")),
        ],
        actions=[execute(p.name, CardAction(PLAN_VERB, {"plan": p.key})) for p in plans],
        speak=text(language, "plan.choose.title"),
    )
