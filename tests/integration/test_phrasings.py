"""What people actually write, over real HTTP: check-ins, thanks, slips, chat among people.

Group chats: with the resource-specific consent ChatMessage.Read.Chat the bot receives every
message of the chat, and must answer only what is said to it. The table runs every phrasing in
one service per backend, each in its own place (a check-in by a client who had not checked in),
and lists every row that went wrong.
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from bot.orgfile import load_org_file
from bot.settings import Settings
from domain.i18n import text
from domain.org import Language
from tests.fakes.activities import TENANT_ID, Conv, User, invoke_execute, message
from tests.fakes.connector import FakeConnector
from tests.integration.harness import BotServer, drained, free_port, start_bot, stop_bot

# the card verbs, as the cards carry them
HERE = "rollcall.here"
RUN = "command.run"
HELP = "help.show"
GUIDE = "tutorial.start"
ASK = "help.ask"

MAIJA = User(name="Maija Virtanen", upn="maija@example.hel.fi")
TUULA = User(name="Tuula Salo", upn="tuula@example.hel.fi")
A = [User(name=f"Asiakas {i:02d}", upn=f"asiakas{i:02d}@example.hel.fi") for i in range(30)]
B = [User(name=f"Bertta {i:02d}", upn=f"bertta{i:02d}@example.hel.fi") for i in range(5)]
STRANGER = User(name="Vieras Ville", upn="ville@example.hel.fi")


def org_yaml() -> str:
    people = [f"  - name: {c.name}\n    upn: {c.upn}\n    client: [it-ryhma]" for c in A]
    people += [f"  - name: {c.name}\n    upn: {c.upn}\n    client: [kahvila]" for c in B]
    return (
        """
version: 1
units:
  - key: it
    name: IT-paja
groups:
  - key: it-ryhma
    unit: it
    name: IT-ryhmä
  - key: kahvila
    unit: it
    name: Etäkahvila
people:
  - name: Maija Virtanen
    upn: maija@example.hel.fi
    instructor: [it-ryhma]
  - name: Tuula Salo
    upn: tuula@example.hel.fi
    instructor: [kahvila]
"""
        + "\n".join(people)
        + "\n"
    )


# --- what a row expects ---------------------------------------------------------------------


@dataclass(frozen=True)
class Expect:
    """One expected outcome; `kind` names it, the rest are its details."""

    kind: str
    key: str = ""
    command: str = ""
    ask: bool = True


SILENCE = Expect("silence")
CHECK_IN = Expect("check-in")
FALLBACK = Expect("fallback")
GROUP_FALLBACK = Expect("group fallback")


def says(key: str) -> Expect:
    """One answer whose text is this catalog text (in any of the three languages)."""
    return Expect("says", key=key)


def starts(key: str) -> Expect:
    """One answer whose text starts with this catalog text (a command ran)."""
    return Expect("starts", key=key)


def did_you_mean(command: str) -> Expect:
    """ "Did you mean …?" with one button that runs this command."""
    return Expect("did you mean", command=command)


@dataclass(frozen=True)
class Row:
    who: User
    where: str  # "A": group A's chat (a roll call is open), "B": group B's (none), "1:1"
    typed: str
    expect: Expect
    mention: bool = False
    locale: str = "fi-FI"

    @property
    def id(self) -> str:
        at = "@" if self.mention else ""
        return f"{self.who.name} in {self.where}: {at}{self.typed!r}"


ROWS = [
    # --- "I'm here" written during group A's open roll call: the same as the button
    Row(A[0], "A", "olen paikalla", CHECK_IN),
    Row(A[1], "A", "Täällä!", CHECK_IN),
    Row(A[2], "A", "läsnä", CHECK_IN),
    Row(A[3], "A", "paikalla.", CHECK_IN),
    Row(A[4], "A", "tässä", CHECK_IN),
    Row(A[5], "A", "moi olen täällä", CHECK_IN),
    Row(A[6], "A", "Moi! Oon paikalla 🙂", CHECK_IN),
    Row(A[7], "A", "jag är här", CHECK_IN, locale="sv-FI"),
    Row(A[8], "A", "Här", CHECK_IN, locale="sv-FI"),
    Row(A[9], "A", "närvarande", CHECK_IN, locale="sv-FI"),
    Row(A[10], "A", "I'm here", CHECK_IN, locale="en-US"),
    Row(A[11], "A", "here", CHECK_IN, locale="en-US"),
    Row(A[12], "A", "Present.", CHECK_IN, locale="en-US"),
    Row(A[13], "A", "I’m here!", CHECK_IN, locale="en-US"),
    Row(A[14], "A", "olen paikalla", CHECK_IN, mention=True),
    Row(A[15], "A", "TÄÄLLÄ", CHECK_IN),
    Row(A[16], "1:1", "olen paikalla", CHECK_IN),
    Row(A[17], "1:1", "här", CHECK_IN, locale="sv-FI"),
    # --- no roll call open (group B)
    Row(B[0], "1:1", "olen paikalla", says("checkin.none_open")),
    Row(B[1], "B", "täällä", SILENCE),
    Row(B[2], "B", "I'm here", says("checkin.none_open"), mention=True, locale="en-US"),
    # --- thanks and okays
    Row(A[18], "1:1", "kiitos", says("smalltalk.thanks")),
    Row(A[18], "1:1", "Kiitti!", says("smalltalk.thanks")),
    Row(A[18], "1:1", "tack så mycket", says("smalltalk.thanks"), locale="sv-FI"),
    Row(A[18], "1:1", "Thank you!", says("smalltalk.thanks"), locale="en-US"),
    Row(A[18], "1:1", "👍", says("smalltalk.ok")),
    Row(A[18], "1:1", "🙂", says("smalltalk.ok")),
    Row(A[18], "1:1", "ok", says("smalltalk.ok")),
    Row(A[19], "A", "kiitos", SILENCE),
    Row(A[19], "A", "👍🏽", SILENCE),
    Row(A[19], "A", "kiitos", SILENCE, mention=True),
    # --- slips of command words: ask, with a button
    Row(MAIJA, "1:1", "nimenhuto", did_you_mean("roll_call")),
    Row(A[20], "1:1", "opastis", did_you_mean("tutorial")),
    Row(A[20], "1:1", "hlep", did_you_mean("help"), locale="en-US"),
    Row(A[20], "1:1", "agneda", did_you_mean("agenda"), locale="en-US"),
    Row(A[20], "1:1", "Ohjelmaa", did_you_mean("agenda")),
    Row(A[20], "1:1", "hjälpp", did_you_mean("help"), locale="sv-FI"),
    Row(MAIJA, "A", "nimenhuto", did_you_mean("roll_call"), mention=True),
    Row(MAIJA, "A", "nimenhuto", SILENCE),
    # --- commands, with and without the mention
    Row(MAIJA, "A", "nimenhuuto", says("rollcall.already_open")),
    Row(MAIJA, "A", "nimenhuuto", says("rollcall.already_open"), mention=True),
    Row(MAIJA, "A", "Nimenhuuto!", says("rollcall.already_open")),
    Row(MAIJA, "A", "@Etäpäivä nimenhuuto", says("rollcall.already_open")),
    Row(A[21], "1:1", "apua", starts("help.intro")),
    Row(A[21], "1:1", "Apua?", starts("help.intro")),
    Row(A[22], "1:1", "HELP", starts("help.intro"), locale="en-US"),
    Row(A[21], "A", "nimenhuuto", SILENCE),
    Row(A[21], "A", "nimenhuuto", says("rollcall.not_allowed"), mention=True),
    # --- nothing understood
    Row(A[23], "1:1", "mitä kuuluu", FALLBACK),
    Row(A[23], "1:1", "moi", FALLBACK),
    Row(A[23], "1:1", "vad händer i dag", FALLBACK, locale="sv-FI"),
    Row(STRANGER, "1:1", "what now", Expect("fallback", ask=False), locale="en-US"),
    Row(MAIJA, "A", "mitä sinä osaat", GROUP_FALLBACK, mention=True),
    # --- people talking to each other in the group: not for the bot
    Row(A[24], "A", "Huomenta kaikille!", SILENCE),
    Row(A[24], "A", "seuraava kysymys on vaikea", SILENCE),
    Row(A[24], "A", "Jatka vaan, kuulen hyvin", SILENCE),
    Row(MAIJA, "A", "ohjelma on tänään vähän erilainen", SILENCE),
    Row(A[24], "A", "lähden kauppaan tauolla", SILENCE),
    Row(A[24], "A", "?", SILENCE),
    Row(A[24], "A", "täällä on kylmä", SILENCE),
    Row(A[24], "A", "thanks Maija!", SILENCE, locale="en-US"),
    Row(A[24], "A", "Onko Jari paikalla?", SILENCE),
    Row(B[3], "B", "hej allihopa, hörs jag?", SILENCE, locale="sv-FI"),
    Row(TUULA, "B", "apua tarvitaan huomenna", SILENCE),
]
assert len(ROWS) >= 45


# --- the place ------------------------------------------------------------------------------


@dataclass
class Place:
    bot: BotServer
    connector: FakeConnector
    chat_a: Conv
    chat_b: Conv
    personal: dict[str, Conv] = field(default_factory=dict)
    roll_call: int = 0

    def chat(self, row: Row) -> Conv:
        if row.where == "A":
            return self.chat_a
        if row.where == "B":
            return self.chat_b
        return self.personal_of(row.who)

    def personal_of(self, user: User) -> Conv:
        if user.teams_id not in self.personal:
            conv = Conv.personal()
            self.connector.add_personal_conversation(user.teams_id, conv.id, TENANT_ID)
            self.connector.add_member(conv.id, user.member())
            self.personal[user.teams_id] = conv
        return self.personal[user.teams_id]

    async def say(
        self, user: User, typed: str, conv: Conv, *, mention: bool = False, locale: str = "fi-FI"
    ) -> int:
        """Post a message; the index of the first request the connector got after it."""
        seen = len(self.connector.requests)
        status, _ = await self.bot.post(
            message(
                typed,
                conversation=conv,
                sender=user,
                service_url=self.connector.url,
                locale=locale,
                mentions_bot=mention,
            )
        )
        assert status == 201
        await drained(self.bot)
        return seen

    def answers(self, since: int, conv: Conv) -> list[dict[str, Any]]:
        """Messages posted to conv since (answers and proactive posts; no card redraws)."""
        return [
            r.json if r.route != "create_conversation" else r.json["activity"]
            for r in self.connector.requests[since:]
            if r.ok
            and (
                r.route in ("send", "reply")
                or (r.route == "create_conversation" and "activity" in r.json)
            )
            and (
                r.conversation_id == conv.id
                or (isinstance(r.response, dict) and r.response.get("id") == conv.id)
            )
        ]

    def posted_to(self, since: int, conv: Conv) -> int:
        """Everything the bot put in conv since: messages and card redraws."""
        return len(
            [
                r
                for r in self.connector.requests[since:]
                if r.ok and r.route in ("send", "reply", "update") and r.conversation_id == conv.id
            ]
        )

    async def marked(self, user: User) -> bool:
        person = await self.bot.store.org.person_by_upn(user.upn or "")
        assert person is not None and person.id is not None
        return person.id in await self.bot.store.rollcall.marks(self.roll_call)


def _dump(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False)


@pytest.fixture
async def place(database_url: str, tmp_path: Path) -> AsyncIterator[Place]:
    org_file = tmp_path / "org.yaml"
    org_file.write_text(org_yaml(), encoding="utf-8")
    with FakeConnector() as connector:
        bot = await start_bot(Settings(port=free_port(), database_url=database_url))
        try:
            await bot.store.org.apply(load_org_file(str(org_file)))
            place = Place(bot, connector, Conv.group_chat(), Conv.group_chat())
            for user in (MAIJA, *A, STRANGER):
                connector.add_member(place.chat_a.id, user.member())
            for user in (TUULA, *B, STRANGER):
                connector.add_member(place.chat_b.id, user.member())
            for user in (*A, *B):
                place.personal_of(user)
            await place.say(MAIJA, "tämä on ryhmä", place.chat_a, mention=True)
            await place.say(TUULA, "tämä on ryhmä", place.chat_b, mention=True)
            since = await place.say(MAIJA, "nimenhuuto", place.chat_a, mention=True)
            card = next(a for a in place.answers(since, place.chat_a) if HERE in _dump(a))
            here = next(
                a for a in card["attachments"][0]["content"]["actions"] if a.get("verb") == HERE
            )
            place.roll_call = int(here["data"]["rollcall"])
            yield place
        finally:
            await stop_bot(bot)


def _texts(key: str, **params: Any) -> set[str]:
    """The text in each language (none where the catalog lacks it)."""
    found = set()
    for language in Language:
        with contextlib.suppress(KeyError):
            found.add(text(language, key, **params))
    return found


def _card_verbs(answer: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    verbs = []
    for attachment in answer.get("attachments") or []:
        for action in attachment.get("content", {}).get("actions", []):
            verbs.append((action.get("verb"), action.get("data") or {}))
    return verbs


async def check(place: Place, row: Row) -> str | None:
    """What went wrong with a row, or None."""
    conv = place.chat(row)
    was_marked = await place.marked(row.who) if row.who in A else False
    since = await place.say(row.who, row.typed, conv, mention=row.mention, locale=row.locale)
    answers = place.answers(since, conv)
    expect = row.expect
    if expect.kind == "silence":
        if place.posted_to(since, conv):
            return f"expected silence, the bot posted {place.posted_to(since, conv)} times"
        return None
    if expect.kind == "check-in":
        if was_marked or not await place.marked(row.who):
            return "no check-in recorded"
        if row.where == "1:1":
            if not any("attachments" in a for a in answers):
                return f"no card of the person's own view in the 1:1 chat: {answers}"
        else:
            if answers:
                return f"the group was answered: {answers}"
            own = place.answers(since, place.personal_of(row.who))
            if not any("attachments" in a for a in own):
                return "the person's own view did not come to their 1:1 chat"
        return None
    if len(answers) != 1:
        return f"expected one answer, got {len(answers)}: {[a.get('text') for a in answers]}"
    [answer] = answers
    said = answer.get("text") or ""
    verbs = _card_verbs(answer)
    if expect.kind == "says":
        return None if said in _texts(expect.key) else f"said {said!r}"
    if expect.kind == "starts":
        found = any(said.startswith(t) for t in _texts(expect.key))
        return None if found else f"said {said!r}"
    if expect.kind == "did you mean":
        buttons = [(verb, data.get("command")) for verb, data in verbs]
        if buttons != [(RUN, expect.command)] or "?" not in said + _dump(answer):
            return f"no one button running {expect.command}: {buttons}"
        return None
    if expect.kind == "fallback":
        if said not in _texts("fallback.personal") | _texts("fallback.greeting"):
            return f"said {said!r}"
        wanted = [GUIDE, ASK, HELP] if expect.ask else [GUIDE, HELP]
        got = [verb for verb, _ in verbs]
        return None if got == wanted else f"buttons {got}, wanted {wanted}"
    if expect.kind == "group fallback":
        got = [verb for verb, _ in verbs]
        return None if got == [HELP] else f"buttons {got}"
    raise AssertionError(expect)


async def test_real_world_phrasings_get_the_expected_outcome(place: Place) -> None:
    wrong = []
    for row in ROWS:
        problem = await check(place, row)
        if problem is not None:
            wrong.append(f"{row.id}: {problem}")
    assert not wrong, f"{len(wrong)} of {len(ROWS)} rows:\n" + "\n".join(wrong)


async def test_nothing_said_among_people_in_a_group_is_answered(place: Place) -> None:
    """People talk in the group all day; the bot posts nothing in reply to any of it."""
    chatter = [
        (A[25], "Huomenta! Kuuleeko kaikki?"),
        (A[26], "kuulen hyvin"),
        (A[27], "kiitos 👍"),
        (MAIJA, "Aloitetaan kohta. Ohjelma on kalvoilla."),
        (A[25], "apua, unohdin kahvin 😅"),
        (A[26], "seuraava tauko on klo 10?"),
        (MAIJA, "jatketaan tauon jälkeen"),
        (A[27], "ok"),
        (A[28], "Minulla on nälkä"),
        (A[28], "lähden hakemaan vettä"),
        (A[26], "nimenhuuto oli jo?"),
        (A[25], "ryhmät on kivoja"),
        (A[29], "hej hej"),
        (A[29], "thanks everyone"),
        (A[27], "😂😂"),
        (MAIJA, "muistakaa tauko"),
    ]
    for conv in (place.chat_a, place.chat_b):
        since = len(place.connector.requests)
        for who, typed in chatter:
            await place.say(who, typed, conv)
        assert place.posted_to(since, conv) == 0
    # nobody was checked in or out by it
    assert not await place.marked(A[25])


async def test_the_did_you_mean_button_runs_the_command_and_checks_who_may(
    place: Place,
) -> None:
    since = await place.say(TUULA, "nimenhuto", place.chat_b, mention=True)
    [answer] = place.answers(since, place.chat_b)
    [(verb, data)] = _card_verbs(answer)
    assert (verb, data["command"]) == (RUN, "roll_call")
    assert "sig" in data  # signed for this conversation like every button
    tap = {k: v for k, v in data.items() if k != "verb"}
    # a client taps the same button: the roll call's own check refuses, nothing opens
    status, body = await place.bot.post(
        invoke_execute(
            RUN,
            {"verb": RUN, **tap},
            conversation=place.chat_b,
            sender=B[4],
            service_url=place.connector.url,
            reply_to_id="did-you-mean",
        ),
        signed=False,
    )
    assert status == 200
    assert body["value"] in _texts("rollcall.not_allowed")
    group_b = next(g for g in await place.bot.store.org.all_groups() if g.key == "kahvila")
    assert group_b.id is not None
    assert await place.bot.store.rollcall.of_day(group_b.id, _today()) == []
    # the instructor taps it: the roll call opens in group B
    status, _ = await place.bot.post(
        invoke_execute(
            RUN,
            {"verb": RUN, **tap},
            conversation=place.chat_b,
            sender=TUULA,
            service_url=place.connector.url,
            reply_to_id="did-you-mean",
        ),
        signed=False,
    )
    assert status == 200
    assert len(await place.bot.store.rollcall.of_day(group_b.id, _today())) == 1
    # a command name the bot does not have, even signed, runs nothing
    forged = {"verb": RUN, "command": "drop_everything"}
    status, body = await place.bot.post(
        invoke_execute(
            RUN,
            forged,
            conversation=place.chat_b,
            sender=TUULA,
            service_url=place.connector.url,
            reply_to_id="did-you-mean",
        )
    )
    assert status == 200
    assert body["value"] in _texts("card.stale")


async def test_the_fallback_buttons_work(place: Place) -> None:
    conv = place.personal_of(A[29])
    since = await place.say(A[29], "mitä nyt", conv)
    [answer] = place.answers(since, conv)
    buttons = dict(_card_verbs(answer))
    status, body = await place.bot.post(
        invoke_execute(
            HELP,
            {"verb": HELP, **buttons[HELP]},
            conversation=conv,
            sender=A[29],
            service_url=place.connector.url,
            reply_to_id="fallback",
        ),
        signed=False,
    )
    assert status == 200
    await drained(place.bot)
    shown = _dump(body) + _dump(place.answers(since, conv))
    assert text(Language.FI, "help.intro") in shown


def _today() -> date:
    return datetime.now(ZoneInfo("Europe/Helsinki")).date()
