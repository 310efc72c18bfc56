"""End-of-day feedback storage (store/feedback.py) on SQLite and PostgreSQL.

Rounds, prompts with their outbox cards, named and anonymous answers, words, results, reminders,
settings and ideas; double taps at once; and that an anonymous answer cannot be traced to its
person by anything in the database.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from alembic import command
from sqlalchemy import Connection, MetaData, func, inspect, select, text
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.ext.asyncio import AsyncEngine

from domain.feedback.model import (
    Answered,
    Idea,
    Outcome,
    Round,
    Settings,
    Text,
    TextKind,
    Trigger,
    idea_key,
)
from domain.feedback.ports import FeedbackStore
from domain.org import Person
from domain.outbox import OutboxMessage, OutboxStatus
from store.db import create_engine
from store.feedback import FeedbackAnswerRow, FeedbackTextRow, SqlFeedbackStore
from store.migrate import alembic_config, head_revision, upgrade
from store.store import Store
from tests.contract.test_rollcall_store import Org, arrange

T0 = datetime(2026, 3, 5, 13, 0, tzinfo=UTC)
DAY = date(2026, 3, 5)
RACE_ROUNDS = 15


def wanted(
    group_id: int,
    day: date = DAY,
    at: datetime = T0,
    remind: timedelta | None = timedelta(minutes=30),
    by: int | None = None,
) -> Round:
    return Round(
        group_id=group_id,
        day=day,
        conversation_id="19:it@thread.v2",
        opened_at=at,
        closes_at=at + timedelta(hours=3),
        trigger=Trigger.COMMAND,
        anonymous_default=True,
        remind_at=at + remind if remind is not None else None,
        opened_by=by,
    )


async def opened(store: Store, org: Org, day: date = DAY, **kwargs: Any) -> int:
    round_, new = await store.feedback.open_round(wanted(org.group, day, **kwargs))
    assert new is True and round_.id is not None
    return round_.id


def card(round_id: int, person_id: int, what: str = "ask") -> OutboxMessage:
    return OutboxMessage(
        key=f"feedback:{round_id}:{what}:{person_id}",
        conversation_id=f"a:1:1-{person_id}",
        render=f"feedback:{round_id}:{person_id}",
    )


async def count(store: Store, table: Any, **where: Any) -> int:
    async with store.db.read() as s:
        statement = select(func.count()).select_from(table)
        for column, value in where.items():
            attribute = getattr(table, column)
            statement = statement.where(
                attribute.is_(None) if value is None else attribute == value
            )
        return int((await s.execute(statement)).scalar_one())


def test_the_sql_store_is_a_feedback_store(store: Store) -> None:
    port: FeedbackStore = store.feedback  # mypy checks the protocol here
    assert isinstance(port, SqlFeedbackStore)


# --- rounds ------------------------------------------------------------------------------------


async def test_a_group_day_has_one_round(store: Store) -> None:
    org = await arrange(store)
    first, new = await store.feedback.open_round(wanted(org.group, by=org.maija))
    assert new is True and first.id is not None
    again, new_again = await store.feedback.open_round(
        wanted(org.group, at=T0 + timedelta(hours=1), remind=None)
    )
    assert new_again is False
    assert again == first
    assert again.opened_by == org.maija and again.remind_at == T0 + timedelta(minutes=30)
    assert await store.feedback.round(first.id) == first
    assert await store.feedback.round_of(org.group, DAY) == first
    assert await store.feedback.round_of(org.group, DAY + timedelta(days=1)) is None
    assert await store.feedback.round_of(org.other_group, DAY) is None
    assert await store.feedback.round(first.id + 1000) is None
    other, other_new = await store.feedback.open_round(wanted(org.other_group))
    assert other_new is True and other.id != first.id


async def test_racing_opens_of_a_day_store_one_round(store: Store) -> None:
    org = await arrange(store)
    for offset in range(RACE_ROUNDS):
        day = DAY + timedelta(days=offset)
        results = await asyncio.gather(
            *(store.feedback.open_round(wanted(org.group, day)) for _ in range(4))
        )
        assert [new for _, new in results].count(True) == 1
        assert len({r.id for r, _ in results}) == 1


async def test_close_ends_answers_once(store: Store) -> None:
    org = await arrange(store)
    round_id = await opened(store, org)
    at = T0 + timedelta(hours=1)
    assert await store.feedback.close(round_id, at) is True
    closed = await store.feedback.round(round_id)
    assert closed is not None and closed.closes_at == at
    assert not closed.is_open(at)
    assert await store.feedback.close(round_id, at + timedelta(minutes=5)) is False
    again = await store.feedback.round(round_id)
    assert again is not None and again.closes_at == at


# --- asking ------------------------------------------------------------------------------------


async def test_prompts_skip_people_asked_before_and_queue_only_new_cards(store: Store) -> None:
    org = await arrange(store)
    round_id = await opened(store, org)
    asked = await store.feedback.add_prompts(
        round_id, [(org.jari, card(round_id, org.jari)), (org.sari, card(round_id, org.sari))]
    )
    assert asked == [org.jari, org.sari]
    for pid in (org.jari, org.sari):
        entry = await store.outbox.entry_for_key(f"feedback:{round_id}:ask:{pid}")
        assert entry is not None and entry.status is OutboxStatus.PENDING
        assert entry.message.conversation_id == f"a:1:1-{pid}"
    again = await store.feedback.add_prompts(
        round_id,
        [
            (org.sari, card(round_id, org.sari, "again")),
            (org.erkki, card(round_id, org.erkki)),
            (org.erkki, card(round_id, org.erkki, "twice")),
        ],
    )
    assert again == [org.erkki]
    assert await store.outbox.entry_for_key(f"feedback:{round_id}:again:{org.sari}") is None
    assert await store.outbox.entry_for_key(f"feedback:{round_id}:twice:{org.erkki}") is None
    assert await store.outbox.entry_for_key(f"feedback:{round_id}:ask:{org.erkki}") is not None
    assert (await store.outbox.counts())[OutboxStatus.PENDING] == 3
    assert await store.feedback.asked(round_id) == {org.jari, org.sari, org.erkki}
    assert await store.feedback.add_prompts(round_id, []) == []


async def test_prompts_at_once_ask_everyone_once(store: Store) -> None:
    org = await arrange(store)
    round_id = await opened(store, org)
    prompts = [(pid, card(round_id, pid)) for pid in org.clients]
    results = await asyncio.gather(
        *(store.feedback.add_prompts(round_id, prompts) for _ in range(3))
    )
    assert sorted(pid for asked in results for pid in asked) == sorted(org.clients)
    assert (await store.outbox.counts())[OutboxStatus.PENDING] == len(org.clients)


async def test_prompts_and_their_cards_are_one_transaction(store: Store) -> None:
    """A card that cannot be stored (it has no conversation) leaves no prompt either."""
    org = await arrange(store)
    round_id = await opened(store, org)
    broken = replace(card(round_id, org.jari), conversation_id=None)  # type: ignore[arg-type]
    with pytest.raises(IntegrityError):
        await store.feedback.add_prompts(
            round_id, [(org.sari, card(round_id, org.sari)), (org.jari, broken)]
        )
    assert await store.feedback.asked(round_id) == frozenset()
    assert await store.outbox.entry_for_key(f"feedback:{round_id}:ask:{org.sari}") is None
    assert await store.feedback.add_prompts(round_id, [(org.sari, card(round_id, org.sari))]) == [
        org.sari
    ]


async def test_unanswered_are_those_asked_without_an_answer(store: Store) -> None:
    org = await arrange(store)
    round_id = await opened(store, org)
    await store.feedback.add_prompts(round_id, [(pid, card(round_id, pid)) for pid in org.clients])
    assert await store.feedback.unanswered(round_id) == sorted(org.clients)
    await store.feedback.answer_named(round_id, org.jari, 5, T0)
    await store.feedback.answer_anonymous(round_id, org.erkki, 3)
    assert await store.feedback.unanswered(round_id) == sorted([org.sari, org.sara])


async def test_reminders_go_once_with_their_messages(store: Store) -> None:
    org = await arrange(store)
    round_id = await opened(store, org)
    await opened(store, org, DAY + timedelta(days=1), at=T0 + timedelta(days=1))
    quiet, _ = await store.feedback.open_round(wanted(org.other_group, remind=None))
    due_at = T0 + timedelta(minutes=30)
    assert await store.feedback.reminders_due(due_at - timedelta(seconds=1)) == []
    due = await store.feedback.reminders_due(due_at)
    assert [r.id for r in due] == [round_id]
    assert quiet.id not in {r.id for r in due}
    messages = [card(round_id, pid, "remind") for pid in (org.jari, org.sari)]
    assert await store.feedback.mark_reminded(round_id, due_at, messages) is True
    reminded = await store.feedback.round(round_id)
    assert reminded is not None and reminded.reminded_at == due_at
    later = [card(round_id, org.erkki, "remind")]
    assert await store.feedback.mark_reminded(round_id, due_at, later) is False
    assert await store.outbox.entry_for_key(f"feedback:{round_id}:remind:{org.erkki}") is None
    assert await store.outbox.entry_for_key(f"feedback:{round_id}:remind:{org.jari}") is not None
    assert (await store.outbox.counts())[OutboxStatus.PENDING] == 2
    assert await store.feedback.reminders_due(due_at + timedelta(minutes=1)) == []


async def test_a_closed_round_is_not_reminded(store: Store) -> None:
    org = await arrange(store)
    round_id = await opened(store, org)
    await store.feedback.close(round_id, T0 + timedelta(minutes=10))
    assert await store.feedback.reminders_due(T0 + timedelta(minutes=30)) == []


async def test_racing_reminders_queue_once(store: Store) -> None:
    org = await arrange(store)
    round_id = await opened(store, org)
    at = T0 + timedelta(minutes=30)
    results = await asyncio.gather(
        *(
            store.feedback.mark_reminded(round_id, at, [card(round_id, org.jari, f"r{i}")])
            for i in range(4)
        )
    )
    assert results.count(True) == 1
    assert (await store.outbox.counts())[OutboxStatus.PENDING] == 1


# --- answers -----------------------------------------------------------------------------------


async def test_a_named_answer_is_stored_kept_and_replaced(store: Store) -> None:
    org = await arrange(store)
    round_id = await opened(store, org)
    assert await store.feedback.answered(round_id, org.jari) is None
    assert await store.feedback.answer_named(round_id, org.jari, 4, T0) is Outcome.STORED
    assert await store.feedback.answer_named(round_id, org.jari, 4, T0) is Outcome.SAME
    assert await store.feedback.answered(round_id, org.jari) == Answered(
        anonymous=False, commented=False, score=4
    )
    later = T0 + timedelta(minutes=2)
    assert await store.feedback.answer_named(round_id, org.jari, 6, later) is Outcome.REPLACED
    assert await store.feedback.answered(round_id, org.jari) == Answered(
        anonymous=False, commented=False, score=6
    )
    assert await count(store, FeedbackAnswerRow, round_id=round_id) == 1
    async with store.db.read() as s:
        at = (
            await s.execute(
                select(FeedbackAnswerRow.answered_at).where(FeedbackAnswerRow.person_id == org.jari)
            )
        ).scalar_one()
    assert at == later
    assert (await store.feedback.results(round_id)).scores == (6,)


async def test_an_anonymous_answer_is_given_once(store: Store) -> None:
    org = await arrange(store)
    round_id = await opened(store, org)
    assert await store.feedback.answer_anonymous(round_id, org.sari, 2) is Outcome.STORED
    assert await store.feedback.answered(round_id, org.sari) == Answered(
        anonymous=True, commented=False
    )
    assert await store.feedback.answer_anonymous(round_id, org.sari, 5) is Outcome.ANONYMOUS_ALREADY
    assert await store.feedback.answer_anonymous(round_id, org.sari, 2) is Outcome.ANONYMOUS_ALREADY
    assert await store.feedback.answer_named(round_id, org.sari, 5, T0) is Outcome.ANONYMOUS_ALREADY
    assert await count(store, FeedbackAnswerRow, round_id=round_id) == 1
    assert await count(store, FeedbackAnswerRow, person_id=org.sari) == 0
    results = await store.feedback.results(round_id)
    assert results.scores == (2,)
    assert results.named == ()


async def test_going_anonymous_removes_the_named_answer_and_its_words(store: Store) -> None:
    org = await arrange(store)
    round_id = await opened(store, org)
    await store.feedback.answer_named(round_id, org.jari, 3, T0)
    words = [Text(TextKind.GOOD, "Kahvi oli hyvää"), Text(TextKind.TOPIC, "cooking")]
    assert await store.feedback.comment(round_id, org.jari, words) is Outcome.STORED
    assert await count(store, FeedbackTextRow, person_id=org.jari) == 2
    assert await store.feedback.answer_anonymous(round_id, org.jari, 5) is Outcome.REPLACED
    assert await count(store, FeedbackAnswerRow, person_id=org.jari) == 0
    assert await count(store, FeedbackTextRow, round_id=round_id) == 0
    assert await store.feedback.answered(round_id, org.jari) == Answered(
        anonymous=True, commented=False
    )
    results = await store.feedback.results(round_id)
    assert results.scores == (5,)
    assert results.named == () and results.texts == ()
    # the words may be given once more, now without a name
    again = [Text(TextKind.IDEA, "Retki museoon")]
    assert await store.feedback.comment(round_id, org.jari, again) is Outcome.STORED
    assert (await store.feedback.results(round_id)).texts == (Text(TextKind.IDEA, "Retki museoon"),)


async def test_named_words_replace_the_earlier_ones(store: Store) -> None:
    org = await arrange(store)
    round_id = await opened(store, org)
    await store.feedback.answer_named(round_id, org.jari, 5, T0)
    first = [Text(TextKind.GOOD, "Mukava päivä"), Text(TextKind.IDEA, "Pelipäivä")]
    assert await store.feedback.comment(round_id, org.jari, first) is Outcome.STORED
    assert await store.feedback.comment(round_id, org.jari, list(reversed(first))) is Outcome.SAME
    second = [Text(TextKind.TOPIC, "games", name="ignored")]
    assert await store.feedback.comment(round_id, org.jari, second) is Outcome.REPLACED
    mine = await store.feedback.answered(round_id, org.jari)
    assert mine == Answered(
        anonymous=False, commented=True, score=5, texts=(Text(TextKind.TOPIC, "games"),)
    )
    assert await count(store, FeedbackTextRow, round_id=round_id) == 1
    # a changed score keeps the words
    await store.feedback.answer_named(round_id, org.jari, 6, T0 + timedelta(minutes=1))
    mine = await store.feedback.answered(round_id, org.jari)
    assert mine is not None and mine.score == 6 and len(mine.texts) == 1


async def test_anonymous_words_are_taken_once(store: Store) -> None:
    org = await arrange(store)
    round_id = await opened(store, org)
    await store.feedback.answer_anonymous(round_id, org.sari, 4)
    words = [Text(TextKind.GOOD, "Ohjaaja oli ystävällinen")]
    assert await store.feedback.comment(round_id, org.sari, words) is Outcome.STORED
    assert await store.feedback.answered(round_id, org.sari) == Answered(
        anonymous=True, commented=True
    )
    more = [Text(TextKind.IDEA, "Lisää taukoja")]
    assert await store.feedback.comment(round_id, org.sari, more) is Outcome.ANONYMOUS_ALREADY
    assert await count(store, FeedbackTextRow, round_id=round_id) == 1
    assert await count(store, FeedbackTextRow, person_id=None) == 1


async def test_skipping_the_words_of_an_anonymous_answer_ends_them(store: Store) -> None:
    org = await arrange(store)
    round_id = await opened(store, org)
    await store.feedback.answer_anonymous(round_id, org.sari, 4)
    assert await store.feedback.comment(round_id, org.sari, []) is Outcome.STORED
    later = [Text(TextKind.IDEA, "Lisää taukoja")]
    assert await store.feedback.comment(round_id, org.sari, later) is Outcome.ANONYMOUS_ALREADY
    assert await count(store, FeedbackTextRow, round_id=round_id) == 0


async def test_words_without_an_answer_are_not_stored(store: Store) -> None:
    org = await arrange(store)
    round_id = await opened(store, org)
    words = [Text(TextKind.GOOD, "Hyvä")]
    assert await store.feedback.comment(round_id, org.erkki, words) is Outcome.SAME
    assert await count(store, FeedbackTextRow, round_id=round_id) == 0
    assert await store.feedback.answered(round_id, org.erkki) is None


async def test_double_taps_at_once_leave_one_answer(store: Store) -> None:
    """Repeated over many rounds: a race that is lost only now and then is still caught."""
    org = await arrange(store)
    for offset in range(RACE_ROUNDS):
        round_id = await opened(store, org, DAY + timedelta(days=offset))
        at = T0 + timedelta(minutes=offset)  # each round opens at T0 and takes answers 3 h
        named = await asyncio.gather(
            *(store.feedback.answer_named(round_id, org.jari, 5, at) for _ in range(3))
        )
        assert sorted(o.value for o in named) == ["same", "same", "stored"]
        anonymous = await asyncio.gather(
            *(store.feedback.answer_anonymous(round_id, org.sari, 2) for _ in range(3))
        )
        assert sorted(o.value for o in anonymous) == [
            "anonymous_already",
            "anonymous_already",
            "stored",
        ]
        mixed = await asyncio.gather(
            store.feedback.answer_named(round_id, org.erkki, 6, at),
            store.feedback.answer_anonymous(round_id, org.erkki, 6),
            store.feedback.answer_named(round_id, org.erkki, 6, at),
            store.feedback.answer_anonymous(round_id, org.erkki, 6),
        )
        assert Outcome.STORED in mixed
        erkki = await store.feedback.answered(round_id, org.erkki)
        assert erkki is not None
        assert await count(store, FeedbackAnswerRow, round_id=round_id) == 3
        assert await count(store, FeedbackAnswerRow, person_id=org.erkki) == (
            0 if erkki.anonymous else 1
        )
        words = [Text(TextKind.IDEA, f"Idea {offset}")]
        commented = await asyncio.gather(
            *(store.feedback.comment(round_id, org.sari, words) for _ in range(3))
        )
        assert commented.count(Outcome.STORED) == 1
        assert await count(store, FeedbackTextRow, round_id=round_id) == 1
        assert sorted((await store.feedback.results(round_id)).scores) == [2, 5, 6]


async def test_a_changed_answer_racing_a_change_to_anonymous_keeps_one(store: Store) -> None:
    org = await arrange(store)
    for offset in range(RACE_ROUNDS):
        round_id = await opened(store, org, DAY + timedelta(days=offset))
        await store.feedback.answer_named(round_id, org.jari, 3, T0)
        await asyncio.gather(
            store.feedback.answer_named(round_id, org.jari, 4, T0),
            store.feedback.answer_anonymous(round_id, org.jari, 5),
            store.feedback.answer_named(round_id, org.jari, 6, T0),
        )
        mine = await store.feedback.answered(round_id, org.jari)
        assert mine is not None and mine.anonymous  # anonymity, once given, is final
        assert await count(store, FeedbackAnswerRow, round_id=round_id) == 1
        assert (await store.feedback.results(round_id)).scores == (5,)


async def test_a_crowd_answering_at_once_is_recorded_once_each(store: Store) -> None:
    """Anonymous writes in a round run one at a time; named ones and words go on meanwhile."""
    org = await arrange(store)
    round_id = await opened(store, org)
    crowd = []
    for i in range(30):
        person = await store.org.add_person(Person(name=f"Osallistuja {i:02}", teams_id=f"29:{i}"))
        assert person.id is not None
        crowd.append(person.id)

    async def answers(i: int, pid: int) -> None:
        if i % 3:
            await store.feedback.answer_anonymous(round_id, pid, 1 + i % 6)
            await store.feedback.comment(round_id, pid, [Text(TextKind.IDEA, f"Idea {i}")])
        else:
            await store.feedback.answer_named(round_id, pid, 1 + i % 6, T0)
            await store.feedback.comment(round_id, pid, [Text(TextKind.GOOD, f"Hyvä {i}")])
        await store.feedback.answer_anonymous(round_id, pid, 1 + i % 6)  # a tap again

    await asyncio.gather(*(answers(i, pid) for i, pid in enumerate(crowd)))
    results = await store.feedback.results(round_id)
    assert results.scores == tuple(sorted(1 + i % 6 for i in range(30)))
    assert results.named == ()  # the named ones went anonymous with the second tap
    assert sorted(t.text for t in results.texts) == sorted(f"Idea {i}" for i in range(30) if i % 3)
    for pid in crowd:
        mine = await store.feedback.answered(round_id, pid)
        assert mine is not None and mine.anonymous


# --- results -----------------------------------------------------------------------------------


async def test_results_are_sorted_and_name_only_named_answers(store: Store) -> None:
    org = await arrange(store)
    round_id = await opened(store, org)
    await store.feedback.add_prompts(round_id, [(pid, card(round_id, pid)) for pid in org.clients])
    await store.feedback.answer_named(round_id, org.jari, 5, T0)
    await store.feedback.answer_anonymous(round_id, org.sari, 2)
    await store.feedback.answer_named(round_id, org.erkki, 6, T0 + timedelta(minutes=1))
    await store.feedback.answer_anonymous(round_id, org.sara, 5)
    await store.feedback.comment(
        round_id,
        org.jari,
        [Text(TextKind.GOOD, "Ruoka"), Text(TextKind.TOPIC, "cooking")],
    )
    await store.feedback.comment(
        round_id, org.sari, [Text(TextKind.IDEA, "Bingo"), Text(TextKind.GOOD, "Aamupala")]
    )
    await store.feedback.comment(round_id, org.erkki, [Text(TextKind.GOOD, "Aamupala")])
    results = await store.feedback.results(round_id)
    assert results.round.id == round_id
    assert results.scores == (2, 5, 5, 6)
    assert results.asked == 4 and results.count == 4 and results.shown
    assert results.named == (("Erkki Esimerkki", 6), ("Jari Mäkinen", 5))
    assert results.texts == (
        Text(TextKind.GOOD, "Aamupala"),
        Text(TextKind.GOOD, "Aamupala", "Erkki Esimerkki"),
        Text(TextKind.GOOD, "Ruoka", "Jari Mäkinen"),
        Text(TextKind.IDEA, "Bingo"),
        Text(TextKind.TOPIC, "cooking", "Jari Mäkinen"),
    )
    empty_id = await opened(store, org, DAY + timedelta(days=1))
    empty = await store.feedback.results(empty_id)
    assert (empty.scores, empty.texts, empty.named, empty.asked) == ((), (), (), 0)


# --- settings ----------------------------------------------------------------------------------


async def test_settings_default_until_saved(store: Store) -> None:
    org = await arrange(store)
    assert await store.feedback.settings(org.group) == Settings()
    changed = Settings(anonymous=False, reminder=False)
    await store.feedback.save_settings(org.group, changed, org.maija, T0)
    assert await store.feedback.settings(org.group) == changed
    await store.feedback.save_settings(org.group, Settings(reminder=False), None, T0)
    assert await store.feedback.settings(org.group) == Settings(anonymous=True, reminder=False)
    assert await store.feedback.settings(org.other_group) == Settings()


# --- ideas -------------------------------------------------------------------------------------


async def test_ideas_are_counted_over_the_groups_days(store: Store) -> None:
    org = await arrange(store)
    day1, day2, day3 = DAY, DAY + timedelta(days=1), DAY + timedelta(days=7)
    r1 = await opened(store, org, day1)
    r2 = await opened(store, org, day2, at=T0 + timedelta(days=1))
    r3 = await opened(store, org, day3, at=T0 + timedelta(days=7))
    other, _ = await store.feedback.open_round(wanted(org.other_group, day1))
    assert other.id is not None

    async def says(round_id: int, person: int, *texts: Text, anonymous: bool = False) -> None:
        if anonymous:
            await store.feedback.answer_anonymous(round_id, person, 4)
        else:
            await store.feedback.answer_named(round_id, person, 4, T0)
        await store.feedback.comment(round_id, person, texts)

    await says(r1, org.jari, Text(TextKind.IDEA, "Retki museoon"), Text(TextKind.TOPIC, "cooking"))
    await says(r1, org.sari, Text(TextKind.GOOD, "Kiva päivä"), anonymous=True)
    await says(r2, org.jari, Text(TextKind.IDEA, "retki  MUSEOON!"))
    await says(r2, org.sari, Text(TextKind.TOPIC, "cooking"), anonymous=True)
    await says(r3, org.erkki, Text(TextKind.TOPIC, "games"), Text(TextKind.TOPIC, "cooking"))
    await says(other.id, org.gustav, Text(TextKind.TOPIC, "music"))

    museum = idea_key(TextKind.IDEA, "Retki museoon")
    assert await store.feedback.ideas(org.group) == [
        Idea("topic:cooking", TextKind.TOPIC, "cooking", 3, day3, days=(day1, day2, day3)),
        Idea(museum, TextKind.IDEA, "Retki museoon", 2, day2, days=(day1, day2)),
        Idea("topic:games", TextKind.TOPIC, "games", 1, day3, days=(day3,)),
    ]
    ideas = await store.feedback.ideas(org.group)
    assert [i.days for i in ideas] == [(day1, day2, day3), (day1, day2), (day3,)]
    assert [i.key for i in await store.feedback.ideas(org.other_group)] == ["topic:music"]

    at = T0 + timedelta(days=8)
    assert await store.feedback.mark_idea(org.group, "topic:cooking", at, org.maija, used=True)
    assert await store.feedback.mark_idea(
        org.group, museum, at, org.maija, planned_for=day3 + timedelta(days=7)
    )
    ideas = await store.feedback.ideas(org.group)
    assert [(i.key, i.used, i.planned_for) for i in ideas] == [
        (museum, False, day3 + timedelta(days=7)),
        ("topic:games", False, None),
        ("topic:cooking", True, None),
    ]
    # the plan stays when the idea is then marked used, and "unused" brings it back up
    assert await store.feedback.mark_idea(org.group, museum, at, None, used=True)
    assert await store.feedback.mark_idea(org.group, "topic:cooking", at, None, used=False)
    ideas = await store.feedback.ideas(org.group)
    assert [(i.key, i.used, i.planned_for) for i in ideas] == [
        ("topic:cooking", False, None),
        ("topic:games", False, None),
        (museum, True, day3 + timedelta(days=7)),
    ]
    # no such idea in the group: a good word, another group's topic, an unknown key
    assert not await store.feedback.mark_idea(
        org.group, idea_key(TextKind.GOOD, "Kiva päivä"), at, None, used=True
    )
    assert not await store.feedback.mark_idea(org.group, "topic:music", at, None, used=True)
    assert not await store.feedback.mark_idea(org.group, "topic:nothing", at, None, used=True)
    assert not await store.feedback.mark_idea(org.other_group, museum, at, None, used=True)


# --- anonymity ---------------------------------------------------------------------------------


def _every_row(connection: Connection) -> dict[str, tuple[list[str], list[tuple[Any, ...]]]]:
    reflected = MetaData()
    reflected.reflect(connection)
    every: dict[str, tuple[list[str], list[tuple[Any, ...]]]] = {}
    for table in reflected.sorted_tables:
        rows = [tuple(r) for r in connection.execute(table.select())]
        every[table.name] = ([c.name for c in table.columns], rows)
    return every


async def _database(engine: AsyncEngine) -> dict[str, tuple[list[str], list[tuple[Any, ...]]]]:
    async with engine.connect() as conn:
        return await conn.run_sync(_every_row)


def _holds(value: Any, markers: Sequence[str]) -> bool:
    return value is not None and any(m in str(value) for m in markers)


async def test_an_anonymous_answer_cannot_be_traced_to_its_person(store: Store) -> None:
    org = await arrange(store)
    person = await store.org.add_person(
        Person(
            name="Pirjo Piilossa",
            teams_id="29:pirjo-teams-id",
            aad_object_id="8f0c1d2e-aaaa-4bbb-8ccc-0123456789ab",
        )
    )
    p = person.id
    assert p is not None
    round_id = await opened(store, org, by=org.maija)
    everyone = [org.jari, org.sari, p, org.erkki]
    await store.feedback.add_prompts(round_id, [(pid, card(round_id, pid)) for pid in everyone])
    # named answers around it, before and after, with words
    await store.feedback.answer_named(round_id, org.jari, 4, T0 + timedelta(minutes=1))
    await store.feedback.comment(round_id, org.jari, [Text(TextKind.GOOD, "Jarin sanat")])
    await store.feedback.answer_named(round_id, p, 3, T0 + timedelta(minutes=2))
    await store.feedback.comment(round_id, p, [Text(TextKind.GOOD, "named first")])
    unique = "Ainutlaatuinen idea 7f3a"
    assert await store.feedback.answer_anonymous(round_id, p, 6) is Outcome.REPLACED
    await store.feedback.comment(
        round_id, p, [Text(TextKind.IDEA, unique), Text(TextKind.TOPIC, "culture")]
    )
    await store.feedback.answer_named(round_id, org.erkki, 5, T0 + timedelta(minutes=4))
    await store.feedback.answer_anonymous(round_id, org.sari, 2)
    await store.feedback.mark_reminded(
        round_id, T0 + timedelta(minutes=30), [card(round_id, org.sari, "remind")]
    )

    database = await _database(store.db.engine)
    answers_columns, answers = database["feedback_answers"]
    assert sorted(answers_columns) == sorted(
        ["id", "round_id", "score", "person_id", "answered_at"]
    )
    assert sorted(database["feedback_answered"][0]) == sorted(
        ["round_id", "person_id", "anonymous", "commented"]
    )
    assert sorted(database["feedback_prompts"][0]) == ["person_id", "round_id"]
    assert sorted(database["feedback_texts"][0]) == sorted(
        ["id", "round_id", "kind", "text", "key", "person_id"]
    )
    # P's anonymous score is the one of score 6 without a person (Sari's is 2)
    anonymous = [dict(zip(answers_columns, row, strict=True)) for row in answers]
    mine = [a for a in anonymous if a["person_id"] is None and a["score"] == 6]
    assert len(mine) == 1
    answer = mine[0]
    assert answer["answered_at"] is None and answer["round_id"] == round_id
    assert len(answer["id"]) == 32 and int(answer["id"], 16) >= 0  # random hex, not a sequence
    assert set(answer) == {"id", "round_id", "score", "person_id", "answered_at"}

    identifying = [str(p), person.name, "29:pirjo-teams-id", "8f0c1d2e-aaaa-4bbb-8ccc-0123456789ab"]
    allowed = {"id", "round_id", "score", "kind", "text", "key"}
    found: list[str] = []
    for table, (columns, rows) in database.items():
        for row in rows:
            values = dict(zip(columns, row, strict=True))
            if not any(_holds(v, [answer["id"], unique]) for v in values.values()):
                continue
            found.append(table)
            filled = {c for c, v in values.items() if v is not None}
            assert filled <= allowed, f"{table} row of an anonymous answer holds {filled - allowed}"
            assert values["round_id"] == round_id
            for column, value in values.items():
                if column in ("id", "round_id", "score"):
                    continue  # numbers and random ids; person columns are null (checked above)
                assert not _holds(value, identifying[1:]), f"{table}.{column} names the person"
    assert sorted(found) == ["feedback_answers", "feedback_texts"]
    # nothing else mentions the anonymous answer: not the outbox, not an audit row
    for table, (_, rows) in database.items():
        if table in ("feedback_answers", "feedback_texts"):
            continue
        assert not any(_holds(v, [answer["id"], unique]) for row in rows for v in row), table
    # P's words of the named answer are gone; what P wrote anonymously carries no person
    _, texts = database["feedback_texts"]
    text_columns = database["feedback_texts"][0]
    by_text = {dict(zip(text_columns, r, strict=True))["text"]: r for r in texts}
    assert "named first" not in by_text
    for words in (unique, "culture"):
        assert dict(zip(text_columns, by_text[words], strict=True))["person_id"] is None
    # the has-answered record says only that P answered
    answered_columns, answered = database["feedback_answered"]
    records = [dict(zip(answered_columns, r, strict=True)) for r in answered]
    assert {"round_id": round_id, "person_id": p, "anonymous": True, "commented": True} in [
        {**r, "anonymous": bool(r["anonymous"]), "commented": bool(r["commented"])} for r in records
    ]
    # PostgreSQL stamps every row with the transaction that wrote it (xmin): the stamp of
    # P's anonymous score and words must be shared by every anonymous has-answered record
    # (a named one is its person's anyway)
    if store.db.engine.dialect.name == "postgresql":
        unnamed = {
            "feedback_answered": "anonymous",
            "feedback_answers": "person_id IS NULL",
            "feedback_texts": "person_id IS NULL",
        }
        async with store.db.engine.connect() as conn:
            stamps = {
                table: {
                    (row[0], row[1])
                    for row in await conn.execute(
                        text(
                            f"SELECT xmin::text, {flag}, round_id FROM {table}"  # noqa: S608
                        )
                    )
                    if row[2] == round_id
                }
                for table, flag in unnamed.items()
            }
        answered_stamps = {stamp for stamp, anonymous in stamps["feedback_answered"] if anonymous}
        assert len(answered_stamps) == 1, "has-answered records tell who answered when"
        for table in ("feedback_answers", "feedback_texts"):
            anonymous_stamps = {stamp for stamp, unnamed in stamps[table] if unnamed}
            assert anonymous_stamps == answered_stamps, f"{table} carries its writer's stamp"
    # and what an instructor reads: sorted scores, P's words without a name
    results = await store.feedback.results(round_id)
    assert results.scores == (2, 4, 5, 6)
    assert [n for n, _ in results.named] == ["Erkki Esimerkki", "Jari Mäkinen"]
    assert Text(TextKind.IDEA, unique) in results.texts


async def test_the_migrations_make_the_declared_tables(store: Store) -> None:
    """The migrated database matches the tables store/ declares (no drift on either backend)."""
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    from store.tables import Base

    def drift(connection: Connection) -> list[Any]:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        return list(compare_metadata(context, Base.metadata))

    async with store.db.engine.connect() as conn:
        assert await conn.run_sync(drift) == []
        version = (await conn.execute(text("SELECT version_num FROM alembic_version"))).scalar()
    assert version == head_revision()


async def test_sqlite_keeps_no_insertion_order_of_answers(tmp_path: Path) -> None:
    """SQLite numbers a table's rows in insertion order (rowid) unless it is WITHOUT ROWID: the
    n-th has-answered record and the n-th anonymous score would be the same person's."""
    engine = create_engine(f"sqlite+aiosqlite:///{tmp_path / 'order.db'}")
    try:
        await upgrade(engine)
        async with engine.connect() as conn:
            for table in ("feedback_answered", "feedback_answers", "feedback_texts"):
                with pytest.raises(OperationalError, match="rowid"):
                    await conn.execute(text(f"SELECT rowid FROM {table}"))  # noqa: S608
    finally:
        await engine.dispose()


async def test_the_feedback_migration_goes_down_and_up_again(database_url: str) -> None:
    def downgrade(connection: Connection) -> None:
        cfg = alembic_config()
        cfg.attributes["connection"] = connection
        command.downgrade(cfg, "0008")

    def tables(connection: Connection) -> set[str]:
        return {t for t in inspect(connection).get_table_names() if t.startswith("feedback_")}

    engine = create_engine(database_url)
    try:
        async with engine.begin() as conn:
            await conn.run_sync(downgrade)
        async with engine.connect() as conn:
            assert await conn.run_sync(tables) == set()
        await upgrade(engine)
        async with engine.connect() as conn:
            assert await conn.run_sync(tables) == {
                "feedback_rounds",
                "feedback_prompts",
                "feedback_answered",
                "feedback_answers",
                "feedback_texts",
                "feedback_ideas",
                "feedback_settings",
            }
    finally:
        await engine.dispose()


async def test_an_answer_at_or_after_the_close_writes_nothing(store: Store) -> None:
    org = await arrange(store)
    round_id = await opened(store, org)
    closes = T0 + timedelta(hours=3)
    assert await store.feedback.answer_named(round_id, org.jari, 5, closes) is Outcome.CLOSED
    assert await store.feedback.answer_anonymous(round_id, org.sari, 2, closes) is Outcome.CLOSED
    assert await store.feedback.answer_named(round_id, org.jari, 4, T0) is Outcome.STORED
    assert await store.feedback.close(round_id, T0 + timedelta(minutes=5))
    later = T0 + timedelta(minutes=6)
    assert await store.feedback.answer_named(round_id, org.jari, 6, later) is Outcome.CLOSED
    assert await store.feedback.answer_anonymous(round_id, org.sari, 2, later) is Outcome.CLOSED
    assert (await store.feedback.results(round_id)).scores == (4,)
    assert await store.feedback.answered(round_id, org.sari) is None
