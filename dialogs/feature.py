"""A feature declares itself: its command words (fi/sv/en), card verbs, help lines and events.

The router merges what the features declare (`Registry.merge`) and refuses a word, a verb or an
event claimed by two features, naming both. The features are listed in `bot/features/`.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import TypeVar

from cards.payload import CardAction
from dialogs.commands import Vocabulary, normalise
from dialogs.context import Context
from dialogs.turn import Outcome, Reply, TurnKind
from domain.help import HelpLine
from domain.model import Actor, ConversationKind
from domain.org import Language, Role

Handler = Callable[[Context, str], Awaitable[Outcome]]
ActionHandler = Callable[[Context, CardAction], Awaitable[Outcome]]
EventHandler = Callable[[Context], Awaitable[Outcome]]
HelpAddition = Callable[[Context], Awaitable[list[Reply]]]
# free text that is no command: an answer, or None when the text is not for this feature
Understander = Callable[[Context, str], Awaitable[Outcome | None]]
# the parameters of a help line for this person, or None when it is not for them
K = TypeVar("K")
V = TypeVar("V")
HelpRule = Callable[[Actor, ConversationKind], dict[str, str] | None]


def always(_actor: Actor, _kind: ConversationKind) -> dict[str, str] | None:
    """A help line everyone sees."""
    return {}


def holding(*roles: Role) -> HelpRule:
    """A help line for whoever holds one of these roles somewhere."""
    wanted = frozenset(roles)

    def rule(actor: Actor, _kind: ConversationKind) -> dict[str, str] | None:
        return {} if actor.roles & wanted else None

    return rule


@dataclass(frozen=True, eq=False)
class Command:
    """Something a person asks for by typing: its words in each language and its handler.

    Every word is understood whatever the person's language; the languages say which words a
    help line or the app manifest may show in that language.
    """

    name: str
    handler: Handler = field(repr=False)
    fi: tuple[str, ...] = ()
    sv: tuple[str, ...] = ()
    en: tuple[str, ...] = ()

    def words(self, language: Language | None = None) -> tuple[str, ...]:
        """The words in one language, or in all of them (Finnish, Swedish, English)."""
        if language is None:
            return (*self.fi, *self.sv, *self.en)
        return {Language.FI: self.fi, Language.SV: self.sv, Language.EN: self.en}[language]


@dataclass(frozen=True, slots=True)
class HelpItem:
    """A line of the help answer: its catalog key, who sees it, and the commands it names.

    rank orders the lines of all features in one list; commands are checked against the
    line's text in each language (a test), so a feature's words and its help cannot drift.
    """

    rank: int
    key: str
    shown: HelpRule = always
    commands: tuple[Command, ...] = ()


@dataclass(frozen=True, slots=True)
class Understanding:
    """A feature's reading of free text that matched no command word.

    rank orders the understanders of all features (lowest first); the first that answers
    (returns an Outcome) wins. "kamera ei toimi" is the guide's, "olen paikalla" the roll call's.
    """

    rank: int
    understand: Understander


@dataclass(frozen=True)
class Feature:
    """Everything a feature adds to the conversation side of the bot."""

    name: str
    commands: tuple[Command, ...] = ()
    actions: Mapping[str, ActionHandler] = field(default_factory=dict)
    # card verbs whose handling twice gives the same result (no inbox record needed)
    idempotent: frozenset[str] = frozenset()
    events: Mapping[TurnKind, EventHandler] = field(default_factory=dict)
    help: tuple[HelpItem, ...] = ()
    # replies added after the help lines (the guide for a client, say)
    after_help: HelpAddition | None = None
    # free text that matched no command
    understand: tuple[Understanding, ...] = ()


class DuplicateClaim(ValueError):
    """Two features claim the same word, verb or event."""


@dataclass(frozen=True)
class Registry:
    """The merged tables of every feature: what the router dispatches on."""

    features: tuple[Feature, ...]
    commands: Mapping[str, Command]
    vocabulary: Vocabulary[Command]
    actions: Mapping[str, ActionHandler]
    idempotent: frozenset[str]
    events: Mapping[TurnKind, EventHandler]
    help: tuple[HelpItem, ...]
    understanders: tuple[Understanding, ...] = ()

    @classmethod
    def merge(cls, features: Iterable[Feature]) -> Registry:
        """Merge the features' tables; a word, verb, event or name claimed twice is refused."""
        features = tuple(features)
        names: dict[str, tuple[str, Command]] = {}
        words: dict[str, tuple[str, Command]] = {}
        verbs: dict[str, tuple[str, ActionHandler]] = {}
        events: dict[TurnKind, tuple[str, EventHandler]] = {}
        for feature in features:
            for command in feature.commands:
                _claim(names, command.name, (feature.name, command), "command")
                for word in command.words():
                    folded = normalise(word)
                    owner = words.get(folded)
                    if owner is not None and owner[1] is not command:
                        raise DuplicateClaim(
                            f"the command word {word!r} is claimed by the features "
                            f"{owner[0]!r} ({owner[1].name}) and {feature.name!r} "
                            f"({command.name})"
                        )
                    words[folded] = (feature.name, command)
            for verb, handler in feature.actions.items():
                _claim(verbs, verb, (feature.name, handler), "card verb")
            for kind, event in feature.events.items():
                _claim(events, kind, (feature.name, event), "event")
            for verb in feature.idempotent:
                if verb not in feature.actions:
                    raise DuplicateClaim(f"{feature.name!r} declares {verb!r} idempotent: no verb")
        return cls(
            features=features,
            commands={c.name: c for f in features for c in f.commands},
            vocabulary=Vocabulary((word, command) for word, (_, command) in words.items()),
            actions={verb: handler for verb, (_, handler) in verbs.items()},
            idempotent=frozenset(v for f in features for v in f.idempotent),
            events={kind: handler for kind, (_, handler) in events.items()},
            help=tuple(sorted((h for f in features for h in f.help), key=lambda h: h.rank)),
            understanders=tuple(
                sorted((u for f in features for u in f.understand), key=lambda u: u.rank)
            ),
        )

    def parse(self, typed: str) -> tuple[Command | None, str]:
        """The command typed text asks for, and its argument."""
        return self.vocabulary.parse(typed)

    async def understand(self, ctx: Context, text: str) -> Outcome | None:
        """The first feature's answer to free text that matched no command, or None."""
        for understanding in self.understanders:
            outcome = await understanding.understand(ctx, text)
            if outcome is not None:
                return outcome
        return None

    def help_lines(self, actor: Actor, kind: ConversationKind) -> list[HelpLine]:
        """The help lines for this person, in order; only what they may actually do."""
        lines = []
        for item in self.help:
            params = item.shown(actor, kind)
            if params is not None:
                lines.append(HelpLine(item.key, params))
        return lines

    async def after_help(self, ctx: Context) -> list[Reply]:
        """What features add after the help lines."""
        added: list[Reply] = []
        for feature in self.features:
            if feature.after_help is not None:
                added.extend(await feature.after_help(ctx))
        return added


def _claim(table: dict[K, tuple[str, V]], key: K, claim: tuple[str, V], what: str) -> None:
    if key in table:
        raise DuplicateClaim(
            f"the {what} {key!r} is claimed by the features {table[key][0]!r} and {claim[0]!r}"
        )
    table[key] = claim
