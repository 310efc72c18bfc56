"""The coordinators' digest cards: one card per group day, and "show all" lists.

Every card's JSON (compact) stays within MAX_CARD characters, well under Teams' limit for a
bot message: long lists are cut ("+ 12 more") with a "show all" button, whose answer is the
whole list over as many cards as needed. Names and what people wrote are shown in
RichTextBlock text runs, which Teams does not read as markdown.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from datetime import date
from typing import Any

from cards.common import Card, card, execute, heading, paragraph, small, strong
from cards.feedback import distribution
from cards.payload import CardAction
from cards.reconcile import digest_section
from domain.digest.model import (
    Counts,
    DayView,
    Flag,
    FlagKind,
    MoreView,
    Named,
    Section,
    WeekRate,
)
from domain.feedback.model import MIN_SHOWN, Results, TextKind
from domain.i18n import date_text, decimal, text
from domain.org import Language

MORE_VERB = "digest.more"  # data {group, day, section}

MAX_CARD = 20_000  # characters of a card's compact JSON
CAPS = (20, 10, 5, 2, 0)  # names (or texts) shown of a list before "+ N more", tried in turn
SHOWN_TEXT = 200  # characters of a written answer on the day's card (all of it under "show all")

Element = dict[str, Any]

SECTION_KEYS = {
    Section.ABSENT: "digest.absent",
    Section.LATE: "digest.late",
    Section.EXCUSED: "digest.excused",
    Section.LEFT_EARLY: "digest.left_early",
    Section.FLAGS: "digest.flags",
    Section.TEXTS: "digest.feedback.texts",
}


def size(element: Card) -> int:
    """A card's size as sent: compact JSON."""
    return len(json.dumps(element, separators=(",", ":")))


def _written(value: str) -> Element:
    return {"type": "RichTextBlock", "inlines": [{"type": "TextRun", "text": value}]}


def _percent(rate: float | None) -> int | None:
    return None if rate is None else round(rate * 100)


def _named(language: Language, person: Named) -> str:
    if person.reason is None:
        return person.name
    reason = text(language, f"rollcall.reason.{person.reason.value}")
    return text(language, "digest.with_reason", name=person.name, reason=reason)


def _flag(language: Language, flag: Flag) -> str:
    return text(language, f"digest.flag.{flag.kind.value}", name=flag.name, value=flag.value)


def _texts(language: Language, results: Results | None) -> list[str]:
    if results is None or not results.shown:
        return []
    return [
        text(language, "digest.feedback.by", text=t.text, name=t.name) if t.name else t.text
        for t in results.texts
        if t.kind in (TextKind.GOOD, TextKind.IDEA)
    ]


def lines(view: DayView, section: Section) -> list[str]:
    """A section's whole list, as its lines."""
    language = view.language
    summary = view.summary
    if section is Section.ABSENT:
        return [_named(language, n) for n in summary.absent]
    if section is Section.LATE:
        return [_named(language, n) for n in summary.late]
    if section is Section.EXCUSED:
        return [_named(language, n) for n in summary.excused]
    if section is Section.LEFT_EARLY:
        return [_named(language, n) for n in summary.left_early]
    if section is Section.FLAGS:
        return [_flag(language, f) for f in view.flags]
    return _texts(language, view.feedback)


def _finish(body: list[Element]) -> Card:
    speak = " ".join(b["text"] for b in body[:3] if isinstance(b.get("text"), str))
    built = card(body, speak=speak)
    built["fallbackText"] = speak
    return built


# the counts of a group day in the order the card names them
COUNTED = ("present", "late", "left_early", "excused", "absent", "unmarked")


def counts_line(language: Language, counts: Counts) -> str:
    """ "Asiakkaita 3 · paikalla 2 · poissa 1": the clients and the counts that are not zero."""
    parts = [text(language, "digest.count.clients", n=counts.clients)]
    parts += [
        text(language, f"digest.count.{kind}", n=getattr(counts, kind))
        for kind in COUNTED
        if getattr(counts, kind)
    ]
    return " · ".join(parts)


class DigestCardRenderer:
    """Draws the digest's cards (implements domain.digest.ports.DigestCards)."""

    def day(self, view: DayView) -> Card:
        """A group day: attendance, feedback, help requests, delivery, follow-up flags."""
        built: Card = {}
        for cap in CAPS:
            built = self._day(view, cap)
            if size(built) <= MAX_CARD:
                return built
        return built

    def _more_button(self, view: DayView, section: Section) -> Element:
        action = CardAction(
            MORE_VERB,
            {"group": str(view.group_id), "day": view.day.isoformat(), "section": section.value},
        )
        return {
            "type": "ActionSet",
            "actions": [execute(text(view.language, "digest.show_all"), action)],
        }

    def _list(
        self,
        view: DayView,
        section: Section,
        cap: int,
        *,
        each: Callable[[str], str] = lambda s: s,
        joined: bool = True,
    ) -> list[Element]:
        found = lines(view, section)
        if not found:
            return []
        language = view.language
        body: list[Element] = [strong(f"{text(language, SECTION_KEYS[section])} ({len(found)})")]
        shown = [each(line) for line in found[:cap]]
        if shown:
            if joined:
                body.append(_written(", ".join(shown)))
            else:
                body.extend(_written(line) for line in shown)
        left = len(found) - len(shown)
        if left:
            body.append(small(text(language, "digest.and_more", count=left)))
            body.append(self._more_button(view, section))
        return body

    def _day(self, view: DayView, cap: int) -> Card:
        language = view.language
        summary = view.summary
        counts = summary.counts
        body: list[Element] = [
            heading(
                text(
                    language,
                    "digest.title",
                    group=view.group_name,
                    day=date_text(language, view.day),
                )
            ),
            small(view.unit_name),
        ]
        if summary.not_held:
            body.append(paragraph(text(language, "digest.not_held")))
        body.append(paragraph(counts_line(language, counts)))
        rate = _percent(counts.rate)
        if rate is None:
            body.append(strong(text(language, "digest.rate.none")))
        else:
            body.append(
                strong(
                    text(
                        language,
                        "digest.rate",
                        took_part=counts.took_part,
                        clients=counts.clients,
                        rate=rate,
                    )
                )
            )
        if counts.on_the_way and not counts.activity:
            # the day is not over yet (no planned end, and the date not past)
            body.append(
                paragraph(text(language, "digest.activity_on_the_way", count=counts.on_the_way))
            )
        else:
            body.append(paragraph(text(language, "digest.activity", count=counts.activity)))
        for section in (Section.ABSENT, Section.LATE, Section.EXCUSED, Section.LEFT_EARLY):
            body.extend(self._list(view, section, cap))
        body.extend(self._feedback(view, cap))
        body.extend(self._help(view))
        body.extend(self._delivery(view))
        body.extend(digest_section(language, view.graph, cap))
        body.extend(self._flags(view, cap))
        return _finish(body)

    def _feedback(self, view: DayView, cap: int) -> list[Element]:
        language = view.language
        results = view.feedback
        body: list[Element] = [strong(text(language, "digest.feedback"))]
        if results is None:
            body.append(paragraph(text(language, "digest.feedback.none")))
            return body
        if not results.shown:
            body.append(
                paragraph(text(language, "digest.feedback.few", count=results.count, min=MIN_SHOWN))
            )
            return body
        average = results.average
        body.append(
            paragraph(
                text(
                    language,
                    "digest.feedback.count",
                    count=results.count,
                    average=decimal(language, average) if average is not None else "–",
                )
            )
        )
        body.extend(distribution(language, results, "digest.feedback"))

        def cut(line: str) -> str:
            return line if len(line) <= SHOWN_TEXT else line[:SHOWN_TEXT].rstrip() + "…"

        body.extend(self._list(view, Section.TEXTS, cap, each=cut, joined=False))
        return body

    def _help(self, view: DayView) -> list[Element]:
        language = view.language
        body: list[Element] = [strong(text(language, "digest.help"))]
        if not view.help:
            body.append(paragraph(text(language, "digest.help.none")))
            return body
        for step in view.help:
            body.append(
                _written(
                    text(
                        language,
                        "digest.help.step",
                        step=step.step,
                        open=step.open,
                        taken=step.taken,
                        resolved=step.resolved,
                    )
                )
            )
        return body

    def _delivery(self, view: DayView) -> list[Element]:
        language = view.language
        delivery = view.delivery
        body: list[Element] = [strong(text(language, "digest.delivery"))]
        if not delivery.any:
            body.append(paragraph(text(language, "digest.delivery.none")))
            return body
        if delivery.dead_letters:
            body.append(
                paragraph(text(language, "digest.delivery.dead", count=delivery.dead_letters))
            )
        if delivery.not_reached:
            names = delivery.not_reached
            shown = ", ".join(names[:10])
            if len(names) > 10:
                shown += " " + text(language, "digest.and_more", count=len(names) - 10)
            body.append(_written(text(language, "digest.delivery.not_reached", names=shown)))
        if delivery.group_chat_removed:
            body.append(paragraph(text(language, "digest.delivery.group_removed")))
        if delivery.removed_from:
            names = delivery.removed_from
            shown = ", ".join(names[:10])
            if len(names) > 10:
                shown += " " + text(language, "digest.and_more", count=len(names) - 10)
            body.append(_written(text(language, "digest.delivery.removed", names=shown)))
        return body

    def _trend(self, language: Language, trend: Sequence[WeekRate]) -> list[Element]:
        if not trend:
            return []
        chart: Element = {
            "type": "Chart.Line",
            "title": text(language, "digest.trend"),
            "xAxisTitle": text(language, "digest.trend.x"),
            "yAxisTitle": text(language, "digest.trend.y"),
            "data": [
                {
                    "legend": text(language, "digest.trend"),
                    "values": [
                        {"x": str(w.week), "y": _percent(w.rate)}
                        for w in trend
                        if w.rate is not None
                    ],
                }
            ],
            "fallback": "drop",
        }
        words = " · ".join(
            text(
                language,
                "digest.trend.week",
                week=w.week,
                rate=(
                    text(language, "digest.trend.percent", rate=_percent(w.rate))
                    if w.rate is not None
                    else text(language, "digest.trend.no_days")
                ),
            )
            for w in trend
        )
        return [chart, small(words)]

    def _flags(self, view: DayView, cap: int) -> list[Element]:
        language = view.language
        body: list[Element] = []
        if any(f.kind is FlagKind.FALLING for f in view.flags):
            body.extend(self._trend(language, view.trend))
        listed = self._list(view, Section.FLAGS, cap, joined=False)
        if listed:
            return listed[:1] + body + listed[1:]
        return [
            strong(text(language, "digest.flags")),
            paragraph(text(language, "digest.flags.none")),
        ]

    def more(self, view: MoreView) -> list[Card]:
        """A section's whole list, split over cards that each stay within MAX_CARD."""
        day = view.view
        language = day.language
        found = lines(day, view.section)
        title = text(
            language,
            "digest.more.title",
            group=day.group_name,
            day=date_text(language, day.day),
            section=text(language, SECTION_KEYS[view.section]),
        )
        parts: list[list[Element]] = [[]]
        room = MAX_CARD - size(_finish([heading(title), small("Osa 999/999")])) - 200
        used = 0
        for line in found:
            element = _written(line)
            need = size(element) + 1
            if parts[-1] and used + need > room:
                parts.append([])
                used = 0
            parts[-1].append(element)
            used += need
        cards: list[Card] = []
        for n, items in enumerate(parts, start=1):
            body: list[Element] = [heading(title)]
            if len(parts) > 1:
                body.append(small(text(language, "digest.more.part", n=n, of=len(parts))))
            if not items:
                body.append(paragraph(text(language, "digest.flags.none")))
            body.extend(items)
            cards.append(_finish(body))
        return cards

    def nothing(self, language: Language, day: date) -> Card:
        """No group days on the date asked for."""
        return _finish([paragraph(text(language, "digest.nothing", day=date_text(language, day)))])
