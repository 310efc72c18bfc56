"""Teams' send limits as sliding windows: when may the next message to a conversation go out.

Pure and clock-free: every method takes the current time (seconds on a monotonic clock) from
the caller. A send is counted from `begin` (in flight, receipt time unknown) until `end`, which
stamps it with the time its response arrived. Teams stamps it somewhere in between, so a send
that waits until `stamp + window` of the n-th newest earlier send can never be the (n+1)-th in
any window Teams sees, however long the round trips take.
"""

from __future__ import annotations

import math
from bisect import bisect_right, insort
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

Limits = Sequence[tuple[float, int]]

# per bot per thread: 7 per second, 8 per 2 s, 60 per 30 s, 1800 per hour (teams-facts §1)
PER_CONVERSATION: Limits = ((1.0, 7), (2.0, 8), (30.0, 60), (3600.0, 1800))
# what the outbox allows itself per conversation: one less in each window, left for the
# answers the bot gives during turns (they are not counted here, and other replicas send too)
OUTBOX_PER_CONVERSATION: Limits = ((1.0, 6), (2.0, 7), (30.0, 55), (3600.0, 1750))
# per app per tenant, every request
GLOBAL: Limits = ((1.0, 50),)


@dataclass(slots=True)
class _Track:
    stamps: list[float] = field(default_factory=list)
    in_flight: int = 0
    blocked_until: float = -math.inf
    spaced_until: float = -math.inf


def _window_earliest(track: _Track, limits: Limits, now: float) -> float:
    stamps = track.stamps
    earliest = now
    for window, limit in limits:
        recent = len(stamps) - bisect_right(stamps, now - window)
        if recent + track.in_flight < limit:
            continue
        if track.in_flight >= limit:
            return math.inf  # only a send still in flight can free this window
        # the (limit - in_flight)-th newest completed send must leave the window first
        earliest = max(earliest, stamps[len(stamps) - (limit - track.in_flight)] + window)
    return earliest


def _prune(track: _Track, longest: float, now: float) -> None:
    cut = bisect_right(track.stamps, now - longest)
    if cut:
        del track.stamps[:cut]


class RateLimiter:
    """Sliding-window limits per conversation and for the whole bot."""

    def __init__(
        self,
        per_conversation: Limits = PER_CONVERSATION,
        global_limits: Limits = GLOBAL,
    ) -> None:
        self.per_conversation = tuple(per_conversation)
        self.global_limits = tuple(global_limits)
        self._longest = max((w for w, _ in self.per_conversation), default=0.0)
        # fewer sends than this (sent and in flight) cannot fill any per-conversation window
        self._fewest = min((n for _, n in self.per_conversation), default=0)
        self._global_longest = max((w for w, _ in self.global_limits), default=0.0)
        self._tracks: dict[str, _Track] = {}
        self._global = _Track()

    def earliest(self, conversation_id: str, now: float, *, spaced: bool = True) -> float:
        """When the next send to conversation_id may start (now, later, or inf while blocked).

        inf means a send still in flight must end first (call again after `end`). spaced=False
        ignores the pause we keep after a card redraw (`space_until`): an answer to a person
        need not wait for it, only for Teams' limits and Retry-After.
        """
        track = self._tracks.get(conversation_id)
        earliest = _window_earliest(self._global, self.global_limits, now)
        if track is not None:
            earliest = max(
                earliest,
                track.blocked_until,
                track.spaced_until if spaced else -math.inf,
                _window_earliest(track, self.per_conversation, now),
            )
        return earliest

    def conversation_earliest(self, conversation_id: str, now: float) -> float:
        """Like `earliest`, but ignoring the bot-wide limit."""
        track = self._tracks.get(conversation_id)
        if track is None:
            return now
        return max(
            now,
            track.blocked_until,
            track.spaced_until,
            _window_earliest(track, self.per_conversation, now),
        )

    def begin(self, conversation_id: str) -> None:
        """A send to conversation_id starts now; it counts until `end`."""
        self._tracks.setdefault(conversation_id, _Track()).in_flight += 1
        self._global.in_flight += 1

    def end(self, conversation_id: str, now: float) -> None:
        """The send begun earlier got its answer at now (success or failure: both count)."""
        track = self._tracks.setdefault(conversation_id, _Track())
        track.in_flight = max(0, track.in_flight - 1)
        self._global.in_flight = max(0, self._global.in_flight - 1)
        self._stamp(track, now)

    def cancel(self, conversation_id: str) -> None:
        """The send begun earlier did not happen after all (nothing is counted)."""
        track = self._tracks.get(conversation_id)
        if track is not None:
            track.in_flight = max(0, track.in_flight - 1)
        self._global.in_flight = max(0, self._global.in_flight - 1)

    def record(self, conversation_id: str, now: float) -> None:
        """Count a send that happened at now."""
        self._stamp(self._tracks.setdefault(conversation_id, _Track()), now)

    def block_until(self, conversation_id: str, t: float) -> None:
        """Send nothing to conversation_id before t (Teams answered 429 with Retry-After)."""
        track = self._tracks.setdefault(conversation_id, _Track())
        track.blocked_until = max(track.blocked_until, t)

    def space_until(self, conversation_id: str, t: float) -> None:
        """Our own pause: the worker sends nothing more to conversation_id before t."""
        track = self._tracks.setdefault(conversation_id, _Track())
        track.spaced_until = max(track.spaced_until, t)

    def waiting(self, now: float) -> dict[str, float]:
        """Conversations that may not be sent to at now, with when they may; forgets idle ones."""
        result: dict[str, float] = {}
        for conversation_id, track in list(self._tracks.items()):
            free = track.blocked_until <= now and track.spaced_until <= now
            if free and len(track.stamps) + track.in_flight < self._fewest:
                # most tracks (a reply or two in a 1:1 chat): no window can be full, and the
                # stamps need no pruning until the track is dropped
                if not track.in_flight and (
                    not track.stamps or track.stamps[-1] <= now - self._longest
                ):
                    del self._tracks[conversation_id]
                continue
            _prune(track, self._longest, now)
            if free and not track.stamps and not track.in_flight:
                del self._tracks[conversation_id]
                continue
            when = self.conversation_earliest(conversation_id, now)
            if when > now:
                result[conversation_id] = when
        return result

    def tracked(self) -> Iterable[str]:
        """Conversations with recent sends (for tests and diagnostics)."""
        return tuple(self._tracks)

    def _stamp(self, track: _Track, now: float) -> None:
        insort(track.stamps, now)
        _prune(track, self._longest, now)
        insort(self._global.stamps, now)
        _prune(self._global, self._global_longest, now)
