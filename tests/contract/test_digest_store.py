"""store/digest.py on SQLite and PostgreSQL: the digest's reads, and sending it once."""

from __future__ import annotations

import asyncio
from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import func, select

from bot.orgfile import parse_org_file
from domain import days as d
from domain.digest.ports import DigestStore
from domain.model import Conversation, ConversationKind
from domain.org import Language
from domain.outbox import OutboxMessage
from domain.plans import ItemKind, Plan, PlanItem
from domain.rollcall.model import RollCall
from domain.tutorial.content import Device
from domain.tutorial.flow import Progress
from domain.tutorial.help import HelpRequest, HelpStatus
from store.outbox import OutboxRow
from store.store import Store

DAY = date(2026, 12, 3)
T0 = datetime(2026, 12, 3, 8, 0, tzinfo=UTC)

ORG = """
version: 1
units:
  - key: it
    name: IT-paja
  - key: muu
    name: Muu
groups:
  - key: a
    unit: it
    name: Ryhmä A
  - key: b
    unit: muu
    name: Ryhmä B
people:
  - name: Kaisa
    upn: kaisa@example.fi
    coordinator: [it]
  - name: Olga
    upn: olga@example.fi
    coordinator: [muu]
  - name: Anna
    upn: anna@example.fi
    admin: true
  - name: Maija
    upn: maija@example.fi
    instructor: [a]
  - name: Jari
    upn: jari@example.fi
    client: [a]
  - name: Sari
    upn: sari@example.fi
    client: [a]
"""
PLAN = Plan(
    key="p", name="P", items=(PlanItem(ItemKind.CONTENT, "Aamu", time(9, 0), timedelta(hours=1)),)
)


async def arrange(store: Store) -> tuple[dict[str, int], dict[str, int]]:
    await store.org.apply(parse_org_file(ORG))
    groups = {g.key: g.id or 0 for g in await store.org.all_groups()}
    people: dict[str, int] = {}
    for name in ("kaisa", "olga", "anna", "maija", "jari", "sari"):
        found = await store.org.person_by_upn(f"{name}@example.fi")
        assert found is not None and found.id is not None
        people[name] = found.id
    return groups, people


def chat(cid: str, kind: ConversationKind, person: int | None = None) -> Conversation:
    return Conversation(cid, kind, "https://smba.example", {}, tenant_id="t", person_id=person)


def test_the_sql_store_is_a_digest_store(store: Store) -> None:
    digest: DigestStore = store.digest
    assert digest is not None


async def test_coordinators_are_those_of_the_unit_only(store: Store) -> None:
    _, people = await arrange(store)
    assert [p.id for p in await store.digest.coordinators("it")] == [people["kaisa"]]
    assert [p.id for p in await store.digest.coordinators("muu")] == [people["olga"]]
    assert await store.digest.coordinators("none") == ()


async def test_group_days_on_dates(store: Store) -> None:
    groups, _ = await arrange(store)
    for day in (DAY, DAY + timedelta(days=1)):
        placed = d.place_plan(PLAN, groups["a"], day, "Europe/Helsinki", Language.FI)
        await store.days.add(placed, [])
    found = await store.digest.group_days_on([DAY, DAY + timedelta(days=7)])
    assert found == [(groups["a"], DAY)]
    assert await store.digest.group_days_on([]) == []


async def test_a_day_with_a_roll_call_and_no_plan_is_a_group_day(store: Store) -> None:
    """The roll call alone makes a group day (as in the reports); a cancelled one does not."""
    groups, _ = await arrange(store)
    later = DAY + timedelta(days=1)
    for group, day in ((groups["a"], DAY), (groups["b"], later)):
        opened_at = datetime.combine(day, T0.timetz())
        await store.rollcall.open(RollCall(group, day, 0, "19:a@thread.v2", opened_at))
    cancelled, _ = await store.rollcall.open(
        RollCall(groups["a"], later, 0, "19:a@thread.v2", T0 + timedelta(days=1))
    )
    assert cancelled.id is not None
    await store.rollcall.cancel(cancelled.id, T0 + timedelta(days=1, minutes=1), None)
    placed = d.place_plan(PLAN, groups["b"], later, "Europe/Helsinki", Language.FI)
    await store.days.add(placed, [])
    found = await store.digest.group_days_on([DAY, later])
    assert sorted(found) == sorted([(groups["a"], DAY), (groups["b"], later)])


async def test_the_digest_is_sent_once_with_its_cards(store: Store) -> None:
    _, people = await arrange(store)
    kaisa = people["kaisa"]
    cards = [
        OutboxMessage(key=f"digest:{kaisa}:{DAY}:it:{n}", conversation_id="a:k", text="x")
        for n in range(2)
    ]
    assert not await store.digest.was_sent(kaisa, DAY, "it")
    results = await asyncio.gather(
        *(store.digest.mark_sent(kaisa, DAY, "it", T0, cards) for _ in range(4))
    )
    assert sorted(results) == [False, False, False, True]
    assert await store.digest.was_sent(kaisa, DAY, "it")
    assert not await store.digest.was_sent(kaisa, DAY + timedelta(days=1), "it")
    # per unit: a unit whose digest hour comes later that day (another time zone) is its own
    assert not await store.digest.was_sent(kaisa, DAY, "ny")
    async with store.db.read() as s:
        count = await s.execute(select(func.count()).where(OutboxRow.key.like("digest:%")))
        assert count.scalar_one() == 2


async def test_help_guides_chats_and_dead_letters(store: Store) -> None:
    groups, people = await arrange(store)
    jari, sari = people["jari"], people["sari"]
    progress = Progress(person_id=jari, group_id=groups["a"], started_at=T0 - timedelta(days=9))
    for n, at in enumerate((T0 - timedelta(days=8), T0, T0 + timedelta(hours=1))):
        request = HelpRequest(
            f"h{n}", jari, groups["a"], Device.WINDOWS, "mic", None, at, HelpStatus.OPEN
        )
        progress, _ = await store.tutorial.save(progress, request=request)
    done = Progress(person_id=sari, started_at=T0 - timedelta(days=9), completed_at=T0)
    await store.tutorial.save(done)
    found = await store.digest.help_requests([groups["a"]], T0, T0 + timedelta(days=1))
    assert [(g, r.person_id, r.step, r.status, r.name) for g, r in found] == [
        (groups["a"], jari, "mic", "open", "Jari")
    ] * 2
    guides = await store.digest.unfinished_guides([jari, sari])
    assert [(g.person_id, g.name) for g in guides] == [(jari, "Jari")]

    await store.conversations.remember(chat("19:a@thread.v2", ConversationKind.GROUP_CHAT))
    await store.conversations.bind("19:a@thread.v2", groups["a"], people["maija"])
    await store.conversations.remember(chat("a:jari", ConversationKind.PERSONAL, jari))
    await store.conversations.remember(chat("a:sari", ConversationKind.PERSONAL, sari))
    await store.conversations.remember(chat("a:kaisa", ConversationKind.PERSONAL, people["kaisa"]))
    await store.conversations.set_active("a:sari", False)
    chats = await store.digest.chats(groups["a"])
    assert sorted((c.conversation_id, c.active, c.person_name) for c in chats) == [
        ("19:a@thread.v2", True, None),
        ("a:jari", True, "Jari"),
        ("a:sari", False, "Sari"),
    ]
    now = datetime.now(UTC)
    for key, cid in (("d1", "a:jari"), ("d2", "a:kaisa"), ("d3", "19:a@thread.v2")):
        await store.outbox.enqueue_failed(
            OutboxMessage(key=key, conversation_id=cid, text="x"),
            next_attempt_at=now,
            error="403",
            dead=True,
        )
    await store.outbox.enqueue(OutboxMessage(key="alive", conversation_id="a:jari", text="x"))
    ids = [c.conversation_id for c in chats]
    hour = timedelta(hours=1)
    # per chat, so the digest can say whom they did not reach
    assert await store.digest.dead_letters(ids, now - hour, now + hour) == {
        "a:jari": 1,
        "19:a@thread.v2": 1,
    }
    assert await store.digest.dead_letters(ids, now + hour, now + 2 * hour) == {}
