"""The aiohttp application: /api/messages, /healthz, /readyz, /privacy, /terms.

No Bot Framework imports here.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Awaitable, Callable
from typing import Any, Protocol

from aiohttp import web

from bot.about_pages import add_about_routes
from bot.settings import MAX_BODY_BYTES

log = logging.getLogger(__name__)


class Endpoint(Protocol):
    """Processes one incoming activity (implemented by bot.teams.endpoint)."""

    async def process(self, body: dict[str, Any], auth_header: str) -> tuple[int, Any]: ...


ReadyCheck = Callable[[], Awaitable[dict[str, Any]]]

ENDPOINT = web.AppKey("endpoint", Endpoint)
READY: web.AppKey[ReadyCheck] = web.AppKey("ready")


def _error(status: int, reason: str) -> web.Response:
    return web.json_response({"error": reason}, status=status)


async def _read_limited(request: web.Request, limit: int) -> bytes | None:
    """The whole body, or None as soon as it grows past limit (also for chunked uploads)."""
    chunks: list[bytes] = []
    size = 0
    while chunk := await request.content.read(64 * 1024):
        size += len(chunk)
        if size > limit:
            return None
        chunks.append(chunk)
    return b"".join(chunks)


async def messages(request: web.Request) -> web.Response:
    """POST /api/messages: the Bot Connector delivers activities here."""
    if request.content_length is not None and request.content_length > MAX_BODY_BYTES:
        return _error(413, "request body is larger than 256 KiB")
    raw = await _read_limited(request, MAX_BODY_BYTES)
    if raw is None:
        return _error(413, "request body is larger than 256 KiB")
    try:
        body = json.loads(raw)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        return _error(400, f"body is not valid JSON ({type(exc).__name__})")
    if not isinstance(body, dict):
        return _error(400, "body is not a JSON object")
    status, payload = await request.app[ENDPOINT].process(
        body, request.headers.get("Authorization", "")
    )
    if payload is None:
        return web.Response(status=status)
    return web.json_response(payload, status=status)


async def healthz(_request: web.Request) -> web.Response:
    """GET /healthz: the process is alive."""
    return web.json_response({"status": "ok"})


async def readyz(request: web.Request) -> web.Response:
    """GET /readyz: the database answers and the scheduler state is known."""
    report = await request.app[READY]()
    return web.json_response(report, status=200 if report.get("ready") else 503)


@web.middleware
async def no_stack_traces(
    request: web.Request, handler: Callable[[web.Request], Awaitable[web.StreamResponse]]
) -> web.StreamResponse:
    """Turn unexpected errors into a short 500 (logged with context), never a traceback page."""
    try:
        return await handler(request)
    except web.HTTPException as exc:
        if exc.status == 413:
            return _error(413, "request body is larger than 256 KiB")
        raise
    except Exception:
        log.exception("unhandled error serving %s %s", request.method, request.path)
        return _error(500, "internal error")


def create_web_app() -> web.Application:
    """The web application without its services (app.py wires those in)."""
    app = web.Application(client_max_size=MAX_BODY_BYTES, middlewares=[no_stack_traces])
    app.router.add_post("/api/messages", messages)
    app.router.add_get("/healthz", healthz)
    app.router.add_get("/readyz", readyz)
    add_about_routes(app)
    return app
