"""Command words in Finnish, Swedish and English, and how typed text is matched to them."""

from __future__ import annotations

import enum
import re
import unicodedata


class Command(enum.Enum):
    """Things a person can ask for by typing."""

    HELP = "help"
    LANGUAGE = "language"
    BIND = "bind"
    GROUPS = "groups"


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
}

_PHRASES: list[tuple[str, Command]] = sorted(
    ((phrase, cmd) for cmd, phrases in COMMAND_WORDS.items() for phrase in phrases),
    key=lambda pc: -len(pc[0]),
)
_PUNCT = re.compile(r"[!.,;:¡¿\"'“”‘’()]+")


def normalise(text: str) -> str:
    """Lower-case, NFC, punctuation at the ends dropped, whitespace collapsed."""
    text = unicodedata.normalize("NFC", text).replace("\u00a0", " ")
    text = " ".join(text.split()).casefold()
    return _PUNCT.sub(" ", text).strip() if text != "?" else text


def parse(text: str) -> tuple[Command | None, str]:
    """Match text to a command; return it and the rest of the text (its argument)."""
    cleaned = normalise(text)
    cleaned = " ".join(cleaned.split())
    for phrase, cmd in _PHRASES:
        if cleaned == phrase or cleaned.startswith(phrase + " "):
            return cmd, cleaned[len(phrase) :].strip()
    return None, cleaned
