"""What people write when sound or picture fails, read with word lists and fuzzy matching.

Pure, no language model: "kamera ei toimi", "en kuule", "jag hör inget", "my mic doesn't work"
become a topic of the guide (and sometimes a particular check). The text is folded first:
lower case, accents off (ä → a, å → a), emoji that stand for a thing turned into its word,
punctuation dropped ("doesn't" → "doesnt"). A word matches a stem when it is the stem, starts
with it (Finnish and Swedish endings: "kameran", "mikrofonen") or, for stems of six letters or
more, is one typo away from it ("kamra", "mikrofni"); shorter stems are too close to common
words ("mikki" and "miksi") to guess.
"""

from __future__ import annotations

import enum
import re
import unicodedata
from dataclasses import dataclass

from domain.tutorial.content import Topic

# a long message that names no command is a description of a problem
LONG_WORDS = 12


class Trouble(enum.StrEnum):
    """Which part of the guide a problem belongs to."""

    CAMERA = "camera"
    MICROPHONE = "microphone"
    SOUND = "sound"
    SHARE = "share"
    JOIN = "join"


@dataclass(frozen=True, slots=True)
class Reading:
    """A problem read from free text: its part of the guide (None: which one is not known).

    negated: the text says something does not work ("ei", "inte", "not"...), so it is a
    problem even where bare topic words are not enough (a group chat).
    """

    trouble: Trouble | None
    negated: bool

    @property
    def topic(self) -> Topic | None:
        """The guide's topic."""
        return _TOPICS[self.trouble] if self.trouble else None

    @property
    def check(self) -> str | None:
        """A particular check to start from, when the topic's first is not the best."""
        return _CHECKS.get(self.trouble) if self.trouble else None


_TOPICS = {
    Trouble.CAMERA: Topic.CAMERA,
    Trouble.MICROPHONE: Topic.MICROPHONE,
    Trouble.SOUND: Topic.MICROPHONE,  # hearing others: the headset and device checks
    Trouble.SHARE: Topic.SHARE,
    Trouble.JOIN: Topic.JOIN,
}
_CHECKS = {Trouble.SOUND: "mic_headset"}

_EMOJI = {
    "📷": "kamera",
    "📸": "kamera",
    "📹": "kamera",
    "🎥": "kamera",
    "🎤": "mikrofoni",
    "🎙": "mikrofoni",
    "🔇": "aani ei",
    "🔈": "aani",
    "🔉": "aani",
    "🔊": "aani",
    "🎧": "kuulokkeet",
    "👂": "kuule",
    "🖥": "nayton",
    "❌": "ei",
    "🚫": "ei",
    "😞": "ongelma",
    "😟": "ongelma",
    "😢": "ongelma",
    "🆘": "ongelma",
}

# stems per part of the guide, folded (no accents); fi, sv, en together
_STEMS: dict[Trouble, tuple[str, ...]] = {
    Trouble.CAMERA: (
        "kamera",
        "camera",
        "webcam",
        "webbkamera",
        "video",
        "kuva",
        "naama",
        "bild",
        "picture",
        "nay",
        "nakyy",
        "nakyma",
        "syns",
        "cam",
    ),
    Trouble.MICROPHONE: (
        "mikrofon",
        "mikki",
        "mikk",
        "microphone",
        "mic",
        "mike",
        "mykist",
        "mute",
        "muted",
        "puhu",
    ),
    Trouble.SOUND: (
        "kuule",
        "kuulu",
        "kuulen",
        "kuuloke",
        "kaiutin",
        "aani",
        "aanta",
        "aanen",
        "aanet",
        "hor",
        "hors",
        "horlur",
        "ljud",
        "hear",
        "sound",
        "audio",
        "speaker",
        "headphone",
        "headset",
        "volume",
        "volym",
    ),
    Trouble.SHARE: (
        "jakaa",
        "jakaminen",
        "jako",
        "jaa",
        "nayton",
        "ruudun",
        "ruutu",
        "dela",
        "delning",
        "skarm",
        "share",
        "sharing",
        "screen",
    ),
    Trouble.JOIN: (
        "paase",
        "paasen",
        "liity",
        "liittya",
        "kokous",
        "kokoukseen",
        "linkki",
        "join",
        "meeting",
        "link",
        "ansluta",
        "motet",
    ),
}

# someone else cannot hear or see *me*: the microphone or the camera, not my speakers
_ME = frozenset({"minua", "mua", "minut", "mut", "mig", "me", "aaneni", "puhettani"})
_HEAR = frozenset({"kuule", "kuulu", "kuulen", "hor", "hors", "hear"})
_SEE = frozenset({"nae", "naa", "nake", "see", "ser"})
# verbs name a problem only with a "not": "mitä kuuluu" is a greeting, "can you hear me?" a
# question to the others; a bare noun ("kamera?", "mikki") asks about the device
_VERBS = frozenset(
    {"kuule", "kuulu", "kuulen", "hor", "hors", "hear", "nay", "nakyy", "syns", "puhu"}
    | {"jakaa", "jaa", "dela", "share", "liity", "liittya", "paase", "paasen", "join"}
)

_NEGATIONS = frozenset(
    {
        # fi
        "ei",
        "en",
        "et",
        "eivat",
        "emme",
        "ette",
        "eika",
        "rikki",
        "musta",
        "pimea",
        "hiljaa",
        "vika",
        "vikaa",
        "ongelma",
        "ongelmia",
        "huono",
        "huonosti",
        "jumissa",
        "jumittaa",
        "patkii",
        "katkeilee",
        "mykistetty",
        # sv
        "inte",
        "inget",
        "ingen",
        "inga",
        "svart",
        "trasig",
        "problem",
        "fel",
        # en
        "not",
        "no",
        "dont",
        "doesnt",
        "cant",
        "cannot",
        "wont",
        "isnt",
        "arent",
        "didnt",
        "broken",
        "issue",
        "issues",
        "black",
        "nothing",
        "muted",
        "fails",
        "failing",
    }
)
# a problem of some kind, the part not named: "ei toimi", "fungerar inte", "it doesn't work"
_WORKS = frozenset({"toimi", "toimii", "onnistu", "fungerar", "funkar", "work", "works", "working"})
_FAILURE = frozenset(
    {"ongelma", "ongelmia", "vika", "rikki", "problem", "issue", "broken", "trasig", "virhe"}
)


def fold(text: str) -> list[str]:
    """The words of text: lower case, no accents, emoji as words, no punctuation."""
    for emoji, word in _EMOJI.items():
        text = text.replace(emoji, f" {word} ")
    text = unicodedata.normalize("NFKD", text.casefold())
    text = "".join(c for c in text if not unicodedata.combining(c))
    text = text.replace("'", "").replace("\u2019", "")
    return re.sub(r"[^a-z0-9]+", " ", text).split()


def _distance(a: str, b: str) -> int:
    """Edit distance with transpositions (optimal string alignment)."""
    previous2: list[int] = []
    previous = list(range(len(b) + 1))
    for i, ca in enumerate(a, start=1):
        current = [i]
        for j, cb in enumerate(b, start=1):
            cost = 0 if ca == cb else 1
            best = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + cost)
            if i > 1 and j > 1 and ca == b[j - 2] and a[i - 2] == cb:
                best = min(best, previous2[j - 2] + 1)
            current.append(best)
        previous2, previous = previous, current
    return previous[-1]


def matches(word: str, stem: str) -> bool:
    """The word is the stem, the stem with an ending, or (stems of 6+ letters) a typo of it."""
    if word == stem:
        return True
    if len(stem) >= 4 and word.startswith(stem):
        return True
    if len(stem) < 6 or len(word) < len(stem) - 1:
        return False
    return any(_distance(word[:cut], stem) <= 1 for cut in (len(stem) - 1, len(stem) + 1))


def _trouble_at(word: str) -> tuple[Trouble, bool] | None:
    """The part of the guide a word names, and whether it names it by a verb."""
    for trouble, stems in _STEMS.items():
        for stem in stems:
            if matches(word, stem):
                return trouble, stem in _VERBS
    return None


def read(text: str) -> Reading | None:
    """The problem a message describes, or None when it describes none.

    The first part of the guide the message names wins ("kamera ja mikki" → the camera);
    "can't hear me" / "ei kuule minua" is the microphone and "can't see me" the camera.
    A message that says something does not work without naming what is a problem with no
    part (None trouble); so is any message of more than LONG_WORDS words.
    """
    words = fold(text)
    if not words:
        return None
    negated = any(w in _NEGATIONS for w in words)
    works = any(w in _WORKS for w in words)
    about_me = any(w in _ME for w in words)
    named: list[tuple[Trouble, bool]] = []
    for word in words:
        found = _trouble_at(word)
        if found is None and word in _SEE and about_me:
            found = (Trouble.CAMERA, True)
        hearing_me = about_me and any(matches(word, h) for h in _HEAR)
        if found is not None and found[0] is Trouble.SOUND and hearing_me:
            found = (Trouble.MICROPHONE, True)
        if found is not None:
            named.append(found)
    # joining is named last: "kokouksessa en kuule" is about the sound
    first = next((n for n in named if n[0] is not Trouble.JOIN), None) or (
        named[0] if named else None
    )
    if first is not None:
        trouble, by_verb = first
        # without a "not", only a few words naming a device are a problem ("kamera?",
        # "mikki"); "kamera toimii nyt", "mitä kuuluu" and "milloin kokous alkaa" are not
        if negated or (
            not works and not by_verb and trouble is not Trouble.JOIN and len(words) <= 3
        ):
            return Reading(trouble, negated)
        return None
    seeing = any(w in _SEE for w in words)
    if (negated and (works or seeing)) or any(w in _FAILURE for w in words):
        return Reading(None, negated)
    if len(words) > LONG_WORDS:
        return Reading(None, negated)
    return None
