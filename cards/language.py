"""The card for choosing one's own language: a button per language, each in its own words."""

from __future__ import annotations

from cards.common import Card, card, execute, heading, paragraph
from cards.payload import CardAction
from domain.i18n import text
from domain.org import Language

LANGUAGE_VERB = "language.choose"


def choose_language_card(language: Language) -> Card:
    """Three buttons (Suomi, Svenska, English); the words around them in the current language."""
    actions = [
        execute(text(choice, "language.button"), CardAction(LANGUAGE_VERB, {"language": choice}))
        for choice in Language
    ]
    return card(
        [
            heading(text(language, "language.choose.title")),
            paragraph(text(language, "language.choose.text")),
        ],
        actions=actions,
        speak=text(language, "language.choose.title"),
    )


def language_chosen_card(language: Language) -> Card:
    """The same card once a language is chosen, in that language: no buttons left."""
    message = text(language, "language.changed")
    return card([paragraph(message)], speak=message)
