"""End-of-day feedback over real HTTP, on SQLite and PostgreSQL.

The day: IT-ryhmä's roll call, four clients here, the rest absent. An instructor asks for
feedback; the card goes privately to exactly the four; each answers once (a named answer can
be changed, an anonymous one cannot be given twice and leaves nothing that leads back to its
person in any table); one reminder goes to those who did not answer; instructors see the
results (only a count below three answers) and the ideas; clients are refused politely.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import inspect
from sqlalchemy import text as sql
from sqlalchemy.ext.asyncio import create_async_engine

from bot.app import SCHEDULER
from bot.features.feedback import REMIND_JOB
from cards.feedback import (
    CHANGE_VERB,
    IDEA_VERB,
    MORE_VERB,
    SCORE_VERB,
    SETTINGS_VERB,
)
from domain.feedback.model import TOPICS
from domain.i18n import text
from domain.org import Language
from domain.reach import NotReached, Unreachable, names_with_reasons
from scheduler.clock import ScaledClock
from store.db import normalise_url
from tests.fakes.activities import Conv, User
from tests.fakes.connector import FakeConnector
from tests.integration.harness import drained
from tests.integration.test_rollcall import CLIENTS, MAIJA, TUULA, Room
from tests.integration.test_rollcall_more import (
    EN,
    FI,
    KAISA,
    KLIENTER,
    SV,
    SVEN,
    cards_in,
    dump,
    group_traffic,
    make_room,
    open_roll_call,
    person,
    private_chat,
    say_in,
    tap_here,
    walk,
)

HERE = CLIENTS[:4]  # checked in
AWAY = CLIENTS[4:6]  # absent (the roll call closed without them)


@pytest.fixture
async def room(database_url: str, tmp_path: Path, connector: FakeConnector) -> AsyncIterator[Room]:
    """IT-ryhmä's group chat with the default settings."""
    async with make_room(database_url, tmp_path, connector) as built:
        yield built


# --- helpers ---------------------------------------------------------------------------------


def actions_of(card: dict[str, Any], verb: str) -> list[dict[str, Any]]:
    """Every button of the card with this verb (in the body's action sets or at the end)."""
    return [a for a in walk(card) if a.get("type") == "Action.Execute" and a.get("verb") == verb]


def card_texts(card: dict[str, Any]) -> str:
    """Everything a card says, for looking for words in it."""
    return dump(card)


def score_data(card: dict[str, Any], score: int) -> dict[str, str]:
    """The data of the button for a score (as the card carries it, signature included)."""
    found = [a for a in actions_of(card, SCORE_VERB) if a["data"].get("score") == str(score)]
    assert len(found) == 1, f"no single button for {score}: {dump(card)[:400]}"
    return {k: v for k, v in found[0]["data"].items() if k != "verb"}


async def held_day(room: Room, here: list[User] = HERE) -> int:
    """The roll call with `here` checked in, closed: everyone else absent. Its id."""
    rc = await open_roll_call(room)
    for client in here:
        await tap_here(room, client, rc)
    await room.say(MAIJA, "sulje nimenhuuto")
    await drained(room.bot)
    return rc


async def ask_feedback(room: Room, by: User = MAIJA, words: str = "palaute") -> list[str]:
    answers = await room.say(by, words)
    await drained(room.bot)
    return [str(a.json.get("text")) for a in answers]


def feedback_card(room: Room, user: User) -> tuple[str, dict[str, Any]]:
    """The user's 1:1 chat and the last feedback card in it."""
    chat = private_chat(room.connector, user)
    assert chat is not None, f"{user.name} has no 1:1 chat"
    cards = [c for c in cards_in(room.connector, chat) if actions_of(c, SCORE_VERB)]
    assert cards, f"{user.name} got no feedback card"
    return chat, cards[-1]


async def tap_score(
    room: Room, user: User, score: int, *, anonymous: bool, chat: str | None = None
) -> dict[str, Any]:
    where, card = feedback_card(room, user)
    data = {**score_data(card, score), "anonymous": "true" if anonymous else "false"}
    return await room.tap(user, SCORE_VERB, data, conv=Conv.personal(id=chat or where))


async def round_id(room: Room) -> int:
    _, card = feedback_card(room, HERE[0])
    return int(score_data(card, 1)["round"])


async def results_card(room: Room, by: User = MAIJA, words: str = "palautteen tulokset") -> str:
    await room.say(by, words)
    await drained(room.bot)
    chat = private_chat(room.connector, by)
    assert chat is not None
    cards = cards_in(room.connector, chat)
    assert cards, "no results card arrived"
    return dump(cards[-1])


# --- who is asked ------------------------------------------------------------------------------


async def test_the_card_goes_privately_to_exactly_those_present_and_once(room: Room) -> None:
    await held_day(room)
    before = {r.conversation_id for r in room.connector.requests if r.route == "send"}
    said = await ask_feedback(room)
    assert said == [text(FI, "feedback.asked", count=len(HERE))]
    sent_to = {
        r.conversation_id
        for r in room.connector.requests
        if r.route == "send" and r.conversation_id not in before and SCORE_VERB in dump(r.json)
    }
    chats = {private_chat(room.connector, c) for c in HERE}
    assert None not in chats
    assert sent_to == chats
    for client in AWAY:
        assert private_chat(room.connector, client) is None
    # nothing of it in the group chat
    assert not [c for c in cards_in(room.connector, room.conv.id) if actions_of(c, SCORE_VERB)]

    # a second `palaute` (another instructor) sends nobody a second card
    again = await ask_feedback(room, TUULA)
    assert again == [text(FI, "feedback.asked_already", count=len(HERE))]
    for client in HERE:
        chat, _ = feedback_card(room, client)
        assert len([c for c in cards_in(room.connector, chat) if actions_of(c, SCORE_VERB)]) == 1


async def test_the_card_has_six_numbered_buttons_with_words_at_both_ends(room: Room) -> None:
    await held_day(room)
    await ask_feedback(room)
    _, card = feedback_card(room, HERE[0])
    buttons = actions_of(card, SCORE_VERB)
    assert [b["data"]["score"] for b in buttons] == ["1", "2", "3", "4", "5", "6"]
    for button in buttons:
        assert button["data"]["score"] in button["title"]
    words = card_texts(card)
    assert "huono" in words and "hyvä" in words
    toggles = [e for e in walk(card) if e.get("type") == "Input.Toggle"]
    assert [t["id"] for t in toggles] == ["anonymous"]
    assert toggles[0]["value"] == "true"  # the group's default: anonymous


async def test_someone_unreachable_privately_answers_from_one_card_in_the_group(
    room: Room,
) -> None:
    await held_day(room)
    # Teams refuses the first 1:1 chat (the app is not installed for that person)
    room.connector.fail_next(1, status=403, retry_after=None, path_contains="/v3/conversations")
    said = "\n\n".join(await ask_feedback(room))
    unreachable = [c for c in HERE if private_chat(room.connector, c) is None]
    assert len(unreachable) == 1
    # the group reads how many; the instructor reads who and why in her own chat
    assert said == "\n\n".join(
        (
            text(FI, "feedback.asked", count=len(HERE) - 1),
            text(FI, "feedback.unreachable_sent", count=1),
        )
    )
    assert unreachable[0].name not in group_traffic(room)
    own = private_chat(room.connector, MAIJA)
    assert own is not None
    assert [t for t in room.connector.texts(own) if t] == [
        text(
            FI,
            "feedback.unreachable_group",
            group="IT-ryhmä",
            names=names_with_reasons(
                FI, [NotReached(unreachable[0].name, Unreachable.NOT_INSTALLED)]
            ),
        )
    ]
    shared = [c for c in cards_in(room.connector, room.conv.id) if actions_of(c, SCORE_VERB)]
    assert len(shared) == 1
    # their answer from the group card is theirs alone: the response goes to them only
    data = {**score_data(shared[0], 4), "anonymous": "false"}
    body = await room.tap(unreachable[0], SCORE_VERB, data)
    assert body["type"] == "application/vnd.microsoft.card.adaptive"
    results = await room.bot.store.feedback.results(int(data["round"]))
    assert results.named == ((unreachable[0].name, 4),)
    # an absent client tapping the group card is refused and nothing is stored
    refused = await room.tap(AWAY[0], SCORE_VERB, {**score_data(shared[0], 2), "anonymous": "no"})
    assert refused["value"] == text(FI, "feedback.not_present")
    assert (await room.bot.store.feedback.results(int(data["round"]))).count == 1


# --- one answer each ---------------------------------------------------------------------------


async def test_a_named_answer_is_replaced_and_double_taps_count_once(room: Room) -> None:
    await held_day(room)
    await ask_feedback(room)
    rid = await round_id(room)
    first = await tap_score(room, HERE[0], 4, anonymous=False)
    assert first["type"] == "application/vnd.microsoft.card.adaptive"
    assert actions_of(first["value"], MORE_VERB)
    await asyncio.gather(*(tap_score(room, HERE[0], 5, anonymous=False) for _ in range(4)))
    results = await room.bot.store.feedback.results(rid)
    assert results.scores == (5,)
    assert results.named == ((HERE[0].name, 5),)

    # words, then "change my answer" shows the six buttons with the earlier choice
    chat, _ = feedback_card(room, HERE[0])
    thanks = await room.tap(
        HERE[0],
        MORE_VERB,
        {"round": str(rid), "good": "Hyvä video", "idea": "", "topics": "cooking"},
        conv=Conv.personal(id=chat),
    )
    change = actions_of(thanks["value"], CHANGE_VERB)
    assert change, "a named answer can be changed"
    again = await room.tap(HERE[0], CHANGE_VERB, change[0]["data"], conv=Conv.personal(id=chat))
    assert len(actions_of(again["value"], SCORE_VERB)) == 6
    results = await room.bot.store.feedback.results(rid)
    assert [(t.kind.value, t.text, t.name) for t in results.texts] == [
        ("good", "Hyvä video", HERE[0].name),
        ("topic", "cooking", HERE[0].name),
    ]


async def test_an_anonymous_answer_is_given_once_and_leads_back_to_nobody(
    room: Room, database_url: str
) -> None:
    await held_day(room)
    await ask_feedback(room)
    rid = await round_id(room)
    secret = "Salainen toive: leipominen 7f3a"
    body = await tap_score(room, HERE[1], 5, anonymous=True)
    chat, _ = feedback_card(room, HERE[1])
    await room.tap(
        HERE[1],
        MORE_VERB,
        {"round": str(rid), "good": "", "idea": secret, "topics": "games"},
        conv=Conv.personal(id=chat),
    )
    # the card after an anonymous tap does not read the score back
    assert text(FI, "feedback.more.title_anonymous") in dump(body["value"])
    assert text(FI, "feedback.more.title", score=5) not in dump(body["value"])
    # a second answer, anonymous or named, is refused and changes nothing
    again = await tap_score(room, HERE[1], 1, anonymous=True)
    assert not actions_of(again["value"], MORE_VERB)
    named = await tap_score(room, HERE[1], 2, anonymous=False)
    assert not actions_of(named["value"], MORE_VERB)
    results = await room.bot.store.feedback.results(rid)
    assert results.scores == (5,)
    assert results.named == ()
    assert {t.text for t in results.texts} == {secret, "games"}
    assert all(t.name is None for t in results.texts)

    who = await person(room, HERE[1])
    await assert_untraceable(database_url, who.id or 0, HERE[1], secret)


async def assert_untraceable(database_url: str, person_id: int, user: User, secret: str) -> None:
    """Look at every table: nothing joins the anonymous words or score to their person."""
    engine = create_async_engine(normalise_url(database_url))
    try:
        async with engine.connect() as conn:
            names = await conn.run_sync(lambda c: inspect(c).get_table_names())
            tables: dict[str, list[dict[str, Any]]] = {}
            for name in names:
                rows = await conn.execute(sql(f'SELECT * FROM "{name}"'))  # noqa: S608
                tables[name] = [dict(r._mapping) for r in rows]
    finally:
        await engine.dispose()
    marks = {str(person_id), user.name, str(user.upn), str(user.teams_id)}
    holding = [(n, r) for n, rows in tables.items() for r in rows if secret in dump_row(r)]
    assert [n for n, _ in holding] == ["feedback_texts"], holding
    for _, row in holding:
        assert row["person_id"] is None
        assert not any(isinstance(v, datetime) for v in row.values())
        assert not (marks & {str(v) for v in row.values()} - {str(row["round_id"])})
    answers = [r for r in tables["feedback_answers"] if r["person_id"] is None]
    assert len(answers) == 1
    assert set(answers[0]) == {"id", "round_id", "score", "person_id", "answered_at"}
    assert answers[0]["answered_at"] is None
    assert not str(answers[0]["id"]).isdigit()  # a random id, not a sequence
    # the "has answered" record says only that they answered, and how
    for row in tables["feedback_answered"]:
        assert set(row) == {"round_id", "person_id", "anonymous", "commented"}
    # no other row anywhere holds the anonymous answer's id
    ident = str(answers[0]["id"])
    elsewhere = [n for n, rows in tables.items() for r in rows if ident in dump_row(r)]
    assert elsewhere == ["feedback_answers"]


def dump_row(row: dict[str, Any]) -> str:
    return " ".join(str(v) for v in row.values())


async def test_clients_are_refused_results_ideas_and_asking_politely(room: Room) -> None:
    await held_day(room)
    await ask_feedback(room)
    own = Conv.personal()
    room.connector.add_member(own.id, HERE[0].member())
    for words, key in (
        ("palautteen tulokset", "feedback.results.not_allowed"),
        ("ideat", "feedback.results.not_allowed"),
        ("palauteasetukset", "feedback.not_allowed"),
    ):
        said = await say_in(room, own, HERE[0], words)
        assert said == [text(FI, key)], (words, said)
    # `palaute` from a client brings their own card, never asks the group
    sends_before = len(room.connector.sent_requests)
    await say_in(room, own, HERE[0], "palaute")
    new = room.connector.sent_requests[sends_before:]
    assert {r.conversation_id for r in new} == {own.id}
    assert any(actions_of(a["content"], SCORE_VERB) for r in new for a in r.json["attachments"])
    # forged instructor taps change nothing
    group_id = (await room.bot.store.feedback.round(await round_id(room))).group_id  # type: ignore[union-attr]
    body = await room.tap(
        HERE[0],
        SETTINGS_VERB,
        {"group": str(group_id), "anonymous": "false", "reminder": "false"},
        conv=own,
    )
    assert body["value"] == text(FI, "feedback.not_allowed")
    settings = await room.bot.store.feedback.settings(group_id)
    assert settings.anonymous and settings.reminder


# --- bad input ---------------------------------------------------------------------------------


async def test_scores_outside_the_scale_other_rounds_and_long_texts(room: Room) -> None:
    await held_day(room)
    await ask_feedback(room)
    rid = await round_id(room)
    chat, _ = feedback_card(room, HERE[2])
    conv = Conv.personal(id=chat)
    for bad in ("0", "7", "-1", "five", "５"):
        body = await room.tap(
            HERE[2], SCORE_VERB, {"round": str(rid), "score": bad, "anonymous": "false"}, conv=conv
        )
        assert body["value"] == text(FI, "feedback.bad_score"), bad
    for other in ("999999", "0", "abc"):
        body = await room.tap(
            HERE[2], SCORE_VERB, {"round": other, "score": "3", "anonymous": "false"}, conv=conv
        )
        assert body["value"] == text(FI, "feedback.unknown"), other
    assert (await room.bot.store.feedback.results(rid)).count == 0
    # words before any score are refused (nothing stored)
    body = await room.tap(
        HERE[2], MORE_VERB, {"round": str(rid), "good": "hyvä", "idea": ""}, conv=conv
    )
    assert body["value"] == text(FI, "feedback.answer_first")
    # over 1,000 characters: kept cut, and the person told; unknown topics dropped
    await tap_score(room, HERE[2], 3, anonymous=False)
    long = "ä" * 1500
    body = await room.tap(
        HERE[2],
        MORE_VERB,
        {"round": str(rid), "good": long, "idea": "", "topics": "cooking,<script>,games"},
        conv=conv,
    )
    assert text(FI, "feedback.cut") in dump(body["value"]) or any(
        text(FI, "feedback.cut") in str(r.json.get("text"))
        for r in room.connector.requests
        if r.conversation_id == chat
    )
    results = await room.bot.store.feedback.results(rid)
    good = [t.text for t in results.texts if t.kind.value == "good"]
    assert good == ["ä" * 1000]
    assert sorted(t.text for t in results.texts if t.kind.value == "topic") == ["cooking", "games"]


async def test_answers_after_the_day_closed_are_refused(room: Room) -> None:
    await held_day(room)
    await ask_feedback(room)
    rid = await round_id(room)
    round_ = await room.bot.store.feedback.round(rid)
    assert round_ is not None
    await tap_score(room, HERE[1], 3, anonymous=False)  # the service now knows the round
    await room.bot.store.feedback.close(rid, datetime.now(UTC))
    for client, anonymous in ((HERE[0], False), (HERE[2], True)):
        body = await tap_score(room, client, 6, anonymous=anonymous)
        assert body["value"] == text(FI, "feedback.closed")
    # and a change of the answer given before the close is refused too
    body = await tap_score(room, HERE[1], 5, anonymous=False)
    assert body["value"] == text(FI, "feedback.closed")
    assert (await room.bot.store.feedback.results(rid)).scores == (3,)


# --- the reminder ------------------------------------------------------------------------------


async def test_one_reminder_goes_only_to_those_who_did_not_answer(
    database_url: str, tmp_path: Path, connector: FakeConnector
) -> None:
    clock = ScaledClock(datetime.now(UTC), 60.0)  # a virtual minute is a real second
    async with make_room(
        database_url, tmp_path, connector, clock=clock, feedback_reminder_minutes=1
    ) as room:
        await held_day(room)
        await ask_feedback(room)
        await tap_score(room, HERE[0], 5, anonymous=False)
        await tap_score(room, HERE[1], 4, anonymous=True)
        rid = await round_id(room)
        opened = await room.bot.store.feedback.round(rid)
        assert opened is not None and opened.remind_at is not None
        loop = asyncio.get_running_loop()
        deadline = loop.time() + 15
        while clock() <= opened.remind_at:
            assert loop.time() < deadline
            await asyncio.sleep(0.05)
        aps = room.bot.runner.app[SCHEDULER].aps
        for _ in range(3):  # the leader's job, run now (three times: it reminds once)
            while (job := aps.get_job(REMIND_JOB)) is None:
                assert loop.time() < deadline, "the leader never scheduled the reminder job"
                await asyncio.sleep(0.05)
            job.modify(next_run_time=datetime.now(UTC))
            await asyncio.sleep(0.3)
            await drained(room.bot)
        reminder = text(FI, "feedback.ask.reminder")
        for client in HERE:
            chat, _ = feedback_card(room, client)
            got = [c for c in cards_in(room.connector, chat) if reminder in dump(c)]
            assert len(got) == (0 if client in HERE[:2] else 1), client.name
        for client in AWAY:
            assert private_chat(room.connector, client) is None


async def test_a_group_can_turn_the_reminder_off(room: Room) -> None:
    await room.say(MAIJA, "palauteasetukset")
    await drained(room.bot)
    chat = private_chat(room.connector, MAIJA)
    assert chat is not None
    card = cards_in(room.connector, chat)[-1]
    save = actions_of(card, SETTINGS_VERB)
    assert save
    body = await room.tap(
        MAIJA,
        SETTINGS_VERB,
        {**save[0]["data"], "anonymous": "false", "reminder": "false"},
        conv=Conv.personal(id=chat),
    )
    assert body["type"] == "application/vnd.microsoft.card.adaptive"
    await drained(room.bot)
    assert text(FI, "feedback.settings.saved") in room.connector.texts(chat)
    await held_day(room)
    await ask_feedback(room)
    opened = await room.bot.store.feedback.round(await round_id(room))
    assert opened is not None
    assert opened.remind_at is None and not opened.anonymous_default
    _, card = feedback_card(room, HERE[0])
    toggle = next(e for e in walk(card) if e.get("type") == "Input.Toggle")
    assert toggle["value"] == "false"


# --- results and ideas ---------------------------------------------------------------------------


async def test_results_show_only_the_count_below_three_answers(room: Room) -> None:
    await held_day(room)
    await ask_feedback(room)
    await tap_score(room, HERE[0], 6, anonymous=False)
    await tap_score(room, HERE[1], 2, anonymous=True)
    shown = await results_card(room)
    assert "Chart.VerticalBar" not in shown
    assert HERE[0].name not in shown
    await tap_score(room, HERE[2], 5, anonymous=True)
    shown = await results_card(room)
    assert "Chart.VerticalBar" in shown
    assert "4,3" in shown  # (6 + 2 + 5) / 3, with a Finnish decimal comma
    # nothing of the results was said in the group chat
    group = dump([r.json for r in room.connector.requests if r.conversation_id == room.conv.id])
    assert "Chart.VerticalBar" not in group and "4,3" not in group


async def test_a_coordinator_sees_the_results_and_ideas_can_be_marked_used(room: Room) -> None:
    await held_day(room)
    await ask_feedback(room)
    for client, score in zip(HERE[:3], (5, 4, 5), strict=True):
        await tap_score(room, client, score, anonymous=True)
        chat, _ = feedback_card(room, client)
        await room.tap(
            client,
            MORE_VERB,
            {"round": str(await round_id(room)), "idea": "Retkipäivä", "topics": "cooking"},
            conv=Conv.personal(id=chat),
        )
    own = Conv.personal()
    room.connector.add_member(own.id, KAISA.member())
    await say_in(room, own, KAISA, "palautteen tulokset IT-ryhmä")
    shown = dump(cards_in(room.connector, own.id)[-1])
    assert "Retkipäivä" in shown and "Chart.VerticalBar" in shown

    await room.say(MAIJA, "ideat")
    await drained(room.bot)
    chat = private_chat(room.connector, MAIJA)
    assert chat is not None
    ideas = cards_in(room.connector, chat)[-1]
    assert "×3" in dump(ideas) or "3" in dump(ideas)
    used = [a for a in actions_of(ideas, IDEA_VERB) if a["data"].get("do") == "used"]
    assert len(used) == 2  # "Retkipäivä" and cooking, each once with its count
    body = await room.tap(MAIJA, IDEA_VERB, used[0]["data"], conv=Conv.personal(id=chat))
    assert body["type"] == "application/vnd.microsoft.card.adaptive"
    group_id = (await room.bot.store.feedback.round(await round_id(room))).group_id  # type: ignore[union-attr]
    ideas_now = await room.bot.store.feedback.ideas(group_id)
    assert [i.used for i in ideas_now].count(True) == 1
    assert {i.key for i in ideas_now} == {"text:retkipäivä", "topic:cooking"}
    # a coordinator sees the ideas but cannot mark them: no buttons, and a made-up tap is refused
    await say_in(room, own, KAISA, "ideat IT-ryhmä")
    read_only = cards_in(room.connector, own.id)[-1]
    assert "Retkipäivä" in dump(read_only) and not actions_of(read_only, IDEA_VERB)
    forged = {k: v for k, v in used[1]["data"].items() if k not in ("sig", "verb")}
    refused = await room.tap(KAISA, IDEA_VERB, forged, conv=own)
    assert refused["value"] == text(FI, "feedback.not_allowed")


# --- languages ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("language", "instructor", "clients", "bind", "ask", "locale"),
    [
        (SV, SVEN, KLIENTER, "detta är gruppen", "respons", "sv-SE"),
        (EN, MAIJA, CLIENTS[:3], "this is group", "feedback", "en-US"),
    ],
)
async def test_the_card_and_answers_speak_the_groups_language(
    database_url: str,
    tmp_path: Path,
    connector: FakeConnector,
    language: Language,
    instructor: User,
    clients: list[User],
    bind: str,
    ask: str,
    locale: str,
) -> None:
    group_language = "en" if language is EN else None
    async with make_room(
        database_url,
        tmp_path,
        connector,
        instructor=instructor,
        bind=bind,
        locale=locale,
        group_language=group_language,
    ) as room:
        rc = await open_roll_call(
            room, by=instructor, words={SV: "upprop", EN: "roll call"}[language], locale=locale
        )
        for client in clients:
            await tap_here(room, client, rc, locale=locale)
        answers = await room.say(instructor, ask, locale=locale)
        await drained(room.bot)
        assert [a.json.get("text") for a in answers] == [
            text(language, "feedback.asked", count=len(clients))
        ]
        _, card = feedback_card(room, clients[0])
        assert text(language, "feedback.ask.title") in dump(card)
        assert text(FI, "feedback.ask.title") not in dump(card)
        body = await tap_score(room, clients[0], 6, anonymous=False)
        assert text(language, "feedback.more.good") in dump(body["value"])


def test_every_topic_has_a_name_in_every_language() -> None:
    for language in (FI, SV, EN):
        names = [text(language, f"feedback.topic.{t}") for t in TOPICS]
        assert len(set(names)) == len(TOPICS)
        assert all(n and not n.startswith("feedback.") for n in names)


async def test_palaute_brings_back_what_is_still_to_do(room: Room) -> None:
    """Someone who tapped a number anonymously and left gets the words form; after the words,
    the thanks card; someone absent hears who is asked and what to do."""
    await held_day(room)
    await ask_feedback(room)
    chat, _ = feedback_card(room, HERE[0])
    conv = Conv.personal(id=chat)
    await tap_score(room, HERE[0], 4, anonymous=True)
    sends = len(room.connector.sent_requests)
    await say_in(room, conv, HERE[0], "palaute")
    again = [
        a["content"]
        for r in room.connector.sent_requests[sends:]
        for a in r.json.get("attachments") or []
    ]
    assert len(again) == 1 and actions_of(again[0], MORE_VERB)
    more = actions_of(again[0], MORE_VERB)[0]
    await room.tap(HERE[0], MORE_VERB, {**more["data"], "idea": "Bingo", "good": ""}, conv=conv)
    sends = len(room.connector.sent_requests)
    await say_in(room, conv, HERE[0], "palaute")
    last = [
        a["content"]
        for r in room.connector.sent_requests[sends:]
        for a in r.json.get("attachments") or []
    ]
    assert len(last) == 1 and not actions_of(last[0], MORE_VERB)
    assert not actions_of(last[0], SCORE_VERB)
    assert text(FI, "feedback.thanks.title") in dump(last[0])
    # an absent client's `palaute`: feedback is asked of those present, and how to fix a mark
    away = Conv.personal()
    room.connector.add_member(away.id, AWAY[0].member())
    assert await say_in(room, away, AWAY[0], "palaute") == [text(FI, "feedback.not_present")]


async def test_an_anonymous_tap_again_before_the_words_gets_the_same_form_and_stores_nothing(
    room: Room,
) -> None:
    await held_day(room)
    await ask_feedback(room)
    rid = await round_id(room)
    first = await tap_score(room, HERE[3], 2, anonymous=True)
    again = await asyncio.gather(*(tap_score(room, HERE[3], 6, anonymous=True) for _ in range(3)))
    for body in (first, *again):
        assert actions_of(body["value"], MORE_VERB)
        assert text(FI, "feedback.more.anonymous") in dump(body["value"])
    assert (await room.bot.store.feedback.results(rid)).scores == (2,)
