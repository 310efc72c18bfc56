"""Reaching a person in their 1:1 chat with the bot, and why it did not work (pure).

Reminders, feedback cards and the coordinators' digest go to a person's 1:1 chat. Teams opens
that chat only for someone whose Teams id (29:…) the bot has seen and who has the app; with
Microsoft Graph configured the bot installs the app for the others first. Whoever still cannot be
reached is named to the instructor with the reason, in words.
"""

from __future__ import annotations

import enum
from collections.abc import Sequence
from dataclasses import dataclass

from domain.graph import GraphProblem
from domain.i18n import text
from domain.model import Conversation
from domain.org import Language


class Unreachable(enum.StrEnum):
    """Why there is no 1:1 chat with a person."""

    # the bot has never seen them in Teams (they have not written to it and have not been seen in
    # the group's chat), so it has no id to open a chat with (or no conversation of theirs to
    # open it through), and could not install the app
    NO_TEAMS_ID = "no_teams_id"
    # Teams refused to open the chat: the app is not installed for them
    NOT_INSTALLED = "not_installed"
    # Teams did not answer (busy, failing, no connection): another try later may work
    NO_ANSWER = "no_answer"
    # installing the app for them through Microsoft Graph failed (the problem says why)
    INSTALL_FAILED = "install_failed"
    # Microsoft Graph is on, but the app's catalog id (TEAMS_APP_CATALOG_ID) is not set, so the
    # app cannot be installed for anyone
    NOT_CONFIGURED = "not_configured"


# Graph's problems that may pass by themselves
PASSING = frozenset({GraphProblem.THROTTLED, GraphProblem.SERVER, GraphProblem.NETWORK})


@dataclass(frozen=True, slots=True)
class Reached:
    """The person's 1:1 chat, or why there is none."""

    conversation: Conversation | None
    why: Unreachable | None = None
    problem: GraphProblem | None = None  # with INSTALL_FAILED: what Graph said

    @property
    def ok(self) -> bool:
        """A chat to send to."""
        return self.conversation is not None

    @property
    def passing(self) -> bool:
        """No chat for a reason that may pass by itself: Teams or Graph busy, failing or out of
        reach (another try later may work)."""
        return self.why is Unreachable.NO_ANSWER or self.problem in PASSING


@dataclass(frozen=True, slots=True)
class NotReached:
    """Someone a message could not be sent to, and why."""

    name: str
    why: Unreachable
    problem: GraphProblem | None = None

    @classmethod
    def of(cls, name: str, reached: Reached) -> NotReached:
        """The person named, with the reason reaching them gave."""
        return cls(name, reached.why or Unreachable.NO_TEAMS_ID, reached.problem)


def why_text(language: Language, missed: NotReached) -> str:
    """The reason in words: "Etäpäivä ei ole hänen Teamsissaan"."""
    if missed.why is Unreachable.INSTALL_FAILED:
        problem = text(language, f"reach.problem.{(missed.problem or GraphProblem.INVALID).value}")
        return text(language, "reach.why.install_failed", problem=problem)
    return text(language, f"reach.why.{missed.why.value}")


def names_with_reasons(language: Language, missed: Sequence[NotReached]) -> str:
    """ "Jari Virtanen (Etäpäivä ei ole hänen Teamsissaan), Liisa Laine (…)"."""
    return ", ".join(
        text(language, "reach.person", name=m.name, why=why_text(language, m)) for m in missed
    )
