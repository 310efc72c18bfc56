"""A row in every table, with its age: what the retention, export and erasure tests start from.

`seed(store, t0)` writes, for each table, rows at t0 ("old") and at t0 + 200 days ("new") and
returns each row's key with the moment its retention runs out (None: never by age), so a test
can say exactly which rows a purge at a given moment must remove. A table added to the schema
needs rows here too: `test_every_table_is_seeded` says which is missing.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import insert

from bot.orgfile import parse_org_file
from domain.retention import Limits, years_after
from store.store import Store
from store.tables import Base

NEW = timedelta(days=200)

ORG = """
version: 1
units:
  - key: it
    name: IT-paja
groups:
  - key: a
    unit: it
    name: Ryhmä A
people:
  - name: Maija
    upn: maija@example.fi
    instructor: [a]
  - name: Erkki Ended
    upn: erkki@example.fi
    aad: 11111111-1111-1111-1111-111111111111
    client: [a]
    service_ended: {ended}
  - name: Jari Current
    upn: jari@example.fi
    aad: 22222222-2222-2222-2222-222222222222
    client: [a]
"""


@dataclass(frozen=True)
class Seeded:
    """One row: its table, its key, and the moment after which the purge removes it."""

    table: str
    key: tuple[Any, ...]
    expires: datetime | None
    person: str | None = None  # whose row it is (for the export and erasure tests)


@dataclass
class World:
    rows: list[Seeded]
    people: dict[str, int]
    group: int
    chats: dict[str, str]
    rounds: dict[str, int]


class _Seeder:
    def __init__(self, store: Store, limits: Limits) -> None:
        self.store = store
        self.limits = limits
        self.rows: list[Seeded] = []

    async def add(
        self,
        name: str,
        values: dict[str, Any],
        expires: datetime | None,
        person: str | None = None,
    ) -> tuple[Any, ...]:
        t = Base.metadata.tables[name]
        async with self.store.db.write() as s:
            key = tuple(
                (await s.execute(insert(t).values(**values).returning(*t.primary_key))).one()
            )
        self.rows.append(Seeded(name, key, expires, person))
        return key


async def seed(store: Store, t0: datetime, limits: Limits) -> World:
    """Rows in every table; see the module's text."""
    ended = t0.date()
    await store.org.apply(parse_org_file(ORG.format(ended=ended.isoformat())))
    people: dict[str, int] = {}
    for who in ("maija", "erkki", "jari"):
        found = await store.org.person_by_upn(f"{who}@example.fi")
        assert found is not None and found.id is not None
        people[who] = found.id
    group = (await store.org.all_groups())[0].id
    assert group is not None
    k = _Seeder(store, limits)
    # the organisation file's rows, read back as seeded (kept)
    async with store.db.read() as s:
        for name in ("units", "groups", "people", "memberships"):
            t = Base.metadata.tables[name]
            for row in (await s.execute(t.select())).mappings():
                key = tuple(row[c.name] for c in t.primary_key)
                owner = None
                if name in ("people", "memberships"):
                    pid = row["id"] if name == "people" else row["person_id"]
                    owner = next(w for w, i in people.items() if i == pid)
                k.rows.append(Seeded(name, key, None, owner))
        # the import's own audit entry
        audit = Base.metadata.tables["audit_log"]
        for row in (await s.execute(audit.select())).mappings():
            at = row["at"].replace(tzinfo=t0.tzinfo)
            expires = datetime.combine(years_after(at.date(), limits.attendance_years), at.timetz())
            k.rows.append(Seeded("audit_log", (row["id"],), expires))
    day = timedelta(days=1)
    lim = limits
    chats: dict[str, str] = {}
    for who in ("maija", "erkki", "jari"):
        chats[who] = f"a:chat-{who}"
        await k.add(
            "conversations",
            {
                "conversation_id": chats[who],
                "kind": "personal",
                "service_url": "https://smba.example",
                "reference": {},
                "person_id": people[who],
                "installed_at": t0,
                "updated_at": t0,
            },
            None,
            who,
        )
    await k.add(
        "conversations",
        {
            "conversation_id": "19:group",
            "kind": "groupChat",
            "service_url": "https://smba.example",
            "reference": {},
            "group_id": group,
            "installed_at": t0,
            "updated_at": t0,
        },
        None,
    )
    await k.add("app_secrets", {"name": "card-signing-key", "value": "00", "created_at": t0}, None)
    await k.add("plans", {"key": "p", "name": "P", "items": [], "updated_at": t0}, None)
    await k.add("weekly_schedules", {"group_id": group, "weekday": 0, "plan_key": "p"}, None)
    # the days' "I'm back" taps: Erkki and Jari on the first day, Jari on the later one
    for offset, backs in (
        (timedelta(0), {"0": [people["erkki"], people["jari"]]}),
        (NEW, {"1": [people["jari"]]}),
    ):
        await k.add(
            "group_days",
            {
                "group_id": group,
                "date": (t0 + offset).date(),
                "status": "done",
                "timezone": "Europe/Helsinki",
                "language": "fi",
                "plan_key": "p",
                "plan_name": "P",
                "items": [],
                "fired": {},
                "backs": backs,
                "version": 1,
                "created_at": t0 + offset,
                "updated_at": t0 + offset,
            },
            None,
        )
    # attendance: Erkki's service ended at t0 (kept 10 years after), Jari's has not
    # kept through the day 10 years after, gone from the next day on (UTC)
    statutory_end = datetime.combine(
        years_after(ended, lim.attendance_years) + day, datetime.min.time(), t0.tzinfo
    )
    for offset, number in ((timedelta(0), 1), (NEW, 2)):
        when = t0 + offset
        (call,) = await k.add(
            "roll_calls",
            {
                "group_id": group,
                "day": when.date(),
                "number": number,
                "conversation_id": "19:group",
                "opened_at": when,
                "opened_by": people["maija"],
                "grace_seconds": 600,
            },
            None,
            "maija",
        )
        for who, expires in (("erkki", statutory_end), ("jari", None)):
            await k.add(
                "attendance_marks",
                {
                    "roll_call_id": call,
                    "person_id": people[who],
                    "status": "present",
                    "at": when,
                    "guest": False,
                    "version": 1,
                },
                expires,
                who,
            )
            await k.add(
                "attendance_checkouts",
                {"group_id": group, "day": when.date(), "person_id": people[who], "at": when},
                expires,
                who,
            )
            await k.add(
                "attendance_changes",
                {
                    "group_id": group,
                    "day": when.date(),
                    "person_id": people[who],
                    "roll_call_id": call,
                    "at": when,
                    "before": "absent",
                    "after": "present",
                    "by": people["maija"],
                    "reason": None,
                },
                expires,
                who,
            )
    # Teams' attendance report copies: a client's go with their attendance, a guest's (no
    # known object id) and the meeting's poll state the day after the audit log's time
    for offset in (timedelta(0), NEW):
        when = t0 + offset
        after_audit = datetime.combine(
            years_after(when.date(), lim.attendance_years) + day, datetime.min.time(), t0.tzinfo
        )
        await k.add(
            "graph_meetings",
            {
                "group_id": group,
                "day": when.date(),
                "ended_at": when,
                "organizer_id": "33333333-3333-3333-3333-333333333333",
                "graph_id": f"MSo-{when.date()}",
                "polls_done": 3,
                "fetched_at": when,
            },
            after_audit,
        )
        # Erkki twice: by his object id, and by his e-mail address under an object id the
        # bot does not know (matched to his UPN)
        for who, aad, email, expires in (
            ("erkki", "11111111-1111-1111-1111-111111111111", None, statutory_end),
            ("erkki", "44444444-4444-4444-4444-444444444444", "Erkki@Example.fi", statutory_end),
            ("jari", "22222222-2222-2222-2222-222222222222", None, None),
            (None, None, None, after_audit),
        ):
            await k.add(
                "graph_attendance",
                {
                    "group_id": group,
                    "day": when.date(),
                    "report_id": f"report-{when.date()}",
                    "person_key": aad or f"guest-{when.date()}",
                    "aad_object_id": aad,
                    "email": email,
                    "display_name": who or "Vieras",
                    "role": "Attendee",
                    "total_seconds": 3600,
                    "intervals": [],
                    "fetched_at": when,
                },
                expires,
                who,
            )
    for offset in (timedelta(0), NEW):
        when = t0 + offset
        expires_audit = datetime.combine(
            years_after(when.date(), lim.attendance_years), when.timetz()
        )
        await k.add(
            "audit_log",
            {
                "at": when,
                "actor_person_id": people["maija"],
                "action": "export.attendance",
                "subject": "2026-11-01..2026-11-30",
                "details": {},
            },
            expires_audit,
            "maija",
        )
    # feedback: a round on t0's day and one 200 days later
    rounds: dict[str, int] = {}
    for label, offset in (("old", timedelta(0)), ("new", NEW)):
        when = t0 + offset
        expires = datetime.combine(when.date(), datetime.min.time(), t0.tzinfo) + timedelta(
            days=lim.feedback_days + 1
        )
        (rid,) = await k.add(
            "feedback_rounds",
            {
                "group_id": group,
                "day": when.date(),
                "conversation_id": "19:group",
                "opened_at": when,
                "opened_by": people["maija"],
                "trigger": "item",
                "closes_at": when + timedelta(hours=8),
                "anonymous_default": False,
            },
            None,
            "maija",
        )
        rounds[label] = rid
        for who in ("erkki", "jari"):
            await k.add(
                "feedback_prompts", {"round_id": rid, "person_id": people[who]}, expires, who
            )
        await k.add(
            "feedback_answered",
            {"round_id": rid, "person_id": people["erkki"], "anonymous": False, "commented": True},
            expires,
            "erkki",
        )
        await k.add(
            "feedback_answered",
            {"round_id": rid, "person_id": people["jari"], "anonymous": True, "commented": False},
            expires,
            "jari",
        )
        await k.add(
            "feedback_answers",
            {
                "id": f"named{label}",
                "round_id": rid,
                "score": 4,
                "person_id": people["erkki"],
                "answered_at": when,
            },
            expires,
            "erkki",
        )
        await k.add(
            "feedback_answers",
            {"id": f"anon{label}", "round_id": rid, "score": 2},
            expires,
        )
        await k.add(
            "feedback_texts",
            {
                "id": f"text{label}",
                "round_id": rid,
                "kind": "idea",
                "text": "Enemmän taukoja",
                "key": "enemmän taukoja",
                "person_id": people["erkki"],
            },
            expires,
            "erkki",
        )
        await k.add(
            "feedback_ideas",
            {
                "group_id": group,
                "key": f"idea-{label}",
                "used": False,
                "changed_at": when,
                "changed_by": people["maija"],
            },
            when + timedelta(days=lim.feedback_days),
            "maija",
        )
    await k.add(
        "feedback_settings",
        {
            "group_id": group,
            "anonymous": True,
            "reminder": True,
            "updated_at": t0,
            "updated_by": people["maija"],
        },
        None,
        "maija",
    )
    for label, offset in (("old", timedelta(0)), ("new", NEW)):
        when = t0 + offset
        help_end = when + timedelta(days=lim.help_days)
        await k.add(
            "help_requests",
            {
                "key": f"help-{label}",
                "person_id": people["erkki"],
                "group_id": group,
                "device": "phone",
                "step": "join",
                "status": "resolved",
                "created_at": when,
                "taken_by": people["maija"],
                "taken_at": when,
                "resolved_by": people["maija"],
                "resolved_at": when,
                "version": 1,
            },
            help_end,
            "erkki",
        )
        await k.add(
            "dialog_state",
            {
                "scope": "person",
                "key": str(people["erkki"]) if label == "old" else str(people["jari"]),
                "data": {"x": 1},
                "version": 1,
                "updated_at": when,
            },
            when + timedelta(days=lim.dialog_days),
            "erkki" if label == "old" else "jari",
        )
        await k.add(
            "dialog_state",
            {
                "scope": "conversation",
                "key": chats["erkki"] if label == "old" else "19:group",
                "data": {"x": 1},
                "version": 1,
                "updated_at": when,
            },
            when + timedelta(days=lim.dialog_days),
            "erkki" if label == "old" else None,
        )
        await k.add(
            "processed_activities",
            {
                "conversation_id": chats["erkki"],
                "activity_id": f"act-{label}",
                "received_at": when,
                "owner": None,
                "done": True,
            },
            when + timedelta(hours=lim.inbox_hours),
            "erkki",
        )
        for status in ("sent", "dead", "pending"):
            await k.add(
                "outbox",
                {
                    "key": f"{status}-{label}",
                    "conversation_id": chats["erkki"] if status != "pending" else "19:group",
                    "payload": {"text": "Hei"},
                    "status": status,
                    "attempts": 1,
                    "next_attempt_at": when,
                    "created_at": when,
                    "sent_at": when if status == "sent" else None,
                },
                None if status == "pending" else when + timedelta(days=lim.outbox_days),
                "erkki" if status != "pending" else None,
            )
        await k.add(
            "digest_sent",
            {"person_id": people["maija"], "day": when.date(), "unit_key": "it", "sent_at": when},
            when + timedelta(days=lim.digest_days),
            "maija",
        )
        await k.add(
            "export_links",
            {
                "token_id": f"tok-{label}",
                "person_id": people["maija"],
                "kind": "attendance",
                "first_day": date(2026, 11, 1),
                "last_day": date(2026, 11, 30),
                "format": "csv",
                "language": "fi",
                "created_at": when - timedelta(minutes=15),
                "expires_at": when,
            },
            when + timedelta(days=lim.export_link_days),
            "maija",
        )
    await k.add(
        "tutorial_progress",
        {
            "person_id": people["erkki"],
            "place": "home",
            "problems": [],
            "started_at": t0,
            "updated_at": t0,
            "version": 1,
        },
        t0 + timedelta(days=lim.help_days),
        "erkki",
    )
    await k.add(
        "tutorial_progress",
        {
            "person_id": people["jari"],
            "place": "home",
            "problems": [],
            "started_at": t0 + NEW,
            "updated_at": t0 + NEW,
            "version": 1,
        },
        t0 + NEW + timedelta(days=lim.help_days),
        "jari",
    )
    return World(k.rows, people, group, chats, rounds)
