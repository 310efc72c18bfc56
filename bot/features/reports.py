"""Reports in Teams: a person's own days, and export files behind one-time download links."""

from __future__ import annotations

import secrets
from collections.abc import Callable, Iterable

from bot.downloads import Downloads, FileMaker
from bot.features.kit import Kit, Plug
from dialogs import reports
from domain.reports.downloads import ExportLinks, ReportReader

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


PLUG = plug()
