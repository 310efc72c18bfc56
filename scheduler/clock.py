"""A clock that runs faster than the wall clock, for compressed days in tests and benchmarks."""

from __future__ import annotations

from datetime import UTC, datetime


class ScaledClock:
    """Virtual time that starts at `start` now and runs `speed` times faster than real time."""

    def __init__(self, start: datetime, speed: float) -> None:
        self._real0 = datetime.now(UTC)
        self._virtual0 = start
        self.speed = speed

    def __call__(self) -> datetime:
        """The virtual now."""
        return self._virtual0 + (datetime.now(UTC) - self._real0) * self.speed

    def to_real(self, virtual: datetime) -> datetime:
        """The real moment at which the virtual clock shows virtual."""
        return self._real0 + (virtual - self._virtual0) / self.speed

    def to_virtual(self, real: datetime) -> datetime:
        """What the virtual clock shows at the real moment real."""
        return self._virtual0 + (real - self._real0) * self.speed
