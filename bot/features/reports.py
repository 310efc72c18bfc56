"""Reports in Teams: a person's own days, and export files behind one-time download links."""

from __future__ import annotations

import secrets
from collections.abc import Callable, Iterable
from typing import BinaryIO

from bot.downloads import Downloads, FileMaker
from bot.exports import write_csv, write_xlsx
from bot.features.kit import Kit, Plug
from bot.reporting import report_service
from dialogs import reports
from domain.org import Language
from domain.reports.columns import ABSENCES, ACTIVITY_DAYS, ATTENDANCE, Column
from domain.reports.downloads import ExportKind, ExportLinks, FileFormat, ReportReader
from domain.rollcall.service import RollCallService

LINK_KEY = "export-link-key"

# builds the reports' reader (domain/reports/service.py ReportService) from the shared parts
ReaderBuild = Callable[[Kit], ReportReader]


def plug(read: ReaderBuild | None = None, make: FileMaker | None = None) -> Plug:
    """The feature with its reports' reader and the export files' writers."""

    def build(kit: Kit) -> Iterable[object]:
        store = kit.store

        async def key() -> bytes:
            return bytes.fromhex(
                await store.secrets.get_or_create(LINK_KEY, lambda: secrets.token_hex(32))
            )

        links = ExportLinks(
            store.exports, store.org, key, kit.clock, base_url=kit.settings.base_url
        )
        built: list[object] = [links]
        reader = read(kit) if read is not None else None
        if reader is not None:
            built.append(reader)
            if make is not None:
                built.append(Downloads(links, reader, make))
        return built

    return Plug(reports.FEATURE, build)


COLUMNS: dict[ExportKind, tuple[Column, ...]] = {
    ExportKind.ATTENDANCE: ATTENDANCE,
    ExportKind.ACTIVITY_DAYS: ACTIVITY_DAYS,
    ExportKind.ABSENCES: ABSENCES,
}


def reader(kit: Kit) -> ReportReader:
    """The reports over the roll call's attendance record (the same rules as its lists)."""
    return report_service(kit.settings, kit.store, kit.clock, kit.need(RollCallService).records)


def make_file(
    kind: ExportKind, fmt: FileFormat, language: Language, lines: Iterable[object], target: BinaryIO
) -> int:
    """The export's lines as CSV or xlsx, with the same columns as the command line's."""
    columns = COLUMNS[kind]
    if fmt is FileFormat.XLSX:
        return write_xlsx(columns, lines, target, language)
    return write_csv(columns, lines, target, language)


PLUG = plug(reader, make_file)
