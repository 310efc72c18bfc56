"""The export writers (bot/exports.py) and the documented columns (domain/reports/columns.py)."""

from __future__ import annotations

import csv
import io
from datetime import UTC, date, datetime, time
from pathlib import Path

import pytest

from bot.exports import CSV_DELIMITER, write_csv, write_xlsx
from domain.i18n import text
from domain.org import Language
from domain.reports.columns import ABSENCES, ACTIVITY_DAYS, ATTENDANCE, Column
from domain.reports.kela import KelaReason
from domain.reports.model import AbsenceLine, ClientMonth, DayKind, PersonDay
from domain.rollcall.model import Reason, Status
from tests.xlsx_read import read_xlsx

LINE = PersonDay(
    unit_key="it",
    group_key="it-ryhma",
    group_name="IT-ryhmä",
    day=date(2026, 11, 3),
    person_id=7,
    name="Sari Heikkinen",
    role="client",
    kind=DayKind.SHORT,
    status=Status.LATE,
    reason=None,
    kela=None,
    note=None,
    joined_at=datetime(2026, 11, 3, 7, 45, tzinfo=UTC),  # 9.45 in Helsinki
    left_at=datetime(2026, 11, 3, 10, 0, tzinfo=UTC),
    hours=2.25,
    full_day=False,
    recorded_by="self",
    corrections=0,
)
ABSENT = PersonDay(
    **{
        **{f: getattr(LINE, f) for f in LINE.__dataclass_fields__},
        "kind": DayKind.ABSENT,
        "status": Status.EXCUSED,
        "reason": Reason.TECHNICAL,
        "kela": KelaReason.OTHER,
        "note": Reason.TECHNICAL,
        "joined_at": None,
        "left_at": None,
        "hours": None,
        "recorded_by": "Maija Virtanen",
        "corrections": 2,
    }
)


def test_every_column_has_a_header_in_every_language() -> None:
    for columns in (ATTENDANCE, ACTIVITY_DAYS, ABSENCES):
        keys = [c.key for c in columns]
        assert len(set(keys)) == len(keys)
        for language in Language:
            headers = [c.header(language) for c in columns]
            assert all(headers) and len(set(headers)) == len(headers)


def test_words_are_in_the_exports_language() -> None:
    by_key = {c.key: c for c in ATTENDANCE}
    assert by_key["kela"].cell(ABSENT, Language.FI) == "muu syy"
    assert by_key["kela"].cell(ABSENT, Language.EN) == "other reason"
    assert by_key["note"].cell(ABSENT, Language.SV) == text(
        Language.SV, "rollcall.reason.technical"
    )
    assert by_key["recorded_by"].cell(LINE, Language.FI) == "itse"
    assert by_key["recorded_by"].cell(ABSENT, Language.FI) == "Maija Virtanen"
    assert by_key["joined"].cell(LINE, Language.FI) == time(9, 45)
    assert by_key["kind"].cell(LINE, Language.EN) == "short day"
    for reason in KelaReason:
        for language in Language:
            column = Column("k", "reports.col.kela", lambda r: r, "reports.kela")
            assert column.cell(reason.value, language) != reason.value


def test_csv_is_utf8_with_bom_semicolons_and_crlf() -> None:
    out = io.BytesIO()
    assert write_csv(ATTENDANCE, iter([LINE, ABSENT]), out) == 2
    raw = out.getvalue()
    assert raw.startswith(b"\xef\xbb\xbf")
    assert raw.count(b"\r\n") == 3 and raw.endswith(b"\r\n")
    rows = list(csv.reader(io.StringIO(raw[3:].decode("utf-8"), newline=""), delimiter=";"))
    assert rows[0][:3] == ["Päivä", "Yksikkö", "Ryhmä"]
    first = dict(zip([c.key for c in ATTENDANCE], rows[1], strict=True))
    assert first["date"] == "2026-11-03"
    assert (first["joined"], first["left"], first["hours"]) == ("09:45", "12:00", "2,25")
    assert first["full_day"] == "ei"
    second = dict(zip([c.key for c in ATTENDANCE], rows[2], strict=True))
    assert (second["kela"], second["hours"], second["corrections"]) == ("muu syy", "", "2")
    assert CSV_DELIMITER == ";"


def test_csv_in_english_has_decimal_points() -> None:
    out = io.BytesIO()
    write_csv(
        ACTIVITY_DAYS,
        [ClientMonth(1, "A; B", ("x",), activity=3, allowance_cents=2700)],
        out,
        Language.EN,
    )
    rows = list(
        csv.reader(io.StringIO(out.getvalue().decode("utf-8-sig"), newline=""), delimiter=";")
    )
    line = dict(zip([c.key for c in ACTIVITY_DAYS], rows[1], strict=True))
    assert line["name"] == "A; B"  # quoted, read back whole
    assert line["allowance"] == "27.00"
    assert line["activity"] == "3"


def test_the_writers_take_an_iterable_once() -> None:
    def lines():  # type: ignore[no-untyped-def]
        yield LINE
        yield ABSENT

    assert write_csv(ATTENDANCE, lines(), io.BytesIO()) == 2


def test_xlsx_has_dates_times_and_numbers(tmp_path: Path) -> None:
    path = tmp_path / "a.xlsx"
    assert write_xlsx(ATTENDANCE, iter([LINE, ABSENT]), path) == 2
    sheets = read_xlsx(path)
    (rows,) = sheets.values()
    assert rows[0] == [c.header(Language.FI) for c in ATTENDANCE]
    first = dict(zip([c.key for c in ATTENDANCE], rows[1], strict=False))
    assert first["date"] == date(2026, 11, 3)
    assert first["joined"] == time(9, 45) and first["left"] == time(12, 0)
    assert first["hours"] == 2.25
    assert first["person_id"] == 7.0
    second = dict(zip([c.key for c in ATTENDANCE], rows[2], strict=False))
    assert second["hours"] is None and second["kela"] == "muu syy"


def test_xlsx_to_a_stream() -> None:
    out = io.BytesIO()
    write_xlsx(
        ABSENCES, [AbsenceLine(1, "Pekka", date(2026, 11, 4), "IT", KelaReason.OWN_ILLNESS)], out
    )
    (rows,) = read_xlsx(out.getvalue()).values()
    assert rows[1][:4] == [1.0, "Pekka", date(2026, 11, 4), "IT"]
    assert rows[1][4] == "oma sairaus"


@pytest.mark.parametrize("language", list(Language))
def test_headers_follow_the_language(language: Language) -> None:
    out = io.BytesIO()
    write_csv(ABSENCES, [], out, language)
    header = out.getvalue().decode("utf-8-sig").split("\r\n")[0].split(";")
    assert header == [c.header(language) for c in ABSENCES]
