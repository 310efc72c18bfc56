"""Command words in Finnish, Swedish and English, and how typed text is matched to them."""

from __future__ import annotations

import enum
import unicodedata


class Command(enum.Enum):
    """Things a person can ask for by typing."""

    HELP = "help"
    LANGUAGE = "language"
    BIND = "bind"
    GROUPS = "groups"
    AGENDA = "agenda"
    START_DAY = "start_day"
    EXTEND = "extend"
    SKIP = "skip"
    SHIFT = "shift"
    LATE = "late"
    PAUSE = "pause"
    RESUME = "resume"
    END_DAY = "end_day"
    CANCEL_DAY = "cancel_day"
    MOVE_DAY = "move_day"
    TUTORIAL = "tutorial"
    SEND_TUTORIAL = "send_tutorial"
    ROLL_CALL = "roll_call"
    CLOSE_ROLL_CALL = "close_roll_call"
    REMIND = "remind"
    ATTENDANCE = "attendance"
    LEAVE = "leave"


# Phrases are matched at the start of the message, longest first, ignoring case and punctuation.
COMMAND_WORDS: dict[Command, tuple[str, ...]] = {
    Command.HELP: ("help", "apua", "apu", "ohje", "ohjeet", "hjälp", "hjalp", "?"),
    Command.LANGUAGE: ("language", "kieli", "språk", "sprak", "lang"),
    Command.BIND: (
        "this is group",
        "this is the group",
        "tämä on ryhmä",
        "tämä on ryhmän",
        "detta är gruppen",
        "detta är grupp",
        "det här är gruppen",
        "det här är grupp",
    ),
    Command.GROUPS: ("groups", "my groups", "ryhmät", "ryhmäni", "grupper", "mina grupper"),
    Command.AGENDA: (
        "agenda",
        "schedule",
        "programme",
        "ohjelma",
        "päivän ohjelma",
        "aikataulu",
        "program",
        "dagens program",
        "schema",
    ),
    Command.START_DAY: ("start day", "start the day", "aloita päivä", "starta dagen"),
    Command.EXTEND: ("extend", "pidennä", "förläng"),
    Command.SKIP: ("skip", "next", "next item", "seuraava", "ohita", "nästa", "hoppa över"),
    Command.SHIFT: ("shift", "siirrä", "flytta"),
    Command.LATE: ("late", "we are late", "myöhässä", "olemme myöhässä", "sena", "vi är sena"),
    Command.PAUSE: ("pause", "pysäytä", "pausa"),
    Command.RESUME: ("resume", "jatka", "fortsätt"),
    Command.END_DAY: ("end day", "end the day", "lopeta päivä", "avsluta dagen"),
    Command.CANCEL_DAY: ("cancel day", "peru päivä", "ställ in dagen"),
    Command.MOVE_DAY: ("move day", "siirrä päivä", "flytta dagen"),
    Command.TUTORIAL: ("tutorial", "guide", "opastus", "opas", "guiden", "handledning"),
    Command.SEND_TUTORIAL: (
        "send tutorial to",
        "send tutorial",
        "send the tutorial to",
        "send guide to",
        "send the guide to",
        "lähetä opastus",
        "lähetä opas",
        "skicka guiden till",
        "skicka guide till",
        "skicka guiden",
    ),
    Command.ROLL_CALL: (
        "roll call",
        "rollcall",
        "check-in",
        "check in",
        "nimenhuuto",
        "aloita nimenhuuto",
        "upprop",
        "starta uppropet",
    ),
    Command.CLOSE_ROLL_CALL: (
        "close roll call",
        "close the roll call",
        "sulje nimenhuuto",
        "stäng uppropet",
        "stäng upprop",
    ),
    Command.REMIND: (
        "remind the missing",
        "remind missing",
        "muistuta puuttuvia",
        "muistuta",
        "påminn de som saknas",
        "påminn",
    ),
    Command.ATTENDANCE: ("attendance", "läsnäolo", "läsnäololista", "närvaro", "närvarolista"),
    Command.LEAVE: (
        "i'm leaving now",
        "i am leaving now",
        "i'm leaving",
        "leaving now",
        "lähden nyt",
        "lähden",
        "jag går nu",
        "jag går",
    ),
}

_PHRASES: list[tuple[tuple[str, ...], Command]] = sorted(
    ((tuple(phrase.split()), cmd) for cmd, phrases in COMMAND_WORDS.items() for phrase in phrases),
    key=lambda pc: -len(pc[0]),
)
_EDGE_PUNCT = "!.,;:?¡¿\"'“”‘’()[]…"


def _fold(word: str) -> str:
    folded = unicodedata.normalize("NFC", word).strip(_EDGE_PUNCT).casefold()
    # a bare question mark (also "?!" or "¿?") is a word of its own: it asks for help
    return folded or ("?" if "?" in word else "")


def normalise(text: str) -> str:
    """NFC, lower case, punctuation at the ends of words dropped, whitespace collapsed."""
    words = [_fold(w) for w in text.replace("\u00a0", " ").split()]
    return " ".join(w for w in words if w) or text.strip()


def parse(text: str) -> tuple[Command | None, str]:
    """Match text to a command; return it and the rest of the text (its argument, as typed)."""
    original = unicodedata.normalize("NFC", text).replace("\u00a0", " ").split()
    folded = [_fold(w) for w in original]
    kept = [(o, f) for o, f in zip(original, folded, strict=True) if f]
    words = tuple(f for _, f in kept)
    for phrase, cmd in _PHRASES:
        if words[: len(phrase)] == phrase:
            rest = " ".join(o for o, _ in kept[len(phrase) :]).strip(_EDGE_PUNCT + " ")
            return cmd, rest
    return None, " ".join(words)
