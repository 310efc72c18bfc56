"""The aiohttp application: /api/messages, /healthz, /readyz, /privacy, /terms.

No Bot Framework imports here.
"""

from __future__ import annotations

import json
import logging
import math
import operator
import re
from collections.abc import Awaitable, Callable
from itertools import accumulate, count
from typing import Any, Protocol

from aiohttp import web

from bot.about_pages import add_about_routes
from bot.settings import MAX_BODY_BYTES, MAX_JSON_DEPTH

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


# a JSON string, or an unterminated one up to the end (the parser gives up there too): every
# quote starts a match, so one pass over the body is enough however the quotes fall
_STRING = re.compile(rb'"[^"\\]*(?:\\.[^"\\]*)*(?:"|\\?\Z)', re.DOTALL)
_NOT_BRACKETS = bytes(b for b in range(256) if b not in b"[]{}")
_OPEN_IS_2_CLOSE_IS_0 = bytes.maketrans(b"[]{}", b"\x02\x00\x02\x00")


def nests_too_deeply(raw: bytes, limit: int = MAX_JSON_DEPTH) -> bool:
    """True if brackets outside strings nest deeper than limit (linear, before any parsing).

    A close bracket too many ends the parser's work where it stands, so a running depth that
    dips below zero hides nothing the parser would still reach.
    """
    brackets = _STRING.sub(b"", raw).translate(None, _NOT_BRACKETS)
    if brackets.count(b"[") + brackets.count(b"{") <= limit:
        return False
    steps = brackets.translate(_OPEN_IS_2_CLOSE_IS_0)  # depth after i steps: sum - i
    deepest: int = max(map(operator.sub, accumulate(steps), count(1)))
    return deepest > limit


def _no_constant(name: str) -> float:
    raise ValueError(f"{name} is not JSON")


def _finite(text: str) -> float:
    number = float(text)
    if not math.isfinite(number):
        raise ValueError("number out of range")
    return number


_SUSPECT_ESCAPE = re.compile(rb"\\u(?:0000|[dD][89a-fA-F])")
_UNSTORABLE = re.compile("[\x00\ud800-\udfff]")


def has_unstorable(value: Any, depth: int = 1) -> bool:
    """True if a string (key or value) holds U+0000 or a lone surrogate, or nesting is too deep.

    PostgreSQL text cannot store U+0000 and UTF-8 cannot encode a surrogate (JSON's "\\ud800"
    escapes make them). Depth is counted as `nests_too_deeply` counts it (the body is 1).
    """
    if isinstance(value, str):
        return _UNSTORABLE.search(value) is not None
    if isinstance(value, dict):
        return depth > MAX_JSON_DEPTH or any(
            has_unstorable(k) or has_unstorable(v, depth + 1) for k, v in value.items()
        )
    if isinstance(value, list):
        return depth > MAX_JSON_DEPTH or any(has_unstorable(v, depth + 1) for v in value)
    return False


def parse_body(raw: bytes) -> Any:
    """The JSON value of a request body; ValueError with a short reason if it is unusable.

    Only strict UTF-8 (json.loads on bytes would also take UTF-16/32 and UTF-8-encoded
    surrogates) and only what JSON allows: no NaN or Infinity, no number that overflows a
    float (they could not be written back as JSON). Python refuses integers of more than
    4,300 digits with a plain ValueError, caught with the rest.
    """
    if nests_too_deeply(raw):
        raise ValueError(f"body nests deeper than {MAX_JSON_DEPTH} levels")
    try:
        value = json.loads(raw.decode("utf-8"), parse_constant=_no_constant, parse_float=_finite)
    except (ValueError, RecursionError) as exc:  # UnicodeDecodeError, JSONDecodeError included
        raise ValueError(f"body is not valid JSON ({type(exc).__name__})") from None
    # strict UTF-8 JSON holds no raw NUL or surrogate: they come only from the escapes \u0000
    # and \ud800-\udfff, so a body without any is not walked (the walk was a tenth of a turn;
    # an escaped "ä" is common, these are not)
    if _SUSPECT_ESCAPE.search(raw) and has_unstorable(value):
        raise ValueError("body contains characters we cannot store (NUL, lone surrogates)")
    return value


async def messages(request: web.Request) -> web.Response:
    """POST /api/messages: the Bot Connector delivers activities here."""
    if request.content_length is not None and request.content_length > MAX_BODY_BYTES:
        return _error(413, "request body is larger than 256 KiB")
    raw = await _read_limited(request, MAX_BODY_BYTES)
    if raw is None:
        return _error(413, "request body is larger than 256 KiB")
    try:
        body = parse_body(raw)
    except ValueError as exc:
        return _error(400, str(exc))
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
