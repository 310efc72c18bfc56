"""R5: every role × every place × every verb, each aimed at group A's objects.

One world per role (and per database): groups A and B, each with its bound chat, a day running
on its plan, a roll call open with marks, a corrected mark in the audit trail, a client's help
request waiting, a planned day next week, and its feedback asked with one client who is here
answering by name with an idea. Then, for every text command of the router and every card
verb, typed or tapped by one actor in A's bound chat (A's meeting chat for the meeting roles),
in B's bound chat and in their own 1:1 chat: snapshot every table that matters, send the
activity over loopback HTTP, and compare. A cell the rules refuse must change nothing and
message nobody but the actor where they spoke; a cell the rules allow must change exactly what
that verb changes. The feedback answer's taps go once more on a card of B's round. After a cell
that changed something the database is put back as it was, so each cell is judged on its own.
Then every card verb again with data not signed for the conversation (made up by hand, or
signed for another chat): "card.stale", nothing changed.

Whatever disagrees is collected and reported together, one line per cell.
"""

from __future__ import annotations

import asyncio
import enum
import json
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import Table, and_, delete, false, insert, or_, select
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from bot.features import registry as default_registry
from bot.orgfile import load_org_file
from bot.settings import Settings
from cards.agenda import AGENDA_VERB, BACK_VERB, PLAN_VERB
from cards.agenda import REFRESH_VERB as AGENDA_REFRESH_VERB
from cards.bind import BIND_VERB
from cards.digest import MORE_VERB as DIGEST_MORE_VERB
from cards.feedback import CHANGE_VERB as FEEDBACK_CHANGE_VERB
from cards.feedback import IDEA_VERB as FEEDBACK_IDEA_VERB
from cards.feedback import MORE_VERB as FEEDBACK_MORE_VERB
from cards.feedback import SCORE_VERB as FEEDBACK_SCORE_VERB
from cards.feedback import SETTINGS_VERB as FEEDBACK_SETTINGS_VERB
from cards.feedback import SKIP_VERB as FEEDBACK_SKIP_VERB
from cards.general import HELP_VERB, RUN_VERB
from cards.language import LANGUAGE_VERB
from cards.reconcile import SUGGEST_VERB
from cards.reports import EXPORT_VERB, OWN_VERB
from cards.rollcall import (
    CANCEL_VERB,
    CLOSE_VERB,
    HERE_VERB,
    HISTORY_VERB,
    LIST_VERB,
    PROBLEM_VERB,
    REMIND_VERB,
    SAVE_VERB,
)
from cards.rollcall import REFRESH_VERB as ROLLCALL_REFRESH_VERB
from cards.tutorial import ASK_VERB, GO_VERB, RESOLVE_VERB, SEND_VERB, START_VERB, TAKE_VERB
from dialogs.feature import Command
from domain import days as d
from domain.i18n import text
from domain.org import Language
from domain.outbox import OutboxStatus
from domain.plans import ItemKind, Plan, PlanFile, PlanItem
from domain.rollcall.model import Reason, Status
from domain.tutorial.content import Device, load_tutorial
from domain.tutorial.flow import Event, Place
from domain.tutorial.help import HelpStatus
from scheduler.clock import ScaledClock
from store.db import create_engine
from store.tables import Base
from tests.fakes.activities import TENANT_ID, Conv, User, invoke_execute, message
from tests.fakes.connector import FakeConnector, Recorded
from tests.integration.harness import BotServer, drained, free_port, start_bot, stop_bot

FI = Language.FI
HELSINKI = ZoneInfo("Europe/Helsinki")
TODAY = date(2026, 12, 3)
NEXT_WEEK, NEXT_WEEK_MOVED = date(2026, 12, 10), date(2026, 12, 11)
# the virtual clock starts here and runs at real speed: nothing of the plan falls due meanwhile
MORNING = datetime(2026, 12, 3, 10, 0, tzinfo=HELSINKI)
CONTENT = load_tutorial()
CARD_MESSAGE = "1700000000000"  # the message id of the card a tap is on
IN_FLIGHT = 3.0  # seconds a dropped message may still be on its way to Teams

PLAN = Plan(
    key="roolipaiva",
    name="Roolipäivä",
    items=(
        PlanItem(ItemKind.CONTENT, "Aamun aihe", time(9, 0), timedelta(minutes=90)),
        PlanItem(ItemKind.BREAK, "Tauko", time(10, 30), timedelta(minutes=15)),
        PlanItem(ItemKind.CONTENT, "Päivän aihe", time(10, 45), timedelta(minutes=75)),
        PlanItem(ItemKind.CLOSE, "Päivä päättyy", time(12, 0), timedelta(minutes=15)),
    ),
)

# --- people ----------------------------------------------------------------------------------

INSTRUCTOR_A = User(name="Iida Ohjaaja")
INSTRUCTOR_B = User(name="Bertil Handledare")
COORDINATOR_A = User(name="Kaarina Koordinaattori")
ADMIN = User(name="Pertti Pääkäyttäjä")
CLIENT_A = User(name="Aino Asiakas")  # the acting client of A: no mark yet
HELPED_A = User(name="Aleksi Apuatarvitseva")  # present, waiting for help
EXCUSED_A = User(name="Eetu Sairaana")  # excused by the instructor (audited)
# a client of A, here, who answered the feedback by name; Presenter in A's meeting (§3)
PRESENTER_A = User(name="Pirjo Esittäjä")
CLIENT_B = User(name="Bo Klient")  # the acting client of B: here in B, answered its feedback
HELPED_B = User(name="Britt Hjälpsökande")  # present in B, waiting for help
STRANGER = User(name="Ville Vieras")  # in no organisation file
ORGANIZER = User(name="Olli Järjestäjä")  # organises A's meeting, nothing in our records

STAFF = (INSTRUCTOR_A, INSTRUCTOR_B, COORDINATOR_A, ADMIN)
CLIENTS_A = (CLIENT_A, HELPED_A, EXCUSED_A, PRESENTER_A)
CLIENTS_B = (CLIENT_B, HELPED_B)
EVERYONE = (*STAFF, *CLIENTS_A, *CLIENTS_B, STRANGER, ORGANIZER)
OWN_CHAT = {user.name: Conv.personal() for user in EVERYONE}


def org_yaml() -> str:
    """Units a and b, groups ryhma-a and ryhma-b, everyone by AAD id (strangers excepted)."""

    def person(user: User, role: str) -> str:
        return f"  - name: {user.name}\n    aad: {user.aad_object_id}\n    {role}"

    people = [
        person(INSTRUCTOR_A, "instructor: [ryhma-a]"),
        person(INSTRUCTOR_B, "instructor: [ryhma-b]"),
        person(COORDINATOR_A, "coordinator: [yksikko-a]"),
        person(ADMIN, "admin: true"),
        *(person(c, "client: [ryhma-a]") for c in CLIENTS_A),
        *(person(c, "client: [ryhma-b]") for c in CLIENTS_B),
    ]
    return (
        "version: 1\nunits:\n  - key: yksikko-a\n    name: Yksikkö A\n"
        "  - key: yksikko-b\n    name: Yksikkö B\n"
        "groups:\n  - key: ryhma-a\n    unit: yksikko-a\n    name: Ryhmä A\n"
        "  - key: ryhma-b\n    unit: yksikko-b\n    name: Ryhmä B\n"
        "people:\n" + "\n".join(people) + "\n"
    )


# --- roles and places ------------------------------------------------------------------------


@dataclass(frozen=True)
class Role:
    """Who acts: one person, and (for the meeting roles) their role in A's Teams meeting."""

    key: str
    user: User
    meeting_role: str | None = None  # A's chat is then A's meeting chat


ROLES = (
    Role("client_a", CLIENT_A),
    Role("client_b", CLIENT_B),
    Role("instructor_a", INSTRUCTOR_A),
    Role("instructor_b", INSTRUCTOR_B),
    Role("coordinator_a", COORDINATOR_A),
    Role("admin", ADMIN),
    Role("stranger", STRANGER),
    Role("presenter_a", PRESENTER_A, meeting_role="Presenter"),
    Role("organizer", ORGANIZER, meeting_role="Organizer"),
)
ALL_ROLES = frozenset(r.key for r in ROLES)


class Where(enum.Enum):
    """Where the actor types or taps."""

    A = "A's chat"
    B = "B's chat"
    OWN = "own 1:1"


EVERYWHERE = frozenset(Where)

# --- the verbs: every text command and every card verb -------------------------------------

REGISTRY = default_registry()
C = REGISTRY.commands
COMMANDS = tuple(C.values())
ACTIONS = REGISTRY.actions
Verb = Command | str

# what is typed for each command; a command that names a group or a person names A's
TYPED: dict[Command, str] = {
    C["help"]: "apua",
    C["language"]: "kieli fi",
    C["bind"]: "tämä on ryhmä ryhma-a",
    C["groups"]: "ryhmät",
    C["agenda"]: "ohjelma",
    C["start_day"]: "aloita päivä",
    C["extend"]: "pidennä 5",
    C["skip"]: "seuraava",
    C["shift"]: "siirrä 10",
    C["late"]: "myöhässä 10",
    C["pause"]: "pysäytä",
    C["resume"]: "jatka",
    C["end_day"]: "lopeta päivä",
    C["cancel_day"]: f"peru päivä {NEXT_WEEK:%d.%m.%Y}",
    C["move_day"]: f"siirrä päivä {NEXT_WEEK:%d.%m.%Y} {NEXT_WEEK_MOVED:%d.%m.%Y}",
    C["tutorial"]: "opastus",
    C["send_tutorial"]: f"lähetä opastus {HELPED_A.name}",
    C["roll_call"]: "nimenhuuto",
    C["close_roll_call"]: "sulje nimenhuuto",
    C["cancel_roll_call"]: "peru nimenhuuto",
    C["remind"]: "muistuta puuttuvia",
    C["attendance"]: "läsnäolo ryhma-a",
    C["leave"]: "lähden nyt",
    C["feedback"]: "palaute",
    C["feedback_results"]: "palautteen tulokset ryhma-a",
    C["ideas"]: "ideat ryhma-a",
    C["feedback_settings"]: "palauteasetukset ryhma-a",
    C["own_days"]: "omat päivät",
    C["export"]: "vienti",
    C["digest"]: "yhteenveto",
}
CARD_VERBS: tuple[str, ...] = tuple(ACTIONS)
VERBS: tuple[Verb, ...] = (*COMMANDS, *CARD_VERBS)


def label(verb: Verb) -> str:
    return f"'{TYPED[verb]}'" if isinstance(verb, Command) else verb


# --- the rules, as data ------------------------------------------------------------------------


class Lands(enum.Enum):
    """Which group an allowed action changes."""

    CHAT = "the group of the chat"  # a typed command acts on the chat's group
    A = "group A"  # the card data names A's day, roll call, request or client
    B = "group B"  # the actor's own staff group is B (typed in their 1:1 chat)
    OWN_GROUP = "the actor's own client group"
    SELF = "only the actor"  # help, language, the tutorial: nobody else's data
    READ = "nothing"  # reading; who may see names is checked apart


@dataclass(frozen=True)
class Rule:
    """Who may do these verbs where, and what it lands on."""

    why: str
    verbs: frozenset[Verb]
    who: frozenset[str]
    where: frozenset[Where]
    lands: Lands


def rule(
    why: str, verbs: Iterable[Verb], who: Iterable[str], where: Iterable[Where], lands: Lands
) -> Rule:
    return Rule(why, frozenset(verbs), frozenset(who), frozenset(where), lands)


# verbs by what they do
STEER: set[Verb] = {
    *(C["start_day"], C["extend"], C["skip"], C["shift"], C["late"]),
    *(C["pause"], C["resume"], C["end_day"], C["cancel_day"], C["move_day"]),
    *(C["roll_call"], C["close_roll_call"], C["cancel_roll_call"], C["remind"], PLAN_VERB),
    RUN_VERB,  # "did you mean nimenhuuto?": the roll call's own rules
}
RUN_ROLL_CALL_BY_CARD: set[Verb] = {CLOSE_VERB, CANCEL_VERB, REMIND_VERB, SAVE_VERB}
HELP_REQUESTS: set[Verb] = {TAKE_VERB, RESOLVE_VERB}
SEND_GUIDE: set[Verb] = {C["send_tutorial"], SEND_VERB}
BIND: set[Verb] = {C["bind"], BIND_VERB}
PRESENCE_BY_CARD: set[Verb] = {HERE_VERB, PROBLEM_VERB}
SELF_SERVICE: set[Verb] = {
    *(C["help"], C["language"], LANGUAGE_VERB, C["tutorial"], START_VERB, HELP_VERB)
}
READ_RECORD: set[Verb] = {C["attendance"], LIST_VERB, HISTORY_VERB}
READ_OWN_VIEW: set[Verb] = {
    C["groups"],
    C["agenda"],
    AGENDA_REFRESH_VERB,
    ROLLCALL_REFRESH_VERB,
    GO_VERB,
}
ASK_FEEDBACK: set[Verb] = {C["feedback"]}
ANSWER_FEEDBACK: set[Verb] = {
    *(FEEDBACK_SCORE_VERB, FEEDBACK_MORE_VERB, FEEDBACK_SKIP_VERB, FEEDBACK_CHANGE_VERB)
}
RUN_FEEDBACK_BY_CARD: set[Verb] = {FEEDBACK_IDEA_VERB, FEEDBACK_SETTINGS_VERB}
READ_FEEDBACK: set[Verb] = {C["feedback_results"], C["ideas"]}
OWN_DAYS: set[Verb] = {C["own_days"], OWN_VERB}
READ_DIGEST: set[Verb] = {C["digest"]}
# places
A_CHAT, B_CHAT, OWN = {Where.A}, {Where.B}, {Where.OWN}
BOTH_CHATS = {Where.A, Where.B}
# roles
A_STAFF = {"instructor_a", "admin"}  # stored instructors of A, and admins
A_RECORD = {"instructor_a", "coordinator_a", "admin"}  # who sees A's attendance
A_CLIENTS = {"client_a", "presenter_a"}  # the presenter is a client of A in our records

RULES: tuple[Rule, ...] = (
    # §3, README "Group days" and "Roll calls": stored instructors of a group and admins steer
    # its day, pick its plan and open, close and remind its roll call by typing in the group's
    # bound chat (the chat names the group; a 1:1 chat names none). A meeting role grants
    # nothing (§3): the presenter and the organizer are refused like anyone else.
    rule("instructors of A steer A in A's chat", STEER, {"instructor_a"}, A_CHAT, Lands.CHAT),
    rule("instructors of B steer B in B's chat", STEER, {"instructor_b"}, B_CHAT, Lands.CHAT),
    rule("admins steer any group in its chat", STEER, {"admin"}, BOTH_CHATS, Lands.CHAT),
    # the agenda card's buttons carry A's day: they work where that card is, in A's chat
    rule("A's agenda buttons, in A's chat", {AGENDA_VERB}, A_STAFF, A_CHAT, Lands.A),
    # the staff's roll-call buttons carry A's roll call; staff keep A's record from their
    # attendance list in a 1:1 chat, so the person decides, not the chat (check_reach)
    rule("A's staff run A's roll call", RUN_ROLL_CALL_BY_CARD, A_STAFF, EVERYWHERE, Lands.A),
    # README "Help requests": the group's instructors (and admins) take and resolve a request;
    # the card is in their 1:1 chat, the person decides
    rule("A's staff take A's help requests", HELP_REQUESTS, A_STAFF, EVERYWHERE, Lands.A),
    # README "Tutorial": instructors send the guide to a client of their own group, from any
    # chat (admins are not instructors: the help lines offer it to instructors only)
    rule("instructors of A send the guide", SEND_GUIDE, {"instructor_a"}, EVERYWHERE, Lands.A),
    # README "Commands": instructors bind a group conversation to a group they instruct. A's
    # chat is A's already. B's chat belongs to B's days: it is not A's instructor's to take
    rule("instructors of A bind to A", BIND, {"instructor_a"}, A_CHAT, Lands.A),
    # README "Roll calls": anyone in a group's chat records their own presence there: "I'm here"
    # (someone not on the list is counted apart, as a guest), "a problem with sound or
    # picture" (the guide privately, the instructors told), "I'm back" after a break, "I'm
    # leaving". Their own mark, nobody else's; A's staff tapping "I'm here" get their view.
    rule("anyone in A's chat", {*PRESENCE_BY_CARD, BACK_VERB}, ALL_ROLES, A_CHAT, Lands.A),
    rule("anyone in a group's chat", {C["leave"]}, ALL_ROLES, BOTH_CHATS, Lands.CHAT),
    # A's clients also tap their reminder card in their own 1:1 chat, and check out there
    rule("A's clients, their reminder", PRESENCE_BY_CARD, A_CLIENTS, OWN, Lands.A),
    rule("clients, their 1:1", {C["leave"]}, {*A_CLIENTS, "client_b"}, OWN, Lands.OWN_GROUP),
    # README "Help requests": a client asks their own group's instructors, in one tap, from
    # any card or chat; staff are no client of a group and have nobody to ask
    rule(
        "clients ask their instructors",
        {ASK_VERB},
        {*A_CLIENTS, "client_b"},
        EVERYWHERE,
        Lands.OWN_GROUP,
    ),
    # README "Attendance": instructors of A, coordinators of A's unit (read-only) and admins
    # see A's list, privately, asked from anywhere
    rule("A's record, read", READ_RECORD, A_RECORD, EVERYWHERE, Lands.READ),
    # opening a correction from the attendance report changes nothing until it is saved
    rule("A's suggested correction, opened", {SUGGEST_VERB}, A_STAFF, EVERYWHERE, Lands.READ),
    # what concerns only the person: help, their language, their own guide (in their 1:1)
    rule("anyone, for themselves", SELF_SERVICE, ALL_ROLES, EVERYWHERE, Lands.SELF),
    # each sees their own view of these and nothing changes (a guide button with A's client's
    # token moves nobody: a tap moves the tapper's own guide)
    rule("anyone, their own view", READ_OWN_VIEW, ALL_ROLES, EVERYWHERE, Lands.READ),
    # README "Feedback": a group's instructors and admins ask those here today, in the group's
    # chat; from their 1:1 chat an instructor asks their only group (an admin has to name one)
    rule("instructors of A ask A", ASK_FEEDBACK, {"instructor_a"}, {*A_CHAT, *OWN}, Lands.A),
    rule("instructors of B ask B in B's chat", ASK_FEEDBACK, {"instructor_b"}, B_CHAT, Lands.CHAT),
    rule("instructors of B ask B from their 1:1", ASK_FEEDBACK, {"instructor_b"}, OWN, Lands.B),
    rule("admins ask any group in its chat", ASK_FEEDBACK, {"admin"}, BOTH_CHATS, Lands.CHAT),
    # anyone else typing `palaute` gets their own card for today (in their 1:1 chat), or is
    # told where to find it: nothing changes
    rule(
        "anyone else, their own feedback card",
        ASK_FEEDBACK,
        ALL_ROLES - {"instructor_a", "instructor_b", "admin"},
        EVERYWHERE,
        Lands.READ,
    ),
    # only those recorded here today (or sent the card) answer, each for themselves: on their
    # own card in their 1:1 chat or on the shared card in the group's chat; never for A's
    # round from B's chat. Staff and those not here are refused.
    rule("A's client here answers", ANSWER_FEEDBACK, {"presenter_a"}, {*A_CHAT, *OWN}, Lands.A),
    # the group's instructors and admins change its settings and mark its ideas; the card
    # names A, so it works in A's chat and in their 1:1 chat, not in B's chat
    # the ideas list and the settings card are only sent to 1:1 chats
    rule("A's staff run A's feedback", RUN_FEEDBACK_BY_CARD, A_STAFF, OWN, Lands.A),
    # results and ideas: A's instructors, its unit's coordinators and admins, privately
    rule("A's feedback, read", READ_FEEDBACK, A_RECORD, EVERYWHERE, Lands.READ),
    rule("A's feedback settings, read", {C["feedback_settings"]}, A_STAFF, EVERYWHERE, Lands.READ),
    # README "Own days": anyone sees their own month (a button carries a month, no person)
    rule("anyone, their own days", OWN_DAYS, ALL_ROLES, EVERYWHERE, Lands.READ),
    # docs/deploy.md "Export files in Teams": coordinators and admins get the export card, and
    # a one-time link (audited) in their own 1:1 chat only
    rule("export card", {C["export"]}, {"coordinator_a", "admin"}, EVERYWHERE, Lands.READ),
    rule("export link", {EXPORT_VERB}, {"coordinator_a", "admin"}, OWN, Lands.SELF),
    # the daily digest: coordinators of A's unit and admins, privately (asked in a group chat
    # it goes to their 1:1 chat); its "show all" names A's group and answers only in a 1:1
    rule(
        "A's unit's digest, read", READ_DIGEST, {"coordinator_a", "admin"}, EVERYWHERE, Lands.READ
    ),
    rule(
        "A's digest in full, read", {DIGEST_MORE_VERB}, {"coordinator_a", "admin"}, OWN, Lands.READ
    ),
)
# everything no rule names is refused: nothing changes, nobody but the actor hears of it

# the feedback answer's taps once more, their card naming B's round: only B's client who is here
# answers it, in B's chat or their 1:1 chat; nobody does from A's chat
ANSWERS_IN_ORDER: tuple[str, ...] = (
    *(FEEDBACK_SCORE_VERB, FEEDBACK_MORE_VERB, FEEDBACK_SKIP_VERB, FEEDBACK_CHANGE_VERB),
)
B_ROUND_RULES: tuple[Rule, ...] = (
    rule(
        "B's client here answers B's round", ANSWER_FEEDBACK, {"client_b"}, {*B_CHAT, *OWN}, Lands.B
    ),
)

# who may see whose names (§4: clients never see other clients' data; coordinators see their
# units' groups, instructors their groups, admins all)
SEES_NAMES_OF: dict[str, frozenset[str]] = {
    "instructor_a": frozenset({"A"}),
    "coordinator_a": frozenset({"A"}),
    "instructor_b": frozenset({"B"}),
    "admin": frozenset({"A", "B"}),
}


def allowed(verb: Verb, role: str, where: Where, rules: tuple[Rule, ...] = RULES) -> Rule | None:
    """The rule that allows this cell, or None (refused)."""
    return next((r for r in rules if verb in r.verbs and role in r.who and where in r.where), None)


def test_the_rules_name_only_verbs_the_router_knows() -> None:
    known = set(COMMANDS) | set(ACTIONS)
    for r in (*RULES, *B_ROUND_RULES):
        assert r.verbs <= known, r.why
    assert set(ANSWERS_IN_ORDER) == ANSWER_FEEDBACK
    assert set(TYPED) == set(COMMANDS)


# --- the world -----------------------------------------------------------------------------


@dataclass
class Side:
    """One group as arranged: its chat, day, roll call and help request."""

    name: str
    key: str
    group_id: int
    chat: Conv
    instructors: tuple[User, ...]
    clients: tuple[User, ...]
    day_id: int = 0
    next_week_id: int = 0
    roll_call_id: int = 0
    request_key: str = ""
    feedback_round_id: int = 0  # today's feedback round
    idea_key: str = ""  # the idea written in it


@dataclass
class World:
    """The running bot, its fake Teams, and what was arranged."""

    bot: BotServer
    connector: FakeConnector
    engine: AsyncEngine
    role: Role
    a: Side
    b: Side
    ids: dict[str, int] = field(default_factory=dict)  # person ids by name
    helped_token: str = ""
    # conversations a dropped message may still reach, and since when (see forget_messages)
    in_flight: dict[str, float] = field(default_factory=dict)

    def still_in_flight(self) -> frozenset[str]:
        now = asyncio.get_running_loop().time()
        return frozenset(c for c, since in self.in_flight.items() if now - since < IN_FLIGHT)

    @property
    def actor(self) -> User:
        return self.role.user

    def side(self, name: str) -> Side:
        return self.a if name == "A" else self.b

    def chat(self, where: Where) -> Conv:
        if where is Where.A:
            return self.a.chat
        if where is Where.B:
            return self.b.chat
        return OWN_CHAT[self.actor.name]

    def own(self, user: User) -> str:
        return OWN_CHAT[user.name].id

    async def say(self, user: User, words: str, conv: Conv) -> int:
        """Type words (arranging); the HTTP status."""
        activity = message(
            words,
            conversation=conv,
            sender=user,
            service_url=self.connector.url,
            mentions_bot=conv.kind != "personal",
        )
        return (await self.bot.post(activity))[0]

    async def tap(self, user: User, verb: str, data: dict[str, Any], conv: Conv) -> int:
        """Tap a button of the bot's card there (arranging); the HTTP status."""
        activity = invoke_execute(
            verb,
            {"verb": verb, **data},
            conversation=conv,
            sender=user,
            service_url=self.connector.url,
            reply_to_id=CARD_MESSAGE,
        )
        return (await self.bot.post(activity))[0]


async def until(what: str, check: Callable[[], Awaitable[bool]], within: float = 10.0) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + within
    while not await check():
        assert loop.time() < deadline, f"never happened: {what}"
        await asyncio.sleep(0.05)


async def ask_for_help(world: World, client: User) -> None:
    """The client walks the guide to the microphone's checks and asks the instructor."""
    person = world.ids[client.name]
    chat = OWN_CHAT[client.name]

    async def go(event: Event, **extra: str) -> None:
        progress = await world.bot.store.tutorial.progress(person)
        token = str(progress.version) if progress else "0"
        assert (
            await world.tap(client, GO_VERB, {"e": event.value, "t": token, **extra}, chat) == 200
        )

    async def place() -> tuple[Place, str | None]:
        progress = await world.bot.store.tutorial.progress(person)
        assert progress is not None
        return progress.place, progress.step

    await go(Event.CHOOSE, d=Device.WINDOWS.value)
    for _ in range(20):
        _, step = await place()
        found = CONTENT.step(step or "")
        if found is not None and found.topic.value == "microphone":
            break
        await go(Event.DONE)
    await go(Event.TROUBLE)
    for _ in range(20):
        await go(Event.ASK)
        if (await place())[0] is Place.ASKED:
            return
        await go(Event.NEXT)
    raise AssertionError(f"{client.name} never got to ask for help")


FEEDBACK_GOOD, FEEDBACK_IDEA = "Mukava päivä", "Retki museoon"
NEW_IDEA = "Lisää pelejä"


async def answer_feedback(world: World, side: Side, client: User) -> None:
    """A client of the group says they are here; the instructor asks for feedback and the
    client answers by name in their 1:1 chat: 4, words and an idea."""
    store = world.bot.store
    here = {"rollcall": str(side.roll_call_id)}
    assert await world.tap(client, HERE_VERB, here, side.chat) == 200
    assert await world.say(side.instructors[0], "palaute", side.chat) == 201
    found = await store.feedback.round_of(side.group_id, TODAY)
    assert found is not None and found.id is not None
    side.feedback_round_id = found.id
    asked = {"round": str(found.id)}
    chat = OWN_CHAT[client.name]
    scored = {**asked, "score": "4", "anonymous": "false"}
    assert await world.tap(client, FEEDBACK_SCORE_VERB, scored, chat) == 200
    written = {**asked, "good": FEEDBACK_GOOD, "idea": FEEDBACK_IDEA, "topics": "cooking"}
    assert await world.tap(client, FEEDBACK_MORE_VERB, written, chat) == 200
    answered = await store.feedback.answered(found.id, world.ids[client.name])
    assert answered is not None and answered.score == 4 and not answered.anonymous
    [idea] = [i for i in await store.feedback.ideas(side.group_id) if i.text == FEEDBACK_IDEA]
    side.idea_key = idea.key


async def arrange(world: World, org_file: Path) -> None:
    """Both groups as on a group day at ten in the morning (see the module's docstring)."""
    bot, connector = world.bot, world.connector
    store = bot.store
    await asyncio.to_thread(org_file.write_text, org_yaml(), encoding="utf-8")
    await store.org.apply(load_org_file(str(org_file)))
    await store.plans.apply(PlanFile(plans=(PLAN,)))
    groups = {g.key: g for g in await store.org.all_groups()}
    world.a.group_id = groups["ryhma-a"].id or 0
    world.b.group_id = groups["ryhma-b"].id or 0
    # everyone has talked to the bot in their own 1:1 chat (so it can reach them there)
    said = await asyncio.gather(*(world.say(u, "moi", OWN_CHAT[u.name]) for u in EVERYONE))
    assert all(status == 201 for status in said)
    for user in EVERYONE:
        person = await store.org.person_by_aad(user.aad_object_id.lower())
        assert person is not None and person.id is not None, user.name
        world.ids[user.name] = person.id
    if world.a.chat.kind == "meeting":
        meeting = world.a.chat.meeting_id or ""
        connector.set_participant(meeting, INSTRUCTOR_A.aad_object_id, "Organizer", TENANT_ID)
        connector.set_participant(meeting, PRESENTER_A.aad_object_id, "Presenter", TENANT_ID)
        connector.set_participant(meeting, ORGANIZER.aad_object_id, "Organizer", TENANT_ID)
    for side in (world.a, world.b):
        instructor = side.instructors[0]
        assert await world.say(instructor, f"tämä on ryhmä {side.key}", side.chat) == 201
        assert await world.tap(instructor, PLAN_VERB, {"plan": PLAN.key}, side.chat) == 200
        group_id = side.group_id

        async def running(group_id: int = group_id) -> bool:
            day = await store.days.for_group_on(group_id, TODAY)
            return day is not None and day.status is d.DayStatus.RUNNING and "0:start" in day.fired

        await until(f"{side.name}'s day runs", running)
        day = await store.days.for_group_on(group_id, TODAY)
        assert day is not None and day.id is not None
        side.day_id = day.id
        later = d.place_plan(PLAN, group_id, NEXT_WEEK, "Europe/Helsinki", FI)
        side.next_week_id = (await store.days.add(later, [])).id or 0
        assert await world.say(instructor, "nimenhuuto", side.chat) == 201
        [roll_call] = await store.rollcall.of_day(group_id, TODAY)
        side.roll_call_id = roll_call.id or 0
        await answer_feedback(world, side, PRESENTER_A if side is world.a else CLIENT_B)
        helped = side.clients[1]
        here = {"rollcall": str(side.roll_call_id)}
        assert await world.tap(helped, HERE_VERB, here, side.chat) == 200
        await ask_for_help(world, helped)
        [request] = [
            r for r in await store.tutorial.requests() if r.person_id == world.ids[helped.name]
        ]
        side.request_key = request.key
    # the instructor excuses a client on the attendance list (an audited change)
    excused = {f"p{world.ids[EXCUSED_A.name]}": f"{Status.EXCUSED.value}:{Reason.SICK.value}"}
    saved = await world.tap(
        INSTRUCTOR_A,
        SAVE_VERB,
        {"rollcall": str(world.a.roll_call_id), "why": "soitti aamulla", **excused},
        OWN_CHAT[INSTRUCTOR_A.name],
    )
    assert saved == 200
    progress = await store.tutorial.progress(world.ids[HELPED_A.name])
    assert progress is not None
    world.helped_token = str(progress.version)
    await drained(bot, within=20.0)


# --- snapshots of every table that matters, and putting them back ----------------------------

JUDGED = frozenset(
    {
        "units",
        "groups",
        "people",
        "memberships",
        "conversations",
        "plans",
        "weekly_schedules",
        "group_days",
        "roll_calls",
        "attendance_marks",
        "attendance_checkouts",
        "attendance_changes",
        "tutorial_progress",
        "help_requests",
        "audit_log",
        "dialog_state",
        "feedback_rounds",
        "feedback_prompts",
        "feedback_answered",
        "feedback_answers",
        "feedback_texts",
        "feedback_ideas",
        "feedback_settings",
    }
)
# bookkeeping times that move with any write; what was written shows in the other columns
UNCOMPARED = frozenset({"updated_at", "installed_at"})
TABLES: tuple[Table, ...] = tuple(t for t in Base.metadata.sorted_tables if t.name in JUDGED)
OUTBOX = Base.metadata.tables["outbox"]
GROUP_DAYS = Base.metadata.tables["group_days"]
ROLL_CALLS = Base.metadata.tables["roll_calls"]

Row = dict[str, Any]
Key = tuple[Any, ...]
Snapshot = dict[str, dict[Key, Row]]


def _key(table: Table, row: Mapping[Any, Any]) -> Key:
    return tuple(row[c.name] for c in table.primary_key.columns)


async def read_all(conn: AsyncConnection) -> Snapshot:
    """Every row of the judged tables, by primary key."""
    found: Snapshot = {}
    for table in TABLES:
        rows = (await conn.execute(select(table))).mappings().all()
        found[table.name] = {_key(table, r): dict(r) for r in rows}
    return found


async def snapshot(engine: AsyncEngine) -> Snapshot:
    async with engine.connect() as conn:
        return await read_all(conn)


def _compared(row: Row | None) -> Row | None:
    return None if row is None else {k: v for k, v in row.items() if k not in UNCOMPARED}


@dataclass(frozen=True)
class Changed:
    """One row that differs: absent before (inserted), absent after (deleted), or updated."""

    table: str
    key: Key
    before: Row | None
    after: Row | None

    @property
    def row(self) -> Row:
        """The row as it is now (or was, if deleted)."""
        found = self.after if self.after is not None else self.before
        assert found is not None
        return found

    def __str__(self) -> str:
        if self.before is None:
            return f"{self.table}{list(self.key)} inserted {_brief(self.after)}"
        if self.after is None:
            return f"{self.table}{list(self.key)} deleted"
        before, after = _compared(self.before) or {}, _compared(self.after) or {}
        moved = {
            k: f"{before.get(k)!r}→{after.get(k)!r}" for k in after if before.get(k) != after.get(k)
        }
        return f"{self.table}{list(self.key)} {moved}"


def _brief(row: Row | None) -> str:
    shown = {k: v for k, v in (row or {}).items() if k not in UNCOMPARED and v is not None}
    return str(shown)[:200]


def changes(before: Snapshot, after: Snapshot) -> list[Changed]:
    found: list[Changed] = []
    for table in TABLES:
        old, new = before[table.name], after[table.name]
        for key in sorted(old.keys() | new.keys(), key=repr):
            if _compared(old.get(key)) != _compared(new.get(key)):
                found.append(Changed(table.name, key, old.get(key), new.get(key)))
    return found


def _where_keys(table: Table, keys: list[Key]) -> Any:
    columns = list(table.primary_key.columns)
    return or_(*(and_(*(c == v for c, v in zip(columns, key, strict=True))) for key in keys))


async def restore(engine: AsyncEngine, target: Snapshot) -> None:
    """Put the judged tables back as they were in target (rows deleted, updated, re-inserted)."""
    for _ in range(4):
        async with engine.begin() as conn:
            # take SQLite's write lock first: a transaction that reads and then writes would
            # fail at once ("database is locked") if the bot wrote in between
            await conn.execute(GROUP_DAYS.update().where(false()).values(version=0))
            now = await read_all(conn)
            differ = changes(target, now)
            if not differ:
                return
            by_table: dict[str, list[Changed]] = {}
            for change in differ:
                by_table.setdefault(change.table, []).append(change)
            for table in reversed(TABLES):  # children before parents
                gone = [c.key for c in by_table.get(table.name, []) if c.before is None]
                if gone:
                    await conn.execute(delete(table).where(_where_keys(table, gone)))
            for table in TABLES:
                updated = [c for c in by_table.get(table.name, []) if c.before and c.after]
                if table.name == "conversations" and updated:
                    # one conversation per group: free the groups before giving them back
                    keys = [c.key for c in updated]
                    stmt = table.update().where(_where_keys(table, keys)).values(group_id=None)
                    await conn.execute(stmt)
                for change in updated:
                    assert change.before is not None
                    stmt = table.update().where(_where_keys(table, [change.key]))
                    await conn.execute(stmt.values(**change.before))
            for table in TABLES:  # parents before children
                back = [c.before for c in by_table.get(table.name, []) if c.before and not c.after]
                if back:
                    await conn.execute(insert(table), back)
    raise AssertionError("the database could not be put back as it was")


# --- one cell: an activity, what it changed, whom it reached ----------------------------------

ERRORS = (text(FI, "error.generic"), text(FI, "error.busy"))
STALE = text(FI, "card.stale")
SENDING_ROUTES = frozenset({"send", "reply", "update", "delete", "meeting_notification"})


@dataclass
class Observed:
    """What one activity did."""

    status: int
    body: Any
    changed: list[Changed]
    outbox: list[Row]  # outbox rows written during the cell
    requests: list[Recorded]  # requests the bot made to Teams during the cell
    pending_before: frozenset[str]  # conversations with messages still queued before the cell
    activity_id: str
    outbox_last: int  # the last outbox row before the cell

    def seen_by_actor(self, world: World, where: Where) -> str:
        """Everything the actor was shown: the invoke answer, replies, messages to them."""
        return self._shown({world.chat(where).id, world.own(world.actor)}, self.body)

    def in_group_chats(self, world: World) -> str:
        """What this cell put into the groups' chats (everyone there reads it)."""
        return self._shown({world.a.chat.id, world.b.chat.id})

    def _shown(self, conversations: set[str], *more: Any) -> str:
        parts = [_visible(m) for m in more]
        parts += [
            _visible(r["payload"]) for r in self.outbox if r["conversation_id"] in conversations
        ]
        parts += [
            _visible(r.json)
            for r in self.requests
            if r.route == "reply"
            and r.activity_id == self.activity_id
            and _thread(r.conversation_id) in conversations
        ]
        return "\n".join(parts)


def _visible(message: Any) -> str:
    """The parts of a message or answer a person reads (not its addressing)."""
    if not isinstance(message, dict):
        return json.dumps(message, ensure_ascii=False)
    kept = {k: message.get(k) for k in ("text", "speak", "card", "attachments", "value")}
    return json.dumps(kept, ensure_ascii=False)


def _thread(conversation_id: str | None) -> str:
    return (conversation_id or "").split(";messageid=", 1)[0]


async def _outbox_state(engine: AsyncEngine) -> tuple[int, frozenset[str]]:
    async with engine.connect() as conn:
        last = (
            await conn.execute(select(OUTBOX.c.id).order_by(OUTBOX.c.id.desc()).limit(1))
        ).scalar()
        pending = (
            await conn.execute(
                select(OUTBOX.c.conversation_id)
                .where(OUTBOX.c.status == OutboxStatus.PENDING.value)
                .distinct()
            )
        ).scalars()
        return int(last or 0), frozenset(pending)


async def forget_messages(world: World, observed: Observed) -> None:
    """Drop the messages a cell queued, so that their idempotency keys do not hide the same
    message in a later cell. One being sent right now may still reach Teams in the next cell:
    its conversation is excused there."""
    async with world.engine.begin() as conn:
        dropped = await conn.execute(
            delete(OUTBOX)
            .where(OUTBOX.c.id > observed.outbox_last)
            .returning(OUTBOX.c.conversation_id, OUTBOX.c.status)
        )
        now = asyncio.get_running_loop().time()
        for conversation_id, status in dropped:
            if status == OutboxStatus.PENDING.value:
                world.in_flight[conversation_id] = now


async def _outbox_since(engine: AsyncEngine, last: int) -> list[Row]:
    async with engine.connect() as conn:
        rows = await conn.execute(
            select(OUTBOX.c.id, OUTBOX.c.key, OUTBOX.c.conversation_id, OUTBOX.c.payload)
            .where(OUTBOX.c.id > last)
            .order_by(OUTBOX.c.id)
        )
        return [dict(r) for r in rows.mappings()]


async def observe(
    world: World,
    sent: dict[str, Any],
    before: Snapshot | None,
    *,
    signed: bool = True,
    settle: float = 0.0,
) -> Observed:
    """Post one activity; what it changed (if before is given), queued and sent."""
    last, pending = await _outbox_state(world.engine)
    seen = len(world.connector.requests)
    status, body = await world.bot.post(sent, signed=signed)
    if settle:
        await asyncio.sleep(settle)  # the agenda timer acts on a changed day right away
    after = await snapshot(world.engine) if before is not None else None
    return Observed(
        status=status,
        body=body,
        changed=changes(before, after) if before is not None and after is not None else [],
        outbox=await _outbox_since(world.engine, last),
        requests=world.connector.requests[seen:],
        pending_before=pending | world.still_in_flight(),
        activity_id=str(sent["id"]),
        outbox_last=last,
    )


def reached_others(world: World, observed: Observed, targets: set[str]) -> list[str]:
    """Messages to conversations outside targets, and 1:1 chats opened with anyone else."""
    found = [
        f"queued a message to {_whose(world, r['conversation_id'])}"
        for r in observed.outbox
        if r["conversation_id"] not in targets
    ]
    for r in observed.requests:
        if r.route == "create_conversation":
            members = (r.json or {}).get("members") or [{}]
            if members[0].get("id") != world.actor.teams_id:
                found.append(f"opened a 1:1 chat with {_whose(world, members[0].get('id'))}")
        elif r.route in SENDING_ROUTES:
            target = _thread(r.conversation_id)
            if target not in targets and target not in observed.pending_before:
                found.append(f"{r.route} to {_whose(world, target)}")
    return sorted(set(found))


def _whose(world: World, conversation_id: str | None) -> str:
    if conversation_id == world.a.chat.id:
        return "A's chat"
    if conversation_id == world.b.chat.id:
        return "B's chat"
    for user in EVERYONE:
        if conversation_id in (OWN_CHAT[user.name].id, user.teams_id):
            return f"{user.name}'s 1:1"
    return str(conversation_id)


def names_shown(world: World, shown: str, allowed: Iterable[str]) -> list[str]:
    ok = set(allowed)
    return [c.name for c in (*CLIENTS_A, *CLIENTS_B) if c.name not in ok and c.name in shown]


# --- what an allowed cell must change -------------------------------------------------------

Touch = tuple[str, Callable[[Row], bool]]  # a table, and which of its rows may change


def _of(observed: Observed, table: str, which: Callable[[Row], bool]) -> list[Changed]:
    return [c for c in observed.changed if c.table == table and which(c.row)]


def _start(item: dict[str, Any]) -> datetime:
    return datetime.fromisoformat(item["start"])


def _quoted(words: str) -> str:
    return json.dumps(words, ensure_ascii=False)[1:-1]


FEEDBACK_VERBS = frozenset({*ASK_FEEDBACK, *ANSWER_FEEDBACK, *RUN_FEEDBACK_BY_CARD})


def feedback_effect(
    world: World, verb: Verb, side: Side, observed: Observed, shown: str
) -> tuple[list[Touch], list[str]]:
    """The feedback rows an allowed cell may change, and what is wrong with the change."""
    me = world.ids[world.actor.name]
    group_id = side.group_id
    problems: list[str] = []
    if verb is C["feedback"]:
        # the helped client came after the round was asked: only they get the card now
        helped = world.ids[side.clients[1].name]
        new_round = lambda r: r["group_id"] == group_id and r["id"] != side.feedback_round_id  # noqa: E731
        rounds = {side.feedback_round_id} | {
            c.row["id"] for c in _of(observed, "feedback_rounds", new_round)
        }
        asked = lambda r: r["round_id"] in rounds  # noqa: E731
        prompted = {c.row["person_id"] for c in _of(observed, "feedback_prompts", asked)}
        if prompted != {helped}:
            problems.append(f"{side.name}'s feedback went to {sorted(prompted)}, not [{helped}]")
        if _quoted(text(FI, "feedback.asked", count=1)) not in shown:
            problems.append("not told that one person was asked")
        return [("feedback_rounds", new_round), ("feedback_prompts", asked)], problems
    mine = lambda r: r["round_id"] == side.feedback_round_id and r["person_id"] == me  # noqa: E731
    if verb is FEEDBACK_SCORE_VERB:
        scored = _of(observed, "feedback_answers", mine)
        if not any(c.after is not None and c.after["score"] == 5 for c in scored):
            problems.append("the actor's named answer 4 was not replaced by 5")
        return [("feedback_answers", mine), ("feedback_answered", mine)], problems
    if verb is FEEDBACK_MORE_VERB:
        written = _of(observed, "feedback_texts", mine)
        if not any(c.after is not None and c.after["text"] == NEW_IDEA for c in written):
            problems.append("the actor's new idea was not stored")
        return [("feedback_texts", mine), ("feedback_answered", mine)], problems
    if verb in (FEEDBACK_SKIP_VERB, FEEDBACK_CHANGE_VERB):
        return [], problems  # the thanks card, or the six buttons again: nothing stored
    if verb is FEEDBACK_IDEA_VERB:
        idea = lambda r: r["group_id"] == group_id and r["key"] == side.idea_key  # noqa: E731
        marked = _of(observed, "feedback_ideas", idea)
        if not marked or not marked[0].row["used"] or marked[0].row["changed_by"] != me:
            problems.append(f"{side.name}'s idea was not marked used by the actor")
        return [("feedback_ideas", idea)], problems
    if verb is FEEDBACK_SETTINGS_VERB:
        of_group = lambda r: r["group_id"] == group_id  # noqa: E731
        saved = _of(observed, "feedback_settings", of_group)
        if not saved or (saved[0].row["anonymous"], saved[0].row["reminder"]) != (False, False):
            problems.append(f"{side.name}'s feedback settings were not saved")
        return [("feedback_settings", of_group)], problems
    raise AssertionError(f"no expectation written for {label(verb)}")


def effect(
    world: World, where: Where, verb: Verb, side: Side | None, observed: Observed
) -> tuple[list[Touch], list[str]]:
    """The rows an allowed cell may change, and what is wrong with the change it made."""
    me = world.ids[world.actor.name]
    shown = observed.seen_by_actor(world, where)
    problems: list[str] = []
    if side is None:  # only the actor's own things
        touches: list[Touch] = [
            ("people", lambda r: r["id"] == me),
            ("tutorial_progress", lambda r: r["person_id"] == me),
        ]
        if verb is EXPORT_VERB:
            made = lambda r: r["actor_person_id"] == me and r["action"] == "export.attendance"  # noqa: E731
            touches.append(("audit_log", made))
            if not _of(observed, "audit_log", made):
                problems.append("the export link was not audited")
        if verb in (C["language"], LANGUAGE_VERB):
            mine = _of(observed, "people", lambda r: r["id"] == me)
            if not mine or mine[0].row["chosen_language"] != FI.value:
                problems.append("the actor's language was not stored")
        return touches, problems
    if verb in FEEDBACK_VERBS:
        return feedback_effect(world, verb, side, observed, shown)
    today = lambda r: r["id"] == side.day_id  # noqa: E731
    group_id = side.group_id
    day_changes = _of(observed, "group_days", today)
    updated_day = (
        day_changes[0] if day_changes and day_changes[0].before and day_changes[0].after else None
    )

    def day_field(name: str) -> tuple[Any, Any]:
        if updated_day is None:
            return None, None
        assert updated_day.before is not None and updated_day.after is not None
        return updated_day.before[name], updated_day.after[name]

    def day_status(before: str | None, after: str) -> None:
        was, now = day_field("status")
        if now != after or (before is not None and was != before):
            problems.append(f"{side.name}'s day status {was!r}→{now!r}, expected {before}→{after}")

    steering: dict[Verb, Callable[[], None]] = {}

    def items_moved(index: int, minutes: int | None) -> None:
        was, now = day_field("items")
        if was is None:
            problems.append(f"{side.name}'s day did not change")
            return
        moved = _start(now[index]) - _start(was[index])
        if (minutes is None and moved >= timedelta(0)) or (
            minutes is not None and moved != timedelta(minutes=minutes)
        ):
            problems.append(f"{side.name}'s item {index} moved by {moved}")

    def extended() -> None:
        was, now = day_field("items")
        if was is None or now[0]["seconds"] - was[0]["seconds"] != 300:
            problems.append(f"{side.name}'s current item was not extended by 5 minutes")

    steering = {
        C["start_day"]: lambda: day_status("planned", "running"),
        C["extend"]: extended,
        AGENDA_VERB: extended,
        C["skip"]: lambda: items_moved(1, None),
        C["shift"]: lambda: items_moved(1, 10),
        C["late"]: lambda: items_moved(1, 10),
        C["pause"]: lambda: day_status("running", "paused"),
        C["resume"]: lambda: day_status("paused", "running"),
        C["end_day"]: lambda: day_status("running", "closed"),
    }
    if verb in steering:
        steering[verb]()
        return [("group_days", today)], problems
    if verb is BACK_VERB:
        _, backs = day_field("backs")
        if me not in (backs or {}).get("1", []):
            problems.append(f"the actor was not counted back on {side.name}'s day")
        return [("group_days", today)], problems
    if verb is C["cancel_day"]:
        later = _of(observed, "group_days", lambda r: r["id"] == side.next_week_id)
        if not later or (later[0].after or {}).get("status") != "cancelled":
            problems.append(f"{side.name}'s day next week was not cancelled")
        return [("group_days", lambda r: r["id"] == side.next_week_id)], problems
    if verb is C["move_day"]:

        def touched(r: Row) -> bool:
            moved_to = r["group_id"] == group_id and r["date"] == NEXT_WEEK_MOVED
            return bool(r["id"] == side.next_week_id or moved_to)

        moved = _of(observed, "group_days", lambda r: r["date"] == NEXT_WEEK_MOVED)
        if not moved or moved[0].before is not None:
            problems.append(f"{side.name}'s day next week was not moved")
        return [("group_days", touched)], problems
    if verb is PLAN_VERB:
        planned = _of(
            observed, "group_days", lambda r: r["group_id"] == group_id and r["date"] == TODAY
        )
        if not any(c.before is None and c.row["plan_key"] == PLAN.key for c in planned):
            problems.append(f"no new day was planned for {side.name}")
        return [
            ("group_days", lambda r: r["group_id"] == group_id and r["date"] == TODAY)
        ], problems
    rc = side.roll_call_id
    if verb in (C["roll_call"], RUN_VERB):
        opened = _of(observed, "roll_calls", lambda r: r["group_id"] == group_id)
        if not any(
            c.before is None
            and c.row["closed_at"] is None
            and c.row["conversation_id"] == side.chat.id
            for c in opened
        ):
            problems.append(f"no roll call was opened in {side.name}'s chat")
        return [("roll_calls", lambda r: r["group_id"] == group_id and r["id"] != rc)], problems
    missing = {world.ids[c.name] for c in side.clients} - {
        world.ids[HELPED_A.name],
        world.ids[HELPED_B.name],
        world.ids[EXCUSED_A.name],
        world.ids[PRESENTER_A.name],
        world.ids[CLIENT_B.name],
    }
    marks_of_rc: Touch = ("attendance_marks", lambda r: r["roll_call_id"] == rc)
    changes_of_group: Touch = ("attendance_changes", lambda r: r["group_id"] == group_id)
    if verb in (C["close_roll_call"], CLOSE_VERB):
        closed = _of(observed, "roll_calls", lambda r: r["id"] == rc)
        if not closed or closed[0].row["closed_at"] is None:
            problems.append(f"{side.name}'s roll call was not closed")
        absent = {
            c.row["person_id"]
            for c in _of(observed, "attendance_marks", lambda r: r["roll_call_id"] == rc)
            if c.row["status"] == Status.ABSENT.value
        }
        if absent != missing:
            problems.append(f"closing made {sorted(absent)} absent, expected {sorted(missing)}")
        return [("roll_calls", lambda r: r["id"] == rc), marks_of_rc, changes_of_group], problems
    if verb in (C["cancel_roll_call"], CANCEL_VERB):
        cancelled = _of(observed, "roll_calls", lambda r: r["id"] == rc)
        if not cancelled or cancelled[0].row["cancelled_at"] is None:
            problems.append(f"{side.name}'s roll call was not cancelled")
        return [("roll_calls", lambda r: r["id"] == rc)], problems
    if verb in (C["remind"], REMIND_VERB):
        said = [
            text(FI, "rollcall.reminded", count=n, already=len(missing) - n)
            for n in range(len(missing) + 1)
        ]
        if not any(_quoted(s) in shown for s in said):
            problems.append("no answer that the missing were reminded")
        return [], problems
    client_a = world.ids[CLIENT_A.name]
    if verb is SAVE_VERB:
        marked = _of(observed, "attendance_marks", lambda r: r["roll_call_id"] == rc)
        if not any(
            c.row["person_id"] == client_a
            and c.row["status"] == Status.EXCUSED.value
            and c.row["reason"] == Reason.SICK.value
            for c in marked
        ):
            problems.append(f"{CLIENT_A.name} was not excused")
        return [marks_of_rc, changes_of_group], problems
    if verb in (HERE_VERB, PROBLEM_VERB):
        guide: list[Touch] = (
            [("tutorial_progress", lambda r: r["person_id"] == me)] if verb is PROBLEM_VERB else []
        )
        if world.role.key in A_STAFF:  # the instructors' own view, no mark
            return guide, problems
        if world.actor is PRESENTER_A:  # here already: their mark stays as it was
            return guide, problems
        mine = _of(
            observed, "attendance_marks", lambda r: r["roll_call_id"] == rc and r["person_id"] == me
        )
        guest = world.actor not in CLIENTS_A
        if (
            not mine
            or mine[0].row["guest"] != guest
            or mine[0].row["status"] not in ("present", "late")
        ):
            problems.append(
                f"no {'guest ' if guest else ''}mark for the actor in {side.name}'s roll call"
            )
        elif verb is PROBLEM_VERB and mine[0].row["reason"] != Reason.TECHNICAL.value:
            problems.append("a problem tap was not noted as a technical problem")
        return [
            *guide,
            ("attendance_marks", lambda r: r["roll_call_id"] == rc and r["person_id"] == me),
            ("attendance_changes", lambda r: r["person_id"] == me),
        ], problems
    if verb is ASK_VERB:
        asked = _of(observed, "help_requests", lambda r: r["person_id"] == me)
        if not asked or asked[0].row["group_id"] != group_id:
            problems.append(f"no help request of the actor to {side.name}'s instructors")
        return [
            ("help_requests", lambda r: r["person_id"] == me and r["group_id"] == group_id),
            ("tutorial_progress", lambda r: r["person_id"] == me),
        ], problems
    if verb is C["leave"]:
        left = _of(observed, "attendance_checkouts", lambda r: r["person_id"] == me)
        if not left or left[0].row["group_id"] != group_id:
            problems.append(f"no check-out of {side.name} for the actor")
        return [
            ("attendance_checkouts", lambda r: r["person_id"] == me and r["group_id"] == group_id),
            ("attendance_changes", lambda r: r["person_id"] == me and r["group_id"] == group_id),
        ], problems
    request: Touch = ("help_requests", lambda r: r["key"] == side.request_key)
    if verb is TAKE_VERB:
        taken = _of(observed, *request)
        if not taken or (taken[0].row["status"], taken[0].row["taken_by"]) != (
            HelpStatus.TAKEN.value,
            me,
        ):
            problems.append(f"{side.name}'s help request was not taken by the actor")
        return [request], problems
    if verb is RESOLVE_VERB:
        done = _of(observed, *request)
        if not done or (done[0].row["status"], done[0].row["resolved_by"]) != (
            HelpStatus.RESOLVED.value,
            me,
        ):
            problems.append(f"{side.name}'s help request was not resolved by the actor")
        return [request], problems
    helped = world.ids[HELPED_A.name]
    if verb in (C["send_tutorial"], SEND_VERB):
        said = [
            text(FI, key, name=HELPED_A.name)
            for key in ("tutorial.send.sent", "tutorial.send.already_sent")
        ]
        if not any(_quoted(s) in shown for s in said):
            problems.append(f"not told that the guide went to {HELPED_A.name}")
        return [("tutorial_progress", lambda r: r["person_id"] == helped)], problems
    if verb in (C["bind"], BIND_VERB):
        if _quoted(text(FI, "bind.already", group="Ryhmä A")) not in shown:
            problems.append("not told that the chat is A's already")
        return [], problems
    raise AssertionError(f"no expectation written for {label(verb)}")


# --- judging a cell ----------------------------------------------------------------------------


def side_for(world: World, lands: Lands, where: Where) -> Side | None:
    """The group an allowed action lands on (None: the actor's own things, or nothing)."""
    if lands is Lands.CHAT:
        return world.a if where is Where.A else world.b
    if lands is Lands.A:
        return world.a
    if lands is Lands.B:
        return world.b
    if lands is Lands.OWN_GROUP:
        return world.a if world.actor in CLIENTS_A else world.b
    return None


def judge(
    world: World, where: Where, verb: Verb, observed: Observed, rules: tuple[Rule, ...] = RULES
) -> list[str]:
    """What is wrong with one cell, by the rules."""
    role = world.role.key
    found: list[str] = []
    if observed.status not in (200, 201):
        found.append(f"HTTP {observed.status}")
    shown = observed.seen_by_actor(world, where)
    if any(_quoted(e) in shown for e in ERRORS):
        found.append("answered with an error")
    granted = allowed(verb, role, where, rules)
    targets = {world.chat(where).id}
    touches: list[Touch] = []
    if granted is not None:
        targets.add(world.own(world.actor))
        side = side_for(world, granted.lands, where)
        if granted.lands is not Lands.READ:
            touches, wrong = effect(world, where, verb, side, observed)
            found += wrong
        if side is not None:
            # an allowed action on a group may reach its chat and its people's 1:1 chats
            targets.add(side.chat.id)
            targets |= {world.own(u) for u in (*side.instructors, *side.clients)}
    unexpected = [
        c for c in observed.changed if not any(c.table == t and ok(c.row) for t, ok in touches)
    ]
    if unexpected:
        what = "refused by the rules, yet changed" if granted is None else "also changed"
        found.append(f"{what}: " + "; ".join(str(c) for c in unexpected))
    found += reached_others(world, observed, targets)
    typed = TYPED[verb] if isinstance(verb, Command) else ""
    exempt = {c.name for c in (*CLIENTS_A, *CLIENTS_B) if c.name in typed}
    may_see = {c.name for s in SEES_NAMES_OF.get(role, ()) for c in world.side(s).clients}
    leaked = names_shown(world, shown, may_see | exempt | {world.actor.name})
    if leaked:
        found.append(f"showed the actor other clients' names {leaked}")
    public = names_shown(world, observed.in_group_chats(world), exempt)
    if public:
        found.append(f"put clients' names {public} into a group chat")
    return found


# --- the cells -------------------------------------------------------------------------------


def card_data(world: World, verb: str) -> dict[str, str]:
    """What the bot's own card would carry for this verb, naming A's objects."""
    a = world.a
    rc = {"rollcall": str(a.roll_call_id)}
    asked = {"round": str(a.feedback_round_id)}
    excuse = {
        "why": "soitti aamulla",  # a correction's reason
        f"p{world.ids[CLIENT_A.name]}": f"{Status.EXCUSED.value}:{Reason.SICK.value}",
        f"p{world.ids[CLIENT_B.name]}": Status.ABSENT.value,  # not on A's list
    }
    data: dict[str, dict[str, str]] = {
        BIND_VERB: {"group": a.key},
        LANGUAGE_VERB: {"language": FI.value},
        AGENDA_VERB: {"day": str(a.day_id), "change": "extend", "minutes": "5"},
        AGENDA_REFRESH_VERB: {"day": str(a.day_id)},
        BACK_VERB: {"day": str(a.day_id), "item": "1"},
        PLAN_VERB: {"plan": PLAN.key},
        GO_VERB: {"e": Event.DONE.value, "t": world.helped_token},
        START_VERB: {},
        ASK_VERB: {},
        HELP_VERB: {},
        RUN_VERB: {"command": C["roll_call"].name},
        SEND_VERB: {"person": str(world.ids[HELPED_A.name])},
        TAKE_VERB: {"request": a.request_key},
        RESOLVE_VERB: {"request": a.request_key},
        HERE_VERB: rc,
        PROBLEM_VERB: rc,
        ROLLCALL_REFRESH_VERB: rc,
        CLOSE_VERB: rc,
        CANCEL_VERB: rc,
        REMIND_VERB: rc,
        LIST_VERB: rc,
        HISTORY_VERB: rc,
        SAVE_VERB: {**rc, **excuse},
        FEEDBACK_SCORE_VERB: {**asked, "score": "5", "anonymous": "false"},
        FEEDBACK_MORE_VERB: {**asked, "good": FEEDBACK_GOOD, "idea": NEW_IDEA, "topics": ""},
        FEEDBACK_SKIP_VERB: asked,
        FEEDBACK_CHANGE_VERB: asked,
        FEEDBACK_IDEA_VERB: {"group": str(a.group_id), "idea": a.idea_key, "do": "used"},
        FEEDBACK_SETTINGS_VERB: {
            "group": str(a.group_id),
            "anonymous": "false",
            "reminder": "false",
        },
        # this month: the real reports read today's roll call, where others have marks too
        OWN_VERB: {"month": TODAY.strftime("%Y-%m"), "person": str(world.ids[CLIENT_A.name])},
        # this month's attendance: both groups' days, each group's clients on them
        EXPORT_VERB: {"kind": "attendance", "format": "csv", "first": "", "last": ""},
        DIGEST_MORE_VERB: {"group": str(a.group_id), "day": TODAY.isoformat(), "section": "absent"},
        # "Correct" under a suggestion of Teams' attendance report (this world has no Graph, so
        # no suggestion: staff are told it is gone, everyone else is refused; nothing is written)
        SUGGEST_VERB: {**rc, "person": str(world.ids[CLIENT_A.name])},
    }
    return {"verb": verb, **data[verb]}


def activity(
    world: World, where: Where, verb: Verb, data: dict[str, str] | None = None
) -> dict[str, Any]:
    conv = world.chat(where)
    if isinstance(verb, Command):
        return message(
            TYPED[verb],
            conversation=conv,
            sender=world.actor,
            service_url=world.connector.url,
            mentions_bot=where is not Where.OWN,
        )
    return invoke_execute(
        verb,
        data or card_data(world, verb),
        conversation=conv,
        sender=world.actor,
        service_url=world.connector.url,
        reply_to_id=CARD_MESSAGE,
    )


async def _update(world: World, table: Table, ids: Iterable[int], **values: Any) -> None:
    async with world.engine.begin() as conn:
        await conn.execute(table.update().where(table.c.id.in_(list(ids))).values(**values))


def _days(world: World) -> tuple[int, int]:
    return world.a.day_id, world.b.day_id


# before these verbs both groups are put where an allowed actor's verb can act: a planned day to
# start, a paused day to resume, a cancelled day to plan again, no roll call open to open one
PREPARE: dict[Verb, Callable[[World], Awaitable[None]]] = {
    C["start_day"]: lambda w: _update(w, GROUP_DAYS, _days(w), status="planned"),
    C["resume"]: lambda w: _update(
        w, GROUP_DAYS, _days(w), status="paused", paused_at=MORNING.astimezone(UTC)
    ),
    PLAN_VERB: lambda w: _update(w, GROUP_DAYS, _days(w), status="cancelled"),
    C["roll_call"]: lambda w: _update(
        w, ROLL_CALLS, (w.a.roll_call_id, w.b.roll_call_id), closed_at=MORNING.astimezone(UTC)
    ),
    RUN_VERB: lambda w: _update(
        w, ROLL_CALLS, (w.a.roll_call_id, w.b.roll_call_id), closed_at=MORNING.astimezone(UTC)
    ),
}
# an allowed one of these makes the agenda timer post at once: let it, before judging
SETTLE = frozenset({C["skip"], PLAN_VERB})


async def run_cell(
    world: World, where: Where, verb: Verb, base: Snapshot, *, b_round: bool = False
) -> list[str]:
    """One cell from the state base; the database is put back to base afterwards. b_round:
    the card names B's feedback round instead of A's, judged by B_ROUND_RULES."""
    data = None
    rules = RULES
    if b_round:
        data = {**card_data(world, str(verb)), "round": str(world.b.feedback_round_id)}
        rules = B_ROUND_RULES
    sent = activity(world, where, verb, data)
    granted = allowed(verb, world.role.key, where, rules)
    settle = 0.3 if granted is not None and verb in SETTLE else 0.0
    observed = await observe(world, sent, base, settle=settle)
    found = judge(world, where, verb, observed, rules)
    if verb is EXPORT_VERB and granted is not None and not found:
        found += await downloaded(world, observed)
    await forget_messages(world, observed)
    if observed.changed:
        await restore(world.engine, base)
    return found


async def downloaded(world: World, observed: Observed) -> list[str]:
    """The file behind an export link the cell made, read with the actor's permissions: a
    coordinator's holds their unit's clients only, an admin's every unit's."""
    try:
        url = str(observed.body["value"]["actions"][0]["url"])
    except (KeyError, IndexError, TypeError):
        return ["the export answer had no link"]
    path = url[url.index("/exports/") :]
    async with world.bot.http.get(world.bot.url + path) as resp:
        if resp.status != 200:
            return [f"the export link answered {resp.status}"]
        shown = (await resp.read()).decode("utf-8-sig")
    may_see = {c.name for s in SEES_NAMES_OF.get(world.role.key, ()) for c in world.side(s).clients}
    missing = [c.name for c in CLIENTS_A if c.name not in shown]
    leaked = [c.name for c in (*CLIENTS_A, *CLIENTS_B) if c.name in shown and c.name not in may_see]
    found = [f"the export file lacks {missing}"] if missing else []
    if world.role.key == "admin" and not all(c.name in shown for c in CLIENTS_B):
        found.append("the admin's export file lacks B's clients")
    if leaked:
        found.append(f"the export file holds {leaked}")
    return found


async def stale_cell(world: World, where: Where, verb: str, how: str) -> list[str]:
    """A card verb whose data no card sent to this conversation carried: refused as stale."""
    conv = world.chat(where)
    data = card_data(world, verb)
    if how == "signed for another chat":
        other = world.b.chat if where is Where.A else world.a.chat
        carrier = invoke_execute(
            verb, data, conversation=other, sender=world.actor, service_url=world.connector.url
        )
        data = world.bot.sign(carrier)["value"]["action"]["data"]
    sent = invoke_execute(
        verb,
        data,
        conversation=conv,
        sender=world.actor,
        service_url=world.connector.url,
        reply_to_id=CARD_MESSAGE,
    )
    observed = await observe(world, sent, None, signed=False)
    found: list[str] = []
    value = observed.body.get("value") if isinstance(observed.body, dict) else None
    if observed.status != 200 or value != STALE:
        found.append(f"answered {observed.status} {str(value)[:120]!r}, not {STALE!r}")
    found += reached_others(world, observed, {conv.id})
    await forget_messages(world, observed)
    return found


# --- the test ----------------------------------------------------------------------------------


@pytest.fixture(params=ROLES, ids=lambda r: r.key)
async def world(
    request: pytest.FixtureRequest, database_url: str, tmp_path: Path
) -> AsyncIterator[World]:
    """The arranged world, acted on by one role."""
    role: Role = request.param
    clock = ScaledClock(MORNING.astimezone(UTC), 1.0)
    settings = Settings(port=free_port(), database_url=database_url, cache_seconds=0.0)
    bot = await start_bot(settings, clock=clock)
    engine = create_engine(database_url)
    try:
        with FakeConnector() as connector:
            a_chat = Conv.meeting_chat() if role.meeting_role else Conv.group_chat()
            arranged = World(
                bot,
                connector,
                engine,
                role,
                a=Side("A", "ryhma-a", 0, a_chat, (INSTRUCTOR_A,), CLIENTS_A),
                b=Side("B", "ryhma-b", 0, Conv.group_chat(), (INSTRUCTOR_B,), CLIENTS_B),
            )
            await arrange(arranged, tmp_path / "org.yaml")
            yield arranged
    finally:
        await engine.dispose()
        await stop_bot(bot)


async def test_each_role_changes_only_what_the_rules_allow_and_stale_cards_nothing(
    world: World,
) -> None:
    problems: list[str] = []
    baseline = await snapshot(world.engine)
    for verb in VERBS:
        prepare = PREPARE.get(verb)
        base = baseline
        if prepare is not None:
            await prepare(world)
            base = await snapshot(world.engine)
        for where in Where:
            found = await run_cell(world, where, verb, base)
            if found:
                problems.append(
                    f"{world.role.key} × {where.value} × {label(verb)}: " + " | ".join(found)
                )
        if prepare is not None:
            await restore(world.engine, baseline)
    for answer in ANSWERS_IN_ORDER:
        for where in Where:
            found = await run_cell(world, where, answer, baseline, b_round=True)
            if found:
                cell = f"{world.role.key} × {where.value} × {answer} on B's round"
                problems.append(f"{cell}: " + " | ".join(found))

    for where in Where:
        for how in ("made up by hand", "signed for another chat"):
            before = await snapshot(world.engine)
            for verb in CARD_VERBS:
                found = await stale_cell(world, where, verb, how)
                if found:
                    cell = f"{world.role.key} × {where.value} × {verb} ({how})"
                    problems.append(f"{cell}: " + " | ".join(found))
            after = await snapshot(world.engine)
            if changes(before, after):
                changed = "; ".join(str(c) for c in changes(before, after))
                problems.append(
                    f"{world.role.key} × {where.value} × stale cards ({how}): {changed}"
                )
                await restore(world.engine, before)
    assert not problems, f"{len(problems)} cells disagree with the rules:\n" + "\n".join(problems)
