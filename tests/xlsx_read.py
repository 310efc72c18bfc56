"""A small xlsx reader for the tests (no openpyxl): each sheet's rows as Python values.

Numbers styled with a date format come back as dates, with a time format as times; inline and
shared strings as text; booleans as bool; everything else as float.
"""

# the files read are the ones the tests just wrote themselves
# ruff: noqa: S314
from __future__ import annotations

import re
import zipfile
from datetime import date, time, timedelta
from io import BytesIO
from pathlib import Path
from typing import Any
from xml.etree import ElementTree

NS = {
    "m": "http://schemas.openxmlformats.org/spreadsheetml/2006/main",
    "r": "http://schemas.openxmlformats.org/officeDocument/2006/relationships",
}
EPOCH = date(1899, 12, 30)
BUILTIN_DATES = {14, 15, 16, 17, 22}
BUILTIN_TIMES = {18, 19, 20, 21, 45, 46, 47}


def _column(ref: str) -> int:
    letters = re.match(r"[A-Z]+", ref)
    assert letters is not None
    index = 0
    for ch in letters.group():
        index = index * 26 + (ord(ch) - 64)
    return index - 1


def _kinds(book: zipfile.ZipFile) -> list[str]:
    """Per cell style index: "date", "time" or "number"."""
    root = ElementTree.fromstring(book.read("xl/styles.xml"))
    codes = {
        int(f.get("numFmtId", "0")): f.get("formatCode", "")
        for f in root.findall("m:numFmts/m:numFmt", NS)
    }
    kinds: list[str] = []
    for xf in root.findall("m:cellXfs/m:xf", NS):
        fmt = int(xf.get("numFmtId", "0"))
        code = codes.get(fmt, "").lower()
        if fmt in BUILTIN_DATES or ("y" in code and "d" in code):
            kinds.append("date")
        elif fmt in BUILTIN_TIMES or ("h" in code and "mm" in code):
            kinds.append("time")
        else:
            kinds.append("number")
    return kinds


def read_xlsx(source: str | Path | bytes) -> dict[str, list[list[Any]]]:
    """Every sheet's rows, by sheet name, in workbook order."""
    handle = BytesIO(source) if isinstance(source, bytes) else source
    with zipfile.ZipFile(handle) as book:
        kinds = _kinds(book)
        shared: list[str] = []
        if "xl/sharedStrings.xml" in book.namelist():
            strings = ElementTree.fromstring(book.read("xl/sharedStrings.xml"))
            shared = [
                "".join(t.text or "" for t in si.iter(f"{{{NS['m']}}}t"))
                for si in strings.findall("m:si", NS)
            ]
        workbook = ElementTree.fromstring(book.read("xl/workbook.xml"))
        rels = ElementTree.fromstring(book.read("xl/_rels/workbook.xml.rels"))
        targets = {r.get("Id"): r.get("Target") for r in rels}
        found: dict[str, list[list[Any]]] = {}
        for sheet in workbook.findall("m:sheets/m:sheet", NS):
            target = targets[sheet.get(f"{{{NS['r']}}}id")]
            assert target is not None
            path = target.lstrip("/") if target.startswith("/") else f"xl/{target}"
            root = ElementTree.fromstring(book.read(path))
            rows: list[list[Any]] = []
            for row in root.findall("m:sheetData/m:row", NS):
                cells: list[Any] = []
                for cell in row.findall("m:c", NS):
                    index = _column(cell.get("r", "A"))
                    cells.extend([None] * (index - len(cells)))
                    cells.append(_value(cell, shared, kinds))
                rows.append(cells)
            found[sheet.get("name", "")] = rows
        return found


def _value(cell: ElementTree.Element, shared: list[str], kinds: list[str]) -> Any:
    kind = cell.get("t", "n")
    if kind == "inlineStr":
        return "".join(t.text or "" for t in cell.iter(f"{{{NS['m']}}}t"))
    raw = cell.findtext("m:v", default=None, namespaces=NS)
    if raw is None:
        return None
    if kind == "s":
        return shared[int(raw)]
    if kind == "str":
        return raw
    if kind == "b":
        return raw == "1"
    number = float(raw)
    style = kinds[int(cell.get("s", "0"))]
    if style == "date":
        return EPOCH + timedelta(days=int(number))
    if style == "time":
        seconds = round(number * 86400)
        return time(seconds // 3600, seconds % 3600 // 60)
    return number


def as_date(value: Any) -> date:
    """A cell read back as a date."""
    assert isinstance(value, date)
    return value
