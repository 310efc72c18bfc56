"""Meeting roles, details and targeted in-meeting notifications over Teams' REST API (aiohttp).

botbuilder 4.17 cannot do either (teams-facts §3, §4, §11): TeamsInfo.get_meeting_participant
asks the meeting-details URL instead of the participant's, send_meeting_notification awaits a
synchronous call, and both do blocking `requests` I/O on the event loop. So the two routes are
called here directly, on the conversation's serviceUrl, with the bot's outbound token:

    GET  {serviceUrl}/v1/meetings/{meetingId}/participants/{aadObjectId}?tenantId={tenantId}
    GET  {serviceUrl}/v1/meetings/{meetingId}   (details: msGraphResourceId, organizer, joinUrl)
    POST {serviceUrl}/v1/meetings/{meetingId}/notification

Path and query values are quoted the way botframework-connector's TeamsOperations quotes them
(msrest `Serializer.url`: `urllib.parse.quote(value, safe="")`) and sent exactly so.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Mapping, Sequence
from typing import Any
from urllib.parse import quote

import aiohttp
from botframework.connector.auth import ServiceClientCredentialsFactory
from yarl import URL

from bot.settings import Settings
from bot.teams.connector import (
    BotConnector,
    TokenSource,
    error_code,
    get_key,
    json_or_none,
    retry_after_seconds,
)
from domain.meetings import MeetingDetails, MeetingRole, NotificationResult
from domain.model import Conversation
from domain.outbox import SendFailed

log = logging.getLogger(__name__)

ROLE_TIMEOUT_SECONDS = 3.0
NOTIFY_TIMEOUT_SECONDS = 10.0
MAX_RECIPIENTS_PER_NOTIFICATION = 50  # Teams: at most 50 recipients per call (§4)


def _quote(value: str) -> str:
    # msrest Serializer.url / query for a "str": quote(str(value), safe="")
    return quote(value, safe="")


def meeting_url(service_url: str, meeting_id: str, *path: str) -> str:
    """{serviceUrl}/v1/meetings/{meetingId}/… as botframework-connector builds it.

    msrest's format_url joins the relative route onto serviceUrl with one slash, keeping a
    path in serviceUrl (https://smba.trafficmanager.net/teams/).
    """
    route = "/".join(["v1", "meetings", _quote(meeting_id), *(_quote(p) for p in path)])
    return f"{service_url.rstrip('/')}/{route}"


def participant_url(service_url: str, meeting_id: str, aad_object_id: str, tenant_id: str) -> str:
    """The Get participant URL (teams-facts §3)."""
    base = meeting_url(service_url, meeting_id, "participants", aad_object_id)
    return f"{base}?tenantId={_quote(tenant_id)}"


def notification_url(service_url: str, meeting_id: str) -> str:
    """The targeted meeting notification URL (teams-facts §4)."""
    return meeting_url(service_url, meeting_id, "notification")


def notification_body(
    recipients: Sequence[str], *, title: str, url: str, width: int, height: int
) -> dict[str, Any]:
    """A targetedMeetingNotification opening url in a meeting-stage dialog (teams-facts §4)."""
    return {
        "type": "targetedMeetingNotification",
        "value": {
            "recipients": list(recipients),
            "surfaces": [
                {
                    "surface": "meetingStage",
                    "contentType": "task",
                    "content": {
                        "value": {"height": height, "width": width, "title": title, "url": url}
                    },
                }
            ],
        },
    }


def role_from_participant(body: Any) -> MeetingRole | None:
    """meeting.role of a Get participant answer, or None if absent or not a known role."""
    if not isinstance(body, Mapping):
        return None
    meeting = get_key(body, "meeting")
    if not isinstance(meeting, Mapping):
        return None
    role = get_key(meeting, "role")
    if not isinstance(role, str):
        return None
    wanted = role.strip().lower()
    return next((r for r in MeetingRole if r.value.lower() == wanted), None)


def _text_at(body: Any, *keys: str) -> str | None:
    for key in keys:
        if not isinstance(body, Mapping):
            return None
        body = get_key(body, key)
    return body.strip() or None if isinstance(body, str) else None


def details_from_meeting(body: Any) -> MeetingDetails | None:
    """details.msGraphResourceId, organizer.aadObjectId and details.joinUrl of a meeting-details
    answer (teams-facts §3); None when it is not one."""
    if not isinstance(body, Mapping) or not isinstance(get_key(body, "details"), Mapping):
        return None
    return MeetingDetails(
        graph_id=_text_at(body, "details", "msGraphResourceId"),
        organizer_id=_text_at(body, "organizer", "aadObjectId"),
        join_url=_text_at(body, "details", "joinUrl"),
    )


def failed_recipients(body: Any) -> list[str]:
    """recipientsFailureInfo[].recipientMri of a notification answer (207: partly refused)."""
    if not isinstance(body, Mapping):
        return []
    infos = get_key(body, "recipientsFailureInfo")
    if not isinstance(infos, list):
        return []
    found: list[str] = []
    for info in infos:
        mri = get_key(info, "recipientMri") if isinstance(info, Mapping) else None
        if isinstance(mri, str) and mri:
            found.append(mri)
    return found


class MeetingNotificationFailed(SendFailed):
    """A notification Teams refused as a whole part-way: what went out before is kept.

    Recipients in `accepted` / `failed` were answered by earlier calls (up to 50 per call);
    `remaining` were not notified and are the ones to try again.
    """

    def __init__(
        self,
        cause: SendFailed,
        *,
        accepted: tuple[str, ...],
        failed: tuple[str, ...],
        remaining: tuple[str, ...],
    ) -> None:
        super().__init__(cause.status, cause.retry_after, cause.reason)
        self.accepted = accepted
        self.failed = failed
        self.remaining = remaining


class TeamsMeetings:
    """MeetingRoles and MeetingNotifier for Teams: one aiohttp session, never blocking the loop.

    With an app id every request carries the bot's outbound token, obtained from the same
    credentials factory the adapter is built with (its MSAL client caches the token); without
    one (local mode) requests carry no token, as botbuilder's own calls do.
    """

    def __init__(
        self,
        settings: Settings,
        credentials_factory: ServiceClientCredentialsFactory | None = None,
        *,
        role_timeout: float = ROLE_TIMEOUT_SECONDS,
        notify_timeout: float = NOTIFY_TIMEOUT_SECONDS,
        connector: BotConnector | None = None,
    ) -> None:
        self._owns_connector = connector is None
        self._connector = connector or BotConnector(TokenSource(settings, credentials_factory))
        self._role_timeout = role_timeout
        self._notify_timeout = notify_timeout

    # ----------------------------------------------------------------- plumbing

    def _http(self) -> aiohttp.ClientSession:
        return self._connector.http()

    async def close(self) -> None:
        """Close the HTTP session if it is this object's own (idempotent)."""
        if self._owns_connector:
            await self._connector.close()

    async def _headers(self) -> dict[str, str]:
        """The Authorization header (none in local mode); the token fetch runs in a thread."""
        return await self._connector.tokens.headers()

    # ----------------------------------------------------------------- roles

    async def role_of(self, conversation: Conversation, aad_object_id: str) -> MeetingRole | None:
        """The person's current meeting role (never cached); None when it cannot be known."""
        meeting_id = conversation.meeting_id
        if not meeting_id or not aad_object_id or not conversation.service_url:
            return None
        if not conversation.tenant_id:
            log.info("meeting role: conversation %s has no tenant id", conversation.id)
            return None
        url = participant_url(
            conversation.service_url, meeting_id, aad_object_id, conversation.tenant_id
        )
        try:
            async with asyncio.timeout(self._role_timeout):
                headers = await self._headers()
                async with self._http().get(URL(url, encoded=True), headers=headers) as response:
                    text = await response.text()
                    status = response.status
        except TimeoutError:
            log.info("meeting role: no answer within %g s", self._role_timeout)
            return None
        except Exception as exc:  # token or connection trouble: the role is unknown
            log.info("meeting role: lookup failed: %s", type(exc).__name__)
            return None
        if status != 200:
            body = json_or_none(text)
            log.info("meeting role: Teams answered %s %s", status, error_code(body))
            return None
        return role_from_participant(json_or_none(text))

    # ----------------------------------------------------------------- details

    async def details(self, conversation: Conversation) -> MeetingDetails | None:
        """The meeting's Graph id, organizer and join URL; None when they cannot be known."""
        meeting_id = conversation.meeting_id
        if not meeting_id or not conversation.service_url:
            return None
        url = meeting_url(conversation.service_url, meeting_id)
        try:
            async with asyncio.timeout(self._role_timeout):
                headers = await self._headers()
                async with self._http().get(URL(url, encoded=True), headers=headers) as response:
                    text = await response.text()
                    status = response.status
        except TimeoutError:
            log.info("meeting details: no answer within %g s", self._role_timeout)
            return None
        except Exception as exc:  # token or connection trouble: unknown
            log.info("meeting details: lookup failed: %s", type(exc).__name__)
            return None
        if status != 200:
            log.info(
                "meeting details: Teams answered %s %s", status, error_code(json_or_none(text))
            )
            return None
        return details_from_meeting(json_or_none(text))

    # ----------------------------------------------------------------- notifications

    async def notify(
        self,
        conversation: Conversation,
        recipients: Sequence[str],
        *,
        title: str,
        url: str,
        width: int = 280,
        height: int = 200,
    ) -> NotificationResult:
        """Send a targeted meeting notification, 50 recipients per call.

        Raises SendFailed (MeetingNotificationFailed after a partly done fan-out) when Teams
        refuses a call as a whole or does not answer; the remaining calls are not made.
        """
        unique = list(dict.fromkeys(r for r in recipients if r))
        if not unique:
            return NotificationResult((), ())
        meeting_id = conversation.meeting_id
        if not meeting_id or not conversation.service_url:
            log.info("meeting notification: conversation %s is not a meeting", conversation.id)
            return NotificationResult((), tuple(unique))
        endpoint = URL(notification_url(conversation.service_url, meeting_id), encoded=True)
        accepted: list[str] = []
        failed: list[str] = []
        for start in range(0, len(unique), MAX_RECIPIENTS_PER_NOTIFICATION):
            chunk = unique[start : start + MAX_RECIPIENTS_PER_NOTIFICATION]
            body = notification_body(chunk, title=title, url=url, width=width, height=height)
            try:
                refused = await self._post_notification(endpoint, body)
            except SendFailed as exc:
                if not accepted and not failed:
                    raise
                raise MeetingNotificationFailed(
                    exc,
                    accepted=tuple(accepted),
                    failed=tuple(failed),
                    remaining=tuple(unique[start:]),
                ) from exc
            refused_keys = {r.lower() for r in refused}
            known = {r.lower() for r in chunk}
            accepted.extend(r for r in chunk if r.lower() not in refused_keys)
            failed.extend(r for r in chunk if r.lower() in refused_keys)
            failed.extend(r for r in refused if r.lower() not in known)  # reported as given
        return NotificationResult(tuple(accepted), tuple(failed))

    async def _post_notification(self, endpoint: URL, body: dict[str, Any]) -> list[str]:
        """POST one notification; the recipients Teams refused (207) or SendFailed."""
        try:
            async with asyncio.timeout(self._notify_timeout):
                headers = await self._headers()
                async with self._http().post(endpoint, json=body, headers=headers) as response:
                    text = await response.text()
                    status = response.status
                    retry_after = response.headers.get("Retry-After")
        except TimeoutError as exc:
            raise SendFailed(None, reason="TimeoutError") from exc
        except (aiohttp.ClientError, OSError) as exc:
            raise SendFailed(None, reason=type(exc).__name__) from exc
        except Exception as exc:  # the token could not be obtained
            log.warning("meeting notification: no bot token: %s", type(exc).__name__)
            raise SendFailed(None, reason=f"token {type(exc).__name__}"[:60]) from exc
        answer = json_or_none(text)
        if 200 <= status < 300:
            # 202: everyone accepted; 207: some refused, listed in recipientsFailureInfo
            return failed_recipients(answer)
        raise SendFailed(status, retry_after_seconds(retry_after), error_code(answer))
