"""How typed text is matched to command words: folding, phrases longest first, the argument."""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable
from typing import Generic, TypeVar

T = TypeVar("T")


# "*" too: a command word the bot shows in bold (**apua**) may come back pasted as it was shown
_EDGE_PUNCT = "!.,;:?¡¿\"'“”‘’()[]…*"


def _fold(word: str) -> str:
    folded = unicodedata.normalize("NFC", word).strip(_EDGE_PUNCT).casefold()
    # a bare question mark (also "?!" or "¿?") is a word of its own: it asks for help
    return folded or ("?" if "?" in word else "")


def normalise(text: str) -> str:
    """NFC, lower case, punctuation at the ends of words dropped, whitespace collapsed."""
    words = [_fold(w) for w in text.replace("\u00a0", " ").split()]
    return " ".join(w for w in words if w) or text.strip()


class Vocabulary(Generic[T]):
    """Phrases mapped to what they ask for; typed text is matched at its start, longest first."""

    def __init__(self, phrases: Iterable[tuple[str, T]]) -> None:
        self._phrases: list[tuple[tuple[str, ...], T]] = sorted(
            ((tuple(normalise(phrase).split()), meant) for phrase, meant in phrases),
            key=lambda pm: -len(pm[0]),
        )

    def parse(self, text: str) -> tuple[T | None, str]:
        """Match text to a phrase; return what it asks for and the rest (its argument, as typed)."""
        original = unicodedata.normalize("NFC", text).replace("\u00a0", " ").split()
        folded = [_fold(w) for w in original]
        kept = [(o, f) for o, f in zip(original, folded, strict=True) if f]
        words = tuple(f for _, f in kept)
        for phrase, meant in self._phrases:
            if words[: len(phrase)] == phrase:
                rest = " ".join(o for o, _ in kept[len(phrase) :]).strip(_EDGE_PUNCT + " ")
                return meant, rest
        return None, " ".join(words)
