"""Translation between the Bot Framework's activity JSON and our own types (both directions).

Incoming activities are read from their JSON as Teams sent it (botbuilder's models are not
needed to read the few fields we use, and building them costs more than the rest of a turn);
outgoing ones are written in the shape botbuilder 4.17 gives them (`MessageFactory` plus
`TurnContext.apply_conversation_reference`), which tests/unit/test_translate_raw.py compares.
"""

from __future__ import annotations

import html
import re
from typing import Any

from domain.model import Conversation, ConversationKind, TeamsUser
from domain.outbox import OutboxMessage

_AT_TAG = re.compile(r"<at[^>]*>.*?</at>", re.IGNORECASE | re.DOTALL)
_TAG = re.compile(r"<[^>]+>")


CARD_CONTENT_TYPE = "application/vnd.microsoft.card.adaptive"


def _id_of(obj: Any) -> str | None:
    if isinstance(obj, dict):
        value = obj.get("id")
        return value if isinstance(value, str) and value else None
    return None


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


def raw_mentions_bot(body: dict[str, Any]) -> bool:
    """The message @mentions the bot (the recipient)."""
    bot_id = _dict(body.get("recipient")).get("id")
    entities = body.get("entities")
    for entity in entities if isinstance(entities, list) else []:
        if isinstance(entity, dict) and entity.get("type") == "mention":
            mentioned = entity.get("mentioned")
            if isinstance(mentioned, dict) and bot_id and mentioned.get("id") == bot_id:
                return True
    return False


def raw_attachments(body: dict[str, Any]) -> tuple[str, ...]:
    """The content types of a message's attachments (an image pasted into the chat, a file)."""
    attachments = body.get("attachments")
    found = []
    for attachment in attachments if isinstance(attachments, list) else []:
        if isinstance(attachment, dict) and isinstance(attachment.get("contentType"), str):
            found.append(attachment["contentType"][:100])
    return tuple(found[:20])


def raw_text(body: dict[str, Any]) -> str:
    """The typed text without the bot's @mention and without HTML."""
    text = body.get("text") if isinstance(body.get("text"), str) else ""
    assert isinstance(text, str)
    bot_id = _dict(body.get("recipient")).get("id")
    entities = body.get("entities")
    for entity in entities if isinstance(entities, list) else []:
        if not isinstance(entity, dict) or entity.get("type") != "mention":
            continue
        mentioned = entity.get("mentioned")
        said = entity.get("text")
        if isinstance(mentioned, dict) and mentioned.get("id") == bot_id and isinstance(said, str):
            text = text.replace(said, " ") if said else text
    text = _AT_TAG.sub(" ", text)
    text = _TAG.sub(" ", text)
    return " ".join(html.unescape(text).split())


def message_json(
    message: OutboxMessage, reference: dict[str, Any], card: dict[str, Any] | None = None
) -> dict[str, Any]:
    """The message activity botbuilder would post for message in the referenced conversation.

    card replaces message.card (the signed copy). reference is a stored conversation reference
    (its bot, user, conversation, channelId, serviceUrl, locale).
    """
    card = card if card is not None else message.card
    activity: dict[str, Any] = {"type": "message"}
    for key, field in (("serviceUrl", "serviceUrl"), ("channelId", "channelId")):
        if reference.get(field) is not None:
            activity[key] = reference[field]
    activity.setdefault("channelId", "msteams")
    if isinstance(reference.get("bot"), dict):
        activity["from"] = dict(reference["bot"])
    conversation = dict(_dict(reference.get("conversation")))
    if message.thread:
        conversation["id"] = message.thread
    activity["conversation"] = conversation
    if isinstance(reference.get("user"), dict):
        activity["recipient"] = dict(reference["user"])
    if isinstance(reference.get("locale"), str):
        activity["locale"] = reference["locale"]
    if card is not None:
        activity["attachmentLayout"] = "list"
        if message.text:
            activity["text"] = message.text
        activity["attachments"] = [{"contentType": CARD_CONTENT_TYPE, "content": card}]
    else:
        activity["textFormat"] = "markdown"
        activity["text"] = message.text or ""
        activity["inputHint"] = "acceptingInput"
    if message.speak:
        activity["speak"] = message.speak
    if message.reply_to:
        activity["replyToId"] = message.reply_to
    return activity
