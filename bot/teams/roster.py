"""A conversation's members' UPNs, read from Teams once for everyone who needs one.

People imported by UPN are matched when they first talk to the bot: Teams sends their 29: id
and AAD id, not their UPN, so the conversation's roster is asked. Thirty clients tapping for the
first time would otherwise be thirty member lookups at once, and Teams throttles the roster API:
one paged read per conversation serves them all for ROSTER_SECONDS.
"""

from __future__ import annotations

import asyncio
import logging
import time
from dataclasses import dataclass, field
from typing import Any

from bot.teams.connector import BotConnector
from domain.errors import TeamsUnavailable
from domain.outbox import SendFailed

log = logging.getLogger(__name__)

ROSTER_SECONDS = 120.0
PAGE_SIZE = 500
MAX_PAGES = 100  # 100 pages of 500: far more than any group
MAX_ROSTERS = 2000


@dataclass
class _Roster:
    """A conversation's members' UPNs by Teams id, and when to read them again."""

    upns: dict[str, str] = field(default_factory=dict)
    expires: float = 0.0
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)


def _upn(member: Any) -> str | None:
    if not isinstance(member, dict):
        return None
    found = member.get("userPrincipalName") or member.get("email")
    return str(found) if isinstance(found, str) and found else None


class Rosters:
    """UPN lookups by conversation, cached for ROSTER_SECONDS."""

    def __init__(self, connector: BotConnector) -> None:
        self._connector = connector
        self._rosters: dict[str, _Roster] = {}

    async def _read(self, service_url: str, conversation_id: str) -> dict[str, str]:
        upns: dict[str, str] = {}
        token: str | None = None
        for _ in range(MAX_PAGES):
            page = await self._connector.paged_members(
                service_url, conversation_id, PAGE_SIZE, token
            )
            members = page.get("members")
            for member in members if isinstance(members, list) else []:
                found = _upn(member)
                if found and isinstance(member.get("id"), str):
                    upns[member["id"]] = found
            next_token = page.get("continuationToken")
            token = next_token if isinstance(next_token, str) and next_token else None
            if token is None:
                break
        return upns

    async def upn(self, service_url: str, conversation_id: str, sender: str) -> str | None:
        """The sender's UPN, or None when Teams will not tell (not a member it can show).

        A failed read is not "nobody": it raises TeamsUnavailable so the person is asked to
        try again instead of becoming a stranger.
        """
        key = conversation_id.split(";messageid=", 1)[0]
        if key not in self._rosters and len(self._rosters) >= MAX_ROSTERS:
            now = time.monotonic()
            self._rosters = {k: r for k, r in self._rosters.items() if r.expires > now}
        roster = self._rosters.setdefault(key, _Roster())
        async with roster.lock:
            now = time.monotonic()
            try:
                if now >= roster.expires:
                    roster.upns = await self._read(service_url, conversation_id)
                    roster.expires = now + ROSTER_SECONDS
                if sender not in roster.upns:
                    # joined after the roster was read: ask for this one member
                    found = _upn(await self._connector.member(service_url, conversation_id, sender))
                    if found:
                        roster.upns[sender] = found
            except SendFailed as exc:
                if exc.status in (400, 403, 404):
                    return None  # Teams will not tell: not a member it can show us
                log.info("could not read the roster: %s", exc.describe())
                raise TeamsUnavailable("roster lookup failed") from exc
            return roster.upns.get(sender)
