"""The reports' cards in Teams: a person's own month, the export card, the download link."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta

import pytest

from cards.payload import parse_action
from cards.reports import (
    EXPORT_VERB,
    OWN_VERB,
    export_card,
    export_ready_card,
    money,
    own_month_card,
    shift_month,
)
from domain.i18n import text
from domain.org import Language
from domain.reports.downloads import ExportKind
from domain.reports.kela import KelaReason
from domain.reports.model import ClientMonth, DayKind, OwnMonth, PersonDay
from domain.rollcall.model import Reason, Status
from tests.unit.test_cards import assert_adaptive_card

NOVEMBER = date(2026, 11, 1)
TODAY = date(2026, 12, 7)


def day(
    on: int,
    kind: DayKind,
    *,
    kela: KelaReason | None = None,
    note: Reason | None = None,
    person_id: int = 7,
    name: str = "Jari Mäkinen",
) -> PersonDay:
    status = {
        DayKind.ACTIVITY: Status.PRESENT,
        DayKind.SHORT: Status.LEFT_EARLY,
        DayKind.ABSENT: Status.EXCUSED if kela is not KelaReason.OTHER else Status.ABSENT,
    }.get(kind)
    start = datetime(2026, 11, on, 7, tzinfo=UTC)
    return PersonDay(
        unit_key="uusix-kylasaari-it",
        group_key="it-torstai",
        group_name="IT-pajan etäryhmä, torstai",
        day=date(2026, 11, on),
        person_id=person_id,
        name=name,
        role="client",
        kind=kind,
        status=status,
        reason=Reason.SICK if kela is KelaReason.OWN_ILLNESS else None,
        kela=kela,
        note=note,
        joined_at=start if kind in (DayKind.ACTIVITY, DayKind.SHORT) else None,
        left_at=start + timedelta(hours=5) if kind is DayKind.ACTIVITY else None,
        hours=5.0 if kind is DayKind.ACTIVITY else None,
        full_day=kind is DayKind.ACTIVITY,
        recorded_by="self",
        corrections=0,
    )


def jari_november() -> OwnMonth:
    days = (
        day(3, DayKind.ACTIVITY),
        day(5, DayKind.ACTIVITY),
        day(10, DayKind.SHORT),
        day(12, DayKind.ABSENT, kela=KelaReason.OWN_ILLNESS),
        day(17, DayKind.ABSENT, kela=KelaReason.CHILD_ILL),
        day(19, DayKind.ABSENT, kela=KelaReason.OTHER, note=Reason.TECHNICAL),
        day(24, DayKind.NOT_HELD),
        day(26, DayKind.ACTIVITY),
    )
    totals = ClientMonth(
        person_id=7,
        name="Jari Mäkinen",
        groups=("IT-pajan etäryhmä, torstai",),
        activity=3,
        short=1,
        absences={KelaReason.OWN_ILLNESS: 1, KelaReason.CHILD_ILL: 1, KelaReason.OTHER: 1},
        not_held=1,
        allowance_cents=2700,
    )
    return OwnMonth(month=NOVEMBER, days=days, totals=totals)


def words(card: object) -> str:
    return json.dumps(card, ensure_ascii=False)


@pytest.mark.parametrize("language", list(Language))
def test_the_own_month_names_every_kind_of_day_and_the_allowance(language: Language) -> None:
    card = own_month_card(jari_november(), language, latest=TODAY)
    assert_adaptive_card(card)
    shown = words(card)
    assert text(language, "own.activity", count=3) in shown
    assert text(language, "own.short", count=1) in shown
    assert text(language, "own.absent", count=3) in shown
    assert text(language, "own.not_held", count=1) in shown
    for reason in (KelaReason.OWN_ILLNESS, KelaReason.CHILD_ILL, KelaReason.OTHER):
        # Kela's reasons in the same words as the export files and docs/exports.md
        assert text(language, f"reports.kela.{reason.value}") in shown
    assert text(language, "rollcall.reason.technical") in shown
    allowance = text(
        language,
        "own.allowance",
        rate=money(language, 900),
        count=3,
        total=money(language, 2700),
    )
    assert allowance in shown
    assert text(language, "own.month.11") in shown


def test_the_finnish_card_reads_plainly() -> None:
    shown = words(own_month_card(jari_november(), Language.FI, latest=TODAY))
    assert "Omat päivät: marraskuu 2026" in shown
    assert "Olit mukana koko päivän 3 kertaa." in shown
    assert "Päivät: 3.11., 5.11., 26.11." in shown
    assert "12.11.: oma sairaus" in shown
    assert "17.11.: alle 10-vuotiaan lapsen sairaus" in shown
    assert "Olit mukana lyhyen päivän 1 kerran. Lyhyestä päivästä ei saa kulukorvausta." in shown
    assert "19.11.: muu syy (tekninen ongelma)" in shown
    assert "Kulukorvaus: 9 € × 3 päivää = 27 €" in shown
    assert "Edellinen kuukausi" in shown and "Seuraava kuukausi" in shown


def test_the_buttons_carry_only_a_month_never_a_person() -> None:
    card = own_month_card(jari_november(), Language.FI, latest=TODAY)
    actions = [parse_action(a["data"]) for a in card["actions"]]
    assert [a.verb for a in actions] == [OWN_VERB, OWN_VERB]
    assert [a.data for a in actions] == [{"month": "2026-10"}, {"month": "2026-12"}]


def test_there_is_no_next_month_after_this_one() -> None:
    own = OwnMonth(
        month=date(2026, 12, 1),
        days=(),
        totals=ClientMonth(person_id=7, name="Jari Mäkinen", groups=()),
    )
    card = own_month_card(own, Language.FI, latest=TODAY)
    assert [a["data"]["month"] for a in card["actions"]] == ["2026-11"]
    assert text(Language.FI, "own.nothing") in words(card)


def test_the_card_holds_nothing_but_the_persons_own_days() -> None:
    own = jari_november()
    shown = words(own_month_card(own, Language.FI, latest=TODAY))
    # no id, no other person's name; the own name is not needed either
    assert "Mäkinen" not in shown
    assert '"7"' not in shown and "person" not in shown


@pytest.mark.parametrize("language", list(Language))
def test_a_month_of_every_day_stays_small(language: Language) -> None:
    days = tuple(
        day(d, DayKind.ABSENT, kela=KelaReason.OWN_ILLNESS, note=Reason.TECHNICAL)
        for d in range(1, 31)
    )
    totals = ClientMonth(
        person_id=7,
        name="Jari Mäkinen",
        groups=("IT-pajan etäryhmä, torstai",),
        absences={KelaReason.OWN_ILLNESS: 30},
    )
    card = own_month_card(OwnMonth(NOVEMBER, days, totals), language, latest=TODAY)
    assert_adaptive_card(card)
    assert len(json.dumps(card).encode()) < 20_000


def test_months_shift_over_the_year() -> None:
    assert shift_month(date(2026, 1, 1), -1) == date(2025, 12, 1)
    assert shift_month(date(2026, 12, 1), 1) == date(2027, 1, 1)


def test_money_is_written_each_languages_way() -> None:
    assert money(Language.FI, 900) == "9 €"
    assert money(Language.SV, 1250) == "12,50 €"
    assert money(Language.EN, 900) == "€9"


@pytest.mark.parametrize("language", list(Language))
def test_the_export_card_asks_what_when_and_which_format(language: Language) -> None:
    card = export_card(language)
    assert_adaptive_card(card)
    shown = words(card)
    for kind in ExportKind:
        assert text(language, f"export.kind.{kind.value}") in shown
    inputs = {e["id"]: e for e in card["body"] if e["type"].startswith("Input.")}
    assert inputs["first"]["type"] == inputs["last"]["type"] == "Input.Date"
    assert [c["value"] for c in inputs["format"]["choices"]] == ["csv", "xlsx"]
    (button,) = card["actions"]
    assert parse_action(button["data"]).verb == EXPORT_VERB


@pytest.mark.parametrize("language", list(Language))
def test_the_ready_card_opens_the_link_and_says_how_long_it_works(language: Language) -> None:
    url = "https://etapaiva.example.fi/exports/abc.1.2.sig"
    card = export_ready_card(
        language, ExportKind.ABSENCES, date(2026, 11, 23), date(2026, 12, 6), url, 15
    )
    assert_adaptive_card(card)
    (button,) = card["actions"]
    assert button == {
        "type": "Action.OpenUrl",
        "title": text(language, "export.button.download"),
        "url": url,
    }
    assert text(language, "export.ready.how_long", count=15) in words(card)


@pytest.mark.parametrize("language", list(Language))
def test_today_in_progress_is_not_a_missing_record(language: Language) -> None:
    # Jari checked in this morning: the day is not over, so it is no activity day yet, but
    # nothing is missing either; a month still going has no allowance "yet"
    today = replace(
        day(7, DayKind.IN_PROGRESS),
        day=TODAY,
        status=Status.PRESENT,
        joined_at=datetime(2026, 12, 7, 7, tzinfo=UTC),
    )
    missing = replace(day(3, DayKind.UNRECORDED), day=date(2026, 12, 3))
    totals = ClientMonth(person_id=7, name="Jari Mäkinen", groups=(), unrecorded=2)
    own = OwnMonth(month=TODAY.replace(day=1), days=(missing, today), totals=totals)
    shown = words(own_month_card(own, language, latest=TODAY))
    assert text(language, "own.in_progress", count=1) in shown
    assert text(language, "own.unrecorded", count=1) in shown
    assert text(language, "own.unrecorded", count=2) not in shown
    assert text(language, "own.allowance_not_yet") in shown
    assert text(language, "own.allowance_none") not in shown
