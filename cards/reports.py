"""Cards of the reports in Teams: a person's own month, the export card and its download link."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from typing import Any

from cards.common import Card, card, execute, heading, paragraph, small, strong
from cards.payload import CardAction
from domain.i18n import date_text, text
from domain.org import Language
from domain.reports.downloads import ExportKind, FileFormat
from domain.reports.model import DayKind, OwnMonth

OWN_VERB = "own.month"
EXPORT_VERB = "export.make"
KIND_INPUT = "kind"
FIRST_INPUT = "first"
LAST_INPUT = "last"
FORMAT_INPUT = "format"


def month_name(language: Language, month: date) -> str:
    """ "marraskuu 2026", "november 2026", "November 2026"."""
    return f"{text(language, f'own.month.{month.month}')} {month.year}"


def _short_date(language: Language, day: date) -> str:
    if language is Language.EN:
        return f"{day.day} {text(language, f'own.month.{day.month}')[:3]}"
    return f"{day.day}.{day.month}."


def money(language: Language, cents: int) -> str:
    """9 € (fi, sv), €9 (en); cents shown only when there are some."""
    whole, rest = divmod(cents, 100)
    amount = f"{whole}" if rest == 0 else f"{whole}.{rest:02d}"
    if language is Language.EN:
        return f"€{amount}"
    return f"{amount.replace('.', ',')} €"


def _dates(language: Language, days: Iterable[date]) -> str:
    return text(language, "own.dates", dates=", ".join(_short_date(language, d) for d in days))


def shift_month(month: date, months: int) -> date:
    """The first day of the month months away from month."""
    index = month.year * 12 + month.month - 1 + months
    return date(index // 12, index % 12 + 1, 1)


def own_month_card(
    own: OwnMonth,
    language: Language,
    *,
    latest: date,
) -> Card:
    """A person's own month in plain words, for them only: full days, short days, absences
    with Kela's reason, days not held, the allowance; buttons to the month before and after.

    latest: the newest month there is a button to (this month). The allowance per day is the
    month's total over its activity days, so the card always agrees with the totals."""
    t = language
    body: list[dict[str, Any]] = [
        heading(text(t, "own.title", month=month_name(t, own.month))),
        small(text(t, "own.who")),
    ]
    by_kind: dict[DayKind, list[date]] = {}
    for day in sorted(own.days, key=lambda d: d.day):
        by_kind.setdefault(day.kind, []).append(day.day)
    totals = own.totals
    if not own.days:
        body.append(paragraph(text(t, "own.nothing")))
    if totals.activity:
        body.append(strong(text(t, "own.activity", count=totals.activity)))
        body.append(small(_dates(t, by_kind.get(DayKind.ACTIVITY, ()))))
    if totals.short:
        body.append(paragraph(text(t, "own.short", count=totals.short)))
        body.append(small(_dates(t, by_kind.get(DayKind.SHORT, ()))))
    if totals.absent:
        body.append(paragraph(text(t, "own.absent", count=totals.absent)))
        for day in sorted(own.days, key=lambda d: d.day):
            if day.kind is not DayKind.ABSENT or day.kela is None:
                continue
            reason = text(t, f"reports.kela.{day.kela.value}")
            when = _short_date(t, day.day)
            if day.note is not None:
                note = text(t, f"rollcall.reason.{day.note.value}")
                body.append(small(text(t, "own.absence_note", date=when, reason=reason, note=note)))
            else:
                body.append(small(text(t, "own.absence_line", date=when, reason=reason)))
    if totals.not_held:
        body.append(paragraph(text(t, "own.not_held", count=totals.not_held)))
        body.append(small(_dates(t, by_kind.get(DayKind.NOT_HELD, ()))))
    # a day not over yet on which the person is already here is in progress, not missing
    going = [d.day for d in own.days if d.kind is DayKind.IN_PROGRESS]
    missing = [d.day for d in own.days if d.kind is DayKind.UNRECORDED]
    if going:
        body.append(paragraph(text(t, "own.in_progress", count=len(going))))
        body.append(small(_dates(t, sorted(going))))
    if missing:
        body.append(paragraph(text(t, "own.unrecorded", count=len(missing))))
        body.append(small(_dates(t, sorted(missing))))
    if totals.activity:
        rate_cents = totals.allowance_cents // totals.activity
        body.append(
            strong(
                text(
                    t,
                    "own.allowance",
                    rate=money(t, rate_cents),
                    count=totals.activity,
                    total=money(t, totals.allowance_cents),
                )
            )
        )
    elif own.days:
        this_month = own.month >= latest.replace(day=1)
        body.append(
            paragraph(text(t, "own.allowance_not_yet" if this_month else "own.allowance_none"))
        )
    body.append(small(text(t, "own.ask")))
    actions = [
        execute(
            text(t, "own.button.previous"),
            CardAction(OWN_VERB, {"month": shift_month(own.month, -1).strftime("%Y-%m")}),
        )
    ]
    if own.month < latest.replace(day=1):
        actions.append(
            execute(
                text(t, "own.button.next"),
                CardAction(OWN_VERB, {"month": shift_month(own.month, 1).strftime("%Y-%m")}),
            )
        )
    return card(body, actions=actions)


def _choices(name: str, value: str, options: list[tuple[str, str]]) -> dict[str, Any]:
    return {
        "type": "Input.ChoiceSet",
        "id": name,
        "style": "expanded",
        "value": value,
        "isRequired": True,
        "choices": [{"title": title, "value": key} for title, key in options],
    }


def export_card(language: Language) -> Card:
    """What to export, the period (empty: the kind's default) and the format; one button."""
    t = language
    body: list[dict[str, Any]] = [
        heading(text(t, "export.title")),
        paragraph(text(t, "export.what")),
        _choices(
            KIND_INPUT,
            ExportKind.ATTENDANCE.value,
            [(text(t, f"export.kind.{k.value}"), k.value) for k in ExportKind],
        ),
        {"type": "Input.Date", "id": FIRST_INPUT, "label": text(t, "export.first")},
        {"type": "Input.Date", "id": LAST_INPUT, "label": text(t, "export.last")},
        small(text(t, "export.defaults")),
        paragraph(text(t, "export.format")),
        _choices(
            FORMAT_INPUT,
            FileFormat.XLSX.value,
            [(text(t, f"export.format.{f.value}"), f.value) for f in FileFormat],
        ),
    ]
    return card(body, actions=[execute(text(t, "export.button.make"), CardAction(EXPORT_VERB))])


def export_ready_card(
    language: Language,
    kind: ExportKind,
    first: date,
    last: date,
    url: str,
    minutes: int,
) -> Card:
    """The file's link (Action.OpenUrl), what it holds and how long the link works."""
    t = language
    body = [
        heading(text(t, "export.ready.title")),
        paragraph(
            text(
                t,
                "export.ready.what",
                what=text(t, f"export.kind.{kind.value}"),
                first=date_text(t, first),
                last=date_text(t, last),
            )
        ),
        strong(text(t, "export.ready.how_long", count=minutes)),
        small(text(t, "export.ready.only_you")),
    ]
    download = {"type": "Action.OpenUrl", "title": text(t, "export.button.download"), "url": url}
    return card(body, actions=[download])
