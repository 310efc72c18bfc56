"""The sliding-window rate limiter, driven by hand-set clock values."""

from __future__ import annotations

import math
import random

import pytest

from domain.ratelimit import GLOBAL, PER_CONVERSATION, RateLimiter

A, B = "19:a@thread.v2", "19:b@thread.v2"


def _send_all(limiter: RateLimiter, conversation: str, n: int, start: float = 0.0) -> list[float]:
    """Send n messages as early as the limiter allows (each answered at once)."""
    times = []
    now = start
    for _ in range(n):
        now = max(now, limiter.earliest(conversation, now))
        limiter.record(conversation, now)
        times.append(now)
    return times


def _max_in_window(times: list[float], window: float) -> int:
    """The most sends in any half-open window (t - window, t]."""
    best = 0
    for i, t in enumerate(times):
        best = max(best, sum(1 for u in times[: i + 1] if u > t - window))
    return best


def test_the_defaults_are_teams_documented_limits() -> None:
    assert PER_CONVERSATION == ((1.0, 7), (2.0, 8), (30.0, 60), (3600.0, 1800))
    assert GLOBAL == ((1.0, 50),)


def test_seven_per_second_then_eight_per_two_seconds() -> None:
    limiter = RateLimiter()
    times = _send_all(limiter, A, 9)
    assert times[:7] == [0.0] * 7
    assert times[7] == pytest.approx(1.0)  # 8th: the first leaves the 1 s window
    assert times[8] == pytest.approx(2.0)  # 9th: 8 per 2 s


def test_a_long_run_never_exceeds_any_window() -> None:
    limiter = RateLimiter()
    times = _send_all(limiter, A, 130)
    for window, limit in PER_CONVERSATION:
        assert _max_in_window(times, window) <= limit
    assert times[60] == pytest.approx(30.0)  # the 61st waits for the 30 s window
    assert times[-1] < 75.0  # and no slower than needed


def test_conversations_are_independent_but_share_the_global_limit() -> None:
    limiter = RateLimiter()
    _send_all(limiter, A, 7)
    assert limiter.earliest(A, 0.0) == pytest.approx(1.0)
    assert limiter.earliest(B, 0.0) == 0.0
    for i in range(43):
        limiter.record(f"c{i}", 0.0)
    assert limiter.earliest(B, 0.0) == pytest.approx(1.0)  # 50 sends in the last second
    assert limiter.earliest(B, 1.0) == 1.0


def test_sends_in_flight_count_until_their_answer() -> None:
    limiter = RateLimiter(per_conversation=((1.0, 2),), global_limits=())
    limiter.begin(A)
    limiter.begin(A)
    assert limiter.earliest(A, 0.0) == math.inf  # only an answer can free the window
    limiter.end(A, 0.4)
    # the window counts from the answer, the latest moment Teams can have counted the send
    assert limiter.earliest(A, 0.5) == pytest.approx(1.4)
    limiter.end(A, 0.7)
    assert limiter.earliest(A, 1.0) == pytest.approx(1.4)
    assert limiter.earliest(A, 1.5) == 1.5
    limiter.begin(B)
    limiter.cancel(B)  # not sent after all
    assert limiter.earliest(B, 0.8) == 0.8


def test_retry_after_blocks_one_conversation() -> None:
    limiter = RateLimiter()
    limiter.block_until(A, 12.5)
    limiter.block_until(A, 3.0)  # never shortened
    assert limiter.earliest(A, 1.0) == 12.5
    assert limiter.earliest(B, 1.0) == 1.0
    assert limiter.waiting(1.0) == {A: 12.5}
    assert limiter.waiting(13.0) == {}


def test_waiting_lists_full_windows_and_forgets_idle_conversations() -> None:
    limiter = RateLimiter()
    _send_all(limiter, A, 8)
    limiter.record(B, 0.0)
    assert limiter.waiting(1.5) == {A: pytest.approx(2.0)}
    assert set(limiter.tracked()) == {A, B}
    assert limiter.waiting(3601.0) == {}
    assert set(limiter.tracked()) == set()


def test_random_answer_delays_never_let_the_server_see_too_many() -> None:
    """Whatever the round trips, the server's own receipt times respect every window."""
    rng = random.Random(4)
    limits = ((1.0, 7), (2.0, 8))
    limiter = RateLimiter(per_conversation=limits, global_limits=())
    received: list[float] = []
    now = 0.0
    for _ in range(60):
        now = max(now, limiter.earliest(A, now))
        limiter.begin(A)
        arrives = now + rng.uniform(0.0, 0.3)
        answered = arrives + rng.uniform(0.0, 0.3)
        received.append(arrives)
        limiter.end(A, answered)
        now = answered
    for window, limit in limits:
        assert _max_in_window(sorted(received), window) <= limit


@pytest.mark.parametrize("seed", range(20))
def test_waiting_agrees_with_asking_each_conversation(seed: int) -> None:
    """waiting() skips conversations with too few sends to fill a window: same answer."""
    rng = random.Random(seed)
    limiter = RateLimiter()
    conversations = [f"19:c{i}@thread.v2" for i in range(12)]
    now = 0.0
    for _ in range(400):
        now += rng.expovariate(20.0)
        conversation = rng.choice(conversations[: rng.randint(1, len(conversations))])
        roll = rng.random()
        if roll < 0.6:
            limiter.record(conversation, now)
        elif roll < 0.8:
            limiter.begin(conversation)
        elif roll < 0.95:
            limiter.end(conversation, now)
        else:
            limiter.block_until(conversation, now + rng.uniform(0.0, 3.0))
        tracked = set(limiter.tracked())
        expected = {
            c: when for c in tracked if (when := limiter.conversation_earliest(c, now)) > now
        }
        assert limiter.waiting(now) == expected
