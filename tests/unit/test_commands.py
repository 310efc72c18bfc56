"""Tests for command words and how typed text is matched to them (dialogs/commands.py)."""

from __future__ import annotations

import unicodedata
from collections.abc import Callable

import pytest

from bot.features import registry as default_registry
from dialogs.commands import closest, edit_distance, normalise, plain, symbols
from dialogs.feature import Command
from dialogs.router import by_name, plainly_a_command
from dialogs.turn import Turn, TurnKind
from domain.i18n import text
from domain.model import Conversation, ConversationKind, TeamsUser
from domain.org import Language

NBSP = "\u00a0"
GROUP_CHAT = Conversation("19:group@thread.v2", ConversationKind.GROUP_CHAT, "https://x", {})
SOMEONE = TeamsUser(teams_id="29:someone", name="Someone")
REGISTRY = default_registry()
C = REGISTRY.commands
parse = REGISTRY.parse
WORDS = [(cmd, word) for cmd in C.values() for word in cmd.words()]
WORD_IDS = [word for _, word in WORDS]

VARIANTS: dict[str, Callable[[str], str]] = {
    "as typed": lambda w: w,
    "upper case": str.upper,
    "title case": str.title,
    "surrounding spaces": lambda w: f"   {w}  ",
    "tabs and newlines": lambda w: f"\t{w}\n",
    "non-breaking spaces": lambda w: NBSP + w.replace(" ", NBSP) + NBSP,
    "doubled inner spaces": lambda w: w.replace(" ", "  "),
    "decomposed umlauts": lambda w: unicodedata.normalize("NFD", w),
    "exclamation": lambda w: f"{w}!",
    "full stop": lambda w: f"{w}.",
    "parentheses": lambda w: f"({w})",
    "curly quotes": lambda w: f"“{w}”",
    "straight quotes": lambda w: f'"{w}"',
    "spanish marks": lambda w: f"¡{w}!",
}


@pytest.mark.parametrize("variant", list(VARIANTS))
@pytest.mark.parametrize(("command", "word"), WORDS, ids=WORD_IDS)
def test_every_command_word_parses_to_its_command(
    command: Command, word: str, variant: str
) -> None:
    assert parse(VARIANTS[variant](word)) == (command, "")


@pytest.mark.parametrize(("command", "word"), WORDS, ids=WORD_IDS)
def test_text_after_a_command_word_is_its_argument(command: Command, word: str) -> None:
    assert parse(f"{word.upper()}  xyz") == (command, "xyz")


@pytest.mark.parametrize(
    ("typed", "command"),
    [
        ("apua?", C["help"]),
        ("hjälp?", C["help"]),
        ("Help?", C["help"]),
        ("ryhmät?", C["groups"]),
        ("kieli sv?", C["language"]),
    ],
)
def test_a_question_mark_after_a_command_word_is_ignored(typed: str, command: Command) -> None:
    expected_argument = "sv" if command is C["language"] else ""
    assert parse(typed) == (command, expected_argument)


def test_language_argument_is_returned() -> None:
    assert parse("kieli sv") == (C["language"], "sv")
    assert parse("Språk på svenska!") == (C["language"], "på svenska")


def test_bind_returns_the_rest_as_the_group_name() -> None:
    command, argument = parse("tämä on ryhmä IT-pajan etäryhmä")
    assert command is C["bind"]
    assert argument.casefold() == "it-pajan etäryhmä"


def test_longest_phrase_wins() -> None:
    command, argument = parse("this is the group IT")
    assert (command, argument.casefold()) == (C["bind"], "it")
    command, argument = parse("tämä on ryhmän IT-paja keskustelu")
    assert (command, argument.casefold()) == (C["bind"], "it-paja keskustelu")


def test_question_mark_alone_is_help() -> None:
    assert parse(" ? ") == (C["help"], "")


@pytest.mark.parametrize(
    "typed",
    [
        "helpful",
        "apuaa",
        "ohjeistus",
        "kielitaito",
        "languages",
        "groupsy",
        "ryhmätyö",
        "this is groupwork",
        "tämä on ryhmäpäivä",
        "?foo",
    ],
)
def test_words_that_only_start_with_a_command_word_do_not_match(typed: str) -> None:
    command, _ = parse(typed)
    assert command is None


@pytest.mark.parametrize("typed", ["", "   ", "hello", "kiitos", "hej på dig", "🙂"])
def test_unknown_text_is_no_command(typed: str) -> None:
    command, _ = parse(typed)
    assert command is None


# The phrase each language's help text teaches for each command: the help line that names it
# (the features' registrations) and the phrase's position in the list before the dash
# ("a, b, c ja d – ...").
HELP_KEYS: dict[Command, tuple[str, int]] = {
    command: (item.key, position)
    for item in REGISTRY.help
    for position, command in enumerate(item.commands)
}


def taught_phrases(language: Language, key: str) -> list[str]:
    """The phrases listed before the dash, split at commas and the word for "and"."""
    listed = text(language, key).split(" – ", 1)[0]
    for joiner in (" ja ", " och ", " and "):
        listed = listed.replace(joiner, ", ")
    return [phrase.strip() for phrase in listed.split(", ")]


def test_every_command_is_taught_in_the_help_text() -> None:
    assert set(HELP_KEYS) == set(C.values())


@pytest.mark.parametrize("command", list(C.values()))
@pytest.mark.parametrize("language", list(Language))
def test_every_language_has_a_word_for_every_command(language: Language, command: Command) -> None:
    key, position = HELP_KEYS[command]
    taught = taught_phrases(language, key)[position]
    parsed, _ = parse(taught)
    assert parsed is command, f"{language.value}: help teaches {taught!r}"
    # and it is one of the words the feature registered for that language
    folded = normalise(taught)
    assert any(
        folded == word or folded.startswith(word + " ")
        for word in map(normalise, command.words(language))
    ), f"{language.value}: help teaches {taught!r}, not a {language.value} word of {command.name}"


@pytest.mark.parametrize("language", list(Language))
def test_the_instructor_hint_ends_with_a_working_bind_phrase(language: Language) -> None:
    hint = text(language, "welcome.group.instructor_hint")
    phrase = hint.rsplit(": ", 1)[1].strip("*")  # shown in bold
    # the hint starts with the bot's name: written out or picked as a mention, it is for the bot
    assert phrase.startswith("@Etäpäivä ")
    assert parse(phrase.removeprefix("@Etäpäivä ")) == (C["bind"], "")
    typed = by_name(Turn(TurnKind.MESSAGE, GROUP_CHAT, SOMEONE, text=phrase))
    assert typed.addressed
    assert parse(typed.text) == (C["bind"], "")


# --- slips of command words, free text as compared with phrases ----------------------------

ALL_WORDS = [(word, cmd) for cmd in C.values() for word in cmd.words()]


@pytest.mark.parametrize(
    ("typed", "meant"),
    [
        ("nimenhuto", "roll_call"),
        ("nimen huuto", "roll_call"),
        ("NIMENHUUTTO", "roll_call"),
        ("opastis", "tutorial"),
        ("hlep", "help"),
        ("helo", "help"),
        ("agneda", "agenda"),
        ("ohjelmaa", "agenda"),
        ("hjälpp", "help"),
        ("upprpo", "roll_call"),
        ("läsnäolot", "attendance"),
        ("sulje nimenhuto", "close_roll_call"),
        ("muistuta puuttuvai", "remind"),
    ],
)
def test_a_slip_of_a_command_word_is_recognised(typed: str, meant: str) -> None:
    found = closest(typed, ALL_WORDS)
    assert found is not None and found[1].name == meant


@pytest.mark.parametrize(
    "typed",
    [
        "moi",
        "hei",
        "kiitos",
        "kiitti",
        "ok",
        "okei",
        "hello",
        "mitä kuuluu",
        "huomenta kaikille",
        "kuulen hyvin",
        "olen paikalla",
        "täällä",
        "jag är här",
        "what now",
        "help me with the camera please",
        "nimenhuuto",  # the word itself is a command, not a slip
        "apu",  # too short to guess
        "",
        "👍",
    ],
)
def test_ordinary_chat_is_no_slip(typed: str) -> None:
    assert closest(typed, ALL_WORDS) is None


def test_edit_distance_counts_a_swap_as_one_and_stops_at_the_limit() -> None:
    assert edit_distance("hlep", "help", 2) == 1
    assert edit_distance("agneda", "agenda", 2) == 1
    assert edit_distance("nimenhuto", "nimenhuuto", 2) == 1
    assert edit_distance("kissa", "koira", 1) == 2  # limit + 1
    assert edit_distance("a" * 50, "b", 2) == 3


def test_plain_text_drops_emoji_punctuation_and_case() -> None:
    assert plain("Moi! Oon paikalla 🙂") == "moi oon paikalla"
    assert plain("I’m HERE.") == "i'm here"
    assert plain("👍🏽 🙂") == ""
    assert symbols("👍🏽 🙂") == {"👍", "🙂"}
    assert symbols("ok 👍") == frozenset()
    assert symbols("") == frozenset()


@pytest.mark.parametrize(
    ("typed", "addressed", "rest"),
    [
        ("@Etäpäivä apua", True, "apua"),
        ("@etapaiva, nimenhuuto", True, "nimenhuuto"),
        ("@ Etäpäivä: help", True, "help"),
        ("Etäpäivä on kiva", False, "Etäpäivä on kiva"),
        ("@Etäpäiväni", False, "@Etäpäiväni"),
        ("moi @Etäpäivä", False, "moi @Etäpäivä"),
    ],
)
def test_the_bots_name_typed_out_at_the_start_addresses_it(
    typed: str, addressed: bool, rest: str
) -> None:
    turn = by_name(Turn(TurnKind.MESSAGE, GROUP_CHAT, SOMEONE, text=typed))
    assert (turn.addressed, turn.text) == (addressed, rest)


@pytest.mark.parametrize(
    ("typed", "argument", "plainly"),
    [
        ("nimenhuuto", "", True),
        ("pidennä 5", "5", True),
        ("siirrä -5", "-5", True),
        ("peru päivä 3.12.", "3.12", True),
        ("?", "", False),
        ("seuraava kysymys on vaikea", "kysymys on vaikea", False),
        ("lähden kauppaan", "kauppaan", False),
    ],
)
def test_without_a_mention_only_a_command_alone_is_for_the_bot(
    typed: str, argument: str, plainly: bool
) -> None:
    assert plainly_a_command(typed, argument) is plainly


GROUP_HINTS = (
    "welcome.group",
    "welcome.group.instructor_hint",
    "help.mention_hint",
    "day.no_group",
    "day.none_today",
)


@pytest.mark.parametrize("key", GROUP_HINTS)
@pytest.mark.parametrize("language", list(Language))
def test_every_hint_read_in_a_group_says_to_start_with_the_mention(
    language: Language, key: str
) -> None:
    # until a chat's owner grants ChatMessage.Read.Chat, Teams delivers only mentioned messages
    assert "@Etäpäivä" in text(language, key)
