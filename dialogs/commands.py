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
