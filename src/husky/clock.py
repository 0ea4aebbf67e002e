"""Where "now" comes from. Logic takes a Clock so tests can drive time without sleeping."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from typing import Protocol


class Clock(Protocol):
    def now(self) -> datetime:
        """The current instant, aware, UTC."""

    def monotonic(self) -> float:
        """Seconds on a clock that never goes back (for durations and timers)."""


class SystemClock:
    def now(self) -> datetime:
        return datetime.now(UTC)

    def monotonic(self) -> float:
        return time.monotonic()


class ManualClock:
    """A clock tests move by hand: `now()` stays put until `advance()` or `set()`."""

    def __init__(self, start: datetime) -> None:
        self._now = start.astimezone(UTC)
        self._mono = 0.0

    def now(self) -> datetime:
        return self._now

    def monotonic(self) -> float:
        return self._mono

    def set(self, instant: datetime) -> None:
        delta = (instant.astimezone(UTC) - self._now).total_seconds()
        self._now = instant.astimezone(UTC)
        self._mono += max(delta, 0.0)

    def advance(self, seconds: float) -> None:
        self.set(self._now + timedelta(seconds=seconds))
