"""Export files: rows under documented columns (domain/reports/columns.py) as CSV or xlsx.

CSV is what Finnish Excel opens as it is: UTF-8 with a byte order mark, `;` between fields,
CRLF line ends, numbers with a decimal comma in Finnish and Swedish. xlsx is written with
XlsxWriter in constant-memory mode: each row goes to disk as it is added, so a year of a city's
attendance streams without growing memory (a sheet holds at most 1,048,576 rows; more go on to
a next sheet). Both writers take rows one at a time, never a whole list: `CsvRows`/`XlsxRows`
for rows that arrive from an async source, `write_csv`/`write_xlsx` for an iterable.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence
from datetime import date, datetime, time
from pathlib import Path
from types import TracebackType
from typing import IO, Any, Self

import xlsxwriter

from domain.org import Language
from domain.reports.columns import Cell, Column

CSV_DELIMITER = ";"
MAX_XLSX_ROWS = 1_048_576  # a worksheet's rows, the header row included


def csv_text(cell: Cell, language: Language) -> str:
    """A cell as CSV text: dates 2026-11-03, times 09:00, decimals 4,5 (fi, sv) or 4.5 (en)."""
    if cell is None:
        return ""
    if isinstance(cell, bool):
        return str(int(cell))
    if isinstance(cell, float):
        written = f"{cell:.2f}"
        return written if language is Language.EN else written.replace(".", ",")
    if isinstance(cell, datetime):
        return cell.strftime("%Y-%m-%d %H:%M")
    if isinstance(cell, date):
        return cell.isoformat()
    if isinstance(cell, time):
        return cell.strftime("%H:%M")
    return str(cell)


class _Rows:
    """A file being written row by row; closed (finished) when its `with` block ends."""

    def close(self) -> None:
        raise NotImplementedError

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        value: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()


class CsvRows(_Rows):
    """A CSV file being written to a binary stream, row by row (the header first)."""

    def __init__(
        self, columns: Sequence[Column], stream: IO[bytes], language: Language = Language.FI
    ) -> None:
        self._columns = tuple(columns)
        self._language = language
        self._text = io.TextIOWrapper(stream, encoding="utf-8-sig", newline="")
        self._writer = csv.writer(self._text, delimiter=CSV_DELIMITER, lineterminator="\r\n")
        self._writer.writerow([c.header(language) for c in self._columns])
        self.rows = 0

    def add(self, row: Any) -> None:
        """Write one row."""
        self._writer.writerow(
            [csv_text(c.cell(row, self._language), self._language) for c in self._columns]
        )
        self.rows += 1

    def close(self) -> None:
        """Flush, leaving the stream open."""
        self._text.flush()
        self._text.detach()


class XlsxRows(_Rows):
    """An xlsx workbook being written row by row, in XlsxWriter's constant-memory mode."""

    def __init__(
        self,
        columns: Sequence[Column],
        target: str | Path | IO[bytes],
        language: Language = Language.FI,
        sheet: str = "data",
        *,
        constant_memory: bool = True,
    ) -> None:
        self._columns = tuple(columns)
        self._language = language
        self._sheet_name = sheet
        where = str(target) if isinstance(target, Path) else target
        # constant memory: each row goes to disk as it is written (False only to compare)
        self._book = xlsxwriter.Workbook(where, {"constant_memory": constant_memory})
        self._bold = self._book.add_format({"bold": True})
        day_format = "yyyy-mm-dd" if language is Language.EN else "d.m.yyyy"
        self._date = self._book.add_format({"num_format": day_format})
        self._time = self._book.add_format({"num_format": "hh:mm"})
        self._number = self._book.add_format({"num_format": "0.00"})
        self._sheets = 0
        self._new_sheet()
        self.rows = 0

    def _new_sheet(self) -> None:
        self._sheets += 1
        name = self._sheet_name if self._sheets == 1 else f"{self._sheet_name} {self._sheets}"
        self._sheet = self._book.add_worksheet(name[:31])
        for index, column in enumerate(self._columns):
            title = column.header(self._language)
            self._sheet.set_column(index, index, max(10, min(40, len(title) + 2)))
            self._sheet.write_string(0, index, title, self._bold)
        self._sheet.freeze_panes(1, 0)
        self._row = 1

    def add(self, row: Any) -> None:
        """Write one row: dates as dates, times as times, numbers as numbers."""
        if self._row >= MAX_XLSX_ROWS:
            self._new_sheet()
        for index, column in enumerate(self._columns):
            cell = column.cell(row, self._language)
            at = (self._row, index)
            if cell is None:
                continue
            if isinstance(cell, bool):
                self._sheet.write_boolean(*at, cell)
            elif isinstance(cell, int):
                self._sheet.write_number(*at, cell)
            elif isinstance(cell, float):
                self._sheet.write_number(*at, cell, self._number)
            elif isinstance(cell, datetime):
                self._sheet.write_datetime(*at, cell.replace(tzinfo=None), self._date)
            elif isinstance(cell, date):
                self._sheet.write_datetime(*at, datetime.combine(cell, time()), self._date)
            elif isinstance(cell, time):
                self._sheet.write_datetime(*at, cell, self._time)
            else:
                self._sheet.write_string(*at, cell)
        self._row += 1
        self.rows += 1

    def close(self) -> None:
        """Finish the workbook (the file is complete only after this)."""
        self._book.close()


def write_csv(
    columns: Sequence[Column],
    rows: Iterable[Any],
    stream: IO[bytes],
    language: Language = Language.FI,
) -> int:
    """Write rows as CSV to a binary stream (left open); the number of rows written."""
    with CsvRows(columns, stream, language) as out:
        for row in rows:
            out.add(row)
    return out.rows


def write_xlsx(
    columns: Sequence[Column],
    rows: Iterable[Any],
    target: str | Path | IO[bytes],
    language: Language = Language.FI,
    sheet: str = "data",
) -> int:
    """Write rows as an xlsx workbook to a path or a binary stream; the number of rows."""
    with XlsxRows(columns, target, language, sheet) as out:
        for row in rows:
            out.add(row)
    return out.rows
