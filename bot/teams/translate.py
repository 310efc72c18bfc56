"""Translation between botbuilder Activities and our own types (both directions)."""

from __future__ import annotations

import html
import re
from typing import Any

from botbuilder.core import CardFactory, MessageFactory, TurnContext
from botbuilder.schema import Activity, ActivityTypes, Attachment

from dialogs.turn import Reply
from domain.model import Conversation, ConversationKind, TeamsUser

_AT_TAG = re.compile(r"<at[^>]*>.*?</at>", re.IGNORECASE | re.DOTALL)
_TAG = re.compile(r"<[^>]+>")


def channel_data(activity: Activity) -> dict[str, Any]:
    """The activity's channelData as a plain dict (it may arrive as dict or model)."""
    data = activity.channel_data
    if data is None:
        return {}
    if isinstance(data, dict):
        return data
    serialized = data.serialize() if hasattr(data, "serialize") else {}
    return serialized if isinstance(serialized, dict) else {}


def _id_of(obj: Any) -> str | None:
    if isinstance(obj, dict):
        value = obj.get("id")
        return value if isinstance(value, str) and value else None
    return None


def conversation_of(activity: Activity) -> Conversation:
    """Our Conversation for the activity, with the reference needed for proactive messages."""
    data = channel_data(activity)
    conv = activity.conversation
    meeting_id = _id_of(data.get("meeting"))
    raw_type = (conv.conversation_type or "").strip() if conv else ""
    if raw_type == "channel" or _id_of(data.get("channel")):
        kind = ConversationKind.CHANNEL
    elif raw_type == "groupChat" or (conv is not None and conv.is_group):
        kind = ConversationKind.MEETING if meeting_id else ConversationKind.GROUP_CHAT
    else:
        kind = ConversationKind.PERSONAL
    reference = TurnContext.get_conversation_reference(activity).serialize()
    reference.pop("activityId", None)
    conversation_id = conv.id
    if kind is ConversationKind.CHANNEL:
        # a reply thread is "<channel>;messageid=<root>": the conversation is the channel itself
        conversation_id = conversation_id.split(";messageid=", 1)[0]
        reference.setdefault("conversation", {})["id"] = conversation_id
    return Conversation(
        conversation_id=conversation_id,
        kind=kind,
        service_url=activity.service_url,
        reference=reference,
        tenant_id=_id_of(data.get("tenant")) or (conv.tenant_id if conv else None),
        team_id=_id_of(data.get("team")),
        channel_id=_id_of(data.get("channel")),
        meeting_id=meeting_id,
    )


def user_of(activity: Activity) -> TeamsUser:
    """The sender as a TeamsUser."""
    sender = activity.from_property
    return TeamsUser(
        teams_id=sender.id,
        name=(sender.name or "").strip()[:200],
        aad_object_id=sender.aad_object_id or None,
        locale=activity.locale,
    )


def client_platform(activity: Activity) -> str | None:
    """Teams' clientInfo platform ("Windows", "Mac", "Web", "iOS", "Android"), if sent."""
    for entity in activity.entities or []:
        if getattr(entity, "type", None) != "clientInfo":
            continue
        props = getattr(entity, "additional_properties", None) or {}
        platform = props.get("platform")
        if isinstance(platform, str) and platform.strip():
            return platform.strip()[:40]
    return None


def message_text(activity: Activity) -> str:
    """The typed text without the bot's @mention and without HTML."""
    text = activity.text if isinstance(activity.text, str) else ""
    bot_id = activity.recipient.id if activity.recipient is not None else None
    for entity in activity.entities or []:
        # read the raw properties: botbuilder's own helper fails on a mention without text
        props = getattr(entity, "additional_properties", None) or {}
        mentioned = props.get("mentioned")
        if (
            getattr(entity, "type", None) == "mention"
            and isinstance(mentioned, dict)
            and mentioned.get("id") == bot_id
            and isinstance(props.get("text"), str)
        ):
            text = text.replace(props["text"], " ")
    text = _AT_TAG.sub(" ", text)
    text = _TAG.sub(" ", text)
    return " ".join(html.unescape(text).split())


def card_attachment(card: dict[str, Any]) -> Attachment:
    """An Adaptive Card attachment."""
    return CardFactory.adaptive_card(card)


def reply_activity(reply: Reply) -> Activity:
    """A message activity for one of our replies."""
    if reply.card is not None:
        activity = MessageFactory.attachment(card_attachment(reply.card), text=reply.text)
    else:
        activity = MessageFactory.text(reply.text or "")
        activity.text_format = "markdown"
    if reply.speak:
        activity.speak = reply.speak
    return activity


def card_update_activity(activity_id: str, card: dict[str, Any]) -> Activity:
    """An activity that replaces the card message activity_id."""
    return Activity(type=ActivityTypes.message, id=activity_id, attachments=[card_attachment(card)])


# --- the same from the raw JSON body (the fast path for card taps skips botbuilder's models) ---


def _dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _account(value: Any) -> dict[str, Any] | None:
    """A ChannelAccount/ConversationAccount as botbuilder would serialise it (known keys only)."""
    raw = _dict(value)
    keys = ("id", "name", "aadObjectId", "role", "isGroup", "conversationType")
    found = {k: raw[k] for k in keys if raw.get(k) is not None}
    return found or None


def raw_reference(body: dict[str, Any]) -> dict[str, Any]:
    """What TurnContext.get_conversation_reference(activity).serialize() gives, from JSON."""
    reference: dict[str, Any] = {}
    for key, field in (("user", "from"), ("bot", "recipient"), ("conversation", "conversation")):
        account = _account(body.get(field))
        if account is not None:
            reference[key] = account
    for key in ("channelId", "locale", "serviceUrl"):
        if body.get(key) is not None:
            reference[key] = body[key]
    return reference


def raw_conversation(body: dict[str, Any]) -> Conversation:
    """conversation_of() for a raw activity body."""
    data = _dict(body.get("channelData"))
    conv = _dict(body.get("conversation"))
    meeting_id = _id_of(data.get("meeting"))
    raw_type = str(conv.get("conversationType") or "").strip()
    if raw_type == "channel" or _id_of(data.get("channel")):
        kind = ConversationKind.CHANNEL
    elif raw_type == "groupChat" or conv.get("isGroup") is True:
        kind = ConversationKind.MEETING if meeting_id else ConversationKind.GROUP_CHAT
    else:
        kind = ConversationKind.PERSONAL
    reference = raw_reference(body)
    conversation_id = str(conv.get("id"))
    if kind is ConversationKind.CHANNEL:
        conversation_id = conversation_id.split(";messageid=", 1)[0]
        reference.setdefault("conversation", {})["id"] = conversation_id
    return Conversation(
        conversation_id=conversation_id,
        kind=kind,
        service_url=str(body.get("serviceUrl")),
        reference=reference,
        tenant_id=_id_of(data.get("tenant")) or (conv.get("tenantId") or None),
        team_id=_id_of(data.get("team")),
        channel_id=_id_of(data.get("channel")),
        meeting_id=meeting_id,
    )


def raw_user(body: dict[str, Any]) -> TeamsUser:
    """user_of() for a raw activity body."""
    sender = _dict(body.get("from"))
    name = sender.get("name")
    aad = sender.get("aadObjectId")
    return TeamsUser(
        teams_id=str(sender.get("id")),
        name=(name if isinstance(name, str) else "").strip()[:200],
        aad_object_id=aad if isinstance(aad, str) and aad else None,
        locale=body.get("locale") if isinstance(body.get("locale"), str) else None,
    )


def raw_platform(body: dict[str, Any]) -> str | None:
    """client_platform() for a raw activity body."""
    for entity in body.get("entities") or []:
        if isinstance(entity, dict) and entity.get("type") == "clientInfo":
            platform = entity.get("platform")
            if isinstance(platform, str) and platform.strip():
                return platform.strip()[:40]
    return None


def action_data(value: Any) -> dict[str, Any]:
    """An adaptiveCard/action invoke's data, with its verb (Action.Execute keeps them apart)."""
    action = _dict(_dict(value).get("action"))
    data: dict[str, Any] = dict(_dict(action.get("data")))
    if isinstance(action.get("verb"), str):
        data["verb"] = action["verb"]
    return data
