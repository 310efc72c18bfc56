"""Builders of Teams-shaped inbound activities (JSON-ready dicts, camelCase as Teams sends).

Shapes follow the msteams-docs payload samples (conversation events, installation update,
meeting apps APIs, Universal Actions) and teams-facts.md §2/§6.  Every builder returns a
fresh dict with a unique ``id`` (unless one is passed), a UTC ``timestamp``,
``channelId: "msteams"``, the given ``serviceUrl``, ``recipient`` = the bot and a ``from``
carrying ``aadObjectId``.
"""

from __future__ import annotations

import base64
import copy
import html
import secrets
import time
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Literal
from zoneinfo import ZoneInfo

JSON = dict[str, Any]

TENANT_ID = "8f5e2b1c-4d3a-4e6f-9a7b-1c2d3e4f5a6b"
BOT_APP_ID = "3c9d7e21-5b4a-4f8e-a1d2-6e7f8a9b0c1d"
BOT_NAME = "Etäpäivä"
BOT: JSON = {"id": f"28:{BOT_APP_ID}", "name": BOT_NAME}
DEFAULT_TIMEZONE = "Europe/Helsinki"

MEETING_START = "application/vnd.microsoft.meetingStart"
MEETING_END = "application/vnd.microsoft.meetingEnd"
MEETING_PARTICIPANT_JOIN = "application/vnd.microsoft.meetingParticipantJoin"
MEETING_PARTICIPANT_LEAVE = "application/vnd.microsoft.meetingParticipantLeave"

ConvKind = Literal["personal", "groupChat", "channel", "meeting"]

_last_message_id = 0


# ------------------------------------------------------------------------- ids


def new_message_id() -> str:
    """A unique Teams message id (millisecond timestamp, e.g. ``"1485983408511"``)."""
    global _last_message_id
    _last_message_id = max(int(time.time() * 1000), _last_message_id + 1)
    return str(_last_message_id)


def new_event_id() -> str:
    """A unique id of the ``f:...`` form Teams gives to events, updates and invokes."""
    return f"f:{uuid.uuid4()}"


def new_user_id() -> str:
    """A Teams user MRI (``29:1...``), unique per bot."""
    return "29:1" + secrets.token_urlsafe(60)


def new_personal_conversation_id() -> str:
    """A 1:1 conversation id (``a:1...``)."""
    return "a:1" + secrets.token_urlsafe(60)


def new_group_chat_id() -> str:
    """A group chat thread id (``19:...@thread.v2``)."""
    return f"19:{uuid.uuid4().hex}@thread.v2"


def new_channel_id() -> str:
    """A channel (or team) thread id (``19:...@thread.tacv2``)."""
    return f"19:{uuid.uuid4().hex}@thread.tacv2"


def new_meeting_chat_id() -> str:
    """A meeting chat thread id (``19:meeting_<base64>@thread.v2``)."""
    key = base64.b64encode(str(uuid.uuid4()).encode()).decode().rstrip("=")
    return f"19:meeting_{key}@thread.v2"


def meeting_id_for_chat(chat_id: str) -> str:
    """The Teams meeting id for a meeting chat: base64 of ``0#<chat id>#0``."""
    return base64.b64encode(f"0#{chat_id}#0".encode()).decode()


def chat_id_for_meeting(meeting_id: str) -> str | None:
    """Inverse of `meeting_id_for_chat` (None when the id isn't of that form)."""
    try:
        decoded = base64.b64decode(meeting_id, validate=True).decode()
    except (ValueError, UnicodeDecodeError):
        return None
    parts = decoded.split("#")
    if len(parts) == 3 and parts[1].startswith("19:"):
        return parts[1]
    return None


def utc_timestamp(moment: datetime | None = None) -> str:
    """ISO-8601 UTC with milliseconds and ``Z``, as Teams writes ``timestamp``."""
    moment = moment or datetime.now(UTC)
    return moment.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


# ------------------------------------------------------------------------- people


@dataclass(frozen=True)
class User:
    """A Teams user as the bot sees them (MRI, AAD object id, name, UPN)."""

    teams_id: str = field(default_factory=new_user_id)
    aad_object_id: str = field(default_factory=lambda: str(uuid.uuid4()))
    name: str = "Testi Käyttäjä"
    upn: str | None = None
    email: str | None = None
    given_name: str | None = None
    surname: str | None = None
    tenant_id: str = TENANT_ID

    @property
    def user_principal_name(self) -> str:
        """The UPN (derived from the AAD id when not given)."""
        return self.upn or f"user-{self.aad_object_id[:8]}@etapaiva.example"

    def account(self) -> JSON:
        """The ``from`` object of an activity this user sends."""
        return {"id": self.teams_id, "name": self.name, "aadObjectId": self.aad_object_id}

    def member(self, *, user_role: str = "user") -> JSON:
        """Roster entry as GET /v3/conversations/{id}/members[/{id}] returns it."""
        first, _, rest = self.name.partition(" ")
        return {
            "id": self.teams_id,
            "name": self.name,
            "aadObjectId": self.aad_object_id,
            "objectId": self.aad_object_id,
            "givenName": self.given_name or first,
            "surname": self.surname or rest or None,
            "email": self.email or self.user_principal_name,
            "userPrincipalName": self.user_principal_name,
            "tenantId": self.tenant_id,
            "userRole": user_role,
        }


# ------------------------------------------------------------------------- conversations


@dataclass(frozen=True)
class Conv:
    """A Teams conversation: its ``conversation`` object and matching ``channelData``."""

    kind: ConvKind
    id: str
    tenant_id: str = TENANT_ID
    name: str | None = None
    team_id: str | None = None
    team_name: str | None = None
    aad_group_id: str | None = None
    channel_id: str | None = None
    meeting_id: str | None = None

    @classmethod
    def personal(cls, *, id: str | None = None, tenant_id: str = TENANT_ID) -> Conv:
        """A 1:1 chat between a user and the bot (``a:...``)."""
        return cls("personal", id or new_personal_conversation_id(), tenant_id)

    @classmethod
    def group_chat(
        cls, *, id: str | None = None, name: str | None = None, tenant_id: str = TENANT_ID
    ) -> Conv:
        """A group chat (``19:...@thread.v2``)."""
        return cls("groupChat", id or new_group_chat_id(), tenant_id, name=name)

    @classmethod
    def channel(
        cls,
        team_id: str | None = None,
        channel_id: str | None = None,
        *,
        team_name: str = "Etäpäivä-tiimi",
        channel_name: str | None = None,
        aad_group_id: str | None = None,
        tenant_id: str = TENANT_ID,
    ) -> Conv:
        """A team channel (``19:...@thread.tacv2``); the General channel's id is the team id."""
        team = team_id or new_channel_id()
        channel = channel_id or team
        return cls(
            "channel",
            channel,
            tenant_id,
            name=channel_name,
            team_id=team,
            team_name=team_name,
            aad_group_id=aad_group_id or str(uuid.uuid4()),
            channel_id=channel,
        )

    @classmethod
    def meeting_chat(
        cls,
        meeting_id: str | None = None,
        *,
        chat_id: str | None = None,
        tenant_id: str = TENANT_ID,
    ) -> Conv:
        """A meeting's chat (``19:meeting_...@thread.v2``) with ``channelData.meeting.id``."""
        chat = chat_id or (chat_id_for_meeting(meeting_id) if meeting_id else None)
        chat = chat or new_meeting_chat_id()
        return cls("meeting", chat, tenant_id, meeting_id=meeting_id or meeting_id_for_chat(chat))

    def thread(self, root_message_id: str) -> Conv:
        """The reply thread under a channel post (``<channel>;messageid=<root>``)."""
        if self.kind != "channel":
            raise ValueError("only channel conversations have reply threads")
        base = self.id.split(";messageid=", 1)[0]
        return Conv(
            "channel",
            f"{base};messageid={root_message_id}",
            self.tenant_id,
            name=self.name,
            team_id=self.team_id,
            team_name=self.team_name,
            aad_group_id=self.aad_group_id,
            channel_id=self.channel_id,
        )

    @property
    def conversation_type(self) -> str:
        """Teams ``conversationType``: personal, groupChat or channel."""
        return "groupChat" if self.kind == "meeting" else self.kind

    def conversation(self, *, id: str | None = None, with_name: bool = False) -> JSON:
        """The ``conversation`` object of an activity in this conversation."""
        result: JSON = {}
        if self.kind != "personal":
            result["isGroup"] = True
        result["conversationType"] = self.conversation_type
        result["tenantId"] = self.tenant_id
        result["id"] = id or self.id
        if with_name and self.name:
            result["name"] = self.name
        return result

    def channel_data(self, *, install: bool = False) -> JSON:
        """The ``channelData`` Teams sends in this conversation (``install`` adds team details)."""
        data: JSON = {}
        if self.kind == "channel":
            data["teamsChannelId"] = self.channel_id
            data["teamsTeamId"] = self.team_id
            data["channel"] = {"id": self.channel_id}
            team: JSON = {"id": self.team_id}
            if install:
                data["settings"] = {"selectedChannel": {"id": self.channel_id}}
                team = {"aadGroupId": self.aad_group_id, "name": self.team_name, "id": self.team_id}
            data["team"] = team
        if self.kind == "meeting":
            data["meeting"] = {"id": self.meeting_id}
        data["tenant"] = {"id": self.tenant_id}
        return data


# ------------------------------------------------------------------------- entities


def client_info(
    locale: str = "fi-FI", *, platform: str = "Web", timezone: str = DEFAULT_TIMEZONE
) -> JSON:
    """The ``clientInfo`` entity Teams attaches (locale, country, platform, timezone)."""
    country = locale.split("-", 1)[1] if "-" in locale else locale.upper()
    return {
        "type": "clientInfo",
        "locale": locale,
        "country": country,
        "platform": platform,
        "timezone": timezone,
    }


def bot_mention() -> JSON:
    """The ``mention`` entity for an @mention of the bot."""
    return {"type": "mention", "mentioned": dict(BOT), "text": f"<at>{BOT_NAME}</at>"}


# ------------------------------------------------------------------------- builders


def _base(
    activity_type: str,
    *,
    conversation: Conv,
    sender: User,
    service_url: str,
    locale: str,
    id: str | None,
    conversation_id: str | None = None,
    channel_data: JSON | None = None,
    with_conversation_name: bool = False,
    timezone: str = DEFAULT_TIMEZONE,
    platform: str = "Web",
) -> JSON:
    now = datetime.now(UTC)
    return {
        "type": activity_type,
        "id": id,
        "timestamp": utc_timestamp(now),
        "localTimestamp": now.astimezone(ZoneInfo(timezone)).isoformat(timespec="milliseconds"),
        "localTimezone": timezone,
        "serviceUrl": service_url,
        "channelId": "msteams",
        "from": sender.account(),
        "conversation": conversation.conversation(
            id=conversation_id, with_name=with_conversation_name
        ),
        "recipient": dict(BOT),
        "entities": [client_info(locale, platform=platform, timezone=timezone)],
        "channelData": channel_data if channel_data is not None else conversation.channel_data(),
        "locale": locale,
    }


def _message_conversation_id(conversation: Conv, message_id: str) -> str:
    # A new top-level channel post arrives as "<channel>;messageid=<its own id>".
    if conversation.kind == "channel" and ";messageid=" not in conversation.id:
        return f"{conversation.id};messageid={message_id}"
    return conversation.id


def message(
    text: str,
    *,
    conversation: Conv,
    sender: User,
    service_url: str,
    locale: str = "fi-FI",
    mentions_bot: bool = False,
    value: Any = None,
    id: str | None = None,
    reply_to_id: str | None = None,
    platform: str = "Web",
) -> JSON:
    """A user's message (``mentions_bot`` prefixes ``<at>Etäpäivä</at>`` + a mention entity)."""
    activity_id = id or new_message_id()
    full_text = f"<at>{BOT_NAME}</at> {text}" if mentions_bot else text
    activity = _base(
        "message",
        conversation=conversation,
        sender=sender,
        service_url=service_url,
        locale=locale,
        id=activity_id,
        conversation_id=_message_conversation_id(conversation, activity_id),
        platform=platform,
    )
    activity["text"] = full_text
    activity["textFormat"] = "plain"
    activity["attachments"] = [
        {"contentType": "text/html", "content": f"<p>{_html_text(full_text)}</p>"}
    ]
    if mentions_bot:
        activity["entities"].append(bot_mention())
    if value is not None:
        activity["value"] = value
    if reply_to_id is not None:
        activity["replyToId"] = reply_to_id
    return activity


def _html_text(text: str) -> str:
    open_tag, close_tag = f"<at>{BOT_NAME}</at>", "\x00"
    escaped = html.escape(text.replace(open_tag, close_tag))
    return escaped.replace(close_tag, open_tag)


def card_submit(
    value: JSON,
    *,
    conversation: Conv,
    sender: User,
    service_url: str,
    reply_to_id: str | None = None,
    locale: str = "fi-FI",
    id: str | None = None,
) -> JSON:
    """An Adaptive Card ``Action.Submit``: a message with ``value`` and no text."""
    activity_id = id or new_message_id()
    channel_data = conversation.channel_data()
    channel_data["source"] = {"name": "message"}
    if reply_to_id is not None:
        channel_data["legacy"] = {"replyToId": reply_to_id}
    activity = _base(
        "message",
        conversation=conversation,
        sender=sender,
        service_url=service_url,
        locale=locale,
        id=activity_id,
        channel_data=channel_data,
    )
    activity["value"] = value
    if reply_to_id is not None:
        activity["replyToId"] = reply_to_id
    return activity


def invoke_execute(
    verb: str,
    data: JSON,
    *,
    conversation: Conv,
    sender: User,
    service_url: str,
    reply_to_id: str | None = None,
    trigger: Literal["manual", "automatic"] = "manual",
    action_id: str | None = None,
    locale: str = "fi-FI",
    id: str | None = None,
) -> JSON:
    """An Adaptive Card ``Action.Execute`` (invoke ``adaptiveCard/action``)."""
    channel_data = conversation.channel_data()
    channel_data["source"] = {"name": "message"}
    if reply_to_id is not None:
        channel_data["legacy"] = {"replyToId": reply_to_id}
    activity = _base(
        "invoke",
        conversation=conversation,
        sender=sender,
        service_url=service_url,
        locale=locale,
        id=id or new_event_id(),
        channel_data=channel_data,
    )
    action: JSON = {"type": "Action.Execute", "verb": verb, "data": data}
    if action_id is not None:
        action["id"] = action_id
    activity["name"] = "adaptiveCard/action"
    activity["value"] = {"action": action, "trigger": trigger}
    if reply_to_id is not None:
        activity["replyToId"] = reply_to_id
    return activity


def installation_update(
    action: Literal["add", "remove", "add-upgrade", "remove-upgrade"] = "add",
    *,
    conversation: Conv,
    sender: User,
    service_url: str,
    locale: str = "fi-FI",
    id: str | None = None,
) -> JSON:
    """``installationUpdate`` (app added to / removed from a chat, meeting or team)."""
    channel_data = conversation.channel_data(install=True)
    channel_data["source"] = {"name": "message"}
    activity = _base(
        "installationUpdate",
        conversation=conversation,
        sender=sender,
        service_url=service_url,
        locale=locale,
        id=id or new_event_id(),
        channel_data=channel_data,
        with_conversation_name=True,
    )
    activity["action"] = action
    return activity


def _member_ref(member: User) -> JSON:
    return {"id": member.teams_id, "aadObjectId": member.aad_object_id}


def members_added(
    members: Sequence[User],
    *,
    conversation: Conv,
    sender: User,
    service_url: str,
    bot_added: bool = True,
    locale: str = "fi-FI",
    id: str | None = None,
) -> JSON:
    """``conversationUpdate`` with ``membersAdded`` (bot first when ``bot_added``, as Teams)."""
    added: list[JSON] = [{"id": BOT["id"]}] if bot_added else []
    added += [_member_ref(m) for m in members]
    channel_data = conversation.channel_data(install=bot_added)
    if conversation.kind == "channel":
        channel_data["eventType"] = "teamMemberAdded"
        channel_data.setdefault("team", {}).update(
            {"name": conversation.team_name, "aadGroupId": conversation.aad_group_id}
        )
    # Bot added: the selected channel is the conversation; other updates use the team id.
    conversation_id = (
        conversation.team_id if conversation.kind == "channel" and not bot_added else None
    )
    activity = _base(
        "conversationUpdate",
        conversation=conversation,
        sender=sender,
        service_url=service_url,
        locale=locale,
        id=id or new_event_id(),
        conversation_id=conversation_id,
        channel_data=channel_data,
        with_conversation_name=True,
    )
    activity["membersAdded"] = added
    return activity


def members_removed(
    members: Sequence[User],
    *,
    conversation: Conv,
    sender: User,
    service_url: str,
    bot_removed: bool = False,
    locale: str = "fi-FI",
    id: str | None = None,
) -> JSON:
    """``conversationUpdate`` with ``membersRemoved`` (``bot_removed`` lists the bot)."""
    removed: list[JSON] = [{"id": BOT["id"]}] if bot_removed else []
    removed += [_member_ref(m) for m in members]
    channel_data = conversation.channel_data()
    conversation_id = None
    if conversation.kind == "channel":
        channel_data["eventType"] = "teamMemberRemoved"
        conversation_id = conversation.team_id
    activity = _base(
        "conversationUpdate",
        conversation=conversation,
        sender=sender,
        service_url=service_url,
        locale=locale,
        id=id or new_event_id(),
        conversation_id=conversation_id,
        channel_data=channel_data,
    )
    activity["membersRemoved"] = removed
    return activity


def _meeting_event(
    name: str,
    value: JSON,
    *,
    conversation: Conv,
    sender: User,
    service_url: str,
    meeting_id: str | None,
    locale: str,
    id: str | None,
) -> JSON:
    if conversation.kind != "meeting" and meeting_id is None:
        raise ValueError("meeting events need Conv.meeting_chat(...) or an explicit meeting_id")
    channel_data = conversation.channel_data()
    channel_data["source"] = None
    channel_data["meeting"] = {"id": meeting_id or conversation.meeting_id}
    activity = _base(
        "event",
        conversation=conversation,
        sender=sender,
        service_url=service_url,
        locale=locale,
        id=id or new_event_id(),
        channel_data=channel_data,
    )
    activity["name"] = name
    activity["value"] = value
    return activity


def _meeting_value(
    conversation: Conv,
    *,
    title: str,
    join_url: str,
    meeting_type: str,
    time_key: str,
    moment: datetime | None,
    pascal_case: bool,
) -> JSON:
    # value.id is the chat thread id in Microsoft's sample; channelData.meeting.id is the one
    # to use ("Do not use meeting ID from meeting events payload").
    value = {
        "id": conversation.id,
        "joinUrl": join_url,
        "title": title,
        "meetingType": meeting_type,
        time_key: utc_timestamp(moment),
    }
    if pascal_case:
        return {key[0].upper() + key[1:]: item for key, item in value.items()}
    return value


def meeting_start(
    meeting_id: str | None = None,
    *,
    conversation: Conv,
    sender: User,
    service_url: str,
    title: str = "Etäpäivä",
    join_url: str = "https://teams.microsoft.com/l/meetup-join/fake",
    meeting_type: str = "Scheduled",
    start_time: datetime | None = None,
    pascal_case: bool = False,
    locale: str = "fi-FI",
    id: str | None = None,
) -> JSON:
    """``event`` ``application/vnd.microsoft.meetingStart`` (``pascal_case``: doc's casing)."""
    value = _meeting_value(
        conversation,
        title=title,
        join_url=join_url,
        meeting_type=meeting_type,
        time_key="startTime",
        moment=start_time,
        pascal_case=pascal_case,
    )
    return _meeting_event(
        MEETING_START,
        value,
        conversation=conversation,
        sender=sender,
        service_url=service_url,
        meeting_id=meeting_id,
        locale=locale,
        id=id,
    )


def meeting_end(
    meeting_id: str | None = None,
    *,
    conversation: Conv,
    sender: User,
    service_url: str,
    title: str = "Etäpäivä",
    join_url: str = "https://teams.microsoft.com/l/meetup-join/fake",
    meeting_type: str = "Scheduled",
    end_time: datetime | None = None,
    pascal_case: bool = False,
    locale: str = "fi-FI",
    id: str | None = None,
) -> JSON:
    """``event`` ``application/vnd.microsoft.meetingEnd`` (``pascal_case``: doc's casing)."""
    value = _meeting_value(
        conversation,
        title=title,
        join_url=join_url,
        meeting_type=meeting_type,
        time_key="endTime",
        moment=end_time,
        pascal_case=pascal_case,
    )
    return _meeting_event(
        MEETING_END,
        value,
        conversation=conversation,
        sender=sender,
        service_url=service_url,
        meeting_id=meeting_id,
        locale=locale,
        id=id,
    )


def _participants_value(participants: Sequence[tuple[User, str]], in_meeting: bool) -> JSON:
    return {
        "members": [
            {
                "user": {
                    "id": user.teams_id,
                    "aadObjectId": user.aad_object_id,
                    "name": user.name,
                    "tenantId": user.tenant_id,
                    "objectId": user.aad_object_id,
                },
                "meeting": {"inMeeting": in_meeting, "role": role},
            }
            for user, role in participants
        ]
    }


def meeting_participants_join(
    participants: Sequence[tuple[User, str]],
    *,
    conversation: Conv,
    sender: User,
    service_url: str,
    meeting_id: str | None = None,
    locale: str = "fi-FI",
    id: str | None = None,
) -> JSON:
    """``event`` ``meetingParticipantJoin`` with ``value.members[{user, meeting}]``."""
    return _meeting_event(
        MEETING_PARTICIPANT_JOIN,
        _participants_value(participants, True),
        conversation=conversation,
        sender=sender,
        service_url=service_url,
        meeting_id=meeting_id,
        locale=locale,
        id=id,
    )


def meeting_participants_leave(
    participants: Sequence[tuple[User, str]],
    *,
    conversation: Conv,
    sender: User,
    service_url: str,
    meeting_id: str | None = None,
    locale: str = "fi-FI",
    id: str | None = None,
) -> JSON:
    """``event`` ``meetingParticipantLeave`` with ``value.members[{user, meeting}]``."""
    return _meeting_event(
        MEETING_PARTICIPANT_LEAVE,
        _participants_value(participants, False),
        conversation=conversation,
        sender=sender,
        service_url=service_url,
        meeting_id=meeting_id,
        locale=locale,
        id=id,
    )


def clone(activity: JSON, **changes: Any) -> JSON:
    """A deep copy of an activity with top-level keys replaced."""
    result = copy.deepcopy(activity)
    result.update(changes)
    return result
