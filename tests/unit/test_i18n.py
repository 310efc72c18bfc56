"""Tests for the message catalogs and locale mapping (domain/i18n.py, domain/locales/)."""

from __future__ import annotations

import importlib
import re
import sys
import unicodedata
from datetime import UTC, date, datetime
from pathlib import Path
from types import ModuleType
from zoneinfo import ZoneInfo

import pytest

from bot.features import registry as default_registry
from dialogs.commands import normalise
from domain.i18n import (
    CATALOGS,
    clock,
    date_text,
    decimal,
    forms,
    language_for_locale,
    load_catalogs,
    placeholders,
    text,
)
from domain.org import Language

ALL_KEYS = sorted(set().union(*(catalog.keys() for catalog in CATALOGS.values())))
ENTRIES = [(language, key, value) for language, c in CATALOGS.items() for key, value in c.items()]
ZONE = ZoneInfo("Europe/Helsinki")

# Characters a reader cannot see but a screen reader, search or copy-paste trips over.
ALLOWED_CONTROL = {"\n"}


def _invisible(value: str) -> list[str]:
    found = []
    for ch in value:
        category = unicodedata.category(ch)
        if ch in ALLOWED_CONTROL:
            continue
        if category in {"Cf", "Cc", "Co", "Cn", "Zl", "Zp"} or (category == "Zs" and ch != " "):
            found.append(f"U+{ord(ch):04X} {unicodedata.name(ch, '?')}")
    return found


def test_every_language_has_a_catalog() -> None:
    assert set(CATALOGS) == set(Language)


@pytest.mark.parametrize("language", list(Language))
def test_every_catalog_has_every_key(language: Language) -> None:
    missing = sorted(set(ALL_KEYS) - set(CATALOGS[language]))
    assert missing == [], f"{language.value} catalog lacks {missing}"


@pytest.mark.parametrize("key", ALL_KEYS)
def test_placeholders_are_the_same_in_every_language(key: str) -> None:
    found = {language: placeholders(c[key]) for language, c in CATALOGS.items() if key in c}
    assert len(set(map(frozenset, found.values()))) == 1, f"{key}: {found}"


@pytest.mark.parametrize(("language", "key", "value"), ENTRIES)
def test_no_text_is_empty(language: Language, key: str, value: str) -> None:
    assert all(form.strip() for form in forms(value)), f"{language.value}:{key} is empty"


@pytest.mark.parametrize(("language", "key", "value"), ENTRIES)
def test_no_text_has_invisible_characters(language: Language, key: str, value: str) -> None:
    assert [_invisible(form) for form in forms(value)] == [[]] * len(forms(value)), key


def test_invisible_character_check_catches_soft_hyphen_and_zero_width_space() -> None:
    assert _invisible("ryhmä\u00adpäivä")
    assert _invisible("apua\u200b")
    assert _invisible("hei\u00a0kaikki")
    assert _invisible("tavallinen teksti\nrivi") == []


def test_text_fills_parameters() -> None:
    assert text(Language.FI, "bind.done", group="IT-paja") == (
        "Valmis. Tämä keskustelu kuuluu nyt ryhmälle IT-paja."
    )
    assert "IT-paja" in text(Language.SV, "bind.done", group="IT-paja")
    assert "IT-paja" in text(Language.EN, "bind.done", group="IT-paja")


def test_text_without_parameters_is_the_catalog_text() -> None:
    assert text(Language.EN, "unknown") == CATALOGS[Language.EN]["unknown"]


def test_text_falls_back_to_finnish_for_a_missing_key(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delitem(CATALOGS[Language.SV], "unknown")
    assert text(Language.SV, "unknown") == CATALOGS[Language.FI]["unknown"]


def test_placeholders_lists_named_parameters() -> None:
    assert placeholders("{group} ({unit}) – x") == {"group", "unit"}
    assert placeholders("no parameters") == set()


@pytest.mark.parametrize(
    ("locale", "expected"),
    [
        ("fi-FI", Language.FI),
        ("sv-FI", Language.SV),
        ("sv-SE", Language.SV),
        ("en-US", Language.EN),
        ("en_GB", Language.EN),
        ("FI", Language.FI),
        ("EN-gb", Language.EN),
        (None, None),
        ("", None),
        ("de-DE", None),
        ("fil-PH", None),
    ],
)
def test_language_for_locale(locale: str | None, expected: Language | None) -> None:
    assert language_for_locale(locale) is expected


def _locale_package(tmp_path: Path, name: str, files: dict[str, str]) -> ModuleType:
    root = tmp_path / name
    root.mkdir()
    (root / "__init__.py").write_text("")
    for module, body in files.items():
        (root / f"{module}.py").write_text(body)
    sys.path.insert(0, str(tmp_path))
    try:
        return importlib.import_module(name)
    finally:
        sys.path.remove(str(tmp_path))


def test_a_features_text_modules_are_found_without_being_listed(tmp_path: Path) -> None:
    package = _locale_package(
        tmp_path,
        "locales_found",
        {
            "fi": 'MESSAGES = {"a": "A"}',
            "feedback_fi": 'MESSAGES = {"feedback.ask": "Miten meni?"}',
            "feedback_sv": 'MESSAGES = {"feedback.ask": "Hur gick det?"}',
        },
    )
    catalogs = load_catalogs(package)
    assert catalogs[Language.FI] == {"a": "A", "feedback.ask": "Miten meni?"}
    assert catalogs[Language.SV] == {"feedback.ask": "Hur gick det?"}
    assert catalogs[Language.EN] == {}


def test_a_text_defined_by_two_modules_is_refused_naming_both(tmp_path: Path) -> None:
    package = _locale_package(
        tmp_path,
        "locales_twice",
        {
            "fi": 'MESSAGES = {"help.intro": "Yksi"}',
            "feedback_fi": 'MESSAGES = {"help.intro": "Kaksi"}',
        },
    )
    with pytest.raises(ValueError, match=r"'help\.intro' \(fi\) is in both feedback_fi and fi"):
        load_catalogs(package)


# --- numbers, times and dates -------------------------------------------------------------


@pytest.mark.parametrize(
    ("language", "one", "two"),
    [
        (Language.FI, "Tallensin 1 muutoksen.", "Tallensin 3 muutosta."),
        (Language.SV, "Jag sparade 1 ändring.", "Jag sparade 3 ändringar."),
        (Language.EN, "I saved 1 change.", "I saved 3 changes."),
    ],
)
def test_a_count_chooses_the_plural_form(language: Language, one: str, two: str) -> None:
    assert text(language, "attendance.saved", count=1) == one
    assert text(language, "attendance.saved", count=3) == two


@pytest.mark.parametrize(
    ("language", "one", "two"),
    [
        (Language.EN, "in 1 minute,", "in 2 minutes,"),
        (Language.SV, "om 1 minut,", "om 2 minuter,"),
        (Language.FI, "1 minuutin päästä, klo 10.15", "2 minuutin päästä, klo 10.15"),
    ],
)
def test_minutes_and_people_agree_with_their_number(language: Language, one: str, two: str) -> None:
    assert one in text(language, "event.break_warning", count=1, end="10.15")
    assert two in text(language, "event.break_warning", count=2, end="10.15")


def test_english_reminds_one_person_and_two_people() -> None:
    assert text(Language.EN, "rollcall.reminded", count=1, already=0).startswith(
        "I reminded 1 person."
    )
    assert text(Language.EN, "rollcall.reminded", count=2, already=0).startswith(
        "I reminded 2 people."
    )


def test_a_plural_text_without_a_count_is_refused() -> None:
    with pytest.raises(TypeError, match="count"):
        text(Language.FI, "attendance.saved")


def test_plural_forms_other_than_one_and_other_are_refused(tmp_path: Path) -> None:
    package = _locale_package(
        tmp_path, "locales_plural", {"fi": 'MESSAGES = {"x": {"one": "a", "few": "b"}}'}
    )
    with pytest.raises(ValueError, match="plural forms"):
        load_catalogs(package)


@pytest.mark.parametrize(
    ("language", "morning", "evening"),
    [
        (Language.FI, "9.30", "14.05"),
        (Language.SV, "9.30", "14.05"),
        (Language.EN, "9:30", "14:05"),
    ],
)
def test_times_are_written_the_way_each_language_writes_them(
    language: Language, morning: str, evening: str
) -> None:
    assert clock(language, datetime(2026, 12, 7, 7, 30, tzinfo=UTC), ZONE) == morning
    assert clock(language, datetime(2026, 12, 7, 12, 5, tzinfo=UTC), ZONE) == evening


@pytest.mark.parametrize(
    ("language", "written"),
    [(Language.FI, "7.12.2026"), (Language.SV, "7.12.2026"), (Language.EN, "7 Dec 2026")],
)
def test_dates_are_written_the_way_each_language_writes_them(
    language: Language, written: str
) -> None:
    assert date_text(language, date(2026, 12, 7)) == written


@pytest.mark.parametrize(
    ("language", "value", "written"),
    [
        (Language.FI, 4.5, "4,5"),
        (Language.SV, 4.25, "4,3"),
        (Language.EN, 4.25, "4.3"),
        (Language.FI, 14 / 3, "4,7"),
        (Language.EN, 5.0, "5.0"),
    ],
)
def test_decimals_are_written_the_way_each_language_writes_them(
    language: Language, value: float, written: str
) -> None:
    assert decimal(language, value) == written


# --- the house rules every catalog keeps (checked by machine where a machine can) -------------

BOT_TEXTS = [
    (language, key, form)
    for language, key, value in ENTRIES
    for form in forms(value)
    if not key.startswith(("page.", "about."))  # web pages: HTML, no chat commands
]
# placeholders that hold a count of things; a word after one must agree with the number
COUNTS = ("count", "n", "minutes", "sent")
UNITS_WITHOUT_PLURAL = ("min",)  # an abbreviation reads the same for 1 and 5


@pytest.mark.parametrize(("language", "key", "value"), ENTRIES)
def test_a_counted_word_agrees_with_its_number(language: Language, key: str, value: str) -> None:
    for form in forms(value):
        for name, word in re.findall(r"\{(\w+)\} (\w+)", form):
            if name in COUNTS and word not in UNITS_WITHOUT_PLURAL:
                assert not isinstance(value, str), (
                    f"{language.value}:{key}: '{{{name}}} {word}' needs plural forms"
                )
    if not isinstance(value, str):
        assert "count" in placeholders(value), f"{language.value}:{key}: plural without count"


@pytest.mark.parametrize("key", ALL_KEYS)
def test_a_text_has_plural_forms_in_every_language_or_in_none(key: str) -> None:
    kinds = {isinstance(c[key], str) for c in CATALOGS.values() if key in c}
    assert len(kinds) == 1, key


@pytest.mark.parametrize(("language", "key", "value"), BOT_TEXTS)
def test_times_and_dates_in_the_texts_follow_each_languages_way(
    language: Language, key: str, value: str
) -> None:
    where = f"{language.value}:{key}: {value!r}"
    if language is not Language.EN:
        assert not re.search(r"\d:\d\d", value), f"{where}: a time is written 9.30 here"
    if language is Language.FI:
        assert not re.search(r"\bkello (\{|\d)", value), f"{where}: write klo 9.30"
        assert not re.search(r"\bklo\.", value), f"{where}: klo takes no period"
    if language is Language.SV:
        assert not re.search(r"\bkl (\{|\d)", value), f"{where}: write kl. 9.30"
        assert "klo " not in value, where
    if language is Language.EN:
        assert not re.search(r"\bkl\.? |\bklo ", value), where


# Finnish subordinate clauses take a comma before them ("näet, mitä voit tehdä"), except after
# "ja", "tai" or another word that already joins them, or at the start of a sentence.
CONJUNCTIONS = (
    r"(mitä|että|kun|jos|koska|mikä|missä|mihin|minkä|miten|jotta|joten|kunnes"
    r"|joka|jotka|jossa|jonka|mutta)"
)
JOINERS = {"ja", "tai", "sekä", "mutta", "vain", "niin", "vaikka", "paitsi", "siitä", "kuin"}


@pytest.mark.parametrize(
    ("key", "value"), [(k, v) for lang, k, v in BOT_TEXTS if lang is Language.FI]
)
def test_finnish_subordinate_clauses_have_their_comma(key: str, value: str) -> None:
    for before, conjunction in re.findall(rf"(\w+) {CONJUNCTIONS}\b", value):
        assert before.casefold() in JOINERS, f"fi:{key}: no comma before '{conjunction}': {value!r}"


def test_the_comma_check_finds_a_missing_comma() -> None:
    found = re.findall(rf"(\w+) {CONJUNCTIONS}\b", "Kirjoita apua, niin näet mitä voit tehdä.")
    assert found == [("näet", "mitä")]


# Buttons are read on phones: a Finnish button title fits on one line of a narrow screen.
BUTTON_LIMIT = 22


@pytest.mark.parametrize(
    ("key", "value"),
    [(k, v) for lang, k, v in BOT_TEXTS if lang is Language.FI and "button" in k],
)
def test_finnish_button_titles_are_short(key: str, value: str) -> None:
    assert len(value) <= BUTTON_LIMIT, f"fi:{key}: {value!r} is {len(value)} characters"


# A command word shown to people is in bold, the same way everywhere: "Kirjoita **apua**".
WRITE = {Language.FI: "kirjoita", Language.SV: "skriv", Language.EN: "write"}
COMMAND_WORDS = {
    language: sorted(
        {normalise(w) for c in default_registry().commands.values() for w in c.words(language)}
        - {"?"},
        key=len,
        reverse=True,
    )
    for language in Language
}


def _unbolded_commands(language: Language, value: str) -> list[str]:
    """Command words shown after "write …" or after a colon, not in bold."""
    starts = [m.end() for m in re.finditer(r": ", value)]
    for words in range(3):  # "write **help**", "write there: **attendance**", "write to me: …"
        pattern = rf"\b{WRITE[language]}\b(?: \w+){{{words}}}:? "
        starts += [m.end() for m in re.finditer(pattern, value, re.IGNORECASE)]
    found = []
    for start in starts:
        rest = value[start:]
        folded = normalise(rest.split(".")[0]) + " "
        for word in COMMAND_WORDS[language]:
            if folded.startswith(word + " ") and not rest.startswith("**"):
                found.append(rest[: len(word) + 10])
                break
    return found


def test_the_bold_check_finds_a_plain_command_word() -> None:
    assert _unbolded_commands(Language.FI, "Kirjoita apua, niin näet, mitä voit tehdä.")
    assert _unbolded_commands(Language.EN, "Open a chat and write there: attendance")
    assert _unbolded_commands(Language.EN, "Write help to see what you can do.")
    assert _unbolded_commands(Language.SV, "Skriv till mig: guide.")
    assert not _unbolded_commands(Language.FI, "Kirjoita **apua**, niin näet, mitä voit tehdä.")
    assert not _unbolded_commands(Language.EN, "Write the full name.")


@pytest.mark.parametrize(("language", "key", "value"), BOT_TEXTS)
def test_command_words_are_shown_in_bold(language: Language, key: str, value: str) -> None:
    if key.startswith("help.item."):
        return  # a help line starts with its words, in bold: checked below
    assert _unbolded_commands(language, value) == [], f"{language.value}:{key}: {value!r}"


@pytest.mark.parametrize(
    ("language", "key", "value"), [e for e in BOT_TEXTS if e[1].startswith("help.item.")]
)
def test_a_help_line_shows_its_command_words_in_bold(
    language: Language, key: str, value: str
) -> None:
    if " – " not in value:
        return  # a line about the person, no command
    listed = value.split(" – ", 1)[0]
    assert listed.startswith("**") and listed.endswith("**"), f"{language.value}:{key}: {value!r}"


# A refusal says what the person can do instead: a word to write (in bold) or whom to ask.
REFUSALS = (
    "unknown",
    "card.stale",
    "bind.personal_chat",
    "bind.not_instructor",
    "bind.taken",
    "bind.unknown_group",
    "day.no_group",
    "day.not_instructor",
    "day.none_today",
    "rollcall.not_allowed",
    "rollcall.not_allowed.organizer",
    "rollcall.not_bound",
    "rollcall.personal_chat.client",
    "rollcall.personal_chat.instructor",
    "attendance.not_allowed",
    "rollcall.attendance.not_allowed",
    "help.take.not_allowed",
    "tutorial.send.not_allowed",
    "tutorial.send.not_your_client",
    "tutorial.send.unknown",
    "feedback.not_asked",
    "feedback.not_for_you",
    "feedback.unknown",
    "feedback.answer_first",
    "feedback.staff_card",
    "feedback.in_own_chat",
    "feedback.unreachable_you",
    "feedback.not_allowed",
    "feedback.results.not_allowed",
    "feedback.not_present",
    "feedback.idea.unknown",
    "feedback.no_day_planned",
    "feedback.not_bound",
)
WAYS_ON = {
    Language.FI: ("**", "Pyydä", "pyydä", "kysy", "Kysy", "Käytä"),
    Language.SV: ("**", "Be ", "be ", "Fråga", "fråga", "Använd"),
    Language.EN: ("**", "Ask", "ask", "Use"),
}


@pytest.mark.parametrize("language", list(Language))
@pytest.mark.parametrize("key", REFUSALS)
def test_a_refusal_says_what_the_person_can_do_instead(language: Language, key: str) -> None:
    value = CATALOGS[language][key]
    assert isinstance(value, str)
    assert any(way in value for way in WAYS_ON[language]), f"{language.value}:{key}: {value!r}"
