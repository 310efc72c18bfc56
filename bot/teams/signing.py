"""Card actions carry a signature: a tap can only name what a card sent to that conversation named.

Card data comes back from Teams as the client sent it, so it is hostile input: a client could
submit `{"verb": "rollcall.here", "rollcall": "7"}` from any chat, naming any roll call. Every
card the bot sends therefore passes through `CardSigner.sign` at the edge, which adds to each
action's data an HMAC over the conversation it is sent to, the action's verb and the data's
fields. A tap is verified before it is routed: a forged, altered or transplanted payload (one
taken from a card in another conversation) is refused and changes nothing. Values the person
typed or picked on the card (inputs) are merged into the data by Teams after signing; they are
not covered and stay ordinary user input for the handlers to check.

Cards stay pure (cards/ never sees the key); the domain still checks each target against the
turn's group and person — the signature is the outer wall, not the only one.
"""

from __future__ import annotations

import base64
import copy
import hashlib
import hmac
import json
from typing import Any

SIGNATURE = "sig"
ACTION_TYPES = frozenset({"Action.Execute", "Action.Submit"})
MAC_BYTES = 16


def thread_key(conversation_id: str) -> str:
    """A channel thread ("19:…;messageid=…") signs and verifies as its channel."""
    return conversation_id.split(";messageid=", 1)[0]


def _signed_fields(payload: dict[str, Any]) -> list[str]:
    return sorted(k for k in payload if k != SIGNATURE and not k.startswith("msteams"))


def _norm(value: Any) -> str:
    # Teams may hand a number or a flag back as a string: sign what it means, not its JSON type
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float | str):
        return str(value)
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


class CardSigner:
    """Signs the actions of outgoing cards and verifies the data of incoming taps."""

    def __init__(self, key: bytes) -> None:
        if len(key) < 16:
            raise ValueError("a signing key needs at least 16 bytes")
        self._key = key

    def _mac(self, conversation_id: str, fields: list[str], payload: dict[str, Any]) -> str:
        message = json.dumps(
            [thread_key(conversation_id), [[k, _norm(payload.get(k))] for k in fields]],
            separators=(",", ":"),
            ensure_ascii=False,
        ).encode()
        digest = hmac.new(self._key, message, hashlib.sha256).digest()[:MAC_BYTES]
        return base64.urlsafe_b64encode(digest).decode().rstrip("=")

    def sign(self, card: dict[str, Any], conversation_id: str) -> dict[str, Any]:
        """A copy of card whose every Action.Execute / Action.Submit data carries a signature."""
        signed = copy.deepcopy(card)
        self._walk(signed, conversation_id)
        return signed

    def _walk(self, node: Any, conversation_id: str) -> None:
        if isinstance(node, list):
            for item in node:
                self._walk(item, conversation_id)
            return
        if not isinstance(node, dict):
            return
        if node.get("type") in ACTION_TYPES:
            data = node.get("data")
            if data is None or isinstance(data, dict):
                data = dict(data or {})
                payload = dict(data)
                if node.get("type") == "Action.Execute" and isinstance(node.get("verb"), str):
                    payload["verb"] = node["verb"]
                fields = _signed_fields(payload)
                mac = self._mac(conversation_id, fields, payload)
                data[SIGNATURE] = f"{','.join(fields)}:{mac}"
                node["data"] = data
        for value in node.values():
            if isinstance(value, dict | list):
                self._walk(value, conversation_id)

    def verify(self, data: Any, conversation_id: str) -> dict[str, Any] | None:
        """data without its signature if the signature holds for this conversation, else None.

        data is what the tap brought: the signed fields (with the verb) plus any input values.
        """
        if not isinstance(data, dict):
            return None
        signature = data.get(SIGNATURE)
        if not isinstance(signature, str) or ":" not in signature or len(signature) > 2000:
            return None
        listed, _, mac = signature.rpartition(":")
        fields = listed.split(",") if listed else []
        if fields != sorted(set(fields)) or any(f not in data for f in fields):
            return None
        if "verb" not in fields or not isinstance(data.get("verb"), str):
            return None  # every action we send names its verb
        expected = self._mac(conversation_id, fields, data)
        if not hmac.compare_digest(expected, mac):
            return None
        return {k: v for k, v in data.items() if k != SIGNATURE}
