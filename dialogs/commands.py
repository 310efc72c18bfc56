"""How typed text is matched to command words: folding, phrases longest first, the argument."""

from __future__ import annotations

import re
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


# emoji modifiers, joiners and variation selectors: "👍🏽" is "👍"
_MODIFIERS = re.compile("[\u200d\ufe0e\ufe0f\U0001f3fb-\U0001f3ff]")


def plain(text: str) -> str:
    """Text as compared with phrases: normalised, one apostrophe, no emoji or symbols."""
    text = _MODIFIERS.sub("", text.replace("’", "'").replace("`", "'"))
    kept = "".join(c if unicodedata.category(c)[0] != "S" else " " for c in text)
    folded = normalise(kept)
    return folded if any(c.isalnum() for c in folded) else ""


def symbols(text: str) -> frozenset[str]:
    """The emoji of a message written in emoji only (modifiers dropped); empty otherwise."""
    text = _MODIFIERS.sub("", text)
    found = frozenset(c for c in text if not c.isspace())
    return found if found and all(unicodedata.category(c) == "So" for c in found) else frozenset()


def edit_distance(a: str, b: str, limit: int) -> int:
    """Edits between a and b (a swap of two neighbours is one edit); above limit: limit + 1."""
    if abs(len(a) - len(b)) > limit:
        return limit + 1
    before: list[int] = []
    row = list(range(len(b) + 1))
    for i in range(1, len(a) + 1):
        current = [i] + [0] * len(b)
        for j in range(1, len(b) + 1):
            cost = 0 if a[i - 1] == b[j - 1] else 1
            current[j] = min(current[j - 1] + 1, row[j] + 1, row[j - 1] + cost)
            if i > 1 and j > 1 and a[i - 1] == b[j - 2] and a[i - 2] == b[j - 1]:
                current[j] = min(current[j], before[j - 2] + 1)
        if min(current) > limit and min(row) > limit:
            return limit + 1
        before, row = row, current
    return min(row[-1], limit + 1)


# a slip is suggested only for phrases this long, and only for short messages
MIN_SLIP_LENGTH = 4
MAX_SLIP_WORDS = 4


def slips(phrase: str) -> int:
    """How many edits a typed phrase may be from this one and still be a slip of it."""
    return 1 if len(phrase) <= 7 else 2


def closest(typed: str, phrases: Iterable[tuple[str, T]]) -> tuple[str, T] | None:
    """The one phrase typed text is a slip of ("nimenhuto" → "nimenhuuto"), or None.

    The whole message is compared (not its start): "hlep" is a slip of "help", "help me with
    this" is no slip of anything. Two phrases of different meaning equally near: None.
    """
    typed = plain(typed)
    if len(typed) < MIN_SLIP_LENGTH or len(typed.split()) > MAX_SLIP_WORDS:
        return None
    best: list[tuple[int, str, T]] = []
    for phrase, meant in phrases:
        folded = plain(phrase)
        if len(folded) < MIN_SLIP_LENGTH or folded == typed:
            continue
        limit = slips(folded)
        distance = edit_distance(typed, folded, limit)
        if distance > limit:
            continue
        if best and distance < best[0][0]:
            best = []
        if not best or distance == best[0][0]:
            best.append((distance, phrase, meant))
    if not best or any(m is not best[0][2] for _, _, m in best):
        return None
    return best[0][1], best[0][2]
