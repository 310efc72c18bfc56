"""R3: ten thousand generated hostile bodies against the real service over loopback HTTP.

A seeded generator (reproducible: SEED and the body's index say which body failed) makes two
kinds of bodies, posted concurrently over one aiohttp session:

* malformed ones, which must all be answered 4xx and must change nothing at all: bytes that
  are not JSON or not UTF-8, nesting past the limit, numbers JSON cannot carry back, bodies
  that are not objects, NUL and lone surrogates, a wrong JSON type in every known field,
  missing essentials, identifiers that are not printable ASCII or are too long, bodies past
  256 KiB;
* well-formed ones with hostile contents (every kind of activity; texts, names and ids of
  every shape within the limits; card payloads with wrong types, unknown verbs, overlong
  values, ids that are negative, huge or not numbers, extra fields), which may be served or
  refused but never with a 5xx, and may change only the tables a stranger's turn writes.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import json
import logging
import random
import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from tests.fakes.activities import (
    Conv,
    User,
    card_submit,
    installation_update,
    invoke_execute,
    meeting_end,
    meeting_start,
    members_added,
    members_removed,
    message,
)
from tests.fakes.connector import FakeConnector, learn_conversation_of
from tests.integration.conftest import JARI
from tests.integration.harness import BotServer, row_counts

SEED = 20261207
MALFORMED = 5_000
WELL_FORMED = 5_000
WARM_UP = 300
CONCURRENCY = 8

# What a well-formed turn of a stranger or a client may write: the claim that dedupes the
# activity, the conversation (every turn remembers it), dialog state (the welcome flag), replies
# queued in the outbox, and tutorial progress (the guide is open to everyone). People do not
# grow: every sender made first contact before the counting. Units, groups, memberships, the
# audit log, days and plans, roll calls and attendance, help requests and the schema version
# are for instructors, coordinators and the CLI: a hostile body must never touch them.
MAY_CHANGE = frozenset(
    {"processed_activities", "conversations", "dialog_state", "outbox", "tutorial_progress"}
)

# The process (the service, the fake connector and this test) may grow by the allocator's
# high-water mark of CONCURRENCY bodies of up to 256 KiB parsed at once (about ten times their
# size as Python objects: 8 x 2.5 MB) and by what the service keeps per conversation it has
# seen (a roster cache entry, the store's short caches). Measured here: +7 to +19 MiB, and in a
# longer run it levelled off (+10, +11, +12, +11, +12 MiB after each further 2,000 bodies).
# 64 MiB is three times the worst of that, and a leak of 6.5 KB a request, about one typical
# body, would cross it within the 10,000.
RSS_GROWTH_LIMIT_KIB = 64 * 1024

# ---------------------------------------------------------------------------------- values

NASTY_STRINGS: tuple[str, ...] = (
    "",
    " ",
    "\t\r\n",
    "null",
    "undefined",
    "None",
    "true",
    "0",
    "-1",
    "-0",
    "+5",
    " 1",
    "1 ",
    "1.5",
    "1e5",
    "0x10",
    "2147483647",
    "2147483648",
    "9223372036854775808",
    "99999999999999999999999999",
    "١٢٣",  # Arabic-Indic digits
    "１２",  # full-width digits
    "²",
    "'; DROP TABLE people; --",
    '" OR 1=1 --',
    "%s%s%n",
    "{{7*7}}${7*7}",
    "../../../../etc/passwd",
    "\\",
    '"',
    "<script>alert(1)</script>",
    "<at>Etäpäivä</at>",
    "<at>x</at>" * 20,
    "&lt;at&gt;&amp;",
    "\u202eevil\u202c",
    "\u200b\u200c\u200d\ufeff",
    "e\u0301\u0301\u0301\u0301",
    "𝕳𝖊𝖑𝖕",
    "👩‍👩‍👧‍👦",
    "ÅÄÖåäö",
    "ẞß",
    "İı",
    "19:nope@thread.v2;messageid=1;messageid=2",
    "a:1;messageid=",
    "f:" + "0" * 36,
    "\U0010ffff",
    "\x7f\x1b[31m",
)

# identifiers are printable ASCII (Teams' are; they go back out in URLs and headers)
NASTY_IDS: tuple[str, ...] = (
    " ",
    "0",
    "-1",
    "null",
    "'; DROP TABLE conversations; --",
    "%00%0d%0a",
    "%2e%2e%2f",
    "../../v3/conversations",
    "?x=1&y=2#z",
    "a:1;messageid=",
    "19:nope@thread.v2;messageid=1;messageid=2",
    "29:" + "A" * 150,
    "\\",
    '"',
    "<>",
    "{}",
)

WRONG_TYPED: tuple[Any, ...] = (
    0,
    -1,
    2**63,
    -(2**63) - 1,
    10**30,
    1.5,
    -0.0,
    1e308,
    True,
    False,
    [],
    [1],
    ["x"],
    [{}],
    [None],
    {},
    {"id": 5},
    {"id": "x"},
    {"": None},
)

KNOWN_VERBS: tuple[str, ...] = (
    "bind.choose",
    "agenda.steer",
    "agenda.refresh",
    "day.back",
    "plan.choose",
    "rollcall.here",
    "rollcall.problem",
    "rollcall.refresh",
    "rollcall.close",
    "rollcall.remind",
    "rollcall.cancel",
    "attendance.show",
    "attendance.save",
    "attendance.history",
    "tutorial.go",
    "tutorial.start",
    "tutorial.send",
    "help.take",
    "help.resolve",
)
DATA_KEYS: tuple[str, ...] = (
    "group",
    "rollcall",
    "day",
    "plan",
    "change",
    "minutes",
    "person",
    "request",
    "step",
    "device",
    "to",
    "status",
    "reason",
    "id",
    "msteams",
    "e",
    "t",
    "d",
)
# words the cards themselves carry (tutorial events and devices, agenda changes, statuses)
CARD_WORDS: tuple[str, ...] = (
    "choose",
    "done",
    "trouble",
    "works",
    "next",
    "ask",
    "back",
    "restart",
    "show",
    "windows",
    "mac",
    "web",
    "mobile",
    "start",
    "extend",
    "pause",
    "end",
    "present",
    "absent",
    "late",
    "excused",
)
ODD_IDS: tuple[Any, ...] = (
    "-1",
    "0",
    "2147483648",
    "99999999999999999999",
    "1.0",
    "1e3",
    " 7",
    "７",
    "abc",
    "",
    -5,
    0,
    2**31,
    2**70,
    1.5,
    True,
    None,
    [],
    {},
    ["1"],
    {"id": "1"},
)

# known fields with the JSON type the Bot Framework schema gives them; a value of another type
# (null aside, which means absent) makes the body malformed
STRING_FIELDS: tuple[tuple[str, ...], ...] = (
    ("type",),
    ("id",),
    ("serviceUrl",),
    ("timestamp",),
    ("localTimestamp",),
    ("localTimezone",),
    ("channelId",),
    ("locale",),
    ("text",),
    ("textFormat",),
    ("name",),
    ("action",),
    ("replyToId",),
    ("from", "id"),
    ("from", "name"),
    ("from", "aadObjectId"),
    ("recipient", "id"),
    ("recipient", "name"),
    ("conversation", "id"),
    ("conversation", "name"),
    ("conversation", "conversationType"),
    ("conversation", "tenantId"),
    ("channelData", "tenant", "id"),
    ("channelData", "team", "id"),
    ("channelData", "channel", "id"),
    ("channelData", "meeting", "id"),
)
OBJECT_FIELDS: tuple[tuple[str, ...], ...] = (
    ("from",),
    ("recipient",),
    ("conversation",),
    ("channelData",),
    ("channelData", "tenant"),
    ("channelData", "team"),
    ("channelData", "channel"),
    ("channelData", "meeting"),
)
LIST_OF_OBJECT_FIELDS: tuple[tuple[str, ...], ...] = (
    ("entities",),
    ("attachments",),
    ("membersAdded",),
    ("membersRemoved",),
)
BOOL_FIELDS: tuple[tuple[str, ...], ...] = (("conversation", "isGroup"),)
IDENTIFIERS: tuple[tuple[str, ...], ...] = (
    ("id",),
    ("replyToId",),
    ("serviceUrl",),
    ("channelId",),
    ("locale",),
    ("from", "id"),
    ("from", "aadObjectId"),
    ("recipient", "id"),
    ("conversation", "id"),
    ("conversation", "tenantId"),
    ("channelData", "tenant", "id"),
    ("channelData", "meeting", "id"),
)
# the longest value of each identifier the service accepts
LENGTH_LIMITS: tuple[tuple[tuple[str, ...], int], ...] = (
    (("id",), 200),
    (("replyToId",), 200),
    (("conversation", "id"), 400),
    (("from", "id"), 200),
    (("from", "aadObjectId"), 36),
    (("from", "name"), 400),
    (("serviceUrl",), 500),
    (("channelData", "tenant", "id"), 64),
    (("locale",), 20),
    (("text",), 28_000),
)


def _set(body: dict[str, Any], path: tuple[str, ...], value: Any) -> None:
    target = body
    for key in path[:-1]:
        if not isinstance(target.get(key), dict):
            target[key] = {}
        target = target[key]
    target[path[-1]] = value


def _dump(value: Any) -> bytes:
    return json.dumps(value, ensure_ascii=False).encode()


def _into_channel_data(activity: dict[str, Any], member: bytes) -> bytes:
    """The activity as JSON with a raw `"key": value` member first in its channelData."""
    return _dump(activity).replace(b'"channelData": {', b'"channelData": {' + member + b", ", 1)


# ---------------------------------------------------------------------------------- generator


@dataclass(frozen=True)
class Body:
    """One generated request body and what it is."""

    index: int
    kind: str
    raw: bytes


class Generator:
    """Hostile bodies from one seeded random source, in a reproducible order."""

    def __init__(self, seed: int, service_url: str) -> None:
        self.rng = random.Random(seed)
        self.url = service_url
        self.count = 0
        self.senders = [User(name=self.text(40) or "?") for _ in range(12)] + [JARI]
        self.conversations = (
            [Conv.personal() for _ in range(6)]
            + [Conv.group_chat() for _ in range(4)]
            + [Conv.channel() for _ in range(3)]
            + [Conv.meeting_chat() for _ in range(3)]
        )

    # --- strings and values

    def text(self, longest: int) -> str:
        """A string of at most `longest` characters from an unkind alphabet."""
        rng = self.rng
        roll = rng.random()
        if roll < 0.3:
            return rng.choice(NASTY_STRINGS)[:longest]
        length = min(longest, rng.choice((1, 2, 5, 20, 60, longest)))
        if roll < 0.5:
            return "".join(chr(rng.randint(0x20, 0x7E)) for _ in range(length))
        if roll < 0.7:
            return "".join(chr(rng.randint(0xA0, 0xD7FF)) for _ in range(length))
        if roll < 0.8:
            return "".join(chr(rng.randint(0x10000, 0x10FFFF)) for _ in range(length))
        if roll < 0.9:
            return rng.choice((*NASTY_STRINGS, "ä", "x", "<")) * max(1, length // 3)
        return (rng.choice(NASTY_STRINGS) + " ") * 3

    def ascii(self, longest: int) -> str:
        """A printable ASCII identifier of at most `longest` characters, unkind as can be."""
        rng = self.rng
        if rng.random() < 0.4:
            return rng.choice(NASTY_IDS)[:longest]
        length = min(longest, rng.choice((1, 2, 10, 40, longest)))
        return "".join(chr(rng.randint(0x20, 0x7E)) for _ in range(length))

    def any_value(self, depth: int = 0) -> Any:
        """A JSON value of any type, nested a little."""
        rng = self.rng
        roll = rng.random()
        if depth < 3 and roll < 0.15:
            return [self.any_value(depth + 1) for _ in range(rng.randint(0, 4))]
        if depth < 3 and roll < 0.3:
            return {self.text(20): self.any_value(depth + 1) for _ in range(rng.randint(0, 4))}
        if roll < 0.6:
            return self.text(200)
        return rng.choice((*WRONG_TYPED, None))

    def wrong(self, kind: str) -> Any:
        """A non-null value that is not of the JSON type kind."""
        pool: list[Any] = [v for v in WRONG_TYPED if not _is(v, kind)]
        if kind != "string":
            pool += ["x", "", "1"]
        return self.rng.choice(pool)

    # --- well-formed activities

    def activity(self) -> tuple[str, dict[str, Any]]:
        """A well-formed activity of a random kind in a random conversation."""
        rng = self.rng
        user = rng.choice(self.senders)
        conv = rng.choice(self.conversations)
        common: dict[str, Any] = {"conversation": conv, "sender": user, "service_url": self.url}
        kind = rng.choice(
            (
                "message",
                "message",
                "command",
                "card submit",
                "card tap",
                "card tap",
                "card tap",
                "install",
                "uninstall",
                "members added",
                "members removed",
                "meeting",
                "other event",
                "other invoke",
                "other type",
            )
        )
        if kind == "message":
            return kind, message(self.text(2000), mentions_bot=rng.random() < 0.3, **common)
        if kind == "command":
            word = rng.choice(
                (
                    "help",
                    "apua",
                    "language",
                    "kieli",
                    "tutorial",
                    "groups",
                    "agenda",
                    "extend",
                    "late",
                    "shift",
                    "move day",
                    "cancel day",
                    "roll call",
                    "attendance",
                    "lähden nyt",
                    "send tutorial to",
                )
            )
            return kind, message(f"{word} {self.text(300)}", **common)
        if kind == "card submit":
            return kind, card_submit(self.card_data(), **common)
        if kind == "card tap":
            activity = invoke_execute("x", {}, **common)
            activity["value"] = self.invoke_value()
            return kind, activity
        if kind == "install":
            return kind, installation_update("add", **common)
        if kind == "uninstall":
            return kind, installation_update("remove", **common)
        if kind == "members added":
            return kind, members_added([user], bot_added=rng.random() < 0.5, **common)
        if kind == "members removed":
            return kind, members_removed([user], bot_removed=rng.random() < 0.2, **common)
        if kind == "meeting":
            meeting = rng.choice((meeting_start, meeting_end))
            conv = Conv.meeting_chat()
            return kind, meeting(conversation=conv, sender=user, service_url=self.url)
        activity = message("", **common)
        del activity["text"]
        if kind == "other event":
            activity.update(type="event", name=self.text(100), value=self.any_value())
        elif kind == "other invoke":
            activity.update(type="invoke", name=self.text(100), value=self.any_value())
        else:
            activity["type"] = rng.choice(
                ("typing", "messageReaction", "messageUpdate", "messageDelete", "endOfConversation")
            )
        return kind, activity

    def card_data(self) -> Any:
        """A card's action data: mostly objects with a verb, all of them hostile somehow."""
        rng = self.rng
        roll = rng.random()
        if roll < 0.1:
            return self.any_value()
        data: dict[str, Any] = {}
        if roll < 0.9:
            data["verb"] = rng.choice(
                (*KNOWN_VERBS, *KNOWN_VERBS, self.text(60), "Bind.Choose", "a..b", "x" * 600)
            )
        else:
            data["verb"] = self.wrong("string")
        for _ in range(rng.choice((0, 1, 2, 3, 120))):
            key = rng.choice((*DATA_KEYS, self.text(30)))
            data[key] = rng.choice(
                (
                    rng.choice(ODD_IDS),
                    rng.choice(CARD_WORDS),
                    self.text(rng.choice((10, 500, 501, 2000))),
                    self.any_value(),
                )
            )
        return data

    def invoke_value(self) -> Any:
        """An adaptiveCard/action invoke's value: Action.Execute with hostile data."""
        rng = self.rng
        roll = rng.random()
        if roll < 0.05:
            return self.any_value()
        data = self.card_data()
        verb = data.pop("verb", None) if isinstance(data, dict) else self.any_value()
        action: Any = {"type": "Action.Execute", "verb": verb, "data": data}
        if roll < 0.1:
            action = self.any_value()
        elif roll < 0.15:
            action["data"] = self.any_value()
        elif roll < 0.2:
            action[self.text(20)] = self.any_value()
        value: dict[str, Any] = {"action": action, "trigger": rng.choice(("manual", "x", 5))}
        if roll > 0.9:
            value[self.text(20)] = self.any_value()
        return value

    def decorate(self, activity: dict[str, Any]) -> None:
        """Hostile but well-typed contents in the activity's other fields."""
        rng = self.rng
        for _ in range(rng.randint(0, 3)):
            roll = rng.random()
            if roll < 0.2:
                activity[self.text(30)] = self.any_value()  # unknown top-level field
            elif roll < 0.35:
                activity["channelData"][self.text(30)] = self.any_value()
            elif roll < 0.45:
                activity["entities"] = [
                    {"type": rng.choice(("mention", "clientInfo", self.text(20)))}
                    | {self.text(10): self.any_value() for _ in range(3)}
                    for _ in range(rng.randint(0, 3))
                ]
            elif roll < 0.55:
                activity["attachments"] = [
                    {"contentType": self.text(60), "content": self.any_value()}
                    for _ in range(rng.randint(0, 3))
                ]
            elif roll < 0.65:
                activity["from"]["name"] = self.text(400)
            elif roll < 0.7:
                activity["locale"] = self.ascii(20)
            elif roll < 0.75:
                activity["id"] = self.ascii(200)
            elif roll < 0.8:
                activity["replyToId"] = self.ascii(200)
            elif roll < 0.85:
                activity["conversation"]["id"] = self.ascii(400).strip() or "x"
            elif roll < 0.9:
                activity["timestamp"] = self.text(40)
            elif roll < 0.95:
                activity["channelData"]["meeting"] = {"id": self.ascii(400)}
            else:
                activity["conversation"]["tenantId"] = self.ascii(64)

    def well_formed(self) -> tuple[str, bytes]:
        """A well-formed activity with hostile contents."""
        kind, activity = self.activity()
        activity["id"] = f"fuzz-{self.count}"  # fresh ids, or deduplication hides bugs
        self.decorate(activity)
        return kind, _dump(activity)

    # --- malformed bodies

    def malformed(self) -> tuple[str, bytes]:
        """A body the service must refuse with a 4xx."""
        rng = self.rng
        kind = rng.choice(
            (
                "wrong type",
                "wrong type",
                "wrong type",
                "missing essential",
                "too long",
                "not an identifier",
                "unknown type",
                "bad serviceUrl",
                "deep",
                "huge number",
                "not finite",
                "not an object",
                "NUL or surrogate",
                "not UTF-8",
                "not JSON",
                "over 256 KiB",
            )
        )
        _, activity = self.activity()
        activity["id"] = f"fuzz-{self.count}"
        if kind == "wrong type":
            field_kind, path = rng.choice(
                [("string", p) for p in STRING_FIELDS]
                + [("object", p) for p in OBJECT_FIELDS]
                + [("list", p) for p in LIST_OF_OBJECT_FIELDS]
                + [("list of objects", p) for p in LIST_OF_OBJECT_FIELDS]
                + [("bool", p) for p in BOOL_FIELDS]
            )
            if field_kind == "list of objects":
                value: Any = [{}, self.wrong("object")]
                rng.shuffle(value)
            else:
                value = self.wrong(field_kind)
            _set(activity, path, value)
            return f"{kind} {'.'.join(path)}", _dump(activity)
        if kind == "missing essential":
            path = rng.choice(
                (("type",), ("serviceUrl",), ("conversation",), ("conversation", "id"), ("from",))
            )
            if rng.random() < 0.5:
                _set(activity, path, None)
            else:
                parent = activity.get(path[0]) if len(path) == 2 else activity
                if isinstance(parent, dict):
                    parent.pop(path[-1], None)
            if path == ("from",) and activity["type"] not in (
                "message",
                "invoke",
                "installationUpdate",
                "conversationUpdate",
                "event",
                "messageReaction",
            ):
                activity["type"] = "message"
            return f"{kind} {'.'.join(path)}", _dump(activity)
        if kind == "too long":
            path, limit = rng.choice(LENGTH_LIMITS)
            _set(activity, path, "x" * (limit + 1 + rng.choice((0, 1, limit))))
            return f"{kind} {'.'.join(path)}", _dump(activity)
        if kind == "not an identifier":
            path = rng.choice(IDENTIFIERS)
            value = rng.choice(("ä", "\t", "\n", "\x7f", "\u2028", "\u00a0", "🙂", "ｉｄ"))
            _set(activity, path, rng.choice((f"a{value}"[:2], f"{value}b", ".", "..")))
            return f"{kind} {'.'.join(path)}", _dump(activity)
        if kind == "unknown type":
            activity["type"] = rng.choice(("nonsense", "Message", " message", "", "invokeResponse"))
            return kind, _dump(activity)
        if kind == "bad serviceUrl":
            activity["serviceUrl"] = rng.choice(
                ("ftp://127.0.0.1/", "javascript:alert(1)", "", " ", "127.0.0.1", "//127.0.0.1")
            )
            return kind, _dump(activity)
        if kind == "deep":
            opens = [rng.choice(("[", "{")) for _ in range(rng.choice((33, 34, 100, 1000, 20_000)))]
            nest = "".join("[" if o == "[" else '{"a": ' for o in opens)
            if rng.random() < 0.7:  # else never closed
                nest += "1" + "".join("]" if o == "[" else "}" for o in reversed(opens))
            if rng.random() < 0.2:
                return kind, nest.encode()
            return kind, _into_channel_data(activity, b'"x": ' + nest.encode())
        if kind == "huge number":
            digits = rng.choice((4301, 5000, 50_000))
            return kind, _into_channel_data(activity, b'"n": ' + b"9" * digits)
        if kind == "not finite":
            token = rng.choice((b"NaN", b"Infinity", b"-Infinity", b"1e400", b"-1e999"))
            return kind, _into_channel_data(activity, b'"n": ' + token)
        if kind == "not an object":
            return kind, _dump(rng.choice(([activity], "activity", 5, None, True, [], 1.5)))
        if kind == "NUL or surrogate":
            bad = rng.choice(("\\u0000", "\\ud800", "\\udfff", "x\\udbffx", "\\udc00\\ud800"))
            path = rng.choice(STRING_FIELDS[1:])
            _set(activity, path, "PLACEHOLDER")
            raw = _dump(activity).replace(b"PLACEHOLDER", bad.encode(), 1)
            if rng.random() < 0.3:
                raw = _dump(activity).replace(
                    b'"PLACEHOLDER"', b'"ok", "' + bad.encode() + b'": 1', 1
                )
            return kind, raw
        if kind == "not UTF-8":
            raw = _dump(activity)
            junk = rng.choice((b"\xff", b"\xc3", b"\xed\xa0\x80", b"\xf8\x88\x80\x80\x80", b"\x80"))
            at = raw.index(b'"serviceUrl"')
            return kind, raw[:at] + b'"x": "' + junk + b'", ' + raw[at:]
        if kind == "not JSON":
            raw = _dump(activity)
            roll = rng.random()
            if roll < 0.4:
                return kind, raw[: rng.randint(0, len(raw) - 1)]
            if roll < 0.7:
                return kind, bytes(rng.randint(0, 255) for _ in range(rng.randint(0, 300)))
            return kind, raw.replace(b'", "', b'" "', 1)
        # over 256 KiB
        activity["channelData"]["padding"] = "x" * (256 * 1024)
        return kind, _dump(activity)

    def bodies(self, count: int, *, malformed: bool | None) -> Iterator[Body]:
        """count bodies, numbered on from the generator's count (None: alternate the two)."""
        for i in range(count):
            bad = bool(i % 2) if malformed is None else malformed
            kind, raw = self.malformed() if bad else self.well_formed()
            yield Body(self.count, kind, raw)
            self.count += 1


def _is(value: Any, kind: str) -> bool:
    if kind == "string":
        return isinstance(value, str)
    if kind == "object":
        return isinstance(value, dict)
    if kind == "list":
        return isinstance(value, list)
    if kind == "bool":
        return isinstance(value, bool)
    raise ValueError(kind)


# ---------------------------------------------------------------------------------- posting


@dataclass
class Report:
    """How the service answered a run of bodies: statuses by kind, and what was wrong."""

    statuses: Counter[tuple[str, int]] = field(default_factory=Counter)
    failures: list[str] = field(default_factory=list)

    def served(self) -> Counter[str]:
        """Bodies answered 2xx, by kind."""
        served: Counter[str] = Counter()
        for (kind, status), count in self.statuses.items():
            if status < 300:
                served[kind] += count
        return served

    def problems(self) -> str:
        """'' if nothing was wrong, else how many bodies failed by kind, and the first few."""
        if not self.failures:
            return ""
        return f"{len(self.failures)} failed (seed {SEED}):\n" + "\n".join(self.failures[:20])


async def post_all(
    bot: BotServer, bodies: Iterator[Body], ok: Callable[[int, bytes], bool]
) -> Report:
    """Post every body, CONCURRENCY at a time over the bot's one client session.

    Only the statuses are kept, and the start of the bodies that were not answered ok:
    holding the bodies (some of 256 KiB) would swamp the service's own memory growth.
    """
    report = Report()

    async def worker() -> None:
        for body in bodies:  # a shared iterator: each body is taken once
            # Teams has the conversation a body comes from: the fake learns it (as bot.post does)
            with contextlib.suppress(ValueError, RecursionError):
                learn_conversation_of(json.loads(body.raw))
            async with bot.http.post(
                f"{bot.url}/api/messages",
                data=body.raw,
                headers={"Content-Type": "application/json"},
            ) as resp:
                answer = await resp.read()
            report.statuses[body.kind, resp.status] += 1
            if not ok(resp.status, answer):
                report.failures.append(
                    f"#{body.index} {body.kind}: {resp.status} {answer[:150]!r}"
                    f" <- {body.raw[:300]!r}"
                )

    await asyncio.gather(*(worker() for _ in range(CONCURRENCY)))
    return report


def vm_rss_kib() -> int:
    """This process's resident set size (the service, the fakes and the test share it)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise RuntimeError("no VmRSS in /proc/self/status")


@pytest.fixture
def connector() -> Iterator[FakeConnector]:
    """The strict fake, without Teams' rate limits: 10,000 bodies go in as fast as they can."""
    # what is tested is input handling; no conversation gets thousands of messages a minute
    with FakeConnector(enforce_teams_limits=False, global_limit=None) as fc:
        yield fc


async def test_ten_thousand_hostile_bodies(
    org_bot: BotServer,
    connector: FakeConnector,
    database_url: str,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.WARNING)
    generator = Generator(SEED, connector.url)
    started = time.monotonic()

    # warm up: first contacts, caches and lazy imports, so that memory growth means something
    for user in generator.senders:
        hello = message("hei", conversation=Conv.personal(), sender=user, service_url=connector.url)
        status, _ = await org_bot.post(hello)
        assert status == 201
    warm = await post_all(
        org_bot, generator.bodies(WARM_UP, malformed=None), lambda status, _: status < 500
    )
    assert not warm.problems(), warm.problems()
    connector.reset()
    gc.collect()
    rss_before = vm_rss_kib()
    rows_before = await row_counts(database_url)

    # malformed: every one a 4xx with a short reason, and not a row changed anywhere
    malformed = await post_all(
        org_bot,
        generator.bodies(MALFORMED, malformed=True),
        lambda status, answer: 400 <= status < 500 and answer.startswith(b'{"error": '),
    )
    assert malformed.statuses.total() == MALFORMED
    assert not malformed.problems(), malformed.problems()
    assert await row_counts(database_url) == rows_before

    # well-formed with hostile contents: never a 5xx; only a stranger's tables change
    well_formed = await post_all(
        org_bot, generator.bodies(WELL_FORMED, malformed=False), lambda status, _: status < 500
    )
    assert well_formed.statuses.total() == WELL_FORMED
    assert not well_formed.problems(), well_formed.problems()
    rows_after = await row_counts(database_url)
    changed = {name for name, rows in rows_after.items() if rows != rows_before[name]}
    assert changed <= MAY_CHANGE, {n: (rows_before[n], rows_after[n]) for n in changed - MAY_CHANGE}

    connector.reset()
    gc.collect()
    rss_growth = vm_rss_kib() - rss_before
    served = well_formed.served()
    print(  # shown with -s: how long this takes and what it exercised
        f"\n{WARM_UP + MALFORMED + WELL_FORMED} bodies in {time.monotonic() - started:.1f} s,"
        f" RSS +{rss_growth} KiB, tables changed: {sorted(changed)}\n"
        f"malformed by status: {dict(Counter(s for _, s in malformed.statuses.elements()))}\n"
        f"well-formed served: {dict(served)}"
    )
    assert rss_growth < RSS_GROWTH_LIMIT_KIB
    # the generator reached the bot: every kind of well-formed activity was served
    assert len(served) >= 10, served
    async with org_bot.http.get(f"{org_bot.url}/readyz") as resp:
        assert resp.status == 200
    errors = [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR]
    assert errors == []
