"""Cards of the general answers: "did you mean", and what to do with a message not understood."""

from __future__ import annotations

from typing import Any

from cards.common import Card, card, execute, paragraph
from cards.payload import CardAction
from cards.tutorial import ASK_VERB, START_VERB
from domain.i18n import text
from domain.org import Language

# runs a command by its name (never typed text): the command's handler checks who may
RUN_VERB = "command.run"
HELP_VERB = "help.show"


def did_you_mean_card(language: Language, word: str, command: str) -> Card:
    """Did you mean "nimenhuuto"? One button that runs that command."""
    question = text(language, "didyoumean.text", word=word)
    button = execute(
        text(language, "didyoumean.button", word=word), CardAction(RUN_VERB, {"command": command})
    )
    return card([paragraph(question)], actions=[button], speak=question)


def help_button(language: Language) -> dict[str, Any]:
    """The button that shows what this person can do."""
    return execute(text(language, "fallback.button.help"), CardAction(HELP_VERB))


def fallback_card(language: Language, question: str, *, ask: bool) -> Card:
    """Not understood in a 1:1 chat: the guide, asking the instructor (a client) and help."""
    actions = [execute(text(language, "fallback.button.guide"), CardAction(START_VERB))]
    if ask:
        actions.append(execute(text(language, "fallback.button.ask"), CardAction(ASK_VERB)))
    actions.append(help_button(language))
    return card([paragraph(question)], actions=actions, speak=question)


def group_fallback_card(language: Language) -> Card:
    """Not understood in a group chat that @mentioned the bot: what it does, and help."""
    said = text(language, "fallback.group")
    return card([paragraph(said)], actions=[help_button(language)], speak=said)
