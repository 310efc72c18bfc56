"""A year of a city's data for P5, written straight into the store's tables in bulk.

The database is first brought up to date by the app's own migrations (store/migrate.py); then
every table is filled with rows as the service writes them (store/tables.py, store/days.py,
store/rollcall.py, store/feedback.py, store/tutorial.py, store/outbox.py), group by group, in
large batches: on PostgreSQL with COPY (asyncpg's copy_records_to_table), on SQLite with one
executemany per table and batch in one transaction.

What a year looks like (Europe/Helsinki, weekdays only, the newest day `until`):
  - `units` units, `groups` groups spread evenly over them, `clients` clients in each group, an
    instructor per group and a coordinator per unit; a group chat per group, a 1:1 chat per
    client (a few chats with the bot removed);
  - `days` group days a group, planned 09:00–13:00 (check-in, content, lunch, exercise,
    feedback), about 1 % cancelled ("palvelua ei järjestetä": no roll calls);
  - two roll calls a held day (09:00 and 12:00, 15 minutes' grace); each client comes on 85–95 %
    of days (their own rate), some late, some leave early (a check-out), the rest excused with
    every `Reason` in turn, or absent (marked at the close); every mark has its audit row in
    attendance_changes, and about a tenth of the absences are corrected to excused afterwards
    (a second audit row, version 2);
  - a feedback round a held day: a prompt to everyone who came, about 60 % answer (a third of
    them anonymously), some comments and ideas;
  - help requests (about one a group every other day), each client's tutorial progress, and the
    outbox rows the days sent (roll-call cards, feedback summaries, a few dead letters).

    .venv/bin/python bench/yeardata.py --sqlite /tmp/year.db [--groups 100 --days 250 ...]
    .venv/bin/python bench/yeardata.py --postgres postgresql://...   (an empty database)

bench/digest_export.py uses it (`generate`); run alone it fills the database named.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import sqlite3
import sys
import time
import uuid
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from datetime import time as clock
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sqlalchemy.engine import make_url

from domain.rollcall.model import Reason
from store.db import create_engine, is_sqlite, normalise_url
from store.migrate import upgrade

ZONE = ZoneInfo("Europe/Helsinki")
UNTIL = date(2026, 11, 30)  # a Monday: the digest's day; its month is the export's month
BATCH_ROWS = 250_000  # rows held before they are written

FIRST_NAMES = [
    "Aino",
    "Eino",
    "Helmi",
    "Juho",
    "Kaisa",
    "Lauri",
    "Maija",
    "Niko",
    "Oona",
    "Pekka",
    "Riikka",
    "Sami",
    "Tiina",
    "Ville",
    "Anni",
    "Eero",
    "Hanna",
    "Jari",
    "Katja",
    "Mikko",
    "Noora",
    "Otto",
    "Paula",
    "Risto",
    "Sanna",
    "Teemu",
    "Ulla",
    "Veera",
    "Aleksi",
    "Elina",
]
LAST_NAMES = [
    "Virtanen",
    "Korhonen",
    "Mäkinen",
    "Nieminen",
    "Mäkelä",
    "Hämäläinen",
    "Laine",
    "Heikkinen",
    "Koskinen",
    "Järvinen",
    "Lehtonen",
    "Lehtinen",
    "Saarinen",
    "Salminen",
    "Heinonen",
    "Niemi",
    "Heikkilä",
    "Kinnunen",
    "Salonen",
    "Turunen",
    "Lindqvist",
    "Sjöberg",
    "Holmström",
    "Nyström",
]
REASONS = tuple(Reason)  # every reason, in turn
DEVICES = ("windows", "mac", "android", "ios", "web")
STEPS = ("install", "sign_in", "join", "camera", "microphone", "chat")
COMMENTS = ("Hyvä päivä.", "Tauot olivat sopivia.", "Video oli hyvä.", "Kiitos ohjaajille!")
IDEAS = ("Lisää harjoituksia.", "Enemmän keskustelua.", "Retki kirjastoon.", "Excel-kurssi.")
# the plan of every day: (kind, title, start, minutes) in local time, 09:00–13:00
PLAN = (
    ("check_in", "Aamun nimenhuuto", clock(9, 0), 15),
    ("content", "Päivän aihe", clock(9, 15), 90),
    ("lunch", "Lounas", clock(10, 45), 45),
    ("exercise", "Harjoitus", clock(11, 30), 75),
    ("feedback", "Palaute", clock(12, 45), 15),
)


@dataclass(frozen=True)
class Size:
    """How much data: groups × days × clients, the groups spread over units."""

    groups: int = 100
    days: int = 250
    clients: int = 40
    units: int = 10
    until: date = UNTIL
    seed: int = 15

    @property
    def person_days(self) -> int:
        return self.groups * self.days * self.clients

    def describe(self) -> str:
        return (
            f"{self.groups} groups × {self.days} group days × {self.clients} clients in "
            f"{self.units} units ({self.person_days:,} person-days, to {self.until})"
        )


@dataclass
class Generated:
    """What was written, and how long it took."""

    rows: dict[str, int] = field(default_factory=dict)
    seconds: float = 0.0
    migrate_seconds: float = 0.0
    unit_groups: dict[int, list[int]] = field(default_factory=dict)  # unit id → group ids
    first_day: date | None = None
    last_day: date | None = None

    @property
    def total(self) -> int:
        return sum(self.rows.values())


def weekdays(until: date, count: int) -> list[date]:
    """The `count` weekdays up to and including until (or the weekday before it), oldest first."""
    found: list[date] = []
    day = until
    while len(found) < count:
        if day.weekday() < 5:
            found.append(day)
        day -= timedelta(days=1)
    return found[::-1]


def _utc(day: date, at: clock, plus_seconds: float = 0.0) -> datetime:
    return datetime.combine(day, at, ZONE).astimezone(UTC) + timedelta(seconds=plus_seconds)


def unit_key(unit: int) -> str:
    """The key of a 1-based unit."""
    return f"u{unit:02d}"


def _unit_of(group: int, size: Size) -> int:
    """1-based unit of a 1-based group: groups are spread evenly, in order."""
    return (group - 1) * size.units // size.groups + 1


# --- the rows -------------------------------------------------------------------------------

# the tables in the order they are written (parents first) and the columns written
COLUMNS: dict[str, tuple[str, ...]] = {
    "units": ("id", "key", "name", "language"),
    "groups": ("id", "key", "unit_id", "name", "timezone", "language"),
    "people": (
        "id",
        "name",
        "aad_object_id",
        "upn",
        "teams_id",
        "language",
        "chosen_language",
        "created_at",
        "updated_at",
    ),
    "memberships": ("id", "person_id", "role", "scope", "group_id", "unit_id"),
    "conversations": (
        "id",
        "conversation_id",
        "kind",
        "tenant_id",
        "service_url",
        "reference",
        "team_id",
        "channel_id",
        "meeting_id",
        "person_id",
        "group_id",
        "active",
        "installed_at",
        "updated_at",
    ),
    "group_days": (
        "id",
        "group_id",
        "date",
        "status",
        "timezone",
        "language",
        "plan_key",
        "plan_name",
        "items",
        "fired",
        "backs",
        "paused_at",
        "version",
        "created_at",
        "updated_at",
    ),
    "roll_calls": (
        "id",
        "group_id",
        "day",
        "number",
        "conversation_id",
        "opened_at",
        "opened_by",
        "grace_seconds",
        "closes_at",
        "closed_at",
        "cancelled_at",
        "cancelled_by",
    ),
    "attendance_marks": (
        "id",
        "roll_call_id",
        "person_id",
        "status",
        "at",
        "reason",
        "guest",
        "version",
    ),
    "attendance_checkouts": ("id", "group_id", "day", "person_id", "at"),
    "attendance_changes": (
        "id",
        "group_id",
        "day",
        "person_id",
        "roll_call_id",
        "at",
        "before",
        "after",
        "by",
        "reason",
        "note",
    ),
    "feedback_rounds": (
        "id",
        "group_id",
        "day",
        "conversation_id",
        "opened_at",
        "opened_by",
        "trigger",
        "closes_at",
        "anonymous_default",
        "remind_at",
        "reminded_at",
    ),
    "feedback_prompts": ("round_id", "person_id"),
    "feedback_answered": ("round_id", "person_id", "anonymous", "commented"),
    "feedback_answers": ("id", "round_id", "score", "person_id", "answered_at"),
    "feedback_texts": ("id", "round_id", "kind", "text", "key", "person_id"),
    "help_requests": (
        "id",
        "key",
        "person_id",
        "group_id",
        "device",
        "step",
        "check_id",
        "status",
        "created_at",
        "taken_by",
        "taken_at",
        "resolved_by",
        "resolved_at",
        "version",
    ),
    "tutorial_progress": (
        "person_id",
        "place",
        "device",
        "step",
        "check_id",
        "group_id",
        "problems",
        "started_at",
        "updated_at",
        "completed_at",
        "version",
    ),
    "outbox": (
        "id",
        "key",
        "conversation_id",
        "payload",
        "status",
        "attempts",
        "throttles",
        "next_attempt_at",
        "created_at",
        "sent_at",
        "activity_id",
        "last_error",
        "lease_owner",
        "lease_until",
        "coalesce_key",
    ),
}
# tables with a serial id: PostgreSQL's sequences are moved past the ids written
SERIAL = tuple(
    t
    for t, cols in COLUMNS.items()
    if cols[0] == "id" and t not in ("feedback_answers", "feedback_texts")
)


class Ids:
    """The next id of each table."""

    def __init__(self) -> None:
        self._next: dict[str, int] = {}

    def __call__(self, table: str) -> int:
        n = self._next.get(table, 1)
        self._next[table] = n + 1
        return n


def _group_chat(group: int) -> str:
    return f"19:g{group}@thread.v2"


def _personal_chat(person: int) -> str:
    return f"a:p{person}"


def _items(day: date) -> list[dict[str, Any]]:
    return [
        {
            "kind": kind,
            "title": title,
            "start": datetime.combine(day, at, ZONE).isoformat(),
            "seconds": minutes * 60,
        }
        for kind, title, at, minutes in PLAN
    ]


class Year:
    """Rows of the year, table by table, produced group by group (bounded memory)."""

    def __init__(self, size: Size) -> None:
        self.size = size
        self.ids = Ids()
        self.days = weekdays(size.until, size.days)
        self.created = _utc(self.days[0] - timedelta(days=14), clock(8))
        # person ids: coordinators 1..units, then per group an instructor and its clients
        self.coordinator = {u: u for u in range(1, size.units + 1)}
        per_group = 1 + size.clients
        self.instructor = {
            g: size.units + (g - 1) * per_group + 1 for g in range(1, size.groups + 1)
        }

    def clients(self, group: int) -> range:
        first = self.instructor[group] + 1
        return range(first, first + self.size.clients)

    def _person(self, pid: int, name: str) -> tuple[Any, ...]:
        return (
            pid,
            name,
            str(uuid.UUID(int=pid)),
            f"p{pid}@kaupunki.example.fi",
            f"29:p{pid}",
            "fi",
            None,
            self.created,
            self.created,
        )

    def organisation(self) -> dict[str, list[tuple[Any, ...]]]:
        """Units, groups, people, memberships and chats."""
        size = self.size
        rng = random.Random(size.seed)
        rows: dict[str, list[tuple[Any, ...]]] = {t: [] for t in COLUMNS}
        for u in range(1, size.units + 1):
            rows["units"].append((u, unit_key(u), f"Paja {u}", "fi"))
            pid = self.coordinator[u]
            rows["people"].append(self._person(pid, f"Koordinaattori {u}"))
            rows["memberships"].append(
                (self.ids("memberships"), pid, "coordinator", f"unit:{u}", None, u)
            )
            rows["conversations"].append(self._chat_row(pid, None, True))
        for g in range(1, size.groups + 1):
            rows["groups"].append(
                (g, f"g{g:03d}", _unit_of(g, size), f"Ryhmä {g}", "Europe/Helsinki", "fi")
            )
            rows["conversations"].append(self._chat_row(None, g, True))
            ins = self.instructor[g]
            rows["people"].append(self._person(ins, f"Ohjaaja {g}"))
            rows["memberships"].append(
                (self.ids("memberships"), ins, "instructor", f"group:{g}", g, None)
            )
            for pid in self.clients(g):
                name = f"{rng.choice(FIRST_NAMES)} {rng.choice(LAST_NAMES)} {pid}"
                rows["people"].append(self._person(pid, name))
                rows["memberships"].append(
                    (self.ids("memberships"), pid, "client", f"group:{g}", g, None)
                )
                # a few clients removed the bot from their 1:1 chat
                rows["conversations"].append(self._chat_row(pid, None, rng.random() > 0.01))
        return rows

    def _chat_row(self, person: int | None, group: int | None, active: bool) -> tuple[Any, ...]:
        cid = _group_chat(group) if group else _personal_chat(person or 0)
        kind = "groupChat" if group else "personal"
        reference = {"conversation": {"id": cid}, "serviceUrl": "https://smba.example/emea/"}
        return (
            self.ids("conversations"),
            cid,
            kind,
            "tenant",
            "https://smba.example/emea/",
            reference,
            None,
            None,
            None,
            person,
            group,
            active,
            self.created,
            self.created,
        )

    def group_year(self, g: int) -> dict[str, list[tuple[Any, ...]]]:
        """Everything one group's year wrote."""
        size = self.size
        rng = random.Random(size.seed * 100_003 + g)
        rows: dict[str, list[tuple[Any, ...]]] = {t: [] for t in COLUMNS}
        ids = self.ids
        ins = self.instructor[g]
        clients = list(self.clients(g))
        rate = {pid: rng.uniform(0.85, 0.95) for pid in clients}
        chat = _group_chat(g)
        reason_turn = g  # every reason in turn, so each appears in every group
        for day in self.days:
            made = _utc(day - timedelta(days=7), clock(10))
            cancelled = rng.random() < 0.01
            end = _utc(day, clock(13))
            rows["group_days"].append(
                (
                    ids("group_days"),
                    g,
                    day,
                    "cancelled" if cancelled else "closed",
                    "Europe/Helsinki",
                    "fi",
                    "perus",
                    "Peruspäivä",
                    _items(day),
                    {} if cancelled else {"check_in": _utc(day, clock(9)).isoformat()},
                    {},
                    None,
                    3,
                    made,
                    end,
                )
            )
            if cancelled:
                continue
            calls = []
            for number, at in ((1, clock(9)), (2, clock(12))):
                opened = _utc(day, at)
                rc = ids("roll_calls")
                closes = opened + timedelta(minutes=15)
                rows["roll_calls"].append(
                    (rc, g, day, number, chat, opened, ins, 900, closes, closes, None, None)
                )
                calls.append((rc, opened, closes))
                rows["outbox"].append(self._sent(f"rollcall:{rc}", chat, opened))
            came: list[int] = []
            for pid in clients:
                r = rng.random()
                marks: list[tuple[int, str, datetime, str | None, int, int | None]] = []
                # (roll call, status, at, reason, version, by)
                if r < rate[pid]:
                    came.append(pid)
                    kind = rng.random()
                    (rc1, o1, _c1), (rc2, o2, c2) = calls
                    if kind < 0.06:  # late
                        marks.append(
                            (
                                rc1,
                                "late",
                                o1 + timedelta(seconds=rng.uniform(700, 890)),
                                None,
                                1,
                                pid,
                            )
                        )
                        marks.append(
                            (
                                rc2,
                                "present",
                                o2 + timedelta(seconds=rng.uniform(5, 400)),
                                None,
                                1,
                                pid,
                            )
                        )
                    elif kind < 0.10:  # leaves early: a check-out before the end
                        marks.append(
                            (
                                rc1,
                                "present",
                                o1 + timedelta(seconds=rng.uniform(5, 400)),
                                None,
                                1,
                                pid,
                            )
                        )
                        out = _utc(day, clock(10, 30), rng.uniform(0, 8000))
                        if out < o2:
                            marks.append((rc2, "absent", c2, None, 1, None))
                        else:
                            marks.append(
                                (
                                    rc2,
                                    "present",
                                    o2 + timedelta(seconds=rng.uniform(5, 200)),
                                    None,
                                    1,
                                    pid,
                                )
                            )
                        rows["attendance_checkouts"].append(
                            (ids("attendance_checkouts"), g, day, pid, out)
                        )
                        rows["attendance_changes"].append(
                            (
                                ids("attendance_changes"),
                                g,
                                day,
                                pid,
                                None,
                                out,
                                "present",
                                "left_early",
                                pid,
                                None,
                                "lähti aiemmin",
                            )
                        )
                    else:
                        marks.append(
                            (
                                rc1,
                                "present",
                                o1 + timedelta(seconds=rng.uniform(5, 600)),
                                None,
                                1,
                                pid,
                            )
                        )
                        marks.append(
                            (
                                rc2,
                                "present",
                                o2 + timedelta(seconds=rng.uniform(5, 600)),
                                None,
                                1,
                                pid,
                            )
                        )
                elif rng.random() < 0.55:  # excused by the instructor, with a reason
                    reason = REASONS[reason_turn % len(REASONS)].value
                    reason_turn += 1
                    told = _utc(day, clock(8, 30), rng.uniform(0, 1800))
                    for rc, _o, _c in calls:
                        marks.append((rc, "excused", told, reason, 1, ins))
                else:  # absent: marked at each close
                    for rc, _o, c in calls:
                        marks.append((rc, "absent", c, None, 1, None))
                for rc, status, when, why, version, by in marks:
                    rows["attendance_marks"].append(
                        (ids("attendance_marks"), rc, pid, status, when, why, False, version)
                    )
                    rows["attendance_changes"].append(
                        (
                            ids("attendance_changes"),
                            g,
                            day,
                            pid,
                            rc,
                            when,
                            None,
                            status,
                            by,
                            why,
                            None,
                        )
                    )
                if marks and marks[0][1] == "absent" and rng.random() < 0.1:
                    # corrected afterwards: told the instructor why (version 2, a second audit row)
                    self._correct(rows, g, day, pid, ins, rng)
            self._feedback(rows, g, day, ins, chat, came, rng)
            self._help(rows, g, day, ins, clients, rng)
        self._tutorial(rows, g, clients, rng)
        return rows

    def _correct(
        self,
        rows: dict[str, list[tuple[Any, ...]]],
        g: int,
        day: date,
        pid: int,
        ins: int,
        rng: random.Random,
    ) -> None:
        reason = rng.choice((Reason.SICK, Reason.CHILD_SICK, Reason.OTHER)).value
        at = _utc(day, clock(14), rng.uniform(0, 7200))
        marks = rows["attendance_marks"]
        for i in (-2, -1):  # the two absent marks just written
            mid, rc, person, _s, _at, _r, guest, _v = marks[i]
            marks[i] = (mid, rc, person, "excused", at, reason, guest, 2)
            rows["attendance_changes"].append(
                (
                    self.ids("attendance_changes"),
                    g,
                    day,
                    pid,
                    rc,
                    at,
                    "absent",
                    "excused",
                    ins,
                    reason,
                    "ilmoitti jälkikäteen",
                )
            )

    def _feedback(
        self,
        rows: dict[str, list[tuple[Any, ...]]],
        g: int,
        day: date,
        ins: int,
        chat: str,
        came: Sequence[int],
        rng: random.Random,
    ) -> None:
        opened = _utc(day, clock(12, 45))
        fr = self.ids("feedback_rounds")
        rows["feedback_rounds"].append(
            (fr, g, day, chat, opened, ins, "item", _utc(day, clock(16)), False, None, None)
        )
        for pid in came:
            rows["feedback_prompts"].append((fr, pid))
            if rng.random() >= 0.6:
                continue
            anonymous = rng.random() < 0.33
            commented = rng.random() < 0.15
            rows["feedback_answered"].append((fr, pid, anonymous, commented))
            at = None if anonymous else opened + timedelta(seconds=rng.uniform(10, 1800))
            who = None if anonymous else pid
            score = min(6, max(1, round(rng.gauss(4.8, 1.0))))
            rows["feedback_answers"].append((uuid.uuid4().hex, fr, score, who, at))
            if commented:
                kind, texts = ("idea", IDEAS) if rng.random() < 0.4 else ("good", COMMENTS)
                text = rng.choice(texts)
                rows["feedback_texts"].append(
                    (uuid.uuid4().hex, fr, kind, text, text.lower().rstrip(".!"), who)
                )
        rows["outbox"].append(self._sent(f"feedback:{fr}:summary", chat, _utc(day, clock(16))))
        if rng.random() < 0.02:  # a dead letter to a client's 1:1 chat
            pid = rng.choice(list(self.clients(g)))
            rows["outbox"].append(
                self._sent(f"feedback:{fr}:{pid}", _personal_chat(pid), opened, dead=True)
            )

    def _help(
        self,
        rows: dict[str, list[tuple[Any, ...]]],
        g: int,
        day: date,
        ins: int,
        clients: Sequence[int],
        rng: random.Random,
    ) -> None:
        for _ in range(rng.choice((0, 0, 0, 1, 1, 2))):
            hid = self.ids("help_requests")
            asked = _utc(day, clock(9, 5), rng.uniform(0, 12000))
            status = rng.choice(("resolved", "resolved", "resolved", "taken", "open"))
            taken = asked + timedelta(minutes=3) if status != "open" else None
            done = asked + timedelta(minutes=20) if status == "resolved" else None
            rows["help_requests"].append(
                (
                    hid,
                    f"help:{hid}",
                    rng.choice(clients),
                    g,
                    rng.choice(DEVICES),
                    rng.choice(STEPS),
                    None,
                    status,
                    asked,
                    ins if taken else None,
                    taken,
                    ins if done else None,
                    done,
                    {"open": 1, "taken": 2, "resolved": 3}[status],
                )
            )

    def _tutorial(
        self,
        rows: dict[str, list[tuple[Any, ...]]],
        g: int,
        clients: Sequence[int],
        rng: random.Random,
    ) -> None:
        for pid in clients:
            started = _utc(self.days[0], clock(9, 30), rng.uniform(0, 86400 * 30))
            finished = rng.random() < 0.85
            rows["tutorial_progress"].append(
                (
                    pid,
                    "done" if finished else "step",
                    rng.choice(DEVICES),
                    None if finished else rng.choice(STEPS),
                    None,
                    g,
                    [],
                    started,
                    started + timedelta(minutes=25),
                    started + timedelta(minutes=25) if finished else None,
                    6,
                )
            )

    def _sent(self, key: str, chat: str, at: datetime, dead: bool = False) -> tuple[Any, ...]:
        payload = {"card": {"type": "AdaptiveCard", "version": "1.5", "body": []}}
        return (
            self.ids("outbox"),
            key,
            chat,
            payload,
            "dead" if dead else "sent",
            5 if dead else 1,
            0,
            at,
            at,
            None if dead else at + timedelta(seconds=1),
            None if dead else f"act-{key}",
            "403" if dead else None,
            None,
            None,
            None,
        )


# --- writing --------------------------------------------------------------------------------


def _json_text(value: Any) -> Any:
    return json.dumps(value, separators=(",", ":")) if isinstance(value, dict | list) else value


def _sqlite_value(value: Any) -> Any:
    """As SQLAlchemy stores it on SQLite: UTC text timestamps, ISO dates, JSON text."""
    if isinstance(value, datetime):
        return value.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S.%f")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, dict | list):
        return json.dumps(value)
    return value


class SqliteWriter:
    def __init__(self, path: str) -> None:
        self.conn = sqlite3.connect(path, isolation_level=None)
        self.conn.execute("PRAGMA journal_mode=WAL")
        self.conn.execute("PRAGMA synchronous=OFF")
        self.conn.execute("PRAGMA cache_size=-200000")

    async def write(self, table: str, rows: list[tuple[Any, ...]]) -> None:
        cols = COLUMNS[table]
        names = ", ".join(f'"{c}"' for c in cols)
        marks = ", ".join("?" * len(cols))
        sql = f'INSERT INTO "{table}" ({names}) VALUES ({marks})'  # noqa: S608 (our own names)
        self.conn.executemany(sql, ([_sqlite_value(v) for v in row] for row in rows))

    async def begin(self) -> None:
        self.conn.execute("BEGIN")

    async def commit(self) -> None:
        self.conn.execute("COMMIT")

    async def finish(self) -> None:
        self.conn.execute("ANALYZE")
        self.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        self.conn.close()


class PostgresWriter:
    def __init__(self, url: str) -> None:
        self.url = url
        self.conn: Any = None

    async def open(self) -> None:
        import asyncpg  # type: ignore[import-untyped]

        parsed = make_url(self.url)
        self.conn = await asyncpg.connect(
            host=parsed.host,
            port=parsed.port,
            user=parsed.username,
            password=parsed.password,
            database=parsed.database,
        )

    async def write(self, table: str, rows: list[tuple[Any, ...]]) -> None:
        json_cols = [i for i, v in enumerate(rows[0]) if isinstance(v, dict | list)]
        if json_cols:
            rows = [tuple(_json_text(v) for v in row) for row in rows]
        await self.conn.copy_records_to_table(table, records=rows, columns=list(COLUMNS[table]))

    async def begin(self) -> None:
        await self.conn.execute("BEGIN")

    async def commit(self) -> None:
        await self.conn.execute("COMMIT")

    async def finish(self) -> None:
        for table in SERIAL:  # our own table names
            await self.conn.execute(
                f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "  # noqa: S608
                f'coalesce((SELECT max(id) FROM "{table}"), 0) + 1, false)'
            )
        await self.conn.execute("ANALYZE")
        await self.conn.close()


async def _flush(
    writer: SqliteWriter | PostgresWriter,
    pending: dict[str, list[tuple[Any, ...]]],
    counts: dict[str, int],
) -> None:
    await writer.begin()
    for table in COLUMNS:
        rows = pending[table]
        if rows:
            await writer.write(table, rows)
            counts[table] = counts.get(table, 0) + len(rows)
            rows.clear()
    await writer.commit()


def _batches(year: Year) -> Iterator[dict[str, list[tuple[Any, ...]]]]:
    yield year.organisation()
    for g in range(1, year.size.groups + 1):
        yield year.group_year(g)


async def generate(url: str, size: Size, log: Any = print) -> Generated:
    """Migrate the (empty) database at url and fill it with the year; returns the row counts."""
    result = Generated()
    started = time.perf_counter()
    engine = create_engine(url)
    try:
        await upgrade(engine)
    finally:
        await engine.dispose()
    result.migrate_seconds = time.perf_counter() - started
    writer: SqliteWriter | PostgresWriter
    if is_sqlite(url):
        database = make_url(normalise_url(url)).database
        assert database
        writer = SqliteWriter(database)
    else:
        writer = PostgresWriter(url)
        await writer.open()
    year = Year(size)
    pending: dict[str, list[tuple[Any, ...]]] = {t: [] for t in COLUMNS}
    held = 0
    for n, batch in enumerate(_batches(year)):
        for table, rows in batch.items():
            pending[table].extend(rows)
            held += len(rows)
        if held >= BATCH_ROWS:
            await _flush(writer, pending, result.rows)
            held = 0
            if n % 10 == 0:
                log(f"  … {n} of {size.groups} groups, {sum(result.rows.values()):,} rows")
    await _flush(writer, pending, result.rows)
    await writer.finish()
    result.seconds = time.perf_counter() - started
    for g in range(1, size.groups + 1):
        result.unit_groups.setdefault(_unit_of(g, size), []).append(g)
    result.first_day, result.last_day = year.days[0], year.days[-1]
    return result


def size_arguments(parser: argparse.ArgumentParser) -> None:
    """--groups --days --clients --units --until --seed --quick (10 groups × 60 days)."""
    parser.add_argument("--groups", type=int, default=Size.groups)
    parser.add_argument("--days", type=int, default=Size.days, help="group days per group")
    parser.add_argument("--clients", type=int, default=Size.clients, help="clients per group")
    parser.add_argument("--units", type=int, default=Size.units)
    parser.add_argument("--until", type=date.fromisoformat, default=UNTIL, help="the newest day")
    parser.add_argument("--seed", type=int, default=Size.seed)
    parser.add_argument("--quick", action="store_true", help="10 groups × 60 days in 2 units")


def size_of(args: argparse.Namespace) -> Size:
    if args.quick:
        args.groups, args.days, args.units = 10, 60, 2
    units = max(1, min(args.units, args.groups))
    return Size(args.groups, args.days, args.clients, units, args.until, args.seed)


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    where = parser.add_mutually_exclusive_group(required=True)
    where.add_argument("--sqlite", metavar="FILE", help="a new SQLite database file")
    where.add_argument("--postgres", metavar="URL", help="an empty PostgreSQL database")
    size_arguments(parser)
    args = parser.parse_args()
    size = size_of(args)
    url = args.postgres or f"sqlite+aiosqlite:///{Path(args.sqlite).resolve()}"
    print(f"generating {size.describe()}")
    made = asyncio.run(generate(url, size))
    for table, n in made.rows.items():
        print(f"  {table:22} {n:>10,}")
    print(f"{made.total:,} rows in {made.seconds:.1f} s (migrations {made.migrate_seconds:.1f} s)")


if __name__ == "__main__":
    main()
