"""`GET /exports/{token}`: an export file behind a signed one-time link, streamed.

The file is written by the same writers as the CLI's `etapaiva export`, in a worker thread into
a temporary file (the rows are read from the database on the event loop, a month at a time),
then sent in chunks: a year of a city's data never sits in memory. A link that was never made,
was altered, has expired or was used gets a short plain page and nothing else.
"""

from __future__ import annotations

import asyncio
import html
import logging
import re
import tempfile
from collections.abc import AsyncIterator, Iterable, Iterator
from dataclasses import dataclass
from typing import BinaryIO, Protocol, TypeVar

from aiohttp import web

from bot.tutorial_page import language_from_accept
from domain.errors import DomainError, NotAllowed
from domain.i18n import text
from domain.org import Language
from domain.reports.downloads import (
    CONTENT_TYPES,
    ExportKind,
    ExportLinks,
    FileFormat,
    LinkGone,
    ReportReader,
    rows,
)

log = logging.getLogger(__name__)

PREFIX = "/exports"
CHUNK = 64 * 1024
T = TypeVar("T")


class FileMaker(Protocol):
    """Writes an export's rows as a file (bot/exports.py write_csv / write_xlsx with the
    columns of domain/reports/columns.py); returns the number of rows written."""

    def __call__(
        self,
        kind: ExportKind,
        fmt: FileFormat,
        language: Language,
        lines: Iterable[object],
        target: BinaryIO,
    ) -> int: ...


@dataclass(frozen=True)
class Downloads:
    """What the route needs: the links, the reports' reader, the file writers."""

    links: ExportLinks
    reports: ReportReader
    make: FileMaker


DOWNLOADS: web.AppKey[Downloads] = web.AppKey("downloads", Downloads)


def blocking(lines: AsyncIterator[T], loop: asyncio.AbstractEventLoop) -> Iterator[T]:
    """An async iterator read from a worker thread, one item at a time, on the event loop."""

    async def step() -> object:
        return await anext(lines, _END)

    while True:
        item = asyncio.run_coroutine_threadsafe(step(), loop).result()
        if item is _END:
            return
        yield item  # type: ignore[misc]


_END: object = object()


def _page(status: int, language: Language, key: str) -> web.Response:
    """A short page saying why there is no file; the catalog's **bold** drawn as bold."""
    words = html.escape(text(language, key))
    title = words.replace("**", "")
    shown = re.sub(r"\*\*(.+?)\*\*", r"<strong>\1</strong>", words)
    body = (
        f'<!doctype html><html lang="{language.value}"><meta charset="utf-8">'
        f"<title>{title}</title><p>{shown}</p></html>"
    )
    return web.Response(
        status=status,
        text=body,
        content_type="text/html",
        headers={"Cache-Control": "no-store", "Referrer-Policy": "no-referrer"},
    )


async def download(request: web.Request) -> web.StreamResponse:
    """The file a link names, once; 404 for a link unknown or altered, 410 expired or used."""
    language = language_from_accept(request.headers.get("Accept-Language"))
    found = request.app.get(DOWNLOADS)
    if found is None:
        return _page(404, language, "export.link.unknown")
    try:
        order, actor = await found.links.redeem(request.match_info["token"])
    except LinkGone as exc:
        return _page(410, language, exc.key)
    except NotAllowed as exc:
        return _page(403, language, exc.key)
    except DomainError:
        return _page(404, language, "export.link.unknown")
    loop = asyncio.get_running_loop()
    with tempfile.TemporaryFile() as spool:
        lines = blocking(rows(found.reports, actor, order), loop)
        try:
            count = await asyncio.to_thread(
                found.make, order.kind, order.format, order.language, lines, spool
            )
        except NotAllowed as exc:
            return _page(403, language, exc.key)
        await found.links.downloaded(order, count)
        size = spool.tell()
        spool.seek(0)
        response = web.StreamResponse(
            headers={
                "Content-Type": CONTENT_TYPES[order.format],
                "Content-Disposition": f'attachment; filename="{order.filename}"',
                "Content-Length": str(size),
                "Cache-Control": "no-store",
                "X-Content-Type-Options": "nosniff",
            }
        )
        await response.prepare(request)
        while chunk := await asyncio.to_thread(spool.read, CHUNK):
            await response.write(chunk)
        await response.write_eof()
        log.info("export %s downloaded by person %s: %d rows", order.kind, order.person_id, count)
        return response


def add_download_routes(app: web.Application) -> None:
    """GET /exports/{token} (the app's DOWNLOADS is set when the services are built)."""
    app.router.add_get(PREFIX + "/{token}", download)
