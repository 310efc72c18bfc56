"""Roll-call and attendance cards (cards/rollcall.py) in every language.

What they pin down: clients never see other clients' names, instructors get their view through
refresh.userIds, every button works on old clients too (Action.Submit fallback) and says what
it does in words, the attendance list is one choice per person that parses back, and a big
group's list still fits in a message.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from cards.payload import parse_action
from cards.rollcall import (
    CANCEL_VERB,
    CHOICES,
    CLOSE_VERB,
    HERE_VERB,
    HISTORY_VERB,
    LIST_VERB,
    PROBLEM_VERB,
    REFRESH_VERB,
    REMIND_VERB,
    SAVE_VERB,
    RollCallCardRenderer,
    choice_value,
    clock,
    day_text,
    parse_choice,
    status_text,
)
from domain.i18n import CATALOGS, forms, placeholders, text
from domain.org import Group, Language, Person
from domain.rollcall.model import (
    Change,
    Checkout,
    FullDayRule,
    Mark,
    Reason,
    RollCall,
    Status,
    day_record,
)
from domain.rollcall.views import (
    AttendanceView,
    ClientView,
    Count,
    InstructorView,
    PersonDay,
    SharedView,
)
from tests.unit.test_cards import assert_adaptive_card, has_words, visible_texts

RENDERER = RollCallCardRenderer()
HELSINKI = ZoneInfo("Europe/Helsinki")
T0 = datetime(2026, 3, 5, 7, 0, tzinfo=UTC)  # 9.00 in Helsinki
DAY = date(2026, 3, 5)
LANGUAGES = list(Language)
MAX_CARD_BYTES = 80 * 1024  # Microsoft: keep bot messages within 80 KB (limit 100 KB)

GROUP = Group(key="it-ryhma", unit_key="it", name="IT-ryhmä", id=10)
CLIENTS = tuple(
    Person(name, teams_id=f"29:{i}", id=100 + i)
    for i, name in enumerate(
        ["Jari Mäkinen", "Sari Heikkinen", "Erkki Esimerkki", "Sara Lind", "Ville Vieras"]
    )
)
JARI, SARI, ERKKI, SARA, VILLE = CLIENTS
INSTRUCTORS = ("29:maija", "29:tuula")
OPEN = RollCall(
    group_id=10,
    day=DAY,
    number=1,
    conversation_id="19:it@thread.v2",
    opened_at=T0,
    closes_at=T0 + timedelta(minutes=30),
    id=7,
)
CLOSED = replace(OPEN, closed_at=T0 + timedelta(minutes=30, seconds=5))
SECOND = replace(OPEN, number=2, opened_at=T0 + timedelta(hours=4), id=8)


def group(language: Language) -> Group:
    return replace(GROUP, language=language)


def shared(
    language: Language = Language.FI,
    roll_call: RollCall = OPEN,
    instructors: tuple[str, ...] = INSTRUCTORS,
) -> SharedView:
    return SharedView(roll_call, group(language), Count(here=2, expected=4, guests=1), instructors)


def mark(person: Person, status: Status, minutes: int = 2, **kw: Any) -> Mark:
    assert person.id is not None
    return Mark(OPEN.id or 0, person.id, status, T0 + timedelta(minutes=minutes), **kw)


def instructor_view(language: Language, roll_call: RollCall = OPEN) -> InstructorView:
    return InstructorView(
        shared=shared(language, roll_call),
        missing=(ERKKI,),
        late=((SARI, T0 + timedelta(minutes=13)),),
        excused=((SARA, Reason.SICK),),
        guests=(VILLE,),
        language=language,
    )


def person_day(
    person: Person,
    marks: tuple[Mark | None, ...],
    checkout: Checkout | None = None,
    guest: bool = False,
) -> PersonDay:
    record = day_record(
        person.id or 0,
        [m.status if m else None for m in marks],
        checkout,
        None,
        FullDayRule.FIRST_AND_LAST,
    )
    return PersonDay(person, marks, record, guest)


def attendance_view(
    language: Language, editable: bool = True, people: tuple[PersonDay, ...] | None = None
) -> AttendanceView:
    if people is None:
        people = (
            person_day(JARI, (mark(JARI, Status.PRESENT),)),
            person_day(SARI, (mark(SARI, Status.LATE, 14),)),
            person_day(ERKKI, (mark(ERKKI, Status.ABSENT, 30),)),
            person_day(SARA, (mark(SARA, Status.EXCUSED, 5, reason=Reason.SICK),)),
            person_day(
                VILLE,
                (mark(VILLE, Status.PRESENT, 3, guest=True),),
                Checkout(10, DAY, VILLE.id or 0, T0 + timedelta(hours=2)),
                guest=True,
            ),
        )
    return AttendanceView(
        group=group(language),
        day=DAY,
        roll_calls=(CLOSED,),
        people=people,
        changes=(),
        editable=editable,
        language=language,
    )


def history_view(
    language: Language, changes: tuple[tuple[Change, str, str | None], ...]
) -> AttendanceView:
    return replace(attendance_view(language), changes=changes)


def buttons(card: dict[str, Any]) -> list[dict[str, Any]]:
    return list(card.get("actions", []))


def verbs(card: dict[str, Any]) -> list[str]:
    return [a["verb"] for a in buttons(card) if a["type"] == "Action.Execute"]


def elements(items: list[dict[str, Any]]) -> Iterator[dict[str, Any]]:
    for item in items:
        yield item
        for key in ("items", "columns"):
            if isinstance(item.get(key), list):
                yield from elements(item[key])


def choice_sets(card: dict[str, Any]) -> list[dict[str, Any]]:
    return [e for e in elements(card["body"]) if e["type"] == "Input.ChoiceSet"]


def every_card(language: Language) -> dict[str, dict[str, Any]]:
    changes = (
        (Change(10, DAY, JARI.id or 0, T0, Status.PRESENT, by=JARI.id), JARI.name, JARI.name),
        (Change(10, DAY, ERKKI.id or 0, T0, Status.ABSENT), ERKKI.name, None),
    )
    return {
        "shared": RENDERER.shared(shared(language)),
        "shared closed": RENDERER.shared(shared(language, CLOSED)),
        "shared second": RENDERER.shared(shared(language, SECOND)),
        "shared no instructors": RENDERER.shared(shared(language, instructors=())),
        "client none": RENDERER.client(ClientView(shared(language), None, language)),
        "client present": RENDERER.client(
            ClientView(shared(language), mark(JARI, Status.PRESENT), language)
        ),
        "client late": RENDERER.client(
            ClientView(shared(language), mark(JARI, Status.LATE, 20), language)
        ),
        "client guest": RENDERER.client(
            ClientView(shared(language), mark(VILLE, Status.PRESENT, guest=True), language)
        ),
        "client absent": RENDERER.client(
            ClientView(shared(language, CLOSED), mark(JARI, Status.ABSENT, 30), language)
        ),
        "reminder": RENDERER.reminder(language, shared(language)),
        "instructor": RENDERER.instructor(instructor_view(language)),
        "instructor closed": RENDERER.instructor(instructor_view(language, CLOSED)),
        "attendance": RENDERER.attendance(attendance_view(language), CLOSED),
        "attendance read only": RENDERER.attendance(attendance_view(language, False), CLOSED),
        "attendance empty": RENDERER.attendance(
            replace(attendance_view(language), roll_calls=(), people=()), None
        ),
        "history": RENDERER.history(history_view(language, changes), CLOSED),
        "history empty": RENDERER.history(history_view(language, ()), CLOSED),
    }


CARD_NAMES = list(every_card(Language.FI))
BY_LANGUAGE_AND_CARD = [(lang, name) for lang in LANGUAGES for name in CARD_NAMES]
# nothing to act on: no roll call today, so no list to correct
WITHOUT_BUTTONS = {"attendance empty"}
WITH_BUTTONS = [(lang, name) for lang, name in BY_LANGUAGE_AND_CARD if name not in WITHOUT_BUTTONS]


# --- every card --------------------------------------------------------------------------------


@pytest.mark.parametrize(("language", "name"), BY_LANGUAGE_AND_CARD)
def test_every_card_is_an_adaptive_card_with_speak_text(language: Language, name: str) -> None:
    card = every_card(language)[name]
    assert_adaptive_card(card)
    assert isinstance(card.get("speak"), str)
    assert card["speak"].strip()
    for shown in visible_texts(card):
        assert "{" not in shown, f"unfilled placeholder in {shown!r}"


@pytest.mark.parametrize("language", LANGUAGES, ids=str)
def test_only_the_empty_attendance_list_has_no_buttons(language: Language) -> None:
    cards = every_card(language)
    assert {name for name, card in cards.items() if not buttons(card)} == WITHOUT_BUTTONS


@pytest.mark.parametrize(("language", "name"), WITH_BUTTONS)
def test_every_button_has_words_and_a_submit_fallback_with_the_same_data(
    language: Language, name: str
) -> None:
    card = every_card(language)[name]
    assert buttons(card), f"the {name} card has no buttons to check"
    for action in buttons(card):
        assert has_words(action["title"]), action["title"]
        assert sum(ch.isalpha() for ch in action["title"]) >= 2, action["title"]
        assert action["type"] == "Action.Execute"
        fallback = action["fallback"]
        assert fallback["type"] == "Action.Submit"
        assert fallback["data"] == action["data"]
        assert fallback["title"] == action["title"]
        assert fallback.get("style") == action.get("style")
        parsed = parse_action(action["data"])
        assert parsed.verb == action["verb"]
        assert parse_action(fallback["data"]) == parsed
        assert parsed.data["rollcall"].isdigit()


# --- what clients see --------------------------------------------------------------------------


def _json(card: dict[str, Any]) -> str:
    return json.dumps(card, ensure_ascii=False)


@pytest.mark.parametrize("language", LANGUAGES, ids=str)
def test_the_shared_card_has_no_names_only_the_count(language: Language) -> None:
    for view in (shared(language), shared(language, CLOSED), shared(language, SECOND)):
        card = RENDERER.shared(view)
        dumped = _json(card)
        for person in CLIENTS:
            assert person.name not in dumped
        count = text(language, "rollcall.count", here=2, expected=4)
        assert count in list(visible_texts(card))
        assert verbs(card) == [HERE_VERB, PROBLEM_VERB]
    # the check would see names put on it: the instructor view has the listed ones
    listed = _json(RENDERER.instructor(instructor_view(language)))
    assert all(p.name in listed for p in (SARI, ERKKI, SARA, VILLE))


# A client's own view never names anyone else: a ClientView carries no names, so that is
# tested where the names are, through the tap and refresh handlers over a roll call with
# everyone on it (test_rollcall_service.py, test_a_clients_own_view_never_names_anyone_else).


@pytest.mark.parametrize("language", LANGUAGES, ids=str)
@pytest.mark.parametrize("status", [Status.PRESENT, Status.LATE, Status.ABSENT, Status.EXCUSED])
def test_a_clients_view_keeps_the_check_in_and_problem_buttons(
    language: Language, status: Status
) -> None:
    card = RENDERER.client(ClientView(shared(language), mark(JARI, status, 15), language))
    assert verbs(card) == [HERE_VERB, PROBLEM_VERB]


@pytest.mark.parametrize("language", LANGUAGES, ids=str)
def test_a_clients_view_shows_their_own_status_and_time(language: Language) -> None:
    late = RENDERER.client(ClientView(shared(language), mark(JARI, Status.LATE, 13), language))
    assert text(
        language, "rollcall.own.late", time=clock(language, T0 + timedelta(minutes=13), HELSINKI)
    ) in list(visible_texts(late))
    none = RENDERER.client(ClientView(shared(language), None, language))
    assert text(language, "rollcall.own.none") in list(visible_texts(none))


# --- refresh for instructors -------------------------------------------------------------------


@pytest.mark.parametrize("language", LANGUAGES, ids=str)
def test_the_shared_card_refreshes_for_the_instructors(language: Language) -> None:
    card = RENDERER.shared(shared(language))
    refresh = card["refresh"]
    assert refresh["userIds"] == list(INSTRUCTORS)
    action = refresh["action"]
    assert action["type"] == "Action.Execute"
    assert action["verb"] == REFRESH_VERB
    assert parse_action(action["data"]).data == {"rollcall": str(OPEN.id)}
    assert parse_action(action["data"]).verb == REFRESH_VERB


def test_refresh_names_at_most_sixty_instructors() -> None:
    many = tuple(f"29:instructor-{i}" for i in range(75))
    card = RENDERER.shared(shared(instructors=many))
    assert card["refresh"]["userIds"] == list(many[:60])


def test_without_instructors_there_is_no_refresh() -> None:
    assert "refresh" not in RENDERER.shared(shared(instructors=()))


def test_a_clients_view_keeps_the_refresh_for_the_instructors() -> None:
    card = RENDERER.client(ClientView(shared(), mark(JARI, Status.PRESENT), Language.FI))
    assert card["refresh"]["userIds"] == list(INSTRUCTORS)


# --- the instructors' view ---------------------------------------------------------------------


@pytest.mark.parametrize("language", LANGUAGES, ids=str)
def test_the_instructor_view_lists_missing_late_excused_and_guests(language: Language) -> None:
    card = RENDERER.instructor(instructor_view(language))
    shown = list(visible_texts(card))
    assert text(language, "rollcall.missing", n=1) in shown
    assert ERKKI.name in shown
    assert text(language, "rollcall.late", n=1) in shown
    assert f"{SARI.name} {clock(language, T0 + timedelta(minutes=13), HELSINKI)}" in shown
    assert text(language, "rollcall.excused", n=1) in shown
    sick = status_text(language, Status.EXCUSED, Reason.SICK)
    assert f"{SARA.name} ({sick})" in shown
    assert text(language, "rollcall.guests", n=1) in shown
    assert VILLE.name in shown
    assert text(language, "rollcall.guests.hint") in shown
    assert text(language, "rollcall.everyone_here") not in shown


@pytest.mark.parametrize("language", LANGUAGES, ids=str)
def test_remind_and_close_only_while_the_roll_call_is_open(language: Language) -> None:
    assert verbs(RENDERER.instructor(instructor_view(language))) == [
        REMIND_VERB,
        CLOSE_VERB,
        LIST_VERB,
        CANCEL_VERB,
    ]
    closed = RENDERER.instructor(instructor_view(language, CLOSED))
    assert verbs(closed) == [LIST_VERB, CANCEL_VERB]
    when = clock(language, CLOSED.closed_at or T0, HELSINKI)
    assert text(language, "rollcall.closed", time=when) in list(visible_texts(closed))


def test_when_nobody_is_missing_the_instructors_are_told_so() -> None:
    view = replace(instructor_view(Language.EN), missing=(), late=(), excused=(), guests=())
    shown = list(visible_texts(RENDERER.instructor(view)))
    assert text(Language.EN, "rollcall.everyone_here") in shown
    assert not any(s.startswith(text(Language.EN, "rollcall.missing", n=0)[:5]) for s in shown)


# --- the attendance list -----------------------------------------------------------------------


@pytest.mark.parametrize("language", LANGUAGES, ids=str)
def test_an_editable_list_has_one_choice_per_person_that_parses_back(
    language: Language,
) -> None:
    view = attendance_view(language)
    card = RENDERER.attendance(view, CLOSED)
    sets = choice_sets(card)
    assert [s["id"] for s in sets] == [f"p{line.person.id}" for line in view.people]
    expected_current = {
        f"p{JARI.id}": (Status.PRESENT, None),
        f"p{SARI.id}": (Status.LATE, None),
        f"p{ERKKI.id}": (Status.ABSENT, None),
        f"p{SARA.id}": (Status.EXCUSED, Reason.SICK),
        f"p{VILLE.id}": (Status.LEFT_EARLY, None),  # checked out: the list says so
    }
    for choice_set in sets:
        values = [c["value"] for c in choice_set["choices"]]
        assert len(values) == len(set(values)) == len(CHOICES)
        assert [parse_choice(v) for v in values] == list(CHOICES)
        assert all(has_words(c["title"]) for c in choice_set["choices"])
        assert choice_set["value"] in values
        assert parse_choice(choice_set["value"]) == expected_current[choice_set["id"]]
        assert has_words(choice_set["label"])
    assert SAVE_VERB in verbs(card)
    save = next(a for a in buttons(card) if a["verb"] == SAVE_VERB)
    assert parse_action(save["data"]).data == {"rollcall": str(CLOSED.id)}
    # what Teams sends back when saving: the button's data and every choice
    submitted = {**save["data"], **{s["id"]: s["value"] for s in sets}}
    assert set(parse_action(submitted).data) == {"rollcall"} | {s["id"] for s in sets}


def test_someone_without_a_mark_has_nothing_preselected() -> None:
    view = attendance_view(Language.FI, people=(person_day(JARI, (None,)),))
    (choice_set,) = choice_sets(RENDERER.attendance(view, CLOSED))
    assert choice_set["value"] == ""


@pytest.mark.parametrize("language", LANGUAGES, ids=str)
def test_a_read_only_list_has_no_choices_and_no_save(language: Language) -> None:
    card = RENDERER.attendance(attendance_view(language, editable=False), CLOSED)
    assert choice_sets(card) == []
    assert SAVE_VERB not in verbs(card)
    assert HISTORY_VERB in verbs(card)
    shown = "\n".join(visible_texts(card))
    for person in CLIENTS:
        assert person.name in shown


def test_a_list_without_roll_calls_has_no_choices() -> None:
    view = replace(attendance_view(Language.FI), roll_calls=())
    card = RENDERER.attendance(view, None)
    assert choice_sets(card) == []
    assert text(Language.FI, "attendance.no_roll_calls") in list(visible_texts(card))


def test_the_list_links_to_the_days_other_roll_calls() -> None:
    view = replace(attendance_view(Language.EN), roll_calls=(CLOSED, SECOND))
    card = RENDERER.attendance(view, CLOSED)
    lists = [parse_action(a["data"]) for a in buttons(card) if a["verb"] == LIST_VERB]
    assert [a.data["rollcall"] for a in lists] == [str(SECOND.id)]


@pytest.mark.parametrize("language", LANGUAGES, ids=str)
def test_the_list_shows_statuses_times_check_outs_and_full_days(language: Language) -> None:
    card = RENDERER.attendance(attendance_view(language), CLOSED)
    shown = "\n".join(visible_texts(card))
    assert text(language, "attendance.guest", name=VILLE.name) in shown
    assert (
        text(language, "attendance.left", time=clock(language, T0 + timedelta(hours=2), HELSINKI))
        in shown
    )
    assert status_text(language, Status.EXCUSED, Reason.SICK) in shown
    assert clock(language, T0 + timedelta(minutes=14), HELSINKI) in shown
    assert text(language, "attendance.full_days", n=2, total=5) in shown


def test_a_list_of_forty_people_with_four_roll_calls_stays_small_enough() -> None:
    people = tuple(
        Person(f"Asiakas Pitkänimi-Esimerkkinen {i:02d}", teams_id=f"29:{i}", id=1000 + i)
        for i in range(40)
    )
    roll_calls = tuple(replace(OPEN, number=n, id=n, closed_at=T0) for n in range(1, 5))
    lines = tuple(
        person_day(
            p,
            tuple(
                Mark(rc.id or 0, p.id or 0, Status.EXCUSED, T0, reason=Reason.APPOINTMENT)
                for rc in roll_calls
            ),
            Checkout(10, DAY, p.id or 0, T0 + timedelta(hours=3)),
        )
        for p in people
    )
    for language in LANGUAGES:
        view = replace(attendance_view(language, people=lines), roll_calls=roll_calls)
        card = RENDERER.attendance(view, roll_calls[0])
        assert_adaptive_card(card)
        assert len(choice_sets(card)) == 40
        # Teams counts a bot message's size in UTF-16 (teams-facts.md: stay within 80 KB); the
        # connector sends JSON without spaces
        sent = json.dumps(card, ensure_ascii=False, separators=(",", ":"))
        size = len(sent.encode("utf-16-le"))
        assert size < MAX_CARD_BYTES, f"{language}: {size} bytes"


# --- history -----------------------------------------------------------------------------------


@pytest.mark.parametrize("language", LANGUAGES, ids=str)
def test_history_lists_every_change_with_who_and_why(language: Language) -> None:
    at = T0 + timedelta(minutes=31)
    changes = (
        (Change(10, DAY, ERKKI.id or 0, at, Status.ABSENT), ERKKI.name, None),
        (
            Change(
                10,
                DAY,
                ERKKI.id or 0,
                at + timedelta(minutes=2),
                Status.EXCUSED,
                before=Status.ABSENT,
                by=1,
                reason=Reason.TECHNICAL,
            ),
            ERKKI.name,
            "Maija Virtanen",
        ),
    )
    card = RENDERER.history(history_view(language, changes), CLOSED)
    shown = list(visible_texts(card))
    first = text(
        language,
        "attendance.history.line",
        time=clock(language, at, HELSINKI),
        name=ERKKI.name,
        before="–",
        after=status_text(language, Status.ABSENT),
        by=text(language, "attendance.history.system"),
    )
    second = text(
        language,
        "attendance.history.line",
        time=clock(language, at + timedelta(minutes=2), HELSINKI),
        name=ERKKI.name,
        before=status_text(language, Status.ABSENT),
        after=status_text(language, Status.EXCUSED, Reason.TECHNICAL),
        by="Maija Virtanen",
    )
    assert first in shown
    assert second in shown
    assert shown.index(first) < shown.index(second)
    assert verbs(card) == [LIST_VERB]


def test_history_without_changes_says_so() -> None:
    card = RENDERER.history(history_view(Language.SV, ()), CLOSED)
    assert text(Language.SV, "attendance.history.none") in list(visible_texts(card))


# --- time, dates and words ---------------------------------------------------------------------


@pytest.mark.parametrize(
    "moment",
    [
        datetime(2026, 1, 15, 7, 3, tzinfo=UTC),  # winter, UTC+2
        datetime(2026, 3, 28, 7, 3, tzinfo=UTC),  # the day before summer time
        datetime(2026, 3, 29, 6, 3, tzinfo=UTC),  # the first day of summer time, UTC+3
        datetime(2026, 7, 1, 6, 3, tzinfo=UTC),  # summer
        datetime(2026, 10, 25, 7, 3, tzinfo=UTC),  # the first day of winter time again
    ],
    ids=["winter", "before-dst", "dst-starts", "summer", "dst-ends"],
)
def test_clock_writes_times_as_people_do_in_helsinki(moment: datetime) -> None:
    assert clock(Language.FI, moment, HELSINKI) == "9.03"
    assert clock(Language.SV, moment, HELSINKI) == "9.03"
    assert clock(Language.EN, moment, HELSINKI) == "9:03"


def test_clock_pads_minutes_but_not_hours() -> None:
    assert clock(Language.FI, datetime(2026, 3, 5, 12, 45, tzinfo=UTC), HELSINKI) == "14.45"
    assert clock(Language.EN, datetime(2026, 3, 5, 22, 0, tzinfo=UTC), HELSINKI) == "0:00"


def test_day_text() -> None:
    assert day_text(Language.FI, date(2026, 12, 3)) == "3.12.2026"
    assert day_text(Language.SV, date(2026, 3, 5)) == "5.3.2026"
    assert day_text(Language.EN, date(2026, 12, 3)) == "3 Dec 2026"


def test_choice_values_round_trip_and_nothing_else_parses() -> None:
    for status, reason in CHOICES:
        assert parse_choice(choice_value(status, reason)) == (status, reason)
    assert choice_value(Status.EXCUSED, Reason.SICK) == "excused:sick"
    for junk in ("", "excused", "here", "present:sick", "PRESENT", "excused:flu"):
        assert parse_choice(junk) is None


@pytest.mark.parametrize("language", LANGUAGES, ids=str)
def test_status_texts_exist_for_every_status_and_reason(language: Language) -> None:
    words = {status_text(language, s) for s in Status} | {status_text(language, None)}
    assert len(words) == len(Status) + 1
    reasons = {status_text(language, Status.EXCUSED, r) for r in Reason}
    assert len(reasons) == len(Reason)
    # a reason goes only with excused
    assert status_text(language, Status.ABSENT, Reason.SICK) == status_text(language, Status.ABSENT)


ROLLCALL_KEYS = sorted(
    k for k in CATALOGS[Language.FI] if k.startswith(("rollcall.", "attendance."))
)


@pytest.mark.parametrize("key", ROLLCALL_KEYS)
def test_every_roll_call_text_exists_in_finnish_swedish_and_english(key: str) -> None:
    fi = CATALOGS[Language.FI][key]
    for language in (Language.SV, Language.EN):
        assert key in CATALOGS[language], f"{key} missing in {language}"
        assert placeholders(CATALOGS[language][key]) == placeholders(fi), key
        assert all(form.strip() for form in forms(CATALOGS[language][key]))


def test_the_languages_really_differ_on_the_buttons() -> None:
    titles = {
        language: [a["title"] for a in buttons(RENDERER.shared(shared(language)))]
        for language in LANGUAGES
    }
    assert len({tuple(t) for t in titles.values()}) == len(LANGUAGES)


# --- a cancelled roll call, the day not over, the reason for a correction -------------------------

MAIJA = Person("Maija Virtanen", teams_id="29:maija", id=1)
CANCELLED = replace(CLOSED, cancelled_at=T0 + timedelta(minutes=40), cancelled_by=MAIJA.id)


@pytest.mark.parametrize("language", LANGUAGES, ids=str)
def test_a_cancelled_roll_call_says_so_and_offers_nothing_to_tap(language: Language) -> None:
    when = clock(language, T0 + timedelta(minutes=40), HELSINKI)
    said = text(language, "rollcall.cancelled", time=when)
    for built in (
        RENDERER.shared(shared(language, CANCELLED)),
        RENDERER.client(ClientView(shared(language, CANCELLED), None, language)),
        RENDERER.reminder(language, shared(language, CANCELLED)),
    ):
        assert not verbs(built) or verbs(built) == []
        assert HERE_VERB not in _json(built)
    assert said in list(visible_texts(RENDERER.shared(shared(language, CANCELLED))))
    view = RENDERER.instructor(instructor_view(language, CANCELLED))
    assert verbs(view) == [LIST_VERB]
    assert ERKKI.name not in _json(view)  # nothing of it counts: no names either


@pytest.mark.parametrize("language", LANGUAGES, ids=str)
def test_the_list_of_a_cancelled_roll_call_is_read_only_and_says_why(language: Language) -> None:
    view = replace(attendance_view(language), roll_calls=(CANCELLED,))
    card = RENDERER.attendance(view, CANCELLED)
    assert choice_sets(card) == []
    assert SAVE_VERB not in verbs(card)
    when = clock(language, T0 + timedelta(minutes=40), HELSINKI)
    assert text(language, "attendance.cancelled", time=when) in list(visible_texts(card))


@pytest.mark.parametrize("language", LANGUAGES, ids=str)
def test_before_the_day_is_over_the_list_says_on_the_way(language: Language) -> None:
    people = tuple(
        replace(line, record=replace(line.record, full_day=False, on_the_way=line.record.full_day))
        for line in attendance_view(language).people
    )
    view = replace(attendance_view(language), people=people, over=False)
    shown = list(visible_texts(RENDERER.attendance(view, CLOSED)))
    assert text(language, "attendance.on_the_way_days", n=2, total=5) in shown
    jari = next(s for s in shown if s.startswith(f"**{JARI.name}**"))
    assert jari.endswith(text(language, "attendance.full_day.on_the_way"))


@pytest.mark.parametrize("language", LANGUAGES, ids=str)
def test_an_editable_list_asks_for_the_reason(language: Language) -> None:
    card = RENDERER.attendance(attendance_view(language), CLOSED)
    fields = [e for e in elements(card["body"]) if e["type"] == "Input.Text"]
    assert [(f["id"], f["label"], f["maxLength"]) for f in fields] == [
        ("why", text(language, "attendance.reason_label"), 300)
    ]
    read_only = RENDERER.attendance(attendance_view(language, editable=False), CLOSED)
    assert not [e for e in elements(read_only["body"]) if e["type"] == "Input.Text"]


@pytest.mark.parametrize("language", LANGUAGES, ids=str)
def test_history_shows_a_corrections_reason_and_a_cancelled_roll_call(language: Language) -> None:
    change = Change(10, DAY, JARI.id or 0, T0, Status.PRESENT, Status.ABSENT, MAIJA.id, 7)
    view = replace(
        history_view(language, ((replace(change, note="soitti"), JARI.name, MAIJA.name),)),
        cancelled=((CANCELLED, MAIJA.name),),
    )
    shown = list(visible_texts(RENDERER.history(view, CLOSED)))
    assert any(
        s.endswith(text(language, "attendance.history.with_reason", line="", note="soitti"))
        for s in shown
    )
    assert (
        text(
            language,
            "attendance.history.cancelled",
            time=clock(language, T0 + timedelta(minutes=40), HELSINKI),
            title=text(language, "rollcall.title"),
            by=MAIJA.name,
        )
        in shown
    )
