"""Domain errors. Each carries a catalog key; the edge turns it into text in one place."""

from __future__ import annotations


class DomainError(Exception):
    """A rule said no. `key` names the catalog text shown to the person."""

    key = "error.generic"

    def __init__(self, key: str | None = None, **params: object) -> None:
        super().__init__(key or self.key)
        if key:
            self.key = key
        self.params = params


class NotAllowed(DomainError):
    """The actor's role does not permit this action."""


class NotFound(DomainError):
    """The thing referred to does not exist (or is not visible to the actor)."""


class ConcurrentUpdate(Exception):
    """Someone else changed the same state first; reload and try again."""


class StoreUnavailable(Exception):
    """The database cannot be reached right now."""


class TeamsUnavailable(Exception):
    """Teams did not answer a question the turn depends on (e.g. who the sender is)."""
