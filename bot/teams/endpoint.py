"""POST /api/messages behind the web layer: check the activity, authenticate, run the turn."""

from __future__ import annotations

import logging
import re
from typing import Any

from botbuilder.integration.aiohttp import CloudAdapter
from botbuilder.schema import Activity, ChannelAccount
from botframework.connector.auth import AuthenticationConstants, ClaimsIdentity

from bot.settings import MAX_JSON_DEPTH
from bot.teams.handler import EtapaivaBot

log = logging.getLogger(__name__)

KNOWN_TYPES = frozenset(
    {
        "message",
        "conversationUpdate",
        "installationUpdate",
        "invoke",
        "event",
        "messageReaction",
        "messageUpdate",
        "messageDelete",
        "typing",
        "endOfConversation",
    }
)
NEEDS_SENDER = frozenset(
    {"message", "invoke", "installationUpdate", "conversationUpdate", "event", "messageReaction"}
)
MAX_TEXT = 28_000


def _str(value: Any) -> bool:
    return isinstance(value, str) and bool(value.strip())


def check_activity(body: dict[str, Any]) -> str | None:
    """Return why body is not an activity we can handle, or None if it looks right."""
    kind = body.get("type")
    if not _str(kind):
        return "activity has no type"
    if kind not in KNOWN_TYPES:
        return f"unsupported activity type {str(kind)[:40]!r}"
    url = body.get("serviceUrl")
    if not _str(url) or not str(url).startswith(("https://", "http://")):
        return "activity has no valid serviceUrl"
    conversation = body.get("conversation")
    if not isinstance(conversation, dict) or not _str(conversation.get("id")):
        return "activity has no conversation id"
    for field in ("from", "recipient"):
        account = body.get(field)
        if account is not None and not isinstance(account, dict):
            return f"activity {field} is not an object"
    sender = body.get("from")
    if kind in NEEDS_SENDER and not (isinstance(sender, dict) and _str(sender.get("id"))):
        return "activity has no sender id"
    if body.get("id") is not None and not isinstance(body.get("id"), str):
        return "activity id is not a string"
    return _check_lengths(body)


def _get(body: dict[str, Any], *path: str) -> Any:
    value: Any = body
    for key in path:
        value = value.get(key) if isinstance(value, dict) else None
    return value


# identifiers we store, with the longest value we accept (Teams' own are far shorter). They are
# printable ASCII, as Teams' are, and not "." or "..": they go back out as URL path segments and
# in HTTP headers (x-ms-conversation-id), which cannot carry anything else.
ID_LIMITS: tuple[tuple[tuple[str, ...], int], ...] = (
    (("id",), 200),
    (("replyToId",), 200),
    (("conversation", "id"), 400),
    (("conversation", "tenantId"), 64),
    (("from", "id"), 200),
    (("from", "aadObjectId"), 36),
    (("recipient", "id"), 200),
    (("serviceUrl",), 500),
    (("channelId",), 40),
    (("channelData", "tenant", "id"), 64),
    (("channelData", "team", "id"), 400),
    (("channelData", "channel", "id"), 400),
    (("channelData", "meeting", "id"), 400),
    (("locale",), 20),
)
# the other strings we read, with the longest value we accept
TEXT_LIMITS: tuple[tuple[tuple[str, ...], int], ...] = (
    (("text",), MAX_TEXT),
    (("name",), 200),
    (("action",), 40),
    (("textFormat",), 20),
    (("timestamp",), 40),
    (("localTimestamp",), 40),
    (("localTimezone",), 100),
    (("from", "name"), 400),
    (("recipient", "name"), 400),
    (("conversation", "name"), 400),
    (("conversation", "conversationType"), 40),
)
# fields that are objects, and lists of objects, in the Bot Framework schema
OBJECTS: tuple[tuple[str, ...], ...] = (
    ("channelData",),
    ("channelData", "tenant"),
    ("channelData", "team"),
    ("channelData", "channel"),
    ("channelData", "meeting"),
)
LISTS_OF_OBJECTS = ("entities", "attachments", "membersAdded", "membersRemoved")


def _check_lengths(body: dict[str, Any]) -> str | None:
    """Why a known field has the wrong JSON type or length, or None (null counts as absent)."""
    for path in OBJECTS:
        if not isinstance(_get(body, *path), dict | None):
            return f"activity {'.'.join(path)} is not an object"
    for field in LISTS_OF_OBJECTS:
        items = body.get(field)
        if items is not None and not (
            isinstance(items, list) and all(isinstance(item, dict) for item in items)
        ):
            return f"activity {field} is not a list of objects"
    if not isinstance(_get(body, "conversation", "isGroup"), bool | None):
        return "activity conversation.isGroup is not true or false"
    for path, limit in ID_LIMITS:
        value = _get(body, *path)
        if value is not None and not (
            isinstance(value, str)
            and len(value) <= limit
            and value.isascii()
            and value.isprintable()
            and value not in (".", "..")
        ):
            return f"activity {'.'.join(path)} is not an identifier of at most {limit} characters"
    for path, limit in TEXT_LIMITS:
        value = _get(body, *path)
        if value is not None and not (isinstance(value, str) and len(value) <= limit):
            return f"activity {'.'.join(path)} is not a string of at most {limit} characters"
    if _has_nul(body):
        return "activity contains characters we cannot store or nests too deeply"
    return None


_UNSTORABLE = re.compile("[\x00\ud800-\udfff]")


def _has_nul(value: Any, depth: int = 1) -> bool:
    """True if a string (key or value) holds U+0000 or a lone surrogate, or nesting is too deep.

    PostgreSQL text cannot store U+0000 and UTF-8 cannot encode a surrogate (JSON's "\\ud800"
    escapes make them). Depth is counted as the web layer counts it on the raw body (the body
    is 1), so the two limits agree.
    """
    if isinstance(value, str):
        return _UNSTORABLE.search(value) is not None
    if isinstance(value, dict):
        return depth > MAX_JSON_DEPTH or any(
            _has_nul(k) or _has_nul(v, depth + 1) for k, v in value.items()
        )
    if isinstance(value, list):
        return depth > MAX_JSON_DEPTH or any(_has_nul(v, depth + 1) for v in value)
    return False


def _for_authentication(body: dict[str, Any]) -> Activity:
    """The fields of an activity that token validation reads (channel, service URL, caller)."""
    recipient = body.get("recipient")
    role = recipient.get("role") if isinstance(recipient, dict) else None
    return Activity(
        type=body.get("type"),
        channel_id=body.get("channelId"),
        service_url=body.get("serviceUrl"),
        recipient=ChannelAccount(id=None, role=role if isinstance(role, str) else None),
        relates_to=None,
    )


def _token_gap(identity: ClaimsIdentity, activity: Activity) -> str | None:
    """What botbuilder let through in a token it accepted, or None if nothing.

    Its claims are the payload whose signature botbuilder has verified, so they are read, not
    verified again. PyJWT (through botbuilder) has checked the signature with RS256 only, the
    issuer, exp and nbf *when present* with a 300 s leeway, and botbuilder the audience, the
    serviceurl claim and the key's endorsement of the activity's channel. Left to us: a token
    without exp would never expire, and an activity naming no channel skips the endorsement.
    Local mode (no app id, no header) has the anonymous identity and no claims at all.
    """
    if identity.authentication_type == AuthenticationConstants.ANONYMOUS_AUTH_TYPE:
        return None
    if identity.claims.get("exp") is None:
        return "token has no exp claim"
    channel = activity.channel_id
    if not isinstance(channel, str) or not channel.strip():
        return "activity names no channel to check the token's endorsement against"
    return None


class TeamsEndpoint:
    """Checks and authenticates an incoming activity, then hands it to our bot."""

    def __init__(self, adapter: CloudAdapter, bot: EtapaivaBot) -> None:
        self._adapter = adapter
        self._bot = bot

    async def _authenticate(self, activity: Activity, auth_header: str) -> Any:
        try:
            result = await self._adapter.bot_framework_authentication.authenticate_request(
                activity, auth_header
            )
        except Exception as exc:
            # botbuilder raises PermissionError for some bad tokens but jwt errors, IndexError or
            # AttributeError for others (forged, expired, unknown key): all of them mean 401
            log.info("request refused: authentication failed (%s)", type(exc).__name__)
            return None
        problem = _token_gap(result.claims_identity, activity)
        if problem:
            log.info("request refused: %s", problem)
            return None
        return result

    async def process(self, body: dict[str, Any], auth_header: str) -> tuple[int, Any]:
        """Return the HTTP status and JSON body (or None) to answer the request with."""
        problem = check_activity(body)
        if problem:
            return 400, {"error": problem}
        if await self._authenticate(_for_authentication(body), auth_header) is None:
            return 401, {"error": "unauthorized"}
        return await self._bot.handle(body)
